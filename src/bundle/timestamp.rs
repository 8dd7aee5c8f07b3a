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
    pub const SHA256_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
    pub const ID_CT_TSTINFO: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
    pub const ID_SIGNED_DATA: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
}

/// Builds a DER `TimeStampReq` for a SHA-256 digest, asking for the TSA
/// certificate to be included.
pub fn build_request(sha256: &[u8; 32], nonce: u64) -> Vec<u8> {
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
pub struct TokenInfo {
    pub gen_time: String,
    pub policy: String,
    pub serial_hex: String,
    pub hash_algorithm: String,
    pub message_imprint_hex: String,
    pub nonce_hex: Option<String>,
    pub tsa_name: Option<String>,
}

/// Parses a DER `TimeStampResp`, requires a granted status and returns the
/// token's TSTInfo.
pub fn parse_response(der_bytes: &[u8]) -> Result<TokenInfo, String> {
    let resp = TimeStampResp::from_der(der_bytes)
        .map_err(|e| format!("not a DER RFC 3161 TimeStampResp ({e})"))?;
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
            return Err(format!(
                "the time-stamp authority refused: {other:?} {text}"
            ));
        }
    }
    let token = resp
        .time_stamp_token
        .ok_or("the response holds no time-stamp token")?;
    parse_token(&token)
}

/// Parses the TSTInfo inside a time-stamp token (a CMS ContentInfo).
pub fn parse_token(token: &ContentInfo) -> Result<TokenInfo, String> {
    if token.content_type != spki_oid::ID_SIGNED_DATA {
        return Err("the time-stamp token is not CMS SignedData".into());
    }
    let sd: SignedData = token
        .content
        .decode_as()
        .map_err(|e| format!("the time-stamp token's SignedData is malformed ({e})"))?;
    if sd.encap_content_info.econtent_type != spki_oid::ID_CT_TSTINFO {
        return Err("the time-stamp token does not hold a TSTInfo".into());
    }
    let econtent = sd
        .encap_content_info
        .econtent
        .ok_or("the time-stamp token has no content")?;
    let octets: OctetString = econtent
        .decode_as()
        .map_err(|e| format!("TSTInfo is not wrapped in an OCTET STRING ({e})"))?;
    let tst =
        TstInfo::from_der(octets.as_bytes()).map_err(|e| format!("TSTInfo is malformed ({e})"))?;
    let t = tst.gen_time.to_date_time();
    Ok(TokenInfo {
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
    })
}

/// Hex of a nonce as it appears in a parsed token (minimal DER integer).
pub fn nonce_hex(nonce: u64) -> String {
    hex::encode(int_from_u64(nonce).as_bytes())
}

/// Checks the token's CMS signature and its certificate chain against the
/// trust anchor(s) in `ca` (PEM or DER). See [`super::tsa_trust`].
pub fn verify_signature(tsr: &[u8], ca: &[u8]) -> Result<(), String> {
    super::tsa_trust::verify_token(tsr, ca).map_err(|e| {
        format!("the time-stamp token does not verify against the given --tsa-ca: {e}")
    })
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
