//! Unit-test helpers: a new case and signed custody lines built by hand.

use super::event::{Action, EventBody, sign_line};
use crate::case::{Case, InitOptions};
use crate::hash::sha256_hex;
use crate::keys::OfficerKey;
use std::path::Path;

/// A new case "C-1" in `dir/case`, its first officer "Lead" holding `key`.
pub(crate) fn new_case(dir: &Path, key: &OfficerKey) -> Case {
    Case::init(
        &InitOptions {
            dir: dir.join("case"),
            case_id: "C-1".into(),
            title: "t".into(),
            agency: "a".into(),
            officer: "Lead".into(),
            witness_dir: None,
        },
        key,
    )
    .unwrap()
}

/// A signed line (ending in its newline) chained after `prev_line` (given
/// without its newline).
pub(crate) fn line(
    key: &OfficerKey,
    officer: &str,
    seq: u64,
    prev_line: &[u8],
    action: Action,
    bundle: Option<&str>,
    details: serde_json::Value,
) -> Vec<u8> {
    let body = EventBody {
        seq,
        time: crate::now_rfc3339(),
        officer: officer.into(),
        public_key: key.public_b64(),
        action,
        bundle: bundle.map(str::to_string),
        manifest_sha256: bundle.map(|_| "0".repeat(64)),
        details: Some(details),
        prev: sha256_hex(prev_line),
    };
    sign_line(&body, key)
}
