//! `warden capture`: fetch pages and freeze each one as an evidence bundle.
//!
//! For every URL: fetch the redirect chain ([`fetch`]), write the raw
//! exchange as WARC, the decoded page, its visible text and `capture.json`
//! into a partial bundle, seal it ([`crate::bundle`]), optionally time-stamp
//! it, and append a custody event. A failed capture still leaves a bundle
//! that states the failure.

pub mod decode;
pub mod fetch;
pub mod metadata;
pub mod response;
pub mod tee;
pub mod text;
pub mod tls;

use crate::bundle::{self, BagInfo, Draft};
use crate::case::Case;
use crate::case::keys::OfficerKey;
use crate::custody::{self, EventInput};
use fetch::FetchConfig;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;
use url::Url;

/// Errors that stop a capture run before any fetch starts.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{0}")]
    BadUrl(String),
    #[error("cannot read URL list {path}: {source}")]
    UrlFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    UrlFileLine {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("no URL to capture: give URLs on the command line or with --from-file")]
    NoUrls,
    #[error("cannot start the network runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Case(#[from] crate::case::CaseError),
    #[error(transparent)]
    Custody(#[from] crate::custody::CustodyError),
}

/// Checks that `s` is an absolute http(s) URL with a host.
pub fn parse_url(s: &str) -> Result<Url, String> {
    let trimmed = s.trim();
    let url = Url::parse(trimmed).map_err(|e| format!("{trimmed:?} is not a valid URL ({e})"))?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(format!(
                "{trimmed:?} uses the unsupported scheme {other:?}; only http and https can be captured"
            ));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{trimmed:?} has no host name"));
    }
    Ok(url)
}

/// Reads a URL list: one URL a line, blank lines and `#` comments skipped.
pub fn read_url_file(path: &Path) -> Result<Vec<Url>, CaptureError> {
    let bytes = std::fs::read(path).map_err(|source| CaptureError::UrlFile {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        CaptureError::UrlFileLine {
            path: path.to_path_buf(),
            line,
            message: "not valid UTF-8 text".into(),
        }
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        out.push(parse_url(t).map_err(|message| CaptureError::UrlFileLine {
            path: path.to_path_buf(),
            line: i + 1,
            message,
        })?);
    }
    Ok(out)
}

/// Everything `warden capture` was asked to do.
#[derive(Debug, Clone)]
pub struct CaptureOptions {
    pub urls: Vec<Url>,
    pub note: Option<String>,
    pub tsa: Option<Url>,
    pub concurrency: usize,
    pub per_host: usize,
    pub fetch: FetchConfig,
    pub progress: bool,
}

/// How one capture ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaptureStatus {
    /// The page was captured (final status 1xx–3xx).
    Ok,
    /// The server answered 4xx/5xx; the answer is the evidence.
    HttpError,
    /// The body was larger than `--max-bytes` and was cut there.
    Truncated,
    /// No complete response (DNS, connection, TLS, timeout, broken transfer).
    Failed,
}

impl CaptureStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaptureStatus::Ok => "ok",
            CaptureStatus::HttpError => "http-error",
            CaptureStatus::Truncated => "truncated",
            CaptureStatus::Failed => "failed",
        }
    }
}

/// The result of one capture, as printed with `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct CaptureOutcome {
    pub id: String,
    pub url: String,
    pub status: CaptureStatus,
    pub http_status: Option<u16>,
    /// The sealed bundle, or the partial folder left behind by an error.
    pub bundle: Option<PathBuf>,
    pub manifest_sha256: Option<String>,
    pub timestamped: bool,
    /// Sequence number of this capture's event in the custody log.
    pub custody_seq: Option<u64>,
    pub error: Option<String>,
}

impl CaptureOutcome {
    /// True when nothing about this capture needs the officer's attention.
    pub fn is_clean(&self) -> bool {
        self.status == CaptureStatus::Ok && self.error.is_none()
    }
}

struct Ctx {
    case: Case,
    key: OfficerKey,
    officer: String,
    opts: CaptureOptions,
    tool: metadata::ToolInfo,
    env: metadata::Environment,
    host_limits: Mutex<HashMap<String, Arc<Semaphore>>>,
    global: Arc<Semaphore>,
}

