//! `warden export case-uco`: the case described in CASE/UCO JSON-LD
//! (CASE 1.x over UCO 1.x, <https://caseontology.org/>), which tools of the
//! CASE community read and `case_validate` (pip package `case-utils`)
//! checks. Made only from a case that verifies; the mapping is specified in
//! `docs/export.md`:
//!
//! - the case is a `case-investigation:Investigation`; each officer a
//!   `uco-identity:Person` holding a `case-investigation:Investigator` role;
//!   the agency a `uco-identity:Organization`;
//! - every custody event is a `case-investigation:InvestigativeAction`
//!   (performer: the officer's role; instrument: warden, with the version
//!   and executable SHA-256 a capture or report recorded);
//! - each capture has `uco-observable:URL` objects and, as results, a
//!   `uco-observable:File` per bundle file with the SHA-256 its
//!   `manifest-sha256.txt` records, and a `case-investigation:ProvenanceRecord`
//!   carrying the exhibit number.
//!
//! Every node has an `@id` ending in a UUID (version 5, named after the case
//! fingerprint and what the node stands for), so exporting the same case
//! again gives the same identifiers. The JSON is built with `serde_json`;
//! nothing is escaped by hand.

use super::{Anchors, ExportError, OutFile, io_err};
use crate::capture::record::{CaptureRecord, MAX_RECORD_BYTES};
use crate::case::Case;
use crate::custody::Event;
use crate::custody::event::{
    AcceptDetails, AccessDetails, CheckpointDetails, ExportDetails, NoteDetails,
    OfficerAddedDetails, OfficerRevokedDetails, ReportDetails, TransferDetails, WithdrawDetails,
};
use crate::custody::timeline::{Entry, Exhibit};
use crate::fsutil;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Most bytes read from `manifest-sha256.txt`.
const MAX_MANIFEST: u64 = 16 << 20;
/// Largest custody log read (as verify reads it).
const MAX_LOG: u64 = 4 << 30;
/// Largest `case.toml` read.
const MAX_CASE_TOML: u64 = 16 << 20;

/// The IRI prefix `kb:` of every node.
pub const KB: &str = "urn:warden:kb:";
/// The name, under the URL namespace, of the UUIDv5 namespace node
/// identifiers are made in.
const NAMESPACE_NAME: &str = "urn:warden:case-uco";

/// What to export, and how to anchor its verification.
#[derive(Debug, Clone, Default)]
pub struct CaseUcoOptions {
    /// The case folder.
    pub case: PathBuf,
    /// The `.jsonld` file to create; it must not exist.
    pub out: PathBuf,
    /// Anchors for the verification that comes first.
    pub anchors: Anchors,
}

/// What was written.
#[derive(Debug, Clone, Serialize)]
pub struct CaseUcoSummary {
    /// The `.jsonld` file.
    pub path: PathBuf,
    /// Its SHA-256 (lowercase hex) and size.
    pub sha256: String,
    pub bytes: u64,
    /// Nodes of the graph.
    pub nodes: usize,
    /// Investigative actions (one per custody event).
    pub actions: usize,
    /// Exhibits (provenance records).
    pub exhibits: usize,
    /// File nodes with a SHA-256.
    pub files: usize,
}

/// Verifies the case and, if it verifies, writes it as CASE/UCO JSON-LD.
pub fn write(opts: &CaseUcoOptions) -> Result<CaseUcoSummary, ExportError> {
    let case = super::open_case(&opts.case)?;
    let out = OutFile::check(
        &opts.out,
        ".jsonld",
        "case_validate and other JSON-LD tools recognise the format by it",
        &case.root,
    )?;
    super::verify_or_refuse(&case.root, &opts.anchors)?;
    let built = build(&case)?;
    let mut bytes = serde_json::to_vec_pretty(&built.doc).expect("JSON serialises");
    bytes.push(b'\n');
    let (tmp, mut file) = out.temp()?;
    file.write_all(&bytes).map_err(io_err(&tmp.path))?;
    let (sha256, size) = out.publish(tmp, file)?;
    Ok(CaseUcoSummary {
        path: opts.out.clone(),
        sha256,
        bytes: size,
        nodes: built.nodes,
        actions: built.actions,
        exhibits: built.exhibits,
        files: built.files,
    })
}

