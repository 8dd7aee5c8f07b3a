//! `warden case …`

use super::{Globals, printable};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use warden::case::request::{OfficerRequest, key_fingerprint};
use warden::case::{Case, InitOptions, Role};

#[derive(Subcommand, Debug)]
pub enum CaseCommand {
    /// Create a new case folder (case.toml, evidence/, custody.jsonl)
    Init(InitArgs),
    /// Ask to join a case: print the request (your name, role and public key) to give to its lead officer
    Join(JoinArgs),
    /// Register an officer in the case, from their `case join` request or their public key (lead officers only)
    AddOfficer(AddOfficerArgs),
    /// Revoke an officer's key: what it signed before stays valid, nothing new is accepted (lead officers only)
    RevokeOfficer(RevokeOfficerArgs),
    /// Write a field copy of the case (case.toml, custody log, empty evidence/) for a colleague to capture into on another computer
    ExportStub(ExportStubArgs),
    /// Bring in the captures a colleague made in a copy of the case (a folder or a zip), with their signed capture events (lead officers only)
    Merge(MergeArgs),
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

/// An officer's role in a case.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default)]
enum RoleArg {
    /// May add and revoke officers (the case's creator is one)
    Lead,
    /// May capture, sweep and record events, but not add or revoke officers
    #[default]
    Member,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Lead => Role::Lead,
            RoleArg::Member => Role::Member,
        }
    }
}

