//! Where a response body ends, and the body without its transfer framing.
//!
//! Rules, in order (RFC 9112 §6.3 as browsers apply it):
//! 1. a response to HEAD, and a 101, 204 or 304 response, has no body:
//!    whatever follows the head is not part of the page;
//! 2. `Transfer-Encoding` listing `chunked` anywhere (`chunked`,
//!    `chunked, identity`, …), whatever the HTTP version (HTTP/1.0 too):
//!    chunked; other transfer codings are not undone;
//! 3. `Content-Length`: that many bytes; bytes sent after them are not part
//!    of the page. Several values that differ are an error (a browser
//!    refuses the response); a value that is not a number is ignored;
//! 4. otherwise the body runs to the end of the connection.
//!
//! Chunked framing: a size line of hex digits (extensions after `;`
//! ignored, spaces and tabs around it allowed), CRLF or bare LF line
//! endings, data, a line ending; a zero size ends the body; trailer lines
//! up to an empty line are ignored.

use super::head::Head;
use std::io::{self, Read};

/// How the body of a response is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body.
    None,
    /// Exactly this many bytes.
    Length(u64),
    Chunked,
    /// Up to the end of the connection.
    Close,
}

/// The framing of the response with head `head`, to a request made with
/// `method`.
pub(crate) fn framing_of(head: &Head, method: &str) -> Result<Framing, FrameError> {
    if method.eq_ignore_ascii_case("HEAD") || matches!(head.status, 101 | 204 | 304) {
        return Ok(Framing::None);
    }
    if head
        .list("transfer-encoding")
        .iter()
        .any(|t| t == "chunked")
    {
        return Ok(Framing::Chunked);
    }
    let lengths = head.list("content-length");
    if let Some(first) = lengths.first() {
        if let Some(other) = lengths.iter().find(|l| *l != first) {
            return Err(FrameError::ConflictingLength {
                first: first.clone(),
                other: other.clone(),
            });
        }
        if first.bytes().all(|b| b.is_ascii_digit())
            && let Ok(n) = first.parse::<u64>()
        {
            return Ok(Framing::Length(n));
        }
    }
    Ok(Framing::Close)
}

/// Why the body cannot be read further.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FrameError {
    #[error("the response has conflicting Content-Length values ({first} and {other})")]
    ConflictingLength { first: String, other: String },
    #[error("the chunked framing is broken {offset} bytes into the body: {what}")]
    BadChunk { offset: u64, what: &'static str },
}

/// How the body ended, when the bytes ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyEnd {
    /// The framing says the body is complete.
    Complete,
    /// The bytes ended before the framing said the body ends.
    CutShort,
}

/// Longest chunk-size or trailer line accepted.
const MAX_LINE: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Length(u64),
    Close,
    /// Reading a chunk-size line.
    Size,
    Data(u64),
    /// After chunk data: the line ending (`true` once its CR was seen).
    DataEnd(bool),
    Trailer,
    Done,
    Failed,
}

/// Removes transfer framing from the bytes after a head, fed in pieces.
#[derive(Debug, Clone)]
pub(crate) struct Unframer {
    state: State,
    line: Vec<u8>,
    /// Bytes fed and consumed so far.
    offset: u64,
}

impl Unframer {
    pub(crate) fn new(framing: Framing) -> Self {
        let state = match framing {
            Framing::None | Framing::Length(0) => State::Done,
            Framing::Length(n) => State::Length(n),
            Framing::Chunked => State::Size,
            Framing::Close => State::Close,
        };
        Unframer {
            state,
            line: Vec::new(),
            offset: 0,
        }
    }

    /// The framing says the body is complete; later bytes are not body.
    pub(crate) fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// How the body ended if no more bytes come.
    pub(crate) fn end(&self) -> BodyEnd {
        match self.state {
            State::Done | State::Close => BodyEnd::Complete,
            _ => BodyEnd::CutShort,
        }
    }

