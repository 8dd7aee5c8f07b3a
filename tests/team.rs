//! Working as a team on one case: a colleague asks to join (`warden case join` on his own
//! computer, with his own key), a lead officer registers the request (`case add-officer
//! --request`), and a lead officer can revoke an officer (`case revoke-officer`). Only lead
//! officers change who is on the case; a revoked key signs nothing new, and what it signed
//! before stays valid.
//!
//! Each colleague is a separate `TestEnv` (own key, own config dir): a separate computer.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine as _;
use serde_json::Value;

use common::forge::verify_json;
use common::*;

const MEMBER: &str = "Officer Ana Ruiz";
const THIRD: &str = "Officer Ken Obi";
const FOURTH: &str = "Officer Mai Tran";

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

/// `warden case join --officer NAME [--role ROLE] [--out FILE]` on `who`'s computer (no case).
fn join(who: &TestEnv, name: &str, role: Option<&str>, out: Option<&Path>) -> Output {
    let mut cmd = who.warden();
    cmd.args(["case", "join", "--officer", name]);
    if let Some(role) = role {
        cmd.args(["--role", role]);
    }
    if let Some(out) = out {
        cmd.arg("--out").arg(out);
    }
    cmd.output().unwrap()
}

/// A join request written by `who` to a file in `who`'s temp dir; asserts success.
fn join_to_file(who: &TestEnv, name: &str, role: Option<&str>) -> PathBuf {
    let file = who.path().join("officer-request.toml");
    let out = join(who, name, role, Some(&file));
    assert_eq!(
        out.status.code(),
        Some(0),
        "case join --out {}\n{}",
        file.display(),
        describe(&out)
    );
    assert!(
        file.is_file(),
        "case join --out did not write {}\n{}",
        file.display(),
        describe(&out)
    );
    file
}

/// `warden --case CASE case add-officer --request FILE`, signed by `who`'s key.
fn add_request(who: &TestEnv, case: &Path, request: &Path) -> Output {
    who.warden()
        .arg("--case")
        .arg(case)
        .args(["case", "add-officer", "--request"])
        .arg(request)
        .output()
        .unwrap()
}

/// `add_request` that must succeed.
fn add_request_ok(who: &TestEnv, case: &Path, request: &Path) {
    let out = add_request(who, case, request);
    assert_eq!(
        out.status.code(),
        Some(0),
        "add-officer --request {}\n{}",
        request.display(),
        describe(&out)
    );
}

/// `warden --case CASE case revoke-officer NAME --reason REASON`, signed by `who`'s key.
fn revoke(who: &TestEnv, case: &Path, name: &str, reason: &str) -> Output {
    who.warden()
        .arg("--case")
        .arg(case)
        .args(["case", "revoke-officer", name, "--reason", reason])
        .output()
        .unwrap()
}

/// `warden --case CASE custody note TEXT`, signed by `who`'s key.
fn note(who: &TestEnv, case: &Path, text: &str) -> Output {
    who.warden()
        .arg("--case")
        .arg(case)
        .args(["custody", "note", text])
        .output()
        .unwrap()
}

/// `warden --case CASE case show --json`, parsed.
fn show_json(who: &TestEnv, case: &Path) -> Value {
    let out = who
        .warden()
        .arg("--case")
        .arg(case)
        .args(["case", "show", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "case show --json\n{}",
        describe(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "case show --json is not one JSON document ({e})\n{}",
            describe(&out)
        )
    })
}

/// The entry for officer `name` in `case show --json`'s `officers` array.
fn officer<'a>(show: &'a Value, name: &str) -> &'a Value {
    show["officers"]
        .as_array()
        .unwrap_or_else(|| panic!("case show --json has no officers array:\n{show:#}"))
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("officer {name:?} not in case show --json:\n{show:#}"))
}

fn has_officer(show: &Value, name: &str) -> bool {
    show["officers"]
        .as_array()
        .is_some_and(|a| a.iter().any(|o| o["name"] == name))
}

/// The bytes of case.toml and custody.jsonl, to show a refused command changed nothing.
#[derive(PartialEq, Eq)]
struct Snapshot {
    case_toml: Vec<u8>,
    custody: Vec<u8>,
}

impl Snapshot {
    fn of(case: &Path) -> Snapshot {
        Snapshot {
            case_toml: read(&case.join("case.toml")),
            custody: read(&case.join("custody.jsonl")),
        }
    }

