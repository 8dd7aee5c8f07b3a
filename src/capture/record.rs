//! `data/capture.json`: the capture record, one typed struct written by
//! [`super::metadata`] and read back by `warden verify` and `warden sweep`.
//! The fields, in this order, are specified in `docs/bundle-format.md`
//! (section 4). Fields added after the first release are optional or have a
//! default, so older records still read.

use super::metadata::{Environment, ToolInfo};
use super::policy::{AddrClass, Refusal};
use super::tls::{TlsRecord, TrustedRoot};
use serde::{Deserialize, Serialize};

/// The value of `format`.
pub(crate) const FORMAT: &str = "warden-capture/1";

/// Largest `capture.json` a reader takes.
pub(crate) const MAX_RECORD_BYTES: u64 = 64 << 20;

/// The server a hop was answered by.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Server {
    pub ip: String,
    pub port: u16,
}

/// One redirect of the chain.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Redirect {
    pub url: String,
    pub status: u16,
    pub location: Option<String>,
}

/// One request/response exchange.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct HopRecord {
    pub url: String,
    pub started_at: String,
    pub response_at: Option<String>,
    pub ended_at: String,
    pub http_status: Option<u16>,
    #[serde(default)]
    pub informational_responses: Vec<String>,
    #[serde(default)]
    pub headers: Vec<[String; 2]>,
    #[serde(default)]
    pub resolved_addresses: Vec<String>,
    pub server: Option<Server>,
    #[serde(default)]
    pub address_class: Option<AddrClass>,
    #[serde(default)]
    pub refused: Option<Refusal>,
    pub via_proxy: bool,
    pub tls: Option<TlsRecord>,
    pub request_bytes: usize,
    pub response_bytes: u64,
    pub body_bytes: u64,
    pub truncated: Option<String>,
    pub error: Option<String>,
    pub warc_request_record_id: Option<String>,
    pub warc_response_record_id: Option<String>,
}

/// The page file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PageRecord {
    pub file: String,
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub size: u64,
    pub charset: Option<String>,
    pub charset_source: Option<String>,
}

/// The visible-text file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TextRecord {
    pub file: String,
    pub size: u64,
    pub invalid_byte_sequences_replaced: bool,
}

/// One payload file and its SHA-256.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FileRecord {
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

/// The settings the capture ran with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Settings {
    pub timeout_secs: f64,
    pub max_time_secs: f64,
    pub max_bytes: u64,
    pub accept_invalid_certs: bool,
    pub tsa: Option<String>,
    pub max_redirects: usize,
    #[serde(default)]
    pub allow_private: bool,
    #[serde(default)]
    pub min_rate: u64,
    #[serde(default)]
    pub min_rate_time_secs: f64,
    #[serde(default)]
    pub per_host: usize,
    #[serde(default)]
    pub extra_trust_roots: Vec<TrustedRoot>,
}

/// A `--cookies` session, without a single value.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SessionRecord {
    pub cookie_file: String,
    pub cookie_names: Vec<String>,
    pub note: String,
}

/// `data/capture.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CaptureRecord {
    pub format: String,
    pub capture_id: String,
    pub case_id: String,
    pub case_title: String,
    pub agency: String,
    pub officer: String,
    pub officer_public_key: String,
    pub note: Option<String>,
    pub status: String,
    pub error: Option<String>,
    /// What the officer must look at (a nearly empty page, a login page).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub requested_url: String,
    pub final_url: String,
    pub http_status: Option<u16>,
    pub redirects: Vec<Redirect>,
    pub server: Option<Server>,
    pub tls: Option<TlsRecord>,
    pub started_at: String,
    pub ended_at: String,
    pub hops: Vec<HopRecord>,
    pub environment: Environment,
    pub tool: ToolInfo,
    pub settings: Settings,
    pub truncated: bool,
    pub transformations: Vec<String>,
    pub page: Option<PageRecord>,
    pub text: Option<TextRecord>,
    /// The logged-in session used (`--cookies`), without cookie values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionRecord>,
    /// The browser part of a `--browser` capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<super::browser::BrowserRecord>,
    pub files: Vec<FileRecord>,
    pub files_note: String,
}

impl CaptureRecord {
    /// Reads a record from the bytes of `capture.json`.
    pub(crate) fn from_json(bytes: &[u8]) -> Result<CaptureRecord, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The record as written to `capture.json` (pretty JSON).
    pub(crate) fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("the capture record serialises")
    }
}
