//! Shared helpers for warden's integration tests.
//!
//! Everything here talks to 127.0.0.1 only: a tiny threaded HTTP/1.1 server (and its rustls
//! HTTPS twin with an rcgen certificate), a server that accepts and never answers, and a real
//! RFC 3161 time-stamping authority (`openssl ts -reply` behind a small HTTP handler).
//! Outside validators (warcio, bagit.py) come from the venv named by `WARDEN_TEST_VENV`
//! (`scripts/test` creates it); a missing validator makes the test FAIL, never skip.
#![allow(dead_code)]

pub mod exports;
pub mod forge;
pub mod market;

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub use assert_cmd::Command;
use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// The binary under test.
pub const WARDEN_BIN: &str = env!("CARGO_BIN_EXE_warden");

/// The one address every test server binds to and every test URL names.
pub const LOOPBACK: &str = "127.0.0.1";

/// Content of the throwaway TSA's OpenSSL config (a copy of the research kit's `tsa.cnf`).
pub const TSA_CNF: &str = include_str!("../fixtures/tsa.cnf");

pub const CASE_ID: &str = "WLC-2026-0042";
pub const CASE_TITLE: &str = "Ivory and pangolin scale listings";
pub const CASE_AGENCY: &str = "Test Wildlife Crime Unit";
pub const OFFICER: &str = "Officer Tess Ting";

/// Files every successful bundle has (besides the optional `timestamp.tsr`).
pub const BUNDLE_TAG_FILES: &[&str] = &[
    "bagit.txt",
    "bag-info.txt",
    "manifest-sha256.txt",
    "manifest-sha512.txt",
    "tagmanifest-sha256.txt",
    "tagmanifest-sha512.txt",
    "signature.ed25519",
    "signature.pub.pem",
];

// ---------------------------------------------------------------------------------------------
// temp dirs, hashing, files
// ---------------------------------------------------------------------------------------------

