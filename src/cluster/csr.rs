//! Keys that stay home (`topology.keys: host`). Each host makes its own key
//! and a certificate signing request; only the CSR travels to the CA holder,
//! and only the certificate travels back:
//! 1. `esmtls plan --answers … --bundle DIR` writes, per certificate, a
//!    request (`csr.json`: the names it must carry) instead of a key;
//! 2. on the host, `esmtls csr --bundle DIR/<host>` makes the key in the
//!    host's config directory (`certs/esmtls-http.key` on a node,
//!    `certs/kibana-client.key` on Kibana; the service's group, 0640) and
//!    writes `DIR/<host>/csr/<which>.csr`;
//! 3. `esmtls plan --answers … --bundle DIR` again signs each CSR whose names
//!    are the requested ones (a corporate CA signs it instead, and its
//!    certificate is put at `DIR/<host>/certs/<which>.crt`);
//! 4. `esmtls apply --bundle DIR/<host>` installs the certificate next to its
//!    key, after checking that it is for that key and chains to the CA.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::topology::Product;
use crate::pki::KeyType;
use crate::pki::build::{LeafSpec, Usage};
use crate::pki::{csr, pem as pemx};
use crate::plan::PlanError;

/// Which certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Which {
    /// A node's HTTP certificate.
    Http,
    /// Kibana's client certificate.
    Client,
}

impl Which {
    /// Its usage.
    pub fn usage(self) -> Usage {
        match self {
            Which::Http => Usage::Server,
            Which::Client => Usage::Client,
        }
    }
    /// The CSR in the bundle.
    pub fn csr_file(self) -> String {
        format!("csr/{}.csr", self.name())
    }
    /// The signed certificate in the bundle.
    pub fn cert_file(self) -> String {
        format!("certs/{}.crt", self.name())
    }
    fn name(self) -> &'static str {
        match self {
            Which::Http => "http",
            Which::Client => "client",
        }
    }
    /// Where the host keeps the key (its config directory).
    pub fn key_path(self, config: &Path) -> PathBuf {
        config.join(match self {
            Which::Http => "certs/esmtls-http.key",
            Which::Client => "certs/kibana-client.key",
        })
    }
    /// The certificate a product's host requests.
    pub fn of(p: Product) -> Which {
        match p {
            Product::Elasticsearch => Which::Http,
            Product::Kibana => Which::Client,
        }
    }
}

/// One request in `csr.json`: what the certificate must carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Which certificate.
    pub which: Which,
    /// The subject (a CN or a DN).
    pub name: String,
    /// DNS names.
    pub dns: Vec<String>,
    /// IP addresses.
    pub ip: Vec<IpAddr>,
    /// The key type the host makes.
    pub key_type: KeyType,
    /// Validity.
    pub days: u32,
}

impl Request {
    /// From the planner's spec.
    pub fn new(which: Which, s: &LeafSpec) -> Request {
        Request {
            which,
            name: s.name.clone(),
            dns: s.dns.clone(),
            ip: s.ips.clone(),
            key_type: s.key,
            days: s.days,
        }
    }
    /// The planner's spec.
    pub fn spec(&self) -> LeafSpec {
        LeafSpec {
            name: self.name.clone(),
            dns: self.dns.clone(),
            ips: self.ip.clone(),
            usage: self.which.usage(),
            days: self.days,
            key: self.key_type,
        }
    }
}

/// Who signs: esmtls's CA (or `http_ca`, or a CA file with its key), or
/// nobody here (a CA whose key esmtls does not have: the operator's CA signs
/// each CSR).
pub struct Signer<'a> {
    pub ca: Option<&'a crate::pki::build::CaMaterial>,
    pub ca_der: &'a [u8],
}

/// The CA holder's side: the certificate for `host`'s request, signed from
/// the CSR the host returned (or the one signed before, when it is still for
/// that CSR's key and names). None: no CSR yet.
pub(super) fn signed(
    dir: Option<&Path>,
    host: &str,
    req: &Request,
    signer: &Signer<'_>,
) -> Result<Option<Vec<Vec<u8>>>, PlanError> {
    let Some(dir) = dir.map(|d| d.join(host)) else {
        return Ok(None);
    };
    let csr_path = dir.join(req.which.csr_file());
    let Ok(csr_pem) = std::fs::read_to_string(&csr_path) else {
        return Ok(None);
    };
    let file = csr_path.display().to_string();
    let key = csr::public_key(&csr_pem, &file)?;
    let spec = req.spec();
    let earlier = std::fs::read(dir.join(req.which.cert_file()))
        .ok()
        .and_then(|b| pemx::parse_all(&b, "").ok())
        .map(|b| pemx::certificates(&b))
        .filter(|chain| {
            let Some(leaf) = chain.first() else {
                return false;
            };
            csr::cert_public_key(leaf).ok().as_ref() == Some(&key)
                && csr::issued_by(leaf, signer.ca_der)
                && names_fit(leaf, &spec)
        });
    if let Some(mut chain) = earlier {
        if chain.last().map(Vec::as_slice) != Some(signer.ca_der) {
            chain.push(signer.ca_der.to_vec());
        }
        return Ok(Some(chain));
    }
    let Some(ca) = signer.ca else {
        // The operator's CA signs: the certificate it returns goes to cert_file.
        let placed = dir.join(req.which.cert_file());
        if placed.exists() {
            return Err(PlanError::Other(format!(
                "{} is not a certificate for {host}'s CSR from the CA in `ca.cert`, with the requested names ({}); have {} signed again",
                placed.display(),
                spec.dns
                    .iter()
                    .cloned()
                    .chain(spec.ips.iter().map(|i| i.to_string()))
                    .collect::<Vec<_>>()
                    .join(", "),
                csr_path.display()
            )));
        }
        return Ok(None);
    };
    let cert = csr::sign(
        &csr_pem,
        &file,
        ca,
        req.which.usage(),
        req.days,
        Some(&spec),
    )?;
    Ok(Some(vec![cert, ca.cert_der.clone()]))
}

