//! JSON Lines, and JSON files holding an array of objects (pretty-printed
//! or not), read as a stream: each object is one listing, whatever its
//! size. A string keeps at most what a listing's text may hold
//! ([`MAX_LISTING_TEXT`]); nested objects give dotted names
//! (`seller.name`), arrays join their values. A bad line of JSON Lines is
//! reported with its line and the next line is read; in a JSON array,
//! where nothing after an error can be trusted, the error is reported and
//! the rest of the file is not read.

use super::input::{Sink, Skipped};
use super::row::{Columns, MAX_LISTING_TEXT, RowBuilder};
use std::io::{self, BufRead};

/// Deepest nesting of arrays and objects read.
const MAX_DEPTH: usize = 64;
/// Most bytes of a key or a number kept.
const MAX_TOKEN: usize = 256;

#[derive(Debug)]
enum JsonError {
    Io(io::Error),
    Syntax { line: u64, what: String },
}

impl From<io::Error> for JsonError {
    fn from(e: io::Error) -> Self {
        JsonError::Io(e)
    }
}

type R<T> = Result<T, JsonError>;

struct Lexer<'r> {
    r: &'r mut dyn BufRead,
    line: u64,
    /// Bytes of text kept for the current object (strings count against
    /// [`MAX_LISTING_TEXT`]).
    budget: usize,
}

/// A value read: scalars as text, objects and arrays as their fields.
enum Value {
    Str(String, u64),
    Scalar(String),
    Null,
    Nested,
}

