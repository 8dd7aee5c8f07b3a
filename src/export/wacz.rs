//! `warden export wacz`: a WACZ 1.1.1 file (Web Archive Collection Zipped,
//! <https://specs.webrecorder.net/wacz/1.1.1/>) that ReplayWeb.page and
//! pywb replay, made from verified bundles only. What it holds is specified
//! in `docs/export.md`:
//!
//! - `archive/<capture-id>.warc.gz`: each bundle's `data/capture.warc.gz`,
//!   byte for byte (so its SHA-256 is the one in the bundle's signed
//!   manifest), stored without compression so byte ranges can be read;
//! - `indexes/index.cdxj`: one line per response, resource or revisit
//!   record, with the offset and length of its gzip member;
//! - `pages/pages.jsonl`: one line per capture that got a response;
//! - `datapackage.json` and `datapackage-digest.json`.
//!
//! Every file read is bounded or streamed: WARCs go into the zip as they
//! are read (and indexed on the way), never whole in memory.

use super::{ExportError, io_err};
use crate::capture::record::{CaptureRecord, MAX_RECORD_BYTES};
use crate::fsutil;
use crate::hash::HashingWriter;
use crate::http::{HeadParser, MAX_HEAD_BYTES};
use crate::verify::{Verdict, VerifyOptions};
use crate::warc::members::{MemberRecords, MemberSpan};
use crate::warc::reader::RecordHead;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// The WACZ version written.
pub const WACZ_VERSION: &str = "1.1.1";

/// Most bytes of index and page lines held in memory (they are sorted
/// before being written).
pub(crate) const MAX_INDEX_BYTES: usize = 256 << 20;
/// Most bytes read from `manifest-sha256.txt`.
const MAX_MANIFEST: u64 = 16 << 20;
/// Most bytes of the page read to find its `<title>`.
const MAX_TITLE_INPUT: usize = 256 << 10;
/// Longest title kept, in characters.
const MAX_TITLE_CHARS: usize = 500;
/// Longest MIME type kept in the index, in bytes.
const MAX_MIME: usize = 200;

const WARC: &str = "data/capture.warc.gz";
const CAPTURE_JSON: &str = "data/capture.json";
const PAGE_HTML: &str = "data/page.html";
const MANIFEST: &str = "manifest-sha256.txt";

const INDEX_PATH: &str = "indexes/index.cdxj";
const PAGES_PATH: &str = "pages/pages.jsonl";
const DATAPACKAGE: &str = "datapackage.json";
const DATAPACKAGE_DIGEST: &str = "datapackage-digest.json";

/// What to export, and how to anchor its verification.
#[derive(Debug, Clone, Default)]
pub struct WaczOptions {
    /// A case folder or one bundle folder.
    pub input: PathBuf,
    /// The `.wacz` file to create; it must not exist.
    pub out: PathBuf,
    /// Passed to verification (see [`VerifyOptions::trust_keys`]); a lone
    /// bundle outside its case needs one to verify.
    pub trust_keys: Vec<String>,
    /// Passed to verification (see [`VerifyOptions::expect_fingerprints`]).
    pub expect_fingerprints: Vec<String>,
    /// This computer's custody-log witness folder, for verification.
    pub witness_dir: Option<PathBuf>,
}

/// What was written.
#[derive(Debug, Clone, Serialize)]
pub struct WaczSummary {
    /// The `.wacz` file.
    pub path: PathBuf,
    /// Its SHA-256 (lowercase hex) and size.
    pub sha256: String,
    pub bytes: u64,
    /// Lines of `pages/pages.jsonl` (captures that got a response).
    pub pages: usize,
    /// Bundles exported (one WARC file each).
    pub bundles: usize,
    /// Lines of `indexes/index.cdxj`.
    pub index_records: usize,
}