/// Captures every URL in `opts`, calling `report` as each one finishes.
pub fn run(
    case: &Case,
    key: OfficerKey,
    opts: CaptureOptions,
    mut report: impl FnMut(&CaptureOutcome),
) -> Result<Vec<CaptureOutcome>, CaptureError> {
    if opts.urls.is_empty() {
        return Err(CaptureError::NoUrls);
    }
    let officer = case.require_officer(&key)?.name.clone();
    // Refuse to fetch anything if the custody log cannot take new events.
    custody::check_appendable(&case.custody_path())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CaptureError::Runtime)?;
    let ctx = Arc::new(Ctx {
        case: case.clone(),
        officer,
        tool: metadata::ToolInfo::current(),
        env: metadata::Environment::current(&opts),
        host_limits: Mutex::new(HashMap::new()),
        global: Arc::new(Semaphore::new(opts.concurrency.max(1))),
        opts,
        key,
    });
    let bar = ctx.opts.progress.then(|| {
        let bar = indicatif::ProgressBar::new(ctx.opts.urls.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}",
            )
            .expect("valid progress template"),
        );
        bar
    });
    let (log_tx, log_rx) = std::sync::mpsc::channel::<LogJob>();
    let writer = {
        let ctx = ctx.clone();
        std::thread::spawn(move || log_writer(&ctx, log_rx))
    };
    let outcomes = runtime.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for url in ctx.opts.urls.clone() {
            let ctx = ctx.clone();
            let tx = log_tx.clone();
            set.spawn(async move { capture_one(ctx, url, tx).await });
        }
        drop(log_tx);
        let mut outcomes = Vec::new();
        while let Some(res) = set.join_next().await {
            let outcome = match res {
                Ok(o) => o,
                Err(e) => CaptureOutcome {
                    id: String::new(),
                    url: String::new(),
                    status: CaptureStatus::Failed,
                    http_status: None,
                    bundle: None,
                    manifest_sha256: None,
                    timestamped: false,
                    custody_seq: None,
                    error: Some(format!("internal error: capture task failed: {e}")),
                },
            };
            if let Some(bar) = &bar {
                bar.inc(1);
                bar.set_message(format!("{} {}", outcome.status.as_str(), outcome.url));
                bar.suspend(|| report(&outcome));
            } else {
                report(&outcome);
            }
            outcomes.push(outcome);
        }
        outcomes
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let _ = writer.join();
    Ok(outcomes)
}

/// A custody event waiting to be written.
struct LogJob {
    bundle: String,
    manifest_sha256: String,
    details: serde_json::Value,
    reply: tokio::sync::oneshot::Sender<Result<u64, String>>,
}

/// The run's only custody-log writer: takes every event that is waiting,
/// appends them in arrival order under the log lock with one fsync, and
/// answers each capture with its sequence number.
fn log_writer(ctx: &Ctx, rx: std::sync::mpsc::Receiver<LogJob>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < 256 {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let inputs: Vec<EventInput<'_>> = jobs
            .iter()
            .map(|j| EventInput {
                action: "capture",
                bundle: Some(&j.bundle),
                manifest_sha256: Some(&j.manifest_sha256),
                details: Some(j.details.clone()),
            })
            .collect();
        let result =
            custody::append_batch(&ctx.case.custody_path(), &ctx.key, &ctx.officer, &inputs);
        drop(inputs);
        match result {
            Ok(seqs) => {
                for (j, seq) in jobs.into_iter().zip(seqs) {
                    let _ = j.reply.send(Ok(seq));
                }
            }
            Err(e) => {
                for j in jobs {
                    let _ = j.reply.send(Err(e.to_string()));
                }
            }
        }
    }
}

