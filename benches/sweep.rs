//! Micro-benchmarks of the per-listing work of `warden sweep`: the
//! offset-mapped normaliser, `Matcher::find` (normalise + one Aho-Corasick
//! pass + boundary and exact/folded checks) with small, shipped and
//! 10,000-term lists, `find` followed by scoring, and two baselines: a bare
//! case-insensitive Aho-Corasick pass over the raw text (roughly what
//! `rg -i -F` does) and parsing the JSON Lines the listings come from.
//! End-to-end figures (MB/s against ripgrep, peak memory) come from
//! `scripts/bench-sweep`; see docs/performance.md, "Sweep".
//!
//! `cargo bench --bench sweep` (about 1-2 minutes on 2 cores). Each benchmark
//! reports bytes/s of listing text (of JSON for the parsing baseline), one
//! thread. The shipped-list benchmarks run only when
//! `species-lists/cites-online-trade.toml` and `species-lists/trade-cues.toml`
//! parse.

use criterion::{
    BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;
use warden::matcher::{Matcher, normalize, score};
use warden::species::{self, KeywordList};

const MIB: usize = 1024 * 1024;

/// `full` bytes under `cargo bench`; 64 KiB when `cargo test --all-targets`
/// runs this file as a test (criterion then runs each benchmark once), so
/// that test runs stay quick in a debug build.
fn size(full: usize) -> usize {
    if bench_mode() { full } else { 64 * 1024 }
}

fn bench_mode() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Small deterministic generator (PCG-style LCG).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// Per language: titles ("{}" is the item), items, sentences, prices
/// ("{}" is a number).
struct Lang {
    titles: &'static [&'static str],
    items: &'static [&'static str],
    sentences: &'static [&'static str],
    prices: &'static [&'static str],
}

#[rustfmt::skip]
const LANGS: &[Lang] = &[
    Lang { titles: &["Used {} in great condition", "{} for sale", "Selling my {}, barely used", "Vintage {}, collector's item"],
        items: &["sofa", "mountain bike", "iPhone 12", "winter jacket", "dining table", "acoustic guitar", "baby stroller", "camera lens", "silver necklace"],
        sentences: &["Pick up only in Leeds.", "Price is firm, no lowballers.", "Message me for more photos.", "Moving out sale, everything must go.", "Original box and charger included.", "Smoke-free and pet-free home.", "Dimensions 120 x 80 x 75 cm.", "Open to reasonable offers."],
        prices: &["${}", "£{} ono", "{} USD"] },
    Lang { titles: &["Vends {} en bon état", "{} à vendre", "Je cède mon {}"],
        items: &["canapé", "vélo", "table à manger", "manteau d'hiver", "poussette", "guitare"],
        sentences: &["À récupérer sur place à Lyon.", "Prix ferme.", "Contactez-moi par message.", "Très bon état, peu servi.", "Envoi possible à vos frais."],
        prices: &["{} €", "{} FCFA"] },
    Lang { titles: &["Vendo {} casi nuevo", "Se vende {}"],
        items: &["sofá", "bicicleta", "mesa de comedor", "chaqueta", "lavadora", "cámara"],
        sentences: &["Entrega en mano en Sevilla.", "Precio negociable.", "Escríbeme por privado.", "Muy buen estado."],
        prices: &["{} €", "${} MXN"] },
    Lang { titles: &["Verkaufe {}, guter Zustand", "{} zu verkaufen"],
        items: &["Sofa", "Fahrrad", "Esstisch", "Winterjacke", "Kinderwagen", "Gitarre"],
        sentences: &["Nur Abholung in Köln.", "Preis VB.", "Privatverkauf, keine Garantie oder Rücknahme.", "Leichte Gebrauchsspuren."],
        prices: &["{} €", "{} CHF"] },
    Lang { titles: &["Bán {} còn mới 95%", "Cần bán {} giá rẻ", "Thanh lý {}"],
        items: &["xe đạp", "ghế sofa", "bàn ăn", "áo khoác", "đàn guitar", "điện thoại"],
        sentences: &["Giao hàng toàn quốc.", "Liên hệ Zalo để biết thêm.", "Giá có thương lượng.", "Ship COD nội thành."],
        prices: &["{}.000đ", "{}k"] },
    Lang { titles: &["Dijual {} bekas", "Jual {} murah"],
        items: &["sepeda", "sofa", "meja makan", "jaket", "gitar", "kamera"],
        sentences: &["COD area Jakarta.", "Harga nego.", "Minat hubungi WA.", "Kondisi 90% mulus."],
        prices: &["Rp {}.000", "RM {}"] },
    Lang { titles: &["出售二手{}，九成新", "转让{}", "全新{}急售"],
        items: &["自行车", "沙发", "餐桌", "冬季外套", "婴儿车", "吉他", "相机"],
        sentences: &["同城自提，昆明。", "价格可小刀。", "有意者私聊。", "包邮。", "成色见图，非诚勿扰。"],
        prices: &["{}元", "¥{}"] },
    Lang { titles: &["出售二手{}，九成新", "{}便宜賣"],
        items: &["自行車", "沙發", "嬰兒車", "洗衣機", "相機", "手錶"],
        sentences: &["限台北面交。", "價格可議。", "有興趣請私訊。", "可超商取貨。"],
        prices: &["NT${}", "HK${}"] },
    Lang { titles: &["{}を譲ります、美品です", "新品未使用の{}"],
        items: &["自転車", "ソファ", "ギター", "カメラ", "腕時計"],
        sentences: &["手渡し可能です。", "値下げ交渉可。", "目立った傷はありません。", "送料込みです。"],
        prices: &["{}円"] },
    Lang { titles: &["ขาย{} สภาพดี", "{} มือสอง"],
        items: &["จักรยาน", "โซฟา", "กีตาร์", "กล้อง"],
        sentences: &["ส่งฟรีทั่วประเทศ", "ราคาต่อรองได้", "สนใจทักแชท"],
        prices: &["{} บาท", "฿{}"] },
    Lang { titles: &["Продам {} в хорошем состоянии", "Срочно продам {}"],
        items: &["велосипед", "диван", "гитару", "фотоаппарат"],
        sentences: &["Самовывоз, Казань.", "Торг уместен.", "Пишите в личку.", "Состояние отличное."],
        prices: &["{} руб.", "{} ₽"] },
];