/// Verifies `opts.input` and, if it verifies, writes it as a WACZ file.
pub fn write(opts: &WaczOptions) -> Result<WaczSummary, ExportError> {
    let out = &opts.out;
    let out_name = match out.file_name().and_then(|n| n.to_str()) {
        Some(n) if n.len() > 5 && n.to_ascii_lowercase().ends_with(".wacz") => n.to_string(),
        _ => return Err(ExportError::OutName(out.clone())),
    };
    if std::fs::symlink_metadata(out).is_ok() {
        return Err(ExportError::OutExists(out.clone()));
    }
    let input = Input::find(&opts.input)?;
    let out_dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let out_dir_real = std::fs::canonicalize(&out_dir).map_err(io_err(&out_dir))?;
    if out_dir_real.starts_with(&input.protected) {
        return Err(ExportError::OutInsideEvidence {
            out: out.clone(),
            inside: input.protected.clone(),
        });
    }

    // What each manifest is now (its SHA-256); verification must see the
    // same, and so must the export.
    let before: Vec<Option<String>> = input
        .bundles
        .iter()
        .map(|b| {
            fsutil::read_capped(&b.join(MANIFEST), MAX_MANIFEST)
                .ok()
                .map(|m| crate::hash::sha256_hex(&m))
        })
        .collect();
    let report = crate::verify::verify(
        &VerifyOptions {
            paths: vec![opts.input.clone()],
            tsa_ca: None,
            trust_keys: opts.trust_keys.clone(),
            expect_fingerprints: opts.expect_fingerprints.clone(),
            witness_dir: opts.witness_dir.clone(),
            checkpoints: Vec::new(),
        },
        &mut |_| {},
    )?;
    match report.verdict {
        Verdict::Verified => {}
        Verdict::NothingToVerify => return Err(ExportError::NothingToExport(opts.input.clone())),
        Verdict::Failed => {
            let first = report.problems.first();
            return Err(ExportError::NotVerified {
                path: opts.input.clone(),
                count: report.problems.len(),
                first_path: first.map(|p| p.path.clone()).unwrap_or_default(),
                first_message: first
                    .map(|p| crate::text::one_line(&p.message))
                    .unwrap_or_default(),
            });
        }
    }
    if input.bundles.is_empty() {
        return Err(ExportError::NothingToExport(opts.input.clone()));
    }

    let tmp = TempFile {
        path: out_dir.join(format!(".{out_name}.partial-{}", uuid::Uuid::new_v4())),
        keep: false,
    };
    let file = fsutil::create_new(&tmp.path).map_err(io_err(&tmp.path))?;
    let mut zip = zip::ZipWriter::new(file);
    let mut acc = Accumulated::default();
    let mut resources = Vec::new();
    let mut title = input.title.clone();
    for (dir, manifest) in input.bundles.iter().zip(before) {
        let bundle = Bundle::open(dir, manifest)?;
        if title.is_none() {
            title = Some(format!(
                "{}: {}",
                bundle.record.case_id, bundle.record.case_title
            ));
        }
        resources.push(export_bundle(&bundle, &mut zip, &tmp.path, &mut acc)?);
    }
    acc.index.sort_unstable();
    let index_records = acc.index.len();
    let pages = acc.pages.len();
    let mut header = serde_json::to_string(&json!({
        "format": "json-pages-1.0",
        "id": "pages",
        "title": "All Pages",
    }))
    .expect("JSON serialises");
    header.push('\n');
    let write_err = |e: io::Error| io_err(&tmp.path)(e);
    resources.push(
        put_lines(
            &mut zip,
            INDEX_PATH,
            None,
            acc.index.iter().map(|l| l.as_bytes()),
        )
        .map_err(write_err)?,
    );
    resources.push(
        put_lines(
            &mut zip,
            PAGES_PATH,
            Some(header.as_bytes()),
            acc.pages.iter().map(|l| l.as_bytes()),
        )
        .map_err(write_err)?,
    );
    drop(acc);
    let count = input.bundles.len();
    let description = format!(
        "Exported by warden from {count} verified evidence bundle(s). Each archive/<capture-id>.warc.gz is byte for byte the data/capture.warc.gz of evidence bundle <capture-id>, whose SHA-256 its signed manifest-sha256.txt records."
    );
    let datapackage = serde_json::to_vec_pretty(&json!({
        "profile": "data-package",
        "wacz_version": WACZ_VERSION,
        "title": title.unwrap_or_default(),
        "description": description,
        "created": crate::now_rfc3339(),
        "software": format!("warden {}", crate::VERSION),
        "resources": resources,
    }))
    .expect("JSON serialises");
    let digest = serde_json::to_vec_pretty(&json!({
        "path": DATAPACKAGE,
        "hash": format!("sha256:{}", crate::hash::sha256_hex(&datapackage)),
    }))
    .expect("JSON serialises");
    put_lines(
        &mut zip,
        DATAPACKAGE,
        Some(&datapackage),
        std::iter::empty(),
    )
    .map_err(write_err)?;
    put_lines(
        &mut zip,
        DATAPACKAGE_DIGEST,
        Some(&digest),
        std::iter::empty(),
    )
    .map_err(write_err)?;
    let file = zip
        .finish()
        .map_err(io::Error::from)
        .map_err(io_err(&tmp.path))?;
    file.sync_all().map_err(io_err(&tmp.path))?;
    drop(file);
    let (sha256, bytes) = crate::hash::sha256_file(&tmp.path).map_err(io_err(&tmp.path))?;
    fsutil::rename_noreplace(&tmp.path, out).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            ExportError::OutExists(out.clone())
        } else {
            io_err(out)(e)
        }
    })?;
    let mut tmp = tmp;
    tmp.keep = true;
    fsutil::sync_dir(&out_dir).map_err(io_err(&out_dir))?;
    Ok(WaczSummary {
        path: out.clone(),
        sha256,
        bytes,
        pages,
        bundles: count,
        index_records,
    })
}

