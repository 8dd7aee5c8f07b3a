//! RFC 3161 time-stamping against test authorities on 127.0.0.1 (openssl `ts -reply` behind a
//! loopback HTTP handler): an authority that is down, one that answers with a token for another
//! digest, one that replays a token made for another request (same digest, another nonce),
//! chains with an intermediate CA, and TSA keys of other types (ECDSA P-256, RSA) checked with
//! `verify --tsa-ca`. Each token warden accepts is also checked by `openssl ts -verify`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use common::*;

#[derive(Clone, Copy, Debug)]
enum KeyKind {
    EcP256,
    Rsa2048,
}

impl KeyKind {
    fn newkey(self) -> &'static [&'static str] {
        match self {
            KeyKind::EcP256 => &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
            KeyKind::Rsa2048 => &["-newkey", "rsa:2048"],
        }
    }
}

/// How the test authority answers.
#[derive(Clone, Copy, Debug)]
enum Answer {
    /// `openssl ts -reply` to the request as sent.
    Honest,
    /// A token over another digest.
    WrongDigest,
    /// A token over the requested digest made for another request (another nonce), as a replay
    /// of an earlier answer would be.
    OtherRequest,
}

/// A throwaway PKI (root CA, optional intermediate CA, TSA certificate with critical EKU
/// timeStamping, all of one key type) and an authority serving POST /tsa.
struct TestTsa {
    server: TestServer,
    dir: tempfile::TempDir,
}

impl TestTsa {
    fn start(kind: KeyKind, intermediate: bool, answer: Answer) -> TestTsa {
        Self::start_with(kind, intermediate, answer, false)
    }

    /// With `expired`, the TSA certificate was valid only in the year 2000 (openssl still signs
    /// with it).
    fn start_with(kind: KeyKind, intermediate: bool, answer: Answer, expired: bool) -> TestTsa {
        let dir = tmpdir();
        let d = dir.path().to_path_buf();
        // The token carries the certificates listed in `certs` (the chain above the TSA).
        let cnf = TSA_CNF.replace("certs = $dir/ca.crt", "certs = $dir/chain.pem");
        assert_ne!(cnf, TSA_CNF, "the fixture config changed");
        fs::write(d.join("tsa.cnf"), cnf).unwrap();
        let sh = |args: &[&str]| {
            run_ok(openssl().args(args).current_dir(&d));
        };
        let req = |key: &str, out: &str, subj: &str, x509: bool| {
            let mut args = vec!["req", "-new"];
            if x509 {
                args.extend(["-x509", "-days", "3650", "-extensions", "v3_ca"]);
            }
            args.extend(kind.newkey());
            args.extend(["-nodes", "-keyout", key, "-out", out, "-subj", subj]);
            args.extend(["-config", "tsa.cnf"]);
            sh(&args);
        };
        let sign = |csr: &str, ca: &str, out: &str, ext: &str| {
            let (ca_crt, ca_key) = (format!("{ca}.crt"), format!("{ca}.key"));
            sh(&[
                "x509",
                "-req",
                "-in",
                csr,
                "-CA",
                &ca_crt,
                "-CAkey",
                &ca_key,
                "-CAcreateserial",
                "-out",
                out,
                "-days",
                "3650",
                "-extfile",
                "tsa.cnf",
                "-extensions",
                ext,
            ]);
        };
        req("ca.key", "ca.crt", "/CN=Test Root CA", true);
        let issuer = if intermediate {
            req("int.key", "int.csr", "/CN=Test Intermediate CA", false);
            sign("int.csr", "ca", "int.crt", "v3_ca");
            fs::copy(d.join("int.crt"), d.join("chain.pem")).unwrap();
            "int"
        } else {
            fs::copy(d.join("ca.crt"), d.join("chain.pem")).unwrap();
            "ca"
        };
        req("tsa.key", "tsa.csr", "/CN=Test TSA", false);
        if expired {
            // `openssl ca` is the one that takes explicit dates.
            fs::write(
                d.join("ca.cnf"),
                "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\n\
                 serial = ca-db.srl\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n",
            )
            .unwrap();
            fs::write(d.join("index.txt"), "").unwrap();
            fs::write(d.join("ca-db.srl"), "1000\n").unwrap();
            let (ca_crt, ca_key) = (format!("{issuer}.crt"), format!("{issuer}.key"));
            sh(&[
                "ca",
                "-config",
                "ca.cnf",
                "-batch",
                "-notext",
                "-cert",
                &ca_crt,
                "-keyfile",
                &ca_key,
                "-in",
                "tsa.csr",
                "-out",
                "tsa.crt",
                "-startdate",
                "20000101000000Z",
                "-enddate",
                "20010101000000Z",
                "-extfile",
                "tsa.cnf",
                "-extensions",
                "v3_tsa",
            ]);
        } else {
            sign("tsa.csr", issuer, "tsa.crt", "v3_tsa");
        }
        fs::write(d.join("tsaserial"), "01\n").unwrap();
        let lock = std::sync::Mutex::new(0usize);
        let tsa_dir = d.clone();
        let h = handler(move |req, w| {
            let mut n = lock.lock().unwrap();
            *n += 1;
            let q = format!("q-{n}.tsq");
            let r = format!("r-{n}.tsr");
            fs::write(tsa_dir.join(&q), &req.body)?;
            let query = match answer {
                Answer::Honest => q.clone(),
                Answer::WrongDigest | Answer::OtherRequest => {
                    let mut digest = requested_digest(&req.body);
                    if matches!(answer, Answer::WrongDigest) {
                        digest[0] ^= 0xff;
                    }
                    let other = format!("other-{n}.tsq");
                    run_ok(
                        openssl()
                            .args(["ts", "-query", "-sha256", "-cert", "-digest"])
                            .arg(hex::encode(digest))
                            .args(["-out", &other])
                            .current_dir(&tsa_dir),
                    );
                    other
                }
            };
            answer_timestamp_query(&tsa_dir, &query, &r, w)
        });
        TestTsa {
            server: TestServer::http(Routes::new().route("/tsa", h)),
            dir,
        }
    }

