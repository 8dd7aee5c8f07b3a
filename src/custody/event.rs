//! One custody event: the typed line shared by the writer ([`super::append`])
//! and the checker ([`super::check_log`]).

use crate::keys::OfficerKey;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// What a custody event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// The first line: the case was created (signed by the first officer).
    CaseInit,
    /// An officer registered another officer's key.
    OfficerAdded,
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
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::CaseInit => "case-init",
            Action::OfficerAdded => "officer-added",
            Action::Capture => "capture",
            Action::Sweep => "sweep",
            Action::LogRepaired => "log-repaired",
            Action::CaptureRecovered => "capture-recovered",
            Action::CaptureInterrupted => "capture-interrupted",
        }
    }
}

/// The signed part of a line, in field order (the signature covers exactly
/// the JSON serialisation of this struct).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventBody {
    pub seq: u64,
    pub time: String,
    pub officer: String,
    pub public_key: String,
    pub action: Action,
    pub bundle: Option<String>,
    pub manifest_sha256: Option<String>,
    pub details: Option<serde_json::Value>,
    pub prev: String,
}

/// A parsed line: the body and its signature.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    #[serde(flatten)]
    pub body: EventBody,
    pub sig: String,
}

impl std::ops::Deref for Event {
    type Target = EventBody;
    fn deref(&self) -> &EventBody {
        &self.body
    }
}

impl Event {
    /// The details as the typed struct of this action, if they parse.
    pub fn details_as<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_value(self.body.details.clone()?).ok()
    }
}

/// `details` of a `case-init` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseInitDetails {
    pub case_id: String,
    /// SHA-256 of `case.toml` as created.
    pub case_toml_sha256: String,
    /// Title, agency and creation time as written to `case.toml` (absent in
    /// logs of warden 0.1.0 cases created before they were recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

/// `details` of an `officer-added` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OfficerAddedDetails {
    pub officer: String,
    pub public_key: String,
    /// SHA-256 of `case.toml` with the officer added.
    pub case_toml_sha256: String,
}

/// `details` of a `capture` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaptureDetails {
    pub url: String,
    pub final_url: Option<String>,
    pub status: String,
    pub http_status: Option<u16>,
    pub timestamped: bool,
    #[serde(default)]
    pub timestamp_sha256: Option<String>,
}

/// `details` of a `log-repaired` event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogRepairedDetails {
    /// Number of bytes after the last complete line that were cut off.
    pub torn_bytes: u64,
    /// Their SHA-256.
    pub torn_sha256: String,
    /// The bytes themselves (standard base64) when at most
    /// [`super::MAX_KEPT_TORN_BYTES`]; otherwise absent.
    pub torn_base64: Option<String>,
    /// Sequence number of the last complete event before the cut.
    pub after_seq: u64,
    /// The head this computer's witness had recorded for the case folder
    /// when the line was cut, if it had one: equal to `after_seq` when the
    /// cut bytes followed the last event this computer wrote (so they were
    /// never a whole event). Absent when no witness vouched for it.
    #[serde(default)]
    pub witnessed_seq: Option<u64>,
    #[serde(default)]
    pub witnessed_line_sha256: Option<String>,
}

/// Serialises and signs an event; returns the line including its newline.
pub fn sign_line(body: &EventBody, key: &OfficerKey) -> Vec<u8> {
    let bytes = serde_json::to_vec(body).expect("event serialises");
    let sig = key.sign(&bytes);
    let b64 = base64::engine::general_purpose::STANDARD.encode(sig.to_bytes());
    let mut line = bytes;
    line.pop(); // the closing brace
    line.extend_from_slice(format!(",\"sig\":\"{b64}\"}}\n").as_bytes());
    line
}
