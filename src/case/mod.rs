//! The case folder: `case.toml` (identity and officers), `evidence/` and
//! `custody.jsonl`.

pub use crate::custody::event::Role;
use crate::custody::event::{CaseInitDetails, OfficerAddedDetails, OfficerRevokedDetails};
use crate::custody::{self, Action, CustodyError, EventInput};
use crate::fsutil;
use crate::hash::sha256_hex;
use crate::keys::{self, OfficerKey};
use crate::text::one_line;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

mod acts;
mod merge;
pub mod request;
pub use acts::{Act, CheckpointWritten, ExportRecord, Recorded, Stamper};
pub use merge::Merged;

pub(crate) const CASE_FILE: &str = "case.toml";
pub(crate) const EVIDENCE_DIR: &str = "evidence";
pub(crate) const CUSTODY_FILE: &str = "custody.jsonl";
/// The new `case.toml` written by `case add-officer` before its custody
/// event; renamed over `case.toml` once the event is recorded.
pub(crate) const PENDING_CASE_FILE: &str = ".case.toml.pending";
/// Captures that were interrupted and set aside by recovery (see
/// [`crate::recovery`]); not evidence.
pub(crate) const INTERRUPTED_DIR: &str = "interrupted";
/// Largest custody log read whole (as verify does).
const MAX_LOG: u64 = 4 << 30;
/// Everything a case folder may hold at its root.
pub(crate) const ROOT_ENTRIES: &[&str] = &[
    CASE_FILE,
    CUSTODY_FILE,
    EVIDENCE_DIR,
    INTERRUPTED_DIR,
    crate::custody::checkpoint::CHECKPOINT_DIR,
    SWEEPS_DIR,
];

/// Live sweeps' parameters, journals and results (`sweeps/<id>/`, see
/// `docs/targets.md`); their hashes are in the `sweep` custody events.
pub(crate) const SWEEPS_DIR: &str = "sweeps";

