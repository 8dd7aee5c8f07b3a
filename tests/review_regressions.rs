//! Regression tests for the holes a forensic review found (fixed in 58605c8).
//!
//! Each test drives the real binary against servers on 127.0.0.1 started here. Where a test
//! forges something (re-computed tag manifests, a token from the test TSA, a custody line signed
//! by a stranger), a control first shows that the forgery is otherwise well made, so the test
//! fails if the product stops noticing, not because the forgery is clumsy.

mod common;

use std::ffi::OsString;
use std::fs;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::LazyLock;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;

use common::forge::{
    Verdict, custody_lines, reseal_with_page, retag, signed_line, signing_key, verify_json,
    write_custody,
};
use common::*;

// ---------------------------------------------------------------------------------------------
// shared fixture: one case, a bundle without a time-stamp and one with
// ---------------------------------------------------------------------------------------------

struct Fixture {
    env: TestEnv,
    case: PathBuf,
    tsa: Tsa,
    /// Bundle id of a capture made without --tsa.
    plain: String,
    /// Bundle id of a capture made with --tsa.
    stamped: String,
    _http: TestServer,
}

static FIX: LazyLock<Fixture> = LazyLock::new(|| {
    let http = TestServer::http(standard_routes());
    let tsa = Tsa::start();
    let env = TestEnv::new();
    let case = env.new_case();
    let id_of = |out: &Output, lines: &[Value]| {
        assert_eq!(
            out.status.code(),
            Some(0),
            "fixture capture\n{}",
            describe(out)
        );
        assert_eq!(lines.len(), 1, "{}", describe(out));
        bundle_of(&lines[0])
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    };
    let (out, lines) = env.capture_json(&case, [http.url("/plain")]);
    let plain = id_of(&out, &lines);
    let (out, lines) = env.capture_json(&case, [http.url("/plain"), "--tsa".into(), tsa.url()]);
    let stamped = id_of(&out, &lines);
    assert!(
        !case
            .join("evidence")
            .join(&plain)
            .join("timestamp.tsr")
            .exists(),
        "a capture without --tsa has a timestamp.tsr"
    );
    assert!(
        case.join("evidence")
            .join(&stamped)
            .join("timestamp.tsr")
            .is_file(),
        "a capture with --tsa has no timestamp.tsr"
    );
    assert_eq!(read_string(&case.join("custody.jsonl")).lines().count(), 3);
    Fixture {
        env,
        case,
        tsa,
        plain,
        stamped,
        _http: http,
    }
});

fn fix() -> &'static Fixture {
    &FIX
}

/// A fresh copy of the fixture case (same folder name); keep the TempDir alive.
fn copy_case() -> (tempfile::TempDir, PathBuf) {
    let t = tmpdir();
    let dst = t.path().join("case");
    copy_dir(&fix().case, &dst);
    (t, dst)
}

fn bundle_in(case: &Path, id: &str) -> PathBuf {
    case.join("evidence").join(id)
}

// ---------------------------------------------------------------------------------------------
// verify, with its JSON report
// ---------------------------------------------------------------------------------------------

/// `warden verify --json ARGS...` in `env`.
fn verify_in<I, S>(env: &TestEnv, args: I) -> Verdict
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    verify_json(env, args)
}

/// Verifies `path` in the fixture's env (same computer, so the same witness) with --tsa-ca.
fn verify_fix(path: &Path) -> Verdict {
    let f = fix();
    verify_in(
        &f.env,
        [
            path.as_os_str().to_owned(),
            "--tsa-ca".into(),
            f.tsa.ca_crt().into_os_string(),
        ],
    )
}

// ---------------------------------------------------------------------------------------------
// forging helpers
// ---------------------------------------------------------------------------------------------

/// SubjectPublicKeyInfo PEM of an Ed25519 public key.
fn public_key_pem(sk: &ed25519_dalek::SigningKey) -> String {
    let mut spki = hex::decode("302a300506032b6570032100").unwrap();
    spki.extend_from_slice(sk.verifying_key().as_bytes());
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        b64().encode(&spki)
    )
}

/// A fresh Ed25519 key (PEM file in `dir`) and its base64 public key.
fn stranger_key(dir: &Path, name: &str) -> (PathBuf, String) {
    let p = dir.join(format!("{name}.pem"));
    generate_key(&p);
    let pk = public_key_b64(&p);
    (p, pk)
}

/// POSTs a DER TimeStampReq to the test TSA over `data` and returns the TimeStampResp.
fn tsa_token(tsa: &Tsa, data: &Path, scratch: &Path) -> Vec<u8> {
    let q = scratch.join("forged.tsq");
    run_ok(
        openssl()
            .args(["ts", "-query", "-sha256", "-cert", "-data"])
            .arg(data)
            .arg("-out")
            .arg(&q),
    );
    let body = read(&q);
    let mut s = TcpStream::connect((LOOPBACK, tsa.server.port())).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST /tsa HTTP/1.1\r\nHost: {LOOPBACK}:{}\r\nContent-Type: application/timestamp-query\r\n\
Content-Length: {}\r\nConnection: close\r\n\r\n",
        tsa.server.port(),
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let i = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("TSA reply has no head");
    let head = String::from_utf8_lossy(&resp[..i]).into_owned();
    assert!(head.starts_with("HTTP/1.1 200"), "TSA answered: {head}");
    resp[i + 4..].to_vec()
}

