//! `warden custody …`

use super::{Globals, printable};
use clap::{Args, Subcommand};
use std::process::ExitCode;
use warden::case::Act;
use warden::custody::witness;

#[derive(Subcommand, Debug)]
pub enum CustodyCommand {
    /// Print the custody timeline: every event with its time, officer, action, exhibit and what it records
    Show(ShowArgs),
    /// Record a note on the case, or on one exhibit
    Note(NoteArgs),
    /// Record that the case or an exhibit was viewed or examined, and why
    Access(AccessArgs),
    /// Mark a mistaken capture withdrawn (its bundle is kept, never deleted)
    Withdraw(WithdrawArgs),
    /// Hand the case to another registered officer, who must then run `warden custody accept`
    Transfer(TransferArgs),
    /// Acknowledge, under your own key, the transfer of the case to you
    Accept(AcceptArgs),
    /// Write a signed checkpoint of the custody log (its size and Merkle tree hash) to checkpoints/
    #[command(
        long_about = "Writes checkpoints/NNNNNNNN.checkpoint: the number of lines in custody.jsonl and the RFC 6962 Merkle tree hash over them, in the C2SP tlog-checkpoint text form, signed with your key as a C2SP signed note, and records it with a checkpoint event. Give a copy to someone outside the case (a prosecutor, a supervisor): `warden verify CASE --checkpoint FILE` then shows on any computer whether the log still begins with the events the checkpoint covers; truncating, editing or reordering them is caught."
    )]
    Checkpoint(CheckpointArgs),
    /// The custody-log heads this computer recorded (see `warden custody witness show --help`)
    #[command(subcommand)]
    Witness(WitnessCommand),
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Print JSON instead of text (the timeline and the exhibits)
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub struct NoteArgs {
    /// The exhibit the note is about: its number (7), label (CASE-1/0007) or bundle id
    #[arg(long, value_name = "EXHIBIT")]
    exhibit: Option<String>,
    /// The note
    text: String,
}

#[derive(Args, Debug)]
pub struct AccessArgs {
    /// Why the case or exhibit was viewed or examined
    #[arg(long)]
    reason: String,
    /// The exhibit accessed (default: the whole case)
    #[arg(long, value_name = "EXHIBIT")]
    exhibit: Option<String>,
}

#[derive(Args, Debug)]
pub struct WithdrawArgs {
    /// The exhibit: its number (7), label (CASE-1/0007) or bundle id
    exhibit: String,
    /// Why the capture is withdrawn
    #[arg(long)]
    reason: String,
}

#[derive(Args, Debug)]
pub struct TransferArgs {
    /// The receiving officer, as registered in the case (`warden case show` lists them)
    #[arg(long, value_name = "NAME")]
    to: String,
    /// Why the case is handed over
    #[arg(long)]
    reason: String,
    /// Where the hand-over takes place, or where the evidence goes
    #[arg(long)]
    location: Option<String>,
}

#[derive(Args, Debug)]
pub struct AcceptArgs {
    /// A remark recorded with the acceptance
    #[arg(long)]
    note: Option<String>,
}

#[derive(Args, Debug)]
pub struct CheckpointArgs {
    /// Also time-stamp the checkpoint with this RFC 3161 time-stamp authority (the token is saved beside it as NNNNNNNN.tsr)
    #[arg(long, value_name = "URL")]
    tsa: Option<String>,
    /// Reach the time-stamp authority through this HTTP proxy
    #[arg(long, value_name = "URL")]
    proxy: Option<String>,
    /// Longest wait for the time-stamp authority, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    timeout: u64,
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
    let act = match cmd {
        CustodyCommand::Show(a) => return show(a, g),
        CustodyCommand::Checkpoint(a) => return checkpoint(a, g),
        CustodyCommand::Note(a) => Act::Note {
            text: a.text,
            exhibit: a.exhibit,
        },
        CustodyCommand::Access(a) => Act::Access {
            reason: a.reason,
            exhibit: a.exhibit,
        },
        CustodyCommand::Withdraw(a) => Act::Withdraw {
            exhibit: a.exhibit,
            reason: a.reason,
        },
        CustodyCommand::Transfer(a) => Act::Transfer {
            to: a.to,
            reason: a.reason,
            location: a.location,
        },
        CustodyCommand::Accept(a) => Act::Accept { note: a.note },
        CustodyCommand::Witness(w) => return witness_cmd(w, g),
    };
    let key = g.officer_key(false)?;
    let case = g.open_case_for_writing(&key)?;
    let done = case.record(&key, &act)?;
    let what = match (&act, &done.exhibit) {
        (Act::Note { .. }, Some(e)) => format!("a note on exhibit {e}"),
        (Act::Note { .. }, None) => "a note on the case".into(),
        (Act::Access { .. }, Some(e)) => format!("access to exhibit {e}"),
        (Act::Access { .. }, None) => "access to the case".into(),
        (Act::Withdraw { .. }, e) => format!(
            "the withdrawal of exhibit {} (its bundle stays in the case)",
            e.as_deref().unwrap_or("?")
        ),
        (Act::Transfer { to, .. }, _) => format!(
            "the transfer of the case to {}; it is complete when {} runs `warden custody accept`",
            printable(to),
            printable(to)
        ),
        (Act::Accept { .. }, _) => format!(
            "that you accepted the case from {}",
            printable(done.from.as_deref().unwrap_or("?"))
        ),
    };
    println!("recorded {what} (custody event {})", done.seq);
    Ok(ExitCode::SUCCESS)
}

