//! Live sweeps (`warden sweep --target`, docs/targets.md) against real HTTP servers on
//! 127.0.0.1: the fictional Demo Market (examples/demo_market.rs, see tests/common/market.rs)
//! and small servers written here, driven through the real warden binary.
//!
//! Acceptance points of issue 9: the demo-market sweep flags every offer and no decoy and
//! leaves a case that verifies; a sweep stopped by Ctrl-C or killed resumes without fetching
//! a journalled page again and without losing a hit; 429/5xx answers are retried (Retry-After
//! honoured) and a page that keeps failing is reported; `targets check` / `targets test`;
//! `sweep diff`.

mod common;

use common::market::*;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

/// `warden --case CASE sweep ARGS... --json`, run to completion.
fn sweep(env: &TestEnv, case: &Path, args: &[&str]) -> Output {
    env.warden()
        .arg("--case")
        .arg(case)
        .arg("sweep")
        .args(args)
        .arg("--json")
        .output()
        .unwrap()
}

/// The same, started in the background (stdout and stderr to files in `logs`).
fn spawn_sweep(env: &TestEnv, case: &Path, args: &[&str], logs: &Path) -> Child {
    env.warden_std()
        .arg("--case")
        .arg(case)
        .arg("sweep")
        .args(args)
        .arg("--json")
        .stdin(Stdio::null())
        .stdout(fs::File::create(logs.join("sweep.stdout")).unwrap())
        .stderr(fs::File::create(logs.join("sweep.stderr")).unwrap())
        .spawn()
        .unwrap()
}

fn logs_of(logs: &Path) -> String {
    format!(
        "--- stdout ---\n{}--- stderr ---\n{}",
        fs::read_to_string(logs.join("sweep.stdout")).unwrap_or_default(),
        fs::read_to_string(logs.join("sweep.stderr")).unwrap_or_default()
    )
}

/// The summary line `--json` prints on stdout.
fn summary(out: &Output) -> Value {
    let lines = parse_json_lines(out);
    assert_eq!(lines.len(), 1, "one JSON summary line\n{}", describe(out));
    lines.into_iter().next().unwrap()
}

/// The one sweep folder of a case.
fn only_sweep_dir(case: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = fs::read_dir(case.join("sweeps"))
        .map(|rd| rd.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    assert_eq!(dirs.len(), 1, "one sweep folder in {case:?}: {dirs:?}");
    dirs.into_iter().next().unwrap()
}

fn file_name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// Every line of a JSON Lines file.
fn jsonl(path: &Path) -> Vec<Value> {
    read_string(path)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {l}", path.display()))
        })
        .collect()
}

/// `pages.jsonl` entries of type "page".
fn page_entries(journal: &[Value]) -> Vec<&Value> {
    journal.iter().filter(|e| e["type"] == "page").collect()
}

/// Path (and query) of a URL on a 127.0.0.1 server: `/listing/101`.
fn url_target(url: &str) -> String {
    let u = url::Url::parse(url).unwrap_or_else(|e| panic!("bad URL {url:?}: {e}"));
    assert_eq!(u.host_str(), Some(LOOPBACK), "URL off 127.0.0.1: {url}");
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    }
}

/// The listing id of a Demo Market listing URL (`/listing/ID`, `/cn/listing/ID`).
fn listing_id(url: &str) -> u64 {
    let t = url_target(url);
    t.strip_prefix("/listing/")
        .or_else(|| t.strip_prefix("/cn/listing/"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("not a Demo Market listing URL: {url}"))
}

/// The Demo Market section a target of examples/targets searches.
fn section(target: &str) -> &'static str {
    match target {
        "demo-market" => "main",
        "demo-market-cn" => "cn",
        other => panic!("unknown target {other}"),
    }
}

fn evidence(case: &Path, bundle: &str) -> PathBuf {
    case.join("evidence").join(bundle)
}

fn capture_record(case: &Path, bundle: &str) -> Value {
    read_json(&evidence(case, bundle).join("data").join("capture.json"))
}

fn assert_verifies(env: &TestEnv, case: &Path, when: &str) {
    // --no-record: the demo sweep's case is shared by several tests.
    let out = env.verify([case.as_os_str(), "--no-record".as_ref()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "warden verify {when} must pass\n{}",
        describe(&out)
    );
}

fn write_terms(dir: &Path, terms: &[&str]) -> PathBuf {
    let p = dir.join("terms.txt");
    fs::write(&p, format!("# search terms\n{}\n", terms.join("\n"))).unwrap();
    p
}

/// Listings of `listings.toml` by id.
fn listings_toml(path: &Path) -> BTreeMap<u64, toml::Value> {
    let v: toml::Value = toml::from_str(&read_string(path)).unwrap();
    v["listing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["id"].as_integer().unwrap() as u64, l.clone()))
        .collect()
}

/// A hit as compared between sweeps: (flagged, score, title).
type HitKey = (bool, u64, String);

/// hits.jsonl by listing path (`/listing/101`): what two sweeps of the same site must agree on.
fn hits_by_path(hits: &[Value]) -> BTreeMap<String, HitKey> {
    hits.iter()
        .map(|h| {
            (
                url_target(h["url"].as_str().unwrap()),
                (
                    h["flagged"].as_bool().unwrap(),
                    h["score"].as_u64().unwrap(),
                    h["title"].as_str().unwrap_or("").to_string(),
                ),
            )
        })
        .collect()
}

/// Waits (up to 60 s) until `cond` holds, or the child exits (then panics).
fn wait_until(child: &mut Child, logs: &Path, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if cond() {
            return;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "the sweep ended ({status}) before {what}; the test needs it still running\n{}",
                logs_of(logs)
            );
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(10));
    }
}

fn wait_exit(mut child: Child, logs: &Path) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the sweep did not exit\n{}", logs_of(logs));
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn journal_lines(dir: &Path) -> usize {
    fs::read(dir.join("pages.jsonl"))
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .unwrap_or(0)
}

fn sweep_dir_if_any(case: &Path) -> Option<PathBuf> {
    fs::read_dir(case.join("sweeps"))
        .ok()?
        .next()
        .map(|e| e.unwrap().path())
}

// ---------------------------------------------------------------------------------------------
// 1. the demo market swept with the built-in lists
// ---------------------------------------------------------------------------------------------

/// One demo-market sweep, shared by the tests of section 1.
struct DemoSweep {
    env: TestEnv,
    case: PathBuf,
    dir: PathBuf,
    out: Output,
    journal: Vec<Value>,
    hits: Vec<Value>,
    sweep_json: Value,
    /// `/__listings` of the server.
    listings: Vec<Value>,
    /// `/__stats` after the sweep.
    stats: Value,
    /// Listing ids on the results pages the sweep read.
    seen: BTreeSet<u64>,
}

