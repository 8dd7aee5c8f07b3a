//! Scoring a listing from its matches (0–100), with reasons an officer can
//! read. The model is documented in `docs/matching.md`.

use super::{Category, Hit, Matcher, snippet};
use crate::species::{CueKind, KeywordList, TermKind};
use serde::Serialize;
use std::collections::BTreeMap;

/// Default `--min-score`.
pub const DEFAULT_MIN_SCORE: u32 = 45;

/// One match as reported.
#[derive(Debug, Clone, Serialize)]
pub struct MatchOut {
    pub term: String,
    pub kind: String,
    pub lang: String,
    pub start: usize,
    pub end: usize,
    pub snippet: String,
}

/// A taxon a listing mentions.
#[derive(Debug, Clone, Serialize)]
pub struct TaxonOut {
    pub scientific_name: String,
    pub appendix: String,
    pub group: String,
}

/// The verdict on one listing.
#[derive(Debug, Clone, Serialize)]
pub struct Scored {
    pub score: u32,
    pub flagged: bool,
    pub taxa: Vec<TaxonOut>,
    pub matches: Vec<MatchOut>,
    pub reasons: Vec<String>,
}

fn kind_name(c: Category) -> &'static str {
    match c {
        Category::Species(TermKind::ScientificName) => "scientific-name",
        Category::Species(TermKind::Synonym) => "synonym",
        Category::Species(TermKind::Abbreviation) => "abbreviation",
        Category::Species(TermKind::CommonName) => "common-name",
        Category::Species(TermKind::Product) => "product",
        Category::Species(TermKind::CodeWord) => "code-word",
        Category::Cue(CueKind::Sale) => "sale",
        Category::Cue(CueKind::Contact) => "contact",
        Category::Cue(CueKind::Price) => "price",
        Category::Cue(CueKind::Cover) => "cover",
        Category::Cue(CueKind::Decoy) => "decoy",
    }
}

fn term_weight(k: TermKind) -> i32 {
    match k {
        TermKind::ScientificName | TermKind::Synonym | TermKind::CodeWord => 35,
        TermKind::CommonName | TermKind::Abbreviation => 30,
        TermKind::Product => 20,
    }
}

/// Finds a price: a number next to a currency symbol or word
/// ("$250", "250 USD", "1.200.000đ", "¥800", "RM 300").
fn has_price(text: &str) -> Option<String> {
    const SYMBOLS: &[&str] = &[
        "$", "€", "£", "¥", "₫", "฿", "₱", "usd", "eur", "gbp", "rmb", "cny", "vnd", "idr", "myr",
        "thb", "php", "jpy", "rp", "rm", "元", "円", "đ", "k",
    ];
    let lower = text.to_lowercase();
    let chars: Vec<(usize, char)> = lower.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].1.is_ascii_digit() {
            let start = chars[i].0;
            let mut j = i;
            while j < chars.len()
                && (chars[j].1.is_ascii_digit() || matches!(chars[j].1, '.' | ','))
            {
                j += 1;
            }
            let end = chars.get(j).map_or(lower.len(), |c| c.0);
            let before = lower[..start].trim_end();
            let after = lower[end..].trim_start();
            let near = |s: &str, at_end: bool| {
                SYMBOLS.iter().any(|sym| {
                    if at_end {
                        s.ends_with(sym)
                            && s[..s.len() - sym.len()]
                                .chars()
                                .last()
                                .is_none_or(|c| !c.is_alphabetic())
                    } else {
                        s.starts_with(sym)
                            && s[sym.len()..]
                                .chars()
                                .next()
                                .is_none_or(|c| !c.is_alphabetic())
                    }
                })
            };
            if j - i >= 2 && (near(before, true) || near(after, false)) {
                let s = before.len().saturating_sub(4);
                let s = (0..=s)
                    .rev()
                    .find(|&k| text.is_char_boundary(k))
                    .unwrap_or(0);
                let e = (end + 6).min(text.len());
                let e = (e..=text.len())
                    .find(|&k| text.is_char_boundary(k))
                    .unwrap_or(text.len());
                return Some(text[s..e].trim().to_string());
            }
            i = j;
        } else {
            i += 1;
        }
    }
    None
}

