//! `warden export bag`: the zip of the whole case verifies with `warden verify FILE.zip`
//! (also against the case fingerprint), holds every file of the case byte for byte under one
//! top folder named after the case id, with normalised modes and times, is the same zip each
//! time, and a case that does not verify is never exported.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::LazyLock;

use common::*;
use serde_json::Value;

/// A case with two captures, a note, a withdrawal and a checkpoint, and its export.
struct Fixture {
    env: TestEnv,
    case: PathBuf,
    bundles: Vec<PathBuf>,
    zip: PathBuf,
    out: Output,
    /// custody.jsonl before the export (the export then recorded itself).
    log_before: Vec<u8>,
    /// A copy of the case as it was before the export.
    pristine: PathBuf,
    _dir: tempfile::TempDir,
    _http: TestServer,
}

static FIX: LazyLock<Fixture> = LazyLock::new(|| {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let mut bundles = Vec::new();
    for path in ["/plain", "/gbk"] {
        let url = http.url(path);
        let (out, lines) = env.capture_json(&case, [&url]);
        assert_eq!(out.status.code(), Some(0), "capture\n{}", describe(&out));
        bundles.push(bundle_of(line_for(&lines, &url)));
    }
    for args in [
        &[
            "note",
            "--exhibit",
            "1",
            "seller asked for payment by phone",
        ][..],
        &["withdraw", "2", "--reason", "captured the wrong listing"],
        &["checkpoint"],
    ] {
        env.custody_ok(&case, args);
    }
    let dir = tmpdir();
    let pristine = dir.path().join("pristine");
    copy_dir(&case, &pristine);
    let log_before = read(&case.join("custody.jsonl"));
    let zip = dir.path().join("handover.zip");
    let out = export(&env, &case, &zip);
    assert_eq!(out.status.code(), Some(0), "export\n{}", describe(&out));
    // The export recorded itself: one more custody event, naming the zip and its SHA-256.
    let log = read(&case.join("custody.jsonl"));
    assert!(
        log.starts_with(&log_before),
        "the export changed earlier events"
    );
    let added: Vec<Value> = String::from_utf8_lossy(&log[log_before.len()..])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(added[0]["action"], "export");
    assert_eq!(added[0]["details"]["format"], "bag");
    assert_eq!(added[0]["details"]["sha256"], sha256_file(&zip).as_str());
    Fixture {
        env,
        case,
        bundles,
        zip,
        out,
        log_before,
        pristine,
        _dir: dir,
        _http: http,
    }
});

fn fix() -> &'static Fixture {
    &FIX
}

fn export(env: &TestEnv, case: &Path, out: &Path) -> Output {
    common::exports::export_case(env, "bag", case, out)
}

struct ZipEntry {
    bytes: Vec<u8>,
    stored: bool,
    mode: Option<u32>,
    time: (u16, u8, u8, u8, u8, u8),
    dir: bool,
}

fn unzip(path: &Path) -> BTreeMap<String, ZipEntry> {
    let mut zip = zip::ZipArchive::new(fs::File::open(path).unwrap())
        .unwrap_or_else(|e| panic!("{} is not a zip: {e}", path.display()));
    let mut out = BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        let t = f.last_modified().unwrap_or_default();
        let entry = ZipEntry {
            bytes,
            stored: f.compression() == zip::CompressionMethod::Stored,
            mode: f.unix_mode(),
            time: (
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
            ),
            dir: f.is_dir(),
        };
        assert!(
            out.insert(f.name().to_string(), entry).is_none(),
            "{} twice",
            f.name()
        );
    }
    out
}