/// A fresh temp dir under cargo's per-target tmp dir (kept out of $HOME and /tmp clutter).
pub fn tmpdir() -> TempDir {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    fs::create_dir_all(base).expect("create CARGO_TARGET_TMPDIR");
    tempfile::Builder::new()
        .prefix("warden-it-")
        .tempdir_in(base)
        .expect("create temp dir")
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub fn sha256_file(path: &Path) -> String {
    sha256_hex(&read(path))
}

pub fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The bytes of `path`, decompressed when its name ends in `.gz` (every
/// member of a multi-member gzip file, as a WARC is written).
pub fn read_ungzipped(path: &Path) -> Vec<u8> {
    let bytes = read(path);
    if !path.to_string_lossy().ends_with(".gz") {
        return bytes;
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(&bytes[..])
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("{} is not valid gzip: {e}", path.display()));
    out
}

pub fn read_string(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

pub fn read_json(path: &Path) -> Value {
    let text = read_string(path);
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}\n{text}", path.display()))
}

/// XOR 0x01 the byte in the middle of the file; returns its offset.
pub fn flip_byte(path: &Path) -> usize {
    let mut bytes = read(path);
    assert!(
        !bytes.is_empty(),
        "cannot flip a byte of empty file {}",
        path.display()
    );
    let i = bytes.len() / 2;
    bytes[i] ^= 0x01;
    fs::write(path, &bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    i
}

/// Recursive copy of a directory tree (files and dirs only).
pub fn copy_dir(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).unwrap_or_else(|e| panic!("mkdir {}: {e}", dst.display()));
    for entry in fs::read_dir(src).unwrap_or_else(|e| panic!("read_dir {}: {e}", src.display())) {
        let entry = entry.unwrap();
        let ty = entry.file_type().unwrap();
        let to = dst.join(entry.file_name());
        if ty.is_dir() {
            copy_dir(&entry.path(), &to);
        } else {
            fs::copy(entry.path(), &to)
                .unwrap_or_else(|e| panic!("copy {}: {e}", entry.path().display()));
        }
    }
}

/// All regular files below `root`, as sorted paths relative to `root` (with `/`).
pub fn list_files(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("read_dir {}: {e}", dir.display()))
        {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                walk(root, &path, out);
            } else {
                out.push(rel(root, &path));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// `path` relative to `root`, with `/` separators.
pub fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or_else(|_| panic!("{} is not under {}", path.display(), root.display()))
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// A digest of a whole tree: relative path -> sha256 of content ("dir" for directories).
/// Missing root -> empty map.
pub fn tree_digest(root: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(rd) = fs::read_dir(dir) else { return };
        for entry in rd {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                out.insert(rel(root, &path), "dir".into());
                walk(root, &path, out);
            } else {
                out.insert(rel(root, &path), sha256_file(&path));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Names of the entries of `CASE/evidence/`, sorted.
pub fn evidence_entries(case: &Path) -> Vec<String> {
    let dir = case.join("evidence");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read_dir {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// stdout + stderr of a finished command, for "does the output name X" checks and messages.
pub fn output_text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn describe(out: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout ---\n{}--- stderr ---\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

// ---------------------------------------------------------------------------------------------
// external tools
// ---------------------------------------------------------------------------------------------

/// Path of a validator installed in the test venv (`$WARDEN_TEST_VENV/bin/NAME`).
/// Panics (the test fails, it does not skip) when the venv or the tool is missing.
pub fn venv_tool(name: &str) -> PathBuf {
    let venv = std::env::var_os("WARDEN_TEST_VENV").unwrap_or_else(|| {
        panic!(
            "WARDEN_TEST_VENV is not set, so the outside validator `{name}` cannot be found. \
             Run the suite with scripts/test (it creates target/test-venv with warcio and bagit \
             and exports WARDEN_TEST_VENV), or set WARDEN_TEST_VENV to such a venv."
        )
    });
    let path = PathBuf::from(venv).join("bin").join(name);
    assert!(
        path.is_file(),
        "validator `{name}` missing: {} does not exist (WARDEN_TEST_VENV is set but the venv \
         lacks it; rerun scripts/test to reinstall)",
        path.display()
    );
    path
}

/// Runs a command to completion, panicking with a clear message if it cannot be started.
pub fn run(cmd: &mut StdCommand) -> Output {
    let program = cmd.get_program().to_string_lossy().into_owned();
    cmd.stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{program}` (is it installed?): {e}"))
}

/// Runs a command and asserts it exits 0, returning its output.
pub fn run_ok(cmd: &mut StdCommand) -> Output {
    let shown = format!("{cmd:?}");
    let out = run(cmd);
    assert!(
        out.status.success(),
        "command failed: {shown}\n{}",
        describe(&out)
    );
    out
}

pub fn openssl() -> StdCommand {
    StdCommand::new("openssl")
}

// ---------------------------------------------------------------------------------------------
// the warden binary
// ---------------------------------------------------------------------------------------------

/// One test's private world: temp dir with an officer key (`WARDEN_KEY`), a config dir
/// (`XDG_CONFIG_HOME`) and an empty working directory. Nothing touches $HOME.
pub struct TestEnv {
    pub root: TempDir,
    pub key: PathBuf,
    pub config: PathBuf,
    pub work: PathBuf,
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl TestEnv {
    pub fn new() -> TestEnv {
        let root = tmpdir();
        let key = root.path().join("keys").join("officer-key.pem");
        let config = root.path().join("config");
        let work = root.path().join("work");
        fs::create_dir_all(&config).unwrap();
        fs::create_dir_all(&work).unwrap();
        fs::create_dir_all(key.parent().unwrap()).unwrap();
        generate_key(&key);
        TestEnv {
            root,
            key,
            config,
            work,
        }
    }

    pub fn path(&self) -> &Path {
        self.root.path()
    }

    /// `std::process::Command` for warden with the hermetic environment (for spawn()).
    pub fn warden_std(&self) -> StdCommand {
        let mut cmd = StdCommand::new(WARDEN_BIN);
        cmd.env("WARDEN_KEY", &self.key)
            .env("XDG_CONFIG_HOME", &self.config)
            .env("HOME", self.root.path())
            .env_remove("WARDEN_CASE")
            .current_dir(&self.work);
        for var in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
            "NO_PROXY",
            "no_proxy",
            "SSL_CERT_FILE",
            "SSL_CERT_DIR",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }

    /// assert_cmd builder for warden: WARDEN_KEY + XDG_CONFIG_HOME in the temp dir, cwd = an
    /// empty work dir, proxies cleared, 120 s hard timeout.
    pub fn warden(&self) -> Command {
        let mut cmd = Command::from_std(self.warden_std());
        cmd.timeout(Duration::from_secs(120));
        cmd
    }

    /// A path for a case dir inside this env (not created).
    pub fn case_path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// `warden case init DIR ...` with the standard test case data; asserts success.
    pub fn init_case(&self, dir: &Path) {
        let out = self
            .warden()
            .args(["case", "init"])
            .arg(dir)
            .args(["--case-id", CASE_ID, "--title", CASE_TITLE])
            .args(["--agency", CASE_AGENCY, "--officer", OFFICER])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "warden case init failed\n{}",
            describe(&out)
        );
        assert!(
            dir.join("case.toml").is_file(),
            "case init wrote no case.toml"
        );
    }

    /// A new case at `<root>/case`.
    pub fn new_case(&self) -> PathBuf {
        let dir = self.case_path("case");
        self.init_case(&dir);
        dir
    }

    /// `warden --case CASE custody ARGS...`, which must succeed; returns its output.
    pub fn custody_ok(&self, case: &Path, args: &[&str]) -> Output {
        let out = self
            .warden()
            .arg("--case")
            .arg(case)
            .arg("custody")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "custody {args:?}\n{}",
            describe(&out)
        );
        out
    }

    /// Registers `other`'s key in `case` as officer `name`, signed by this environment's key.
    pub fn add_officer(&self, case: &Path, name: &str, other: &TestEnv) {
        let out = self
            .warden()
            .arg("--case")
            .arg(case)
            .args(["case", "add-officer", "--officer", name, "--public-key"])
            .arg(public_key_b64(&other.key))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "add-officer\n{}",
            describe(&out)
        );
    }

    /// `warden --case CASE capture ARGS... --json`; returns the output and the parsed JSON lines.
    pub fn capture_json<I, S>(&self, case: &Path, args: I) -> (Output, Vec<Value>)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let out = self
            .warden()
            .arg("--case")
            .arg(case)
            .arg("capture")
            .args(args)
            .arg("--json")
            .output()
            .unwrap();
        let lines = parse_json_lines(&out);
        (out, lines)
    }

    /// `warden verify ARGS...`
    pub fn verify<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.warden().arg("verify").args(args).output().unwrap()
    }
}

/// Ed25519 PKCS#8 PEM key made by openssl, mode 0600.
pub fn generate_key(path: &Path) {
    run_ok(
        openssl()
            .args(["genpkey", "-algorithm", "ed25519", "-out"])
            .arg(path),
    );
    set_mode(path, 0o600);
}

pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// base64 of the raw 32-byte Ed25519 public key of a PKCS#8 PEM private key file.
pub fn public_key_b64(key_pem: &Path) -> String {
    b64().encode(forge::signing_key(key_pem).verifying_key().as_bytes())
}

pub fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// Every stdout line parsed as JSON (panics with the whole output otherwise).
pub fn parse_json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| {
                panic!("stdout line is not JSON ({e}): {l:?}\n{}", describe(out))
            })
        })
        .collect()
}

/// The `bundle` path of a `--json` capture line, checked to exist.
pub fn bundle_of(line: &Value) -> PathBuf {
    let b = line["bundle"]
        .as_str()
        .unwrap_or_else(|| panic!("capture line has no string `bundle`: {line}"));
    let p = PathBuf::from(b);
    assert!(p.is_absolute(), "`bundle` must be an absolute path: {line}");
    assert!(p.is_dir(), "bundle {} does not exist", p.display());
    p
}

/// Finds the JSON line for `url` among capture lines.
pub fn line_for<'a>(lines: &'a [Value], url: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["url"] == url)
        .unwrap_or_else(|| panic!("no --json line for {url} in {lines:#?}"))
}

// ---------------------------------------------------------------------------------------------
// HTTP test server
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

pub trait Conn: Read + Write {}
impl<T: Read + Write> Conn for T {}

/// A route handler writes the whole raw HTTP response itself (so it can trickle, stall, ...).
pub type Handler = Arc<dyn Fn(&Request, &mut dyn Conn) -> io::Result<()> + Send + Sync>;

pub fn handler<F>(f: F) -> Handler
where
    F: Fn(&Request, &mut dyn Conn) -> io::Result<()> + Send + Sync + 'static,
{
    Arc::new(f)
}

/// Writes a complete response with Content-Length and `Connection: close`.
pub fn write_response(
    w: &mut dyn Conn,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    w.write_all(head.as_bytes())?;
    w.write_all(body)?;
    w.flush()
}

/// Answers with `openssl ts -reply` (the kit's `tsa.cnf` in `tsa_dir`) to the
/// query in `tsa_dir/query`, writing the token to `tsa_dir/reply` first; an
/// openssl failure is a 500 carrying its output.
pub fn answer_timestamp_query(
    tsa_dir: &Path,
    query: &str,
    reply: &str,
    w: &mut dyn Conn,
) -> io::Result<()> {
    let out = run(openssl()
        .args([
            "ts",
            "-reply",
            "-config",
            "tsa.cnf",
            "-queryfile",
            query,
            "-out",
            reply,
        ])
        .current_dir(tsa_dir));
    if !out.status.success() {
        return write_response(w, 500, &[], output_text(&out).as_bytes());
    }
    let token = fs::read(tsa_dir.join(reply))?;
    write_response(
        w,
        200,
        &[("Content-Type", "application/timestamp-reply")],
        &token,
    )
}

/// A handler that always sends the same response.
pub fn fixed(status: u16, headers: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Handler {
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let body: Vec<u8> = body.into();
    handler(move |_req, w| {
        let h: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        write_response(w, status, &h, &body)
    })
}

/// A redirect to `location`; `{host}` in it is replaced by the request's Host header.
pub fn redirect(status: u16, location: &str) -> Handler {
    let location = location.to_string();
    handler(move |req, w| {
        let loc = location.replace("{host}", req.header("host").unwrap_or(""));
        let body = format!("<html><body>moved to <a href=\"{loc}\">{loc}</a></body></html>");
        write_response(
            w,
            status,
            &[
                ("Location", &loc),
                ("Content-Type", "text/html; charset=utf-8"),
            ],
            body.as_bytes(),
        )
    })
}

pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

#[derive(Clone, Default)]
pub struct Routes {
    exact: HashMap<String, Handler>,
    prefix: Vec<(String, Handler)>,
}

impl Routes {
    pub fn new() -> Routes {
        Routes::default()
    }
    /// Exact match on the request path (query ignored).
    pub fn route(mut self, path: &str, h: Handler) -> Routes {
        self.exact.insert(path.to_string(), h);
        self
    }
    /// Any path starting with `prefix` (longest prefix wins).
    pub fn prefix(mut self, prefix: &str, h: Handler) -> Routes {
        self.prefix.push((prefix.to_string(), h));
        self.prefix.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        self
    }
    fn find(&self, path: &str) -> Option<Handler> {
        if let Some(h) = self.exact.get(path) {
            return Some(h.clone());
        }
        self.prefix
            .iter()
            .find(|(p, _)| path.starts_with(p.as_str()))
            .map(|(_, h)| h.clone())
    }
}

/// Threaded HTTP/1.1 (or HTTPS) server on 127.0.0.1:0; one thread per connection,
/// `Connection: close`. Stops accepting when dropped.
pub struct TestServer {
    addr: SocketAddr,
    scheme: &'static str,
    stop: Arc<AtomicBool>,
    /// Requests seen, in arrival order.
    pub log: Arc<Mutex<Vec<Request>>>,
    /// DER of the server certificate (HTTPS only).
    pub cert_der: Option<Vec<u8>>,
    /// PEM of the server certificate (HTTPS only).
    pub cert_pem: Option<String>,
}

impl TestServer {
    pub fn http(routes: Routes) -> TestServer {
        Self::start(routes, None, None)
    }

    /// HTTPS with a fresh self-signed rcgen certificate for 127.0.0.1.
    pub fn https(routes: Routes) -> TestServer {
        use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
        let ck = rcgen::generate_simple_self_signed(vec![LOOPBACK.to_string()])
            .expect("rcgen self-signed cert");
        let cert_der = ck.cert.der().to_vec();
        let cert_pem = ck.cert.pem();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("rustls protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![ck.cert.der().clone()], key)
            .expect("rustls server config");
        Self::start(routes, Some(Arc::new(config)), Some((cert_der, cert_pem)))
    }

    /// A server with any TLS configuration (`tls`) and its certificate (DER, PEM).
    pub fn start(
        routes: Routes,
        tls: Option<Arc<rustls::ServerConfig>>,
        cert: Option<(Vec<u8>, String)>,
    ) -> TestServer {
        let listener = TcpListener::bind((LOOPBACK, 0)).expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let routes = Arc::new(routes);
        let scheme = if tls.is_some() { "https" } else { "http" };
        {
            let stop = stop.clone();
            let log = log.clone();
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let routes = routes.clone();
                    let log = log.clone();
                    let tls = tls.clone();
                    thread::spawn(move || {
                        let _ = serve_connection(stream, &routes, &log, tls);
                    });
                }
            });
        }
        let (cert_der, cert_pem) = match cert {
            Some((d, p)) => (Some(d), Some(p)),
            None => (None, None),
        };
        TestServer {
            addr,
            scheme,
            stop,
            log,
            cert_der,
            cert_pem,
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http(s)://127.0.0.1:PORT{path}`
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}://{}:{}{}",
            self.scheme,
            LOOPBACK,
            self.addr.port(),
            path
        )
    }

    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

fn serve_connection(
    stream: TcpStream,
    routes: &Routes,
    log: &Mutex<Vec<Request>>,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(15)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    stream.set_nodelay(true)?;
    match tls {
        None => {
            let mut s = stream;
            handle(&mut s, routes, log)?;
            let _ = s.shutdown(Shutdown::Write);
            Ok(())
        }
        Some(config) => {
            let conn = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
            let mut s = rustls::StreamOwned::new(conn, stream);
            handle(&mut s, routes, log)?;
            s.conn.send_close_notify();
            let _ = s.flush();
            let _ = s.sock.shutdown(Shutdown::Write);
            Ok(())
        }
    }
}

fn handle(s: &mut dyn Conn, routes: &Routes, log: &Mutex<Vec<Request>>) -> io::Result<()> {
    let Some(req) = read_request(s)? else {
        return Ok(());
    };
    log.lock().unwrap().push(req.clone());
    match routes.find(req.path()) {
        Some(h) => h(&req, s),
        None => write_response(
            s,
            404,
            &[("Content-Type", "text/plain; charset=utf-8")],
            b"no such route\n",
        ),
    }
}

fn read_request(s: &mut dyn Conn) -> io::Result<Option<Request>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 256 * 1024 {
            return Err(io::Error::other("request head too large"));
        }
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split_whitespace();
    let method = first.next().unwrap_or("").to_string();
    let target = first.next().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = s.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(len);
    Ok(Some(Request {
        method,
        target,
        headers,
        body,
    }))
}

/// Accepts connections and never sends a byte (nor reads one). Held connections are closed
/// when the server is dropped.
pub struct SilentServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    pub accepted: Arc<AtomicUsize>,
}

impl SilentServer {
    pub fn start() -> SilentServer {
        let listener = TcpListener::bind((LOOPBACK, 0)).expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicUsize::new(0));
        {
            let stop = stop.clone();
            let accepted = accepted.clone();
            thread::spawn(move || {
                let mut held = Vec::new();
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(s) = stream {
                        accepted.fetch_add(1, Ordering::SeqCst);
                        held.push(s);
                    }
                }
                drop(held);
            });
        }
        SilentServer {
            addr,
            stop,
            accepted,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}:{}{}", LOOPBACK, self.addr.port(), path)
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

/// A port on 127.0.0.1 with nothing listening (bound, then released).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind((LOOPBACK, 0)).unwrap();
    l.local_addr().unwrap().port()
}

// ---------------------------------------------------------------------------------------------
// standard test pages
// ---------------------------------------------------------------------------------------------

pub const PLAIN_HTML: &str = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\
<title>Carved ivory tusk</title></head>\n<body><h1>Carved ivory tusk for sale</h1>\n\
<p>Genuine elephant ivory, 2 kg, discreet shipping worldwide.</p>\n\
<script>var tracking = 'do-not-index-me';</script>\n</body></html>\n";

pub const REDIRECT_FINAL_HTML: &str = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\
<title>Final listing</title></head><body><p>Rhino horn powder, final hop reached.</p></body></html>\n";

/// Statuses of the three redirect hops, in order.
pub const REDIRECT_STATUSES: [u16; 3] = [301, 302, 307];
/// The request paths of the chain: 3 redirects then the final page.
pub const REDIRECT_PATHS: [&str; 4] = [
    "/redirect/1",
    "/redirect/2",
    "/redirect/3",
    "/redirect/final",
];

pub const NOT_FOUND_HTML: &str = "<!DOCTYPE html>\n<html><head><title>404</title></head><body><p>Listing removed by moderator</p></body></html>\n";

/// UTF-8 source of the GBK page (charset declared in the Content-Type header).
pub const GBK_SOURCE: &str = "<!DOCTYPE html>\n<html><head><title>象牙制品</title></head>\n\
<body><h1>出售象牙</h1><p>穿山甲鳞片，批发价格，微信联系。</p></body></html>\n";
pub const GBK_WORDS: &[&str] = &["象牙", "穿山甲"];

/// UTF-8 source of the Shift_JIS page (charset declared only in a <meta> tag).
pub const SJIS_SOURCE: &str = "<!DOCTYPE html>\n<html><head>\
<meta http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\">\
<title>象牙の印鑑</title></head>\n<body><h1>象牙の販売</h1><p>本物の象牙、送料無料。</p></body></html>\n";
pub const SJIS_WORDS: &[&str] = &["象牙", "販売"];

pub static GBK_BYTES: LazyLock<Vec<u8>> = LazyLock::new(|| encode(encoding_rs::GBK, GBK_SOURCE));
pub static SJIS_BYTES: LazyLock<Vec<u8>> =
    LazyLock::new(|| encode(encoding_rs::SHIFT_JIS, SJIS_SOURCE));

fn encode(enc: &'static encoding_rs::Encoding, text: &str) -> Vec<u8> {
    let (bytes, used, had_errors) = enc.encode(text);
    assert_eq!(used, enc, "encoding_rs picked another encoder");
    assert!(!had_errors, "{} cannot represent the test page", enc.name());
    assert!(
        bytes.iter().any(|b| *b >= 0x80),
        "encoded page is plain ASCII?"
    );
    bytes.into_owned()
}

pub const CHUNKED_HTML: &str = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\
<title>Chunked listing</title></head><body><p>Live African grey parrots, sent in chunks.</p>\
<p>Second paragraph so that the body spans several chunks of 37 bytes each.</p></body></html>\n";

pub const JSON_BODY: &str =
    "{\"listing\":\"tiger bone wine\",\"price\":120,\"seller\":\"shop-77\"}\n";
pub const TEXT_BODY: &str = "Seller notes: saiga horn, 300 g, cash only.\n";

/// Uncompressed HTML of the gzip page.
pub static GZIP_HTML: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let mut s = String::from(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Pangolin scales</title></head><body>\n",
    );
    for i in 0..200 {
        s.push_str(&format!(
            "<p>Lot {i}: pangolin scales, 1 kg, price on request.</p>\n"
        ));
    }
    s.push_str("</body></html>\n");
    s.into_bytes()
});

/// The gzip bytes actually sent for the gzip page (Content-Encoding: gzip).
pub static GZIP_BYTES: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&GZIP_HTML).unwrap();
    enc.finish().unwrap()
});

