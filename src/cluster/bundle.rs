//! Bundles: what one host needs, as a directory that `esmtls apply --bundle
//! DIR/<host>` applies on that host.
//!
//! Layout of `DIR/<host>/` (0700; every file 0600):
//! - `bundle.json`: the manifest: format, host (name, product, config dir),
//!   mode, whether it holds secrets, the SHA-256 of every file, and a digest
//!   of the manifest itself;
//! - `answers.yml`: the answers this host plans with (no secret);
//! - `certs/ca.crt`, `certs/server-ca.crt`: the CA of what esmtls issued,
//!   and the CA of the nodes' HTTP certificates;
//! - `certs/http.crt` + `keys/http.key` (a node) or `certs/client.crt` +
//!   `keys/client.key` (Kibana), when the CA holder made the key;
//! - `secrets/credential` (Kibana: its service token or password);
//! - `service_tokens.line`, `role_mapping.dn` (a node: no secret);
//! - `README.txt`.
//!
//! `DIR/_cluster/` holds the cluster-wide API calls (`calls.json`, and the
//! new `kibana_system` password in `secrets/`), `DIR/_ca/` the cluster's CA
//! (kept by the CA holder, never sent), `DIR/PLAN.txt` the whole plan.
//!
//! The manifest's digests detect a bundle changed after esmtls wrote it
//! (by hand or in transit); they are not a signature.
//!
//! Every file is written atomically (a temporary file renamed into place).
//! They reach the disk together: the files first, one `syncfs` of the
//! bundle directory's file system, then the manifests, and another `syncfs`
//! (one flush instead of one `fsync` a file, which is most of a bundle's
//! time). A crash in between leaves manifests that do not match their files:
//! `apply` refuses such a bundle, and the next `plan --bundle` writes it again.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::order::CLUSTER;
use super::topology::Product;
use super::types::{CA_PASSWORD_FILE, ClusterPlan, HostPart};
use crate::fsutil::digest;
use crate::pki::pem as pemx;
use crate::plan::{Answers, Given, Mode, PlanError};
use crate::secret::Secret;

/// The manifest's format.
pub const FORMAT: &str = "esmtls-bundle/1";

/// `bundle.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The esmtls version that wrote it.
    pub esmtls: String,
    /// The host's name (`_cluster` for the cluster-wide calls).
    pub host: String,
    /// `elasticsearch`, `kibana` or `cluster`.
    pub product: String,
    /// The config directory on the host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<PathBuf>,
    /// The mode.
    pub mode: Mode,
    /// True when the bundle holds a key or a credential.
    pub secrets: bool,
    /// True when any host with this product's config directory may apply it
    /// (a one-machine setup's output folder).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub any_host: bool,
    /// SHA-256 of every file, by relative path.
    pub files: BTreeMap<String, String>,
    /// SHA-256 of this manifest with `digest` empty.
    #[serde(default)]
    pub digest: String,
}

impl Manifest {
    fn compute_digest(&self) -> String {
        let mut m = self.clone();
        m.digest = String::new();
        digest(serde_json::to_string(&m).unwrap_or_default().as_bytes())
    }
}

/// Why a bundle is refused.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Not a bundle, or unreadable.
    #[error("{0}")]
    Unreadable(String),
    /// Changed since esmtls wrote it.
    #[error(
        "{dir} was changed after esmtls wrote it ({what}); make the bundles again with `esmtls plan --bundle` and do not edit them"
    )]
    Tampered {
        /// The bundle.
        dir: PathBuf,
        /// What differs.
        what: String,
    },
}

fn unreadable(dir: &Path, why: impl std::fmt::Display) -> BundleError {
    BundleError::Unreadable(format!("{}: {why}", dir.display()))
}

/// A bundle read and checked.
#[derive(Debug)]
pub struct Bundle {
    /// Its directory.
    pub dir: PathBuf,
    /// The manifest.
    pub manifest: Manifest,
}

