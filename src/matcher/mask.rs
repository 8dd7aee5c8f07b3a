//! Masked letters: a seller who writes `m*skus` for muskus or `iv●ry` for
//! ivory hides one letter of the word behind a symbol. Normalising turns
//! the symbol into a space, so the automaton cannot see the word; this
//! index finds species terms with one letter, not the first or the last,
//! standing for such a symbol.
//!
//! Only one symbol from [`is_mask`] between two letters counts as a mask
//! (`16mm*14`, a size, has a digit beside it), and only species terms of
//! the Latin, Greek and Cyrillic scripts, of five characters or more, so
//! that the letters left still say which word it is. The symbol could stand
//! for another letter, so such a match is read as the term but earns no
//! points for a trick, and an everyday word read so still needs context.
//! Terms of CJK, kana and other scripts are left out: there a symbol
//! between two words is a common separator in titles (招财大象◆摆件 is an
//! elephant ornament, not 象牙摆件, ivory), and Japanese sellers hide brand
//! names the same way (マ●ク for McDonald's is not マカク, macaque); so
//! ゾ●ゲ (ゾウゲ, ivory) is not read either. `×` and `★` are no masks:
//! they join and decorate words.

use std::collections::HashMap;

/// Symbols sellers put in place of a letter.
pub(crate) fn is_mask(c: char) -> bool {
    matches!(c, '*' | '＊' | '●' | '○' | '◯' | '■' | '□' | '◆' | '◇')
}

/// A term with one letter masked: the pattern, and the byte range of the
/// masked letter in it.
#[derive(Clone, Copy)]
struct Masked {
    pattern: u32,
    at: u16,
    len: u8,
}

/// Species patterns by the two letters around each letter that may be
/// masked.
#[derive(Default)]
pub(crate) struct MaskIndex {
    by_neighbours: HashMap<(char, char), Vec<Masked>>,
}

/// A masked match: the byte range in the normalised text, and the pattern.
pub(crate) struct MaskedMatch {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) pattern: usize,
}

impl MaskIndex {
    /// Indexes `patterns` (normalised terms) for which `eligible` holds.
    pub(crate) fn new(patterns: &[String], eligible: impl Fn(usize) -> bool) -> MaskIndex {
        let mut by_neighbours: HashMap<(char, char), Vec<Masked>> = HashMap::new();
        for (id, p) in patterns.iter().enumerate() {
            if !eligible(id) || p.len() > u16::MAX as usize {
                continue;
            }
            let chars: Vec<(usize, char)> = p.char_indices().collect();
            let latin = chars
                .iter()
                .all(|&(_, c)| c.is_ascii() || (c as u32) < 0x530);
            if !latin || chars.len() < 5 {
                continue;
            }
            for k in 1..chars.len() - 1 {
                let (prev, (at, c), next) = (chars[k - 1].1, chars[k], chars[k + 1].1);
                if !(prev.is_alphabetic() && c.is_alphabetic() && next.is_alphabetic()) {
                    continue;
                }
                by_neighbours.entry((prev, next)).or_default().push(Masked {
                    pattern: id as u32,
                    at: at as u16,
                    len: c.len_utf8() as u8,
                });
            }
        }
        MaskIndex { by_neighbours }
    }

    /// Masked matches in `norm`, the normalised form of `text`, where
    /// `mask_at(start, end)` gives the byte of `norm` that the symbol at
    /// bytes `start..end` of `text` became, if it became a space of its
    /// own. `patterns` are those given to [`Self::new`].
    pub(crate) fn find(
        &self,
        text: &str,
        norm: &str,
        patterns: &[String],
        mask_at: impl Fn(usize, usize) -> Option<usize>,
    ) -> Vec<MaskedMatch> {
        let mut out = Vec::new();
        if self.by_neighbours.is_empty() {
            return out;
        }
        let bytes = text.as_bytes();
        // '*', and the lead bytes of the other symbols (U+25xx, U+FF0A).
        let candidates = memchr::memchr3_iter(b'*', 0xE2, 0xEF, bytes);
        for i in candidates {
            let Some(c) = text.get(i..).and_then(|s| s.chars().next()) else {
                continue;
            };
            if !is_mask(c) {
                continue;
            }
            let end = i + c.len_utf8();
            let letter = |c: Option<char>| c.is_some_and(|c| c.is_alphabetic());
            if !letter(text[..i].chars().next_back()) || !letter(text[end..].chars().next()) {
                continue;
            }
            let Some(j) = mask_at(i, end) else {
                continue;
            };
            let (before, after) = (&norm[..j], &norm[j + 1..]);
            let (Some(prev), Some(next)) = (before.chars().next_back(), after.chars().next())
            else {
                continue;
            };
            let Some(list) = self.by_neighbours.get(&(prev, next)) else {
                continue;
            };
            for m in list {
                let p = &patterns[m.pattern as usize];
                let (left, right) = (&p[..m.at as usize], &p[m.at as usize + m.len as usize..]);
                if before.ends_with(left) && after.starts_with(right) {
                    out.push(MaskedMatch {
                        start: j - left.len(),
                        end: j + 1 + right.len(),
                        pattern: m.pattern as usize,
                    });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::normalize::normalize;

    fn found(patterns: &[&str], text: &str) -> Vec<(String, usize)> {
        let patterns: Vec<String> = patterns.iter().map(|p| normalize(p).text).collect();
        let index = MaskIndex::new(&patterns, |_| true);
        let n = normalize(text);
        index
            .find(text, &n.text, &patterns, |a, b| n.space_for(a, b))
            .into_iter()
            .map(|m| {
                let r = n.original_range(m.start..m.end);
                (text[r].to_string(), m.pattern)
            })
            .collect()
    }

    #[test]
    fn one_symbol_between_letters_stands_for_an_inner_letter_of_a_long_enough_term() {
        let p = ["muskus", "ゾウゲ", "lion", "象牙摆件", "слоновая"];
        assert_eq!(found(&p, "echte m*skus."), vec![("m*skus".to_string(), 0)]);
        assert_eq!(found(&p, "СЛОН●ВАЯ"), vec![("СЛОН●ВАЯ".to_string(), 4)]);
        // Four Latin letters say too little; CJK and kana terms are not read.
        assert!(found(&p, "l*on 天然のゾ●ゲです 招财大象◆摆件").is_empty());
        // The first or last letter, two symbols, a digit beside the symbol.
        assert!(found(&p, "*uskus muskü* mu**kus 2*skus").is_empty());
        // Every symbol of the set, in either case of the text; not those
        // that join or decorate words.
        for c in ['＊', '●', '○', '◯', '■', '□', '◆', '◇'] {
            let t = format!("MU{c}KUS");
            assert_eq!(found(&p, &t).len(), 1, "{t}");
        }
        for c in ['×', '✕', '★', '☆'] {
            let t = format!("MU{c}KUS");
            assert!(found(&p, &t).is_empty(), "{t}");
        }
    }
}
