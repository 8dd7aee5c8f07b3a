//! Every request the browser makes goes through warden: the page's
//! requests are paused (CDP `Fetch` domain), sent by warden's own recording
//! fetcher, and answered to the browser from what was recorded. So every
//! resource the browser used is a WARC exchange of the bytes on the wire,
//! under the same network policy as a redirect of the page, and the main
//! document the browser renders is the very response of the HTTP capture.

use super::super::fetch::{self, FetchConfig, Hop, RequestSpec};
use super::super::policy::HopPolicy;
use base64::Engine as _;
use chromiumoxide::Page;
use chromiumoxide::cdp::browser_protocol::fetch::{
    EventRequestPaused, FailRequestParams, FulfillRequestParams, HeaderEntry,
};
use chromiumoxide::cdp::browser_protocol::network::ErrorReason;
use serde::Serialize;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;

/// Most requests one browser capture sends on the page's behalf.
pub(super) const MAX_RESOURCES: usize = 2000;
/// Most response bytes (as received) of all resources of one capture.
pub(super) const MAX_RESOURCE_BYTES: u64 = 1 << 30;
/// Largest resource body handed to the browser (and stored).
pub(super) const MAX_ONE_RESOURCE: u64 = 64 << 20;
/// Most requests listed in `network.json` (the rest are counted).
pub(super) const MAX_ENTRIES: usize = 10_000;
/// Requests warden sends at once for one browser capture.
const AT_ONCE: usize = 6;
/// Longest wait for the browser to take an answer.
const CDP_WAIT: Duration = Duration::from_secs(30);

/// One request of the browser, as recorded in `data/network.json`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct NetworkEntry {
    pub url: String,
    pub method: String,
    /// As the browser named it: Document, Image, Script, XHR, ...
    pub resource_type: String,
    /// `capture` (the page itself, answered from the HTTP capture),
    /// `fetched` (sent by warden for the browser), `refused` (the network
    /// policy refused the address; nothing was sent), `not-fetched` or
    /// `unfinished`.
    pub source: &'static str,
    pub http_status: Option<u16>,
    pub content_type: Option<String>,
    pub remote_ip: Option<String>,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub duration_ms: Option<u64>,
    /// Bytes of the response as received (head and body).
    pub response_bytes: Option<u64>,
    pub truncated: Option<String>,
    pub error: Option<String>,
    /// For the page's own requests: the hop of the HTTP capture (1 is the
    /// first) whose WARC records hold the exchange.
    pub capture_hop: Option<usize>,
    pub warc_request_record_id: Option<String>,
    pub warc_response_record_id: Option<String>,
}

/// A resource fetched for the browser, for the WARC.
pub(crate) struct Resource {
    pub hop: Hop,
    pub request_id: String,
    pub response_id: Option<String>,
}

/// What the interceptor saw.
#[derive(Default)]
pub(super) struct Seen {
    pub entries: Vec<NetworkEntry>,
    pub resources: Vec<Resource>,
    pub bytes: u64,
    pub fetched: usize,
    pub refused_for_limits: usize,
    /// Requests past [`MAX_ENTRIES`], answered but not listed.
    pub entries_dropped: usize,
    /// Requests being answered now.
    pub open: usize,
    pub last_change: Option<Instant>,
    /// Requests not answered yet, by the browser's request id.
    pub pending: std::collections::BTreeMap<String, NetworkEntry>,
}

/// A hop of the page's own redirect chain, to answer the browser with.
pub(super) struct MainHop {
    pub url: Url,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body decoded (content-coding undone) in a scratch file.
    pub body: PathBuf,
    /// Its number in the chain (1 is the first).
    pub hop: usize,
    pub peer: Option<String>,
    pub content_type: Option<String>,
}

pub(super) struct Interceptor {
    pub page: Page,
    pub cfg: FetchConfig,
    pub work: PathBuf,
    pub rule: HopPolicy,
    pub main: Mutex<VecDeque<MainHop>>,
    pub seen: Mutex<Seen>,
    pub slots: tokio::sync::Semaphore,
}

impl Interceptor {
    pub(super) fn new(
        page: Page,
        mut cfg: FetchConfig,
        work: PathBuf,
        rule: HopPolicy,
        main: Vec<MainHop>,
    ) -> Interceptor {
        cfg.max_bytes = cfg.max_bytes.min(MAX_ONE_RESOURCE);
        Interceptor {
            page,
            cfg,
            work,
            rule,
            main: Mutex::new(main.into()),
            seen: Mutex::new(Seen::default()),
            slots: tokio::sync::Semaphore::new(AT_ONCE),
        }
    }

