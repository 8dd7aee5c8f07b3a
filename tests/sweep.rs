//! `warden sweep` over local inputs, driven through the real binary.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

const SPECIES: &str = r#"[list]
name = "mini"
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
zh-Hans = ["象牙"]
[[taxon.code_words]]
term = "bovine bone"
lang = "en"
note = "eBay UK (Cox 2018)"

[[taxon]]
id = "manis-pentadactyla"
scientific_name = "Manis pentadactyla"
rank = "species"
appendix = "I"
group = "pangolins"
[taxon.names]
en = ["Chinese pangolin", "pangolin"]
zh-Hans = ["穿山甲"]
vi = ["tê tê"]
[taxon.products]
en = ["scales"]
"#;

const CUES: &str = r#"[list]
name = "cues"
kind = "cues"
version = "1"
sources = ["test"]

[[cue]]
kind = "sale"
lang = "*"
terms = ["for sale", "出售", "bán"]

[[cue]]
kind = "decoy"
lang = "en"
terms = ["ivory white"]
applies_to = ["ivory"]
"#;

fn write(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn lines(out: &std::process::Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn sweeps_jsonl_csv_html_and_stdin_and_reports_bad_rows() {
    let t = tmpdir();
    let d = t.path();
    let species = write(d, "species.toml", SPECIES.as_bytes());
    let cues = write(d, "cues.toml", CUES.as_bytes());
    let jsonl = write(
        d,
        "ads.jsonl",
        "{\"id\":\"a1\",\"url\":\"https://shop.example/1\",\"title\":\"Carved BOVINE BONE bangle for sale\"}\n\
         {\"id\":\"a2\",\"title\":\"Ivory white wedding dress\"}\n\
         this is not json\n\
         {\"id\":\"a3\",\"title\":\"p@ngolin sc4les, b\u{e1}n\"}\n"
            .as_bytes(),
    );
    // A UTF-8 file (its third row Vietnamese) with one damaged row: the
    // damaged row is reported with its line, the others are read as UTF-8.
    let mut csv =
        b"id,url,title,price\nc1,https://shop.example/c1,\"i.v.o.r.y tusk\",100\n".to_vec();
    csv.extend_from_slice(b"c2,https://shop.example/c2,\xff\xfe broken,1\n");
    csv.extend_from_slice(
        "c3,https://shop.example/c3,\"Bán vảy tê tê, giá tốt, liên hệ Zalo, hàng thật\",9\n"
            .as_bytes(),
    );
    let csv = write(d, "ads.csv", &csv);
    let (gbk, _, _) = encoding_rs::GBK
        .encode("<html><head><meta charset=\"gbk\"></head><body><p>出售穿山甲片</p></body></html>");
    let html = write(d, "page.html", &gbk);
    let env = TestEnv::new();
    let out = env
        .warden()
        .args(["sweep", "--list"])
        .arg(&species)
        .arg(&cues)
        .arg("--input")
        .arg(&jsonl)
        .arg(&csv)
        .arg(&html)
        .arg("-")
        .arg("--allow-skipped")
        .write_stdin("{\"id\":\"s1\",\"text\":\"象牙手镯 出售\"}\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let recs = lines(&out);
    let by_id = |id: &str| recs.iter().find(|r| r["id"] == id);
    // code word, with its offsets on what the seller wrote
    let a1 = by_id("a1").expect("a1");
    assert_eq!(a1["flagged"], true, "{a1}");
    assert_eq!(a1["url"], "https://shop.example/1");
    assert_eq!(a1["source"]["line"], 1);
    let m = &a1["matches"][0];
    assert_eq!(m["term"], "bovine bone");
    assert_eq!(m["kind"], "code-word");
    assert_eq!(
        &"Carved BOVINE BONE bangle for sale"
            [m["start"].as_u64().unwrap() as usize..m["end"].as_u64().unwrap() as usize],
        "BOVINE BONE"
    );
    assert!(a1["reasons"].as_array().unwrap().len() >= 2, "{a1}");
    // the decoy is not reported as a species hit
    assert!(by_id("a2").is_none(), "{recs:?}");
    // leetspeak pangolin
    let a3 = by_id("a3").expect("a3");
    assert_eq!(a3["taxa"][0]["scientific_name"], "Manis pentadactyla");
    // dotted ivory in CSV; the broken row is skipped with its line
    assert!(by_id("c1").is_some(), "{recs:?}");
    assert!(by_id("c2").is_none());
    assert!(by_id("c3").is_some(), "{recs:?}");
    // GBK page and standard input
    assert!(
        recs.iter().any(
            |r| r["source"]["path"].as_str().unwrap().ends_with("page.html")
                && r["taxa"][0]["scientific_name"] == "Manis pentadactyla"
        ),
        "{recs:?}"
    );
    assert!(by_id("s1").is_some(), "{recs:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ads.jsonl:3"), "{err}");
    assert!(err.contains("ads.csv:3"), "{err}");
    assert!(err.contains("2 skipped"), "{err}");
    // Without --allow-skipped, rows that could not be read fail the sweep.
    let strict = env
        .warden()
        .args(["sweep", "--list"])
        .arg(&species)
        .arg("--input")
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(strict.status.code(), Some(2), "{}", describe(&strict));
    let err = String::from_utf8_lossy(&strict.stderr);
    assert!(
        err.contains("ads.csv:3") && err.contains("--allow-skipped"),
        "{err}"
    );
}

#[test]
fn a_malformed_list_stops_before_any_work() {
    let t = tmpdir();
    let bad = write(
        t.path(),
        "bad.toml",
        SPECIES
            .replace("appendix = \"I\"", "appendix = \"V\"")
            .as_bytes(),
    );
    let input = write(t.path(), "ads.jsonl", b"{\"title\":\"ivory\"}\n");
    let out_file = t.path().join("out.jsonl");
    let env = TestEnv::new();
    let out = env
        .warden()
        .args(["sweep", "--list"])
        .arg(&bad)
        .arg("--input")
        .arg(&input)
        .arg("--out")
        .arg(&out_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("bad.toml:"),
        "{err}"
    );
    assert!(!out_file.exists());
}

#[test]
fn a_sweep_with_a_case_is_recorded_in_the_custody_log_and_csv_output_works() {
    let t = tmpdir();
    let species = write(t.path(), "species.toml", SPECIES.as_bytes());
    let input = write(
        t.path(),
        "ads.jsonl",
        b"{\"id\":\"x\",\"title\":\"African elephant tusk for sale\"}\n",
    );
    let env = TestEnv::new();
    let case = env.new_case();
    let out_file = t.path().join("hits.csv");
    let out = env
        .warden()
        .arg("--case")
        .arg(&case)
        .args(["sweep", "--format", "csv", "--list"])
        .arg(&species)
        .arg("--input")
        .arg(&input)
        .arg("--out")
        .arg(&out_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let text = read_string(&out_file);
    assert!(
        text.starts_with("\u{feff}id,url,score,flagged,taxa,appendix,reasons,title,"),
        "{text}"
    );
    assert!(text.contains("Loxodonta africana"), "{text}");
    let log = read_string(&case.join("custody.jsonl"));
    let last: Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["action"], "sweep");
    assert_eq!(
        last["details"]["output"]["sha256"],
        sha256_hex(text.as_bytes()).as_str()
    );
    assert_eq!(
        last["details"]["inputs"][0]["sha256"],
        sha256_hex(&read(&input)).as_str()
    );
    assert_eq!(
        last["details"]["lists"][0]["sha256"],
        sha256_hex(SPECIES.as_bytes()).as_str()
    );
    // the case's log still holds with the sweep event in it (no bundle: nothing else to verify)
    let out = env.verify([&case, Path::new("--json")]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true, "{}", describe(&out));
    assert_eq!(v["verdict"], "nothing-to-verify", "{}", describe(&out));
    assert_eq!(v["custody_events"], 2, "{}", describe(&out));
    // results are never overwritten
    let again = env
        .warden()
        .args(["sweep", "--list"])
        .arg(&species)
        .arg("--input")
        .arg(&input)
        .arg("--out")
        .arg(&out_file)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "{}", describe(&again));
    assert_eq!(read_string(&out_file), text);
}

#[test]
fn sweeps_a_case_its_bundles_and_their_warc_files() {
    let server = TestServer::http(Routes::new().route(
        "/listing/7",
        fixed(
            200,
            &[("Content-Type", "text/html; charset=utf-8")],
            "<html><body><h1>Carved bovine bone bangle</h1><p>for sale, 穿山甲 scales too</p></body></html>",
        ),
    ));
    let t = tmpdir();
    let species = write(t.path(), "species.toml", SPECIES.as_bytes());
    let cues = write(t.path(), "cues.toml", CUES.as_bytes());
    let env = TestEnv::new();
    let case = env.new_case();
    let url = server.url("/listing/7");
    let (out, captured) = env.capture_json(&case, [url.clone()]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let bundle = bundle_of(&captured[0]);
    for input in [
        case.clone(),
        bundle.clone(),
        bundle.join("data/capture.warc.gz"),
    ] {
        let out = env
            .warden()
            .args(["sweep", "--list"])
            .arg(&species)
            .arg(&cues)
            .arg("--input")
            .arg(&input)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
        let recs = lines(&out);
        assert_eq!(recs.len(), 1, "{}: {recs:?}", input.display());
        let r = &recs[0];
        assert_eq!(r["url"], url.as_str(), "{r}");
        let names: Vec<&str> = r["taxa"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["scientific_name"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"Loxodonta africana") && names.contains(&"Manis pentadactyla"),
            "{}: {names:?}",
            input.display()
        );
    }
}
