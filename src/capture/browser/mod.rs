//! `warden capture --browser`: the page as a real Chromium renders it, kept
//! beside the bytes the server sent. One fresh browser with an empty
//! profile per capture; every request it makes is sent by warden and
//! recorded (see [`intercept`]); then the page is left to settle, scrolled
//! to the bottom in steps (lazy loading), and its screenshot, rendered DOM
//! and MHTML snapshot are taken. Every wait is bounded; a page that does
//! not settle, a dialog, a crash or a dying browser is recorded, never a
//! hang, and the browser process is killed when the capture ends.

pub(crate) mod image;
pub(crate) mod intercept;
mod process_tree;

use super::fetch::{FetchConfig, Hop};
use super::policy::HopPolicy;
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::fetch::{
    EnableParams as FetchEnable, EventRequestPaused, RequestPattern, RequestStage,
};
use chromiumoxide::cdp::browser_protocol::inspector::{
    EnableParams as InspectorEnable, EventTargetCrashed,
};
use chromiumoxide::cdp::browser_protocol::network::{
    CookieParam, SetCookiesParams, TimeSinceEpoch,
};
use chromiumoxide::cdp::browser_protocol::page::{
    CaptureScreenshotFormat, CaptureScreenshotParams, CaptureSnapshotFormat, CaptureSnapshotParams,
    DialogType, EventJavascriptDialogOpening, HandleJavaScriptDialogParams, NavigateParams,
    Viewport as Clip,
};
use chromiumoxide::handler::viewport::Viewport;
use futures::StreamExt;
use intercept::{Interceptor, MainHop, NetworkEntry, Resource};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;

/// Quiet time (no request open or answered) after which a page counts as
/// settled.
const QUIET: Duration = Duration::from_millis(500);
/// Quiet time after one scroll step.
const SCROLL_QUIET: Duration = Duration::from_millis(300);
/// Longest wait for one scroll step to settle.
const SCROLL_WAIT: Duration = Duration::from_secs(5);
/// Extra time to collect what was rendered once the page's time is up.
const COLLECT_GRACE: Duration = Duration::from_secs(30);
/// Height of the band on the stamped screenshot, in pixels.
const BAND_HEIGHT: u32 = 84;
/// Longest dialog message or DOM kept.
const MAX_DIALOG_MESSAGE: usize = 2048;
const MAX_DOM_BYTES: usize = 64 << 20;
/// Most resource bytes of a page whose MHTML snapshot is taken.
const MAX_MHTML_RESOURCES: u64 = 256 << 20;
/// Widest screenshot, in pixels, and most pixels in one screenshot.
const MAX_WIDTH: u32 = 8192;
const MAX_PIXELS: u64 = 120_000_000;
/// Most dialogs answered and recorded.
const MAX_DIALOGS: usize = 100;

/// The browsers running now: process id and profile folder.
static RUNNING: Mutex<Vec<(u32, PathBuf)>> = Mutex::new(Vec::new());

/// Kills the browsers this program is running now and deletes their
/// profiles (which may hold a session's cookies), for a program stopped by
/// a signal; a browser is otherwise killed, and its profile deleted, when
/// its capture ends.
pub fn stop_running_browsers() {
    let running = match RUNNING.lock() {
        Ok(r) => r.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    for (pid, _) in &running {
        process_tree::kill_tree(*pid);
    }
    for (_, profile) in &running {
        // The browser's children may still be writing for a moment.
        for _ in 0..20 {
            if crate::browser_profile::remove(profile).is_ok() || !profile.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Keeps a browser in [`RUNNING`] while it lives.
struct Registered(Option<u32>);

impl Drop for Registered {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let mut r = match RUNNING.lock() {
                Ok(r) => r,
                Err(poisoned) => poisoned.into_inner(),
            };
            r.retain(|(p, _)| *p != pid);
        }
    }
}

/// How to run the browser (from `warden capture --browser`).
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    /// The Chromium or Chrome executable.
    pub chrome: PathBuf,
    /// Window and viewport, in CSS pixels.
    pub viewport: (u32, u32),
    /// Most scroll steps to the bottom of the page.
    pub max_scrolls: u32,
    /// Tallest page captured, in pixels; a taller page is cut there.
    pub max_height: u32,
    /// Whether the browser may not use its sandbox (only as root).
    pub no_sandbox: bool,
}

/// What capture.json says about the browser part (`browser`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BrowserRecord {
    pub product: Option<String>,
    pub protocol_version: Option<String>,
    pub user_agent: Option<String>,
    pub executable: String,
    pub launch_flags: Vec<String>,
    pub profile: String,
    pub viewport: [u32; 2],
    pub navigation_error: Option<String>,
    /// The tab's address when the screenshot was made.
    pub shown_url: Option<String>,
    pub settled: bool,
    pub scrolls: u32,
    pub max_scrolls: u32,
    pub document_width: Option<u32>,
    pub document_height: Option<u32>,
    pub max_height: u32,
    pub height_cut: bool,
    pub screenshot: Option<ImageRecord>,
    pub stamped_screenshot: Option<ImageRecord>,
    pub dom: Option<String>,
    pub mhtml: Option<String>,
    pub network: Option<String>,
    pub requests: usize,
    pub requests_fetched: usize,
    pub requests_not_fetched: usize,
    pub dialogs: Vec<DialogRecord>,
    /// Why the browser part is incomplete (the capture is then `partial`).
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ImageRecord {
    pub file: String,
    pub width: u32,
    pub height: u32,
    /// When the browser made the screenshot (UTC).
    pub taken_at: String,
}

/// A JavaScript dialog the page opened, and how warden answered it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DialogRecord {
    pub kind: String,
    pub message: String,
    pub url: String,
    pub answer: String,
}

