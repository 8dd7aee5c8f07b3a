//! Checks one evidence bundle.

use super::{Sink, page_check};
use crate::bundle::{self, bagit};
use crate::capture::record::CaptureRecord;
use crate::fsutil;
use crate::hash::{self, FileDigests, sha256_hex};
use crate::keys;
use sha2::{Digest, Sha512};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const CAPTURE_JSON: &str = "data/capture.json";
const WARC: &str = "data/capture.warc.gz";
/// Most bytes read from one tag file (bagit.txt, manifests, signature, ...):
/// far above anything warden writes, small enough to hold in memory.
const TAG_FILE_MAX: u64 = 16 << 20;
/// Most bytes read from capture.json.
const CAPTURE_JSON_MAX: u64 = 64 << 20;

/// What the first look at a bundle found: its files (links and special
/// files named, never opened), the small files read once with a size cap,
/// and capture.json as a typed record. Every later step works from this.
struct Bundle<'a> {
    dir: &'a Path,
    rel: &'a str,
    files: Vec<String>,
    file_set: BTreeSet<String>,
    irregular: BTreeSet<String>,
    small: BTreeMap<String, Vec<u8>>,
    capture_json: Option<CaptureRecord>,
}

impl Bundle<'_> {
    /// `name` under the bundle's display path.
    fn p(&self, name: &str) -> String {
        if self.rel.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", self.rel)
        }
    }

    /// The bytes of a small file, if it was read.
    fn read(&self, name: &str) -> Option<Vec<u8>> {
        self.small.get(name).cloned()
    }
}

/// Checks the bundle at `dir`; `rel` is its path under the display root.
/// `anchors` lists the (base64 public key, officer) pairs allowed to sign
/// (the case's officers, or keys the user vouched for with --trust-key; an
/// empty officer name means "any name"); `None` when nothing anchors the
/// key, which is itself a problem. Each step below is a function of its own.
pub(crate) fn check_bundle(
    dir: &Path,
    rel: &str,
    anchors: Option<&[(String, String)]>,
    tsa_ca: Option<&[u8]>,
    sink: &mut Sink<'_>,
) -> BundleFacts {
    let before = sink.report.problems.len();
    let mut facts = BundleFacts::default();
    let Some(bag) = inventory(dir, rel, sink) else {
        return facts;
    };
    facts.case_id = bag.capture_json.as_ref().map(|r| r.case_id.clone());
    facts.agency = bag.capture_json.as_ref().map(|r| r.agency.clone());
    check_bagit_txt(&bag, sink);
    // A large WARC is read beside the payload hashing (each keeps a core
    // busy); a small one in turn, as starting a thread would cost more than
    // it saves (the case check already runs several bundles at once). What
    // the WARC pass found is reported in its usual place below.
    let (actual, warc) = if warc_is_large(&bag) {
        std::thread::scope(|scope| {
            let warc = scope.spawn(|| warc_pass(&bag, true));
            let actual = check_payload(&bag, sink);
            (actual, warc.join())
        })
    } else {
        let actual = check_payload(&bag, sink);
        (actual, Ok(warc_pass(&bag, false)))
    };
    check_bag_info(&bag, &actual, sink);
    check_tag_manifests(&bag, sink);
    check_signature(&bag, anchors, &mut facts, sink);
    check_timestamp(&bag, tsa_ca, &mut facts, sink);
    match warc {
        Ok(Some(pass)) => report_warc(&bag, pass, &actual, sink),
        Ok(None) => {}
        Err(_) => sink.problem(
            &bag.p(WARC),
            "internal error: the WARC check stopped; the WARC was not checked",
        ),
    }
    check_record(&bag, &actual, sink);
    if sink.report.problems.len() == before {
        let signer = facts
            .signer
            .as_ref()
            .map(|(k, o)| format!("signed by {o} (key {k})"))
            .unwrap_or_default();
        let stamp = match (&facts.timestamp_time, facts.timestamp_authority_checked) {
            (Some(t), true) => format!("; time-stamped {t}, authority checked"),
            (Some(t), false) => format!(
                "; time-stamp {t} covers the manifest (authority not checked: give --tsa-ca)"
            ),
            (None, _) => "; no time-stamp".to_string(),
        };
        sink.ok(
            bag.rel,
            format!(
                "(bundle: {} payload files, manifests hold; {signer}{stamp})",
                actual.len()
            ),
        );
    }
    facts
}

