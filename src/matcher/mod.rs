//! Matching species terms and trade cues in listing text.
//!
//! Every term of every loaded list is normalised ([`normalize()`]) and put in
//! one Aho-Corasick automaton, so one pass over the normalised text finds
//! all of them. Terms of scripts that separate words with spaces must sit on
//! word boundaries (see `bounded_edges`); CJK and Thai terms match
//! anywhere. Each match maps back to the byte range the seller actually
//! wrote.

mod folds;
mod lang;
mod mask;
mod normalize;
mod quotes;
pub mod score;

pub use normalize::{Normalized, normalize};

use crate::species::{CueKind, KeywordList, TermKind};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Serialize;
use std::collections::HashMap;

/// What a pattern stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case", tag = "type", content = "kind")]
pub(crate) enum Category {
    Species(TermKind),
    Cue(CueKind),
}

/// One term of one list.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TermRef {
    /// Index of the list in the slice given to [`Matcher::new`].
    pub(crate) list: usize,
    /// Index of the taxon (species terms) or cue group (cues).
    pub(crate) entry: usize,
    pub(crate) term: String,
    pub(crate) lang: String,
    pub(crate) category: Category,
    /// The term as written, up to case, spacing and Chinese variants: a
    /// match written exactly so is exact.
    pub(crate) canonical: String,
    /// A species term that counts only with context (an everyday word, an
    /// emoji).
    pub(crate) needs_context: bool,
}

/// A match in the original text.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// Byte range in the original text (on character boundaries).
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Whether the match needed folding (diacritics, look-alikes,
    /// separators, repeated letters).
    pub(crate) folded: bool,
    /// Whether the seller used tricks only someone hiding from keyword
    /// filters would use (look-alike characters, separators between
    /// letters, invisible characters).
    pub(crate) tricks: bool,
    /// Whether one letter of the term was hidden behind a symbol (`m*skus`):
    /// the symbol could also stand for another letter, so this is read as
    /// the term but claimed as no trick.
    pub(crate) masked: bool,
    /// Index into [`Matcher::terms_of`].
    pub(crate) pattern: usize,
}

/// Bytes of text normalised and matched at once (see [`Matcher::find_capped`]).
pub const WINDOW: usize = 256 << 10;
/// Bytes of context on either side of a window: more than the longest term
/// (100 characters) can span when written with separators between letters.
pub const OVERLAP: usize = 8 << 10;

