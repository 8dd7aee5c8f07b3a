//! HTTP/1.1 server for the fictional "Demo Market" in `examples/demo-market/`:
//! a small marketplace with a search engine, for trying and testing live
//! sweeps (`warden sweep --target examples/targets/demo-market.toml`) without
//! touching the internet.
//!
//! ```text
//! cargo run --example demo_market -- [--port N] [--max-seconds N] [--listings FILE]
//!                                    [--scale N] [--delay-ms N] [--per-page N]
//! ```
//!
//! * binds 127.0.0.1 only; `--port 0` (the default) picks a free port;
//! * prints exactly one line, `listening on http://127.0.0.1:PORT/`, on stdout
//!   once it accepts connections; everything else goes to stderr;
//! * exits by itself after `--max-seconds` (default 600) so it cannot linger;
//! * reads its listings from `--listings FILE` (default
//!   `examples/demo-market/listings.toml`) at start, and refuses to start if the
//!   file is malformed; `--scale N` adds N synthetic listings (below);
//! * `--delay-ms N` (default 0) waits N ms before answering each request
//!   (except `/__stats` and `/__listings`), to imitate a slow server;
//! * `--per-page N` (default 5) sets how many listings a results page shows.
//!
//! # URL layout
//!
//! | URL | answer |
//! | --- | --- |
//! | `/` | home page with a search form (UTF-8) |
//! | `/search?q=QUERY&page=N` | results of the main section, UTF-8 |
//! | `/listing/ID` | a main-section listing's own page, UTF-8 |
//! | `/cn/` | home page of the Chinese section, **GBK** |
//! | `/cn/search?q=QUERY&page=N` | results of the Chinese section, **GBK**; `QUERY` is read as GBK bytes |
//! | `/cn/listing/ID` | a Chinese-section listing's own page, **GBK** |
//! | `/__stats` | request counts as JSON (below) |
//! | `/__listings` | every listing (synthetic ones included) as JSON Lines: `id`, `section`, `lang`, `expected`, `path`, `taxon` |
//!
//! GBK pages are sent with `Content-Type: text/html; charset=gbk` and
//! `<meta charset="gbk">`; every other page with `charset=utf-8`.
//!
//! Search: `QUERY` is percent-decoded (`+` is a space) as UTF-8 (main section)
//! or GBK (Chinese section; UTF-8 bytes sent there decode to mojibake and find
//! nothing, as on a real GBK site). A listing matches when every word of the
//! query, ignoring case, occurs in its title or description at the start of a
//! word (so `carving` finds `carvings`, `hard` finds `hardly`); words in
//! scripts written without spaces (Chinese, Japanese, Thai…) may occur
//! anywhere. Results keep the order of the listings file (synthetic listings
//! after it), 5 per page (`--per-page`); `page` defaults to 1 and must be a
//! positive integer (else `400`). A page with
//! results has `li.listing` elements (`a.title`, `.snippet` = the whole
//! description, `.price` when there is one, `.seller`, `.date`) and, when a
//! further page exists, `<a rel="next">` to it; a query or page without
//! results answers `200` with a "no results" page and no `li.listing`.
//!
//! # The one 429
//!
//! The first request for page 2 of the query `ivory carving` in the main
//! section (any spelling that decodes to it, ignoring case and extra spaces,
//! e.g. `/search?q=ivory+carving&page=2` or `/search?q=Ivory%20Carving&page=2`)
//! answers `429 Too Many Requests` with `Retry-After: 1`; every later request
//! for it is answered normally. This happens once per server process.
//!
//! # Counting fetches
//!
//! Every request is logged to stderr as one line,
//! `demo_market: METHOD TARGET STATUS`, e.g.
//! `demo_market: GET /search?q=ivory+carving&page=2 429` (TARGET is the
//! request target exactly as received; a malformed request is logged as
//! `demo_market: - - 400`). `GET /__stats` answers
//!
//! ```json
//! {"total": 12, "throttled": 1,
//!  "targets": {"/search?q=ivory+carving&page=2": 2, "/listing/101": 1},
//!  "searches": {"main|2|ivory carving": 2}}
//! ```
//!
//! `targets` counts requests by request target as received; `searches` counts
//! search requests by `SECTION|PAGE|QUERY` with the query decoded, lower-cased
//! and its spaces collapsed (so differently encoded requests for the same
//! results page count together); `throttled` is how many 429s were sent.
//! Requests for `/__stats` and `/__listings` are not counted or logged.
//!
//! # `--scale N`
//!
//! Adds N synthetic listings with ids 100001…100000+N, each a copy of a listing
//! of the file picked by a fixed-seed pseudo-random generator (so the same N
//! always gives the same site), with ` #K` appended to its title, the digits of
//! its price redrawn and a new date. It keeps the section, language and
//! `expected` label of the listing it copies; `/__listings` lists them all.
//!
//! Refuses `..` and `.` segments, `//`, backslashes and NUL in paths (also
//! percent-encoded) with `400`; any other unknown path is a `404` page. Only `std`, `serde`/`toml` (to read the listings file) and
//! `encoding_rs` (GBK) are used.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

