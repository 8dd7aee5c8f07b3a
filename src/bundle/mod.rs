//! Evidence bundles: BagIt bags with SHA-256 and SHA-512 manifests, an
//! Ed25519 signature over `manifest-sha256.txt`, an optional RFC 3161 token
//! and tag manifests over every tag file.
//!
//! A bundle is assembled and sealed in `evidence/.partial-<id>/`, made
//! durable together with the other bundles of its group
//! ([`make_durable`]), recorded in the custody log, and only then renamed to
//! `evidence/<id>/`. An existing bundle is never overwritten. A partial
//! bundle left by an interrupted capture is dealt with by
//! [`crate::recovery`].

pub(crate) mod bagit;
pub(crate) mod timestamp;
pub(crate) mod tsa_trust;

use crate::fsutil;
use crate::hash::{self, FileDigests, sha256_hex};
use crate::keys::{self, OfficerKey};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub(crate) const PARTIAL_PREFIX: &str = ".partial-";
pub(crate) const MANIFEST_256: &str = "manifest-sha256.txt";
pub(crate) const MANIFEST_512: &str = "manifest-sha512.txt";
pub(crate) const TAGMANIFEST_256: &str = "tagmanifest-sha256.txt";
pub(crate) const TAGMANIFEST_512: &str = "tagmanifest-sha512.txt";
pub(crate) const SIGNATURE: &str = "signature.ed25519";
pub(crate) const SIGNATURE_PUB: &str = "signature.pub.pem";
pub(crate) const TIMESTAMP: &str = "timestamp.tsr";
pub(crate) const BAGIT_TXT: &str = "bagit.txt";
pub(crate) const BAG_INFO: &str = "bag-info.txt";

/// Tag files covered by the tag manifests, in the order they are listed.
pub(crate) const TAG_FILES: &[&str] = &[
    BAGIT_TXT,
    BAG_INFO,
    MANIFEST_256,
    MANIFEST_512,
    SIGNATURE,
    SIGNATURE_PUB,
    TIMESTAMP,
];

#[derive(Debug, thiserror::Error)]
pub(crate) enum BundleError {
    #[error("a bundle with id {0} already exists; evidence is never overwritten")]
    Exists(String),
    #[error("{}: {}", path.display(), fsutil::describe_io_error(source))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> BundleError + '_ {
    move |source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `bag-info.txt` values.
#[derive(Debug, Clone)]
pub(crate) struct BagInfo {
    pub source_organization: String,
    pub contact_name: String,
    pub external_identifier: String,
    pub external_description: String,
    pub capture_id: String,
    pub signer_public_key: String,
    /// `YYYY-MM-DD`: the UTC date the capture ended (as in capture.json).
    pub bagging_date: String,
    pub warden_version: String,
}

/// Renders `bag-info.txt`. Every value comes from `capture.json` or the
/// payload itself, so a verifier can re-render it and demand a byte-exact
/// match (the signature covers capture.json through the manifest).
pub(crate) fn render_bag_info(info: &BagInfo, payload_oxum: &str) -> String {
    bagit::render_bag_info(&[
        ("Source-Organization", info.source_organization.clone()),
        ("Contact-Name", info.contact_name.clone()),
        ("External-Identifier", info.external_identifier.clone()),
        ("External-Description", info.external_description.clone()),
        ("Bagging-Date", info.bagging_date.clone()),
        ("Payload-Oxum", payload_oxum.to_string()),
        (
            "Bag-Software-Agent",
            format!("warden {}", info.warden_version),
        ),
        ("Warden-Version", info.warden_version.clone()),
        ("Warden-Capture-Id", info.capture_id.clone()),
        ("Warden-Signer-Public-Key", info.signer_public_key.clone()),
    ])
}

/// A bundle being written.
#[derive(Debug)]
pub(crate) struct Draft {
    pub id: String,
    pub tmp: PathBuf,
    pub final_path: PathBuf,
    /// Digests of files already hashed in this bundle, by path inside it
    /// (`data/page.html`, `bagit.txt`): each file is hashed once, from what
    /// was written or read back, not again for every list that names it.
    digests: Mutex<HashMap<String, FileDigests>>,
}

impl Draft {
    /// Creates `evidence/.partial-<id>/data/`. Fails if `evidence/<id>`
    /// already exists. The scratch folder ([`Draft::work_dir`]) is created
    /// only by whoever needs it.
    pub(crate) fn create(evidence_dir: &Path, id: &str) -> Result<Draft, BundleError> {
        let final_path = evidence_dir.join(id);
        if final_path.exists() {
            return Err(BundleError::Exists(id.to_string()));
        }
        let tmp = evidence_dir.join(format!("{PARTIAL_PREFIX}{id}"));
        std::fs::create_dir(&tmp).map_err(io_err(&tmp))?;
        let data = tmp.join("data");
        std::fs::create_dir(&data).map_err(io_err(&data))?;
        Ok(Draft {
            id: id.to_string(),
            tmp,
            final_path,
            digests: Mutex::new(HashMap::new()),
        })
    }