impl Bundle {
    /// Reads `dir/bundle.json` and checks every digest.
    pub fn open(dir: &Path) -> Result<Bundle, BundleError> {
        let path = dir.join("bundle.json");
        let text = std::fs::read_to_string(&path).map_err(|e| {
            unreadable(dir, format!("not a bundle (cannot read bundle.json: {e}); give the directory `esmtls plan --bundle` wrote for this host, e.g. DIR/es01"))
        })?;
        let manifest: Manifest =
            serde_json::from_str(&text).map_err(|e| BundleError::Tampered {
                dir: dir.to_path_buf(),
                what: format!("bundle.json does not parse: {e}"),
            })?;
        if manifest.format != FORMAT {
            return Err(unreadable(
                dir,
                format!(
                    "bundle format `{}` is not {FORMAT}; make it with this esmtls version",
                    manifest.format
                ),
            ));
        }
        if manifest.digest != manifest.compute_digest() {
            return Err(BundleError::Tampered {
                dir: dir.to_path_buf(),
                what: "bundle.json differs from what esmtls wrote".into(),
            });
        }
        for (rel, sum) in &manifest.files {
            let bytes = std::fs::read(dir.join(rel)).map_err(|e| BundleError::Tampered {
                dir: dir.to_path_buf(),
                what: format!("{rel} is missing ({e})"),
            })?;
            if &digest(&bytes) != sum {
                return Err(BundleError::Tampered {
                    dir: dir.to_path_buf(),
                    what: format!("{rel} differs from what esmtls wrote"),
                });
            }
        }
        Ok(Bundle {
            dir: dir.to_path_buf(),
            manifest,
        })
    }

    /// A file of the bundle (listed in the manifest).
    pub fn read(&self, rel: &str) -> Option<Vec<u8>> {
        self.manifest
            .files
            .contains_key(rel)
            .then(|| std::fs::read(self.dir.join(rel)).ok())
            .flatten()
    }

    /// The answers this host plans with.
    pub fn answers(&self) -> Result<Answers, BundleError> {
        let text = self
            .read("answers.yml")
            .ok_or_else(|| unreadable(&self.dir, "answers.yml is missing"))?;
        Answers::parse(
            &self.dir.join("answers.yml"),
            &String::from_utf8_lossy(&text),
        )
        .map_err(|e| unreadable(&self.dir, e))
    }

    /// With `topology.keys: host`: the certificates the host requests.
    pub fn requests(&self) -> Result<Vec<super::csr::Request>, BundleError> {
        match self.read("csr.json") {
            None => Ok(Vec::new()),
            Some(b) => serde_json::from_slice(&b)
                .map_err(|e| unreadable(&self.dir, format!("csr.json: {e}"))),
        }
    }

    /// What the bundle brings to its host.
    pub fn given(&self) -> Result<Given, BundleError> {
        let cert = |rel: &str| {
            self.read(rel)
                .and_then(|b| crate::plan::facts::first_cert(&b))
        };
        let chain = |rel: &str| {
            self.read(rel)
                .and_then(|b| pemx::parse_all(&b, rel).ok())
                .map(|b| pemx::certificates(&b))
        };
        let key = |rel: &str| -> Result<Option<Secret>, BundleError> {
            let Some(b) = self.read(rel) else {
                return Ok(None);
            };
            let p = pem::parse(&b).map_err(|e| unreadable(&self.dir, format!("{rel}: {e}")))?;
            Ok(Some(Secret::new(hex::encode(p.contents()))))
        };
        let text = |rel: &str| {
            self.read(rel)
                .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        };
        let pair = |c: Option<Vec<Vec<u8>>>, k: Option<Secret>| c.zip(k);
        Ok(Given {
            ca_der: cert("certs/ca.crt").unwrap_or_default(),
            server_ca_der: cert("certs/server-ca.crt"),
            http: pair(chain("certs/http.crt"), key("keys/http.key")?),
            client: pair(chain("certs/client.crt"), key("keys/client.key")?),
            credential: text("secrets/credential").map(Secret::new),
            token_line: text("service_tokens.line"),
            role_mapping_dn: text("role_mapping.dn"),
        })
    }
}

