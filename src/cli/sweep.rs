//! `warden sweep`

use super::Globals;
use anyhow::Context;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use warden::custody;
use warden::hash::HashingWriter;
use warden::sweep::{self, Format, SweepOptions};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OutFormat {
    Jsonl,
    Csv,
    Xlsx,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum SortBy {
    /// Highest score first (equal scores in input order)
    Score,
    /// As the listings were read
    Input,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SweepArgs {
    /// Species and cue lists (TOML), several allowed; `<built-in>/NAME.toml` names a built-in list. Default: the built-in lists (`warden lists path`)
    #[arg(long = "list", value_name = "FILE", num_args = 1..)]
    lists: Vec<PathBuf>,
    /// Listings: CSV/TSV, JSON Lines or arrays, Excel .xlsx, HTML, WARC, bundles, cases, folders, or - for standard input
    #[arg(long = "input", value_name = "PATH", required_unless_present_any = ["targets", "resume"], conflicts_with_all = ["targets", "resume"], num_args = 1..)]
    inputs: Vec<PathBuf>,
    // --- live sweeps (docs/targets.md): run_live below ---
    /// Marketplace profiles to search live (TOML, see docs/targets.md); captures every results page into the case
    #[arg(long = "target", value_name = "FILE", num_args = 1.., help_heading = "Live sweeps")]
    targets: Vec<PathBuf>,
    /// Search terms, one per line (default: the lists' live_search terms)
    #[arg(long, value_name = "FILE", help_heading = "Live sweeps")]
    terms: Option<PathBuf>,
    /// Most results pages per term and target (default: the profile's max_pages)
    #[arg(long, value_name = "N", help_heading = "Live sweeps")]
    pages: Option<u32>,
    /// Capture each flagged listing's own page as an exhibit
    #[arg(long, help_heading = "Live sweeps")]
    capture_hits: bool,
    /// Continue the stopped sweep CASE/sweeps/ID, with the targets, lists, terms and settings it
    /// started with (refused while that sweep is still running)
    #[arg(long, value_name = "ID", help_heading = "Live sweeps", conflicts_with_all = ["targets", "lists", "terms", "pages", "capture_hits", "min_score"])]
    resume: Option<String>,
    /// Targets swept at once (one request at a time per host)
    #[arg(
        long,
        value_name = "N",
        default_value_t = 2,
        help_heading = "Live sweeps"
    )]
    concurrency: usize,
    /// Seconds to wait for a connection, an answer, or more of a page (live sweeps)
    #[arg(
        long,
        default_value_t = 30.0,
        value_name = "S",
        help_heading = "Live sweeps"
    )]
    timeout: f64,
    /// User-Agent header to send (live sweeps)
    #[arg(long, value_name = "S", default_value = super::capture::DEFAULT_USER_AGENT, hide_default_value = true, help_heading = "Live sweeps")]
    user_agent: String,
    /// HTTP proxy to fetch through, http://host:port (live sweeps)
    #[arg(long, value_name = "URL", help_heading = "Live sweeps")]
    proxy: Option<String>,
    /// The browser for profiles with javascript = true [default: as for capture --browser]
    #[arg(long, value_name = "PATH", help_heading = "Live sweeps")]
    chrome: Option<PathBuf>,
    /// Run that browser without its sandbox (only as root; see capture --help)
    #[arg(long, help_heading = "Live sweeps")]
    no_sandbox: bool,
    #[command(subcommand)]
    command: Option<SweepCommand>,
    // --- end of live sweep arguments ---
    /// Columns (or JSON keys) whose text is searched [default: every text field but the id and URL]
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    fields: Option<Vec<String>>,
    /// The column (or JSON key) holding each listing's id [default: id, listing_id, item_id…]
    #[arg(long, value_name = "NAME")]
    id_field: Option<String>,
    /// The column (or JSON key) holding each listing's URL [default: url, link, listing_url, href]
    #[arg(long, value_name = "NAME")]
    url_field: Option<String>,
    /// Encoding of CSV and JSON inputs (windows-1252, gbk, shift_jis, utf-16le…) instead of detecting it
    #[arg(long, value_name = "NAME")]
    encoding: Option<String>,
    /// Delimiter of CSV inputs (',' ';' tab '|' or another character) instead of sniffing it
    #[arg(long, value_name = "CHAR")]
    delimiter: Option<String>,
    /// Exit with status 0 even when rows could not be read (they are still listed and counted)
    #[arg(long)]
    allow_skipped: bool,
    /// Score from which a listing is flagged (0-100)
    #[arg(long, default_value_t = warden::matcher::score::DEFAULT_MIN_SCORE, value_name = "N")]
    min_score: u32,
    /// Output format [default: from the --out file's extension (.csv, .xlsx), else jsonl]
    #[arg(long, value_enum)]
    format: Option<OutFormat>,
    /// Order of the results
    #[arg(long, value_enum, default_value = "score")]
    sort: SortBy,
    /// Write CSV without the UTF-8 byte order mark that tells Excel the text is UTF-8
    #[arg(long)]
    no_bom: bool,
    /// Write results to FILE (must not exist) instead of standard output
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print the summary as JSON (on standard error)
    #[arg(long)]
    json: bool,
}

