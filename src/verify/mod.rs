//! `warden verify`: re-checks bundles, whole cases, or `.zip` files of
//! either, and names every file that does not hold.

mod bundle_check;
mod page_check;
mod zipped;

use crate::case::{self, CaseConfig};
use crate::custody;
use crate::hash::sha256_hex;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bundle_check::{BundleFacts, check_bundle};

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
    #[error("--trust-key {0:?} is not a base64 Ed25519 public key (as listed in case.toml)")]
    BadTrustKey(String),
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
    /// Base64 Ed25519 keys the user vouches for, for bundles checked outside
    /// their case folder.
    pub trust_keys: Vec<String>,
    /// Show a progress bar on standard error while checking bundles.
    pub progress: bool,
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
    for k in &opts.trust_keys {
        if crate::case::keys::parse_public_key_b64(k).is_none() {
            return Err(VerifyError::BadTrustKey(k.clone()));
        }
    }
    let trust: Vec<(String, String)> = opts
        .trust_keys
        .iter()
        .map(|k| (k.clone(), String::new()))
        .collect();
    // Check every argument exists before doing any work.
    for p in &opts.paths {
        if std::fs::symlink_metadata(p).is_err() {
            return Err(VerifyError::NotFound(p.clone()));
        }
    }
    let ctx = Ctx {
        tsa_ca: tsa_ca.as_deref(),
        trust: &trust,
        progress: opts.progress,
    };
    for p in &opts.paths {
        let display = p.display().to_string();
        if p.is_file() {
            let extracted = match zipped::extract(p) {
                Ok(x) => x,
                Err(zipped::ZipProblem::NotAZip(detail)) => {
                    return Err(VerifyError::Zip {
                        path: p.clone(),
                        detail,
                    });
                }
                Err(zipped::ZipProblem::Hostile(detail)) => {
                    report.problems.push(Problem {
                        path: display.clone(),
                        message: detail,
                    });
                    continue;
                }
                Err(zipped::ZipProblem::Io(source)) => {
                    return Err(VerifyError::Io {
                        path: p.clone(),
                        source,
                    });
                }
            };
            let root = zipped::evidence_root(extracted.path());
            let rel_root = root
                .strip_prefix(extracted.path())
                .map(|r| r.display().to_string())
                .unwrap_or_default();
            let shown = if rel_root.is_empty() {
                format!("{display}!")
            } else {
                format!("{display}!/{rel_root}")
            };
            // Anything in the archive outside the case or bundle is extra.
            for extra in zipped::outside(extracted.path(), &root) {
                report.problems.push(Problem {
                    path: format!("{display}!/{extra}"),
                    message: "unexpected entry in the archive, outside the case or bundle".into(),
                });
            }
            verify_dir(&root, &shown, &ctx, &mut report)
                .map_err(|_| VerifyError::NotEvidence(p.clone()))?;
        } else {
            verify_dir(p, &display, &ctx, &mut report)
                .map_err(|_| VerifyError::NotEvidence(p.clone()))?;
        }
    }
    report.ok = report.problems.is_empty();
    Ok(report)
}

struct Ctx<'a> {
    tsa_ca: Option<&'a [u8]>,
    trust: &'a [(String, String)],
    progress: bool,
}

/// Verifies a case or bundle folder; `Err(())` if it is neither.
fn verify_dir(dir: &Path, shown: &str, ctx: &Ctx<'_>, report: &mut Report) -> Result<(), ()> {
    if dir.join(case::CASE_FILE).exists() {
        check_case(dir, shown, None, ctx, report);
        return Ok(());
    }
    if !(dir.join(crate::bundle::BAGIT_TXT).exists() || dir.join("data").is_dir()) {
        return Err(());
    }
    // A bundle inside its case: check the case's log and case.toml too, and
    // this bundle against them.
    let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let case_dir = canonical
        .parent()
        .filter(|p| p.file_name().is_some_and(|n| n == case::EVIDENCE_DIR))
        .and_then(Path::parent)
        .filter(|c| c.join(case::CASE_FILE).exists());
    if let Some(case_dir) = case_dir {
        let id = canonical
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let shown_case = case_dir.display().to_string();
        check_case(case_dir, &shown_case, Some(&id), ctx, report);
        return Ok(());
    }
    let mut sink = Sink {
        report,
        root: shown.to_string(),
    };
    let anchors = (!ctx.trust.is_empty()).then_some(ctx.trust);
    check_bundle(dir, "", anchors, ctx.tsa_ca, &mut sink);
    report.bundles += 1;
    Ok(())
}

