//! `warden export …`

use super::{EXIT_PROBLEMS, Globals};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use warden::export::Anchors;
use warden::export::bag::{self, BagOptions};
use warden::export::case_uco::{self, CaseUcoOptions};
use warden::export::wacz::{WaczOptions, write};

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// Write a case's (or one bundle's) verified captures as a WACZ file that ReplayWeb.page and pywb replay
    #[command(
        long_about = "Verifies the case or bundle (as `warden verify` does) and, only if everything verifies, writes a WACZ 1.1.1 file: each bundle's WARC, byte for byte (archive/<capture-id>.warc.gz), an index of its responses, the list of captured pages and a datapackage.json with the SHA-256 of every file. Open it in ReplayWeb.page or pywb to browse the pages as captured. Evidence that does not verify is never exported. The format is described in docs/export.md.",
        after_help = "Exit status: 0 written, 1 the evidence does not verify (nothing is written), 2 bad input."
    )]
    Wacz(WaczArgs),
    /// Describe the case in CASE/UCO JSON-LD (officers, tool, custody actions, URLs, file hashes, exhibit numbers)
    #[command(
        name = "case-uco",
        long_about = "Verifies the case (as `warden verify` does) and, only if everything verifies, writes it as CASE/UCO JSON-LD (CASE 1.x, UCO 1.x), the ontology the CASE community's tools read and `case_validate` checks: the investigation, each officer as a person with an investigator role, warden as the tool (with the version and executable SHA-256 captures recorded), an investigative action for every custody event, a URL object for every captured URL, a file object with its SHA-256 for every bundle file, and a provenance record with the exhibit number of every capture. The mapping is described in docs/export.md.",
        after_help = "Exit status: 0 written, 1 the case does not verify (nothing is written), 2 bad input."
    )]
    CaseUco(CaseUcoArgs),
    /// Write the whole case as one zip for hand-over, which `warden verify FILE.zip` checks
    #[command(
        long_about = "Verifies the case (as `warden verify` does) and, only if everything verifies, writes the whole case folder (case.toml, custody.jsonl, evidence/, and checkpoints/ and interrupted/ when present) as one zip, under one top folder named after the case id, every file byte for byte. The recipient checks it with `warden verify FILE.zip --expect-fingerprint HEX`. Prints the zip's SHA-256, to note in the hand-over record. The layout is described in docs/export.md.",
        after_help = "Exit status: 0 written, 1 the case does not verify (nothing is written), 2 bad input."
    )]
    Bag(BagArgs),
}

#[derive(Args, Debug)]
pub struct CaseUcoArgs {
    /// The .jsonld file to write (it must not exist)
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    anchors: AnchorArgs,
}

#[derive(Args, Debug)]
pub struct BagArgs {
    /// The .zip file to write (it must not exist)
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    anchors: AnchorArgs,
}

#[derive(Args, Debug)]
pub struct AnchorArgs {
    /// Public key (base64, as in case.toml) you vouch for, as for `warden verify`; repeatable
    #[arg(long, value_name = "BASE64")]
    trust_key: Vec<String>,
    /// Fingerprint of the case you were given (64 hex digits), as for `warden verify`; repeatable
    #[arg(long, value_name = "HEX")]
    expect_fingerprint: Vec<String>,
}

impl AnchorArgs {
    fn into_anchors(self) -> Anchors {
        Anchors {
            trust_keys: self.trust_key,
            expect_fingerprints: self.expect_fingerprint,
            witness_dir: super::witness_dir(),
        }
    }
}

#[derive(Args, Debug)]
pub struct WaczArgs {
    /// A case folder or one bundle folder (default: the case)
    path: Option<PathBuf>,
    /// The .wacz file to write (it must not exist)
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Public key (base64, as in case.toml) you vouch for, as for `warden verify`; a bundle outside its case needs one; repeatable
    #[arg(long, value_name = "BASE64")]
    trust_key: Vec<String>,
    /// Fingerprint of the case you were given (64 hex digits), as for `warden verify`; repeatable
    #[arg(long, value_name = "HEX")]
    expect_fingerprint: Vec<String>,
}

pub fn run(cmd: ExportCommand, g: &Globals) -> anyhow::Result<ExitCode> {
    match cmd {
        ExportCommand::Wacz(a) => wacz(a, g),
        ExportCommand::CaseUco(a) => case_uco(a, g),
        ExportCommand::Bag(a) => bag(a, g),
    }
}

/// Exit 1 with one line for a refusal about the evidence; other errors go
/// up (exit 2).
fn refused(e: warden::export::ExportError) -> anyhow::Result<ExitCode> {
    if e.is_evidence_problem() {
        eprintln!("error: {}", super::one_line(&e.to_string()));
        Ok(ExitCode::from(EXIT_PROBLEMS))
    } else {
        Err(e.into())
    }
}

