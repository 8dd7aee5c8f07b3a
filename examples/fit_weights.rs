//! Fits the sweep's score weights to labelled listings.
//!
//! ```text
//! cargo run --release --example fit_weights -- tests/data/listings/outside/dev.jsonl
//! ```
//!
//! Each listing that mentions a listed taxon is scored with the built-in
//! lists; its features (what earned points: a common name, Appendix I, sale
//! wording, a decoy …, see `warden::matcher::score::Feature`) and its label
//! go into a logistic regression (gradient descent, a little L2 shrinkage).
//! The fitted log-odds are scaled to 10 points each, the intercept and the
//! default threshold (45) are added to the species-evidence features (every
//! scored listing has exactly one), so that a listing at even odds scores
//! the threshold, and rounded to whole points, which is what
//! `weight()` in `src/matcher/score.rs` holds. Listings with no listed taxon
//! score 0 whatever the weights, so they are left out of the fit but counted
//! in the precision and recall printed at the end.
//!
//! Fit only on the dev part: the held-out part measures the result.

use std::collections::BTreeMap;
use warden::matcher::Matcher;
use warden::matcher::score::{self, FEATURES, Feature};

/// Most points species evidence alone may give: below the threshold, and
/// low enough that a name with a legality claim alone ("pre-ban ivory",
/// "Victorian ivory": not a proof either way) stays below it too.
const MAX_SPECIES: i32 = 37;
/// Fewest listings showing a feature for its weight to be fitted.
const MIN_SEEN: usize = 10;

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tests/data/listings/outside/dev.jsonl".into());
    let lists = warden::species::load_lists(&[])?;
    let matcher = Matcher::new(&lists)?;
    let mut rows: Vec<(BTreeMap<Feature, i32>, bool)> = Vec::new();
    let mut positives_without_taxon = 0;
    let mut total = 0;
    for line in std::fs::read_to_string(&path)?.lines() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line)?;
        let text = format!(
            "{}\n{}",
            v["title"].as_str().unwrap_or(""),
            v["description"].as_str().unwrap_or("")
        );
        let label = v["label"].as_bool().unwrap_or(false);
        total += 1;
        let hits = matcher.find(&text);
        let s = score::score(&text, &hits, &matcher, &lists, score::DEFAULT_MIN_SCORE);
        if s.features.is_empty() {
            positives_without_taxon += usize::from(label);
            continue;
        }
        rows.push((s.features, label));
    }
    let n = FEATURES.len();
    let x: Vec<Vec<f64>> = rows
        .iter()
        .map(|(f, _)| {
            FEATURES
                .iter()
                .map(|k| f64::from(*f.get(k).unwrap_or(&0)))
                .collect()
        })
        .collect();
    let y: Vec<f64> = rows.iter().map(|r| f64::from(u8::from(r.1))).collect();
    // Appendix features are not fitted (see below).
    let x: Vec<Vec<f64>> = x
        .into_iter()
        .map(|r| {
            r.into_iter()
                .zip(FEATURES)
                .map(|(v, f)| {
                    if matches!(
                        f,
                        Feature::AppendixI | Feature::AppendixII | Feature::AppendixIII
                    ) {
                        0.0
                    } else {
                        v
                    }
                })
                .collect()
        })
        .collect();
    // Gradient descent on the mean log-loss plus L2 (not on the intercept).
    let (mut w, mut b) = (vec![0.0f64; n], 0.0f64);
    let (rate, l2) = (0.5, 0.002);
    for _ in 0..20_000 {
        let mut gw = vec![0.0; n];
        let mut gb = 0.0;
        for (xi, yi) in x.iter().zip(&y) {
            let z = b + xi.iter().zip(&w).map(|(a, c)| a * c).sum::<f64>();
            let p = 1.0 / (1.0 + (-z).exp());
            let d = p - yi;
            gb += d;
            for j in 0..n {
                gw[j] += d * xi[j];
            }
        }
        let m = x.len().max(1) as f64;
        b -= rate * gb / m;
        for j in 0..n {
            w[j] -= rate * (gw[j] / m + l2 * w[j]);
        }
    }
    // Every scored listing has exactly one species-evidence feature (its
    // strongest term's kind), so the intercept and the threshold go into
    // those: points = 10 x log-odds, plus (intercept x 10 + threshold) for
    // the species evidence; a listing then scores the threshold exactly at
    // even odds.
    let threshold = f64::from(score::DEFAULT_MIN_SCORE);
    let scale = 10.0;
    // The appendix says how protected a taxon is, not whether the text is
    // an offer: it is stated in the reason and scores nothing.
    let appendix = |f: &Feature| {
        matches!(
            f,
            Feature::AppendixI | Feature::AppendixII | Feature::AppendixIII
        )
    };
    let species_kind = |f: &Feature| {
        matches!(
            f,
            Feature::ScientificName
                | Feature::CodeWord
                | Feature::CommonName
                | Feature::ProductWord
                | Feature::Emoji
        )
    };
    println!(
        "{} listings, {} with a listed taxon ({} positives have none: no weight can flag them)",
        total,
        rows.len(),
        positives_without_taxon
    );
    println!(
        "intercept {b:.3}; points = log-odds x {scale}, species evidence + intercept x {scale} + {threshold}\n"
    );
    println!(
        "{:<18} {:>9} {:>8} {:>8} {:>6}",
        "feature", "log-odds", "fitted", "current", "seen"
    );
    let mut fitted = Vec::new();
    for (j, f) in FEATURES.iter().enumerate() {
        let seen = x.iter().filter(|r| r[j] != 0.0).count();
        let pts = if appendix(f) {
            0
        } else if seen < MIN_SEEN {
            // Too few listings to fit: the hand-set weight stays.
            score::weight(*f)
        } else if species_kind(f) {
            // A name alone is never a flag: the published sweeps found
            // bare keyword hits to be mostly noise, so the species
            // evidence stays below the threshold and some context (sale,
            // price, contact, a product form …) is needed.
            (((w[j] + b) * scale + threshold).round() as i32).min(MAX_SPECIES)
        } else {
            (w[j] * scale).round() as i32
        };
        fitted.push(pts);
        println!(
            "{:<18} {:>9.3} {:>8} {:>8} {:>6}",
            format!("{f:?}"),
            w[j],
            pts,
            score::weight(*f),
            seen
        );
    }
    for (label, weights) in [
        (
            "current",
            FEATURES
                .iter()
                .map(|f| score::weight(*f))
                .collect::<Vec<_>>(),
        ),
        ("fitted", fitted),
    ] {
        let (mut tp, mut fp, mut fn_) = (0u32, 0u32, positives_without_taxon as u32);
        for (xi, yi) in x.iter().zip(&y) {
            let s: f64 = xi
                .iter()
                .zip(&weights)
                .map(|(a, c)| a * f64::from(*c))
                .sum();
            let flagged = s.clamp(0.0, 100.0) >= threshold;
            match (flagged, *yi > 0.5) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, true) => fn_ += 1,
                _ => {}
            }
        }
        println!(
            "\n{label} weights on this file: precision {:.3}, recall {:.3} (tp {tp}, fp {fp}, fn {fn_})",
            f64::from(tp) / f64::from((tp + fp).max(1)),
            f64::from(tp) / f64::from((tp + fn_).max(1)),
        );
    }
    Ok(())
}
