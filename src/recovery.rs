//! Completing or setting aside captures that a crash, a kill or a full disk
//! interrupted.
//!
//! A capture seals its bundle in `evidence/.partial-<id>/`, makes it durable,
//! appends its `capture` event naming the bundle and the SHA-256 of its
//! `manifest-sha256.txt`, and only then renames it to `evidence/<id>/`
//! (see [`crate::capture`]). So an interrupted capture leaves at most a
//! `.partial-<id>` folder, in one of two states:
//!
//! - a `capture` event records it: the bundle was sealed and recorded, only
//!   the rename is missing. If its content is complete, signed by the
//!   officer who recorded it and matches the recorded manifest, recovery
//!   logs a `capture-recovered` event and moves it to `evidence/<id>/`.
//! - no event records it (or its content does not match the event): the
//!   capture stopped before its bundle was sealed and recorded. Recovery
//!   logs a `capture-interrupted` event and moves it to the case's
//!   `interrupted/` folder. Nothing is ever deleted, except the scratch
//!   profile of the browser a `--browser` capture ran (not evidence, and it
//!   may hold a session's cookie values).
//!
//! The event is appended before the move, and an event that is already in
//! the log is not appended again, so recovery interrupted in turn is simply
//! carried on by the next run. Running captures hold a shared lock on
//! `evidence/` for as long as they may have partial bundles there; recovery
//! runs only with the exclusive lock, so it never touches a capture that is
//! still running in another process.

use crate::bundle::{self, PARTIAL_PREFIX};
use crate::case::Case;
use crate::custody::{self, Action, CustodyError, EventInput};
use crate::fsutil::{self, DirLock};
use crate::keys::OfficerKey;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::case::INTERRUPTED_DIR;

