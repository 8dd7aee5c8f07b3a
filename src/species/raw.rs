//! The TOML shape of a list file, with spans, and its validation.

use super::{
    Cue, CueKind, KeywordList, ListError, ListKind, ListProblem, NameSide, RANKS, Taxon, Term,
    TermKind, line_col,
};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
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
    within: Option<S>,
    #[serde(default)]
    live_search: Vec<S>,
    #[serde(default)]
    names: BTreeMap<S, Vec<S>>,
    #[serde(default)]
    products: BTreeMap<S, Vec<S>>,
    #[serde(default)]
    code_words: Vec<Spanned<RawCodeWord>>,
    #[serde(default)]
    needs_context: Vec<S>,
    #[serde(default)]
    emoji: Vec<S>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCodeWord {
    term: S,
    lang: S,
    note: S,
    #[serde(default)]
    needs_context: bool,
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
    #[serde(default)]
    name_side: Option<S>,
    #[serde(default)]
    not_inside: Option<Vec<S>>,
}

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

/// Parses and checks a list file; every problem is reported with its line
/// and column.
pub(super) fn parse(path: &Path, text: &str) -> Result<KeywordList, ListError> {
    let raw = parse_toml(path, text)?;
    let mut c = Checker {
        path,
        text,
        problems: Vec::new(),
    };
    let header_span = raw.list.span();
    let header = raw.list.into_inner();
    let (name, kind, sources) = c.header(&header, header_span);
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
    let mut ids = HashSet::new();
    let mut taxa: Vec<Taxon> = raw
        .taxon
        .iter()
        .map(|t| c.taxon(t.get_ref(), &mut ids))
        .collect();
    let within = c.within(&raw.taxon, &taxa);
    let id_of: Vec<String> = taxa.iter().map(|t| t.id.clone()).collect();
    for (t, w) in taxa.iter_mut().zip(within) {
        t.within = w;
        t.within_id = w.map(|i| id_of[i].clone());
    }
    let mut seen_cues = HashSet::new();
    let cues: Vec<Cue> = raw
        .cue
        .iter()
        .filter_map(|q| c.cue(q.get_ref(), &mut seen_cues))
        .collect();
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

/// The TOML itself, or its first syntax or shape error.
fn parse_toml(path: &Path, text: &str) -> Result<RawFile, ListError> {
    toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
        ListError::Invalid(vec![ListProblem {
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
        }])
    })
}

