//! Text as warden reads and writes it: character-set detection and
//! visible-text extraction (both streaming), and one-line values for
//! line-based files. A leaf module: capture, WARC reading and sweeps use it.
//!
//! The charset is chosen as browsers do (WHATWG order): byte-order mark, then
//! the `charset` of the Content-Type header, then a `<meta>` declaration in
//! the first 4 KiB, then UTF-8 if the start of the document is valid UTF-8,
//! else windows-1252. The rule that decided is recorded.

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

/// The chosen encoding and the rule that chose it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Charset {
    pub encoding: &'static Encoding,
    pub source: &'static str,
}

/// The `charset` parameter of a Content-Type header value.
pub(crate) fn header_charset(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']))
    })
}

/// Looks for `<meta charset=…>` or `<meta http-equiv content="…charset=…">`.
pub(crate) fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower: Vec<u8> = head.iter().map(|b| b.to_ascii_lowercase()).collect();
    let mut at = 0;
    while let Some(pos) = find(&lower[at..], b"<meta") {
        let start = at + pos;
        let end = find(&lower[start..], b">").map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(c) = find(tag, b"charset") {
            let mut rest = &tag[c + 7..];
            while let Some((&b, r)) = rest.split_first() {
                if b == b' ' || b == b'=' || b == b'"' || b == b'\'' {
                    rest = r;
                } else {
                    break;
                }
            }
            let label: Vec<u8> = rest
                .iter()
                .copied()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
                .collect();
            if let Some(enc) = Encoding::for_label(&label) {
                // A page that declares UTF-16 in a meta tag is really read as
                // UTF-8 (WHATWG), since the tag itself was ASCII-readable.
                if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
                    return Some(UTF_8);
                }
                return Some(enc);
            }
        }
        at = end.max(start + 5);
        if at >= lower.len() {
            break;
        }
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Decides the charset of a document from its header and first bytes.
pub(crate) fn detect(content_type: Option<&str>, first: &[u8], is_html: bool) -> Charset {
    if let Some((enc, _)) = Encoding::for_bom(first) {
        return Charset {
            encoding: enc,
            source: "byte-order mark",
        };
    }
    if let Some(enc) = content_type
        .and_then(header_charset)
        .and_then(|l| Encoding::for_label(l.as_bytes()))
    {
        return Charset {
            encoding: enc,
            source: "Content-Type header",
        };
    }
    if is_html && let Some(enc) = meta_charset(&first[..first.len().min(4096)]) {
        return Charset {
            encoding: enc,
            source: "<meta> declaration",
        };
    }
    // Valid UTF-8 up to a possibly cut last character.
    let valid = match std::str::from_utf8(first) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    if valid {
        Charset {
            encoding: UTF_8,
            source: "no declaration; the bytes are valid UTF-8",
        }
    } else {
        Charset {
            encoding: WINDOWS_1252,
            source: "no declaration; windows-1252 assumed",
        }
    }
}

/// Collects visible text from HTML tokens.
struct TextSink {
    out: RefCell<TextOut>,
}

struct TextOut {
    writer: Box<dyn Write>,
    /// Inside script/style/template etc.: text is not visible.
    hidden_depth: usize,
    pending_space: bool,
    pending_newline: bool,
    at_line_start: bool,
    error: Option<io::Error>,
    written: u64,
}

impl TextOut {
    /// A fresh output at the start of a line.
    fn new(writer: Box<dyn Write>) -> TextOut {
        TextOut {
            writer,
            hidden_depth: 0,
            pending_space: false,
            pending_newline: false,
            at_line_start: true,
            error: None,
            written: 0,
        }
    }
}

const HIDDEN: &[&str] = &[
    "script",
    "style",
    "template",
    "noscript",
    "svg",
    "math",
    "head-meta",
];
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tr",
    "td",
    "th",
    "ul",
    "title",
    "option",
    "body",
    "html",
    "tbody",
    "thead",
    "tfoot",
    "caption",
];

