//! What a species match not written as listed differs in from the listed
//! spelling, so that its reason says what was folded and nothing more: a
//! match read across a comma ("ара, ручной") is not one that needed
//! accents folded.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The ways a match written `written` differs from a listed term, leaving
/// out case, spacing and Chinese character variants (which a match written
/// exactly may differ in) and look-alike tricks (which have their own
/// reason).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Folds {
    /// Other accents or none: "ban" for "bán".
    pub(crate) accents: bool,
    /// Punctuation or symbols between the words that the term does not
    /// have: "tiger - bone" for "tiger bone", "ара, ручной" for "ара
    /// ручной".
    pub(crate) punctuation: bool,
    /// No more punctuation than the term, but not the term's: "leão
    /// africano" for "leão-africano".
    pub(crate) other_punctuation: bool,
    /// Other letters once accents are set aside: an `l` read as `i`,
    /// full-width or other compatibility forms.
    pub(crate) letters: bool,
}

impl Folds {
    /// How `written` differs from `term`.
    pub(crate) fn between(written: &str, term: &str) -> Folds {
        let (w, t) = (symbols(written), symbols(term));
        let extra = w
            .iter()
            .any(|c| w.iter().filter(|&x| x == c).count() > t.iter().filter(|&x| x == c).count());
        Folds {
            accents: accents(written) != accents(term),
            punctuation: extra,
            other_punctuation: !extra && w != t,
            letters: letters(written) != letters(term),
        }
    }

    /// Both sets of differences.
    pub(crate) fn union(self, other: Folds) -> Folds {
        Folds {
            accents: self.accents || other.accents,
            punctuation: self.punctuation || other.punctuation,
            other_punctuation: self.other_punctuation || other.other_punctuation,
            letters: self.letters || other.letters,
        }
    }

    /// How many kinds of difference.
    pub(crate) fn count(self) -> usize {
        [
            self.accents,
            self.punctuation,
            self.other_punctuation,
            self.letters,
        ]
        .iter()
        .filter(|&&b| b)
        .count()
    }

    /// The differences in words: "accents folded", "punctuation or
    /// symbols between its words read as spaces" …, joined by "and".
    pub(crate) fn describe(self) -> String {
        let mut parts = Vec::new();
        if self.accents {
            parts.push("accents folded");
        }
        if self.punctuation {
            parts.push("punctuation or symbols between its words read as spaces");
        }
        if self.other_punctuation {
            parts.push("its words written without the punctuation of the listed spelling");
        }
        if self.letters {
            parts.push("letter forms folded (such as an l read as i, or full-width letters)");
        }
        if parts.is_empty() {
            // Only what the matcher folds without saying (a mark written
            // after the last letter): the spelling differs, nothing more
            // is claimed.
            return "its characters folded to the listed spelling".into();
        }
        parts.join(" and ")
    }

    /// Why a reader should weigh such a match less, when there is a reason
    /// to give: an accent changes the word, punctuation may part two
    /// phrases.
    pub(crate) fn caveat(self) -> Option<&'static str> {
        match (self.accents, self.punctuation) {
            (true, false) => Some("the listing may mean another word written without accents"),
            (false, true) => Some("its words may belong to different phrases"),
            (true, true) => Some(
                "the listing may mean another word written without accents, or words of different phrases",
            ),
            (false, false) => None,
        }
    }
}

/// The accents of `s`, in order: combining marks of Latin letters after
/// canonical decomposition, and đ (which has no decomposition).
pub(crate) fn accents(s: &str) -> Vec<char> {
    s.nfd().filter(|&c| is_accent(c)).collect()
}

/// Whether `c`, of text in canonical decomposition, is an accent: a
/// combining mark of Latin letters, or đ.
pub(crate) fn is_accent(c: char) -> bool {
    matches!(c as u32, 0x300..=0x36F) || matches!(c, 'đ' | 'Đ')
}

/// The punctuation and symbols of `s`, in order (spaces aside).
fn symbols(s: &str) -> Vec<char> {
    s.chars()
        .filter(|&c| !c.is_alphanumeric() && !c.is_whitespace() && !is_combining_mark(c))
        .collect()
}

/// The letters and digits of `s` without accents, in lower case and with
/// Chinese characters simplified (a match may differ from its term in
/// case and in Chinese variants and still be written as listed).
fn letters(s: &str) -> String {
    let base: String = s
        .nfd()
        .filter(|&c| !is_accent(c))
        .filter(|&c| c.is_alphanumeric() || is_combining_mark(c))
        .collect();
    fast2s::convert(&base).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_difference_is_told_apart_and_described() {
        let f = Folds::between("ban", "bán");
        assert_eq!(
            f,
            Folds {
                accents: true,
                ..Folds::default()
            }
        );
        assert_eq!(f.describe(), "accents folded");
        assert!(f.caveat().unwrap().contains("without accents"));

        let f = Folds::between("ара, ручной", "ара ручной");
        assert_eq!(
            f,
            Folds {
                punctuation: true,
                ..Folds::default()
            }
        );
        assert!(f.describe().starts_with("punctuation"));
        assert!(!f.describe().contains("accent"));
        assert!(f.caveat().unwrap().contains("different phrases"));

        let f = Folds::between("rùa, đầu to", "rùa đầu to");
        assert!(f.punctuation && !f.accents && !f.letters);

        let f = Folds::between("leão africano", "leão-africano");
        assert!(f.other_punctuation && !f.punctuation && !f.accents && !f.letters);
        assert_eq!(
            f.describe(),
            "its words written without the punctuation of the listed spelling"
        );
        assert_eq!(f.caveat(), None);
        let f = Folds::between("hornbill' casque", "hornbill casque");
        assert!(f.punctuation && !f.other_punctuation);

        let f = Folds::between("lvory", "ivory");
        assert!(f.letters && !f.accents && !f.punctuation);
        assert_eq!(f.caveat(), None);

        let f = Folds::between("ＩＶＯＲＹ", "ivory");
        assert!(f.letters && !f.accents && !f.punctuation);

        let f = Folds::between("Tiger - Bône", "tiger bone");
        assert!(f.accents && f.punctuation && !f.letters);
        assert_eq!(
            f.describe(),
            "accents folded and punctuation or symbols between its words read as spaces"
        );

        // What a match written exactly may differ in is no difference.
        assert_eq!(
            Folds::between("Tiger  BONE", "tiger bone"),
            Folds::default()
        );
        assert_eq!(Folds::between("象牙雕刻", "象牙雕刻"), Folds::default());
        assert_eq!(Folds::between("穿山甲", "穿山甲"), Folds::default());
        assert_eq!(Folds::between("穿山甲片", "穿山甲片"), Folds::default());
        assert_eq!(Folds::between("紅木", "红木"), Folds::default());
        assert_eq!(
            Folds::between("d'ivoire", "d'ivoire"),
            Folds::default(),
            "a term's own punctuation is no difference"
        );
        assert_eq!(Folds::default().count(), 0);
        assert_eq!(Folds::between("Tiger - Bône", "tiger bone").count(), 2);
    }
}
