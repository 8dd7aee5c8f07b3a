//! Reading listings off a results page with a profile's selectors.
//!
//! The page is hostile: the HTML parsed, the listings taken from one page
//! and the text kept per field are all bounded, and a link is kept only if
//! it resolves to an http(s) URL.

use super::{Sel, Selectors};
use scraper::{ElementRef, Html};
use serde::{Deserialize, Serialize};
use url::Url;

/// Most HTML parsed from one results page.
pub const MAX_PAGE_BYTES: usize = 16 * 1024 * 1024;
/// Most listings taken from one results page.
pub const MAX_LISTINGS_PER_PAGE: usize = 1000;
/// Most characters kept of one field (title, snippet, …).
pub const MAX_FIELD_CHARS: usize = 4000;
/// Most characters kept of a listing's whole text.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Longest link kept.
const MAX_URL_BYTES: usize = 8192;

/// One listing as read off a results page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractedListing {
    /// Its own page, absolute.
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub seller: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub snippet: Option<String>,
    /// What the species lists are matched against: the fields above
    /// joined, or the listing's visible text when no field selector
    /// matched (a live sweep's results keep it, cut at
    /// [`MAX_FIELD_CHARS`], only in that case).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
}

/// Everything read off one results page.
#[derive(Debug, Clone, Default)]
pub struct Extraction {
    pub listings: Vec<ExtractedListing>,
    /// The next results page, when the profile has a `next_page` selector
    /// and the page has such a link.
    pub next_page: Option<Url>,
    /// Listing elements without a usable http(s) link.
    pub without_link: usize,
    /// Listing elements past [`MAX_LISTINGS_PER_PAGE`].
    pub over_limit: usize,
    /// The page was longer than [`MAX_PAGE_BYTES`] and only its start was read.
    pub page_cut: bool,
}

/// Reads the listings of `html`, a results page whose final URL is `page_url`.
pub fn extract(html: &str, page_url: &Url, sel: &Selectors) -> Extraction {
    let page_cut = html.len() > MAX_PAGE_BYTES;
    let html = if page_cut {
        &html[..html.floor_char_boundary(MAX_PAGE_BYTES)]
    } else {
        html
    };
    let doc = Html::parse_document(html);
    let base = document_base(&doc, page_url);
    let mut out = Extraction {
        page_cut,
        ..Extraction::default()
    };
    for item in doc.select(&sel.listing.compiled) {
        if out.listings.len() >= MAX_LISTINGS_PER_PAGE {
            out.over_limit += 1;
            continue;
        }
        let Some(url) = item
            .select(&sel.link.compiled)
            .next()
            .or_else(|| sel.link.compiled.matches(&item).then_some(item))
            .and_then(|a| a.value().attr("href"))
            .and_then(|href| resolve(&base, href))
        else {
            out.without_link += 1;
            continue;
        };
        let field = |s: &Option<Sel>| {
            s.as_ref()
                .and_then(|s| item.select(&s.compiled).next())
                .map(|e| clean(&element_text(e), MAX_FIELD_CHARS))
                .filter(|t| !t.is_empty())
        };
        let title = field(&sel.title);
        let price = field(&sel.price);
        let seller = field(&sel.seller);
        let date = field(&sel.date);
        let snippet = field(&sel.snippet);
        let parts: Vec<&str> = [&title, &snippet, &price, &seller, &date]
            .into_iter()
            .filter_map(|f| f.as_deref())
            .collect();
        let text = if parts.is_empty() {
            clean(&element_text(item), MAX_TEXT_CHARS)
        } else {
            clean(&parts.join("\n"), MAX_TEXT_CHARS)
        };
        out.listings.push(ExtractedListing {
            url,
            title,
            price,
            seller,
            date,
            snippet,
            text,
        });
    }
    if let Some(next) = &sel.next_page {
        out.next_page = doc
            .select(&next.compiled)
            .filter_map(|a| a.value().attr("href"))
            .find_map(|href| resolve(&base, href))
            .and_then(|u| Url::parse(&u).ok());
    }
    out
}

