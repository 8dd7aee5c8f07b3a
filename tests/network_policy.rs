//! Where the fetcher is allowed to go (redirects into private, loopback and link-local
//! addresses), and how requests travel through `--proxy` (plain, CONNECT, time-stamps).
//!
//! No packet leaves loopback: every "public" or "private" address below is only ever named in
//! a request to the recording proxy on 127.0.0.1, which answers from a script and forwards only
//! to loopback servers; anything else it refuses without connecting.

mod common;

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::*;
use serde_json::Value;

/// One request as the proxy saw it: method and target (absolute form, or `host:port` for
/// CONNECT).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    method: String,
    target: String,
}

/// A recording HTTP proxy on 127.0.0.1. Absolute-form requests whose target is in the script
/// get the scripted response; others are forwarded only when the target host is loopback.
/// CONNECT is tunnelled only to loopback. Everything else gets 502 without any connection.
struct RecordingProxy {
    port: u16,
    log: Arc<Mutex<Vec<Seen>>>,
}

type Script = HashMap<String, Vec<u8>>;

impl RecordingProxy {
    fn start(script: Script) -> RecordingProxy {
        let listener = TcpListener::bind((LOOPBACK, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(script);
        {
            let log = log.clone();
            thread::spawn(move || {
                for s in listener.incoming() {
                    let Ok(s) = s else { continue };
                    let log = log.clone();
                    let script = script.clone();
                    thread::spawn(move || {
                        let _ = serve(s, &script, &log);
                    });
                }
            });
        }
        RecordingProxy { port, log }
    }

    fn url(&self) -> String {
        format!("http://{LOOPBACK}:{}", self.port)
    }

    fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }

    fn targets(&self) -> Vec<String> {
        self.seen().into_iter().map(|s| s.target).collect()
    }
}

fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h == "localhost"
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn serve(client: TcpStream, script: &Script, log: &Mutex<Vec<Seen>>) -> io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        head.extend_from_slice(&line);
        if line == b"\r\n" || head.len() > 64 * 1024 {
            break;
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut first = text.lines().next().unwrap_or("").split_whitespace();
    let method = first.next().unwrap_or("").to_string();
    let target = first.next().unwrap_or("").to_string();
    log.lock().unwrap().push(Seen {
        method: method.clone(),
        target: target.clone(),
    });
    let mut client = client;
    if method == "CONNECT" {
        let host = target.rsplit_once(':').map(|(h, _)| h).unwrap_or("");
        if !is_loopback_host(host) {
            client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")?;
            return Ok(());
        }
        let upstream = TcpStream::connect(target.as_str())?;
        client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        let buffered = reader.buffer().to_vec();
        let mut up_w = upstream.try_clone()?;
        up_w.write_all(&buffered)?;
        let mut up_r = upstream;
        let mut client_w = client.try_clone()?;
        let t = thread::spawn(move || {
            let _ = io::copy(&mut up_r, &mut client_w);
            let _ = client_w.shutdown(Shutdown::Write);
        });
        let _ = io::copy(&mut reader.get_mut(), &mut up_w);
        let _ = up_w.shutdown(Shutdown::Write);
        let _ = t.join();
        return Ok(());
    }
    if let Some(resp) = script.get(&target) {
        client.write_all(resp)?;
        let _ = client.shutdown(Shutdown::Write);
        return Ok(());
    }
    let url = match url::Url::parse(&target) {
        Ok(u) if u.scheme() == "http" && u.host_str().is_some_and(is_loopback_host) => u,
        _ => {
            client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")?;
            return Ok(());
        }
    };
    // Forward in origin form, with any body (by Content-Length).
    let len: usize = text
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body)?;
    let mut origin = url.path().to_string();
    if let Some(q) = url.query() {
        origin.push('?');
        origin.push_str(q);
    }
    let rest = text.split_once("\r\n").map(|(_, r)| r).unwrap_or("");
    let mut upstream = TcpStream::connect((
        url.host_str().unwrap().trim_matches(['[', ']']),
        url.port_or_known_default().unwrap(),
    ))?;
    upstream.write_all(format!("{method} {origin} HTTP/1.1\r\n{rest}").as_bytes())?;
    upstream.write_all(&body)?;
    io::copy(&mut upstream, &mut client)?;
    let _ = client.shutdown(Shutdown::Write);
    Ok(())
}

