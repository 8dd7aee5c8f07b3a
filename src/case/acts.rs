//! Recording the officers' record-keeping events in a case: notes,
//! transfers and their acceptance, access, withdrawals and checkpoints.
//! What each event may say is decided by [`crate::custody::acts`], the
//! rules verify applies too.

use super::{Case, CaseError, io_err};
use crate::custody::acts::{self, CaseState};
use crate::custody::checkpoint::{self, CHECKPOINT_DIR};
use crate::custody::event::{
    AcceptDetails, AccessDetails, CheckpointDetails, EventBody, ExhibitRef, ExportDetails,
    NoteDetails, TransferDetails, VerifyDetails, WithdrawDetails,
};
use crate::custody::{self, Action, Event, EventInput};
use crate::fsutil;
use crate::hash::sha256_hex;
use crate::keys::OfficerKey;
use crate::text::one_line;

/// A record-keeping event an officer adds to the case's custody log.
#[derive(Debug, Clone)]
pub enum Act {
    /// A note on the case, or on one exhibit (a number, a label such as
    /// `CASE-1/0003`, or a bundle id).
    Note {
        text: String,
        exhibit: Option<String>,
    },
    /// The case, or one exhibit, was viewed or examined.
    Access {
        reason: String,
        exhibit: Option<String>,
    },
    /// A capture was a mistake: it is marked withdrawn, never deleted.
    Withdraw { exhibit: String, reason: String },
    /// The officer holding the case hands it to another registered officer.
    Transfer {
        to: String,
        reason: String,
        location: Option<String>,
    },
    /// The officer a transfer named acknowledges receiving the case.
    Accept { note: Option<String> },
}

/// What was recorded.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Sequence number of the new event.
    pub seq: u64,
    /// The action, as the log names it (`note`, `transfer`, …).
    pub action: &'static str,
    /// The exhibit the event names (`CASE-1/0003`), if any.
    pub exhibit: Option<String>,
    /// For an accepted transfer, who handed the case over.
    pub from: Option<String>,
}

/// An export to record (`warden export`).
#[derive(Debug, Clone)]
pub struct ExportRecord {
    /// `wacz`, `case-uco` or `bag`.
    pub format: String,
    pub file: std::path::PathBuf,
    pub sha256: String,
    pub bytes: u64,
    /// The command line as typed.
    pub arguments: Vec<String>,
}

