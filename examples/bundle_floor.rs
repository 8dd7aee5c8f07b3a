#![cfg_attr(not(target_os = "linux"), allow(dead_code))]
//! What the bundle format costs the file system alone, for
//! `scripts/bench-capture` (a diagnostic, not a goal).
//!
//! Writes N copies of one real, finished bundle (`--like evidence/<id>`:
//! every file byte for byte, in the same two folders) into `--dir`, the way
//! `warden capture` writes them: each copy in `evidence/.partial-K/`, then,
//! for every group of `--group` copies, one `syncfs`, one append to a
//! `custody.jsonl` with `fdatasync`, each copy renamed into place and one
//! fsync of `evidence/`. With `--no-sync` the three durability steps are
//! left out (what a capture into page cache only, like wget's, costs).
//!
//! Nothing is fetched, parsed, compressed, hashed or signed: the time and
//! CPU this takes estimate what the file system alone costs to capture N
//! such pages with warden's bundle layout on this machine (an estimate, not
//! a bound: it writes one copy at a time, where warden writes several at
//! once, and leaves out warden's smaller steps such as its witness file).
//!
//! ```text
//! cargo run --release --example bundle_floor -- --like CASE/evidence/ID \
//!     --dir /tmp/floor --count 1000 --group 4
//! 1000 bundles of 12 files (17692 bytes) in groups of 4, durable: 0.807 s
//! ```
//!
//! The folder given to `--dir` must not exist. The CPU it costs includes
//! the kernel's write-back threads, so `scripts/bench-capture` counts it for
//! the whole machine from /proc/stat around the run. Linux only (`syncfs`),
//! like the benchmark.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

struct Opts {
    like: PathBuf,
    dir: PathBuf,
    count: usize,
    group: usize,
    sync: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: bundle_floor --like BUNDLE_DIR --dir NEW_DIR [--count N (1000)] [--group G (4)] [--no-sync]"
    );
    std::process::exit(2)
}

fn parse_args() -> Opts {
    let mut like = None;
    let mut dir = None;
    let mut count = 1000usize;
    let mut group = 4usize;
    let mut sync = true;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--like" => like = Some(PathBuf::from(value())),
            "--dir" => dir = Some(PathBuf::from(value())),
            "--count" => count = value().parse().unwrap_or_else(|_| usage()),
            "--group" => group = value().parse().unwrap_or_else(|_| usage()),
            "--no-sync" => sync = false,
            _ => usage(),
        }
    }
    match (like, dir) {
        (Some(like), Some(dir)) if count > 0 && group > 0 => Opts {
            like,
            dir,
            count,
            group,
            sync,
        },
        _ => usage(),
    }
}

/// Every regular file of the bundle, as (path inside it, bytes); the
/// bundle's folders are its root and `data/`.
fn read_bundle(dir: &Path) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for sub in ["", "data"] {
        for entry in fs::read_dir(dir.join(sub))? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                let rel = Path::new(sub).join(entry.file_name());
                let rel = rel.to_string_lossy().into_owned();
                files.push((rel, fs::read(entry.path())?));
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("bundle_floor measures what warden does on Linux (syncfs); it does not run here");
    std::process::exit(2);
}

#[cfg(target_os = "linux")]
fn main() -> std::io::Result<()> {
    let o = parse_args();
    let files = read_bundle(&o.like)?;
    if files.is_empty() {
        eprintln!("{}: no files (give a bundle folder)", o.like.display());
        std::process::exit(2);
    }
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let evidence = o.dir.join("evidence");
    fs::create_dir(&o.dir)?;
    fs::create_dir(&evidence)?;
    let evidence_dir = File::open(&evidence)?;
    let mut log = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(o.dir.join("custody.jsonl"))?;
    // About the size of one signed capture event.
    let event = vec![b'x'; 700];
    let t0 = Instant::now();
    let mut pending = Vec::new();
    for k in 0..o.count {
        let partial = evidence.join(format!(".partial-{k}"));
        fs::create_dir(&partial)?;
        fs::create_dir(partial.join("data"))?;
        for (rel, b) in &files {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(partial.join(rel))?;
            f.write_all(b)?;
        }
        pending.push(k);
        if pending.len() == o.group || k + 1 == o.count {
            if o.sync {
                rustix::fs::syncfs(&evidence_dir)?;
            }
            for _ in &pending {
                log.write_all(&event)?;
            }
            if o.sync {
                log.sync_data()?;
            }
            for j in pending.drain(..) {
                fs::rename(
                    evidence.join(format!(".partial-{j}")),
                    evidence.join(j.to_string()),
                )?;
            }
            if o.sync {
                evidence_dir.sync_all()?;
            }
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    println!(
        "{} bundles of {} files ({} bytes) in groups of {}, {}: {:.3} s",
        o.count,
        files.len(),
        bytes,
        o.group,
        if o.sync { "durable" } else { "not synced" },
        wall
    );
    Ok(())
}
