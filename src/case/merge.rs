//! Bringing in what a colleague captured in a copy of the case (`warden case
//! merge`), and making the field copy to capture into (`warden case
//! export-stub`).
//!
//! A copy's custody log begins with this case's events (it was copied from
//! it) and goes on with the colleague's own. A merge takes the copy's events
//! after the last one both logs share, exactly as the colleague signed
//! them, and records them inside one `merge` event signed by the lead
//! officer, together with the bundles their `capture` events record. The
//! rules the carried events must meet are verify's
//! ([`custody::check::merge_problems`]), applied before anything is written.
//!
//! The steps, each recoverable as a capture's are: every bundle is copied to
//! `evidence/.partial-<id>/` and made durable; the `merge` event is
//! appended; each bundle is renamed into place. If the process stops before
//! the event, the next `warden capture` or `warden case merge` sets the
//! partial copies aside (no event records them); after it, it completes the
//! renames (see [`crate::recovery`]).

use super::{CASE_FILE, CUSTODY_FILE, Case, CaseError, EVIDENCE_DIR, Role, io_err, parse_config};
use crate::bundle::PARTIAL_PREFIX;
use crate::custody::check::merge_problems;
use crate::custody::event::MergeDetails;
use crate::custody::{self, Action, Event, EventBody, EventInput};
use crate::fsutil;
use crate::hash::sha256_hex;
use crate::keys::OfficerKey;
use std::path::{Path, PathBuf};

/// Largest custody log of a copy read whole.
const MAX_LOG: u64 = 4 << 30;

/// What a merge did.
#[derive(Debug, Clone)]
pub struct Merged {
    /// The `merge` event, when something was brought in.
    pub seq: Option<u64>,
    /// The bundles brought in, with the officer who captured each.
    pub bundles: Vec<(String, String)>,
    /// Events of the copy after the last shared one.
    pub carried: usize,
    /// The last event both logs share.
    pub fork_seq: u64,
}

/// What the copy holds: its folder (a zip is extracted first) and its log.
struct CaseCopy {
    root: PathBuf,
    /// Keeps an extracted zip until the merge is done.
    _extracted: Option<tempfile::TempDir>,
    log: Vec<u8>,
}

fn refused(source: &Path, why: impl std::fmt::Display) -> CaseError {
    CaseError::Refused(format!("cannot merge {}: {why}", source.display()))
}

/// The first few problems, and how many more there are.
fn some_of(problems: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut s = problems[..problems.len().min(SHOWN)].join("; ");
    if problems.len() > SHOWN {
        s.push_str(&format!("; and {} more", problems.len() - SHOWN));
    }
    s
}

fn open_copy(source: &Path) -> Result<CaseCopy, CaseError> {
    let meta = std::fs::metadata(source).map_err(io_err(source))?;
    let (root, extracted) = if meta.is_file() {
        let dir = crate::verify::zipped::extract(source).map_err(|p| {
            refused(
                source,
                match p {
                    crate::verify::zipped::ZipProblem::NotAZip(d)
                    | crate::verify::zipped::ZipProblem::Hostile(d) => d,
                    crate::verify::zipped::ZipProblem::Io(e) => e.to_string(),
                },
            )
        })?;
        let root = crate::verify::zipped::evidence_root(dir.path());
        (root, Some(dir))
    } else {
        (source.to_path_buf(), None)
    };
    if !root.join(CASE_FILE).is_file() {
        return Err(refused(
            source,
            "it is not a case folder or a zip of one (no case.toml)",
        ));
    }
    let log_path = root.join(CUSTODY_FILE);
    let log = fsutil::read_capped(&log_path, MAX_LOG).map_err(io_err(&log_path))?;
    Ok(CaseCopy {
        root,
        _extracted: extracted,
        log,
    })
}

/// The complete lines of a log, without their newlines.
fn lines(log: &[u8]) -> Vec<&[u8]> {
    log.strip_suffix(b"\n")
        .unwrap_or(log)
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect()
}

