//! Durable file writing: temporary name, fsync, rename; never overwrite.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Creates `path` (which must not exist), writes `bytes`, and fsyncs it.
pub fn write_new_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Creates `path` (which must not exist) and writes `bytes`, without fsync;
/// the caller makes it durable (see [`sync_group`]).
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
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
pub fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

/// Replaces `path` atomically with `bytes`: writes `path.tmp-<pid>`, fsyncs,
/// renames over `path` and fsyncs the parent directory. Used only for files
/// that are meant to change (e.g. `case.toml`), never for evidence.
pub fn replace_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    write_new_synced(&tmp, bytes)?;
    fs::rename(&tmp, path)?;
    sync_dir(parent)
}

/// Sets a file's mode to 0600 (owner read/write only) on Unix.
pub fn restrict_to_owner(path: &Path) -> io::Result<()> {
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
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let a = CString::new(from.as_os_str().as_bytes())?;
        let b = CString::new(to.as_os_str().as_bytes())?;
        // SAFETY: both pointers are valid NUL-terminated strings for the
        // duration of the call; AT_FDCWD makes them relative to the cwd.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                a.as_ptr(),
                libc::AT_FDCWD,
                b.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        // Filesystems without RENAME_NOREPLACE support: fall back below.
        if err.raw_os_error() != Some(libc::EINVAL) && err.raw_os_error() != Some(libc::ENOSYS) {
            return Err(err);
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
pub fn describe_io_error(e: &io::Error) -> String {
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
pub fn sync_group(parent: &Path, dirs: &[&Path]) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let f = File::open(parent)?;
        // SAFETY: `f` is an open file descriptor for the duration of the call.
        if unsafe { libc::syncfs(f.as_raw_fd()) } == 0 {
            return Ok(());
        }
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
pub struct DirLock {
    file: File,
}

impl DirLock {
    /// Takes the exclusive lock if nobody holds any lock on `dir`; `Ok(None)`
    /// if another process holds one.
    pub fn try_exclusive(dir: &Path) -> io::Result<Option<DirLock>> {
        let file = File::open(dir)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(DirLock { file })),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(e),
        }
    }

    /// Waits for a shared lock on `dir`.
    pub fn shared(dir: &Path) -> io::Result<DirLock> {
        let file = File::open(dir)?;
        file.lock_shared()?;
        Ok(DirLock { file })
    }

    /// Turns an exclusive lock into a shared one.
    pub fn downgrade(self) -> io::Result<DirLock> {
        self.file.lock_shared()?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_named_as_such() {
        let e = io::Error::from_raw_os_error(libc::ENOSPC);
        let msg = describe_io_error(&e);
        assert!(
            msg.starts_with("the disk holding the case is full"),
            "{msg}"
        );
        assert!(msg.contains("No space left on device"), "{msg}");
        let quota = describe_io_error(&io::Error::from_raw_os_error(libc::EDQUOT));
        assert!(quota.contains("disk quota"), "{quota}");
        let other = describe_io_error(&io::Error::from_raw_os_error(libc::EACCES));
        assert_eq!(
            other,
            io::Error::from_raw_os_error(libc::EACCES).to_string()
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
