//! `warden capture`: fetch pages and freeze each one as an evidence bundle.
//!
//! For every URL: fetch the redirect chain (the `fetch` module), write the raw
//! exchange as WARC, the decoded page, its visible text and `capture.json`
//! into a partial bundle, optionally time-stamp it, and seal it
//! (the `bundle` module) in `evidence/.partial-<id>/`. The run's single
//! custody-log writer then takes every bundle sealed meanwhile as a group:
//! one durability barrier for the group, one append of their `capture`
//! events (one fdatasync), then each bundle is renamed into place. A crash at
//! any point leaves a state [`crate::recovery`] completes or sets aside. A
//! failed capture still leaves a bundle that states the failure.

pub mod browser;
pub mod cookies;
pub(crate) mod decode;
pub(crate) mod fetch;
pub(crate) mod input;
pub(crate) mod metadata;
pub(crate) mod policy;
pub(crate) mod record;
pub(crate) mod response;
mod spool;
pub(crate) mod tee;
pub(crate) mod tls;
pub(crate) mod warnings;

use crate::bundle::{self, BagInfo, Draft};
use crate::case::Case;
use crate::custody::{self, EventInput};
use crate::fsutil::{self, DirLock};
use crate::keys::OfficerKey;
pub use fetch::FetchConfig;
pub use input::{LineError, Target, UrlError, UrlFileError, parse_url, read_url_file};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
pub use tls::{CaCertError, TrustedRoot, roots_with_ca_files};
use tokio::sync::Semaphore;
use url::Url;

/// Errors that stop a capture run before any fetch starts.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error(transparent)]
    UrlFile(#[from] UrlFileError),
    #[error("no URL to capture: give URLs on the command line or with --from-file")]
    NoUrls,
    #[error("cannot start the network runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Case(#[from] crate::case::CaseError),
    #[error(transparent)]
    Custody(#[from] crate::custody::CustodyError),
    #[error("{}: {}", path.display(), fsutil::describe_io_error(source))]
    Evidence {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Everything `warden capture` was asked to do.
#[derive(Debug, Clone)]
pub struct CaptureOptions {
    /// The pages, each with the note from its list line, if any.
    pub urls: Vec<Target>,
    /// The run's `--note`, recorded with every capture.
    pub note: Option<String>,
    pub tsa: Option<Url>,
    pub concurrency: usize,
    /// Most captures at once on one host name (or address), whatever the port.
    pub per_host: usize,
    pub fetch: FetchConfig,
    /// Certificates added to the trusted roots with `--ca-cert`.
    pub extra_roots: Vec<tls::TrustedRoot>,
    /// The command line, recorded in every capture event.
    pub arguments: Vec<String>,
    /// Render each page in a browser too (`--browser`).
    pub browser: Option<browser::BrowserOptions>,
    /// The caller has already checked, in this process, that the custody
    /// log can take new events ([`custody::check_appendable`], which reads
    /// and checks the whole log): a live sweep checks once, not once per
    /// page. Each append still checks the log's last line.
    pub log_checked: bool,
}

/// What [`run`] reports as it goes; `in_flight` is how many captures hold
/// a slot (are fetching or sealing) at that moment.
#[derive(Debug)]
pub enum Progress<'a> {
    /// A capture has its slot and is fetching.
    Started { url: &'a Url, in_flight: usize },
    /// A capture is finished (sealed, or failed).
    Finished {
        outcome: &'a CaptureOutcome,
        in_flight: usize,
    },
}

/// A capture task's slot, as seen by [`run`].
enum Slot {
    Taken(Url),
    Released,
}

/// Tells [`run`] the slot is free when dropped.
struct SlotGuard(tokio::sync::mpsc::UnboundedSender<Slot>);

impl Drop for SlotGuard {
    fn drop(&mut self) {
        let _ = self.0.send(Slot::Released);
    }
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
    /// The page was fetched, but the browser could not finish rendering
    /// it (`--browser`); what it rendered is kept, the reason recorded.
    Partial,
    /// No complete response (DNS, connection, TLS, timeout, broken transfer).
    Failed,
}

impl CaptureStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaptureStatus::Ok => "ok",
            CaptureStatus::HttpError => "http-error",
            CaptureStatus::Truncated => "truncated",
            CaptureStatus::Partial => "partial",
            CaptureStatus::Failed => "failed",
        }
    }
}

