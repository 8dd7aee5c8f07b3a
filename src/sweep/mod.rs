//! `warden sweep`: run species keyword lists over listings and report each
//! listing that mentions a listed taxon, with a score, the reasons behind
//! it, and the listing's own fields.
//!
//! Listings are read as a stream in batches (at most [`BATCH`] listings or
//! [`BATCH_BYTES`] of text); each batch is matched and scored on all cores.
//! Every listing is bounded (its text at [`row::MAX_LISTING_TEXT`] bytes,
//! the term occurrences weighed at [`MAX_HITS`], the matches listed at
//! [`MAX_MATCHES_LISTED`]), and each cut is stated in its record, so memory
//! stays flat whatever the input. Results are sorted by score or kept in
//! input order ([`output`]).

mod csv_read;
mod decode;
pub(crate) mod input;
mod json_read;
pub mod live;
pub mod output;
pub(crate) mod record;
pub mod row;
mod xlsx_read;

pub use input::{InputError, ReadOptions, Skipped};
pub use output::{Format, OutputOptions, Sort};
pub use record::{OutputFile, record_in_case};
pub use row::Columns;

use crate::matcher::{Matcher, score};
use crate::species::{self, KeywordList, ListKind};
use input::{InputFile, Listing, Sink};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    List(#[from] species::ListError),
    #[error(
        "no species list given: pass at least one --list with kind = \"species\" (or no --list at all, for the built-in lists)"
    )]
    NoSpeciesList,
    #[error(transparent)]
    Matcher(#[from] crate::matcher::MatcherError),
    #[error(transparent)]
    Input(#[from] input::InputError),
    #[error("cannot write the results: {0}")]
    Output(#[source] std::io::Error),
}

/// What to sweep.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// List files; empty: the built-in lists ([`species::load_lists`]).
    pub lists: Vec<PathBuf>,
    pub inputs: Vec<PathBuf>,
    /// Columns, encoding and delimiter of the inputs.
    pub read: ReadOptions,
    pub min_score: u32,
    pub output: OutputOptions,
}

/// Most term occurrences of one listing weighed for its score; further
/// ones are counted and said to be not weighed.
pub const MAX_HITS: usize = 10_000;
/// Most matches of one listing written in its record.
pub const MAX_MATCHES_LISTED: usize = 100;

/// One output record (a line of JSONL output, read back by `warden report`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Record {
    pub(crate) id: Option<String>,
    pub(crate) url: Option<String>,
    pub(crate) source: Source,
    /// The listing's own fields (title, price, seller…), as read.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub(crate) fields: serde_json::Map<String, serde_json::Value>,
    #[serde(flatten)]
    pub(crate) scored: score::Scored,
    #[serde(flatten)]
    pub(crate) limits: Limits,
}

/// What was left out of a record to keep it bounded.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Limits {
    /// Only the first this many bytes of the listing's text were swept…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) text_cut_at: Option<u64>,
    /// …of this many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) text_bytes: Option<u64>,
    /// Matches found and weighed but not written in `matches`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) matches_not_listed: Option<u64>,
    /// Term occurrences past [`MAX_HITS`]: counted, neither weighed nor listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) hits_not_weighed: Option<u64>,
    /// Fields of the listing not shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) fields_not_listed: Option<u64>,
    /// Fields whose shown value was cut at `fields_cut_at` bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) fields_cut: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) fields_cut_at: Option<u64>,
}

impl Record {
    /// The limits in words, for a spreadsheet cell ("" when nothing was cut).
    pub(crate) fn limits_text(&self) -> String {
        let l = &self.limits;
        let mut parts = Vec::new();
        if let (Some(at), Some(of)) = (l.text_cut_at, l.text_bytes) {
            parts.push(format!("text cut at {at} of {of} bytes"));
        }
        if let Some(n) = l.hits_not_weighed {
            parts.push(format!("{n} further term occurrences not weighed"));
        }
        if let Some(n) = l.matches_not_listed {
            parts.push(format!("{n} matches not listed"));
        }
        if let Some(n) = l.fields_not_listed {
            parts.push(format!("{n} fields not listed"));
        }
        if !l.fields_cut.is_empty() {
            parts.push(format!(
                "shown cut at {} bytes: {}",
                l.fields_cut_at.unwrap_or_default(),
                l.fields_cut.join(", ")
            ));
        }
        parts.join("; ")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Source {
    pub(crate) path: String,
    pub(crate) line: Option<u64>,
    /// The sheet of a workbook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sheet: Option<String>,
}

/// A list used, for the record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ListUsed {
    pub(crate) path: String,
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) sha256: String,
}