/// Listings per results page, unless `--per-page` says otherwise.
const DEFAULT_PER_PAGE: usize = 5;
/// The results page answered 429 once: (section, page, normalised query).
const THROTTLED_ONCE: (Section, usize, &str) = (Section::Main, 2, "ivory carving");
/// First id of the synthetic listings of `--scale`.
const SYNTHETIC_BASE_ID: u64 = 100_000;
const MAX_SCALE: usize = 1_000_000;

const MAX_HEAD_BYTES: usize = 16 * 1024;
const MAX_HEADERS: usize = 100;
const MAX_CONNECTIONS: usize = 64;
const IO_TIMEOUT: Duration = Duration::from_secs(10);

const STYLE: &str = "body{font-family:sans-serif;max-width:48em;margin:1em auto;padding:0 1em}\
.demo-banner{background:#fee;border:1px solid #c99;padding:.4em}\
ol.results{padding-left:1.5em}li.listing{margin:.8em 0}\
.meta{color:#555;font-size:.9em}.price{font-weight:bold}";

// ---------------------------------------------------------------------------
// Listings
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListingsFile {
    listing: Vec<Listing>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
enum Section {
    Main,
    Cn,
}

impl Section {
    fn name(self) -> &'static str {
        match self {
            Section::Main => "main",
            Section::Cn => "cn",
        }
    }
    fn prefix(self) -> &'static str {
        match self {
            Section::Main => "",
            Section::Cn => "/cn",
        }
    }
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Expected {
    Offer,
    Decoy,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Listing {
    id: u64,
    section: Section,
    lang: String,
    expected: Expected,
    title: String,
    description: String,
    price: String,
    seller: String,
    date: String,
    #[serde(default)]
    taxon: Option<String>,
    #[serde(default)]
    #[allow(dead_code)] // documentation for people reading the file
    note: Option<String>,
}

impl Listing {
    fn path(&self) -> String {
        format!("{}/listing/{}", self.section.prefix(), self.id)
    }
}

fn load_listings(path: &PathBuf) -> Result<Vec<Listing>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let file: ListingsFile =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut seen = HashMap::new();
    for l in &file.listing {
        let at = format!("{}: listing {}", path.display(), l.id);
        if l.id == 0 || l.id > SYNTHETIC_BASE_ID {
            return Err(format!(
                "{at}: id must be between 1 and {SYNTHETIC_BASE_ID}"
            ));
        }
        if seen.insert(l.id, ()).is_some() {
            return Err(format!("{at}: duplicate id"));
        }
        if l.title.trim().is_empty() || l.description.trim().is_empty() {
            return Err(format!("{at}: empty title or description"));
        }
        if l.lang.trim().is_empty() || l.seller.trim().is_empty() {
            return Err(format!("{at}: empty lang or seller"));
        }
        let d = l.date.as_bytes();
        let date_ok = d.len() == 10
            && d[4] == b'-'
            && d[7] == b'-'
            && d.iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !date_ok {
            return Err(format!("{at}: date {:?} is not YYYY-MM-DD", l.date));
        }
        if l.section == Section::Cn {
            for (field, value) in [
                ("title", &l.title),
                ("description", &l.description),
                ("price", &l.price),
                ("seller", &l.seller),
            ] {
                if !gbk_round_trips(value) {
                    return Err(format!(
                        "{at}: {field} cannot be written in GBK exactly (section \"cn\")"
                    ));
                }
            }
        }
    }
    if file.listing.is_empty() {
        return Err(format!("{}: no [[listing]]", path.display()));
    }
    Ok(file.listing)
}

