//! Species keyword lists and trade-cue lists (TOML, see
//! `docs/species-lists.md`): loading, strict validation with file, line and
//! column, and the in-memory model the matcher uses.

mod import;
mod raw;

pub use import::{ImportError, ImportSummary, import_speciesplus};

use serde::Serialize;
use std::path::{Path, PathBuf};

/// One problem in a list file, with a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListProblem {
    pub(crate) path: PathBuf,
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) message: String,
}

impl std::fmt::Display for ListProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// Why a list could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("cannot read list {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", .0.first().map(ToString::to_string).unwrap_or_default())]
    Invalid(Vec<ListProblem>),
}

/// What a list is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ListKind {
    Species,
    Cues,
}

/// The kind of a species term; it weighs in the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TermKind {
    ScientificName,
    Synonym,
    Abbreviation,
    CommonName,
    Product,
    CodeWord,
    /// An emoji picturing the animal (🦏, 🐘): always needs context, and is
    /// neither a name nor a product word.
    Emoji,
}

/// The character of an emoji term: one pictographic character (the
/// Unicode blocks of animal and object emoji, U+1F300 to U+1FAFF), alone or
/// followed by the emoji presentation selector U+FE0F.
pub(crate) fn emoji_char(term: &str) -> Option<char> {
    let mut chars = term.chars();
    let c = chars.next()?;
    let rest: Vec<char> = chars.collect();
    ((0x1F300..=0x1FAFF).contains(&(c as u32)) && (rest.is_empty() || rest == ['\u{FE0F}']))
        .then_some(c)
}

/// A term of a taxon.
#[derive(Debug, Clone, Serialize)]
pub struct Term {
    pub text: String,
    pub kind: TermKind,
    /// ISO 639-1 code, `zh-Hans`, `zh-Hant`, or `la` for scientific names.
    pub lang: String,
    /// For code words: the public source note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
    /// An everyday word elsewhere (老虎 in 老虎钳 pliers, "XJ" a Jeep): it
    /// counts only together with another term of its taxon that needs no
    /// context, or a product-form word (a `form` cue).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) needs_context: bool,
}

/// One taxon of a species list.
#[derive(Debug, Clone, Serialize)]
pub struct Taxon {
    pub(crate) id: String,
    pub scientific_name: String,
    pub(crate) rank: String,
    pub appendix: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) listing_note: Option<String>,
    pub group: String,
    /// The taxon of this list that holds this one (`within`: a species
    /// within its genus or family), by its index in the list.
    #[serde(skip)]
    pub(crate) within: Option<usize>,
    /// That taxon's id, as the list file writes it.
    #[serde(rename = "within", skip_serializing_if = "Option::is_none")]
    pub(crate) within_id: Option<String>,
    pub terms: Vec<Term>,
    pub(crate) live_search: Vec<String>,
}

/// The ranks a taxon may have, from the least specific.
const RANKS: &[&str] = &[
    "class",
    "order",
    "infraorder",
    "family",
    "genus",
    "species",
    "subspecies",
];

impl Taxon {
    /// Whether taxon `a` of `taxa` is taxon `b` or holds it or is held by
    /// it, following `within` (each step a less specific rank, so the walk
    /// ends).
    pub(crate) fn related(taxa: &[Taxon], a: usize, b: usize) -> bool {
        let holds = |outer: usize, mut inner: usize| {
            for _ in 0..=taxa.len() {
                if inner == outer {
                    return true;
                }
                match taxa.get(inner).and_then(|t| t.within) {
                    Some(next) => inner = next,
                    None => return false,
                }
            }
            false
        };
        holds(a, b) || holds(b, a)
    }

    /// The taxon of `taxa` (its list's taxa) that holds this one, if the
    /// list says (`within`).
    pub fn within_of<'a>(&self, taxa: &'a [Taxon]) -> Option<&'a Taxon> {
        self.within.and_then(|i| taxa.get(i))
    }

    /// How specific its rank is: 0 for a class (or an unknown rank), then
    /// order, family, genus, species, 5 for a subspecies.
    pub(crate) fn rank_specificity(&self) -> usize {
        RANKS.iter().position(|r| *r == self.rank).unwrap_or(0)
    }
}