/// Everything the browser part produced, for the bundle.
pub(crate) struct BrowserCapture {
    pub record: BrowserRecord,
    /// What the officer must know about how the render relates to the
    /// capture (recorded as warnings).
    pub notices: Vec<String>,
    pub screenshot: Option<Vec<u8>>,
    pub stamped: Option<Vec<u8>>,
    pub dom: Option<String>,
    pub mhtml: Option<String>,
    pub network: Vec<NetworkEntry>,
    pub resources: Vec<Resource>,
}

/// warden's launch flags: a locked-down headless browser that talks to no
/// one but warden (every request it makes is answered by warden; anything
/// it would send past warden goes to a closed local port and fails). The
/// DevTools library adds the rest: headless, `--hide-scrollbars`,
/// `--mute-audio`, `--disable-extensions`, the profile, the window size and,
/// with `no_sandbox`, `--no-sandbox`.
fn launch_flags(user_agent: &str) -> Vec<String> {
    let mut f: Vec<String> = [
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-breakpad",
        "--disable-client-side-phishing-detection",
        "--disable-domain-reliability",
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--disable-quic",
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--metrics-recording-only",
        "--password-store=basic",
        "--use-mock-keychain",
        "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,HttpsUpgrades,IsolateOrigins,site-per-process,InterestFeedContentSuggestions",
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    f.push(format!("--user-agent={user_agent}"));
    f
}

/// Shared state of the tasks watching the page.
#[derive(Default)]
struct Watch {
    dialogs: Vec<DialogRecord>,
    /// The tab crashed.
    crashed: bool,
    /// The connection to the browser ended (its process died).
    gone: bool,
    /// Dialogs answered, recorded or not.
    dialogs_seen: usize,
}

impl Watch {
    fn stopped(&self) -> bool {
        self.crashed || self.gone
    }
}

/// Why a step of the browser part did not complete.
type Step<T> = Result<T, String>;

async fn step<T, E: std::fmt::Display>(
    what: &str,
    limit: Duration,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Step<T> {
    match tokio::time::timeout(limit, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!(
            "{what}: no answer from the browser within {} s",
            limit.as_secs_f64()
        )),
    }
}

/// Renders `url` (whose redirect chain warden fetched as `hops`) in a
/// fresh browser. `work` is a scratch folder (the profile goes there);
/// `id` and the capture time go on the stamped screenshot.
pub(crate) async fn capture(
    url: &Url,
    hops: &[Hop],
    opts: &BrowserOptions,
    cfg: &FetchConfig,
    work: &Path,
    id: &str,
) -> BrowserCapture {
    let started = Instant::now();
    let deadline = started + cfg.max_time;
    let flags = launch_flags(&cfg.user_agent);
    let record = BrowserRecord {
        product: None,
        protocol_version: None,
        user_agent: Some(cfg.user_agent.clone()),
        executable: opts.chrome.display().to_string(),
        launch_flags: flags.clone(),
        profile: "a new, empty profile made for this capture and deleted after it".into(),
        viewport: [opts.viewport.0, opts.viewport.1],
        navigation_error: None,
        shown_url: None,
        settled: false,
        scrolls: 0,
        max_scrolls: opts.max_scrolls,
        document_width: None,
        document_height: None,
        max_height: opts.max_height,
        height_cut: false,
        screenshot: None,
        stamped_screenshot: None,
        dom: None,
        mhtml: None,
        network: None,
        requests: 0,
        requests_fetched: 0,
        requests_not_fetched: 0,
        dialogs: Vec::new(),
        problems: Vec::new(),
    };
    let mut out = BrowserCapture {
        record,
        notices: Vec::new(),
        screenshot: None,
        stamped: None,
        dom: None,
        mhtml: None,
        network: Vec::new(),
        resources: Vec::new(),
    };
    let profile = work.join("browser-profile");
    if let Err(e) = std::fs::create_dir_all(work).and_then(|()| std::fs::create_dir(&profile)) {
        out.record
            .problems
            .push(format!("cannot make the browser's profile folder: {e}"));
        return out;
    }
    let mut builder = BrowserConfig::builder()
        .chrome_executable(&opts.chrome)
        .user_data_dir(&profile)
        .disable_default_args()
        // The DevTools library writes the leading "--" itself.
        .args(
            flags
                .iter()
                .map(|f| f.trim_start_matches("--").to_string())
                .collect::<Vec<_>>(),
        )
        .new_headless_mode()
        .window_size(opts.viewport.0, opts.viewport.1)
        .viewport(Viewport {
            width: opts.viewport.0,
            height: opts.viewport.1,
            device_scale_factor: Some(1.0),
            emulating_mobile: false,
            is_landscape: false,
            has_touch: false,
        })
        .launch_timeout(cfg.timeout)
        .request_timeout(cfg.timeout);
    if opts.no_sandbox {
        builder = builder.no_sandbox();
    }
    let config = match builder.build() {
        Ok(c) => c,
        Err(e) => {
            out.record
                .problems
                .push(format!("cannot start the browser: {e}"));
            return out;
        }
    };
    let (mut browser, mut handler) = match Browser::launch(config).await {
        Ok(b) => b,
        Err(e) => {
            out.record.problems.push(format!(
                "cannot start the browser {}: {e}",
                opts.chrome.display()
            ));
            return out;
        }
    };
    let pid = browser.get_mut_child().and_then(|c| c.inner.id());
    if let (Some(pid), Ok(mut r)) = (pid, RUNNING.lock()) {
        r.push((pid, profile.clone()));
    }
    let registered = Registered(pid);
    // The flags as the browser got them (warden's, and those the DevTools
    // library adds: headless, debugging port, profile, window size).
    if let Some(pid) = pid
        && let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline"))
    {
        out.record.launch_flags = cmdline
            .split(|b| *b == 0)
            .skip(1)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
    }
    let watch = Arc::new(Mutex::new(Watch::default()));
    let pump = {
        let watch = watch.clone();
        tokio::spawn(async move {
            // The handler reports a broken connection as an error (again and
            // again), not as the end of the stream.
            while let Some(r) = handler.next().await {
                if matches!(
                    r,
                    Err(chromiumoxide::error::CdpError::Ws(_)
                        | chromiumoxide::error::CdpError::Io(_))
                ) {
                    break;
                }
            }
            watch.lock().expect("watch lock").gone = true;
        })
    };
    let result = drive(
        &browser, url, hops, opts, cfg, work, id, deadline, &watch, &mut out,
    )
    .await;
    if watch.lock().expect("watch lock").gone {
        out.record.problems.push(
            "the browser stopped while showing the page (its process ended or its connection closed)"
                .into(),
        );
    }
    if let Err(e) = result {
        out.record.problems.push(e);
    }
    // The browser goes, whatever happened: asked politely, then killed.
    if tokio::time::timeout(Duration::from_secs(5), browser.close())
        .await
        .is_err()
    {
        out.record
            .problems
            .push("the browser did not close when asked; it was killed".into());
    }
    // With its children (renderers, GPU, zygote), which would otherwise
    // linger until they notice; the browser is warden's child and not yet
    // waited for, so its process id still names it.
    if let Some(pid) = pid {
        process_tree::kill_tree(pid);
    }
    let _ = browser.kill().await;
    let _ = tokio::time::timeout(Duration::from_secs(5), browser.wait()).await;
    drop(registered);
    pump.abort();
    let _ = crate::browser_profile::remove(&profile);
    out
}

/// The whole browser session after launch; `Err` for a problem that ended
/// it early (what was collected before is kept in `out`).
#[allow(clippy::too_many_arguments)]
async fn drive(
    browser: &Browser,
    url: &Url,
    hops: &[Hop],
    opts: &BrowserOptions,
    cfg: &FetchConfig,
    work: &Path,
    id: &str,
    deadline: Instant,
    watch: &Arc<Mutex<Watch>>,
    out: &mut BrowserCapture,
) -> Step<()> {
    let wait = cfg.timeout;
    if let Ok(v) = step("asking the browser its version", wait, browser.version()).await {
        out.record.product = Some(v.product);
        out.record.protocol_version = Some(v.protocol_version);
    }
    let page = step("opening a tab", wait, browser.new_page("about:blank")).await?;
    // Dialogs are answered at once (they would stop the page) and recorded.
    let mut dialogs = step(
        "watching for dialogs",
        wait,
        page.event_listener::<EventJavascriptDialogOpening>(),
    )
    .await?;
    {
        let page = page.clone();
        let watch = watch.clone();
        tokio::spawn(async move {
            while let Some(ev) = dialogs.next().await {
                let accept = matches!(ev.r#type, DialogType::Alert | DialogType::Beforeunload);
                let _ = tokio::time::timeout(
                    Duration::from_secs(10),
                    page.execute(HandleJavaScriptDialogParams::new(accept)),
                )
                .await;
                let mut w = watch.lock().expect("watch lock");
                w.dialogs_seen += 1;
                if w.dialogs.len() < MAX_DIALOGS {
                    let mut message: String = ev.message.clone();
                    if message.len() > MAX_DIALOG_MESSAGE {
                        message.truncate(message.floor_char_boundary(MAX_DIALOG_MESSAGE));
                        message.push_str(" [cut]");
                    }
                    w.dialogs.push(DialogRecord {
                        kind: AsRef::<str>::as_ref(&ev.r#type).to_string(),
                        message,
                        url: ev.url.clone(),
                        answer: if accept {
                            "accepted (OK)"
                        } else {
                            "dismissed (Cancel)"
                        }
                        .into(),
                    });
                }
            }
        });
    }
    let _ = step(
        "watching for crashes",
        wait,
        page.execute(InspectorEnable::default()),
    )
    .await;
    if let Ok(mut crashes) = page.event_listener::<EventTargetCrashed>().await {
        let watch = watch.clone();
        tokio::spawn(async move {
            if crashes.next().await.is_some() {
                watch.lock().expect("watch lock").crashed = true;
            }
        });
    }
    // Every request of the tab is answered by warden.
    let main = main_hops(hops, work, &mut out.record.problems);
    let rule = match hops.first().and_then(|h| h.address_class) {
        Some(limit) => HopPolicy::Redirect {
            limit,
            allow_private: cfg.allow_private,
        },
        // Not known: the strictest rule.
        None => HopPolicy::Redirect {
            limit: super::policy::AddrClass::Public,
            allow_private: cfg.allow_private,
        },
    };
    let interceptor = Arc::new(Interceptor::new(
        page.clone(),
        cfg.clone(),
        work.to_path_buf(),
        rule,
        main,
    ));
    let mut paused = step(
        "watching the tab's requests",
        wait,
        page.event_listener::<EventRequestPaused>(),
    )
    .await?;
    // The answering tasks live in this task's set: when the capture has
    // taken its record, aborting it stops every request still in flight, so
    // nothing is sent to the site after the capture ends.
    let answering = {
        let interceptor = interceptor.clone();
        tokio::spawn(async move {
            let mut tasks = tokio::task::JoinSet::new();
            loop {
                tokio::select! {
                    ev = paused.next() => match ev {
                        Some(ev) => {
                            tasks.spawn(interceptor.clone().handle(ev));
                        }
                        None => break,
                    },
                    Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                }
            }
            while tasks.join_next().await.is_some() {}
        })
    };
    let answering = AbortOnDrop(answering);
    let enable = FetchEnable::builder()
        .pattern(
            RequestPattern::builder()
                .url_pattern("*")
                .request_stage(RequestStage::Request)
                .build(),
        )
        .build();
    step("taking over the tab's requests", wait, page.execute(enable)).await?;
    if let Some(c) = &cfg.cookies {
        let params: Vec<CookieParam> = c
            .cookies
            .iter()
            .map(|k| {
                let mut p = CookieParam::new(k.name.clone(), k.value.clone());
                if k.include_subdomains || k.domain.starts_with('.') {
                    p.domain = Some(k.domain.clone());
                } else {
                    // A host-only cookie: set by URL, so that it is not
                    // sent to subdomains.
                    let scheme = if k.secure { "https" } else { "http" };
                    p.url = Some(format!("{scheme}://{}{}", k.domain, k.path));
                }
                p.path = Some(k.path.clone());
                p.secure = Some(k.secure);
                p.http_only = Some(k.http_only);
                if k.expires > 0 {
                    p.expires = Some(TimeSinceEpoch::new(k.expires as f64));
                }
                p
            })
            .collect();
        step(
            "loading the session cookies",
            wait,
            page.execute(SetCookiesParams::new(params)),
        )
        .await?;
    }

    let left = |d: Instant| d.saturating_duration_since(Instant::now());
    // The navigation's answer can wait for the whole page to load, so it
    // runs beside the wait for the page to settle, which bounds both.
    let nav = {
        let page = page.clone();
        let target = url.to_string();
        tokio::spawn(async move { page.execute(NavigateParams::new(target)).await })
    };
    // Settle: no request open and none answered for a moment, and the
    // document complete; at most --timeout.
    let settle_until = (Instant::now() + wait).min(deadline);
    out.record.settled = settle(&page, &interceptor, watch, QUIET, settle_until, true).await;
    if nav.is_finished() {
        if let Ok(Ok(r)) = nav.await
            && let Some(e) = &r.result.error_text
        {
            out.record.navigation_error = Some(e.clone());
            out.record
                .problems
                .push(format!("the browser could not load the page: {e}"));
        }
    } else {
        nav.abort();
    }
    if !out.record.settled && !watch.lock().expect("watch lock").stopped() {
        let open = interceptor.seen.lock().expect("seen lock").open;
        out.record.problems.push(format!(
            "the page had not settled after {} s (requests still open: {open}); what it showed then was captured",
            wait.as_secs_f64().min(cfg.max_time.as_secs_f64())
        ));
    }
    // Scroll to the bottom in steps, for lazy loading and infinite scroll.
    let mut last_height = 0u32;
    while out.record.scrolls < opts.max_scrolls && Instant::now() < deadline {
        if watch.lock().expect("watch lock").stopped() {
            break;
        }
        let Ok(m) = measure(&page, wait.min(left(deadline))).await else {
            break;
        };
        if m.height > opts.max_height {
            // Decided (and recorded) when the screenshot is taken.
            break;
        }
        if m.y + m.inner >= m.height && m.height == last_height {
            break;
        }
        last_height = m.height;
        if own_eval(
            &page,
            "scrolling",
            "window.scrollBy(0, window.innerHeight); true",
            wait.min(left(deadline)),
        )
        .await
        .is_err()
        {
            break;
        }
        out.record.scrolls += 1;
        let until = (Instant::now() + SCROLL_WAIT).min(deadline);
        settle(&page, &interceptor, watch, SCROLL_QUIET, until, false).await;
    }
    if out.record.scrolls >= opts.max_scrolls
        && opts.max_scrolls > 0
        && let Ok(m) = measure(&page, wait).await
        && m.y + m.inner < m.height
    {
        out.record.problems.push(format!(
            "stopped scrolling after --max-scrolls ({}) steps before the bottom of the page; more may load further down",
            opts.max_scrolls
        ));
    }
    let collect = (Instant::now() + COLLECT_GRACE).max(deadline);
    let _ = own_eval(
        &page,
        "scrolling back to the top",
        "window.scrollTo(0, 0); true",
        wait.min(left(collect)),
    )
    .await;
    let until = (Instant::now() + SCROLL_WAIT).min(collect);
    settle(&page, &interceptor, watch, SCROLL_QUIET, until, false).await;
    if watch.lock().expect("watch lock").crashed {
        out.record
            .problems
            .push("the browser tab crashed while showing the page".into());
    }

    // What was rendered.
    let m = measure(&page, wait.min(left(collect))).await;
    match m {
        Ok(m) => {
            out.record.document_width = Some(m.width);
            out.record.document_height = Some(m.height);
            let width = m.width.clamp(1, MAX_WIDTH);
            if m.width > MAX_WIDTH {
                out.record.problems.push(format!(
                    "the page is {} px wide, more than the {MAX_WIDTH} px limit; the screenshot shows its left {MAX_WIDTH} px",
                    m.width
                ));
            }
            let limit = opts
                .max_height
                .min(u32::try_from(MAX_PIXELS / u64::from(width)).unwrap_or(u32::MAX));
            let height = if m.height > limit {
                out.record.height_cut = true;
                limit
            } else {
                m.height.max(1)
            };
            if out.record.height_cut {
                out.record.problems.push(format!(
                    "the page is {} px tall, more than the {limit} px limit; the screenshot shows its top {limit} px",
                    m.height
                ));
            }
            let shot = screenshot(
                &page,
                width,
                height,
                wait.min(left(collect)).max(Duration::from_secs(5)),
            )
            .await;
            let taken_at = chrono::Utc::now();
            // Where the tab was when the screenshot was made (a page can
            // move itself away from the captured address).
            if let Ok(serde_json::Value::String(href)) = own_eval(
                &page,
                "reading the page's address",
                "location.href",
                wait.min(left(collect)).max(Duration::from_secs(5)),
            )
            .await
            {
                out.record.shown_url = Some(href);
            }
            match shot {
                Ok(png) => {
                    match image::size(&png) {
                        Ok((w, h)) => {
                            out.record.screenshot = Some(ImageRecord {
                                file: "data/screenshot.png".into(),
                                width: w,
                                height: h,
                                taken_at: crate::format_time(taken_at),
                            })
                        }
                        Err(e) => out.record.problems.push(e.to_string()),
                    }
                    out.screenshot = Some(png);
                }
                Err(e) => out.record.problems.push(e),
            }
        }
        Err(e) => out.record.problems.push(e),
    }
    // Cut in the page, so a huge DOM never crosses into warden whole (the
    // cut is in UTF-16 units, below MAX_DOM_BYTES of UTF-8 for any text).
    let dom_js = format!(
        "(() => {{ const d = document.doctype ? new XMLSerializer().serializeToString(document.doctype) + '\\n' : ''; const s = d + document.documentElement.outerHTML; return s.length > {n} ? [true, s.slice(0, {n})] : [false, s]; }})()",
        n = MAX_DOM_BYTES / 3
    );
    let mut dom_cut = false;
    match own_eval(
        &page,
        "reading the rendered DOM",
        &dom_js,
        wait.min(left(collect)).max(Duration::from_secs(5)),
    )
    .await
    {
        Ok(v) => match serde_json::from_value::<(bool, String)>(v) {
            Ok((cut, dom)) => {
                if cut {
                    dom_cut = true;
                    out.record.problems.push(format!(
                        "the rendered DOM is longer than {} characters; data/dom.html holds its start and no MHTML snapshot was taken",
                        MAX_DOM_BYTES / 3
                    ));
                }
                out.record.dom = Some("data/dom.html".into());
                out.dom = Some(dom);
            }
            Err(e) => out
                .record
                .problems
                .push(format!("reading the rendered DOM: {e}")),
        },
        Err(e) => out.record.problems.push(e),
    }
    // The snapshot holds every resource of the page (base64): taken only
    // when the page is of a size that fits in memory several times over.
    let loaded = interceptor.seen.lock().expect("seen lock").bytes;
    if dom_cut {
    } else if loaded > MAX_MHTML_RESOURCES {
        out.record.problems.push(format!(
            "no MHTML snapshot: the page's resources came to {} MiB, more than {} MiB",
            loaded >> 20,
            MAX_MHTML_RESOURCES >> 20
        ));
    } else {
        let snap = CaptureSnapshotParams::builder()
            .format(CaptureSnapshotFormat::Mhtml)
            .build();
        match step(
            "taking the MHTML snapshot",
            wait.min(left(collect)).max(Duration::from_secs(5)),
            page.execute(snap),
        )
        .await
        {
            Ok(r) => {
                out.record.mhtml = Some("data/page.mhtml".into());
                out.mhtml = Some(r.result.data);
            }
            Err(e) => out.record.problems.push(e),
        }
    }
    if let Some(shot) = &out.screenshot
        && let Some(rec) = &out.record.screenshot
    {
        let shown = out.record.shown_url.clone();
        let band = Band {
            id,
            taken_at: &rec.taken_at,
            requested: url,
            shown: shown.as_deref(),
        };
        match stamp(
            browser,
            shot,
            rec.width,
            &band,
            wait.min(left(collect)).max(Duration::from_secs(5)),
        )
        .await
        {
            Ok(png) => {
                if let Ok((w, h)) = image::size(&png) {
                    out.record.stamped_screenshot = Some(ImageRecord {
                        file: "data/screenshot-stamped.png".into(),
                        width: w,
                        height: h,
                        taken_at: crate::format_time(chrono::Utc::now()),
                    });
                    out.stamped = Some(png);
                }
            }
            Err(e) => out.record.problems.push(e),
        }
    }
    // Requests still being answered get a moment to finish, then the
    // record is taken as it stands.
    let until = Instant::now() + Duration::from_secs(2);
    while interceptor.seen.lock().expect("seen lock").open > 0 && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut seen = std::mem::take(&mut *interceptor.seen.lock().expect("seen lock"));
    drop(answering);
    let unfinished = std::mem::take(&mut seen.pending);
    if !unfinished.is_empty() {
        out.record.problems.push(format!(
            "{} request(s) of the page were still being fetched when the capture ended (listed in data/network.json)",
            unfinished.len()
        ));
    }
    seen.entries.extend(unfinished.into_values());
    out.record.requests = seen.entries.len();
    out.record.requests_fetched = seen
        .entries
        .iter()
        .filter(|e| e.source == "fetched")
        .count();
    out.record.requests_not_fetched = seen
        .entries
        .iter()
        .filter(|e| e.source == "not-fetched")
        .count();
    if seen.entries_dropped > 0 {
        out.record.problems.push(format!(
            "the page made more than {} requests; data/network.json lists the first {} ({} more were answered or refused but not listed)",
            intercept::MAX_ENTRIES,
            intercept::MAX_ENTRIES,
            seen.entries_dropped
        ));
    }
    if seen.refused_for_limits > 0 {
        out.record.problems.push(format!(
            "{} request(s) of the page were not fetched: the capture already held {} resources or {} MiB of them",
            seen.refused_for_limits,
            intercept::MAX_RESOURCES,
            intercept::MAX_RESOURCE_BYTES >> 20
        ));
    }
    out.network = seen.entries;
    out.network.sort_by(|a, b| a.started_at.cmp(&b.started_at));
    out.resources = seen.resources;
    out.record.network = Some("data/network.json".into());
    {
        let mut w = watch.lock().expect("watch lock");
        if w.dialogs_seen > w.dialogs.len() {
            out.notices.push(format!(
                "the page opened {} JavaScript dialogs; warden answered each, and records the first {MAX_DIALOGS}",
                w.dialogs_seen
            ));
        }
        out.record.dialogs = std::mem::take(&mut w.dialogs);
    }
    // Did the browser show the response on file?
    let unserved = interceptor.main.lock().expect("main lock").len();
    let served = out.network.iter().any(|e| e.source == "capture");
    if !served {
        out.notices.push(
            "the browser never asked for the captured page itself, so what it showed was not drawn from the response on file".into(),
        );
    } else if unserved > 0 {
        out.notices.push(format!(
            "the browser did not follow the captured redirect chain to its end ({unserved} hop(s) not asked for)"
        ));
    }
    let fresh_documents = out
        .network
        .iter()
        .filter(|e| e.resource_type == "Document" && e.source == "fetched")
        .count();
    if fresh_documents > 0 {
        out.notices.push(format!(
            "the page loaded {fresh_documents} other document(s) (frames, or a new page it moved to) that warden fetched for it; they are in data/network.json and the WARC, not in data/page.*"
        ));
    }
    if let Some(shown) = &out.record.shown_url
        && let Some(last) = hops.last()
        && shown.split('#').next() != Some(last.url.as_str().split('#').next().unwrap_or(""))
    {
        out.notices.push(format!(
            "when the screenshot was made the tab showed {}, not the captured address {}",
            crate::text::one_line(shown),
            last.url
        ));
    }
    Ok(())
}

/// Aborts a task when dropped (on every way out of [`drive`]).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `expr` in a script world of warden's own (an isolated world of the
/// page's main frame): the page's scripts cannot redefine what it calls
/// (`outerHTML`, `scrollBy`, `Math.max`…), so they cannot make warden
/// record another DOM or size than the browser holds. Returns the value.
async fn own_eval(
    page: &chromiumoxide::Page,
    what: &str,
    expr: &str,
    limit: Duration,
) -> Step<serde_json::Value> {
    use chromiumoxide::cdp::browser_protocol::page::CreateIsolatedWorldParams;
    use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
    let frame = step(what, limit, page.mainframe())
        .await?
        .ok_or_else(|| format!("{what}: the page has no main frame"))?;
    let world = CreateIsolatedWorldParams::builder()
        .frame_id(frame)
        .world_name("warden")
        .build()
        .map_err(|e| format!("{what}: internal error: {e}"))?;
    let ctx = step(what, limit, page.execute(world))
        .await?
        .result
        .execution_context_id;
    let eval = EvaluateParams::builder()
        .expression(expr)
        .context_id(ctx)
        .return_by_value(true)
        .build()
        .map_err(|e| format!("{what}: internal error: {e}"))?;
    let r = step(what, limit, page.execute(eval)).await?.result;
    if let Some(ex) = r.exception_details {
        return Err(format!(
            "{what}: the script failed: {}",
            crate::text::one_line(&ex.text)
        ));
    }
    Ok(r.result.value.unwrap_or(serde_json::Value::Null))
}

/// The page's scroll position and size, in CSS pixels.
struct Metrics {
    y: u32,
    inner: u32,
    width: u32,
    height: u32,
}

async fn measure(page: &chromiumoxide::Page, limit: Duration) -> Step<Metrics> {
    let js = "(() => { const e = document.documentElement, b = document.body; return [Math.round(window.scrollY), window.innerHeight, Math.max(e.scrollWidth, b ? b.scrollWidth : 0, window.innerWidth), Math.max(e.scrollHeight, b ? b.scrollHeight : 0)]; })()";
    let v = own_eval(
        page,
        "measuring the page",
        js,
        limit.max(Duration::from_secs(1)),
    )
    .await?;
    let v: Vec<f64> = serde_json::from_value(v).map_err(|e| format!("measuring the page: {e}"))?;
    let g = |i: usize| v.get(i).copied().unwrap_or(0.0).clamp(0.0, u32::MAX as f64) as u32;
    Ok(Metrics {
        y: g(0),
        inner: g(1),
        width: g(2),
        height: g(3),
    })
}

/// Waits until no request has been open or answered for `quiet` (and,
/// with `complete`, the document has finished loading), or until `until`.
/// True when the page settled.
async fn settle(
    page: &chromiumoxide::Page,
    interceptor: &Interceptor,
    watch: &Mutex<Watch>,
    quiet: Duration,
    until: Instant,
    complete: bool,
) -> bool {
    let mut since = Instant::now();
    loop {
        if watch.lock().expect("watch lock").stopped() {
            return false;
        }
        let now = Instant::now();
        let (open, last) = {
            let s = interceptor.seen.lock().expect("seen lock");
            (s.open, s.last_change)
        };
        if let Some(l) = last
            && l > since
        {
            since = l;
        }
        if open == 0 && now.duration_since(since) >= quiet {
            if !complete {
                return true;
            }
            let left = until
                .saturating_duration_since(now)
                .max(Duration::from_millis(200));
            let state = step(
                "reading the page state",
                left,
                page.evaluate("[document.readyState, location.href]"),
            )
            .await;
            // about:blank is "complete" before the page has even started.
            if let Ok(v) = state
                && let Ok([ready, href]) = v.into_value::<[String; 2]>()
                && ready == "complete"
                && href != "about:blank"
            {
                return true;
            }
        }
        if now >= until {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A full-page screenshot, `width` × `height` CSS pixels from the top.
async fn screenshot(
    page: &chromiumoxide::Page,
    width: u32,
    height: u32,
    limit: Duration,
) -> Step<Vec<u8>> {
    let params = CaptureScreenshotParams::builder()
        .format(CaptureScreenshotFormat::Png)
        .capture_beyond_viewport(true)
        .from_surface(true)
        .clip(Clip {
            x: 0.0,
            y: 0.0,
            width: width as f64,
            height: height as f64,
            scale: 1.0,
        })
        .build();
    let r = step("taking the screenshot", limit, page.execute(params)).await?;
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(AsRef::<str>::as_ref(&r.result.data))
        .map_err(|e| format!("the browser's screenshot is not base64: {e}"))
}

/// The screenshot with a band above it stating the URL, the capture id and
/// the UTC time: the band is drawn by the browser in a blank tab (warden's
/// own HTML, the URL escaped), then stacked over the untouched screenshot.
/// What the band of the stamped screenshot states.
struct Band<'a> {
    id: &'a str,
    taken_at: &'a str,
    requested: &'a Url,
    /// The tab's address when the screenshot was made, if known.
    shown: Option<&'a str>,
}

async fn stamp(
    browser: &Browser,
    shot: &[u8],
    width: u32,
    band: &Band<'_>,
    wait: Duration,
) -> Step<Vec<u8>> {
    let Band {
        id,
        taken_at,
        requested: url,
        shown,
    } = *band;
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>html,body{{margin:0;background:#fff}}div{{box-sizing:border-box;width:{width}px;height:{BAND_HEIGHT}px;padding:6px 10px;background:#fff8d6;border-bottom:3px solid #222;font:14px/1.35 'DejaVu Sans Mono',monospace;color:#000;overflow:hidden;word-break:break-all}}</style></head><body><div>warden capture {} &#183; screenshot made {} (UTC)<br>URL: {}{}</div></body></html>",
        esc(id),
        esc(taken_at),
        esc(url.as_str()),
        match shown {
            Some(s) if s != url.as_str() => format!("<br>shown at: {}", esc(s)),
            _ => String::new(),
        },
    );
    let tab = step(
        "opening a tab for the stamp",
        wait,
        browser.new_page("about:blank"),
    )
    .await?;
    step("drawing the stamp", wait, tab.set_content(html)).await?;
    let drawn = screenshot(&tab, width, BAND_HEIGHT, wait).await;
    let _ = tokio::time::timeout(Duration::from_secs(5), tab.close()).await;
    let band = drawn?;
    let mut out = Vec::new();
    image::stack(&[&band, shot], &mut out).map_err(|e| format!("stamping the screenshot: {e}"))?;
    Ok(out)
}

/// The page's own redirect chain, decoded into scratch files, for
/// answering the browser's first requests with exactly what was captured.
/// A hop whose body was longer than the browser is given is noted in
/// `problems`.
fn main_hops(hops: &[Hop], work: &Path, problems: &mut Vec<String>) -> Vec<MainHop> {
    let mut out = Vec::new();
    for (i, h) in hops.iter().enumerate() {
        let (Some(status), true) = (h.status, h.body_read) else {
            break;
        };
        let body = work.join(format!("browser-main-{}.decoded", i + 1));
        match super::decode::decode_body(
            &h.body,
            h.content_encoding.as_deref(),
            &body,
            intercept::MAX_ONE_RESOURCE,
        ) {
            Ok(d) if d.truncated => problems.push(format!(
                "the browser was given the first {} MiB of the page only (hop {})",
                intercept::MAX_ONE_RESOURCE >> 20,
                i + 1
            )),
            Ok(_) => {}
            Err(_) => break,
        }
        out.push(MainHop {
            url: h.url.clone(),
            status,
            headers: h.headers.clone(),
            body,
            hop: i + 1,
            peer: h.peer.map(|a| a.ip().to_string()),
            content_type: h.content_type.clone(),
        });
    }
    out
}
