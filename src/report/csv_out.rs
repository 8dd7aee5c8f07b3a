//! `exhibits.csv`: one row per exhibit (number, URL, final URL, captured
//! at, status, withdrawn, HTTP status, server IP, manifest SHA-256, check,
//! files with their SHA-256).

use super::model::ReportData;

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or
/// carriage return first) gets a leading apostrophe, the convention
/// spreadsheets hide; nothing else is changed.
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

pub(super) fn render(d: &ReportData) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "number",
        "url",
        "final_url",
        "captured_at_utc",
        "status",
        "withdrawn",
        "http_status",
        "server_ip",
        "manifest_sha256",
        "check",
        "files",
    ])
    .expect("writing to memory");
    for x in &d.exhibits {
        let r = &x.record;
        let files = x
            .files
            .iter()
            .map(|f| format!("{} {}", f.path, f.sha256))
            .collect::<Vec<_>>()
            .join("; ");
        w.write_record([
            cell(&r.number),
            cell(&r.url),
            cell(r.final_url.as_deref().unwrap_or("")),
            cell(&r.captured_at),
            cell(&r.status),
            r.withdrawn
                .as_ref()
                .map(|w| cell(&format!("withdrawn in event {}: {}", w.seq, w.reason)))
                .unwrap_or_default(),
            r.http_status.map(|h| h.to_string()).unwrap_or_default(),
            cell(x.server_ip.as_deref().unwrap_or("")),
            r.manifest_sha256.clone().unwrap_or_default(),
            cell(&x.check),
            cell(&files),
        ])
        .expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}
