//! The one WARC reader, in two explicit modes:
//!
//! - [`Mode::Strict`] (verify): between records only empty lines; each
//!   record starts with a `WARC/` version line; every header line is
//!   `Name: value`; `Content-Length` is required and decimal; a block cut
//!   short is an error.
//! - [`Mode::Lenient`] (sweep, reading WARCs from anywhere): anything
//!   before a `WARC/` line is skipped, header lines without a colon are
//!   ignored, a missing or bad `Content-Length` means an empty block, a
//!   block cut short ends the file.
//!
//! Both accept any header line up to [`MAX_HEADER_LINE`] bytes (the
//! writer refuses to write longer ones, so every WARC warden writes reads
//! back) and lines continued with a leading space or tab. Memory use does
//! not depend on block sizes.

use super::digest::HttpDigester;
use flate2::read::MultiGzDecoder;
use std::io::{self, BufRead, BufReader, Read};

/// Longest WARC header line read (or written), line ending included.
pub(crate) const MAX_HEADER_LINE: usize = 2 << 20;

/// Most bytes of all header lines of one record.
pub(crate) const MAX_RECORD_HEADER: usize = 8 << 20;

/// How forgiving the reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Strict,
    Lenient,
}

/// One record's headers.
#[derive(Debug, Clone)]
pub(crate) struct RecordHead {
    /// 1-based position in the file.
    pub index: usize,
    pub headers: Vec<(String, String)>,
}

impl RecordHead {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads records one after another.
pub(crate) struct WarcReader<'a> {
    r: BufReader<Box<dyn Read + 'a>>,
    mode: Mode,
    index: usize,
    /// Unread bytes of the current block.
    left: u64,
    done: bool,
}

impl<'a> WarcReader<'a> {
    /// A reader of a gzipped (`gzipped`) or plain WARC stream.
    pub(crate) fn new(input: impl Read + 'a, gzipped: bool, mode: Mode) -> Self {
        let inner: Box<dyn Read + 'a> = if gzipped {
            Box::new(MultiGzDecoder::new(input))
        } else {
            Box::new(input)
        };
        WarcReader {
            r: BufReader::with_capacity(1 << 16, inner),
            mode,
            index: 0,
            left: 0,
            done: false,
        }
    }

    /// The next record's headers; `None` at the end of the file. The rest
    /// of the previous block, if unread, is skipped.
    pub(crate) fn next_record(&mut self) -> io::Result<Option<RecordHead>> {
        if self.done {
            return Ok(None);
        }
        self.skip_block()?;
        if self.done {
            return Ok(None);
        }
        let strict = self.mode == Mode::Strict;
        let record = self.index + 1;
        let mut line = Vec::new();
        // Up to the version line.
        loop {
            line.clear();
            if self.read_line(&mut line, record)? == 0 {
                self.done = true;
                return Ok(None);
            }
            if line.starts_with(b"WARC/") {
                break;
            }
            if strict && trim_eol(&line).is_empty() {
                continue;
            }
            if strict {
                return Err(bad(format!(
                    "record {record}: expected a WARC version line, found {:?}",
                    String::from_utf8_lossy(&line[..line.len().min(40)])
                )));
            }
        }
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut total = line.len();
        loop {
            line.clear();
            let n = self.read_line(&mut line, record)?;
            if n == 0 {
                if strict {
                    return Err(bad(format!("record {record}: headers cut short")));
                }
                self.done = true;
                return Ok(None);
            }
            total += n;
            if total > MAX_RECORD_HEADER {
                return Err(bad(format!(
                    "record {record}: the headers are longer than {MAX_RECORD_HEADER} bytes"
                )));
            }
            let text = String::from_utf8_lossy(trim_eol(&line)).into_owned();
            if text.is_empty() {
                break;
            }
            if text.starts_with([' ', '\t']) {
                if let Some((_, v)) = headers.last_mut() {
                    v.push(' ');
                    v.push_str(text.trim());
                    continue;
                }
            } else if let Some((n, v)) = text.split_once(':') {
                headers.push((n.trim().to_string(), v.trim().to_string()));
                continue;
            }
            if strict {
                let shown: String = text.chars().take(80).collect();
                return Err(bad(format!(
                    "record {record}: malformed header line {shown:?}"
                )));
            }
        }
        let length = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
            .and_then(|(_, v)| {
                v.bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| v.parse::<u64>().ok())
                    .flatten()
            });
        let length = match length {
            Some(l) => l,
            None if strict => {
                return Err(bad(format!("record {record}: no valid Content-Length")));
            }
            None => 0,
        };
        self.index = record;
        self.left = length;
        Ok(Some(RecordHead {
            index: record,
            headers,
        }))
    }

    /// The current record's block (what is left of it).
    pub(crate) fn block(&mut self) -> Block<'_, 'a> {
        Block { reader: self }
    }

    fn skip_block(&mut self) -> io::Result<()> {
        let want = self.left;
        let skipped = io::copy(&mut self.block(), &mut io::sink())?;
        if skipped < want {
            self.cut_short(want - skipped)?;
        }
        Ok(())
    }

    fn cut_short(&mut self, missing: u64) -> io::Result<()> {
        self.left = 0;
        self.done = true;
        if self.mode == Mode::Strict {
            return Err(bad(format!(
                "record {}: block cut short ({missing} bytes missing)",
                self.index
            )));
        }
        Ok(())
    }

    fn read_line(&mut self, line: &mut Vec<u8>, record: usize) -> io::Result<usize> {
        let n = (&mut self.r)
            .take(MAX_HEADER_LINE as u64)
            .read_until(b'\n', line)?;
        if n == MAX_HEADER_LINE && line.last() != Some(&b'\n') {
            return Err(bad(format!(
                "record {record}: a WARC header line is longer than {MAX_HEADER_LINE} bytes"
            )));
        }
        Ok(n)
    }
}

