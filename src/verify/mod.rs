//! `warden verify`: re-checks bundles, whole cases, or `.zip` files of
//! either, and names every file that does not hold.

mod bundle_check;
mod zipped;

use crate::case::{self, CaseConfig};
use crate::custody;
use crate::hash::sha256_hex;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bundle_check::check_bundle;

/// Errors that prevent verification from starting at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{0}: no such file or folder")]
    NotFound(PathBuf),
    #[error(
        "{0} is neither an evidence bundle (bagit.txt), a case folder (case.toml) nor a .zip of one"
    )]
    NotEvidence(PathBuf),
    #[error("{path}: {detail}")]
    Zip { path: PathBuf, detail: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What to verify.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    pub paths: Vec<PathBuf>,
    /// Trust anchor for time-stamp tokens (PEM); without it only the token's
    /// digest is checked.
    pub tsa_ca: Option<PathBuf>,
}

/// One thing that does not hold.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

/// Everything verification found.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub ok: bool,
    pub problems: Vec<Problem>,
    /// Items that verified, for the `OK` lines.
    pub verified: Vec<String>,
    /// Remarks that are not failures.
    pub notes: Vec<String>,
    pub bundles: usize,
    pub custody_events: usize,
}

/// Collects problems with paths shown under a display root.
pub(crate) struct Sink<'a> {
    pub report: &'a mut Report,
    pub root: String,
}

impl Sink<'_> {
    pub fn problem(&mut self, rel: &str, message: impl Into<String>) {
        let path = if rel.is_empty() {
            self.root.clone()
        } else {
            format!("{}/{}", self.root.trim_end_matches('/'), rel)
        };
        self.report.problems.push(Problem {
            path,
            message: message.into(),
        });
    }

    pub fn ok(&mut self, rel: &str, what: String) {
        let path = if rel.is_empty() {
            self.root.clone()
        } else {
            format!("{}/{}", self.root.trim_end_matches('/'), rel)
        };
        self.report.verified.push(format!("{path} {what}"));
    }

    pub fn note(&mut self, s: String) {
        self.report.notes.push(s);
    }
}

/// Verifies every path in `opts`.
pub fn verify(opts: &VerifyOptions) -> Result<Report, VerifyError> {
    let mut report = Report::default();
    let tsa_ca = match &opts.tsa_ca {
        Some(p) => Some(std::fs::read(p).map_err(|source| VerifyError::Io {
            path: p.clone(),
            source,
        })?),
        None => None,
    };
    // Check every argument exists before doing any work.
    for p in &opts.paths {
        if !p.exists() {
            return Err(VerifyError::NotFound(p.clone()));
        }
    }
    for p in &opts.paths {
        let display = p.display().to_string();
        if p.is_file() {
            let extracted = zipped::extract(p)?;
            let root = zipped::evidence_root(extracted.path());
            let shown = format!("{display}!");
            let rel_root = root
                .strip_prefix(extracted.path())
                .map(|r| r.display().to_string())
                .unwrap_or_default();
            let shown = if rel_root.is_empty() {
                shown
            } else {
                format!("{shown}/{rel_root}")
            };
            verify_dir(&root, &shown, tsa_ca.as_deref(), &mut report)
                .map_err(|_| VerifyError::NotEvidence(p.clone()))?;
        } else {
            verify_dir(p, &display, tsa_ca.as_deref(), &mut report)
                .map_err(|_| VerifyError::NotEvidence(p.clone()))?;
        }
    }
    report.ok = report.problems.is_empty();
    Ok(report)
}

/// Verifies a case or bundle folder; `Err(())` if it is neither.
fn verify_dir(
    dir: &Path,
    shown: &str,
    tsa_ca: Option<&[u8]>,
    report: &mut Report,
) -> Result<(), ()> {
    if dir.join(case::CASE_FILE).exists() {
        check_case(dir, shown, tsa_ca, report);
        Ok(())
    } else if dir.join(crate::bundle::BAGIT_TXT).exists() || dir.join("data").is_dir() {
        // A lone bundle: use its case (two levels up) for the officers' keys
        // if it is inside one.
        let case_dir = dir
            .parent()
            .filter(|p| p.file_name().is_some_and(|n| n == case::EVIDENCE_DIR))
            .and_then(Path::parent)
            .filter(|c| c.join(case::CASE_FILE).exists());
        let officers = case_dir.and_then(|c| {
            let path = c.join(case::CASE_FILE);
            let text = std::fs::read_to_string(&path).ok()?;
            case::parse_config(&path, &text).ok()
        });
        let mut sink = Sink {
            report,
            root: shown.to_string(),
        };
        let registered = officers.as_ref().map(registered_keys);
        if registered.is_none() {
            sink.note(format!(
                "{shown}: not inside a case folder, so the signing key was checked only against the key stored in the bundle"
            ));
        }
        let manifest = check_bundle(dir, "", registered.as_deref(), tsa_ca, &mut sink);
        // Cross-check with the case's custody log when there is one.
        if let (Some(case_dir), Some(manifest)) = (case_dir, manifest) {
            let id = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let log = std::fs::read(case_dir.join(case::CUSTODY_FILE)).unwrap_or_default();
            let check = custody::check_log(&log, registered.as_deref().unwrap_or(&[]));
            let recorded = check.events.iter().any(|e| {
                e.action == "capture"
                    && e.bundle.as_deref() == Some(id.as_str())
                    && e.manifest_sha256.as_deref() == Some(manifest.as_str())
            });
            if !recorded {
                sink.problem(
                    crate::bundle::MANIFEST_256,
                    "no capture event in the case's custody log records this bundle with this manifest",
                );
            }
        }
        report.bundles += 1;
        Ok(())
    } else {
        Err(())
    }
}