#[rustfmt::skip]
const WILDLIFE: &[&str] = &[
    "genuine ivory bangle", "carved elephant ivory figurine", "pangolin scales 1kg", "rhino horn cup",
    "antique tortoiseshell comb", "hornbill casque carving", "bovine bone bracelet, old stock",
    "real 1v0ry carving", "i.v.o.r.y beads", "Manis javanica scales", "bracelet en ivoire ancien",
    "écailles de pangolin", "pulsera de marfil", "vòng tay ngà voi", "vảy tê tê", "sừng tê giác",
    "gading gajah asli", "象牙手镯", "穿山甲片", "犀牛角杯", "象牙手鐲", "鶴頂紅", "象牙の印鑑", "งาช้างแท้",
];

#[rustfmt::skip]
const DECOYS: &[&str] = &["ivory white wedding dress", "Tiger Balm ointment", "Python programming course books", "plush panda toy"];

/// Listing texts (fields joined by newlines, as `warden sweep` joins the
/// text fields of a JSON Lines row) of about `total` bytes: 13 scripts and
/// languages, 2 % wildlife offers, 0.5 % decoys, and, when `extra` is given,
/// 0.4 % naming one of those terms.
fn listings(total: usize, extra: &[String]) -> Vec<String> {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut out = Vec::new();
    let mut bytes = 0;
    while bytes < total {
        let l = &LANGS[rng.below(LANGS.len())];
        let mut title = rng.pick(l.titles).replace("{}", rng.pick(l.items));
        let mut desc: Vec<String> = (0..2 + rng.below(4))
            .map(|_| rng.pick(l.sentences).to_string())
            .collect();
        let r = rng.below(1000);
        if r < 20 {
            title = format!("{} {title}", rng.pick(WILDLIFE));
        } else if r < 25 {
            title = format!("{}, {title}", rng.pick(DECOYS));
        } else if r < 29 && !extra.is_empty() {
            desc.insert(
                0,
                format!("{} for sale, captive bred", extra[rng.below(extra.len())]),
            );
        }
        let price = rng
            .pick(l.prices)
            .replace("{}", &(5 + rng.below(2500)).to_string());
        let mut text = String::new();
        write!(
            text,
            "{title}\n{}\n{price}\nuser{}\n2026-{:02}-{:02}",
            desc.join(" "),
            rng.below(99_999),
            1 + rng.below(12),
            1 + rng.below(28)
        )
        .expect("write to String");
        bytes += text.len();
        out.push(text);
    }
    out
}

/// The same listings as JSON Lines rows, as `warden sweep` reads them.
fn json_lines(texts: &[String]) -> Vec<String> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let f: Vec<&str> = t.split('\n').collect();
            serde_json::json!({
                "id": format!("L{i:07}"),
                "url": format!("https://market.example/item/{i}"),
                "title": f[0], "description": f[1], "price": f[2], "seller": f[3], "posted": f[4],
            })
            .to_string()
        })
        .collect()
}

const EMBEDDED_SPECIES: &str = r#"[list]
name = "bench-species"
kind = "species"
version = "bench"
sources = ["benches/sweep.rs"]

