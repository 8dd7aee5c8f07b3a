//! `warden sweep` over inputs as officers have them (semicolon, tab,
//! Windows-1252 and GBK exports, JSON arrays, Excel workbooks, broken rows),
//! its CSV output as Excel and LibreOffice read it, the built-in lists, and
//! closed pipes; all through the real binary with the built-in lists.

mod common;

use common::*;
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// Rows of a marketplace export: every 4th offers wildlife (in the
/// language given), the rest are ordinary second-hand goods.
fn rows(n: usize, offer: &str, plain: &str) -> Vec<(String, String, String, String)> {
    (0..n)
        .map(|i| {
            let title = if i % 4 == 0 { offer } else { plain };
            (
                format!("L{i:04}"),
                format!("https://market.example/item/{i}"),
                title.to_string(),
                format!("{},50", 10 + i),
            )
        })
        .collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Runs `warden sweep ARGS --json`: (exit code, result records, summary, stderr).
fn sweep(env: &TestEnv, args: &[&std::ffi::OsStr]) -> (Option<i32>, Vec<Value>, Value, String) {
    let out = env
        .warden()
        .arg("sweep")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let summary = err
        .lines()
        .find(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .unwrap_or(Value::Null);
    let recs = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}\n{err}")))
        .collect();
    (out.status.code(), recs, summary, err)
}

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

/// Every row read and none skipped; the matched listings are the offers.
fn assert_all_read(
    code: Option<i32>,
    recs: &[Value],
    summary: &Value,
    err: &str,
    n: u64,
    offers: usize,
) {
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(summary["listings"], n, "{err}");
    assert_eq!(summary["skipped"], 0, "{err}");
    assert_eq!(recs.len(), offers, "{err}");
}

#[test]
fn semicolon_tab_windows_1252_and_gbk_exports_are_read_whole() {
    let t = tmpdir();
    let d = t.path();
    let env = TestEnv::new();

    // Excel in a European locale: semicolons, decimal commas, CRLF, Windows-1252.
    let mut text = String::from("id;url;title;price\r\n");
    for (id, url, title, price) in rows(
        200,
        "Bracelet en ivoire ancien, à vendre, très belle pièce",
        "Vélo de ville, très bon état; révisé",
    ) {
        text.push_str(&format!("{id};{url};\"{title}\";{price} €\r\n"));
    }
    let (bytes, _, lossy) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!lossy);
    let f = write(d, "export-fr.csv", &bytes);
    let (code, recs, summary, err) = sweep(&env, &[os("--input"), f.as_os_str()]);
    assert_all_read(code, &recs, &summary, &err, 200, 50);
    let input = &summary["inputs"][0];
    assert_eq!(input["delimiter"], "';'", "{input}");
    assert_eq!(input["encoding"], "windows-1252", "{input}");
    assert!(
        input["encoding_why"]
            .as_str()
            .unwrap()
            .contains("chardetng"),
        "{input}"
    );
    assert!(err.contains("windows-1252"), "{err}");
    let r = &recs[0];
    assert_eq!(
        r["fields"]["title"],
        "Bracelet en ivoire ancien, à vendre, très belle pièce"
    );
    assert_eq!(r["fields"]["price"], "10,50 €");
    let terms: Vec<&str> = r["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["term"].as_str().unwrap())
        .collect();
    assert!(
        terms.contains(&"ivoire") && terms.contains(&"à vendre"),
        "{terms:?}"
    );

    // A tab-separated export.
    let mut text = String::from("id\ttitle\tseller\n");
    for (id, _, title, _) in rows(120, "Carved ivory tusk for sale", "Mountain bike, 21 gears") {
        text.push_str(&format!("{id}\t{title}\tsam\n"));
    }
    let f = write(d, "export.tsv", text.as_bytes());
    let (code, recs, summary, err) = sweep(&env, &[os("--input"), f.as_os_str()]);
    assert_all_read(code, &recs, &summary, &err, 120, 30);
    assert_eq!(summary["inputs"][0]["delimiter"], "TAB");
    assert_eq!(recs[0]["fields"]["seller"], "sam");

    // A Chinese export from Excel on a Chinese Windows: GBK, commas.
    let mut text = String::from("编号,标题,价格\r\n");
    for (id, _, title, price) in rows(
        80,
        "出售象牙手镯，正品保证，微信联系",
        "二手自行车，九成新，自提",
    ) {
        text.push_str(&format!("{id},{title},\"{price}\"\r\n"));
    }
    let (bytes, _, lossy) = encoding_rs::GBK.encode(&text);
    assert!(!lossy);
    let f = write(d, "export-zh.csv", &bytes);
    let (code, recs, summary, err) = sweep(
        &env,
        &[os("--input"), f.as_os_str(), os("--id-field"), os("编号")],
    );
    assert_all_read(code, &recs, &summary, &err, 80, 20);
    assert_eq!(summary["inputs"][0]["encoding"], "GBK", "{err}");
    // The Chinese text and the Chinese column names came through.
    assert_eq!(recs[0]["id"], "L0000");
    assert_eq!(
        recs[0]["fields"]["标题"],
        "出售象牙手镯，正品保证，微信联系"
    );
    let terms: Vec<&str> = recs[0]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["term"].as_str().unwrap())
        .collect();
    assert!(terms.contains(&"象牙手镯"), "{terms:?}");
}