    fn url(&self) -> String {
        self.server.url("/tsa")
    }
    fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }
    fn chain(&self) -> PathBuf {
        self.dir.path().join("chain.pem")
    }
}

/// The 32-byte SHA-256 imprint of a DER TimeStampReq (the first OCTET STRING of 32 bytes).
fn requested_digest(der: &[u8]) -> [u8; 32] {
    let at = der
        .windows(2)
        .position(|w| w == [0x04, 0x20])
        .expect("a 32-byte imprint in the request");
    der[at + 2..at + 34].try_into().unwrap()
}

struct Captured {
    env: TestEnv,
    case: PathBuf,
    out: Output,
    line: Value,
    _http: TestServer,
}

fn capture_with_tsa(tsa_url: &str) -> Captured {
    let http = TestServer::http(standard_routes());
    let env = TestEnv::new();
    let case = env.new_case();
    let (out, lines) =
        env.capture_json(&case, [http.url("/plain"), "--tsa".into(), tsa_url.into()]);
    assert_eq!(lines.len(), 1, "{}", describe(&out));
    let line = lines[0].clone();
    Captured {
        env,
        case,
        out,
        line,
        _http: http,
    }
}

impl Captured {
    fn bundle(&self) -> PathBuf {
        bundle_of(&self.line)
    }

    fn verify(&self, extra: &[&Path]) -> (Output, Value) {
        let mut args: Vec<std::ffi::OsString> = vec![self.case.clone().into()];
        for p in extra {
            args.push("--tsa-ca".into());
            args.push(p.as_os_str().to_owned());
        }
        args.push("--json".into());
        let out = self.env.verify(args);
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("verify --json: {e}\n{}", describe(&out)));
        (out, report)
    }

    /// Sealed, without timestamp.tsr, reported as sealed WITHOUT a time-stamp for `why`; the
    /// evidence verifies and the custody event records no time-stamp.
    fn assert_sealed_without_timestamp(&self, why: &str) {
        let error = self.line["error"].as_str().unwrap_or("");
        assert!(
            error.contains("sealed WITHOUT a time-stamp") && error.contains(why),
            "capture must say it sealed without a time-stamp because {why:?}\n{}",
            describe(&self.out)
        );
        assert_eq!(self.out.status.code(), Some(1), "{}", describe(&self.out));
        assert_eq!(self.line["timestamped"], false);
        assert!(
            self.bundle().join("bagit.txt").is_file(),
            "no bundle sealed"
        );
        assert!(!self.bundle().join("timestamp.tsr").exists());
        let (out, report) = self.verify(&[]);
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
        assert_eq!(report["ok"], true);
        let log = read_string(&self.case.join("custody.jsonl"));
        let capture: Value = log
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .rfind(|e| e["action"] == "capture")
            .expect("a capture event");
        assert_eq!(capture["details"]["timestamped"], false, "{capture}");
    }
}

#[test]
fn tsa_that_is_down_seals_without_a_time_stamp_and_says_why() {
    let url = format!("http://127.0.0.1:{}/tsa", closed_port());
    let c = capture_with_tsa(&url);
    c.assert_sealed_without_timestamp("time-stamp authority 127.0.0.1");
}

