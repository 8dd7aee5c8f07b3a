//! Marketplace profiles (`--target FILE`, `docs/targets.md`): how to search
//! one site and how to read its results pages. Loading checks everything a
//! sweep will need (URL template, charset, every CSS selector) and reports
//! each problem with file, line and column, so a bad profile fails before
//! anything is fetched.

pub mod extract;
pub mod probe;
mod search_url;

pub use extract::{ExtractedListing, Extraction, extract};
pub use search_url::SearchUrl;

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;
use url::Url;

/// Largest profile file read.
const MAX_PROFILE_BYTES: u64 = 1024 * 1024;
/// Most results pages per term a profile may ask for.
pub const MAX_PAGES_LIMIT: u32 = 1000;

/// One problem in a profile, with a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TargetProblem {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for TargetProblem {
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

/// Why a profile could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("cannot read marketplace profile {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: larger than {} bytes; a marketplace profile is a short TOML file", .0.display(), MAX_PROFILE_BYTES)]
    TooLarge(PathBuf),
    #[error("{}", .0.first().map(ToString::to_string).unwrap_or_default())]
    Invalid(Vec<TargetProblem>),
}

/// A checked marketplace profile.
#[derive(Debug, Clone)]
pub struct Target {
    pub path: PathBuf,
    /// SHA-256 of the profile file as read.
    pub sha256: String,
    pub name: String,
    pub description: Option<String>,
    pub base_url: Url,
    pub search: SearchUrl,
    pub max_pages: u32,
    pub delay: std::time::Duration,
    pub javascript: bool,
    pub headers: Vec<(String, String)>,
    pub selectors: Selectors,
}

/// The profile's CSS selectors, compiled, with their source text.
#[derive(Debug, Clone)]
pub struct Selectors {
    pub listing: Sel,
    pub link: Sel,
    pub title: Option<Sel>,
    pub price: Option<Sel>,
    pub seller: Option<Sel>,
    pub date: Option<Sel>,
    pub snippet: Option<Sel>,
    pub next_page: Option<Sel>,
}

/// A compiled selector and the text it came from.
#[derive(Debug, Clone)]
pub struct Sel {
    pub source: String,
    pub(crate) compiled: scraper::Selector,
}

#[derive(Deserialize)]
struct RawProfile {
    target: Spanned<RawTarget>,
    selectors: Spanned<RawSelectors>,
}

#[derive(Deserialize)]
struct RawTarget {
    name: Spanned<String>,
    base_url: Spanned<String>,
    search_url: Spanned<String>,
    #[serde(default)]
    charset: Option<Spanned<String>>,
    #[serde(default)]
    first_page: Option<Spanned<i64>>,
    #[serde(default)]
    page_step: Option<Spanned<i64>>,
    #[serde(default)]
    max_pages: Option<Spanned<i64>>,
    #[serde(default)]
    delay_ms: Option<Spanned<i64>>,
    #[serde(default)]
    javascript: bool,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize)]
struct RawSelectors {
    listing: Spanned<String>,
    link: Spanned<String>,
    title: Option<Spanned<String>>,
    price: Option<Spanned<String>>,
    seller: Option<Spanned<String>>,
    date: Option<Spanned<String>>,
    snippet: Option<Spanned<String>>,
    next_page: Option<Spanned<String>>,
}

/// Request headers a profile may not set: warden sets them itself (or they
/// would change how the exchange is read or recorded).
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "cookie",
    "content-length",
    "transfer-encoding",
    "connection",
    "accept-encoding",
    "user-agent",
    "te",
    "upgrade",
    "proxy-authorization",
    "authorization",
];

