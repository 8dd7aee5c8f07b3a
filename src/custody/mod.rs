//! The custody log: `custody.jsonl`, one signed, hash-chained JSON event a
//! line (the `event` module), checked by `check_log`.
//!
//! Each line is a JSON object whose fields come in this order:
//! `seq, time, officer, public_key, action, bundle, manifest_sha256, details,
//! prev, sig`. `prev` is the lowercase hex SHA-256 of the previous line's bytes
//! (without its newline; 64 zeros for the first line). `sig` is the base64
//! Ed25519 signature over the line's bytes with the trailing `,"sig":"…"`
//! removed, i.e. over the exact bytes `{…,"prev":"…"}`. Appends hold an
//! exclusive lock on the log file, so concurrent warden processes cannot
//! interleave or lose events.
//!
//! An append either adds whole lines or nothing: if writing fails (a full
//! disk) the file is cut back to its previous length. If the process dies in
//! the middle of a write and leaves an incomplete last line, `repair`
//! (which commands run before they record anything) checks the rest of the
//! log and this computer's witness, cuts the line off and records its bytes
//! in a `log-repaired` event; an append that still meets such a line does
//! the same, recording that no witness vouched for it.

pub(crate) mod acts;
pub(crate) mod check;
pub(crate) mod checkpoint;
pub(crate) mod event;
#[cfg(test)]
pub(crate) mod test_support;
pub mod timeline;
pub mod witness;

pub(crate) use check::{LogCheck, check_log, fingerprint};
pub(crate) use event::{Action, Event, EventBody, sign_line};

use crate::hash::sha256_hex;
use crate::keys::OfficerKey;
use base64::Engine;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub(crate) const GENESIS_PREV: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// Largest incomplete last line whose bytes a `log-repaired` event keeps
/// (larger ones are recorded by length and SHA-256 only).
pub(crate) const MAX_KEPT_TORN_BYTES: u64 = 64 * 1024;

/// Longest line a writer looks back over (an event is a few KiB; a sweep
/// event with many inputs somewhat more).
pub(crate) const MAX_LINE: u64 = 64 << 20;

/// Largest log a writer reads whole (as verify does).
const MAX_LOG: u64 = 4 << 30;

#[derive(Debug, thiserror::Error)]
pub enum CustodyError {
    #[error(
        "the disk holding the custody log {path} is full; nothing was recorded. Free some space and run the command again"
    )]
    DiskFull { path: PathBuf },
    #[error("custody log {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "custody log {path} is damaged ({detail}); nothing was captured or appended. Run `warden verify` on the case and report the damage; do not edit the log"
    )]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "custody log {path} no longer holds event {seq}, which this computer recorded in it on {recorded_at}: events were removed from its end or the folder was rolled back to an older copy. Nothing was recorded; run `warden verify` on the case and report it (if you restored an older copy on purpose, keep it in another folder)"
    )]
    RolledBack {
        path: PathBuf,
        seq: u64,
        recorded_at: String,
    },
}

