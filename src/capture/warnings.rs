//! What an officer must look at before relying on a capture: a page whose
//! text is (nearly) empty or only says it is loading, a page made only of
//! scripts, a page that shows a password field. Each warning says what
//! the data shows and what to do; none claims more.

/// Fewer visible characters than this make a page "nearly empty".
const NEARLY_EMPTY: usize = 40;
/// A page with less text than this that says it is loading is only that.
const SHORT_TEXT: usize = 300;

const LOADING_WORDS: &[&str] = &[
    "loading",
    "please wait",
    "enable javascript",
    "javascript is required",
    "javascript is disabled",
    "requires javascript",
    "turn on javascript",
];

/// The warnings for a page with visible text `text` and markup `html`
/// (`rendered`: both come from the browser's rendered DOM). Copies
/// neither (they may be megabytes long): only the start of the visible
/// text matters, and the markup is searched where it lies.
pub(crate) fn page_warnings(text: &str, html: &str, rendered: bool) -> Vec<String> {
    let mut out = Vec::new();
    let (count, visible) = visible_start(text);
    let loading = count < SHORT_TEXT && {
        let lower = visible.to_lowercase();
        LOADING_WORDS.iter().any(|w| lower.contains(w))
    };
    if count < NEARLY_EMPTY || loading {
        let what = if count < NEARLY_EMPTY {
            format!("the page's visible text is nearly empty ({count} characters)")
        } else {
            format!(
                "the page's visible text ({count} characters) only says it is loading or needs JavaScript"
            )
        };
        if rendered {
            out.push(format!(
                "{what} even as rendered by the browser: look at data/screenshot.png before relying on this capture"
            ));
        } else if find_ascii_ci(html.as_bytes(), b"<script").is_some() {
            out.push(format!(
                "{what} and the page is mostly scripts: its content is probably drawn by JavaScript, which an HTTP capture does not run; capture it again with --browser to record what a browser shows"
            ));
        } else {
            out.push(format!(
                "{what}: look at data/page.* before relying on this capture"
            ));
        }
    }
    if has_password_field(html) {
        out.push(
            "the page shows a password field: it may be a login page or login wall rather than the listing; look at the capture before relying on it (--cookies FILE captures with a logged-in session)"
                .into(),
        );
    }
    out
}

/// The visible text as it reads (words joined by one space), up to
/// [`SHORT_TEXT`] characters, and its length in characters: exact below
/// `SHORT_TEXT`, `SHORT_TEXT` for any longer text (no warning depends on
/// more).
fn visible_start(text: &str) -> (usize, String) {
    let mut visible = String::new();
    let mut count = 0;
    for word in text.split_whitespace() {
        if count > 0 {
            if count >= SHORT_TEXT {
                return (SHORT_TEXT, visible);
            }
            visible.push(' ');
            count += 1;
        }
        for c in word.chars() {
            if count >= SHORT_TEXT {
                return (SHORT_TEXT, visible);
            }
            visible.push(c);
            count += 1;
        }
    }
    (count.min(SHORT_TEXT), visible)
}

/// Where `needle` (lower-case ASCII) first occurs in `hay`, ignoring ASCII
/// case.
fn find_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether the markup holds an `<input type=password>`, in any case and
/// with any spacing. Only ASCII whitespace is spacing: HTML separates
/// attributes by nothing else (`type=\u{a0}password` is no password field).
fn has_password_field(html: &str) -> bool {
    let mut rest = html.as_bytes();
    while let Some(at) = find_ascii_ci(rest, b"<input") {
        let tag = &rest[at..];
        let end = tag.iter().position(|&b| b == b'>').unwrap_or(tag.len());
        if declares_password_type(&tag[..end]) {
            return true;
        }
        rest = &tag[end..];
    }
    false
}

