//! Team work on one case across computers: officers join (`case join` / `case add-officer`),
//! a colleague captures into a field copy (`case export-stub`), and the lead brings his
//! captures back with `case merge` (a folder or a zip of one). Refused merges must leave the
//! case byte-for-byte as it was.
//!
//! Each officer has his own key and his own config dir (his own computer); every page comes
//! from a test server on 127.0.0.1.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::Value;

const MEMBER: &str = "Officer Mo Member";
const ANALYST: &str = "Officer Ann Analyst";

/// One officer: a name, a key and a config dir of his own (his computer).
struct Officer {
    name: String,
    key: PathBuf,
    config: PathBuf,
}

/// The environment's own officer: the lead who created the case with `env.new_case()`.
fn lead(env: &TestEnv) -> Officer {
    Officer {
        name: OFFICER.to_string(),
        key: env.key.clone(),
        config: env.config.clone(),
    }
}

/// A colleague with a new key and config dir inside the env.
fn colleague(env: &TestEnv, tag: &str, name: &str) -> Officer {
    let key = env.path().join("keys").join(format!("{tag}.pem"));
    generate_key(&key);
    let config = env.path().join(format!("config-{tag}"));
    fs::create_dir_all(&config).unwrap();
    Officer {
        name: name.to_string(),
        key,
        config,
    }
}

/// warden run by `who` (his key, his config dir).
fn warden_as(env: &TestEnv, who: &Officer) -> Command {
    let mut cmd = env.warden();
    cmd.env("WARDEN_KEY", &who.key)
        .env("XDG_CONFIG_HOME", &who.config);
    cmd
}

/// `who` asks to join with a request file; the lead registers him from it.
fn join_and_add(env: &TestEnv, lead: &Officer, case: &Path, who: &Officer) {
    let request = env
        .path()
        .join(format!("request-{}.txt", who.name.replace(' ', "-")));
    let out = warden_as(env, who)
        .args(["case", "join", "--officer", &who.name, "--out"])
        .arg(&request)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "case join by {}\n{}",
        who.name,
        describe(&out)
    );
    assert!(
        request.is_file(),
        "case join --out wrote no request file\n{}",
        describe(&out)
    );
    let out = warden_as(env, lead)
        .arg("--case")
        .arg(case)
        .args(["case", "add-officer", "--request"])
        .arg(&request)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "add-officer --request for {}\n{}",
        who.name,
        describe(&out)
    );
}

/// `who` writes a field copy of `case` to the new folder `dir`.
fn export_stub(env: &TestEnv, who: &Officer, case: &Path, dir: &Path) {
    let out = warden_as(env, who)
        .arg("--case")
        .arg(case)
        .args(["case", "export-stub"])
        .arg(dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "export-stub\n{}",
        describe(&out)
    );
    assert!(dir.join("case.toml").is_file(), "stub has no case.toml");
    assert!(
        dir.join("custody.jsonl").is_file(),
        "stub has no custody.jsonl"
    );
    assert!(
        evidence_entries(dir).is_empty(),
        "a fresh stub's evidence/ must be empty: {:?}",
        evidence_entries(dir)
    );
}

