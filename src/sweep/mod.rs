//! `warden sweep`: run species keyword lists over listings and report each
//! listing that mentions a listed taxon, with a score and reasons.
//!
//! Listings are read as a stream in batches; each batch is matched and scored
//! on all cores, then written in input order, so memory stays flat whatever
//! the input size.

pub(crate) mod input;
pub mod live;
pub(crate) mod record;

pub use input::{InputError, Skipped};
pub use record::{OutputFile, record_in_case};

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

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
}

/// What to sweep.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// List files; empty: the built-in lists ([`species::load_lists`]).
    pub lists: Vec<PathBuf>,
    pub inputs: Vec<PathBuf>,
    pub fields: Option<Vec<String>>,
    pub min_score: u32,
    pub format: Format,
}

/// One output record (a line of JSONL output, read back by `warden report`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Record {
    pub(crate) id: Option<String>,
    pub(crate) url: Option<String>,
    pub(crate) source: Source,
    #[serde(flatten)]
    pub(crate) scored: score::Scored,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Source {
    pub(crate) path: String,
    pub(crate) line: Option<u64>,
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
}

const BATCH: usize = 2048;

struct Runner<'a> {
    matcher: &'a Matcher,
    lists: &'a [KeywordList],
    opts: &'a SweepOptions,
    out: &'a mut dyn Write,
    batch: Vec<Listing>,
    summary: Summary,
    error: Option<std::io::Error>,
    header_written: bool,
}

impl Runner<'_> {
    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        let chunk = batch.len().div_ceil(threads).max(1);
        let (matcher, lists, min) = (self.matcher, self.lists, self.opts.min_score);
        let results: Vec<Option<Record>> = std::thread::scope(|s| {
            let handles: Vec<_> = batch
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|l| {
                                let hits = matcher.find(&l.text);
                                let scored = score::score(&l.text, &hits, matcher, lists, min);
                                (!scored.taxa.is_empty()).then(|| Record {
                                    id: l.id.clone(),
                                    url: l.url.clone(),
                                    source: Source {
                                        path: l.path.clone(),
                                        line: l.line,
                                    },
                                    scored,
                                })
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("sweep worker panicked"))
                .collect()
        });
        for r in results.into_iter().flatten() {
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
                && let Err(e) =
                    write_record(self.out, &r, self.opts.format, &mut self.header_written)
            {
                self.error = Some(e);
            }
        }
    }
}

impl Sink for Runner<'_> {
    fn listing(&mut self, l: Listing) {
        self.summary.listings += 1;
        self.batch.push(l);
        if self.batch.len() >= BATCH {
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

fn write_record(
    out: &mut dyn Write,
    r: &Record,
    format: Format,
    header: &mut bool,
) -> std::io::Result<()> {
    match format {
        Format::Jsonl => {
            serde_json::to_writer(&mut *out, r)?;
            out.write_all(b"\n")
        }
        Format::Csv => {
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(&mut *out);
            if !*header {
                w.write_record([
                    "id", "url", "path", "line", "score", "flagged", "taxa", "appendix", "matches",
                    "reasons",
                ])?;
                *header = true;
            }
            let taxa: Vec<String> = r
                .scored
                .taxa
                .iter()
                .map(|t| t.scientific_name.clone())
                .collect();
            let apps: Vec<String> = r.scored.taxa.iter().map(|t| t.appendix.clone()).collect();
            let matches: Vec<String> = r
                .scored
                .matches
                .iter()
                .map(|m| format!("{} [{}] @{}-{}", m.term, m.kind, m.start, m.end))
                .collect();
            w.write_record([
                r.id.clone().unwrap_or_default(),
                r.url.clone().unwrap_or_default(),
                r.source.path.clone(),
                r.source.line.map(|l| l.to_string()).unwrap_or_default(),
                r.scored.score.to_string(),
                r.scored.flagged.to_string(),
                taxa.join("; "),
                apps.join("; "),
                matches.join("; "),
                r.scored
                    .reasons
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" | "),
            ])?;
            w.flush()
        }
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
    let mut runner = Runner {
        matcher: &matcher,
        lists: &lists,
        opts,
        out,
        batch: Vec::new(),
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
        header_written: false,
    };
    for p in &opts.inputs {
        input::read(p, opts.fields.as_deref(), &mut runner)?;
    }
    runner.flush();
    if let Some(e) = runner.error {
        return Err(SweepError::Output(e));
    }
    runner.out.flush().map_err(SweepError::Output)?;
    Ok(runner.summary)
}