/// All terms of a set of lists, compiled.
pub struct Matcher {
    ac: AhoCorasick,
    /// Per pattern: the terms that normalise to it.
    terms: Vec<Vec<TermRef>>,
    /// Per pattern: whether the start / end must be on a word boundary.
    bounded: Vec<(bool, bool)>,
    /// Per pattern: whether a species term normalises to it.
    species: Vec<bool>,
    /// Per pattern: whether a species term that needs no context
    /// normalises to it.
    strong: Vec<bool>,
    /// Per pattern: whether a product-form, part or live-animal cue does.
    form: Vec<bool>,
    /// Per pattern that starts with an Arabic letter: whether sale, contact,
    /// news or question wording, which holds verbs, normalises to it (an
    /// Arabic verb takes prefixes a noun does not; see [`arabic_prefix`]).
    /// `None` for a pattern of another script.
    arabic_start: Vec<Option<bool>>,
    /// Emoji terms (🦏, 🐘), by their character: the pattern of their terms.
    /// Normalising reads emoji as separators (so that i🐘v🐘o🐘r🐘y is read
    /// as ivory), so these are found in the text as written instead.
    emoji: HashMap<char, usize>,
    /// The automaton's patterns (normalised terms), and its species
    /// patterns by the letters around each letter a seller may mask.
    patterns: Vec<String>,
    masks: mask::MaskIndex,
    /// Patterns of two or more words by their words joined ("ball python"
    /// by "ballpython"): a hashtag joins the words of a phrase
    /// (#ballpython, #dentedejacare), and one that spells a listed phrase
    /// whole is read as that phrase.
    joined: HashMap<String, usize>,
    /// Per list, per taxon: its terms normalised (for comparing with the
    /// words a decoy applies to), worked out once here rather than for
    /// every listing.
    folded_terms: Vec<Vec<Vec<String>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum MatcherError {
    #[error("the keyword lists hold no term")]
    Empty,
    #[error("cannot build the matcher: {0}")]
    Build(String),
}

/// Whether `c` is a character of a script that separates words with spaces
/// (Latin, Greek, Cyrillic, Devanagari, Hangul, Arabic) or a digit: a term
/// must not start or end next to one. Thai, CJK and kana do not separate
/// words, so their terms match anywhere.
pub(crate) fn spaced_word_char(c: Option<char>) -> bool {
    c.is_some_and(|c| {
        c.is_ascii_alphanumeric()
            || ((c.is_alphabetic() || is_mark(c))
                && matches!(c as u32, 0xC0..=0x24F | 0x370..=0x52F | 0x1E00..=0x1FFF | 0x900..=0x97F | 0x600..=0x6FF | 0x750..=0x77F | 0xAC00..=0xD7AF | 0x1100..=0x11FF | 0x3130..=0x318F))
    })
}

/// Whether `c` is a letter or mark of the Arabic script.
fn arabic(c: Option<char>) -> bool {
    c.is_some_and(|c| matches!(c as u32, 0x600..=0x6FF | 0x750..=0x77F))
}

/// Whether the Arabic letters written on to the front of a term (the end
/// of `before`) are none, or clitics that Arabic writes on to a word: و or
/// ف (and), then ب (with), ك (like), ل (for), ال (the), بال, كال, لل (for
/// the) or the spoken عال (on the: عالواتس). Any other letters make the
/// term part of another word: ناب (a fang) in سناب (Snapchat), عود
/// (agarwood) in متعود (used to), غير عاج (not ivory) in صغير عاج (a small
/// ivory). With `verb` (sale, contact, news and question wording, which
/// hold verbs), also a verb's prefixes: the future's س, ه or ح, the
/// spoken ب or ك, then a person prefix ي, ت, ن, أ or ا (يتواصل, هيبيع,
/// حبيع, بنبيع).
fn arabic_prefix(before: &str, verb: bool) -> bool {
    // The letters before, read backwards: vowel marks and the stretching
    // tatweel are no letters. Clitics are at most four letters (وبال), so
    // more than that is another word; the marks looked through are bounded
    // too.
    const MOST: usize = 4;
    let mut back: Vec<char> = before
        .chars()
        .rev()
        .take_while(|&c| arabic(Some(c)))
        .take(4 * MOST)
        .filter(|&c| !is_mark(c) && c != '\u{640}')
        .take(MOST + 1)
        .collect();
    if back.len() > MOST {
        return false;
    }
    back.reverse();
    let letters: String = back.into_iter().collect();
    let rest = letters.strip_prefix(['و', 'ف']).unwrap_or(&letters);
    let noun = |p: &str| {
        matches!(
            p,
            "" | "ب" | "ك" | "ل" | "ال" | "بال" | "كال" | "لل" | "عال"
        )
    };
    if noun(rest) {
        return true;
    }
    verb && {
        let rest = rest.strip_prefix(['س', 'ه', 'ح', 'ب', 'ك']).unwrap_or(rest);
        matches!(rest, "" | "ي" | "ت" | "ن" | "أ" | "ا")
    }
}

/// Devanagari vowel signs and Arabic vowel marks belong to their word.
fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x900..=0x903 | 0x93A..=0x94F | 0x955..=0x957 | 0x962..=0x963 | 0x64B..=0x65F | 0x670)
}

/// Which edges of a term need a word boundary: both for Latin, Greek,
/// Cyrillic and Devanagari; Korean attaches particles after a noun (상아를),
/// so only its start; Arabic attaches prefixes (للبيع, والعاج), so only its
/// end (what may stand before its start is [`arabic_prefix`]'s to say).
fn bounded_edges(p: &str) -> (bool, bool) {
    let hangul = |c: Option<char>| {
        c.is_some_and(|c| matches!(c as u32, 0xAC00..=0xD7AF | 0x1100..=0x11FF | 0x3130..=0x318F))
    };
    let (first, last) = (p.chars().next(), p.chars().last());
    (
        spaced_word_char(first) && !arabic(first),
        spaced_word_char(last) && !hangul(last),
    )
}

