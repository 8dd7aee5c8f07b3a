//! Writing sweep results: JSON Lines, CSV for Excel and LibreOffice (UTF-8
//! with a byte order mark, cells that would start a formula made inert),
//! or an Excel workbook; sorted by score or kept in input order.
//!
//! Sorting holds only the listings that matched, serialised, in 101
//! buckets, one per score: a stable bucket sort in one pass. When they
//! exceed [`SPILL_AT`] bytes, the buckets go on to temporary files in the
//! folder the caller names (next to the output), so memory stays bounded
//! however many listings match. JSON Lines in input order are written as
//! they come.

use super::Record;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, Write};
use std::path::PathBuf;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
    Xlsx,
}

/// Order of the results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Highest score first; equal scores in input order.
    #[default]
    Score,
    /// As the listings were read.
    Input,
}

/// How results are written.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    pub format: Format,
    pub sort: Sort,
    /// Start CSV output with a UTF-8 byte order mark (Excel then reads it
    /// as UTF-8).
    pub bom: bool,
    /// Where results past [`SPILL_AT`] bytes are held while sorting (and
    /// where an Excel workbook is assembled); `None`: in memory.
    pub spill_dir: Option<PathBuf>,
}

impl Default for OutputOptions {
    fn default() -> Self {
        OutputOptions {
            format: Format::Jsonl,
            sort: Sort::Score,
            bom: true,
            spill_dir: None,
        }
    }
}

/// Bytes of serialised results held in memory before they go to
/// temporary files.
pub const SPILL_AT: usize = 32 << 20;
/// Listing fields given a column of their own in CSV and Excel output
/// (every field is in the JSON output).
pub const MAX_FIELD_COLUMNS: usize = 100;
/// Longest cell written to CSV or Excel (Excel holds at most 32,767
/// characters in a cell).
const MAX_CELL: usize = 32_000;
/// Excel's last row.
const XLSX_MAX_ROWS: u64 = 1_048_575;

const FIXED_FRONT: &[&str] = &[
    "id", "url", "score", "flagged", "taxa", "appendix", "reasons",
];
const FIXED_BACK: &[&str] = &["matches", "path", "line", "sheet", "cut"];

/// Size of the pieces held results are kept in. Below glibc's default
/// mmap threshold (128 KiB), so pieces come from the heap and freed ones
/// are reused whole: buffers that grow by doubling and are freed at each
/// spill raise glibc's threshold and fragment the heap, and peak memory
/// then grew with the input (120, 153 and 164 MiB on 256 MiB, 1 GiB and
/// 2 GiB; 113–114 MiB on all three with pieces: docs/performance.md).
const PIECE: usize = 64 << 10;

/// Results of one score, serialised, one per line: in memory, in pieces of
/// [`PIECE`] bytes (a longer line gets a piece of its own; no line is split
/// between pieces), and in a temporary file once they have spilled.
#[derive(Default)]
struct Bucket {
    pieces: Vec<Vec<u8>>,
    file: Option<File>,
}

impl Bucket {
    /// Adds `line` (ending in a line feed).
    fn push(&mut self, line: &[u8]) {
        match self.pieces.last_mut() {
            Some(p) if p.capacity() - p.len() >= line.len() => p.extend_from_slice(line),
            _ => {
                let mut p = Vec::with_capacity(PIECE.max(line.len()));
                p.extend_from_slice(line);
                self.pieces.push(p);
            }
        }
    }
}

pub(crate) struct Writer<'a> {
    out: &'a mut dyn Write,
    opts: OutputOptions,
    buckets: Vec<Bucket>,
    held: usize,
    /// Bytes held before spilling ([`SPILL_AT`]; less in tests).
    spill_at: usize,
    /// The result being serialised (kept to be reused).
    line: Vec<u8>,
    /// Listing field names given a column, in order of first appearance.
    columns: Vec<String>,
    /// Field names past [`MAX_FIELD_COLUMNS`].
    columns_dropped: std::collections::BTreeSet<String>,
    count: u64,
}

