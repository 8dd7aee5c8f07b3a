//! Checkpoints of a custody log: how many lines it held and the RFC 6962
//! Merkle tree hash over them, in the C2SP `tlog-checkpoint` text form,
//! signed by an officer as a C2SP `signed-note`.
//!
//! Leaf `i` of the tree is line `i` of `custody.jsonl` without its newline.
//! A checkpoint file reads:
//!
//! ```text
//! warden-case/<case fingerprint>
//! <number of lines>
//! <base64 Merkle tree hash>
//!
//! — warden-officer/<hex public key> <base64 key id and Ed25519 signature>
//! ```
//!
//! Anyone holding a checkpoint can later tell whether a log still begins
//! with the lines it covered: cutting the log back, or changing, removing,
//! inserting or reordering any covered line, changes the tree hash. The
//! format is the one transparency logs use, so tools other than warden can
//! read it (the signature line is a standard Ed25519 note signature).

use crate::keys::{self, OfficerKey};
use ed25519_dalek::VerifyingKey;
use signed_note::{Note, Signer, Verifier, VerifierList};
use tlog_tiles::checkpoint::Checkpoint;
use tlog_tiles::tlog::{Hash, node_hash, record_hash};

/// The folder of a case that holds checkpoint files.
pub(crate) const CHECKPOINT_DIR: &str = "checkpoints";

/// Largest checkpoint file read (a checkpoint is a few hundred bytes).
pub(crate) const MAX_CHECKPOINT_FILE: u64 = 64 * 1024;

/// The origin line of a case's checkpoints.
pub(crate) fn origin(fingerprint: &str) -> String {
    format!("warden-case/{fingerprint}")
}

/// The note key name of an officer's key.
pub(crate) fn key_name(key: &VerifyingKey) -> String {
    format!("warden-officer/{}", hex::encode(key.as_bytes()))
}

/// The file name of the checkpoint of the first `size` lines.
pub(crate) fn file_name(size: u64) -> String {
    format!("{size:08}.checkpoint")
}

/// The file name of the time-stamp token over the checkpoint of `size`
/// lines.
pub(crate) fn timestamp_file_name(size: u64) -> String {
    format!("{size:08}.tsr")
}

/// The leaf hashes of a log's complete lines (an incomplete last line is
/// not a leaf).
pub(crate) fn leaf_hashes(log: &[u8]) -> Vec<Hash> {
    let complete = match log.iter().rposition(|&b| b == b'\n') {
        Some(i) => &log[..i],
        None => return Vec::new(),
    };
    complete.split(|&b| b == b'\n').map(record_hash).collect()
}

/// The RFC 6962 Merkle tree hash of `leaves` (section 2.1): the SHA-256 of
/// nothing for no leaves; otherwise the left subtree holds the largest power
/// of two smaller than the number of leaves.
pub(crate) fn tree_hash(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Hash(<sha2::Sha256 as sha2::Digest>::digest(b"").into()),
        1 => leaves[0],
        n => {
            // The largest power of two smaller than n.
            let k = 1usize << (n - 1).ilog2();
            node_hash(tree_hash(&leaves[..k]), tree_hash(&leaves[k..]))
        }
    }
}

/// An officer's key as a note signer.
struct OfficerSigner<'a> {
    key: &'a OfficerKey,
    name: String,
    id: u32,
}

impl<'a> OfficerSigner<'a> {
    fn new(key: &'a OfficerKey) -> Self {
        let vk = key.verifying();
        let name = key_name(&vk);
        let id = signed_note::key_id(&name, &note_public_key(&vk));
        OfficerSigner { key, name, id }
    }
}

impl Signer for OfficerSigner<'_> {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, ed25519_dalek::SignatureError> {
        Ok(self.key.sign(msg).to_bytes().to_vec())
    }
}

/// The public key as signed-note encodes it: algorithm byte 1 (Ed25519),
/// then the 32 key bytes.
fn note_public_key(vk: &VerifyingKey) -> Vec<u8> {
    let mut v = vec![0x01];
    v.extend_from_slice(vk.as_bytes());
    v
}

/// A checkpoint's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checkpointed {
    /// Lines covered.
    pub(crate) size: u64,
    /// Their Merkle tree hash, lowercase hex.
    pub(crate) root_sha256: String,
    /// The signing officer's base64 public key.
    pub(crate) signer: String,
}

/// Writes the signed checkpoint of the first `size` leaves.
pub(crate) fn make(
    fingerprint: &str,
    leaves: &[Hash],
    key: &OfficerKey,
) -> (Vec<u8>, Checkpointed) {
    let root = tree_hash(leaves);
    let body = Checkpoint::new(&origin(fingerprint), leaves.len() as u64, root, "")
        .expect("origin is never empty and there is no extension");
    let mut note =
        Note::new(&body.to_bytes(), &[]).expect("a checkpoint body is a valid note text");
    note.add_sigs(&[&OfficerSigner::new(key)])
        .expect("officer key names are valid note key names");
    (
        note.to_bytes(),
        Checkpointed {
            size: leaves.len() as u64,
            root_sha256: hex::encode(root.0),
            signer: key.public_b64(),
        },
    )
}

/// The origin line of a checkpoint file, if it has one.
pub(crate) fn origin_of(bytes: &[u8]) -> Option<String> {
    let first = bytes.split(|&b| b == b'\n').next()?;
    std::str::from_utf8(first).ok().map(str::to_string)
}

