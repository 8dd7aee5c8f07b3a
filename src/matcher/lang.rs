//! Which languages a listing is written in, so that a cue or a folded match
//! counts only where its language fits: English "ban" is not the
//! Vietnamese sale word "bán", and "MP" in an English post is not the
//! French "message privé".
//!
//! Three kinds of evidence are combined, none of them alone: the scripts of
//! the text (Hangul is Korean, Thai is Thai, letters only Vietnamese uses
//! are Vietnamese), [whatlang]'s guess for the text when it says the guess
//! is reliable, and the languages of the long species terms found in it (a
//! listing that says "nga voi" is Vietnamese even without its accents).

use std::collections::BTreeSet;

/// Characters of a listing looked at to tell its languages and whether it
/// reads as text at all.
const SAMPLE: usize = 4096;

/// The languages a listing may be in, and whether it reads as written
/// language at all.
#[derive(Debug, Clone, Default)]
pub(crate) struct Languages {
    langs: BTreeSet<String>,
    /// Whether the text has Latin letters (English cues apply to such text:
    /// English is the common language of online selling).
    latin: bool,
    /// Whether whatlang named the language of the Latin-script text.
    latin_identified: bool,
    /// Languages named only by cue wording found as written, in short
    /// Latin-script text (see [`Languages::add_from_cue`]).
    from_cues: BTreeSet<String>,
    /// Share of letters among the characters that are not spaces, digits
    /// or number punctuation, in percent, over the first [`SAMPLE`]
    /// characters.
    pub(crate) letters_percent: u32,
    /// Control, replacement and private-use characters among them, in
    /// percent.
    pub(crate) junk_percent: u32,
}

/// ISO 639-1 code (or the ISO 639-3 code where none is mapped) of a
/// whatlang language.
fn iso1(l: whatlang::Lang) -> &'static str {
    use whatlang::Lang::*;
    match l {
        Eng => "en",
        Fra => "fr",
        Deu => "de",
        Spa => "es",
        Por => "pt",
        Ita => "it",
        Nld => "nl",
        Rus => "ru",
        Ukr => "uk",
        Vie => "vi",
        Ind => "id",
        Tha => "th",
        Kor => "ko",
        Jpn => "ja",
        Cmn => "zh",
        Ara => "ar",
        Hin => "hi",
        Pol => "pl",
        Tur => "tr",
        Tgl => "tl",
        Swe => "sv",
        Dan => "da",
        Nob => "no",
        Fin => "fi",
        Ces => "cs",
        Hun => "hu",
        Ron => "ro",
        Ell => "el",
        Heb => "he",
        Afr => "af",
        Cat => "ca",
        Lat => "la",
        Pes => "fa",
        Urd => "ur",
        Ben => "bn",
        Mar => "mr",
        Nep => "ne",
        other => other.code(),
    }
}

impl Languages {
    /// What the scripts and letters of `text` say, with whatlang's guess
    /// when it is reliable.
    pub(crate) fn of(text: &str) -> Languages {
        let sample: &str = match text.char_indices().nth(SAMPLE) {
            Some((i, _)) => &text[..i],
            None => text,
        };
        let mut l = Languages::default();
        let (mut letters, mut visible, mut junk) = (0u32, 0u32, 0u32);
        let mut add = |s: &str| {
            l.langs.insert(s.to_string());
        };
        let mut latin = false;
        for c in sample.chars() {
            if c.is_whitespace() {
                continue;
            }
            visible += 1;
            if c.is_control() || c == '\u{FFFD}' || matches!(c as u32, 0xE000..=0xF8FF) {
                junk += 1;
                continue;
            }
            if c.is_ascii_digit() || matches!(c, ',' | '.' | '-' | '/' | ':') {
                // Prices, sizes and dates are neither letters nor junk.
                visible -= 1;
                continue;
            }
            if !c.is_alphabetic() {
                continue;
            }
            letters += 1;
            match c as u32 {
                0x41..=0x5A | 0x61..=0x7A | 0xC0..=0x24F => latin = true,
                0x1EA0..=0x1EF9 => {
                    latin = true;
                    add("vi");
                }
                0x370..=0x3FF => add("el"),
                0x400..=0x4FF => add("ru"),
                0x600..=0x6FF | 0x750..=0x77F | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => add("ar"),
                0x900..=0x97F => add("hi"),
                0xE00..=0xE7F => add("th"),
                0x3040..=0x30FF => add("ja"),
                0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF => add("ko"),
                0x4E00..=0x9FFF | 0x3400..=0x4DBF => add("zh"),
                _ => {}
            }
            if matches!(c, 'ơ' | 'ư' | 'ă' | 'đ' | 'Ơ' | 'Ư' | 'Ă' | 'Đ') {
                add("vi");
            }
        }
        l.latin = latin;
        l.letters_percent = (letters * 100).checked_div(visible).unwrap_or(100);
        l.junk_percent = (junk * 100).checked_div(visible).unwrap_or(0);
        if latin
            && let Some(info) = whatlang::detect(sample)
            && info.is_reliable()
        {
            l.langs.insert(iso1(info.lang()).to_string());
            l.latin_identified = true;
        }
        l
    }

