//! Response heads: the status line and header lines, informational (1xx)
//! heads skipped, parsed incrementally from a growing buffer.
//!
//! Rules (browsers read the same bytes the same way):
//! - lines end with CRLF or a bare LF;
//! - empty lines before a status line are skipped;
//! - a status line is `HTTP/<major>.<minor> <3 digits>[ <reason>]`;
//! - a header line is `name: value` (value trimmed of spaces and tabs); a
//!   line starting with a space or tab continues the previous value; a line
//!   without a colon is ignored;
//! - any number of header lines, up to [`MAX_HEAD_BYTES`] for all heads;
//! - 1xx heads other than 101 are informational and skipped, at most
//!   [`MAX_INFORMATIONAL`] of them; 101 is a final response.

use super::{MAX_HEAD_BYTES, MAX_INFORMATIONAL};

/// One response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    /// HTTP version (major, minor).
    pub version: (u8, u8),
    pub status: u16,
    /// The status line as received, without its line ending (shown as UTF-8,
    /// other bytes as U+FFFD).
    pub status_line: String,
    /// Header lines in order, names as received, values as bytes.
    pub headers: Vec<(String, Vec<u8>)>,
}

impl Head {
    /// Values of every header called `name` (any case), in order.
    pub(crate) fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// The first value of `name` as text (bytes that are not UTF-8 as U+FFFD).
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        self.values(name)
            .next()
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// The comma-separated items of every `name` header, trimmed and
    /// lowercased, empty items dropped.
    pub(crate) fn list(&self, name: &str) -> Vec<String> {
        self.values(name)
            .flat_map(|v| {
                String::from_utf8_lossy(v)
                    .split(',')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Header lines as text, for display (non-UTF-8 bytes as U+FFFD).
    pub(crate) fn lossy_headers(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect()
    }

    /// Informational: a 1xx head other than 101 (Switching Protocols).
    pub(crate) fn is_informational(&self) -> bool {
        (100..200).contains(&self.status) && self.status != 101
    }
}

/// The heads of one response.
#[derive(Debug, Clone)]
pub(crate) struct Heads {
    /// Informational (1xx) heads before the final one, in order.
    pub informational: Vec<Head>,
    /// The final head.
    pub last: Head,
    /// Bytes from the start of the response to the start of the body.
    pub len: usize,
}

/// Why a response head cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HeadError {
    #[error("the response heads are larger than {limit} bytes", limit = MAX_HEAD_BYTES)]
    TooLarge,
    #[error(
        "the server sent more than {limit} informational (1xx) responses before the final one",
        limit = MAX_INFORMATIONAL
    )]
    TooManyInformational,
    #[error("the answer is not an HTTP/1 response (it starts with {start:?})")]
    NotHttp { start: String },
    #[error("the status line {line:?} is not valid")]
    BadStatusLine { line: String },
}

/// Parses response heads from a buffer that grows as bytes arrive; keeps
/// its place so each byte is looked at a bounded number of times.
#[derive(Debug, Default)]
pub(crate) struct HeadParser {
    informational: Vec<Head>,
    /// Start of the head being read (after complete 1xx heads).
    start: usize,
    /// Where to resume looking for the end of that head.
    scan: usize,
}

impl HeadParser {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Looks at `buf` (all bytes of the response received so far, the same
    /// prefix each time). `Ok(None)`: more bytes are needed.
    pub(crate) fn parse(&mut self, buf: &[u8]) -> Result<Option<Heads>, HeadError> {
        loop {
            // Blank lines before a status line.
            let mut s = self.start;
            while s < buf.len() && matches!(buf[s], b'\r' | b'\n') {
                s += 1;
            }
            if s > self.start && s < buf.len() {
                self.start = s;
                self.scan = self.scan.max(s);
            }
            let rest = &buf[s..buf.len().min(s + 5)];
            if !rest.is_empty() && !b"HTTP/".starts_with(rest) && !rest.starts_with(b"HTTP/") {
                let end = buf.len().min(s + 40);
                return Err(HeadError::NotHttp {
                    start: String::from_utf8_lossy(&buf[s..end]).into_owned(),
                });
            }
            let Some(end) = find_head_end(buf, s, &mut self.scan) else {
                if buf.len() > MAX_HEAD_BYTES {
                    return Err(HeadError::TooLarge);
                }
                return Ok(None);
            };
            if end > MAX_HEAD_BYTES {
                return Err(HeadError::TooLarge);
            }
            let head = parse_one(&buf[s..end])?;
            self.start = end;
            self.scan = end;
            if head.is_informational() {
                if self.informational.len() == MAX_INFORMATIONAL {
                    return Err(HeadError::TooManyInformational);
                }
                self.informational.push(head);
                continue;
            }
            return Ok(Some(Heads {
                informational: std::mem::take(&mut self.informational),
                last: head,
                len: end,
            }));
        }
    }
}

/// Parses all heads of a complete buffer.
#[cfg(test)]
pub(crate) fn parse_heads(buf: &[u8]) -> Result<Option<Heads>, HeadError> {
    HeadParser::new().parse(buf)
}

/// The end of the head starting at `start` (just after its empty line), if
/// it is in `buf`. `scan` is where the search resumes (updated).
fn find_head_end(buf: &[u8], start: usize, scan: &mut usize) -> Option<usize> {
    let from = (*scan).max(start);
    let mut i = from;
    while let Some(p) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + p;
        // The line ending at `nl` starts after the previous '\n' (or at start).
        let line_start = buf[start..nl]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(start, |q| start + q + 1);
        let line = &buf[line_start..nl];
        if line_start > start && (line.is_empty() || line == b"\r") {
            return Some(nl + 1);
        }
        i = nl + 1;
    }
    // Every byte so far is looked at; the next search starts after them.
    *scan = buf.len();
    None
}