impl Case {
    /// Brings into this case the captures a colleague made in a copy of it
    /// (a folder or a zip of one), as the lead officer holding `by`. The
    /// copy's log must hold together (chain, signatures, officers), each
    /// bundle brought in must verify and match its carried capture event,
    /// and the carried events must meet verify's merge rules (signed by
    /// officers of this case whose keys are not revoked). Merging the same
    /// copy again brings in only what is new.
    pub fn merge(&mut self, source: &Path, by: &OfficerKey) -> Result<Merged, CaseError> {
        self.require_lead(by, "merge copies of the case")?;
        let copy = open_copy(source)?;
        let copy_check = custody::check_log(&copy.log);
        if let Some(p) = copy_check.problems.first() {
            return Err(refused(
                source,
                format!(
                    "its custody log does not hold together (line {}: {}); an event was removed, changed or added there",
                    p.line, p.message
                ),
            ));
        }
        let copy_toml = copy.root.join(CASE_FILE);
        let copy_text = fsutil::read_capped(&copy_toml, 1 << 20)
            .map_err(io_err(&copy_toml))
            .map(|b| String::from_utf8_lossy(&b).into_owned())?;
        let copy_config = parse_config(&copy.root.join(CASE_FILE), &copy_text)?;
        if copy_config.case.id != self.config.case.id {
            return Err(refused(
                source,
                format!(
                    "it is a copy of case {}, not of case {}",
                    copy_config.case.id, self.config.case.id
                ),
            ));
        }

        // Recovery waits for this lock: it never touches the partial copies
        // this merge stages. Taken before the log lock, in the order
        // recovery takes them (evidence/, then the log), so that a capture
        // recovering as this merge starts cannot deadlock with it.
        let evidence = self.root.join(EVIDENCE_DIR);
        let _evidence_lock = fsutil::DirLock::shared(&evidence).map_err(io_err(&evidence))?;
        let mut lock = custody::lock(&self.log())?;
        self.recover_locked(&mut lock)?;
        let ours = lock.read_all()?;
        let check = custody::check_log(&ours);
        if let Some(p) = check.problems.first() {
            return Err(refused(
                source,
                format!(
                    "this case's own custody log has problems (line {}: {}); run `warden verify` on it",
                    p.line, p.message
                ),
            ));
        }
        if check.fingerprint != copy_check.fingerprint {
            return Err(refused(
                source,
                format!(
                    "it is not a copy of this case (its fingerprint is {}, this case's is {}): a case made again with the same id is another case",
                    copy_check.fingerprint.as_deref().unwrap_or("none"),
                    check.fingerprint.as_deref().unwrap_or("none")
                ),
            ));
        }
        let (our_lines, copy_lines) = (lines(&ours), lines(&copy.log));
        let fork = our_lines
            .iter()
            .zip(&copy_lines)
            .take_while(|(a, b)| a == b)
            .count();
        let carried: Vec<String> = copy_lines[fork..]
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect();
        let fork_seq = fork as u64;
        let nothing = |carried: usize| Merged {
            seq: None,
            bundles: Vec::new(),
            carried,
            fork_seq,
        };
        // The copy's captures whose bundles this case does not hold yet.
        let mut new: Vec<(String, String, String)> = Vec::new(); // bundle, manifest, officer
        for ce in &copy_check.events[fork..] {
            let ev = &ce.event;
            if ev.action != Action::Capture {
                continue;
            }
            let (Some(b), Some(m)) = (&ev.bundle, &ev.manifest_sha256) else {
                continue;
            };
            match check.capture_of(b) {
                Some(have) if have.manifest_sha256.as_ref() == Some(m) => {}
                Some(_) => {
                    return Err(refused(
                        source,
                        format!(
                            "its bundle {b} conflicts with the bundle of that id this case holds (their manifests differ)"
                        ),
                    ));
                }
                None => new.push((b.clone(), m.clone(), ev.officer.clone())),
            }
        }
        // A bundle in the copy that its log does not record was placed there,
        // or its event was removed: the copy cannot be trusted as a whole.
        let from_evidence = copy.root.join(EVIDENCE_DIR);
        if let Ok(entries) = std::fs::read_dir(&from_evidence) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if !name.starts_with('.') && copy_check.capture_of(&name).is_none() {
                    return Err(refused(
                        source,
                        format!(
                            "its evidence/{name} is recorded by no capture event of its custody log (an event was removed from its end, or the folder was placed there)"
                        ),
                    ));
                }
            }
        }
        if new.is_empty() {
            return Ok(nothing(carried.len()));
        }
        let details = MergeDetails {
            source: source.display().to_string(),
            source_fingerprint: check.fingerprint.clone().unwrap_or_default(),
            fork_seq,
            carried,
            bundles: new.iter().map(|(b, _, _)| b.clone()).collect(),
        };
        let signer = self.require_officer(by)?.name.clone();
        let details = serde_json::to_value(&details).expect("details serialise");
        // The rules verify applies, on the event as it will be written.
        let draft = Event {
            body: EventBody {
                seq: 0,
                time: String::new(),
                officer: signer.clone(),
                public_key: by.public_b64(),
                action: Action::Merge,
                bundle: None,
                manifest_sha256: None,
                details: Some(details.clone()),
                prev: String::new(),
            },
            sig: String::new(),
        };
        if let Err(problems) = merge_problems(&draft, &check) {
            return Err(refused(source, some_of(&problems)));
        }

        for (b, m, _) in &new {
            check_bundle(source, &from_evidence.join(b), b, m)?;
            for name in [b.clone(), format!("{PARTIAL_PREFIX}{b}")] {
                if std::fs::symlink_metadata(evidence.join(&name)).is_ok() {
                    return Err(refused(
                        source,
                        format!("evidence/{name} exists already in this case"),
                    ));
                }
            }
        }
        let mut staged = Vec::new();
        for (b, _, _) in &new {
            let to = evidence.join(format!("{PARTIAL_PREFIX}{b}"));
            staged.push(to.clone());
            if let Err(e) = copy_tree(&from_evidence.join(b), &to) {
                for s in &staged {
                    let _ = std::fs::remove_dir_all(s);
                }
                return Err(e);
            }
        }
        let dirs: Vec<&Path> = staged.iter().map(PathBuf::as_path).collect();
        if let Err(e) = fsutil::sync_group(&evidence, &dirs) {
            for s in &staged {
                let _ = std::fs::remove_dir_all(s);
            }
            return Err(io_err(&evidence)(e));
        }
        // What is recorded is what was copied: check the copies again, as
        // recovery checks a sealed bundle (the copy's files could have
        // changed while they were read).
        for ((b, m, _), to) in new.iter().zip(&staged) {
            let key = copy_check
                .capture_of(b)
                .map(|e| e.public_key.clone())
                .unwrap_or_default();
            if let Err(e) = crate::bundle::check_sealed(to, m, &key) {
                for s in &staged {
                    let _ = std::fs::remove_dir_all(s);
                }
                return Err(refused(
                    source,
                    format!("its bundle {b} changed while it was copied ({e})"),
                ));
            }
        }
        let seq = match custody::append_locked(
            lock,
            by,
            &signer,
            &EventInput {
                action: Action::Merge,
                bundle: None,
                manifest_sha256: None,
                details: Some(details),
            },
        ) {
            Ok(seq) => seq,
            Err(e) => {
                // Nothing was recorded: the copies are not evidence.
                for s in &staged {
                    let _ = std::fs::remove_dir_all(s);
                }
                return Err(e.into());
            }
        };
        for (b, _, _) in &new {
            let from = evidence.join(format!("{PARTIAL_PREFIX}{b}"));
            fsutil::rename_noreplace(&from, &evidence.join(b)).map_err(io_err(&from))?;
        }
        fsutil::sync_dir(&evidence).map_err(io_err(&evidence))?;
        Ok(Merged {
            seq: Some(seq),
            bundles: new.into_iter().map(|(b, _, o)| (b, o)).collect(),
            carried: copy_lines.len() - fork,
            fork_seq,
        })
    }

    /// Writes a field copy of the case to the new folder `dir`: its
    /// `case.toml` and custody log as they are now and an empty `evidence/`,
    /// for a colleague to capture into on another computer and give back to
    /// be merged. Any officer may make one. Recorded in the custody log as
    /// an `access` event once the copy is written; returns its number.
    pub fn export_stub(&self, dir: &Path, by: &OfficerKey) -> Result<u64, CaseError> {
        self.require_officer(by)?;
        if std::fs::symlink_metadata(dir).is_ok() {
            return Err(CaseError::NotEmpty(dir.to_path_buf()));
        }
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = dir
            .file_name()
            .ok_or_else(|| CaseError::NotEmpty(dir.to_path_buf()))?
            .to_string_lossy()
            .into_owned();
        let tmp = parent.join(format!(".{name}.partial"));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(tmp.join(EVIDENCE_DIR)).map_err(io_err(&tmp))?;
        let mut events = 0;
        let written = (|| {
            // The log first, then case.toml: whatever it records last must
            // match (under the log's lock, nothing changes in between).
            let mut lock = custody::lock(&self.log())?;
            let log = lock.read_all()?;
            events = lines(&log).len();
            let toml_path = self.root.join(CASE_FILE);
            let toml = std::fs::read(&toml_path).map_err(io_err(&toml_path))?;
            for (file, bytes) in [(CUSTODY_FILE, &log), (CASE_FILE, &toml)] {
                let p = tmp.join(file);
                fsutil::write_new_synced(&p, bytes).map_err(io_err(&p))?;
            }
            drop(lock);
            fsutil::sync_dir(&tmp.join(EVIDENCE_DIR)).map_err(io_err(&tmp))?;
            fsutil::sync_dir(&tmp).map_err(io_err(&tmp))?;
            fsutil::rename_noreplace(&tmp, dir).map_err(io_err(dir))?;
            fsutil::sync_dir(parent).map_err(io_err(parent))
        })();
        if written.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        written?;
        let recorded = self.record(
            by,
            &super::Act::Access {
                reason: format!(
                    "a field copy of the case (case.toml and the custody log's first {events} events, no evidence) was written to {} with `warden case export-stub`",
                    dir.display()
                ),
                exhibit: None,
            },
        )?;
        Ok(recorded.seq)
    }

    /// The officer holding `by` if a lead whose key stands; else why not.
    pub(crate) fn require_lead(
        &self,
        by: &OfficerKey,
        what: &'static str,
    ) -> Result<&super::Officer, CaseError> {
        let o = self.require_officer(by)?;
        if self.config.role_of(o) != Role::Lead {
            return Err(CaseError::NotLead {
                what,
                case: self.config.case.id.clone(),
                you: o.name.clone(),
                leads: self.config.lead_names(),
            });
        }
        Ok(o)
    }
}

