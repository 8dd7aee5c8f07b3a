//! Checks a case folder: its root, `case.toml`, the custody log, the
//! witness, every bundle against the log, and what anchors it. Each step is
//! a function of its own.

use super::anchor::{self, CaseSummary, Signer};
use super::bundle_check::{BundleFacts, check_bundle};
use super::{Ctx, Progress, Report, Sink};
use crate::case::{self, CaseConfig};
use crate::custody::checkpoint::{self, CHECKPOINT_DIR};
use crate::custody::event::{CaptureDetails, CaseInitDetails, CheckpointDetails};
use crate::custody::{self, Action, Event, LogCheck, witness};
use crate::hash::sha256_hex;
use std::collections::BTreeSet;
use std::path::Path;

/// Largest `case.toml` read.
const MAX_CASE_FILE: u64 = 16 << 20;
/// Largest custody log read (about four million events).
const MAX_CUSTODY_LOG: u64 = 4 << 30;

/// Checks a case: its root, `case.toml`, the custody log, and every bundle
/// (or only the bundle `only`).
pub(super) fn check_case(
    dir: &Path,
    shown: &str,
    only: Option<&str>,
    ctx: &mut Ctx<'_>,
    report: &mut Report,
) {
    let mut sink = Sink {
        report: &mut *report,
        root: shown.to_string(),
    };
    check_root(dir, &mut sink);
    // What other warden processes write together (an event and the files it
    // records or moves, a checkpoint, case.toml, the witness record of an
    // append) is read as one snapshot: under a shared lock on the log, which
    // every append holds exclusively while it writes. A checkpoint and
    // case.toml are put in place under that lock; a capture, a merge or
    // recovery moves a bundle only after its event, so the listing of
    // evidence/ taken here agrees with the log read here.
    // The witness is also read before the log, for when no lock can be had:
    // an append writes its witness record after its log line is durable, so
    // every head read now is in the log read next. Read the other way round,
    // an event another process appended in between (a `verify` that records
    // itself) would read as one removed from the log.
    let guard = shared_log_lock(&dir.join(case::CUSTODY_FILE));
    if matches!(guard, LogGuard::Busy) {
        sink.report.notes.push(format!(
            "{}/{}: another process kept the custody log locked for {} s, so verify read it while that process may still be writing; if a problem below names a file that process writes, verify again once it has finished",
            sink.root,
            case::CUSTODY_FILE,
            LOG_LOCK_WAIT.as_secs()
        ));
    }
    let witnessed = ctx
        .witness_dir
        .map(|w| witness::list(w, None).unwrap_or_default());
    let case_path = dir.join(case::CASE_FILE);
    let case_text = match crate::fsutil::read_capped(&case_path, MAX_CASE_FILE) {
        Ok(b) => b,
        Err(e) => {
            sink.problem(case::CASE_FILE, format!("cannot be read: {e}"));
            Vec::new()
        }
    };
    let pending =
        crate::fsutil::read_capped(&dir.join(case::PENDING_CASE_FILE), MAX_CASE_FILE).ok();
    let log = match crate::fsutil::read_capped(&dir.join(case::CUSTODY_FILE), MAX_CUSTODY_LOG) {
        Ok(b) => b,
        Err(e) => {
            sink.problem(case::CUSTODY_FILE, format!("cannot be read: {e}"));
            Vec::new()
        }
    };
    let checkpoint_files = CheckpointFiles::read(&dir.join(CHECKPOINT_DIR));
    let evidence = list_evidence(&dir.join(case::EVIDENCE_DIR), only);
    let interrupted = list_names(&dir.join(case::INTERRUPTED_DIR));
    drop(guard);
    let config = match std::str::from_utf8(&case_text)
        .map_err(|e| e.to_string())
        .and_then(|t| case::parse_config(&case_path, t).map_err(|e| e.to_string()))
    {
        Ok(c) => Some(c),
        Err(e) => {
            sink.problem(
                case::CASE_FILE,
                format!("cannot be read as a case file: {e}"),
            );
            None
        }
    };
    let check = custody::check_log(&log);
    for p in &check.problems {
        let rel = if p.line == 0 {
            case::CUSTODY_FILE.to_string()
        } else {
            format!("{}:{}", case::CUSTODY_FILE, p.line)
        };
        sink.problem(&rel, p.message.clone());
    }
    if let Some(config) = &config {
        check_case_file(config, &case_text, pending.as_deref(), &check, &mut sink);
    }
    check_witness(dir, &check, witnessed, &mut sink);
    check_interrupted(interrupted, &check, &mut sink);
    check_checkpoints(&check, &checkpoint_files, ctx, &mut sink);
    check_repairs(&check, &mut sink);
    check_sweep_outputs(dir, &check, &mut sink);
    if check.problems.is_empty() {
        let head = check
            .head()
            .map(|(seq, h)| format!("; head: event {seq}, line SHA-256 {h}"))
            .unwrap_or_default();
        sink.ok(
            case::CUSTODY_FILE,
            format!(
                "({} events, chain and signatures hold{head})",
                check.events.len()
            ),
        );
    }
    let mut signers: Vec<Signer> = check
        .signers
        .iter()
        .map(|(k, o)| Signer {
            officer: o.clone(),
            public_key: k.clone(),
        })
        .collect();
    let bundles = check_evidence(
        dir,
        evidence,
        config.as_ref(),
        &check,
        ctx,
        &mut sink,
        &mut signers,
    );
    let anchoring = anchor::anchor_case(
        check.fingerprint.as_deref(),
        &signers,
        ctx.trust,
        ctx.fingerprints,
        |m| sink.problem(case::CUSTODY_FILE, m),
    );
    report.cases.push(CaseSummary {
        path: shown.to_string(),
        case_id: config.as_ref().map(|c| c.case.id.clone()),
        fingerprint: check.fingerprint.clone(),
        anchoring,
        signers,
    });
    report.bundles += bundles;
    report.custody_events += check.events.len();
}