/// 200 kB body for --max-bytes tests.
pub static BIG_BODY: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let mut s = String::from("<!DOCTYPE html>\n<html><body>\n");
    let mut i = 0;
    while s.len() < 200_000 {
        s.push_str(&format!("<p>row {i:06}: ivory bangle lot</p>\n"));
        i += 1;
    }
    s.push_str("</body></html>\n");
    s.into_bytes()
});

/// The standard route table: plain, 3-hop redirect chain, gzip, GBK, Shift_JIS, 404, big.
pub fn standard_routes() -> Routes {
    Routes::new()
        .route(
            "/plain",
            fixed(200, &[("Content-Type", "text/html; charset=utf-8")], PLAIN_HTML),
        )
        .route("/redirect/1", redirect(301, "http://{host}/redirect/2"))
        .route("/redirect/2", redirect(302, "/redirect/3"))
        .route("/redirect/3", redirect(307, "http://{host}/redirect/final"))
        .route(
            "/redirect/final",
            fixed(200, &[("Content-Type", "text/html; charset=utf-8")], REDIRECT_FINAL_HTML),
        )
        .route(
            "/gzip",
            fixed(
                200,
                &[("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")],
                GZIP_BYTES.clone(),
            ),
        )
        .route("/gbk", fixed(200, &[("Content-Type", "text/html; charset=GBK")], GBK_BYTES.clone()))
        .route("/sjis", fixed(200, &[("Content-Type", "text/html")], SJIS_BYTES.clone()))
        .route(
            "/missing",
            fixed(404, &[("Content-Type", "text/html; charset=utf-8")], NOT_FOUND_HTML),
        )
        .route("/big", fixed(200, &[("Content-Type", "text/html; charset=utf-8")], BIG_BODY.clone()))
        .route(
            "/chunked",
            handler(|_req, w| {
                w.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                )?;
                for piece in CHUNKED_HTML.as_bytes().chunks(37) {
                    write!(w, "{:x}\r\n", piece.len())?;
                    w.write_all(piece)?;
                    w.write_all(b"\r\n")?;
                }
                w.write_all(b"0\r\n\r\n")?;
                w.flush()
            }),
        )
        .route(
            "/stream-big",
            handler(|_req, w| {
                // no Content-Length: the body ends when the connection closes
                w.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
Connection: close\r\n\r\n",
                )?;
                for piece in BIG_BODY.chunks(8192) {
                    w.write_all(piece)?;
                }
                w.flush()
            }),
        )
        .route(
            "/data.json",
            fixed(200, &[("Content-Type", "application/json")], JSON_BODY),
        )
        .route(
            "/notes.txt",
            fixed(200, &[("Content-Type", "text/plain; charset=utf-8")], TEXT_BODY),
        )
        .prefix(
            "/item/",
            handler(|req, w| {
                let body = format!(
                    "<!DOCTYPE html>\n<html><head><title>item</title></head><body><p>Listing {}</p></body></html>\n",
                    req.path()
                );
                write_response(w, 200, &[("Content-Type", "text/html; charset=utf-8")], body.as_bytes())
            }),
        )
}

