//! CSV and TSV as spreadsheets and marketplaces export them: the delimiter
//! is sniffed (`,` `;` TAB `|`, or Excel's `sep=` first line), line breaks
//! may be LF, CRLF or CR, quoted fields may span lines, and every row that
//! cannot be read is reported with its line. A quote that is never closed
//! is reported on the line where it opened, and reading resumes on the
//! next line instead of swallowing the rest of the file. Memory is bounded:
//! a field keeps at most [`MAX_LISTING_TEXT`] bytes, a row at most
//! [`MAX_COLUMNS`] fields.

use super::input::{Sink, Skipped};
use super::row::{Columns, MAX_LISTING_TEXT, RowBuilder};
use std::io::{self, BufRead};

/// Most fields of one row.
pub(crate) const MAX_COLUMNS: usize = 1000;
/// Most times one file is opened again to resume after a broken row.
const MAX_RESTARTS: u32 = 100;

/// The delimiter chosen and why.
#[derive(Debug, Clone)]
pub(crate) struct Delimiter {
    pub(crate) byte: u8,
    pub(crate) why: String,
    /// Lines to skip before the header (Excel's `sep=;` line).
    pub(crate) skip_lines: u64,
}

pub(crate) fn delimiter_name(b: u8) -> String {
    match b {
        b'\t' => "TAB".into(),
        b => format!("'{}'", b as char),
    }
}

/// Chooses the delimiter from the first decoded text of the file.
pub(crate) fn sniff(sample: &[u8], tsv: bool) -> Delimiter {
    let first_line = sample.split(|&b| b == b'\n').next().unwrap_or(b"");
    let first_line = first_line.strip_suffix(b"\r").unwrap_or(first_line);
    if let Some(rest) = first_line.strip_prefix(b"sep=")
        && rest.len() == 1
    {
        return Delimiter {
            byte: rest[0],
            why: "named by the file's first line, sep=".into(),
            skip_lines: 1,
        };
    }
    if tsv {
        return Delimiter {
            byte: b'\t',
            why: "the file name ends in .tsv".into(),
            skip_lines: 0,
        };
    }
    // For each candidate: fields per row over the first rows (quotes
    // respected); the best gives the header several fields and most rows
    // the same number.
    let mut best: Option<(usize, usize, u8)> = None;
    let mut best_rows = 0;
    for d in [b',', b';', b'\t', b'|'] {
        let counts = field_counts(sample, d, 50);
        let Some(&header) = counts.first() else {
            continue;
        };
        if header < 2 {
            continue;
        }
        let same = counts.iter().filter(|&&c| c == header).count();
        let key = (same, header, d);
        if best.is_none_or(|b| (key.0, key.1) > (b.0, b.1)) {
            best = Some(key);
            best_rows = counts.len();
        }
    }
    match best {
        Some((same, header, d)) => Delimiter {
            byte: d,
            why: format!(
                "sniffed: split there, {same} of the first {best_rows} rows have the header's {header} fields"
            ),
            skip_lines: 0,
        },
        None => Delimiter {
            byte: b',',
            why: "sniffed: no delimiter gives the first row two fields, so each row is one field"
                .into(),
            skip_lines: 0,
        },
    }
}

/// Fields per row of the first `rows` complete rows of `sample`.
fn field_counts(sample: &[u8], d: u8, rows: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let (mut fields, mut quoted, mut empty_line) = (1, false, true);
    for &b in sample {
        if quoted {
            if b == b'"' {
                quoted = false;
            }
            continue;
        }
        match b {
            b'"' => quoted = true,
            b'\n' | b'\r' => {
                if !empty_line {
                    out.push(fields);
                    if out.len() >= rows {
                        break;
                    }
                }
                fields = 1;
                empty_line = true;
                continue;
            }
            _ if b == d => fields += 1,
            _ => {}
        }
        empty_line = false;
    }
    out
}

/// One field as read: at most its first bytes, and how many were left out.
#[derive(Default)]
struct Field {
    bytes: Vec<u8>,
    dropped: u64,
}

enum Parsed {
    Row {
        fields: Vec<Field>,
        /// Fields past [`MAX_COLUMNS`], not kept.
        extra: u64,
        start: u64,
        /// Offset of the row's first byte in the (decoded) input.
        start_pos: u64,
        end: u64,
        /// Characters after a closing quote (`"abc"def`).
        junk: bool,
    },
    /// End of input inside a quoted field opened on line `start`.
    Unterminated {
        start: u64,
        start_pos: u64,
    },
    Eof,
}