impl Matcher {
    pub fn new(lists: &[KeywordList]) -> Result<Matcher, MatcherError> {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut terms: Vec<Vec<TermRef>> = Vec::new();
        let mut add = |n: String, r: TermRef| {
            if n.is_empty() {
                return;
            }
            let id = *index.entry(n.clone()).or_insert_with(|| {
                patterns.push(n);
                // Most patterns have one term: room for one, not the four a
                // first push would make (some 14 MB over today's lists).
                terms.push(Vec::with_capacity(1));
                patterns.len() - 1
            });
            terms[id].push(r);
        };
        // Per list, per taxon: each term normalised once, both for the
        // automaton and for comparing with the words decoys apply to.
        let mut folded_terms: Vec<Vec<Vec<String>>> = Vec::with_capacity(lists.len());
        let mut emoji_terms: Vec<(char, TermRef)> = Vec::new();
        for (li, list) in lists.iter().enumerate() {
            let mut folded_list = Vec::with_capacity(list.taxa.len());
            for (ti, taxon) in list.taxa.iter().enumerate() {
                let mut folded = Vec::with_capacity(taxon.terms.len());
                for t in &taxon.terms {
                    let n = normalize::normalize(&t.text).text;
                    folded.push(n.clone());
                    let r = TermRef {
                        list: li,
                        entry: ti,
                        term: t.text.clone(),
                        lang: t.lang.clone(),
                        category: Category::Species(t.kind),
                        canonical: canonical(&t.text),
                        needs_context: t.needs_context,
                    };
                    // Emoji normalise to nothing (they are separators there)
                    // and are found in the text as written instead.
                    match crate::species::emoji_char(&t.text) {
                        Some(c) if t.kind == TermKind::Emoji => emoji_terms.push((c, r)),
                        _ => add(n, r),
                    }
                }
                folded_list.push(folded);
            }
            folded_terms.push(folded_list);
            for (ci, cue) in list.cues.iter().enumerate() {
                for t in &cue.terms {
                    add(
                        normalize::normalize(t).text,
                        TermRef {
                            list: li,
                            entry: ci,
                            term: t.clone(),
                            lang: cue.lang.clone(),
                            category: Category::Cue(cue.kind),
                            canonical: canonical(t),
                            needs_context: false,
                        },
                    );
                }
            }
        }
        if patterns.is_empty() {
            return Err(MatcherError::Empty);
        }
        let mut bounded: Vec<(bool, bool)> =
            patterns.iter().map(|p| bounded_edges(p.as_str())).collect();
        let mut species: Vec<bool> = terms
            .iter()
            .map(|ts| {
                ts.iter()
                    .any(|t| matches!(t.category, Category::Species(_)))
            })
            .collect();
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(|e| MatcherError::Build(e.to_string()))?;
        let masks = mask::MaskIndex::new(&patterns, |id| species[id]);
        let joined = joined_patterns(&patterns);
        // Emoji patterns come after the automaton's.
        let mut emoji = HashMap::new();
        for (c, r) in emoji_terms {
            let id = *emoji.entry(c).or_insert_with(|| {
                terms.push(Vec::new());
                bounded.push((false, false));
                species.push(true);
                terms.len() - 1
            });
            terms[id].push(r);
        }
        let strong = terms
            .iter()
            .map(|ts| {
                ts.iter()
                    .any(|t| matches!(t.category, Category::Species(_)) && !t.needs_context)
            })
            .collect();
        let form = terms
            .iter()
            .map(|ts| {
                ts.iter()
                    .any(|t| t.category == Category::Cue(CueKind::Form))
            })
            .collect();
        let arabic_start = patterns
            .iter()
            .zip(&terms)
            .map(|(p, ts)| {
                arabic(p.chars().next()).then(|| {
                    ts.iter().any(|t| {
                        matches!(
                            t.category,
                            Category::Cue(
                                CueKind::Sale
                                    | CueKind::Contact
                                    | CueKind::News
                                    | CueKind::Question
                            )
                        )
                    })
                })
            })
            .collect();
        Ok(Matcher {
            ac,
            terms,
            bounded,
            species,
            strong,
            form,
            arabic_start,
            emoji,
            patterns,
            masks,
            joined,
            folded_terms,
        })
    }

    /// The normalised terms of taxon `taxon` of list `list`.
    pub(crate) fn folded_terms(&self, list: usize, taxon: usize) -> &[String] {
        &self.folded_terms[list][taxon]
    }

    /// The terms behind a pattern.
    pub(crate) fn terms_of(&self, pattern: usize) -> &[TermRef] {
        &self.terms[pattern]
    }

    /// Every occurrence of every term in `text` (overlapping matches are all
    /// reported, so a decoy such as "ivory white" and the product "ivory"
    /// are both seen), in order of position.
    pub fn find(&self, text: &str) -> Vec<Hit> {
        self.find_capped(text, usize::MAX).0
    }

    /// The first `max` occurrences found by [`Matcher::find`], and how many
    /// there are in all. A text longer than [`WINDOW`] is matched window by
    /// window, each seeing [`OVERLAP`] bytes of the text on either side, so
    /// the memory the normaliser needs stays bounded whatever the text's
    /// length; an occurrence belongs to the window it starts in.
    pub fn find_capped(&self, text: &str, max: usize) -> (Vec<Hit>, u64) {
        self.find_windowed(text, max, false)
    }

    /// What [`Matcher::find_capped`] finds, except that a text that holds no
    /// species term that could count gets no hits (and a total of 0): no
    /// species term at all, or only terms that need context with no
    /// product-form, part or live-animal word beside them. Scoring gives
    /// such a text no taxon whatever cues it has, and most listings of a
    /// sweep are such texts, so their cue matches are not worked out. (A
    /// text longer than [`WINDOW`] is matched in full.)
    pub fn find_for_scoring(&self, text: &str, max: usize) -> (Vec<Hit>, u64) {
        self.find_windowed(text, max, true)
    }

