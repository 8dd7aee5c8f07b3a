//! Verify on hostile files and archives, and officer keys handled safely (issue 6, hole 7 and
//! parts of hole 10).
//!
//! Each test builds the hostile input (a FIFO, a link to /dev/zero, a zip bomb, a hidden local
//! zip entry, a re-spelled public key, an open key file, a text key file, a garbage --tsa-ca)
//! against a real case captured here from a loopback server, and drives the real binary. verify
//! runs as a child with a deadline and resource limits (address space, file size), so a verify
//! that hangs, slurps /dev/zero or extracts a bomb fails the test instead of the machine.

mod common;

use std::ffi::OsString;
use std::fs;
use std::io::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::LazyLock;
use std::time::Duration;

use common::forge::retag;
use serde_json::Value;

use common::*;

// ---------------------------------------------------------------------------------------------
// fixture: one case with one capture
// ---------------------------------------------------------------------------------------------

struct Fixture {
    env: TestEnv,
    case: PathBuf,
    id: String,
    _http: TestServer,
}

static FIX: LazyLock<Fixture> = LazyLock::new(|| {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let (out, lines) = env.capture_json(&case, [http.url("/plain")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "fixture capture\n{}",
        describe(&out)
    );
    let id = bundle_of(&lines[0])
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    Fixture {
        env,
        case,
        id,
        _http: http,
    }
});

fn fix() -> &'static Fixture {
    &FIX
}

/// A fresh copy of the fixture case and the path of its bundle; keep the TempDir alive.
fn copy_case() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let t = tmpdir();
    let case = t.path().join("case");
    copy_dir(&fix().case, &case);
    let bundle = case.join("evidence").join(&fix().id);
    (t, case, bundle)
}

/// Most a verify child may map (address space) and write to any one file.
const CHILD_MEMORY: u64 = 4 << 30;
const CHILD_FILE_SIZE: u64 = 64 << 20;
const DEADLINE: Duration = Duration::from_secs(60);

/// Most resident memory a verify child may reach: verify reads small files whole and streams
/// the rest, so a few tens of MiB; a verify that reads /dev/zero or a huge file into memory goes
/// far above.
const CHILD_RSS_MAX_KIB: i64 = 512 * 1024;

/// `warden verify --json ARGS...` in the fixture's env as a child process with `TMPDIR=tmp`,
/// at most [`CHILD_MEMORY`] of address space and [`CHILD_FILE_SIZE`] per written file, killed
/// (and the test failed) after [`DEADLINE`]; fails the test if the child's peak resident memory
/// went over [`CHILD_RSS_MAX_KIB`].
fn verify_limited(args: &[OsString], tmp: &Path) -> (Output, Value) {
    let mut cmd = fix().env.warden_std();
    cmd.arg("verify")
        .args(args)
        .arg("--json")
        .env("TMPDIR", tmp)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            for (res, lim) in [
                (libc::RLIMIT_AS, CHILD_MEMORY),
                (libc::RLIMIT_FSIZE, CHILD_FILE_SIZE),
            ] {
                let l = libc::rlimit {
                    rlim_cur: lim,
                    rlim_max: lim,
                };
                if libc::setrlimit(res, &l) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let (out, max_rss_kib) = run_measured(cmd);
    assert!(
        max_rss_kib < CHILD_RSS_MAX_KIB,
        "verify used {max_rss_kib} KiB of memory (it read something whole it must not)\n{}",
        describe(&out)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "verify --json did not print one JSON document ({e})\n{}",
            describe(&out)
        )
    });
    (out, report)
}

