//! `report.pdf`, typeset by typst inside warden.
//!
//! The layout is `report.typ` (compiled into warden); the report's data is
//! handed to it as a JSON file it reads with `json(...)`, so text from
//! captured pages is only ever data: it cannot become typst markup. The
//! page headers and footers ("page 12 of 3674", the timeline's column
//! heads) are laid out after the body, as a second small document
//! (`furniture.typ`) drawn onto the body's pages: asked of the body itself,
//! they would make typst lay the whole body out twice. Fonts
//! come from this computer (the folders given, and the system's fonts);
//! before typesetting, every character the report will print is checked
//! against them, and a script no font covers stops the report with a
//! message naming it, instead of printing empty boxes.

use super::model::ReportData;
use std::collections::BTreeMap;
use std::path::PathBuf;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Label};
use typst::introspection::Introspector;
use typst::layout::{Frame, FrameItem, Point};
use typst::model::Document;
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::utils::PicoStr;
use typst::{Library, LibraryExt, World};
use typst_kit::fonts::FontStore;
use typst_layout::PagedDocument;

/// The layout of the body.
const TEMPLATE: &str = include_str!("report.typ");
/// Definitions both layouts share.
const COMMON: &str = include_str!("common.typ");
/// The layout of the page headers and footers.
const FURNITURE: &str = include_str!("furniture.typ");

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

/// What typst may read while compiling one document: its layout, the
/// shared definitions and one JSON data file, nothing else.
struct ReportWorld<'a> {
    library: &'a LazyHash<Library>,
    fonts: &'a FontStore,
    main: Source,
    common: Source,
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

impl World for ReportWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        self.library
    }
    fn book(&self) -> &LazyHash<FontBook> {
        self.fonts.book()
    }
    fn main(&self) -> FileId {
        self.main.id()
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        [&self.main, &self.common]
            .into_iter()
            .find(|s| s.id() == id)
            .cloned()
            .ok_or(FileError::AccessDenied)
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else {
            self.source(id).map(Bytes::from_string)
        }
    }
    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.font(index)
    }
    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        None
    }
}

/// Finds the fonts (a few hundred milliseconds with many installed: the
/// report does it while the case is being verified).
pub(super) fn load_fonts(src: &FontSource) -> FontStore {
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
    chars.extend([TEMPLATE, COMMON, FURNITURE].iter().flat_map(|t| t.chars()));
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

pub(super) fn render(data: &ReportData, store: &FontStore) -> Result<Vec<u8>, super::ReportError> {
    let json = serde_json::to_value(data).expect("report data serialises");
    check_coverage(store.book(), &json)?;
    let library = LazyHash::new(Library::builder().build());
    let world = |main: (&str, &str), data: (&str, Vec<u8>)| ReportWorld {
        library: &library,
        fonts: store,
        main: Source::new(file_id(main.0), main.1.to_string()),
        common: Source::new(file_id("/common.typ"), COMMON.to_string()),
        data_id: file_id(data.0),
        data: Bytes::new(data.1),
    };
    let body = compile(&world(
        ("/report.typ", TEMPLATE),
        (
            "/data.json",
            serde_json::to_vec(&json).expect("report data serialises"),
        ),
    ))?;
    let furniture = serde_json::json!({
        "pages": body.pages().len(),
        "case_id": data.case.id,
        "generated_at": data.generated_at,
        "timeline": timeline_pages(&body),
    });
    let furniture = compile(&world(
        ("/furniture.typ", FURNITURE),
        (
            "/furniture.json",
            serde_json::to_vec(&furniture).expect("furniture serialises"),
        ),
    ))?;
    let doc = furnish(&body, &furniture)?;
    let options = typst_pdf::PdfOptions {
        ident: typst::foundations::Smart::Custom(data.case.id.clone()),
        tagged: false,
        ..Default::default()
    };
    typst_pdf::pdf(&doc, &options).map_err(|errs| typeset_error(&errs))
}

fn typeset_error(errs: &[typst::diag::SourceDiagnostic]) -> super::ReportError {
    super::ReportError::Typeset(
        errs.iter()
            .map(|e| e.message.to_string())
            .collect::<Vec<_>>()
            .join("; "),
    )
}

fn compile(world: &ReportWorld) -> Result<PagedDocument, super::ReportError> {
    typst::compile::<PagedDocument>(world)
        .output
        .map_err(|errs| typeset_error(&errs))
}

/// The first and last page of the custody timeline (section 6), from the
/// labels `report.typ` puts at its start and on its last row.
fn timeline_pages(body: &PagedDocument) -> Option<serde_json::Value> {
    let page = |name: &str| {
        let label = Label::new(PicoStr::intern(name))?;
        let intro = body.introspector();
        let location = intro.query_label(label).ok()?.location()?;
        intro.page(location)
    };
    let (first, last) = (page("timeline-start")?, page("timeline-end")?);
    Some(serde_json::json!({ "first": first.get(), "last": last.get() }))
}

/// The body's pages with the furniture's headers and footers drawn on
/// them, page for page.
fn furnish(
    body: &PagedDocument,
    furniture: &PagedDocument,
) -> Result<PagedDocument, super::ReportError> {
    if body.pages().len() != furniture.pages().len() {
        return Err(super::ReportError::Typeset(format!(
            "the page headers and footers came to {} pages for a body of {} pages",
            furniture.pages().len(),
            body.pages().len()
        )));
    }
    let pages = body
        .pages()
        .iter()
        .zip(furniture.pages())
        .enumerate()
        .map(|(i, (page, furniture))| {
            if page.frame.size() != furniture.frame.size() {
                return Err(super::ReportError::Typeset(format!(
                    "page {} of the body and of its header and footer differ in size",
                    i + 1
                )));
            }
            let mut page = page.clone();
            page.frame
                .push_frame(Point::zero(), drawing_only(&furniture.frame));
            Ok(page)
        })
        .collect::<Result<_, _>>()?;
    Ok(PagedDocument::new(pages, body.info().clone()))
}

/// A frame's drawing without its introspection marks, which belong to the
/// other document and must not mix with the body's (bookmarks, links).
fn drawing_only(frame: &Frame) -> Frame {
    let mut out = Frame::new(frame.size(), frame.kind());
    for (pos, item) in frame.items() {
        match item {
            FrameItem::Tag(_) => {}
            FrameItem::Group(group) => {
                let mut group = group.clone();
                group.frame = drawing_only(&group.frame);
                group.label = None;
                group.parent = None;
                out.push(*pos, FrameItem::Group(group));
            }
            other => out.push(*pos, other.clone()),
        }
    }
    out
}