    fn assert_unchanged(&self, case: &Path, what: &str) {
        let now = Snapshot::of(case);
        assert!(
            now.case_toml == self.case_toml,
            "{what}: case.toml changed although the command was refused:\n{}",
            String::from_utf8_lossy(&now.case_toml)
        );
        assert!(
            now.custody == self.custody,
            "{what}: custody.jsonl changed although the command was refused:\n{}",
            String::from_utf8_lossy(&now.custody)
        );
    }
}

/// Asserts exit 2 and that the output names every one of `wants` (case-insensitively).
fn assert_refused(out: &Output, what: &str, wants: &[&str]) {
    assert_eq!(
        out.status.code(),
        Some(2),
        "{what}: must be refused with exit 2\n{}",
        describe(out)
    );
    let text = output_text(out).to_lowercase();
    for want in wants {
        assert!(
            text.contains(&want.to_lowercase()),
            "{what}: the message does not mention {want:?}\n{}",
            describe(out)
        );
    }
}

/// A capture of `/plain` made by `who` into `case`; asserts success.
fn capture_ok(who: &TestEnv, case: &Path, server: &TestServer) {
    let (out, lines) = who.capture_json(case, [server.url("/plain")]);
    assert_eq!(out.status.code(), Some(0), "capture\n{}", describe(&out));
    assert_eq!(lines.len(), 1, "{}", describe(&out));
}

/// The custody lines signed with `key`'s public key, as their actions.
fn actions_signed_by(case: &Path, key: &Path) -> Vec<String> {
    let pk = public_key_b64(key);
    check_custody(&case.join("custody.jsonl"))
        .unwrap_or_else(|e| panic!("custody.jsonl: {e}"))
        .iter()
        .filter(|l| l["public_key"] == pk.as_str())
        .map(|l| l["action"].as_str().unwrap_or("").to_string())
        .collect()
}

fn parse_request(text: &str) -> toml::Value {
    toml::from_str(text).unwrap_or_else(|e| panic!("officer request is not TOML ({e}):\n{text}"))
}

/// Lowercase hex SHA-256 of the 32 raw public-key bytes of a PEM key file.
fn key_fingerprint(key: &Path) -> String {
    let raw = b64().decode(public_key_b64(key)).unwrap();
    assert_eq!(raw.len(), 32);
    sha256_hex(&raw)
}

// ---------------------------------------------------------------------------------------------
// tests
// ---------------------------------------------------------------------------------------------

#[test]
fn join_request_names_officer_role_key_and_the_sha256_of_the_raw_key() {
    let member = TestEnv::new();
    // printed to stdout, without any case
    let out = join(&member, MEMBER, None, None);
    assert_eq!(out.status.code(), Some(0), "case join\n{}", describe(&out));
    let text = String::from_utf8(out.stdout.clone()).expect("request is UTF-8");
    let req = parse_request(&text);
    assert_eq!(req["officer"].as_str(), Some(MEMBER), "{text}");
    assert_eq!(
        req["role"].as_str(),
        Some("member"),
        "default role:\n{text}"
    );
    assert_eq!(
        req["public_key"].as_str(),
        Some(public_key_b64(&member.key).as_str()),
        "public_key must be the key of WARDEN_KEY, as `warden key show` prints it:\n{text}"
    );
    assert_eq!(
        req["key_fingerprint"].as_str(),
        Some(key_fingerprint(&member.key).as_str()),
        "key_fingerprint must be the lowercase hex SHA-256 of the 32 raw key bytes:\n{text}"
    );
    assert!(
        text.lines().any(|l| l.trim_start().starts_with('#')),
        "the request explains itself in comment lines:\n{text}"
    );

    // --role lead, written to a file: same content but the role
    let file = member.path().join("lead-request.toml");
    let out = join(&member, MEMBER, Some("lead"), Some(&file));
    assert_eq!(
        out.status.code(),
        Some(0),
        "case join --out\n{}",
        describe(&out)
    );
    let written = read_string(&file);
    let req = parse_request(&written);
    assert_eq!(req["role"].as_str(), Some("lead"), "{written}");
    assert_eq!(req["officer"].as_str(), Some(MEMBER), "{written}");
    assert_eq!(
        req["key_fingerprint"].as_str(),
        Some(key_fingerprint(&member.key).as_str()),
        "{written}"
    );
}