/// `openssl ts -verify`: the token in `tsr` covers `data` and chains to the test CA.
fn assert_token_valid_for(tsr: &Path, data: &Path) {
    let f = fix();
    run_ok(
        openssl()
            .args(["ts", "-verify", "-data"])
            .arg(data)
            .arg("-in")
            .arg(tsr)
            .arg("-CAfile")
            .arg(f.tsa.ca_crt())
            .arg("-untrusted")
            .arg(f.tsa.tsa_crt()),
    );
}

// ---------------------------------------------------------------------------------------------
// controls
// ---------------------------------------------------------------------------------------------

#[test]
fn control_untouched_copy_and_retagged_bundles_verify() {
    let (_t, case) = copy_case();
    verify_fix(&case).assert_ok("untouched copy of the case");
    // retag() reproduces warden's tag manifests byte for byte.
    for id in [&fix().plain, &fix().stamped] {
        let b = bundle_in(&case, id);
        let before = (
            read(&b.join("tagmanifest-sha256.txt")),
            read(&b.join("tagmanifest-sha512.txt")),
        );
        retag(&b);
        assert_eq!(
            before,
            (
                read(&b.join("tagmanifest-sha256.txt")),
                read(&b.join("tagmanifest-sha512.txt")),
            ),
            "retag() does not reproduce warden's tag manifests for {id}"
        );
    }
    verify_fix(&case).assert_ok("copy with re-computed tag manifests");
}

// ---------------------------------------------------------------------------------------------
// 1. bag-info.txt
// ---------------------------------------------------------------------------------------------

#[test]
fn bag_info_edit_with_recomputed_tag_manifests_is_detected() {
    let (_t, case) = copy_case();
    let b = bundle_in(&case, &fix().plain);
    let path = b.join("bag-info.txt");
    let text = read_string(&path);
    let want = format!("Contact-Name: {OFFICER}\n");
    assert!(text.contains(&want), "bag-info.txt lacks {want:?}:\n{text}");
    fs::write(&path, text.replace(&want, "Contact-Name: Somebody Else\n")).unwrap();
    retag(&b);
    // the bag is self-consistent for outside tools
    run_ok(
        std::process::Command::new("sha256sum")
            .args(["-c", "tagmanifest-sha256.txt"])
            .current_dir(&b),
    );
    verify_fix(&case).assert_names(
        "bag-info.txt Contact-Name changed, tag manifests re-computed",
        &format!("{}/bag-info.txt", fix().plain),
    );
}

// ---------------------------------------------------------------------------------------------
// 2. time-stamps added, removed, replaced after sealing
// ---------------------------------------------------------------------------------------------

#[test]
fn timestamp_added_to_an_unstamped_bundle_is_detected() {
    let f = fix();
    let (t, case) = copy_case();
    let b = bundle_in(&case, &f.plain);
    let tsr = tsa_token(&f.tsa, &b.join("manifest-sha256.txt"), t.path());
    fs::write(b.join("timestamp.tsr"), &tsr).unwrap();
    retag(&b);
    // a genuine token from the trusted TSA over this very manifest
    assert_token_valid_for(&b.join("timestamp.tsr"), &b.join("manifest-sha256.txt"));
    verify_fix(&case).assert_names(
        "timestamp.tsr added after sealing (fresh token over this manifest)",
        &format!("{}/timestamp.tsr", f.plain),
    );
}

#[test]
fn timestamp_copied_from_a_stamped_bundle_is_detected() {
    let f = fix();
    let (_t, case) = copy_case();
    let b = bundle_in(&case, &f.plain);
    fs::copy(
        bundle_in(&case, &f.stamped).join("timestamp.tsr"),
        b.join("timestamp.tsr"),
    )
    .unwrap();
    retag(&b);
    verify_fix(&case).assert_names(
        "timestamp.tsr copied from another bundle of the case",
        &format!("{}/timestamp.tsr", f.plain),
    );
}

#[test]
fn timestamp_removed_from_a_stamped_bundle_is_detected() {
    let f = fix();
    let (_t, case) = copy_case();
    let b = bundle_in(&case, &f.stamped);
    fs::remove_file(b.join("timestamp.tsr")).unwrap();
    retag(&b);
    verify_fix(&case).assert_names(
        "timestamp.tsr deleted, tag manifests re-computed",
        &format!("{}/timestamp.tsr", f.stamped),
    );
}

