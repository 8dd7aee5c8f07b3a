//! Getting the text of an HTTP response stored in a WARC record.

use std::io::Read;

/// The visible text of an HTML (or plain text) response block: the head is
/// parsed (informational heads skipped), chunked framing removed, gzip or
/// deflate undone, the charset detected. `None` for other content types.
pub fn html_text_of_response(block: &[u8]) -> Option<String> {
    let mut at = 0;
    let (status, headers, body_start) = loop {
        let mut hs = [httparse::EMPTY_HEADER; 128];
        let mut resp = httparse::Response::new(&mut hs);
        let httparse::Status::Complete(len) = resp.parse(&block[at..]).ok()? else {
            return None;
        };
        let code = resp.code.unwrap_or(0);
        let headers: Vec<(String, String)> = resp
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_ascii_lowercase(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect();
        if (100..200).contains(&code) && code != 101 {
            at += len;
            continue;
        }
        break (code, headers, at + len);
    };
    let _ = status;
    let get = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let ctype = get("content-type").unwrap_or_default().to_ascii_lowercase();
    let is_html = ctype.contains("html");
    if !(is_html || ctype.starts_with("text/")) {
        return None;
    }
    let mut body = block[body_start..].to_vec();
    if get("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        body = dechunk(&body);
    }
    match get("content-encoding")
        .map(|e| e.trim().to_ascii_lowercase())
        .as_deref()
    {
        Some("gzip") | Some("x-gzip") => {
            let mut out = Vec::new();
            let _ = flate2::read::MultiGzDecoder::new(&body[..])
                .take(64 << 20)
                .read_to_end(&mut out);
            body = out;
        }
        Some("deflate") => {
            let mut out = Vec::new();
            let _ = flate2::read::ZlibDecoder::new(&body[..])
                .take(64 << 20)
                .read_to_end(&mut out);
            body = out;
        }
        _ => {}
    }
    let cs = crate::capture::text::detect(Some(&ctype), &body[..body.len().min(4096)], is_html);
    let (text, _, _) = cs.encoding.decode(&body);
    Some(if is_html {
        crate::capture::text::visible_text(&text)
    } else {
        text.into_owned()
    })
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(nl) = b.iter().position(|&c| c == b'\n') {
        let size_text = String::from_utf8_lossy(&b[..nl]);
        let size =
            usize::from_str_radix(size_text.trim().split(';').next().unwrap_or("").trim(), 16)
                .unwrap_or(0);
        b = &b[nl + 1..];
        if size == 0 {
            break;
        }
        let take = size.min(b.len());
        out.extend_from_slice(&b[..take]);
        b = &b[take..];
        while b.first().is_some_and(|&c| c == b'\r' || c == b'\n') {
            b = &b[1..];
        }
    }
    out
}
