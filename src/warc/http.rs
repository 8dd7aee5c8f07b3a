//! Getting the text of an HTTP response stored in a WARC record.

/// Most decoded bytes of one response whose text is taken.
const MAX_PAGE: u64 = 64 << 20;

/// The visible text of an HTML (or plain text) response block, read by the
/// rules capture and verify use ([`crate::http::stored::read_page`]):
/// informational heads skipped, framing removed, content codings undone,
/// the charset detected. At most `max` bytes of text are kept: the text and
/// the bytes it has in all. `None` for other content types and for blocks
/// that hold no readable response. The block is dropped once its body is
/// out, so memory holds at most the block and the body at once.
pub(crate) fn text_of_response_capped(block: Vec<u8>, max: usize) -> Option<(String, u64)> {
    let mut body = Vec::new();
    let head = crate::http::stored::read_page(std::io::Cursor::new(block), MAX_PAGE, &mut |b| {
        body.extend_from_slice(b);
        Ok(())
    })
    .ok()?
    .ok()?;
    let ctype = head
        .text("content-type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let is_html = ctype.contains("html");
    if !(is_html || ctype.starts_with("text/")) {
        return None;
    }
    let cs = crate::text::detect(Some(&ctype), &body[..body.len().min(4096)], is_html);
    let (text, total, _) =
        crate::text::text_capped(&mut &body[..], cs.encoding, is_html, max).ok()?;
    Some((text, total))
}