// ---------------------------------------------------------------------------------------------
// RFC 3161 TSA on loopback: `openssl ts -reply` behind an HTTP handler
// ---------------------------------------------------------------------------------------------

pub struct Tsa {
    pub server: TestServer,
    pub dir: TempDir,
    pub requests: Arc<AtomicUsize>,
}

impl Tsa {
    /// Makes a CA + TSA certificate (EC P-256, critical EKU timeStamping) with openssl in a temp
    /// dir, as the research kit's tsa-test.sh does, and serves POST /tsa.
    pub fn start() -> Tsa {
        let dir = tmpdir();
        let d = dir.path();
        fs::write(d.join("tsa.cnf"), TSA_CNF).unwrap();
        let in_dir = |args: &[&str]| {
            run_ok(openssl().args(args).current_dir(d));
        };
        in_dir(&[
            "req",
            "-x509",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "3650",
            "-subj",
            "/CN=Test Root CA",
            "-config",
            "tsa.cnf",
            "-extensions",
            "v3_ca",
        ]);
        in_dir(&[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "tsa.key",
            "-out",
            "tsa.csr",
            "-subj",
            "/CN=Test TSA",
            "-config",
            "tsa.cnf",
        ]);
        in_dir(&[
            "x509",
            "-req",
            "-in",
            "tsa.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "tsa.crt",
            "-days",
            "3650",
            "-extfile",
            "tsa.cnf",
            "-extensions",
            "v3_tsa",
        ]);
        fs::write(d.join("tsaserial"), "01\n").unwrap();

        let requests = Arc::new(AtomicUsize::new(0));
        let lock = Arc::new(Mutex::new(()));
        let tsa_dir = d.to_path_buf();
        let counter = requests.clone();
        let h = handler(move |req, w| {
            if req.method != "POST" {
                return write_response(w, 405, &[("Allow", "POST")], b"POST only\n");
            }
            let ct = req.header("content-type").unwrap_or("");
            if !ct.eq_ignore_ascii_case("application/timestamp-query") {
                let msg =
                    format!("expected Content-Type application/timestamp-query, got {ct:?}\n");
                return write_response(w, 400, &[], msg.as_bytes());
            }
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let _guard = lock.lock().unwrap();
            let q = format!("q-{n}.tsq");
            let r = format!("r-{n}.tsr");
            fs::write(tsa_dir.join(&q), &req.body)?;
            answer_timestamp_query(&tsa_dir, &q, &r, w)
        });
        let server = TestServer::http(Routes::new().route("/tsa", h));
        Tsa {
            server,
            dir,
            requests,
        }
    }

