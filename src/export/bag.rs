//! `warden export bag`: the whole case folder as one zip for hand-over
//! (disclosure, a transfer to another unit, an archive), made only from a
//! case that verifies, and laid out so that `warden verify FILE.zip` checks
//! it exactly as it checks the folder. What it holds is specified in
//! `docs/export.md`:
//!
//! - one top folder named after the case id (characters other than ASCII
//!   letters, digits, `.`, `_` and `-` replaced by `_`), holding
//!   `case.toml`, `custody.jsonl`, `evidence/`, and `checkpoints/` and
//!   `interrupted/` when the case has them, every file byte for byte;
//! - every entry stored (no compression: WARC files are already gzipped,
//!   and `warden verify` refuses entries that expand more than 100 times),
//!   in byte order of name, with modes 0644 (files) and 0755 (folders) and
//!   the time 1980-01-01 00:00:00, so the same case always gives the same
//!   zip, byte for byte;
//! - no symbolic link, device or FIFO: a case holding one is refused.
//!
//! Every file is hashed before verification and again as it is written
//! into the zip; a file that changed in between stops the export.

use super::{Anchors, ExportError, OutFile, io_err};
use crate::case::ROOT_ENTRIES;
use crate::hash::HashingWriter;
use serde::Serialize;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Most entries `warden verify` extracts from one archive (it refuses more;
/// see `verify::zipped`), so a bag never holds more.
const MAX_ENTRIES: usize = 250_000;
/// Most bytes `warden verify` extracts from one archive.
const MAX_TOTAL: u64 = 64 << 30;
/// Longest top-folder name, in bytes.
const MAX_TOP: usize = 100;

/// What to hand over.
#[derive(Debug, Clone, Default)]
pub struct BagOptions {
    /// The case folder.
    pub case: PathBuf,
    /// The `.zip` file to create; it must not exist.
    pub out: PathBuf,
    /// Anchors for the verification that comes first.
    pub anchors: Anchors,
}

/// What was written.
#[derive(Debug, Clone, Serialize)]
pub struct BagSummary {
    /// The `.zip` file.
    pub path: PathBuf,
    /// Its SHA-256 (lowercase hex) and size.
    pub sha256: String,
    pub bytes: u64,
    /// The folder at the top of the zip.
    pub top: String,
    /// Files and folders of the case in the zip.
    pub files: usize,
    pub folders: usize,
    /// Evidence bundles (folders of `evidence/`).
    pub bundles: usize,
}

/// One file or folder of the case, relative to its root with `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    rel: String,
    /// SHA-256 and size of a file; `None` for a folder.
    file: Option<(String, u64)>,
}

/// Verifies the case and, if it verifies, writes it as one zip.
pub fn write(opts: &BagOptions) -> Result<BagSummary, ExportError> {
    let case = super::open_case(&opts.case)?;
    let out = OutFile::check(
        &opts.out,
        ".zip",
        "it is a zip archive that `warden verify` and any unzip tool read",
        &case.root,
    )?;
    let before = snapshot(&case.root)?;
    super::verify_or_refuse(&case.root, &opts.anchors)?;
    let top = top_folder(&case.config.case.id);

    let (tmp, file) = out.temp()?;
    let write_err = |e: io::Error| io_err(&tmp.path)(e);
    let mut zip = zip::ZipWriter::new(file);
    zip.add_directory(format!("{top}/"), entry_options(true, 0))
        .map_err(io::Error::from)
        .map_err(write_err)?;
    for item in &before {
        let name = format!("{top}/{}", item.rel);
        let Some((sha256, size)) = &item.file else {
            zip.add_directory(format!("{name}/"), entry_options(true, 0))
                .map_err(io::Error::from)
                .map_err(write_err)?;
            continue;
        };
        let path = case.root.join(&item.rel);
        let changed = |detail: String| ExportError::Changed {
            path: path.clone(),
            detail,
        };
        let mut src = crate::fsutil::open_regular_nofollow(&path)
            .map_err(|e| changed(crate::fsutil::describe_io_error(&e)))?;
        zip.start_file(name.as_str(), entry_options(false, *size))
            .map_err(io::Error::from)
            .map_err(write_err)?;
        let mut w = HashingWriter::new(&mut zip);
        copy(&mut src, &mut w, &path, &tmp.path)?;
        let (_, got, bytes) = w.finish();
        if got != *sha256 || bytes != *size {
            return Err(changed(
                "its SHA-256 is not the one it had when the case was verified".into(),
            ));
        }
    }
    let file = zip
        .finish()
        .map_err(io::Error::from)
        .map_err(io_err(&tmp.path))?;
    // Nothing was added or removed while the case was verified and zipped.
    if snapshot_names(&case.root)? != before.iter().map(|i| i.rel.clone()).collect::<Vec<_>>() {
        return Err(ExportError::Changed {
            path: case.root.clone(),
            detail: "files were added or removed while it was exported".into(),
        });
    }
    let (sha256, bytes) = out.publish(tmp, file)?;
    let bundles = before
        .iter()
        .filter(|i| {
            i.file.is_none()
                && i.rel
                    .strip_prefix("evidence/")
                    .is_some_and(|r| !r.contains('/'))
        })
        .count();
    Ok(BagSummary {
        path: opts.out.clone(),
        sha256,
        bytes,
        top,
        files: before.iter().filter(|i| i.file.is_some()).count(),
        folders: before.iter().filter(|i| i.file.is_none()).count(),
        bundles,
    })
}

