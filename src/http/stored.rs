//! A response stored in a WARC record, read as capture read it off the wire.

use super::{
    FrameError, Head, HeadError, HeadParser, MAX_HEAD_BYTES, UnframedReader, check_codings,
    content_codings, copy_decoded, decoder, framing_of,
};
use std::io::{self, Read};

/// Why a stored WARC response record holds no readable HTTP response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NoResponse {
    #[error("the WARC response record has no complete HTTP head")]
    NoHead,
    #[error("the WARC response record cannot be read as an HTTP response: {0}")]
    BadHead(HeadError),
    #[error("the WARC response record has no readable body: {0}")]
    NoBody(FrameError),
}

/// Re-derives the page from a stored response block exactly as capture
/// derived it from the same bytes (the rules of [`crate::http`]): heads
/// read, body unframed and cut at `max`, content codings undone (a coding
/// warden cannot undo leaves the body as received), output cut at `max`.
/// Returns the final head; `Ok(Err(why))`: the block holds no readable
/// response.
pub(crate) fn read_page(
    mut block: impl Read,
    max: u64,
    sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<Result<Head, NoResponse>> {
    let mut parser = HeadParser::new();
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let heads = loop {
        let want = chunk.len().min(MAX_HEAD_BYTES + 1 - buf.len());
        let n = block.read(&mut chunk[..want])?;
        if n == 0 {
            return Ok(Err(NoResponse::NoHead));
        }
        buf.extend_from_slice(&chunk[..n]);
        match parser.parse(&buf) {
            Ok(Some(h)) => break h,
            Ok(None) => {}
            Err(e) => return Ok(Err(NoResponse::BadHead(e))),
        }
    };
    let framing = match framing_of(&heads.last, "GET") {
        Ok(f) => f,
        Err(e) => return Ok(Err(NoResponse::NoBody(e))),
    };
    let rest = buf.split_off(heads.len);
    let body = UnframedReader::new(io::Cursor::new(rest).chain(block), framing).take(max);
    let encodings: Vec<String> = heads
        .last
        .values("content-encoding")
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect();
    let codings = content_codings(Some(&encodings.join(", ")));
    let body: Box<dyn Read> = Box::new(body);
    let mut decoded = match check_codings(&codings) {
        Ok(()) => decoder(body, &codings).map_err(io::Error::other)?,
        // A coding warden cannot undo: the page is the body as received.
        Err(_) => body,
    };
    copy_decoded(&mut decoded, max, sink)?;
    Ok(Ok(heads.last))
}