/// The base links resolve against: the page's `<base href>` when it is an
/// http(s) URL, else the page's own URL.
fn document_base(doc: &Html, page_url: &Url) -> Url {
    let base_sel = scraper::Selector::parse("base[href]").expect("a valid selector");
    doc.select(&base_sel)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| page_url.join(h.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .unwrap_or_else(|| page_url.clone())
}

/// `href` resolved against `base`, if it gives an http(s) URL of sane length
/// (fragment removed: it names a place in a page, not another page).
fn resolve(base: &Url, href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() || href.len() > MAX_URL_BYTES {
        return None;
    }
    let mut u = base.join(href).ok()?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
        return None;
    }
    u.set_fragment(None);
    Some(u.to_string())
}

/// The text of an element, without scripts and styles.
fn element_text(e: ElementRef<'_>) -> String {
    let mut s = String::new();
    for node in e.descendants() {
        if let Some(t) = node.value().as_text() {
            let hidden = node.ancestors().any(|a| {
                a.value()
                    .as_element()
                    .is_some_and(|el| matches!(el.name(), "script" | "style" | "template"))
            });
            if !hidden {
                s.push_str(t);
                s.push(' ');
            }
        }
        if s.len() > MAX_TEXT_CHARS * 4 {
            break;
        }
    }
    s
}

/// Whitespace collapsed, control characters removed, at most `max` chars.
fn clean(s: &str, max: usize) -> String {
    let mut out = String::new();
    let mut n = 0;
    for word in s.split_whitespace() {
        if n >= max {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
            n += 1;
        }
        for c in word.chars().filter(|c| !c.is_control()) {
            if n >= max {
                break;
            }
            out.push(c);
            n += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(s: &str) -> Sel {
        Sel {
            source: s.into(),
            compiled: scraper::Selector::parse(s).unwrap(),
        }
    }

    fn selectors() -> Selectors {
        Selectors {
            listing: sel("li.l"),
            link: sel("a.t"),
            title: Some(sel("a.t")),
            price: Some(sel(".p")),
            seller: None,
            date: None,
            snippet: None,
            next_page: Some(sel("a[rel=next]")),
        }
    }

    #[test]
    fn listings_links_and_the_next_page_are_read_and_resolved() {
        let html = r#"<ul>
          <li class=l><a class=t href="/listing/1#photos">Carved <b>ivory</b> bangle</a><span class=p>$ 120</span></li>
          <li class=l><a class=t href="javascript:alert(1)">bad</a></li>
          <li class=l><span>no link</span></li>
          <li class=l><a class=t href="listing/2">Netsuke</a><script>var ivory=1</script></li>
        </ul><a rel=next href="?page=2">next</a>"#;
        let page = Url::parse("http://127.0.0.1:1/search?q=x&page=1").unwrap();
        let e = extract(html, &page, &selectors());
        assert_eq!(e.listings.len(), 2);
        assert_eq!(e.without_link, 2);
        assert_eq!(e.listings[0].url, "http://127.0.0.1:1/listing/1");
        assert_eq!(e.listings[0].title.as_deref(), Some("Carved ivory bangle"));
        assert_eq!(e.listings[0].price.as_deref(), Some("$ 120"));
        assert_eq!(e.listings[0].text, "Carved ivory bangle $ 120");
        assert_eq!(e.listings[1].url, "http://127.0.0.1:1/listing/2");
        assert_eq!(
            e.next_page.unwrap().as_str(),
            "http://127.0.0.1:1/search?page=2"
        );
    }

    #[test]
    fn a_listing_without_fields_is_matched_on_its_visible_text_only() {
        let mut s = selectors();
        s.title = None;
        s.price = None;
        let html = r#"<li class=l><a class=t href="/x">Pangolin scales</a> for sale <style>.ivory{}</style></li>"#;
        let page = Url::parse("http://127.0.0.1:1/").unwrap();
        let e = extract(html, &page, &s);
        assert_eq!(e.listings[0].text, "Pangolin scales for sale");
    }
}
