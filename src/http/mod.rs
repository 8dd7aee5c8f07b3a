//! One HTTP/1 response reader, shared by capture, verify and sweep.
//!
//! Capture frames and decodes the bytes it reads off the wire with these
//! rules; verify re-derives the page from the same bytes kept in the WARC
//! with the same rules; sweep reads WARC responses with them too. The rules
//! follow what browsers do with the same bytes (see docs/bundle-format.md,
//! "How a response is read"):
//!
//! - [`head`]: response heads, informational (1xx) heads skipped, blank
//!   lines before a status line tolerated, any number of header lines up
//!   to [`MAX_HEAD_BYTES`] for all heads together.
//! - [`framing`]: where the body ends (no body for HEAD, 101, 204, 304;
//!   chunked when `Transfer-Encoding` lists `chunked`, whatever the HTTP
//!   version; else `Content-Length`; else the connection's end).
//! - [`coding`]: `Content-Encoding` undone (gzip, deflate with or without
//!   zlib wrapper, br, stacked), streaming, the output bounded by the caller.

pub(crate) mod coding;
pub(crate) mod framing;
pub(crate) mod head;
pub(crate) mod stored;

pub(crate) use coding::{CodingError, check_codings, content_codings, copy_decoded, decoder};
pub(crate) use framing::{BodyEnd, FrameError, UnframedReader, Unframer, framing_of};
pub(crate) use head::{Head, HeadError, HeadParser, Heads};

/// Most bytes of response heads (informational heads included, and blank
/// lines before them) read for one response.
pub(crate) const MAX_HEAD_BYTES: usize = 1 << 20;

/// Most informational (1xx) heads accepted before the final response.
pub(crate) const MAX_INFORMATIONAL: usize = 100;