#[derive(Debug, thiserror::Error)]
pub enum RecoveryError {
    #[error("{}: {}", path.display(), fsutil::describe_io_error(source))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Custody(#[from] CustodyError),
    #[error(
        "cannot move the interrupted capture {from} to {to}: {detail}; nothing else was changed. Move it by hand only after noting it in your records"
    )]
    Move {
        from: PathBuf,
        to: PathBuf,
        detail: String,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> RecoveryError + '_ {
    move |source| RecoveryError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Where recovery put a partial bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Disposition {
    /// Moved into place as `evidence/<id>/`: its capture event records it.
    Completed,
    /// Moved to `interrupted/`: it is not evidence.
    SetAside,
}

/// What recovery did with one partial bundle.
#[derive(Debug, Clone, Serialize)]
pub struct Recovered {
    /// The capture id (the folder name without `.partial-`).
    pub id: String,
    pub disposition: Disposition,
    /// Where the folder is now.
    pub path: PathBuf,
    /// Why, in words (recorded in the custody event too).
    pub reason: String,
    /// The custody event that records this step.
    pub custody_seq: Option<u64>,
}

/// A planned step: the event to log (unless already logged) and the move.
struct Step {
    entry: String,
    id: String,
    from: PathBuf,
    to: PathBuf,
    disposition: Disposition,
    reason: String,
    capture_seq: Option<u64>,
    logged: Option<u64>,
}

/// Finds partial bundles left by interrupted captures in `case`, records
/// what happens to each in the custody log (signed by `key` as `officer`),
/// and moves each into place or to `interrupted/`. Does nothing while
/// another warden process is capturing into the case (its partial bundles
/// may still be in progress); the next run will see them.
pub fn recover(
    case: &Case,
    key: &OfficerKey,
    officer: &str,
) -> Result<Vec<Recovered>, RecoveryError> {
    let evidence = case.evidence_dir();
    let Some(lock) = DirLock::try_exclusive(&evidence).map_err(io_err(&evidence))? else {
        return Ok(Vec::new());
    };
    let mut partials = Vec::new();
    for entry in std::fs::read_dir(&evidence).map_err(io_err(&evidence))? {
        let entry = entry.map_err(io_err(&evidence))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(PARTIAL_PREFIX) {
            partials.push(name);
        }
    }
    if partials.is_empty() {
        return Ok(Vec::new());
    }
    partials.sort();
    let log_path = case.custody_path();
    let log = std::fs::read(&log_path).map_err(io_err(&log_path))?;
    let check = custody::check_log(&log);
    let known = Known::from_log(&check);
    let mut steps: Vec<Step> = partials
        .into_iter()
        .map(|entry| plan(&evidence, &case.root, entry, &known))
        .collect();

    // Record every step not yet recorded, in one append, before moving.
    let details: Vec<serde_json::Value> = steps
        .iter()
        .filter(|s| s.logged.is_none())
        .map(|s| {
            serde_json::json!({
                "capture_id": s.id,
                "from": format!("{}/{}", crate::case::EVIDENCE_DIR, s.entry),
                "to": rel_to(&case.root, &s.to),
                "capture_event": s.capture_seq,
                "reason": s.reason,
            })
        })
        .collect();
    let inputs: Vec<EventInput<'_>> = steps
        .iter()
        .filter(|s| s.logged.is_none())
        .zip(details)
        .map(|(s, d)| EventInput {
            action: match s.disposition {
                Disposition::Completed => Action::CaptureRecovered,
                Disposition::SetAside => Action::CaptureInterrupted,
            },
            bundle: None,
            manifest_sha256: None,
            details: Some(d),
        })
        .collect();
    let seqs = custody::append_batch(&case.log(), key, officer, &inputs)?;
    drop(inputs);
    let mut seqs = seqs.into_iter();
    for s in steps.iter_mut().filter(|s| s.logged.is_none()) {
        s.logged = seqs.next();
    }

    // Carry out the moves.
    let interrupted = case.root.join(INTERRUPTED_DIR);
    let mut out = Vec::new();
    for s in &steps {
        if s.disposition == Disposition::SetAside {
            // The one thing removed: the scratch profile of a browser the
            // capture ran (`--browser`), which is not evidence and may hold
            // the cookie values of the officer's session.
            let _ = crate::browser_profile::remove(&s.from.join(".work").join("browser-profile"));
            match std::fs::create_dir(&interrupted) {
                Ok(()) => fsutil::sync_dir(&case.root).map_err(io_err(&case.root))?,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_err(&interrupted)(e)),
            }
        }
        fsutil::rename_noreplace(&s.from, &s.to).map_err(|e| RecoveryError::Move {
            from: s.from.clone(),
            to: s.to.clone(),
            detail: fsutil::describe_io_error(&e),
        })?;
        out.push(Recovered {
            id: s.id.clone(),
            disposition: s.disposition,
            path: s.to.clone(),
            reason: s.reason.clone(),
            custody_seq: s.logged,
        });
    }
    fsutil::sync_dir(&evidence).map_err(io_err(&evidence))?;
    if interrupted.is_dir() {
        fsutil::sync_dir(&interrupted).map_err(io_err(&interrupted))?;
    }
    drop(lock);
    Ok(out)
}

/// What the custody log says about capture ids.
struct Known {
    /// id -> (seq, manifest SHA-256, signer's public key) of its capture event.
    captures: HashMap<String, (u64, String, String)>,
    /// id -> (seq, action) of a recovery event already logged.
    recoveries: HashMap<String, (u64, Action)>,
}

impl Known {
    fn from_log(check: &custody::LogCheck) -> Known {
        let mut captures = HashMap::new();
        let mut recoveries = HashMap::new();
        // Captured here, or carried in by a merge (whose bundles are moved
        // into place after its event, as a capture's are).
        for b in check.captures.keys() {
            if let (Some(e), Some(seq)) = (check.capture_of(b), check.recorded_in(b))
                && let Some(m) = &e.manifest_sha256
            {
                captures.insert(b.clone(), (seq, m.clone(), e.public_key.clone()));
            }
        }
        for e in check.valid_events() {
            match e.action {
                Action::CaptureRecovered | Action::CaptureInterrupted => {
                    if let Some(id) = recovery_capture_id(e) {
                        recoveries.insert(id.to_string(), (e.seq, e.action));
                    }
                }
                _ => {}
            }
        }
        Known {
            captures,
            recoveries,
        }
    }
}

/// The capture id a recovery event is about.
fn recovery_capture_id(e: &custody::Event) -> Option<&str> {
    e.details
        .as_ref()
        .and_then(|d| d.get("capture_id"))
        .and_then(|v| v.as_str())
}