    pub fn url(&self) -> String {
        self.server.url("/tsa")
    }
    pub fn ca_crt(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }
    pub fn tsa_crt(&self) -> PathBuf {
        self.dir.path().join("tsa.crt")
    }
}

// ---------------------------------------------------------------------------------------------
// WARC reading (independent of the product)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct WarcRecord {
    pub headers: Vec<(String, String)>,
    pub block: Vec<u8>,
}

impl WarcRecord {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn warc_type(&self) -> &str {
        self.header("WARC-Type").unwrap_or("")
    }
    /// For request/response records: (HTTP head, HTTP body) of the block.
    pub fn http_parts(&self) -> (String, &[u8]) {
        let i = self
            .block
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("record block has no HTTP head: {:?}", self.headers));
        (
            String::from_utf8_lossy(&self.block[..i]).into_owned(),
            &self.block[i + 4..],
        )
    }
}

/// Parses a (multi-member) gzip WARC file into records.
pub fn read_warc(path: &Path) -> Vec<WarcRecord> {
    let mut data = Vec::new();
    flate2::read::MultiGzDecoder::new(fs::File::open(path).unwrap())
        .read_to_end(&mut data)
        .unwrap_or_else(|e| panic!("{} is not valid gzip: {e}", path.display()));
    let mut records = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        while data[pos..].starts_with(b"\r\n") {
            pos += 2;
        }
        if pos >= data.len() {
            break;
        }
        let rest = &data[pos..];
        let end = rest
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("WARC record at {pos} has no header end"));
        let head = String::from_utf8_lossy(&rest[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let version = lines.next().unwrap_or("");
        assert!(
            version.starts_with("WARC/"),
            "bad WARC version line at {pos}: {version:?}"
        );
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("Content-Length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or_else(|| panic!("WARC record at {pos} has no Content-Length"));
        let start = pos + end + 4;
        assert!(
            start + len <= data.len(),
            "WARC record at {pos} is cut short"
        );
        records.push(WarcRecord {
            headers,
            block: data[start..start + len].to_vec(),
        });
        pos = start + len;
    }
    records
}

// ---------------------------------------------------------------------------------------------
// custody log (independent check of the contract's hash chain + signatures)
// ---------------------------------------------------------------------------------------------

pub const CUSTODY_FIELDS: [&str; 9] = [
    "seq",
    "time",
    "officer",
    "public_key",
    "action",
    "bundle",
    "manifest_sha256",
    "prev",
    "sig",
];

/// Checks custody.jsonl against the contract without using warden: field order, seq,
/// `prev` chain and every Ed25519 `sig`. Returns the parsed lines.
pub fn check_custody(path: &Path) -> Result<Vec<Value>, String> {
    use ed25519_dalek::Verifier as _;
    let text = read_string(path);
    if !text.ends_with('\n') {
        return Err("custody.jsonl does not end with a newline".into());
    }
    let mut prev_line: Option<&str> = None;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let v: Value = serde_json::from_str(line)
            .map_err(|e| format!("line {n} is not JSON ({e}): {line}"))?;
        let mut last = 0;
        for f in CUSTODY_FIELDS {
            let at = line
                .find(&format!("\"{f}\":"))
                .ok_or_else(|| format!("line {n} lacks field {f}: {line}"))?;
            if at < last {
                return Err(format!("line {n}: field {f} out of contract order: {line}"));
            }
            last = at;
        }
        if v["seq"].as_u64() != Some(n as u64) {
            return Err(format!("line {n}: seq is {} (expected {n})", v["seq"]));
        }
        let want_prev = match prev_line {
            None => "0".repeat(64),
            Some(p) => sha256_hex(p.as_bytes()),
        };
        if v["prev"].as_str() != Some(want_prev.as_str()) {
            return Err(format!("line {n}: prev {} != {want_prev}", v["prev"]));
        }
        let cut = line
            .rfind(",\"sig\":\"")
            .ok_or_else(|| format!("line {n}: no ,\"sig\":\" in {line}"))?;
        let signed = format!("{}}}", &line[..cut]);
        let sig_b64 = v["sig"]
            .as_str()
            .ok_or(format!("line {n}: sig not a string"))?;
        let sig = b64()
            .decode(sig_b64)
            .map_err(|e| format!("line {n}: sig not base64: {e}"))?;
        let sig = ed25519_dalek::Signature::from_slice(&sig)
            .map_err(|e| format!("line {n}: sig is not 64 bytes: {e}"))?;
        let pk_b64 = v["public_key"]
            .as_str()
            .ok_or(format!("line {n}: public_key not a string"))?;
        let pk = b64()
            .decode(pk_b64)
            .map_err(|e| format!("line {n}: public_key not base64: {e}"))?;
        let pk: [u8; 32] = pk
            .try_into()
            .map_err(|_| format!("line {n}: public_key is not 32 bytes"))?;
        let vk = ed25519_dalek::VerifyingKey::from_bytes(&pk)
            .map_err(|e| format!("line {n}: bad public key: {e}"))?;
        vk.verify(signed.as_bytes(), &sig)
            .map_err(|e| format!("line {n}: signature does not verify: {e}"))?;
        prev_line = Some(line);
        out.push(v);
    }
    if out.is_empty() {
        return Err("custody.jsonl is empty".into());
    }
    Ok(out)
}