fn to_io(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

impl<'a> Writer<'a> {
    pub(crate) fn new(out: &'a mut dyn Write, opts: OutputOptions) -> Self {
        let n = match opts.sort {
            Sort::Score => 101,
            Sort::Input => 1,
        };
        Writer {
            out,
            opts,
            buckets: (0..n).map(|_| Bucket::default()).collect(),
            held: 0,
            spill_at: SPILL_AT,
            line: Vec::new(),
            columns: Vec::new(),
            columns_dropped: Default::default(),
            count: 0,
        }
    }

    fn streaming(&self) -> bool {
        self.opts.format == Format::Jsonl && self.opts.sort == Sort::Input
    }

    pub(crate) fn add(&mut self, r: &Record) -> io::Result<()> {
        self.count += 1;
        if self.opts.format == Format::Xlsx && self.count > XLSX_MAX_ROWS {
            return Err(to_io(format!(
                "more than {XLSX_MAX_ROWS} results do not fit in an Excel sheet; use --format csv or jsonl"
            )));
        }
        if self.streaming() {
            serde_json::to_writer(&mut *self.out, r)?;
            return self.out.write_all(b"\n");
        }
        for name in r.fields.keys() {
            if !self.columns.iter().any(|c| c == name) {
                if self.columns.len() < MAX_FIELD_COLUMNS {
                    self.columns.push(name.clone());
                } else {
                    self.columns_dropped.insert(name.clone());
                }
            }
        }
        let i = match self.opts.sort {
            Sort::Score => 100 - r.scored.score.min(100) as usize,
            Sort::Input => 0,
        };
        self.line.clear();
        serde_json::to_writer(&mut self.line, r)?;
        self.line.push(b'\n');
        self.buckets[i].push(&self.line);
        self.held += self.line.len();
        if self.held > self.spill_at
            && let Some(dir) = &self.opts.spill_dir
        {
            for b in &mut self.buckets {
                if b.pieces.is_empty() {
                    continue;
                }
                if b.file.is_none() {
                    b.file = Some(tempfile::tempfile_in(dir)?);
                }
                let f = b.file.as_mut().expect("just set");
                for p in b.pieces.drain(..) {
                    f.write_all(&p)?;
                }
            }
            self.held = 0;
        }
        Ok(())
    }

    /// Notes for the officer about the output (fields without a column).
    pub(crate) fn notes(&self) -> Vec<String> {
        if self.columns_dropped.is_empty() || self.opts.format == Format::Jsonl {
            return Vec::new();
        }
        vec![format!(
            "{} listing fields have no column of their own (only the first {MAX_FIELD_COLUMNS} field names do); the JSON Lines output has them all",
            self.columns_dropped.len()
        )]
    }

    /// Each held result line, best first.
    fn for_each_line(
        buckets: &mut [Bucket],
        f: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        for b in buckets {
            if let Some(file) = b.file.as_mut() {
                file.rewind()?;
                let mut r = BufReader::new(&*file);
                let mut line = Vec::new();
                loop {
                    line.clear();
                    if r.read_until(b'\n', &mut line)? == 0 {
                        break;
                    }
                    f(&line)?;
                }
            }
            for p in b.pieces.drain(..) {
                for line in p.split_inclusive(|&c| c == b'\n') {
                    f(line)?;
                }
            }
        }
        Ok(())
    }

    pub(crate) fn finish(mut self) -> io::Result<Vec<String>> {
        let notes = self.notes();
        if self.streaming() {
            self.out.flush()?;
            return Ok(notes);
        }
        let header: Vec<String> = FIXED_FRONT
            .iter()
            .map(|s| s.to_string())
            .chain(self.columns.iter().map(|c| {
                if FIXED_FRONT.contains(&c.as_str()) || FIXED_BACK.contains(&c.as_str()) {
                    format!("{c} (listing)")
                } else {
                    c.clone()
                }
            }))
            .chain(FIXED_BACK.iter().map(|s| s.to_string()))
            .collect();
        let columns = std::mem::take(&mut self.columns);
        let mut buckets = std::mem::take(&mut self.buckets);
        match self.opts.format {
            Format::Jsonl => {
                let out = &mut *self.out;
                Self::for_each_line(&mut buckets, &mut |l| out.write_all(l))?;
            }
            Format::Csv => {
                if self.opts.bom {
                    self.out.write_all("\u{feff}".as_bytes())?;
                }
                let mut w = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::CRLF)
                    .from_writer(&mut *self.out);
                w.write_record(&header)?;
                Self::for_each_line(&mut buckets, &mut |l| {
                    let r: Record = serde_json::from_slice(l).map_err(to_io)?;
                    let row: Vec<String> = cells(&r, &columns)
                        .into_iter()
                        .map(|c| inert(&c.text()))
                        .collect();
                    w.write_record(&row).map_err(to_io)
                })?;
                w.flush()?;
            }
            Format::Xlsx => {
                let spill = self.opts.spill_dir.clone();
                write_xlsx(&mut *self.out, spill, &header, &columns, &mut buckets)?;
            }
        }
        self.out.flush()?;
        Ok(notes)
    }
}

/// A cell: text, or a number or boolean for Excel.
enum Cell {
    Text(String),
    Number(f64),
    Bool(bool),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => n.to_string(),
            Cell::Bool(b) => b.to_string(),
        }
    }
}

/// Text cut to what a spreadsheet cell holds.
fn bounded(s: String) -> String {
    if s.len() <= MAX_CELL {
        return s;
    }
    format!(
        "{} [cut at {MAX_CELL} bytes: the JSON Lines output has it whole]",
        super::row::cut(&s, MAX_CELL)
    )
}

