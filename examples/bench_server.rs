//! A small, std-only HTTP/1.1 server for `scripts/bench-capture`.
//!
//! It listens on 127.0.0.1 only and serves deterministic content:
//!
//! * `/page/N`      a 2–5 KB HTML listing page (same bytes for the same N)
//! * `/big?bytes=N` exactly N bytes of HTML-ish text with a Content-Length,
//!   generated on the fly in 64 KiB chunks (never held in memory whole)
//! * anything else: 404
//!
//! Keep-alive is supported (wget reuses one connection); `Connection: close`
//! from the client, or HTTP/1.0 without keep-alive, closes after the answer.
//! With `--latency-ms N` every answer waits N ms before its first byte (a
//! distant or slow site). One thread per connection. The server exits by
//! itself after
//! `--max-seconds` (default 900) so a benchmark run that dies cannot leave it
//! behind for long.
//!
//! ```text
//! cargo run --release --example bench_server -- --port 0 --max-seconds 600
//! listening on http://127.0.0.1:41234/
//! ```

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

const CHUNK: usize = 64 * 1024;
/// Largest request head accepted (request line plus headers).
const MAX_HEAD: usize = 64 * 1024;
/// Idle keep-alive connections are dropped after this long.
const IDLE: Duration = Duration::from_secs(30);

fn usage() -> ! {
    eprintln!(
        "usage: bench_server [--bind 127.x.y.z] [--port N] [--max-seconds S] [--latency-ms N]"
    );
    std::process::exit(2);
}

fn main() {
    let mut port: u16 = 0;
    let mut bind = std::net::Ipv4Addr::LOCALHOST;
    let mut max_seconds: u64 = 900;
    let mut latency_ms: u64 = 0;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| {
            args.next().unwrap_or_else(|| {
                eprintln!("error: {name} needs a value");
                usage()
            })
        };
        match a.as_str() {
            "--port" => {
                port = value("--port").parse().unwrap_or_else(|_| {
                    eprintln!("error: --port must be a number from 0 to 65535");
                    usage()
                })
            }
            "--bind" => {
                bind = value("--bind")
                    .parse()
                    .ok()
                    .filter(|a: &std::net::Ipv4Addr| a.is_loopback())
                    .unwrap_or_else(|| {
                        eprintln!("error: --bind must be a loopback address (127.x.y.z)");
                        usage()
                    })
            }
            "--max-seconds" => {
                max_seconds = value("--max-seconds").parse().unwrap_or_else(|_| {
                    eprintln!("error: --max-seconds must be a whole number of seconds");
                    usage()
                })
            }
            "--latency-ms" => {
                latency_ms = value("--latency-ms").parse().unwrap_or_else(|_| {
                    eprintln!("error: --latency-ms must be a whole number of milliseconds");
                    usage()
                })
            }
            "-h" | "--help" => {
                println!(
                    "usage: bench_server [--bind 127.x.y.z] [--port N] [--max-seconds S] [--latency-ms N]"
                );
                return;
            }
            other => {
                eprintln!("error: unknown argument {other:?}");
                usage()
            }
        }
    }

    let listener = match TcpListener::bind((bind, port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {bind}:{port}: {e}");
            std::process::exit(1);
        }
    };
    let addr = listener.local_addr().expect("bound socket has an address");
    println!("listening on http://{bind}:{}/", addr.port());
    io::stdout().flush().expect("stdout flush");

    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(max_seconds));
        eprintln!("bench_server: --max-seconds {max_seconds} reached, exiting");
        std::process::exit(0);
    });

    for conn in listener.incoming() {
        match conn {
            Ok(stream) => {
                std::thread::spawn(move || {
                    // A client that goes away mid-answer is not our problem.
                    let _ = serve(stream, Duration::from_millis(latency_ms));
                });
            }
            Err(e) => eprintln!("bench_server: accept failed: {e}"),
        }
    }
}

/// Serves requests on one connection until the client or we close it.
fn serve(stream: TcpStream, latency: Duration) -> io::Result<()> {
    stream.set_read_timeout(Some(IDLE))?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let Some(req) = read_request(&mut reader)? else {
            return Ok(());
        };
        let keep_alive = req.keep_alive;
        if !latency.is_zero() {
            std::thread::sleep(latency);
        }
        respond(&mut out, &req)?;
        if !keep_alive {
            return Ok(());
        }
    }
}

