//! SHA-256 / SHA-512 helpers used by every part that seals or checks evidence.

use crate::fsutil::open_regular_nofollow;
use sha2::{Digest, Sha256, Sha512};
use std::io::{self, Read, Seek, Write};
use std::path::Path;

/// Lowercase hex SHA-256 of a byte slice.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// SHA-256 and SHA-512 (lowercase hex) and size of one file, read once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigests {
    pub(crate) sha256: String,
    pub(crate) sha512: String,
    pub size: u64,
}

/// SHA-256 and SHA-512 of bytes in memory.
pub(crate) fn digest_bytes(bytes: &[u8]) -> FileDigests {
    FileDigests {
        sha256: hex::encode(Sha256::digest(bytes)),
        sha512: hex::encode(Sha512::digest(bytes)),
        size: bytes.len() as u64,
    }
}

/// Hashes a regular file with SHA-256 and SHA-512 in one streaming pass (a
/// link, FIFO or device is refused, see
/// `fsutil::open_regular_nofollow`; the file is never read whole
/// into memory beyond 1 MiB).
///
/// The two digests are computed on two threads over the same buffers, so the
/// slower SHA-512 does not double the wall time on a multi-core machine.
pub fn digest_file(path: &Path) -> io::Result<FileDigests> {
    let mut file = open_regular_nofollow(path)?;
    let len = file.metadata()?.len();
    if len < (1 << 20) {
        // Small file: threads would cost more than they save. Room for the
        // whole file at once, so that it is read in one call.
        let mut bytes = Vec::with_capacity(len as usize + 1);
        (&mut file).take(1 << 20).read_to_end(&mut bytes)?;
        if bytes.len() < (1 << 20) {
            return Ok(digest_bytes(&bytes));
        }
        // The file grew while being read: hash it as a large file.
        file.seek(io::SeekFrom::Start(0))?;
    }
    let (tx256, rx256) = std::sync::mpsc::sync_channel::<std::sync::Arc<Vec<u8>>>(4);
    let (tx512, rx512) = std::sync::mpsc::sync_channel::<std::sync::Arc<Vec<u8>>>(4);
    std::thread::scope(|scope| {
        let h256 = scope.spawn(move || {
            let mut h = Sha256::new();
            for buf in rx256 {
                h.update(&buf[..]);
            }
            hex::encode(h.finalize())
        });
        let h512 = scope.spawn(move || {
            let mut h = Sha512::new();
            for buf in rx512 {
                h.update(&buf[..]);
            }
            hex::encode(h.finalize())
        });
        let mut size = 0u64;
        let read_result = (|| -> io::Result<()> {
            loop {
                let mut buf = vec![0u8; 1 << 20];
                let n = read_full(&mut file, &mut buf)?;
                if n == 0 {
                    return Ok(());
                }
                buf.truncate(n);
                size += n as u64;
                let shared = std::sync::Arc::new(buf);
                // A send only fails if the hashing thread died, which cannot
                // happen short of a panic; the join below reports that.
                let _ = tx256.send(shared.clone());
                let _ = tx512.send(shared);
            }
        })();
        drop(tx256);
        drop(tx512);
        let sha256 = h256.join().expect("sha256 thread panicked");
        let sha512 = h512.join().expect("sha512 thread panicked");
        read_result.map(|()| FileDigests {
            sha256,
            sha512,
            size,
        })
    })
}

/// SHA-256 (lowercase hex) and size of a regular file (streamed; links,
/// FIFOs and devices are refused).
pub(crate) fn sha256_file(path: &Path) -> io::Result<(String, u64)> {
    let mut file = open_regular_nofollow(path)?;
    let mut h = Sha256::new();
    // Small files are the common case: don't zero a large buffer for them.
    let len = file.metadata()?.len();
    let mut buf = vec![0u8; len.clamp(1, 1 << 20) as usize];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok((hex::encode(h.finalize()), size))
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A writer that SHA-256-hashes and counts everything written through it.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            written: 0,
        }
    }

    /// Returns the inner writer, the lowercase hex SHA-256 and the byte count.
    pub fn finish(self) -> (W, String, u64) {
        (
            self.inner,
            hex::encode(self.hasher.finalize()),
            self.written,
        )
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
