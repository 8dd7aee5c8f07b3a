//! `report.html`: one self-contained, printable page. No script, no
//! external request (a Content-Security-Policy forbids both), and every
//! string from the case or from captured pages goes through maud, which
//! escapes it; URLs are shown as text, never as links.

use super::model::{ExhibitData, ReportData};
use maud::{DOCTYPE, Markup, PreEscaped, html};

const STYLE: &str = r#"
body { font-family: "Noto Sans", "DejaVu Sans", sans-serif; font-size: 10pt; margin: 2em; color: #000; }
h1 { font-size: 18pt; } h2 { font-size: 14pt; border-bottom: 1px solid #444; margin-top: 2em; }
h3 { font-size: 11pt; margin-top: 1.5em; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0; }
th, td { border: 1px solid #999; padding: 2px 4px; text-align: left; vertical-align: top; }
th { background: #eee; }
.hash, code, .mono { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; overflow-wrap: anywhere; }
.url { overflow-wrap: anywhere; }
.failed { color: #a00; font-weight: bold; }
.withdrawn { color: #a60; font-weight: bold; }
.exhibit { page-break-inside: avoid; }
section { page-break-before: always; }
@media print { body { margin: 0; } }
"#;

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

pub(super) fn render(d: &ReportData) -> String {
    let c = &d.case;
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(CSP);
                meta name="referrer" content="no-referrer";
                title { "Chain-of-custody report: case " (c.id) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                (cover(d))
                (summary(d))
                (inventory(d))
                section id="exhibits" {
                    h2 { "4. Exhibits" }
                    @for x in &d.exhibits { (exhibit(x)) }
                }
                (sweeps(d))
                (timeline(d))
                section id="method" {
                    h2 { "7. Method and limits" }
                    @for p in &d.method { p { (p) } }
                }
                section id="independent-verification" {
                    h2 { "8. Independent verification" }
                    p { "Anyone can repeat these checks with standard tools, without trusting warden. Each must print what is shown." }
                    table {
                        tr { th { "What it shows" } th { "Command" } th { "It must print" } }
                        @for s in &d.checks {
                            tr { td { (s.what) } td { code { (s.command) } } td { (s.expect) } }
                        }
                    }
                }
                section id="certification" {
                    h2 { "9. Certification" }
                    @for p in &d.certification { p { (p) } }
                }
                section id="appendix" {
                    h2 { "10. Appendix: species lists used" }
                    @if d.lists.is_empty() {
                        p { "No sweep was recorded in this case, so no species list was used." }
                    } @else {
                        table {
                            tr { th { "List" } th { "Version" } th { "Path when used" } th { "SHA-256" } }
                            @for l in &d.lists {
                                tr { td { (l.name) } td { (l.version) } td.mono { (l.path) } td.hash { (l.sha256) } }
                            }
                        }
                    }
                }
            }
        }
    };
    page.into_string()
}

fn cover(d: &ReportData) -> Markup {
    let c = &d.case;
    let v = &d.verification;
    html! {
        h1 { "Chain-of-custody report" }
        table {
            tr { th { "Case" } td { (c.id) } }
            tr { th { "Title" } td { (c.title) } }
            tr { th { "Agency" } td { (c.agency) } }
            tr { th { "Case created (UTC)" } td { (c.created) } }
            tr { th { "Case fingerprint" } td.hash { (c.fingerprint.as_deref().unwrap_or("none: the custody log cannot be read")) } }
            tr { th { "Held by" } td { (c.custodian) } }
            tr { th { "Report generated (UTC)" } td { (d.generated_at) } }
            tr { th { "Tool" } td { "warden " (d.warden_version) ", executable SHA-256 " span.hash { (d.executable_sha256.as_deref().unwrap_or("unknown")) } } }
        }
        h3 { "Officers and their keys" }
        table {
            tr { th { "Officer" } th { "Ed25519 public key (base64)" } th { "Registered (UTC)" } }
            @for o in &c.officers {
                tr { td { (o.name) } td.hash { (o.public_key) } td { (o.added) } }
            }
        }
        h3 { "Verification when this report was generated" }
        p class=(if v.verdict == "verified" { "" } else { "failed" }) { (v.statement) }
        @if !v.problems.is_empty() {
            table {
                tr { th { "Where" } th { "Problem" } }
                @for p in &v.problems { tr { td.mono { (p.path) } td { (p.message) } } }
            }
        }
        @for n in &v.notes { p { "Note: " (n) } }
    }
}

fn summary(d: &ReportData) -> Markup {
    let s = &d.summary;
    html! {
        section id="summary" {
            h2 { "2. Summary" }
            table {
                tr { th { "Exhibits" } td { (s.exhibits) } }
                tr { th { "Withdrawn" } td { (s.withdrawn) } }
                tr { th { "Captures whose status is not ok" } td { (s.not_ok) } }
                tr { th { "Sweeps run" } td { (s.sweeps) } }
            }
            @if d.selected {
                p { "This report covers only the exhibits listed in section 3, as asked for; the counts above are for the whole case." }
            }
            h3 { "Flagged listings per taxon" }
            @if s.flagged_per_taxon.is_empty() {
                p { "No sweep result available here flagged a listing." }
            } @else {
                table {
                    tr { th { "Taxon" } th { "Flagged listings" } }
                    @for (t, n) in &s.flagged_per_taxon { tr { td { i { (t) } } td { (n) } } }
                }
            }
        }
    }
}

fn inventory(d: &ReportData) -> Markup {
    html! {
        section id="inventory" {
            h2 { "3. Exhibit inventory" }
            table {
                tr { th { "Exhibit" } th { "URL / final URL" } th { "Captured (UTC)" } th { "Server IP" } th { "HTTP" } th { "Check / time-stamp" } }
                @for x in &d.exhibits {
                    @let r = &x.record;
                    tr {
                        td { a href={ "#exhibit-" (r.number) } { (r.number) }
                            @if r.withdrawn.is_some() { br; span.withdrawn { "WITHDRAWN" } } }
                        td.url { (r.url) @if let Some(f) = r.final_url.as_ref().filter(|f| **f != r.url) { br; "→ " (f) } }
                        td { (r.captured_at) }
                        td.mono { (x.server_ip.as_deref().unwrap_or("-")) }
                        td { (r.http_status.map(|h| h.to_string()).unwrap_or_else(|| "-".into())) }
                        td { (x.check) br; (x.timestamp) }
                    }
                    tr { td colspan="6" { "Manifest SHA-256: " span.hash { (r.manifest_sha256.as_deref().unwrap_or("none recorded")) } } }
                }
            }
        }
    }
}

fn exhibit(x: &ExhibitData) -> Markup {
    let r = &x.record;
    html! {
        div.exhibit id={ "exhibit-" (r.number) } {
            h3 { "Exhibit " (r.number) @if r.withdrawn.is_some() { " " span.withdrawn { "(WITHDRAWN)" } } }
            table {
                tr { th { "URL requested" } td.url { (r.url) } }
                tr { th { "Final URL" } td.url { (r.final_url.as_deref().unwrap_or("-")) } }
                tr { th { "Captured (UTC)" } td { (r.captured_at) } }
                tr { th { "Captured by" } td { (r.officer) } }
                tr { th { "Status" } td { (r.status) @if let Some(h) = r.http_status { " (HTTP " (h) ")" } } }
                @if let Some(e) = &x.error { tr { th { "Error" } td { (e) } } }
                tr { th { "Server IP" } td.mono { (x.server_ip.as_deref().unwrap_or("-")) } }
                tr { th { "Bundle" } td.mono { (r.bundle) } }
                tr { th { "Manifest SHA-256" } td.hash { (r.manifest_sha256.as_deref().unwrap_or("-")) } }
                tr { th { "Check" } td class=(if x.problems.is_empty() { "" } else { "failed" }) { (x.check) } }
                tr { th { "Time-stamp" } td { (x.timestamp) } }
                @if let Some(w) = &r.withdrawn {
                    tr { th { "Withdrawn" } td.withdrawn { "event " (w.seq) ", " (w.time) ", by " (w.officer) ": " (w.reason) } }
                }
                @if let Some(n) = &x.capture_note { tr { th { "Note at capture" } td { (n) } } }
                @for n in &r.notes { tr { th { "Note" } td { (n) } } }
            }
            @for p in &x.problems { p.failed { (p) } }
            @if !x.redirects.is_empty() {
                p { b { "Redirects" } }
                table {
                    tr { th { "URL" } th { "Status" } th { "Location" } }
                    @for h in &x.redirects { tr { td.url { (h.url) } td { (h.status) } td.url { (h.location.as_deref().unwrap_or("-")) } } }
                }
            }
            @if let Some(t) = &x.tls {
                p { b { "TLS" } " " (t.version) ", certificate chain " (if t.verified { "verified" } else { "NOT verified" }) }
                table {
                    tr { th { "Subject" } td { (t.subject) } }
                    tr { th { "Issuer" } td { (t.issuer) } }
                    tr { th { "Valid until" } td { (t.not_after) } }
                    tr { th { "Certificate SHA-256" } td.hash { (t.sha256) } }
                }
            }
            @if !x.matched.is_empty() {
                p { b { "Matched by sweeps" } }
                @for m in &x.matched {
                    p { "Sweep (event " (m.sweep_seq) "): score " (m.score) (if m.flagged { ", flagged" } else { "" })
                        @if !m.taxa.is_empty() { "; taxa: " @for (i, t) in m.taxa.iter().enumerate() { @if i > 0 { ", " } i { (t) } } } }
                    table {
                        tr { th { "Term" } th { "Kind" } th { "Snippet" } }
                        @for (term, kind, snippet) in &m.terms { tr { td { (term) } td { (kind) } td { (snippet) } } }
                    }
                    @if !m.reasons.is_empty() { ul { @for r in &m.reasons { li { (r) } } } }
                }
            }
            p { b { "Files" } }
            table {
                tr { th { "File" } th { "Bytes" } th { "SHA-256" } }
                @for f in &x.files {
                    tr { td.mono { (f.path) } td { (f.bytes.map(|b| b.to_string()).unwrap_or_else(|| "-".into())) } td.hash { (f.sha256) } }
                }
            }
        }
    }
}

fn sweeps(d: &ReportData) -> Markup {
    html! {
        section id="sweeps" {
            h2 { "5. Sweep results" }
            @if d.sweeps.is_empty() { p { "No sweep was recorded in this case." } }
            @for s in &d.sweeps {
                h3 { "Sweep of " (s.time) " by " (s.officer) " (custody event " (s.seq) ")" }
                p { (s.listings) " listing(s), " (s.matched) " matched, " (s.flagged) " flagged at a minimum score of " (s.min_score)
                    ". Results file " code { (s.output) } ", SHA-256 " span.hash { (s.output_sha256) } "." }
                @if s.skipped > 0 { p { (s.skipped) " input row(s) could not be read and were skipped." } }
                p { "Inputs: " }
                ul { @for (path, sha) in &s.inputs { li { code { (path) } ", SHA-256 " span.hash { (sha) } } } }
                @if let Some(why) = &s.output_status { p { (why) } }
                @if !s.results.is_empty() {
                    table {
                        tr { th { "Listing" } th { "Score" } th { "Taxa" } th { "Reasons" } th { "Exhibit" } }
                        @for r in &s.results {
                            tr {
                                td.url { (r.listing) @if let Some(u) = &r.url { br; (u) } }
                                td { (r.score) }
                                td { @for (i, t) in r.taxa.iter().enumerate() { @if i > 0 { ", " } i { (t) } } }
                                td { ul { @for reason in &r.reasons { li { (reason) } } } }
                                td { @if let Some(e) = &r.exhibit { a href={ "#exhibit-" (e) } { (e) } } @else { "-" } }
                            }
                        }
                    }
                }
                @if s.not_shown > 0 { p { (s.not_shown) " further flagged listing(s) are in the results file and not shown here." } }
            }
        }
    }
}

fn timeline(d: &ReportData) -> Markup {
    html! {
        section id="custody" {
            h2 { "6. Custody timeline" }
            table {
                tr { th { "#" } th { "Time (UTC)" } th { "Officer" } th { "Action" } th { "Exhibit" } th { "What" } }
                @for e in &d.timeline {
                    tr {
                        td { (e.seq) } td { (e.time) } td { (e.officer) } td { (e.action) }
                        td { (e.exhibit.as_deref().unwrap_or("-")) }
                        td { (e.summary) @if !e.valid { " " span.failed { "(this event does not hold: see verification)" } } }
                    }
                }
            }
        }
    }
}
