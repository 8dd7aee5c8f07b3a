//! `warden verify`

use super::{EXIT_PROBLEMS, Globals};
use clap::Args;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use warden::verify::{VerifyOptions, verify};

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Bundles, case folders, or .zip files of either (default: the case)
    paths: Vec<PathBuf>,
    /// CA certificate(s) (PEM or DER) the time-stamp authority's certificate must chain to, to check token signatures
    #[arg(long, value_name = "FILE")]
    tsa_ca: Option<PathBuf>,
    /// Public key (base64, as in case.toml) you vouch for, for bundles checked outside their case; repeatable
    #[arg(long, value_name = "BASE64")]
    trust_key: Vec<String>,
    /// Print one JSON report
    #[arg(long)]
    json: bool,
}

pub fn run(a: VerifyArgs, g: &Globals) -> anyhow::Result<ExitCode> {
    let paths = if a.paths.is_empty() {
        vec![g.open_case()?.root]
    } else {
        a.paths
    };
    let report = verify(&VerifyOptions {
        paths,
        tsa_ca: a.tsa_ca,
        trust_keys: a.trust_key,
        progress: !a.json && std::io::stderr().is_terminal(),
    })?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for p in &report.problems {
            println!("{}: {}", p.path, p.message.replace(['\r', '\n'], " "));
        }
        for n in &report.notes {
            eprintln!("note: {n}");
        }
        if report.ok {
            for v in &report.verified {
                println!("OK {v}");
            }
            eprintln!(
                "all evidence verified: {} bundle(s), {} custody event(s)",
                report.bundles, report.custody_events
            );
        } else {
            eprintln!(
                "verification FAILED: {} problem(s) in {} bundle(s) and {} custody event(s); the lines above name each file",
                report.problems.len(),
                report.bundles,
                report.custody_events
            );
        }
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PROBLEMS)
    })
}
