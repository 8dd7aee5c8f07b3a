//! Reading listings from CSV/TSV, JSON Lines, JSON arrays, Excel workbooks,
//! HTML, WARC, bundles, cases, folders of these, and standard input. Rows
//! that cannot be read are reported with path and line and counted; they
//! never stop a sweep (the command decides what they mean for its exit
//! status). Every listing is bounded (see [`super::row`]).

use super::decode::{self, Chosen, DecodeReader};
use super::row::{Columns, MAX_LISTING_TEXT};
use crate::hash::HashingWriter;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// What was cut from a listing to keep it within bounds.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cut {
    /// The length of the listing's text when only its first
    /// [`MAX_LISTING_TEXT`] bytes were swept.
    pub(crate) text_bytes: Option<u64>,
    /// Fields not shown (past [`super::row::MAX_FIELDS_SHOWN`]).
    pub(crate) fields_not_listed: u64,
    /// Fields whose shown value was cut.
    pub(crate) fields_cut: Vec<String>,
}

/// One listing to match.
#[derive(Debug, Clone)]
pub(crate) struct Listing {
    pub(crate) id: Option<String>,
    pub(crate) url: Option<String>,
    pub(crate) path: String,
    pub(crate) line: Option<u64>,
    /// The workbook sheet, for spreadsheets.
    pub(crate) sheet: Option<String>,
    pub(crate) text: String,
    /// The listing's own fields (title, price, seller…) as shown.
    pub(crate) fields: Vec<(String, String)>,
    pub(crate) cut: Cut,
}

impl Listing {
    fn text_only(path: &str, line: Option<u64>, text: String, total: u64) -> Listing {
        Listing {
            id: None,
            url: None,
            path: path.to_string(),
            line,
            sheet: None,
            cut: Cut {
                text_bytes: (total > text.len() as u64).then_some(total),
                ..Cut::default()
            },
            text,
            fields: Vec::new(),
        }
    }
}

/// A row that could not be read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Skipped {
    pub path: String,
    pub line: Option<u64>,
    pub reason: String,
}

/// An input file, its SHA-256 (recorded in the custody log), and how it
/// was read.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct InputFile {
    pub(crate) path: String,
    pub(crate) sha256: String,
    /// csv, json-lines, json-array, xlsx, html, warc, text (a bundle's text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) encoding: Option<String>,
    /// Why that encoding: a byte order mark, valid UTF-8, a detector's guess…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) encoding_why: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) delimiter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) delimiter_why: Option<String>,
    /// Listings read from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rows: Option<u64>,
    /// Rows of it that could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) skipped: Option<u64>,
    /// Anything else an officer should know about how it was read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) notes: Vec<String>,
}

/// Why an input cannot be swept at all (a bad row is only skipped).
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{}: no such file or folder", .0.display())]
    NotFound(PathBuf),
    #[error("standard input: {0}")]
    Stdin(#[source] std::io::Error),
    #[error("{}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{}: unknown input type (use .csv, .tsv, .jsonl, .json, .xlsx, .html, .warc/.warc.gz, a bundle, a case, or a folder)",
        .0.display()
    )]
    UnknownType(PathBuf),
    #[error("{}: {why}", .path.display())]
    Unreadable { path: PathBuf, why: String },
    /// A column the officer named is not in the file.
    #[error("{0}; name the right column with --id-field, --url-field or --fields")]
    MissingColumn(String),
}

/// Where listings go as they are read.
pub(crate) trait Sink {
    fn listing(&mut self, l: Listing);
    fn skipped(&mut self, s: Skipped);
    fn input(&mut self, f: InputFile);
}

/// How inputs are read.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub columns: Columns,
    /// The encoding of CSV and JSON inputs, instead of detecting it.
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// The CSV delimiter, instead of sniffing it.
    pub delimiter: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv { tsv: bool },
    Json,
    Xlsx,
    Html,
    Warc,
}

fn format_of(p: &Path) -> Option<Format> {
    let name = p.file_name()?.to_string_lossy().to_lowercase();
    let ends = |s: &[&str]| s.iter().any(|e| name.ends_with(e));
    if ends(&[".csv"]) {
        Some(Format::Csv { tsv: false })
    } else if ends(&[".tsv", ".tab"]) {
        Some(Format::Csv { tsv: true })
    } else if ends(&[".jsonl", ".ndjson", ".json"]) {
        Some(Format::Json)
    } else if ends(&[".xlsx", ".xlsm"]) {
        Some(Format::Xlsx)
    } else if ends(&[".html", ".htm"]) {
        Some(Format::Html)
    } else if ends(&[".warc", ".warc.gz"]) {
        Some(Format::Warc)
    } else {
        None
    }
}