/// The document and what it holds.
struct Built {
    doc: Value,
    nodes: usize,
    actions: usize,
    exhibits: usize,
    files: usize,
}

/// A name-based (version 5, SHA-1) UUID, RFC 9562 section 5.5.
fn uuid_v5(namespace: &uuid::Uuid, name: &[u8]) -> uuid::Uuid {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(namespace.as_bytes());
    ctx.update(name);
    let digest = ctx.finish();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.as_ref()[..16]);
    uuid::Builder::from_sha1_bytes(bytes).into_uuid()
}

/// Node identifiers: `kb:warden-<first 8 hex digits of the fingerprint>-
/// <kind>-<UUIDv5 of "<fingerprint>\n<kind>\n<key>">`.
struct Ids {
    namespace: uuid::Uuid,
    fingerprint: String,
}

impl Ids {
    fn new(fingerprint: &str) -> Ids {
        Ids {
            namespace: uuid_v5(&uuid::Uuid::NAMESPACE_URL, NAMESPACE_NAME.as_bytes()),
            fingerprint: fingerprint.to_string(),
        }
    }

    fn id(&self, kind: &str, key: &str) -> String {
        let name = format!("{}\n{kind}\n{key}", self.fingerprint);
        let uuid = uuid_v5(&self.namespace, name.as_bytes());
        format!(
            "kb:warden-{}-{kind}-{uuid}",
            &self.fingerprint[..8.min(self.fingerprint.len())]
        )
    }
}

/// A reference to a node.
fn r(id: &str) -> Value {
    json!({ "@id": id })
}

fn refs(ids: &[String]) -> Value {
    Value::Array(ids.iter().map(|i| r(i)).collect())
}

/// An `xsd:dateTime` literal, UTC with milliseconds; `None` if `t` is not
/// an RFC 3339 time.
fn date_time(t: &str) -> Option<Value> {
    let t = chrono::DateTime::parse_from_rfc3339(t).ok()?;
    Some(json!({
        "@type": "xsd:dateTime",
        "@value": t
            .with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    }))
}

