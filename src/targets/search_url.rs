//! A profile's search URL template: `{query}` (the term, percent-encoded in
//! the site's charset) and an optional `{page}`.

use url::Url;

/// A checked search URL template.
#[derive(Debug, Clone)]
pub struct SearchUrl {
    base: Url,
    template: String,
    encoding: &'static encoding_rs::Encoding,
    first_page: u64,
    page_step: u64,
}

impl SearchUrl {
    /// Checks `template` (absolute, or relative to `base`).
    pub(crate) fn new(
        base: &Url,
        template: &str,
        encoding: &'static encoding_rs::Encoding,
        first_page: u64,
        page_step: u64,
    ) -> Result<Self, String> {
        let queries = template.matches("{query}").count();
        if queries != 1 {
            return Err("search_url must contain {query} exactly once".into());
        }
        if template.matches("{page}").count() > 1 {
            return Err("search_url may contain {page} at most once".into());
        }
        let rest = template.replace("{query}", "").replace("{page}", "");
        if rest.contains('{') || rest.contains('}') {
            return Err(
                "search_url has a placeholder other than {query} and {page} (or a stray brace)"
                    .into(),
            );
        }
        let s = SearchUrl {
            base: base.clone(),
            template: template.to_string(),
            encoding,
            first_page,
            page_step,
        };
        let sample = s.try_url("x", 0)?;
        if !matches!(sample.scheme(), "http" | "https") || sample.host().is_none() {
            return Err("search_url must give an http:// or https:// URL".into());
        }
        Ok(s)
    }

    fn try_url(&self, term: &str, page_index: u32) -> Result<Url, String> {
        let (bytes, _, _) = self.encoding.encode(term);
        let query: String = url::form_urlencoded::byte_serialize(&bytes).collect();
        let page = self.page_number(page_index).to_string();
        let text = self
            .template
            .replace("{page}", &page)
            .replacen("{query}", &query, 1);
        self.base
            .join(&text)
            .map_err(|e| format!("search_url does not make a URL: {e}"))
    }

    /// The URL of results page `page_index` (0 for the first) for `term`.
    pub fn url(&self, term: &str, page_index: u32) -> Url {
        self.try_url(term, page_index)
            .expect("a checked template makes a URL for any term")
    }

    /// The `{page}` value of results page `page_index`.
    pub fn page_number(&self, page_index: u32) -> u64 {
        self.first_page
            .saturating_add(self.page_step.saturating_mul(u64::from(page_index)))
    }

    /// Whether the template numbers its pages.
    pub fn has_page(&self) -> bool {
        self.template.contains("{page}")
    }

    /// The charset the term is encoded in.
    pub fn charset(&self) -> &'static str {
        self.encoding.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_term_is_encoded_in_the_sites_charset() {
        let base = Url::parse("http://127.0.0.1:1/cn/").unwrap();
        let s = SearchUrl::new(&base, "search?q={query}", encoding_rs::GBK, 1, 1).unwrap();
        // 象牙 in GBK is CF F3 D1 C0.
        assert_eq!(
            s.url("象牙", 0).as_str(),
            "http://127.0.0.1:1/cn/search?q=%CF%F3%D1%C0"
        );
        let s = SearchUrl::new(&base, "/s/{query}?o={page}", encoding_rs::UTF_8, 0, 20).unwrap();
        assert_eq!(
            s.url("a&b c", 2).as_str(),
            "http://127.0.0.1:1/s/a%26b+c?o=40"
        );
    }

    #[test]
    fn templates_without_one_query_or_with_other_placeholders_are_refused() {
        let base = Url::parse("http://127.0.0.1:1/").unwrap();
        for t in [
            "search",
            "q={query}&r={query}",
            "q={query}&p={pg}",
            "q={query}}",
        ] {
            assert!(
                SearchUrl::new(&base, t, encoding_rs::UTF_8, 1, 1).is_err(),
                "{t}"
            );
        }
    }
}
