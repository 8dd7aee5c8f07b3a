//! Scoring a listing from its matches (0–100), with reasons an officer can
//! read. The model is documented in `docs/matching.md`.

use super::folds::{Folds, accents, is_accent};
use super::lang::Languages;
use super::{Category, Hit, Matcher, TermRef, snippet};
use crate::species::{Cue, CueKind, KeywordList, NameSide, Taxon, TermKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Default `--min-score`.
pub const DEFAULT_MIN_SCORE: u32 = 45;

/// One match as reported.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MatchOut {
    pub(crate) term: String,
    pub(crate) kind: String,
    pub(crate) lang: String,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) snippet: String,
}

/// A taxon a listing mentions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TaxonOut {
    pub(crate) scientific_name: String,
    pub(crate) appendix: String,
    pub(crate) group: String,
}

/// One reason behind a score: the points it added (negative: took away)
/// and a sentence saying what in the listing earned them. The points of a
/// listing's reasons add up to its score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ReasonRepr")]
pub struct Reason {
    /// `None` only for results written before reasons carried points.
    pub points: Option<i32>,
    pub text: String,
}

impl Reason {
    fn new(points: i32, text: impl Into<String>) -> Reason {
        Reason {
            points: Some(points),
            text: text.into(),
        }
    }
}

/// Reasons as stored: `{"points": 20, "text": "…"}`, or a plain sentence
/// in results written by earlier versions.
#[derive(Deserialize)]
#[serde(untagged)]
enum ReasonRepr {
    Points { points: Option<i32>, text: String },
    Text(String),
}

impl From<ReasonRepr> for Reason {
    fn from(r: ReasonRepr) -> Reason {
        match r {
            ReasonRepr::Points { points, text } => Reason { points, text },
            ReasonRepr::Text(text) => Reason { points: None, text },
        }
    }
}

/// `(+20) sale wording "for sale"`; without points, the sentence alone.
/// The sign is in brackets so that a spreadsheet never reads the cell as a
/// formula.
impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.points {
            Some(p) => write!(f, "({p:+}) {}", self.text),
            None => f.write_str(&self.text),
        }
    }
}

/// The verdict on one listing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scored {
    pub(crate) score: u32,
    pub(crate) flagged: bool,
    pub(crate) taxa: Vec<TaxonOut>,
    pub(crate) matches: Vec<MatchOut>,
    pub(crate) reasons: Vec<Reason>,
    /// How many times each feature counted (for fitting the weights; not
    /// written out).
    #[serde(skip)]
    pub features: BTreeMap<Feature, i32>,
}

/// A listing's words in double quotes, as a reason quotes them: control
/// characters and quotes escaped, everything else (accents, combining
/// marks of Thai or Vietnamese, any script) kept as written. (Rust's `{:?}`
/// would also escape combining marks, printing `\u{e49}` in a reason.)
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn kind_name(c: Category) -> &'static str {
    match c {
        Category::Species(TermKind::ScientificName) => "scientific-name",
        Category::Species(TermKind::Synonym) => "synonym",
        Category::Species(TermKind::Abbreviation) => "abbreviation",
        Category::Species(TermKind::CommonName) => "common-name",
        Category::Species(TermKind::Product) => "product",
        Category::Species(TermKind::CodeWord) => "code-word",
        Category::Species(TermKind::Emoji) => "emoji",
        Category::Cue(CueKind::Sale) => "sale",
        Category::Cue(CueKind::Contact) => "contact",
        Category::Cue(CueKind::Price) => "price",
        Category::Cue(CueKind::Cover) => "cover",
        Category::Cue(CueKind::Decoy) => "decoy",
        Category::Cue(CueKind::Form) => "form",
        Category::Cue(CueKind::News) => "news",
        Category::Cue(CueKind::Question) => "question",
        Category::Cue(CueKind::Picture) => "picture",
        Category::Cue(CueKind::Unlisted) => "unlisted",
        Category::Cue(CueKind::Homograph) => "homograph",
    }
}

/// Finds a price: a number next to a currency symbol or word
/// ("$250", "250 USD", "1.200.000đ", "¥800", "RM 300"). One pass over the
/// text, looking only at the few characters around each number, so a long
/// listing costs no more memory than a short one.
fn has_price(text: &str, langs: &Languages, quoted: &Spans) -> Option<String> {
    const SYMBOLS: &[&str] = &[
        "$",
        "€",
        "£",
        "¥",
        "₫",
        "฿",
        "₱",
        "₹",
        "₽",
        "₩",
        "₺",
        "₪",
        // Other currencies' own signs, which are nothing else: the colón,
        // naira, guaraní, hryvnia, tenge, kip, riel, tögrög, lari, manat
        // and rupee sign (the cedi's "₵" alone is also written for cents,
        // "25₵" in an old catalogue: "GH₵" below).
        "₡",
        "₦",
        "₲",
        "₴",
        "₸",
        "₭",
        "៛",
        "₮",
        "₾",
        "₼",
        "₨",
        "usd",
        "eur",
        "gbp",
        "rmb",
        "cny",
        "vnd",
        "idr",
        "myr",
        "thb",
        "php",
        "jpy",
        "inr",
        "rub",
        "krw",
        "sar",
        "aed",
        "qar",
        "kwd",
        "brl",
        "mxn",
        // The Kenyan shilling ("KSh 2,500") and the Ghanaian cedi ("GH₵
        // 3,000"); other ISO codes are in `CAPITAL_CODES`.
        "ksh",
        "gh₵",
        "rs",
        "rp",
        "rm",
        "r$",
        // Dollars named by their country, written on to the amount
        // ("HK$48,000", "NT$4800", "US$480", "S$120").
        "us$",
        "hk$",
        "nt$",
        "s$",
        "sg$",
        "a$",
        "au$",
        "c$",
        "ca$",
        "nz$",
        "mx$",
        "руб",
        "ريال",
        "درهم",
        "دولار",
        "บาท",
        "원",
        "元",
        "円",
        "块",
        "đ",
        "k",
        "tr",
        // Currencies written out after the amount ("800 dólares", "200
        // euros", "3000 рублей"); "real" is left out ("100 real photos").
        "euros",
        "euro",
        "dollars",
        "dollar",
        "dólares",
        "dolares",
        "pesos",
        "reais",
        "soles",
        "rupees",
        "rupiah",
        "ringgit",
        "baht",
        "yuan",
        "dirhams",
        "dirham",
        "colones",
        "quetzales",
        "lempiras",
        "bolívares",
        "cedis",
        "złotych",
        "zł",
        "riyals",
        "рублей",
        "рубля",
        "рубль",
        "гривен",
        "रुपये",
        "रुपए",
        "جنيه",
        "دينار",
    ];
    /// Lower-cased last (or first) few characters of `s`.
    fn edge(s: &str, at_end: bool) -> String {
        const N: usize = 8;
        let part = if at_end {
            let from = s.char_indices().rev().nth(N - 1).map_or(0, |(i, _)| i);
            &s[from..]
        } else {
            let to = s.char_indices().nth(N).map_or(s.len(), |(i, _)| i);
            &s[..to]
        };
        part.to_lowercase()
    }
    // "k" (thousand) and "đ" follow Vietnamese and Indonesian prices ("500k",
    // "1.200.000đ"); elsewhere "24k" is gold. "tr" (triệu, million) follows
    // Vietnamese ones written on to the number, after a single digit too
    // ("2tr", "1tr5"), but not a word that begins with it ("2 trứng", two
    // eggs) nor "350 tr" (pages). After "k" or "tr", a word that counts
    // something else makes it no price ("2tr view", "500k lượt theo dõi").
    let vietnamese = langs.fits("vi") || langs.fits("id");
    let tr = langs.fits("vi");
    let near = |s: &str, at_end: bool, digits: usize, attached: bool| {
        SYMBOLS.iter().find(|&&sym| {
            if matches!(sym, "k" | "đ") && (!vietnamese || at_end || digits < 3) {
                return false;
            }
            if sym == "tr" && (!tr || at_end || !attached) {
                return false;
            }
            if sym != "tr" && digits < 2 {
                return false;
            }
            if at_end {
                s.ends_with(sym)
                    && s[..s.len() - sym.len()]
                        .chars()
                        .last()
                        .is_none_or(|c| !c.is_alphabetic())
            } else {
                // Chinese and Japanese write on without a space and Korean
                // adds its particles ("3000元包邮", "30,000円です",
                // "15만원에"), so the won, yuan and yen may be followed by
                // any letter.
                s.starts_with(sym)
                    && (matches!(sym, "원" | "元" | "円")
                        || s[sym.len()..]
                            .chars()
                            .next()
                            .is_none_or(|c| !c.is_alphabetic()))
            }
        })
    };
    // An ISO code of `CAPITAL_CODES` written before (`at_end`) or after
    // the amount, as a word of its own.
    let capital = |s: &str, at_end: bool| {
        CAPITAL_CODES.iter().any(|code| {
            if at_end {
                s.strip_suffix(code)
                    .is_some_and(|r| r.chars().last().is_none_or(|p| !p.is_alphabetic()))
            } else {
                s.strip_prefix(code)
                    .is_some_and(|r| r.chars().next().is_none_or(|n| !n.is_alphabetic()))
            }
        })
    };
    let mut it = text.char_indices().peekable();
    while let Some((start, c)) = it.next() {
        if !c.is_ascii_digit() {
            continue;
        }
        let mut run = 1;
        let mut end = start + 1;
        while let Some(&(i, c)) = it.peek() {
            if c.is_ascii_digit() || matches!(c, '.' | ',') {
                run += 1;
                end = i + c.len_utf8();
                it.next();
            } else {
                break;
            }
        }
        // A Chinese, Japanese or Korean multiplier written on to the number
        // comes before the currency: "3万元", "3万円", "30만원", "30만 원".
        // Two may follow each other: "3백만원", "1千万元".
        let mut num_end = end;
        for _ in 0..2 {
            match MULTIPLIERS
                .iter()
                .find(|m| text[num_end..].starts_with(**m))
            {
                Some(m) => num_end += m.len(),
                None => break,
            }
        }
        let multiplied = num_end > end;
        // Only "tr" may follow a single digit, written on to it: other
        // single digits are passed over before any edge is looked at.
        if run < 2
            && !multiplied
            && !(tr
                && text[end..]
                    .get(..2)
                    .is_some_and(|s| s.eq_ignore_ascii_case("tr")))
        {
            continue;
        }
        let run = if multiplied { run.max(2) } else { run };
        if quoted.around((start, num_end)).is_some() {
            continue;
        }
        let before = text[..start].trim_end();
        let attached = text[num_end..].starts_with(|c: char| !c.is_whitespace());
        let after = text[num_end..].trim_start();
        let after_sym = near(&edge(after, false), false, run, attached).filter(|&&sym| {
            !(matches!(sym, "k" | "tr") && counts_something_else(&after[sym.len()..]))
        });
        // A code before a year is no price: "PKR 2022 manifesto", "PLN
        // 2023:", "SEK 2031" (a course).
        let year = || {
            text[start..end]
                .parse::<u32>()
                .is_ok_and(|n| end - start == 4 && (1800..=2099).contains(&n))
        };
        if near(&edge(before, true), true, run, false).is_some()
            || after_sym.is_some()
            || run >= 2 && (capital(before, true) && !year() || capital(after, false))
        {
            // The number with the words next to it, none cut in two.
            return Some(snippet(text, start, num_end, 10).to_string());
        }
    }
    None
}

/// ISO codes of currencies that are a price only as written in capitals,
/// as their letters are also words: Dutch "nok" (a roof's ridge), Danish
/// and Norwegian "nok" (probably), Polish "sek." (seconds). Codes that
/// are words in capitals too ("PEN", "COP", "TRY", "MAD", "BOB", "CLP", an
/// EU regulation) are left out.
const CAPITAL_CODES: &[&str] = &[
    "UYU", "PYG", "GTQ", "NGN", "ZAR", "EGP", "PKR", "LKR", "BDT", "UAH", "KZT", "PLN", "CZK",
    "HUF", "SEK", "NOK", "DKK", "NZD",
];

/// Characters of a quotation shown in its reason.
const QUOTE_SHOWN: usize = 60;

/// The first `n` characters of `s`, not cutting a word written with
/// spaces, with "…" when some were left out.
fn opening_words(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        None => s.to_string(),
        Some((cut, _)) => {
            let head = &s[..cut];
            let head = if super::spaced_word_char(s[cut..].chars().next()) {
                head.rfind(char::is_whitespace).map_or(head, |i| &head[..i])
            } else {
                head
            };
            format!("{}…", head.trim_end())
        }
    }
}

/// Ten thousand, thousand, a hundred million and a hundred in Chinese,
/// Japanese and Korean, written between a number and its currency.
const MULTIPLIERS: &[&str] = &["万", "萬", "千", "亿", "億", "만", "천", "억", "백"];

/// Price words that are number words (million, thousand): a price only
/// where what follows is not something counted ("1,2 juta potong", 1.2
/// million pieces).
const NUMBER_WORDS: &[&str] = &["juta", "jt", "ribu", "rb", "triệu", "mil"];

/// Whether the word after "k" or "tr" (thousand, million), or after a
/// price word that is a number word ("juta", "ribu", "triệu", "mil"), says
/// that the number counts something other than money: views, followers,
/// likes, people, pieces, animals, tonnes, kilometres ("1,2 juta potong",
/// "mil araras").
fn counts_something_else(rest: &str) -> bool {
    const COUNTED: &[&str] = &[
        "potong",
        "orang",
        "pengikut",
        "penonton",
        "tayangan",
        "kali",
        "ton",
        "hektar",
        "spesies",
        "satwa",
        "burung",
        "pessoas",
        "seguidores",
        "visualiza",
        "animais",
        "aves",
        "espécies",
        "exemplares",
        "hectares",
        "quilos",
        "anos",
        "vezes",
        "con vật",
        "cá thể",
        "tấn",
        "view",
        "lượt",
        "follow",
        "like",
        "sub",
        "người",
        "thành viên",
        "member",
        "mem",
        "fan",
        "km",
        "lần",
        "bài",
        "video",
        "comment",
        "cmt",
        "share",
        "đăng ký",
        "tương tác",
    ];
    // "1tr5 lượt": the digits after "tr" are part of the amount.
    let rest = rest
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start()
        .to_lowercase();
    COUNTED.iter().any(|w| rest.starts_with(w))
}

/// Finds a phone number, as sellers give one for contact: a `+`, a `0` or
/// `(0` starting a run of digits, spaces, hyphens, dots and brackets that
/// holds at least 8 digits, not running on from a word or another number
/// ("+44 7700 900123", "0912.345.678", "010-0000-0000", "(00)
/// 00000-0000"). A price ("1.200.000đ", "Rp 1.150.000") starts with
/// another digit; a date ("2023-05-01") too. Passed over: a date that
/// starts with a 0 ("01.05.2024"), a decimal fraction ("0.000123") and a
/// book's or journal's number after "ISBN" or "ISSN". North American
/// numbers, which start with another digit, count in their own written
/// form and after a word saying they are one: see
/// [`north_american_phone`].
fn has_phone<'t>(text: &'t str, quoted: &Spans) -> Option<&'t str> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if let Some(end) = north_american_phone(text, i)
            && quoted.around((i, end)).is_none()
        {
            return Some(&text[i..end]);
        }
        let starts = match c {
            b'+' => b.get(i + 1).is_some_and(u8::is_ascii_digit),
            // Not a decimal fraction: "0.000123456", "0,5 0,7 0,9".
            b'0' => !matches!(b.get(i + 1..i + 3), Some([b'.' | b',', d]) if d.is_ascii_digit()),
            b'(' => b.get(i + 1) == Some(&b'0'),
            _ => false,
        };
        // Not inside a word or a number: "x0", "10", "1.0", "v2+3".
        let free = starts
            && (i == 0
                || text[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|p| !(p.is_alphanumeric() || matches!(p, '.' | ',' | '+' | '-'))));
        // A date is no phone number: "01.05.2024", "03-06-2023" (the day a
        // reptile hatched, written as much of Europe writes dates).
        if free && let Some(end) = date_at(text, i) {
            i = end;
            continue;
        }
        if free {
            let mut j = i + 1;
            let mut digits = usize::from(c == b'0');
            let mut last_digit = i + 1;
            while j < b.len()
                && (b[j].is_ascii_digit() || matches!(b[j], b' ' | b'-' | b'.' | b'(' | b')'))
            {
                if b[j].is_ascii_digit() {
                    digits += 1;
                    last_digit = j + 1;
                }
                // Two separators in a row end it ("0 - 5").
                if !b[j].is_ascii_digit()
                    && !b[j - 1].is_ascii_digit()
                    && b[j] != b'('
                    && b[j - 1] != b')'
                {
                    break;
                }
                j += 1;
            }
            let ends_free = text[last_digit..]
                .chars()
                .next()
                .is_none_or(|n| !n.is_alphanumeric());
            // Nor is a book's or journal's number ("ISBN 0-306-40615-2",
            // "ISSN 0028-0836").
            if digits >= 8
                && ends_free
                && quoted.around((i, last_digit)).is_none()
                && !after_book_number(tail(text, i, 24))
            {
                return Some(&text[i..last_digit]);
            }
            i = last_digit.max(i + 1);
            continue;
        }
        i += 1;
    }
    None
}

/// A date starting at byte `i`: day, month and year parted by the same
/// dot, hyphen or slash ("01.05.2024", "3-6-2023", "03.04.1897",
/// "01.05.24"), a day of 1 to 31, a month of 1 to 12, a year of four digits
/// from 1500 to 2099 or of two. A two-digit year must not run on into
/// another group of digits with the same separator: "06.12.19.56.78" is a
/// French phone number. Returns its end.
fn date_at(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    // The digits from `at`, at most `max` of them: their value and end.
    let number = |at: usize, max: usize| {
        let n = b[at..]
            .iter()
            .take(max)
            .take_while(|c| c.is_ascii_digit())
            .count();
        let value = text[at..at + n].parse::<u32>().ok()?;
        Some((value, at + n))
    };
    let (day, at) = number(i, 2)?;
    let sep = *b.get(at).filter(|c| matches!(c, b'.' | b'-' | b'/'))?;
    let (month, at) = number(at + 1, 2)?;
    if b.get(at) != Some(&sep) {
        return None;
    }
    let (year, end) = number(at + 1, 4)?;
    let year_ok = match end - at - 1 {
        4 => (1500..=2099).contains(&year),
        2 => !matches!(&b[end..], [s, d, ..] if *s == sep && d.is_ascii_digit()),
        _ => false,
    };
    ((1..=31).contains(&day)
        && (1..=12).contains(&month)
        && year_ok
        && !b.get(end).is_some_and(u8::is_ascii_digit))
    .then_some(end)
}

