//! Where each record lies in a gzipped WARC: every record is its own gzip
//! member (as warden writes them, and as web archives index them), so a
//! record's place is the offset and length of its member in the compressed
//! file. Each member is decoded on its own and its record read with the one
//! WARC reader ([`super::reader::WarcReader`], strict mode), so nothing here
//! parses WARC headers.
//!
//! Memory use does not depend on member sizes: members are decoded as a
//! stream.

use super::reader::{Mode, RecordHead, WarcReader};
use flate2::bufread::GzDecoder;
use std::io::{self, BufRead, BufReader, Read};

/// One gzip member of the file: its offset and length in compressed bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemberSpan {
    pub offset: u64,
    pub length: u64,
}

/// Reads a gzipped WARC one member (one record) at a time.
pub(crate) struct MemberRecords<R: Read> {
    input: Counting<BufReader<R>>,
}

impl<R: Read> MemberRecords<R> {
    pub(crate) fn new(input: R) -> Self {
        MemberRecords {
            input: Counting {
                inner: BufReader::with_capacity(1 << 16, input),
                pos: 0,
            },
        }
    }

    /// Decodes the next member, hands its record's head and block to `f`,
    /// and returns where the member lies with what `f` returned; `None` at
    /// the end of the file. A member that does not hold exactly one record
    /// (or is not valid gzip, or holds a record the strict reader refuses)
    /// is an `InvalidData` error naming its offset.
    pub(crate) fn next_with<T>(
        &mut self,
        f: impl FnOnce(&RecordHead, &mut dyn Read) -> io::Result<T>,
    ) -> io::Result<Option<(MemberSpan, T)>> {
        if self.input.fill_buf()?.is_empty() {
            return Ok(None);
        }
        let offset = self.input.pos;
        let at = |e: io::Error| {
            io::Error::new(e.kind(), format!("the gzip member at offset {offset}: {e}"))
        };
        let mut member = GzDecoder::new(&mut self.input);
        let value = {
            let mut reader = WarcReader::new(&mut member, false, Mode::Strict);
            let head = reader
                .next_record()
                .map_err(at)?
                .ok_or_else(|| at(bad("holds no WARC record")))?;
            let value = f(&head, &mut reader.block()).map_err(at)?;
            if reader.next_record().map_err(at)?.is_some() {
                return Err(at(bad(
                    "holds more than one WARC record (each record must be its own gzip member to be indexed)",
                )));
            }
            value
        };
        // The reader stopped at the member's end; make sure the trailer
        // (CRC and size) has been read and checked.
        io::copy(&mut member, &mut io::sink()).map_err(at)?;
        drop(member);
        let span = MemberSpan {
            offset,
            length: self.input.pos - offset,
        };
        Ok(Some((span, value)))
    }
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// A buffered reader that counts the bytes consumed from it.
struct Counting<B> {
    inner: B,
    pos: u64,
}

impl<B: BufRead> Read for Counting<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<B: BufRead> BufRead for Counting<B> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
        self.pos += amt as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::warc::WarcWriter;

    fn two_records() -> (Vec<u8>, usize) {
        let mut out = Vec::new();
        let mut w = WarcWriter::new(&mut out);
        w.write_bytes(
            &[
                ("WARC-Type", "response".into()),
                ("WARC-Target-URI", "http://127.0.0.1/a".into()),
            ],
            &vec![b'x'; 100_000],
        )
        .unwrap();
        drop(w);
        let first = out.len();
        let mut w = WarcWriter::new(&mut out);
        w.write_bytes(&[("WARC-Type", "metadata".into())], b"{}")
            .unwrap();
        drop(w);
        (out, first)
    }

    #[test]
    fn spans_are_the_members() {
        let (file, first) = two_records();
        let mut m = MemberRecords::new(&file[..]);
        let (a, (kind, len)) = m
            .next_with(|h, b| {
                let mut v = Vec::new();
                b.read_to_end(&mut v)?;
                Ok((h.header("WARC-Type").unwrap().to_string(), v.len()))
            })
            .unwrap()
            .unwrap();
        assert_eq!((kind.as_str(), len), ("response", 100_000));
        assert_eq!(
            a,
            MemberSpan {
                offset: 0,
                length: first as u64
            }
        );
        // The block need not be read: the rest of the member is skipped.
        let (b, kind) = m
            .next_with(|h, _| Ok(h.header("WARC-Type").unwrap().to_string()))
            .unwrap()
            .unwrap();
        assert_eq!(kind, "metadata");
        assert_eq!(b.offset, first as u64);
        assert_eq!(b.offset + b.length, file.len() as u64);
        assert!(m.next_with(|_, _| Ok(())).unwrap().is_none());
        // Each span is a gzip member holding that record.
        let mut one = Vec::new();
        flate2::read::GzDecoder::new(&file[b.offset as usize..])
            .read_to_end(&mut one)
            .unwrap();
        assert!(one.starts_with(b"WARC/1.1\r\nWARC-Type: metadata\r\n"));
    }

    #[test]
    fn two_records_in_one_member_are_refused() {
        let plain = b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 1\r\n\r\na\r\n\r\n\
WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 1\r\n\r\nb\r\n\r\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, plain).unwrap();
        let file = gz.finish().unwrap();
        let err = MemberRecords::new(&file[..])
            .next_with(|_, _| Ok(()))
            .unwrap_err();
        assert!(
            err.to_string().contains("more than one WARC record"),
            "{err}"
        );
    }

    #[test]
    fn junk_after_a_member_is_refused() {
        let (mut file, _) = two_records();
        file.extend_from_slice(b"not gzip");
        let mut m = MemberRecords::new(&file[..]);
        assert!(m.next_with(|_, _| Ok(())).unwrap().is_some());
        assert!(m.next_with(|_, _| Ok(())).unwrap().is_some());
        assert!(m.next_with(|_, _| Ok(())).is_err());
    }
}
