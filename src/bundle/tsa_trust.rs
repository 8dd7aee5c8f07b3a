//! Checking a time-stamp token's signature and its signer's certificate
//! chain against the trust anchors given with `--tsa-ca`.
//!
//! Checks: the token's CMS SignedData has one signer whose certificate it
//! carries; its signed attributes carry contentType id-ct-TSTInfo and a
//! messageDigest equal to the digest of the TSTInfo; the signature over the
//! DER of the signed attributes verifies with the signer certificate's key;
//! that certificate has a critical extendedKeyUsage (RFC 3161, 2.3); and
//! rustls-webpki builds a path from it (through certificates carried in the
//! token) to an anchor, every certificate valid at the token's genTime, the
//! TSA certificate's extendedKeyUsage holding id-kp-timeStamping and no CA's
//! extendedKeyUsage (where present) excluding it.

use super::timestamp::Token;
use cms::signed_data::SignerIdentifier;
use der::asn1::{ObjectIdentifier as Oid, OctetString};
use der::{Decode, Encode};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, UnixTime};
use std::path::{Path, PathBuf};
use x509_cert::Certificate;

const ID_CT_TSTINFO: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.4");
const ID_CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
const SUBJECT_KEY_ID: Oid = Oid::new_unwrap("2.5.29.14");
const EXT_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.37");
const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");
const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
const ECDSA_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
const RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
const RSA_SHA256: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
const RSA_SHA384: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
const RSA_SHA512: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
const ED25519: Oid = Oid::new_unwrap("1.3.101.112");
/// id-kp-timeStamping (1.3.6.1.5.5.7.3.8), DER content bytes.
const KP_TIME_STAMPING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];
/// Most bytes read from a `--tsa-ca` file.
const ANCHOR_FILE_MAX: u64 = 4 << 20;

/// A `--tsa-ca` file that cannot serve as trust anchors.
#[derive(Debug, thiserror::Error)]
#[error("--tsa-ca {}: {problem}", path.display())]
pub struct TsaCaError {
    pub path: PathBuf,
    pub problem: AnchorProblem,
}

/// What is wrong with a set of trust anchors.
#[derive(Debug, thiserror::Error)]
pub enum AnchorProblem {
    #[error("cannot be read: {0}")]
    Read(std::io::Error),
    #[error(
        "holds no certificate (expected the time-stamp authority's CA certificate, PEM `-----BEGIN CERTIFICATE-----` or DER)"
    )]
    NoCertificate,
    #[error("a PEM certificate block is malformed ({0})")]
    Pem(String),
    #[error("a certificate cannot serve as a trust anchor ({0})")]
    Certificate(webpki::Error),
}

/// Why a token does not verify against the anchors.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TrustError {
    #[error("{0}")]
    Anchors(AnchorProblem),
    #[error("the token has {0} signers; exactly one is expected")]
    Signers(usize),
    #[error("the token's signer has no signed attributes")]
    NoSignedAttributes,
    #[error("the signed contentType attribute is not id-ct-TSTInfo")]
    ContentType,
    #[error("the token's signer has no messageDigest attribute")]
    NoMessageDigest,
    #[error("unsupported digest algorithm {0}")]
    Digest(Oid),
    #[error("the signed messageDigest does not match the TSTInfo: the token was altered")]
    MessageDigest,
    #[error("the token does not carry its signer's certificate (request it with certReq)")]
    NoSignerCertificate,
    #[error("cannot re-encode {0}")]
    Encode(der::Error),
    #[error("the signing certificate cannot be read ({0})")]
    SignerCertificate(webpki::Error),
    #[error("unsupported signature algorithm {alg} with digest {digest}")]
    SignatureAlgorithm { alg: Oid, digest: Oid },
    #[error("the time-stamp authority's signature does not verify ({0})")]
    Signature(webpki::Error),
    #[error("the signing certificate ({0}) lacks the critical extendedKeyUsage timeStamping")]
    NotCritical(String),
    #[error(
        "a certificate of the time-stamp authority's chain (from {subject}) was not valid at the token's time, {at}"
    )]
    NotValidAt { subject: String, at: String },
    #[error(
        "the time-stamp authority's certificate ({subject}) does not chain to the given --tsa-ca for time-stamping at the token's time ({error:?})"
    )]
    Chain {
        subject: String,
        error: webpki::Error,
    },
}