/// The text before byte `i`, at most about `n` bytes of it (from a
/// character boundary), so that what is looked for before a number is
/// looked for in bounded time.
fn tail(text: &str, i: usize, n: usize) -> &str {
    let mut from = i.saturating_sub(n);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    &text[from..i]
}

/// Whether `before` ends with "ISBN" or "ISSN" and what may stand between it
/// and the number ("ISBN 0-306-40615-2", "ISBN-10: 0306406152", "ISBN10:",
/// "ISBN no. 0-19-852663-6", "ISSN 0028-0836").
fn after_book_number(before: &str) -> bool {
    let lower = before.trim_end().to_lowercase();
    let mut t = lower.as_str();
    loop {
        let trimmed = t
            .trim_end_matches([':', '.', '#', '-', ' '])
            .trim_end_matches(|c: char| c.is_ascii_digit());
        let trimmed = ["no", "nr"]
            .iter()
            .find_map(|w| trimmed.strip_suffix(w))
            .unwrap_or(trimmed);
        if trimmed.len() == t.len() {
            break;
        }
        t = trimmed;
    }
    ["isbn", "issn"].iter().any(|w| {
        t.strip_suffix(w)
            .is_some_and(|r| r.chars().last().is_none_or(|p| !p.is_alphanumeric()))
    })
}

/// Words that say the number after them is a phone number, as North
/// American ads write them ("call 555-210-0000", "Call or text (555)
/// 210-0000", "cell: 555.210.0000"). Lower case.
const PHONE_WORDS: &[&str] = &[
    "call",
    "text",
    "txt",
    "tel",
    "phone",
    "cell",
    "call me at",
    "text me at",
    "call me on",
    "reach me at",
    "📞",
    "☎",
    "☎\u{fe0f}",
];

/// A North American phone number starting at byte `i`, as written in
/// classified ads: ten digits grouped 3-3-4, the groups parted by the same
/// hyphen or dot ("555-210-0000", "555.210.0000"), or the area code in
/// brackets ("(555) 210-0000", "(555)210-0000"); neither the area code
/// nor the exchange starts with 0 or 1, as none does. Only after a word of
/// [`PHONE_WORDS`]: reference, permit, case and part numbers and lengths
/// are written the same way ("permit 312-004-2023", "600-750-1000 mm").
/// Not running on from a word or another number, nor into one
/// ("555-210-0000-12", "555-210-00001", "v2.555.210.0000"). Returns the
/// end of the number.
fn north_american_phone(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    if !matches!(b.get(i), Some(b'(' | b'2'..=b'9')) {
        return None;
    }
    let digits = |from: usize, n: usize| {
        b.get(from..from + n)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let before_free = text[..i]
        .chars()
        .next_back()
        .is_none_or(|p| !(p.is_alphanumeric() || matches!(p, '.' | ',' | '+' | '-' | '/' | '(')));
    if !before_free {
        return None;
    }
    // The area code's first digit, where the exchange starts, and the
    // separator the exchange and the line number are parted by.
    let (area, exchange, sep) = if b[i] == b'(' {
        // "(555) 210-0000", "(555)210-0000"
        if !(digits(i + 1, 3) && b.get(i + 4) == Some(&b')')) {
            return None;
        }
        let exchange = if b.get(i + 5) == Some(&b' ') {
            i + 6
        } else {
            i + 5
        };
        (b[i + 1], exchange, *b.get(exchange + 3)?)
    } else {
        // "555-210-0000", "555.210.0000": the second separator as the first.
        if !digits(i, 3) {
            return None;
        }
        (b[i], i + 4, *b.get(i + 3)?)
    };
    if matches!(area, b'0' | b'1') || !matches!(sep, b'-' | b'.') {
        return None;
    }
    // No exchange starts with 0 or 1 either: "312-004-2023" is a case
    // number.
    if !(digits(exchange, 3)
        && matches!(b[exchange], b'2'..=b'9')
        && b.get(exchange + 3) == Some(&sep)
        && digits(exchange + 4, 4))
    {
        return None;
    }
    let end = exchange + 8;
    // The word stands alone: not "seizures.txt" nor "Call #" (a library's
    // call number).
    let said = tail(text, i, 24)
        .trim_end_matches([' ', ':', '-', '.'])
        .to_lowercase();
    let after_phone_word = PHONE_WORDS.iter().any(|w| {
        said.strip_suffix(w).is_some_and(|r| {
            r.chars().last().is_none_or(|p| {
                p.is_whitespace()
                    || matches!(p, ',' | ';' | '(' | '[' | '|' | '*' | '!' | '?' | ':')
            })
        })
    });
    if !after_phone_word {
        return None;
    }
    // Not into another number or word: "555-210-00001", "555-210-0000-12".
    let after = &b[end..];
    let runs_on = match after {
        [d, ..] if d.is_ascii_alphanumeric() => true,
        [b'-' | b'.' | b',', d, ..] if d.is_ascii_digit() => true,
        _ => text[end..]
            .chars()
            .next()
            .is_some_and(char::is_alphanumeric),
    };
    (!runs_on).then_some(end)
}

/// Units of size and weight that listings give after a number ("10mm",
/// "2 g", "甲長5cm前後", "300그램에"; the tola of oud and musk, "3 تولة",
/// and the Vietnamese tael, "1 lạng"). Units in scripts written with spaces
/// must not run on into a letter or digit of such a script ("3 gorillas"
/// is not 3 g); those in CJK, kana, Hangul and Thai may, and any unit may
/// run on into those scripts. Lower case, except that "g", "gr" and "ｇ"
/// are matched only as written in lower case ("5G" is a network). Left out
/// as too often another word after a number: Russian "г" (also "year" and
/// "city"), Dutch "ons" (our), Vietnamese "ký" (sign), Hindi ग्राम
/// (village), Korean 미리 (in advance), Japanese キロ (also kilometres and
/// kilocalories).
const MEASURE_UNITS: &[&str] = &[
    "mm",
    "cm",
    "kg",
    "g",
    "gr",
    "gram",
    "grams",
    "gramm",
    "gramme",
    "grammes",
    "gramos",
    "gramas",
    "grammi",
    "grammo",
    "kilo",
    "kilos",
    "kilogram",
    "kilograms",
    "oz",
    "lb",
    "lbs",
    "inch",
    "inches",
    "tola",
    "tolas",
    "lạng",
    "см",
    "мм",
    "кг",
    "гр",
    "грамм",
    "грамма",
    "граммов",
    "سم",
    "مم",
    "ملم",
    "غرام",
    "تولة",
    "توله",
    "غ",
    "جرام",
    "كغ",
    "كيلو",
    "किलो",
    "किलोग्राम",
    "तोला",
    "तोले",
    "सेमी",
    "मिमी",
    "इंच",
    "ｍｍ",
    "ｃｍ",
    "ｇ",
    "ｋｇ",
    "克",
    "公斤",
    "千克",
    "斤",
    "厘米",
    "公分",
    "毫米",
    "寸",
    "センチ",
    "ミリ",
    "グラム",
    "그램",
    "킬로",
    "센티",
    "กรัม",
    "กิโล",
    "ซม",
    "มม",
    "นิ้ว",
];

/// Finds a size or weight: a number followed by a unit of
/// [`MEASURE_UNITS`], as listings describe goods and news rarely does
/// ("丸玉10mm", "300g", "9 x 6 x 3.5 cm"). Digits of any script count.
fn has_measure(text: &str) -> Option<String> {
    let mut it = text.char_indices().peekable();
    let mut before: Option<char> = None;
    while let Some((start, c)) = it.next() {
        let prev = before.replace(c);
        // A number starts a word: "S10 g" is a model, not 10 g (in CJK,
        // kana, Hangul and Thai a number may follow a letter: 丸玉10mm).
        if !c.is_numeric() || prev.is_some_and(|p| p.is_alphanumeric() && !joined_script(p)) {
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, c)) = it.peek() {
            // "1.5" and "1,200" go on; "5. Next" and "5, then" end the number.
            let decimal = matches!(c, '.' | ',')
                && text[i + 1..].chars().next().is_some_and(|n| n.is_numeric());
            if c.is_numeric() || decimal {
                end = i + c.len_utf8();
                before = Some(c);
                it.next();
            } else {
                break;
            }
        }
        let rest = &text[end..];
        let rest = rest.strip_prefix(' ').unwrap_or(rest);
        // Most numbers are followed by no unit: look at the first character
        // before lower-casing anything.
        let Some(first) = rest.chars().next() else {
            continue;
        };
        if !MEASURE_UNITS.iter().any(|u| {
            u.chars()
                .next()
                .is_some_and(|f| f == first || Some(f) == first.to_lowercase().next())
        }) {
            continue;
        }
        // Lower-cased once per number, as far as the longest unit reaches.
        let lower: String = rest.chars().take(12).flat_map(char::to_lowercase).collect();
        for unit in MEASURE_UNITS {
            let (written, fits) = if matches!(*unit, "g" | "gr" | "ｇ") {
                (rest, rest.starts_with(unit))
            } else {
                (lower.as_str(), lower.starts_with(unit))
            };
            if !fits {
                continue;
            }
            let spaced = unit.chars().next().is_some_and(|u| !joined_script(u));
            let next = written[unit.len()..].chars().next();
            if spaced && next.is_some_and(|n| n.is_alphanumeric() && !joined_script(n)) {
                continue;
            }
            // "4g" and "5g" right after a single digit are networks.
            if *unit == "g" && end - start == 1 && rest.len() == text.len() - end {
                continue;
            }
            // The unit's end in `text`: its characters, counted in `rest`.
            let unit_chars = unit.chars().count();
            let unit_len: usize = rest.chars().take(unit_chars).map(char::len_utf8).sum();
            let unit_end = text.len() - rest.len() + unit_len;
            return Some(snippet(text, start, unit_end, 10).to_string());
        }
    }
    None
}

/// Whether `c` is of a script written without spaces between words (CJK,
/// kana, Hangul, Thai, full-width forms), where a unit may run on into the
/// next word.
fn joined_script(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0E7F | 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xAC00..=0xD7AF | 0x1100..=0x11FF | 0x3130..=0x318F | 0xFF00..=0xFFEF)
}

/// What earned (or cost) a listing points: one weight each, so that the
/// weights can be fitted to labelled listings (`examples/fit_weights.rs`)
/// and every point stays tied to a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Feature {
    /// The strongest taxon is named by its scientific name or a synonym.
    ScientificName,
    /// … by a documented trade code word.
    CodeWord,
    /// … by a common name or abbreviation.
    CommonName,
    /// … by a product word only (ivory, horn, 象牙).
    ProductWord,
    /// … by an emoji picturing the animal (🦏), next to a product, part or
    /// live-animal word.
    Emoji,
    /// Appendix of the strongest taxon (the least protected part of a split
    /// listing, as warden does not tell from the text which part is traded).
    AppendixI,
    AppendixII,
    AppendixIII,
    /// The species match is not written as listed: accents, punctuation
    /// between its words or letter forms had to be folded ("ban" for
    /// "bán", "tiger - bone" for "tiger bone"); look-alike tricks aside.
    Folded,
    /// A species match written with look-alike characters or separators.
    Tricks,
    /// A species name together with a product word.
    NameAndProduct,
    /// Product words of several taxa and no name.
    SeveralTaxa,
    Sale,
    Contact,
    Price,
    Cover,
    /// A size or weight ("10mm", "300 g"), as listings describe goods.
    Measure,
    /// A product-form, part or live-animal word.
    Form,
    /// News, advocacy or enforcement wording (counted per distinct wording,
    /// at most 2).
    News,
    /// An owner's question about the law ("can I sell", "posso vender"),
    /// counted once.
    Question,
    /// A decoy context (counted per occurrence).
    Decoy,
}

/// Points per feature. Fitted on the dev part of the outside labelled set
/// by `examples/fit_weights.rs` (logistic regression, scaled so that the
/// default threshold is 45) and rounded; `docs/matching.md` gives the fit.
pub const fn weight(f: Feature) -> i32 {
    match f {
        Feature::ScientificName => 37,
        Feature::CodeWord => 35,
        Feature::CommonName => 37,
        Feature::ProductWord => 37,
        Feature::Emoji => 37,
        Feature::AppendixI => 0,
        Feature::AppendixII => 0,
        Feature::AppendixIII => 0,
        Feature::Folded => -5,
        Feature::Tricks => 10,
        Feature::NameAndProduct => 16,
        Feature::SeveralTaxa => 5,
        Feature::Sale => 19,
        Feature::Contact => 17,
        Feature::Price => 13,
        Feature::Cover => 6,
        Feature::Measure => 9,
        Feature::Form => 0,
        Feature::News => -37,
        // Set by hand equal to news: these wordings were news cues, and
        // fitted with them, until 2026-12-04.
        Feature::Question => -37,
        Feature::Decoy => -25,
    }
}

/// Every feature, in a fixed order (for fitting).
pub const FEATURES: &[Feature] = &[
    Feature::ScientificName,
    Feature::CodeWord,
    Feature::CommonName,
    Feature::ProductWord,
    Feature::Emoji,
    Feature::AppendixI,
    Feature::AppendixII,
    Feature::AppendixIII,
    Feature::Folded,
    Feature::Tricks,
    Feature::NameAndProduct,
    Feature::SeveralTaxa,
    Feature::Sale,
    Feature::Contact,
    Feature::Price,
    Feature::Cover,
    Feature::Measure,
    Feature::Form,
    Feature::News,
    Feature::Question,
    Feature::Decoy,
];

/// A web link and the number of hashtags, when the text has a link and at
/// least two hashtags (`#ivory #netsuke`): the way shops post offers on
/// social media.
fn link_and_hashtags(text: &str) -> Option<(&str, usize)> {
    let at = ["https://", "http://", "www."]
        .iter()
        .filter_map(|p| text.find(p))
        .min()?;
    let link = text[at..].split(char::is_whitespace).next().unwrap_or("");
    let link = &link[..link.floor_char_boundary(80)];
    let tags = text
        .split(char::is_whitespace)
        .filter(|w| {
            w.strip_prefix('#')
                .is_some_and(|t| t.chars().next().is_some_and(char::is_alphanumeric))
        })
        .count();
    (tags >= 2).then_some((link, tags))
}

/// Whether a decoy cue group applies to a taxon, per (cue group, taxon):
/// worked out once per listing, as one wording may be found thousands of
/// times.
type AppliesSeen = std::collections::HashMap<((usize, usize), (usize, usize)), bool>;

/// What a cue that takes species matches away is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Neutral {
    /// A decoy: takes points off the listing.
    Decoy,
    /// Wording for the goods of an unlisted animal ("mammoth ivory"):
    /// neutralises what it holds, no points.
    Unlisted,
    /// A word of the listing's language spelt like a species term of
    /// another (Dutch "oud", old): neutralises that very word, no points.
    Homograph,
}

/// A decoy, unlisted-animal or homograph cue found in the text: its span,
/// the words it neutralises (normalised; empty for "any"), and how it was
/// written.
struct Decoy {
    start: usize,
    end: usize,
    /// The cue group it belongs to (list, entry): decoys of one group
    /// apply to the same taxa.
    cue: (usize, usize),
    applies_to: Vec<String>,
    written: String,
    kind: Neutral,
    /// The cue's language (its base: `zh`, not `zh-Hans`).
    lang: String,
}

impl Decoy {
    /// Whether this decoy neutralises hit `h` of a term of taxon `taxon`
    /// (`product`: a product word): the hit lies inside the decoy, or is a
    /// product word sharing words with it without holding it whole (the
    /// decoy says what its shared word is: "象牙手镯" in 仿象牙手镯, an
    /// imitation-ivory bracelet; "ivory pendant" in "mammoth ivory
    /// pendant"); and the decoy applies to any spelling, in any script, of
    /// a term of that taxon ("leopard print" covers "léopard", as the taxon
    /// also has "leopard"). A longer species term that holds the whole
    /// decoy is not taken away ("baby monitor lizard", "bald eagle claw"),
    /// nor is a name sharing words with it. `seen` remembers, per cue group
    /// and taxon, whether it applies.
    ///
    /// A homograph neutralises only a match of exactly its own span, and
    /// only of a term listed in another language than its own ("oud", old,
    /// in Dutch, is not the English "oud"; a Dutch term spelt so would
    /// stay).
    fn neutralises(
        &self,
        h: &Hit,
        taxon: (usize, usize),
        product: bool,
        term_lang: &str,
        matcher: &Matcher,
        seen: &mut AppliesSeen,
    ) -> bool {
        let inside = if self.kind == Neutral::Homograph {
            (self.start, self.end) == (h.start, h.end) && super::lang::base(term_lang) != self.lang
        } else {
            self.covers(h) || (product && self.overlaps_part_of(h))
        };
        inside
            && *seen
                .entry((self.cue, taxon))
                .or_insert_with(|| self.applies_to_taxon(matcher.folded_terms(taxon.0, taxon.1)))
    }

    /// Whether hit `h` lies inside this decoy.
    fn covers(&self, h: &Hit) -> bool {
        within((h.start, h.end), (self.start, self.end))
    }

    /// Whether hit `h` shares text with this decoy without holding it
    /// whole.
    fn overlaps_part_of(&self, h: &Hit) -> bool {
        self.start < h.end
            && h.start < self.end
            && !within((self.start, self.end), (h.start, h.end))
    }

    /// Whether it takes points off the listing.
    fn penalty(&self) -> bool {
        self.kind == Neutral::Decoy
    }

    fn applies_to_taxon(&self, taxon_terms: &[String]) -> bool {
        self.applies_to.is_empty()
            || self.applies_to.iter().any(|a| {
                taxon_terms
                    .iter()
                    .any(|t| t == a || contains_word(a, t) || contains_word(t, a))
            })
    }
}

/// Whether normalised `hay` contains normalised `needle` as whole words.
fn contains_word(hay: &str, needle: &str) -> bool {
    if needle.is_empty() || needle.len() > hay.len() {
        return false;
    }
    // A match of valid UTF-8 in valid UTF-8 starts and ends on character
    // boundaries.
    memchr::memmem::find_iter(hay.as_bytes(), needle.as_bytes()).any(|i| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + needle.len()..].chars().next();
        !super::spaced_word_char(before) && !super::spaced_word_char(after)
    })
}

/// The strongest species evidence for one taxon.
#[derive(Clone)]
struct TaxonEvidence {
    feature: Feature,
    folded: bool,
    /// What a folded match differs in from its term (no tricks, no masked
    /// letter).
    folds: Folds,
    /// Found only by undoing look-alike characters, separators or
    /// invisible characters.
    tricks: bool,
    written: String,
    kind: TermKind,
    needs_context: bool,
    /// Read with one letter hidden behind a symbol (`m*skus`).
    masked: bool,
    /// For an emoji: the product-form, part or live-animal word that lets
    /// it count (at most [`EMOJI_REACH`] characters from it).
    beside: Option<String>,
}

