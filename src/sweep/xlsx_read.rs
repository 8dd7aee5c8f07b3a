//! Excel workbooks (`.xlsx`): every sheet, each with its first non-empty
//! row as header, read row by row with calamine. A workbook whose sheets
//! and shared text unpack to more than [`MAX_XLSX_XML`] bytes is refused
//! (its text would be held in memory); save it as CSV instead.

use super::input::{InputError, Sink};
use super::row::{Columns, RowBuilder};
use calamine::{DataRef, Reader, Xlsx};
use std::io::{BufReader, Read, Seek};
use std::path::Path;

/// Most bytes the sheets and shared strings of a workbook may unpack to.
pub(crate) const MAX_XLSX_XML: u64 = 64 << 20;

/// What reading a workbook found.
#[derive(Debug, Default)]
pub(crate) struct XlsxStats {
    pub(crate) rows: u64,
    pub(crate) sheets: Vec<String>,
    /// Sheets that lack a column the officer named, in words.
    pub(crate) lacking: Vec<String>,
    /// Sheets with a header row.
    pub(crate) with_header: usize,
}

fn bad(path: &Path, why: String) -> InputError {
    InputError::Unreadable {
        path: path.to_path_buf(),
        why,
    }
}

/// Checks the workbook's size and whether its dates count from 1904.
fn inspect(path: &Path) -> Result<bool, InputError> {
    let file = std::fs::File::open(path).map_err(|source| InputError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| {
        bad(
            path,
            format!("not an Excel .xlsx workbook (not a zip file: {e})"),
        )
    })?;
    let mut total = 0u64;
    let mut date1904 = false;
    for i in 0..zip.len() {
        let Ok(mut f) = zip.by_index(i) else { continue };
        let name = f.name().to_string();
        if name.starts_with("xl/worksheets/") || name == "xl/sharedStrings.xml" {
            total += f.size();
        }
        if name == "xl/workbook.xml" {
            let mut head = Vec::new();
            let _ = (&mut f).take(1 << 20).read_to_end(&mut head);
            let text = String::from_utf8_lossy(&head);
            date1904 = text.contains("date1904=\"1\"") || text.contains("date1904=\"true\"");
        }
    }
    if total > MAX_XLSX_XML {
        return Err(bad(
            path,
            format!(
                "its sheets unpack to {} MiB, more than the {} MiB warden reads from a workbook; save it as \"CSV UTF-8\" in Excel and sweep the CSV",
                total >> 20,
                MAX_XLSX_XML >> 20
            ),
        ));
    }
    Ok(date1904)
}

/// A cell as text; dates as ISO 8601 (UTC-less, as Excel stores them).
fn cell_text(v: &DataRef<'_>, date1904: bool) -> Option<(String, bool)> {
    Some(match v {
        DataRef::Empty => return None,
        DataRef::String(s) => (s.clone(), true),
        DataRef::SharedString(s) => (s.to_string(), true),
        DataRef::Int(i) => (i.to_string(), false),
        DataRef::Float(f) => (
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                f.to_string()
            },
            false,
        ),
        DataRef::Bool(b) => (b.to_string(), false),
        DataRef::DateTime(d) if d.is_datetime() => {
            let base = if date1904 {
                chrono::NaiveDate::from_ymd_opt(1904, 1, 1)
            } else {
                chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
            };
            let secs = (d.as_f64() * 86_400.0).round();
            match base.and_then(|b| b.and_hms_opt(0, 0, 0)).and_then(|b| {
                (secs.is_finite() && secs.abs() < 1e12)
                    .then(|| b + chrono::Duration::seconds(secs as i64))
            }) {
                Some(t) if t.time() == chrono::NaiveTime::MIN => {
                    (t.date().format("%Y-%m-%d").to_string(), false)
                }
                Some(t) => (t.format("%Y-%m-%d %H:%M:%S").to_string(), false),
                None => (d.as_f64().to_string(), false),
            }
        }
        DataRef::DateTime(d) => (d.as_f64().to_string(), false),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => (s.clone(), false),
        DataRef::Error(e) => (e.to_string(), false),
    })
}