/// Whether a tag's bytes, without ASCII whitespace and ignoring case, hold
/// `type="password"`, `type='password'` or `type=password`; looked at
/// through a window of the longest form's length, never copied whole.
fn declares_password_type(tag: &[u8]) -> bool {
    const FORMS: [&[u8]; 3] = [b"type=\"password\"", b"type='password'", b"type=password"];
    let mut window = [0u8; 15];
    let mut len = 0;
    for b in tag.iter().filter(|b| !b.is_ascii_whitespace()) {
        if len == window.len() {
            window.copy_within(1.., 0);
            len -= 1;
        }
        window[len] = b.to_ascii_lowercase();
        len += 1;
        if FORMS.iter().any(|f| window[..len].ends_with(f)) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_shell_gets_the_browser_hint() {
        let w = page_warnings(
            "Loading…",
            "<html><body><div id=app>Loading…</div><script src=app.js></script></body></html>",
            false,
        );
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("nearly empty (8 characters)") && w[0].contains("--browser"),
            "{w:?}"
        );
    }

    #[test]
    fn a_listing_with_text_gets_no_warning() {
        let text = "Carved ivory bangle, antique, 120 g. Shipping worldwide. Contact the seller for the price.";
        assert!(page_warnings(text, "<p>x</p><script></script>", false).is_empty());
    }

    #[test]
    fn a_password_field_is_flagged_in_any_spelling() {
        for html in [
            "<form><input name=u><input type=\"password\" name=p></form>",
            "<INPUT TYPE=PASSWORD>",
            "<input\n  type = 'password'>",
        ] {
            let text = "Please log in to see this listing. Members only. Forgot your password? Register now for free access to every listing.";
            let w = page_warnings(text, html, true);
            assert!(
                w.iter().any(|x| x.contains("password field")),
                "{html}: {w:?}"
            );
        }
        let w = page_warnings(
            "a long enough text about a pangolin scale listing here",
            "<input type=text>",
            true,
        );
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn visible_text_is_counted_exactly_below_the_short_text_limit_only() {
        assert_eq!(
            visible_start("  Loading \n\t please   wait "),
            (19, "Loading please wait".to_string())
        );
        let long = "word ".repeat(100_000);
        let (count, start) = visible_start(&long);
        assert_eq!((count, start.chars().count()), (SHORT_TEXT, SHORT_TEXT));
        let one_word = "x".repeat(1 << 20);
        assert_eq!(visible_start(&one_word).0, SHORT_TEXT);
        // A word that ends at the limit: nothing past it is gathered.
        let at_limit = format!("{} b", "a".repeat(SHORT_TEXT));
        assert_eq!(
            visible_start(&at_limit),
            (SHORT_TEXT, "a".repeat(SHORT_TEXT))
        );
        // A long page that says "loading" somewhere is not a loading page.
        let w = page_warnings(&format!("{long} loading"), "<script></script>", false);
        assert!(w.is_empty(), "{w:?}");
        // Just under the limit (multi-byte characters counted one each) a
        // page that says it is loading is only that; at the limit it is not.
        let text = |n: usize| format!("please wait {}", "é".repeat(n - 12));
        let w = page_warnings(&text(SHORT_TEXT - 1), "<p>", false);
        assert!(
            w.len() == 1 && w[0].contains("(299 characters) only says it is loading"),
            "{w:?}"
        );
        assert!(page_warnings(&text(SHORT_TEXT), "<p>", false).is_empty());
    }

    #[test]
    fn only_ascii_whitespace_separates_a_password_type() {
        let text = "a long enough text about a pangolin scale listing here";
        let long_value = "x".repeat(10_000);
        for html in [
            "<input\t\r\nTYPE\x0c=\x0c\"PassWord\">".to_string(),
            format!("<input value=\"{long_value}\" type=password>"),
        ] {
            assert_eq!(page_warnings(text, &html, false).len(), 1, "{html:.60}");
        }
        for html in [
            "<input type=\u{a0}password>",
            "<input type=text> type=password",
        ] {
            assert!(page_warnings(text, html, false).is_empty(), "{html}");
        }
    }

    #[test]
    fn a_rendered_empty_page_points_at_the_screenshot() {
        let w = page_warnings("", "<html><body></body></html>", true);
        assert!(w[0].contains("screenshot.png"), "{w:?}");
    }
}