fn gbk_round_trips(s: &str) -> bool {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(s);
    if unmappable {
        return false;
    }
    let (back, malformed) = encoding_rs::GBK.decode_without_bom_handling(&bytes);
    !malformed && back == s
}

/// SplitMix64: a tiny deterministic generator for `--scale`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Redraws the first run of ASCII digits of `price` (same number of digits,
/// no leading zero), e.g. `Rp 45.000.000` → `Rp 73.000.000`.
fn redraw_price(price: &str, rng: &mut Rng) -> String {
    let Some(start) = price.find(|c: char| c.is_ascii_digit()) else {
        return price.to_string();
    };
    let len = price[start..]
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(price.len() - start);
    let mut digits = String::with_capacity(len);
    for i in 0..len {
        let d = if i == 0 {
            1 + rng.below(9)
        } else {
            rng.below(10)
        };
        digits.push(char::from(b'0' + d as u8));
    }
    format!("{}{}{}", &price[..start], digits, &price[start + len..])
}

fn synthesize(base: &[Listing], n: usize) -> Vec<Listing> {
    let mut rng = Rng(0x5EED_DE30_0000_0001);
    let mut out = Vec::with_capacity(n);
    for k in 1..=n as u64 {
        let t = &base[rng.below(base.len() as u64) as usize];
        let mut l = t.clone();
        l.id = SYNTHETIC_BASE_ID + k;
        l.title = format!("{} #{k}", t.title);
        l.price = redraw_price(&t.price, &mut rng);
        if !t.price.is_empty() && l.price != t.price {
            l.description = t.description.replace(&t.price, &l.price);
        }
        l.date = format!("2026-{:02}-{:02}", 1 + rng.below(11), 1 + rng.below(28));
        l.note = None;
        out.push(l);
    }
    out
}

// ---------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------

/// Scripts written without spaces between words: a query word in them may
/// match anywhere, not only at the start of a word.
fn unspaced_script(c: char) -> bool {
    matches!(u32::from(c),
        0x0E00..=0x0FFF      // Thai, Lao, Tibetan
        | 0x1000..=0x109F    // Myanmar
        | 0x1780..=0x17FF    // Khmer
        | 0x3040..=0x30FF    // Hiragana, Katakana
        | 0x3400..=0x9FFF    // CJK
        | 0xF900..=0xFAFF    // CJK compatibility
        | 0x20000..=0x2FFFF) // CJK extensions
}

/// Whether `word` (lower case) occurs in `hay` (lower case) at the start of a
/// word, or anywhere for unspaced scripts.
fn word_found(hay: &str, word: &str) -> bool {
    let anywhere = word.chars().next().is_some_and(unspaced_script);
    hay.match_indices(word).any(|(i, _)| {
        anywhere
            || hay[..i]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric())
    })
}

