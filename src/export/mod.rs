//! Exports: verified evidence written in formats other tools read.
//!
//! - [`wacz`]: a Web Archive Collection Zipped file (WACZ 1.1.1) that
//!   ReplayWeb.page and pywb replay, holding the WARC files of a case's (or
//!   one bundle's) sealed bundles unchanged.
//!
//! An export starts by verifying its input with [`crate::verify::verify`]
//! and refuses evidence that does not verify: an export never launders a
//! bundle that fails its checks into a file that looks clean. The output is
//! written under a temporary name, made durable, then renamed into place,
//! never over an existing file.

pub mod wacz;

use std::path::PathBuf;

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
        )
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