#[test]
fn join_refuses_to_overwrite_an_existing_out_file() {
    let member = TestEnv::new();
    // control: a fresh --out file is written
    let file = join_to_file(&member, MEMBER, None);
    let first = read(&file);
    // the same file again (asking for another role): refused, the file is left as it was
    let out = join(&member, MEMBER, Some("lead"), Some(&file));
    assert_eq!(
        out.status.code(),
        Some(2),
        "an existing --out file must be refused\n{}",
        describe(&out)
    );
    assert!(
        read(&file) == first,
        "the existing --out file was overwritten"
    );

    // a file that is not a request at all is not overwritten either
    let other = member.path().join("notes.txt");
    fs::write(&other, "something else\n").unwrap();
    let out = join(&member, MEMBER, None, Some(&other));
    assert_eq!(
        out.status.code(),
        Some(2),
        "an existing --out file must be refused\n{}",
        describe(&out)
    );
    assert_eq!(
        read_string(&other),
        "something else\n",
        "--out file was overwritten"
    );
}

#[test]
fn join_request_registers_a_member_who_can_then_sign() {
    let server = TestServer::http(standard_routes());
    let lead = TestEnv::new();
    let case = lead.new_case();
    capture_ok(&lead, &case, &server); // a bundle, so verify has something to verify
    let member = TestEnv::new();

    // before: the member's key signs nothing in the case
    let out = note(&member, &case, "not yet on the case");
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unregistered key must not sign\n{}",
        describe(&out)
    );

    let request = join_to_file(&member, MEMBER, None);
    add_request_ok(&lead, &case, &request);

    let out = note(&member, &case, "spoke to the market manager");
    assert_eq!(
        out.status.code(),
        Some(0),
        "custody note by the registered member\n{}",
        describe(&out)
    );
    let lines =
        check_custody(&case.join("custody.jsonl")).unwrap_or_else(|e| panic!("custody: {e}"));
    let last = lines.last().unwrap();
    assert_eq!(last["officer"], MEMBER, "last custody line: {last}");
    assert_eq!(
        last["public_key"],
        public_key_b64(&member.key).as_str(),
        "the note is signed with the member's key: {last}"
    );

    verify_json(&lead, [&case])
        .assert_ok("case after a member joined by request and signed a note");

    let show = show_json(&lead, &case);
    let m = officer(&show, MEMBER);
    assert_eq!(m["role"], "member", "{show:#}");
    assert_eq!(
        m["public_key"],
        public_key_b64(&member.key).as_str(),
        "{show:#}"
    );
    assert!(
        m["revoked"].is_null(),
        "an active officer is not revoked: {show:#}"
    );
    let l = officer(&show, OFFICER);
    assert_eq!(l["role"], "lead", "the case creator is lead: {show:#}");
    assert!(l["revoked"].is_null(), "{show:#}");
}

#[test]
fn a_request_piped_on_stdin_is_registered() {
    let lead = TestEnv::new();
    let case = lead.new_case();
    let member = TestEnv::new();
    let out = join(&member, MEMBER, None, None);
    assert_eq!(out.status.code(), Some(0), "case join\n{}", describe(&out));

    let added = lead
        .warden()
        .arg("--case")
        .arg(&case)
        .args(["case", "add-officer", "--request", "-"])
        .write_stdin(out.stdout.clone())
        .output()
        .unwrap();
    assert_eq!(
        added.status.code(),
        Some(0),
        "add-officer --request -\n{}",
        describe(&added)
    );
    let show = show_json(&lead, &case);
    assert_eq!(officer(&show, MEMBER)["role"], "member", "{show:#}");
    let out = note(&member, &case, "joined from a piped request");
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}

#[test]
fn the_old_add_officer_form_still_works_and_takes_a_role() {
    let lead = TestEnv::new();
    let case = lead.new_case();
    let member = TestEnv::new();
    let second_lead = TestEnv::new();

    let out = lead
        .warden()
        .arg("--case")
        .arg(&case)
        .args(["case", "add-officer", "--officer", MEMBER, "--public-key"])
        .arg(public_key_b64(&member.key))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "add-officer (old form)\n{}",
        describe(&out)
    );
    let out = lead
        .warden()
        .arg("--case")
        .arg(&case)
        .args([
            "case",
            "add-officer",
            "--officer",
            THIRD,
            "--role",
            "lead",
            "--public-key",
        ])
        .arg(public_key_b64(&second_lead.key))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "add-officer --role lead (old form)\n{}",
        describe(&out)
    );

    let show = show_json(&lead, &case);
    assert_eq!(
        officer(&show, MEMBER)["role"],
        "member",
        "default role: {show:#}"
    );
    assert_eq!(officer(&show, THIRD)["role"], "lead", "{show:#}");
    verify_json(&lead, [&case]).assert_sound_but_empty("case with officers added the old way");
}

