//! The results of a live sweep: `sweep.json`, `hits.jsonl` and `hits.csv`
//! (each written under a temporary name, synced, then renamed, never over
//! an existing file), the `sweep` custody event that carries their hashes,
//! and `warden sweep diff`.

use super::journal::{FileUsed, Params};
use super::{FailedPage, Hit, LiveError, LiveSummary, SweepStatus, TargetSummary, Totals};
use crate::case::Case;
use crate::custody::{self, Action, EventInput};
use crate::keys::OfficerKey;
use crate::targets::Target;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub(crate) const SWEEP_FORMAT: &str = "warden-live-sweep-result/1";

/// `sweep.json`.
#[derive(Debug, Serialize)]
struct SweepJson<'a> {
    format: &'static str,
    id: &'a str,
    status: SweepStatus,
    /// When the sweep first started, and when this run began and ended.
    started_at: &'a str,
    run_started_at: &'a str,
    ended_at: String,
    /// Earlier runs of this sweep that were stopped (their results are in
    /// `stopped-N/`).
    earlier_runs: usize,
    warden_version: &'a str,
    arguments: &'a [String],
    parameters: Parameters,
    targets: Vec<TargetUsed>,
    lists: &'a [crate::sweep::ListUsed],
    terms_file: Option<&'a FileUsed>,
    terms: &'a [String],
    counts: Totals,
    per_target: &'a BTreeMap<String, TargetSummary>,
    per_taxon: &'a BTreeMap<String, u64>,
    failed_pages: &'a [FailedPage],
}

#[derive(Debug, Serialize)]
struct Parameters {
    pages: Option<u32>,
    capture_hits: bool,
    min_score: u32,
}

#[derive(Debug, Serialize)]
struct TargetUsed {
    name: String,
    path: String,
    sha256: String,
    search_url_charset: &'static str,
    max_pages: u32,
    delay_ms: u128,
    javascript: bool,
}

/// `details` of the `sweep` custody event of a live sweep.
#[derive(Debug, Serialize)]
struct LiveSweepDetails<'a> {
    kind: &'static str,
    id: &'a str,
    status: SweepStatus,
    targets: Vec<FileUsed>,
    lists: &'a [crate::sweep::ListUsed],
    outputs: &'a [FileUsed],
    pages: u64,
    pages_failed: u64,
    listings: u64,
    matched: u64,
    flagged: u64,
    hit_captures: u64,
    min_score: u32,
    warden_version: &'a str,
    arguments: &'a [String],
}

pub(super) struct Finish<'a> {
    pub(super) case: &'a Case,
    pub(super) key: &'a OfficerKey,
    pub(super) dir: &'a Path,
    pub(super) params: &'a Params,
    pub(super) targets: &'a [Target],
    pub(super) status: SweepStatus,
    pub(super) run_started: &'a str,
    pub(super) runs_before: usize,
    pub(super) totals: Totals,
    pub(super) hits: Vec<Hit>,
    pub(super) per_target: BTreeMap<String, TargetSummary>,
    pub(super) failed: Vec<FailedPage>,
    pub(super) arguments: &'a [String],
}

/// How many stopped runs a sweep folder holds (`stopped-1`, `stopped-2`…).
pub(super) fn stopped_runs(dir: &Path) -> usize {
    (1..)
        .take_while(|n| dir.join(format!("stopped-{n}")).exists())
        .count()
}

