//! One HTTP/1 exchange on an open connection, read with the shared rules of
//! [`crate::http`]: the request is written, the response bytes are read
//! through the recording tee (so they all reach the WARC record) and framed
//! here, by the same code verify uses on the WARC record, so a capture that
//! says ok verifies.
//!
//! Bounds: all response heads together at most [`MAX_HEAD_BYTES`], at most
//! [`crate::http::MAX_INFORMATIONAL`] informational heads, the stored body
//! at most `--max-bytes`, the body bytes on the wire at most
//! [`body_wire_limit`]; past a bound the response is cut
//! (`WARC-Truncated: length`).

use super::fetch::{FetchConfig, Hop, Timeout, with_timeout};
use crate::http::{
    BodyEnd, FrameError, HeadError, HeadParser, Heads, MAX_HEAD_BYTES, Unframer, framing_of,
};
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// How long to keep reading bytes a server sends after the end of the body
/// (by its framing) before closing: they are kept in the WARC record.
const DRAIN_IDLE: Duration = Duration::from_millis(500);

/// Most bytes, and longest time, read after the end of the body.
const DRAIN_MAX: u64 = 1 << 20;
const DRAIN_TIME: Duration = Duration::from_secs(2);

const READ_SIZE: usize = 64 * 1024;

/// Why an exchange ended without a complete response.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ResponseError {
    #[error("the {what} {value:?} contains a control character; the request was not sent")]
    ControlCharacter { what: &'static str, value: String },
    #[error("the {what} {value:?} is not an HTTP token; the request was not sent")]
    NotToken { what: &'static str, value: String },
    #[error(transparent)]
    Timeout(#[from] Timeout),
    #[error("sending the request to {host} failed: {source}")]
    Send { host: String, source: io::Error },
    #[error("the connection to {host} broke: {source}")]
    Broke { host: String, source: io::Error },
    #[error("{host} closed the connection without answering")]
    NoAnswer { host: String },
    #[error(
        "{host} closed the connection before the end of the response head ({received} bytes received)"
    )]
    HeadCutShort { host: String, received: usize },
    /// A bound on response heads was passed (the response is cut there).
    #[error(
        "{source}; the capture stopped there (the {received} bytes received are kept in the WARC)"
    )]
    HeadBound { source: HeadError, received: usize },
    #[error("{host} did not send a valid HTTP response: {source}")]
    NotHttp { host: String, source: HeadError },
    #[error("{0}; a browser refuses such a response")]
    Framing(FrameError),
    #[error("cannot write {}: {source}", .path.display())]
    WriteBody { path: PathBuf, source: io::Error },
    #[error("{0}; the page holds the body up to that point, the bytes as received are in the WARC")]
    BadBody(FrameError),
    #[error(
        "the response body took more than {limit} bytes on the wire for at most --max-bytes ({max_bytes}) bytes of page; the capture stopped there"
    )]
    WireLimit { limit: u64, max_bytes: u64 },
    #[error("the connection broke while reading the page: {0}")]
    BrokeInBody(io::Error),
    #[error(transparent)]
    TooSlow(#[from] TooSlow),
    #[error(
        "the connection closed before the end of the page ({received} bytes of body received); the page holds what was received"
    )]
    BodyCutShort { received: u64 },
}

/// The body came slower than the minimum-rate rule allows.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "ended by the minimum-rate rule: the server sent {bytes} byte(s) of the page in the last {secs} s, less than --min-rate {min_rate} bytes/s over --min-rate-time {secs} s; the page is incomplete"
)]
pub(crate) struct TooSlow {
    bytes: u64,
    secs: f64,
    min_rate: u64,
}

/// Most body bytes read off the wire (chunk framing included) for a page
/// stored up to `max_bytes`.
pub(crate) fn body_wire_limit(max_bytes: u64) -> u64 {
    max_bytes.saturating_mul(2).saturating_add(64 * 1024)
}