#[test]
fn timestamp_replaced_by_another_valid_token_is_detected() {
    let f = fix();
    let (t, case) = copy_case();
    let b = bundle_in(&case, &f.stamped);
    let tsr = tsa_token(&f.tsa, &b.join("manifest-sha256.txt"), t.path());
    assert_ne!(read(&b.join("timestamp.tsr")), tsr);
    fs::write(b.join("timestamp.tsr"), &tsr).unwrap();
    retag(&b);
    assert_token_valid_for(&b.join("timestamp.tsr"), &b.join("manifest-sha256.txt"));
    verify_fix(&case).assert_names(
        "timestamp.tsr swapped for a later token over the same manifest",
        &format!("{}/timestamp.tsr", f.stamped),
    );
}

// ---------------------------------------------------------------------------------------------
// 3. the witness of the log head
// ---------------------------------------------------------------------------------------------

#[test]
fn removing_the_last_capture_and_its_custody_line_is_noticed_by_the_witness() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    for (i, want) in [(0, 2), (1, 3)] {
        let out = env
            .warden()
            .arg("--case")
            .arg(&case)
            .arg("capture")
            .arg(http.url(&format!("/item/{i}")))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "capture\n{}", describe(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("now ends at event {want}")),
            "capture must print the custody head (event {want}) on stderr\n{}",
            describe(&out)
        );
    }
    let mut lines = custody_lines(&case);
    assert_eq!(lines.len(), 3);
    verify_in(&env, [&case]).assert_ok("untouched case");

    let last: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(last["action"], "capture");
    let id = last["bundle"].as_str().unwrap();
    fs::remove_dir_all(bundle_in(&case, id)).unwrap();
    lines.pop();
    write_custody(&case, &lines);
    // what is left is a perfectly chained, signed log with every bundle recorded
    check_custody(&case.join("custody.jsonl")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(evidence_entries(&case).len(), 1);

    let v = verify_in(&env, [&case]);
    v.assert_names(
        "last bundle and last custody line removed (verified on the capturing computer)",
        "custody.jsonl",
    );
    assert!(
        v.problems().iter().any(|(_, m)| m.contains("event 3")),
        "the problem should name the missing event 3\n{}",
        v.describe()
    );
}

// ---------------------------------------------------------------------------------------------
// 4. officers
// ---------------------------------------------------------------------------------------------

fn add_officer(env: &TestEnv, key: &Path, case: &Path, name: &str, pk: &str) -> Output {
    env.warden()
        .env("WARDEN_KEY", key)
        .arg("--case")
        .arg(case)
        .args(["case", "add-officer", "--officer", name, "--public-key", pk])
        .output()
        .unwrap()
}

#[test]
fn a_new_key_cannot_register_itself() {
    let env = TestEnv::new();
    let case = env.new_case();
    let (mallory, mallory_pk) = stranger_key(env.path(), "mallory");
    let toml_before = read(&case.join("case.toml"));
    let log_before = read(&case.join("custody.jsonl"));

    let out = add_officer(&env, &mallory, &case, "Mallory", &mallory_pk);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a key that is not an officer must not register itself\n{}",
        describe(&out)
    );
    assert_eq!(
        read(&case.join("case.toml")),
        toml_before,
        "case.toml changed"
    );
    assert_eq!(
        read(&case.join("custody.jsonl")),
        log_before,
        "custody.jsonl changed"
    );
    verify_in(&env, [&case]).assert_sound_but_empty("case after a refused self-registration");

    // control: the same command signed by the lead officer works
    let out = add_officer(&env, &env.key, &case, "Mallory", &mallory_pk);
    assert_eq!(
        out.status.code(),
        Some(0),
        "lead officer add-officer\n{}",
        describe(&out)
    );
    verify_in(&env, [&case]).assert_sound_but_empty("case after a proper add-officer");
}

fn hand_added_officer(case: &Path, name: &str, pk: &str) {
    let mut text = read_string(&case.join("case.toml"));
    text.push_str(&format!(
        "\n[[officers]]\nname = \"{name}\"\npublic_key = \"{pk}\"\nadded = \"2026-01-01T00:00:00.000Z\"\n"
    ));
    fs::write(case.join("case.toml"), text).unwrap();
}

#[test]
fn officer_added_to_case_toml_by_hand_is_detected() {
    let env = TestEnv::new();
    let case = env.new_case();
    verify_in(&env, [&case]).assert_sound_but_empty("fresh case");
    let (_, pk) = stranger_key(env.path(), "mallory");
    hand_added_officer(&case, "Mallory", &pk);
    verify_in(&env, [&case]).assert_names("officer added to case.toml by hand", "case.toml");
}

