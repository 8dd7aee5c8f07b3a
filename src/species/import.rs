//! `warden lists import-speciesplus`: turns a CITES listings export that the
//! user downloaded from Species+ (and, where present, the CITES Checklist
//! index's EnglishNames/SpanishNames/FrenchNames columns) into a species
//! list. Species+ data may not be redistributed: the result stays with the
//! user and is never shipped.

use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Row {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error(
        "{path}: not a Species+ listings export (no {column:?} column; expected columns such as Scientific Name, Rank, Listing, Class)"
    )]
    NotSpeciesPlus { path: PathBuf, column: &'static str },
    #[error("{0} already exists; choose another --out file (lists are never overwritten)")]
    Exists(PathBuf),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportSummary {
    pub rows: usize,
    pub taxa: usize,
    /// Rows without a CITES appendix (e.g. "NC").
    pub skipped_not_listed: usize,
    pub out: PathBuf,
}

#[derive(Serialize)]
struct OutFile {
    list: OutHeader,
    taxon: Vec<OutTaxon>,
}

#[derive(Serialize)]
struct OutHeader {
    name: String,
    kind: &'static str,
    version: String,
    description: String,
    sources: Vec<String>,
}

#[derive(Serialize)]
struct OutTaxon {
    id: String,
    scientific_name: String,
    rank: String,
    appendix: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    listing_note: Option<String>,
    group: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    names: BTreeMap<String, Vec<String>>,
}

/// Converts `csv_path` into a species list at `out`.
pub fn import_speciesplus(csv_path: &Path, out: &Path) -> Result<ImportSummary, ImportError> {
    if out.exists() {
        return Err(ImportError::Exists(out.to_path_buf()));
    }
    let bytes = std::fs::read(csv_path).map_err(|source| ImportError::Read {
        path: csv_path.to_path_buf(),
        source,
    })?;
    let text =
        String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes)).into_owned();
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ImportError::Row {
            path: csv_path.to_path_buf(),
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let need = |name: &'static str| {
        col(name).ok_or(ImportError::NotSpeciesPlus {
            path: csv_path.to_path_buf(),
            column: name,
        })
    };
    let c_name = need("Scientific Name")?;
    let c_rank = need("Rank")?;
    let c_listing = need("Listing")?;
    let c_class = col("Class");
    let c_order = col("Order");
    let c_note = col("Full note");
    let name_cols: Vec<(&str, usize)> = [
        ("en", "EnglishNames"),
        ("es", "SpanishNames"),
        ("fr", "FrenchNames"),
    ]
    .into_iter()
    .filter_map(|(lang, h)| col(h).map(|i| (lang, i)))
    .collect();

    let mut taxa = Vec::new();
    let mut ids = HashSet::new();
    let mut rows = 0;
    let mut skipped = 0;
    for rec in reader.records() {
        let rec = rec.map_err(|e| ImportError::Row {
            path: csv_path.to_path_buf(),
            line: e.position().map_or(0, |p| p.line()),
            message: format!("malformed CSV row ({e})"),
        })?;
        rows += 1;
        let line = rec.position().map_or(0, |p| p.line());
        let get = |i: usize| rec.get(i).unwrap_or("").trim().to_string();
        let name = crate::text::one_line(&get(c_name));
        if name.is_empty() {
            return Err(ImportError::Row {
                path: csv_path.to_path_buf(),
                line,
                message: "empty Scientific Name".into(),
            });
        }
        let mut parts: Vec<&str> = Vec::new();
        let listing = get(c_listing);
        for p in listing.split(['/', ',', ' ']) {
            let p = p.trim();
            if matches!(p, "I" | "II" | "III") && !parts.contains(&p) {
                parts.push(p);
            }
        }
        parts.sort_by_key(|p| p.len());
        if parts.is_empty() {
            skipped += 1;
            continue;
        }
        let appendix = parts.join("/");
        let note = c_note
            .map(get)
            .map(|n| crate::text::one_line(&n))
            .filter(|n| !n.is_empty());
        let listing_note = if appendix.contains('/') {
            Some(note.unwrap_or_else(|| format!("Species+ listing: {listing}")))
        } else {
            note
        };
        let mut id: String = name
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .split('-')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        if id.is_empty() {
            id = format!("row-{line}");
        }
        let mut unique = id.clone();
        let mut n = 2;
        while !ids.insert(unique.clone()) {
            unique = format!("{id}-{n}");
            n += 1;
        }
        let mut names = BTreeMap::new();
        for (lang, i) in &name_cols {
            let mut list: Vec<String> = Vec::new();
            for n in get(*i).split([',', ';']) {
                let n = crate::text::one_line(n);
                if !n.is_empty()
                    && n.chars().count() <= 100
                    && !list.iter().any(|x| x.eq_ignore_ascii_case(&n))
                {
                    list.push(n);
                }
            }
            if !list.is_empty() {
                names.insert(lang.to_string(), list);
            }
        }
        let group = c_class
            .map(get)
            .filter(|g| !g.is_empty())
            .or_else(|| c_order.map(get))
            .unwrap_or_default()
            .to_lowercase();
        taxa.push(OutTaxon {
            id: unique,
            scientific_name: name,
            rank: match get(c_rank).to_lowercase().as_str() {
                r @ ("species" | "subspecies" | "genus" | "family" | "order" | "class") => {
                    r.to_string()
                }
                "variety" => "subspecies".into(),
                _ => "species".into(),
            },
            appendix,
            listing_note,
            group: if group.is_empty() {
                "unknown".into()
            } else {
                group
            },
            names,
        });
    }
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_else(|| "speciesplus".into());
    let name: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let file = OutFile {
        list: OutHeader {
            name,
            kind: "species",
            version: chrono::Utc::now().format("%Y-%m-%d").to_string(),
            description: "Imported from a Species+ CITES listings export. Species+ data may not be redistributed: keep this file with your case work, do not publish it.".into(),
            sources: vec![format!(
                "Species+ export {} (imported by warden {})",
                csv_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                crate::VERSION
            )],
        },
        taxon: taxa,
    };
    let text = toml::to_string_pretty(&file).expect("the list serialises");
    crate::fsutil::write_new_synced(out, text.as_bytes()).map_err(|source| ImportError::Write {
        path: out.to_path_buf(),
        source,
    })?;
    Ok(ImportSummary {
        rows,
        taxa: file.taxon.len(),
        skipped_not_listed: skipped,
        out: out.to_path_buf(),
    })
}
