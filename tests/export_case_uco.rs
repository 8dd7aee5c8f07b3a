//! `warden export case-uco`: the JSON-LD passes `case_validate` (case-utils, from the venv
//! `WARDEN_TEST_VENV` names; a missing validator fails the test), every node has a unique
//! `@id`, every bundle file's SHA-256 and every exhibit number is there, the capture actions
//! name the captured URLs, and a case that does not verify is never exported.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output};
use std::sync::LazyLock;

use common::*;
use serde_json::Value;

const SECOND: &str = "Officer Second Sipho";

/// A case with two captures (a plain page, then a redirect chain), a second officer, a note
/// on exhibit 1, an access to exhibit 2, the withdrawal of exhibit 2, a transfer to the second
/// officer with its acceptance, and a checkpoint.
struct Fixture {
    env: TestEnv,
    case: PathBuf,
    /// (requested URL, final URL, bundle dir), in exhibit order.
    captures: Vec<(String, String, PathBuf)>,
    /// The export of the whole case.
    export: PathBuf,
    /// custody.jsonl before the export (the export then recorded itself).
    log_before: Vec<u8>,
    /// A copy of the case as it was before the export.
    pristine: PathBuf,
    _dir: tempfile::TempDir,
    _http: TestServer,
}

static FIX: LazyLock<Fixture> = LazyLock::new(|| {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let second = TestEnv::new();
    let case = env.new_case();
    let mut captures = Vec::new();
    for path in ["/plain", REDIRECT_PATHS[0]] {
        let url = http.url(path);
        let (out, lines) = env.capture_json(&case, [&url]);
        assert_eq!(out.status.code(), Some(0), "capture\n{}", describe(&out));
        let line = line_for(&lines, &url);
        let bundle = bundle_of(line);
        let record = read_json(&bundle.join("data/capture.json"));
        let final_url = record["final_url"].as_str().unwrap().to_string();
        captures.push((url, final_url, bundle));
    }
    assert_ne!(captures[1].0, captures[1].1, "the second capture redirects");
    env.add_officer(&case, SECOND, &second);
    let custody = |who: &TestEnv, args: &[&str]| {
        who.custody_ok(&case, args);
    };
    custody(
        &env,
        &[
            "note",
            "--exhibit",
            "1",
            "seller asked for payment by phone",
        ],
    );
    custody(
        &env,
        &[
            "access",
            "--reason",
            "reviewed for the prosecutor",
            "--exhibit",
            "2",
        ],
    );
    custody(
        &env,
        &["withdraw", "2", "--reason", "captured the wrong listing"],
    );
    custody(
        &env,
        &[
            "transfer",
            "--to",
            SECOND,
            "--reason",
            "to the evidence unit",
            "--location",
            "Room 4 \"evidence\" <store>",
        ],
    );
    custody(&second, &["accept", "--note", "received sealed"]);
    custody(&second, &["checkpoint"]);

    let dir = tmpdir();
    let pristine = dir.path().join("pristine");
    copy_dir(&case, &pristine);
    let log_before = read(&case.join("custody.jsonl"));
    let export = dir.path().join("case.jsonld");
    let out = export_cmd(&env, &case, &export);
    assert_eq!(out.status.code(), Some(0), "export\n{}", describe(&out));
    let log = read(&case.join("custody.jsonl"));
    assert!(
        log.starts_with(&log_before),
        "the export changed earlier events"
    );
    let last: Value =
        serde_json::from_str(String::from_utf8_lossy(&log).lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "export");
    assert_eq!(last["details"]["format"], "case-uco");
    assert_eq!(last["details"]["sha256"], sha256_file(&export).as_str());
    Fixture {
        env,
        case,
        captures,
        export,
        log_before,
        pristine,
        _dir: dir,
        _http: http,
    }
});

fn fix() -> &'static Fixture {
    &FIX
}

fn export_cmd(env: &TestEnv, case: &Path, out: &Path) -> Output {
    common::exports::export_case(env, "case-uco", case, out)
}