fn term_feature(k: TermKind) -> Feature {
    match k {
        TermKind::ScientificName | TermKind::Synonym => Feature::ScientificName,
        TermKind::CodeWord => Feature::CodeWord,
        TermKind::CommonName | TermKind::Abbreviation => Feature::CommonName,
        TermKind::Product => Feature::ProductWord,
        TermKind::Emoji => Feature::Emoji,
    }
}

impl TaxonEvidence {
    /// Better evidence: more points, then a term needing no context, then
    /// a match needing no folding, then one needing fewer kinds of it.
    fn better_than(&self, other: &TaxonEvidence) -> bool {
        let key = |e: &TaxonEvidence| {
            (
                weight(e.feature),
                !e.needs_context,
                !e.folded,
                std::cmp::Reverse(e.folds.count()),
            )
        };
        key(self) > key(other)
    }
}

/// A taxon: its list's index and its index in that list.
type TaxonKey = (usize, usize);

/// Whether two taxa are one, or one holds the other in their list
/// (`within`); taxa of different lists are never related.
fn related(lists: &[KeywordList], a: TaxonKey, b: TaxonKey) -> bool {
    a.0 == b.0 && Taxon::related(&lists[a.0].taxa, a.1, b.1)
}

/// A counted name, code word or product word: whether one of its terms is
/// a name proper (not a code word), how it was first written, and the taxa
/// it was counted for.
struct Written {
    proper: bool,
    first: String,
    taxa: BTreeSet<TaxonKey>,
}

impl Written {
    /// Records one more sighting of the word `folded` in `words`.
    fn note(
        words: &mut BTreeMap<String, Written>,
        folded: &str,
        written: &str,
        proper: bool,
        taxa: impl IntoIterator<Item = TaxonKey>,
    ) {
        let seen = words.entry(folded.to_string()).or_insert_with(|| Written {
            proper: false,
            first: written.to_string(),
            taxa: BTreeSet::new(),
        });
        seen.proper |= proper;
        seen.taxa.extend(taxa);
    }
}

/// What the hits say, before scoring.
#[derive(Default)]
struct Evidence {
    matches: Vec<MatchOut>,
    /// Keyed by (list, taxon) index.
    per_taxon: BTreeMap<(usize, usize), TaxonEvidence>,
    /// Byte ranges of every species match of each taxon, emoji aside.
    spans: BTreeMap<(usize, usize), Vec<(usize, usize)>>,
    /// Everyday words found with no context: (taxon, written).
    without_context: Vec<((usize, usize), String)>,
    /// Names written beside a picture word, which do not count.
    pictured: Vec<Pictured>,
    /// Wordings for the goods of an unlisted animal that took away a
    /// species match ("mammoth ivory"), as written.
    unlisted: Vec<String>,
    /// Words of the listing's language that took away a species term of
    /// another language spelt the same (Dutch "oud"), with that language
    /// and the taxon of the term.
    homographs: Vec<(String, String, (usize, usize))>,
    /// The first way each cue kind was written.
    cues: BTreeMap<CueKind, String>,
    /// Distinct news wordings, in order.
    news: Wordings,
    /// Distinct wordings of owners' questions about the law, in order.
    questions: Wordings,
    /// Counted names and code words, normalised, each with whether one of
    /// them is a name proper (not a code word) and how it was first
    /// written, and counted product words, normalised: a word listed as
    /// both ("炮山甲", a product word and a code word) is one word,
    /// wherever and however often it is written, not a name beside a
    /// product word. Each word once, so that a listing repeating one word
    /// is not compared pair by pair.
    /// Each word keeps the taxa it was counted for: a name pairs only with
    /// a product word of its own taxon, or of one holding it or held by it.
    names_written: BTreeMap<String, Written>,
    products_written: BTreeMap<String, Written>,
    /// True while every species hit needed folding.
    all_folded: bool,
    /// What those folded hits differ in from their terms, tricks aside.
    folds: Folds,
    /// The first species hit written with tricks (look-alikes, separators).
    tricks: Option<String>,
    /// Decoys that took points away and took away a species hit, by span,
    /// with the taxa of the hits they took away ("geen ivoor" takes away
    /// an elephant's "ivoor", not a hornbill's name).
    negated: BTreeMap<(usize, usize), BTreeSet<(usize, usize)>>,
    /// The quotations of a listing that reports on the trade
    /// ([`reported_speech`]): their sale, contact and price wording, cover
    /// claims, amounts and phone numbers are someone else's words and do
    /// not count.
    quoted: Spans,
    /// The first quoted passage that held such wording or an amount.
    reported: Option<(usize, usize)>,
}

/// Distinct wordings of one cue kind, as written (lower-cased), in order.
#[derive(Default)]
struct Wordings {
    words: Vec<String>,
    /// Where each was found: a wording inside a longer one ("seized" in
    /// "customs seized") is not another wording.
    spans: Vec<(usize, usize)>,
}

impl Wordings {
    fn add(&mut self, h: &Hit, written: &str) {
        let inside = self.spans.iter().any(|&n| within((h.start, h.end), n));
        // Quoted as written; the same wording in another case is not
        // another wording ("SEIZED", "seized").
        let w = written.to_lowercase();
        if !inside && !self.words.iter().any(|x| x.to_lowercase() == w) {
            self.words.push(written.to_string());
        }
        self.spans.push((h.start, h.end));
    }

    /// The first `n`, quoted and joined for a reason.
    fn quoted(&self, n: usize) -> String {
        self.words
            .iter()
            .take(n)
            .map(|w| quoted(w))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn match_out(text: &str, h: &Hit, term: &str, category: Category, lang: &str) -> MatchOut {
    MatchOut {
        term: term.to_string(),
        kind: kind_name(category).into(),
        lang: lang.to_string(),
        start: h.start,
        end: h.end,
        snippet: snippet(text, h.start, h.end, 40).to_string(),
    }
}

/// A word as the matcher compares it: normalised (case, accents and
/// look-alike letters folded).
fn fold(s: &str) -> String {
    super::normalize::normalize(s).text
}

/// The decoys and unlisted-animal wordings of a listing whose language
/// fits, in order of their start.
fn find_decoys(
    text: &str,
    hits: &[Hit],
    matcher: &Matcher,
    lists: &[KeywordList],
    langs: &Languages,
) -> Vec<Decoy> {
    let mut decoys = Vec::new();
    for h in hits {
        for t in matcher.terms_of(h.pattern) {
            let kind = match t.category {
                Category::Cue(CueKind::Decoy) => Neutral::Decoy,
                Category::Cue(CueKind::Unlisted) => Neutral::Unlisted,
                Category::Cue(CueKind::Homograph) => Neutral::Homograph,
                _ => continue,
            };
            // Decoys, unlisted animals and homographs count where their
            // language fits as the cues that add points do: also where only
            // that language's sale, contact or price wording, written as
            // listed, named it ("karet", rubber, in a short Indonesian
            // listing with "gratis ongkir"; "estampa croco" in a short
            // Portuguese one with "Envio").
            let written = &text[h.start..h.end];
            if cue_counts(h, t, langs, text) && !across_clauses(written, &t.canonical) {
                let cue = &lists[t.list].cues[t.entry];
                decoys.push(Decoy {
                    start: h.start,
                    end: h.end,
                    cue: (t.list, t.entry),
                    applies_to: cue.applies_to.iter().map(|a| fold(a)).collect(),
                    written: written.to_string(),
                    kind,
                    lang: super::lang::base(&t.lang).to_string(),
                });
            }
        }
    }
    // In order of their start ([`decoys_near`] searches them).
    decoys.sort_by_key(|d| d.start);
    // A homograph inside a longer species match is part of that match:
    // "Boa" in "Boa constrictor" is no Portuguese "boa" (good).
    if decoys.iter().any(|d| d.kind == Neutral::Homograph) {
        let species = Spans::species(hits, matcher);
        decoys.retain(|d| d.kind != Neutral::Homograph || !species.hold((d.start, d.end), true));
    }
    // A decoy inside wording for an unlisted animal's goods reads as part
    // of it: アイボリー (ivory, the colour) in マンモスアイボリー (mammoth
    // ivory) is no colour.
    if decoys.iter().any(|d| d.kind == Neutral::Unlisted) {
        let unlisted = Spans::new(
            decoys
                .iter()
                .filter(|d| d.kind == Neutral::Unlisted)
                .map(|d| (d.start, d.end))
                .collect(),
        );
        decoys.retain(|d| !d.penalty() || !unlisted.hold((d.start, d.end), true));
    }
    decoys
}

/// Whether a match written `written` of a term whose canonical form is
/// `canon` runs across a comma, semicolon, question or exclamation mark or
/// the full stop ending a sentence that the term does not hold: "baby,
/// bottle fed" is no "baby bottle", "Materials: mammoth, ivory" no
/// "mammoth ivory". Normalising reads such marks as spaces, so that a
/// species term is found however the seller punctuates it; a decoy's
/// meaning does not survive the break.
fn across_clauses(written: &str, canon: &str) -> bool {
    // Full-width marks as their ASCII forms: a term listed with either
    // holds both.
    let mark = |c: char| match c {
        '，' | '、' => ',',
        '；' => ';',
        '！' => '!',
        '？' => '?',
        '。' => '.',
        c => c,
    };
    let mut chars = written.chars().peekable();
    while let Some(c) = chars.next() {
        let m = mark(c);
        let full_stop = c == '。' || (c == '.' && chars.peek().is_some_and(|n| n.is_whitespace()));
        if (matches!(m, ',' | ';' | '!' | '?') || full_stop) && !canon.chars().any(|k| mark(k) == m)
        {
            return true;
        }
    }
    false
}

/// The decoys that may share text with hit `h`, out of `decoys` in order of
/// their start, none longer than `longest` bytes: a binary search, so that
/// a listing of thousands of decoys and species words is not checked pair
/// by pair.
fn decoys_near<'d>(decoys: &'d [Decoy], longest: usize, h: &Hit) -> &'d [Decoy] {
    let lo = decoys.partition_point(|d| d.start + longest < h.start);
    let hi = decoys.partition_point(|d| d.start < h.end);
    &decoys[lo..hi.max(lo)]
}

/// A word saying that the animal named beside it is pictured: a print, or
/// the shape of a piece ("tiger print", "estampa de tucanos", "em forma de
/// arara").
struct Picture {
    start: usize,
    end: usize,
    side: NameSide,
    written: String,
}

impl Picture {
    /// Whether name hit `h` stands right beside this word, on the side
    /// where the cue's language puts the name ("tiger-print", "estampa de
    /// tucanos").
    fn pictures(&self, text: &str, h: &Hit) -> bool {
        right_beside(text, (self.start, self.end), self.side, (h.start, h.end))
    }
}

/// Bytes at most between a cue word and the words right beside it: 3
/// characters ([`right_beside`]) of at most 4 bytes each.
const BESIDE_BYTES: usize = 12;

/// Whether the words at byte range `other` stand right beside the cue word
/// at `word`, on its `side`: nothing but spaces, one hyphen or one
/// apostrophe ("en forme d'éléphant"), at most 3 characters, between them.
fn right_beside(text: &str, word: (usize, usize), side: NameSide, other: (usize, usize)) -> bool {
    let (from, to) = match side {
        NameSide::Before => (other.1, word.0),
        NameSide::After => (word.1, other.0),
    };
    if from > to {
        return false;
    }
    let gap = &text[from..to];
    let apostrophe = |c: char| matches!(c, '\'' | '\u{2019}');
    gap.chars().count() <= 3
        && gap.matches('-').count() <= 1
        && gap.chars().filter(|&c| apostrophe(c)).count() <= 1
        && gap
            .chars()
            .all(|c| c.is_whitespace() || c == '-' || apostrophe(c))
}

/// The picture words of a listing whose language fits, leaving out those
/// found inside a longer word that means something else (the cue's
/// `not_inside`: Thai ลาย, pattern, in ปลาย, tip, or หลาย, many).
fn find_pictures(
    text: &str,
    hits: &[Hit],
    matcher: &Matcher,
    lists: &[KeywordList],
    langs: &Languages,
) -> Vec<Picture> {
    let is_picture = |h: &Hit| {
        matcher
            .terms_of(h.pattern)
            .iter()
            .any(|t| t.category == Category::Cue(CueKind::Picture))
    };
    if !hits.iter().any(is_picture) {
        return Vec::new();
    }
    // A picture word inside a longer species name (ลาย in a Thai name such
    // as เต่าลายตีนเป็ด) is part of that name. The names are sorted by their
    // start, so only those that can reach a word are looked at.
    let names = Spans::species(hits, matcher);
    let mut pictures = Vec::new();
    for h in hits.iter().filter(|h| is_picture(h)) {
        let written = &text[h.start..h.end];
        if names.hold((h.start, h.end), true) {
            continue;
        }
        for t in matcher.terms_of(h.pattern) {
            if t.category != Category::Cue(CueKind::Picture) || !cue_counts(h, t, langs, text) {
                continue;
            }
            let cue = &lists[t.list].cues[t.entry];
            let Some(side) = cue.name_side else { continue };
            if inside_other_word(text, h, cue) {
                continue;
            }
            pictures.push(Picture {
                start: h.start,
                end: h.end,
                side,
                written: written.to_string(),
            });
        }
    }
    // In order of their start ([`pictured_names`] searches them).
    pictures.sort_by_key(|p| p.start);
    pictures
}

/// Whether hit `h` of a cue is part of one of the longer words its cue
/// names as meaning something else (`not_inside`).
fn inside_other_word(text: &str, h: &Hit, cue: &Cue) -> bool {
    cue.not_inside
        .iter()
        .any(|word| inside_word(text, (h.start, h.end), word))
}

/// Whether the text at byte range `span` is part of `word` written around
/// it, in small or capital letters: ลาย at 1 of ปลาย, "tượng" at 4 of "Ấn
/// tượng".
fn inside_word(text: &str, span: (usize, usize), word: &str) -> bool {
    let found = text[span.0..span.1].to_lowercase();
    let word = word.to_lowercase();
    let len = word.chars().count();
    word.match_indices(found.as_str()).any(|(at, _)| {
        let before = word[..at].chars().count();
        let start = if before == 0 {
            Some(span.0)
        } else {
            text[..span.0]
                .char_indices()
                .rev()
                .nth(before - 1)
                .map(|(i, _)| i)
        };
        start.is_some_and(|i| {
            text[i..]
                .chars()
                .take(len)
                .collect::<String>()
                .to_lowercase()
                == word
        })
    })
}

/// The byte ranges, in order, of product-form words found inside a longer
/// word that means something else (the cue's `not_inside`: Vietnamese
/// "tượng", statue, in "ấn tượng", impressive, or "biểu tượng", a symbol):
/// they give no context.
fn forms_inside_other_words(
    text: &str,
    hits: &[Hit],
    matcher: &Matcher,
    lists: &[KeywordList],
) -> Vec<(usize, usize)> {
    let mut inside = Vec::new();
    for h in hits {
        let elsewhere = matcher.terms_of(h.pattern).iter().any(|t| {
            t.category == Category::Cue(CueKind::Form)
                && inside_other_word(text, h, &lists[t.list].cues[t.entry])
        });
        if elsewhere {
            inside.push((h.start, h.end));
        }
    }
    // Sorted, as [`gather`] looks each form word up in it.
    inside.sort_unstable();
    inside.dedup();
    inside
}

/// A name written beside a picture word, with the taxa it could point to.
struct Pictured {
    written: String,
    picture: String,
    taxa: Vec<(usize, usize)>,
}

/// Whether a species term of kind `k` is a name (product words are
/// materials, "ivory elephant figurine"; code words are no names).
fn is_name(k: TermKind) -> bool {
    matches!(
        k,
        TermKind::ScientificName
            | TermKind::Synonym
            | TermKind::CommonName
            | TermKind::Abbreviation
    )
}

/// A name hit beside a picture word: its byte range and the picture word.
struct PicturedSpan {
    start: usize,
    end: usize,
    picture: String,
}

/// The byte ranges of names written right beside a picture word, in order
/// of their start. `pictures` are in order of their start; only those
/// within a few bytes of a name are looked at, so that a listing of
/// thousands of names and picture words is not checked pair by pair.
fn pictured_names(
    text: &str,
    hits: &[Hit],
    matcher: &Matcher,
    pictures: &[Picture],
) -> Vec<PicturedSpan> {
    if pictures.is_empty() {
        return Vec::new();
    }
    let longest = pictures.iter().map(|p| p.end - p.start).max().unwrap_or(0);
    let mut spans: Vec<PicturedSpan> = hits
        .iter()
        .filter(|h| {
            matcher
                .terms_of(h.pattern)
                .iter()
                .any(|t| matches!(t.category, Category::Species(k) if is_name(k)))
        })
        .filter_map(|h| {
            let lo = pictures.partition_point(|p| p.start + longest + BESIDE_BYTES < h.start);
            let hi = pictures.partition_point(|p| p.start <= h.end + BESIDE_BYTES);
            let p = pictures[lo..hi.max(lo)]
                .iter()
                .find(|p| p.pictures(text, h))?;
            Some(PicturedSpan {
                start: h.start,
                end: h.end,
                picture: p.written.clone(),
            })
        })
        .collect();
    spans.sort_by_key(|p| p.start);
    spans
}

/// The pictured names that may hold hit `h`, out of `pictured` in order of
/// their start, none longer than `longest` bytes.
fn pictured_near<'p>(pictured: &'p [PicturedSpan], longest: usize, h: &Hit) -> &'p [PicturedSpan] {
    let lo = pictured.partition_point(|p| p.start + longest < h.start);
    let hi = pictured.partition_point(|p| p.start <= h.start);
    &pictured[lo..hi.max(lo)]
}

/// Normalised length, in characters, of a term.
fn term_chars(term: &str) -> usize {
    fold(term).chars().filter(|c| !c.is_whitespace()).count()
}

/// Whether a species term `t` found as hit `h` counts in a listing in
/// `langs`: a match that needed accents folded only where the term's
/// language fits ("ban" is "bán" only in Vietnamese), and a match found only
/// by undoing look-alikes only for Latin-script terms of five letters or
/// more (random bytes fold onto short terms).
fn species_hit_counts(h: &Hit, t: &TermRef, langs: &Languages, text: &str) -> bool {
    // A masked letter: the matcher found only Latin-script terms long
    // enough to be read with one letter hidden; they count where their
    // language fits, as folded matches do.
    if h.masked {
        return langs.fits(&t.lang);
    }
    if h.tricks {
        // Random bytes fold onto short Latin terms ("1v" …); separators
        // between CJK, kana or Thai characters (穿.山.甲, ぞ う げ) are a
        // seller's doing.
        let latin = t
            .term
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii() || super::spaced_word_char(Some(c)));
        return !latin || term_chars(&t.term) >= 5;
    }
    !h.folded || (langs.fits(&t.lang) && !accents_differ(&text[h.start..h.end], &t.term))
}

