//! Streaming digests of an HTTP message as stored in a WARC record block.
//!
//! `WARC-Block-Digest` covers the whole block. `WARC-Payload-Digest` covers
//! the entity body with any chunked transfer-encoding removed and any
//! content-encoding kept (WARC 1.1 §5.9). The same code computes the digests
//! when writing and when verifying, so both agree by construction; outside
//! validators (warcio) check them independently.

use sha2::{Digest, Sha256};

/// Incremental SHA-256 of a record block and of the HTTP payload inside it.
pub struct HttpDigester {
    block: Sha256,
    block_len: u64,
    payload: Sha256,
    payload_len: u64,
    state: State,
    head: Vec<u8>,
    chunked: bool,
}

enum State {
    /// Collecting the status line and headers.
    Head,
    /// Plain body: everything after the head is payload.
    Body,
    /// Chunked body.
    Chunk(ChunkState),
    /// The head was larger than we are willing to buffer; payload unknown.
    Overflow,
}

enum ChunkState {
    Size(Vec<u8>),
    Data(u64),
    DataCr,
    DataLf,
    Trailer(Vec<u8>),
    Done,
}

const MAX_HEAD: usize = 1 << 20;

impl Default for HttpDigester {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpDigester {
    pub fn new() -> Self {
        HttpDigester {
            block: Sha256::new(),
            block_len: 0,
            payload: Sha256::new(),
            payload_len: 0,
            state: State::Head,
            head: Vec::new(),
            chunked: false,
        }
    }

    pub fn update(&mut self, mut data: &[u8]) {
        self.block.update(data);
        self.block_len += data.len() as u64;
        while !data.is_empty() {
            match &mut self.state {
                State::Head => {
                    // Find the end of the head ("\r\n\r\n"), tolerating a
                    // boundary that falls between two updates.
                    let before = self.head.len();
                    let take = data.len().min(MAX_HEAD + 4 - before.min(MAX_HEAD));
                    self.head.extend_from_slice(&data[..take]);
                    if let Some(end) = find(&self.head, b"\r\n\r\n") {
                        let body_start = end + 4;
                        let consumed = body_start - before;
                        self.chunked = header_is_chunked(&self.head[..end]);
                        self.head.truncate(body_start);
                        self.state = if self.chunked {
                            State::Chunk(ChunkState::Size(Vec::new()))
                        } else {
                            State::Body
                        };
                        data = &data[consumed..];
                    } else if self.head.len() > MAX_HEAD {
                        self.state = State::Overflow;
                        return;
                    } else {
                        data = &data[take..];
                    }
                }
                State::Body => {
                    self.payload.update(data);
                    self.payload_len += data.len() as u64;
                    return;
                }
                State::Overflow => return,
                State::Chunk(cs) => {
                    let (used, out) = step_chunk(cs, data);
                    if let Some(range) = out {
                        let bytes = &data[range];
                        self.payload.update(bytes);
                        self.payload_len += bytes.len() as u64;
                    }
                    data = &data[used..];
                }
            }
        }
    }

    /// Lowercase hex digests: (block, payload). The payload digest is `None`
    /// when the block holds no complete HTTP head.
    pub fn finish(self) -> DigestResult {
        let has_payload = !matches!(self.state, State::Head | State::Overflow);
        DigestResult {
            block_sha256: hex::encode(self.block.finalize()),
            block_len: self.block_len,
            payload_sha256: has_payload.then(|| hex::encode(self.payload.finalize())),
            payload_len: self.payload_len,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DigestResult {
    pub block_sha256: String,
    pub block_len: u64,
    pub payload_sha256: Option<String>,
    pub payload_len: u64,
}

/// SHA-256 of a plain block (no HTTP inside).
pub fn block_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn header_is_chunked(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    text.split("\r\n").skip(1).any(|line| {
        let mut parts = line.splitn(2, ':');
        let name = parts.next().unwrap_or("").trim();
        let value = parts.next().unwrap_or("");
        name.eq_ignore_ascii_case("transfer-encoding")
            && value
                .split(',')
                .any(|v| v.trim().eq_ignore_ascii_case("chunked"))
    })
}

/// Advances the chunked decoder over `data`; returns how many bytes were
/// used and which of them (if any) are payload.
fn step_chunk(cs: &mut ChunkState, data: &[u8]) -> (usize, Option<std::ops::Range<usize>>) {
    match cs {
        ChunkState::Size(line) => {
            for (i, &b) in data.iter().enumerate() {
                if b == b'\n' {
                    let text = String::from_utf8_lossy(line);
                    let hexpart = text.trim_end_matches('\r');
                    let hexpart = hexpart.split(';').next().unwrap_or("").trim();
                    let size = u64::from_str_radix(hexpart, 16).unwrap_or(0);
                    *cs = if size == 0 {
                        ChunkState::Trailer(Vec::new())
                    } else {
                        ChunkState::Data(size)
                    };
                    return (i + 1, None);
                }
                if line.len() < 1024 {
                    line.push(b);
                }
            }
            (data.len(), None)
        }
        ChunkState::Data(left) => {
            let n = (*left).min(data.len() as u64) as usize;
            *left -= n as u64;
            if *left == 0 {
                *cs = ChunkState::DataCr;
            }
            (n, Some(0..n))
        }
        ChunkState::DataCr => {
            *cs = if data[0] == b'\r' {
                ChunkState::DataLf
            } else if data[0] == b'\n' {
                ChunkState::Size(Vec::new())
            } else {
                // Malformed framing: treat the byte as the next size line.
                ChunkState::Size(Vec::new())
            };
            if data[0] == b'\r' || data[0] == b'\n' {
                (1, None)
            } else {
                (0, None)
            }
        }
        ChunkState::DataLf => {
            *cs = ChunkState::Size(Vec::new());
            (if data[0] == b'\n' { 1 } else { 0 }, None)
        }
        ChunkState::Trailer(line) => {
            for (i, &b) in data.iter().enumerate() {
                if b == b'\n' {
                    let empty = line.iter().all(|&c| c == b'\r');
                    line.clear();
                    if empty {
                        *cs = ChunkState::Done;
                        return (i + 1, None);
                    }
                } else if line.len() < 1024 {
                    line.push(b);
                }
            }
            (data.len(), None)
        }
        ChunkState::Done => (data.len(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest_in_pieces(msg: &[u8], piece: usize) -> DigestResult {
        let mut d = HttpDigester::new();
        for c in msg.chunks(piece) {
            d.update(c);
        }
        d.finish()
    }

    #[test]
    fn plain_body_payload_is_body() {
        let msg = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        for piece in 1..msg.len() {
            let r = digest_in_pieces(msg, piece);
            assert_eq!(r.payload_sha256.unwrap(), block_sha256(b"hello"));
            assert_eq!(r.block_sha256, block_sha256(msg));
        }
    }

    #[test]
    fn chunked_body_is_dechunked() {
        let msg = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n";
        for piece in 1..msg.len() {
            let r = digest_in_pieces(msg, piece);
            assert_eq!(
                r.payload_sha256.as_deref(),
                Some(block_sha256(b"hello world").as_str()),
                "piece size {piece}"
            );
            assert_eq!(r.payload_len, 11);
        }
    }

    #[test]
    fn no_head_means_no_payload_digest() {
        let r = digest_in_pieces(b"HTTP/1.1 200 OK\r\nContent-Le", 3);
        assert!(r.payload_sha256.is_none());
    }
}
