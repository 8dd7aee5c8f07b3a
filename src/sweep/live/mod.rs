//! Live sweeps (`warden sweep --target`, docs/targets.md): search
//! marketplaces for every term, capture every results page as evidence
//! with the ordinary capture code, read the listings off the captured page,
//! score them, and optionally capture each flagged listing's own page.
//!
//! One worker per target (at most `concurrency` at once); a host is asked
//! one request at a time, never sooner than its profile's delay after the
//! last one. Every page done is journalled (`pages.jsonl`) before the next
//! starts, so a stopped or killed sweep resumes where it was.

mod journal;
mod output;

use crate::capture::{self, CaptureOptions, CaptureOutcome, CaptureStatus, FetchConfig};
use crate::case::Case;
use crate::keys::OfficerKey;
use crate::matcher::{Matcher, score};
use crate::species::{self, KeywordList, ListKind};
use crate::targets::{self, ExtractedListing, Target};
use journal::{Attempt, Entry, FileUsed, Journal, Params};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use output::{DiffChange, DiffListing, DiffReport, diff};
pub(crate) use output::{LiveRecorded, read_hits_file};

/// Most capture attempts of one page (the first and three retries).
pub const MAX_ATTEMPTS: u32 = 4;
/// Longest wait before a retry; a longer `Retry-After` ends the page's attempts.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(300);
/// Most search terms in one sweep.
const MAX_TERMS: usize = 10_000;
/// Most distinct listings one sweep keeps (each listing that names a taxon
/// is held in memory until the results are written: about 5-15 KiB).
/// Listings past it are counted (`listings_not_kept`), not scored.
const MAX_LISTINGS: usize = 200_000;
/// Most sightings kept per listing; more are counted.
const MAX_SIGHTINGS: usize = 1000;

/// Why a live sweep could not run (or stopped early).
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(transparent)]
    Target(#[from] targets::TargetError),
    #[error(transparent)]
    List(#[from] species::ListError),
    #[error("no species list: the lists given have no list with kind = \"species\"")]
    NoSpeciesList,
    #[error(transparent)]
    Matcher(#[from] crate::matcher::MatcherError),
    #[error("{}: {}", .path.display(), .message)]
    Terms { path: PathBuf, message: String },
    #[error(
        "no search term: the lists have no live_search terms; give terms with --terms FILE (one a line)"
    )]
    NoTerms,
    #[error("no sweep {0} in this case (look in the case's sweeps/ folder)")]
    NoSuchSweep(String),
    #[error("sweep {0} is already finished; start a new sweep instead of resuming it")]
    AlreadyFinished(String),
    #[error(
        "sweep {0} is still running in another warden process on this computer (it holds the sweep's folder); let it finish, or stop it with Ctrl-C, then resume it"
    )]
    StillRunning(String),
    #[error(
        "{what} {path} changed since sweep {id} started (SHA-256 {now}, was {then}); resume it with the same files or start a new sweep"
    )]
    Changed {
        what: &'static str,
        path: String,
        id: String,
        now: String,
        then: String,
    },
    #[error(
        "two targets are both named {0:?}: each target needs its own name (the [target] name key)"
    )]
    DuplicateTarget(String),
    #[error("{}: {}", .path.display(), crate::fsutil::describe_io_error(.source))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Capture(#[from] capture::CaptureError),
    #[error(transparent)]
    Custody(#[from] crate::custody::CustodyError),
    #[error(transparent)]
    Case(#[from] crate::case::CaseError),
    #[error("javascript target {0}: it needs a browser, and none was given")]
    NoBrowser(String),
}

/// For `--resume ID`: a missing folder or params.json means there is no such
/// sweep; any other failure (no permission, a file where the folder should
/// be, a disk error) is named as what it is.
fn missing_or_io<'a>(id: &'a str, path: &'a Path) -> impl FnOnce(std::io::Error) -> LiveError + 'a {
    move |source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            LiveError::NoSuchSweep(id.to_string())
        } else {
            LiveError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> LiveError + '_ {
    move |source| LiveError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What the officer asked for.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub targets: Vec<PathBuf>,
    /// Species and cue lists; empty for the built-in lists.
    pub lists: Vec<PathBuf>,
    pub terms_file: Option<PathBuf>,
    /// Most results pages per term and target (else each profile's own).
    pub pages: Option<u32>,
    pub capture_hits: bool,
    pub min_score: u32,
    /// Targets swept at once.
    pub concurrency: usize,
    /// Continue this stopped sweep (its parameters are used; targets and
    /// lists must be unchanged).
    pub resume: Option<String>,
    /// How pages are fetched (user-agent, timeouts, proxy…); a profile's
    /// headers are added to it.
    pub fetch: FetchConfig,
    pub extra_roots: Vec<capture::TrustedRoot>,
    /// For targets whose listings appear only after JavaScript.
    pub browser: Option<capture::browser::BrowserOptions>,
    /// The command line, recorded with every capture and the sweep event.
    pub arguments: Vec<String>,
    /// Set (by Ctrl-C) to stop: pages in progress finish, nothing new starts.
    pub stop: Arc<AtomicBool>,
}

/// What a live sweep reports as it goes.
#[derive(Debug)]
pub enum LiveProgress<'a> {
    /// The sweep has its id and folder (new or resumed).
    Started {
        id: &'a str,
        dir: &'a Path,
        resumed_pages: usize,
        terms: usize,
        targets: usize,
    },
    /// A results page is being captured.
    Fetching {
        target: &'a str,
        term: &'a str,
        /// 1 for the first term.
        term_no: usize,
        page: u32,
    },
    /// A page will be tried again after `wait`.
    Retrying {
        url: &'a str,
        wait: Duration,
        reason: &'a str,
    },
    /// A results page is done.
    PageDone {
        target: &'a str,
        term: &'a str,
        page: u32,
        ok: bool,
        listings: usize,
        totals: Totals,
    },
    /// A flagged listing's page was captured.
    HitCaptured { url: &'a str, ok: bool },
}

/// Running totals.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Totals {
    pub pages: u64,
    pub pages_failed: u64,
    pub captures: u64,
    pub sightings: u64,
    pub listings: u64,
    pub matched: u64,
    pub flagged: u64,
    pub hit_captures: u64,
    /// New listings seen after [`MAX_LISTINGS`] were kept: neither scored
    /// nor in the results.
    pub listings_not_kept: u64,
}

