//! Checks that `data/page.<ext>` is what the final response in the WARC
//! decodes to: the page file and the raw exchange must tell the same story.

use sha2::{Digest, Sha256};
use std::io;
use std::path::Path;

/// Returns `Ok(())` when the page matches, or a description of why not.
/// `Err` with an `io::Error` means the check could not be made.
pub fn page_matches_warc(
    bundle: &Path,
    capture: &serde_json::Value,
) -> Result<Result<(), String>, io::Error> {
    let Some(page_file) = capture
        .get("page")
        .and_then(|p| p.get("file"))
        .and_then(|f| f.as_str())
    else {
        return Ok(Ok(())); // no page was received
    };
    let Some(last_hop) = capture
        .get("hops")
        .and_then(|h| h.as_array())
        .and_then(|h| h.last())
    else {
        return Ok(Err("capture.json lists no hops".into()));
    };
    let Some(record_id) = last_hop
        .get("warc_response_record_id")
        .and_then(|v| v.as_str())
    else {
        return Ok(Err(
            "capture.json names no WARC response record for the page".into(),
        ));
    };
    let max = capture
        .get("settings")
        .and_then(|s| s.get("max_bytes"))
        .and_then(|v| v.as_u64())
        .unwrap_or(u64::MAX);

    let warc = crate::fsutil::open_regular_nofollow(&bundle.join("data/capture.warc.gz"))?;
    let Some(block) = crate::warc::reader::open_block(warc, record_id)? else {
        return Ok(Err(format!("the WARC has no record {record_id}")));
    };
    let mut h = Sha256::new();
    if let Err(why) = crate::http::stored::derive_page(block, max, &mut |b| {
        h.update(b);
        Ok(())
    })? {
        return Ok(Err(why));
    }
    let from_warc = hex::encode(h.finalize());
    let (on_disk, _) = crate::hash::sha256_file(&bundle.join(page_file))?;
    if from_warc == on_disk {
        Ok(Ok(()))
    } else {
        Ok(Err(format!(
            "does not match the final response recorded in data/capture.warc.gz (decoded SHA-256 {from_warc})"
        )))
    }
}