/// The case an export of `input` records itself in (opened for writing by
/// the officer holding `key`), or `None` when `input` is not a case folder.
fn recording_case(
    g: &Globals,
    input: &std::path::Path,
) -> anyhow::Result<Option<(warden::case::Case, warden::keys::OfficerKey)>> {
    if !input.join("case.toml").is_file() {
        return Ok(None);
    }
    let key = g.officer_key(false)?;
    let globals = Globals {
        case: Some(input.to_path_buf()),
        key: g.key.clone(),
    };
    let case = globals.open_case_for_writing(&key)?;
    case.require_officer(&key)?;
    Ok(Some((case, key)))
}

/// Records the export written to `file` in the case's custody log; if that
/// fails the file is removed (an export nobody recorded is not handed over).
fn record(
    rec: Option<(warden::case::Case, warden::keys::OfficerKey)>,
    format: &str,
    file: &std::path::Path,
    sha256: &str,
    bytes: u64,
) -> anyhow::Result<Option<u64>> {
    let Some((case, key)) = rec else {
        return Ok(None);
    };
    let done = case.record_export(
        &key,
        &warden::case::ExportRecord {
            format: format.into(),
            file: file.to_path_buf(),
            sha256: sha256.into(),
            bytes,
            arguments: super::command_line(),
        },
    );
    match done {
        Ok(seq) => Ok(Some(seq)),
        Err(e) => {
            let _ = std::fs::remove_file(file);
            Err(anyhow::anyhow!(
                "{e}; the export could not be recorded in the custody log, so {} was removed",
                file.display()
            ))
        }
    }
}

/// The end of the output line: the custody event that records the export.
fn recorded(seq: Option<u64>) -> String {
    match seq {
        Some(seq) => format!("; recorded in custody event {seq}"),
        None => {
            eprintln!(
                "note: the input is a bundle, not a case folder, so no custody log records this export"
            );
            String::new()
        }
    }
}

fn case_uco(a: CaseUcoArgs, g: &Globals) -> anyhow::Result<ExitCode> {
    let root = g.open_case()?.root;
    let rec = recording_case(g, &root)?;
    let opts = CaseUcoOptions {
        case: root,
        out: a.out,
        anchors: a.anchors.into_anchors(),
    };
    match case_uco::write(&opts) {
        Ok(s) => {
            let seq = record(rec, "case-uco", &s.path, &s.sha256, s.bytes)?;
            println!(
                "wrote {}: {} action(s), {} exhibit(s), {} file(s) with SHA-256, {} node(s), {} bytes, SHA-256 {}{}",
                s.path.display(),
                s.actions,
                s.exhibits,
                s.files,
                s.nodes,
                s.bytes,
                s.sha256,
                recorded(seq)
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refused(e),
    }
}

fn bag(a: BagArgs, g: &Globals) -> anyhow::Result<ExitCode> {
    let root = g.open_case()?.root;
    let rec = recording_case(g, &root)?;
    let opts = BagOptions {
        case: root,
        out: a.out,
        anchors: a.anchors.into_anchors(),
    };
    match bag::write(&opts) {
        Ok(s) => {
            let seq = record(rec, "bag", &s.path, &s.sha256, s.bytes)?;
            println!(
                "wrote {}: case folder {}/ with {} bundle(s), {} file(s), {} bytes, SHA-256 {}{}",
                s.path.display(),
                s.top,
                s.bundles,
                s.files,
                s.bytes,
                s.sha256,
                recorded(seq)
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refused(e),
    }
}

fn wacz(a: WaczArgs, g: &Globals) -> anyhow::Result<ExitCode> {
    let input = match a.path {
        Some(p) => p,
        None => g.open_case()?.root,
    };
    let rec = recording_case(g, &input)?;
    let opts = WaczOptions {
        input,
        out: a.out,
        trust_keys: a.trust_key,
        expect_fingerprints: a.expect_fingerprint,
        witness_dir: super::witness_dir(),
    };
    match write(&opts) {
        Ok(s) => {
            let seq = record(rec, "wacz", &s.path, &s.sha256, s.bytes)?;
            println!(
                "wrote {}: {} page(s) from {} bundle(s), {} bytes, SHA-256 {}{}",
                s.path.display(),
                s.pages,
                s.bundles,
                s.bytes,
                s.sha256,
                recorded(seq)
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) if e.is_evidence_problem() => {
            eprintln!("error: {}", super::one_line(&e.to_string()));
            Ok(ExitCode::from(EXIT_PROBLEMS))
        }
        Err(e) => Err(e.into()),
    }
}
