//! `warden custody …`

use super::Globals;
use clap::{Args, Subcommand};
use std::process::ExitCode;
use warden::custody::witness;

#[derive(Subcommand, Debug)]
pub enum CustodyCommand {
    /// The custody-log heads this computer recorded (see `warden custody witness show --help`)
    #[command(subcommand)]
    Witness(WitnessCommand),
}

#[derive(Subcommand, Debug)]
pub enum WitnessCommand {
    /// Show the heads this computer recorded: for each case folder it appended to, the last event and its line hash
    #[command(
        long_about = "After every append to a custody log, warden records the log's new head (sequence number and SHA-256 of the last line) outside the case, in <config dir>/warden/witness (or WARDEN_WITNESS_DIR), one record per case folder. `warden verify` on this computer then fails if a folder's log no longer holds the event recorded for it (events cut from its end, or the log rolled back), and only mentions records of copies of the case in other folders. This command prints those records: for the case (--case or the current folder) or, with --all, for every case."
    )]
    Show(WitnessShowArgs),
}

#[derive(Args, Debug)]
pub struct WitnessShowArgs {
    /// Every case this computer recorded, not only the current one
    #[arg(long)]
    all: bool,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
}

pub fn run(cmd: CustodyCommand, g: &Globals) -> anyhow::Result<ExitCode> {
    match cmd {
        CustodyCommand::Witness(WitnessCommand::Show(a)) => {
            let Some(dir) = super::witness_dir() else {
                anyhow::bail!(
                    "no configuration folder is known on this computer, so no witness is kept; set WARDEN_WITNESS_DIR"
                );
            };
            let fingerprint = if a.all {
                None
            } else {
                let case = g.open_case()?;
                Some(case.fingerprint().ok_or_else(|| {
                    anyhow::anyhow!(
                        "{}: the custody log cannot be read, so the case has no fingerprint",
                        case.custody_path().display()
                    )
                })?)
            };
            let heads = witness::list(&dir, fingerprint.as_deref())
                .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
            if a.json {
                let v = serde_json::json!({ "witness_dir": dir, "heads": heads });
                println!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!("witness folder {}", dir.display());
            if heads.is_empty() {
                println!(
                    "no head recorded{}",
                    if a.all { "" } else { " for this case" }
                );
            }
            for h in heads {
                println!(
                    "case {}  folder {}\n  event {}  line SHA-256 {}  recorded {}",
                    h.fingerprint,
                    h.folder.display(),
                    h.seq,
                    h.line_sha256,
                    h.recorded_at
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