#[test]
fn a_member_cannot_add_or_revoke_officers_and_is_told_who_can() {
    let lead = TestEnv::new();
    let case = lead.new_case();
    let member = TestEnv::new();
    let third = TestEnv::new();
    let fourth = TestEnv::new();
    add_request_ok(&lead, &case, &join_to_file(&member, MEMBER, None));
    let third_request = join_to_file(&third, THIRD, None);

    // a member adds by request: refused, nothing changes
    let before = Snapshot::of(&case);
    let out = add_request(&member, &case, &third_request);
    assert_refused(
        &out,
        "member runs add-officer --request",
        &["lead", OFFICER],
    );
    before.assert_unchanged(&case, "member runs add-officer --request");

    // ... and in the old form
    let out = member
        .warden()
        .arg("--case")
        .arg(&case)
        .args(["case", "add-officer", "--officer", FOURTH, "--public-key"])
        .arg(public_key_b64(&fourth.key))
        .output()
        .unwrap();
    assert_refused(
        &out,
        "member runs add-officer --officer/--public-key",
        &["lead", OFFICER],
    );
    before.assert_unchanged(&case, "member runs add-officer --officer/--public-key");
    let show = show_json(&lead, &case);
    assert!(!has_officer(&show, THIRD), "{show:#}");
    assert!(!has_officer(&show, FOURTH), "{show:#}");

    // control: the same request, run by the lead, is accepted
    add_request_ok(&lead, &case, &third_request);

    // a member revokes another officer: refused, nothing changes
    let before = Snapshot::of(&case);
    let out = revoke(&member, &case, THIRD, "member tries to revoke");
    assert_refused(&out, "member runs revoke-officer", &["lead", OFFICER]);
    before.assert_unchanged(&case, "member runs revoke-officer");
    let show = show_json(&lead, &case);
    assert!(officer(&show, THIRD)["revoked"].is_null(), "{show:#}");
    let out = note(&third, &case, "still on the case");
    assert_eq!(
        out.status.code(),
        Some(0),
        "the officer a member tried to revoke can still sign\n{}",
        describe(&out)
    );

    // control: the lead can revoke that officer
    let out = revoke(&lead, &case, THIRD, "moved to another unit");
    assert_eq!(
        out.status.code(),
        Some(0),
        "lead runs revoke-officer\n{}",
        describe(&out)
    );
    let show = show_json(&lead, &case);
    assert!(!officer(&show, THIRD)["revoked"].is_null(), "{show:#}");
    assert_eq!(officer(&show, MEMBER)["role"], "member", "{show:#}");
    assert!(officer(&show, MEMBER)["revoked"].is_null(), "{show:#}");
}

