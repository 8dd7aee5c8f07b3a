//! `case show`, `completions` and `man`: what they print is checked, and the shell script and
//! manual page are fed to the real bash and groff.

mod common;

use std::io::Write as _;
use std::process::{Command as StdCommand, Stdio};

use common::*;
use serde_json::Value;

#[test]
fn case_show_prints_identity_fingerprint_officers_and_exhibits() {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let (out, lines) = env.capture_json(&case, [http.url("/plain")]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let id = bundle_of(&lines[0])
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let first_line = read_string(&case.join("custody.jsonl"))
        .lines()
        .next()
        .unwrap()
        .to_string();
    let fingerprint = sha256_hex(first_line.as_bytes());
    let key = public_key_b64(&env.key);

    let out = env
        .warden()
        .arg("--case")
        .arg(&case)
        .args(["case", "show"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        CASE_ID,
        CASE_TITLE,
        CASE_AGENCY,
        OFFICER,
        &key,
        &fingerprint,
        &id,
    ] {
        assert!(text.contains(want), "case show lacks {want:?}:\n{text}");
    }
    assert!(text.contains("exhibits  1 (0 withdrawn)"), "{text}");
    let exhibit_line = text
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{CASE_ID}/0001")))
        .unwrap_or_else(|| panic!("no line for exhibit {CASE_ID}/0001:\n{text}"));
    assert!(exhibit_line.contains(&http.url("/plain")), "{exhibit_line}");
    assert!(exhibit_line.contains("ok"), "{exhibit_line}");

    let out = env
        .warden()
        .arg("--case")
        .arg(&case)
        .args(["case", "show", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["fingerprint"], fingerprint.as_str());
    assert_eq!(v["case"]["id"], CASE_ID);
    assert_eq!(v["officers"][0]["name"], OFFICER);
    assert_eq!(v["officers"][0]["public_key"], key.as_str());
    assert_eq!(v["bundles"], serde_json::json!([id]));
    assert_eq!(v["exhibits"][0]["number"], format!("{CASE_ID}/0001"));
    assert_eq!(v["exhibits"][0]["bundle"], id.as_str());
    assert_eq!(v["exhibits"][0]["url"], http.url("/plain"));
    assert_eq!(v["unrecorded"], serde_json::json!([]));
}

#[test]
fn bash_completion_script_parses_and_completes_subcommands() {
    let env = TestEnv::new();
    let out = env.warden().args(["completions", "bash"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let script = String::from_utf8(out.stdout).unwrap();
    for sub in ["capture", "verify", "sweep", "custody", "lists", "case"] {
        assert!(script.contains(sub), "completion lacks {sub}");
    }
    // bash parses it and, once sourced, completes `warden ver` to `verify`.
    let dir = tmpdir();
    let path = dir.path().join("warden.bash");
    std::fs::write(&path, &script).unwrap();
    let probe = format!(
        "source {}\nCOMP_WORDS=(warden ver); COMP_CWORD=1; COMP_LINE='warden ver'; COMP_POINT=10\n_warden warden ver warden\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        path.display()
    );
    let out = StdCommand::new("bash")
        .args(["--norc", "--noprofile", "-c", &probe])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let words = String::from_utf8_lossy(&out.stdout);
    assert!(
        words.lines().any(|w| w == "verify"),
        "completing `warden ver` gives {words:?}"
    );
}

#[test]
fn manual_page_renders_with_groff_without_warnings() {
    let env = TestEnv::new();
    let out = env.warden().arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let roff = out.stdout;
    assert!(String::from_utf8_lossy(&roff).contains(".TH warden 1"));
    let mut groff = StdCommand::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("groff is installed by scripts/test");
    groff.stdin.take().unwrap().write_all(&roff).unwrap();
    let res = groff.wait_with_output().unwrap();
    assert!(res.status.success(), "{}", describe(&res));
    assert!(
        res.stderr.is_empty(),
        "groff warnings: {}",
        String::from_utf8_lossy(&res.stderr)
    );
    let rendered = StdCommand::new("sh")
        .arg("-c")
        .arg("groff -man -Tutf8 | col -b")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map(|mut c| {
            c.stdin.take().unwrap().write_all(&roff).unwrap();
            c.wait_with_output().unwrap()
        })
        .unwrap();
    let text = String::from_utf8_lossy(&rendered.stdout);
    for want in [
        "NAME",
        "SYNOPSIS",
        "warden-capture",
        "warden-verify",
        "live animals\u{2026})",
    ] {
        assert!(text.contains(want), "man page lacks {want:?}:\n{text}");
    }
}