fn checkpoint(a: CheckpointArgs, g: &Globals) -> anyhow::Result<ExitCode> {
    let parse = |flag: &str, s: &str| -> anyhow::Result<url::Url> {
        let u = url::Url::parse(s.trim()).map_err(|e| {
            anyhow::anyhow!(
                "{flag} {s:?} is not a URL ({e}); give it as http://host/path or https://host/path"
            )
        })?;
        if !matches!(u.scheme(), "http" | "https") {
            anyhow::bail!("{flag} {s:?} must be an http:// or https:// URL");
        }
        Ok(u)
    };
    let tsa = a.tsa.as_deref().map(|s| parse("--tsa", s)).transpose()?;
    let proxy = a
        .proxy
        .as_deref()
        .map(|s| parse("--proxy", s))
        .transpose()?;
    let timeout = std::time::Duration::from_secs(a.timeout.max(1));
    let cfg = warden::capture::FetchConfig {
        user_agent: format!("warden/{}", env!("CARGO_PKG_VERSION")),
        proxy,
        timeout,
        max_time: timeout,
        max_bytes: 1 << 20,
        accept_invalid_certs: false,
        max_redirects: 0,
        allow_private: true,
        min_rate: 0,
        min_rate_time: timeout,
        roots: None,
        cookies: None,
        extra_headers: Vec::new(),
    };
    let stamper = |bytes: &[u8]| -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        let tsa = tsa.as_ref().expect("only called with --tsa");
        warden::capture::stamp(tsa, bytes, &cfg).map_err(|e| e.into())
    };
    let key = g.officer_key(false)?;
    let case = g.open_case_for_writing(&key)?;
    let stamp: Option<&warden::case::Stamper<'_>> =
        if tsa.is_some() { Some(&stamper) } else { None };
    let c = case.checkpoint(&key, stamp)?;
    if let Some(t) = &c.timestamp {
        println!("time-stamp token {}", t.display());
    }
    println!(
        "wrote {} (the first {} custody events, Merkle tree hash {}; file SHA-256 {}), recorded in custody event {}",
        c.path.display(),
        c.size,
        c.root_sha256,
        c.file_sha256,
        c.seq
    );
    eprintln!(
        "note: give a copy of the checkpoint to someone outside the case; `warden verify CASE --checkpoint FILE` checks the log against it"
    );
    Ok(ExitCode::SUCCESS)
}

fn show(a: ShowArgs, g: &Globals) -> anyhow::Result<ExitCode> {
    let case = g.open_case()?;
    let record = case.custody_record()?;
    if a.json {
        let v = serde_json::json!({
            "case_id": case.config.case.id,
            "fingerprint": case.fingerprint(),
            "custodian": record.custodian,
            "pending_transfer": record.pending_transfer.as_ref().map(|(seq, to)| serde_json::json!({"event": seq, "to": to})),
            "events": record.entries,
            "exhibits": record.exhibits,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "case {}: custody timeline ({} events, times in UTC)",
        printable(&case.config.case.id),
        record.entries.len()
    );
    println!("held by {}", printable(&record.custodian));
    if let Some((seq, to)) = &record.pending_transfer {
        println!(
            "transfer to {} (event {seq}) not accepted yet",
            printable(to)
        );
    }
    let officer_w = record
        .entries
        .iter()
        .map(|e| e.officer.chars().count())
        .max()
        .unwrap_or(7)
        .clamp(7, 24);
    println!(
        "{:>5}  {:<24}  {:<officer_w$}  {:<19}  {:<14}  WHAT",
        "SEQ", "TIME", "OFFICER", "ACTION", "EXHIBIT"
    );
    for e in &record.entries {
        let mark = if e.valid {
            ""
        } else {
            "  [DOES NOT HOLD: run warden verify]"
        };
        println!(
            "{:>5}  {:<24}  {:<officer_w$}  {:<19}  {:<14}  {}{mark}",
            e.seq,
            printable(&e.time),
            printable(&e.officer),
            e.action,
            printable(e.exhibit.as_deref().unwrap_or("-")),
            printable(&e.summary)
        );
    }
    if record.invalid_events > 0 {
        eprintln!(
            "warning: {} event(s) do not hold and are shown but not counted; run `warden verify` on the case",
            record.invalid_events
        );
        return Ok(ExitCode::from(super::EXIT_PROBLEMS));
    }
    Ok(ExitCode::SUCCESS)
}

fn witness_cmd(cmd: WitnessCommand, g: &Globals) -> anyhow::Result<ExitCode> {
    match cmd {
        WitnessCommand::Show(a) => {
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
