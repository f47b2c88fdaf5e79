//! `esmtls renew`: re-issue every leaf that expires within a window, from the
//! CA that signed it, into the same files with the same passwords, so no
//! setting and no keystore entry has to change.
//!
//! Invariants: [`plan`] reads and computes everything (new keys, new files in
//! memory) and writes nothing; [`RenewPlan::write`] writes all files through
//! one [`WriteBatch`] (backup of each replaced file, atomic rename, rollback on
//! failure). A leaf whose CA cannot be found stops the whole plan with an
//! error that says how to give the CA — nothing is half renewed. CAs are never
//! re-issued here: an expiring CA is reported with a transition plan
//! ([`super::ca_plan`]). Renewed certificates are valid for longer than the
//! window, so a second run finds nothing to do.

use std::path::PathBuf;

use serde::Serialize;

use super::cas::{CaChoice, Cas};
use super::material::{KeyChain, Loaded, load_all};
use super::reissue::{parse_san, reissue_with};
use super::sources::{Form, Role, Side};
use super::{Context, LifecycleError, Result, parse_time};
use crate::fsutil::{Existing, MODE_PUBLIC, MODE_SECRET, Outcome, WriteBatch};
use crate::pki::inspect::cert_info;
use crate::pki::{pem, pkcs12};

pub use super::ca_plan::{CaNotice, ca_notices};

/// Validity of a renewed certificate whose old lifetime was not longer than the window.
pub const DEFAULT_DAYS: u32 = 1095;

/// What to renew.
#[derive(Default)]
pub struct RenewOptions {
    /// Renew what expires within this many days.
    pub within: i64,
    /// Renew only these files (paths or file names); empty: every file.
    pub only: Vec<PathBuf>,
    /// Validity of the new certificates (default: the old lifetime).
    pub days: Option<u32>,
    /// A CA given on the command line.
    pub ca: Option<CaChoice>,
    /// Host names or IP addresses to add to the SANs of the `only` file's
    /// certificates, which are then re-issued whatever their expiry (the
    /// doctor's fix for `hosts-not-in-san`).
    pub add_sans: Vec<String>,
}

/// One certificate to be re-issued.
#[derive(Debug, Clone, Serialize)]
pub struct Renewal {
    /// The file rewritten.
    pub file: PathBuf,
    /// The PEM key file rewritten with it, if any.
    pub key_file: Option<PathBuf>,
    /// The PKCS#12 alias.
    pub alias: Option<String>,
    /// Elasticsearch or Kibana.
    pub side: Side,
    /// What it is used for.
    pub role: Role,
    /// The subject, unchanged.
    pub subject: String,
    /// The old end of validity.
    pub old_not_after: String,
    /// Days the old certificate had left.
    pub old_days_left: i64,
    /// The new end of validity.
    pub new_not_after: String,
    /// The CA that signs the new certificate.
    pub ca: String,
}

/// Everything renewal would do.
#[derive(Serialize)]
pub struct RenewPlan {
    /// The certificates re-issued.
    pub renewals: Vec<Renewal>,
    /// CAs that expire within the window (not renewed here).
    pub ca_notices: Vec<CaNotice>,
    /// Things to know (e.g. a leaf outlives its CA).
    pub warnings: Vec<String>,
    /// What happens next on each side.
    pub next_steps: Vec<String>,
    #[serde(skip)]
    batch: WriteBatch,
}

impl RenewPlan {
    /// True when nothing is due.
    pub fn is_noop(&self) -> bool {
        self.renewals.is_empty()
    }

    /// Writes every renewed file (backups kept beside them), with a journal
    /// so that a kill mid-write is undone by the next esmtls run. The caller
    /// holds the locks of `ctx`'s directories (`session::Writer`).
    pub fn write(self, ctx: &Context) -> Result<Vec<(PathBuf, Outcome)>> {
        let config = ctx.config_dirs();
        let journal = crate::session::journal::path_for(&ctx.state_dir, &config);
        let config: Vec<PathBuf> = config.into_iter().map(PathBuf::from).collect();
        Ok(crate::session::journal::commit(
            self.batch, &journal, config,
        )?)
    }
}

