//! Undoing `Content-Encoding`, as a browser does, streaming.
//!
//! - `gzip` / `x-gzip`: one or more gzip members; bytes after the last
//!   member that do not start another member are ignored;
//! - `deflate`: zlib-wrapped (RFC 1950) when the first two bytes are a valid
//!   zlib header, raw deflate (RFC 1951) otherwise;
//! - `br`: Brotli;
//! - `identity` and empty items: nothing to undo;
//! - a list (`gzip, br`) was applied left to right and is undone right to
//!   left; at most [`MAX_CODINGS`] codings.
//!
//! A coding warden cannot undo leaves the body as received. Every decoder
//! uses bounded memory; callers bound the output (`Read::take`), so a
//! decompression bomb stops at the size limit.

use flate2::bufread::{DeflateDecoder, GzDecoder, ZlibDecoder};
use std::io::{self, BufRead, Read};

/// Most content codings undone for one body.
pub(crate) const MAX_CODINGS: usize = 4;

/// Why the body is stored as received.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CodingError {
    #[error("the Content-Encoding {0:?} is not supported")]
    Unsupported(String),
    #[error("more than {max} content codings are stacked", max = MAX_CODINGS)]
    TooMany,
}

/// The content codings of a `Content-Encoding` value (all headers' values
/// joined with ", "), in the order applied, `identity` dropped, lowercased.
pub(crate) fn content_codings(content_encoding: Option<&str>) -> Vec<String> {
    content_encoding
        .unwrap_or("")
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect()
}

/// Whether warden can undo `codings`.
pub(crate) fn check_codings(codings: &[String]) -> Result<(), CodingError> {
    if codings.len() > MAX_CODINGS {
        return Err(CodingError::TooMany);
    }
    match codings
        .iter()
        .find(|c| !matches!(c.as_str(), "gzip" | "x-gzip" | "deflate" | "br"))
    {
        Some(c) => Err(CodingError::Unsupported(c.clone())),
        None => Ok(()),
    }
}

/// A reader of `body` with `codings` undone.
pub(crate) fn decoder<'a>(
    body: Box<dyn Read + 'a>,
    codings: &[String],
) -> Result<Box<dyn Read + 'a>, CodingError> {
    check_codings(codings)?;
    let mut r = body;
    for c in codings.iter().rev() {
        let buffered = FullBuf::new(r);
        r = match c.as_str() {
            "gzip" | "x-gzip" => Box::new(GzipMembers::new(buffered)),
            "deflate" => Box::new(Deflate::new(buffered)),
            _ => Box::new(brotli_decompressor::Decompressor::new(buffered, BUF)),
        };
    }
    Ok(r)
}

/// Size of every buffer between decoders and of the copy buffer.
const BUF: usize = 64 * 1024;

/// Copies what `r` yields into `sink`, at most `max` bytes, in pieces of a
/// fixed size. A read error ends the copy (what came before is kept) and is
/// returned in [`Copied::error`]: capture and verify, copying the same
/// bytes this way, end at the same byte.
pub(crate) fn copy_decoded(
    r: &mut dyn Read,
    max: u64,
    sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<Copied> {
    let mut buf = vec![0u8; BUF];
    let mut c = Copied::default();
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                c.error = Some(e.to_string());
                break;
            }
        };
        let take = (n as u64).min(max - c.size) as usize;
        sink(&buf[..take])?;
        c.size += take as u64;
        if take < n {
            c.truncated = true;
            break;
        }
    }
    Ok(c)
}

/// What [`copy_decoded`] did.
#[derive(Debug, Clone, Default)]
pub(crate) struct Copied {
    pub size: u64,
    /// Stopped at the size bound.
    pub truncated: bool,
    /// Decoding failed part-way.
    pub error: Option<String>,
}

/// A buffered reader whose buffer is always filled completely (unless the
/// input ends), so what a decoder sees does not depend on how the bytes
/// happened to arrive: the same bytes decode to the same output, up to the
/// same point of any error, in capture and in verify.
pub(crate) struct FullBuf<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
}

impl<R: Read> FullBuf<R> {
    pub(crate) fn new(inner: R) -> Self {
        FullBuf {
            inner,
            buf: vec![0; BUF].into_boxed_slice(),
            pos: 0,
            len: 0,
        }
    }
}

