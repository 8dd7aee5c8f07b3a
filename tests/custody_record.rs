//! The custody record: `custody show`, notes, access, transfer and accept, withdrawals,
//! checkpoints, exhibit numbers in `case show`, and what verify makes of each (also on another
//! computer, and against a checkpoint kept outside the case).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine as _;
use common::exports::export_case;
use common::forge::{custody_lines, signed_line, signing_key, verify_json, write_custody};
use common::*;
use serde_json::Value;

const SECOND: &str = "Officer Second Sipho";

/// A case with two captured pages and a second officer (with their own environment: key and
/// witness folder) registered in it.
struct Fixture {
    _http: TestServer,
    env: TestEnv,
    second: TestEnv,
    case: PathBuf,
    urls: Vec<String>,
}

impl Fixture {
    fn new() -> Fixture {
        let http = TestServer::http(standard_routes());
        let env = TestEnv::new();
        let second = TestEnv::new();
        let case = env.new_case();
        let urls = vec![http.url("/plain"), http.url("/gbk")];
        for u in &urls {
            let (out, _) = env.capture_json(&case, [u]);
            assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
        }
        env.add_officer(&case, SECOND, &second);
        Fixture {
            _http: http,
            env,
            second,
            case,
            urls,
        }
    }

    fn custody(&self, who: &TestEnv, args: &[&str]) -> Output {
        who.warden()
            .arg("--case")
            .arg(&self.case)
            .arg("custody")
            .args(args)
            .output()
            .unwrap()
    }