pub fn run(a: SweepArgs, g: &Globals) -> anyhow::Result<ExitCode> {
    if a.min_score > 100 {
        anyhow::bail!("--min-score must be between 0 and 100");
    }
    if let Some(SweepCommand::Diff(d)) = &a.command {
        return run_diff(d, g);
    }
    if !a.targets.is_empty() || a.resume.is_some() {
        return run_live(a, g);
    }
    let opts = offline_options(&a)?;
    // Matching allocates and frees many small buffers per listing; see
    // `allocator.rs` for why only the offline sweep uses mimalloc.
    super::allocator::use_mimalloc();
    // With --case, the sweep is recorded in the case's custody log: the case
    // and the officer's key are checked before any work. Run inside a case
    // folder, it is recorded there when the key is one of its officers';
    // otherwise (someone examining a copy, say) it says so and runs.
    let recording = if g.case.is_some() {
        Some(open_for_recording(g)?)
    } else if std::path::Path::new("case.toml").is_file() {
        let officer = g.officer_key(false).and_then(|key| {
            g.open_case()?.require_officer(&key)?;
            Ok(())
        });
        match officer {
            Ok(()) => Some(open_for_recording(g)?),
            Err(e) => {
                eprintln!(
                    "note: this sweep will not be recorded in the custody log of the case in this folder: {e:#}"
                );
                None
            }
        }
    } else {
        None
    };
    let (summary, out_sha, out_name) = match &a.out {
        Some(path) => {
            let tmp = path.with_extension(format!("partial-{}", std::process::id()));
            let file = warden::fsutil::create_new(&tmp)
                .with_context(|| format!("cannot create {}", tmp.display()))?;
            let mut w = HashingWriter::new(std::io::BufWriter::new(file));
            let result = sweep::run(&opts, &mut w);
            let summary = match result {
                Ok(s) => s,
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(e.into());
                }
            };
            let (buf, sha, _) = w.finish();
            let file = buf.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            warden::fsutil::rename_noreplace(&tmp, path).map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                anyhow::anyhow!(
                    "cannot write {}: {e} (results are never overwritten)",
                    path.display()
                )
            })?;
            (summary, sha, path.display().to_string())
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = HashingWriter::new(std::io::BufWriter::new(stdout.lock()));
            let summary = sweep::run(&opts, &mut w)?;
            let (mut buf, sha, _) = w.finish();
            buf.flush()?;
            (summary, sha, "-".to_string())
        }
    };
    for line in summary.input_lines() {
        eprintln!("input {}", super::printable(&line));
    }
    for s in &summary.skipped_rows {
        eprintln!(
            "warning: {}{}: {} (skipped)",
            super::printable(&s.path),
            s.line.map(|l| format!(":{l}")).unwrap_or_default(),
            super::printable(&s.reason)
        );
    }
    if summary.skipped > summary.skipped_rows.len() as u64 {
        eprintln!(
            "warning: {} more rows could not be read (only the first {} are listed)",
            summary.skipped - summary.skipped_rows.len() as u64,
            summary.skipped_rows.len()
        );
    }
    for note in &summary.output_notes {
        eprintln!("note: {note}");
    }
    if let Some((case, key, officer)) = &recording {
        let output = sweep::OutputFile {
            path: out_name.clone(),
            sha256: out_sha.clone(),
        };
        let arguments = super::command_line();
        sweep::record_in_case(case, key, officer, &summary, &output, &arguments)?;
    }
    if a.json {
        let mut v = serde_json::to_value(&summary)?;
        v["output_sha256"] = out_sha.clone().into();
        eprintln!("{}", serde_json::to_string(&v)?);
    } else {
        let mut top: Vec<(&String, &u64)> = summary.per_taxon.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1));
        let top: Vec<String> = top
            .iter()
            .take(10)
            .map(|(n, c)| format!("{n} {c}"))
            .collect();
        eprintln!(
            "read {} listings ({} skipped), {} mention a listed taxon, {} flagged (score >= {}){}{}",
            summary.listings,
            summary.skipped,
            summary.matched,
            summary.flagged,
            summary.min_score,
            if top.is_empty() {
                String::new()
            } else {
                format!("; by taxon: {}", top.join(", "))
            },
            if recording.is_some() {
                "; recorded in the custody log"
            } else {
                ""
            }
        );
    }
    if summary.skipped > 0 && !a.allow_skipped {
        eprintln!(
            "error: {} row(s) of the inputs could not be read (each is listed above with its file and line), so the results cover only the rows that were read; correct those rows (or name the encoding or delimiter with --encoding or --delimiter), or pass --allow-skipped to accept the results as they are",
            summary.skipped
        );
        return Ok(ExitCode::from(super::EXIT_BAD_INPUT));
    }
    Ok(ExitCode::SUCCESS)
}

