//! Checks that `data/page.<ext>` is what the final response in the WARC
//! decodes to: the page file and the raw exchange must tell the same story.

use crate::capture::record::CaptureRecord;
use sha2::{Digest, Sha256};
use std::io;
use std::path::Path;

/// Returns `Ok(())` when the page matches, or a description of why not.
/// `Err` with an `io::Error` means the check could not be made.
pub fn page_matches_warc(
    bundle: &Path,
    capture: &CaptureRecord,
) -> Result<Result<(), String>, io::Error> {
    let Some(page) = &capture.page else {
        return Ok(Ok(())); // no page was received
    };
    let page_file = page.file.as_str();
    // The page is `data/page.<ext>`, nothing else: capture.json must not be
    // able to point the check at another file.
    let plain = page_file
        .strip_prefix("data/page.")
        .is_some_and(|ext| !ext.is_empty() && ext.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !plain {
        return Ok(Err(format!(
            "capture.json names the page file {page_file:?}, which is not data/page.<ext>"
        )));
    }
    let Some(last_hop) = capture.hops.last() else {
        return Ok(Err("capture.json lists no hops".into()));
    };
    let Some(record_id) = last_hop.warc_response_record_id.as_deref() else {
        return Ok(Err(
            "capture.json names no WARC response record for the page".into(),
        ));
    };
    let max = capture.settings.max_bytes;

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
