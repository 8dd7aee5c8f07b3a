//! Checking an RFC 3161 token's signature and its signer's certificate chain
//! against a trust anchor, in Rust (ring for the signature maths).
//!
//! Checks: the token's CMS SignedData has one signer; its signed attributes
//! carry contentType id-ct-TSTInfo and a messageDigest equal to the digest
//! of the TSTInfo; the signature over the DER of the signed attributes
//! verifies with the signer certificate's key; that certificate has the
//! critical extendedKeyUsage timeStamping; and a chain of certificate
//! signatures leads from it (through certificates carried in the token, if
//! needed) to a certificate in the trust-anchor file, every certificate being
//! valid at the token's time.

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::{ObjectIdentifier as Oid, OctetString};
use der::{Decode, Encode};
use x509_cert::Certificate;

const ID_CT_TSTINFO: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.4");
const ID_CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");
const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
const P256: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
const P384: Oid = Oid::new_unwrap("1.3.132.0.34");
const ECDSA_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
const RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
const RSA_SHA256: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
const RSA_SHA384: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
const RSA_SHA512: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
const ED25519: Oid = Oid::new_unwrap("1.3.101.112");
const EXT_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.37");
const KP_TIME_STAMPING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.8");
const BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");

/// Reads every certificate from a PEM file (or one DER certificate).
pub fn parse_anchors(bytes: &[u8]) -> Result<Vec<Certificate>, String> {
    let text = String::from_utf8_lossy(bytes);
    if !text.contains("-----BEGIN") {
        return Certificate::from_der(bytes)
            .map(|c| vec![c])
            .map_err(|e| format!("the trust anchor is neither PEM nor a DER certificate ({e})"));
    }
    let mut out = Vec::new();
    let mut rest: &str = &text;
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let after = &rest[start + 27..];
        let end = after
            .find("-----END CERTIFICATE-----")
            .ok_or("the trust anchor PEM has an unterminated certificate")?;
        let b64: String = after[..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        use base64::Engine;
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| format!("the trust anchor PEM is not valid base64 ({e})"))?;
        out.push(
            Certificate::from_der(&der)
                .map_err(|e| format!("a trust anchor certificate is malformed ({e})"))?,
        );
        rest = &after[end..];
    }
    if out.is_empty() {
        return Err("the trust anchor file holds no certificate".into());
    }
    Ok(out)
}

fn digest(alg: &Oid, data: &[u8]) -> Result<Vec<u8>, String> {
    use sha2::Digest;
    Ok(match *alg {
        SHA256 => sha2::Sha256::digest(data).to_vec(),
        SHA384 => sha2::Sha384::digest(data).to_vec(),
        SHA512 => sha2::Sha512::digest(data).to_vec(),
        other => return Err(format!("unsupported digest algorithm {other}")),
    })
}

/// Verifies `sig` over `msg` with the key of `cert`, for the signature
/// algorithm `sig_alg` (with `digest_alg` for algorithms that do not name
/// their digest, such as rsaEncryption in CMS).
fn verify_with(
    cert: &Certificate,
    sig_alg: &Oid,
    digest_alg: Option<&Oid>,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), String> {
    use ring::signature as s;
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let key = spki.subject_public_key.raw_bytes();
    let key_alg = spki.algorithm.oid;
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<Oid>().ok());
    let hash = match *sig_alg {
        ECDSA_SHA256 | RSA_SHA256 => Some(SHA256),
        ECDSA_SHA384 | RSA_SHA384 => Some(SHA384),
        ECDSA_SHA512 | RSA_SHA512 => Some(SHA512),
        _ => digest_alg.copied(),
    };
    let alg: &dyn s::VerificationAlgorithm = match (key_alg, curve, hash) {
        (EC_PUBLIC_KEY, Some(P256), Some(SHA256)) => &s::ECDSA_P256_SHA256_ASN1,
        (EC_PUBLIC_KEY, Some(P256), Some(SHA384)) => &s::ECDSA_P256_SHA384_ASN1,
        (EC_PUBLIC_KEY, Some(P384), Some(SHA256)) => &s::ECDSA_P384_SHA256_ASN1,
        (EC_PUBLIC_KEY, Some(P384), Some(SHA384)) => &s::ECDSA_P384_SHA384_ASN1,
        (RSA, _, Some(SHA256)) => &s::RSA_PKCS1_2048_8192_SHA256,
        (RSA, _, Some(SHA384)) => &s::RSA_PKCS1_2048_8192_SHA384,
        (RSA, _, Some(SHA512)) => &s::RSA_PKCS1_2048_8192_SHA512,
        (ED25519, _, _) => &s::ED25519,
        _ => {
            return Err(format!(
                "unsupported signature algorithm {sig_alg} with key type {key_alg}"
            ));
        }
    };
    s::UnparsedPublicKey::new(alg, key)
        .verify(msg, sig)
        .map_err(|_| "signature does not verify".to_string())
}

fn has_critical_timestamping(cert: &Certificate) -> bool {
    cert.tbs_certificate
        .extensions
        .as_ref()
        .and_then(|exts| exts.iter().find(|e| e.extn_id == EXT_KEY_USAGE))
        .is_some_and(|e| {
            e.critical
                && x509_cert::ext::pkix::ExtendedKeyUsage::from_der(e.extn_value.as_bytes())
                    .is_ok_and(|eku| eku.0.contains(&KP_TIME_STAMPING))
        })
}

fn is_ca(cert: &Certificate) -> bool {
    cert.tbs_certificate
        .extensions
        .as_ref()
        .and_then(|exts| exts.iter().find(|e| e.extn_id == BASIC_CONSTRAINTS))
        .and_then(|e| {
            x509_cert::ext::pkix::BasicConstraints::from_der(e.extn_value.as_bytes()).ok()
        })
        .is_some_and(|bc| bc.ca)
}

