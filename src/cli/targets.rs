//! `warden targets …`: check marketplace profiles and try one on a site.

use super::EXIT_PROBLEMS;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use warden::targets::{self, TargetError};

#[derive(Subcommand, Debug)]
pub enum TargetsCommand {
    /// Check marketplace profiles (TOML, docs/targets.md); prints every problem with file, line and column
    Check(CheckArgs),
    /// Fetch one search page with a profile and print what each selector reads (nothing is recorded)
    Test(TestArgs),
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Profile files
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct TestArgs {
    /// A profile file
    file: PathBuf,
    /// The search term to try
    #[arg(long, value_name = "TERM")]
    query: String,
    /// Seconds to wait for a connection, an answer, or more of the page
    #[arg(long, default_value_t = 30.0, value_name = "S")]
    timeout: f64,
    /// User-Agent header to send
    #[arg(long, value_name = "S", default_value = super::capture::DEFAULT_USER_AGENT, hide_default_value = true)]
    user_agent: String,
    /// Print JSON
    #[arg(long)]
    json: bool,
}

pub fn run(cmd: TargetsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        TargetsCommand::Check(a) => {
            let mut bad = 0;
            for f in &a.files {
                match targets::load(f) {
                    Ok(t) => println!(
                        "{}: ok ({}: {} results page(s) per term, {} ms between requests{})",
                        f.display(),
                        t.name,
                        t.max_pages,
                        t.delay.as_millis(),
                        if t.javascript {
                            ", listings drawn by JavaScript: captured with a browser"
                        } else {
                            ""
                        }
                    ),
                    Err(TargetError::Invalid(problems)) => {
                        bad += 1;
                        for p in problems {
                            eprintln!("{p}");
                        }
                    }
                    Err(e) => {
                        bad += 1;
                        eprintln!("{e}");
                    }
                }
            }
            Ok(if bad == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(super::EXIT_BAD_INPUT)
            })
        }
        TargetsCommand::Test(a) => {
            let t = targets::load(&a.file)?;
            if a.query.trim().is_empty() || a.query.chars().any(char::is_control) {
                anyhow::bail!("--query must be one line of text");
            }
            if !(a.timeout.is_finite() && (0.1..=3600.0).contains(&a.timeout)) {
                anyhow::bail!("--timeout must be between 0.1 and 3600 seconds");
            }
            if a.user_agent.contains(['\r', '\n']) {
                anyhow::bail!("--user-agent must be a single line");
            }
            let timeout = std::time::Duration::from_secs_f64(a.timeout);
            let cfg = warden::capture::FetchConfig {
                user_agent: a.user_agent.clone(),
                proxy: None,
                timeout,
                max_time: timeout * 4,
                max_bytes: 64 << 20,
                accept_invalid_certs: false,
                max_redirects: 10,
                allow_private: false,
                min_rate: 0,
                min_rate_time: timeout,
                roots: None,
                cookies: None,
                extra_headers: Vec::new(),
            };
            let p = targets::probe::probe(&t, a.query.trim(), &cfg)?;
            let x = &p.extraction;
            if a.json {
                let v = serde_json::json!({
                    "url": p.url.as_str(),
                    "final_url": p.final_url.as_str(),
                    "http_status": p.http_status,
                    "charset": p.charset,
                    "bytes": p.bytes,
                    "listings": x.listings,
                    "without_link": x.without_link,
                    "next_page": x.next_page.as_ref().map(|u| u.as_str()),
                });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                let show = super::printable;
                println!("searched:  {}", show(p.url.as_str()));
                if p.final_url != p.url {
                    println!("landed on: {}", show(p.final_url.as_str()));
                }
                println!(
                    "answer:    HTTP {}, {} bytes, read as {}",
                    p.http_status.map(|s| s.to_string()).unwrap_or("---".into()),
                    p.bytes,
                    p.charset
                );
                println!(
                    "listings:  {} (selector {:?}){}",
                    x.listings.len(),
                    t.selectors.listing.source,
                    if x.without_link > 0 {
                        format!(
                            "; {} more without a link matching {:?}",
                            x.without_link, t.selectors.link.source
                        )
                    } else {
                        String::new()
                    }
                );
                for (i, l) in x.listings.iter().enumerate() {
                    println!("  [{}] link:    {}", i + 1, show(&l.url));
                    for (name, v) in [
                        ("title", &l.title),
                        ("price", &l.price),
                        ("seller", &l.seller),
                        ("date", &l.date),
                        ("snippet", &l.snippet),
                    ] {
                        if let Some(v) = v {
                            let v: String = v.chars().take(200).collect();
                            println!("      {name:<8} {}", show(&v));
                        }
                    }
                }
                match (&t.selectors.next_page, &x.next_page) {
                    (Some(_), Some(u)) => println!("next page: {}", show(u.as_str())),
                    (Some(s), None) => {
                        println!("next page: none (selector {:?} matched no link)", s.source)
                    }
                    (None, _) if t.search.has_page() => println!(
                        "next page: {}",
                        show(t.search.url(a.query.trim(), 1).as_str())
                    ),
                    (None, _) => println!("next page: none (one page per term)"),
                }
                let unset: Vec<&str> = [
                    ("title", &t.selectors.title),
                    ("price", &t.selectors.price),
                    ("seller", &t.selectors.seller),
                    ("date", &t.selectors.date),
                    ("snippet", &t.selectors.snippet),
                ]
                .into_iter()
                .filter(|(_, s)| s.is_some())
                .filter(|(n, _)| {
                    !x.listings.iter().any(|l| match *n {
                        "title" => l.title.is_some(),
                        "price" => l.price.is_some(),
                        "seller" => l.seller.is_some(),
                        "date" => l.date.is_some(),
                        _ => l.snippet.is_some(),
                    })
                })
                .map(|(n, _)| n)
                .collect();
                if !unset.is_empty() && !x.listings.is_empty() {
                    println!(
                        "note: these selectors matched nothing in any listing: {}",
                        unset.join(", ")
                    );
                }
            }
            Ok(if p.extraction.listings.is_empty() {
                ExitCode::from(EXIT_PROBLEMS)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