/// The folder given, and the bundles in it.
struct Input {
    /// Bundle folders, in capture order.
    bundles: Vec<PathBuf>,
    /// The folder the export must not be written into: the case (for a
    /// case or a bundle inside one) or the bundle.
    protected: PathBuf,
    /// `<case id>: <case title>` from `case.toml`, for a case.
    title: Option<String>,
}

impl Input {
    fn find(path: &Path) -> Result<Input, ExportError> {
        let md = std::fs::symlink_metadata(path).map_err(|_| ExportError::NotFound(path.into()))?;
        if !md.is_dir() {
            // A link to a folder is followed, as verify follows it.
            if !(md.file_type().is_symlink() && path.is_dir()) {
                return Err(ExportError::NotAFolder(path.into()));
            }
        }
        let real = std::fs::canonicalize(path).map_err(io_err(path))?;
        if real.join(crate::case::CASE_FILE).exists() {
            let case = crate::case::Case::open(&real)?;
            let evidence = case.evidence_dir();
            let mut bundles = Vec::new();
            let entries = match std::fs::read_dir(&evidence) {
                Ok(e) => e,
                // Verification reports the missing folder.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Ok(Input {
                        bundles,
                        protected: real,
                        title: None,
                    });
                }
                Err(e) => return Err(io_err(&evidence)(e)),
            };
            for entry in entries {
                let entry = entry.map_err(io_err(&evidence))?;
                let is_dir = entry.file_type().map_err(io_err(&evidence))?.is_dir();
                // `.partial-*` folders are not evidence; anything else that
                // is not a bundle folder makes verification fail.
                if is_dir && !entry.file_name().to_string_lossy().starts_with('.') {
                    bundles.push(entry.path());
                }
            }
            bundles.sort();
            let info = &case.config.case;
            return Ok(Input {
                bundles,
                protected: real,
                title: Some(format!("{}: {}", info.id, info.title)),
            });
        }
        if real.join(crate::bundle::BAGIT_TXT).exists() {
            let case_root = real
                .parent()
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n == crate::case::EVIDENCE_DIR)
                })
                .and_then(Path::parent)
                .filter(|c| c.join(crate::case::CASE_FILE).exists())
                .map(Path::to_path_buf);
            return Ok(Input {
                bundles: vec![real.clone()],
                protected: case_root.unwrap_or(real),
                title: None,
            });
        }
        Err(ExportError::NotEvidence(path.into()))
    }
}

