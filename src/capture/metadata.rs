//! Writing a capture's payload: `capture.warc.gz`, `page.<ext>`, `text.txt`
//! and `capture.json`.

use super::fetch::Hop;
use super::record::{self, CaptureRecord};
use super::{CaptureOptions, CaptureStatus, decode};
use crate::bundle::Draft;
use crate::case::Case;
use crate::text;
use crate::warc::{self, WarcWriter};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io::{BufWriter, Write};
use url::Url;

/// Largest part of a page whose text is extracted into `text.txt`. Bounds
/// the memory the HTML tokenizer can be made to use by a hostile page (one
/// enormous tag, say) while covering any real listing many times over.
pub(crate) const MAX_TEXT_INPUT: u64 = 64 << 20;

/// A payload file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {}", crate::fsutil::describe_io_error(.source))]
pub(crate) struct PayloadError {
    /// The file, as named inside `data/`.
    file: String,
    source: std::io::Error,
}

/// warden itself, as recorded in every capture.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ToolInfo {
    pub name: String,
    pub version: String,
    pub executable: Option<String>,
    pub executable_sha256: Option<String>,
}

impl ToolInfo {
    /// The running executable, hashed once per process (a live sweep runs
    /// many captures; the file is tens of MiB).
    pub(crate) fn current() -> Self {
        static ONCE: std::sync::OnceLock<ToolInfo> = std::sync::OnceLock::new();
        ONCE.get_or_init(Self::hash_current).clone()
    }

    fn hash_current() -> Self {
        let exe = std::env::current_exe().ok();
        let sha = exe
            .as_deref()
            .and_then(|p| crate::hash::sha256_file(p).ok())
            .map(|(h, _)| h);
        ToolInfo {
            name: "warden".into(),
            version: crate::VERSION.into(),
            executable: exe.map(|p| p.display().to_string()),
            executable_sha256: sha,
        }
    }
}

/// The capturing computer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Environment {
    pub hostname: String,
    pub os: String,
    pub os_version: Option<String>,
    pub arch: String,
    pub timezone: Option<String>,
    pub utc_offset: String,
    pub user_agent: String,
    pub proxy: Option<String>,
}

impl Environment {
    pub(crate) fn current(opts: &CaptureOptions) -> Self {
        let os_version = std::fs::read_to_string("/etc/os-release")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                    .map(|v| v.trim_matches('"').to_string())
            });
        Environment {
            hostname: gethostname::gethostname().to_string_lossy().into_owned(),
            os: std::env::consts::OS.to_string(),
            os_version,
            arch: std::env::consts::ARCH.into(),
            timezone: iana_time_zone::get_timezone().ok(),
            utc_offset: chrono::Local::now().format("%:z").to_string(),
            user_agent: opts.fetch.user_agent.clone(),
            proxy: opts.fetch.proxy.as_ref().map(redact_proxy),
        }
    }
}

/// A proxy URL without any password.
fn redact_proxy(u: &Url) -> String {
    let mut u = u.clone();
    if u.password().is_some() {
        let _ = u.set_password(Some("REDACTED"));
    }
    u.to_string()
}

/// What [`assemble`] needs from the capture run.
pub(crate) struct PayloadCtx<'a> {
    pub case: &'a Case,
    pub officer: &'a str,
    pub officer_public_key: String,
    pub note: Option<&'a str>,
    pub opts: &'a CaptureOptions,
    pub tool: &'a ToolInfo,
    pub env: &'a Environment,
}

/// The outcome of one capture as decided from its hops.
#[derive(Debug, Clone)]
pub(crate) struct Summary {
    pub id: String,
    pub status: CaptureStatus,
    pub http_status: Option<u16>,
    pub final_url: String,
    pub error: Option<String>,
    pub warnings: Vec<String>,
}

fn server_of(hop: &Hop) -> Option<record::Server> {
    hop.peer.map(|a| record::Server {
        ip: a.ip().to_string(),
        port: a.port(),
    })
}

