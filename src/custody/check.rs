//! Checking a custody log line by line: shape, sequence, hash chain,
//! signatures, who may sign, and what each event may say.

use super::GENESIS_PREV;
use super::acts::{self, CaseState};
use super::event::{
    Action, CaseInitDetails, Event, MergeDetails, OfficerAddedDetails, OfficerRevokedDetails, Role,
};
use crate::hash::sha256_hex;
use crate::keys;
use base64::Engine;
use std::collections::{BTreeMap, BTreeSet};
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
    /// the signer of `case-init`, then each `officer-added` event's officer
    /// (revoked ones included).
    pub(crate) officers: Vec<(String, String)>,
    /// The keys of lead officers (not revoked): the creator, and those added
    /// as leads.
    pub(crate) leads: BTreeSet<String>,
    /// Revoked keys, with the sequence number of the revocation.
    pub(crate) revoked: BTreeMap<String, u64>,
    /// Whether the case-init event says the case has roles (only leads may
    /// add officers); cases created before roles existed do not.
    pub(crate) roles: bool,
    /// The case fingerprint: SHA-256 of the first line (see [`fingerprint`]).
    pub(crate) fingerprint: Option<String>,
    /// For each bundle, where the valid `capture` event that names it is.
    pub(crate) captures: BTreeMap<String, CaptureAt>,
    /// The `capture` events valid `merge` events carried in, in order.
    pub(crate) carried: Vec<Event>,
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

    /// The valid `capture` event recording `bundle`, if any: a line of this
    /// log, or one a `merge` event carried from a copy of the case.
    pub(crate) fn capture_of(&self, bundle: &str) -> Option<&Event> {
        self.captures.get(bundle).map(|at| match at.carried {
            Some(j) => &self.carried[j],
            None => &self.events[at.event].event,
        })
    }

    /// The sequence number of the event of this log that recorded `bundle`:
    /// its `capture` event, or the `merge` event that brought it in.
    pub(crate) fn recorded_in(&self, bundle: &str) -> Option<u64> {
        self.captures
            .get(bundle)
            .map(|at| self.events[at.event].event.seq)
    }
}

