//! `warden lists …`

use super::EXIT_PROBLEMS;
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use warden::species::{self, KeywordList, ListError, TermKind};

#[derive(Subcommand, Debug)]
pub enum ListsCommand {
    /// Check list files; prints every problem with file, line and column
    Check(CheckArgs),
    /// Show a list's taxa (or cues), how many terms each has and which listed taxon holds each (default: the built-in lists)
    Show(ShowArgs),
    /// Say which lists are built into warden and used when a sweep names none
    Path(PathArgs),
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
    /// A list file (TOML), or the name of a built-in list (`warden lists path`); none: the built-in lists
    file: Option<PathBuf>,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
    /// Print the list's TOML text exactly as stored (a start for a list of your own)
    #[arg(long, conflicts_with = "json")]
    toml: bool,
}

#[derive(Args, Debug)]
pub struct PathArgs {
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
            // A file of that name comes first; `<built-in>/NAME` always
            // means the built-in list.
            let chosen: Vec<(KeywordList, Option<&str>)> = match &a.file {
                None => species::BUILTIN
                    .iter()
                    .map(|b| Ok((b.load()?, Some(b.text))))
                    .collect::<Result<_, ListError>>()?,
                Some(f) => {
                    let built_in = f.to_str().and_then(species::builtin);
                    match built_in {
                        Some(b) if species::is_builtin_path(f) || !f.exists() => {
                            vec![(b.load()?, Some(b.text))]
                        }
                        _ => vec![(species::load(f)?, None)],
                    }
                }
            };
            let mut out = std::io::stdout().lock();
            for (list, text) in &chosen {
                if a.toml {
                    let text = match text {
                        Some(t) => t.to_string(),
                        None => std::fs::read_to_string(&list.path)?,
                    };
                    out.write_all(text.as_bytes())?;
                } else if a.json {
                    serde_json::to_writer_pretty(&mut out, list)?;
                    writeln!(out)?;
                } else {
                    show_text(&mut out, list)?;
                }
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        ListsCommand::Path(a) => {
            let lists = species::load_lists(&[])?;
            let mut out = std::io::stdout().lock();
            if a.json {
                let v: Vec<_> = lists
                    .iter()
                    .map(|l| {
                        serde_json::json!({
                            "path": l.path, "name": l.name, "kind": l.kind,
                            "version": l.version, "terms": l.term_count(), "sha256": l.sha256,
                        })
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut out, &v)?;
                writeln!(out)?;
            } else {
                for l in &lists {
                    writeln!(
                        out,
                        "{}\t{} list {:?} version {}, {} terms, sha256 {}",
                        l.path.display(),
                        kind_name(l.kind),
                        l.name,
                        l.version,
                        l.term_count(),
                        l.sha256
                    )?;
                }
                writeln!(
                    out,
                    "These lists are built into this warden executable (version {}), byte for byte as species-lists/ held them when it was built; no file is read. `warden sweep` uses them when no --list is given. `warden lists show NAME --toml > my-list.toml` writes one out to edit.",
                    env!("CARGO_PKG_VERSION")
                )?;
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn kind_name(k: species::ListKind) -> &'static str {
    match k {
        species::ListKind::Species => "species",
        species::ListKind::Cues => "cues",
    }
}

fn show_text(out: &mut dyn Write, l: &KeywordList) -> std::io::Result<()> {
    writeln!(
        out,
        "{} (version {}), {} taxa, {} cue groups, {} terms",
        l.name,
        l.version,
        l.taxa.len(),
        l.cues.len(),
        l.term_count()
    )?;
    for t in &l.taxa {
        let count = |k: TermKind| t.terms.iter().filter(|x| x.kind == k).count();
        let mut langs: Vec<&str> = t
            .terms
            .iter()
            .filter(|x| x.kind != TermKind::Emoji)
            .map(|x| x.lang.as_str())
            .collect();
        langs.sort();
        langs.dedup();
        // The taxon holding this one (`within`), by its scientific name.
        let within = t
            .within_of(&l.taxa)
            .map(|w| format!("  within {}", w.scientific_name))
            .unwrap_or_default();
        writeln!(
            out,
            "{:<34} {:<6} {:<18} names {:>3}  products {:>3}  code words {:>2}  languages {}{within}",
            t.scientific_name,
            t.appendix,
            t.group,
            count(TermKind::CommonName),
            count(TermKind::Product),
            count(TermKind::CodeWord),
            langs.join(",")
        )?;
    }
    for c in &l.cues {
        writeln!(
            out,
            "{:<8} {:<8} {} terms",
            format!("{:?}", c.kind).to_lowercase(),
            c.lang,
            c.terms.len()
        )?;
    }
    Ok(())
}