/// Waits for a spawned child up to `limit`, killing it after that. Returns its output.
pub fn wait_with_deadline(mut child: std::process::Child, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "process did not finish within {limit:?}\n{}",
                describe(&out)
            );
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// A one-taxon species list (elephants) whose ivory words cover five scripts: Latin,
/// Vietnamese, Chinese, Thai and Arabic (the report must print all of them).
pub const IVORY_LIST: &str = r#"[list]
name = "report-test"
kind = "species"
version = "1"
sources = ["test"]

[[taxon]]
id = "elephantidae"
scientific_name = "Elephantidae"
rank = "family"
appendix = "I/II"
listing_note = "split listing (test)"
group = "elephants"
[taxon.names]
en = ["elephant"]
[taxon.products]
en = ["ivory"]
vi = ["ngà voi"]
zh-Hans = ["象牙"]
th = ["งาช้าง"]
ar = ["عاج"]
"#;

// ---------------------------------------------------------------------------------------------
// the browser (--browser)
// ---------------------------------------------------------------------------------------------

/// The Chromium the browser tests run (`scripts/test` installs Debian's `chromium`). Panics,
/// never skips, when there is none.
pub fn chrome() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "no Chromium on PATH: the browser tests need it (scripts/test installs Debian's chromium)"
    );
}

