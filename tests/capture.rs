//! `warden capture` against local HTTP/HTTPS servers: what lands in the bundle and capture.json.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::*;
use serde_json::Value;

static HTTP: LazyLock<TestServer> = LazyLock::new(|| TestServer::http(standard_routes()));
static HTTPS: LazyLock<TestServer> = LazyLock::new(|| TestServer::https(standard_routes()));

struct Captured {
    env: TestEnv,
    case: PathBuf,
    out: Output,
    line: Value,
    bundle: PathBuf,
}

/// Captures one URL (with `--json`) into a fresh case.
fn capture_one(url: &str, extra: &[&str]) -> Captured {
    let env = TestEnv::new();
    let case = env.new_case();
    let mut args = vec![url.to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    let (out, lines) = env.capture_json(&case, &args);
    assert_eq!(
        lines.len(),
        1,
        "expected exactly one --json line\n{}",
        describe(&out)
    );
    let line = lines[0].clone();
    let bundle = bundle_of(&line);
    Captured {
        env,
        case,
        out,
        line,
        bundle,
    }
}

fn capture_json_of(bundle: &Path) -> Value {
    read_json(&bundle.join("data/capture.json"))
}

fn assert_rfc3339_millis_utc(v: &Value, what: &str) {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {v}"));
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{what} {s:?} is not RFC 3339: {e}"));
    let b = s.as_bytes();
    assert!(
        s.len() == 24
            && s.ends_with('Z')
            && b[19] == b'.'
            && b[20..23].iter().all(u8::is_ascii_digit),
        "{what} {s:?} is not RFC 3339 UTC with millis and 'Z' (like 2026-01-02T03:04:05.678Z)"
    );
}

fn assert_exit(out: &std::process::Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "wrong exit code\n{}",
        describe(out)
    );
}

fn assert_case_verifies(env: &TestEnv, case: &Path) {
    let out = env.verify([case]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "warden verify CASE must pass\n{}",
        describe(&out)
    );
}

fn text_txt(bundle: &Path) -> String {
    read_string(&bundle.join("data/text.txt"))
}

#[test]
fn plain_page_bundle_has_contract_layout_and_metadata() {
    let url = HTTP.url("/plain");
    // hashed before and after, so a rebuild of the binary during the run cannot confuse us
    let exe_sha_before = sha256_file(Path::new(WARDEN_BIN));
    let Captured {
        env,
        case,
        out,
        line,
        bundle,
    } = capture_one(&url, &["--note", "listing reported by NGO tip #17"]);
    assert_exit(&out, 0);

    // --json line fields
    for k in [
        "id",
        "url",
        "status",
        "http_status",
        "bundle",
        "manifest_sha256",
        "error",
    ] {
        assert!(line.get(k).is_some(), "--json line lacks `{k}`: {line}");
    }
    assert_eq!(line["status"], "ok", "{line}");
    assert_eq!(line["http_status"], 200, "{line}");
    assert_eq!(line["url"], url.as_str());
    assert!(line["error"].is_null(), "{line}");
    let id = line["id"].as_str().unwrap();
    let uuid = uuid::Uuid::parse_str(id).unwrap_or_else(|e| panic!("id {id:?} is not a UUID: {e}"));
    assert_eq!(uuid.get_version_num(), 7, "id must be a UUIDv7: {id}");
    assert_eq!(
        bundle.canonicalize().unwrap(),
        case.join("evidence").join(id).canonicalize().unwrap(),
        "bundle must be CASE/evidence/<id>"
    );
    assert_eq!(
        line["manifest_sha256"].as_str().unwrap(),
        sha256_file(&bundle.join("manifest-sha256.txt")),
        "manifest_sha256 must be the SHA-256 of manifest-sha256.txt"
    );

    // layout
    for f in BUNDLE_TAG_FILES {
        assert!(
            bundle.join(f).is_file(),
            "bundle lacks {f}; has {:?}",
            list_files(&bundle)
        );
    }
    for f in [
        "data/capture.warc.gz",
        "data/page.html",
        "data/text.txt",
        "data/capture.json",
    ] {
        assert!(
            bundle.join(f).is_file(),
            "bundle lacks {f}; has {:?}",
            list_files(&bundle)
        );
    }
    assert!(
        !bundle.join("timestamp.tsr").exists(),
        "timestamp.tsr without --tsa"
    );
    assert_eq!(
        fs::metadata(bundle.join("signature.ed25519"))
            .unwrap()
            .len(),
        64
    );
    assert_eq!(
        read(&bundle.join("data/page.html")),
        PLAIN_HTML.as_bytes(),
        "page.html must be the served bytes"
    );

    // text.txt: visible text, no markup, no script
    let text = text_txt(&bundle);
    assert!(
        text.contains("Carved ivory tusk for sale"),
        "text.txt: {text:?}"
    );
    assert!(
        text.contains("Genuine elephant ivory"),
        "text.txt: {text:?}"
    );
    assert!(
        !text.contains("<h1>") && !text.contains("<p>"),
        "text.txt has markup: {text:?}"
    );
    assert!(
        !text.contains("do-not-index-me"),
        "text.txt includes <script> content: {text:?}"
    );

    // capture.json
    let cj = capture_json_of(&bundle);
    assert_eq!(cj["capture_id"], id);
    assert_eq!(cj["case_id"], CASE_ID);
    assert_eq!(cj["officer"], OFFICER);
    assert_eq!(cj["note"], "listing reported by NGO tip #17");
    assert_eq!(cj["status"], "ok");
    assert!(cj["error"].is_null(), "error: {}", cj["error"]);
    assert_eq!(cj["requested_url"], url.as_str());
    assert_eq!(cj["final_url"], url.as_str());
    assert_eq!(cj["http_status"], 200);
    assert_eq!(cj["redirects"], serde_json::json!([]));
    assert_eq!(cj["server"]["ip"], LOOPBACK);
    assert_eq!(cj["server"]["port"], HTTP.port());
    assert!(
        cj["tls"].is_null(),
        "tls must be null for http: {}",
        cj["tls"]
    );
    assert_eq!(cj["truncated"], false);
    assert!(
        cj["transformations"].is_array(),
        "transformations: {}",
        cj["transformations"]
    );
    assert_rfc3339_millis_utc(&cj["started_at"], "started_at");
    assert_rfc3339_millis_utc(&cj["ended_at"], "ended_at");
    assert!(
        cj["started_at"].as_str() <= cj["ended_at"].as_str(),
        "started_at after ended_at"
    );
    assert_eq!(cj["page"]["file"], "data/page.html");
    assert!(
        cj["page"]["content_type"]
            .as_str()
            .unwrap_or("")
            .starts_with("text/html"),
        "page.content_type: {}",
        cj["page"]
    );
    assert!(
        cj["page"]["charset"]
            .as_str()
            .unwrap_or("")
            .eq_ignore_ascii_case("utf-8"),
        "page.charset: {}",
        cj["page"]
    );
    assert_eq!(cj["tool"]["name"], "warden");
    assert_eq!(cj["tool"]["version"], env!("CARGO_PKG_VERSION"));
    let exe_sha = cj["tool"]["executable_sha256"].as_str().unwrap_or("");
    assert!(
        exe_sha == exe_sha_before || exe_sha == sha256_file(Path::new(WARDEN_BIN)),
        "tool.executable_sha256 {exe_sha} must be the SHA-256 of the running binary {exe_sha_before}"
    );

    // files: each listed entry matches, and every data file but capture.json is listed
    let files = cj["files"]
        .as_array()
        .unwrap_or_else(|| panic!("files: {}", cj["files"]));
    let mut listed = BTreeSet::new();
    for f in files {
        let p = f["path"].as_str().unwrap();
        let on_disk = bundle.join(p);
        assert!(on_disk.is_file(), "files lists {p} which does not exist");
        assert_eq!(
            f["sha256"].as_str().unwrap(),
            sha256_file(&on_disk),
            "files[{p}].sha256"
        );
        assert_eq!(
            f["size"].as_u64().unwrap(),
            fs::metadata(&on_disk).unwrap().len(),
            "files[{p}].size"
        );
        listed.insert(p.to_string());
    }
    for f in list_files(&bundle) {
        if f.starts_with("data/") && f != "data/capture.json" {
            assert!(
                listed.contains(&f),
                "capture.json `files` does not list {f}: {listed:?}"
            );
        }
    }

    // the server saw one GET with our default headers
    let seen: Vec<_> = HTTP
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/plain")
        .collect();
    assert!(!seen.is_empty(), "server never saw GET /plain");
    assert!(seen.iter().all(|r| r.method == "GET"));

    assert_case_verifies(&env, &case);
}