/// Checks the copy's bundle `id` as verify checks a bundle, and that it is
/// the one its capture event records (`manifest` is the SHA-256 of its
/// `manifest-sha256.txt`).
fn check_bundle(source: &Path, dir: &Path, id: &str, manifest: &str) -> Result<(), CaseError> {
    if !std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
        return Err(refused(
            source,
            format!("its custody log records bundle {id}, but evidence/{id} is missing"),
        ));
    }
    let report = crate::verify::verify(
        &crate::verify::VerifyOptions {
            paths: vec![dir.to_path_buf()],
            ..Default::default()
        },
        &mut |_| {},
    )
    .map_err(|e| refused(source, format!("bundle {id} cannot be checked ({e})")))?;
    if let Some(p) = report.problems.first() {
        return Err(refused(
            source,
            format!(
                "its bundle {id} does not verify ({}: {}{}); it was changed after capture",
                p.path,
                p.message,
                match report.problems.len() {
                    1 => String::new(),
                    n => format!(", and {} more problem(s)", n - 1),
                }
            ),
        ));
    }
    let path = dir.join("manifest-sha256.txt");
    let bytes = fsutil::read_capped(&path, 1 << 30).map_err(io_err(&path))?;
    if sha256_hex(&bytes) != manifest {
        return Err(refused(
            source,
            format!(
                "its bundle {id} is not the one its capture event records (the manifest's SHA-256 differs)"
            ),
        ));
    }
    Ok(())
}