/// Lists the bundle: unexpected, missing and irregular files are named;
/// the small files are read once.
fn inventory<'a>(dir: &'a Path, rel: &'a str, sink: &mut Sink<'_>) -> Option<Bundle<'a>> {
    let p = |name: &str| {
        if rel.is_empty() {
            name.to_string()
        } else {
            format!("{rel}/{name}")
        }
    };
    let files = match bundle::list_files(dir) {
        Ok(f) => f,
        Err(e) => {
            sink.problem(rel, format!("cannot be read: {e}"));
            return None;
        }
    };
    for f in files.iter().filter(|f| f.ends_with('/')) {
        sink.problem(
            &p(f.trim_end_matches('/')),
            "empty folder that is not part of the evidence as sealed",
        );
    }
    let files: Vec<String> = files.into_iter().filter(|f| !f.ends_with('/')).collect();
    let file_set: BTreeSet<String> = files.iter().cloned().collect();

    // Which files may exist, and which must.
    let tag_names: BTreeSet<&str> = bundle::TAG_FILES
        .iter()
        .copied()
        .chain([bundle::TAGMANIFEST_256, bundle::TAGMANIFEST_512])
        .collect();
    for f in &files {
        if !f.starts_with("data/") && !tag_names.contains(f.as_str()) {
            sink.problem(
                &p(f),
                "unexpected file in the bundle (not part of the evidence as sealed)",
            );
        }
    }
    for required in [
        bundle::BAGIT_TXT,
        bundle::BAG_INFO,
        bundle::MANIFEST_256,
        bundle::MANIFEST_512,
        bundle::TAGMANIFEST_256,
        bundle::TAGMANIFEST_512,
        bundle::SIGNATURE,
        bundle::SIGNATURE_PUB,
        "data/capture.json",
        "data/capture.warc.gz",
    ] {
        if !file_set.contains(required) {
            sink.problem(&p(required), "missing from the bundle");
        }
    }
    // Regular files only: links, FIFOs and devices are named and never
    // opened (a FIFO would block, a link to /dev/zero would never end).
    let mut irregular = BTreeSet::new();
    for f in &files {
        if let Ok(md) = std::fs::symlink_metadata(dir.join(f))
            && !md.file_type().is_file()
        {
            irregular.insert(f.clone());
            sink.problem(
                &p(f),
                "not a regular file (a link or special file); refusing to follow it",
            );
        }
    }

    // The small files, each read once with a size cap (every later check
    // uses these bytes).
    let mut small: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for name in tag_names.iter().copied().chain([CAPTURE_JSON]) {
        if !file_set.contains(name) || irregular.contains(name) {
            continue;
        }
        let cap = if name == CAPTURE_JSON {
            CAPTURE_JSON_MAX
        } else {
            TAG_FILE_MAX
        };
        match fsutil::read_capped(&dir.join(name), cap) {
            Ok(b) => {
                small.insert(name.to_string(), b);
            }
            Err(e) => sink.problem(&p(name), format!("cannot be read: {e}")),
        }
    }
    let capture_json: Option<CaptureRecord> = match small.get(CAPTURE_JSON) {
        None => None,
        Some(b) => match CaptureRecord::from_json(b) {
            Ok(r) => Some(r),
            Err(e) => {
                sink.problem(
                    &p("data/capture.json"),
                    format!("is not a capture record in the form warden writes: {e}"),
                );
                None
            }
        },
    };
    Some(Bundle {
        dir,
        rel,
        files,
        file_set,
        irregular,
        small,
        capture_json,
    })
}

/// `bagit.txt` is exactly the declaration warden writes.
fn check_bagit_txt(bag: &Bundle<'_>, sink: &mut Sink<'_>) {
    let p = |name: &str| bag.p(name);
    let read = |name: &str| bag.read(name);
    // bagit.txt
    if let Some(b) = read(bundle::BAGIT_TXT)
        && b != bagit::BAGIT_TXT.as_bytes()
    {
        sink.problem(
            &p(bundle::BAGIT_TXT),
            "altered: not the BagIt 1.0 declaration warden writes",
        );
    }
}