#[derive(Args, Debug)]
pub struct JoinArgs {
    /// Your name as it should appear in the record
    #[arg(long)]
    officer: String,
    /// The role you ask for (the lead officer decides by registering it)
    #[arg(long, value_enum, default_value_t = RoleArg::Member)]
    role: RoleArg,
    /// Write the request to this new file instead of printing it (an existing file is never overwritten)
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct AddOfficerArgs {
    /// The officer request printed by `warden case join` on their computer (`-` reads it from standard input)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["officer", "public_key", "role"])]
    request: Option<PathBuf>,
    /// The new officer's name as it should appear in the record
    #[arg(long, required_unless_present = "request")]
    officer: Option<String>,
    /// The new officer's public key, as printed by `warden key show` on their computer
    #[arg(long, value_name = "BASE64", required_unless_present = "request")]
    public_key: Option<String>,
    /// The new officer's role
    #[arg(long, value_enum)]
    role: Option<RoleArg>,
}

#[derive(Args, Debug)]
pub struct RevokeOfficerArgs {
    /// The officer's name, as `warden case show` lists it
    officer: String,
    /// Why the key is revoked (recorded in the custody log)
    #[arg(long)]
    reason: String,
}

#[derive(Args, Debug)]
pub struct ExportStubArgs {
    /// Folder to create (must not exist)
    dir: PathBuf,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The colleague's copy of the case: a folder, or a zip of one
    copy: PathBuf,
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
        CaseCommand::Join(a) => join(a, g),
        CaseCommand::AddOfficer(a) => {
            let (name, public_key, role) = match &a.request {
                Some(path) => {
                    let r = read_request(path)?;
                    (r.officer, r.public_key.trim().to_string(), r.role)
                }
                None => (
                    a.officer.unwrap_or_default(),
                    a.public_key.unwrap_or_default().trim().to_string(),
                    a.role.unwrap_or_default().into(),
                ),
            };
            let key = g.officer_key(false)?;
            let mut case = g.open_case_for_writing(&key)?;
            case.add_officer(&name, &public_key, role, &key)?;
            println!(
                "registered officer {} as {role} (key {public_key}, fingerprint {}) in case {}",
                printable(&name),
                key_fingerprint(&public_key).unwrap_or_default(),
                printable(&case.config.case.id)
            );
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::RevokeOfficer(a) => {
            let key = g.officer_key(false)?;
            let mut case = g.open_case_for_writing(&key)?;
            case.revoke_officer(&a.officer, &a.reason, &key)?;
            println!(
                "revoked officer {} from case {}: what their key signed before stays valid; nothing new signed with it is accepted",
                printable(&a.officer),
                printable(&case.config.case.id)
            );
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::ExportStub(a) => {
            let key = g.officer_key(false)?;
            let case = g.open_case_for_writing(&key)?;
            let seq = case.export_stub(&a.dir, &key)?;
            println!(
                "wrote a field copy of case {} to {} (recorded in custody event {seq}): the colleague captures into it with `warden --case {} capture URL` and gives it back (the folder, or a zip of it) for `warden case merge`",
                printable(&case.config.case.id),
                a.dir.display(),
                a.dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::Merge(a) => {
            let key = g.officer_key(false)?;
            let mut case = g.open_case_for_writing(&key)?;
            // An earlier merge (or capture) that was interrupted is
            // completed or set aside first, as a capture does.
            super::capture::report_recovery(&case, &key)?;
            let m = case.merge(&a.copy, &key)?;
            match m.seq {
                None => println!(
                    "nothing to merge: the copy holds no capture this case does not have ({} event(s) after event {}, the last both share)",
                    m.carried, m.fork_seq
                ),
                Some(seq) => {
                    println!(
                        "merged {} capture(s) into case {} (custody event {seq}, carrying the copy's {} event(s) after event {}, signed as made there):",
                        m.bundles.len(),
                        printable(&case.config.case.id),
                        m.carried,
                        m.fork_seq
                    );
                    for (b, officer) in &m.bundles {
                        println!("  {b}  captured by {}", printable(officer));
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        CaseCommand::Show(a) => show(a, g),
    }
}

fn join(a: JoinArgs, g: &Globals) -> anyhow::Result<ExitCode> {
    let key = g.officer_key(true)?;
    let request = OfficerRequest::new(&a.officer, a.role.into(), &key)?;
    match &a.out {
        Some(path) => {
            request.write_new(path).map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    anyhow::anyhow!(
                        "{} already exists; nothing was written. Give another file name",
                        path.display()
                    )
                } else {
                    anyhow::anyhow!("{}: {e}", path.display())
                }
            })?;
            println!("wrote your officer request to {}", path.display());
        }
        None => print!("{}", request.render()),
    }
    eprintln!(
        "note: give the request to the case's lead officer, who runs `warden case add-officer --request FILE` on their computer. Tell them your key fingerprint over the telephone: {}",
        request.key_fingerprint
    );
    Ok(ExitCode::SUCCESS)
}

/// Reads an officer request from a file, or standard input for `-`.
fn read_request(path: &std::path::Path) -> anyhow::Result<OfficerRequest> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let limit = warden::case::request::MAX_REQUEST + 1;
    if path.as_os_str() == "-" {
        std::io::stdin().take(limit).read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(limit).read_to_end(&mut bytes))
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    if bytes.len() as u64 >= limit {
        anyhow::bail!(
            "{}: longer than an officer request can be ({} bytes); give the file `warden case join` wrote",
            path.display(),
            warden::case::request::MAX_REQUEST
        );
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: not text (invalid UTF-8 at byte {}); give the file `warden case join` wrote",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok(OfficerRequest::parse(path, &text)?)
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
            "officers": case.config.officers.iter().map(|o| serde_json::json!({
                "name": o.name,
                "public_key": o.public_key,
                "key_fingerprint": key_fingerprint(&o.public_key),
                "added": o.added,
                "role": case.config.role_of(o),
                "revoked": o.revoked,
            })).collect::<Vec<_>>(),
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
            "officer   {} ({}, key {}, added {})",
            printable(&o.name),
            case.config.role_of(o),
            o.public_key,
            printable(&o.added)
        );
        if let Some(r) = &o.revoked {
            println!(
                "          REVOKED {} by {}: {}",
                printable(&r.time),
                printable(&r.by),
                printable(&r.reason)
            );
        }
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
