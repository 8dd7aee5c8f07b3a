//! Content-decoding of a response body (gzip, deflate), streaming and capped.

use flate2::read::{MultiGzDecoder, ZlibDecoder};
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;

/// What decoding did.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub size: u64,
    /// The content-codings that were undone, outermost first.
    pub undone: Vec<String>,
    /// A coding that warden cannot undo (the bytes were stored as received).
    pub unsupported: Option<String>,
    /// Decoding stopped at the size cap.
    pub truncated: bool,
    /// Decoding failed part-way (the bytes decoded so far are kept).
    pub error: Option<String>,
}

/// Decodes `src` (a body with the given `Content-Encoding`) into `dst`, a new
/// file, writing at most `max` bytes.
pub fn decode_body(
    src: &Path,
    content_encoding: Option<&str>,
    dst: &Path,
    max: u64,
) -> io::Result<Decoded> {
    let codings: Vec<String> = content_encoding
        .unwrap_or("")
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect();
    let mut unsupported = None;
    let mut reader: Box<dyn Read> =
        Box::new(BufReader::with_capacity(256 * 1024, File::open(src)?));
    let mut undone = Vec::new();
    // Codings are listed in the order applied; undo them in reverse.
    for c in codings.iter().rev() {
        match c.as_str() {
            "gzip" | "x-gzip" => reader = Box::new(MultiGzDecoder::new(reader)),
            "deflate" => reader = Box::new(ZlibDecoder::new(reader)),
            other => {
                unsupported = Some(other.to_string());
                // Store the body as received: undoing the remaining codings
                // would be guesswork.
                reader = Box::new(BufReader::new(File::open(src)?));
                undone.clear();
                break;
            }
        }
        undone.push(c.clone());
    }
    let mut out = crate::fsutil::create_new(dst)?;
    let src_len = std::fs::metadata(src)?.len();
    let mut buf = vec![0u8; src_len.clamp(4096, 256 * 1024) as usize];
    let mut size = 0u64;
    let mut truncated = false;
    let mut error = None;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                error = Some(format!("decoding stopped: {e}"));
                break;
            }
        };
        let room = max.saturating_sub(size);
        let take = (n as u64).min(room) as usize;
        out.write_all(&buf[..take])?;
        size += take as u64;
        if take < n {
            truncated = true;
            break;
        }
    }
    // Made durable with the rest of the bundle when it is sealed.
    out.flush()?;
    Ok(Decoded {
        size,
        undone,
        unsupported,
        truncated,
        error,
    })
}