#[test]
fn a_request_with_a_wrong_key_fingerprint_is_refused() {
    let lead = TestEnv::new();
    let case = lead.new_case();
    let member = TestEnv::new();
    let request = join_to_file(&member, MEMBER, None);
    let genuine = read_string(&request);
    let fp = parse_request(&genuine)["key_fingerprint"]
        .as_str()
        .unwrap_or_else(|| panic!("no key_fingerprint in the request:\n{genuine}"))
        .to_string();

    // change one hex digit of the key_fingerprint value (still 64 lowercase hex digits)
    let last = fp.chars().last().unwrap();
    let wrong_fp = format!(
        "{}{}",
        &fp[..fp.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    let mut edited_lines = 0;
    let edited: String = genuine
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("key_fingerprint") && l.contains(&fp) {
                edited_lines += 1;
                l.replace(&fp, &wrong_fp)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    assert_eq!(
        edited_lines, 1,
        "one key_fingerprint line to edit:\n{genuine}"
    );
    let req = parse_request(&edited);
    assert_eq!(
        req["key_fingerprint"].as_str(),
        Some(wrong_fp.as_str()),
        "{edited}"
    );
    assert_eq!(
        req["public_key"].as_str(),
        Some(public_key_b64(&member.key).as_str()),
        "only the fingerprint was edited:\n{edited}"
    );
    fs::write(&request, &edited).unwrap();

    let before = Snapshot::of(&case);
    let out = add_request(&lead, &case, &request);
    assert_refused(
        &out,
        "request with a wrong key_fingerprint",
        &["fingerprint"],
    );
    before.assert_unchanged(&case, "request with a wrong key_fingerprint");
    assert!(!has_officer(&show_json(&lead, &case), MEMBER));
    let out = note(&member, &case, "should not be on the case");
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));

    // control: the unedited request is accepted
    fs::write(&request, &genuine).unwrap();
    add_request_ok(&lead, &case, &request);
    assert!(has_officer(&show_json(&lead, &case), MEMBER));
}

#[test]
fn a_revoked_officer_cannot_sign_anything_new_but_earlier_events_still_verify() {
    let server = TestServer::http(standard_routes());
    let lead = TestEnv::new();
    let case = lead.new_case();
    let member = TestEnv::new();
    add_request_ok(&lead, &case, &join_to_file(&member, MEMBER, None));

    // the member works on the case: a capture and a note
    capture_ok(&member, &case, &server);
    let out = note(&member, &case, "the seller also offered pangolin scales");
    assert_eq!(
        out.status.code(),
        Some(0),
        "note before revocation\n{}",
        describe(&out)
    );
    let signed_before = actions_signed_by(&case, &member.key);
    assert_eq!(signed_before.len(), 2, "member's events: {signed_before:?}");
    assert!(
        signed_before.iter().any(|a| a == "capture"),
        "{signed_before:?}"
    );

    let out = revoke(&lead, &case, MEMBER, "left the unit");
    assert_eq!(
        out.status.code(),
        Some(0),
        "revoke-officer by the lead\n{}",
        describe(&out)
    );

    // nothing new: a note is refused, saying the key was revoked
    let before = Snapshot::of(&case);
    let out = note(&member, &case, "one more note after leaving");
    assert_refused(&out, "note by a revoked officer", &["revoked"]);
    before.assert_unchanged(&case, "note by a revoked officer");

    // ... and so is a capture
    let bundles = evidence_entries(&case);
    let (out, _) = member.capture_json(&case, [server.url("/plain")]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "capture by a revoked officer must be refused\n{}",
        describe(&out)
    );
    before.assert_unchanged(&case, "capture by a revoked officer");
    assert_eq!(
        evidence_entries(&case),
        bundles,
        "a revoked officer added a bundle"
    );

    // what the member signed before stays in the log and verifies
    assert_eq!(actions_signed_by(&case, &member.key), signed_before);
    verify_json(&lead, [&case]).assert_ok("case with a revoked officer's earlier capture and note");

    let show = show_json(&lead, &case);
    assert!(
        !officer(&show, MEMBER)["revoked"].is_null(),
        "the revoked officer is shown as revoked: {show:#}"
    );
    assert!(officer(&show, OFFICER)["revoked"].is_null(), "{show:#}");

    // the lead still signs
    let out = note(&lead, &case, "revoked officer's access removed");
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}

#[test]
fn an_unregistered_key_is_told_to_run_case_join() {
    let lead = TestEnv::new();
    let case = lead.new_case();
    let stranger = TestEnv::new();
    let before = Snapshot::of(&case);
    let out = note(&stranger, &case, "x");
    assert_refused(&out, "note by an unregistered key", &["warden case join"]);
    before.assert_unchanged(&case, "note by an unregistered key");
}

#[test]
fn lead_role_from_a_request_lets_that_officer_add_others() {
    let lead = TestEnv::new();
    let case = lead.new_case();
    let second = TestEnv::new();
    let third = TestEnv::new();

    let request = join_to_file(&second, MEMBER, Some("lead"));
    assert_eq!(
        parse_request(&read_string(&request))["role"].as_str(),
        Some("lead")
    );
    add_request_ok(&lead, &case, &request);
    let show = show_json(&lead, &case);
    assert_eq!(officer(&show, MEMBER)["role"], "lead", "{show:#}");

    // the second lead adds a third officer, who can then sign
    let third_request = join_to_file(&third, THIRD, None);
    let out = add_request(&second, &case, &third_request);
    assert_eq!(
        out.status.code(),
        Some(0),
        "add-officer by an officer who joined as lead\n{}",
        describe(&out)
    );
    let show = show_json(&lead, &case);
    assert_eq!(officer(&show, THIRD)["role"], "member", "{show:#}");
    assert!(officer(&show, THIRD)["revoked"].is_null(), "{show:#}");
    let out = note(&third, &case, "added by the second lead");
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(actions_signed_by(&case, &third.key).len(), 1);
    verify_json(&lead, [&case])
        .assert_sound_but_empty("case whose officers were added by two leads");
}
