//! `warden report`: the chain-of-custody report a prosecutor files.
//!
//! One gathering step ([`model`]) reads the case: the custody record, each
//! exhibit's `capture.json` and manifest, the sweeps' results, and a fresh
//! verification of everything. Three writers render that one model:
//! `report.html` ([`html`], self-contained, no script, every captured string
//! escaped), `report.pdf` ([`pdf`], typeset by typst inside warden with the
//! fonts found on this computer, captured text passed as data, never as
//! markup) and `exhibits.csv`. The files are written durably to a new
//! folder, never over existing files, and producing them is recorded as a
//! `report` custody event with their SHA-256.

mod csv_out;
mod html;
pub(crate) mod model;
mod pdf;

use crate::case::{Case, CaseError};
use crate::custody::event::ReportDetails;
use crate::custody::{self, Action, EventInput};
use crate::fsutil;
use crate::hash::sha256_hex;
use crate::keys::OfficerKey;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use pdf::{FontSource, MissingScripts};

/// What `warden report` needs.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// The folder to write to: created, or an empty existing one.
    pub out_dir: PathBuf,
    pub html: bool,
    pub pdf: bool,
    /// Exhibits to report on (numbers, labels or bundle ids); all when empty.
    pub exhibits: Vec<String>,
    /// Where the PDF's fonts come from.
    pub fonts: FontSource,
    /// This computer's witness folder, for the verification.
    pub witness_dir: Option<PathBuf>,
    /// The command line as typed, recorded in the custody event.
    pub arguments: Vec<String>,
}

/// A file the report wrote.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ReportFile {
    pub name: String,
    pub sha256: String,
    pub bytes: u64,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct ReportWritten {
    pub out_dir: PathBuf,
    pub files: Vec<ReportFile>,
    /// The `report` custody event.
    pub seq: u64,
    /// `verified`, `failed` or `nothing-to-verify`, as the report states.
    pub verdict: String,
    pub exhibits: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(transparent)]
    Custody(#[from] custody::CustodyError),
    #[error(transparent)]
    Verify(#[from] crate::verify::VerifyError),
    #[error(
        "{0} exists and is not empty; a report is never written over other files: give a new folder with --out"
    )]
    OutNotEmpty(PathBuf),
    #[error(transparent)]
    Fonts(#[from] MissingScripts),
    #[error("the PDF could not be typeset: {0}")]
    Typeset(String),
    #[error(
        "the disk holding {0} is full; the report was not finished. Free some space and run the command again"
    )]
    DiskFull(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| {
        if source.kind() == std::io::ErrorKind::StorageFull {
            ReportError::DiskFull(path.to_path_buf())
        } else {
            ReportError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

/// Writes the report of `case` and records it, signed with `key`.
pub fn write(
    case: &Case,
    key: &OfficerKey,
    opts: &ReportOptions,
) -> Result<ReportWritten, ReportError> {
    let officer = case.require_officer(key)?.name.clone();
    let log_bytes =
        fsutil::read_capped(&case.custody_path(), 4 << 30).map_err(io_err(&case.custody_path()))?;
    let check = custody::check_log(&log_bytes);
    let mut only = Vec::new();
    for wanted in &opts.exhibits {
        let r = check
            .state
            .find_exhibit(wanted)
            .ok_or_else(|| CaseError::NoSuchExhibit {
                wanted: wanted.clone(),
                count: check.state.exhibits.len(),
            })?;
        only.push(r.number);
    }
    // The executable's hash and the fonts are found while the case is
    // verified, and the HTML and CSV are made while the PDF is typeset: on
    // a large case each would otherwise leave a core idle.
    let (verified, tool, fonts) = std::thread::scope(|s| {
        let tool = s.spawn(crate::capture::metadata::ToolInfo::current);
        let fonts = opts.pdf.then(|| s.spawn(|| pdf::load_fonts(&opts.fonts)));
        let verified = crate::verify::verify(
            &crate::verify::VerifyOptions {
                paths: vec![case.root.clone()],
                witness_dir: opts.witness_dir.clone(),
                ..Default::default()
            },
            &mut |_| {},
        );
        (
            verified,
            tool.join().expect("hashing the executable does not panic"),
            fonts.map(|f| f.join().expect("finding fonts does not panic")),
        )
    });
    let verified = verified?;
    let data = model::gather(
        case,
        &check,
        &verified,
        (!only.is_empty()).then_some(only.as_slice()),
        crate::now_rfc3339(),
        tool.executable_sha256.clone(),
    );
    // Everything is rendered before anything is written.
    let (others, pdf) = std::thread::scope(|s| {
        let others = s.spawn(|| {
            let mut out: Vec<(&str, Vec<u8>)> = vec![("exhibits.csv", csv_out::render(&data))];
            if opts.html {
                out.push(("report.html", html::render(&data).into_bytes()));
            }
            out
        });
        let pdf = fonts.map(|f| pdf::render(&data, &f));
        (
            others
                .join()
                .expect("rendering HTML and CSV does not panic"),
            pdf,
        )
    });
    let mut rendered = others;
    if let Some(pdf) = pdf {
        rendered.push(("report.pdf", pdf?));
    }
    prepare_out_dir(&opts.out_dir)?;
    let mut files = Vec::new();
    for (name, bytes) in &rendered {
        write_durably(&opts.out_dir.join(name), bytes)?;
        files.push(ReportFile {
            name: name.to_string(),
            sha256: sha256_hex(bytes),
            bytes: bytes.len() as u64,
        });
    }
    fsutil::sync_dir(&opts.out_dir).map_err(io_err(&opts.out_dir))?;
    let details = ReportDetails {
        folder: opts.out_dir.display().to_string(),
        files: files.clone(),
        exhibits: if only.is_empty() { None } else { Some(only) },
        verification: data.verification.verdict.clone(),
        warden_version: crate::VERSION.to_string(),
        executable_sha256: tool.executable_sha256,
        arguments: opts.arguments.clone(),
    };
    let seq = custody::append(
        &case.log(),
        key,
        &officer,
        &EventInput {
            action: Action::Report,
            bundle: None,
            manifest_sha256: None,
            details: Some(serde_json::to_value(details).expect("details serialise")),
        },
    )?;
    Ok(ReportWritten {
        out_dir: opts.out_dir.clone(),
        files,
        seq,
        verdict: data.verification.verdict,
        exhibits: data.exhibits.len(),
    })
}

/// Creates the output folder, or accepts an empty existing one.
fn prepare_out_dir(dir: &Path) -> Result<(), ReportError> {
    match std::fs::create_dir(dir) {
        Ok(()) => {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                fsutil::sync_dir(parent).map_err(io_err(parent))?;
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let mut entries = std::fs::read_dir(dir).map_err(io_err(dir))?;
            if entries.next().is_some() {
                return Err(ReportError::OutNotEmpty(dir.to_path_buf()));
            }
            Ok(())
        }
        Err(e) => Err(io_err(dir)(e)),
    }
}

/// Temporary name, written and synced, then renamed without replacing.
fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let result = (|| {
        let mut f = fsutil::create_new(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fsutil::rename_noreplace(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_err(path)(e));
    }
    Ok(())
}
