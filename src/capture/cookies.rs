//! `--cookies FILE`: a Netscape `cookies.txt` (as browser add-ons and curl
//! write it), for pages that need a logged-in session. The values go to
//! the site only: the bundle records the cookie names, never a value
//! (every Cookie header in the WARC is redacted, see [`redact_cookies`]).

use std::path::{Path, PathBuf};

/// Largest cookies file read.
const MAX_FILE_BYTES: u64 = 4 << 20;

/// One cookie from the file.
#[derive(Debug, Clone)]
pub struct Cookie {
    pub domain: String,
    pub include_subdomains: bool,
    pub path: String,
    pub secure: bool,
    pub http_only: bool,
    /// Seconds since 1970; 0 for a session cookie.
    pub expires: i64,
    pub name: String,
    pub value: String,
}

/// The cookies of a `--cookies` file.
#[derive(Debug, Clone)]
pub struct CookieFile {
    /// The file as given.
    pub path: PathBuf,
    pub cookies: Vec<Cookie>,
}

impl CookieFile {
    /// The cookie names, sorted, each once (what the bundle records).
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.cookies.iter().map(|c| c.name.clone()).collect();
        names.sort();
        names.dedup();
        names
    }

    /// The Cookie header a browser would send to `url` with these cookies
    /// (RFC 6265 domain, path and secure rules; expired ones left out).
    pub(crate) fn header_for(&self, url: &url::Url, now: i64) -> Option<String> {
        let host = url
            .host_str()?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let path = url.path();
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|c| c.expires == 0 || c.expires > now)
            .filter(|c| !c.secure || url.scheme() == "https")
            .filter(|c| {
                let d = c.domain.trim_start_matches('.').to_ascii_lowercase();
                host == d
                    || ((c.include_subdomains || c.domain.starts_with('.'))
                        && host.ends_with(&format!(".{d}")))
            })
            .filter(|c| {
                path == c.path
                    || (path.starts_with(&c.path)
                        && (c.path.ends_with('/') || path[c.path.len()..].starts_with('/')))
            })
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }
}

/// The request bytes with every Cookie header value replaced by the
/// cookie names only: the bundle never holds a session's cookie values.
pub(crate) fn redact_cookies(request: &[u8]) -> Vec<u8> {
    let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") else {
        return request.to_vec();
    };
    let head = String::from_utf8_lossy(&request[..end]);
    let mut out = Vec::with_capacity(request.len());
    for (i, line) in head.split("\r\n").enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\r\n");
        }
        match line.split_once(':') {
            Some((name, value)) if i > 0 && name.eq_ignore_ascii_case("cookie") => {
                let names: Vec<&str> = value
                    .split(';')
                    .filter_map(|p| p.split_once('=').map(|(n, _)| n.trim()))
                    .collect();
                out.extend_from_slice(
                    format!("{name}: REDACTED (values of {})", names.join(", ")).as_bytes(),
                );
            }
            _ => out.extend_from_slice(line.as_bytes()),
        }
    }
    out.extend_from_slice(&request[end..]);
    out
}

/// Why a cookies file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CookieFileError {
    #[error("{}: {}", .path.display(), crate::fsutil::describe_io_error(.source))]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: larger than 4 MiB; is this really a cookies.txt file?", .path.display())]
    TooLarge { path: PathBuf },
    #[error("{}: not UTF-8 text", .path.display())]
    NotText { path: PathBuf },
    #[error(
        "{}:{line}: {what}; each line needs 7 TAB-separated fields: domain, include-subdomains (TRUE/FALSE), path, secure (TRUE/FALSE), expiry (seconds), name, value (Netscape cookies.txt)",
        .path.display()
    )]
    Line {
        path: PathBuf,
        line: usize,
        what: String,
    },
    #[error("{}: holds no cookie", .path.display())]
    Empty { path: PathBuf },
}