/// The options of a sweep of files, from the command line.
fn offline_options(a: &SweepArgs) -> anyhow::Result<SweepOptions> {
    let format = match a.format {
        Some(OutFormat::Jsonl) => Format::Jsonl,
        Some(OutFormat::Csv) => Format::Csv,
        Some(OutFormat::Xlsx) => Format::Xlsx,
        None => {
            let ext = a
                .out
                .as_ref()
                .and_then(|p| p.extension())
                .map(|e| e.to_string_lossy().to_lowercase());
            match ext.as_deref() {
                Some("csv") => Format::Csv,
                Some("xlsx") => Format::Xlsx,
                _ => Format::Jsonl,
            }
        }
    };
    if format == Format::Xlsx && a.out.is_none() {
        anyhow::bail!("an Excel workbook is written to a file: add --out FILE.xlsx");
    }
    let encoding = match &a.encoding {
        Some(name) => Some(
            encoding_rs::Encoding::for_label(name.trim().as_bytes()).ok_or_else(|| {
                anyhow::anyhow!(
                    "--encoding {name:?} is not an encoding warden knows (try utf-8, windows-1252, iso-8859-2, gbk, big5, shift_jis, euc-kr, windows-1258, utf-16le)"
                )
            })?,
        ),
        None => None,
    };
    let delimiter = match a.delimiter.as_deref() {
        None => None,
        Some("tab" | "TAB" | "\\t") => Some(b'\t'),
        Some(d) if d.len() == 1 && d.is_ascii() && !matches!(d, "\"" | "\n" | "\r") => {
            Some(d.as_bytes()[0])
        }
        Some(d) => anyhow::bail!(
            "--delimiter {d:?}: give one ASCII character other than a quote or line break (or tab)"
        ),
    };
    let spill_dir = match &a.out {
        Some(p) => match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        },
        None => std::env::temp_dir(),
    };
    Ok(SweepOptions {
        lists: a.lists.clone(),
        inputs: a.inputs.clone(),
        read: sweep::ReadOptions {
            columns: sweep::Columns {
                fields: a.fields.clone(),
                id_field: a.id_field.clone(),
                url_field: a.url_field.clone(),
            },
            encoding,
            delimiter,
        },
        min_score: a.min_score,
        output: sweep::OutputOptions {
            format,
            sort: match a.sort {
                SortBy::Score => sweep::Sort::Score,
                SortBy::Input => sweep::Sort::Input,
            },
            bom: !a.no_bom,
            spill_dir: Some(spill_dir),
        },
    })
}

/// The case, the officer's key and name, for recording the sweep; finishes
/// any step a stopped warden left half done first.
fn open_for_recording(
    g: &Globals,
) -> anyhow::Result<(warden::case::Case, warden::keys::OfficerKey, String)> {
    let key = g.officer_key(false)?;
    let case = g.open_case_for_writing(&key)?;
    let officer = case.require_officer(&key)?.name.clone();
    custody::check_appendable(&case.log())?;
    Ok((case, key, officer))
}

// --- live sweeps ---

#[derive(clap::Subcommand, Debug)]
pub enum SweepCommand {
    /// Compare two live sweeps of a case: listings new, gone and changed (title, price, score)
    Diff(DiffArgs),
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The earlier sweep's id (a folder name in the case's sweeps/)
    from: String,
    /// The later sweep's id
    to: String,
    /// Print JSON
    #[arg(long)]
    json: bool,
}

