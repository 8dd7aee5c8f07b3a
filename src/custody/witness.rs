//! The custody-log witness: after each append, warden writes the log's new
//! head (sequence number and line hash) into a folder outside the case on the
//! capturing computer (the CLI passes `<config dir>/warden/witness`). A hash
//! chain alone cannot show that events were cut from the end of a log;
//! comparing the log with the witness can.
//!
//! One witness file is kept per case *folder*: a case is known by its
//! fingerprint (SHA-256 of the log's first line), and a copy of the case in
//! another folder that goes its own way (an officer captures into the copy)
//! gets its own record. Verifying a folder compares its log with that
//! folder's record (a log rolled back in place fails) and only mentions the
//! records of other copies.
//!
//! File: `<dir>/<first 32 hex of SHA-256 of "fingerprint\nfolder">.head`,
//! one JSON object ([`Head`]).

use crate::hash::sha256_hex;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What the witness recorded for one case folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// The case fingerprint (see [`crate::case::Case::fingerprint`]).
    pub fingerprint: String,
    /// The case folder (absolute) the log was in.
    pub folder: PathBuf,
    pub seq: u64,
    pub line_sha256: String,
    pub recorded_at: String,
}

/// Largest witness file read.
const MAX_HEAD_FILE: u64 = 64 * 1024;

fn file_for(dir: &Path, fingerprint: &str, folder: &Path) -> PathBuf {
    let key = format!("{fingerprint}\n{}", folder.display());
    dir.join(format!("{}.head", &sha256_hex(key.as_bytes())[..32]))
}

/// The folder a log lives in, as recorded (absolute when it can be).
pub(crate) fn folder_of(log_path: &Path) -> PathBuf {
    let parent = log_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::canonicalize(parent).unwrap_or_else(|_| parent.to_path_buf())
}

/// Records `seq`/`line_sha256` as the head of the case `fingerprint` in
/// `folder`. Never fails the caller: the witness is an extra check, and a
/// failure to write it is returned for the caller to mention.
pub(crate) fn record(
    dir: &Path,
    fingerprint: &str,
    folder: &Path,
    seq: u64,
    line_sha256: &str,
) -> std::io::Result<()> {
    let path = file_for(dir, fingerprint, folder);
    // Keep the highest head seen (appends happen under the log lock, so this
    // only guards against an old process finishing late).
    if read_file(&path).is_some_and(|old| old.seq > seq) {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    let head = Head {
        fingerprint: fingerprint.to_string(),
        folder: folder.to_path_buf(),
        seq,
        line_sha256: line_sha256.to_string(),
        recorded_at: crate::now_rfc3339(),
    };
    let mut text = serde_json::to_vec(&head).expect("head serialises");
    text.push(b'\n');
    // Renamed into place but not fsynced: the witness is an extra check, not
    // evidence, and two more fsyncs per group of captures would cost more
    // than a record lost in a power cut (which reads as no record).
    let tmp = path.with_extension(format!("head.tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    crate::fsutil::write_new(&tmp, &text)?;
    std::fs::rename(&tmp, &path)
}

fn read_file(path: &Path) -> Option<Head> {
    use std::io::Read;
    let f = std::fs::File::open(path).ok()?;
    let mut buf = Vec::new();
    f.take(MAX_HEAD_FILE).read_to_end(&mut buf).ok()?;
    serde_json::from_slice(&buf).ok()
}

/// The head recorded in `dir` for the case `fingerprint` in `folder`.
pub(crate) fn read_for(dir: &Path, fingerprint: &str, folder: &Path) -> Option<Head> {
    read_file(&file_for(dir, fingerprint, folder))
        .filter(|h| h.fingerprint == fingerprint && h.folder == folder)
}

/// Every head recorded in `dir` (optionally only those of one case), sorted
/// by case, then folder.
pub fn list(dir: &Path, fingerprint: Option<&str>) -> std::io::Result<Vec<Head>> {
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in rd {
        let entry = entry?;
        if !entry.file_name().to_string_lossy().ends_with(".head") {
            continue;
        }
        if let Some(h) = read_file(&entry.path())
            && fingerprint.is_none_or(|f| f == h.fingerprint)
        {
            out.push(h);
        }
    }
    out.sort_by(|a, b| (&a.fingerprint, &a.folder).cmp(&(&b.fingerprint, &b.folder)));
    Ok(out)
}
