//! The TOML shape of a list file, with spans, and its validation.

use super::{
    Cue, CueKind, KeywordList, ListError, ListKind, ListProblem, Taxon, Term, TermKind, line_col,
};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use toml::Spanned;

type S = Spanned<String>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    list: Spanned<RawHeader>,
    #[serde(default)]
    taxon: Vec<Spanned<RawTaxon>>,
    #[serde(default)]
    cue: Vec<Spanned<RawCue>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    name: S,
    kind: S,
    version: S,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    sources: Vec<S>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTaxon {
    id: S,
    scientific_name: S,
    rank: S,
    #[serde(default)]
    synonyms: Vec<S>,
    #[serde(default)]
    abbreviations: Vec<S>,
    appendix: S,
    #[serde(default)]
    listing_note: Option<S>,
    group: S,
    #[serde(default)]
    live_search: Vec<S>,
    #[serde(default)]
    names: BTreeMap<S, Vec<S>>,
    #[serde(default)]
    products: BTreeMap<S, Vec<S>>,
    #[serde(default)]
    code_words: Vec<Spanned<RawCodeWord>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCodeWord {
    term: S,
    lang: S,
    note: S,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCue {
    kind: S,
    lang: S,
    terms: Vec<S>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    applies_to: Option<Vec<S>>,
}

const RANKS: &[&str] = &["species", "subspecies", "genus", "family", "order", "class"];

struct Checker<'a> {
    path: &'a Path,
    text: &'a str,
    problems: Vec<ListProblem>,
}

impl Checker<'_> {
    fn at(&mut self, span: std::ops::Range<usize>, message: impl Into<String>) {
        let (line, column) = line_col(self.text, span.start);
        self.problems.push(ListProblem {
            path: self.path.to_path_buf(),
            line,
            column,
            message: message.into(),
        });
    }

    fn term(&mut self, s: &S, what: &str) -> Option<String> {
        let t = s.get_ref().trim();
        if t.is_empty() {
            self.at(s.span(), format!("{what} is empty"));
            return None;
        }
        if t.chars().any(char::is_control) {
            self.at(
                s.span(),
                format!("{what} {t:?} contains a control character"),
            );
            return None;
        }
        if t.chars().count() > 100 {
            self.at(s.span(), format!("{what} is longer than 100 characters"));
            return None;
        }
        Some(t.to_string())
    }

    fn lang(&mut self, s: &S, allow_any: bool) -> Option<String> {
        let l = s.get_ref().as_str();
        let ok = (l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase()))
            || l == "zh-Hans"
            || l == "zh-Hant"
            || (allow_any && l == "*");
        if ok {
            Some(l.to_string())
        } else {
            self.at(
                s.span(),
                format!(
                    "{l:?} is not a language key: use a two-letter ISO 639-1 code (en, fr, vi …), zh-Hans or zh-Hant{}",
                    if allow_any { ", or \"*\" for any language" } else { "" }
                ),
            );
            None
        }
    }

    fn ident(&mut self, s: &S, what: &str) -> String {
        let v = s.get_ref();
        if v.is_empty()
            || !v
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            self.at(
                s.span(),
                format!("{what} {v:?} must use only a-z, 0-9 and '-'"),
            );
        }
        v.clone()
    }
}

fn valid_appendix(a: &str) -> bool {
    let parts: Vec<&str> = a.split('/').collect();
    let order = |p: &str| match p {
        "I" => Some(1),
        "II" => Some(2),
        "III" => Some(3),
        _ => None,
    };
    let nums: Option<Vec<i32>> = parts.iter().map(|p| order(p)).collect();
    match nums {
        Some(n) => !n.is_empty() && n.windows(2).all(|w| w[0] < w[1]),
        None => false,
    }
}

