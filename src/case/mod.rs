//! The case folder: `case.toml` (identity and officers), `evidence/` and
//! `custody.jsonl`.

pub mod keys;

use crate::custody::{self, CustodyError, EventInput};
use crate::fsutil;
use crate::hash::sha256_hex;
use keys::OfficerKey;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const CASE_FILE: &str = "case.toml";
pub const EVIDENCE_DIR: &str = "evidence";
pub const CUSTODY_FILE: &str = "custody.jsonl";

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
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "your signing key ({key}) is not registered in case {case}; register it with `warden case add-officer --officer NAME`"
    )]
    UnknownOfficer { key: String, case: String },
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
    #[error(transparent)]
    Custody(#[from] CustodyError),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> CaseError + '_ {
    move |source| CaseError::Io {
        path: path.to_path_buf(),
        source,
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
    pub warden_version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Officer {
    pub name: String,
    /// Standard base64 of the 32-byte Ed25519 public key.
    pub public_key: String,
    pub added: String,
}

/// What `warden case init` needs.
#[derive(Debug, Clone)]
pub struct InitOptions {
    pub dir: PathBuf,
    pub case_id: String,
    pub title: String,
    pub agency: String,
    pub officer: String,
}

/// An opened case folder.
#[derive(Debug, Clone)]
pub struct Case {
    pub root: PathBuf,
    pub config: CaseConfig,
}

/// Replaces line breaks and other control characters so a value cannot
/// forge extra lines in `bag-info.txt` or similar line-based files.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
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
        };
        custody::append(
            &case.custody_path(),
            key,
            &case.config.officers[0].name,
            &EventInput {
                action: "case-init",
                bundle: None,
                manifest_sha256: None,
                details: Some(serde_json::json!({
                    "case_id": case.config.case.id,
                    "case_toml_sha256": sha256_hex(text.as_bytes()),
                })),
            },
        )?;
        fsutil::sync_dir(dir).map_err(io_err(dir))?;
        Ok(case)
    }

    /// Opens the case at `dir`.
    pub fn open(dir: &Path) -> Result<Case, CaseError> {
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
        Ok(Case { root, config })
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

    /// The officer registered with this key, if any.
    pub fn officer_for(&self, key: &OfficerKey) -> Option<&Officer> {
        let pk = key.public_b64();
        self.config.officers.iter().find(|o| o.public_key == pk)
    }

    /// The officer registered with this key, or a clear error.
    pub fn require_officer(&self, key: &OfficerKey) -> Result<&Officer, CaseError> {
        self.officer_for(key)
            .ok_or_else(|| CaseError::UnknownOfficer {
                key: key.path.display().to_string(),
                case: self.config.case.id.clone(),
            })
    }

    /// Registers a new officer (`name`, base64 `public_key`) in the case.
    /// The custody event is signed by `by`, who must already be an officer:
    /// nobody can add themselves.
    pub fn add_officer(
        &mut self,
        name: &str,
        public_key: &str,
        by: &OfficerKey,
    ) -> Result<(), CaseError> {
        let name = one_line(name);
        if name.is_empty() {
            return Err(CaseError::EmptyField { field: "--officer" });
        }
        if keys::parse_public_key_b64(public_key).is_none() {
            return Err(CaseError::BadPublicKey(public_key.to_string()));
        }
        let lock_path = self.custody_path();
        // Hold the custody lock while rewriting case.toml so two officers
        // cannot lose each other's entry.
        let lock = custody::lock(&lock_path)?;
        let path = self.root.join(CASE_FILE);
        let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
        // Never build on a case file that was changed outside warden: that
        // would launder the change into the log.
        let log = std::fs::read(&lock_path).map_err(io_err(&lock_path))?;
        let recorded = log.rsplit(|&b| b == b'\n').find_map(|l| {
            serde_json::from_slice::<serde_json::Value>(l)
                .ok()?
                .get("details")?
                .get("case_toml_sha256")?
                .as_str()
                .map(str::to_string)
        });
        if recorded.as_deref() != Some(sha256_hex(text.as_bytes()).as_str()) {
            return Err(CaseError::CaseFileChanged(path));
        }
        let mut config = parse_config(&path, &text)?;
        let signer = by.public_b64();
        let signer_name = config
            .officers
            .iter()
            .find(|o| o.public_key == signer)
            .map(|o| o.name.clone())
            .ok_or_else(|| CaseError::UnknownOfficer {
                key: by.path.display().to_string(),
                case: config.case.id.clone(),
            })?;
        if let Some(o) = config
            .officers
            .iter()
            .find(|o| o.public_key == public_key || o.name == name)
        {
            return Err(CaseError::AlreadyRegistered(o.name.clone()));
        }
        config.officers.push(Officer {
            name: name.clone(),
            public_key: public_key.to_string(),
            added: crate::now_rfc3339(),
        });
        let new_text = render_config(&config);
        fsutil::replace_atomically(&path, new_text.as_bytes()).map_err(io_err(&path))?;
        custody::append_locked(
            lock,
            by,
            &signer_name,
            &EventInput {
                action: "officer-added",
                bundle: None,
                manifest_sha256: None,
                details: Some(serde_json::json!({
                    "officer": name,
                    "public_key": public_key,
                    "case_toml_sha256": sha256_hex(new_text.as_bytes()),
                })),
            },
        )?;
        self.config = config;
        Ok(())
    }
}

pub fn render_config(config: &CaseConfig) -> String {
    let body = toml::to_string_pretty(config).expect("case config always serialises");
    format!(
        "# warden case file. Do not edit by hand: its SHA-256 is recorded in the custody log.\n{body}"
    )
}

pub fn parse_config(path: &Path, text: &str) -> Result<CaseConfig, CaseError> {
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