/// Whether `written` and `term` both carry accents, but not the same: the
/// seller wrote another word ("bạn", friend, is not "bán", sell). Folding
/// accents is for text written without them.
fn accents_differ(written: &str, term: &str) -> bool {
    let (w, t) = (accents(written), accents(term));
    !w.is_empty() && !t.is_empty() && w != t
}

/// Whether cue term `t`, found as hit `h` written `written`, was found
/// only by folding a word that is another word as written: accents that
/// differ ("bạn", friend, is not "bán", sell), an accented word under an
/// English cue (English has no accents: "ngờ" is not "NGO"), or other
/// Thai tone marks. Decoys and other cues share this rule.
fn cue_folded_into_another_word(h: &Hit, t: &TermRef, written: &str) -> bool {
    if !h.folded {
        return false;
    }
    let lang = super::lang::base(&t.lang);
    (!h.tricks
        && (accents_differ(written, &t.term) || (lang == "en" && !accents(written).is_empty())))
        || thai_tones_differ(written, &t.term)
}

/// Whether cue term `t`, found at `h` in `text`, counts in this listing:
/// its language fits the listing's, a folded match did not fold it into
/// another word, the symbols of the term are written too (see
/// [`symbols_written`]), the English "lot" is an auction lot (see
/// [`auction_lot`]) and a news acronym is written in capitals (see
/// [`acronym_in_other_case`]).
fn cue_counts(h: &Hit, t: &TermRef, langs: &Languages, text: &str) -> bool {
    let written = &text[h.start..h.end];
    let fits = if h.folded {
        langs.fits(&t.lang)
    } else {
        langs.fits_as_written(&t.lang)
    };
    fits && !cue_folded_into_another_word(h, t, written)
        && symbols_written(text, h, &t.term)
        && !(t.lang == "en" && t.term == "lot" && !auction_lot(written, &text[h.end..]))
        && !(t.category == Category::Cue(CueKind::News) && acronym_in_other_case(&t.term, written))
}

/// Whether news term `term` is an acronym (an organisation or an agency:
/// "TRAFFIC", "PETA", "ONG", "LAV", "УК РФ"; two or more letters, none in
/// small letters) found written with small letters, where it is another
/// word: "high traffic on the site", the Indonesian "peta" (a map). News
/// writes these names in capitals.
fn acronym_in_other_case(term: &str, written: &str) -> bool {
    let cased = |c: &char| c.is_lowercase() || c.is_uppercase();
    term.chars().filter(cased).count() >= 2
        && !term.chars().any(char::is_lowercase)
        && written.chars().any(char::is_lowercase)
}

/// A symbol of a cue term that changes what it says, which matching reads
/// as a space: "%", "/", "?", "&", "@", "+" and currency signs.
/// Punctuation that sellers leave out or vary is not one: commas (also
/// "、" and "，"), colons, the hyphen, apostrophe and full stop, "¿" and
/// "¡" (Spanish opening marks), "#" (hashtags), "°" (n° or nº).
fn is_cue_symbol(c: char) -> bool {
    matches!(
        c,
        '%' | '/'
            | '?'
            | '&'
            | '@'
            | '+'
            | '$'
            | '€'
            | '£'
            | '¥'
            | '₫'
            | '฿'
            | '₱'
            | '₹'
            | '₽'
            | '₩'
    )
}

/// The ASCII form of a full-width symbol ("％" is "%", "／" is "/"), which
/// matching also reads as a space.
fn ascii_symbol(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '￥' => '¥',
        '￡' => '£',
        _ => c,
    }
}

/// The cue symbols of `s`, full-width ones in their ASCII form.
fn symbols_of(s: &str) -> String {
    s.chars()
        .map(ascii_symbol)
        .filter(|&c| is_cue_symbol(c))
        .collect()
}

/// Whether the symbols of cue term `term` are written where the term has
/// them: matching reads a symbol as a space, so "% off" would otherwise be
/// found in "off-shoulder", "/ekor" (per animal) in "100 ekor" and the
/// Dutch "interesse?" in "de interesse in". Symbols before the term's
/// first letter or digit must be the last characters before the match
/// (spaces aside) or start it, those after its last must come right after
/// it (spaces aside) or end it, and those in between must be inside it.
fn symbols_written(text: &str, h: &Hit, term: &str) -> bool {
    if !term.chars().any(is_cue_symbol) {
        return true;
    }
    let word = |c: char| c.is_alphanumeric() || is_accent(c);
    let (Some(first), Some(last)) = (term.find(word), term.rfind(word)) else {
        return true;
    };
    let last = last + term[last..].chars().next().map_or(0, char::len_utf8);
    let (lead, inner, trail) = (
        symbols_of(&term[..first]),
        symbols_of(&term[first..last]),
        symbols_of(&term[last..]),
    );
    let written = symbols_of(&text[h.start..h.end]);
    // The symbols just before the match, in reading order.
    let mut before: Vec<char> = text[..h.start]
        .trim_end()
        .chars()
        .rev()
        .map(ascii_symbol)
        .take_while(|&c| is_cue_symbol(c))
        .collect();
    before.reverse();
    let before: String = before.into_iter().collect();
    let after: String = text[h.end..]
        .trim_start()
        .chars()
        .map(ascii_symbol)
        .take_while(|&c| is_cue_symbol(c))
        .collect();
    (lead.is_empty() || written.starts_with(&lead) || before.ends_with(&lead))
        && (trail.is_empty() || written.ends_with(&trail) || after.starts_with(&trail))
        && inner.chars().all(|c| written.contains(c))
}

/// Whether the English "lot", written `written` with `rest` after it, is
/// an auction lot: written with a capital L and followed by its number,
/// perhaps after "no", "nr", "number", "#", "№", "n°", a colon, a full stop, a
/// hyphen or a bracket ("Lot 45", "LOT#8249", "Lot no. 12", "Lot. 152",
/// "Lot-45", "Lot (45)"), or a bundle of a number of pieces ("Lot of 3").
/// "a lot of", "talk a lot 2 hours a day" and "fallen a lot. 2019" are no
/// lot.
fn auction_lot(written: &str, rest: &str) -> bool {
    if !written.starts_with('L') {
        return false;
    }
    let marks =
        |c: char| c.is_whitespace() || matches!(c, '#' | '№' | ':' | '.' | '°' | 'º' | '-' | '(');
    let rest = rest.trim_start_matches(marks);
    let rest = [
        "number", "Number", "NUMBER", "no", "No", "NO", "nr", "Nr", "NR", "n", "N", "of",
    ]
    .iter()
    .find_map(|p| {
        rest.strip_prefix(p)
            .filter(|r| !r.starts_with(|c: char| c.is_alphabetic() && !matches!(c, 'º')))
    })
    .unwrap_or(rest)
    .trim_start_matches(marks);
    rest.starts_with(|c: char| c.is_ascii_digit())
}

/// Byte ranges sorted by their start, with the length of the longest, so
/// that whether a span lies inside one of them is a binary search: a
/// listing of thousands of words is not checked pair by pair.
#[derive(Default)]
struct Spans {
    spans: Vec<(usize, usize)>,
    longest: usize,
}

impl Spans {
    fn new(mut spans: Vec<(usize, usize)>) -> Spans {
        spans.sort_unstable();
        spans.dedup();
        let longest = spans.iter().map(|s| s.1 - s.0).max().unwrap_or(0);
        Spans { spans, longest }
    }

    /// The spans of the species matches among `hits`.
    fn species(hits: &[Hit], matcher: &Matcher) -> Spans {
        Spans::new(
            hits.iter()
                .filter(|h| {
                    matcher
                        .terms_of(h.pattern)
                        .iter()
                        .any(|t| matches!(t.category, Category::Species(_)))
                })
                .map(|h| (h.start, h.end))
                .collect(),
        )
    }

    /// The one of them `span` lies inside, if any.
    fn around(&self, span: (usize, usize)) -> Option<(usize, usize)> {
        let lo = self.spans.partition_point(|s| s.0 + self.longest < span.0);
        let hi = self.spans.partition_point(|s| s.0 <= span.0);
        self.spans[lo..hi.max(lo)]
            .iter()
            .copied()
            .find(|&s| within(span, s))
    }

    /// Whether `span` lies inside one of them; with `longer`, only inside
    /// a longer one (not itself).
    fn hold(&self, span: (usize, usize), longer: bool) -> bool {
        let lo = self.spans.partition_point(|s| s.0 + self.longest < span.0);
        let hi = self.spans.partition_point(|s| s.0 <= span.0);
        self.spans[lo..hi.max(lo)]
            .iter()
            .any(|&s| within(span, s) && !(longer && s == span))
    }
}

/// Byte ranges of the hits where a cue of one of `kinds` counts in this
/// listing, in the order of the hits.
fn cue_spans(
    text: &str,
    hits: &[Hit],
    matcher: &Matcher,
    langs: &Languages,
    kinds: &[CueKind],
) -> Vec<(usize, usize)> {
    hits.iter()
        .filter(|h| {
            matcher
                .terms_of(h.pattern)
                .iter()
                .any(|t| match t.category {
                    Category::Cue(k) => kinds.contains(&k) && cue_counts(h, t, langs, text),
                    Category::Species(_) => false,
                })
        })
        .map(|h| (h.start, h.end))
        .collect()
}

/// Byte ranges of the news wording and owners' questions about the law
/// that count in this listing, sorted: news wording inside a longer cover
/// claim is part of the claim (see [`cover_spans`]), inside a longer
/// contact wording part of that (German "Nachrichten" is the news, but
/// also the messages of "keine Nachrichten" and "Nachrichten bitte"), and
/// inside a longer sale wording part of that (キャンペーン, a campaign, in
/// 送料無料キャンペーン, a shop's free-shipping promotion).
fn news_spans(
    text: &str,
    hits: &[Hit],
    matcher: &Matcher,
    langs: &Languages,
    cover: &Spans,
    sale: &Spans,
) -> Vec<(usize, usize)> {
    let mut news = cue_spans(
        text,
        hits,
        matcher,
        langs,
        &[CueKind::News, CueKind::Question],
    );
    if news.is_empty() {
        return news;
    }
    let contact = Spans::new(cue_spans(text, hits, matcher, langs, &[CueKind::Contact]));
    news.retain(|&n| !cover.hold(n, true) && !contact.hold(n, true) && !sale.hold(n, true));
    news.sort_unstable();
    news
}

/// Byte ranges of wording saying that the listing offers nothing, sorted by
/// start: decoys that take points ("not selling", "não vendo", "sold
/// out"), news wording and owners' questions about the law ("can I sell",
/// "posso vender"). A sale, contact or price word inside one of them is no
/// offer ("selling" in "not selling").
fn no_offer_spans(decoys: &[Decoy], news: &[(usize, usize)]) -> Spans {
    let mut spans: Vec<(usize, usize)> = decoys
        .iter()
        .filter(|d| d.penalty())
        .map(|d| (d.start, d.end))
        .collect();
    spans.extend_from_slice(news);
    Spans::new(spans)
}

/// The quotations of a listing that reports on the trade: those of a
/// listing with news, advocacy or enforcement wording, or an owner's
/// question (`news`), outside every quotation ("We found this ad: '…'
/// Report posts like this"). A seller's own listing may quote its title or
/// put its description in quotation marks, and may hold apostrophes that
/// pair like marks: without such wording, nothing in it is read as quoted.
fn reported_speech(text: &str, news: &[(usize, usize)]) -> Spans {
    if news.is_empty() {
        return Spans::default();
    }
    let quoted = Spans::new(super::quotes::quoted_passages(text));
    if news.iter().any(|&n| quoted.around(n).is_none()) {
        quoted
    } else {
        Spans::default()
    }
}

/// Byte ranges of the cover claims that count in this listing. News
/// wording inside a longer one is part of the claim, not news: 瀕危物種
/// (endangered species) in an auction house's notice that a lot is
/// "subject to the Convention on endangered species" (受瀕危物種國際貿易公約限制).
fn cover_spans(text: &str, hits: &[Hit], matcher: &Matcher, langs: &Languages) -> Spans {
    Spans::new(cue_spans(text, hits, matcher, langs, &[CueKind::Cover]))
}

/// Whether price cue `t` was found as a bare word, without the accents the
/// seller writes elsewhere in the listing, and with no amount beside it:
/// bare "gia" in an accented listing is mostly another word ("gia đình",
/// family; "gia truyền", handed down) and is "giá" (price) when the amount
/// follows ("gia 5tr"). Text written without any accents keeps the usual
/// folding.
/// Whether the text has accents is worked out once per listing
/// (`text_accented`), so that a listing of many bare words costs no more
/// than one pass.
fn bare_word_without_amount(
    text: &str,
    h: &Hit,
    t: &TermRef,
    written: &str,
    text_accented: &std::cell::OnceCell<bool>,
) -> bool {
    if !marks_folded_away(h, t, written) {
        return false;
    }
    let amount_after = text[h.end..]
        .chars()
        .find(|c| !(c.is_whitespace() || matches!(c, ':' | '-' | '=')))
        .is_some_and(|c| c.is_ascii_digit());
    let amount_before = text[..h.start]
        .chars()
        .rev()
        .find(|c| !c.is_whitespace())
        .is_some_and(|c| c.is_ascii_digit());
    !amount_after
        && !amount_before
        && *text_accented.get_or_init(|| {
            use unicode_normalization::UnicodeNormalization;
            text.nfd().any(is_accent)
        })
}

/// Whether Vietnamese cue `t` was found only by dropping its tone marks, in
/// a listing written with marks ([`written_with_marks`]): there the bare word is
/// another word ("trời ban", heaven-sent, is not "bán", sell; "ban ngày",
/// daytime). Text written without any marks keeps the usual folding; price
/// words beside an amount are handled by [`bare_word_without_amount`].
fn vietnamese_word_without_its_marks(
    text: &str,
    h: &Hit,
    t: &TermRef,
    written: &str,
    text_marked: &std::cell::OnceCell<bool>,
) -> bool {
    super::lang::base(&t.lang) == "vi"
        && marks_folded_away(h, t, written)
        && *text_marked.get_or_init(|| written_with_marks(text))
}

/// Whether cue term `t` was found as `written` only by folding away the
/// accents or tone marks it carries: the text has none there.
fn marks_folded_away(h: &Hit, t: &TermRef, written: &str) -> bool {
    h.folded && accents(written).is_empty() && !accents(&t.term).is_empty()
}

/// Whether most of the writing uses accents or tone marks: at least a
/// third of its words of Latin letters carry one. A place name ("Hà Nội")
/// or a currency sign ("500.000đ") in text otherwise written without marks
/// does not make it so.
fn written_with_marks(text: &str) -> bool {
    use unicode_normalization::UnicodeNormalization;
    // A letter of the Latin alphabet, with or without marks (đ has none
    // to take off).
    let latin =
        |c: char| matches!(c, 'đ' | 'Đ') || c.nfd().next().is_some_and(|b| b.is_ascii_alphabetic());
    let (mut words, mut marked) = (0usize, 0usize);
    for w in text.split(|c: char| !c.is_alphabetic()) {
        if w.is_empty() || !w.chars().all(latin) {
            continue;
        }
        words += 1;
        if w.nfd().any(is_accent) || w.contains(['đ', 'Đ']) {
            marked += 1;
        }
    }
    words > 0 && marked * 3 >= words
}

/// Whether `written` and the cue `term` carry different Thai tone marks:
/// matching ignores them (sellers vary them, as in ช๊าง for ช้าง), but for
/// a cue they make another word: ข้าว (rice, as in หม้อข้าวหม้อแกงลิง,
/// a pitcher plant) is not ข่าว (news).
fn thai_tones_differ(written: &str, term: &str) -> bool {
    let tones = |s: &str| -> Vec<char> {
        s.chars()
            .filter(|c| matches!(*c as u32, 0x0E48..=0x0E4B))
            .collect()
    };
    tones(written) != tones(term)
}

/// Whether species hit `h` of taxon `taxon` lies inside a longer species hit
/// of another taxon: the longest, most specific name wins ("tiger shark"
/// over "tiger", 黑猩猩 over 猩猩).
fn covered_by_longer(
    h: &Hit,
    taxon: (usize, usize),
    species: &[(&Hit, Vec<(usize, usize)>)],
) -> bool {
    species.iter().any(|(g, taxa)| {
        g.start <= h.start
            && h.end <= g.end
            && (g.end - g.start) > (h.end - h.start)
            && !taxa.contains(&taxon)
    })
}