/// A CSV cell that a spreadsheet would take for a formula (=, +, -, @,
/// TAB, CR first) gets a leading apostrophe, so it is shown as the text
/// it is and never run. The JSON Lines output keeps values unchanged.
fn inert(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// The row of cells of a result.
fn cells(r: &Record, columns: &[String]) -> Vec<Cell> {
    let s = &r.scored;
    let mut row = vec![
        Cell::Text(r.id.clone().unwrap_or_default()),
        Cell::Text(r.url.clone().unwrap_or_default()),
        Cell::Number(f64::from(s.score)),
        Cell::Bool(s.flagged),
        Cell::Text(
            s.taxa
                .iter()
                .map(|t| t.scientific_name.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Cell::Text(
            s.taxa
                .iter()
                .map(|t| t.appendix.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Cell::Text(bounded(
            s.reasons
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" | "),
        )),
    ];
    for c in columns {
        row.push(Cell::Text(
            r.fields
                .get(c)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string(),
        ));
    }
    row.push(Cell::Text(bounded(
        s.matches
            .iter()
            .map(|m| format!("{} [{}] @{}-{}", m.term, m.kind, m.start, m.end))
            .collect::<Vec<_>>()
            .join("; "),
    )));
    row.push(Cell::Text(r.source.path.clone()));
    row.push(match r.source.line {
        Some(l) => Cell::Number(l as f64),
        None => Cell::Text(String::new()),
    });
    row.push(Cell::Text(r.source.sheet.clone().unwrap_or_default()));
    row.push(Cell::Text(r.limits_text()));
    row
}

fn write_xlsx(
    out: &mut dyn Write,
    spill: Option<PathBuf>,
    header: &[String],
    columns: &[String],
    buckets: &mut [Bucket],
) -> io::Result<()> {
    use rust_xlsxwriter::{Format as XFormat, Workbook};
    let mut wb = Workbook::new();
    let bold = XFormat::new().set_bold();
    let ws = match &spill {
        Some(dir) => {
            wb.set_tempdir(dir).map_err(to_io)?;
            wb.add_worksheet_with_constant_memory().map_err(to_io)?
        }
        None => wb.add_worksheet(),
    };
    ws.set_name("sweep results").map_err(to_io)?;
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)
            .map_err(to_io)?;
    }
    let mut row = 0u32;
    Writer::for_each_line(buckets, &mut |l| {
        let r: Record = serde_json::from_slice(l).map_err(to_io)?;
        row += 1;
        for (c, cell) in cells(&r, columns).into_iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) if s.is_empty() => {}
                Cell::Text(s) => {
                    ws.write_string(row, c, bounded(s)).map_err(to_io)?;
                }
                Cell::Number(n) => {
                    ws.write_number(row, c, n).map_err(to_io)?;
                }
                Cell::Bool(b) => {
                    ws.write_boolean(row, c, b).map_err(to_io)?;
                }
            }
        }
        Ok(())
    })?;
    ws.set_freeze_panes(1, 0).map_err(to_io)?;
    ws.autofilter(0, 0, row, (header.len() - 1) as u16)
        .map_err(to_io)?;
    match spill {
        Some(dir) => {
            let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
            wb.save(tmp.path()).map_err(to_io)?;
            let f = tmp.as_file_mut();
            f.rewind()?;
            io::copy(f, out)?;
        }
        None => {
            let mut buf = Vec::new();
            wb.save_to_writer(&mut buf).map_err(to_io)?;
            out.write_all(&buf)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A result of score `score` whose description is `len` bytes long.
    fn record(i: usize, score: u32, len: usize) -> Record {
        serde_json::from_value(serde_json::json!({
            "id": format!("r{i}"),
            "url": null,
            "source": {"path": "listings.jsonl", "line": i},
            "fields": {"description": "x".repeat(len)},
            "score": score,
            "flagged": score >= 45,
            "taxa": [],
            "matches": [],
            "reasons": [],
        }))
        .expect("a valid record")
    }

    #[test]
    fn results_spilled_to_files_and_held_in_pieces_come_out_best_first_in_input_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut out = Vec::new();
        let mut w = Writer::new(
            &mut out,
            OutputOptions {
                spill_dir: Some(dir.path().to_path_buf()),
                ..OutputOptions::default()
            },
        );
        // Five scores, about 29 MB in all, spilled every 2 MB or so: each
        // bucket ends partly on file and partly in several pieces in
        // memory; every seventh result is longer than a piece.
        w.spill_at = 2_000_000;
        let mut expected = Vec::new();
        for i in 0..3000 {
            let score = [0, 100, 45, 44, 7][(i * 37) % 5];
            let len = if i % 7 == 0 { PIECE + 10 } else { 50 + i % 300 };
            w.add(&record(i, score, len)).unwrap();
            expected.push((score, i));
        }
        // Highest score first; equal scores in input order (a stable sort).
        expected.sort_by_key(|&(score, _)| std::cmp::Reverse(score));
        w.finish().unwrap();
        let got: Vec<(u32, usize)> = out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| {
                let v: serde_json::Value = serde_json::from_slice(l).unwrap();
                let id = v["id"].as_str().unwrap();
                (
                    v["score"].as_u64().unwrap() as u32,
                    id[1..].parse().unwrap(),
                )
            })
            .collect();
        assert_eq!(got.len(), expected.len());
        assert!(got == expected, "results out of order");
    }

    #[test]
    fn formula_cells_are_made_inert() {
        assert_eq!(super::inert("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(super::inert("-5"), "'-5");
        assert_eq!(super::inert("(+20) sale"), "(+20) sale");
        assert_eq!(super::inert("象牙"), "象牙");
    }
}
