//! A streaming WARC reader used by `verify` to recompute record digests.

use super::digest::HttpDigester;
use flate2::read::MultiGzDecoder;
use std::io::{self, BufRead, BufReader, Read};

/// One record's headers and recomputed digests.
#[derive(Debug, Clone)]
pub struct CheckedRecord {
    pub index: usize,
    pub headers: Vec<(String, String)>,
    pub block_sha256: String,
    pub payload_sha256: Option<String>,
}

impl CheckedRecord {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads every record of a (gzipped or plain) WARC stream, computing the
/// SHA-256 of each block and, for `application/http` blocks, of the payload.
/// Memory use does not depend on record size.
pub fn read_all(input: impl Read, gzipped: bool) -> io::Result<Vec<CheckedRecord>> {
    let inner: Box<dyn Read> = if gzipped {
        Box::new(MultiGzDecoder::new(input))
    } else {
        Box::new(input)
    };
    let mut r = BufReader::with_capacity(1 << 16, inner);
    let mut out = Vec::new();
    let mut line = Vec::new();
    loop {
        // Skip blank lines between records; stop at end of stream.
        line.clear();
        let n = read_line_limited(&mut r, &mut line)?;
        if n == 0 {
            return Ok(out);
        }
        if line == b"\r\n" || line == b"\n" {
            continue;
        }
        if !line.starts_with(b"WARC/") {
            return Err(bad(format!(
                "record {}: expected a WARC version line, found {:?}",
                out.len() + 1,
                String::from_utf8_lossy(&line[..line.len().min(40)])
            )));
        }
        let mut headers = Vec::new();
        loop {
            line.clear();
            if read_line_limited(&mut r, &mut line)? == 0 {
                return Err(bad(format!("record {}: headers cut short", out.len() + 1)));
            }
            if line == b"\r\n" || line == b"\n" {
                break;
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches(['\r', '\n']);
            match text.split_once(':') {
                Some((n, v)) => headers.push((n.trim().to_string(), v.trim().to_string())),
                None => {
                    return Err(bad(format!(
                        "record {}: malformed header line {text:?}",
                        out.len() + 1
                    )));
                }
            }
        }
        let len: u64 = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
            .and_then(|(_, v)| v.parse().ok())
            .ok_or_else(|| bad(format!("record {}: no valid Content-Length", out.len() + 1)))?;
        let is_http = headers.iter().any(|(n, v)| {
            n.eq_ignore_ascii_case("Content-Type") && v.starts_with("application/http")
        });
        let mut digester = HttpDigester::new();
        let mut left = len;
        while left > 0 {
            let buf = r.fill_buf()?;
            if buf.is_empty() {
                return Err(bad(format!(
                    "record {}: block cut short ({} of {} bytes)",
                    out.len() + 1,
                    len - left,
                    len
                )));
            }
            let n = (buf.len() as u64).min(left) as usize;
            digester.update(&buf[..n]);
            r.consume(n);
            left -= n as u64;
        }
        let d = digester.finish();
        out.push(CheckedRecord {
            index: out.len() + 1,
            headers,
            block_sha256: d.block_sha256,
            payload_sha256: if is_http { d.payload_sha256 } else { None },
        });
    }
}

fn read_line_limited(r: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<usize> {
    let n = r.take(64 * 1024).read_until(b'\n', line)?;
    if n == 64 * 1024 && line.last() != Some(&b'\n') {
        return Err(bad("a WARC header line is longer than 64 KiB".into()));
    }
    Ok(n)
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Opens the block of the record whose `WARC-Record-ID` is `record_id` as a
/// stream (other records are skipped without being kept in memory).
/// Returns `None` if there is no such record.
pub fn open_block(
    input: impl Read + 'static,
    record_id: &str,
) -> io::Result<Option<Box<dyn Read>>> {
    let mut r = BufReader::with_capacity(1 << 16, MultiGzDecoder::new(input));
    let mut line = Vec::new();
    loop {
        line.clear();
        if read_line_limited(&mut r, &mut line)? == 0 {
            return Ok(None);
        }
        if line == b"\r\n" || line == b"\n" {
            continue;
        }
        if !line.starts_with(b"WARC/") {
            return Err(bad("expected a WARC version line".into()));
        }
        let mut id = String::new();
        let mut len: Option<u64> = None;
        loop {
            line.clear();
            if read_line_limited(&mut r, &mut line)? == 0 {
                return Err(bad("record headers cut short".into()));
            }
            if line == b"\r\n" || line == b"\n" {
                break;
            }
            let text = String::from_utf8_lossy(&line);
            if let Some((n, v)) = text.trim_end_matches(['\r', '\n']).split_once(':') {
                if n.trim().eq_ignore_ascii_case("WARC-Record-ID") {
                    id = v.trim().to_string();
                } else if n.trim().eq_ignore_ascii_case("Content-Length") {
                    len = v.trim().parse().ok();
                }
            }
        }
        let len = len.ok_or_else(|| bad("record without Content-Length".into()))?;
        if id == record_id {
            return Ok(Some(Box::new(r.take(len))));
        }
        let skipped = io::copy(&mut (&mut r).take(len), &mut io::sink())?;
        if skipped != len {
            return Err(bad("record block cut short".into()));
        }
    }
}