impl CustodyError {
    fn io(path: &Path, source: std::io::Error) -> CustodyError {
        if source.kind() == std::io::ErrorKind::InvalidData {
            return CustodyError::Damaged {
                path: path.to_path_buf(),
                detail: source.to_string(),
            };
        }
        if source.kind() == std::io::ErrorKind::StorageFull {
            CustodyError::DiskFull {
                path: path.to_path_buf(),
            }
        } else {
            CustodyError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

/// A case's custody log and where this computer keeps its witness.
#[derive(Debug, Clone)]
pub struct Log {
    pub(crate) path: PathBuf,
    /// Folder for witness records ([`witness`]); `None` keeps none.
    pub(crate) witness_dir: Option<PathBuf>,
}

/// What a caller wants to record.
#[derive(Debug, Clone)]
pub(crate) struct EventInput<'a> {
    pub(crate) action: Action,
    pub(crate) bundle: Option<&'a str>,
    pub(crate) manifest_sha256: Option<&'a str>,
    pub(crate) details: Option<serde_json::Value>,
}

/// An exclusive lock on a custody log, held until dropped.
pub(crate) struct LogLock {
    file: File,
    log: Log,
}

/// Opens (creating if needed) and exclusively locks the custody log.
pub(crate) fn lock(log: &Log) -> Result<LogLock, CustodyError> {
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(&log.path)
        .map_err(|e| CustodyError::io(&log.path, e))?;
    file.lock().map_err(|e| CustodyError::io(&log.path, e))?;
    Ok(LogLock {
        file,
        log: log.clone(),
    })
}

impl LogLock {
    /// The log's bytes (under the lock).
    pub(crate) fn read_all(&mut self) -> Result<Vec<u8>, CustodyError> {
        let path = self.log.path.clone();
        let err = |e| CustodyError::io(&path, e);
        self.file.seek(SeekFrom::Start(0)).map_err(err)?;
        let mut buf = Vec::new();
        Read::by_ref(&mut self.file)
            .take(MAX_LOG + 1)
            .read_to_end(&mut buf)
            .map_err(err)?;
        if buf.len() as u64 > MAX_LOG {
            return Err(CustodyError::Damaged {
                path,
                detail: format!("it is larger than {MAX_LOG} bytes, more than warden reads"),
            });
        }
        Ok(buf)
    }
}

/// Appends one signed event; returns its sequence number.
pub(crate) fn append(
    log: &Log,
    key: &OfficerKey,
    officer: &str,
    input: &EventInput<'_>,
) -> Result<u64, CustodyError> {
    append_locked(lock(log)?, key, officer, input)
}

/// Appends one signed event under a lock obtained with [`lock`].
pub(crate) fn append_locked(
    lock: LogLock,
    key: &OfficerKey,
    officer: &str,
    input: &EventInput<'_>,
) -> Result<u64, CustodyError> {
    append_held(&mut { lock }, key, officer, input)
}

/// Appends one signed event and keeps the lock, for a writer that must put
/// a file in place before other processes may read the log again.
pub(crate) fn append_held(
    lock: &mut LogLock,
    key: &OfficerKey,
    officer: &str,
    input: &EventInput<'_>,
) -> Result<u64, CustodyError> {
    append_batch_locked(lock, key, officer, std::slice::from_ref(input), None).map(|seqs| seqs[0])
}

/// Appends several signed events, in order, with one write and one fsync
/// (group commit); returns their sequence numbers.
pub(crate) fn append_batch(
    log: &Log,
    key: &OfficerKey,
    officer: &str,
    inputs: &[EventInput<'_>],
) -> Result<Vec<u64>, CustodyError> {
    append_batch_locked(&mut lock(log)?, key, officer, inputs, None)
}

/// The end of the log: its length, the last complete line (if any) and the
/// incomplete bytes after it (if any).
struct Tail {
    complete_len: u64,
    last: Option<Vec<u8>>,
    torn: Vec<u8>,
}

fn read_tail(file: &mut File) -> std::io::Result<Tail> {
    let len = file.seek(SeekFrom::End(0))?;
    let mut window: u64 = 64 * 1024;
    loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start))?;
        let mut buf = Vec::with_capacity((len - start) as usize);
        Read::by_ref(file).take(len - start).read_to_end(&mut buf)?;
        let last_nl = buf.iter().rposition(|&b| b == b'\n');
        // The incomplete bytes after the last newline, and the complete line
        // before it, must both be inside the window.
        let found = match last_nl {
            Some(end) => buf[..end]
                .iter()
                .rposition(|&b| b == b'\n')
                .map(|s| (s + 1, end))
                .or((start == 0).then_some((0, end))),
            None => (start == 0).then_some((0, 0)),
        };
        if found.is_none() && window >= MAX_LINE {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "its last line is longer than {MAX_LINE} bytes, more than any event warden writes"
                ),
            ));
        }
        if let Some((s, end)) = found {
            let torn_from = last_nl.map_or(0, |e| e + 1);
            let torn = buf[torn_from..].to_vec();
            return Ok(Tail {
                complete_len: start + torn_from as u64,
                last: last_nl.map(|_| buf[s..end].to_vec()),
                torn,
            });
        }
        window *= 4;
    }
}

