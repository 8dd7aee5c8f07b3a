//! RFC 3161 time-stamp requests and responses (DER built and parsed with the
//! RustCrypto `der`/`cms`/`x509-tsp` crates).

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::asn1::{Int, OctetString};
use der::{Decode, Encode};
use spki_oid::SHA256_OID;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

mod spki_oid {
    use der::oid::ObjectIdentifier;
    pub(super) const SHA256_OID: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
    pub(super) const ID_CT_TSTINFO: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
    pub(super) const ID_SIGNED_DATA: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
}

/// Builds a DER `TimeStampReq` for a SHA-256 digest, asking for the TSA
/// certificate to be included.
pub(crate) fn build_request(sha256: &[u8; 32], nonce: u64) -> Vec<u8> {
    let req = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: sha256_alg(),
            hashed_message: OctetString::new(sha256.to_vec()).expect("32 bytes fit"),
        },
        req_policy: None,
        nonce: Some(int_from_u64(nonce)),
        cert_req: true,
        extensions: None,
    };
    req.to_der().expect("a time-stamp request always encodes")
}

fn sha256_alg() -> spki::AlgorithmIdentifier<der::Any> {
    spki::AlgorithmIdentifier {
        oid: SHA256_OID,
        parameters: Some(der::Any::null()),
    }
}

fn int_from_u64(n: u64) -> Int {
    let mut bytes = n.to_be_bytes().to_vec();
    while bytes.len() > 1 && bytes[0] == 0 && bytes[1] & 0x80 == 0 {
        bytes.remove(0);
    }
    if bytes[0] & 0x80 != 0 {
        bytes.insert(0, 0);
    }
    Int::new(&bytes).expect("valid integer encoding")
}

/// What a time-stamp token says.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct TokenInfo {
    pub gen_time: String,
    pub policy: String,
    pub serial_hex: String,
    pub hash_algorithm: String,
    pub message_imprint_hex: String,
    pub nonce_hex: Option<String>,
    pub tsa_name: Option<String>,
}

/// A parsed RFC 3161 time-stamp token: what it says ([`TokenInfo`]) and
/// the parts [`super::tsa_trust`] checks the signature over. The one parser
/// for tokens, used by capture and verify alike.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub info: TokenInfo,
    /// The token's CMS SignedData.
    pub(crate) signed_data: SignedData,
    /// The DER of the TSTInfo (what the signer's messageDigest covers).
    pub(crate) tst_der: Vec<u8>,
    /// genTime as seconds since the Unix epoch.
    pub(crate) gen_time_unix: u64,
}

/// Why a time-stamp response is not a usable token.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TimestampError {
    #[error("not a DER RFC 3161 TimeStampResp ({0})")]
    NotDer(der::Error),
    #[error("the time-stamp authority refused: {0}")]
    Refused(String),
    #[error("the response holds no time-stamp token")]
    NoToken,
    #[error("the time-stamp token is not CMS SignedData")]
    NotSignedData,
    #[error("the time-stamp token does not hold a TSTInfo")]
    NotTstInfo,
    #[error("the time-stamp token has no content")]
    NoContent,
    #[error("{what} is malformed ({source})")]
    Malformed {
        what: &'static str,
        source: der::Error,
    },
}

/// Parses a DER `TimeStampResp`, requires a granted status and returns the
/// token.
pub(crate) fn parse_response(der_bytes: &[u8]) -> Result<Token, TimestampError> {
    let resp = TimeStampResp::from_der(der_bytes).map_err(TimestampError::NotDer)?;
    use cmpv2::status::PkiStatus;
    match resp.status.status {
        PkiStatus::Accepted | PkiStatus::GrantedWithMods => {}
        other => {
            let text = resp
                .status
                .status_string
                .as_ref()
                .map(|s| {
                    s.iter()
                        .map(|t| t.as_str().to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            return Err(TimestampError::Refused(format!("{other:?} {text}")));
        }
    }
    let token = resp.time_stamp_token.ok_or(TimestampError::NoToken)?;
    parse_token(&token)
}

/// Parses a time-stamp token (a CMS ContentInfo holding SignedData over a
/// TSTInfo).
pub(crate) fn parse_token(token: &ContentInfo) -> Result<Token, TimestampError> {
    let malformed = |what| move |source| TimestampError::Malformed { what, source };
    if token.content_type != spki_oid::ID_SIGNED_DATA {
        return Err(TimestampError::NotSignedData);
    }
    let sd: SignedData = token
        .content
        .decode_as()
        .map_err(malformed("the time-stamp token's SignedData"))?;
    if sd.encap_content_info.econtent_type != spki_oid::ID_CT_TSTINFO {
        return Err(TimestampError::NotTstInfo);
    }
    let econtent = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or(TimestampError::NoContent)?;
    let octets: OctetString = econtent
        .decode_as()
        .map_err(malformed("the OCTET STRING around TSTInfo"))?;
    let tst = TstInfo::from_der(octets.as_bytes()).map_err(malformed("TSTInfo"))?;
    let t = tst.gen_time.to_date_time();
    let info = TokenInfo {
        gen_time: format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minutes(),
            t.seconds()
        ),
        policy: tst.policy.to_string(),
        serial_hex: hex::encode(tst.serial_number.as_bytes()),
        hash_algorithm: if tst.message_imprint.hash_algorithm.oid == SHA256_OID {
            "sha256".into()
        } else {
            tst.message_imprint.hash_algorithm.oid.to_string()
        },
        message_imprint_hex: hex::encode(tst.message_imprint.hashed_message.as_bytes()),
        nonce_hex: tst.nonce.as_ref().map(|n| hex::encode(n.as_bytes())),
        tsa_name: tst.tsa.as_ref().map(|n| format!("{n:?}")),
    };
    Ok(Token {
        info,
        gen_time_unix: tst.gen_time.to_unix_duration().as_secs(),
        tst_der: octets.as_bytes().to_vec(),
        signed_data: sd,
    })
}

/// Hex of a nonce as it appears in a parsed token (minimal DER integer).
pub(crate) fn nonce_hex(nonce: u64) -> String {
    hex::encode(int_from_u64(nonce).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trips() {
        let digest = [7u8; 32];
        let der = build_request(&digest, 0x8000_0000_0000_0001);
        let req = TimeStampReq::from_der(&der).unwrap();
        assert_eq!(req.message_imprint.hashed_message.as_bytes(), &digest);
        assert!(req.cert_req);
        assert_eq!(
            hex::encode(req.nonce.unwrap().as_bytes()),
            nonce_hex(0x8000_0000_0000_0001)
        );
    }
}