/// The arguments for a browser capture with the test Chromium: `--browser --chrome PATH`, and
/// `--no-sandbox` when the tests run as root (Chromium's sandbox does not work there, and warden
/// refuses to go without it unless told).
pub fn browser_args() -> Vec<String> {
    let mut args = vec![
        "--browser".to_string(),
        "--chrome".to_string(),
        chrome().display().to_string(),
    ];
    if unsafe { libc::geteuid() } == 0 {
        args.push("--no-sandbox".into());
    }
    args
}

/// A PNG of `w` x `h` pixels, all of one RGB colour.
pub fn solid_png(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut wr = enc.write_header().unwrap();
    wr.write_image_data(&rgb.repeat((w * h) as usize)).unwrap();
    drop(wr);
    out
}

/// Width, height and RGBA pixels of a PNG.
pub fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut dec = png::Decoder::new(std::io::Cursor::new(bytes));
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width, info.height);
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf[..info.buffer_size()].to_vec(),
        png::ColorType::Rgb => buf[..info.buffer_size()]
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    (w, h, rgba)
}

/// The pages of the browser tests: `/js-listing` draws its listing with JavaScript (the HTML
/// the server sends only says "Loading…"), from `/app.js` and `/api/item.json`, with the photo
/// `/img/photo.png` (red).
pub fn browser_routes() -> Routes {
    let html = [("Content-Type", "text/html; charset=utf-8")];
    Routes::new()
        .route(
            "/js-listing",
            fixed(
                200,
                &html,
                "<!DOCTYPE html><html><head><title>Listing 88</title></head><body><div id=\"app\">Loading…</div><script src=\"/app.js\"></script></body></html>",
            ),
        )
        .route(
            "/app.js",
            fixed(
                200,
                &[("Content-Type", "text/javascript")],
                "fetch('/api/item.json').then(r => r.json()).then(d => { document.getElementById('app').innerHTML = '<h1>' + d.title + '</h1><p>' + d.text + '</p><img id=\"photo\" src=\"/img/photo.png\" width=\"120\" height=\"90\">'; });",
            ),
        )
        .route(
            "/api/item.json",
            fixed(
                200,
                &[("Content-Type", "application/json")],
                r#"{"title":"Antique bangle, hand carved","text":"Real elephant ivory, 120 g, ships worldwide. Message me for the price."}"#,
            ),
        )
        .route(
            "/img/photo.png",
            fixed(200, &[("Content-Type", "image/png")], solid_png(120, 90, [255, 0, 0])),
        )
        .route("/favicon.ico", fixed(404, &[("Content-Type", "text/plain")], "no"))
}

/// Small deterministic PRNG (xorshift64*): the same seed gives the same
/// numbers, so a failing run can be repeated from its printed seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `n` pseudo-random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next() >> 32) as u8).collect()
    }
}