/// Lower case with runs of white space collapsed to one space.
fn normalise_query(q: &str) -> String {
    q.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------
// The site
// ---------------------------------------------------------------------------

#[derive(Default)]
struct Stats {
    total: u64,
    throttled: u64,
    targets: BTreeMap<String, u64>,
    searches: BTreeMap<String, u64>,
}

struct Site {
    listings: Vec<Listing>,
    /// Lower-cased "title\ndescription" of each listing, for search.
    haystacks: Vec<String>,
    by_path: HashMap<String, usize>,
    throttle_sent: AtomicBool,
    stats: Mutex<Stats>,
    delay: Duration,
    per_page: usize,
}

impl Site {
    fn new(listings: Vec<Listing>, delay: Duration, per_page: usize) -> Self {
        let haystacks = listings
            .iter()
            .map(|l| format!("{}\n{}", l.title, l.description).to_lowercase())
            .collect();
        let by_path = listings
            .iter()
            .enumerate()
            .map(|(i, l)| (l.path(), i))
            .collect();
        Site {
            listings,
            haystacks,
            by_path,
            throttle_sent: AtomicBool::new(false),
            stats: Mutex::new(Stats::default()),
            delay,
            per_page,
        }
    }

    fn search(&self, section: Section, query: &str) -> Vec<usize> {
        let words: Vec<&str> = query.split(' ').filter(|w| !w.is_empty()).collect();
        if words.is_empty() {
            return Vec::new();
        }
        (0..self.listings.len())
            .filter(|&i| self.listings[i].section == section)
            .filter(|&i| words.iter().all(|w| word_found(&self.haystacks[i], w)))
            .collect()
    }

    fn count(&self, target: &str, search: Option<String>, throttled: bool) {
        let mut s = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        s.total += 1;
        if throttled {
            s.throttled += 1;
        }
        *s.targets.entry(target.to_string()).or_insert(0) += 1;
        if let Some(key) = search {
            *s.searches.entry(key).or_insert(0) += 1;
        }
    }

    fn stats_json(&self) -> String {
        let s = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        let map = |m: &BTreeMap<String, u64>| {
            let items: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {v}", json_string(k)))
                .collect();
            format!("{{{}}}", items.join(", "))
        };
        format!(
            "{{\"total\": {}, \"throttled\": {}, \"targets\": {}, \"searches\": {}}}\n",
            s.total,
            s.throttled,
            map(&s.targets),
            map(&s.searches)
        )
    }

    fn listings_jsonl(&self) -> String {
        let mut out = String::new();
        for l in &self.listings {
            let _ = writeln!(
                out,
                "{{\"id\": {}, \"section\": \"{}\", \"lang\": {}, \"expected\": \"{}\", \"path\": {}, \"taxon\": {}}}",
                l.id,
                l.section.name(),
                json_string(&l.lang),
                match l.expected {
                    Expected::Offer => "offer",
                    Expected::Decoy => "decoy",
                },
                json_string(&l.path()),
                l.taxon.as_deref().map_or("null".to_string(), json_string),
            );
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

struct Options {
    port: u16,
    max_seconds: u64,
    listings: PathBuf,
    scale: usize,
    delay_ms: u64,
    per_page: usize,
}

fn usage() -> &'static str {
    "usage: demo_market [--port N] [--max-seconds N] [--listings FILE] [--scale N]\n\
     \x20                  [--delay-ms N] [--per-page N]\n\
     \n\
     Serves the fictional Demo Market (a searchable marketplace) on http://127.0.0.1:PORT/.\n\
     \x20 --port N         port to bind on 127.0.0.1 (default 0: any free port)\n\
     \x20 --max-seconds N  exit after N seconds (default 600)\n\
     \x20 --listings FILE  listings file (default: examples/demo-market/listings.toml)\n\
     \x20 --scale N        add N synthetic listings (deterministic; default 0)\n\
     \x20 --delay-ms N     wait N ms before each answer (default 0)\n\
     \x20 --per-page N     listings per results page (default 5)\n\
     See the top of examples/demo_market.rs for the URLs, the one 429 and /__stats."
}

fn parse_args() -> Result<Option<Options>, String> {
    let mut opts = Options {
        port: 0,
        max_seconds: 600,
        listings: PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/demo-market/listings.toml"
        )),
        scale: 0,
        delay_ms: 0,
        per_page: DEFAULT_PER_PAGE,
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
            "--listings" => opts.listings = PathBuf::from(value("--listings")?),
            "--scale" => {
                let v = value("--scale")?;
                opts.scale = v.parse().ok().filter(|n| *n <= MAX_SCALE).ok_or_else(|| {
                    format!("--scale {v:?} is not a number from 0 to {MAX_SCALE}")
                })?;
            }
            "--delay-ms" => {
                let v = value("--delay-ms")?;
                opts.delay_ms =
                    v.parse().ok().filter(|n| *n <= 600_000).ok_or_else(|| {
                        format!("--delay-ms {v:?} is not a number from 0 to 600000")
                    })?;
            }
            "--per-page" => {
                let v = value("--per-page")?;
                opts.per_page = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| format!("--per-page {v:?} is not a number from 1 to 1000"))?;
            }
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
    let mut listings = match load_listings(&opts.listings) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let file_count = listings.len();
    let synthetic = synthesize(&listings, opts.scale);
    listings.extend(synthetic);

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
        eprintln!("demo_market: --max-seconds {max_seconds} reached, exiting");
        std::process::exit(0);
    });

    let cn = listings.iter().filter(|l| l.section == Section::Cn).count();
    eprintln!(
        "demo_market: {} listings ({file_count} from {}, {} synthetic; {} main, {cn} cn); \
         page {} of {:?} ({}) answers 429 once",
        listings.len(),
        opts.listings.display(),
        opts.scale,
        listings.len() - cn,
        THROTTLED_ONCE.1,
        THROTTLED_ONCE.2,
        THROTTLED_ONCE.0.name(),
    );
    let site = Arc::new(Site::new(
        listings,
        Duration::from_millis(opts.delay_ms),
        opts.per_page,
    ));

    {
        let mut out = io::stdout().lock();
        if writeln!(out, "listening on http://127.0.0.1:{port}/")
            .and_then(|()| out.flush())
            .is_err()
        {
            // Nobody reads our stdout any more; keep serving regardless.
        }
    }

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
        let site = Arc::clone(&site);
        let active = Arc::clone(&active);
        thread::spawn(move || {
            if let Err(e) = handle(stream, &site) {
                eprintln!("demo_market: connection error: {e}");
            }
            active.fetch_sub(1, Ordering::SeqCst);
        });
    }
    ExitCode::SUCCESS
}

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

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

    /// An HTML page, encoded for its section.
    fn html(status: u16, section: Section, html: &str) -> Self {
        let (body, charset) = match section {
            Section::Main => (html.as_bytes().to_vec(), "utf-8"),
            Section::Cn => (encoding_rs::GBK.encode(html).0.into_owned(), "gbk"),
        };
        Response {
            status,
            headers: vec![("Content-Type", format!("text/html; charset={charset}"))],
            body,
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

fn handle(stream: TcpStream, site: &Site) -> io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;

    let (method, response) = match read_head(&mut reader) {
        Ok(Some((method, target))) => {
            let internal = matches!(target.split('?').next(), Some("/__stats" | "/__listings"));
            if !internal && !site.delay.is_zero() {
                thread::sleep(site.delay);
            }
            let (response, search) = respond(&method, &target, site);
            if !internal {
                site.count(&target, search, response.status == 429);
                eprintln!("demo_market: {method} {target} {}", response.status);
            }
            (method, response)
        }
        Ok(None) => return Ok(()), // connection closed before a request
        Err(status) => {
            eprintln!("demo_market: - - {status}");
            ("-".into(), Response::text(status, "bad request\n"))
        }
    };
    send(&mut stream, &response, method == "HEAD")?;
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
    if target.is_empty() {
        return Err(400);
    }
    Ok(Some((method.to_string(), target.to_string())))
}

/// The response, and the `searches` key of /__stats when it is a search.
fn respond(method: &str, target: &str, site: &Site) -> (Response, Option<String>) {
    if method != "GET" && method != "HEAD" {
        let mut r = Response::text(405, "only GET and HEAD are supported\n");
        r.headers.push(("Allow", "GET, HEAD".into()));
        return (r, None);
    }
    // Accept absolute-form targets too (as sent to proxies).
    let target = match target.strip_prefix("http://") {
        Some(rest) => match rest.find('/') {
            Some(i) => &rest[i..],
            None => "/",
        },
        None => target,
    };
    let target = target.split('#').next().unwrap_or("");
    let (raw_path, query) = match target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (target, ""),
    };
    if !raw_path.starts_with('/') {
        return (
            Response::text(400, "request target must start with /\n"),
            None,
        );
    }
    let Some(path) = percent_decode(raw_path, false).and_then(|b| String::from_utf8(b).ok()) else {
        return (Response::text(400, "bad percent-encoding in path\n"), None);
    };
    if path.contains(['\\', '\0'])
        || path.split('/').any(|seg| seg == ".." || seg == ".")
        || path.contains("//")
    {
        return (Response::text(400, "path traversal refused\n"), None);
    }

    match path.as_str() {
        "/__stats" => {
            let mut r = Response::text(200, &site.stats_json());
            r.headers[0].1 = "application/json".into();
            return (r, None);
        }
        "/__listings" => {
            let mut r = Response::text(200, &site.listings_jsonl());
            r.headers[0].1 = "application/jsonl; charset=utf-8".into();
            return (r, None);
        }
        "/" | "/index.html" => return (home(Section::Main), None),
        "/cn" | "/cn/" | "/cn/index.html" => return (home(Section::Cn), None),
        "/search" => return search_page(site, Section::Main, query),
        "/cn/search" => return search_page(site, Section::Cn, query),
        _ => {}
    }
    if let Some(&i) = site.by_path.get(&path) {
        return (listing_page(&site.listings[i]), None);
    }
    let section = if path.starts_with("/cn/") {
        Section::Cn
    } else {
        Section::Main
    };
    (not_found(section), None)
}

