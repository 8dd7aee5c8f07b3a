//! One listing built from the named values of a row (a CSV or spreadsheet
//! row, a JSON object), within fixed bounds: its text is cut at
//! [`MAX_LISTING_TEXT`] bytes, and at most [`MAX_FIELDS_SHOWN`] of its
//! fields are shown, each cut at [`MAX_FIELD_SHOWN`] bytes. Every cut is
//! recorded with the listing.

use super::input::Listing;

/// Most bytes of one listing's text that are swept: the same bound as the
/// part of a captured page whose text goes into a bundle's `text.txt`, so a
/// bundle's text is never cut.
pub const MAX_LISTING_TEXT: usize = crate::capture::metadata::MAX_TEXT_INPUT as usize;
/// Most fields of one listing shown in the results.
pub const MAX_FIELDS_SHOWN: usize = 64;
/// Most bytes of one field's value shown in the results.
pub const MAX_FIELD_SHOWN: usize = 4096;
/// Most bytes of an id or URL kept.
const MAX_ID: usize = 4096;

/// Which columns or keys hold the id, the URL and the text to search.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// Fields whose text is searched (default: every text field but the
    /// id and URL).
    pub fields: Option<Vec<String>>,
    /// The id's column (default: the first of [`ID_NAMES`] present).
    pub id_field: Option<String>,
    /// The URL's column (default: the first of [`URL_NAMES`] present).
    pub url_field: Option<String>,
}

/// Column names taken as a listing's id when `--id-field` is not given
/// (compared without regard to case).
pub const ID_NAMES: &[&str] = &["id", "listing_id", "listing id", "item_id", "item id"];
/// Column names taken as a listing's URL when `--url-field` is not given.
pub const URL_NAMES: &[&str] = &["url", "link", "listing_url", "listing url", "href"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Id,
    Url,
    Field,
}

impl Columns {
    fn is_id(&self, name: &str) -> bool {
        match &self.id_field {
            Some(f) => f.eq_ignore_ascii_case(name.trim()),
            None => ID_NAMES.iter().any(|n| n.eq_ignore_ascii_case(name.trim())),
        }
    }
    fn is_url(&self, name: &str) -> bool {
        match &self.url_field {
            Some(f) => f.eq_ignore_ascii_case(name.trim()),
            None => URL_NAMES
                .iter()
                .any(|n| n.eq_ignore_ascii_case(name.trim())),
        }
    }
    /// Whether the value of field `name` is searched.
    pub(crate) fn searched(&self, name: &str) -> bool {
        match &self.fields {
            Some(f) => f.iter().any(|x| x.trim().eq_ignore_ascii_case(name.trim())),
            None => true,
        }
    }

    /// The role of each column of a header: the first id-like and the first
    /// URL-like column are the id and URL, the others fields.
    pub(crate) fn roles(&self, header: &[String]) -> Vec<Role> {
        let id = header.iter().position(|h| self.is_id(h));
        let url = header
            .iter()
            .enumerate()
            .position(|(i, h)| Some(i) != id && self.is_url(h));
        (0..header.len())
            .map(|i| {
                if Some(i) == id {
                    Role::Id
                } else if Some(i) == url {
                    Role::Url
                } else {
                    Role::Field
                }
            })
            .collect()
    }

    /// The `--fields` named that are not among `names` (when some are).
    pub(crate) fn absent_fields(&self, names: &[String]) -> Vec<String> {
        let has = |f: &str| {
            names
                .iter()
                .any(|n| n.trim().eq_ignore_ascii_case(f.trim()))
        };
        self.fields
            .iter()
            .flatten()
            .filter(|f| !has(f))
            .cloned()
            .collect()
    }

    /// What is missing from `names` that the officer named: the `--id-field`,
    /// the `--url-field`, or every one of the `--fields`.
    pub(crate) fn missing(&self, names: &[String]) -> Option<String> {
        let has = |f: &str| {
            names
                .iter()
                .any(|n| n.trim().eq_ignore_ascii_case(f.trim()))
        };
        if let Some(f) = &self.id_field
            && !has(f)
        {
            return Some(format!("--id-field {f:?}"));
        }
        if let Some(f) = &self.url_field
            && !has(f)
        {
            return Some(format!("--url-field {f:?}"));
        }
        if let Some(fs) = &self.fields
            && !fs.iter().any(|f| has(f))
        {
            return Some(format!("any of --fields {}", fs.join(",")));
        }
        None
    }
}

/// The largest prefix of `s` of at most `max` bytes, on a character
/// boundary.
pub(crate) fn cut(s: &str, max: usize) -> &str {
    &s[..s.floor_char_boundary(max.min(s.len()))]
}

/// Builds one listing from its values, in order.
pub(crate) struct RowBuilder<'a> {
    cols: &'a Columns,
    id: Option<String>,
    url: Option<String>,
    text: String,
    /// Length the text would have had uncut.
    text_total: u64,
    fields: Vec<(String, String)>,
    fields_not_listed: u64,
    fields_cut: Vec<String>,
}

impl<'a> RowBuilder<'a> {
    pub(crate) fn new(cols: &'a Columns) -> Self {
        RowBuilder {
            cols,
            id: None,
            url: None,
            text: String::new(),
            text_total: 0,
            fields: Vec::new(),
            fields_not_listed: 0,
            fields_cut: Vec::new(),
        }
    }

