//! The officer request: what `warden case join` prints on a colleague's
//! computer and `warden case add-officer --request FILE` reads on the lead
//! officer's. One typed struct for both, as TOML.

use super::{CaseError, Role};
use crate::hash::sha256_hex;
use crate::keys::{self, OfficerKey};
use crate::text::one_line;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Largest request file read, in bytes (a request is a few hundred).
pub const MAX_REQUEST: u64 = 64 * 1024;

/// A colleague's request to be registered as an officer of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficerRequest {
    /// The name as it should appear in the record.
    pub officer: String,
    /// The role asked for; the lead officer decides by registering it.
    pub role: Role,
    /// Standard base64 of the 32-byte Ed25519 public key.
    pub public_key: String,
    /// Lowercase hex SHA-256 of the 32 key bytes, for reading out over the
    /// telephone: a key mangled in the copy no longer matches it.
    pub key_fingerprint: String,
}

/// Why a request cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("{path}: not an officer request ({detail}); give the file `warden case join` wrote")]
    Malformed { path: PathBuf, detail: String },
    #[error(
        "{0}: its public key is not an Ed25519 public key; the request was damaged in the copy, ask for it again"
    )]
    BadKey(PathBuf),
    #[error(
        "{0}: the key fingerprint does not match the public key; the request was damaged or changed in the copy, ask for it again"
    )]
    Fingerprint(PathBuf),
    #[error("{0}: the officer's name is empty")]
    NoName(PathBuf),
}

impl From<RequestError> for CaseError {
    fn from(e: RequestError) -> Self {
        CaseError::Refused(e.to_string())
    }
}

/// The key fingerprint of a base64 public key, if it is one.
pub fn key_fingerprint(public_b64: &str) -> Option<String> {
    keys::parse_public_key_b64(public_b64).map(|k| sha256_hex(k.as_bytes()))
}

impl OfficerRequest {
    /// The request of the officer holding `key`.
    pub fn new(officer: &str, role: Role, key: &OfficerKey) -> Result<Self, CaseError> {
        let officer = one_line(officer);
        if officer.is_empty() {
            return Err(CaseError::EmptyField { field: "--officer" });
        }
        let public_key = key.public_b64();
        let key_fingerprint =
            key_fingerprint(&public_key).expect("an officer key's public half parses");
        Ok(OfficerRequest {
            officer,
            role,
            public_key,
            key_fingerprint,
        })
    }

    /// The request as written: comments saying who does what, then TOML.
    pub fn render(&self) -> String {
        let body = toml::to_string(self).expect("a request serialises");
        format!(
            "# warden officer request. Give this file (or paste this text) to the\n\
             # case's lead officer, who registers you on their computer with\n\
             #   warden case add-officer --request FILE\n\
             # Read the key fingerprint out to them over a separate channel (the\n\
             # telephone) so that they know the key is yours.\n{body}"
        )
    }

    /// Writes the request to `path`, which must not exist (an existing
    /// file is never overwritten); a half-written file is removed.
    pub fn write_new(&self, path: &Path) -> std::io::Result<()> {
        let r = crate::fsutil::write_new_synced(path, self.render().as_bytes());
        if let Err(e) = &r
            && e.kind() != std::io::ErrorKind::AlreadyExists
        {
            let _ = std::fs::remove_file(path);
        }
        r
    }

    /// Parses a request read from `path`; checks the key and that the
    /// fingerprint matches it.
    pub fn parse(path: &Path, text: &str) -> Result<Self, RequestError> {
        let r: OfficerRequest = toml::from_str(text).map_err(|e| {
            let detail = match e.span() {
                Some(span) => {
                    let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                    format!("line {line}: {}", one_line(e.message()))
                }
                None => one_line(e.message()),
            };
            RequestError::Malformed {
                path: path.to_path_buf(),
                detail,
            }
        })?;
        if one_line(&r.officer).is_empty() {
            return Err(RequestError::NoName(path.to_path_buf()));
        }
        let Some(fingerprint) = key_fingerprint(r.public_key.trim()) else {
            return Err(RequestError::BadKey(path.to_path_buf()));
        };
        if !fingerprint.eq_ignore_ascii_case(r.key_fingerprint.trim()) {
            return Err(RequestError::Fingerprint(path.to_path_buf()));
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> (tempfile::TempDir, OfficerRequest) {
        let dir = tempfile::tempdir().unwrap();
        let key = OfficerKey::load_or_create(&dir.path().join("k.pem")).unwrap();
        let r = OfficerRequest::new("Ana Silva", Role::Member, &key).unwrap();
        (dir, r)
    }

    #[test]
    fn a_rendered_request_parses_back_to_itself() {
        let (_d, r) = request();
        let back = OfficerRequest::parse(Path::new("r.toml"), &r.render()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn a_changed_key_or_fingerprint_is_refused() {
        let (_d, r) = request();
        let text = r.render();
        let flip = |s: &str| {
            let c = s.chars().nth(3).unwrap();
            let other = if c == 'a' { 'b' } else { 'a' };
            format!("{}{}{}", &s[..3], other, &s[4..])
        };
        let bad_fp = text.replace(&r.key_fingerprint, &flip(&r.key_fingerprint));
        assert!(matches!(
            OfficerRequest::parse(Path::new("r"), &bad_fp),
            Err(RequestError::Fingerprint(_))
        ));
        let bad_key = text.replace(&r.public_key, &flip(&r.public_key));
        assert!(matches!(
            OfficerRequest::parse(Path::new("r"), &bad_key),
            Err(RequestError::Fingerprint(_) | RequestError::BadKey(_))
        ));
        assert!(matches!(
            OfficerRequest::parse(Path::new("r"), "officer = 1"),
            Err(RequestError::Malformed { .. })
        ));
    }
}
