//! Which character encoding a CSV or JSON input is in, and reading it as
//! UTF-8. The choice and the reason for it are recorded for each input, so
//! an officer can tell why "Cà phê" came out as it did.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};
use std::io::{self, BufRead, Read};

/// Bytes looked at to choose an encoding and a delimiter.
pub(crate) const SNIFF_BYTES: usize = 1 << 20;

/// The encoding chosen for an input, and why.
#[derive(Debug, Clone)]
pub(crate) struct Chosen {
    pub(crate) encoding: &'static Encoding,
    /// Length of the byte order mark to skip.
    pub(crate) bom: usize,
    pub(crate) why: String,
}

impl Chosen {
    /// Whether bytes are passed through as they are (UTF-8): rows with
    /// bytes invalid in UTF-8 are then reported, not repaired.
    pub(crate) fn is_utf8(&self) -> bool {
        self.encoding == UTF_8
    }
}

/// 1-based line of byte offset `at` of `b`.
fn line_of(b: &[u8], at: usize) -> usize {
    b[..at.min(b.len())].iter().filter(|&&c| c == b'\n').count() + 1
}

/// Chooses the encoding of an input from its first bytes `sample` (`eof`:
/// the sample is the whole input). `forced` is what the officer named with
/// `--encoding`.
pub(crate) fn choose(sample: &[u8], eof: bool, forced: Option<&'static Encoding>) -> Chosen {
    let bom = Encoding::for_bom(sample);
    if let Some(enc) = forced {
        let skip = bom.filter(|(e, _)| *e == enc).map_or(0, |(_, n)| n);
        return Chosen {
            encoding: enc,
            bom: skip,
            why: "named with --encoding".into(),
        };
    }
    if let Some((enc, n)) = bom {
        return Chosen {
            encoding: enc,
            bom: n,
            why: "the file starts with its byte order mark".into(),
        };
    }
    let (looked, is) = if eof {
        ("the whole file".to_string(), "is")
    } else {
        (format!("the first {} bytes", sample.len()), "are")
    };
    // UTF-16 without a byte order mark: text of mostly ASCII characters
    // has a zero byte in every other place.
    if sample.len() >= 4 {
        let pairs = sample.len() / 2;
        let zero_at = |odd: usize| {
            sample
                .chunks_exact(2)
                .filter(|p| p[odd] == 0 && p[1 - odd] != 0)
                .count()
        };
        for (odd, enc) in [(1, UTF_16LE), (0, UTF_16BE)] {
            if zero_at(odd) * 10 >= pairs * 9 {
                return Chosen {
                    encoding: enc,
                    bom: 0,
                    why: format!(
                        "no byte order mark, but in {looked} nearly every other byte is zero, as in UTF-16 text"
                    ),
                };
            }
        }
    }
    let (valid_multi, invalid, first_bad) = utf8_stats(sample, eof);
    if invalid == 0 {
        return Chosen {
            encoding: UTF_8,
            bom: 0,
            why: if valid_multi == 0 {
                format!("{looked} {is} plain ASCII, read as UTF-8")
            } else {
                format!("{looked} {is} valid UTF-8")
            },
        };
    }
    // Mostly UTF-8 with a few bad bytes: a UTF-8 file with damaged rows,
    // which are then reported one by one rather than the whole file being
    // read in the wrong encoding.
    if valid_multi >= 4 * invalid {
        return Chosen {
            encoding: UTF_8,
            bom: 0,
            why: format!(
                "{looked} {is} UTF-8 ({valid_multi} non-ASCII characters) except for {invalid} invalid byte sequence(s), the first on line {}",
                line_of(sample, first_bad)
            ),
        };
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(sample, eof);
    let enc = det.guess(None, chardetng::Utf8Detection::Deny);
    Chosen {
        encoding: enc,
        bom: 0,
        why: format!(
            "not UTF-8 (byte 0x{:02X} on line {} is invalid in UTF-8); chardetng, a detector of legacy encodings, judged {looked} most likely {} (if that is wrong, name the encoding with --encoding)",
            sample[first_bad],
            line_of(sample, first_bad),
            enc.name()
        ),
    }
}

/// (valid non-ASCII characters, invalid sequences, offset of the first
/// invalid one) of `b`; an incomplete character at the end of a sample
/// that is not the whole input is not counted as invalid.
fn utf8_stats(b: &[u8], eof: bool) -> (usize, usize, usize) {
    let (mut multi, mut invalid, mut first) = (0, 0, usize::MAX);
    let mut rest = b;
    let mut offset = 0;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                multi += s.chars().filter(|c| !c.is_ascii()).count();
                break;
            }
            Err(e) => {
                let good = e.valid_up_to();
                // Valid prefix is UTF-8 by construction.
                multi += std::str::from_utf8(&rest[..good])
                    .map_or(0, |s| s.chars().filter(|c| !c.is_ascii()).count());
                match e.error_len() {
                    Some(n) => {
                        invalid += 1;
                        first = first.min(offset + good);
                        rest = &rest[good + n..];
                        offset += good + n;
                    }
                    None => {
                        if eof {
                            invalid += 1;
                            first = first.min(offset + good);
                        }
                        break;
                    }
                }
            }
        }
    }
    (multi, invalid, if first == usize::MAX { 0 } else { first })
}

