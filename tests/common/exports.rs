//! Checks every `warden export` format must pass: refusing evidence that does not verify and
//! `--out` paths it must not write to.

use super::*;
use std::fs;

/// `warden --case CASE export KIND --out OUT`.
pub fn export_case(env: &TestEnv, kind: &str, case: &Path, out: &Path) -> Output {
    env.warden()
        .arg("--case")
        .arg(case)
        .args(["export", kind, "--out"])
        .arg(out)
        .output()
        .unwrap()
}

/// A copy of `case` whose bundle `id` has `file` changed is refused (exit 1, one line naming
/// the bundle) and nothing is written where the export was to go.
pub fn assert_refuses_tampered_copy(
    env: &TestEnv,
    kind: &str,
    case: &Path,
    id: &str,
    file: &str,
    ext: &str,
) {
    let dir = tmpdir();
    let copy = dir.path().join("copy");
    copy_dir(case, &copy);
    flip_byte(&copy.join("evidence").join(id).join(file));
    let out_dir = dir.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    let out = export_case(env, kind, &copy, &out_dir.join(format!("case.{ext}")));
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let text = output_text(&out);
    assert!(
        text.contains("refusing to export") && text.contains(id),
        "the refusal names the bundle:\n{text}"
    );
    assert_eq!(text.trim().lines().count(), 1, "one line:\n{text}");
    assert!(
        list_files(&out_dir).is_empty(),
        "an export was left behind: {:?}",
        list_files(&out_dir)
    );
}

/// An existing `--out` file is left untouched, an `--out` inside the case (which would make it
/// fail verification) and a name not ending in `.EXT` are refused (exit 2), and nothing else
/// is written.
pub fn assert_refuses_bad_out(env: &TestEnv, kind: &str, case: &Path, ext: &str, wrong_name: &str) {
    let dir = tmpdir();
    let existing = dir.path().join(format!("existing.{ext}"));
    fs::write(&existing, b"precious notes").unwrap();
    let out = export_case(env, kind, case, &existing);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        output_text(&out).contains("already exists"),
        "{}",
        describe(&out)
    );
    assert_eq!(read(&existing), b"precious notes");

    let before = tree_digest(case);
    for inside in [
        case.join(format!("case.{ext}")),
        case.join(format!("evidence/case.{ext}")),
    ] {
        let out = export_case(env, kind, case, &inside);
        assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
        assert!(output_text(&out).contains("inside"), "{}", describe(&out));
        assert_eq!(tree_digest(case), before, "the case changed");
    }

    let out = export_case(env, kind, case, &dir.path().join(wrong_name));
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        output_text(&out).contains(&format!(".{ext}")),
        "{}",
        describe(&out)
    );
    assert_eq!(list_files(dir.path()), vec![format!("existing.{ext}")]);
}