/// Digests every payload file once and checks both payload manifests
/// against them (and their exact form); returns the digests.
fn check_payload(bag: &Bundle<'_>, sink: &mut Sink<'_>) -> BTreeMap<String, FileDigests> {
    let p = |name: &str| bag.p(name);
    let read = |name: &str| bag.read(name);
    let (dir, files, file_set, irregular) = (bag.dir, &bag.files, &bag.file_set, &bag.irregular);
    // Payload: digest every data file once.
    let mut actual: BTreeMap<String, FileDigests> = BTreeMap::new();
    for f in files
        .iter()
        .filter(|f| f.starts_with("data/") && !irregular.contains(f.as_str()))
    {
        match hash::digest_file(&dir.join(f)) {
            Ok(d) => {
                actual.insert(f.clone(), d);
            }
            Err(e) => sink.problem(&p(f), format!("cannot be read: {e}")),
        }
    }
    let m256 = read(bundle::MANIFEST_256);
    let m512 = read(bundle::MANIFEST_512);
    let parse =
        |bytes: &Option<Vec<u8>>, len: usize| -> Option<Result<BTreeMap<String, String>, usize>> {
            let b = bytes.as_ref()?;
            let text = std::str::from_utf8(b).ok()?;
            Some(bagit::parse_manifest(text, len).map(|v| v.into_iter().collect()))
        };
    let listed256 = parse(&m256, 64);
    let listed512 = parse(&m512, 128);
    for (name, listed) in [
        (bundle::MANIFEST_256, &listed256),
        (bundle::MANIFEST_512, &listed512),
    ] {
        if let Some(Err(line)) = listed {
            sink.problem(&p(name), format!("line {line} is malformed"));
        }
        if listed.is_none() && file_set.contains(name) {
            sink.problem(&p(name), "is not UTF-8 text");
        }
    }
    let l256 = listed256.and_then(Result::ok);
    let l512 = listed512.and_then(Result::ok);
    for (f, d) in &actual {
        let in256 = l256.as_ref().map(|m| m.get(f));
        let in512 = l512.as_ref().map(|m| m.get(f));
        if in256.flatten().is_none() && in512.flatten().is_none() {
            sink.problem(
                &p(f),
                "not listed in the payload manifests: this file was added after sealing",
            );
            continue;
        }
        let ok256 = in256.flatten().is_some_and(|h| *h == d.sha256);
        let ok512 = in512.flatten().is_some_and(|h| *h == d.sha512);
        match (ok256, ok512) {
            (true, true) => {}
            (false, false) => sink.problem(
                &p(f),
                "content changed: its SHA-256 and SHA-512 do not match the manifests",
            ),
            (false, true) => sink.problem(
                &p(bundle::MANIFEST_256),
                format!("altered: its entry for {f} does not match the file (which still matches manifest-sha512.txt)"),
            ),
            (true, false) => sink.problem(
                &p(bundle::MANIFEST_512),
                format!("altered: its entry for {f} does not match the file (which still matches manifest-sha256.txt)"),
            ),
        }
    }
    for (name, listed) in [(bundle::MANIFEST_256, &l256), (bundle::MANIFEST_512, &l512)] {
        if let Some(m) = listed {
            for f in m.keys() {
                if !actual.contains_key(f) && !file_set.contains(f.as_str()) {
                    sink.problem(
                        &p(f),
                        format!("listed in {name} but missing: this file was removed"),
                    );
                }
            }
        }
    }
    // Byte-exact form of the manifests (catches edits that keep the parse).
    for (name, bytes, listed) in [
        (bundle::MANIFEST_256, &m256, &l256),
        (bundle::MANIFEST_512, &m512, &l512),
    ] {
        if let (Some(b), Some(m)) = (bytes, listed) {
            let entries: Vec<(String, String)> =
                m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            if bagit::render_manifest(&entries).as_bytes() != b.as_slice() {
                sink.problem(&p(name), "altered: not in the exact form warden writes");
            }
        }
    }

    actual
}