/// True when `file` is `o` (a path, or a bare file name).
fn is_file(o: &std::path::Path, file: &std::path::Path) -> bool {
    if o.components().count() == 1 {
        return file.file_name() == o.file_name();
    }
    let canon = |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    canon(o) == canon(file)
}

/// True when `file` is one of `only` (or `only` is empty).
fn matches_only(only: &[PathBuf], file: &std::path::Path) -> bool {
    only.is_empty() || only.iter().any(|o| is_file(o, file))
}

/// Computes the renewal: which leaves are due, their successors, the files.
pub fn plan(ctx: &Context, opts: &RenewOptions) -> Result<RenewPlan> {
    let loaded = load_all(ctx);
    let mut cas = Cas::new(ctx, opts.ca.as_ref());
    let mut out = RenewPlan {
        renewals: Vec::new(),
        ca_notices: ca_notices(&loaded, opts.within),
        warnings: Vec::new(),
        next_steps: Vec::new(),
        batch: WriteBatch::new(),
    };
    if let Some(o) = opts
        .only
        .iter()
        .find(|o| !loaded.iter().any(|l| is_file(o, &l.source.path)))
    {
        return Err(LifecycleError::Unsupported {
            file: o.clone(),
            reason: "no setting of this setup names this file (see `esmtls status`)".into(),
        });
    }
    if let Some(d) = opts.days {
        crate::pki::build::check_days(d).map_err(|e| e.about("--days"))?;
    }
    let extra = added_sans(opts)?;
    let mut seen: Vec<(PathBuf, Option<String>)> = Vec::new();
    for l in &loaded {
        if l.error.is_some() || !matches!(l.source.form, Form::Keystore | Form::PemPair { .. }) {
            continue;
        }
        if !matches_only(&opts.only, &l.source.path) {
            continue;
        }
        let mut contents = l.material.pkcs12.clone();
        let mut changed = false;
        for (i, k) in l.material.keys.iter().enumerate() {
            let Some(leaf) = k.chain.first() else {
                continue;
            };
            let Ok(info) = cert_info(leaf) else { continue };
            if info.is_ca || info.days_left > opts.within && extra.is_empty() {
                continue;
            }
            let id = (l.source.path.clone(), k.alias.clone());
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
            let (ca, ca_name) = cas.for_leaf(leaf, &l.source.path)?;
            if let Ok(ci) = cert_info(&ca.cert_der)
                && ci.days_left < 0
            {
                return Err(LifecycleError::NoCa {
                    file: l.source.path.clone(),
                    reason: format!(
                        "its CA {} expired on {}; a certificate re-issued from it would not be trusted — replace the CA first (the transition plan is printed with `esmtls renew --dry-run`)",
                        ci.subject, ci.not_after
                    ),
                });
            }
            let days = opts
                .days
                .unwrap_or_else(|| lifetime(&info.not_before, &info.not_after, opts.within));
            let (der, key) = reissue_with(leaf, ca, days, &extra).map_err(|reason| {
                LifecycleError::Unsupported {
                    file: l.source.path.clone(),
                    reason,
                }
            })?;
            let new_info = cert_info(&der)?;
            if let Ok(ca_info) = cert_info(&ca.cert_der)
                && ca_info.days_left < new_info.days_left
            {
                out.warnings.push(format!(
                    "{}: the new certificate is valid until {} but its CA ({}) expires on {}; plan the CA's replacement",
                    l.source.path.display(), new_info.not_after, ca_info.subject, ca_info.not_after
                ));
            }
            let mut chain = vec![der.clone()];
            chain.extend(k.chain.iter().skip(1).cloned());
            let key_file = write_files(&mut out.batch, l, k, &chain, &key, contents.as_mut(), i)?;
            changed = true;
            out.renewals.push(Renewal {
                file: l.source.path.clone(),
                key_file,
                alias: k.alias.clone(),
                side: l.source.side,
                role: l.source.role,
                subject: info.subject,
                old_not_after: info.not_after,
                old_days_left: info.days_left,
                new_not_after: new_info.not_after,
                ca: ca_name,
            });
        }
        if changed && let Some(c) = contents {
            let pw = l.source.password.as_ref().map(|p| p.expose()).unwrap_or("");
            let bytes = pkcs12::write(&c, pw)?;
            out.batch
                .add(&l.source.path, bytes, MODE_SECRET, Existing::Replace);
        }
    }
    out.next_steps = next_steps(ctx, &out.renewals);
    Ok(out)
}