fn lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    head.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

fn parse_one(head: &[u8]) -> Result<Head, HeadError> {
    let mut it = lines(head);
    let status_bytes = it.next().unwrap_or_default();
    let status_line = String::from_utf8_lossy(status_bytes).into_owned();
    let bad = || HeadError::BadStatusLine {
        line: status_line.chars().take(200).collect(),
    };
    let after = status_bytes.strip_prefix(b"HTTP/").ok_or_else(bad)?;
    let sp = after
        .iter()
        .position(|&b| b == b' ' || b == b'\t')
        .ok_or_else(bad)?;
    let version = parse_version(&after[..sp]).ok_or_else(bad)?;
    let rest = trim_start(&after[sp..]);
    if rest.len() < 3
        || !rest[..3].iter().all(u8::is_ascii_digit)
        || rest.get(3).is_some_and(|b| !matches!(b, b' ' | b'\t'))
    {
        return Err(bad());
    }
    let status = u16::from(rest[0] - b'0') * 100
        + u16::from(rest[1] - b'0') * 10
        + u16::from(rest[2] - b'0');
    if status < 100 {
        return Err(bad());
    }
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    for line in it {
        if line.is_empty() {
            break;
        }
        if matches!(line[0], b' ' | b'\t') {
            // obs-fold: continues the previous value.
            if let Some((_, v)) = headers.last_mut() {
                let more = trim(line);
                if !more.is_empty() {
                    if !v.is_empty() {
                        v.push(b' ');
                    }
                    v.extend_from_slice(more);
                }
            }
            continue;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = trim(&line[..colon]);
        if name.is_empty() {
            continue;
        }
        headers.push((
            String::from_utf8_lossy(name).into_owned(),
            trim(&line[colon + 1..]).to_vec(),
        ));
    }
    Ok(Head {
        version,
        status,
        status_line,
        headers,
    })
}

fn parse_version(v: &[u8]) -> Option<(u8, u8)> {
    let (maj, min) = match v {
        [a, b'.', b] if a.is_ascii_digit() && b.is_ascii_digit() => (a - b'0', b - b'0'),
        [a] if a.is_ascii_digit() => (a - b'0', 0),
        _ => return None,
    };
    Some((maj, min))
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| matches!(c, b' ' | b'\t')).count();
    &b[n..]
}

fn trim(b: &[u8]) -> &[u8] {
    let b = trim_start(b);
    let n = b
        .iter()
        .rev()
        .take_while(|c| matches!(c, b' ' | b'\t'))
        .count();
    &b[..b.len() - n]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_pieces(msg: &[u8], piece: usize) -> Result<Option<Heads>, HeadError> {
        let mut p = HeadParser::new();
        let mut end = 0;
        while end < msg.len() {
            end = (end + piece).min(msg.len());
            if let Some(h) = p.parse(&msg[..end])? {
                return Ok(Some(h));
            }
        }
        Ok(None)
    }

    #[test]
    fn heads_with_informational_blank_lines_and_bare_lf() {
        let msg = b"\r\n\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early\nLink: x\n\n\
                    HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nX-Fold: a\r\n  b\r\nno colon\r\n\r\nbody";
        for piece in 1..msg.len() {
            let h = in_pieces(msg, piece).unwrap().unwrap();
            assert_eq!(h.informational.len(), 2, "piece {piece}");
            assert_eq!(h.last.status, 200);
            assert_eq!(h.last.version, (1, 0));
            assert_eq!(h.last.text("x-fold").unwrap(), "a b");
            assert_eq!(h.last.headers.len(), 2);
            assert_eq!(&msg[h.len..], b"body");
        }
    }

    #[test]
    fn many_headers_are_accepted() {
        let mut msg = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..500 {
            msg.extend_from_slice(format!("X-H{i}: {i}\r\n").as_bytes());
        }
        msg.extend_from_slice(b"\r\n");
        assert_eq!(parse_heads(&msg).unwrap().unwrap().last.headers.len(), 500);
    }

    #[test]
    fn floods_and_junk_are_refused() {
        let flood = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(MAX_INFORMATIONAL + 1);
        assert_eq!(
            parse_heads(&flood).unwrap_err(),
            HeadError::TooManyInformational
        );
        let mut big = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
        big.resize(MAX_HEAD_BYTES + 10, b'a');
        assert_eq!(parse_heads(&big).unwrap_err(), HeadError::TooLarge);
        assert!(matches!(
            parse_heads(b"<html>hello"),
            Err(HeadError::NotHttp { .. })
        ));
        assert!(matches!(
            parse_heads(b"HTTP/1.1 2x0 OK\r\n\r\n"),
            Err(HeadError::BadStatusLine { .. })
        ));
        assert!(parse_heads(b"HTT").unwrap().is_none());
    }

    #[test]
    fn switching_protocols_is_final() {
        let h = parse_heads(b"HTTP/1.1 101 Switching\r\n\r\nrest")
            .unwrap()
            .unwrap();
        assert_eq!(h.last.status, 101);
        assert!(h.informational.is_empty());
    }
}