/// Why a checkpoint does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CheckpointProblem {
    #[error("not a signed checkpoint (C2SP signed note holding a tlog checkpoint)")]
    Malformed,
    #[error("it is the checkpoint of another log (origin {0:?})")]
    OtherLog(String),
    #[error(
        "it is not signed by an officer of this case (no signature by a key the custody log registers)"
    )]
    UnknownSigner,
    #[error("its signature does not verify: the checkpoint was altered after it was signed")]
    BadSignature,
    #[error(
        "it covers {size} lines but the custody log holds only {have}: events were cut from the end of the log after the checkpoint was made"
    )]
    Truncated { size: u64, have: u64 },
    #[error(
        "the first {size} lines of the custody log no longer have the Merkle tree hash it records: a line it covers was changed, removed, inserted or moved"
    )]
    RootDiffers { size: u64 },
}

/// Checks a checkpoint file against a log's leaves: format, origin, a valid
/// signature by one of `officers` (base64 public keys), and the tree hash of
/// the lines it covers.
pub(crate) fn check(
    bytes: &[u8],
    fingerprint: &str,
    leaves: &[Hash],
    officers: &[String],
) -> Result<Checkpointed, CheckpointProblem> {
    let note = Note::from_bytes(bytes).map_err(|_| CheckpointProblem::Malformed)?;
    let body = Checkpoint::from_bytes(note.text()).map_err(|_| CheckpointProblem::Malformed)?;
    if body.origin() != origin(fingerprint) {
        return Err(CheckpointProblem::OtherLog(body.origin().to_string()));
    }
    let verifiers: Vec<Box<dyn Verifier>> = officers
        .iter()
        .filter_map(|b64| keys::parse_public_key_b64(b64))
        .filter_map(|vk| {
            let vkey = signed_note::new_ed25519_verifier_key(&key_name(&vk), &vk);
            signed_note::StandardVerifier::new(&vkey)
                .ok()
                .map(|v| Box::new(v) as Box<dyn Verifier>)
        })
        .collect();
    let (verified, _) = note
        .verify(&VerifierList::new(verifiers))
        .map_err(|e| match e {
            signed_note::NoteError::UnverifiedNote => CheckpointProblem::UnknownSigner,
            _ => CheckpointProblem::BadSignature,
        })?;
    let signer_name = verified[0].name().to_string();
    let signer = officers
        .iter()
        .find(|b64| keys::parse_public_key_b64(b64).is_some_and(|vk| key_name(&vk) == signer_name))
        .cloned()
        .ok_or(CheckpointProblem::UnknownSigner)?;
    let size = body.size();
    let have = leaves.len() as u64;
    if size > have {
        return Err(CheckpointProblem::Truncated { size, have });
    }
    let root = tree_hash(&leaves[..size as usize]);
    if root != *body.hash() {
        return Err(CheckpointProblem::RootDiffers { size });
    }
    Ok(Checkpointed {
        size,
        root_sha256: hex::encode(root.0),
        signer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(i: u8) -> Hash {
        record_hash(&[i])
    }

    /// RFC 6962 by its definition, written out for small trees.
    #[test]
    fn tree_hash_follows_rfc_6962() {
        let l: Vec<Hash> = (0..7).map(leaf).collect();
        assert_eq!(tree_hash(&l[..1]), l[0]);
        assert_eq!(tree_hash(&l[..2]), node_hash(l[0], l[1]));
        assert_eq!(tree_hash(&l[..3]), node_hash(node_hash(l[0], l[1]), l[2]));
        let four = node_hash(node_hash(l[0], l[1]), node_hash(l[2], l[3]));
        assert_eq!(tree_hash(&l[..4]), four);
        assert_eq!(tree_hash(&l[..5]), node_hash(four, l[4]));
        assert_eq!(
            tree_hash(&l[..7]),
            node_hash(four, node_hash(node_hash(l[4], l[5]), l[6]))
        );
    }

    /// The tree hash agrees with the one tlog_tiles computes from stored
    /// hashes (Go's sumdb algorithm), for every size up to 70.
    #[test]
    fn tree_hash_agrees_with_tlog_tiles() {
        use tlog_tiles::tlog::{HashReader, stored_hashes, tree_hash as tlog_tree_hash};
        struct Store(Vec<Hash>);
        impl HashReader for Store {
            fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::tlog::Error> {
                Ok(indexes.iter().map(|&i| self.0[i as usize]).collect())
            }
        }
        let mut store = Store(Vec::new());
        let mut leaves = Vec::new();
        for n in 0..70u64 {
            let data = format!("line {n}");
            let new = stored_hashes(n, data.as_bytes(), &store).unwrap();
            store.0.extend(new);
            leaves.push(record_hash(data.as_bytes()));
            let want = tlog_tree_hash(n + 1, &store).unwrap();
            assert_eq!(tree_hash(&leaves), want, "size {}", n + 1);
        }
    }

    #[test]
    fn leaf_hashes_skip_an_incomplete_last_line() {
        assert_eq!(
            leaf_hashes(b"a\nb\n"),
            vec![record_hash(b"a"), record_hash(b"b")]
        );
        assert_eq!(leaf_hashes(b"a\nb"), vec![record_hash(b"a")]);
        assert!(leaf_hashes(b"").is_empty());
    }
}
