//! What the officer types: URL arguments and URL list files, checked before
//! anything is fetched.
//!
//! Rules (shared by the command line and `--from-file`):
//! - a URL is at most [`MAX_URL_BYTES`] bytes;
//! - control characters (CR, LF, TAB, any other below U+0020, DEL) are
//!   refused, because the URL parser would silently drop some of them;
//! - only absolute `http`/`https` URLs with a host; a URL without a scheme is
//!   refused with the `https://` form suggested;
//! - a password in the URL is replaced by [`REDACTED`] at once, so it is
//!   never recorded anywhere (warden does not send URL credentials).
//!
//! A URL list is read line by line with a bounded buffer: a line longer
//! than the limit is refused as soon as the limit is passed, whatever the
//! file's size.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use url::Url;

/// Longest URL accepted, in bytes (256 KiB).
pub const MAX_URL_BYTES: usize = 256 * 1024;

/// Longest note accepted on a URL list line, in bytes (64 KiB).
pub const MAX_LINE_NOTE_BYTES: usize = 64 * 1024;

/// What replaces a password in a URL.
pub const REDACTED: &str = "REDACTED";

/// One page to capture, with the note given for it on its list line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub url: Url,
    /// The text after a TAB on the URL's list line.
    pub note: Option<String>,
}

/// Why a URL argument or list line was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UrlError {
    #[error("the URL is {len} bytes long; the limit is {MAX_URL_BYTES} bytes (256 KiB)")]
    TooLong { len: usize },
    #[error(
        "{shown:?} contains a {what}; a URL cannot hold one (it would be silently dropped), so check the address"
    )]
    ControlCharacter { shown: String, what: &'static str },
    #[error("{given:?} has no scheme; did you mean {suggestion:?}?")]
    NoScheme { given: String, suggestion: String },
    #[error("{given:?} is not a valid URL ({reason})")]
    Invalid { given: String, reason: String },
    #[error(
        "{given:?} uses the unsupported scheme {scheme:?}; only http and https can be captured"
    )]
    Scheme { given: String, scheme: String },
    #[error("{given:?} has no host name")]
    NoHost { given: String },
}

/// Why a URL list could not be used.
#[derive(Debug, thiserror::Error)]
pub enum UrlFileError {
    #[error("cannot read URL list {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {reason}")]
    Line {
        path: PathBuf,
        line: usize,
        reason: LineError,
    },
}

/// What is wrong with one line of a URL list.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LineError {
    #[error(
        "the line is longer than {limit} bytes; a URL may be at most {MAX_URL_BYTES} bytes (256 KiB) and its note {MAX_LINE_NOTE_BYTES} bytes"
    )]
    TooLong { limit: usize },
    #[error("not valid UTF-8 text")]
    NotUtf8,
    #[error("a note without a URL before the tab")]
    NoteWithoutUrl,
    #[error(transparent)]
    Url(#[from] UrlError),
    #[error("the note is {len} bytes long; the limit is {MAX_LINE_NOTE_BYTES} bytes")]
    NoteTooLong { len: usize },
    #[error("the note holds a control character (a second tab, a lone CR, ...)")]
    NoteControlCharacter,
}

fn control_name(c: char) -> &'static str {
    match c {
        '\r' => "carriage return (CR)",
        '\n' => "line feed (LF)",
        '\t' => "tab",
        _ => "control character",
    }
}

/// Checks that `s` is an absolute http(s) URL with a host, within the
/// limits above; a password in it is replaced by [`REDACTED`].
pub fn parse_url(s: &str) -> Result<Url, UrlError> {
    if s.len() > MAX_URL_BYTES {
        return Err(UrlError::TooLong { len: s.len() });
    }
    if let Some(c) = s.chars().find(|c| c.is_ascii_control()) {
        return Err(UrlError::ControlCharacter {
            shown: s.to_string(),
            what: control_name(c),
        });
    }
    let given = s.trim_matches(' ');
    let url = match Url::parse(given) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => return Err(no_scheme(given)),
        Err(e) => {
            return Err(UrlError::Invalid {
                given: given.to_string(),
                reason: e.to_string(),
            });
        }
    };
    match url.scheme() {
        "http" | "https" => {}
        other => {
            // "example.org:8080/x" parses with the scheme "example.org".
            if looks_like_host_port(given, other) {
                return Err(no_scheme(given));
            }
            return Err(UrlError::Scheme {
                given: given.to_string(),
                scheme: other.to_string(),
            });
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlError::NoHost {
            given: given.to_string(),
        });
    }
    Ok(redact_password(url))
}

/// A URL without its password (replaced by [`REDACTED`]).
pub fn redact_password(mut url: Url) -> Url {
    if url.password().is_some() {
        let _ = url.set_password(Some(REDACTED));
    }
    url
}