fn registered_keys(config: &CaseConfig) -> Vec<(String, String)> {
    config
        .officers
        .iter()
        .map(|o| (o.public_key.clone(), o.name.clone()))
        .collect()
}

fn check_case(dir: &Path, shown: &str, tsa_ca: Option<&[u8]>, report: &mut Report) {
    let mut bundles = 0;
    let events;
    {
        let mut sink = Sink {
            report: &mut *report,
            root: shown.to_string(),
        };
        let case_path = dir.join(case::CASE_FILE);
        let case_text = std::fs::read(&case_path).unwrap_or_default();
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
        let registered = config.as_ref().map(registered_keys).unwrap_or_default();

        // The custody log.
        let log_path = dir.join(case::CUSTODY_FILE);
        let log = match std::fs::read(&log_path) {
            Ok(b) => b,
            Err(e) => {
                sink.problem(case::CUSTODY_FILE, format!("cannot be read: {e}"));
                Vec::new()
            }
        };
        let check = custody::check_log(&log, &registered);
        for p in &check.problems {
            let rel = if p.line == 0 {
                case::CUSTODY_FILE.to_string()
            } else {
                format!("{}:{}", case::CUSTODY_FILE, p.line)
            };
            sink.problem(&rel, p.message.clone());
        }
        events = check.events.len();
        // case.toml must be the one the log last recorded.
        let recorded_case = check.events.iter().rev().find_map(|e| {
            e.details
                .as_ref()
                .and_then(|d| d.get("case_toml_sha256"))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        });
        match recorded_case {
            Some(h) if h == sha256_hex(&case_text) => {}
            Some(_) => sink.problem(
                case::CASE_FILE,
                "changed since the custody log last recorded it (its SHA-256 differs)",
            ),
            None => sink.problem(
                case::CASE_FILE,
                "the custody log holds no record of this case file",
            ),
        }
        if check.problems.is_empty() {
            sink.ok(
                case::CUSTODY_FILE,
                format!("({} events, chain and signatures hold)", check.events.len()),
            );
        }

        // What the log says each bundle's manifest hash is.
        let mut recorded: HashMap<String, (usize, String)> = HashMap::new();
        for (i, e) in check.events.iter().enumerate() {
            if e.action == "capture"
                && let (Some(b), Some(m)) = (&e.bundle, &e.manifest_sha256)
            {
                recorded.insert(b.clone(), (i + 1, m.clone()));
            }
        }

        // Every entry of evidence/.
        let ev_dir = dir.join(case::EVIDENCE_DIR);
        let mut entries: Vec<_> = match std::fs::read_dir(&ev_dir) {
            Ok(rd) => rd.filter_map(Result::ok).collect(),
            Err(e) => {
                sink.problem(case::EVIDENCE_DIR, format!("cannot be read: {e}"));
                Vec::new()
            }
        };
        entries.sort_by_key(|e| e.file_name());
        let mut seen = std::collections::HashSet::new();
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = format!("{}/{name}", case::EVIDENCE_DIR);
            if name.starts_with(crate::bundle::PARTIAL_PREFIX) {
                sink.problem(
                    &rel,
                    "incomplete bundle left by an interrupted capture; it is not evidence. Note it in your records, then move it out of evidence/",
                );
                continue;
            }
            if !entry.path().is_dir() {
                sink.problem(
                    &rel,
                    "unexpected file in evidence/ (only bundle folders belong here)",
                );
                continue;
            }
            bundles += 1;
            seen.insert(name.clone());
            let manifest = check_bundle(&entry.path(), &rel, Some(&registered), tsa_ca, &mut sink);
            match (recorded.get(&name), manifest) {
                (None, _) => sink.problem(
                    &rel,
                    "no capture event in custody.jsonl records this bundle",
                ),
                (Some((line, m)), Some(actual)) if *m != actual => sink.problem(
                    &format!("{rel}/{}", crate::bundle::MANIFEST_256),
                    format!(
                        "its SHA-256 differs from the one recorded in custody.jsonl line {line}"
                    ),
                ),
                _ => {}
            }
        }
        for (id, (line, _)) in &recorded {
            if !seen.contains(id) {
                sink.problem(
                    &format!("{}/{id}", case::EVIDENCE_DIR),
                    format!("recorded in custody.jsonl line {line} but missing from evidence/"),
                );
            }
        }
    }
    report.bundles += bundles;
    report.custody_events += events;
}
