//! `warden capture`

use super::{EXIT_PROBLEMS, Globals};
use anyhow::Context;
use clap::Args;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use warden::capture::{self, CaptureOptions, CaptureOutcome, CaptureStatus, FetchConfig, Progress};

/// The user-agent sent unless --user-agent is given: an ordinary desktop
/// browser, so the capture does not announce itself to the seller.
pub const DEFAULT_USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

#[derive(Args, Debug)]
pub struct CaptureArgs {
    /// Pages to capture (http:// or https://; at most 256 KiB each)
    urls: Vec<String>,
    /// Read more URLs from FILE, one a line, each optionally followed by a TAB and a note for
    /// that URL (blank lines and # comments skipped)
    #[arg(long, value_name = "FILE")]
    from_file: Option<PathBuf>,
    /// A note recorded with every capture (why, what you saw); a URL's own note from
    /// --from-file is recorded after it, on a new line
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    /// RFC 3161 time-stamp authority to stamp each bundle's manifest (reached through --proxy)
    #[arg(long, value_name = "URL")]
    tsa: Option<String>,
    /// How many captures run at once in all
    #[arg(long, default_value_t = 4, value_name = "N")]
    concurrency: usize,
    /// How many captures run at once on one host (by name or address, whatever the port)
    #[arg(long, default_value_t = 2, value_name = "N")]
    per_host: usize,
    /// User-Agent header to send
    #[arg(long, value_name = "S", default_value = DEFAULT_USER_AGENT, hide_default_value = true)]
    user_agent: String,
    /// HTTP proxy to fetch through (http://host:port); time-stamp requests use it too
    #[arg(long, value_name = "URL")]
    proxy: Option<String>,
    /// Seconds to wait for a connection, an answer, or more of the page
    #[arg(long, default_value_t = 30.0, value_name = "S")]
    timeout: f64,
    /// Seconds one page may take in all
    #[arg(long, default_value_t = 600.0, value_name = "S")]
    max_time: f64,
    /// End a page that arrives slower than this many bytes a second, averaged over
    /// --min-rate-time (suffixes K, M allowed; 0 turns the rule off)
    #[arg(long, default_value = "100", value_name = "BYTES_PER_SEC", value_parser = parse_rate)]
    min_rate: u64,
    /// Seconds over which --min-rate is measured
    #[arg(long, default_value_t = 30.0, value_name = "S")]
    min_rate_time: f64,
    /// Largest page to store, in bytes (suffixes K, M, G allowed); larger pages are cut and reported
    #[arg(long, default_value = "512M", value_name = "N", value_parser = parse_size)]
    max_bytes: u64,
    /// Capture even if the site's TLS certificate does not verify (the failure is recorded)
    #[arg(long)]
    accept_invalid_certs: bool,
    /// Also trust the certificate authorities in this PEM file, as well as the computer's own
    /// (repeatable; each one is recorded in capture.json)
    #[arg(long, value_name = "FILE")]
    ca_cert: Vec<PathBuf>,
    /// Follow redirects that lead to a more private address (local network, this computer)
    /// than the URL given; link-local addresses are never followed
    #[arg(long)]
    allow_private: bool,
    /// Also render each page in a real Chromium or Chrome (headless, fresh empty profile) and
    /// keep its full-page screenshot, rendered DOM, MHTML snapshot and every request it made
    #[arg(long)]
    browser: bool,
    /// The browser to run with --browser [default: $WARDEN_CHROME, else chromium, chromium-browser,
    /// google-chrome or google-chrome-stable found on PATH]
    #[arg(long, value_name = "PATH")]
    chrome: Option<PathBuf>,
    /// Browser window size in CSS pixels, as WIDTHxHEIGHT (with --browser)
    #[arg(long, default_value = "1366x900", value_name = "WxH", value_parser = parse_viewport)]
    viewport: (u32, u32),
    /// A Netscape cookies.txt file for pages that need a logged-in session; the cookies are sent
    /// where a browser would send them, and the bundle records their names, never their values
    #[arg(long, value_name = "FILE")]
    cookies: Option<PathBuf>,
    /// Most steps the browser scrolls down to load more of the page (with --browser)
    #[arg(long, default_value_t = 40, value_name = "N")]
    max_scrolls: u32,
    /// Tallest page the screenshot covers, in pixels; a taller page is cut there and the capture
    /// is recorded as partial (with --browser)
    #[arg(long, default_value_t = 40_000, value_name = "PX")]
    max_height: u32,
    /// Run the browser without its sandbox, which warden allows only as root (the sandbox does
    /// not work there, and the page's scripts then run with fewer barriers); prefer running
    /// warden as an ordinary user (with --browser)
    #[arg(long)]
    no_sandbox: bool,
    /// Print one JSON object per capture
    #[arg(long)]
    json: bool,
}