struct Request {
    method: String,
    target: String,
    keep_alive: bool,
}

/// Reads one request head (and skips any body). `None` at a clean end of
/// the connection.
fn read_request(r: &mut BufReader<TcpStream>) -> io::Result<Option<Request>> {
    let mut line = String::new();
    let mut head_len = 0usize;
    // Tolerate blank lines before a request (RFC 9112 §2.2).
    loop {
        line.clear();
        let n = r.read_line(&mut line)?;
        if n == 0 {
            return Ok(None);
        }
        head_len += n;
        if !line.trim().is_empty() {
            break;
        }
        if head_len > MAX_HEAD {
            return Err(io::Error::other("request head too large"));
        }
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let version = parts.next().unwrap_or("HTTP/1.0").to_string();
    let mut keep_alive = version == "HTTP/1.1";
    let mut content_length = 0u64;
    loop {
        line.clear();
        let n = r.read_line(&mut line)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "request head cut short",
            ));
        }
        head_len += n;
        if head_len > MAX_HEAD {
            return Err(io::Error::other("request head too large"));
        }
        let t = line.trim_end();
        if t.is_empty() {
            break;
        }
        if let Some((name, value)) = t.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("connection") {
                for token in value.split(',').map(str::trim) {
                    if token.eq_ignore_ascii_case("close") {
                        keep_alive = false;
                    } else if token.eq_ignore_ascii_case("keep-alive") {
                        keep_alive = true;
                    }
                }
            } else if name.eq_ignore_ascii_case("content-length") {
                content_length = value.parse().unwrap_or(0);
            }
        }
    }
    if content_length > 0 {
        io::copy(&mut r.by_ref().take(content_length), &mut io::sink())?;
    }
    Ok(Some(Request {
        method,
        target,
        keep_alive,
    }))
}

fn respond(out: &mut TcpStream, req: &Request) -> io::Result<()> {
    let head_only = req.method == "HEAD";
    if req.method != "GET" && !head_only {
        return simple(out, req, "405 Method Not Allowed", "only GET and HEAD\n");
    }
    let (path, query) = match req.target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (req.target.as_str(), ""),
    };
    if let Some(n) = path.strip_prefix("/page/") {
        let Ok(n) = n.parse::<u64>() else {
            return simple(out, req, "404 Not Found", "no such page\n");
        };
        let body = listing_page(n);
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\n{}\r\n",
            body.len(),
            connection_header(req)
        );
        let mut msg = head.into_bytes();
        if !head_only {
            msg.extend_from_slice(body.as_bytes());
        }
        out.write_all(&msg)?;
        return out.flush();
    }
    if path == "/big" {
        let bytes = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("bytes="))
            .and_then(|v| v.parse::<u64>().ok());
        let Some(total) = bytes else {
            return simple(out, req, "400 Bad Request", "use /big?bytes=N\n");
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {total}\r\nCache-Control: no-store\r\n{}\r\n",
            connection_header(req)
        );
        out.write_all(head.as_bytes())?;
        if !head_only {
            let mut buf = Vec::with_capacity(CHUNK + 512);
            let mut sent = 0u64;
            let mut index = 0u64;
            while sent < total {
                big_chunk(index, &mut buf);
                let take = (total - sent).min(CHUNK as u64) as usize;
                out.write_all(&buf[..take])?;
                sent += take as u64;
                index += 1;
            }
        }
        return out.flush();
    }
    simple(out, req, "404 Not Found", "not found\n")
}

fn connection_header(req: &Request) -> &'static str {
    if req.keep_alive {
        "Connection: keep-alive\r\n"
    } else {
        "Connection: close\r\n"
    }
}

fn simple(out: &mut TcpStream, req: &Request, status: &str, body: &str) -> io::Result<()> {
    let mut msg = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n{}\r\n",
        body.len(),
        connection_header(req)
    );
    if req.method != "HEAD" {
        msg.push_str(body);
    }
    out.write_all(msg.as_bytes())?;
    out.flush()
}

/// A small deterministic pseudo-random sequence (64-bit LCG, high bits out).
struct Lcg(u64);

