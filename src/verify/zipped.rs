//! Verifying a `.zip` of a bundle or case: extract safely, then verify.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Most bytes we will extract from one archive.
const MAX_TOTAL: u64 = 64 * 1024 * 1024 * 1024;
/// Most entries we will extract from one archive.
const MAX_ENTRIES: usize = 1_000_000;

/// Why an archive could not be extracted.
#[derive(Debug)]
pub enum ZipProblem {
    /// Not a zip archive at all (bad input).
    NotAZip(String),
    /// A zip archive that is unsafe or ambiguous as evidence.
    Hostile(String),
    Io(std::io::Error),
}

/// Extracts `zip` into a new temporary folder. Entry names that would escape
/// the folder, symlinks, duplicate names (which different tools resolve
/// differently) and archives over the size limits are refused.
pub fn extract(zip_path: &Path) -> Result<tempfile::TempDir, ZipProblem> {
    let file = std::fs::File::open(zip_path).map_err(ZipProblem::Io)?;
    let mut archive = zip::ZipArchive::new(file)
        .map_err(|e| ZipProblem::NotAZip(format!("not a readable .zip archive ({e})")))?;
    if archive.len() > MAX_ENTRIES {
        return Err(ZipProblem::Hostile(format!(
            "more than {MAX_ENTRIES} entries; refusing to extract"
        )));
    }
    let dir = tempfile::Builder::new()
        .prefix("warden-verify-")
        .tempdir()
        .map_err(ZipProblem::Io)?;
    let mut total = 0u64;
    let mut names = HashSet::new();
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| ZipProblem::Hostile(format!("entry {i} cannot be read ({e})")))?;
        let name = entry.name().to_string();
        let Some(rel) = entry.enclosed_name() else {
            return Err(ZipProblem::Hostile(format!(
                "entry {name:?} points outside the archive; refusing to extract"
            )));
        };
        if entry.is_symlink() {
            return Err(ZipProblem::Hostile(format!(
                "entry {name:?} is a symbolic link; refusing to extract"
            )));
        }
        let key = rel.to_string_lossy().trim_end_matches('/').to_lowercase();
        if !names.insert(key) {
            return Err(ZipProblem::Hostile(format!(
                "entry {name:?} appears more than once (or differs only in letter case); tools disagree on which copy counts, so this archive cannot be verified"
            )));
        }
        let out = dir.path().join(&rel);
        if entry.is_dir() {
            std::fs::create_dir_all(&out).map_err(ZipProblem::Io)?;
            continue;
        }
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent).map_err(ZipProblem::Io)?;
        }
        let mut f = std::fs::File::create(&out).map_err(ZipProblem::Io)?;
        let left = MAX_TOTAL - total;
        let n = std::io::copy(&mut (&mut entry).take(left + 1), &mut f).map_err(|e| {
            ZipProblem::Hostile(format!("entry {name:?} cannot be extracted ({e})"))
        })?;
        total += n;
        if total > MAX_TOTAL {
            return Err(ZipProblem::Hostile(
                "expands to more than 64 GiB; refusing to extract".into(),
            ));
        }
    }
    Ok(dir)
}

/// The folder inside an extracted archive that holds the case or bundle:
/// the top level itself, or its only sub-folder.
pub fn evidence_root(top: &Path) -> PathBuf {
    let is_evidence = |p: &Path| p.join("case.toml").exists() || p.join("bagit.txt").exists();
    if is_evidence(top) {
        return top.to_path_buf();
    }
    let entries: Vec<PathBuf> = std::fs::read_dir(top)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    let dirs: Vec<&PathBuf> = entries.iter().filter(|p| p.is_dir()).collect();
    if dirs.len() == 1 && is_evidence(dirs[0]) {
        return dirs[0].clone();
    }
    top.to_path_buf()
}

/// Entries of the extracted archive outside `root` (relative names).
pub fn outside(top: &Path, root: &Path) -> Vec<String> {
    if top == root {
        return Vec::new();
    }
    let mut out: Vec<String> = std::fs::read_dir(top)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p != root)
                .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}