    /// Adds the language of a species term found in the listing.
    pub(crate) fn add(&mut self, lang: &str) {
        self.langs.insert(base(lang).to_string());
    }

    /// Whether something of language `lang` (a list's code: ISO 639-1,
    /// `zh-Hans`, `zh-Hant`, `la`, or `*`) fits this listing.
    pub(crate) fn fits(&self, lang: &str) -> bool {
        match base(lang) {
            "*" | "la" => true,
            "en" => self.latin || self.langs.contains("en"),
            // Indonesian and Malay share most selling words.
            "id" | "ms" => self.langs.contains("id") || self.langs.contains("ms"),
            b => self.langs.contains(b),
        }
    }

    /// Latin-script text whose language whatlang could not name.
    pub(crate) fn latin_unidentified(&self) -> bool {
        self.latin && !self.latin_identified
    }

    /// Adds a language named only by cue wording found as written: it lets
    /// other cues of that language count when they too are found as
    /// written ([`Languages::fits_as_written`]), never a match that needed
    /// accents folded ("ban" stays English).
    pub(crate) fn add_from_cue(&mut self, lang: &str) {
        self.from_cues.insert(base(lang).to_string());
    }

    /// [`Languages::fits`] for a match written exactly as its term, which
    /// also counts in a language named only by cue wording.
    pub(crate) fn fits_as_written(&self, lang: &str) -> bool {
        self.fits(lang) || self.from_cues.contains(base(lang))
    }

    /// Whether the text reads as written language: mostly letters, hardly
    /// any control or replacement characters. Random bytes do not.
    pub(crate) fn reads_as_text(&self) -> bool {
        self.junk_percent <= 5 && self.letters_percent >= 40
    }

    /// The languages, for reasons and tests.
    #[cfg(test)]
    pub(crate) fn list(&self) -> Vec<&str> {
        self.langs.iter().map(String::as_str).collect()
    }
}

/// `zh-Hans` and `zh-Hant` are both `zh` here.
pub(crate) fn base(lang: &str) -> &str {
    lang.split('-').next().unwrap_or(lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_letters_name_languages() {
        assert!(Languages::of("판매합니다 상아").fits("ko"));
        assert!(Languages::of("ขายงาช้าง").fits("th"));
        assert!(Languages::of("bán ngà voi giá rẻ").fits("vi"));
        assert!(Languages::of("出售象牙").fits("zh-Hans"));
        assert!(Languages::of("للبيع عاج").fits("ar"));
    }

    #[test]
    fn english_news_is_not_vietnamese_or_french() {
        let l = Languages::of("The UK ivory ban comes into force today, MPs say");
        assert!(!l.fits("vi"), "{:?}", l.list());
        assert!(!l.fits("fr"), "{:?}", l.list());
        assert!(l.fits("en"));
    }

    #[test]
    fn random_bytes_do_not_read_as_text() {
        let junk: String = (0u8..=255)
            .cycle()
            .take(2000)
            .map(|b| char::from(b.wrapping_mul(37)))
            .collect();
        assert!(!Languages::of(&junk).reads_as_text());
        assert!(Languages::of("Carved ivory bangle, 52 g, £450").reads_as_text());
    }
}
