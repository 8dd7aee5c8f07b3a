//! Precision and recall of `warden sweep` with the shipped lists:
//!
//! - on the held-out part of the outside labelled set
//!   (tests/data/listings/outside/heldout.jsonl: written by people who did
//!   not write the lists, and never used for tuning), overall and per
//!   language and kind, against the floors below;
//! - on the team's own labelled set (tests/data/listings/labelled.jsonl);
//! - on ordinary posts with no wildlife (tests/data/listings/ordinary/).
//!
//! The floors are the figures last measured (held-out precision 0.947,
//! recall 0.883 on all 2,135 held-out items; the weakest language 0.90
//! precision, 0.79 recall), less a small margin, so that a change that makes
//! detection worse fails here. `docs/matching.md` gives the full tables. The
//! targets of the detection issue (0.95 / 0.95 overall, 0.85 per language
//! and kind) are NOT reached; raising these floors to them is the work
//! still to do.

mod common;

use common::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Held-out floors, overall.
const HELD_OUT_PRECISION: f64 = 0.90;
const HELD_OUT_RECALL: f64 = 0.85;
/// Held-out floors for every language and every kind with positives, with
/// at least 20 items.
const GROUP_PRECISION: f64 = 0.81;
const GROUP_RECALL: f64 = 0.74;
/// For kinds with no positives (news, advocacy, everyday goods): the share
/// of items not flagged.
const GROUP_NOT_FLAGGED: f64 = 0.88;

struct Item {
    id: String,
    lang: String,
    kind: String,
    label: bool,
}

fn read_items(path: &Path) -> Vec<Item> {
    read_string(path)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
            Item {
                id: s("id"),
                lang: s("lang"),
                kind: s("kind"),
                label: v["label"].as_bool().unwrap(),
            }
        })
        .collect()
}

/// `id -> flagged` for every listing warden reports (a listing with no
/// listed taxon is not reported, and counts as not flagged).
fn sweep(env: &TestEnv, data: &Path) -> HashMap<String, bool> {
    sweep_with_summary(env, data).0
}

/// As [`sweep`], with the run's summary (`--json` on stderr: how many
/// listings were read and skipped).
fn sweep_with_summary(env: &TestEnv, data: &Path) -> (HashMap<String, bool>, serde_json::Value) {
    let out = env
        .warden()
        .args([
            "sweep",
            "--json",
            "--fields",
            "title,description",
            "--input",
        ])
        .arg(data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary = serde_json::from_str(stderr.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("no JSON summary on stderr ({e}): {stderr}"));
    let flagged = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["id"].as_str().unwrap().to_string(),
                v["flagged"].as_bool().unwrap(),
            )
        })
        .collect();
    (flagged, summary)
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
    tn: usize,
}

impl Counts {
    fn add(&mut self, predicted: bool, label: bool) {
        match (predicted, label) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }
    fn n(&self) -> usize {
        self.tp + self.fp + self.fn_ + self.tn
    }
    fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }
    fn recall(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }
    fn not_flagged(&self) -> f64 {
        self.tn as f64 / (self.tn + self.fp).max(1) as f64
    }
}