/// A streaming CSV parser over UTF-8 (or UTF-8-compatible) bytes.
struct Parser<'r> {
    r: &'r mut dyn BufRead,
    d: u8,
    /// Current physical line (1-based).
    line: u64,
    prev_cr: bool,
    /// Bytes consumed.
    pos: u64,
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Start,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// Counts line breaks: LF, CR, and CRLF as one.
fn count(line: &mut u64, prev_cr: &mut bool, b: u8) {
    if b == b'\n' {
        if !*prev_cr {
            *line += 1;
        }
    } else if b == b'\r' {
        *line += 1;
    }
    *prev_cr = b == b'\r';
}

impl Parser<'_> {
    /// Skips `n` physical lines.
    fn skip_lines(&mut self, n: u64) -> io::Result<()> {
        let target = self.line + n;
        let Parser {
            r,
            line,
            prev_cr,
            pos,
            ..
        } = self;
        while *line < target {
            let buf = r.fill_buf()?;
            if buf.is_empty() {
                return Ok(());
            }
            let mut used = 0;
            for &b in buf {
                used += 1;
                count(line, prev_cr, b);
                if *line >= target {
                    break;
                }
            }
            r.consume(used);
            *pos += used as u64;
        }
        Ok(())
    }

    fn next(&mut self) -> io::Result<Parsed> {
        let mut fields: Vec<Field> = Vec::new();
        let mut cur = Field::default();
        let mut kept = 0usize;
        let mut extra = 0u64;
        let mut state = State::Start;
        let mut start = self.line;
        let mut in_row = false;
        let mut junk = false;
        let mut start_pos = self.pos;
        let Parser {
            r,
            d,
            line: cur_line,
            prev_cr,
            pos,
        } = self;
        let d = *d;
        loop {
            let buf = r.fill_buf()?;
            if buf.is_empty() {
                return Ok(match state {
                    State::Quoted => Parsed::Unterminated { start, start_pos },
                    _ if !in_row => Parsed::Eof,
                    _ => {
                        push_field(&mut fields, cur, &mut extra);
                        Parsed::Row {
                            fields,
                            extra,
                            start,
                            start_pos,
                            end: *cur_line,
                            junk,
                        }
                    }
                });
            }
            let mut used = 0;
            let mut end = None;
            for &b in buf {
                used += 1;
                let line = *cur_line;
                count(cur_line, prev_cr, b);
                if !in_row {
                    // A blank line, or the LF of a CRLF that ended the
                    // previous row: not a row.
                    if b == b'\n' || b == b'\r' {
                        continue;
                    }
                    in_row = true;
                    start = line;
                    start_pos = *pos + used as u64 - 1;
                }
                match state {
                    State::Quoted => {
                        if b == b'"' {
                            state = State::QuoteInQuoted;
                        } else {
                            keep(&mut cur, &mut kept, b);
                        }
                        continue;
                    }
                    State::QuoteInQuoted => {
                        if b == b'"' {
                            keep(&mut cur, &mut kept, b'"');
                            state = State::Quoted;
                            continue;
                        }
                        if b != d && b != b'\n' && b != b'\r' {
                            junk = true;
                        }
                        state = State::Unquoted;
                    }
                    State::Start if b == b'"' => {
                        state = State::Quoted;
                        continue;
                    }
                    _ => {}
                }
                if b == d {
                    push_field(&mut fields, std::mem::take(&mut cur), &mut extra);
                    state = State::Start;
                } else if b == b'\n' || b == b'\r' {
                    end = Some(line);
                    break;
                } else {
                    keep(&mut cur, &mut kept, b);
                    state = State::Unquoted;
                }
            }
            r.consume(used);
            *pos += used as u64;
            if let Some(end) = end {
                push_field(&mut fields, cur, &mut extra);
                return Ok(Parsed::Row {
                    fields,
                    extra,
                    start,
                    start_pos,
                    end,
                    junk,
                });
            }
        }
    }
}

fn keep(f: &mut Field, kept: &mut usize, b: u8) {
    if *kept < MAX_LISTING_TEXT {
        f.bytes.push(b);
        *kept += 1;
    } else {
        f.dropped += 1;
    }
}

