//! Scoring a listing from its matches (0–100), with reasons an officer can
//! read. The model is documented in `docs/matching.md`.

use super::{Category, Hit, Matcher, snippet};
use crate::species::{CueKind, KeywordList, TermKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Default `--min-score`.
pub const DEFAULT_MIN_SCORE: u32 = 45;

/// One match as reported.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MatchOut {
    pub(crate) term: String,
    pub(crate) kind: String,
    pub(crate) lang: String,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) snippet: String,
}

/// A taxon a listing mentions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TaxonOut {
    pub(crate) scientific_name: String,
    pub(crate) appendix: String,
    pub(crate) group: String,
}

/// One reason behind a score: the points it added (negative: took away)
/// and a sentence saying what in the listing earned them. The points of a
/// listing's reasons add up to its score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ReasonRepr")]
pub struct Reason {
    /// `None` only for results written before reasons carried points.
    pub points: Option<i32>,
    pub text: String,
}

impl Reason {
    fn new(points: i32, text: impl Into<String>) -> Reason {
        Reason {
            points: Some(points),
            text: text.into(),
        }
    }
}

/// Reasons as stored: `{"points": 20, "text": "…"}`, or a plain sentence
/// in results written by earlier versions.
#[derive(Deserialize)]
#[serde(untagged)]
enum ReasonRepr {
    Points { points: Option<i32>, text: String },
    Text(String),
}

impl From<ReasonRepr> for Reason {
    fn from(r: ReasonRepr) -> Reason {
        match r {
            ReasonRepr::Points { points, text } => Reason { points, text },
            ReasonRepr::Text(text) => Reason { points: None, text },
        }
    }
}

/// `(+20) sale wording "for sale"`; without points, the sentence alone.
/// The sign is in brackets so that a spreadsheet never reads the cell as a
/// formula.
impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.points {
            Some(p) => write!(f, "({p:+}) {}", self.text),
            None => f.write_str(&self.text),
        }
    }
}

/// The verdict on one listing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scored {
    pub(crate) score: u32,
    pub(crate) flagged: bool,
    pub(crate) taxa: Vec<TaxonOut>,
    pub(crate) matches: Vec<MatchOut>,
    pub(crate) reasons: Vec<Reason>,
}

/// A listing's words in double quotes, as a reason quotes them: control
/// characters and quotes escaped, everything else (accents, combining
/// marks of Thai or Vietnamese, any script) kept as written. (Rust's `{:?}`
/// would also escape combining marks, printing `\u{e49}` in a reason.)
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out.push('"');
    out
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
/// ("$250", "250 USD", "1.200.000đ", "¥800", "RM 300"). One pass over the
/// text, looking only at the few characters around each number, so a long
/// listing costs no more memory than a short one.
fn has_price(text: &str) -> Option<String> {
    const SYMBOLS: &[&str] = &[
        "$", "€", "£", "¥", "₫", "฿", "₱", "usd", "eur", "gbp", "rmb", "cny", "vnd", "idr", "myr",
        "thb", "php", "jpy", "rp", "rm", "元", "円", "đ", "k",
    ];
    /// Lower-cased last (or first) few characters of `s`.
    fn edge(s: &str, at_end: bool) -> String {
        const N: usize = 8;
        let part = if at_end {
            let from = s.char_indices().rev().nth(N - 1).map_or(0, |(i, _)| i);
            &s[from..]
        } else {
            let to = s.char_indices().nth(N).map_or(s.len(), |(i, _)| i);
            &s[..to]
        };
        part.to_lowercase()
    }
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
    let mut it = text.char_indices().peekable();
    while let Some((start, c)) = it.next() {
        if !c.is_ascii_digit() {
            continue;
        }
        let mut run = 1;
        let mut end = start + 1;
        while let Some(&(i, c)) = it.peek() {
            if c.is_ascii_digit() || matches!(c, '.' | ',') {
                run += 1;
                end = i + c.len_utf8();
                it.next();
            } else {
                break;
            }
        }
        if run < 2 {
            continue;
        }
        let before = text[..start].trim_end();
        let after = text[end..].trim_start();
        if near(&edge(before, true), true) || near(&edge(after, false), false) {
            let s = text.floor_char_boundary(before.len().saturating_sub(4));
            let e = text.ceil_char_boundary((end + 6).min(text.len()));
            return Some(text[s..e].trim().to_string());
        }
    }
    None
}

/// A decoy cue found in the text: its span, the words it neutralises
/// (lowercase; empty for "any"), and how it was written.
struct Decoy {
    start: usize,
    end: usize,
    applies_to: Vec<String>,
    written: String,
}