/// An insider adds Mallory to case.toml by hand and then runs a proper add-officer for Bob:
/// the log now records the SHA-256 of a case.toml that lists Mallory, so only the comparison of
/// case.toml's officers with the log's catches it.
#[test]
fn officer_smuggled_into_case_toml_before_a_real_add_officer_is_detected() {
    // control: the real add-officer alone verifies
    {
        let env = TestEnv::new();
        let case = env.new_case();
        let (_, bob) = stranger_key(env.path(), "bob");
        let out = add_officer(&env, &env.key, &case, "Bob", &bob);
        assert_eq!(
            out.status.code(),
            Some(0),
            "add-officer\n{}",
            describe(&out)
        );
        verify_in(&env, [&case]).assert_sound_but_empty("case with a properly added officer");
    }
    let env = TestEnv::new();
    let case = env.new_case();
    let (_, mallory) = stranger_key(env.path(), "mallory");
    let (_, bob) = stranger_key(env.path(), "bob");
    hand_added_officer(&case, "Mallory", &mallory);
    let out = add_officer(&env, &env.key, &case, "Bob", &bob);
    let text = read_string(&case.join("case.toml"));
    if out.status.code() == Some(0) {
        assert!(
            text.contains(&mallory),
            "add-officer dropped the hand-added officer"
        );
    }
    let v = verify_in(&env, [&case]);
    v.assert_names(
        "officer smuggled into case.toml, then a real add-officer",
        "case.toml",
    );
    if out.status.code() == Some(0) {
        // the only thing left to catch it is the officers comparison
        assert!(
            v.problems()
                .iter()
                .any(|(p, m)| p.ends_with("/case.toml") && m.contains("officers")),
            "expected the officers-differ problem on case.toml\n{}",
            v.describe()
        );
    }
}

#[test]
fn custody_line_forged_by_an_unregistered_key_is_detected() {
    let f = fix();
    let (t, case) = copy_case();
    let mut lines = custody_lines(&case);
    let last: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(last["action"], "capture");

    // control: signed_line() reproduces warden's last line byte for byte (Ed25519 is
    // deterministic), so the forged line below is exactly what warden would write
    assert_eq!(
        signed_line(&last, &signing_key(&f.env.key)),
        *lines.last().unwrap(),
        "signed_line() does not reproduce warden's custody lines"
    );

    let (mallory, mallory_pk) = stranger_key(t.path(), "mallory");
    let mut forged = last.clone();
    forged["seq"] = (last["seq"].as_u64().unwrap() + 1).into();
    forged["public_key"] = mallory_pk.into(); // officer name left as the real officer's
    forged["prev"] = sha256_hex(lines.last().unwrap().as_bytes()).into();
    lines.push(signed_line(&forged, &signing_key(&mallory)));
    write_custody(&case, &lines);
    // chain and signature hold by an independent check
    check_custody(&case.join("custody.jsonl")).unwrap_or_else(|e| panic!("{e}"));

    verify_fix(&case).assert_names(
        "custody line signed by an unregistered key",
        "custody.jsonl:4",
    );
}

/// case.toml's id and title edited by hand, then a legitimate add-officer: add-officer rewrites
/// the edited file and records its SHA-256, so the hash check alone no longer sees the edit. Either
/// add-officer must refuse the altered case.toml or verify must still report it.
#[test]
fn case_toml_edit_is_not_laundered_by_a_later_add_officer() {
    let env = TestEnv::new();
    let case = env.new_case();
    let path = case.join("case.toml");
    let text = read_string(&path);
    let want = [
        format!("id = \"{CASE_ID}\"\n"),
        format!("title = \"{CASE_TITLE}\"\n"),
    ];
    for w in &want {
        assert!(text.contains(w.as_str()), "case.toml lacks {w:?}:\n{text}");
    }
    let edited = text
        .replace(&want[0], "id = \"WLC-2026-9999\"\n")
        .replace(&want[1], "title = \"Unrelated matter\"\n");
    fs::write(&path, edited).unwrap();
    verify_in(&env, [&case]).assert_names("case id and title edited by hand", "case.toml");

    let (_, bob) = stranger_key(env.path(), "bob");
    // whether add-officer accepts the altered file or refuses it, verify must still see the edit
    let out = add_officer(&env, &env.key, &case, "Bob", &bob);
    verify_in(&env, [&case]).assert_names(
        &format!(
            "case id and title edited by hand, then add-officer (exit {:?})",
            out.status.code()
        ),
        "case.toml",
    );
}

/// Mallory writes herself into case.toml and appends a matching, self-signed officer-added event
/// (recording the new case.toml's SHA-256): the event must be refused because its signer was not
/// an officer yet.
#[test]
fn self_signed_officer_added_line_is_detected() {
    let (t, case) = copy_case();
    let (mallory, mallory_pk) = stranger_key(t.path(), "mallory");
    hand_added_officer(&case, "Mallory", &mallory_pk);
    let mut lines = custody_lines(&case);
    let last: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    let forged = serde_json::json!({
        "seq": last["seq"].as_u64().unwrap() + 1,
        "time": last["time"],
        "officer": "Mallory",
        "public_key": mallory_pk,
        "action": "officer-added",
        "bundle": null,
        "manifest_sha256": null,
        "details": {
            "officer": "Mallory",
            "public_key": mallory_pk,
            "case_toml_sha256": sha256_file(&case.join("case.toml")),
        },
        "prev": sha256_hex(lines.last().unwrap().as_bytes()),
    });
    lines.push(signed_line(&forged, &signing_key(&mallory)));
    write_custody(&case, &lines);
    check_custody(&case.join("custody.jsonl")).unwrap_or_else(|e| panic!("{e}"));
    verify_fix(&case).assert_names("self-signed officer-added event", "custody.jsonl:4");
}