fn raw_redirect(location: &str) -> Vec<u8> {
    let body = format!("<html><body>moved to {location}</body></html>");
    format!(
        "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn raw_page(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

const PUBLIC_START: &str = "http://198.51.100.7/listing/42";
const INTRANET_PAGE: &str = "<html><body><p>intranet: staff salaries</p></body></html>";

fn capture_via(
    proxy: &RecordingProxy,
    url: &str,
    extra: &[&str],
) -> (TestEnv, std::path::PathBuf, std::process::Output, Value) {
    let env = TestEnv::new();
    let case = env.new_case();
    let mut args = vec![
        url.to_string(),
        "--proxy".into(),
        proxy.url(),
        "--timeout".into(),
        "10".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let (out, lines) = env.capture_json(&case, &args);
    assert_eq!(lines.len(), 1, "one --json line\n{}", describe(&out));
    (env, case, out, lines[0].clone())
}

fn capture_json_of(bundle: &Path) -> Value {
    read_json(&bundle.join("data/capture.json"))
}

fn assert_verifies(env: &TestEnv, case: &Path) {
    let out = env.verify([case]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "verify CASE\n{}",
        describe(&out)
    );
}

/// A public page redirecting to `location`, captured through the proxy: warden must refuse the
/// redirect, record the refused hop, and never ask the proxy for the target.
fn assert_redirect_refused(location: &str, address: &str, class: &str, extra: &[&str]) {
    let mut script = Script::new();
    script.insert(PUBLIC_START.into(), raw_redirect(location));
    script.insert(location.into(), raw_page(INTRANET_PAGE));
    let proxy = RecordingProxy::start(script);
    let (env, case, out, line) = capture_via(&proxy, PUBLIC_START, extra);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(line["status"], "failed", "{line}");
    let err = line["error"].as_str().unwrap_or("");
    assert!(
        err.contains("refused to follow the redirect") && err.contains(address),
        "the error must say the redirect to {address} was refused: {err}"
    );
    assert_eq!(
        proxy.targets(),
        vec![PUBLIC_START.to_string()],
        "warden asked the proxy for something other than the officer's URL"
    );
    let bundle = bundle_of(&line);
    let cj = capture_json_of(&bundle);
    let hops = cj["hops"].as_array().unwrap();
    assert_eq!(hops.len(), 2, "the redirect and the refused hop: {hops:?}");
    assert_eq!(hops[0]["http_status"], 302);
    assert_eq!(hops[0]["address_class"], "public");
    assert_eq!(hops[1]["refused"]["address"], address, "{}", hops[1]);
    assert_eq!(hops[1]["refused"]["class"], class, "{}", hops[1]);
    assert_eq!(
        hops[1]["request_bytes"], 0,
        "nothing may be sent for a refused hop"
    );
    assert!(cj["page"].is_null(), "no page for a refused redirect");
    assert!(
        !read_string(&bundle.join("data/capture.json")).contains("staff salaries"),
        "the intranet page must not be in the bundle"
    );
    assert_verifies(&env, &case);
}

#[test]
fn redirect_from_public_to_private_address_is_refused_and_recorded() {
    assert_redirect_refused("http://10.0.0.1/admin", "10.0.0.1", "private", &[]);
}

#[test]
fn redirect_from_public_to_cgnat_and_mapped_private_addresses_is_refused() {
    assert_redirect_refused("http://100.64.1.2/", "100.64.1.2", "private", &[]);
    assert_redirect_refused(
        "http://[::ffff:10.1.2.3]/",
        "[::ffff:a01:203]",
        "private",
        &[],
    );
}

#[test]
fn redirect_from_public_to_loopback_is_refused_and_the_local_server_never_asked() {
    let local = TestServer::http(Routes::new().route(
        "/secret",
        fixed(200, &[("Content-Type", "text/html")], INTRANET_PAGE),
    ));
    let location = local.url("/secret");
    assert_redirect_refused(&location, LOOPBACK, "loopback", &[]);
    assert!(
        local.requests().is_empty(),
        "the loopback server was fetched"
    );
}

#[test]
fn redirect_to_a_single_label_name_is_private_through_a_proxy() {
    assert_redirect_refused("http://intranet/wiki", "intranet", "private", &[]);
}

#[test]
fn redirect_to_link_local_is_refused_even_with_allow_private() {
    assert_redirect_refused(
        "http://169.254.169.254/latest/meta-data/",
        "169.254.169.254",
        "link-local",
        &["--allow-private"],
    );
}

#[test]
fn allow_private_follows_a_redirect_to_a_private_address() {
    let mut script = Script::new();
    script.insert(PUBLIC_START.into(), raw_redirect("http://10.0.0.1/admin"));
    script.insert("http://10.0.0.1/admin".into(), raw_page(INTRANET_PAGE));
    let proxy = RecordingProxy::start(script);
    let (env, case, out, line) = capture_via(&proxy, PUBLIC_START, &["--allow-private"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(line["status"], "ok", "{line}");
    assert_eq!(
        proxy.targets(),
        vec![
            PUBLIC_START.to_string(),
            "http://10.0.0.1/admin".to_string()
        ]
    );
    let cj = capture_json_of(&bundle_of(&line));
    assert_eq!(cj["settings"]["allow_private"], true);
    assert_eq!(cj["hops"][1]["address_class"], "private");
    assert!(cj["hops"][1]["refused"].is_null());
    assert_verifies(&env, &case);
}

#[test]
fn redirect_within_the_same_class_is_followed() {
    let mut script = Script::new();
    script.insert(
        PUBLIC_START.into(),
        raw_redirect("http://203.0.113.9/moved"),
    );
    script.insert(
        "http://203.0.113.9/moved".into(),
        raw_page("<p>moved listing</p>"),
    );
    let proxy = RecordingProxy::start(script);
    let (env, case, out, line) = capture_via(&proxy, PUBLIC_START, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(line["status"], "ok", "{line}");
    assert_eq!(proxy.targets().len(), 2);
    assert_verifies(&env, &case);
}

#[test]
fn officers_own_private_url_is_captured_but_may_not_redirect_to_loopback() {
    let start = "http://10.9.8.7/inside";
    let mut script = Script::new();
    script.insert(start.into(), raw_redirect("http://localhost/x"));
    let proxy = RecordingProxy::start(script);
    let (env, case, out, line) = capture_via(&proxy, start, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = line["error"].as_str().unwrap_or("");
    assert!(
        err.contains("is loopback") && err.contains("private"),
        "{err}"
    );
    assert_eq!(proxy.targets(), vec![start.to_string()]);
    let cj = capture_json_of(&bundle_of(&line));
    assert_eq!(cj["hops"][0]["address_class"], "private");
    assert_eq!(cj["hops"][1]["refused"]["class"], "loopback");
    assert_verifies(&env, &case);
}

#[test]
fn https_through_a_proxy_uses_connect() {
    let server = TestServer::https(standard_routes());
    let url = server.url("/plain");
    let proxy = RecordingProxy::start(Script::new());
    let (env, case, out, line) = capture_via(&proxy, &url, &["--accept-invalid-certs"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(line["status"], "ok", "{line}");
    let seen = proxy.seen();
    assert_eq!(
        seen,
        vec![Seen {
            method: "CONNECT".into(),
            target: format!("{LOOPBACK}:{}", server.port()),
        }],
        "https must go through one CONNECT tunnel"
    );
    let bundle = bundle_of(&line);
    assert_eq!(read(&bundle.join("data/page.html")), PLAIN_HTML.as_bytes());
    let cj = capture_json_of(&bundle);
    assert_eq!(
        cj["tls"]["certificate_chain"][0]["sha256"]
            .as_str()
            .unwrap(),
        sha256_hex(server.cert_der.as_ref().unwrap()),
        "the certificate recorded must be the server's, seen through the tunnel"
    );
    assert_eq!(cj["hops"][0]["via_proxy"], true);
    assert_eq!(server.requests().len(), 1);
    assert_verifies(&env, &case);
}

#[test]
fn time_stamp_requests_go_through_the_proxy() {
    let tsa = Tsa::start();
    let server = TestServer::http(standard_routes());
    let proxy = RecordingProxy::start(Script::new());
    let (env, case, out, line) = capture_via(&proxy, &server.url("/plain"), &["--tsa", &tsa.url()]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(line["timestamped"], true, "{line}");
    let seen = proxy.seen();
    assert!(
        seen.contains(&Seen {
            method: "POST".into(),
            target: tsa.url(),
        }),
        "the time-stamp request must go through --proxy, saw {seen:?}"
    );
    assert!(bundle_of(&line).join("timestamp.tsr").is_file());
    assert_verifies(&env, &case);
}

#[test]
fn ipv6_literal_url_is_captured() {
    let listener = match TcpListener::bind(("::1", 0)) {
        Ok(l) => l,
        Err(e) => panic!("this test needs IPv6 loopback (::1): {e}"),
    };
    let port = listener.local_addr().unwrap().port();
    let hosts = Arc::new(Mutex::new(Vec::new()));
    let hosts2 = hosts.clone();
    thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { continue };
            let mut head = Vec::new();
            let mut b = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && s.read(&mut b).unwrap_or(0) == 1 {
                head.push(b[0]);
            }
            hosts2
                .lock()
                .unwrap()
                .push(String::from_utf8_lossy(&head).into_owned());
            let _ = s.write_all(&raw_page("<p>served on ::1</p>"));
        }
    });
    let env = TestEnv::new();
    let case = env.new_case();
    let url = format!("http://[::1]:{port}/v6");
    let (out, lines) = env.capture_json(&case, [&url]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(lines[0]["status"], "ok", "{}", lines[0]);
    let cj = capture_json_of(&bundle_of(&lines[0]));
    assert_eq!(cj["server"]["ip"], "::1");
    assert_eq!(cj["hops"][0]["address_class"], "loopback");
    let heads = hosts.lock().unwrap().clone();
    assert!(
        heads[0].starts_with("GET /v6 HTTP/1.1")
            && heads[0].contains(&format!("Host: [::1]:{port}")),
        "request head: {heads:?}"
    );
    assert_verifies(&env, &case);
}

#[test]
fn url_password_is_never_recorded_nor_sent() {
    const SECRET: &str = "hunter2-s3cr3t";
    let server = TestServer::http(standard_routes());
    let direct = format!("http://officer:{SECRET}@{LOOPBACK}:{}/plain", server.port());
    let proxy = RecordingProxy::start(Script::new());
    for via_proxy in [false, true] {
        let env = TestEnv::new();
        let case = env.new_case();
        let mut args = vec![direct.clone(), "--note".into(), "password test".into()];
        if via_proxy {
            args.extend(["--proxy".to_string(), proxy.url()]);
        }
        // --json output
        let (out, lines) = env.capture_json(&case, &args);
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
        assert!(
            !output_text(&out).contains(SECRET),
            "password in --json output (proxy: {via_proxy})"
        );
        assert!(
            lines[0]["url"]
                .as_str()
                .unwrap()
                .contains("officer:REDACTED@")
        );
        // plain output
        let out = env
            .warden()
            .arg("--case")
            .arg(&case)
            .arg("capture")
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
        assert!(
            !output_text(&out).contains(SECRET),
            "password in the summary output"
        );
        // every file of the case, WARC decompressed
        for f in list_files(&case) {
            let bytes = read_ungzipped(&case.join(&f));
            assert!(
                !String::from_utf8_lossy(&bytes).contains(SECRET),
                "URL password stored in clear in {f} (proxy: {via_proxy})"
            );
        }
        assert_verifies(&env, &case);
    }
    for r in server.requests() {
        assert!(
            !format!("{r:?}").contains(SECRET) && r.header("authorization").is_none(),
            "the password reached the server: {r:?}"
        );
    }
    for s in proxy.targets() {
        assert!(
            !s.contains(SECRET) && !s.contains('@'),
            "userinfo sent to the proxy: {s}"
        );
    }
    assert_eq!(proxy.targets().len(), 2, "two captures through the proxy");
}

#[test]
fn direct_redirect_to_an_ipv6_link_local_address_is_refused_before_connecting() {
    // Without a proxy the class is checked on the resolved address. fe80::1 without a zone:
    // even a broken policy could not send a packet (Linux refuses such a connect locally).
    let server = TestServer::http(Routes::new().route(
        "/start",
        redirect(302, "http://[fe80::1]:9/latest/meta-data/"),
    ));
    let env = TestEnv::new();
    let case = env.new_case();
    let (out, lines) = env.capture_json(&case, [&server.url("/start"), "--timeout", "5"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = lines[0]["error"].as_str().unwrap_or("");
    assert!(err.contains("refused to follow the redirect"), "{err}");
    let cj = capture_json_of(&bundle_of(&lines[0]));
    assert_eq!(cj["hops"][0]["address_class"], "loopback");
    assert_eq!(cj["hops"][1]["refused"]["address"], "fe80::1");
    assert_eq!(cj["hops"][1]["refused"]["class"], "link-local");
    assert!(
        cj["hops"][1]["server"].is_null(),
        "no connection may be made"
    );
    assert_verifies(&env, &case);
}
