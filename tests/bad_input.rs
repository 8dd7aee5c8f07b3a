//! Bad input: exit 2, exactly one `error: ...` line on stderr naming the input, nothing changed.

mod common;

use std::fs;
use std::process::Output;
use std::sync::LazyLock;

use common::*;

static HTTP: LazyLock<TestServer> = LazyLock::new(|| TestServer::http(standard_routes()));

/// Exit 2 and a single stderr line starting with `error:` that contains `names` (if given).
fn assert_usage_error(out: &Output, names: Option<&str>) {
    assert_eq!(
        out.status.code(),
        Some(2),
        "bad input must exit 2\n{}",
        describe(out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "stderr must be exactly one line\n{}",
        describe(out)
    );
    assert!(
        lines[0].starts_with("error:"),
        "stderr must start with `error:`\n{}",
        describe(out)
    );
    if let Some(n) = names {
        assert!(
            lines[0].contains(n),
            "the error line must name the input {n:?}\n{}",
            describe(out)
        );
    }
}

/// Runs `warden --case CASE capture ARGS` on a fresh case and checks the case did not change.
fn capture_rejected(args: &[&str], names: Option<&str>) {
    let env = TestEnv::new();
    let case = env.new_case();
    let before = tree_digest(&case);
    let out = env
        .warden()
        .arg("--case")
        .arg(&case)
        .arg("capture")
        .args(args)
        .output()
        .unwrap();
    assert_usage_error(&out, names);
    assert_eq!(
        tree_digest(&case),
        before,
        "the case folder changed after rejected input {args:?}"
    );
}

#[test]
fn malformed_url_is_rejected() {
    capture_rejected(&["not a url"], Some("not a url"));
}

#[test]
fn url_with_invalid_port_is_rejected() {
    capture_rejected(&["http://127.0.0.1:99999/plain"], Some("127.0.0.1:99999"));
}

#[test]
fn unsupported_scheme_is_rejected() {
    capture_rejected(
        &["ftp://127.0.0.1/listing.txt"],
        Some("ftp://127.0.0.1/listing.txt"),
    );
}

#[test]
fn malformed_url_among_good_ones_rejects_the_whole_batch() {
    let good = HTTP.url("/plain");
    capture_rejected(
        &[&good, "http://127.0.0.1:99999/x", &HTTP.url("/gbk")],
        Some("127.0.0.1:99999"),
    );
}

#[test]
fn malformed_url_inside_from_file_is_rejected() {
    let env = TestEnv::new();
    let case = env.new_case();
    let list = env.path().join("urls.txt");
    fs::write(
        &list,
        format!("# batch\n{}\nftp://127.0.0.1/nope\n", HTTP.url("/plain")),
    )
    .unwrap();
    let before = tree_digest(&case);
    let out = env
        .warden()
        .arg("--case")
        .arg(&case)
        .args(["capture", "--from-file"])
        .arg(&list)
        .output()
        .unwrap();
    assert_usage_error(&out, Some("ftp://127.0.0.1/nope"));
    assert_eq!(tree_digest(&case), before, "the case folder changed");
}

#[test]
fn missing_from_file_is_rejected() {
    let env = TestEnv::new();
    let missing = env.path().join("no-such-list.txt");
    capture_rejected_with(
        &env,
        &["--from-file", missing.to_str().unwrap()],
        Some(missing.to_str().unwrap()),
    );
}

#[test]
fn unreadable_from_file_is_rejected() {
    // a directory cannot be read as a file (chmod 000 is no obstacle for root)
    let env = TestEnv::new();
    let dir = env.path().join("a-directory.txt");
    fs::create_dir_all(&dir).unwrap();
    capture_rejected_with(
        &env,
        &["--from-file", dir.to_str().unwrap()],
        Some(dir.to_str().unwrap()),
    );
}

fn capture_rejected_with(env: &TestEnv, args: &[&str], names: Option<&str>) {
    let case = env.new_case();
    let before = tree_digest(&case);
    let out = env
        .warden()
        .arg("--case")
        .arg(&case)
        .arg("capture")
        .args(args)
        .output()
        .unwrap();
    assert_usage_error(&out, names);
    assert_eq!(
        tree_digest(&case),
        before,
        "the case folder changed after rejected input {args:?}"
    );
}

#[test]
fn missing_case_dir_is_rejected_and_not_created() {
    let env = TestEnv::new();
    let missing = env.path().join("no-such-case");
    let out = env
        .warden()
        .arg("--case")
        .arg(&missing)
        .args(["capture", &HTTP.url("/plain")])
        .output()
        .unwrap();
    assert_usage_error(&out, Some(missing.to_str().unwrap()));
    assert!(!missing.exists(), "capture created the missing case dir");
}

#[test]
fn missing_case_via_env_is_rejected() {
    let env = TestEnv::new();
    let missing = env.path().join("no-such-case-env");
    let out = env
        .warden()
        .env("WARDEN_CASE", &missing)
        .args(["capture", &HTTP.url("/plain")])
        .output()
        .unwrap();
    assert_usage_error(&out, Some(missing.to_str().unwrap()));
    assert!(!missing.exists(), "capture created the missing case dir");
}

#[test]
fn no_case_in_current_dir_is_rejected() {
    let env = TestEnv::new();
    let before = tree_digest(&env.work);
    let out = env
        .warden()
        .args(["capture", &HTTP.url("/plain")])
        .output()
        .unwrap();
    assert_usage_error(&out, None);
    assert_eq!(
        tree_digest(&env.work),
        before,
        "capture wrote into a folder that is not a case"
    );
}

#[test]
fn folder_that_is_not_a_case_is_rejected_and_unchanged() {
    let env = TestEnv::new();
    let dir = env.path().join("holiday-photos");
    fs::create_dir_all(dir.join("evidence")).unwrap();
    fs::write(dir.join("notes.txt"), "not a case").unwrap();
    fs::write(dir.join("evidence").join("img.jpg"), [0xffu8, 0xd8, 0xff]).unwrap();
    let before = tree_digest(&dir);
    let out = env
        .warden()
        .arg("--case")
        .arg(&dir)
        .args(["capture", &HTTP.url("/plain")])
        .output()
        .unwrap();
    assert_usage_error(&out, Some(dir.to_str().unwrap()));
    assert_eq!(tree_digest(&dir), before, "a non-case folder was changed");
}

#[test]
fn verify_of_a_missing_path_is_rejected() {
    let env = TestEnv::new();
    let missing = env.path().join("nothing-here");
    let out = env.verify([&missing]);
    assert_usage_error(&out, Some(missing.to_str().unwrap()));
}

#[test]
fn verify_of_a_folder_that_is_not_a_case_is_rejected() {
    let env = TestEnv::new();
    let dir = env.path().join("random");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("readme.txt"), "hello").unwrap();
    let before = tree_digest(&dir);
    let out = env.verify([&dir]);
    assert_usage_error(&out, Some(dir.to_str().unwrap()));
    assert_eq!(tree_digest(&dir), before);
}