/// Reads and checks one profile.
pub fn load(path: &Path) -> Result<Target, TargetError> {
    let read_err = |source| TargetError::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if meta.len() > MAX_PROFILE_BYTES {
        return Err(TargetError::TooLarge(path.to_path_buf()));
    }
    let bytes = std::fs::read(path).map_err(read_err)?;
    let sha256 = crate::hash::sha256_hex(&bytes);
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let (line, column) = crate::species::line_col(&lossy, at);
            return Err(TargetError::Invalid(vec![TargetProblem {
                path: path.to_path_buf(),
                line,
                column,
                message: "not valid UTF-8 text".into(),
            }]));
        }
    };
    parse(path, &text, sha256)
}

struct Problems<'a> {
    path: &'a Path,
    text: &'a str,
    list: Vec<TargetProblem>,
}

impl Problems<'_> {
    fn at(&mut self, span: std::ops::Range<usize>, message: impl Into<String>) {
        let (line, column) = crate::species::line_col(self.text, span.start);
        self.list.push(TargetProblem {
            path: self.path.to_path_buf(),
            line,
            column,
            message: message.into(),
        });
    }
}

fn parse(path: &Path, text: &str, sha256: String) -> Result<Target, TargetError> {
    let mut p = Problems {
        path,
        text,
        list: Vec::new(),
    };
    let raw: RawProfile = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            p.at(span, e.message().to_string());
            p.list.extend(unknown_keys(path, text));
            p.list.sort_by_key(|x| (x.line, x.column));
            return Err(TargetError::Invalid(p.list));
        }
    };
    // A misspelt key must never silently do nothing; each is reported, and
    // the rest of the profile is still checked.
    p.list.extend(unknown_keys(path, text));
    let t = raw.target.into_inner();
    let name = t.name.get_ref().trim().to_string();
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        p.at(
            t.name.span(),
            "name must be 1-64 letters, digits, '-', '_' or '.'",
        );
    }
    let base_url = match Url::parse(t.base_url.get_ref()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Some(u),
        Ok(_) => {
            p.at(
                t.base_url.span(),
                "base_url must be an http:// or https:// URL",
            );
            None
        }
        Err(e) => {
            p.at(t.base_url.span(), format!("base_url is not a URL: {e}"));
            None
        }
    };
    let encoding = match &t.charset {
        None => Some(encoding_rs::UTF_8),
        Some(c) => match encoding_rs::Encoding::for_label(c.get_ref().trim().as_bytes()) {
            Some(e) => Some(e),
            None => {
                p.at(
                    c.span(),
                    format!(
                        "unknown charset {:?} (use a WHATWG label such as utf-8, gbk, windows-1252, shift_jis)",
                        c.get_ref()
                    ),
                );
                None
            }
        },
    };
    let number =
        |p: &mut Problems<'_>, v: &Option<Spanned<i64>>, what: &str, min, max, default| match v {
            None => Some(default),
            Some(v) if (min..=max).contains(v.get_ref()) => Some(*v.get_ref()),
            Some(v) => {
                p.at(v.span(), format!("{what} must be between {min} and {max}"));
                None
            }
        };
    let first_page = number(&mut p, &t.first_page, "first_page", 0, 1_000_000, 1);
    let page_step = number(&mut p, &t.page_step, "page_step", 1, 10_000, 1);
    let max_pages = number(
        &mut p,
        &t.max_pages,
        "max_pages",
        1,
        MAX_PAGES_LIMIT as i64,
        5,
    );
    let delay_ms = number(&mut p, &t.delay_ms, "delay_ms", 0, 3_600_000, 2000);
    let mut headers = Vec::new();
    for (k, v) in &t.headers {
        let valid_name = !k.is_empty()
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !valid_name {
            p.at(v.span(), format!("{k:?} is not a valid header name"));
        } else if RESERVED_HEADERS.contains(&k.to_ascii_lowercase().as_str()) {
            p.at(
                v.span(),
                format!("header {k} is set by warden itself and cannot be set by a profile"),
            );
        } else if v
            .get_ref()
            .bytes()
            .any(|b| b < 0x20 && b != b'\t' || b == 0x7f)
            || v.get_ref().len() > 4096
        {
            p.at(
                v.span(),
                format!("the value of header {k} has control characters or is over 4096 bytes"),
            );
        } else {
            headers.push((k.clone(), v.get_ref().clone()));
        }
    }
    let search = match (&base_url, encoding, first_page, page_step) {
        (Some(base), Some(enc), Some(first), Some(step)) => {
            match SearchUrl::new(base, t.search_url.get_ref(), enc, first as u64, step as u64) {
                Ok(s) => Some(s),
                Err(msg) => {
                    p.at(t.search_url.span(), msg);
                    None
                }
            }
        }
        _ => None,
    };
    let s = raw.selectors.into_inner();
    let mut sel = |v: &Spanned<String>, what: &str| -> Option<Sel> {
        let source = v.get_ref().trim().to_string();
        if source.is_empty() {
            p.at(v.span(), format!("selector {what} is empty"));
            return None;
        }
        match scraper::Selector::parse(&source) {
            Ok(compiled) => Some(Sel { source, compiled }),
            Err(e) => {
                let _ = e;
                p.at(
                    v.span(),
                    format!(
                        "selector {what} ({source:?}) is not a valid CSS selector: check its brackets, quotes and names (for example li.listing, a[href], div > span.price)"
                    ),
                );
                None
            }
        }
    };
    let listing = sel(&s.listing, "listing");
    let link = sel(&s.link, "link");
    let mut opt = |v: &Option<Spanned<String>>, what: &str| v.as_ref().map(|v| sel(v, what));
    let title = opt(&s.title, "title");
    let price = opt(&s.price, "price");
    let seller = opt(&s.seller, "seller");
    let date = opt(&s.date, "date");
    let snippet = opt(&s.snippet, "snippet");
    let next_page = opt(&s.next_page, "next_page");
    if let Some(search) = &search
        && !search.has_page()
        && next_page.is_none()
        && max_pages.is_some_and(|m| m > 1)
        && let Some(m) = &t.max_pages
    {
        p.at(
            m.span(),
            "max_pages is above 1 but there is no way to reach a next page: add {page} to search_url or a next_page selector",
        );
    }
    if !p.list.is_empty() {
        p.list.sort_by_key(|x| (x.line, x.column));
        return Err(TargetError::Invalid(p.list));
    }
    // Every value is present when no problem was found.
    let all = |o: Option<Option<Sel>>| o.map(|x| x.expect("checked above"));
    Ok(Target {
        path: path.to_path_buf(),
        sha256,
        name,
        description: t.description,
        base_url: base_url.expect("checked above"),
        search: search.expect("checked above"),
        max_pages: max_pages.expect("checked above") as u32,
        delay: std::time::Duration::from_millis(delay_ms.expect("checked above") as u64),
        javascript: t.javascript,
        headers,
        selectors: Selectors {
            listing: listing.expect("checked above"),
            link: link.expect("checked above"),
            title: all(title),
            price: all(price),
            seller: all(seller),
            date: all(date),
            snippet: all(snippet),
            next_page: all(next_page),
        },
    })
}