impl TextOut {
    fn emit(&mut self, s: &str) {
        if self.hidden_depth > 0 {
            return;
        }
        for c in s.chars() {
            if c.is_whitespace() {
                if !self.at_line_start {
                    self.pending_space = true;
                }
                continue;
            }
            if self.pending_newline {
                self.put("\n");
                self.pending_newline = false;
                self.pending_space = false;
            } else if self.pending_space {
                self.put(" ");
                self.pending_space = false;
            }
            let mut b = [0u8; 4];
            self.put(c.encode_utf8(&mut b));
            self.at_line_start = false;
        }
    }

    fn block_boundary(&mut self) {
        if !self.at_line_start {
            self.pending_newline = true;
            self.at_line_start = true;
            self.pending_space = false;
        }
    }

    fn put(&mut self, s: &str) {
        if self.error.is_none() {
            if let Err(e) = self.writer.write_all(s.as_bytes()) {
                self.error = Some(e);
            }
            self.written += s.len() as u64;
        }
    }
}

impl TokenSink for TextSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut out = self.out.borrow_mut();
        match token {
            Token::CharacterTokens(t) => out.emit(&t),
            Token::TagToken(tag) => {
                let name: &str = &tag.name;
                let hidden = HIDDEN.contains(&name);
                match tag.kind {
                    TagKind::StartTag => {
                        if BLOCK.contains(&name) {
                            out.block_boundary();
                        }
                        if hidden && !tag.self_closing {
                            out.hidden_depth += 1;
                        }
                        // Switch the tokenizer the way a tree builder would,
                        // so that script and style bodies are not parsed as
                        // markup.
                        let raw = match name {
                            "script" => Some(RawKind::ScriptData),
                            "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
                                Some(RawKind::Rawtext)
                            }
                            "title" | "textarea" => Some(RawKind::Rcdata),
                            "plaintext" => return TokenSinkResult::Plaintext,
                            _ => None,
                        };
                        if let Some(kind) = raw
                            && !tag.self_closing
                        {
                            return TokenSinkResult::RawData(kind);
                        }
                    }
                    TagKind::EndTag => {
                        if hidden && out.hidden_depth > 0 {
                            out.hidden_depth -= 1;
                        }
                        if BLOCK.contains(&name) {
                            out.block_boundary();
                        }
                    }
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// The visible text (HTML) or the whole text (other text) of `input`,
/// decoded from `encoding`, keeping at most `max` bytes of it: the text, the
/// bytes it has in all, and whether malformed sequences were replaced.
/// Memory stays within `max` plus a buffer, whatever the input's size.
pub(crate) fn text_capped(
    input: &mut dyn Read,
    encoding: &'static Encoding,
    is_html: bool,
    max: usize,
) -> io::Result<(String, u64, bool)> {
    struct Capped(std::rc::Rc<RefCell<Vec<u8>>>, usize);
    impl Write for Capped {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            let mut v = self.0.borrow_mut();
            let room = self.1.saturating_sub(v.len());
            v.extend_from_slice(&b[..b.len().min(room)]);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let buf = std::rc::Rc::new(RefCell::new(Vec::new()));
    let sink = TextSink {
        out: RefCell::new(TextOut::new(Box::new(Capped(buf.clone(), max)))),
    };
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let queue = BufferQueue::default();
    let mut decoder = encoding.new_decoder_with_bom_removal();
    let mut malformed = false;
    let mut raw = vec![0u8; 64 * 1024];
    let mut decoded = String::with_capacity(raw.len() * 2);
    loop {
        let n = input.read(&mut raw)?;
        let last = n == 0;
        decoded.clear();
        decoded.reserve(decoder.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16));
        let (_, _, had_errors) = decoder.decode_to_string(&raw[..n], &mut decoded, last);
        malformed |= had_errors;
        if !decoded.is_empty() {
            if is_html {
                queue.push_back(StrTendril::from_slice(&decoded));
                let _ = tokenizer.feed(&queue);
            } else {
                tokenizer.sink.out.borrow_mut().put(&decoded);
            }
        }
        if last {
            break;
        }
    }
    if is_html {
        tokenizer.end();
    }
    let written = tokenizer.sink.out.borrow().written;
    drop(tokenizer);
    let bytes = std::mem::take(&mut *buf.borrow_mut());
    // A character cut at the end is dropped.
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let good = e.utf8_error().valid_up_to();
            let mut bytes = e.into_bytes();
            bytes.truncate(good);
            String::from_utf8(bytes).unwrap_or_default()
        }
    };
    Ok((text, written, malformed))
}