/// File extension for a content type (never taken from the URL).
fn extension_for(content_type: Option<&str>, first: &[u8]) -> &'static str {
    let mime = content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "text/html" | "application/xhtml+xml" => "html",
        "text/plain" => "txt",
        "application/json" | "application/ld+json" => "json",
        "text/xml" | "application/xml" | "application/rss+xml" | "application/atom+xml" => "xml",
        "text/css" => "css",
        "text/javascript" | "application/javascript" => "js",
        "text/csv" => "csv",
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/svg+xml" => "svg",
        "" => {
            let start: Vec<u8> = first
                .iter()
                .skip_while(|b| b.is_ascii_whitespace())
                .take(14)
                .map(|b| b.to_ascii_lowercase())
                .collect();
            if start.starts_with(b"<!doctype html") || start.starts_with(b"<html") {
                "html"
            } else {
                "bin"
            }
        }
        m if m.starts_with("text/") => "txt",
        _ => "bin",
    }
}

fn is_text_ext(ext: &str) -> bool {
    matches!(
        ext,
        "html" | "txt" | "json" | "xml" | "css" | "js" | "csv" | "svg"
    )
}

/// Decides the capture's status from its hops.
fn decide(hops: &[Hop], max_bytes: u64) -> (CaptureStatus, Option<String>) {
    let last = hops.last().expect("at least one hop");
    if let Some(e) = &last.error {
        if last.truncated == Some("length") {
            return (CaptureStatus::Truncated, Some(e.to_string()));
        }
        return (CaptureStatus::Failed, Some(e.to_string()));
    }
    if last.truncated == Some("length") {
        return (
            CaptureStatus::Truncated,
            Some(format!(
                "the page is larger than --max-bytes ({max_bytes} bytes); only the first {max_bytes} bytes were stored"
            )),
        );
    }
    match last.status {
        None => (CaptureStatus::Failed, Some("no response".into())),
        Some(s) if s >= 400 => (
            CaptureStatus::HttpError,
            Some(format!("the server answered HTTP {s}")),
        ),
        Some(_) => (CaptureStatus::Ok, None),
    }
}

