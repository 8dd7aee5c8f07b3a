//! The custody log: `custody.jsonl`, one signed, hash-chained JSON event a
//! line.
//!
//! Each line is a JSON object whose fields come in this order:
//! `seq, time, officer, public_key, action, bundle, manifest_sha256, details,
//! prev, sig`. `prev` is the lowercase hex SHA-256 of the previous line's bytes
//! (without its newline; 64 zeros for the first line). `sig` is the base64
//! Ed25519 signature over the line's bytes with the trailing `,"sig":"…"`
//! removed, i.e. over the exact bytes `{…,"prev":"…"}`. Appends hold an
//! exclusive lock on the log file, so concurrent warden processes cannot
//! interleave or lose events.

use crate::case::keys::{self, OfficerKey};
use crate::hash::sha256_hex;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub mod witness;

pub const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, thiserror::Error)]
pub enum CustodyError {
    #[error("custody log {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "custody log {path} is damaged at its last line ({detail}); nothing was captured or appended. Run `warden verify` on the case and report the damage; do not edit the log"
    )]
    Damaged { path: PathBuf, detail: String },
}

/// What a caller wants to record.
#[derive(Debug, Clone)]
pub struct EventInput<'a> {
    pub action: &'a str,
    pub bundle: Option<&'a str>,
    pub manifest_sha256: Option<&'a str>,
    pub details: Option<serde_json::Value>,
}

/// The unsigned part of a line, in field order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unsigned {
    pub seq: u64,
    pub time: String,
    pub officer: String,
    pub public_key: String,
    pub action: String,
    pub bundle: Option<String>,
    pub manifest_sha256: Option<String>,
    pub details: Option<serde_json::Value>,
    pub prev: String,
}

/// A parsed line.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    pub seq: u64,
    pub time: String,
    pub officer: String,
    pub public_key: String,
    pub action: String,
    pub bundle: Option<String>,
    pub manifest_sha256: Option<String>,
    pub details: Option<serde_json::Value>,
    pub prev: String,
    pub sig: String,
}

/// An exclusive lock on a custody log, held until dropped.
pub struct LogLock {
    file: File,
    path: PathBuf,
}

/// Opens (creating if needed) and exclusively locks the custody log.
pub fn lock(path: &Path) -> Result<LogLock, CustodyError> {
    let err = |source| CustodyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(err)?;
    file.lock().map_err(err)?;
    Ok(LogLock {
        file,
        path: path.to_path_buf(),
    })
}

/// Appends one signed event; returns its sequence number.
pub fn append(
    path: &Path,
    key: &OfficerKey,
    officer: &str,
    input: &EventInput<'_>,
) -> Result<u64, CustodyError> {
    append_locked(lock(path)?, key, officer, input)
}

/// Appends one signed event under a lock obtained with [`lock`].
pub fn append_locked(
    lock: LogLock,
    key: &OfficerKey,
    officer: &str,
    input: &EventInput<'_>,
) -> Result<u64, CustodyError> {
    append_batch_locked(lock, key, officer, std::slice::from_ref(input)).map(|seqs| seqs[0])
}