/// Result of text extraction.
#[derive(Debug, Clone)]
pub(crate) struct TextResult {
    pub bytes: u64,
    pub malformed_sequences: bool,
    /// Only the first `max_input` bytes of the page were read.
    pub input_truncated: bool,
}

/// Decodes `src` with `charset` and writes its visible text (HTML) or its
/// whole text (other text types) as UTF-8 to `dst`, streaming.
pub(crate) fn extract_text(
    src: &Path,
    charset: Charset,
    is_html: bool,
    dst: &Path,
    max_input: u64,
) -> io::Result<TextResult> {
    let input_len = std::fs::metadata(src)?.len();
    let mut input = File::open(src)?.take(max_input);
    let out_file = crate::fsutil::create_new(dst)?;
    let mut decoder = charset.encoding.new_decoder_with_bom_removal();
    let mut malformed = false;
    let mut buf = vec![0u8; input_len.clamp(4096, 256 * 1024) as usize];
    let sink = TextSink {
        out: RefCell::new(TextOut::new(Box::new(BufWriter::with_capacity(
            256 * 1024,
            out_file,
        )))),
    };
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let queue = BufferQueue::default();
    let mut decoded = String::with_capacity(buf.len() * 2);
    loop {
        let n = input.read(&mut buf)?;
        let last = n == 0;
        decoded.clear();
        let needed = decoder.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16);
        decoded.reserve(needed);
        let (_, _, had_errors) = decoder.decode_to_string(&buf[..n], &mut decoded, last);
        malformed |= had_errors;
        if !decoded.is_empty() {
            if is_html {
                queue.push_back(StrTendril::from_slice(&decoded));
                let _ = tokenizer.feed(&queue);
            } else {
                let mut out = tokenizer.sink.out.borrow_mut();
                out.put(&decoded);
            }
        }
        if last {
            break;
        }
    }
    if is_html {
        tokenizer.end();
    }
    let mut out = tokenizer.sink.out.borrow_mut();
    if out.written > 0 {
        out.put("\n");
    }
    if let Some(e) = out.error.take() {
        return Err(e);
    }
    out.writer.flush()?;
    Ok(TextResult {
        bytes: out.written,
        malformed_sequences: malformed,
        input_truncated: input_len > max_input,
    })
}

/// Replaces line breaks and other control characters so a value cannot
/// forge extra lines in `bag-info.txt` or similar line-based files.
pub(crate) fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(html: &[u8], ct: Option<&str>) -> String {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("p.html");
        std::fs::write(&src, html).unwrap();
        let cs = detect(ct, html, true);
        let dst = dir.path().join("t.txt");
        extract_text(&src, cs, true, &dst, 1 << 20).unwrap();
        std::fs::read_to_string(dst).unwrap()
    }

    #[test]
    fn scripts_and_styles_are_not_text() {
        let t = text_of(
            b"<html><head><title>Ivory bangle</title><style>p{x:1}</style><script>var a='<p>x</p>';</script></head><body><p>For   sale</p><div>call</div></body></html>",
            None,
        );
        assert_eq!(t, "Ivory bangle\nFor sale\ncall\n");
    }

    #[test]
    fn gbk_meta_is_honoured() {
        let (bytes, _, _) = encoding_rs::GBK
            .encode("<html><head><meta charset=\"gbk\"></head><body>象牙手镯 出售</body></html>");
        let t = text_of(&bytes, None);
        assert!(t.contains("象牙手镯 出售"), "{t}");
    }

    #[test]
    fn header_beats_meta() {
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode("<meta charset=utf-8><p>象牙 販売</p>");
        let t = text_of(&bytes, Some("text/html; charset=Shift_JIS"));
        assert!(t.contains("象牙 販売"), "{t}");
    }
}