/// A verified bundle, re-read and checked against its manifest.
struct Bundle {
    dir: PathBuf,
    id: String,
    record: CaptureRecord,
    /// SHA-256 the manifest records for the WARC and the HTML page.
    warc_sha256: String,
    page_sha256: Option<String>,
}

impl Bundle {
    /// `before` is the SHA-256 of the manifest before verification.
    fn open(dir: &Path, before: Option<String>) -> Result<Bundle, ExportError> {
        let manifest_path = dir.join(MANIFEST);
        let changed = |path: &Path, detail: &str| ExportError::Changed {
            path: path.to_path_buf(),
            detail: detail.to_string(),
        };
        let manifest = fsutil::read_capped(&manifest_path, MAX_MANIFEST)
            .map_err(|e| changed(&manifest_path, &e.to_string()))?;
        if before.as_deref() != Some(crate::hash::sha256_hex(&manifest).as_str()) {
            return Err(changed(
                &manifest_path,
                "it is not the manifest that was verified",
            ));
        }
        let entries = std::str::from_utf8(&manifest)
            .ok()
            .and_then(|t| crate::bundle::bagit::parse_manifest(t, 64).ok())
            .ok_or_else(|| changed(&manifest_path, "it no longer reads as a manifest"))?;
        let hash_of = |name: &str| {
            entries
                .iter()
                .find(|(p, _)| p == name)
                .map(|(_, h)| h.clone())
        };
        let unreadable = |path: &Path, detail: String| ExportError::Unreadable {
            path: path.to_path_buf(),
            detail,
        };
        let warc_sha256 = hash_of(WARC).ok_or_else(|| {
            unreadable(
                &manifest_path,
                format!("lists no {WARC}, so the bundle holds no WARC to export"),
            )
        })?;
        let json_path = dir.join(CAPTURE_JSON);
        let json = fsutil::read_capped(&json_path, MAX_RECORD_BYTES)
            .map_err(|e| changed(&json_path, &e.to_string()))?;
        if hash_of(CAPTURE_JSON).as_deref() != Some(crate::hash::sha256_hex(&json).as_str()) {
            return Err(changed(&json_path, "its SHA-256 is not the manifest's"));
        }
        let record = CaptureRecord::from_json(&json)
            .map_err(|e| unreadable(&json_path, format!("not a capture record: {e}")))?;
        // The id names a file in the export: it must be the canonical form
        // of a UUID, and the bundle's folder name.
        let id = record.capture_id.clone();
        let canonical = uuid::Uuid::parse_str(&id)
            .map(|u| u.hyphenated().to_string())
            .ok();
        let folder = dir.file_name().map(|n| n.to_string_lossy().into_owned());
        if canonical.as_deref() != Some(id.as_str()) || folder.as_deref() != Some(id.as_str()) {
            return Err(unreadable(
                &json_path,
                format!(
                    "capture_id {:?} is not a lowercase UUID equal to the folder name",
                    crate::text::one_line(&id.chars().take(80).collect::<String>())
                ),
            ));
        }
        let page_sha256 = match &record.page {
            Some(p) if p.file == PAGE_HTML => hash_of(PAGE_HTML),
            _ => None,
        };
        Ok(Bundle {
            dir: dir.to_path_buf(),
            id,
            record,
            warc_sha256,
            page_sha256,
        })
    }

    /// The `<title>` of the HTML page, if it has one (the page is hashed
    /// whole and must match the manifest; only its start is parsed).
    fn title(&self) -> Result<Option<String>, ExportError> {
        let Some(want) = &self.page_sha256 else {
            return Ok(None);
        };
        let path = self.dir.join(PAGE_HTML);
        let changed = |detail: String| ExportError::Changed {
            path: path.clone(),
            detail,
        };
        let mut file = fsutil::open_regular_nofollow(&path).map_err(|e| changed(e.to_string()))?;
        let mut hasher = Sha256::new();
        let mut start = Vec::new();
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(changed(e.to_string())),
            };
            hasher.update(&buf[..n]);
            let room = MAX_TITLE_INPUT.saturating_sub(start.len());
            start.extend_from_slice(&buf[..n.min(room)]);
        }
        if hex::encode(hasher.finalize()) != *want {
            return Err(changed("its SHA-256 is not the manifest's".into()));
        }
        let encoding = self
            .record
            .page
            .as_ref()
            .and_then(|p| p.charset.as_deref())
            .and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes()))
            .unwrap_or(encoding_rs::UTF_8);
        let (text, _, _) = encoding.decode(&start);
        Ok(html_title(&text))
    }
}