/// The request warden sends: a browser-like GET that asks the server to
/// close the connection after the response.
pub(super) fn request_bytes(
    target: &str,
    host: &str,
    user_agent: &str,
    cookie: Option<&str>,
    extra: &[(String, String)],
) -> Result<Vec<u8>, ResponseError> {
    for (what, v) in [
        ("request target", target),
        ("Host header", host),
        ("User-Agent", user_agent),
        ("Cookie header", cookie.unwrap_or("")),
    ]
    .into_iter()
    .chain(extra.iter().flat_map(|(k, v)| {
        [
            ("extra header name", k.as_str()),
            ("extra header value", v.as_str()),
        ]
    })) {
        if v.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Err(ResponseError::ControlCharacter {
                what,
                value: v.to_string(),
            });
        }
    }
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    let given = |name: &str| extra.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    let mut head = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {user_agent}\r\n");
    if !given("accept") {
        head.push_str(
            "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n",
        );
    }
    if !given("accept-language") {
        head.push_str("Accept-Language: en;q=0.9,*;q=0.5\r\n");
    }
    head.push_str("Accept-Encoding: gzip, deflate, br\r\n");
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&cookie);
    head.push_str("Connection: close\r\n\r\n");
    Ok(head.into_bytes())
}

/// Request headers warden sets itself on a browser's request (or that only
/// concern one connection); the browser's own values are dropped.
const OWN_HEADERS: &[&str] = &[
    "host",
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "accept-encoding",
];

/// The request warden sends for a browser's request `spec`: its method,
/// headers and body, with Host, Content-Length, `Accept-Encoding` (codings
/// warden can undo) and `Connection: close` set by warden.
pub(super) fn request_bytes_for(
    target: &str,
    host: &str,
    spec: &super::fetch::RequestSpec,
) -> Result<Vec<u8>, ResponseError> {
    let bad = |b: u8| (b < 0x20 && b != b'\t') || b == 0x7f;
    let check = |what: &'static str, v: &str| {
        if v.bytes().any(bad) {
            Err(ResponseError::ControlCharacter {
                what,
                value: v.to_string(),
            })
        } else {
            Ok(())
        }
    };
    check("request target", target)?;
    check("Host header", host)?;
    let method_ok = !spec.method.is_empty()
        && spec
            .method
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !method_ok {
        return Err(ResponseError::NotToken {
            what: "request method",
            value: spec.method.clone(),
        });
    }
    let mut out = format!("{} {target} HTTP/1.1\r\nHost: {host}\r\n", spec.method);
    for (name, value) in &spec.headers {
        let lower = name.to_ascii_lowercase();
        if OWN_HEADERS.contains(&lower.as_str()) || name.starts_with(':') {
            continue;
        }
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !name_ok {
            return Err(ResponseError::NotToken {
                what: "request header name",
                value: name.clone(),
            });
        }
        check("request header", value)?;
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("Accept-Encoding: gzip, deflate, br\r\n");
    if !spec.body.is_empty() || !matches!(spec.method.as_str(), "GET" | "HEAD" | "OPTIONS") {
        out.push_str(&format!("Content-Length: {}\r\n", spec.body.len()));
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&spec.body);
    Ok(bytes)
}

/// Reads into `buf`; a TLS connection closed without close_notify counts as
/// the end of the stream (as browsers treat it).
async fn read_some<S: AsyncRead + Unpin>(io: &mut S, buf: &mut [u8]) -> io::Result<usize> {
    match io.read(buf).await {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
        r => r,
    }
}

/// Reads the response heads into `buf` (no more than one byte past
/// [`MAX_HEAD_BYTES`]). [`ResponseError::HeadBound`]: a bound cut the
/// response.
async fn read_heads<S: AsyncRead + Unpin>(
    io: &mut S,
    buf: &mut Vec<u8>,
    chunk: &mut [u8],
    host: &str,
) -> Result<Heads, ResponseError> {
    let mut parser = HeadParser::new();
    loop {
        let want = chunk.len().min(MAX_HEAD_BYTES + 1 - buf.len());
        let n = read_some(io, &mut chunk[..want])
            .await
            .map_err(|source| ResponseError::Broke {
                host: host.to_string(),
                source,
            })?;
        if n == 0 {
            return Err(if buf.is_empty() {
                ResponseError::NoAnswer {
                    host: host.to_string(),
                }
            } else {
                ResponseError::HeadCutShort {
                    host: host.to_string(),
                    received: buf.len(),
                }
            });
        }
        buf.extend_from_slice(&chunk[..n]);
        match parser.parse(buf) {
            Ok(Some(h)) => return Ok(h),
            Ok(None) => {}
            Err(source @ (HeadError::TooLarge | HeadError::TooManyInformational)) => {
                return Err(ResponseError::HeadBound {
                    source,
                    received: buf.len(),
                });
            }
            Err(source) => {
                return Err(ResponseError::NotHttp {
                    host: host.to_string(),
                    source,
                });
            }
        }
    }
}

