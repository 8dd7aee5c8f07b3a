//! `warden report`

use super::{Globals, printable};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use warden::report::{FontSource, ReportOptions};

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Pdf,
    Html,
}

#[derive(Args, Debug)]
#[command(
    long_about = "Writes the chain-of-custody report of the case to a new folder: report.pdf and report.html (the same content: cover with the case fingerprint, officers' keys and the verification result computed now; summary; exhibit inventory with full manifest SHA-256; one section per exhibit; sweep results; custody timeline; method and limits; the commands anyone can run to check the evidence; a certification page; the species lists used), and exhibits.csv. Producing the report is recorded in the custody log with the SHA-256 of each file. The PDF is typeset by warden with the fonts on this computer; if no font can show a script in the report, it says so and makes nothing."
)]
pub struct ReportArgs {
    /// The folder to write (created; an existing one must be empty). Default: report-<case id>-<UTC time> in the current folder
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Which documents to make besides exhibits.csv
    #[arg(long, value_enum, value_delimiter = ',', default_value = "pdf,html")]
    format: Vec<ReportFormat>,
    /// Only these exhibits (numbers such as 3, labels such as CASE-1/0003, or bundle ids); default: all
    #[arg(long, num_args = 1.., value_name = "EXHIBIT")]
    exhibits: Vec<String>,
    /// A folder of fonts for the PDF, searched before the system's; repeatable
    #[arg(long, value_name = "DIR")]
    font_dir: Vec<PathBuf>,
    /// Use only the fonts of --font-dir, not those installed on this computer
    #[arg(long)]
    no_system_fonts: bool,
}

pub fn run(a: ReportArgs, g: &Globals) -> anyhow::Result<ExitCode> {
    let key = g.officer_key(false)?;
    let case = g.open_case_for_writing(&key)?;
    let out = a.out.unwrap_or_else(|| {
        let id: String = case
            .config
            .case
            .id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        PathBuf::from(format!(
            "report-{id}-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        ))
    });
    let done = warden::report::write(
        &case,
        &key,
        &ReportOptions {
            out_dir: out,
            html: a.format.contains(&ReportFormat::Html),
            pdf: a.format.contains(&ReportFormat::Pdf),
            exhibits: a.exhibits,
            fonts: FontSource {
                dirs: a.font_dir,
                system: !a.no_system_fonts,
            },
            witness_dir: super::witness_dir(),
            arguments: super::command_line(),
        },
    )?;
    for f in &done.files {
        println!(
            "wrote {}  SHA-256 {}  ({} bytes)",
            printable(&done.out_dir.join(&f.name).display().to_string()),
            f.sha256,
            f.bytes
        );
    }
    println!(
        "{} exhibit(s); verification: {}; recorded in custody event {}",
        done.exhibits, done.verdict, done.seq
    );
    if done.verdict == "failed" {
        eprintln!(
            "warning: verification found problems; the report states them. Run `warden verify` on the case for details"
        );
        return Ok(ExitCode::from(super::EXIT_PROBLEMS));
    }
    Ok(ExitCode::SUCCESS)
}
