//! Durable file writing: temporary name, fsync, rename; never overwrite.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Creates `path` (which must not exist), writes `bytes`, and fsyncs it.
pub(crate) fn write_new_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Creates `path` (which must not exist) and writes `bytes`, without fsync;
/// the caller makes it durable (see [`sync_group`]).
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(bytes)
}

fn sync_tree_each(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let ft = entry.file_type()?;
        if ft.is_dir() {
            sync_tree_each(&entry.path())?;
        } else if ft.is_file() {
            File::open(entry.path())?.sync_all()?;
        }
    }
    sync_dir(dir)
}

/// Creates a new file for writing; fails if it already exists.
pub fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Fsyncs a directory so that entries created or renamed in it are durable.
pub(crate) fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

/// Sets a file's mode to 0600 (owner read/write only) on Unix.
pub(crate) fn restrict_to_owner(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Renames `from` to `to`, failing with `AlreadyExists` if `to` exists (even
/// as an empty folder, which a plain rename would silently replace).
pub fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        use rustix::io::Errno;
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(()),
            // Filesystems without RENAME_NOREPLACE support: fall back below.
            Err(Errno::INVAL | Errno::NOSYS) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if to.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists", to.display()),
        ));
    }
    fs::rename(from, to)
}

/// Says what an I/O error means for the officer. A full disk or an exhausted
/// quota is named as such (the OS wording alone, "No space left on device",
/// does not say which disk or what to do); other errors keep the OS wording.
pub(crate) fn describe_io_error(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::StorageFull => format!(
            "the disk holding the case is full ({e}); free space on it, then run the command again"
        ),
        io::ErrorKind::QuotaExceeded => format!(
            "the disk quota for the case folder is used up ({e}); free space or raise the quota, then run the command again"
        ),
        _ => e.to_string(),
    }
}

/// Makes everything written under the folders in `dirs`, and their entries
/// in `parent`, durable with one barrier where the system allows it: on
/// Linux one `syncfs` of the filesystem holding `parent` (one journal commit
/// for a whole group of bundles); elsewhere each file and folder is fsynced,
/// then `parent`.
pub(crate) fn sync_group(parent: &Path, dirs: &[&Path]) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    if rustix::fs::syncfs(File::open(parent)?).is_ok() {
        return Ok(());
    }
    for d in dirs {
        sync_tree_each(d)?;
    }
    sync_dir(parent)
}

/// An advisory lock on a folder (`flock` on the open folder), held until
/// dropped. Used to tell a capture that is still running from one that was
/// interrupted: a running capture holds a shared lock on `evidence/`, and
/// recovery needs the exclusive one.
#[derive(Debug)]
pub(crate) struct DirLock {
    /// Never read: the lock lasts as long as this file is open.
    _file: File,
}

impl DirLock {
    /// Takes the exclusive lock if nobody holds any lock on `dir`; `Ok(None)`
    /// if another process holds one.
    pub(crate) fn try_exclusive(dir: &Path) -> io::Result<Option<DirLock>> {
        let file = File::open(dir)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(DirLock { _file: file })),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(e),
        }
    }

    /// Waits for a shared lock on `dir`.
    pub(crate) fn shared(dir: &Path) -> io::Result<DirLock> {
        let file = File::open(dir)?;
        file.lock_shared()?;
        Ok(DirLock { _file: file })
    }

    /// Turns an exclusive lock into a shared one.
    #[cfg(test)]
    pub(crate) fn downgrade(self) -> io::Result<DirLock> {
        self._file.lock_shared()?;
        Ok(self)
    }
}

/// Opens `path` for reading only if it is a regular file, without following
/// a symbolic link and without blocking on a FIFO or device: the file is
/// opened with `O_NOFOLLOW | O_NONBLOCK` and its type is checked on the
/// opened descriptor (so it cannot change between the check and the read).
/// A link, FIFO, socket or device gives an `InvalidInput` error saying what
/// it is.
pub(crate) fn open_regular_nofollow(path: &Path) -> io::Result<File> {
    open_regular_file(path, true)
}