fn is_sha256(h: &str) -> bool {
    h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The graph being built: nodes in the order added, each `@id` once.
struct Graph {
    ids: Ids,
    nodes: Vec<Value>,
    seen: HashSet<String>,
    files: usize,
    /// Officer name -> role node.
    roles: HashMap<String, String>,
    organization: Option<String>,
}

impl Graph {
    fn id(&self, kind: &str, key: &str) -> String {
        self.ids.id(kind, key)
    }

    /// Adds a node unless one with its `@id` is already there.
    fn push(&mut self, node: Value) {
        let id = node["@id"]
            .as_str()
            .expect("every node has an @id")
            .to_string();
        if self.seen.insert(id) {
            self.nodes.push(node);
        }
    }

    fn has(&self, id: &str) -> bool {
        self.seen.contains(id)
    }

    /// A file with its SHA-256 (`path` relative to the case folder, or as
    /// an event recorded it); `key` makes its identity.
    fn file(&mut self, key: &str, path: &str, sha256: &str, size: Option<u64>) -> String {
        let id = self.id("file", key);
        if self.has(&id) {
            return id;
        }
        let name = path.rsplit('/').next().unwrap_or(path);
        let mut file_facet = json!({
            "@id": self.id("file-facet", key),
            "@type": "uco-observable:FileFacet",
            "uco-observable:fileName": name,
            "uco-observable:filePath": path,
        });
        let mut content = json!({
            "@id": self.id("content-data-facet", key),
            "@type": "uco-observable:ContentDataFacet",
            "uco-observable:hash": [{
                "@id": self.id("hash", key),
                "@type": "uco-types:Hash",
                "uco-types:hashMethod": "SHA256",
                "uco-types:hashValue": {
                    "@type": "xsd:hexBinary",
                    "@value": sha256.to_ascii_lowercase(),
                },
            }],
        });
        if let Some(size) = size {
            file_facet["uco-observable:sizeInBytes"] = size.into();
            content["uco-observable:sizeInBytes"] = size.into();
        }
        self.push(json!({
            "@id": id,
            "@type": "uco-observable:File",
            "uco-core:hasFacet": [file_facet, content],
        }));
        self.files += 1;
        id
    }

    /// A URL.
    fn url(&mut self, url: &str) -> String {
        let id = self.id("url", url);
        self.push(json!({
            "@id": id,
            "@type": "uco-observable:URL",
            "uco-core:hasFacet": [{
                "@id": self.id("url-facet", url),
                "@type": "uco-observable:URLFacet",
                "uco-observable:fullValue": url,
            }],
        }));
        id
    }

    /// The role node of an officer (a Person holding an Investigator
    /// role), made on first use.
    fn officer(&mut self, name: &str, public_key: Option<&str>) -> String {
        if let Some(role) = self.roles.get(name) {
            return role.clone();
        }
        let person = self.id("person", name);
        let role = self.id("investigator-role", name);
        let mut p = json!({
            "@id": person,
            "@type": "uco-identity:Person",
            "uco-core:name": name,
        });
        if let Some(key) = public_key {
            p["uco-core:description"] = format!(
                "Officer registered in case.toml with the Ed25519 public key {key} (base64); every custody event and bundle this officer made is signed with it"
            )
            .into();
        }
        self.push(p);
        self.push(json!({
            "@id": role,
            "@type": "case-investigation:Investigator",
            "uco-core:name": "Investigator",
        }));
        self.push(json!({
            "@id": self.id("has-role", name),
            "@type": "uco-core:Relationship",
            "uco-core:source": r(&person),
            "uco-core:target": r(&role),
            "uco-core:kindOfRelationship": "Has_Role",
            "uco-core:isDirectional": true,
        }));
        if let Some(org) = self.organization.clone() {
            self.push(json!({
                "@id": self.id("member-of", name),
                "@type": "uco-core:Relationship",
                "uco-core:source": r(&person),
                "uco-core:target": r(&org),
                "uco-core:kindOfRelationship": "Member_Of",
                "uco-core:isDirectional": true,
            }));
        }
        self.roles.insert(name.to_string(), role.clone());
        role
    }

    /// The person node of an officer (after [`Graph::officer`]).
    fn person(&self, name: &str) -> String {
        self.id("person", name)
    }

    /// warden as a tool: with the version and executable SHA-256 a capture
    /// or report recorded; without them for events that record neither.
    /// Returns the tool and, when its SHA-256 is known, the executable file.
    fn tool(
        &mut self,
        version: Option<&str>,
        executable: Option<&str>,
        sha256: Option<&str>,
    ) -> Vec<String> {
        let sha256 = sha256.filter(|h| is_sha256(h));
        let key = format!(
            "warden\n{}\n{}",
            version.unwrap_or(""),
            sha256.unwrap_or("")
        );
        let id = self.id("tool", &key);
        let mut out = vec![id.clone()];
        let description = match (version, sha256) {
            (Some(v), Some(h)) => format!(
                "warden {v}, the program whose executable had SHA-256 {h}, as it recorded when it ran"
            ),
            (Some(v), None) => format!("warden {v} (it could not record its executable's SHA-256)"),
            _ => "warden, which signed this event into the custody log (the log does not record which version)".to_string(),
        };
        let mut tool = json!({
            "@id": id,
            "@type": "uco-tool:Tool",
            "uco-core:name": "warden",
            "uco-core:description": description,
            "uco-tool:toolType": "evidence capture and custody",
        });
        if let Some(v) = version {
            tool["uco-tool:version"] = v.into();
        }
        self.push(tool);
        if let Some(h) = sha256 {
            let path = executable.unwrap_or("warden");
            out.push(self.file(&format!("executable\n{h}"), path, h, None));
        }
        out
    }
}

/// What an exhibit became in the graph.
struct ExhibitNodes {
    provenance: String,
    capture: String,
}

/// Builds the document for a verified case.
fn build(case: &Case) -> Result<Built, ExportError> {
    let log_path = case.custody_path();
    let log = fsutil::read_capped(&log_path, MAX_LOG).map_err(io_err(&log_path))?;
    let check = crate::custody::check_log(&log);
    let changed = |detail: &str| ExportError::Changed {
        path: log_path.clone(),
        detail: detail.to_string(),
    };
    if !check.problems.is_empty() || check.events.iter().any(|e| !e.valid) {
        return Err(changed("the custody log no longer checks"));
    }
    let Some(fingerprint) = check.fingerprint.clone() else {
        return Err(changed("the custody log is empty"));
    };
    let record = crate::custody::timeline::record(&check);
    let info = &case.config.case;
    let mut g = Graph {
        ids: Ids::new(&fingerprint),
        nodes: Vec::new(),
        seen: HashSet::new(),
        files: 0,
        roles: HashMap::new(),
        organization: None,
    };

    let investigation = g.id("investigation", "case");
    let organization = g.id("organization", &info.agency);
    g.organization = Some(organization.clone());
    // The investigation goes first; its list of objects is filled in last.
    g.push(json!({ "@id": investigation }));
    g.push(json!({
        "@id": organization,
        "@type": "uco-identity:Organization",
        "uco-core:name": info.agency,
    }));
    for officer in &case.config.officers {
        g.officer(&officer.name, Some(&officer.public_key));
    }
    let case_toml_path = case.root.join(crate::case::CASE_FILE);
    let case_toml =
        fsutil::read_capped(&case_toml_path, MAX_CASE_TOML).map_err(io_err(&case_toml_path))?;
    let mut case_files = vec![
        g.file(
            crate::case::CASE_FILE,
            crate::case::CASE_FILE,
            &crate::hash::sha256_hex(&case_toml),
            Some(case_toml.len() as u64),
        ),
        g.file(
            crate::case::CUSTODY_FILE,
            crate::case::CUSTODY_FILE,
            &crate::hash::sha256_hex(&log),
            Some(log.len() as u64),
        ),
    ];

    let events: BTreeMap<u64, &Event> = check
        .events
        .iter()
        .map(|e| (e.event.seq, &e.event))
        .collect();
    let mut exhibits: HashMap<String, ExhibitNodes> = HashMap::new();
    let mut provenance = Vec::new();
    let mut actions = Vec::new();
    for exhibit in &record.exhibits {
        let nodes = add_exhibit(&mut g, case, exhibit)?;
        provenance.push(nodes.provenance.clone());
        exhibits.insert(exhibit.number.clone(), nodes);
    }
    for entry in &record.entries {
        let Some(event) = events.get(&entry.seq) else {
            return Err(changed("an event of the timeline is not in the log"));
        };
        let id = add_action(
            &mut g,
            entry,
            event,
            &exhibits,
            &investigation,
            &mut case_files,
        );
        actions.push(id);
    }

    let mut objects = actions.clone();
    objects.extend(provenance.iter().cloned());
    objects.extend(case_files.iter().cloned());
    let mut inv = json!({
        "@id": investigation,
        "@type": "case-investigation:Investigation",
        "uco-core:name": info.id,
        "uco-core:description": format!(
            "{} ({}). Case fingerprint (SHA-256 of the first line of custody.jsonl): {fingerprint}. Exported by warden {} from the case as verified at {}.",
            info.title,
            info.agency,
            crate::VERSION,
            crate::now_rfc3339()
        ),
        "case-investigation:investigationForm": "case",
        "uco-core:object": refs(&objects),
    });
    if let Some(t) = date_time(&info.created) {
        inv["uco-core:objectCreatedTime"] = t;
    }
    g.nodes[0] = inv;

    let doc = json!({
        "@context": {
            "kb": KB,
            "case-investigation": "https://ontology.caseontology.org/case/investigation/",
            "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
            "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
            "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
            "uco-location": "https://ontology.unifiedcyberontology.org/uco/location/",
            "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
            "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
            "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@graph": g.nodes,
    });
    Ok(Built {
        nodes: doc["@graph"].as_array().map_or(0, Vec::len),
        doc,
        actions: actions.len(),
        exhibits: provenance.len(),
        files: g.files,
    })
}

/// The bundle of an exhibit: its files (with the SHA-256 the manifest
/// records), the URLs, its provenance record and its capture action's id.
fn add_exhibit(g: &mut Graph, case: &Case, exhibit: &Exhibit) -> Result<ExhibitNodes, ExportError> {
    let evidence = case.evidence_dir();
    // The bundle id names a folder: it must be a capture id as warden
    // writes it (a lowercase hyphenated UUID), nothing else.
    let canonical = uuid::Uuid::parse_str(&exhibit.bundle)
        .map(|u| u.hyphenated().to_string())
        .ok();
    if canonical.as_deref() != Some(exhibit.bundle.as_str()) {
        return Err(ExportError::Unreadable {
            path: case.custody_path(),
            detail: format!(
                "exhibit {} names bundle {:?}, which is not a capture id",
                exhibit.number,
                crate::text::one_line(&exhibit.bundle.chars().take(80).collect::<String>())
            ),
        });
    }
    let dir = evidence.join(&exhibit.bundle);
    let rel_dir = format!("{}/{}", crate::case::EVIDENCE_DIR, exhibit.bundle);
    let manifest_path = dir.join("manifest-sha256.txt");
    let changed = |path: &Path, detail: &str| ExportError::Changed {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    };
    let manifest = fsutil::read_capped(&manifest_path, MAX_MANIFEST)
        .map_err(|e| changed(&manifest_path, &e.to_string()))?;
    let manifest_sha256 = crate::hash::sha256_hex(&manifest);
    if exhibit.manifest_sha256.as_deref() != Some(manifest_sha256.as_str()) {
        return Err(changed(
            &manifest_path,
            "its SHA-256 is not the one its capture event records",
        ));
    }
    let entries = std::str::from_utf8(&manifest)
        .ok()
        .and_then(|t| crate::bundle::bagit::parse_manifest(t, 64).ok())
        .ok_or_else(|| changed(&manifest_path, "it no longer reads as a manifest"))?;
    let json_path = dir.join("data/capture.json");
    let json = fsutil::read_capped(&json_path, MAX_RECORD_BYTES)
        .map_err(|e| changed(&json_path, &e.to_string()))?;
    let recorded = entries
        .iter()
        .find(|(p, _)| p == "data/capture.json")
        .map(|(_, h)| h.to_ascii_lowercase());
    if recorded.as_deref() != Some(crate::hash::sha256_hex(&json).as_str()) {
        return Err(changed(&json_path, "its SHA-256 is not the manifest's"));
    }
    let capture = CaptureRecord::from_json(&json).map_err(|e| ExportError::Unreadable {
        path: json_path.clone(),
        detail: format!("not a capture record: {e}"),
    })?;

    let mut files = Vec::new();
    let mut page = None;
    for (path, sha256) in &entries {
        let rel = format!("{rel_dir}/{path}");
        // The size, when the file is there as a plain file (its content
        // was checked against the manifest by verification).
        let size = std::fs::symlink_metadata(dir.join(path))
            .ok()
            .filter(std::fs::Metadata::is_file)
            .map(|m| m.len());
        let id = g.file(&rel, &rel, sha256, size);
        if capture.page.as_ref().is_some_and(|p| p.file == *path) {
            page = Some(id.clone());
        }
        files.push(id);
    }
    let manifest_rel = format!("{rel_dir}/manifest-sha256.txt");
    files.push(g.file(
        &manifest_rel,
        &manifest_rel,
        &manifest_sha256,
        Some(manifest.len() as u64),
    ));

    let requested = g.url(&capture.requested_url);
    let final_url = g.url(&capture.final_url);
    if let Some(page) = &page {
        g.push(json!({
            "@id": g.id("downloaded-from", &exhibit.bundle),
            "@type": "uco-observable:ObservableRelationship",
            "uco-core:source": r(page),
            "uco-core:target": r(&final_url),
            "uco-core:kindOfRelationship": "Downloaded_From",
            "uco-core:isDirectional": true,
        }));
    }
    let provenance = g.id("provenance-record", &exhibit.bundle);
    let mut what = format!(
        "Evidence bundle {} (exhibit {}): capture of {} ({}",
        exhibit.bundle, exhibit.number, capture.requested_url, capture.status
    );
    if let Some(s) = capture.http_status {
        what.push_str(&format!(", HTTP {s}"));
    }
    what.push(')');
    if let Some(w) = &exhibit.withdrawn {
        what.push_str(&format!(
            "; withdrawn by {} at {}: {}",
            w.officer, w.time, w.reason
        ));
    }
    g.push(json!({
        "@id": provenance,
        "@type": "case-investigation:ProvenanceRecord",
        "uco-core:description": what,
        "case-investigation:exhibitNumber": exhibit.number,
        "case-investigation:rootExhibitNumber": exhibit.number,
        "uco-core:object": refs(&files),
    }));

    let capture_id = g.id("capture", &exhibit.bundle);
    let role = g.officer(&exhibit.officer, None);
    let instrument = g.tool(
        Some(&capture.tool.version),
        capture.tool.executable.as_deref(),
        capture.tool.executable_sha256.as_deref(),
    );
    let mut results = files.clone();
    results.push(provenance.clone());
    let mut objects = vec![requested.clone()];
    if final_url != requested {
        objects.push(final_url);
    }
    let mut action = json!({
        "@id": capture_id,
        "@type": "case-investigation:InvestigativeAction",
        "uco-core:name": "capture",
        "uco-action:performer": r(&role),
        "uco-action:instrument": refs(&instrument),
        "uco-action:object": refs(&objects),
        "uco-action:result": refs(&results),
    });
    if let Some(t) = date_time(&capture.started_at) {
        action["uco-action:startTime"] = t;
    }
    if let Some(t) = date_time(&capture.ended_at) {
        action["uco-action:endTime"] = t;
    }
    // The description is set with the custody event (add_action).
    g.push(action);
    Ok(ExhibitNodes {
        provenance,
        capture: capture_id,
    })
}

/// The investigative action of one custody event; returns its id.
fn add_action(
    g: &mut Graph,
    entry: &Entry,
    event: &Event,
    exhibits: &HashMap<String, ExhibitNodes>,
    investigation: &str,
    case_files: &mut Vec<String>,
) -> String {
    let description = format!(
        "custody.jsonl event {} at {} by {}: {}",
        entry.seq, entry.time, entry.officer, entry.summary
    );
    let exhibit = entry.exhibit.as_ref().and_then(|n| exhibits.get(n));
    let role = g.officer(&entry.officer, None);
    if entry.action == "capture"
        && let Some(x) = exhibit
    {
        // Made with the exhibit; add what the event says.
        let i = g
            .nodes
            .iter()
            .position(|n| n["@id"] == x.capture.as_str())
            .expect("the capture action was added with its exhibit");
        g.nodes[i]["uco-core:description"] = description.into();
        return x.capture.clone();
    }
    let id = g.id(&entry.action, &entry.seq.to_string());
    let about: Vec<String> = match exhibit {
        Some(x) => vec![x.provenance.clone()],
        None => vec![investigation.to_string()],
    };
    let mut objects: Vec<String> = Vec::new();
    let mut results: Vec<String> = Vec::new();
    let mut participants: Vec<String> = Vec::new();
    let mut instrument = g.tool(None, None, None);
    let mut informed_by: Option<String> = exhibit.map(|x| x.capture.clone());
    let mut location: Option<String> = None;
    let annotation = |g: &mut Graph, statement: String, tag: &str, about: &[String]| {
        let id = g.id("annotation", &entry.seq.to_string());
        g.push(json!({
            "@id": id,
            "@type": "uco-core:Annotation",
            "uco-core:statement": statement,
            "uco-core:tag": [tag],
            "uco-core:object": refs(about),
        }));
        id
    };
    match entry.action.as_str() {
        "case-init" => results.push(investigation.to_string()),
        "officer-added" => {
            if let Some(d) = event.details_as::<OfficerAddedDetails>() {
                g.officer(&d.officer, Some(&d.public_key));
                results.push(g.person(&d.officer));
            }
        }
        "officer-revoked" => {
            if let Some(d) = event.details_as::<OfficerRevokedDetails>() {
                objects.push(g.person(&d.officer));
                results.push(annotation(
                    g,
                    format!(
                        "revoked officer {} (key {}): {}",
                        d.officer, d.public_key, d.reason
                    ),
                    "officer-revoked",
                    &about,
                ));
            }
        }
        "note" => {
            objects.extend(about.iter().cloned());
            if let Some(d) = event.details_as::<NoteDetails>() {
                results.push(annotation(g, d.text, "note", &about));
            }
        }
        "access" => {
            objects.extend(about.iter().cloned());
            if let Some(d) = event.details_as::<AccessDetails>() {
                results.push(annotation(
                    g,
                    format!("accessed: {}", d.reason),
                    "access",
                    &about,
                ));
            }
        }
        "withdraw" => {
            objects.extend(about.iter().cloned());
            if let Some(d) = event.details_as::<WithdrawDetails>() {
                results.push(annotation(
                    g,
                    format!("exhibit {} withdrawn: {}", d.exhibit.number, d.reason),
                    "withdrawn",
                    &about,
                ));
            }
        }
        "transfer" => {
            objects.push(investigation.to_string());
            if let Some(d) = event.details_as::<TransferDetails>() {
                participants.push(g.officer(&d.to, None));
                if let Some(l) = d.location {
                    let lid = g.id("location", &entry.seq.to_string());
                    g.push(json!({
                        "@id": lid,
                        "@type": "uco-location:Location",
                        "uco-core:description": l,
                    }));
                    location = Some(lid);
                }
            }
        }
        "accept" => {
            objects.push(investigation.to_string());
            if let Some(d) = event.details_as::<AcceptDetails>() {
                informed_by = Some(g.id("transfer", &d.transfer_seq.to_string()));
            }
        }
        "checkpoint" => {
            if let Some(d) = event.details_as::<CheckpointDetails>()
                && is_sha256(&d.file_sha256)
            {
                let f = g.file(&d.file, &d.file, &d.file_sha256, None);
                results.push(f.clone());
                if !case_files.contains(&f) {
                    case_files.push(f);
                }
                if let (Some(file), Some(sha)) = (&d.timestamp_file, &d.timestamp_sha256)
                    && is_sha256(sha)
                {
                    let f = g.file(file, file, sha, None);
                    results.push(f.clone());
                    if !case_files.contains(&f) {
                        case_files.push(f);
                    }
                }
            }
        }
        "report" => {
            objects.push(investigation.to_string());
            if let Some(d) = event.details_as::<ReportDetails>() {
                instrument = g.tool(
                    Some(&d.warden_version),
                    None,
                    d.executable_sha256.as_deref(),
                );
                for f in &d.files {
                    if is_sha256(&f.sha256) {
                        let path = format!("{}/{}", d.folder.trim_end_matches('/'), f.name);
                        results.push(g.file(
                            &format!("report\n{}\n{path}", entry.seq),
                            &path,
                            &f.sha256,
                            Some(f.bytes),
                        ));
                    }
                }
            }
        }
        "export" => {
            objects.push(investigation.to_string());
            if let Some(d) = event.details_as::<ExportDetails>() {
                instrument = g.tool(Some(&d.warden_version), None, None);
                if is_sha256(&d.sha256) {
                    results.push(g.file(
                        &format!("export\n{}\n{}", entry.seq, d.file),
                        &d.file,
                        &d.sha256,
                        Some(d.bytes),
                    ));
                }
            }
        }
        "sweep" => {
            let details = event.details.clone().unwrap_or(Value::Null);
            let mut hashed = |v: &Value| -> Option<String> {
                let path = v.get("path")?.as_str()?;
                let sha = v.get("sha256")?.as_str()?;
                is_sha256(sha).then(|| g.file(&format!("{path}\n{sha}"), path, sha, None))
            };
            for key in ["inputs", "lists"] {
                for v in details
                    .get(key)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    objects.extend(hashed(v));
                }
            }
            if let Some(o) = details.get("output") {
                results.extend(hashed(o));
            }
        }
        "capture-recovered" | "capture-interrupted" => objects.extend(about.iter().cloned()),
        _ => {}
    }
    let mut action = json!({
        "@id": id,
        "@type": "case-investigation:InvestigativeAction",
        "uco-core:name": entry.action,
        "uco-core:description": description,
        "uco-action:performer": r(&role),
        "uco-action:instrument": refs(&instrument),
    });
    if let Some(t) = date_time(&entry.time) {
        action["uco-action:startTime"] = t.clone();
        action["uco-action:endTime"] = t;
    }
    if !objects.is_empty() {
        action["uco-action:object"] = refs(&objects);
    }
    if !results.is_empty() {
        action["uco-action:result"] = refs(&results);
    }
    if !participants.is_empty() {
        action["uco-action:participant"] = refs(&participants);
    }
    if let Some(l) = location {
        action["uco-action:location"] = r(&l);
    }
    if let Some(i) = informed_by {
        action["case-investigation:wasInformedBy"] = r(&i);
    }
    g.push(action);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_v5_matches_rfc_9562() {
        // The well-known example: python.org in the DNS namespace.
        assert_eq!(
            uuid_v5(&uuid::Uuid::NAMESPACE_DNS, b"python.org").to_string(),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d"
        );
    }

    #[test]
    fn ids_are_stable_and_end_in_a_version_5_uuid() {
        let fp = "3f5a".repeat(16);
        let ids = Ids::new(&fp);
        let a = ids.id("capture", "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b");
        assert_eq!(
            a,
            Ids::new(&fp).id("capture", "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b")
        );
        assert!(a.starts_with("kb:warden-3f5a3f5a-capture-"), "{a}");
        let uuid = uuid::Uuid::parse_str(&a[a.len() - 36..]).unwrap();
        assert_eq!(uuid.get_version_num(), 5);
        assert_ne!(a, ids.id("capture", "another"));
        assert_ne!(
            a,
            Ids::new(&"00".repeat(32)).id("capture", "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b")
        );
    }

    #[test]
    fn date_times_are_utc_with_milliseconds() {
        assert_eq!(
            date_time("2026-03-01T10:08:07+01:00").unwrap()["@value"],
            "2026-03-01T09:08:07.000Z"
        );
        assert!(date_time("yesterday").is_none());
    }
}