/// Query-string parameters, values as raw bytes (`+` is a space).
fn parse_query(query: &str) -> Option<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = String::from_utf8(percent_decode(name, true)?).ok()?;
        out.push((name, percent_decode(value, true)?));
    }
    Some(out)
}

fn search_page(site: &Site, section: Section, query: &str) -> (Response, Option<String>) {
    let Some(params) = parse_query(query) else {
        return (Response::text(400, "bad percent-encoding in query\n"), None);
    };
    let get = |name: &str| params.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let raw_q = get("q").cloned().unwrap_or_default();
    let q = match section {
        Section::Main => String::from_utf8_lossy(&raw_q).into_owned(),
        Section::Cn => encoding_rs::GBK
            .decode_without_bom_handling(&raw_q)
            .0
            .into_owned(),
    };
    let page = match get("page") {
        None => 1,
        Some(v) => match std::str::from_utf8(v)
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
        {
            Some(n) if (1..=1_000_000).contains(&n) => n,
            _ => {
                return (
                    Response::text(400, "page must be a positive integer\n"),
                    None,
                );
            }
        },
    };
    let norm = normalise_query(&q);
    let key = format!("{}|{page}|{norm}", section.name());

    if (section, page, norm.as_str()) == THROTTLED_ONCE
        && !site.throttle_sent.swap(true, Ordering::SeqCst)
    {
        let mut r = Response::html(
            429,
            section,
            &page_html(
                section,
                "Too many requests",
                "<h1>Too many requests</h1>\n<p>Please slow down and try again in a second.</p>\n",
            ),
        );
        r.headers.push(("Retry-After", "1".into()));
        return (r, Some(key));
    }

    let hits = site.search(section, &norm);
    let per_page = site.per_page;
    let first = (page - 1).saturating_mul(per_page);
    let shown: &[usize] = hits
        .get(first..)
        .map_or(&[], |rest| &rest[..rest.len().min(per_page)]);
    let t = texts(section);
    let qh = escape(&q);
    let mut body = String::new();
    let _ = writeln!(body, "<h1>{} “{qh}”</h1>", t.results_for);
    if norm.is_empty() {
        let _ = writeln!(body, "<p class=\"no-results\">{}</p>", t.empty_query);
    } else if shown.is_empty() {
        let _ = writeln!(body, "<p class=\"no-results\">{}</p>", t.no_results);
    } else {
        let pages = hits.len().div_ceil(per_page);
        let _ = writeln!(
            body,
            "<p class=\"count\">{}</p>",
            (t.count)(hits.len(), page, pages)
        );
        let _ = writeln!(body, "<ol class=\"results\" start=\"{}\">", first + 1);
        for &i in shown {
            let l = &site.listings[i];
            let _ = writeln!(
                body,
                "<li class=\"listing\" data-id=\"{}\" lang=\"{}\">\n\
                 <a class=\"title\" href=\"{}\">{}</a>\n\
                 <p class=\"snippet\">{}</p>\n\
                 <p class=\"meta\">{}<span class=\"seller\">{}</span> · \
                 <time class=\"date\" datetime=\"{}\">{}</time></p>\n</li>",
                l.id,
                escape(&l.lang),
                l.path(),
                escape(&l.title),
                escape(&l.description),
                if l.price.is_empty() {
                    String::new()
                } else {
                    format!("<span class=\"price\">{}</span> · ", escape(&l.price))
                },
                escape(&l.seller),
                escape(&l.date),
                escape(&l.date),
            );
        }
        body.push_str("</ol>\n<nav class=\"pager\">");
        let link = |p: usize| {
            format!(
                "{}/search?q={}&amp;page={p}",
                section.prefix(),
                percent_encode(&raw_q)
            )
        };
        if page > 1 {
            let _ = write!(
                body,
                "<a rel=\"prev\" href=\"{}\">{}</a> ",
                link(page - 1),
                t.prev
            );
        }
        if first + per_page < hits.len() {
            let _ = write!(
                body,
                "<a rel=\"next\" href=\"{}\">{}</a>",
                link(page + 1),
                t.next
            );
        }
        body.push_str("</nav>\n");
    }
    let title = format!("{} “{qh}” ({page})", t.results_for);
    (
        Response::html(200, section, &page_html(section, &title, &body)),
        Some(key),
    )
}