/// The page a capture ends with: the final body decoded into
/// `data/page.<ext>` and, for text documents, its visible text in
/// `data/text.txt`; each step noted in `transformations`, and the status
/// lowered when the page was cut or damaged.
fn write_page(
    ctx: &PayloadCtx<'_>,
    data: &std::path::Path,
    last: &Hop,
    status: &mut CaptureStatus,
    error: &mut Option<String>,
    transformations: &mut Vec<String>,
    text_from_page: bool,
) -> Result<(Option<record::PageRecord>, Option<record::TextRecord>, bool), PayloadError> {
    let mut page = None;
    let mut text_json = None;
    let mut page_truncated = false;
    let io = |what: &str, source| PayloadError {
        file: what.to_string(),
        source,
    };
    if last.status.is_some() && last.body_read {
        let content_type = last.content_type.clone();
        let content_encoding = last.content_encoding.clone();
        let first = last.body.prefix(4096);
        let ext = extension_for(
            content_type.as_deref(),
            &first_decoded_guess(&first, content_encoding.as_deref()),
        );
        let page_name = format!("page.{ext}");
        let page_path = data.join(&page_name);
        let dec = decode::decode_body(
            &last.body,
            content_encoding.as_deref(),
            &page_path,
            ctx.opts.fetch.max_bytes,
        )
        .map_err(|e| io(&page_name, e))?;
        if !dec.undone.is_empty() {
            transformations.push(format!(
                "data/{page_name} is the response body with its Content-Encoding ({}) undone; the bytes as received are in the WARC response record",
                dec.undone.join(", ")
            ));
        } else {
            transformations.push(format!(
                "data/{page_name} is the response body exactly as received (after removing HTTP chunked framing, if any)"
            ));
        }
        if let Some(u) = &dec.unsupported {
            transformations.push(format!(
                "the Content-Encoding {u:?} is not supported; data/{page_name} holds the encoded bytes as received"
            ));
        }
        if dec.truncated {
            page_truncated = true;
            transformations.push(format!(
                "data/{page_name} was cut at --max-bytes ({} bytes) after decoding",
                ctx.opts.fetch.max_bytes
            ));
            if *status != CaptureStatus::Failed {
                *status = CaptureStatus::Truncated;
                error.get_or_insert_with(|| {
                    format!(
                        "the decompressed page is larger than --max-bytes ({} bytes); only the start was stored in data/{page_name} (the compressed bytes as received are in the WARC)",
                        ctx.opts.fetch.max_bytes
                    )
                });
            }
        }
        if let Some(e) = &dec.error {
            transformations.push(format!(
                "data/{page_name}: {e}; the bytes decoded before the error are kept"
            ));
            *status = CaptureStatus::Failed;
            let msg = format!(
                "the page's {} data is damaged or incomplete ({e}); data/{page_name} holds only what could be decoded, the bytes as received are in the WARC",
                dec.undone.join("+")
            );
            *error = Some(match error.take() {
                Some(prev) => format!("{prev}; {msg}"),
                None => msg,
            });
        }
        let charset = (is_text_ext(ext) && dec.unsupported.is_none()).then(|| {
            let head = read_prefix(&page_path, 4096);
            text::detect(content_type.as_deref(), &head, ext == "html")
        });
        let charset_json = match &charset {
            Some(cs) => (
                Some(cs.encoding.name().to_string()),
                Some(cs.source.to_string()),
            ),
            None => (None, None),
        };
        if !text_from_page {
            // text.txt comes from the browser's rendered DOM instead.
        } else if let Some(cs) = charset {
            let text_path = data.join("text.txt");
            let t = text::extract_text(&page_path, cs, ext == "html", &text_path, MAX_TEXT_INPUT)
                .map_err(|e| io("text.txt", e))?;
            if t.input_truncated {
                transformations.push(format!(
                    "data/text.txt holds the text of the first {} MiB of data/{page_name} only",
                    MAX_TEXT_INPUT >> 20
                ));
            }
            transformations.push(format!(
                "data/text.txt is the {} of data/{page_name}, decoded from {} ({}) to UTF-8",
                if ext == "html" {
                    "visible text (scripts, styles and markup removed)"
                } else {
                    "text"
                },
                cs.encoding.name(),
                cs.source
            ));
            if t.malformed_sequences {
                transformations.push(
                    "data/text.txt: byte sequences invalid in that charset were replaced with U+FFFD".into(),
                );
            }
            text_json = Some(record::TextRecord {
                file: "data/text.txt".into(),
                size: t.bytes,
                invalid_byte_sequences_replaced: t.malformed_sequences,
            });
        } else {
            transformations.push(format!(
                "no text.txt: data/{page_name} is not a text document"
            ));
        }
        page = Some(record::PageRecord {
            file: format!("data/{page_name}"),
            content_type,
            content_encoding,
            size: dec.size,
            charset: charset_json.0,
            charset_source: charset_json.1,
        });
    } else {
        transformations
            .push("no page was received, so there is no page file and no text.txt".into());
    }
    Ok((page, text_json, page_truncated))
}

/// What the record must say about each hop: informational answers, header
/// values shown with U+FFFD, truncation, bytes after the end, refusals and
/// the proxy.
fn note_hops(hops: &[Hop], transformations: &mut Vec<String>) {
    for (i, h) in hops.iter().enumerate() {
        for line in &h.informational {
            transformations.push(format!(
                "hop {}: an informational response ({line}) came before the final one; capture.json lists the final response's headers, the WARC holds both",
                i + 1
            ));
        }
        if h.headers.iter().any(|(_, v)| v.contains('\u{FFFD}')) {
            transformations.push(format!(
                "hop {}: some header values are not UTF-8 and are shown with U+FFFD in capture.json; the exact bytes are in the WARC",
                i + 1
            ));
        }
        if let Some(t) = h.truncated {
            transformations.push(format!(
                "hop {}: the response was not read to its end (WARC-Truncated: {t})",
                i + 1
            ));
        }
        if h.trailing_bytes > 0 {
            transformations.push(format!(
                "hop {}: the server sent {} bytes after the end of the response (by its framing; see docs/bundle-format.md); they are kept in the WARC response record but are not part of the page",
                i + 1,
                h.trailing_bytes
            ));
        }
    }
    for (i, h) in hops.iter().enumerate() {
        if let Some(r) = &h.refused {
            transformations.push(format!(
                "hop {}: not fetched: the network policy refused {} ({}); nothing was sent to it",
                i + 1,
                r.address,
                r.class.as_str()
            ));
        }
    }
    if hops.iter().any(|h| h.via_proxy) {
        transformations
            .push("fetched through a proxy: WARC-IP-Address is the proxy's address".into());
    }
}