/// Checks a case: `case.toml`, the custody log, and every bundle (or only
/// the bundle `only`).
fn check_case(dir: &Path, shown: &str, only: Option<&str>, ctx: &Ctx<'_>, report: &mut Report) {
    let mut bundles = 0;
    let events;
    {
        let mut sink = Sink {
            report: &mut *report,
            root: shown.to_string(),
        };
        for name in [case::CASE_FILE, case::CUSTODY_FILE, case::EVIDENCE_DIR] {
            if std::fs::symlink_metadata(dir.join(name)).is_ok_and(|m| m.file_type().is_symlink()) {
                sink.problem(name, "is a symbolic link; the case must hold the real file");
            }
        }
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

        // The custody log.
        let log_path = dir.join(case::CUSTODY_FILE);
        let log = match std::fs::read(&log_path) {
            Ok(b) => b,
            Err(e) => {
                sink.problem(case::CUSTODY_FILE, format!("cannot be read: {e}"));
                Vec::new()
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
        events = check.events.len();

        // The officers in case.toml must be exactly those the log registers.
        if let Some(config) = &config {
            let mut in_toml: Vec<(String, String)> = registered_keys(config);
            let mut in_log = check.officers.clone();
            in_toml.sort();
            in_log.sort();
            if in_toml != in_log {
                sink.problem(
                    case::CASE_FILE,
                    "its officers differ from those registered in the custody log (an officer was added, removed or changed outside warden)",
                );
            }
        }
        // case.toml must be the one the log last recorded.
        let recorded_case = check.valid_events().filter_map(|e| {
            e.details
                .as_ref()
                .and_then(|d| d.get("case_toml_sha256"))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        });
        match recorded_case.last() {
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
        // The head this computer last wrote, if any.
        let first_line = log.split(|&b| b == b'\n').next().unwrap_or(&[]);
        if let Some(w) = custody::witness::read(first_line) {
            let holds = check
                .events
                .iter()
                .any(|e| e.event.seq == w.seq && e.line_sha256 == w.line_sha256);
            if !holds {
                sink.problem(
                    case::CUSTODY_FILE,
                    format!(
                        "this computer recorded event {} (line SHA-256 {}) in this case's log on {}, but this log does not hold it: events were removed or rewritten, or this is a copy made before that event (then verify the current case)",
                        w.seq, w.line_sha256, w.recorded_at
                    ),
                );
            }
        }
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

        // What the log says about each bundle (valid events only).
        let mut recorded: HashMap<String, (u64, &custody::Event)> = HashMap::new();
        for e in check.valid_events() {
            if e.action == "capture"
                && let Some(b) = &e.bundle
            {
                recorded.insert(b.clone(), (e.seq, e));
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
        let bar = (ctx.progress && only.is_none()).then(|| {
            let bar = indicatif::ProgressBar::new(entries.len() as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "verifying {bar:30} {pos}/{len} bundles {elapsed_precise}",
                )
                .expect("valid progress template"),
            );
            bar
        });
        let mut seen = std::collections::HashSet::new();
        for entry in entries {
            if let Some(bar) = &bar {
                bar.inc(1);
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if only.is_some_and(|o| o != name) {
                continue;
            }
            let rel = format!("{}/{name}", case::EVIDENCE_DIR);
            let md = std::fs::symlink_metadata(entry.path());
            if md.as_ref().is_ok_and(|m| m.file_type().is_symlink()) {
                sink.problem(
                    &rel,
                    "is a symbolic link; evidence/ must hold the bundles themselves",
                );
                continue;
            }
            if let Some(id) = name.strip_prefix(crate::bundle::PARTIAL_PREFIX) {
                seen.insert(id.to_string());
                sink.problem(
                    &rel,
                    match recorded.get(id) {
                        Some((seq, _)) => format!(
                            "interrupted capture: sealed and recorded in custody event {seq}, but the capture stopped before moving it into place; the next `warden capture` into this case checks it against that event and completes the move (and records that)"
                        ),
                        None => "interrupted capture: a partial bundle that no custody event records, so it is not evidence; the next `warden capture` into this case moves it to interrupted/ and records that in the custody log".into(),
                    },
                );
                continue;
            }
            if !md.is_ok_and(|m| m.is_dir()) {
                sink.problem(
                    &rel,
                    "unexpected file in evidence/ (only bundle folders belong here)",
                );
                continue;
            }
            bundles += 1;
            seen.insert(name.clone());
            let facts: BundleFacts = check_bundle(
                &entry.path(),
                &rel,
                Some(&check.officers),
                ctx.tsa_ca,
                &mut sink,
            );
            let Some((seq, ev)) = recorded.get(&name) else {
                sink.problem(
                    &rel,
                    "no valid capture event in custody.jsonl records this bundle: it was placed or copied here, not captured into this case (a capture records its event before the bundle appears in evidence/; only older warden versions, which did it the other way round, could leave this after a crash)",
                );
                continue;
            };
            if let Some(actual) = &facts.manifest_sha256
                && ev.manifest_sha256.as_deref() != Some(actual.as_str())
            {
                sink.problem(
                    &format!("{rel}/{}", crate::bundle::MANIFEST_256),
                    format!("its SHA-256 differs from the one recorded in custody event {seq}"),
                );
            }
            let details = ev.details.as_ref();
            let stamped = details
                .and_then(|d| d.get("timestamped"))
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            let recorded_tsr = details
                .and_then(|d| d.get("timestamp_sha256"))
                .and_then(|v| v.as_str());
            match (&facts.timestamp_sha256, stamped, recorded_tsr) {
                (None, false, _) => {}
                (Some(h), true, Some(r)) if h == r => {}
                (Some(_), true, None) => {} // older event without the hash
                (Some(_), false, _) => sink.problem(
                    &format!("{rel}/{}", crate::bundle::TIMESTAMP),
                    format!("added after sealing: custody event {seq} records no time-stamp for this bundle"),
                ),
                (None, true, _) => sink.problem(
                    &format!("{rel}/{}", crate::bundle::TIMESTAMP),
                    format!("missing: custody event {seq} records that this bundle was time-stamped"),
                ),
                (Some(_), true, Some(_)) => sink.problem(
                    &format!("{rel}/{}", crate::bundle::TIMESTAMP),
                    format!("replaced: it is not the token recorded in custody event {seq}"),
                ),
            }
            if let (Some((key, _)), false) = (&facts.signer, ev.public_key.is_empty())
                && *key != ev.public_key
            {
                sink.problem(
                    &format!("{rel}/{}", crate::bundle::SIGNATURE_PUB),
                    format!("signed by a different key than the officer who recorded custody event {seq}"),
                );
            }
        }
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        for (id, (seq, _)) in &recorded {
            if only.is_some_and(|o| o != id) {
                continue;
            }
            if !seen.contains(id) {
                sink.problem(
                    &format!("{}/{id}", case::EVIDENCE_DIR),
                    match crate::recovery::set_aside_note(&check, id) {
                        Some(note) => format!(
                            "recorded in custody event {seq} but missing from evidence/: {note}"
                        ),
                        None => {
                            format!("recorded in custody event {seq} but missing from evidence/")
                        }
                    },
                );
            }
        }
    }
    report.bundles += bundles;
    report.custody_events += events;
}

fn registered_keys(config: &CaseConfig) -> Vec<(String, String)> {
    config
        .officers
        .iter()
        .map(|o| (o.public_key.clone(), o.name.clone()))
        .collect()
}
