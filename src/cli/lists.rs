//! `warden lists …`

use super::EXIT_PROBLEMS;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use warden::species::{self, KeywordList, ListError, TermKind};

#[derive(Subcommand, Debug)]
pub enum ListsCommand {
    /// Check list files; prints every problem with file, line and column
    Check(CheckArgs),
    /// Show a list's taxa (or cues) and how many terms each has
    Show(ShowArgs),
    /// Convert a CITES listings export downloaded from Species+ into a species list
    ImportSpeciesplus(ImportArgs),
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The CSV you downloaded from Species+ (comma or semicolon separated)
    csv: PathBuf,
    /// The list file to write (must not exist)
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Print the summary as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// List files (TOML)
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print one JSON report
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// A list file (TOML)
    file: PathBuf,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
}

pub fn run(cmd: ListsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ListsCommand::Check(a) => {
            let mut problems = Vec::new();
            let mut ok = Vec::new();
            for f in &a.files {
                match species::load(f) {
                    Ok(list) => ok.push(list),
                    Err(ListError::Invalid(p)) => problems.extend(p),
                    Err(e @ ListError::Read { .. }) => return Err(e.into()),
                }
            }
            if a.json {
                let v = serde_json::json!({
                    "ok": problems.is_empty(),
                    "problems": problems,
                    "lists": ok.iter().map(|l| serde_json::json!({
                        "path": l.path, "name": l.name, "kind": l.kind,
                        "version": l.version, "taxa": l.taxa.len(),
                        "cues": l.cues.len(), "terms": l.term_count(), "sha256": l.sha256,
                    })).collect::<Vec<_>>(),
                });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for p in &problems {
                    println!("{p}");
                }
                for l in &ok {
                    println!(
                        "ok {} ({} list {:?} version {}: {} taxa, {} cue groups, {} terms)",
                        l.path.display(),
                        match l.kind {
                            species::ListKind::Species => "species",
                            species::ListKind::Cues => "cues",
                        },
                        l.name,
                        l.version,
                        l.taxa.len(),
                        l.cues.len(),
                        l.term_count()
                    );
                }
            }
            Ok(if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_PROBLEMS)
            })
        }
        ListsCommand::ImportSpeciesplus(a) => {
            let summary = species::import_speciesplus(&a.csv, &a.out)?;
            // The written list must pass the same checks as any other.
            species::load(&summary.out)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                println!(
                    "wrote {} taxa to {} ({} rows read, {} not CITES-listed skipped); keep it private: Species+ data may not be redistributed",
                    summary.taxa,
                    summary.out.display(),
                    summary.rows,
                    summary.skipped_not_listed
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ListsCommand::Show(a) => {
            let list = species::load(&a.file)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                show_text(&list);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn show_text(l: &KeywordList) {
    println!(
        "{} (version {}), {} taxa, {} cue groups, {} terms",
        l.name,
        l.version,
        l.taxa.len(),
        l.cues.len(),
        l.term_count()
    );
    for t in &l.taxa {
        let count = |k: TermKind| t.terms.iter().filter(|x| x.kind == k).count();
        let mut langs: Vec<&str> = t.terms.iter().map(|x| x.lang.as_str()).collect();
        langs.sort();
        langs.dedup();
        println!(
            "{:<34} {:<6} {:<18} names {:>3}  products {:>3}  code words {:>2}  languages {}",
            t.scientific_name,
            t.appendix,
            t.group,
            count(TermKind::CommonName),
            count(TermKind::Product),
            count(TermKind::CodeWord),
            langs.join(",")
        );
    }
    for c in &l.cues {
        println!(
            "{:<8} {:<8} {} terms",
            format!("{:?}", c.kind).to_lowercase(),
            c.lang,
            c.terms.len()
        );
    }
}