/// Files file browsers leave in folders they show.
const OS_METADATA: &[&str] = &[".DS_Store", "Thumbs.db", "desktop.ini", "._.DS_Store"];

/// Only `case.toml`, `custody.jsonl` and `evidence/` belong at a case's
/// root, each the real thing (not a link).
fn check_root(dir: &Path, sink: &mut Sink<'_>) {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(e) => {
            sink.problem("", format!("cannot be read: {e}"));
            return;
        }
    };
    names.sort();
    for name in names {
        if name == case::PENDING_CASE_FILE {
            continue; // judged with case.toml
        }
        if !case::ROOT_ENTRIES.contains(&name.as_str()) {
            let what = if OS_METADATA.contains(&name.as_str()) {
                "operating-system metadata (a file browser wrote it, not warden) at the case root; it is not part of the case: remove it, or work on a copy"
            } else {
                "unexpected entry at the case root: a case holds only case.toml, custody.jsonl, evidence/, interrupted/, checkpoints/ and sweeps/, so this was added outside warden"
            };
            sink.problem(&name, what);
        }
    }
    for name in case::ROOT_ENTRIES {
        if std::fs::symlink_metadata(dir.join(name)).is_ok_and(|m| m.file_type().is_symlink()) {
            sink.problem(name, "is a symbolic link; the case must hold the real file");
        }
    }
}

/// `case.toml` against the log: the same officers, the file the log last
/// recorded, and the identity the first event recorded.
fn check_case_file(
    config: &CaseConfig,
    case_text: &[u8],
    pending: Option<&[u8]>,
    check: &LogCheck,
    sink: &mut Sink<'_>,
) {
    let mut in_toml: Vec<(String, String)> = config
        .officers
        .iter()
        .map(|o| (o.public_key.clone(), o.name.clone()))
        .collect();
    let mut in_log = check.officers.clone();
    in_toml.sort();
    in_log.sort();
    if in_toml != in_log {
        sink.problem(
            case::CASE_FILE,
            "its officers differ from those registered in the custody log (an officer was added, removed or changed outside warden)",
        );
    }
    let recorded = check.valid_events().filter_map(|e| match e.action {
        Action::CaseInit => e
            .details_as::<CaseInitDetails>()
            .map(|d| d.case_toml_sha256),
        Action::OfficerAdded => e
            .details_as::<custody::event::OfficerAddedDetails>()
            .map(|d| d.case_toml_sha256),
        Action::OfficerRevoked => e
            .details_as::<custody::event::OfficerRevokedDetails>()
            .map(|d| d.case_toml_sha256),
        _ => None,
    });
    match recorded.last() {
        Some(h) if h == sha256_hex(case_text) => {
            if pending.is_some() {
                sink.problem(
                    case::PENDING_CASE_FILE,
                    "left by an interrupted `case add-officer` (or `case revoke-officer`) whose custody event was never written; the next warden command on this case removes it",
                );
            }
        }
        Some(h) if pending.is_some_and(|p| sha256_hex(p) == h) => sink.problem(
            case::CASE_FILE,
            "an interrupted `case add-officer` (or `case revoke-officer`) recorded its event in the custody log but did not put the new case file in place (it is in .case.toml.pending); the next warden command on this case finishes it",
        ),
        Some(_) => sink.problem(
            case::CASE_FILE,
            "changed since the custody log last recorded it (its SHA-256 differs)",
        ),
        None => sink.problem(
            case::CASE_FILE,
            "the custody log holds no record of this case file",
        ),
    }
    // The case's identity is the one its first event recorded.
    if let Some(first) = check.events.first().filter(|e| e.valid)
        && let Some(d) = first.event.details_as::<CaseInitDetails>()
    {
        let c = &config.case;
        for (field, now, then) in [
            ("id", Some(&c.id), Some(&d.case_id)),
            ("title", Some(&c.title), d.title.as_ref()),
            ("agency", Some(&c.agency), d.agency.as_ref()),
            ("created", Some(&c.created), d.created.as_ref()),
        ] {
            if let (Some(now), Some(then)) = (now, then)
                && now != then
            {
                sink.problem(
                    case::CASE_FILE,
                    format!(
                        "its case {field} {now:?} is not the {then:?} recorded when the case was created (custody event 1)"
                    ),
                );
            }
        }
    }
}

/// The head this computer recorded for this folder must still be in the
/// log; heads recorded for copies of the case in other folders are only
/// mentioned. `witnessed` holds every head recorded on this computer, read
/// before the log (`None`: no witness folder, nothing to compare).
fn check_witness(
    dir: &Path,
    check: &LogCheck,
    witnessed: Option<Vec<witness::Head>>,
    sink: &mut Sink<'_>,
) {
    let (Some(all), Some(fp)) = (witnessed, check.fingerprint.as_deref()) else {
        return;
    };
    let heads = all.into_iter().filter(|h| h.fingerprint == fp);
    let here = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    for w in heads {
        let holds = check
            .events
            .iter()
            .any(|e| e.event.seq == w.seq && e.line_sha256 == w.line_sha256);
        if holds {
            continue;
        }
        if w.folder == here {
            sink.problem(
                case::CUSTODY_FILE,
                format!(
                    "this computer recorded event {} (line SHA-256 {}) in this folder's custody log on {}, but the log no longer holds it: events were removed from its end or rewritten",
                    w.seq, w.line_sha256, w.recorded_at
                ),
            );
        } else {
            sink.report.notes.push(format!(
                "{}: this computer recorded event {} of this case in another copy of it, {} (on {}); this copy does not hold that event: it is an older copy, the copies went their own ways, or (if this folder was moved here from there) events were removed from its end",
                sink.root,
                w.seq,
                w.folder.display(),
                w.recorded_at
            ));
        }
    }
}