    fn find_windowed(&self, text: &str, max: usize, species_only: bool) -> (Vec<Hit>, u64) {
        if text.len() <= WINDOW {
            let mut hits = self.find_in(text, species_only);
            let total = hits.len() as u64;
            hits.truncate(max);
            return (hits, total);
        }
        let mut hits = Vec::new();
        let mut total = 0u64;
        let mut own_start = 0;
        while own_start < text.len() {
            let own_end = text.floor_char_boundary(own_start + WINDOW);
            let own_end = if own_end <= own_start {
                text.ceil_char_boundary(own_start + 1)
            } else {
                own_end
            };
            let win_start = text.floor_char_boundary(own_start.saturating_sub(OVERLAP));
            let win_end = text.ceil_char_boundary((own_end + OVERLAP).min(text.len()));
            // Each window is matched whole: a cue in one window counts
            // with a species term in another.
            for mut h in self.find_in(&text[win_start..win_end], false) {
                h.start += win_start;
                h.end += win_start;
                if h.start < own_start || h.start >= own_end {
                    continue;
                }
                total += 1;
                if hits.len() < max {
                    hits.push(h);
                }
            }
            own_start = own_end;
        }
        (hits, total)
    }

    /// Every hit in `text`; none at all when `species_only` and the text
    /// cannot name a taxon that counts ([`Matcher::may_score`]).
    fn find_in(&self, text: &str, species_only: bool) -> Vec<Hit> {
        let n = normalize::normalize(text);
        let t = n.text.as_str();
        let found: Vec<aho_corasick::Match> = self
            .ac
            .find_overlapping_iter(t)
            .filter(|m| self.on_boundaries(t, m.start(), m.end(), m.pattern().as_usize()))
            .collect();
        let emoji_hits = self.find_emoji(text);
        // Species terms with one letter masked (`m*skus`).
        let masked: Vec<mask::MaskedMatch> = self
            .masks
            .find(text, t, &self.patterns, |a, b| n.space_for(a, b))
            .into_iter()
            .filter(|m| self.on_boundaries(t, m.start, m.end, m.pattern))
            .collect();
        let hashtag_hits = self.find_hashtags(text);
        if species_only
            && masked.is_empty()
            && !hashtag_hits.iter().any(|h| self.species[h.pattern])
            && !self.may_score(&found, &emoji_hits)
        {
            return Vec::new();
        }
        let mut hits = emoji_hits;
        hits.extend(hashtag_hits);
        hits.reserve(found.len() + masked.len());
        for m in masked {
            let r = n.original_range(m.start..m.end);
            hits.push(Hit {
                start: r.start,
                end: r.end,
                folded: true,
                tricks: false,
                masked: true,
                pattern: m.pattern,
            });
        }
        for m in found {
            let pid = m.pattern().as_usize();
            let mut r = n.original_range(m.start()..m.end());
            // Marks written after the last letter belong to it: Thai tone
            // marks ("แท้"), Devanagari vowel signs.
            r.end += text[r.end..]
                .chars()
                .take_while(|&c| unicode_normalization::char::is_combining_mark(c))
                .map(char::len_utf8)
                .sum::<usize>();
            // Exact when the seller wrote one of the terms as listed (up to
            // case, spacing and Chinese character variants); otherwise the
            // match needed folding: "ban" for "bán", "1v0ry" for "ivory".
            let written = Written::new(&text[r.clone()]);
            let exact = self.terms[pid].iter().any(|t| written.is(&t.canonical));
            // Latin terms of one or two letters ("XJ", "CB") count only as
            // listed, case included: random letters hold them by chance.
            // (Two-character Chinese terms may be written in either script.)
            let short_latin = {
                let p = &n.text[m.start()..m.end()];
                p.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
                    && p.chars().filter(char::is_ascii_alphanumeric).count() <= 2
            };
            if short_latin && !self.terms[pid].iter().any(|t| t.term == text[r.clone()]) {
                continue;
            }
            hits.push(Hit {
                start: r.start,
                end: r.end,
                folded: !exact,
                // A trick is claimed only where the text differs from every
                // spelling of the term: "gorilla" written as listed is
                // plain, although its "ll" is folded like a letter run.
                tricks: !exact && n.used_tricks(m.start()..m.end()),
                masked: false,
                pattern: pid,
            });
        }
        hits.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
        hits
    }

    /// Whether a match of `pattern` at bytes `start..end` of normalised
    /// text `t` sits on the word boundaries the pattern needs.
    fn on_boundaries(&self, t: &str, start: usize, end: usize, pattern: usize) -> bool {
        let (b_start, b_end) = self.bounded[pattern];
        !(b_start && spaced_word_char(t[..start].chars().next_back())
            || b_end && spaced_word_char(t[end..].chars().next())
            || self.arabic_start[pattern].is_some_and(|verb| !arabic_prefix(&t[..start], verb)))
    }

