//! Verifying a `.zip` of a bundle or case: extract safely, then verify.

use super::VerifyError;
use std::path::{Path, PathBuf};

/// Most bytes we will extract from one archive.
const MAX_TOTAL: u64 = 256 * 1024 * 1024 * 1024;
/// Most entries we will extract from one archive.
const MAX_ENTRIES: usize = 1_000_000;

/// Extracts `zip` into a new temporary folder. Entry names that would escape
/// the folder, symlinks, and archives over the size limits are refused.
pub fn extract(zip_path: &Path) -> Result<tempfile::TempDir, VerifyError> {
    let zerr = |detail: String| VerifyError::Zip {
        path: zip_path.to_path_buf(),
        detail,
    };
    let file = std::fs::File::open(zip_path).map_err(|source| VerifyError::Io {
        path: zip_path.to_path_buf(),
        source,
    })?;
    let mut archive = zip::ZipArchive::new(file)
        .map_err(|e| zerr(format!("not a readable .zip archive ({e})")))?;
    if archive.len() > MAX_ENTRIES {
        return Err(zerr(format!("more than {MAX_ENTRIES} entries; refusing")));
    }
    let dir = tempfile::Builder::new()
        .prefix("warden-verify-")
        .tempdir()
        .map_err(|source| VerifyError::Io {
            path: std::env::temp_dir(),
            source,
        })?;
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| zerr(format!("entry {i}: {e}")))?;
        let Some(rel) = entry.enclosed_name() else {
            return Err(zerr(format!(
                "entry {:?} points outside the archive; refusing",
                entry.name()
            )));
        };
        if entry.is_symlink() {
            return Err(zerr(format!(
                "entry {:?} is a symbolic link; refusing",
                entry.name()
            )));
        }
        let out = dir.path().join(rel);
        if entry.is_dir() {
            std::fs::create_dir_all(&out).map_err(|source| VerifyError::Io {
                path: out.clone(),
                source,
            })?;
            continue;
        }
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent).map_err(|source| VerifyError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let mut f = std::fs::File::create(&out).map_err(|source| VerifyError::Io {
            path: out.clone(),
            source,
        })?;
        let left = MAX_TOTAL - total;
        let n = std::io::copy(&mut (&mut entry).take(left + 1), &mut f)
            .map_err(|e| zerr(format!("entry {:?}: {e}", entry.name())))?;
        total += n;
        if total > MAX_TOTAL {
            return Err(zerr("expands to more than 256 GiB; refusing".into()));
        }
    }
    Ok(dir)
}

use std::io::Read;

/// The folder inside an extracted archive that holds the case or bundle:
/// the top level itself, or its only sub-folder.
pub fn evidence_root(top: &Path) -> PathBuf {
    let is_evidence = |p: &Path| p.join("case.toml").exists() || p.join("bagit.txt").exists();
    if is_evidence(top) {
        return top.to_path_buf();
    }
    let dirs: Vec<PathBuf> = std::fs::read_dir(top)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    if dirs.len() == 1 {
        return dirs[0].clone();
    }
    top.to_path_buf()
}