    fn ok(&self, who: &TestEnv, args: &[&str]) -> String {
        let out = who.custody_ok(&self.case, args);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The command is refused with exit 2, a one-line error, and the log is untouched.
    fn refused(&self, who: &TestEnv, args: &[&str], says: &str) {
        let before = read(&self.case.join("custody.jsonl"));
        let out = self.custody(who, args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "custody {args:?}\n{}",
            describe(&out)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(says),
            "custody {args:?}: error lacks {says:?}:\n{err}"
        );
        assert_eq!(
            err.lines().filter(|l| l.starts_with("error:")).count(),
            1,
            "{err}"
        );
        assert_eq!(
            read(&self.case.join("custody.jsonl")),
            before,
            "custody {args:?} changed the log although it was refused"
        );
    }

    fn show_json(&self) -> Value {
        let out = self.custody(&self.env, &["show", "--json"]);
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn exhibit(n: usize) -> String {
    format!("{CASE_ID}/{n:04}")
}

#[test]
fn note_access_transfer_accept_withdraw_checkpoint_round_trip_and_verify() {
    let f = Fixture::new();
    let out = f.ok(
        &f.env,
        &[
            "note",
            "--exhibit",
            "1",
            "seller asked for payment by phone",
        ],
    );
    assert!(out.contains(&exhibit(1)), "{out}");
    f.ok(&f.env, &["note", "case opened after a tip-off"]);
    f.ok(
        &f.env,
        &[
            "access",
            "--reason",
            "reviewed for the prosecutor",
            "--exhibit",
            &exhibit(2),
        ],
    );
    let out = f.ok(
        &f.env,
        &[
            "transfer",
            "--to",
            SECOND,
            "--reason",
            "case handed to the evidence unit",
            "--location",
            "Room 4",
        ],
    );
    assert!(out.contains("warden custody accept"), "{out}");
    let out = f.ok(&f.second, &["accept", "--note", "received sealed"]);
    assert!(out.contains(OFFICER), "{out}");
    f.ok(
        &f.second,
        &["withdraw", "2", "--reason", "captured the wrong listing"],
    );
    let out = f.ok(&f.second, &["checkpoint"]);
    assert!(out.contains("checkpoints/"), "{out}");

    let v = f.show_json();
    let events = v["events"].as_array().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "case-init",
            "capture",
            "capture",
            "officer-added",
            "note",
            "note",
            "access",
            "transfer",
            "accept",
            "withdraw",
            "checkpoint"
        ],
        "{v:#}"
    );
    assert!(events.iter().all(|e| e["valid"] == true), "{v:#}");
    assert_eq!(events[4]["exhibit"], exhibit(1));
    assert_eq!(events[5]["exhibit"], Value::Null);
    assert_eq!(events[6]["exhibit"], exhibit(2));
    assert_eq!(events[8]["officer"], SECOND);
    assert_eq!(events[9]["exhibit"], exhibit(2));
    assert!(
        events[7]["summary"].as_str().unwrap().contains("Room 4"),
        "{v:#}"
    );
    assert_eq!(v["custodian"], SECOND);
    assert_eq!(v["pending_transfer"], Value::Null);
    let exhibits = v["exhibits"].as_array().unwrap();
    assert_eq!(exhibits.len(), 2);
    assert_eq!(exhibits[0]["number"], exhibit(1));
    assert_eq!(exhibits[0]["url"], f.urls[0].as_str());
    assert_eq!(
        exhibits[0]["notes"],
        serde_json::json!(["seller asked for payment by phone"])
    );
    assert_eq!(exhibits[0]["withdrawn"], Value::Null);
    assert_eq!(
        exhibits[1]["withdrawn"]["reason"],
        "captured the wrong listing"
    );
    assert_eq!(exhibits[1]["withdrawn"]["officer"], SECOND);

    // The text timeline has a row per event, in order, with its exhibit.
    let text = f.ok(&f.env, &["show"]);
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.trim_start()
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
        .collect();
    assert_eq!(rows.len(), 11, "{text}");
    assert!(
        rows[9].contains("withdraw") && rows[9].contains(&exhibit(2)),
        "{text}"
    );
    assert!(text.contains(&format!("held by {SECOND}")), "{text}");

    // case show marks the withdrawn exhibit, and keeps its bundle.
    let out = f
        .env
        .warden()
        .arg("--case")
        .arg(&f.case)
        .args(["case", "show"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line2 = text
        .lines()
        .find(|l| l.trim_start().starts_with(&exhibit(2)))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line2.contains("WITHDRAWN") && line2.contains("captured the wrong listing"),
        "{text}"
    );
    assert!(text.contains("exhibits  2 (1 withdrawn)"), "{text}");
    assert_eq!(
        evidence_entries(&f.case).len(),
        2,
        "a withdrawal must not delete the bundle"
    );

    // Verify, on this computer and on another one, holds and checks the checkpoint.
    for who in [&f.env, &TestEnv::new()] {
        let verdict = verify_json(who, [&f.case]);
        verdict.assert_ok("a case with every record-keeping event");
        let verified = verdict.report["verified"].to_string();
        assert!(
            verified.contains("checkpoints/00000010.checkpoint"),
            "{verified}"
        );
    }
}

#[test]
fn record_keeping_refuses_what_the_record_does_not_allow() {
    let f = Fixture::new();
    f.refused(
        &f.env,
        &["withdraw", "3", "--reason", "x"],
        "no exhibit \"3\"",
    );
    f.refused(
        &f.env,
        &["note", "--exhibit", "someone-else/0001", "x"],
        "no exhibit",
    );
    f.refused(&f.env, &["note", "   "], "must not be empty");
    f.refused(
        &f.env,
        &["transfer", "--to", "Nobody Registered", "--reason", "x"],
        "not registered as an officer",
    );
    f.refused(
        &f.env,
        &["transfer", "--to", OFFICER, "--reason", "x"],
        "officer who holds it",
    );
    f.refused(&f.env, &["accept"], "no transfer waiting");
    // Only the custodian hands the case over.
    f.refused(
        &f.second,
        &["transfer", "--to", OFFICER, "--reason", "x"],
        "holds it",
    );
    f.ok(
        &f.env,
        &[
            "transfer",
            "--to",
            SECOND,
            "--reason",
            "to the evidence unit",
        ],
    );
    // Only the receiver accepts; a second transfer waits for the first.
    f.refused(&f.env, &["accept"], "which was made to");
    f.refused(
        &f.env,
        &["transfer", "--to", SECOND, "--reason", "again"],
        "not accepted yet",
    );
    f.ok(&f.env, &["withdraw", &exhibit(1), "--reason", "duplicate"]);
    f.refused(
        &f.env,
        &["withdraw", "1", "--reason", "duplicate again"],
        "already withdrew",
    );
    // An unregistered key records nothing.
    let stranger = TestEnv::new();
    f.refused(&stranger, &["note", "hello"], "not registered in case");
    let verdict = verify_json(&f.env, [&f.case]);
    verdict.assert_ok("a case after refused commands");
}

/// A copy of the case on "another computer" (a fresh witness folder), with the custody log
/// replaced by `lines`, verified with the checkpoint `extra` given on the command line.
fn verify_copy_with(f: &Fixture, lines: &[String], extra: &Path) -> common::forge::Verdict {
    let elsewhere = TestEnv::new();
    let copy = elsewhere.path().join("copy");
    copy_dir(&f.case, &copy);
    write_custody(&copy, lines);
    verify_json(
        &elsewhere,
        [copy.as_os_str(), "--checkpoint".as_ref(), extra.as_os_str()],
    )
}

/// Re-chains and re-signs every line from index `from` on with `sk`, as someone holding the
/// officer's key could: the chain and signatures hold again, only a checkpoint can tell.
fn rechain(lines: &mut [String], from: usize, sk: &ed25519_dalek::SigningKey) {
    for i in from..lines.len() {
        let mut v: Value = serde_json::from_str(&lines[i]).unwrap();
        v["seq"] = (i as u64 + 1).into();
        v["prev"] = if i == 0 {
            "0".repeat(64).into()
        } else {
            sha256_hex(lines[i - 1].as_bytes()).into()
        };
        lines[i] = signed_line(&v, sk);
    }
}

#[test]
fn checkpoints_catch_truncating_editing_and_reordering_on_another_computer() {
    let f = Fixture::new();
    f.ok(&f.env, &["note", "--exhibit", "1", "first note"]);
    f.ok(&f.env, &["note", "second note"]);
    f.ok(&f.env, &["checkpoint"]);
    f.ok(&f.env, &["note", "after the checkpoint"]);
    // The checkpoint covers the 6 events before it; a copy is kept outside the case.
    let held = f.env.path().join("held.checkpoint");
    std::fs::copy(f.case.join("checkpoints/00000006.checkpoint"), &held).unwrap();
    let text = read_string(&held);
    assert!(text.starts_with("warden-case/"), "{text}");
    assert_eq!(text.lines().nth(1), Some("6"), "{text}");
    let lines = custody_lines(&f.case);
    assert_eq!(lines.len(), 8);

    // Unchanged: holds, and the held checkpoint is reported as checked.
    let v = verify_copy_with(&f, &lines, &held);
    v.assert_ok("an untouched copy with its checkpoint");
    assert!(
        v.report["verified"].to_string().contains("held.checkpoint"),
        "{}",
        v.describe()
    );

    // Truncated to 4 lines: no line is out of order, but both checkpoints catch it.
    let v = verify_copy_with(&f, &lines[..4], &held);
    v.assert_problem("a log cut back below its checkpoint", |path, msg| {
        path.ends_with("held.checkpoint")
            && msg.contains("covers 6 lines")
            && msg.contains("holds only 4")
    });
    v.assert_problem("a log cut back below its checkpoint", |path, msg| {
        path.ends_with("checkpoints/00000006.checkpoint") && msg.contains("holds only 4")
    });

    // A covered note edited and the log re-signed with the officer's own key: chain and
    // signatures hold, the Merkle tree hash does not.
    let sk = signing_key(&f.env.key);
    let mut edited = lines.clone();
    let mut v4: Value = serde_json::from_str(&edited[4]).unwrap();
    v4["details"]["text"] = "a different note".into();
    edited[4] = signed_line(&v4, &sk);
    rechain(&mut edited, 5, &sk);
    let v = verify_copy_with(&f, &edited, &held);
    v.assert_problem("an edited, re-signed covered line", |path, msg| {
        path.ends_with("held.checkpoint") && msg.contains("no longer have the Merkle tree hash")
    });
    assert!(
        !v.problems()
            .iter()
            .any(|(p, _)| p.contains("custody.jsonl:") && !p.ends_with(":7")),
        "the re-signed log should hold line by line except the checkpoint event's own root: {}",
        v.describe()
    );

    // Two covered notes swapped and re-signed: caught the same way.
    let mut swapped = lines.clone();
    swapped.swap(4, 5);
    rechain(&mut swapped, 4, &sk);
    let v = verify_copy_with(&f, &swapped, &held);
    v.assert_problem("reordered covered lines", |path, msg| {
        path.ends_with("held.checkpoint") && msg.contains("no longer have the Merkle tree hash")
    });
}

#[test]
fn a_checkpoint_signed_by_a_key_outside_the_case_is_rejected() {
    let f = Fixture::new();
    f.ok(&f.env, &["checkpoint"]);
    let path = f.case.join("checkpoints/00000004.checkpoint");
    let text = read_string(&path);
    let body = text.split("\n\n").next().unwrap().to_string() + "\n";
    // The same checkpoint text, signed as a C2SP note by a key no event registered.
    let stranger = TestEnv::new();
    let sk = signing_key(&stranger.key);
    let vk = sk.verifying_key();
    let name = format!("warden-officer/{}", hex::encode(vk.as_bytes()));
    let mut id_input = name.clone().into_bytes();
    id_input.push(b'\n');
    id_input.push(1);
    id_input.extend_from_slice(vk.as_bytes());
    let key_id = &sha2::Sha256::digest(&id_input)[..4];
    use ed25519_dalek::Signer as _;
    use sha2::Digest as _;
    let sig = sk.sign(body.as_bytes());
    let mut blob = key_id.to_vec();
    blob.extend_from_slice(&sig.to_bytes());
    let forged = format!("{body}\n\u{2014} {name} {}\n", b64().encode(blob));
    let held = f.env.path().join("forged.checkpoint");
    std::fs::write(&held, &forged).unwrap();
    let lines = custody_lines(&f.case);
    let v = verify_copy_with(&f, &lines, &held);
    v.assert_problem("a checkpoint signed by a stranger", |path, msg| {
        path.ends_with("forged.checkpoint") && msg.contains("not signed by an officer of this case")
    });
    // Put in the case's own folder instead of the genuine one, it fails there too.
    std::fs::write(&path, &forged).unwrap();
    let v = verify_json(&f.env, [&f.case]);
    v.assert_problem("a stranger's checkpoint in checkpoints/", |p, msg| {
        p.ends_with("checkpoints/00000004.checkpoint") && msg.contains("not signed by an officer")
    });
}

#[test]
fn verify_names_a_removed_linked_or_planted_checkpoint_file() {
    let f = Fixture::new();
    f.ok(&f.env, &["checkpoint"]);
    let path = f.case.join("checkpoints/00000004.checkpoint");
    let saved = read(&path);
    std::fs::remove_file(&path).unwrap();
    let v = verify_json(&f.env, [&f.case]);
    v.assert_problem("a removed checkpoint", |p, msg| {
        p.ends_with("checkpoints/00000004.checkpoint") && msg.contains("missing")
    });
    // A symbolic link in its place is not read through.
    let elsewhere = f.env.path().join("elsewhere.checkpoint");
    std::fs::write(&elsewhere, &saved).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
    let v = verify_json(&f.env, [&f.case]);
    v.assert_problem("a checkpoint that is a symbolic link", |p, msg| {
        p.ends_with("checkpoints/00000004.checkpoint") && msg.contains("symbolic link")
    });
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, &saved).unwrap();
    std::fs::write(f.case.join("checkpoints/notes.txt"), "planted").unwrap();
    let v = verify_json(&f.env, [&f.case]);
    v.assert_problem("a planted file in checkpoints/", |p, msg| {
        p.ends_with("checkpoints/notes.txt") && msg.contains("unexpected entry")
    });
}

#[test]
fn custody_show_escapes_control_characters_in_notes() {
    let f = Fixture::new();
    f.ok(
        &f.env,
        &["note", "line one\u{1b}[2Jcleared\u{202e}reversed"],
    );
    let text = f.ok(&f.env, &["show"]);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "{text:?}"
    );
    assert!(
        text.contains("\\u{1b}[2Jcleared\\u{202e}reversed"),
        "{text}"
    );
}