impl Lexer<'_> {
    fn peek(&mut self) -> R<Option<u8>> {
        Ok(self.r.fill_buf()?.first().copied())
    }
    fn bump(&mut self) -> R<Option<u8>> {
        let b = self.peek()?;
        if let Some(b) = b {
            self.r.consume(1);
            if b == b'\n' {
                self.line += 1;
            }
        }
        Ok(b)
    }
    fn err<T>(&self, what: impl Into<String>) -> R<T> {
        Err(JsonError::Syntax {
            line: self.line,
            what: what.into(),
        })
    }
    fn skip_ws(&mut self) -> R<Option<u8>> {
        loop {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            let mut used = 0;
            let mut found = None;
            for &b in buf {
                if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
                    used += 1;
                    if b == b'\n' {
                        self.line += 1;
                    }
                } else {
                    found = Some(b);
                    break;
                }
            }
            self.r.consume(used);
            if found.is_some() {
                return Ok(found);
            }
        }
    }
    fn expect(&mut self, want: u8) -> R<()> {
        match self.skip_ws()? {
            Some(b) if b == want => {
                self.bump()?;
                Ok(())
            }
            Some(b) => self.err(format!(
                "expected '{}', found '{}'",
                want as char, b as char
            )),
            None => self.err(format!(
                "expected '{}', found the end of the file",
                want as char
            )),
        }
    }

    /// A string (after its opening quote): its first `max` bytes of UTF-8,
    /// and how many bytes were left out.
    fn string(&mut self, max: usize) -> R<(String, u64)> {
        let mut out: Vec<u8> = Vec::new();
        let mut dropped = 0u64;
        let mut push = |out: &mut Vec<u8>, bytes: &[u8]| {
            if out.len() + bytes.len() <= max {
                out.extend_from_slice(bytes);
            } else {
                dropped += bytes.len() as u64;
            }
        };
        loop {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                return self.err("a string is not closed before the end of the file");
            }
            // Copy the plain run up to a quote, backslash or control byte.
            let run = buf
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(buf.len());
            push(&mut out, &buf[..run]);
            let stop = buf.get(run).copied();
            self.r.consume(run);
            match stop {
                None => continue,
                Some(b'"') => {
                    self.r.consume(1);
                    break;
                }
                Some(b'\\') => {
                    self.r.consume(1);
                    let c = self.escape()?;
                    let mut tmp = [0u8; 4];
                    push(&mut out, c.encode_utf8(&mut tmp).as_bytes());
                }
                Some(b'\n') => return self.err("a string runs past the end of its line"),
                Some(b) => return self.err(format!("control character 0x{b:02X} in a string")),
            }
        }
        let s = match String::from_utf8(out) {
            Ok(s) => s,
            Err(e) => {
                let ue = e.utf8_error();
                if dropped > 0 && ue.error_len().is_none() {
                    let good = ue.valid_up_to();
                    let mut b = e.into_bytes();
                    dropped += (b.len() - good) as u64;
                    b.truncate(good);
                    String::from_utf8(b).unwrap_or_default()
                } else {
                    return self.err("a string is not valid UTF-8 (if the file is in another encoding, name it with --encoding)");
                }
            }
        };
        Ok((s, dropped))
    }

    fn hex4(&mut self) -> R<u32> {
        let mut v = 0;
        for _ in 0..4 {
            let Some(b) = self.bump()? else {
                return self.err("a \\u escape is cut short");
            };
            let d = (b as char)
                .to_digit(16)
                .map_or_else(|| self.err("a \\u escape has a non-hex digit"), Ok)?;
            v = v * 16 + d;
        }
        Ok(v)
    }

    fn escape(&mut self) -> R<char> {
        let Some(b) = self.bump()? else {
            return self.err("a string is not closed before the end of the file");
        };
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                if (0xD800..0xDC00).contains(&hi) {
                    if self.bump()? != Some(b'\\') || self.bump()? != Some(b'u') {
                        return Ok('\u{FFFD}');
                    }
                    let lo = self.hex4()?;
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF);
                    char::from_u32(c).unwrap_or('\u{FFFD}')
                } else {
                    char::from_u32(hi).unwrap_or('\u{FFFD}')
                }
            }
            b => return self.err(format!("unknown escape \\{}", b as char)),
        })
    }

    /// A number, `true`, `false` or `null`.
    fn scalar(&mut self) -> R<Value> {
        let mut tok = Vec::new();
        while let Some(b) = self.peek()? {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.') {
                if tok.len() < MAX_TOKEN {
                    tok.push(b);
                }
                self.bump()?;
            } else {
                break;
            }
        }
        match &tok[..] {
            b"null" => Ok(Value::Null),
            b"true" | b"false" => Ok(Value::Scalar(String::from_utf8_lossy(&tok).into_owned())),
            t if !t.is_empty()
                && t.iter().all(|b| b.is_ascii_digit() || b"-+.eE".contains(b))
                && t.iter().any(u8::is_ascii_digit) =>
            {
                Ok(Value::Scalar(String::from_utf8_lossy(&tok).into_owned()))
            }
            [] => match self.peek()? {
                Some(b) => self.err(format!("unexpected '{}'", b as char)),
                None => self.err("unexpected end of the file"),
            },
            t => self.err(format!("unexpected {:?}", String::from_utf8_lossy(t))),
        }
    }

    /// Any value; fields of objects and arrays go to `row` under `name`.
    fn value(&mut self, row: &mut RowBuilder<'_>, name: &str, depth: usize) -> R<Value> {
        if depth > MAX_DEPTH {
            return self.err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        match self.skip_ws()? {
            Some(b'"') => {
                self.bump()?;
                let (s, dropped) = self.string(self.budget)?;
                self.budget = self.budget.saturating_sub(s.len());
                Ok(Value::Str(s, dropped))
            }
            Some(b'{') => {
                self.bump()?;
                self.members(row, name, depth + 1)?;
                Ok(Value::Nested)
            }
            Some(b'[') => {
                self.bump()?;
                if self.skip_ws()? == Some(b']') {
                    self.bump()?;
                    return Ok(Value::Nested);
                }
                loop {
                    let v = self.value(row, name, depth + 1)?;
                    add(row, name, v);
                    match self.skip_ws()? {
                        Some(b',') => {
                            self.bump()?;
                        }
                        Some(b']') => {
                            self.bump()?;
                            return Ok(Value::Nested);
                        }
                        _ => return self.err("expected ',' or ']' in an array"),
                    }
                }
            }
            Some(_) => self.scalar(),
            None => self.err("unexpected end of the file"),
        }
    }

    /// The members of an object (after its `{`).
    fn members(&mut self, row: &mut RowBuilder<'_>, prefix: &str, depth: usize) -> R<()> {
        if self.skip_ws()? == Some(b'}') {
            self.bump()?;
            return Ok(());
        }
        loop {
            self.expect(b'"')?;
            let (key, _) = self.string(MAX_TOKEN)?;
            self.expect(b':')?;
            let name = if prefix.is_empty() {
                key
            } else {
                format!("{prefix}.{key}")
            };
            let v = self.value(row, &name, depth)?;
            add(row, &name, v);
            match self.skip_ws()? {
                Some(b',') => {
                    self.bump()?;
                }
                Some(b'}') => {
                    self.bump()?;
                    return Ok(());
                }
                _ => return self.err("expected ',' or '}' in an object"),
            }
        }
    }

    /// Skips to the start of the next line (resynchronising JSON Lines).
    fn skip_line(&mut self) -> R<()> {
        loop {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                return Ok(());
            }
            if let Some(i) = buf.iter().position(|&b| b == b'\n') {
                self.r.consume(i + 1);
                self.line += 1;
                return Ok(());
            }
            let n = buf.len();
            self.r.consume(n);
        }
    }
}