/// Appends several signed events, in order, with one write and one fsync
/// (group commit); returns their sequence numbers.
pub fn append_batch(
    path: &Path,
    key: &OfficerKey,
    officer: &str,
    inputs: &[EventInput<'_>],
) -> Result<Vec<u64>, CustodyError> {
    append_batch_locked(lock(path)?, key, officer, inputs)
}

fn append_batch_locked(
    mut lock: LogLock,
    key: &OfficerKey,
    officer: &str,
    inputs: &[EventInput<'_>],
) -> Result<Vec<u64>, CustodyError> {
    let path = lock.path.clone();
    let err = |source| CustodyError::Io {
        path: path.clone(),
        source,
    };
    let last = read_last_line(&mut lock.file).map_err(err)?;
    let (mut seq, mut prev) = match last {
        None => (1, GENESIS_PREV.to_string()),
        Some(line) => {
            let ev: Event = serde_json::from_slice(&line).map_err(|e| CustodyError::Damaged {
                path: path.clone(),
                detail: e.to_string(),
            })?;
            (ev.seq + 1, sha256_hex(&line))
        }
    };
    let mut out = Vec::new();
    let mut seqs = Vec::new();
    let mut last_hash = String::new();
    for input in inputs {
        let unsigned = Unsigned {
            seq,
            time: crate::now_rfc3339(),
            officer: officer.to_string(),
            public_key: key.public_b64(),
            action: input.action.to_string(),
            bundle: input.bundle.map(str::to_string),
            manifest_sha256: input.manifest_sha256.map(str::to_string),
            details: input.details.clone(),
            prev: prev.clone(),
        };
        let line = sign_line(&unsigned, key);
        last_hash = sha256_hex(&line[..line.len() - 1]);
        prev = last_hash.clone();
        out.extend_from_slice(&line);
        seqs.push(seq);
        seq += 1;
    }
    if seqs.is_empty() {
        return Ok(seqs);
    }
    lock.file.write_all(&out).map_err(err)?;
    lock.file.sync_data().map_err(err)?;
    // Best effort: remember the new head outside the case folder, so that a
    // later verify on this computer notices events removed from the end.
    if let Ok(Some(first)) = read_first_line(&mut lock.file) {
        witness::record(&first, *seqs.last().expect("non-empty"), &last_hash);
    }
    Ok(seqs)
}

fn read_first_line(file: &mut File) -> std::io::Result<Option<Vec<u8>>> {
    file.seek(SeekFrom::Start(0))?;
    let mut buf = Vec::new();
    Read::by_ref(file).take(1 << 20).read_to_end(&mut buf)?;
    Ok(buf
        .iter()
        .position(|&b| b == b'\n')
        .map(|end| buf[..end].to_vec()))
}

/// Checks, under the lock, that the log's last line is a complete event, so
/// that a capture run does not fetch and seal pages it cannot record.
pub fn check_appendable(path: &Path) -> Result<(), CustodyError> {
    let mut lock = lock(path)?;
    let err = |source| CustodyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = lock.file.seek(SeekFrom::End(0)).map_err(err)?;
    if len > 0 {
        lock.file.seek(SeekFrom::Start(len - 1)).map_err(err)?;
        let mut last = [0u8; 1];
        lock.file.read_exact(&mut last).map_err(err)?;
        if last[0] != b'\n' {
            return Err(CustodyError::Damaged {
                path: path.to_path_buf(),
                detail: "the last line is incomplete".into(),
            });
        }
    }
    match read_last_line(&mut lock.file).map_err(err)? {
        None => Err(CustodyError::Damaged {
            path: path.to_path_buf(),
            detail: "the log is empty".into(),
        }),
        Some(line) => serde_json::from_slice::<Event>(&line)
            .map(|_| ())
            .map_err(|e| CustodyError::Damaged {
                path: path.to_path_buf(),
                detail: e.to_string(),
            }),
    }
}

/// Serialises and signs an event; returns the line including its newline.
pub fn sign_line(unsigned: &Unsigned, key: &OfficerKey) -> Vec<u8> {
    let body = serde_json::to_vec(unsigned).expect("event serialises");
    let sig = key.sign(&body);
    let b64 = base64::engine::general_purpose::STANDARD.encode(sig.to_bytes());
    let mut line = body;
    line.pop(); // the closing brace
    line.extend_from_slice(format!(",\"sig\":\"{b64}\"}}\n").as_bytes());
    line
}

/// Reads the last complete line (without newline) of the log, if any. A
/// final line without a newline is treated as damage by [`append_locked`]'s
/// caller through the parse error it causes.
fn read_last_line(file: &mut File) -> std::io::Result<Option<Vec<u8>>> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(None);
    }
    let mut window: u64 = 64 * 1024;
    loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start))?;
        let mut buf = Vec::with_capacity((len - start) as usize);
        Read::by_ref(file).take(len - start).read_to_end(&mut buf)?;
        let content = match buf.last() {
            Some(b'\n') => &buf[..buf.len() - 1],
            _ => &buf[..], // unterminated last line: returned as is
        };
        if let Some(pos) = content.iter().rposition(|&b| b == b'\n') {
            return Ok(Some(content[pos + 1..].to_vec()));
        }
        if start == 0 {
            return Ok(Some(content.to_vec()));
        }
        window *= 4;
    }
}

/// A problem found in the custody log; `line` is 1-based, 0 for the file.
#[derive(Debug, Clone)]
pub struct LogProblem {
    pub line: usize,
    pub message: String,
}

/// A parsed event and whether it holds (chain, signature, authority).
#[derive(Debug, Clone)]
pub struct CheckedEvent {
    pub line: usize,
    pub event: Event,
    /// SHA-256 of the line's bytes.
    pub line_sha256: String,
    pub valid: bool,
}

/// What checking a custody log found.
#[derive(Debug, Default)]
pub struct LogCheck {
    pub events: Vec<CheckedEvent>,
    pub problems: Vec<LogProblem>,
    /// The officers (base64 key, name) the log itself registers, in order:
    /// the signer of `case-init`, then each `officer-added` event's officer.
    pub officers: Vec<(String, String)>,
}

impl LogCheck {
    /// Events that hold.
    pub fn valid_events(&self) -> impl Iterator<Item = &Event> {
        self.events.iter().filter(|e| e.valid).map(|e| &e.event)
    }

    /// (seq, SHA-256 of the last line), if any line was read.
    pub fn head(&self) -> Option<(u64, &str)> {
        self.events
            .last()
            .map(|e| (e.event.seq, e.line_sha256.as_str()))
    }
}