/// Every entry of `evidence/` against the log, and every captured bundle
/// present. Returns the number of bundles checked.
fn check_evidence(
    dir: &Path,
    listed: EvidenceListing,
    config: Option<&CaseConfig>,
    check: &LogCheck,
    ctx: &mut Ctx<'_>,
    sink: &mut Sink<'_>,
    signers: &mut Vec<Signer>,
) -> usize {
    let ev_dir = dir.join(case::EVIDENCE_DIR);
    if let Some(e) = &listed.error {
        sink.problem(case::EVIDENCE_DIR, format!("cannot be read: {e}"));
    }
    let total = listed.total;
    let only = listed.only.as_deref();
    let kinds = listed.entries;
    // Asked once, and only when there is a partial bundle to speak of.
    let running =
        kinds.iter().any(|(_, k)| matches!(k, Entry::Partial(_))) && capture_running(&ev_dir);
    let checked = check_bundles_in_parallel(&kinds, sink, check, ctx, only.is_none(), total);
    let mut bundles = 0;
    let mut seen = BTreeSet::new();
    for ((name, kind), result) in kinds.iter().zip(checked) {
        let rel = format!("{}/{name}", case::EVIDENCE_DIR);
        match kind {
            Entry::Symlink => sink.problem(
                &rel,
                "is a symbolic link; evidence/ must hold the bundles themselves",
            ),
            Entry::Partial(path) => {
                let id = &name[crate::bundle::PARTIAL_PREFIX.len()..];
                seen.insert(id.to_string());
                let mut message = partial_message(&ev_dir, id, path, check);
                if running {
                    message.push_str(RUNNING);
                }
                sink.problem(&rel, message);
            }
            Entry::NotAFolder => sink.problem(
                &rel,
                "unexpected file in evidence/ (only bundle folders belong here)",
            ),
            Entry::Bundle(_) => {
                let Some((facts, found)) = result else {
                    // Every bundle is checked above; never skip one silently.
                    sink.problem(&rel, "this bundle could not be checked");
                    continue;
                };
                bundles += 1;
                seen.insert(name.clone());
                sink.report.problems.extend(found.problems);
                sink.report.verified.extend(found.verified);
                sink.report.notes.extend(found.notes);
                if let Some((key, officer)) = &facts.signer
                    && !signers.iter().any(|s| s.public_key == *key)
                {
                    signers.push(Signer {
                        officer: officer.clone(),
                        public_key: key.clone(),
                    });
                }
                match check.capture_of(name) {
                    None => sink.problem(
                        &rel,
                        "no valid capture event in custody.jsonl records this bundle: it was placed or copied here, not captured into this case (a capture records its event before the bundle appears in evidence/; only older warden versions, which did it the other way round, could leave this after a crash)",
                    ),
                    Some(ev) => {
                        let seq = check.recorded_in(name).unwrap_or(ev.seq);
                        check_against_event(&rel, &facts, ev, seq, config, sink)
                    }
                }
            }
        }
    }
    if only.is_none() {
        (ctx.progress)(Progress { done: total, total });
    }
    for (id, at) in &check.captures {
        if only.is_some_and(|o| o != id) || seen.contains(id) {
            continue;
        }
        let seq = check.events[at.event].event.seq;
        let message = match crate::recovery::set_aside_note(check, id) {
            Some(note) => {
                format!("recorded in custody event {seq} but missing from evidence/: {note}")
            }
            None => format!("recorded in custody event {seq} but missing from evidence/"),
        };
        sink.problem(&format!("{}/{id}", case::EVIDENCE_DIR), message);
    }
    bundles
}

/// `evidence/` as listed under the log lock: every entry (or only `only`)
/// with its kind, in name order, and how many entries it held.
struct EvidenceListing {
    /// The one bundle asked for, if only one was.
    only: Option<String>,
    error: Option<String>,
    total: usize,
    entries: Vec<(String, Entry)>,
}

fn list_evidence(ev_dir: &Path, only: Option<&str>) -> EvidenceListing {
    let mut found: Vec<_> = match std::fs::read_dir(ev_dir) {
        Ok(rd) => rd.filter_map(Result::ok).collect(),
        Err(e) => {
            return EvidenceListing {
                only: only.map(str::to_string),
                error: Some(e.to_string()),
                total: 0,
                entries: Vec::new(),
            };
        }
    };
    found.sort_by_key(|e| e.file_name());
    let total = found.len();
    let entries = found
        .into_iter()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            if only.is_some_and(|o| o != name) {
                return None;
            }
            let md = std::fs::symlink_metadata(entry.path());
            let kind = if md.as_ref().is_ok_and(|m| m.file_type().is_symlink()) {
                Entry::Symlink
            } else if name.starts_with(crate::bundle::PARTIAL_PREFIX) {
                Entry::Partial(entry.path())
            } else if !md.is_ok_and(|m| m.is_dir()) {
                Entry::NotAFolder
            } else {
                Entry::Bundle(entry.path())
            };
            Some((name, kind))
        })
        .collect();
    EvidenceListing {
        only: only.map(str::to_string),
        error: None,
        total,
        entries,
    }
}

