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
    // The zip crate keys entries by name, so exact duplicates collapse
    // silently; compare with the count the archive itself declares.
    if let Some(declared) = declared_entries(zip_path).map_err(ZipProblem::Io)?
        && declared != archive.len() as u64
    {
        let dups = duplicate_names(zip_path).unwrap_or_default();
        return Err(ZipProblem::Hostile(format!(
            "the archive declares {declared} entries but holds only {} distinct names: {} more than once, and tools disagree on which copy counts, so this archive cannot be verified",
            archive.len(),
            if dups.is_empty() {
                "some entry names appear".to_string()
            } else {
                format!("{} appear(s)", dups.join(", "))
            }
        )));
    }
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

/// The total number of entries the archive's end-of-central-directory
/// record declares (zip64 aware), if the record can be found.
fn declared_entries(path: &Path) -> std::io::Result<Option<u64>> {
    use std::io::{Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    let len = f.seek(SeekFrom::End(0))?;
    let tail_len = len.min(22 + 65535 + 20);
    f.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = vec![0u8; tail_len as usize];
    f.read_exact(&mut tail)?;
    let Some(eocd) = tail.windows(4).rposition(|w| w == b"PK\x05\x06") else {
        return Ok(None);
    };
    let Some(total) = tail.get(eocd + 10..eocd + 12) else {
        return Ok(None);
    };
    let total = u16::from_le_bytes([total[0], total[1]]) as u64;
    if total != 0xFFFF {
        return Ok(Some(total));
    }
    // zip64: the locator sits just before the EOCD record.
    let Some(loc) = eocd.checked_sub(20) else {
        return Ok(None);
    };
    if tail.get(loc..loc + 4) != Some(b"PK\x06\x07") {
        return Ok(None);
    }
    let off = u64::from_le_bytes(tail[loc + 8..loc + 16].try_into().expect("8 bytes"));
    f.seek(SeekFrom::Start(off))?;
    let mut rec = [0u8; 56];
    f.read_exact(&mut rec)?;
    if &rec[..4] != b"PK\x06\x06" {
        return Ok(None);
    }
    Ok(Some(u64::from_le_bytes(
        rec[32..40].try_into().expect("8 bytes"),
    )))
}

/// Names listed more than once in the central directory (classic zip only).
fn duplicate_names(path: &Path) -> std::io::Result<Vec<String>> {
    let bytes = std::fs::read(path)?;
    let Some(eocd) = bytes.windows(4).rposition(|w| w == b"PK\x05\x06") else {
        return Ok(Vec::new());
    };
    let u16_at = |i: usize| {
        bytes
            .get(i..i + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
    };
    let u32_at = |i: usize| {
        bytes
            .get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let (Some(count), Some(mut at)) = (u16_at(eocd + 10), u32_at(eocd + 16)) else {
        return Ok(Vec::new());
    };
    let mut seen = HashSet::new();
    let mut dups = Vec::new();
    for _ in 0..count {
        if bytes.get(at..at + 4) != Some(b"PK\x01\x02") {
            break;
        }
        let (Some(n), Some(x), Some(c)) = (u16_at(at + 28), u16_at(at + 30), u16_at(at + 32))
        else {
            break;
        };
        let Some(name) = bytes.get(at + 46..at + 46 + n) else {
            break;
        };
        let name = String::from_utf8_lossy(name).into_owned();
        if !seen.insert(name.clone()) && !dups.contains(&name) {
            dups.push(name);
        }
        at += 46 + n + x + c;
    }
    Ok(dups)
}