#[test]
fn user_agent_option_is_sent() {
    let url = HTTP.url("/item/user-agent-probe");
    let Captured {
        env: _env,
        case: _case,
        out,
        line,
        bundle: _bundle,
    } = capture_one(&url, &["--user-agent", "WardenTest/9.9 (probe)"]);
    assert_exit(&out, 0);
    assert_eq!(line["status"], "ok");
    let reqs: Vec<_> = HTTP
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/item/user-agent-probe")
        .collect();
    assert_eq!(reqs.len(), 1, "expected one request");
    assert_eq!(reqs[0].header("user-agent"), Some("WardenTest/9.9 (probe)"));
}

#[test]
fn redirect_chain_of_three_hops_is_recorded() {
    let url = HTTP.url(REDIRECT_PATHS[0]);
    let Captured {
        env,
        case,
        out,
        line,
        bundle,
    } = capture_one(&url, &[]);
    assert_exit(&out, 0);
    assert_eq!(line["status"], "ok");
    assert_eq!(line["http_status"], 200);

    let cj = capture_json_of(&bundle);
    let hops: Vec<String> = REDIRECT_PATHS.iter().map(|p| HTTP.url(p)).collect();
    assert_eq!(cj["requested_url"], hops[0].as_str());
    assert_eq!(
        cj["final_url"],
        hops[3].as_str(),
        "final_url must be the last target"
    );
    assert_eq!(cj["http_status"], 200);
    let redirects = cj["redirects"]
        .as_array()
        .unwrap_or_else(|| panic!("redirects: {}", cj["redirects"]));
    assert_eq!(redirects.len(), 3, "3 redirects expected: {redirects:#?}");
    for (i, r) in redirects.iter().enumerate() {
        assert_eq!(r["url"], hops[i].as_str(), "redirects[{i}].url");
        assert_eq!(r["status"], REDIRECT_STATUSES[i], "redirects[{i}].status");
        let loc = r["location"]
            .as_str()
            .unwrap_or_else(|| panic!("redirects[{i}].location: {r}"));
        assert!(
            loc == hops[i + 1] || loc == REDIRECT_PATHS[i + 1],
            "redirects[{i}].location {loc:?} should be the Location header pointing to {}",
            hops[i + 1]
        );
    }
    assert_eq!(
        read(&bundle.join("data/page.html")),
        REDIRECT_FINAL_HTML.as_bytes()
    );

    // the WARC holds a request and a response for every hop
    let records = read_warc(&bundle.join("data/capture.warc.gz"));
    for hop in &hops {
        for ty in ["request", "response"] {
            let n = records
                .iter()
                .filter(|r| {
                    r.warc_type() == ty && r.header("WARC-Target-URI") == Some(hop.as_str())
                })
                .count();
            assert_eq!(n, 1, "expected one WARC {ty} record for {hop}");
        }
    }
    assert_case_verifies(&env, &case);
}