/// The SANs of `--add-san`, checked; they need one file (`--only`).
fn added_sans(opts: &RenewOptions) -> Result<Vec<rcgen::SanType>> {
    if opts.add_sans.is_empty() {
        return Ok(Vec::new());
    }
    if opts.only.len() != 1 {
        return Err(LifecycleError::Unsupported {
            file: PathBuf::from("--add-san"),
            reason: "names are added to one certificate file: name it with --only FILE".into(),
        });
    }
    opts.add_sans
        .iter()
        .map(|h| {
            parse_san(h).map_err(|why| LifecycleError::Unsupported {
                file: opts.only[0].clone(),
                reason: format!("--add-san {why}"),
            })
        })
        .collect()
}

/// Adds the PEM files of one renewal (PKCS#12 files are written once per file by the caller).
fn write_files(
    batch: &mut WriteBatch,
    l: &Loaded,
    k: &KeyChain,
    chain: &[Vec<u8>],
    key: &rcgen::KeyPair,
    contents: Option<&mut pkcs12::Contents>,
    index: usize,
) -> Result<Option<PathBuf>> {
    if let Some(c) = contents {
        if let Some(entry) = c.keys.get_mut(index) {
            entry.key_pkcs8 = key.serialize_der();
            entry.chain = chain.to_vec();
        }
        return Ok(None);
    }
    let Form::PemPair {
        key: Some(key_path),
    } = &l.source.form
    else {
        return Err(LifecycleError::Unsupported {
            file: l.source.path.clone(),
            reason: "its key file is not configured, so the new key has nowhere to go".into(),
        });
    };
    let old_key = std::fs::read_to_string(key_path).unwrap_or_default();
    if old_key.contains("ENCRYPTED") || k.key_pkcs8.is_none() {
        return Err(LifecycleError::Unsupported {
            file: key_path.clone(),
            reason: "the key is encrypted; esmtls writes renewed PEM keys unencrypted (mode 0600) only where the old one was".into(),
        });
    }
    let certs = pem::certs(chain.iter().map(Vec::as_slice));
    batch.add(
        &l.source.path,
        certs.into_bytes(),
        MODE_PUBLIC,
        Existing::Replace,
    );
    batch.add(
        key_path,
        pem::key(key).into_bytes(),
        MODE_SECRET,
        Existing::Replace,
    );
    Ok(Some(key_path.clone()))
}

/// The old lifetime in days, or [`DEFAULT_DAYS`] when it is not longer than the window.
fn lifetime(not_before: &str, not_after: &str, within: i64) -> u32 {
    // Rounded to the nearest day: esmtls starts validity five minutes early.
    let life = match (parse_time(not_before), parse_time(not_after)) {
        (Some(a), Some(b)) => ((b - a).whole_seconds() + 43_200).div_euclid(86_400),
        _ => 0,
    };
    if life > within && life <= 36500 {
        u32::try_from(life).unwrap_or(DEFAULT_DAYS)
    } else {
        DEFAULT_DAYS
    }
}

fn next_steps(ctx: &Context, renewals: &[Renewal]) -> Vec<String> {
    let mut steps = Vec::new();
    if renewals.iter().any(|r| r.side == Side::Elasticsearch) {
        steps.push("Elasticsearch: nothing to do — it watches its certificate files and reloads renewed ones by itself within seconds (same file names, same passwords).".into());
    }
    if renewals.iter().any(|r| r.side == Side::Kibana) {
        let how = ctx
            .detected
            .kibana
            .as_ref()
            .map(|k| {
                let argv = k.restart.command();
                if argv.is_empty() {
                    k.restart.description()
                } else {
                    format!("`{}`", argv.join(" "))
                }
            })
            .unwrap_or_else(|| "restart Kibana".into());
        steps.push(format!(
            "Kibana: it reads its certificates only when it starts; restart it: {how}"
        ));
    }
    steps
}