/// `bag-info.txt` is what capture.json and the payload say it must hold.
fn check_bag_info(bag: &Bundle<'_>, actual: &BTreeMap<String, FileDigests>, sink: &mut Sink<'_>) {
    let p = |name: &str| bag.p(name);
    let read = |name: &str| bag.read(name);
    let capture_json = &bag.capture_json;
    // bag-info.txt
    if let Some(b) = read(bundle::BAG_INFO) {
        match std::str::from_utf8(&b).ok().map(bagit::parse_bag_info) {
            Some(Ok(fields)) => {
                let oxum = fields
                    .iter()
                    .find(|(l, _)| l == "Payload-Oxum")
                    .map(|(_, v)| v.clone());
                let total: u64 = actual.values().map(|d| d.size).sum();
                let want = format!("{total}.{}", actual.len());
                if oxum.as_deref() != Some(want.as_str()) {
                    sink.problem(
                        &p(bundle::BAG_INFO),
                        format!(
                            "Payload-Oxum is {:?} but the payload is {want} (bytes.files)",
                            oxum.unwrap_or_default()
                        ),
                    );
                }
            }
            _ => sink.problem(&p(bundle::BAG_INFO), "malformed (not `Label: value` lines)"),
        }
        // Every value is derived from capture.json (which the signature
        // covers) and the payload, so the file must match exactly.
        if let Some(r) = &capture_json {
            let total: u64 = actual.values().map(|d| d.size).sum();
            let info = bundle::BagInfo {
                source_organization: r.agency.clone(),
                contact_name: r.officer.clone(),
                external_identifier: r.case_id.clone(),
                external_description: format!("Web capture of {}", r.requested_url),
                capture_id: r.capture_id.clone(),
                signer_public_key: r.officer_public_key.clone(),
                bagging_date: r.ended_at.chars().take(10).collect(),
                warden_version: r.tool.version.clone(),
            };
            let want = bundle::render_bag_info(&info, &format!("{total}.{}", actual.len()));
            if want.as_bytes() != b.as_slice() {
                sink.problem(
                    &p(bundle::BAG_INFO),
                    "altered: it does not match what capture.json and the payload say it must contain",
                );
            }
        }
    }
}