    /// Feeds `input`; appends body bytes to `out`. Returns how many input
    /// bytes belong to the message (fewer than given once the body ends).
    pub(crate) fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, FrameError> {
        let mut i = 0;
        while i < input.len() {
            let rest = &input[i..];
            match self.state {
                State::Done | State::Failed => break,
                State::Close => {
                    out.extend_from_slice(rest);
                    i = input.len();
                }
                State::Length(left) | State::Data(left) => {
                    let n = (rest.len() as u64).min(left) as usize;
                    out.extend_from_slice(&rest[..n]);
                    i += n;
                    let left = left - n as u64;
                    self.state = match (self.state, left) {
                        (State::Length(_), 0) => State::Done,
                        (State::Length(_), l) => State::Length(l),
                        (_, 0) => State::DataEnd(false),
                        (_, l) => State::Data(l),
                    };
                }
                State::DataEnd(seen_cr) => {
                    let b = rest[0];
                    match (seen_cr, b) {
                        (false, b'\r') => self.state = State::DataEnd(true),
                        (_, b'\n') => self.state = State::Size,
                        _ => {
                            return Err(self.fail(i, "chunk data is not followed by a line end"));
                        }
                    }
                    i += 1;
                }
                State::Size | State::Trailer => {
                    let nl = rest.iter().position(|&b| b == b'\n');
                    let take = nl.map_or(rest.len(), |p| p + 1);
                    if self.line.len() + take > MAX_LINE {
                        return Err(self.fail(i, "a chunk-size or trailer line is too long"));
                    }
                    self.line.extend_from_slice(&rest[..take]);
                    i += take;
                    if nl.is_none() {
                        continue;
                    }
                    let line = std::mem::take(&mut self.line);
                    let line = trim_line(&line);
                    if self.state == State::Trailer {
                        if line.is_empty() {
                            self.state = State::Done;
                        }
                        continue;
                    }
                    let size = line.split(|&b| b == b';').next().unwrap_or_default();
                    let size = trim_ws(size);
                    if size.is_empty() || size.len() > 16 || !size.iter().all(u8::is_ascii_hexdigit)
                    {
                        return Err(self.fail(i, "a chunk size is not a hexadecimal number"));
                    }
                    let n = u64::from_str_radix(std::str::from_utf8(size).unwrap_or("0"), 16)
                        .unwrap_or(0);
                    self.state = if n == 0 {
                        State::Trailer
                    } else {
                        State::Data(n)
                    };
                }
            }
        }
        self.offset += i as u64;
        Ok(i)
    }

    fn fail(&mut self, at: usize, what: &'static str) -> FrameError {
        self.state = State::Failed;
        FrameError::BadChunk {
            offset: self.offset + at as u64,
            what,
        }
    }
}

fn trim_line(l: &[u8]) -> &[u8] {
    let l = l.strip_suffix(b"\n").unwrap_or(l);
    l.strip_suffix(b"\r").unwrap_or(l)
}

fn trim_ws(b: &[u8]) -> &[u8] {
    let s = b.iter().take_while(|c| matches!(c, b' ' | b'\t')).count();
    let b = &b[s..];
    let e = b
        .iter()
        .rev()
        .take_while(|c| matches!(c, b' ' | b'\t'))
        .count();
    &b[..b.len() - e]
}

/// The body of a stored response as a stream: the bytes after the head
/// (`inner`) with their framing removed. A framing error ends the stream
/// (the bytes before it are yielded, as capture stored them) and is kept in
/// [`UnframedReader::error`].
pub(crate) struct UnframedReader<R> {
    inner: R,
    unframer: Unframer,
    pending: Vec<u8>,
    at: usize,
    buf: Vec<u8>,
    pub error: Option<FrameError>,
    eof: bool,
}

impl<R: Read> UnframedReader<R> {
    pub(crate) fn new(inner: R, framing: Framing) -> Self {
        UnframedReader {
            inner,
            unframer: Unframer::new(framing),
            pending: Vec::new(),
            at: 0,
            buf: vec![0; 64 * 1024],
            error: None,
            eof: false,
        }
    }
}