    /// Creates the file `rel` (a `/`-separated path inside the bundle; it
    /// must not exist) holding `bytes`, and remembers its digests.
    pub(crate) fn write_file(&self, rel: &str, bytes: &[u8]) -> Result<(), BundleError> {
        let p = self.tmp.join(rel);
        fsutil::write_new(&p, bytes).map_err(io_err(&p))?;
        self.remember(rel, hash::digest_bytes(bytes));
        Ok(())
    }

    /// The digests of the file `rel` inside the bundle: the remembered ones
    /// while the file still has the size they were taken at, otherwise
    /// hashed from disk now (and remembered).
    pub(crate) fn digest(&self, rel: &str) -> Result<FileDigests, BundleError> {
        let p = self.tmp.join(rel);
        let known = self.lock_digests().get(rel).cloned();
        if let Some(d) = known {
            let size = std::fs::symlink_metadata(&p).map_err(io_err(&p))?.len();
            if size == d.size {
                return Ok(d);
            }
        }
        let d = hash::digest_file(&p).map_err(io_err(&p))?;
        self.remember(rel, d.clone());
        Ok(d)
    }

    fn remember(&self, rel: &str, d: FileDigests) {
        self.lock_digests().insert(rel.to_string(), d);
    }

    fn lock_digests(&self) -> std::sync::MutexGuard<'_, HashMap<String, FileDigests>> {
        // Only ever filled with complete entries: a panic elsewhere cannot
        // leave the map half-written.
        self.digests.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn data_dir(&self) -> PathBuf {
        self.tmp.join("data")
    }

    /// Scratch space inside the partial bundle (not created here; removed
    /// before sealing).
    pub(crate) fn work_dir(&self) -> PathBuf {
        self.tmp.join(".work")
    }

    /// Removes the scratch space, hashes the payload and writes `bagit.txt`,
    /// `bag-info.txt` and both payload manifests.
    pub(crate) fn prepare(self, info: &BagInfo) -> Result<Prepared, BundleError> {
        let work = self.work_dir();
        if work.exists() {
            std::fs::remove_dir_all(&work).map_err(io_err(&work))?;
        }
        let data = self.data_dir();
        let files = list_files(&data).map_err(io_err(&data))?;
        let mut m256 = Vec::new();
        let mut m512 = Vec::new();
        let mut total = 0u64;
        for rel in &files {
            let bag_path = format!("data/{rel}");
            let d = self.digest(&bag_path)?;
            total += d.size;
            m256.push((bag_path.clone(), d.sha256));
            m512.push((bag_path, d.sha512));
        }
        let manifest256 = bagit::render_manifest(&m256);
        let manifest512 = bagit::render_manifest(&m512);
        let bag_info = render_bag_info(info, &format!("{total}.{}", files.len()));
        for (name, text) in [
            (BAGIT_TXT, bagit::BAGIT_TXT),
            (BAG_INFO, bag_info.as_str()),
            (MANIFEST_256, manifest256.as_str()),
            (MANIFEST_512, manifest512.as_str()),
        ] {
            self.write_file(name, text.as_bytes())?;
        }
        Ok(Prepared {
            manifest_sha256: sha256_hex(manifest256.as_bytes()),
            manifest256: manifest256.into_bytes(),
            draft: self,
        })
    }
}

/// A bundle whose payload manifests are written; ready to sign and seal.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub draft: Draft,
    /// Bytes of `manifest-sha256.txt` (what is signed and time-stamped).
    pub manifest256: Vec<u8>,
    /// SHA-256 of `manifest-sha256.txt`, lowercase hex.
    pub manifest_sha256: String,
}

/// A bundle signed and complete in `evidence/.partial-<id>/`, not yet durable
/// nor recorded: the capture pipeline makes a group of these durable with
/// one barrier ([`make_durable`]), appends their custody events, then moves
/// each into place ([`SealedPartial::move_into_place`]).
#[derive(Debug, Clone)]
pub(crate) struct SealedPartial {
    pub id: String,
    /// `evidence/.partial-<id>`.
    pub partial: PathBuf,
    /// `evidence/<id>`.
    pub final_path: PathBuf,
    pub manifest_sha256: String,
}

