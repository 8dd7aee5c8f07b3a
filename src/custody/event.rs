//! One custody event: the typed line shared by the writer ([`super::append`])
//! and the checker ([`super::check_log`]).

use crate::keys::OfficerKey;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// What a custody event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Action {
    /// The first line: the case was created (signed by the first officer).
    CaseInit,
    /// An officer registered another officer's key.
    OfficerAdded,
    /// A lead officer revoked an officer's key: valid for what it signed
    /// before this event, refused for anything after.
    OfficerRevoked,
    /// A bundle was sealed.
    Capture,
    /// A sweep ran over inputs and wrote a result file.
    Sweep,
    /// An append was interrupted and left an incomplete last line; the next
    /// writer cut it off and recorded its bytes here.
    LogRepaired,
    /// A capture stopped after its bundle was sealed and recorded but
    /// before it was moved into place; recovery moved it (see
    /// [`crate::recovery`]).
    CaptureRecovered,
    /// A partial bundle no capture event vouches for was moved out of
    /// `evidence/` to `interrupted/` (see [`crate::recovery`]).
    CaptureInterrupted,
    /// An officer's note on the case or on one exhibit.
    Note,
    /// The custodian handed the case to another officer (who must accept).
    Transfer,
    /// The officer a transfer named acknowledged receiving the case.
    Accept,
    /// The case or an exhibit was viewed or examined.
    Access,
    /// A capture was marked withdrawn (a mistake); the bundle stays.
    Withdraw,
    /// A signed checkpoint of the log (its size and Merkle root) was
    /// written to `checkpoints/` (see [`super::checkpoint`]).
    Checkpoint,
    /// A report (`warden report`) was written; its files' hashes.
    Report,
    /// The case was exported (`warden export`); the file's hash.
    Export,
    /// An officer verified the case and recorded the result
    /// (`warden verify --record`).
    Verify,
    /// A lead officer brought in the captures a colleague made in a copy of
    /// the case, carrying the copy's signed events (`warden case merge`).
    Merge,
}

impl Action {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Action::CaseInit => "case-init",
            Action::OfficerAdded => "officer-added",
            Action::OfficerRevoked => "officer-revoked",
            Action::Capture => "capture",
            Action::Sweep => "sweep",
            Action::LogRepaired => "log-repaired",
            Action::CaptureRecovered => "capture-recovered",
            Action::CaptureInterrupted => "capture-interrupted",
            Action::Note => "note",
            Action::Transfer => "transfer",
            Action::Accept => "accept",
            Action::Access => "access",
            Action::Withdraw => "withdraw",
            Action::Checkpoint => "checkpoint",
            Action::Report => "report",
            Action::Export => "export",
            Action::Verify => "verify",
            Action::Merge => "merge",
        }
    }
}

/// The signed part of a line, in field order (the signature covers exactly
/// the JSON serialisation of this struct).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EventBody {
    pub(crate) seq: u64,
    pub(crate) time: String,
    pub(crate) officer: String,
    pub(crate) public_key: String,
    pub(crate) action: Action,
    pub(crate) bundle: Option<String>,
    pub(crate) manifest_sha256: Option<String>,
    pub(crate) details: Option<serde_json::Value>,
    pub(crate) prev: String,
}

/// A parsed line: the body and its signature.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Event {
    #[serde(flatten)]
    pub(crate) body: EventBody,
    pub(crate) sig: String,
}

impl std::ops::Deref for Event {
    type Target = EventBody;
    fn deref(&self) -> &EventBody {
        &self.body
    }
}

impl Event {
    /// The details as the typed struct of this action, if they parse.
    pub(crate) fn details_as<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_value(self.body.details.clone()?).ok()
    }
}

/// `details` of a `case-init` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CaseInitDetails {
    pub(crate) case_id: String,
    /// SHA-256 of `case.toml` as created.
    pub(crate) case_toml_sha256: String,
    /// Title, agency and creation time as written to `case.toml` (absent in
    /// logs of warden 0.1.0 cases created before they were recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) agency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) created: Option<String>,
    /// Whether the case has officer roles: only a lead officer may add or
    /// revoke officers. Cases created before roles existed (absent) let
    /// any officer add one; revoking is for leads in every case.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) officer_roles: bool,
}

/// An officer's role in a case: a lead may add and revoke officers, a
/// member may not. The creator of a case is its first lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Lead,
    #[default]
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Lead => "lead",
            Role::Member => "member",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `details` of an `officer-added` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OfficerAddedDetails {
    pub(crate) officer: String,
    pub(crate) public_key: String,
    /// SHA-256 of `case.toml` with the officer added.
    pub(crate) case_toml_sha256: String,
    /// The role given (absent in events written before roles existed:
    /// a member).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) role: Option<Role>,
}

/// `details` of an `officer-revoked` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OfficerRevokedDetails {
    pub(crate) officer: String,
    pub(crate) public_key: String,
    pub(crate) reason: String,
    /// SHA-256 of `case.toml` with the revocation written into it.
    pub(crate) case_toml_sha256: String,
}

/// `details` of a `capture` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CaptureDetails {
    pub(crate) url: String,
    pub(crate) final_url: Option<String>,
    pub(crate) status: String,
    pub(crate) http_status: Option<u16>,
    pub(crate) timestamped: bool,
    #[serde(default)]
    pub(crate) timestamp_sha256: Option<String>,
    /// warden's version, and the command line of the run that made the
    /// capture (absent in events written before warden recorded them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) warden_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) arguments: Option<Vec<String>>,
}