/// Scores `text` with `matcher` over `lists`.
pub fn score(
    text: &str,
    hits: &[Hit],
    matcher: &Matcher,
    lists: &[KeywordList],
    min_score: u32,
) -> Scored {
    let mut reasons = Vec::new();
    let mut matches = Vec::new();
    // Decoy spans and what they neutralise.
    let mut decoys: Vec<(usize, usize, Vec<String>, String)> = Vec::new();
    for h in hits {
        for t in matcher.terms_of(h.pattern) {
            if t.category == Category::Cue(CueKind::Decoy) {
                let cue = &lists[t.list].cues[t.entry];
                decoys.push((
                    h.start,
                    h.end,
                    cue.applies_to.iter().map(|a| a.to_lowercase()).collect(),
                    text[h.start..h.end].to_string(),
                ));
            }
        }
    }
    let neutralised = |h: &Hit, term: &str| {
        decoys.iter().any(|(s, e, applies, _)| {
            *s <= h.start
                && h.end <= *e
                && (applies.is_empty()
                    || applies.iter().any(|a| {
                        term.to_lowercase().contains(a.as_str()) || a.contains(&term.to_lowercase())
                    }))
        })
    };
    // Best species evidence per taxon.
    let mut per_taxon: BTreeMap<(usize, usize), (i32, bool, String, TermKind)> = BTreeMap::new();
    let mut cue_seen: BTreeMap<CueKind, String> = BTreeMap::new();
    let mut any_folded_only = true;
    let mut tricks: Option<String> = None;
    for h in hits {
        let written = &text[h.start..h.end];
        for t in matcher.terms_of(h.pattern) {
            match t.category {
                Category::Species(kind) => {
                    if neutralised(h, &t.term) {
                        continue;
                    }
                    matches.push(MatchOut {
                        term: t.term.clone(),
                        kind: kind_name(t.category).into(),
                        lang: t.lang.clone(),
                        start: h.start,
                        end: h.end,
                        snippet: snippet(text, h.start, h.end, 40).to_string(),
                    });
                    let w = term_weight(kind);
                    let e = per_taxon.entry((t.list, t.entry)).or_insert((
                        0,
                        h.folded,
                        written.to_string(),
                        kind,
                    ));
                    if w > e.0 || (w == e.0 && e.1 && !h.folded) {
                        *e = (w, h.folded, written.to_string(), kind);
                    }
                    if !h.folded {
                        any_folded_only = false;
                    }
                    if h.tricks && tricks.is_none() {
                        tricks = Some(written.to_string());
                    }
                }
                Category::Cue(kind) => {
                    if kind != CueKind::Decoy {
                        matches.push(MatchOut {
                            term: t.term.clone(),
                            kind: kind_name(t.category).into(),
                            lang: t.lang.clone(),
                            start: h.start,
                            end: h.end,
                            snippet: snippet(text, h.start, h.end, 40).to_string(),
                        });
                    }
                    cue_seen.entry(kind).or_insert_with(|| written.to_string());
                }
            }
        }
    }
    let mut taxa = Vec::new();
    let mut score: i32 = 0;
    let mut best_species = 0;
    let mut has_name = false;
    let mut has_product = false;
    for ((li, ti), (w, folded, written, kind)) in &per_taxon {
        let taxon = &lists[*li].taxa[*ti];
        taxa.push(TaxonOut {
            scientific_name: taxon.scientific_name.clone(),
            appendix: taxon.appendix.clone(),
            group: taxon.group.clone(),
        });
        let what = match kind {
            TermKind::CodeWord => "trade code word",
            TermKind::Product => "product word",
            TermKind::ScientificName | TermKind::Synonym | TermKind::Abbreviation => {
                "scientific name"
            }
            TermKind::CommonName => "common name",
        };
        let mut s = *w;
        s += match taxon.appendix.split('/').next().unwrap_or("") {
            "I" => 10,
            "II" => 5,
            _ => 2,
        };
        if *folded && tricks.is_none() {
            s -= 5;
        }
        if *kind == TermKind::Product {
            has_product = true;
        } else {
            has_name = true;
        }
        reasons.push(format!(
            "{what} {written:?} points to {} (CITES Appendix {}){}",
            taxon.scientific_name,
            taxon.appendix,
            if *folded {
                "; matched only after undoing spelling tricks or accents"
            } else {
                ""
            }
        ));
        if *kind == TermKind::CodeWord
            && let Some(note) = taxon
                .terms
                .iter()
                .find(|t| t.kind == TermKind::CodeWord && t.note.is_some())
                .and_then(|t| t.note.clone())
        {
            reasons.push(format!("code word source: {note}"));
        }
        best_species = best_species.max(s);
    }
    if per_taxon.is_empty() {
        return Scored {
            score: 0,
            flagged: false,
            taxa,
            matches,
            reasons,
        };
    }
    score += best_species;
    // A species or code word together with a product word.
    let products_with_names = per_taxon.values().any(|v| v.3 == TermKind::Product)
        && per_taxon.values().any(|v| v.3 != TermKind::Product);
    if has_name && has_product && products_with_names {
        score += 15;
        reasons.push("a species name appears together with a product word".into());
    }
    if per_taxon.len() > 1 && !has_name {
        score += 5;
    }
    let price = cue_seen
        .get(&CueKind::Price)
        .cloned()
        .or_else(|| has_price(text));
    for (kind, pts, label) in [
        (CueKind::Sale, 20, "sale wording"),
        (CueKind::Contact, 10, "contact cue"),
    ] {
        if let Some(w) = cue_seen.get(&kind) {
            score += pts;
            reasons.push(format!("{label} {w:?}"));
        }
    }
    if let Some(p) = price {
        score += 10;
        reasons.push(format!("a price is given ({p:?})"));
    }
    if let Some(w) = cue_seen.get(&CueKind::Cover) {
        score += 5;
        reasons.push(format!(
            "claims {w:?}: a legality claim often used as cover (not a proof either way)"
        ));
    }
    // A decoy counts against the listing when it names no particular word
    // (a toy, a print) or when the listing's species matches include a word
    // it applies to (the colour "ivory white" next to another "ivory").
    let species_terms: Vec<String> = matches
        .iter()
        .filter(|m| !matches!(m.kind.as_str(), "sale" | "contact" | "price" | "cover"))
        .map(|m| m.term.to_lowercase())
        .collect();
    for (_, _, applies, written) in &decoys {
        let relevant = applies.is_empty()
            || applies.iter().any(|a| {
                species_terms
                    .iter()
                    .any(|t| t.contains(a.as_str()) || a.contains(t.as_str()))
            });
        if relevant {
            score -= 25;
            reasons.push(format!(
                "decoy context {written:?} usually means no wildlife"
            ));
        }
    }
    if let Some(w) = &tricks {
        score += 10;
        reasons.push(format!(
            "written as {w:?}: look-alike characters or separators meant to slip past keyword filters"
        ));
    } else if any_folded_only && !per_taxon.is_empty() {
        reasons.push(
            "every species match needed folding (accents, look-alike characters or separators)"
                .into(),
        );
    }
    let score = score.clamp(0, 100) as u32;
    Scored {
        score,
        flagged: score >= min_score,
        taxa,
        matches,
        reasons,
    }
}