#[test]
fn nothing_to_capture_is_rejected() {
    let env = TestEnv::new();
    let case = env.new_case();
    let list = env.path().join("empty.txt");
    fs::write(&list, "# only comments\n\n").unwrap();
    let before = tree_digest(&case);
    let out = env
        .warden()
        .arg("--case")
        .arg(&case)
        .args(["capture", "--from-file"])
        .arg(&list)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "no URL at all is bad input\n{}",
        describe(&out)
    );
    assert_eq!(tree_digest(&case), before);
}

#[test]
fn rejected_input_never_reaches_the_server() {
    let env = TestEnv::new();
    let case = env.new_case();
    let probe = HTTP.url("/item/should-not-be-fetched");
    let out = env
        .warden()
        .arg("--case")
        .arg(&case)
        .args(["capture", &probe, "gopher://127.0.0.1/x"])
        .output()
        .unwrap();
    assert_usage_error(&out, Some("gopher://127.0.0.1/x"));
    assert!(
        !HTTP
            .requests()
            .iter()
            .any(|r| r.path() == "/item/should-not-be-fetched"),
        "warden fetched a URL from a batch it rejected"
    );
}

#[test]
fn line_break_inside_a_url_argument_is_refused_not_dropped() {
    // The url crate silently drops CR, LF and TAB: this would fetch
    // "/innocentX-Injected:%20yes" instead of refusing.
    let server = TestServer::http(standard_routes());
    for (bad, what) in [
        (
            format!("{}\r\nX-Injected: yes", server.url("/innocent")),
            "carriage return",
        ),
        (format!("{}\nsecond", server.url("/innocent")), "line feed"),
        (format!("{}\tx", server.url("/innocent")), "tab"),
    ] {
        capture_rejected(&[&bad], Some(what));
    }
    assert!(
        server.requests().is_empty(),
        "a URL with a control character was fetched: {:?}",
        server.requests()
    );
}