/// Index and page lines gathered from every bundle.
#[derive(Default)]
struct Accumulated {
    index: Vec<String>,
    pages: Vec<String>,
    bytes: usize,
}

impl Accumulated {
    fn push(lines: &mut Vec<String>, bytes: &mut usize, line: String) -> Result<(), ExportError> {
        *bytes += line.len() + 1;
        if *bytes > MAX_INDEX_BYTES {
            return Err(ExportError::TooLarge);
        }
        lines.push(line);
        Ok(())
    }
}

/// One `datapackage.json` resource.
#[derive(Debug, Clone, Serialize)]
struct Resource {
    name: String,
    path: String,
    hash: String,
    bytes: u64,
}

/// What the index needs from one record.
struct Indexed {
    kind: String,
    url: String,
    date: String,
    mime: String,
    status: Option<u16>,
    digest: Option<String>,
}

/// Streams the bundle's WARC into the zip as `archive/<id>.warc.gz`,
/// indexing each record on the way; adds its page to the page list.
fn export_bundle(
    bundle: &Bundle,
    zip: &mut zip::ZipWriter<std::fs::File>,
    tmp: &Path,
    acc: &mut Accumulated,
) -> Result<Resource, ExportError> {
    let warc_path = bundle.dir.join(WARC);
    let unreadable = |detail: String| ExportError::Unreadable {
        path: warc_path.clone(),
        detail,
    };
    let file = fsutil::open_regular_nofollow(&warc_path).map_err(|e| unreadable(e.to_string()))?;
    let size = file
        .metadata()
        .map_err(|e| unreadable(e.to_string()))?
        .len();
    let filename = format!("{}.warc.gz", bundle.id);
    let name = format!("archive/{filename}");
    zip.start_file(name.as_str(), entry_options(size))
        .map_err(io::Error::from)
        .map_err(io_err(tmp))?;
    let mut tee = Tee {
        inner: file,
        out: zip,
        hasher: Sha256::new(),
        bytes: 0,
        write_error: None,
    };
    let mut first_response: Option<(String, String)> = None;
    let result = (|| -> io::Result<()> {
        let mut members = MemberRecords::new(&mut tee);
        while let Some((span, indexed)) = members.next_with(index_record)? {
            let Some(rec) = indexed else { continue };
            if rec.kind == "response" && first_response.is_none() {
                first_response = Some((rec.url.clone(), rec.date.clone()));
            }
            let line = cdxj_line(&rec, span, &filename).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("the record at offset {}: {e}", span.offset),
                )
            })?;
            Accumulated::push(&mut acc.index, &mut acc.bytes, line)
                .map_err(|_| io::Error::other(TOO_LARGE))?;
        }
        Ok(())
    })();
    if let Some(e) = tee.write_error.take() {
        return Err(io_err(tmp)(e));
    }
    if let Err(e) = result {
        if e.to_string() == TOO_LARGE {
            return Err(ExportError::TooLarge);
        }
        return Err(unreadable(format!("cannot be indexed: {e}")));
    }
    let sha256 = hex::encode(tee.hasher.finalize());
    if sha256 != bundle.warc_sha256 {
        return Err(ExportError::Changed {
            path: warc_path,
            detail: "its SHA-256 is not the manifest's".into(),
        });
    }
    if let Some((url, ts)) = first_response {
        let mut page = serde_json::Map::new();
        page.insert("id".into(), bundle.id.clone().into());
        page.insert("url".into(), url.into());
        page.insert("ts".into(), ts.into());
        if let Some(title) = bundle.title()? {
            page.insert("title".into(), title.into());
        }
        let line = serde_json::to_string(&page).expect("JSON serialises");
        Accumulated::push(&mut acc.pages, &mut acc.bytes, line)?;
    }
    Ok(Resource {
        name: filename,
        path: name,
        hash: format!("sha256:{sha256}"),
        bytes: tee.bytes,
    })
}