impl<R: Read> Read for FullBuf<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let b = self.fill_buf()?;
            let n = b.len().min(out.len());
            out[..n].copy_from_slice(&b[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for FullBuf<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.len {
            self.pos = 0;
            self.len = 0;
            while self.len < self.buf.len() {
                match self.inner.read(&mut self.buf[self.len..]) {
                    Ok(0) => break,
                    Ok(n) => self.len += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if self.len == 0 => return Err(e),
                    // Serve what came before the error; it recurs next time.
                    Err(_) => break,
                }
            }
        }
        Ok(&self.buf[self.pos..self.len])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.len);
    }
}

/// gzip members one after another; trailing bytes that do not start a
/// member end the stream.
struct GzipMembers<R: BufRead> {
    state: Gz<R>,
}

enum Gz<R: BufRead> {
    Member(Box<GzDecoder<Peeked<R>>>),
    Between(Peeked<R>),
    Done,
}

impl<R: BufRead> GzipMembers<R> {
    fn new(r: R) -> Self {
        GzipMembers {
            state: Gz::Member(Box::new(GzDecoder::new(Peeked {
                front: Vec::new(),
                inner: r,
            }))),
        }
    }
}

impl<R: BufRead> Read for GzipMembers<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            match std::mem::replace(&mut self.state, Gz::Done) {
                Gz::Done => return Ok(0),
                Gz::Member(mut d) => {
                    let n = d.read(out)?;
                    if n > 0 || out.is_empty() {
                        self.state = Gz::Member(d);
                        return Ok(n);
                    }
                    self.state = Gz::Between(d.into_inner());
                }
                Gz::Between(mut r) => {
                    // Another member starts with the gzip magic 1f 8b.
                    if r.peek2()? != Some([0x1f, 0x8b]) {
                        return Ok(0);
                    }
                    self.state = Gz::Member(Box::new(GzDecoder::new(r)));
                }
            }
        }
    }
}

/// A buffered reader that can look two bytes ahead across buffer ends.
struct Peeked<R> {
    front: Vec<u8>,
    inner: R,
}

impl<R: BufRead> Peeked<R> {
    fn peek2(&mut self) -> io::Result<Option<[u8; 2]>> {
        while self.front.len() < 2 {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            if self.front.is_empty() && buf.len() >= 2 {
                return Ok(Some([buf[0], buf[1]]));
            }
            self.front.push(buf[0]);
            self.inner.consume(1);
        }
        Ok(Some([self.front[0], self.front[1]]))
    }
}

impl<R: BufRead> Read for Peeked<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Peeked<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.front.is_empty() {
            self.inner.fill_buf()
        } else {
            Ok(&self.front)
        }
    }

    fn consume(&mut self, n: usize) {
        if self.front.is_empty() {
            self.inner.consume(n);
        } else {
            self.front.drain(..n.min(self.front.len()));
        }
    }
}

/// `deflate`: zlib-wrapped or raw, decided from the first two bytes.
enum Deflate<R: BufRead> {
    Start(Option<R>),
    Zlib(ZlibDecoder<R>),
    Raw(DeflateDecoder<R>),
}

impl<R: BufRead> Deflate<R> {
    fn new(r: R) -> Self {
        Deflate::Start(Some(r))
    }
}

/// A valid zlib header: deflate method, window at most 32 KiB, check bits.
fn is_zlib_header(b: &[u8]) -> bool {
    match b {
        [cmf, flg, ..] => {
            cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0
        }
        _ => false,
    }
}