/// Writes the results of this run and records the custody event.
pub(super) fn finish(f: Finish<'_>) -> Result<LiveSummary, LiveError> {
    let mut hits = f.hits;
    hits.sort_by(|a, b| {
        b.scored
            .score
            .cmp(&a.scored.score)
            .then_with(|| a.listing.url.cmp(&b.listing.url))
    });
    let mut per_taxon: BTreeMap<String, u64> = BTreeMap::new();
    for h in &hits {
        for t in &h.scored.taxa {
            *per_taxon.entry(t.scientific_name.clone()).or_default() += 1;
        }
    }
    let out_dir = match f.status {
        SweepStatus::Finished => f.dir.to_path_buf(),
        SweepStatus::Stopped => f.dir.join(format!("stopped-{}", f.runs_before + 1)),
    };
    if f.status == SweepStatus::Stopped {
        std::fs::create_dir(&out_dir).map_err(super::io_err(&out_dir))?;
    }
    let json = SweepJson {
        format: SWEEP_FORMAT,
        id: &f.params.id,
        status: f.status,
        started_at: &f.params.started_at,
        run_started_at: f.run_started,
        ended_at: crate::now_rfc3339(),
        earlier_runs: f.runs_before,
        warden_version: crate::VERSION,
        arguments: f.arguments,
        parameters: Parameters {
            pages: f.params.pages,
            capture_hits: f.params.capture_hits,
            min_score: f.params.min_score,
        },
        targets: f
            .targets
            .iter()
            .map(|t| TargetUsed {
                name: t.name.clone(),
                path: t.path.display().to_string(),
                sha256: t.sha256.clone(),
                search_url_charset: t.search.charset(),
                max_pages: f.params.pages.unwrap_or(t.max_pages),
                delay_ms: t.delay.as_millis(),
                javascript: t.javascript,
            })
            .collect(),
        lists: &f.params.lists,
        terms_file: f.params.terms_file.as_ref(),
        terms: &f.params.terms,
        counts: f.totals,
        per_target: &f.per_target,
        per_taxon: &per_taxon,
        failed_pages: &f.failed,
    };
    let mut hits_jsonl = Vec::new();
    for h in &hits {
        serde_json::to_writer(&mut hits_jsonl, h).expect("hits serialise");
        hits_jsonl.push(b'\n');
    }
    let hits_csv = csv_bytes(&hits).map_err(|e| LiveError::Io {
        path: out_dir.join("hits.csv"),
        source: std::io::Error::other(e),
    })?;
    let sweep_json = serde_json::to_vec_pretty(&json).expect("sweep.json serialises");
    // sweep.json last: its presence marks a finished sweep.
    let files: [(&str, &[u8]); 3] = [
        (RESULT_FILES[0], &hits_jsonl),
        (RESULT_FILES[1], &hits_csv),
        (RESULT_FILES[2], &sweep_json),
    ];
    let mut outputs = Vec::new();
    for (name, bytes) in files {
        let path = out_dir.join(name);
        write_durably(&path, bytes).map_err(super::io_err(&path))?;
        outputs.push(FileUsed {
            path: path
                .strip_prefix(&f.case.root)
                .unwrap_or(&path)
                .display()
                .to_string(),
            sha256: crate::hash::sha256_hex(bytes),
        });
    }
    crate::fsutil::sync_dir(&out_dir).map_err(super::io_err(&out_dir))?;
    let officer = f.case.require_officer(f.key)?.name.clone();
    let details = LiveSweepDetails {
        kind: "live",
        id: &f.params.id,
        status: f.status,
        targets: f.params.targets.clone(),
        lists: &f.params.lists,
        outputs: &outputs,
        pages: f.totals.pages,
        pages_failed: f.totals.pages_failed,
        listings: f.totals.listings,
        matched: f.totals.matched,
        flagged: f.totals.flagged,
        hit_captures: f.totals.hit_captures,
        min_score: f.params.min_score,
        warden_version: crate::VERSION,
        arguments: f.arguments,
    };
    let seq = custody::append(
        &f.case.log(),
        f.key,
        &officer,
        &EventInput {
            action: Action::Sweep,
            bundle: None,
            manifest_sha256: None,
            details: Some(serde_json::to_value(details).expect("details serialise")),
        },
    )?;
    Ok(LiveSummary {
        id: f.params.id.clone(),
        dir: f.dir.to_path_buf(),
        status: f.status,
        totals: f.totals,
        per_target: f.per_target,
        per_taxon,
        outputs: out_dir,
        custody_seq: seq,
        failed_pages: f.failed.iter().map(|p| p.url.clone()).collect(),
    })
}

/// The result files of a finished sweep, `sweep.json` last.
const RESULT_FILES: [&str; 3] = ["hits.jsonl", "hits.csv", "sweep.json"];

