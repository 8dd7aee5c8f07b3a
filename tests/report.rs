//! `warden report`: the PDF (read back with poppler's pdftotext and rendered with pdftoppm),
//! the HTML (parsed with Python's html.parser: nothing captured is live), exhibits.csv, and the
//! report's custody event.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output};

use common::*;
use serde_json::Value;

/// (path, page text): one listing per script.
const PAGES: &[(&str, &str)] = &[
    ("/en", "Genuine ivory bangle, carved by hand"),
    ("/vi", "Bán vòng ngà voi thật, giao hàng toàn quốc"),
    ("/zh", "出售天然象牙手镯，包邮"),
    ("/th", "ขายกำไลงาช้างแท้ ส่งฟรี"),
    ("/ar", "للبيع سوار عاج أصلي"),
];

fn page(text: &str) -> Vec<u8> {
    format!("<!doctype html><html><head><meta charset=\"utf-8\"><title>listing</title></head><body><p>{text}</p></body></html>").into_bytes()
}

fn tool(name: &str) -> StdCommand {
    StdCommand::new(name)
}

/// `warden report` in `env` for `case`, writing to `out`.
fn report(env: &TestEnv, case: &Path, out: &Path, extra: &[&str]) -> Output {
    env.warden()
        .arg("--case")
        .arg(case)
        .arg("report")
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

struct Swept {
    _http: TestServer,
    env: TestEnv,
    case: PathBuf,
    sweep_out: PathBuf,
}

/// A new case holding one capture of each of `paths`, served by `routes`.
fn captured_case<S: AsRef<str>>(routes: Routes, paths: &[S]) -> (TestServer, TestEnv, PathBuf) {
    let http = TestServer::http(routes);
    let env = TestEnv::new();
    let case = env.new_case();
    let urls: Vec<String> = paths.iter().map(|p| http.url(p.as_ref())).collect();
    let (out, lines) = env.capture_json(&case, &urls);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(lines.len(), urls.len());
    (http, env, case)
}

/// The text of a PDF, as poppler's pdftotext reads it (pages end with a
/// form feed).
fn pdf_text(env: &TestEnv, pdf: &Path) -> String {
    let txt = env.path().join("report.txt");
    run_ok(tool("pdftotext").args(["-enc", "UTF-8"]).arg(pdf).arg(&txt));
    read_string(&txt)
}

/// A case holding one capture per script, swept with [`IVORY_LIST`].
fn swept_case(routes: Routes, paths: &[&str]) -> Swept {
    let (http, env, case) = captured_case(routes, paths);
    let list = env.path().join("list.toml");
    std::fs::write(&list, IVORY_LIST).unwrap();
    let sweep_out = env.path().join("sweep.jsonl");
    let out = env
        .warden()
        .arg("--case")
        .arg(&case)
        .arg("sweep")
        .arg("--list")
        .arg(&list)
        .arg("--input")
        .arg(&case)
        .arg("--out")
        .arg(&sweep_out)
        .args(["--min-score", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "sweep\n{}", describe(&out));
    Swept {
        _http: http,
        env,
        case,
        sweep_out,
    }
}

/// Text without any whitespace: PDF text extraction puts spaces and line breaks where the
/// layout has gaps (table cells, line wraps, the mark positioning of Thai), so words are
/// compared with all whitespace removed on both sides, and without the directional embedding
/// marks pdftotext wraps right-to-left runs in (U+202A–U+202E); every other character must
/// match.
fn squeeze(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !('\u{202a}'..='\u{202e}').contains(c))
        .collect()
}

#[test]
fn pdf_shows_every_script_every_manifest_hash_and_renders_every_page() {
    let mut routes = Routes::new();
    for (path, text) in PAGES {
        routes = routes.route(
            path,
            fixed(
                200,
                &[("Content-Type", "text/html; charset=utf-8")],
                page(text),
            ),
        );
    }
    let paths: Vec<&str> = PAGES.iter().map(|(p, _)| *p).collect();
    let s = swept_case(routes, &paths);
    // Listings and notes carry emoji; the PDF shows them too.
    s.env.custody_ok(
        &s.case,
        &["note", "--exhibit", "1", "seller sent photos 🐘🔥 by phone"],
    );
    let out_dir = s.env.path().join("report");
    let out = report(&s.env, &s.case, &out_dir, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    for f in ["report.pdf", "report.html", "exhibits.csv"] {
        assert!(out_dir.join(f).is_file(), "no {f}\n{}", describe(&out));
    }

    // pdftotext: the text of the whole PDF.
    let text = squeeze(&pdf_text(&s.env, &out_dir.join("report.pdf")));
    // Every script's matched word and its snippet, as the sweep recorded them.
    let results: Vec<Value> = read_string(&s.sweep_out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), PAGES.len(), "{results:#?}");
    for term in [
        "ivory",
        "ngà voi",
        "象牙",
        "งาช้าง",
        "عاج",
        "🐘🔥",
        "seller sent photos",
    ] {
        assert!(
            text.contains(&squeeze(term)),
            "pdftotext does not find {term:?}:\n{text}"
        );
    }
    let mut snippets = 0;
    for r in &results {
        for m in r["matches"].as_array().unwrap() {
            snippets += 1;
            let snippet = squeeze(m["snippet"].as_str().unwrap());
            assert!(
                text.contains(&snippet),
                "pdftotext does not find snippet {snippet:?}:\n{text}"
            );
        }
    }
    assert!(snippets >= PAGES.len(), "{results:#?}");
    // Every exhibit's full manifest SHA-256, and every file hash.
    let bundles = evidence_entries(&s.case);
    assert_eq!(bundles.len(), PAGES.len());
    for b in &bundles {
        let dir = s.case.join("evidence").join(b);
        let manifest = read(&dir.join("manifest-sha256.txt"));
        let h = sha256_hex(&manifest);
        assert!(
            text.contains(&h),
            "pdftotext does not find manifest hash {h} of {b}"
        );
        for line in String::from_utf8(manifest).unwrap().lines() {
            let file_hash = line.split_whitespace().next().unwrap();
            assert!(
                text.contains(file_hash),
                "pdftotext does not find file hash {line}"
            );
        }
    }
    // The cover: case fingerprint, the officer's key, the verification result.
    let first = read_string(&s.case.join("custody.jsonl"))
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert!(
        text.contains(&sha256_hex(first.as_bytes())),
        "no fingerprint on the cover"
    );
    assert!(
        text.contains(&public_key_b64(&s.env.key)),
        "no officer key on the cover"
    );
    assert!(
        text.contains(&squeeze("Every check held")),
        "no verification result:\n{text}"
    );

    // pdftoppm renders every page without an error.
    let pages = run_ok(tool("pdfinfo").arg(out_dir.join("report.pdf")));
    let n: usize = String::from_utf8_lossy(&pages.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:").map(|v| v.trim().parse().unwrap()))
        .unwrap();
    assert!(n >= 5, "{n} pages");
    let prefix = s.env.path().join("page");
    let out = run(tool("pdftoppm")
        .args(["-r", "30", "-png"])
        .arg(out_dir.join("report.pdf"))
        .arg(&prefix));
    assert!(out.status.success(), "pdftoppm failed\n{}", describe(&out));
    assert!(
        !String::from_utf8_lossy(&out.stderr)
            .to_lowercase()
            .contains("error"),
        "{}",
        describe(&out)
    );
    let rendered = std::fs::read_dir(s.env.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("page-")
        })
        .count();
    assert_eq!(rendered, n, "pdftoppm rendered {rendered} of {n} pages");

    // The report is a custody event holding the SHA-256 of each file it wrote.
    let last: Value = serde_json::from_str(
        read_string(&s.case.join("custody.jsonl"))
            .lines()
            .last()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(last["action"], "report");
    let files = last["details"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    for f in files {
        let name = f["name"].as_str().unwrap();
        assert_eq!(
            f["sha256"],
            sha256_file(&out_dir.join(name)).as_str(),
            "{name}"
        );
    }
    assert_eq!(last["details"]["verification"], "verified");
    // And the case still verifies with the report event in its log.
    let v = s.env.verify([&s.case]);
    assert_eq!(v.status.code(), Some(0), "{}", describe(&v));
}

#[test]
fn every_pdf_page_names_the_case_and_its_number_and_timeline_pages_repeat_the_column_heads() {
    // 45 captures: a custody timeline of several pages.
    let mut routes = Routes::new();
    let paths: Vec<String> = (0..45).map(|i| format!("/p{i}")).collect();
    for p in &paths {
        routes = routes.route(
            p,
            fixed(
                200,
                &[("Content-Type", "text/html; charset=utf-8")],
                page("Carved bangle"),
            ),
        );
    }
    let (_http, env, case) = captured_case(routes, &paths);
    let out_dir = env.path().join("report");
    let out = report(&env, &case, &out_dir, &["--format", "pdf"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let text = pdf_text(&env, &out_dir.join("report.pdf"));
    // pdftotext ends every page with a form feed.
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    let n = pages.len();
    let find = |heading: &str| {
        let found: Vec<usize> = (0..n).filter(|&i| pages[i].contains(heading)).collect();
        assert_eq!(found.len(), 1, "{heading:?} on pages {found:?}");
        found[0]
    };
    let (timeline, method) = (find("6. Custody timeline"), find("7. Method and limits"));
    assert!(
        method >= timeline + 3,
        "the timeline should fill at least 3 pages (pages {} to {})",
        timeline + 1,
        method
    );
    for (i, page) in pages.iter().enumerate() {
        // Every page's footer: the case, and "page i of n".
        let footer = format!("page {} of {n}", i + 1);
        assert!(
            page.contains(&footer) && page.contains(&format!("Case {CASE_ID}")),
            "page {} lacks {footer:?} or the case id:\n{page}",
            i + 1
        );
        // The timeline's column heads: in its first page's body, and at the
        // top of each further page of it; on no other page.
        let heads = page.matches("Time (UTC)").count();
        let want = usize::from((timeline..method).contains(&i));
        assert_eq!(heads, want, "column heads on page {}:\n{page}", i + 1);
    }
}

/// Tags and attributes of an HTML file as Python's html.parser sees them, one JSON line per
/// start tag: [tag, [[attr, value], ...]].
fn html_tags(path: &Path) -> Vec<Value> {
    const PY: &str = r#"
import json, sys
from html.parser import HTMLParser
class P(HTMLParser):
    def handle_starttag(self, tag, attrs):
        print(json.dumps([tag, attrs]))
    def handle_startendtag(self, tag, attrs):
        print(json.dumps([tag, attrs]))
P().feed(open(sys.argv[1], encoding="utf-8").read())
"#;
    let out = run_ok(tool("python3").arg("-c").arg(PY).arg(path));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn html_report_keeps_hostile_page_content_inert() {
    const HOSTILE: &str = r#"ivory <script>alert(1)</script> "><img src=x onerror=alert(2)> <a href="javascript:alert(3)">ivory link</a>"#;
    let body = format!(
        "<!doctype html><html><head><title>\"><script>alert(4)</script></title></head><body><p>{HOSTILE}</p><p>Genuine ivory, carved</p></body></html>"
    );
    let routes = Routes::new().route(
        "/x",
        fixed(
            200,
            &[("Content-Type", "text/html; charset=utf-8")],
            body.into_bytes(),
        ),
    );
    let s = swept_case(routes, &["/x"]);
    // Officer-typed text can be hostile too.
    s.env.custody_ok(
        &s.case,
        &[
            "note",
            "--exhibit",
            "1",
            "<script>alert(5)</script><a href=\"javascript:alert(6)\">x</a>",
        ],
    );
    let out_dir = s.env.path().join("report");
    let out = report(&s.env, &s.case, &out_dir, &["--format", "html"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        !out_dir.join("report.pdf").exists(),
        "--format html made a PDF"
    );
    let html_path = out_dir.join("report.html");
    let tags = html_tags(&html_path);
    assert!(tags.len() > 50, "{tags:?}");
    for t in &tags {
        let tag = t[0].as_str().unwrap();
        assert!(
            ![
                "script", "img", "iframe", "object", "embed", "link", "base", "form", "svg"
            ]
            .contains(&tag),
            "live <{tag}> in the report: {t}"
        );
        for a in t[1].as_array().unwrap() {
            let name = a[0].as_str().unwrap();
            let value = a[1].as_str().unwrap_or("").trim().to_lowercase();
            assert!(!name.starts_with("on"), "event handler attribute {t}");
            assert!(
                !["href", "src", "action"].contains(&name) || value.starts_with('#'),
                "a link or source that leaves the page: {t}"
            );
        }
        if tag == "meta" {
            let s = t.to_string().to_lowercase();
            assert!(!s.contains("refresh"), "meta refresh: {t}");
        }
    }
    // The hostile text is there, as text: the note and the snippet are shown escaped.
    let html = read_string(&html_path);
    assert!(
        html.contains("&lt;script&gt;alert(5)&lt;/script&gt;"),
        "note not shown as text"
    );
    assert!(html.contains("Content-Security-Policy"), "no CSP");
    assert!(html.contains("default-src 'none'"), "CSP allows loading");
}

#[test]
fn exhibits_csv_lists_every_exhibit_with_its_manifest_hash_and_withdrawals() {
    let routes = Routes::new()
        .route(
            "/a",
            fixed(200, &[("Content-Type", "text/html")], page("ivory one")),
        )
        .route(
            "/b",
            fixed(200, &[("Content-Type", "text/html")], page("ivory two")),
        );
    let s = swept_case(routes, &["/a", "/b"]);
    s.env
        .custody_ok(&s.case, &["withdraw", "2", "--reason", "wrong page"]);
    let out_dir = s.env.path().join("r");
    let out = report(&s.env, &s.case, &out_dir, &["--format", "html"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let mut rdr = csv::Reader::from_path(out_dir.join("exhibits.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let record = custody_record(&s);
    for (i, row) in rows.iter().enumerate() {
        let x = &record["exhibits"][i];
        assert_eq!(&row[0], x["number"].as_str().unwrap());
        assert_eq!(&row[1], x["url"].as_str().unwrap());
        let bundle = s.case.join("evidence").join(x["bundle"].as_str().unwrap());
        assert_eq!(
            &row[8],
            sha256_file(&bundle.join("manifest-sha256.txt")).as_str()
        );
    }
    assert!(rows[0][5].is_empty());
    assert!(rows[1][5].contains("wrong page"), "{:?}", rows[1]);
}

#[test]
fn an_altered_exhibit_is_reported_failed_with_its_problem_and_the_others_verified() {
    let mut routes = Routes::new();
    for p in ["/a", "/b", "/c"] {
        routes = routes.route(
            p,
            fixed(200, &[("Content-Type", "text/html")], page("ivory")),
        );
    }
    let s = swept_case(routes, &["/a", "/b", "/c"]);
    let record = custody_record(&s);
    let bundle = |i: usize| {
        record["exhibits"][i]["bundle"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // One byte of the second exhibit's page changes.
    let page = s
        .case
        .join("evidence")
        .join(bundle(1))
        .join("data")
        .join("page.html");
    let mut bytes = read(&page);
    bytes[0] ^= 0x20;
    std::fs::write(&page, bytes).unwrap();

    let out_dir = s.env.path().join("r");
    let out = report(&s.env, &s.case, &out_dir, &["--format", "html"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let mut rdr = csv::Reader::from_path(out_dir.join("exhibits.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let check = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "check")
        .unwrap();
    assert!(rows[0][check].starts_with("verified"), "{:?}", rows[0]);
    assert!(rows[1][check].starts_with("FAILED"), "{:?}", rows[1]);
    assert!(rows[2][check].starts_with("verified"), "{:?}", rows[2]);
    // The HTML names the changed file under the failed exhibit.
    let html = read_string(&out_dir.join("report.html"));
    let changed = format!("{}/data/page.html", bundle(1));
    assert!(
        html.contains(&changed),
        "the report does not name {changed}"
    );
}

fn custody_record(s: &Swept) -> Value {
    let out = s.env.custody_ok(&s.case, &["show", "--json"]);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_script_no_font_covers_stops_the_pdf_with_a_clear_message() {
    let routes = Routes::new().route(
        "/th",
        fixed(
            200,
            &[("Content-Type", "text/html; charset=utf-8")],
            page("ขายกำไลงาช้างแท้"),
        ),
    );
    let s = swept_case(routes, &["/th"]);
    // Only a Latin font: Thai cannot be shown.
    let fonts = s.env.path().join("fonts");
    std::fs::create_dir(&fonts).unwrap();
    let dejavu = [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    ];
    for f in dejavu {
        std::fs::copy(f, fonts.join(Path::new(f).file_name().unwrap()))
            .unwrap_or_else(|e| panic!("{f}: {e} (scripts/test installs fonts-dejavu-core)"));
    }
    let before = read(&s.case.join("custody.jsonl"));
    let out_dir = s.env.path().join("r");
    let out = report(
        &s.env,
        &s.case,
        &out_dir,
        &["--font-dir", fonts.to_str().unwrap(), "--no-system-fonts"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Thai") && err.contains("fonts-noto-core"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        !out_dir.exists(),
        "a refused report left {}",
        out_dir.display()
    );
    assert_eq!(
        read(&s.case.join("custody.jsonl")),
        before,
        "a refused report was recorded"
    );
}

#[test]
fn a_report_never_writes_into_a_folder_that_holds_files() {
    let routes = Routes::new().route(
        "/a",
        fixed(200, &[("Content-Type", "text/html")], page("ivory")),
    );
    let s = swept_case(routes, &["/a"]);
    let out_dir = s.env.path().join("r");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::write(out_dir.join("report.html"), "earlier").unwrap();
    let out = report(&s.env, &s.case, &out_dir, &["--format", "html"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert_eq!(read_string(&out_dir.join("report.html")), "earlier");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not empty"),
        "{}",
        describe(&out)
    );
}
