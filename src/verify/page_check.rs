//! Checks that `data/page.<ext>` is what the final response in the WARC
//! decodes to: the page file and the raw exchange must tell the same story.

use flate2::read::{MultiGzDecoder, ZlibDecoder};
use sha2::{Digest, Sha256};
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// Returns `Ok(())` when the page matches, or a description of why not.
/// `Err` with an `io::Error` means the check could not be made.
pub fn page_matches_warc(
    bundle: &Path,
    capture: &serde_json::Value,
) -> Result<Result<(), String>, io::Error> {
    let Some(page_file) = capture
        .get("page")
        .and_then(|p| p.get("file"))
        .and_then(|f| f.as_str())
    else {
        return Ok(Ok(())); // no page was received
    };
    let Some(last_hop) = capture
        .get("hops")
        .and_then(|h| h.as_array())
        .and_then(|h| h.last())
    else {
        return Ok(Err("capture.json lists no hops".into()));
    };
    let Some(record_id) = last_hop
        .get("warc_response_record_id")
        .and_then(|v| v.as_str())
    else {
        return Ok(Err(
            "capture.json names no WARC response record for the page".into(),
        ));
    };
    let encoding = capture
        .get("page")
        .and_then(|p| p.get("content_encoding"))
        .and_then(|v| v.as_str())
        .unwrap_or("");
    let max = capture
        .get("settings")
        .and_then(|s| s.get("max_bytes"))
        .and_then(|v| v.as_u64())
        .unwrap_or(u64::MAX);

    let warc = crate::fsutil::open_regular_nofollow(&bundle.join("data/capture.warc.gz"))?;
    let Some(block) = crate::warc::reader::open_block(warc, record_id)? else {
        return Ok(Err(format!("the WARC has no record {record_id}")));
    };
    let mut block = BufReader::new(block);
    // Skip the HTTP head (CRLF or bare LF lines), and any informational
    // (1xx) heads before it, noting chunked framing.
    let mut chunked = false;
    let mut first_line = true;
    let mut informational = false;
    loop {
        let mut line = Vec::new();
        if block
            .by_ref()
            .take(64 * 1024)
            .read_until(b'\n', &mut line)?
            == 0
        {
            return Ok(Err(
                "the WARC response record has no complete HTTP head".into()
            ));
        }
        if first_line {
            let code = String::from_utf8_lossy(&line)
                .split_whitespace()
                .nth(1)
                .and_then(|c| c.parse::<u16>().ok())
                .unwrap_or(0);
            informational = (100..200).contains(&code) && code != 101;
            first_line = false;
            continue;
        }
        if line == b"\r\n" || line == b"\n" {
            if informational {
                first_line = true;
                chunked = false;
                continue;
            }
            break;
        }
        let text = String::from_utf8_lossy(&line).to_ascii_lowercase();
        if let Some((n, v)) = text.split_once(':')
            && n.trim() == "transfer-encoding"
            && v.split(',').any(|t| t.trim() == "chunked")
        {
            chunked = true;
        }
    }
    let body: Box<dyn Read> = if chunked {
        Box::new(Dechunk::new(block))
    } else {
        Box::new(block)
    };
    let body = body.take(max);
    let codings: Vec<String> = encoding
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect();
    let mut decoded: Box<dyn Read> = Box::new(body);
    if codings
        .iter()
        .all(|c| matches!(c.as_str(), "gzip" | "x-gzip" | "deflate"))
    {
        for c in codings.iter().rev() {
            decoded = match c.as_str() {
                "deflate" => Box::new(ZlibDecoder::new(decoded)),
                _ => Box::new(MultiGzDecoder::new(decoded)),
            };
        }
    }
    let mut decoded = decoded.take(max);
    // Hash what decodes; a decoding error ends the stream, as it ended the
    // page when it was written.
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match decoded.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    let from_warc = hex::encode(h.finalize());
    let (on_disk, _) = crate::hash::sha256_file(&bundle.join(page_file))?;
    if from_warc == on_disk {
        Ok(Ok(()))
    } else {
        Ok(Err(format!(
            "does not match the final response recorded in data/capture.warc.gz (decoded SHA-256 {from_warc})"
        )))
    }
}

/// Removes HTTP/1.1 chunked framing. A stream that ends early yields the
/// data received so far, as the fetcher stored it.
struct Dechunk<R> {
    inner: R,
    left: u64,
    done: bool,
}

impl<R: BufRead> Dechunk<R> {
    fn new(inner: R) -> Self {
        Dechunk {
            inner,
            left: 0,
            done: false,
        }
    }

    fn next_size(&mut self) -> io::Result<Option<u64>> {
        let mut line = Vec::new();
        if self
            .inner
            .by_ref()
            .take(4096)
            .read_until(b'\n', &mut line)?
            == 0
        {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&line);
        let hexpart = text
            .trim()
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        Ok(u64::from_str_radix(&hexpart, 16).ok())
    }
}

impl<R: BufRead> Read for Dechunk<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.done || out.is_empty() {
                return Ok(0);
            }
            if self.left > 0 {
                let want = (out.len() as u64).min(self.left) as usize;
                let n = self.inner.read(&mut out[..want])?;
                if n == 0 {
                    self.done = true;
                    return Ok(0);
                }
                self.left -= n as u64;
                if self.left == 0 {
                    // The CRLF after the chunk data.
                    let mut crlf = Vec::new();
                    self.inner.by_ref().take(2).read_until(b'\n', &mut crlf)?;
                }
                return Ok(n);
            }
            match self.next_size()? {
                Some(0) | None => {
                    self.done = true;
                    return Ok(0);
                }
                Some(size) => self.left = size,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dechunk_removes_framing_and_keeps_partial_data() {
        let mut out = String::new();
        Dechunk::new(&b"5;x=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "hello world");
        let mut out = String::new();
        Dechunk::new(&b"5\r\nhello\r\n6\r\n wo"[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "hello wo");
    }
}