pub(super) fn parse(path: &Path, text: &str) -> Result<KeywordList, ListError> {
    let raw: RawFile = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            return Err(ListError::Invalid(vec![ListProblem {
                path: path.to_path_buf(),
                line,
                column,
                message: e
                    .message()
                    .trim()
                    .lines()
                    .map(str::trim)
                    .collect::<Vec<_>>()
                    .join("; "),
            }]));
        }
    };
    let mut c = Checker {
        path,
        text,
        problems: Vec::new(),
    };
    let header_span = raw.list.span();
    let header = raw.list.into_inner();
    let name = c.ident(&header.name, "list name");
    let kind = match header.kind.get_ref().as_str() {
        "species" => ListKind::Species,
        "cues" => ListKind::Cues,
        other => {
            c.at(
                header.kind.span(),
                format!("kind {other:?} must be \"species\" or \"cues\""),
            );
            ListKind::Species
        }
    };
    if header.version.get_ref().trim().is_empty() {
        c.at(header.version.span(), "version is empty");
    }
    if header.sources.is_empty() {
        c.at(
            header_span.clone(),
            "[list] needs at least one entry in sources",
        );
    }
    let sources: Vec<String> = header
        .sources
        .iter()
        .filter_map(|s| c.term(s, "source"))
        .collect();

    let mut taxa = Vec::new();
    let mut ids = HashSet::new();
    if kind == ListKind::Cues && !raw.taxon.is_empty() {
        c.at(
            raw.taxon[0].span(),
            "a cues list cannot hold [[taxon]] entries",
        );
    }
    if kind == ListKind::Species && !raw.cue.is_empty() {
        c.at(
            raw.cue[0].span(),
            "a species list cannot hold [[cue]] entries",
        );
    }
    for t in &raw.taxon {
        let t = t.get_ref();
        let id = c.ident(&t.id, "taxon id");
        if !ids.insert(id.clone()) {
            c.at(t.id.span(), format!("taxon id {id:?} is used twice"));
        }
        let rank = t.rank.get_ref().clone();
        if !RANKS.contains(&rank.as_str()) {
            c.at(
                t.rank.span(),
                format!("rank {rank:?} must be one of {}", RANKS.join(", ")),
            );
        }
        let appendix = t.appendix.get_ref().clone();
        if !valid_appendix(&appendix) {
            c.at(
                t.appendix.span(),
                format!("appendix {appendix:?} must be I, II, III, or a split such as I/II"),
            );
        } else if appendix.contains('/') && t.listing_note.is_none() {
            c.at(
                t.appendix.span(),
                format!("split listing {appendix} needs a listing_note saying which populations are in which appendix"),
            );
        }
        let mut terms = Vec::new();
        let mut seen: HashSet<(String, String)> = HashSet::new();
        let mut push =
            |c: &mut Checker<'_>, s: &S, kind: TermKind, lang: &str, note: Option<String>| {
                if let Some(text) = c.term(s, "term") {
                    if !seen.insert((lang.to_string(), text.to_lowercase()))
                        && kind != TermKind::CodeWord
                    {
                        c.at(
                            s.span(),
                            format!("term {text:?} appears twice for language {lang}"),
                        );
                        return;
                    }
                    terms.push(Term {
                        text,
                        kind,
                        lang: lang.to_string(),
                        note,
                    });
                }
            };
        push(
            &mut c,
            &t.scientific_name,
            TermKind::ScientificName,
            "la",
            None,
        );
        for s in &t.synonyms {
            push(&mut c, s, TermKind::Synonym, "la", None);
        }
        for s in &t.abbreviations {
            push(&mut c, s, TermKind::Abbreviation, "la", None);
        }
        for (lang, list) in &t.names {
            if let Some(l) = c.lang(lang, false) {
                for s in list {
                    push(&mut c, s, TermKind::CommonName, &l, None);
                }
            }
        }
        for (lang, list) in &t.products {
            if let Some(l) = c.lang(lang, false) {
                for s in list {
                    push(&mut c, s, TermKind::Product, &l, None);
                }
            }
        }
        for cw in &t.code_words {
            let cw = cw.get_ref();
            let note = c.term(&cw.note, "code word note");
            if let (Some(l), Some(note)) = (c.lang(&cw.lang, false), note) {
                push(&mut c, &cw.term, TermKind::CodeWord, &l, Some(note));
            }
        }
        let live_search = t
            .live_search
            .iter()
            .filter_map(|s| c.term(s, "live_search term"))
            .collect();
        let group = c.term(&t.group, "group").unwrap_or_default();
        taxa.push(Taxon {
            id,
            scientific_name: t.scientific_name.get_ref().trim().to_string(),
            rank,
            appendix,
            listing_note: t.listing_note.as_ref().map(|n| n.get_ref().clone()),
            group,
            terms,
            live_search,
        });
    }

    let mut cues = Vec::new();
    let mut seen_cues: HashSet<(CueKind, String, String)> = HashSet::new();
    for q in &raw.cue {
        let q = q.get_ref();
        let kind = match q.kind.get_ref().as_str() {
            "sale" => CueKind::Sale,
            "contact" => CueKind::Contact,
            "price" => CueKind::Price,
            "cover" => CueKind::Cover,
            "decoy" => CueKind::Decoy,
            other => {
                c.at(
                    q.kind.span(),
                    format!("cue kind {other:?} must be sale, contact, price, cover or decoy"),
                );
                continue;
            }
        };
        let Some(lang) = c.lang(&q.lang, true) else {
            continue;
        };
        if q.terms.is_empty() {
            c.at(q.kind.span(), "a cue needs at least one term");
        }
        let mut terms = Vec::new();
        for s in &q.terms {
            if let Some(t) = c.term(s, "cue term") {
                if !seen_cues.insert((kind, lang.clone(), t.to_lowercase())) {
                    c.at(s.span(), format!("cue term {t:?} appears twice for {lang}"));
                    continue;
                }
                terms.push(t);
            }
        }
        let applies_to = match (&q.applies_to, kind) {
            (None, _) => Vec::new(),
            (Some(list), CueKind::Decoy) => list
                .iter()
                .filter_map(|s| c.term(s, "applies_to term"))
                .collect(),
            (Some(list), _) => {
                if let Some(first) = list.first() {
                    c.at(first.span(), "applies_to is only allowed on decoy cues");
                }
                Vec::new()
            }
        };
        cues.push(Cue {
            kind,
            lang,
            terms,
            note: q.note.clone(),
            applies_to,
        });
    }

    if !c.problems.is_empty() {
        return Err(ListError::Invalid(c.problems));
    }
    Ok(KeywordList {
        path: path.to_path_buf(),
        name,
        kind,
        version: header.version.into_inner(),
        description: header.description,
        sources,
        sha256: crate::hash::sha256_hex(text.as_bytes()),
        taxa,
        cues,
    })
}