#[test]
fn tsa_answering_for_another_digest_is_refused() {
    let tsa = TestTsa::start(KeyKind::EcP256, false, Answer::WrongDigest);
    let c = capture_with_tsa(&tsa.url());
    c.assert_sealed_without_timestamp("covers a different digest");
}

#[test]
fn tsa_replaying_a_token_made_for_another_request_is_refused_by_nonce() {
    let tsa = TestTsa::start(KeyKind::EcP256, false, Answer::OtherRequest);
    let c = capture_with_tsa(&tsa.url());
    c.assert_sealed_without_timestamp("does not carry our nonce");
}

/// An honest authority of `kind`, with or without an intermediate CA: the token is sealed,
/// openssl accepts it, `verify --tsa-ca ROOT` checks the authority, and a root of another PKI
/// is refused naming timestamp.tsr.
fn stamped_and_checked(kind: KeyKind, intermediate: bool) {
    let tsa = TestTsa::start(kind, intermediate, Answer::Honest);
    let c = capture_with_tsa(&tsa.url());
    assert_eq!(c.out.status.code(), Some(0), "{}", describe(&c.out));
    let b = c.bundle();
    let tsr = b.join("timestamp.tsr");
    assert!(tsr.is_file());
    // Independent check: openssl accepts the token for the manifest with this chain.
    let untrusted = tsa.dir.path().join("untrusted.pem");
    let mut pem = read(&tsa.dir.path().join("tsa.crt"));
    if intermediate {
        pem.extend(read(&tsa.chain()));
    }
    fs::write(&untrusted, pem).unwrap();
    run_ok(
        openssl()
            .args(["ts", "-verify", "-data"])
            .arg(b.join("manifest-sha256.txt"))
            .arg("-in")
            .arg(&tsr)
            .arg("-CAfile")
            .arg(tsa.ca())
            .arg("-untrusted")
            .arg(&untrusted),
    );

    let (out, report) = c.verify(&[&tsa.ca()]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let verified = report["verified"].to_string();
    assert!(verified.contains("authority checked"), "{}", describe(&out));
    // The --tsa-ca file may be a link (as in /etc/ssl/certs).
    let link = tsa.dir.path().join("ca-link.pem");
    std::os::unix::fs::symlink(tsa.ca(), &link).unwrap();
    let (out, _) = c.verify(&[&link]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));

    let stranger = TestTsa::start(kind, intermediate, Answer::Honest);
    let (out, report) = c.verify(&[&stranger.ca()]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let problems = report["problems"].as_array().unwrap();
    assert!(
        problems.iter().any(|p| {
            p["path"].as_str().unwrap_or("").ends_with("/timestamp.tsr")
                && p["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("does not chain")
        }),
        "{}",
        describe(&out)
    );
}

#[test]
fn ecdsa_p256_tsa_with_an_intermediate_ca_verifies_with_tsa_ca() {
    stamped_and_checked(KeyKind::EcP256, true);
}

#[test]
fn rsa_tsa_verifies_with_tsa_ca() {
    stamped_and_checked(KeyKind::Rsa2048, false);
}

#[test]
fn rsa_tsa_with_an_intermediate_ca_verifies_with_tsa_ca() {
    stamped_and_checked(KeyKind::Rsa2048, true);
}

/// An intermediate CA given as --tsa-ca anchors the chain by itself.
#[test]
fn intermediate_ca_alone_is_a_valid_anchor() {
    let tsa = TestTsa::start(KeyKind::EcP256, true, Answer::Honest);
    let c = capture_with_tsa(&tsa.url());
    assert_eq!(c.out.status.code(), Some(0), "{}", describe(&c.out));
    let (out, _) = c.verify(&[&tsa.chain()]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}

/// A TSA certificate that expired long before the token's genTime: openssl signs with it, the
/// token covers the manifest, but `verify --tsa-ca` refuses it.
#[test]
fn tsa_certificate_expired_before_the_token_time_is_refused() {
    let tsa = TestTsa::start_with(KeyKind::EcP256, false, Answer::Honest, true);
    let c = capture_with_tsa(&tsa.url());
    assert_eq!(c.out.status.code(), Some(0), "{}", describe(&c.out));
    assert!(c.bundle().join("timestamp.tsr").is_file());
    // Without --tsa-ca only the digest is checked, and it holds.
    let (out, _) = c.verify(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let (out, report) = c.verify(&[&tsa.ca()]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        report["problems"].as_array().unwrap().iter().any(|p| {
            p["path"].as_str().unwrap_or("").ends_with("/timestamp.tsr")
                && p["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("not valid at the token's time")
        }),
        "{}",
        describe(&out)
    );
}