impl Decoy {
    /// Whether this decoy covers hit `h` of species term `term`.
    fn neutralises(&self, h: &Hit, term: &str) -> bool {
        // Compared as the matcher sees words (case, accents and look-alikes
        // folded), so a decoy covers every spelling of its word: "leopard
        // print" neutralises the French "léopard" too.
        let term = fold(term);
        self.start <= h.start
            && h.end <= self.end
            && (self.applies_to.is_empty()
                || self
                    .applies_to
                    .iter()
                    .any(|a| term.contains(a.as_str()) || a.contains(&term)))
    }
}

/// The strongest species evidence for one taxon.
struct TaxonEvidence {
    weight: i32,
    folded: bool,
    written: String,
    kind: TermKind,
}

/// What the hits say, before scoring.
#[derive(Default)]
struct Evidence {
    matches: Vec<MatchOut>,
    /// Keyed by (list, taxon) index.
    per_taxon: BTreeMap<(usize, usize), TaxonEvidence>,
    /// The first way each cue kind was written.
    cues: BTreeMap<CueKind, String>,
    /// True while every species hit needed folding.
    all_folded: bool,
    /// The first species hit written with tricks (look-alikes, separators).
    tricks: Option<String>,
}

fn match_out(text: &str, h: &Hit, term: &str, category: Category, lang: &str) -> MatchOut {
    MatchOut {
        term: term.to_string(),
        kind: kind_name(category).into(),
        lang: lang.to_string(),
        start: h.start,
        end: h.end,
        snippet: snippet(text, h.start, h.end, 40).to_string(),
    }
}

/// A word as the matcher compares it: normalised (case, accents and
/// look-alike letters folded).
fn fold(s: &str) -> String {
    super::normalize::normalize(s).text
}

fn find_decoys(text: &str, hits: &[Hit], matcher: &Matcher, lists: &[KeywordList]) -> Vec<Decoy> {
    let mut decoys = Vec::new();
    for h in hits {
        for t in matcher.terms_of(h.pattern) {
            if t.category == Category::Cue(CueKind::Decoy) {
                let cue = &lists[t.list].cues[t.entry];
                decoys.push(Decoy {
                    start: h.start,
                    end: h.end,
                    applies_to: cue.applies_to.iter().map(|a| fold(a)).collect(),
                    written: text[h.start..h.end].to_string(),
                });
            }
        }
    }
    decoys
}

/// Gathers the matches, the best species evidence per taxon and the cues,
/// leaving out species hits a decoy neutralises.
fn gather(text: &str, hits: &[Hit], matcher: &Matcher, decoys: &[Decoy]) -> Evidence {
    let mut ev = Evidence {
        all_folded: true,
        ..Evidence::default()
    };
    for h in hits {
        let written = &text[h.start..h.end];
        for t in matcher.terms_of(h.pattern) {
            match t.category {
                Category::Species(kind) => {
                    if decoys.iter().any(|d| d.neutralises(h, &t.term)) {
                        continue;
                    }
                    ev.matches
                        .push(match_out(text, h, &t.term, t.category, &t.lang));
                    let weight = term_weight(kind);
                    let e = ev
                        .per_taxon
                        .entry((t.list, t.entry))
                        .or_insert(TaxonEvidence {
                            weight: 0,
                            folded: h.folded,
                            written: written.to_string(),
                            kind,
                        });
                    if weight > e.weight || (weight == e.weight && e.folded && !h.folded) {
                        *e = TaxonEvidence {
                            weight,
                            folded: h.folded,
                            written: written.to_string(),
                            kind,
                        };
                    }
                    if !h.folded {
                        ev.all_folded = false;
                    }
                    if h.tricks && ev.tricks.is_none() {
                        ev.tricks = Some(written.to_string());
                    }
                }
                Category::Cue(kind) => {
                    if kind != CueKind::Decoy {
                        ev.matches
                            .push(match_out(text, h, &t.term, t.category, &t.lang));
                    }
                    ev.cues.entry(kind).or_insert_with(|| written.to_string());
                }
            }
        }
    }
    ev
}

