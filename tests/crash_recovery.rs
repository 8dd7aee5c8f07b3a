//! Capture crash safety: a capture killed at any point leaves a case that the next capture
//! repairs (completing recorded bundles, setting aside unrecorded ones, each step recorded in
//! the custody log) and that verify never reports as planted evidence; a running capture's
//! partial bundles are left alone; a full disk is named as such.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// Words verify uses for a bundle no capture recorded (planted or copied in).
const PLANTED: &str = "placed or copied here";
/// Words verify uses for a partial bundle left by an interrupted capture.
const INTERRUPTED: &str = "interrupted capture:";

fn page_server() -> TestServer {
    TestServer::http(Routes::new().prefix(
        "/page/",
        handler(|req, w| {
            let body = format!(
                "<!DOCTYPE html><html><head><title>listing {p}</title></head><body><p>Carved ivory \
                 bangle, listing {p}, price on request.</p></body></html>",
                p = req.path()
            );
            write_response(
                w,
                200,
                &[("Content-Type", "text/html; charset=utf-8")],
                body.as_bytes(),
            )
        }),
    ))
}

fn urls(server: &TestServer, from: usize, n: usize) -> Vec<String> {
    (from..from + n)
        .map(|i| server.url(&format!("/page/{i}")))
        .collect()
}

fn capture(env: &TestEnv, case: &Path, urls: &[String]) -> Output {
    env.warden()
        .arg("--case")
        .arg(case)
        .arg("capture")
        .args(urls)
        .args(["--concurrency", "8"])
        .output()
        .unwrap()
}

fn custody_events(case: &Path) -> Vec<Value> {
    check_custody(&case.join("custody.jsonl")).unwrap_or_else(|e| panic!("custody: {e}"))
}

fn events_with_action(case: &Path, action: &str) -> Vec<Value> {
    custody_events(case)
        .into_iter()
        .filter(|e| e["action"] == action)
        .collect()
}

/// Sequence number of the capture event that records bundle `id`.
fn capture_seq(case: &Path, id: &str) -> u64 {
    events_with_action(case, "capture")
        .iter()
        .find(|e| e["bundle"] == id)
        .and_then(|e| e["seq"].as_u64())
        .unwrap_or_else(|| panic!("no capture event for {id}"))
}

fn partials(case: &Path) -> Vec<String> {
    evidence_entries(case)
        .into_iter()
        .filter(|e| e.starts_with(".partial-"))
        .collect()
}

fn interrupted_entries(case: &Path) -> Vec<String> {
    let dir = case.join("interrupted");
    if !dir.exists() {
        return Vec::new();
    }
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The verify lines (problems) that name `needle`.
fn lines_naming<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(needle)).collect()
}

