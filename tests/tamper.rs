//! `warden verify` must catch every change to a case and name what changed.

mod common;

use std::fs;
use std::io::Write as _;

use base64::Engine as _;
use sha2::Digest as _;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use common::*;

/// A pristine case: case-init + 3 captures (custody has 4 lines), all with a time-stamp; the
/// third made with `--browser` (screenshot, DOM, MHTML, network log, the browser's resources in
/// the WARC).
struct Fixture {
    env: TestEnv,
    case: PathBuf,
    tsa: Tsa,
    /// bundle dirs relative to the case, e.g. `evidence/<id>`
    bundles: Vec<String>,
    /// a valid bundle of another case (same officer)
    foreign_bundle: PathBuf,
    _http: TestServer,
    _browser: TestServer,
}

static FIX: LazyLock<Fixture> = LazyLock::new(|| {
    let http = TestServer::http(standard_routes());
    let browser = TestServer::http(browser_routes());
    let tsa = Tsa::start();
    let env = TestEnv::new();
    let case = env.new_case();
    let (out, lines) = env.capture_json(
        &case,
        [
            http.url("/plain"),
            http.url("/gzip"),
            "--tsa".into(),
            tsa.url(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "fixture capture failed\n{}",
        describe(&out)
    );
    assert_eq!(lines.len(), 2);
    let mut bundles: Vec<String> = lines
        .iter()
        .map(|l| {
            let b = bundle_of(l);
            format!("evidence/{}", b.file_name().unwrap().to_string_lossy())
        })
        .collect();
    let (out, lines) = env.capture_json(
        &case,
        browser_args()
            .into_iter()
            .chain([browser.url("/js-listing"), "--tsa".into(), tsa.url()]),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "fixture browser capture failed\n{}",
        describe(&out)
    );
    let b = bundle_of(&lines[0]);
    bundles.push(format!(
        "evidence/{}",
        b.file_name().unwrap().to_string_lossy()
    ));
    let custody = read_string(&case.join("custody.jsonl"));
    assert_eq!(
        custody.lines().count(),
        4,
        "fixture custody log:\n{custody}"
    );
    let other = env.case_path("other-case");
    env.init_case(&other);
    let (out, lines) = env.capture_json(&other, [http.url("/sjis"), "--tsa".into(), tsa.url()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "fixture capture failed\n{}",
        describe(&out)
    );
    let foreign_bundle = bundle_of(&lines[0]);
    Fixture {
        env,
        case,
        tsa,
        bundles,
        foreign_bundle,
        _http: http,
        _browser: browser,
    }
});

fn fix() -> &'static Fixture {
    &FIX
}

/// A fresh copy of the pristine case; the TempDir must be kept alive.
fn copy_case() -> (tempfile::TempDir, PathBuf) {
    let t = tmpdir();
    let dst = t.path().join("case-copy");
    copy_dir(&fix().case, &dst);
    (t, dst)
}

/// Verifies without recording: the tests compare the case before and after.
fn verify_case(case: &Path) -> std::process::Output {
    let f = fix();
    f.env.verify([
        case.as_os_str(),
        "--no-record".as_ref(),
        "--tsa-ca".as_ref(),
        f.tsa.ca_crt().as_os_str(),
    ])
}

/// Verify must exit 1 and its output must contain one of `names`.
fn expect_detected(case: &Path, what: &str, names: &[&str]) -> Result<(), String> {
    let out = verify_case(case);
    let text = output_text(&out);
    if out.status.code() != Some(1) {
        return Err(format!("{what}: verify should exit 1\n{}", describe(&out)));
    }
    if !names.iter().any(|n| text.contains(n)) {
        return Err(format!(
            "{what}: verify output names none of {names:?}\n{}",
            describe(&out)
        ));
    }
    Ok(())
}

fn custody_lines(case: &Path) -> Vec<String> {
    read_string(&case.join("custody.jsonl"))
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_custody(case: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    fs::write(case.join("custody.jsonl"), text).unwrap();
}

#[test]
fn untouched_copy_verifies() {
    let (_t, case) = copy_case();
    let out = verify_case(&case);
    assert_eq!(
        out.status.code(),
        Some(0),
        "an untouched copy must verify\n{}",
        describe(&out)
    );
    check_custody(&case.join("custody.jsonl")).unwrap_or_else(|e| panic!("custody chain: {e}"));
}

#[test]
fn flipping_one_byte_of_any_bundle_file_is_detected_and_named() {
    let f = fix();
    let mut failures = Vec::new();
    let mut checked = 0;
    for b in &f.bundles {
        let files = list_files(&f.case.join(b));
        assert!(
            files.iter().any(|x| x == "timestamp.tsr"),
            "{b} has no timestamp.tsr: {files:?}"
        );
        for file in files {
            let (_t, case) = copy_case();
            let rel_case = format!("{b}/{file}");
            flip_byte(&case.join(&rel_case));
            let name = Path::new(&file)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if let Err(e) = expect_detected(
                &case,
                &format!("flipped byte in {rel_case}"),
                &[&rel_case, &file, &name],
            ) {
                failures.push(e);
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 2 * 13 + 18,
        "expected at least 13 files per bundle and 18 in the browser one, checked {checked}"
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} tampered files not detected/named:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn file_added_to_data_is_detected() {
    let (_t, case) = copy_case();
    let b = &fix().bundles[0];
    fs::write(
        case.join(b).join("data/planted.html"),
        "<p>planted evidence</p>",
    )
    .unwrap();
    expect_detected(
        &case,
        "added data/planted.html",
        &["planted.html", "custody.jsonl"],
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn file_removed_from_data_is_detected() {
    let (_t, case) = copy_case();
    let b = &fix().bundles[0];
    fs::remove_file(case.join(b).join("data/text.txt")).unwrap();
    expect_detected(
        &case,
        "removed data/text.txt",
        &["text.txt", "custody.jsonl"],
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn edited_custody_line_is_detected() {
    let (_t, case) = copy_case();
    let mut lines = custody_lines(&case);
    // change one digit of the second line's time field
    let line = &lines[1];
    let start = line
        .find("\"time\":\"")
        .expect("custody line has a time field")
        + 8;
    let end = start + line[start..].find('"').unwrap();
    let digit_at = (start..end)
        .rev()
        .find(|&i| line.as_bytes()[i].is_ascii_digit())
        .expect("digit in time");
    let old = line.as_bytes()[digit_at];
    let new = if old == b'9' { b'8' } else { old + 1 };
    let mut bytes = line.clone().into_bytes();
    bytes[digit_at] = new;
    lines[1] = String::from_utf8(bytes).unwrap();
    write_custody(&case, &lines);
    expect_detected(&case, "edited time of custody line 2", &["custody.jsonl"])
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn edited_custody_officer_is_detected() {
    let (_t, case) = copy_case();
    let mut lines = custody_lines(&case);
    lines[2] = lines[2].replacen(OFFICER, &OFFICER.replace('T', "P"), 1);
    assert_ne!(
        lines[2],
        custody_lines(&case)[2],
        "officer name not found in custody line 3"
    );
    write_custody(&case, &lines);
    expect_detected(
        &case,
        "edited officer of custody line 3",
        &["custody.jsonl"],
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn deleted_middle_custody_line_is_detected() {
    let (_t, case) = copy_case();
    let mut lines = custody_lines(&case);
    lines.remove(1);
    write_custody(&case, &lines);
    expect_detected(&case, "deleted custody line 2", &["custody.jsonl"])
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn reordered_custody_lines_are_detected() {
    let (_t, case) = copy_case();
    let mut lines = custody_lines(&case);
    lines.swap(1, 2);
    write_custody(&case, &lines);
    expect_detected(&case, "swapped custody lines 2 and 3", &["custody.jsonl"])
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn deleted_bundle_is_detected() {
    let (_t, case) = copy_case();
    let b = &fix().bundles[1];
    fs::remove_dir_all(case.join(b)).unwrap();
    let id = b.trim_start_matches("evidence/");
    expect_detected(&case, "removed bundle dir", &[id, "custody.jsonl"])
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn truncated_custody_log_is_detected() {
    let (_t, case) = copy_case();
    let mut lines = custody_lines(&case);
    lines.pop();
    write_custody(&case, &lines);
    // the dropped line is the browser capture's, made last
    let last_id = fix().bundles[2].trim_start_matches("evidence/");
    expect_detected(
        &case,
        "last custody line removed",
        &["custody.jsonl", last_id],
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn foreign_bundle_planted_in_evidence_is_detected() {
    let (_t, case) = copy_case();
    let foreign = &fix().foreign_bundle;
    let id = foreign.file_name().unwrap().to_string_lossy().into_owned();
    copy_dir(foreign, &case.join("evidence").join(&id));
    expect_detected(
        &case,
        "bundle of another case planted",
        &[&id, "custody.jsonl"],
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn timestamps_swapped_between_bundles_are_detected() {
    let (_t, case) = copy_case();
    let [a, b] = [&fix().bundles[0], &fix().bundles[1]].map(|x| case.join(x).join("timestamp.tsr"));
    let (ta, tb) = (read(&a), read(&b));
    fs::write(&a, tb).unwrap();
    fs::write(&b, ta).unwrap();
    expect_detected(&case, "timestamp.tsr swapped", &["timestamp.tsr"])
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn signatures_swapped_between_bundles_are_detected() {
    let (_t, case) = copy_case();
    let [a, b] =
        [&fix().bundles[0], &fix().bundles[1]].map(|x| case.join(x).join("signature.ed25519"));
    let (sa, sb) = (read(&a), read(&b));
    fs::write(&a, sb).unwrap();
    fs::write(&b, sa).unwrap();
    expect_detected(&case, "signature.ed25519 swapped", &["signature.ed25519"])
        .unwrap_or_else(|e| panic!("{e}"));
}

fn rewrite_manifest(bundle: &Path, manifest: &str, digest: fn(&[u8]) -> String) {
    let text = read_string(&bundle.join(manifest));
    let mut out = String::new();
    for line in text.lines() {
        let (_, path) = line
            .split_once("  ")
            .unwrap_or_else(|| panic!("{manifest}: odd line {line:?}"));
        let p = bundle.join(path);
        if p.exists() {
            out.push_str(&format!("{}  {path}\n", digest(&read(&p))));
        }
    }
    fs::write(bundle.join(manifest), out).unwrap();
}

fn sha512_hex(b: &[u8]) -> String {
    hex::encode(sha2::Sha512::digest(b))
}

/// An attacker edits page.html and re-seals the bundle with their own key: manifests, capture.json,
/// bag-info and signature all consistent, time-stamp dropped. Only the case (custody log,
/// registered officers) can tell.
#[test]
fn bundle_resealed_with_another_key_is_detected() {
    use ed25519_dalek::Signer as _;
    use ed25519_dalek::pkcs8::DecodePrivateKey as _;
    let (t, case) = copy_case();
    let rel_bundle = &fix().bundles[0];
    let b = case.join(rel_bundle);
    let page = b.join("data/page.html");
    let old_page_sha = sha256_file(&page);
    flip_byte(&page);
    let new_page_sha = sha256_file(&page);

    let key = t.path().join("attacker.pem");
    generate_key(&key);
    let sk = ed25519_dalek::SigningKey::from_pkcs8_pem(&read_string(&key)).unwrap();
    let new_pk = public_key_b64(&key);
    let old_pk = public_key_b64(&fix().env.key);
    for f in ["data/capture.json", "bag-info.txt"] {
        let text = read_string(&b.join(f))
            .replace(&old_pk, &new_pk)
            .replace(&old_page_sha, &new_page_sha);
        fs::write(b.join(f), text).unwrap();
    }
    fs::remove_file(b.join("timestamp.tsr")).unwrap();
    rewrite_manifest(&b, "manifest-sha256.txt", sha256_hex);
    rewrite_manifest(&b, "manifest-sha512.txt", sha512_hex);
    let sig = sk.sign(&read(&b.join("manifest-sha256.txt")));
    fs::write(b.join("signature.ed25519"), sig.to_bytes()).unwrap();
    let mut spki = hex::decode("302a300506032b6570032100").unwrap();
    spki.extend_from_slice(sk.verifying_key().as_bytes());
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        b64().encode(&spki)
    );
    fs::write(b.join("signature.pub.pem"), pem).unwrap();
    rewrite_manifest(&b, "tagmanifest-sha256.txt", sha256_hex);
    rewrite_manifest(&b, "tagmanifest-sha512.txt", sha512_hex);

    // the forged bag is self-consistent for outside tools
    for (tool, m) in [
        ("sha256sum", "manifest-sha256.txt"),
        ("sha256sum", "tagmanifest-sha256.txt"),
    ] {
        run_ok(
            std::process::Command::new(tool)
                .args(["-c", m])
                .current_dir(&b),
        );
    }
    run_ok(
        openssl()
            .args([
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                "signature.pub.pem",
                "-rawin",
            ])
            .args([
                "-in",
                "manifest-sha256.txt",
                "-sigfile",
                "signature.ed25519",
            ])
            .current_dir(&b),
    );

    let id = rel_bundle.trim_start_matches("evidence/");
    expect_detected(
        &case,
        "bundle re-sealed by another key",
        &[id, "custody.jsonl"],
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn verify_json_reports_the_problem_path() {
    let (_t, case) = copy_case();
    let target = format!("{}/data/page.html", fix().bundles[0]);
    flip_byte(&case.join(&target));
    let out = fix().env.verify([case.as_os_str(), "--json".as_ref()]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "verify --json is not one JSON document ({e})\n{}",
            describe(&out)
        )
    });
    assert_eq!(v["ok"], false, "{v}");
    let problems = v["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("problems: {v}"));
    assert!(
        problems.iter().any(|p| p["path"]
            .as_str()
            .is_some_and(|s| s.ends_with(&target) || s.contains("page.html"))
            && p["message"].as_str().is_some_and(|m| !m.is_empty())),
        "no problem names {target}: {v:#}"
    );
    assert_eq!(v["bundles"], 3, "{v}");
    assert_eq!(v["custody_events"], 4, "{v}");
}

// ---- zip archives -----------------------------------------------------------------------------

/// Writes a zip of `dir`; entries are `prefix` + path relative to `dir` (dirs included).
/// `edit` may change a file's bytes on the way in.
fn zip_dir(dir: &Path, zip_path: &Path, prefix: &str, edit: &dyn Fn(&str, &mut Vec<u8>)) {
    use zip::write::SimpleFileOptions;
    let file = fs::File::create(zip_path).unwrap();
    let mut zw = zip::ZipWriter::new(file);
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    fn walk(root: &Path, d: &Path, out: &mut Vec<(String, bool)>) {
        let mut entries: Vec<_> = fs::read_dir(d).unwrap().map(|e| e.unwrap()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                out.push((rel(root, &p), true));
                walk(root, &p, out);
            } else {
                out.push((rel(root, &p), false));
            }
        }
    }
    let mut entries = Vec::new();
    walk(dir, dir, &mut entries);
    if !prefix.is_empty() {
        zw.add_directory(prefix.trim_end_matches('/'), opts)
            .unwrap();
    }
    for (r, is_dir) in entries {
        let name = format!("{prefix}{r}");
        if is_dir {
            zw.add_directory(name, opts).unwrap();
        } else {
            let mut bytes = read(&dir.join(&r));
            edit(&r, &mut bytes);
            zw.start_file(name, opts).unwrap();
            zw.write_all(&bytes).unwrap();
        }
    }
    zw.finish().unwrap();
}

fn no_edit(_: &str, _: &mut Vec<u8>) {}

#[test]
fn zip_of_a_case_with_top_folder_verifies() {
    let t = tmpdir();
    let z = t.path().join("case.zip");
    zip_dir(&fix().case, &z, "case/", &no_edit);
    let out = verify_case(&z);
    assert_eq!(
        out.status.code(),
        Some(0),
        "zip of the case (entries under case/) must verify\n{}",
        describe(&out)
    );
}

#[test]
fn zip_of_a_case_with_entries_at_root_verifies() {
    let t = tmpdir();
    let z = t.path().join("case-flat.zip");
    zip_dir(&fix().case, &z, "", &no_edit);
    let out = verify_case(&z);
    assert_eq!(
        out.status.code(),
        Some(0),
        "zip of the case (entries at the zip root) must verify\n{}",
        describe(&out)
    );
}

#[test]
fn zip_of_a_bundle_verifies() {
    let f = fix();
    let t = tmpdir();
    let z = t.path().join("bundle.zip");
    let id = f.bundles[0].trim_start_matches("evidence/");
    zip_dir(&f.case.join(&f.bundles[0]), &z, &format!("{id}/"), &no_edit);
    // Outside its case nothing anchors the signing key: not good enough.
    let out = verify_case(&z);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a lone bundle's key must be anchored\n{}",
        describe(&out)
    );
    assert!(
        output_text(&out).contains("not anchored"),
        "{}",
        describe(&out)
    );
    // With the officer's key vouched for, it verifies.
    let key =
        read_json(&f.case.join(&f.bundles[0]).join("data/capture.json"))["officer_public_key"]
            .as_str()
            .unwrap()
            .to_string();
    let out = warden_verify_with(&z, &["--trust-key", &key]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "zip of one bundle must verify with --trust-key\n{}",
        describe(&out)
    );
    // A different key is refused.
    let t2 = tmpdir();
    let other = t2.path().join("other.pem");
    generate_key(&other);
    let out = warden_verify_with(&z, &["--trust-key", &public_key_b64(&other)]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
}

fn warden_verify_with(path: &Path, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<std::ffi::OsString> = vec!["verify".into(), path.into()];
    args.extend(extra.iter().map(|a| a.into()));
    let env = TestEnv::new();
    env.warden().args(args).output().unwrap()
}

#[test]
fn tampered_zip_of_a_case_fails() {
    let t = tmpdir();
    let z = t.path().join("case-tampered.zip");
    let target = format!("{}/data/page.html", fix().bundles[0]);
    zip_dir(&fix().case, &z, "case/", &|r, bytes| {
        if r == target {
            let i = bytes.len() / 2;
            bytes[i] ^= 0x01;
        }
    });
    let out = verify_case(&z);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a zip with a changed page.html must fail verify\n{}",
        describe(&out)
    );
    assert!(
        output_text(&out).contains("page.html"),
        "verify output must name page.html\n{}",
        describe(&out)
    );
}

#[test]
fn tampered_custody_in_zip_fails() {
    let t = tmpdir();
    let z = t.path().join("case-custody.zip");
    zip_dir(&fix().case, &z, "case/", &|r, bytes| {
        if r == "custody.jsonl" {
            let text = String::from_utf8(bytes.clone()).unwrap();
            let mut lines: Vec<&str> = text.lines().collect();
            lines.remove(1);
            *bytes = format!("{}\n", lines.join("\n")).into_bytes();
        }
    });
    let out = verify_case(&z);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a zip with a custody line removed must fail verify\n{}",
        describe(&out)
    );
    assert!(
        output_text(&out).contains("custody.jsonl"),
        "verify output must name custody.jsonl\n{}",
        describe(&out)
    );
}

// ---- several damaged bundles ----------------------------------------------------------------

/// Bundles are checked on several threads; the findings must still come out once each, in
/// folder order, naming exactly the damaged bundles, whatever order the threads finish in.
#[test]
fn problems_in_several_bundles_are_each_reported_once_in_folder_order() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let urls: Vec<String> = (1..=7).map(|i| http.url(&format!("/item/{i}"))).collect();
    let (out, _) = env.capture_json(&case, &urls);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let ids = evidence_entries(&case);
    assert_eq!(ids.len(), 7);
    let damaged: Vec<&String> = ids.iter().step_by(2).collect(); // 1st, 3rd, 5th, 7th
    for id in &damaged {
        flip_byte(&case.join("evidence").join(id).join("data/text.txt"));
    }
    for _ in 0..3 {
        let v = common::forge::verify_json(&env, [&case]);
        assert_eq!(v.report["bundles"], 7, "{}", v.describe());
        let named: Vec<String> = v
            .problems()
            .iter()
            .filter_map(|(p, _)| ids.iter().find(|id| p.contains(id.as_str())).cloned())
            .collect();
        let mut firsts = named.clone();
        firsts.dedup();
        assert_eq!(
            firsts,
            damaged.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "problems not once per damaged bundle in folder order\n{}",
            v.describe()
        );
        let text_problems = v
            .problems()
            .iter()
            .filter(|(p, _)| p.ends_with("data/text.txt"))
            .count();
        assert_eq!(text_problems, damaged.len(), "{}", v.describe());
    }
}
