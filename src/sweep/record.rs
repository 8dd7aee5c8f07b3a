//! Recording a sweep in a case's custody log.

use super::Summary;
use crate::case::Case;
use crate::custody::{self, Action, CustodyError, EventInput};
use crate::keys::OfficerKey;
use serde::{Deserialize, Serialize};

/// The result file a sweep wrote: its name as given (`-` for standard
/// output) and the SHA-256 of the bytes written.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutputFile {
    pub path: String,
    pub sha256: String,
}

/// `details` of a `sweep` custody event.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SweepDetails<'a> {
    pub(crate) inputs: &'a [super::input::InputFile],
    pub(crate) lists: &'a [super::ListUsed],
    pub(crate) output: &'a OutputFile,
    pub(crate) min_score: u32,
    pub(crate) listings: u64,
    pub(crate) matched: u64,
    pub(crate) flagged: u64,
    pub(crate) skipped: u64,
    /// The tool that ran the sweep, and the command line as typed.
    pub(crate) warden_version: &'a str,
    pub(crate) arguments: &'a [String],
}

/// `details` of a `sweep` event as read back (the fields of
/// [`SweepDetails`], owned).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SweepRecorded {
    pub(crate) inputs: Vec<super::input::InputFile>,
    pub(crate) lists: Vec<super::ListUsed>,
    pub(crate) output: OutputFile,
    pub(crate) min_score: u32,
    pub(crate) listings: u64,
    pub(crate) matched: u64,
    pub(crate) flagged: u64,
    pub(crate) skipped: u64,
}

/// Appends the `sweep` event (inputs, lists and output with their hashes,
/// the counts, warden's version and the command line `arguments`) to the case's custody log, signed by `key` as `officer`.
/// Returns the event's sequence number.
pub fn record_in_case(
    case: &Case,
    key: &OfficerKey,
    officer: &str,
    summary: &Summary,
    output: &OutputFile,
    arguments: &[String],
) -> Result<u64, CustodyError> {
    let details = SweepDetails {
        inputs: &summary.inputs,
        lists: &summary.lists,
        output,
        min_score: summary.min_score,
        listings: summary.listings,
        matched: summary.matched,
        flagged: summary.flagged,
        skipped: summary.skipped,
        warden_version: crate::VERSION,
        arguments,
    };
    custody::append(
        &case.log(),
        key,
        officer,
        &EventInput {
            action: Action::Sweep,
            bundle: None,
            manifest_sha256: None,
            details: Some(serde_json::to_value(details).expect("details serialise")),
        },
    )
}
