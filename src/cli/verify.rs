//! `warden verify`

use super::{EXIT_PROBLEMS, Globals};
use clap::Args;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use warden::verify::{Anchoring, Report, Verdict, VerifyOptions, verify};

#[derive(Args, Debug)]
#[command(
    after_help = "A case or zip declares its own officers' keys. To check it is the case you were given, pass the fingerprint the case officer gave you (`warden case show` prints it) with --expect-fingerprint, or the officers' keys with --trust-key. When verify checks one case folder and your key is one of its officers', it records the result in the case's custody log as a verify event (after checking, and only if the log did not change meanwhile); --no-record prevents that. A failure with --expect-fingerprint, --trust-key or --checkpoint is recorded only with --record, since it may come from what you typed. Exit status: 0 all evidence verified, 1 a problem was found or there was nothing to verify, 2 bad input."
)]
pub struct VerifyArgs {
    /// Bundles, case folders, or .zip files of either (default: the case)
    paths: Vec<PathBuf>,
    /// CA certificate(s) (PEM or DER) the time-stamp authority's certificate must chain to, to check token signatures
    #[arg(long, value_name = "FILE")]
    tsa_ca: Option<PathBuf>,
    /// Public key (base64, as in case.toml) you vouch for; when given, every signature in the cases and bundles checked must be by one of these keys; repeatable
    #[arg(long, value_name = "BASE64")]
    trust_key: Vec<String>,
    /// Fingerprint of the case you were given (64 hex digits, as `warden case show` prints); every case checked must have one of these; repeatable
    #[arg(long, value_name = "HEX")]
    expect_fingerprint: Vec<String>,
    /// A checkpoint of a case's custody log you were given (`warden custody checkpoint` writes them): the case's log must still begin with the events it covers; repeatable
    #[arg(long, value_name = "FILE")]
    checkpoint: Vec<std::path::PathBuf>,
    /// Fail unless the result can be recorded in the case's custody log (one case folder, checked by one of its officers)
    #[arg(long, conflicts_with = "no_record")]
    record: bool,
    /// Never write anything, not even the verify event in the custody log (for a copy you must not change)
    #[arg(long)]
    no_record: bool,
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
    // Who records the result, decided before verifying, so that a refused
    // --record costs nothing.
    let recorder = if a.no_record {
        None
    } else {
        match recorder(&paths, g) {
            Ok(r) => Some(r),
            Err(why) if a.record => anyhow::bail!("--record: {why}"),
            Err(why) => {
                if let Some(why) = why.shown() {
                    eprintln!(
                        "note: this verification will not be recorded in the custody log: {why}"
                    );
                }
                None
            }
        }
    };
    let bar = (!a.json && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::hidden();
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "verifying {bar:30} {pos}/{len} bundles {elapsed_precise}",
            )
            .expect("valid progress template"),
        );
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar
    });
    let anchors_given =
        !(a.trust_key.is_empty() && a.expect_fingerprint.is_empty() && a.checkpoint.is_empty());
    let report = verify(
        &VerifyOptions {
            paths,
            tsa_ca: a.tsa_ca,
            trust_keys: a.trust_key,
            expect_fingerprints: a.expect_fingerprint,
            witness_dir: super::witness_dir(),
            checkpoints: a.checkpoint,
        },
        &mut |p| {
            if let Some(bar) = &bar {
                bar.set_length(p.total as u64);
                bar.set_position(p.done as u64);
                if p.done == p.total {
                    bar.finish_and_clear();
                }
            }
        },
    )?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    // A failure may come from what was typed (a mistyped fingerprint or key,
    // a checkpoint of another case): that is not recorded as the case's
    // result unless --record asks for it.
    let recorder = match recorder {
        Some(_) if !a.record && report.verdict == Verdict::Failed && anchors_given => {
            eprintln!(
                "note: this failed verification was not recorded in the custody log: the failure may come from the fingerprint, keys or checkpoints you gave; check them, or add --record to record the result"
            );
            None
        }
        r => r,
    };
    if let Some((case, key)) = recorder {
        match case.record_verification(&key, &report, &super::command_line()) {
            Ok(seq) => eprintln!("recorded this verification in custody event {seq}"),
            Err(e) if a.record => return Err(e.into()),
            Err(e) => {
                eprintln!("warning: this verification was not recorded in the custody log: {e}")
            }
        }
    }
    Ok(if report.verdict == Verdict::Verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PROBLEMS)
    })
}

