//! `warden case …`

use super::{Globals, printable};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use warden::case::{Case, InitOptions};

#[derive(Subcommand, Debug)]
pub enum CaseCommand {
    /// Create a new case folder (case.toml, evidence/, custody.jsonl)
    Init(InitArgs),
    /// Register another officer's public key in the case (you must already be an officer)
    AddOfficer(AddOfficerArgs),
    /// Show the case, its fingerprint, its officers and its exhibits (number, captured at, status, URL, notes)
    Show(ShowArgs),
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Folder to create (must not exist, or be empty)
    dir: PathBuf,
    /// Case reference, e.g. CASE-2026-001
    #[arg(long)]
    case_id: String,
    /// Short title of the investigation
    #[arg(long)]
    title: String,
    /// Your agency or unit
    #[arg(long)]
    agency: String,
    /// Your name as it should appear in the record
    #[arg(long)]
    officer: String,
}

#[derive(Args, Debug)]
pub struct AddOfficerArgs {
    /// The new officer's name as it should appear in the record
    #[arg(long)]
    officer: String,
    /// The new officer's public key, as printed by `warden key show` on their computer
    #[arg(long, value_name = "BASE64")]
    public_key: String,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
}

pub fn run(cmd: CaseCommand, g: &Globals) -> anyhow::Result<ExitCode> {
    match cmd {
        CaseCommand::Init(a) => {
            let key = g.officer_key(true)?;
            let case = Case::init(
                &InitOptions {
                    dir: a.dir,
                    case_id: a.case_id,
                    title: a.title,
                    agency: a.agency,
                    officer: a.officer,
                    witness_dir: super::witness_dir(),
                },
                &key,
            )?;
            println!(
                "created case {} in {} (officer {}, key {})",
                case.config.case.id,
                case.root.display(),
                case.config.officers[0].name,
                key.path.display()
            );
            if let Some(fp) = case.fingerprint() {
                println!(
                    "case fingerprint {fp} (note it down: it identifies this case for verification)"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::AddOfficer(a) => {
            let key = g.officer_key(false)?;
            let mut case = g.open_case_for_writing(&key)?;
            case.add_officer(&a.officer, a.public_key.trim(), &key)?;
            println!(
                "registered officer {} (key {}) in case {}",
                a.officer,
                a.public_key.trim(),
                case.config.case.id
            );
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::Show(a) => show(a, g),
    }
}

fn show(a: ShowArgs, g: &Globals) -> anyhow::Result<ExitCode> {
    let case = g.open_case()?;
    let record = case.custody_record()?;
    let mut folders: Vec<String> = std::fs::read_dir(case.evidence_dir())
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    folders.sort();
    // Folders in evidence/ that no capture event records (verify says why).
    let unrecorded: Vec<&String> = folders
        .iter()
        .filter(|f| !record.exhibits.iter().any(|x| x.bundle == **f))
        .collect();
    let fingerprint = case.fingerprint();
    if a.json {
        let v = serde_json::json!({
            "root": case.root,
            "fingerprint": fingerprint,
            "case": case.config.case,
            "officers": case.config.officers,
            "custodian": record.custodian,
            "exhibits": record.exhibits,
            "bundles": folders,
            "unrecorded": unrecorded,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    let c = &case.config.case;
    println!(
        "case      {}\ntitle     {}\nagency    {}\ncreated   {}\nfingerprint {}",
        printable(&c.id),
        printable(&c.title),
        printable(&c.agency),
        printable(&c.created),
        fingerprint
            .as_deref()
            .unwrap_or("none (the custody log cannot be read)")
    );
    for o in &case.config.officers {
        println!(
            "officer   {} (key {}, added {})",
            printable(&o.name),
            o.public_key,
            printable(&o.added)
        );
    }
    println!("held by   {}", printable(&record.custodian));
    let withdrawn = record
        .exhibits
        .iter()
        .filter(|x| x.withdrawn.is_some())
        .count();
    println!(
        "exhibits  {} ({} withdrawn)",
        record.exhibits.len(),
        withdrawn
    );
    for x in &record.exhibits {
        let status = match &x.withdrawn {
            Some(w) => format!("WITHDRAWN (event {}: {})", w.seq, printable(&w.reason)),
            None => match x.http_status {
                Some(h) => format!("{} (HTTP {h})", printable(&x.status)),
                None => printable(&x.status),
            },
        };
        println!(
            "  {}  {}  {}  {}",
            printable(&x.number),
            printable(&x.captured_at),
            status,
            printable(&x.url)
        );
        println!("      bundle {}", x.bundle);
        for n in &x.notes {
            println!("      note: {}", printable(n));
        }
    }
    if !unrecorded.is_empty() {
        println!(
            "not exhibits: {} folder(s) in evidence/ that no capture event records (run `warden verify`)",
            unrecorded.len()
        );
        for f in unrecorded {
            println!("  {}", printable(f));
        }
    }
    if let Some(fp) = &fingerprint {
        eprintln!(
            "note: give the fingerprint to whoever checks this case: warden verify CASE --expect-fingerprint {fp}"
        );
    }
    Ok(ExitCode::SUCCESS)
}