/// Gathers the matches, the best species evidence per taxon and the cues,
/// leaving out species hits a decoy neutralises, names beside a picture
/// word, hits covered by a longer name of another taxon, and matches whose
/// language does not fit.
fn gather(
    text: &str,
    hits: &[Hit],
    matcher: &Matcher,
    decoys: &[Decoy],
    pictures: &[Picture],
    forms_inside: &[(usize, usize)],
    langs: &Languages,
) -> Evidence {
    let mut ev = Evidence {
        all_folded: true,
        ..Evidence::default()
    };
    let species: Vec<(&Hit, Vec<(usize, usize)>)> = hits
        .iter()
        .filter_map(|h| {
            let taxa: Vec<_> = matcher
                .terms_of(h.pattern)
                .iter()
                .filter(|t| {
                    matches!(t.category, Category::Species(_))
                        && species_hit_counts(h, t, langs, text)
                })
                .map(|t| (t.list, t.entry))
                .collect();
            (!taxa.is_empty()).then_some((h, taxa))
        })
        .collect();
    let mut context_taxa: BTreeMap<(usize, usize), TaxonEvidence> = BTreeMap::new();
    // Emoji found, each with its byte range, and the byte ranges of
    // product-form, part and live-animal words: an emoji counts only with
    // one of those words near it.
    let mut emoji: Vec<EmojiSeen> = Vec::new();
    let mut form_spans: Vec<(usize, usize)> = Vec::new();
    let longest_decoy = decoys.iter().map(|d| d.end - d.start).max().unwrap_or(0);
    let mut applies_seen = AppliesSeen::new();
    // Byte ranges of everyday words: a product-form word inside one
    // ("кости" in "слоновой кости", ivory-coloured) gives no context.
    let mut context_spans: Vec<(usize, usize)> = Vec::new();
    let mut context_names: BTreeMap<String, Written> = BTreeMap::new();
    let mut context_products: BTreeMap<String, Written> = BTreeMap::new();
    let (mut context_all_folded, mut context_tricks) = (true, None);
    let mut context_folds = Folds::default();
    let cover = cover_spans(text, hits, matcher, langs);
    // Contact wording inside a longer sale wording ("postage" in "free
    // postage", "shipping" in "shipping included") is part of it, not a
    // second statement; so is news wording ("campaign" in "discount
    // campaign").
    let sale = Spans::new(cue_spans(text, hits, matcher, langs, &[CueKind::Sale]));
    let news = news_spans(text, hits, matcher, langs, &cover, &sale);
    ev.quoted = reported_speech(text, &news);
    let no_offer = no_offer_spans(decoys, &news);
    let text_accented = std::cell::OnceCell::new();
    let text_marked = std::cell::OnceCell::new();
    let pictured = pictured_names(text, hits, matcher, pictures);
    let longest_pictured = pictured.iter().map(|p| p.end - p.start).max().unwrap_or(0);
    for h in hits {
        let written = &text[h.start..h.end];
        // For a match written exactly as some term, only the terms written
        // so count: "elephant" in English is not the French "éléphant".
        let exact_form = (!h.folded).then(|| super::Written::new(written));
        // The written form normalised, made once for all the terms of
        // this hit that count.
        let written_folded = std::cell::OnceCell::new();
        // The fewest kinds of folding any counted spelling of this hit
        // needed, for terms needing no context and for everyday words.
        let mut hit_folds: [Option<Folds>; 2] = [None, None];
        for t in matcher.terms_of(h.pattern) {
            match t.category {
                Category::Species(kind) => {
                    if exact_form.as_ref().is_some_and(|w| !w.is(&t.canonical)) {
                        continue;
                    }
                    let key = (t.list, t.entry);
                    if !species_hit_counts(h, t, langs, text) || covered_by_longer(h, key, &species)
                    {
                        continue;
                    }
                    if let Some(d) = decoys_near(decoys, longest_decoy, h).iter().find(|d| {
                        d.neutralises(
                            h,
                            key,
                            kind == TermKind::Product,
                            &t.lang,
                            matcher,
                            &mut applies_seen,
                        )
                    }) {
                        // Each wording once, and at most as many as decoy
                        // reasons (a listing may hold thousands).
                        match d.kind {
                            Neutral::Decoy => {
                                ev.negated.entry((d.start, d.end)).or_default().insert(key);
                            }
                            Neutral::Unlisted => {
                                if ev.unlisted.len() < MAX_DECOY_REASONS
                                    && !ev.unlisted.contains(&d.written)
                                {
                                    ev.unlisted.push(d.written.clone());
                                }
                            }
                            Neutral::Homograph => {
                                if ev.homographs.len() < MAX_DECOY_REASONS
                                    && !ev
                                        .homographs
                                        .iter()
                                        .any(|(w, _, k)| *w == d.written && *k == key)
                                {
                                    ev.homographs.push((d.written.clone(), d.lang.clone(), key));
                                }
                            }
                        }
                        continue;
                    }
                    // A name beside a picture word ("tiger print"), or
                    // inside such a name ("kakatua" in "motif burung
                    // kakatua"), names what is pictured.
                    if is_name(kind)
                        && let Some(p) = pictured_near(&pictured, longest_pictured, h)
                            .iter()
                            .find(|p| within((h.start, h.end), (p.start, p.end)))
                    {
                        if (p.start, p.end) == (h.start, h.end) {
                            match ev.pictured.iter_mut().find(|q| q.written == written) {
                                Some(q) if !q.taxa.contains(&key) => q.taxa.push(key),
                                Some(_) => {}
                                None => ev.pictured.push(Pictured {
                                    written: written.to_string(),
                                    picture: p.picture.clone(),
                                    taxa: vec![key],
                                }),
                            }
                        }
                        continue;
                    }
                    let needs_context = t.needs_context;
                    let e = TaxonEvidence {
                        feature: term_feature(kind),
                        // A masked letter is no folding of accents or
                        // tricks: its reason says what it is.
                        folded: h.folded && !h.masked,
                        folds: if h.folded && !h.masked && !h.tricks {
                            Folds::between(written, &t.term)
                        } else {
                            Folds::default()
                        },
                        tricks: h.tricks,
                        written: written.to_string(),
                        kind,
                        needs_context,
                        masked: h.masked,
                        beside: None,
                    };
                    ev.matches
                        .push(match_out(text, h, &t.term, t.category, &t.lang));
                    // An emoji is neither a name nor a product word.
                    if kind == TermKind::Emoji {
                        emoji.push(EmojiSeen {
                            key,
                            e,
                            span: (h.start, h.end),
                        });
                        continue;
                    }
                    if needs_context {
                        context_spans.push((h.start, h.end));
                    }
                    ev.spans.entry(key).or_default().push((h.start, h.end));
                    let (names, products) = if needs_context {
                        (&mut context_names, &mut context_products)
                    } else {
                        (&mut ev.names_written, &mut ev.products_written)
                    };
                    let folded = written_folded.get_or_init(|| fold(written));
                    if kind == TermKind::Product {
                        Written::note(products, folded, written, false, [key]);
                    } else {
                        Written::note(names, folded, written, is_name(kind), [key]);
                    }
                    let (all_folded, tricks) = if needs_context {
                        (&mut context_all_folded, &mut context_tricks)
                    } else {
                        (&mut ev.all_folded, &mut ev.tricks)
                    };
                    if !h.folded || h.masked {
                        *all_folded = false;
                    }
                    // The spelling of this hit closest to what is written
                    // says what was folded.
                    let least = &mut hit_folds[usize::from(needs_context)];
                    if least.is_none_or(|l: Folds| e.folds.count() < l.count()) {
                        *least = Some(e.folds);
                    }
                    if h.tricks && tricks.is_none() {
                        *tricks = Some(written.to_string());
                    }
                    let slot = if needs_context {
                        &mut context_taxa
                    } else {
                        &mut ev.per_taxon
                    };
                    match slot.get(&key) {
                        Some(old) if !e.better_than(old) => {}
                        _ => {
                            slot.insert(key, e);
                        }
                    }
                }
                Category::Cue(kind) => {
                    if !cue_counts(h, t, langs, text)
                        || (kind == CueKind::Price
                            && (bare_word_without_amount(text, h, t, written, &text_accented)
                                || (NUMBER_WORDS.contains(&t.term.as_str())
                                    && counts_something_else(text[h.end..].trim_start()))))
                        || (kind != CueKind::Price
                            && vietnamese_word_without_its_marks(text, h, t, written, &text_marked))
                    {
                        continue;
                    }
                    // "selling" in "not selling", "vender" in "posso
                    // vender": no sale wording.
                    if matches!(kind, CueKind::Sale | CueKind::Contact | CueKind::Price)
                        && no_offer.hold((h.start, h.end), false)
                    {
                        continue;
                    }
                    // Wording inside a quoted passage is someone else's:
                    // an advocacy post quoting a seller's ad offers and
                    // claims nothing.
                    if matches!(
                        kind,
                        CueKind::Sale | CueKind::Contact | CueKind::Price | CueKind::Cover
                    ) && let Some(q) = ev.quoted.around((h.start, h.end))
                    {
                        ev.reported.get_or_insert(q);
                        continue;
                    }
                    // One phrase is one statement: "postage" (a Malay
                    // contact word) in "free postage" (English sale
                    // wording) is part of the sale wording.
                    if kind == CueKind::Contact && sale.hold((h.start, h.end), true) {
                        continue;
                    }
                    // News wording inside a cover claim or a contact wording
                    // is part of it ([`news_spans`] left it out).
                    if kind == CueKind::News && news.binary_search(&(h.start, h.end)).is_err() {
                        continue;
                    }
                    // A claim inside a decoy that says the opposite
                    // ("genuine" in "not genuine leather", "echt" in "geen
                    // echt ivoor") is no claim.
                    if kind == CueKind::Cover
                        && decoys_near(decoys, longest_decoy, h)
                            .iter()
                            .any(|d| d.penalty() && d.covers(h))
                    {
                        continue;
                    }
                    if !matches!(kind, CueKind::Decoy | CueKind::Unlisted) {
                        ev.matches
                            .push(match_out(text, h, &t.term, t.category, &t.lang));
                    }
                    // A part or live-animal word inside a decoy ("baby" in
                    // "baby blanket"), or inside a longer word that means
                    // something else ("tượng" in "ấn tượng"), is no context
                    // for anything.
                    if kind == CueKind::Form
                        && forms_inside.binary_search(&(h.start, h.end)).is_err()
                        && !decoys_near(decoys, longest_decoy, h)
                            .iter()
                            .any(|d| d.covers(h))
                    {
                        form_spans.push((h.start, h.end));
                    }
                    match kind {
                        CueKind::News => ev.news.add(h, written),
                        CueKind::Question => ev.questions.add(h, written),
                        _ => {}
                    }
                    // Form words are recorded below, once it is known
                    // which of them give context.
                    if kind != CueKind::Form {
                        ev.cues.entry(kind).or_insert_with(|| written.to_string());
                    }
                }
            }
        }
        let [plain, context] = hit_folds;
        ev.folds = ev.folds.union(plain.unwrap_or_default());
        context_folds = context_folds.union(context.unwrap_or_default());
    }
    // A part word inside an everyday word ("claw" in "bear claw", a
    // pastry) is no context either: not for that word, nor for an emoji.
    form_spans.retain(|&f| !context_spans.iter().any(|&c| within(f, c)));
    if let Some(f) = form_spans.first() {
        ev.cues.insert(CueKind::Form, text[f.0..f.1].to_string());
    }
    // Sorted by start, so that each emoji looks only at the words that can
    // be within reach (below).
    form_spans.sort_unstable();
    let longest_form = form_spans.iter().map(|f| f.1 - f.0).max().unwrap_or(0);
    // Everyday words count only with a term of their taxon that needs no
    // context, or with a product-form, part or live-animal word.
    let has_form = !form_spans.is_empty();
    if has_form {
        for (name, w) in context_names {
            Written::note(&mut ev.names_written, &name, &w.first, w.proper, w.taxa);
        }
        for (product, w) in context_products {
            Written::note(&mut ev.products_written, &product, &w.first, false, w.taxa);
        }
        ev.all_folded &= context_all_folded;
        ev.folds = ev.folds.union(context_folds);
        if ev.tricks.is_none() {
            ev.tricks = context_tricks;
        }
    }
    for (key, e) in context_taxa {
        if ev.per_taxon.contains_key(&key) {
            continue;
        }
        if has_form {
            ev.per_taxon.insert(key, e);
        } else {
            ev.without_context.push((key, e.written));
        }
    }
    let mut far = Vec::new();
    for EmojiSeen { key, mut e, span } in emoji {
        // Only the few words within EMOJI_REACH_BYTES are measured in
        // characters (a listing of thousands of emoji and part words would
        // otherwise take quadratic time).
        let lo = form_spans.partition_point(|f| f.0 + longest_form + EMOJI_REACH_BYTES < span.0);
        let hi = form_spans.partition_point(|f| f.0 <= span.1 + EMOJI_REACH_BYTES);
        let nearest = form_spans[lo..hi]
            .iter()
            .map(|&f| (chars_between(text, span, f), f))
            .filter(|&(d, _)| d <= EMOJI_REACH)
            .min();
        let Some((_, f)) = nearest else {
            far.push((key, e));
            continue;
        };
        match ev.per_taxon.get(&key) {
            // Evidence needing no context stands first.
            Some(old) if !old.needs_context || !e.better_than(old) => {}
            _ => {
                e.beside = Some(text[f.0..f.1].to_string());
                ev.all_folded = false;
                ev.per_taxon.insert(key, e);
            }
        }
    }
    for (key, e) in far {
        let seen = ev
            .without_context
            .iter()
            .any(|(k, w)| *k == key && *w == e.written);
        if !ev.per_taxon.contains_key(&key) && !seen {
            ev.without_context.push((key, e.written));
        }
    }
    ev
}

/// An emoji found, before it is known whether a product-form, part or
/// live-animal word is near enough for it to count.
struct EmojiSeen {
    /// (list, taxon) index.
    key: (usize, usize),
    e: TaxonEvidence,
    /// Byte range in the text.
    span: (usize, usize),
}

/// How many characters at most may stand between an emoji and the
/// product-form, part or live-animal word that lets it count ("🦏 powder",
/// "🐯骨头", "🐻 bile, dried").
const EMOJI_REACH: usize = 40;

/// [`EMOJI_REACH`] in bytes, at most: a character is at most 4 bytes, so a
/// word farther than this is out of reach without counting characters.
const EMOJI_REACH_BYTES: usize = 4 * EMOJI_REACH;

/// Whether byte range `inner` lies inside byte range `outer`.
fn within(inner: (usize, usize), outer: (usize, usize)) -> bool {
    outer.0 <= inner.0 && inner.1 <= outer.1
}

/// Characters between two byte ranges of `text` (0 when they touch or
/// overlap).
fn chars_between(text: &str, a: (usize, usize), b: (usize, usize)) -> usize {
    let (from, to) = if a.1 <= b.0 {
        (a.1, b.0)
    } else if b.1 <= a.0 {
        (b.1, a.0)
    } else {
        return 0;
    };
    text[from..to].chars().count()
}

/// One part of a score: the feature, how many times it counts, and the
/// reason (`None`: the points go into the taxon's reason).
struct Part {
    feature: Feature,
    times: i32,
}

/// Of taxa with evidence as strong (in the order of the lists), the one
/// whose evidence counts. Where the same words name two taxa ("Ball
/// Python": Python regius and the pythons; "saker falcon": Falco cherrug
/// and the falcons), the more specific one: the words say no less. Then
/// the first in the lists, unless another's words hold the first's whole
/// ("narwhal tusk" holds the "tusk" of elephants): the same thing, named
/// more fully. Nothing else is read from the length of a match: "ivory
/// figure on a Burmese rosewood base" is an ivory offer.
fn most_specific<'a>(
    candidates: impl Iterator<Item = ((usize, usize), &'a Taxon, &'a TaxonEvidence)>,
) -> Option<(usize, usize)> {
    // One per wording, the most specific taxon it names.
    let mut named: Vec<((usize, usize), usize, String)> = Vec::new();
    for (key, taxon, e) in candidates {
        let words = fold(&e.written);
        let rank = taxon.rank_specificity();
        match named.iter_mut().find(|(_, _, w)| *w == words) {
            Some(n) if rank > n.1 => *n = (key, rank, words),
            Some(_) => {}
            None => named.push((key, rank, words)),
        }
    }
    let mut chosen = named.first()?;
    for n in &named[1..] {
        if n.2.len() > chosen.2.len() && contains_word(&n.2, &chosen.2) {
            chosen = n;
        }
    }
    Some(chosen.0)
}

/// Of taxa with evidence as strong, a more specific taxon of the counted
/// one's group whose words overlap every match of the counted one in the
/// text: the same thing, named more fully. "filhote de mico" (a marmoset
/// pup) in "filhote de mico-leão-dourado" is the golden lion tamarin's
/// pup; "crocodile leather handbag" in "Siamese crocodile leather
/// handbag" is the Siamese crocodile's leather. A match of the counted
/// taxon elsewhere says the text speaks of more than that species:
/// "caiman crocodile leather, looks just like saltwater crocodile" and
/// "looks like Siamese crocodile leather! Actually caiman crocodile
/// leather" name the species only to compare.
fn named_more_fully<'a>(
    chosen: (usize, usize),
    candidates: impl Iterator<Item = ((usize, usize), &'a Taxon)>,
    ev: &Evidence,
    lists: &[KeywordList],
) -> (usize, usize) {
    let taxon = &lists[chosen.0].taxa[chosen.1];
    // An emoji has no words to name more fully.
    let Some(mine) = ev.spans.get(&chosen) else {
        return chosen;
    };
    let rank = taxon.rank_specificity();
    let more_specific: Vec<_> = candidates
        .filter(|(_, other)| other.group == taxon.group && other.rank_specificity() > rank)
        .collect();
    // Most listings name one taxon of a group: nothing to sort.
    if more_specific.is_empty() {
        return chosen;
    }
    // Sorted by start, the longest first, a match inside one before it
    // ("parrot" in "amazon parrot chick") is part of it, not a mention of
    // its own. Sorting keeps this at n log n in the matches of a long
    // listing.
    let mut outer = mine.to_vec();
    outer.sort_unstable_by_key(|&(start, end)| (start, std::cmp::Reverse(end)));
    outer.dedup();
    let mut reach = 0;
    outer.retain(|&(_, end)| {
        let out = end > reach;
        reach = reach.max(end);
        out
    });
    // Whether every one of them overlaps one of `theirs`: some match of
    // theirs starts before it ends and ends after it starts.
    let covered = |theirs: &[(usize, usize)]| {
        let mut theirs = theirs.to_vec();
        theirs.sort_unstable();
        let mut end = 0;
        let farthest: Vec<usize> = theirs
            .iter()
            .map(|t| {
                end = end.max(t.1);
                end
            })
            .collect();
        outer.iter().all(|&(start, stop)| {
            let before = theirs.partition_point(|t| t.0 < stop);
            before > 0 && farthest[before - 1] > start
        })
    };
    let mut best = (chosen, rank);
    for (key, other) in more_specific {
        let rank = other.rank_specificity();
        if rank > best.1 && ev.spans.get(&key).is_some_and(|theirs| covered(theirs)) {
            best = (key, rank);
        }
    }
    best.0
}

