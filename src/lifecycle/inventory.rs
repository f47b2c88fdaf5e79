//! The inventory: one [`CertEntry`] per certificate a setup uses, with its
//! expiry and problems, and the overall [`Health`] that `esmtls status` turns
//! into its exit code.
//!
//! Invariants: the same certificate named by two settings (say, the CA file
//! trusted by the HTTP layer and by the PKI realm) is one entry with both
//! settings in `settings`, and a CA held twice in one file (in a key's chain
//! and as a trusted entry) is listed once; an unreadable file is one entry whose `problems`
//! say why and whose `days_left` is None; entries keep setting order.

use std::path::PathBuf;

use serde::Serialize;

use super::Context;
use super::material::{Loaded, key_matches, load_all};
use super::sources::{Role, Side};
use crate::pki::inspect::{cert_info, days_left_words};

/// One certificate (or one file that could not be read).
#[derive(Debug, Clone, Serialize)]
pub struct CertEntry {
    /// The file.
    pub file: PathBuf,
    /// The PKCS#12 alias (None for PEM).
    pub alias: Option<String>,
    /// Elasticsearch or Kibana.
    pub side: Side,
    /// What it is used for.
    pub role: Role,
    /// The settings that name the file.
    pub settings: Vec<String>,
    /// Subject, as Elasticsearch prints it (the `pki_dn`).
    pub subject: String,
    /// Issuer, same form.
    pub issuer: String,
    /// Subject alternative names.
    pub sans: Vec<String>,
    /// Extended key usages.
    pub eku: Vec<String>,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// Whole days left (negative: expired; None: unreadable).
    pub days_left: Option<i64>,
    /// A CA certificate.
    pub is_ca: bool,
    /// The file holds this certificate's private key.
    pub has_key: bool,
    /// SHA-256 fingerprint.
    pub sha256: String,
    /// Serial number, lowercase hex.
    pub serial: String,
    /// Also reported by the running cluster (`GET /_ssl/certificates`).
    pub in_cluster: bool,
    /// What is wrong, in words; empty when fine.
    pub problems: Vec<String>,
    /// Expired, unreadable or otherwise unusable.
    pub broken: bool,
}

/// The worst state of a setup's certificates, best first (`esmtls status`
/// exits 0, 1 or 2 for them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Nothing expires within the warning window.
    Ok,
    /// Something expires within the warning window.
    Expiring,
    /// Something is expired, unreadable or unusable.
    Broken,
}

/// Every certificate of a setup.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    /// The entries, Elasticsearch's first, in setting order.
    pub entries: Vec<CertEntry>,
    /// The warning window used, in days.
    pub warn_days: i64,
}

impl Inventory {
    /// Reads every file both yml files name.
    pub fn collect(ctx: &Context, warn_days: i64) -> Inventory {
        Self::from_loaded(&load_all(ctx), warn_days)
    }

    /// The inventory of already opened files.
    pub fn from_loaded(loaded: &[Loaded], warn_days: i64) -> Inventory {
        let mut inv = Inventory {
            entries: Vec::new(),
            warn_days,
        };
        for l in loaded {
            if let Some(err) = &l.error {
                inv.push(entry_broken(l, err.clone()));
                continue;
            }
            for k in &l.material.keys {
                for (i, der) in k.chain.iter().enumerate() {
                    let mut e = describe(l, k.alias.clone(), der, warn_days);
                    if i == 0 {
                        e.has_key = k.key_pkcs8.is_some();
                        if let Some(key) = &k.key_pkcs8
                            && !key_matches(key, der)
                        {
                            e.problems
                                .push("the private key does not match this certificate".into());
                            e.broken = true;
                        }
                    }
                    inv.push(e);
                }
            }
            for (alias, der) in &l.material.certs {
                inv.push(describe(l, alias.clone(), der, warn_days));
            }
        }
        inv
    }

    fn push(&mut self, e: CertEntry) {
        let same = self.entries.iter_mut().find(|x| {
            x.file == e.file
                && x.side == e.side
                && (x.sha256 == e.sha256 && !e.sha256.is_empty()
                    || x.sha256.is_empty() && x.alias == e.alias)
        });
        match same {
            Some(x) => {
                for s in e.settings {
                    if !x.settings.contains(&s) {
                        x.settings.push(s);
                    }
                }
            }
            None => self.entries.push(e),
        }
    }

    /// The worst state of all entries.
    pub fn health(&self) -> Health {
        self.entries
            .iter()
            .map(|e| {
                if e.broken {
                    Health::Broken
                } else if e.days_left.is_some_and(|d| d <= self.warn_days) {
                    Health::Expiring
                } else {
                    Health::Ok
                }
            })
            .max()
            .unwrap_or(Health::Ok)
    }
}

fn describe(l: &Loaded, alias: Option<String>, der: &[u8], warn_days: i64) -> CertEntry {
    let mut e = blank(l);
    e.alias = alias;
    match cert_info(der) {
        Ok(i) => {
            e.subject = i.subject;
            e.issuer = i.issuer;
            e.sans = i.sans;
            e.eku = i.eku;
            e.not_after = i.not_after;
            e.days_left = Some(i.days_left);
            e.is_ca = i.is_ca;
            if i.is_ca {
                e.role = e.role.of_ca();
            }
            e.sha256 = i.sha256;
            e.serial = i.serial;
            if i.days_left < 0 {
                e.problems.push(days_left_words(i.days_left));
                e.broken = true;
            } else if i.days_left <= warn_days {
                e.problems.push(days_left_words(i.days_left));
            }
        }
        Err(err) => {
            e.problems.push(err.to_string());
            e.broken = true;
        }
    }
    e
}

fn entry_broken(l: &Loaded, problem: String) -> CertEntry {
    let mut e = blank(l);
    e.problems = vec![problem];
    e.broken = true;
    e
}

/// An entry for `l`'s file with nothing read from it yet.
fn blank(l: &Loaded) -> CertEntry {
    let s = &l.source;
    CertEntry {
        file: s.path.clone(),
        alias: None,
        side: s.side,
        role: s.role,
        settings: vec![s.setting.clone()],
        subject: String::new(),
        issuer: String::new(),
        sans: Vec::new(),
        eku: Vec::new(),
        not_after: String::new(),
        days_left: None,
        is_ca: false,
        has_key: false,
        sha256: String::new(),
        serial: String::new(),
        in_cluster: false,
        problems: Vec::new(),
        broken: false,
    }
}