/// The top folder's name: the case id with anything but ASCII letters,
/// digits, `.`, `_` and `-` replaced by `_`, no leading dot, at most
/// [`MAX_TOP`] bytes; `case` if nothing is left.
pub(crate) fn top_folder(case_id: &str) -> String {
    let mut s: String = case_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_TOP)
        .collect();
    while s.starts_with('.') {
        s.replace_range(..1, "_");
    }
    if s.chars().all(|c| c == '_') {
        return "case".into();
    }
    s
}

/// Zip entry options: stored, fixed time (1980-01-01 00:00:00, the
/// earliest a zip records), 0755 for folders and 0644 for files, ZIP64
/// for a file of 4 GiB or more.
fn entry_options(folder: bool, size: u64) -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(if folder { 0o755 } else { 0o644 })
        .large_file(size >= u64::from(u32::MAX))
}

/// Copies `src` (at `path`) into the zip, telling read errors (the case)
/// from write errors (the export at `tmp`).
fn copy(
    src: &mut std::fs::File,
    dst: &mut impl Write,
    path: &Path,
    tmp: &Path,
) -> Result<(), ExportError> {
    let mut buf = vec![0u8; 256 << 10];
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(ExportError::Unreadable {
                    path: path.to_path_buf(),
                    detail: crate::fsutil::describe_io_error(&e),
                });
            }
        };
        dst.write_all(&buf[..n]).map_err(io_err(tmp))?;
    }
}

/// Every file and folder of the case that belongs in the zip, sorted by
/// name, each file hashed. Refuses what no case holds (a link, a device,
/// a name that is not plain UTF-8) and what `warden verify` would not
/// extract (too many entries or bytes).
fn snapshot(root: &Path) -> Result<Vec<Item>, ExportError> {
    let mut items = Vec::new();
    let mut total = 0u64;
    walk(root, root, &mut |path, rel, md| {
        if items.len() + 1 >= MAX_ENTRIES {
            return Err(ExportError::BagTooLarge {
                path: root.to_path_buf(),
                detail: format!("more than {MAX_ENTRIES} files and folders"),
            });
        }
        let file = if md.is_dir() {
            None
        } else {
            let (sha256, size) =
                crate::hash::sha256_file(path).map_err(|e| ExportError::Unreadable {
                    path: path.to_path_buf(),
                    detail: crate::fsutil::describe_io_error(&e),
                })?;
            total = total.saturating_add(size);
            if total > MAX_TOTAL {
                return Err(ExportError::BagTooLarge {
                    path: root.to_path_buf(),
                    detail: format!("more than {} GiB", MAX_TOTAL >> 30),
                });
            }
            Some((sha256, size))
        };
        items.push(Item {
            rel: rel.to_string(),
            file,
        });
        Ok(())
    })?;
    items.sort_by(|a, b| a.rel.as_bytes().cmp(b.rel.as_bytes()));
    Ok(items)
}

/// The names [`snapshot`] would list, without hashing.
fn snapshot_names(root: &Path) -> Result<Vec<String>, ExportError> {
    let mut names = Vec::new();
    walk(root, root, &mut |_, rel, _| {
        names.push(rel.to_string());
        Ok(())
    })?;
    names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    Ok(names)
}

/// Calls `f` for every file and folder below `dir` (at the case root only
/// the entries a case holds), without following links.
fn walk(
    root: &Path,
    dir: &Path,
    f: &mut dyn FnMut(&Path, &str, &std::fs::Metadata) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let entries = std::fs::read_dir(dir).map_err(io_err(dir))?;
    for entry in entries {
        let entry = entry.map_err(io_err(dir))?;
        let path = entry.path();
        let name = entry.file_name();
        let refuse = |detail: &str| ExportError::NotExportable {
            path: path.clone(),
            detail: detail.to_string(),
        };
        let Some(name) = name.to_str() else {
            return Err(refuse("its name is not UTF-8 text"));
        };
        if dir == root && !ROOT_ENTRIES.contains(&name) {
            // Verification reports anything else at the root; only what a
            // case holds goes into the zip.
            continue;
        }
        if name.chars().any(|c| c.is_control() || c == '\\') {
            return Err(refuse(
                "its name holds a control character or a backslash, which zip tools read differently",
            ));
        }
        let md = std::fs::symlink_metadata(&path).map_err(io_err(&path))?;
        if !md.is_dir() && !md.is_file() {
            return Err(refuse(if md.file_type().is_symlink() {
                "it is a symbolic link"
            } else {
                "it is not a regular file or folder"
            }));
        }
        let rel = path
            .strip_prefix(root)
            .map_err(|_| refuse("it is outside the case"))?
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        f(&path, &rel, &md)?;
        if md.is_dir() {
            walk(root, &path, f)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_folder_names() {
        assert_eq!(top_folder("WLC-2026-0042"), "WLC-2026-0042");
        assert_eq!(top_folder("2024/017 ivory"), "2024_017_ivory");
        assert_eq!(top_folder("../.."), "_._..");
        assert_eq!(top_folder(".hidden"), "_hidden");
        assert_eq!(top_folder("象牙"), "case");
        assert_eq!(top_folder(""), "case");
        assert_eq!(top_folder(&"x".repeat(500)).len(), MAX_TOP);
    }
}
