//! Interrupted and failed writes to the custody log and case.toml: the next command finds the
//! half-done step, records what happened, and carries on; verify tells "interrupted" from
//! "tampered"; a full disk is named as such and leaves the case untouched.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use base64::Engine as _;
use common::forge::*;
use common::*;
use serde_json::Value;

fn capture(env: &TestEnv, case: &Path, url: String) -> std::process::Output {
    env.warden()
        .arg("--case")
        .arg(case)
        .arg("capture")
        .arg(url)
        .output()
        .unwrap()
}

#[test]
fn torn_last_custody_line_is_cut_off_and_recorded_by_the_next_capture() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let out = capture(&env, &case, http.url("/item/1"));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    // An append that died halfway through its line.
    let torn = br#"{"seq":3,"time":"2026-11-30T10:00:00.000Z","officer":"Offi"#;
    let log = case.join("custody.jsonl");
    let mut bytes = read(&log);
    bytes.extend_from_slice(torn);
    fs::write(&log, &bytes).unwrap();
    let v = verify_json(&env, [case.as_os_str()]);
    v.assert_problem("torn last line", |p, m| {
        p.ends_with("custody.jsonl")
            && m.contains("incomplete")
            && m.contains("next warden command")
    });

    let out = capture(&env, &case, http.url("/item/2"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "capture after a torn line\n{}",
        describe(&out)
    );
    let lines = custody_lines(&case);
    assert_eq!(
        lines.len(),
        4,
        "case-init, capture, log-repaired, capture: {lines:#?}"
    );
    let repaired: Value = serde_json::from_str(&lines[2]).unwrap();
    assert_eq!(repaired["action"], "log-repaired");
    assert_eq!(repaired["seq"], 3);
    assert_eq!(repaired["details"]["torn_bytes"], torn.len());
    assert_eq!(repaired["details"]["torn_sha256"], sha256_hex(torn));
    assert_eq!(
        b64()
            .decode(repaired["details"]["torn_base64"].as_str().unwrap())
            .unwrap(),
        torn.to_vec()
    );
    assert_eq!(repaired["details"]["after_seq"], 2);
    let last: Value = serde_json::from_str(&lines[3]).unwrap();
    assert_eq!(last["action"], "capture");
    verify_json(&env, [case.as_os_str()]).assert_ok("after the repair");
}

fn add_officer(env: &TestEnv, case: &Path, name: &str, key: &Path) -> std::process::Output {
    env.warden()
        .arg("--case")
        .arg(case)
        .args(["case", "add-officer", "--officer", name, "--public-key"])
        .arg(public_key_b64(key))
        .output()
        .unwrap()
}

#[test]
fn add_officer_interrupted_after_its_event_is_finished_by_the_next_command() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let before = read(&case.join("case.toml"));
    let other = env.path().join("keys/other.pem");
    generate_key(&other);
    let out = add_officer(&env, &case, "Officer Other", &other);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    // The state a stop between the event and the rename leaves: the new file still pending.
    fs::rename(case.join("case.toml"), case.join(".case.toml.pending")).unwrap();
    fs::write(case.join("case.toml"), &before).unwrap();
    let v = verify_json(&env, [case.as_os_str()]);
    v.assert_problem("interrupted add-officer", |p, m| {
        p.ends_with("/case.toml") && m.contains("interrupted") && m.contains("finishes it")
    });

    let out = capture(&env, &case, http.url("/plain"));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("finished an interrupted `case add-officer`"),
        "{err}"
    );
    assert!(!case.join(".case.toml.pending").exists());
    assert!(read_string(&case.join("case.toml")).contains("Officer Other"));
    verify_json(&env, [case.as_os_str()]).assert_ok("after recovery");
}

#[test]
fn add_officer_interrupted_before_its_event_is_dropped_by_the_next_command() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let out = capture(&env, &case, http.url("/plain"));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let log_before = read(&case.join("custody.jsonl"));
    // A pending case file whose event was never written.
    let mut pending = read_string(&case.join("case.toml"));
    pending.push_str("\n[[officers]]\nname = \"Never Added\"\npublic_key = \"x\"\nadded = \"y\"\n");
    fs::write(case.join(".case.toml.pending"), &pending).unwrap();
    verify_json(&env, [case.as_os_str()]).assert_problem("pending file, no event", |p, m| {
        p.ends_with("/.case.toml.pending") && m.contains("never written")
    });
    let other = env.path().join("keys/other.pem");
    generate_key(&other);
    let out = add_officer(&env, &case, "Officer Other", &other);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("removed .case.toml.pending"));
    let toml = read_string(&case.join("case.toml"));
    assert!(
        toml.contains("Officer Other") && !toml.contains("Never Added"),
        "{toml}"
    );
    assert!(read(&case.join("custody.jsonl")).starts_with(&log_before));
    verify_json(&env, [case.as_os_str()]).assert_ok("after recovery");
}