#[test]
fn url_without_a_scheme_gets_the_https_form_suggested() {
    capture_rejected(
        &["marketplace.example/listing/1042"],
        Some("did you mean \"https://marketplace.example/listing/1042\"?"),
    );
    capture_rejected(
        &["marketplace.example:8443/x"],
        Some("did you mean \"https://marketplace.example:8443/x\"?"),
    );
}

#[test]
fn hundred_megabyte_single_line_url_file_is_refused_naming_file_and_line() {
    let env = TestEnv::new();
    let list = env.path().join("huge.txt");
    {
        let mut f = std::io::BufWriter::new(fs::File::create(&list).unwrap());
        use std::io::Write as _;
        f.write_all(HTTP.url("/plain?q=").as_bytes()).unwrap();
        let block = vec![b'a'; 1 << 20];
        for _ in 0..100 {
            f.write_all(&block).unwrap();
        }
    }
    let before_requests = HTTP.requests().len();
    capture_rejected_with(
        &env,
        &["--from-file", list.to_str().unwrap()],
        Some(&format!("{}:1: the line is longer than", list.display())),
    );
    assert_eq!(
        HTTP.requests().len(),
        before_requests,
        "nothing may be fetched"
    );
}

#[test]
fn over_long_url_on_a_later_line_is_refused_naming_that_line() {
    let env = TestEnv::new();
    let list = env.path().join("urls.txt");
    let long = format!("{}?q={}", HTTP.url("/plain"), "b".repeat(300 * 1024));
    fs::write(
        &list,
        format!("# batch\n{}\n{long}\t note\n", HTTP.url("/gbk")),
    )
    .unwrap();
    capture_rejected_with(
        &env,
        &["--from-file", list.to_str().unwrap()],
        Some(&format!("{}:3: the URL is", list.display())),
    );
}

#[test]
fn note_without_a_url_in_a_url_file_is_refused() {
    let env = TestEnv::new();
    let list = env.path().join("urls.txt");
    fs::write(&list, format!("{}\n\tjust a note\n", HTTP.url("/plain"))).unwrap();
    capture_rejected_with(
        &env,
        &["--from-file", list.to_str().unwrap()],
        Some(&format!("{}:2: a note without a URL", list.display())),
    );
}

#[test]
fn line_break_inside_proxy_or_tsa_url_is_refused() {
    capture_rejected(
        &[&HTTP.url("/plain"), "--proxy", "http://127.0.0.1:1\n/x"],
        Some("--proxy"),
    );
    capture_rejected(
        &[&HTTP.url("/plain"), "--tsa", "http://127.0.0.1:1/t\r\nsa"],
        Some("--tsa"),
    );
}