/// Errors about finding, reading or changing a case folder.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error(
        "{0} is not a warden case folder (no case.toml); give the case with --case DIR or WARDEN_CASE, or create one with `warden case init`"
    )]
    NotACase(PathBuf),
    #[error("case folder {0} does not exist")]
    Missing(PathBuf),
    #[error("cannot create a case in {0}: the folder exists and is not empty")]
    NotEmpty(PathBuf),
    #[error("{path}: {detail}")]
    BadConfig { path: PathBuf, detail: String },
    #[error("{field} must not be empty")]
    EmptyField { field: &'static str },
    #[error(
        "the disk holding {0} is full; nothing was changed. Free some space and run the command again"
    )]
    DiskFull(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "your signing key ({key}) is not registered in case {case}. On this computer run `warden case join --officer \"YOUR NAME\"` and give what it prints to the case's lead officer ({leads}), who registers you with `warden case add-officer --request FILE` on the case's computer; then work in a copy of the case they give you, or on the case itself"
    )]
    UnknownOfficer {
        key: String,
        case: String,
        leads: String,
    },
    #[error(
        "only a lead officer of case {case} may {what}, and you ({you}) are a member. Ask a lead officer ({leads}) to run the command on their computer"
    )]
    NotLead {
        what: &'static str,
        case: String,
        you: String,
        leads: String,
    },
    #[error(
        "your key ({you}) was revoked from case {case} on {when}: it cannot sign anything new in this case. Ask a lead officer ({leads}) if this is a mistake"
    )]
    Revoked {
        you: String,
        case: String,
        when: String,
        leads: String,
    },
    #[error("there is no officer {name:?} in case {case} (officers: {officers})")]
    NoSuchOfficer {
        name: String,
        case: String,
        officers: String,
    },
    #[error("officer {0:?} is already revoked from this case")]
    AlreadyRevoked(String),
    #[error("you cannot revoke your own key; another lead officer must do it")]
    RevokeSelf,
    #[error(
        "officer {0:?} is already registered in this case (each officer has one name and one key)"
    )]
    AlreadyRegistered(String),
    #[error(
        "{0} was changed outside warden since the custody log last recorded it; nothing was changed. Run `warden verify` on the case and report the change"
    )]
    CaseFileChanged(PathBuf),
    #[error(
        "{0:?} is not an Ed25519 public key (expected the base64 text that `warden key show` prints)"
    )]
    BadPublicKey(String),
    #[error(
        "there is no exhibit {wanted:?} in this case (it has {count}); give an exhibit number as `warden case show` lists it"
    )]
    NoSuchExhibit { wanted: String, count: usize },
    #[error("{0}; nothing was recorded")]
    Refused(String),
    #[error(
        "the time-stamp authority did not give a usable token ({0}); the checkpoint file was written but not recorded, and no token was saved. Check the --tsa address, or run the command again without --tsa"
    )]
    Timestamp(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error(transparent)]
    Custody(#[from] CustodyError),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> CaseError + '_ {
    move |source| {
        if source.kind() == std::io::ErrorKind::StorageFull {
            CaseError::DiskFull(path.to_path_buf())
        } else {
            CaseError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

/// The contents of `case.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseConfig {
    pub case: CaseInfo,
    #[serde(default)]
    pub officers: Vec<Officer>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseInfo {
    pub id: String,
    pub title: String,
    pub agency: String,
    pub created: String,
    pub(crate) warden_version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Officer {
    pub name: String,
    /// Standard base64 of the 32-byte Ed25519 public key.
    pub public_key: String,
    pub added: String,
    /// Lead or member; absent in case files written before roles existed,
    /// where the first officer is the lead (see [`CaseConfig::role_of`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// When the officer's key was revoked, and why (the custody log's
    /// `officer-revoked` event is the record; this is a copy to read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Revocation>,
}

/// A revoked officer's entry in `case.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    pub time: String,
    pub by: String,
    pub reason: String,
}

impl CaseConfig {
    /// The role of `o`: as recorded, else lead for the case's creator.
    pub fn role_of(&self, o: &Officer) -> Role {
        o.role.unwrap_or_else(|| {
            if self
                .officers
                .first()
                .is_some_and(|f| f.public_key == o.public_key)
            {
                Role::Lead
            } else {
                Role::Member
            }
        })
    }

    /// The names of the lead officers whose keys are not revoked, for
    /// messages.
    pub fn lead_names(&self) -> String {
        let leads: Vec<&str> = self
            .officers
            .iter()
            .filter(|o| o.revoked.is_none() && self.role_of(o) == Role::Lead)
            .map(|o| o.name.as_str())
            .collect();
        if leads.is_empty() {
            "none".into()
        } else {
            leads.join(", ")
        }
    }
}

/// What `warden case init` needs.
#[derive(Debug, Clone)]
pub struct InitOptions {
    pub dir: PathBuf,
    pub case_id: String,
    pub title: String,
    pub agency: String,
    pub officer: String,
    /// Where this computer keeps custody-log witness records (see
    /// [`custody::witness`]); `None` keeps none.
    pub witness_dir: Option<PathBuf>,
}

/// An opened case folder.
#[derive(Debug, Clone)]
pub struct Case {
    pub root: PathBuf,
    pub config: CaseConfig,
    /// Where this computer keeps custody-log witness records.
    pub witness_dir: Option<PathBuf>,
}

impl Case {
    /// Creates a new case folder and records the first custody event.
    pub fn init(opts: &InitOptions, key: &OfficerKey) -> Result<Case, CaseError> {
        for (field, value) in [
            ("--case-id", &opts.case_id),
            ("--title", &opts.title),
            ("--agency", &opts.agency),
            ("--officer", &opts.officer),
        ] {
            if one_line(value).is_empty() {
                return Err(CaseError::EmptyField { field });
            }
        }
        let dir = &opts.dir;
        match std::fs::read_dir(dir) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    return Err(CaseError::NotEmpty(dir.clone()));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(dir).map_err(io_err(dir))?;
            }
            Err(e) => return Err(io_err(dir)(e)),
        }
        let now = crate::now_rfc3339();
        let config = CaseConfig {
            case: CaseInfo {
                id: one_line(&opts.case_id),
                title: one_line(&opts.title),
                agency: one_line(&opts.agency),
                created: now.clone(),
                warden_version: crate::VERSION.to_string(),
            },
            officers: vec![Officer {
                name: one_line(&opts.officer),
                public_key: key.public_b64(),
                added: now,
                role: Some(Role::Lead),
                revoked: None,
            }],
        };
        let text = render_config(&config);
        let case_path = dir.join(CASE_FILE);
        fsutil::write_new_synced(&case_path, text.as_bytes()).map_err(io_err(&case_path))?;
        let ev = dir.join(EVIDENCE_DIR);
        std::fs::create_dir(&ev).map_err(io_err(&ev))?;
        let case = Case {
            root: dir.clone(),
            config,
            witness_dir: opts.witness_dir.clone(),
        };
        let info = &case.config.case;
        let details = CaseInitDetails {
            case_id: info.id.clone(),
            case_toml_sha256: sha256_hex(text.as_bytes()),
            title: Some(info.title.clone()),
            agency: Some(info.agency.clone()),
            created: Some(info.created.clone()),
            officer_roles: true,
        };
        custody::append(
            &case.log(),
            key,
            &case.config.officers[0].name,
            &EventInput {
                action: Action::CaseInit,
                bundle: None,
                manifest_sha256: None,
                details: Some(serde_json::to_value(details).expect("details serialise")),
            },
        )?;
        fsutil::sync_dir(dir).map_err(io_err(dir))?;
        Ok(case)
    }

    /// Opens the case at `dir`.
    pub(crate) fn open(dir: &Path) -> Result<Case, CaseError> {
        if !dir.exists() {
            return Err(CaseError::Missing(dir.to_path_buf()));
        }
        let path = dir.join(CASE_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(CaseError::NotACase(dir.to_path_buf()));
            }
            Err(e) => return Err(io_err(&path)(e)),
        };
        let config = parse_config(&path, &text)?;
        // An absolute root, so every path warden reports is unambiguous.
        let root = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        Ok(Case {
            root,
            config,
            witness_dir: None,
        })
    }

    /// Finds the case from an explicit folder or the current directory.
    pub fn locate(explicit: Option<&Path>) -> Result<Case, CaseError> {
        match explicit {
            Some(dir) => Case::open(dir),
            None => {
                let cwd = std::env::current_dir().map_err(io_err(Path::new(".")))?;
                Case::open(&cwd)
            }
        }
    }

    pub fn evidence_dir(&self) -> PathBuf {
        self.root.join(EVIDENCE_DIR)
    }

    pub fn custody_path(&self) -> PathBuf {
        self.root.join(CUSTODY_FILE)
    }

    /// The custody log, with this computer's witness folder.
    pub fn log(&self) -> custody::Log {
        custody::Log {
            path: self.custody_path(),
            witness_dir: self.witness_dir.clone(),
        }
    }

    /// The case fingerprint (see `custody::fingerprint`), if the log can
    /// be read.
    pub fn fingerprint(&self) -> Option<String> {
        let path = self.custody_path();
        let mut f = std::fs::File::open(path).ok()?;
        let mut buf = Vec::new();
        use std::io::Read;
        Read::by_ref(&mut f)
            .take(1 << 20)
            .read_to_end(&mut buf)
            .ok()?;
        custody::fingerprint(&buf)
    }

    /// The custody record as people read it: the timeline of events and the
    /// exhibits with their numbers (see [`custody::timeline`]).
    pub fn custody_record(&self) -> Result<custody::timeline::Record, CaseError> {
        let path = self.custody_path();
        let log = fsutil::read_capped(&path, MAX_LOG).map_err(io_err(&path))?;
        Ok(custody::timeline::record(&custody::check_log(&log)))
    }

    /// The officer registered with this key, if any.
    pub(crate) fn officer_for(&self, key: &OfficerKey) -> Option<&Officer> {
        let pk = key.public_b64();
        self.config.officers.iter().find(|o| o.public_key == pk)
    }

    /// The officer registered with this key, or a clear error (also when
    /// the key was revoked).
    pub fn require_officer(&self, key: &OfficerKey) -> Result<&Officer, CaseError> {
        let o = self
            .officer_for(key)
            .ok_or_else(|| CaseError::UnknownOfficer {
                key: key.path.display().to_string(),
                case: self.config.case.id.clone(),
                leads: self.config.lead_names(),
            })?;
        if let Some(r) = &o.revoked {
            return Err(CaseError::Revoked {
                you: o.name.clone(),
                case: self.config.case.id.clone(),
                when: r.time.clone(),
                leads: self.config.lead_names(),
            });
        }
        Ok(o)
    }

    /// Registers a new officer (`name`, base64 `public_key`, `role`) in the
    /// case. The custody event is signed by `by`, who must be a lead
    /// officer: nobody can add themselves, and members cannot add others.
    ///
    /// The steps, each recoverable: the new `case.toml` is written durably
    /// as `.case.toml.pending`; the `officer-added` event recording its
    /// SHA-256 is appended; the pending file is renamed over `case.toml`.
    /// If the process stops in between, [`Case::recover`] (run by the next
    /// command that changes the case) finishes or drops the step.
    pub fn add_officer(
        &mut self,
        name: &str,
        public_key: &str,
        role: Role,
        by: &OfficerKey,
    ) -> Result<(), CaseError> {
        let name = one_line(name);
        if name.is_empty() {
            return Err(CaseError::EmptyField { field: "--officer" });
        }
        if keys::parse_public_key_b64(public_key).is_none() {
            return Err(CaseError::BadPublicKey(public_key.to_string()));
        }
        let public_key = public_key.to_string();
        self.change_officers(by, "add officers", move |config, _| {
            if let Some(o) = config
                .officers
                .iter()
                .find(|o| o.public_key == public_key || o.name == name)
            {
                return Err(CaseError::AlreadyRegistered(o.name.clone()));
            }
            config.officers.push(Officer {
                name: name.clone(),
                public_key: public_key.clone(),
                added: crate::now_rfc3339(),
                role: Some(role),
                revoked: None,
            });
            Ok(Box::new(move |sha: String| {
                (
                    Action::OfficerAdded,
                    serde_json::to_value(OfficerAddedDetails {
                        officer: name,
                        public_key,
                        case_toml_sha256: sha,
                        role: Some(role),
                    })
                    .expect("details serialise"),
                )
            }))
        })
    }

    /// Revokes officer `name`'s key, for `reason`: what it signed before
    /// stays valid, anything it signs after is refused (by every command and
    /// by verify). Only a lead officer may revoke, and not their own key.
    /// The steps are those of [`Case::add_officer`].
    pub fn revoke_officer(
        &mut self,
        name: &str,
        reason: &str,
        by: &OfficerKey,
    ) -> Result<(), CaseError> {
        let reason = one_line(reason);
        if reason.is_empty() {
            return Err(CaseError::EmptyField { field: "--reason" });
        }
        let name = one_line(name);
        self.change_officers(by, "revoke officers", move |config, signer| {
            let case = config.case.id.clone();
            let names = config
                .officers
                .iter()
                .map(|o| o.name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let o = config
                .officers
                .iter_mut()
                .find(|o| o.name == name)
                .ok_or_else(|| CaseError::NoSuchOfficer {
                    name: name.clone(),
                    case,
                    officers: names,
                })?;
            if o.public_key == signer.public_key {
                return Err(CaseError::RevokeSelf);
            }
            if o.revoked.is_some() {
                return Err(CaseError::AlreadyRevoked(o.name.clone()));
            }
            o.revoked = Some(Revocation {
                time: crate::now_rfc3339(),
                by: signer.name.clone(),
                reason: reason.clone(),
            });
            let (officer, public_key) = (o.name.clone(), o.public_key.clone());
            Ok(Box::new(move |sha: String| {
                (
                    Action::OfficerRevoked,
                    serde_json::to_value(OfficerRevokedDetails {
                        officer,
                        public_key,
                        reason,
                        case_toml_sha256: sha,
                    })
                    .expect("details serialise"),
                )
            }))
        })
    }

    /// Changes the officers of `case.toml` as a lead officer (`by`): `edit`
    /// changes the configuration and returns the custody event recording the
    /// new file's SHA-256. Under the custody lock (so two officers cannot
    /// lose each other's change): the new file is written durably as
    /// `.case.toml.pending`, the event appended, the file renamed into place.
    fn change_officers(
        &mut self,
        by: &OfficerKey,
        what: &'static str,
        edit: impl FnOnce(&mut CaseConfig, &Officer) -> Result<EventOf, CaseError>,
    ) -> Result<(), CaseError> {
        let mut lock = custody::lock(&self.log())?;
        // Again under the lock: it also checks case.toml is the file the
        // log last recorded.
        self.recover_locked(&mut lock)?;
        let path = self.root.join(CASE_FILE);
        let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
        let mut config = parse_config(&path, &text)?;
        let on_disk = Case {
            root: self.root.clone(),
            config: config.clone(),
            witness_dir: None,
        };
        let signer = on_disk.require_lead(by, what)?.clone();
        let event = edit(&mut config, &signer)?;
        let new_text = render_config(&config);
        let pending = self.root.join(PENDING_CASE_FILE);
        if let Err(e) = fsutil::write_new_synced(&pending, new_text.as_bytes()) {
            let _ = std::fs::remove_file(&pending);
            return Err(io_err(&pending)(e));
        }
        let (action, details) = event(sha256_hex(new_text.as_bytes()));
        // The lock is kept until case.toml is in place, so that a verify
        // (which reads case.toml under a shared lock on the log) never sees
        // the new event with the old file.
        let appended = custody::append_held(
            &mut lock,
            by,
            &signer.name,
            &EventInput {
                action,
                bundle: None,
                manifest_sha256: None,
                details: Some(details),
            },
        );
        if let Err(e) = appended {
            // Nothing was recorded: the pending file never took effect.
            let _ = std::fs::remove_file(&pending);
            return Err(e.into());
        }
        std::fs::rename(&pending, &path).map_err(io_err(&path))?;
        fsutil::sync_dir(&self.root).map_err(io_err(&self.root))?;
        drop(lock);
        self.config = config;
        Ok(())
    }

    /// Finishes or drops a step that a stopped process left half done, and
    /// checks the case can take new events. Returns what it did, for the
    /// officer:
    /// - a `.case.toml.pending` whose SHA-256 the custody log recorded last
    ///   replaces `case.toml` (the `officer-added` event was written, the
    ///   rename was not); one the log never recorded is removed (the event
    ///   was never written, so nothing happened);
    /// - an incomplete last line of the custody log is cut off and its bytes
    ///   recorded in a `log-repaired` event signed by `key`.
    ///
    /// Then the log must be sound and still hold the head this computer
    /// recorded for the folder ([`custody::check_appendable`]), and
    /// `case.toml` must be the one the log last recorded.
    pub fn recover(&mut self, key: &OfficerKey) -> Result<Vec<String>, CaseError> {
        let mut done = {
            let mut lock = custody::lock(&self.log())?;
            self.recover_locked(&mut lock)?
        };
        let officer = self.require_officer(key)?.name.clone();
        if let Some(r) = custody::repair(&self.log(), key, &officer)? {
            done.push(if r.witnessed {
                format!(
                    "the custody log ended in an incomplete line ({} bytes) after the last event this computer wrote to it, as an interrupted write leaves; it was cut off and its bytes recorded in custody event {}",
                    r.torn_bytes, r.seq
                )
            } else {
                format!(
                    "the custody log ended in an incomplete line ({} bytes): an interrupted write, or the log was cut (this computer holds no record of this folder's log to tell which); it was cut off and its bytes recorded in custody event {}. Verify will report it: if no warden command was interrupted on this case, report it",
                    r.torn_bytes, r.seq
                )
            });
        }
        custody::check_appendable(&self.log())?;
        Ok(done)
    }

    fn recover_locked(&mut self, lock: &mut custody::LogLock) -> Result<Vec<String>, CaseError> {
        let mut done = Vec::new();
        let path = self.root.join(CASE_FILE);
        let log = lock.read_all()?;
        let recorded = last_recorded_case_toml(&log);
        let pending = self.root.join(PENDING_CASE_FILE);
        if let Ok(bytes) = std::fs::read(&pending) {
            if recorded.as_deref() == Some(sha256_hex(&bytes).as_str()) {
                std::fs::rename(&pending, &path).map_err(io_err(&path))?;
                fsutil::sync_dir(&self.root).map_err(io_err(&self.root))?;
                done.push(format!(
                    "finished an interrupted `case add-officer` (or `case revoke-officer`): {PENDING_CASE_FILE}, recorded in the custody log, is now {CASE_FILE}"
                ));
            } else {
                std::fs::remove_file(&pending).map_err(io_err(&pending))?;
                fsutil::sync_dir(&self.root).map_err(io_err(&self.root))?;
                done.push(format!(
                    "removed {PENDING_CASE_FILE} left by an interrupted `case add-officer` (or `case revoke-officer`) whose custody event was never written (nothing changed)"
                ));
            }
        }
        let text = std::fs::read(&path).map_err(io_err(&path))?;
        // Never build on a case file that was changed outside warden: that
        // would launder the change into the log.
        if recorded.as_deref() != Some(sha256_hex(&text).as_str()) {
            return Err(CaseError::CaseFileChanged(path));
        }
        if !done.is_empty() {
            let text = String::from_utf8_lossy(&text);
            self.config = parse_config(&path, &text)?;
        }
        Ok(done)
    }
}

/// The custody event recording a change of officers, given the new
/// `case.toml`'s SHA-256.
type EventOf = Box<dyn FnOnce(String) -> (Action, serde_json::Value)>;

/// The `case_toml_sha256` of the last valid event of `log` that records
/// one (lines that do not hold count for nothing).
pub(crate) fn last_recorded_case_toml(log: &[u8]) -> Option<String> {
    custody::check_log(log)
        .valid_events()
        .filter_map(|ev| match ev.action {
            Action::CaseInit => ev
                .details_as::<CaseInitDetails>()
                .map(|d| d.case_toml_sha256),
            Action::OfficerAdded => ev
                .details_as::<OfficerAddedDetails>()
                .map(|d| d.case_toml_sha256),
            Action::OfficerRevoked => ev
                .details_as::<OfficerRevokedDetails>()
                .map(|d| d.case_toml_sha256),
            _ => None,
        })
        .last()
}

pub(crate) fn render_config(config: &CaseConfig) -> String {
    let body = toml::to_string_pretty(config).expect("case config always serialises");
    format!(
        "# warden case file. Do not edit by hand: its SHA-256 is recorded in the custody log.\n{body}"
    )
}

pub(crate) fn parse_config(path: &Path, text: &str) -> Result<CaseConfig, CaseError> {
    toml::from_str::<CaseConfig>(text).map_err(|e| {
        let detail = match e.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                format!("line {line}: {}", e.message())
            }
            None => e.message().to_string(),
        };
        CaseError::BadConfig {
            path: path.to_path_buf(),
            detail,
        }
    })
}
