//! Quoted passages: posts that warn about the trade, and news of a seizure,
//! quote the seller's ad ("We found this ad: 'Baby marmoset for sale,
//! £1,200, WhatsApp only'"). The scorer reads the sale, contact and price
//! wording inside such a quotation as someone else's only in a listing
//! that also holds news or advocacy wording outside its quotations; this
//! module only finds the passages. A passage counts as quoted here when it
//! is enclosed in a pair of quotation marks on one line, holds at least
//! [`MIN_WORDS_INSIDE`] words, is at most [`MAX_QUOTE`] bytes long, and the
//! listing has at least [`MIN_WORDS_OUTSIDE`] words outside its
//! quotations: a listing that is all quotation (a seller pasting an ad) is
//! the seller's own words, and a short quote ('weißes Gold', "free") is a
//! code word, not a report.
//!
//! Marks that open and close differently (“…”, „…“, „…”, «…», ‹…›, 「…」,
//! 『…』) pair by themselves. Straight marks (`"`, `'`) and ‘ (also the
//! ʻokina of Hawai‘i, and the closing mark of German ‚…‘) open only after
//! a space, a bracket or a colon and not before a digit ('70s, fine '800);
//! they and ’ close only after a letter and before a space or punctuation,
//! and `'` closes only `'`. So an apostrophe inside a word ("don't",
//! "l'avorio", "don’t") neither opens nor closes a quotation. Only the
//! first [`MAX_MARKS`] marks of a listing are read.

/// The longest quotation read as one, in bytes: an ad, not an article
/// between two stray marks.
const MAX_QUOTE: usize = 1200;
/// Words a quotation must hold to be a report of someone's words.
const MIN_WORDS_INSIDE: usize = 4;
/// Words the listing must hold outside its quotations.
const MIN_WORDS_OUTSIDE: usize = 8;
/// Marks read in one listing: a text of more (hostile, or not prose) has
/// its later marks ignored, so its memory stays bounded.
const MAX_MARKS: usize = 10_000;

/// The byte ranges (marks included) of the quoted passages of `text`, in
/// order; empty when the listing is too short outside them. One pass finds
/// the marks, and each opening looks its closing up by a binary search, so
/// a text of many unclosed marks costs no more than one of few.
pub(crate) fn quoted_passages(text: &str) -> Vec<(usize, usize)> {
    // Where each closing mark may close, by mark.
    let mut closes: Vec<(char, Vec<usize>)> = Vec::new();
    let mut opens: Vec<(usize, char)> = Vec::new();
    // Line breaks: a quotation never spans one (a title's stray mark does
    // not run into the description).
    let mut breaks: Vec<usize> = Vec::new();
    let mut prev: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    let mut marks = 0;
    while let Some((at, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        if c == '\n' {
            breaks.push(at);
        }
        if is_mark(c) {
            marks += 1;
            if marks > MAX_MARKS {
                break;
            }
            let (can_open, can_close) = if paired(c) {
                (true, true)
            } else {
                (
                    prev.is_none_or(|p| p.is_whitespace() || matches!(p, '(' | '[' | ':' | '：'))
                        && next.is_some_and(|n| !n.is_whitespace() && !n.is_ascii_digit()),
                    prev.is_some_and(|p| !p.is_whitespace())
                        && next.is_none_or(|n| !n.is_alphanumeric()),
                )
            };
            if can_open && !closers(c).is_empty() {
                opens.push((at, c));
            }
            if can_close && is_closer(c) {
                match closes.iter_mut().find(|(m, _)| *m == c) {
                    Some((_, at_list)) => at_list.push(at),
                    None => closes.push((c, vec![at])),
                }
            }
        }
        prev = Some(c);
    }
    // For each opening, where the next opening of the same mark is: a
    // closing pairs with the nearest opening before it.
    let mut next_same = vec![usize::MAX; opens.len()];
    let mut last_seen: Vec<(char, usize)> = Vec::new();
    for (i, &(at, c)) in opens.iter().enumerate().rev() {
        match last_seen.iter_mut().find(|(m, _)| *m == c) {
            Some((_, pos)) => {
                next_same[i] = *pos;
                *pos = at;
            }
            None => last_seen.push((c, at)),
        }
    }
    let mut found = Vec::new();
    let mut from = 0;
    for (i, &(start, open)) in opens.iter().enumerate() {
        if start < from {
            continue;
        }
        let inner = start + open.len_utf8();
        let end = closers(open)
            .iter()
            .filter_map(|m| {
                let (_, list) = closes.iter().find(|(c, _)| c == m)?;
                list.get(list.partition_point(|&p| p < inner)).copied()
            })
            .min()
            .filter(|&e| {
                e - inner <= MAX_QUOTE
                    && next_same[i] > e
                    && breaks
                        .get(breaks.partition_point(|&b| b < inner))
                        .is_none_or(|&b| b > e)
            });
        if let Some(end) = end {
            let after = end + text[end..].chars().next().map_or(0, char::len_utf8);
            if words(&text[inner..end]) >= MIN_WORDS_INSIDE {
                found.push((start, after));
            }
            from = after;
        }
    }
    let mut outside = 0;
    let mut at = 0;
    for &(s, e) in &found {
        outside += words(&text[at..s]);
        at = e;
    }
    outside += words(&text[at..]);
    if outside < MIN_WORDS_OUTSIDE {
        found.clear();
    }
    found
}

/// Every quotation mark read here.
const MARKS: [char; 15] = [
    '“', '”', '„', '«', '»', '‹', '›', '「', '」', '『', '』', '‘', '’', '"', '\'',
];

/// Whether `c` closes some quotation (is among the [`closers`] of a mark).
fn is_closer(c: char) -> bool {
    MARKS.iter().any(|&open| closers(open).contains(&c))
}

/// Whether `c` is a quotation mark read here.
fn is_mark(c: char) -> bool {
    MARKS.contains(&c)
}

/// The closing marks that may end a quotation opened by `open`.
fn closers(open: char) -> &'static [char] {
    match open {
        '“' => &['”'],
        '„' => &['“', '”'],
        '«' => &['»'],
        '‹' => &['›'],
        '「' => &['」'],
        '『' => &['』'],
        '‘' => &['’'],
        '"' => &['"'],
        '\'' => &['\''],
        _ => &[],
    }
}