/// Why a verification is not recorded.
enum NotRecorded {
    /// Not one case folder: a bundle, a zip or several paths have no (one)
    /// custody log to record in; nothing to say unless --record asked.
    NotOneCase(String),
    /// A case folder, but it cannot be recorded in by this user.
    Cannot(String),
}

impl NotRecorded {
    fn shown(&self) -> Option<&str> {
        match self {
            NotRecorded::NotOneCase(_) => None,
            NotRecorded::Cannot(why) => Some(why),
        }
    }
}

impl std::fmt::Display for NotRecorded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotRecorded::NotOneCase(why) | NotRecorded::Cannot(why) => f.write_str(why),
        }
    }
}

/// The case and key to record the verification of `paths` with.
fn recorder(
    paths: &[PathBuf],
    g: &Globals,
) -> Result<(warden::case::Case, warden::keys::OfficerKey), NotRecorded> {
    let [dir] = paths else {
        return Err(NotRecorded::NotOneCase(
            "several paths were given; give one case folder".into(),
        ));
    };
    if !dir.join("case.toml").is_file() {
        return Err(NotRecorded::NotOneCase(format!(
            "{} is not a case folder (a bundle or a zip has no custody log to record in)",
            dir.display()
        )));
    }
    let key = g
        .officer_key(false)
        .map_err(|e| NotRecorded::Cannot(format!("{e:#}")))?;
    let mut case =
        warden::case::Case::locate(Some(dir)).map_err(|e| NotRecorded::Cannot(e.to_string()))?;
    case.witness_dir = super::witness_dir();
    case.require_officer(&key)
        .map_err(|e| NotRecorded::Cannot(e.to_string()))?;
    Ok((case, key))
}

fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn print_text(report: &Report) {
    for p in &report.problems {
        println!("{}: {}", clean(&p.path), clean(&p.message));
    }
    for n in &report.notes {
        eprintln!("note: {}", clean(n));
    }
    if report.ok {
        for v in &report.verified {
            println!("OK {}", clean(v));
        }
    }
    for c in &report.cases {
        let id = c.case_id.as_deref().unwrap_or("?");
        let fp = c
            .fingerprint
            .as_deref()
            .unwrap_or("none (the custody log is empty)");
        eprintln!("case {} ({}): fingerprint {fp}", clean(id), clean(&c.path));
        let signers: Vec<String> = c
            .signers
            .iter()
            .map(|s| format!("{} (key {})", clean(&s.officer), s.public_key))
            .collect();
        let by = signers.join(", ");
        match c.anchoring {
            Anchoring::Fingerprint => {
                eprintln!("  anchored: the fingerprint is the one you expect; signed by {by}")
            }
            Anchoring::TrustedKeys => {
                eprintln!("  anchored: every signature is by a key you trust; signed by {by}")
            }
            Anchoring::SelfDeclared => eprintln!(
                "  NOT ANCHORED: signed by {by}, keys the case declares itself. Anyone can make a case with these names; confirm the fingerprint with the case officer and pass --expect-fingerprint {fp}, or pass the officers' keys with --trust-key"
            ),
            Anchoring::Failed => {
                eprintln!("  anchor FAILED: see the problems above; signed by {by}")
            }
        }
    }
    match report.verdict {
        Verdict::Verified => eprintln!(
            "all evidence verified: {} bundle(s), {} custody event(s)",
            report.bundles, report.custody_events
        ),
        Verdict::NothingToVerify => eprintln!(
            "nothing verified: no evidence bundle was found ({} custody event(s) hold); a case with no bundles proves nothing about any page",
            report.custody_events
        ),
        Verdict::Failed => eprintln!(
            "verification FAILED: {} problem(s), checking {} bundle(s) and {} custody event(s); the lines above name each file",
            report.problems.len(),
            report.bundles,
            report.custody_events
        ),
    }
}
