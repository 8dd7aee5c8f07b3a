//! Checking a custody log line by line: shape, sequence, hash chain,
//! signatures, who may sign, and what each event may say.

use super::GENESIS_PREV;
use super::acts::{self, CaseState};
use super::event::{Action, Event, OfficerAddedDetails};
use crate::hash::sha256_hex;
use crate::keys;
use base64::Engine;
use std::collections::BTreeMap;
use tlog_tiles::tlog::record_hash;

/// A problem found in the custody log; `line` is 1-based, 0 for the file.
#[derive(Debug, Clone)]
pub(crate) struct LogProblem {
    pub(crate) line: usize,
    pub(crate) message: String,
}

/// A parsed event and whether it holds (chain, signature, authority).
#[derive(Debug, Clone)]
pub(crate) struct CheckedEvent {
    pub(crate) line: usize,
    pub(crate) event: Event,
    /// SHA-256 of the line's bytes.
    pub(crate) line_sha256: String,
    pub(crate) valid: bool,
}

/// What checking a custody log found.
#[derive(Debug, Default, Clone)]
pub(crate) struct LogCheck {
    pub(crate) events: Vec<CheckedEvent>,
    pub(crate) problems: Vec<LogProblem>,
    /// The officers (base64 key, name) the log itself registers, in order:
    /// the signer of `case-init`, then each `officer-added` event's officer.
    pub(crate) officers: Vec<(String, String)>,
    /// The case fingerprint: SHA-256 of the first line (see [`fingerprint`]).
    pub(crate) fingerprint: Option<String>,
    /// For each bundle, the first valid `capture` event that names it.
    pub(crate) captures: BTreeMap<String, usize>,
    /// Every key that signed a line, with the name the line gave, in order
    /// of first appearance.
    pub(crate) signers: Vec<(String, String)>,
    /// Exhibit numbers, custodian, withdrawals and leaf hashes, as the
    /// valid events leave them.
    pub(crate) state: CaseState,
}

impl LogCheck {
    /// Events that hold.
    pub(crate) fn valid_events(&self) -> impl Iterator<Item = &Event> {
        self.events.iter().filter(|e| e.valid).map(|e| &e.event)
    }

    /// (seq, SHA-256 of the last line), if any line was read.
    pub(crate) fn head(&self) -> Option<(u64, &str)> {
        self.events
            .last()
            .map(|e| (e.event.seq, e.line_sha256.as_str()))
    }

    /// The valid `capture` event recording `bundle`, if any.
    pub(crate) fn capture_of(&self, bundle: &str) -> Option<&Event> {
        self.captures.get(bundle).map(|&i| &self.events[i].event)
    }
}

/// The fingerprint of a case: lowercase hex SHA-256 of the first line of its
/// custody log (the signed `case-init` event, without its newline). That
/// line names the first officer's key, the case id and the SHA-256 of
/// `case.toml` as created, so the fingerprint stands for the case's genesis:
/// a case made again with the same id and officer name, or with another key,
/// has another fingerprint.
pub(crate) fn fingerprint(log: &[u8]) -> Option<String> {
    let first = log.split(|&b| b == b'\n').next()?;
    (!first.is_empty()).then(|| sha256_hex(first))
}

/// Checks every line of a custody log: JSON shape, sequence numbers, the hash
/// chain, each signature, and that each line is signed by an officer the log
/// had registered by then. The first line must be `case-init`, whose signer
/// is the first officer; later officers are registered only by an
/// `officer-added` event signed by an officer already registered. A bundle
/// is captured exactly once: a second `capture` event naming it is a problem.
pub(crate) fn check_log(bytes: &[u8]) -> LogCheck {
    // A command reads the same log several times (recovery, the append
    // checks, the command itself, verify); checking every signature again
    // each time is what costs on a large case. The result depends only on
    // the bytes, so the last one is kept, keyed by their SHA-256.
    static LAST: std::sync::Mutex<Option<([u8; 32], LogCheck)>> = std::sync::Mutex::new(None);
    let key: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(bytes).into();
    if let Ok(last) = LAST.lock()
        && let Some((k, check)) = last.as_ref()
        && *k == key
    {
        return check.clone();
    }
    let check = check_log_uncached(bytes);
    if let Ok(mut last) = LAST.lock() {
        *last = Some((key, check.clone()));
    }
    check
}

