//! Reading listings from CSV, JSON Lines, HTML, WARC, bundles, cases,
//! folders of these, and standard input. Bad rows are reported with path and
//! line and skipped; they never stop a sweep.

use crate::hash::HashingWriter;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// One listing to match.
#[derive(Debug, Clone)]
pub(crate) struct Listing {
    pub(crate) id: Option<String>,
    pub(crate) url: Option<String>,
    pub(crate) path: String,
    pub(crate) line: Option<u64>,
    pub(crate) text: String,
}

/// A row that could not be read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Skipped {
    pub path: String,
    pub line: Option<u64>,
    pub reason: String,
}

/// An input file and its SHA-256 (recorded in the custody log).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct InputFile {
    pub(crate) path: String,
    pub(crate) sha256: String,
}

/// Why an input cannot be swept at all (a bad row is only skipped).
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{}: no such file or folder", .0.display())]
    NotFound(PathBuf),
    #[error("standard input: {0}")]
    Stdin(std::io::Error),
    #[error("{}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{}: unknown input type (use .csv, .jsonl, .html, .warc/.warc.gz, a bundle, a case, or a folder)",
        .0.display()
    )]
    UnknownType(PathBuf),
}

/// Where listings go as they are read.
pub(crate) trait Sink {
    fn listing(&mut self, l: Listing);
    fn skipped(&mut self, s: Skipped);
    fn input(&mut self, f: InputFile);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Jsonl,
    Html,
    Warc,
}

fn format_of(p: &Path) -> Option<Format> {
    let name = p.file_name()?.to_string_lossy().to_lowercase();
    if name.ends_with(".csv") || name.ends_with(".tsv") {
        Some(Format::Csv)
    } else if name.ends_with(".jsonl") || name.ends_with(".ndjson") || name.ends_with(".json") {
        Some(Format::Jsonl)
    } else if name.ends_with(".html") || name.ends_with(".htm") {
        Some(Format::Html)
    } else if name.ends_with(".warc") || name.ends_with(".warc.gz") {
        Some(Format::Warc)
    } else {
        None
    }
}

/// Reads `path` (a file, folder, bundle, case, or `-`).
pub(crate) fn read(
    path: &Path,
    fields: Option<&[String]>,
    sink: &mut dyn Sink,
) -> Result<(), InputError> {
    let read_err = |p: &Path| {
        let path = p.to_path_buf();
        move |source| InputError::Read { path, source }
    };
    if path.as_os_str() == "-" {
        let stdin = std::io::stdin();
        let mut lock = stdin.lock();
        let mut peek = Vec::new();
        // Sniff: JSON Lines start with '{'.
        let first = lock.fill_buf().map_err(InputError::Stdin)?.to_vec();
        peek.extend_from_slice(&first);
        let fmt = if peek.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
            Format::Jsonl
        } else {
            Format::Csv
        };
        let mut hasher = HashingReader::new(lock);
        read_stream(&mut hasher, "-", fmt, fields, sink);
        sink.input(InputFile {
            path: "-".into(),
            sha256: hasher.finish(),
        });
        return Ok(());
    }
    let md = std::fs::metadata(path).map_err(read_err(path))?;
    if md.is_dir() {
        if path.join("case.toml").exists() {
            let ev = path.join("evidence");
            let mut dirs: Vec<PathBuf> = std::fs::read_dir(&ev)
                .map_err(read_err(&ev))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.is_dir()
                        && !p
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            dirs.sort();
            for d in dirs {
                read_bundle(&d, sink);
            }
            return Ok(());
        }
        if path.join("bagit.txt").exists() {
            read_bundle(path, sink);
            return Ok(());
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(read_err(path))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for e in entries {
            if e.is_dir() || format_of(&e).is_some() {
                read(&e, fields, sink)?;
            }
        }
        return Ok(());
    }
    let fmt = format_of(path).ok_or_else(|| InputError::UnknownType(path.to_path_buf()))?;
    let file = std::fs::File::open(path).map_err(read_err(path))?;
    let mut hasher = HashingReader::new(file);
    let shown = path.display().to_string();
    match fmt {
        Format::Html => {
            let mut bytes = Vec::new();
            hasher.read_to_end(&mut bytes).map_err(read_err(path))?;
            let cs = crate::text::detect(None, &bytes[..bytes.len().min(4096)], true);
            let (text, _, _) = cs.encoding.decode(&bytes);
            sink.listing(Listing {
                id: None,
                url: None,
                path: shown.clone(),
                line: None,
                text: crate::text::visible_text(&text),
            });
        }
        Format::Warc => read_warc(&mut hasher, &shown, path, sink),
        f => read_stream(&mut hasher, &shown, f, fields, sink),
    }
    // Drain anything unread so the hash covers the whole file.
    let _ = std::io::copy(&mut hasher, &mut std::io::sink());
    sink.input(InputFile {
        path: shown,
        sha256: hasher.finish(),
    });
    Ok(())
}