fn append_batch_locked(
    lock: &mut LogLock,
    key: &OfficerKey,
    officer: &str,
    inputs: &[EventInput<'_>],
    witnessed: Option<&witness::Head>,
) -> Result<Vec<u64>, CustodyError> {
    let path = lock.log.path.clone();
    let err = |e| CustodyError::io(&path, e);
    let mut tail = read_tail(&mut lock.file).map_err(err)?;
    if !tail.torn.is_empty() && serde_json::from_slice::<Event>(&tail.torn).is_ok() {
        // A whole event that lost only its final newline: finish its line
        // (cutting it off would drop a signed event). check_log judges it
        // like any other line.
        lock.file
            .write_all(b"\n")
            .and_then(|()| lock.file.sync_data())
            .map_err(err)?;
        tail = read_tail(&mut lock.file).map_err(err)?;
    }
    let (mut seq, mut prev) = match &tail.last {
        None => (1, GENESIS_PREV.to_string()),
        Some(line) => {
            let ev: Event = serde_json::from_slice(line).map_err(|e| CustodyError::Damaged {
                path: path.clone(),
                detail: e.to_string(),
            })?;
            (ev.seq + 1, sha256_hex(line))
        }
    };
    // An incomplete last line (an append that was interrupted) is cut off,
    // and its bytes are recorded in the first event written now.
    let mut repair = None;
    if !tail.torn.is_empty() {
        if tail.last.is_none() {
            return Err(CustodyError::Damaged {
                path: path.clone(),
                detail: "the log holds no complete line".into(),
            });
        }
        let torn = &tail.torn;
        let details = event::LogRepairedDetails {
            torn_bytes: torn.len() as u64,
            torn_sha256: sha256_hex(torn),
            torn_base64: (torn.len() as u64 <= MAX_KEPT_TORN_BYTES)
                .then(|| base64::engine::general_purpose::STANDARD.encode(torn)),
            after_seq: seq - 1,
            witnessed_seq: witnessed.map(|w| w.seq),
            witnessed_line_sha256: witnessed.map(|w| w.line_sha256.clone()),
        };
        repair = Some(EventInput {
            action: Action::LogRepaired,
            bundle: None,
            manifest_sha256: None,
            details: Some(serde_json::to_value(details).expect("details serialise")),
        });
    }
    let mut out = Vec::new();
    let mut seqs = Vec::new();
    let mut last_hash = String::new();
    for (i, input) in repair.iter().chain(inputs).enumerate() {
        let body = EventBody {
            seq,
            time: crate::now_rfc3339(),
            officer: officer.to_string(),
            public_key: key.public_b64(),
            action: input.action,
            bundle: input.bundle.map(str::to_string),
            manifest_sha256: input.manifest_sha256.map(str::to_string),
            details: input.details.clone(),
            prev: prev.clone(),
        };
        let line = sign_line(&body, key);
        last_hash = sha256_hex(&line[..line.len() - 1]);
        prev = last_hash.clone();
        out.extend_from_slice(&line);
        if i > 0 || repair.is_none() {
            seqs.push(seq);
        }
        seq += 1;
    }
    if out.is_empty() {
        return Ok(seqs);
    }
    if repair.is_some() {
        lock.file.set_len(tail.complete_len).map_err(err)?;
    }
    let written = lock
        .file
        .write_all(&out)
        .and_then(|()| lock.file.sync_data());
    if let Err(e) = written {
        // Leave no partial line behind: cut back to where the log ended
        // (putting back an incomplete line that was to be recorded now).
        let _ = lock.file.set_len(tail.complete_len);
        if repair.is_some() {
            let _ = lock.file.write_all(&tail.torn);
        }
        let _ = lock.file.sync_data();
        return Err(err(e));
    }
    // Best effort: remember the new head outside the case folder, so that a
    // later verify on this computer notices events removed from the end.
    if let Some(dir) = &lock.log.witness_dir
        && let Ok(bytes) = read_first_line(&mut lock.file)
        && let Some(fp) = fingerprint(&bytes)
    {
        let _ = witness::record(dir, &fp, &witness::folder_of(&path), seq - 1, &last_hash);
    }
    Ok(seqs)
}

fn read_first_line(file: &mut File) -> std::io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(0))?;
    let mut buf = Vec::new();
    Read::by_ref(file).take(1 << 20).read_to_end(&mut buf)?;
    if let Some(end) = buf.iter().position(|&b| b == b'\n') {
        buf.truncate(end);
    }
    Ok(buf)
}