    /// Answers one paused request; never returns an error (what went wrong
    /// is recorded in its network entry).
    pub(super) async fn handle(self: Arc<Self>, ev: Arc<EventRequestPaused>) {
        let key = AsRef::<str>::as_ref(&ev.request_id).to_string();
        {
            let mut s = self.seen.lock().expect("seen lock");
            s.open += 1;
            s.last_change = Some(Instant::now());
            let mut pending = new_entry(&ev, chrono::Utc::now());
            pending.source = "unfinished";
            pending.error = Some("still being fetched when the capture ended; not answered".into());
            s.pending.insert(key.clone(), pending);
        }
        let entry = self.answer(&ev).await;
        let mut s = self.seen.lock().expect("seen lock");
        s.pending.remove(&key);
        if s.entries.len() < MAX_ENTRIES {
            s.entries.push(entry);
        } else {
            s.entries_dropped += 1;
        }
        s.open = s.open.saturating_sub(1);
        s.last_change = Some(Instant::now());
    }

    async fn answer(&self, ev: &EventRequestPaused) -> NetworkEntry {
        let started = chrono::Utc::now();
        let mut entry = new_entry(ev, started);
        let id = ev.request_id.clone();
        let url = match Url::parse(&ev.request.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            _ => {
                entry.error = Some("not fetched: not an http(s) URL".into());
                self.fail(id, ErrorReason::BlockedByClient).await;
                return entry;
            }
        };
        // The page's own chain, answered from the HTTP capture.
        let main = {
            let mut q = self.main.lock().expect("main lock");
            match q.front() {
                Some(m) if same_resource(&m.url, &url) && ev.request.method == "GET" => {
                    q.pop_front()
                }
                _ => None,
            }
        };
        if let Some(m) = main {
            entry.source = "capture";
            entry.http_status = Some(m.status);
            entry.content_type = m.content_type.clone();
            entry.remote_ip = m.peer.clone();
            entry.capture_hop = Some(m.hop);
            // File work off the async threads' hands (the runtime has others).
            match tokio::task::block_in_place(|| std::fs::read(&m.body)) {
                Ok(body) => {
                    if let Err(e) = self.fulfil(id, m.status, &m.headers, &body).await {
                        entry.error = Some(e);
                    }
                }
                Err(e) => {
                    entry.error = Some(format!(
                        "cannot read the captured page back to hand it to the browser: {e}"
                    ));
                    self.fail(id, ErrorReason::Failed).await;
                }
            }
            finish(&mut entry, started);
            return entry;
        }
        let _slot = self.slots.acquire().await.expect("semaphore open");
        let n = {
            let mut s = self.seen.lock().expect("seen lock");
            if s.fetched >= MAX_RESOURCES || s.bytes >= MAX_RESOURCE_BYTES {
                s.refused_for_limits += 1;
                None
            } else {
                s.fetched += 1;
                Some(s.fetched)
            }
        };
        let Some(n) = n else {
            entry.error = Some(format!(
                "not fetched: the capture already holds {MAX_RESOURCES} resources or {} MiB of them",
                MAX_RESOURCE_BYTES >> 20
            ));
            self.fail(id, ErrorReason::BlockedByClient).await;
            finish(&mut entry, started);
            return entry;
        };
        let spec = RequestSpec {
            method: ev.request.method.clone(),
            headers: headers_of(&ev.request.headers),
            body: post_body(&ev.request),
        };
        if ev.request.has_post_data == Some(true) && spec.body.is_empty() {
            entry.error =
                Some("not fetched: the browser did not hand over the request body".into());
            self.fail(id, ErrorReason::BlockedByClient).await;
            finish(&mut entry, started);
            return entry;
        }
        if spec.method == "HEAD" || spec.method == "CONNECT" {
            entry.error = Some(format!(
                "not fetched: method {} is not supported",
                spec.method
            ));
            self.fail(id, ErrorReason::BlockedByClient).await;
            finish(&mut entry, started);
            return entry;
        }
        // The Cookie header is the one the browser attached itself, by its
        // own rules (domain, path, SameSite, the request's credentials mode):
        // warden adds none.
        entry.source = "fetched";
        let name = format!("res-{n}");
        let hop = fetch::fetch_resource(&url, &spec, &self.cfg, &self.work, &name, self.rule).await;
        if hop.refused.is_some() {
            // Nothing was sent: the network policy refused the address.
            entry.source = "refused";
        }
        entry.http_status = hop.status;
        entry.content_type = hop.content_type.clone();
        entry.remote_ip = hop.peer.map(|a| a.ip().to_string());
        entry.response_bytes = Some(hop.raw_len);
        entry.truncated = hop.truncated.map(str::to_string);
        entry.error = hop.error.as_ref().map(ToString::to_string);
        let request_id = crate::warc::new_record_id();
        let response_id = (hop.raw_len > 0).then(crate::warc::new_record_id);
        entry.warc_request_record_id = (!hop.request.is_empty()).then(|| request_id.clone());
        entry.warc_response_record_id = response_id.clone();
        match (hop.status, hop.body_read) {
            (Some(status), true) => {
                let decoded = self.work.join(format!("{name}.decoded"));
                let body = tokio::task::block_in_place(|| {
                    let d = super::super::decode::decode_body(
                        &hop.body,
                        hop.content_encoding.as_deref(),
                        &decoded,
                        self.cfg.max_bytes,
                    )?;
                    let body = std::fs::read(&decoded);
                    let _ = std::fs::remove_file(&decoded);
                    body.map(|b| (d, b))
                });
                let body = match body {
                    Ok((d, body)) => {
                        if d.truncated {
                            entry.truncated.get_or_insert_with(|| "length".into());
                        }
                        if let Some(e) = d.error {
                            entry.error.get_or_insert(e);
                        }
                        body
                    }
                    Err(e) => {
                        entry.error.get_or_insert_with(|| {
                            format!("cannot decode the body for the browser: {e}")
                        });
                        Vec::new()
                    }
                };
                if let Err(e) = self.fulfil(id, status, &hop.headers, &body).await {
                    entry.error.get_or_insert(e);
                }
            }
            _ => self.fail(id, ErrorReason::ConnectionFailed).await,
        }
        {
            let mut s = self.seen.lock().expect("seen lock");
            s.bytes += hop.raw_len;
            if !hop.request.is_empty() || hop.raw_len > 0 {
                s.resources.push(Resource {
                    hop,
                    request_id,
                    response_id,
                });
            }
        }
        finish(&mut entry, started);
        entry
    }