/// The kind of a trade cue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CueKind {
    Sale,
    Contact,
    Price,
    Cover,
    Decoy,
    /// Product-form, part and live-animal words shared by many taxa
    /// ("skin", "carving", "live", 活体): context for everyday names.
    Form,
    /// Wording of news, advocacy and enforcement ("seized", "petition",
    /// 查获): a context that is not an offer.
    News,
    /// An owner's question about the law ("can I sell", "posso vender",
    /// 可以卖吗): a context that is not an offer, and not news either.
    Question,
    /// Words saying that the animal named beside them is pictured: a print,
    /// or the shape of a piece ("tiger print", "estampa de tucanos",
    /// "em forma de arara"). A name written beside one does not count.
    Picture,
    /// Wording for the goods of an animal the lists do not hold ("mammoth
    /// ivory", 猛犸象牙): a species match inside it, or a product word
    /// sharing words with it, does not count. Unlike a decoy it takes no
    /// points off the listing: the same listing may offer elephant ivory
    /// beside mammoth ivory.
    Unlisted,
    /// A word of the cue's language spelt like a species term of another
    /// language (Dutch "oud", old; Italian "loro", their; Portuguese "boa",
    /// good): in a listing of that language, a match of exactly that word,
    /// of a term not listed in that language, does not count. No points.
    Homograph,
}

/// On which side of a `picture` cue word the animal's name stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NameSide {
    /// The name comes first: "tiger print", "scarlet macaw print".
    Before,
    /// The name follows: "estampa de tucanos", "em forma de arara".
    After,
}

/// A group of cue terms.
#[derive(Debug, Clone, Serialize)]
pub struct Cue {
    pub kind: CueKind,
    pub lang: String,
    pub terms: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) applies_to: Vec<String>,
    /// Picture cues only: where the name stands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name_side: Option<NameSide>,
    /// Picture and form cues only: longer words that hold a cue word and
    /// mean something else (Thai ปลาย, tip, holds ลาย, pattern; Vietnamese
    /// "ấn tượng", impressive, holds "tượng", statue).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) not_inside: Vec<String>,
}

/// A loaded, validated list.
#[derive(Debug, Clone, Serialize)]
pub struct KeywordList {
    pub path: PathBuf,
    pub name: String,
    pub kind: ListKind,
    pub version: String,
    pub(crate) description: Option<String>,
    pub(crate) sources: Vec<String>,
    /// SHA-256 of the file, recorded with sweep results.
    pub sha256: String,
    pub taxa: Vec<Taxon>,
    pub cues: Vec<Cue>,
}

impl KeywordList {
    /// Number of terms (species terms or cue terms).
    pub fn term_count(&self) -> usize {
        self.taxa.iter().map(|t| t.terms.len()).sum::<usize>()
            + self.cues.iter().map(|c| c.terms.len()).sum::<usize>()
    }
}

/// Loads and validates a list file; every problem is reported, not only
/// the first.
pub fn load(path: &Path) -> Result<KeywordList, ListError> {
    let bytes = std::fs::read(path).map_err(|source| ListError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let (line, column) = line_col(&String::from_utf8_lossy(&bytes[..at]), at);
            return Err(ListError::Invalid(vec![ListProblem {
                path: path.to_path_buf(),
                line,
                column,
                message: "not valid UTF-8 text".into(),
            }]));
        }
    };
    raw::parse(path, &text)
}

/// Parses and validates list text; `path` is only used in messages.
pub fn parse_str(path: &Path, text: &str) -> Result<KeywordList, ListError> {
    raw::parse(path, text)
}

/// The folder name under which the built-in lists are shown:
/// `<built-in>/cites-online-trade.toml`. No file is read from there.
pub const BUILTIN_DIR: &str = "<built-in>";

/// A list built into the executable: the exact bytes of the file shipped in
/// `species-lists/` when warden was built.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinList {
    /// File name, as in `species-lists/`.
    pub file: &'static str,
    /// The file's text, byte for byte.
    pub text: &'static str,
}

impl BuiltinList {
    /// The path shown for this list in output and custody records.
    pub fn path(&self) -> PathBuf {
        Path::new(BUILTIN_DIR).join(self.file)
    }

    /// The list's name without `.toml`.
    pub fn stem(&self) -> &'static str {
        self.file.strip_suffix(".toml").unwrap_or(self.file)
    }

    /// Parses the embedded text (its SHA-256 is that of these bytes).
    pub fn load(&self) -> Result<KeywordList, ListError> {
        parse_str(&self.path(), self.text)
    }
}

/// The lists used when none is named: the shipped CITES species list and
/// trade cues, as they were when this executable was built.
pub const BUILTIN: &[BuiltinList] = &[
    BuiltinList {
        file: "cites-online-trade.toml",
        text: include_str!("../../species-lists/cites-online-trade.toml"),
    },
    BuiltinList {
        file: "trade-cues.toml",
        text: include_str!("../../species-lists/trade-cues.toml"),
    },
];

