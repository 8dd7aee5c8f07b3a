//! The evidentiary HTTP fetcher: one fresh connection per hop, HTTP/1.1 read
//! with the shared rules of [`crate::http`] (see [`super::response`]), TLS
//! through rustls, every byte on the wire recorded by a [`Tee`], redirects
//! followed by hand so each hop is its own WARC exchange.

use super::policy::{self, AddrClass, HopPolicy, PolicyRefusal, Refusal};
use super::response::ResponseError;
use super::spool::Spool;
use super::tee::{SharedSink, Tee, TeeSink};
use super::tls::{self, CertProblem, RecordingVerifier, TlsRecord};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

/// How to fetch.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub user_agent: String,
    pub proxy: Option<Url>,
    /// Longest wait for a connection, the handshake, the response head, or
    /// the next piece of the body.
    pub timeout: Duration,
    /// Longest a single hop may take in total.
    pub max_time: Duration,
    /// Largest body stored; the rest is not read.
    pub max_bytes: u64,
    pub accept_invalid_certs: bool,
    pub max_redirects: usize,
    /// Follow redirects into more private address classes (never into
    /// link-local ones); see the `policy` module.
    pub allow_private: bool,
    /// Minimum body rate in bytes per second, averaged over each
    /// `min_rate_time` window; 0 turns the rule off.
    pub min_rate: u64,
    pub min_rate_time: Duration,
    /// Trusted roots for https (`None`: the operating system's store).
    pub roots: Option<Arc<rustls::RootCertStore>>,
    /// A logged-in session's cookies (`--cookies`), sent where a browser
    /// would send them; every Cookie header is redacted in the record.
    pub cookies: Option<Arc<super::cookies::CookieFile>>,
    /// Request headers a marketplace profile adds (`[target.headers]`,
    /// checked there); one named like a default (Accept, Accept-Language)
    /// replaces it.
    pub extra_headers: Vec<(String, String)>,
}

impl FetchConfig {
    fn trusted_roots(&self) -> Arc<rustls::RootCertStore> {
        self.roots.clone().unwrap_or_else(tls::system_roots)
    }
}

/// Why a hop ended without a complete response (recorded in `capture.json`
/// as the hop's `error`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("cannot write the response record {}: {source}", .path.display())]
    Record { path: PathBuf, source: io::Error },
    #[error("{url} has no host")]
    NoHost { url: Url },
    #[error("{url} has no port")]
    NoPort { url: Url },
    #[error("refused to follow the redirect to {url}: {address} is {}; {reason}", .class.as_str())]
    Refused {
        url: Url,
        address: String,
        class: AddrClass,
        reason: PolicyRefusal,
    },
    #[error(transparent)]
    Timeout(#[from] Timeout),
    #[error("DNS lookup of {host} failed: {source}")]
    Dns { host: String, source: io::Error },
    #[error("DNS lookup of {host} returned no address")]
    NoAddress { host: String },
    #[error("connecting to {addr} failed: {source}")]
    Connect { addr: SocketAddr, source: io::Error },
    #[error(transparent)]
    Proxy(#[from] ProxyError),
    #[error("{host} is not a valid TLS server name: {source}")]
    ServerName {
        host: String,
        source: rustls::pki_types::InvalidDnsNameError,
    },
    #[error(
        "TLS handshake with {host} failed: certificate not trusted ({problem}); to capture anyway, add --accept-invalid-certs (the failure is recorded in the bundle)"
    )]
    Untrusted { host: String, problem: CertProblem },
    #[error("TLS handshake with {host} failed: {source}")]
    Tls { host: String, source: io::Error },
    #[error(transparent)]
    Response(#[from] ResponseError),
    #[error("the server answered HTTP {status} (a redirect) without a Location header")]
    NoLocation { status: u16 },
    #[error("redirect to an invalid location {location:?}: {source}")]
    BadLocation {
        location: String,
        source: url::ParseError,
    },
    #[error("stopped after {max} redirects (the chain may loop)")]
    TooManyRedirects { max: usize },
    #[error(
        "the redirect leads to a URL of {len} bytes, longer than the {} bytes (256 KiB) warden accepts; not followed",
        super::input::MAX_URL_BYTES
    )]
    RedirectTooLong { len: usize },
    #[error("redirect to unsupported scheme: {url}")]
    RedirectScheme { url: Url },
}