#[test]
fn a_time_stamped_checkpoint_verifies_against_its_authority_and_a_changed_token_is_caught() {
    let f = Fixture::new();
    let tsa = Tsa::start();
    let out = f.ok(&f.env, &["checkpoint", "--tsa", &tsa.url()]);
    assert!(out.contains("checkpoints/00000004.tsr"), "{out}");
    let token = f.case.join("checkpoints/00000004.tsr");
    // openssl, independently: the token covers the checkpoint file.
    run_ok(
        openssl()
            .args(["ts", "-verify", "-data"])
            .arg(f.case.join("checkpoints/00000004.checkpoint"))
            .arg("-in")
            .arg(&token)
            .arg("-CAfile")
            .arg(tsa.ca_crt())
            .arg("-untrusted")
            .arg(tsa.tsa_crt()),
    );
    let v = verify_json(
        &f.env,
        [
            f.case.as_os_str(),
            "--tsa-ca".as_ref(),
            tsa.ca_crt().as_os_str(),
        ],
    );
    v.assert_ok("a time-stamped checkpoint");
    let verified = v.report["verified"].to_string();
    assert!(
        verified.contains("00000004.tsr") && verified.contains("under --tsa-ca"),
        "{verified}"
    );
    // A token of another authority's PKI does not verify against this one's root.
    let other = Tsa::start();
    let v = verify_json(
        &f.env,
        [
            f.case.as_os_str(),
            "--tsa-ca".as_ref(),
            other.ca_crt().as_os_str(),
        ],
    );
    v.assert_problem("a token checked against another root", |p, msg| {
        p.ends_with("checkpoints/00000004.tsr")
            && msg.contains("does not verify against the given --tsa-ca")
    });
    // A changed token is not the one the event recorded.
    flip_byte(&token);
    let v = verify_json(&f.env, [&f.case]);
    v.assert_problem("a changed token", |p, msg| {
        p.ends_with("checkpoints/00000004.tsr") && msg.contains("is not the token custody event")
    });
}