/// What a sweep did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub listings: u64,
    pub matched: u64,
    pub flagged: u64,
    pub skipped: u64,
    pub per_taxon: BTreeMap<String, u64>,
    pub skipped_rows: Vec<Skipped>,
    pub(crate) inputs: Vec<InputFile>,
    pub(crate) lists: Vec<ListUsed>,
    pub min_score: u32,
    /// Things to know about the output (fields without a CSV column…).
    pub output_notes: Vec<String>,
}

impl Summary {
    /// One line per tabular input saying how it was read: its format,
    /// encoding and why, delimiter and why, rows read and skipped.
    pub fn input_lines(&self) -> Vec<String> {
        self.inputs
            .iter()
            .filter(|f| {
                matches!(
                    f.format.as_deref(),
                    Some("csv" | "json-lines" | "json-array" | "xlsx")
                )
            })
            .map(|f| {
                let mut parts = vec![format!(
                    "{}: {} rows read",
                    f.path,
                    f.rows.unwrap_or_default()
                )];
                if let Some(n) = f.skipped.filter(|n| *n > 0) {
                    parts.push(format!("{n} could not be read"));
                }
                if let Some(fmt) = &f.format {
                    parts.push(fmt.clone());
                }
                if let (Some(d), Some(why)) = (&f.delimiter, &f.delimiter_why) {
                    parts.push(format!("{d} between fields ({why})"));
                }
                if let (Some(e), Some(why)) = (&f.encoding, &f.encoding_why) {
                    parts.push(format!("{e} ({why})"));
                }
                parts.extend(f.notes.iter().cloned());
                parts.join("; ")
            })
            .collect()
    }
}

/// Most listings matched in one batch.
pub const BATCH: usize = 2048;
/// Most bytes of listing text in one batch (a batch of one larger listing
/// is allowed).
pub const BATCH_BYTES: usize = 16 << 20;

/// Reads listings into batches and matches each batch on worker threads
/// while the next one is read (at most two batches are held at once);
/// records are written in input order.
struct Runner<'s, 'e, 'w> {
    scope: &'s std::thread::Scope<'s, 'e>,
    matcher: &'e Matcher,
    lists: &'e [KeywordList],
    min_score: u32,
    out: output::Writer<'w>,
    batch: Vec<Listing>,
    batch_bytes: usize,
    /// The workers matching the previous batch, in input order.
    matching: Vec<std::thread::ScopedJoinHandle<'s, Vec<Option<Record>>>>,
    summary: Summary,
    error: Option<std::io::Error>,
}

/// The record of a listing that mentions a listed taxon.
fn record_of(l: &Listing, matcher: &Matcher, lists: &[KeywordList], min: u32) -> Option<Record> {
    let (hits, total) = matcher.find_for_scoring(&l.text, MAX_HITS);
    let mut scored = score::score(&l.text, &hits, matcher, lists, min);
    if scored.taxa.is_empty() {
        return None;
    }
    let mut limits = Limits::default();
    if total > hits.len() as u64 {
        let n = total - hits.len() as u64;
        limits.hits_not_weighed = Some(n);
        scored.reasons.push(score::Reason {
            points: Some(0),
            text: format!(
                "only the first {} of the {total} occurrences of listed terms in this listing were weighed",
                hits.len()
            ),
        });
    }
    if scored.matches.len() > MAX_MATCHES_LISTED {
        limits.matches_not_listed = Some((scored.matches.len() - MAX_MATCHES_LISTED) as u64);
        scored.matches.truncate(MAX_MATCHES_LISTED);
    }
    if let Some(of) = l.cut.text_bytes {
        limits.text_cut_at = Some(l.text.len() as u64);
        limits.text_bytes = Some(of);
    }
    if l.cut.fields_not_listed > 0 {
        limits.fields_not_listed = Some(l.cut.fields_not_listed);
    }
    if !l.cut.fields_cut.is_empty() {
        limits.fields_cut = l.cut.fields_cut.clone();
        limits.fields_cut_at = Some(row::MAX_FIELD_SHOWN as u64);
    }
    let mut fields = serde_json::Map::new();
    for (k, v) in &l.fields {
        let mut name = k.clone();
        let mut n = 1;
        while fields.contains_key(&name) {
            n += 1;
            name = format!("{k} ({n})");
        }
        fields.insert(name, serde_json::Value::String(v.clone()));
    }
    Some(Record {
        id: l.id.clone(),
        url: l.url.clone(),
        source: Source {
            path: l.path.clone(),
            line: l.line,
            sheet: l.sheet.clone(),
        },
        fields,
        scored,
        limits,
    })
}

