//! Finding the CA that signed a leaf, to sign its successor: esmtls's own CA
//! (`certs/esmtls-ca.p12`, its password in esmtls's secret store), the
//! auto-configured `http_ca` (in `certs/http.p12`, opened with the password in
//! `elasticsearch.keystore`), or a CA given with `--ca`.
//!
//! Invariants: each candidate is loaded at most once and only when a leaf
//! needs it; a candidate is used only when it really signed the leaf (issuer
//! name and signature), except a `--ca` given explicitly, which is the
//! operator's choice (the CA transition case) and is used for every leaf;
//! when none fits, the error lists what was tried and how to give the CA.

use std::path::{Path, PathBuf};

use super::{Context, LifecycleError, Result};
use crate::detect::open_http_ca;
use crate::pki::CaMaterial;
use crate::pki::load::load_ca;
use crate::secret::Secret;

/// A CA given on the command line.
pub struct CaChoice {
    /// The CA certificate (PEM) or PKCS#12.
    pub cert: PathBuf,
    /// The PEM key, when `cert` is a PEM certificate without it.
    pub key: Option<PathBuf>,
    /// The PKCS#12 or key password.
    pub password: Option<Secret>,
}

enum Slot {
    NotTried,
    Loaded(Box<CaMaterial>, String),
    Failed(String),
}

/// The candidates, loaded lazily.
pub struct Cas<'a> {
    ctx: &'a Context,
    given: Option<&'a CaChoice>,
    slots: [Slot; 3],
}

/// True when `ca` signed `leaf` (issuer name and signature).
pub fn signed_by(leaf: &[u8], ca: &[u8]) -> bool {
    let (Ok((_, l)), Ok((_, c))) = (
        x509_parser::parse_x509_certificate(leaf),
        x509_parser::parse_x509_certificate(ca),
    ) else {
        return false;
    };
    l.issuer().as_raw() == c.subject().as_raw() && l.verify_signature(Some(c.public_key())).is_ok()
}

impl<'a> Cas<'a> {
    /// No candidate loaded yet.
    pub fn new(ctx: &'a Context, given: Option<&'a CaChoice>) -> Self {
        Cas {
            ctx,
            given,
            slots: [Slot::NotTried, Slot::NotTried, Slot::NotTried],
        }
    }

    fn load(&self, i: usize) -> std::result::Result<(CaMaterial, String), String> {
        let ctx = self.ctx;
        let es = ctx
            .detected
            .es
            .as_ref()
            .ok_or("Elasticsearch was not found")?;
        match i {
            0 => {
                let g = self.given.ok_or("no --ca was given")?;
                let pw = g.password.clone();
                let mut ask = |f: &str| {
                    pw.clone().ok_or_else(|| {
                        crate::pki::PkiError::Invalid(format!(
                            "{f} needs a password: pass --ca-password-file"
                        ))
                    })
                };
                let l = load_ca(&g.cert, g.key.as_deref(), &mut ask, true, true)
                    .map_err(|e| e.to_string())?;
                Ok((l.ca, g.cert.display().to_string()))
            }
            1 => {
                let p12 = es.config_dir.join("certs").join("esmtls-ca.p12");
                if !p12.exists() {
                    return Err(format!("{} does not exist", p12.display()));
                }
                let kb = ctx.detected.kibana.as_ref().ok_or("Kibana was not found")?;
                let setup =
                    crate::plan::Setup::dirs(&es.config_dir, &kb.config_dir, &ctx.state_dir);
                let store = crate::plan::secrets::open(&setup).map_err(|e| e.to_string())?;
                let pw = store
                    .get(crate::plan::CA_SECRET)
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| {
                        format!(
                            "esmtls's secret store has no \"{}\" for this setup",
                            crate::plan::CA_SECRET
                        )
                    })?;
                let mut ask = |_: &str| Ok(pw.clone());
                let l = load_ca(&p12, None, &mut ask, false, true).map_err(|e| e.to_string())?;
                Ok((l.ca, p12.display().to_string()))
            }
            _ => {
                if es.http.http_p12.is_none() {
                    return Err("there is no auto-configured certs/http.p12".into());
                }
                let l = open_http_ca(es, ctx.es_keystore_password.as_ref())
                    .map_err(|e| e.to_string())?;
                let p = es.config_dir.join("certs/http.p12");
                Ok((l.ca, format!("{} (http_ca)", p.display())))
            }
        }
    }

    /// The CA to sign `leaf`'s successor with, and its name.
    pub fn for_leaf(&mut self, leaf: &[u8], file: &Path) -> Result<(&CaMaterial, String)> {
        let mut tried = Vec::new();
        let mut found = None;
        for i in 0..3 {
            if matches!(self.slots[i], Slot::NotTried) {
                self.slots[i] = match self.load(i) {
                    Ok((ca, name)) => Slot::Loaded(Box::new(ca), name),
                    Err(e) => Slot::Failed(e),
                };
            }
            match &self.slots[i] {
                Slot::Loaded(ca, _) if i == 0 || signed_by(leaf, &ca.cert_der) => {
                    found = Some(i);
                    break;
                }
                Slot::Loaded(_, name) => tried.push(format!("{name} did not sign it")),
                Slot::Failed(e) if i == 0 && self.given.is_some() => {
                    return Err(LifecycleError::NoCa {
                        file: file.to_path_buf(),
                        reason: format!("the CA given with --ca cannot be used: {e}"),
                    });
                }
                Slot::Failed(e) => tried.push(e.clone()),
                Slot::NotTried => {}
            }
        }
        match found.map(|i| &self.slots[i]) {
            Some(Slot::Loaded(ca, name)) => Ok((ca.as_ref(), name.clone())),
            _ => Err(LifecycleError::NoCa {
                file: file.to_path_buf(),
                reason: format!(
                    "the CA that signed it is not available ({}); give it with --ca FILE (PKCS#12, or PEM with --ca-key FILE) and --ca-password-file FILE, or limit the renewal with --only",
                    tried.join("; ")
                ),
            }),
        }
    }
}