/// Marks the index outgrowing [`MAX_INDEX_BYTES`] inside an `io::Error`.
const TOO_LARGE: &str = "the index is too large";

/// The index fields of a response, resource or revisit record; `None` for
/// other records.
fn index_record(head: &RecordHead, block: &mut dyn Read) -> io::Result<Option<Indexed>> {
    let kind = head.header("WARC-Type").unwrap_or("").to_ascii_lowercase();
    if !matches!(kind.as_str(), "response" | "resource" | "revisit") {
        return Ok(None);
    }
    let url = head.header("WARC-Target-URI").unwrap_or("");
    // WARC 1.0 writers may wrap the URI in angle brackets.
    let url = url
        .strip_prefix('<')
        .and_then(|u| u.strip_suffix('>'))
        .unwrap_or(url)
        .to_string();
    let date = head.header("WARC-Date").unwrap_or("").to_string();
    let content_type = head.header("Content-Type").unwrap_or("");
    let digest = head.header("WARC-Payload-Digest").map(str::to_string);
    let (mut mime, mut status) = (None, None);
    if content_type.starts_with("application/http") {
        if let Some(h) = http_head(block)? {
            status = Some(h.status);
            mime = h.text("content-type").map(|ct| mime_of(&ct));
        }
    } else if kind == "resource" {
        mime = Some(mime_of(content_type));
    }
    let mime = if kind == "revisit" {
        "warc/revisit".to_string()
    } else {
        mime.filter(|m| !m.is_empty())
            .unwrap_or_else(|| "unk".to_string())
    };
    Ok(Some(Indexed {
        kind,
        url,
        date,
        mime,
        status,
        digest,
    }))
}

/// The final HTTP head at the start of a record block, read with the one
/// HTTP reader (informational heads skipped); `None` if the block does not
/// start with a readable head. Reads at most about [`MAX_HEAD_BYTES`].
fn http_head(block: &mut dyn Read) -> io::Result<Option<crate::http::Head>> {
    let mut parser = HeadParser::new();
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 16 << 10];
    loop {
        let n = block.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        match parser.parse(&buf) {
            Ok(Some(heads)) => return Ok(Some(heads.last)),
            Ok(None) if buf.len() <= MAX_HEAD_BYTES => {}
            _ => return Ok(None),
        }
    }
}

/// The media type of a Content-Type value: parameters dropped, lowercase.
fn mime_of(content_type: &str) -> String {
    let m = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if m.len() > MAX_MIME || m.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return "unk".into();
    }
    m
}

/// One CDXJ line: SURT key, 14-digit time-stamp, JSON fields.
fn cdxj_line(rec: &Indexed, span: MemberSpan, filename: &str) -> Result<String, String> {
    let ts = timestamp14(&rec.date)
        .ok_or_else(|| format!("WARC-Date {:?} is not a valid date", rec.date))?;
    if rec.url.is_empty() {
        return Err("no WARC-Target-URI".into());
    }
    let mut fields = serde_json::Map::new();
    fields.insert("url".into(), rec.url.clone().into());
    fields.insert("mime".into(), rec.mime.clone().into());
    if let Some(s) = rec.status {
        fields.insert("status".into(), s.to_string().into());
    }
    if let Some(d) = &rec.digest {
        fields.insert("digest".into(), d.clone().into());
    }
    fields.insert("length".into(), span.length.to_string().into());
    fields.insert("offset".into(), span.offset.to_string().into());
    fields.insert("filename".into(), filename.into());
    let json = serde_json::to_string(&fields).expect("JSON serialises");
    Ok(format!("{} {ts} {json}", surt(&rec.url)))
}

