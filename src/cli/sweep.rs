//! `warden sweep`

use super::Globals;
use anyhow::Context;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use warden::custody;
use warden::hash::HashingWriter;
use warden::sweep::{self, Format, SweepOptions};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OutFormat {
    Jsonl,
    Csv,
}

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Species and cue lists (TOML), several allowed; `<built-in>/NAME.toml` names a built-in list. Default: the built-in lists (`warden lists path`)
    #[arg(long = "list", value_name = "FILE", num_args = 1..)]
    lists: Vec<PathBuf>,
    /// Listings: CSV, JSON Lines, HTML, WARC, bundles, cases, folders, or - for standard input
    #[arg(long = "input", value_name = "PATH", required = true, num_args = 1..)]
    inputs: Vec<PathBuf>,
    /// Text fields to search in CSV/JSON Lines (default: every text field)
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    fields: Option<Vec<String>>,
    /// Score from which a listing is flagged (0-100)
    #[arg(long, default_value_t = warden::matcher::score::DEFAULT_MIN_SCORE, value_name = "N")]
    min_score: u32,
    /// Output format
    #[arg(long, value_enum, default_value = "jsonl")]
    format: OutFormat,
    /// Write results to FILE (must not exist) instead of standard output
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print the summary as JSON (on standard error)
    #[arg(long)]
    json: bool,
}

pub fn run(a: SweepArgs, g: &Globals) -> anyhow::Result<ExitCode> {
    if a.min_score > 100 {
        anyhow::bail!("--min-score must be between 0 and 100");
    }
    // With --case, the sweep is recorded in the case's custody log: the case
    // and the officer's key are checked before any work. Run inside a case
    // folder, it is recorded there when the key is one of its officers';
    // otherwise (someone examining a copy, say) it says so and runs.
    let recording = if g.case.is_some() {
        Some(open_for_recording(g)?)
    } else if std::path::Path::new("case.toml").is_file() {
        let officer = g.officer_key(false).and_then(|key| {
            g.open_case()?.require_officer(&key)?;
            Ok(())
        });
        match officer {
            Ok(()) => Some(open_for_recording(g)?),
            Err(e) => {
                eprintln!(
                    "note: this sweep will not be recorded in the custody log of the case in this folder: {e:#}"
                );
                None
            }
        }
    } else {
        None
    };
    let opts = SweepOptions {
        lists: a.lists.clone(),
        inputs: a.inputs.clone(),
        fields: a.fields.clone(),
        min_score: a.min_score,
        format: match a.format {
            OutFormat::Jsonl => Format::Jsonl,
            OutFormat::Csv => Format::Csv,
        },
    };
    let (summary, out_sha, out_name) = match &a.out {
        Some(path) => {
            let tmp = path.with_extension(format!("partial-{}", std::process::id()));
            let file = warden::fsutil::create_new(&tmp)
                .with_context(|| format!("cannot create {}", tmp.display()))?;
            let mut w = HashingWriter::new(std::io::BufWriter::new(file));
            let result = sweep::run(&opts, &mut w);
            let summary = match result {
                Ok(s) => s,
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(e.into());
                }
            };
            let (buf, sha, _) = w.finish();
            let file = buf.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            warden::fsutil::rename_noreplace(&tmp, path).map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                anyhow::anyhow!(
                    "cannot write {}: {e} (results are never overwritten)",
                    path.display()
                )
            })?;
            (summary, sha, path.display().to_string())
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = HashingWriter::new(std::io::BufWriter::new(stdout.lock()));
            let summary = sweep::run(&opts, &mut w)?;
            let (mut buf, sha, _) = w.finish();
            buf.flush()?;
            (summary, sha, "-".to_string())
        }
    };
    for s in &summary.skipped_rows {
        eprintln!(
            "warning: {}{}: {} (skipped)",
            s.path,
            s.line.map(|l| format!(":{l}")).unwrap_or_default(),
            s.reason
        );
    }
    if let Some((case, key, officer)) = &recording {
        let output = sweep::OutputFile {
            path: out_name.clone(),
            sha256: out_sha.clone(),
        };
        let arguments = super::command_line();
        sweep::record_in_case(case, key, officer, &summary, &output, &arguments)?;
    }
    if a.json {
        let mut v = serde_json::to_value(&summary)?;
        v["output_sha256"] = out_sha.clone().into();
        eprintln!("{}", serde_json::to_string(&v)?);
    } else {
        let mut top: Vec<(&String, &u64)> = summary.per_taxon.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1));
        let top: Vec<String> = top
            .iter()
            .take(10)
            .map(|(n, c)| format!("{n} {c}"))
            .collect();
        eprintln!(
            "read {} listings ({} skipped), {} mention a listed taxon, {} flagged (score >= {}){}{}",
            summary.listings,
            summary.skipped,
            summary.matched,
            summary.flagged,
            summary.min_score,
            if top.is_empty() {
                String::new()
            } else {
                format!("; by taxon: {}", top.join(", "))
            },
            if recording.is_some() {
                "; recorded in the custody log"
            } else {
                ""
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The case, the officer's key and name, for recording the sweep; finishes
/// any step a stopped warden left half done first.
fn open_for_recording(
    g: &Globals,
) -> anyhow::Result<(warden::case::Case, warden::keys::OfficerKey, String)> {
    let key = g.officer_key(false)?;
    let case = g.open_case_for_writing(&key)?;
    let officer = case.require_officer(&key)?.name.clone();
    custody::check_appendable(&case.log())?;
    Ok((case, key, officer))
}
