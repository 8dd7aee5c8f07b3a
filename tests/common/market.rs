//! The fictional Demo Market (`examples/demo_market.rs`) for live-sweep tests: the example
//! server built by cargo, started on 127.0.0.1 (port 0, or a given port), its profiles
//! (`examples/targets/demo-market*.toml`) copied with `base_url` pointing at it, and a tiny
//! HTTP/1.1 client for its `/__stats` and `/__listings` pages.
//!
//! `cargo test --all-targets` (what `scripts/test` runs) builds examples as *test harness*
//! executables (`target/debug/examples/demo_market-HASH`, which run libtest, not the server),
//! so the runnable example is built here with `cargo build --example demo_market` once per
//! test binary (a no-op when it is up to date); a failed build fails the test with the reason.

use super::{LOOPBACK, WARDEN_BIN, describe, tmpdir};
use serde_json::Value;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::sync::OnceLock;
use std::time::Duration;
use tempfile::TempDir;

/// The repository root (listings, profiles).
pub const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// `examples/demo-market/listings.toml`.
pub fn listings_file() -> PathBuf {
    Path::new(REPO).join("examples/demo-market/listings.toml")
}

/// The runnable `demo_market` example, built (once per test binary) with the cargo that
/// builds these tests, in the profile of the warden binary under test.
pub fn demo_market_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(build_demo_market)
}

fn build_demo_market() -> PathBuf {
    // target/<profile>/warden → the profile the tests were built in.
    let profile_dir = Path::new(WARDEN_BIN)
        .parent()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
        .unwrap_or("debug")
        .to_string();
    let sibling = Path::new(WARDEN_BIN)
        .parent()
        .expect("warden binary has a folder")
        .join("examples")
        .join("demo_market");
    let mut cmd = StdCommand::new(env!("CARGO"));
    cmd.current_dir(REPO)
        .args(["build", "--example", "demo_market", "--message-format=json"])
        .stdin(Stdio::null());
    if profile_dir != "debug" {
        cmd.args(["--profile", &profile_dir]);
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run cargo ({}) to build the demo_market example: {e}; build it with \
             `cargo build --example demo_market` ({} is what the live-sweep tests run)",
            env!("CARGO"),
            sibling.display()
        )
    });
    assert!(
        out.status.success(),
        "`cargo build --example demo_market` failed; the live-sweep tests need the example \
         server (run that command to see why)\n{}",
        describe(&out)
    );
    let exe = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["reason"] == "compiler-artifact" && v["target"]["name"] == "demo_market")
        .find_map(|v| v["executable"].as_str().map(PathBuf::from))
        .unwrap_or(sibling);
    assert!(
        exe.is_file(),
        "the demo_market example is not at {} after `cargo build --example demo_market`",
        exe.display()
    );
    exe
}

/// A running Demo Market; killed when dropped.
pub struct DemoMarket {
    child: Child,
    pub port: u16,
    /// Holds the server's stderr log (one line per request).
    logs: TempDir,
}

impl DemoMarket {
    /// Starts the server on a free port with extra arguments (`--delay-ms`, `--listings`…).
    pub fn start(args: &[&str]) -> DemoMarket {
        Self::start_on(0, args)
    }

    /// Starts the server on `port` (0: any free port).
    pub fn start_on(port: u16, args: &[&str]) -> DemoMarket {
        let logs = tmpdir();
        let log = fs::File::create(logs.path().join("server.log")).unwrap();
        let mut child = StdCommand::new(demo_market_bin())
            .args(["--port", &port.to_string(), "--max-seconds", "300"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", demo_market_bin().display()));
        let mut line = String::new();
        let read = BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
        let port = line
            .trim()
            .strip_prefix("listening on http://127.0.0.1:")
            .and_then(|rest| rest.strip_suffix('/'))
            .and_then(|p| p.parse::<u16>().ok());
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "demo_market did not say where it listens (read {read:?}: {line:?}); its log:\n{}",
                fs::read_to_string(logs.path().join("server.log")).unwrap_or_default()
            );
        };
        DemoMarket { child, port, logs }
    }

    /// `http://127.0.0.1:PORT/`
    pub fn base_url(&self) -> String {
        format!("http://{LOOPBACK}:{}/", self.port)
    }

    /// The server's request log so far (`demo_market: GET /search?... 200` lines).
    pub fn log(&self) -> String {
        fs::read_to_string(self.logs.path().join("server.log")).unwrap_or_default()
    }

    /// GET `target` (path and query, already encoded): status and body.
    pub fn get(&self, target: &str) -> (u16, Vec<u8>) {
        http_get(self.port, target)
    }

    /// `/__stats` as JSON.
    pub fn stats(&self) -> Value {
        let (status, body) = self.get("/__stats");
        assert_eq!(status, 200, "/__stats answered {status}");
        serde_json::from_slice(&body).expect("/__stats is JSON")
    }

    /// How often the results page (section `main` or `cn`, page, query) was requested.
    pub fn search_count(&self, section: &str, page: u32, query: &str) -> u64 {
        let q = query
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        self.stats()["searches"][format!("{section}|{page}|{q}")]
            .as_u64()
            .unwrap_or(0)
    }

    /// How often a request target (path and query as sent) was requested.
    pub fn target_count(&self, target: &str) -> u64 {
        self.stats()["targets"][target].as_u64().unwrap_or(0)
    }

    /// `/__listings`: every listing's id, section, lang, expected, path and taxon.
    pub fn listings(&self) -> Vec<Value> {
        let (status, body) = self.get("/__listings");
        assert_eq!(status, 200, "/__listings answered {status}");
        String::from_utf8(body)
            .expect("/__listings is UTF-8")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("/__listings line is JSON"))
            .collect()
    }

    /// Copies `examples/targets/NAME.toml` into `dir` with its `base_url` line pointing at this
    /// server; returns the copy's path.
    pub fn profile(&self, name: &str, dir: &Path) -> PathBuf {
        let src = Path::new(REPO)
            .join("examples/targets")
            .join(format!("{name}.toml"));
        let text = fs::read_to_string(&src).unwrap();
        let mut replaced = 0;
        let out: Vec<String> = text
            .lines()
            .map(|l| {
                if l.starts_with("base_url = ") {
                    replaced += 1;
                    format!("base_url = \"{}\"", self.base_url())
                } else {
                    l.to_string()
                }
            })
            .collect();
        assert_eq!(replaced, 1, "{} must have one base_url line", src.display());
        let path = dir.join(format!("{name}.toml"));
        fs::write(&path, out.join("\n") + "\n").unwrap();
        path
    }

    /// Stops the server (and waits for it).
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for DemoMarket {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A one-request HTTP/1.1 GET to 127.0.0.1:`port` (Connection: close): status and body.
pub fn http_get(port: u16, target: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect((LOOPBACK, port))
        .unwrap_or_else(|e| panic!("connect 127.0.0.1:{port}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of head in the answer to {target}"));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line in {head:?}"));
    (status, raw[end + 4..].to_vec())
}

/// Percent-encodes bytes for a query string (`+` for a space), as a search form would.
pub fn form_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        match b {
            b' ' => out.push('+'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