#[test]
fn sigkill_at_random_points_of_a_multi_url_capture_never_leaves_planted_looking_evidence() {
    let server = page_server();
    let env = TestEnv::new();
    let case = env.new_case();

    // Calibrate: how long does a 24-URL capture take on this (busy) machine?
    let t0 = Instant::now();
    let out = capture(&env, &case, &urls(&server, 0, 24));
    let full = t0.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));

    let seed = std::env::var("WARDEN_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!(
        "crash seed {seed} (repeat with WARDEN_CRASH_SEED={seed}); capture of 24 URLs took {full:?}"
    );
    let mut rng = Rng(seed);
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut kills = 0;
    let mut recorded_partials = 0;
    let mut unrecorded_partials = 0;
    let mut next_page = 100;
    while kills < 10 && Instant::now() < deadline {
        let batch = urls(&server, next_page, 24);
        next_page += 24;
        let mut child = env
            .warden_std()
            .arg("--case")
            .arg(&case)
            .arg("capture")
            .args(&batch)
            .args(["--concurrency", "8"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn warden");
        // Anywhere from start-up to the end of a typical run.
        let delay = Duration::from_micros(rng.next() % (full.as_micros() as u64 + 1));
        thread::sleep(delay);
        child.kill().expect("SIGKILL warden"); // SIGKILL on Unix
        child.wait().unwrap();
        kills += 1;

        // Before any recovery: nothing the kill left may read as planted.
        let captured: Vec<String> = events_with_action(&case, "capture")
            .iter()
            .filter_map(|e| e["bundle"].as_str().map(str::to_string))
            .collect();
        for p in partials(&case) {
            if captured.iter().any(|c| p.ends_with(c.as_str())) {
                recorded_partials += 1;
            } else {
                unrecorded_partials += 1;
            }
        }
        let out = env.verify([&case]);
        let text = output_text(&out);
        assert!(
            lines_naming(&text, PLANTED).is_empty(),
            "kill {kills} after {delay:?} left a bundle verify reports as planted\n{}",
            describe(&out)
        );
        for p in partials(&case) {
            assert!(
                lines_naming(&text, &p)
                    .iter()
                    .any(|l| l.contains(INTERRUPTED)),
                "verify must call {p} an interrupted capture\n{}",
                describe(&out)
            );
        }
        if out.status.code() != Some(0) {
            // Only partial bundles may be wrong; the next capture repairs them.
            assert!(
                !partials(&case).is_empty(),
                "kill {kills} after {delay:?} broke the case beyond interrupted partials\n{}",
                describe(&out)
            );
        }

        // The next capture recovers, and then the whole case verifies.
        let out = capture(&env, &case, &urls(&server, next_page, 1));
        next_page += 1;
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
        assert!(
            partials(&case).is_empty(),
            "partials left after recovery: {:?}\n{}",
            partials(&case),
            describe(&out)
        );
        let out = env.verify([&case]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "after kill {kills} ({delay:?}) and recovery the case must verify\n{}",
            describe(&out)
        );
    }
    eprintln!(
        "{kills} kills; partial bundles found: {recorded_partials} recorded (completed), \
         {unrecorded_partials} unrecorded (set aside); interrupted/ holds {} folder(s)",
        interrupted_entries(&case).len()
    );
    assert!(kills >= 3, "only {kills} kills ran before the time limit");
    // Every set-aside folder is accounted for by a signed custody event.
    let aside = events_with_action(&case, "capture-interrupted");
    assert_eq!(
        aside.len(),
        interrupted_entries(&case).len(),
        "each folder in interrupted/ needs its capture-interrupted event: {aside:#?}"
    );
}

/// A case with three real bundles, returned with their capture ids in capture order.
fn case_with_bundles(env: &TestEnv, server: &TestServer, name: &str) -> (PathBuf, Vec<String>) {
    let case = env.case_path(name);
    env.init_case(&case);
    let (out, lines) = env.capture_json(&case, urls(server, 0, 3));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let ids = lines
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    (case, ids)
}

#[test]
fn recovery_completes_recorded_partials_and_sets_aside_unrecorded_ones() {
    let server = page_server();
    let env = TestEnv::new();
    let (case, ids) = case_with_bundles(&env, &server, "case");
    let (other, other_ids) = case_with_bundles(&env, &server, "other");
    let ev = case.join("evidence");

    // 1. Recorded but not moved into place (killed between the event and the rename).
    let recorded = &ids[0];
    let recorded_seq = capture_seq(&case, recorded);
    fs::rename(ev.join(recorded), ev.join(format!(".partial-{recorded}"))).unwrap();
    // 2. A complete, signed bundle (same officer!) that no event of this case records.
    let foreign = &other_ids[0];
    copy_dir(
        &other.join("evidence").join(foreign),
        &ev.join(format!(".partial-{foreign}")),
    );
    // 3. A half-written bundle (killed while writing the payload).
    let half = "019ad3c0-0000-7000-8000-000000000001";
    fs::create_dir_all(ev.join(format!(".partial-{half}/data"))).unwrap();
    fs::write(
        ev.join(format!(".partial-{half}/data/capture.json")),
        "{\"format\": \"warden-ca",
    )
    .unwrap();
    let foreign_digest = tree_digest(&ev.join(format!(".partial-{foreign}")));
    let events_before = custody_events(&case).len();

    // Verify tells interrupted from planted, and which kind of interrupted.
    let out = env.verify([&case]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let text = output_text(&out);
    assert!(
        lines_naming(&text, PLANTED).is_empty(),
        "{}",
        describe(&out)
    );
    let rec_lines = lines_naming(&text, &format!(".partial-{recorded}"));
    assert!(
        rec_lines.iter().any(|l| l.contains(INTERRUPTED)
            && l.contains(&format!(
                "sealed and recorded in custody event {recorded_seq}"
            ))),
        "{rec_lines:?}"
    );
    for id in [foreign.as_str(), half] {
        let l = lines_naming(&text, &format!(".partial-{id}"));
        assert!(
            l.iter().any(|l| l.contains(INTERRUPTED)
                && l.contains("no custody event records, so it is not evidence")),
            "{id}: {l:?}\n{text}"
        );
    }
    assert!(
        !text.contains("missing from evidence/"),
        "a recorded partial is not missing: {text}"
    );

    // The next capture recovers first and says so.
    let out = capture(&env, &case, &urls(&server, 10, 1));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("interrupted capture {recorded} completed")),
        "{stderr}"
    );
    for id in [foreign.as_str(), half] {
        assert!(
            stderr.contains(&format!(
                "interrupted capture {id} set aside (not evidence)"
            )),
            "{stderr}"
        );
    }

    // The recorded bundle is in place, byte for byte; the others are in interrupted/.
    assert!(ev.join(recorded).join("bagit.txt").is_file());
    assert!(partials(&case).is_empty(), "{:?}", evidence_entries(&case));
    assert_eq!(interrupted_entries(&case), {
        let mut v = vec![foreign.clone(), half.to_string()];
        v.sort();
        v
    });
    assert!(
        !ev.join(foreign).exists(),
        "an unrecorded bundle must never become evidence"
    );
    assert_eq!(
        tree_digest(&case.join("interrupted").join(foreign)),
        foreign_digest,
        "set-aside content must be kept unchanged"
    );

    // Each step is a signed, chained custody event (check_custody checks chain and signatures).
    let events = custody_events(&case);
    let new: Vec<&Value> = events[events_before..].iter().collect();
    let recovered: Vec<&&Value> = new
        .iter()
        .filter(|e| e["action"] == "capture-recovered")
        .collect();
    assert_eq!(recovered.len(), 1, "{new:#?}");
    assert_eq!(recovered[0]["details"]["capture_id"], recorded.as_str());
    assert_eq!(recovered[0]["details"]["capture_event"], recorded_seq);
    assert_eq!(
        recovered[0]["details"]["to"],
        format!("evidence/{recorded}")
    );
    let aside: Vec<&&Value> = new
        .iter()
        .filter(|e| e["action"] == "capture-interrupted")
        .collect();
    assert_eq!(aside.len(), 2, "{new:#?}");
    for e in &aside {
        let id = e["details"]["capture_id"].as_str().unwrap();
        assert_eq!(e["details"]["from"], format!("evidence/.partial-{id}"));
        assert_eq!(e["details"]["to"], format!("interrupted/{id}"));
        assert!(
            e["details"]["reason"]
                .as_str()
                .unwrap()
                .contains("no custody event records it"),
            "{e}"
        );
    }
    // Recovery events come before the new capture's event.
    let last = new.last().unwrap();
    assert_eq!(last["action"], "capture", "{new:#?}");

    let out = env.verify([&case]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));

    // A second run finds nothing to do and records nothing more.
    let n = custody_events(&case).len();
    let out = capture(&env, &case, &urls(&server, 11, 1));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("interrupted capture"),
        "{}",
        describe(&out)
    );
    assert_eq!(custody_events(&case).len(), n + 1);
}