    /// Adds a value with a known role (CSV and spreadsheet columns).
    /// `searched`: whether its text is searched; `dropped`: bytes of it the
    /// reader already left out.
    pub(crate) fn add_as(
        &mut self,
        role: Role,
        name: &str,
        value: String,
        searched: bool,
        dropped: u64,
    ) {
        match role {
            Role::Id if self.id.is_none() => {
                if !value.trim().is_empty() {
                    self.id = Some(cut(value.trim(), MAX_ID).to_string());
                }
                return;
            }
            Role::Url if self.url.is_none() => {
                if !value.trim().is_empty() {
                    self.url = Some(cut(value.trim(), MAX_ID).to_string());
                }
                return;
            }
            _ => {}
        }
        self.show(name, &value, dropped);
        if searched {
            self.search(value, dropped);
        }
    }

    /// Adds a value by name (JSON keys): the first id-like and URL-like
    /// keys are the id and URL. `textual`: a string (numbers and booleans
    /// are shown, not searched).
    pub(crate) fn add(&mut self, name: &str, value: String, textual: bool, dropped: u64) {
        let role = if self.id.is_none() && self.cols.is_id(name) {
            Role::Id
        } else if self.url.is_none() && self.cols.is_url(name) {
            Role::Url
        } else {
            Role::Field
        };
        let searched = textual && self.cols.searched(name);
        self.add_as(role, name, value, searched, dropped);
    }

    fn show(&mut self, name: &str, value: &str, dropped: u64) {
        if let Some((_, v)) = self.fields.iter_mut().find(|(n, _)| n == name) {
            // A repeated key (JSON arrays): values joined.
            if v.len() < MAX_FIELD_SHOWN {
                v.push_str("; ");
                let room = MAX_FIELD_SHOWN.saturating_sub(v.len());
                v.push_str(cut(value, room));
                if value.len() > room && !self.fields_cut.iter().any(|n| n == name) {
                    self.fields_cut.push(name.to_string());
                }
            }
            return;
        }
        if self.fields.len() >= MAX_FIELDS_SHOWN {
            self.fields_not_listed += 1;
            return;
        }
        if value.len() > MAX_FIELD_SHOWN || dropped > 0 {
            self.fields_cut.push(name.to_string());
        }
        self.fields
            .push((name.to_string(), cut(value, MAX_FIELD_SHOWN).to_string()));
    }

    fn search(&mut self, value: String, dropped: u64) {
        if value.is_empty() && dropped == 0 {
            return;
        }
        let sep = usize::from(!self.text.is_empty());
        self.text_total += (sep + value.len()) as u64 + dropped;
        let room = MAX_LISTING_TEXT.saturating_sub(self.text.len() + sep);
        if room == 0 {
            return;
        }
        if self.text.is_empty() && value.len() <= room {
            self.text = value; // moved, not copied: it may be large
            return;
        }
        if sep == 1 {
            self.text.push('\n');
        }
        self.text.push_str(cut(&value, room));
    }

    /// Whether no value was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.id.is_none() && self.url.is_none() && self.fields.is_empty() && self.text.is_empty()
    }

    pub(crate) fn finish(self, path: &str, line: Option<u64>, sheet: Option<&str>) -> Listing {
        let text_cut = self.text_total > self.text.len() as u64;
        Listing {
            id: self.id,
            url: self.url,
            path: path.to_string(),
            line,
            sheet: sheet.map(str::to_string),
            text: self.text,
            fields: self.fields,
            cut: super::input::Cut {
                text_bytes: text_cut.then_some(self.text_total),
                fields_not_listed: self.fields_not_listed,
                fields_cut: self.fields_cut,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_url_fields_and_text() {
        let cols = Columns::default();
        let roles = cols.roles(&["Title".into(), "Link".into(), "ID".into()]);
        assert_eq!(roles, [Role::Field, Role::Url, Role::Id]);
        let mut b = RowBuilder::new(&cols);
        b.add("title", "ivory".into(), true, 0);
        b.add("price", "12".into(), false, 0);
        b.add("URL", "https://x".into(), true, 0);
        b.add("desc", "tusk".into(), true, 0);
        let l = b.finish("f", Some(2), None);
        assert_eq!(l.url.as_deref(), Some("https://x"));
        assert_eq!(l.text, "ivory\ntusk");
        assert_eq!(l.fields.len(), 3);
        assert!(l.cut.text_bytes.is_none());
        let cols = Columns {
            id_field: Some("Artikelnummer".into()),
            ..Columns::default()
        };
        assert!(cols.missing(&["id".into()]).is_some());
        assert!(cols.missing(&["artikelnummer".into()]).is_none());
        let cols = Columns {
            fields: Some(vec!["title".into(), "desc".into()]),
            ..Columns::default()
        };
        assert!(cols.missing(&["Title".into()]).is_none());
        assert_eq!(cols.absent_fields(&["Title".into()]), ["desc"]);
    }

    #[test]
    fn long_values_are_cut_and_say_so() {
        let cols = Columns::default();
        let mut b = RowBuilder::new(&cols);
        b.add("d", "é".repeat(MAX_FIELD_SHOWN), true, 10);
        let l = b.finish("f", None, None);
        assert_eq!(l.fields[0].1.len(), MAX_FIELD_SHOWN);
        assert_eq!(l.cut.fields_cut, ["d"]);
        assert_eq!(l.cut.text_bytes, Some(2 * MAX_FIELD_SHOWN as u64 + 10));
    }
}
