//! `warden export wacz`: the WACZ file passes py-wacz's `wacz validate`, its index
//! agrees with `cdxj-indexer` (both from the venv `WARDEN_TEST_VENV` names; a missing
//! validator fails the test), every index line points at the gzip member holding its
//! record, and evidence that does not verify is never exported.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output};
use std::sync::LazyLock;

use common::*;
use serde_json::Value;

/// One case holding three captures: a plain page, a 3-hop redirect chain and a GBK page.
struct Fixture {
    env: TestEnv,
    case: PathBuf,
    /// (requested URL, bundle dir, title of the page)
    captures: Vec<(String, PathBuf, &'static str)>,
    _http: TestServer,
}

static FIX: LazyLock<Fixture> = LazyLock::new(|| {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let targets = [
        (http.url("/plain"), "Carved ivory tusk"),
        (http.url(REDIRECT_PATHS[0]), "Final listing"),
        (http.url("/gbk"), "象牙制品"),
    ];
    let (out, lines) = env.capture_json(&case, targets.iter().map(|(u, _)| u.as_str()));
    assert_eq!(out.status.code(), Some(0), "capture\n{}", describe(&out));
    let captures = targets
        .iter()
        .map(|(url, title)| (url.clone(), bundle_of(line_for(&lines, url)), *title))
        .collect();
    Fixture {
        env,
        case,
        captures,
        _http: http,
    }
});

fn fix() -> &'static Fixture {
    &FIX
}

fn export(env: &TestEnv, args: &[&std::ffi::OsStr]) -> Output {
    env.warden()
        .args(["export", "wacz"])
        .args(args)
        .output()
        .unwrap()
}

/// Every entry of a zip file: name -> (stored without compression, bytes).
fn unzip(path: &Path) -> BTreeMap<String, (bool, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(fs::File::open(path).unwrap())
        .unwrap_or_else(|e| panic!("{} is not a zip: {e}", path.display()));
    let mut out = BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        let stored = f.compression() == zip::CompressionMethod::Stored;
        out.insert(f.name().to_string(), (stored, bytes));
    }
    out
}

fn entry<'a>(files: &'a BTreeMap<String, (bool, Vec<u8>)>, name: &str) -> &'a [u8] {
    &files
        .get(name)
        .unwrap_or_else(|| panic!("the WACZ lacks {name}: {:?}", files.keys()))
        .1
}

fn wacz_validate(path: &Path) {
    let out = run(StdCommand::new(venv_tool("wacz"))
        .args(["validate", "--file"])
        .arg(path));
    let text = output_text(&out);
    assert!(
        out.status.success() && text.contains("is valid"),
        "wacz validate --file {}\n{}",
        path.display(),
        describe(&out)
    );
}

/// The one record in a gzip member that must span exactly `member`.
fn member_record(member: &[u8]) -> (BTreeMap<String, String>, usize) {
    let mut dec = flate2::bufread::GzDecoder::new(member);
    let mut data = Vec::new();
    dec.read_to_end(&mut data)
        .unwrap_or_else(|e| panic!("not a gzip member: {e}"));
    assert!(
        dec.into_inner().is_empty(),
        "bytes left after the gzip member: the length is too long"
    );
    let end = data
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a WARC head");
    let head = String::from_utf8_lossy(&data[..end]).into_owned();
    assert!(head.starts_with("WARC/1.1\r\n"), "{head}");
    let headers: BTreeMap<String, String> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers["content-length"].parse().unwrap();
    (headers, data.len() - (end + 4 + len + 4))
}