/// Actions a custody log may hold.
pub const ACTIONS: &[&str] = &[
    "case-init",
    "officer-added",
    "capture",
    "sweep",
    "capture-recovered",
    "capture-interrupted",
];

/// Checks every line of a custody log: JSON shape, sequence numbers, the hash
/// chain, each signature, and that each line is signed by an officer the log
/// had registered by then. The first line must be `case-init`, whose signer
/// is the first officer; later officers are registered only by an
/// `officer-added` event signed by an officer already registered.
pub fn check_log(bytes: &[u8]) -> LogCheck {
    let mut out = LogCheck::default();
    if bytes.is_empty() {
        out.problems.push(LogProblem {
            line: 0,
            message: "the custody log is empty (it should start with a case-init event)".into(),
        });
        return out;
    }
    if bytes.last() != Some(&b'\n') {
        out.problems.push(LogProblem {
            line: 0,
            message: "the last line is incomplete (no final newline): the log was cut or edited"
                .into(),
        });
    }
    let mut prev_hash = GENESIS_PREV.to_string();
    let mut expected_seq = 1u64;
    for (i, line) in bytes
        .strip_suffix(b"\n")
        .unwrap_or(bytes)
        .split(|&b| b == b'\n')
        .enumerate()
    {
        let n = i + 1;
        let before = out.problems.len();
        let mut problem = |message: String| {
            out.problems.push(LogProblem { line: n, message });
        };
        let this_hash = sha256_hex(line);
        let ev: Event = match serde_json::from_slice(line) {
            Ok(ev) => ev,
            Err(e) => {
                problem(format!("not a valid custody event ({e})"));
                prev_hash = this_hash;
                expected_seq += 1;
                continue;
            }
        };
        if ev.seq != expected_seq {
            problem(format!(
                "sequence number {} where {} was expected: an event was removed, inserted or moved",
                ev.seq, expected_seq
            ));
        }
        if ev.prev != prev_hash {
            problem(
                "hash chain broken: `prev` does not match the SHA-256 of the line before it (a line before this one was changed, removed or moved)".into(),
            );
        }
        let suffix = format!(",\"sig\":\"{}\"}}", ev.sig);
        let signed_ok = match line.strip_suffix(suffix.as_bytes()) {
            None => false,
            Some(body) => {
                let mut msg = body.to_vec();
                msg.push(b'}');
                let sig = base64::engine::general_purpose::STANDARD
                    .decode(&ev.sig)
                    .unwrap_or_default();
                match keys::parse_public_key_b64(&ev.public_key) {
                    Some(pk) => keys::verify_signature(&pk, &msg, &sig),
                    None => false,
                }
            }
        };
        if !signed_ok {
            problem("signature does not verify: this line was altered after it was signed".into());
        }
        if !ACTIONS.contains(&ev.action.as_str()) {
            problem(format!("unknown action {:?}", ev.action));
        }
        if (n == 1) != (ev.action == "case-init") {
            problem(if n == 1 {
                "the first event must be case-init".into()
            } else {
                "case-init may only be the first event".into()
            });
        }
        if n == 1 && ev.action == "case-init" {
            out.officers
                .push((ev.public_key.clone(), ev.officer.clone()));
        } else {
            match out.officers.iter().find(|(pk, _)| *pk == ev.public_key) {
                None => problem(format!(
                    "signed by a key that no earlier event registered as an officer of this case (claims to be {:?})",
                    ev.officer
                )),
                Some((_, name)) if *name != ev.officer => problem(format!(
                    "officer {:?} does not match the name registered for this key ({name:?})",
                    ev.officer
                )),
                _ => {}
            }
        }
        let valid = out.problems.len() == before;
        if valid && ev.action == "officer-added" {
            let d = ev.details.as_ref();
            let key = d.and_then(|d| d.get("public_key")).and_then(|v| v.as_str());
            let name = d.and_then(|d| d.get("officer")).and_then(|v| v.as_str());
            match (key, name) {
                (Some(k), Some(nm)) if keys::parse_public_key_b64(k).is_some() => {
                    if out.officers.iter().any(|(pk, o)| pk == k || o == nm) {
                        out.problems.push(LogProblem {
                            line: n,
                            message: format!(
                                "registers officer {nm:?} whose name or key is already registered"
                            ),
                        });
                    } else {
                        out.officers.push((k.to_string(), nm.to_string()));
                    }
                }
                _ => out.problems.push(LogProblem {
                    line: n,
                    message: "officer-added event without a valid officer name and public key"
                        .into(),
                }),
            }
        }
        prev_hash = this_hash.clone();
        expected_seq = ev.seq + 1;
        out.events.push(CheckedEvent {
            line: n,
            event: ev,
            line_sha256: this_hash,
            valid: out.problems.len() == before,
        });
    }
    out
}
