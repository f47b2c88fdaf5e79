//! Certificates in the plan: which CA signs, whether an existing certificate
//! can stay, and the new files when it cannot.
//!
//! Invariants: an existing certificate is kept when it has the wanted subject
//! and SANs, was issued by the chosen CA, has the wanted usage and more than
//! 30 days left, and its file opens with the password esmtls has for it — so
//! a second run with the same answers issues nothing. A new PKCS#12 reuses
//! the password already stored for it, so the keystores do not change either.

use std::path::{Path, PathBuf};

use super::PlanError;
use super::answers::{Answers, CaSource};
use super::facts::Facts;
use crate::pki::build::{self, CaMaterial, CaSpec, LeafSpec, Usage};
use crate::pki::key_pool::KeyPool;
use crate::pki::{dn, inspect, load, pem as pemx, pkcs12};
use crate::secret::Secret;

/// Days left below which esmtls re-issues instead of keeping a certificate.
pub const RENEW_WITHIN_DAYS: i64 = 30;

/// Which CA signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaKind {
    /// Elasticsearch's auto-configured `http_ca`.
    HttpCa,
    /// esmtls's CA (`certs/esmtls-ca.p12`); `new` when made by this plan.
    Esmtls {
        /// Made now.
        new: bool,
    },
    /// The operator's file.
    File(PathBuf),
}

/// The chosen CA.
pub struct Ca {
    /// Ready to sign.
    pub material: CaMaterial,
    /// Where it came from.
    pub kind: CaKind,
    /// New CA files (certificate PEM, PKCS#12 with the key) to write.
    pub files: Vec<(PathBuf, Vec<u8>, bool)>,
    /// The CA PKCS#12's password, to remember in esmtls's secret store.
    pub remember: Option<Secret>,
    /// Sentences for the plan.
    pub notes: Vec<String>,
}

/// Name under which esmtls remembers its CA's password.
pub const CA_SECRET: &str = "esmtls-ca.p12 password";

/// A random password of 32 letters and digits (ASCII, as certutil requires).
pub fn random_password() -> Secret {
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut out = String::with_capacity(32);
    let mut buf = [0u8; 64];
    while out.len() < 32 {
        if aws_lc_rs::rand::fill(&mut buf).is_err() {
            continue;
        }
        for b in buf {
            let b = usize::from(b);
            if b < 4 * CHARS.len() && out.len() < 32 {
                out.push(char::from(CHARS[b % CHARS.len()]));
            }
        }
    }
    Secret::new(out)
}

fn material(cert_der: Vec<u8>, key_pkcs8: &[u8]) -> Result<CaMaterial, PlanError> {
    let key = rcgen::KeyPair::try_from(key_pkcs8)
        .map_err(|e| PlanError::Other(format!("the CA key cannot be used: {e}")))?;
    Ok(CaMaterial {
        cert_der,
        key,
        chain_der: Vec::new(),
    })
}