/// Both tag manifests match the tag files, byte for byte.
fn check_tag_manifests(bag: &Bundle<'_>, sink: &mut Sink<'_>) {
    let p = |name: &str| bag.p(name);
    let read = |name: &str| bag.read(name);
    let (file_set, small) = (&bag.file_set, &bag.small);
    // Tag manifests: both must match the tag files byte for byte.
    let t256 = read(bundle::TAGMANIFEST_256);
    let t512 = read(bundle::TAGMANIFEST_512);
    let tl256 = t256
        .as_ref()
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|t| bagit::parse_manifest(t, 64).ok())
        .map(|v| v.into_iter().collect::<BTreeMap<_, _>>());
    let tl512 = t512
        .as_ref()
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|t| bagit::parse_manifest(t, 128).ok())
        .map(|v| v.into_iter().collect::<BTreeMap<_, _>>());
    if t256.is_some() && tl256.is_none() {
        sink.problem(&p(bundle::TAGMANIFEST_256), "malformed");
    }
    if t512.is_some() && tl512.is_none() {
        sink.problem(&p(bundle::TAGMANIFEST_512), "malformed");
    }
    let mut blamed_tag = BTreeSet::new();
    for name in bundle::TAG_FILES {
        let present = file_set.contains(*name);
        if present && !small.contains_key(*name) {
            continue; // already reported: not a regular file, or unreadable
        }
        let d = small.get(*name).map(|b| FileDigests {
            sha256: sha256_hex(b),
            sha512: hex::encode(Sha512::digest(b)),
            size: b.len() as u64,
        });
        let e256 = tl256.as_ref().and_then(|m| m.get(*name));
        let e512 = tl512.as_ref().and_then(|m| m.get(*name));
        match (&d, e256, e512) {
            (None, None, None) => {}
            (None, _, _) => {
                if !matches!(*name, bundle::TIMESTAMP) || e256.is_some() || e512.is_some() {
                    sink.problem(
                        &p(name),
                        "listed in the tag manifests but missing: this file was removed",
                    );
                }
            }
            (Some(_), None, None) => {
                sink.problem(
                    &p(name),
                    "not listed in the tag manifests: this file was added after sealing",
                );
            }
            (Some(d), a, b) => {
                let ok256 = a.is_some_and(|h| *h == d.sha256);
                let ok512 = b.is_some_and(|h| *h == d.sha512);
                match (ok256, ok512) {
                    (true, true) => {}
                    (false, false) => {
                        blamed_tag.insert(*name);
                        sink.problem(
                            &p(name),
                            "content changed: does not match the tag manifests",
                        );
                    }
                    (false, true) => sink.problem(
                        &p(bundle::TAGMANIFEST_256),
                        format!("altered: its entry for {name} does not match the file"),
                    ),
                    (true, false) => sink.problem(
                        &p(bundle::TAGMANIFEST_512),
                        format!("altered: its entry for {name} does not match the file"),
                    ),
                }
            }
        }
    }
    // A tag file that could not be read is already named; the manifests
    // rendered without it would differ for that reason alone.
    let unread_tag = bundle::TAG_FILES
        .iter()
        .any(|n| file_set.contains(*n) && !small.contains_key(*n));
    {
        // The tag manifests warden would write for these tag files.
        let listed: Vec<(&str, &Vec<u8>)> = bundle::TAG_FILES
            .iter()
            .filter_map(|n| small.get(*n).map(|b| (*n, b)))
            .collect();
        let render = |f: &dyn Fn(&[u8]) -> String| {
            let entries: Vec<(String, String)> =
                listed.iter().map(|(n, b)| (n.to_string(), f(b))).collect();
            bagit::render_manifest(&entries)
        };
        let r256 = render(&|b| sha256_hex(b));
        let r512 = render(&|b| hex::encode(Sha512::digest(b)));
        for (name, bytes, rendered) in [
            (bundle::TAGMANIFEST_256, &t256, r256),
            (bundle::TAGMANIFEST_512, &t512, r512),
        ] {
            if let Some(b) = bytes
                && rendered.as_bytes() != b.as_slice()
                && blamed_tag.is_empty()
                && !unread_tag
            {
                sink.problem(&p(name), "altered: not in the exact form warden writes");
            }
        }
    }
}