fn check_log_uncached(bytes: &[u8]) -> LogCheck {
    let mut out = LogCheck {
        fingerprint: fingerprint(bytes),
        ..LogCheck::default()
    };
    if bytes.is_empty() {
        out.problems.push(LogProblem {
            line: 0,
            message: "the custody log is empty (it should start with a case-init event)".into(),
        });
        return out;
    }
    if bytes.last() != Some(&b'\n') {
        let last = bytes.rsplit(|&b| b == b'\n').next().unwrap_or(bytes);
        let message = if serde_json::from_slice::<Event>(last).is_ok() {
            "the last event has no final newline: the log was cut by its last byte, or a write was interrupted just before it. The next warden command that records an event on this case adds the newline (the event is checked like any other)"
        } else {
            "the last line is incomplete (no final newline): an append was interrupted, or the log was cut or edited. The next warden command that records an event on this case cuts the incomplete line off and records its bytes in a log-repaired event"
        };
        out.problems.push(LogProblem {
            line: 0,
            message: message.into(),
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
        let this_hash = sha256_hex(line);
        let ev: Event = match serde_json::from_slice(line) {
            Ok(ev) => ev,
            Err(e) => {
                out.problems.push(LogProblem {
                    line: n,
                    message: format!("not a valid custody event ({e})"),
                });
                out.state.leaves.push(record_hash(line));
                prev_hash = this_hash;
                expected_seq += 1;
                continue;
            }
        };
        let mut problems = line_problems(&ev, line, n, expected_seq, &prev_hash, &out);
        if !out.signers.iter().any(|(k, _)| *k == ev.public_key) {
            out.signers
                .push((ev.public_key.clone(), ev.officer.clone()));
        }
        if problems.is_empty() {
            problems.extend(
                acts::problems(&ev, &out.state, &out.officers)
                    .into_iter()
                    .map(|message| LogProblem { line: n, message }),
            );
        }
        if problems.is_empty() {
            problems.extend(register(&ev, n, &mut out));
        }
        let valid = problems.is_empty();
        out.problems.extend(problems);
        if valid {
            acts::apply(&ev, &mut out.state);
        }
        out.state.leaves.push(record_hash(line));
        prev_hash = this_hash.clone();
        expected_seq = ev.seq + 1;
        if valid
            && ev.action == Action::Capture
            && let Some(b) = &ev.bundle
        {
            out.captures.entry(b.clone()).or_insert(out.events.len());
        }
        out.events.push(CheckedEvent {
            line: n,
            event: ev,
            line_sha256: this_hash,
            valid,
        });
    }
    out
}

/// What is wrong with one parsed line on its own and against the lines
/// before it.
fn line_problems(
    ev: &Event,
    line: &[u8],
    n: usize,
    expected_seq: u64,
    prev_hash: &str,
    so_far: &LogCheck,
) -> Vec<LogProblem> {
    let mut problems = Vec::new();
    let mut problem = |message: String| problems.push(LogProblem { line: n, message });
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
    if !signature_holds(ev, line) {
        problem("signature does not verify: this line was altered after it was signed".into());
    }
    if (n == 1) != (ev.action == Action::CaseInit) {
        problem(if n == 1 {
            "the first event must be case-init".into()
        } else {
            "case-init may only be the first event".into()
        });
    }
    if n > 1 {
        match so_far.officers.iter().find(|(pk, _)| *pk == ev.public_key) {
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
    match (ev.action, &ev.bundle) {
        (Action::Capture, None) => problem("capture event that names no bundle".into()),
        (Action::Capture, Some(b)) => {
            if let Some(&first) = so_far.captures.get(b) {
                problem(format!(
                    "a second capture event for bundle {b} (first recorded in event {}): a sealed bundle is captured exactly once, so this event cannot replace the first",
                    so_far.events[first].event.seq
                ));
            }
        }
        (_, Some(b)) => problem(format!(
            "a {} event may not name a bundle (names {b})",
            ev.action.as_str()
        )),
        (_, None) => {}
    }
    problems
}

/// Checks the line's Ed25519 signature over its bytes without `,"sig":"…"`.
fn signature_holds(ev: &Event, line: &[u8]) -> bool {
    let suffix = format!(",\"sig\":\"{}\"}}", ev.sig);
    let Some(body) = line.strip_suffix(suffix.as_bytes()) else {
        return false;
    };
    let mut msg = body.to_vec();
    msg.push(b'}');
    let sig = base64::engine::general_purpose::STANDARD
        .decode(&ev.sig)
        .unwrap_or_default();
    keys::parse_public_key_b64(&ev.public_key)
        .is_some_and(|pk| keys::verify_signature(&pk, &msg, &sig))
}

/// Registers the officers a valid line brings in; returns its problems.
fn register(ev: &Event, n: usize, out: &mut LogCheck) -> Option<LogProblem> {
    match ev.action {
        Action::CaseInit => {
            out.officers
                .push((ev.public_key.clone(), ev.officer.clone()));
            None
        }
        Action::OfficerAdded => match ev.details_as::<OfficerAddedDetails>() {
            Some(d) if keys::parse_public_key_b64(&d.public_key).is_some() => {
                if out
                    .officers
                    .iter()
                    .any(|(pk, o)| *pk == d.public_key || *o == d.officer)
                {
                    Some(LogProblem {
                        line: n,
                        message: format!(
                            "registers officer {:?} whose name or key is already registered",
                            d.officer
                        ),
                    })
                } else {
                    out.officers.push((d.public_key, d.officer));
                    None
                }
            }
            _ => Some(LogProblem {
                line: n,
                message: "officer-added event without a valid officer name and public key".into(),
            }),
        },
        _ => None,
    }
}