/// The unread part of the current record's block.
pub(crate) struct Block<'r, 'a> {
    reader: &'r mut WarcReader<'a>,
}

impl Read for Block<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let r = &mut *self.reader;
        if r.left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(r.left) as usize;
        let n = r.r.read(&mut buf[..want])?;
        if n == 0 {
            let missing = r.left;
            r.cut_short(missing)?;
            return Ok(0);
        }
        r.left -= n as u64;
        Ok(n)
    }
}

fn trim_eol(l: &[u8]) -> &[u8] {
    let l = l.strip_suffix(b"\n").unwrap_or(l);
    l.strip_suffix(b"\r").unwrap_or(l)
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// One record's headers and recomputed digests.
#[derive(Debug, Clone)]
pub(crate) struct CheckedRecord {
    pub index: usize,
    pub headers: Vec<(String, String)>,
    pub block_sha256: String,
    pub payload_sha256: Option<String>,
}

impl CheckedRecord {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// [`read_all_tee`] without a tee.
#[cfg(test)]
pub(crate) fn read_all(input: impl Read, gzipped: bool) -> io::Result<Vec<CheckedRecord>> {
    read_all_tee(input, gzipped, None)
}

/// A copy of one record's block taken while [`read_all_tee`] reads it.
pub(crate) struct Tee<'a> {
    /// The `WARC-Record-ID` of the record to copy (the first one with it).
    pub(crate) record_id: &'a str,
    /// Called with each piece of the block, then once with an empty slice
    /// when the block has been read to its end.
    pub(crate) sink: &'a mut dyn FnMut(&[u8]),
}

/// Reads every record of a (gzipped or plain) WARC stream strictly,
/// computing the SHA-256 of each block and, for `application/http` blocks,
/// of the payload; also hands the block of one record to `tee` as it is
/// read, so that a caller can check it without reading the WARC twice.
pub(crate) fn read_all_tee(
    input: impl Read,
    gzipped: bool,
    mut tee: Option<Tee<'_>>,
) -> io::Result<Vec<CheckedRecord>> {
    let mut reader = WarcReader::new(input, gzipped, Mode::Strict);
    let mut out = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    while let Some(head) = reader.next_record()? {
        let is_http = head
            .header("Content-Type")
            .is_some_and(|v| v.starts_with("application/http"));
        let copy = match &tee {
            Some(t) => head.header("WARC-Record-ID") == Some(t.record_id),
            None => false,
        };
        let mut digester = HttpDigester::new();
        let mut block = reader.block();
        loop {
            let n = block.read(&mut buf)?;
            if n == 0 {
                break;
            }
            digester.update(&buf[..n]);
            if copy && let Some(t) = &mut tee {
                (t.sink)(&buf[..n]);
            }
        }
        if copy && let Some(t) = tee.take() {
            (t.sink)(&[]);
        }
        let d = digester.finish();
        out.push(CheckedRecord {
            index: head.index,
            headers: head.headers,
            block_sha256: d.block_sha256,
            payload_sha256: if is_http { d.payload_sha256 } else { None },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &[u8] = b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 3\r\n\r\nabc\r\n\r\n\
WARC/1.1\r\nWARC-Type: metadata\r\nX-Fold: a\r\n b\r\nContent-Length: 2\r\n\r\nxy\r\n\r\n";

    fn all(input: &[u8], mode: Mode) -> io::Result<Vec<(RecordHead, Vec<u8>)>> {
        let mut r = WarcReader::new(input, false, mode);
        let mut out = Vec::new();
        while let Some(h) = r.next_record()? {
            let mut b = Vec::new();
            r.block().read_to_end(&mut b)?;
            out.push((h, b));
        }
        Ok(out)
    }

    #[test]
    fn both_modes_read_a_good_file() {
        for mode in [Mode::Strict, Mode::Lenient] {
            let recs = all(TWO, mode).unwrap();
            assert_eq!(recs.len(), 2);
            assert_eq!(recs[0].1, b"abc");
            assert_eq!(recs[1].0.header("x-fold"), Some("a b"));
            assert_eq!(recs[1].1, b"xy");
        }
    }

    #[test]
    fn strict_refuses_what_lenient_skips() {
        let mut junk = b"junk line\r\n".to_vec();
        junk.extend_from_slice(TWO);
        assert!(all(&junk, Mode::Strict).is_err());
        assert_eq!(all(&junk, Mode::Lenient).unwrap().len(), 2);
        let cut = &TWO[..TWO.len() - 6];
        assert!(all(cut, Mode::Strict).is_err());
        assert_eq!(all(cut, Mode::Lenient).unwrap().len(), 2);
    }

    #[test]
    fn long_header_lines_round_trip() {
        let url = format!("http://127.0.0.1/{}", "a".repeat(1 << 20));
        let mut out = Vec::new();
        super::super::WarcWriter::new(&mut out)
            .write_bytes(&[("WARC-Target-URI", url.clone())], b"hi")
            .unwrap();
        let recs = read_all(&out[..], true).unwrap();
        assert_eq!(recs[0].header("WARC-Target-URI"), Some(url.as_str()));
        let too_long = "a".repeat(MAX_HEADER_LINE);
        assert!(
            super::super::WarcWriter::new(Vec::new())
                .write_bytes(&[("WARC-Target-URI", too_long)], b"")
                .is_err()
        );
    }
}
