//! `warden verify`: re-checks bundles, whole cases, or `.zip` files of
//! either, and names every file that does not hold.
//!
//! What anchors the evidence: a case folder or zip vouches for itself (its
//! `case.toml` and custody log declare the officers' keys), so a verifier who
//! was given the case fingerprint (`--expect-fingerprint`) or the officers'
//! keys (`--trust-key`) checks the case against them; without either, the
//! report says which keys signed and that the case declares them itself.

mod anchor;
mod bundle_check;
mod case_check;
mod page_check;
pub(crate) mod zipped;

use crate::case;
use serde::Serialize;
use std::path::{Path, PathBuf};

pub use crate::bundle::tsa_trust::{AnchorProblem, TsaCaError};
pub use anchor::{Anchoring, CaseSummary, Signer};

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
    #[error(
        "--expect-fingerprint {0:?} is not a case fingerprint (64 hexadecimal digits, as `warden case show` prints)"
    )]
    BadFingerprint(String),
    #[error(transparent)]
    TsaCa(#[from] crate::bundle::tsa_trust::TsaCaError),
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
    /// Base64 Ed25519 keys the user vouches for. When any is given, every
    /// signature (custody lines and bundles, in cases and lone bundles) must
    /// be made by one of them.
    pub trust_keys: Vec<String>,
    /// Case fingerprints the user was given; every case verified must have
    /// one of them, and each must match a case verified.
    pub expect_fingerprints: Vec<String>,
    /// This computer's custody-log witness folder (see
    /// [`crate::custody::witness`]); `None` skips that check.
    pub witness_dir: Option<PathBuf>,
    /// Checkpoint files kept outside the case (`warden custody
    /// checkpoint`): each must belong to a case verified, and that case's
    /// log must still begin with the events it covers.
    pub checkpoints: Vec<PathBuf>,
}

/// Progress while checking a case's bundles.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

/// One thing that does not hold.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

/// The overall answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// At least one bundle was checked and nothing failed.
    Verified,
    /// Nothing failed, but there was no bundle to check.
    #[default]
    NothingToVerify,
    /// Something does not hold: see `problems`.
    Failed,
}

/// Everything verification found.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub ok: bool,
    pub verdict: Verdict,
    pub problems: Vec<Problem>,
    /// Items that verified, for the `OK` lines.
    pub verified: Vec<String>,
    /// Remarks that are not failures.
    pub notes: Vec<String>,
    /// Each case checked: fingerprint, who signed, and what anchors it.
    pub cases: Vec<CaseSummary>,
    pub bundles: usize,
    pub custody_events: usize,
}

/// Collects problems with paths shown under a display root.
pub(crate) struct Sink<'a> {
    pub(crate) report: &'a mut Report,
    pub(crate) root: String,
}

impl Sink<'_> {
    fn shown(&self, rel: &str) -> String {
        if rel.is_empty() {
            self.root.clone()
        } else {
            format!("{}/{}", self.root.trim_end_matches('/'), rel)
        }
    }

    pub(crate) fn problem(&mut self, rel: &str, message: impl Into<String>) {
        let path = self.shown(rel);
        self.report.problems.push(Problem {
            path,
            message: message.into(),
        });
    }

    pub(crate) fn ok(&mut self, rel: &str, what: String) {
        let path = self.shown(rel);
        self.report.verified.push(format!("{path} {what}"));
    }
}

/// What every check needs to know.
pub(crate) struct Ctx<'a> {
    pub(crate) tsa_ca: Option<&'a [u8]>,
    pub(crate) trust: &'a [String],
    pub(crate) fingerprints: &'a [String],
    pub(crate) witness_dir: Option<&'a Path>,
    pub(crate) progress: &'a mut dyn FnMut(Progress),
    /// Checkpoints given with `--checkpoint`: path shown, bytes, and
    /// whether a case they belong to was checked.
    pub(crate) checkpoints: Vec<(String, Vec<u8>, bool)>,
}