/// `who` captures `url` into `case` (a case or a copy); returns the bundle id.
fn capture(env: &TestEnv, who: &Officer, case: &Path, url: &str) -> String {
    let out = warden_as(env, who)
        .arg("--case")
        .arg(case)
        .args(["capture", url, "--json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "capture {url} by {} into {}\n{}",
        who.name,
        case.display(),
        describe(&out)
    );
    let lines = parse_json_lines(&out);
    assert_eq!(
        lines.len(),
        1,
        "one capture line expected\n{}",
        describe(&out)
    );
    let id = lines[0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("capture line has no id: {}", lines[0]))
        .to_string();
    assert!(
        case.join("evidence").join(&id).is_dir(),
        "capture reported bundle {id} but {} has no such folder",
        case.display()
    );
    id
}

/// `who` runs `case merge COPY` on `case`.
fn merge(env: &TestEnv, who: &Officer, case: &Path, copy: &Path) -> Output {
    warden_as(env, who)
        .arg("--case")
        .arg(case)
        .args(["case", "merge"])
        .arg(copy)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// What a refused merge must not change.
#[derive(Debug, PartialEq)]
struct Snapshot {
    custody: Vec<u8>,
    case_toml: Vec<u8>,
    evidence: Vec<String>,
    evidence_tree: BTreeMap<String, String>,
}

fn snapshot(case: &Path) -> Snapshot {
    Snapshot {
        custody: read(&case.join("custody.jsonl")),
        case_toml: read(&case.join("case.toml")),
        evidence: evidence_entries(case),
        evidence_tree: tree_digest(&case.join("evidence")),
    }
}

fn assert_unchanged(case: &Path, before: &Snapshot, what: &str) {
    let after = snapshot(case);
    assert!(
        after.custody == before.custody,
        "{what}: custody.jsonl changed\n--- before ---\n{}\n--- after ---\n{}",
        String::from_utf8_lossy(&before.custody),
        String::from_utf8_lossy(&after.custody)
    );
    assert!(
        after.case_toml == before.case_toml,
        "{what}: case.toml changed\n--- before ---\n{}\n--- after ---\n{}",
        String::from_utf8_lossy(&before.case_toml),
        String::from_utf8_lossy(&after.case_toml)
    );
    assert_eq!(
        after.evidence, before.evidence,
        "{what}: the evidence/ listing changed"
    );
    assert_eq!(
        after.evidence_tree, before.evidence_tree,
        "{what}: files under evidence/ changed"
    );
}

/// A merge refusal: exit 2 and "cannot merge" on stderr.
fn assert_refused(out: &Output, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(2),
        "{what}: merge must be refused with exit 2\n{}",
        describe(out)
    );
    assert!(
        stderr(out).contains("cannot merge"),
        "{what}: stderr must say \"cannot merge\"\n{}",
        describe(out)
    );
}

/// A successful merge that names `id` as captured by `name`.
fn assert_merged(out: &Output, id: &str, name: &str, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: merge failed\n{}",
        describe(out)
    );
    let text = stdout(out);
    assert!(
        text.contains("merged 1 capture(s)"),
        "{what}: merge output must count one capture\n{}",
        describe(out)
    );
    assert!(
        text.lines()
            .any(|l| l.trim() == format!("{id}  captured by {name}")),
        "{what}: merge output must have the line \"  {id}  captured by {name}\"\n{}",
        describe(out)
    );
}

/// custody.jsonl parsed and checked independently (chain, order, signatures).
fn custody(case: &Path) -> Vec<Value> {
    check_custody(&case.join("custody.jsonl"))
        .unwrap_or_else(|e| panic!("custody log of {}: {e}", case.display()))
}

/// The raw line of `path` (a custody log) whose parsed `bundle` is `id` and action `capture`.
fn capture_line(path: &Path, id: &str) -> String {
    read_string(path)
        .lines()
        .find(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["action"] == "capture" && v["bundle"].as_str() == Some(id)
        })
        .unwrap_or_else(|| panic!("{} has no capture line for {id}", path.display()))
        .to_string()
}

/// `warden verify CASE --no-record` by `who`, which must pass; returns stdout.
fn verify_ok(env: &TestEnv, who: &Officer, case: &Path, what: &str) -> String {
    let out = warden_as(env, who)
        .arg("verify")
        .arg(case)
        .arg("--no-record")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: verify must pass\n{}",
        describe(&out)
    );
    stdout(&out)
}

/// verify's stdout has an OK line for bundle `id` naming `signer` and his key.
fn assert_verified_signer(verify_out: &str, id: &str, signer: &Officer, what: &str) {
    let key = public_key_b64(&signer.key);
    let want = format!("signed by {} (key {key})", signer.name);
    let line = verify_out
        .lines()
        .find(|l| l.contains(&format!("evidence/{id} ")))
        .unwrap_or_else(|| panic!("{what}: verify printed no line for bundle {id}\n{verify_out}"));
    assert!(
        line.starts_with("OK "),
        "{what}: bundle {id} is not OK in verify's output: {line}\n{verify_out}"
    );
    assert!(
        line.contains(&want),
        "{what}: verify's line for {id} must say \"{want}\": {line}\n{verify_out}"
    );
}