/// The built-in list that `name` designates: `<built-in>/FILE`, `FILE` or
/// its stem (`cites-online-trade`). Callers decide whether an existing file
/// of that name comes first (a bare name) or not (`<built-in>/…`).
pub fn builtin(name: &str) -> Option<&'static BuiltinList> {
    let bare = name
        .strip_prefix(BUILTIN_DIR)
        .map(|r| r.trim_start_matches(['/', '\\']))
        .unwrap_or(name);
    BUILTIN.iter().find(|b| b.file == bare || b.stem() == bare)
}

/// Whether `path` names a built-in list explicitly (`<built-in>/…`).
pub fn is_builtin_path(path: &Path) -> bool {
    path.to_str()
        .is_some_and(|s| s.starts_with(BUILTIN_DIR) && builtin(s).is_some())
}

/// Loads the lists a sweep uses: the built-in lists when `paths` is empty;
/// otherwise each path, where `<built-in>/NAME.toml` stands for that
/// built-in list and anything else is a file. Every list is validated.
pub fn load_lists(paths: &[PathBuf]) -> Result<Vec<KeywordList>, ListError> {
    if paths.is_empty() {
        return BUILTIN.iter().map(BuiltinList::load).collect();
    }
    paths
        .iter()
        .map(|p| match p.to_str().filter(|_| is_builtin_path(p)) {
            Some(s) => builtin(s).expect("checked above").load(),
            None => load(p),
        })
        .collect()
}

