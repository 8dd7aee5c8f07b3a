//! Content-decoding of a response body into the page file, streaming and
//! capped, with the shared rules of [`crate::http::coding`].

use super::spool::Spool;
use std::io::{self, Write};
use std::path::Path;

/// What decoding did.
#[derive(Debug, Clone)]
pub(crate) struct Decoded {
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
/// file, writing at most `max` bytes. The codings are undone by the rules of
/// [`crate::http::coding`], the ones verify applies to the WARC record.
pub(crate) fn decode_body(
    src: &Spool,
    content_encoding: Option<&str>,
    dst: &Path,
    max: u64,
) -> io::Result<Decoded> {
    let codings = crate::http::content_codings(content_encoding);
    let (mut reader, undone, unsupported) = match crate::http::decoder(src.reader()?, &codings) {
        Ok(r) => (r, codings, None),
        // Store the body as received: undoing only some codings would be
        // guesswork.
        Err(e) => {
            let raw = src.reader()?;
            let what = match e {
                crate::http::CodingError::Unsupported(c) => c,
                other => other.to_string(),
            };
            (raw, Vec::new(), Some(what))
        }
    };
    let mut out = crate::fsutil::create_new(dst)?;
    let copied = crate::http::copy_decoded(&mut reader, max, &mut |b| out.write_all(b))?;
    // Made durable with the rest of the bundle when it is sealed.
    out.flush()?;
    Ok(Decoded {
        size: copied.size,
        undone,
        unsupported,
        truncated: copied.truncated,
        error: copied.error.map(|e| format!("decoding stopped: {e}")),
    })
}
