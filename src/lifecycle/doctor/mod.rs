//! `esmtls doctor`: checks of a whole setup, each a [`Finding`] that says what
//! is wrong, where, and how to fix it — in the words the operator will see in
//! Kibana's or Elasticsearch's log where those exist (elastic-facts §6).
//!
//! Offline checks ([`offline`]) read the yml files, the keystores and every
//! certificate file; online checks ([`online`]) connect as Kibana would. The
//! settings rules of [`crate::yaml::validate`] are reused, not repeated.
//!
//! Invariants: a healthy setup (what `esmtls apply` writes) has no finding;
//! fixes never suggest lowering `verificationMode` or `verification_mode`;
//! nothing here writes or prints a secret.

mod expiry;
mod files;
mod nodes;

pub use nodes::{Needs, every_node};
mod online;
mod settings;
mod trust;

use std::path::PathBuf;

use serde::Serialize;

use super::Context;
use super::material::{Loaded, load_all};
use super::sources::{Form, Role};
use crate::yaml::{self, YamlFile};

pub use online::{OnlineOptions, online};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The connection fails, or a product refuses to start.
    Error,
    /// Works today, but unsafe, fragile or about to fail.
    Warning,
}

/// One problem, with its fix.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// The check's stable id (`key-mismatch`, `hosts-not-in-san`, ...).
    pub check: &'static str,
    /// The file concerned.
    pub file: Option<PathBuf>,
    /// 1-based line in that file, when it is a yml setting.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub fix: String,
}

impl Finding {
    pub(crate) fn new(
        severity: Severity,
        check: &'static str,
        file: Option<PathBuf>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Finding {
            severity,
            check,
            file,
            line: None,
            message: message.into(),
            fix: fix.into(),
        }
    }

    pub(crate) fn at(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }
}

/// The first leaf (non-CA certificate with its key) of a role, and its file.
pub(crate) fn leaf_of(loaded: &[Loaded], role: Role) -> Option<(&Loaded, &Vec<Vec<u8>>)> {
    loaded
        .iter()
        .filter(|l| l.source.role == role && l.error.is_none())
        .filter(|l| matches!(l.source.form, Form::Keystore | Form::PemPair { .. }))
        .find_map(|l| {
            l.material
                .keys
                .iter()
                .find(|k| {
                    k.chain
                        .first()
                        .and_then(|d| crate::pki::inspect::cert_info(d).ok())
                        .is_some_and(|i| !i.is_ca)
                })
                .map(|k| (l, &k.chain))
        })
}

/// The warning window of `doctor` and `status` when none is given, in days.
pub const DEFAULT_WARN_DAYS: i64 = 30;

/// Every offline check, errors first, with the default warning window (the
/// wizard's "Check my setup").
pub fn offline(ctx: &Context) -> Vec<Finding> {
    offline_within(ctx, DEFAULT_WARN_DAYS)
}

/// Every offline check, errors first; a certificate that expires within
/// `warn_days` is a finding (`esmtls doctor --warn-days`).
pub fn offline_within(ctx: &Context, warn_days: i64) -> Vec<Finding> {
    let loaded = load_all(ctx);
    let mut out = Vec::new();
    files::check(&loaded, &mut out);
    expiry::check(ctx, &loaded, warn_days, &mut out);
    trust::check(ctx, &loaded, &mut out);
    settings::check(ctx, &loaded, &mut out);
    let missing: Vec<String> = loaded
        .iter()
        .filter(|l| l.error.is_some() && !l.source.path.exists())
        .map(|l| l.source.path.display().to_string())
        .collect();
    validate(ctx, &missing, &mut out);
    // One problem, one finding: a file named by two settings is checked twice.
    let mut seen = Vec::new();
    out.retain(|f| {
        let key = (f.check, f.file.clone(), f.message.clone());
        let new = !seen.contains(&key);
        seen.push(key);
        new
    });
    out.sort_by_key(|f| f.severity);
    out
}

/// The yml rules of [`yaml::validate`], as findings; a file in `missing` is
/// already one finding (`unreadable`), so the rule saying it does not exist
/// is not repeated.
fn validate(ctx: &Context, missing: &[String], out: &mut Vec<Finding>) {
    let es = ctx
        .detected
        .es
        .as_ref()
        .and_then(|e| YamlFile::read(&e.yml).ok());
    let kb = ctx
        .detected
        .kibana
        .as_ref()
        .and_then(|k| YamlFile::read(&k.yml).ok());
    let names: Vec<String> = ctx
        .detected
        .kibana
        .as_ref()
        .and_then(|k| k.keystore.entries.clone())
        .unwrap_or_default();
    let target = yaml::Target {
        elasticsearch: es.as_ref(),
        es_config_dir: ctx.detected.es.as_ref().map(|e| e.config_dir.as_path()),
        kibana: kb.as_ref(),
        kibana_keystore: &names,
    };
    for f in yaml::validate(&target) {
        let m = f.message.as_str();
        if m.contains("does not exist") && missing.iter().any(|p| m.contains(p.as_str())) {
            continue;
        }
        let check = if m.contains("cannot be specified")
            || m.contains("cannot use")
            || m.contains("cannot be used together")
        {
            "settings-conflict"
        } else if m.contains("secure setting")
            || m.contains("plain text")
            || m.contains("plain-text")
        {
            "secure-setting-in-yml"
        } else {
            "settings"
        };
        let fix = match check {
            "settings-conflict" => format!(
                "keep one of the conflicting settings ({}) — in the yml and in the keystore",
                f.setting
            ),
            "secure-setting-in-yml" => format!(
                "move {} into the keystore and delete it from {}",
                f.setting,
                f.path.display()
            ),
            _ => format!("correct {} in {}", f.setting, f.path.display()),
        };
        let severity = match f.severity {
            yaml::Severity::Error => Severity::Error,
            yaml::Severity::Warning => Severity::Warning,
        };
        out.push(
            Finding::new(
                severity,
                check,
                Some(f.path.clone()),
                f.message.clone(),
                fix,
            )
            .at(f.line),
        );
    }
}