fn listing_page(l: &Listing) -> Response {
    let t = texts(l.section);
    let mut body = String::new();
    let _ = write!(
        body,
        "<article class=\"listing-page\" data-id=\"{id}\" lang=\"{lang}\">\n\
         <h1 class=\"title\">{title}</h1>\n",
        id = l.id,
        lang = escape(&l.lang),
        title = escape(&l.title),
    );
    if !l.price.is_empty() {
        let _ = writeln!(body, "<p class=\"price\">{}</p>", escape(&l.price));
    }
    let _ = write!(
        body,
        "<div class=\"description\"><p>{desc}</p></div>\n\
         <p class=\"meta\">{no} {id} · <time class=\"date\" datetime=\"{date}\">{date}</time> · \
         {seller_label} <span class=\"seller\">{seller}</span></p>\n</article>\n\
         <p><a href=\"{home}\">{back}</a></p>\n",
        desc = escape(&l.description),
        no = t.listing_no,
        id = l.id,
        date = escape(&l.date),
        seller_label = t.seller,
        seller = escape(&l.seller),
        home = if l.section == Section::Cn {
            "/cn/"
        } else {
            "/"
        },
        back = t.back,
    );
    Response::html(
        200,
        l.section,
        &page_html(l.section, &escape(&l.title), &body),
    )
}