#[test]
fn recorded_partial_whose_content_changed_is_set_aside_and_verify_says_why() {
    let server = page_server();
    let env = TestEnv::new();
    let (case, ids) = case_with_bundles(&env, &server, "case");
    let ev = case.join("evidence");
    let id = &ids[1];
    let seq = capture_seq(&case, id);
    let partial = ev.join(format!(".partial-{id}"));
    fs::rename(ev.join(id), &partial).unwrap();
    flip_byte(&partial.join("data/capture.json"));

    let out = capture(&env, &case, &urls(&server, 10, 1));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        !ev.join(id).exists(),
        "a changed bundle must not be moved into place"
    );
    assert!(case.join("interrupted").join(id).is_dir());
    let aside = events_with_action(&case, "capture-interrupted");
    assert_eq!(aside.len(), 1);
    let reason = aside[0]["details"]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("custody event {seq} records it, but"))
            && reason.contains("does not match what its manifests record"),
        "{reason}"
    );

    let out = env.verify([&case]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let text = output_text(&out);
    let l = lines_naming(&text, &format!("evidence/{id}"));
    assert!(
        l.iter()
            .any(|l| l.contains(&format!(
                "recorded in custody event {seq} but missing from evidence/"
            )) && l.contains("recovery moved its interrupted capture to \"interrupted/")),
        "{l:?}\n{text}"
    );
    assert!(lines_naming(&text, PLANTED).is_empty(), "{text}");
}