fn read_stream(
    r: &mut dyn Read,
    shown: &str,
    fmt: Format,
    fields: Option<&[String]>,
    sink: &mut dyn Sink,
) {
    match fmt {
        Format::Jsonl => {
            let mut reader = BufReader::new(r);
            let mut line_no = 0u64;
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => {
                        sink.skipped(Skipped {
                            path: shown.into(),
                            line: Some(line_no + 1),
                            reason: format!("read error: {e}"),
                        });
                        break;
                    }
                }
                line_no += 1;
                let Ok(text) = std::str::from_utf8(&buf) else {
                    sink.skipped(Skipped {
                        path: shown.into(),
                        line: Some(line_no),
                        reason: "not valid UTF-8".into(),
                    });
                    continue;
                };
                if text.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<serde_json::Value>(text) {
                    Ok(serde_json::Value::Object(map)) => {
                        let get = |k: &str| {
                            map.get(k).and_then(|v| match v {
                                serde_json::Value::String(s) => Some(s.clone()),
                                serde_json::Value::Number(n) => Some(n.to_string()),
                                _ => None,
                            })
                        };
                        let text = map
                            .iter()
                            .filter(|(k, _)| match fields {
                                Some(f) => f.iter().any(|x| x == *k),
                                None => !matches!(k.as_str(), "id" | "url"),
                            })
                            .filter_map(|(_, v)| v.as_str())
                            .collect::<Vec<_>>()
                            .join("\n");
                        sink.listing(Listing {
                            id: get("id"),
                            url: get("url"),
                            path: shown.into(),
                            line: Some(line_no),
                            text,
                        });
                    }
                    Ok(_) => sink.skipped(Skipped {
                        path: shown.into(),
                        line: Some(line_no),
                        reason: "not a JSON object".into(),
                    }),
                    Err(e) => sink.skipped(Skipped {
                        path: shown.into(),
                        line: Some(line_no),
                        reason: format!("invalid JSON ({e})"),
                    }),
                }
            }
        }
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(r);
            let headers = match reader.byte_headers() {
                Ok(h) => h.clone(),
                Err(e) => {
                    sink.skipped(Skipped {
                        path: shown.into(),
                        line: Some(1),
                        reason: format!("no readable header row ({e})"),
                    });
                    return;
                }
            };
            let names: Vec<String> = headers
                .iter()
                .map(|h| String::from_utf8_lossy(h).trim().to_string())
                .collect();
            let col = |n: &str| names.iter().position(|h| h.eq_ignore_ascii_case(n));
            let (c_id, c_url) = (col("id"), col("url"));
            let text_cols: Vec<usize> = match fields {
                Some(f) => f.iter().filter_map(|n| col(n)).collect(),
                None => (0..names.len())
                    .filter(|i| Some(*i) != c_id && Some(*i) != c_url)
                    .collect(),
            };
            let mut rec = csv::ByteRecord::new();
            loop {
                match reader.read_byte_record(&mut rec) {
                    Ok(false) => break,
                    Ok(true) => {}
                    Err(e) => {
                        let line = e.position().map(|p| p.line());
                        sink.skipped(Skipped {
                            path: shown.into(),
                            line,
                            reason: format!("malformed CSV row ({e})"),
                        });
                        if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                            break;
                        }
                        continue;
                    }
                }
                let line = rec.position().map(|p| p.line());
                let field =
                    |i: usize| std::str::from_utf8(rec.get(i).unwrap_or(b"")).map(str::to_string);
                let mut parts = Vec::new();
                let mut bad = false;
                for &i in &text_cols {
                    match field(i) {
                        Ok(s) => parts.push(s),
                        Err(_) => bad = true,
                    }
                }
                if bad {
                    sink.skipped(Skipped {
                        path: shown.into(),
                        line,
                        reason: "not valid UTF-8".into(),
                    });
                    continue;
                }
                sink.listing(Listing {
                    id: c_id.and_then(|i| field(i).ok()).filter(|s| !s.is_empty()),
                    url: c_url.and_then(|i| field(i).ok()).filter(|s| !s.is_empty()),
                    path: shown.into(),
                    line,
                    text: parts.join("\n"),
                });
            }
        }
        _ => {}
    }
}