/// Reads a Netscape cookies file: `#` comments and blank lines skipped, a
/// `#HttpOnly_` prefix on the domain read as the HttpOnly flag.
pub fn read_cookie_file(path: &Path) -> Result<CookieFile, CookieFileError> {
    use std::io::Read;
    let read = |source| CookieFileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let f = std::fs::File::open(path).map_err(read)?;
    let mut bytes = Vec::new();
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(CookieFileError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    let text = String::from_utf8(bytes).map_err(|_| CookieFileError::NotText {
        path: path.to_path_buf(),
    })?;
    let mut cookies = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let bad = |what: String| CookieFileError::Line {
            path: path.to_path_buf(),
            line: i + 1,
            what,
        };
        let line = raw.trim_end_matches('\r');
        let (line, http_only) = match line.strip_prefix("#HttpOnly_") {
            Some(rest) => (rest, true),
            None => (line, false),
        };
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 7 {
            return Err(bad(format!("{} field(s)", f.len())));
        }
        let flag = |v: &str, what: &str| match v {
            "TRUE" | "true" => Ok(true),
            "FALSE" | "false" => Ok(false),
            other => Err(bad(format!("{what} is {other:?}, not TRUE or FALSE"))),
        };
        let domain = f[0].trim();
        if domain.is_empty() || domain.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            return Err(bad(format!("domain {domain:?} is not a host name")));
        }
        let expires = f[4]
            .trim()
            .parse::<i64>()
            .map_err(|_| bad(format!("expiry {:?} is not a whole number", f[4])))?;
        let name = f[5].to_string();
        if name.is_empty()
            || name
                .bytes()
                .any(|b| b.is_ascii_control() || b"=; ".contains(&b))
        {
            return Err(bad(format!("cookie name {name:?} is empty or not a token")));
        }
        let value = f[6].to_string();
        if value.bytes().any(|b| b.is_ascii_control() || b == b';') {
            return Err(bad(format!(
                "the value of cookie {name:?} holds a control character or ';'"
            )));
        }
        cookies.push(Cookie {
            domain: domain.to_string(),
            include_subdomains: flag(f[1], "include-subdomains")?,
            path: if f[2].is_empty() {
                "/".into()
            } else {
                f[2].to_string()
            },
            secure: flag(f[3], "secure")?,
            http_only,
            expires,
            name,
            value,
        });
    }
    if cookies.is_empty() {
        return Err(CookieFileError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(CookieFile {
        path: path.to_path_buf(),
        cookies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<CookieFile, CookieFileError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cookies.txt");
        std::fs::write(&p, text).unwrap();
        read_cookie_file(&p)
    }

    #[test]
    fn reads_netscape_lines_comments_and_http_only() {
        let f = parse(
            "# Netscape HTTP Cookie File\n\n.example.org\tTRUE\t/\tFALSE\t0\tsid\tabc123\n#HttpOnly_shop.example\tFALSE\t/account\tTRUE\t1999999999\ttoken\tz\n",
        )
        .unwrap();
        assert_eq!(f.cookies.len(), 2);
        assert_eq!(f.cookies[0].domain, ".example.org");
        assert!(f.cookies[0].include_subdomains && !f.cookies[0].http_only);
        assert!(f.cookies[1].http_only && f.cookies[1].secure);
        assert_eq!(f.cookies[1].path, "/account");
        assert_eq!(f.names(), vec!["sid".to_string(), "token".to_string()]);
    }

    #[test]
    fn cookies_go_only_where_a_browser_would_send_them() {
        let f = parse(
            "shop.example\tFALSE\t/\tFALSE\t0\ta\t1\n.example.org\tTRUE\t/acc\tTRUE\t0\tb\t2\nold.example\tFALSE\t/\tFALSE\t100\tc\t3\n",
        )
        .unwrap();
        let h = |u: &str| f.header_for(&url::Url::parse(u).unwrap(), 1_000_000);
        assert_eq!(h("http://shop.example/x").as_deref(), Some("a=1"));
        assert_eq!(h("http://www.shop.example/x"), None);
        assert_eq!(h("https://m.example.org/acc/1").as_deref(), Some("b=2"));
        assert_eq!(
            h("http://m.example.org/acc/1"),
            None,
            "secure cookie over http"
        );
        assert_eq!(h("https://example.org/accounts"), None, "path boundary");
        assert_eq!(h("http://old.example/"), None, "expired");
    }

    #[test]
    fn cookie_values_never_reach_the_record() {
        let req = b"GET / HTTP/1.1\r\nHost: a\r\nCookie: sid=secret1; theme=dark\r\nAccept: */*\r\n\r\nbody";
        let out = String::from_utf8(redact_cookies(req)).unwrap();
        assert!(!out.contains("secret1") && !out.contains("dark"), "{out}");
        assert!(
            out.contains("Cookie: REDACTED (values of sid, theme)\r\n"),
            "{out}"
        );
        assert!(out.starts_with("GET / HTTP/1.1\r\nHost: a\r\n"));
        assert!(out.ends_with("Accept: */*\r\n\r\nbody"));
    }

    #[test]
    fn a_bad_line_is_named_by_number() {
        let e = parse("# c\n.example.org\tTRUE\t/\tFALSE\t0\tsid\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("cookies.txt:2: 6 field(s)"), "{e}");
        let e = parse(".example.org\tYES\t/\tFALSE\t0\tsid\tv\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":1: include-subdomains is \"YES\""), "{e}");
        let e = parse("# only a comment\n").unwrap_err().to_string();
        assert!(e.contains("holds no cookie"), "{e}");
    }
}