fn home(section: Section) -> Response {
    let t = texts(section);
    let examples: &[&str] = match section {
        Section::Main => &[
            "ivory carving",
            "pangolin scales",
            "ngà voi",
            "gading gajah",
            "pangolin géant",
        ],
        Section::Cn => &["象牙", "犀角杯", "炮山甲", "虎骨酒"],
    };
    let mut body = format!("<h1>{}</h1>\n<p>{}</p>\n<ul>\n", t.site, t.intro);
    for q in examples {
        let raw = match section {
            Section::Main => q.as_bytes().to_vec(),
            Section::Cn => encoding_rs::GBK.encode(q).0.into_owned(),
        };
        let _ = writeln!(
            body,
            "<li><a href=\"{}/search?q={}\">{}</a></li>",
            section.prefix(),
            percent_encode(&raw),
            escape(q)
        );
    }
    body.push_str("</ul>\n");
    let _ = writeln!(body, "<p>{}</p>", t.other_section);
    Response::html(200, section, &page_html(section, t.site, &body))
}

fn not_found(section: Section) -> Response {
    let t = texts(section);
    let body = format!("<h1>404</h1>\n<p>{}</p>\n", t.not_found);
    Response::html(404, section, &page_html(section, "404", &body))
}

/// Labels of each section.
struct Texts {
    lang: &'static str,
    charset: &'static str,
    site: &'static str,
    intro: &'static str,
    other_section: &'static str,
    banner: &'static str,
    search: &'static str,
    results_for: &'static str,
    empty_query: &'static str,
    no_results: &'static str,
    count: fn(usize, usize, usize) -> String,
    prev: &'static str,
    next: &'static str,
    listing_no: &'static str,
    seller: &'static str,
    back: &'static str,
    not_found: &'static str,
}

