//! Static HTTP/1.1 server for the fictional "Bazaar Example" marketplace in
//! `examples/demo-site/`, used by `scripts/demo` and for trying `warden` by hand
//! without touching the internet.
//!
//! ```text
//! cargo run --example demo_site -- [--port N] [--max-seconds N] [--root DIR]
//! ```
//!
//! * binds 127.0.0.1 only; `--port 0` (the default) picks a free port;
//! * prints exactly one line, `listening on http://127.0.0.1:PORT/`, on stdout
//!   once it accepts connections; request logs go to stderr;
//! * `/item/1042` answers `301 Moved Permanently` with a relative `Location`
//!   (an old listing URL that moved);
//! * a missing file answers `404 Not Found` with `404.html` as the body;
//! * `/gzip/<path>` serves `<path>` with `Content-Encoding: gzip`, whatever the
//!   client's `Accept-Encoding` says (as some careless servers do);
//! * the GBK page is served with `charset=gbk`; the Shift_JIS page is served as
//!   plain `text/html`, so its charset is known only from its `<meta>`;
//! * refuses `..`, backslashes, NUL and hidden (`.` or `_`) path segments, and
//!   never serves a file whose real path is outside the site folder;
//! * exits by itself after `--max-seconds` (default 600) so it cannot linger.
//!
//! Only `std` and `flate2` are used.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Old listing URLs that moved (301), as `(from, to)`.
const REDIRECTS: &[(&str, &str)] = &[(
    "/item/1042",
    "/listings/1042-carved-bovine-bone-bangle.html",
)];

/// Pages whose HTTP charset parameter differs from the UTF-8 default.
/// `None` means "send no charset parameter at all".
const CHARSETS: &[(&str, Option<&str>)] = &[
    ("listings/1071-xiangya-shouzhuo.html", Some("gbk")),
    ("listings/1078-zouge-hanbai.html", None),
];

const MAX_HEAD_BYTES: usize = 16 * 1024;
const MAX_HEADERS: usize = 100;
const MAX_CONNECTIONS: usize = 64;
const IO_TIMEOUT: Duration = Duration::from_secs(10);

struct Options {
    port: u16,
    max_seconds: u64,
    root: PathBuf,
}

fn usage() -> &'static str {
    "usage: demo_site [--port N] [--max-seconds N] [--root DIR]\n\
     \n\
     Serves the fictional demo marketplace on http://127.0.0.1:PORT/.\n\
     \x20 --port N         port to bind on 127.0.0.1 (default 0: any free port)\n\
     \x20 --max-seconds N  exit after N seconds (default 600)\n\
     \x20 --root DIR       site folder (default: examples/demo-site in this package)"
}

fn parse_args() -> Result<Option<Options>, String> {
    let mut opts = Options {
        port: 0,
        max_seconds: 600,
        root: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo-site")),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "-h" | "--help" => {
                println!("{}", usage());
                return Ok(None);
            }
            "--port" => {
                let v = value("--port")?;
                opts.port = v
                    .parse()
                    .map_err(|_| format!("--port {v:?} is not a port number (0-65535)"))?;
            }
            "--max-seconds" => {
                let v = value("--max-seconds")?;
                opts.max_seconds = v
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("--max-seconds {v:?} is not a positive number"))?;
            }
            "--root" => opts.root = PathBuf::from(value("--root")?),
            other => return Err(format!("unknown argument {other:?}\n{}", usage())),
        }
    }
    Ok(Some(opts))
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(Some(o)) => o,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let root = match opts.root.canonicalize() {
        Ok(r) if r.is_dir() => r,
        _ => {
            eprintln!("error: site folder {} not found", opts.root.display());
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(("127.0.0.1", opts.port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot bind 127.0.0.1:{}: {e}", opts.port);
            return ExitCode::from(2);
        }
    };
    let port = match listener.local_addr() {
        Ok(a) => a.port(),
        Err(e) => {
            eprintln!("error: cannot read the bound address: {e}");
            return ExitCode::from(2);
        }
    };

    let max_seconds = opts.max_seconds;
    thread::spawn(move || {
        thread::sleep(Duration::from_secs(max_seconds));
        eprintln!("demo_site: --max-seconds {max_seconds} reached, exiting");
        std::process::exit(0);
    });

    {
        let mut out = io::stdout().lock();
        if writeln!(out, "listening on http://127.0.0.1:{port}/")
            .and_then(|()| out.flush())
            .is_err()
        {
            // Nobody reads our stdout any more; keep serving regardless.
        }
    }

    let root = Arc::new(root);
    let active = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::SeqCst);
            let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
            let _ = send(
                &mut stream,
                &Response::text(503, "too many connections\n"),
                false,
            );
            continue;
        }
        let root = Arc::clone(&root);
        let active = Arc::clone(&active);
        thread::spawn(move || {
            if let Err(e) = handle(stream, &root) {
                eprintln!("demo_site: connection error: {e}");
            }
            active.fetch_sub(1, Ordering::SeqCst);
        });
    }
    ExitCode::SUCCESS
}