// ---------------------------------------------------------------------------------------------
// 5. lone bundles
// ---------------------------------------------------------------------------------------------

#[test]
fn lone_bundle_needs_an_anchor_and_the_key_capture_json_names() {
    let f = fix();
    let t = tmpdir();
    let lone = t.path().join(&f.plain);
    copy_dir(&bundle_in(&f.case, &f.plain), &lone);
    let officer_pk = public_key_b64(&f.env.key);

    verify_in(&f.env, [&lone]).assert_problem("lone bundle, no --trust-key", |_, m| {
        m.contains("not anchored")
    });
    verify_in(
        &f.env,
        [
            lone.as_os_str(),
            "--trust-key".as_ref(),
            officer_pk.as_ref(),
        ],
    )
    .assert_ok("lone bundle with --trust-key of its officer");

    // re-signed with another key, public key replaced, tag manifests re-computed
    let (mallory, mallory_pk) = stranger_key(t.path(), "mallory");
    let sk = signing_key(&mallory);
    {
        use ed25519_dalek::Signer as _;
        let sig = sk.sign(&read(&lone.join("manifest-sha256.txt")));
        fs::write(lone.join("signature.ed25519"), sig.to_bytes()).unwrap();
    }
    fs::write(lone.join("signature.pub.pem"), public_key_pem(&sk)).unwrap();
    retag(&lone);
    run_ok(
        openssl()
            .args([
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                "signature.pub.pem",
            ])
            .args(["-rawin", "-in", "manifest-sha256.txt"])
            .args(["-sigfile", "signature.ed25519"])
            .current_dir(&lone),
    );
    let v = verify_in(
        &f.env,
        [
            lone.as_os_str(),
            "--trust-key".as_ref(),
            mallory_pk.as_ref(),
        ],
    );
    v.assert_problem("lone bundle re-signed by the trusted key", |_, m| {
        m.contains("capture.json")
    });
}

// ---------------------------------------------------------------------------------------------
// 6. hostile server responses
// ---------------------------------------------------------------------------------------------

const FINAL_HTML: &str = "<!DOCTYPE html>\n<html><head><title>final</title></head>\
<body><p>Final page after the redirect.</p></body></html>\n";
const EVIL_HTML: &str = "<html><body>EVIL</body></html>\n";
const LF_HTML: &str = "<!DOCTYPE html>\n<html><head><title>Bare LF</title></head>\
<body><p>Secret ivory stockpile, bare line feeds.</p></body></html>\n";

static LF_GZIP: LazyLock<Vec<u8>> = LazyLock::new(|| gzip(LF_HTML.as_bytes()));

/// 20 MiB of zeros, gzipped (about 20 kB).
static BOMB: LazyLock<Vec<u8>> = LazyLock::new(|| gzip(&vec![0u8; 20 << 20]));

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn raw(bytes: Vec<u8>) -> Handler {
    handler(move |_req, w| {
        w.write_all(&bytes)?;
        w.flush()
    })
}

fn with_body(head: &str, body: &[u8]) -> Vec<u8> {
    let mut v = head.replace("{len}", &body.len().to_string()).into_bytes();
    v.extend_from_slice(body);
    v
}

