//! WARC/1.1 writing and reading.
//!
//! Every record is its own gzip member, headers are written in a fixed order,
//! and digests are `sha256:` followed by lowercase hex.

pub(crate) mod digest;
pub(crate) mod http;
pub(crate) mod reader;

pub use digest::{DigestResult, HttpDigester};

use flate2::Compression;
use flate2::write::GzEncoder;
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
pub struct WarcWriter<W: Write> {
    out: W,
}

impl<W: Write> WarcWriter<W> {
    pub fn new(out: W) -> Self {
        WarcWriter { out }
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
        let mut gz = GzEncoder::new(&mut self.out, Compression::new(6));
        head.push_str(&format!("Content-Length: {len}\r\n\r\n"));
        gz.write_all(head.as_bytes())?;
        let copied = io::copy(&mut block.take(len), &mut gz)?;
        if copied != len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("record block ended after {copied} of {len} bytes"),
            ));
        }
        gz.write_all(b"\r\n\r\n")?;
        gz.finish()?;
        Ok(())
    }

    /// Writes a record whose block is in memory.
    pub fn write_bytes(&mut self, headers: &[(&str, String)], block: &[u8]) -> io::Result<()> {
        let mut r = block;
        self.write_record(headers, &mut r, block.len() as u64)
    }

    pub(crate) fn into_inner(self) -> W {
        self.out
    }
}