    /// Whether a text with these matches may name a taxon that counts: it
    /// holds a species term that needs no context, or one that needs
    /// context together with a product-form, part or live-animal word
    /// (the only context such a term can have without the first kind).
    fn may_score(&self, found: &[aho_corasick::Match], emoji_hits: &[Hit]) -> bool {
        let pattern = |m: &aho_corasick::Match| m.pattern().as_usize();
        if found.iter().any(|m| self.strong[pattern(m)]) {
            return true;
        }
        let species = !emoji_hits.is_empty() || found.iter().any(|m| self.species[pattern(m)]);
        species && found.iter().any(|m| self.form[pattern(m)])
    }

    /// Every hashtag of `text` that spells a listed phrase of two or more
    /// words with its words joined ("#ballpython", "#dentedejacare"): a
    /// hit on the hashtag's word (without the `#`), as that phrase. It is
    /// exact when it is the phrase with its spaces left out, up to case;
    /// otherwise (an accent or a hyphen left out) folded.
    fn find_hashtags(&self, text: &str) -> Vec<Hit> {
        let mut hits = Vec::new();
        if self.joined.is_empty() {
            return hits;
        }
        for (i, _) in text.match_indices('#') {
            let start = i + 1;
            let len: usize = text[start..]
                .chars()
                .take_while(|&c| {
                    c.is_alphanumeric()
                        || c == '_'
                        || unicode_normalization::char::is_combining_mark(c)
                })
                .map(char::len_utf8)
                .sum();
            if len == 0 {
                continue;
            }
            let end = start + len;
            let word = &text[start..end];
            let key: String = normalize::normalize(word)
                .text
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if let Some(&pattern) = self.joined.get(&key) {
                let written = Written::new(word);
                let exact = self.terms[pattern].iter().any(|t| written.is(&t.canonical));
                hits.push(Hit {
                    start,
                    end,
                    folded: !exact,
                    tricks: false,
                    masked: false,
                    pattern,
                });
            }
        }
        hits
    }

    /// Every emoji term in `text`, whether or not the presentation
    /// selector U+FE0F follows it.
    fn find_emoji(&self, text: &str) -> Vec<Hit> {
        if self.emoji.is_empty() {
            return Vec::new();
        }
        let mut hits = Vec::new();
        // Emoji terms are outside the Basic Multilingual Plane: four bytes
        // in UTF-8, the first of them 0xF0 (a byte that only ever starts a
        // character), so only those places are looked at.
        for i in memchr::memchr_iter(0xF0, text.as_bytes()) {
            let Some(c) = text[i..].chars().next() else {
                continue;
            };
            if let Some(&pattern) = self.emoji.get(&c) {
                // The emoji alone, as listed: a presentation selector
                // U+FE0F after it changes only how it is drawn.
                hits.push(Hit {
                    start: i,
                    end: i + 4,
                    folded: false,
                    tricks: false,
                    masked: false,
                    pattern,
                });
            }
        }
        hits
    }
}

/// A piece of text as written, compared with terms' canonical forms
/// (`canonical(text) == canon`). ASCII text is compared word by word
/// without building its form (there the form is only lower case and
/// single spaces); other text builds it once, on the first comparison.
/// Every match is checked this way, so this is on the sweep's hot path.
pub(crate) struct Written<'a> {
    text: &'a str,
    form: std::cell::OnceCell<String>,
}

impl<'a> Written<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Written {
            text,
            form: std::cell::OnceCell::new(),
        }
    }

    /// Whether the text's canonical form is `canon`, or `canon`'s words
    /// joined (a hashtag, "#ballpython" for "ball python", as
    /// [`Matcher::find`] reads it).
    pub(crate) fn is(&self, canon: &str) -> bool {
        self.is_spaced(canon)
            || (canon.contains(' ')
                && !self.text.contains(char::is_whitespace)
                && self
                    .form
                    .get_or_init(|| canonical(self.text))
                    .chars()
                    .eq(canon.chars().filter(|&c| c != ' ')))
    }

    fn is_spaced(&self, canon: &str) -> bool {
        if !self.text.is_ascii() {
            return *self.form.get_or_init(|| canonical(self.text)) == canon;
        }
        let mut words = self
            .text
            .split(char::is_whitespace)
            .filter(|w| !w.is_empty());
        let mut wanted = canon.split(' ').filter(|w| !w.is_empty());
        loop {
            match (words.next(), wanted.next()) {
                (None, None) => return true,
                // `w` is ASCII; `c`, lower case already, equals its
                // lower-case form only byte for byte.
                (Some(w), Some(c)) if w.eq_ignore_ascii_case(c) => {}
                _ => return false,
            }
        }
    }
}