fn texts(section: Section) -> Texts {
    match section {
        Section::Main => Texts {
            lang: "en",
            charset: "utf-8",
            site: "Demo Market",
            intro: "Collectibles, curios, pets and more. Try a search:",
            other_section: "Chinese-language section: <a href=\"/cn/\">中文站</a> (GBK).",
            banner: "FICTIONAL DEMO SITE for testing warden. Every seller, listing, phone number \
                     and handle on this site is made up.",
            search: "Search",
            results_for: "Results for",
            empty_query: "Type a word to search for.",
            no_results: "No results. Try other words.",
            count: |n, p, pages| format!("{n} results · page {p} of {pages}"),
            prev: "Previous page",
            next: "Next page",
            listing_no: "Listing",
            seller: "seller",
            back: "Back to Demo Market",
            not_found: "This page does not exist (or the listing was removed).",
        },
        Section::Cn => Texts {
            lang: "zh-Hans",
            charset: "gbk",
            site: "演示市场 中文站",
            intro: "古玩、文玩、药材。搜索示例：",
            other_section: "English section: <a href=\"/\">Demo Market</a>.",
            banner: "演示网站（虚构），仅用于测试 warden。所有卖家、商品、电话号码均为虚构。",
            search: "搜索",
            results_for: "搜索结果",
            empty_query: "请输入搜索关键词。",
            no_results: "没有找到相关商品。",
            count: |n, p, pages| format!("共 {n} 件商品 · 第 {p} 页，共 {pages} 页"),
            prev: "上一页",
            next: "下一页",
            listing_no: "商品编号",
            seller: "卖家",
            back: "返回首页",
            not_found: "页面不存在（或商品已下架）。",
        },
    }
}

/// A whole page; `title` and `body` are HTML (already escaped).
fn page_html(section: Section, title: &str, body: &str) -> String {
    let t = texts(section);
    let home = if section == Section::Cn { "/cn/" } else { "/" };
    let charset_attr = if section == Section::Cn {
        " accept-charset=\"gbk\""
    } else {
        ""
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"{charset}\">\n\
         <title>{title} - {site}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <p class=\"demo-banner\">{banner}</p>\n\
         <header><a href=\"{home}\">{site}</a>\n\
         <form action=\"{prefix}/search\" method=\"get\"{charset_attr}>\
         <input name=\"q\" type=\"search\"> <button>{search}</button></form></header>\n\
         <main>\n{body}</main>\n\
         <footer>{site} · demo-market.example (fictional)</footer>\n</body>\n</html>\n",
        lang = t.lang,
        charset = t.charset,
        site = t.site,
        banner = t.banner,
        prefix = section.prefix(),
        search = t.search,
    )
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Percent-decodes `s` to bytes; with `plus`, `+` is a space (query strings).
fn percent_decode(s: &str, plus: bool) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

/// Percent-encodes bytes for a query string (space as `+`).
fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

fn send(stream: &mut TcpStream, r: &Response, head_only: bool) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nDate: {}\r\nServer: warden-demo-market\r\n",
        r.status,
        reason(r.status),
        http_date(SystemTime::now())
    );
    for (name, value) in &r.headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    let _ = write!(
        head,
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        r.body.len()
    );
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