/// Reads a `--tsa-ca` file and checks that it holds at least one usable
/// certificate; returns its bytes.
pub(crate) fn read_anchor_file(path: &Path) -> Result<Vec<u8>, TsaCaError> {
    let err = |problem| TsaCaError {
        path: path.to_path_buf(),
        problem,
    };
    let bytes = crate::fsutil::read_capped_following(path, ANCHOR_FILE_MAX)
        .map_err(|e| err(AnchorProblem::Read(e)))?;
    let certs = parse_anchors(&bytes).map_err(err)?;
    for der in &certs {
        webpki::anchor_from_trusted_cert(der).map_err(|e| err(AnchorProblem::Certificate(e)))?;
    }
    Ok(bytes)
}

/// Every certificate in a PEM file (or one DER certificate).
pub(crate) fn parse_anchors(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, AnchorProblem> {
    let is_pem = bytes.windows(11).any(|w| w == b"-----BEGIN ");
    let certs: Vec<CertificateDer<'static>> = if is_pem {
        CertificateDer::pem_slice_iter(bytes)
            .collect::<Result<_, _>>()
            .map_err(|e| AnchorProblem::Pem(e.to_string()))?
    } else if Certificate::from_der(bytes).is_ok() {
        vec![CertificateDer::from(bytes.to_vec())]
    } else {
        Vec::new()
    };
    if certs.is_empty() {
        return Err(AnchorProblem::NoCertificate);
    }
    Ok(certs)
}

fn digest(alg: &Oid, data: &[u8]) -> Result<Vec<u8>, TrustError> {
    use sha2::Digest;
    Ok(match *alg {
        SHA256 => sha2::Sha256::digest(data).to_vec(),
        SHA384 => sha2::Sha384::digest(data).to_vec(),
        SHA512 => sha2::Sha512::digest(data).to_vec(),
        other => return Err(TrustError::Digest(other)),
    })
}

/// The webpki algorithms a CMS signer may mean by `sig_alg` with
/// `digest_alg` (CMS often names only the key type, e.g. rsaEncryption).
fn cms_algorithms(
    sig_alg: &Oid,
    digest_alg: &Oid,
) -> Vec<&'static dyn SignatureVerificationAlgorithm> {
    use webpki::ring as w;
    match (*sig_alg, *digest_alg) {
        (ECDSA_SHA256, _) | (EC_PUBLIC_KEY, SHA256) => {
            vec![w::ECDSA_P256_SHA256, w::ECDSA_P384_SHA256]
        }
        (ECDSA_SHA384, _) | (EC_PUBLIC_KEY, SHA384) => {
            vec![w::ECDSA_P384_SHA384, w::ECDSA_P256_SHA384]
        }
        (RSA_SHA256, _) | (RSA, SHA256) => vec![w::RSA_PKCS1_2048_8192_SHA256],
        (RSA_SHA384, _) | (RSA, SHA384) => vec![w::RSA_PKCS1_2048_8192_SHA384],
        (RSA_SHA512, _) | (RSA, SHA512) => vec![w::RSA_PKCS1_2048_8192_SHA512],
        (ED25519, _) => vec![w::ED25519],
        _ => vec![],
    }
}

fn has_critical_eku(cert: &Certificate) -> bool {
    cert.tbs_certificate
        .extensions
        .as_ref()
        .and_then(|exts| exts.iter().find(|e| e.extn_id == EXT_KEY_USAGE))
        .is_some_and(|e| e.critical)
}