#[test]
fn the_zip_verifies_as_the_case_against_its_fingerprint() {
    let f = fix();
    let first_line = read_string(&f.case.join("custody.jsonl"))
        .lines()
        .next()
        .unwrap()
        .to_string();
    let fingerprint = sha256_hex(first_line.as_bytes());
    let out = f
        .env
        .warden()
        .arg("verify")
        .arg(&f.zip)
        .args(["--json", "--expect-fingerprint", &fingerprint])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], true, "{report:#}");
    assert_eq!(report["verdict"], "verified", "{report:#}");
    assert_eq!(report["bundles"], f.bundles.len(), "{report:#}");
    assert_eq!(report["problems"], serde_json::json!([]), "{report:#}");
}

#[test]
fn the_zip_holds_every_file_of_the_case_byte_for_byte_under_one_top_folder() {
    let f = fix();
    let entries = unzip(&f.zip);
    let top = format!("{CASE_ID}/");
    let mut files = BTreeMap::new();
    for (name, e) in &entries {
        assert!(name.starts_with(&top), "{name} is outside {top}");
        assert!(e.stored, "{name} is compressed");
        assert_eq!(e.time, (1980, 1, 1, 0, 0, 0), "{name}: time not normalised");
        let mode = e.mode.unwrap_or_else(|| panic!("{name}: no unix mode")) & 0o7777;
        if e.dir {
            assert_eq!(mode, 0o755, "{name}");
            assert!(e.bytes.is_empty());
        } else {
            assert_eq!(mode, 0o644, "{name}");
            files.insert(name[top.len()..].to_string(), e.bytes.clone());
        }
    }
    let want = list_files(&f.case);
    assert!(
        want.iter().any(|p| p.starts_with("checkpoints/")),
        "{want:?}"
    );
    assert_eq!(files.keys().cloned().collect::<Vec<_>>(), want);
    for (rel, bytes) in &files {
        let want = if rel == "custody.jsonl" {
            f.log_before.clone()
        } else {
            read(&f.case.join(rel))
        };
        assert!(*bytes == want, "{rel} differs from the case");
    }
    for dir in ["evidence/", "checkpoints/"] {
        assert!(
            entries.contains_key(&format!("{top}{dir}")),
            "no {dir} entry"
        );
    }
}

#[test]
fn the_sha256_is_printed_and_the_same_case_gives_the_same_zip() {
    let f = fix();
    let sha = sha256_file(&f.zip);
    let text = String::from_utf8_lossy(&f.out.stdout);
    assert!(text.contains(&sha), "the SHA-256 is printed:\n{text}");
    assert_eq!(text.trim().lines().count(), 1, "{text}");
    assert!(text.contains("recorded in custody event"), "{text}");
    // The case as it was before the first export (the export recorded itself in the case
    // since), exported again: byte for byte the same zip.
    let dir = tmpdir();
    let again = dir.path().join("again.zip");
    let out = export(&f.env, &f.pristine, &again);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(sha256_file(&again), sha, "a second export differs");
}

#[test]
fn a_tampered_case_is_refused_and_nothing_is_written() {
    let f = fix();
    let id = f.bundles[1]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    common::exports::assert_refuses_tampered_copy(
        &f.env,
        "bag",
        &f.case,
        &id,
        "data/capture.warc.gz",
        "zip",
    );
}

#[test]
fn an_existing_out_file_an_out_file_inside_the_case_and_a_wrong_name_are_refused() {
    common::exports::assert_refuses_bad_out(&fix().env, "bag", &fix().case, "zip", "case.tar");
}

#[test]
fn a_symbolic_link_in_the_case_is_never_followed() {
    let f = fix();
    let dir = tmpdir();
    let case = dir.path().join("copy");
    copy_dir(&f.case, &case);
    let secret = dir.path().join("secret.txt");
    fs::write(&secret, b"not evidence").unwrap();
    std::os::unix::fs::symlink(&secret, case.join("checkpoints/link.checkpoint")).unwrap();
    let out_dir = dir.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    let out = export(&f.env, &case, &out_dir.join("case.zip"));
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        list_files(&out_dir).is_empty(),
        "{:?}",
        list_files(&out_dir)
    );
    assert!(
        !output_text(&out).contains("not evidence"),
        "{}",
        describe(&out)
    );
}
