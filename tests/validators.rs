//! Bundles must pass outside validators: warcio, bagit-python, sha256sum, openssl pkeyutl and
//! openssl ts (against a real RFC 3161 TSA on loopback).

mod common;

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::sync::LazyLock;
use std::sync::atomic::Ordering;

use base64::Engine as _;
use common::*;
use serde_json::Value;

/// One case holding every kind of bundle, all captured with `--tsa`.
struct Fixture {
    env: TestEnv,
    case: PathBuf,
    tsa: Tsa,
    /// (label, url, bundle dir, --json line)
    bundles: Vec<(&'static str, String, PathBuf, Value)>,
    _http: TestServer,
    _https: TestServer,
    _browser: TestServer,
    _silent: SilentServer,
}

static FIX: LazyLock<Fixture> = LazyLock::new(|| {
    let http = TestServer::http(standard_routes());
    let https = TestServer::https(standard_routes());
    let browser = TestServer::http(browser_routes());
    let silent = SilentServer::start();
    let tsa = Tsa::start();
    let env = TestEnv::new();
    let case = env.new_case();
    let targets: Vec<(&'static str, String, &'static str)> = vec![
        ("plain", http.url("/plain"), "ok"),
        ("redirect", http.url(REDIRECT_PATHS[0]), "ok"),
        ("gzip", http.url("/gzip"), "ok"),
        ("chunked", http.url("/chunked"), "ok"),
        ("gbk", http.url("/gbk"), "ok"),
        ("sjis", http.url("/sjis"), "ok"),
        ("https", https.url("/plain"), "ok"),
        ("404", http.url("/missing"), "http-error"),
        ("truncated", http.url("/big"), "truncated"),
        ("failed", silent.url("/never"), "failed"),
    ];
    let mut args: Vec<String> = targets.iter().map(|(_, u, _)| u.clone()).collect();
    args.extend(
        [
            "--tsa",
            &tsa.url(),
            "--accept-invalid-certs",
            "--timeout",
            "2",
            "--max-bytes",
            "50000",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let (out, lines) = env.capture_json(&case, &args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "mixed batch must exit 1\n{}",
        describe(&out)
    );
    let mut bundles = Vec::new();
    for (label, url, status) in targets {
        let line = line_for(&lines, &url).clone();
        assert_eq!(line["status"], status, "{label}: {line}");
        bundles.push((label, url, bundle_of(&line), line));
    }
    // A browser capture: screenshot, DOM, MHTML, network.json and the browser's resources in
    // the WARC, under every check below too.
    let url = browser.url("/js-listing");
    let mut args = browser_args();
    args.extend([url.clone(), "--tsa".into(), tsa.url()]);
    let (out, lines) = env.capture_json(&case, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "browser capture\n{}",
        describe(&out)
    );
    let line = lines[0].clone();
    let b = bundle_of(&line);
    for f in [
        "screenshot.png",
        "screenshot-stamped.png",
        "dom.html",
        "page.mhtml",
        "network.json",
    ] {
        assert!(
            b.join("data").join(f).is_file(),
            "browser bundle without data/{f}"
        );
    }
    bundles.push(("browser", url, b, line));
    Fixture {
        env,
        case,
        tsa,
        bundles,
        _http: http,
        _https: https,
        _browser: browser,
        _silent: silent,
    }
});

fn fix() -> &'static Fixture {
    &FIX
}

/// Runs `check` for every bundle, collects all failures, panics listing them.
fn for_every_bundle(what: &str, check: impl Fn(&str, &Path) -> Result<(), String>) {
    let mut failures = Vec::new();
    for (label, _url, bundle, _line) in &fix().bundles {
        if let Err(e) = check(label, bundle) {
            failures.push(format!("[{label}] {}: {e}", bundle.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{what} failed for {} bundle(s):\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

fn bundle(label: &str) -> &'static PathBuf {
    &fix().bundles.iter().find(|b| b.0 == label).unwrap().2
}

fn status_of(out: &std::process::Output, shown: &str) -> Result<(), String> {
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` {}", describe(out)))
    }
}

#[test]
fn warcio_check_passes_with_digests_for_every_bundle() {
    let warcio = venv_tool("warcio");
    for_every_bundle("warcio check -v", |_label, b| {
        let out = run(StdCommand::new(&warcio)
            .args(["check", "-v", "data/capture.warc.gz"])
            .current_dir(b));
        status_of(&out, "warcio check -v data/capture.warc.gz")?;
        // verbose output: "  offset N WARC-Record-ID <id> <type>" then "    digest pass" / "no digest to check"
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let lines: Vec<&str> = text.lines().collect();
        let mut responses = 0;
        for (i, l) in lines.iter().enumerate() {
            let t = l.trim();
            if t.starts_with("offset ") && t.ends_with(" response") {
                responses += 1;
                let next = lines.get(i + 1).map(|s| s.trim()).unwrap_or("");
                if next != "digest pass" {
                    return Err(format!(
                        "response record without a checked digest ({next:?}):\n{text}"
                    ));
                }
            }
        }
        let failed_capture = read_json(&b.join("data/capture.json"))["status"] == "failed";
        if responses == 0 && !failed_capture {
            return Err(format!(
                "no response record in warcio check -v output:\n{text}"
            ));
        }
        Ok(())
    });
}

fn warcio_index(b: &Path) -> Result<Vec<Value>, String> {
    let out = run(StdCommand::new(venv_tool("warcio"))
        .args([
            "index",
            "-f",
            "warc-type,warc-target-uri,http:status",
            "data/capture.warc.gz",
        ])
        .current_dir(b));
    status_of(&out, "warcio index")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| format!("warcio index line {l:?}: {e}")))
        .collect()
}

#[test]
fn warcio_index_reads_every_bundle() {
    for_every_bundle("warcio index", |label, b| {
        let idx = warcio_index(b)?;
        let has = |ty: &str| idx.iter().any(|r| r["warc-type"] == ty);
        if label != "failed" && !(has("request") && has("response")) {
            return Err(format!("expected request and response records: {idx:#?}"));
        }
        if label == "failed" && has("response") {
            return Err(format!(
                "a capture with no response has a response record: {idx:#?}"
            ));
        }
        Ok(())
    });
}

#[test]
fn warcio_index_shows_request_and_response_for_every_redirect_hop() {
    let b = bundle("redirect");
    let idx = warcio_index(b).unwrap_or_else(|e| panic!("{e}"));
    let hops: Vec<String> = fix()
        .bundles
        .iter()
        .find(|x| x.0 == "redirect")
        .map(|x| {
            let base = x.1.trim_end_matches(REDIRECT_PATHS[0]).to_string();
            REDIRECT_PATHS
                .iter()
                .map(|p| format!("{base}{p}"))
                .collect()
        })
        .unwrap();
    let of_type =
        |ty: &str| -> Vec<&Value> { idx.iter().filter(|r| r["warc-type"] == ty).collect() };
    let responses = of_type("response");
    let requests = of_type("request");
    assert_eq!(
        responses.len(),
        4,
        "4 response records expected (3 hops + final): {idx:#?}"
    );
    assert_eq!(requests.len(), 4, "4 request records expected: {idx:#?}");
    let want_status = ["301", "302", "307", "200"];
    for (i, hop) in hops.iter().enumerate() {
        let r = responses
            .iter()
            .find(|r| r["warc-target-uri"] == hop.as_str())
            .unwrap_or_else(|| panic!("no response record for hop {hop}: {idx:#?}"));
        assert_eq!(r["http:status"], want_status[i], "status of {hop}");
        assert!(
            requests
                .iter()
                .any(|r| r["warc-target-uri"] == hop.as_str()),
            "no request record for hop {hop}: {idx:#?}"
        );
    }
}

#[test]
fn bagit_validate_passes_for_every_bundle() {
    let bagit = venv_tool("bagit.py");
    for_every_bundle("bagit.py --validate", |_label, b| {
        let out = run(StdCommand::new(&bagit).arg("--validate").arg(b));
        status_of(&out, "bagit.py --validate")
    });
}

#[test]
fn sha256sum_checks_manifest_and_tagmanifest_of_every_bundle() {
    for_every_bundle("sha256sum -c", |_label, b| {
        for (tool, file) in [
            ("sha256sum", "manifest-sha256.txt"),
            ("sha256sum", "tagmanifest-sha256.txt"),
            ("sha512sum", "manifest-sha512.txt"),
            ("sha512sum", "tagmanifest-sha512.txt"),
        ] {
            let out = run(StdCommand::new(tool)
                .args(["-c", "--strict", file])
                .current_dir(b));
            status_of(&out, &format!("{tool} -c {file}"))?;
        }
        // the payload manifest covers every data/ file
        let manifest = read_string(&b.join("manifest-sha256.txt"));
        for f in list_files(b).into_iter().filter(|f| f.starts_with("data/")) {
            if !manifest.lines().any(|l| l.ends_with(&format!(" {f}"))) {
                return Err(format!("manifest-sha256.txt does not list {f}"));
            }
        }
        Ok(())
    });
}

/// Raw 32-byte Ed25519 key from an SPKI PEM (the key is the DER's last 32 bytes).
fn spki_pem_raw_key(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect();
    let der = b64()
        .decode(body)
        .expect("signature.pub.pem is not base64 PEM");
    assert_eq!(
        der.len(),
        44,
        "Ed25519 SPKI DER is 44 bytes, got {}",
        der.len()
    );
    der[12..].to_vec()
}

#[test]
fn openssl_verifies_the_ed25519_signature_of_every_bundle() {
    let f = fix();
    let officer_key = public_key_b64(&f.env.key);
    let case_toml: toml::Value =
        toml::from_str(&read_string(&f.case.join("case.toml"))).expect("case.toml is TOML");
    let registered: Vec<String> = case_toml["officers"]
        .as_array()
        .expect("case.toml [[officers]]")
        .iter()
        .map(|o| o["public_key"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        registered.contains(&officer_key),
        "case.toml does not register the officer key {officer_key}: {registered:?}"
    );
    for_every_bundle("openssl pkeyutl -verify", |_label, b| {
        let out = run(openssl()
            .args([
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                "signature.pub.pem",
                "-rawin",
            ])
            .args([
                "-in",
                "manifest-sha256.txt",
                "-sigfile",
                "signature.ed25519",
            ])
            .current_dir(b));
        status_of(&out, "openssl pkeyutl -verify")?;
        let raw = spki_pem_raw_key(&read_string(&b.join("signature.pub.pem")));
        if b64().encode(&raw) != officer_key {
            return Err("signature.pub.pem is not the capturing officer's key".into());
        }
        Ok(())
    });
}

#[test]
fn openssl_ts_verifies_the_timestamp_of_every_bundle() {
    let f = fix();
    assert!(
        f.tsa.requests.load(Ordering::SeqCst) >= f.bundles.len(),
        "the TSA got {} requests for {} bundles",
        f.tsa.requests.load(Ordering::SeqCst),
        f.bundles.len()
    );
    for_every_bundle("openssl ts -verify", |_label, b| {
        if !b.join("timestamp.tsr").is_file() {
            return Err("no timestamp.tsr although --tsa was given".into());
        }
        let out = run(openssl()
            .args([
                "ts",
                "-verify",
                "-data",
                "manifest-sha256.txt",
                "-in",
                "timestamp.tsr",
                "-CAfile",
            ])
            .arg(f.tsa.ca_crt())
            .arg("-untrusted")
            .arg(f.tsa.tsa_crt())
            .current_dir(b));
        status_of(&out, "openssl ts -verify")?;
        let text = output_text(&out);
        if !text.contains("Verification: OK") {
            return Err(format!("no 'Verification: OK':\n{text}"));
        }
        Ok(())
    });
}

#[test]
fn warden_verify_accepts_the_whole_case() {
    let f = fix();
    // --no-record: the fixture's case is shared by every test here.
    let out = f.env.verify([
        f.case.as_os_str(),
        "--no-record".as_ref(),
        "--tsa-ca".as_ref(),
        f.tsa.ca_crt().as_os_str(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "warden verify CASE --tsa-ca\n{}",
        describe(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let ok_lines = stdout.lines().filter(|l| l.starts_with("OK ")).count();
    assert_eq!(
        ok_lines,
        f.bundles.len() + 1,
        "one `OK <path>` line per bundle plus the custody log\n{}",
        describe(&out)
    );

    let out = f.env.verify([
        f.case.as_os_str(),
        "--json".as_ref(),
        "--no-record".as_ref(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "warden verify CASE --json\n{}",
        describe(&out)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "verify --json is not one JSON document ({e})\n{}",
            describe(&out)
        )
    });
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["problems"], serde_json::json!([]), "{v}");
    assert_eq!(v["bundles"], f.bundles.len(), "{v}");
    assert_eq!(v["custody_events"], f.bundles.len() + 1, "{v}");

    // each bundle also verifies on its own
    for (label, _, b, _) in &f.bundles {
        let out = f.env.verify([b]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "[{label}] warden verify BUNDLE\n{}",
            describe(&out)
        );
    }
}

#[test]
fn outside_validators_reject_tampered_copies() {
    let f = fix();
    let src = bundle("plain");
    let scratch = tmpdir();

    // payload byte flipped: sha256sum and bagit fail
    let b1 = scratch.path().join("payload");
    copy_dir(src, &b1);
    flip_byte(&b1.join("data/page.html"));
    let out = run(StdCommand::new("sha256sum")
        .args(["-c", "manifest-sha256.txt"])
        .current_dir(&b1));
    assert!(
        !out.status.success(),
        "sha256sum -c missed a flipped page.html"
    );
    let out = run(StdCommand::new(venv_tool("bagit.py"))
        .arg("--validate")
        .arg(&b1));
    assert!(
        !out.status.success(),
        "bagit.py --validate missed a flipped page.html"
    );

    // manifest flipped: Ed25519 signature and time-stamp no longer match
    let b2 = scratch.path().join("manifest");
    copy_dir(src, &b2);
    flip_byte(&b2.join("manifest-sha256.txt"));
    let out = run(openssl()
        .args([
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "signature.pub.pem",
            "-rawin",
        ])
        .args([
            "-in",
            "manifest-sha256.txt",
            "-sigfile",
            "signature.ed25519",
        ])
        .current_dir(&b2));
    assert!(
        !out.status.success(),
        "openssl pkeyutl accepted a changed manifest"
    );
    let out = run(openssl()
        .args([
            "ts",
            "-verify",
            "-data",
            "manifest-sha256.txt",
            "-in",
            "timestamp.tsr",
            "-CAfile",
        ])
        .arg(f.tsa.ca_crt())
        .arg("-untrusted")
        .arg(f.tsa.tsa_crt())
        .current_dir(&b2));
    assert!(
        !out.status.success(),
        "openssl ts -verify accepted a changed manifest"
    );

    // WARC payload changed (re-written uncompressed so only the digest can catch it)
    let mut raw = Vec::new();
    flate2::read::MultiGzDecoder::new(fs::File::open(src.join("data/capture.warc.gz")).unwrap())
        .read_to_end(&mut raw)
        .unwrap();
    let needle = b"Genuine elephant ivory";
    let at = raw
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("page text inside the WARC");
    raw[at] ^= 0x01;
    let warc = scratch.path().join("tampered.warc");
    fs::write(&warc, &raw).unwrap();
    let out = run(StdCommand::new(venv_tool("warcio"))
        .args(["check", "-v"])
        .arg(&warc));
    assert!(
        !out.status.success(),
        "warcio check accepted a changed response body\n{}",
        describe(&out)
    );
    assert!(
        output_text(&out).contains("digest failed"),
        "warcio check should report a digest failure\n{}",
        describe(&out)
    );
}

#[test]
fn warden_verify_rejects_timestamps_from_an_untrusted_tsa() {
    let f = fix();
    let other = Tsa::start(); // a different CA that never signed these tokens
    // --no-record: the fixture's case is shared by every test here (a recorded failed verify
    // would change the event count another test checks).
    let out = f.env.verify([
        f.case.as_os_str(),
        "--no-record".as_ref(),
        "--tsa-ca".as_ref(),
        other.ca_crt().as_os_str(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "time-stamps checked against the wrong CA must fail\n{}",
        describe(&out)
    );
    assert!(
        output_text(&out).contains("timestamp.tsr"),
        "verify output must name timestamp.tsr\n{}",
        describe(&out)
    );
}

#[test]
fn warcio_indexes_the_resources_the_browser_loaded() {
    let f = fix();
    let (_, url, b, _) = f.bundles.iter().find(|x| x.0 == "browser").unwrap();
    let base = url.trim_end_matches("/js-listing");
    let idx = warcio_index(b).unwrap_or_else(|e| panic!("{e}"));
    for path in ["/js-listing", "/app.js", "/api/item.json", "/img/photo.png"] {
        let u = format!("{base}{path}");
        let found = idx.iter().any(|r| {
            r["warc-type"] == "response"
                && r["warc-target-uri"] == u.as_str()
                && r["http:status"] == "200"
        });
        assert!(
            found,
            "no 200 response record for {u} in warcio index: {idx:#?}"
        );
    }
}

#[test]
fn outside_validators_reject_a_changed_screenshot() {
    let src = bundle("browser");
    let scratch = tmpdir();
    for file in ["data/screenshot.png", "data/network.json", "data/dom.html"] {
        let b = scratch.path().join(file.replace('/', "-"));
        copy_dir(src, &b);
        flip_byte(&b.join(file));
        let out = run(StdCommand::new("sha256sum")
            .args(["-c", "manifest-sha256.txt"])
            .current_dir(&b));
        assert!(
            !out.status.success(),
            "sha256sum -c missed a flipped {file}"
        );
        let out = run(StdCommand::new(venv_tool("bagit.py"))
            .arg("--validate")
            .arg(&b));
        assert!(!out.status.success(), "bagit.py missed a flipped {file}");
    }
}