/// Chooses the CA (see [`CaSource`]).
pub fn choose(
    a: &Answers,
    facts: &Facts,
    es_dir: &Path,
    remembered: Option<Secret>,
    keys: Option<&KeyPool>,
) -> Result<Ca, PlanError> {
    let esmtls_p12 = es_dir.join("certs/esmtls-ca.p12");
    let mut notes = Vec::new();
    let use_http_ca = match a.ca.source {
        CaSource::Elasticsearch => {
            if facts.http.http_ca.is_none() {
                return Err(PlanError::Answer {
                    key: "ca.source".into(),
                    message: "`elasticsearch` needs the auto-configured certs/http.p12 with its `http_ca` key and the password in elasticsearch.keystore; esmtls could not open it. Use `ca.source: new` or `file`".into(),
                });
            }
            true
        }
        CaSource::Auto => facts.http.http_ca.is_some() && !esmtls_p12.exists(),
        _ => false,
    };
    if use_http_ca && let Some((cert, key)) = &facts.http.http_ca {
        notes.push("Kibana's certificate is signed by the CA that Elasticsearch's security auto-configuration made (`http_ca` in certs/http.p12), so Elasticsearch's HTTP layer already trusts it.".into());
        return Ok(Ca {
            material: material(cert.clone(), key)?,
            kind: CaKind::HttpCa,
            files: Vec::new(),
            remember: None,
            notes,
        });
    }
    if a.ca.source == CaSource::File {
        let path = a.ca.cert.clone().unwrap_or_default();
        let ask = |file: &str| -> crate::pki::Result<Secret> {
            Err(crate::pki::PkiError::Invalid(format!(
                "{file} is protected by a password; esmtls apply reads CA passwords only from ESMTLS_CA_PASSWORD_FILE (a file holding the password)"
            )))
        };
        let mut from_env = |file: &str| -> crate::pki::Result<Secret> {
            match std::env::var_os("ESMTLS_CA_PASSWORD_FILE") {
                Some(p) => Secret::from_file(Path::new(&p))
                    .map_err(|e| crate::pki::PkiError::Invalid(e.to_string())),
                None => ask(file),
            }
        };
        let loaded = load::load_ca(&path, a.ca.key.as_deref(), &mut from_env, true, false)?;
        notes.extend(loaded.notes);
        return Ok(Ca {
            material: loaded.ca,
            kind: CaKind::File(path),
            files: Vec::new(),
            remember: None,
            notes,
        });
    }
    // esmtls's own CA: reuse the one from an earlier run, else make one.
    if esmtls_p12.exists() {
        let Some(pw) = remembered else {
            return Err(PlanError::Other(format!(
                "{} exists but esmtls does not have its password (it keeps it in its secret store under \"{CA_SECRET}\"); restore that entry, or move the file away to make a new CA",
                esmtls_p12.display()
            )));
        };
        let bytes = std::fs::read(&esmtls_p12)
            .map_err(|e| PlanError::Other(format!("cannot read {}: {e}", esmtls_p12.display())))?;
        let c = pkcs12::read(&bytes, pw.expose(), &esmtls_p12.display().to_string())?;
        let k = c
            .keys
            .first()
            .ok_or_else(|| PlanError::Other(format!("{} holds no key", esmtls_p12.display())))?;
        let cert = k.chain.first().cloned().unwrap_or_default();
        let info = inspect::cert_info(&cert)?;
        if info.days_left < RENEW_WITHIN_DAYS {
            notes.push(format!(
                "esmtls's CA expires in {} days; renewing a CA is a separate job (both sides must trust old and new CA during the change).",
                info.days_left
            ));
        }
        notes.push(format!(
            "Using esmtls's CA from an earlier run ({}).",
            esmtls_p12.display()
        ));
        return Ok(Ca {
            material: material(cert, &k.key_pkcs8)?,
            kind: CaKind::Esmtls { new: false },
            files: Vec::new(),
            remember: None,
            notes,
        });
    }
    let spec = CaSpec {
        dn: a.ca.dn.clone(),
        days: a.ca.days,
        key: a.ca.key_type,
    };
    let issued = match keys {
        Some(pool) => build::new_ca_with(&spec, pool.take(spec.key)?)?,
        None => build::new_ca(&spec)?,
    };
    let pw = random_password();
    let key_der = issued.key.serialize_der();
    let p12 = pkcs12::write_key(
        "ca",
        &key_der,
        std::slice::from_ref(&issued.cert_der),
        &[],
        pw.expose(),
    )?;
    notes.push(format!(
        "A new CA `{}` is made; its key is kept in {} (password in esmtls's secret store), for renewals.",
        a.ca.dn,
        esmtls_p12.display()
    ));
    Ok(Ca {
        files: vec![
            (
                es_dir.join("certs/esmtls-ca.crt"),
                pemx::cert(&issued.cert_der).into_bytes(),
                false,
            ),
            (esmtls_p12, p12, true),
        ],
        material: CaMaterial {
            cert_der: issued.cert_der,
            key: issued.key,
            chain_der: Vec::new(),
        },
        kind: CaKind::Esmtls { new: true },
        remember: Some(pw),
        notes,
    })
}