/// The taxa, a reason for each, the features of the strongest taxon and
/// its key. Only the strongest taxon's evidence counts; the others' reasons
/// say so and carry no points. Of taxa with evidence as strong, those of
/// the animal more distinct words name go on; of those, one none of whose
/// hits a decoy took away, named by a term that needs no context, counts
/// ("bukan gading gajah", not elephant ivory, then the hornbill named after
/// it); an everyday word does not ("vegetable ivory … owl and frog": the
/// owl is what the tagua nut is carved into).
fn species_part(
    ev: &Evidence,
    lists: &[KeywordList],
    reasons: &mut Vec<Reason>,
) -> (Vec<TaxonOut>, Vec<Part>, Option<(usize, usize)>) {
    let mut taxa = Vec::new();
    let mut scored = Vec::new();
    for (&(li, ti), e) in &ev.per_taxon {
        let taxon = &lists[li].taxa[ti];
        // The least protected part of a split listing: warden does not
        // tell from the text which population or species is traded.
        let appendix = taxon.appendix.rsplit('/').next().unwrap_or("");
        let mut parts = vec![(e.feature, String::new())];
        let app = match appendix {
            "I" => Feature::AppendixI,
            "II" => Feature::AppendixII,
            _ => Feature::AppendixIII,
        };
        parts.push((app, format!("Appendix {appendix}")));
        if e.folded && ev.tricks.is_none() {
            parts.push((
                Feature::Folded,
                // The reason says how it was folded.
                "the folding".into(),
            ));
        }
        scored.push(((li, ti), taxon, e, parts));
    }
    let total_of = |p: &[(Feature, String)]| p.iter().map(|x| weight(x.0)).sum::<i32>();
    let best = scored.iter().map(|(_, _, _, p)| total_of(p)).max();
    let negated = |key: &(usize, usize)| ev.negated.values().any(|taxa| taxa.contains(key));
    // Of those as strong, the animal or plant the most distinct words of
    // the listing speak for: taxa as strong that hold one another (a
    // species and its family) are one animal, and its words are the names
    // and product words of any of them or of a taxon holding or held by
    // one, each once. "African grey parrot with ivory cage cover" names the
    // parrot by more words than the ivory. Only animals with a taxon none
    // of whose matches a decoy took away, named by a term that needs no
    // context, are weighed where there are any (as below): "Bukan gading
    // gajah … paruh rangkong gading" names the elephant's ivory only to
    // deny it. Which of one animal's taxa counts is decided below, as
    // before.
    let strong: Vec<(TaxonKey, bool)> = scored
        .iter()
        .filter(|(_, _, _, p)| Some(total_of(p)) == best)
        .map(|(key, _, e, _)| (*key, !negated(key) && !e.needs_context))
        .collect();
    // Each taxon's animal: the first of the taxa as strong it is linked to
    // through a chain of related ones.
    let mut animal: Vec<usize> = (0..strong.len()).collect();
    for i in 0..strong.len() {
        for j in 0..i {
            if related(lists, strong[i].0, strong[j].0) {
                let (from, to) = (animal[i].max(animal[j]), animal[i].min(animal[j]));
                for a in &mut animal {
                    if *a == from {
                        *a = to;
                    }
                }
            }
        }
    }
    let any_plain = strong.iter().any(|&(_, plain)| plain);
    let weighed = |a: usize| !any_plain || (0..strong.len()).any(|i| animal[i] == a && strong[i].1);
    // How many words name each animal, counted once for all of them (each
    // word against each taxon as strong: a listing naming hundreds of taxa
    // stays linear in its words).
    let mut words = vec![0usize; strong.len()];
    let mut named = vec![false; strong.len()];
    for w in ev
        .names_written
        .values()
        .chain(ev.products_written.values())
    {
        named.fill(false);
        for (i, &(key, _)) in strong.iter().enumerate() {
            if !named[animal[i]] && w.taxa.iter().any(|&t| related(lists, key, t)) {
                named[animal[i]] = true;
                words[animal[i]] += 1;
            }
        }
    }
    let most = (0..strong.len())
        .filter(|&i| weighed(animal[i]))
        .map(|i| words[animal[i]])
        .max();
    let supported: Vec<TaxonKey> = (0..strong.len())
        .filter(|&i| weighed(animal[i]) && Some(words[animal[i]]) == most)
        .map(|i| strong[i].0)
        .collect();
    let strongest = scored.iter().filter(|(key, ..)| supported.contains(key));
    let chosen = most_specific(
        strongest
            .clone()
            .filter(|(key, _, e, _)| !negated(key) && !e.needs_context)
            .map(|(key, taxon, e, _)| (*key, *taxon, *e)),
    )
    .or_else(|| strongest.clone().next().map(|(key, ..)| *key))
    .map(|chosen| {
        named_more_fully(
            chosen,
            strongest
                .clone()
                .filter(|(key, ..)| !negated(key))
                .map(|(key, taxon, _, _)| (*key, *taxon)),
            ev,
            lists,
        )
    });
    let mut counted: Option<Vec<Part>> = None;
    // Where in `taxa` (one per scored taxon, in order) the taxon that
    // counts is: it goes first.
    let counted_at = scored.iter().position(|(key, ..)| Some(*key) == chosen);
    for (key, taxon, e, parts) in scored {
        taxa.push(TaxonOut {
            scientific_name: taxon.scientific_name.clone(),
            appendix: taxon.appendix.clone(),
            group: taxon.group.clone(),
        });
        let what = match e.kind {
            TermKind::CodeWord => "trade code word",
            TermKind::Product => "product word",
            TermKind::ScientificName | TermKind::Synonym | TermKind::Abbreviation => {
                "scientific name"
            }
            TermKind::CommonName => "common name",
            TermKind::Emoji => "emoji",
        };
        let article = if what.starts_with('e') { "an" } else { "a" };
        let total = total_of(&parts);
        let counts = Some(key) == chosen;
        let breakdown = parts
            .iter()
            .enumerate()
            .filter(|(i, (f, _))| *i == 0 || weight(*f) != 0)
            .map(|(i, (f, label))| match i {
                0 => format!("{} for {article} {what}", weight(*f)),
                _ => format!("{:+} for {label}", weight(*f)),
            })
            .collect::<Vec<_>>()
            .join(", ");
        if counts {
            counted = Some(
                parts
                    .iter()
                    .map(|(f, _)| Part {
                        feature: *f,
                        times: 1,
                    })
                    .collect(),
            );
        }
        reasons.push(Reason::new(
            if counts { total } else { 0 },
            format!(
                "{what} {} points to {} (CITES Appendix {}{}){}{}; {}",
                quoted(&e.written),
                taxon.scientific_name,
                taxon.appendix,
                match taxon.appendix.rsplit_once('/') {
                    Some((_, least)) => format!(
                        ": a split listing, its least protected part Appendix {least}, as warden does not tell from the text which part is traded"
                    ),
                    None => String::new(),
                },
                match (e.needs_context, &e.beside) {
                    (true, Some(word)) => format!(
                        "; an emoji is never evidence alone, counted because the product-form, part or live-animal word {} is within {EMOJI_REACH} characters of it",
                        quoted(word)
                    ),
                    (true, None) => {
                        "; an everyday word too, counted because a product-form, part or live-animal word is also there".to_string()
                    }
                    (false, _) => String::new(),
                },
                if e.masked {
                    "; read with one letter hidden behind a symbol, which could also stand for another letter".to_string()
                } else if e.tricks {
                    "; matched only after undoing spelling tricks".to_string()
                } else if e.folded {
                    format!("; matched only with {}", e.folds.describe())
                } else {
                    String::new()
                },
                if counts {
                    breakdown
                } else if Some(total) == best {
                    format!(
                        "{breakdown}, not counted: as strong as the taxon that counts, but only one taxon's evidence scores"
                    )
                } else {
                    format!("{breakdown}, not counted: only the strongest taxon's evidence scores")
                }
            ),
        ));
        if e.kind == TermKind::CodeWord
            && let Some(note) = taxon
                .terms
                .iter()
                .find(|t| t.kind == TermKind::CodeWord && t.text == e.written && t.note.is_some())
                .or_else(|| {
                    taxon
                        .terms
                        .iter()
                        .find(|t| t.kind == TermKind::CodeWord && t.note.is_some())
                })
                .and_then(|t| t.note.clone())
        {
            reasons.push(Reason::new(0, format!("code word source: {note}")));
        }
    }
    // The taxon whose evidence counts first, the others in list order: a
    // reader of the first taxon (a spreadsheet's first name, a report's
    // first entry) reads the one the score stands on, not the first in the
    // list (Elephantidae beside a counted hornbill).
    if let Some(i) = counted_at {
        taxa[..=i].rotate_right(1);
    }
    (taxa, counted.unwrap_or_default(), chosen)
}

/// Points for the context: product words with names, sale, contact, price,
/// cover, form and news cues.
fn context_part(
    ev: &Evidence,
    lists: &[KeywordList],
    counted: Option<TaxonKey>,
    text: &str,
    langs: &Languages,
    reasons: &mut Vec<Reason>,
) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut add = |reasons: &mut Vec<Reason>, f: Feature, times: i32, text: String| {
        reasons.push(Reason::new(weight(f) * times, text));
        parts.push(Part { feature: f, times });
    };
    // A name or code word with a product word other than itself (inside
    // it, "rhino" in "rhino horn cup", or beside it), not one word listed
    // as both (炮山甲); a code word ("cow bone") is no species name. The
    // product word is of the name's own taxon, or of one holding it or held
    // by it ("Bengal tiger" and "cat fur"), not of another animal ("tiger
    // cub" beside an "ivory blanket").
    //
    // Of a name's related pairs, the one the reason can best stand on: of
    // the taxon that counts where there is one, then the name's most
    // specific taxon ("Ball python" names Python regius before the
    // pythons' family, which lists it too), then the product word's.
    let of_counted = |a: TaxonKey| counted.is_some_and(|c| related(lists, c, a));
    let specific = |(l, t): TaxonKey| lists[l].taxa[t].rank_specificity();
    let pair_of = |a: &Written, b: &Written| {
        a.taxa
            .iter()
            .flat_map(|&ka| {
                b.taxa
                    .iter()
                    .filter(move |&&kb| related(lists, ka, kb))
                    .map(move |&kb| (ka, kb))
            })
            .min_by_key(|&(ka, kb)| {
                (
                    !of_counted(ka),
                    std::cmp::Reverse(specific(ka)),
                    std::cmp::Reverse(specific(kb)),
                )
            })
    };
    let pairs: Vec<(&Written, &Written, TaxonKey, TaxonKey)> = ev
        .names_written
        .iter()
        .filter_map(|(name, w)| {
            ev.products_written
                .iter()
                .filter(|(p, _)| p != &name)
                .find_map(|(_, p)| pair_of(w, p).map(|(a, b)| (w, p, a, b)))
        })
        .collect();
    // The pair the reason names: one of the taxon that counts, or related
    // to it, where there is one ("Leopard cub … tiger bone wine" counted as
    // the tiger names the tiger's pair), then one with a name proper.
    let rank = |&(w, _, a, _): &(&Written, &Written, TaxonKey, TaxonKey)| {
        2 * usize::from(!of_counted(a)) + usize::from(!w.proper)
    };
    if let Some(&(name, product, a, b)) = pairs.iter().min_by_key(|p| rank(p)) {
        let [ta, tb] = [a, b].map(|(l, t)| &lists[l].taxa[t]);
        // "A listed name": the list files a name under a taxon's entry,
        // which may be a family or order holding the species the name
        // means ("bald eagle" under Accipitriformes), so the reason says
        // only that it is listed, and the pair names the entry.
        let which = if name.proper {
            "a listed name".to_string()
        } else {
            format!("a trade code word ({})", quoted(&name.first))
        };
        let (n, p) = (quoted(&name.first), quoted(&product.first));
        let pair = if a == b {
            format!("of the same taxon: {n} and {p} ({})", ta.scientific_name)
        } else if ta.rank_specificity() > tb.rank_specificity() {
            format!(
                "of a related taxon: {n} ({}) and {p} ({}, which holds {0})",
                ta.scientific_name, tb.scientific_name
            )
        } else {
            format!(
                "of a related taxon: {n} ({}) and {p} ({}, within {0})",
                ta.scientific_name, tb.scientific_name
            )
        };
        add(
            reasons,
            Feature::NameAndProduct,
            1,
            format!("{which} appears together with a product word {pair}"),
        );
    }
    let product_taxa = ev
        .per_taxon
        .values()
        .filter(|e| e.kind == TermKind::Product)
        .count();
    if product_taxa > 1 && ev.names_written.is_empty() {
        add(
            reasons,
            Feature::SeveralTaxa,
            1,
            format!("product words of {product_taxa} taxa"),
        );
    }
    // An amount is quoted where there is one; otherwise the price word,
    // which says only that the listing speaks of a price ("DM for price").
    let price = has_price(text, langs, &ev.quoted);
    // A phone number counts as contact wording where no contact word is
    // given.
    let no_contact = !ev.cues.contains_key(&CueKind::Contact);
    let phone = if no_contact {
        has_phone(text, &ev.quoted)
    } else {
        None
    };
    // An amount or a phone number only inside a quotation is reported too.
    // The reason names the quotation that held it.
    let reported = ev.reported.or_else(|| {
        let none = Spans::default();
        let price_quoted = price.is_none();
        let phone_quoted = no_contact && phone.is_none();
        ev.quoted.spans.iter().copied().find(|&(s, e)| {
            let q = &text[s..e];
            price_quoted && has_price(q, langs, &none).is_some()
                || phone_quoted && has_phone(q, &none).is_some()
        })
    });
    if let Some(q) = reported {
        reasons.push(Reason::new(
            0,
            format!(
                "sale, contact and price wording, amounts, phone numbers and cover claims inside the quotation {} do not count: a quotation within a longer text is read as someone else's words, not the poster's offer",
                quoted(&opening_words(&text[q.0..q.1], QUOTE_SHOWN))
            ),
        ));
    }
    let price = price
        .map(|p| format!("a price is given ({})", quoted(&p)))
        .or_else(|| {
            ev.cues
                .get(&CueKind::Price)
                .map(|w| format!("price wording {}", quoted(w)))
        });
    for (kind, f, label) in [
        (CueKind::Sale, Feature::Sale, "sale or purchase wording"),
        (
            CueKind::Contact,
            Feature::Contact,
            "contact, delivery or payment wording",
        ),
    ] {
        if let Some(w) = ev.cues.get(&kind) {
            add(reasons, f, 1, format!("{label} {}", quoted(w)));
        }
    }
    if let Some(phone) = phone {
        add(
            reasons,
            Feature::Contact,
            1,
            format!("a phone number is given ({})", quoted(phone)),
        );
    }
    if !ev.cues.contains_key(&CueKind::Sale)
        && let Some((link, tags)) = link_and_hashtags(text)
    {
        add(
            reasons,
            Feature::Sale,
            1,
            format!(
                "a link ({}) with {tags} hashtags, as shops post offers on social media",
                quoted(link)
            ),
        );
    }
    if let Some(p) = price {
        add(reasons, Feature::Price, 1, p);
    }
    if let Some(w) = ev.cues.get(&CueKind::Cover) {
        add(
            reasons,
            Feature::Cover,
            1,
            format!(
                "claims {}: sellers of listed species often claim age, origin, papers, legality or genuineness (not a proof either way)",
                quoted(w)
            ),
        );
    }
    // A size or weight counts only beside a product-form, part or
    // live-animal word or a product word: "Pangolins weigh 1.6 to 33 kg"
    // describes the animal, not goods.
    let goods = ev.cues.contains_key(&CueKind::Form) || !ev.products_written.is_empty();
    if let Some(m) = has_measure(text).filter(|_| goods) {
        add(
            reasons,
            Feature::Measure,
            1,
            format!("a number with a unit of length or weight ({})", quoted(&m)),
        );
    }
    if let Some(w) = ev.cues.get(&CueKind::Form) {
        add(
            reasons,
            Feature::Form,
            1,
            format!("a product-form, part or live-animal word {}", quoted(w)),
        );
    }
    if !ev.news.words.is_empty() {
        let n = ev.news.words.len().min(2);
        let words = ev.news.quoted(n);
        add(
            reasons,
            Feature::News,
            n as i32,
            format!(
                "wording of news, advocacy or enforcement ({words}): such posts report on the trade rather than offer"
            ),
        );
    }
    if !ev.questions.words.is_empty() {
        let words = ev.questions.quoted(2);
        add(
            reasons,
            Feature::Question,
            1,
            format!(
                "wording of a question about the law ({words}): people asking whether they may sell or keep something are usually not offering it"
            ),
        );
    }
    parts
}

/// Most decoy reasons written for one listing; further decoys are summed
/// in one last reason.
const MAX_DECOY_REASONS: usize = 20;

/// A decoy counts against the listing when it names no particular word
/// (a toy, a print), when it took away a species hit of the taxon whose
/// evidence counts (the colour "ivory white" next to another "ivory"), or,
/// taking away none, when it applies to that taxon. A decoy that took away
/// only another taxon's hits does not count: "geen ivoor" (not ivory) says
/// nothing against the helmeted hornbill named beside it. Each occurrence
/// counts, except one inside a longer decoy that counts (売約済 in 売約済み):
/// that is one wording; the same wording found several times gets one
/// reason.
fn decoy_part(
    decoys: &[Decoy],
    matcher: &Matcher,
    counted: Option<(usize, usize)>,
    negated: &BTreeMap<(usize, usize), BTreeSet<(usize, usize)>>,
    reasons: &mut Vec<Reason>,
) -> Vec<Part> {
    let counted_terms = counted.map(|(l, t)| matcher.folded_terms(l, t));
    // First written form -> times found, in order of first appearance;
    // wordings that differ only in case or accents ("Tiger Balm",
    // "tiger balm") are one.
    let mut found: Vec<(&str, i32)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = Default::default();
    let mut times = 0;
    // Per cue group: whether it applies to the counted taxon.
    let mut relevant_seen: std::collections::HashMap<(usize, usize), bool> = Default::default();
    let relevant: Vec<&Decoy> = decoys
        .iter()
        .filter(|d| d.penalty())
        .filter(|d| {
            d.applies_to.is_empty()
                || match negated.get(&(d.start, d.end)) {
                    Some(taxa) => counted.is_some_and(|c| taxa.contains(&c)),
                    None => *relevant_seen
                        .entry(d.cue)
                        .or_insert_with(|| counted_terms.is_some_and(|t| d.applies_to_taxon(t))),
                }
        })
        .collect();
    // A decoy inside a longer one that counts is part of it: 売約済 in
    // 売約済み (sold) is one wording, not two.
    let longer = Spans::new(relevant.iter().map(|d| (d.start, d.end)).collect());
    // One decoy per place: the same wording listed in two languages (zh-Hans
    // and zh-Hant 不是象牙) or two groups is found once.
    let mut places = std::collections::HashSet::new();
    for d in relevant {
        if !longer.hold((d.start, d.end), true) && places.insert((d.start, d.end)) {
            times += 1;
            let i = *index.entry(fold(&d.written)).or_insert_with(|| {
                found.push((d.written.as_str(), 0));
                found.len() - 1
            });
            found[i].1 += 1;
        }
    }
    let w = weight(Feature::Decoy);
    let mut rest = (0, 0);
    for (i, (written, n)) in found.iter().enumerate() {
        if i >= MAX_DECOY_REASONS {
            rest = (rest.0 + n, rest.1 + 1);
            continue;
        }
        reasons.push(Reason::new(
            w * n,
            format!(
                "decoy context {}{} usually means no offer of a listed species",
                quoted(written),
                if *n > 1 {
                    format!(" (found {n} times)")
                } else {
                    String::new()
                }
            ),
        ));
    }
    if rest.0 > 0 {
        reasons.push(Reason::new(
            w * rest.0,
            format!(
                "{} more decoy contexts, in {} other wordings",
                rest.0, rest.1
            ),
        ));
    }
    if times > 0 {
        vec![Part {
            feature: Feature::Decoy,
            times,
        }]
    } else {
        Vec::new()
    }
}

/// Points for spelling tricks meant to slip past keyword filters. Claimed
/// only where the text differs from every spelling of the term (the
/// matcher marks a hit as tricks only then).
fn tricks_part(ev: &Evidence, reasons: &mut Vec<Reason>) -> Vec<Part> {
    if let Some(w) = &ev.tricks {
        reasons.push(Reason::new(
            weight(Feature::Tricks),
            format!(
                "written as {}, which differs from every listed spelling of the term by look-alike characters, separators between letters or invisible characters, as used to slip past keyword filters",
                quoted(w)
            ),
        ));
        vec![Part {
            feature: Feature::Tricks,
            times: 1,
        }]
    } else {
        if ev.all_folded {
            reasons.push(Reason::new(
                0,
                format!(
                    "every species match was found only with {}{}",
                    ev.folds.describe(),
                    ev.folds
                        .caveat()
                        .map(|c| format!(" ({c})"))
                        .unwrap_or_default()
                ),
            ));
        }
        Vec::new()
    }
}

