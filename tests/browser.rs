//! `warden capture --browser` with a real headless Chromium against pages on 127.0.0.1: text
//! that only JavaScript shows, lazily loaded images, a very tall page, a page that never
//! settles, dialogs, login pages and sessions. (The outside validators and tamper tests cover
//! browser bundles in tests/validators.rs and tests/tamper.rs.)

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `warden capture --browser --chrome <chromium> --json ARGS` into `case`.
fn capture_browser(
    env: &TestEnv,
    case: &Path,
    args: &[String],
) -> (std::process::Output, Vec<Value>) {
    let mut all = browser_args();
    all.extend(args.iter().cloned());
    env.capture_json(case, all)
}

/// `--no-sandbox` when the tests run as root (warden requires it there and refuses it otherwise).
fn sandbox_arg() -> Vec<&'static str> {
    if unsafe { libc::geteuid() } == 0 {
        vec!["--no-sandbox"]
    } else {
        Vec::new()
    }
}

/// A server of one HTML page at `path` (and a 404 favicon).
fn page_server(path: &str, html: &str) -> TestServer {
    TestServer::http(
        Routes::new()
            .route(path, fixed(200, &[("Content-Type", "text/html")], html))
            .route("/favicon.ico", fixed(404, &[], "")),
    )
}

/// A server whose page `/busy` shows `text` and never stops asking for more (a request every
/// 100 ms), so it never settles.
fn busy_server(text: &str) -> TestServer {
    let page = format!(
        "<!DOCTYPE html><html><body><p>{text}</p><script>setInterval(() => fetch('/poll?' + Math.random()), 100)</script></body></html>"
    );
    TestServer::http(
        Routes::new()
            .route("/busy", fixed(200, &[("Content-Type", "text/html")], page))
            .prefix("/poll", fixed(200, &[("Content-Type", "text/plain")], "x"))
            .route("/favicon.ico", fixed(404, &[], "")),
    )
}