/// A finished bundle.
#[derive(Debug, Clone)]
pub(crate) struct Sealed {
    pub path: PathBuf,
    pub manifest_sha256: String,
}

impl Prepared {
    /// Signs `manifest-sha256.txt`, stores the time-stamp response if any and
    /// writes the tag manifests, all inside the partial folder. Nothing is
    /// fsynced here: see [`make_durable`].
    pub(crate) fn seal_partial(
        self,
        key: &OfficerKey,
        tsr: Option<&[u8]>,
    ) -> Result<SealedPartial, BundleError> {
        let draft = &self.draft;
        let tmp = &draft.tmp;
        let sig = key.sign(&self.manifest256);
        draft.write_file(SIGNATURE, &sig.to_bytes())?;
        draft.write_file(
            SIGNATURE_PUB,
            keys::public_key_pem(&key.verifying()).as_bytes(),
        )?;
        if let Some(tsr) = tsr {
            draft.write_file(TIMESTAMP, tsr)?;
        }
        let (t256, t512) = render_tag_manifests_with(tmp, |name| {
            draft.digest(name).map_err(|e| match e {
                BundleError::Io { source, .. } => source,
                other => std::io::Error::other(other.to_string()),
            })
        })
        .map_err(io_err(tmp))?;
        for (name, text) in [(TAGMANIFEST_256, t256), (TAGMANIFEST_512, t512)] {
            draft.write_file(name, text.as_bytes())?;
        }
        Ok(SealedPartial {
            id: self.draft.id.clone(),
            partial: tmp.clone(),
            final_path: self.draft.final_path.clone(),
            manifest_sha256: self.manifest_sha256.clone(),
        })
    }
}

/// Makes a group of sealed partial bundles in `evidence_dir` durable with
/// one barrier (see [`fsutil::sync_group`]). Each bundle is durable when
/// this returns, before its custody event is written.
pub(crate) fn make_durable(evidence_dir: &Path, partials: &[&Path]) -> Result<(), BundleError> {
    fsutil::sync_group(evidence_dir, partials).map_err(io_err(evidence_dir))
}

impl SealedPartial {
    /// Renames `.partial-<id>` to `<id>`, refusing to replace anything. The
    /// rename is not fsynced here: if it is lost in a crash, the custody
    /// event already names the bundle and [`crate::recovery`] completes it.
    pub(crate) fn move_into_place(&self) -> Result<Sealed, BundleError> {
        move_into_place(&self.id, &self.partial, &self.final_path)?;
        Ok(Sealed {
            path: self.final_path.clone(),
            manifest_sha256: self.manifest_sha256.clone(),
        })
    }
}

/// Renames a sealed partial folder to its final name, never replacing an
/// existing entry.
pub(crate) fn move_into_place(id: &str, from: &Path, to: &Path) -> Result<(), BundleError> {
    if to.exists() {
        return Err(BundleError::Exists(id.to_string()));
    }
    fsutil::rename_noreplace(from, to).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            BundleError::Exists(id.to_string())
        } else {
            io_err(to)(e)
        }
    })
}

/// Renders both tag manifests over the tag files present in `bag`.
pub(crate) fn render_tag_manifests(bag: &Path) -> std::io::Result<(String, String)> {
    render_tag_manifests_with(bag, |name| hash::digest_file(&bag.join(name)))
}

/// [`render_tag_manifests`] with the digests of each present tag file
/// taken from `digest` (given the file's name).
fn render_tag_manifests_with(
    bag: &Path,
    digest: impl Fn(&str) -> std::io::Result<FileDigests>,
) -> std::io::Result<(String, String)> {
    let mut t256 = Vec::new();
    let mut t512 = Vec::new();
    for name in TAG_FILES {
        let p = bag.join(name);
        if p.exists() {
            let d = digest(name)?;
            t256.push((name.to_string(), d.sha256));
            t512.push((name.to_string(), d.sha512));
        }
    }
    Ok((bagit::render_manifest(&t256), bagit::render_manifest(&t512)))
}

/// Every regular file under `dir`, as `/`-separated paths relative to it,
/// sorted. Symlinks and other special files are reported as errors: a bag
/// must hold plain files only.
pub(crate) fn list_files(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    walk(dir, "", &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let ft = entry.file_type()?;
        if ft.is_dir() {
            let before = out.len();
            walk(&entry.path(), &rel, out)?;
            if out.len() == before {
                // An empty folder: listed with a trailing slash so that
                // verify can name it.
                out.push(format!("{rel}/"));
            }
        } else {
            // Regular files and anything else (symlinks, devices) are listed
            // so that verify can name them; the writer never creates them.
            out.push(rel);
        }
    }
    Ok(())
}