/// Scores `text` with `matcher` over `lists`: the best species evidence,
/// then context, decoys and tricks, clamped to 0–100.
pub fn score(
    text: &str,
    hits: &[Hit],
    matcher: &Matcher,
    lists: &[KeywordList],
    min_score: u32,
) -> Scored {
    let empty = |matches, reasons| Scored {
        score: 0,
        flagged: false,
        taxa: Vec::new(),
        matches,
        reasons,
        features: BTreeMap::new(),
    };
    let any_species = hits.iter().any(|h| {
        matcher
            .terms_of(h.pattern)
            .iter()
            .any(|t| matches!(t.category, Category::Species(_)))
    });
    if !any_species {
        return empty(Vec::new(), Vec::new());
    }
    let mut langs = Languages::of(text);
    if !langs.reads_as_text() {
        return empty(
            Vec::new(),
            vec![Reason::new(
                0,
                format!(
                    "the text does not read as written language ({}% letters, {}% control or unreadable characters): no points are given",
                    langs.letters_percent, langs.junk_percent
                ),
            )],
        );
    }
    // Long species terms found as written say which language the listing
    // is in ("nga voi" is Vietnamese even without its accents). Wording of
    // several languages ("orquídea": Spanish and Portuguese) names them only
    // where whatlang could not name the language of the text: a Portuguese
    // listing is not Spanish as well because of it.
    for h in hits {
        let exact_form = (!h.folded).then(|| super::Written::new(&text[h.start..h.end]));
        let mut named = std::collections::BTreeSet::new();
        for t in matcher.terms_of(h.pattern) {
            let as_written = exact_form.as_ref().is_none_or(|w| w.is(&t.canonical));
            if matches!(t.category, Category::Species(_))
                && !h.tricks
                && as_written
                && (t.term.contains(' ') || (!h.folded && term_chars(&t.term) >= 5))
            {
                match super::lang::base(&t.lang) {
                    // Scientific names and symbols name no language.
                    "la" | "*" => {}
                    // Indonesian and Malay count as one (`Languages::fits`).
                    "ms" => {
                        named.insert("id");
                    }
                    b => {
                        named.insert(b);
                    }
                }
            }
        }
        if named.len() == 1 || langs.latin_unidentified() {
            for lang in named {
                langs.add(lang);
            }
        }
    }
    // In Latin-script text too short for whatlang to name its language,
    // Latin-script sale, contact and price wording found as written, of two
    // words or of five letters or more, says which language it is ("venta
    // por kilo", "pedidos por interno"), when that wording belongs to one
    // language only and not to English ("inbox" is listed under six). Only
    // cues of that language found as written then count, never a match
    // that needed accents folded.
    if langs.latin_unidentified() {
        let mut found = Vec::new();
        for h in hits.iter().filter(|h| !h.folded) {
            let terms = matcher.terms_of(h.pattern);
            let cue_langs: std::collections::BTreeSet<&str> = terms
                .iter()
                .filter(|t| matches!(t.category, Category::Cue(_)))
                .map(|t| super::lang::base(&t.lang))
                .collect();
            if cue_langs.len() != 1 || cue_langs.contains("en") || cue_langs.contains("*") {
                continue;
            }
            let written = super::Written::new(&text[h.start..h.end]);
            for t in terms {
                let latin =
                    t.term.chars().next().is_some_and(|c| {
                        c.is_ascii_alphabetic() || super::spaced_word_char(Some(c))
                    }) && t.term.chars().all(|c| {
                        !c.is_alphabetic()
                            || c.is_ascii()
                            || (c as u32) < 0x250
                            || matches!(c as u32, 0x1E00..=0x1EFF)
                    });
                if matches!(
                    t.category,
                    Category::Cue(CueKind::Sale | CueKind::Contact | CueKind::Price)
                ) && latin
                    && (t.term.contains(' ') || term_chars(&t.term) >= 5)
                    && written.is(&t.canonical)
                {
                    found.push(t.lang.clone());
                }
            }
        }
        for l in found {
            langs.add_from_cue(&l);
        }
    }
    let decoys = find_decoys(text, hits, matcher, lists, &langs);
    let pictures = find_pictures(text, hits, matcher, lists, &langs);
    let forms_inside = forms_inside_other_words(text, hits, matcher, lists);
    let ev = gather(
        text,
        hits,
        matcher,
        &decoys,
        &pictures,
        &forms_inside,
        &langs,
    );
    let mut reasons = Vec::new();
    let (taxa, species_parts, counted) = species_part(&ev, lists, &mut reasons);
    for (key, written) in &ev.without_context {
        let taxon = &lists[key.0].taxa[key.1];
        reasons.push(Reason::new(
            0,
            format!(
                "{} could point to {} but {}",
                quoted(written),
                taxon.scientific_name,
                if crate::species::emoji_char(written).is_some() {
                    format!("an emoji is never evidence alone; it counts only with a product-form, part or live-animal word at most {EMOJI_REACH} characters from it (not one inside a decoy or an everyday word), and none is")
                } else {
                    "is also an everyday word; it counts only with a product-form, part or live-animal word elsewhere in the listing (not one inside a decoy or an everyday word), and there is none".to_string()
                }
            ),
        ));
    }
    for p in &ev.pictured {
        let names: Vec<&str> = p
            .taxa
            .iter()
            .filter(|key| !ev.per_taxon.contains_key(key))
            .map(|key| lists[key.0].taxa[key.1].scientific_name.as_str())
            .collect();
        if names.is_empty() {
            continue;
        }
        reasons.push(Reason::new(
            0,
            format!(
                "{} could point to {} but is written beside {}, a word for a print, the shape of the animal or what a piece depicts; it does not count",
                quoted(&p.written),
                names.join(" or "),
                quoted(&p.picture),
            ),
        ));
    }
    if ev.per_taxon.is_empty() {
        return empty(ev.matches, reasons);
    }
    let mut parts = species_parts;
    parts.extend(context_part(
        &ev,
        lists,
        counted,
        text,
        &langs,
        &mut reasons,
    ));
    parts.extend(decoy_part(
        &decoys,
        matcher,
        counted,
        &ev.negated,
        &mut reasons,
    ));
    for u in &ev.unlisted {
        reasons.push(Reason::new(
            0,
            format!(
                "{} names goods of an animal that CITES does not list; a species word inside it, or a product word sharing words with it, does not count",
                quoted(u)
            ),
        ));
    }
    // Where another term of the same taxon counts, the word may well mean
    // the species after all ("echte oud (agarhout)"): nothing is claimed.
    let mut said: Vec<&str> = Vec::new();
    for (w, lang, key) in &ev.homographs {
        if ev.per_taxon.contains_key(key) || said.contains(&w.as_str()) {
            continue;
        }
        said.push(w);
        reasons.push(Reason::new(
            0,
            format!(
                "{} is read as a word of the listing's language ({lang}), not as the species term of another language spelt the same, and does not count",
                quoted(w)
            ),
        ));
    }
    parts.extend(tricks_part(&ev, &mut reasons));
    let total: i32 = parts.iter().map(|p| weight(p.feature) * p.times).sum();
    let score = total.clamp(0, 100);
    if score != total {
        reasons.push(Reason::new(
            score - total,
            format!("the points add up to {total}; a score is kept between 0 and 100"),
        ));
    }
    let mut features = BTreeMap::new();
    for p in parts {
        *features.entry(p.feature).or_insert(0) += p.times;
    }
    let score = score as u32;
    Scored {
        score,
        flagged: score >= min_score,
        taxa,
        matches: ev.matches,
        reasons,
        features,
    }
}

#[cfg(test)]
mod reason_tests {
    use super::*;

    #[test]
    fn decoys_near_finds_every_decoy_sharing_text_and_pictured_near_every_name_holding_a_hit() {
        let decoy = |start, end| Decoy {
            start,
            end,
            cue: (0, 0),
            applies_to: Vec::new(),
            written: String::new(),
            kind: Neutral::Decoy,
            lang: String::new(),
        };
        let spans = [(0, 5), (3, 20), (10, 12), (14, 15), (30, 35), (34, 36)];
        let decoys: Vec<Decoy> = spans.iter().map(|&(s, e)| decoy(s, e)).collect();
        let pictured: Vec<PicturedSpan> = spans
            .iter()
            .map(|&(start, end)| PicturedSpan {
                start,
                end,
                picture: String::new(),
            })
            .collect();
        let longest = spans.iter().map(|(s, e)| e - s).max().unwrap();
        for start in 0..40 {
            for end in start + 1..42 {
                let h = plain_hit(start, end);
                let near: Vec<(usize, usize)> = decoys_near(&decoys, longest, &h)
                    .iter()
                    .map(|d| (d.start, d.end))
                    .collect();
                for &(s, e) in &spans {
                    if s < end && start < e {
                        assert!(near.contains(&(s, e)), "{start}..{end} misses {s}..{e}");
                    }
                }
                // Pictured names: every one that holds the hit is near it.
                let near: Vec<(usize, usize)> = pictured_near(&pictured, longest, &h)
                    .iter()
                    .map(|p| (p.start, p.end))
                    .collect();
                for &(s, e) in &spans {
                    if within((start, end), (s, e)) {
                        assert!(near.contains(&(s, e)), "{start}..{end} misses {s}..{e}");
                    }
                }
            }
        }
    }

    /// A hit found as written, of pattern 0.
    fn plain_hit(start: usize, end: usize) -> Hit {
        Hit {
            start,
            end,
            folded: false,
            tricks: false,
            masked: false,
            pattern: 0,
        }
    }

    #[test]
    fn a_picture_word_pictures_only_the_name_right_beside_it_on_its_side() {
        let at = |text: &str, word: &str| {
            let start = text.find(word).unwrap();
            (start, start + word.len())
        };
        let hit = |(start, end)| plain_hit(start, end);
        let picture = |(start, end), side| Picture {
            start,
            end,
            side,
            written: String::new(),
        };
        let beside = |text: &str, name: &str, word: &str, side| {
            picture(at(text, word), side).pictures(text, &hit(at(text, name)))
        };
        assert!(beside("tiger print", "tiger", "print", NameSide::Before));
        assert!(beside("tiger-print", "tiger", "print", NameSide::Before));
        assert!(beside(
            "estampa de  tucanos",
            "tucanos",
            "estampa de",
            NameSide::After
        ));
        assert!(beside("大象图案", "大象", "图案", NameSide::Before));
        assert!(beside(
            "en forme d'éléphant",
            "éléphant",
            "en forme d",
            NameSide::After
        ));
        assert!(beside(
            "en forme d\u{2019}éléphant",
            "éléphant",
            "en forme d",
            NameSide::After
        ));
        // The wrong side, or anything but spaces, one hyphen and one
        // apostrophe between.
        assert!(!beside("tiger ''print", "tiger", "print", NameSide::Before));
        assert!(!beside("print tiger", "tiger", "print", NameSide::Before));
        assert!(!beside("หนังเสือลาย", "เสือ", "ลาย", NameSide::After));
        assert!(!beside("tiger, print", "tiger", "print", NameSide::Before));
        assert!(!beside("tiger--print", "tiger", "print", NameSide::Before));
        assert!(!beside(
            "tiger and print",
            "tiger",
            "print",
            NameSide::Before
        ));
        // Inside a longer word: ลาย in ปลาย (tip), not in ลายเสือ.
        let text = "ปลายเสือ ลายเสือ";
        let first = at(text, "ลาย");
        assert!(inside_word(text, first, "ปลาย"));
        let second = text.rfind("ลาย").unwrap();
        assert!(!inside_word(text, (second, second + "ลาย".len()), "ปลาย"));
        assert!(!inside_word("ลาย", (0, "ลาย".len()), "ปลาย"));
    }

    /// The points of the reasons add up to the score, whatever the listing.
    #[test]
    fn reason_points_add_up_to_the_score() {
        let lists = crate::species::load_lists(&[]).unwrap();
        let m = Matcher::new(&lists).unwrap();
        for text in [
            "Carved bovine bone bangle for sale, $250, WhatsApp me",
            "Ivory white wedding dress, ivory white, ivory white shoes, ivory",
            "pangolin scales and elephant ivory tusk, rhino horn, antique, pre-ban, 出售 象牙",
            "ban nga voi",
            "p@ngolin sc4les",
            "Tiger Balm",
        ] {
            let hits = m.find(text);
            let s = score(text, &hits, &m, &lists, DEFAULT_MIN_SCORE);
            let sum: i32 = s.reasons.iter().map(|r| r.points.unwrap()).sum();
            if !s.taxa.is_empty() {
                assert_eq!(sum, s.score as i32, "{text}: {:#?}", s.reasons);
            }
        }
    }

    /// An emoji counts only with a product-form, part or live-animal word
    /// at most `EMOJI_REACH` characters away, and an everyday word only
    /// with one outside itself; otherwise a 0-point reason says why not.
    #[test]
    fn context_must_be_near_an_emoji_and_outside_an_everyday_word() {
        let lists = crate::species::load_lists(&[]).unwrap();
        let m = Matcher::new(&lists).unwrap();
        let run = |text: &str| score(text, &m.find(text), &m, &lists, DEFAULT_MIN_SCORE);
        // n characters between the emoji and the word.
        let gap = |n: usize| format!("🦏 {} powder", "x".repeat(n - 2));
        let near = run(&gap(40));
        assert_eq!(near.taxa.len(), 1, "{:#?}", near.reasons);
        assert!(
            near.reasons.iter().any(|r| r.text.contains(
                "counted because the product-form, part or live-animal word \"powder\" is within 40 characters of it"
            )),
            "{:#?}",
            near.reasons
        );
        for n in [41, 60] {
            let far = run(&gap(n));
            assert!(far.taxa.is_empty(), "{n}: {:#?}", far.reasons);
            assert!(
                far.reasons.iter().any(|r| r.points == Some(0)
                    && r.text.starts_with(
                        "\"🦏\" could point to Rhinocerotidae but an emoji is never evidence alone"
                    )
                    && r.text.ends_with(
                        "at most 40 characters from it (not one inside a decoy or an everyday word), and none is"
                    )),
                "{n}: {:#?}",
                far.reasons
            );
        }
        // "bear claw" (a pastry) holds "claw" but is no context, for itself
        // or for an emoji; nor is "bone" inside a decoy or inside "cow bone".
        for text in [
            "Almond bear claw, $3.50 each",
            "🐻 Almond bear claw, $3.50 each",
            "Natural cow bone dog chews. Pack of 5 cow bone chews, $12",
        ] {
            let s = run(text);
            assert!(s.taxa.is_empty(), "{text}: {:#?}", s.reasons);
            assert!(
                s.reasons.iter().any(|r| r.points == Some(0)
                    && r.text.contains("is also an everyday word")
                    // A form word, not a product word of another taxon: the
                    // reason says which kind of word is missing.
                    && r.text.contains(
                        "counts only with a product-form, part or live-animal word elsewhere"
                    )
                    && r.text.ends_with("and there is none")),
                "{text}: {:#?}",
                s.reasons
            );
        }
        let claw = run("Real bear claw on a leather cord, $120, DM me");
        assert!(claw.flagged, "{:#?}", claw.reasons);
        assert_eq!(claw.taxa.len(), 1, "{:#?}", claw.reasons);
        assert_eq!(claw.taxa[0].scientific_name, "Ursidae");
        // The part word a reason quotes is one that gives context, not
        // "baby" of a decoy.
        let rhino = run("baby blanket $5, and 🦏 powder, WhatsApp me");
        assert!(
            rhino
                .reasons
                .iter()
                .any(|r| r.text == "a product-form, part or live-animal word \"powder\""),
            "{:#?}",
            rhino.reasons
        );
    }

    #[test]
    fn prices_are_found_next_to_currency_words_and_symbols() {
        for (text, want) in [
            ("Ivory bangle $250 ono", Some("bangle $250 ono")),
            ("giá 1.200.000đ liên hệ", Some("giá 1.200.000đ liên hệ")),
            ("24k gold ring", None),
            ("à vendre 300 € chacun", Some("à vendre 300 € chacun")),
            ("only 300 USD each", Some("only 300 USD each")),
            ("RM 300", Some("RM 300")),
            (
                "solid rosewood, HK$48,000. Delivery",
                Some("HK$48,000. Delivery"),
            ),
            ("a bangle NT$4800 each", Some("bangle NT$4800 each")),
            ("carving, US$480 ono", Some("US$480 ono")),
            ("size 42, 3 pieces", None),
            ("model X300 usda", None),
            ("Cọc giữ 2tr, tổng 12tr", Some("Cọc giữ 2tr, tổng")),
            ("ngà voi thật, 1tr5 một chiếc", Some("voi thật, 1tr5 một")),
            ("bán 2 trứng gà", None),
            ("size 2 trainers", None),
            ("Sách khổ lớn 350 tr, nhiều ảnh màu", None),
            ("Clip tê giác đã đạt 2tr view", None),
            ("Kênh về voi đã đạt 1tr5 lượt theo dõi", None),
            ("Vòng ngà voi thật, đã có 500k lượt xem", None),
            (
                "Vòng ngà voi thật, giá 500k, ai cần ib",
                Some("thật, giá 500k, ai cần"),
            ),
            ("흑산호 108염주 팔찌 30만원", Some("108염주 팔찌 30만원")),
            (
                "흑산호 팔찌 5만 원 직거래",
                Some("흑산호 팔찌 5만 원 직거래"),
            ),
            ("象牙手镯 售价3万元 包邮", Some("象牙手镯 售价3万元 包邮")),
            ("象牙の根付 3万円", Some("象牙の根付 3万円")),
            ("穿山甲 5千克", None),
            ("存栏3万只", None),
            ("URGE VENDER guacamaya, 800 dólares", Some("800 dólares")),
            ("Продаю клык, 3000 рублей", Some("клык, 3000 рублей")),
            ("100 real photos", None),
            (
                "상아 도장 15만원에 팝니다",
                Some("상아 도장 15만원에 팝니다"),
            ),
            (
                "상아 도장 150,000원입니다",
                Some("상아 도장 150,000원입니다"),
            ),
            ("상아 조각 3백만원", Some("상아 조각 3백만원")),
            ("象牙手镯 售价3000元包邮", Some("象牙手镯 售价3000元包邮")),
            ("象牙の根付 30,000円です", Some("象牙の根付 30,000円です")),
            ("10块石头", None),
            (
                "en tablas, ₡18.000 el kilo",
                Some("tablas, ₡18.000 el kilo"),
            ),
            ("skins, KSh 2,500 each", Some("KSh 2,500 each")),
            ("caviar 450 zł za słoik", Some("caviar 450 zł za")),
            ("a bracelet, 1 200 SEK", Some("1 200 SEK")),
            ("skinn, NOK 2500", Some("NOK 2500")),
            ("de nok 250 cm, zelf", None),
            ("Naira 15 years old", None),
            ("w 30 sek. gotowe", None),
            ("under CLP 1272/2008", None),
            ("GH₵ 3,000 each", Some("GH₵ 3,000 each")),
            ("ivory comb 25₵, hairpin 10₵", None),
            ("PKR 2022 manifesto", None),
            ("PLN 2023: gardu listrik", None),
            ("tortoise 1500 UAH, Kyiv", Some("tortoise 1500 UAH, Kyiv")),
            ("18.000 colones el kilo", Some("18.000 colones")),
        ] {
            assert_eq!(
                has_price(text, &Languages::of(text), &Spans::default()).as_deref(),
                want,
                "{text}"
            );
        }
    }

