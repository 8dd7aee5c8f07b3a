//! Exports: verified evidence written in formats other tools read.
//!
//! - [`wacz`]: a Web Archive Collection Zipped file (WACZ 1.1.1) that
//!   ReplayWeb.page and pywb replay, holding the WARC files of a case's (or
//!   one bundle's) sealed bundles unchanged.
//! - [`case_uco`]: the case described in CASE/UCO JSON-LD (the officers,
//!   the tool, an investigative action per custody event, the captured URLs,
//!   every bundle file with its SHA-256 and a provenance record per
//!   exhibit), for tools that read the CASE ontology.
//! - [`bag`]: the whole case folder as one zip for hand-over, which
//!   `warden verify FILE.zip` checks like the folder.
//!
//! An export starts by verifying its input with [`crate::verify::verify`]
//! and refuses evidence that does not verify: an export never launders a
//! bundle that fails its checks into a file that looks clean. The output is
//! written under a temporary name, made durable, then renamed into place,
//! never over an existing file.

pub mod bag;
pub mod case_uco;
pub mod wacz;

use crate::verify::{Verdict, VerifyOptions};
use std::path::{Path, PathBuf};

/// Why an export was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}: no such file or folder")]
    NotFound(PathBuf),
    #[error(
        "{0} is neither a case folder (case.toml) nor an evidence bundle (bagit.txt); give a case folder or one of its evidence/<id> bundles"
    )]
    NotEvidence(PathBuf),
    #[error(
        "{0} is a file; export reads a case or bundle folder (to export a .zip you received, unzip it, then verify and export the folder)"
    )]
    NotAFolder(PathBuf),
    #[error("{0} already exists; warden never overwrites a file: choose another --out")]
    OutExists(PathBuf),
    #[error("--out {0}: the file name must end in .wacz (replay tools recognise the format by it)")]
    OutName(PathBuf),
    #[error("--out {out}: the file name must end in {ext} ({why})")]
    OutExtension {
        out: PathBuf,
        ext: &'static str,
        why: &'static str,
    },
    #[error(
        "--out {out} is inside {inside}; write the export outside the evidence (a case folder holds only case.toml, custody.jsonl, evidence/ and interrupted/, and anything else there fails verification)"
    )]
    OutInsideEvidence { out: PathBuf, inside: PathBuf },
    #[error(
        "refusing to export {path}: verification found {count} problem(s), the first in {first_path}: {first_message}. An export never carries evidence that does not verify; run `warden verify {path}` to see every problem"
    )]
    NotVerified {
        path: PathBuf,
        count: usize,
        first_path: String,
        first_message: String,
    },
    #[error(
        "nothing to export: {0} holds no evidence bundle (a case with no bundle verifies nothing)"
    )]
    NothingToExport(PathBuf),
    #[error(
        "{path} changed after it was verified ({detail}); nothing was exported. Run `warden verify` on the evidence and export again"
    )]
    Changed { path: PathBuf, detail: String },
    #[error("{path}: {detail}; nothing was exported")]
    Unreadable { path: PathBuf, detail: String },
    #[error(
        "the export's index and page list would take more than {limit} MiB of memory; export fewer bundles at a time (one bundle folder per export)",
        limit = wacz::MAX_INDEX_BYTES >> 20
    )]
    TooLarge,
    #[error(
        "{path} is too large to hand over as one zip ({detail}); `warden verify` would refuse to extract it. Hand the case folder over on a disk instead"
    )]
    BagTooLarge { path: PathBuf, detail: String },
    #[error(
        "{path}: {detail}; warden never puts such an entry in an export, and nothing was written. Run `warden verify` on the case and remove what does not belong there"
    )]
    NotExportable { path: PathBuf, detail: String },
    #[error("the disk holding {0} is full; nothing was written. Free some space and export again")]
    DiskFull(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Verify(#[from] crate::verify::VerifyError),
    #[error(transparent)]
    Case(#[from] crate::case::CaseError),
}

impl ExportError {
    /// Whether the refusal is about the evidence itself (it does not
    /// verify, holds nothing, or changed while being exported) rather than
    /// about what was asked; the command exits 1 for these, as verify does.
    pub fn is_evidence_problem(&self) -> bool {
        matches!(
            self,
            ExportError::NotVerified { .. }
                | ExportError::NothingToExport(_)
                | ExportError::Changed { .. }
                | ExportError::NotExportable { .. }
        )
    }
}

/// Anchors passed on to verification (see [`VerifyOptions`]).
#[derive(Debug, Clone, Default)]
pub struct Anchors {
    /// Keys the user vouches for ([`VerifyOptions::trust_keys`]).
    pub trust_keys: Vec<String>,
    /// Case fingerprints the user was given
    /// ([`VerifyOptions::expect_fingerprints`]).
    pub expect_fingerprints: Vec<String>,
    /// This computer's custody-log witness folder.
    pub witness_dir: Option<PathBuf>,
}

/// Verifies `input` as `warden verify` does and refuses it unless it
/// verifies with at least one bundle.
fn verify_or_refuse(input: &Path, anchors: &Anchors) -> Result<(), ExportError> {
    let report = crate::verify::verify(
        &VerifyOptions {
            paths: vec![input.to_path_buf()],
            tsa_ca: None,
            trust_keys: anchors.trust_keys.clone(),
            expect_fingerprints: anchors.expect_fingerprints.clone(),
            witness_dir: anchors.witness_dir.clone(),
            checkpoints: Vec::new(),
        },
        &mut |_| {},
    )?;
    match report.verdict {
        Verdict::Verified => Ok(()),
        Verdict::NothingToVerify => Err(ExportError::NothingToExport(input.to_path_buf())),
        Verdict::Failed => {
            let first = report.problems.first();
            Err(ExportError::NotVerified {
                path: input.to_path_buf(),
                count: report.problems.len(),
                first_path: first.map(|p| p.path.clone()).unwrap_or_default(),
                first_message: first
                    .map(|p| crate::text::one_line(&p.message))
                    .unwrap_or_default(),
            })
        }
    }
}

/// The case folder an export of a whole case reads: it must exist and hold
/// `case.toml`. Returns the opened case, its root made absolute.
fn open_case(path: &Path) -> Result<crate::case::Case, ExportError> {
    let md = std::fs::symlink_metadata(path).map_err(|_| ExportError::NotFound(path.into()))?;
    // A link to a folder is followed, as verify follows it.
    let folder = md.is_dir() || (md.file_type().is_symlink() && path.is_dir());
    if !folder {
        return Err(ExportError::NotAFolder(path.into()));
    }
    let real = std::fs::canonicalize(path).map_err(io_err(path))?;
    if !real.join(crate::case::CASE_FILE).exists() {
        return Err(ExportError::Case(crate::case::CaseError::NotACase(
            path.to_path_buf(),
        )));
    }
    Ok(crate::case::Case::open(&real)?)
}

/// Where an export goes: checked before anything is read.
struct OutFile {
    out: PathBuf,
    /// The folder it goes in (`.` for a bare name).
    dir: PathBuf,
    /// The file name, for the temporary name beside it.
    name: String,
}

impl OutFile {
    /// Refuses an `--out` without the extension `ext` (lowercase, with its
    /// dot), one that exists, and one inside `protected`.
    fn check(
        out: &Path,
        ext: &'static str,
        why: &'static str,
        protected: &Path,
    ) -> Result<OutFile, ExportError> {
        let name = match out.file_name().and_then(|n| n.to_str()) {
            Some(n) if n.len() > ext.len() && n.to_ascii_lowercase().ends_with(ext) => {
                n.to_string()
            }
            _ => {
                return Err(ExportError::OutExtension {
                    out: out.to_path_buf(),
                    ext,
                    why,
                });
            }
        };
        if std::fs::symlink_metadata(out).is_ok() {
            return Err(ExportError::OutExists(out.to_path_buf()));
        }
        let dir = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let dir_real = std::fs::canonicalize(&dir).map_err(io_err(&dir))?;
        if dir_real.starts_with(protected) {
            return Err(ExportError::OutInsideEvidence {
                out: out.to_path_buf(),
                inside: protected.to_path_buf(),
            });
        }
        Ok(OutFile {
            out: out.to_path_buf(),
            dir,
            name,
        })
    }

    /// A new temporary file beside the output, removed unless published.
    fn temp(&self) -> Result<(TempOut, std::fs::File), ExportError> {
        let path = self
            .dir
            .join(format!(".{}.partial-{}", self.name, uuid::Uuid::new_v4()));
        let file = crate::fsutil::create_new(&path).map_err(io_err(&path))?;
        Ok((TempOut { path, keep: false }, file))
    }

    /// Makes `file` (written at `tmp`) durable and renames it to the
    /// output, never over an existing file; returns its SHA-256 and size.
    fn publish(&self, tmp: TempOut, file: std::fs::File) -> Result<(String, u64), ExportError> {
        let mut tmp = tmp;
        file.sync_all().map_err(io_err(&tmp.path))?;
        drop(file);
        let (sha256, bytes) = crate::hash::sha256_file(&tmp.path).map_err(io_err(&tmp.path))?;
        crate::fsutil::rename_noreplace(&tmp.path, &self.out).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                ExportError::OutExists(self.out.clone())
            } else {
                io_err(&self.out)(e)
            }
        })?;
        tmp.keep = true;
        crate::fsutil::sync_dir(&self.dir).map_err(io_err(&self.dir))?;
        Ok((sha256, bytes))
    }
}

/// A temporary output file, removed unless kept.
struct TempOut {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempOut {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// An I/O error on `path`, with a full disk named as such.
fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| match source.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            ExportError::DiskFull(path.to_path_buf())
        }
        _ => ExportError::Io {
            path: path.to_path_buf(),
            source,
        },
    }
}