static HOSTILE: LazyLock<TestServer> = LazyLock::new(|| {
    // a gzip header followed by bytes that are no deflate stream (0xff: BTYPE 11, reserved)
    let mut corrupt = vec![0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff];
    corrupt.extend(std::iter::repeat_n(0xffu8, 64));
    corrupt.extend_from_slice(b"this is not deflate data at all");
    TestServer::http(
        Routes::new()
            .route(
                "/early",
                raw(b"HTTP/1.1 103 Early Hints\r\nLink: </x.css>; rel=preload\r\nLocation: /evil\r\n\r\n\
HTTP/1.1 302 Found\r\nLocation: /final\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec()),
            )
            .route(
                "/final",
                fixed(200, &[("Content-Type", "text/html; charset=utf-8")], FINAL_HTML),
            )
            .route(
                "/evil",
                fixed(200, &[("Content-Type", "text/html; charset=utf-8")], EVIL_HTML),
            )
            .route(
                "/lfonly",
                raw(with_body(
                    "HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Encoding: gzip\n\
Content-Length: {len}\nConnection: close\n\n",
                    &LF_GZIP,
                )),
            )
            .route(
                "/lfredir",
                raw(b"HTTP/1.1 302 Found\nLocation: /final\nContent-Length: 0\nConnection: close\n\n".to_vec()),
            )
            .route(
                "/corruptgz",
                raw(with_body(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\
Content-Length: {len}\r\nConnection: close\r\n\r\n",
                    &corrupt,
                )),
            )
            .route(
                "/bomb",
                raw(with_body(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\
Content-Length: {len}\r\nConnection: close\r\n\r\n",
                    &BOMB,
                )),
            ),
    )
});

struct Captured {
    env: TestEnv,
    case: PathBuf,
    out: Output,
    line: Value,
    bundle: PathBuf,
    cj: Value,
}

fn capture_hostile(path: &str, extra: &[&str]) -> Captured {
    let env = TestEnv::new();
    let case = env.new_case();
    let mut args = vec![HOSTILE.url(path)];
    args.extend(extra.iter().map(|s| s.to_string()));
    let (out, lines) = env.capture_json(&case, &args);
    assert_eq!(
        lines.len(),
        1,
        "one --json line expected\n{}",
        describe(&out)
    );
    let line = lines[0].clone();
    let bundle = bundle_of(&line);
    let cj = read_json(&bundle.join("data/capture.json"));
    Captured {
        env,
        case,
        out,
        line,
        bundle,
        cj,
    }
}

fn requested_paths() -> Vec<String> {
    HOSTILE
        .requests()
        .iter()
        .map(|r| r.path().to_string())
        .collect()
}

fn assert_followed_to_final(c: &Captured, what: &str) {
    assert_eq!(c.out.status.code(), Some(0), "{what}\n{}", describe(&c.out));
    assert_eq!(c.line["status"], "ok", "{what}: {}", c.line);
    let final_url = c.cj["final_url"].as_str().unwrap_or("");
    assert!(
        final_url.ends_with("/final"),
        "{what}: final_url {final_url:?}"
    );
    assert_eq!(c.cj["http_status"], 200, "{what}");
    let redirects = c.cj["redirects"].as_array().expect("redirects");
    assert_eq!(redirects.len(), 1, "{what}: {redirects:#?}");
    assert_eq!(redirects[0]["status"], 302, "{what}");
    assert_eq!(redirects[0]["location"], "/final", "{what}: {redirects:#?}");
    assert_eq!(
        read(&c.bundle.join("data/page.html")),
        FINAL_HTML.as_bytes(),
        "{what}"
    );
    verify_in(&c.env, [&c.case]).assert_ok(what);
}

#[test]
fn location_in_a_103_early_hints_is_ignored() {
    let c = capture_hostile("/early", &[]);
    assert_followed_to_final(&c, "103 with Location, then 302 to /final");
    assert!(
        !requested_paths().iter().any(|p| p == "/evil"),
        "warden requested /evil, named only by the 103 response: {:?}",
        requested_paths()
    );
}

#[test]
fn bare_lf_redirect_is_followed() {
    let c = capture_hostile("/lfredir", &[]);
    assert_followed_to_final(&c, "302 with bare LF line ends");
}

#[test]
fn bare_lf_gzip_response_is_parsed_and_decoded() {
    let c = capture_hostile("/lfonly", &[]);
    assert_eq!(c.out.status.code(), Some(0), "{}", describe(&c.out));
    assert_eq!(c.line["status"], "ok", "{}", c.line);
    assert_eq!(c.cj["http_status"], 200);
    let hops = c.cj["hops"].as_array().expect("hops");
    let headers = hops.last().unwrap()["headers"]
        .as_array()
        .expect("hops[-1].headers");
    assert!(
        !headers.is_empty(),
        "capture.json has no headers for a bare-LF response"
    );
    assert!(
        headers.iter().any(|h| h[0]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case("content-encoding"))
            && h[1] == "gzip"),
        "Content-Encoding: gzip missing from {headers:?}"
    );
    assert_eq!(
        read(&c.bundle.join("data/page.html")),
        LF_HTML.as_bytes(),
        "page.html must be the decoded HTML"
    );
    let text = read_string(&c.bundle.join("data/text.txt"));
    assert!(
        text.contains("Secret ivory stockpile"),
        "text.txt: {text:?}"
    );
    let out = run(std::process::Command::new(venv_tool("warcio"))
        .args(["check", "-v", "data/capture.warc.gz"])
        .current_dir(&c.bundle));
    assert!(
        out.status.success(),
        "warcio check on a bare-LF capture\n{}",
        describe(&out)
    );
    verify_in(&c.env, [&c.case]).assert_ok("bare-LF capture");
}

#[test]
fn corrupt_gzip_body_makes_the_capture_failed_but_sealed() {
    let c = capture_hostile("/corruptgz", &[]);
    assert_eq!(
        c.out.status.code(),
        Some(1),
        "a damaged gzip body must not be ok\n{}",
        describe(&c.out)
    );
    assert_eq!(c.line["status"], "failed", "{}", c.line);
    assert_eq!(c.cj["status"], "failed");
    verify_in(&c.env, [&c.bundle]).assert_ok("bundle of a failed (corrupt gzip) capture");
    verify_in(&c.env, [&c.case]).assert_ok("case with a failed (corrupt gzip) capture");
}