/// The names in folder `dir`, sorted (none when it cannot be read).
fn list_names(dir: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = rd
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// What an entry of `evidence/` is, as far as can be told without reading it.
enum Entry {
    Symlink,
    Partial(std::path::PathBuf),
    NotAFolder,
    Bundle(std::path::PathBuf),
}

/// Checks every bundle among `kinds` on up to four threads, each into a
/// report of its own. Returns, in the order of `kinds`, the facts and the
/// findings of each bundle (`None` for entries that are not bundles).
/// Progress is reported from this thread as bundles finish.
#[allow(clippy::type_complexity)]
fn check_bundles_in_parallel(
    kinds: &[(String, Entry)],
    sink: &Sink<'_>,
    check: &LogCheck,
    ctx: &mut Ctx<'_>,
    report_progress: bool,
    total: usize,
) -> Vec<Option<(BundleFacts, Report)>> {
    let todo: Vec<(usize, &Path)> = kinds
        .iter()
        .enumerate()
        .filter_map(|(i, (_, k))| match k {
            Entry::Bundle(p) => Some((i, p.as_path())),
            _ => None,
        })
        .collect();
    let mut out: Vec<Option<(BundleFacts, Report)>> = kinds.iter().map(|_| None).collect();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4)
        .min(todo.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let root = sink.root.clone();
    let tsa_ca = ctx.tsa_ca;
    let officers = &check.officers;
    let skipped = kinds.len() - todo.len();
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::channel();
        for _ in 0..threads {
            let tx = tx.clone();
            let (todo, next, root) = (&todo, &next, &root);
            scope.spawn(move || {
                loop {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&(i, path)) = todo.get(n) else {
                        break;
                    };
                    let rel = format!("{}/{}", case::EVIDENCE_DIR, kinds[i].0);
                    let mut found = Report::default();
                    let mut local = Sink {
                        report: &mut found,
                        root: root.clone(),
                    };
                    let facts = check_bundle(path, &rel, Some(officers), tsa_ca, &mut local);
                    if tx.send((i, facts, found)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        if report_progress {
            (ctx.progress)(Progress {
                done: skipped,
                total,
            });
        }
        for (done, (i, facts, found)) in (skipped + 1..).zip(rx) {
            out[i] = Some((facts, found));
            if report_progress {
                (ctx.progress)(Progress { done, total });
            }
        }
    });
    out
}

/// What verify can say about an `evidence/.partial-<id>` entry, from what
/// the custody log and the folder's content show.
/// Said of a `.partial` folder while another process holds `evidence/`.
const RUNNING: &str = ". Another process holds a lock on evidence/ right now, as a running warden capture, merge or recovery does, so this may be its work in progress: verify the case again once it has finished";

/// Whether another process holds a lock on `evidence/` (a warden capture,
/// merge or recovery still running, see [`crate::recovery`]). Asked three
/// times 50 ms apart, as another verify asking the same question holds the
/// lock for an instant. The folder is opened without following a link and
/// without blocking, so a planted FIFO or link cannot hang verify.
fn capture_running(ev_dir: &Path) -> bool {
    use rustix::fs::{Mode, OFlags};
    if !std::fs::symlink_metadata(ev_dir).is_ok_and(|m| m.is_dir()) {
        return false;
    }
    let flags =
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let Ok(fd) = rustix::fs::open(ev_dir, flags, Mode::empty()) else {
        return false;
    };
    let dir = std::fs::File::from(fd);
    for attempt in 0..3 {
        match dir.try_lock() {
            Ok(()) => return false,
            Err(std::fs::TryLockError::WouldBlock) if attempt < 2 => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::WouldBlock) => return true,
            Err(std::fs::TryLockError::Error(_)) => return false,
        }
    }
    false
}

/// What verify says of a `.partial-<id>` folder: never evidence; why it is
/// there, as far as the log and its content tell.
fn partial_message(ev_dir: &Path, id: &str, path: &Path, check: &LogCheck) -> String {
    let Some(ev) = check.capture_of(id) else {
        return format!(
            "interrupted capture: a partial bundle {id:?} that no custody event records, so it is not evidence (a .partial folder, as a capture stopped before sealing leaves; the folder alone cannot show it was not placed here); the next `warden capture` into this case moves it to interrupted/ and records that in the custody log"
        );
    };
    let seq = check.recorded_in(id).unwrap_or(ev.seq);
    if std::fs::symlink_metadata(ev_dir.join(id)).is_ok() {
        return format!(
            "a .partial folder (never evidence) named after bundle {id}, which custody event {seq} records and which is already in evidence/: this copy is not it. The next `warden capture` moves it to interrupted/ and records that"
        );
    }
    match crate::bundle::check_sealed(
        path,
        ev.manifest_sha256.as_deref().unwrap_or(""),
        &ev.public_key,
    ) {
        Ok(()) => format!(
            "interrupted capture: sealed and recorded in custody event {seq}, and this .partial folder holds that sealed bundle, but the capture (or merge) stopped before moving it into place; the next `warden capture` (or `warden case merge`) into this case checks it and completes the move (and records that)"
        ),
        Err(e) => format!(
            "a .partial folder (never evidence) that does not hold the bundle recorded in custody event {seq} ({e}); the next `warden capture` moves it to interrupted/ and records that"
        ),
    }
}

/// Every entry of `interrupted/` must have been put there by recovery: a
/// valid `capture-interrupted` event names it. Each is mentioned in a note
/// (it is not evidence, and verify does not check its content).
fn check_interrupted(names: Vec<String>, check: &LogCheck, sink: &mut Sink<'_>) {
    for name in names {
        let to = format!("{}/{name}", case::INTERRUPTED_DIR);
        let event = check
            .valid_events()
            .filter(|e| e.action == Action::CaptureInterrupted)
            .find(|e| {
                e.details
                    .as_ref()
                    .and_then(|d| d.get("to"))
                    .and_then(|v| v.as_str())
                    == Some(to.as_str())
            });
        match event {
            Some(e) => sink.report.notes.push(format!(
                "{}/{to}: set aside by recovery in custody event {}; not evidence, and its content is not checked",
                sink.root, e.seq
            )),
            None => sink.problem(
                &to,
                "no capture-interrupted event in custody.jsonl put this here: it was placed outside warden",
            ),
        }
    }
}

/// The revocation of a checkpoint's signer that the checkpoint covers (so
/// it was signed after the key was revoked), if any.
fn signed_after_revocation(check: &LogCheck, c: &checkpoint::Checkpointed) -> Option<u64> {
    check
        .revoked
        .get(&c.signer)
        .copied()
        .filter(|r| *r <= c.size)
}

/// Every checkpoint in `checkpoints/` holds against the log (origin, an
/// officer's signature, the Merkle tree hash of the lines it covers), and
/// every `checkpoint` event's file is there, unchanged, signed by the
/// officer who recorded it.
fn check_checkpoints(
    check: &LogCheck,
    files: &CheckpointFiles,
    ctx: &mut Ctx<'_>,
    sink: &mut Sink<'_>,
) {
    if files.not_a_folder {
        sink.problem(
            CHECKPOINT_DIR,
            "is not a folder: checkpoints/ holds the checkpoint files warden writes",
        );
    }
    let recorded: Vec<(&Event, CheckpointDetails)> = check
        .valid_events()
        .filter(|e| e.action == Action::Checkpoint)
        .filter_map(|e| Some((e, e.details_as::<CheckpointDetails>()?)))
        .collect();
    let names = &files.names;
    for (ev, d) in &recorded {
        let name = d
            .file
            .strip_prefix(&format!("{CHECKPOINT_DIR}/"))
            .unwrap_or(&d.file);
        if !names.iter().any(|n| n == name) {
            sink.problem(
                &d.file,
                format!(
                    "missing: custody event {} recorded this checkpoint, and it was removed",
                    ev.seq
                ),
            );
        }
    }
    let Some(fingerprint) = check.fingerprint.as_deref() else {
        return;
    };
    let officers: Vec<String> = check.officers.iter().map(|(k, _)| k.clone()).collect();
    for (path, bytes, matched) in &mut ctx.checkpoints {
        if checkpoint::origin_of(bytes).as_deref() != Some(checkpoint::origin(fingerprint).as_str())
        {
            continue;
        }
        *matched = true;
        match checkpoint::check(bytes, fingerprint, &check.state.leaves, &officers) {
            Ok(c) if signed_after_revocation(check, &c).is_some() => {
                sink.report.problems.push(super::Problem {
                    path: path.clone(),
                    message: format!(
                        "checkpoint given to verify, for case {}: signed with a key that custody event {} revoked, yet it covers that event: it was made after the revocation",
                        sink.root,
                        signed_after_revocation(check, &c).unwrap_or_default()
                    ),
                })
            }
            Ok(c) => sink.report.verified.push(format!(
                "{path} (checkpoint given to verify: the custody log of {} still begins with the {} events it covers)",
                sink.root, c.size
            )),
            Err(p) => sink.report.problems.push(super::Problem {
                path: path.clone(),
                message: format!("checkpoint given to verify, for case {}: {p}", sink.root),
            }),
        }
    }
    for name in names.iter().filter(|n| n.ends_with(".tsr")) {
        let rel = format!("{CHECKPOINT_DIR}/{name}");
        let well_named = name
            .strip_suffix(".tsr")
            .is_some_and(|n| n.len() == 8 && n.bytes().all(|b| b.is_ascii_digit()));
        match recorded
            .iter()
            .find(|(_, d)| d.timestamp_file.as_deref() == Some(rel.as_str()))
        {
            Some((ev, d)) if well_named => {
                check_checkpoint_token(files, &rel, name, ev, d, ctx, sink)
            }
            None if well_named
                && token_of_unrecorded_checkpoint(files, name, &recorded, |bytes, covered| {
                    checkpoint::check(bytes, fingerprint, &check.state.leaves, &officers)
                        .is_ok_and(|made| {
                            checkpoint::file_name(made.size) == covered
                                && signed_after_revocation(check, &made).is_none()
                        })
                }) =>
            {
                sink.report.notes.push(format!(
                    "{}/{rel}: a time-stamp token over the valid checkpoint beside it, which no checkpoint event records either (what a `warden custody checkpoint` that stopped before recording leaves)",
                    sink.root
                ))
            }
            _ => sink.problem(
                &rel,
                "no checkpoint event records this time-stamp token: it was added outside warden",
            ),
        }
    }
    for (ev, d) in &recorded {
        if let Some(t) = &d.timestamp_file
            && !names.iter().any(|n| format!("{CHECKPOINT_DIR}/{n}") == *t)
        {
            sink.problem(
                t,
                format!(
                    "missing: custody event {} recorded this time-stamp token, and it was removed",
                    ev.seq
                ),
            );
        }
    }
    for name in names.iter().filter(|n| !n.ends_with(".tsr")) {
        let rel = format!("{CHECKPOINT_DIR}/{name}");
        let well_named = name
            .strip_suffix(".checkpoint")
            .is_some_and(|n| n.len() == 8 && n.bytes().all(|b| b.is_ascii_digit()));
        if !well_named {
            sink.problem(
                &rel,
                "unexpected entry: checkpoints/ holds only the checkpoint files warden writes (NNNNNNNN.checkpoint)",
            );
            continue;
        }
        let bytes = match files.bytes(name) {
            Ok(b) => b,
            Err(e) => {
                sink.problem(&rel, format!("cannot be read as a regular file: {e}"));
                continue;
            }
        };
        let made = match checkpoint::check(&bytes, fingerprint, &check.state.leaves, &officers) {
            Ok(c) => c,
            Err(p) => {
                sink.problem(&rel, p.to_string());
                continue;
            }
        };
        if let Some(r) = signed_after_revocation(check, &made) {
            sink.problem(
                &rel,
                format!(
                    "signed with a key that custody event {r} revoked, yet it covers that event: it was made after the revocation"
                ),
            );
            continue;
        }
        if checkpoint::file_name(made.size) != *name {
            sink.problem(
                &rel,
                format!(
                    "holds the checkpoint of {} lines, which is not the number its name gives",
                    made.size
                ),
            );
            continue;
        }
        match recorded.iter().find(|(_, d)| d.file == rel) {
            Some((ev, d)) if d.file_sha256 != sha256_hex(&bytes) => sink.problem(
                &rel,
                format!("is not the file custody event {} recorded (its SHA-256 differs)", ev.seq),
            ),
            Some((ev, _)) if ev.public_key != made.signer => sink.problem(
                &rel,
                format!("is not signed by officer {:?}, who recorded it in custody event {}", ev.officer, ev.seq),
            ),
            Some((ev, _)) => sink.ok(
                &rel,
                format!(
                    "(signed checkpoint of the first {} custody events, recorded in event {}; their Merkle tree hash holds)",
                    made.size, ev.seq
                ),
            ),
            None => sink.report.notes.push(format!(
                "{}/{rel}: a valid checkpoint of the first {} custody events that no checkpoint event records (a `warden custody checkpoint` stopped before recording it)",
                sink.root, made.size
            )),
        }
    }
}

/// Whether the unrecorded token `name` (`NNNNNNNN.tsr`) is what an
/// interrupted `custody checkpoint --tsa` leaves: the checkpoint file of
/// the same number is there, no event records it either, it `holds` (a
/// valid checkpoint of this log under its own name, given as the second
/// argument), and the token's imprint is its SHA-256.
fn token_of_unrecorded_checkpoint(
    files: &CheckpointFiles,
    name: &str,
    recorded: &[(&Event, CheckpointDetails)],
    holds: impl Fn(&[u8], &str) -> bool,
) -> bool {
    let Some(stem) = name.strip_suffix(".tsr") else {
        return false;
    };
    let covered = format!("{stem}.checkpoint");
    let covered_rel = format!("{CHECKPOINT_DIR}/{covered}");
    if recorded.iter().any(|(_, d)| d.file == covered_rel) {
        return false;
    }
    let (Ok(checkpoint), Ok(tsr)) = (files.bytes(&covered), files.bytes(name)) else {
        return false;
    };
    if !holds(&checkpoint, &covered) {
        return false;
    }
    crate::bundle::timestamp::parse_response(&tsr).is_ok_and(|t| {
        t.info.hash_algorithm == "sha256" && t.info.message_imprint_hex == sha256_hex(&checkpoint)
    })
}

/// How long verify waits for other warden processes to finish writing the
/// custody log (an append takes milliseconds; a checkpoint waits for its
/// time-stamp authority).
const LOG_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// What holding the custody log while reading it came to.
enum LogGuard {
    /// Held (shared): no other process writes the log until dropped.
    Held(#[allow(dead_code)] std::fs::File),
    /// The log cannot be opened (verify reports why) or locked (a copy on
    /// a file system without locks: nothing writes to it there).
    NotLockable,
    /// Another process kept it locked for all of [`LOG_LOCK_WAIT`].
    Busy,
}

/// Takes a shared lock on the custody log, so that verify reads what other
/// processes write together (an event and the files it records) as one.
fn shared_log_lock(log: &Path) -> LogGuard {
    let Ok(file) = crate::fsutil::open_regular_nofollow(log) else {
        return LogGuard::NotLockable;
    };
    let start = std::time::Instant::now();
    loop {
        match file.try_lock_shared() {
            Ok(()) => return LogGuard::Held(file),
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < LOG_LOCK_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => return LogGuard::Busy,
            Err(std::fs::TryLockError::Error(_)) => return LogGuard::NotLockable,
        }
    }
}

/// What `checkpoints/` held when the log was read: every name, and the
/// bytes of the files warden names `NNNNNNNN.checkpoint` and
/// `NNNNNNNN.tsr`, each read with its size limit, up to
/// [`SNAPSHOT_BYTES`] in all (files beyond that are read when checked).
struct CheckpointFiles {
    dir: std::path::PathBuf,
    not_a_folder: bool,
    /// Sorted.
    names: Vec<String>,
    files: std::collections::BTreeMap<String, Result<Vec<u8>, String>>,
}

/// Most bytes of checkpoint files read while the log is locked.
const SNAPSHOT_BYTES: u64 = 64 << 20;

/// The size limit of a checkpoint file warden could have written under
/// this name, or `None` for any other name.
fn checkpoint_file_limit(name: &str) -> Option<u64> {
    let numbered = |n: &str| n.len() == 8 && n.bytes().all(|b| b.is_ascii_digit());
    if name.strip_suffix(".checkpoint").is_some_and(numbered) {
        Some(checkpoint::MAX_CHECKPOINT_FILE)
    } else if name.strip_suffix(".tsr").is_some_and(numbered) {
        Some(MAX_TOKEN_FILE)
    } else {
        None
    }
}

impl CheckpointFiles {
    fn read(cdir: &Path) -> CheckpointFiles {
        let not_a_folder = std::fs::symlink_metadata(cdir)
            .is_ok_and(|m| !m.is_dir() && !m.file_type().is_symlink());
        let names = list_names(cdir);
        let mut budget = SNAPSHOT_BYTES;
        let mut files = std::collections::BTreeMap::new();
        for n in &names {
            let Some(max) = checkpoint_file_limit(n) else {
                continue;
            };
            if budget < max {
                break;
            }
            let read = crate::fsutil::read_capped(&cdir.join(n), max).map_err(|e| e.to_string());
            budget -= read.as_ref().map_or(0, |b| b.len() as u64);
            files.insert(n.clone(), read);
        }
        CheckpointFiles {
            dir: cdir.to_path_buf(),
            not_a_folder,
            names,
            files,
        }
    }

    /// The bytes of `name`: as read with the log, or (past the snapshot's
    /// budget) read now.
    fn bytes(&self, name: &str) -> Result<std::borrow::Cow<'_, [u8]>, String> {
        match self.files.get(name) {
            Some(Ok(b)) => Ok(std::borrow::Cow::Borrowed(b)),
            Some(Err(e)) => Err(e.clone()),
            None if !self.names.iter().any(|n| n == name) => {
                Err("it was not there when the custody log was read".into())
            }
            None => {
                let max = checkpoint_file_limit(name)
                    .ok_or_else(|| "not a file warden writes here".to_string())?;
                crate::fsutil::read_capped(&self.dir.join(name), max)
                    .map(std::borrow::Cow::Owned)
                    .map_err(|e| e.to_string())
            }
        }
    }
}

/// Largest checkpoint time-stamp token read.
const MAX_TOKEN_FILE: u64 = 1 << 20;

/// A checkpoint's time-stamp token: the file the event recorded, a granted
/// RFC 3161 reply over SHA-256 of the checkpoint file, and, with
/// `--tsa-ca`, signed by an authority chaining to it.
fn check_checkpoint_token(
    files: &CheckpointFiles,
    rel: &str,
    name: &str,
    ev: &Event,
    d: &CheckpointDetails,
    ctx: &Ctx<'_>,
    sink: &mut Sink<'_>,
) {
    let tsr = match files.bytes(name) {
        Ok(b) => b,
        Err(e) => return sink.problem(rel, format!("cannot be read as a regular file: {e}")),
    };
    if d.timestamp_sha256.as_deref() != Some(sha256_hex(&tsr).as_str()) {
        return sink.problem(
            rel,
            format!(
                "is not the token custody event {} recorded (its SHA-256 differs)",
                ev.seq
            ),
        );
    }
    let covered = d
        .file
        .strip_prefix(&format!("{CHECKPOINT_DIR}/"))
        .and_then(|f| files.bytes(f).ok());
    let token = match crate::bundle::timestamp::parse_response(&tsr) {
        Ok(t) => t,
        Err(e) => return sink.problem(rel, e.to_string()),
    };
    let info = &token.info;
    if info.hash_algorithm != "sha256"
        || covered.map(|c| sha256_hex(&c)).as_deref() != Some(info.message_imprint_hex.as_str())
    {
        return sink.problem(
            rel,
            format!("the time-stamp token does not cover {}", d.file),
        );
    }
    match ctx.tsa_ca {
        Some(ca) => match crate::bundle::tsa_trust::verify_token(&token, ca) {
            Ok(_) => sink.ok(
                rel,
                format!(
                    "(time-stamp of {} at {}, signed by an authority under --tsa-ca)",
                    d.file, info.gen_time
                ),
            ),
            Err(e) => sink.problem(
                rel,
                format!("the time-stamp token does not verify against the given --tsa-ca: {e}"),
            ),
        },
        None => sink.ok(
            rel,
            format!(
                "(time-stamp of {} at {}; the authority's signature is checked only with --tsa-ca)",
                d.file, info.gen_time
            ),
        ),
    }
}

/// The result files of live sweeps (`sweeps/<id>/…`): each one a `sweep`
/// event names must be there with the SHA-256 the event recorded.
fn check_sweep_outputs(dir: &Path, check: &LogCheck, sink: &mut Sink<'_>) {
    #[derive(serde::Deserialize)]
    struct Output {
        path: String,
        sha256: String,
    }
    #[derive(serde::Deserialize)]
    struct Live {
        kind: String,
        outputs: Vec<Output>,
    }
    for ce in check.events.iter().filter(|e| e.valid) {
        let ev = &ce.event;
        if ev.action != Action::Sweep {
            continue;
        }
        let Some(d) = ev.details_as::<Live>().filter(|d| d.kind == "live") else {
            continue;
        };
        for o in &d.outputs {
            let rel = Path::new(&o.path);
            let inside = rel.components().next()
                == Some(std::path::Component::Normal(case::SWEEPS_DIR.as_ref()))
                && rel
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)));
            if !inside {
                sink.problem(
                    &format!("{}:{}", case::CUSTODY_FILE, ce.line),
                    format!(
                        "sweep event {} names a result file outside sweeps/: {:?}",
                        ev.seq, o.path
                    ),
                );
                continue;
            }
            match crate::hash::sha256_file(&dir.join(rel)) {
                Ok((h, _)) if h == o.sha256 => {}
                Ok((h, _)) => sink.problem(
                    &o.path,
                    format!(
                        "changed since sweep event {} recorded it: SHA-256 is {h}, the event says {}",
                        ev.seq, o.sha256
                    ),
                ),
                Err(e) => sink.problem(
                    &o.path,
                    format!(
                        "recorded by sweep event {} but cannot be read: {e}",
                        ev.seq
                    ),
                ),
            }
        }
    }
}

