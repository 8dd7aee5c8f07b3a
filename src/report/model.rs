//! What a report says, gathered once from the case (custody record, each
//! bundle's `capture.json` and manifest, sweep results, a fresh
//! verification) and rendered by the HTML, PDF and CSV writers alike. Every
//! sentence a report prints comes from these fields; nothing here is
//! formatted for one output only.

use crate::bundle::{self, bagit};
use crate::capture::record::{self as capture_record, CaptureRecord};
use crate::case::Case;
use crate::custody::LogCheck;
use crate::custody::event::Action;
use crate::custody::timeline::{Entry, Exhibit};
use crate::sweep::live::LiveRecorded;
use crate::sweep::record::SweepRecorded;
use crate::verify::{Report as Verified, Verdict};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Largest manifest read per bundle.
const MAX_MANIFEST: u64 = 16 << 20;
/// Largest sweep result file read.
const MAX_SWEEP_OUTPUT: u64 = 256 << 20;
/// Flagged listings shown per sweep (the rest are counted).
pub(crate) const MAX_FLAGGED_SHOWN: usize = 500;

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ReportData {
    pub(crate) generated_at: String,
    pub(crate) warden_version: String,
    pub(crate) executable_sha256: Option<String>,
    pub(crate) case: CaseData,
    pub(crate) verification: Verification,
    pub(crate) summary: Summary,
    /// The exhibits the report covers (all, or those asked for).
    pub(crate) exhibits: Vec<ExhibitData>,
    /// True when only some exhibits were asked for.
    pub(crate) selected: bool,
    pub(crate) sweeps: Vec<SweepData>,
    pub(crate) timeline: Vec<Entry>,
    pub(crate) lists: Vec<ListData>,
    /// What warden records and what it does not prove.
    pub(crate) method: Vec<String>,
    /// How anyone can check the evidence without trusting warden.
    pub(crate) checks: Vec<CheckStep>,
    /// The declaration template for the qualified person.
    pub(crate) certification: Vec<String>,
}

/// One independent check: what it shows, the command, what it must print.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CheckStep {
    pub(crate) what: String,
    pub(crate) command: String,
    pub(crate) expect: String,
}

/// What warden records and what it does not prove; the same sentences in
/// every format.
fn method() -> Vec<String> {
    [
        "Each exhibit is a capture made by warden: it sent an HTTP request for the URL shown, from the computer described in the exhibit's capture.json, and recorded the raw request and response bytes exactly as exchanged over HTTP, after TLS decryption for https addresses (data/capture.warc.gz, a standard WARC file), the page as received (decoded only from its transfer and content encodings), the visible text extracted from it, and the capture's metadata: times in UTC, the server's IP address, redirects, the TLS certificate chain the server presented, the tool's version and the SHA-256 of its executable.",
        "Every file of an exhibit is listed with its SHA-256 and SHA-512 in the bundle's manifests; the SHA-256 manifest is signed with the capturing officer's Ed25519 key and, when requested, time-stamped by an RFC 3161 time-stamping authority. Every action on the case (capture, sweep, note, access, transfer, withdrawal, checkpoint, report) is a line of the custody log, signed by the officer who performed it and chained to the line before it by its SHA-256, so a removed, inserted, reordered or altered line is detected.",
        "Identical SHA-256 values show that a copy is bit-for-bit identical to the file that was hashed when the exhibit was sealed.",
        "What a capture shows: what the server at the recorded address sent to this computer, at the recorded time, in answer to the recorded request. What it does not show: who wrote or published the content, whether other visitors were shown the same content, or what happened on the server before or after the capture. Times come from the capturing computer's clock unless an RFC 3161 time-stamp is present.",
        "Sweep results are keyword matches scored by warden's published model (docs/matching.md); a score is a lead for an investigator, not a finding that a listing offers a protected species.",
        "A withdrawn exhibit was marked withdrawn by the officer named, for the reason given; it is kept unchanged and still verified, and is not evidence relied on.",
    ]
    .into_iter()
    .map(str::to_string)
    .collect()
}