/// Reads `path` (a file, folder, bundle, case, or `-`).
pub(crate) fn read(path: &Path, opts: &ReadOptions, sink: &mut dyn Sink) -> Result<(), InputError> {
    let read_err = |p: &Path| {
        let path = p.to_path_buf();
        move |source| InputError::Read { path, source }
    };
    if path.as_os_str() == "-" {
        let stdin = std::io::stdin();
        let mut hasher = HashingReader::new(stdin.lock());
        let mut info = InputFile {
            path: "-".into(),
            ..InputFile::default()
        };
        read_tabular(&mut hasher, None, "-", None, opts, sink, &mut info)
            .map_err(|e| missing_column(e).unwrap_or_else(InputError::Stdin))?;
        io::copy(&mut hasher, &mut io::sink()).map_err(InputError::Stdin)?;
        info.sha256 = hasher.finish();
        sink.input(info);
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
                read(&e, opts, sink)?;
            }
        }
        return Ok(());
    }
    let fmt = format_of(path).ok_or_else(|| InputError::UnknownType(path.to_path_buf()))?;
    let shown = path.display().to_string();
    let mut info = InputFile {
        path: shown.clone(),
        ..InputFile::default()
    };
    if fmt == Format::Xlsx {
        let stats = super::xlsx_read::read(path, &shown, &opts.columns, sink)?;
        // A column named on the command line must be in some sheet; sheets
        // without it are named.
        if stats.with_header > 0 && stats.lacking.len() == stats.with_header {
            return Err(InputError::MissingColumn(format!(
                "{shown}: {}",
                stats.lacking.join("; ")
            )));
        }
        info.notes.extend(stats.lacking);
        info.format = Some("xlsx".into());
        info.rows = Some(stats.rows);
        info.skipped = Some(0);
        info.notes
            .push(format!("sheets read: {}", stats.sheets.join(", ")));
        info.sha256 = crate::hash::sha256_file(path).map_err(read_err(path))?.0;
        sink.input(info);
        return Ok(());
    }
    let file = std::fs::File::open(path).map_err(read_err(path))?;
    let mut hasher = HashingReader::new(file);
    match fmt {
        Format::Html => {
            let mut head = Vec::new();
            (&mut hasher)
                .take(4096)
                .read_to_end(&mut head)
                .map_err(read_err(path))?;
            let cs = crate::text::detect(None, &head, true);
            let mut all = io::Cursor::new(head).chain(&mut hasher);
            let mut capped = (&mut all).take(crate::capture::metadata::MAX_TEXT_INPUT);
            let (text, total, replaced) =
                crate::text::text_capped(&mut capped, cs.encoding, true, MAX_LISTING_TEXT)
                    .map_err(read_err(path))?;
            info.format = Some("html".into());
            info.encoding = Some(cs.encoding.name().into());
            if replaced {
                info.notes
                    .push("byte sequences invalid in that encoding were read as U+FFFD".into());
            }
            if md.len() > crate::capture::metadata::MAX_TEXT_INPUT {
                info.notes.push(format!(
                    "only the first {} MiB of the page were read, as a capture does",
                    crate::capture::metadata::MAX_TEXT_INPUT >> 20
                ));
            }
            info.rows = Some(1);
            sink.listing(Listing::text_only(&shown, None, text, total));
        }
        Format::Warc => {
            info.format = Some("warc".into());
            read_warc(&mut hasher, &shown, path, sink, &mut info);
        }
        Format::Csv { .. } | Format::Json => {
            let reopen = {
                let path = path.to_path_buf();
                move || std::fs::File::open(&path)
            };
            read_tabular(
                &mut hasher,
                Some(&reopen),
                &shown,
                Some(fmt),
                opts,
                sink,
                &mut info,
            )
            .map_err(|e| missing_column(e).unwrap_or_else(read_err(path)))?;
        }
        Format::Xlsx => unreachable!("read above"),
    }
    // Drain anything unread so the hash covers the whole file.
    io::copy(&mut hasher, &mut io::sink()).map_err(read_err(path))?;
    info.sha256 = hasher.finish();
    sink.input(info);
    Ok(())
}