struct Response {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Response {
    fn text(status: u16, body: &str) -> Self {
        Response {
            status,
            headers: vec![("Content-Type", "text/plain; charset=utf-8".into())],
            body: body.as_bytes().to_vec(),
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

fn handle(stream: TcpStream, root: &Path) -> io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let peer = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| "?".into());
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;

    let (method, target, response) = match read_head(&mut reader) {
        Ok(Some((method, target))) => {
            let response = respond(&method, &target, root);
            (method, target, response)
        }
        Ok(None) => return Ok(()), // connection closed before a request
        Err(status) => (
            "-".into(),
            "-".into(),
            Response::text(status, "bad request\n"),
        ),
    };
    let head_only = method == "HEAD";
    eprintln!(
        "demo_site: {peer} \"{method} {target}\" {} {}",
        response.status,
        response.body.len()
    );
    send(&mut stream, &response, head_only)?;
    // Drain briefly so the client sees our response rather than a reset.
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let _ = io::copy(&mut reader.take(64 * 1024), &mut io::sink());
    Ok(())
}

/// Reads the request line and headers. `Ok(None)` if the peer closed first;
/// `Err(status)` for a malformed or oversized request.
fn read_head(reader: &mut impl BufRead) -> Result<Option<(String, String)>, u16> {
    let mut total = 0usize;
    let mut lines = Vec::new();
    loop {
        let mut line = Vec::new();
        let n = reader
            .by_ref()
            .take((MAX_HEAD_BYTES - total + 1) as u64)
            .read_until(b'\n', &mut line)
            .map_err(|_| 400u16)?;
        if n == 0 {
            return if lines.is_empty() { Ok(None) } else { Err(400) };
        }
        total += n;
        if total > MAX_HEAD_BYTES || lines.len() > MAX_HEADERS {
            return Err(431);
        }
        if !line.ends_with(b"\n") {
            return Err(400);
        }
        let text = String::from_utf8(line).map_err(|_| 400u16)?;
        let text = text.trim_end_matches(['\r', '\n']).to_string();
        if text.is_empty() {
            if lines.is_empty() {
                continue; // tolerate a stray CRLF before the request line
            }
            break;
        }
        lines.push(text);
    }
    let mut parts = lines[0].split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(400);
    };
    if !version.starts_with("HTTP/1.") {
        return Err(505);
    }
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(400);
    }
    Ok(Some((method.to_string(), target.to_string())))
}