/// The result of one capture, as printed with `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct CaptureOutcome {
    pub(crate) id: String,
    pub url: String,
    pub status: CaptureStatus,
    pub http_status: Option<u16>,
    /// The sealed bundle, or the partial folder left behind by an error.
    pub bundle: Option<PathBuf>,
    pub(crate) manifest_sha256: Option<String>,
    pub(crate) timestamped: bool,
    /// Sequence number of this capture's event in the custody log.
    pub custody_seq: Option<u64>,
    pub error: Option<String>,
    /// What the officer must look at although the capture worked.
    pub warnings: Vec<String>,
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
    /// Filled from `tool_job` when the first page is written.
    tool: std::sync::OnceLock<metadata::ToolInfo>,
    /// Hashing warden's own executable (tens of MiB) runs beside the first
    /// fetches instead of before them.
    tool_job: Mutex<Option<std::thread::JoinHandle<metadata::ToolInfo>>>,
    env: metadata::Environment,
    host_limits: Mutex<HashMap<String, Arc<Semaphore>>>,
    global: Arc<Semaphore>,
    /// Bounds the CPU-bound writing and sealing stage (not the network).
    sealing: Arc<Semaphore>,
}

/// Captures every URL in `opts`, calling `report` as each one starts
/// fetching and as each one finishes.
///
/// Call [`crate::recovery::recover`] first so that partial bundles left by an
/// interrupted earlier run are completed or set aside; while this runs it
/// holds a shared lock on `evidence/` that keeps other processes' recovery
/// away from its partial bundles.
pub fn run(
    case: &Case,
    key: OfficerKey,
    opts: CaptureOptions,
    mut report: impl FnMut(Progress<'_>),
) -> Result<Vec<CaptureOutcome>, CaptureError> {
    if opts.urls.is_empty() {
        return Err(CaptureError::NoUrls);
    }
    let officer = case.require_officer(&key)?.name.clone();
    // Refuse to fetch anything if the custody log cannot take new events.
    if !opts.log_checked {
        custody::check_appendable(&case.log())?;
    }
    let evidence = case.evidence_dir();
    let _evidence_lock = DirLock::shared(&evidence).map_err(|source| CaptureError::Evidence {
        path: evidence.clone(),
        source,
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CaptureError::Runtime)?;
    let ctx = Arc::new(Ctx {
        case: case.clone(),
        officer,
        tool: std::sync::OnceLock::new(),
        tool_job: Mutex::new(Some(std::thread::spawn(metadata::ToolInfo::current))),
        env: metadata::Environment::current(&opts),
        host_limits: Mutex::new(HashMap::new()),
        global: Arc::new(Semaphore::new(opts.concurrency.max(1))),
        // Twice the cores: a sealing step often waits for the disk (its
        // folder being written out by the previous group's barrier), and
        // another can use the core meanwhile.
        sealing: Arc::new(Semaphore::new(
            2 * std::thread::available_parallelism().map_or(2, |n| n.get()),
        )),
        opts,
        key,
    });
    let (log_tx, log_rx) = std::sync::mpsc::channel::<LogJob>();
    let writer = {
        let ctx = ctx.clone();
        std::thread::spawn(move || log_writer(&ctx, log_rx))
    };
    let outcomes = runtime.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        let (started_tx, mut started_rx) = tokio::sync::mpsc::unbounded_channel::<Slot>();
        let mut in_flight = 0usize;
        for target in ctx.opts.urls.clone() {
            let ctx = ctx.clone();
            let tx = log_tx.clone();
            let started = started_tx.clone();
            set.spawn(async move { capture_one(ctx, target, tx, started).await });
        }
        drop(log_tx);
        drop(started_tx);
        let mut outcomes = Vec::new();
        loop {
            let res = tokio::select! {
                biased;
                Some(slot) = started_rx.recv() => {
                    match slot {
                        Slot::Taken(url) => {
                            in_flight += 1;
                            report(Progress::Started { url: &url, in_flight });
                        }
                        Slot::Released => in_flight = in_flight.saturating_sub(1),
                    }
                    continue;
                }
                res = set.join_next() => match res {
                    Some(res) => res,
                    None => break,
                },
            };
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
                    warnings: Vec::new(),
                },
            };
            report(Progress::Finished {
                outcome: &outcome,
                in_flight,
            });
            outcomes.push(outcome);
        }
        outcomes
    });
    let _ = writer.join();
    Ok(outcomes)
}