/// Reads CSV or JSON from `r`; `fmt` None: standard input, where JSON is
/// told from CSV by its first character. `reopen` opens the same bytes
/// again (files only).
fn read_tabular(
    r: &mut dyn Read,
    reopen: Option<&dyn Fn() -> io::Result<std::fs::File>>,
    shown: &str,
    fmt: Option<Format>,
    opts: &ReadOptions,
    sink: &mut dyn Sink,
    info: &mut InputFile,
) -> io::Result<()> {
    // The first bytes decide the encoding (and for CSV the delimiter).
    let mut sample = Vec::new();
    r.take(decode::SNIFF_BYTES as u64)
        .read_to_end(&mut sample)?;
    let eof = sample.len() < decode::SNIFF_BYTES;
    let chosen = decode::choose(&sample, eof, opts.encoding);
    info.encoding = Some(chosen.encoding.name().into());
    info.encoding_why = Some(chosen.why.clone());
    let decoded_sample: Vec<u8> = if chosen.is_utf8() {
        sample[chosen.bom..].to_vec()
    } else {
        let (t, _) = chosen
            .encoding
            .decode_without_bom_handling(&sample[chosen.bom..]);
        t.into_owned().into_bytes()
    };
    let fmt =
        fmt.unwrap_or_else(
            || match decoded_sample.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'{') | Some(b'[') => Format::Json,
                _ => Format::Csv { tsv: false },
            },
        );
    let mut stream = open_decoded(Box::new(io::Cursor::new(sample).chain(r)), &chosen);
    // The input again from an offset of its decoded text: a seek in UTF-8,
    // decoding again from the start in other encodings.
    let reopen_decoded = reopen.map(|f| {
        let chosen = chosen.clone();
        move |offset: u64| -> io::Result<Box<dyn BufRead>> {
            let mut file = f()?;
            if chosen.is_utf8() {
                use std::io::{Seek, SeekFrom};
                file.seek(SeekFrom::Start(chosen.bom as u64 + offset))?;
                return Ok(Box::new(BufReader::with_capacity(64 << 10, file)));
            }
            let mut text = open_decoded(Box::new(file), &chosen).0;
            io::copy(&mut (&mut text).take(offset), &mut io::sink())?;
            Ok(text)
        }
    });
    match fmt {
        Format::Json => {
            let stats = super::json_read::read(stream.0.as_mut(), shown, &opts.columns, sink)?;
            info.format = Some(
                if stats.shape == "JSON array" {
                    "json-array"
                } else {
                    "json-lines"
                }
                .into(),
            );
            info.rows = Some(stats.rows);
            info.skipped = Some(stats.skipped);
        }
        _ => {
            let tsv = matches!(fmt, Format::Csv { tsv: true });
            let delimiter = match opts.delimiter {
                Some(b) => super::csv_read::Delimiter {
                    byte: b,
                    why: "named with --delimiter".into(),
                    skip_lines: 0,
                },
                None => super::csv_read::sniff(
                    &decoded_sample[..decoded_sample.len().min(64 << 10)],
                    tsv,
                ),
            };
            info.format = Some("csv".into());
            info.delimiter = Some(super::csv_read::delimiter_name(delimiter.byte));
            info.delimiter_why = Some(delimiter.why.clone());
            let cfg = super::csv_read::CsvConfig {
                shown,
                delimiter: &delimiter,
                cols: &opts.columns,
                check_utf8: chosen.is_utf8(),
            };
            let stats = super::csv_read::read(
                stream.0.as_mut(),
                reopen_decoded
                    .as_ref()
                    .map(|f| f as &dyn Fn(u64) -> io::Result<Box<dyn BufRead>>),
                &cfg,
                sink,
            )?;
            if let Some(m) = stats.missing {
                // Reported as the error it is, by the caller's caller.
                return Err(io::Error::new(io::ErrorKind::InvalidData, MissingColumn(m)));
            }
            info.rows = Some(stats.rows);
            info.skipped = Some(stats.skipped);
            info.notes.extend(stats.notes);
        }
    }
    if stream.1.get() {
        info.notes.push(format!(
            "byte sequences invalid in {} were read as U+FFFD",
            chosen.encoding.name()
        ));
    }
    Ok(())
}

/// A missing column, carried through `io::Error` to [`InputError::MissingColumn`].
#[derive(Debug)]
pub(crate) struct MissingColumn(pub(crate) String);

impl std::fmt::Display for MissingColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MissingColumn {}

/// The [`InputError::MissingColumn`] an `io::Error` carries, or the error
/// back.
fn missing_column(e: io::Error) -> Result<InputError, io::Error> {
    match e.get_ref().and_then(|x| x.downcast_ref::<MissingColumn>()) {
        Some(m) => Ok(InputError::MissingColumn(m.0.clone())),
        None => Err(e),
    }
}

/// Whether malformed sequences were replaced while decoding.
#[derive(Clone, Default)]
struct Replaced(std::rc::Rc<std::cell::Cell<bool>>);

impl Replaced {
    fn get(&self) -> bool {
        self.0.get()
    }
}

