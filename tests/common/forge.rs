//! Helpers that forge evidence the way an attacker would (re-signed custody lines, recomputed
//! manifests) and read `warden verify --json` verdicts, for the tests that build attacks.

use super::*;
use std::ffi::OsString;

/// `warden verify --json` output, parsed.
pub struct Verdict {
    pub out: Output,
    pub report: Value,
}

impl Verdict {
    pub fn problems(&self) -> Vec<(String, String)> {
        self.report["problems"]
            .as_array()
            .unwrap_or_else(|| panic!("verify --json has no problems array\n{}", self.describe()))
            .iter()
            .map(|p| {
                (
                    p["path"].as_str().unwrap_or("").to_string(),
                    p["message"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    pub fn describe(&self) -> String {
        describe(&self.out)
    }

    /// Exit 0, verdict `verified`, no problem.
    pub fn assert_ok(&self, what: &str) {
        assert_eq!(
            self.out.status.code(),
            Some(0),
            "{what}: verify must pass\n{}",
            self.describe()
        );
        assert_eq!(self.report["ok"], true, "{what}\n{}", self.describe());
        assert_eq!(
            self.report["verdict"],
            "verified",
            "{what}\n{}",
            self.describe()
        );
    }

    /// No problem in a case that holds no bundle yet: exit 1, verdict `nothing-to-verify`.
    pub fn assert_sound_but_empty(&self, what: &str) {
        assert_eq!(
            self.out.status.code(),
            Some(1),
            "{what}\n{}",
            self.describe()
        );
        assert_eq!(self.report["ok"], true, "{what}\n{}", self.describe());
        assert_eq!(
            self.report["verdict"],
            "nothing-to-verify",
            "{what}\n{}",
            self.describe()
        );
    }

    /// Exit 1 and a problem whose path ends with `/suffix`.
    pub fn assert_names(&self, what: &str, suffix: &str) {
        let tail = format!("/{suffix}");
        self.assert_problem(what, |p, _| p.ends_with(&tail));
    }

    /// Exit 1 and a problem for which `names(path, message)` holds.
    pub fn assert_problem(&self, what: &str, names: impl Fn(&str, &str) -> bool) {
        assert_eq!(
            self.out.status.code(),
            Some(1),
            "{what}: verify must exit 1\n{}",
            self.describe()
        );
        assert_eq!(self.report["ok"], false, "{what}\n{}", self.describe());
        assert!(
            self.problems().iter().any(|(p, m)| names(p, m)),
            "{what}: no problem names the expected file or fact\n{}",
            self.describe()
        );
    }
}

/// `warden verify --json --no-record ARGS...` in `env`: a check that leaves the case as
/// it is, so tests can look at the case before and after (a verify by an officer that records
/// itself is tested in tests/custody_record.rs).
pub fn verify_json<I, S>(env: &TestEnv, args: I) -> Verdict
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let mut argv: Vec<OsString> = args.into_iter().map(Into::into).collect();
    argv.push("--json".into());
    argv.push("--no-record".into());
    let out = env.verify(argv);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "verify --json did not print one JSON document ({e})\n{}",
            describe(&out)
        )
    });
    Verdict { out, report }
}

pub fn sha512_hex(b: &[u8]) -> String {
    use sha2::Sha512;
    hex::encode(Sha512::digest(b))
}

/// The Ed25519 signing key in a PKCS#8 PEM file.
pub fn signing_key(pem: &Path) -> ed25519_dalek::SigningKey {
    use ed25519_dalek::pkcs8::DecodePrivateKey as _;
    ed25519_dalek::SigningKey::from_pkcs8_pem(&read_string(pem))
        .unwrap_or_else(|e| panic!("{}: {e}", pem.display()))
}

/// The custody fields before `sig`, in contract order.
pub const UNSIGNED_FIELDS: [&str; 9] = [
    "seq",
    "time",
    "officer",
    "public_key",
    "action",
    "bundle",
    "manifest_sha256",
    "details",
    "prev",
];

/// Serialises `fields` (any order) as a custody line signed by `sk`: the unsigned object in
/// contract order, then `,"sig":"..."}`. No newline.
pub fn signed_line(fields: &Value, sk: &ed25519_dalek::SigningKey) -> String {
    use ed25519_dalek::Signer as _;
    let parts: Vec<String> = UNSIGNED_FIELDS
        .iter()
        .map(|f| format!("\"{f}\":{}", serde_json::to_string(&fields[*f]).unwrap()))
        .collect();
    let body = format!("{{{}}}", parts.join(","));
    let sig = b64().encode(sk.sign(body.as_bytes()).to_bytes());
    format!("{},\"sig\":\"{sig}\"}}", &body[..body.len() - 1])
}

pub fn custody_lines(case: &Path) -> Vec<String> {
    read_string(&case.join("custody.jsonl"))
        .lines()
        .map(str::to_string)
        .collect()
}

pub fn write_custody(case: &Path, lines: &[String]) {
    fs::write(
        case.join("custody.jsonl"),
        format!("{}\n", lines.join("\n")),
    )
    .unwrap();
}

/// Appends a custody line signed by `sk` (officer `officer`), chained to the current last line.
pub fn append_forged_event(
    case: &Path,
    sk: &ed25519_dalek::SigningKey,
    officer: &str,
    action: &str,
    bundle: Option<&str>,
    manifest_sha256: Option<&str>,
    details: Value,
) {
    let mut lines = custody_lines(case);
    let last: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    let v = serde_json::json!({
        "seq": last["seq"].as_u64().unwrap() + 1,
        "time": "2026-11-30T12:00:00.000Z",
        "officer": officer,
        "public_key": b64().encode(sk.verifying_key().as_bytes()),
        "action": action,
        "bundle": bundle,
        "manifest_sha256": manifest_sha256,
        "details": details,
        "prev": sha256_hex(lines.last().unwrap().as_bytes()),
    });
    lines.push(signed_line(&v, sk));
    write_custody(case, &lines);
}

/// Re-computes both payload manifests over `data/`.
pub fn remanifest(bundle: &Path) {
    let mut files = list_files(&bundle.join("data"));
    files.sort();
    for (alg, digest) in [
        ("sha256", sha256_hex as fn(&[u8]) -> String),
        ("sha512", sha512_hex),
    ] {
        let mut text = String::new();
        for f in &files {
            text.push_str(&format!(
                "{}  data/{f}\n",
                digest(&read(&bundle.join("data").join(f)))
            ));
        }
        fs::write(bundle.join(format!("manifest-{alg}.txt")), text).unwrap();
    }
}

/// Re-computes both tag manifests over every top-level file of the bundle.
pub fn retag(bundle: &Path) {
    let mut names: Vec<String> = fs::read_dir(bundle)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("tagmanifest-"))
        .collect();
    names.sort();
    for (alg, digest) in [
        ("sha256", sha256_hex as fn(&[u8]) -> String),
        ("sha512", sha512_hex),
    ] {
        let mut text = String::new();
        for n in &names {
            text.push_str(&format!("{}  {n}\n", digest(&read(&bundle.join(n)))));
        }
        fs::write(bundle.join(format!("tagmanifest-{alg}.txt")), text).unwrap();
    }
}

