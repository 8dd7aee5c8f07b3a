//! Verifying a `.zip` of a bundle or case: extract safely, then verify.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Most bytes we will extract from one archive, whatever its size.
const MAX_TOTAL: u64 = 64 * 1024 * 1024 * 1024;
/// Most entries we will extract from one archive.
const MAX_ENTRIES: usize = 250_000;
/// Most an archive (and any entry above [`RATIO_FLOOR`]) may expand
/// relative to its compressed size. Evidence compresses far less (WARC
/// files are already gzipped; pages and JSON about 3 to 20 times); deflate
/// can reach about 1000.
const MAX_RATIO: u64 = 100;
/// Entries up to this size, and archives expanding to at most
/// [`TOTAL_FLOOR`], are not held to [`MAX_RATIO`] (small files of repeated
/// bytes compress very well).
const RATIO_FLOOR: u64 = 1 << 20;
const TOTAL_FLOOR: u64 = 256 << 20;

/// Why an archive could not be extracted.
#[derive(Debug)]
pub(crate) enum ZipProblem {
    /// Not a zip archive at all (bad input).
    NotAZip(String),
    /// A zip archive that is unsafe or ambiguous as evidence.
    Hostile(String),
    Io(std::io::Error),
}

/// Where one entry's local header and data lie in the archive file.
struct Span {
    name: String,
    start: u64,
    end: u64,
    /// The entry's sizes follow its data in a data descriptor.
    descriptor: bool,
}

/// Extracts `zip` into a new temporary folder. Entry names that would escape
/// the folder, symlinks, duplicate names (which different tools resolve
/// differently), bytes outside the listed entries (hidden entries that
/// streaming unzip tools would show) and archives over the size, ratio or
/// entry-count limits are refused before anything is written; while
/// writing, no entry may expand beyond the size it declares.
pub(crate) fn extract(zip_path: &Path) -> Result<tempfile::TempDir, ZipProblem> {
    let file = crate::fsutil::open_regular(zip_path).map_err(ZipProblem::Io)?;
    let zip_len = file.metadata().map_err(ZipProblem::Io)?.len();
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
    let declared_total = check_sizes(&mut archive, zip_len)?;
    check_layout(&mut archive, zip_path)?;
    let dir = tempfile::Builder::new()
        .prefix("warden-verify-")
        .tempdir()
        .map_err(ZipProblem::Io)?;
    let mut names = HashSet::new();
    let mut total = 0u64;
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
        let mut f = crate::fsutil::create_new(&out).map_err(ZipProblem::Io)?;
        // Never more than the entry declares (checked against the limits
        // above), whatever its compressed data really expands to.
        let declared = entry.size();
        let n = std::io::copy(&mut (&mut entry).take(declared + 1), &mut f).map_err(|e| {
            ZipProblem::Hostile(format!("entry {name:?} cannot be extracted ({e})"))
        })?;
        if n > declared {
            return Err(ZipProblem::Hostile(format!(
                "entry {name:?} expands beyond the {declared} bytes its header declares; refusing to extract"
            )));
        }
        total += n;
        debug_assert!(total <= declared_total);
    }
    Ok(dir)
}

/// Refuses entries and archives that expand too much (by their declared
/// sizes, which extraction then enforces); returns the declared total.
fn check_sizes(
    archive: &mut zip::ZipArchive<std::fs::File>,
    zip_len: u64,
) -> Result<u64, ZipProblem> {
    let mut total = 0u64;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| ZipProblem::Hostile(format!("entry {i} cannot be read ({e})")))?;
        let (size, packed) = (entry.size(), entry.compressed_size());
        if size > RATIO_FLOOR && size > packed.saturating_mul(MAX_RATIO) {
            return Err(ZipProblem::Hostile(format!(
                "entry {:?} would expand from {packed} to {size} bytes, more than {MAX_RATIO} times; refusing to extract (a small archive must not be able to fill the disk)",
                entry.name()
            )));
        }
        total = total.saturating_add(size);
    }
    let limit = MAX_TOTAL.min(TOTAL_FLOOR.max(zip_len.saturating_mul(MAX_RATIO)));
    if total > limit {
        return Err(ZipProblem::Hostile(format!(
            "would expand from {zip_len} to {total} bytes, more than the {limit} bytes warden extracts from an archive of this size; refusing to extract"
        )));
    }
    Ok(total)
}