fn read_bundle(dir: &Path, sink: &mut dyn Sink) {
    let shown = dir.join("data/text.txt").display().to_string();
    let text = match std::fs::read(dir.join("data/text.txt")) {
        Ok(b) => b,
        Err(_) => return, // a failed capture has no text
    };
    let record = crate::fsutil::read_capped(
        &dir.join("data/capture.json"),
        crate::capture::record::MAX_RECORD_BYTES,
    )
    .ok()
    .and_then(|b| crate::capture::record::CaptureRecord::from_json(&b).ok());
    sink.input(InputFile {
        path: shown.clone(),
        sha256: crate::hash::sha256_hex(&text),
    });
    sink.listing(Listing {
        id: record.as_ref().map(|r| r.capture_id.clone()),
        url: record.map(|r| r.final_url),
        path: shown,
        line: None,
        text: String::from_utf8_lossy(&text).into_owned(),
    });
}

/// Most bytes of one WARC record read for a sweep.
const MAX_RECORD: u64 = 64 << 20;

/// Reads a WARC from anywhere, leniently ([`crate::warc::reader::Mode`]):
/// the text of every HTML or text response record is swept.
fn read_warc(r: &mut dyn Read, shown: &str, path: &Path, sink: &mut dyn Sink) {
    use crate::warc::reader::{Mode, WarcReader};
    let gz = path.to_string_lossy().to_lowercase().ends_with(".gz");
    let mut reader = WarcReader::new(r, gz, Mode::Lenient);
    let mut n = 0usize;
    loop {
        let head = match reader.next_record() {
            Ok(Some(h)) => h,
            Ok(None) => return,
            Err(e) => {
                sink.skipped(Skipped {
                    path: shown.into(),
                    line: None,
                    reason: format!("WARC cannot be read after record {n} ({e})"),
                });
                return;
            }
        };
        n = head.index;
        if head.header("WARC-Type") != Some("response") {
            continue;
        }
        let mut block = Vec::new();
        if let Err(e) = reader.block().take(MAX_RECORD).read_to_end(&mut block) {
            sink.skipped(Skipped {
                path: shown.into(),
                line: None,
                reason: format!("WARC cannot be read in record {n} ({e})"),
            });
            return;
        }
        if let Some(text) = crate::warc::http::html_text_of_response(&block) {
            sink.listing(Listing {
                id: head.header("WARC-Record-ID").map(str::to_string),
                url: head.header("WARC-Target-URI").map(str::to_string),
                path: shown.into(),
                line: Some(n as u64),
                text,
            });
        }
    }
}

/// A reader that hashes what passes through it.
struct HashingReader<R> {
    inner: R,
    h: HashingWriter<std::io::Sink>,
}

impl<R: Read> HashingReader<R> {
    fn new(inner: R) -> Self {
        HashingReader {
            inner,
            h: HashingWriter::new(std::io::sink()),
        }
    }
    fn finish(self) -> String {
        self.h.finish().1
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        use std::io::Write;
        self.h.write_all(&buf[..n])?;
        Ok(n)
    }
}