#[test]
fn gzip_page_is_decoded_and_warc_keeps_the_gzip_bytes() {
    let url = HTTP.url("/gzip");
    let Captured {
        env,
        case,
        out,
        line,
        bundle,
    } = capture_one(&url, &[]);
    assert_exit(&out, 0);
    assert_eq!(line["status"], "ok");
    let page = read(&bundle.join("data/page.html"));
    assert!(
        page == *GZIP_HTML,
        "data/page.html must equal the uncompressed bytes exactly ({} vs {} bytes)",
        page.len(),
        GZIP_HTML.len()
    );
    assert!(
        text_txt(&bundle).contains("pangolin scales"),
        "text.txt lacks the decoded text"
    );

    let records = read_warc(&bundle.join("data/capture.warc.gz"));
    let resp = records
        .iter()
        .find(|r| r.warc_type() == "response" && r.header("WARC-Target-URI") == Some(url.as_str()))
        .unwrap_or_else(|| panic!("no WARC response record for {url}"));
    let (head, body) = resp.http_parts();
    assert!(
        head.to_ascii_lowercase().contains("content-encoding: gzip"),
        "WARC response head lacks Content-Encoding: gzip:\n{head}"
    );
    assert!(
        body == GZIP_BYTES.as_slice(),
        "WARC response body must be the gzip bytes as sent ({} vs {} bytes)",
        body.len(),
        GZIP_BYTES.len()
    );
    assert_case_verifies(&env, &case);
}

#[test]
fn gbk_page_declared_in_header_is_decoded() {
    let Captured {
        env,
        case,
        out,
        line,
        bundle,
    } = capture_one(&HTTP.url("/gbk"), &[]);
    assert_exit(&out, 0);
    assert_eq!(line["status"], "ok");
    assert_eq!(
        read(&bundle.join("data/page.html")),
        *GBK_BYTES,
        "page.html must keep the original GBK bytes"
    );
    let text = text_txt(&bundle);
    for w in GBK_WORDS {
        assert!(text.contains(w), "data/text.txt lacks {w:?}: {text:?}");
    }
    let cj = capture_json_of(&bundle);
    assert!(
        cj["page"]["charset"]
            .as_str()
            .unwrap_or("")
            .eq_ignore_ascii_case("gbk"),
        "page.charset should be GBK: {}",
        cj["page"]
    );
    assert!(
        !cj["page"]["charset_source"].is_null(),
        "page.charset_source missing: {}",
        cj["page"]
    );
    assert_case_verifies(&env, &case);
}

#[test]
fn shift_jis_page_declared_in_meta_is_decoded() {
    let Captured {
        env,
        case,
        out,
        line,
        bundle,
    } = capture_one(&HTTP.url("/sjis"), &[]);
    assert_exit(&out, 0);
    assert_eq!(line["status"], "ok");
    assert_eq!(
        read(&bundle.join("data/page.html")),
        *SJIS_BYTES,
        "page.html must keep the original Shift_JIS bytes"
    );
    let text = text_txt(&bundle);
    for w in SJIS_WORDS {
        assert!(text.contains(w), "data/text.txt lacks {w:?}: {text:?}");
    }
    let cj = capture_json_of(&bundle);
    assert!(
        cj["page"]["charset"]
            .as_str()
            .unwrap_or("")
            .eq_ignore_ascii_case("shift_jis"),
        "page.charset should be Shift_JIS: {}",
        cj["page"]
    );
    assert_ne!(
        cj["page"]["charset_source"],
        Value::Null,
        "page.charset_source missing: {}",
        cj["page"]
    );
    assert_case_verifies(&env, &case);
}

#[test]
fn http_404_is_an_http_error_bundle_that_verifies() {
    let Captured {
        env,
        case,
        out,
        line,
        bundle,
    } = capture_one(&HTTP.url("/missing"), &[]);
    assert_exit(&out, 1);
    assert_eq!(line["status"], "http-error", "{line}");
    assert_eq!(line["http_status"], 404, "{line}");
    let cj = capture_json_of(&bundle);
    assert_eq!(cj["status"], "http-error");
    assert_eq!(cj["http_status"], 404);
    assert_eq!(
        read(&bundle.join("data/page.html")),
        NOT_FOUND_HTML.as_bytes()
    );
    assert!(text_txt(&bundle).contains("Listing removed by moderator"));
    let out = env.verify([&bundle]);
    assert_exit(&out, 0);
    assert_case_verifies(&env, &case);
}

#[test]
fn body_over_max_bytes_is_truncated() {
    let max = 50_000usize;
    let Captured {
        env,
        case,
        out,
        line,
        bundle,
    } = capture_one(&HTTP.url("/big"), &["--max-bytes", &max.to_string()]);
    assert_exit(&out, 1);
    assert_eq!(line["status"], "truncated", "{line}");
    let cj = capture_json_of(&bundle);
    assert_eq!(cj["status"], "truncated");
    assert_eq!(cj["truncated"], true);
    let page = read(&bundle.join("data/page.html"));
    assert!(!page.is_empty(), "truncated page.html is empty");
    assert!(
        page.len() <= max,
        "page.html has {} bytes, over --max-bytes {max}",
        page.len()
    );
    assert!(
        BIG_BODY.starts_with(&page),
        "truncated page.html is not a prefix of the served body"
    );
    let out = env.verify([&bundle]);
    assert_exit(&out, 0);
    assert_case_verifies(&env, &case);
}

#[test]
fn silent_server_times_out_as_failed_with_a_bundle() {
    let silent = SilentServer::start();
    let url = silent.url("/never");
    let started = Instant::now();
    let Captured {
        env,
        case,
        out,
        line,
        bundle,
    } = capture_one(&url, &["--timeout", "2"]);
    let took = started.elapsed();
    assert_exit(&out, 1);
    assert!(took < Duration::from_secs(20), "--timeout 2 took {took:?}");
    assert!(
        silent.accepted.load(Ordering::SeqCst) >= 1,
        "warden never connected"
    );
    assert_eq!(line["status"], "failed", "{line}");
    assert!(line["http_status"].is_null(), "{line}");
    assert!(
        line["error"].as_str().is_some_and(|e| !e.is_empty()),
        "--json error must be set: {line}"
    );
    let cj = capture_json_of(&bundle);
    assert_eq!(cj["status"], "failed");
    assert!(
        cj["error"].as_str().is_some_and(|e| !e.is_empty()),
        "capture.json error must be set: {}",
        cj["error"]
    );
    assert!(
        cj["page"].is_null(),
        "page must be null without a response: {}",
        cj["page"]
    );
    assert!(
        !bundle.join("data/text.txt").exists(),
        "text.txt without a response"
    );
    let pages: Vec<_> = list_files(&bundle)
        .into_iter()
        .filter(|f| f.starts_with("data/page."))
        .collect();
    assert!(pages.is_empty(), "page file without a response: {pages:?}");
    let out = env.verify([&bundle]);
    assert_exit(&out, 0);
    assert_case_verifies(&env, &case);
}