/// How a sweep run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SweepStatus {
    Finished,
    Stopped,
}

/// Per target, at the end.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct TargetSummary {
    pub pages: u64,
    pub pages_failed: u64,
    pub listings: u64,
    pub flagged: u64,
}

/// The result of [`run`].
#[derive(Debug, Clone, Serialize)]
pub struct LiveSummary {
    pub id: String,
    pub dir: PathBuf,
    pub status: SweepStatus,
    pub totals: Totals,
    pub per_target: BTreeMap<String, TargetSummary>,
    pub per_taxon: BTreeMap<String, u64>,
    /// The folder holding sweep.json, hits.jsonl and hits.csv of this run.
    pub outputs: PathBuf,
    pub custody_seq: u64,
    pub failed_pages: Vec<String>,
}

/// One place a listing was seen.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub(crate) struct Sighting {
    pub(crate) target: String,
    pub(crate) term: String,
    pub(crate) page: u32,
    /// The results-page bundle it was read from.
    pub(crate) bundle: String,
}

/// A listing that mentions a listed taxon, with everything about it (a
/// line of `hits.jsonl`).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub(crate) struct Hit {
    #[serde(flatten)]
    pub(crate) listing: ExtractedListing,
    #[serde(flatten)]
    pub(crate) scored: score::Scored,
    pub(crate) sightings: Vec<Sighting>,
    /// Sightings past the first 1,000, counted only.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) sightings_not_listed: u64,
    /// Its own page's bundle (`--capture-hits`).
    #[serde(default)]
    pub(crate) capture: Option<HitCapture>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub(crate) struct HitCapture {
    pub(crate) bundle: Option<String>,
    pub(crate) status: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// State shared by the workers.
struct State {
    journal: Journal,
    totals: Totals,
    /// Every distinct listing URL seen, and whether it is a hit (index in `hits`).
    seen: HashMap<String, Option<usize>>,
    hits: Vec<Hit>,
    per_target: BTreeMap<String, TargetSummary>,
    failed: Vec<FailedPage>,
    /// Hit URLs whose capture is done or claimed by a worker.
    hit_claimed: HashSet<String>,
}

/// A results page that could not be read, for sweep.json.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FailedPage {
    pub(crate) target: String,
    pub(crate) term: String,
    pub(crate) page: u32,
    pub(crate) url: String,
    pub(crate) attempts: Vec<Attempt>,
}

/// Everything the workers share.
struct Ctx<'a> {
    case: &'a Case,
    key: &'a OfficerKey,
    opts: &'a LiveOptions,
    id: String,
    matcher: Matcher,
    lists: Vec<KeywordList>,
    terms: Vec<String>,
    state: Mutex<State>,
    hosts: Mutex<HashMap<String, Arc<Mutex<Option<Instant>>>>>,
    progress: Mutex<&'a mut (dyn FnMut(LiveProgress<'_>) + Send)>,
    fatal: Mutex<Option<LiveError>>,
}

impl Ctx<'_> {
    fn report(&self, p: LiveProgress<'_>) {
        let mut f = self.progress.lock().expect("progress lock");
        (*f)(p);
    }
    fn stopping(&self) -> bool {
        self.opts.stop.load(Ordering::SeqCst) || self.fatal.lock().expect("fatal lock").is_some()
    }
    fn fail(&self, e: LiveError) {
        let mut f = self.fatal.lock().expect("fatal lock");
        if f.is_none() {
            *f = Some(e);
        }
    }
}

/// Where a (target, term) chain of results pages stands.
#[derive(Debug, Clone)]
enum Chain {
    /// The next page to fetch: its index (0 for the first) and URL, when
    /// it came from a next-page link.
    Next(u32, Option<String>, Vec<String>),
    Done,
}