fn looks_like_host_port(given: &str, scheme: &str) -> bool {
    let rest = &given[scheme.len() + 1..];
    scheme.contains('.')
        || scheme.eq_ignore_ascii_case("localhost")
        || rest.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

fn no_scheme(given: &str) -> UrlError {
    let suggestion = format!("https://{}", given.trim_start_matches('/'));
    match Url::parse(&suggestion) {
        Ok(u) if u.host_str().is_some_and(|h| !h.is_empty()) => UrlError::NoScheme {
            given: given.to_string(),
            suggestion,
        },
        _ => UrlError::Invalid {
            given: given.to_string(),
            reason: "it has no scheme (http:// or https://) and no host".into(),
        },
    }
}

/// Reads a URL list: one URL a line, optionally followed by a TAB and a
/// note for that URL; blank lines and `#` comments skipped; a UTF-8
/// byte-order mark at the start and CRLF line ends accepted.
pub fn read_url_file(path: &Path) -> Result<Vec<Target>, UrlFileError> {
    let file = std::fs::File::open(path).map_err(|source| UrlFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    read_url_list(file, path)
}

/// [`read_url_file`] over any reader; `path` names it in errors.
pub fn read_url_list(reader: impl Read, path: &Path) -> Result<Vec<Target>, UrlFileError> {
    let line_err = |line: usize, reason: LineError| UrlFileError::Line {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let limit = MAX_URL_BYTES + 1 + MAX_LINE_NOTE_BYTES;
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let mut out = Vec::new();
    let mut buf = Vec::new();
    for number in 1.. {
        buf.clear();
        let n = (&mut reader)
            .take(limit as u64 + 2)
            .read_until(b'\n', &mut buf)
            .map_err(|source| UrlFileError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        if n == 0 {
            break;
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        if buf.len() > limit {
            return Err(line_err(number, LineError::TooLong { limit }));
        }
        let mut bytes = &buf[..];
        if number == 1 {
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| line_err(number, LineError::NotUtf8))?;
        if let Some(t) = parse_line(text).map_err(|e| line_err(number, e))? {
            out.push(t);
        }
    }
    Ok(out)
}

/// One list line: `None` for a blank or comment line.
fn parse_line(text: &str) -> Result<Option<Target>, LineError> {
    let (url_part, note) = match text.split_once('\t') {
        Some((u, n)) => (u, Some(n)),
        None => (text, None),
    };
    let url_text = url_part.trim_matches(' ');
    if url_text.is_empty() && note.is_none_or(|n| n.trim().is_empty()) {
        return Ok(None);
    }
    if url_text.starts_with('#') {
        return Ok(None);
    }
    if url_text.is_empty() {
        return Err(LineError::NoteWithoutUrl);
    }
    let url = parse_url(url_text)?;
    let note = match note.map(str::trim) {
        Some(n) if n.len() > MAX_LINE_NOTE_BYTES => {
            return Err(LineError::NoteTooLong { len: n.len() });
        }
        Some(n) if n.chars().any(|c| c.is_control()) => {
            return Err(LineError::NoteControlCharacter);
        }
        Some("") | None => None,
        Some(n) => Some(n.to_string()),
    };
    Ok(Some(Target { url, note }))
}

/// The note recorded for one capture: the run's `--note`, then the URL's
/// own note from its list line, on a new line.
pub fn combine_notes(run: Option<&str>, line: Option<&str>) -> Option<String> {
    match (run, line) {
        (Some(r), Some(l)) => Some(format!("{r}\n{l}")),
        (Some(r), None) => Some(r.to_string()),
        (None, Some(l)) => Some(l.to_string()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused() {
        for s in [
            "http://a.example/x\ny",
            "http://a.example/\rx",
            "http://a\t.example/",
        ] {
            assert!(
                matches!(parse_url(s), Err(UrlError::ControlCharacter { .. })),
                "{s:?}"
            );
        }
    }

    #[test]
    fn scheme_less_urls_get_a_suggestion() {
        for (s, want) in [
            ("marketplace.example/x", "https://marketplace.example/x"),
            (
                "marketplace.example:8080/x",
                "https://marketplace.example:8080/x",
            ),
            ("localhost:8080", "https://localhost:8080"),
        ] {
            match parse_url(s) {
                Err(UrlError::NoScheme { suggestion, .. }) => assert_eq!(suggestion, want),
                other => panic!("{s:?}: {other:?}"),
            }
        }
        assert!(matches!(
            parse_url("mailto:x@example.org"),
            Err(UrlError::Scheme { .. })
        ));
    }

    #[test]
    fn passwords_are_redacted() {
        let u = parse_url("http://ann:hunter2@a.example/x").unwrap();
        assert_eq!(u.as_str(), "http://ann:REDACTED@a.example/x");
    }

    #[test]
    fn lines_with_notes_bom_and_crlf() {
        let text = "\u{FEFF}https://a.example/1\tseller 'tuskman'\r\n# c\n\nhttps://a.example/2\n";
        let got = read_url_list(text.as_bytes(), Path::new("l.txt")).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].url.as_str(), "https://a.example/1");
        assert_eq!(got[0].note.as_deref(), Some("seller 'tuskman'"));
        assert_eq!(got[1].note, None);
    }
}