/// Reads `inner` in `encoding` and yields UTF-8; malformed sequences
/// become U+FFFD and are noted in `replaced`.
pub(crate) struct DecodeReader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    done: bool,
    pub(crate) replaced: bool,
}

impl<R: Read> DecodeReader<R> {
    pub(crate) fn new(inner: R, encoding: &'static Encoding) -> Self {
        DecodeReader {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            inbuf: vec![0; 64 * 1024],
            out: Vec::with_capacity(200 * 1024),
            pos: 0,
            done: false,
            replaced: false,
        }
    }
}

impl<R: Read> Read for DecodeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let avail = self.fill_buf()?;
            let n = avail.len().min(buf.len());
            buf[..n].copy_from_slice(&avail[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for DecodeReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.out.len() && !self.done {
            let n = self.inner.read(&mut self.inbuf)?;
            let last = n == 0;
            self.out.clear();
            self.pos = 0;
            let need = self.decoder.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16);
            self.out.resize(need, 0);
            let (_, _, written, errors) =
                self.decoder
                    .decode_to_utf8(&self.inbuf[..n], &mut self.out, last);
            self.out.truncate(written);
            self.replaced |= errors;
            self.done = last;
        }
        Ok(&self.out[self.pos..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.out.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chooses_by_bom_validity_and_detection() {
        assert_eq!(choose(b"\xEF\xBB\xBFid,t\n", true, None).bom, 3);
        let c = choose(b"\xFF\xFEi\0d\0", true, None);
        assert_eq!((c.encoding, c.bom), (UTF_16LE, 2));
        assert_eq!(
            choose("id,t\nx,Cà phê\n".as_bytes(), true, None).encoding,
            UTF_8
        );
        let (w, _, _) = encoding_rs::WINDOWS_1252.encode(
            "id;title\n1;Elfenbein-Schnitzerei, sehr schön, Café\n2;crème brûlée à vendre\n",
        );
        let c = choose(&w, true, None);
        assert_eq!(c.encoding, encoding_rs::WINDOWS_1252, "{c:?}");
        assert!(c.why.contains("line 2"), "{}", c.why);
        let (g, _, _) = encoding_rs::GBK
            .encode("id,title\n1,出售象牙手镯，正品保证，微信联系\n2,穿山甲片出售\n");
        assert_eq!(choose(&g, true, None).encoding, encoding_rs::GBK);
        let u16: Vec<u8> = "id\tx\n"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(choose(&u16, true, None).encoding, UTF_16LE);
        // a cut character at the end of a sample is not an error
        let s = "象牙".as_bytes();
        assert_eq!(choose(&s[..4], false, None).encoding, UTF_8);
    }

    #[test]
    fn decode_reader_yields_utf8() {
        let (g, _, _) = encoding_rs::GBK.encode("出售象牙\n");
        let mut r = DecodeReader::new(&g[..], encoding_rs::GBK);
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "出售象牙\n");
        assert!(!r.replaced);
    }
}