/// The signature over manifest-sha256.txt, the key that made it, and
/// whether an anchor covers that key.
fn check_signature(
    bag: &Bundle<'_>,
    anchors: Option<&[(String, String)]>,
    facts: &mut BundleFacts,
    sink: &mut Sink<'_>,
) {
    let p = |name: &str| bag.p(name);
    let read = |name: &str| bag.read(name);
    let capture_json = &bag.capture_json;
    let m256 = read(bundle::MANIFEST_256);
    // The signature over manifest-sha256.txt.
    facts.manifest_sha256 = m256.as_ref().map(|b| sha256_hex(b));
    let pem = read(bundle::SIGNATURE_PUB);
    let sig = read(bundle::SIGNATURE);
    if let (Some(m), Some(pem), Some(sig)) = (&m256, pem, sig) {
        match std::str::from_utf8(&pem)
            .ok()
            .and_then(keys::parse_public_key_pem)
        {
            None => sink.problem(&p(bundle::SIGNATURE_PUB), "not a PEM Ed25519 public key"),
            Some(pk) => {
                // One key has many valid PEM spellings (line breaks, CRLF,
                // explanatory text); only the one warden writes is evidence.
                if keys::public_key_pem(&pk).as_bytes() != pem.as_slice() {
                    sink.problem(
                        &p(bundle::SIGNATURE_PUB),
                        "altered: not the exact PEM text warden writes for this key",
                    );
                }
                if sig.len() != 64 {
                    sink.problem(
                        &p(bundle::SIGNATURE),
                        format!("must be 64 bytes, found {}", sig.len()),
                    );
                } else if !keys::verify_signature(&pk, m, &sig) {
                    sink.problem(
                        &p(bundle::SIGNATURE),
                        "the signature does not verify over manifest-sha256.txt with signature.pub.pem",
                    );
                }
                let b64 = keys::public_key_b64(&pk);
                let claimed_key = capture_json.as_ref().map(|r| r.officer_public_key.clone());
                let claimed_officer = capture_json
                    .as_ref()
                    .map(|r| r.officer.clone())
                    .unwrap_or_default();
                // (Only when capture.json could be read: otherwise it says
                // nothing, and its problem is already named.)
                if capture_json.is_some() && claimed_key.as_deref() != Some(b64.as_str()) {
                    sink.problem(
                        &p(bundle::SIGNATURE_PUB),
                        format!(
                            "the bundle was signed with key {b64}, but capture.json says officer {claimed_officer:?} with key {} captured it",
                            claimed_key.unwrap_or_default()
                        ),
                    );
                }
                match anchors {
                    None => sink.problem(
                        &p(bundle::SIGNATURE_PUB),
                        format!(
                            "the signing key {b64} (officer {claimed_officer:?}) is not anchored: this bundle is not inside its case folder. Verify the whole case, or confirm the key with the officer and pass --trust-key {b64}"
                        ),
                    ),
                    Some(list) => match list.iter().find(|(k, _)| *k == b64) {
                        None => sink.problem(
                            &p(bundle::SIGNATURE_PUB),
                            format!("the signing key {b64} is not the key of any officer of this case (nor a --trust-key)"),
                        ),
                        Some((_, name)) if capture_json.is_some() && !name.is_empty() && *name != claimed_officer => sink.problem(
                            &p("data/capture.json"),
                            format!("names officer {claimed_officer:?}, but the signing key belongs to {name:?}"),
                        ),
                        _ => {}
                    },
                }
                facts.signer = Some((b64, claimed_officer));
            }
        }
    }
}

/// The time-stamp token, if any: recorded in capture.json, covering the
/// manifest, and (with `--tsa-ca`) signed by a trusted authority.
fn check_timestamp(
    bag: &Bundle<'_>,
    tsa_ca: Option<&[u8]>,
    facts: &mut BundleFacts,
    sink: &mut Sink<'_>,
) {
    let p = |name: &str| bag.p(name);
    let read = |name: &str| bag.read(name);
    let capture_json = &bag.capture_json;
    let m256 = read(bundle::MANIFEST_256);
    // The time-stamp token, if any.
    let tsr_bytes = read(bundle::TIMESTAMP);
    facts.timestamp_sha256 = tsr_bytes.as_deref().map(sha256_hex);
    let tsa_recorded = capture_json
        .as_ref()
        .is_some_and(|r| r.settings.tsa.is_some());
    if tsr_bytes.is_some() && capture_json.is_some() && !tsa_recorded {
        sink.problem(
            &p(bundle::TIMESTAMP),
            "added after the capture: capture.json records that no time-stamp authority was used",
        );
    }
    if let (Some(tsr), Some(m)) = (tsr_bytes, &m256) {
        match bundle::timestamp::parse_response(&tsr) {
            Err(e) => sink.problem(&p(bundle::TIMESTAMP), e.to_string()),
            Ok(token) => {
                let info = &token.info;
                if info.hash_algorithm != "sha256" || info.message_imprint_hex != sha256_hex(m) {
                    sink.problem(
                        &p(bundle::TIMESTAMP),
                        "the time-stamp token does not cover manifest-sha256.txt",
                    );
                }
                facts.timestamp_time = Some(info.gen_time.clone());
                if let Some(ca) = tsa_ca {
                    if let Err(e) = bundle::tsa_trust::verify_token(&token, ca) {
                        sink.problem(
                            &p(bundle::TIMESTAMP),
                            format!("the time-stamp token does not verify against the given --tsa-ca: {e}"),
                        );
                    } else {
                        facts.timestamp_authority_checked = true;
                    }
                }
            }
        }
    }
}