/// Checks `token` against the trust anchors in `anchors` (PEM or DER).
pub(crate) fn verify_token(token: &Token, anchors: &[u8]) -> Result<(), TrustError> {
    let anchor_ders = parse_anchors(anchors).map_err(TrustError::Anchors)?;
    let anchors = anchor_ders
        .iter()
        .map(|d| {
            webpki::anchor_from_trusted_cert(d)
                .map(|a| a.to_owned())
                .map_err(|e| TrustError::Anchors(AnchorProblem::Certificate(e)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let sd = &token.signed_data;
    let signers: Vec<_> = sd.signer_infos.0.iter().collect();
    if signers.len() != 1 {
        return Err(TrustError::Signers(signers.len()));
    }
    let si = signers[0];
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or(TrustError::NoSignedAttributes)?;
    let attr = |oid: Oid| attrs.iter().find(|a| a.oid == oid);
    let ct = attr(ID_CONTENT_TYPE)
        .and_then(|a| a.values.iter().next())
        .and_then(|v| v.decode_as::<Oid>().ok());
    if ct != Some(ID_CT_TSTINFO) {
        return Err(TrustError::ContentType);
    }
    let md = attr(ID_MESSAGE_DIGEST)
        .and_then(|a| a.values.iter().next())
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .ok_or(TrustError::NoMessageDigest)?;
    if md.as_bytes() != digest(&si.digest_alg.oid, &token.tst_der)?.as_slice() {
        return Err(TrustError::MessageDigest);
    }

    // The certificates carried in the token; the signer's among them.
    let carried: Vec<(Certificate, CertificateDer<'static>)> = sd
        .certificates
        .as_ref()
        .map(|set| {
            set.0
                .iter()
                .filter_map(|c| match c {
                    cms::cert::CertificateChoices::Certificate(c) => {
                        let der = c.to_der().ok()?;
                        Some((c.clone(), CertificateDer::from(der)))
                    }
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let (signer, signer_der) = carried
        .iter()
        .find(|(c, _)| match &si.sid {
            SignerIdentifier::IssuerAndSerialNumber(ias) => {
                c.tbs_certificate.issuer == ias.issuer
                    && c.tbs_certificate.serial_number == ias.serial_number
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => c
                .tbs_certificate
                .extensions
                .as_ref()
                .and_then(|exts| exts.iter().find(|e| e.extn_id == SUBJECT_KEY_ID))
                .and_then(|e| OctetString::from_der(e.extn_value.as_bytes()).ok())
                .is_some_and(|k| k.as_bytes() == ski.0.as_bytes()),
        })
        .ok_or(TrustError::NoSignerCertificate)?;
    let ee = webpki::EndEntityCert::try_from(signer_der).map_err(TrustError::SignerCertificate)?;

    // The CMS signature over the DER of the signed attributes.
    let signed_der = attrs.to_der().map_err(TrustError::Encode)?;
    let (alg, dig) = (si.signature_algorithm.oid, si.digest_alg.oid);
    let mut result = Err(TrustError::SignatureAlgorithm { alg, digest: dig });
    for candidate in cms_algorithms(&alg, &dig) {
        match ee.verify_signature(candidate, &signed_der, si.signature.as_bytes()) {
            Err(webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)) => continue,
            Err(e) => {
                result = Err(TrustError::Signature(e));
                break;
            }
            Ok(()) => {
                result = Ok(());
                break;
            }
        }
    }
    result?;

    let subject = signer.tbs_certificate.subject.to_string();
    if !has_critical_eku(signer) {
        return Err(TrustError::NotCritical(subject));
    }
    // The chain, at the token's time, for time-stamping.
    let intermediates: Vec<CertificateDer<'_>> = carried
        .iter()
        .filter(|(_, d)| d != signer_der)
        .map(|(_, d)| d.clone())
        .collect();
    ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &anchors,
        &intermediates,
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(token.gen_time_unix)),
        // webpki applies the usage to every certificate of the path, and CA
        // certificates rarely carry an extendedKeyUsage: "required if
        // present" for the path, plus the check above that the TSA's own
        // certificate has the (critical) extension, makes timeStamping
        // required for the TSA and allowed by every CA above it.
        webpki::KeyUsage::required_if_present(KP_TIME_STAMPING),
        None,
        None,
    )
    .map_err(|error| match error {
        webpki::Error::CertExpired { .. } | webpki::Error::CertNotValidYet { .. } => {
            TrustError::NotValidAt {
                subject,
                at: token.info.gen_time.clone(),
            }
        }
        error => TrustError::Chain { subject, error },
    })?;
    Ok(())
}