/// Each `log-repaired` event: when the witness of the computer that cut the
/// line vouched that the line followed the last event it wrote, it is
/// mentioned (an interrupted write); otherwise it is a problem, since the
/// cut bytes may have been a recorded event (a capture event cut together
/// with its bundle looks the same).
fn check_repairs(check: &LogCheck, sink: &mut Sink<'_>) {
    for ce in check.events.iter().filter(|e| e.valid) {
        let ev = &ce.event;
        if ev.action != Action::LogRepaired {
            continue;
        }
        let Some(d) = ev.details_as::<custody::event::LogRepairedDetails>() else {
            continue;
        };
        let vouched = d.witnessed_seq == Some(d.after_seq)
            && check.events.iter().any(|e| {
                e.event.seq == d.after_seq
                    && Some(e.line_sha256.as_str()) == d.witnessed_line_sha256.as_deref()
            });
        let what = format!(
            "custody event {} records that an incomplete last line of {} bytes (SHA-256 {}) was cut off the log after event {}",
            ev.seq, d.torn_bytes, d.torn_sha256, d.after_seq
        );
        if vouched {
            sink.report.notes.push(format!(
                "{}/{}:{}: {what}; the witness of the computer that cut it had recorded event {} as the last one written, so the line was an interrupted write, not a recorded event",
                sink.root, case::CUSTODY_FILE, ce.line, d.after_seq
            ));
        } else {
            sink.problem(
                &format!("{}:{}", case::CUSTODY_FILE, ce.line),
                format!(
                    "{what}, and no witness vouched that it followed the last event written: verify cannot tell an interrupted write from a log cut after a recorded event (a capture event cut together with its bundle looks the same)"
                ),
            );
        }
    }
}