/// Like [`open_regular_nofollow`] but following symbolic links: for files
/// the user names (a key, a `--tsa-ca` file, a `.zip` to verify), which may
/// well be links, but must still not be a FIFO or a device.
pub(crate) fn open_regular(path: &Path) -> io::Result<File> {
    open_regular_file(path, false)
}

fn open_regular_file(path: &Path, nofollow: bool) -> io::Result<File> {
    #[cfg(unix)]
    {
        use rustix::fs::{FileType, Mode, OFlags};
        let mut flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
        if nofollow {
            flags |= OFlags::NOFOLLOW;
        }
        let fd = match rustix::fs::open(path, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::LOOP) => return Err(not_regular("a symbolic link")),
            Err(e) => return Err(e.into()),
        };
        let kind = FileType::from_raw_mode(rustix::fs::fstat(&fd)?.st_mode);
        if kind != FileType::RegularFile {
            return Err(not_regular(match kind {
                FileType::Fifo => "a FIFO (named pipe)",
                FileType::Socket => "a socket",
                FileType::CharacterDevice | FileType::BlockDevice => "a device",
                FileType::Directory => "a folder",
                FileType::Symlink => "a symbolic link",
                _ => "a special file",
            }));
        }
        Ok(File::from(fd))
    }
    #[cfg(not(unix))]
    {
        let md = if nofollow {
            fs::symlink_metadata(path)?
        } else {
            fs::metadata(path)?
        };
        if !md.file_type().is_file() {
            return Err(not_regular("a link or special file"));
        }
        File::open(path)
    }
}

fn not_regular(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("not a regular file ({what}); refusing to read it"),
    )
}

/// Reads a whole regular file (see [`open_regular_nofollow`]) of at most
/// `max` bytes; a larger file gives an `InvalidData` error instead of being
/// read into memory.
pub(crate) fn read_capped(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    read_capped_from(open_regular_nofollow(path)?, max)
}

/// Like [`read_capped`] but following symbolic links (see [`open_regular`]).
pub(crate) fn read_capped_following(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    read_capped_from(open_regular(path)?, max)
}

fn read_capped_from(file: File, max: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    // Room for the whole file as its size says (never more than `max`), so
    // that a small file is read in one call instead of a run of growing
    // probes; the size is only a hint, `take` is the bound.
    let hint = file.metadata().map_or(0, |m| m.len()).min(max);
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0).saturating_add(1));
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {max} bytes, more than warden ever writes there; not read"),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_named_as_such() {
        let e = io::Error::from(rustix::io::Errno::NOSPC);
        let msg = describe_io_error(&e);
        assert!(
            msg.starts_with("the disk holding the case is full"),
            "{msg}"
        );
        assert!(msg.contains("No space left on device"), "{msg}");
        let quota = describe_io_error(&io::Error::from(rustix::io::Errno::DQUOT));
        assert!(quota.contains("disk quota"), "{quota}");
        let other = describe_io_error(&io::Error::from(rustix::io::Errno::ACCESS));
        assert_eq!(
            other,
            io::Error::from(rustix::io::Errno::ACCESS).to_string()
        );
    }

    #[test]
    fn a_shared_lock_keeps_recovery_out() {
        let dir = tempfile::tempdir().unwrap();
        let held = DirLock::shared(dir.path()).unwrap();
        assert!(DirLock::try_exclusive(dir.path()).unwrap().is_none());
        drop(held);
        let ex = DirLock::try_exclusive(dir.path()).unwrap().expect("free");
        let shared = ex.downgrade().unwrap();
        // Another shared holder may join; an exclusive one may not.
        let _other = DirLock::shared(dir.path()).unwrap();
        assert!(DirLock::try_exclusive(dir.path()).unwrap().is_none());
        drop(shared);
    }
}