/// Runs `cmd` to its end (killing it and failing after [`DEADLINE`]); returns its output and
/// its peak resident memory in KiB (from wait4's rusage for this child alone).
#[allow(clippy::zombie_processes)] // the child is reaped by wait4 (which gives its rusage)
fn run_measured(mut cmd: std::process::Command) -> (Output, i64) {
    use std::io::Read as _;
    let mut child = cmd.spawn().unwrap();
    let drain = |r: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out_t = drain(child.stdout.take().map(|s| Box::new(s) as _));
    let err_t = drain(child.stderr.take().map(|s| Box::new(s) as _));
    let pid = child.id() as libc::pid_t;
    let start = std::time::Instant::now();
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value to be overwritten.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid pointers to locals; `pid` is our own unreaped child.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        assert!(r >= 0, "wait4: {}", std::io::Error::last_os_error());
        if r == pid {
            break;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            let out = Output {
                status: std::os::unix::process::ExitStatusExt::from_raw(9),
                stdout: out_t.join().unwrap(),
                stderr: err_t.join().unwrap(),
            };
            panic!(
                "verify did not finish within {DEADLINE:?}\n{}",
                describe(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = Output {
        status: std::os::unix::process::ExitStatusExt::from_raw(status),
        stdout: out_t.join().unwrap(),
        stderr: err_t.join().unwrap(),
    };
    (out, usage.ru_maxrss)
}

fn problems(report: &Value) -> Vec<(String, String)> {
    report["problems"]
        .as_array()
        .expect("problems array")
        .iter()
        .map(|p| {
            (
                p["path"].as_str().unwrap_or("").to_string(),
                p["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// verify exited 1 with a problem on a path ending in `/suffix` whose message contains `words`.
fn assert_problem(out: &Output, report: &Value, suffix: &str, words: &str) {
    assert_eq!(
        out.status.code(),
        Some(1),
        "verify must exit 1\n{}",
        describe(out)
    );
    let tail = format!("/{suffix}");
    assert!(
        problems(report)
            .iter()
            .any(|(p, m)| (p.ends_with(&tail) || p.ends_with(suffix)) && m.contains(words)),
        "no problem on {suffix} saying {words:?}\n{}",
        describe(out)
    );
}

fn os(p: &Path) -> OsString {
    p.as_os_str().to_owned()
}

/// Replaces `path` (a file) with a FIFO.
fn make_fifo(path: &Path) {
    fs::remove_file(path).unwrap();
    run_ok(std::process::Command::new("mkfifo").arg(path));
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(
        &fs::symlink_metadata(path).unwrap().file_type()
    ));
}

#[test]
fn control_copy_of_the_case_verifies_under_the_limits() {
    let (t, case, bundle) = copy_case();
    let (out, report) = verify_limited(&[os(&case)], t.path());
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(report["ok"], true);
    let (out, _) = verify_limited(
        &[
            os(&bundle),
            "--trust-key".into(),
            public_key_b64(&fix().env.key).into(),
        ],
        t.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}

// ---------------------------------------------------------------------------------------------
// hole 7: special files in a bundle
// ---------------------------------------------------------------------------------------------

/// A FIFO in place of capture.json (read whole by verify) and of bag-info.txt (a tag file):
/// opening either for reading blocks forever unless verify checks the type first.
#[test]
fn fifo_in_a_bundle_is_named_and_verify_ends_promptly() {
    let (t, case, bundle) = copy_case();
    make_fifo(&bundle.join("data/capture.json"));
    make_fifo(&bundle.join("bag-info.txt"));
    let (out, report) = verify_limited(&[os(&case)], t.path());
    assert_problem(&out, &report, "data/capture.json", "not a regular file");
    assert_problem(&out, &report, "bag-info.txt", "not a regular file");
    // No follow-on claims the data does not show: the tag manifests are not blamed for the
    // unread bag-info.txt, nor capture.json for naming no officer.
    for (p, m) in problems(&report) {
        assert!(
            !p.contains("tagmanifest-") && !m.contains("capture.json says"),
            "{p}: {m}\n{}",
            describe(&out)
        );
    }
}

/// A FIFO in place of the case's custody log and a link to /dev/zero in place of case.toml.
#[test]
fn fifo_custody_log_and_linked_case_file_are_named_and_verify_ends_promptly() {
    let (t, case, _) = copy_case();
    make_fifo(&case.join("custody.jsonl"));
    fs::remove_file(case.join("case.toml")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", case.join("case.toml")).unwrap();
    let (out, report) = verify_limited(&[os(&case)], t.path());
    assert_problem(&out, &report, "custody.jsonl", "not a regular file");
    assert_problem(&out, &report, "case.toml", "not a regular file");
}

/// Links to /dev/zero in place of a tag file (read whole) and of the WARC (hashed, streamed):
/// followed, the first eats all memory and the second never ends.
#[test]
fn symlink_to_dev_zero_is_named_and_not_read() {
    let (t, case, bundle) = copy_case();
    for name in ["bag-info.txt", "data/capture.warc.gz"] {
        fs::remove_file(bundle.join(name)).unwrap();
        std::os::unix::fs::symlink("/dev/zero", bundle.join(name)).unwrap();
    }
    let (out, report) = verify_limited(&[os(&case)], t.path());
    assert_problem(&out, &report, "bag-info.txt", "not a regular file");
    assert_problem(&out, &report, "data/capture.warc.gz", "not a regular file");
}

/// A regular but oversized tag file is refused without reading it into memory.
#[test]
fn oversized_tag_file_is_named_not_slurped() {
    let (t, case, bundle) = copy_case();
    let f = fs::File::options()
        .append(true)
        .open(bundle.join("bagit.txt"))
        .unwrap();
    f.set_len(8 << 30).unwrap(); // sparse: 8 GiB, over the 4 GiB the child may map
    let (out, report) = verify_limited(&[os(&case)], t.path());
    assert_problem(&out, &report, "bagit.txt", "larger than");
}

// ---------------------------------------------------------------------------------------------
// hole 7: zips
// ---------------------------------------------------------------------------------------------

/// Zips `case` as `case/...` entries (deflated); `extra` entries are appended.
fn zip_case(case: &Path, zip_path: &Path, extra: &[(&str, &[u8])]) {
    use zip::write::SimpleFileOptions;
    let mut zw = zip::ZipWriter::new(fs::File::create(zip_path).unwrap());
    let opts = SimpleFileOptions::default();
    for r in list_files(case) {
        zw.start_file(format!("case/{r}"), opts).unwrap();
        zw.write_all(&read(&case.join(&r))).unwrap();
    }
    for (name, bytes) in extra {
        zw.start_file(*name, opts).unwrap();
        zw.write_all(bytes).unwrap();
    }
    zw.finish().unwrap();
}

fn tmp_is_empty(tmp: &Path) -> bool {
    fs::read_dir(tmp).unwrap().next().is_none()
}

#[test]
fn control_zip_of_the_case_verifies() {
    let t = tmpdir();
    let z = t.path().join("case.zip");
    zip_case(&fix().case, &z, &[]);
    let tmp = t.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    let (out, report) = verify_limited(&[os(&z)], &tmp);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(report["ok"], true);
    assert!(
        tmp_is_empty(&tmp),
        "verify left files in its temporary folder"
    );
    // The archive the user names may be a link to it.
    let link = t.path().join("link.zip");
    std::os::unix::fs::symlink(&z, &link).unwrap();
    let (out, _) = verify_limited(&[os(&link)], &tmp);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}

/// A zip of the case plus one 512 MiB entry of zeros (about 0.5 MB deflated, ratio ~1000): it
/// is refused before anything is written (the child may write no file over 64 MiB), and verify
/// finishes and cleans up.
#[test]
fn zip_bomb_entry_is_refused_before_extraction() {
    let t = tmpdir();
    let z = t.path().join("bomb.zip");
    let zeros = vec![0u8; 512 << 20];
    zip_case(&fix().case, &z, &[("case/evidence/zeros.bin", &zeros)]);
    drop(zeros);
    let zip_len = fs::metadata(&z).unwrap().len();
    assert!(zip_len < 4 << 20, "the bomb is {zip_len} bytes");
    let tmp = t.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    let (out, report) = verify_limited(&[os(&z)], &tmp);
    assert_problem(&out, &report, "bomb.zip", "more than 100 times");
    assert!(
        problems(&report)
            .iter()
            .any(|(_, m)| m.contains("case/evidence/zeros.bin")),
        "the problem must name the entry\n{}",
        describe(&out)
    );
    assert!(
        tmp_is_empty(&tmp),
        "verify left files in its temporary folder"
    );
}

/// An entry whose headers declare 1000 bytes but whose deflated data (0.5 MB) expands to
/// 512 MiB: the declared sizes pass every limit, so only the bound while writing stops it (the
/// child may write no file over 64 MiB).
#[test]
fn zip_entry_expanding_beyond_its_declared_size_is_stopped_while_writing() {
    let t = tmpdir();
    let z = t.path().join("liar.zip");
    let zeros = vec![0u8; 512 << 20];
    let name = "case/evidence/liar.bin";
    zip_case(&fix().case, &z, &[(name, &zeros)]);
    drop(zeros);
    let mut bytes = read(&z);
    let mut patched = 0;
    for (sig, name_at, size_at) in [(b"PK\x03\x04", 30, 22), (b"PK\x01\x02", 46, 24)] {
        let at = (0..bytes.len() - name_at - name.len())
            .find(|&i| {
                &bytes[i..i + 4] == sig
                    && &bytes[i + name_at..i + name_at + name.len()] == name.as_bytes()
            })
            .expect("the entry's header");
        assert_eq!(
            u32::from_le_bytes(bytes[at + size_at..at + size_at + 4].try_into().unwrap()),
            512 << 20
        );
        bytes[at + size_at..at + size_at + 4].copy_from_slice(&1000u32.to_le_bytes());
        patched += 1;
    }
    assert_eq!(patched, 2);
    fs::write(&z, &bytes).unwrap();
    let tmp = t.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    let (out, report) = verify_limited(&[os(&z)], &tmp);
    assert_problem(
        &out,
        &report,
        "liar.zip",
        "beyond the 1000 bytes its header declares",
    );
    assert!(
        tmp_is_empty(&tmp),
        "verify left files in its temporary folder"
    );
}

/// Many entries each under the per-entry ratio floor (1 MiB of zeros each, 300 MiB in all from
/// a zip of about 0.3 MB): refused by the archive's total.
#[test]
fn zip_of_many_small_bomb_entries_is_refused_by_its_total() {
    let t = tmpdir();
    let z = t.path().join("many.zip");
    let zeros = vec![0u8; 1 << 20];
    let names: Vec<String> = (0..300)
        .map(|i| format!("case/evidence/z{i:03}.bin"))
        .collect();
    let extra: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &zeros[..])).collect();
    zip_case(&fix().case, &z, &extra);
    let tmp = t.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    let (out, report) = verify_limited(&[os(&z)], &tmp);
    assert_problem(&out, &report, "many.zip", "would expand from");
    assert!(
        tmp_is_empty(&tmp),
        "verify left files in its temporary folder"
    );
}

/// The zip of the case with one more local entry (`case/evidence/<id>/data/note.txt`) spliced in
/// just before the central directory, which does not list it. Streaming unzip tools show it;
/// tools that read the central directory do not.
#[test]
fn hidden_local_zip_entry_is_refused() {
    let t = tmpdir();
    let z = t.path().join("hidden.zip");
    zip_case(&fix().case, &z, &[]);
    // A one-entry zip whose local entry is cut out and spliced in.
    let hidden_name = format!("case/evidence/{}/data/note.txt", fix().id);
    let donor = t.path().join("donor.zip");
    {
        use zip::write::SimpleFileOptions;
        let mut zw = zip::ZipWriter::new(fs::File::create(&donor).unwrap());
        zw.start_file(
            hidden_name.as_str(),
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored),
        )
        .unwrap();
        zw.write_all(b"the seller confessed\n").unwrap();
        zw.finish().unwrap();
    }
    let donor = read(&donor);
    let donor_cd = eocd_cd_offset(&donor);
    let local = &donor[..donor_cd]; // the local header and data of the one entry
    let mut bytes = read(&z);
    let cd = eocd_cd_offset(&bytes);
    let mut spliced = bytes[..cd].to_vec();
    spliced.extend_from_slice(local);
    spliced.extend_from_slice(&bytes[cd..]);
    let eocd = spliced
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .unwrap();
    let new_cd = (cd + local.len()) as u32;
    spliced[eocd + 16..eocd + 20].copy_from_slice(&new_cd.to_le_bytes());
    bytes = spliced;
    fs::write(&z, &bytes).unwrap();

    // The attack is well made: the central directory does not list the entry and the archive
    // opens, but a streaming reader sees it.
    let mut archive = zip::ZipArchive::new(fs::File::open(&z).unwrap()).unwrap();
    assert!(archive.by_name(&hidden_name).is_err());
    let mut stream = std::io::Cursor::new(&bytes);
    let mut streamed = Vec::new();
    while let Some(f) = zip::read::read_zipfile_from_stream(&mut stream).unwrap() {
        streamed.push(f.name().to_string());
    }
    assert!(streamed.contains(&hidden_name), "{streamed:?}");

    let tmp = t.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    let (out, report) = verify_limited(&[os(&z)], &tmp);
    assert_problem(
        &out,
        &report,
        "hidden.zip",
        "central directory does not list",
    );
}

/// Offset of the central directory, from the end-of-central-directory record.
fn eocd_cd_offset(bytes: &[u8]) -> usize {
    let eocd = bytes.windows(4).rposition(|w| w == b"PK\x05\x06").unwrap();
    u32::from_le_bytes(bytes[eocd + 16..eocd + 20].try_into().unwrap()) as usize
}

/// An entry named `../escaped.txt` must not be written outside the temporary folder.
#[test]
fn zip_entry_with_dotdot_is_refused_and_nothing_escapes() {
    let t = tmpdir();
    let z = t.path().join("dotdot.zip");
    zip_case(&fix().case, &z, &[("case/../../escaped.txt", b"planted\n")]);
    let tmp = t.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    let (out, report) = verify_limited(&[os(&z)], &tmp);
    assert_problem(&out, &report, "dotdot.zip", "points outside the archive");
    assert!(!t.path().join("escaped.txt").exists());
    assert!(!tmp.join("escaped.txt").exists());
    assert!(tmp_is_empty(&tmp));
}

/// A symbolic-link entry (pointing at the custody log of the case) is refused.
#[test]
fn zip_symlink_entry_is_refused() {
    use zip::write::SimpleFileOptions;
    let t = tmpdir();
    let z = t.path().join("link.zip");
    {
        let mut zw = zip::ZipWriter::new(fs::File::create(&z).unwrap());
        let opts = SimpleFileOptions::default();
        for r in list_files(&fix().case) {
            if r == "custody.jsonl" {
                continue;
            }
            zw.start_file(format!("case/{r}"), opts).unwrap();
            zw.write_all(&read(&fix().case.join(&r))).unwrap();
        }
        zw.add_symlink("case/custody.jsonl", "/etc/passwd", opts)
            .unwrap();
        zw.finish().unwrap();
    }
    let tmp = t.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    let (out, report) = verify_limited(&[os(&z)], &tmp);
    assert_problem(&out, &report, "link.zip", "symbolic link");
    assert!(tmp_is_empty(&tmp));
}

// ---------------------------------------------------------------------------------------------
// hole 10: signature.pub.pem re-spelled
// ---------------------------------------------------------------------------------------------

/// signature.pub.pem rewritten with CRLF line ends (another valid PEM of the same key) and the
/// tag manifests recomputed: everything else still holds, so only the exact-bytes rule sees it.
#[test]
fn respelled_signature_pub_pem_with_recomputed_tag_manifests_is_detected() {
    let (t, case, bundle) = copy_case();
    // Control: retagging alone changes nothing.
    retag(&bundle);
    let (out, _) = verify_limited(&[os(&case)], t.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "retagged copy\n{}",
        describe(&out)
    );

    let pem_path = bundle.join("signature.pub.pem");
    let pem = read_string(&pem_path);
    let respelled = pem.replace('\n', "\r\n");
    assert_ne!(pem, respelled);
    fs::write(&pem_path, &respelled).unwrap();
    // Still the same key, as openssl reads it.
    let der = |p: &Path| {
        run_ok(
            openssl()
                .args(["pkey", "-pubin", "-outform", "DER", "-in"])
                .arg(p),
        )
        .stdout
    };
    let orig = t.path().join("orig.pem");
    fs::write(&orig, &pem).unwrap();
    assert_eq!(der(&pem_path), der(&orig));
    // The genuine file is exactly what openssl prints for the key (the by-hand check in the
    // README), and the re-spelled one is not.
    let printed = |p: &Path| run_ok(openssl().args(["pkey", "-pubin", "-in"]).arg(p)).stdout;
    assert_eq!(printed(&orig), pem.as_bytes());
    assert_ne!(printed(&pem_path), respelled.as_bytes());
    retag(&bundle);
    let (out, report) = verify_limited(&[os(&case)], t.path());
    assert_problem(&out, &report, "signature.pub.pem", "exact PEM");
}

// ---------------------------------------------------------------------------------------------
// hole 10: officer keys and --tsa-ca
// ---------------------------------------------------------------------------------------------

fn capture_with_key(env: &TestEnv, case: &Path, key: &Path) -> Output {
    env.warden()
        .env("WARDEN_KEY", key)
        .arg("--case")
        .arg(case)
        .args(["capture", "http://127.0.0.1:9/never-fetched", "--json"])
        .output()
        .unwrap()
}

/// One line on stderr, naming `path` and containing `words`; exit non-zero, custody untouched.
fn assert_key_refused(out: &Output, case: &Path, before: &[u8], path: &Path, words: &str) {
    assert!(!out.status.success(), "{}", describe(out));
    assert!(out.status.code() != Some(0) && out.status.code() != Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected\n{}", describe(out));
    assert!(
        lines[0].contains(&path.display().to_string()),
        "{}",
        describe(out)
    );
    assert!(lines[0].contains(words), "{}", describe(out));
    assert_eq!(
        read(&case.join("custody.jsonl")),
        before,
        "custody.jsonl changed"
    );
    assert!(evidence_entries(case).len() <= 1, "a bundle was written");
}

#[test]
fn world_readable_key_is_refused_for_capture() {
    let (_t, case, _) = copy_case();
    let before = read(&case.join("custody.jsonl"));
    let key = fix().env.path().join("keys").join("open-key.pem");
    fs::copy(&fix().env.key, &key).unwrap();
    set_mode(&key, 0o644);
    let out = capture_with_key(&fix().env, &case, &key);
    assert_key_refused(
        &out,
        &case,
        &before,
        &key,
        &format!("chmod 600 {}", key.display()),
    );
    // Control: the same key, made private, is accepted (the capture itself then fails on the
    // closed port, which is not a key error).
    set_mode(&key, 0o600);
    let out = capture_with_key(&fix().env, &case, &key);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("chmod"),
        "{}",
        describe(&out)
    );
}

#[test]
fn text_key_file_gives_a_clear_error_naming_the_file() {
    let (_t, case, _) = copy_case();
    let before = read(&case.join("custody.jsonl"));
    let key = fix().env.path().join("keys").join("text-key.txt");
    fs::write(&key, "my password is hunter2\n").unwrap();
    set_mode(&key, 0o600);
    let out = capture_with_key(&fix().env, &case, &key);
    assert_key_refused(&out, &case, &before, &key, "no PEM block");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("NUL"));
}

#[test]
fn garbage_tsa_ca_is_refused_at_startup() {
    let t = tmpdir();
    let garbage = t.path().join("garbage.pem");
    fs::write(&garbage, "garbage\n").unwrap();
    let out = fix().env.verify([
        os(&fix().case),
        "--no-record".into(),
        "--tsa-ca".into(),
        os(&garbage),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{}", describe(&out));
    assert!(
        lines[0].contains(&garbage.display().to_string()),
        "{}",
        describe(&out)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("verified"));
}

// ---------------------------------------------------------------------------------------------
// the page check, made while the WARC's digests are checked (one read, a second thread)
// ---------------------------------------------------------------------------------------------

/// capture.json names a response record the WARC does not hold: the page check says so and
/// verify ends (the thread deriving the page is never fed and must not be waited for forever).
#[test]
fn page_check_names_a_response_record_missing_from_the_warc_and_ends() {
    let (t, case, bundle) = copy_case();
    let path = bundle.join("data/capture.json");
    let mut doc = read_json(&path);
    let missing = "<urn:uuid:00000000-0000-4000-8000-000000000000>";
    let hops = doc["hops"].as_array_mut().expect("hops");
    hops.last_mut().expect("a hop")["warc_response_record_id"] = missing.into();
    fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let (out, report) = verify_limited(&[os(&case)], t.path());
    assert_problem(
        &out,
        &report,
        "data/page.html",
        &format!("the WARC has no record {missing}"),
    );
}

/// A WARC cut short before its response record: the digest check and the page comparison both
/// say they could not be made, and verify ends.
#[test]
fn warc_cut_before_the_response_record_stops_the_page_comparison() {
    let (t, case, bundle) = copy_case();
    let warc = bundle.join("data/capture.warc.gz");
    let bytes = fs::read(&warc).unwrap();
    fs::write(&warc, &bytes[..40]).unwrap();
    let (out, report) = verify_limited(&[os(&case)], t.path());
    assert_problem(
        &out,
        &report,
        "data/capture.warc.gz",
        "cannot be read as a gzipped WARC",
    );
    assert_problem(
        &out,
        &report,
        "data/capture.warc.gz",
        "cannot compare the page with the WARC",
    );
}