/// Rewrites `data/page.html` of a bundle with `html` and re-seals it with `sk` the way a
/// careful forger would: capture.json's file hash, Payload-Oxum, manifests, signature,
/// public key and tag manifests all follow. Returns the new manifest-sha256.txt SHA-256.
pub fn reseal_with_page(bundle: &Path, html: &str, sk: &ed25519_dalek::SigningKey) -> String {
    use ed25519_dalek::Signer as _;
    let page = bundle.join("data/page.html");
    fs::write(&page, html).unwrap();
    let mut cj = read_json(&bundle.join("data/capture.json"));
    let new_sha = sha256_file(&page);
    for f in cj["files"].as_array_mut().unwrap() {
        if f["path"] == "data/page.html" {
            f["sha256"] = new_sha.clone().into();
            f["size"] = (fs::metadata(&page).unwrap().len()).into();
        }
    }
    fs::write(
        bundle.join("data/capture.json"),
        serde_json::to_vec_pretty(&cj).unwrap(),
    )
    .unwrap();
    let data = bundle.join("data");
    let total: u64 = list_files(&data)
        .iter()
        .map(|f| fs::metadata(data.join(f)).unwrap().len())
        .sum();
    let n = list_files(&data).len();
    let info: String = read_string(&bundle.join("bag-info.txt"))
        .lines()
        .map(|l| {
            if l.starts_with("Payload-Oxum:") {
                format!("Payload-Oxum: {total}.{n}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    fs::write(bundle.join("bag-info.txt"), info).unwrap();
    remanifest(bundle);
    let manifest = read(&bundle.join("manifest-sha256.txt"));
    fs::write(
        bundle.join("signature.ed25519"),
        sk.sign(&manifest).to_bytes(),
    )
    .unwrap();
    retag(bundle);
    sha256_hex(&manifest)
}
