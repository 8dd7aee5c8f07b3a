//! Officer signing keys: Ed25519, stored as PKCS#8 PEM with mode 0600.

use crate::fsutil;
use base64::Engine;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use std::path::{Path, PathBuf};

/// Errors while loading or creating a signing key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read signing key {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("signing key {path} is not a PKCS#8 PEM Ed25519 private key: {reason}")]
    Parse { path: PathBuf, reason: NotAKey },
    #[error(
        "signing key {path} is open to other users of this computer (mode {mode:03o}); a signing key must be private: run `chmod 600 {path}`"
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("cannot create signing key {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "no key file given and no user configuration directory is known; pass --key FILE or set WARDEN_KEY"
    )]
    NoConfigDir,
    #[error(
        "no signing key at {0}; check --key / WARDEN_KEY, or create your key with `warden key show`"
    )]
    NotFound(PathBuf),
    #[error("the operating system random generator failed: {0}")]
    Random(String),
}

/// The hint every [`NotAKey`] message ends with.
const KEY_HINT: &str = "expected the `-----BEGIN PRIVATE KEY-----` file that `warden key show` creates or `openssl genpkey -algorithm ed25519` writes";

/// What a key file holds instead of a PKCS#8 PEM Ed25519 private key.
#[derive(Debug, thiserror::Error)]
pub enum NotAKey {
    #[error("the file is larger than {KEY_FILE_MAX} bytes")]
    TooLarge,
    #[error("the file is not text (not UTF-8); {KEY_HINT}")]
    NotText,
    #[error("the file holds no PEM block; {KEY_HINT}")]
    NoPem,
    #[error("the PEM block is malformed ({0}); {KEY_HINT}")]
    MalformedPem(pem_rfc7468::Error),
    #[error("the file holds a PEM {label:?}, not a \"PRIVATE KEY\"; {KEY_HINT}")]
    OtherPem { label: String },
    #[error("the private key is not an Ed25519 key ({0}); {KEY_HINT}")]
    NotEd25519(ed25519_dalek::pkcs8::Error),
}

/// The default key location: `<config dir>/warden/officer-key.pem`.
pub fn default_key_path() -> Result<PathBuf, KeyError> {
    dirs::config_dir()
        .map(|d| d.join("warden").join("officer-key.pem"))
        .ok_or(KeyError::NoConfigDir)
}

/// An officer's signing key and where it came from.
pub struct OfficerKey {
    pub path: PathBuf,
    pub(crate) signing: SigningKey,
    /// True when this call created the key file.
    pub created: bool,
}

impl OfficerKey {
    /// A second handle on the same key, for a task that takes one by value
    /// (each capture run of a live sweep). Not `Clone`, so copies of the
    /// secret are never made by accident.
    pub(crate) fn duplicate(&self) -> OfficerKey {
        OfficerKey {
            path: self.path.clone(),
            signing: self.signing.clone(),
            created: false,
        }
    }

    /// Loads the key at `path`; never creates one (a mistyped path must not
    /// silently produce a new identity).
    pub fn load(path: &Path) -> Result<OfficerKey, KeyError> {
        if !path.exists() {
            return Err(KeyError::NotFound(path.to_path_buf()));
        }
        Self::load_or_create(path)
    }

    /// Loads the key at `path`, creating a new one (mode 0600) if the file
    /// does not exist.
    pub fn load_or_create(path: &Path) -> Result<OfficerKey, KeyError> {
        match read_private(path) {
            Ok(bytes) => {
                let signing = parse_private_key_pem(&bytes).map_err(|reason| KeyError::Parse {
                    path: path.to_path_buf(),
                    reason,
                })?;
                Ok(OfficerKey {
                    path: path.to_path_buf(),
                    signing,
                    created: false,
                })
            }
            Err(KeyError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                Self::create(path)
            }
            Err(e) => Err(e),
        }
    }