    #[test]
    fn a_news_acronym_in_small_letters_is_another_word() {
        for (term, written) in [("TRAFFIC", "traffic"), ("PETA", "Peta"), ("УК РФ", "ук рф")]
        {
            assert!(acronym_in_other_case(term, written), "{term} as {written}");
        }
        for (term, written) in [
            ("TRAFFIC", "TRAFFIC"),
            ("УК РФ", "УК РФ"),
            ("PETA", "P.E.T.A"),
        ] {
            assert!(!acronym_in_other_case(term, written), "{term} as {written}");
        }
        // Not acronyms: words, and terms with a single letter.
        for (term, written) in [("seized", "seized"), ("Polizei", "polizei"), ("X", "x")] {
            assert!(!acronym_in_other_case(term, written), "{term} as {written}");
        }
    }

    #[test]
    fn lot_is_an_auction_lot_only_with_a_capital_and_its_number() {
        for rest in [
            " 45",
            "#8249",
            " no. 12",
            ". 152",
            " n° 3",
            " nº 45",
            " No 7",
            ": 291",
            " Nr. 4",
            " NR. 45",
            " Number 45",
            "-45",
            " (45)",
            " of 3 bangles",
        ] {
            assert!(auction_lot("Lot", rest), "Lot{rest}");
            assert!(auction_lot("LOT", rest), "LOT{rest}");
        }
        for rest in ["!) about", " nice 3", "", " no more", " of ivory", " one"] {
            assert!(!auction_lot("Lot", rest), "Lot{rest}");
        }
        // Prose: a small letter.
        for rest in [" 2 hours a day", ". 2019 figures", " of 20"] {
            assert!(!auction_lot("lot", rest), "lot{rest}");
        }
    }

    #[test]
    fn a_listing_is_written_with_marks_when_a_third_of_its_words_carry_them() {
        assert!(written_with_marks(
            "Khối trầm hương này là báu vật trời ban"
        ));
        assert!(!written_with_marks(
            "can ban vong nga voi that, khu vuc Hà Nội"
        ));
        assert!(!written_with_marks("ban nga voi, coc 500.000đ"));
        assert!(!written_with_marks("12345 !!!"));
    }

    #[test]
    fn a_cue_symbol_must_be_written_before_inside_or_after_the_match() {
        let at = |text: &str, word: &str| {
            let start = text.find(word).unwrap();
            plain_hit(start, start + word.len())
        };
        let t = "dress off-shoulder, 20% off";
        assert!(!symbols_written(t, &at(t, "off"), "% off"));
        let off = t.rfind("off").unwrap();
        assert!(symbols_written(t, &plain_hit(off, off + 3), "% off"));
        let t = "100 ekor disita; 350rb/ekor";
        assert!(!symbols_written(t, &at(t, "ekor"), "/ekor"));
        let e = t.rfind("ekor").unwrap();
        assert!(symbols_written(t, &plain_hit(e, e + 4), "/ekor"));
        let t = "Interesse? De interesse in";
        assert!(symbols_written(t, &at(t, "Interesse"), "interesse?"));
        assert!(!symbols_written(t, &at(t, "interesse"), "interesse?"));
        let t = "paypal f&f only";
        assert!(symbols_written(t, &at(t, "paypal f&f"), "paypal f&f"));
        // The symbol must be beside the match, not on a word further on.
        let t = "Waarom daalt de interesse niet? Onderzoekers";
        assert!(!symbols_written(t, &at(t, "interesse"), "interesse?"));
        // Full-width symbols are the same symbols.
        let t = "今だけ20％ off";
        assert!(symbols_written(t, &at(t, "off"), "% off"));
        let t = "350rb／ekor";
        assert!(symbols_written(t, &at(t, "ekor"), "/ekor"));
        // Spanish opening marks and hashtags are not required.
        let t = "es legal vender esto";
        assert!(symbols_written(
            t,
            &at(t, "es legal vender"),
            "¿es legal vender"
        ));
        assert!(symbols_written(
            "plain words",
            &at("plain words", "plain"),
            "plain"
        ));
    }

    #[test]
    fn phone_numbers_start_with_a_plus_or_a_zero_or_are_north_american_numbers_after_a_call_word_and_dates_book_numbers_and_fractions_are_not()
     {
        for (text, want) in [
            ("WhatsApp +00 000 000 00 now", Some("+00 000 000 00")),
            ("call 0912.345.678", Some("0912.345.678")),
            ("010-0000-0000 직거래", Some("010-0000-0000")),
            ("(00) 00000-0000", Some("(00) 00000-0000")),
            ("สนใจโทร 000-000-0000", Some("000-000-0000")),
            ("Rp 1.150.000", None),
            ("1.200.000đ", None),
            ("born 2023-05-01", None),
            ("0,5 kg", None),
            ("size 0 - 5 years", None),
            ("model X0000 00000", None),
            ("+3 more", None),
            ("0900 000", None),
            ("call 555-210-0000 after 5pm", Some("555-210-0000")),
            ("Call or text (555) 210-0000.", Some("(555) 210-0000")),
            ("txt 555.210.0000", Some("555.210.0000")),
            ("cell: (555)210-0000", Some("(555)210-0000")),
            ("call me at 555-210-0000", Some("555-210-0000")),
            ("📞 555-210-0000", Some("555-210-0000")),
            ("(555)210-0000", None),
            ("permit 312-004-2023", None),
            ("lengths 600-750-1000 mm", None),
            ("recall 555-210-0000", None),
            ("ISBN 962-201-9847", None),
            ("call 555-210.0000", None),
            ("call 555-210-0000-12", None),
            ("call 555-210-00001", None),
            ("call A555-210-0000", None),
            ("call 5552100000", None),
            ("call 555 210 0000", None),
            ("Call # 599-757-2014, shelf 3", None),
            ("seizures.txt 212-447-2023", None),
            ("full text 312-004-2023", None),
            ("call 555-010-0000", None),
            ("PH 917-432-2023", None),
            ("geschlüpft am 01.05.2024, frisst", None),
            ("Nachzucht vom 03.06.2023 2 Stück", None),
            ("born 01-05-2024", None),
            ("hatched 01.05.2024-03.06.2024", None),
            ("01.05.20245", Some("01.05.20245")),
            ("dated 03.04.1897", None),
            ("geschlüpft 01.05.24 10:30", None),
            ("tél 06.12.19.56.78", Some("06.12.19.56.78")),
            ("ISBN no. 0-19-852663-6", None),
            ("ISBN10: 0306406152", None),
            ("ISSN 0028-0836", None),
            ("mob 07700900123", Some("07700900123")),
            ("WA 081234567890", Some("081234567890")),
            ("weight 0.000123456 g", None),
            ("née le 05/07/2023 0612345678", Some("0612345678")),
            ("ISBN 0-306-40615-2, hardcover", None),
            ("isbn-10: 0306406152", None),
            ("Tel. 0306406152", Some("0306406152")),
        ] {
            assert_eq!(has_phone(text, &Spans::default()), want, "{text}");
        }
    }

    #[test]
    fn sizes_and_weights_are_a_number_with_a_unit() {
        for (text, found) in [
            ("丸玉10mm、無染色", true),
            ("通根 300g. 차로", true),
            ("甲長5cm前後", true),
            ("통뿌리 300그램에 팝니다", true),
            ("9 x 6 x 3.5 cm", true),
            ("bangle, 52 g, old", true),
            ("вес 980 гр, клетка", true),
            ("Galaxy S10 g", false),
            ("5g phone, 4g", false),
            ("５Ｇ対応", false),
            ("Dorpsstraat 5. Ons team", false),
            ("जिले के 25 ग्राम में", false),
            ("8 ký tự", false),
            ("駅から5キロ", false),
            ("101000, г Москва", false),
            ("шкура, 1980 г. выпуска", false),
            ("в 2021 г привезли", false),
            ("وزن ٩٨٠ غرام", true),
            ("वजन 2 किलो", true),
            ("دهن عود كمبودي 3 تولة", true),
            ("कस्तूरी असली 1 तोला", true),
            ("Vảy tê khô 1 lạng", true),
            ("ขนาด 12 ซม. สวย", true),
            ("Lot 45, estimate 800", false),
            ("24k gold, 18K setting", false),
            ("new 5G phone", false),
            ("3 gorillas at the zoo", false),
            ("2 months old", false),
            ("Ivory Act 2018 came into force on 6 June 2022", false),
        ] {
            assert_eq!(has_measure(text).is_some(), found, "{text}");
        }
    }

    #[test]
    fn reasons_read_back_with_or_without_points() {
        let new: Reason = serde_json::from_str(r#"{"points":-25,"text":"decoy"}"#).unwrap();
        assert_eq!(new.to_string(), "(-25) decoy");
        assert_eq!(Reason::new(20, "sale").to_string(), "(+20) sale");
        let old: Reason = serde_json::from_str(r#""sale wording""#).unwrap();
        assert_eq!(old.points, None);
        assert_eq!(old.to_string(), "sale wording");
    }

    /// No plainly written term of the shipped lists is reported as written
    /// with tricks: a trick may be claimed only where the text differs from
    /// every spelling of the term.
    #[test]
    fn no_plainly_written_shipped_term_is_reported_as_a_trick() {
        let lists = crate::species::load_lists(&[]).unwrap();
        let m = Matcher::new(&lists).unwrap();
        let mut accused = Vec::new();
        for list in &lists {
            for taxon in &list.taxa {
                for t in &taxon.terms {
                    for text in [t.text.clone(), format!("{} for sale", t.text)] {
                        let hits = m.find(&text);
                        let s = score(&text, &hits, &m, &lists, DEFAULT_MIN_SCORE);
                        if s.features.contains_key(&Feature::Tricks)
                            || s.reasons.iter().any(|r| r.text.contains("look-alike"))
                        {
                            accused.push(text);
                        }
                    }
                }
            }
        }
        assert!(
            accused.is_empty(),
            "{} terms accused: {accused:?}",
            accused.len()
        );
    }

    const SPECIES: &str = r#"[list]
name = "t"
kind = "species"
version = "1"
sources = ["test"]

[[taxon]]
id = "manidae"
scientific_name = "Manidae"
rank = "family"
appendix = "I"
group = "pangolins"
needs_context = ["tenggiling"]
[taxon.names]
en = ["pangolin"]
id = ["tenggiling"]
[taxon.products]
en = ["pangolin scales"]
[[taxon.code_words]]
term = "paoshanjia"
lang = "en"
note = "test"

[[taxon]]
id = "psittacus"
scientific_name = "Psittacus erithacus"
rank = "species"
appendix = "II"
group = "parrots"
emoji = ["🦜"]
[taxon.names]
en = ["African grey"]

[[taxon]]
id = "walrus"
scientific_name = "Odobenus rosmarus"
rank = "species"
appendix = "III"
group = "walrus"
[taxon.products]
en = ["walrus tusk"]
"#;

    const CUES: &str = r#"[list]
name = "c"
kind = "cues"
version = "1"
sources = ["test"]

[[cue]]
kind = "sale"
lang = "en"
terms = ["for sale"]

[[cue]]
kind = "contact"
lang = "en"
terms = ["whatsapp"]

[[cue]]
kind = "cover"
lang = "en"
terms = ["antique"]

[[cue]]
kind = "form"
lang = "en"
terms = ["skin"]

[[cue]]
kind = "news"
lang = "en"
terms = ["seized", "customs"]

[[cue]]
kind = "decoy"
lang = "en"
terms = ["plush"]

[[cue]]
kind = "question"
lang = "en"
terms = ["can I sell"]

[[cue]]
kind = "contact"
lang = "es"
terms = ["pedidos por interno"]

[[cue]]
kind = "contact"
lang = "vi"
terms = ["freeship", "inbox"]

[[cue]]
kind = "contact"
lang = "en"
terms = ["inbox"]

[[cue]]
kind = "sale"
lang = "vi"
terms = ["bán"]
"#;

    /// Each weight has exactly its effect: adding one piece of evidence to
    /// a listing changes its score by that feature's weight (when the score
    /// stays inside 0–100), and the reasons say so with those points.
    #[test]
    fn each_feature_moves_the_score_by_its_weight() {
        let a = crate::species::parse_str(std::path::Path::new("s.toml"), SPECIES).unwrap();
        let b = crate::species::parse_str(std::path::Path::new("c.toml"), CUES).unwrap();
        let lists = vec![a, b];
        let m = Matcher::new(&lists).unwrap();
        let run = |text: &str| {
            let hits = m.find(text);
            score(text, &hits, &m, &lists, DEFAULT_MIN_SCORE)
        };
        let raw = |s: &Scored| -> i32 { s.features.iter().map(|(f, n)| weight(*f) * n).sum() };
        let base = "an old pangolin";
        let b0 = run(base);
        assert_eq!(
            b0.features.get(&Feature::CommonName),
            Some(&1),
            "{:?}",
            b0.features
        );
        assert_eq!(b0.features.get(&Feature::AppendixI), Some(&1));
        for (extra, f, times) in [
            (" for sale", Feature::Sale, 1),
            (" whatsapp me", Feature::Contact, 1),
            (" 250 USD", Feature::Price, 1),
            (" antique", Feature::Cover, 1),
            (" skin 52 g", Feature::Measure, 1),
            (" skin", Feature::Form, 1),
            (" seized at customs", Feature::News, 2),
            (" can I sell", Feature::Question, 1),
            (" plush", Feature::Decoy, 1),
            (" and pangolin scales", Feature::NameAndProduct, 1),
        ] {
            let s = run(&format!("{base}{extra}"));
            assert_eq!(
                s.features.get(&f),
                Some(&times),
                "{extra}: {:?}",
                s.features
            );
            assert_eq!(raw(&s) - raw(&b0), weight(f) * times, "{extra}");
            assert_eq!(s.score as i32, raw(&s).clamp(0, 100), "{extra}");
            let sum: i32 = s.reasons.iter().map(|r| r.points.unwrap()).sum();
            assert_eq!(sum, s.score as i32, "{extra}: {:#?}", s.reasons);
        }
        // A size or weight with no product-form or product word describes
        // the animal, not goods: it earns nothing.
        let bare = run("an old pangolin, 52 g");
        assert_eq!(
            bare.features.get(&Feature::Measure),
            None,
            "{:?}",
            bare.features
        );
        // The species evidence: the kind of the strongest term and its
        // appendix.
        for (text, kind, app) in [
            ("Manidae", Feature::ScientificName, Feature::AppendixI),
            ("paoshanjia", Feature::CodeWord, Feature::AppendixI),
            ("African grey", Feature::CommonName, Feature::AppendixII),
            ("walrus tusk", Feature::ProductWord, Feature::AppendixIII),
            ("🦜 skin", Feature::Emoji, Feature::AppendixII),
        ] {
            let s = run(text);
            assert_eq!(s.features.get(&kind), Some(&1), "{text}: {:?}", s.features);
            assert_eq!(s.features.get(&app), Some(&1), "{text}: {:?}", s.features);
            assert_eq!(
                s.score as i32,
                (weight(kind) + weight(app)).clamp(0, 100),
                "{text}"
            );
        }
        // An emoji counts only with a product-form word, and is neither a
        // name nor a product word: no "name with a product word", no
        // "product words of several taxa".
        let s = run("🦜 for sale");
        assert!(s.taxa.is_empty(), "{:#?}", s.reasons);
        assert!(
            s.reasons
                .iter()
                .any(|r| r.text.contains("an emoji is never evidence alone")),
            "{:#?}",
            s.reasons
        );
        let s = run("🦜 skin and walrus tusk");
        assert_eq!(s.taxa.len(), 2, "{:#?}", s.reasons);
        assert_eq!(s.features.get(&Feature::SeveralTaxa), None);
        assert_eq!(s.features.get(&Feature::NameAndProduct), None);
        let s = run("🦜 skin, a walrus tusk");
        assert_eq!(
            s.features.get(&Feature::NameAndProduct),
            None,
            "{:#?}",
            s.reasons
        );
        // In a text too short for whatlang to name its language, cue
        // wording found as written says which language it is; in a text
        // whatlang reads as English, a Spanish cue does not count.
        let short = run("Manidae 2 kg, pedidos por interno");
        assert_eq!(
            short.features.get(&Feature::Contact),
            Some(&1),
            "{:#?}",
            short.reasons
        );
        let english = run(
            "An old pangolin from my grandfather's collection, which I would like to sell before we move house next month, pedidos por interno",
        );
        assert_eq!(
            english.features.get(&Feature::Contact),
            None,
            "{:#?}",
            english.reasons
        );
        assert!(
            super::super::lang::Languages::of("Manidae 2 kg, pedidos por interno")
                .latin_unidentified()
        );
        // A language named by cue wording lets only cues written exactly
        // count: "ban" stays English, not the Vietnamese "bán" (sell).
        let ban = run("Manidae 2 kg ban freeship");
        assert_eq!(
            ban.features.get(&Feature::Contact),
            Some(&1),
            "{:#?}",
            ban.reasons
        );
        assert_eq!(ban.features.get(&Feature::Sale), None, "{:#?}", ban.reasons);
        // Wording listed under English too ("inbox") names no language.
        let inbox = run("Manidae 2 kg ban inbox");
        assert_eq!(
            inbox.features.get(&Feature::Sale),
            None,
            "{:#?}",
            inbox.reasons
        );
        // An emoji followed by the presentation selector U+FE0F counts.
        let fe0f = run("🦜\u{FE0F} skin");
        assert_eq!(
            fe0f.features.get(&Feature::Emoji),
            Some(&1),
            "{:#?}",
            fe0f.reasons
        );
        // An everyday word counts only with a product-form word.
        assert!(run("tenggiling for sale").taxa.is_empty());
        let s = run("tenggiling skin for sale");
        assert_eq!(s.taxa.len(), 1, "{:#?}", s.reasons);
        // Look-alike characters.
        let s = run("p4ngolin");
        assert_eq!(
            s.features.get(&Feature::Tricks),
            Some(&1),
            "{:#?}",
            s.reasons
        );
    }
}
