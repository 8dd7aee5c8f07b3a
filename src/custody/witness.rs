//! The custody-log witness: after each append, warden writes the log's new
//! head (sequence number and line hash) into the user's configuration
//! folder, outside the case. A hash chain alone cannot show that events were
//! cut from the end of a log; comparing the log with the witness kept on the
//! capturing computer can. The witness is named after the SHA-256 of the
//! case's first line, so it follows the case, not its folder name.

use crate::hash::sha256_hex;
use std::path::PathBuf;

/// What the witness recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub line_sha256: String,
    pub recorded_at: String,
}

fn dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("WARDEN_WITNESS_DIR") {
        return Some(PathBuf::from(d));
    }
    dirs::config_dir().map(|d| d.join("warden").join("witness"))
}

fn path_for(first_line: &[u8]) -> Option<PathBuf> {
    dir().map(|d| d.join(format!("{}.head", &sha256_hex(first_line)[..32])))
}

/// Records `seq`/`line_sha256` as the head of the log whose first line is
/// `first_line`. Never fails the caller: the witness is an extra check.
pub fn record(first_line: &[u8], seq: u64, line_sha256: &str) {
    let Some(path) = path_for(first_line) else {
        return;
    };
    // Keep the highest head seen (appends happen under the log lock, so this
    // only guards against an old process finishing late).
    if read(first_line).is_some_and(|old| old.seq > seq) {
        return;
    }
    if let Some(parent) = path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let text = format!("{seq} {line_sha256} {}\n", crate::now_rfc3339());
    let _ = crate::fsutil::replace_atomically(&path, text.as_bytes());
}

/// The head recorded on this computer for the log starting with
/// `first_line`, if any.
pub fn read(first_line: &[u8]) -> Option<Head> {
    let text = std::fs::read_to_string(path_for(first_line)?).ok()?;
    let mut parts = text.split_whitespace();
    Some(Head {
        seq: parts.next()?.parse().ok()?,
        line_sha256: parts.next()?.to_string(),
        recorded_at: parts.next().unwrap_or("").to_string(),
    })
}