/// Runs (or resumes) a live sweep in `case`, signing with `key`.
pub fn run(
    case: &Case,
    key: &OfficerKey,
    opts: &LiveOptions,
    progress: &mut (dyn FnMut(LiveProgress<'_>) + Send),
) -> Result<LiveSummary, LiveError> {
    let sweeps = case.root.join("sweeps");
    // Each run holds its sweep's folder for as long as it runs, so that a
    // resume started meanwhile (in another terminal) cannot set aside the
    // results the running one is about to record.
    let (params, dir, entries, runs_before, _running) = match &opts.resume {
        Some(id) => {
            let dir = sweeps.join(safe_id(id).ok_or_else(|| LiveError::NoSuchSweep(id.clone()))?);
            let running = crate::fsutil::DirLock::try_exclusive(&dir)
                .map_err(missing_or_io(id, &dir))?
                .ok_or_else(|| LiveError::StillRunning(id.clone()))?;
            let params_path = dir.join("params.json");
            let bytes = crate::fsutil::read_capped(&params_path, 64 << 20)
                .map_err(missing_or_io(id, &params_path))?;
            let params: Params = serde_json::from_slice(&bytes).map_err(|e| LiveError::Io {
                path: params_path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            })?;
            if output::finished_and_recorded(case, &dir).map_err(io_err(&dir))? {
                return Err(LiveError::AlreadyFinished(id.clone()));
            }
            // Results a killed run wrote but never recorded are set aside.
            output::set_aside_unrecorded(&dir).map_err(io_err(&dir))?;
            let entries = journal::read(&dir.join("pages.jsonl")).map_err(io_err(&dir))?;
            let runs = output::stopped_runs(&dir);
            (params, dir, entries, runs, running)
        }
        None => {
            let params = new_params(opts)?;
            let dir = sweeps.join(&params.id);
            std::fs::create_dir_all(&sweeps).map_err(io_err(&sweeps))?;
            std::fs::create_dir(&dir).map_err(io_err(&dir))?;
            let running = crate::fsutil::DirLock::try_exclusive(&dir)
                .map_err(io_err(&dir))?
                .ok_or_else(|| LiveError::StillRunning(params.id.clone()))?;
            let bytes = serde_json::to_vec_pretty(&params).expect("params serialise");
            crate::fsutil::write_new_synced(&dir.join("params.json"), &bytes)
                .map_err(io_err(&dir))?;
            crate::fsutil::sync_dir(&sweeps).map_err(io_err(&sweeps))?;
            (params, dir, Vec::new(), 0, running)
        }
    };
    // Load everything (again, for a resume) and check it is what the sweep
    // started with.
    let mut targets = Vec::new();
    for t in &params.targets {
        let target = targets::load(Path::new(&t.path))?;
        if target.sha256 != t.sha256 {
            return Err(LiveError::Changed {
                what: "marketplace profile",
                path: t.path.clone(),
                id: params.id.clone(),
                now: target.sha256,
                then: t.sha256.clone(),
            });
        }
        targets.push(target);
    }
    let lists = species::load_lists(&params.list_files)?;
    for (l, then) in lists.iter().zip(&params.lists) {
        if l.sha256 != then.sha256 {
            return Err(LiveError::Changed {
                what: "list",
                path: then.path.clone(),
                id: params.id.clone(),
                now: l.sha256.clone(),
                then: then.sha256.clone(),
            });
        }
    }
    if let Some(b) = &opts.browser
        && b.chrome.as_os_str().is_empty()
    {
        return Err(LiveError::NoBrowser(String::new()));
    }
    if let Some(t) = targets.iter().find(|t| t.javascript)
        && opts.browser.is_none()
    {
        return Err(LiveError::NoBrowser(t.name.clone()));
    }
    let matcher = Matcher::new(&lists)?;
    // The whole log is checked once here; each page's capture then only
    // checks its last line as it appends.
    crate::custody::check_appendable(&case.log())?;
    let journal = Journal::open(&dir.join("pages.jsonl")).map_err(io_err(&dir))?;
    // A resumed sweep keeps the parameters it started with.
    let opts = &LiveOptions {
        pages: params.pages,
        capture_hits: params.capture_hits,
        min_score: params.min_score,
        ..opts.clone()
    };
    let ctx = Ctx {
        case,
        key,
        opts,
        id: params.id.clone(),
        matcher,
        lists,
        terms: params.terms.clone(),
        state: Mutex::new(State {
            journal,
            totals: Totals::default(),
            seen: HashMap::new(),
            hits: Vec::new(),
            per_target: targets
                .iter()
                .map(|t| (t.name.clone(), TargetSummary::default()))
                .collect(),
            failed: Vec::new(),
            hit_claimed: HashSet::new(),
        }),
        hosts: Mutex::new(HashMap::new()),
        progress: Mutex::new(progress),
        fatal: Mutex::new(None),
    };
    // Replay what earlier runs finished: pages are read back from their
    // bundles, never fetched again.
    let mut chains: HashMap<(String, String), Chain> = HashMap::new();
    for e in &entries {
        match e {
            Entry::Page {
                target,
                term,
                page,
                url,
                attempts,
                status,
                bundle,
                next,
                last,
                ..
            } => {
                let Some(t) = targets.iter().find(|t| &t.name == target) else {
                    continue;
                };
                let mut page_urls = Vec::new();
                if status == "ok"
                    && let Some(b) = bundle
                {
                    match absorb(&ctx, t, term, *page, b) {
                        Ok(x) => page_urls = x.0.listings.iter().map(|l| l.url.clone()).collect(),
                        Err(e) => return Err(e),
                    }
                } else {
                    let mut st = ctx.state.lock().expect("state lock");
                    st.totals.pages_failed += 1;
                    st.per_target
                        .entry(target.clone())
                        .or_default()
                        .pages_failed += 1;
                    st.failed.push(FailedPage {
                        target: target.clone(),
                        term: term.clone(),
                        page: *page,
                        url: url.clone(),
                        attempts: attempts.clone(),
                    });
                }
                let chain = if *last {
                    Chain::Done
                } else {
                    Chain::Next(*page, next.clone(), page_urls)
                };
                chains.insert((target.clone(), term.clone()), chain);
            }
            Entry::Hit {
                url,
                status,
                bundle,
                ..
            } => {
                let mut st = ctx.state.lock().expect("state lock");
                st.hit_claimed.insert(url.clone());
                if bundle.is_some() {
                    st.totals.hit_captures += 1;
                }
                if let Some(Some(i)) = st.seen.get(url).copied() {
                    st.hits[i].capture = Some(HitCapture {
                        bundle: bundle.clone(),
                        status: status.clone(),
                    });
                }
            }
        }
    }
    let started = crate::now_rfc3339();
    ctx.report(LiveProgress::Started {
        id: &params.id,
        dir: &dir,
        resumed_pages: entries.len(),
        terms: params.terms.len(),
        targets: targets.len(),
    });
    let pages_limit = |t: &Target| params.pages.unwrap_or(t.max_pages).max(1);
    // Hits flagged by earlier runs whose own page was not captured yet.
    let queue = Mutex::new(targets.iter().collect::<Vec<_>>());
    let workers = opts.concurrency.clamp(1, 64).min(targets.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let Some(t) = queue.lock().expect("queue lock").pop() else {
                        return;
                    };
                    sweep_target(&ctx, t, &chains, pages_limit(t));
                    if ctx.stopping() {
                        return;
                    }
                }
            });
        }
    });
    if let Some(e) = ctx.fatal.lock().expect("fatal lock").take() {
        return Err(e);
    }
    let stopped = opts.stop.load(Ordering::SeqCst);
    let status = if stopped {
        SweepStatus::Stopped
    } else {
        SweepStatus::Finished
    };
    let state = ctx.state.into_inner().expect("state lock");
    output::finish(output::Finish {
        case,
        key,
        dir: &dir,
        params: &params,
        targets: &targets,
        status,
        run_started: &started,
        runs_before,
        totals: state.totals,
        hits: state.hits,
        per_target: state.per_target,
        failed: state.failed,
        arguments: &opts.arguments,
    })
}

