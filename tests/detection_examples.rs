//! The examples of issue 10 ("What goes wrong today"), each written as a realistic listing and
//! swept by the real binary with the built-in lists: every example behaves as a reader would
//! expect. Each test sweeps its listings in one run and reports every example that fails, with
//! the listing and what warden said about it.

mod common;

use common::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;

/// One listing: an id, a title and a description (the fields swept).
struct Listing {
    id: String,
    title: String,
    description: String,
}

fn listing(id: &str, title: &str, description: &str) -> Listing {
    Listing {
        id: id.into(),
        title: title.into(),
        description: description.into(),
    }
}

impl Listing {
    /// The text warden sweeps: the fields in `--fields` order, one per line.
    fn text(&self) -> String {
        format!("{}\n{}", self.title, self.description)
    }
}

/// The results of one sweep, by listing id, and the failures found while checking them.
struct Sweep<'a> {
    listings: &'a [Listing],
    results: HashMap<String, Value>,
    failures: Vec<String>,
}

/// `warden sweep --fields title,description` over `listings` (written as JSON Lines), with the
/// built-in lists and the default threshold.
fn sweep(listings: &[Listing]) -> Sweep<'_> {
    let env = TestEnv::new();
    let input = env.work.join("listings.jsonl");
    let mut lines = String::new();
    for l in listings {
        let v = json!({"id": l.id, "title": l.title, "description": l.description});
        lines.push_str(&serde_json::to_string(&v).unwrap());
        lines.push('\n');
    }
    std::fs::write(&input, lines).unwrap();
    let out = env
        .warden()
        .args(["sweep", "--fields", "title,description", "--input"])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let mut results = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("a result line is not JSON ({e}): {line}"));
        let id = v["id"].as_str().expect("a result has an id").to_string();
        assert!(
            listings.iter().any(|l| l.id == id),
            "a result for an unknown listing {id}"
        );
        assert!(
            results.insert(id.clone(), v).is_none(),
            "two results for {id}"
        );
    }
    Sweep {
        listings,
        results,
        failures: Vec::new(),
    }
}