#[test]
fn gzip_bomb_over_max_bytes_is_truncated() {
    let c = capture_hostile("/bomb", &["--max-bytes", "1M"]);
    assert_eq!(
        c.out.status.code(),
        Some(1),
        "an over-size decoded body must not be ok\n{}",
        describe(&c.out)
    );
    assert_eq!(c.line["status"], "truncated", "{}", c.line);
    assert_eq!(c.cj["status"], "truncated");
    assert_eq!(c.cj["truncated"], true);
    if let Ok(md) = fs::metadata(c.bundle.join("data/page.html")) {
        assert!(
            md.len() <= 1 << 20,
            "page.html holds {} bytes, over --max-bytes 1M",
            md.len()
        );
    }
    verify_in(&c.env, [&c.case]).assert_ok("case with a truncated (gzip bomb) capture");
}

// ---------------------------------------------------------------------------------------------
// 7. zips
// ---------------------------------------------------------------------------------------------

/// Extra zip entries: (name, bytes).
type Entries = Vec<(String, Vec<u8>)>;

/// Zips `case` under `case/`; `before(rel)` returns entries to write just before the case's file
/// `rel`; `tail` is written last.
fn zip_case(
    case: &Path,
    zip_path: &Path,
    before: &dyn Fn(&str) -> Entries,
    tail: &[(String, Vec<u8>)],
) {
    use zip::write::SimpleFileOptions;
    let mut zw = zip::ZipWriter::new(fs::File::create(zip_path).unwrap());
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zw.add_directory("case", opts).unwrap();
    fn walk(root: &Path, d: &Path, out: &mut Vec<(String, bool)>) {
        let mut entries: Vec<_> = fs::read_dir(d).unwrap().map(|e| e.unwrap()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            let is_dir = e.file_type().unwrap().is_dir();
            out.push((rel(root, &p), is_dir));
            if is_dir {
                walk(root, &p, out);
            }
        }
    }
    let mut entries = Vec::new();
    walk(case, case, &mut entries);
    for (r, is_dir) in entries {
        if is_dir {
            zw.add_directory(format!("case/{r}"), opts).unwrap();
            continue;
        }
        for (name, bytes) in before(&r) {
            zw.start_file(name, opts).unwrap();
            zw.write_all(&bytes).unwrap();
        }
        zw.start_file(format!("case/{r}"), opts).unwrap();
        zw.write_all(&read(&case.join(&r))).unwrap();
    }
    for (name, bytes) in tail {
        zw.start_file(name.as_str(), opts).unwrap();
        zw.write_all(bytes).unwrap();
    }
    zw.finish().unwrap();
}

fn nothing(_: &str) -> Entries {
    Vec::new()
}

/// The fixture's custody log without its last line (a plausible tampered copy).
fn shortened_custody() -> Vec<u8> {
    let mut lines = custody_lines(&fix().case);
    lines.pop();
    format!("{}\n", lines.join("\n")).into_bytes()
}