impl Runner<'_, '_, '_> {
    /// Hands the batch read so far to worker threads, after writing the
    /// records of the batch before it.
    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let mut rest = std::mem::take(&mut self.batch);
        self.batch_bytes = 0;
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        let chunk = rest.len().div_ceil(threads).max(1);
        let (matcher, lists, min) = (self.matcher, self.lists, self.min_score);
        let mut workers = Vec::with_capacity(threads);
        while !rest.is_empty() {
            let tail = rest.split_off(chunk.min(rest.len()));
            let part = std::mem::replace(&mut rest, tail);
            workers.push(self.scope.spawn(move || {
                part.iter()
                    .map(|l| record_of(l, matcher, lists, min))
                    .collect::<Vec<_>>()
            }));
        }
        self.finish_matching();
        self.matching = workers;
    }

    /// Waits for the batch being matched and writes its records.
    fn finish_matching(&mut self) {
        for worker in std::mem::take(&mut self.matching) {
            let records = worker.join().expect("sweep worker panicked");
            for r in records.into_iter().flatten() {
                self.write(&r);
            }
        }
    }

    fn write(&mut self, r: &Record) {
        self.summary.matched += 1;
        if r.scored.flagged {
            self.summary.flagged += 1;
        }
        for t in &r.scored.taxa {
            *self
                .summary
                .per_taxon
                .entry(t.scientific_name.clone())
                .or_default() += 1;
        }
        if self.error.is_none()
            && let Err(e) = self.out.add(r)
        {
            self.error = Some(e);
        }
    }
}

impl Sink for Runner<'_, '_, '_> {
    fn listing(&mut self, l: Listing) {
        self.summary.listings += 1;
        self.batch_bytes += l.text.len();
        self.batch.push(l);
        if self.batch.len() >= BATCH || self.batch_bytes >= BATCH_BYTES {
            self.flush();
        }
    }
    fn skipped(&mut self, s: Skipped) {
        self.summary.skipped += 1;
        if self.summary.skipped_rows.len() < 1000 {
            self.summary.skipped_rows.push(s);
        }
    }
    fn input(&mut self, f: InputFile) {
        self.summary.inputs.push(f);
    }
}

/// Loads the lists, then sweeps every input, writing records to `out`.
/// Lists are checked before any input is read.
pub fn run(opts: &SweepOptions, out: &mut dyn Write) -> Result<Summary, SweepError> {
    let lists = species::load_lists(&opts.lists)?;
    if !lists.iter().any(|l| l.kind == ListKind::Species) {
        return Err(SweepError::NoSpeciesList);
    }
    for p in &opts.inputs {
        if p.as_os_str() != "-" && !p.exists() {
            return Err(input::InputError::NotFound(p.clone()).into());
        }
    }
    let matcher = Matcher::new(&lists)?;
    std::thread::scope(|scope| -> Result<Summary, SweepError> {
        let mut runner = Runner {
            scope,
            matcher: &matcher,
            lists: &lists,
            min_score: opts.min_score,
            out: output::Writer::new(out, opts.output.clone()),
            batch: Vec::new(),
            batch_bytes: 0,
            matching: Vec::new(),
            summary: Summary {
                min_score: opts.min_score,
                lists: lists
                    .iter()
                    .map(|l| ListUsed {
                        path: l.path.display().to_string(),
                        name: l.name.clone(),
                        version: l.version.clone(),
                        sha256: l.sha256.clone(),
                    })
                    .collect(),
                ..Summary::default()
            },
            error: None,
        };
        let read = opts
            .inputs
            .iter()
            .try_for_each(|p| input::read(p, &opts.read, &mut runner));
        if let Err(e) = read {
            // The batches handed over before the error are written, as
            // they would have been had each been matched before reading on.
            runner.finish_matching();
            return Err(e.into());
        }
        runner.flush();
        runner.finish_matching();
        if let Some(e) = runner.error {
            return Err(SweepError::Output(e));
        }
        let mut summary = runner.summary;
        summary.output_notes = runner.out.finish().map_err(SweepError::Output)?;
        Ok(summary)
    })
}