fn parse_viewport(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("{s:?} is not WIDTHxHEIGHT in pixels (e.g. 1366x900; each 200 to 8000)");
    let (w, h) = s.trim().split_once(['x', 'X']).ok_or_else(bad)?;
    let w: u32 = w.trim().parse().map_err(|_| bad())?;
    let h: u32 = h.trim().parse().map_err(|_| bad())?;
    if !(200..=8000).contains(&w) || !(200..=8000).contains(&h) {
        return Err(bad());
    }
    Ok((w, h))
}

/// Browser options with the default window and bounds, after checking the
/// sandbox rule (no sandbox only as root, and required there).
pub(super) fn browser_options(
    chrome: Option<&PathBuf>,
    no_sandbox: bool,
) -> anyhow::Result<capture::browser::BrowserOptions> {
    let root = rustix::process::geteuid().is_root();
    if no_sandbox && !root {
        anyhow::bail!(
            "--no-sandbox is only for running warden as root; as an ordinary user the browser keeps its sandbox: leave --no-sandbox out"
        );
    }
    if root && !no_sandbox {
        anyhow::bail!(
            "--browser as root: Chromium's sandbox, which keeps a hostile page away from this computer, does not work for root; run warden as an ordinary user, or add --no-sandbox to go without it"
        );
    }
    Ok(capture::browser::BrowserOptions {
        chrome: find_chrome(chrome)?,
        viewport: (1366, 900),
        max_scrolls: 40,
        max_height: 40_000,
        no_sandbox,
    })
}

/// The browser for --browser: --chrome, else $WARDEN_CHROME, else the usual
/// names on PATH.
fn find_chrome(given: Option<&PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(p) = given {
        if !p.is_file() {
            anyhow::bail!("--chrome {}: no such file", p.display());
        }
        return Ok(p.clone());
    }
    if let Some(p) = std::env::var_os("WARDEN_CHROME").filter(|v| !v.is_empty()) {
        let p = PathBuf::from(p);
        if !p.is_file() {
            anyhow::bail!("WARDEN_CHROME={}: no such file", p.display());
        }
        return Ok(p);
    }
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ];
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        for n in names {
            let p = dir.join(n);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    anyhow::bail!(
        "--browser needs Chromium or Google Chrome, and none was found (looked for {} on PATH); install it (Debian/Ubuntu: sudo apt-get install chromium) or name it with --chrome PATH or WARDEN_CHROME",
        names.join(", ")
    )
}

fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M') => (&t[..t.len() - 1], 1 << 20),
        Some('G') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    num.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{s:?} is not a size in bytes (e.g. 1000000, 500K, 64M, 2G)"))
}

fn seconds(name: &str, v: f64) -> anyhow::Result<Duration> {
    if !(v.is_finite() && v > 0.0 && v < 1e7) {
        anyhow::bail!("{name} must be a positive number of seconds, not {v}");
    }
    Ok(Duration::from_secs_f64(v))
}