/// `YYYYMMDDhhmmss` (UTC) of a WARC-Date.
fn timestamp14(date: &str) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(date).ok()?;
    Some(
        t.with_timezone(&chrono::Utc)
            .format("%Y%m%d%H%M%S")
            .to_string(),
    )
}

/// The SURT form of a URL used as the CDXJ sort key, as pywb's `surt`
/// library and ReplayWeb.page compute it for the URLs warden captures:
/// scheme dropped, host lowercased, a leading `www.` (or `www2.`…) dropped,
/// host labels reversed and joined with commas, a non-default port kept,
/// then `)`, the path and the query (lowercased, query parameters sorted),
/// no fragment. Anything that is not an http(s) URL is its lowercase self.
/// The key never holds a space or control character (they are
/// percent-encoded), so it cannot break the line format.
fn surt(url: &str) -> String {
    let key = match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
            let host = u.host_str().unwrap_or("").to_ascii_lowercase();
            let mut key = match u.host() {
                Some(url::Host::Domain(_)) => {
                    let host = strip_www(&host);
                    host.split('.').rev().collect::<Vec<_>>().join(",")
                }
                Some(url::Host::Ipv4(_)) => host.split('.').rev().collect::<Vec<_>>().join(","),
                _ => host,
            };
            if let Some(port) = u.port() {
                key.push(':');
                key.push_str(&port.to_string());
            }
            key.push(')');
            key.push_str(&u.path().to_lowercase());
            if let Some(q) = u.query().filter(|q| !q.is_empty()) {
                let q = q.to_lowercase();
                let mut params: Vec<&str> = q.split('&').collect();
                params.sort_unstable();
                key.push('?');
                key.push_str(&params.join("&"));
            }
            key
        }
        _ => url.to_lowercase(),
    };
    let mut out = String::with_capacity(key.len());
    for c in key.chars() {
        if c.is_whitespace() || c.is_control() {
            let mut b = [0u8; 4];
            for byte in c.encode_utf8(&mut b).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The host without a leading `www.`, `www1.`, `www2.`… label.
fn strip_www(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix("www") {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if let Some(after) = rest[digits..].strip_prefix('.')
            && !after.is_empty()
        {
            return after;
        }
    }
    host
}

/// Zip entry options: stored (no compression, so byte ranges of the WARC
/// can be read in place), the export time, ZIP64 for a file of 4 GiB or
/// more.
fn entry_options(size: u64) -> zip::write::SimpleFileOptions {
    let now = chrono::Utc::now();
    use chrono::{Datelike, Timelike};
    let time = zip::DateTime::from_date_and_time(
        now.year().clamp(1980, 2107) as u16,
        now.month() as u8,
        now.day() as u8,
        now.hour() as u8,
        now.minute() as u8,
        now.second() as u8,
    )
    .unwrap_or_default();
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(time)
        .unix_permissions(0o644)
        .large_file(size >= u64::from(u32::MAX))
}

/// Writes one zip entry: `first`, then each line followed by `\n`.
fn put_lines<'l>(
    zip: &mut zip::ZipWriter<std::fs::File>,
    path: &str,
    first: Option<&[u8]>,
    lines: impl Iterator<Item = &'l [u8]>,
) -> io::Result<Resource> {
    // The size is not known in advance; ZIP64 costs nothing for small
    // entries but is only needed past 4 GiB, which the bound on the index
    // rules out.
    zip.start_file(path, entry_options(0))
        .map_err(io::Error::from)?;
    let mut w = HashingWriter::new(io::BufWriter::new(&mut *zip));
    if let Some(f) = first {
        w.write_all(f)?;
    }
    for l in lines {
        w.write_all(l)?;
        w.write_all(b"\n")?;
    }
    let (inner, sha256, bytes) = w.finish();
    inner.into_inner().map_err(|e| e.into_error())?;
    Ok(Resource {
        name: path.rsplit('/').next().unwrap_or(path).to_string(),
        path: path.to_string(),
        hash: format!("sha256:{sha256}"),
        bytes,
    })
}

/// Reads from `inner`, copying every byte to `out` and hashing it.
struct Tee<'a, R> {
    inner: R,
    out: &'a mut zip::ZipWriter<std::fs::File>,
    hasher: Sha256,
    bytes: u64,
    /// The error writing to `out`, kept apart from reading errors.
    write_error: Option<io::Error>,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            if let Err(e) = self.out.write_all(&buf[..n]) {
                let msg = e.to_string();
                self.write_error = Some(e);
                return Err(io::Error::other(format!("writing the export: {msg}")));
            }
            self.hasher.update(&buf[..n]);
            self.bytes += n as u64;
        }
        Ok(n)
    }
}