fn checks(case_id: &str, fingerprint: Option<&str>) -> Vec<CheckStep> {
    let fp = fingerprint.unwrap_or("<case fingerprint>");
    let step = |what: &str, command: String, expect: &str| CheckStep {
        what: what.into(),
        command,
        expect: expect.into(),
    };
    vec![
        step(
            "The whole case with warden: every hash, signature and custody event, anchored to this case's fingerprint",
            format!("warden verify CASE-FOLDER --expect-fingerprint {fp}"),
            "a last line beginning \"all evidence verified\", and exit status 0",
        ),
        step(
            "Each exhibit's files against its manifest (run inside CASE-FOLDER/evidence/<bundle>)",
            "sha256sum -c manifest-sha256.txt && sha256sum -c tagmanifest-sha256.txt".into(),
            "\"OK\" after every file name, and no line saying FAILED",
        ),
        step(
            "The manifest is signed by the officer's key (compare the printed key with the officer's key on the cover)",
            "openssl pkeyutl -verify -pubin -inkey signature.pub.pem -rawin -in manifest-sha256.txt -sigfile signature.ed25519 && openssl pkey -pubin -in signature.pub.pem -outform DER | tail -c 32 | base64".into(),
            "\"Signature Verified Successfully\", then the officer's base64 key",
        ),
        step(
            "The exhibit is a valid BagIt bag (pip install bagit)",
            "bagit.py --validate .".into(),
            "a line ending \"is valid\"",
        ),
        step(
            "The WARC file is well formed and its digests hold (pip install warcio)",
            "warcio check -v data/capture.warc.gz".into(),
            "every record marked as passing its digest checks, and exit status 0",
        ),
        step(
            "The time-stamp covers the manifest, when an exhibit has one (CA and TSA certificates from the authority)",
            "openssl ts -verify -data manifest-sha256.txt -in timestamp.tsr -CAfile tsa-ca.pem -untrusted tsa.pem".into(),
            "\"Verification: OK\"",
        ),
        step(
            "The custody log still begins with the events a checkpoint you were given covers",
            "warden verify CASE-FOLDER --checkpoint FILE.checkpoint".into(),
            "a line naming the checkpoint file with \"still begins with\", and exit status 0",
        ),
        step(
            &format!("Case {case_id}: the fingerprint is the SHA-256 of the custody log's first line"),
            "head -n 1 custody.jsonl | tr -d '\\n' | sha256sum".into(),
            "the case fingerprint printed on the cover",
        ),
    ]
}