#[test]
fn refused_connection_is_failed_with_a_bundle() {
    let url = format!("http://{LOOPBACK}:{}/nothing-here", closed_port());
    let Captured {
        env,
        case,
        out,
        line,
        bundle,
    } = capture_one(&url, &["--timeout", "5"]);
    assert_exit(&out, 1);
    assert_eq!(line["status"], "failed", "{line}");
    let cj = capture_json_of(&bundle);
    assert!(
        cj["error"].as_str().is_some_and(|e| !e.is_empty()),
        "capture.json error: {}",
        cj["error"]
    );
    assert_case_verifies(&env, &case);
}

#[test]
fn https_capture_records_the_server_certificate() {
    let url = HTTPS.url("/plain");
    let Captured {
        env,
        case,
        out,
        line,
        bundle,
    } = capture_one(&url, &["--accept-invalid-certs"]);
    assert_exit(&out, 0);
    assert_eq!(line["status"], "ok", "{line}");
    assert_eq!(read(&bundle.join("data/page.html")), PLAIN_HTML.as_bytes());
    let cj = capture_json_of(&bundle);
    let tls = &cj["tls"];
    assert!(tls.is_object(), "tls must be recorded for https: {tls}");
    assert_eq!(
        tls["verified"], false,
        "a self-signed cert cannot be verified: {tls}"
    );
    assert!(
        tls["verification_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "verification_error: {tls}"
    );
    assert!(
        tls["version"].as_str().is_some_and(|v| !v.is_empty()),
        "tls.version: {tls}"
    );
    assert!(
        tls["cipher"].as_str().is_some_and(|v| !v.is_empty()),
        "tls.cipher: {tls}"
    );
    let chain = tls["certificate_chain"]
        .as_array()
        .unwrap_or_else(|| panic!("certificate_chain: {tls}"));
    assert!(!chain.is_empty(), "empty certificate_chain");
    let der = HTTPS.cert_der.as_ref().unwrap();
    assert_eq!(
        chain[0]["sha256"].as_str().unwrap_or(""),
        sha256_hex(der),
        "chain[0].sha256 must be the SHA-256 of the server's DER cert"
    );
    let pem = chain[0]["pem"].as_str().unwrap_or("");
    assert!(
        pem.contains("-----BEGIN CERTIFICATE-----"),
        "chain[0].pem: {pem:?}"
    );
    let b64_body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| l.trim().chars())
        .collect();
    let pem_der = b64()
        .decode(b64_body)
        .expect("chain[0].pem is not base64 PEM");
    assert_eq!(
        &pem_der, der,
        "chain[0].pem does not hold the server's certificate"
    );
    assert_case_verifies(&env, &case);
}

#[test]
fn https_self_signed_without_accept_invalid_certs_fails() {
    let Captured {
        env,
        case,
        out,
        line,
        bundle,
    } = capture_one(&HTTPS.url("/plain"), &["--timeout", "5"]);
    assert_exit(&out, 1);
    assert_eq!(line["status"], "failed", "{line}");
    assert!(line["http_status"].is_null(), "{line}");
    let cj = capture_json_of(&bundle);
    // It failed because of the certificate, not for any other reason.
    let err = cj["error"].as_str().unwrap_or("");
    assert!(
        err.contains("certificate not trusted") && err.contains("--accept-invalid-certs"),
        "the error must name the untrusted certificate and the way out: {err:?}"
    );
    let tls = &cj["hops"][0]["tls"];
    assert_eq!(tls["verified"], false, "{tls}");
    assert_eq!(tls["accepted_invalid"], false, "{tls}");
    assert_eq!(
        tls["certificate_chain"][0]["sha256"].as_str().unwrap_or(""),
        sha256_hex(HTTPS.cert_der.as_ref().unwrap()),
        "the rejected certificate must be recorded"
    );
    assert_eq!(
        cj["hops"][0]["request_bytes"], 0,
        "no request after a failed handshake"
    );
    assert!(cj["page"].is_null());
    assert_case_verifies(&env, &case);
}

