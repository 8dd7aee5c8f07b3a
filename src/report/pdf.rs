//! `report.pdf`, typeset by typst inside warden.
//!
//! The layout is `report.typ` (compiled into warden); the report's data is
//! handed to it as a JSON file it reads with `json(...)`, so text from
//! captured pages is only ever data: it cannot become typst markup. Fonts
//! come from this computer (the folders given, and the system's fonts);
//! before typesetting, every character the report will print is checked
//! against them, and a script no font covers stops the report with a
//! message naming it, instead of printing empty boxes.

use super::model::ReportData;
use std::collections::BTreeMap;
use std::path::PathBuf;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_kit::fonts::FontStore;

/// The layout.
const TEMPLATE: &str = include_str!("report.typ");

/// Where the PDF's fonts come from.
#[derive(Debug, Clone, Default)]
pub struct FontSource {
    /// Folders searched for fonts (recursively), before the system's.
    pub dirs: Vec<PathBuf>,
    /// Also use the fonts installed on this computer.
    pub system: bool,
}

/// Characters no available font can show.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "no font on this computer can show the {scripts} text in this report (for example {examples}); the PDF would show empty boxes, so it was not made. Install fonts for it (on Debian or Ubuntu: apt-get install fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji fonts-dejavu-core), or give a folder of fonts with --font-dir, or make only the HTML report with --format html"
)]
pub struct MissingScripts {
    pub scripts: String,
    pub examples: String,
}

struct ReportWorld {
    library: LazyHash<Library>,
    fonts: FontStore,
    main: Source,
    data_id: FileId,
    data: Bytes,
}

fn file_id(path: &str) -> FileId {
    RootedPath::new(
        VirtualRoot::Project,
        VirtualPath::new(path).expect("a valid virtual path"),
    )
    .intern()
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }
    fn book(&self) -> &LazyHash<FontBook> {
        self.fonts.book()
    }
    fn main(&self) -> FileId {
        self.main.id()
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else if id == self.main.id() {
            Ok(Bytes::from_string(self.main.clone()))
        } else {
            Err(FileError::AccessDenied)
        }
    }
    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.font(index)
    }
    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        None
    }
}

fn load_fonts(src: &FontSource) -> FontStore {
    let mut store = FontStore::new();
    for d in &src.dirs {
        store.extend(typst_kit::fonts::scan(d));
    }
    if src.system {
        store.extend(typst_kit::fonts::system());
    }
    store
}

/// Every character of every string in the report's data.
fn chars_of(v: &serde_json::Value, out: &mut std::collections::BTreeSet<char>) {
    match v {
        serde_json::Value::String(s) => out.extend(s.chars()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| chars_of(x, out)),
        serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| {
            out.extend(k.chars());
            chars_of(x, out)
        }),
        _ => {}
    }
}

/// Checks that some font covers every printable character.
fn check_coverage(book: &FontBook, data: &serde_json::Value) -> Result<(), MissingScripts> {
    let mut chars = std::collections::BTreeSet::new();
    chars_of(data, &mut chars);
    chars.extend(TEMPLATE.chars());
    let mut infos = Vec::new();
    let mut i = 0;
    while let Some(info) = book.info(i) {
        infos.push(info);
        i += 1;
    }
    let mut missing: BTreeMap<String, Vec<char>> = BTreeMap::new();
    for c in chars {
        if c.is_control() || c.is_whitespace() || is_invisible(c) {
            continue;
        }
        if !infos.iter().any(|f| f.coverage.contains(c as u32)) {
            let script = match unicode_script::UnicodeScript::script(&c) {
                unicode_script::Script::Common => "symbol or emoji".to_string(),
                unicode_script::Script::Inherited => "combining mark".to_string(),
                s => s.full_name().to_string(),
            };
            missing.entry(script).or_default().push(c);
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let scripts = missing.keys().cloned().collect::<Vec<_>>().join(", ");
    let examples = missing
        .values()
        .flat_map(|cs| cs.iter().take(3))
        .map(|c| format!("U+{:04X}", *c as u32))
        .collect::<Vec<_>>()
        .join(" ");
    Err(MissingScripts { scripts, examples })
}

/// Format characters fonts need not draw (joiners, direction marks,
/// variation selectors).
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}')
}

pub(super) fn render(data: &ReportData, fonts: &FontSource) -> Result<Vec<u8>, super::ReportError> {
    let json = serde_json::to_value(data).expect("report data serialises");
    let store = load_fonts(fonts);
    check_coverage(store.book(), &json)?;
    let main = Source::new(file_id("/report.typ"), TEMPLATE.to_string());
    let world = ReportWorld {
        library: LazyHash::new(Library::builder().build()),
        fonts: store,
        main,
        data_id: file_id("/data.json"),
        data: Bytes::new(serde_json::to_vec(&json).expect("report data serialises")),
    };
    let warned = typst::compile::<typst_layout::PagedDocument>(&world);
    let doc = warned.output.map_err(|errs| {
        super::ReportError::Typeset(
            errs.iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let options = typst_pdf::PdfOptions {
        ident: typst::foundations::Smart::Custom(data.case.id.clone()),
        tagged: false,
        ..Default::default()
    };
    typst_pdf::pdf(&doc, &options).map_err(|errs| {
        super::ReportError::Typeset(
            errs.iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}