#[test]
fn utf8_and_utf16_exports_with_a_byte_order_mark_and_standard_input() {
    let t = tmpdir();
    let env = TestEnv::new();
    let text =
        "id,title\r\n1,Bán vòng ngà voi thật\r\n2,ขายกำไลงาช้างแท้\r\n3,出售象牙手镯\r\n4,Sofa\r\n";
    let mut utf8 = b"\xEF\xBB\xBF".to_vec();
    utf8.extend_from_slice(text.as_bytes());
    let mut utf16 = b"\xFF\xFE".to_vec();
    utf16.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    for (name, bytes, enc) in [
        ("bom8.csv", utf8, "UTF-8"),
        ("bom16.csv", utf16, "UTF-16LE"),
    ] {
        let f = write(t.path(), name, &bytes);
        let (code, recs, summary, err) = sweep(&env, &[os("--input"), f.as_os_str()]);
        assert_all_read(code, &recs, &summary, &err, 4, 3);
        assert_eq!(summary["inputs"][0]["encoding"], enc, "{err}");
        assert!(
            summary["inputs"][0]["encoding_why"]
                .as_str()
                .unwrap()
                .contains("byte order mark"),
            "{err}"
        );
        // the BOM is not taken into the first column's name
        assert_eq!(
            recs.iter().filter(|r| r["id"].is_string()).count(),
            3,
            "{recs:?}"
        );
        let vi = recs.iter().find(|r| r["id"] == "1").expect("row 1");
        assert_eq!(vi["fields"]["title"], "Bán vòng ngà voi thật");
        assert_eq!(vi["source"]["line"], 2);
    }
    // A semicolon export on standard input.
    let out = env
        .warden()
        .args(["sweep", "--input", "-"])
        .write_stdin("id;title\n1;ivory bangle for sale\n2;sofa\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let v: Value = serde_json::from_slice(out.stdout.split(|&b| b == b'\n').next().unwrap())
        .unwrap_or_else(|e| panic!("{e}: {}", describe(&out)));
    assert_eq!(v["id"], "1");
    assert_eq!(v["source"]["path"], "-");
}

#[test]
fn json_arrays_and_xlsx_workbooks_are_read_whole() {
    let t = tmpdir();
    let d = t.path();
    let env = TestEnv::new();

    // A pretty-printed JSON array, as an API or a browser extension saves it.
    let items: Vec<Value> = rows(60, "Vòng ngà voi thật, bán giá tốt", "Áo khoác mùa đông")
        .into_iter()
        .map(|(id, url, title, price)| {
            serde_json::json!({"id": id, "url": url, "title": title, "price": price,
                               "seller": {"name": "Nguyễn", "rating": 4.5}})
        })
        .collect();
    let f = write(
        d,
        "listings.json",
        serde_json::to_string_pretty(&items).unwrap().as_bytes(),
    );
    let (code, recs, summary, err) = sweep(&env, &[os("--input"), f.as_os_str()]);
    assert_all_read(code, &recs, &summary, &err, 60, 15);
    assert_eq!(summary["inputs"][0]["format"], "json-array");
    assert_eq!(recs[0]["id"], "L0000");
    assert_eq!(recs[0]["source"]["line"], 2);
    assert_eq!(recs[0]["fields"]["seller.name"], "Nguyễn");
    assert_eq!(recs[0]["fields"]["title"], "Vòng ngà voi thật, bán giá tốt");

    // An Excel workbook made by a real writer (rust_xlsxwriter), two sheets,
    // a Thai listing, a number and a date.
    let path = d.join("export.xlsx");
    {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let mut wb = Workbook::new();
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let ws = wb.add_worksheet();
        ws.set_name("Listings").unwrap();
        for (c, h) in ["Item ID", "Link", "Title", "Price", "Posted"]
            .iter()
            .enumerate()
        {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (i, (id, url, title, _)) in rows(40, "ขายกำไลงาช้างแท้ ราคาถูก", "จักรยานมือสอง สภาพดี")
            .into_iter()
            .enumerate()
        {
            let r = i as u32 + 1;
            ws.write_string(r, 0, id).unwrap();
            ws.write_string(r, 1, url).unwrap();
            ws.write_string(r, 2, title).unwrap();
            ws.write_number(r, 3, 1500.0 + i as f64).unwrap();
            ws.write_datetime_with_format(
                r,
                4,
                ExcelDateTime::from_ymd(2026, 11, 3).unwrap(),
                &date,
            )
            .unwrap();
        }
        let ws2 = wb.add_worksheet();
        ws2.set_name("More").unwrap();
        ws2.write_string(0, 0, "Title").unwrap();
        ws2.write_string(1, 0, "Rhino horn cup for sale").unwrap();
        ws2.write_string(2, 0, "Garden chair").unwrap();
        wb.save(&path).unwrap();
    }
    let (code, recs, summary, err) = sweep(
        &env,
        &[
            os("--input"),
            path.as_os_str(),
            os("--id-field"),
            os("Item ID"),
        ],
    );
    assert_all_read(code, &recs, &summary, &err, 42, 11);
    let thai = recs
        .iter()
        .find(|r| r["id"] == "L0000")
        .unwrap_or_else(|| panic!("{recs:?}"));
    assert_eq!(thai["url"], "https://market.example/item/0");
    assert_eq!(thai["source"]["sheet"], "Listings");
    assert_eq!(thai["source"]["line"], 2);
    assert_eq!(thai["fields"]["Title"], "ขายกำไลงาช้างแท้ ราคาถูก");
    assert_eq!(thai["fields"]["Price"], "1500");
    assert_eq!(thai["fields"]["Posted"], "2026-11-03");
    let terms: Vec<&str> = thai["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["term"].as_str().unwrap())
        .collect();
    assert!(
        terms.contains(&"กำไลงาช้าง") && terms.contains(&"ขาย"),
        "{terms:?}"
    );
    assert!(
        recs.iter()
            .any(|r| r["source"]["sheet"] == "More" && r["source"]["line"] == 2),
        "{recs:?}"
    );
}

#[test]
fn a_broken_row_is_named_and_fails_the_sweep_unless_allowed() {
    let t = tmpdir();
    let env = TestEnv::new();
    let f = write(
        t.path(),
        "broken.csv",
        b"id,title\r\n1,ivory bangle for sale\r\n2,\"carved tusk, for sale\r\n3,ivory netsuke for sale\r\n4,\"pangolin scales\"\r\n",
    );
    let (code, recs, summary, err) = sweep(&env, &[os("--input"), f.as_os_str()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("broken.csv:3"), "{err}");
    assert!(err.contains("a quoted field opens on this line"), "{err}");
    assert!(err.contains("--allow-skipped"), "{err}");
    // the rows after the broken one were read
    assert_eq!(summary["listings"], 3, "{err}");
    assert_eq!(summary["skipped"], 1, "{err}");
    let ids: Vec<&str> = recs.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"3") && ids.contains(&"4"), "{ids:?}");
    let (code, _, _, err) = sweep(&env, &[os("--input"), f.as_os_str(), os("--allow-skipped")]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("broken.csv:3"), "{err}");
}

#[test]
fn every_row_after_several_broken_quotes_is_read_in_utf8_and_windows_1252() {
    let t = tmpdir();
    let env = TestEnv::new();
    let mut text = String::from("id;titre\r\n");
    for i in 1..=40 {
        if i % 10 == 3 {
            text.push_str(&format!("{i};\"ivoire à vendre, guillemet ouvert\r\n"));
        } else {
            text.push_str(&format!("{i};ivoire ancien à vendre\r\n"));
        }
    }
    let (latin, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    for (name, bytes, enc) in [
        ("quotes-utf8.csv", text.as_bytes().to_vec(), "UTF-8"),
        ("quotes-1252.csv", latin.into_owned(), "windows-1252"),
    ] {
        let f = write(t.path(), name, &bytes);
        let (code, recs, summary, err) =
            sweep(&env, &[os("--input"), f.as_os_str(), os("--allow-skipped")]);
        assert_eq!(code, Some(0), "{err}");
        assert_eq!(summary["inputs"][0]["encoding"], enc, "{err}");
        assert_eq!(summary["skipped"], 4, "{err}");
        assert_eq!(summary["listings"], 36, "{err}");
        assert_eq!(recs.len(), 36, "{err}");
        for line in [4, 14, 24, 34] {
            assert!(err.contains(&format!("{name}:{line}:")), "{line}: {err}");
        }
        let last = recs.iter().find(|r| r["id"] == "40").expect("row 40");
        assert_eq!(last["source"]["line"], 41);
        assert_eq!(last["fields"]["titre"], "ivoire ancien à vendre");
    }
}

#[test]
fn a_named_column_the_file_lacks_stops_the_sweep() {
    let t = tmpdir();
    let env = TestEnv::new();
    let f = write(t.path(), "a.csv", b"id,title\n1,ivory\n");
    let (code, _, _, err) = sweep(
        &env,
        &[
            os("--input"),
            f.as_os_str(),
            os("--fields"),
            os("description"),
        ],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("a.csv") && err.contains("description") && err.contains("id, title"),
        "{err}"
    );
}

#[test]
fn csv_output_has_a_bom_and_round_trips_chinese_thai_and_vietnamese() {
    let t = tmpdir();
    let env = TestEnv::new();
    let titles = [
        "出售象牙手镯，微信联系",
        "ขายกำไลงาช้างแท้",
        "Bán vòng ngà voi thật",
        "=HYPERLINK(\"http://evil.example\",\"ivory for sale\")",
    ];
    let mut jsonl = String::new();
    for (i, t) in titles.iter().enumerate() {
        jsonl.push_str(&serde_json::json!({"id": format!("x{i}"), "title": t}).to_string());
        jsonl.push('\n');
    }
    let input = write(t.path(), "in.jsonl", jsonl.as_bytes());
    let out_file = t.path().join("hits.csv");
    let out = env
        .warden()
        .args(["sweep", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(&out_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let bytes = read(&out_file);
    assert!(bytes.starts_with(b"\xEF\xBB\xBFid,url,score,"), "{bytes:?}");
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let header = r.headers().unwrap().clone();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(
        rows.len(),
        titles.len(),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    for t in &titles[..3] {
        assert!(
            rows.iter().any(|row| &row[col("title")] == *t),
            "{t} not in {rows:?}"
        );
    }
    // a formula is shown, never run; reasons carry their points
    assert!(
        rows.iter()
            .any(|row| row[col("title")].starts_with("'=HYPERLINK")),
        "{rows:?}"
    );
    assert!(rows[0][col("reasons")].starts_with("(+"), "{rows:?}");
    // highest score first
    let scores: Vec<u32> = rows
        .iter()
        .map(|row| row[col("score")].parse().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");

    // --no-bom and an Excel workbook
    let plain = t.path().join("plain.csv");
    let out = env
        .warden()
        .args(["sweep", "--no-bom", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(&plain)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(read(&plain).starts_with(b"id,url,score,"));
    let xlsx = t.path().join("hits.xlsx");
    let out = env
        .warden()
        .args(["sweep", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(&xlsx)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    use calamine::{Reader, Xlsx, open_workbook};
    let mut wb: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let range = wb.worksheet_range("sweep results").unwrap();
    let cells: Vec<String> = range.cells().map(|(_, _, v)| v.to_string()).collect();
    for t in &titles {
        assert!(cells.iter().any(|c| c == t), "{t} not in {cells:?}");
    }
}

#[test]
fn sorting_by_input_keeps_the_order_and_reasons_add_up() {
    let t = tmpdir();
    let env = TestEnv::new();
    let input = write(
        t.path(),
        "in.jsonl",
        b"{\"id\":\"weak\",\"title\":\"ivory\"}\n{\"id\":\"strong\",\"title\":\"Carved bovine bone bangle for sale, $250, WhatsApp me\"}\n",
    );
    let (_, by_score, _, err) = sweep(&env, &[os("--input"), input.as_os_str()]);
    let ids: Vec<&str> = by_score.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["strong", "weak"], "{err}");
    let (_, by_input, _, _) = sweep(
        &env,
        &[os("--input"), input.as_os_str(), os("--sort"), os("input")],
    );
    let ids: Vec<&str> = by_input.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["weak", "strong"]);
    for r in &by_score {
        let sum: i64 = r["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["points"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, r["score"].as_i64().unwrap(), "{r}");
    }
}

#[test]
fn a_hostile_listing_gives_a_bounded_result_that_says_what_was_cut() {
    let t = tmpdir();
    let env = TestEnv::new();
    // One listing of about 1 MiB with some 180,000 occurrences of listed
    // words and 100 fields of 10 KiB.
    let mut obj = serde_json::Map::new();
    obj.insert("id".into(), "big".into());
    obj.insert("title".into(), "ivory for sale ".repeat(70_000).into());
    for i in 0..100 {
        obj.insert(format!("f{i:03}"), "x".repeat(10_000).into());
    }
    let line = Value::Object(obj).to_string() + "\n";
    let input = write(t.path(), "big.jsonl", line.as_bytes());
    let (code, recs, _, err) = sweep(&env, &[os("--input"), input.as_os_str()]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    let size = r.to_string().len();
    assert!(size < 400_000, "a result of {size} bytes");
    assert_eq!(r["matches"].as_array().unwrap().len(), 100);
    assert!(
        r["matches_not_listed"].as_u64().unwrap() > 0,
        "{}",
        &r.to_string()[..200]
    );
    assert!(r["hits_not_weighed"].as_u64().unwrap() > 100_000);
    assert_eq!(r["fields_not_listed"], 37);
    assert_eq!(r["fields_cut_at"], 4096);
    assert!(
        r["reasons"].as_array().unwrap().iter().any(|x| x["text"]
            .as_str()
            .unwrap()
            .starts_with("only the first 10000 of")),
        "{}",
        r["reasons"]
    );
}

#[test]
fn sweeps_work_with_the_built_in_lists_and_lists_path_names_them() {
    let t = tmpdir();
    let env = TestEnv::new();
    let input = write(
        t.path(),
        "in.jsonl",
        b"{\"id\":\"a\",\"title\":\"rhino horn for sale\"}\n",
    );
    let case = env.new_case();
    let out_file = t.path().join("hits.jsonl");
    let out = env
        .warden()
        .arg("--case")
        .arg(&case)
        .args(["sweep", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(&out_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(read_string(&out_file).contains("Rhinocerotidae"));
    let log = read_string(&case.join("custody.jsonl"));
    let last: Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    let lists = &last["details"]["lists"];
    assert_eq!(lists[0]["path"], "<built-in>/cites-online-trade.toml");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("species-lists");
    assert_eq!(
        lists[0]["sha256"],
        sha256_file(&repo.join("cites-online-trade.toml")).as_str()
    );
    assert_eq!(
        lists[1]["sha256"],
        sha256_file(&repo.join("trade-cues.toml")).as_str()
    );
    let out = env.warden().args(["lists", "path"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("<built-in>/cites-online-trade.toml")
            && text.contains(&sha256_file(&repo.join("trade-cues.toml"))),
        "{text}"
    );
    let out = env
        .warden()
        .args(["lists", "show", "trade-cues", "--toml"])
        .output()
        .unwrap();
    assert_eq!(out.stdout, read(&repo.join("trade-cues.toml")));
}

/// Runs warden with its standard output into a pipe that is closed after
/// `keep` bytes, as `| head -c keep` does: (exit status, standard error).
fn closed_pipe(env: &TestEnv, args: &[&std::ffi::OsStr], keep: usize) -> (Option<i32>, String) {
    let mut child = env
        .warden_std()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut buf = vec![0u8; keep];
    stdout.read_exact(&mut buf).unwrap();
    drop(stdout);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code(), err)
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let t = tmpdir();
    let env = TestEnv::new();
    // The text fits in the pipe's buffer (it may all be written before
    // the pipe closes); the JSON does not.
    let (code, err) = closed_pipe(&env, &[os("lists"), os("show")], 100);
    assert!(err.is_empty(), "{err}");
    assert!(matches!(code, Some(0 | 141)), "{code:?}");
    let (code, err) = closed_pipe(&env, &[os("lists"), os("show"), os("--json")], 100);
    assert!(err.is_empty(), "{err}");
    assert_eq!(code, Some(141), "{err}");
    let mut jsonl = String::new();
    for i in 0..3000 {
        jsonl.push_str(&format!(
            "{{\"id\":\"{i}\",\"title\":\"ivory bangle for sale, WhatsApp\"}}\n"
        ));
    }
    let input = write(t.path(), "many.jsonl", jsonl.as_bytes());
    for sort in ["input", "score"] {
        let (code, err) = closed_pipe(
            &env,
            &[
                os("sweep"),
                os("--sort"),
                os(sort),
                os("--input"),
                input.as_os_str(),
            ],
            100,
        );
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{err}"
        );
        assert_eq!(code, Some(141), "{err}");
    }
}