/// Where the capture event of a bundle is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CaptureAt {
    /// Index into [`LogCheck::events`] of the `capture` or `merge` event.
    pub(crate) event: usize,
    /// For a merged bundle, index into [`LogCheck::carried`].
    pub(crate) carried: Option<usize>,
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
    let lines: Vec<&[u8]> = bytes
        .strip_suffix(b"\n")
        .unwrap_or(bytes)
        .split(|&b| b == b'\n')
        .collect();
    for (i, (line, (parsed, signed))) in lines.iter().zip(parse_and_check(&lines)).enumerate() {
        let n = i + 1;
        let this_hash = sha256_hex(line);
        let ev: Event = match parsed {
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
        let mut problems = line_problems(&ev, signed, n, expected_seq, &prev_hash, &out);
        if !out.signers.iter().any(|(k, _)| *k == ev.public_key) {
            out.signers
                .push((ev.public_key.clone(), ev.officer.clone()));
        }
        if problems.is_empty() {
            // A case is handed only to an officer whose key stands.
            let active: std::borrow::Cow<'_, [(String, String)]> = if out.revoked.is_empty() {
                std::borrow::Cow::Borrowed(&out.officers)
            } else {
                out.officers
                    .iter()
                    .filter(|(pk, _)| !out.revoked.contains_key(pk))
                    .cloned()
                    .collect()
            };
            problems.extend(
                acts::problems(&ev, &out.state, &active)
                    .into_iter()
                    .map(|message| LogProblem { line: n, message }),
            );
        }
        let mut merged = MergeEffect::default();
        if problems.is_empty() && ev.action == Action::Merge {
            match merge_problems(&ev, &out) {
                Ok(effect) => merged = effect,
                Err(found) => problems.extend(
                    found
                        .into_iter()
                        .map(|message| LogProblem { line: n, message }),
                ),
            }
        }
        if problems.is_empty() {
            problems.extend(register(&ev, n, &mut out));
        }
        let valid = problems.is_empty();
        out.problems.extend(problems);
        if valid {
            acts::apply(&ev, &mut out.state);
            for (k, name) in merged.signers {
                if !out.signers.iter().any(|(have, _)| *have == k) {
                    out.signers.push((k, name));
                }
            }
            for c in merged.captures {
                acts::apply(&c, &mut out.state);
                if let Some(b) = &c.bundle {
                    out.captures.insert(
                        b.clone(),
                        CaptureAt {
                            event: out.events.len(),
                            carried: Some(out.carried.len()),
                        },
                    );
                }
                out.carried.push(c);
            }
            // A capture the colleague withdrew in the copy is withdrawn
            // here too, by the merge event that carried the withdrawal.
            for b in merged.withdrawn {
                out.state.withdrawn.entry(b).or_insert(ev.seq);
            }
        }
        out.state.leaves.push(record_hash(line));
        prev_hash = this_hash.clone();
        expected_seq = ev.seq + 1;
        if valid
            && ev.action == Action::Capture
            && let Some(b) = &ev.bundle
        {
            out.captures.entry(b.clone()).or_insert(CaptureAt {
                event: out.events.len(),
                carried: None,
            });
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
    signed: bool,
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
    if !signed {
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
            Some((_, name)) => {
                if let Some(seq) = so_far.revoked.get(&ev.public_key) {
                    problem(format!(
                        "signed with the key of {name:?}, which event {seq} revoked: a revoked key is refused for anything after its revocation"
                    ));
                }
            }
        }
    }
    match (ev.action, &ev.bundle) {
        (Action::Capture, None) => problem("capture event that names no bundle".into()),
        (Action::Capture, Some(b)) => {
            if let Some(first) = so_far.recorded_in(b) {
                problem(format!(
                    "a second capture event for bundle {b} (first recorded in event {first}): a sealed bundle is captured exactly once, so this event cannot replace the first"
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

/// Each line parsed as an event, and whether its signature holds (see
/// [`signature_holds`]; false for a line that is no event). Lines are
/// independent here, so a long log is split over the processor's cores:
/// checking 10,000 Ed25519 signatures is most of the time a large case
/// takes to open. The order of the result is the order of the lines.
fn parse_and_check(lines: &[&[u8]]) -> Vec<(Result<Event, serde_json::Error>, bool)> {
    // A log is signed by a few keys: the first ones met are decoded once
    // per thread and kept (a hostile log of many keys gets no more memory
    // than that, and each further key is decoded on its line).
    const KEPT_KEYS: usize = 64;
    let part = |part: &[&[u8]]| {
        let mut kept: std::collections::HashMap<String, Option<ed25519_dalek::VerifyingKey>> =
            std::collections::HashMap::new();
        part.iter()
            .map(|line| match serde_json::from_slice::<Event>(line) {
                Ok(ev) => {
                    let key = match kept.get(&ev.public_key) {
                        Some(key) => *key,
                        None => {
                            let key = keys::parse_public_key_b64(&ev.public_key);
                            if kept.len() < KEPT_KEYS {
                                kept.insert(ev.public_key.clone(), key);
                            }
                            key
                        }
                    };
                    let signed = key.is_some_and(|k| signature_holds_with(&ev, line, &k));
                    (Ok(ev), signed)
                }
                Err(e) => (Err(e), false),
            })
            .collect::<Vec<_>>()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || lines.len() < 256 {
        return part(lines);
    }
    let chunk = lines.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = lines
            .chunks(chunk)
            .map(|lines| scope.spawn(move || part(lines)))
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().expect("a custody line check does not panic"))
            .collect()
    })
}

/// Checks the line's Ed25519 signature over its bytes without `,"sig":"…"`.
fn signature_holds(ev: &Event, line: &[u8]) -> bool {
    keys::parse_public_key_b64(&ev.public_key).is_some_and(|pk| signature_holds_with(ev, line, &pk))
}

/// [`signature_holds`] with the line's public key already decoded.
fn signature_holds_with(ev: &Event, line: &[u8], pk: &ed25519_dalek::VerifyingKey) -> bool {
    let suffix = format!(",\"sig\":\"{}\"}}", ev.sig);
    let Some(body) = line.strip_suffix(suffix.as_bytes()) else {
        return false;
    };
    let mut msg = body.to_vec();
    msg.push(b'}');
    let sig = base64::engine::general_purpose::STANDARD
        .decode(&ev.sig)
        .unwrap_or_default();
    keys::verify_signature(pk, &msg, &sig)
}

/// Registers (or revokes) the officers a valid line brings in; returns its
/// problems.
fn register(ev: &Event, n: usize, out: &mut LogCheck) -> Option<LogProblem> {
    let problem = |message: String| Some(LogProblem { line: n, message });
    let signer_is_lead = out.leads.contains(&ev.public_key);
    match ev.action {
        Action::CaseInit => {
            out.officers
                .push((ev.public_key.clone(), ev.officer.clone()));
            out.leads.insert(ev.public_key.clone());
            out.roles = ev
                .details_as::<CaseInitDetails>()
                .is_some_and(|d| d.officer_roles);
            None
        }
        Action::OfficerAdded => match ev.details_as::<OfficerAddedDetails>() {
            Some(d) if keys::parse_public_key_b64(&d.public_key).is_some() => {
                if !signer_is_lead && (out.roles || d.role == Some(Role::Lead)) {
                    problem(format!(
                        "registers officer {:?}{}, but {:?} is not a lead officer of this case, and only a lead may {}",
                        d.officer,
                        if d.role == Some(Role::Lead) {
                            " as a lead"
                        } else {
                            ""
                        },
                        ev.officer,
                        if out.roles {
                            "add officers"
                        } else {
                            "add a lead officer"
                        }
                    ))
                } else if out
                    .officers
                    .iter()
                    .any(|(pk, o)| *pk == d.public_key || *o == d.officer)
                {
                    problem(format!(
                        "registers officer {:?} whose name or key is already registered",
                        d.officer
                    ))
                } else {
                    if d.role == Some(Role::Lead) {
                        out.leads.insert(d.public_key.clone());
                    }
                    out.officers.push((d.public_key, d.officer));
                    None
                }
            }
            _ => problem("officer-added event without a valid officer name and public key".into()),
        },
        Action::OfficerRevoked => match ev.details_as::<OfficerRevokedDetails>() {
            None => problem("officer-revoked event without an officer, key and reason".into()),
            Some(_) if !signer_is_lead => problem(format!(
                "revokes an officer, but {:?} is not a lead officer of this case, and only a lead may revoke officers",
                ev.officer
            )),
            Some(d) if d.reason.trim().is_empty() => {
                problem("officer-revoked event without a reason".into())
            }
            Some(d) if d.public_key == ev.public_key => {
                problem("an officer may not revoke their own key".into())
            }
            Some(d) => {
                if !out
                    .officers
                    .iter()
                    .any(|(pk, o)| *pk == d.public_key && *o == d.officer)
                {
                    problem(format!(
                        "revokes officer {:?} with a key that no earlier event registered for that name",
                        d.officer
                    ))
                } else if let Some(seq) = out.revoked.get(&d.public_key) {
                    problem(format!(
                        "revokes officer {:?} again (already revoked in event {seq})",
                        d.officer
                    ))
                } else {
                    out.leads.remove(&d.public_key);
                    out.revoked.insert(d.public_key, ev.seq);
                    None
                }
            }
        },
        _ => None,
    }
}

/// Largest number of events one `merge` event may carry.
pub(crate) const MAX_CARRIED: usize = 100_000;
/// Most bytes of carried lines one `merge` event may hold: its line must
/// stay well under the longest line a writer reads back
/// ([`super::MAX_LINE`]).
pub(crate) const MAX_CARRIED_BYTES: usize = 16 << 20;

/// What a valid `merge` event brings into the case.
#[derive(Debug, Default)]
pub(crate) struct MergeEffect {
    /// The carried `capture` events of the bundles brought in, in order.
    pub(crate) captures: Vec<Event>,
    /// Bundles brought in that a carried `withdraw` event withdrew.
    pub(crate) withdrawn: Vec<String>,
    /// Every key that signed a carried line, with its name.
    pub(crate) signers: Vec<(String, String)>,
}

/// Whether `id` is a capture id as warden makes them (a hyphenated UUID):
/// one plain path component.
fn is_capture_id(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok_and(|u| u.hyphenated().to_string() == id)
}

/// Checks a `merge` event against the log before it: the carried lines
/// chain onto this log's event `fork_seq` and onto each other, each is
/// signed by an officer of this case whose key is not revoked, and each
/// bundle brought in is recorded by a carried `capture` event and not yet in
/// the case. Returns the carried `capture` events of those bundles, in
/// order, or every problem found. The same rules serve `warden case merge`
/// before it records the event and verify after.
pub(crate) fn merge_problems(ev: &Event, so_far: &LogCheck) -> Result<MergeEffect, Vec<String>> {
    let Some(d) = ev.details_as::<MergeDetails>() else {
        return Err(vec![
            "merge event whose details do not have the fields it must record".into(),
        ]);
    };
    let mut problems = Vec::new();
    if let Some(seq) = so_far.revoked.get(&ev.public_key) {
        problems.push(format!(
            "merged by {:?}, whose key event {seq} revoked",
            ev.officer
        ));
    } else if !so_far.leads.contains(&ev.public_key) {
        problems.push(format!(
            "merged by {:?}, who is not a lead officer of this case; only a lead may merge copies",
            ev.officer
        ));
    }
    let carried_bytes: usize = d.carried.iter().map(String::len).sum();
    if carried_bytes > MAX_CARRIED_BYTES {
        problems.push(format!(
            "carries {carried_bytes} bytes of the copy's events; one merge carries at most {MAX_CARRIED_BYTES}"
        ));
        return Err(problems);
    }
    if let Some(b) = d.bundles.iter().find(|b| !is_capture_id(b)) {
        problems.push(format!("brings in {b:?}, which is not a capture id"));
        return Err(problems);
    }
    if so_far.fingerprint.as_deref() != Some(d.source_fingerprint.as_str()) {
        problems.push(format!(
            "merges a copy of another case (fingerprint {}, this case's is {})",
            d.source_fingerprint,
            so_far.fingerprint.as_deref().unwrap_or("unknown")
        ));
    }
    if d.carried.is_empty() || d.bundles.is_empty() || d.carried.len() > MAX_CARRIED {
        problems.push(format!(
            "merge event carrying {} event(s) and {} bundle(s): a merge carries 1 to {MAX_CARRIED} events and brings in at least one bundle",
            d.carried.len(),
            d.bundles.len()
        ));
        return Err(problems);
    }
    let fork = usize::try_from(d.fork_seq).unwrap_or(usize::MAX);
    let Some(base) = fork
        .checked_sub(1)
        .and_then(|i| so_far.events.get(i))
        .filter(|e| e.event.seq == d.fork_seq && e.valid)
    else {
        problems.push(format!(
            "the copy is said to share events up to {}, which is not a valid event of this log",
            d.fork_seq
        ));
        return Err(problems);
    };
    let mut prev = base.line_sha256.clone();
    let mut seq = d.fork_seq;
    let mut captures: BTreeMap<String, Event> = BTreeMap::new();
    let mut withdrawals: BTreeSet<String> = BTreeSet::new();
    let mut signers: Vec<(String, String)> = Vec::new();
    for (k, line) in d.carried.iter().enumerate() {
        let what = format!("carried event {} (the copy's line {})", k + 1, seq + 1);
        let c: Event = match serde_json::from_str(line) {
            Ok(c) => c,
            Err(e) => {
                problems.push(format!("{what} is not a custody event ({e})"));
                return Err(problems);
            }
        };
        seq += 1;
        if c.seq != seq || c.prev != prev {
            problems.push(format!(
                "{what} does not follow the one before it (sequence number {} or `prev` wrong): an event of the copy was removed, changed or moved",
                c.seq
            ));
        }
        if !signature_holds(&c, line.as_bytes()) {
            problems.push(format!(
                "{what}: signature does not verify, it was altered after it was signed"
            ));
        }
        match so_far.officers.iter().find(|(pk, _)| *pk == c.public_key) {
            None => problems.push(format!(
                "{what} is signed by a key that is not registered in this case (claims to be {:?})",
                c.officer
            )),
            Some((_, name)) if *name != c.officer => problems.push(format!(
                "{what}: officer {:?} does not match the name registered for this key ({name:?})",
                c.officer
            )),
            Some((_, name)) => {
                if let Some(r) = so_far.revoked.get(&c.public_key) {
                    problems.push(format!(
                        "{what} ({}) is signed by {name:?}, whose key event {r} revoked; it cannot be merged after the revocation",
                        c.action.as_str()
                    ));
                }
            }
        }
        match c.action {
            Action::CaseInit
            | Action::OfficerAdded
            | Action::OfficerRevoked
            | Action::Transfer
            | Action::Accept
            | Action::Merge => problems.push(format!(
                "{what} is a {} event: officers, transfers and merges are recorded on the case itself, not carried from a copy",
                c.action.as_str()
            )),
            Action::Withdraw => {
                if let Some(w) = c.details_as::<super::event::WithdrawDetails>() {
                    withdrawals.insert(w.exhibit.bundle);
                }
            }
            Action::Capture => match (&c.bundle, &c.manifest_sha256) {
                (Some(b), Some(_)) => {
                    if captures.insert(b.clone(), c.clone()).is_some() {
                        problems.push(format!("{what} records bundle {b} a second time"));
                    }
                }
                _ => problems.push(format!("{what} is a capture that names no bundle or manifest")),
            },
            _ => {}
        }
        if !signers.iter().any(|(k, _)| *k == c.public_key) {
            signers.push((c.public_key.clone(), c.officer.clone()));
        }
        prev = crate::hash::sha256_hex(line.as_bytes());
    }
    let mut brought = Vec::new();
    let mut seen = BTreeSet::new();
    for b in &d.bundles {
        if !seen.insert(b) {
            problems.push(format!("brings in bundle {b} twice"));
        } else if let Some(first) = so_far.recorded_in(b) {
            problems.push(format!(
                "brings in bundle {b}, which event {first} already recorded in this case"
            ));
        } else if let Some(c) = captures.get(b) {
            brought.push(c.clone());
        } else {
            problems.push(format!(
                "brings in bundle {b}, which no carried capture event records"
            ));
        }
    }
    // A carried capture that is not brought in must be one this case holds
    // already (brought in by an earlier merge of the same copy).
    for (b, c) in &captures {
        if d.bundles.contains(b) {
            continue;
        }
        match so_far.capture_of(b) {
            Some(have) if have.manifest_sha256 == c.manifest_sha256 => {}
            Some(_) => problems.push(format!(
                "carries a capture of bundle {b} that differs from the one this case holds"
            )),
            None => problems.push(format!(
                "carries a capture of bundle {b} but does not bring the bundle in"
            )),
        }
    }
    // In the order the copy captured them.
    brought.sort_by_key(|c| c.seq);
    if problems.is_empty() {
        Ok(MergeEffect {
            withdrawn: d
                .bundles
                .iter()
                .filter(|b| withdrawals.contains(*b))
                .cloned()
                .collect(),
            captures: brought,
            signers,
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custody::test_support::{line, new_case};
    use crate::keys::OfficerKey;

    /// A case's log with `notes` note events after its case-init, one line
    /// per entry, each with its newline.
    fn long_log(dir: &std::path::Path, notes: u64) -> (Vec<Vec<u8>>, OfficerKey) {
        let key = OfficerKey::load_or_create(&dir.join("key.pem")).unwrap();
        let log = std::fs::read(new_case(dir, &key).custody_path()).unwrap();
        let mut lines: Vec<Vec<u8>> = log
            .split_inclusive(|&b| b == b'\n')
            .map(<[u8]>::to_vec)
            .collect();
        for _ in 0..notes {
            let prev = lines.last().unwrap().strip_suffix(b"\n").unwrap();
            let next = line(
                &key,
                "Lead",
                lines.len() as u64 + 1,
                prev,
                Action::Note,
                None,
                serde_json::json!({"text": "looked at the seized phone"}),
            );
            lines.push(next);
        }
        (lines, key)
    }

    #[test]
    fn a_long_log_split_over_threads_names_each_altered_line_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let (mut lines, _key) = long_log(dir.path(), 999);
        assert!(lines.len() >= 1000);
        let whole = lines.concat();
        let check = check_log_uncached(&whole);
        assert!(
            check.problems.is_empty(),
            "{:?}",
            &check.problems[..check.problems.len().min(3)]
        );
        assert_eq!(check.events.len(), lines.len());
        // Lines in the first, a middle and the last part of the split: the
        // note's text changed after signing (same length, so nothing else
        // about the line changes).
        for n in [7usize, 501, 998] {
            let line = &mut lines[n - 1];
            let at = line.windows(5).position(|w| w == b"phone").unwrap();
            line[at] = b'P';
        }
        let check = check_log_uncached(&lines.concat());
        let signature_lines: Vec<usize> = check
            .problems
            .iter()
            .filter(|p| p.message.starts_with("signature does not verify"))
            .map(|p| p.line)
            .collect();
        assert_eq!(
            signature_lines,
            [7, 501, 998],
            "{:?}",
            &check.problems[..check.problems.len().min(5)]
        );
    }
}