fn push_field(fields: &mut Vec<Field>, f: Field, extra: &mut u64) {
    if fields.len() < MAX_COLUMNS {
        fields.push(f);
    } else {
        *extra += 1;
    }
}

/// A field's bytes as text; a character cut at the end of a field that was
/// cut short is dropped. `Err` when the bytes are not UTF-8.
fn text_of(f: Field) -> Result<(String, u64), ()> {
    match String::from_utf8(f.bytes) {
        Ok(s) => Ok((s, f.dropped)),
        Err(e) => {
            let ue = e.utf8_error();
            if f.dropped > 0 && ue.error_len().is_none() {
                let good = ue.valid_up_to();
                let mut b = e.into_bytes();
                let lost = (b.len() - good) as u64;
                b.truncate(good);
                Ok((String::from_utf8(b).map_err(|_| ())?, f.dropped + lost))
            } else {
                Err(())
            }
        }
    }
}

/// How a CSV input is read.
pub(crate) struct CsvConfig<'a> {
    pub(crate) shown: &'a str,
    pub(crate) delimiter: &'a Delimiter,
    pub(crate) cols: &'a Columns,
    /// Bytes are UTF-8 as read (not decoded), so rows holding invalid bytes
    /// are reported.
    pub(crate) check_utf8: bool,
}

/// What reading a CSV input found.
#[derive(Debug, Default)]
pub(crate) struct CsvStats {
    pub(crate) rows: u64,
    pub(crate) skipped: u64,
    /// Names of the columns that the officer named and the file lacks.
    pub(crate) missing: Option<String>,
    /// Things to say about how the file was read.
    pub(crate) notes: Vec<String>,
}