/// The redirects and every hop as recorded in capture.json.
fn hop_records(
    hops: &[Hop],
    ids: &[(Option<String>, Option<String>)],
) -> (Vec<record::Redirect>, Vec<record::HopRecord>) {
    let redirects = hops
        .iter()
        .filter(|h| h.redirect_target().is_some())
        .map(|h| record::Redirect {
            url: h.url.to_string(),
            status: h.status.unwrap_or(0),
            location: h.location.clone(),
        })
        .collect();
    let hop_json: Vec<record::HopRecord> = hops
        .iter()
        .zip(ids)
        .map(|(h, (req_id, resp_id))| record::HopRecord {
            url: h.url.to_string(),
            started_at: crate::format_time(h.started_at),
            response_at: h.response_at.map(crate::format_time),
            ended_at: crate::format_time(h.ended_at),
            http_status: h.status,
            informational_responses: h.informational.clone(),
            headers: h
                .headers
                .iter()
                .map(|(n, v)| [n.clone(), v.clone()])
                .collect(),
            resolved_addresses: h.resolved.iter().map(|a| a.to_string()).collect(),
            server: server_of(h),
            address_class: h.address_class,
            refused: h.refused.clone(),
            via_proxy: h.via_proxy,
            tls: h.tls.clone(),
            request_bytes: h.request.len(),
            response_bytes: h.raw_len,
            body_bytes: h.body_len,
            truncated: h.truncated.map(str::to_string),
            error: h.error.as_ref().map(ToString::to_string),
            warc_request_record_id: req_id.clone(),
            warc_response_record_id: resp_id.clone(),
        })
        .collect();
    (redirects, hop_json)
}