/// Why a partial bundle cannot be completed from its custody event.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SealCheckError {
    #[error("it is not complete: {0} is missing or not a plain file")]
    Missing(String),
    #[error("it holds {0}, which a sealed bundle does not")]
    Unexpected(String),
    #[error("its manifest-sha256.txt is not the one the custody event records")]
    ManifestDiffers,
    #[error("its signature does not verify with the key of the officer who recorded it")]
    BadSignature,
    #[error("{0} does not match what its manifests record")]
    Differs(String),
    #[error("{}: {}", path.display(), fsutil::describe_io_error(source))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Largest tag file read while checking a partial bundle (manifests of a
/// bundle are a few hundred bytes; this only bounds hostile content).
const MAX_TAG_FILE: u64 = 16 << 20;

/// Checks that the folder `dir` holds a complete sealed bundle whose
/// `manifest-sha256.txt` has SHA-256 `manifest_sha256` and is signed by
/// `public_key_b64`, and whose payload and tag files match its manifests.
/// Nothing is followed: a symbolic link or special file fails the check.
pub(crate) fn check_sealed(
    dir: &Path,
    manifest_sha256: &str,
    public_key_b64: &str,
) -> Result<(), SealCheckError> {
    let read_tag = |name: &str| -> Result<Vec<u8>, SealCheckError> {
        let p = dir.join(name);
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_file() && m.len() <= MAX_TAG_FILE => {
                std::fs::read(&p).map_err(|source| SealCheckError::Io { path: p, source })
            }
            _ => Err(SealCheckError::Missing(name.to_string())),
        }
    };
    // Only the files a sealed bundle holds.
    let rd = std::fs::read_dir(dir).map_err(|source| SealCheckError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in rd {
        let entry = entry.map_err(|source| SealCheckError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let known = name == "data"
            || name == TAGMANIFEST_256
            || name == TAGMANIFEST_512
            || TAG_FILES.contains(&name.as_str());
        if !known {
            return Err(SealCheckError::Unexpected(name));
        }
    }
    let manifest = read_tag(MANIFEST_256)?;
    if sha256_hex(&manifest) != manifest_sha256 {
        return Err(SealCheckError::ManifestDiffers);
    }
    let sig = read_tag(SIGNATURE)?;
    let signed = keys::parse_public_key_b64(public_key_b64)
        .is_some_and(|pk| keys::verify_signature(&pk, &manifest, &sig));
    if !signed {
        return Err(SealCheckError::BadSignature);
    }
    // The payload, as the manifests list it.
    let data = dir.join("data");
    if !std::fs::symlink_metadata(&data).is_ok_and(|m| m.is_dir()) {
        return Err(SealCheckError::Missing("data/".into()));
    }
    let files = list_files(&data).map_err(|source| SealCheckError::Io {
        path: data.clone(),
        source,
    })?;
    let mut m256 = Vec::new();
    let mut m512 = Vec::new();
    for rel in &files {
        let path = data.join(rel);
        if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            return Err(SealCheckError::Unexpected(format!("data/{rel}")));
        }
        let d = hash::digest_file(&path).map_err(|source| SealCheckError::Io { path, source })?;
        m256.push((format!("data/{rel}"), d.sha256));
        m512.push((format!("data/{rel}"), d.sha512));
    }
    if bagit::render_manifest(&m256).as_bytes() != manifest.as_slice() {
        return Err(SealCheckError::Differs("the payload (data/)".into()));
    }
    if bagit::render_manifest(&m512).as_bytes() != read_tag(MANIFEST_512)?.as_slice() {
        return Err(SealCheckError::Differs(MANIFEST_512.into()));
    }
    for name in TAG_FILES {
        let present = std::fs::symlink_metadata(dir.join(name));
        let required = *name != TIMESTAMP;
        match present {
            Ok(m) if m.is_file() && m.len() <= MAX_TAG_FILE => {}
            Err(_) if !required => {}
            _ => return Err(SealCheckError::Missing((*name).to_string())),
        }
    }
    let (t256, t512) = render_tag_manifests(dir).map_err(|source| SealCheckError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    if t256.as_bytes() != read_tag(TAGMANIFEST_256)?.as_slice()
        || t512.as_bytes() != read_tag(TAGMANIFEST_512)?.as_slice()
    {
        return Err(SealCheckError::Differs("a tag file".into()));
    }
    Ok(())
}
