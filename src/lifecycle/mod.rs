//! Certificates over time: the inventory behind `esmtls status`, the
//! re-issue behind `esmtls renew`, and the offline/online checks behind
//! `esmtls doctor`. No terminal code; the binary prints what these return.
//!
//! Role: start from detection ([`Context`]), find every certificate file the
//! two yml files name ([`sources`]), open each with the password the keystores
//! hold ([`material`]), and describe it ([`inventory`]). Renewal
//! ([`renew`]) and the doctor ([`doctor`]) work on the same loaded material,
//! so the three commands always agree on what a setup uses.
//!
//! Invariants:
//! - reading never writes; only [`renew::RenewPlan::write`] writes, through one
//!   [`crate::fsutil::WriteBatch`] (atomic, backed up, all or nothing);
//! - secrets (keystore values, PKCS#12 passwords, keys) are used in memory and
//!   never appear in an entry, a finding or an error message;
//! - a file that cannot be read is an entry with a problem, never an error of
//!   the whole inventory: one broken file must not hide the others.

pub mod ca_plan;
pub mod cas;
pub mod cluster;
pub mod doctor;
pub mod inventory;
pub mod material;
pub mod reissue;
pub mod renew;
pub mod roles;
pub mod sources;

use std::path::PathBuf;

use crate::detect::{DetectError, DetectOptions, Detected};
use crate::secret::Secret;

pub use cas::CaChoice;
pub use inventory::{CertEntry, Health, Inventory};
pub use renew::{RenewOptions, RenewPlan};
pub use sources::{Role, Side};

/// Why a lifecycle operation failed. Nothing was written when this is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LifecycleError {
    /// Detection failed (no config directory, unreadable yml).
    #[error(transparent)]
    Detect(#[from] DetectError),
    /// A certificate operation failed.
    #[error(transparent)]
    Pki(#[from] crate::pki::PkiError),
    /// Writing the renewed files failed (everything was rolled back).
    #[error(transparent)]
    Fs(#[from] crate::fsutil::FsError),
    /// No CA that can sign a certificate due for renewal.
    #[error("cannot renew {file}: {reason}")]
    NoCa {
        /// The certificate file.
        file: PathBuf,
        /// What was tried and what to do.
        reason: String,
    },
    /// The certificate cannot be re-issued as it is (key type, encrypted key...).
    #[error("cannot renew {file}: {reason}")]
    Unsupported {
        /// The certificate file.
        file: PathBuf,
        /// Why, and what to do instead.
        reason: String,
    },
}

/// Shorthand for results of this module.
pub type Result<T> = std::result::Result<T, LifecycleError>;

/// A detected setup and what is needed to open its secrets.
pub struct Context {
    /// Both sides as detection found them.
    pub detected: Detected,
    /// `elasticsearch.keystore`'s password (None: not protected).
    pub es_keystore_password: Option<Secret>,
    /// `kibana.keystore`'s password (None: not protected).
    pub kibana_keystore_password: Option<Secret>,
    /// esmtls's state directory (its file secret store lives there).
    pub state_dir: PathBuf,
}

impl Context {
    /// Detects both sides with `opts` (keystore passwords are taken from it).
    pub fn detect(opts: &DetectOptions, state_dir: PathBuf) -> Result<Context> {
        Ok(Context {
            detected: Detected::detect(opts)?,
            es_keystore_password: opts.es_keystore_password.clone(),
            kibana_keystore_password: opts.kibana_keystore_password.clone(),
            state_dir,
        })
    }

    /// The config directories found (Elasticsearch's, then Kibana's): what a
    /// writer locks and what a renewal's journal names.
    pub fn config_dirs(&self) -> Vec<&std::path::Path> {
        let es = self.detected.es.as_ref().map(|e| e.config_dir.as_path());
        let kb = self
            .detected
            .kibana
            .as_ref()
            .map(|k| k.config_dir.as_path());
        es.into_iter().chain(kb).collect()
    }
}

/// A date as Elasticsearch and esmtls print them: RFC 3339
/// (`2027-11-23T12:00:00.000Z`), or a bare `2027-11-23` (midnight UTC).
pub fn parse_time(date: &str) -> Option<time::OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(date, &Rfc3339) {
        return Some(t);
    }
    let d = date.get(..10)?;
    let mut parts = d.split('-');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    let month = time::Month::try_from(m).ok()?;
    let date = time::Date::from_calendar_date(y, month, day).ok()?;
    Some(date.midnight().assume_utc())
}

/// Days until `date` (negative when in the past), counted by
/// [`crate::pki::inspect::days_left`]; None when unparsable.
pub fn days_until(date: &str) -> Option<i64> {
    let t = parse_time(date)?;
    Some(crate::pki::inspect::days_left(
        t,
        time::OffsetDateTime::now_utc(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_until_parses_es_dates() {
        assert!(days_until("2999-01-01T00:00:00.000Z").unwrap() > 300_000);
        assert!(days_until("2000-01-01T00:00:00Z").unwrap() < 0);
        assert_eq!(days_until("garbage"), None);
        let in3 = time::OffsetDateTime::now_utc() + time::Duration::days(3);
        let text = in3
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        assert_eq!(days_until(&text), Some(3), "{text}");
    }
}