/// Sends `request` on `io` and reads the response into `hop`: its heads,
/// and its body (transfer framing removed, content coding kept) into
/// `hop.body_path`. `host` names the server in messages.
pub(super) async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut S,
    request: &[u8],
    cfg: &FetchConfig,
    hop: &mut Hop,
    deadline: Instant,
    host: &str,
    method: &str,
) -> Result<(), ResponseError> {
    hop.started_at = chrono::Utc::now();
    with_timeout(cfg.timeout, deadline, "sending the request", async {
        io.write_all(request).await?;
        io.flush().await
    })
    .await?
    .map_err(|source| ResponseError::Send {
        host: host.to_string(),
        source,
    })?;

    // The heads: all of them within one --timeout, as one answer.
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; READ_SIZE];
    let heads = with_timeout(
        cfg.timeout,
        deadline,
        &format!("waiting for {host} to answer"),
        read_heads(io, &mut buf, &mut chunk, host),
    )
    .await?
    .inspect_err(|e| {
        if matches!(e, ResponseError::HeadBound { .. }) {
            hop.truncated = Some("length");
        }
    })?;
    let last = &heads.last;
    hop.status = Some(last.status);
    hop.headers = last.lossy_headers();
    hop.informational = heads
        .informational
        .iter()
        .map(|h| h.status_line.clone())
        .collect();
    hop.location = last.text("location");
    hop.content_type = last.text("content-type");
    let encodings: Vec<String> = last
        .values("content-encoding")
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect();
    hop.content_encoding = (!encodings.is_empty()).then(|| encodings.join(", "));
    let framing = framing_of(last, method).map_err(ResponseError::Framing)?;

    // The body.
    hop.body_read = true;
    let body_path = hop.body.path().to_path_buf();
    let out = &mut hop.body;
    let write_err = |source: io::Error| ResponseError::WriteBody {
        path: body_path.clone(),
        source,
    };
    let mut unframer = Unframer::new(framing);
    let wire_limit = body_wire_limit(cfg.max_bytes);
    let mut pending = buf.split_off(heads.len);
    drop(buf);
    let mut wire = pending.len() as u64;
    let mut body = Vec::new();
    let mut body_len = 0u64;
    let mut outcome: Result<(), ResponseError> = Ok(());
    let mut eof = false;
    let mut rate = RateWindow::new(cfg);
    let mut too_slow: Option<TooSlow> = None;
    loop {
        body.clear();
        // Body bytes before a framing error are part of the page (verify
        // keeps them too).
        let fed = unframer.feed(&pending, &mut body);
        let room = cfg.max_bytes.saturating_sub(body_len);
        let take = (body.len() as u64).min(room) as usize;
        out.write_all(&body[..take]).map_err(write_err)?;
        body_len += take as u64;
        if take < body.len() {
            hop.truncated = Some("length");
            break;
        }
        match fed {
            Ok(n) => hop.trailing_bytes += (pending.len() - n) as u64,
            Err(e) => {
                outcome = Err(ResponseError::BadBody(e));
                break;
            }
        }
        if let Some(slow) = too_slow.take() {
            // Keep what came; the page is not complete.
            hop.truncated = Some("time");
            outcome = Err(slow.into());
            break;
        }
        if unframer.is_done() || eof {
            break;
        }
        if wire >= wire_limit {
            hop.truncated = Some("length");
            outcome = Err(ResponseError::WireLimit {
                limit: wire_limit,
                max_bytes: cfg.max_bytes,
            });
            break;
        }
        let want = (READ_SIZE as u64).min(wire_limit - wire) as usize;
        let wait = cfg.timeout.min(rate.time_left());
        let read = with_timeout(
            wait,
            deadline,
            "reading the page",
            read_some(io, &mut chunk[..want]),
        )
        .await;
        let n = match read {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => {
                hop.truncated = Some("disconnect");
                outcome = Err(ResponseError::BrokeInBody(e));
                break;
            }
            Err(e) => {
                if let Some(slow) = rate.check() {
                    hop.truncated = Some("time");
                    outcome = Err(slow.into());
                    break;
                }
                if wait < cfg.timeout && Instant::now() < deadline {
                    // Only the rate window ended, and the rate was met.
                    pending.clear();
                    continue;
                }
                hop.truncated = Some("time");
                outcome = Err(e.into());
                break;
            }
        };
        rate.add(n as u64);
        too_slow = rate.check();
        wire += n as u64;
        eof = n == 0;
        pending.clear();
        pending.extend_from_slice(&chunk[..n]);
    }
    out.finish().map_err(write_err)?;
    hop.body_len = body_len;
    if outcome.is_ok() && hop.truncated.is_none() && unframer.end() == BodyEnd::CutShort {
        hop.truncated = Some("disconnect");
        outcome = Err(ResponseError::BodyCutShort { received: body_len });
    }
    if outcome.is_ok() && hop.truncated.is_none() && !eof {
        // Bytes after the body (by its framing) are not part of the page
        // but are evidence of what the server sent: keep them in the WARC.
        let mut budget = wire_limit.saturating_sub(wire).min(DRAIN_MAX);
        let drain_end = deadline.min(Instant::now() + DRAIN_TIME);
        while budget > 0 {
            let want = (READ_SIZE as u64).min(budget) as usize;
            let idle = DRAIN_IDLE.min(drain_end.saturating_duration_since(Instant::now()));
            match tokio::time::timeout(idle, read_some(io, &mut chunk[..want])).await {
                Ok(Ok(n)) if n > 0 => {
                    hop.trailing_bytes += n as u64;
                    budget -= n as u64;
                }
                _ => break,
            }
        }
    }
    outcome
}