/// Column letters of 0-based column `c` (A, B, …, AA).
fn column_name(mut c: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// Reads every sheet of the workbook at `path`.
pub(crate) fn read(
    path: &Path,
    shown: &str,
    cols: &Columns,
    sink: &mut dyn Sink,
) -> Result<XlsxStats, InputError> {
    let date1904 = inspect(path)?;
    let file = std::fs::File::open(path).map_err(|source| InputError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut book: Xlsx<_> = Xlsx::new(BufReader::new(file))
        .map_err(|e| bad(path, format!("not a readable .xlsx workbook ({e})")))?;
    let mut stats = XlsxStats::default();
    for sheet in book.sheet_names() {
        read_sheet(
            &mut book, path, shown, &sheet, cols, date1904, sink, &mut stats,
        )?;
        stats.sheets.push(sheet);
    }
    Ok(stats)
}

#[allow(clippy::too_many_arguments)]
fn read_sheet<RS: Read + Seek>(
    book: &mut Xlsx<RS>,
    path: &Path,
    shown: &str,
    sheet: &str,
    cols: &Columns,
    date1904: bool,
    sink: &mut dyn Sink,
    stats: &mut XlsxStats,
) -> Result<(), InputError> {
    let mut cells = book
        .worksheet_cells_reader(sheet)
        .map_err(|e| bad(path, format!("sheet {sheet:?} cannot be read ({e})")))?;
    // Header: (column, name) of the first row with a value.
    let mut header: Option<Vec<(u32, String)>> = None;
    let mut roles = Vec::new();
    let mut row: Vec<(u32, String, bool)> = Vec::new();
    let mut row_no: Option<u32> = None;
    let mut flush = |row_no: u32,
                     row: &mut Vec<(u32, String, bool)>,
                     header: &mut Option<Vec<(u32, String)>>,
                     roles: &mut Vec<super::row::Role>,
                     stats: &mut XlsxStats| {
        if row.is_empty() {
            return;
        }
        let Some(h) = header.as_ref() else {
            let names: Vec<(u32, String)> = row
                .drain(..)
                .map(|(c, s, _)| {
                    let s = s.trim().to_string();
                    (c, if s.is_empty() { column_name(c) } else { s })
                })
                .collect();
            let plain: Vec<String> = names.iter().map(|(_, n)| n.clone()).collect();
            if let Some(m) = cols.missing(&plain) {
                stats.lacking.push(format!(
                    "sheet {sheet:?} has no column for {m} (its columns: {})",
                    plain.join(", ")
                ));
            }
            stats.with_header += 1;
            *roles = cols.roles(&plain);
            *header = Some(names);
            return;
        };
        let mut b = RowBuilder::new(cols);
        for (c, value, textual) in row.drain(..) {
            let (name, role) = match h.iter().position(|(hc, _)| *hc == c) {
                Some(i) => (h[i].1.clone(), roles[i]),
                None => (column_name(c), super::row::Role::Field),
            };
            let searched = textual && cols.searched(&name);
            b.add_as(role, &name, value, searched, 0);
        }
        if !b.is_empty() {
            stats.rows += 1;
            sink.listing(b.finish(shown, Some(u64::from(row_no) + 1), Some(sheet)));
        }
    };
    loop {
        let cell = cells
            .next_cell()
            .map_err(|e| bad(path, format!("sheet {sheet:?} cannot be read ({e})")))?;
        let Some(cell) = cell else { break };
        let (r, c) = cell.get_position();
        if row_no != Some(r) {
            if let Some(prev) = row_no {
                flush(prev, &mut row, &mut header, &mut roles, stats);
            }
            row_no = Some(r);
        }
        if let Some((text, textual)) = cell_text(cell.get_value(), date1904) {
            row.push((c, text, textual));
        }
    }
    if let Some(prev) = row_no {
        flush(prev, &mut row, &mut header, &mut roles, stats);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn column_names() {
        assert_eq!(super::column_name(0), "A");
        assert_eq!(super::column_name(25), "Z");
        assert_eq!(super::column_name(26), "AA");
        assert_eq!(super::column_name(27), "AB");
    }
}