/// The profile files a sweep of `case` started with (for `--resume`).
pub fn targets_of(case: &Case, id: &str) -> Result<Vec<PathBuf>, LiveError> {
    let dir = case
        .root
        .join("sweeps")
        .join(safe_id(id).ok_or_else(|| LiveError::NoSuchSweep(id.to_string()))?);
    let params_path = dir.join("params.json");
    let bytes = crate::fsutil::read_capped(&params_path, 64 << 20)
        .map_err(missing_or_io(id, &params_path))?;
    let params: Params = serde_json::from_slice(&bytes).map_err(|e| LiveError::Io {
        path: params_path,
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })?;
    Ok(params
        .targets
        .iter()
        .map(|t| PathBuf::from(&t.path))
        .collect())
}

/// The sweep id as a folder name, if it is one warden makes.
fn safe_id(id: &str) -> Option<&str> {
    (id.len() <= 40 && !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .then_some(id)
}

/// Loads targets, lists and terms for a new sweep and fixes its parameters.
fn new_params(opts: &LiveOptions) -> Result<Params, LiveError> {
    let mut targets = Vec::new();
    let mut names = HashSet::new();
    for p in &opts.targets {
        let t = targets::load(p)?;
        if !names.insert(t.name.clone()) {
            return Err(LiveError::DuplicateTarget(t.name));
        }
        targets.push(FileUsed {
            path: absolute(p).display().to_string(),
            sha256: t.sha256,
        });
    }
    let lists = species::load_lists(&opts.lists)?;
    if !lists.iter().any(|l| l.kind == ListKind::Species) {
        return Err(LiveError::NoSpeciesList);
    }
    let (terms, terms_file) = match &opts.terms_file {
        Some(p) => {
            let bytes = crate::fsutil::read_capped(p, 16 << 20).map_err(io_err(p))?;
            let text = String::from_utf8(bytes.clone()).map_err(|e| LiveError::Terms {
                path: p.clone(),
                message: format!(
                    "line {}: not UTF-8 text (save the file as UTF-8)",
                    bytes[..e.utf8_error().valid_up_to()]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count()
                        + 1
                ),
            })?;
            let mut terms = Vec::new();
            for (i, line) in text.lines().enumerate() {
                let t = line.trim().trim_start_matches('\u{feff}').trim();
                if t.is_empty() || t.starts_with('#') {
                    continue;
                }
                if t.chars().count() > 200 || t.chars().any(char::is_control) {
                    return Err(LiveError::Terms {
                        path: p.clone(),
                        message: format!(
                            "line {}: a term is one line of at most 200 characters",
                            i + 1
                        ),
                    });
                }
                terms.push(t.to_string());
            }
            (
                terms,
                Some(FileUsed {
                    path: absolute(p).display().to_string(),
                    sha256: crate::hash::sha256_hex(&bytes),
                }),
            )
        }
        None => {
            let mut terms = Vec::new();
            for l in &lists {
                for t in &l.taxa {
                    terms.extend(t.live_search.iter().cloned());
                }
            }
            (terms, None)
        }
    };
    let mut seen = HashSet::new();
    let terms: Vec<String> = terms
        .into_iter()
        .filter(|t| seen.insert(t.to_lowercase()))
        .collect();
    if terms.is_empty() {
        return Err(LiveError::NoTerms);
    }
    if terms.len() > MAX_TERMS {
        return Err(LiveError::Terms {
            path: opts.terms_file.clone().unwrap_or_default(),
            message: format!("{} terms; a sweep takes at most {MAX_TERMS}", terms.len()),
        });
    }
    let now = chrono::Utc::now();
    let mut rnd = [0u8; 4];
    getrandom::getrandom(&mut rnd).map_err(|e| LiveError::Io {
        path: PathBuf::from("sweeps"),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(Params {
        format: journal::PARAMS_FORMAT.into(),
        id: format!("{}-{}", now.format("%Y%m%dT%H%M%SZ"), hex::encode(rnd)),
        started_at: crate::format_time(now),
        targets,
        list_files: opts
            .lists
            .iter()
            .map(|p| {
                if species::is_builtin_path(p) {
                    p.clone()
                } else {
                    absolute(p)
                }
            })
            .collect(),
        lists: lists
            .iter()
            .map(|l| super::ListUsed {
                path: l.path.display().to_string(),
                name: l.name.clone(),
                version: l.version.clone(),
                sha256: l.sha256.clone(),
            })
            .collect(),
        terms,
        terms_file,
        pages: opts.pages,
        capture_hits: opts.capture_hits,
        min_score: opts.min_score,
    })
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Sweeps every term on one target.
fn sweep_target(ctx: &Ctx<'_>, t: &Target, chains: &HashMap<(String, String), Chain>, limit: u32) {
    // Hits from earlier runs still waiting for their own capture.
    capture_pending_hits(ctx, t);
    for (term_no, term) in ctx.terms.iter().enumerate() {
        if ctx.stopping() {
            return;
        }
        let (mut index, mut next_url, mut previous) =
            match chains.get(&(t.name.clone(), term.clone())) {
                Some(Chain::Done) => continue,
                Some(Chain::Next(page, next, prev)) => (*page, next.clone(), prev.clone()),
                None => (0, None, Vec::new()),
            };
        while index < limit {
            if ctx.stopping() {
                return;
            }
            let page = index + 1;
            let url = match &next_url {
                Some(u) => u.clone(),
                None => t.search.url(term, index).to_string(),
            };
            ctx.report(LiveProgress::Fetching {
                target: &t.name,
                term,
                term_no: term_no + 1,
                page,
            });
            let note = format!(
                "live sweep {}: results page {page} for {term:?} on {}",
                ctx.id, t.name
            );
            let Fetched::Done(attempts, outcome) =
                capture_with_retries(ctx, t, &url, &note, t.javascript)
            else {
                return;
            };
            let usable = outcome.as_ref().filter(|o| usable(o));
            let (entry, last) = match usable.and_then(|o| o.bundle.as_ref()) {
                Some(bundle) => {
                    let id = bundle_id(bundle);
                    match absorb(ctx, t, term, page, &id) {
                        Ok((x, newly_flagged)) => {
                            let urls: Vec<String> =
                                x.listings.iter().map(|l| l.url.clone()).collect();
                            let repeat =
                                !urls.is_empty() && urls.iter().all(|u| previous.contains(u));
                            let numbered = t.search.has_page() && t.selectors.next_page.is_none();
                            // A next-page link is followed only on the
                            // marketplace's own host: page content never
                            // sends warden elsewhere.
                            let next = if t.selectors.next_page.is_some() {
                                x.next_page
                                    .as_ref()
                                    .filter(|u| on_site(t, u.as_str()))
                                    .map(|u| u.to_string())
                            } else {
                                None
                            };
                            let last = urls.is_empty()
                                || repeat
                                || page >= limit
                                || (next.is_none() && !numbered);
                            ctx.report_page_done(t, term, page, true, urls.len());
                            let entry = Entry::Page {
                                target: t.name.clone(),
                                term: term.clone(),
                                page,
                                url: url.clone(),
                                attempts,
                                status: "ok".into(),
                                bundle: Some(id),
                                listings: x.listings.len(),
                                without_link: x.without_link,
                                next: if last { None } else { next.clone() },
                                last,
                            };
                            if let Err(e) = journal_append(ctx, &entry) {
                                ctx.fail(e);
                                return;
                            }
                            if ctx.opts.capture_hits {
                                for u in newly_flagged {
                                    if ctx.stopping() {
                                        return;
                                    }
                                    capture_hit(ctx, t, &u, term);
                                }
                            }
                            next_url = next;
                            previous = urls;
                            (None, last)
                        }
                        Err(e) => {
                            ctx.fail(e);
                            return;
                        }
                    }
                }
                None => {
                    let entry = Entry::Page {
                        target: t.name.clone(),
                        term: term.clone(),
                        page,
                        url: url.clone(),
                        attempts: attempts.clone(),
                        status: "failed".into(),
                        bundle: None,
                        listings: 0,
                        without_link: 0,
                        next: None,
                        last: true,
                    };
                    {
                        let mut st = ctx.state.lock().expect("state lock");
                        st.totals.pages_failed += 1;
                        st.per_target
                            .entry(t.name.clone())
                            .or_default()
                            .pages_failed += 1;
                        st.failed.push(FailedPage {
                            target: t.name.clone(),
                            term: term.clone(),
                            page,
                            url: url.clone(),
                            attempts,
                        });
                    }
                    ctx.report_page_done(t, term, page, false, 0);
                    (Some(entry), true)
                }
            };
            if let Some(entry) = entry
                && let Err(e) = journal_append(ctx, &entry)
            {
                ctx.fail(e);
                return;
            }
            if last {
                break;
            }
            index += 1;
        }
    }
}

impl Ctx<'_> {
    fn report_page_done(&self, t: &Target, term: &str, page: u32, ok: bool, listings: usize) {
        let totals = self.state.lock().expect("state lock").totals;
        self.report(LiveProgress::PageDone {
            target: &t.name,
            term,
            page,
            ok,
            listings,
            totals,
        });
    }
}

fn journal_append(ctx: &Ctx<'_>, e: &Entry) -> Result<(), LiveError> {
    let mut st = ctx.state.lock().expect("state lock");
    st.journal.append(e).map_err(|source| LiveError::Io {
        path: ctx
            .case
            .root
            .join("sweeps")
            .join(&ctx.id)
            .join("pages.jsonl"),
        source,
    })
}

/// Whether a capture gave a page to read listings from.
fn usable(o: &CaptureOutcome) -> bool {
    matches!(
        o.status,
        CaptureStatus::Ok | CaptureStatus::Truncated | CaptureStatus::Partial
    ) && o.bundle.is_some()
}

fn bundle_id(bundle: &Path) -> String {
    bundle
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Reads the listings of a captured results page, scores them and adds them
/// to the sweep's results. Returns the extraction and the URLs of listings
/// flagged for the first time.
fn absorb(
    ctx: &Ctx<'_>,
    t: &Target,
    term: &str,
    page: u32,
    bundle: &str,
) -> Result<(targets::Extraction, Vec<String>), LiveError> {
    let dir = ctx.case.evidence_dir().join(bundle);
    let (html, final_url) = read_page(&dir, t.javascript)?;
    let x = targets::extract(&html, &final_url, &t.selectors);
    let mut newly_flagged = Vec::new();
    let mut st = ctx.state.lock().expect("state lock");
    let st = &mut *st;
    st.totals.pages += 1;
    st.totals.captures += 1;
    let ts = st.per_target.entry(t.name.clone()).or_default();
    ts.pages += 1;
    for l in &x.listings {
        st.totals.sightings += 1;
        let sighting = Sighting {
            target: t.name.clone(),
            term: term.to_string(),
            page,
            bundle: bundle.to_string(),
        };
        match st.seen.get(&l.url).copied() {
            Some(Some(i)) => {
                let h = &mut st.hits[i];
                if h.sightings.len() < MAX_SIGHTINGS {
                    h.sightings.push(sighting);
                } else {
                    h.sightings_not_listed += 1;
                }
            }
            Some(None) => {}
            None => {
                if st.seen.len() >= MAX_LISTINGS {
                    st.totals.listings_not_kept += 1;
                    continue;
                }
                st.totals.listings += 1;
                let ts = st.per_target.entry(t.name.clone()).or_default();
                ts.listings += 1;
                let found = ctx.matcher.find_for_scoring(&l.text, usize::MAX).0;
                let scored = score::score(
                    &l.text,
                    &found,
                    &ctx.matcher,
                    &ctx.lists,
                    ctx.opts.min_score,
                );
                if scored.taxa.is_empty() {
                    st.seen.insert(l.url.clone(), None);
                    continue;
                }
                st.totals.matched += 1;
                if scored.flagged {
                    st.totals.flagged += 1;
                    ts.flagged += 1;
                    if !st.hit_claimed.contains(&l.url) {
                        newly_flagged.push(l.url.clone());
                    }
                }
                st.seen.insert(l.url.clone(), Some(st.hits.len()));
                // The matched text is the fields joined; they are kept, the
                // joined copy is not. A listing without fields keeps the
                // start of its text.
                let no_fields = [&l.title, &l.price, &l.seller, &l.date, &l.snippet]
                    .iter()
                    .all(|f| f.is_none());
                let listing = ExtractedListing {
                    text: if no_fields {
                        l.text
                            .chars()
                            .take(targets::extract::MAX_FIELD_CHARS)
                            .collect()
                    } else {
                        String::new()
                    },
                    ..l.clone()
                };
                st.hits.push(Hit {
                    listing,
                    scored,
                    sightings: vec![sighting],
                    sightings_not_listed: 0,
                    capture: None,
                });
            }
        }
    }
    Ok((x, newly_flagged))
}

/// The page of a bundle as text (decoded with the charset its capture
/// recorded) and the URL it was finally fetched from.
fn read_page(dir: &Path, rendered: bool) -> Result<(String, url::Url), LiveError> {
    let record_path = dir.join("data/capture.json");
    let bytes = crate::fsutil::read_capped(&record_path, crate::capture::record::MAX_RECORD_BYTES)
        .map_err(io_err(&record_path))?;
    let record =
        crate::capture::record::CaptureRecord::from_json(&bytes).map_err(|e| LiveError::Io {
            path: record_path.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })?;
    let final_url = url::Url::parse(&record.final_url).map_err(|e| LiveError::Io {
        path: record_path.clone(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })?;
    let limit = targets::extract::MAX_PAGE_BYTES as u64 * 4;
    if rendered {
        let p = dir.join("data/dom.html");
        if p.is_file() {
            let b = read_prefix(&p, limit).map_err(io_err(&p))?;
            return Ok((String::from_utf8_lossy(&b).into_owned(), final_url));
        }
    }
    let Some(page) = &record.page else {
        return Ok((String::new(), final_url));
    };
    let p = dir.join(&page.file);
    let b = read_prefix(&p, limit).map_err(io_err(&p))?;
    let enc = page
        .charset
        .as_deref()
        .and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = enc.decode(&b);
    Ok((text.into_owned(), final_url))
}

/// The first `limit` bytes of a file.
fn read_prefix(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    crate::fsutil::open_regular_nofollow(path)?
        .take(limit)
        .read_to_end(&mut out)?;
    Ok(out)
}

/// How the attempts at one page ended.
enum Fetched {
    /// The page's attempts, the last outcome (none if nothing could be sent).
    Done(Vec<Attempt>, Option<CaptureOutcome>),
    /// The sweep is stopping (Ctrl-C) or failed while this page waited for
    /// a retry: the page is not done, and `--resume` tries it again.
    Interrupted,
}

/// Captures `url` with the ordinary capture code, trying again on 429, 5xx
/// and network failures.
fn capture_with_retries(
    ctx: &Ctx<'_>,
    t: &Target,
    url: &str,
    note: &str,
    browser: bool,
) -> Fetched {
    let parsed = match capture::parse_url(url) {
        Ok(u) => u,
        Err(e) => {
            return Fetched::Done(
                vec![Attempt {
                    at: crate::now_rfc3339(),
                    bundle: None,
                    status: "failed".into(),
                    http_status: None,
                    error: Some(format!("not captured: {e}")),
                    retry_after_secs: None,
                    retry_reason: None,
                }],
                None,
            );
        }
    };
    let mut attempts = Vec::new();
    for n in 1..=MAX_ATTEMPTS {
        let gate = host_gate(ctx, &parsed);
        let mut when = gate.lock().expect("host lock");
        if let Some(prev) = *when {
            let ready = prev + t.delay;
            while Instant::now() < ready {
                if ctx.stopping() {
                    return Fetched::Interrupted;
                }
                std::thread::sleep((ready - Instant::now()).min(Duration::from_millis(100)));
            }
        }
        let mut fetch = ctx.opts.fetch.clone();
        fetch.extra_headers.extend(t.headers.iter().cloned());
        let opts = CaptureOptions {
            urls: vec![capture::Target {
                url: parsed.clone(),
                note: None,
            }],
            note: Some(note.to_string()),
            tsa: None,
            concurrency: 1,
            per_host: 1,
            fetch,
            extra_roots: ctx.opts.extra_roots.clone(),
            arguments: ctx.opts.arguments.clone(),
            browser: if browser {
                ctx.opts.browser.clone()
            } else {
                None
            },
            // Checked once when the sweep started (below, in `run`).
            log_checked: true,
        };
        let at = crate::now_rfc3339();
        let result = capture::run(ctx.case, ctx.key.duplicate(), opts, |_| {});
        *when = Some(Instant::now());
        drop(when);
        let outcome = match result {
            Ok(mut o) if !o.is_empty() => o.remove(0),
            Ok(_) => {
                ctx.fail(LiveError::Io {
                    path: ctx.case.evidence_dir(),
                    source: std::io::Error::other("the capture returned no result"),
                });
                return Fetched::Interrupted;
            }
            Err(e) => {
                ctx.fail(e.into());
                return Fetched::Interrupted;
            }
        };
        let mut attempt = Attempt {
            at,
            bundle: outcome.bundle.as_deref().map(bundle_id),
            status: outcome.status.as_str().into(),
            http_status: outcome.http_status,
            error: outcome.error.clone(),
            retry_after_secs: None,
            retry_reason: None,
        };
        let retry = retry_reason(&outcome);
        if let (Some(reason), true) = (retry, n < MAX_ATTEMPTS) {
            let asked = outcome
                .bundle
                .as_deref()
                .and_then(retry_after)
                .map(Duration::from_secs);
            let wait = asked.unwrap_or(Duration::from_secs(1 << n));
            if wait > MAX_RETRY_WAIT {
                attempt.retry_reason = Some(format!(
                    "{reason}; the server asked to wait {} s, longer than the {} s warden waits",
                    wait.as_secs(),
                    MAX_RETRY_WAIT.as_secs()
                ));
                attempts.push(attempt);
                return Fetched::Done(attempts, Some(outcome));
            }
            attempt.retry_after_secs = Some(wait.as_secs());
            attempt.retry_reason = Some(format!(
                "{reason}; tried again after {} s{}",
                wait.as_secs(),
                if asked.is_some() {
                    " (the server's Retry-After)"
                } else {
                    ""
                }
            ));
            attempts.push(attempt);
            ctx.report(LiveProgress::Retrying {
                url,
                wait,
                reason: &reason,
            });
            let until = Instant::now() + wait;
            while Instant::now() < until {
                if ctx.stopping() {
                    return Fetched::Interrupted;
                }
                std::thread::sleep((until - Instant::now()).min(Duration::from_millis(100)));
            }
            continue;
        }
        attempts.push(attempt);
        return Fetched::Done(attempts, Some(outcome));
    }
    unreachable!("the last attempt always returns")
}

/// Why an outcome is worth another attempt.
fn retry_reason(o: &CaptureOutcome) -> Option<String> {
    match (o.status, o.http_status) {
        (CaptureStatus::HttpError, Some(429)) => {
            Some("the server answered 429 Too Many Requests".into())
        }
        (CaptureStatus::HttpError, Some(s @ (500 | 502 | 503 | 504))) => {
            Some(format!("the server answered {s}"))
        }
        (CaptureStatus::Failed, _) => Some(format!(
            "no complete answer ({})",
            o.error.as_deref().unwrap_or("failed")
        )),
        _ => None,
    }
}

/// The `Retry-After` of a bundle's last response, in seconds (delay-seconds
/// or an HTTP date).
fn retry_after(bundle: &Path) -> Option<u64> {
    let bytes = crate::fsutil::read_capped(
        &bundle.join("data/capture.json"),
        crate::capture::record::MAX_RECORD_BYTES,
    )
    .ok()?;
    let record = crate::capture::record::CaptureRecord::from_json(&bytes).ok()?;
    let hop = record.hops.last()?;
    let value = hop
        .headers
        .iter()
        .find(|[k, _]| k.eq_ignore_ascii_case("retry-after"))
        .map(|[_, v]| v.trim().to_string())?;
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs);
    }
    let date = chrono::DateTime::parse_from_rfc2822(&value).ok()?;
    let secs = (date.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
    Some(secs.max(0) as u64)
}

/// Whether `url` is on the marketplace's own host (its base URL's or its
/// search URL's host name, any port).
fn on_site(t: &Target, url: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return false;
    };
    let host = u.host_str().map(str::to_ascii_lowercase);
    host.is_some()
        && (host.as_deref() == t.base_url.host_str()
            || host.as_deref() == t.search.url("x", 0).host_str())
}

/// The politeness gate of a URL's host (name or address, whatever the port).
fn host_gate(ctx: &Ctx<'_>, url: &url::Url) -> Arc<Mutex<Option<Instant>>> {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    ctx.hosts
        .lock()
        .expect("hosts lock")
        .entry(host)
        .or_default()
        .clone()
}

/// Captures a flagged listing's own page once, and journals it.
fn capture_hit(ctx: &Ctx<'_>, t: &Target, url: &str, term: &str) {
    {
        let mut st = ctx.state.lock().expect("state lock");
        if !st.hit_claimed.insert(url.to_string()) {
            return;
        }
    }
    let found_on = {
        let st = ctx.state.lock().expect("state lock");
        st.seen
            .get(url)
            .copied()
            .flatten()
            .and_then(|i| st.hits[i].sightings.first().map(|s| s.bundle.clone()))
            .unwrap_or_default()
    };
    if !on_site(t, url) {
        // The link leaves the marketplace: a results page must not make
        // warden fetch (and seal) pages of any other host.
        let entry = Entry::Hit {
            url: url.to_string(),
            attempts: Vec::new(),
            status: "not-captured".into(),
            bundle: None,
        };
        {
            let mut st = ctx.state.lock().expect("state lock");
            if let Some(Some(i)) = st.seen.get(url).copied() {
                st.hits[i].capture = Some(HitCapture {
                    bundle: None,
                    status: "not-captured: the link leads off the marketplace's host".into(),
                });
            }
        }
        if let Err(e) = journal_append(ctx, &entry) {
            ctx.fail(e);
        }
        return;
    }
    let note = format!(
        "live sweep {}: flagged listing found on results page bundle {found_on} (search {term:?} on {})",
        ctx.id, t.name
    );
    let Fetched::Done(attempts, outcome) = capture_with_retries(ctx, t, url, &note, t.javascript)
    else {
        // Not captured: a resumed sweep captures it.
        ctx.state
            .lock()
            .expect("state lock")
            .hit_claimed
            .remove(url);
        return;
    };
    let ok = outcome.as_ref().is_some_and(usable);
    let status = outcome
        .as_ref()
        .map(|o| o.status.as_str().to_string())
        .unwrap_or_else(|| "failed".into());
    let bundle = outcome
        .as_ref()
        .and_then(|o| o.bundle.as_deref())
        .map(bundle_id);
    {
        let mut st = ctx.state.lock().expect("state lock");
        if bundle.is_some() {
            st.totals.hit_captures += 1;
        }
        if let Some(Some(i)) = st.seen.get(url).copied() {
            st.hits[i].capture = Some(HitCapture {
                bundle: bundle.clone(),
                status: status.clone(),
            });
        }
    }
    let entry = Entry::Hit {
        url: url.to_string(),
        attempts,
        status,
        bundle,
    };
    if let Err(e) = journal_append(ctx, &entry) {
        ctx.fail(e);
        return;
    }
    ctx.report(LiveProgress::HitCaptured { url, ok });
}

/// With `--capture-hits`: captures the flagged listings of this target that
/// an earlier run found but did not capture.
fn capture_pending_hits(ctx: &Ctx<'_>, t: &Target) {
    if !ctx.opts.capture_hits {
        return;
    }
    let pending: Vec<(String, String)> = {
        let st = ctx.state.lock().expect("state lock");
        st.hits
            .iter()
            .filter(|h| h.scored.flagged && !st.hit_claimed.contains(&h.listing.url))
            .filter(|h| h.sightings.first().is_some_and(|s| s.target == t.name))
            .map(|h| (h.listing.url.clone(), h.sightings[0].term.clone()))
            .collect()
    };
    for (url, term) in pending {
        if ctx.stopping() {
            return;
        }
        capture_hit(ctx, t, &url, &term);
    }
}