/// The taxa, a reason for each, and the best single species score. Only
/// the strongest taxon's evidence counts; the others' reasons say so and
/// carry no points.
fn species_part(
    ev: &Evidence,
    lists: &[KeywordList],
    reasons: &mut Vec<Reason>,
) -> (Vec<TaxonOut>, i32) {
    let mut taxa = Vec::new();
    let mut scored = Vec::new();
    for (&(li, ti), e) in &ev.per_taxon {
        let taxon = &lists[li].taxa[ti];
        let appendix = taxon.appendix.split('/').next().unwrap_or("");
        let mut parts = vec![(e.weight, "")];
        parts.push(match appendix {
            "I" => (10, "Appendix I"),
            "II" => (5, "Appendix II"),
            _ => (2, "Appendix III"),
        });
        if e.folded && ev.tricks.is_none() {
            parts.push((-5, "a match that needed folding"));
        }
        scored.push((taxon, e, parts));
    }
    let best = scored
        .iter()
        .map(|(_, _, p)| p.iter().map(|x| x.0).sum::<i32>())
        .max()
        .unwrap_or(0);
    let mut counted = false;
    for (taxon, e, parts) in scored {
        taxa.push(TaxonOut {
            scientific_name: taxon.scientific_name.clone(),
            appendix: taxon.appendix.clone(),
            group: taxon.group.clone(),
        });
        let what = match e.kind {
            TermKind::CodeWord => "trade code word",
            TermKind::Product => "product word",
            TermKind::ScientificName | TermKind::Synonym | TermKind::Abbreviation => {
                "scientific name"
            }
            TermKind::CommonName => "common name",
        };
        let total: i32 = parts.iter().map(|x| x.0).sum();
        let counts = !counted && total == best;
        counted |= counts;
        let breakdown = parts
            .iter()
            .enumerate()
            .map(|(i, (p, label))| match i {
                0 => format!("{p} for a {what}"),
                _ => format!("{p:+} for {label}"),
            })
            .collect::<Vec<_>>()
            .join(", ");
        reasons.push(Reason::new(
            if counts { total } else { 0 },
            format!(
                "{what} {} points to {} (CITES Appendix {}){}; {}",
                quoted(&e.written),
                taxon.scientific_name,
                taxon.appendix,
                if e.folded {
                    "; matched only after undoing spelling tricks or accents"
                } else {
                    ""
                },
                if counts {
                    breakdown
                } else {
                    format!("{breakdown}, not counted: only the strongest taxon's evidence scores")
                }
            ),
        ));
        if e.kind == TermKind::CodeWord
            && let Some(note) = taxon
                .terms
                .iter()
                .find(|t| t.kind == TermKind::CodeWord && t.note.is_some())
                .and_then(|t| t.note.clone())
        {
            reasons.push(Reason::new(0, format!("code word source: {note}")));
        }
    }
    (taxa, best)
}

/// Points for the context: product words with names, sale, contact, price
/// and cover cues.
fn context_part(ev: &Evidence, text: &str, reasons: &mut Vec<Reason>) -> i32 {
    let mut score = 0;
    let has_product = ev.per_taxon.values().any(|e| e.kind == TermKind::Product);
    let has_name = ev.per_taxon.values().any(|e| e.kind != TermKind::Product);
    if has_name && has_product {
        score += 15;
        reasons.push(Reason::new(
            15,
            "a species name appears together with a product word",
        ));
    }
    if ev.per_taxon.len() > 1 && !has_name {
        score += 5;
        reasons.push(Reason::new(
            5,
            format!("product words of {} taxa", ev.per_taxon.len()),
        ));
    }
    let price = ev
        .cues
        .get(&CueKind::Price)
        .cloned()
        .or_else(|| has_price(text));
    for (kind, pts, label) in [
        (CueKind::Sale, 20, "sale wording"),
        (CueKind::Contact, 10, "contact cue"),
    ] {
        if let Some(w) = ev.cues.get(&kind) {
            score += pts;
            reasons.push(Reason::new(pts, format!("{label} {}", quoted(w))));
        }
    }
    if let Some(p) = price {
        score += 10;
        reasons.push(Reason::new(
            10,
            format!("a price is given ({})", quoted(&p)),
        ));
    }
    if let Some(w) = ev.cues.get(&CueKind::Cover) {
        score += 5;
        reasons.push(Reason::new(
            5,
            format!(
                "claims {}: a legality claim often used as cover (not a proof either way)",
                quoted(w)
            ),
        ));
    }
    score
}

/// Most decoy reasons written for one listing; further decoys are summed
/// in one last reason.
const MAX_DECOY_REASONS: usize = 20;

/// A decoy counts against the listing when it names no particular word
/// (a toy, a print) or when the listing's species matches include a word
/// it applies to (the colour "ivory white" next to another "ivory"). Each
/// counts −25; the same wording found several times gets one reason.
fn decoy_part(ev: &Evidence, decoys: &[Decoy], reasons: &mut Vec<Reason>) -> i32 {
    let mut species_terms: Vec<String> = ev
        .matches
        .iter()
        .filter(|m| !matches!(m.kind.as_str(), "sale" | "contact" | "price" | "cover"))
        .map(|m| fold(&m.term))
        .collect();
    species_terms.sort();
    species_terms.dedup();
    // Written form -> times found, in order of first appearance.
    let mut found: Vec<(&str, i32)> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = Default::default();
    let mut score = 0;
    for d in decoys {
        let relevant = d.applies_to.is_empty()
            || d.applies_to.iter().any(|a| {
                species_terms
                    .iter()
                    .any(|t| t.contains(a.as_str()) || a.contains(t.as_str()))
            });
        if relevant {
            score -= 25;
            let i = *index.entry(d.written.as_str()).or_insert_with(|| {
                found.push((d.written.as_str(), 0));
                found.len() - 1
            });
            found[i].1 += 1;
        }
    }
    let mut rest = (0, 0);
    for (i, (written, n)) in found.iter().enumerate() {
        if i >= MAX_DECOY_REASONS {
            rest = (rest.0 + n, rest.1 + 1);
            continue;
        }
        reasons.push(Reason::new(
            -25 * n,
            format!(
                "decoy context {}{} usually means no wildlife",
                quoted(written),
                if *n > 1 {
                    format!(" (found {n} times)")
                } else {
                    String::new()
                }
            ),
        ));
    }
    if rest.0 > 0 {
        reasons.push(Reason::new(
            -25 * rest.0,
            format!(
                "{} more decoy contexts, in {} other wordings",
                rest.0, rest.1
            ),
        ));
    }
    score
}

