//! The officers' record-keeping events (`note`, `transfer`, `accept`,
//! `access`, `withdraw`, `checkpoint`): what each may say given the events
//! before it, and the state of the case they change (exhibit numbers, who
//! holds the case, withdrawn exhibits). One set of rules, used both when an
//! officer records an event and when verify checks the log.

use super::checkpoint;
use super::event::{
    AcceptDetails, AccessDetails, Action, CaseInitDetails, CheckpointDetails, Event, ExhibitRef,
    ExportDetails, NoteDetails, ReportDetails, TransferDetails, VerifyDetails, WithdrawDetails,
};
use std::collections::{BTreeMap, HashMap};
use tlog_tiles::tlog::Hash;

/// Longest note, reason or location an event may hold, in bytes.
pub(crate) const MAX_TEXT: usize = 16 * 1024;

/// A transfer not accepted yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PendingTransfer {
    pub(crate) seq: u64,
    pub(crate) from: String,
    pub(crate) to: String,
}

/// The state of a case as its valid events so far leave it.
#[derive(Debug, Clone, Default)]
pub(crate) struct CaseState {
    /// The case id the first event recorded.
    pub(crate) case_id: String,
    /// Captured bundles in custody order: exhibit `i + 1` is `exhibits[i]`.
    pub(crate) exhibits: Vec<String>,
    /// Index into `exhibits` by bundle id.
    exhibit_index: HashMap<String, usize>,
    /// Withdrawn bundles, with the sequence number of the withdrawal.
    pub(crate) withdrawn: BTreeMap<String, u64>,
    /// The officer holding the case: its creator, then whoever accepted the
    /// last transfer.
    pub(crate) custodian: String,
    pub(crate) pending: Option<PendingTransfer>,
    /// RFC 6962 leaf hash of every line read so far (valid or not).
    pub(crate) leaves: Vec<Hash>,
}

/// The exhibit label of number `n` (1-based) in case `case_id`.
pub(crate) fn exhibit_label(case_id: &str, n: usize) -> String {
    format!("{case_id}/{n:04}")
}

impl CaseState {
    /// The exhibit number (1-based) of a captured bundle.
    pub(crate) fn number_of(&self, bundle: &str) -> Option<usize> {
        self.exhibit_index.get(bundle).map(|i| i + 1)
    }

    /// The reference to exhibit `wanted`: a number (`7`, `0007`), a label
    /// (`CASE-1/0007`) or a bundle id.
    pub(crate) fn find_exhibit(&self, wanted: &str) -> Option<ExhibitRef> {
        let wanted = wanted.trim();
        let number = wanted
            .strip_prefix(&format!("{}/", self.case_id))
            .unwrap_or(wanted);
        let index = match number.parse::<usize>() {
            Ok(n) if n >= 1 && n <= self.exhibits.len() => Some(n - 1),
            _ => self.exhibit_index.get(wanted).copied(),
        }?;
        Some(ExhibitRef {
            bundle: self.exhibits[index].clone(),
            number: exhibit_label(&self.case_id, index + 1),
        })
    }

    fn check_ref(&self, r: &ExhibitRef) -> Result<(), String> {
        match self.number_of(&r.bundle) {
            None => Err(format!(
                "names bundle {} as exhibit {}, but no earlier capture event records that bundle",
                r.bundle, r.number
            )),
            Some(n) if exhibit_label(&self.case_id, n) != r.number => Err(format!(
                "names bundle {} as exhibit {}, but it is exhibit {}",
                r.bundle,
                r.number,
                exhibit_label(&self.case_id, n)
            )),
            Some(_) => Ok(()),
        }
    }
}

fn text_problem(field: &str, text: &str) -> Option<String> {
    if text.trim().is_empty() {
        Some(format!("its {field} is empty"))
    } else if text.len() > MAX_TEXT {
        Some(format!("its {field} is longer than {MAX_TEXT} bytes"))
    } else {
        None
    }
}