/// Whether the sweep in `dir` finished and its `sweep` event was recorded
/// (the custody log holds the SHA-256 of its `sweep.json`).
pub(super) fn finished_and_recorded(case: &Case, dir: &Path) -> std::io::Result<bool> {
    let sweep_json = dir.join("sweep.json");
    if !sweep_json.exists() {
        return Ok(false);
    }
    let (sha, _) = crate::hash::sha256_file(&sweep_json)?;
    let log = crate::fsutil::read_capped(&case.log().path, 1 << 32)?;
    Ok(log.windows(sha.len()).any(|w| w == sha.as_bytes()))
}

/// Result files a run wrote in `dir` but never recorded (it was killed
/// between writing them and recording the `sweep` event), and temporary
/// files of an interrupted write: renamed `NAME.unrecorded-N`, never
/// deleted, so the next run can write its own.
pub(super) fn set_aside_unrecorded(dir: &Path) -> std::io::Result<()> {
    let mut names: Vec<String> = RESULT_FILES.iter().map(|s| s.to_string()).collect();
    for e in std::fs::read_dir(dir)? {
        let name = e?.file_name().to_string_lossy().into_owned();
        if name.contains(".partial-") {
            names.push(name);
        }
    }
    for name in names {
        let from = dir.join(&name);
        if !from.exists() {
            continue;
        }
        let to = (1..)
            .map(|n| dir.join(format!("{name}.unrecorded-{n}")))
            .find(|p| !p.exists())
            .expect("a free name");
        crate::fsutil::rename_noreplace(&from, &to)?;
    }
    crate::fsutil::sync_dir(dir)
}

/// Temporary name, synced, renamed without replacing anything.
fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("partial-{}", std::process::id()));
    crate::fsutil::write_new_synced(&tmp, bytes)?;
    crate::fsutil::rename_noreplace(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// `hits.csv`: UTF-8 with a BOM, so spreadsheets read every script right.
fn csv_bytes(hits: &[Hit]) -> Result<Vec<u8>, csv::Error> {
    let mut buf = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut buf);
        w.write_record([
            "url",
            "title",
            "price",
            "seller",
            "date",
            "score",
            "flagged",
            "taxa",
            "appendix",
            "reasons",
            "target",
            "first_term",
            "results_page_bundle",
            "sightings",
            "listing_bundle",
            "listing_capture_status",
        ])?;
        for h in hits {
            let first = h.sightings.first();
            let s = &h.scored;
            w.write_record([
                csv_safe(&h.listing.url),
                csv_safe(h.listing.title.as_deref().unwrap_or("")),
                csv_safe(h.listing.price.as_deref().unwrap_or("")),
                csv_safe(h.listing.seller.as_deref().unwrap_or("")),
                csv_safe(h.listing.date.as_deref().unwrap_or("")),
                s.score.to_string(),
                s.flagged.to_string(),
                csv_safe(
                    &s.taxa
                        .iter()
                        .map(|t| t.scientific_name.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                s.taxa
                    .iter()
                    .map(|t| t.appendix.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
                csv_safe(
                    &s.reasons
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" | "),
                ),
                first.map(|f| f.target.clone()).unwrap_or_default(),
                csv_safe(first.map(|f| f.term.as_str()).unwrap_or("")),
                first.map(|f| f.bundle.clone()).unwrap_or_default(),
                h.sightings.len().to_string(),
                h.capture
                    .as_ref()
                    .and_then(|c| c.bundle.clone())
                    .unwrap_or_default(),
                h.capture
                    .as_ref()
                    .map(|c| c.status.clone())
                    .unwrap_or_default(),
            ])?;
        }
        w.flush()?;
    }
    Ok(buf)
}

/// A cell a spreadsheet will not run as a formula: text starting with
/// `=`, `+`, `-`, `@`, TAB or CR gets a leading apostrophe.
fn csv_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// A listing as read back from `hits.jsonl` for a diff.
#[derive(Debug, Clone, Deserialize)]
struct HitBack {
    url: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    price: Option<String>,
    score: u32,
    flagged: bool,
}

/// One listing in a diff.
#[derive(Debug, Clone, Serialize)]
pub struct DiffListing {
    pub url: String,
    pub title: Option<String>,
    pub price: Option<String>,
    pub score: u32,
    pub flagged: bool,
}

/// A listing whose title, price or score changed.
#[derive(Debug, Clone, Serialize)]
pub struct DiffChange {
    pub url: String,
    pub before: DiffListing,
    pub after: DiffListing,
}

/// What changed between two sweeps.
#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    pub from: String,
    pub to: String,
    pub new: Vec<DiffListing>,
    pub gone: Vec<DiffListing>,
    pub changed: Vec<DiffChange>,
    pub unchanged: usize,
}