/// Reads rows from `first` (the input as UTF-8); `reopen(offset)` gives the
/// same input again from that offset, to resume on the line after a broken
/// row (none for standard input: the lines the broken row took are then
/// reported).
pub(crate) fn read(
    first: &mut dyn BufRead,
    reopen: Option<&dyn Fn(u64) -> io::Result<Box<dyn BufRead>>>,
    cfg: &CsvConfig<'_>,
    sink: &mut dyn Sink,
) -> io::Result<CsvStats> {
    let mut stats = CsvStats::default();
    let shown = cfg.shown;
    let skip = |sink: &mut dyn Sink, stats: &mut CsvStats, line: u64, reason: String| {
        stats.skipped += 1;
        sink.skipped(Skipped {
            path: shown.to_string(),
            line: Some(line),
            reason,
        });
    };
    let mut p = Parser {
        r: first,
        d: cfg.delimiter.byte,
        line: 1,
        prev_cr: false,
        pos: 0,
    };
    p.skip_lines(cfg.delimiter.skip_lines)?;
    let header = match p.next()? {
        Parsed::Eof => return Ok(stats),
        Parsed::Unterminated { start, .. } => {
            skip(
                sink,
                &mut stats,
                start,
                "the header row opens a quoted field that is never closed; nothing of the file could be read".into(),
            );
            return Ok(stats);
        }
        Parsed::Row { fields, .. } => fields,
    };
    let mut names = Vec::with_capacity(header.len());
    for f in header {
        let (s, _) = text_of(f).unwrap_or_else(|_| (String::new(), 0));
        names.push(s.trim().to_string());
    }
    for (i, n) in names.iter_mut().enumerate() {
        if n.is_empty() {
            *n = format!("column {}", i + 1);
        }
    }
    if let Some(m) = cfg.cols.missing(&names) {
        stats.missing = Some(format!(
            "{shown}: no column for {m} (its columns: {})",
            names.join(", ")
        ));
        return Ok(stats);
    }
    let absent = cfg.cols.absent_fields(&names);
    if !absent.is_empty() {
        stats.notes.push(format!(
            "no column for --fields {} (searched: the others named)",
            absent.join(",")
        ));
    }
    let roles = cfg.cols.roles(&names);
    let searched: Vec<bool> = names.iter().map(|n| cfg.cols.searched(n)).collect();
    let width = names.len();

    let mut reopened: Option<Box<dyn BufRead>> = None;
    let mut restarts = 0u32;
    loop {
        let parsed = match reopened.as_mut() {
            Some(r) => {
                let mut q = Parser {
                    r: r.as_mut(),
                    d: p.d,
                    line: p.line,
                    prev_cr: p.prev_cr,
                    pos: p.pos,
                };
                let res = q.next()?;
                p.line = q.line;
                p.prev_cr = q.prev_cr;
                p.pos = q.pos;
                res
            }
            None => p.next()?,
        };
        // Where a broken row began (line, offset), to read again from the
        // next line.
        let (resume_after, resume_pos) = match parsed {
            Parsed::Eof => break,
            Parsed::Unterminated { start, start_pos } => {
                skip(
                    sink,
                    &mut stats,
                    start,
                    "a quoted field opens on this line and is never closed (a missing or extra \" ); the row is not read".into(),
                );
                (start, start_pos)
            }
            Parsed::Row {
                fields,
                extra,
                start,
                start_pos,
                end,
                junk,
            } => {
                let n = fields.len() as u64 + extra;
                if junk && end > start {
                    skip(
                        sink,
                        &mut stats,
                        start,
                        format!(
                            "a quoted field opens on this line and closes only on line {end}, in the middle of a value: a quote is probably missing or extra; the row is not read"
                        ),
                    );
                    (start, start_pos)
                } else if n != width as u64 {
                    if fields.len() == 1 && fields[0].bytes.iter().all(u8::is_ascii_whitespace) {
                        continue; // a line of spaces
                    }
                    let reason = if end > start {
                        format!(
                            "this row has {n} fields where the header has {width}, and runs to line {end}: a quote on this line probably opens a field that swallows the lines after it; the row is not read"
                        )
                    } else {
                        format!(
                            "this row has {n} fields where the header has {width} (is a field with a {} in it missing its quotes?); the row is not read",
                            delimiter_name(cfg.delimiter.byte)
                        )
                    };
                    skip(sink, &mut stats, start, reason);
                    if end > start {
                        (start, start_pos)
                    } else {
                        continue;
                    }
                } else {
                    let mut b = RowBuilder::new(cfg.cols);
                    let mut bad = false;
                    for (i, f) in fields.into_iter().enumerate() {
                        let (s, dropped) = if cfg.check_utf8 {
                            match text_of(f) {
                                Ok(x) => x,
                                Err(()) => {
                                    bad = true;
                                    break;
                                }
                            }
                        } else {
                            let d = f.dropped;
                            (String::from_utf8_lossy(&f.bytes).into_owned(), d)
                        };
                        b.add_as(roles[i], &names[i], s, searched[i], dropped);
                    }
                    if bad {
                        skip(
                            sink,
                            &mut stats,
                            start,
                            "not valid UTF-8 (if the file is in another encoding, name it with --encoding, e.g. --encoding windows-1252); the row is not read".into(),
                        );
                    } else if !b.is_empty() {
                        stats.rows += 1;
                        sink.listing(b.finish(shown, Some(start), None));
                    }
                    continue;
                }
            }
        };
        // Resume on the line after `resume_after`, reading the input again.
        let Some(reopen) = reopen else {
            if p.line > resume_after + 1 {
                skip(
                    sink,
                    &mut stats,
                    resume_after + 1,
                    format!(
                        "lines {}-{} were taken into the broken row above and are not read (standard input cannot be read again)",
                        resume_after + 1,
                        p.line.saturating_sub(1).max(resume_after + 1)
                    ),
                );
            }
            continue;
        };
        restarts += 1;
        if restarts > MAX_RESTARTS {
            skip(
                sink,
                &mut stats,
                resume_after + 1,
                format!(
                    "more than {MAX_RESTARTS} broken quotes: the rest of the file from this line is not read"
                ),
            );
            break;
        }
        let mut r = reopen(resume_pos)?;
        let mut q = Parser {
            r: r.as_mut(),
            d: cfg.delimiter.byte,
            line: resume_after,
            prev_cr: false,
            pos: resume_pos,
        };
        q.skip_lines(1)?;
        p.line = q.line;
        p.prev_cr = q.prev_cr;
        p.pos = q.pos;
        reopened = Some(r);
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::input::Collect;

    fn run(text: &str, reopen: bool) -> (Collect, CsvStats) {
        let d = sniff(text.as_bytes(), false);
        let cols = Columns::default();
        let cfg = CsvConfig {
            shown: "t.csv",
            delimiter: &d,
            cols: &cols,
            check_utf8: true,
        };
        let owned = text.to_string();
        let again = move |at: u64| -> io::Result<Box<dyn BufRead>> {
            Ok(Box::new(io::Cursor::new(
                owned.as_bytes()[at as usize..].to_vec(),
            )))
        };
        let mut c = Collect::default();
        let mut r = io::Cursor::new(text.as_bytes());
        let stats = read(
            &mut r,
            if reopen { Some(&again) } else { None },
            &cfg,
            &mut c,
        )
        .unwrap();
        (c, stats)
    }

    #[test]
    fn sniffs_semicolons_tabs_and_sep_lines() {
        assert_eq!(
            sniff(b"id;title;price\n1;a, b;3\n2;c;4\n", false).byte,
            b';'
        );
        assert_eq!(sniff(b"id\ttitle\n1\ta,b;c\n", false).byte, b'\t');
        assert_eq!(sniff(b"id,title\n1,\"a;b;c\"\n", false).byte, b',');
        let d = sniff(b"sep=;\r\nid;t\r\n", false);
        assert_eq!((d.byte, d.skip_lines), (b';', 1));
    }

    #[test]
    fn crlf_multiline_fields_and_line_numbers() {
        let (c, s) = run(
            "id,title\r\n1,\"two\r\nlines\"\r\n\r\n2,\"say \"\"hi\"\"\"\r\n3,last",
            true,
        );
        assert_eq!(s.rows, 3);
        let lines: Vec<_> = c.rows.iter().map(|l| l.line.unwrap()).collect();
        assert_eq!(lines, [2, 5, 6]);
        assert_eq!(c.rows[0].text, "two\r\nlines");
        assert_eq!(c.rows[1].text, "say \"hi\"");
        assert_eq!(c.rows[2].id.as_deref(), Some("3"));
    }

    #[test]
    fn an_unterminated_quote_is_reported_and_later_rows_are_read() {
        let text = "id,title\n1,ok\n2,\"broken\n3,fine\n4,\"also fine\"\n";
        let (c, s) = run(text, true);
        assert_eq!(s.skipped, 1, "{:?}", c.skipped);
        assert_eq!(c.skipped[0].line, Some(3));
        let ids: Vec<_> = c.rows.iter().map(|l| l.id.clone().unwrap()).collect();
        assert_eq!(ids, ["1", "3", "4"]);
        assert_eq!(c.rows[1].line, Some(4));
        // without a way to read again, the swallowed lines are named
        let (c, s) = run(text, false);
        assert_eq!(s.rows, 1);
        assert!(
            c.skipped.iter().any(|k| k.reason.contains("lines 4-")),
            "{:?}",
            c.skipped
        );
    }

    #[test]
    fn a_stray_quote_in_the_middle_swallowing_rows_is_found() {
        let text = "id,title,price\n1,a,1\n2,\"b,2\n3,c,3\n4,\"d\",4\n5,e,5\n";
        let (c, _) = run(text, true);
        let ids: Vec<_> = c.rows.iter().map(|l| l.id.clone().unwrap()).collect();
        assert!(
            ids.contains(&"1".to_string()) && ids.contains(&"5".to_string()),
            "{ids:?} {:?}",
            c.skipped
        );
        assert!(
            c.skipped.iter().any(|k| k.line == Some(3)),
            "{:?}",
            c.skipped
        );
    }

    #[test]
    fn wrong_field_counts_and_invalid_utf8_are_reported_by_line() {
        let (c, s) = run("id,t\n1,a,extra\n2,b\n", true);
        assert_eq!((s.rows, s.skipped), (1, 1));
        assert_eq!(c.skipped[0].line, Some(2));
        let d = sniff(b"id,t\n", false);
        let cols = Columns::default();
        let cfg = CsvConfig {
            shown: "t.csv",
            delimiter: &d,
            cols: &cols,
            check_utf8: true,
        };
        let mut c = Collect::default();
        let mut r = io::Cursor::new(&b"id,t\n1,\xff\n2,ok\n"[..]);
        let s = read(&mut r, None, &cfg, &mut c).unwrap();
        assert_eq!((s.rows, s.skipped), (1, 1));
        assert!(c.skipped[0].reason.contains("--encoding"));
    }
}
