//! The custody record as an officer, a prosecutor or a report reads it:
//! the timeline of events with a one-line summary each, and the exhibits
//! with their numbers, status and notes. Built from a checked log, so an
//! event that does not hold is shown as such, never silently.

use super::acts::exhibit_label;
use super::check::LogCheck;
use super::event::{
    AcceptDetails, AccessDetails, Action, CaptureDetails, CaseInitDetails, CheckpointDetails,
    Event, ExportDetails, LogRepairedDetails, MergeDetails, NoteDetails, OfficerAddedDetails,
    OfficerRevokedDetails, ReportDetails, TransferDetails, VerifyDetails, WithdrawDetails,
};
use serde::Serialize;

/// One event of the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub seq: u64,
    /// UTC, RFC 3339, as the event recorded it.
    pub time: String,
    pub officer: String,
    pub action: String,
    /// The exhibit the event concerns (`CASE-1/0003`), if any.
    pub exhibit: Option<String>,
    /// What happened, in one line (notes, reasons, URLs as recorded).
    pub summary: String,
    /// False when the event does not hold (verify names the problem); such
    /// an event changes nothing in the record.
    pub valid: bool,
}

/// One exhibit: a captured bundle and what the log says about it.
#[derive(Debug, Clone, Serialize)]
pub struct Exhibit {
    /// `<case-id>/0001`, in custody order.
    pub number: String,
    pub bundle: String,
    pub url: String,
    pub final_url: Option<String>,
    /// When the capture was recorded (UTC).
    pub captured_at: String,
    pub officer: String,
    /// The capture's status as recorded (`ok`, `http-error`, …).
    pub status: String,
    pub http_status: Option<u16>,
    pub manifest_sha256: Option<String>,
    pub timestamped: bool,
    /// Set when the capture was withdrawn: event, officer and reason.
    pub withdrawn: Option<Withdrawal>,
    /// Notes recorded on this exhibit, oldest first.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Withdrawal {
    pub seq: u64,
    pub time: String,
    pub officer: String,
    pub reason: String,
}

/// The whole record.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub entries: Vec<Entry>,
    pub exhibits: Vec<Exhibit>,
    /// The officer holding the case.
    pub custodian: String,
    /// A transfer waiting to be accepted: (event, to).
    pub pending_transfer: Option<(u64, String)>,
    /// Number of lines in the log that do not hold.
    pub invalid_events: usize,
}