impl Sweep<'_> {
    fn listing(&self, id: &str) -> &Listing {
        self.listings
            .iter()
            .find(|l| l.id == id)
            .unwrap_or_else(|| panic!("no listing {id} in this test"))
    }

    /// The result of a listing; `None` when warden found no listed taxon in it (it writes no
    /// result then: score 0, not flagged).
    fn result(&self, id: &str) -> Option<&Value> {
        self.listing(id);
        self.results.get(id)
    }

    fn flagged(&self, id: &str) -> bool {
        self.result(id)
            .map(|v| v["flagged"].as_bool().expect("flagged is a boolean"))
            .unwrap_or(false)
    }

    fn score(&self, id: &str) -> i64 {
        self.result(id)
            .map(|v| v["score"].as_i64().expect("score is a number"))
            .unwrap_or(0)
    }

    fn taxa(&self, id: &str) -> Vec<String> {
        self.result(id)
            .and_then(|v| v["taxa"].as_array())
            .map(|a| {
                a.iter()
                    .map(|t| t["scientific_name"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn groups(&self, id: &str) -> Vec<String> {
        self.result(id)
            .and_then(|v| v["taxa"].as_array())
            .map(|a| {
                a.iter()
                    .map(|t| t["group"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `(points, text)` of each reason.
    fn reasons(&self, id: &str) -> Vec<(Option<i64>, String)> {
        self.result(id)
            .and_then(|v| v["reasons"].as_array())
            .map(|a| {
                a.iter()
                    .map(|r| {
                        (
                            r["points"].as_i64(),
                            r["text"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Records a failure for listing `id`: what was expected, the listing and warden's result.
    fn fail(&mut self, id: &str, expected: &str) {
        let l = self.listing(id);
        let shown = match self.results.get(id) {
            None => "no result (no listed taxon found: score 0, not flagged)".to_string(),
            Some(v) => {
                let reasons: Vec<String> = v["reasons"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|r| format!("    ({}) {}", r["points"], r["text"]))
                            .collect()
                    })
                    .unwrap_or_default();
                let matches: Vec<String> = v["matches"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|m| {
                                format!("{} {} {}", m["kind"], m["term"], m["snippet"])
                                    .replace('\n', "\\n")
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                format!(
                    "score {} flagged {} taxa {:?}\n  reasons:\n{}\n  matches: {}",
                    v["score"],
                    v["flagged"],
                    self.taxa(id),
                    reasons.join("\n"),
                    matches.join(" | ")
                )
            }
        };
        let failure = format!(
            "[{id}] expected: {expected}\n  listing: {} / {}\n  warden: {shown}",
            show(&l.title),
            show(&l.description)
        );
        self.failures.push(failure);
    }

    fn check(&mut self, ok: bool, id: &str, expected: &str) {
        if !ok {
            self.fail(id, expected);
        }
    }

    fn expect_not_flagged(&mut self, id: &str) {
        let ok = !self.flagged(id);
        self.check(ok, id, "not flagged");
    }

    fn expect_flagged(&mut self, id: &str) {
        let ok = self.flagged(id);
        self.check(ok, id, "flagged");
    }

    /// Some reason's text contains `words`.
    fn expect_reason_containing(&mut self, id: &str, words: &str) {
        let ok = self.reasons(id).iter().any(|(_, t)| t.contains(words));
        self.check(ok, id, &format!("a reason saying {words:?}"));
    }

    /// No reason's text contains `words`.
    fn expect_no_reason_containing(&mut self, id: &str, words: &str) {
        let ok = !self.reasons(id).iter().any(|(_, t)| t.contains(words));
        self.check(ok, id, &format!("no reason saying {words:?}"));
    }

    /// No reason's text starts with `prefix`.
    fn expect_no_reason_starting(&mut self, id: &str, prefix: &str) {
        let ok = !self.reasons(id).iter().any(|(_, t)| t.starts_with(prefix));
        self.check(ok, id, &format!("no reason starting {prefix:?}"));
    }

    /// Some reason with positive points starts with one of `prefixes` and quotes (in its first
    /// double-quoted words) a phrase containing `word` (case-insensitive).
    fn expect_cue_reason(&mut self, id: &str, prefixes: &[&str], word: &str) {
        let ok = self.reasons(id).iter().any(|(p, t)| {
            p.unwrap_or(0) > 0
                && prefixes.iter().any(|pre| t.starts_with(pre))
                && quoted_parts(t)
                    .first()
                    .is_some_and(|q| q.to_lowercase().contains(&word.to_lowercase()))
        });
        self.check(
            ok,
            id,
            &format!("a reason {prefixes:?} quoting {word:?}, with points"),
        );
    }

    /// A reason with points off that starts with `prefix` and quotes or
    /// names `word`.
    fn expect_penalty_reason(&mut self, id: &str, prefix: &str, word: &str) {
        let ok = self
            .reasons(id)
            .iter()
            .any(|(p, t)| p.unwrap_or(0) < 0 && t.starts_with(prefix) && t.contains(word));
        self.check(
            ok,
            id,
            &format!("a reason {prefix:?} naming {word:?}, with points off"),
        );
    }

    /// The taxon whose evidence counts (its reason has points) is `name`.
    fn expect_counted_taxon(&mut self, id: &str, name: &str) {
        let named = format!("points to {name} (");
        let ok = self
            .reasons(id)
            .iter()
            .any(|(p, t)| p.unwrap_or(0) > 0 && t.contains(&named));
        self.check(ok, id, &format!("the evidence of {name} counted"));
    }

    /// The first taxon of the result is `name` exactly.
    fn expect_first_taxon(&mut self, id: &str, name: &str) {
        let ok = self.taxa(id).first().is_some_and(|t| t == name);
        self.check(ok, id, &format!("{name} first among the taxa"));
    }

    /// Some taxon's scientific name starts with `name`.
    fn expect_taxon(&mut self, id: &str, name: &str) {
        let ok = self.taxa(id).iter().any(|t| t.starts_with(name));
        self.check(ok, id, &format!("a taxon {name}…"));
    }

    /// No taxon's scientific name starts with `name`.
    fn expect_no_taxon(&mut self, id: &str, name: &str) {
        let ok = !self.taxa(id).iter().any(|t| t.starts_with(name));
        self.check(ok, id, &format!("no taxon {name}…"));
    }

    /// Each listing flagged when its label is true (an offer), not flagged when false.
    fn expect_labels(&mut self, labels: &[(String, bool)]) {
        for (id, label) in labels {
            if *label {
                self.expect_flagged(id);
            } else {
                self.expect_not_flagged(id);
            }
        }
    }

    /// Panics with every failure recorded, if any.
    fn finish(self) {
        assert!(
            self.failures.is_empty(),
            "{} expectation(s) failed, over {} listings:\n\n{}",
            self.failures.len(),
            self.listings.len(),
            self.failures.join("\n\n")
        );
    }
}

/// `s` in double quotes for a failure message, at most 300 characters of it, with control
/// characters escaped but every letter and mark as written (`{:?}` would print Thai marks as
/// `\u{e49}`).
fn show(s: &str) -> String {
    let mut out = String::from("\"");
    for (i, c) in s.chars().enumerate() {
        if i == 300 {
            out.push('…');
            break;
        }
        match c {
            '"' => out.push_str("\\\""),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The double-quoted parts of a reason (as `quoted` in the scorer writes them: `\"`, `\\`, `\n`,
/// `\t`, `\r` and `\u{…}` escaped), unescaped.
fn quoted_parts(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut part = String::new();
        let mut closed = false;
        while let Some(c) = chars.next() {
            match c {
                '"' => {
                    closed = true;
                    break;
                }
                '\\' => match chars.next() {
                    Some('n') => part.push('\n'),
                    Some('t') => part.push('\t'),
                    Some('r') => part.push('\r'),
                    Some('u') => {
                        // \u{XXXX}
                        let mut hex = String::new();
                        for c in chars.by_ref() {
                            if c == '}' {
                                break;
                            }
                            if c != '{' {
                                hex.push(c);
                            }
                        }
                        if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                        {
                            part.push(c);
                        }
                    }
                    Some(c) => part.push(c),
                    None => {}
                },
                c => part.push(c),
            }
        }
        if closed {
            parts.push(part);
        }
    }
    parts
}

// ---------------------------------------------------------------------------------------------
// cue languages
// ---------------------------------------------------------------------------------------------

fn cue_language_listings() -> Vec<Listing> {
    vec![
        listing(
            "cue-ban",
            "UK ivory ban comes into force",
            "The UK ivory ban now covers most items made before 1947. Dealers say the ban will hit antique shops hard.",
        ),
        listing(
            "cue-preban",
            "Pre-ban ivory: what the new rules mean for collectors",
            "Owners of pre-ban ivory pieces will need an exemption certificate to keep dealing in them.",
        ),
        listing(
            "cue-mp",
            "MP calls for tougher ivory rules",
            "An MP told Parliament that the ivory trade still thrives online.",
        ),
        listing(
            "cue-direct",
            "Rangers find direct evidence of elephant poaching",
            "Direct evidence from ivory seized in Kenya links the poaching to one network.",
        ),
        listing(
            "cue-gold",
            "Ivory and 24k Gold: the museum's new jewellery room",
            "The room shows Victorian ivory brooches set in 24k Gold.",
        ),
        // Controls: the same cues where their language fits.
        listing(
            "cue-vi-control",
            "Bán vòng ngà voi thật",
            "Vòng tay ngà voi, giá 3.000.000đ, liên hệ Zalo 0901234567",
        ),
        listing(
            "cue-en-control",
            "Carved ivory bangle",
            "Old carved ivory bangle, $300, WhatsApp +44 7700 900123",
        ),
    ]
}

#[test]
fn english_ban_and_pre_ban_are_not_the_vietnamese_sale_word_and_mp_direct_24k_gold_are_not_contact_or_price_cues()
 {
    let listings = cue_language_listings();
    let mut s = sweep(&listings);
    for id in ["cue-ban", "cue-preban"] {
        s.expect_no_reason_starting(id, "sale or purchase wording");
        s.expect_not_flagged(id);
    }
    for id in ["cue-mp", "cue-direct"] {
        s.expect_no_reason_starting(id, "contact, delivery or payment wording");
        s.expect_not_flagged(id);
    }
    s.expect_no_reason_starting("cue-gold", "a price is given");
    s.expect_not_flagged("cue-gold");
    // The Vietnamese sale word, contact and price still count in Vietnamese, and English ones
    // in English.
    s.expect_cue_reason("cue-vi-control", &["sale or purchase wording"], "bán");
    s.expect_cue_reason(
        "cue-vi-control",
        &["contact, delivery or payment wording"],
        "liên hệ",
    );
    s.expect_cue_reason("cue-vi-control", &["a price is given"], "");
    s.expect_flagged("cue-vi-control");
    s.expect_cue_reason(
        "cue-en-control",
        &["contact, delivery or payment wording"],
        "whatsapp",
    );
    s.expect_cue_reason("cue-en-control", &["a price is given"], "$300");
    s.finish();
}

#[test]
fn an_accented_word_is_not_an_english_cue_and_thai_rice_is_not_thai_news() {
    let listings = vec![
        listing(
            "cue-ngo",
            "Đấu giá móng cọp bọc vàng 18k",
            "Móng cọp thật, dài 4cm, khởi điểm 2 triệu. Ai nghi ngờ có thể đem đi kiểm định.",
        ),
        listing(
            "cue-ngo-control",
            "NGO report on the tiger trade",
            "An NGO says tiger claws are still sold online in Vietnam.",
        ),
        listing(
            "cue-th-rice",
            "",
            "หม้อข้าวหม้อแกงลิง ต้นใหญ่ ราคา 300 บาท สนใจทักไลน์",
        ),
        listing(
            "cue-th-news",
            "ข่าว ตรวจยึดงาช้าง",
            "เจ้าหน้าที่ตรวจยึดงาช้าง 20 กิโลกรัมที่ด่าน",
        ),
    ];
    let mut s = sweep(&listings);
    // "ngờ" (in "nghi ngờ", doubt) folds to "ngo" but is not the English "NGO".
    s.expect_no_reason_starting("cue-ngo", "wording of news");
    s.expect_flagged("cue-ngo");
    let news_quoting = |s: &Sweep, id: &str, word: &str| {
        s.reasons(id).iter().any(|(p, t)| {
            p.unwrap_or(0) < 0 && t.starts_with("wording of news") && t.contains(word)
        })
    };
    let ok = news_quoting(&s, "cue-ngo-control", "\"NGO\"");
    s.check(
        ok,
        "cue-ngo-control",
        "a news reason quoting \"NGO\" as written, with points off",
    );
    // ข้าว (rice, in the pitcher plant's name) differs from ข่าว (news) only by
    // its tone mark.
    s.expect_no_reason_starting("cue-th-rice", "wording of news");
    s.expect_flagged("cue-th-rice");
    let ok = news_quoting(&s, "cue-th-news", "\"ข่าว\"");
    s.check(
        ok,
        "cue-th-news",
        "a news reason quoting \"ข่าว\", with points off",
    );
    s.expect_not_flagged("cue-th-news");
    s.finish();
}

#[test]
fn bare_vietnamese_gia_is_a_price_only_beside_an_amount_and_a_portuguese_listing_gets_no_spanish_cue()
 {
    let listings = vec![
        listing(
            "vi-family",
            "Vòng ngà voi gia truyền",
            "Vòng tay ngà voi của gia đình, ông bà để lại.",
        ),
        listing(
            "vi-price-bare",
            "Ngà voi thật",
            "Vòng ngà voi thật, gia 5 triệu, ai cần ib.",
        ),
        listing(
            "vi-price-tr",
            "Ngà voi thật",
            "Vòng ngà voi thật, gia 5tr, ai cần ib.",
        ),
        listing(
            "vi-views",
            "Clip tê giác con tắm bùn",
            "Clip tê giác con tắm bùn đáng yêu đã đạt 2tr view, cảm ơn mọi người",
        ),
        listing(
            "vi-pages",
            "Sách ảnh về voi và tê giác",
            "Sách khổ lớn 350 tr, nhiều ảnh màu về voi, tê giác. Còn mới, ib",
        ),
        listing(
            "vi-price-no-accents",
            "Vong nga voi that",
            "Vong nga voi, gia ib Zalo",
        ),
        listing(
            "pt-soap",
            "Sabonete líquido Orquídea Selvagem 250 ml",
            "Sabonete líquido perfumado com fragrância floral de orquídea selvagem. Hidrata e limpa suavemente. Refil econômico.",
        ),
        listing(
            "es-control",
            "Liquido colección",
            "Liquido colmillo de elefante tallado, 300 €, envío a toda España.",
        ),
    ];
    let mut s = sweep(&listings);
    // "gia đình" (family) and "gia truyền" (handed down) are not "giá" (price) ...
    s.expect_no_reason_starting("vi-family", "a price is given");
    s.expect_no_reason_starting("vi-family", "price wording");
    // ... but bare "gia" with the amount after it is, and in text written without any accents
    // "gia" may still be "giá".
    s.expect_cue_reason("vi-price-bare", &["price wording"], "gia");
    s.expect_cue_reason("vi-price-no-accents", &["price wording"], "gia");
    // "5tr" (five million) is an amount with its unit: a price is given. "2tr view" (two
    // million views) and "350 tr" (pages) are no price.
    s.expect_cue_reason("vi-price-tr", &["a price is given"], "5tr");
    for id in ["vi-views", "vi-pages"] {
        s.expect_no_reason_starting(id, "a price is given");
        s.expect_no_reason_starting(id, "price wording");
    }
    // "líquido" (liquid) in a Portuguese listing is not the Spanish sale word "liquido" (I am
    // selling off): "orquídea", Spanish and Portuguese, no longer makes the listing Spanish.
    s.expect_no_reason_starting("pt-soap", "sale or purchase wording");
    s.expect_cue_reason("es-control", &["sale or purchase wording"], "liquido");
    s.finish();
}

#[test]
fn a_folded_match_says_what_was_folded_and_never_claims_accents_it_did_not_fold() {
    let listings = vec![
        // Written as listed, with its accents, but with a comma between the words of the term.
        listing("vi-comma", "", "bán rùa, đầu to, giá 500k, ib zalo"),
        // No accents written: they were folded.
        listing("vi-bare", "", "ban nga voi nguyen khuc, gia 5tr, ib zalo"),
        // A hyphen the term does not have.
        listing(
            "en-hyphen",
            "",
            "selling tiger - bone, whole, 2 kg, price by DM",
        ),
        // Full-width letters.
        listing("en-wide", "", "ｉｖｏｒｙ carving for sale, DM for price"),
    ];
    let mut s = sweep(&listings);
    for id in ["vi-comma", "en-hyphen"] {
        s.expect_flagged(id);
        s.expect_reason_containing(
            id,
            "punctuation or symbols between its words read as spaces",
        );
        s.expect_no_reason_containing(id, "accent");
    }
    s.expect_reason_containing(
        "vi-comma",
        "every species match was found only with punctuation or symbols between its words read as spaces (its words may belong to different phrases)",
    );
    s.expect_reason_containing("vi-bare", "matched only with accents folded");
    s.expect_reason_containing(
        "vi-bare",
        "every species match was found only with accents folded (the listing may mean another word written without accents)",
    );
    s.expect_no_reason_containing("vi-bare", "punctuation");
    s.expect_reason_containing("en-wide", "matched only with letter forms folded");
    s.expect_no_reason_containing("en-wide", "accent");
    s.finish();
}

#[test]
fn mammoth_ivory_is_not_elephant_ivory_and_elephant_ivory_beside_it_still_counts() {
    let listings = vec![
        // Mammoth ivory, sold openly: not a listed species.
        listing(
            "en-mammoth",
            "Mammoth ivory pendant - Yakutian permafrost",
            "Hand-carved woolly mammoth ivory pendant, 5 cm. $95 incl. shipping.",
        ),
        listing(
            "zh-mammoth",
            "猛犸象牙 挂件 带证书",
            "俄罗斯进口猛犸象牙雕刻挂件，带原产地证书。680元包邮。",
        ),
        listing(
            "ru-mammoth",
            "Бивень мамонта, Якутия",
            "Продам фрагмент бивня мамонта, 62 см, 4,5 кг. Цена в ЛС.",
        ),
        listing(
            "de-mammoth",
            "Taschenmesser mit Griff aus Mammut-Elfenbein",
            "Griffschalen aus fossilem Mammutelfenbein, Klinge Damast. 180 €.",
        ),
        // Elephant ivory beside mammoth ivory: still offers.
        listing(
            "en-not-mammoth",
            "Ivory bangle",
            "NOT mammoth ivory - genuine old elephant ivory, 92 g. DM for price.",
        ),
        listing(
            "de-both",
            "Mammutstoßzahn und Elefantenstoßzahn aus Nachlass",
            "Beide zusammen abzugeben, keine Papiere. Preis VB.",
        ),
        listing(
            "zh-declared",
            "猛犸象牙手镯 老料",
            "标题写猛犸象牙是为了过审，实际是非洲象牙。私聊。",
        ),
        listing(
            "ja-declared",
            "マンモスアイボリー 表記ですが実物は象牙",
            "出品カテゴリの関係でマンモスアイボリーと書いていますが、実物は象牙のブレスレットです。即決5万円。",
        ),
        // The same decoy listed for Simplified and Traditional Chinese is one decoy.
        // A product word sharing words with a decoy is what the decoy says it is: 仿象牙手镯 is
        // an imitation-ivory bracelet. A longer term holding a whole decoy stays.
        listing("zh-imitation", "仿象牙手镯 出售", "树脂材质，包邮"),
        listing(
            "en-eagle-claw",
            "Real bald eagle claw",
            "Real bald eagle claw for sale, DM for price",
        ),
        listing(
            "zh-one-decoy",
            "不是象牙 树脂手镯",
            "另有象牙筷子一双，私聊",
        ),
        listing(
            "ru-mammoth-dative",
            "Кулон, резьба по бивню мамонта",
            "Резьба по бивню мамонта, ручная работа. 3500 руб., доставка по РФ.",
        ),
        listing(
            "ru-mammoth-prepositional",
            "Нэцкэ",
            "Нэцкэ «Заяц», вырезано на бивне мамонта. Цена 4000 руб, пишите в ЛС.",
        ),
    ];
    let mut s = sweep(&listings);
    for id in ["en-mammoth", "zh-mammoth", "ru-mammoth", "de-mammoth"] {
        s.expect_not_flagged(id);
        s.expect_no_taxon(id, "Elephantidae");
    }
    for id in ["en-not-mammoth", "de-both", "zh-declared", "ja-declared"] {
        s.expect_flagged(id);
        // No decoy takes points off for the mammoth wording, nor for アイボリー (the colour)
        // inside マンモスアイボリー.
        s.expect_no_reason_starting(id, "decoy context");
    }
    for id in ["en-not-mammoth", "zh-declared", "ja-declared"] {
        s.expect_reason_containing(id, "names goods of an animal that CITES does not list");
    }
    s.expect_not_flagged("zh-imitation");
    s.expect_no_taxon("zh-imitation", "Elephantidae");
    // Russian mammoth wording in every case ("по бивню мамонта", "на бивне мамонта").
    for id in ["ru-mammoth-dative", "ru-mammoth-prepositional"] {
        s.expect_not_flagged(id);
        s.expect_no_taxon(id, "Elephantidae");
    }
    s.expect_flagged("en-eagle-claw");
    s.expect_cue_reason("en-eagle-claw", &["product word"], "bald eagle claw");
    s.expect_reason_containing("zh-one-decoy", "decoy context \"不是象牙\" usually means");
    s.expect_no_reason_containing("zh-one-decoy", "found 2 times");
    s.finish();
}

#[test]
fn a_sale_word_inside_not_selling_or_a_question_is_no_sale_wording_and_a_question_is_not_called_news()
 {
    let listings = vec![
        listing(
            "en-not-selling",
            "Is this ivory?",
            "Inherited an ivory bangle from my nan, not selling, just curious what it is.",
        ),
        listing(
            "pt-question",
            "",
            "Herdei da minha avó um crucifixo de marfim. Alguém sabe se posso vender?",
        ),
        listing(
            "zh-no-more",
            "",
            "穿山甲片没有了，以后也不卖了，别再私信问了，谢谢",
        ),
        listing(
            "hi-not-selling",
            "",
            "दादी की हाथी दांत की चूड़ी है घर में, बेचना नहीं है",
        ),
        listing(
            "ja-question",
            "",
            "祖母の遺品に象牙の帯留めが出てきました。メルカリで売ってもいいものなのでしょうか？",
        ),
        // Sale wording outside the negation still counts.
        listing(
            "en-one-not-selling",
            "Two ivory bangles",
            "Not selling the small one; the large ivory bangle is for sale. DM me.",
        ),
    ];
    let mut s = sweep(&listings);
    for id in [
        "en-not-selling",
        "pt-question",
        "zh-no-more",
        "hi-not-selling",
        "ja-question",
    ] {
        s.expect_not_flagged(id);
        s.expect_no_reason_starting(id, "sale or purchase wording");
    }
    s.expect_reason_containing("en-not-selling", "decoy context \"not selling\"");
    s.expect_reason_containing("hi-not-selling", "decoy context \"बेचना नहीं है\"");
    for (id, words) in [
        ("pt-question", "\"posso vender\""),
        ("ja-question", "\"売ってもいいもの\""),
    ] {
        s.expect_reason_containing(
            id,
            &format!("wording of a question about the law ({words}): people asking whether they may sell or keep something are usually not offering it"),
        );
        s.expect_no_reason_containing(id, "news");
    }
    s.expect_flagged("en-one-not-selling");
    s.expect_cue_reason(
        "en-one-not-selling",
        &["sale or purchase wording"],
        "for sale",
    );
    s.finish();
}

#[test]
fn a_phrase_never_runs_from_a_title_into_its_description() {
    let listings = vec![
        // "te koop" ends the title and "Geen" opens the description: no "koop geen" (buy
        // none), which is news wording.
        listing(
            "nl-te-koop",
            "Ivoren armband te koop",
            "Geen certificaat, wel oud. 92 gram. Prijs 300 euro.",
        ),
        listing(
            "en-two-fields",
            "Old carved African",
            "grey parrot figurine, 12 cm, for sale. DM for price",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_flagged("nl-te-koop");
    s.expect_no_reason_starting("nl-te-koop", "wording of news");
    s.expect_no_reason_containing("en-two-fields", "African");
    s.finish();
}

#[test]
fn a_split_vietnamese_syllable_is_read_whole_but_abbreviations_and_thai_word_lists_are_not() {
    let listings = vec![
        // "h.ổ" and "t.ê": one dot inside a syllable, against filters.
        listing(
            "vi-split-tiger",
            "",
            "Cao h.ổ cốt nguyên chất, hàng rừng nấu tại nhà. 1 lạng 3tr5, ib zalo",
        ),
        listing(
            "vi-split-rhino",
            "",
            "Có hàng sừng t.ê châu Phi loại đẹp, ai cần inbox giá.",
        ),
        // Written by a review against the first version of the rule: Thai
        // word lists joined by hyphens (turtle-star-fish blocks, a
        // turtle-rabbit figurine, an elephant-forest-waterfall tour) and
        // ordinary abbreviations with dots.
        listing(
            "th-turtle-star",
            "",
            "บล็อกไม้รูปทรง วงกลม-สามเหลี่ยม รูป เต่า-ดาว-ปลา ราคา 99 บาท",
        ),
        listing(
            "th-farm-figures",
            "",
            "โมเดลสัตว์ ไก่-เป็ด-เต่า-กระต่าย-ม้า-วัว พร้อมส่ง",
        ),
        listing("th-tour", "", "ทัวร์ ช้าง-ป่า-น้ำตก 1 วัน ราคา 1500 บาท"),
        listing(
            "en-us-agency",
            "Old piano, ivory keytops",
            "Before exporting please contact U.S. Fish and Wildlife.",
        ),
        listing(
            "en-cb-frogs",
            "Mantella C.B. 2024",
            "Mantella aurantiaca C.B. juveniles, healthy eaters, shipping available",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_flagged("vi-split-tiger");
    s.expect_taxon("vi-split-tiger", "Panthera tigris");
    s.expect_reason_containing("vi-split-tiger", "written as \"Cao h.ổ cốt\"");
    s.expect_flagged("vi-split-rhino");
    s.expect_taxon("vi-split-rhino", "Rhinocerotidae");
    for id in [
        "th-turtle-star",
        "th-farm-figures",
        "th-tour",
        "en-us-agency",
    ] {
        s.expect_not_flagged(id);
    }
    s.expect_no_taxon("th-turtle-star", "Geochelone elegans");
    s.expect_no_taxon("th-farm-figures", "Eretmochelys imbricata");
    s.expect_no_reason_containing("en-us-agency", "contact U.S");
    s.expect_flagged("en-cb-frogs");
    s.expect_no_reason_containing("en-cb-frogs", "slip past keyword filters");
    s.finish();
}

/// Tegus (Salvator, Tupinambis) and Paraguayan palo santo (Bulnesia
/// sarmientoi) were missing. Their bare names are not terms: a review
/// (2026-12-06) flagged Tegu toy blocks, a dog and a beer named Salvator,
/// a boy called Teju and Russian "по тегу" (by tag) with them.
#[test]
fn tegus_and_paraguayan_palo_santo_are_found_but_toys_names_and_incense_are_not() {
    let listings = vec![
        listing(
            "es-lagarto-overo",
            "Lote 45 – Partida de cueros de lagarto overo curtidos",
            "Cincuenta cueros curtidos al cromo, 30–40 cm de ancho. Base: US$ 900.",
        ),
        listing(
            "en-bw-tegu",
            "Argentine black and white tegu hatchlings",
            "Captive bred 2025, eating well. $250 each, local pickup only.",
        ),
        listing(
            "es-bulnesia",
            "",
            "Palo santo paraguayo (Bulnesia sarmientoi), rollizos y aserrín por tonelada. \
             Consultas por WhatsApp.",
        ),
        listing(
            "en-tegu-blocks",
            "Tegu 42-Piece Magnetic Wooden Block Set",
            "Great for babies and toddlers, all pieces included. $60, local pickup.",
        ),
        listing(
            "en-salvator-dog",
            "Salvator – 2 yr old male Cane Corso",
            "Rehoming fee $400, vaccinated, good with kids.",
        ),
        listing(
            "en-salvator-steins",
            "Pair of Paulaner Salvator beer steins",
            "Half litre, 1980s, no chips. $35 for the pair, shipping available.",
        ),
        listing(
            "en-teju-bag",
            "Selling Teju's leather school bag",
            "Genuine leather, used one year. $20, pickup only.",
        ),
        listing(
            "ru-teg",
            "Кожаная сумка",
            "Натуральная кожа, 3000 руб. Ещё объявления по тегу #кожа.",
        ),
        listing(
            "en-bursera",
            "Palo Santo sticks, 1 lb",
            "Bursera graveolens from Ecuador, fallen wood only, for smudging. $29.99, free shipping.",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_flagged("es-lagarto-overo");
    s.expect_taxon("es-lagarto-overo", "Salvator merianae");
    s.expect_flagged("en-bw-tegu");
    s.expect_taxon("en-bw-tegu", "Salvator merianae");
    s.expect_flagged("es-bulnesia");
    s.expect_taxon("es-bulnesia", "Bulnesia sarmientoi");
    for id in [
        "en-tegu-blocks",
        "en-salvator-dog",
        "en-salvator-steins",
        "en-teju-bag",
        "ru-teg",
        "en-bursera",
    ] {
        s.expect_not_flagged(id);
    }
    for id in ["en-tegu-blocks", "en-salvator-dog", "en-teju-bag", "ru-teg"] {
        s.expect_no_taxon(id, "Salvator");
    }
    s.finish();
}

/// The spiral aloe (Aloe polyphylla, Appendix I) was missing; seed shops
/// sell it. "Spiral aloe vera" pots and "aloe espiral" hair creams are not
/// it (Aloe vera is not listed).
#[test]
fn spiral_aloe_seeds_are_found_but_aloe_vera_pots_and_creams_are_not() {
    let listings = vec![
        listing(
            "en-spiral-aloe-seeds",
            "Spiral Aloe - 5 seeds",
            "Regular price $23.99. Aloe polyphylla from the Maluti Mountains of Lesotho.",
        ),
        listing(
            "en-aloe-vera-pot",
            "Spiral Aloe Vera plant in ceramic pot",
            "Healthy Aloe vera, 30 cm, sold with spiral pattern pot. $15, local pickup.",
        ),
        listing(
            "es-aloe-cream",
            "Peinado aloe espiral",
            "Crema de peinado con aloe, rizos en espiral definidos. 250 ml, $9.990, envío gratis.",
        ),
        listing(
            "en-blue-tegu-blocks",
            "Blue Tegu magnetic wooden blocks, 14 pc",
            "Like new, all pieces. $30, local pickup.",
        ),
        listing(
            "en-palo-santo-bowl",
            "Paraguayan palo santo wooden bowl",
            "Hand-carved bowl, 15 cm, natural oils. $40, ships worldwide.",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_flagged("en-spiral-aloe-seeds");
    s.expect_taxon("en-spiral-aloe-seeds", "Aloe polyphylla");
    for id in [
        "en-aloe-vera-pot",
        "es-aloe-cream",
        "en-blue-tegu-blocks",
        "en-palo-santo-bowl",
    ] {
        s.expect_not_flagged(id);
    }
    s.finish();
}

/// Found on real web pages (2026-12-06): cue terms whose symbols matching
/// reads as spaces ("% off", "/ekor", "interesse?") were found without the
/// symbol, and the English auction word "lot" in "a lot". Each of the
/// three wrongly flagged here was flagged before. The symbol must be
/// right after the word: "interesse niet?" is no "interesse?".
#[test]
fn a_cue_with_a_symbol_needs_the_symbol_and_lot_needs_a_number() {
    let listings = vec![
        listing(
            "en-off-shoulder",
            "Satin dress with light beading",
            "Light ivory duchess satin off-shoulder dress, fitted at the waist, \
             with a line of stacked crystals on the shoulders.",
        ),
        listing(
            "en-percent-off",
            "Carved ivory bangle",
            "Old carved ivory bangle, 45 g, 20% off this week only.",
        ),
        listing(
            "id-ekor-count",
            "",
            "Polisi menyita 100 ekor trenggiling hidup dari sebuah gudang di Medan.",
        ),
        listing(
            "id-per-ekor",
            "",
            "Jual anakan sanca batik sehat, 350rb/ekor, bisa kirim.",
        ),
        listing(
            "nl-interesse-news",
            "",
            "De interesse in ivoor blijft groot, ook bij jonge verzamelaars van ivoren beeldjes.",
        ),
        listing(
            "nl-interesse-vraag",
            "Ivoren armband",
            "Ivoren armband, 40 gram. Interesse? Stuur een bericht.",
        ),
        listing(
            "en-a-lot",
            "The African Grey Parrot",
            "If you're a bird-lover you'll know a little bit (or a lot!) about the \
             African grey parrot, its red tail and its talking.",
        ),
        listing(
            "en-lot-number",
            "Lot 45: carved ivory okimono",
            "A Japanese carved ivory okimono of a fisherman, Meiji period, 12 cm.",
        ),
        listing(
            "en-lot-hash",
            "LOT#8249 Ivory Tusks (pair)",
            "All sales final.",
        ),
        listing(
            "en-lot-of-3",
            "Lot of 3 carved ivory netsuke",
            "Meiji period, each about 4 cm.",
        ),
        listing(
            "en-a-lot-number",
            "Parrot care tips",
            "African grey parrots talk a lot 2 hours a day is normal for them, owners say.",
        ),
        listing(
            "nl-interesse-far",
            "Ivoren beeldjes",
            "Wie zou er interesse hebben? Onze club verzamelt verhalen over ivoren beeldjes.",
        ),
        listing(
            "nl-interesse-next-word",
            "Ivoren beeldjes",
            "Waarom daalt de interesse niet? Onderzoekers zien dat ivoren beeldjes nog steeds verkocht worden.",
        ),
    ];
    let mut s = sweep(&listings);
    for id in ["en-off-shoulder", "nl-interesse-news", "en-a-lot"] {
        s.expect_not_flagged(id);
    }
    s.expect_no_reason_starting("en-off-shoulder", "sale or purchase wording");
    s.expect_cue_reason("en-percent-off", &["sale or purchase wording"], "off");
    s.expect_no_reason_starting("id-ekor-count", "price wording");
    s.expect_cue_reason("id-per-ekor", &["price wording"], "ekor");
    s.expect_no_reason_starting("nl-interesse-news", "sale or purchase wording");
    s.expect_cue_reason(
        "nl-interesse-vraag",
        &["sale or purchase wording"],
        "interesse",
    );
    s.expect_no_reason_starting("en-a-lot", "sale or purchase wording");
    s.expect_cue_reason("en-lot-number", &["sale or purchase wording"], "lot");
    s.expect_cue_reason("en-lot-hash", &["sale or purchase wording"], "lot");
    s.expect_cue_reason("en-lot-of-3", &["sale or purchase wording"], "lot");
    s.expect_no_reason_starting("en-a-lot-number", "sale or purchase wording");
    s.expect_not_flagged("en-a-lot-number");
    for id in ["nl-interesse-far", "nl-interesse-next-word"] {
        s.expect_no_reason_starting(id, "sale or purchase wording");
    }
    s.finish();
}

/// Vietnamese tone marks make other words: in a listing written with them,
/// a bare "ban" is not "bán" (sell): "trời ban" (heaven-sent, in a news
/// story on agarwood found on a real page), "ban ngày" (daytime). A
/// listing written with no marks at all still reads "Ban" as "bán".
#[test]
fn a_vietnamese_cue_without_its_marks_in_a_marked_listing_is_another_word() {
    let listings = vec![
        listing(
            "vi-heaven-sent",
            "",
            "Khối trầm hương này là báu vật trời ban, dài gần 2,8 mét.",
        ),
        listing(
            "vi-daytime",
            "",
            "Vòng tay ngà voi của bà, ban ngày nhìn rất đẹp.",
        ),
        listing("vi-unmarked", "", "Ban nga voi that, gia 5tr, ib zalo"),
        // A place name or the đồng sign does not make a listing marked.
        listing(
            "vi-unmarked-place",
            "",
            "can ban vong nga voi that, giao hang tan noi, khu vuc Hà Nội",
        ),
    ];
    let mut s = sweep(&listings);
    for id in ["vi-heaven-sent", "vi-daytime"] {
        s.expect_no_reason_starting(id, "sale or purchase wording");
        s.expect_not_flagged(id);
    }
    s.expect_cue_reason("vi-unmarked", &["sale or purchase wording"], "ban");
    s.expect_cue_reason("vi-unmarked-place", &["sale or purchase wording"], "ban");
    s.expect_flagged("vi-unmarked-place");
    s.finish();
}

/// When two taxa are named as strongly, the evidence that counts is the
/// more specific taxon's where the same words name both (the saker falcon,
/// Appendix II, not the falcons, Appendix I/II), and a taxon whose words
/// hold another's whole (a narwhal's or a hippo's tusk is not an
/// elephant's because the text also says "the tusk"); otherwise the first
/// in the list, so a longer name of a fitting or of the animal a carving
/// shows does not replace the ivory it is made of (a review found both
/// with a rule that preferred the longest or most specific name). Names
/// of one species that the list held under a higher taxon ("loro yaco",
/// an African grey, under the parrots; "птенцы кречета", gyrfalcon chicks,
/// Appendix I, under the falcons, whose least protected part is Appendix
/// II) are the species' own.
#[test]
fn the_most_specific_taxon_named_counts_so_a_narwhal_tusk_is_not_elephant_ivory() {
    let listings = vec![
        listing(
            "en-narwhal",
            "",
            "Narwhal tusk, 1.8 m long, with CITES papers. The tusk is straight and \
             spiralled. $9,000, shipping worldwide.",
        ),
        listing(
            "en-hippo",
            "",
            "Whole hippo tusk, 4 lb, 50 years old. The tusk has some cracks. £100, \
             collection only.",
        ),
        listing(
            "en-saker",
            "",
            "Saker falcon for sale, female, 2 years, hunting trained, price 5000 USD, WhatsApp",
        ),
        listing(
            "es-loro-yaco",
            "Vendo loro yaco con jaula",
            "Vendo loro yaco, muy manso, con jaula grande. Precio 800 €.",
        ),
        listing(
            "ru-gyr-chicks",
            "Птенцы кречета",
            "Продаю птенцы кречета, белые, 2 шт., цена 500000 руб., звоните.",
        ),
        listing(
            "ko-peregrine",
            "송골매 분양",
            "송골매 분양합니다. 건강한 새끼, 300만원, 카톡 주세요.",
        ),
        listing(
            "en-ivory-on-rosewood",
            "",
            "Antique carved ivory fisherman figure, 14 cm, on a Burmese rosewood base. \
             £650, UK postage only.",
        ),
        listing(
            "en-ivory-macaque",
            "",
            "Ivory okimono of a Barbary macaque holding a peach, Meiji, 6 cm. \
             Offers over £400, message me.",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_counted_taxon("en-narwhal", "Monodon monoceros");
    // The elephants' "tusk" was as strong; its reason does not call it weaker.
    s.expect_reason_containing(
        "en-narwhal",
        "not counted: as strong as the taxon that counts",
    );
    s.expect_counted_taxon("en-hippo", "Hippopotamus amphibius");
    s.expect_counted_taxon("en-saker", "Falco cherrug");
    s.expect_counted_taxon("es-loro-yaco", "Psittacus erithacus");
    s.expect_counted_taxon("ru-gyr-chicks", "Falco rusticolus");
    s.expect_counted_taxon("ko-peregrine", "Falco peregrinus");
    s.expect_counted_taxon("en-ivory-on-rosewood", "Elephantidae");
    s.expect_counted_taxon("en-ivory-macaque", "Elephantidae");
    for id in [
        "en-narwhal",
        "en-hippo",
        "en-saker",
        "es-loro-yaco",
        "ru-gyr-chicks",
        "ko-peregrine",
        "en-ivory-on-rosewood",
        "en-ivory-macaque",
    ] {
        s.expect_flagged(id);
    }
    s.finish();
}

/// A species in Appendix I whose names the list held under a split
/// higher taxon was reported by that taxon's least protected part: a
/// ring-tailed lemur as "Primates (Appendix I/II … Appendix II)", an ocelot
/// coat as the cats, a golden lion tamarin as the marmosets and tamarins.
/// Every lemur, and each of these species, is in Appendix I, and the text
/// names it: the reason now says so, also where a product word of the
/// higher taxon overlaps the species' name ("pluma de águila harpía",
/// "Siamese crocodile leather handbag": the same thing named more fully).
/// A name shared by species in different Appendices (a capuchin, Appendix
/// II; "tigrillo", several small cats) stays with the split taxon and its
/// careful wording, and so does a species named only to compare (either
/// way round), or inside the name of another animal ("Siberian lynx",
/// "New Guinea harpy eagle", "giant otter shrew").
#[test]
fn appendix_i_species_named_in_the_text_are_reported_as_appendix_i_not_by_a_split_listings_least_protected_part()
 {
    let listings = vec![
        listing(
            "en-lemur",
            "Ring-tailed lemur for sale",
            "Ring-tailed lemur, 6 months, hand raised, very tame. $3,500, DM me.",
        ),
        listing(
            "de-ozelot",
            "Ozelotmantel Gr. 38",
            "Verkaufe echten Ozelotmantel aus den 60ern, Größe 38, guter Zustand. 450 €, Versand möglich.",
        ),
        listing(
            "pt-mico-leao",
            "Vendo mico-leão-dourado",
            "Vendo filhote de mico-leão-dourado, manso, R$ 2.500, chama no zap.",
        ),
        listing(
            "pt-ariranha",
            "Filhote de ariranha",
            "Vendo filhote de ariranha criado na mamadeira, R$ 1.800, WhatsApp.",
        ),
        listing(
            "es-harpia",
            "Se vende pluma de águila harpía",
            "Vendo plumas de águila harpía, auténticas, 40 dólares cada una, envío a todo el país.",
        ),
        listing(
            "en-siamese-croc",
            "Siamese crocodile leather handbag",
            "Genuine Siamese crocodile leather handbag, 30 cm, never used. $650, free shipping.",
        ),
        listing(
            "es-nuca-amarilla",
            "Vendo loro nuca amarilla",
            "Vendo loro nuca amarilla, ya habla, muy manso. $6,000, inbox.",
        ),
        listing(
            "en-rajah",
            "Nepenthes rajah for sale",
            "Nepenthes rajah, 10 cm rosette, grown from seed. $120 plus shipping, message me.",
        ),
        listing(
            "en-turbinicarpus",
            "Turbinicarpus alonsoi",
            "Turbinicarpus alonsoi, 3 cm, own roots. 25 € each, shipping within the EU, message me.",
        ),
        listing(
            "en-birdwing",
            "Queen Alexandra's birdwing, male, A1",
            "Queen Alexandra's birdwing, male, A1 quality, papered specimen. $900, PayPal, shipping worldwide.",
        ),
        listing(
            "en-caiman-compared",
            "Caiman crocodile leather belt",
            "Caiman crocodile leather belt, 110 cm, looks just like saltwater crocodile. \
             $80, free shipping.",
        ),
        listing(
            "en-compared-first",
            "Caiman crocodile leather belt",
            "Looks like Siamese crocodile leather! Actually caiman crocodile leather \
             belt, 110 cm. $80, free shipping.",
        ),
        listing(
            "en-siberian-lynx",
            "Siberian lynx fur coat",
            "Siberian lynx fur coat, full length, size M. $2,500, shipping worldwide.",
        ),
        listing(
            "en-new-guinea-harpy",
            "New Guinea harpy eagle feathers",
            "New Guinea harpy eagle feathers, 3 pcs, $40 each, DM me.",
        ),
        listing(
            "en-otter-shrew",
            "Giant otter shrew specimen",
            "Giant otter shrew specimen, skull and skin, museum quality. $300, DM me.",
        ),
        listing(
            "en-capuchin",
            "Capuchin monkey for sale",
            "Capuchin monkey, 1 year old, diaper trained. $4,000, WhatsApp only.",
        ),
        // Mandrill is also an e-mail service (Mailchimp's).
        listing(
            "en-mandrill-account",
            "Mandrill account for sale",
            "Aged Mandrill account, high sending limits, verified domain. $150, DM me.",
        ),
        listing(
            "en-mandrill-baby",
            "Mandrill baby for sale",
            "Mandrill baby, 6 months, eating well. DM for price.",
        ),
    ];
    let mut s = sweep(&listings);
    for (id, taxon) in [
        ("en-lemur", "Lemuriformes"),
        ("de-ozelot", "Leopardus pardalis"),
        ("pt-mico-leao", "Leontopithecus"),
        ("pt-ariranha", "Pteronura brasiliensis"),
        ("es-harpia", "Harpia harpyja"),
        ("en-siamese-croc", "Crocodylus siamensis"),
        ("es-nuca-amarilla", "Amazona auropalliata"),
        ("en-rajah", "Nepenthes rajah"),
        ("en-turbinicarpus", "Turbinicarpus"),
        ("en-birdwing", "Ornithoptera alexandrae"),
    ] {
        s.expect_flagged(id);
        s.expect_counted_taxon(id, taxon);
        s.expect_reason_containing(id, &format!("points to {taxon} (CITES Appendix I)"));
    }
    s.expect_flagged("en-caiman-compared");
    s.expect_counted_taxon("en-caiman-compared", "Crocodylia");
    s.expect_counted_taxon("en-compared-first", "Crocodylia");
    // Lynx lynx, Appendix II; not the Iberian lynx inside its name.
    s.expect_counted_taxon("en-siberian-lynx", "Lynx");
    s.expect_no_taxon("en-siberian-lynx", "Lynx pardinus");
    // Harpyopsis (Appendix II) and a tenrec (not listed).
    s.expect_no_taxon("en-new-guinea-harpy", "Harpia harpyja");
    s.expect_no_taxon("en-otter-shrew", "Pteronura brasiliensis");
    s.expect_not_flagged("en-otter-shrew");
    s.expect_flagged("en-capuchin");
    s.expect_counted_taxon("en-capuchin", "Primates");
    s.expect_reason_containing("en-capuchin", "its least protected part Appendix II");
    s.expect_not_flagged("en-mandrill-account");
    s.expect_no_taxon("en-mandrill-account", "Mandrillus");
    s.expect_flagged("en-mandrill-baby");
    s.expect_counted_taxon("en-mandrill-baby", "Mandrillus");
    s.finish();
}

/// The names of organisations among the news words ("TRAFFIC", "PETA")
/// are acronyms, and written in small letters they are other words: a
/// shop's "high traffic on the site" (found by a review on 2026-12-06),
/// the Indonesian "peta" (a map).
#[test]
fn a_news_acronym_written_in_small_letters_is_another_word() {
    let listings = vec![
        listing(
            "en-high-traffic",
            "Coral frag sale - high traffic weekend",
            "Huge coral frag sale this weekend! Acropora frags from $20, Euphyllia \
             frags $35. Due to high traffic on the site, orders may take 2 days to ship.",
        ),
        listing(
            "id-peta",
            "Jual gaharu super",
            "Jual kayu gaharu super kualitas ekspor, 1 kg Rp 2.500.000. Lokasi \
             lihat peta di profil, bisa COD.",
        ),
        listing(
            "en-traffic-report",
            "",
            "A TRAFFIC report found 300 ivory carvings offered online at $200 each.",
        ),
    ];
    let mut s = sweep(&listings);
    for id in ["en-high-traffic", "id-peta"] {
        s.expect_flagged(id);
        s.expect_no_reason_starting(id, "wording of news");
    }
    s.expect_penalty_reason("en-traffic-report", "wording of news", "TRAFFIC");
    s.expect_not_flagged("en-traffic-report");
    s.finish();
}

#[test]
fn a_word_of_the_listings_language_spelt_like_a_species_term_of_another_does_not_count() {
    let listings = vec![
        // Dutch "oud" is "old", not the English "oud" (agarwood): no agarwood, and no "name
        // together with a product word" made of it.
        listing(
            "nl-oud",
            "Oude ivoren armband te koop",
            "De armband is heel oud en mooi, 92 gram. Ophalen in Utrecht.",
        ),
        // Portuguese "boa" is "good", not the snake.
        listing(
            "pt-boa",
            "Pulseira de marfim antiga",
            "Pulseira de marfim em boa condição, 40 gramas. Vendo por R$ 900, chama no zap.",
        ),
        // The scientific name holding "Boa" is no Portuguese word.
        listing(
            "pt-boa-constrictor",
            "Jiboia 1 ano",
            "Vendo jiboia (Boa constrictor) 1 ano, 1,10 m, mansa. R$ 900.",
        ),
        // Another term of the taxon counts: "oud" may mean agarwood here, and nothing is
        // claimed about it.
        listing(
            "nl-agarhout",
            "",
            "Echte oud (agarhout) uit Cambodja, chips 5 g €45. Pm",
        ),
        listing(
            "en-oud",
            "Oud chips",
            "Genuine oud chips for sale, 10 g, DM me",
        ),
        // Italian and German "nutria" is the coypu (not listed); Spanish "nutria" is an otter.
        listing(
            "it-nutria",
            "Pelliccia di nutria",
            "Pelliccia di nutria vintage, taglia 44, ottime condizioni. 120 euro, spedizione.",
        ),
        listing(
            "de-nutria",
            "Nutria Jungtiere abzugeben",
            "Zwei Nutrias, Nachzucht 2024, 3 Monate alt. 40 € pro Tier, nur Abholung.",
        ),
        listing(
            "es-nutria",
            "Vendo nutria bebé",
            "Cachorro de nutria, 2 meses, come solo. Precio por WhatsApp.",
        ),
    ];
    let mut s = sweep(&listings);
    for id in ["it-nutria", "de-nutria"] {
        s.expect_not_flagged(id);
        s.expect_no_taxon(id, "Mustelidae");
    }
    s.expect_flagged("es-nutria");
    s.expect_counted_taxon("es-nutria", "Mustelidae");
    s.expect_flagged("nl-oud");
    s.expect_no_taxon("nl-oud", "Aquilaria");
    s.expect_no_reason_containing("nl-oud", "appears together with a product word");
    s.expect_reason_containing(
        "nl-oud",
        "\"oud\" is read as a word of the listing's language (nl), not as the species term of another language spelt the same, and does not count",
    );
    s.expect_flagged("pt-boa");
    s.expect_no_taxon("pt-boa", "Boa");
    s.expect_taxon("pt-boa-constrictor", "Boa constrictor");
    s.expect_no_reason_containing(
        "pt-boa-constrictor",
        "is read as a word of the listing's language",
    );
    s.expect_taxon("nl-agarhout", "Aquilaria");
    s.expect_no_reason_containing("nl-agarhout", "is read as a word of the listing's language");
    s.expect_flagged("en-oud");
    s.expect_taxon("en-oud", "Aquilaria");
    s.finish();
}

#[test]
fn a_number_word_is_price_wording_only_when_it_counts_money() {
    let listings = vec![
        // "1,2 juta potong" is 1.2 million pieces, not a price.
        listing(
            "id-count",
            "Ekspor Karang Hias Capai 1,2 Juta Potong",
            "Data kuota menunjukkan ekspor karang hias hasil transplantasi mencapai 1,2 juta potong tahun lalu.",
        ),
        listing(
            "id-price",
            "Karang hias acropora",
            "Karang hias acropora ukuran besar, 2 juta nego, COD Jakarta.",
        ),
        listing(
            "pt-count",
            "",
            "Foram 3 mil aves apreendidas, entre elas araras e papagaios.",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_no_reason_containing("id-count", "price");
    s.expect_cue_reason("id-price", &["price wording", "a price is given"], "juta");
    s.expect_no_reason_containing("pt-count", "price");
    s.finish();
}

#[test]
fn sold_notices_owners_questions_and_diwali_owl_offers_from_a_fresh_social_review() {
    let listings = vec![
        listing(
            "en-sold",
            "SOLD - Umbrella cockatoo",
            "Bella went to her new home today. Nothing else for sale, thanks.",
        ),
        listing(
            "ru-question",
            "",
            "Досталась от деда шкура рыси, висит на стене. Можно ли её продать на Авито?",
        ),
        listing(
            "ja-sold",
            "【売り切れ】べっ甲ブローチ",
            "売れました。ありがとうございました。再入荷の予定はありません。",
        ),
        // Owls sold for Diwali rituals (TRAFFIC India 2010).
        listing(
            "hi-owl",
            "उल्लू बिक्री – दिवाली स्पेशल",
            "दिवाली पूजा के लिए उल्लू उपलब्ध, भूरा और सफेद दोनों। एडवांस बुकिंग करें।",
        ),
        // Advocacy about the same trade is no offer.
        listing(
            "hi-advocacy",
            "",
            "दिवाली पर उल्लू की बलि अंधविश्वास है। कहीं उल्लू बिकते दिखें तो वन विभाग को सूचना दें।",
        ),
    ];
    let mut s = sweep(&listings);
    for id in ["en-sold", "ru-question", "ja-sold", "hi-advocacy"] {
        s.expect_not_flagged(id);
    }
    s.expect_no_reason_starting("en-sold", "sale or purchase wording");
    s.expect_no_reason_starting("ja-sold", "sale or purchase wording");
    s.expect_reason_containing("ru-question", "wording of a question about the law");
    s.expect_flagged("hi-owl");
    s.expect_taxon("hi-owl", "Strigiformes");
    s.finish();
}

#[test]
fn sold_notices_naming_the_new_owner_or_thanking_those_who_asked_are_not_offers() {
    let listings = vec![
        listing(
            "es-sold",
            "Brazalete de carey antiguo",
            "Ya tiene nuevo dueño. Gracias a todos los interesados, no me quedan más piezas.",
        ),
        listing(
            "de-sold",
            "Elfenbein-Armreif, alt",
            "Hat einen neuen Besitzer, danke an alle Interessenten!",
        ),
        listing(
            "ja-sold",
            "ボールパイソン パステル",
            "お迎え先が決まりました。たくさんのお問い合わせありがとうございました。",
        ),
        // Sold, with the polite ending that closes the sentence.
        listing("th-sold", "กำไลงาช้างเก่า", "ขายแล้วครับ ขอบคุณทุกท่านที่สนใจ"),
        // A shop's count of pieces sold is an offer ("over 200 sold").
        listing(
            "th-offer",
            "กำไลงาช้าง แท้",
            "ขายแล้วกว่า 200 วง ลูกค้าพอใจทุกคน ราคา 3500 บาท ทักไลน์",
        ),
    ];
    let mut s = sweep(&listings);
    for id in ["es-sold", "de-sold", "ja-sold", "th-sold"] {
        s.expect_not_flagged(id);
        s.expect_reason_containing(id, "usually means no offer");
    }
    s.expect_no_reason_starting("es-sold", "sale or purchase wording");
    s.expect_no_reason_starting("th-sold", "sale or purchase wording");
    s.expect_flagged("th-offer");
    s.expect_no_reason_containing("th-offer", "usually means no offer");
    s.finish();
}

#[test]
fn remise_en_main_propre_is_a_hand_over_not_sale_wording() {
    let listings = vec![listing(
        "fr-hand-over",
        "Tortues d'Hermann bébés nées 2024",
        "Bébés tortues d'Hermann (Testudo hermanni boettgeri) nées chez moi cet été. 80 € pièce. Remise en main propre à Nantes.",
    )];
    let mut s = sweep(&listings);
    s.expect_flagged("fr-hand-over");
    s.expect_no_reason_starting("fr-hand-over", "sale or purchase wording");
    s.expect_reason_containing(
        "fr-hand-over",
        "contact, delivery or payment wording \"Remise en main propre\"",
    );
    s.finish();
}

#[test]
fn the_ball_pythons_dutch_portuguese_spanish_and_italian_names_name_the_species() {
    // Koningspython, píton bola, pitones bola and pitone ball are Python regius (Appendix II),
    // not the pythons as a family (a split listing, I/II).
    let listings = vec![
        listing(
            "nl-bp",
            "Koningspython man clown 2023",
            "Koningspython clown man 2023, eet goed op ontdooide ratten. €180 of bod, ophalen in Breda.",
        ),
        listing(
            "pt-bp",
            "Píton bola fêmea pastel",
            "Píton bola fêmea pastel, 1 ano, come rato congelado. R$ 900, chama no zap.",
        ),
        listing(
            "es-bp",
            "Pitones bola bebés",
            "Pitones bola bebés, 45€ c/u. Entrega en mano Madrid.",
        ),
        listing(
            "it-bp",
            "Pitone ball femmina",
            "Pitone ball femmina 2023, mangia topi scongelati. 120 €, spedizione in tutta Italia.",
        ),
    ];
    let mut s = sweep(&listings);
    for id in ["nl-bp", "pt-bp", "es-bp", "it-bp"] {
        s.expect_flagged(id);
        s.expect_counted_taxon(id, "Python regius");
    }
    s.finish();
}

#[test]
fn species_names_written_in_other_forms_name_the_species_not_its_family() {
    // A case form, a plural or a spelling without hyphens of a species' own name names that
    // species, with its own Appendix, not its family or order (a split listing, I/II).
    let listings = vec![
        listing(
            "ru-margay",
            "Котята маргаи",
            "Продаю котят, родители маргаи, 3 месяца, 250 000 руб., пишите в ЛС.",
        ),
        listing(
            "pt-grey",
            "Papagaio cinzento macho",
            "Vendo papagaio cinzento, macho, 4 anos, fala muito. 900€. Tlm 900 000 000.",
        ),
        listing(
            "es-otter",
            "Crías de nutrias gigantes",
            "Se venden crías de nutrias gigantes, 2 meses, $3,000 c/u. WhatsApp",
        ),
        listing(
            "de-falcons",
            "Zwei Wanderfalken, Nachzucht 2024",
            "Verkaufe zwei Wanderfalken aus Nachzucht 2024, beringt, mit Papieren. 1.200 € pro Tier, Abholung.",
        ),
        listing(
            "nl-radiata",
            "Stralenschildpad te koop",
            "Stralenschildpad, 8 jaar, met papieren. €2.500, ophalen in Utrecht.",
        ),
        listing(
            "es-amazon",
            "Amazona frente azul",
            "Vendo amazona frente azul, 2 años, habla. 600 €, envío a toda España.",
        ),
    ];
    let mut s = sweep(&listings);
    for (id, taxon) in [
        ("ru-margay", "Leopardus wiedii"),
        ("pt-grey", "Psittacus erithacus"),
        ("es-otter", "Pteronura brasiliensis"),
        ("de-falcons", "Falco peregrinus"),
        ("nl-radiata", "Astrochelys radiata"),
        ("es-amazon", "Amazona aestiva"),
    ] {
        s.expect_flagged(id);
        s.expect_counted_taxon(id, taxon);
    }
    s.finish();
}

#[test]
fn a_decoy_inside_a_longer_decoy_is_one_wording_and_takes_points_once() {
    let listings = vec![
        // One of two pieces sold, the other still offered: 売約済み (sold) holds the decoy
        // 売約済, and the two are one wording at one place.
        listing(
            "ja-one-sold",
            "象牙 根付 2点",
            "2点出品していましたが、1点は売約済みです。もう1点はまだあります。5万円、DMください。",
        ),
        // Resin beads twice said to be resin: ريزن inside من الريزن is part of it.
        listing(
            "ar-resin",
            "مسبحة يسر (ريزن)",
            "مسبحة من الريزن الأسود، ٣٣ حبة. ٢٠ ريال.",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_flagged("ja-one-sold");
    s.expect_reason_containing("ja-one-sold", "decoy context \"売約済み\" usually means");
    s.expect_no_reason_containing("ja-one-sold", "decoy context \"売約済\"");
    s.expect_not_flagged("ar-resin");
    s.expect_reason_containing("ar-resin", "decoy context \"ريزن\" usually means");
    s.expect_reason_containing("ar-resin", "decoy context \"من الريزن\" usually means");
    s.expect_no_reason_containing("ar-resin", "decoy context \"الريزن\"");
    s.expect_no_reason_containing("ar-resin", "found 2 times");
    s.finish();
}

#[test]
fn a_phone_number_is_a_contact_cue_where_no_contact_word_is_given() {
    let listings = vec![
        listing(
            "ru-phone",
            "",
            "Шкура тигра, амурский, с головой, в идеале. +0 000 000 00 00",
        ),
        listing(
            "ko-phone",
            "청금강 앵무새",
            "청금강 수컷 3살, 손 잘 탐. 010-0000-0000",
        ),
        // A price with dots is no phone number.
        listing(
            "id-price",
            "Gelang gading",
            "Gelang gading gajah asli, Rp 1.150.000",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_flagged("ru-phone");
    s.expect_reason_containing("ru-phone", "a phone number is given (\"+0 000 000 00 00\")");
    s.expect_flagged("ko-phone");
    s.expect_reason_containing("ko-phone", "a phone number is given (\"010-0000-0000\")");
    s.expect_no_reason_containing("id-price", "phone number");
    s.finish();
}

#[test]
fn budgerigars_sold_notices_and_the_programming_language_from_a_third_blind_review() {
    let listings = vec![
        // Budgerigars are one of the four parrots CITES does not list: no
        // listed taxon is mentioned.
        listing(
            "ru-budgie",
            "Волнистые попугаи, птенцы",
            "Ручные птенцы волнистых попугаев, 2 месяца. 800 ₽. Звоните +7 900 000-00-00.",
        ),
        listing(
            "ko-sold",
            "",
            "[분양완료] 회색앵무 좋은 분께 갔습니다. 연락 그만 주세요",
        ),
        listing(
            "ru-sold",
            "ПРОДАНО — жако",
            "Объявление неактуально, попугай продан. Спасибо всем, кто звонил.",
        ),
        listing(
            "ru-python",
            "Книга по Python для начинающих",
            "Учебник по программированию на Python, почти новый, пара закладок. 700 р, отдам с конспектами.",
        ),
        // The same words do not hide a real offer.
        listing(
            "ru-grey",
            "Жако, птенец",
            "Продаю птенца жако, 4 месяца, ручной, с кольцом. 150 000 ₽. Пишите в личку.",
        ),
    ];
    let mut s = sweep(&listings);
    for id in ["ru-budgie", "ko-sold", "ru-sold", "ru-python"] {
        s.expect_not_flagged(id);
    }
    s.expect_flagged("ru-grey");
    s.expect_taxon("ru-grey", "Psittacus erithacus");
    s.finish();
}

#[test]
fn a_decoy_taking_away_one_taxons_word_says_nothing_against_another_taxon_named_beside_it() {
    let listings = vec![
        // "Not elephant ivory, it is helmeted hornbill": the decoy takes
        // away the elephant's word, and the hornbill counts without it.
        listing(
            "id-hornbill",
            "Cincin perak batu 'gading' Kalimantan",
            "Bukan gading gajah ya gan, ini dari paruh burung rangkong gading asli, kuning dengan tepi merah, 2 cm. Ikat perak 925.",
        ),
        listing(
            "nl-hornbill",
            "Snijwerkje vogelkop",
            "Gesneden uit de massieve kap van de helmneushoornvogel, 6 cm, 38 gr. Is geen ivoor dus mag gewoon. Te koop, 250 euro.",
        ),
        // An everyday word beside it is what the substitute is carved
        // into, not another taxon on offer.
        listing(
            "en-tagua",
            "Tagua nut carvings — vegetable ivory, set of 3 animals",
            "Hand carved tagua nut (vegetable ivory) from Ecuador: hummingbird, owl and frog. A sustainable ivory carving alternative. $45 for the set.",
        ),
        // A decoy that took away a word of the taxon that counts still
        // counts against it.
        listing(
            "en-colour",
            "",
            "Ivory white silk scarf with a genuine ivory pendant, $200, DM me",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_flagged("id-hornbill");
    s.expect_reason_containing(
        "id-hornbill",
        "\"burung rangkong gading\" points to Rhinoplax vigil",
    );
    s.expect_no_reason_containing("id-hornbill", "decoy context");
    s.expect_flagged("nl-hornbill");
    s.expect_no_reason_containing("nl-hornbill", "decoy context");
    s.expect_reason_containing("en-colour", "decoy context \"Ivory white\"");
    s.expect_not_flagged("en-tagua");
    s.finish();
}

#[test]
fn a_parrot_sold_with_its_cage_is_an_offer_and_a_cage_for_a_parrot_is_not() {
    let listings = vec![
        listing(
            "es-with-cage",
            "Loro cabeza amarilla manso, ya habla",
            "Amazona oratrix de 3 años, come de la mano. Incluye jaula. $18,000 MXN, Guadalajara.",
        ),
        listing(
            "es-cage",
            "Jaula para loro",
            "Vendo jaula para loro de herrería, 1.20 m, muy reforzada. $2,500 MXN.",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_flagged("es-with-cage");
    s.expect_no_reason_containing("es-with-cage", "decoy context");
    s.expect_not_flagged("es-cage");
    s.finish();
}

#[test]
fn words_of_another_language_found_by_a_word_frequency_check_are_not_names() {
    let listings = vec![
        // Italian "vari" (various) is German "Vari", a ruffed lemur;
        // "esemplari" is a live-animal word.
        listing(
            "it-various",
            "Carpe koi nate in laghetto, 15-20 cm",
            "Koi di vari colori nate nel mio laghetto, sane e vivaci. Vendita a partire da 5 esemplari.",
        ),
        // Kiwi fruit holds 猕猴 (macaque).
        listing("zh-kiwi", "", "新鲜猕猴桃 5斤装 产地直发 包邮 39元"),
        // Rhodochrosite beads hold クロサイ (black rhino).
        listing(
            "ja-rhodochrosite",
            "",
            "ロードクロサイト ブレスレット 10mm 天然石 1,200円",
        ),
        // Geoduck clams from Canada: 加拿大 + 象拔蚌 holds 大象.
        listing(
            "zh-geoduck",
            "鲜活象拔蚌 加拿大进口",
            "加拿大象拔蚌，单只1.2-1.5斤，活体空运。刺身火锅都合适，顺丰冷链。",
        ),
        // A real macaque still counts.
        listing("zh-macaque", "", "出售猕猴幼崽 活体 包活 微信联系"),
    ];
    let mut s = sweep(&listings);
    s.expect_not_flagged("it-various");
    s.expect_no_reason_containing("it-various", "Primates");
    s.expect_not_flagged("zh-kiwi");
    s.expect_not_flagged("ja-rhodochrosite");
    s.expect_not_flagged("zh-geoduck");
    s.expect_flagged("zh-macaque");
    s.expect_taxon("zh-macaque", "Macaca");
    s.finish();
}

#[test]
fn the_parrots_cites_does_not_list_are_named_as_unlisted_in_many_languages() {
    let listings = vec![
        listing(
            "zh-cockatiel",
            "玄凤鹦鹉 黄化 一对",
            "玄凤一对已配对，带笼子 300 元。",
        ),
        listing(
            "es-cockatiel",
            "Cacatúa ninfa mansa",
            "Vendo cacatúa ninfa de 4 meses, come sola. 60 €.",
        ),
        listing("ja-budgie", "", "セキセイインコの雛 1羽 5,000円 手乗り"),
        // "птенцов" (chicks) gives the everyday word "попугая" context.
        listing(
            "ru-cockatiel-chicks",
            "",
            "Продаю птенцов попугая корелла, выкормыши, 3000 рублей",
        ),
        // An African grey named beside a cockatiel still counts.
        listing(
            "es-grey-and-cockatiel",
            "",
            "Vendo loro gris africano de 2 años, manso, 900 €. También una ninfa.",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_not_flagged("zh-cockatiel");
    s.expect_not_flagged("es-cockatiel");
    s.expect_not_flagged("ja-budgie");
    s.expect_not_flagged("ru-cockatiel-chicks");
    s.expect_flagged("es-grey-and-cockatiel");
    s.expect_taxon("es-grey-and-cockatiel", "Psittacus erithacus");
    s.finish();
}

#[test]
fn english_news_words_that_are_spanish_or_french_seller_words_take_nothing_off() {
    // English cues count in every Latin-script listing: Spanish "urge"
    // (it is urgent) and French "court" (short) were news wording.
    let listings = vec![
        listing(
            "es-urge",
            "",
            "URGE VENDER guacamaya roja, muy mansa, 800 dólares, whatsapp",
        ),
        listing(
            "fr-court",
            "",
            "Collier court en ivoire ancien, perles de 8 mm, 300 €, envoi possible",
        ),
        listing(
            "en-court",
            "",
            "Ivory dealer fined after the court heard he sold carvings online",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_flagged("es-urge");
    s.expect_no_reason_containing("es-urge", "news");
    s.expect_reason_containing("es-urge", "a price is given (\"mansa, 800 dólares,\")");
    s.expect_flagged("fr-court");
    s.expect_no_reason_containing("fr-court", "news");
    s.expect_not_flagged("en-court");
    s.expect_reason_containing("en-court", "\"the court\"");
    s.finish();
}

#[test]
fn costus_and_jatamansi_roots_are_listed_and_what_their_listing_excludes_is_not() {
    let listings = vec![
        listing(
            "ar-costus",
            "",
            "القسط الهندي الأصلي 250 غرام، توصيل لجميع المدن، 50 ريال",
        ),
        listing(
            "hi-jatamansi-root",
            "जटामांसी जड़ 100 ग्राम शुद्ध",
            "उत्तराखंड के जंगल से जटामांसी, ₹299।",
        ),
        // Annotation #3 covers the roots only.
        listing("hi-jatamansi-oil", "", "जटामांसी तेल 30 ml, बालों के लिए, ₹199"),
        // Other plants called costus or 木香.
        listing(
            "en-spiral-ginger",
            "",
            "Insulin plant (Costus igneus) live, 6 inch pot, $12",
        ),
        listing("zh-banksia-rose", "", "木香花苗 爬藤 浓香 包邮 15元"),
    ];
    let mut s = sweep(&listings);
    s.expect_flagged("ar-costus");
    s.expect_taxon("ar-costus", "Saussurea costus");
    s.expect_flagged("hi-jatamansi-root");
    s.expect_taxon("hi-jatamansi-root", "Nardostachys grandiflora");
    s.expect_not_flagged("hi-jatamansi-oil");
    s.expect_not_flagged("en-spiral-ginger");
    s.expect_not_flagged("zh-banksia-rose");
    s.finish();
}

#[test]
fn chinese_japanese_and_korean_prices_with_a_multiplier_are_prices() {
    let listings = vec![
        listing(
            "ko-black-coral",
            "흑산호 108염주 팔찌",
            "천연 흑산호 108염주, 오래된 것입니다. 광택 좋아요. 30만원.",
        ),
        listing("zh-ivory", "", "象牙手镯 售价3万元 包邮"),
    ];
    let mut s = sweep(&listings);
    s.expect_flagged("ko-black-coral");
    s.expect_reason_containing("ko-black-coral", "a price is given (\"");
    s.expect_reason_containing("ko-black-coral", "30만원");
    s.expect_reason_containing("zh-ivory", "3万元");
    s.finish();
}

#[test]
fn russian_terms_are_found_in_every_case_and_number() {
    let listings = vec![
        // Dative: the list had "моржовый клык" and a few other forms.
        listing(
            "ru-dative",
            "Лот 77",
            "Шкатулка, резьба по моржовому клыку, 1960-е. Стартовая цена 45 000 ₽.",
        ),
        // Accusative of "птенец балобана".
        listing(
            "ru-accusative",
            "",
            "Куплю птенца балобана, можно без документов. Пишите в личку.",
        ),
        // "пару" (a couple of) is no form of the live-animal word "пара"
        // here, so the name Лев (also "lion") has no context.
        listing(
            "ru-couple",
            "",
            "Продаю собрание сочинений, Лев Толстой, пару томов не хватает. Цена 500 руб.",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_flagged("ru-dative");
    s.expect_taxon("ru-dative", "Odobenus rosmarus");
    s.expect_reason_containing("ru-dative", "\"моржовому клыку\"");
    s.expect_flagged("ru-accusative");
    s.expect_reason_containing(
        "ru-accusative",
        "\"птенца балобана\" points to Falco cherrug",
    );
    s.expect_not_flagged("ru-couple");
    s.expect_no_reason_containing("ru-couple", "пару");
    s.finish();
}
#[test]
fn a_letter_masked_by_a_symbol_is_read_in_latin_script_with_a_caveat_and_no_trick_claimed() {
    let listings = vec![
        listing(
            "nl-masked",
            "",
            "Echte m*skus korrels uit Siberië, per gram. Prijs via DM",
        ),
        listing("en-masked", "", "Old iv●ry bangle, carved, DM for price"),
        listing("last-masked", "", "tige* cub for sale, DM for price"),
        listing(
            "short-plain",
            "",
            "lion, 2 years, male, for sale, DM for price",
        ),
        listing(
            "short-masked",
            "",
            "l*on, 2 years, male, for sale, DM for price",
        ),
        // Symbols between CJK or kana words: separators and censored brand names.
        listing("zh-ornament", "", "招财大象◆摆件 客厅装饰"),
        listing("zh-pendant", "", "老虎●吊坠 男士 925银"),
        listing("ja-brand", "", "マ●クのハッピーセット おもちゃ 売ります"),
        listing("ja-collab", "", "バニラ×ココナッツ ボディミルク 売ります"),
        // Letters spelled out and look-alike digits in names and games: an everyday word still
        // needs a product word, however it is written, also where the listing offers something
        // (a rule letting a disguised everyday word count with sale or contact wording was
        // tried twice and taken back: worksheets, merchandise, brands and gamer tags).
        listing(
            "en-spaced",
            "",
            "Personalised wooden name blocks: J A G U A R",
        ),
        listing("en-game", "", "Wordle 812: today's answer was T-I-G-E-R"),
        listing("en-handle", "", "add me on steam: T1ger_99, Pand4"),
        listing(
            "it-dotted",
            "",
            "bellissimi braccialetti in a.v.o.r.i.o vecchio",
        ),
        listing("en-sign", "", "M E R L I N name sign for nursery door"),
        listing("en-emphasis", "", "omg pandaaaa so cute"),
        listing("zh-list", "", "熊/猫/兔 三款可选"),
        listing(
            "en-worksheet",
            "Spelling practice pack, ages 5-7",
            "Trace and spell: c-a-t, d-o-g, o-t-t-e-r, t-i-g-e-r. £3 for sale, postage included.",
        ),
        listing(
            "en-scarf",
            "Th3 Tig3rs retro bar scarf",
            "For sale, worn twice. DM me or WhatsApp.",
        ),
        listing(
            "en-hoodie",
            "new drop 🔥 p.a.n.d.a hoodie",
            "sizes S-XL, DM to order, shipping worldwide",
        ),
        listing(
            "de-perfume",
            "m0schus n°7 Eau de Parfum",
            "Neu und originalverpackt, zu verkaufen. Versand möglich, Preis per PN.",
        ),
        listing(
            "es-jersey",
            "Playera T1gres UANL campeón",
            "Vendo, talla M, nueva. Envío a todo México, info por WhatsApp.",
        ),
    ];
    let mut s = sweep(&listings);
    // One letter hidden behind a symbol: m*skus is muskus, iv●ry is ivory. The symbol could
    // stand for another letter, so the reason says so and claims no trick.
    s.expect_taxon("nl-masked", "Moschus");
    s.expect_cue_reason("nl-masked", &["product word"], "m*skus");
    s.expect_reason_containing("nl-masked", "one letter hidden behind a symbol");
    s.expect_no_reason_starting("nl-masked", "written as");
    s.expect_flagged("en-masked");
    s.expect_taxon("en-masked", "Elephantidae");
    // Only a letter between two letters is masked, and a masked word of four letters says too
    // little.
    s.expect_no_taxon("last-masked", "Panthera");
    s.expect_taxon("short-plain", "Panthera leo");
    s.expect_no_taxon("short-masked", "Panthera");
    // No CJK or kana term is read through a symbol: not 象牙摆件 (ivory ornament), 虎爪吊坠
    // (tiger-claw pendant) or マカク (macaque).
    for id in ["zh-ornament", "zh-pendant", "ja-brand", "ja-collab"] {
        s.expect_no_reason_starting(id, "product word");
        s.expect_no_reason_containing(id, "hidden behind a symbol");
        s.expect_not_flagged(id);
    }
    for id in [
        "en-spaced",
        "en-game",
        "en-handle",
        "it-dotted",
        "en-sign",
        "en-emphasis",
        "zh-list",
        "en-worksheet",
        "en-scarf",
        "en-hoodie",
        "de-perfume",
        "es-jersey",
    ] {
        s.expect_not_flagged(id);
    }
    s.finish();
}

#[test]
fn shells_rugs_and_young_in_french_italian_and_spanish_give_everyday_names_their_context() {
    let listings = vec![
        listing(
            "fr-shells",
            "",
            "J'ai des coquilles de lambi pour la déco, 10 € pièce. Passez vos commandes en MP",
        ),
        listing(
            "fr-no-form",
            "",
            "Lambi frais, prêt à cuire, 18 € le kg. Passez vos commandes en MP",
        ),
        listing(
            "it-rug",
            "",
            "Disponibile tappeto orso bianco con testa, anni '70. Scrivetemi in DM",
        ),
        listing(
            "es-young",
            "",
            "Se venden cachorritos de tigrillo, 2 meses. Precio por inbox",
        ),
    ];
    let mut s = sweep(&listings);
    // "lambi" (queen conch) is also a dish: its shells are a product form, the fresh meat
    // sold for cooking is not told apart by any word here.
    s.expect_taxon("fr-shells", "Aliger gigas");
    s.expect_cue_reason("fr-shells", &["common name", "product word"], "lambi");
    s.expect_no_taxon("fr-no-form", "Aliger");
    s.expect_taxon("it-rug", "Ursidae");
    s.expect_taxon("es-young", "Felidae");
    s.finish();
}

#[test]
fn a_price_word_without_an_amount_is_price_wording_and_an_amount_is_a_price_given() {
    let listings = vec![
        listing(
            "price-word",
            "Carved ivory bangle",
            "Old carved ivory bangle, DM for price, ships worldwide.",
        ),
        listing(
            "price-amount",
            "Carved ivory bangle",
            "Old carved ivory bangle, price $300, ships worldwide.",
        ),
    ];
    let mut s = sweep(&listings);
    // "DM for price" says the listing speaks of a price, not that one is given.
    s.expect_no_reason_starting("price-word", "a price is given");
    s.expect_cue_reason("price-word", &["price wording"], "price");
    // Where there is an amount, the reason quotes it.
    s.expect_no_reason_starting("price-amount", "price wording");
    s.expect_cue_reason("price-amount", &["a price is given"], "$300");
    s.finish();
}

#[test]
fn decoys_follow_the_cue_folding_rules_so_a_vietnamese_word_is_not_another_with_other_accents() {
    let listings = vec![
        listing(
            "vi-scroll",
            "Vòng tay ngà voi thật",
            "Vòng ngà voi thật, bao test. Kéo xuống xem ảnh, ai cần ib Zalo.",
        ),
        listing(
            "vi-candy",
            "Kẹo ngà voi",
            "Kẹo hình ngà voi cho bé, hộp 200g, giá 50k.",
        ),
    ];
    let mut s = sweep(&listings);
    // "Kéo" (scroll) is not the decoy "kẹo" (candy) ...
    s.expect_no_reason_starting("vi-scroll", "decoy context");
    s.expect_flagged("vi-scroll");
    // ... while real candy still is.
    let ok = s
        .reasons("vi-candy")
        .iter()
        .any(|(_, t)| t.starts_with("decoy context") && t.contains("\"Kẹo\""));
    s.check(ok, "vi-candy", "a decoy reason quoting \"Kẹo\"");
    s.expect_not_flagged("vi-candy");
    s.finish();
}

// ---------------------------------------------------------------------------------------------
// auction and social-media sale vocabulary
// ---------------------------------------------------------------------------------------------

/// (id, title, description, the sale word the reason must quote)
const SALE_VOCABULARY: &[(&str, &str, &str, &str)] = &[
    (
        "sv-lot",
        "Lot 123: Japanese carved ivory okimono of a fisherman",
        "Meiji period, 18 cm high, signed on the base.",
        "lot",
    ),
    (
        "sv-estimate",
        "Chinese rhinoceros horn libation cup, 17th century",
        "Finely carved with pine and deer. Estimate £800-1,200.",
        "estimate",
    ),
    (
        "sv-sold-for",
        "Carved ivory tusk sold for £4,200",
        "A 19th-century carved elephant ivory tusk, 60 cm, on a wooden stand.",
        "sold for",
    ),
    (
        "sv-hammer",
        "Rhino horn cup under the hammer this Friday",
        "A carved rhino horn cup, 12 cm, from a private collection.",
        "hammer",
    ),
    (
        "sv-bid",
        "Carved elephant ivory figure of Guanyin",
        "30 cm, from an old collection. Bid now, ends Sunday 8 pm.",
        "bid",
    ),
    (
        "sv-auction",
        "Ivory chess set with board",
        "Complete carved ivory chess set, in our spring auction on 14 May.",
        "auction",
    ),
    (
        "sv-available-now",
        "Rhino horn bangles",
        "Polished rhino horn bangles, 58 mm inner diameter. Available now.",
        "available now",
    ),
    (
        "sv-dm-for-price",
        "Rhino horn bangles",
        "Polished rhino horn bangles, 58 mm inner diameter. DM for price.",
        "dm for price",
    ),
];

#[test]
fn auction_and_social_media_sale_wording_flags_ivory_and_rhino_horn_offers_with_a_reason_quoting_it()
 {
    let mut listings: Vec<Listing> = SALE_VOCABULARY
        .iter()
        .map(|(id, t, d, _)| listing(id, t, d))
        .collect();
    // A dealer's post: the item, a link to it and hashtags, nothing else.
    listings.push(listing(
        "sv-link-hashtags",
        "Carved ivory netsuke of a hare, Edo period",
        "https://www.example-antiques.com/item/8812 #ivory #netsuke #japaneseart #collector",
    ));
    let mut s = sweep(&listings);
    for (id, _, _, word) in SALE_VOCABULARY {
        s.expect_flagged(id);
        // "DM for price" invites a buyer to ask: sale wording or a contact cue both say so.
        let kinds: &[&str] = if *id == "sv-dm-for-price" {
            &[
                "sale or purchase wording",
                "contact, delivery or payment wording",
            ]
        } else {
            &["sale or purchase wording"]
        };
        s.expect_cue_reason(id, kinds, word);
    }
    s.expect_flagged("sv-link-hashtags");
    s.finish();
}

// ---------------------------------------------------------------------------------------------
// news, advocacy, enforcement
// ---------------------------------------------------------------------------------------------

#[test]
fn news_advocacy_and_enforcement_posts_are_not_flagged_and_get_a_news_reason() {
    let listings = vec![
        listing(
            "news-ban",
            "UK ivory ban comes into force",
            "The Ivory Act now bans dealing in elephant ivory in the UK, with narrow exemptions.",
        ),
        listing(
            "news-seized",
            "Customs seized 2 tonnes of pangolin scales at the port",
            "Officers found the pangolin scales hidden in a container declared as cashew nuts.",
        ),
        listing(
            "news-petition",
            "Sign the petition to end the rhino horn trade",
            "Our petition asks the government to close every domestic market for rhino horn. 120,000 signatures so far.",
        ),
        listing(
            "news-bill",
            "Ivory bill passes second reading",
            "The bill would close the loopholes for antique ivory; it now goes to committee.",
        ),
    ];
    let mut s = sweep(&listings);
    for l in &listings {
        let id = l.id.as_str();
        s.expect_not_flagged(id);
        let ok = s.reasons(id).iter().any(|(p, t)| {
            p.unwrap_or(0) < 0 && t.starts_with("wording of news, advocacy or enforcement")
        });
        s.check(
            ok,
            id,
            "a news, advocacy or enforcement reason taking points",
        );
    }
    s.finish();
}

/// Posts that report an ad (often quoting it) or shame its seller, with none of the older news
/// words: the blind framing vocabulary of 2026-12-05 takes their points off, quoted as written.
/// Each scored 69 to 100 without it. Sellers writing the nearby words ("Bitte meldet euch bei
/// Interesse", "message me") are still flagged.
#[test]
fn posts_reporting_an_ad_are_not_flagged_while_sellers_using_nearby_words_are() {
    let listings = vec![
        listing(
            "report-en",
            "",
            "Found this ad on a local selling group today: 'Rhino horn bangle for sale, genuine, \
             £900, message me for pictures.' Whoever keeps posting these in our town should stop.",
        ),
        listing(
            "report-de",
            "",
            "Auf einem Kleinanzeigenportal steht seit gestern: „Verkaufe Elfenbein Armreif, alt, \
             300 € VB, nur Abholung.“ Bitte meldet solche Anzeigen direkt beim Portal, danke euch allen.",
        ),
        listing(
            "report-it",
            "",
            "Ancora un annuncio online: 'Vendo bracciale in avorio vero, 250 euro, spedizione \
             inclusa'. Se trovate annunci del genere segnalateli subito alla piattaforma, per favore.",
        ),
        listing(
            "seller-de",
            "Elfenbein Armreif alt",
            "Verkaufe alten Elfenbein Armreif, 6 cm innen, 300 € VB. Bitte meldet euch bei Interesse \
             per Nachricht, Versand möglich.",
        ),
        listing(
            "seller-en",
            "Rhino horn bangle",
            "Genuine rhino horn bangle for sale, £900, message me for pictures, ships worldwide.",
        ),
    ];
    let mut s = sweep(&listings);
    for (id, words) in [
        ("report-en", "\"Found this ad\""),
        ("report-de", "\"meldet solche\""),
        ("report-it", "\"segnalateli\""),
    ] {
        s.expect_not_flagged(id);
        s.expect_penalty_reason(id, "wording of news, advocacy or enforcement", words);
    }
    for id in ["seller-de", "seller-en"] {
        s.expect_flagged(id);
        s.expect_no_reason_starting(id, "wording of news, advocacy or enforcement");
    }
    s.finish();
}

// ---------------------------------------------------------------------------------------------
// everyday words
// ---------------------------------------------------------------------------------------------

#[test]
fn everyday_words_do_not_flag_ordinary_goods_but_count_with_a_product_part_or_live_animal_word() {
    let ordinary = vec![
        listing(
            "ev-pliers",
            "老虎钳 8寸 多功能钢丝钳 出售",
            "全新老虎钳，价格 25 元，包邮，私聊微信",
        ),
        listing(
            "ev-dish",
            "红烧狮子头 外卖 出售",
            "正宗扬州红烧狮子头，每份 38 元，欢迎下单，加微信",
        ),
        listing(
            "ev-studio",
            "海马体照相馆 证件照套餐 出售",
            "海马体 证件照 团购券 99 元，私聊",
        ),
        listing(
            "ev-ointment",
            "马应龙麝香痔疮膏 出售",
            "马应龙麝香痔疮膏 10g，价格 20 元，包邮，加微信",
        ),
        listing(
            "ev-age-spot-cream",
            "Kem trị đồi mồi, nám, tàn nhang - bán giá 150.000đ",
            "Kem đồi mồi chính hãng, liên hệ Zalo 0901234567",
        ),
        listing(
            "ev-insult",
            "ไอ้เหี้ย ขายของไม่ตรงปก",
            "ร้านนี้เหี้ยมาก ขายเสื้อราคา 300 บาท ของไม่ตรงปก ติดต่อไลน์ก็ไม่ตอบ",
        ),
        listing(
            "ev-glue",
            "Gorilla Glue 2oz for sale",
            "Brand new Gorilla Glue, $8, DM me",
        ),
        listing(
            "ev-town",
            "Kingwood TX - leather sofa for sale",
            "Brown sofa, $200, pick up in Kingwood, text me",
        ),
        // An everyday word that holds a part word itself is not its own
        // context: "bear claw" is a pastry.
        listing(
            "ev-pastry",
            "Bear claw pastries, fresh daily",
            "Almond bear claw, $3.50 each, order by 9am",
        ),
    ];
    // (listing, the taxon it offers)
    let offers = vec![
        (
            listing(
                "ev-tiger-skin",
                "老虎皮 出售",
                "真老虎皮一张，价格 8 万，私聊微信",
            ),
            "Panthera tigris",
        ),
        (
            listing(
                "ev-tiger-bone",
                "老虎骨 泡酒 出售",
                "正宗老虎骨，价格面议，加微信",
            ),
            "Panthera tigris",
        ),
        (
            listing(
                "ev-lion-bone",
                "狮子骨 出售",
                "非洲狮子骨 5 公斤，价格面议，加微信",
            ),
            "Panthera leo",
        ),
        (
            listing(
                "ev-dried-seahorse",
                "干海马 出售 泡酒",
                "野生干海马 500 克，价格 800 元，加微信",
            ),
            "Hippocampus",
        ),
        (
            listing(
                "ev-musk-pod",
                "天然麝香 麝香仁 出售",
                "野生麝香囊 1 个，价格面议，私聊",
            ),
            "Moschus",
        ),
        (
            listing(
                "ev-hawksbill-bangle",
                "Vòng đồi mồi thật - bán",
                "Vòng tay đồi mồi thật 100%, mai đồi mồi, giá 2.500.000đ, liên hệ Zalo",
            ),
            "Eretmochelys imbricata",
        ),
        (
            listing(
                "ev-monitor-skin",
                "ขายหนังเหี้ย",
                "หนังเหี้ยแท้ ราคา 2000 บาท ติดต่อไลน์",
            ),
            "Varanus",
        ),
        (
            listing(
                "ev-gorilla-skull",
                "Gorilla skull for sale",
                "Real gorilla skull, $3,000, DM me",
            ),
            "Gorilla",
        ),
        (
            listing(
                "ev-kingwood-logs",
                "Brazilian kingwood logs for sale",
                "Kingwood logs and boards, 2 m long, $40 per kg, WhatsApp me",
            ),
            "Dalbergia",
        ),
        (
            listing(
                "ev-bear-claw",
                "Genuine bear claw pendant",
                "Real bear claw on a leather cord, $120, DM me",
            ),
            "Ursidae",
        ),
    ];
    let mut listings = ordinary;
    let n_ordinary = listings.len();
    let offer_taxa: Vec<(String, &str)> = offers.iter().map(|(l, t)| (l.id.clone(), *t)).collect();
    listings.extend(offers.into_iter().map(|(l, _)| l));
    let mut s = sweep(&listings);
    for l in &listings[..n_ordinary] {
        s.expect_not_flagged(&l.id);
    }
    for (id, taxon) in &offer_taxa {
        s.expect_flagged(id);
        s.expect_taxon(id, taxon);
    }
    s.finish();
}

/// Emoji standing for the animal (🦏 powder, 🐻 bile) find their taxon only within 40 characters
/// of a product, part or live-animal word; on their own (advocacy, toys, stickers) they flag nothing, and an
/// emoji never earns the points of a name together with a product word.
#[test]
fn animal_emoji_count_only_within_40_characters_of_a_product_part_or_live_animal_word() {
    let ordinary = vec![
        listing(
            "em-advocacy",
            "",
            "Save the 🦏 and the 🐘! Sign the petition and share this post #EndWildlifeTrade",
        ),
        listing(
            "em-plush",
            "🐘 plush toy for sale",
            "Soft grey 🐘 plush, 30 cm, $12, DM me",
        ),
        listing(
            "em-stickers",
            "",
            "🐯🦁🐻 stickers for sale, 10 for $2, WhatsApp me",
        ),
        // "baby" in baby goods (a decoy) is no live-animal word.
        listing(
            "em-baby-blanket",
            "🐻 baby blanket for sale",
            "Soft fleece, 80x100 cm, $20, DM me",
        ),
        // A product-form word in the listing, but far from the emoji. (The
        // "mug" decoys alone keep it under the threshold; what only the
        // distance rule gives is that no taxon is named.)
        listing(
            "em-far",
            "🐻 mug",
            "Hand-painted ceramic mug, holds 350 ml, dishwasher safe, ships next day. Leather coasters sold separately, $9.",
        ),
    ];
    // (listing, the taxon it offers, the word next to the emoji)
    let offers = vec![
        (
            listing(
                "em-rhino-powder",
                "",
                "🦏 powder available, 50 g, pure. WhatsApp +00 000 000",
            ),
            "Rhinocerotidae",
            "powder",
        ),
        (
            listing("em-tiger-bone", "", "正宗🐯骨头 泡酒用 价格私聊 加微信"),
            "Panthera tigris",
            "骨头",
        ),
        (
            listing(
                "em-bear-bile",
                "",
                "🐻 bile, dried, from the mountains. Price in DM",
            ),
            "Ursidae",
            "bile",
        ),
        (
            listing(
                "em-otter-babies",
                "",
                "🦦 babies ready now, hand-reared, DM for price",
            ),
            "Mustelidae",
            "babies",
        ),
    ];
    let mut listings = ordinary;
    let n_ordinary = listings.len();
    let offer_taxa: Vec<(String, &str, &str)> = offers
        .iter()
        .map(|(l, t, w)| (l.id.clone(), *t, *w))
        .collect();
    listings.extend(offers.into_iter().map(|(l, _, _)| l));
    let mut s = sweep(&listings);
    for l in &listings[..n_ordinary] {
        s.expect_not_flagged(&l.id);
        let ok = s.taxa(&l.id).is_empty();
        s.check(ok, &l.id, "no taxon: an emoji alone is no evidence");
    }
    for (id, taxon, word) in &offer_taxa {
        s.expect_flagged(id);
        s.expect_taxon(id, taxon);
        let said = format!(
            "an emoji is never evidence alone, counted because the product-form, part or live-animal word \"{word}\" is within 40 characters of it"
        );
        let ok = s
            .reasons(id)
            .iter()
            .any(|(p, t)| p.unwrap_or(0) > 0 && t.starts_with("emoji \"") && t.contains(&said));
        s.check(
            ok,
            id,
            "a species reason naming the emoji and the word that gave it context",
        );
        s.expect_no_reason_containing(id, "appears together with a product word");
    }
    s.finish();
}

// ---------------------------------------------------------------------------------------------
// code words
// ---------------------------------------------------------------------------------------------

#[test]
fn one_word_listed_as_both_product_and_code_word_is_not_a_name_beside_a_product_word() {
    let listings = vec![
        // 炮山甲 is listed as a product word and as a code word: one word, not two.
        listing("zh-one-word", "炮山甲 正品", "炮山甲 一两起卖，私聊。"),
        // Beside another product word it counts.
        listing(
            "zh-beside",
            "炮山甲 穿山甲鳞片",
            "炮山甲、穿山甲鳞片 出售，私聊。",
        ),
        // A code word inside a product word, or beside one, is no species name.
        listing(
            "vi-code-inside",
            "Cao hổ cốt",
            "Cao hổ cốt nguyên chất, 100g, giá 5tr, ib Zalo.",
        ),
        listing(
            "en-code-beside",
            "Old cow bone netsuke",
            "Carved netsuke, cow bone, lines like ivory. £300, DM me.",
        ),
        // A name inside a product word is what the points were made for.
        listing(
            "en-name",
            "Rhino horn cup",
            "Rhinoceros horn libation cup, carved, 190 g. DM for price.",
        ),
    ];
    let mut s = sweep(&listings);
    for id in [
        "zh-one-word",
        "zh-beside",
        "vi-code-inside",
        "en-code-beside",
        "en-name",
    ] {
        s.expect_flagged(id);
    }
    s.expect_no_reason_containing("zh-one-word", "appears together with a product word");
    s.expect_reason_containing("zh-beside", "appears together with a product word");
    for (id, code) in [("vi-code-inside", "Cao hổ"), ("en-code-beside", "cow bone")] {
        s.expect_reason_containing(
            id,
            &format!("a trade code word (\"{code}\") appears together with a product word"),
        );
        s.expect_no_reason_containing(id, "name appears together");
    }
    s.expect_reason_containing(
        "en-name",
        "a listed name appears together with a product word",
    );
    s.finish();
}

/// The points of a name beside a product word need the two to be of one
/// taxon, or of taxa one of which holds the other in the list (`within`):
/// a tiger cub's "ivory blanket" or an erhu's rosewood neck beside its
/// python skin pairs two different animals or plants, and the reason
/// names the pair it counted.
#[test]
fn a_name_pairs_only_with_a_product_word_of_its_own_or_a_related_taxon() {
    let listings = vec![
        listing(
            "tiger-ivory-blanket",
            "Bengal tiger cub for sale",
            "Sweet tiger cub, 10 weeks, comes with his ivory blanket. $3000, DM",
        ),
        listing(
            "erhu-rosewood-python",
            "专业演奏二胡 老红木 蟒皮",
            "精选蟒皮，老红木琴杆，附琴盒。七天无理由。",
        ),
        listing(
            "tiger-cat-fur",
            "Bengal tiger wild cat fur rug",
            "Old wild cat fur rug, Bengal tiger, 2 m. Offers, PM",
        ),
        listing(
            "ball-python-skin",
            "Ball python skin, tanned",
            "Whole ball python skin, 1.2 m, tanned. $40, DM",
        ),
    ];
    let mut s = sweep(&listings);
    for id in ["tiger-ivory-blanket", "erhu-rosewood-python"] {
        s.expect_flagged(id);
        s.expect_no_reason_containing(id, "appears together with a product word");
    }
    s.expect_reason_containing(
        "tiger-cat-fur",
        "a listed name appears together with a product word of a related taxon: \"Bengal tiger\" (Panthera tigris) and \"wild cat fur\" (Felidae, which holds Panthera tigris)",
    );
    // "Ball python" is listed for the species and for the pythons' family:
    // the reason names the species.
    s.expect_reason_containing(
        "ball-python-skin",
        "a listed name appears together with a product word of a related taxon: \"Ball python\" (Python regius) and \"python skin\" (Pythonidae, which holds Python regius)",
    );
    s.finish();
}

/// The reason for a name beside a product word says the name is listed
/// and names the entry it is listed under, and does not call it a
/// species name: the list files names under a family's, genus's or
/// order's entry too ("rhino" under Rhinocerotidae, "Gorilla" under the
/// genus), and a reason that named a rank would state the entry's rank,
/// not what the name means.
#[test]
fn a_name_beside_a_product_word_is_called_a_listed_name_of_its_entry() {
    let listings = vec![
        listing(
            "family",
            "Rhino horn cup",
            "Rhinoceros horn libation cup, carved, 190 g. DM for price.",
        ),
        listing(
            "genus",
            "Gorilla skull for sale",
            "Real gorilla skull, $900, DM",
        ),
        listing(
            "species",
            "Hawksbill shell comb",
            "Old hawksbill shell comb, 12 cm, $80, DM",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_reason_containing(
        "family",
        "a listed name appears together with a product word of the same taxon: \"Rhino\" and \"Rhino horn\" (Rhinocerotidae)",
    );
    s.expect_reason_containing(
        "genus",
        "a listed name appears together with a product word of the same taxon: \"Gorilla\" and \"Gorilla skull\" (Gorilla)",
    );
    s.expect_reason_containing(
        "species",
        "a listed name appears together with a product word",
    );
    for id in ["family", "genus", "species"] {
        s.expect_no_reason_containing(id, "a species name");
    }
    s.finish();
}

/// Of equally strong taxa of different animals, the one more distinct
/// words of the listing name counts (its names and product words and those
/// of taxa holding it or held by it), not the first in the list: "ivory"
/// as a cage cover's colour, a python morph or a rug's felt, or a carving
/// "like the carved tiger I sold", names the other animal once. A carving
/// of a python in elephant ivory names the ivory more often and stays
/// ivory.
#[test]
fn among_equally_strong_animals_the_one_more_words_name_counts() {
    let listings = vec![
        listing(
            "parrot-ivory-cover",
            "African grey parrot",
            "Talking African grey parrot with ivory cage cover, 900 euro, whatsapp",
        ),
        listing(
            "python-ivory-morph",
            "Ivory ball python female",
            "Ivory ball python female, 2023, eating f/t. $250, DM",
        ),
        listing(
            "tiger-rug-ivory-felt",
            "Tapis peau de tigre sur feutre ivoire",
            "Peau de tigre naturalisée, montée sur feutre ivoire. 4000 €, MP",
        ),
        listing(
            "comb-like-the-tiger",
            "Antique tortoiseshell hair comb",
            "Antique tortoiseshell hair comb, 1900s, like the carved tiger I sold last week. £120, DM",
        ),
        listing(
            "ivory-carving-of-a-python",
            "Ivory ball python carving",
            "Hand carved from elephant ivory, a coiled ball python, 6 cm. $900, DM",
        ),
    ];
    let mut s = sweep(&listings);
    for (id, taxon) in [
        ("parrot-ivory-cover", "Psittacus erithacus"),
        ("python-ivory-morph", "Python regius"),
        ("tiger-rug-ivory-felt", "Panthera tigris"),
        ("comb-like-the-tiger", "Eretmochelys imbricata"),
        ("ivory-carving-of-a-python", "Elephantidae"),
    ] {
        s.expect_flagged(id);
        s.expect_counted_taxon(id, taxon);
    }
    s.finish();
}

#[test]
fn code_words_alone_do_not_flag_and_with_trade_context_find_their_taxon() {
    let alone = vec![
        listing(
            "cw-xj-jeep",
            "Jeep Cherokee XJ 1998 for sale",
            "4.0 straight six, 180k miles, new tires, $4,500 OBO. Call or text.",
        ),
        listing(
            "cw-cow-bone-chews",
            "Natural cow bone dog chews - 10 pack for sale",
            "Long-lasting cow bone chews for large dogs, $15, free shipping",
        ),
        listing(
            "cw-ring-shawl",
            "Ring shawl for sale - merino wool wedding shawl",
            "Fine merino lace ring shawl that passes through a wedding ring, $60, DM me",
        ),
        listing(
            "cw-toosh-brand",
            "Toosh - new spring collection for sale",
            "Toosh knitwear, sizes S-XL, price $45, DM for orders",
        ),
        listing(
            "cw-goldfish",
            "鹤顶红金鱼 出售",
            "精品鹤顶红 金鱼 3 条，价格 60 元，包邮，加微信",
        ),
        listing(
            "cw-red-ivory-wood",
            "Red ivory wood pen blank for sale",
            "Red ivory turning blank, 20 x 20 x 130 mm, $25, DM me",
        ),
    ];
    // (listing, the taxon it offers)
    let with_context = vec![
        (
            listing(
                "cw-cow-bone-netsuke",
                "Cow bone netsuke for sale",
                "Antique cow bone netsuke of a rat, clear Schreger lines visible, $900, DM me",
            ),
            "Elephantidae",
        ),
        (
            listing(
                "cw-xj-cup",
                "XJ 犀角 杯 出售",
                "XJ 杯 老料，价格面议，加微信",
            ),
            "Rhinocerotidae",
        ),
        (
            listing(
                "cw-toosh-shawl",
                "Genuine toosh shawl for sale",
                "Pure toosh from Tibetan antelope wool, passes through a ring, $5,000, DM",
            ),
            "Pantholops hodgsonii",
        ),
        (
            listing(
                "cw-hornbill-casque",
                "鹤顶红 盔头 雕件 出售",
                "鹤顶红 雕件 老料，价格面议，私聊",
            ),
            "Rhinoplax vigil",
        ),
    ];
    let mut listings = alone;
    let n_alone = listings.len();
    let taxa: Vec<(String, &str)> = with_context
        .iter()
        .map(|(l, t)| (l.id.clone(), *t))
        .collect();
    listings.extend(with_context.into_iter().map(|(l, _)| l));
    let mut s = sweep(&listings);
    for l in &listings[..n_alone] {
        s.expect_not_flagged(&l.id);
    }
    for (id, taxon) in &taxa {
        s.expect_taxon(id, taxon);
        s.expect_flagged(id);
    }
    s.finish();
}

// ---------------------------------------------------------------------------------------------
// decoys
// ---------------------------------------------------------------------------------------------

#[test]
fn the_leopard_print_decoy_neutralises_every_spelling_case_and_script() {
    let listings = vec![
        listing(
            "dec-en",
            "leopard print dress $30",
            "Size M, worn once, for sale",
        ),
        listing(
            "dec-accent",
            "léopard print dress $30",
            "Size M, worn once, for sale",
        ),
        listing(
            "dec-capital",
            "Leopard Print Dress $30",
            "Size M, worn once, for sale, DM me",
        ),
        listing(
            "dec-upper",
            "LEOPARD PRINT DRESS $30",
            "SIZE M, WORN ONCE, FOR SALE",
        ),
        listing(
            "dec-fr",
            "Robe imprimé léopard 30 €",
            "Taille M, portée une fois, à vendre",
        ),
        listing(
            "dec-zh",
            "豹纹连衣裙 出售",
            "豹纹连衣裙 M码，价格 30 元，包邮",
        ),
        // Control: a real leopard skin is still an offer.
        listing(
            "dec-control",
            "Leopard skin for sale",
            "Genuine leopard skin rug, $2,500, DM me",
        ),
    ];
    let mut s = sweep(&listings);
    for l in &listings[..listings.len() - 1] {
        s.expect_not_flagged(&l.id);
    }
    s.expect_flagged("dec-control");
    s.expect_taxon("dec-control", "Panthera pardus");
    s.finish();
}

// ---------------------------------------------------------------------------------------------
// the taxon
// ---------------------------------------------------------------------------------------------

#[test]
fn the_longest_most_specific_name_picks_the_taxon_and_other_meanings_are_not_flagged() {
    let listings = vec![
        listing(
            "wt-frauenschuh",
            "Frauenschuh Orchidee zu verkaufen",
            "Winterharter Frauenschuh, blühfähige Pflanze im Topf, 35 € inkl. Versand",
        ),
        listing(
            "wt-sabot",
            "Sabot de Vénus à vendre",
            "Plant de sabot de Vénus, orchidée rustique en pot, 30 €",
        ),
        listing(
            "wt-ladys-slipper",
            "Lady's slipper orchid for sale",
            "Hardy lady's slipper orchid, flowering size plant in a pot, $40",
        ),
        listing(
            "wt-chimpanzee",
            "黑猩猩 幼崽 出售",
            "活体黑猩猩 一只，价格面议，加微信",
        ),
        listing(
            "wt-gorilla",
            "大猩猩 头骨 出售",
            "大猩猩头骨标本，价格面议，私聊",
        ),
        listing(
            "wt-poinsettia",
            "猩猩木 盆栽 出售",
            "圣诞红 猩猩木 盆栽 大棵，价格 35 元，包邮",
        ),
        listing(
            "wt-tiger-shark",
            "Tiger shark fin for sale",
            "Dried tiger shark fins, 1 kg, $300, DM me",
        ),
        listing(
            "wt-leopard-tortoise",
            "Leopard tortoise for sale",
            "Captive bred leopard tortoise hatchlings, $250 each, DM",
        ),
        listing(
            "wt-zitan",
            "紫檀 手串 出售",
            "紫檀手串 2.0，价格 300 元，包邮，私聊",
        ),
        listing(
            "wt-rosewood-oil",
            "Huile essentielle de bois de rose à vendre",
            "Huile essentielle bio de bois de rose, 10 ml, 12 €",
        ),
        listing(
            "wt-rosewood-colour",
            "Pull couleur bois de rose à vendre",
            "Pull en laine, coloris bois de rose, taille M, 25 €",
        ),
        listing(
            "wt-palo-de-rosa-oil",
            "Aceite esencial de palo de rosa en venta",
            "Aceite esencial de palo de rosa 10 ml, 12 €, envío gratis",
        ),
    ];
    let mut s = sweep(&listings);
    for id in ["wt-frauenschuh", "wt-sabot", "wt-ladys-slipper"] {
        s.expect_taxon(id, "Cypripedium");
        s.expect_no_taxon(id, "Paphiopedilum");
    }
    s.expect_taxon("wt-chimpanzee", "Pan troglodytes");
    s.expect_no_taxon("wt-chimpanzee", "Pongo");
    s.expect_taxon("wt-gorilla", "Gorilla");
    s.expect_no_taxon("wt-gorilla", "Pongo");
    s.expect_no_taxon("wt-poinsettia", "Pongo");
    s.expect_not_flagged("wt-poinsettia");

    s.expect_no_taxon("wt-tiger-shark", "Panthera");
    let sharks = s
        .groups("wt-tiger-shark")
        .iter()
        .any(|g| g == "sharks-rays");
    s.check(sharks, "wt-tiger-shark", "a taxon of the group sharks-rays");
    s.expect_no_taxon("wt-leopard-tortoise", "Panthera");
    s.expect_taxon("wt-leopard-tortoise", "Stigmochelys pardalis");

    s.expect_no_taxon("wt-zitan", "Dalbergia");
    // Rosewood oil comes from Aniba, not Dalbergia (an essential oil is an extract, which
    // annotation #12 covers, so it may be flagged, but as Aniba); a colour is no wildlife at
    // all.
    s.expect_no_taxon("wt-rosewood-oil", "Dalbergia");
    s.expect_no_taxon("wt-palo-de-rosa-oil", "Dalbergia");
    s.expect_taxon("wt-rosewood-oil", "Aniba");
    s.expect_taxon("wt-palo-de-rosa-oil", "Aniba");
    s.expect_no_taxon("wt-rosewood-colour", "Dalbergia");
    s.expect_not_flagged("wt-rosewood-colour");
    s.finish();
}

// ---------------------------------------------------------------------------------------------
// tricks
// ---------------------------------------------------------------------------------------------

#[test]
fn plainly_written_terms_get_no_look_alike_reason_while_real_look_alikes_do() {
    let plain = vec![
        listing(
            "fa-gorilla",
            "Gorilla skull for sale",
            "Real gorilla skull, museum quality, DM me",
        ),
        listing(
            "fa-hawksbill",
            "Hawksbill turtle shell for sale",
            "Genuine hawksbill shell, polished, DM me",
        ),
        listing(
            "fa-hornbill",
            "Helmeted hornbill casque for sale",
            "Carved hornbill casque pendant, DM me",
        ),
        listing(
            "fa-trenggiling",
            "Jual sisik trenggiling",
            "Sisik trenggiling kering 1 kg, hubungi WA",
        ),
        listing(
            "fa-ecailles",
            "Écailles de pangolin à vendre",
            "Écailles de pangolin séchées, 1 kg, contactez-moi",
        ),
    ];
    let mut listings = plain;
    let n_plain = listings.len();
    listings.push(listing(
        "fa-trick-control",
        "Real 1v0ry bangle for sale",
        "Genuine 1v0ry, DM me",
    ));
    let mut s = sweep(&listings);
    for l in &listings[..n_plain] {
        let id = l.id.as_str();
        // The listing is found (so the check below looks at real reasons).
        let found = s.result(id).is_some();
        s.check(found, id, "a listed taxon found");
        let ok = !s.reasons(id).iter().any(|(_, t)| t.contains("look-alike"));
        s.check(ok, id, "no reason claiming look-alike characters");
    }
    let ok = s
        .reasons("fa-trick-control")
        .iter()
        .any(|(p, t)| t.contains("look-alike") && p.unwrap_or(0) > 0);
    s.check(
        ok,
        "fa-trick-control",
        "a look-alike reason with points for \"1v0ry\"",
    );
    s.finish();
}

#[test]
fn an_exclamation_mark_or_bar_ending_a_word_is_punctuation_so_the_name_is_found_with_no_trick_claimed()
 {
    let listings = vec![
        listing(
            "bang-ivory",
            "Genuine ivory! carved bangle",
            "Old ivory!!! bangle, DM for price",
        ),
        listing(
            "bar-rhino",
            "Rhino horn| cups",
            "Carved rhino horn| libation cup, price on request",
        ),
        // A shop's handle is a name: "@ivory_bridal" is no ivory offer.
        listing(
            "at-handle",
            "Wedding dress, size 10",
            "Worn once, bought from @ivory_bridal, £300 ono. DM me",
        ),
        // `@` ending a word may still be a letter: B3LUG@ is beluga.
        listing(
            "at-end-control",
            "C@VI@R B3LUG@ 125g",
            "Lata original, valor no privado, chama no zap",
        ),
    ];
    let mut s = sweep(&listings);
    for id in ["bang-ivory", "bar-rhino"] {
        s.expect_flagged(id);
        s.expect_no_reason_containing(id, "look-alike");
    }
    s.expect_taxon("bang-ivory", "Elephantidae");
    s.expect_taxon("bar-rhino", "Rhinocerotidae");
    s.expect_not_flagged("at-handle");
    s.expect_flagged("at-end-control");
    s.expect_reason_containing("at-end-control", "look-alike");
    s.finish();
}

#[test]
fn an_auction_lot_depicting_an_animal_is_not_that_animal_and_a_withdrawn_lot_is_not_offered() {
    let listings = vec![
        // Catalogue wording for what a piece depicts: the animal is the subject.
        listing(
            "en-bronze",
            "Lot 41 – Bronze okimono depicting a tiger, Meiji period",
            "Patinated bronze, 22 cm. Estimate £400-600.",
        ),
        listing(
            "it-wood",
            "Scultura in legno raffigurante un elefante",
            "Legno di teak intagliato, 40 cm. Base d'asta 300 €.",
        ),
        listing(
            "fr-bronze",
            "Lot 8 – Bronze figurant un rhinocéros",
            "Épreuve en bronze à patine brune, H. 15 cm. Estimation 500/700 €.",
        ),
        // The material still counts: ivory depicting a tiger is ivory.
        listing(
            "en-ivory",
            "Lot 42 – Ivory okimono depicting a tiger, Meiji period",
            "Finely carved elephant ivory, 12 cm. Estimate £2,000-3,000.",
        ),
        // Helmeted hornbill casque by its catalogue name written as one word.
        listing(
            "en-heding",
            "Lot 15 – A carved heding belt buckle, Qing dynasty",
            "Of rectangular form, 7 cm. Estimate £1,500-2,000.",
        ),
        // The listing's own lot withdrawn.
        listing(
            "en-withdrawn",
            "Lot 77 – Carved ivory figure of a sage",
            "Carved ivory figure of a sage, 18 cm. This lot has been withdrawn.",
        ),
        listing(
            "de-withdrawn",
            "Los 12 – Elfenbeinfigur eines Heiligen",
            "Elfenbein geschnitzt, 19. Jh., H. 20 cm. Dieses Los wurde zurückgezogen.",
        ),
        // Another lot withdrawn on a catalogue page: the ivory lot beside it is offered.
        listing(
            "en-page",
            "Lots 76-77",
            "Lot 76 withdrawn from sale. Lot 77: Carved ivory figure of a sage, 18 cm. Estimate €800-1,200.",
        ),
        listing(
            "it-page",
            "Lotti 45-46",
            "Lotto 45: il lotto è stato ritirato dalla vendita. Lotto 46: figura in avorio intagliato, stima 800 €.",
        ),
    ];
    let mut s = sweep(&listings);
    for id in [
        "en-bronze",
        "it-wood",
        "fr-bronze",
        "en-withdrawn",
        "de-withdrawn",
    ] {
        s.expect_not_flagged(id);
    }
    s.expect_no_taxon("en-bronze", "Panthera tigris");
    s.expect_no_taxon("it-wood", "Elephantidae");
    s.expect_no_taxon("fr-bronze", "Rhinocerotidae");
    // Said where another taxon is scored.
    s.expect_reason_containing(
        "en-ivory",
        "\"tiger\" could point to Panthera tigris but is written beside \"depicting a\", a word for a print, the shape of the animal or what a piece depicts; it does not count",
    );
    for id in ["en-ivory", "en-page", "it-page"] {
        s.expect_flagged(id);
        s.expect_counted_taxon(id, "Elephantidae");
    }
    s.expect_no_taxon("en-ivory", "Panthera tigris");
    s.expect_flagged("en-heding");
    s.expect_counted_taxon("en-heding", "Rhinoplax vigil");
    for id in ["en-page", "it-page"] {
        s.expect_no_reason_starting(id, "decoy context");
    }
    s.expect_reason_containing(
        "en-withdrawn",
        "decoy context \"This lot has been withdrawn\" usually means no offer",
    );
    s.finish();
}

#[test]
fn a_name_beside_a_picture_word_is_what_is_pictured_while_materials_and_real_animals_still_count() {
    let listings = vec![
        listing(
            "pt-umbrella",
            "Guarda-chuva estampa tucanos",
            "Guarda-chuva automático com estampa de tucanos, cabo emborrachado. Novo, R$ 49,90. Envio pelos Correios.",
        ),
        listing(
            "it-pendant",
            "Ciondolo a forma di cavalluccio marino",
            "Argento 925, vendo 25€, spedizione gratuita",
        ),
        listing(
            "ar-necklace",
            "قلادة على شكل حصان البحر",
            "قلادة على شكل حصان البحر للبيع",
        ),
        // A product word is a material: ivory carved in the shape of an
        // elephant is still ivory.
        listing(
            "es-ivory",
            "Colmillo tallado",
            "Colmillo de marfil tallado en forma de elefante, marfil auténtico. Vendo, precio a convenir",
        ),
        listing(
            "pt-ivory-toucan",
            "Colar de marfim antigo",
            "Colar de marfim antigo com pingente em forma de tucano, R$ 900, chama no zap",
        ),
        // Words sellers also use for a real animal's markings, looks or
        // build, or for the grain or worked shape of real timber, are no
        // picture words.
        listing(
            "en-python",
            "Aru GTP",
            "Aru green tree python pattern, high yellow. WTS $600 shipped, PM me",
        ),
        listing(
            "en-rosewood",
            "Fingerboards",
            "Honduras rosewood shaped fingerboards for sale, $40 each",
        ),
        listing(
            "th-tortoise",
            "เต่าดาว",
            "ขายตัวเป็น ลายเต่าดาวสวยมาก ราคา 3500 บาท",
        ),
        listing(
            "vi-parrot",
            "Vẹt",
            "Hình con vẹt xám nhà em, tập nói được, giá 12tr, ship toàn quốc",
        ),
    ];
    let mut s = sweep(&listings);
    // With no other evidence a listing whose only name is pictured has no
    // result at all (no listed taxon counts).
    for id in ["pt-umbrella", "it-pendant", "ar-necklace"] {
        s.expect_not_flagged(id);
        s.expect_no_taxon(id, "Ramphastos");
        s.expect_no_taxon(id, "Hippocampus");
    }
    s.expect_flagged("es-ivory");
    s.expect_taxon("es-ivory", "Elephantidae");
    s.expect_reason_containing("es-ivory", "product word \"Colmillo de marfil\"");
    s.expect_flagged("pt-ivory-toucan");
    s.expect_taxon("pt-ivory-toucan", "Elephantidae");
    s.expect_no_taxon("pt-ivory-toucan", "Ramphastos");
    s.expect_reason_containing(
        "pt-ivory-toucan",
        "\"tucano\" could point to Ramphastos but is written beside \"em forma de\", a word for a print, the shape of the animal or what a piece depicts; it does not count",
    );
    for id in ["en-python", "en-rosewood", "th-tortoise", "vi-parrot"] {
        s.expect_flagged(id);
        s.expect_no_reason_containing(id, "written beside");
    }
    s.finish();
}

// ---------------------------------------------------------------------------------------------
// split listings
// ---------------------------------------------------------------------------------------------

/// The numbers of a species reason's breakdown (after its last "; "): "30 for a common name,
/// +5 for Appendix II (…)" gives [30, 5].
fn breakdown_numbers(reason: &str) -> Vec<i64> {
    let tail = reason.rsplit("; ").next().unwrap_or("");
    let mut out = Vec::new();
    for part in tail.split(", ") {
        let mut words = part.split_whitespace();
        if let (Some(n), Some("for")) = (words.next(), words.next())
            && let Ok(n) = n.trim_start_matches('+').parse::<i64>()
        {
            out.push(n);
        }
    }
    out
}

#[test]
fn split_listings_count_the_least_protected_part_and_the_species_reason_says_so() {
    let listings = vec![
        listing(
            "sp-python-skin",
            "Python skin for sale",
            "Genuine python skin, 3 m, tanned, $150, DM me",
        ),
        listing(
            "sp-shark-fin",
            "Dried shark fin for sale",
            "Shark fin 1 kg, grade A, $400, DM me",
        ),
        listing(
            "sp-caviar",
            "Sturgeon caviar for sale",
            "Wild sturgeon caviar, 250 g tin, $300, DM me",
        ),
        listing(
            "sp-crocodile-leather",
            "Crocodile leather handbag for sale",
            "Genuine crocodile leather bag, $900, DM me",
        ),
        listing(
            "sp-lion-bone",
            "Lion bone for sale",
            "Lion bones 5 kg, $2,000, DM me",
        ),
    ];
    let mut s = sweep(&listings);
    for l in &listings {
        let id = l.id.as_str();
        let Some(v) = s.result(id) else {
            s.fail(id, "a result (a listed taxon found)");
            continue;
        };
        let taxa = v["taxa"].as_array().cloned().unwrap_or_default();
        let split: Vec<(String, String)> = taxa
            .iter()
            .filter_map(|t| {
                let a = t["appendix"].as_str().unwrap_or("");
                a.contains('/').then(|| {
                    (
                        t["scientific_name"].as_str().unwrap_or("").to_string(),
                        a.into(),
                    )
                })
            })
            .collect();
        if split.is_empty() {
            s.fail(id, "a split-listed taxon (the example is a split listing)");
            continue;
        }
        // The counted species reason of each split taxon names the least protected part, gives
        // no points for an Appendix (docs/matching.md: the Appendix is stated, not scored),
        // and has a breakdown that adds up to the reason's points.
        let reasons = s.reasons(id);
        let mut counted = 0;
        for (name, appendix) in &split {
            let head = format!("points to {name} (CITES Appendix {appendix}");
            for (points, text) in reasons.iter().filter(|(_, t)| t.contains(&head)) {
                let points = points.unwrap_or(0);
                if points == 0 {
                    continue;
                }
                counted += 1;
                let least = appendix.rsplit('/').next().unwrap();
                let expected_app = format!("least protected part Appendix {least},");
                let nums = breakdown_numbers(text);
                let ok = text.contains(&expected_app)
                    && text.contains("split listing")
                    && !text.contains("for Appendix")
                    && nums.iter().sum::<i64>() == points;
                if !ok {
                    s.fail(
                        id,
                        &format!(
                            "the species reason for {name} ({appendix}) says it is a split listing ({expected_app}…), scores no Appendix, and its breakdown {nums:?} adds up to its {points} points"
                        ),
                    );
                }
            }
        }
        s.check(
            counted > 0,
            id,
            "a species reason with points for the split-listed taxon",
        );
    }
    s.finish();
}

// ---------------------------------------------------------------------------------------------
// text that is not language
// ---------------------------------------------------------------------------------------------

#[test]
fn random_bytes_and_random_ascii_score_zero_and_are_not_flagged() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut listings = Vec::new();
    for i in 0..16 {
        let bytes = rng.bytes(4096);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let (a, b) = text.split_at(text.char_indices().nth(40).map(|(i, _)| i).unwrap_or(0));
        listings.push(listing(&format!("random-bytes-{i}"), a, b));
    }
    const ASCII: &[u8] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ ";
    for i in 0..16 {
        let text: String = (0..4096)
            .map(|_| ASCII[(rng.next() % ASCII.len() as u64) as usize] as char)
            .collect();
        let (a, b) = text.split_at(40);
        listings.push(listing(&format!("random-ascii-{i}"), a, b));
    }
    let mut s = sweep(&listings);
    for l in &listings {
        let id = l.id.as_str();
        let score = s.score(id);
        s.check(score == 0, id, "score 0");
        s.expect_not_flagged(id);
        let pointless = s.reasons(id).iter().all(|(p, _)| p.unwrap_or(0) == 0);
        s.check(pointless, id, "no reason with points");
    }
    s.finish();
}

// ---------------------------------------------------------------------------------------------
// reasons and snippets
// ---------------------------------------------------------------------------------------------

/// Listings in Thai, French, Vietnamese and English whose reasons quote the listing's words.
fn reason_listings() -> Vec<Listing> {
    vec![
        listing(
            "rs-thai-ivory",
            "ขายงาช้างแท้",
            "งาช้างแกะสลัก ราคา 5000 บาท ติดต่อไลน์",
        ),
        listing(
            "rs-thai-monitor",
            "ขายหนังเหี้ย",
            "หนังเหี้ยแท้ ราคา 2000 บาท ติดต่อไลน์",
        ),
        listing(
            "rs-french-ivory",
            "Statuette en ivoire",
            "Belle statuette ancienne en ivoire à vendre 300 € contactez-moi",
        ),
        listing(
            "rs-french-pangolin",
            "Écailles de pangolin à vendre",
            "Écailles de pangolin séchées, 1 kg, 450 €, contactez-moi",
        ),
        listing(
            "rs-vietnamese-ivory",
            "Bán vòng ngà voi thật",
            "Vòng tay ngà voi, giá 3.000.000đ, liên hệ Zalo",
        ),
        listing(
            "rs-english-rhino",
            "Rhino horn libation cup sold for £42,000",
            "Hammer price: £42,000 at today's auction. More rhino horn cups available now, DM for price.",
        ),
        listing(
            "rs-english-skull",
            "Gorilla skull for sale",
            "Real gorilla skull, $3,000, DM me",
        ),
    ]
}

/// Every listing of this file.
fn all_listings() -> Vec<Listing> {
    let mut all = cue_language_listings();
    all.extend(
        SALE_VOCABULARY
            .iter()
            .map(|(id, t, d, _)| listing(id, t, d)),
    );
    all.extend(reason_listings());
    // The other tests' listings, written again here so that their reasons are checked too.
    for (id, t, d) in [
        (
            "x-pliers",
            "老虎钳 8寸 多功能钢丝钳 出售",
            "全新老虎钳，价格 25 元，包邮，私聊微信",
        ),
        (
            "x-tiger-skin",
            "老虎皮 出售",
            "真老虎皮一张，价格 8 万，私聊微信",
        ),
        (
            "x-age-spot",
            "Kem trị đồi mồi, nám, tàn nhang - bán giá 150.000đ",
            "Kem đồi mồi chính hãng, liên hệ Zalo 0901234567",
        ),
        (
            "x-hawksbill",
            "Vòng đồi mồi thật - bán",
            "Vòng tay đồi mồi thật 100%, mai đồi mồi, giá 2.500.000đ, liên hệ Zalo",
        ),
        (
            "x-goldfish",
            "鹤顶红金鱼 出售",
            "精品鹤顶红 金鱼 3 条，价格 60 元，包邮，加微信",
        ),
        (
            "x-red-ivory",
            "Red ivory wood pen blank for sale",
            "Red ivory turning blank, 20 x 20 x 130 mm, $25, DM me",
        ),
        (
            "x-cow-bone",
            "Natural cow bone dog chews - 10 pack for sale",
            "Long-lasting cow bone chews for large dogs, $15, free shipping",
        ),
        (
            "x-leopard-fr",
            "Robe imprimé léopard 30 €",
            "Taille M, portée une fois, à vendre",
        ),
        (
            "x-news-seized",
            "Customs seized 2 tonnes of pangolin scales at the port",
            "Officers found the pangolin scales hidden in a container declared as cashew nuts.",
        ),
        (
            "x-tiger-shark",
            "Tiger shark fin for sale",
            "Dried tiger shark fins, 1 kg, $300, DM me",
        ),
        (
            "x-python",
            "Python skin for sale",
            "Genuine python skin, 3 m, tanned, $150, DM me",
        ),
        (
            "x-trick",
            "Real 1v0ry bangle for sale",
            "Genuine 1v0ry, DM me",
        ),
        (
            "x-frauenschuh",
            "Frauenschuh Orchidee zu verkaufen",
            "Winterharter Frauenschuh, blühfähige Pflanze im Topf, 35 € inkl. Versand",
        ),
    ] {
        all.push(listing(id, t, d));
    }
    all
}

/// A letter or digit of a script that separates words with spaces (Latin, Greek, Cyrillic,
/// Vietnamese letters).
fn word_char(c: char) -> bool {
    c.is_alphanumeric() && ((c as u32) < 0x0530 || (0x1e00..0x2000).contains(&(c as u32)))
}

/// A combining mark that belongs to the letter before it (Thai vowel and tone marks, Latin
/// combining accents).
fn combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036f | 0x0e31 | 0x0e34..=0x0e3a | 0x0e47..=0x0e4e)
}

/// Why the piece `text[start..end]` is not cut at word and character boundaries, if it is not.
fn cut_badly(text: &str, start: usize, end: usize) -> Option<String> {
    let piece = &text[start..end];
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let first = piece.chars().next()?;
    let last = piece.chars().next_back()?;
    if combining(first) {
        return Some(format!(
            "starts with the combining mark U+{:04X}",
            first as u32
        ));
    }
    if after.is_some_and(combining) {
        return Some(format!(
            "leaves out the mark U+{:04X} that belongs to its last letter",
            after.unwrap() as u32
        ));
    }
    if before.is_some_and(word_char) && word_char(first) {
        return Some(format!("starts mid-word ({before:?} before it)"));
    }
    if after.is_some_and(word_char) && word_char(last) {
        return Some(format!("ends mid-word ({after:?} after it)"));
    }
    None
}

#[test]
fn reasons_and_snippets_quote_whole_words_with_their_thai_marks() {
    let listings = all_listings();
    let mut s = sweep(&listings);
    // The Thai word for elephant is quoted whole, never escaped.
    let thai_whole = s
        .reasons("rs-thai-ivory")
        .iter()
        .any(|(_, t)| t.contains("ช้าง"));
    s.check(
        thai_whole,
        "rs-thai-ivory",
        "a reason quoting \"ช้าง\" as written",
    );
    for l in &listings {
        let id = l.id.as_str();
        let Some(v) = s.result(id).cloned() else {
            continue;
        };
        let text = l.text();
        for (_, reason) in s.reasons(id) {
            if reason.contains("\\u{") {
                s.fail(
                    id,
                    &format!("no escaped character in the reason {}", show(&reason)),
                );
            }
            // Words quoted from the listing (code word source notes quote other texts).
            if reason.starts_with("code word source:") {
                continue;
            }
            for q in quoted_parts(&reason) {
                let found: Vec<usize> = text.match_indices(q.as_str()).map(|(i, _)| i).collect();
                if found.is_empty() {
                    continue; // not the listing's words (a term as listed, a reason's own words)
                }
                // Cut badly wherever it occurs: no occurrence is a whole word.
                let whys: Vec<String> = found
                    .iter()
                    .filter_map(|&i| cut_badly(&text, i, i + q.len()))
                    .collect();
                if whys.len() == found.len() {
                    s.fail(
                        id,
                        &format!(
                            "the reason {} quotes {}, which {}",
                            show(&reason),
                            show(&q),
                            whys[0]
                        ),
                    );
                }
            }
        }
        for m in v["matches"].as_array().cloned().unwrap_or_default() {
            let snippet = m["snippet"].as_str().unwrap_or("").to_string();
            let (start, end) = (
                m["start"].as_u64().unwrap_or(0) as usize,
                m["end"].as_u64().unwrap_or(0) as usize,
            );
            // The snippet is the piece of the listing around the match.
            let at: Vec<usize> = text
                .match_indices(snippet.as_str())
                .map(|(i, _)| i)
                .filter(|&i| i <= start && end <= i + snippet.len())
                .collect();
            let Some(&i) = at.first() else {
                s.fail(
                    id,
                    &format!(
                        "the snippet {} of the match {} at {start}..{end} is the text around it",
                        show(&snippet),
                        m["term"]
                    ),
                );
                continue;
            };
            if let Some(why) = cut_badly(&text, i, i + snippet.len()) {
                s.fail(
                    id,
                    &format!(
                        "the snippet {} of the match {} is cut at word boundaries, but it {why}",
                        show(&snippet),
                        m["term"]
                    ),
                );
            }
        }
    }
    s.finish();
}

#[test]
fn every_reason_carries_points_and_they_add_up_to_the_score_for_every_listing_of_this_file() {
    let listings = all_listings();
    let mut s = sweep(&listings);
    let mut seen = 0;
    for l in &listings {
        let id = l.id.as_str();
        let Some(v) = s.result(id) else {
            continue;
        };
        seen += 1;
        let score = v["score"].as_i64().expect("score is a number");
        let flagged = v["flagged"].as_bool().expect("flagged is a boolean");
        let reasons = s.reasons(id);
        let missing: Vec<&String> = reasons
            .iter()
            .filter(|(p, t)| p.is_none() || t.trim().is_empty())
            .map(|(_, t)| t)
            .collect();
        if !missing.is_empty() {
            s.fail(
                id,
                &format!("every reason has points and words; these lack one: {missing:?}"),
            );
        }
        let sum: i64 = reasons.iter().filter_map(|(p, _)| *p).sum();
        s.check(
            sum == score,
            id,
            &format!("the reasons' points ({sum}) add up to the score ({score})"),
        );
        s.check(
            (0..=100).contains(&score) && flagged == (score >= 45),
            id,
            "a score within 0-100, flagged exactly from 45",
        );
    }
    assert!(
        seen >= listings.len() / 2,
        "only {seen} of {} listings had a result: the check would say little",
        listings.len()
    );
    s.finish();
}

/// The checker of the test above can fail: it finds the cut of issue 10 (`"ndre 300 €"`), a
/// Thai word without its tone mark and a snippet starting mid-word, and passes whole words.
#[test]
fn the_word_boundary_check_finds_the_cuts_of_issue_10() {
    let fr = "Belle statuette en ivoire à vendre 300 € contactez-moi";
    let at = fr.find("ndre 300").unwrap();
    assert!(cut_badly(fr, at, at + "ndre 300 €".len()).is_some());
    let at = fr.find("vendre 300").unwrap();
    assert_eq!(cut_badly(fr, at, at + "vendre 300 €".len()), None);
    let th = "หนังเหี้ยแท้ ราคา 2000 บาท";
    let at = th.find("แท").unwrap();
    assert!(cut_badly(th, at, at + "แท".len()).is_some());
    assert_eq!(cut_badly(th, at, at + "แท้".len()), None);
    let en = "Écailles de pangolin à vendre";
    let at = en.find("ailles").unwrap();
    assert!(cut_badly(en, at, en.len()).is_some());
    assert_eq!(cut_badly(en, 0, en.len()), None);
    assert_eq!(
        quoted_parts(r#"a price is given ("r £4,200\nA 19t") and "x\"y""#),
        vec!["r £4,200\nA 19t".to_string(), "x\"y".to_string()]
    );
}

/// An agency or treaty named inside an offer is no news: a Brazilian breeder's "criadouro
/// legalizado IBAMA" and an auction house's notice that a lot is "subject to the Convention on
/// endangered species" (受瀕危物種國際貿易公約限制, which holds the news words 瀕危物種). The same
/// words in news still lower the score.
#[test]
fn a_breeders_agency_licence_and_an_auction_houses_cites_notice_are_not_news() {
    let listings = vec![
        listing(
            "pt-ibama-offer",
            "Filhote de papagaio-verdadeiro – criadouro legalizado IBAMA",
            "Filhote de papagaio-verdadeiro com 3 meses, manso. Nota fiscal e anilha. R$ 4.500,00.",
        ),
        listing(
            "pt-ibama-news",
            "Ibama apreende papagaios em feira",
            "Fiscais do Ibama apreenderam 40 filhotes de papagaio-verdadeiro numa feira no interior.",
        ),
        listing(
            "zh-notice-offer",
            "LOT 88 清 犀角雕杯",
            "高8cm，重210克。估價：待詢。此拍品受瀕危物種國際貿易公約限制，買家須自行了解進出口規定。",
        ),
        listing(
            "zh-news",
            "犀角走私案宣判",
            "記者報導，兩名嫌犯走私犀角雕杯，違反保護瀕危物種規定，法院判刑三年。",
        ),
    ];
    let mut s = sweep(&listings);
    for id in ["pt-ibama-offer", "zh-notice-offer"] {
        s.expect_no_reason_starting(id, "wording of news");
        s.expect_flagged(id);
    }
    s.expect_cue_reason("zh-notice-offer", &["claims"], "受瀕危物種國際貿易公約限制");
    for (id, word) in [("pt-ibama-news", "Ibama apreende"), ("zh-news", "走私")] {
        s.expect_penalty_reason(id, "wording of news", word);
        s.expect_not_flagged(id);
    }
    s.finish();
}

/// A hashtag joins the words of a phrase: one that spells a listed phrase whole counts as that
/// phrase ("#umbrellacockatoo", "#dentedejacare" with its accent left out), and so does a decoy
/// ("#fauxleather"). The words joined outside a hashtag are no match, nor is a hashtag that
/// only starts with a phrase.
#[test]
fn a_hashtag_that_spells_a_listed_phrase_with_its_words_joined_counts_as_that_phrase() {
    let listings = vec![
        listing(
            "tag-cockatoo",
            "",
            "🤍🤍 U2 babies!! Just weaned, closed rings. Price in DMs 📲 WhatsApp #umbrellacockatoo #parrotsofinstagram",
        ),
        listing(
            "tag-caiman",
            "",
            "Colar de dentinho de 🐊 do Pantanal, ponta banhada a ouro R$ 89. Chama na DM! #amuleto #dentedejacare",
        ),
        listing(
            "joined-no-tag",
            "",
            "U2 babies umbrellacockatoo, closed rings. Price in DMs 📲 WhatsApp",
        ),
        listing(
            "tag-longer",
            "",
            "U2 babies, closed rings. Price in DMs 📲 WhatsApp #umbrellacockatoolovers",
        ),
        listing(
            "tag-decoy",
            "",
            "Python skin bag, new, $300, DM to buy #fauxleather",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_flagged("tag-cockatoo");
    s.expect_cue_reason("tag-cockatoo", &["common name"], "umbrellacockatoo");
    s.expect_flagged("tag-caiman");
    s.expect_cue_reason("tag-caiman", &["product word"], "dentedejacare");
    s.expect_not_flagged("joined-no-tag");
    s.expect_not_flagged("tag-longer");
    s.expect_penalty_reason("tag-decoy", "decoy context", "\"fauxleather\"");
    s.finish();
}

#[test]
fn a_claim_inside_a_decoy_that_says_the_opposite_is_no_claim_and_one_outside_stays() {
    let listings = vec![
        listing(
            "en-not-genuine-leather",
            "Crocodile leather belt",
            "Belt in crocodile leather look, not genuine leather, 110 cm. £15, free postage.",
        ),
        listing(
            "nl-genuine",
            "Armband van echt ivoor",
            "Oude armband van echt ivoor, 60 mm. € 450, verzenden mogelijk.",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_penalty_reason(
        "en-not-genuine-leather",
        "decoy context",
        "\"not genuine leather\"",
    );
    s.expect_no_reason_starting("en-not-genuine-leather", "claims");
    s.expect_reason_containing("nl-genuine", "claims \"echt\"");
    s.finish();
}

/// One phrase is one statement: "free postage" is English sale wording, and the Malay contact
/// word "postage" inside it is part of it, not a second cue; contact wording elsewhere counts.
#[test]
fn contact_wording_inside_sale_wording_is_not_a_second_cue() {
    let listings = vec![
        listing(
            "en-free-postage",
            "Python skin handbag",
            "Genuine python skin handbag, 30 cm, £120, free postage.",
        ),
        listing(
            "en-free-postage-and-message",
            "Python skin handbag",
            "Genuine python skin handbag, 30 cm, £120, free postage, message me.",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_cue_reason(
        "en-free-postage",
        &["sale or purchase wording"],
        "free postage",
    );
    s.expect_no_reason_starting("en-free-postage", "contact, delivery or payment wording");
    s.expect_cue_reason(
        "en-free-postage-and-message",
        &["sale or purchase wording"],
        "free postage",
    );
    s.expect_cue_reason(
        "en-free-postage-and-message",
        &["contact, delivery or payment wording"],
        "message me",
    );
    s.finish();
}

/// A homograph is its language's word also where only that language's sale, contact or price
/// wording, written as listed, names the language of a listing too short for the language
/// guesser: "karet" is rubber in an Indonesian listing with "gratis ongkir" (free shipping), and
/// still the Dutch word for hawksbill in a Dutch one.
#[test]
fn a_homograph_counts_where_its_languages_sale_wording_names_the_language() {
    let listings = vec![
        listing(
            "id-karet-rubber",
            "Sandal jepit motif kulit ular",
            "Sandal jepit karet motif kulit ular warna hijau, nyaman dan anti slip. Ukuran 36-43. Rp 35.000, gratis ongkir.",
        ),
        listing(
            "nl-karet-hawksbill",
            "Antieke armband van karet",
            "Antieke armband van karet, 6 cm, mooie gloed. € 85, verzenden mogelijk.",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_not_flagged("id-karet-rubber");
    s.expect_no_taxon("id-karet-rubber", "Eretmochelys");
    s.expect_flagged("nl-karet-hawksbill");
    s.expect_taxon("nl-karet-hawksbill", "Eretmochelys");
    s.finish();
}

/// News attribution and enforcement verbs in their other forms, from the blind news vocabulary of
/// 2026-12-05 ("the agency said", "Decomisaron"): each scored 53 to 62 without it. A plain offer is
/// still flagged.
#[test]
fn news_attribution_and_enforcement_verbs_are_not_flagged() {
    let listings = vec![
        listing(
            "news-attribution",
            "300 kg of pangolin scales found in cashew sacks",
            "Sacks of pangolin scales were hidden under cashew nuts in two containers, the agency said in a statement.",
        ),
        listing(
            "news-enforcement-verb",
            "Decomisaron 40 crías de loro en una feria",
            "Las crías de guacamaya roja viajaban en cajas de cartón sin agua, junto a bolsas con plumas de guacamaya, hasta la feria del domingo.",
        ),
        listing(
            "pangolin-offer",
            "Pangolin scales",
            "Pangolin scales for sale, 300 USD per kg, WhatsApp me.",
        ),
    ];
    let mut s = sweep(&listings);
    for (id, words) in [
        ("news-attribution", "\"the agency said\""),
        ("news-enforcement-verb", "\"Decomisaron\""),
    ] {
        s.expect_not_flagged(id);
        s.expect_penalty_reason(id, "wording of news, advocacy or enforcement", words);
    }
    s.expect_flagged("pangolin-offer");
    s.expect_no_reason_starting("pangolin-offer", "wording of news, advocacy or enforcement");
    s.finish();
}

/// Offers a review wrote to attack the blind vocabulary of 2026-12-05, each with the words of a
/// news or decoy term that hid it then (tests/data/listings/review-offers-2026-12-05.jsonl): a
/// seller's legal note ("prohibits the sale of …, this piece is exempt"), "Bitte meldet euch bei
/// Interesse", a customs office cited for clearance, a pickup place, a listed name ("Harimau
/// Malaya", "khỉ gió"). All 59 scored 45 or more before that vocabulary and below 45 with its
/// first version; the terms were taken out, and every one must stay flagged.
#[test]
fn offers_written_to_attack_the_blind_vocabulary_stay_flagged() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/listings/review-offers-2026-12-05.jsonl");
    let listings: Vec<Listing> = read_string(&path)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
            listing(&s("id"), &s("title"), &s("description"))
        })
        .collect();
    assert_eq!(listings.len(), 59);
    let mut s = sweep(&listings);
    for l in &listings {
        s.expect_flagged(&l.id);
    }
    s.finish();
}

/// Everyday goods named after animals, from the blind decoy vocabulary of 2026-12-05: Indonesian
/// crocodile bread for a wedding and a brass owl figurine each scored 76 without it. A live
/// crocodile offered in Indonesian is still flagged.
#[test]
fn crocodile_bread_and_a_brass_owl_figurine_are_not_flagged_and_a_live_crocodile_is() {
    let listings = vec![
        listing(
            "id-crocodile-bread",
            "Roti buaya cokelat sepasang",
            "Roti buaya isi cokelat sepasang, panjang 50 cm, untuk lamaran dan seserahan. Rp 150.000, bisa kirim.",
        ),
        listing(
            "en-brass-owl",
            "Brass owl figurine, 15 cm",
            "Solid brass owl figurine for a desk, 15 cm tall, 600 g. $35 plus shipping.",
        ),
        listing(
            "id-live-crocodile",
            "Anak buaya muara hidup",
            "Anak buaya muara hidup, panjang 40 cm, sehat. Rp 2.000.000, bisa kirim.",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_not_flagged("id-crocodile-bread");
    s.expect_not_flagged("en-brass-owl");
    s.expect_flagged("id-live-crocodile");
    s.expect_taxon("id-live-crocodile", "Crocodylus porosus");
    s.expect_no_reason_starting("id-live-crocodile", "decoy context");
    s.finish();
}

/// Colours, looks and shapes of the blind decoy vocabulary of 2026-12-05: ivory as a furniture
/// colour in German and Russian, a seahorse swim ring in Thai. Each scored 63 to 95 without it.
/// Real ivory offered in German, with a size and a price, is still flagged.
#[test]
fn ivory_as_a_colour_and_a_seahorse_swim_ring_are_not_flagged_and_real_ivory_is() {
    let listings = vec![
        listing(
            "de-ivory-colour",
            "Sideboard Hochglanz, Farbton Elfenbein",
            "Verkaufe Sideboard, Farbton Elfenbein, 180 cm breit, wegen Umzug. 150 €, Abholung in Köln.",
        ),
        listing(
            "ru-ivory-colour",
            "Комод, цвет слоновая кость",
            "Комод с 4 ящиками, цвет слоновая кость, ширина 80 см. 7 000 р. Самовывоз.",
        ),
        listing(
            "th-seahorse-swim-ring",
            "ห่วงยางม้าน้ำ สำหรับเด็ก",
            "ห่วงยางม้าน้ำ สีฟ้า สำหรับเด็ก 3-6 ขวบ ราคา 150 บาท ส่งฟรี",
        ),
        listing(
            "de-real-ivory",
            "Elfenbein Armreif alt",
            "Verkaufe alten Armreif aus echtem Elfenbein, 6 cm innen, 300 €, Versand möglich.",
        ),
    ];
    let mut s = sweep(&listings);
    for id in [
        "de-ivory-colour",
        "ru-ivory-colour",
        "th-seahorse-swim-ring",
    ] {
        s.expect_not_flagged(id);
    }
    s.expect_flagged("de-real-ivory");
    s.expect_taxon("de-real-ivory", "Elephantidae");
    s.expect_no_reason_starting("de-real-ivory", "decoy context");
    s.finish();
}

/// Decoys and picture words count on the same evidence of a listing's language as the cues that
/// add points: a short Portuguese listing the language guesser cannot name gets its contact cue
/// "Envio" and price "R$", and so also its decoy "estampa croco" (a croc print) and its picture
/// word "estampa" beside a French or English name. Each scored 67 when only the guesser counted.
/// The same bag without the print word, and real crocodile leather, are still flagged.
#[test]
fn a_decoy_or_picture_word_counts_where_its_languages_sale_wording_names_the_language() {
    let listings = vec![
        listing(
            "pt-croco-print",
            "Bolsa estampa croco",
            "Bolsa de couro com estampa croco, R$ 189, envio pelos Correios.",
        ),
        listing(
            "pt-crocodile-print",
            "Bolsa estampa crocodile",
            "Bolsa de couro com estampa crocodile, R$ 189, envio pelos Correios.",
        ),
        listing(
            "pt-croco-bag",
            "Bolsa croco",
            "Bolsa de couro croco, R$ 189, envio pelos Correios.",
        ),
        listing(
            "pt-crocodile-leather",
            "Bolsa de couro de crocodilo",
            "Bolsa de couro de crocodilo legítimo, R$ 1.890, envio pelos Correios.",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_not_flagged("pt-croco-print");
    s.expect_not_flagged("pt-crocodile-print");
    // Without the decoy or picture word the same words are flagged: the print words are what
    // takes the name away.
    s.expect_flagged("pt-croco-bag");
    s.expect_flagged("pt-crocodile-leather");
    s.expect_taxon("pt-crocodile-leather", "Crocodylia");
    s.finish();
}

/// Posts warning about the trade, and news, quote sellers' ads: in a listing with news or
/// advocacy wording outside its quotations, the sale, contact and price wording, amounts and phone
/// numbers inside a quotation are someone else's and do not count, and a reason says so. A
/// seller's own listing (no such wording) keeps its quoted words: a code word in quotes, a
/// listing that is all one quotation, a quoted description under a title, and apostrophes.
#[test]
fn sale_wording_quoted_inside_a_longer_post_is_someone_elses() {
    let listings = vec![
        listing(
            "en-warning",
            "",
            "Look what we were sent this morning: 'Slow loris for sale, hand tame, £900, WhatsApp only, no time wasters.' Slow lorises have their teeth cut for the pet trade. If you see posts like this, report them to the platform.",
        ),
        listing(
            "de-warning",
            "",
            "Diese Anzeige hat uns eine Leserin geschickt: „Verkaufe Schildpatt-Kamm, alt, 120 €, Versand möglich.“ Schildpatt stammt von der Echten Karettschildkröte. Bitte melden Sie solche Anzeigen dem Portal.",
        ),
        listing(
            "fr-warning",
            "",
            "Une abonnée nous a transmis cette annonce : « Vends bracelet en ivoire ancien, 350 €, envoi possible, contactez-moi en MP » Ce commerce est interdit. Signalez ce genre d'annonces à la plateforme.",
        ),
        listing(
            "es-warning-phone",
            "",
            "Un vecino nos reenvió este mensaje: \"cachorro de mono capuchino, muy manso, llamar al +00 000 000 00\" Los monos no son mascotas y tenerlos sin permisos es delito. Denuncia estos mensajes.",
        ),
        listing(
            "en-seller-code-word",
            "",
            "Selling my grandfather's 'white gold' bangle, heavy old ivory, 6 cm inside, £400, message me, UK post only.",
        ),
        listing(
            "en-seller-all-quoted",
            "",
            "\"Old ivory bangle for sale, £400, message me\"",
        ),
        listing(
            "en-seller-quoted-description",
            "Antique Chinese carved ivory brush pot Qing dynasty 19th century",
            "\"Carved ivory brush pot, Qing, 19th century, for sale £2,500, PM for details\"",
        ),
        listing(
            "en-seller-apostrophes",
            "Slow loris",
            "Our family has kept them since the ‘90s. Sweet little loris for sale £900, WhatsApp me. Eats fruit and insects, owners’ care sheet included.",
        ),
    ];
    let mut s = sweep(&listings);
    for id in ["en-warning", "de-warning", "fr-warning", "es-warning-phone"] {
        s.expect_not_flagged(id);
        s.expect_reason_containing(id, "inside the quotation");
        s.expect_no_reason_starting(id, "sale or purchase wording");
        s.expect_no_reason_starting(id, "a price is given");
        s.expect_no_reason_starting(id, "a phone number is given");
    }
    s.expect_reason_containing("es-warning-phone", "quotation \"\\\"cachorro de mono");
    s.expect_flagged("en-seller-code-word");
    s.expect_cue_reason(
        "en-seller-code-word",
        &["sale or purchase wording"],
        "selling",
    );
    s.expect_no_reason_containing("en-seller-code-word", "inside the quotation");
    for id in [
        "en-seller-all-quoted",
        "en-seller-quoted-description",
        "en-seller-apostrophes",
    ] {
        s.expect_flagged(id);
        s.expect_no_reason_containing(id, "inside the quotation");
    }
    s.finish();
}

/// Seller wording that read as news or as a refusal to sell. German "Nachrichten" is the news,
/// and a newspaper's name ("Kieler Nachrichten"), but sellers write "Bitte keine Nachrichten"
/// (messages): news wording inside a longer contact wording is part of it, so a house-clearance
/// ad for ivory carvings no longer loses 37 points, while a news item with "Nachrichten" alone
/// still reads as news. The Arabic decoy "لا أبيع" (I do not sell) fired on an auction post
/// refusing fake bidders ("لا أبيع على المزايدين", I do not sell to …) and is gone; "مو للبيع"
/// (not for sale) still lowers.
#[test]
fn seller_wording_about_messages_or_bidders_is_not_news_or_a_refusal() {
    let listings = vec![
        listing(
            "de-seller-no-messages",
            "Elfenbeinschnitzereien aus Nachlass",
            "Drei kleine Elfenbeinschnitzereien aus dem Nachlass meiner Tante, zusammen 350 € VB. Nur Abholung in Bielefeld. Bitte keine Nachrichten mit Tauschangeboten.",
        ),
        listing(
            "de-news-masthead",
            "Kieler Nachrichten: Elfenbein am Flughafen entdeckt",
            "Zwölf geschnitzte Elfenbeinfiguren im Wert von 350 € hat ein Reisender am Flughafen im Koffer gehabt.",
        ),
        listing(
            "ar-seller-fake-bidders",
            "جنبية صيفاني قديمة – على السوم",
            "جنبية يمنية قديمة رأسها صيفاني أصلي. السوم وصل ١٨ ألف، والبيع على أعلى سوم يوم الخميس. لا أبيع على المزايدين الوهميين.",
        ),
        listing(
            "ar-owner-not-for-sale",
            "جنبية صيفاني قديمة",
            "جنبية يمنية قديمة رأسها صيفاني أصلي، السوم وصل ١٨ ألف عند جدي، لكنها مو للبيع.",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_flagged("de-seller-no-messages");
    s.expect_no_reason_starting("de-seller-no-messages", "wording of news");
    s.expect_not_flagged("de-news-masthead");
    s.expect_penalty_reason("de-news-masthead", "wording of news", "Nachrichten");
    s.expect_flagged("ar-seller-fake-bidders");
    s.expect_no_reason_starting("ar-seller-fake-bidders", "decoy context");
    s.expect_not_flagged("ar-owner-not-for-sale");
    s.expect_penalty_reason("ar-owner-not-for-sale", "decoy context", "مو للبيع");
    s.finish();
}

/// The RAL paint colours 1014 (ivory) and 1015 (light ivory) written with the colour's name
/// ("RAL 1014 Elfenbein", "RAL 1015 light ivory") are decoys. A tin of paint scored 67 as
/// elephant ivory. An ivory bangle in the same words is still flagged, and so is a piano with
/// ivory keys whose case was resprayed "RAL 1014" (the code alone is no decoy).
#[test]
fn a_ral_ivory_paint_colour_is_no_ivory() {
    let listings = vec![
        listing(
            "de-ral-paint",
            "Lack RAL 1014 Elfenbein, 2 Dosen",
            "2 Dosen Kunstharzlack seidenmatt, Farbton RAL 1014 Elfenbein, je 750 ml. Zusammen 15 €. Abholung in Mainz.",
        ),
        listing(
            "en-ral-paint",
            "RAL 1015 light ivory paint",
            "5 litre tin of RAL 1015 light ivory gloss paint, unopened, £20, collection only.",
        ),
        listing(
            "de-ivory-bangle",
            "Elfenbein Armreif",
            "Alter Armreif aus Elfenbein, 6 cm innen. 150 €. Abholung in Mainz.",
        ),
        listing(
            "en-piano-ivory-keys",
            "Upright piano with ivory keys",
            "Upright piano, original ivory keys, case resprayed RAL 1014 last year. £400, collection only.",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_flagged("en-piano-ivory-keys");
    s.expect_no_reason_starting("en-piano-ivory-keys", "decoy context");
    s.expect_not_flagged("de-ral-paint");
    s.expect_not_flagged("en-ral-paint");
    s.expect_flagged("de-ivory-bangle");
    s.expect_taxon("de-ivory-bangle", "Elephantidae");
    s.finish();
}

/// Listings a review wrote on 2026-12-06 to attack the words added from the fifth outside batch
/// (tests/data/listings/review-2026-12-06.jsonl): real offers that use a new decoy's words in
/// passing ("piel de res grabada" as the lining of crocodile boots, a piano case "resprayed RAL
/// 1014", "لا أبيعها لولا الحاجة"), everyday goods that use a new name ("en écaille brune"
/// glasses, a printing shop "Offset Macan"), German news that relied on "Nachrichten". 38 came out
/// wrong with the first version of those words; the 70 that warden gets right now (7 of the 77
/// are left out, see the data's README) must keep their labels.
#[test]
fn listings_written_to_attack_the_fifth_batch_words_keep_their_labels() {
    review_set_keeps_its_labels("review-2026-12-06.jsonl", 70);
}

/// The listings of a review set in tests/data/listings, each with its id and what `field` reads
/// from its line.
fn review_set<T>(file: &str, field: impl Fn(&Value) -> T) -> (Vec<Listing>, Vec<(String, T)>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/listings")
        .join(file);
    let mut listings = Vec::new();
    let mut read = Vec::new();
    for l in read_string(&path).lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(l).unwrap();
        let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
        listings.push(listing(&s("id"), &s("title"), &s("description")));
        read.push((s("id"), field(&v)));
    }
    (listings, read)
}

/// The listings of a labelled review set in tests/data/listings, each with its id and label
/// (true: an offer).
fn listings_with_labels(file: &str) -> (Vec<Listing>, Vec<(String, bool)>) {
    review_set(file, |v| v["label"].as_bool().unwrap())
}

/// The listings of a review set in tests/data/listings, each with its id and
/// the taxon its writer expects (`expect`).
fn listings_with_expected_taxa(file: &str) -> (Vec<Listing>, Vec<(String, String)>) {
    review_set(file, |v| v["expect"].as_str().unwrap_or("").to_string())
}

/// Sweeps the labelled review set `file`, which holds `count` listings, and checks that each
/// keeps its label.
fn review_set_keeps_its_labels(file: &str, count: usize) {
    let (listings, labels) = listings_with_labels(file);
    assert_eq!(listings.len(), count);
    let mut s = sweep(&listings);
    s.expect_labels(&labels);
    s.finish();
}

/// Listings a review wrote on 2026-12-06 against the Appendix I species split out
/// of their higher taxa and the rule that a species named more fully over a
/// generic product word counts (tests/data/listings/review-taxa-2026-12-06.jsonl),
/// each with the taxon its writer expects or "NONE": the species named more
/// fully ("Siamese crocodile leather handbag"), names in other languages, a
/// species named only to compare ("Softer than giant otter fur! River otter fur
/// hat"), names inside other animals' names ("Weißbauch-Seeadler", "New Guinea
/// harpy eagle", "falso gavial"), brands and toys ("Margay … kart chassis",
/// "Kakapo plush toy"). The first version named 67 as expected, the old list 31;
/// the 101 that warden names as expected now (10 of the 111 are left out, see the
/// data's README) must stay so: flagged with that taxon counted, or unflagged.
#[test]
fn listings_written_to_attack_the_appendix_i_species_keep_the_taxon_their_writer_expects() {
    let (listings, expected) = listings_with_expected_taxa("review-taxa-2026-12-06.jsonl");
    assert_eq!(listings.len(), 101);
    let mut s = sweep(&listings);
    for (id, taxon) in &expected {
        if taxon == "NONE" {
            s.expect_not_flagged(id);
        } else {
            s.expect_flagged(id);
            s.expect_counted_taxon(id, taxon);
        }
    }
    s.finish();
}

/// Vietnamese "tượng" (statue) is a product-form word, so that "ngà" (ivory,
/// also an ivory colour) counts beside it; but the same syllable is part of
/// "ấn tượng" (impressive) and "biểu tượng" (a symbol), which gave ivory-
/// coloured clothes the context of a statue and an Elephantidae flag. A
/// statue of ivory is still found.
#[test]
fn vietnamese_an_tuong_impressive_is_no_statue_so_ivory_coloured_clothes_are_not_ivory() {
    let listings = vec![
        listing(
            "vi-ao-dai",
            "Áo dài lụa ngà",
            "Áo dài lụa tơ tằm tông ngà, thiết kế ấn tượng, size M. Giá 450k, ship toàn quốc.",
        ),
        listing(
            "vi-vay-cuoi",
            "Váy cưới ngà",
            "Váy cưới đuôi cá tông ngà, kiểu dáng Ấn tượng, mặc 1 lần. Giá 2tr, liên hệ Zalo.",
        ),
        listing(
            "vi-tuong-nga",
            "Bán tượng Quan Âm bằng ngà",
            "Tượng Quan Âm bằng ngà, cao 15cm, giá 5 triệu, liên hệ Zalo.",
        ),
    ];
    let mut s = sweep(&listings);
    for id in ["vi-ao-dai", "vi-vay-cuoi"] {
        s.expect_not_flagged(id);
        s.expect_no_taxon(id, "Elephantidae");
    }
    s.expect_flagged("vi-tuong-nga");
    s.expect_counted_taxon("vi-tuong-nga", "Elephantidae");
    s.expect_reason_containing("vi-tuong-nga", "word \"tượng\"");
    s.finish();
}

/// Eight taxa that are CITES-listed and traded online were missing from the
/// list (added 2026-12-06): the Venus flytrap and the trumpet pitchers,
/// the arapaima, the date mussel, and four timbers (big-leaf mahogany,
/// Spanish cedar, ipê, cumaru). Plain offers of them are found; the forms
/// their annotations leave out (seeds, seedlings, finished guitars and
/// humidors), a fishing trip and a steel beam called "IPE" are not. A
/// split listing's reason says warden does not tell which part is traded,
/// not that the text does not show it ("Sarracenia flava" does).
/// Auction wording for tortoiseshell veneer in Dutch, a carved ivory lot
/// in Korean and an ivory keris hilt are found too.
#[test]
fn listed_plants_fish_and_timbers_added_to_the_list_are_found_and_their_exempt_forms_are_not() {
    let listings = vec![
        listing(
            "en-flytrap",
            "Venus flytrap, 9 cm pot",
            "Healthy nursery-grown Venus flytrap plants, several traps each. £6.50 each, \
             dispatched Monday to Wednesday.",
        ),
        listing(
            "en-flytrap-seeds",
            "Venus flytrap seeds, 50 pcs",
            "Fresh Venus flytrap seeds from this year's harvest. £4.99, free shipping.",
        ),
        listing(
            "it-sarracenia",
            "Sarracenia flava in vaso 9 cm",
            "Pianta carnivora da esterno, coltivata in vivaio. 12,50 € cad., spedizione con \
             corriere.",
        ),
        listing(
            "pt-pirarucu",
            "Pirarucu seco salgado – manta inteira",
            "Manta de pirarucu seca e salgada, cerca de 8 kg. R$ 45 o kg, envio para todo o \
             Brasil.",
        ),
        listing(
            "pt-pirarucu-fishing",
            "Pacote de pesca esportiva de pirarucu",
            "Três dias de pesca esportiva no Amazonas, pesque e solte, guia e barco \
             incluídos. R$ 4.500 por pessoa, reservas pelo WhatsApp.",
        ),
        listing(
            "it-datteri",
            "Datteri di mare freschi",
            "Vendo datteri di mare freschi, 1 kg 80 €, consegna a Napoli, scrivetemi.",
        ),
        listing(
            "pt-mogno",
            "Vendo toras de mogno",
            "Toras de mogno com DOF, diâmetro acima de 50 cm. Preço a combinar, chamar no zap.",
        ),
        listing(
            "en-mahogany-guitar",
            "Les Paul reissue, Honduras mahogany body",
            "Great player, Honduras mahogany body and neck, hard case included. $4,500, \
             shipping in the US.",
        ),
        listing(
            "en-humidor",
            "Spanish cedar humidor, 50 cigars",
            "Lined with Spanish cedar, hygrometer included. $89, free shipping.",
        ),
        listing(
            "pt-ipe",
            "Tábuas de ipê para deck",
            "Sobrou da obra: tábuas de ipê 10 x 2 cm, cerca de 38 m². Vendo tudo por R$ 6.500, \
             retirar em Campinas.",
        ),
        listing(
            "pt-ipe-seedlings",
            "Mudas de ipê-amarelo 60 cm",
            "Mudas de ipê-amarelo prontas para plantio, R$ 25 cada. Entrega em Campinas.",
        ),
        listing(
            "en-ipe-beam",
            "IPE 200 steel beams",
            "Six IPE 200 steel beams, 6 m each, unused. $900 for all, collection only.",
        ),
        listing(
            "en-cumaru",
            "Cumaru decking, 120 sq ft",
            "Leftover cumaru decking boards, 1x6, kiln dried. $1,100 or best offer, pick up only.",
        ),
        listing(
            "nl-schildpad",
            "Kavel 212 - Antwerps kabinet met schildpadfineer, 17e eeuw",
            "Ebbenhout, front met tien laden. Schatting € 6.000 - 9.000. Opgeld 25%.",
        ),
        listing(
            "ko-ivory-lot",
            "Lot 45 청대 상아 투각 필통",
            "청대 상아 투각 산수인물문 필통, 높이 14.2cm. 추정가: 8,000,000원",
        ),
        listing(
            "id-keris",
            "Lot 17 - Keris Jawa dengan hulu gading",
            "Keris luk 7, hulu gading gaya Solo dengan selut perak. Harga pembukaan Rp 7.500.000.",
        ),
    ];
    let mut s = sweep(&listings);
    for (id, taxon) in [
        ("en-flytrap", "Dionaea muscipula"),
        ("it-sarracenia", "Sarracenia"),
        ("pt-pirarucu", "Arapaima gigas"),
        ("it-datteri", "Lithophaga lithophaga"),
        ("pt-mogno", "Swietenia"),
        ("pt-ipe", "Handroanthus"),
        ("en-cumaru", "Dipteryx"),
        ("nl-schildpad", "Eretmochelys imbricata"),
        ("ko-ivory-lot", "Elephantidae"),
        ("id-keris", "Elephantidae"),
    ] {
        s.expect_flagged(id);
        s.expect_counted_taxon(id, taxon);
    }
    for id in [
        "en-flytrap-seeds",
        "pt-pirarucu-fishing",
        "en-mahogany-guitar",
        "en-humidor",
        "pt-ipe-seedlings",
        "en-ipe-beam",
    ] {
        s.expect_not_flagged(id);
    }
    // The guitar's and the humidor's woods are named, but without a timber
    // word they do not count; "IPE" is a steel profile.
    s.expect_no_taxon("en-mahogany-guitar", "Swietenia");
    s.expect_no_taxon("en-humidor", "Cedrela");
    s.expect_no_taxon("en-ipe-beam", "Handroanthus");
    // The trumpet pitchers are a split listing (three taxa in Appendix I):
    // the text names Sarracenia flava, so the reason must not say the text
    // is silent on which part is traded, only that warden does not tell.
    s.expect_reason_containing(
        "it-sarracenia",
        "least protected part Appendix II, as warden does not tell from the text which part is traded",
    );
    s.expect_no_reason_containing("it-sarracenia", "the text does not show");
    s.finish();
}

#[test]
fn a_decoy_does_not_run_across_a_comma_or_the_end_of_a_sentence() {
    let listings = vec![
        // "baby, bottle fed" is no "baby bottle"; "mammoth, ivory" no "mammoth ivory".
        listing(
            "en-lemur",
            "Ring-tailed lemur baby, bottle fed",
            "Very tame, 800 euro, DM me.",
        ),
        listing(
            "en-materials",
            "Carved figure for sale",
            "Materials: mammoth, ivory, bone. 300 USD, DM me.",
        ),
        // Written together they still are.
        listing(
            "en-bottle",
            "Baby bottle with lemur print",
            "New, for sale, 5 USD.",
        ),
        listing(
            "en-mammoth",
            "Mammoth ivory pendant",
            "Woolly mammoth ivory from Yakutia, 5 cm, for sale, 95 USD.",
        ),
        // A decoy holding a comma of its own still holds, written with either comma.
        listing("zh-sold", "象牙手镯 已出，勿扰", "谢谢"),
        listing("zh-sold-ascii", "象牙手镯 已出,勿扰", "谢谢"),
    ];
    let mut s = sweep(&listings);
    for id in ["en-lemur", "en-materials"] {
        s.expect_flagged(id);
        s.expect_no_reason_starting(id, "decoy context");
        s.expect_no_reason_containing(id, "names goods of an animal that CITES does not list");
    }
    s.expect_counted_taxon("en-lemur", "Lemuriformes");
    s.expect_counted_taxon("en-materials", "Elephantidae");
    s.expect_not_flagged("en-bottle");
    s.expect_not_flagged("en-mammoth");
    s.expect_no_taxon("en-mammoth", "Elephantidae");
    for id in ["zh-sold", "zh-sold-ascii"] {
        s.expect_not_flagged(id);
        s.expect_reason_containing(id, "decoy context");
    }
    s.finish();
}

#[test]
fn pets_fish_and_goods_named_after_listed_animals_are_not_those_animals_and_the_animals_beside_them_still_count()
 {
    let listings = vec![
        // The leopard gecko (Eublepharis macularius), a common pet, is not the leopard.
        listing(
            "en-geckos",
            "Leopard geckos for sale",
            "Two leopard geckos, captive bred, 1 year old, $60 each with tank.",
        ),
        listing(
            "es-gecko",
            "Gecko leopardo macho",
            "Gecko leopardo de 2 años, criado en cautiverio, con terrario completo. 90 €, entrega en mano en Madrid.",
        ),
        listing(
            "it-gecko",
            "Geco leopardino",
            "Gecko leopardo nato in cattività, esemplare adulto, 60 euro con teca.",
        ),
        listing(
            "fr-gecko",
            "Gecko léopard adulte",
            "Gecko léopard né en captivité, 2 ans, vendu avec terrarium. 80 €.",
        ),
        listing(
            "pt-gecko",
            "Gecko leopardo filhote",
            "Filhote de gecko leopardo, nascido em cativeiro, R$ 600. Envio.",
        ),
        // The budgerigar, one of the four parrots CITES does not list.
        listing(
            "es-perico",
            "Pericos australianos",
            "Vendo pericos australianos, pichones de 2 meses, criados a mano. $250, WhatsApp.",
        ),
        // "Otter" is a rabbit colour.
        listing(
            "en-rabbit",
            "Netherland dwarf kits, black otter",
            "Netherland dwarf babies, black otter colour, 8 weeks. $60 each, pickup.",
        ),
        listing(
            "nl-rabbit",
            "Hollander konijntjes zwart-otter",
            "Jongen, 8 weken, kleur zwart-otter, 25 euro per stuk. Ophalen.",
        ),
        // The animals themselves still count, also beside a gecko.
        listing(
            "es-both",
            "Gecko leopardo y piel de leopardo",
            "Vendo gecko leopardo macho y una piel de leopardo antigua. Precio por WhatsApp.",
        ),
        listing(
            "fr-leopard",
            "Peau de léopard",
            "Peau de léopard ancienne, entière, 2 m. Prix 2500 €, envoi possible.",
        ),
        listing(
            "en-otter",
            "Otter pups for sale",
            "Two otter pups, captive bred, 10 weeks. DM for price.",
        ),
        // More pets and aquarium animals named after listed ones, and goods named so.
        listing(
            "en-oscars",
            "Tiger oscar pair - male & female",
            "Proven breeding pair of tiger oscars, 10 inch, captive bred. $120 the pair, pickup only.",
        ),
        listing(
            "en-salamander",
            "Axanthic tiger salamander",
            "Captive bred axanthic tiger salamander, 6 inches. $70 with 20gal setup. Pickup only.",
        ),
        listing(
            "en-garra",
            "Panda garra juveniles",
            "Panda garra (Garra flavatra) juveniles, 3cm, captive bred, 5 for $40.",
        ),
        listing(
            "en-frogs",
            "Leopard frog tadpoles live",
            "Live northern leopard frog tadpoles for classroom, 20 for $15, captive bred.",
        ),
        listing(
            "en-beetles",
            "Rhinoceros beetle adults pair",
            "Live rhinoceros beetle adults, male and female pair, captive bred. $30.",
        ),
        listing(
            "en-lowchen",
            "Lowchen puppy (little lion dog)",
            "Little lion dog puppy, male, 10 weeks, vet checked. $2500.",
        ),
        listing(
            "zh-blood-parrot",
            "血鹦鹉 活体",
            "血鹦鹉活体10厘米，25元一条，同城自提。",
        ),
        listing(
            "pt-rack",
            "Arara de roupas de chão",
            "Arara de roupas em metal com rodinhas, 1,5 m. R$ 80, retirar no centro.",
        ),
        listing(
            "pt-prize",
            "Livro vencedor do Prêmio Jabuti",
            "Livro vencedor do Prêmio Jabuti, capa dura, como novo. R$ 35 com frete.",
        ),
        listing(
            "zh-plush",
            "熊猫玩偶 1米",
            "大熊猫毛绒玩偶1米，全新，99元。",
        ),
        // A listed animal beside a pet named after it still counts.
        listing(
            "en-oscars-and-skin",
            "Tiger oscars and an old tiger skin",
            "Two tiger oscars, 8 inch, $60. Also a real tiger skin rug from my grandfather, DM for price.",
        ),
        // Dutch "dwergotter" is the Asian small-clawed otter (Appendix I).
        listing(
            "nl-dwergotter",
            "Dwergotter te koop",
            "Jonge dwergotter, nakweek, 12 weken. Prijs via PB.",
        ),
    ];
    let mut s = sweep(&listings);
    for id in [
        "en-geckos",
        "es-gecko",
        "it-gecko",
        "fr-gecko",
        "pt-gecko",
        "es-perico",
        "en-rabbit",
        "nl-rabbit",
        "en-oscars",
        "en-salamander",
        "en-garra",
        "en-frogs",
        "en-beetles",
        "en-lowchen",
        "zh-blood-parrot",
        "pt-rack",
        "pt-prize",
        "zh-plush",
    ] {
        s.expect_not_flagged(id);
    }
    for id in ["en-geckos", "es-gecko", "it-gecko", "fr-gecko", "pt-gecko"] {
        s.expect_no_taxon(id, "Panthera pardus");
    }
    s.expect_no_taxon("es-perico", "Psittaciformes");
    s.expect_no_taxon("en-rabbit", "Mustelidae");
    s.expect_no_taxon("nl-rabbit", "Mustelidae");
    for (id, taxon) in [
        ("es-both", "Panthera pardus"),
        ("en-oscars-and-skin", "Panthera tigris"),
        ("fr-leopard", "Panthera pardus"),
        ("en-otter", "Mustelidae"),
        ("nl-dwergotter", "Aonyx cinereus"),
    ] {
        s.expect_flagged(id);
        s.expect_counted_taxon(id, taxon);
    }
    s.finish();
}

/// Offers a review wrote on 2026-12-07 (tests/data/listings/review-animals-2026-12-07.jsonl),
/// each naming two or more listed animals or plants and offering one: other animals named in
/// passing or in comparisons, carvings of one animal in another's material, pets with
/// accessories named after other animals ("ivory" cage covers), a main item with a small extra.
/// Each has the taxon its writer expects. When it was written, warden counted that taxon in 48
/// of the 80; the 63 it counts now (17 are left out, see the data's README) must keep it.
#[test]
fn offers_naming_two_animals_keep_the_taxon_their_writer_expects() {
    let (listings, expected) = listings_with_expected_taxa("review-animals-2026-12-07.jsonl");
    assert_eq!(listings.len(), 63);
    let mut s = sweep(&listings);
    for (id, taxon) in &expected {
        s.expect_counted_taxon(id, taxon);
    }
    s.finish();
}

/// A result lists the taxon whose evidence counts first, then the others
/// in the list's order: a spreadsheet's taxa cell or a report read from
/// its first name named Elephantidae for a hornbill casque sold as "not
/// elephant ivory" and for a grey parrot with an ivory-coloured cage
/// cover, because the elephants come first in the list.
#[test]
fn the_taxon_whose_evidence_counts_comes_first_among_a_results_taxa() {
    let listings = vec![
        listing(
            "hornbill",
            "Bukan gading gajah",
            "Bukan gading gajah, ini paruh rangkong gading asli. Harga 5 juta, WA 0812345678",
        ),
        listing(
            "grey-parrot",
            "African grey parrot with ivory cage cover",
            "Tame African grey parrot, 4 years, talks. Comes with ivory cage cover. $1200, DM",
        ),
        listing(
            "ivory",
            "Ivory bangle for sale",
            "Old elephant ivory bangle, 60 mm, $900, DM",
        ),
    ];
    let mut s = sweep(&listings);
    for (id, taxon) in [
        ("hornbill", "Rhinoplax vigil"),
        ("grey-parrot", "Psittacus erithacus"),
        ("ivory", "Elephantidae"),
    ] {
        s.expect_counted_taxon(id, taxon);
        s.expect_first_taxon(id, taxon);
    }
    s.expect_taxon("hornbill", "Elephantidae");
    s.expect_taxon("grey-parrot", "Elephantidae");
    s.finish();
}

/// Household goods and toys a defence review found flagged as listed species: a Korean fly trap
/// sold as 벌레잡이통 ("bug-catching pot"), a word the list held for the pitcher plants with no
/// context needed (86), and a pair of plush-monkey bag charms, 絨毛猴 (plush monkey as much as
/// the woolly monkey), whose "a pair" gave the everyday word context (67). 벌레잡이통 now needs
/// context, or a plant word written on to it (벌레잡이통 모종, a seedling), and charm words (吊飾,
/// 掛飾) are decoys against the monkeys. A Korean Nepenthes offer naming 네펜데스 or 벌레잡이통
/// 모종 still counts, and so does a woolly-monkey offer (a first version made 絨毛, plush, a decoy
/// against the monkeys, which took 50 points from it).
#[test]
fn a_korean_fly_trap_and_plush_monkey_charms_are_no_offers_of_pitcher_plants_or_monkeys() {
    let listings = vec![
        listing(
            "ko-fly-trap",
            "날파리 벌레잡이통 5개입",
            "날파리 벌레잡이통 5개입 주방용, 9,900원 무료배송, 카톡",
        ),
        listing(
            "zht-plush-monkey-charms",
            "絨毛猴 吊飾 一對",
            "可愛絨毛猴吊飾一對,包包掛飾,價格150元,私訊",
        ),
        listing(
            "ko-nepenthes",
            "네펜데스 벌레잡이통 분양",
            "벌레잡이통 큰 네펜데스 분양합니다 2만원 카톡",
        ),
        listing(
            "ko-nepenthes-seedling",
            "벌레잡이통 모종 분양",
            "벌레잡이통 모종 분양해요 개당 1만원 카톡 주세요",
        ),
        listing(
            "zht-woolly-monkey",
            "絨毛猴 出售",
            "南美絨毛猴幼體出售,活體,已斷奶,價格80000元,私訊",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_not_flagged("ko-fly-trap");
    s.expect_no_taxon("ko-fly-trap", "Nepenthes");
    s.expect_not_flagged("zht-plush-monkey-charms");
    s.expect_penalty_reason("zht-plush-monkey-charms", "decoy context", "吊飾");
    for (id, taxon) in [
        ("ko-nepenthes", "Nepenthes"),
        ("ko-nepenthes-seedling", "Nepenthes"),
        ("zht-woolly-monkey", "Primates"),
    ] {
        s.expect_flagged(id);
        s.expect_counted_taxon(id, taxon);
    }
    s.expect_no_reason_starting("zht-woolly-monkey", "decoy context");
    s.finish();
}

/// A shop's promotion may hold a news word: キャンペーン (campaign) in 送料無料キャンペーン (a
/// free-shipping promotion), "campaña" in "campaña de rebajas". Each cost the offer 37 points and
/// a reason calling it news, advocacy or enforcement. The longer wording is sale wording and the
/// news word inside it is part of it; the same news word on its own ("boycott campaign", the
/// Stop Ivory Sale Campaign, a charity auction reported in the news) still counts. Charity
/// auctions, "bill of sale" and "licensed" or "not a protected species" claims were tried as
/// sale wording and claims and taken out: news reports them, and 有牌照 (licensed) sits inside
/// 沒有牌照 (unlicensed).
#[test]
fn a_shops_discount_or_free_shipping_campaign_is_no_news_wording() {
    let listings = vec![
        listing(
            "ja-free-shipping",
            "象牙 根付 送料無料キャンペーン中",
            "本象牙の根付です。送料無料キャンペーン中。¥30,000 即購入OK",
        ),
        listing(
            "es-sale-campaign",
            "Pulsera de marfil antigua",
            "Pulsera de marfil antiguo, 60 mm. Campaña de rebajas: 150 €. Envío por MP",
        ),
        listing(
            "ja-boycott",
            "象牙の根付 不買キャンペーン",
            "象牙の根付を買わないキャンペーンを始めました。1本でも象が犠牲になります。",
        ),
        listing(
            "en-stop-sale-campaign",
            "",
            "The Stop Ivory Sale Campaign has collected 10,000 signatures asking the auction house \
             to stop selling ivory carvings.",
        ),
        listing(
            "en-charity-auction-news",
            "",
            "A charity auction withdrew an antique ivory carving after complaints. The lot had been \
             estimated at £1,500.",
        ),
        listing(
            "zht-unlicensed-news",
            "",
            "該店沒有牌照卻售賣象牙手鐲,每隻8000元。",
        ),
    ];
    let mut s = sweep(&listings);
    for id in ["ja-free-shipping", "es-sale-campaign"] {
        s.expect_flagged(id);
        s.expect_no_reason_starting(id, "wording of news");
    }
    s.expect_cue_reason(
        "ja-free-shipping",
        &["sale or purchase wording"],
        "送料無料キャンペーン",
    );
    for (id, wording) in [
        ("ja-boycott", "キャンペーン"),
        ("en-stop-sale-campaign", "Campaign"),
        ("en-charity-auction-news", "charity"),
        ("zht-unlicensed-news", "牌照"),
    ] {
        s.expect_not_flagged(id);
        s.expect_penalty_reason(id, "wording of news", wording);
    }
    s.finish();
}

/// Posts a review wrote blind on 2026-12-07 (tests/data/listings/review-campaigns-2026-12-07.jsonl)
/// in 10 languages around words of both news and selling: shops' discount and free-shipping
/// campaigns, charity auctions, "bill of sale", "licensed" and "not a protected species" claims,
/// and news and advocacy posts using the same words. With those words as news wording warden
/// found 40 of the 50 offers, 42 with shops' promotions as sale wording; the 92 it gets right
/// now (8 of the 100 are left out, see the data's README) must keep their labels.
#[test]
fn posts_written_around_shops_campaigns_and_charity_sales_keep_their_labels() {
    review_set_keeps_its_labels("review-campaigns-2026-12-07.jsonl", 92);
}

/// "According to" (Hindi के अनुसार, Arabic وفقا and بحسب, Russian по словам, Korean 따르면,
/// Japanese によると) is news wording: reports attribute to a source. Sellers write it too,
/// passing on what the family or a previous owner said; each such offer lost 37
/// points to a reason calling it news. Those wordings are claims now, and the news word inside
/// them is part of them; a report that attributes to anyone else, the seller a reporter spoke
/// to included, keeps its news reason.
#[test]
fn according_to_the_family_is_no_news_wording_and_according_to_a_newspaper_is() {
    let listings = vec![
        listing(
            "hi-grandfather",
            "कस्तूरी बिकाऊ",
            "असली कस्तूरी (हिरण की नाभि), दादाजी के अनुसार हिमालय से लाई गई थी। 10 ग्राम ₹25000, \
             व्हाट्सएप करें",
        ),
        listing(
            "ar-grandfather",
            "قطعة قرن وحيد القرن أصلية",
            "للبيع قطعة قرن وحيد القرن، بحسب جدي عمرها أكثر من 60 سنة. السعر على الخاص، واتساب",
        ),
        listing(
            "ru-grandmother",
            "Статуэтка из слоновой кости",
            "Статуэтка из слоновой кости. По словам бабушки, привезена из Танзании. Цена 45 000 \
             руб, пишите в личку",
        ),
        listing(
            "ja-grandfather",
            "象牙 根付 出品",
            "祖父によると本象牙の根付です。即購入OK ¥30,000",
        ),
        listing(
            "ko-newspaper",
            "",
            "연합뉴스에 따르면 온라인 중고장터에서 상아 도장이 15만원에 판매되고 있다.",
        ),
        listing(
            "ja-tv",
            "",
            "NHKによると、ネットオークションで象牙の印鑑が1本3万円で出品されていた。",
        ),
        listing(
            "ru-market-report",
            "",
            "Рынок: по словам продавца, бивень слона стоит 300 тысяч рублей за килограмм, \
             рассказал наш корреспондент.",
        ),
    ];
    let mut s = sweep(&listings);
    for id in [
        "hi-grandfather",
        "ar-grandfather",
        "ru-grandmother",
        "ja-grandfather",
    ] {
        s.expect_flagged(id);
        s.expect_no_reason_starting(id, "wording of news");
    }
    for (id, wording) in [
        ("ko-newspaper", "따르면"),
        ("ja-tv", "によると"),
        ("ru-market-report", "по словам"),
    ] {
        s.expect_not_flagged(id);
        s.expect_penalty_reason(id, "wording of news", wording);
    }
    s.finish();
}

/// Posts a review wrote blind on 2026-12-07 (tests/data/listings/review-according-to-2026-12-07.jsonl)
/// in Arabic, Hindi, Russian, Korean and Japanese: offers that say "according to" as sellers do
/// (by weight, size or order; according to the family, a previous owner, a breeder or an
/// appraisal), and short news items, headlines and shares that attribute a price to a newspaper,
/// the trade, activists or a court. Warden found 31 of the 50 offers with "according to" as news
/// wording everywhere; the 87 it gets right now (13 of the 100 are left out, see the data's
/// README) must keep their labels.
#[test]
fn posts_written_around_according_to_keep_their_labels() {
    review_set_keeps_its_labels("review-according-to-2026-12-07.jsonl", 87);
}

/// Thai sellers space out the letters of a name ("ลิ ง ล ม", slow loris):
/// a space beside a piece that cannot be a syllable of its own is dropped,
/// as a hyphen is. The word ณ (at) and abbreviations with dots (พ.ร.บ.,
/// an act; พ.ศ., the Buddhist year) keep theirs (the unit tests of
/// normalisation check spaces between whole syllables and initials).
#[test]
fn thai_letters_split_off_a_syllable_by_spaces_are_joined_and_abbreviations_and_the_word_at_are_not()
 {
    let listings = vec![
        listing(
            "th-loris-spaced",
            "",
            "น้อง ลิ ง ล ม 🐒 ตาโต น่ารักมาก เลี้ยงง่าย ขายด่วน ราคาทักไลน์เท่านั้น",
        ),
        listing(
            "th-ivory-act-news",
            "",
            "ครบรอบ พ.ร.บ.งาช้าง พ.ศ. 2558 ร้านค้างาช้างลดลงกว่า 90%",
        ),
        listing(
            "th-market-at",
            "ขาย ณ ตลาดนัด",
            "ขาย ณ ตลาดนัดจตุจักร ของเล่นช้าง ไม้แกะ ราคา 200 บาท",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_flagged("th-loris-spaced");
    s.expect_counted_taxon("th-loris-spaced", "Nycticebus");
    s.expect_reason_containing("th-loris-spaced", "ลิ ง ล ม");
    s.expect_not_flagged("th-ivory-act-news");
    s.expect_penalty_reason("th-ivory-act-news", "wording of news", "พ.ร.บ");
    s.expect_not_flagged("th-market-at");
    s.finish();
}

/// Sheesham (Dalbergia sissoo) was listed in Latin letters only: Hindi
/// शीशम furniture went unnoticed. Like "sheesham", the bare word needs a
/// product or timber word; furniture in a sheesham finish or laminate is
/// no sheesham.
#[test]
fn sheesham_furniture_written_in_hindi_is_rosewood_and_a_sheesham_finish_is_not() {
    let listings = vec![
        listing(
            "hi-sheesham-bed",
            "शीशम की लकड़ी का डबल बेड",
            "शुद्ध शीशम की लकड़ी का डबल बेड, स्टोरेज के साथ। ₹38,500, जोधपुर से पिकअप।",
        ),
        listing(
            "hi-sheesham-finish",
            "शीशम फिनिश इंजीनियर्ड वुड बेड",
            "इंजीनियर्ड वुड का बेड, शीशम फिनिश लेमिनेट। ₹9,999, फ्री डिलीवरी।",
        ),
        listing(
            "en-sheesham-finish",
            "Queen bed, sheesham finish",
            "Engineered wood queen bed in sheesham finish laminate, $240, free delivery.",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_flagged("hi-sheesham-bed");
    s.expect_counted_taxon("hi-sheesham-bed", "Dalbergia");
    s.expect_not_flagged("hi-sheesham-finish");
    s.expect_no_taxon("hi-sheesham-finish", "Dalbergia");
    s.expect_not_flagged("en-sheesham-finish");
    s.expect_no_taxon("en-sheesham-finish", "Dalbergia");
    s.finish();
}

/// Hindi names typed in Latin letters: a parakeet's and the caracal's
/// count. The everyday ones (bhalu, bear, also a teddy; tendua, leopard,
/// also French "tendue"; gainda, rhino, also marigold) were tried and
/// taken out: English words such as "baby" or "live" gave them context.
#[test]
fn parakeet_and_caracal_names_in_hindi_typed_in_latin_letters_are_found_and_a_teddy_bhalu_is_no_bear()
 {
    let listings = vec![
        listing(
            "hinglish-parakeet",
            "Pahadi tota ke bachche",
            "Pahadi tota ke 2 bachche available, haath se khilaye, ₹3,500 each. Call 00000 00000",
        ),
        listing(
            "hinglish-caracal",
            "",
            "Siyah gosh ka bachcha bechna hai, 3 mahine ka, ₹25,000, WhatsApp 00000 00000",
        ),
        listing(
            "hinglish-teddy",
            "Bada teddy bhalu",
            "Bada teddy bhalu 4 feet, gift ke liye, ₹899, free delivery, WhatsApp 00000 00000",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_flagged("hinglish-parakeet");
    s.expect_counted_taxon("hinglish-parakeet", "Psittaciformes");
    s.expect_flagged("hinglish-caracal");
    s.expect_counted_taxon("hinglish-caracal", "Caracal caracal");
    s.expect_not_flagged("hinglish-teddy");
    s.expect_no_taxon("hinglish-teddy", "Ursidae");
    s.finish();
}

/// Listings a reviewer wrote blind in Thai, Hindi and English around Thai
/// names spaced apart, sheesham and Hindi names typed in Latin letters
/// (tests/data/listings/review-thai-hindi-2026-12-07.jsonl). Warden found 37 of the 60
/// offers before this session's rules; the 104 it gets right now (16 of the 120 are left
/// out, see the data's README) must keep their labels.
#[test]
fn posts_written_around_thai_spacing_sheesham_and_hindi_in_latin_letters_keep_their_labels() {
    review_set_keeps_its_labels("review-thai-hindi-2026-12-07.jsonl", 104);
}

/// A hatch date written as much of Europe writes dates and a book's ISBN
/// are no phone numbers (the old rule read a run of 8 digits starting with
/// a 0 as one, and said so in a reason); a North American number after
/// "call" is one, a permit number written the same way is not; a colón or
/// shilling amount is a price, a Dutch roof's ridge ("de nok 250 cm") is
/// not; a seller's "Can I still sell ivory? I can" is no owner's question
/// about the law.
#[test]
fn hatch_dates_and_isbns_are_no_phone_numbers_and_north_american_numbers_after_call_and_other_currencies_are_read()
 {
    let listings = vec![
        listing(
            "de-hatch-date",
            "Königspython 0.1 pastel",
            "Königspython, geschlüpft am 01.05.2024, frisst gut.",
        ),
        listing(
            "en-isbn",
            "Ivory: an illustrated history (book)",
            "ISBN 0-306-40615-2, hardcover, many photos of ivory carvings.",
        ),
        listing(
            "us-phone",
            "Bobcat pelts",
            "Two bobcat pelts, tanned, call 555-210-0000 after 5pm.",
        ),
        listing(
            "cr-colones",
            "Cocobolo en tablas",
            "Cocobolo (Dalbergia retusa) en tablas, seco al aire, ₡18.000 el kilo.",
        ),
        listing(
            "ke-shillings",
            "Python skin",
            "Python skin belts, KSh 2,500 each.",
        ),
        // From a defence review of the first version of these rules.
        listing(
            "de-date-1897",
            "Erbstück Elfenbein",
            "Elfenbeinschnitzerei aus dem Nachlass meines Großvaters, laut Inventar vom 03.04.1897 im Familienbesitz. Weiß jemand etwas über die Herkunft?",
        ),
        listing(
            "en-permit",
            "Zoo welcomes Sumatran tigers",
            "Two Sumatran tigers arrived from Europe under transfer permit 312-004-2023 as part of the breeding programme.",
        ),
        listing(
            "nl-nok",
            "Onze volière",
            "Volière voor onze grijze roodstaartpapegaaien, hoogte tot de nok 250 cm, zelf gebouwd. Foto's van het project.",
        ),
        listing(
            "en-rhetorical",
            "Ivory netsuke set",
            "Can I still sell ivory? I can, with certificate. Ivory netsuke set £300, DM me.",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_no_reason_starting("de-hatch-date", "a phone number is given");
    s.expect_not_flagged("de-hatch-date");
    s.expect_no_reason_starting("en-isbn", "a phone number is given");
    s.expect_reason_containing("us-phone", "a phone number is given (\"555-210-0000\")");
    s.expect_flagged("us-phone");
    s.expect_reason_containing("cr-colones", "a price is given");
    s.expect_flagged("cr-colones");
    s.expect_reason_containing("ke-shillings", "a price is given");
    s.expect_no_reason_starting("de-date-1897", "a phone number is given");
    s.expect_not_flagged("de-date-1897");
    s.expect_no_reason_starting("en-permit", "a phone number is given");
    s.expect_no_reason_starting("nl-nok", "a price is given");
    s.expect_no_reason_containing("en-rhetorical", "wording of a question about the law");
    s.expect_flagged("en-rhetorical");
    s.finish();
}

/// Posts written blind in English, Spanish, Dutch and Korean, the
/// languages with the lowest held-out recall
/// (tests/data/listings/review-weak-languages-2026-12-07.jsonl): the 116 of
/// 120 that warden labels right must stay so.
#[test]
fn posts_written_blind_in_english_spanish_dutch_and_korean_keep_their_labels() {
    review_set_keeps_its_labels("review-weak-languages-2026-12-07.jsonl", 116);
}

/// Posts a defence review wrote against the phone, currency and question
/// rules (tests/data/listings/review-phones-currencies-2026-12-07.jsonl):
/// reference numbers, dates and currency codes that are words beside a
/// listed species, offers priced in other currencies. The 85 that warden
/// labels right must stay so.
#[test]
fn posts_written_around_phone_numbers_dates_and_currencies_keep_their_labels() {
    review_set_keeps_its_labels("review-phones-currencies-2026-12-07.jsonl", 85);
}

/// From an audit of the reasons of 320 dev listings (2026-12-07, ninth session), in which two
/// readers marked every reason that says something its post does not show: an Arabic word
/// counts only after the clitics Arabic writes on to a word (و, ف, ب, ك, ل, ال, the spoken عال;
/// before sale, contact, news and question wording also a verb's prefixes), not inside another
/// word (عود, agarwood, in متعود,
/// used to; "غير عاج", not ivory, in "صغير عاج", a small ivory; سبحة يسر in مسبحة يسر); bare
/// خاص (special) and पीस (piece) are no contact or price wording; negated delivery wording is
/// quoted whole; buyers' words, delivery and payment words and claims of genuineness are called
/// what they are.
#[test]
fn arabic_words_inside_other_words_bare_special_and_piece_and_reason_labels_say_what_the_post_shows()
 {
    let listings = vec![
        listing(
            "ar-used-to",
            "قطو كبير للبيع",
            "قطو كبير عمره 4 شهور، متعود على الأطفال. السعر بالخاص.",
        ),
        listing(
            "ar-small-ivory",
            "للبيع تحفة عاج أصلي",
            "للبيع تمثال صغير عاج أصلي من الأربعينات، ارتفاع ١٥ سم. السعر بالتواصل.",
        ),
        listing(
            "ar-misbaha",
            "مسبحة يسر أسود",
            "مسبحة يسر أسود طبيعي ٣٣ حبة. للتواصل واتساب.",
        ),
        listing(
            "ar-clitic",
            "للبيع سوار",
            "للبيع سوار مصنوع بالعاج الأصلي، السعر 500 ريال.",
        ),
        listing(
            "ar-verb",
            "صقر حر فرخ للبيع",
            "صقر حر فرخ هالسنة، اللي يبي يشوفه يتواصل خاص. الرياض.",
        ),
        listing(
            "ar-special-price",
            "مسبحة يسر",
            "مسبحة يسر طبيعي، والكمية بسعر خاص.",
        ),
        listing(
            "hi-pieces",
            "तेंदुए के दांत",
            "तेंदुए के दांत 2 पीस और नाखून 6 पीस, असली। जिसे चाहिए मैसेज करे।",
        ),
        listing(
            "ar-spoken-on-the",
            "مسبحة يسر",
            "مسبحة يسر طبيعي ٣٣ حبة، الطلب عالواتس.",
        ),
        listing(
            "de-no-shipping",
            "Elfenbein Schnitzerei",
            "Elfenbein Schnitzerei, 200 €, kein Versand, nur Abholung.",
        ),
        listing(
            "en-wanted",
            "WTB rhino horn",
            "WTB rhino horn, any size, PayPal ok.",
        ),
        listing(
            "id-genuine",
            "Gelang akar bahar",
            "Gelang akar bahar asli, Rp 250.000.",
        ),
    ];
    let mut s = sweep(&listings);
    s.expect_no_taxon("ar-used-to", "Aquilaria");
    s.expect_not_flagged("ar-used-to");
    s.expect_no_reason_starting("ar-small-ivory", "decoy context");
    s.expect_flagged("ar-small-ivory");
    s.expect_no_reason_containing("ar-misbaha", "\"سبحة يسر\"");
    s.expect_counted_taxon("ar-clitic", "Elephantidae");
    s.expect_cue_reason(
        "ar-verb",
        &["contact, delivery or payment wording"],
        "تواصل خاص",
    );
    s.expect_no_reason_containing("ar-special-price", "\"خاص\"");
    s.expect_no_reason_starting("hi-pieces", "price wording");
    s.expect_cue_reason(
        "ar-spoken-on-the",
        &["contact, delivery or payment wording"],
        "واتس",
    );
    s.expect_cue_reason(
        "de-no-shipping",
        &["contact, delivery or payment wording"],
        "kein Versand",
    );
    s.expect_cue_reason("en-wanted", &["sale or purchase wording"], "WTB");
    s.expect_cue_reason(
        "en-wanted",
        &["contact, delivery or payment wording"],
        "PayPal",
    );
    s.expect_reason_containing(
        "id-genuine",
        "claims \"asli\": sellers of listed species often claim age, origin, papers, legality or genuineness",
    );
    s.finish();
}

/// Posts a defence review wrote against the Arabic clitic rule, bare خاص and पीस and negated
/// delivery wording (tests/data/listings/review-arabic-clitics-2026-12-07.jsonl): Arabic offers
/// with spoken verbs, contact words and words holding listed words, Korean bear-gall offers and
/// farmed-bear posts, Hindi counts, negated delivery in six European languages. The 136 that
/// warden labels right must stay so.
#[test]
fn posts_written_around_arabic_clitics_and_negated_delivery_keep_their_labels() {
    review_set_keeps_its_labels("review-arabic-clitics-2026-12-07.jsonl", 136);
}