/// An exhibit as an event names it: the bundle id, and the exhibit number
/// it had when the event was written (`<case-id>/0001`), for the reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ExhibitRef {
    pub(crate) bundle: String,
    pub(crate) number: String,
}

/// `details` of a `note` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct NoteDetails {
    pub(crate) text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) exhibit: Option<ExhibitRef>,
}

/// `details` of a `transfer` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TransferDetails {
    /// The receiving officer, as registered in the case.
    pub(crate) to: String,
    pub(crate) reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) location: Option<String>,
}

/// `details` of an `accept` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AcceptDetails {
    /// Sequence number of the `transfer` event accepted.
    pub(crate) transfer_seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
}

/// `details` of an `access` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AccessDetails {
    pub(crate) reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) exhibit: Option<ExhibitRef>,
}

/// `details` of a `withdraw` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WithdrawDetails {
    pub(crate) exhibit: ExhibitRef,
    pub(crate) reason: String,
}

/// `details` of a `checkpoint` event: the checkpoint of the first `size`
/// lines, as written to `checkpoints/` (see [`super::checkpoint`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CheckpointDetails {
    /// Number of log lines the checkpoint covers (the lines before this
    /// event).
    pub(crate) size: u64,
    /// RFC 6962 Merkle tree hash of those lines, lowercase hex.
    pub(crate) root_sha256: String,
    /// The checkpoint file, relative to the case folder.
    pub(crate) file: String,
    /// SHA-256 of the checkpoint file's bytes.
    pub(crate) file_sha256: String,
    /// The RFC 3161 time-stamp token file over the checkpoint, if one was
    /// asked for, and its SHA-256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) timestamp_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) timestamp_sha256: Option<String>,
}

/// `details` of a `report` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ReportDetails {
    /// The folder written to, as given.
    pub(crate) folder: String,
    pub(crate) files: Vec<crate::report::ReportFile>,
    /// The exhibits reported on, when not all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) exhibits: Option<Vec<String>>,
    /// The verification verdict the report states.
    pub(crate) verification: String,
    pub(crate) warden_version: String,
    pub(crate) executable_sha256: Option<String>,
    /// The command line as typed.
    pub(crate) arguments: Vec<String>,
}

/// `details` of an `export` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ExportDetails {
    /// `wacz`, `case-uco` or `bag`.
    pub(crate) format: String,
    /// The file written, as given.
    pub(crate) file: String,
    pub(crate) sha256: String,
    pub(crate) bytes: u64,
    pub(crate) warden_version: String,
    /// The command line as typed.
    pub(crate) arguments: Vec<String>,
}

/// `details` of a `verify` event: what `warden verify` found, on the log
/// as it was before this event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct VerifyDetails {
    /// `verified`, `failed` or `nothing-to-verify`.
    pub(crate) verdict: String,
    pub(crate) bundles: u64,
    pub(crate) custody_events: u64,
    pub(crate) problems: u64,
    pub(crate) warden_version: String,
    /// The command line as typed.
    pub(crate) arguments: Vec<String>,
}

/// `details` of a `merge` event: the events a copy of the case added after
/// the last event it shares with this log, carried exactly as the copy's
/// officers signed them, and the bundles of their captures brought in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MergeDetails {
    /// The copy as the lead officer named it (a folder or a zip).
    pub(crate) source: String,
    /// The copy's case fingerprint: this case's.
    pub(crate) source_fingerprint: String,
    /// The sequence number of the last event the copy shares with this log;
    /// the first carried line chains onto it.
    pub(crate) fork_seq: u64,
    /// The copy's lines after `fork_seq`, in order, each exactly as written
    /// there (without its newline).
    pub(crate) carried: Vec<String>,
    /// The bundles brought into `evidence/`: each recorded by a carried
    /// `capture` event, in the order of those events.
    pub(crate) bundles: Vec<String>,
}

/// `details` of a `log-repaired` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LogRepairedDetails {
    /// Number of bytes after the last complete line that were cut off.
    pub(crate) torn_bytes: u64,
    /// Their SHA-256.
    pub(crate) torn_sha256: String,
    /// The bytes themselves (standard base64) when at most
    /// [`super::MAX_KEPT_TORN_BYTES`]; otherwise absent.
    pub(crate) torn_base64: Option<String>,
    /// Sequence number of the last complete event before the cut.
    pub(crate) after_seq: u64,
    /// The head this computer's witness had recorded for the case folder
    /// when the line was cut, if it had one: equal to `after_seq` when the
    /// cut bytes followed the last event this computer wrote (so they were
    /// never a whole event). Absent when no witness vouched for it.
    #[serde(default)]
    pub(crate) witnessed_seq: Option<u64>,
    #[serde(default)]
    pub(crate) witnessed_line_sha256: Option<String>,
}

/// Serialises and signs an event; returns the line including its newline.
pub(crate) fn sign_line(body: &EventBody, key: &OfficerKey) -> Vec<u8> {
    let bytes = serde_json::to_vec(body).expect("event serialises");
    let sig = key.sign(&bytes);
    let b64 = base64::engine::general_purpose::STANDARD.encode(sig.to_bytes());
    let mut line = bytes;
    line.pop(); // the closing brace
    line.extend_from_slice(format!(",\"sig\":\"{b64}\"}}\n").as_bytes());
    line
}
