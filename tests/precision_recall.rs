//! Precision and recall of `warden sweep` with the shipped lists on the
//! team's labelled listings (tests/data/listings/labelled.jsonl).

mod common;

use common::*;
use std::collections::HashMap;
use std::path::PathBuf;

#[test]
fn shipped_lists_reach_90_percent_precision_and_recall_on_the_labelled_set() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let data = repo.join("tests/data/listings/labelled.jsonl");
    let labels: HashMap<String, (bool, String)> = read_string(&data)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["id"].as_str().unwrap().to_string(),
                (
                    v["label"].as_bool().unwrap(),
                    v["lang"].as_str().unwrap_or("").to_string(),
                ),
            )
        })
        .collect();
    assert!(
        labels.len() >= 300,
        "only {} labelled listings",
        labels.len()
    );
    let langs: std::collections::HashSet<&str> = labels.values().map(|(_, l)| l.as_str()).collect();
    assert!(langs.len() >= 8, "only {} languages", langs.len());

    let env = TestEnv::new();
    let out = env
        .warden()
        .args(["sweep", "--fields", "title,description", "--list"])
        .arg(repo.join("species-lists/cites-online-trade.toml"))
        .arg(repo.join("species-lists/trade-cues.toml"))
        .arg("--input")
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let flagged: HashMap<String, bool> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["id"].as_str().unwrap().to_string(),
                v["flagged"].as_bool().unwrap(),
            )
        })
        .collect();
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    for (id, (label, _)) in &labels {
        let predicted = flagged.get(id).copied().unwrap_or(false);
        match (predicted, label) {
            (true, true) => tp += 1,
            (true, false) => {
                fp += 1;
                misses.push(format!("false positive {id}"));
            }
            (false, true) => {
                fn_ += 1;
                misses.push(format!("missed {id}"));
            }
            _ => {}
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    misses.sort();
    eprintln!("precision {precision:.3} recall {recall:.3} (tp {tp}, fp {fp}, fn {fn_})");
    assert!(
        precision >= 0.9 && recall >= 0.9,
        "precision {precision:.3}, recall {recall:.3} (tp {tp}, fp {fp}, fn {fn_}); {misses:?}"
    );
}