fn certification(case_id: &str) -> Vec<String> {
    vec![
        "DECLARATION OF A QUALIFIED PERSON".into(),
        "I, ______________________ (name), ______________________ (position and organisation), declare that:".into(),
        "1. I am qualified by my training and experience to explain how the records described in this report were made and checked, and I am familiar with the tool that made them (warden, version and executable SHA-256 as on the cover).".into(),
        format!("2. The exhibits of case {case_id} listed in this report were captured by the process described under \"Method and limits\", at or near the times recorded, by the officers named, in the course of the investigation; the process produces an accurate copy of what the server sent."),
        "3. I have compared the SHA-256 values in this report with the files I hold, using the commands under \"Independent verification\", and they are identical: the files are true copies of the exhibits as sealed. (Strike out if not done.)".into(),
        "4. The custody timeline in this report lists every event of the case's custody log as it stood when the report was generated (time on the cover), and the verification result on the cover was computed by warden at that time.".into(),
        "I declare the above to be true to the best of my knowledge and belief, and understand it may be used in legal proceedings (for example as a certification under the rules of evidence that apply, such as US Federal Rules of Evidence 902(13) and 902(14) or their equivalents).".into(),
        "Signature: ______________________   Date: ____________   Place: ______________________".into(),
    ]
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct CaseData {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) agency: String,
    pub(crate) created: String,
    pub(crate) fingerprint: Option<String>,
    pub(crate) officers: Vec<OfficerData>,
    pub(crate) custodian: String,
    pub(crate) folder: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct OfficerData {
    pub(crate) name: String,
    pub(crate) public_key: String,
    pub(crate) added: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Verification {
    /// `verified`, `failed` or `nothing-to-verify`.
    pub(crate) verdict: String,
    /// The sentence the report prints for it.
    pub(crate) statement: String,
    pub(crate) bundles: usize,
    pub(crate) custody_events: usize,
    pub(crate) problems: Vec<ProblemData>,
    pub(crate) notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ProblemData {
    pub(crate) path: String,
    pub(crate) message: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Summary {
    pub(crate) exhibits: usize,
    pub(crate) withdrawn: usize,
    /// Captures whose status is not `ok`.
    pub(crate) not_ok: usize,
    pub(crate) sweeps: usize,
    pub(crate) flagged_per_taxon: Vec<(String, u64)>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ExhibitData {
    #[serde(flatten)]
    pub(crate) record: Exhibit,
    /// From `capture.json`, when it could be read.
    pub(crate) server_ip: Option<String>,
    pub(crate) started_at: Option<String>,
    pub(crate) redirects: Vec<RedirectData>,
    pub(crate) tls: Option<TlsData>,
    pub(crate) capture_note: Option<String>,
    pub(crate) error: Option<String>,
    /// Every payload file with its SHA-256 and size, from the manifest.
    pub(crate) files: Vec<FileData>,
    /// `verified`, or the problems verify found in this bundle.
    pub(crate) check: String,
    pub(crate) problems: Vec<String>,
    /// Time-stamp status, in words.
    pub(crate) timestamp: String,
    /// Listings in this exhibit that sweeps matched.
    pub(crate) matched: Vec<MatchedData>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct RedirectData {
    pub(crate) url: String,
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct TlsData {
    pub(crate) version: String,
    pub(crate) verified: bool,
    pub(crate) subject: String,
    pub(crate) issuer: String,
    pub(crate) sha256: String,
    pub(crate) not_after: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct FileData {
    pub(crate) path: String,
    pub(crate) sha256: String,
    pub(crate) bytes: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct MatchedData {
    pub(crate) sweep_seq: u64,
    pub(crate) score: u32,
    pub(crate) flagged: bool,
    pub(crate) taxa: Vec<String>,
    /// (term, kind, snippet)
    pub(crate) terms: Vec<(String, String, String)>,
    pub(crate) reasons: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct SweepData {
    pub(crate) seq: u64,
    pub(crate) time: String,
    pub(crate) officer: String,
    pub(crate) listings: u64,
    pub(crate) matched: u64,
    pub(crate) flagged: u64,
    pub(crate) min_score: u32,
    pub(crate) skipped: u64,
    /// The inputs swept: path as given and SHA-256.
    pub(crate) inputs: Vec<(String, String)>,
    pub(crate) output: String,
    pub(crate) output_sha256: String,
    /// Why the results are not listed, when they are not.
    pub(crate) output_status: Option<String>,
    pub(crate) results: Vec<ResultData>,
    /// Flagged listings not shown (over [`MAX_FLAGGED_SHOWN`]).
    pub(crate) not_shown: usize,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ResultData {
    pub(crate) listing: String,
    pub(crate) url: Option<String>,
    pub(crate) exhibit: Option<String>,
    pub(crate) score: u32,
    pub(crate) taxa: Vec<String>,
    pub(crate) reasons: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ListData {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) path: String,
    pub(crate) sha256: String,
}

/// Gathers the report.
pub(crate) fn gather(
    case: &Case,
    check: &LogCheck,
    verified: &Verified,
    only: Option<&[String]>,
    generated_at: String,
    executable_sha256: Option<String>,
) -> ReportData {
    let record = crate::custody::timeline::record(check);
    let c = &case.config.case;
    let mut sweeps = Vec::new();
    let mut lists: BTreeMap<String, ListData> = BTreeMap::new();
    let mut matched: BTreeMap<String, Vec<MatchedData>> = BTreeMap::new();
    let mut per_taxon: BTreeMap<String, u64> = BTreeMap::new();
    let numbers: HashMap<String, String> = record
        .exhibits
        .iter()
        .map(|x| (x.bundle.clone(), x.number.clone()))
        .collect();
    for e in record
        .entries
        .iter()
        .filter(|e| e.valid && e.action == Action::Sweep.as_str())
    {
        let event = check.valid_events().find(|ev| ev.seq == e.seq);
        let Some(d) = event.and_then(|ev| ev.details_as::<SweepRecorded>()) else {
            // A live sweep (`sweep --target`): its results are in the case.
            if let Some(live) = event.and_then(|ev| ev.details_as::<LiveRecorded>())
                && live.kind == "live"
            {
                for l in &live.lists {
                    lists.entry(l.sha256.clone()).or_insert_with(|| ListData {
                        name: l.name.clone(),
                        version: l.version.clone(),
                        path: l.path.clone(),
                        sha256: l.sha256.clone(),
                    });
                }
                sweeps.push(live_sweep_data(
                    case,
                    e,
                    &live,
                    &numbers,
                    &mut matched,
                    &mut per_taxon,
                ));
            }
            continue;
        };
        for l in &d.lists {
            lists.entry(l.sha256.clone()).or_insert_with(|| ListData {
                name: l.name.clone(),
                version: l.version.clone(),
                path: l.path.clone(),
                sha256: l.sha256.clone(),
            });
        }
        sweeps.push(sweep_data(e, &d, &numbers, &mut matched, &mut per_taxon));
    }
    let wanted: Vec<(&Exhibit, Vec<MatchedData>)> = record
        .exhibits
        .iter()
        .filter(|x| only.is_none_or(|o| o.iter().any(|w| *w == x.number || *w == x.bundle)))
        .map(|x| (x, matched.remove(&x.bundle).unwrap_or_default()))
        .collect();
    let problems = problems_by_bundle(verified);
    // Each exhibit's capture.json and manifest are read on all cores (10,000
    // exhibits are 20,000 small files).
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let chunk = wanted.len().div_ceil(threads).max(1);
    let mut exhibits: Vec<ExhibitData> = std::thread::scope(|s| {
        let parts: Vec<_> = wanted
            .chunks(chunk)
            .map(|part| {
                let problems = &problems;
                s.spawn(move || {
                    part.iter()
                        .map(|(x, m)| {
                            let p = problems.get(x.bundle.as_str()).map_or(&[][..], |v| v);
                            exhibit_data(case, x, p, m.clone())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().expect("reading an exhibit does not panic"))
            .collect()
    });
    exhibits.sort_by(|a, b| a.record.number.cmp(&b.record.number));
    let mut flagged_per_taxon: Vec<(String, u64)> = per_taxon.into_iter().collect();
    flagged_per_taxon.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ReportData {
        generated_at,
        warden_version: crate::VERSION.to_string(),
        executable_sha256,
        case: CaseData {
            id: c.id.clone(),
            title: c.title.clone(),
            agency: c.agency.clone(),
            created: c.created.clone(),
            fingerprint: case.fingerprint(),
            officers: case
                .config
                .officers
                .iter()
                .map(|o| OfficerData {
                    name: o.name.clone(),
                    public_key: o.public_key.clone(),
                    added: o.added.clone(),
                })
                .collect(),
            custodian: record.custodian.clone(),
            folder: case.root.display().to_string(),
        },
        verification: verification(verified),
        summary: Summary {
            exhibits: record.exhibits.len(),
            withdrawn: record
                .exhibits
                .iter()
                .filter(|x| x.withdrawn.is_some())
                .count(),
            not_ok: record.exhibits.iter().filter(|x| x.status != "ok").count(),
            sweeps: sweeps.len(),
            flagged_per_taxon,
        },
        selected: only.is_some(),
        exhibits,
        sweeps,
        timeline: record.entries,
        lists: lists.into_values().collect(),
        method: method(),
        checks: checks(&c.id, case.fingerprint().as_deref()),
        certification: certification(&c.id),
    }
}

fn verification(v: &Verified) -> Verification {
    let (verdict, statement) = match v.verdict {
        Verdict::Verified => (
            "verified",
            format!(
                "Every check held: {} bundle(s) and {} custody event(s) were verified when this report was generated.",
                v.bundles, v.custody_events
            ),
        ),
        Verdict::NothingToVerify => (
            "nothing-to-verify",
            "The custody log holds, but the case holds no evidence bundle to verify.".to_string(),
        ),
        Verdict::Failed => (
            "failed",
            format!(
                "Verification FAILED when this report was generated: {} problem(s) were found (listed below). The exhibits concerned cannot be relied on as they stand.",
                v.problems.len()
            ),
        ),
    };
    // The report's own verification is given no anchor: say what that
    // means rather than let "verified" stand for more than it shows.
    let statement = if v
        .cases
        .iter()
        .any(|c| c.anchoring == crate::verify::Anchoring::SelfDeclared)
    {
        format!(
            "{statement} These signatures are by the keys the case itself declares (the officers listed above); nothing outside the case was given to warden to anchor them. Whoever relies on this report should check that the case fingerprint above is the one the case officer gave them, or verify with the officers' keys (section 8)."
        )
    } else {
        statement
    };
    Verification {
        verdict: verdict.into(),
        statement,
        bundles: v.bundles,
        custody_events: v.custody_events,
        problems: v
            .problems
            .iter()
            .map(|p| ProblemData {
                path: p.path.clone(),
                message: p.message.clone(),
            })
            .collect(),
        notes: v.notes.clone(),
    }
}

fn sweep_data(
    e: &Entry,
    d: &SweepRecorded,
    check_numbers: &HashMap<String, String>,
    matched: &mut BTreeMap<String, Vec<MatchedData>>,
    per_taxon: &mut BTreeMap<String, u64>,
) -> SweepData {
    let mut out = SweepData {
        seq: e.seq,
        time: e.time.clone(),
        officer: e.officer.clone(),
        listings: d.listings,
        matched: d.matched,
        flagged: d.flagged,
        min_score: d.min_score,
        skipped: d.skipped,
        inputs: d
            .inputs
            .iter()
            .map(|i| (i.path.clone(), i.sha256.clone()))
            .collect(),
        output: d.output.path.clone(),
        output_sha256: d.output.sha256.clone(),
        output_status: None,
        results: Vec::new(),
        not_shown: 0,
    };
    let bytes = match crate::fsutil::read_capped_following(
        Path::new(&d.output.path),
        MAX_SWEEP_OUTPUT,
    ) {
        Ok(b) => b,
        Err(_) => {
            out.output_status = Some(
                "the result file is not at the path the sweep recorded on this computer, so its listings are not shown".into(),
            );
            return out;
        }
    };
    if crate::hash::sha256_hex(&bytes) != d.output.sha256 {
        out.output_status = Some(
            "the file at the recorded path is not the one the sweep wrote (its SHA-256 differs), so its listings are not shown".into(),
        );
        return out;
    }
    let mut read_all = true;
    for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let Ok(r) = serde_json::from_slice::<crate::sweep::Record>(line) else {
            read_all = false;
            continue;
        };
        let bundle = bundle_of_source(&r.source.path);
        let listing = match (r.id.as_deref(), r.source.line) {
            (Some(id), _) => id.to_string(),
            (None, Some(l)) => format!("{}:{l}", r.source.path),
            (None, None) => r.source.path.clone(),
        };
        let shown = Shown {
            seq: e.seq,
            bundle,
            listing,
            url: r.url.clone(),
        };
        add_result(
            &mut out,
            shown,
            &r.scored,
            check_numbers,
            matched,
            per_taxon,
        );
    }
    if !read_all {
        out.output_status = Some(
            "the result file is not JSON lines (a CSV sweep, or lines this version cannot read): only its recorded counts are shown".into(),
        );
    }
    out
}

/// A listing of a sweep's results as the report names it.
struct Shown {
    seq: u64,
    /// The bundle it was read from (or, for a live sweep, its own page's).
    bundle: Option<String>,
    listing: String,
    url: Option<String>,
}

/// Adds one result of a sweep: to its bundle's matches, and when flagged
/// to the sweep's listed results (at most [`MAX_FLAGGED_SHOWN`]) and the
/// per-taxon counts.
fn add_result(
    out: &mut SweepData,
    shown: Shown,
    scored: &crate::matcher::score::Scored,
    numbers: &HashMap<String, String>,
    matched: &mut BTreeMap<String, Vec<MatchedData>>,
    per_taxon: &mut BTreeMap<String, u64>,
) {
    let taxa: Vec<String> = scored
        .taxa
        .iter()
        .map(|t| t.scientific_name.clone())
        .collect();
    let reasons: Vec<String> = scored.reasons.iter().map(ToString::to_string).collect();
    if let Some(b) = &shown.bundle {
        matched.entry(b.clone()).or_default().push(MatchedData {
            sweep_seq: shown.seq,
            score: scored.score,
            flagged: scored.flagged,
            taxa: taxa.clone(),
            terms: scored
                .matches
                .iter()
                .map(|m| (m.term.clone(), m.kind.clone(), m.snippet.clone()))
                .collect(),
            reasons: reasons.clone(),
        });
    }
    if !scored.flagged {
        return;
    }
    for t in &taxa {
        *per_taxon.entry(t.clone()).or_default() += 1;
    }
    if out.results.len() >= MAX_FLAGGED_SHOWN {
        out.not_shown += 1;
        return;
    }
    out.results.push(ResultData {
        listing: shown.listing,
        url: shown.url,
        exhibit: shown.bundle.as_ref().and_then(|b| numbers.get(b)).cloned(),
        score: scored.score,
        taxa,
        reasons,
    });
}

/// A live sweep's event and results (`sweeps/<id>/hits.jsonl`): each
/// flagged listing is shown with the exhibit of its own page when it was
/// captured, else of the results page it was found on.
fn live_sweep_data(
    case: &Case,
    e: &Entry,
    d: &LiveRecorded,
    numbers: &HashMap<String, String>,
    matched: &mut BTreeMap<String, Vec<MatchedData>>,
    per_taxon: &mut BTreeMap<String, u64>,
) -> SweepData {
    let hits_file = d.outputs.iter().find(|o| o.path.ends_with("hits.jsonl"));
    let mut out = SweepData {
        seq: e.seq,
        time: e.time.clone(),
        officer: e.officer.clone(),
        listings: d.listings,
        matched: d.matched,
        flagged: d.flagged,
        min_score: d.min_score,
        skipped: 0,
        inputs: d
            .targets
            .iter()
            .map(|t| (format!("marketplace profile {}", t.path), t.sha256.clone()))
            .collect(),
        output: hits_file.map(|o| o.path.clone()).unwrap_or_default(),
        output_sha256: hits_file.map(|o| o.sha256.clone()).unwrap_or_default(),
        output_status: None,
        results: Vec::new(),
        not_shown: 0,
    };
    let Some(file) = hits_file else {
        out.output_status = Some("the sweep event names no hits.jsonl".into());
        return out;
    };
    let hits = match crate::sweep::live::read_hits_file(&case.root, &file.path, &file.sha256) {
        Ok(h) => h,
        Err(why) => {
            out.output_status = Some(why);
            return out;
        }
    };
    for h in hits {
        let own = h.capture.as_ref().and_then(|c| c.bundle.clone());
        let shown = Shown {
            seq: e.seq,
            bundle: own.or_else(|| h.sightings.first().map(|s| s.bundle.clone())),
            listing: h
                .listing
                .title
                .clone()
                .unwrap_or_else(|| h.listing.url.clone()),
            url: Some(h.listing.url.clone()),
        };
        add_result(&mut out, shown, &h.scored, numbers, matched, per_taxon);
    }
    out
}

/// The bundle id in a sweep source path such as
/// `CASE/evidence/<id>/data/text.txt`.
fn bundle_of_source(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    let i = parts.iter().position(|p| *p == crate::case::EVIDENCE_DIR)?;
    parts.get(i + 1).map(|s| s.to_string())
}

/// Verify's problems by the bundle their path names (`evidence/<id>/...`),
/// as "path: message".
fn problems_by_bundle(verified: &Verified) -> HashMap<&str, Vec<String>> {
    let marker = format!("{}/", crate::case::EVIDENCE_DIR);
    let mut out: HashMap<&str, Vec<String>> = HashMap::new();
    for p in &verified.problems {
        let mut bundles: Vec<&str> = p
            .path
            .match_indices(&marker)
            .map(|(i, _)| {
                let rest = &p.path[i + marker.len()..];
                rest.split(['/', '\\']).next().unwrap_or(rest)
            })
            .filter(|b| !b.is_empty())
            .collect();
        bundles.dedup();
        for b in bundles {
            out.entry(b)
                .or_default()
                .push(format!("{}: {}", p.path, p.message));
        }
    }
    out
}

fn exhibit_data(
    case: &Case,
    x: &Exhibit,
    problems: &[String],
    matched: Vec<MatchedData>,
) -> ExhibitData {
    let dir = case.evidence_dir().join(&x.bundle);
    let rec = crate::fsutil::read_capped(
        &dir.join("data").join("capture.json"),
        capture_record::MAX_RECORD_BYTES,
    )
    .ok()
    .and_then(|b| CaptureRecord::from_json(&b).ok());
    let sizes: BTreeMap<String, u64> = rec
        .as_ref()
        .map(|r| r.files.iter().map(|f| (f.path.clone(), f.size)).collect())
        .unwrap_or_default();
    let files = crate::fsutil::read_capped(&dir.join(bundle::MANIFEST_256), MAX_MANIFEST)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| bagit::parse_manifest(&t, 64).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|(path, sha256)| FileData {
            bytes: sizes.get(&path).copied(),
            path,
            sha256,
        })
        .collect();
    let problems = problems.to_vec();
    let check = if problems.is_empty() {
        "verified: hashes, signature and custody record hold".to_string()
    } else {
        format!("FAILED: {} problem(s)", problems.len())
    };
    let timestamp = if !x.timestamped {
        "none requested".to_string()
    } else if problems.iter().any(|p| p.contains("timestamp")) {
        "present, but does not hold (see problems)".to_string()
    } else {
        "present; it covers the manifest (its authority's certificate is checked only when verify is given --tsa-ca)".to_string()
    };
    ExhibitData {
        record: x.clone(),
        server_ip: rec
            .as_ref()
            .and_then(|r| r.server.as_ref())
            .map(|s| s.ip.clone()),
        started_at: rec.as_ref().map(|r| r.started_at.clone()),
        redirects: rec
            .as_ref()
            .map(|r| {
                r.redirects
                    .iter()
                    .map(|h| RedirectData {
                        url: h.url.clone(),
                        status: h.status,
                        location: h.location.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        tls: rec.as_ref().and_then(|r| r.tls.as_ref()).and_then(|t| {
            let leaf = t.certificate_chain.first()?;
            Some(TlsData {
                version: t.version.clone(),
                verified: t.verified,
                subject: leaf.subject.clone(),
                issuer: leaf.issuer.clone(),
                sha256: leaf.sha256.clone(),
                not_after: leaf.not_after.clone(),
            })
        }),
        capture_note: rec.as_ref().and_then(|r| r.note.clone()),
        error: rec.as_ref().and_then(|r| r.error.clone()),
        files,
        check,
        problems,
        timestamp,
        matched,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::Problem;

    #[test]
    fn problems_go_to_the_bundle_their_path_names_and_to_no_other() {
        let problem = |path: &str| Problem {
            path: path.into(),
            message: "changed".into(),
        };
        let verified = Verified {
            problems: vec![
                problem("/cases/c1/evidence/abcd/data/page.html"),
                problem("evidence/ab"),
                problem("custody.jsonl line 4"),
                problem("c1.zip!/evidence/abcd/manifest-sha256.txt"),
            ],
            ..Default::default()
        };
        let by = problems_by_bundle(&verified);
        assert_eq!(
            by["abcd"],
            [
                "/cases/c1/evidence/abcd/data/page.html: changed",
                "c1.zip!/evidence/abcd/manifest-sha256.txt: changed"
            ]
        );
        // "ab" is a prefix of "abcd": only the problem naming "ab" itself.
        assert_eq!(by["ab"], ["evidence/ab: changed"]);
        assert_eq!(by.len(), 2, "{by:?}");
    }
}