/// The minimum-rate rule (like curl's `--speed-limit`/`--speed-time`): the
/// body must bring at least `min_rate` bytes a second, averaged over each
/// window of `min_rate_time`.
pub(super) struct RateWindow {
    min_rate: u64,
    window: Duration,
    start: Instant,
    bytes: u64,
}

impl RateWindow {
    pub(super) fn new(cfg: &FetchConfig) -> Self {
        RateWindow {
            min_rate: cfg.min_rate,
            window: cfg.min_rate_time,
            start: Instant::now(),
            bytes: 0,
        }
    }

    pub(super) fn add(&mut self, n: u64) {
        self.bytes += n;
    }

    /// Time until the current window ends (forever when the rule is off).
    pub(super) fn time_left(&self) -> Duration {
        if self.min_rate == 0 {
            return Duration::MAX;
        }
        self.window
            .saturating_sub(self.start.elapsed())
            .max(Duration::from_millis(1))
    }

    /// At a window's end: the error if the rate was too low, else a new
    /// window starts.
    pub(super) fn check(&mut self) -> Option<TooSlow> {
        if self.min_rate == 0 || self.start.elapsed() < self.window {
            return None;
        }
        let secs = self.window.as_secs_f64();
        let needed = (self.min_rate as f64 * secs).ceil() as u64;
        if self.bytes < needed {
            return Some(TooSlow {
                bytes: self.bytes,
                secs,
                min_rate: self.min_rate,
            });
        }
        self.start = Instant::now();
        self.bytes = 0;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::request_bytes_for;
    use crate::capture::fetch::RequestSpec;

    fn spec(method: &str, headers: &[(&str, &str)], body: &[u8]) -> RequestSpec {
        RequestSpec {
            method: method.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn a_browser_request_keeps_its_headers_and_body_but_warden_sets_the_framing() {
        let s = spec(
            "POST",
            &[
                ("Accept", "*/*"),
                ("Host", "evil.example"),
                ("Content-Length", "999"),
                ("Accept-Encoding", "zstd"),
                ("Connection", "keep-alive"),
            ],
            b"q=ivory",
        );
        let out =
            String::from_utf8(request_bytes_for("/api", "shop.example", &s).unwrap()).unwrap();
        assert_eq!(
            out,
            "POST /api HTTP/1.1\r\nHost: shop.example\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate, br\r\nContent-Length: 7\r\nConnection: close\r\n\r\nq=ivory"
        );
    }

    #[test]
    fn header_injection_and_bad_tokens_are_refused() {
        for s in [
            spec("GET", &[("X-A", "1\r\nX-Injected: 2")], b""),
            spec("GET", &[("X A", "1")], b""),
            spec("GET", &[("X-A:", "1")], b""),
            spec("GE T", &[], b""),
            spec("", &[], b""),
        ] {
            let e = request_bytes_for("/", "h", &s).unwrap_err().to_string();
            assert!(e.ends_with("the request was not sent"), "{e}");
        }
    }
}