/// The patterns of two or more words written in a script that separates
/// words with spaces, by their words joined, for hashtags. A joined form
/// that is itself a pattern is left to the automaton, and one shorter than
/// six characters is left out (random words would spell it).
fn joined_patterns(patterns: &[String]) -> HashMap<String, usize> {
    let mut joined = HashMap::new();
    let own: std::collections::HashSet<&str> = patterns.iter().map(String::as_str).collect();
    for (id, p) in patterns.iter().enumerate() {
        if !p.contains(' ') || !p.chars().any(|c| spaced_word_char(Some(c))) {
            continue;
        }
        let key: String = p.chars().filter(|c| !c.is_whitespace()).collect();
        if key.chars().count() < 6 || own.contains(key.as_str()) {
            continue;
        }
        joined.entry(key).or_insert(id);
    }
    joined
}

/// Case, spacing and Chinese-variant insensitive form of a term, for
/// telling exact matches from folded ones.
pub(crate) fn canonical(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let nfc: String = s.nfc().collect();
    fast2s::convert(&nfc)
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Up to `context` characters either side of `start..end`, on character
/// boundaries of `text`, without a word cut in two at either edge (in
/// scripts that separate words with spaces): "vendre 300 €", never
/// "ndre 300 €".
pub(crate) fn snippet(text: &str, start: usize, end: usize, context: usize) -> &str {
    let mut s = text[..start]
        .char_indices()
        .rev()
        .nth(context.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    let mut e = text[end..]
        .char_indices()
        .nth(context)
        .map_or(text.len(), |(i, _)| end + i);
    let word = |c: Option<char>| spaced_word_char(c);
    if s > 0 && word(text[..s].chars().next_back()) && word(text[s..].chars().next()) {
        // Start after the cut word.
        s = text[s..start]
            .char_indices()
            .find(|(_, c)| c.is_whitespace())
            .map_or(start, |(i, c)| s + i + c.len_utf8());
    }
    if e < text.len() && word(text[..e].chars().next_back()) && word(text[e..].chars().next()) {
        // End before the cut word.
        e = text[end..e]
            .rfind(char::is_whitespace)
            .map_or(end, |i| end + i);
    }
    text[s..e].trim()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Clitics written on to a word, and nothing else, may stand before an
    /// Arabic term; a verb's person prefix only before cue wording.
    #[test]
    fn arabic_terms_follow_clitics_only() {
        for (before, noun, verb) in [
            ("", true, true),
            ("قطعة ", true, true),
            ("و", true, true),
            ("ب", true, true),
            ("ال", true, true),
            ("وال", true, true),
            ("بال", true, true),
            ("فبال", true, true),
            ("لل", true, true),
            ("ولل", true, true),
            ("ك", true, true),
            ("وب", true, true),
            ("ل", true, true),
            ("عال", true, true),
            ("وعال", true, true),
            ("س", false, true),
            ("مت", false, false),
            ("صغ", false, false),
            ("ا", false, true),
            ("م", false, false),
            ("ي", false, true),
            ("سن", false, true),
            ("وسي", false, true),
            ("هي", false, true),
            ("ح", false, true),
            ("بن", false, true),
            ("بي", false, true),
            ("بلل", false, false),
            ("متعا", false, false),
            ("وبالل", false, false),
            ("بِ", true, true),
        ] {
            assert_eq!(
                arabic_prefix(before, false),
                noun,
                "{before:?} before a noun"
            );
            assert_eq!(
                arabic_prefix(before, true),
                verb,
                "{before:?} before a verb"
            );
        }
    }

    const SPECIES: &str = r#"[list]
name = "t"
kind = "species"
version = "1"
sources = ["test"]

[[taxon]]
id = "loxodonta-africana"
scientific_name = "Loxodonta africana"
abbreviations = ["L. africana"]
rank = "species"
appendix = "I/II"
listing_note = "split"
group = "elephants"
emoji = ["🐘"]
[taxon.names]
en = ["African elephant"]
zh-Hans = ["非洲象"]
[taxon.products]
en = ["ivory", "tusk", "XJ"]
zh-Hans = ["象牙", "手镯"]
vi = ["ngà voi"]
[[taxon.code_words]]
term = "bovine bone"
lang = "en"
note = "eBay UK"
needs_context = true
"#;

    const CUES: &str = r#"[list]
name = "c"
kind = "cues"
version = "1"
sources = ["test"]

[[cue]]
kind = "decoy"
lang = "en"
terms = ["ivory white"]
applies_to = ["ivory"]

[[cue]]
kind = "sale"
lang = "*"
terms = ["for sale", "出售", "bán"]

[[cue]]
kind = "form"
lang = "en"
terms = ["skin"]
"#;

    fn matcher() -> Matcher {
        let a = crate::species::parse_str(Path::new("s.toml"), SPECIES).unwrap();
        let b = crate::species::parse_str(Path::new("c.toml"), CUES).unwrap();
        Matcher::new(&[a, b]).unwrap()
    }

    fn found(text: &str) -> Vec<(String, String, bool)> {
        let m = matcher();
        m.find(text)
            .into_iter()
            .map(|h| {
                (
                    text[h.start..h.end].to_string(),
                    m.terms_of(h.pattern)[0].term.clone(),
                    h.folded,
                )
            })
            .collect()
    }

    #[test]
    fn finds_terms_with_their_original_spelling() {
        let f = found("Carved BOVINE BONE bangle, real 1v0ry, for sale");
        assert!(
            f.contains(&("BOVINE BONE".into(), "bovine bone".into(), false)),
            "{f:?}"
        );
        assert!(f.contains(&("1v0ry".into(), "ivory".into(), true)), "{f:?}");
        assert!(
            f.contains(&("for sale".into(), "for sale".into(), false)),
            "{f:?}"
        );
    }

    #[test]
    fn short_latin_terms_count_only_as_listed_short_chinese_in_either_script() {
        assert!(found("a Jeep Xj 4x4").is_empty());
        assert!(found("XJ cup").iter().any(|(o, _, _)| o == "XJ"));
        let f = found("象牙手鐲");
        assert!(
            f.iter().any(|(o, t, _)| o == "手鐲" && t == "手镯"),
            "{f:?}"
        );
    }

    #[test]
    fn latin_terms_need_word_boundaries_cjk_do_not() {
        assert!(found("a tusky ivoryish trustworthy").is_empty());
        let f = found("出售象牙手镯");
        assert!(f.iter().any(|(o, _, _)| o == "象牙"), "{f:?}");
        assert!(f.iter().any(|(o, _, _)| o == "出售"), "{f:?}");
    }

    #[test]
    fn overlapping_decoy_and_product_are_both_seen() {
        let f = found("Ivory white wedding dress");
        assert!(f.iter().any(|(_, t, _)| t == "ivory white"), "{f:?}");
        assert!(f.iter().any(|(_, t, _)| t == "ivory"), "{f:?}");
    }

    #[test]
    fn vietnamese_without_diacritics_is_folded() {
        let f = found("ban nga voi that");
        assert!(f.contains(&("ban".into(), "bán".into(), true)), "{f:?}");
        assert!(
            f.contains(&("nga voi".into(), "ngà voi".into(), true)),
            "{f:?}"
        );
        let f = found("bán ngà voi");
        assert!(f.contains(&("bán".into(), "bán".into(), false)), "{f:?}");
    }

    proptest::proptest! {
        /// The quick comparison of ASCII text gives what comparing the
        /// built forms gives.
        #[test]
        fn written_compares_as_canonical_forms_do(
            a in "[ \\t\\nA-Za-z\\x0b\\x0c]{0,12}|[ A-Za-zé象]{0,8}",
            b in "[ \\tA-Za-z]{0,12}|[ A-Za-zé象]{0,8}",
        ) {
            let canon_b = canonical(&b);
            proptest::prop_assert_eq!(Written::new(&a).is(&canon_b), canonical(&a) == canon_b);
            proptest::prop_assert!(Written::new(&b).is(&canon_b));
            let respaced = b.to_uppercase().replace(' ', " \t ");
            proptest::prop_assert!(Written::new(&respaced).is(&canon_b));
        }

        /// Hits land on character boundaries and snippets are substrings of
        /// the input, whatever the text.
        #[test]
        fn hits_and_snippets_stay_inside_the_input(
            pre in "\\PC{0,30}",
            mid in proptest::sample::select(vec!["ivory", "i.v.o.r.y", "1v0ry", "象牙", "bovine bone", "ngà voi", "Ｉｖｏｒｙ"]),
            post in "\\PC{0,30}",
        ) {
            let text = format!("{pre}{mid}{post}");
            let m = matcher();
            for h in m.find(&text) {
                proptest::prop_assert!(text.is_char_boundary(h.start) && text.is_char_boundary(h.end));
                proptest::prop_assert!(h.start < h.end && h.end <= text.len());
                let s = snippet(&text, h.start, h.end, 10);
                proptest::prop_assert!(text.contains(s) && s.contains(&text[h.start..h.end]));
            }
        }
    }

    #[test]
    fn long_texts_are_matched_in_windows_with_the_same_hits() {
        let m = matcher();
        let unit = "filler text, i.v.o.r.y for sale, 象牙 and bovine bone; ";
        let text = unit.repeat(3 * WINDOW / unit.len() + 7);
        let (hits, total) = m.find_capped(&text, usize::MAX);
        let per_unit = m.find_in(unit, false).len();
        let units = text.len() / unit.len();
        assert_eq!(total as usize, per_unit * units);
        assert_eq!(hits.len() as u64, total);
        for w in hits.windows(2) {
            assert!(w[0].start <= w[1].start);
        }
        for h in &hits {
            assert!(text.is_char_boundary(h.start) && text.is_char_boundary(h.end));
        }
        let (few, total2) = m.find_capped(&text, 10);
        assert_eq!((few.len(), total2), (10, total));
    }

    #[test]
    fn finding_for_scoring_skips_texts_whose_only_species_terms_lack_context() {
        let m = matcher();
        let key = |hits: &[Hit]| -> Vec<(usize, usize, usize, bool, bool)> {
            hits.iter()
                .map(|h| (h.start, h.end, h.pattern, h.folded, h.tricks))
                .collect()
        };
        // Cues alone: nothing to score, so nothing is worked out.
        let cues_only = "white paint for sale, bán 出售";
        assert!(!m.find(cues_only).is_empty());
        let (hits, total) = m.find_for_scoring(cues_only, usize::MAX);
        assert!(hits.is_empty() && total == 0, "{hits:?}");
        // With a species term, the very same hits as `find_capped`.
        for text in [
            "ivory white paint for sale, bán 出售 and a real i.v.o.r.y tusk",
            "手镯 出售",
            "ngà voi bán",
        ] {
            let (a, ta) = m.find_capped(text, 2);
            let (b, tb) = m.find_for_scoring(text, 2);
            assert!(ta > 0, "{text}");
            assert_eq!((key(&a), ta), (key(&b), tb), "{text}");
        }
        // A term that needs context ("bovine bone", a code word marked so)
        // with no product-form word cannot name a taxon: skipped. With one,
        // or next to a term that needs none, it is scored.
        assert_eq!(m.find_for_scoring("bovine bone for sale", usize::MAX).1, 0);
        assert!(
            m.find_for_scoring("bovine bone skin for sale", usize::MAX)
                .1
                > 0
        );
        assert!(
            m.find_for_scoring("bovine bone and ivory for sale", usize::MAX)
                .1
                > 0
        );
        // A long text is matched window by window without the shortcut: a
        // cue far from the species term still counts.
        let long = format!("for sale {} ivory", "x ".repeat(WINDOW));
        let (hits, total) = m.find_for_scoring(&long, usize::MAX);
        assert_eq!(total, 2);
        assert_eq!(key(&hits), key(&m.find(&long)));
    }

    #[test]
    fn emoji_terms_are_found_as_written_and_separators_still_fold() {
        // The emoji alone, and with the presentation selector U+FE0F.
        assert_eq!(
            found("🐘 bangle, 🐘\u{FE0F} carving"),
            vec![
                ("🐘".into(), "🐘".into(), false),
                ("🐘".into(), "🐘".into(), false),
            ]
        );
        // Between the letters of a word the emoji are still separators, so
        // the word is read too.
        let f = found("i🐘v🐘o🐘r🐘y");
        assert!(
            f.contains(&("i🐘v🐘o🐘r🐘y".into(), "ivory".into(), true)),
            "{f:?}"
        );
        assert_eq!(f.iter().filter(|x| x.1 == "🐘").count(), 4, "{f:?}");
        // For the shortcut of scoring, an emoji counts as a species term
        // that needs context: with a product-form word the text is scored,
        // without one it cannot name a taxon and is not.
        let m = matcher();
        assert_eq!(m.find_for_scoring("🐘 skin for sale", usize::MAX).1, 3);
        assert_eq!(m.find_for_scoring("🐘 for sale", usize::MAX).1, 0);
        assert_eq!(m.find_for_scoring("🐶 skin for sale", usize::MAX).1, 0);
        // Window by window, an emoji in a long text is found once.
        let long = format!("{}🐘 {}", "x ".repeat(WINDOW / 2 + 3), "y ".repeat(WINDOW));
        let (hits, total) = m.find_capped(&long, usize::MAX);
        assert_eq!(total, 1);
        assert_eq!(&long[hits[0].start..hits[0].end], "🐘");
    }

    #[test]
    fn abbreviations_and_snippets() {
        let text = "Skull of L. africana, museum piece";
        let f = found(text);
        assert!(f.iter().any(|(o, _, _)| o == "L. africana"), "{f:?}");
        let m = matcher();
        let h = &m.find(text)[0];
        let s = snippet(text, h.start, h.end, 5);
        assert!(text.contains(s) && s.contains("L. africana"), "{s:?}");
        // No word cut in two at either edge.
        let text = "Statuette ancienne à vendre 300 € ivoire sculpté, envoi possible";
        let at = text.find("ivoire").unwrap();
        let s = snippet(text, at, at + "ivoire".len(), 12);
        assert_eq!(s, "300 € ivoire sculpté,");
    }
}