fn add(row: &mut RowBuilder<'_>, name: &str, v: Value) {
    match v {
        Value::Str(s, dropped) => row.add(name, s, true, dropped),
        Value::Scalar(s) => row.add(name, s, false, 0),
        Value::Null | Value::Nested => {}
    }
}

/// What reading a JSON input found.
#[derive(Debug, Default)]
pub(crate) struct JsonStats {
    pub(crate) rows: u64,
    pub(crate) skipped: u64,
    /// "JSON array" or "JSON Lines".
    pub(crate) shape: &'static str,
}

/// Reads listings from JSON Lines or a JSON array in `r` (UTF-8).
pub(crate) fn read(
    r: &mut dyn BufRead,
    shown: &str,
    cols: &Columns,
    sink: &mut dyn Sink,
) -> io::Result<JsonStats> {
    let mut lx = Lexer {
        r,
        line: 1,
        budget: MAX_LISTING_TEXT,
    };
    let mut stats = JsonStats {
        shape: "JSON Lines",
        ..JsonStats::default()
    };
    let skip = |sink: &mut dyn Sink, stats: &mut JsonStats, line: u64, reason: String| {
        stats.skipped += 1;
        sink_skipped(sink, shown, line, reason);
    };
    let io_err = |e: JsonError| match e {
        JsonError::Io(e) => Err(e),
        JsonError::Syntax { .. } => Ok(()),
    };
    let first = match lx.skip_ws() {
        Ok(b) => b,
        Err(e) => return io_err(e).map(|_| stats),
    };
    let array = first == Some(b'[');
    if array {
        stats.shape = "JSON array";
        let _ = lx.bump();
    }
    let mut first_item = true;
    loop {
        // Between items: end, separators.
        let next = match lx.skip_ws() {
            Ok(b) => b,
            Err(e) => {
                io_err(e)?;
                break;
            }
        };
        if array {
            match next {
                Some(b']') => break,
                Some(b',') if !first_item => {
                    let _ = lx.bump();
                }
                None => {
                    skip(
                        sink,
                        &mut stats,
                        lx.line,
                        "the JSON array is not closed with ']': the file may be cut short".into(),
                    );
                    break;
                }
                _ if first_item => {}
                Some(b) => {
                    skip(
                        sink,
                        &mut stats,
                        lx.line,
                        format!(
                            "invalid JSON (expected ',' or ']', found '{}'); the rest of the file is not read",
                            b as char
                        ),
                    );
                    break;
                }
            }
            if next == Some(b',') && lx.skip_ws().ok().flatten() == Some(b']') {
                let _ = lx.bump();
                break; // a trailing comma
            }
        } else if next.is_none() {
            break;
        }
        first_item = false;
        let start = match lx.skip_ws() {
            Ok(_) => lx.line,
            Err(e) => {
                io_err(e)?;
                break;
            }
        };
        let is_object = matches!(lx.peek(), Ok(Some(b'{')));
        lx.budget = MAX_LISTING_TEXT;
        let mut row = RowBuilder::new(cols);
        match lx.value(&mut row, "", 0) {
            Ok(_) if is_object => {
                stats.rows += 1;
                sink.listing(row.finish(shown, Some(start), None));
            }
            Ok(_) => skip(sink, &mut stats, start, "not a JSON object".into()),
            Err(JsonError::Io(e)) => return Err(e),
            Err(JsonError::Syntax { line, what }) => {
                if array {
                    skip(
                        sink,
                        &mut stats,
                        line,
                        format!("invalid JSON ({what}); the rest of the file is not read"),
                    );
                    break;
                }
                skip(
                    sink,
                    &mut stats,
                    start,
                    format!("invalid JSON ({what}, line {line})"),
                );
                if lx.line == line
                    && let Err(e) = lx.skip_line()
                {
                    io_err(e)?;
                    break;
                }
            }
        }
    }
    Ok(stats)
}