/// `data/capture.warc.gz`: warcinfo, the request and response of every hop
/// (the bytes exactly as sent and received), then capture.json as metadata.
#[allow(clippy::too_many_arguments)]
fn write_warc(
    ctx: &PayloadCtx<'_>,
    data: &std::path::Path,
    hops: &[Hop],
    ids: &[(Option<String>, Option<String>)],
    resources: &[(&Hop, Option<String>, Option<String>)],
    warcinfo_id: &str,
    doc: &CaptureRecord,
    ended: DateTime<Utc>,
) -> Result<(), PayloadError> {
    let io = |what: &str, source| PayloadError {
        file: what.to_string(),
        source,
    };
    let warcinfo_id = warcinfo_id.to_string();
    let final_response_id = ids.last().and_then(|(_, r)| r.clone());
    let warc_name = "capture.warc.gz";
    let warc_path = data.join(warc_name);
    let f = crate::fsutil::create_new(&warc_path).map_err(|e| io(warc_name, e))?;
    let mut w = WarcWriter::new(BufWriter::with_capacity(256 * 1024, f));
    let now = crate::now_rfc3339();
    let info_block = format!(
        "software: warden/{}\r\nformat: WARC File Format 1.1\r\nconformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\nhostname: {}\r\noperator: {}\r\nwarden-case: {}\r\nwarden-capture-id: {}\r\nrobots: ignore (evidence capture of a single page)\r\n",
        crate::VERSION,
        crate::text::one_line(&ctx.env.hostname),
        crate::text::one_line(ctx.officer),
        crate::text::one_line(&ctx.case.config.case.id),
        doc.capture_id,
    );
    w.write_bytes(
        &[
            ("WARC-Type", "warcinfo".into()),
            ("WARC-Record-ID", warcinfo_id.clone()),
            ("WARC-Date", now.clone()),
            ("WARC-Filename", warc_name.into()),
            ("Content-Type", "application/warc-fields".into()),
            (
                "WARC-Block-Digest",
                warc::sha256_label(&crate::hash::sha256_hex(info_block.as_bytes())),
            ),
        ],
        info_block.as_bytes(),
    )
    .map_err(|e| io(warc_name, e))?;
    let all = hops
        .iter()
        .zip(ids)
        .map(|(h, (q, r))| (h, q, r))
        .chain(resources.iter().map(|(h, q, r)| (*h, q, r)));
    for (h, req_id, resp_id) in all {
        let ip = h.peer.map(|a| a.ip().to_string());
        if let Some(req_id) = req_id {
            let mut headers = vec![
                ("WARC-Type", "request".to_string()),
                ("WARC-Record-ID", req_id.clone()),
                ("WARC-Date", crate::format_time(h.started_at)),
                ("WARC-Target-URI", h.url.to_string()),
            ];
            if let Some(ip) = &ip {
                headers.push(("WARC-IP-Address", ip.clone()));
            }
            if let Some(r) = resp_id {
                headers.push(("WARC-Concurrent-To", r.clone()));
            }
            headers.push(("WARC-Warcinfo-ID", warcinfo_id.clone()));
            headers.push(("Content-Type", "application/http;msgtype=request".into()));
            headers.push((
                "WARC-Block-Digest",
                warc::sha256_label(&crate::hash::sha256_hex(&h.request)),
            ));
            w.write_bytes(&headers, &h.request)
                .map_err(|e| io(warc_name, e))?;
        }
        if let Some(resp_id) = resp_id {
            let mut headers = vec![
                ("WARC-Type", "response".to_string()),
                ("WARC-Record-ID", resp_id.clone()),
                (
                    "WARC-Date",
                    crate::format_time(h.response_at.unwrap_or(h.started_at)),
                ),
                ("WARC-Target-URI", h.url.to_string()),
            ];
            if let Some(ip) = &ip {
                headers.push(("WARC-IP-Address", ip.clone()));
            }
            if let Some(r) = req_id {
                headers.push(("WARC-Concurrent-To", r.clone()));
            }
            headers.push(("WARC-Warcinfo-ID", warcinfo_id.clone()));
            headers.push(("Content-Type", "application/http;msgtype=response".into()));
            headers.push(("WARC-Block-Digest", warc::sha256_label(&h.block_sha256)));
            if let Some(p) = &h.payload_sha256 {
                headers.push(("WARC-Payload-Digest", warc::sha256_label(p)));
            }
            if let Some(t) = h.truncated {
                headers.push(("WARC-Truncated", t.to_string()));
            }
            let mut f = h.raw.reader().map_err(|e| io(warc_name, e))?;
            w.write_record(&headers, &mut f, h.raw_len)
                .map_err(|e| io(warc_name, e))?;
        }
    }
    let meta_block = doc.to_json();
    let mut headers = vec![
        ("WARC-Type", "metadata".to_string()),
        ("WARC-Record-ID", warc::new_record_id()),
        ("WARC-Date", crate::format_time(ended)),
        ("WARC-Target-URI", doc.final_url.clone()),
    ];
    if let Some(r) = &final_response_id {
        headers.push(("WARC-Concurrent-To", r.clone()));
    }
    headers.push(("WARC-Warcinfo-ID", warcinfo_id.clone()));
    headers.push(("Content-Type", "application/json".into()));
    headers.push((
        "WARC-Block-Digest",
        warc::sha256_label(&crate::hash::sha256_hex(&meta_block)),
    ));
    w.write_bytes(&headers, &meta_block)
        .map_err(|e| io(warc_name, e))?;
    let mut inner = w.into_inner();
    inner.flush().map_err(|e| io(warc_name, e))?;
    // Made durable with the rest of the bundle when it is sealed.
    inner
        .into_inner()
        .map_err(|e| io(warc_name, e.into_error()))?;

    Ok(())
}