impl Checker<'_> {
    /// `[list]`: name, kind, version and sources.
    fn header(
        &mut self,
        header: &RawHeader,
        span: std::ops::Range<usize>,
    ) -> (String, ListKind, Vec<String>) {
        let name = self.ident(&header.name, "list name");
        let kind = match header.kind.get_ref().as_str() {
            "species" => ListKind::Species,
            "cues" => ListKind::Cues,
            other => {
                self.at(
                    header.kind.span(),
                    format!("kind {other:?} must be \"species\" or \"cues\""),
                );
                ListKind::Species
            }
        };
        if header.version.get_ref().trim().is_empty() {
            self.at(header.version.span(), "version is empty");
        }
        if header.sources.is_empty() {
            self.at(span, "[list] needs at least one entry in sources");
        }
        let sources = header
            .sources
            .iter()
            .filter_map(|s| self.term(s, "source"))
            .collect();
        (name, kind, sources)
    }

    /// One `[[taxon]]`: identity, rank, appendix and its terms.
    fn taxon(&mut self, t: &RawTaxon, ids: &mut HashSet<String>) -> Taxon {
        let id = self.ident(&t.id, "taxon id");
        if !ids.insert(id.clone()) {
            self.at(t.id.span(), format!("taxon id {id:?} is used twice"));
        }
        let rank = t.rank.get_ref().clone();
        if !RANKS.contains(&rank.as_str()) {
            self.at(
                t.rank.span(),
                format!("rank {rank:?} must be one of {}", RANKS.join(", ")),
            );
        }
        let appendix = t.appendix.get_ref().clone();
        if !valid_appendix(&appendix) {
            self.at(
                t.appendix.span(),
                format!("appendix {appendix:?} must be I, II, III, or a split such as I/II"),
            );
        } else if appendix.contains('/') && t.listing_note.is_none() {
            self.at(
                t.appendix.span(),
                format!("split listing {appendix} needs a listing_note saying which populations are in which appendix"),
            );
        }
        let terms = self.taxon_terms(t);
        let live_search = t
            .live_search
            .iter()
            .filter_map(|s| self.term(s, "live_search term"))
            .collect();
        let group = self.term(&t.group, "group").unwrap_or_default();
        Taxon {
            id,
            scientific_name: t.scientific_name.get_ref().trim().to_string(),
            rank,
            appendix,
            listing_note: t.listing_note.as_ref().map(|n| n.get_ref().clone()),
            group,
            within: None,
            within_id: None,
            terms,
            live_search,
        }
    }

    /// Each `within` names another taxon of the list, of a less specific
    /// rank, that holds this one; it becomes that taxon's index. As each
    /// step goes to a less specific rank, a chain of them cannot loop.
    fn within(&mut self, raw: &[Spanned<RawTaxon>], taxa: &[Taxon]) -> Vec<Option<usize>> {
        raw.iter()
            .zip(taxa)
            .map(|(r, t)| {
                let w = r.get_ref().within.as_ref()?;
                let name = w.get_ref().trim();
                let Some(i) = taxa.iter().position(|o| o.id == name) else {
                    self.at(
                        w.span(),
                        format!("within {name:?} is not the id of a taxon in this list"),
                    );
                    return None;
                };
                if taxa[i].rank_specificity() >= t.rank_specificity() {
                    self.at(
                        w.span(),
                        format!(
                            "within {name:?}: a taxon is within one of a less specific rank, and {} is a {}, {} a {}",
                            taxa[i].scientific_name, taxa[i].rank, t.scientific_name, t.rank
                        ),
                    );
                    return None;
                }
                Some(i)
            })
            .collect()
    }

    /// A taxon's scientific name, synonyms, abbreviations, common names,
    /// product words and code words; a term twice for one language is a
    /// problem (except code words, which may repeat with another source).
    fn taxon_terms(&mut self, t: &RawTaxon) -> Vec<Term> {
        let mut terms = Vec::new();
        let mut seen: HashSet<(String, String)> = HashSet::new();
        let mut push = |c: &mut Checker<'_>,
                        s: &S,
                        kind: TermKind,
                        lang: &str,
                        note: Option<String>,
                        ctx: bool| {
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
                    needs_context: ctx,
                });
            }
        };
        push(
            self,
            &t.scientific_name,
            TermKind::ScientificName,
            "la",
            None,
            false,
        );
        for s in &t.synonyms {
            push(self, s, TermKind::Synonym, "la", None, false);
        }
        for s in &t.abbreviations {
            push(self, s, TermKind::Abbreviation, "la", None, false);
        }
        for (kind, by_lang) in [
            (TermKind::CommonName, &t.names),
            (TermKind::Product, &t.products),
        ] {
            for (lang, list) in by_lang {
                if let Some(l) = self.lang(lang, false) {
                    for s in list {
                        push(self, s, kind, &l, None, false);
                    }
                }
            }
        }
        for cw in &t.code_words {
            let cw = cw.get_ref();
            let note = self.term(&cw.note, "code word note");
            if let (Some(l), Some(note)) = (self.lang(&cw.lang, false), note) {
                push(
                    self,
                    &cw.term,
                    TermKind::CodeWord,
                    &l,
                    Some(note),
                    cw.needs_context,
                );
            }
        }
        for s in &t.emoji {
            let e = s.get_ref().trim();
            if super::emoji_char(e).is_none() {
                self.at(
                    s.span(),
                    format!(
                        "emoji {e:?} must be one pictographic character (optionally followed by U+FE0F)"
                    ),
                );
                continue;
            }
            // An emoji is never evidence on its own: it always needs a
            // product, part or live-animal word beside it. It is kept
            // without the presentation selector U+FE0F, as the matcher
            // finds it whether or not the seller wrote one.
            let bare = Spanned::new(s.span(), e.trim_end_matches('\u{FE0F}').to_string());
            push(self, &bare, TermKind::Emoji, "*", None, true);
        }
        // Everyday words named in needs_context must be terms of the taxon.
        // Each term is lower-cased once: a taxon may hold hundreds of terms
        // and as many everyday words.
        if t.needs_context.is_empty() {
            return terms;
        }
        let mut by_lower: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, term) in terms.iter().enumerate() {
            if term.kind != TermKind::CodeWord {
                by_lower
                    .entry(term.text.to_lowercase())
                    .or_default()
                    .push(i);
            }
        }
        for s in &t.needs_context {
            let want = s.get_ref().trim().to_lowercase();
            let hits = by_lower.get(&want).map_or(&[][..], Vec::as_slice);
            for &i in hits {
                terms[i].needs_context = true;
            }
            if hits.is_empty() {
                self.at(
                    s.span(),
                    format!(
                        "needs_context term {:?} is not a name, synonym or product word of this taxon",
                        s.get_ref()
                    ),
                );
            }
        }
        terms
    }

    /// One `[[cue]]`; `None` when its kind or language is unusable.
    fn cue(&mut self, q: &RawCue, seen: &mut HashSet<(CueKind, String, String)>) -> Option<Cue> {
        let kind = match q.kind.get_ref().as_str() {
            "sale" => CueKind::Sale,
            "contact" => CueKind::Contact,
            "price" => CueKind::Price,
            "cover" => CueKind::Cover,
            "decoy" => CueKind::Decoy,
            "form" => CueKind::Form,
            "news" => CueKind::News,
            "question" => CueKind::Question,
            "picture" => CueKind::Picture,
            "unlisted" => CueKind::Unlisted,
            "homograph" => CueKind::Homograph,
            other => {
                self.at(
                    q.kind.span(),
                    format!(
                        "cue kind {other:?} must be sale, contact, price, cover, decoy, form, news, question, picture, unlisted or homograph"
                    ),
                );
                return None;
            }
        };
        let lang = self.lang(&q.lang, true)?;
        if q.terms.is_empty() {
            self.at(q.kind.span(), "a cue needs at least one term");
        }
        // English cues count in every listing written in Latin letters, so
        // an English or "*" homograph would take the word away in French,
        // Spanish or Indonesian listings too, where it is the species term.
        if kind == CueKind::Homograph && matches!(lang.as_str(), "en" | "*") {
            self.at(
                q.lang.span(),
                format!(
                    "a homograph cue cannot be {lang:?}: English and \"*\" cues count in every Latin-script listing, so it would also take away the word where it is a species term; give the language the word is ordinary in"
                ),
            );
        }
        let mut terms = Vec::new();
        for s in &q.terms {
            if let Some(t) = self.term(s, "cue term") {
                if !seen.insert((kind, lang.clone(), t.to_lowercase())) {
                    self.at(s.span(), format!("cue term {t:?} appears twice for {lang}"));
                    continue;
                }
                terms.push(t);
            }
        }
        let applies_to = match (&q.applies_to, kind) {
            (None, _) => Vec::new(),
            (Some(list), CueKind::Decoy | CueKind::Unlisted | CueKind::Homograph) => list
                .iter()
                .filter_map(|s| self.term(s, "applies_to term"))
                .collect(),
            (Some(list), _) => {
                if let Some(first) = list.first() {
                    self.at(
                        first.span(),
                        "applies_to is only allowed on decoy, unlisted and homograph cues",
                    );
                }
                Vec::new()
            }
        };
        let name_side = match (&q.name_side, kind) {
            (Some(side), CueKind::Picture) => match side.get_ref().as_str() {
                "before" => Some(NameSide::Before),
                "after" => Some(NameSide::After),
                other => {
                    self.at(
                        side.span(),
                        format!("name_side {other:?} must be \"before\" or \"after\""),
                    );
                    None
                }
            },
            (None, CueKind::Picture) => {
                self.at(
                    q.kind.span(),
                    "a picture cue needs name_side: \"before\" (\"tiger print\") or \"after\" (\"estampa de tucanos\")",
                );
                None
            }
            (Some(side), _) => {
                self.at(side.span(), "name_side is only allowed on picture cues");
                None
            }
            (None, _) => None,
        };
        let not_inside = match (&q.not_inside, kind) {
            (None, _) => Vec::new(),
            (Some(list), CueKind::Picture | CueKind::Form) => list
                .iter()
                .filter_map(|s| {
                    let word = self.term(s, "not_inside word")?;
                    if !terms
                        .iter()
                        .any(|t| word.contains(t.as_str()) && word != *t)
                    {
                        self.at(
                            s.span(),
                            format!("not_inside word {word:?} holds none of this cue's terms"),
                        );
                    }
                    Some(word)
                })
                .collect(),
            (Some(list), _) => {
                if let Some(first) = list.first() {
                    self.at(
                        first.span(),
                        "not_inside is only allowed on picture and form cues",
                    );
                }
                Vec::new()
            }
        };
        Some(Cue {
            kind,
            lang,
            terms,
            note: q.note.clone(),
            applies_to,
            name_side,
            not_inside,
        })
    }
}