/// What is wrong with a record-keeping event given the state before it;
/// `officers` are the (base64 key, name) pairs registered so far. Other
/// actions have nothing to check here.
pub(crate) fn problems(
    ev: &Event,
    state: &CaseState,
    officers: &[(String, String)],
) -> Vec<String> {
    let mut out = Vec::new();
    let malformed =
        |what: &str| format!("{what} event whose details do not have the fields it must record");
    match ev.action {
        Action::Note => match ev.details_as::<NoteDetails>() {
            None => out.push(malformed("note")),
            Some(d) => {
                out.extend(text_problem("text", &d.text));
                if let Some(r) = &d.exhibit {
                    out.extend(state.check_ref(r).err());
                }
            }
        },
        Action::Access => match ev.details_as::<AccessDetails>() {
            None => out.push(malformed("access")),
            Some(d) => {
                out.extend(text_problem("reason", &d.reason));
                if let Some(r) = &d.exhibit {
                    out.extend(state.check_ref(r).err());
                }
            }
        },
        Action::Withdraw => match ev.details_as::<WithdrawDetails>() {
            None => out.push(malformed("withdraw")),
            Some(d) => {
                out.extend(text_problem("reason", &d.reason));
                match state.check_ref(&d.exhibit) {
                    Err(e) => out.push(e),
                    Ok(()) => {
                        if let Some(seq) = state.withdrawn.get(&d.exhibit.bundle) {
                            out.push(format!(
                                "withdraws exhibit {}, which event {seq} already withdrew",
                                d.exhibit.number
                            ));
                        }
                    }
                }
            }
        },
        Action::Transfer => match ev.details_as::<TransferDetails>() {
            None => out.push(malformed("transfer")),
            Some(d) => {
                out.extend(text_problem("reason", &d.reason));
                if let Some(l) = &d.location {
                    out.extend(text_problem("location", l));
                }
                if ev.officer != state.custodian {
                    out.push(format!(
                        "officer {:?} transfers the case, but {:?} holds it",
                        ev.officer, state.custodian
                    ));
                }
                if let Some(p) = &state.pending {
                    out.push(format!(
                        "a transfer while the transfer of event {} to {:?} is not accepted yet",
                        p.seq, p.to
                    ));
                }
                if d.to == ev.officer {
                    out.push("transfers the case to the officer who holds it".into());
                } else if !officers.iter().any(|(_, name)| *name == d.to) {
                    out.push(format!(
                        "transfers the case to {:?}, who is not registered as an officer of the case",
                        d.to
                    ));
                }
            }
        },
        Action::Accept => match ev.details_as::<AcceptDetails>() {
            None => out.push(malformed("accept")),
            Some(d) => match &state.pending {
                Some(p) if p.seq == d.transfer_seq => {
                    if p.to != ev.officer {
                        out.push(format!(
                            "officer {:?} accepts the transfer of event {}, which was made to {:?}",
                            ev.officer, p.seq, p.to
                        ));
                    }
                }
                _ => out.push(format!(
                    "accepts event {}, which is not a transfer waiting to be accepted",
                    d.transfer_seq
                )),
            },
        },
        Action::Checkpoint => match ev.details_as::<CheckpointDetails>() {
            None => out.push(malformed("checkpoint")),
            Some(d) => {
                let before = state.leaves.len() as u64;
                if d.size == 0 || d.size > before {
                    out.push(format!(
                        "records a checkpoint of {} lines, but only {before} lines come before it",
                        d.size
                    ));
                } else {
                    let root =
                        hex::encode(checkpoint::tree_hash(&state.leaves[..d.size as usize]).0);
                    if root != d.root_sha256 {
                        out.push(format!(
                            "records a Merkle tree hash for the first {} lines that they do not have: a line before it was changed, removed, inserted or moved",
                            d.size
                        ));
                    }
                }
                let want = format!(
                    "{}/{}",
                    checkpoint::CHECKPOINT_DIR,
                    checkpoint::file_name(d.size)
                );
                if d.file != want {
                    out.push(format!(
                        "names checkpoint file {:?} where {want:?} was expected",
                        d.file
                    ));
                }
            }
        },
        Action::Report if ev.details_as::<ReportDetails>().is_none() => {
            out.push(malformed("report"))
        }
        Action::Export if ev.details_as::<ExportDetails>().is_none() => {
            out.push(malformed("export"))
        }
        Action::Verify if ev.details_as::<VerifyDetails>().is_none() => {
            out.push(malformed("verify"))
        }
        _ => {}
    }
    out
}

/// Updates the state with a valid event.
pub(crate) fn apply(ev: &Event, state: &mut CaseState) {
    match ev.action {
        Action::CaseInit => {
            state.custodian = ev.officer.clone();
            if let Some(d) = ev.details_as::<CaseInitDetails>() {
                state.case_id = d.case_id;
            }
        }
        Action::Capture => {
            if let Some(b) = &ev.bundle
                && state.number_of(b).is_none()
            {
                state.exhibit_index.insert(b.clone(), state.exhibits.len());
                state.exhibits.push(b.clone());
            }
        }
        Action::Withdraw => {
            if let Some(d) = ev.details_as::<WithdrawDetails>() {
                state.withdrawn.insert(d.exhibit.bundle, ev.seq);
            }
        }
        Action::Transfer => {
            if let Some(d) = ev.details_as::<TransferDetails>() {
                state.pending = Some(PendingTransfer {
                    seq: ev.seq,
                    from: ev.officer.clone(),
                    to: d.to,
                });
            }
        }
        Action::Accept => {
            if let Some(p) = state.pending.take() {
                state.custodian = p.to;
            }
        }
        _ => {}
    }
}