fn sink_skipped(sink: &mut dyn Sink, shown: &str, line: u64, reason: String) {
    sink.skipped(Skipped {
        path: shown.to_string(),
        line: Some(line),
        reason,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::input::Collect;

    fn run(text: &str) -> (Collect, JsonStats) {
        let mut c = Collect::default();
        let mut r = io::Cursor::new(text.as_bytes());
        let s = read(&mut r, "t.json", &Columns::default(), &mut c).unwrap();
        (c, s)
    }

    #[test]
    fn json_lines_with_a_bad_line() {
        let (c, s) = run(
            "{\"id\":\"a\",\"title\":\"ivory \\u00e9\\ud83d\\udc18\"}\nnot json\n{\"id\":2,\"t\":\"x\",\"n\":[\"p\",{\"q\":\"r\"}],\"o\":{\"k\":\"v\"}}\n[1]\n",
        );
        assert_eq!((s.rows, s.skipped), (2, 2), "{:?}", c.skipped);
        assert_eq!(c.rows[0].text, "ivory é🐘");
        assert_eq!(c.rows[1].id.as_deref(), Some("2"));
        assert_eq!(c.rows[1].line, Some(3));
        assert!(c.rows[1].fields.iter().any(|(k, v)| k == "o.k" && v == "v"));
        assert!(c.rows[1].fields.iter().any(|(k, v)| k == "n" && v == "p"));
        assert!(c.rows[1].fields.iter().any(|(k, v)| k == "n.q" && v == "r"));
        assert_eq!(c.skipped[0].line, Some(2));
        assert_eq!(c.skipped[1].reason, "not a JSON object");
    }

    #[test]
    fn a_pretty_printed_array() {
        let (c, s) = run(
            "[\n  {\n    \"id\": \"a\",\n    \"title\": \"象牙\"\n  },\n  {\n    \"id\": \"b\"\n  }\n]\n",
        );
        assert_eq!((s.rows, s.skipped, s.shape), (2, 0, "JSON array"));
        assert_eq!(c.rows[0].line, Some(2));
        assert_eq!(c.rows[1].line, Some(6));
        let (c, s) = run("[{\"id\":\"a\"}, {\"id\": oops}, {\"id\":\"c\"}]");
        assert_eq!((s.rows, s.skipped), (1, 1));
        assert!(c.skipped[0].reason.contains("rest of the file"));
    }
}