    fn create(path: &Path) -> Result<OfficerKey, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        let signing = SigningKey::from_bytes(&seed);
        let pem = signing
            .to_pkcs8_pem(Default::default())
            .map_err(|e| KeyError::Random(e.to_string()))?;
        let err = |source| KeyError::Create {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(err)?;
        }
        // Create with 0600 from the start so the secret is never world-readable.
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(err)?;
        use std::io::Write;
        f.write_all(pem.as_bytes()).map_err(err)?;
        f.sync_all().map_err(err)?;
        fsutil::restrict_to_owner(path).map_err(err)?;
        Ok(OfficerKey {
            path: path.to_path_buf(),
            signing,
            created: true,
        })
    }

    pub fn verifying(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// The public key as standard base64 of its 32 bytes (as in `case.toml`).
    pub fn public_b64(&self) -> String {
        public_key_b64(&self.verifying())
    }

    pub(crate) fn sign(&self, msg: &[u8]) -> Signature {
        self.signing.sign(msg)
    }
}

/// Most bytes read from a key file (a PKCS#8 PEM Ed25519 key is 119).
const KEY_FILE_MAX: u64 = 64 * 1024;

/// Reads a private key file, refusing one that other users can read.
fn read_private(path: &Path) -> Result<Vec<u8>, KeyError> {
    use std::io::Read;
    let read_err = |source| KeyError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = fsutil::open_regular(path).map_err(read_err)?;
    let md = file.metadata().map_err(read_err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = md.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::TooOpen {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    let mut bytes = Vec::new();
    file.take(KEY_FILE_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > KEY_FILE_MAX {
        return Err(KeyError::Parse {
            path: path.to_path_buf(),
            reason: NotAKey::TooLarge,
        });
    }
    Ok(bytes)
}

/// Parses a PKCS#8 PEM Ed25519 private key; the error says, in words, what
/// the file holds instead.
fn parse_private_key_pem(bytes: &[u8]) -> Result<SigningKey, NotAKey> {
    let text = std::str::from_utf8(bytes).map_err(|_| NotAKey::NotText)?;
    if !text.contains("-----BEGIN ") {
        return Err(NotAKey::NoPem);
    }
    let (label, der) =
        pem_rfc7468::decode_vec(text.trim().as_bytes()).map_err(NotAKey::MalformedPem)?;
    if label != "PRIVATE KEY" {
        return Err(NotAKey::OtherPem {
            label: label.to_string(),
        });
    }
    SigningKey::from_pkcs8_der(&der).map_err(NotAKey::NotEd25519)
}

/// Standard base64 of the 32 raw public key bytes.
pub(crate) fn public_key_b64(key: &VerifyingKey) -> String {
    base64::engine::general_purpose::STANDARD.encode(key.as_bytes())
}

/// Parses a base64 32-byte Ed25519 public key.
pub(crate) fn parse_public_key_b64(s: &str) -> Option<VerifyingKey> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
    let arr: [u8; 32] = bytes.try_into().ok()?;
    VerifyingKey::from_bytes(&arr).ok().filter(|k| !k.is_weak())
}

/// SubjectPublicKeyInfo PEM of a public key (readable by `openssl pkeyutl`).
pub fn public_key_pem(key: &VerifyingKey) -> String {
    key.to_public_key_pem(Default::default())
        .expect("encoding an Ed25519 public key cannot fail")
}

/// Parses a SubjectPublicKeyInfo PEM Ed25519 public key.
pub(crate) fn parse_public_key_pem(pem: &str) -> Option<VerifyingKey> {
    use ed25519_dalek::pkcs8::DecodePublicKey;
    VerifyingKey::from_public_key_pem(pem)
        .ok()
        .filter(|k| !k.is_weak())
}

/// Checks an Ed25519 signature.
pub(crate) fn verify_signature(key: &VerifyingKey, msg: &[u8], sig: &[u8]) -> bool {
    let Ok(arr) = <[u8; 64]>::try_from(sig) else {
        return false;
    };
    !key.is_weak() && key.verify_strict(msg, &Signature::from_bytes(&arr)).is_ok()
}