/// A small tmpfs mounted for one test (the tests run as root, as CI does); unmounted on drop.
struct SmallDisk {
    dir: PathBuf,
    _tmp: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let tmp = tmpdir();
        let dir = tmp.path().join("disk");
        fs::create_dir(&dir).unwrap();
        let out = StdCommand::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "mounting a small tmpfs failed (the disk-full tests need root, as scripts/test runs in CI): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk { dir, _tmp: tmp }
    }

    /// Fills the disk until a write fails.
    fn fill(&self) -> PathBuf {
        let filler = self.dir.join("filler");
        let mut f = fs::File::create(&filler).unwrap();
        let block = vec![0u8; 4096];
        use std::io::Write as _;
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = StdCommand::new("umount").arg("-l").arg(&self.dir).status();
    }
}

#[test]
fn a_full_disk_is_named_and_leaves_the_case_untouched() {
    let disk = SmallDisk::mount("1m");
    let env = TestEnv::new();
    let case = disk.dir.join("case");
    env.init_case(&case);
    let other = env.path().join("keys/other.pem");
    generate_key(&other);
    let filler = disk.fill();
    let toml = read(&case.join("case.toml"));
    let log = read(&case.join("custody.jsonl"));

    let out = add_officer(&env, &case, "Officer Other", &other);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(err.contains("is full"), "the full disk is named: {err}");
    assert_eq!(read(&case.join("case.toml")), toml);
    assert_eq!(read(&case.join("custody.jsonl")), log);
    assert!(!case.join(".case.toml.pending").exists());

    // With space again, the same command works and the case verifies.
    fs::remove_file(filler).unwrap();
    let out = add_officer(&env, &case, "Officer Other", &other);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let v = verify_json(&env, [case.as_os_str()]);
    // No bundle yet: nothing to verify, but nothing wrong either.
    assert_eq!(v.report["ok"], true, "{}", v.describe());
    assert_eq!(v.report["custody_events"], 2, "{}", v.describe());
}

#[test]
fn capture_refuses_a_custody_log_damaged_before_its_end_and_touches_nothing() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let out = capture(&env, &case, http.url("/item/1"));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    // The last complete line is not an event (edited by hand): nothing can be chained to it.
    let mut lines = custody_lines(&case);
    let last = lines.pop().unwrap();
    lines.push(last.replace("\"seq\"", "\"sequence\""));
    write_custody(&case, &lines);
    let before = tree_digest(&case);
    let out = capture(&env, &case, http.url("/item/2"));
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("custody.jsonl") && err.contains("damaged"),
        "the error names the log and the damage: {err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert_eq!(tree_digest(&case), before, "nothing in the case changed");
    assert!(
        !http.requests().iter().any(|r| r.path() == "/item/2"),
        "nothing was fetched"
    );
}

#[test]
fn a_whole_last_event_without_its_newline_is_kept_not_cut() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let out = capture(&env, &case, http.url("/item/1"));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let log = case.join("custody.jsonl");
    let mut bytes = read(&log);
    assert_eq!(bytes.pop(), Some(b'\n'));
    fs::write(&log, &bytes).unwrap();
    let before = custody_lines(&case);
    let out = capture(&env, &case, http.url("/item/2"));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let after = custody_lines(&case);
    assert_eq!(
        &after[..before.len()],
        &before[..],
        "the signed capture event is kept"
    );
    assert!(
        after.iter().all(|l| !l.contains("log-repaired")),
        "nothing was cut: {after:#?}"
    );
    verify_json(&env, [case.as_os_str()]).assert_ok("after the newline was restored");
}

