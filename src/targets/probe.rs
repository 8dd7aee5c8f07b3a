//! `warden targets test`: fetch one search page with a profile and show what
//! its selectors read, without recording anything (for writing profiles).

use super::{Extraction, Target};
use crate::capture::FetchConfig;
use url::Url;

/// What one search page gave.
#[derive(Debug)]
pub struct Probe {
    pub url: Url,
    pub final_url: Url,
    pub http_status: Option<u16>,
    pub charset: &'static str,
    pub bytes: u64,
    pub extraction: Extraction,
}

/// Why the page could not be fetched or read.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("cannot make a scratch folder: {0}")]
    Scratch(std::io::Error),
    #[error("cannot start the network runtime: {0}")]
    Runtime(std::io::Error),
    #[error("{url}: {message}")]
    Fetch { url: String, message: String },
    #[error(
        "{url}: javascript = true: this profile's listings appear only in a browser; test it with a live sweep (warden sweep --target … --pages 1)"
    )]
    Javascript { url: String },
}

/// Fetches the first results page for `term` (following redirects) and
/// reads it with the profile's selectors.
pub fn probe(t: &Target, term: &str, cfg: &FetchConfig) -> Result<Probe, ProbeError> {
    let url = t.search.url(term, 0);
    if t.javascript {
        return Err(ProbeError::Javascript {
            url: url.to_string(),
        });
    }
    let mut cfg = cfg.clone();
    cfg.extra_headers.extend(t.headers.iter().cloned());
    let work = tempfile::tempdir().map_err(ProbeError::Scratch)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ProbeError::Runtime)?;
    let hops = rt.block_on(crate::capture::fetch::fetch_chain(&url, &cfg, work.path()));
    let fail = |message: String| ProbeError::Fetch {
        url: url.to_string(),
        message,
    };
    let last = hops
        .last()
        .ok_or_else(|| fail("nothing was fetched".into()))?;
    if let Some(e) = &last.error {
        return Err(fail(e.to_string()));
    }
    if !last.body_read {
        return Err(fail("no page in the answer".into()));
    }
    let page = work.path().join("page");
    let dec = crate::capture::decode::decode_body(
        &last.body,
        last.content_encoding.as_deref(),
        &page,
        cfg.max_bytes,
    )
    .map_err(|e| fail(format!("cannot decode the answer: {e}")))?;
    let limit = super::extract::MAX_PAGE_BYTES as u64 * 4;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(
            std::fs::File::open(&page).map_err(|e| fail(e.to_string()))?,
            limit,
        ),
        &mut bytes,
    )
    .map_err(|e| fail(e.to_string()))?;
    let charset = crate::text::detect(last.content_type.as_deref(), &bytes, true);
    let (html, _, _) = charset.encoding.decode(&bytes);
    let extraction = super::extract(&html, &last.url, &t.selectors);
    Ok(Probe {
        url,
        final_url: last.url.clone(),
        http_status: last.status,
        charset: charset.encoding.name(),
        bytes: dec.size,
        extraction,
    })
}