    async fn fulfil(
        &self,
        id: chromiumoxide::cdp::browser_protocol::fetch::RequestId,
        status: u16,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<(), String> {
        let headers: Vec<HeaderEntry> = headers
            .iter()
            .filter(|(n, _)| {
                // The body handed over is decoded and whole.
                !matches!(
                    n.to_ascii_lowercase().as_str(),
                    "content-encoding"
                        | "content-length"
                        | "transfer-encoding"
                        | "connection"
                        | "keep-alive"
                )
            })
            .map(|(n, v)| HeaderEntry::new(n.clone(), v.clone()))
            .collect();
        let mut b = FulfillRequestParams::builder()
            .request_id(id)
            .response_code(status)
            .response_headers(headers);
        if !body.is_empty() {
            b = b.body(base64::engine::general_purpose::STANDARD.encode(body));
        }
        let cmd = b.build().map_err(|e| format!("internal error: {e}"))?;
        match tokio::time::timeout(CDP_WAIT, self.page.execute(cmd)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(format!("the browser did not take the answer: {e}")),
            Err(_) => Err("the browser did not take the answer in time".into()),
        }
    }

    async fn fail(
        &self,
        id: chromiumoxide::cdp::browser_protocol::fetch::RequestId,
        reason: ErrorReason,
    ) {
        let cmd = FailRequestParams::new(id, reason);
        let _ = tokio::time::timeout(CDP_WAIT, self.page.execute(cmd)).await;
    }
}

/// The entry of a request not answered yet.
fn new_entry(ev: &EventRequestPaused, started: chrono::DateTime<chrono::Utc>) -> NetworkEntry {
    NetworkEntry {
        url: ev.request.url.clone(),
        method: ev.request.method.clone(),
        resource_type: AsRef::<str>::as_ref(&ev.resource_type).to_string(),
        source: "not-fetched",
        http_status: None,
        content_type: None,
        remote_ip: None,
        started_at: crate::format_time(started),
        ended_at: None,
        duration_ms: None,
        response_bytes: None,
        truncated: None,
        error: None,
        capture_hop: None,
        warc_request_record_id: None,
        warc_response_record_id: None,
    }
}

/// Whether two URLs name one resource (a fragment is never sent).
fn same_resource(a: &Url, b: &Url) -> bool {
    let mut a = a.clone();
    let mut b = b.clone();
    a.set_fragment(None);
    b.set_fragment(None);
    a == b
}

fn finish(entry: &mut NetworkEntry, started: chrono::DateTime<chrono::Utc>) {
    let ended = chrono::Utc::now();
    entry.ended_at = Some(crate::format_time(ended));
    entry.duration_ms = Some((ended - started).num_milliseconds().max(0) as u64);
}

/// The request's headers as (name, value) pairs, in the browser's order.
fn headers_of(h: &chromiumoxide::cdp::browser_protocol::network::Headers) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::to_value(h) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, value) in map {
        match value {
            serde_json::Value::String(v) => {
                // Several values of one header arrive joined by newlines.
                for part in v.split('\n') {
                    out.push((name.clone(), part.to_string()));
                }
            }
            other => out.push((name, other.to_string())),
        }
    }
    out
}

/// The request body the browser sent along, if any.
fn post_body(r: &chromiumoxide::cdp::browser_protocol::network::Request) -> Vec<u8> {
    let mut out = Vec::new();
    for e in r.post_data_entries.iter().flatten() {
        if let Some(b) = &e.bytes
            && let Ok(bytes) =
                base64::engine::general_purpose::STANDARD.decode(AsRef::<str>::as_ref(b))
        {
            out.extend_from_slice(&bytes);
        }
    }
    out
}
