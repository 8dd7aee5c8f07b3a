//! Trust anchoring: what makes a case the case the verifier was given, and the holes that let
//! a bundle be re-sealed or moved between cases. Each test builds the attack with the real
//! binary and servers on 127.0.0.1, and a control shows the genuine evidence still passes.

mod common;

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use common::forge::*;
use common::*;
use serde_json::Value;

/// Captures `url` into `case` and returns the bundle id.
fn capture_one(env: &TestEnv, case: &Path, url: String) -> String {
    let (out, lines) = env.capture_json(case, [url]);
    assert_eq!(out.status.code(), Some(0), "capture\n{}", describe(&out));
    bundle_of(&lines[0])
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// The case fingerprint as `warden case show --json` prints it.
fn fingerprint(env: &TestEnv, case: &Path) -> String {
    let out = env
        .warden()
        .arg("--case")
        .arg(case)
        .args(["case", "show", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fp = v["fingerprint"].as_str().unwrap().to_string();
    assert_eq!(fp.len(), 64, "fingerprint is 64 hex digits: {fp}");
    fp
}

/// `PATH ARGS...` as verify arguments.
fn argv(path: &Path, rest: &[&str]) -> Vec<std::ffi::OsString> {
    let mut v = vec![path.as_os_str().to_owned()];
    v.extend(rest.iter().map(std::ffi::OsString::from));
    v
}

fn first_case_anchoring(v: &Verdict) -> String {
    v.report["cases"][0]["anchoring"]
        .as_str()
        .unwrap_or_else(|| panic!("no cases[0].anchoring\n{}", v.describe()))
        .to_string()
}

/// A genuine case (one capture) and a forgery made on another computer with another key
/// under the same case id and officer name (one capture of the same page).
struct TwoCases {
    _http: TestServer,
    real_env: TestEnv,
    real: PathBuf,
    forged: PathBuf,
    real_key: String,
    forger_key: String,
    _forger_env: TestEnv,
}

fn two_cases() -> TwoCases {
    let http = TestServer::http(standard_routes());
    let real_env = TestEnv::new();
    let real = real_env.new_case();
    capture_one(&real_env, &real, http.url("/plain"));
    let forger_env = TestEnv::new();
    let forged = forger_env.new_case();
    capture_one(&forger_env, &forged, http.url("/plain"));
    let real_key = public_key_b64(&real_env.key);
    let forger_key = public_key_b64(&forger_env.key);
    assert_ne!(real_key, forger_key);
    // The forgery claims the same identity.
    for case in [&real, &forged] {
        let toml = read_string(&case.join("case.toml"));
        assert!(toml.contains(CASE_ID) && toml.contains(OFFICER), "{toml}");
    }
    TwoCases {
        _http: http,
        real_env,
        real,
        forged,
        real_key,
        forger_key,
        _forger_env: forger_env,
    }
}

#[test]
fn forged_case_under_the_same_id_and_officer_name_fails_trust_key_naming_the_key() {
    let t = two_cases();
    let judge = TestEnv::new(); // a third computer: no witness of either case
    let v = verify_json(&judge, argv(&t.real, &["--trust-key", &t.real_key]));
    v.assert_ok("the real case with the real key trusted");
    assert_eq!(first_case_anchoring(&v), "trusted-keys");

    let v = verify_json(&judge, argv(&t.forged, &["--trust-key", &t.real_key]));
    v.assert_problem("forged case, real key trusted", |_, m| {
        m.contains(&t.forger_key) && m.contains("not one of the keys you trust")
    });
    assert_eq!(first_case_anchoring(&v), "failed");
}

#[test]
fn forged_case_fails_the_expected_fingerprint_and_the_real_one_passes() {
    let t = two_cases();
    let fp_real = fingerprint(&t.real_env, &t.real);
    let judge = TestEnv::new();
    let v = verify_json(&judge, argv(&t.real, &["--expect-fingerprint", &fp_real]));
    v.assert_ok("the real case with its fingerprint");
    assert_eq!(first_case_anchoring(&v), "fingerprint");
    assert_eq!(v.report["cases"][0]["fingerprint"], fp_real.as_str());

    // Upper case and a sha256: prefix are accepted too.
    let v = verify_json(
        &judge,
        argv(
            &t.forged,
            &[
                "--expect-fingerprint",
                &format!("sha256:{}", fp_real.to_uppercase()),
            ],
        ),
    );
    v.assert_problem("forged case, real fingerprint expected", |p, m| {
        p.ends_with("custody.jsonl") && m.contains("not the fingerprint you expect")
    });

    let out = judge.verify([
        t.real.as_os_str().to_owned(),
        "--expect-fingerprint".into(),
        "abc".into(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a case fingerprint"));
}

#[test]
fn without_anchors_verify_names_the_signers_and_says_the_case_declares_them_itself() {
    let t = two_cases();
    let judge = TestEnv::new();
    let out = judge.verify([t.forged.as_os_str()]);
    // The forgery is internally consistent, so it passes, but the report says what that means.
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("NOT ANCHORED"), "{err}");
    assert!(
        err.contains(&t.forger_key) && err.contains(OFFICER),
        "{err}"
    );
    assert!(err.contains("keys the case declares itself"), "{err}");
    let v = verify_json(&judge, [t.forged.as_os_str()]);
    assert_eq!(first_case_anchoring(&v), "self-declared");
    assert_eq!(
        v.report["cases"][0]["signers"][0]["public_key"],
        t.forger_key.as_str()
    );
}

/// Writes `dir` into a new zip at `zip` (entries relative to `dir`).
fn zip_dir(dir: &Path, zip_path: &Path) {
    let f = fs::File::create(zip_path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default();
    let mut files = list_files(dir);
    files.sort();
    for f in files {
        z.start_file(f.clone(), opts).unwrap();
        z.write_all(&read(&dir.join(&f))).unwrap();
    }
    z.add_directory("evidence/", opts).unwrap();
    z.finish().unwrap();
}

#[test]
fn doctored_bundle_zipped_with_a_self_made_case_fails() {
    let t = two_cases();
    let id = fs::read_dir(t.real.join("evidence"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name();
    let work = tmpdir();
    // The forger's own case.toml, custody.jsonl and an empty evidence/ ...
    let root = work.path().join("root");
    fs::create_dir_all(root.join("evidence")).unwrap();
    for f in ["case.toml", "custody.jsonl"] {
        fs::copy(t.forged.join(f), root.join(f)).unwrap();
    }
    // ... with the real bundle, its page edited and not re-signed, beside them.
    copy_dir(&t.real.join("evidence").join(&id), &root);
    fs::write(root.join("data/page.html"), "<p>resin carving</p>").unwrap();
    let zip_path = work.path().join("disclosure.zip");
    zip_dir(&root, &zip_path);

    let judge = TestEnv::new();
    for anchor in [vec![], vec!["--trust-key".to_string(), t.real_key.clone()]] {
        let mut args: Vec<std::ffi::OsString> = vec![zip_path.clone().into()];
        args.extend(anchor.iter().map(Into::into));
        let v = verify_json(&judge, args);
        v.assert_problem("case and bundle at one root", |_, m| {
            m.contains("holds both a case")
        });
        assert_ne!(v.report["verdict"], "verified");
        let err = String::from_utf8_lossy(&v.out.stderr);
        assert!(!err.contains("all evidence verified"), "{err}");
    }

    // The bundle in a folder of its own beside the self-made case: an unexpected entry at
    // the case root, 0 bundles, and (with the real key trusted) the forger's key named.
    let root2 = work.path().join("root2");
    fs::create_dir_all(root2.join("evidence")).unwrap();
    for f in ["case.toml", "custody.jsonl"] {
        fs::copy(t.forged.join(f), root2.join(f)).unwrap();
    }
    copy_dir(&root.join("data"), &root2.join("bundle/data"));
    let zip2 = work.path().join("disclosure2.zip");
    zip_dir(&root2, &zip2);
    let v = verify_json(&judge, argv(&zip2, &["--trust-key", &t.real_key]));
    v.assert_problem("bundle beside a self-made case", |p, m| {
        p.ends_with("!/bundle") && m.contains("unexpected entry at the case root")
    });
    v.assert_problem("self-made case, real key trusted", |_, m| {
        m.contains(&t.forger_key)
    });
}

#[test]
fn a_case_with_no_bundle_is_never_all_evidence_verified() {
    let env = TestEnv::new();
    let case = env.new_case();
    let out = env.verify([&case]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nothing verified"), "{err}");
    assert!(!err.contains("all evidence verified"), "{err}");
    let v = verify_json(&env, [case.as_os_str()]);
    assert_eq!(v.report["verdict"], "nothing-to-verify", "{}", v.describe());
    assert_eq!(
        v.report["ok"],
        true,
        "no problem was found: {}",
        v.describe()
    );
}

#[test]
fn unexpected_entry_at_a_case_root_is_named() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    capture_one(&env, &case, http.url("/plain"));
    verify_json(&env, [case.as_os_str()]).assert_ok("control");
    fs::write(case.join("notes.txt"), "seller's phone number").unwrap();
    verify_json(&env, [case.as_os_str()]).assert_problem("notes.txt at the root", |p, m| {
        p.ends_with("/notes.txt") && m.contains("unexpected entry at the case root")
    });
}

#[test]
fn capturing_into_a_copy_leaves_the_original_verifying_and_rolling_back_in_place_fails() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    capture_one(&env, &case, http.url("/item/1"));
    let copy = env.case_path("copy");
    copy_dir(&case, &copy);
    capture_one(&env, &copy, http.url("/item/2"));

    // Same computer (same witness): the original still verifies; the copy is only mentioned.
    let v = verify_json(&env, [case.as_os_str()]);
    v.assert_ok("original after a capture into a copy");
    let notes = v.report["notes"].to_string();
    assert!(
        notes.contains("another copy") && notes.contains("copy"),
        "the copy's record is mentioned: {notes}"
    );
    verify_json(&env, [copy.as_os_str()]).assert_ok("the copy");

    let out = env
        .warden()
        .args(["custody", "witness", "show", "--all"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let canon = |p: &Path| fs::canonicalize(p).unwrap().display().to_string();
    assert!(
        text.contains(&canon(&case)) && text.contains(&canon(&copy)),
        "{text}"
    );
    assert!(
        text.contains("event 2") && text.contains("event 3"),
        "{text}"
    );

    // Rolling the copy's log back in place (last bundle and line removed) is still caught.
    let mut lines = custody_lines(&copy);
    let last: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    fs::remove_dir_all(copy.join("evidence").join(last["bundle"].as_str().unwrap())).unwrap();
    lines.pop();
    write_custody(&copy, &lines);
    verify_json(&env, [copy.as_os_str()]).assert_problem("rolled back in place", |p, m| {
        p.ends_with("custody.jsonl") && m.contains("no longer holds it") && m.contains("event 3")
    });
}

/// Events appended and checkpoints written by other warden processes while verify runs (a
/// colleague's `verify` that records itself, a note, a checkpoint) are not problems: this
/// computer's witness may name an event verify has not read, and a checkpoint may cover more
/// of the log than verify read, unless verify reads witness, log and checkpoints as one.
#[test]
fn events_and_checkpoints_written_while_verify_runs_are_never_problems() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    capture_one(&env, &case, http.url("/item/1"));
    for i in 0..40 {
        env.custody_ok(&case, &["note", &format!("setting up {i}")]);
    }
    let before = custody_lines(&case).len();

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let mut note = env.warden_std();
        note.arg("--case")
            .arg(&case)
            .args(["custody", "note", "written meanwhile"]);
        let mut checkpoint = env.warden_std();
        checkpoint
            .arg("--case")
            .arg(&case)
            .args(["custody", "checkpoint"]);
        std::thread::spawn(move || {
            let mut written = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let cmd = if written % 3 == 2 {
                    &mut checkpoint
                } else {
                    &mut note
                };
                let out = cmd.output().unwrap();
                assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
                written += 1;
            }
            written
        })
    };
    let mut failures = Vec::new();
    for round in 0..30 {
        let out = env.verify([case.as_os_str(), "--no-record".as_ref()]);
        if out.status.code() != Some(0) {
            failures.push(format!("round {round}:\n{}", describe(&out)));
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.join().unwrap();
    assert!(
        written >= 5 && custody_lines(&case).len() >= before + 5,
        "the writer must have appended while verify ran (it wrote {written} notes)"
    );
    assert!(
        failures.is_empty(),
        "{} of 30 verify runs failed on a genuine case another process was appending to:\n{}",
        failures.len(),
        failures.join("\n")
    );
    verify_json(&env, [case.as_os_str()]).assert_ok("after the writer stopped");
}

/// Registers officer `name` (key file `key`) in `case`, signed by the env's officer.
fn add_officer(env: &TestEnv, case: &Path, name: &str, key: &Path) {
    let out = env
        .warden()
        .arg("--case")
        .arg(case)
        .args(["case", "add-officer", "--officer", name, "--public-key"])
        .arg(public_key_b64(key))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}

/// Re-seals `bundle` as officer `name` with key `sk`: page edited, capture.json and
/// bag-info.txt name the new officer and key, signature.pub.pem is the new key.
fn reseal_as(bundle: &Path, name: &str, sk: &ed25519_dalek::SigningKey) -> String {
    let pk = b64().encode(sk.verifying_key().as_bytes());
    let cj_path = bundle.join("data/capture.json");
    let mut cj = read_json(&cj_path);
    cj["officer"] = name.into();
    cj["officer_public_key"] = pk.clone().into();
    fs::write(&cj_path, serde_json::to_vec_pretty(&cj).unwrap()).unwrap();
    let info: String = read_string(&bundle.join("bag-info.txt"))
        .lines()
        .map(|l| match l.split_once(": ") {
            Some(("Contact-Name", _)) => format!("Contact-Name: {name}\n"),
            Some(("Warden-Signer-Public-Key", _)) => format!("Warden-Signer-Public-Key: {pk}\n"),
            _ => format!("{l}\n"),
        })
        .collect();
    fs::write(bundle.join("bag-info.txt"), info).unwrap();
    let mut spki = hex::decode("302a300506032b6570032100").unwrap();
    spki.extend_from_slice(sk.verifying_key().as_bytes());
    fs::write(
        bundle.join("signature.pub.pem"),
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            b64().encode(&spki)
        ),
    )
    .unwrap();
    reseal_with_page(
        bundle,
        "<html><body><p>a resin carving</p></body></html>\n",
        sk,
    )
}

#[test]
fn a_second_capture_event_cannot_reseal_a_bundle() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let id = capture_one(&env, &case, http.url("/plain"));
    let other_key = env.path().join("keys").join("other.pem");
    generate_key(&other_key);
    add_officer(&env, &case, "Officer Other", &other_key);
    verify_json(&env, [case.as_os_str()]).assert_ok("control before the attack");

    // The second officer rewrites the page, re-seals the bundle with their own key and
    // records a new capture event for it.
    let sk = signing_key(&other_key);
    let bundle = case.join("evidence").join(&id);
    let first: Value = custody_lines(&case)
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["action"] == "capture")
        .unwrap();
    let manifest = reseal_as(&bundle, "Officer Other", &sk);
    append_forged_event(
        &case,
        &sk,
        "Officer Other",
        "capture",
        Some(&id),
        Some(&manifest),
        first["details"].clone(),
    );
    let v = verify_json(&env, [case.as_os_str()]);
    v.assert_problem("bundle re-sealed under a second capture event", |p, m| {
        p.ends_with("custody.jsonl:4") && m.contains("second capture event")
    });
    v.assert_problem("the bundle against its first event", |p, m| {
        p.ends_with(&format!("{id}/manifest-sha256.txt")) && m.contains("custody event 2")
    });
}

#[test]
fn a_bundle_from_another_case_recorded_here_is_named() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case_a = env.new_case();
    let id = capture_one(&env, &case_a, http.url("/plain"));
    // The same officer (same key) opens another case.
    let case_b = env.case_path("other-case");
    let out = env
        .warden()
        .args(["case", "init"])
        .arg(&case_b)
        .args([
            "--case-id",
            "WLC-2026-0099",
            "--title",
            "Another case",
            "--agency",
            "Another Unit",
            "--officer",
            OFFICER,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    // The bundle is copied into case B and recorded there with a genuine-looking event.
    copy_dir(
        &case_a.join("evidence").join(&id),
        &case_b.join("evidence").join(&id),
    );
    let ev: Value = serde_json::from_str(&custody_lines(&case_a)[1]).unwrap();
    append_forged_event(
        &case_b,
        &signing_key(&env.key),
        OFFICER,
        "capture",
        Some(&id),
        ev["manifest_sha256"].as_str(),
        ev["details"].clone(),
    );
    let v = verify_json(&env, [case_b.as_os_str()]);
    v.assert_problem("bundle of case A recorded in case B", |p, m| {
        p.ends_with(&format!("{id}/data/capture.json"))
            && m.contains(CASE_ID)
            && m.contains("captured for another case")
    });
    v.assert_problem("its agency too", |_, m| {
        m.contains(CASE_AGENCY) && m.contains("names agency")
    });
}

#[test]
fn problems_are_listed_in_the_same_order_every_time() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(capture_one(&env, &case, http.url(&format!("/item/{i}"))));
    }
    // Every bundle removed: six "recorded but missing" problems, which verify once listed in
    // the order of a hash map.
    for id in &ids {
        fs::remove_dir_all(case.join("evidence").join(id)).unwrap();
    }
    let first = verify_json(&env, [case.as_os_str()]);
    let listed: Vec<String> = first
        .problems()
        .into_iter()
        .filter(|(_, m)| m.contains("missing from evidence/"))
        .map(|(p, _)| p)
        .collect();
    assert_eq!(listed.len(), 6, "{}", first.describe());
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(listed, sorted, "problems are listed by bundle id");
    for _ in 0..3 {
        let again = verify_json(&env, [case.as_os_str()]);
        assert_eq!(
            again.problems(),
            first.problems(),
            "same order on every run"
        );
    }
}

#[test]
fn a_partial_copy_of_a_recorded_bundle_is_not_promised_as_evidence() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let id = capture_one(&env, &case, http.url("/plain"));
    let partial = case.join("evidence").join(format!(".partial-{id}"));
    copy_dir(&case.join("evidence").join(&id), &partial);
    fs::write(partial.join("data/page.html"), "<p>doctored</p>").unwrap();
    let v = verify_json(&env, [case.as_os_str()]);
    v.assert_problem("doctored .partial copy", |p, m| {
        p.ends_with(&format!(".partial-{id}"))
            && m.contains("this copy is not it")
            && m.contains("already in evidence/")
            && !m.contains("completes the move")
    });
    // Something in interrupted/ that no recovery event put there is named.
    fs::create_dir_all(case.join("interrupted/planted")).unwrap();
    fs::remove_dir_all(&partial).unwrap();
    verify_json(&env, [case.as_os_str()]).assert_problem("planted in interrupted/", |p, m| {
        p.ends_with("interrupted/planted") && m.contains("no capture-interrupted event")
    });
}

#[test]
fn zip_whose_local_headers_name_other_files_is_refused() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    capture_one(&env, &case, http.url("/item/1"));
    capture_one(&env, &case, http.url("/item/2"));
    let work = tmpdir();
    let zip_path = work.path().join("case.zip");
    // Stored (uncompressed), so names can be swapped in place.
    {
        let f = fs::File::create(&zip_path).unwrap();
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let mut files = list_files(&case);
        files.sort();
        for f in files {
            z.start_file(f.clone(), opts).unwrap();
            z.write_all(&read(&case.join(&f))).unwrap();
        }
        z.finish().unwrap();
    }
    verify_json(&env, [zip_path.as_os_str()]).assert_ok("control: the untouched zip");
    // Swap the local-header names of the two bundles' page.html (same length), leaving the
    // central directory as it is.
    let mut bytes = read(&zip_path);
    let pages: Vec<String> = list_files(&case)
        .into_iter()
        .filter(|f| f.ends_with("data/page.html"))
        .collect();
    assert_eq!(pages.len(), 2);
    let find_local = |b: &[u8], name: &str| {
        b.windows(name.len())
            .enumerate()
            .find(|(i, w)| *w == name.as_bytes() && *i >= 30 && b[i - 30..i - 26] == *b"PK\x03\x04")
            .map(|(i, _)| i)
            .unwrap()
    };
    let a = find_local(&bytes, &pages[0]);
    let b = find_local(&bytes, &pages[1]);
    let (na, nb) = (pages[0].clone(), pages[1].clone());
    bytes[a..a + na.len()].copy_from_slice(nb.as_bytes());
    bytes[b..b + nb.len()].copy_from_slice(na.as_bytes());
    let swapped = work.path().join("swapped.zip");
    fs::write(&swapped, &bytes).unwrap();
    verify_json(&env, [swapped.as_os_str()]).assert_problem("swapped local names", |_, m| {
        m.contains("in its local header")
    });
    // The same page's local header claiming another CRC (the bytes a streaming tool would
    // check) is refused too.
    let mut bytes = read(&zip_path);
    let a = find_local(&bytes, &pages[0]);
    bytes[a - 30 + 14] ^= 0xff;
    let crc = work.path().join("crc.zip");
    fs::write(&crc, &bytes).unwrap();
    verify_json(&env, [crc.as_os_str()]).assert_problem("local CRC differs", |_, m| {
        m.contains("disagree on how it is stored")
    });
}

#[test]
fn a_finder_zip_with_macosx_folder_names_that_folder_instead_of_refusing_the_zip() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    capture_one(&env, &case, http.url("/plain"));
    let work = tmpdir();
    let zip_path = work.path().join("finder.zip");
    {
        let f = fs::File::create(&zip_path).unwrap();
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default();
        let mut files = list_files(&case);
        files.sort();
        for f in files {
            z.start_file(format!("case/{f}"), opts).unwrap();
            z.write_all(&read(&case.join(&f))).unwrap();
        }
        z.start_file("__MACOSX/case/._case.toml", opts).unwrap();
        z.write_all(b"\x00\x05\x16\x07").unwrap();
        z.finish().unwrap();
    }
    let v = verify_json(&env, [zip_path.as_os_str()]);
    v.assert_problem("__MACOSX beside the case", |p, m| {
        p.ends_with("!/__MACOSX") && m.contains("outside the case or bundle")
    });
    assert_eq!(
        v.report["bundles"],
        1,
        "the case itself was checked: {}",
        v.describe()
    );
}