/// `raw` (BOM included) as UTF-8 text.
fn open_decoded<'a>(raw: Box<dyn Read + 'a>, chosen: &Chosen) -> (Box<dyn BufRead + 'a>, Replaced) {
    let replaced = Replaced::default();
    let mut raw = raw;
    let mut bom = vec![0u8; chosen.bom];
    if raw.read_exact(&mut bom).is_err() {
        return (Box::new(BufReader::new(io::empty())), replaced);
    }
    if chosen.is_utf8() {
        return (Box::new(BufReader::with_capacity(64 << 10, raw)), replaced);
    }
    struct Noting<R> {
        inner: DecodeReader<R>,
        replaced: Replaced,
    }
    impl<R: Read> Read for Noting<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            if self.inner.replaced {
                self.replaced.0.set(true);
            }
            Ok(n)
        }
    }
    impl<R: Read> BufRead for Noting<R> {
        fn fill_buf(&mut self) -> io::Result<&[u8]> {
            if self.inner.replaced {
                self.replaced.0.set(true);
            }
            self.inner.fill_buf()
        }
        fn consume(&mut self, amt: usize) {
            self.inner.consume(amt);
        }
    }
    (
        Box::new(Noting {
            inner: DecodeReader::new(raw, chosen.encoding),
            replaced: replaced.clone(),
        }),
        replaced,
    )
}

fn read_bundle(dir: &Path, sink: &mut dyn Sink) {
    let text_path = dir.join("data/text.txt");
    let shown = text_path.display().to_string();
    let Ok(file) = std::fs::File::open(&text_path) else {
        return; // a failed capture has no text
    };
    let total = file.metadata().map_or(0, |m| m.len());
    let mut hasher = HashingReader::new(file);
    let mut bytes = Vec::new();
    if (&mut hasher)
        .take(MAX_LISTING_TEXT as u64)
        .read_to_end(&mut bytes)
        .is_err()
    {
        return;
    }
    let _ = io::copy(&mut hasher, &mut io::sink());
    let record = crate::fsutil::read_capped(
        &dir.join("data/capture.json"),
        crate::capture::record::MAX_RECORD_BYTES,
    )
    .ok()
    .and_then(|b| crate::capture::record::CaptureRecord::from_json(&b).ok());
    sink.input(InputFile {
        path: shown.clone(),
        sha256: hasher.finish(),
        format: Some("text".into()),
        rows: Some(1),
        ..InputFile::default()
    });
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let good = e.utf8_error().valid_up_to();
            let b = e.into_bytes();
            if good + 4 >= b.len() && total > b.len() as u64 {
                String::from_utf8_lossy(&b[..good]).into_owned()
            } else {
                String::from_utf8_lossy(&b).into_owned()
            }
        }
    };
    let mut l = Listing::text_only(&shown, None, text, total);
    l.id = record.as_ref().map(|r| r.capture_id.clone());
    l.url = record.map(|r| r.final_url);
    sink.listing(l);
}

/// Most bytes of one WARC record read for a sweep.
const MAX_RECORD: u64 = 64 << 20;

/// Reads a WARC from anywhere, leniently ([`crate::warc::reader::Mode`]):
/// the text of every HTML or text response record is swept.
fn read_warc(
    r: &mut dyn Read,
    shown: &str,
    path: &Path,
    sink: &mut dyn Sink,
    info: &mut InputFile,
) {
    use crate::warc::reader::{Mode, WarcReader};
    let gz = path.to_string_lossy().to_lowercase().ends_with(".gz");
    let mut reader = WarcReader::new(r, gz, Mode::Lenient);
    let mut n = 0usize;
    let (mut rows, mut skipped) = (0u64, 0u64);
    loop {
        let head = match reader.next_record() {
            Ok(Some(h)) => h,
            Ok(None) => break,
            Err(e) => {
                skipped += 1;
                sink.skipped(Skipped {
                    path: shown.into(),
                    line: None,
                    reason: format!("WARC cannot be read after record {n} ({e})"),
                });
                break;
            }
        };
        n = head.index;
        if head.header("WARC-Type") != Some("response") {
            continue;
        }
        let mut block = Vec::new();
        if let Err(e) = reader.block().take(MAX_RECORD).read_to_end(&mut block) {
            skipped += 1;
            sink.skipped(Skipped {
                path: shown.into(),
                line: None,
                reason: format!("WARC cannot be read in record {n} ({e})"),
            });
            break;
        }
        if let Some((text, total)) =
            crate::warc::http::text_of_response_capped(block, MAX_LISTING_TEXT)
        {
            rows += 1;
            let mut l = Listing::text_only(shown, Some(n as u64), text, total);
            l.id = head.header("WARC-Record-ID").map(str::to_string);
            l.url = head.header("WARC-Target-URI").map(str::to_string);
            sink.listing(l);
        }
    }
    info.rows = Some(rows);
    info.skipped = Some(skipped);
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

/// A [`Sink`] that keeps everything, for the readers' unit tests.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct Collect {
    pub(crate) rows: Vec<Listing>,
    pub(crate) skipped: Vec<Skipped>,
}

#[cfg(test)]
impl Sink for Collect {
    fn listing(&mut self, l: Listing) {
        self.rows.push(l);
    }
    fn skipped(&mut self, s: Skipped) {
        self.skipped.push(s);
    }
    fn input(&mut self, _: InputFile) {}
}