/// Builds the record from a checked log.
pub(crate) fn record(check: &LogCheck) -> Record {
    let state = &check.state;
    let case_id = state.case_id.as_str();
    let mut exhibits: Vec<Exhibit> = state
        .exhibits
        .iter()
        .enumerate()
        .filter_map(|(i, bundle)| {
            let ev = check.capture_of(bundle)?;
            let d = ev.details_as::<CaptureDetails>();
            Some(Exhibit {
                number: exhibit_label(case_id, i + 1),
                bundle: bundle.clone(),
                url: d.as_ref().map(|d| d.url.clone()).unwrap_or_default(),
                final_url: d.as_ref().and_then(|d| d.final_url.clone()),
                captured_at: ev.time.clone(),
                officer: ev.officer.clone(),
                status: d.as_ref().map(|d| d.status.clone()).unwrap_or_default(),
                http_status: d.as_ref().and_then(|d| d.http_status),
                manifest_sha256: ev.manifest_sha256.clone(),
                timestamped: d.as_ref().is_some_and(|d| d.timestamped),
                withdrawn: None,
                notes: Vec::new(),
            })
        })
        .collect();
    let by_number: std::collections::HashMap<String, usize> = exhibits
        .iter()
        .enumerate()
        .map(|(i, x)| (x.number.clone(), i))
        .collect();
    let mut entries = Vec::with_capacity(check.events.len());
    for ce in &check.events {
        let ev = &ce.event;
        let (exhibit, summary) = describe(ev, check);
        if ce.valid {
            let index = |n: &Option<String>| n.as_ref().and_then(|n| by_number.get(n).copied());
            match ev.action {
                Action::Note => {
                    if let (Some(i), Some(d)) = (index(&exhibit), ev.details_as::<NoteDetails>()) {
                        exhibits[i].notes.push(d.text);
                    }
                }
                Action::Withdraw => {
                    if let (Some(i), Some(d)) =
                        (index(&exhibit), ev.details_as::<WithdrawDetails>())
                    {
                        exhibits[i].withdrawn = Some(Withdrawal {
                            seq: ev.seq,
                            time: ev.time.clone(),
                            officer: ev.officer.clone(),
                            reason: d.reason,
                        });
                    }
                }
                Action::Merge => {
                    // The colleague's notes on, and withdrawals of, the
                    // captures this merge brought in.
                    let d = ev.details_as::<MergeDetails>();
                    for line in d.iter().flat_map(|d| &d.carried) {
                        let Ok(c) = serde_json::from_str::<Event>(line) else {
                            continue;
                        };
                        let at = |r: &Option<super::event::ExhibitRef>| {
                            r.as_ref()
                                .filter(|r| {
                                    d.as_ref().is_some_and(|d| d.bundles.contains(&r.bundle))
                                })
                                .and_then(|r| check.state.number_of(&r.bundle))
                                .and_then(|n| by_number.get(&exhibit_label(case_id, n)).copied())
                        };
                        match c.action {
                            Action::Note => {
                                if let Some(n) = c.details_as::<NoteDetails>()
                                    && let Some(i) = at(&n.exhibit)
                                {
                                    exhibits[i].notes.push(n.text);
                                }
                            }
                            Action::Withdraw => {
                                if let Some(w) = c.details_as::<WithdrawDetails>()
                                    && let Some(i) = at(&Some(w.exhibit))
                                {
                                    exhibits[i].withdrawn = Some(Withdrawal {
                                        seq: ev.seq,
                                        time: c.time.clone(),
                                        officer: c.officer.clone(),
                                        reason: w.reason,
                                    });
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        entries.push(Entry {
            seq: ev.seq,
            time: ev.time.clone(),
            officer: ev.officer.clone(),
            action: ev.action.as_str().to_string(),
            exhibit,
            summary,
            valid: ce.valid,
        });
    }
    Record {
        entries,
        exhibits,
        custodian: state.custodian.clone(),
        pending_transfer: state.pending.as_ref().map(|p| (p.seq, p.to.clone())),
        invalid_events: check.events.iter().filter(|e| !e.valid).count(),
    }
}

/// The exhibit an event concerns and its one-line summary.
fn describe(ev: &Event, check: &LogCheck) -> (Option<String>, String) {
    let number_of = |bundle: &str| {
        check
            .state
            .number_of(bundle)
            .map(|n| exhibit_label(&check.state.case_id, n))
    };
    let unreadable = || "(details cannot be read)".to_string();
    match ev.action {
        Action::CaseInit => (
            None,
            ev.details_as::<CaseInitDetails>()
                .map(|d| match d.title {
                    Some(t) => format!("case {} created: {t}", d.case_id),
                    None => format!("case {} created", d.case_id),
                })
                .unwrap_or_else(unreadable),
        ),
        Action::OfficerAdded => (
            None,
            ev.details_as::<OfficerAddedDetails>()
                .map(|d| {
                    format!(
                        "registered officer {} as {} (key {})",
                        d.officer,
                        d.role.unwrap_or_default(),
                        d.public_key
                    )
                })
                .unwrap_or_else(unreadable),
        ),
        Action::Merge => (
            None,
            ev.details_as::<MergeDetails>()
                .map(|d| {
                    let by: std::collections::BTreeSet<String> = d
                        .bundles
                        .iter()
                        .filter_map(|b| check.capture_of(b))
                        .map(|c| c.officer.clone())
                        .collect();
                    let numbers: Vec<String> =
                        d.bundles.iter().filter_map(|b| number_of(b)).collect();
                    format!(
                        "merged {} capture(s) by {} from a copy of the case ({}; {} event(s) of the copy carried, signed as made there): {}",
                        d.bundles.len(),
                        by.into_iter().collect::<Vec<_>>().join(", "),
                        d.source,
                        d.carried.len(),
                        numbers.join(", ")
                    )
                })
                .unwrap_or_else(unreadable),
        ),
        Action::OfficerRevoked => (
            None,
            ev.details_as::<OfficerRevokedDetails>()
                .map(|d| {
                    format!(
                        "revoked officer {} (key {}): {}",
                        d.officer, d.public_key, d.reason
                    )
                })
                .unwrap_or_else(unreadable),
        ),
        Action::Capture => (
            ev.bundle.as_deref().and_then(number_of),
            ev.details_as::<CaptureDetails>()
                .map(|d| {
                    let mut s = format!("captured {} ({})", d.url, d.status);
                    if let Some(f) = d.final_url.filter(|f| *f != d.url) {
                        s.push_str(&format!(", final URL {f}"));
                    }
                    if let Some(b) = &ev.bundle {
                        s.push_str(&format!("; bundle {b}"));
                    }
                    s
                })
                .unwrap_or_else(unreadable),
        ),
        Action::Sweep => {
            let d = ev.details.as_ref();
            let count = |k: &str| d.and_then(|d| d.get(k)).and_then(|v| v.as_u64());
            (
                None,
                match (count("listings"), count("flagged")) {
                    (Some(l), Some(f)) => {
                        format!("swept {l} listing(s) with species lists; {f} flagged")
                    }
                    _ => "ran a sweep with species lists".into(),
                },
            )
        }
        Action::LogRepaired => (
            None,
            ev.details_as::<LogRepairedDetails>()
                .map(|d| {
                    format!(
                        "cut off an incomplete last line of {} bytes after event {} (their SHA-256 is in the event)",
                        d.torn_bytes, d.after_seq
                    )
                })
                .unwrap_or_else(unreadable),
        ),
        Action::CaptureRecovered | Action::CaptureInterrupted => {
            let get = |k: &str| {
                ev.details
                    .as_ref()
                    .and_then(|d| d.get(k))
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            };
            let id = get("capture_id").unwrap_or_default();
            let what = if ev.action == Action::CaptureRecovered {
                format!("finished moving interrupted capture {id} into evidence/")
            } else {
                format!(
                    "set interrupted capture {id} aside to {} (not evidence)",
                    get("to").unwrap_or_default()
                )
            };
            (number_of(&id), what)
        }
        Action::Note => match ev.details_as::<NoteDetails>() {
            Some(d) => (d.exhibit.map(|e| e.number), format!("note: {}", d.text)),
            None => (None, unreadable()),
        },
        Action::Access => match ev.details_as::<AccessDetails>() {
            Some(d) => (
                d.exhibit.map(|e| e.number),
                format!("accessed: {}", d.reason),
            ),
            None => (None, unreadable()),
        },
        Action::Withdraw => match ev.details_as::<WithdrawDetails>() {
            Some(d) => (
                Some(d.exhibit.number),
                format!("withdrew the capture: {}", d.reason),
            ),
            None => (None, unreadable()),
        },
        Action::Transfer => match ev.details_as::<TransferDetails>() {
            Some(d) => (
                None,
                match d.location {
                    Some(l) => format!("transferred the case to {} at {l}: {}", d.to, d.reason),
                    None => format!("transferred the case to {}: {}", d.to, d.reason),
                },
            ),
            None => (None, unreadable()),
        },
        Action::Accept => match ev.details_as::<AcceptDetails>() {
            Some(d) => (
                None,
                match d.note {
                    Some(n) => format!("accepted the transfer of event {}: {n}", d.transfer_seq),
                    None => format!("accepted the transfer of event {}", d.transfer_seq),
                },
            ),
            None => (None, unreadable()),
        },
        Action::Report => match ev.details_as::<ReportDetails>() {
            Some(d) => (
                None,
                // The files' SHA-256 are in the event; a line of 64-digit
                // hashes does not fit a timeline column.
                format!(
                    "wrote a report ({}; verification: {}) to {}",
                    d.files
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    d.verification,
                    d.folder
                ),
            ),
            None => (None, unreadable()),
        },
        Action::Verify => match ev.details_as::<VerifyDetails>() {
            Some(d) => (
                None,
                format!(
                    "verified the case: {} ({} bundle(s), {} custody event(s), {} problem(s))",
                    d.verdict, d.bundles, d.custody_events, d.problems
                ),
            ),
            None => (None, unreadable()),
        },
        Action::Export => match ev.details_as::<ExportDetails>() {
            Some(d) => (
                None,
                format!(
                    "exported the case as {} to {} ({} bytes; its SHA-256 is in the event)",
                    d.format, d.file, d.bytes
                ),
            ),
            None => (None, unreadable()),
        },
        Action::Checkpoint => match ev.details_as::<CheckpointDetails>() {
            Some(d) => (
                None,
                format!(
                    "signed checkpoint of the first {} events in {}{}",
                    d.size,
                    d.file,
                    if d.timestamp_file.is_some() {
                        ", time-stamped"
                    } else {
                        ""
                    }
                ),
            ),
            None => (None, unreadable()),
        },
    }
}