fn valid_at(cert: &Certificate, unix: u64) -> bool {
    let v = &cert.tbs_certificate.validity;
    let nb = v.not_before.to_unix_duration().as_secs();
    let na = v.not_after.to_unix_duration().as_secs();
    nb <= unix && unix <= na
}

fn subject_name(cert: &Certificate) -> String {
    cert.tbs_certificate.subject.to_string()
}

/// Checks the token in the DER `TimeStampResp` against `anchors_pem`.
pub fn verify_token(tsr: &[u8], anchors_pem: &[u8]) -> Result<(), String> {
    let anchors = parse_anchors(anchors_pem)?;
    let resp = x509_tsp::TimeStampResp::from_der(tsr)
        .map_err(|e| format!("not a DER RFC 3161 TimeStampResp ({e})"))?;
    let token: ContentInfo = resp
        .time_stamp_token
        .ok_or("the response holds no time-stamp token")?;
    let sd: SignedData = token
        .content
        .decode_as()
        .map_err(|e| format!("the token's SignedData is malformed ({e})"))?;
    if sd.encap_content_info.econtent_type != ID_CT_TSTINFO {
        return Err("the token does not hold a TSTInfo".into());
    }
    let tst_der = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or("the token has no content")?
        .decode_as::<OctetString>()
        .map_err(|e| format!("TSTInfo is not wrapped in an OCTET STRING ({e})"))?;
    let tst = x509_tsp::TstInfo::from_der(tst_der.as_bytes())
        .map_err(|e| format!("TSTInfo is malformed ({e})"))?;
    let gen_unix = tst.gen_time.to_unix_duration().as_secs();

    let signers: Vec<_> = sd.signer_infos.0.iter().collect();
    if signers.len() != 1 {
        return Err(format!(
            "the token has {} signers; exactly one is expected",
            signers.len()
        ));
    }
    let si = signers[0];
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or("the token's signer has no signed attributes")?;
    let attr = |oid: Oid| attrs.iter().find(|a| a.oid == oid);
    let ct = attr(ID_CONTENT_TYPE)
        .and_then(|a| a.values.iter().next())
        .and_then(|v| v.decode_as::<Oid>().ok());
    if ct != Some(ID_CT_TSTINFO) {
        return Err("the signed contentType attribute is not id-ct-TSTInfo".into());
    }
    let md = attr(ID_MESSAGE_DIGEST)
        .and_then(|a| a.values.iter().next())
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .ok_or("the token's signer has no messageDigest attribute")?;
    if md.as_bytes() != digest(&si.digest_alg.oid, tst_der.as_bytes())?.as_slice() {
        return Err(
            "the signed messageDigest does not match the TSTInfo: the token was altered".into(),
        );
    }

    // The signer's certificate, carried in the token.
    let carried: Vec<Certificate> = sd
        .certificates
        .as_ref()
        .map(|set| {
            set.0
                .iter()
                .filter_map(|c| match c {
                    cms::cert::CertificateChoices::Certificate(c) => Some(c.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let signer = carried
        .iter()
        .find(|c| match &si.sid {
            SignerIdentifier::IssuerAndSerialNumber(ias) => {
                c.tbs_certificate.issuer == ias.issuer
                    && c.tbs_certificate.serial_number == ias.serial_number
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => c
                .tbs_certificate
                .extensions
                .as_ref()
                .and_then(|exts| {
                    exts.iter()
                        .find(|e| e.extn_id == Oid::new_unwrap("2.5.29.14"))
                })
                .and_then(|e| OctetString::from_der(e.extn_value.as_bytes()).ok())
                .is_some_and(|k| k.as_bytes() == ski.0.as_bytes()),
        })
        .ok_or("the token does not carry its signer's certificate (request it with certReq)")?;

    let signed_der = attrs
        .to_der()
        .map_err(|e| format!("cannot re-encode the signed attributes ({e})"))?;
    verify_with(
        signer,
        &si.signature_algorithm.oid,
        Some(&si.digest_alg.oid),
        &signed_der,
        si.signature.as_bytes(),
    )
    .map_err(|e| format!("the time-stamp authority's signature: {e}"))?;
    if !has_critical_timestamping(signer) {
        return Err(format!(
            "the signing certificate ({}) lacks the critical extendedKeyUsage timeStamping",
            subject_name(signer)
        ));
    }

    // Chain to an anchor.
    let mut current = signer.clone();
    for _depth in 0..8 {
        if !valid_at(&current, gen_unix) {
            return Err(format!(
                "certificate {} was not valid at the time-stamp's time",
                subject_name(&current)
            ));
        }
        let tbs = current
            .tbs_certificate
            .to_der()
            .map_err(|e| format!("cannot re-encode a certificate ({e})"))?;
        let sig = current.signature.raw_bytes();
        let alg = current.signature_algorithm.oid;
        let issued_by = |issuer: &Certificate| {
            issuer.tbs_certificate.subject == current.tbs_certificate.issuer
                && verify_with(issuer, &alg, None, &tbs, sig).is_ok()
        };
        if anchors
            .iter()
            .any(|a| a == &current || (issued_by(a) && valid_at(a, gen_unix)))
        {
            return Ok(());
        }
        match carried
            .iter()
            .find(|c| *c != &current && is_ca(c) && issued_by(c))
        {
            Some(next) => current = next.clone(),
            None => {
                return Err(format!(
                    "the time-stamp authority's certificate ({}) does not chain to the given --tsa-ca",
                    subject_name(signer)
                ));
            }
        }
    }
    Err("the time-stamp certificate chain is too long".into())
}