[[taxon]]
id = "loxodonta-africana"
scientific_name = "Loxodonta africana"
abbreviations = ["L. africana"]
rank = "species"
appendix = "I/II"
listing_note = "split listing"
group = "elephants"
[taxon.names]
en = ["African elephant"]
zh-Hans = ["非洲象"]
[taxon.products]
en = ["ivory", "tusk"]
fr = ["ivoire"]
es = ["marfil"]
vi = ["ngà voi"]
id = ["gading"]
zh-Hans = ["象牙"]
th = ["งาช้าง"]
[[taxon.code_words]]
term = "bovine bone"
lang = "en"
note = "benchmark"

[[taxon]]
id = "manis"
scientific_name = "Manis"
synonyms = ["Manis javanica"]
rank = "genus"
appendix = "I"
group = "pangolins"
[taxon.names]
en = ["pangolin"]
vi = ["tê tê"]
zh-Hans = ["穿山甲"]
[taxon.products]
en = ["pangolin scales"]
fr = ["écailles de pangolin"]
zh-Hans = ["穿山甲片"]

[[taxon]]
id = "rhinocerotidae"
scientific_name = "Rhinocerotidae"
rank = "family"
appendix = "I"
group = "rhinos"
[taxon.names]
en = ["rhino", "rhinoceros"]
vi = ["tê giác"]
zh-Hans = ["犀牛"]
[taxon.products]
en = ["rhino horn"]
vi = ["sừng tê giác"]
zh-Hans = ["犀牛角"]
"#;

const EMBEDDED_CUES: &str = r#"[list]
name = "bench-cues"
kind = "cues"
version = "bench"
sources = ["benches/sweep.rs"]

[[cue]]
kind = "sale"
lang = "*"
terms = ["for sale", "selling", "à vendre", "vendo", "bán", "出售", "jual", "ขาย", "продам"]

[[cue]]
kind = "contact"
lang = "*"
terms = ["WhatsApp", "DM", "Zalo", "私聊", "WA"]

[[cue]]
kind = "price"
lang = "*"
terms = ["USD", "€", "元"]

[[cue]]
kind = "decoy"
lang = "en"
terms = ["ivory white"]
applies_to = ["ivory"]
"#;

fn parse(name: &str, text: &str) -> KeywordList {
    species::parse_str(Path::new(name), text)
        .unwrap_or_else(|e| panic!("{name} does not parse: {e}"))
}

/// A species list of exactly `taxa` x 5 terms (scientific name, synonym,
/// abbreviation, common name, product) made of made-up words, and those
/// terms.
fn scaled_list(taxa: usize) -> (KeywordList, Vec<String>) {
    const CONS: &[u8] = b"bdfgkmnprstvz";
    const VOWS: &[u8] = b"aeiou";
    const ENDS: &[&str] = &["ax", "ex", "ox", "ur", "yn", "iq", "uz"];
    let mut rng = Rng(20_261_124);
    let mut seen = HashSet::new();
    let mut word = || loop {
        let mut w = String::new();
        for _ in 0..3 {
            w.push(CONS[rng.below(CONS.len())] as char);
            w.push(VOWS[rng.below(VOWS.len())] as char);
        }
        w.push_str(ENDS[rng.below(ENDS.len())]);
        if seen.insert(w.clone()) {
            return w;
        }
    };
    let cap = |w: &str| w[..1].to_uppercase() + &w[1..];
    let mut toml = String::from(
        "[list]\nname = \"bench-scaled\"\nkind = \"species\"\nversion = \"bench\"\nsources = [\"benches/sweep.rs\"]\n",
    );
    let mut terms = Vec::new();
    for i in 0..taxa {
        let (genus, genus2, epithet) = (cap(&word()), cap(&word()), word());
        let t = [
            format!("{genus} {epithet}"),
            format!("{genus2} {epithet}"),
            format!("{}. {epithet}", &genus[..1]),
            format!("{} {}", word(), word()),
            format!("{} {}", word(), word()),
        ];
        write!(
            toml,
            "\n[[taxon]]\nid = \"bench-{i}\"\nscientific_name = \"{}\"\nsynonyms = [\"{}\"]\nabbreviations = [\"{}\"]\nrank = \"species\"\nappendix = \"{}\"\ngroup = \"bench\"\n[taxon.names]\nen = [\"{}\"]\n[taxon.products]\nen = [\"{}\"]\n",
            t[0], t[1], t[2], ["I", "II", "III"][i % 3], t[3], t[4]
        )
        .expect("write to String");
        terms.extend(t);
    }
    let list = parse("bench-scaled.toml", &toml);
    assert_eq!(list.term_count(), taxa * 5);
    (list, terms)
}