/// Index fields compared with cdxj-indexer's: key, time, and the JSON fields.
fn index_entries(cdxj: &str, only_responses: bool) -> BTreeSet<Vec<String>> {
    cdxj.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let mut parts = l.splitn(3, ' ');
            let (key, ts, json) = (parts.next()?, parts.next()?, parts.next()?);
            let v: Value = serde_json::from_str(json).unwrap();
            if only_responses && v.get("status").is_none() {
                return None; // cdxj-indexer also indexes metadata records
            }
            let mut e = vec![key.to_string(), ts.to_string()];
            for f in [
                "url", "mime", "status", "digest", "length", "offset", "filename",
            ] {
                e.push(v[f].as_str().unwrap_or("?").to_string());
            }
            Some(e)
        })
        .collect()
}

#[test]
fn a_case_exports_to_a_valid_wacz_whose_index_points_at_each_record() {
    let f = fix();
    let dir = tmpdir();
    let out_path = dir.path().join("case.wacz");
    // A copy of the shared case: the export records itself in the case it exports, and other
    // tests here compare the shared case before and after.
    let elsewhere = tmpdir();
    let case = elsewhere.path().join("case");
    copy_dir(&f.case, &case);
    // No PATH: the case given with --case.
    let out = f
        .env
        .warden()
        .arg("--case")
        .arg(&case)
        .args(["export", "wacz", "--out"])
        .arg(&out_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let sha = sha256_file(&out_path);
    assert_eq!(stdout.lines().count(), 1, "one line: {stdout}");
    assert!(
        stdout.contains("3 page(s)") && stdout.contains(&sha),
        "the line names the pages and the SHA-256 {sha}: {stdout}"
    );
    wacz_validate(&out_path);

    let files = unzip(&out_path);
    for (name, (stored, _)) in &files {
        assert!(stored, "{name} is compressed; the WACZ stores its files");
    }
    // Each bundle's WARC, byte for byte.
    for (_, bundle, _) in &f.captures {
        let id = bundle.file_name().unwrap().to_string_lossy();
        assert_eq!(
            entry(&files, &format!("archive/{id}.warc.gz")),
            read(&bundle.join("data/capture.warc.gz")),
            "archive/{id}.warc.gz is not the bundle's WARC"
        );
    }

    // pages.jsonl: the header, then every capture with its id, URL, time and title.
    let pages = String::from_utf8(entry(&files, "pages/pages.jsonl").to_vec()).unwrap();
    let mut lines = pages.lines();
    let header: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(
        header,
        serde_json::json!({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"})
    );
    let listed: Vec<Value> = lines.map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(listed.len(), 3, "{pages}");
    for (url, bundle, title) in &f.captures {
        let id = bundle.file_name().unwrap().to_string_lossy();
        let page = listed
            .iter()
            .find(|p| p["url"] == url.as_str())
            .unwrap_or_else(|| panic!("pages.jsonl lacks {url}:\n{pages}"));
        assert_eq!(page["id"], id.as_ref(), "{page}");
        assert_eq!(page["title"], *title, "{page}");
        let ts = page["ts"].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(ts).is_ok(),
            "ts {ts:?} is not RFC 3339"
        );
    }

    // index.cdxj: sorted; each line's offset and length are the gzip member of a record
    // with that URI and a type the index holds.
    let index = String::from_utf8(entry(&files, "indexes/index.cdxj").to_vec()).unwrap();
    let lines: Vec<&str> = index.lines().collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted, "index.cdxj is not sorted");
    let mut per_file: BTreeMap<String, usize> = BTreeMap::new();
    for line in &lines {
        let mut parts = line.splitn(3, ' ');
        let (_key, ts, json) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        assert!(
            ts.len() == 14 && ts.bytes().all(|b| b.is_ascii_digit()),
            "{line}"
        );
        let v: Value = serde_json::from_str(json).unwrap();
        let filename = v["filename"].as_str().unwrap();
        let warc = entry(&files, &format!("archive/{filename}"));
        let offset: usize = v["offset"].as_str().unwrap().parse().unwrap();
        let length: usize = v["length"].as_str().unwrap().parse().unwrap();
        assert!(offset + length <= warc.len(), "{line}");
        let (headers, extra) = member_record(&warc[offset..offset + length]);
        assert_eq!(extra, 0, "the member holds more than its record: {line}");
        assert_eq!(
            headers["warc-target-uri"],
            v["url"].as_str().unwrap(),
            "{line}"
        );
        assert_eq!(headers["warc-type"], "response", "{line}");
        assert_eq!(
            headers["warc-date"][..19].replace(['-', ':', 'T'], ""),
            ts,
            "{line}"
        );
        *per_file.entry(filename.to_string()).or_default() += 1;
    }
    // Every response record of every bundle is indexed: 1 + 4 + 1.
    for (_, bundle, _) in &f.captures {
        let id = bundle.file_name().unwrap().to_string_lossy();
        let responses = read_warc(&bundle.join("data/capture.warc.gz"))
            .iter()
            .filter(|r| r.warc_type() == "response")
            .count();
        assert_eq!(
            per_file.get(&format!("{id}.warc.gz")).copied().unwrap_or(0),
            responses,
            "{id}: {index}"
        );
    }
    assert_eq!(lines.len(), 6, "{index}");

    // The index agrees with the one pywb's cdxj-indexer makes from the same WARCs.
    let x = tmpdir();
    let mut warcs = Vec::new();
    for (name, (_, bytes)) in &files {
        if let Some(file) = name.strip_prefix("archive/") {
            fs::write(x.path().join(file), bytes).unwrap();
            warcs.push(file.to_string());
        }
    }
    let theirs = run_ok(
        StdCommand::new(venv_tool("cdxj-indexer"))
            .args(&warcs)
            .current_dir(x.path()),
    );
    assert_eq!(
        index_entries(&index, false),
        index_entries(&String::from_utf8_lossy(&theirs.stdout), true),
        "warden's index differs from cdxj-indexer's:\n{index}\n---\n{}",
        String::from_utf8_lossy(&theirs.stdout)
    );

    // datapackage.json: every other file with its SHA-256 and size; the digest file.
    let package_bytes = entry(&files, "datapackage.json");
    let package: Value = serde_json::from_slice(package_bytes).unwrap();
    assert_eq!(package["profile"], "data-package");
    assert_eq!(package["wacz_version"], "1.1.1");
    assert_eq!(
        package["software"],
        format!("warden {}", env!("CARGO_PKG_VERSION"))
    );
    let title = package["title"].as_str().unwrap();
    assert!(
        title.contains(CASE_ID) && title.contains(CASE_TITLE),
        "{title}"
    );
    assert!(package["created"].as_str().is_some());
    let resources = package["resources"].as_array().unwrap();
    let listed: BTreeSet<&str> = resources
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    let present: BTreeSet<&str> = files
        .keys()
        .map(String::as_str)
        .filter(|n| !n.starts_with("datapackage"))
        .collect();
    assert_eq!(listed, present);
    for r in resources {
        let bytes = entry(&files, r["path"].as_str().unwrap());
        assert_eq!(r["hash"], format!("sha256:{}", sha256_hex(bytes)), "{r}");
        assert_eq!(r["bytes"], bytes.len(), "{r}");
        assert!(r["name"].as_str().is_some_and(|n| !n.is_empty()), "{r}");
    }
    let digest: Value = serde_json::from_slice(entry(&files, "datapackage-digest.json")).unwrap();
    assert_eq!(digest["path"], "datapackage.json");
    assert_eq!(
        digest["hash"],
        format!("sha256:{}", sha256_hex(package_bytes))
    );
    // Only the file asked for was written.
    assert_eq!(list_files(dir.path()), vec!["case.wacz".to_string()]);
}

#[test]
fn one_bundle_exports_alone_and_outside_its_case_only_with_a_trusted_key() {
    let f = fix();
    let (url, bundle, _) = &f.captures[1];
    let dir = tmpdir();
    let out_path = dir.path().join("bundle.wacz");
    let out = export(
        &f.env,
        &[bundle.as_os_str(), "--out".as_ref(), out_path.as_os_str()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 page(s) from 1 bundle(s)"),
        "{}",
        describe(&out)
    );
    wacz_validate(&out_path);
    let files = unzip(&out_path);
    let archives: Vec<&String> = files.keys().filter(|n| n.starts_with("archive/")).collect();
    assert_eq!(archives.len(), 1, "{:?}", files.keys());
    let pages = String::from_utf8_lossy(entry(&files, "pages/pages.jsonl")).into_owned();
    assert_eq!(pages.lines().count(), 2, "{pages}");
    assert!(pages.contains(&format!("\"url\":\"{url}\"")), "{pages}");
    // The redirect chain: three 3xx responses and the final page, all indexed.
    let index = String::from_utf8_lossy(entry(&files, "indexes/index.cdxj")).into_owned();
    for status in ["301", "302", "307", "200"] {
        assert!(
            index.contains(&format!("\"status\":\"{status}\"")),
            "{status} missing:\n{index}"
        );
    }

    // A copy of the bundle outside any case is anchored only by a key the user vouches for.
    let lone = dir.path().join("lone");
    copy_dir(bundle, &lone.join(bundle.file_name().unwrap()));
    let lone = lone.join(bundle.file_name().unwrap());
    let refused = dir.path().join("lone.wacz");
    let out = export(
        &f.env,
        &[lone.as_os_str(), "--out".as_ref(), refused.as_os_str()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(!refused.exists());
    let key = public_key_b64(&f.env.key);
    let out = export(
        &f.env,
        &[
            lone.as_os_str(),
            "--out".as_ref(),
            refused.as_os_str(),
            "--trust-key".as_ref(),
            key.as_ref(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    wacz_validate(&refused);
}

#[test]
fn a_case_with_a_tampered_bundle_is_refused_and_nothing_is_written() {
    let f = fix();
    let id = f.captures[0]
        .1
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    common::exports::assert_refuses_tampered_copy(
        &f.env,
        "wacz",
        &f.case,
        &id,
        "data/page.html",
        "wacz",
    );
}

#[test]
fn an_existing_out_file_an_out_file_inside_the_case_and_a_wrong_name_are_refused() {
    common::exports::assert_refuses_bad_out(&fix().env, "wacz", &fix().case, "wacz", "x.zip");
}

#[test]
fn a_browser_capture_exports_with_every_resource_the_page_needs_to_replay() {
    let http = TestServer::http(browser_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let url = http.url("/js-listing");
    let mut args = browser_args();
    args.push(url.clone());
    let (out, lines) = env.capture_json(&case, args);
    assert_eq!(out.status.code(), Some(0), "capture\n{}", describe(&out));
    let bundle = bundle_of(&lines[0]);
    let dir = tmpdir();
    let out_path = dir.path().join("browser.wacz");
    let out = export(
        &env,
        &[case.as_os_str(), "--out".as_ref(), out_path.as_os_str()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    wacz_validate(&out_path);
    let files = unzip(&out_path);
    let id = bundle.file_name().unwrap().to_string_lossy();
    assert_eq!(
        entry(&files, &format!("archive/{id}.warc.gz")),
        read(&bundle.join("data/capture.warc.gz"))
    );
    // The index points a replay tool at the page and at each resource its script loads.
    let cdxj = String::from_utf8(entry(&files, "indexes/index.cdxj").to_vec()).unwrap();
    let indexed = index_entries(&cdxj, true);
    for path in ["/js-listing", "/app.js", "/api/item.json", "/img/photo.png"] {
        let u = http.url(path);
        assert!(
            indexed.iter().any(|e| e[2] == u && e[4] == "200"),
            "{u} (200) not in the WACZ index:\n{cdxj}"
        );
    }
    let pages = String::from_utf8(entry(&files, "pages/pages.jsonl").to_vec()).unwrap();
    assert_eq!(
        pages.lines().count(),
        2,
        "one page, not one per resource:\n{pages}"
    );
}