/// Points for spelling tricks meant to slip past keyword filters.
fn tricks_part(ev: &Evidence, reasons: &mut Vec<Reason>) -> i32 {
    if let Some(w) = &ev.tricks {
        reasons.push(Reason::new(
            10,
            format!(
                "written as {}: look-alike characters or separators meant to slip past keyword filters",
                quoted(w)
            ),
        ));
        10
    } else {
        if ev.all_folded {
            reasons.push(Reason::new(
                0,
                "every species match needed folding (accents, look-alike characters or separators)",
            ));
        }
        0
    }
}

/// Scores `text` with `matcher` over `lists`: the best species evidence,
/// then context, decoys and tricks, clamped to 0–100.
pub fn score(
    text: &str,
    hits: &[Hit],
    matcher: &Matcher,
    lists: &[KeywordList],
    min_score: u32,
) -> Scored {
    let decoys = find_decoys(text, hits, matcher, lists);
    let ev = gather(text, hits, matcher, &decoys);
    let mut reasons = Vec::new();
    let (taxa, best_species) = species_part(&ev, lists, &mut reasons);
    if ev.per_taxon.is_empty() {
        return Scored {
            score: 0,
            flagged: false,
            taxa,
            matches: ev.matches,
            reasons,
        };
    }
    let total = best_species
        + context_part(&ev, text, &mut reasons)
        + decoy_part(&ev, &decoys, &mut reasons)
        + tricks_part(&ev, &mut reasons);
    let score = total.clamp(0, 100);
    if score != total {
        reasons.push(Reason::new(
            score - total,
            format!("the points add up to {total}; a score is kept between 0 and 100"),
        ));
    }
    let score = score as u32;
    Scored {
        score,
        flagged: score >= min_score,
        taxa,
        matches: ev.matches,
        reasons,
    }
}

#[cfg(test)]
mod reason_tests {
    use super::*;

    /// The points of the reasons add up to the score, whatever the listing.
    #[test]
    fn reason_points_add_up_to_the_score() {
        let lists = crate::species::load_lists(&[]).unwrap();
        let m = Matcher::new(&lists).unwrap();
        for text in [
            "Carved bovine bone bangle for sale, $250, WhatsApp me",
            "Ivory white wedding dress, ivory white, ivory white shoes, ivory",
            "pangolin scales and elephant ivory tusk, rhino horn, antique, pre-ban, 出售 象牙",
            "ban nga voi",
            "p@ngolin sc4les",
            "Tiger Balm",
        ] {
            let hits = m.find(text);
            let s = score(text, &hits, &m, &lists, DEFAULT_MIN_SCORE);
            let sum: i32 = s.reasons.iter().map(|r| r.points.unwrap()).sum();
            if !s.taxa.is_empty() {
                assert_eq!(sum, s.score as i32, "{text}: {:#?}", s.reasons);
            }
        }
    }

    #[test]
    fn prices_are_found_next_to_currency_words_and_symbols() {
        for (text, want) in [
            ("Ivory bangle $250 ono", Some("le $250 ono")),
            ("giá 1.200.000đ liên hệ", Some("giá 1.200.000đ liê")),
            ("only 300 USD each", Some("only 300 USD e")),
            ("RM 300", Some("RM 300")),
            ("size 42, 3 pieces", None),
            ("model X300 usda", None),
        ] {
            assert_eq!(has_price(text).as_deref(), want, "{text}");
        }
    }

    #[test]
    fn reasons_read_back_with_or_without_points() {
        let new: Reason = serde_json::from_str(r#"{"points":-25,"text":"decoy"}"#).unwrap();
        assert_eq!(new.to_string(), "(-25) decoy");
        assert_eq!(Reason::new(20, "sale").to_string(), "(+20) sale");
        let old: Reason = serde_json::from_str(r#""sale wording""#).unwrap();
        assert_eq!(old.points, None);
        assert_eq!(old.to_string(), "sale wording");
    }
}