fn respond(method: &str, target: &str, root: &Path) -> Response {
    if method != "GET" && method != "HEAD" {
        let mut r = Response::text(405, "only GET and HEAD are supported\n");
        r.headers.push(("Allow", "GET, HEAD".into()));
        return r;
    }
    // Accept absolute-form targets too (as sent to proxies).
    let path = match target.strip_prefix("http://") {
        Some(rest) => match rest.find('/') {
            Some(i) => &rest[i..],
            None => "/",
        },
        None => target,
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return Response::text(400, "request target must start with /\n");
    }
    let Some(path) = percent_decode(path) else {
        return Response::text(400, "bad percent-encoding in path\n");
    };
    if path.contains(['\\', '\0']) || path.split('/').any(|seg| seg == "..") {
        return Response::text(400, "path traversal refused\n");
    }

    if let Some((_, to)) = REDIRECTS.iter().find(|(from, _)| *from == path) {
        let body = format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Moved</title></head>\
             <body><p>This listing moved to <a href=\"{to}\">{to}</a>.</p></body></html>\n"
        );
        return Response {
            status: 301,
            headers: vec![
                ("Location", (*to).to_string()),
                ("Content-Type", "text/html; charset=utf-8".into()),
            ],
            body: body.into_bytes(),
        };
    }

    let (gzip, path) = match path.strip_prefix("/gzip/") {
        Some(rest) => (true, format!("/{rest}")),
        None => (false, path),
    };
    let mut response = match serve_file(root, &path) {
        Some(r) => r,
        None => not_found(root),
    };
    if gzip && response.status == 200 {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        match enc.write_all(&response.body).and_then(|()| enc.finish()) {
            Ok(compressed) => {
                response.body = compressed;
                response.headers.push(("Content-Encoding", "gzip".into()));
                response.headers.push(("Vary", "Accept-Encoding".into()));
            }
            Err(_) => return Response::text(500, "gzip failed\n"),
        }
    }
    response
}

/// Maps a decoded URL path to a file under `root`; `None` means 404.
fn serve_file(root: &Path, path: &str) -> Option<Response> {
    let mut rel: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if rel
        .iter()
        .any(|seg| seg.starts_with('.') || seg.starts_with('_'))
    {
        return None;
    }
    if path.ends_with('/') {
        rel.push("index.html");
    }
    let mut file = root.to_path_buf();
    file.extend(&rel);
    if file.is_dir() {
        file.push("index.html");
    }
    // Resolve symlinks and make sure we are still inside the site folder.
    let real = file.canonicalize().ok()?;
    if !real.starts_with(root) || !real.is_file() {
        return None;
    }
    let body = std::fs::read(&real).ok()?;
    let rel_path = real
        .strip_prefix(root)
        .ok()?
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    Some(Response {
        status: 200,
        headers: vec![("Content-Type", content_type(&rel_path))],
        body,
    })
}

fn not_found(root: &Path) -> Response {
    match std::fs::read(root.join("404.html")) {
        Ok(body) => Response {
            status: 404,
            headers: vec![("Content-Type", "text/html; charset=utf-8".into())],
            body,
        },
        Err(_) => Response::text(404, "not found\n"),
    }
}

fn content_type(rel_path: &str) -> String {
    let ext = rel_path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let (mime, textual) = match ext.as_str() {
        "html" | "htm" => ("text/html", true),
        "css" => ("text/css", true),
        "txt" => ("text/plain", true),
        "md" => ("text/markdown", true),
        "js" => ("text/javascript", true),
        "json" => ("application/json", false),
        "xml" => ("application/xml", false),
        "svg" => ("image/svg+xml", false),
        "png" => ("image/png", false),
        "jpg" | "jpeg" => ("image/jpeg", false),
        "gif" => ("image/gif", false),
        "webp" => ("image/webp", false),
        "ico" => ("image/x-icon", false),
        _ => ("application/octet-stream", false),
    };
    let charset = match CHARSETS.iter().find(|(p, _)| *p == rel_path) {
        Some((_, cs)) => *cs,
        None if textual => Some("utf-8"),
        None => None,
    };
    match charset {
        Some(cs) => format!("{mime}; charset={cs}"),
        None => mime.to_string(),
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn send(stream: &mut TcpStream, r: &Response, head_only: bool) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nDate: {}\r\nServer: warden-demo-site\r\n",
        r.status,
        reason(r.status),
        http_date(SystemTime::now())
    );
    for (name, value) in &r.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        r.body.len()
    ));
    stream.write_all(head.as_bytes())?;
    if !head_only {
        stream.write_all(&r.body)?;
    }
    stream.flush()
}

/// IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
fn http_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[days.rem_euclid(7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