/// Waits (at most a minute) until the browser shows a `busy_server` page: its script polls the
/// server (a fixed sleep was too short for a browser starting on a loaded machine).
fn wait_until_the_page_polls(server: &TestServer) {
    let until = Instant::now() + Duration::from_secs(60);
    while !server
        .requests()
        .iter()
        .any(|r| r.target.starts_with("/poll"))
    {
        assert!(Instant::now() < until, "the browser never showed the page");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn capture_json_of(bundle: &Path) -> Value {
    read_json(&bundle.join("data/capture.json"))
}

fn network_of(bundle: &Path) -> Vec<Value> {
    read_json(&bundle.join("data/network.json"))
        .as_array()
        .expect("network.json is a list")
        .clone()
}

/// The WARC response record for `url`, if any.
fn warc_response_for(bundle: &Path, url: &str) -> Option<WarcRecord> {
    read_warc(&bundle.join("data/capture.warc.gz"))
        .into_iter()
        .find(|r| r.warc_type() == "response" && r.header("WARC-Target-URI") == Some(url))
}

fn sweep_urls(env: &TestEnv, case: &Path, list: &Path) -> Vec<String> {
    let out = env
        .warden()
        .args(["sweep", "--list"])
        .arg(list)
        .arg("--input")
        .arg(case)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "sweep\n{}", describe(&out));
    parse_json_lines(&out)
        .iter()
        .map(|r| r["url"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn a_listing_drawn_by_javascript_is_found_by_sweep_with_browser_and_not_without() {
    let server = TestServer::http(browser_routes());
    let url = server.url("/js-listing");
    let t = tmpdir();
    let list = t.path().join("ivory.toml");
    std::fs::write(&list, IVORY_LIST).unwrap();

    // Without --browser: the page is only "Loading…"; ok, with the hint to use --browser.
    let env = TestEnv::new();
    let plain = env.case_path("plain");
    env.init_case(&plain);
    let (out, lines) = env.capture_json(&plain, [url.clone()]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(lines[0]["status"], "ok");
    let warnings = lines[0]["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("--browser")),
        "no script-shell hint: {warnings:?}"
    );
    let rec = capture_json_of(&bundle_of(&lines[0]));
    assert_eq!(
        rec["warnings"], lines[0]["warnings"],
        "capture.json records the warning"
    );
    assert!(
        sweep_urls(&env, &plain, &list).is_empty(),
        "the HTML the server sent has no ivory"
    );

    // With --browser: the text scripts added is in text.txt, and sweep finds it.
    let rendered = env.case_path("rendered");
    env.init_case(&rendered);
    let (out, lines) = capture_browser(&env, &rendered, std::slice::from_ref(&url));
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(lines[0]["status"], "ok", "{}", lines[0]);
    assert_eq!(
        lines[0]["warnings"].as_array().unwrap().len(),
        0,
        "{}",
        lines[0]
    );
    let b = bundle_of(&lines[0]);
    let text = read_string(&b.join("data/text.txt"));
    assert!(
        text.contains("Real elephant ivory, 120 g"),
        "text.txt: {text}"
    );
    assert!(!text.contains("Loading"), "text.txt: {text}");
    // The server's bytes are kept as sent; the rendered DOM beside them.
    assert!(read_string(&b.join("data/page.html")).contains("Loading…"));
    assert!(read_string(&b.join("data/dom.html")).contains("<h1>Antique bangle, hand carved</h1>"));
    assert_eq!(sweep_urls(&env, &rendered, &list), vec![url.clone()]);

    // The page itself was fetched once: the browser was answered from the HTTP capture.
    let page_requests = server
        .requests()
        .iter()
        .filter(|r| r.path() == "/js-listing")
        .count();
    assert_eq!(
        page_requests, 2,
        "one fetch per capture (plain, then --browser)"
    );
    let rec = capture_json_of(&b);
    let br = &rec["browser"];
    assert!(br["product"].as_str().unwrap().contains("Chrome/"), "{br}");
    assert_eq!(br["viewport"], serde_json::json!([1366, 900]));
    assert_eq!(br["settled"], true);
    assert!(
        br["launch_flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "--no-first-run")
    );
    let net = network_of(&b);
    let of = |path: &str| {
        net.iter()
            .find(|e| e["url"] == server.url(path))
            .unwrap_or_else(|| panic!("{path} not in network.json: {net:?}"))
    };
    assert_eq!(of("/js-listing")["source"], "capture");
    assert_eq!(of("/js-listing")["capture_hop"], 1);
    for (path, kind) in [
        ("/app.js", "Script"),
        ("/api/item.json", "XHR"),
        ("/img/photo.png", "Image"),
    ] {
        let e = of(path);
        assert_eq!(e["source"], "fetched", "{e}");
        assert_eq!(e["resource_type"], kind, "{e}");
        assert_eq!(e["http_status"], 200, "{e}");
        assert_eq!(e["remote_ip"], "127.0.0.1", "{e}");
        let id = e["warc_response_record_id"].as_str().unwrap();
        let r = warc_response_for(&b, &server.url(path)).expect("a WARC response record");
        assert_eq!(r.header("WARC-Record-ID"), Some(id));
    }
    // The screenshot shows the photo the script added (red at its place).
    let (w, h, px) = decode_png(&read(&b.join("data/screenshot.png")));
    assert_eq!(
        (w, br["screenshot"]["height"].as_u64().unwrap() as u32),
        (1366, h)
    );
    let red = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let i = ((y * w + x) * 4) as usize;
            px[i] > 240 && px[i + 1] < 20 && px[i + 2] < 20
        })
        .count();
    assert!(
        red >= 120 * 90 * 9 / 10,
        "the red photo is not in the screenshot ({red} red pixels)"
    );
    // The stamped copy: a band on top, the screenshot untouched below it.
    let (sw, sh, spx) = decode_png(&read(&b.join("data/screenshot-stamped.png")));
    assert_eq!(sw, w);
    let band = sh - h;
    assert!(band > 20 && band < 200, "band of {band} px");
    assert_eq!(
        &spx[(band * w * 4) as usize..],
        &px[..],
        "the image below the band differs"
    );
    let verify = env.verify(["--no-record".as_ref(), rendered.as_os_str()]);
    assert_eq!(verify.status.code(), Some(0), "{}", describe(&verify));
}

#[test]
fn lazily_loaded_images_are_in_the_screenshot_the_network_log_and_the_warc() {
    let html = [("Content-Type", "text/html; charset=utf-8")];
    let page = r#"<!DOCTYPE html><html><body style="margin:0">
<p>Pangolin scales, 5 kg lots, photos below.</p>
<div style="height:5000px"></div>
<img class="lazy" data-src="/img/lazy-1.png" width="200" height="150" style="display:block">
<div style="height:3000px"></div>
<img src="/img/native.png" loading="lazy" width="200" height="150" style="display:block">
<script>
const io = new IntersectionObserver(es => es.forEach(e => {
  if (e.isIntersecting) { e.target.src = e.target.dataset.src; io.unobserve(e.target); }
}));
document.querySelectorAll('img.lazy').forEach(i => io.observe(i));
</script></body></html>"#;
    let server = TestServer::http(
        Routes::new()
            .route("/lazy", fixed(200, &html, page))
            .route(
                "/img/lazy-1.png",
                fixed(
                    200,
                    &[("Content-Type", "image/png")],
                    solid_png(200, 150, [0, 0, 255]),
                ),
            )
            .route(
                "/img/native.png",
                fixed(
                    200,
                    &[("Content-Type", "image/png")],
                    solid_png(200, 150, [0, 255, 0]),
                ),
            )
            .route("/favicon.ico", fixed(404, &[], "")),
    );
    let env = TestEnv::new();
    let case = env.new_case();
    let url = server.url("/lazy");
    let (out, lines) = capture_browser(&env, &case, &[url]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let b = bundle_of(&lines[0]);
    let rec = capture_json_of(&b);
    assert!(
        rec["browser"]["scrolls"].as_u64().unwrap() >= 5,
        "{}",
        rec["browser"]
    );
    let net = network_of(&b);
    for (path, rgb) in [
        ("/img/lazy-1.png", [0u8, 0, 255]),
        ("/img/native.png", [0, 255, 0]),
    ] {
        let u = server.url(path);
        let e = net
            .iter()
            .find(|e| e["url"] == u)
            .unwrap_or_else(|| panic!("{path} not loaded: {net:?}"));
        assert_eq!(e["http_status"], 200);
        let r = warc_response_for(&b, &u).unwrap_or_else(|| panic!("{path}: no WARC record"));
        let (_, body) = r.http_parts();
        assert_eq!(body, &solid_png(200, 150, rgb)[..], "{path}: WARC body");
        let (w, h, px) = decode_png(&read(&b.join("data/screenshot.png")));
        let hits = (0..h)
            .filter(|&y| {
                let i = ((y * w + 100) * 4) as usize;
                px[i..i + 3] == rgb
            })
            .count();
        assert!(
            hits >= 140,
            "{path}: {hits} rows of its colour in the screenshot"
        );
    }
    let (_, h, _) = decode_png(&read(&b.join("data/screenshot.png")));
    assert_eq!(Some(h as u64), rec["browser"]["document_height"].as_u64());
    assert!(h >= 8300, "screenshot height {h}");
}

#[test]
fn a_20000_px_page_is_captured_to_its_full_height() {
    let page = r#"<!DOCTYPE html><html><body style="margin:0"><div style="height:20000px;background:linear-gradient(#f00,#00f)">Ivory carvings, many pieces, scroll down</div></body></html>"#;
    let server = page_server("/tall", page);
    let env = TestEnv::new();
    let case = env.new_case();
    let (out, lines) = capture_browser(&env, &case, &[server.url("/tall")]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let b = bundle_of(&lines[0]);
    let rec = capture_json_of(&b);
    assert_eq!(rec["browser"]["document_height"], 20000);
    assert_eq!(rec["browser"]["height_cut"], false);
    let (w, h, px) = decode_png(&read(&b.join("data/screenshot.png")));
    assert_eq!((w, h), (1366, 20000));
    // top red, bottom blue: the whole page, not the first screen repeated
    assert!(px[0] > 200 && px[2] < 60, "top pixel {:?}", &px[..4]);
    let last = px.len() - 4;
    assert!(
        px[last] < 60 && px[last + 2] > 200,
        "bottom pixel {:?}",
        &px[last..]
    );
}

/// The names in a folder.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Chromium keeps its single-instance socket in a folder of its own in the temporary folder and
/// deletes it only when it exits by itself; warden ends it with a kill, which left one folder
/// behind per capture on the officer's computer.
#[test]
fn a_browser_capture_leaves_nothing_in_the_temporary_folder() {
    let server = page_server("/p", "<!DOCTYPE html><p>Ivory bangle, 200 euro</p>");
    let env = TestEnv::new();
    let case = env.new_case();
    let tmp = env.root.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let mut cmd = env.warden();
    cmd.env("TMPDIR", &tmp)
        .arg("--case")
        .arg(&case)
        .arg("capture");
    let out = cmd
        .args(browser_args())
        .arg(server.url("/p"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        entries(&tmp).is_empty(),
        "left in TMPDIR: {:?}",
        entries(&tmp)
    );
    assert!(
        !case
            .join("evidence")
            .read_dir()
            .unwrap()
            .any(|e| { e.unwrap().file_name().to_string_lossy().starts_with('.') }),
        "a work folder was left in evidence/"
    );
}

#[test]
fn a_page_taller_than_the_limit_is_cut_and_recorded_as_partial() {
    let page = r#"<!DOCTYPE html><html><body style="margin:0"><div style="height:100000px">Endless feed of reptile listings</div></body></html>"#;
    let server = page_server("/endless", page);
    let env = TestEnv::new();
    let case = env.new_case();
    let (out, lines) = capture_browser(
        &env,
        &case,
        &[
            server.url("/endless"),
            "--max-height".into(),
            "30000".into(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(lines[0]["status"], "partial");
    assert!(
        lines[0]["error"]
            .as_str()
            .unwrap()
            .contains("100000 px tall"),
        "{}",
        lines[0]
    );
    let b = bundle_of(&lines[0]);
    let rec = capture_json_of(&b);
    assert_eq!(rec["status"], "partial");
    assert_eq!(rec["browser"]["height_cut"], true);
    let (_, h, _) = decode_png(&read(&b.join("data/screenshot.png")));
    assert_eq!(h, 30000);
    let verify = env.verify(["--no-record".as_ref(), case.as_os_str()]);
    assert_eq!(verify.status.code(), Some(0), "{}", describe(&verify));
}

#[test]
fn a_page_that_never_finishes_loading_is_bounded_and_recorded() {
    let silent = SilentServer::start();
    let page = format!(
        "<!DOCTYPE html><html><body><p>Live African grey parrots, hand reared, ready now.</p><img src=\"{}\"></body></html>",
        silent.url("/never.png")
    );
    let server = page_server("/hangs", &page);
    let env = TestEnv::new();
    let case = env.new_case();
    let started = Instant::now();
    let (out, lines) = capture_browser(
        &env,
        &case,
        &[
            server.url("/hangs"),
            "--timeout".into(),
            "3".into(),
            "--max-time".into(),
            "20".into(),
        ],
    );
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(took < Duration::from_secs(90), "took {took:?}");
    assert_eq!(lines[0]["status"], "partial", "{}", lines[0]);
    let err = lines[0]["error"].as_str().unwrap();
    assert!(err.contains("had not settled after 3 s"), "{err}");
    let b = bundle_of(&lines[0]);
    let net = network_of(&b);
    let e = net
        .iter()
        .find(|e| e["url"] == silent.url("/never.png"))
        .unwrap_or_else(|| panic!("the hanging image is not listed: {net:?}"));
    assert!(e["error"].as_str().is_some(), "{e}");
    // what the page showed is kept
    assert!(read_string(&b.join("data/text.txt")).contains("Live African grey parrots"));
    assert!(b.join("data/screenshot.png").is_file());
    assert!(silent.accepted.load(std::sync::atomic::Ordering::SeqCst) >= 1);
}

#[test]
fn an_alert_dialog_is_answered_and_recorded() {
    let page = r#"<!DOCTYPE html><html><body><script>alert("Welcome to the reptile shop"); if (confirm("Are you 18?")) { document.write("<p>adult</p>"); }</script><p>Radiated tortoise hatchlings, 12 available, shipping by courier.</p></body></html>"#;
    let server = page_server("/dialog", page);
    let env = TestEnv::new();
    let case = env.new_case();
    let (out, lines) = capture_browser(&env, &case, &[server.url("/dialog")]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(lines[0]["status"], "ok");
    let b = bundle_of(&lines[0]);
    let rec = capture_json_of(&b);
    let dialogs = rec["browser"]["dialogs"].as_array().unwrap();
    assert_eq!(dialogs.len(), 2, "{dialogs:?}");
    assert_eq!(dialogs[0]["kind"], "alert");
    assert_eq!(dialogs[0]["message"], "Welcome to the reptile shop");
    assert_eq!(dialogs[1]["kind"], "confirm");
    assert!(
        dialogs[1]["answer"]
            .as_str()
            .unwrap()
            .starts_with("dismissed")
    );
    let text = read_string(&b.join("data/text.txt"));
    assert!(
        text.contains("Radiated tortoise") && !text.contains("adult"),
        "{text}"
    );
    let warnings = lines[0]["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("Welcome to the reptile shop"))
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("Welcome to the reptile shop"), "{printed}");
}

#[test]
fn a_login_page_is_captured_with_a_warning() {
    let page = r#"<!DOCTYPE html><html><body><h1>Members area</h1><p>Log in to see this listing and the seller's contact details.</p><form><input name="user"><input type="password" name="pw"><button>Log in</button></form></body></html>"#;
    let server = page_server("/login", page);
    let env = TestEnv::new();
    let case = env.new_case();
    let (out, lines) = capture_browser(&env, &case, &[server.url("/login")]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(lines[0]["status"], "ok");
    let rec = capture_json_of(&bundle_of(&lines[0]));
    let warnings = rec["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("password field")),
        "{warnings:?}"
    );
    // Printed for the officer too (without --json).
    let out = env
        .warden()
        .arg("--case")
        .arg(&case)
        .arg("capture")
        .args(browser_args())
        .arg(server.url("/login"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let shown = String::from_utf8_lossy(&out.stderr);
    assert!(
        shown.contains(&format!(
            "warning: {}: the page shows a password field",
            server.url("/login")
        )),
        "{shown}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}

#[test]
fn a_session_cookie_reaches_the_site_but_its_value_never_the_bundle() {
    let secret = "s3cr3t-session-value-4711";
    let html = [("Content-Type", "text/html; charset=utf-8")];
    let listing = handler(move |req, w| {
        let cookie = req.header("cookie").unwrap_or("");
        let body = if cookie.contains(&format!("sid={secret}")) {
            "<!DOCTYPE html><html><body><p>Members only: rhino horn powder, 50 g.</p><img src=\"/members/photo.png\"><script>fetch('/members/count', {credentials: 'omit'})</script></body></html>"
        } else {
            "<!DOCTYPE html><html><body><p>Please log in.</p><input type=password></body></html>"
        };
        write_response(w, 200, &[("Content-Type", "text/html")], body.as_bytes())
    });
    let server = TestServer::http(
        Routes::new()
            .route("/members/listing", listing)
            .route(
                "/members/photo.png",
                fixed(
                    200,
                    &[("Content-Type", "image/png")],
                    solid_png(10, 10, [9, 9, 9]),
                ),
            )
            .route(
                "/members/count",
                fixed(200, &[("Content-Type", "text/plain")], "7"),
            )
            .route("/favicon.ico", fixed(404, &html, "")),
    );
    let env = TestEnv::new();
    let case = env.new_case();
    let cookies = env.path().join("cookies.txt");
    std::fs::write(
        &cookies,
        format!("# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\t{secret}\n"),
    )
    .unwrap();
    // The HTTP capture sends the session's cookie; the browser is answered from it and sends
    // the cookie with its own requests (the photo).
    let url = server.url("/members/listing");
    let (out, lines) = capture_browser(
        &env,
        &case,
        &[url, "--cookies".into(), cookies.display().to_string()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let page_req = server
        .requests()
        .into_iter()
        .find(|r| r.path() == "/members/listing")
        .expect("the listing was fetched");
    assert_eq!(
        page_req.header("cookie"),
        Some(format!("sid={secret}").as_str())
    );
    let photo = server
        .requests()
        .into_iter()
        .find(|r| r.path() == "/members/photo.png");
    let photo = photo.expect("the browser asked for the members' photo");
    assert_eq!(
        photo.header("cookie"),
        Some(format!("sid={secret}").as_str())
    );
    // The browser's own cookie rules hold: a request made without credentials carries none.
    let count = server
        .requests()
        .into_iter()
        .find(|r| r.path() == "/members/count")
        .expect("the page's uncredentialed fetch was sent");
    assert_eq!(
        count.header("cookie"),
        None,
        "cookies sent with credentials: 'omit'"
    );
    let b = bundle_of(&lines[0]);
    let rec = capture_json_of(&b);
    assert_eq!(rec["session"]["cookie_names"], serde_json::json!(["sid"]));
    // Not one file of the bundle (the WARC ungzipped) holds the value.
    let mut files: Vec<PathBuf> = list_files(&b).iter().map(|f| b.join(f)).collect();
    files.sort();
    for f in files {
        let bytes = if f.extension().is_some_and(|e| e == "gz") {
            read_ungzipped(&f)
        } else {
            read(&f)
        };
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{} holds the cookie value",
            f.display()
        );
    }
    let warc = read_warc(&b.join("data/capture.warc.gz"));
    let req = warc
        .iter()
        .find(|r| {
            r.warc_type() == "request"
                && r.header("WARC-Target-URI")
                    .is_some_and(|u| u.ends_with("/members/photo.png"))
        })
        .expect("the photo's request record");
    let (head, _) = req.http_parts();
    assert!(head.contains("Cookie: REDACTED (values of sid)"), "{head}");
    let verify = env.verify(["--no-record".as_ref(), case.as_os_str()]);
    assert_eq!(verify.status.code(), Some(0), "{}", describe(&verify));
}

#[test]
fn no_browser_found_is_a_clear_error_and_nothing_is_captured() {
    let server = TestServer::http(browser_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let before = tree_digest(&case);
    let empty = env.path().join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    let out = env
        .warden()
        .env("PATH", &empty)
        .env_remove("WARDEN_CHROME")
        .arg("--case")
        .arg(&case)
        .arg("capture")
        .args(sandbox_arg())
        .arg("--browser")
        .arg(server.url("/js-listing"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("apt-get install chromium") && err.contains("--chrome"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    let out = env
        .warden()
        .arg("--case")
        .arg(&case)
        .arg("capture")
        .args(sandbox_arg())
        .args(["--browser", "--chrome", "/nonexistent/chromium"])
        .arg(server.url("/js-listing"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/chromium"));
    if unsafe { libc::geteuid() } == 0 {
        // As root, the browser's sandbox does not work: warden refuses unless told.
        let out = env
            .warden()
            .arg("--case")
            .arg(&case)
            .args(["capture", "--browser", "--chrome"])
            .arg(chrome())
            .arg(server.url("/js-listing"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("add --no-sandbox"), "{err}");
    }
    assert_eq!(tree_digest(&case), before, "the case changed");
    assert!(server.requests().is_empty(), "something was fetched");
}

/// The processes descending from `root` (children, grandchildren…), from /proc.
fn descendants(root: u32) -> Vec<u32> {
    let mut parent_of = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        if let Ok(stat) = std::fs::read_to_string(entry.path().join("stat"))
            && let Some(rest) = stat.rsplit(')').next()
            && let Some(ppid) = rest
                .split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u32>().ok())
        {
            parent_of.push((pid, ppid));
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let p = found[i];
        found.extend(parent_of.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    found.remove(0);
    found
}

/// Whether a process is alive (not gone, not a zombie).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().next().map(str::to_string))
        })
        .is_some_and(|state| state != "Z" && state != "X")
}

/// Processes whose command line names `needle` (the browsers of one case: their profile lives
/// in it).
fn processes_naming(needle: &Path) -> Vec<u32> {
    let needle = needle.display().to_string();
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline"))
            && String::from_utf8_lossy(&cmdline).contains(&needle)
        {
            out.push(pid);
        }
    }
    out
}

#[test]
fn a_signal_stops_the_browser_and_the_next_capture_sets_the_unfinished_one_aside() {
    use std::os::unix::process::CommandExt as _;
    let server = busy_server("Parrots, hand reared.");
    let env = TestEnv::new();
    let case = env.new_case();
    // The browser's socket folder goes too (see the test below); a temporary folder of its own
    // shows that this Chromium made one there, so its absence afterwards means something.
    let tmp = env.root.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    for (signal, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130)] {
        let mut child = env
            .warden_std()
            .env("TMPDIR", &tmp)
            .arg("--case")
            .arg(&case)
            .args(["capture", "--timeout", "60"])
            .args(browser_args())
            .arg(server.url("/busy"))
            .process_group(0)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let until = Instant::now() + Duration::from_secs(30);
        while processes_naming(&case).is_empty() {
            assert!(Instant::now() < until, "no browser started");
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(1500));
        // Every process warden started (the browser and its renderers, GPU and zygote
        // processes), whatever their command line.
        let family = descendants(child.id());
        assert!(family.len() >= 3, "the browser's processes: {family:?}");
        assert_eq!(
            entries(&tmp)
                .iter()
                .filter(|n| n.starts_with("org.chromium.Chromium."))
                .count(),
            1,
            "the running browser's socket folder: {:?}",
            entries(&tmp)
        );
        // Only warden gets the signal (not its process group, as a terminal's Ctrl-C would).
        assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code));
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let left: Vec<u32> = family.iter().copied().filter(|p| alive(*p)).collect();
            if left.is_empty() {
                break;
            }
            assert!(
                Instant::now() < until,
                "processes outlived warden: {left:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(processes_naming(&case).is_empty());
        assert!(
            entries(&tmp).is_empty(),
            "left in TMPDIR: {:?}",
            entries(&tmp)
        );
    }
    // The next capture sets both unfinished captures aside, without their browser profiles.
    let (out, _) = env.capture_json(&case, [server.url("/favicon.ico")]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let aside: Vec<PathBuf> = std::fs::read_dir(case.join("interrupted"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(aside.len(), 2, "{aside:?}");
    for a in &aside {
        assert!(
            !a.join(".work/browser-profile").exists(),
            "{} kept the browser profile",
            a.display()
        );
    }
    let verify = env.verify(["--no-record".as_ref(), case.as_os_str()]);
    assert_eq!(verify.status.code(), Some(0), "{}", describe(&verify));
}

/// Killed outright (no signal handler runs), warden leaves the browser's profile and socket
/// folder; the next command's recovery sets the capture aside and removes both.
#[test]
fn after_a_kill_the_next_command_removes_the_browsers_socket_folder() {
    use std::os::unix::process::CommandExt as _;
    let server = busy_server("Pangolin scales, 1 kg.");
    let env = TestEnv::new();
    let case = env.new_case();
    let tmp = env.root.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let mut child = env
        .warden_std()
        .env("TMPDIR", &tmp)
        .arg("--case")
        .arg(&case)
        .args(["capture", "--timeout", "60"])
        .args(browser_args())
        .arg(server.url("/busy"))
        .process_group(0)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_until_the_page_polls(&server);
    // warden and every process of its group, as when a machine's session is torn down.
    assert_eq!(
        unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) },
        0
    );
    assert_eq!(child.wait().unwrap().code(), None);
    let until = Instant::now() + Duration::from_secs(10);
    while !processes_naming(&case).is_empty() {
        assert!(Instant::now() < until, "the browser outlived the kill");
        std::thread::sleep(Duration::from_millis(100));
    }
    let socket_folders = |names: Vec<String>| -> Vec<String> {
        names
            .into_iter()
            .filter(|n| n.starts_with("org.chromium.Chromium."))
            .collect()
    };
    assert_eq!(
        socket_folders(entries(&tmp)).len(),
        1,
        "the killed browser's socket folder: {:?}",
        entries(&tmp)
    );
    // The next command (a capture without a browser) finds the interrupted one.
    let mut next = env.warden();
    next.env("TMPDIR", &tmp)
        .arg("--case")
        .arg(&case)
        .args(["capture", "--json"])
        .arg(server.url("/favicon.ico"));
    let out = next.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        entries(&tmp).is_empty(),
        "left in TMPDIR: {:?}",
        entries(&tmp)
    );
    let aside = entries(&case.join("interrupted"));
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert!(
        !case
            .join("interrupted")
            .join(&aside[0])
            .join(".work/browser-profile")
            .exists()
    );
    let verify = env.verify(["--no-record".as_ref(), case.as_os_str()]);
    assert_eq!(verify.status.code(), Some(0), "{}", describe(&verify));
}

#[test]
fn a_browser_that_dies_ends_the_capture_as_partial_with_the_reason() {
    let server = busy_server("Rhino horn cups, carved, two available.");
    let env = TestEnv::new();
    let case = env.new_case();
    let child = env
        .warden_std()
        .arg("--case")
        .arg(&case)
        .args(["capture", "--json", "--timeout", "60"])
        .args(browser_args())
        .arg(server.url("/busy"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let warden_pid = child.id();
    // The browser's main process: the one warden started.
    let until = Instant::now() + Duration::from_secs(30);
    let main = loop {
        let found = processes_naming(&case).into_iter().find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| s.rsplit(')').next().map(str::to_string))
                .and_then(|rest| rest.split_whitespace().nth(1).map(str::to_string))
                == Some(warden_pid.to_string())
        });
        if let Some(pid) = found {
            break pid;
        }
        assert!(Instant::now() < until, "no browser started");
        std::thread::sleep(Duration::from_millis(100));
    };
    // Killed while it shows the page.
    wait_until_the_page_polls(&server);
    let started = Instant::now();
    assert_eq!(unsafe { libc::kill(main as i32, libc::SIGKILL) }, 0);
    let out = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?} after the browser died",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let lines = parse_json_lines(&out);
    assert_eq!(lines[0]["status"], "partial", "{}", lines[0]);
    let err = lines[0]["error"].as_str().unwrap();
    assert!(
        err.contains("the browser stopped while showing the page"),
        "{err}"
    );
    // The HTTP capture stands, and the bundle verifies.
    let b = bundle_of(&lines[0]);
    assert!(read_string(&b.join("data/page.html")).contains("Rhino horn cups"));
    let verify = env.verify(["--no-record".as_ref(), case.as_os_str()]);
    assert_eq!(verify.status.code(), Some(0), "{}", describe(&verify));
}

#[test]
fn a_page_wider_than_the_limit_is_cut_and_recorded_as_partial() {
    let page = r#"<!DOCTYPE html><html><body style="margin:0"><div style="width:30000px;height:300px;background:#0a0">Wide banner of ivory carvings</div></body></html>"#;
    let server = page_server("/wide", page);
    let env = TestEnv::new();
    let case = env.new_case();
    let (out, lines) = capture_browser(&env, &case, &[server.url("/wide")]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(lines[0]["status"], "partial");
    let err = lines[0]["error"].as_str().unwrap();
    assert!(
        err.contains("30000 px wide, more than the 8192 px limit"),
        "{err}"
    );
    let (w, _, _) = decode_png(&read(&bundle_of(&lines[0]).join("data/screenshot.png")));
    assert_eq!(w, 8192);
}

#[test]
fn requests_that_warden_does_not_answer_reach_no_one_and_link_local_is_refused() {
    // A worker's fetch and a popup are not the tab's own requests: warden does not answer
    // them, and they must not reach the site directly either. An image on a link-local
    // address (where cloud metadata services live) is refused by the network policy.
    let page = r#"<!DOCTYPE html><html><body><p>Live pangolins, two adults.</p>
<img src="http://169.254.169.254/latest/meta-data/">
<script>
const w = new Worker(URL.createObjectURL(new Blob(["fetch('/from-worker').catch(() => 0)"], {type: 'text/javascript'})));
window.open('/popup');
</script></body></html>"#;
    let server = TestServer::http(
        Routes::new()
            .route("/leaky", fixed(200, &[("Content-Type", "text/html")], page))
            .route("/from-worker", fixed(200, &[], "worker"))
            .route(
                "/popup",
                fixed(200, &[("Content-Type", "text/html")], "popup"),
            )
            .route("/favicon.ico", fixed(404, &[], "")),
    );
    let env = TestEnv::new();
    let case = env.new_case();
    let (out, lines) = capture_browser(&env, &case, &[server.url("/leaky")]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let seen: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.path().to_string())
        .collect();
    assert!(
        !seen.iter().any(|p| p == "/from-worker" || p == "/popup"),
        "the site was reached past warden: {seen:?}"
    );
    let b = bundle_of(&lines[0]);
    let net = network_of(&b);
    let e = net
        .iter()
        .find(|e| {
            e["url"]
                .as_str()
                .is_some_and(|u| u.starts_with("http://169.254.169.254/"))
        })
        .unwrap_or_else(|| panic!("the link-local image is not listed: {net:?}"));
    assert_eq!(e["source"], "refused", "{e}");
    assert!(e["warc_request_record_id"].is_null(), "{e}");
    let flags = capture_json_of(&b)["browser"]["launch_flags"].clone();
    for f in [
        "--proxy-server=http://127.0.0.1:9",
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--no-first-run",
    ] {
        assert!(
            flags.as_array().unwrap().iter().any(|x| x == f),
            "{f} not in {flags}"
        );
    }
}

#[test]
fn a_redirect_chain_is_answered_to_the_browser_from_the_capture_hop_by_hop() {
    let routes = browser_routes()
        .route("/old/88", redirect(301, "/moved/88"))
        .route("/moved/88", redirect(302, "/js-listing"));
    let server = TestServer::http(routes);
    let env = TestEnv::new();
    let case = env.new_case();
    let (out, lines) = capture_browser(&env, &case, &[server.url("/old/88")]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(
        lines[0]["warnings"].as_array().unwrap().len(),
        0,
        "{}",
        lines[0]
    );
    // Each hop went over the wire once: the browser was answered from the capture.
    for path in ["/old/88", "/moved/88", "/js-listing"] {
        let n = server
            .requests()
            .iter()
            .filter(|r| r.path() == path)
            .count();
        assert_eq!(n, 1, "{path} fetched {n} times");
    }
    let b = bundle_of(&lines[0]);
    let net = network_of(&b);
    for (i, path) in ["/old/88", "/moved/88", "/js-listing"].iter().enumerate() {
        let e = net
            .iter()
            .find(|e| e["url"] == server.url(path))
            .unwrap_or_else(|| panic!("{path} not in network.json: {net:?}"));
        assert_eq!(e["source"], "capture", "{e}");
        assert_eq!(e["capture_hop"], i + 1, "{e}");
    }
    let rec = capture_json_of(&b);
    assert_eq!(rec["browser"]["shown_url"], server.url("/js-listing"));
    assert!(read_string(&b.join("data/text.txt")).contains("Real elephant ivory"));
}

/// A marketplace whose results page draws its listings with JavaScript: a live sweep with a
/// `javascript = true` profile captures the results page with the browser and reads the listing
/// off the rendered DOM; with `javascript = false` the same page has no listing.
#[test]
fn a_live_sweep_of_a_javascript_marketplace_reads_listings_from_the_rendered_page() {
    let results = r#"<!DOCTYPE html><html><head><title>Search</title></head><body><p id=s>Loading…</p>
<ul id=r></ul>
<script>
document.getElementById('s').textContent = '1 result';
var li = document.createElement('li'); li.className = 'l';
li.innerHTML = '<a class="t" href="/item/1">Real elephant ivory bangle, 120 g, for sale, WhatsApp me, $300</a>';
document.getElementById('r').appendChild(li);
</script></body></html>"#;
    let server = TestServer::http(
        Routes::new()
            .prefix(
                "/search",
                fixed(200, &[("Content-Type", "text/html")], results),
            )
            .route(
                "/item/1",
                fixed(200, &[("Content-Type", "text/html")], "<p>bangle</p>"),
            )
            .route("/favicon.ico", fixed(404, &[], "")),
    );
    let t = tmpdir();
    let terms = t.path().join("terms.txt");
    std::fs::write(&terms, "ivory\n").unwrap();
    let profile = |js: bool| {
        let p = t.path().join(format!("js-{js}.toml"));
        std::fs::write(
            &p,
            format!(
                "[target]\nname = \"js-market\"\nbase_url = \"{}\"\nsearch_url = \"search?q={{query}}\"\nmax_pages = 1\ndelay_ms = 0\njavascript = {js}\n\n[selectors]\nlisting = \"li.l\"\nlink = \"a.t\"\ntitle = \"a.t\"\n",
                server.url("/")
            ),
        )
        .unwrap();
        p
    };
    let env = TestEnv::new();
    let sweep = |js: bool| {
        let case = env.case_path(&format!("case-{js}"));
        env.init_case(&case);
        let out = env
            .warden()
            .arg("--case")
            .arg(&case)
            .args(["sweep", "--target"])
            .arg(profile(js))
            .arg("--terms")
            .arg(&terms)
            .args(["--capture-hits", "--json", "--chrome"])
            .arg(chrome())
            .args(sandbox_arg())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
        let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
        (case, summary)
    };

    let (case, s) = sweep(true);
    assert_eq!(s["totals"]["listings"], 1, "{s}");
    assert_eq!(s["totals"]["flagged"], 1, "{s}");
    assert_eq!(s["totals"]["hit_captures"], 1, "{s}");
    let hits = read_string(&Path::new(s["outputs"].as_str().unwrap()).join("hits.jsonl"));
    let hit: Value = serde_json::from_str(hits.lines().next().unwrap()).unwrap();
    assert_eq!(hit["url"], server.url("/item/1"));
    let results_bundle = case
        .join("evidence")
        .join(hit["sightings"][0]["bundle"].as_str().unwrap());
    assert!(
        read_string(&results_bundle.join("data/dom.html")).contains("Real elephant ivory bangle"),
        "the listing was read from the rendered DOM the bundle keeps"
    );
    assert!(results_bundle.join("data/screenshot.png").is_file());
    let out = env.warden().arg("verify").arg(&case).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));

    let (_, s) = sweep(false);
    assert_eq!(
        s["totals"]["listings"], 0,
        "the HTML the server sent has no listing: {s}"
    );
}
