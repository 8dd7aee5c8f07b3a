//! Scratch storage for one hop's raw response and body while a page is
//! fetched: in memory up to a limit, then a file in the bundle's scratch
//! folder (`.partial-<id>/.work/`, removed before sealing).
//!
//! Most pages are small; keeping them in memory spares creating, reading
//! back and deleting two scratch files per hop. Large responses still go to
//! disk, so memory stays bounded whatever the server sends: at most
//! [`MEMORY_LIMIT`] per spool.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Bytes a spool keeps in memory before moving to its file.
pub(super) const MEMORY_LIMIT: usize = 512 * 1024;

/// Bytes written so far, in memory or in a file.
#[derive(Debug)]
pub(crate) struct Spool {
    path: PathBuf,
    mem: Vec<u8>,
    file: Option<BufWriter<File>>,
}

impl Spool {
    /// An empty spool that moves to a new file at `path` (its folder is
    /// created then) once it holds more than [`MEMORY_LIMIT`] bytes.
    pub(crate) fn new(path: PathBuf) -> Spool {
        Spool {
            path,
            mem: Vec::new(),
            file: None,
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
        self.mem = Vec::new();
        Ok(self.file.insert(w))
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write_all(buf)?,
            None if self.mem.len() + buf.len() <= MEMORY_LIMIT => self.mem.extend_from_slice(buf),
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
}