/// The live_search terms of the built-in species list (as `warden lists show --toml` writes
/// it), de-duplicated ignoring case as the sweep does.
fn builtin_live_search_terms(env: &TestEnv) -> Vec<String> {
    let out = env
        .warden()
        .args(["lists", "show", "cites-online-trade", "--toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let list: toml::Value = toml::from_str(&String::from_utf8(out.stdout).unwrap()).unwrap();
    let mut seen = BTreeSet::new();
    let mut terms = Vec::new();
    for taxon in list["taxon"].as_array().unwrap() {
        for t in taxon
            .get("live_search")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            let t = t.as_str().unwrap().to_string();
            if seen.insert(t.to_lowercase()) {
                terms.push(t);
            }
        }
    }
    assert!(terms.len() > 100, "built-in list has {} terms", terms.len());
    terms
}

fn demo_sweep() -> &'static DemoSweep {
    static SWEEP: OnceLock<DemoSweep> = OnceLock::new();
    SWEEP.get_or_init(|| {
        let env = TestEnv::new();
        // The built-in list has ~500 live_search terms; searching all of them on both
        // sections takes minutes in a debug build, and most find nothing on this small site.
        // The sweep gets the built-in terms that find anything on the site (asked of a
        // separate server instance, so the sweep's server counts only the sweep); every
        // other term only adds empty results pages.
        let all_terms = builtin_live_search_terms(&env);
        let probe = DemoMarket::start(&[]);
        let terms: Vec<&str> = all_terms
            .iter()
            .filter(|t| {
                let main = format!("/search?q={}&page=1", form_encode(t.as_bytes()));
                let (gbk, _, _) = encoding_rs::GBK.encode(t);
                let cn = format!("/cn/search?q={}&page=1", form_encode(&gbk));
                [main, cn].iter().any(|target| {
                    let (status, body) = probe.get(target);
                    assert_eq!(status, 200, "{target}");
                    body.windows(15).any(|w| w == b"class=\"listing\"")
                })
            })
            .map(String::as_str)
            .collect();
        probe.stop();
        assert!(
            terms.len() >= 20,
            "only {} built-in terms find anything on the demo market: {terms:?}",
            terms.len()
        );

        let server = DemoMarket::start(&[]);
        let case = env.new_case();
        let dm = server.profile("demo-market", env.path());
        let dm_cn = server.profile("demo-market-cn", env.path());
        let terms_file = write_terms(env.path(), &terms);
        let out = sweep(
            &env,
            &case,
            &[
                "--target",
                dm.to_str().unwrap(),
                "--target",
                dm_cn.to_str().unwrap(),
                "--capture-hits",
                "--terms",
                terms_file.to_str().unwrap(),
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "demo-market sweep\n{}",
            describe(&out)
        );
        let s = summary(&out);
        let dir = PathBuf::from(s["dir"].as_str().unwrap());
        assert_eq!(dir, case.join("sweeps").join(s["id"].as_str().unwrap()));
        let journal = jsonl(&dir.join("pages.jsonl"));
        let hits = jsonl(&dir.join("hits.jsonl"));
        let sweep_json = read_json(&dir.join("sweep.json"));
        let mut seen = BTreeSet::new();
        for p in page_entries(&journal) {
            if p["status"] != "ok" {
                continue;
            }
            let bundle = p["bundle"].as_str().unwrap();
            let rec = capture_record(&case, bundle);
            let page = evidence(&case, bundle).join(rec["page"]["file"].as_str().unwrap());
            let html = String::from_utf8_lossy(&read(&page)).into_owned();
            for part in html.split("data-id=\"").skip(1) {
                seen.insert(part.split('"').next().unwrap().parse::<u64>().unwrap());
            }
        }
        let listings = server.listings();
        let stats = server.stats();
        server.stop();
        DemoSweep {
            env,
            case,
            dir,
            out,
            journal,
            hits,
            sweep_json,
            listings,
            stats,
            seen,
        }
    })
}

impl DemoSweep {
    fn ids(&self, expected: &str) -> BTreeSet<u64> {
        self.listings
            .iter()
            .filter(|l| l["expected"] == expected)
            .map(|l| l["id"].as_u64().unwrap())
            .collect()
    }
    fn flagged(&self) -> BTreeMap<u64, &Value> {
        self.hits
            .iter()
            .filter(|h| h["flagged"] == true)
            .map(|h| (listing_id(h["url"].as_str().unwrap()), h))
            .collect()
    }
}

#[test]
fn demo_market_sweep_sees_all_54_listings_and_flags_all_30_offers() {
    let d = demo_sweep();
    let offers = d.ids("offer");
    let decoys = d.ids("decoy");
    assert_eq!(offers.len(), 30, "offers served: {offers:?}");
    assert_eq!(decoys.len(), 24, "decoys served: {decoys:?}");
    let all: BTreeSet<u64> = offers.union(&decoys).copied().collect();
    assert_eq!(
        d.seen, all,
        "the results pages the sweep read must show every listing"
    );
    assert_eq!(d.sweep_json["counts"]["listings"], 54, "{}", d.sweep_json);
    let flagged = d.flagged();
    let missed: Vec<u64> = offers
        .iter()
        .filter(|id| !flagged.contains_key(id))
        .copied()
        .collect();
    assert!(missed.is_empty(), "offers not flagged: {missed:?}");
}

#[test]
fn demo_market_sweep_flags_no_decoy() {
    let d = demo_sweep();
    let decoys = d.ids("decoy");
    assert!(
        decoys.iter().all(|id| d.seen.contains(id)),
        "every decoy must be seen for this to mean anything"
    );
    let wrongly: Vec<String> = d
        .flagged()
        .iter()
        .filter(|(id, _)| decoys.contains(id))
        .map(|(id, h)| format!("{id} (score {}): {}", h["score"], h["title"]))
        .collect();
    assert!(wrongly.is_empty(), "decoys flagged: {wrongly:#?}");
}

#[test]
fn demo_market_sweep_captures_each_flagged_listing_as_its_own_bundle_of_its_url() {
    let d = demo_sweep();
    let flagged = d.flagged();
    assert!(!flagged.is_empty());
    let mut bundles = BTreeSet::new();
    for (id, h) in &flagged {
        let url = h["url"].as_str().unwrap();
        assert_eq!(h["capture"]["status"], "ok", "listing {id}: {h}");
        let bundle = h["capture"]["bundle"]
            .as_str()
            .unwrap_or_else(|| panic!("listing {id} has no capture bundle: {h}"));
        assert!(evidence(&d.case, bundle).is_dir(), "{bundle} missing");
        assert!(bundles.insert(bundle.to_string()), "bundle {bundle} shared");
        let rec = capture_record(&d.case, bundle);
        assert_eq!(rec["requested_url"], url, "bundle {bundle} of listing {id}");
        // ... and it is the listing's page, not a results page.
        let page = evidence(&d.case, bundle).join(rec["page"]["file"].as_str().unwrap());
        let html = String::from_utf8_lossy(&read(&page)).into_owned();
        assert!(
            html.contains(&format!("class=\"listing-page\" data-id=\"{id}\"")),
            "bundle {bundle} does not hold listing {id}'s page"
        );
    }
    assert_eq!(
        d.sweep_json["counts"]["hit_captures"].as_u64(),
        Some(flagged.len() as u64)
    );
    // Listings not flagged get no capture of their own.
    for h in d.hits.iter().filter(|h| h["flagged"] == false) {
        assert!(h["capture"].is_null(), "unflagged hit captured: {h}");
    }
}

#[test]
fn demo_market_sweep_hit_sightings_name_the_results_page_bundles_they_were_read_from() {
    let d = demo_sweep();
    let pages: BTreeMap<(String, String, u64), &Value> = page_entries(&d.journal)
        .into_iter()
        .map(|p| {
            (
                (
                    p["target"].as_str().unwrap().to_string(),
                    p["term"].as_str().unwrap().to_string(),
                    p["page"].as_u64().unwrap(),
                ),
                p,
            )
        })
        .collect();
    for h in &d.hits {
        let id = listing_id(h["url"].as_str().unwrap());
        let sightings = h["sightings"].as_array().unwrap();
        assert!(!sightings.is_empty(), "hit {id} has no sighting");
        for s in sightings {
            let bundle = s["bundle"].as_str().unwrap();
            assert!(
                evidence(&d.case, bundle).is_dir(),
                "sighting bundle {bundle} missing"
            );
            let key = (
                s["target"].as_str().unwrap().to_string(),
                s["term"].as_str().unwrap().to_string(),
                s["page"].as_u64().unwrap(),
            );
            let p = pages
                .get(&key)
                .unwrap_or_else(|| panic!("sighting {s} of {id} is no journalled page"));
            assert_eq!(p["bundle"], bundle, "sighting {s} of {id}");
            let rec = capture_record(&d.case, bundle);
            assert_eq!(rec["requested_url"], p["url"], "bundle {bundle}");
            let page = evidence(&d.case, bundle).join(rec["page"]["file"].as_str().unwrap());
            assert!(
                String::from_utf8_lossy(&read(&page)).contains(&format!("data-id=\"{id}\"")),
                "results page {bundle} does not show listing {id}"
            );
        }
    }
}

#[test]
fn demo_market_sweep_leaves_a_case_that_verifies() {
    let d = demo_sweep();
    assert_verifies(&d.env, &d.case, "after the demo-market sweep");
    // The sweep event names the three result files with their hashes.
    let events = check_custody(&d.case.join("custody.jsonl")).unwrap();
    let ev = events
        .iter()
        .rev()
        .find(|e| e["action"] == "sweep")
        .expect("a sweep custody event");
    let outputs = ev["details"]["outputs"].as_array().unwrap();
    let names: BTreeSet<String> = outputs
        .iter()
        .map(|o| file_name(Path::new(o["path"].as_str().unwrap())))
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["hits.csv", "hits.jsonl", "sweep.json"].map(String::from))
    );
    for o in outputs {
        let p = d.case.join(o["path"].as_str().unwrap());
        assert_eq!(sha256_file(&p), o["sha256"].as_str().unwrap(), "{p:?}");
    }
}