/// A `custody checkpoint --tsa` that stops after writing the checkpoint and its token but
/// before recording them leaves two files no event records: verify notes both (on another
/// computer, where no local record of the log's length exists) instead of calling the token
/// planted. A token without its checkpoint beside it is still a problem.
#[test]
fn a_time_stamped_checkpoint_interrupted_before_its_event_is_noted_not_called_planted() {
    let f = Fixture::new();
    let tsa = Tsa::start();
    let before = read(&f.case.join("custody.jsonl"));
    f.ok(&f.env, &["checkpoint", "--tsa", &tsa.url()]);
    // The state of a checkpoint interrupted between its files and its event.
    std::fs::write(f.case.join("custody.jsonl"), &before).unwrap();
    let elsewhere = TestEnv::new();
    let v = verify_json(&elsewhere, [&f.case]);
    v.assert_ok("an interrupted time-stamped checkpoint");
    let notes = v.report["notes"].to_string();
    assert!(
        notes.contains("00000004.checkpoint: a valid checkpoint")
            && notes.contains("00000004.tsr: a time-stamp token over the valid checkpoint"),
        "{}",
        v.describe()
    );
    // Without the checkpoint it covers, the token is unexplained.
    std::fs::remove_file(f.case.join("checkpoints/00000004.checkpoint")).unwrap();
    let v = verify_json(&elsewhere, [&f.case]);
    v.assert_problem("a token without its checkpoint", |p, msg| {
        p.ends_with("checkpoints/00000004.tsr") && msg.contains("added outside warden")
    });
}

