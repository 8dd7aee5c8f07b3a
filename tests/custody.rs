//! Custody log: case init, hash chain + signatures, concurrent writers, SIGKILL mid-download.

mod common;

use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::*;

#[test]
fn case_init_creates_layout_and_first_custody_line() {
    let env = TestEnv::new();
    let case = env.new_case();
    assert!(case.join("evidence").is_dir(), "no evidence/ dir");
    let toml_text = read_string(&case.join("case.toml"));
    let t: toml::Value =
        toml::from_str(&toml_text).unwrap_or_else(|e| panic!("case.toml: {e}\n{toml_text}"));
    assert_eq!(t["case"]["id"].as_str(), Some(CASE_ID), "{toml_text}");
    assert_eq!(t["case"]["title"].as_str(), Some(CASE_TITLE), "{toml_text}");
    assert_eq!(
        t["case"]["agency"].as_str(),
        Some(CASE_AGENCY),
        "{toml_text}"
    );
    let created = t["case"]["created"]
        .as_str()
        .unwrap_or_else(|| panic!("case.created missing:\n{toml_text}"));
    chrono::DateTime::parse_from_rfc3339(created)
        .unwrap_or_else(|e| panic!("case.created {created:?}: {e}"));
    let officers = t["officers"]
        .as_array()
        .unwrap_or_else(|| panic!("no [[officers]]:\n{toml_text}"));
    assert_eq!(officers.len(), 1);
    assert_eq!(officers[0]["name"].as_str(), Some(OFFICER));
    assert_eq!(
        officers[0]["public_key"].as_str(),
        Some(public_key_b64(&env.key).as_str()),
        "officer key in case.toml"
    );

    let lines =
        check_custody(&case.join("custody.jsonl")).unwrap_or_else(|e| panic!("custody: {e}"));
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert_eq!(lines[0]["action"], "case-init");
    assert_eq!(lines[0]["seq"], 1);
    assert_eq!(lines[0]["officer"], OFFICER);
    assert_eq!(lines[0]["public_key"], public_key_b64(&env.key).as_str());

    // A fresh case holds no evidence yet: its log holds, and verify says there was nothing
    // to verify (exit 1) rather than "all evidence verified".
    let out = env.verify([&case, Path::new("--json")]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["ok"],
        true,
        "fresh case has no problem\n{}",
        describe(&out)
    );
    assert_eq!(v["verdict"], "nothing-to-verify", "{}", describe(&out));
    assert_eq!(v["custody_events"], 1, "{}", describe(&out));
}

#[test]
fn case_init_refuses_a_non_empty_dir() {
    let env = TestEnv::new();
    let dir = env.case_path("busy");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("notes.txt"), "keep me").unwrap();
    let before = tree_digest(&dir);
    let out = env
        .warden()
        .args(["case", "init"])
        .arg(&dir)
        .args([
            "--case-id",
            "X-1",
            "--title",
            "t",
            "--agency",
            "a",
            "--officer",
            "o",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "case init into a non-empty dir\n{}",
        describe(&out)
    );
    assert_eq!(
        tree_digest(&dir),
        before,
        "case init changed a non-empty dir"
    );
}