async fn capture_one(
    ctx: Arc<Ctx>,
    url: Url,
    log_tx: std::sync::mpsc::Sender<LogJob>,
) -> CaptureOutcome {
    // "Per host" means per host name or address, whatever the port: two
    // servers on one machine are still one site to be polite to.
    let host_key = url.host_str().unwrap_or("").to_ascii_lowercase();
    let host_sem = {
        let mut map = ctx.host_limits.lock().expect("host map lock");
        map.entry(host_key)
            .or_insert_with(|| Arc::new(Semaphore::new(ctx.opts.per_host.max(1))))
            .clone()
    };
    let _host_permit = host_sem.acquire_owned().await.expect("semaphore open");
    let _permit = ctx
        .global
        .clone()
        .acquire_owned()
        .await
        .expect("semaphore open");

    let id = uuid::Uuid::now_v7().to_string();
    let mut outcome = CaptureOutcome {
        id: id.clone(),
        url: url.to_string(),
        status: CaptureStatus::Failed,
        http_status: None,
        bundle: None,
        manifest_sha256: None,
        timestamped: false,
        custody_seq: None,
        error: None,
    };
    let draft = match Draft::create(&ctx.case.evidence_dir(), &id) {
        Ok(d) => d,
        Err(e) => {
            outcome.error = Some(format!("cannot start the bundle: {e}"));
            return outcome;
        }
    };
    outcome.bundle = Some(draft.tmp.clone());
    let started = chrono::Utc::now();
    let hops = fetch::fetch_chain(&url, &ctx.opts.fetch, &draft.work_dir()).await;
    let ended = chrono::Utc::now();

    // Write the payload and the manifests (blocking file work).
    let ctx2 = ctx.clone();
    let url2 = url.clone();
    let assembled = tokio::task::spawn_blocking(move || {
        let summary =
            metadata::assemble(&ctx2.as_payload_ctx(), &draft, &url2, &hops, started, ended)?;
        let prepared = draft
            .prepare(&BagInfo {
                source_organization: ctx2.case.config.case.agency.clone(),
                contact_name: ctx2.officer.clone(),
                external_identifier: ctx2.case.config.case.id.clone(),
                external_description: format!("Web capture of {url2}"),
                capture_id: summary.id.clone(),
                signer_public_key: ctx2.key.public_b64(),
                bagging_date: ended.format("%Y-%m-%d").to_string(),
                warden_version: crate::VERSION.to_string(),
            })
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((summary, prepared))
    })
    .await;
    let (summary, prepared) = match assembled {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            outcome.error = Some(format!("cannot write the bundle: {e}"));
            return outcome;
        }
        Err(e) => {
            outcome.error = Some(format!("internal error while writing the bundle: {e}"));
            return outcome;
        }
    };
    outcome.status = summary.status;
    outcome.http_status = summary.http_status;
    outcome.error = summary.error.clone();

    // Time-stamp the manifest if asked.
    let mut tsr = None;
    if let Some(tsa) = &ctx.opts.tsa {
        match timestamp_manifest(tsa, &prepared.manifest256, &ctx.opts.fetch).await {
            Ok(bytes) => tsr = Some(bytes),
            Err(e) => {
                let msg = format!("sealed WITHOUT a time-stamp: {e}");
                outcome.error = Some(match outcome.error.take() {
                    Some(prev) => format!("{prev}; {msg}"),
                    None => msg,
                });
            }
        }
    }

    let ctx3 = ctx.clone();
    let url3 = url.to_string();
    let status = summary.status;
    let http_status = summary.http_status;
    let final_url = summary.final_url.clone();
    let final_path = prepared.draft.final_path.clone();
    let sealed = tokio::task::spawn_blocking(move || {
        let sealed = prepared
            .seal(&ctx3.key, tsr.as_deref())
            .map_err(|e| (false, e.to_string()))?;
        Ok::<_, (bool, String)>((sealed, tsr))
    })
    .await;
    // Record the custody event through the run's single log writer, which
    // appends the events of bundles sealed at about the same time together
    // (one fsync for the group).
    let sealed = match sealed {
        Ok(Ok((sealed, tsr))) => {
            let (reply, answer) = tokio::sync::oneshot::channel();
            let job = LogJob {
                bundle: sealed.id.clone(),
                manifest_sha256: sealed.manifest_sha256.clone(),
                details: serde_json::json!({
                    "url": url3,
                    "final_url": final_url,
                    "status": status.as_str(),
                    "http_status": http_status,
                    "timestamped": tsr.is_some(),
                    "timestamp_sha256": tsr.as_deref().map(crate::hash::sha256_hex),
                }),
                reply,
            };
            let recorded = match log_tx.send(job) {
                Ok(()) => answer
                    .await
                    .unwrap_or_else(|_| Err("the custody log writer stopped".into())),
                Err(_) => Err("the custody log writer stopped".into()),
            };
            match recorded {
                Ok(seq) => Ok(Ok((sealed, tsr.is_some(), seq))),
                Err(e) => Ok(Err((
                    true,
                    format!(
                        "the bundle was sealed but its custody event could not be written ({e}); verify will report this bundle as unrecorded"
                    ),
                ))),
            }
        }
        Ok(Err(e)) => Ok(Err(e)),
        Err(e) => Err(e),
    };
    match sealed {
        Ok(Ok((sealed, stamped, seq))) => {
            outcome.bundle = Some(sealed.path);
            outcome.manifest_sha256 = Some(sealed.manifest_sha256);
            outcome.timestamped = stamped;
            outcome.custody_seq = Some(seq);
        }
        Ok(Err((was_sealed, e))) => {
            if was_sealed {
                outcome.bundle = Some(final_path);
            }
            outcome.status = CaptureStatus::Failed;
            outcome.error = Some(e);
        }
        Err(e) => {
            outcome.status = CaptureStatus::Failed;
            outcome.error = Some(format!("internal error while sealing: {e}"));
        }
    }
    outcome
}

impl Ctx {
    fn as_payload_ctx(&self) -> metadata::PayloadCtx<'_> {
        metadata::PayloadCtx {
            case: &self.case,
            officer: &self.officer,
            officer_public_key: self.key.public_b64(),
            note: self.opts.note.as_deref(),
            opts: &self.opts,
            tool: &self.tool,
            env: &self.env,
        }
    }
}

/// Requests an RFC 3161 token over SHA-256 of `manifest` and checks that the
/// reply is granted and covers exactly that digest and our nonce.
async fn timestamp_manifest(
    tsa: &Url,
    manifest: &[u8],
    cfg: &FetchConfig,
) -> Result<Vec<u8>, String> {
    use sha2::Digest;
    let digest: [u8; 32] = sha2::Sha256::digest(manifest).into();
    let mut nonce_bytes = [0u8; 8];
    getrandom::getrandom(&mut nonce_bytes).map_err(|e| e.to_string())?;
    let nonce = u64::from_be_bytes(nonce_bytes) >> 1;
    let query = bundle::timestamp::build_request(&digest, nonce);
    let reply = fetch::post_timestamp_query(tsa, query, cfg).await?;
    let info = bundle::timestamp::parse_response(&reply)?;
    if info.message_imprint_hex != hex::encode(digest) {
        return Err("the time-stamp authority's token covers a different digest".into());
    }
    if info.nonce_hex.as_deref() != Some(bundle::timestamp::nonce_hex(nonce).as_str()) {
        return Err("the time-stamp authority's token does not carry our nonce".into());
    }
    Ok(reply)
}