#[test]
fn a_checkpoint_whose_authority_is_down_is_not_recorded() {
    let f = Fixture::new();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/tsa",
        closed.local_addr().unwrap().port()
    );
    drop(closed);
    f.refused(
        &f.env,
        &["checkpoint", "--tsa", &url, "--timeout", "5"],
        "time-stamp authority",
    );
    // The checkpoint file is there (a valid, unrecorded checkpoint), no token, and verify says so.
    assert!(!f.case.join("checkpoints/00000004.tsr").exists());
    let v = verify_json(&f.env, [&f.case]);
    v.assert_ok("a case with an unrecorded checkpoint");
    assert!(
        v.report["notes"]
            .to_string()
            .contains("no checkpoint event records"),
        "{}",
        v.describe()
    );
}

#[test]
fn verify_by_an_officer_records_its_result_but_never_into_a_damaged_log() {
    let f = Fixture::new();
    let log = f.case.join("custody.jsonl");
    // An officer's verify of the case folder records one verify event with
    // the result, and the case still verifies.
    let out = f.env.verify([&f.case]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        output_text(&out).contains("recorded this verification in custody event"),
        "{}",
        describe(&out)
    );
    let last: Value = serde_json::from_str(custody_lines(&f.case).last().unwrap()).unwrap();
    assert_eq!(last["action"], "verify");
    assert_eq!(last["details"]["verdict"], "verified");
    assert_eq!(last["details"]["bundles"], 2);
    assert_eq!(last["officer"], OFFICER);
    let args = last["details"]["arguments"].as_array().unwrap();
    assert_eq!(args[1], "verify", "{last}");
    assert_eq!(args[2].as_str().unwrap(), f.case.to_str().unwrap());
    verify_json(&f.env, [&f.case]).assert_ok("a case with a verify event");
    // --no-record writes nothing.
    let before = read(&log);
    let out = f.env.verify([f.case.as_os_str(), "--no-record".as_ref()]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(read(&log), before, "verify --no-record changed the log");
    // Someone who is not an officer of the case: verify works and writes
    // nothing, and says so; with --record it fails, writing nothing.
    let stranger = TestEnv::new();
    let out = stranger.verify([&f.case]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        output_text(&out).contains("will not be recorded"),
        "{}",
        describe(&out)
    );
    assert_eq!(read(&log), before);
    let out = stranger.verify([f.case.as_os_str(), "--record".as_ref()]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert_eq!(read(&log), before);
    // A zip of the case has no log to record in: neither the zip nor the case changes.
    let zip = f.env.path().join("case.zip");
    let out = export_case(&f.env, "bag", &f.case, &zip);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let zipped = read(&zip);
    let before = read(&log);
    let out = f.env.verify([&zip]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!((read(&zip), read(&log)), (zipped, before));
    // A failure that may come from what was typed (a wrong fingerprint) is
    // not recorded.
    let wrong = "0".repeat(64);
    let before = read(&log);
    let out = f.env.verify([
        f.case.as_os_str(),
        "--expect-fingerprint".as_ref(),
        wrong.as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        output_text(&out).contains("was not recorded"),
        "{}",
        describe(&out)
    );
    assert_eq!(read(&log), before);
    // With --record it is refused: a fingerprint that does not match is a
    // problem of the custody log, and nothing is written into a log with problems.
    let out = f.env.verify([
        f.case.as_os_str(),
        "--expect-fingerprint".as_ref(),
        wrong.as_ref(),
        "--record".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert_eq!(read(&log), before);
    // A failed verification is recorded as failed…
    let bundle = f.case.join("evidence").join(&evidence_entries(&f.case)[0]);
    flip_byte(&bundle.join("data/text.txt"));
    let out = f.env.verify([&f.case]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let last: Value = serde_json::from_str(custody_lines(&f.case).last().unwrap()).unwrap();
    assert_eq!(last["action"], "verify");
    assert_eq!(last["details"]["verdict"], "failed");
    // …but nothing is written into a custody log that itself does not hold:
    // a plain verify says so and reports the failure; --record fails.
    let mut lines = custody_lines(&f.case);
    lines[1] = lines[1].replacen("\"capture\"", "\"capturE\"", 1);
    write_custody(&f.case, &lines);
    let before = read(&log);
    let out = f.env.verify([&f.case]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        output_text(&out).contains("was not recorded"),
        "{}",
        describe(&out)
    );
    assert_eq!(read(&log), before, "a damaged log was written to");
    let out = f.env.verify([f.case.as_os_str(), "--record".as_ref()]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot be recorded"),
        "{}",
        describe(&out)
    );
    assert_eq!(read(&log), before, "a damaged log was written to");
}

/// Every command that reads or changes a case records itself (warden's
/// version and its command line) in the custody log, run from inside the
/// case folder without --case as well as with --case from elsewhere.
#[test]
fn capture_sweep_report_export_and_verify_record_their_command_line() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let list = env.path().join("list.toml");
    std::fs::write(&list, IVORY_LIST).unwrap();
    let proxy_like = "http://officer:hunter2@127.0.0.1:9/";
    for inside in [true, false] {
        let tag = if inside { "inside" } else { "with-case" };
        let run = |args: Vec<std::ffi::OsString>| -> Output {
            let mut cmd = env.warden();
            if inside {
                cmd.current_dir(&case);
            } else {
                cmd.arg("--case").arg(&case);
            }
            let out = cmd.args(&args).output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{args:?}\n{}", describe(&out));
            out
        };
        let os = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        let mut steps: Vec<(&str, Vec<std::ffi::OsString>)> = Vec::new();
        let url = http.url("/plain");
        steps.push(("capture", os(&["capture", &url, "--note", proxy_like])));
        let sweep_out = env.path().join(format!("sweep-{tag}.jsonl"));
        let mut sweep = os(&["sweep", "--list"]);
        sweep.push(list.clone().into());
        sweep.push("--input".into());
        sweep.push(case.clone().into());
        sweep.push("--out".into());
        sweep.push(sweep_out.into());
        steps.push(("sweep", sweep));
        let mut report = os(&["report", "--format", "html", "--out"]);
        report.push(env.path().join(format!("report-{tag}")).into());
        steps.push(("report", report));
        let mut export = os(&["export", "bag", "--out"]);
        export.push(env.path().join(format!("bag-{tag}.zip")).into());
        steps.push(("export", export));
        steps.push(("verify", os(&["verify"])));
        for (action, args) in steps {
            let before = custody_lines(&case).len();
            run(args.clone());
            let lines = custody_lines(&case);
            let ev: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
            assert!(lines.len() > before, "{action} ({tag}) recorded nothing");
            assert_eq!(ev["action"], action, "{tag}: {ev}");
            let d = &ev["details"];
            assert_eq!(
                d["warden_version"],
                env!("CARGO_PKG_VERSION"),
                "{action} ({tag}): {ev}"
            );
            let recorded: Vec<&str> = d["arguments"]
                .as_array()
                .unwrap_or_else(|| panic!("{action} ({tag}) has no arguments: {ev}"))
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            let mut expected: Vec<String> = Vec::new();
            if !inside {
                expected.push("--case".into());
                expected.push(case.to_string_lossy().into_owned());
            }
            expected.extend(args.iter().map(|a| a.to_string_lossy().into_owned()));
            let expected: Vec<String> = expected
                .into_iter()
                .map(|a| a.replace("hunter2", "REDACTED"))
                .collect();
            assert_eq!(recorded[1..], expected[..], "{action} ({tag})");
            assert!(
                !lines.last().unwrap().contains("hunter2"),
                "a password reached the log"
            );
        }
    }
    // And the case, with all these events, verifies.
    verify_json(&env, [&case]).assert_ok("a case whose commands recorded themselves");
    // Someone who is not an officer of the case can still sweep inside its
    // folder: nothing is recorded, and warden says so.
    let stranger = TestEnv::new();
    let log = case.join("custody.jsonl");
    let before = read(&log);
    let out = stranger
        .warden()
        .current_dir(&case)
        .arg("sweep")
        .arg("--list")
        .arg(&list)
        .arg("--input")
        .arg(&case)
        .arg("--out")
        .arg(stranger.path().join("sweep.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        output_text(&out).contains("will not be recorded"),
        "{}",
        describe(&out)
    );
    assert_eq!(read(&log), before, "a non-officer's sweep wrote to the log");
}