/// The keys a profile may have, per table (`None`: any key).
fn known_keys(table: &str) -> Option<&'static [&'static str]> {
    match table {
        "" => Some(&["target", "selectors"]),
        "target" => Some(&[
            "name",
            "base_url",
            "search_url",
            "charset",
            "first_page",
            "page_step",
            "max_pages",
            "delay_ms",
            "javascript",
            "description",
            "headers",
        ]),
        "selectors" => Some(&[
            "listing",
            "link",
            "title",
            "price",
            "seller",
            "date",
            "snippet",
            "next_page",
        ]),
        "target.headers" => None,
        _ => Some(&[]),
    }
}

/// Every key the profile format does not have, at its line and column. The
/// text is read line by line (tables and `key =` lines), as profiles are
/// written; a key this cannot place is reported at line 1.
fn unknown_keys(path: &Path, text: &str) -> Vec<TargetProblem> {
    let Ok(table) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let mut unknown: Vec<(String, String)> = Vec::new();
    let mut walk = |prefix: &str, t: &toml::Table| {
        if let Some(known) = known_keys(prefix) {
            for k in t.keys() {
                if !known.contains(&k.as_str()) {
                    unknown.push((prefix.to_string(), k.clone()));
                }
            }
        }
    };
    walk("", &table);
    for name in ["target", "selectors"] {
        if let Some(toml::Value::Table(t)) = table.get(name) {
            walk(name, t);
        }
    }
    unknown
        .into_iter()
        .map(|(table_name, key)| {
            let (line, column) = locate_key(text, &table_name, &key).unwrap_or((1, 1));
            let message = if table_name.is_empty() {
                format!("unknown table or key `{key}` (a profile has [target] and [selectors])")
            } else {
                let known = known_keys(&table_name).unwrap_or(&[]).join(", ");
                format!("unknown key `{key}` in [{table_name}] (known keys: {known})")
            };
            TargetProblem {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        })
        .collect()
}

/// Line and column of `key` in table `table` (`""`: the top level, where
/// an unknown key may also be a table header).
fn locate_key(text: &str, table: &str, key: &str) -> Option<(usize, usize)> {
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(rest) = trimmed.strip_prefix('[') {
            let name = rest
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            if table.is_empty() && (name == key || name.starts_with(&format!("{key}."))) {
                return Some((i + 1, indent + 1));
            }
            current = name;
            continue;
        }
        if current != table {
            continue;
        }
        let k = trimmed
            .split('=')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if trimmed.contains('=') && k == key {
            return Some((i + 1, line[..indent].chars().count() + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[target]
name = "demo"
base_url = "http://127.0.0.1:8000/"
search_url = "search?q={query}&page={page}"

[selectors]
listing = "li.listing"
link = "a"
"#;

    fn parse_text(t: &str) -> Result<Target, TargetError> {
        parse(Path::new("t.toml"), t, String::new())
    }

    #[test]
    fn a_minimal_profile_gets_the_documented_defaults() {
        let t = parse_text(GOOD).unwrap();
        assert_eq!(t.max_pages, 5);
        assert_eq!(t.delay, std::time::Duration::from_millis(2000));
        assert!(!t.javascript);
        assert_eq!(
            t.search.url("ivory carving", 0).as_str(),
            "http://127.0.0.1:8000/search?q=ivory+carving&page=1"
        );
    }

    #[test]
    fn a_bad_selector_is_reported_at_its_line() {
        let t = GOOD.replace("link = \"a\"", "link = \"a[[x\"");
        let Err(TargetError::Invalid(p)) = parse_text(&t) else {
            panic!("accepted a bad selector")
        };
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].line, 9, "{p:?}");
        assert!(p[0].message.contains("selector link"), "{}", p[0].message);
    }

    #[test]
    fn unknown_keys_and_reserved_headers_are_refused() {
        let t = GOOD.replace(
            "[selectors]",
            "delay = 3\n[target.headers]\nCookie = \"x\"\n[selectors]",
        );
        let Err(TargetError::Invalid(p)) = parse_text(&t) else {
            panic!("accepted")
        };
        assert!(p[0].message.contains("unknown key `delay`"), "{p:?}");
        assert_eq!(p[0].line, 7, "{p:?}");
        assert!(p[1].message.contains("set by warden"), "{p:?}");
        let t = GOOD.replace(
            "[selectors]",
            "[target.headers]\nCookie = \"x\"\n[selectors]",
        );
        let Err(TargetError::Invalid(p)) = parse_text(&t) else {
            panic!("accepted")
        };
        assert!(p[0].message.contains("set by warden"), "{p:?}");
        assert_eq!(p[0].line, 8);
    }
}