impl<R: BufRead> Read for Deflate<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            match self {
                Deflate::Zlib(d) => return d.read(out),
                Deflate::Raw(d) => return d.read(out),
                Deflate::Start(r) => {
                    let mut inner = r.take().expect("deflate input");
                    let head = inner.fill_buf()?;
                    if head.is_empty() {
                        *self = Deflate::Raw(DeflateDecoder::new(inner));
                        continue;
                    }
                    *self = if is_zlib_header(head) {
                        Deflate::Zlib(ZlibDecoder::new(inner))
                    } else {
                        Deflate::Raw(DeflateDecoder::new(inner))
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use std::io::Write;

    fn decode(body: &[u8], ce: &str) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        decoder(Box::new(body), &content_codings(Some(ce)))
            .map_err(io::Error::other)?
            .take(1 << 20)
            .read_to_end(&mut out)?;
        Ok(out)
    }

    fn gzip(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gzip_members_and_trailing_bytes() {
        let mut body = gzip(b"hello ");
        body.extend(gzip(b"world"));
        body.extend_from_slice(b"\0\0trailing junk");
        assert_eq!(decode(&body, "gzip").unwrap(), b"hello world");
        assert_eq!(decode(&body, "x-gzip, identity").unwrap(), b"hello world");
    }

    #[test]
    fn deflate_zlib_and_raw() {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), Compression::default());
        z.write_all(b"zlib page").unwrap();
        assert_eq!(
            decode(&z.finish().unwrap(), "deflate").unwrap(),
            b"zlib page"
        );
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), Compression::default());
        d.write_all(b"raw page").unwrap();
        assert_eq!(
            decode(&d.finish().unwrap(), "deflate").unwrap(),
            b"raw page"
        );
    }

    #[test]
    fn stacked_and_unsupported() {
        let twice = gzip(&gzip(b"inner"));
        assert_eq!(decode(&twice, "gzip, gzip").unwrap(), b"inner");
        assert!(matches!(
            decoder(Box::new(&b""[..]), &content_codings(Some("zstd"))),
            Err(CodingError::Unsupported(c)) if c == "zstd"
        ));
        assert!(
            decoder(
                Box::new(&b""[..]),
                &content_codings(Some("gzip,gzip,gzip,gzip,gzip"))
            )
            .is_err()
        );
    }

    #[test]
    fn bombs_stop_at_the_bound() {
        let bomb = gzip(&vec![0u8; 50 << 20]);
        assert!(bomb.len() < 100 << 10);
        assert_eq!(decode(&bomb, "gzip").unwrap().len(), 1 << 20);
    }

    #[test]
    fn brotli_alone_and_under_gzip() {
        let mut br = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut br, 4096, 9, 22);
            w.write_all(b"brotli page").unwrap();
        }
        assert_eq!(decode(&br, "br").unwrap(), b"brotli page");
        // `gzip, br`: gzip applied first, then br.
        let mut stacked = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut stacked, 4096, 9, 22);
            w.write_all(&gzip(b"two codings")).unwrap();
        }
        assert_eq!(decode(&stacked, "gzip, br").unwrap(), b"two codings");
    }

    /// Yields its bytes in pieces of varying size.
    struct Pieces<'a> {
        data: &'a [u8],
        sizes: std::iter::Cycle<std::vec::IntoIter<usize>>,
    }

    impl Read for Pieces<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self
                .sizes
                .next()
                .unwrap()
                .min(out.len())
                .min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn damaged_data_decodes_to_the_same_prefix_however_it_arrives() {
        // Words picked pseudo-randomly: compressed with back-references, so
        // damage shows as a decoding error part-way, not only at the end.
        let words = [
            "ivory ",
            "pangolin ",
            "scales ",
            "for ",
            "sale ",
            "rhino ",
            "horn ",
        ];
        let mut x = 1u64;
        let mut text = Vec::new();
        while text.len() < 2_000_000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            text.extend_from_slice(words[(x >> 60) as usize % words.len()].as_bytes());
        }
        let mut gz = gzip(&text);
        let mid = gz.len() / 2;
        gz[mid..mid + 64].fill(0xff);
        let decode_in = |sizes: Vec<usize>| {
            let src = Pieces {
                data: &gz,
                sizes: sizes.into_iter().cycle(),
            };
            let mut r = decoder(Box::new(src), &content_codings(Some("gzip"))).unwrap();
            let mut out = Vec::new();
            let c = copy_decoded(&mut r, u64::MAX, &mut |b| {
                out.extend_from_slice(b);
                Ok(())
            })
            .unwrap();
            assert!(c.error.is_some(), "the damage is detected");
            out
        };
        let whole = decode_in(vec![1 << 20]);
        assert!(whole.len() > 100_000);
        assert_eq!(whole, decode_in(vec![1, 7, 4096, 13, 65_537]));
        assert_eq!(whole, decode_in(vec![100_000, 3]));
    }
}