impl Lcg {
    fn new(seed: u64) -> Self {
        Lcg(seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(0x2545_F491_4F6C_DD1D))
    }
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }
    fn below(&mut self, n: usize) -> usize {
        self.next() as usize % n
    }
}

#[rustfmt::skip]
const WORDS: &[&str] = &[
    "ivory", "carving", "pangolin", "scale", "rhino", "horn", "tiger", "bone", "wine", "tortoise",
    "shell", "bracelet", "pendant", "antique", "genuine", "rare", "collection", "certificate",
    "shipping", "discreet", "wholesale", "price", "negotiable", "contact", "seller", "bead",
    "helmeted", "hornbill", "casque", "bear", "bile", "powder", "medicine", "traditional",
    "old", "stock", "estate", "sale", "carved", "figurine", "netsuke", "bangle", "comb",
    "raw", "piece", "kilo", "gram", "available", "now", "message", "me", "for", "photos",
];

const SPECIES: &[&str] = &[
    "Manis javanica",
    "Loxodonta africana",
    "Diceros bicornis",
    "Panthera tigris",
    "Rhinoplax vigil",
    "Testudo graeca",
    "Ursus thibetanus",
    "Eretmochelys imbricata",
];

fn words(rng: &mut Lcg, n: usize, out: &mut String) {
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(WORDS[rng.below(WORDS.len())]);
    }
}

/// The listing page for `/page/N`: 2–5 KB, the same bytes for the same N.
fn listing_page(n: u64) -> String {
    let mut rng = Lcg::new(n);
    let mut s = String::with_capacity(6 * 1024);
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    s.push_str(&format!(
        "<title>Bazaar listing page {n}</title>\n<style>body{{font-family:sans-serif}} .price{{color:#a00}}</style>\n</head>\n<body>\n"
    ));
    s.push_str(&format!(
        "<header><h1>Listings, page {n}</h1><nav><a href=\"/page/{}\">previous</a> | <a href=\"/page/{}\">next</a></nav></header>\n<main>\n<ul class=\"listings\">\n",
        n.saturating_sub(1),
        n + 1
    ));
    let items = 10 + rng.below(15);
    for i in 0..items {
        let id = n * 100 + i as u64;
        s.push_str(&format!(
            "<li class=\"item\" id=\"item-{id}\"><a href=\"/item/{id}\">"
        ));
        let count = 3 + rng.below(5);
        words(&mut rng, count, &mut s);
        s.push_str(&format!(
            "</a> <span class=\"price\">${}.{:02}</span> <em>{}</em></li>\n",
            20 + rng.below(2000),
            rng.below(100),
            SPECIES[rng.below(SPECIES.len())]
        ));
    }
    s.push_str("</ul>\n</main>\n<footer><p>");
    let count = 10 + rng.below(20);
    words(&mut rng, count, &mut s);
    s.push_str("</p></footer>\n</body>\n</html>\n");
    s
}

/// Fills `buf` with exactly 64 KiB of HTML-ish text for chunk `index` of a
/// `/big` body. Chunk 0 starts with a document head; every chunk depends
/// only on its index, so the body is the same for every request.
fn big_chunk(index: u64, buf: &mut Vec<u8>) {
    buf.clear();
    if index == 0 {
        buf.extend_from_slice(
            b"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Large listing dump</title></head>\n<body>\n<ul>\n",
        );
    }
    let mut rng = Lcg::new(index ^ 0xB16_B00B5);
    let mut line = String::with_capacity(256);
    while buf.len() < CHUNK {
        line.clear();
        let id = index * 1000 + rng.below(1000) as u64;
        line.push_str("<li><a href=\"/item/");
        line.push_str(&id.to_string());
        line.push_str("\">");
        let count = 3 + rng.below(6);
        words(&mut rng, count, &mut line);
        line.push_str("</a> <span class=\"price\">$");
        line.push_str(&(20 + rng.below(5000)).to_string());
        line.push_str("</span> <em>");
        line.push_str(SPECIES[rng.below(SPECIES.len())]);
        line.push_str("</em></li>\n");
        buf.extend_from_slice(line.as_bytes());
    }
    buf.truncate(CHUNK);
}
