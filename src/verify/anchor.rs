//! What anchors a case: the fingerprint the verifier expects, the keys the
//! verifier trusts, or nothing (the case declares its own keys).

use super::{Problem, Report, VerifyError};
use crate::keys;
use serde::Serialize;

/// One key that signed something in a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signer {
    pub officer: String,
    pub public_key: String,
}

/// How a case was anchored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Anchoring {
    /// Its fingerprint is one the verifier gave (--expect-fingerprint).
    Fingerprint,
    /// Every signature is by a key the verifier gave (--trust-key).
    TrustedKeys,
    /// Nothing outside the case vouches for it: it declares its own keys.
    SelfDeclared,
    /// An anchor was given and the case does not meet it (see problems).
    Failed,
}

/// One case that was checked.
#[derive(Debug, Clone, Serialize)]
pub struct CaseSummary {
    pub path: String,
    pub case_id: Option<String>,
    pub fingerprint: Option<String>,
    pub anchoring: Anchoring,
    /// Every key that signed a custody line or a bundle, with its officer.
    pub signers: Vec<Signer>,
}

/// Checks and normalises `--trust-key` values.
pub(super) fn parse_trust_keys(keys_in: &[String]) -> Result<Vec<String>, VerifyError> {
    keys_in
        .iter()
        .map(|k| {
            let k = k.trim();
            keys::parse_public_key_b64(k)
                .map(|pk| keys::public_key_b64(&pk))
                .ok_or_else(|| VerifyError::BadTrustKey(k.to_string()))
        })
        .collect()
}

/// Checks and normalises `--expect-fingerprint` values (64 hex digits,
/// optionally prefixed `sha256:`, any letter case, spaces and colons
/// between groups ignored).
pub(super) fn parse_fingerprints(fps: &[String]) -> Result<Vec<String>, VerifyError> {
    fps.iter()
        .map(|f| {
            let t = f.trim();
            let t = t
                .strip_prefix("sha256:")
                .or_else(|| t.strip_prefix("SHA256:"))
                .unwrap_or(t);
            let hex: String = t
                .chars()
                .filter(|c| !matches!(c, ' ' | ':'))
                .collect::<String>()
                .to_ascii_lowercase();
            if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(hex)
            } else {
                Err(VerifyError::BadFingerprint(f.clone()))
            }
        })
        .collect()
}

/// Every fingerprint the verifier expects must belong to a case verified.
pub(super) fn check_expected_fingerprints(expected: &[String], report: &mut Report) {
    for fp in expected {
        if !report
            .cases
            .iter()
            .any(|c| c.fingerprint.as_deref() == Some(fp.as_str()))
        {
            report.problems.push(Problem {
                path: "--expect-fingerprint".into(),
                message: format!(
                    "no case with fingerprint {fp} was verified (a lone bundle has no fingerprint; verify the whole case)"
                ),
            });
        }
    }
}

/// Decides how the case is anchored and reports every signature that an
/// anchor the verifier gave does not cover.
pub(super) fn anchor_case(
    fingerprint: Option<&str>,
    signers: &[Signer],
    trust: &[String],
    expected: &[String],
    mut problem: impl FnMut(String),
) -> Anchoring {
    let mut failed = false;
    if !expected.is_empty() {
        match fingerprint {
            Some(fp) if expected.iter().any(|e| e == fp) => {}
            Some(fp) => {
                failed = true;
                problem(format!(
                    "this case's fingerprint is {fp}, which is not the fingerprint you expect (--expect-fingerprint): it is another case, or a case made again under the same id and officer names"
                ));
            }
            None => {
                failed = true;
                problem("this case has no fingerprint (its custody log has no first line), so it cannot be the case you expect".into());
            }
        }
    }
    if !trust.is_empty() {
        for s in signers {
            if !trust.contains(&s.public_key) {
                failed = true;
                problem(format!(
                    "signed by key {} (officer {:?}), which is not one of the keys you trust (--trust-key)",
                    s.public_key, s.officer
                ));
            }
        }
    }
    match (failed, expected.is_empty(), trust.is_empty()) {
        (true, _, _) => Anchoring::Failed,
        (false, false, _) => Anchoring::Fingerprint,
        (false, true, false) => Anchoring::TrustedKeys,
        (false, true, true) => Anchoring::SelfDeclared,
    }
}