/// A wait that took too long.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum Timeout {
    /// The time left for the whole page (`--max-time`) ran out first.
    #[error("{what}: gave up after the time limit for one request")]
    MaxTime { what: String },
    /// No answer within `--timeout`.
    #[error("{what}: no answer within {} s", .limit.as_secs_f64())]
    NoAnswer { what: String, limit: Duration },
}

/// Why a CONNECT tunnel through the proxy could not be opened.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProxyError {
    #[error("proxy: {0}")]
    Io(io::Error),
    #[error(transparent)]
    Timeout(#[from] Timeout),
    #[error("the proxy closed the connection during CONNECT")]
    Closed,
    #[error(
        "the proxy's answer to CONNECT is longer than {} bytes; no tunnel was opened",
        MAX_CONNECT_HEAD
    )]
    TooLarge,
    #[error("the proxy refused the tunnel: {status_line}")]
    Refused { status_line: String },
}

/// Why no time-stamp token was received from the time-stamp authority.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TsaError {
    #[error("time-stamp authority URL {url} has no host")]
    NoHost { url: Url },
    #[error(transparent)]
    Timeout(#[from] Timeout),
    #[error("time-stamp authority {host}: DNS lookup of {what}: {source}")]
    Dns {
        host: String,
        what: &'static str,
        source: io::Error,
    },
    #[error("time-stamp authority {host}: {what} has no address")]
    NoAddress { host: String, what: &'static str },
    #[error("time-stamp authority {host}: connecting to {what}: {source}")]
    Connect {
        host: String,
        what: &'static str,
        source: io::Error,
    },
    #[error("time-stamp authority {host}: {source}")]
    Proxy { host: String, source: ProxyError },
    #[error("time-stamp authority {host}: {source}")]
    ServerName {
        host: String,
        source: rustls::pki_types::InvalidDnsNameError,
    },
    #[error("time-stamp authority {host}: TLS failed: {source}")]
    Tls { host: String, source: io::Error },
    #[error("time-stamp authority {host}: {source}")]
    Http { host: String, source: hyper::Error },
    #[error("time-stamp request: {0}")]
    Request(hyper::http::Error),
    #[error("time-stamp authority {host} answered HTTP {status}")]
    Status {
        host: String,
        status: hyper::StatusCode,
    },
    #[error("time-stamp authority {host} sent more than 1 MiB; refusing")]
    TooLarge { host: String },
}

/// Everything recorded about one request/response exchange.
#[derive(Debug)]
pub(crate) struct Hop {
    pub(crate) url: Url,
    pub(crate) started_at: DateTime<Utc>,
    pub(crate) response_at: Option<DateTime<Utc>>,
    pub(crate) ended_at: DateTime<Utc>,
    pub(crate) resolved: Vec<SocketAddr>,
    pub(crate) peer: Option<SocketAddr>,
    /// The class of the address connected to (through a proxy: of the URL's
    /// host, see [`policy`]).
    pub(crate) address_class: Option<AddrClass>,
    /// Set when the network policy refused to connect for this hop.
    pub(crate) refused: Option<Refusal>,
    pub(crate) via_proxy: bool,
    pub(crate) tls: Option<TlsRecord>,
    /// Raw request bytes as written to the connection.
    pub(crate) request: Vec<u8>,
    /// Raw response bytes as read from the connection, their count and WARC
    /// digests.
    pub(crate) raw: Spool,
    pub(crate) raw_len: u64,
    pub(crate) block_sha256: String,
    pub(crate) payload_sha256: Option<String>,
    pub(crate) status: Option<u16>,
    /// Response header lines as received (name, value), in order, from the
    /// final (non-1xx) response head. Values are shown as UTF-8; bytes that
    /// are not UTF-8 appear as U+FFFD (the exact bytes are in the WARC).
    pub(crate) headers: Vec<(String, String)>,
    /// Status lines of informational (1xx) responses that came first.
    pub(crate) informational: Vec<String>,
    /// First Location header of the final head.
    pub(crate) location: Option<String>,
    /// First Content-Type header; every Content-Encoding value, joined
    /// with ", " (see [`crate::http`]).
    pub(crate) content_type: Option<String>,
    pub(crate) content_encoding: Option<String>,
    /// The body with transfer-encoding removed (content-encoding kept).
    pub(crate) body: Spool,
    /// Whether a response head was read whose body could be framed (only
    /// then is there a page, possibly empty).
    pub(crate) body_read: bool,
    pub(crate) body_len: u64,
    /// Bytes received after the end of the body (by its framing): kept in
    /// the WARC record, not part of the page.
    pub(crate) trailing_bytes: u64,
    /// WARC-Truncated reason, if the response was not read to its end.
    pub(crate) truncated: Option<&'static str>,
    pub(crate) error: Option<FetchError>,
}

impl Hop {
    /// The redirect target, if this hop is a redirect with a usable Location.
    pub(crate) fn redirect_target(&self) -> Option<Result<Url, FetchError>> {
        let status = self.status?;
        if !matches!(status, 301 | 302 | 303 | 307 | 308) {
            return None;
        }
        let Some(loc) = self.location.as_deref() else {
            return Some(Err(FetchError::NoLocation { status }));
        };
        Some(
            self.url
                .join(loc)
                .map_err(|source| FetchError::BadLocation {
                    location: loc.to_string(),
                    source,
                }),
        )
    }
}

/// A request a browser asked for, which warden sends on its behalf (see
/// [`fetch_resource`]).
#[derive(Debug, Clone)]
pub(crate) struct RequestSpec {
    pub(crate) method: String,
    /// The browser's header lines; warden sets Host, Connection,
    /// Content-Length and Accept-Encoding itself (see
    /// [`super::response::request_bytes_for`]).
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

/// Fetches one resource a browser asked for: one exchange, no redirect
/// followed (the browser follows them, each as a new request), under the
/// network policy `rule`. The scratch files are `<name>.response` and
/// `<name>.body` in `work`.
pub(crate) async fn fetch_resource(
    url: &Url,
    spec: &RequestSpec,
    cfg: &FetchConfig,
    work: &Path,
    name: &str,
    rule: HopPolicy,
) -> Hop {
    let deadline = Instant::now() + cfg.max_time;
    fetch_one_with(url, Some(spec), cfg, work, name, deadline, rule).await
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Follows the redirect chain from `url`; returns every hop, the last one
/// being the final page (or the failure).
pub(crate) async fn fetch_chain(url: &Url, cfg: &FetchConfig, work: &Path) -> Vec<Hop> {
    let mut hops = Vec::new();
    let mut current = url.clone();
    // One deadline for the whole page, redirects included.
    let deadline = Instant::now() + cfg.max_time;
    loop {
        let n = hops.len() + 1;
        let rule = match hops.first().and_then(|h: &Hop| h.address_class) {
            None => HopPolicy::Officer,
            Some(limit) => HopPolicy::Redirect {
                limit,
                allow_private: cfg.allow_private,
            },
        };
        let hop = fetch_one_with(
            &current,
            None,
            cfg,
            work,
            &format!("hop-{n}"),
            deadline,
            rule,
        )
        .await;
        let next = hop.redirect_target();
        let failed = hop.error.is_some();
        hops.push(hop);
        match next {
            Some(Ok(next)) if !failed => {
                if hops.len() > cfg.max_redirects {
                    let last = hops.last_mut().expect("one hop");
                    last.error = Some(FetchError::TooManyRedirects {
                        max: cfg.max_redirects,
                    });
                    return hops;
                }
                if next.as_str().len() > super::input::MAX_URL_BYTES {
                    let last = hops.last_mut().expect("one hop");
                    last.error = Some(FetchError::RedirectTooLong {
                        len: next.as_str().len(),
                    });
                    return hops;
                }
                if !matches!(next.scheme(), "http" | "https") {
                    let last = hops.last_mut().expect("one hop");
                    last.error = Some(FetchError::RedirectScheme { url: next });
                    return hops;
                }
                current = next;
            }
            Some(Err(e)) => {
                let last = hops.last_mut().expect("one hop");
                last.error.get_or_insert(e);
                return hops;
            }
            _ => return hops,
        }
    }
}

/// The request target in origin form (`/path?query`).
fn origin_form(url: &Url) -> String {
    let mut s = url.path().to_string();
    if s.is_empty() {
        s.push('/');
    }
    if let Some(q) = url.query() {
        s.push('?');
        s.push_str(q);
    }
    s
}

/// The request target in absolute form, for a proxy: never with the URL's
/// user name or password (RFC 9110 forbids sending them in a target).
fn absolute_form(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_fragment(None);
    u.to_string()
}

/// Records that the network policy refused this hop; returns its error.
fn refuse(
    hop: &mut Hop,
    url: &Url,
    address: String,
    class: AddrClass,
    reason: PolicyRefusal,
) -> FetchError {
    hop.refused = Some(Refusal {
        address: address.clone(),
        class,
        reason: reason.to_string(),
    });
    hop.address_class = Some(class);
    FetchError::Refused {
        url: url.clone(),
        address,
        class,
        reason,
    }
}

/// `host[:port]` for the Host header (default ports omitted).
fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

async fn fetch_one_with(
    url: &Url,
    spec: Option<&RequestSpec>,
    cfg: &FetchConfig,
    work: &Path,
    name: &str,
    deadline: Instant,
    rule: HopPolicy,
) -> Hop {
    let mut hop = Hop {
        url: url.clone(),
        started_at: Utc::now(),
        response_at: None,
        ended_at: Utc::now(),
        resolved: Vec::new(),
        peer: None,
        address_class: None,
        refused: None,
        via_proxy: cfg.proxy.is_some(),
        tls: None,
        request: Vec::new(),
        raw: Spool::new(work.join(format!("{name}.response"))),
        raw_len: 0,
        block_sha256: crate::hash::sha256_hex(b""),
        payload_sha256: None,
        status: None,
        headers: Vec::new(),
        informational: Vec::new(),
        location: None,
        content_type: None,
        content_encoding: None,
        body: Spool::new(work.join(format!("{name}.body"))),
        body_read: false,
        body_len: 0,
        trailing_bytes: 0,
        truncated: None,
        error: None,
    };
    let raw = std::mem::replace(&mut hop.raw, Spool::new(PathBuf::new()));
    let sink: SharedSink = Arc::new(Mutex::new(TeeSink::new(raw)));
    let result = exchange(url, spec, cfg, &mut hop, sink.clone(), deadline, rule).await;
    if let Err(e) = result {
        hop.error = Some(e);
    }
    hop.ended_at = Utc::now();
    // Collect what the tee recorded, whatever happened.
    let sink = {
        let mut guard = sink.lock().expect("tee lock");
        std::mem::replace(&mut *guard, TeeSink::new(Spool::new(PathBuf::new())))
    };
    hop.request = sink.request;
    if cfg.cookies.is_some() {
        // The session's cookie values never enter the evidence.
        hop.request = super::cookies::redact_cookies(&hop.request);
    }
    hop.raw_len = sink.raw_len;
    hop.response_at = sink.first_byte_at;
    let d = sink.digester.finish();
    hop.block_sha256 = d.block_sha256;
    hop.payload_sha256 = d.payload_sha256;
    // Scratch files: flushed, not fsynced (no blocking disk waits on the
    // network threads); what is kept is copied into fsynced payload files.
    hop.raw = sink.raw;
    let flush = hop.raw.finish();
    if let Err(e) = flush.and(sink.write_error.map_or(Ok(()), Err)) {
        hop.error = Some(FetchError::Record {
            path: hop.raw.path().to_path_buf(),
            source: e,
        });
    }
    hop
}

pub(super) async fn with_timeout<T>(
    d: Duration,
    deadline: Instant,
    what: &str,
    fut: impl std::future::Future<Output = T>,
) -> Result<T, Timeout> {
    let left = deadline.saturating_duration_since(Instant::now());
    let limit = d.min(left);
    tokio::time::timeout(limit, fut).await.map_err(|_| {
        if limit < d {
            Timeout::MaxTime { what: what.into() }
        } else {
            Timeout::NoAnswer {
                what: what.into(),
                limit: d,
            }
        }
    })
}

async fn exchange(
    url: &Url,
    spec: Option<&RequestSpec>,
    cfg: &FetchConfig,
    hop: &mut Hop,
    sink: SharedSink,
    deadline: Instant,
    rule: HopPolicy,
) -> Result<(), FetchError> {
    let https = url.scheme() == "https";
    let host = url
        .host_str()
        .ok_or_else(|| FetchError::NoHost { url: url.clone() })?
        .to_string();
    let port = url
        .port_or_known_default()
        .ok_or_else(|| FetchError::NoPort { url: url.clone() })?;
    let mut tcp = connect(url, &host, port, cfg, hop, deadline, rule).await?;
    let _ = tcp.set_nodelay(true);

    // Tunnel through the proxy with CONNECT for https, and also for http when
    // the proxy needs credentials: the credentials then stay in the CONNECT
    // request and never enter the recorded (evidential) request.
    let tunnel = cfg.proxy.is_some() && (https || proxy_authorization(cfg).is_some());
    if tunnel {
        connect_tunnel(&mut tcp, &host_header_with_port(url), cfg, deadline).await?;
    }

    let stream: Box<dyn Io> = if https {
        Box::new(tls_handshake(tcp, url, &host, cfg, hop, deadline).await?)
    } else {
        Box::new(tcp)
    };

    let target = if cfg.proxy.is_some() && !tunnel {
        absolute_form(url)
    } else {
        origin_form(url)
    };
    let (request, method) = match spec {
        None => {
            let cookie = cfg
                .cookies
                .as_ref()
                .and_then(|c| c.header_for(url, Utc::now().timestamp()));
            (
                super::response::request_bytes(
                    &target,
                    &host_header(url),
                    &cfg.user_agent,
                    cookie.as_deref(),
                    &cfg.extra_headers,
                )?,
                "GET",
            )
        }
        Some(s) => (
            super::response::request_bytes_for(&target, &host_header(url), s)?,
            s.method.as_str(),
        ),
    };
    let mut io = Tee::new(stream, sink);
    Ok(super::response::exchange(&mut io, &request, cfg, hop, deadline, &host, method).await?)
}

/// Resolves the host (or the proxy), keeps the addresses the network
/// policy allows (recording a refusal in `hop`) and connects to the first
/// that answers.
async fn connect(
    url: &Url,
    host: &str,
    port: u16,
    cfg: &FetchConfig,
    hop: &mut Hop,
    deadline: Instant,
    rule: HopPolicy,
) -> Result<TcpStream, FetchError> {
    let (conn_host, conn_port) = match &cfg.proxy {
        Some(p) => {
            // The proxy resolves the name: classify the URL's host text.
            let class = policy::classify_host(url);
            if let Err(reason) = rule.check(class) {
                return Err(refuse(hop, url, host.to_string(), class, reason));
            }
            hop.address_class = Some(class);
            (
                p.host_str().unwrap_or("").to_string(),
                p.port_or_known_default().unwrap_or(8080),
            )
        }
        None => (host.to_string(), port),
    };
    let lookup_host = conn_host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let addrs: Vec<SocketAddr> = with_timeout(
        cfg.timeout,
        deadline,
        &format!("DNS lookup of {lookup_host}"),
        tokio::net::lookup_host((lookup_host.as_str(), conn_port)),
    )
    .await?
    .map_err(|source| FetchError::Dns {
        host: lookup_host.to_string(),
        source,
    })?
    .collect();
    hop.resolved = addrs.clone();
    if addrs.is_empty() {
        return Err(FetchError::NoAddress { host: lookup_host });
    }
    // Checked here, on the addresses about to be connected to, not on the
    // URL text: a name may resolve anywhere, and differently each time.
    let mut allowed = Vec::new();
    let mut first_refused = None;
    for addr in &addrs {
        if cfg.proxy.is_some() {
            allowed.push(*addr);
            continue;
        }
        let class = policy::classify_ip(addr.ip());
        match rule.check(class) {
            Ok(()) => allowed.push(*addr),
            Err(reason) => {
                first_refused.get_or_insert((*addr, class, reason));
            }
        }
    }
    if allowed.is_empty() {
        let (addr, class, reason) = first_refused.expect("a refused address");
        return Err(refuse(hop, url, addr.ip().to_string(), class, reason));
    }
    let mut last_err = None;
    let mut tcp = None;
    for addr in &allowed {
        match with_timeout(
            cfg.timeout,
            deadline,
            &format!("connecting to {addr}"),
            TcpStream::connect(addr),
        )
        .await
        {
            Ok(Ok(s)) => {
                hop.peer = Some(*addr);
                if cfg.proxy.is_none() {
                    hop.address_class = Some(policy::classify_ip(addr.ip()));
                }
                tcp = Some(s);
                break;
            }
            Ok(Err(source)) => {
                last_err = Some(FetchError::Connect {
                    addr: *addr,
                    source,
                })
            }
            Err(e) => last_err = Some(e.into()),
        }
    }
    tcp.ok_or_else(|| last_err.expect("at least one address was tried"))
}

/// The TLS handshake on `tcp`, recording the certificate chain presented
/// and how it was judged in `hop`, even when the handshake fails.
async fn tls_handshake(
    tcp: TcpStream,
    url: &Url,
    host: &str,
    cfg: &FetchConfig,
    hop: &mut Hop,
    deadline: Instant,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, FetchError> {
    let verifier = RecordingVerifier::new(cfg.trusted_roots(), cfg.accept_invalid_certs);
    let config = tls::client_config(verifier.clone());
    let connector = tokio_rustls::TlsConnector::from(config);
    let server_name =
        rustls::pki_types::ServerName::try_from(lookup_name(url)).map_err(|source| {
            FetchError::ServerName {
                host: host.to_string(),
                source,
            }
        })?;
    let handshake = with_timeout(
        cfg.timeout,
        deadline,
        "TLS handshake",
        connector.connect(server_name, tcp),
    )
    .await?;
    let tls_stream = match handshake {
        Ok(s) => s,
        Err(e) => {
            let presented = verifier.presented();
            if !presented.is_empty() {
                hop.tls = Some(TlsRecord {
                    version: String::new(),
                    cipher: String::new(),
                    alpn: None,
                    verified: false,
                    verification_error: match verifier.outcome() {
                        Some(Err(v)) => Some(v.to_string()),
                        _ => Some(e.to_string()),
                    },
                    accepted_invalid: false,
                    certificate_chain: presented.iter().map(|d| tls::describe_cert(d)).collect(),
                });
            }
            return Err(match verifier.outcome() {
                Some(Err(problem)) => FetchError::Untrusted {
                    host: host.to_string(),
                    problem,
                },
                _ => FetchError::Tls {
                    host: host.to_string(),
                    source: e,
                },
            });
        }
    };
    let (_, conn) = tls_stream.get_ref();
    let chain = conn
        .peer_certificates()
        .map(|c| c.iter().map(|d| tls::describe_cert(d)).collect())
        .unwrap_or_default();
    let outcome = verifier.outcome();
    hop.tls = Some(TlsRecord {
        version: conn
            .protocol_version()
            .map(|v| format!("{v:?}"))
            .unwrap_or_default(),
        cipher: conn
            .negotiated_cipher_suite()
            .map(|c| format!("{:?}", c.suite()))
            .unwrap_or_default(),
        alpn: conn
            .alpn_protocol()
            .map(|a| String::from_utf8_lossy(a).into_owned()),
        verified: matches!(outcome, Some(Ok(()))),
        verification_error: match &outcome {
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        },
        accepted_invalid: matches!(outcome, Some(Err(_))) && cfg.accept_invalid_certs,
        certificate_chain: chain,
    });
    Ok(tls_stream)
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);
impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn lookup_name(url: &Url) -> String {
    url.host_str()
        .unwrap_or("")
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string()
}

fn host_header_with_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    format!("{host}:{}", url.port_or_known_default().unwrap_or(443))
}

/// `Basic …` credentials for the proxy, from `http://user:pass@host:port`.
fn proxy_authorization(cfg: &FetchConfig) -> Option<String> {
    use base64::Engine;
    let p = cfg.proxy.as_ref()?;
    if p.username().is_empty() {
        return None;
    }
    let user = percent_decode(p.username());
    let pass = percent_decode(p.password().unwrap_or(""));
    Some(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    ))
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Most bytes of a proxy's answer to CONNECT.
const MAX_CONNECT_HEAD: usize = 64 * 1024;

/// Opens a CONNECT tunnel through an HTTP proxy.
async fn connect_tunnel(
    tcp: &mut TcpStream,
    authority: &str,
    cfg: &FetchConfig,
    deadline: Instant,
) -> Result<(), ProxyError> {
    let auth = proxy_authorization(cfg)
        .map(|a| format!("Proxy-Authorization: {a}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: {}\r\n{auth}\r\n",
        cfg.user_agent
    );
    tcp.write_all(req.as_bytes())
        .await
        .map_err(ProxyError::Io)?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = with_timeout(cfg.timeout, deadline, "proxy CONNECT", tcp.read(&mut byte))
            .await?
            .map_err(ProxyError::Io)?;
        if n == 0 {
            return Err(ProxyError::Closed);
        }
        if head.len() > MAX_CONNECT_HEAD {
            return Err(ProxyError::TooLarge);
        }
        head.push(byte[0]);
    }
    let status_line = String::from_utf8_lossy(&head);
    let status_line = status_line.lines().next().unwrap_or("");
    let ok = status_line
        .split_whitespace()
        .nth(1)
        .is_some_and(|s| s.starts_with('2'));
    if !ok {
        return Err(ProxyError::Refused {
            status_line: status_line.to_string(),
        });
    }
    Ok(())
}

/// POSTs an RFC 3161 request to a time-stamp authority; returns the DER
/// response body.
pub(crate) async fn post_timestamp_query(
    tsa: &Url,
    query: Vec<u8>,
    cfg: &FetchConfig,
) -> Result<Vec<u8>, TsaError> {
    let deadline = Instant::now() + cfg.max_time;
    let host = tsa
        .host_str()
        .ok_or_else(|| TsaError::NoHost { url: tsa.clone() })?
        .to_string();
    let lookup = lookup_name(tsa);
    // Through --proxy like every other request: a CONNECT tunnel for https
    // (or when the proxy needs credentials), else an absolute-form target.
    let https = tsa.scheme() == "https";
    let (conn_host, conn_port, what) = match &cfg.proxy {
        Some(p) => (
            lookup_name(p),
            p.port_or_known_default().unwrap_or(8080),
            "the proxy",
        ),
        None => (
            lookup.clone(),
            tsa.port_or_known_default().unwrap_or(80),
            "the time-stamp authority",
        ),
    };
    let addr = with_timeout(
        cfg.timeout,
        deadline,
        &format!("DNS lookup of {what}"),
        tokio::net::lookup_host((conn_host.as_str(), conn_port)),
    )
    .await?
    .map_err(|source| TsaError::Dns {
        host: host.clone(),
        what,
        source,
    })?
    .next()
    .ok_or_else(|| TsaError::NoAddress {
        host: host.clone(),
        what,
    })?;
    let mut tcp = with_timeout(
        cfg.timeout,
        deadline,
        &format!("connecting to {what}"),
        TcpStream::connect(addr),
    )
    .await?
    .map_err(|source| TsaError::Connect {
        host: host.clone(),
        what,
        source,
    })?;
    let tunnel = cfg.proxy.is_some() && (https || proxy_authorization(cfg).is_some());
    if tunnel {
        connect_tunnel(&mut tcp, &host_header_with_port(tsa), cfg, deadline)
            .await
            .map_err(|source| TsaError::Proxy {
                host: host.clone(),
                source,
            })?;
    }
    let target = if cfg.proxy.is_some() && !tunnel {
        absolute_form(tsa)
    } else {
        origin_form(tsa)
    };
    let stream: Box<dyn Io> = if https {
        let verifier = RecordingVerifier::new(cfg.trusted_roots(), cfg.accept_invalid_certs);
        let connector = tokio_rustls::TlsConnector::from(tls::client_config(verifier));
        let name = rustls::pki_types::ServerName::try_from(lookup.clone()).map_err(|source| {
            TsaError::ServerName {
                host: host.clone(),
                source,
            }
        })?;
        Box::new(
            with_timeout(
                cfg.timeout,
                deadline,
                "time-stamp authority TLS",
                connector.connect(name, tcp),
            )
            .await?
            .map_err(|source| TsaError::Tls {
                host: host.clone(),
                source,
            })?,
        )
    } else {
        Box::new(tcp)
    };
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream))
            .await
            .map_err(|source| TsaError::Http {
                host: host.clone(),
                source,
            })?;
    let _abort = AbortOnDrop(tokio::spawn(async move {
        let _ = conn.await;
    }));
    let req = hyper::Request::builder()
        .method("POST")
        .uri(target)
        .header("Host", host_header(tsa))
        .header("Content-Type", "application/timestamp-query")
        .header("Accept", "application/timestamp-reply")
        .header("User-Agent", format!("warden/{}", crate::VERSION))
        .header("Connection", "close")
        .body(Full::new(Bytes::from(query)))
        .map_err(TsaError::Request)?;
    let resp = with_timeout(
        cfg.timeout,
        deadline,
        "waiting for the time-stamp authority",
        sender.send_request(req),
    )
    .await?
    .map_err(|source| TsaError::Http {
        host: host.clone(),
        source,
    })?;
    if !resp.status().is_success() {
        return Err(TsaError::Status {
            host,
            status: resp.status(),
        });
    }
    let mut body = resp.into_body();
    let mut out = Vec::new();
    while let Some(frame) = with_timeout(
        cfg.timeout,
        deadline,
        "reading the time-stamp reply",
        body.frame(),
    )
    .await?
    {
        let frame = frame.map_err(|source| TsaError::Http {
            host: host.clone(),
            source,
        })?;
        if let Ok(d) = frame.into_data() {
            out.extend_from_slice(&d);
            if out.len() > 1 << 20 {
                return Err(TsaError::TooLarge { host });
            }
        }
    }
    Ok(out)
}