/// Kibana's client certificate as the answers ask for it
/// (`client_certificate.*`); in a cluster every Kibana gets the same
/// subject, so one role mapping covers them all.
pub fn client_spec(a: &Answers) -> build::LeafSpec {
    let cc = &a.client_certificate;
    build::LeafSpec {
        name: cc.name.clone(),
        dns: cc.dns.clone(),
        ips: cc.ip.clone(),
        usage: build::Usage::Client,
        days: cc.days,
        key: cc.key_type,
    }
}

/// A leaf to have: what is wanted of it.
pub struct Want<'a> {
    /// The spec (name, SANs, usage, days, key).
    pub spec: LeafSpec,
    /// The CA.
    pub ca: &'a CaMaterial,
}

/// True when `chain`'s leaf satisfies `want` (see the module doc).
pub fn satisfies(chain: &[Vec<u8>], want: &Want<'_>) -> bool {
    let Some(leaf) = chain.first() else {
        return false;
    };
    let (Ok(info), Ok(ca)) = (
        inspect::cert_info(leaf),
        inspect::cert_info(&want.ca.cert_der),
    ) else {
        return false;
    };
    let Ok(wanted) = dn::parse_name(&want.spec.name) else {
        return false;
    };
    let mut sans: Vec<String> = want
        .spec
        .dns
        .iter()
        .map(|d| format!("DNS:{d}"))
        .chain(want.spec.ips.iter().map(|i| format!("IP:{i}")))
        .collect();
    let mut have = info.sans.clone();
    sans.sort();
    have.sort();
    let eku = match want.spec.usage {
        Usage::Client => "clientAuth",
        Usage::Server => "serverAuth",
    };
    info.subject_rfc2253 == wanted.rfc2253()
        && have == sans
        && info.issuer == ca.subject
        && signed_by(leaf, &want.ca.cert_der)
        && info.eku.iter().any(|e| e == eku)
        && info.days_left > RENEW_WITHIN_DAYS
        && info
            .key_type
            .eq_ignore_ascii_case(if want.spec.key.is_rsa() { "RSA" } else { "EC" })
}

fn signed_by(leaf: &[u8], ca: &[u8]) -> bool {
    use x509_parser::prelude::*;
    let (Ok((_, l)), Ok((_, c))) = (
        X509Certificate::from_der(leaf),
        X509Certificate::from_der(ca),
    ) else {
        return false;
    };
    l.verify_signature(Some(c.public_key())).is_ok()
}

/// Issues a leaf. A name the certificate cannot carry is reported under
/// the setting or answers key it came from, never as a flag of
/// `esmtls cert issue`: the client certificate's names are
/// `client_certificate.*`; the server certificate's, once
/// `server_certificate.dns` has been checked with the answers, are the
/// hosts of `kibana.hosts` (else kibana.yml's `elasticsearch.hosts`).
pub fn issue(want: &Want<'_>) -> Result<build::Issued, PlanError> {
    build::issue(&want.spec, want.ca).map_err(|e| match (e, want.spec.usage) {
        (crate::pki::PkiError::Invalid(m), Usage::Server) => PlanError::Answer {
            key: "kibana.hosts".into(),
            message: format!(
                "a host of `kibana.hosts` (else of `elasticsearch.hosts` in kibana.yml) cannot be a name of Elasticsearch's HTTP certificate: {m}; give https://HOST:PORT with a real host name or IP address"
            ),
        },
        (crate::pki::PkiError::Invalid(m), Usage::Client) => PlanError::Answer {
            key: "client_certificate".into(),
            message: m,
        },
        (e, _) => e.into(),
    })
}