#[test]
fn held_out_outside_listings_meet_the_precision_and_recall_floors() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let data = repo.join("tests/data/listings/outside/heldout.jsonl");
    let items = read_items(&data);
    assert!(items.len() >= 400, "only {} held-out items", items.len());
    let env = TestEnv::new();
    let flagged = sweep(&env, &data);
    let mut all = Counts::default();
    let mut groups: BTreeMap<(String, String), Counts> = BTreeMap::new();
    for it in &items {
        let p = flagged.get(&it.id).copied().unwrap_or(false);
        all.add(p, it.label);
        groups
            .entry(("lang".into(), it.lang.clone()))
            .or_default()
            .add(p, it.label);
        groups
            .entry(("kind".into(), it.kind.clone()))
            .or_default()
            .add(p, it.label);
    }
    let langs = groups.keys().filter(|(k, _)| k == "lang").count();
    assert!(langs >= 15, "only {langs} languages");
    let mut table = format!(
        "overall: precision {:.3} recall {:.3} (n {})\n",
        all.precision(),
        all.recall(),
        all.n()
    );
    let mut failures = Vec::new();
    if all.precision() < HELD_OUT_PRECISION || all.recall() < HELD_OUT_RECALL {
        failures.push("overall".to_string());
    }
    for ((what, name), c) in &groups {
        let positives = c.tp + c.fn_;
        if positives > 0 {
            table.push_str(&format!(
                "{what} {name}: precision {:.3} recall {:.3} (n {})\n",
                c.precision(),
                c.recall(),
                c.n()
            ));
            if c.n() >= 20 && (c.precision() < GROUP_PRECISION || c.recall() < GROUP_RECALL) {
                failures.push(format!("{what} {name}"));
            }
        } else {
            table.push_str(&format!(
                "{what} {name}: not flagged {:.3} (n {})\n",
                c.not_flagged(),
                c.n()
            ));
            if c.n() >= 20 && c.not_flagged() < GROUP_NOT_FLAGGED {
                failures.push(format!("{what} {name}"));
            }
        }
    }
    eprintln!("{table}");
    assert!(
        failures.is_empty(),
        "below the floors: {failures:?}\n{table}"
    );
}

#[test]
fn team_labelled_set_keeps_its_precision_and_recall() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let data = repo.join("tests/data/listings/labelled.jsonl");
    let items = read_items(&data);
    assert!(items.len() >= 300, "only {} labelled listings", items.len());
    let env = TestEnv::new();
    let flagged = sweep(&env, &data);
    let mut c = Counts::default();
    let mut misses = Vec::new();
    for it in &items {
        let p = flagged.get(&it.id).copied().unwrap_or(false);
        if p != it.label {
            misses.push(it.id.clone());
        }
        c.add(p, it.label);
    }
    misses.sort();
    eprintln!(
        "team set: precision {:.3} recall {:.3} (tp {}, fp {}, fn {})",
        c.precision(),
        c.recall(),
        c.tp,
        c.fp,
        c.fn_
    );
    assert!(
        c.precision() >= 0.90 && c.recall() >= 0.80,
        "precision {:.3}, recall {:.3}; wrong: {misses:?}",
        c.precision(),
        c.recall()
    );
}

/// Ordinary posts (second-hand goods, services, jobs, group chatter, news on
/// other subjects), written blind by two outside writers: the bulk of what a
/// live sweep reads, and what the outside set lacks (every negative there
/// mentions an animal, a plant, a material or the trade). Flagging one is a
/// false accusation. Measured: none of the 640 flagged. These are the
/// easiest negatives there are (no wildlife word at all), so passing shows
/// little; failing shows a word that fires on ordinary text.
#[test]
fn ordinary_posts_with_no_wildlife_are_not_flagged() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let env = TestEnv::new();
    for part in ["dev", "heldout"] {
        let data = repo.join(format!("tests/data/listings/ordinary/{part}.jsonl"));
        let items = read_items(&data);
        assert!(
            items.len() >= 250,
            "only {} ordinary posts in {part}",
            items.len()
        );
        assert!(
            items.iter().all(|it| !it.label),
            "{part}: an ordinary post labelled true"
        );
        let langs: BTreeSet<_> = items.iter().map(|it| &it.lang).collect();
        assert!(langs.len() >= 15, "{part}: only {} languages", langs.len());
        // Every row was read: a post warden skipped would count as not
        // flagged.
        let (flagged, summary) = sweep_with_summary(&env, &data);
        assert_eq!(summary["listings"], items.len(), "{part}: {summary}");
        assert_eq!(summary["skipped"], 0, "{part}: {summary}");
        let wrong: Vec<_> = items
            .iter()
            .filter(|it| flagged.get(&it.id).copied().unwrap_or(false))
            .map(|it| it.id.as_str())
            .collect();
        eprintln!(
            "ordinary posts, {part}: {} of {} flagged",
            wrong.len(),
            items.len()
        );
        assert!(
            wrong.len() <= 1,
            "{part}: {} of {} ordinary posts flagged (floor: at most one): {wrong:?}",
            wrong.len(),
            items.len()
        );
    }
}