/// The `hits.jsonl` of a sweep: its final one, else its last stopped run's.
fn hits_file(case: &Case, id: &str) -> Result<PathBuf, LiveError> {
    let dir = case
        .root
        .join("sweeps")
        .join(super::safe_id(id).ok_or_else(|| LiveError::NoSuchSweep(id.to_string()))?);
    let done = dir.join("hits.jsonl");
    if done.is_file() {
        return Ok(done);
    }
    let n = stopped_runs(&dir);
    if n > 0 {
        return Ok(dir.join(format!("stopped-{n}")).join("hits.jsonl"));
    }
    Err(LiveError::NoSuchSweep(id.to_string()))
}

fn read_hits(path: &Path) -> Result<BTreeMap<String, DiffListing>, LiveError> {
    let bytes = crate::fsutil::read_capped(path, 4 << 30).map_err(super::io_err(path))?;
    let mut out = BTreeMap::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let h: HitBack = serde_json::from_slice(line).map_err(|e| LiveError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("line {}: {e}", i + 1),
            ),
        })?;
        out.insert(
            h.url.clone(),
            DiffListing {
                url: h.url,
                title: h.title,
                price: h.price,
                score: h.score,
                flagged: h.flagged,
            },
        );
    }
    Ok(out)
}

/// Compares the listings of sweeps `a` and `b` of a case.
pub fn diff(case: &Case, a: &str, b: &str) -> Result<DiffReport, LiveError> {
    let before = read_hits(&hits_file(case, a)?)?;
    let after = read_hits(&hits_file(case, b)?)?;
    let mut report = DiffReport {
        from: a.to_string(),
        to: b.to_string(),
        new: Vec::new(),
        gone: Vec::new(),
        changed: Vec::new(),
        unchanged: 0,
    };
    for (url, l) in &after {
        match before.get(url) {
            None => report.new.push(l.clone()),
            Some(old) if old.title != l.title || old.price != l.price || old.score != l.score => {
                report.changed.push(DiffChange {
                    url: url.clone(),
                    before: old.clone(),
                    after: l.clone(),
                })
            }
            Some(_) => report.unchanged += 1,
        }
    }
    for (url, l) in &before {
        if !after.contains_key(url) {
            report.gone.push(l.clone());
        }
    }
    Ok(report)
}

/// `details` of a live `sweep` event as read back (for the report).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct LiveRecorded {
    pub(crate) kind: String,
    pub(crate) targets: Vec<FileUsed>,
    pub(crate) lists: Vec<crate::sweep::ListUsed>,
    pub(crate) outputs: Vec<FileUsed>,
    pub(crate) listings: u64,
    pub(crate) matched: u64,
    pub(crate) flagged: u64,
    pub(crate) min_score: u32,
}

/// The hits of a live sweep's `hits.jsonl` (`path` relative to the case),
/// if it is the file the event recorded; else why not, in words.
pub(crate) fn read_hits_file(
    case_root: &Path,
    path: &str,
    sha256: &str,
) -> Result<Vec<Hit>, String> {
    let rel = Path::new(path);
    if !rel
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)))
    {
        return Err(format!(
            "the recorded result file {path:?} is not inside the case"
        ));
    }
    let bytes = crate::fsutil::read_capped(&case_root.join(rel), 256 << 20).map_err(|e| {
        format!("the result file {path} cannot be read ({e}), so its listings are not shown")
    })?;
    if crate::hash::sha256_hex(&bytes) != sha256 {
        return Err(format!(
            "{path} is not the file the sweep wrote (its SHA-256 differs), so its listings are not shown"
        ));
    }
    let mut out = Vec::new();
    for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        match serde_json::from_slice::<Hit>(line) {
            Ok(h) => out.push(h),
            Err(e) => return Err(format!("{path} cannot be read by this version ({e})")),
        }
    }
    Ok(out)
}