/// `case show --json` of `case`, run by `who`.
fn show_json(env: &TestEnv, who: &Officer, case: &Path) -> Value {
    let out = warden_as(env, who)
        .arg("--case")
        .arg(case)
        .args(["case", "show", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "case show\n{}", describe(&out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("case show --json: {e}\n{}", describe(&out)))
}

/// The officer `case show --json` gives for the exhibit of bundle `id`.
fn exhibit_officer(env: &TestEnv, who: &Officer, case: &Path, id: &str) -> String {
    let show = show_json(env, who, case);
    let exhibits = show["exhibits"]
        .as_array()
        .unwrap_or_else(|| panic!("case show has no exhibits array: {show:#}"));
    let ex = exhibits
        .iter()
        .find(|e| e["bundle"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("no exhibit for bundle {id}: {show:#}"));
    ex["officer"]
        .as_str()
        .unwrap_or_else(|| panic!("exhibit {id} has no officer: {ex:#}"))
        .to_string()
}

/// Does `text` name "event N" (not "event N0", "event N1"...)?
fn names_event(text: &str, seq: u64) -> bool {
    let pat = format!("event {seq}");
    text.match_indices(&pat).any(|(i, _)| {
        !text[i + pat.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

/// Zips folder `dir` as `<name>/...` entries (with directory entries, as `zip -r` makes).
fn zip_folder(dir: &Path, zip_path: &Path) {
    use zip::write::SimpleFileOptions;
    let top = dir.file_name().unwrap().to_string_lossy().into_owned();
    let mut zw = zip::ZipWriter::new(fs::File::create(zip_path).unwrap());
    let opts = SimpleFileOptions::default();
    let tree = tree_digest(dir);
    zw.add_directory(format!("{top}/"), opts).unwrap();
    for (rel, kind) in &tree {
        if kind == "dir" {
            zw.add_directory(format!("{top}/{rel}/"), opts).unwrap();
        } else {
            zw.start_file(format!("{top}/{rel}"), opts).unwrap();
            zw.write_all(&read(&dir.join(rel))).unwrap();
        }
    }
    zw.finish().unwrap();
}

/// A tiny species list for the analyst's sweep.
const SPECIES: &str = r#"[list]
name = "team-merge"
kind = "species"
version = "1"
sources = ["test"]

[[taxon]]
id = "loxodonta-africana"
scientific_name = "Loxodonta africana"
rank = "species"
appendix = "I/II"
listing_note = "split"
group = "elephants"
[taxon.names]
en = ["African elephant"]
[taxon.products]
en = ["ivory", "tusk"]
"#;

// ---------------------------------------------------------------------------------------------
// the acceptance test
// ---------------------------------------------------------------------------------------------

#[test]
fn three_officers_round_trip_lead_merges_member_capture_analyst_sweeps_and_revocation_blocks_later_merges()
 {
    let server = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let lead = lead(&env);
    let member = colleague(&env, "member", MEMBER);
    let analyst = colleague(&env, "analyst", ANALYST);

    // The lead creates the case, the member joins, the lead captures a page himself.
    let case = env.new_case();
    join_and_add(&env, &lead, &case, &member);
    let lead_id = capture(&env, &lead, &case, &server.url("/item/lead-1"));

    // The lead makes a field copy; the member captures into it on his computer.
    let stub = env.path().join("member-stub");
    export_stub(&env, &lead, &case, &stub);
    let member_id = capture(&env, &member, &stub, &server.url("/item/member-1"));
    let member_bundle = tree_digest(&stub.join("evidence").join(&member_id));
    let member_line = capture_line(&stub.join("custody.jsonl"), &member_id);
    assert!(
        !case.join("evidence").join(&member_id).exists(),
        "the member's capture went into the case itself, not only into his copy"
    );

    // The lead merges the copy.
    let events_before = custody(&case).len();
    let out = merge(&env, &lead, &case, &stub);
    assert_merged(&out, &member_id, MEMBER, "first merge");
    let events = custody(&case);
    assert_eq!(
        events.len(),
        events_before + 1,
        "a merge must add exactly one custody event\n{events:#?}"
    );
    let merge_event = events.last().unwrap();
    assert_eq!(merge_event["action"], "merge", "{merge_event:#}");
    assert_eq!(merge_event["officer"], OFFICER, "{merge_event:#}");
    assert!(
        stdout(&out).contains(&format!("custody event {}", merge_event["seq"])),
        "merge output must name its custody event {}\n{}",
        merge_event["seq"],
        describe(&out)
    );
    let carried = merge_event["details"]["carried"]
        .as_array()
        .unwrap_or_else(|| panic!("merge event carries no events: {merge_event:#}"));
    assert!(
        carried.iter().any(|c| c.as_str() == Some(&member_line)),
        "the merge event must carry the member's signed capture event verbatim\n\
         member's line: {member_line}\nmerge event: {merge_event:#}"
    );
    assert_eq!(
        tree_digest(&case.join("evidence").join(&member_id)),
        member_bundle,
        "the merged bundle differs from the one captured in the copy"
    );
    assert_eq!(
        evidence_entries(&case),
        {
            let mut v = vec![lead_id.clone(), member_id.clone()];
            v.sort();
            v
        },
        "after the merge the case holds the lead's and the member's bundles"
    );

    // verify: the lead signed his capture, the member the merged one.
    let v = verify_ok(&env, &lead, &case, "after the first merge");
    assert_verified_signer(&v, &lead_id, &lead, "after the first merge");
    assert_verified_signer(&v, &member_id, &member, "after the first merge");
    assert_eq!(exhibit_officer(&env, &lead, &case, &member_id), MEMBER);
    assert_eq!(exhibit_officer(&env, &lead, &case, &lead_id), OFFICER);

    // The analyst joins and sweeps a file of listings, recorded in the case.
    join_and_add(&env, &lead, &case, &analyst);
    let lists = env.path().join("species.toml");
    fs::write(&lists, SPECIES).unwrap();
    let ads = env.path().join("ads.jsonl");
    fs::write(
        &ads,
        "{\"id\":\"ad-1\",\"title\":\"African elephant ivory tusk for sale\"}\n\
         {\"id\":\"ad-2\",\"title\":\"Wooden spoon\"}\n",
    )
    .unwrap();
    let log_before = read_string(&case.join("custody.jsonl"));
    let out = warden_as(&env, &analyst)
        .arg("--case")
        .arg(&case)
        .args(["sweep", "--list"])
        .arg(&lists)
        .arg("--input")
        .arg(&ads)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "analyst sweep\n{}",
        describe(&out)
    );
    let log_after = read_string(&case.join("custody.jsonl"));
    assert!(
        log_after.starts_with(&log_before),
        "the sweep rewrote earlier custody events"
    );
    let new_lines: Vec<&str> = log_after[log_before.len()..].lines().collect();
    assert_eq!(
        new_lines.len(),
        1,
        "the sweep must add exactly one custody event: {new_lines:#?}"
    );
    assert!(
        new_lines[0].contains("\"action\":\"sweep\""),
        "the sweep's custody event is not a sweep: {}",
        new_lines[0]
    );
    let sweep_event: Value = serde_json::from_str(new_lines[0]).unwrap();
    assert_eq!(sweep_event["officer"], ANALYST, "{sweep_event:#}");
    custody(&case); // the chain still holds

    // The lead revokes the member.
    let out = warden_as(&env, &lead)
        .arg("--case")
        .arg(&case)
        .args([
            "case",
            "revoke-officer",
            MEMBER,
            "--reason",
            "left the unit",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "revoke-officer\n{}",
        describe(&out)
    );
    let revoked_seq =
        custody(&case)
            .iter()
            .find(|e| e["action"] == "officer-revoked" && e["details"]["officer"] == MEMBER)
            .unwrap_or_else(|| panic!("no officer-revoked event for {MEMBER} in the custody log"))
            ["seq"]
            .as_u64()
            .expect("seq is a number");

    // His copy does not know of the revocation: he can still capture into it...
    let late_id = capture(&env, &member, &stub, &server.url("/item/member-2"));

    // ...but the lead cannot merge it any more.
    let before = snapshot(&case);
    let out = merge(&env, &lead, &case, &stub);
    assert_refused(&out, "merge after the revocation");
    assert!(
        names_event(&stderr(&out), revoked_seq),
        "the refusal must name the revocation, custody event {revoked_seq}\n{}",
        describe(&out)
    );
    assert_unchanged(&case, &before, "merge after the revocation");
    assert!(
        !case.join("evidence").join(&late_id).exists(),
        "the capture made after the revocation got into the case"
    );

    // The case still verifies, with the same signers.
    let v = verify_ok(&env, &lead, &case, "after the refused merge");
    assert_verified_signer(&v, &lead_id, &lead, "after the refused merge");
    assert_verified_signer(&v, &member_id, &member, "after the refused merge");
}

// ---------------------------------------------------------------------------------------------
// refusals and repeats
// ---------------------------------------------------------------------------------------------

/// A case with the member registered and a field copy of it: (server, env, lead, member, case, stub).
fn case_with_member_stub() -> (TestServer, TestEnv, Officer, Officer, PathBuf, PathBuf) {
    let server = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let lead = lead(&env);
    let member = colleague(&env, "member", MEMBER);
    let case = env.new_case();
    join_and_add(&env, &lead, &case, &member);
    let stub = env.path().join("member-stub");
    export_stub(&env, &lead, &case, &stub);
    (server, env, lead, member, case, stub)
}

#[test]
fn merging_a_copy_whose_bundle_was_edited_after_capture_is_refused() {
    let (server, env, lead, member, case, stub) = case_with_member_stub();
    let id = capture(&env, &member, &stub, &server.url("/item/edited"));
    let pristine = env.path().join("pristine-copy");
    copy_dir(&stub, &pristine);

    // One byte of a payload file of the bundle changes in the copy.
    let data = stub.join("evidence").join(&id).join("data");
    let payload = list_files(&data)
        .into_iter()
        .map(|r| data.join(r))
        .find(|p| fs::metadata(p).unwrap().len() > 0)
        .unwrap_or_else(|| panic!("{} holds no non-empty payload file", data.display()));
    let original = read(&payload);
    flip_byte(&payload);
    assert_ne!(read(&payload), original, "the payload byte did not change");

    let before = snapshot(&case);
    let out = merge(&env, &lead, &case, &stub);
    assert_refused(&out, "edited bundle");
    assert!(
        stderr(&out).contains(&id),
        "the refusal must name the edited bundle {id}\n{}",
        describe(&out)
    );
    assert_unchanged(&case, &before, "edited bundle");

    // Control: the untouched copy of the same capture merges.
    let out = merge(&env, &lead, &case, &pristine);
    assert_merged(&out, &id, MEMBER, "untouched copy");
    assert!(
        case.join("evidence").join(&id).is_dir(),
        "the untouched copy's bundle is not in the case after its merge"
    );
    verify_ok(&env, &lead, &case, "after merging the untouched copy");
}

#[test]
fn merging_a_copy_with_a_custody_event_removed_is_refused() {
    let (server, env, lead, member, case, stub) = case_with_member_stub();
    let first = capture(&env, &member, &stub, &server.url("/item/first"));
    let second = capture(&env, &member, &stub, &server.url("/item/second"));
    let pristine = env.path().join("pristine-copy");
    copy_dir(&stub, &pristine);

    // Remove the first capture's event: a middle line of the copy's log.
    let log_path = stub.join("custody.jsonl");
    let log = read_string(&log_path);
    let lines: Vec<&str> = log.lines().collect();
    let first_line = capture_line(&log_path, &first);
    let at = lines
        .iter()
        .position(|l| *l == first_line)
        .expect("first capture line");
    assert!(
        at > 0 && at + 1 < lines.len(),
        "the removed line must be a middle line (line {} of {})",
        at + 1,
        lines.len()
    );
    let kept: String = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != at)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    fs::write(&log_path, &kept).unwrap();
    assert_eq!(read_string(&log_path).lines().count(), lines.len() - 1);

    let before = snapshot(&case);
    let out = merge(&env, &lead, &case, &stub);
    assert_refused(&out, "custody event removed");
    assert_unchanged(&case, &before, "custody event removed");
    for id in [&first, &second] {
        assert!(
            !case.join("evidence").join(id).exists(),
            "bundle {id} got into the case from a copy with a broken log"
        );
    }

    // Control: the copy with its whole log merges both captures.
    let out = merge(&env, &lead, &case, &pristine);
    assert_eq!(
        out.status.code(),
        Some(0),
        "untouched copy\n{}",
        describe(&out)
    );
    let text = stdout(&out);
    assert!(
        text.contains("merged 2 capture(s)"),
        "untouched copy: both captures must be merged\n{}",
        describe(&out)
    );
    for id in [&first, &second] {
        assert!(
            text.lines()
                .any(|l| l.trim() == format!("{id}  captured by {MEMBER}")),
            "untouched copy: merge output must name {id} as captured by {MEMBER}\n{}",
            describe(&out)
        );
    }
}

#[test]
fn merging_a_copy_whose_last_capture_event_was_cut_off_is_refused_naming_the_bundle() {
    let (server, env, lead, member, case, stub) = case_with_member_stub();
    let _first = capture(&env, &member, &stub, &server.url("/item/first"));
    let second = capture(&env, &member, &stub, &server.url("/item/second"));

    // Cut the last line off: the log still holds together, but the second
    // bundle in the copy's evidence/ is recorded by nothing.
    let log_path = stub.join("custody.jsonl");
    let last_line = capture_line(&log_path, &second);
    let log = read_string(&log_path);
    let kept = log
        .strip_suffix(&format!("{last_line}\n"))
        .expect("the second capture's event is the copy's last line");
    fs::write(&log_path, kept).unwrap();

    let before = snapshot(&case);
    let out = merge(&env, &lead, &case, &stub);
    assert_refused(&out, "last capture event cut off");
    assert!(
        stderr(&out).contains(&second),
        "the refusal must name the unrecorded bundle {second}\n{}",
        describe(&out)
    );
    assert_unchanged(&case, &before, "last capture event cut off");
}

#[test]
fn a_merge_stopped_after_its_event_is_completed_by_the_next_merge() {
    let (server, env, lead, member, case, stub) = case_with_member_stub();
    let id = capture(&env, &member, &stub, &server.url("/item/stopped"));
    let out = merge(&env, &lead, &case, &stub);
    assert_merged(&out, &id, MEMBER, "merge");
    let merge_seq = custody(&case)
        .iter()
        .find(|e| e["action"] == "merge")
        .and_then(|e| e["seq"].as_u64())
        .expect("a merge event");
    // As a merge killed between its event and its rename leaves it.
    let evidence = case.join("evidence");
    fs::rename(evidence.join(&id), evidence.join(format!(".partial-{id}"))).unwrap();
    let out = warden_as(&env, &lead)
        .arg("verify")
        .arg(&case)
        .arg("--no-record")
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        output_text(&out).contains(&format!("sealed and recorded in custody event {merge_seq}")),
        "verify must name the merge event that recorded the bundle\n{}",
        describe(&out)
    );

    let out = merge(&env, &lead, &case, &stub);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        stderr(&out).contains("completed") && stdout(&out).contains("nothing to merge"),
        "the next merge completes the move and brings in nothing new\n{}",
        describe(&out)
    );
    assert!(evidence.join(&id).is_dir());
    assert!(!evidence.join(format!(".partial-{id}")).exists());
    let text = verify_ok(&env, &lead, &case, "after the completed merge");
    assert_verified_signer(&text, &id, &member, "after the completed merge");
}

#[test]
fn merging_the_same_copy_twice_adds_nothing() {
    let (server, env, lead, member, case, stub) = case_with_member_stub();
    let id = capture(&env, &member, &stub, &server.url("/item/twice"));

    let out = merge(&env, &lead, &case, &stub);
    assert_merged(&out, &id, MEMBER, "first merge");
    let after_first = snapshot(&case);

    let out = merge(&env, &lead, &case, &stub);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the second merge of the same copy must succeed\n{}",
        describe(&out)
    );
    assert!(
        stdout(&out).contains("nothing to merge"),
        "the second merge must say \"nothing to merge\"\n{}",
        describe(&out)
    );
    assert!(
        !stdout(&out).contains("merged "),
        "the second merge must not claim to have merged anything\n{}",
        describe(&out)
    );
    assert_unchanged(&case, &after_first, "second merge of the same copy");
    let merges = custody(&case)
        .iter()
        .filter(|e| e["action"] == "merge")
        .count();
    assert_eq!(merges, 1, "exactly one merge event after merging twice");
}

#[test]
fn a_member_cannot_merge_and_is_told_who_can() {
    let (server, env, lead, member, case, stub) = case_with_member_stub();
    let id = capture(&env, &member, &stub, &server.url("/item/by-member"));

    let before = snapshot(&case);
    let out = merge(&env, &member, &case, &stub);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a member's merge must be refused with exit 2\n{}",
        describe(&out)
    );
    let err = stderr(&out);
    assert!(
        err.contains("lead"),
        "the refusal must say a lead officer may merge\n{}",
        describe(&out)
    );
    assert!(
        err.contains(OFFICER),
        "the refusal must name the case's lead officer ({OFFICER})\n{}",
        describe(&out)
    );
    assert_unchanged(&case, &before, "merge by a member");

    // Control: the lead merges the same copy.
    let out = merge(&env, &lead, &case, &stub);
    assert_merged(&out, &id, MEMBER, "merge by the lead");
}

#[test]
fn merging_a_copy_of_another_case_with_the_same_id_is_refused() {
    let server = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let lead = lead(&env);
    let case = env.new_case();
    let other = env.case_path("case-again");
    env.init_case(&other);
    let other_id = capture(&env, &lead, &other, &server.url("/item/other-case"));

    let case_show = show_json(&env, &lead, &case);
    let other_show = show_json(&env, &lead, &other);
    assert_eq!(
        case_show["case"]["id"], other_show["case"]["id"],
        "precondition: both cases have the same case id"
    );
    assert_ne!(
        case_show["fingerprint"], other_show["fingerprint"],
        "precondition: the two cases have different fingerprints"
    );

    let before = snapshot(&case);
    let out = merge(&env, &lead, &case, &other);
    assert_refused(&out, "another case with the same id");
    assert!(
        stderr(&out).contains("fingerprint"),
        "the refusal must say the fingerprints differ\n{}",
        describe(&out)
    );
    assert_unchanged(&case, &before, "another case with the same id");
    assert!(!case.join("evidence").join(&other_id).exists());
}

#[test]
fn a_zipped_copy_merges_like_a_folder() {
    let (server, env, lead, member, case, stub) = case_with_member_stub();
    let id = capture(&env, &member, &stub, &server.url("/item/zipped"));
    let bundle = tree_digest(&stub.join("evidence").join(&id));
    let zip_path = env.path().join("member-stub.zip");
    zip_folder(&stub, &zip_path);
    // Only the zip is left: the merge can only read it.
    fs::remove_dir_all(&stub).unwrap();

    let before = custody(&case).len();
    let out = merge(&env, &lead, &case, &zip_path);
    assert_merged(&out, &id, MEMBER, "zipped copy");
    let events = custody(&case);
    assert_eq!(events.len(), before + 1, "one merge event\n{events:#?}");
    assert_eq!(events.last().unwrap()["action"], "merge");
    assert_eq!(
        tree_digest(&case.join("evidence").join(&id)),
        bundle,
        "the bundle merged from the zip differs from the one captured"
    );
    let v = verify_ok(&env, &lead, &case, "after merging the zip");
    assert_verified_signer(&v, &id, &member, "after merging the zip");
    assert_eq!(exhibit_officer(&env, &lead, &case, &id), MEMBER);

    // As with a folder, the same zip again adds nothing.
    let after = snapshot(&case);
    let out = merge(&env, &lead, &case, &zip_path);
    assert_eq!(
        out.status.code(),
        Some(0),
        "second zip merge\n{}",
        describe(&out)
    );
    assert!(
        stdout(&out).contains("nothing to merge"),
        "second zip merge\n{}",
        describe(&out)
    );
    assert_unchanged(&case, &after, "second merge of the same zip");
}