fn parse_rate(s: &str) -> Result<u64, String> {
    if s.trim() == "0" {
        return Ok(0);
    }
    parse_size(s).map_err(|_| format!("{s:?} is not a rate in bytes per second (e.g. 0, 100, 10K)"))
}

pub fn run(a: CaptureArgs, g: &Globals) -> anyhow::Result<ExitCode> {
    // Check every input before touching the case.
    let mut urls = Vec::new();
    for u in &a.urls {
        let url = capture::parse_url(u).map_err(|e| anyhow::anyhow!("URL argument: {e}"))?;
        urls.push(capture::Target { url, note: None });
    }
    if let Some(f) = &a.from_file {
        urls.extend(capture::read_url_file(f)?);
    }
    if urls.is_empty() {
        anyhow::bail!("no URL to capture: give URLs on the command line or with --from-file FILE");
    }
    let tsa = match &a.tsa {
        Some(t) => Some(capture::parse_url(t).map_err(|e| anyhow::anyhow!("--tsa: {e}"))?),
        None => None,
    };
    let proxy = match &a.proxy {
        Some(p) => {
            if p.chars().any(|c| c.is_ascii_control()) {
                anyhow::bail!(
                    "--proxy {p:?} contains a line break, tab or other control character"
                );
            }
            let u =
                url::Url::parse(p).with_context(|| format!("--proxy {p:?} is not a valid URL"))?;
            if u.scheme() != "http" || u.host_str().is_none() {
                anyhow::bail!("--proxy {p:?}: only http://host:port proxies are supported");
            }
            Some(u)
        }
        None => None,
    };
    if a.concurrency == 0 {
        anyhow::bail!("--concurrency must be at least 1");
    }
    if a.per_host == 0 {
        anyhow::bail!("--per-host must be at least 1");
    }
    if a.user_agent.contains(['\r', '\n']) {
        anyhow::bail!("--user-agent must be a single line");
    }
    let (roots, extra_roots) = if a.ca_cert.is_empty() {
        (None, Vec::new())
    } else {
        let (store, added) = capture::roots_with_ca_files(&a.ca_cert)?;
        (Some(std::sync::Arc::new(store)), added)
    };
    let fetch = FetchConfig {
        user_agent: a.user_agent.clone(),
        proxy,
        timeout: seconds("--timeout", a.timeout)?,
        max_time: seconds("--max-time", a.max_time)?,
        max_bytes: a.max_bytes,
        accept_invalid_certs: a.accept_invalid_certs,
        max_redirects: 10,
        allow_private: a.allow_private,
        min_rate: a.min_rate,
        min_rate_time: seconds("--min-rate-time", a.min_rate_time)?,
        roots,
        cookies: match &a.cookies {
            Some(f) => Some(std::sync::Arc::new(capture::cookies::read_cookie_file(f)?)),
            None => None,
        },
        extra_headers: Vec::new(),
    };
    let browser = if a.browser {
        let mut b = browser_options(a.chrome.as_ref(), a.no_sandbox)?;
        b.viewport = a.viewport;
        b.max_scrolls = a.max_scrolls;
        b.max_height = a.max_height.max(100);
        Some(b)
    } else {
        None
    };
    let key = g.officer_key(false)?;
    let case = g.open_case_for_writing(&key)?;
    if browser.is_some() {
        stop_browsers_on_signal();
    }
    report_recovery(&case, &key)?;
    let total = urls.len();
    let opts = CaptureOptions {
        urls,
        note: a.note.clone(),
        tsa,
        concurrency: a.concurrency,
        per_host: a.per_host,
        fetch,
        extra_roots,
        arguments: super::command_line(),
        browser,
        log_checked: false,
    };
    let json = a.json;
    let bar = (!json && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}",
            )
            .expect("valid progress template"),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    });
    let outcomes = capture::run(&case, key, opts, |p| match p {
        Progress::Started { url, in_flight } => {
            if let Some(bar) = &bar {
                bar.set_message(format!("{in_flight} in flight; started {url}"));
            }
        }
        Progress::Finished { outcome, in_flight } => match &bar {
            Some(bar) => {
                bar.inc(1);
                bar.set_message(format!(
                    "{in_flight} in flight; {} {}",
                    outcome.status.as_str(),
                    outcome.url
                ));
                bar.suspend(|| print_outcome(outcome, json));
            }
            None => print_outcome(outcome, json),
        },
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let count = |s: CaptureStatus| outcomes.iter().filter(|o| o.status == s).count();
    let clean = outcomes.iter().filter(|o| o.is_clean()).count();
    let head = outcomes.iter().filter_map(|o| o.custody_seq).max();
    if !json {
        if let Some(seq) = head {
            eprintln!(
                "custody log {} now ends at event {seq}: note this number in your case notes",
                case.custody_path().display()
            );
        }
        eprintln!(
            "captured {total} URL(s): {} ok, {} HTTP error, {} truncated, {} partial, {} failed{}; bundles are in {}",
            count(CaptureStatus::Ok),
            count(CaptureStatus::HttpError),
            count(CaptureStatus::Truncated),
            count(CaptureStatus::Partial),
            count(CaptureStatus::Failed),
            if clean < total {
                format!("; {} need attention (see the lines above)", total - clean)
            } else {
                String::new()
            },
            case.evidence_dir().display()
        );
    }
    Ok(if clean == total {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PROBLEMS)
    })
}