#[test]
fn bundle_planted_in_evidence_is_reported_as_planted_and_recovery_leaves_it() {
    let server = page_server();
    let env = TestEnv::new();
    let (case, _) = case_with_bundles(&env, &server, "case");
    let (other, other_ids) = case_with_bundles(&env, &server, "other");
    let planted = &other_ids[2];
    copy_dir(
        &other.join("evidence").join(planted),
        &case.join("evidence").join(planted),
    );
    let out = env.verify([&case]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let text = output_text(&out);
    let l = lines_naming(&text, &format!("evidence/{planted}"));
    assert!(
        l.iter().any(|l| l.contains(PLANTED)),
        "{l:?}\n{}",
        describe(&out)
    );
    assert!(lines_naming(&text, INTERRUPTED).is_empty(), "{text}");

    let out = capture(&env, &case, &urls(&server, 10, 1));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(case.join("evidence").join(planted).is_dir());
    assert!(events_with_action(&case, "capture-recovered").is_empty());
    assert!(events_with_action(&case, "capture-interrupted").is_empty());
    let out = env.verify([&case]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
}

#[test]
fn a_running_capture_keeps_its_partial_bundle_while_another_capture_recovers_and_verify_says_it_runs()
 {
    // One page trickles for a long time, so its capture is running with a partial bundle.
    let started = Arc::new(AtomicBool::new(false));
    let s = started.clone();
    let slow = handler(move |_req, w| {
        w.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n<html><body>")?;
        w.flush()?;
        s.store(true, Ordering::SeqCst);
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(60) {
            w.write_all(b"x")?;
            w.flush()?;
            thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    });
    let server = TestServer::http(
        Routes::new()
            .route("/slow", slow)
            .route("/fast", fixed(200, &[], "<html><body>fast</body></html>")),
    );
    let env = TestEnv::new();
    let case = env.new_case();
    let mut child = env
        .warden_std()
        .arg("--case")
        .arg(&case)
        .args(["capture", &server.url("/slow")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while !started.load(Ordering::SeqCst) {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no request for /slow"
        );
        thread::sleep(Duration::from_millis(20));
    }
    let running = partials(&case);
    assert_eq!(running.len(), 1, "{running:?}");

    let out = capture(&env, &case, &[server.url("/fast")]);
    // Verify meanwhile: the partial bundle is not evidence, and verify says a capture is running.
    let during = env.verify([case.as_os_str(), "--no-record".as_ref()]);
    let still_running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(still_running, "the slow capture ended early");
    let running_words = "Another process holds a lock on evidence/ right now";
    assert_eq!(during.status.code(), Some(1), "{}", describe(&during));
    let said = lines_naming(&output_text(&during), ".partial-").join("\n");
    assert!(said.contains(running_words), "{}", describe(&during));
    let after = env.verify([case.as_os_str(), "--no-record".as_ref()]);
    assert_eq!(after.status.code(), Some(1), "{}", describe(&after));
    assert!(
        !output_text(&after).contains(running_words),
        "once the capture is dead its partial is not called running\n{}",
        describe(&after)
    );
    assert_eq!(
        partials(&case),
        running,
        "another capture's recovery touched a running capture's partial bundle"
    );
    assert!(events_with_action(&case, "capture-interrupted").is_empty());

    // Once that capture is dead, the next capture sets its partial aside.
    let out = capture(&env, &case, &[server.url("/fast")]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(partials(&case).is_empty());
    assert_eq!(events_with_action(&case, "capture-interrupted").len(), 1);
    let out = env.verify([&case]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}

#[test]
fn a_full_disk_during_capture_is_named_and_the_case_stays_recoverable() {
    // A 1 MiB tmpfs, mounted in a private mount namespace (needs root or user namespaces;
    // the test fails, it does not skip, when neither is available), nearly filled up.
    let server = TestServer::http(Routes::new().route(
        "/big",
        fixed(200, &[("Content-Type", "text/plain")], vec![b'x'; 600_000]),
    ));
    let env = TestEnv::new();
    let mnt = env.path().join("small-disk");
    fs::create_dir_all(&mnt).unwrap();
    let copy = env.path().join("case-copy");
    let script = r#"set -u
mount -t tmpfs -o size=1m tmpfs "$MNT" || exit 97
"$WARDEN" case init "$MNT/case" --case-id C-1 --title t --agency a --officer "Officer A" >/dev/null || exit 98
head -c 200000 /dev/zero > "$MNT/filler"
"$WARDEN" --case "$MNT/case" capture "$URL"
echo "capture-exit=$?"
rm -f "$MNT/filler"
cp -a "$MNT/case" "$COPY"
"#;
    let cmd = env.warden_std();
    let unshare = if nix_is_root() {
        vec!["--mount"]
    } else {
        vec!["--user", "--map-root-user", "--mount"]
    };
    let out = run(std::process::Command::new("unshare")
        .args(&unshare)
        .args(["sh", "-c", script])
        .envs(
            cmd.get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        )
        .env("MNT", &mnt)
        .env("COPY", &copy)
        .env("URL", server.url("/big"))
        .env("WARDEN", WARDEN_BIN)
        .current_dir(cmd.get_current_dir().unwrap()));
    let text = output_text(&out);
    assert_ne!(
        out.status.code(),
        Some(97),
        "cannot mount a small tmpfs here (needs root or unprivileged user namespaces)\n{text}"
    );
    assert!(text.contains("capture-exit=1"), "{}", describe(&out));
    assert!(
        text.contains("the disk holding the case is full"),
        "a full disk must be named as such\n{}",
        describe(&out)
    );
    // With space again, the next capture sets the partial aside and the case verifies.
    let small = TestServer::http(Routes::new().route("/p", fixed(200, &[], "<p>ok</p>")));
    let out = env
        .warden()
        .arg("--case")
        .arg(&copy)
        .args(["capture", &small.url("/p")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(partials(&copy).is_empty());
    let out = env.verify([&copy]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}

fn nix_is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[test]
fn recovery_interrupted_after_logging_its_event_finishes_the_move_without_a_second_event() {
    let server = page_server();
    let env = TestEnv::new();
    let (case, ids) = case_with_bundles(&env, &server, "case");
    let ev = case.join("evidence");
    let recorded = &ids[0];
    fs::rename(ev.join(recorded), ev.join(format!(".partial-{recorded}"))).unwrap();
    let half = "019ad3c0-0000-7000-8000-000000000002";
    fs::create_dir_all(ev.join(format!(".partial-{half}/data"))).unwrap();
    let out = capture(&env, &case, &urls(&server, 10, 1));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let recovered = events_with_action(&case, "capture-recovered");
    let aside = events_with_action(&case, "capture-interrupted");
    assert_eq!((recovered.len(), aside.len()), (1, 1));

    // As if the process died after appending those events but before moving anything.
    fs::rename(ev.join(recorded), ev.join(format!(".partial-{recorded}"))).unwrap();
    fs::rename(
        case.join("interrupted").join(half),
        ev.join(format!(".partial-{half}")),
    )
    .unwrap();
    let n = custody_events(&case).len();
    let out = capture(&env, &case, &urls(&server, 11, 1));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for (id, seq) in [
        (recorded.as_str(), &recovered[0]["seq"]),
        (half, &aside[0]["seq"]),
    ] {
        assert!(
            stderr.lines().any(|l| l.contains(id)
                && l.contains(&format!(
                    "completing the move recorded in custody event {seq}"
                ))),
            "{stderr}"
        );
    }
    assert_eq!(
        custody_events(&case).len(),
        n + 1,
        "only the new capture may be logged: the moves were already recorded"
    );
    assert!(ev.join(recorded).join("bagit.txt").is_file());
    assert!(case.join("interrupted").join(half).is_dir());
    assert!(partials(&case).is_empty());
    let out = env.verify([&case]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}