/// True when the certificate carries every name the request asks for.
fn names_fit(leaf: &[u8], spec: &LeafSpec) -> bool {
    let Ok(info) = crate::pki::inspect::cert_info(leaf) else {
        return false;
    };
    let dns = spec
        .dns
        .iter()
        .all(|d| crate::pki::inspect::san_matches(&info.sans, d));
    let ips = spec
        .ips
        .iter()
        .all(|i| crate::pki::inspect::san_matches(&info.sans, &i.to_string()));
    dns && ips
}

/// What `esmtls csr` did for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Made {
    /// The key, in the host's config directory.
    pub key: PathBuf,
    /// True when the key was made now (false: kept from an earlier run,
    /// so a certificate already signed for it stays valid).
    pub new_key: bool,
    /// Which request: its CSR is [`Which::csr_file`] in the bundle.
    pub which: Which,
}

/// The host's side: its key (kept from an earlier run, else made) and the
/// CSR for each request.
pub fn make_on_host(
    bundle_dir: &Path,
    config: &Path,
    requests: &[Request],
) -> Result<Vec<Made>, PlanError> {
    let mut out = Vec::new();
    for r in requests {
        let key_path = r.which.key_path(config);
        let existing = std::fs::read(&key_path);
        let new_key = existing.is_err();
        let key = match existing {
            Ok(b) => {
                let p = pem::parse(&b)
                    .map_err(|e| PlanError::Other(format!("{}: {e}", key_path.display())))?;
                rcgen::KeyPair::try_from(p.contents()).map_err(|e| {
                    PlanError::Other(format!(
                        "{}: not a key esmtls can use ({e}); move it away to make a new one",
                        key_path.display()
                    ))
                })?
            }
            Err(_) => {
                let dir = crate::fsutil::parent_dir(&key_path);
                if !dir.exists() {
                    std::fs::create_dir_all(&dir).map_err(|e| {
                        PlanError::Other(format!("cannot make {}: {e}", dir.display()))
                    })?;
                    crate::fsutil::share_with_service(&dir, config)
                        .map_err(|e| PlanError::Other(e.to_string()))?;
                }
                let k = r.key_type.generate()?;
                crate::fsutil::write_file(
                    &key_path,
                    crate::pki::pem::key(&k).into_bytes(),
                    0o640,
                    crate::fsutil::Existing::Refuse,
                )
                .map_err(|e| PlanError::Other(e.to_string()))?;
                crate::fsutil::share_with_service(&key_path, config)
                    .map_err(|e| PlanError::Other(e.to_string()))?;
                k
            }
        };
        let pem = csr::make_with(&r.spec(), &key)?;
        let csr_path = bundle_dir.join(r.which.csr_file());
        std::fs::create_dir_all(crate::fsutil::parent_dir(&csr_path))
            .map_err(|e| PlanError::Other(format!("cannot make {}: {e}", csr_path.display())))?;
        std::fs::write(&csr_path, pem)
            .map_err(|e| PlanError::Other(format!("cannot write {}: {e}", csr_path.display())))?;
        out.push(Made {
            key: key_path,
            new_key,
            which: r.which,
        });
    }
    Ok(out)
}

/// The host's key for a request, as the planner keeps keys (hex PKCS#8),
/// with the signed chain checked against it and the CA.
pub fn install(
    config: &Path,
    req: &Request,
    cert: &[u8],
    cert_file: &str,
    ca_der: &[u8],
) -> Result<(Vec<Vec<u8>>, crate::secret::Secret), PlanError> {
    let key_path = req.which.key_path(config);
    let b = std::fs::read(&key_path).map_err(|e| PlanError::Other(format!("{} is missing ({e}): run `esmtls csr --bundle` on this host first, then have the CSR signed", key_path.display())))?;
    let p = pem::parse(&b).map_err(|e| PlanError::Other(format!("{}: {e}", key_path.display())))?;
    let key = rcgen::KeyPair::try_from(p.contents())
        .map_err(|e| PlanError::Other(format!("{}: {e}", key_path.display())))?;
    let chain = csr::install(cert, cert_file, &key, req.which.usage(), &[ca_der.to_vec()])?;
    Ok((
        chain,
        crate::secret::Secret::new(hex::encode(key.serialize_der())),
    ))
}
