//! Issue 6, holes 3, 4 and 9: hostile HTTP framing and content codings.
//!
//! A raw server on 127.0.0.1 writes exact bytes. For each case the capture must end as a
//! browser reads the same bytes, the raw bytes must be in the WARC, `warden verify` must pass
//! (capture and verify frame bodies by the same rules), and warcio must accept the WARC.

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output};

use serde_json::Value;

use common::*;

const PAGE: &str =
    "<html><head><title>Listing</title></head><body><p>Pangolin scales for sale</p></body></html>";

/// A handler that writes `bytes` and closes.
fn raw(bytes: Vec<u8>) -> Handler {
    handler(move |_req, w| {
        w.write_all(&bytes)?;
        w.flush()
    })
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn raw_deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 9, 22);
        w.write_all(data).unwrap();
    }
    out
}

fn chunked(data: &[u8], piece: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for c in data.chunks(piece) {
        out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        out.extend_from_slice(c);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// A head with `Content-Type: text/html` and the given extra lines.
fn head(status: &str, extra: &[&str]) -> Vec<u8> {
    let mut h = format!("{status}\r\nContent-Type: text/html; charset=utf-8\r\n");
    for l in extra {
        h.push_str(l);
        h.push_str("\r\n");
    }
    h.push_str("\r\n");
    h.into_bytes()
}

struct Captured {
    env: TestEnv,
    case: PathBuf,
    out: Output,
    line: Value,
    cj: Value,
    bundle: PathBuf,
}

impl Captured {
    fn page(&self) -> Vec<u8> {
        let f = self.cj["page"]["file"]
            .as_str()
            .unwrap_or_else(|| panic!("capture.json has no page file: {}", self.cj));
        read(&self.bundle.join(f))
    }

    fn warc(&self) -> PathBuf {
        self.bundle.join("data/capture.warc.gz")
    }

    /// The block of the last response record in the WARC.
    fn last_response_block(&self) -> Vec<u8> {
        read_warc(&self.warc())
            .into_iter()
            .rfind(|r| r.warc_type() == "response")
            .expect("a response record")
            .block
    }

    fn assert_status(&self, status: &str) {
        assert_eq!(
            self.line["status"],
            status,
            "capture status\n{}\n{}",
            self.line,
            describe(&self.out)
        );
    }

    /// `warden verify` on the case passes.
    fn assert_verifies(&self) {
        let out = self.env.verify([&self.case]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "warden verify on the case\n{}",
            describe(&out)
        );
    }

    /// warcio check and warcio index accept the WARC.
    fn assert_warcio_accepts(&self) {
        for args in [&["check", "-v"][..], &["index"][..]] {
            let out = run(StdCommand::new(venv_tool("warcio"))
                .args(args)
                .arg(self.warc()));
            assert!(out.status.success(), "warcio {args:?}\n{}", describe(&out));
            if args[0] == "check" {
                let text = output_text(&out);
                assert!(
                    !text.contains("digest failed"),
                    "warcio check found a bad digest\n{text}"
                );
            }
        }
    }
}

/// Captures `path` from a server that answers it with `handler`.
fn capture_with(routes: Routes, path: &str, args: &[&str]) -> Captured {
    let server = TestServer::http(routes);
    let env = TestEnv::new();
    let case = env.new_case();
    let mut all: Vec<String> = vec![server.url(path)];
    all.extend(args.iter().map(|a| a.to_string()));
    let (out, lines) = env.capture_json(&case, &all);
    assert_eq!(lines.len(), 1, "one capture line\n{}", describe(&out));
    let line = lines[0].clone();
    let bundle = bundle_of(&line);
    let cj = read_json(&bundle.join("data/capture.json"));
    Captured {
        env,
        case,
        out,
        line,
        cj,
        bundle,
    }
}

fn capture_raw(bytes: Vec<u8>) -> Captured {
    capture_with(Routes::new().route("/x", raw(bytes)), "/x", &[])
}

fn transformations(c: &Captured) -> String {
    c.cj["transformations"].to_string()
}

// ---------------------------------------------------------------------------------------------
// hole 3: framing that made genuine captures fail verify
// ---------------------------------------------------------------------------------------------

#[test]
fn content_length_shorter_than_the_bytes_sent_frames_the_page_at_the_length() {
    let extra = b"<p>SENT AFTER THE CONTENT-LENGTH</p>";
    let len = format!("Content-Length: {}", PAGE.len());
    let c = capture_raw(cat(&[
        &head("HTTP/1.1 200 OK", &[&len]),
        PAGE.as_bytes(),
        extra,
    ]));
    c.assert_status("ok");
    assert_eq!(
        c.page(),
        PAGE.as_bytes(),
        "a browser shows the first bytes only"
    );
    let block = c.last_response_block();
    assert!(
        block.ends_with(extra),
        "the WARC keeps every byte the server sent"
    );
    assert!(
        transformations(&c).contains(&format!("sent {} bytes after the end", extra.len())),
        "capture.json explains the extra bytes: {}",
        transformations(&c)
    );
    c.assert_verifies();
    c.assert_warcio_accepts();
}

#[test]
fn a_body_after_204_304_and_101_is_not_part_of_the_page() {
    for status in [
        "HTTP/1.1 204 No Content",
        "HTTP/1.1 304 Not Modified",
        "HTTP/1.1 101 Switching Protocols",
    ] {
        let smuggled = b"<html><body>SMUGGLED BODY</body></html>";
        let c = capture_raw(cat(&[&head(status, &["Upgrade: websocket"]), smuggled]));
        c.assert_status("ok");
        assert_eq!(
            c.cj["http_status"].as_u64(),
            status[9..12].parse::<u64>().ok()
        );
        assert!(
            c.page().is_empty(),
            "{status}: no body, as a browser reads it"
        );
        assert!(
            c.last_response_block().ends_with(smuggled),
            "{status}: the bytes sent are in the WARC"
        );
        c.assert_verifies();
        c.assert_warcio_accepts();
    }
}

#[test]
fn transfer_encoding_chunked_identity_is_dechunked() {
    let c = capture_raw(cat(&[
        &head("HTTP/1.1 200 OK", &["Transfer-Encoding: chunked, identity"]),
        &chunked(PAGE.as_bytes(), 10),
    ]));
    c.assert_status("ok");
    assert_eq!(c.page(), PAGE.as_bytes());
    c.assert_verifies();
    c.assert_warcio_accepts();
}

#[test]
fn blank_lines_before_the_status_line_are_skipped() {
    let len = format!("Content-Length: {}", PAGE.len());
    let c = capture_raw(cat(&[
        b"\r\n\r\n\n",
        &head("HTTP/1.1 200 OK", &[&len]),
        PAGE.as_bytes(),
    ]));
    c.assert_status("ok");
    assert_eq!(c.page(), PAGE.as_bytes());
    c.assert_verifies();
    c.assert_warcio_accepts();
}

#[test]
fn a_url_over_64_kib_round_trips_through_the_warc() {
    let path = format!("/long/{}", "a".repeat(70 * 1024));
    let routes = Routes::new().prefix("/long/", fixed(200, &[("Content-Type", "text/html")], PAGE));
    let c = capture_with(routes, &path, &[]);
    c.assert_status("ok");
    assert!(c.cj["final_url"].as_str().unwrap().ends_with(&path));
    let records = read_warc(&c.warc());
    assert!(
        records.iter().any(|r| r
            .header("WARC-Target-URI")
            .is_some_and(|u| u.ends_with(&path))),
        "the long URL is a WARC header line"
    );
    c.assert_verifies();
    c.assert_warcio_accepts();
}

#[test]
fn a_location_over_64_kib_is_followed_and_verifies() {
    let target = format!("/target/{}", "b".repeat(70 * 1024));
    let routes = Routes::new()
        .route("/moved", redirect(302, &target))
        .prefix(
            "/target/",
            fixed(200, &[("Content-Type", "text/html")], PAGE),
        );
    let c = capture_with(routes, "/moved", &[]);
    c.assert_status("ok");
    assert_eq!(c.page(), PAGE.as_bytes());
    assert_eq!(
        c.cj["redirects"][0]["location"].as_str(),
        Some(target.as_str())
    );
    c.assert_verifies();
    c.assert_warcio_accepts();
}

// ---------------------------------------------------------------------------------------------
// hole 4: what browsers accept is captured the way they read it
// ---------------------------------------------------------------------------------------------

#[test]
fn more_than_100_response_headers_are_captured() {
    let lines: Vec<String> = (0..150).map(|i| format!("X-Tracking-{i}: {i}")).collect();
    let mut extra: Vec<&str> = lines.iter().map(String::as_str).collect();
    let len = format!("Content-Length: {}", PAGE.len());
    extra.push(&len);
    let c = capture_raw(cat(&[&head("HTTP/1.1 200 OK", &extra), PAGE.as_bytes()]));
    c.assert_status("ok");
    assert_eq!(c.page(), PAGE.as_bytes());
    let headers = c.cj["hops"][0]["headers"].as_array().unwrap();
    assert_eq!(headers.len(), 152, "every header line is in capture.json");
    c.assert_verifies();
    c.assert_warcio_accepts();
}

/// Captures a body sent with `Content-Encoding: coding`, checks the page is `PAGE`, the WARC
/// holds the encoded bytes, verify and warcio pass.
fn check_coding(coding: &str, encoded: Vec<u8>, extra_head: &[&str]) {
    let ce = format!("Content-Encoding: {coding}");
    let len = format!("Content-Length: {}", encoded.len());
    let mut lines = vec![ce.as_str(), len.as_str()];
    lines.extend_from_slice(extra_head);
    let c = capture_raw(cat(&[&head("HTTP/1.1 200 OK", &lines), &encoded]));
    c.assert_status("ok");
    assert_eq!(
        String::from_utf8_lossy(&c.page()),
        PAGE,
        "{coding}: the page is decoded as a browser reads it"
    );
    assert!(
        c.last_response_block().ends_with(&encoded),
        "{coding}: the encoded bytes are in the WARC"
    );
    let text = read_string(&c.bundle.join("data/text.txt"));
    assert!(
        text.contains("Pangolin scales for sale"),
        "{coding}: {text:?}"
    );
    c.assert_verifies();
    c.assert_warcio_accepts();
}

#[test]
fn raw_deflate_is_decoded() {
    check_coding("deflate", raw_deflate(PAGE.as_bytes()), &[]);
}

#[test]
fn zlib_deflate_is_decoded() {
    check_coding("deflate", zlib(PAGE.as_bytes()), &[]);
}

#[test]
fn gzip_with_trailing_bytes_is_decoded() {
    let mut body = gzip(PAGE.as_bytes());
    body.extend_from_slice(b"\0\0\0\0 trailing junk after the gzip member");
    check_coding("gzip", body, &[]);
}

#[test]
fn brotli_is_decoded() {
    check_coding("br", brotli(PAGE.as_bytes()), &[]);
}

#[test]
fn stacked_gzip_then_br_is_decoded() {
    check_coding("gzip, br", brotli(&gzip(PAGE.as_bytes())), &[]);
}

#[test]
fn http_1_0_with_chunked_encoding_is_dechunked() {
    let c = capture_raw(cat(&[
        &head("HTTP/1.0 200 OK", &["Transfer-Encoding: chunked"]),
        &chunked(PAGE.as_bytes(), 7),
    ]));
    c.assert_status("ok");
    assert_eq!(c.page(), PAGE.as_bytes());
    c.assert_verifies();
    c.assert_warcio_accepts();
}

// ---------------------------------------------------------------------------------------------
// hole 9: a 1xx flood or an endless head does not bypass --max-bytes
// ---------------------------------------------------------------------------------------------

/// Bytes that do not compress (so a stored flood shows in the bundle's size).
fn noise_hex(n: usize, seed: &mut u64) -> String {
    let mut s = String::with_capacity(n);
    while s.len() < n {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s.push_str(&format!("{:016x}", *seed));
    }
    s.truncate(n);
    s
}

/// Total size of the files in a folder tree.
fn tree_size(dir: &Path) -> u64 {
    list_files(dir)
        .iter()
        .map(|f| std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0))
        .sum()
}

/// Up to 64 MiB of incompressible heads, then a final response: what the old fetcher stored
/// whole.
fn flood(make: fn(&mut u64) -> Vec<u8>) -> Handler {
    handler(move |_req, w| {
        let mut seed = 42;
        let mut sent = 0usize;
        while sent < 64 << 20 {
            let piece = make(&mut seed);
            sent += piece.len();
            w.write_all(&piece)?;
        }
        w.write_all(&head("HTTP/1.1 200 OK", &["Content-Length: 2"]))?;
        w.write_all(b"ok")?;
        w.flush()
    })
}

fn assert_bounded(c: &Captured) {
    assert_ne!(c.line["status"], "ok", "{}", c.line);
    assert!(
        matches!(c.line["status"].as_str(), Some("truncated" | "failed")),
        "{}",
        c.line
    );
    let response_bytes = c.cj["hops"][0]["response_bytes"].as_u64().unwrap();
    assert!(
        response_bytes <= (1 << 20) + 1,
        "at most 1 MiB of heads stored, got {response_bytes}"
    );
    let size = tree_size(&c.bundle);
    assert!(
        size < 3 << 20,
        "the bundle holds {size} bytes with --max-bytes 1M"
    );
    c.assert_verifies();
    c.assert_warcio_accepts();
}

#[test]
fn an_informational_flood_is_bounded_with_max_bytes() {
    let routes = Routes::new().route(
        "/flood",
        flood(|seed| {
            format!(
                "HTTP/1.1 103 Early Hints\r\nLink: <{}>\r\n\r\n",
                noise_hex(4000, seed)
            )
            .into_bytes()
        }),
    );
    let c = capture_with(routes, "/flood", &["--max-bytes", "1M"]);
    assert_bounded(&c);
    assert!(
        c.line["error"]
            .as_str()
            .is_some_and(|e| e.contains("informational")),
        "{}",
        c.line
    );
}

#[test]
fn an_endless_head_is_bounded_with_max_bytes() {
    let routes = Routes::new().route(
        "/endless",
        handler(|_req, w| {
            w.write_all(b"HTTP/1.1 200 OK\r\n")?;
            let mut seed = 7;
            for _ in 0..(64 << 20) / 4000 {
                w.write_all(format!("X-Noise: {}\r\n", noise_hex(4000, &mut seed)).as_bytes())?;
            }
            w.write_all(b"\r\nok")?;
            w.flush()
        }),
    );
    let c = capture_with(routes, "/endless", &["--max-bytes", "1M"]);
    assert_bounded(&c);
    assert!(
        c.line["error"]
            .as_str()
            .is_some_and(|e| e.contains("larger than")),
        "{}",
        c.line
    );
}

// ---------------------------------------------------------------------------------------------
// a capture that fails part-way still verifies: the partial page is what the rules give
// ---------------------------------------------------------------------------------------------

#[test]
fn broken_chunk_framing_keeps_the_body_before_the_break_and_verifies() {
    let mut body = chunked(PAGE.as_bytes(), 16);
    let at = body.len() / 2;
    body.truncate(at);
    body.extend_from_slice(b"\r\nZZ-not-hex\r\nmore\r\n0\r\n\r\n");
    let c = capture_raw(cat(&[
        &head("HTTP/1.1 200 OK", &["Transfer-Encoding: chunked"]),
        &body,
    ]));
    c.assert_status("failed");
    assert!(
        c.line["error"]
            .as_str()
            .is_some_and(|e| e.contains("chunked framing is broken")),
        "{}",
        c.line
    );
    let page = c.page();
    assert!(
        !page.is_empty() && PAGE.as_bytes().starts_with(&page),
        "the page holds the body before the break: {:?}",
        String::from_utf8_lossy(&page)
    );
    c.assert_verifies();
    c.assert_warcio_accepts();
}

#[test]
fn a_body_cut_short_of_its_content_length_verifies() {
    let c = capture_raw(cat(&[
        &head("HTTP/1.1 200 OK", &["Content-Length: 100000"]),
        PAGE.as_bytes(),
    ]));
    c.assert_status("failed");
    assert_eq!(c.page(), PAGE.as_bytes());
    assert_eq!(c.cj["hops"][0]["truncated"], "disconnect");
    c.assert_verifies();
    c.assert_warcio_accepts();
}

#[test]
fn damaged_gzip_deep_in_a_large_page_verifies_with_the_same_partial_page() {
    // Words picked pseudo-randomly compress with back-references, so the damage (64 bytes of
    // 0xff) shows as a decoding error part-way through, not only at the end.
    let words = [
        "ivory ",
        "pangolin ",
        "scales ",
        "for ",
        "sale ",
        "rhino ",
        "horn ",
    ];
    let mut x = 1u64;
    let mut text = String::from("<html><body>");
    while text.len() < 3 << 20 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        text.push_str(words[(x >> 60) as usize % words.len()]);
    }
    let mut gz = gzip(text.as_bytes());
    let mid = gz.len() / 2;
    gz[mid..mid + 64].fill(0xff);
    let len = format!("Content-Length: {}", gz.len());
    let c = capture_raw(cat(&[
        &head("HTTP/1.1 200 OK", &["Content-Encoding: gzip", &len]),
        &gz,
    ]));
    c.assert_status("failed");
    let page = c.page();
    assert!(
        page.len() > 100_000
            && page.len() < text.len()
            && text.as_bytes().starts_with(&page[..100_000]),
        "the page keeps what decoded before the damage ({} bytes)",
        page.len()
    );
    c.assert_verifies();
}

#[test]
fn a_trickled_informational_flood_is_ended_by_the_timeout_for_the_answer() {
    // One small 1xx head every 300 ms: each read is quick, but the answer never comes.
    let routes = Routes::new().route(
        "/trickle",
        handler(|_req, w| {
            for _ in 0..400 {
                w.write_all(b"HTTP/1.1 102 Processing\r\n\r\n")?;
                w.flush()?;
                std::thread::sleep(std::time::Duration::from_millis(300));
            }
            Ok(())
        }),
    );
    let started = std::time::Instant::now();
    let c = capture_with(routes, "/trickle", &["--timeout", "3", "--max-time", "100"]);
    let took = started.elapsed();
    c.assert_status("failed");
    assert!(
        c.line["error"]
            .as_str()
            .is_some_and(|e| e.contains("to answer")),
        "{}",
        c.line
    );
    assert!(
        took < std::time::Duration::from_secs(60),
        "the whole answer must come within --timeout, the capture took {took:?}"
    );
    c.assert_verifies();
}