/// Copies folder `from` to the new folder `to`: folders and regular files
/// only (a bundle holds nothing else; anything else is refused).
fn copy_tree(from: &Path, to: &Path) -> Result<(), CaseError> {
    std::fs::create_dir(to).map_err(io_err(to))?;
    for entry in std::fs::read_dir(from).map_err(io_err(from))? {
        let entry = entry.map_err(io_err(from))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let ft = entry.file_type().map_err(io_err(&src))?;
        if ft.is_dir() {
            copy_tree(&src, &dst)?;
        } else if ft.is_file() {
            let mut r = fsutil::open_regular_nofollow(&src).map_err(io_err(&src))?;
            let mut w = fsutil::create_new(&dst).map_err(io_err(&dst))?;
            std::io::copy(&mut r, &mut w).map_err(io_err(&dst))?;
        } else {
            return Err(CaseError::Refused(format!(
                "{} is neither a file nor a folder; nothing was merged",
                src.display()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custody::sign_line;
    use crate::custody::test_support::{line, new_case};

    const B1: &str = "01a230bd-8217-71f8-8a37-b014c036a721";

    /// A case with a lead and a member; the member's capture event as his
    /// copy would hold it after the case's first two lines.
    fn setup(dir: &Path) -> (Case, OfficerKey, Vec<u8>) {
        let lead = OfficerKey::load_or_create(&dir.join("lead.pem")).unwrap();
        let member = OfficerKey::load_or_create(&dir.join("member.pem")).unwrap();
        let mut case = new_case(dir, &lead);
        case.add_officer("Member", &member.public_b64(), Role::Member, &lead)
            .unwrap();
        let log = std::fs::read(case.custody_path()).unwrap();
        let second = lines(&log)[1].to_vec();
        let capture = line(
            &member,
            "Member",
            3,
            &second,
            Action::Capture,
            Some(B1),
            serde_json::json!({"url": "http://127.0.0.1/", "final_url": null, "status": "ok", "http_status": 200, "timestamped": false}),
        );
        (case, lead, capture)
    }

    /// The log of `case` with a `merge` event signed by `lead` appended,
    /// carrying `carried` (forked after event 2), checked.
    fn with_merge(case: &Case, lead: &OfficerKey, carried: &[u8]) -> custody::LogCheck {
        with_merge_by(case, lead, "Lead", &[carried])
    }

    /// As [`with_merge`], signed by `key` as `name`, carrying `carried`.
    fn with_merge_by(
        case: &Case,
        key: &OfficerKey,
        name: &str,
        carried: &[&[u8]],
    ) -> custody::LogCheck {
        let mut log = std::fs::read(case.custody_path()).unwrap();
        let last = lines(&log).last().unwrap().to_vec();
        let seq = lines(&log).len() as u64 + 1;
        let details = serde_json::to_value(MergeDetails {
            source: "copy".into(),
            source_fingerprint: case.fingerprint().unwrap(),
            fork_seq: 2,
            carried: carried
                .iter()
                .map(|c| String::from_utf8_lossy(c.strip_suffix(b"\n").unwrap_or(c)).into_owned())
                .collect(),
            // The bundles the carried captures record.
            bundles: carried
                .iter()
                .filter_map(|c| serde_json::from_slice::<Event>(c).ok())
                .filter(|e| e.action == Action::Capture)
                .filter_map(|e| e.body.bundle)
                .collect(),
        })
        .unwrap();
        log.extend(line(key, name, seq, &last, Action::Merge, None, details));
        custody::check_log(&log)
    }

    #[test]
    fn verify_takes_a_carried_capture_from_an_officer_whose_key_stands() {
        let dir = tempfile::tempdir().unwrap();
        let (case, lead, capture) = setup(dir.path());
        let check = with_merge(&case, &lead, &capture);
        assert!(check.problems.is_empty(), "{:?}", check.problems);
        let ev = check
            .capture_of(B1)
            .expect("the carried capture records b1");
        assert_eq!(ev.officer, "Member");
        assert_eq!(check.recorded_in(B1), Some(3));
        assert_eq!(check.state.exhibits, vec![B1.to_string()]);
    }

    #[test]
    fn verify_refuses_a_merge_carrying_a_revoked_officers_capture_naming_the_revocation() {
        let dir = tempfile::tempdir().unwrap();
        let (mut case, lead, capture) = setup(dir.path());
        case.revoke_officer("Member", "left", &lead).unwrap();
        // A lead who writes the merge event by hand, past `case merge`.
        let check = with_merge(&case, &lead, &capture);
        let p = check.problems.last().expect("the merge line is a problem");
        assert_eq!(p.line, 4, "{:?}", check.problems);
        assert!(
            p.message.contains("revoked") && p.message.contains("event 3"),
            "{}",
            p.message
        );
        assert!(check.capture_of(B1).is_none());
    }

    #[test]
    fn verify_refuses_a_carried_line_changed_after_its_officer_signed_it() {
        let dir = tempfile::tempdir().unwrap();
        let (case, lead, capture) = setup(dir.path());
        let changed = String::from_utf8(capture)
            .unwrap()
            .replace("http://127.0.0.1/", "http://127.0.0.2/");
        let check = with_merge(&case, &lead, changed.as_bytes());
        let p = check.problems.last().expect("the merge line is a problem");
        assert!(
            p.message.contains("signature does not verify"),
            "{}",
            p.message
        );
        assert!(check.capture_of(B1).is_none());
    }

    #[test]
    fn verify_refuses_officer_changes_signed_by_a_member() {
        let dir = tempfile::tempdir().unwrap();
        let (case, _lead, _) = setup(dir.path());
        let member = OfficerKey::load(&dir.path().join("member.pem")).unwrap();
        let other = OfficerKey::load_or_create(&dir.path().join("other.pem")).unwrap();
        let log = std::fs::read(case.custody_path()).unwrap();
        let last = lines(&log).last().unwrap().to_vec();
        for (action, details) in [
            (
                Action::OfficerAdded,
                serde_json::json!({"officer": "X", "public_key": other.public_b64(), "case_toml_sha256": "0", "role": "lead"}),
            ),
            (
                Action::OfficerRevoked,
                serde_json::json!({"officer": "Lead", "public_key": "k", "reason": "r", "case_toml_sha256": "0"}),
            ),
        ] {
            let mut crafted = log.clone();
            crafted.extend(line(&member, "Member", 3, &last, action, None, details));
            let check = custody::check_log(&crafted);
            let p = check
                .problems
                .last()
                .expect("a member's officer change is a problem");
            assert_eq!(p.line, 3);
            assert!(p.message.contains("not a lead officer"), "{}", p.message);
        }
    }

    #[test]
    fn verify_refuses_a_merge_signed_by_a_member() {
        let dir = tempfile::tempdir().unwrap();
        let (case, _lead, capture) = setup(dir.path());
        let member = OfficerKey::load(&dir.path().join("member.pem")).unwrap();
        let check = with_merge_by(&case, &member, "Member", &[&capture]);
        let p = check
            .problems
            .last()
            .expect("a member's merge is a problem");
        assert!(p.message.contains("not a lead officer"), "{}", p.message);
        assert!(check.capture_of(B1).is_none());
    }

    #[test]
    fn a_withdrawal_carried_with_its_capture_withdraws_the_merged_exhibit() {
        let dir = tempfile::tempdir().unwrap();
        let (case, lead, capture) = setup(dir.path());
        let member = OfficerKey::load(&dir.path().join("member.pem")).unwrap();
        let withdraw = line(
            &member,
            "Member",
            4,
            capture.strip_suffix(b"\n").unwrap(),
            Action::Withdraw,
            None,
            serde_json::json!({"exhibit": {"bundle": B1, "number": "C-1/0001"}, "reason": "wrong page"}),
        );
        let check = with_merge_by(&case, &lead, "Lead", &[&capture, &withdraw]);
        assert!(check.problems.is_empty(), "{:?}", check.problems);
        assert_eq!(check.state.withdrawn.get(B1), Some(&3));
        let record = custody::timeline::record(&check);
        let w = record.exhibits[0]
            .withdrawn
            .as_ref()
            .expect("shown withdrawn");
        assert_eq!(
            (w.seq, w.officer.as_str(), w.reason.as_str()),
            (3, "Member", "wrong page")
        );
    }

    #[test]
    fn verify_refuses_a_merge_too_large_to_append_after_or_naming_a_path() {
        let dir = tempfile::tempdir().unwrap();
        let (case, lead, capture) = setup(dir.path());
        let huge = vec![b'x'; custody::check::MAX_CARRIED_BYTES + 2];
        let check = with_merge_by(&case, &lead, "Lead", &[&capture, &huge]);
        let p = check.problems.last().expect("too large");
        assert!(
            p.message.contains("one merge carries at most"),
            "{}",
            p.message
        );
        let renamed = String::from_utf8(capture).unwrap().replace(B1, "../x");
        let check = with_merge_by(&case, &lead, "Lead", &[renamed.as_bytes()]);
        let p = check.problems.last().expect("not an id");
        assert!(p.message.contains("not a capture id"), "{}", p.message);
    }

    #[test]
    fn in_a_case_from_before_roles_a_member_may_add_members_but_not_leads() {
        let dir = tempfile::tempdir().unwrap();
        let lead = OfficerKey::load_or_create(&dir.path().join("lead.pem")).unwrap();
        let member = OfficerKey::load_or_create(&dir.path().join("member.pem")).unwrap();
        let other = OfficerKey::load_or_create(&dir.path().join("other.pem")).unwrap();
        // case-init as warden wrote it before roles: no officer_roles.
        let init = sign_line(
            &EventBody {
                seq: 1,
                time: crate::now_rfc3339(),
                officer: "Lead".into(),
                public_key: lead.public_b64(),
                action: Action::CaseInit,
                bundle: None,
                manifest_sha256: None,
                details: Some(serde_json::json!({"case_id": "C-1", "case_toml_sha256": "0"})),
                prev: crate::custody::GENESIS_PREV.into(),
            },
            &lead,
        );
        let added = line(
            &lead,
            "Lead",
            2,
            init.strip_suffix(b"\n").unwrap(),
            Action::OfficerAdded,
            None,
            serde_json::json!({"officer": "Member", "public_key": member.public_b64(), "case_toml_sha256": "0"}),
        );
        for (role, ok) in [("member", true), ("lead", false)] {
            let by_member = line(
                &member,
                "Member",
                3,
                added.strip_suffix(b"\n").unwrap(),
                Action::OfficerAdded,
                None,
                serde_json::json!({"officer": "Other", "public_key": other.public_b64(), "case_toml_sha256": "0", "role": role}),
            );
            let log = [init.clone(), added.clone(), by_member].concat();
            let check = custody::check_log(&log);
            assert_eq!(
                check.problems.is_empty(),
                ok,
                "{role}: {:?}",
                check.problems
            );
            if !ok {
                assert!(check.problems[0].message.contains("add a lead officer"));
            }
        }
    }

    #[test]
    fn verify_refuses_a_checkpoint_a_revoked_key_signed_over_its_revocation() {
        let dir = tempfile::tempdir().unwrap();
        let (mut case, lead, _) = setup(dir.path());
        let member = OfficerKey::load(&dir.path().join("member.pem")).unwrap();
        case.revoke_officer("Member", "left", &lead).unwrap();
        let log = std::fs::read(case.custody_path()).unwrap();
        let leaves = custody::checkpoint::leaf_hashes(&log);
        let fp = case.fingerprint().unwrap();
        let verify_with = |size: usize| {
            let (bytes, _) = custody::checkpoint::make(&fp, &leaves[..size], &member);
            let file = dir.path().join(format!("cp-{size}"));
            std::fs::write(&file, bytes).unwrap();
            crate::verify::verify(
                &crate::verify::VerifyOptions {
                    paths: vec![case.root.clone()],
                    checkpoints: vec![file.clone()],
                    ..Default::default()
                },
                &mut |_| {},
            )
            .unwrap()
            .problems
            .into_iter()
            .filter(|p| p.path == file.display().to_string())
            .map(|p| p.message)
            .collect::<Vec<_>>()
        };
        // Covering the revocation (event 3): made after it.
        let after = verify_with(3);
        assert!(
            after
                .iter()
                .any(|m| m.contains("made after the revocation")),
            "{after:?}"
        );
        // Covering only what came before: it may have been made then.
        assert!(verify_with(2).is_empty());
    }
}