/// Writes every bundle of `plan` under `dir` (0700 directories, 0600 files),
/// the CA holder's `_ca`, and `PLAN.txt`.
pub fn write_all(
    plan: &ClusterPlan,
    dir: &Path,
    plan_text: &str,
) -> Result<Vec<PathBuf>, PlanError> {
    private_dir(dir)?;
    let written = write_files(plan, dir, plan_text)?;
    flush(dir, &written.files)?;
    let mut dirs = Vec::new();
    for (bundle, m) in written.manifests {
        let json = serde_json::to_vec_pretty(&m).map_err(|e| PlanError::Other(e.to_string()))?;
        let path = bundle.join("bundle.json");
        put(&path, &json)?;
        dirs.push((bundle, path));
    }
    flush(
        dir,
        &dirs.iter().map(|(_, p)| p.clone()).collect::<Vec<_>>(),
    )?;
    Ok(dirs.into_iter().map(|(d, _)| d).collect())
}

/// Every file of the bundles, and the manifests still to write.
struct Written {
    files: Vec<PathBuf>,
    manifests: Vec<(PathBuf, Manifest)>,
}

fn write_files(plan: &ClusterPlan, dir: &Path, plan_text: &str) -> Result<Written, PlanError> {
    let mut files = Vec::new();
    let ca_dir = dir.join("_ca");
    if !plan.ca_files.is_empty() {
        private_dir(&ca_dir)?;
        for (path, content, _) in &plan.ca_files {
            private_dir(&crate::fsutil::parent_dir(path))?;
            put(path, content)?;
            files.push(path.clone());
        }
        if let Some(pw) = &plan.ca_password {
            let path = ca_dir.join(CA_PASSWORD_FILE);
            put(&path, pw.expose().as_bytes())?;
            files.push(path);
        }
    }
    // Each host's bundle is its own directory: written by a few threads, so
    // the disk's waits (one fsync per file) overlap.
    let one = |h: &HostPart| -> Result<(PathBuf, Manifest, Vec<PathBuf>), PlanError> {
        let files = host_files(plan.mode, h)?;
        let mut m = manifest(&h.name, h.product.name(), Some(h.config.clone()), plan.mode);
        m.secrets =
            h.given.http.is_some() || h.given.client.is_some() || h.given.credential.is_some();
        m.any_host = h.any_host;
        write_one(&dir.join(&h.name), m, files)
    };
    let chunk = plan.hosts.len().div_ceil(WRITERS).max(1);
    let hosts = std::thread::scope(|s| {
        let jobs: Vec<_> = plan
            .hosts
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
            .collect();
        jobs.into_iter()
            .flat_map(|j| {
                j.join().unwrap_or_else(|_| {
                    vec![Err(PlanError::Other(
                        "internal: a bundle writer failed".into(),
                    ))]
                })
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    let mut manifests = Vec::new();
    for (bundle, m, paths) in hosts {
        files.extend(paths);
        manifests.push((bundle, m));
    }
    if !plan.calls.is_empty() {
        let (contents, secrets) = cluster_files(plan)?;
        let mut m = manifest(CLUSTER, "cluster", None, plan.mode);
        m.secrets = secrets;
        let (bundle, m, paths) = write_one(&dir.join(CLUSTER), m, contents)?;
        files.extend(paths);
        manifests.push((bundle, m));
    }
    let path = dir.join("PLAN.txt");
    put(&path, plan_text.as_bytes())?;
    files.push(path);
    Ok(Written { files, manifests })
}

/// Gets `files` to the disk: one `syncfs` of `dir`'s file system, or one
/// `fsync` a file (and its directory) where that fails.
fn flush(dir: &Path, files: &[PathBuf]) -> Result<(), PlanError> {
    let fail = |p: &Path, e: std::io::Error| {
        PlanError::Other(format!("cannot write {} to the disk: {e}", p.display()))
    };
    let whole =
        std::fs::File::open(dir).and_then(|d| rustix::fs::syncfs(&d).map_err(std::io::Error::from));
    if whole.is_ok() {
        return Ok(());
    }
    let mut dirs = std::collections::BTreeSet::new();
    for f in files {
        std::fs::File::open(f)
            .and_then(|h| h.sync_all())
            .map_err(|e| fail(f, e))?;
        dirs.insert(crate::fsutil::parent_dir(f));
    }
    for d in dirs {
        std::fs::File::open(&d)
            .and_then(|h| h.sync_all())
            .map_err(|e| fail(&d, e))?;
    }
    Ok(())
}

type Files = Vec<(String, Vec<u8>)>;

/// A certificate chain and its key (hex PKCS#8, the planner's form) as two PEM files.
fn push_pair(
    f: &mut Files,
    crt: &str,
    key_file: &str,
    chain: &[Vec<u8>],
    key: &Secret,
) -> Result<(), PlanError> {
    f.push((
        crt.into(),
        pemx::certs(chain.iter().map(Vec::as_slice)).into_bytes(),
    ));
    let der = hex::decode(key.expose())
        .map_err(|_| PlanError::Other("internal: a key is not hex".into()))?;
    f.push((key_file.into(), pemx::key_der(&der).into_bytes()));
    Ok(())
}

/// Threads that write host bundles at once.
const WRITERS: usize = 8;

fn host_files(mode: Mode, h: &HostPart) -> Result<Files, PlanError> {
    let g = &h.given;
    let mut f: Files = vec![("answers.yml".into(), h.answers.to_yaml().into_bytes())];
    f.push(("certs/ca.crt".into(), pemx::cert(&g.ca_der).into_bytes()));
    if let Some(s) = &g.server_ca_der {
        f.push(("certs/server-ca.crt".into(), pemx::cert(s).into_bytes()));
    }
    for (name, pair) in [("http", &g.http), ("client", &g.client)] {
        if let Some((chain, key)) = pair {
            push_pair(
                &mut f,
                &format!("certs/{name}.crt"),
                &format!("keys/{name}.key"),
                chain,
                key,
            )?;
        }
    }
    if !h.requests.is_empty() {
        let json =
            serde_json::to_vec_pretty(&h.requests).map_err(|e| PlanError::Other(e.to_string()))?;
        f.push(("csr.json".into(), json));
    }
    if let (Some(chain), Some(r)) = (&h.signed, h.requests.first()) {
        let pem = pemx::certs(chain.iter().map(Vec::as_slice)).into_bytes();
        f.push((r.which.cert_file(), pem));
    }
    if let Some(c) = &g.credential {
        f.push((
            "secrets/credential".into(),
            format!("{}\n", c.expose()).into_bytes(),
        ));
    }
    if let Some(l) = &g.token_line {
        f.push(("service_tokens.line".into(), format!("{l}\n").into_bytes()));
    }
    if let Some(dn) = &g.role_mapping_dn {
        f.push(("role_mapping.dn".into(), format!("{dn}\n").into_bytes()));
    }
    f.push((
        "README.txt".into(),
        super::readme::host(mode, h).into_bytes(),
    ));
    Ok(f)
}

fn cluster_files(plan: &ClusterPlan) -> Result<(Files, bool), PlanError> {
    let calls =
        serde_json::to_vec_pretty(&plan.calls).map_err(|e| PlanError::Other(e.to_string()))?;
    let target = serde_json::to_vec_pretty(&serde_json::json!({"urls": plan.kibana_hosts}))
        .map_err(|e| PlanError::Other(e.to_string()))?;
    let mut f: Files = vec![("calls.json".into(), calls), ("target.json".into(), target)];
    if let Some(h) = plan
        .hosts
        .first()
        .and_then(|h| h.given.server_ca_der.clone())
    {
        f.push(("certs/server-ca.crt".into(), pemx::cert(&h).into_bytes()));
    }
    let mut secrets = false;
    if let Some(l) = &plan.calls_client {
        push_pair(
            &mut f,
            "certs/client.crt",
            "keys/client.key",
            &l.chain,
            &l.key,
        )?;
        secrets = true;
    }
    for c in &plan.calls {
        if let Some(s) = &c.secret {
            f.push((
                "secrets/kibana_system".into(),
                format!("{}\n", s.expose()).into_bytes(),
            ));
            secrets = true;
        }
    }
    f.push((
        "README.txt".into(),
        super::readme::cluster(plan).into_bytes(),
    ));
    Ok((f, secrets))
}

/// The manifest of a new bundle, before its files are listed.
fn manifest(host: &str, product: &str, config: Option<PathBuf>, mode: Mode) -> Manifest {
    Manifest {
        format: FORMAT.into(),
        esmtls: env!("CARGO_PKG_VERSION").into(),
        host: host.into(),
        product: product.into(),
        config,
        mode,
        secrets: false,
        any_host: false,
        files: BTreeMap::new(),
        digest: String::new(),
    }
}

/// Writes a bundle's files (not its manifest: [`write_all`] writes that
/// once every file is on the disk); returns the bundle, its manifest and
/// the files written.
fn write_one(
    dir: &Path,
    mut m: Manifest,
    files: Files,
) -> Result<(PathBuf, Manifest, Vec<PathBuf>), PlanError> {
    private_dir(dir)?;
    let mut paths = Vec::new();
    for (rel, content) in &files {
        let path = dir.join(rel);
        private_dir(&crate::fsutil::parent_dir(&path))?;
        put(&path, content)?;
        m.files.insert(rel.clone(), digest(content));
        paths.push(path);
    }
    remove_stale(dir, &m)?;
    m.digest = m.compute_digest();
    Ok((dir.to_path_buf(), m, paths))
}

/// Removes files an earlier bundle had and this one does not (e.g. a key).
fn remove_stale(dir: &Path, m: &Manifest) -> Result<(), PlanError> {
    for sub in ["certs", "keys", "secrets"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            let rel = format!("{sub}/{}", e.file_name().to_string_lossy());
            if !m.files.contains_key(&rel) {
                std::fs::remove_file(e.path())
                    .map_err(|e| PlanError::Other(format!("cannot remove {rel}: {e}")))?;
            }
        }
    }
    for rel in ["service_tokens.line", "role_mapping.dn", "csr.json"] {
        if !m.files.contains_key(rel) {
            let _ = std::fs::remove_file(dir.join(rel));
        }
    }
    Ok(())
}

fn private_dir(dir: &Path) -> Result<(), PlanError> {
    std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)))
        .map_err(|e| PlanError::Other(format!("cannot make {}: {e}", dir.display())))
}

/// Writes a file atomically, 0600 from the start (to the disk with the
/// others: [`flush`]).
fn put(path: &Path, content: &[u8]) -> Result<(), PlanError> {
    let dir = crate::fsutil::parent_dir(path);
    let fail =
        |e: std::io::Error| PlanError::Other(format!("cannot write {}: {e}", path.display()));
    let mut tmp = tempfile::Builder::new()
        .prefix(".bundle.")
        .suffix(".esmtls-tmp")
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(&dir)
        .map_err(fail)?;
    tmp.write_all(content).map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// The product of a host bundle.
pub fn product(m: &Manifest) -> Option<Product> {
    match m.product.as_str() {
        "elasticsearch" => Some(Product::Elasticsearch),
        "kibana" => Some(Product::Kibana),
        _ => None,
    }
}