fn replace_all(hay: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    assert_eq!(from.len(), to.len());
    let mut n = 0;
    let mut i = 0;
    while i + from.len() <= hay.len() {
        if &hay[i..i + from.len()] == from {
            hay[i..i + from.len()].copy_from_slice(to);
            n += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    n
}

#[test]
fn control_zip_of_the_case_verifies() {
    let t = tmpdir();
    let z = t.path().join("case.zip");
    zip_case(&fix().case, &z, &nothing, &[]);
    verify_fix(&z).assert_ok("zip of the untouched case");
}

/// Two entries both named `case/custody.jsonl`: a tampered copy first, the genuine one last.
/// (zip's writer refuses duplicate names, so the first is written under a placeholder of the same
/// length and renamed in the archive bytes.)
#[test]
fn zip_with_an_exact_duplicate_entry_name_is_refused() {
    let t = tmpdir();
    let z = t.path().join("dup.zip");
    let placeholder = "case/custodX.jsonl";
    zip_case(
        &fix().case,
        &z,
        &|r| {
            if r == "custody.jsonl" {
                vec![(placeholder.to_string(), shortened_custody())]
            } else {
                Vec::new()
            }
        },
        &[],
    );
    let mut bytes = read(&z);
    // local header + central directory entry
    assert_eq!(
        replace_all(&mut bytes, placeholder.as_bytes(), b"case/custody.jsonl"),
        2
    );
    fs::write(&z, &bytes).unwrap();
    // the archive really holds the name twice, as a zip listing shows
    let listed = zip_central_names(&bytes);
    assert_eq!(
        listed.iter().filter(|n| *n == "case/custody.jsonl").count(),
        2,
        "{listed:?}"
    );
    verify_fix(&z).assert_problem("zip with case/custody.jsonl twice", |p, m| {
        p.contains("custody.jsonl") || m.contains("custody.jsonl")
    });
}

/// Names in the central directory, parsed by hand (independent of the zip crate).
fn zip_central_names(bytes: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let mut i = 0;
    while i + 46 <= bytes.len() {
        if bytes[i..i + 4] == [0x50, 0x4b, 0x01, 0x02] {
            let n = u16::from_le_bytes([bytes[i + 28], bytes[i + 29]]) as usize;
            let m = u16::from_le_bytes([bytes[i + 30], bytes[i + 31]]) as usize;
            let k = u16::from_le_bytes([bytes[i + 32], bytes[i + 33]]) as usize;
            names.push(String::from_utf8_lossy(&bytes[i + 46..i + 46 + n]).into_owned());
            i += 46 + n + m + k;
        } else {
            i += 1;
        }
    }
    names
}

#[test]
fn zip_with_entry_names_differing_only_in_case_is_refused() {
    let t = tmpdir();
    let z = t.path().join("dup-case.zip");
    zip_case(
        &fix().case,
        &z,
        &nothing,
        &[("case/CUSTODY.jsonl".to_string(), shortened_custody())],
    );
    verify_fix(&z).assert_problem("zip with custody.jsonl and CUSTODY.jsonl", |p, m| {
        p.to_lowercase().contains("custody.jsonl") || m.to_lowercase().contains("custody.jsonl")
    });
}

#[test]
fn zip_with_an_extra_top_level_file_is_refused() {
    let t = tmpdir();
    let z = t.path().join("extra.zip");
    zip_case(
        &fix().case,
        &z,
        &nothing,
        &[(
            "README-real-evidence.txt".to_string(),
            b"the real page said something else\n".to_vec(),
        )],
    );
    verify_fix(&z).assert_problem("zip with a file next to the case folder", |p, _| {
        p.ends_with("README-real-evidence.txt")
    });
}

// ---------------------------------------------------------------------------------------------
// 8. symlinks and empty folders
// ---------------------------------------------------------------------------------------------

#[test]
fn symlink_in_evidence_to_a_bundle_moved_outside_is_detected() {
    let f = fix();
    let (t, case) = copy_case();
    let inside = bundle_in(&case, &f.plain);
    let outside = t.path().join("elsewhere").join(&f.plain);
    fs::create_dir_all(outside.parent().unwrap()).unwrap();
    fs::rename(&inside, &outside).unwrap();
    std::os::unix::fs::symlink(&outside, &inside).unwrap();
    verify_fix(&case).assert_names(
        "evidence/<id> is a symlink to a bundle outside the case",
        &format!("evidence/{}", f.plain),
    );
}

#[test]
fn empty_folder_in_a_bundle_data_is_detected() {
    let f = fix();
    let (_t, case) = copy_case();
    let b = bundle_in(&case, &f.plain);
    fs::create_dir(b.join("data").join("withheld")).unwrap();
    verify_fix(&case).assert_names(
        "empty folder in data/",
        &format!("{}/data/withheld", f.plain),
    );
}

// ---------------------------------------------------------------------------------------------
// an insider who re-signs everything with their own, registered key
// ---------------------------------------------------------------------------------------------

#[test]
fn page_forged_by_the_capturing_officer_no_longer_matches_the_warc() {
    let (_t, case) = copy_case();
    let sk = signing_key(&fix().env.key);
    // The plain bundle: the officer rewrites its page and everything that
    // depends on it, signing with their own registered key...
    let b = bundle_in(&case, &fix().plain);
    let new_manifest_hash = reseal_with_page(
        &b,
        "<html><body><p>an innocent resin carving</p></body></html>\n",
        &sk,
    );
    // ...and re-signs the custody log from the plain capture's line on.
    let mut lines = custody_lines(&case);
    for i in 1..lines.len() {
        let mut v: Value = serde_json::from_str(&lines[i]).unwrap();
        if v["bundle"] == fix().plain.as_str() {
            v["manifest_sha256"] = new_manifest_hash.clone().into();
        }
        v["prev"] = sha256_hex(lines[i - 1].as_bytes()).into();
        lines[i] = signed_line(&v, &sk);
    }
    write_custody(&case, &lines);
    // The manifests, signature, bag and log all hold; only the WARC, which
    // still holds what the server sent, contradicts the page.
    // (Verified in a fresh environment: the capturing computer's witness
    // would also notice the rewritten log, and must not be what catches it.)
    let other = TestEnv::new();
    let v = verify_in(
        &other,
        [
            case.as_os_str().to_owned(),
            "--tsa-ca".into(),
            fix().tsa.ca_crt().into_os_string(),
        ],
    );
    assert_eq!(v.out.status.code(), Some(1), "{}", v.describe());
    let problems = v.problems();
    assert!(
        !problems.is_empty()
            && problems.iter().all(|(p, m)| p.ends_with("/data/page.html")
                && m.contains("does not match the final response")),
        "the only problem must be the page against the WARC:\n{}",
        v.describe()
    );
}