/// On Ctrl-C or a termination signal: kill the browsers `--browser` is
/// running (they would outlive warden), say what becomes of the unfinished
/// captures, and exit 130 (143 for SIGTERM).
fn stop_browsers_on_signal() {
    super::signals::on_signals(|code, _| {
        capture::browser::stop_running_browsers();
        eprintln!(
            "interrupted: the browsers were stopped; captures not finished are set aside (moved to interrupted/ and recorded) by the next capture into this case"
        );
        std::process::exit(code.into());
    });
}

/// Completes or sets aside captures an earlier run left unfinished (crash,
/// kill, full disk), and says what was done, one line each.
pub(super) fn report_recovery(
    case: &warden::case::Case,
    key: &warden::keys::OfficerKey,
) -> anyhow::Result<()> {
    let officer = case.require_officer(key)?.name.clone();
    for r in warden::recovery::recover(case, key, &officer)? {
        let what = match r.disposition {
            warden::recovery::Disposition::Completed => "completed",
            warden::recovery::Disposition::SetAside => "set aside (not evidence)",
        };
        let seq = r
            .custody_seq
            .map(|s| format!(" (custody event {s})"))
            .unwrap_or_default();
        eprintln!(
            "interrupted capture {} {what}: now {}{seq}: {}",
            r.id.escape_debug(),
            r.path.display().to_string().escape_debug(),
            r.reason
        );
    }
    Ok(())
}

/// One line per capture on stdout: JSON with --json, else words.
fn print_outcome(o: &CaptureOutcome, json: bool) {
    if json {
        println!("{}", serde_json::to_string(o).expect("outcome serialises"));
        return;
    }
    let http = o
        .http_status
        .map(|s| s.to_string())
        .unwrap_or_else(|| "---".into());
    let where_ = o
        .bundle
        .as_ref()
        .map(|b| b.display().to_string())
        .unwrap_or_else(|| "(no bundle)".into());
    let mut line = format!("{:<10} {http} {} -> {where_}", o.status.as_str(), o.url);
    if let Some(e) = &o.error {
        line.push_str(&format!("  [{}]", e.replace(['\r', '\n'], " ")));
    }
    println!("{line}");
    // On stderr, so that stdout keeps one line per capture.
    for w in &o.warnings {
        eprintln!(
            "warning: {}: {}",
            o.url.escape_debug(),
            w.replace(['\r', '\n'], " ")
        );
    }
}