/// Verifies every path in `opts`, calling `progress` as a case's bundles are
/// checked.
pub fn verify(
    opts: &VerifyOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, VerifyError> {
    let mut report = Report::default();
    let tsa_ca = match &opts.tsa_ca {
        Some(p) => Some(crate::bundle::tsa_trust::read_anchor_file(p)?),
        None => None,
    };
    let trust = anchor::parse_trust_keys(&opts.trust_keys)?;
    let fingerprints = anchor::parse_fingerprints(&opts.expect_fingerprints)?;
    // Check every argument exists before doing any work.
    for p in &opts.paths {
        if std::fs::symlink_metadata(p).is_err() {
            return Err(VerifyError::NotFound(p.clone()));
        }
    }
    let mut checkpoints = Vec::new();
    for p in &opts.checkpoints {
        let bytes = crate::fsutil::read_capped_following(
            p,
            crate::custody::checkpoint::MAX_CHECKPOINT_FILE,
        )
        .map_err(|source| VerifyError::Io {
            path: p.clone(),
            source,
        })?;
        checkpoints.push((p.display().to_string(), bytes, false));
    }
    let mut ctx = Ctx {
        tsa_ca: tsa_ca.as_deref(),
        trust: &trust,
        fingerprints: &fingerprints,
        witness_dir: opts.witness_dir.as_deref(),
        progress,
        checkpoints,
    };
    for p in &opts.paths {
        if p.is_file() {
            verify_zip(p, &mut ctx, &mut report)?;
        } else {
            verify_dir(p, &p.display().to_string(), &mut ctx, &mut report)
                .map_err(|()| VerifyError::NotEvidence(p.clone()))?;
        }
    }
    anchor::check_expected_fingerprints(&fingerprints, &mut report);
    for (path, _, matched) in &ctx.checkpoints {
        if !*matched {
            report.problems.push(Problem {
                path: path.clone(),
                message: "this checkpoint belongs to none of the cases verified here (its first line names another case fingerprint), or it is not a checkpoint".into(),
            });
        }
    }
    report.ok = report.problems.is_empty();
    report.verdict = match (report.ok, report.bundles) {
        (false, _) => Verdict::Failed,
        (true, 0) => Verdict::NothingToVerify,
        (true, _) => Verdict::Verified,
    };
    Ok(report)
}

fn verify_zip(p: &Path, ctx: &mut Ctx<'_>, report: &mut Report) -> Result<(), VerifyError> {
    let display = p.display().to_string();
    let extracted = match zipped::extract(p) {
        Ok(x) => x,
        Err(zipped::ZipProblem::NotAZip(detail)) => {
            return Err(VerifyError::Zip {
                path: p.to_path_buf(),
                detail,
            });
        }
        Err(zipped::ZipProblem::Hostile(detail)) => {
            report.problems.push(Problem {
                path: display,
                message: detail,
            });
            return Ok(());
        }
        Err(zipped::ZipProblem::Io(source)) => {
            return Err(VerifyError::Io {
                path: p.to_path_buf(),
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
    verify_dir(&root, &shown, ctx, report).map_err(|()| VerifyError::NotEvidence(p.to_path_buf()))
}

/// Verifies a case or bundle folder; `Err(())` if it is neither.
fn verify_dir(dir: &Path, shown: &str, ctx: &mut Ctx<'_>, report: &mut Report) -> Result<(), ()> {
    let is_case = dir.join(case::CASE_FILE).exists();
    let is_bundle = dir.join(crate::bundle::BAGIT_TXT).exists() || dir.join("data").is_dir();
    if is_case && is_bundle {
        report.problems.push(Problem {
            path: shown.to_string(),
            message: "holds both a case (case.toml) and an evidence bundle (bagit.txt or data/) at its top level: a case keeps its bundles in evidence/, so this folder is refused rather than checked as one or the other".into(),
        });
        return Ok(());
    }
    if is_case {
        case_check::check_case(dir, shown, None, ctx, report);
        return Ok(());
    }
    if !is_bundle {
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
        case_check::check_case(case_dir, &shown_case, Some(&id), ctx, report);
        return Ok(());
    }
    let mut sink = Sink {
        report,
        root: shown.to_string(),
    };
    let anchors: Vec<(String, String)> = ctx
        .trust
        .iter()
        .map(|k| (k.clone(), String::new()))
        .collect();
    let anchors = (!anchors.is_empty()).then_some(anchors.as_slice());
    bundle_check::check_bundle(dir, "", anchors, ctx.tsa_ca, &mut sink);
    report.notes.push(format!(
        "{shown}: checked as a lone bundle: its custody record (whether the case recorded it, or set it aside as not evidence) was not checked; verify the whole case for that"
    ));
    report.bundles += 1;
    Ok(())
}