/// Obtains a time-stamp token over some bytes (for a checkpoint).
pub type Stamper<'a> =
    dyn Fn(&[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> + 'a;

/// A checkpoint that was written and recorded.
#[derive(Debug, Clone)]
pub struct CheckpointWritten {
    /// The checkpoint file.
    pub path: std::path::PathBuf,
    /// Lines of the log it covers.
    pub size: u64,
    /// Their RFC 6962 Merkle tree hash, lowercase hex.
    pub root_sha256: String,
    /// SHA-256 of the checkpoint file.
    pub file_sha256: String,
    /// The time-stamp token file, when one was asked for.
    pub timestamp: Option<std::path::PathBuf>,
    /// Sequence number of the `checkpoint` event recording it.
    pub seq: u64,
}

impl Case {
    /// The case's custody state as its valid events leave it: exhibit
    /// numbers, withdrawals, who holds the case.
    fn state_locked(lock: &mut custody::LogLock) -> Result<CaseState, CaseError> {
        Ok(custody::check_log(&lock.read_all()?).state)
    }

    /// Records `act`, signed with `key` (a registered officer), after
    /// checking it against the log under the log's lock.
    pub fn record(&self, key: &OfficerKey, act: &Act) -> Result<Recorded, CaseError> {
        let officer = self.require_officer(key)?.name.clone();
        let mut lock = custody::lock(&self.log())?;
        let state = Self::state_locked(&mut lock)?;
        let exhibit = |wanted: &str| -> Result<ExhibitRef, CaseError> {
            state
                .find_exhibit(wanted)
                .ok_or_else(|| CaseError::NoSuchExhibit {
                    wanted: wanted.to_string(),
                    count: state.exhibits.len(),
                })
        };
        let text = |field: &'static str, s: &str| -> Result<String, CaseError> {
            let s = s.trim().to_string();
            if s.is_empty() {
                return Err(CaseError::EmptyField { field });
            }
            Ok(s)
        };
        let (action, details, named, from) = match act {
            Act::Note {
                text: t,
                exhibit: e,
            } => {
                let e = e.as_deref().map(exhibit).transpose()?;
                let d = NoteDetails {
                    text: text("the note", t)?,
                    exhibit: e.clone(),
                };
                (Action::Note, to_value(&d), e, None)
            }
            Act::Access { reason, exhibit: e } => {
                let e = e.as_deref().map(exhibit).transpose()?;
                let d = AccessDetails {
                    reason: text("--reason", reason)?,
                    exhibit: e.clone(),
                };
                (Action::Access, to_value(&d), e, None)
            }
            Act::Withdraw { exhibit: e, reason } => {
                let e = exhibit(e)?;
                let d = WithdrawDetails {
                    exhibit: e.clone(),
                    reason: text("--reason", reason)?,
                };
                (Action::Withdraw, to_value(&d), Some(e), None)
            }
            Act::Transfer {
                to,
                reason,
                location,
            } => {
                let d = TransferDetails {
                    to: one_line(to),
                    reason: text("--reason", reason)?,
                    location: location
                        .as_deref()
                        .map(|l| text("--location", l))
                        .transpose()?,
                };
                (Action::Transfer, to_value(&d), None, None)
            }
            Act::Accept { note } => {
                let Some(p) = &state.pending else {
                    return Err(CaseError::Refused(
                        "there is no transfer waiting to be accepted".into(),
                    ));
                };
                let d = AcceptDetails {
                    transfer_seq: p.seq,
                    note: note.as_deref().map(|n| text("--note", n)).transpose()?,
                };
                (Action::Accept, to_value(&d), None, Some(p.from.clone()))
            }
        };
        // The rules verify applies, on the event as it will be written
        // (with the officers whose keys stand).
        let officers: Vec<(String, String)> = self
            .config
            .officers
            .iter()
            .filter(|o| o.revoked.is_none())
            .map(|o| (o.public_key.clone(), o.name.clone()))
            .collect();
        let draft = Event {
            body: EventBody {
                seq: 0,
                time: String::new(),
                officer: officer.clone(),
                public_key: key.public_b64(),
                action,
                bundle: None,
                manifest_sha256: None,
                details: Some(details.clone()),
                prev: String::new(),
            },
            sig: String::new(),
        };
        if let Some(p) = acts::problems(&draft, &state, &officers).into_iter().next() {
            return Err(CaseError::Refused(format!(
                "cannot record this {} event: {p}",
                action.as_str()
            )));
        }
        let seq = custody::append_locked(
            lock,
            key,
            &officer,
            &EventInput {
                action,
                bundle: None,
                manifest_sha256: None,
                details: Some(details),
            },
        )?;
        Ok(Recorded {
            seq,
            action: action.as_str(),
            exhibit: named.map(|e| e.number),
            from,
        })
    }

    /// Records what `warden verify` found on this case (run before this call,
    /// on the case as it was): a `verify` event. Refused when the report
    /// found a problem in the custody log itself, which must not be written
    /// to before someone has looked at it.
    pub fn record_verification(
        &self,
        key: &OfficerKey,
        report: &crate::verify::Report,
        arguments: &[String],
    ) -> Result<u64, CaseError> {
        let officer = self.require_officer(key)?.name.clone();
        if report
            .problems
            .iter()
            .any(|p| p.path.contains(crate::case::CUSTODY_FILE))
        {
            return Err(CaseError::Refused(
                "the custody log itself has problems, so the verification cannot be recorded in it"
                    .into(),
            ));
        }
        let verdict = serde_json::to_value(report.verdict)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let details = VerifyDetails {
            verdict,
            bundles: report.bundles as u64,
            custody_events: report.custody_events as u64,
            problems: report.problems.len() as u64,
            warden_version: crate::VERSION.to_string(),
            arguments: arguments.to_vec(),
        };
        // Only if the log is still the one verified: "checked the case as it
        // was before this event" must be true.
        let mut lock = custody::lock(&self.log())?;
        let now = lock
            .read_all()?
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        if now != report.custody_events {
            return Err(CaseError::Refused(format!(
                "the custody log changed while the case was being verified ({} events when checked, {now} now); verify again to record a result",
                report.custody_events
            )));
        }
        Ok(custody::append_locked(
            lock,
            key,
            &officer,
            &EventInput {
                action: Action::Verify,
                bundle: None,
                manifest_sha256: None,
                details: Some(to_value(&details)),
            },
        )?)
    }

    /// Records that the case was exported to a file, with its SHA-256.
    pub fn record_export(&self, key: &OfficerKey, e: &ExportRecord) -> Result<u64, CaseError> {
        let officer = self.require_officer(key)?.name.clone();
        let details = ExportDetails {
            format: e.format.clone(),
            file: e.file.display().to_string(),
            sha256: e.sha256.clone(),
            bytes: e.bytes,
            warden_version: crate::VERSION.to_string(),
            arguments: e.arguments.clone(),
        };
        Ok(custody::append(
            &self.log(),
            key,
            &officer,
            &EventInput {
                action: Action::Export,
                bundle: None,
                manifest_sha256: None,
                details: Some(to_value(&details)),
            },
        )?)
    }

    /// Writes a signed checkpoint of the whole custody log to
    /// `checkpoints/` and records it with a `checkpoint` event.
    ///
    /// Steps: the checkpoint file is written durably under its final name
    /// (which no other checkpoint can have: it is named by the number of
    /// lines it covers), then the event is appended. If the process stops
    /// in between, the file stays: it is a valid checkpoint that verify
    /// checks and mentions as not recorded.
    ///
    /// With `stamp`, the checkpoint file's bytes are time-stamped (by an
    /// RFC 3161 authority, see [`crate::capture::stamp`]) and the token is
    /// written beside it as `NNNNNNNN.tsr`, before the event that records
    /// both.
    pub fn checkpoint(
        &self,
        key: &OfficerKey,
        stamp: Option<&Stamper<'_>>,
    ) -> Result<CheckpointWritten, CaseError> {
        let officer = self.require_officer(key)?.name.clone();
        let mut lock = custody::lock(&self.log())?;
        let log = lock.read_all()?;
        let fingerprint = custody::fingerprint(&log).ok_or_else(|| {
            CaseError::Refused("the custody log is empty, so there is nothing to checkpoint".into())
        })?;
        let leaves = checkpoint::leaf_hashes(&log);
        let (bytes, made) = checkpoint::make(&fingerprint, &leaves, key);
        let dir = self.root.join(CHECKPOINT_DIR);
        match std::fs::create_dir(&dir) {
            Ok(()) => fsutil::sync_dir(&self.root).map_err(io_err(&self.root))?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io_err(&dir)(e)),
        }
        let name = checkpoint::file_name(made.size);
        let path = dir.join(&name);
        match fsutil::write_new_synced(&path, &bytes) {
            Ok(()) => fsutil::sync_dir(&dir).map_err(io_err(&dir))?,
            // An interrupted earlier run by the same officer left the very
            // same file (Ed25519 signatures are deterministic): reuse it.
            Err(e)
                if e.kind() == std::io::ErrorKind::AlreadyExists
                    && fsutil::read_capped(&path, checkpoint::MAX_CHECKPOINT_FILE)
                        .is_ok_and(|old| old == bytes) => {}
            Err(e) => {
                if e.kind() != std::io::ErrorKind::AlreadyExists {
                    let _ = std::fs::remove_file(&path);
                }
                return Err(io_err(&path)(e));
            }
        }
        let file_sha256 = sha256_hex(&bytes);
        let mut timestamp = None;
        if let Some(stamp) = stamp {
            let token = stamp(&bytes).map_err(CaseError::Timestamp)?;
            let tsr_name = checkpoint::timestamp_file_name(made.size);
            let tsr = dir.join(&tsr_name);
            fsutil::write_new_synced(&tsr, &token).map_err(io_err(&tsr))?;
            fsutil::sync_dir(&dir).map_err(io_err(&dir))?;
            timestamp = Some((format!("{CHECKPOINT_DIR}/{tsr_name}"), sha256_hex(&token)));
        }
        let details = CheckpointDetails {
            size: made.size,
            root_sha256: made.root_sha256.clone(),
            file: format!("{CHECKPOINT_DIR}/{name}"),
            file_sha256: file_sha256.clone(),
            timestamp_file: timestamp.as_ref().map(|t| t.0.clone()),
            timestamp_sha256: timestamp.as_ref().map(|t| t.1.clone()),
        };
        let seq = custody::append_locked(
            lock,
            key,
            &officer,
            &EventInput {
                action: Action::Checkpoint,
                bundle: None,
                manifest_sha256: None,
                details: Some(to_value(&details)),
            },
        )?;
        Ok(CheckpointWritten {
            path,
            size: made.size,
            root_sha256: made.root_sha256,
            file_sha256,
            timestamp: timestamp.map(|t| self.root.join(t.0)),
            seq,
        })
    }
}

fn to_value<T: serde::Serialize>(d: &T) -> serde_json::Value {
    serde_json::to_value(d).expect("details serialise")
}
