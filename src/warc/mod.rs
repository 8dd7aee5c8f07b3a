//! WARC/1.1 writing and reading.
//!
//! Every record is its own gzip member, headers are written in a fixed order,
//! and digests are `sha256:` followed by lowercase hex.

pub(crate) mod digest;
pub(crate) mod http;
pub(crate) mod members;
pub(crate) mod reader;

pub use digest::{DigestResult, HttpDigester};

use flate2::{Compress, Compression, Crc, FlushCompress, Status};
use std::io::{self, Read, Write};

/// A new `<urn:uuid:…>` record id.
pub(crate) fn new_record_id() -> String {
    format!("<urn:uuid:{}>", uuid::Uuid::new_v4())
}

/// `sha256:<hex>` label for a hex digest.
pub fn sha256_label(hex: &str) -> String {
    format!("sha256:{hex}")
}

/// Writes records to an underlying writer, one gzip member each.
///
/// Deflate states are reused (reset between members, and given to a small
/// pool by `into_inner` for the next writer): setting up a fresh one clears
/// a few hundred KiB, which costs more than compressing a small page's
/// records.
pub struct WarcWriter<W: Write> {
    out: W,
    deflate: Compress,
    buf: Vec<u8>,
}

/// The deflate level of every record: 1, the fastest. On small HTML pages
/// the WARC comes out about a quarter larger than at zlib's default 6, and
/// capturing costs about a fifth less CPU; the WARC is an evidence copy, and
/// its size matters less than how fast a sweep's hits are sealed.
const LEVEL: u32 = 1;

/// Idle deflate states, at most [`POOL_MAX`].
static POOL: std::sync::Mutex<Vec<Compress>> = std::sync::Mutex::new(Vec::new());
const POOL_MAX: usize = 16;

/// The fixed gzip member header warden writes: no name, no time (0), no
/// extra fields, operating system "unknown" (RFC 1952).
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

impl<W: Write> WarcWriter<W> {
    pub fn new(out: W) -> Self {
        let pooled = POOL.lock().ok().and_then(|mut p| p.pop());
        WarcWriter {
            out,
            deflate: pooled.unwrap_or_else(|| Compress::new(Compression::new(LEVEL), false)),
            buf: Vec::with_capacity(64 * 1024),
        }
    }

    /// Writes one record. `headers` must not include `Content-Length`, which
    /// is added from `len`; exactly `len` bytes are copied from `block`.
    pub(crate) fn write_record(
        &mut self,
        headers: &[(&str, String)],
        block: &mut dyn Read,
        len: u64,
    ) -> io::Result<()> {
        let mut head = String::from("WARC/1.1\r\n");
        for (name, value) in headers {
            debug_assert!(!value.contains(['\r', '\n']));
            // Never write what the reader would refuse.
            let line = name.len() + 2 + value.len() + 2;
            if line > reader::MAX_HEADER_LINE {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "the WARC header {name} would be {line} bytes long, more than the {} a WARC reader accepts",
                        reader::MAX_HEADER_LINE
                    ),
                ));
            }
            head.push_str(name);
            head.push_str(": ");
            // Header values come from parsed URLs and our own strings; still,
            // never let a stray line break forge a header.
            head.push_str(&value.replace(['\r', '\n'], " "));
            head.push_str("\r\n");
        }
        if head.len() + 64 > reader::MAX_RECORD_HEADER {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the WARC record headers would be {} bytes long, more than the {} a WARC reader accepts",
                    head.len(),
                    reader::MAX_RECORD_HEADER
                ),
            ));
        }
        head.push_str(&format!("Content-Length: {len}\r\n\r\n"));
        self.deflate.reset();
        let mut crc = Crc::new();
        self.out.write_all(&GZIP_HEADER)?;
        self.compress(&mut crc, head.as_bytes())?;
        let mut chunk = vec![0u8; (len.min(64 * 1024) as usize).max(1)];
        let mut copied = 0u64;
        while copied < len {
            let want = (len - copied).min(chunk.len() as u64) as usize;
            let n = match block.read(&mut chunk[..want]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.compress(&mut crc, &chunk[..n])?;
            copied += n as u64;
        }
        if copied != len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("record block ended after {copied} of {len} bytes"),
            ));
        }
        self.compress(&mut crc, b"\r\n\r\n")?;
        self.finish_member(&crc)
    }

    /// Deflates `input` into the member being written.
    fn compress(&mut self, crc: &mut Crc, mut input: &[u8]) -> io::Result<()> {
        crc.update(input);
        while !input.is_empty() {
            self.buf.clear();
            let deflate = &mut self.deflate;
            let before = deflate.total_in();
            deflate
                .compress_vec(input, &mut self.buf, FlushCompress::None)
                .map_err(io::Error::other)?;
            let used = (deflate.total_in() - before) as usize;
            input = &input[used..];
            self.out.write_all(&self.buf)?;
        }
        Ok(())
    }

    /// Ends the deflate stream and writes the gzip trailer (CRC-32 and size
    /// modulo 2^32, little-endian).
    fn finish_member(&mut self, crc: &Crc) -> io::Result<()> {
        loop {
            self.buf.clear();
            let status = self
                .deflate
                .compress_vec(&[], &mut self.buf, FlushCompress::Finish)
                .map_err(io::Error::other)?;
            self.out.write_all(&self.buf)?;
            if status == Status::StreamEnd {
                break;
            }
        }
        self.out.write_all(&crc.sum().to_le_bytes())?;
        self.out.write_all(&crc.amount().to_le_bytes())?;
        Ok(())
    }

    /// Writes a record whose block is in memory.
    pub fn write_bytes(&mut self, headers: &[(&str, String)], block: &[u8]) -> io::Result<()> {
        let mut r = block;
        self.write_record(headers, &mut r, block.len() as u64)
    }

    /// The underlying writer; the deflate state goes back to the pool.
    pub(crate) fn into_inner(self) -> W {
        let WarcWriter { out, deflate, .. } = self;
        if let Ok(mut pool) = POOL.lock()
            && pool.len() < POOL_MAX
        {
            pool.push(deflate);
        }
        out
    }
}