/// Every JSON object that is a node (has `@type` and is not a typed literal), anywhere in
/// the document.
fn typed_nodes<'a>(v: &'a Value, out: &mut Vec<&'a serde_json::Map<String, Value>>) {
    match v {
        Value::Object(m) => {
            if m.contains_key("@type") && !m.contains_key("@value") {
                out.push(m);
            }
            for (k, x) in m {
                if k != "@context" {
                    typed_nodes(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| typed_nodes(x, out)),
        _ => {}
    }
}

/// `@id` -> node, for the top-level nodes of the graph.
fn graph(doc: &Value) -> BTreeMap<String, &Value> {
    doc["@graph"]
        .as_array()
        .expect("@graph is an array")
        .iter()
        .map(|n| (n["@id"].as_str().expect("@id").to_string(), n))
        .collect()
}

/// The ids a property refers to (one reference or a list).
fn refs(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().flat_map(refs).collect(),
        Value::Object(m) => m
            .get("@id")
            .and_then(Value::as_str)
            .map(|s| vec![s.to_string()])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn manifest(bundle: &Path) -> Vec<(String, String)> {
    read_string(&bundle.join("manifest-sha256.txt"))
        .lines()
        .map(|l| {
            let (h, p) = l.split_once("  ").unwrap();
            (p.to_string(), h.to_string())
        })
        .collect()
}

#[test]
fn the_export_passes_case_validate() {
    let f = fix();
    let out = run(StdCommand::new(venv_tool("case_validate")).arg(&f.export));
    assert_eq!(
        out.status.code(),
        Some(0),
        "case_validate {} does not pass\n{}",
        f.export.display(),
        describe(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Conforms: True"),
        "{}",
        describe(&out)
    );
}

#[test]
fn every_node_has_a_unique_id_and_every_file_hash_and_exhibit_number_is_there() {
    let f = fix();
    let doc = read_json(&f.export);
    let mut nodes = Vec::new();
    typed_nodes(&doc, &mut nodes);
    assert!(nodes.len() > 50, "only {} nodes", nodes.len());
    let mut ids = BTreeSet::new();
    for n in &nodes {
        let id = n
            .get("@id")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("a node has no @id: {n:?}"));
        assert!(ids.insert(id.to_string()), "@id {id} is used twice");
        assert!(id.starts_with("kb:warden-"), "{id}");
    }

    let hashes: BTreeSet<String> = nodes
        .iter()
        .filter(|n| n["@type"] == "uco-types:Hash")
        .map(|n| {
            assert_eq!(n["uco-types:hashMethod"], "SHA256");
            assert_eq!(n["uco-types:hashValue"]["@type"], "xsd:hexBinary");
            n["uco-types:hashValue"]["@value"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for (_, _, bundle) in &f.captures {
        for (path, sha) in manifest(bundle) {
            assert!(hashes.contains(&sha), "no hash value for {path} ({sha})");
        }
        let m = sha256_file(&bundle.join("manifest-sha256.txt"));
        assert!(hashes.contains(&m), "no hash value for the manifest");
    }
    assert!(
        hashes.contains(&sha256_hex(&f.log_before)),
        "no hash value for custody.jsonl as exported"
    );
    let mut case_files = vec!["case.toml".to_string()];
    let checkpoints = list_files(&f.case.join("checkpoints"));
    assert_eq!(checkpoints.len(), 1, "{checkpoints:?}");
    case_files.push(format!("checkpoints/{}", checkpoints[0]));
    for file in &case_files {
        let path = f.case.join(file);
        assert!(path.is_file(), "{file} missing in the case");
        assert!(
            hashes.contains(&sha256_file(&path)),
            "no hash value for {file}"
        );
    }

    let numbers: BTreeSet<&str> = nodes
        .iter()
        .filter(|n| n["@type"] == "case-investigation:ProvenanceRecord")
        .map(|n| n["case-investigation:exhibitNumber"].as_str().unwrap())
        .collect();
    let want: BTreeSet<String> = (1..=f.captures.len())
        .map(|i| format!("{CASE_ID}/{i:04}"))
        .collect();
    assert_eq!(
        numbers,
        want.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );
}

#[test]
fn capture_actions_name_the_captured_urls_the_officer_and_the_tool_as_recorded() {
    let f = fix();
    let doc = read_json(&f.export);
    let g = graph(&doc);
    let url_of = |id: &str| -> String {
        let n = g.get(id).unwrap_or_else(|| panic!("{id} is not a node"));
        assert_eq!(n["@type"], "uco-observable:URL", "{n}");
        n["uco-core:hasFacet"][0]["uco-observable:fullValue"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let actions: Vec<&Value> = g
        .values()
        .copied()
        .filter(|n| n["@type"] == "case-investigation:InvestigativeAction")
        .collect();
    let names: BTreeSet<&str> = actions
        .iter()
        .map(|a| a["uco-core:name"].as_str().unwrap())
        .collect();
    for want in [
        "case-init",
        "capture",
        "officer-added",
        "note",
        "access",
        "withdraw",
        "transfer",
        "accept",
        "checkpoint",
    ] {
        assert!(names.contains(want), "no {want} action: {names:?}");
    }
    let log_lines = String::from_utf8_lossy(&f.log_before).lines().count();
    assert_eq!(actions.len(), log_lines, "one action per custody event");

    let captures: Vec<&&Value> = actions
        .iter()
        .filter(|a| a["uco-core:name"] == "capture")
        .collect();
    assert_eq!(captures.len(), f.captures.len());
    for (url, final_url, bundle) in &f.captures {
        let id = bundle.file_name().unwrap().to_string_lossy().into_owned();
        let action = captures
            .iter()
            .find(|a| {
                a["uco-core:description"]
                    .as_str()
                    .is_some_and(|d| d.contains(&id))
            })
            .unwrap_or_else(|| panic!("no capture action mentions bundle {id}"));
        let objects: Vec<String> = refs(&action["uco-action:object"])
            .iter()
            .map(|i| url_of(i))
            .collect();
        assert!(objects.contains(url), "{objects:?} lacks {url}");
        assert!(objects.contains(final_url), "{objects:?} lacks {final_url}");
        assert!(action["uco-action:startTime"]["@value"].is_string());
        assert_eq!(action["uco-action:startTime"]["@type"], "xsd:dateTime");

        // Performer: the officer's investigator role.
        let role = refs(&action["uco-action:performer"]).pop().unwrap();
        assert_eq!(g[&role]["@type"], "case-investigation:Investigator");
        let holder = g
            .values()
            .find(|n| {
                n["uco-core:kindOfRelationship"] == "Has_Role"
                    && refs(&n["uco-core:target"]) == vec![role.clone()]
            })
            .expect("a Has_Role relationship to the role");
        let person = refs(&holder["uco-core:source"]).pop().unwrap();
        assert_eq!(g[&person]["uco-core:name"], OFFICER);

        // Instrument: warden with the version and executable SHA-256 capture.json records.
        let record = read_json(&bundle.join("data/capture.json"));
        let instruments = refs(&action["uco-action:instrument"]);
        let tool = instruments
            .iter()
            .map(|i| g[i])
            .find(|n| n["@type"] == "uco-tool:Tool")
            .expect("a tool");
        assert_eq!(tool["uco-core:name"], "warden");
        assert_eq!(tool["uco-tool:version"], record["tool"]["version"]);
        let exe = record["tool"]["executable_sha256"].as_str().unwrap();
        assert!(
            instruments.iter().any(|i| g[i].to_string().contains(exe)),
            "the executable's SHA-256 {exe} is not among the instruments"
        );

        // Results: the provenance record with this exhibit's number.
        let results = refs(&action["uco-action:result"]);
        assert!(
            results
                .iter()
                .any(|i| g[i]["@type"] == "case-investigation:ProvenanceRecord"),
            "{results:?}"
        );
    }

    // The transfer names the receiver and the place; the text needs no escaping by hand.
    let transfer = actions
        .iter()
        .find(|a| a["uco-core:name"] == "transfer")
        .unwrap();
    let place = refs(&transfer["uco-action:location"]).pop().unwrap();
    assert_eq!(
        g[&place]["uco-core:description"],
        "Room 4 \"evidence\" <store>"
    );
    assert_eq!(refs(&transfer["uco-action:participant"]).len(), 1);
}

#[test]
fn identifiers_are_stable_across_exports() {
    let f = fix();
    let dir = tmpdir();
    let again = dir.path().join("again.jsonld");
    let out = export_cmd(&f.env, &f.pristine, &again);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let ids = |p: &Path| -> BTreeSet<String> { graph(&read_json(p)).into_keys().collect() };
    assert_eq!(ids(&f.export), ids(&again));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&sha256_file(&again)),
        "the SHA-256 is printed:\n{text}"
    );
}

#[test]
fn a_tampered_case_is_refused_and_nothing_is_written() {
    let f = fix();
    let id = f.captures[0]
        .2
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    common::exports::assert_refuses_tampered_copy(
        &f.env,
        "case-uco",
        &f.case,
        &id,
        "data/page.html",
        "jsonld",
    );
}

#[test]
fn an_existing_out_file_an_out_file_inside_the_case_and_a_wrong_name_are_refused() {
    common::exports::assert_refuses_bad_out(
        &fix().env,
        "case-uco",
        &fix().case,
        "jsonld",
        "case.json",
    );
}
