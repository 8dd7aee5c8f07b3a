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
    pub terms: Vec<Term>,
    pub(crate) live_search: Vec<String>,
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