/// An HTTPS server on 127.0.0.1 whose certificate is issued by a fresh test CA; returns the
/// server and the CA certificate's PEM.
fn https_with_test_ca() -> (TestServer, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(DnType::CommonName, "Warden Test Agency Root CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec![LOOPBACK.to_string()]).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "marketplace test server");
    let leaf_cert = leaf.signed_by(&leaf_key, &ca_cert, &ca_key).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf_cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
    let server = TestServer::start(
        standard_routes(),
        Some(std::sync::Arc::new(config)),
        Some((leaf_cert.der().to_vec(), leaf_cert.pem())),
    );
    (server, ca_cert.pem())
}

#[test]
fn https_with_a_certificate_from_a_ca_given_with_ca_cert_verifies() {
    let (server, ca_pem) = https_with_test_ca();
    let env = TestEnv::new();
    let case = env.new_case();
    let ca_file = env.path().join("agency-root.pem");
    fs::write(&ca_file, &ca_pem).unwrap();
    let url = server.url("/plain");

    // Without --ca-cert the test CA is unknown: refused.
    let (out, lines) = env.capture_json(&case, [&url, "--timeout", "5"]);
    assert_exit(&out, 1);
    assert!(
        lines[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("certificate not trusted")),
        "{}",
        lines[0]
    );

    // With it the chain verifies, without --accept-invalid-certs.
    let (out, lines) = env.capture_json(
        &case,
        [
            &url,
            "--timeout",
            "5",
            "--ca-cert",
            ca_file.to_str().unwrap(),
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(lines[0]["status"], "ok", "{}", lines[0]);
    let bundle = bundle_of(&lines[0]);
    assert_eq!(read(&bundle.join("data/page.html")), PLAIN_HTML.as_bytes());
    let cj = capture_json_of(&bundle);
    let tls = &cj["tls"];
    assert_eq!(tls["verified"], true, "{tls}");
    assert!(tls["verification_error"].is_null(), "{tls}");
    assert_eq!(tls["accepted_invalid"], false, "{tls}");
    assert_eq!(
        tls["certificate_chain"][0]["sha256"].as_str().unwrap_or(""),
        sha256_hex(server.cert_der.as_ref().unwrap())
    );
    let roots = cj["settings"]["extra_trust_roots"].as_array().unwrap();
    assert_eq!(roots.len(), 1, "the added root must be recorded: {roots:?}");
    assert!(
        roots[0]["subject"]
            .as_str()
            .unwrap()
            .contains("Warden Test Agency Root CA"),
        "{roots:?}"
    );
    assert_case_verifies(&env, &case);
}

#[test]
fn ca_cert_that_is_not_a_certificate_is_refused_before_capturing() {
    let env = TestEnv::new();
    let case = env.new_case();
    let bad = env.path().join("not-a-cert.pem");
    fs::write(&bad, "hello, I am not a certificate\n").unwrap();
    let before = tree_digest(&case);
    let out = env
        .warden()
        .arg("--case")
        .arg(&case)
        .args(["capture", &HTTP.url("/plain"), "--ca-cert"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(bad.to_str().unwrap()),
        "the error must name the file\n{}",
        describe(&out)
    );
    assert_eq!(tree_digest(&case), before);
}

#[test]
fn redirect_loop_stops_after_ten_redirects_and_is_recorded() {
    let server = TestServer::http(Routes::new().route("/loop", redirect(302, "/loop")));
    let Captured {
        env,
        case,
        out,
        line,
        bundle,
    } = capture_one(&server.url("/loop"), &[]);
    assert_exit(&out, 1);
    assert_eq!(line["status"], "failed", "{line}");
    let err = line["error"].as_str().unwrap_or("");
    assert!(err.contains("stopped after 10 redirects"), "{err}");
    let cj = capture_json_of(&bundle);
    assert_eq!(
        cj["hops"].as_array().unwrap().len(),
        11,
        "the first request and 10 redirects"
    );
    assert_eq!(server.requests().len(), 11);
    assert_case_verifies(&env, &case);
}

/// A page that sends its head, then one body byte every `every` until the client goes away.
fn trickle(every: Duration) -> Handler {
    handler(move |_req, w| {
        w.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n",
        )?;
        w.flush()?;
        loop {
            std::thread::sleep(every);
            w.write_all(b"x")?;
            w.flush()?;
        }
    })
}

#[test]
fn max_time_ends_a_page_that_never_finishes() {
    let server = TestServer::http(Routes::new().route("/slow", trickle(Duration::from_millis(50))));
    let Captured {
        env,
        case,
        out,
        line,
        bundle,
    } = capture_one(
        &server.url("/slow"),
        &["--max-time", "3", "--min-rate", "0"],
    );
    assert_exit(&out, 1);
    assert_eq!(line["status"], "failed", "{line}");
    let err = line["error"].as_str().unwrap_or("");
    assert!(err.contains("time limit for one request"), "{err}");
    let cj = capture_json_of(&bundle);
    assert_eq!(cj["hops"][0]["truncated"], "time");
    assert_eq!(cj["settings"]["max_time_secs"], 3.0);
    let got = cj["hops"][0]["body_bytes"].as_u64().unwrap();
    assert!(got > 0 && got < 100_000, "body bytes {got}");
    assert_case_verifies(&env, &case);
}

#[test]
fn min_rate_ends_a_page_that_trickles_one_byte_a_second() {
    let server = TestServer::http(Routes::new().route("/trickle", trickle(Duration::from_secs(1))));
    let Captured {
        env,
        case,
        out,
        line,
        bundle,
    } = capture_one(
        &server.url("/trickle"),
        &["--min-rate", "100", "--min-rate-time", "3"],
    );
    assert_exit(&out, 1);
    assert_eq!(line["status"], "failed", "{line}");
    let err = line["error"].as_str().unwrap_or("");
    assert!(
        err.contains("minimum-rate rule") && err.contains("--min-rate 100"),
        "the bundle must say the page was ended for its rate: {err}"
    );
    let cj = capture_json_of(&bundle);
    assert_eq!(cj["error"].as_str().unwrap_or(""), err);
    assert_eq!(cj["hops"][0]["truncated"], "time");
    assert_eq!(cj["settings"]["min_rate"], 100);
    assert_eq!(cj["settings"]["min_rate_time_secs"], 3.0);
    assert_eq!(
        cj["settings"]["max_time_secs"], 600.0,
        "not ended by --max-time"
    );
    assert_case_verifies(&env, &case);
}

/// A server that counts requests in flight, each held `hold`; returns it and the highest
/// number seen at once.
fn counting_server(hold: Duration) -> (TestServer, std::sync::Arc<AtomicUsize>) {
    let in_flight = std::sync::Arc::new(AtomicUsize::new(0));
    let max_in_flight = std::sync::Arc::new(AtomicUsize::new(0));
    let (f, m) = (in_flight.clone(), max_in_flight.clone());
    let slowish = handler(move |req, w| {
        let now = f.fetch_add(1, Ordering::SeqCst) + 1;
        m.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(hold);
        f.fetch_sub(1, Ordering::SeqCst);
        let body = format!("<html><body><p>lot {}</p></body></html>", req.path());
        write_response(
            w,
            200,
            &[("Content-Type", "text/html; charset=utf-8")],
            body.as_bytes(),
        )
    });
    (
        TestServer::http(Routes::new().prefix("/lot/", slowish)),
        max_in_flight,
    )
}

#[test]
fn from_file_with_comments_concurrency_3_and_json_lines_keeps_2_per_host() {
    let (server, max_in_flight) = counting_server(Duration::from_millis(500));
    let urls: Vec<String> = (1..=6).map(|i| server.url(&format!("/lot/{i}"))).collect();

    let env = TestEnv::new();
    let case = env.new_case();
    let list = env.path().join("urls.txt");
    let mut content = String::from("# seized-listings batch 7\n\n");
    for (i, u) in urls.iter().enumerate() {
        content.push_str(u);
        content.push('\n');
        if i == 2 {
            content.push_str("\n# second half\n   \n");
        }
    }
    content.push_str("\n# end\n");
    fs::write(&list, content).unwrap();

    let (out, lines) = env.capture_json(
        &case,
        ["--from-file", list.to_str().unwrap(), "--concurrency", "3"],
    );
    assert_exit(&out, 0);
    assert_eq!(
        lines.len(),
        urls.len(),
        "one --json line per URL\n{}",
        describe(&out)
    );
    let mut seen = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for l in &lines {
        let obj = l
            .as_object()
            .unwrap_or_else(|| panic!("not an object: {l}"));
        for k in [
            "id",
            "url",
            "status",
            "http_status",
            "bundle",
            "manifest_sha256",
            "error",
        ] {
            assert!(obj.contains_key(k), "--json line lacks `{k}`: {l}");
        }
        assert_eq!(l["status"], "ok", "{l}");
        assert_eq!(l["http_status"], 200, "{l}");
        assert!(l["error"].is_null(), "{l}");
        let bundle = bundle_of(l);
        let id = l["id"].as_str().unwrap();
        assert_eq!(
            bundle.file_name().unwrap().to_str().unwrap(),
            id,
            "bundle dir name must be the id"
        );
        assert_eq!(
            l["manifest_sha256"].as_str().unwrap(),
            sha256_file(&bundle.join("manifest-sha256.txt"))
        );
        seen.insert(l["url"].as_str().unwrap().to_string());
        ids.insert(id.to_string());
    }
    assert_eq!(
        seen,
        urls.iter().cloned().collect::<BTreeSet<_>>(),
        "captured URLs differ from the file's URLs"
    );
    assert_eq!(ids.len(), urls.len(), "ids are not unique");
    let served = server.requests().len();
    assert_eq!(
        served,
        urls.len(),
        "comment/blank lines must not become requests"
    );
    // One host: the per-host limit (default 2), not --concurrency 3, is the bound.
    let max = max_in_flight.load(Ordering::SeqCst);
    assert_eq!(
        max, 2,
        "--concurrency 3 on one host must run exactly 2 at once (the default --per-host)"
    );
    assert_eq!(evidence_entries(&case).len(), urls.len());
    assert_case_verifies(&env, &case);
}

/// Captures 6 pages of one host with `args`; returns the most requests in flight at once.
fn most_at_once_on_one_host(args: &[&str]) -> usize {
    let (server, max_in_flight) = counting_server(Duration::from_millis(500));
    let env = TestEnv::new();
    let case = env.new_case();
    let mut all: Vec<String> = (1..=6).map(|i| server.url(&format!("/lot/{i}"))).collect();
    all.extend(args.iter().map(|s| s.to_string()));
    let (out, lines) = env.capture_json(&case, &all);
    assert_exit(&out, 0);
    assert_eq!(lines.len(), 6);
    assert_eq!(server.requests().len(), 6);
    max_in_flight.load(Ordering::SeqCst)
}

#[test]
fn per_host_1_captures_one_page_of_a_host_at_a_time() {
    let max = most_at_once_on_one_host(&["--per-host", "1", "--concurrency", "6"]);
    assert_eq!(
        max, 1,
        "--per-host 1 but {max} requests were in flight at once"
    );
}

#[test]
fn per_host_3_captures_three_pages_of_a_host_at_once() {
    let max = most_at_once_on_one_host(&["--per-host", "3", "--concurrency", "6"]);
    assert_eq!(
        max, 3,
        "--per-host 3 with --concurrency 6: {max} in flight at most"
    );
}

#[test]
fn concurrency_below_per_host_is_the_bound() {
    let max = most_at_once_on_one_host(&["--per-host", "3", "--concurrency", "1"]);
    assert_eq!(max, 1, "--concurrency 1: {max} in flight at most");
}

#[test]
fn url_file_with_bom_crlf_and_tab_notes_records_each_note() {
    let env = TestEnv::new();
    let case = env.new_case();
    let (a, b, c) = (HTTP.url("/plain"), HTTP.url("/gbk"), HTTP.url("/data.json"));
    let list = env.path().join("urls.txt");
    let content = format!(
        "\u{FEFF}{a}\tseller tuskman, listing 1\r\n# comment\twith a tab\r\n{b}\r\n{c}\t  second account  \n"
    );
    fs::write(&list, content).unwrap();
    let (out, lines) = env.capture_json(
        &case,
        [
            "--from-file",
            list.to_str().unwrap(),
            "--note",
            "weekly sweep",
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(
        lines.len(),
        3,
        "three URLs, no junk captures\n{}",
        describe(&out)
    );
    let note_of = |u: &str| capture_json_of(&bundle_of(line_for(&lines, u)))["note"].clone();
    assert_eq!(note_of(&a), "weekly sweep\nseller tuskman, listing 1");
    assert_eq!(note_of(&b), "weekly sweep");
    assert_eq!(note_of(&c), "weekly sweep\nsecond account");
    assert_case_verifies(&env, &case);
}

#[test]
fn summary_line_on_stderr_without_json() {
    let env = TestEnv::new();
    let case = env.new_case();
    let out = env
        .warden()
        .arg("--case")
        .arg(&case)
        .args(["capture", &HTTP.url("/plain"), &HTTP.url("/missing")])
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "captured 2 URL(s): 1 ok, 1 HTTP error, 0 truncated, 0 partial, 0 failed; 1 need attention"
        ),
        "the summary must count each status\n{}",
        describe(&out)
    );
    let last_seq = read_string(&case.join("custody.jsonl"))
        .lines()
        .last()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["seq"].clone())
        .unwrap();
    assert!(
        stderr.contains(&format!("now ends at event {last_seq}:")),
        "the summary must give the custody log's last event\n{}",
        describe(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().count(),
        2,
        "one line per capture on stdout\n{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("http-error") && l.contains(" 404 ")),
        "{stdout}"
    );
    assert_eq!(
        evidence_entries(&case).len(),
        2,
        "both captures must leave a bundle"
    );
}

#[test]
fn chunked_page_is_dechunked() {
    let Captured {
        env,
        case,
        out,
        line,
        bundle,
    } = capture_one(&HTTP.url("/chunked"), &[]);
    assert_exit(&out, 0);
    assert_eq!(line["status"], "ok", "{line}");
    assert_eq!(
        read_string(&bundle.join("data/page.html")),
        CHUNKED_HTML,
        "page.html must be the de-chunked body"
    );
    assert!(text_txt(&bundle).contains("African grey parrots"));
    assert_case_verifies(&env, &case);
}

#[test]
fn body_without_content_length_over_max_bytes_is_truncated() {
    let max = 40_000usize;
    let Captured {
        env,
        case,
        out,
        line,
        bundle,
    } = capture_one(&HTTP.url("/stream-big"), &["--max-bytes", &max.to_string()]);
    assert_exit(&out, 1);
    assert_eq!(line["status"], "truncated", "{line}");
    let cj = capture_json_of(&bundle);
    assert_eq!(cj["truncated"], true);
    let page = read(&bundle.join("data/page.html"));
    assert!(
        !page.is_empty() && page.len() <= max,
        "page.html has {} bytes (max {max})",
        page.len()
    );
    assert!(
        BIG_BODY.starts_with(&page),
        "truncated page.html is not a prefix of the body"
    );
    assert_case_verifies(&env, &case);
}

#[test]
fn page_file_extension_follows_content_type() {
    let env = TestEnv::new();
    let case = env.new_case();
    let (json_url, text_url) = (HTTP.url("/data.json"), HTTP.url("/notes.txt"));
    let (out, lines) = env.capture_json(&case, [&json_url, &text_url]);
    assert_exit(&out, 0);
    let b = bundle_of(line_for(&lines, &json_url));
    assert_eq!(
        read_string(&b.join("data/page.json")),
        JSON_BODY,
        "JSON page must be data/page.json"
    );
    assert_eq!(capture_json_of(&b)["page"]["file"], "data/page.json");
    let b = bundle_of(line_for(&lines, &text_url));
    assert_eq!(
        read_string(&b.join("data/page.txt")),
        TEXT_BODY,
        "text/plain page must be data/page.txt"
    );
    assert!(text_txt(&b).contains("saiga horn"));
    assert_case_verifies(&env, &case);
}

#[test]
fn bundle_path_is_absolute_even_with_a_relative_case() {
    let env = TestEnv::new();
    let case = env.new_case(); // <root>/case
    let out = env
        .warden()
        .current_dir(env.path())
        .args(["--case", "case", "capture", &HTTP.url("/plain"), "--json"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let lines = parse_json_lines(&out);
    assert_eq!(lines.len(), 1);
    let b = lines[0]["bundle"].as_str().unwrap_or("");
    assert!(
        Path::new(b).is_absolute(),
        "--json `bundle` must be absolute, got {b:?}"
    );
    assert!(
        Path::new(b).starts_with(case.canonicalize().unwrap()) || Path::new(b).starts_with(&case)
    );
}

#[test]
fn case_is_found_from_the_current_directory_and_env() {
    let env = TestEnv::new();
    let case = env.new_case();
    let out = env
        .warden()
        .current_dir(&case)
        .args(["capture", &HTTP.url("/plain"), "--json"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let first = parse_json_lines(&out)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = env
        .warden()
        .env("WARDEN_CASE", &case)
        .args(["capture", &HTTP.url("/gbk"), "--json"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let second = parse_json_lines(&out)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        evidence_entries(&case),
        vec![first.clone(), second.clone()],
        "both captures must land in the case, and ids sort in capture order"
    );
    assert!(
        first < second,
        "UUIDv7 ids must sort by time: {first} then {second}"
    );
    assert_case_verifies(&env, &case);
}

#[test]
fn proxy_option_routes_the_request_through_the_proxy() {
    const PROXIED: &str = "<html><body><p>served by the test proxy</p></body></html>\n";
    let proxy = TestServer::http(Routes::new().prefix(
        "http://",
        fixed(
            200,
            &[("Content-Type", "text/html; charset=utf-8")],
            PROXIED,
        ),
    ));
    // nothing listens on the target port: only the proxy can answer
    let target = format!("http://{LOOPBACK}:{}/via-proxy", closed_port());
    let Captured {
        env,
        case,
        out,
        line,
        bundle,
    } = capture_one(&target, &["--proxy", &proxy.url(""), "--timeout", "5"]);
    assert_exit(&out, 0);
    assert_eq!(line["status"], "ok", "{line}");
    assert_eq!(read_string(&bundle.join("data/page.html")), PROXIED);
    let reqs = proxy.requests();
    assert_eq!(reqs.len(), 1, "the proxy must see exactly one request");
    assert_eq!(
        reqs[0].target, target,
        "proxy request must use the absolute-form target"
    );
    assert_eq!(capture_json_of(&bundle)["requested_url"], target.as_str());
    assert_case_verifies(&env, &case);
}

#[test]
fn proxy_credentials_go_in_connect_and_never_into_the_evidence() {
    use std::io::{BufRead, BufReader, Read as _, Write as _};
    const BODY: &str = "<html><body><p>through an authenticated proxy</p></body></html>\n";
    let listener = std::net::TcpListener::bind((LOOPBACK, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen2 = seen.clone();
    let handle = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        sock.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut reader = BufReader::new(sock.try_clone().unwrap());
        let read_head = |r: &mut BufReader<std::net::TcpStream>| {
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            head
        };
        let connect = read_head(&mut reader);
        seen2.lock().unwrap().push(connect.clone());
        if !connect.contains("Proxy-Authorization: Basic dXNlcjpzM2NyZXQ=") {
            sock.write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n",
            )
            .unwrap();
            return;
        }
        sock.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .unwrap();
        let request = read_head(&mut reader);
        seen2.lock().unwrap().push(request);
        let resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{BODY}",
            BODY.len()
        );
        sock.write_all(resp.as_bytes()).unwrap();
        let _ = reader.read(&mut [0u8; 1]);
    });
    let target = format!("http://{LOOPBACK}:{}/listing", closed_port());
    let proxy = format!("http://user:s3cret@{LOOPBACK}:{port}");
    let Captured {
        env,
        case,
        out,
        line,
        bundle,
    } = capture_one(&target, &["--proxy", &proxy, "--timeout", "5"]);
    handle.join().unwrap();
    assert_exit(&out, 0);
    assert_eq!(line["status"], "ok", "{line}");
    assert_eq!(read_string(&bundle.join("data/page.html")), BODY);
    let seen = seen.lock().unwrap().clone();
    assert!(seen[0].starts_with("CONNECT "), "{seen:?}");
    assert!(
        seen[1].starts_with("GET /listing HTTP/1.1"),
        "origin-form request inside the tunnel: {seen:?}"
    );
    // neither the password nor its base64 form is anywhere in the bundle
    for f in list_files(&bundle) {
        let bytes = read_ungzipped(&bundle.join(&f));
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("s3cret") && !text.contains("dXNlcjpzM2NyZXQ="),
            "proxy credentials leaked into {f}"
        );
    }
    assert_case_verifies(&env, &case);
}

#[test]
fn redirect_to_a_url_over_256_kib_is_not_followed() {
    let long = format!("/next?q={}", "z".repeat(300 * 1024));
    let server = TestServer::http(Routes::new().route("/start", redirect(302, &long)).route(
        "/next",
        fixed(200, &[("Content-Type", "text/html")], PLAIN_HTML),
    ));
    let Captured {
        env,
        case,
        out,
        line,
        bundle,
    } = capture_one(&server.url("/start"), &[]);
    assert_exit(&out, 1);
    assert_eq!(line["status"], "failed", "{line}");
    let err = line["error"].as_str().unwrap_or("");
    assert!(err.contains("longer than the 262144 bytes"), "{err}");
    assert_eq!(
        server.requests().len(),
        1,
        "the long URL must not be fetched"
    );
    assert_eq!(
        capture_json_of(&bundle)["hops"].as_array().unwrap().len(),
        1
    );
    let custody = read_string(&case.join("custody.jsonl"));
    assert!(
        custody.len() < 64 * 1024,
        "the custody log must not carry the long URL ({} bytes)",
        custody.len()
    );
    assert_case_verifies(&env, &case);
}

/// A page of 9 MiB that compresses to a small WARC: verify re-derives it
/// from a response block larger than it keeps in memory (8 MiB), so it reads
/// the WARC again the other way; both ways must agree with the page file.
#[test]
fn a_small_warc_holding_a_page_of_9_mib_verifies() {
    let body = "<p>ivory</p>".repeat((9 << 20) / 12 + 1);
    let body = format!("<!doctype html><html><body>{body}</body></html>");
    assert!(body.len() > 9 << 20, "{}", body.len());
    let server = TestServer::http(Routes::new().route(
        "/big",
        fixed(200, &[("Content-Type", "text/html")], body.clone()),
    ));
    let c = capture_one(&server.url("/big"), &[]);
    assert_exit(&c.out, 0);
    let warc = std::fs::metadata(c.bundle.join("data/capture.warc.gz")).unwrap();
    assert!(warc.len() < 1 << 20, "WARC of {} bytes", warc.len());
    assert_eq!(read(&c.bundle.join("data/page.html")), body.as_bytes());
    assert_case_verifies(&c.env, &c.case);
}

/// The officer's warnings from an HTTP capture, read from capture.json
/// (which leaves the list out when it is empty).
fn capture_warnings(bundle: &Path) -> Vec<String> {
    let cj = capture_json_of(bundle);
    let Some(list) = cj.get("warnings") else {
        return Vec::new();
    };
    list.as_array()
        .expect("capture.json's warnings are a list")
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn http_capture_warns_of_a_script_shell_and_a_password_field_but_not_of_a_long_page() {
    let html = &[("Content-Type", "text/html; charset=utf-8")];
    // Megabytes of words that mention loading: a long page, not a loading
    // page; the password field comes after 1 MiB of text.
    let words = "Ivory bangle for sale, loading dock pickup. ".repeat(120_000);
    let long = format!("<html><body><p>{words}</p><script src=a.js></script></body></html>");
    let login = format!(
        "<html><body><p>{}</p><form><INPUT\n TYPE = 'Password' name=p></form></body></html>",
        &words[..1 << 20]
    );
    let server = TestServer::http(
        Routes::new()
            .route(
                "/shell",
                fixed(
                    200,
                    html,
                    "<html><body><div id=app>Loading…</div><SCRIPT src=app.js></SCRIPT></body></html>",
                ),
            )
            .route("/long", fixed(200, html, long))
            .route("/login", fixed(200, html, login)),
    );
    let shell = capture_one(&server.url("/shell"), &[]);
    let w = capture_warnings(&shell.bundle);
    assert!(
        w.len() == 1 && w[0].contains("nearly empty (8 characters)") && w[0].contains("--browser"),
        "{w:?}"
    );
    let long = capture_one(&server.url("/long"), &[]);
    assert_eq!(long.line["status"], "ok", "{}", long.line);
    assert_eq!(capture_warnings(&long.bundle), Vec::<String>::new());
    let login = capture_one(&server.url("/login"), &[]);
    let w = capture_warnings(&login.bundle);
    assert!(w.len() == 1 && w[0].contains("password field"), "{w:?}");
}
