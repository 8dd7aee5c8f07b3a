//! Checks that `data/page.<ext>` is what the final response in the WARC
//! decodes to: the page file and the raw exchange must tell the same story.
//!
//! The response record is re-derived while the WARC's digests are checked
//! (one read of the WARC): [`Derivation::run`] applies the page rules of
//! [`crate::http::stored`] on a second thread to the pieces [`Deriver`]
//! hands it.

use crate::capture::record::CaptureRecord;
use crate::http::stored::NoResponse;
use sha2::{Digest, Sha256};
use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// What capture.json says the page check must compare.
#[derive(Debug, Clone)]
pub(super) struct Target {
    /// `data/page.<ext>`.
    pub(super) page_file: String,
    /// The WARC response record of the final hop.
    pub(super) record_id: String,
    /// `--max-bytes` of the capture.
    pub(super) max: u64,
}

/// Why the page does not agree with the WARC, or cannot be compared.
#[derive(Debug, thiserror::Error)]
pub(super) enum PageProblem {
    #[error("capture.json names the page file {0:?}, which is not data/page.<ext>")]
    NotPagePath(String),
    #[error("capture.json lists no hops")]
    NoHops,
    #[error("capture.json names no WARC response record for the page")]
    NoRecordId,
    #[error(transparent)]
    NoResponse(#[from] NoResponse),
    #[error(
        "does not match the final response recorded in data/capture.warc.gz (decoded SHA-256 {from_warc})"
    )]
    Differs { from_warc: String },
}

/// The page to check, `Ok(None)` if no page was received, or why
/// capture.json does not allow the check.
pub(super) fn target(capture: &CaptureRecord) -> Result<Option<Target>, PageProblem> {
    let Some(page) = &capture.page else {
        return Ok(None);
    };
    let page_file = page.file.as_str();
    // The page is `data/page.<ext>`, nothing else: capture.json must not be
    // able to point the check at another file.
    let plain = page_file
        .strip_prefix("data/page.")
        .is_some_and(|ext| !ext.is_empty() && ext.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !plain {
        return Err(PageProblem::NotPagePath(page_file.to_string()));
    }
    let Some(last_hop) = capture.hops.last() else {
        return Err(PageProblem::NoHops);
    };
    let Some(record_id) = last_hop.warc_response_record_id.clone() else {
        return Err(PageProblem::NoRecordId);
    };
    Ok(Some(Target {
        page_file: page_file.to_string(),
        record_id,
        max: capture.settings.max_bytes,
    }))
}

/// Pieces of a block in flight to the deriving thread (at most this many).
const IN_FLIGHT: usize = 8;

/// Hands the pieces of a response block ([`Deriver::feed`]; an empty piece
/// ends the block) to the thread that runs [`Derivation::run`], which
/// re-derives the page from them.
pub(super) struct Deriver {
    tx: Option<SyncSender<Vec<u8>>>,
    /// Whether the whole block was handed over.
    pub(super) complete: bool,
}

/// The deriving side: call [`Derivation::run`] on another thread.
pub(super) struct Derivation {
    rx: Receiver<Vec<u8>>,
    max: u64,
}

/// The SHA-256 of the page re-derived from the WARC, or why the block holds
/// no readable response.
pub(super) type Derived = io::Result<Result<String, NoResponse>>;

pub(super) fn deriver(max: u64) -> (Deriver, Derivation) {
    let (tx, rx) = sync_channel(IN_FLIGHT);
    (
        Deriver {
            tx: Some(tx),
            complete: false,
        },
        Derivation { rx, max },
    )
}

impl Deriver {
    pub(super) fn feed(&mut self, piece: &[u8]) {
        if piece.is_empty() {
            self.complete = true;
            self.tx = None;
        } else if let Some(tx) = &self.tx
            && tx.send(piece.to_vec()).is_err()
        {
            // The deriving side has stopped reading (its answer is ready).
            self.tx = None;
        }
    }
}

impl Derivation {
    pub(super) fn run(self) -> Derived {
        let reader = Pieces {
            rx: self.rx,
            piece: Vec::new(),
            at: 0,
        };
        derive(reader, self.max)
    }
}

/// Re-derives the page from a whole response block: the same rules as
/// [`Derivation::run`], on this thread (for a block already in memory).
pub(super) fn derive(block: impl Read, max: u64) -> Derived {
    let mut h = Sha256::new();
    let head = crate::http::stored::read_page(block, max, &mut |b| {
        h.update(b);
        Ok(())
    })?;
    Ok(head.map(|_| hex::encode(h.finalize())))
}

/// The pieces as one stream; it ends when the sender is dropped.
struct Pieces {
    rx: Receiver<Vec<u8>>,
    piece: Vec<u8>,
    at: usize,
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.piece.len() {
            match self.rx.recv() {
                Ok(p) => {
                    self.piece = p;
                    self.at = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.piece.len() - self.at);
        buf[..n].copy_from_slice(&self.piece[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// `Ok(())` when the page re-derived from the WARC (`derived`) has the
/// SHA-256 of the page file on disk (`on_disk`), or why not.
pub(super) fn compare(
    derived: Result<String, NoResponse>,
    on_disk: &str,
) -> Result<(), PageProblem> {
    let from_warc = derived?;
    if from_warc == on_disk {
        Ok(())
    } else {
        Err(PageProblem::Differs { from_warc })
    }
}