/// A temporary output file, removed unless kept.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The first `<title>` of an HTML document: entities decoded, white space
/// collapsed, control characters dropped, at most [`MAX_TITLE_CHARS`]
/// characters; `None` if there is none or it is empty.
fn html_title(html: &str) -> Option<String> {
    use html5ever::tendril::StrTendril;
    use html5ever::tokenizer::states::RawKind;
    use html5ever::tokenizer::{
        BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
    };
    use std::cell::RefCell;

    #[derive(Default)]
    struct State {
        inside: bool,
        done: bool,
        text: String,
    }
    struct Sink(RefCell<State>);
    impl TokenSink for Sink {
        type Handle = ();
        fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
            let mut s = self.0.borrow_mut();
            if s.done {
                return TokenSinkResult::Continue;
            }
            match token {
                Token::TagToken(tag) if &*tag.name == "title" => match tag.kind {
                    TagKind::StartTag if !tag.self_closing => {
                        s.inside = true;
                        return TokenSinkResult::RawData(RawKind::Rcdata);
                    }
                    TagKind::EndTag if s.inside => s.done = true,
                    _ => {}
                },
                Token::CharacterTokens(t) if s.inside && s.text.len() < MAX_TITLE_CHARS * 8 => {
                    s.text.push_str(&t);
                }
                _ => {}
            }
            TokenSinkResult::Continue
        }
    }
    let tokenizer = Tokenizer::new(Sink(RefCell::default()), TokenizerOpts::default());
    let queue = BufferQueue::default();
    queue.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&queue);
    tokenizer.end();
    let text = std::mem::take(&mut tokenizer.sink.0.borrow_mut().text);
    let words: Vec<&str> = text.split_whitespace().collect();
    let title: String = words
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_TITLE_CHARS)
        .collect();
    (!title.is_empty()).then_some(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surt_keys() {
        assert_eq!(
            surt("http://127.0.0.1:8080/Listing/1?b=2&a=1#x"),
            "1,0,0,127:8080)/listing/1?a=1&b=2"
        );
        assert_eq!(surt("https://www.Example.com/"), "com,example)/");
        assert_eq!(
            surt("https://www2.shop.example.org:443/a"),
            "org,example,shop)/a"
        );
        assert_eq!(surt("http://www7.example.com/"), "com,example)/");
        assert_eq!(surt("http://[::1]:81/"), "[::1]:81)/");
        assert_eq!(surt("urn:x y\nz"), "urn:x%20y%0Az");
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            timestamp14("2026-03-01T09:08:07.123Z").as_deref(),
            Some("20260301090807")
        );
        assert_eq!(timestamp14("yesterday"), None);
    }

    #[test]
    fn titles() {
        assert_eq!(
            html_title(
                "<html><head><title> Ivory &amp;\n bangles <b></title></head><title>no</title>"
            )
            .as_deref(),
            Some("Ivory & bangles <b>")
        );
        assert_eq!(html_title("<p>no title</p>"), None);
        assert_eq!(html_title("<title>  </title>"), None);
        let long = format!("<title>{}</title>", "x".repeat(10_000));
        assert_eq!(html_title(&long).unwrap().chars().count(), MAX_TITLE_CHARS);
    }

    #[test]
    fn mime_types() {
        assert_eq!(mime_of("Text/HTML; charset=utf-8"), "text/html");
        assert_eq!(mime_of("a b"), "unk");
    }
}