/// Refuses bytes before, between or overlapping the entries the central
/// directory lists: a local entry hidden there is shown by streaming unzip
/// tools but not by others, so the archive says two different things.
fn check_layout(
    archive: &mut zip::ZipArchive<std::fs::File>,
    zip_path: &Path,
) -> Result<(), ZipProblem> {
    use std::io::{Seek, SeekFrom};
    let mut raw = crate::fsutil::open_regular(zip_path).map_err(ZipProblem::Io)?;
    let mut at = |pos: u64, len: usize| -> std::io::Result<Vec<u8>> {
        raw.seek(SeekFrom::Start(pos))?;
        let mut buf = Vec::with_capacity(len);
        (&mut raw).take(len as u64).read_to_end(&mut buf)?;
        Ok(buf)
    };
    let mut spans = Vec::with_capacity(archive.len());
    let mut directory = u64::MAX;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| ZipProblem::Hostile(format!("entry {i} cannot be read ({e})")))?;
        // The local header must name the same file as the central
        // directory: streaming tools read local headers, others the
        // directory, and both must see the same archive.
        let local = at(entry.header_start(), 30).map_err(ZipProblem::Io)?;
        if local.len() < 30 || local[..4] != *b"PK\x03\x04" {
            return Err(ZipProblem::Hostile(format!(
                "entry {:?} has no local header where the central directory says; refusing to extract",
                entry.name()
            )));
        }
        let name_len = u16::from_le_bytes([local[26], local[27]]) as usize;
        let local_name = at(entry.header_start() + 30, name_len).map_err(ZipProblem::Io)?;
        if local_name != entry.name_raw() {
            return Err(ZipProblem::Hostile(format!(
                "entry {:?} is named {:?} in its local header: tools that read local headers (streaming unzip) would extract another file than tools that read the central directory; refusing to extract",
                entry.name(),
                String::from_utf8_lossy(&local_name)
            )));
        }
        // ... and agree with it on the compression method and, when the
        // sizes are in the local header (no data descriptor, no zip64), on
        // the CRC and the compressed size.
        let central = at(entry.central_header_start(), 24).map_err(ZipProblem::Io)?;
        let descriptor = local[6] & 0x08 != 0;
        let zip64 = local[18..22] == [0xff; 4];
        let disagrees = central.len() < 24
            || local[8..10] != central[10..12]
            || (!descriptor && !zip64 && local[14..22] != central[16..24]);
        if disagrees {
            return Err(ZipProblem::Hostile(format!(
                "entry {:?}: its local header and the central directory disagree on how it is stored (method, CRC or size), so tools would extract different bytes; refusing to extract",
                entry.name()
            )));
        }
        let flags = local[6..8].to_vec();
        spans.push(Span {
            name: entry.name().to_string(),
            start: entry.header_start(),
            end: entry.data_start().saturating_add(entry.compressed_size()),
            descriptor: flags.len() == 2 && flags[0] & 0x08 != 0,
        });
        directory = directory.min(entry.central_header_start());
    }
    if spans.is_empty() {
        return Ok(());
    }
    spans.sort_by_key(|s| s.start);
    let mut pos = 0u64;
    let mut prev: Option<&Span> = None;
    for span in spans.iter().chain(std::iter::once(&Span {
        name: String::new(),
        start: directory,
        end: directory,
        descriptor: false,
    })) {
        if span.start < pos {
            return Err(ZipProblem::Hostile(format!(
                "entry {:?} overlaps the entry before it; refusing to extract",
                span.name
            )));
        }
        let gap = span.start - pos;
        // A data descriptor (12 or 20 bytes, optionally signed) may follow
        // an entry whose header says so.
        let descriptor_ok = prev.is_some_and(|p| p.descriptor) && matches!(gap, 12 | 16 | 20 | 24);
        if gap > 0 && !descriptor_ok {
            let head = at(pos, 4).map_err(ZipProblem::Io)?;
            let what = if head == b"PK\x03\x04" {
                "a local file entry that the archive's central directory does not list (a hidden entry that streaming unzip tools would show)"
            } else {
                "data that belongs to no listed entry"
            };
            let place = match prev {
                None => "before the first entry".to_string(),
                Some(p) => format!("after entry {:?}", p.name),
            };
            return Err(ZipProblem::Hostile(format!(
                "the archive holds {gap} bytes at offset {pos} ({place}): {what}; refusing to verify an archive that reads differently in different tools"
            )));
        }
        pos = span.end;
        prev = Some(span);
    }
    Ok(())
}

/// The folder inside an extracted archive that holds the case or bundle:
/// the top level itself, or its only sub-folder.
pub(crate) fn evidence_root(top: &Path) -> PathBuf {
    let is_evidence = |p: &Path| p.join("case.toml").exists() || p.join("bagit.txt").exists();
    if is_evidence(top) {
        return top.to_path_buf();
    }
    let entries: Vec<PathBuf> = std::fs::read_dir(top)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    // macOS Finder adds `__MACOSX/` (resource forks) beside the folder it
    // zips: it is not the evidence, and is reported as an extra entry.
    let dirs: Vec<&PathBuf> = entries
        .iter()
        .filter(|p| p.is_dir() && p.file_name().is_none_or(|n| n != "__MACOSX"))
        .collect();
    if dirs.len() == 1 && is_evidence(dirs[0]) {
        return dirs[0].clone();
    }
    top.to_path_buf()
}

/// Entries of the extracted archive outside `root` (relative names).
pub(super) fn outside(top: &Path, root: &Path) -> Vec<String> {
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
    let mut f = crate::fsutil::open_regular(path)?;
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
    // Only for the message: names are not worth reading a huge archive whole.
    let Ok(bytes) = crate::fsutil::read_capped(path, 256 << 20) else {
        return Ok(Vec::new());
    };
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