#[test]
fn capture_custody_lines_are_chained_signed_and_match_bundles() {
    let server = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let (out, json) = env.capture_json(&case, [server.url("/plain"), server.url("/gbk")]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let lines =
        check_custody(&case.join("custody.jsonl")).unwrap_or_else(|e| panic!("custody: {e}"));
    assert_eq!(lines.len(), 3, "{lines:#?}");
    for j in &json {
        let id = j["id"].as_str().unwrap();
        let l = lines
            .iter()
            .find(|l| {
                l["action"] == "capture" && l["bundle"].as_str().is_some_and(|b| b.contains(id))
            })
            .unwrap_or_else(|| panic!("no capture custody line for bundle {id}: {lines:#?}"));
        assert_eq!(
            l["manifest_sha256"], j["manifest_sha256"],
            "custody manifest_sha256 for {id}"
        );
        assert_eq!(
            l["manifest_sha256"].as_str().unwrap(),
            sha256_file(&bundle_of(j).join("manifest-sha256.txt"))
        );
        assert_eq!(l["officer"], OFFICER);
    }
}

#[test]
fn add_officer_registers_key_and_logs_it() {
    let server = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let second_key = env.path().join("keys").join("second.pem");
    // the new officer creates their key and prints the public half
    let out = env
        .warden()
        .env("WARDEN_KEY", &second_key)
        .args(["key", "show"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "key show\n{}", describe(&out));
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(printed, public_key_b64(&second_key));

    // nobody can add themselves: the new key is not an officer yet
    let out = env
        .warden()
        .env("WARDEN_KEY", &second_key)
        .args([
            "case",
            "add-officer",
            "--officer",
            "Second Officer",
            "--public-key",
        ])
        .arg(&printed)
        .arg("--case")
        .arg(&case)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "self-registration must be refused\n{}",
        describe(&out)
    );
    assert!(
        output_text(&out).contains("not registered"),
        "{}",
        describe(&out)
    );

    // the lead officer (the env's default key) registers them
    let out = env
        .warden()
        .args([
            "case",
            "add-officer",
            "--officer",
            "Second Officer",
            "--public-key",
        ])
        .arg(&printed)
        .arg("--case")
        .arg(&case)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "add-officer\n{}",
        describe(&out)
    );
    // the same name again is refused
    let other_key = env.path().join("keys").join("other.pem");
    generate_key(&other_key);
    let out = env
        .warden()
        .args([
            "case",
            "add-officer",
            "--officer",
            "Second Officer",
            "--public-key",
        ])
        .arg(public_key_b64(&other_key))
        .arg("--case")
        .arg(&case)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "duplicate name must be refused\n{}",
        describe(&out)
    );
    let t: toml::Value = toml::from_str(&read_string(&case.join("case.toml"))).unwrap();
    let keys: Vec<&str> = t["officers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["public_key"].as_str())
        .collect();
    assert!(
        keys.contains(&public_key_b64(&second_key).as_str()),
        "second key not in case.toml: {keys:?}"
    );
    assert_eq!(keys.len(), 2, "{keys:?}");

    // the second officer captures with their own key
    let out = env
        .warden()
        .env("WARDEN_KEY", &second_key)
        .arg("--case")
        .arg(&case)
        .args(["capture", &server.url("/plain"), "--json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "capture by second officer\n{}",
        describe(&out)
    );
    let lines =
        check_custody(&case.join("custody.jsonl")).unwrap_or_else(|e| panic!("custody: {e}"));
    let actions: Vec<&str> = lines
        .iter()
        .map(|l| l["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(actions, ["case-init", "officer-added", "capture"]);
    assert_eq!(lines[2]["public_key"], public_key_b64(&second_key).as_str());
    let out = env.verify([&case]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}

#[test]
fn default_key_is_created_under_xdg_config_with_mode_0600() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let case = env.case_path("case");
    let out = env
        .warden()
        .env_remove("WARDEN_KEY")
        .args(["case", "init"])
        .arg(&case)
        .args([
            "--case-id",
            CASE_ID,
            "--title",
            CASE_TITLE,
            "--agency",
            CASE_AGENCY,
            "--officer",
            OFFICER,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let key = env.config.join("warden").join("officer-key.pem");
    assert!(
        key.is_file(),
        "default key not created at {}",
        key.display()
    );
    let mode = fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "key mode is {mode:o}");
    assert!(
        read_string(&key).contains("BEGIN PRIVATE KEY"),
        "key is not PKCS#8 PEM"
    );
    public_key_b64(&key); // parses as Ed25519 PKCS#8
}

#[test]
fn two_concurrent_capture_processes_keep_the_chain_intact() {
    // each response is delayed a little so the two processes interleave
    let h = handler(|req, w| {
        thread::sleep(Duration::from_millis(30));
        let body = format!("<html><body><p>concurrent {}</p></body></html>", req.path());
        write_response(
            w,
            200,
            &[("Content-Type", "text/html; charset=utf-8")],
            body.as_bytes(),
        )
    });
    let server = TestServer::http(Routes::new().prefix("/c/", h));
    let env = TestEnv::new();
    let case = env.new_case();

    let spawn = |who: &str| {
        let mut cmd = env.warden_std();
        cmd.arg("--case")
            .arg(&case)
            .arg("capture")
            .arg("--json")
            .args(["--concurrency", "2"]);
        for i in 0..10 {
            cmd.arg(server.url(&format!("/c/{who}/{i}")));
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().expect("spawn warden")
    };
    let a = spawn("a");
    let b = spawn("b");
    let out_a = wait_with_deadline(a, Duration::from_secs(120));
    let out_b = wait_with_deadline(b, Duration::from_secs(120));
    assert_eq!(
        out_a.status.code(),
        Some(0),
        "process A\n{}",
        describe(&out_a)
    );
    assert_eq!(
        out_b.status.code(),
        Some(0),
        "process B\n{}",
        describe(&out_b)
    );
    assert_eq!(
        parse_json_lines(&out_a).len() + parse_json_lines(&out_b).len(),
        20
    );

    let lines = check_custody(&case.join("custody.jsonl"))
        .unwrap_or_else(|e| panic!("custody chain broken: {e}"));
    let inits = lines.iter().filter(|l| l["action"] == "case-init").count();
    let captures = lines.iter().filter(|l| l["action"] == "capture").count();
    assert_eq!(
        (lines.len(), inits, captures),
        (21, 1, 20),
        "expected 1 case-init + 20 capture lines"
    );
    let entries = evidence_entries(&case);
    assert_eq!(entries.len(), 20, "20 bundles expected: {entries:?}");
    for e in &entries {
        assert!(
            lines
                .iter()
                .any(|l| l["bundle"].as_str().is_some_and(|b| b.contains(e.as_str()))),
            "bundle {e} has no custody line"
        );
    }
    let out = env.verify([&case]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "warden verify after concurrent captures\n{}",
        describe(&out)
    );
}

#[test]
fn sigkill_mid_download_leaves_only_a_partial_that_verify_reports() {
    // headers promise 50 MB, then the body trickles: 1 KiB every 50 ms (stops after 60 s)
    let started = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let (s, n) = (started.clone(), sent.clone());
    let h = handler(move |_req, w| {
        w.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 50000000\r\nConnection: close\r\n\r\n")?;
        w.write_all(b"<!DOCTYPE html><html><body>")?;
        w.flush()?;
        s.store(true, Ordering::SeqCst);
        let chunk = [b'x'; 1024];
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(60) {
            w.write_all(&chunk)?;
            w.flush()?;
            n.fetch_add(chunk.len(), Ordering::SeqCst);
            thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    });
    let server = TestServer::http(Routes::new().route("/slow", h));
    let env = TestEnv::new();
    let case = env.new_case();

    let mut cmd = env.warden_std();
    cmd.arg("--case")
        .arg(&case)
        .args(["capture", &server.url("/slow"), "--timeout", "120"]);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("spawn warden");
    let t0 = Instant::now();
    while !started.load(Ordering::SeqCst) {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "warden never requested /slow"
        );
        if let Some(st) = child.try_wait().unwrap() {
            panic!("warden exited ({st}) before the download started");
        }
        thread::sleep(Duration::from_millis(20));
    }
    thread::sleep(Duration::from_secs(1));
    assert!(
        child.try_wait().unwrap().is_none(),
        "warden finished a 50 MB trickle in 1 s?"
    );
    child.kill().expect("SIGKILL warden"); // std's kill() is SIGKILL on Unix
    child.wait().unwrap();
    assert!(
        sent.load(Ordering::SeqCst) > 0,
        "no body bytes were sent before the kill"
    );

    let entries = evidence_entries(&case);
    let finished: Vec<&String> = entries
        .iter()
        .filter(|e| !e.starts_with(".partial-"))
        .collect();
    assert!(
        finished.is_empty(),
        "a killed capture left a non-partial bundle: {entries:?}"
    );
    let partials: Vec<&String> = entries
        .iter()
        .filter(|e| e.starts_with(".partial-"))
        .collect();
    assert!(
        !partials.is_empty(),
        "expected the bundle being written to stay as evidence/.partial-*; evidence/ has {entries:?}"
    );

    // the custody log itself is still a valid chain (only case-init)
    let lines =
        check_custody(&case.join("custody.jsonl")).unwrap_or_else(|e| panic!("custody: {e}"));
    assert!(
        lines.iter().all(|l| l["action"] != "capture"),
        "custody logs a capture that never finished: {lines:#?}"
    );

    let out = env.verify([&case]);
    assert_ne!(
        out.status.code(),
        Some(0),
        "verify must not pass with a leftover partial\n{}",
        describe(&out)
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "verify problems exit 1\n{}",
        describe(&out)
    );
    let text = output_text(&out);
    for p in partials {
        assert!(
            text.contains(p.as_str()),
            "verify output must name {p}\n{}",
            describe(&out)
        );
    }
}