/// What reading the WARC found: its records' digests and the page
/// re-derived from the final response (see [`warc_pass`]).
struct WarcPass {
    /// What capture.json says to compare, or why it cannot be.
    target: Option<Result<page_check::Target, page_check::PageProblem>>,
    read: std::io::Result<Vec<crate::warc::reader::CheckedRecord>>,
    /// Whether the target's response block was read to its end.
    complete: bool,
    derived: Option<page_check::Derived>,
}

/// Whether the bundle's WARC is large enough to be read on a thread of its
/// own (see [`check_bundle`]); only a matter of speed.
fn warc_is_large(bag: &Bundle<'_>) -> bool {
    const LARGE: u64 = 1 << 20;
    std::fs::symlink_metadata(bag.dir.join(WARC)).is_ok_and(|m| m.len() > LARGE)
}

/// Largest response block of a small WARC kept in memory to re-derive the
/// page after reading; a larger one is read again with [`warc_pass`]'s
/// second thread.
const BLOCK_IN_MEMORY: usize = 8 << 20;

/// Reads the WARC once: every record's digests, and the page re-derived
/// from the final response (for a small WARC, not `large`, from the
/// response block kept in memory, else on a second thread as it is read).
/// Touches no report, so that it can run beside the payload hashing;
/// [`report_warc`] says what it found. `None` when the bundle has no readable WARC file to read.
fn warc_pass(bag: &Bundle<'_>, large: bool) -> Option<WarcPass> {
    if !bag.file_set.contains(WARC) || bag.irregular.contains(WARC) {
        return None;
    }
    let target = bag.capture_json.as_ref().map(page_check::target);
    let page = match &target {
        Some(Ok(Some(t))) => Some(t),
        _ => None,
    };
    if let Some(t) = page.filter(|_| !large) {
        // Starting a thread per bundle costs more than a small page's
        // derivation (10,000 bundles: 10,000 thread starts).
        let mut block = Vec::new();
        let (mut complete, mut overflow) = (false, false);
        let read = fsutil::open_regular_nofollow(&bag.dir.join(WARC)).and_then(|f| {
            let mut keep = |piece: &[u8]| {
                if piece.is_empty() {
                    complete = true;
                } else if block.len() + piece.len() <= BLOCK_IN_MEMORY {
                    block.extend_from_slice(piece);
                } else {
                    overflow = true;
                }
            };
            let tee = crate::warc::reader::Tee {
                record_id: &t.record_id,
                sink: &mut keep,
            };
            crate::warc::reader::read_all_tee(std::io::BufReader::new(f), true, Some(tee))
        });
        if !overflow {
            let derived = page_check::derive(&block[..], t.max);
            return Some(WarcPass {
                target: target.and_then(Result::transpose),
                read,
                complete,
                derived: Some(derived),
            });
        }
    }
    let (mut deriver, derivation) = page_check::deriver(page.map_or(0, |t| t.max));
    let (read, complete, derived) = std::thread::scope(|scope| {
        let job = page.map(|_| scope.spawn(|| derivation.run()));
        let read = fsutil::open_regular_nofollow(&bag.dir.join(WARC)).and_then(|f| {
            let mut feed = |piece: &[u8]| deriver.feed(piece);
            let tee = page.map(|t| crate::warc::reader::Tee {
                record_id: &t.record_id,
                sink: &mut feed,
            });
            crate::warc::reader::read_all_tee(std::io::BufReader::new(f), true, tee)
        });
        let complete = deriver.complete;
        // Ends the deriving thread's input, whatever was read.
        drop(deriver);
        let derived = job.map(|j| {
            j.join().unwrap_or_else(|_| {
                Err(std::io::Error::other(
                    "internal error: the page check stopped",
                ))
            })
        });
        (read, complete, derived)
    });
    Some(WarcPass {
        target: target.and_then(Result::transpose),
        read,
        complete,
        derived,
    })
}