/// 1-based line and column (in characters) of byte offset `at` in `text`.
pub(crate) fn line_col(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count() + 1)
        .unwrap_or(1);
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_lists_load_with_the_hash_of_their_embedded_bytes() {
        let lists = load_lists(&[]).unwrap();
        assert_eq!(lists.len(), BUILTIN.len());
        for (l, b) in lists.iter().zip(BUILTIN) {
            assert_eq!(l.path, Path::new("<built-in>").join(b.file));
            assert_eq!(l.sha256, crate::hash::sha256_hex(b.text.as_bytes()));
        }
        assert_eq!(lists[0].kind, ListKind::Species);
        assert_eq!(lists[1].kind, ListKind::Cues);
    }

    #[test]
    fn built_in_names_resolve() {
        for n in [
            "<built-in>/trade-cues.toml",
            "trade-cues.toml",
            "trade-cues",
        ] {
            assert_eq!(builtin(n).map(|b| b.file), Some("trade-cues.toml"), "{n}");
        }
        assert!(builtin("other.toml").is_none());
        assert!(is_builtin_path(Path::new(
            "<built-in>/cites-online-trade.toml"
        )));
        assert!(!is_builtin_path(Path::new("cites-online-trade.toml")));
        let l = load_lists(&[PathBuf::from("<built-in>/trade-cues.toml")]).unwrap();
        assert_eq!(l[0].name, "trade-cues");
    }

    #[test]
    fn emoji_terms_are_single_pictographs_and_always_need_context() {
        let text = r#"[list]
name = "t"
kind = "species"
version = "1"
sources = ["test"]

[[taxon]]
id = "rhinocerotidae"
scientific_name = "Rhinocerotidae"
rank = "family"
appendix = "I"
group = "rhinos"
emoji = ["🦏\uFE0F", "RH"]
"#;
        let err = parse_str(Path::new("t.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("t.toml:13:21") && err.contains("emoji \"RH\" must be one pictographic"),
            "{err}"
        );
        for bad in ["🦏🦏", "a", "🦏x"] {
            let t = text.replace("\"RH\"", &format!("{bad:?}"));
            assert!(parse_str(Path::new("t.toml"), &t).is_err(), "{bad}");
        }
        let ok = text.replace(", \"RH\"", "");
        let list = parse_str(Path::new("t.toml"), &ok).unwrap();
        let emoji: Vec<(&str, &str, bool)> = list.taxa[0]
            .terms
            .iter()
            .filter(|t| t.kind == TermKind::Emoji)
            .map(|t| (t.text.as_str(), t.lang.as_str(), t.needs_context))
            .collect();
        // Kept without the presentation selector.
        assert_eq!(emoji, vec![("🦏", "*", true)]);
    }

    /// Parsing list text `t` fails with a problem naming the file, a line
    /// and `words`.
    fn fails_with(t: &str, words: &str) {
        let err = parse_str(Path::new("t.toml"), t).unwrap_err().to_string();
        assert!(err.contains("t.toml:") && err.contains(words), "{err}");
    }

    #[test]
    fn picture_cues_need_a_name_side_and_their_not_inside_words_hold_a_term() {
        let text = r#"[list]
name = "t"
kind = "cues"
version = "1"
sources = ["test"]

[[cue]]
kind = "picture"
lang = "th"
name_side = "after"
terms = ["ลาย"]
not_inside = ["ปลาย"]
"#;
        let list = parse_str(Path::new("t.toml"), text).unwrap();
        assert_eq!(list.cues[0].kind, CueKind::Picture);
        assert_eq!(list.cues[0].name_side, Some(NameSide::After));
        assert_eq!(list.cues[0].not_inside, vec!["ปลาย".to_string()]);
        fails_with(
            &text.replace("name_side = \"after\"\n", ""),
            "a picture cue needs name_side",
        );
        fails_with(
            &text.replace("\"after\"", "\"beside\""),
            "name_side \"beside\" must be \"before\" or \"after\"",
        );
        fails_with(
            &text.replace("[\"ปลาย\"]", "[\"หมา\"]"),
            "not_inside word \"หมา\" holds none of this cue's terms",
        );
        fails_with(
            &text.replace("\"picture\"", "\"decoy\""),
            "name_side is only allowed on picture cues",
        );
        fails_with(
            &text
                .replace("\"picture\"", "\"decoy\"")
                .replace("name_side = \"after\"\n", ""),
            "not_inside is only allowed on picture and form cues",
        );
    }

    #[test]
    fn form_cues_take_not_inside_words_too() {
        let text = r#"[list]
name = "t"
kind = "cues"
version = "1"
sources = ["test"]

[[cue]]
kind = "form"
lang = "vi"
terms = ["tượng"]
not_inside = ["ấn tượng"]
"#;
        let list = parse_str(Path::new("t.toml"), text).unwrap();
        assert_eq!(list.cues[0].kind, CueKind::Form);
        assert_eq!(list.cues[0].not_inside, vec!["ấn tượng".to_string()]);
        fails_with(
            &text.replace("[\"ấn tượng\"]", "[\"ấn\"]"),
            "not_inside word \"ấn\" holds none of this cue's terms",
        );
    }

    #[test]
    fn unlisted_cues_take_applies_to_and_no_name_side() {
        let text = r#"[list]
name = "t"
kind = "cues"
version = "1"
sources = ["test"]

[[cue]]
kind = "unlisted"
lang = "en"
terms = ["mammoth ivory"]
applies_to = ["ivory"]
"#;
        let list = parse_str(Path::new("t.toml"), text).unwrap();
        assert_eq!(list.cues[0].kind, CueKind::Unlisted);
        assert_eq!(list.cues[0].applies_to, vec!["ivory".to_string()]);
        let homograph = parse_str(
            Path::new("t.toml"),
            &text
                .replace("\"unlisted\"", "\"homograph\"")
                .replace("lang = \"en\"", "lang = \"nl\""),
        )
        .unwrap();
        assert_eq!(homograph.cues[0].kind, CueKind::Homograph);
        // English and "*" cues count in every Latin-script listing.
        for lang in ["en", "*"] {
            fails_with(
                &text
                    .replace("\"unlisted\"", "\"homograph\"")
                    .replace("lang = \"en\"", &format!("lang = \"{lang}\"")),
                "a homograph cue cannot be",
            );
        }
        fails_with(
            &text.replace("\"unlisted\"", "\"cover\""),
            "applies_to is only allowed on decoy, unlisted and homograph cues",
        );
        fails_with(
            &text.replace("applies_to", "name_side = \"after\"\napplies_to"),
            "name_side is only allowed on picture cues",
        );
        fails_with(
            &text.replace("\"unlisted\"", "\"unlisted-goods\""),
            "must be sale, contact, price, cover, decoy, form, news, question, picture, unlisted or homograph",
        );
    }

    #[test]
    fn needs_context_names_terms_of_its_taxon_and_marks_them() {
        let text = r#"[list]
name = "t"
kind = "species"
version = "1"
sources = ["test"]

[[taxon]]
id = "panthera-tigris"
scientific_name = "Panthera tigris"
rank = "species"
appendix = "I"
group = "big cats"
needs_context = ["老虎", "tigre"]
[taxon.names]
zh-Hans = ["老虎"]
[[taxon.code_words]]
term = "XJ"
lang = "zh-Hans"
note = "test"
needs_context = true
"#;
        let err = parse_str(Path::new("t.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("t.toml:13:24") && err.contains("\"tigre\" is not a name"),
            "{err}"
        );
        let ok = text.replace(", \"tigre\"", "");
        let list = parse_str(Path::new("t.toml"), &ok).unwrap();
        let ctx: Vec<&str> = list.taxa[0]
            .terms
            .iter()
            .filter(|t| t.needs_context)
            .map(|t| t.text.as_str())
            .collect();
        assert_eq!(ctx, ["老虎", "XJ"]);
    }
}
