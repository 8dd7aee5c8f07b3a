//! TLS for evidentiary fetches: a rustls verifier that records the server's
//! certificate chain and the verification result of the very connection that
//! delivers the page.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::Serialize;
use std::sync::{Arc, Mutex, OnceLock};

/// One certificate as recorded in `capture.json`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct CertRecord {
    pub pem: String,
    /// Lowercase hex SHA-256 of the DER certificate.
    pub sha256: String,
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
}

/// What the TLS handshake established.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TlsRecord {
    pub version: String,
    pub cipher: String,
    pub alpn: Option<String>,
    /// Whether the chain verified against the trusted roots for this host.
    pub verified: bool,
    pub verification_error: Option<String>,
    /// True when `--accept-invalid-certs` let an unverified chain through.
    pub accepted_invalid: bool,
    /// The chain exactly as the server sent it, leaf first.
    pub certificate_chain: Vec<CertRecord>,
}

/// The trusted roots (the operating system's store), loaded once.
pub fn system_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut store = RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                let _ = store.add(cert);
            }
            Arc::new(store)
        })
        .clone()
}

/// Why a `--ca-cert` file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CaCertError {
    #[error("--ca-cert {path}: cannot read it: {source}")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("--ca-cert {path}: not a PEM certificate file ({detail})")]
    NotPem {
        path: std::path::PathBuf,
        detail: String,
    },
    #[error("--ca-cert {path}: holds no certificate (expected -----BEGIN CERTIFICATE-----)")]
    Empty { path: std::path::PathBuf },
    #[error("--ca-cert {path}: certificate {index} cannot be used as a trust root: {detail}")]
    Unusable {
        path: std::path::PathBuf,
        index: usize,
        detail: String,
    },
}

/// A certificate the officer added to the trusted roots, as recorded in
/// `capture.json`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TrustedRoot {
    pub file: String,
    pub subject: String,
    /// Lowercase hex SHA-256 of the DER certificate.
    pub sha256: String,
}

/// The operating system's roots plus every certificate in the PEM files
/// `paths` (an agency's own certificate authority, say).
pub fn roots_with_ca_files(
    paths: &[std::path::PathBuf],
) -> Result<(RootCertStore, Vec<TrustedRoot>), CaCertError> {
    use rustls::pki_types::pem::PemObject;
    let mut store = (*system_roots()).clone();
    let mut added = Vec::new();
    for path in paths {
        let bytes = std::fs::read(path).map_err(|source| CaCertError::Read {
            path: path.clone(),
            source,
        })?;
        let mut count = 0;
        for (i, cert) in CertificateDer::pem_slice_iter(&bytes).enumerate() {
            let cert = cert.map_err(|e| CaCertError::NotPem {
                path: path.clone(),
                detail: e.to_string(),
            })?;
            let described = describe_cert(&cert);
            store.add(cert).map_err(|e| CaCertError::Unusable {
                path: path.clone(),
                index: i + 1,
                detail: e.to_string(),
            })?;
            added.push(TrustedRoot {
                file: path.display().to_string(),
                subject: described.subject,
                sha256: described.sha256,
            });
            count += 1;
        }
        if count == 0 {
            return Err(CaCertError::Empty { path: path.clone() });
        }
    }
    Ok((store, added))
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Why the server's certificate chain did not verify (recorded in
/// `capture.json` as `verification_error`).
#[derive(Debug, Clone, thiserror::Error)]
pub enum CertProblem {
    #[error("no trusted root certificates are installed on this computer")]
    NoRoots,
    #[error(transparent)]
    Rejected(rustls::Error),
}

/// Verifier that delegates to webpki, records the outcome, and (only when
/// asked to) accepts chains that fail verification.
#[derive(Debug)]
pub struct RecordingVerifier {
    inner: Option<Arc<rustls::client::WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
    accept_invalid: bool,
    outcome: Mutex<Option<Result<(), CertProblem>>>,
    presented: Mutex<Vec<CertificateDer<'static>>>,
}

impl RecordingVerifier {
    pub fn new(roots: Arc<RootCertStore>, accept_invalid: bool) -> Arc<Self> {
        let provider = provider();
        let inner = if roots.is_empty() {
            None
        } else {
            rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .ok()
        };
        Arc::new(RecordingVerifier {
            inner,
            algorithms: provider.signature_verification_algorithms,
            accept_invalid,
            outcome: Mutex::new(None),
            presented: Mutex::new(Vec::new()),
        })
    }

    /// `None` if no certificate was seen; `Some(Ok)` if it verified.
    pub fn outcome(&self) -> Option<Result<(), CertProblem>> {
        self.outcome.lock().expect("verifier lock").clone()
    }

    /// The chain the server presented (leaf first), even if the handshake
    /// then failed.
    pub fn presented(&self) -> Vec<CertificateDer<'static>> {
        self.presented.lock().expect("verifier lock").clone()
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        {
            let mut chain = self.presented.lock().expect("verifier lock");
            chain.clear();
            chain.push(end_entity.clone().into_owned());
            chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        }
        let result = match &self.inner {
            None => Err(CertProblem::NoRoots),
            Some(v) => v
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map(|_| ())
                .map_err(CertProblem::Rejected),
        };
        *self.outcome.lock().expect("verifier lock") = Some(result.clone());
        match result {
            Ok(()) => Ok(ServerCertVerified::assertion()),
            Err(_) if self.accept_invalid => Ok(ServerCertVerified::assertion()),
            Err(e) => Err(rustls::Error::General(format!(
                "the server's certificate is not trusted: {e}"
            ))),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A client configuration for one connection: HTTP/1.1 only, no session
/// resumption (so every capture sees a full handshake and the whole chain).
pub fn client_config(verifier: Arc<RecordingVerifier>) -> Arc<rustls::ClientConfig> {
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    cfg.resumption = rustls::client::Resumption::disabled();
    Arc::new(cfg)
}

/// Describes a certificate for `capture.json`.
pub fn describe_cert(der: &[u8]) -> CertRecord {
    use base64::Engine;
    use der::Decode;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    let (subject, issuer, not_before, not_after) = match x509_cert::Certificate::from_der(der) {
        Ok(c) => (
            c.tbs_certificate.subject.to_string(),
            c.tbs_certificate.issuer.to_string(),
            c.tbs_certificate.validity.not_before.to_string(),
            c.tbs_certificate.validity.not_after.to_string(),
        ),
        Err(e) => {
            let s = format!("(unparsable certificate: {e})");
            (s.clone(), s.clone(), s.clone(), s)
        }
    };
    CertRecord {
        pem,
        sha256: crate::hash::sha256_hex(der),
        subject,
        issuer,
        not_before,
        not_after,
    }
}