/// Every WARC record's block and payload digests hold, and the page file is
/// what the final response decodes to (as [`warc_pass`] found them).
fn report_warc(
    bag: &Bundle<'_>,
    pass: WarcPass,
    actual: &BTreeMap<String, FileDigests>,
    sink: &mut Sink<'_>,
) {
    let p = |name: &str| bag.p(name);
    let page_at = bag
        .capture_json
        .as_ref()
        .and_then(|v| v.page.as_ref())
        .map_or(WARC, |pg| pg.file.as_str());
    match &pass.read {
        Ok(records) => check_record_digests(records, &p(WARC), sink),
        Err(e) => sink.problem(&p(WARC), format!("cannot be read as a gzipped WARC: {e}")),
    }
    let t = match pass.target {
        Some(Ok(t)) => t,
        Some(Err(why)) => return sink.problem(&p(page_at), why.to_string()),
        None => return,
    };
    let Some(derived) = pass.derived else {
        return;
    };
    let cannot = |e: &dyn std::fmt::Display| format!("cannot compare the page with the WARC: {e}");
    if !pass.complete {
        match &pass.read {
            Ok(_) => sink.problem(
                &p(page_at),
                format!("the WARC has no record {}", t.record_id),
            ),
            Err(e) => sink.problem(&p(WARC), cannot(e)),
        }
        return;
    }
    let derived = match derived {
        Ok(d) => d,
        Err(e) => return sink.problem(&p(WARC), cannot(&e)),
    };
    let on_disk = match actual.get(&t.page_file) {
        Some(d) => d.sha256.clone(),
        None => match hash::sha256_file(&bag.dir.join(&t.page_file)) {
            Ok((h, _)) => h,
            Err(e) => return sink.problem(&p(WARC), cannot(&e)),
        },
    };
    if let Err(why) = page_check::compare(derived, &on_disk) {
        sink.problem(&p(page_at), why.to_string());
    }
}

/// Each record's WARC-Block-Digest and WARC-Payload-Digest hold.
fn check_record_digests(
    records: &[crate::warc::reader::CheckedRecord],
    warc: &str,
    sink: &mut Sink<'_>,
) {
    for r in records {
        let what = format!(
            "record {} ({} {})",
            r.index,
            r.header("WARC-Type").unwrap_or("?"),
            r.header("WARC-Target-URI").unwrap_or("")
        );
        match r.header("WARC-Block-Digest") {
            Some(d) if *d == format!("sha256:{}", r.block_sha256) => {}
            Some(_) => sink.problem(
                warc,
                format!("{what}: WARC-Block-Digest does not match the block"),
            ),
            None => sink.problem(warc, format!("{what}: no WARC-Block-Digest")),
        }
        if let Some(d) = r.header("WARC-Payload-Digest") {
            let ok = r
                .payload_sha256
                .as_ref()
                .is_some_and(|h| d == format!("sha256:{h}"));
            if !ok {
                sink.problem(
                    warc,
                    format!("{what}: WARC-Payload-Digest does not match the payload"),
                );
            }
        }
    }
}

/// capture.json agrees with the payload files and the folder name.
fn check_record(bag: &Bundle<'_>, actual: &BTreeMap<String, FileDigests>, sink: &mut Sink<'_>) {
    let p = |name: &str| bag.p(name);
    let (dir, rel, capture_json) = (bag.dir, bag.rel, &bag.capture_json);
    // capture.json agrees with the files.
    if let Some(r) = &capture_json {
        for f in &r.files {
            match actual.get(&f.path) {
                Some(d) if d.sha256 == f.sha256 => {}
                _ => sink.problem(
                    &p("data/capture.json"),
                    format!("its SHA-256 for {} does not match that file", f.path),
                ),
            }
        }
        let id = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !rel.is_empty() && r.capture_id != id {
            sink.problem(
                &p("data/capture.json"),
                format!(
                    "capture_id {:?} does not match the bundle folder name {id:?}",
                    r.capture_id
                ),
            );
        }
    }
}

/// What verify learned about a bundle, for cross-checks with the custody log.
#[derive(Debug, Default)]
pub(super) struct BundleFacts {
    pub manifest_sha256: Option<String>,
    pub timestamp_sha256: Option<String>,
    pub timestamp_time: Option<String>,
    pub timestamp_authority_checked: bool,
    /// (base64 key, officer named in capture.json)
    pub signer: Option<(String, String)>,
    /// The case id and agency capture.json names.
    pub case_id: Option<String>,
    pub agency: Option<String>,
}