/// Whether the mark is never an apostrophe and is the same mark wherever
/// it stands (one that opens, or one that closes). ‘ is not: it is also
/// written for the ʻokina (Hawai‘i) and closes German ‚…‘.
fn paired(c: char) -> bool {
    !matches!(c, '"' | '\'' | '’' | '‘')
}

/// Words of `s`: runs of letters or digits separated by anything else; in
/// scripts written without spaces (Chinese, Japanese, Thai), every two
/// characters count as a word.
fn words(s: &str) -> usize {
    let mut n = 0;
    let mut unspaced = 0;
    let mut in_word = false;
    for c in s.chars() {
        if is_unspaced(c) {
            unspaced += 1;
            in_word = false;
        } else if c.is_alphanumeric() {
            if !in_word {
                n += 1;
            }
            in_word = true;
        } else {
            in_word = false;
        }
    }
    n + unspaced / 2
}

fn is_unspaced(c: char) -> bool {
    matches!(c as u32, 0x0E00..=0x0E7F | 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(text: &str) -> Vec<&str> {
        quoted_passages(text)
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect()
    }

    #[test]
    fn a_quoted_ad_in_a_longer_post_is_found_in_every_kind_of_mark() {
        let cases = [
            (
                "We found this ad this week: 'Baby marmoset for sale, £1,200, WhatsApp only.' Primates are not pets, report posts like this.",
                "'Baby marmoset for sale, £1,200, WhatsApp only.'",
            ),
            (
                "Dieses Inserat haben wir gestern gefunden: „Verkaufe Plumplori, handzahm, 1.500 €.“ Bitte meldet solche Anzeigen dem Portal und uns.",
                "„Verkaufe Plumplori, handzahm, 1.500 €.“",
            ),
            (
                "Nous avons trouvé cette annonce : « Vends ivoire ancien, 300 €, envoi possible » Signalez ce genre d'annonces à la plateforme.",
                "« Vends ivoire ancien, 300 €, envoi possible »",
            ),
            (
                "有网友举报了这样一条广告：「出售象牙手镯，价格私聊，包邮到家」请大家看到类似信息及时向平台和森林公安举报。",
                "「出售象牙手镯，价格私聊，包邮到家」",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(quoted(text), vec![want], "{text}");
        }
    }

    #[test]
    fn apostrophes_short_quotes_and_whole_listings_are_no_quotation() {
        for text in [
            // apostrophes inside words
            "Bracciale in avorio dell'Ottocento, l'ho ereditato da mia nonna, 300 euro, spedizione possibile, scrivetemi pure",
            "Don't miss this one: old bangle, heavy, 6 cm inside, it's the real thing, message me",
            // a code word in quotes
            "Biete 2 Abschnitte 'weißes Gold' aus Afrika, Altbestand vom Großvater, zusammen ca. 1,8 kg, Preis per PN",
            // the whole listing quoted
            "\"Ivory bangle for sale, 200 euro, message me\"",
            // decades and centuries, the ʻokina, and a quote across a line break
            "Ivory netsuke bought in the '70s, for sale £450, DM me, the carving is called 'Happy' and it is signed",
            "Bracciale in avorio fine '800, vendo a 300 euro, spedizione possibile, e' in ottime condizioni",
            "Black coral pendant from Maui, Hawai‘i. For sale $350, DM me, set by one of the Maui Divers’ jewellers",
            "Rhino horn cup 'Qing\nDynasty, for sale to serious buyers' only, 12 cm tall, old collection piece",
            // a mark never closed, and typographic apostrophes
            "Selling \"ivory bangle 200 euro message me for details about it and more",
            "Don’t miss it: grandma’s old bangle, heavy, 6 cm inside, it’s real, message me today",
        ] {
            assert!(quoted(text).is_empty(), "{text}: {:?}", quoted(text));
        }
    }

    #[test]
    fn many_marks_never_closed_are_no_quotation_and_later_ones_still_pair() {
        let tail = "and then “one two three four five” and six seven eight nine";
        let text = "“ word ".repeat(5_000) + tail;
        assert_eq!(quoted(&text), vec!["“one two three four five”"]);
        // Past MAX_MARKS marks are ignored: the cost stays bounded.
        let text = "“ word ".repeat(MAX_MARKS + 1) + tail;
        assert!(quoted(&text).is_empty());
    }
}