/// Writes the payload files of a capture into `draft`'s `data/` folder.
pub(crate) fn assemble(
    ctx: &PayloadCtx<'_>,
    draft: &Draft,
    requested: &Url,
    hops: &[Hop],
    rendered: Option<&super::browser::BrowserCapture>,
    started: DateTime<Utc>,
    ended: DateTime<Utc>,
) -> Result<Summary, PayloadError> {
    let data = draft.data_dir();
    let io = |what: &str, source| PayloadError {
        file: what.to_string(),
        source,
    };
    let last = hops.last().expect("at least one hop");
    let (mut status, mut error) = decide(hops, ctx.opts.fetch.max_bytes);
    let mut transformations = Vec::new();

    // Record ids, decided up front so records can refer to each other.
    let warcinfo_id = warc::new_record_id();
    let ids: Vec<(Option<String>, Option<String>)> = hops
        .iter()
        .map(|h| {
            (
                (!h.request.is_empty()).then(warc::new_record_id),
                (h.raw_len > 0).then(warc::new_record_id),
            )
        })
        .collect();

    let (page, text_json, page_truncated) = write_page(
        ctx,
        &data,
        last,
        &mut status,
        &mut error,
        &mut transformations,
        rendered.and_then(|r| r.dom.as_ref()).is_none(),
    )?;
    let mut text_json = text_json;
    let warnings = match rendered {
        Some(r) => write_rendered(
            draft,
            r,
            &mut status,
            &mut error,
            &mut text_json,
            &mut transformations,
        )?,
        // A page that is not a 2xx answer already needs looking at.
        None if status == CaptureStatus::Ok => http_warnings(&data, page.as_ref()),
        None => Vec::new(),
    };
    if rendered.is_none() && ctx.opts.browser.is_some() {
        transformations.push(
            "the browser was not started (--browser): no response to the page itself was received"
                .into(),
        );
    }
    note_hops(hops, &mut transformations);
    let session = ctx.opts.fetch.cookies.as_ref().map(|c| record::SessionRecord {
        cookie_file: c
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        cookie_names: c.names(),
        note: "a logged-in session was used: warden sent these cookies with each request whose address they match, as a browser would (and loaded them into the browser with --browser); their values are not recorded. Cookies the site set during the capture (Set-Cookie response headers) are kept as the site sent them".into(),
    });
    if session.is_some() {
        transformations.push(
            "a logged-in session was used (--cookies): in every WARC request record the Cookie header shows the cookie names, the values replaced by REDACTED; the records' digests are over those redacted bytes, so a request record is not byte for byte what was sent"
                .into(),
        );
    }
    let (redirects, hop_json) = hop_records(hops, &ids);
    let final_url = last.url.to_string();
    let mut doc = CaptureRecord {
        format: record::FORMAT.into(),
        capture_id: draft.id.clone(),
        case_id: ctx.case.config.case.id.clone(),
        case_title: ctx.case.config.case.title.clone(),
        agency: ctx.case.config.case.agency.clone(),
        officer: ctx.officer.to_string(),
        officer_public_key: ctx.officer_public_key.clone(),
        note: ctx.note.map(str::to_string),
        status: status.as_str().into(),
        error: error.clone(),
        warnings: warnings.clone(),
        requested_url: requested.to_string(),
        final_url: final_url.clone(),
        http_status: last.status,
        redirects,
        server: server_of(last),
        tls: last.tls.clone(),
        started_at: crate::format_time(started),
        ended_at: crate::format_time(ended),
        hops: hop_json,
        environment: ctx.env.clone(),
        tool: ctx.tool.clone(),
        settings: record::Settings {
            timeout_secs: ctx.opts.fetch.timeout.as_secs_f64(),
            max_time_secs: ctx.opts.fetch.max_time.as_secs_f64(),
            max_bytes: ctx.opts.fetch.max_bytes,
            accept_invalid_certs: ctx.opts.fetch.accept_invalid_certs,
            tsa: ctx.opts.tsa.as_ref().map(Url::to_string),
            max_redirects: ctx.opts.fetch.max_redirects,
            allow_private: ctx.opts.fetch.allow_private,
            min_rate: ctx.opts.fetch.min_rate,
            min_rate_time_secs: ctx.opts.fetch.min_rate_time.as_secs_f64(),
            per_host: ctx.opts.per_host,
            extra_trust_roots: ctx.opts.extra_roots.clone(),
        },
        truncated: status == CaptureStatus::Truncated || page_truncated,
        transformations,
        page,
        text: text_json,
        session,
        browser: rendered.map(|r| r.record.clone()),
        files: Vec::new(),
        files_note: "SHA-256 of every other payload file; capture.json itself is covered by manifest-sha256.txt".into(),
    };

    let resources: Vec<(&Hop, Option<String>, Option<String>)> = rendered
        .map(|r| {
            r.resources
                .iter()
                .map(|x| {
                    (
                        &x.hop,
                        (!x.hop.request.is_empty()).then(|| x.request_id.clone()),
                        x.response_id.clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    write_warc(
        ctx,
        &data,
        hops,
        &ids,
        &resources,
        &warcinfo_id,
        &doc,
        ended,
    )?;

    // capture.json lists the other payload files with their SHA-256 (the
    // draft keeps both digests, for the manifests).
    let bundle_io = |name: &str, e: crate::bundle::BundleError| match e {
        crate::bundle::BundleError::Io { source, .. } => io(name, source),
        other => io(name, std::io::Error::other(other.to_string())),
    };
    for name in crate::bundle::list_files(&data).map_err(|e| io("data", e))? {
        let path = format!("data/{name}");
        let d = draft.digest(&path).map_err(|e| bundle_io(&name, e))?;
        doc.files.push(record::FileRecord {
            path,
            sha256: d.sha256,
            size: d.size,
        });
    }
    let json = doc.to_json();
    draft
        .write_file("data/capture.json", &json)
        .map_err(|e| bundle_io("capture.json", e))?;

    Ok(Summary {
        id: draft.id.clone(),
        status,
        http_status: last.status,
        final_url,
        error,
        warnings,
    })
}

/// Largest part of a page or its text read for the warnings.
const WARNING_INPUT: u64 = 4 << 20;

/// The warnings for an HTTP capture (see [`super::warnings`]): only for
/// an HTML page, from its text and markup.
fn http_warnings(data: &std::path::Path, page: Option<&record::PageRecord>) -> Vec<String> {
    let Some(page) = page else {
        return Vec::new();
    };
    if page.file != "data/page.html" {
        return Vec::new();
    }
    let read = |name: &str| {
        let bytes = read_prefix(&data.join(name), WARNING_INPUT as usize);
        // Valid UTF-8 is used as read, without a copy, also when the cut
        // at WARNING_INPUT splits its last character (dropped here).
        match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) if e.utf8_error().error_len().is_none() => {
                let valid = e.utf8_error().valid_up_to();
                let mut bytes = e.into_bytes();
                bytes.truncate(valid);
                String::from_utf8(bytes).expect("valid up to here")
            }
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }
    };
    super::warnings::page_warnings(&read("text.txt"), &read("page.html"), false)
}

/// Writes what the browser rendered: the screenshots, `dom.html` (and
/// `text.txt` from it), `page.mhtml` and `network.json`; lowers the status
/// to `partial` when the browser could not finish. Returns the warnings.
fn write_rendered(
    draft: &Draft,
    r: &super::browser::BrowserCapture,
    status: &mut CaptureStatus,
    error: &mut Option<String>,
    text_json: &mut Option<record::TextRecord>,
    transformations: &mut Vec<String>,
) -> Result<Vec<String>, PayloadError> {
    let data = draft.data_dir();
    let io = |what: &str, source| PayloadError {
        file: what.to_string(),
        source,
    };
    let put = |name: &str, bytes: &[u8]| -> Result<(), PayloadError> {
        let f = crate::fsutil::create_new(&data.join(name)).map_err(|e| io(name, e));
        let mut f = f?;
        f.write_all(bytes).map_err(|e| io(name, e))?;
        f.flush().map_err(|e| io(name, e))
    };
    let product = r.record.product.as_deref().unwrap_or("the browser");
    if let Some(png) = &r.screenshot {
        put("screenshot.png", png)?;
        let size = r
            .record
            .screenshot
            .as_ref()
            .map(|s| format!("{} x {} px", s.width, s.height))
            .unwrap_or_default();
        let cut = r.record.height_cut
            || r.record.document_width.unwrap_or(0)
                > r.record.screenshot.as_ref().map_or(0, |s| s.width);
        transformations.push(if cut {
            format!(
                "data/screenshot.png is the part of the page (from its top left) that fits the size limits, as {product} rendered it ({size}), unchanged; capture.json browser.problems says where it was cut"
            )
        } else {
            format!(
                "data/screenshot.png is the whole page as {product} rendered it ({size}), unchanged"
            )
        });
    }
    if let Some(png) = &r.stamped {
        put("screenshot-stamped.png", png)?;
        transformations.push(
            "data/screenshot-stamped.png is a derivative made by warden: data/screenshot.png with a band added above it stating the capture id, the UTC time it was made and the URL; the screenshot itself is unchanged below the band"
                .into(),
        );
    }
    let mut warnings = Vec::new();
    if let Some(dom) = &r.dom {
        put("dom.html", dom.as_bytes())?;
        transformations.push(format!(
            "data/dom.html is the page's DOM as {product} held it just after the screenshot was made (the page's scripts keep running in between), serialised by the browser in UTF-8; it is not the HTML the server sent (that is data/page.*)"
        ));
        let cs = text::detect(Some("text/html; charset=utf-8"), b"", true);
        let t = text::extract_text(
            &data.join("dom.html"),
            cs,
            true,
            &data.join("text.txt"),
            MAX_TEXT_INPUT,
        )
        .map_err(|e| io("text.txt", e))?;
        transformations.push(
            "data/text.txt is the visible text of data/dom.html (the rendered page: text that scripts added is included; scripts, styles and markup removed)"
                .into(),
        );
        if t.input_truncated {
            transformations.push(format!(
                "data/text.txt holds the text of the first {} MiB of data/dom.html only",
                MAX_TEXT_INPUT >> 20
            ));
        }
        *text_json = Some(record::TextRecord {
            file: "data/text.txt".into(),
            size: t.bytes,
            invalid_byte_sequences_replaced: t.malformed_sequences,
        });
        let text = read_prefix(&data.join("text.txt"), WARNING_INPUT as usize);
        let end = dom.floor_char_boundary(WARNING_INPUT as usize);
        if *status == CaptureStatus::Ok {
            warnings =
                super::warnings::page_warnings(&String::from_utf8_lossy(&text), &dom[..end], true);
        }
    } else {
        transformations.push(
            "no rendered DOM was obtained, so data/text.txt (if any) is the text of the page the server sent"
                .into(),
        );
    }
    if let Some(m) = &r.mhtml {
        put("page.mhtml", m.as_bytes())?;
        transformations.push(format!(
            "data/page.mhtml is {product}'s MHTML snapshot of the rendered page; open it only in a browser that is offline"
        ));
    }
    let network = serde_json::to_vec_pretty(&r.network).expect("network entries serialise");
    put("network.json", &network)?;
    transformations.push(format!(
        "data/network.json lists every request the browser made ({}): the page's own were answered from this capture's hops, the others were fetched by warden for the browser and are in the WARC; requests warden did not fetch are listed with the reason",
        r.network.len()
    ));
    warnings.extend(r.notices.iter().cloned());
    for d in &r.record.dialogs {
        warnings.push(format!(
            "the page opened a JavaScript {} dialog ({:?}), which warden {}",
            d.kind,
            crate::text::one_line(&d.message),
            d.answer
        ));
    }
    if !r.record.problems.is_empty() {
        let msg = format!("browser: {}", r.record.problems.join("; "));
        if *status == CaptureStatus::Ok {
            *status = CaptureStatus::Partial;
        }
        *error = Some(match error.take() {
            Some(prev) => format!("{prev}; {msg}"),
            None => msg,
        });
    }
    Ok(warnings)
}

fn read_prefix(path: &std::path::Path, n: usize) -> Vec<u8> {
    use std::io::Read;
    let Ok(f) = std::fs::File::open(path) else {
        return Vec::new();
    };
    // Room for what the file holds, not for `n` bytes (megabytes) each time.
    let len = f.metadata().map_or(0, |m| m.len()).min(n as u64);
    let mut buf = Vec::with_capacity(len as usize);
    let _ = f.take(n as u64).read_to_end(&mut buf);
    buf
}

/// For type sniffing only: the first decoded bytes of a possibly encoded body.
fn first_decoded_guess(first: &[u8], encoding: Option<&str>) -> Vec<u8> {
    use std::io::Read;
    let codings = crate::http::content_codings(encoding);
    let mut out = Vec::new();
    match crate::http::decoder(Box::new(first), &codings) {
        Ok(r) => {
            let _ = r.take(256).read_to_end(&mut out);
        }
        Err(_) => out = first.to_vec(),
    }
    out
}