/// A bundle against the custody event that recorded it and the case.
/// `seq` is the event of this log that recorded it: `ev` itself, or the
/// `merge` event that carried `ev` in.
fn check_against_event(
    rel: &str,
    facts: &BundleFacts,
    ev: &Event,
    seq: u64,
    config: Option<&CaseConfig>,
    sink: &mut Sink<'_>,
) {
    if let Some(actual) = &facts.manifest_sha256
        && ev.manifest_sha256.as_deref() != Some(actual.as_str())
    {
        sink.problem(
            &format!("{rel}/{}", crate::bundle::MANIFEST_256),
            format!("its SHA-256 differs from the one recorded in custody event {seq}"),
        );
    }
    let details = ev.details_as::<CaptureDetails>();
    let stamped = details.as_ref().is_some_and(|d| d.timestamped);
    let recorded_tsr = details.as_ref().and_then(|d| d.timestamp_sha256.as_deref());
    let tsr_rel = format!("{rel}/{}", crate::bundle::TIMESTAMP);
    match (&facts.timestamp_sha256, stamped, recorded_tsr) {
        (None, false, _) => {}
        (Some(h), true, Some(r)) if h == r => {}
        (Some(_), true, None) => {} // older event without the hash
        (Some(_), false, _) => sink.problem(
            &tsr_rel,
            format!(
                "added after sealing: custody event {seq} records no time-stamp for this bundle"
            ),
        ),
        (None, true, _) => sink.problem(
            &tsr_rel,
            format!("missing: custody event {seq} records that this bundle was time-stamped"),
        ),
        (Some(_), true, Some(_)) => sink.problem(
            &tsr_rel,
            format!("replaced: it is not the token recorded in custody event {seq}"),
        ),
    }
    if let Some((key, _)) = &facts.signer
        && *key != ev.public_key
    {
        sink.problem(
            &format!("{rel}/{}", crate::bundle::SIGNATURE_PUB),
            format!("signed by a different key than the officer who recorded custody event {seq}"),
        );
    }
    // The bundle must say it belongs to this case.
    if let Some(config) = config {
        let cj = format!("{rel}/data/capture.json");
        if let Some(id) = &facts.case_id
            && *id != config.case.id
        {
            sink.problem(
                &cj,
                format!(
                    "names case {id:?}, but this is case {:?}: the bundle was captured for another case",
                    config.case.id
                ),
            );
        }
        if let Some(agency) = &facts.agency
            && *agency != config.case.agency
        {
            sink.problem(
                &cj,
                format!(
                    "names agency {agency:?}, but case {:?} belongs to {:?}: the bundle was captured for another case",
                    config.case.id, config.case.agency
                ),
            );
        }
    }
}