impl<R: Read> Read for UnframedReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.at < self.pending.len() {
                let n = out.len().min(self.pending.len() - self.at);
                out[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
                self.at += n;
                return Ok(n);
            }
            if self.eof || self.error.is_some() || self.unframer.is_done() || out.is_empty() {
                return Ok(0);
            }
            self.pending.clear();
            self.at = 0;
            let n = match self.inner.read(&mut self.buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                self.eof = true;
                continue;
            }
            if let Err(e) = self.unframer.feed(&self.buf[..n], &mut self.pending) {
                self.error = Some(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::head::parse_heads;

    fn head(text: &str) -> Head {
        parse_heads(text.as_bytes()).unwrap().unwrap().last
    }

    fn unframe(f: Framing, wire: &[u8], piece: usize) -> (Vec<u8>, BodyEnd, Option<FrameError>) {
        let mut u = Unframer::new(f);
        let mut out = Vec::new();
        for c in wire.chunks(piece) {
            match u.feed(c, &mut out) {
                Ok(n) if n < c.len() => break,
                Ok(_) => {}
                Err(e) => return (out, u.end(), Some(e)),
            }
        }
        (out, u.end(), None)
    }

    #[test]
    fn framing_rules() {
        let f = |t: &str| framing_of(&head(t), "GET");
        assert_eq!(
            f("HTTP/1.1 204 No\r\nContent-Length: 5\r\n\r\n").unwrap(),
            Framing::None
        );
        assert_eq!(f("HTTP/1.1 304 N\r\n\r\n").unwrap(), Framing::None);
        assert_eq!(f("HTTP/1.1 101 S\r\n\r\n").unwrap(), Framing::None);
        assert_eq!(
            framing_of(
                &head("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"),
                "HEAD"
            )
            .unwrap(),
            Framing::None
        );
        assert_eq!(
            f("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, identity\r\nContent-Length: 3\r\n\r\n")
                .unwrap(),
            Framing::Chunked
        );
        assert_eq!(
            f("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap(),
            Framing::Chunked
        );
        assert_eq!(
            f("HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n").unwrap(),
            Framing::Length(7)
        );
        assert!(f("HTTP/1.1 200 OK\r\nContent-Length: 7, 8\r\n\r\n").is_err());
        assert_eq!(
            f("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n").unwrap(),
            Framing::Close
        );
        assert_eq!(f("HTTP/1.1 200 OK\r\n\r\n").unwrap(), Framing::Close);
    }

    #[test]
    fn chunked_in_any_pieces() {
        let wire = b"5;x=1\r\nhello\r\n6 \n world\n0\r\nTrailer: x\r\n\r\nEXTRA";
        for piece in 1..wire.len() {
            let (out, end, err) = unframe(Framing::Chunked, wire, piece);
            assert_eq!(out, b"hello world", "piece {piece}");
            assert_eq!(end, BodyEnd::Complete);
            assert!(err.is_none());
        }
        let (out, end, _) = unframe(Framing::Chunked, b"5\r\nhello\r\n6\r\n wo", 3);
        assert_eq!((out.as_slice(), end), (&b"hello wo"[..], BodyEnd::CutShort));
        let (out, _, err) = unframe(Framing::Chunked, b"5\r\nhelloXX\r\n", 4);
        assert_eq!(out, b"hello");
        assert!(matches!(err, Some(FrameError::BadChunk { offset: 8, .. })));
    }

    #[test]
    fn length_stops_at_the_length() {
        let (out, end, _) = unframe(Framing::Length(3), b"abcdef", 2);
        assert_eq!((out.as_slice(), end), (&b"abc"[..], BodyEnd::Complete));
        let mut r = UnframedReader::new(&b"3\r\nabc\r\n0\r\n\r\njunk"[..], Framing::Chunked);
        let mut s = Vec::new();
        r.read_to_end(&mut s).unwrap();
        assert_eq!(s, b"abc");
    }
}