/// Checks, under the lock, that the log can take new events, so that a
/// command does not fetch, seal or record anything it cannot chain onto a
/// sound log: every line holds (chain, signatures, signers; an incomplete
/// last line is left to the next append, which repairs it), and the log
/// still holds the head this computer's witness recorded for its folder (so
/// events cut from its end cannot be covered up by appending new ones).
pub fn check_appendable(log: &Log) -> Result<(), CustodyError> {
    let mut lock = lock(log)?;
    let bytes = lock.read_all()?;
    check_sound(log, &bytes).map(|_| ())
}

/// The checks of [`check_appendable`] over the complete lines of `bytes`
/// (an incomplete last line is left out); returns the witnessed head this
/// computer recorded for the folder, if any (it is among those lines).
fn check_sound(log: &Log, bytes: &[u8]) -> Result<Option<witness::Head>, CustodyError> {
    let damaged = |detail: String| CustodyError::Damaged {
        path: log.path.clone(),
        detail,
    };
    let complete = match bytes.iter().rposition(|&b| b == b'\n') {
        Some(end) => &bytes[..=end],
        None => &bytes[..0],
    };
    if complete.is_empty() {
        return Err(damaged(if bytes.is_empty() {
            "the log is empty".into()
        } else {
            "the log holds no complete line".into()
        }));
    }
    let check = check_log(complete);
    if let Some(p) = check.problems.iter().find(|p| p.line > 0) {
        return Err(damaged(format!("line {}: {}", p.line, p.message)));
    }
    let (Some(dir), Some(fp)) = (&log.witness_dir, &check.fingerprint) else {
        return Ok(None);
    };
    let folder = witness::folder_of(&log.path);
    let Some(w) = witness::read_for(dir, fp, &folder) else {
        return Ok(None);
    };
    if !check
        .events
        .iter()
        .any(|e| e.event.seq == w.seq && e.line_sha256 == w.line_sha256)
    {
        return Err(CustodyError::RolledBack {
            path: log.path.clone(),
            seq: w.seq,
            recorded_at: w.recorded_at,
        });
    }
    Ok(Some(w))
}

/// What [`repair`] did.
#[derive(Debug, Clone)]
pub(crate) struct Repaired {
    /// The `log-repaired` event.
    pub(crate) seq: u64,
    /// How many bytes of an incomplete last line it cut off (and recorded).
    pub(crate) torn_bytes: u64,
    /// Whether this computer's witness vouched that the last complete line
    /// was the last event written (so the cut bytes were never an event).
    pub(crate) witnessed: bool,
}

/// Cuts off an incomplete last line left by an interrupted append, recording
/// its bytes in a signed `log-repaired` event (or finishes the line of a whole
/// event that lost only its newline). `None` when there was nothing to do.
pub(crate) fn repair(
    log: &Log,
    key: &OfficerKey,
    officer: &str,
) -> Result<Option<Repaired>, CustodyError> {
    let mut lock = lock(log)?;
    let tail = read_tail(&mut lock.file).map_err(|e| CustodyError::io(&log.path, e))?;
    if tail.torn.is_empty() {
        return Ok(None);
    }
    // Nothing is written onto a log whose complete lines do not hold, or
    // that no longer holds the head this computer recorded.
    let mut bytes = lock.read_all()?;
    let whole = serde_json::from_slice::<Event>(&tail.torn).is_ok();
    if whole {
        // Judge the whole event with the others, as if its newline were there.
        bytes.push(b'\n');
    }
    let witnessed = check_sound(log, &bytes)?;
    let torn_bytes = tail.torn.len() as u64;
    let last_seq = tail
        .last
        .as_deref()
        .and_then(|l| serde_json::from_slice::<Event>(l).ok())
        .map_or(0, |e| e.seq);
    if !whole && let Some(w) = witnessed.as_ref().filter(|w| w.seq != last_seq) {
        // The witness recorded a later event than the last complete line:
        // the cut bytes are not an interrupted write of this computer's.
        return Err(CustodyError::RolledBack {
            path: log.path.clone(),
            seq: w.seq,
            recorded_at: w.recorded_at.clone(),
        });
    }
    append_batch_locked(&mut lock, key, officer, &[], witnessed.as_ref())?;
    if whole {
        return Ok(None);
    }
    Ok(Some(Repaired {
        seq: last_seq + 1,
        torn_bytes,
        witnessed: witnessed.is_some(),
    }))
}
