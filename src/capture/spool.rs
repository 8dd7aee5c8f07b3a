//! Scratch storage for one hop's raw response and body while a page is
//! fetched: in memory up to a limit, then a file in the bundle's scratch
//! folder (`.partial-<id>/.work/`, removed before sealing).
//!
//! Most pages are small; keeping them in memory spares creating, reading
//! back and deleting two scratch files per hop. Large responses still go to
//! disk, so memory stays bounded whatever the server sends and however many
//! fetched pages wait to be written: at most [`MEMORY_LIMIT`] per spool and
//! [`MEMORY_BUDGET`] for all spools of the process together.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes a spool keeps in memory before moving to its file.
pub(super) const MEMORY_LIMIT: usize = 512 * 1024;

/// Bytes all spools together keep in memory; past it, spools move to files.
pub(super) const MEMORY_BUDGET: usize = 16 << 20;

/// A limit on the bytes a set of spools keeps in memory together.
#[derive(Debug)]
struct Budget {
    limit: usize,
    held: AtomicUsize,
}

impl Budget {
    const fn new(limit: usize) -> Budget {
        Budget {
            limit,
            held: AtomicUsize::new(0),
        }
    }

    /// Takes `n` bytes if that many are left.
    fn reserve(&self, n: usize) -> bool {
        self.held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                held.checked_add(n).filter(|&t| t <= self.limit)
            })
            .is_ok()
    }

    fn release(&self, n: usize) {
        self.held.fetch_sub(n, Ordering::AcqRel);
    }
}

/// The process's spools share this one.
static SHARED: Budget = Budget::new(MEMORY_BUDGET);

/// Bytes written so far, in memory or in a file.
#[derive(Debug)]
pub(crate) struct Spool {
    path: PathBuf,
    mem: Vec<u8>,
    file: Option<BufWriter<File>>,
    budget: &'static Budget,
}

impl Spool {
    /// An empty spool that moves to a new file at `path` (its folder is
    /// created then) once it holds more than [`MEMORY_LIMIT`] bytes.
    pub(crate) fn new(path: PathBuf) -> Spool {
        Spool::with_budget(path, &SHARED)
    }

    fn with_budget(path: PathBuf, budget: &'static Budget) -> Spool {
        Spool {
            path,
            mem: Vec::new(),
            file: None,
            budget,
        }
    }

    /// The file the bytes went to, if they left memory.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes the file, if any, so that [`Spool::reader`] sees every byte.
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }

    /// Reads the bytes back from the start (call [`Spool::finish`] first).
    pub(crate) fn reader(&self) -> io::Result<Box<dyn Read + '_>> {
        match &self.file {
            None => Ok(Box::new(&self.mem[..])),
            Some(_) => Ok(Box::new(io::BufReader::with_capacity(
                256 * 1024,
                File::open(&self.path)?,
            ))),
        }
    }

    /// The first `n` bytes (fewer if the spool is shorter or unreadable).
    pub(crate) fn prefix(&self, n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        if let Ok(r) = self.reader() {
            let _ = r.take(n as u64).read_to_end(&mut out);
        }
        out
    }

    fn spill(&mut self) -> io::Result<&mut BufWriter<File>> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let f = crate::fsutil::create_new(&self.path)?;
        let mut w = BufWriter::with_capacity(256 * 1024, f);
        w.write_all(&self.mem)?;
        self.budget.release(self.mem.len());
        self.mem = Vec::new();
        Ok(self.file.insert(w))
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        self.budget.release(self.mem.len());
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write_all(buf)?,
            None if self.mem.len() + buf.len() <= MEMORY_LIMIT
                && self.budget.reserve(buf.len()) =>
            {
                self.mem.extend_from_slice(buf)
            }
            None => self.spill()?.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_stays_in_memory_and_large_moves_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("work").join("hop-1.body");
        let mut s = Spool::new(path.clone());
        s.write_all(b"abc").unwrap();
        s.finish().unwrap();
        assert!(!path.exists());
        assert_eq!(s.prefix(10), b"abc");

        let big: Vec<u8> = (0..MEMORY_LIMIT + 10).map(|i| (i % 251) as u8).collect();
        s.write_all(&big).unwrap();
        s.finish().unwrap();
        assert!(path.exists());
        let mut back = Vec::new();
        s.reader().unwrap().read_to_end(&mut back).unwrap();
        assert_eq!(&back[..3], b"abc");
        assert_eq!(&back[3..], &big[..]);
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            big.len() as u64 + 3
        );
    }

    #[test]
    fn spools_past_the_shared_budget_move_to_files_and_dropping_gives_it_back() {
        static BUDGET: Budget = Budget::new(2 * MEMORY_LIMIT);
        let dir = tempfile::tempdir().unwrap();
        let full = vec![7u8; MEMORY_LIMIT];
        let mut spools: Vec<Spool> = (0..3)
            .map(|i| Spool::with_budget(dir.path().join(format!("s{i}")), &BUDGET))
            .collect();
        for s in &mut spools {
            s.write_all(&full).unwrap();
            s.finish().unwrap();
        }
        let on_disk: Vec<bool> = (0..3)
            .map(|i| dir.path().join(format!("s{i}")).exists())
            .collect();
        assert_eq!(on_disk, [false, false, true]);
        let mut back = Vec::new();
        spools[2].reader().unwrap().read_to_end(&mut back).unwrap();
        assert_eq!(back, full);
        drop(spools);
        assert_eq!(BUDGET.held.load(Ordering::Acquire), 0);
        let mut again = Spool::with_budget(dir.path().join("again"), &BUDGET);
        again.write_all(&full).unwrap();
        again.finish().unwrap();
        assert!(!dir.path().join("again").exists());
    }
}
