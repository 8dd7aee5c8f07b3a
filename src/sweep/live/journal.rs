//! `pages.jsonl` and `params.json` of a live sweep (docs/targets.md): what
//! `--resume` reads back. Each journal line is written and synced as soon as
//! its page or hit capture is done; a line torn by a crash is ignored (its
//! page was not finished and is fetched again).

use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// One capture attempt of a page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Attempt {
    pub(crate) at: String,
    /// The bundle it made (every attempt is captured).
    pub(crate) bundle: Option<String>,
    pub(crate) status: String,
    pub(crate) http_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    /// The wait before the next attempt, in seconds, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) retry_after_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) retry_reason: Option<String>,
}

/// A line of `pages.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub(crate) enum Entry {
    /// A results page done (read, or failed after its attempts).
    Page {
        target: String,
        term: String,
        /// 1 for the first results page of the term.
        page: u32,
        url: String,
        attempts: Vec<Attempt>,
        /// `ok` or `failed`.
        status: String,
        /// The bundle the listings were read from.
        bundle: Option<String>,
        listings: usize,
        without_link: usize,
        /// The next results page, when there is one to fetch.
        next: Option<String>,
        /// No further page of this term will be fetched.
        last: bool,
    },
    /// A flagged listing's own page captured (`--capture-hits`).
    Hit {
        url: String,
        attempts: Vec<Attempt>,
        status: String,
        bundle: Option<String>,
    },
}

/// The sweep's fixed parameters (`params.json`), written once when it starts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Params {
    pub(crate) format: String,
    pub(crate) id: String,
    pub(crate) started_at: String,
    pub(crate) targets: Vec<FileUsed>,
    /// The list files given; empty for the built-in lists.
    pub(crate) list_files: Vec<PathBuf>,
    pub(crate) lists: Vec<super::super::ListUsed>,
    pub(crate) terms: Vec<String>,
    pub(crate) terms_file: Option<FileUsed>,
    pub(crate) pages: Option<u32>,
    pub(crate) capture_hits: bool,
    pub(crate) min_score: u32,
}

/// A file the sweep read, with its SHA-256.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct FileUsed {
    pub(crate) path: String,
    pub(crate) sha256: String,
}

pub(crate) const PARAMS_FORMAT: &str = "warden-live-sweep/1";

/// The journal, open for appending.
pub(crate) struct Journal {
    file: std::fs::File,
}

impl Journal {
    /// Opens (creating) `path` for appending.
    pub(crate) fn open(path: &Path) -> std::io::Result<Journal> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Journal { file })
    }

    /// Appends one entry and makes it durable.
    pub(crate) fn append(&mut self, e: &Entry) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(e).expect("journal entries serialise");
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()
    }
}

/// Reads the journal's complete lines; a last line without its newline (a
/// torn write) is left out, and so is the torn part cut off so later lines
/// start clean.
pub(crate) fn read(path: &Path) -> std::io::Result<Vec<Entry>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if complete < bytes.len() {
        let f = std::fs::OpenOptions::new().write(true).open(path)?;
        f.set_len(complete as u64)?;
        f.sync_data()?;
    }
    let mut out = Vec::new();
    for (i, line) in bytes[..complete].lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let e: Entry = serde_json::from_str(&line).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}:{}: {e}", path.display(), i + 1),
            )
        })?;
        out.push(e);
    }
    Ok(out)
}