/// Decides what to do with the partial entry `entry` of `evidence/`.
fn plan(evidence: &Path, case_root: &Path, entry: String, known: &Known) -> Step {
    let id = entry[PARTIAL_PREFIX.len()..].to_string();
    let from = evidence.join(&entry);
    // A capture id is a UUID; anything else keeps its whole entry name, so
    // that no name (".", "..") can point the move elsewhere.
    let plain_id = uuid::Uuid::parse_str(&id).is_ok_and(|u| u.hyphenated().to_string() == id);
    let aside_name = if plain_id { id.clone() } else { entry.clone() };
    // The same id can be set aside twice (a merge that was interrupted
    // twice brings the same bundle): the later one gets a numbered name.
    let mut aside = case_root.join(INTERRUPTED_DIR).join(&aside_name);
    let mut n = 2;
    while std::fs::symlink_metadata(&aside).is_ok() {
        aside = case_root
            .join(INTERRUPTED_DIR)
            .join(format!("{aside_name}.{n}"));
        n += 1;
    }
    let capture = known.captures.get(&id);
    let capture_seq = capture.map(|c| c.0);
    let step = |disposition, to, reason: String, logged| Step {
        entry: entry.clone(),
        id: id.clone(),
        from: from.clone(),
        to,
        disposition,
        reason,
        capture_seq,
        logged,
    };
    // A recovery already decided (and logged) before being interrupted;
    // not one about an earlier partial copy of a bundle that a later event
    // (a merge brings in the same id again) recorded.
    if let Some((seq, action)) = known
        .recoveries
        .get(&id)
        .filter(|(seq, _)| capture.is_none_or(|c| c.0 < *seq))
    {
        return if *action == Action::CaptureRecovered && plain_id {
            step(
                Disposition::Completed,
                evidence.join(&id),
                format!("completing the move recorded in custody event {seq}"),
                Some(*seq),
            )
        } else {
            step(
                Disposition::SetAside,
                aside,
                format!("completing the move recorded in custody event {seq}"),
                Some(*seq),
            )
        };
    }
    let is_dir = std::fs::symlink_metadata(&from).is_ok_and(|m| m.is_dir());
    match capture {
        None => step(
            Disposition::SetAside,
            aside,
            "no custody event records it: the capture stopped before its bundle was sealed and recorded; it is not evidence".into(),
            None,
        ),
        Some((seq, _, _)) if !plain_id || !is_dir => step(
            Disposition::SetAside,
            aside,
            format!("custody event {seq} names it, but it is not a bundle folder"),
            None,
        ),
        Some((seq, _, _)) if std::fs::symlink_metadata(evidence.join(&id)).is_ok() => step(
            Disposition::SetAside,
            aside,
            format!(
                "custody event {seq} records it, but evidence/{id} already exists; evidence is never replaced"
            ),
            None,
        ),
        Some((seq, manifest, signer)) => match bundle::check_sealed(&from, manifest, signer) {
            Ok(()) => step(
                Disposition::Completed,
                evidence.join(&id),
                format!(
                    "sealed and recorded in custody event {seq}; the capture stopped before moving it into place"
                ),
                None,
            ),
            Err(e) => step(
                Disposition::SetAside,
                aside,
                format!("custody event {seq} records it, but {e}"),
                None,
            ),
        },
    }
}

/// `path` relative to the case root, with `/` separators, for events.
fn rel_to(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/")
        })
        .unwrap_or_else(|_| path.display().to_string())
}

/// For `warden verify`: what the custody log says about a capture id that
/// has a capture event but no bundle in `evidence/`, if recovery set it
/// aside.
pub(crate) fn set_aside_note(check: &custody::LogCheck, id: &str) -> Option<String> {
    check
        .valid_events()
        .filter(|e| e.action == Action::CaptureInterrupted && recovery_capture_id(e) == Some(id))
        .last()
        .map(|e| {
            let d = e.details.as_ref();
            let to = d
                .and_then(|d| d.get("to"))
                .and_then(|v| v.as_str())
                .unwrap_or(INTERRUPTED_DIR);
            let reason = d
                .and_then(|d| d.get("reason"))
                .and_then(|v| v.as_str())
                .unwrap_or("");
            format!(
                "custody event {} records that recovery moved its interrupted capture to {to:?} ({reason:?})",
                e.seq
            )
        })
}