/// The shipped lists, when both are present and valid.
fn shipped_lists() -> Option<Vec<KeywordList>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("species-lists");
    let mut lists = Vec::new();
    for name in ["cites-online-trade.toml", "trade-cues.toml"] {
        let path = dir.join(name);
        let loaded = std::fs::read_to_string(&path)
            .map_err(|e| format!("{}: {e}", path.display()))
            .and_then(|text| species::parse_str(&path, &text).map_err(|e| e.to_string()));
        match loaded {
            Ok(l) => lists.push(l),
            Err(e) => {
                eprintln!("sweep bench: skipping the shipped-list benchmarks: {e}");
                return None;
            }
        }
    }
    Some(lists)
}

/// 10 samples of equal iteration counts ("flat": the normalising
/// benchmarks take about 0.4-0.6 s per 4 MiB pass on this machine, too long
/// for criterion's default linear sampling); `secs` is enough for 10 passes.
fn configure(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    bytes: usize,
    secs: u64,
) {
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(secs));
    group.throughput(Throughput::Bytes(bytes as u64));
}

fn total(texts: &[String]) -> usize {
    texts.iter().map(String::len).sum()
}

fn bench_normalize(c: &mut Criterion) {
    let texts = listings(size(4 * MIB), &[]);
    let bytes = total(&texts);
    let mut group = c.benchmark_group("sweep_normalize");
    configure(&mut group, bytes, 8);
    group.bench_function("per_listing_4MiB", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(normalize(black_box(t)));
            }
        })
    });
    let one = texts.join("\n");
    group.bench_function("one_text_4MiB", |b| {
        b.iter(|| black_box(normalize(black_box(&one))))
    });
    group.finish();
}

fn bench_find(c: &mut Criterion) {
    // 10,000 terms under `cargo bench`; 1,000 in test mode.
    let (scaled, scaled_terms) = scaled_list(if bench_mode() { 2000 } else { 200 });
    let texts = listings(size(4 * MIB), &scaled_terms);
    let bytes = total(&texts);
    let cues = parse("bench-cues.toml", EMBEDDED_CUES);
    let small = vec![parse("bench-species.toml", EMBEDDED_SPECIES), cues.clone()];
    let mut sets: Vec<(String, Vec<KeywordList>)> = vec![
        ("embedded_list".into(), small),
        (format!("{}_terms", scaled.term_count()), vec![scaled, cues]),
    ];
    if let Some(shipped) = shipped_lists() {
        sets.push(("shipped_lists".into(), shipped));
    }

    let mut group = c.benchmark_group("sweep_matcher_find");
    configure(&mut group, bytes, 8);
    for (name, lists) in &sets {
        let m = Matcher::new(lists).expect("matcher");
        group.bench_function(format!("{name}_4MiB"), |b| {
            b.iter(|| {
                for t in &texts {
                    black_box(m.find(black_box(t)));
                }
            })
        });
    }
    group.finish();

    // What a sweep worker does per listing: find, then score.
    let mut group = c.benchmark_group("sweep_find_and_score");
    configure(&mut group, bytes, 8);
    for (name, lists) in &sets {
        let m = Matcher::new(lists).expect("matcher");
        group.bench_function(format!("{name}_4MiB"), |b| {
            b.iter(|| {
                for t in &texts {
                    let hits = m.find(t);
                    black_box(score::score(t, &hits, &m, lists, 50));
                }
            })
        });
    }
    group.finish();

    // Baselines: a bare case-insensitive Aho-Corasick pass over the raw text
    // (no normalisation, no boundaries; ASCII case folding only), and parsing
    // the JSON Lines rows, which `warden sweep` does on its reading thread.
    let mut group = c.benchmark_group("sweep_baseline");
    configure(&mut group, bytes, 3);
    for (name, lists) in &sets {
        let terms: Vec<String> = lists
            .iter()
            .flat_map(|l| {
                l.taxa
                    .iter()
                    .flat_map(|t| t.terms.iter().map(|x| x.text.clone()))
                    .chain(l.cues.iter().flat_map(|c| c.terms.clone()))
            })
            .collect();
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&terms)
            .expect("automaton");
        group.bench_function(format!("aho_corasick_raw_{name}_4MiB"), |b| {
            b.iter(|| {
                let mut n = 0usize;
                for t in &texts {
                    n += ac.find_overlapping_iter(black_box(t.as_str())).count();
                }
                black_box(n)
            })
        });
    }
    let rows = json_lines(&texts);
    group.throughput(Throughput::Bytes(total(&rows) as u64));
    group.bench_function("serde_json_parse_rows", |b| {
        b.iter(|| {
            for r in &rows {
                let v: serde_json::Value = serde_json::from_str(black_box(r)).expect("json");
                let text = v
                    .as_object()
                    .expect("object")
                    .iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "id" | "url"))
                    .filter_map(|(_, v)| v.as_str())
                    .collect::<Vec<_>>()
                    .join("\n");
                black_box(text);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_normalize, bench_find);
criterion_main!(benches);