/// A sealed partial bundle waiting to be made durable, recorded and moved
/// into place.
struct LogJob {
    sealed: bundle::SealedPartial,
    details: serde_json::Value,
    reply: tokio::sync::oneshot::Sender<Result<(bundle::Sealed, u64), Unrecorded>>,
}

/// Why a sealed bundle did not end up recorded and in place.
#[derive(Debug, thiserror::Error)]
enum Unrecorded {
    #[error(
        "the bundle could not be made durable ({0}); it was not recorded and stays in evidence/.partial-{1}, which the next capture into this case moves to interrupted/ and records"
    )]
    NotDurable(String, String),
    #[error(
        "the bundle was sealed but its custody event could not be written ({0}); it stays in evidence/.partial-{1}, which the next capture into this case moves to interrupted/ and records"
    )]
    NotRecorded(String, String),
    #[error(
        "the bundle was sealed and recorded in custody event {seq} but could not be moved into place ({detail}); the next capture into this case moves it to evidence/{id}"
    )]
    NotMoved {
        seq: u64,
        id: String,
        detail: String,
    },
    #[error("internal error: the custody log writer stopped")]
    WriterStopped,
}

/// Why a bundle's payload or manifests could not be written.
#[derive(Debug, thiserror::Error)]
enum Unwritten {
    #[error(transparent)]
    Payload(#[from] metadata::PayloadError),
    #[error(transparent)]
    Bundle(#[from] bundle::BundleError),
}

/// Why a fetched page did not become a sealed partial bundle.
#[derive(Debug, thiserror::Error)]
enum Unsealed {
    #[error("cannot write the bundle: {0}")]
    Write(Unwritten),
    #[error("internal error while writing the bundle: {0}")]
    WriteTask(tokio::task::JoinError),
    #[error("cannot seal the bundle: {0}")]
    Seal(bundle::BundleError),
    #[error("internal error while sealing: {0}")]
    SealTask(tokio::task::JoinError),
}

/// Why a capture got no time-stamp.
#[derive(Debug, thiserror::Error)]
enum Unstamped {
    #[error("{0}")]
    Random(getrandom::Error),
    #[error("cannot start the network runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Tsa(#[from] fetch::TsaError),
    #[error(transparent)]
    Reply(#[from] bundle::timestamp::TimestampError),
    #[error("the time-stamp authority's token covers a different digest")]
    OtherDigest,
    #[error("the time-stamp authority's token does not carry our nonce")]
    OtherNonce,
}

/// How long the log writer waits for more sealed bundles before making a
/// group durable.
const GROUP_LINGER: std::time::Duration = std::time::Duration::from_millis(4);

/// The run's only custody-log writer. Takes the sealed bundles that arrive
/// within [`GROUP_LINGER`] of the first (a group, at most 256), makes the
/// whole group durable with one barrier, appends
/// their capture events in arrival order with one fdatasync (group commit),
/// then renames each into place and fsyncs `evidence/` once. Each bundle is
/// durable before its event is written, and its event is written before it
/// becomes `evidence/<id>`: a crash in between leaves `.partial-<id>` with or
/// without its event, which [`crate::recovery`] completes or sets aside.
fn log_writer(ctx: &Ctx, rx: std::sync::mpsc::Receiver<LogJob>) {
    let evidence = ctx.case.evidence_dir();
    while let Ok(first) = rx.recv() {
        // Wait a little for more bundles: each group costs one barrier, and
        // a few milliseconds per group is nothing against a page's capture.
        // With one page to capture (each page of a live sweep) there is
        // nothing to wait for.
        let linger = if ctx.opts.urls.len() > 1 {
            GROUP_LINGER
        } else {
            std::time::Duration::ZERO
        };
        let until = std::time::Instant::now() + linger;
        let mut jobs = vec![first];
        while jobs.len() < 256 {
            let left = until.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let dirs: Vec<&Path> = jobs.iter().map(|j| j.sealed.partial.as_path()).collect();
        if let Err(e) = bundle::make_durable(&evidence, &dirs) {
            let msg = e.to_string();
            for j in jobs {
                let id = j.sealed.id.clone();
                let _ = j.reply.send(Err(Unrecorded::NotDurable(msg.clone(), id)));
            }
            continue;
        }
        let inputs: Vec<EventInput<'_>> = jobs
            .iter()
            .map(|j| EventInput {
                action: custody::Action::Capture,
                bundle: Some(&j.sealed.id),
                manifest_sha256: Some(&j.sealed.manifest_sha256),
                details: Some(j.details.clone()),
            })
            .collect();
        let result = custody::append_batch(&ctx.case.log(), &ctx.key, &ctx.officer, &inputs);
        drop(inputs);
        let seqs = match result {
            Ok(seqs) => seqs,
            Err(e) => {
                let msg = e.to_string();
                for j in jobs {
                    let id = j.sealed.id.clone();
                    let _ = j.reply.send(Err(Unrecorded::NotRecorded(msg.clone(), id)));
                }
                continue;
            }
        };
        let moved: Vec<_> = jobs
            .iter()
            .zip(&seqs)
            .map(|(j, &seq)| {
                j.sealed
                    .move_into_place()
                    .map(|s| (s, seq))
                    .map_err(|e| Unrecorded::NotMoved {
                        seq,
                        id: j.sealed.id.clone(),
                        detail: e.to_string(),
                    })
            })
            .collect();
        // The renames need not be durable (recovery redoes a lost one), but
        // make them so once per group so that a power cut rarely leaves work.
        let _ = fsutil::sync_dir(&evidence);
        for (j, r) in jobs.into_iter().zip(moved) {
            let _ = j.reply.send(r);
        }
    }
}

async fn capture_one(
    ctx: Arc<Ctx>,
    target: Target,
    log_tx: std::sync::mpsc::Sender<LogJob>,
    started_tx: tokio::sync::mpsc::UnboundedSender<Slot>,
) -> CaptureOutcome {
    let Target { url, note } = target;
    // The guard reports the page as no longer in flight when it is
    // dropped, at the end of this function (after the network slots).
    let (network, _in_flight) = NetworkSlot::take(&ctx, &url, started_tx).await;
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
        warnings: Vec::new(),
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
    let rendered = match &ctx.opts.browser {
        Some(b)
            if hops
                .last()
                .is_some_and(|h| h.status.is_some() && h.body_read) =>
        {
            Some(browser::capture(&url, &hops, b, &ctx.opts.fetch, &draft.work_dir(), &id).await)
        }
        _ => None,
    };
    let ended = chrono::Utc::now();
    // The limits on captures at once and per host are about the network:
    // writing and sealing have their own bound, and waiting for the group's
    // durability barrier holds no slot.
    drop(network);
    let sealing = ctx
        .sealing
        .clone()
        .acquire_owned()
        .await
        .expect("semaphore open");

    let left = format!(
        "it stays in evidence/.partial-{id}, which the next capture into this case moves to interrupted/ and records"
    );
    let page = Fetched {
        url: url.clone(),
        note,
        hops,
        rendered,
        started,
        ended,
    };
    // Without a time-stamp there is nothing to wait for between writing and
    // sealing: one step on the blocking threads.
    let mut stamp_error = None;
    let (summary, sealed, tsr) = match &ctx.opts.tsa {
        None => {
            let done = write_and_seal(&ctx, draft, page).await;
            drop(sealing);
            match done {
                Ok((summary, sealed)) => (summary, sealed, None),
                Err(e) => {
                    outcome.error = Some(format!("{e}; {left}"));
                    return outcome;
                }
            }
        }
        Some(tsa) => {
            let written = write_payload(&ctx, draft, page).await;
            // Time-stamping is a network wait: the sealing slot is given back
            // meanwhile, and taken again to sign.
            drop(sealing);
            let (summary, prepared) = match written {
                Ok(v) => v,
                Err(e) => {
                    outcome.error = Some(format!("{e}; {left}"));
                    return outcome;
                }
            };
            let tsr = match timestamp_manifest(tsa, &prepared.manifest256, &ctx.opts.fetch).await {
                Ok(bytes) => Some(bytes),
                Err(e) => {
                    stamp_error = Some(format!("sealed WITHOUT a time-stamp: {e}"));
                    None
                }
            };
            let permit = ctx
                .sealing
                .clone()
                .acquire_owned()
                .await
                .expect("semaphore open");
            let sealed = seal(&ctx, prepared, tsr.clone()).await;
            drop(permit);
            (summary, sealed, tsr)
        }
    };
    outcome.status = summary.status;
    outcome.http_status = summary.http_status;
    outcome.warnings = summary.warnings.clone();
    outcome.error = match (summary.error.clone(), stamp_error) {
        (Some(prev), Some(msg)) => Some(format!("{prev}; {msg}")),
        (prev, msg) => prev.or(msg),
    };
    let stamped = tsr.is_some();
    let details = serde_json::to_value(custody::event::CaptureDetails {
        url: url.to_string(),
        final_url: Some(summary.final_url.clone()),
        status: summary.status.as_str().to_string(),
        http_status: summary.http_status,
        timestamped: stamped,
        timestamp_sha256: tsr.as_deref().map(crate::hash::sha256_hex),
        warden_version: Some(crate::VERSION.to_string()),
        arguments: Some(ctx.opts.arguments.clone()),
    })
    .expect("details serialise");
    let sealed = match sealed {
        Ok(s) => s,
        Err(e) => {
            outcome.status = CaptureStatus::Failed;
            outcome.error = Some(format!("{e}; {left}"));
            return outcome;
        }
    };
    record(&log_tx, sealed, details, stamped, &mut outcome).await;
    outcome
}

/// A capture's hold on the network: one of the run's `--concurrency` slots
/// and one of its host's `--per-host` slots.
struct NetworkSlot {
    _global: tokio::sync::OwnedSemaphorePermit,
    _host: tokio::sync::OwnedSemaphorePermit,
}

impl NetworkSlot {
    /// Waits for both slots, then reports the page as started; the guard
    /// returned reports it finished when dropped.
    async fn take(
        ctx: &Ctx,
        url: &Url,
        started_tx: tokio::sync::mpsc::UnboundedSender<Slot>,
    ) -> (NetworkSlot, SlotGuard) {
        // "Per host" means per host name or address, whatever the port: two
        // servers on one machine are still one site to be polite to.
        let host_key = url.host_str().unwrap_or("").to_ascii_lowercase();
        let host_sem = {
            let mut map = ctx.host_limits.lock().expect("host map lock");
            map.entry(host_key)
                .or_insert_with(|| Arc::new(Semaphore::new(ctx.opts.per_host.max(1))))
                .clone()
        };
        let host = host_sem.acquire_owned().await.expect("semaphore open");
        let global = ctx
            .global
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore open");
        let _ = started_tx.send(Slot::Taken(url.clone()));
        let network = NetworkSlot {
            _global: global,
            _host: host,
        };
        (network, SlotGuard(started_tx))
    }
}

/// Writes the payload files and the payload manifests (blocking file work,
/// off the network threads).
async fn write_payload(
    ctx: &Arc<Ctx>,
    draft: Draft,
    page: Fetched,
) -> Result<(metadata::Summary, bundle::Prepared), Unsealed> {
    let ctx = ctx.clone();
    let written = tokio::task::spawn_blocking(move || write_payload_now(&ctx, draft, page)).await;
    written
        .map_err(Unsealed::WriteTask)?
        .map_err(Unsealed::Write)
}

/// What was fetched for one page, for writing into its bundle.
struct Fetched {
    url: Url,
    note: Option<String>,
    hops: Vec<fetch::Hop>,
    rendered: Option<browser::BrowserCapture>,
    started: chrono::DateTime<chrono::Utc>,
    ended: chrono::DateTime<chrono::Utc>,
}

fn write_payload_now(
    ctx: &Ctx,
    draft: Draft,
    page: Fetched,
) -> Result<(metadata::Summary, bundle::Prepared), Unwritten> {
    let Fetched {
        url,
        note,
        hops,
        rendered,
        started,
        ended,
    } = page;
    let note = input::combine_notes(ctx.opts.note.as_deref(), note.as_deref());
    let summary = metadata::assemble(
        &ctx.as_payload_ctx(note.as_deref()),
        &draft,
        &url,
        &hops,
        rendered.as_ref(),
        started,
        ended,
    )?;
    let prepared = draft.prepare(&BagInfo {
        source_organization: ctx.case.config.case.agency.clone(),
        contact_name: ctx.officer.clone(),
        external_identifier: ctx.case.config.case.id.clone(),
        external_description: format!("Web capture of {url}"),
        capture_id: summary.id.clone(),
        signer_public_key: ctx.key.public_b64(),
        bagging_date: ended.format("%Y-%m-%d").to_string(),
        warden_version: crate::VERSION.to_string(),
    })?;
    Ok((summary, prepared))
}

/// [`write_payload`] and [`seal`] in one step on the blocking threads, for
/// a capture without a time-stamp (nothing to wait for in between).
async fn write_and_seal(
    ctx: &Arc<Ctx>,
    draft: Draft,
    page: Fetched,
) -> Result<(metadata::Summary, Result<bundle::SealedPartial, Unsealed>), Unsealed> {
    let ctx = ctx.clone();
    let done = tokio::task::spawn_blocking(move || {
        let (summary, prepared) = write_payload_now(&ctx, draft, page)?;
        let sealed = prepared
            .seal_partial(&ctx.key, None)
            .map_err(Unsealed::Seal);
        Ok::<_, Unwritten>((summary, sealed))
    })
    .await;
    done.map_err(Unsealed::WriteTask)?.map_err(Unsealed::Write)
}

/// Signs the manifest and writes the tag files inside the partial folder.
async fn seal(
    ctx: &Arc<Ctx>,
    prepared: bundle::Prepared,
    tsr: Option<Vec<u8>>,
) -> Result<bundle::SealedPartial, Unsealed> {
    let ctx = ctx.clone();
    let sealed =
        tokio::task::spawn_blocking(move || prepared.seal_partial(&ctx.key, tsr.as_deref())).await;
    sealed.map_err(Unsealed::SealTask)?.map_err(Unsealed::Seal)
}

/// Hands the sealed bundle to the run's single log writer, which makes it
/// durable, records it and moves it into place together with the other
/// bundles sealed at about the same time; fills `outcome` from its answer.
async fn record(
    log_tx: &std::sync::mpsc::Sender<LogJob>,
    sealed: bundle::SealedPartial,
    details: serde_json::Value,
    stamped: bool,
    outcome: &mut CaptureOutcome,
) {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let job = LogJob {
        sealed,
        details,
        reply,
    };
    let recorded = match log_tx.send(job) {
        Ok(()) => answer.await.unwrap_or(Err(Unrecorded::WriterStopped)),
        Err(_) => Err(Unrecorded::WriterStopped),
    };
    match recorded {
        Ok((sealed, seq)) => {
            outcome.bundle = Some(sealed.path);
            outcome.manifest_sha256 = Some(sealed.manifest_sha256);
            outcome.timestamped = stamped;
            outcome.custody_seq = Some(seq);
        }
        Err(e) => {
            if let Unrecorded::NotMoved { seq, .. } = &e {
                outcome.custody_seq = Some(*seq);
                outcome.timestamped = stamped;
            }
            outcome.status = CaptureStatus::Failed;
            outcome.error = Some(e.to_string());
        }
    }
}

impl Ctx {
    fn tool(&self) -> &metadata::ToolInfo {
        self.tool.get_or_init(|| {
            let job = self.tool_job.lock().expect("tool job lock").take();
            job.and_then(|j| j.join().ok())
                .unwrap_or_else(metadata::ToolInfo::current)
        })
    }

    fn as_payload_ctx<'a>(&'a self, note: Option<&'a str>) -> metadata::PayloadCtx<'a> {
        metadata::PayloadCtx {
            case: &self.case,
            officer: &self.officer,
            officer_public_key: self.key.public_b64(),
            note,
            opts: &self.opts,
            tool: self.tool(),
            env: &self.env,
        }
    }
}

/// Why a time-stamp could not be obtained (see [`stamp`]).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct StampError(Unstamped);

/// Obtains an RFC 3161 time-stamp token over SHA-256 of `data` from `tsa`
/// outside a capture (a custody checkpoint), with the checks capture makes:
/// the reply is granted and covers exactly that digest and a fresh nonce.
/// `cfg` gives the proxy, the timeouts and the trusted roots; redirects are
/// not followed. Returns the DER `TimeStampResp`.
pub fn stamp(tsa: &Url, data: &[u8], cfg: &FetchConfig) -> Result<Vec<u8>, StampError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StampError(Unstamped::Runtime(e)))?;
    rt.block_on(timestamp_manifest(tsa, data, cfg))
        .map_err(StampError)
}

/// Requests an RFC 3161 token over SHA-256 of `manifest` and checks that the
/// reply is granted and covers exactly that digest and our nonce.
async fn timestamp_manifest(
    tsa: &Url,
    manifest: &[u8],
    cfg: &FetchConfig,
) -> Result<Vec<u8>, Unstamped> {
    use sha2::Digest;
    let digest: [u8; 32] = sha2::Sha256::digest(manifest).into();
    let mut nonce_bytes = [0u8; 8];
    getrandom::getrandom(&mut nonce_bytes).map_err(Unstamped::Random)?;
    let nonce = u64::from_be_bytes(nonce_bytes) >> 1;
    let query = bundle::timestamp::build_request(&digest, nonce);
    let reply = fetch::post_timestamp_query(tsa, query, cfg).await?;
    let info = bundle::timestamp::parse_response(&reply)?.info;
    if info.message_imprint_hex != hex::encode(digest) {
        return Err(Unstamped::OtherDigest);
    }
    if info.nonce_hex.as_deref() != Some(bundle::timestamp::nonce_hex(nonce).as_str()) {
        return Err(Unstamped::OtherNonce);
    }
    Ok(reply)
}