/// A case with two captures, then its last bundle removed and its last custody line cut to
/// `keep(line length)` bytes with no newline, as an interrupted write would leave it.
fn two_captures_with_the_last_cut(keep: impl Fn(usize) -> usize) -> (TestServer, TestEnv, PathBuf) {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    for i in 1..=2 {
        let out = capture(&env, &case, http.url(&format!("/item/{i}")));
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    }
    let mut lines = custody_lines(&case);
    let cut = lines.pop().unwrap();
    let last: Value = serde_json::from_str(&cut).unwrap();
    fs::remove_dir_all(case.join("evidence").join(last["bundle"].as_str().unwrap())).unwrap();
    let mut bytes = format!("{}\n", lines.join("\n")).into_bytes();
    bytes.extend_from_slice(&cut.as_bytes()[..keep(cut.len())]);
    fs::write(case.join("custody.jsonl"), &bytes).unwrap();
    (http, env, case)
}

#[test]
fn cutting_a_capture_event_and_its_bundle_is_not_laundered_by_the_next_capture() {
    // The attacker removes the last bundle and cuts its event short by a few bytes, so that
    // it looks like an interrupted write (on another computer: no witness to help).
    let (http, env, case) = two_captures_with_the_last_cut(|len| len - 10);
    let other = TestEnv::new();
    let other_key = other.key.clone();
    fs::copy(&env.key, &other_key).unwrap();
    let out = capture(&other, &case, http.url("/item/3"));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("incomplete line"),
        "the repair is announced: {err}"
    );
    verify_json(&other, [case.as_os_str()]).assert_problem("cut capture event", |p, m| {
        p.contains("custody.jsonl:")
            && m.contains("verify cannot tell an interrupted write")
            && m.contains("capture event cut together with its bundle")
    });
}

#[test]
fn cutting_the_last_event_short_is_refused_by_the_next_capture_on_the_capturing_computer() {
    // The last event cut to its first 30 bytes and its bundle removed: it looks like an
    // interrupted write, but this computer's witness recorded that event.
    let (http, env, case) = two_captures_with_the_last_cut(|_| 30);
    let before = tree_digest(&case);
    let out = capture(&env, &case, http.url("/item/3"));
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no longer holds event 3"),
        "{}",
        describe(&out)
    );
    assert_eq!(tree_digest(&case), before, "nothing was cut or recorded");
}

#[test]
fn events_cut_from_the_end_block_the_next_capture_on_the_capturing_computer() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    for i in 1..=2 {
        let out = capture(&env, &case, http.url(&format!("/item/{i}")));
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    }
    let mut lines = custody_lines(&case);
    let last: Value = serde_json::from_str(&lines.pop().unwrap()).unwrap();
    fs::remove_dir_all(case.join("evidence").join(last["bundle"].as_str().unwrap())).unwrap();
    write_custody(&case, &lines);
    let before = tree_digest(&case);
    let out = capture(&env, &case, http.url("/item/3"));
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no longer holds event 3"), "{err}");
    assert_eq!(
        tree_digest(&case),
        before,
        "nothing was recorded on top of the rollback"
    );
    verify_json(&env, [case.as_os_str()]).assert_problem("still reported", |p, m| {
        p.ends_with("custody.jsonl") && m.contains("no longer holds it")
    });
}

#[test]
fn capture_refuses_to_chain_onto_a_forged_last_line() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let out = capture(&env, &case, http.url("/item/1"));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    // A well-formed line with a bad signature and a bad `prev`, appended by hand.
    let mut lines = custody_lines(&case);
    let mut forged: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    forged["seq"] = 3.into();
    forged["prev"] = "00".repeat(32).into();
    lines.push(serde_json::to_string(&forged).unwrap());
    write_custody(&case, &lines);
    let before = tree_digest(&case);
    let out = capture(&env, &case, http.url("/item/2"));
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("damaged") && err.contains("line 3"), "{err}");
    assert_eq!(
        tree_digest(&case),
        before,
        "nothing chained onto the forged line"
    );
}

#[test]
fn no_repair_is_written_onto_a_log_damaged_before_its_torn_end() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let out = capture(&env, &case, http.url("/item/1"));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    // Line 2 edited (officer name) and an incomplete line after it.
    let mut lines = custody_lines(&case);
    lines[1] = lines[1].replacen(OFFICER, "Someone Else", 1);
    let mut bytes = format!("{}\n", lines.join("\n")).into_bytes();
    bytes.extend_from_slice(br#"{"seq":3,"ti"#);
    fs::write(case.join("custody.jsonl"), &bytes).unwrap();
    let out = capture(&env, &case, http.url("/item/2"));
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 2"),
        "{}",
        describe(&out)
    );
    assert_eq!(
        read(&case.join("custody.jsonl")),
        bytes,
        "nothing was cut or appended"
    );
}