#[test]
fn demo_market_sweep_json_counts_agree_with_hits_jsonl_and_pages_jsonl() {
    let d = demo_sweep();
    let c = &d.sweep_json["counts"];
    let flagged = d.hits.iter().filter(|h| h["flagged"] == true).count() as u64;
    assert_eq!(c["matched"].as_u64(), Some(d.hits.len() as u64), "{c}");
    assert_eq!(c["flagged"].as_u64(), Some(flagged), "{c}");
    assert_eq!(d.sweep_json["status"], "finished");
    let pages = page_entries(&d.journal);
    let ok = pages.iter().filter(|p| p["status"] == "ok").count() as u64;
    assert_eq!(c["pages"].as_u64(), Some(ok), "{c}");
    assert_eq!(c["pages_failed"].as_u64(), Some(0), "{c}");
    assert_eq!(d.sweep_json["failed_pages"], Value::Array(vec![]));
    let sightings: u64 = pages.iter().map(|p| p["listings"].as_u64().unwrap()).sum();
    assert_eq!(c["sightings"].as_u64(), Some(sightings), "{c}");
    // per target
    let mut per_target: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for h in &d.hits {
        let t = h["sightings"][0]["target"].as_str().unwrap().to_string();
        per_target.entry(t).or_default().1 += u64::from(h["flagged"] == true);
    }
    for p in &pages {
        per_target
            .entry(p["target"].as_str().unwrap().to_string())
            .or_default()
            .0 += 1;
    }
    for (t, (n_pages, n_flagged)) in &per_target {
        let s = &d.sweep_json["per_target"][t];
        assert_eq!(s["pages"].as_u64(), Some(*n_pages), "{t}: {s}");
        assert_eq!(s["flagged"].as_u64(), Some(*n_flagged), "{t}: {s}");
    }
    // per taxon: listings naming each taxon
    let mut per_taxon: BTreeMap<String, u64> = BTreeMap::new();
    for h in &d.hits {
        for t in h["taxa"].as_array().unwrap() {
            *per_taxon
                .entry(t["scientific_name"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    let from_json: BTreeMap<String, u64> =
        serde_json::from_value(d.sweep_json["per_taxon"].clone()).unwrap();
    assert_eq!(from_json, per_taxon);
    // and the summary printed by --json says the same
    let s = summary(&d.out);
    assert_eq!(&s["totals"], c);
}

#[test]
fn demo_market_hits_csv_has_a_bom_and_the_vietnamese_and_chinese_titles_intact() {
    let d = demo_sweep();
    let bytes = read(&d.dir.join("hits.csv"));
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "hits.csv must start with a UTF-8 BOM"
    );
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let headers = r.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: BTreeMap<u64, String> = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            (listing_id(&rec[col("url")]), rec[col("title")].to_string())
        })
        .collect();
    assert_eq!(rows.len(), d.hits.len(), "one row per hit");
    let file = listings_toml(&listings_file());
    let mut checked = Vec::new();
    for (id, l) in &file {
        let lang = l["lang"].as_str().unwrap();
        if !(lang == "vi" || lang.starts_with("zh")) || l["expected"].as_str() != Some("offer") {
            continue;
        }
        let title = l["title"].as_str().unwrap();
        assert_eq!(
            rows.get(id).map(String::as_str),
            Some(title),
            "hits.csv title of listing {id} ({lang})"
        );
        checked.push(lang.to_string());
    }
    assert!(checked.iter().any(|l| l == "vi"), "{checked:?}");
    assert!(checked.iter().any(|l| l == "zh-Hans"), "{checked:?}");
    assert!(checked.iter().any(|l| l == "zh-Hant"), "{checked:?}");
}

#[test]
fn demo_market_sweep_retries_the_429_on_page_2_of_ivory_carving_and_reads_the_page() {
    let d = demo_sweep();
    let page = page_entries(&d.journal)
        .into_iter()
        .find(|p| p["target"] == "demo-market" && p["term"] == "ivory carving" && p["page"] == 2)
        .expect("page 2 of \"ivory carving\" in pages.jsonl");
    let attempts = page["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{page}");
    assert_eq!(attempts[0]["http_status"], 429, "{page}");
    assert_eq!(attempts[0]["retry_after_secs"], 1, "{page}");
    assert!(
        attempts[0]["bundle"]
            .as_str()
            .is_some_and(|b| evidence(&d.case, b).is_dir()),
        "the 429 answer is captured too: {page}"
    );
    assert_eq!(attempts[1]["status"], "ok", "{page}");
    assert_eq!(attempts[1]["http_status"], 200, "{page}");
    assert_eq!(page["status"], "ok");
    assert_eq!(page["bundle"], attempts[1]["bundle"]);
    assert!(page["listings"].as_u64().unwrap() > 0, "{page}");
    assert_eq!(d.stats["throttled"], 1, "{}", d.stats);
    assert_eq!(
        d.stats["searches"]["main|2|ivory carving"], 2,
        "{}",
        d.stats
    );
    // The page was read: its listings are counted, and every one of them that mentions a
    // listed taxon has that page among its sightings.
    let bundle = page["bundle"].as_str().unwrap();
    let rec = capture_record(&d.case, bundle);
    let html = read_string(&evidence(&d.case, bundle).join(rec["page"]["file"].as_str().unwrap()));
    let ids: BTreeSet<u64> = html
        .split("data-id=\"")
        .skip(1)
        .map(|p| p.split('"').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids.len() as u64, page["listings"].as_u64().unwrap());
    let on_page: Vec<&Value> = d
        .hits
        .iter()
        .filter(|h| ids.contains(&listing_id(h["url"].as_str().unwrap())))
        .collect();
    assert!(!on_page.is_empty(), "no hit from page 2 (listings {ids:?})");
    for h in on_page {
        assert!(
            h["sightings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["bundle"] == bundle),
            "hit {} does not name page 2 ({bundle}) among its sightings",
            h["url"]
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 2. resume after SIGINT and SIGKILL
// ---------------------------------------------------------------------------------------------

/// Terms of the interrupted sweeps: each searched on both sections, ~20 results pages and
/// ~12 flagged listings; none is throttled by the server.
const RESUME_TERMS: &[&str] = &[
    "pangolin scales",
    "象牙",
    "ngà voi",
    "leopard skin",
    "tiger bone wine",
    "sừng tê giác",
    "穿山甲片",
    "gading gajah",
    "rhino horn cup",
    "虎骨酒",
];

/// Terms of the sweep stopped while it waits out the demo market's one 429.
const RETRY_WAIT_TERMS: &[&str] = &["ivory carving", "象牙"];

/// Server latency of the interrupted sweeps, so that they run for several seconds.
const SLOW_SERVER: &[&str] = &["--delay-ms", "150"];

/// An uninterrupted sweep of `terms` (its own case and server): its hits by listing path.
fn reference_sweep(terms: &[&str]) -> BTreeMap<String, HitKey> {
    let env = TestEnv::new();
    let server = DemoMarket::start(&[]);
    let case = env.new_case();
    let dm = server.profile("demo-market", env.path());
    let dm_cn = server.profile("demo-market-cn", env.path());
    let terms = write_terms(env.path(), terms);
    let out = sweep(
        &env,
        &case,
        &[
            "--target",
            dm.to_str().unwrap(),
            "--target",
            dm_cn.to_str().unwrap(),
            "--capture-hits",
            "--terms",
            terms.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "reference\n{}", describe(&out));
    let dir = PathBuf::from(summary(&out)["dir"].as_str().unwrap().to_string());
    let hits = hits_by_path(&jsonl(&dir.join("hits.jsonl")));
    assert!(
        hits.values().filter(|h| h.0).count() >= 3,
        "reference flags too little to compare: {hits:?}"
    );
    hits
}

fn reference_for_resume_terms() -> &'static BTreeMap<String, HitKey> {
    static R: OnceLock<BTreeMap<String, HitKey>> = OnceLock::new();
    R.get_or_init(|| reference_sweep(RESUME_TERMS))
}

/// What was journalled before an interruption: (section, page, term) → attempts, and
/// listing page target → attempts.
struct Journalled {
    pages: Vec<(String, u32, String, u64)>,
    hits: Vec<(String, u64)>,
}

fn journalled(dir: &Path) -> Journalled {
    let journal = jsonl(&dir.join("pages.jsonl"));
    let mut j = Journalled {
        pages: Vec::new(),
        hits: Vec::new(),
    };
    for e in &journal {
        let attempts = e["attempts"].as_array().unwrap().len() as u64;
        if e["type"] == "page" {
            j.pages.push((
                section(e["target"].as_str().unwrap()).to_string(),
                e["page"].as_u64().unwrap() as u32,
                e["term"].as_str().unwrap().to_string(),
                attempts,
            ));
        } else {
            j.hits
                .push((url_target(e["url"].as_str().unwrap()), attempts));
        }
    }
    j
}

/// Every page and listing page journalled before the interruption was requested exactly as
/// often as its journalled attempts: the resumed run fetched none of them again.
fn assert_nothing_journalled_fetched_again(before: &Journalled, server: &DemoMarket) {
    assert!(!before.pages.is_empty(), "nothing was journalled before");
    for (section, page, term, attempts) in &before.pages {
        assert_eq!(
            server.search_count(section, *page, term),
            *attempts,
            "results page {section}|{page}|{term} was journalled before the interruption and \
             must not be fetched again; server log:\n{}",
            server.log()
        );
    }
    for (target, attempts) in &before.hits {
        assert_eq!(
            server.target_count(target),
            *attempts,
            "listing page {target} was captured before the interruption and must not be \
             fetched again"
        );
    }
}

/// The final results of a resumed sweep: finished, no failed page, same hits as the
/// reference, every flagged listing captured, and the case verifies.
fn assert_resumed_sweep_complete(
    env: &TestEnv,
    case: &Path,
    dir: &Path,
    reference: &BTreeMap<String, HitKey>,
    earlier_runs: u64,
) {
    let sweep_json = read_json(&dir.join("sweep.json"));
    assert_eq!(sweep_json["status"], "finished", "{sweep_json}");
    assert_eq!(sweep_json["earlier_runs"], earlier_runs, "{sweep_json}");
    assert_eq!(sweep_json["counts"]["pages_failed"], 0, "{sweep_json}");
    let hits = jsonl(&dir.join("hits.jsonl"));
    let got = hits_by_path(&hits);
    let lost: Vec<&String> = reference
        .iter()
        .filter(|(_, h)| h.0)
        .map(|(p, _)| p)
        .filter(|p| got.get(*p).is_none_or(|h| !h.0))
        .collect();
    assert!(
        lost.is_empty(),
        "flagged listings lost by the interruption: {lost:?}"
    );
    assert_eq!(
        &got, reference,
        "hits of the resumed sweep vs an uninterrupted one"
    );
    // The sweep was started with --capture-hits: `--resume ID` continues it with the same
    // parameters, so every flagged listing, found before or after the interruption, has its
    // own page captured.
    let params = read_json(&dir.join("params.json"));
    assert_eq!(params["capture_hits"], true, "{params}");
    let uncaptured: Vec<String> = hits
        .iter()
        .filter(|h| h["flagged"] == true && h["capture"]["status"] != "ok")
        .map(|h| format!("{} (capture: {})", h["url"], h["capture"]))
        .collect();
    assert!(
        uncaptured.is_empty(),
        "flagged listings without their own capture after `sweep --resume` of a sweep started \
         with --capture-hits: {uncaptured:#?}"
    );
    for h in hits.iter().filter(|h| h["flagged"] == true) {
        let b = h["capture"]["bundle"].as_str().unwrap();
        assert_eq!(capture_record(case, b)["requested_url"], h["url"]);
    }
    assert_eq!(
        sweep_json["counts"]["hit_captures"].as_u64(),
        Some(hits.iter().filter(|h| h["flagged"] == true).count() as u64),
        "{sweep_json}"
    );
    assert_verifies(env, case, "after the resumed sweep");
}

fn resume(env: &TestEnv, case: &Path, dir: &Path) -> Output {
    let id = file_name(dir);
    let out = sweep(env, case, &["--resume", &id]);
    assert_eq!(out.status.code(), Some(0), "resume\n{}", describe(&out));
    assert_eq!(summary(&out)["id"], id.as_str());
    out
}

/// A case, a slow demo market and a sweep of `terms` started in the background.
struct Interrupted {
    env: TestEnv,
    case: PathBuf,
    server: DemoMarket,
    child: Option<Child>,
}

fn start_interruptible(terms: &[&str]) -> Interrupted {
    let env = TestEnv::new();
    let server = DemoMarket::start(SLOW_SERVER);
    let case = env.new_case();
    let dm = server.profile("demo-market", env.path());
    let dm_cn = server.profile("demo-market-cn", env.path());
    let terms = write_terms(env.path(), terms);
    let child = spawn_sweep(
        &env,
        &case,
        &[
            "--target",
            dm.to_str().unwrap(),
            "--target",
            dm_cn.to_str().unwrap(),
            "--capture-hits",
            "--terms",
            terms.to_str().unwrap(),
        ],
        env.path(),
    );
    Interrupted {
        env,
        case,
        server,
        child: Some(child),
    }
}

impl Interrupted {
    /// Waits until the journal holds `n` lines.
    fn wait_for_journal(&mut self, n: usize) -> PathBuf {
        let case = self.case.clone();
        let mut dir = None;
        wait_until(
            self.child.as_mut().unwrap(),
            self.env.path(),
            &format!("{n} journal lines"),
            || {
                dir = sweep_dir_if_any(&case);
                dir.as_ref().is_some_and(|d| journal_lines(d) >= n)
            },
        );
        dir.unwrap()
    }

    fn sigint(&mut self) -> std::process::ExitStatus {
        let child = self.child.take().unwrap();
        // SAFETY: kill(2) on our own child's pid.
        let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
        assert_eq!(rc, 0, "kill -INT");
        wait_exit(child, self.env.path())
    }

    fn sigkill(&mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

impl Drop for Interrupted {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The results a stopped run writes: stopped-1/{sweep.json,hits.jsonl,hits.csv}, status
/// "stopped", and no final sweep.json.
fn assert_stopped_results(dir: &Path) {
    let stopped = dir.join("stopped-1");
    for f in ["sweep.json", "hits.jsonl", "hits.csv"] {
        assert!(stopped.join(f).is_file(), "{f} missing in {stopped:?}");
    }
    assert_eq!(read_json(&stopped.join("sweep.json"))["status"], "stopped");
    assert!(
        !dir.join("sweep.json").exists(),
        "a stopped sweep has no final sweep.json"
    );
}

/// A resume started while the sweep still runs (in another terminal) is refused, naming
/// the sweep, and sets nothing aside: it would otherwise rename the results the running
/// sweep is about to record. Once the run is stopped, the same resume works.
#[test]
fn resuming_a_sweep_that_is_still_running_is_refused_and_sets_nothing_aside() {
    let mut run = start_interruptible(RESUME_TERMS);
    let dir = run.wait_for_journal(2);
    let id = file_name(&dir);
    let listing = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let out = sweep(&run.env, &run.case, &["--resume", &id]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let text = output_text(&out);
    assert!(
        text.contains(&format!("sweep {id} is still running")),
        "{}",
        describe(&out)
    );
    assert!(
        !listing(&dir).iter().any(|n| n.contains(".unrecorded-")),
        "the refused resume set files aside: {:?}",
        listing(&dir)
    );
    let status = run.sigint();
    assert_eq!(status.code(), Some(130), "{}", logs_of(run.env.path()));
    resume(&run.env, &run.case, &dir);
    assert_verifies(&run.env, &run.case, "after the refused and the real resume");
}

#[test]
fn sigint_stops_the_sweep_with_130_and_stopped_results_then_resume_refetches_no_journalled_page_and_loses_no_hit()
 {
    let reference = reference_for_resume_terms();
    let mut run = start_interruptible(RESUME_TERMS);
    let dir = run.wait_for_journal(5);
    let status = run.sigint();
    assert_eq!(
        status.code(),
        Some(130),
        "Ctrl-C exits 130\n{}",
        logs_of(run.env.path())
    );
    assert_stopped_results(&dir);
    let before = journalled(&dir);
    assert!(
        before.pages.len() < 2 * RESUME_TERMS.len(),
        "the sweep was not stopped midway: {} pages done",
        before.pages.len()
    );
    // The stopped results are recorded and verify.
    assert_verifies(&run.env, &run.case, "after Ctrl-C");

    resume(&run.env, &run.case, &dir);
    assert_nothing_journalled_fetched_again(&before, &run.server);
    assert_resumed_sweep_complete(&run.env, &run.case, &dir, reference, 1);
}

#[test]
fn sigkill_leaves_only_the_journal_then_resume_refetches_no_journalled_page_loses_no_hit_and_verifies()
 {
    let reference = reference_for_resume_terms();
    let mut run = start_interruptible(RESUME_TERMS);
    let dir = run.wait_for_journal(6);
    run.sigkill();
    let mut left: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| file_name(&e.unwrap().path()))
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["pages.jsonl", "params.json"],
        "a killed sweep leaves only its parameters and journal"
    );
    let before = journalled(&dir);
    assert!(
        before.pages.len() < 2 * RESUME_TERMS.len(),
        "the sweep was not killed midway: {} pages done",
        before.pages.len()
    );

    resume(&run.env, &run.case, &dir);
    assert_nothing_journalled_fetched_again(&before, &run.server);
    assert_resumed_sweep_complete(&run.env, &run.case, &dir, reference, 0);
}

#[test]
fn sigint_while_waiting_out_a_429_then_resume_reads_that_page_and_loses_no_hit() {
    let reference = reference_sweep(RETRY_WAIT_TERMS);
    let mut run = start_interruptible(RETRY_WAIT_TERMS);
    // The demo market answers the first request for page 2 of "ivory carving" with 429 and
    // Retry-After: 1; stop the sweep during that second.
    let server_port = run.server.port;
    wait_until(
        run.child.as_mut().unwrap(),
        run.env.path(),
        "the 429",
        || {
            let (_, body) = http_get(server_port, "/__stats");
            serde_json::from_slice::<Value>(&body).unwrap()["throttled"] == 1
        },
    );
    let dir = only_sweep_dir(&run.case);
    let status = run.sigint();
    assert_eq!(
        status.code(),
        Some(130),
        "Ctrl-C exits 130\n{}",
        logs_of(run.env.path())
    );
    assert_stopped_results(&dir);
    let before = journalled(&dir);

    resume(&run.env, &run.case, &dir);
    // Page 2 was asked for once (the 429) before the stop, then read after the resume.
    assert_eq!(
        run.server.search_count("main", 2, "ivory carving"),
        2,
        "server log:\n{}",
        run.server.log()
    );
    let page2 = page_entries(&jsonl(&dir.join("pages.jsonl")))
        .into_iter()
        .filter(|p| p["term"] == "ivory carving" && p["page"] == 2)
        .map(|p| p["status"].as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert_eq!(
        page2.last().map(String::as_str),
        Some("ok"),
        "page 2 of \"ivory carving\" must end up read, journal says {page2:?}"
    );
    let before_ok = Journalled {
        pages: before
            .pages
            .into_iter()
            .filter(|p| !(p.0 == "main" && p.1 == 2 && p.2 == "ivory carving"))
            .collect(),
        hits: before.hits,
    };
    assert_nothing_journalled_fetched_again(&before_ok, &run.server);
    assert_resumed_sweep_complete(&run.env, &run.case, &dir, &reference, 1);
}

// ---------------------------------------------------------------------------------------------
// 3. retries against a server that throttles and fails
// ---------------------------------------------------------------------------------------------

/// A tiny marketplace whose search for "ivory carving" answers 429 (Retry-After: 1), then 503,
/// then its results; "pangolin scales" always 500 (Retry-After: 1); "tiger bone wine" its
/// results. It logs every request with the time it arrived.
struct FlakyMarket {
    port: u16,
    log: Arc<Mutex<Vec<(Instant, String, u16)>>>,
}

const FLAKY_PAGE_IVORY: &str = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>ivory carving</title></head><body><ol>\
<li class=\"listing\"><a class=\"title\" href=\"/item/1\">Carved elephant ivory bangle for sale</a>\
<p class=\"snippet\">Genuine old elephant ivory, 62 g, Schreger lines. WhatsApp +00 000 000 001.</p></li>\
<li class=\"listing\"><a class=\"title\" href=\"/item/2\">Ivory netsuke, sleeping rat</a>\
<p class=\"snippet\">Real elephant ivory netsuke for sale, DM for price.</p></li>\
</ol></body></html>\n";

const FLAKY_PAGE_TIGER: &str = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>tiger</title></head><body><ol>\
<li class=\"listing\"><a class=\"title\" href=\"/item/3\">Tiger bone wine, 10 years old, for sale</a>\
<p class=\"snippet\">Real tiger bone wine, 500 ml. WeChat for price.</p></li>\
</ol></body></html>\n";

impl FlakyMarket {
    fn start() -> FlakyMarket {
        let listener = TcpListener::bind((LOOPBACK, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let log: Arc<Mutex<Vec<(Instant, String, u16)>>> = Arc::default();
        let log2 = log.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let log = log2.clone();
                thread::spawn(move || {
                    let _ = FlakyMarket::serve(stream, &log);
                });
            }
        });
        FlakyMarket { port, log }
    }

    fn serve(stream: TcpStream, log: &Mutex<Vec<(Instant, String, u16)>>) -> std::io::Result<()> {
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let arrived = Instant::now();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
                break;
            }
        }
        let target = line.split(' ').nth(1).unwrap_or("").to_string();
        let query = target.split_once("q=").map(|(_, q)| q).unwrap_or("");
        let query = query.split('&').next().unwrap_or("").to_string();
        let (status, extra, body): (u16, &str, &str) = {
            let mut l = log.lock().unwrap();
            let before = l
                .iter()
                .filter(|(_, t, _)| t.contains(&format!("q={query}")))
                .count();
            let answer = match (query.as_str(), before) {
                ("ivory+carving", 0) => (429, "Retry-After: 1\r\n", "slow down\n"),
                ("ivory+carving", 1) => (503, "", "busy\n"),
                ("ivory+carving", _) => (200, "", FLAKY_PAGE_IVORY),
                ("pangolin+scales", _) => (500, "Retry-After: 1\r\n", "broken\n"),
                ("tiger+bone+wine", _) => (200, "", FLAKY_PAGE_TIGER),
                _ => (404, "", "not found\n"),
            };
            l.push((arrived, target.clone(), answer.0));
            answer
        };
        let ctype = if status == 200 {
            "text/html; charset=utf-8"
        } else {
            "text/plain; charset=utf-8"
        };
        let mut s = stream;
        write!(
            s,
            "HTTP/1.1 {status} {}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
            reason(status),
            body.len()
        )?;
        s.flush()?;
        let _ = s.shutdown(std::net::Shutdown::Write);
        let _ = reader.read_to_end(&mut Vec::new());
        Ok(())
    }

    fn requests_for(&self, query: &str) -> Vec<(Instant, u16)> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, t, _)| {
                t.contains(&format!("q={query}&")) || t.ends_with(&format!("q={query}"))
            })
            .map(|(at, _, s)| (*at, *s))
            .collect()
    }

    fn profile(&self, dir: &Path) -> PathBuf {
        let p = dir.join("flaky.toml");
        fs::write(
            &p,
            format!(
                "[target]\nname = \"flaky-market\"\nbase_url = \"http://{LOOPBACK}:{}/\"\n\
                 search_url = \"search?q={{query}}&page={{page}}\"\nmax_pages = 1\ndelay_ms = 0\n\n\
                 [selectors]\nlisting = \"li.listing\"\nlink = \"a.title\"\ntitle = \"a.title\"\n\
                 snippet = \".snippet\"\n",
                self.port
            ),
        )
        .unwrap();
        p
    }
}

#[test]
fn retries_honour_retry_after_on_429_then_503_and_a_page_failing_with_500_is_reported_and_the_sweep_goes_on()
 {
    let env = TestEnv::new();
    let server = FlakyMarket::start();
    let case = env.new_case();
    let profile = server.profile(env.path());
    let terms = write_terms(
        env.path(),
        &["ivory carving", "pangolin scales", "tiger bone wine"],
    );
    let out = sweep(
        &env,
        &case,
        &[
            "--target",
            profile.to_str().unwrap(),
            "--terms",
            terms.to_str().unwrap(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "a sweep with a failed page exits 1\n{}",
        describe(&out)
    );
    let dir = PathBuf::from(summary(&out)["dir"].as_str().unwrap().to_string());
    let journal = jsonl(&dir.join("pages.jsonl"));
    let pages = page_entries(&journal);
    let page = |term: &str| {
        *pages
            .iter()
            .find(|p| p["term"] == term)
            .unwrap_or_else(|| panic!("no journal entry for {term}: {journal:#?}"))
    };

    // "ivory carving": 429, 503, then the page, which is read.
    let ivory = page("ivory carving");
    let a = ivory["attempts"].as_array().unwrap();
    let statuses: Vec<Value> = a.iter().map(|x| x["http_status"].clone()).collect();
    assert_eq!(statuses, [429, 503, 200].map(Value::from), "{ivory}");
    assert_eq!(
        a[0]["retry_after_secs"], 1,
        "Retry-After: 1 is used: {ivory}"
    );
    assert!(a[1]["retry_after_secs"].as_u64().unwrap() >= 1, "{ivory}");
    assert_eq!(a[2]["status"], "ok", "{ivory}");
    assert_eq!(ivory["status"], "ok");
    assert_eq!(ivory["listings"], 2);
    for x in a {
        let b = x["bundle"].as_str().expect("every attempt is captured");
        assert!(evidence(&case, b).is_dir(), "{b}");
    }
    let reqs = server.requests_for("ivory+carving");
    assert_eq!(
        reqs.iter().map(|r| r.1).collect::<Vec<_>>(),
        [429, 503, 200]
    );
    let gap1 = reqs[1].0 - reqs[0].0;
    assert!(
        gap1 >= Duration::from_secs(1),
        "the second request came {gap1:?} after the 429 with Retry-After: 1"
    );
    let gap2 = reqs[2].0 - reqs[1].0;
    let backoff = Duration::from_secs(a[1]["retry_after_secs"].as_u64().unwrap());
    assert!(
        gap2 >= backoff,
        "the third request came {gap2:?} after the 503; the journal says it waited {backoff:?}"
    );

    // "pangolin scales": four 500s, a failed page in sweep.json.
    let sweep_json = read_json(&dir.join("sweep.json"));
    let failed = sweep_json["failed_pages"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{sweep_json}");
    assert_eq!(failed[0]["term"], "pangolin scales");
    assert_eq!(failed[0]["target"], "flaky-market");
    let fa = failed[0]["attempts"].as_array().unwrap();
    assert_eq!(fa.len(), 4, "at most 4 attempts: {}", failed[0]);
    assert!(fa.iter().all(|x| x["http_status"] == 500), "{}", failed[0]);
    assert_eq!(sweep_json["counts"]["pages_failed"], 1);
    assert_eq!(page("pangolin scales")["status"], "failed");
    assert_eq!(server.requests_for("pangolin+scales").len(), 4);

    // ... and the sweep went on to "tiger bone wine".
    let tiger = page("tiger bone wine");
    assert_eq!(tiger["status"], "ok", "{tiger}");
    assert_eq!(tiger["listings"], 1);
    let last_pangolin = server.requests_for("pangolin+scales").last().unwrap().0;
    let tiger_req = server.requests_for("tiger+bone+wine");
    assert_eq!(tiger_req.len(), 1);
    assert!(tiger_req[0].0 > last_pangolin);
    let hits = jsonl(&dir.join("hits.jsonl"));
    let urls: BTreeSet<String> = hits
        .iter()
        .map(|h| url_target(h["url"].as_str().unwrap()))
        .collect();
    for item in ["/item/1", "/item/2", "/item/3"] {
        assert!(urls.contains(item), "{item} not in hits.jsonl: {urls:?}");
    }
    assert_verifies(&env, &case, "after a sweep with retries and a failed page");
}

// ---------------------------------------------------------------------------------------------
// 4. targets check / targets test
// ---------------------------------------------------------------------------------------------

#[test]
fn targets_check_reports_an_unknown_key_and_a_bad_selector_each_at_file_line_col_and_exits_2() {
    let env = TestEnv::new();
    let p = env.path().join("bad.toml");
    fs::write(
        &p,
        "[target]\n\
         name = \"bad\"\n\
         base_url = \"http://127.0.0.1:8000/\"\n\
         search_url = \"search?q={query}&page={page}\"\n\
         delay = 3\n\
         \n\
         [selectors]\n\
         listing = \"li.listing\"\n\
         link = \"a[[x\"\n",
    )
    .unwrap();
    let out = env
        .warden()
        .args(["targets", "check"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let text = output_text(&out);
    let at = |line: u32, col: u32| format!("{}:{line}:{col}: ", p.display());
    assert!(
        text.lines()
            .any(|l| l.starts_with(&at(5, 1)) && l.contains("delay")),
        "the unknown key `delay` must be reported at {}\n{}",
        at(5, 1),
        describe(&out)
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with(&at(9, 8)) && l.contains("link")),
        "the bad selector of `link` must be reported at {}\n{}",
        at(9, 8),
        describe(&out)
    );
}

#[test]
fn targets_test_against_the_demo_market_prints_each_listing_title_and_exits_0() {
    let env = TestEnv::new();
    let server = DemoMarket::start(&[]);
    let profile = server.profile("demo-market", env.path());
    let out = env
        .warden()
        .args(["targets", "test"])
        .arg(&profile)
        .args(["--query", "ivory"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    // One request, and nothing recorded anywhere.
    assert_eq!(server.stats()["total"], 1, "{}", server.log());
    assert_eq!(
        fs::read_dir(&env.work).unwrap().count(),
        0,
        "targets test wrote files"
    );
    // The listings of the first results page, as the server shows them.
    let (status, page) = server.get("/search?q=ivory&page=1");
    assert_eq!(status, 200);
    let page = String::from_utf8(page).unwrap();
    let ids: Vec<u64> = page
        .split("data-id=\"")
        .skip(1)
        .map(|p| p.split('"').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids.len(), 5, "a full first page");
    let file = listings_toml(&listings_file());
    for id in &ids {
        let title = file[id]["title"].as_str().unwrap();
        assert!(
            stdout.contains(&title.escape_debug().to_string()),
            "title of listing {id} ({title:?}) not printed\n{stdout}"
        );
        assert!(
            stdout.contains(&format!("{}listing/{id}", server.base_url())),
            "link of listing {id} not printed\n{stdout}"
        );
    }
    assert!(stdout.contains("listings:  5"), "{stdout}");
}

// ---------------------------------------------------------------------------------------------
// 5. sweep diff
// ---------------------------------------------------------------------------------------------

/// `listings.toml` with listing `remove` gone, the price of `reprice` set to `price`, and
/// `added` appended.
fn modified_listings(remove: u64, reprice: u64, price: &str, added: &str) -> String {
    let text = read_string(&listings_file());
    let mut blocks: Vec<String> = text.split("[[listing]]").map(String::from).collect();
    let head = blocks.remove(0);
    let id_line = |id: u64| format!("\nid = {id}\n");
    let before = blocks.len();
    blocks.retain(|b| !b.starts_with(&id_line(remove)));
    assert_eq!(blocks.len(), before - 1, "listing {remove} not found");
    let b = blocks
        .iter_mut()
        .find(|b| b.starts_with(&id_line(reprice)))
        .unwrap_or_else(|| panic!("listing {reprice} not found"));
    let lines: Vec<String> = b
        .split('\n')
        .map(|l| {
            if l.starts_with("price = ") {
                format!("price = \"{price}\"")
            } else {
                l.to_string()
            }
        })
        .collect();
    *b = lines.join("\n");
    format!(
        "{head}{}\n{added}",
        blocks
            .iter()
            .map(|b| format!("[[listing]]{b}"))
            .collect::<String>()
    )
}

#[test]
fn sweep_diff_reports_exactly_the_listing_added_the_one_removed_and_the_one_repriced() {
    let env = TestEnv::new();
    let case = env.new_case();
    let terms = write_terms(env.path(), &["ivory carving", "pangolin scales"]);
    let first = DemoMarket::start(&[]);
    let port = first.port;
    let dm = first.profile("demo-market", env.path());
    let args = [
        "--target",
        dm.to_str().unwrap(),
        "--terms",
        terms.to_str().unwrap(),
    ];
    let a = sweep(&env, &case, &args);
    assert_eq!(a.status.code(), Some(0), "first sweep\n{}", describe(&a));
    let a_id = summary(&a)["id"].as_str().unwrap().to_string();
    first.stop();

    // The same site later: 102 taken down, 106 repriced, 199 new.
    let file = listings_toml(&listings_file());
    let old_price = file[&106]["price"].as_str().unwrap().to_string();
    let new_price = "US$9,999";
    assert_ne!(old_price, new_price);
    let added = "[[listing]]\n\
        id = 199\n\
        section = \"main\"\n\
        lang = \"en\"\n\
        expected = \"offer\"\n\
        title = \"Elephant ivory carving of a dragon boat, 30 cm\"\n\
        description = \"Old elephant ivory carving, 1.4 kg, Schreger lines. $4,200. WhatsApp +00 000 000 199.\"\n\
        price = \"$4,200\"\n\
        seller = \"new_curios_000\"\n\
        date = \"2026-11-20\"\n\
        taxon = \"elephantidae\"\n";
    let modified = env.path().join("listings-later.toml");
    fs::write(&modified, modified_listings(102, 106, new_price, added)).unwrap();
    let later = DemoMarket::start_on(port, &["--listings", modified.to_str().unwrap()]);
    assert_eq!(later.port, port, "same site, same address");
    let b = sweep(&env, &case, &args);
    assert_eq!(b.status.code(), Some(0), "second sweep\n{}", describe(&b));
    let b_id = summary(&b)["id"].as_str().unwrap().to_string();
    assert_ne!(a_id, b_id);

    let out = env
        .warden()
        .arg("--case")
        .arg(&case)
        .args(["sweep", "diff", &a_id, &b_id, "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let targets = |k: &str| -> Vec<String> {
        r[k].as_array()
            .unwrap()
            .iter()
            .map(|l| url_target(l["url"].as_str().unwrap()))
            .collect()
    };
    assert_eq!(r["from"], a_id.as_str());
    assert_eq!(r["to"], b_id.as_str());
    assert_eq!(targets("new"), ["/listing/199"], "{r:#}");
    assert_eq!(targets("gone"), ["/listing/102"], "{r:#}");
    let changed = r["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "{r:#}");
    assert_eq!(
        url_target(changed[0]["url"].as_str().unwrap()),
        "/listing/106"
    );
    assert_eq!(changed[0]["before"]["price"], old_price.as_str());
    assert_eq!(changed[0]["after"]["price"], new_price);
    assert_eq!(changed[0]["before"]["title"], changed[0]["after"]["title"]);
    // Every other listing of the first sweep is unchanged.
    let a_hits = jsonl(&case.join("sweeps").join(&a_id).join("hits.jsonl"));
    assert_eq!(
        r["unchanged"].as_u64(),
        Some(a_hits.len() as u64 - 2),
        "{r:#}"
    );
    assert_eq!(
        r["new"][0]["title"],
        "Elephant ivory carving of a dragon boat, 30 cm"
    );
    assert_verifies(&env, &case, "after two sweeps");
}

/// `--resume ID` says "no sweep ID" only when there is none; a sweep folder that cannot be
/// read (here a file stands where the folder should be) is named with what went wrong,
/// not passed off as missing.
#[test]
fn resume_says_no_such_sweep_only_when_it_is_missing_and_names_an_unreadable_sweep_folder() {
    let env = TestEnv::new();
    let case = env.new_case();
    let out = sweep(&env, &case, &["--resume", "nothere"]);
    assert_ne!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        output_text(&out).contains("no sweep nothere in this case"),
        "{}",
        describe(&out)
    );
    fs::create_dir_all(case.join("sweeps")).unwrap();
    fs::write(case.join("sweeps").join("notafolder"), b"x").unwrap();
    let out = sweep(&env, &case, &["--resume", "notafolder"]);
    assert_ne!(out.status.code(), Some(0), "{}", describe(&out));
    let text = output_text(&out);
    assert!(!text.contains("no sweep notafolder"), "{}", describe(&out));
    assert!(
        text.contains("notafolder/params.json") && text.contains("ot a directory"),
        "{}",
        describe(&out)
    );
}