fn run_diff(d: &DiffArgs, g: &Globals) -> anyhow::Result<ExitCode> {
    let case = g.open_case()?;
    let r = warden::sweep::live::diff(&case, &d.from, &d.to)?;
    if d.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(ExitCode::SUCCESS);
    }
    let show = |l: &warden::sweep::live::DiffListing| {
        format!(
            "score {:>3}{}  {}  {}{}",
            l.score,
            if l.flagged { " FLAG" } else { "     " },
            super::printable(&l.url),
            super::printable(l.title.as_deref().unwrap_or("")),
            l.price
                .as_deref()
                .map(|p| format!(" ({})", super::printable(p)))
                .unwrap_or_default()
        )
    };
    println!(
        "{} new, {} gone, {} changed, {} unchanged (from {} to {})",
        r.new.len(),
        r.gone.len(),
        r.changed.len(),
        r.unchanged,
        r.from,
        r.to
    );
    for l in &r.new {
        println!("new      {}", show(l));
    }
    for l in &r.gone {
        println!("gone     {}", show(l));
    }
    for c in &r.changed {
        println!("changed  {}", show(&c.before));
        println!("      ->  {}", show(&c.after));
    }
    Ok(ExitCode::SUCCESS)
}

fn run_live(a: SweepArgs, g: &Globals) -> anyhow::Result<ExitCode> {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    use warden::sweep::live::{self, LiveOptions, LiveProgress, SweepStatus};
    if a.out.is_some() {
        anyhow::bail!(
            "--out is for sweeps of files; a live sweep writes its results in the case's sweeps/ folder"
        );
    }
    if a.concurrency == 0 {
        anyhow::bail!("--concurrency must be at least 1");
    }
    if a.pages == Some(0)
        || a.pages
            .is_some_and(|p| p > warden::targets::MAX_PAGES_LIMIT)
    {
        anyhow::bail!(
            "--pages must be between 1 and {}",
            warden::targets::MAX_PAGES_LIMIT
        );
    }
    if a.user_agent.contains(['\r', '\n']) {
        anyhow::bail!("--user-agent must be a single line");
    }
    let proxy = match &a.proxy {
        Some(p) => {
            let u =
                url::Url::parse(p).with_context(|| format!("--proxy {p:?} is not a valid URL"))?;
            if u.scheme() != "http"
                || u.host_str().is_none()
                || p.chars().any(|c| c.is_ascii_control())
            {
                anyhow::bail!("--proxy {p:?}: only http://host:port proxies are supported");
            }
            Some(u)
        }
        None => None,
    };
    if !(a.timeout.is_finite() && (0.1..=3600.0).contains(&a.timeout)) {
        anyhow::bail!("--timeout must be between 0.1 and 3600 seconds");
    }
    let timeout = std::time::Duration::from_secs_f64(a.timeout);
    // Profiles are checked before the case is touched.
    let profiles = match &a.resume {
        Some(id) => live::targets_of(&g.open_case()?, id)?,
        None => a.targets.clone(),
    };
    let mut javascript = false;
    for t in &profiles {
        javascript |= warden::targets::load(t)?.javascript;
    }
    let browser = if javascript || a.chrome.is_some() {
        Some(super::capture::browser_options(
            a.chrome.as_ref(),
            a.no_sandbox,
        )?)
    } else {
        None
    };
    let key = g.officer_key(false)?;
    let case = g.open_case_for_writing(&key)?;
    super::capture::report_recovery(&case, &key)?;
    let stop = Arc::new(AtomicBool::new(false));
    stop_on_signal(stop.clone());
    let opts = LiveOptions {
        targets: a.targets.clone(),
        lists: a.lists.clone(),
        terms_file: a.terms.clone(),
        pages: a.pages,
        capture_hits: a.capture_hits,
        min_score: a.min_score,
        concurrency: a.concurrency,
        resume: a.resume.clone(),
        fetch: warden::capture::FetchConfig {
            user_agent: a.user_agent.clone(),
            proxy,
            timeout,
            max_time: std::time::Duration::from_secs(600),
            max_bytes: 64 << 20,
            accept_invalid_certs: false,
            max_redirects: 10,
            allow_private: false,
            min_rate: 100,
            min_rate_time: std::time::Duration::from_secs(30),
            roots: None,
            cookies: None,
            extra_headers: Vec::new(),
        },
        extra_roots: Vec::new(),
        browser,
        arguments: super::command_line(),
        stop: stop.clone(),
    };
    let bar = (!a.json && std::io::IsTerminal::is_terminal(&std::io::stderr())).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {prefix} | {wide_msg}",
            )
            .expect("valid progress template"),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bar
    });
    let mut terms_total = 0usize;
    let mut progress = |p: LiveProgress<'_>| match p {
        LiveProgress::Started {
            id,
            dir,
            resumed_pages,
            terms,
            targets,
        } => {
            terms_total = terms;
            let line = format!(
                "sweep {id}: {terms} term(s) on {targets} target(s){}; results in {}",
                if resumed_pages > 0 {
                    format!(", resuming after {resumed_pages} journalled step(s)")
                } else {
                    String::new()
                },
                dir.display()
            );
            match &bar {
                Some(b) => b.println(line),
                None => eprintln!("{line}"),
            }
        }
        LiveProgress::Fetching {
            target,
            term,
            term_no,
            page,
        } => {
            if let Some(b) = &bar {
                b.set_prefix(format!(
                    "{target}: term {term_no}/{terms_total} {:?} page {page}",
                    super::printable(term)
                ));
            }
        }
        LiveProgress::Retrying { url, wait, reason } => {
            let line = format!(
                "retry: {}: {reason}; waiting {} s",
                super::printable(url),
                wait.as_secs()
            );
            match &bar {
                Some(b) => b.println(line),
                None => eprintln!("{line}"),
            }
        }
        LiveProgress::PageDone {
            target,
            term,
            page,
            ok,
            listings,
            totals,
        } => {
            if let Some(b) = &bar {
                b.set_message(format!(
                    "{} pages ({} failed), {} captures, {} listings, {} flagged",
                    totals.pages,
                    totals.pages_failed,
                    totals.captures,
                    totals.listings,
                    totals.flagged
                ));
            }
            if !ok {
                let line = format!(
                    "failed: {target}: results page {page} for {:?} (recorded in sweep.json)",
                    term
                );
                match &bar {
                    Some(b) => b.println(line),
                    None => eprintln!("{line}"),
                }
            } else if bar.is_none() && !a.json {
                eprintln!(
                    "{target}: {:?} page {page}: {listings} listing(s)",
                    super::printable(term)
                );
            }
        }
        LiveProgress::HitCaptured { url, ok } => {
            if !ok {
                let line = format!("hit capture failed: {}", super::printable(url));
                match &bar {
                    Some(b) => b.println(line),
                    None => eprintln!("{line}"),
                }
            }
        }
    };
    let result = live::run(&case, &key, &opts, &mut progress);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let s = result?;
    if a.json {
        println!("{}", serde_json::to_string(&s)?);
    } else {
        let t = &s.totals;
        eprintln!(
            "sweep {} {}: {} results page(s) ({} failed), {} listing(s), {} mention a listed taxon, {} flagged (score >= {}), {} listing page(s) captured; recorded in custody event {}",
            s.id,
            match s.status {
                SweepStatus::Finished => "finished",
                SweepStatus::Stopped => "stopped (continue it with --resume)",
            },
            t.pages + t.pages_failed,
            t.pages_failed,
            t.listings,
            t.matched,
            t.flagged,
            a.min_score,
            t.hit_captures,
            s.custody_seq
        );
        for (name, ts) in &s.per_target {
            eprintln!(
                "  {name}: {} page(s), {} listing(s), {} flagged, {} failed page(s)",
                ts.pages, ts.listings, ts.flagged, ts.pages_failed
            );
        }
        let mut taxa: Vec<_> = s.per_taxon.iter().collect();
        taxa.sort_by(|x, y| y.1.cmp(x.1).then(x.0.cmp(y.0)));
        for (taxon, n) in taxa.iter().take(20) {
            eprintln!("  {taxon}: {n} listing(s)");
        }
        eprintln!("results: {}", s.outputs.display());
    }
    Ok(match s.status {
        SweepStatus::Stopped => ExitCode::from(130),
        SweepStatus::Finished if s.totals.pages_failed > 0 => ExitCode::from(super::EXIT_PROBLEMS),
        SweepStatus::Finished => ExitCode::SUCCESS,
    })
}

/// First Ctrl-C (or SIGTERM, SIGHUP): finish the pages in progress, write
/// the results and stop. A second one exits at once.
fn stop_on_signal(stop: std::sync::Arc<std::sync::atomic::AtomicBool>) {
    super::signals::on_signals(move |code, before| {
        if before == 0 {
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            eprintln!(
                "stopping: the pages in progress finish, then the results so far are written (continue later with --resume; press Ctrl-C again to quit at once)"
            );
        } else {
            warden::capture::browser::stop_running_browsers();
            std::process::exit(code.into());
        }
    });
}
