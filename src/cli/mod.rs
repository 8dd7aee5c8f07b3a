//! Command-line front end: clap arguments become plain option structs that
//! are handed to the library. Exit codes: 0 success, 1 a capture failed or
//! verification found problems, 2 bad input or usage, 141 standard output
//! was closed by its reader (a pipe into `head`).

pub mod allocator;
mod capture;
mod case;
mod command_line;
mod completions;
mod custody;
mod export;
mod key;
mod lists;
mod report;
mod signals;
mod sweep;
mod targets;
mod verify;

use clap::{Parser, Subcommand};
pub use command_line::command_line;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code for problems with the evidence (failed capture, failed verify).
pub const EXIT_PROBLEMS: u8 = 1;
/// Exit code for bad input or usage.
pub const EXIT_BAD_INPUT: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "warden",
    version,
    about = "Capture web pages as signed, verifiable evidence for wildlife-crime cases",
    long_about = "warden captures web pages (online listings of ivory, rhino horn, pangolin scales, live animals…) as evidence bundles: the raw HTTP exchange (WARC), the page, its text, and its metadata, hashed, signed and recorded in the case's custody log. `warden verify` re-checks everything.",
    after_help = "Start with: warden case init CASE-DIR --case-id ID --title TEXT --agency TEXT --officer NAME"
)]
pub struct Cli {
    /// The case folder (default: the current folder)
    #[arg(long, global = true, env = "WARDEN_CASE", value_name = "DIR")]
    case: Option<PathBuf>,

    /// Your signing key (created on first use; default: <config dir>/warden/officer-key.pem)
    #[arg(long, global = true, env = "WARDEN_KEY", value_name = "FILE")]
    key: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create a case folder or manage its officers
    #[command(subcommand)]
    Case(case::CaseCommand),
    /// Fetch pages and seal each one as an evidence bundle
    Capture(capture::CaptureArgs),
    /// Re-check bundles, cases, or .zip files of either
    Verify(verify::VerifyArgs),
    /// The custody record: timeline, notes, transfers, access, withdrawals, checkpoints
    #[command(subcommand)]
    Custody(custody::CustodyCommand),
    /// Show your signing key (creating it on first use)
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Check and show species keyword lists and trade-cue lists
    #[command(subcommand)]
    Lists(lists::ListsCommand),
    /// Search listings for CITES species with keyword lists, and score each hit
    Sweep(sweep::SweepArgs),
    /// Check marketplace profiles for live sweeps, or try one on its site
    #[command(subcommand)]
    Targets(targets::TargetsCommand),
    /// Write the chain-of-custody report (PDF, HTML and an exhibit list) for the case
    Report(report::ReportArgs),
    /// Write verified evidence for other tools or for hand-over (WACZ, CASE/UCO JSON-LD, one zip of the case)
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// Print a shell completion script
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff)
    Man,
}

/// Global settings every subcommand may need.
pub struct Globals {
    pub case: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

impl Globals {
    /// Loads the signing key; with `create`, makes a new one if there is
    /// none (telling the officer). Only `case init` and `key show` create
    /// keys, so a mistyped --key path never silently becomes a new identity.
    pub fn officer_key(&self, create: bool) -> anyhow::Result<warden::keys::OfficerKey> {
        let path = match &self.key {
            Some(p) => p.clone(),
            None => warden::keys::default_key_path()?,
        };
        let key = if create {
            warden::keys::OfficerKey::load_or_create(&path)?
        } else {
            warden::keys::OfficerKey::load(&path)?
        };
        if key.created {
            eprintln!(
                "note: created your new signing key at {} (only you can read it; back it up, and never share it)",
                path.display()
            );
        }
        Ok(key)
    }

    /// Opens the case (with this computer's witness folder).
    pub fn open_case(&self) -> anyhow::Result<warden::case::Case> {
        let mut case = warden::case::Case::locate(self.case.as_deref())?;
        case.witness_dir = witness_dir();
        Ok(case)
    }

    /// Opens the case for a command that records events in it as the
    /// officer holding `key`: first finishes or drops any step a stopped
    /// warden process left half done, and tells the officer what it did;
    /// then checks the log can take new events.
    pub fn open_case_for_writing(
        &self,
        key: &warden::keys::OfficerKey,
    ) -> anyhow::Result<warden::case::Case> {
        let mut case = self.open_case()?;
        for done in case.recover(key)? {
            eprintln!("note: {done}");
        }
        Ok(case)
    }
}

/// Where this computer keeps custody-log witness records:
/// `WARDEN_WITNESS_DIR`, else `<config dir>/warden/witness`.
pub fn witness_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("WARDEN_WITNESS_DIR") {
        return Some(PathBuf::from(d));
    }
    dirs::config_dir().map(|d| d.join("warden").join("witness"))
}

/// Exit status when standard output or error was closed by the reader (a
/// pipe into `head`, say): 128 + SIGPIPE, what a shell shows for programs
/// that the signal ended, such as `cat`.
pub const EXIT_BROKEN_PIPE: u8 = 141;

/// Whether `e` or one of its causes is a write to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(BrokenPipe))
            || c.downcast_ref::<csv::Error>()
                .is_some_and(|c| match c.kind() {
                    csv::ErrorKind::Io(io) => io.kind() == BrokenPipe,
                    _ => false,
                })
    })
}

/// `println!` and `eprintln!` panic when their stream's reader is gone. The
/// reader left on purpose (`warden lists show | head`), so that ends warden
/// quietly with [`EXIT_BROKEN_PIPE`] instead of printing a panic; every other
/// panic is reported as before.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.starts_with("failed printing to std") && msg.contains("Broken pipe") {
            std::process::exit(EXIT_BROKEN_PIPE.into());
        }
        default(info);
    }));
}

pub fn main() -> ExitCode {
    quiet_on_broken_pipe();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_BAD_INPUT } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let globals = Globals {
        case: cli.case,
        key: cli.key,
    };
    let result = match cli.command {
        Command::Case(c) => case::run(c, &globals),
        Command::Capture(a) => capture::run(a, &globals),
        Command::Verify(a) => verify::run(a, &globals),
        Command::Custody(c) => custody::run(c, &globals),
        Command::Key(k) => key::run(k, &globals),
        Command::Lists(l) => lists::run(l),
        Command::Targets(t) => targets::run(t),
        Command::Sweep(a) => sweep::run(a, &globals),
        Command::Report(a) => report::run(a, &globals),
        Command::Export(c) => export::run(c, &globals),
        Command::Completions(a) => completions::run_completions(a),
        Command::Man => completions::run_man(),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::from(EXIT_BROKEN_PIPE),
        Err(e) => {
            eprintln!("error: {}", one_line(&describe(&e)));
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// The error and its causes, skipping causes its message already includes.
fn describe(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let c = cause.to_string();
        if !text.contains(&c) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&c);
        }
    }
    text
}

/// `s` safe to print on a terminal: control characters and the Unicode
/// controls that reorder text are shown as escapes, so a captured title or
/// URL cannot move the cursor, recolour the screen or disguise itself.
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// The clap command, for completions and the man page.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}
