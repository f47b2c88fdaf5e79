//! Native `kibana.keystore` and `elasticsearch.keystore` files, and esmtls's own secret store.
//!
//! Role: read and write the two keystores byte-compatible with Kibana and
//! Elasticsearch, so that operators no longer run `kibana-keystore` and
//! `elasticsearch-keystore` by hand; and remember esmtls's own secrets
//! ([`secrets_store`]).
//!
//! Both file formats are written by hand here because no crate reads or writes
//! them: they are private formats of Kibana (`src/cli/keystore/keystore.ts`) and
//! Elasticsearch (`KeyStoreWrapper.java`); the byte layouts and their sources are
//! in the project's `keystore-formats.md`. Cryptography (PBKDF2-HMAC-SHA512,
//! AES-GCM, random bytes) comes from `aws-lc-rs`, which the tree already builds.
//!
//! Invariants:
//! - a value is never printed or logged; callers get [`Secret`]s and only an
//!   explicit `show` exposes one;
//! - a file is changed only through [`crate::fsutil`] (temporary file, fsync,
//!   rename, owner and mode kept, backup first), and only after the whole new
//!   content was built, so an error leaves the file as it was;
//! - randomness (salts, IVs, the `keystore.seed`) comes through [`Random`], so
//!   tests can inject fixed bytes and compare files byte for byte.

use std::path::PathBuf;

use crate::fsutil::FsError;
use crate::secret::Secret;

mod crypto;
pub mod elasticsearch;
pub mod kibana;
pub mod secrets_store;

pub use elasticsearch::EsKeystore;
pub use kibana::KibanaKeystore;

/// Mode of a newly created keystore: Elastic's packages install both files
/// `0660` (owner root, group kibana / elasticsearch) and ES itself writes
/// `rw-rw----`. An existing file keeps its own mode and owner.
pub const MODE_KEYSTORE: u32 = 0o660;

/// A source of random bytes for salts, IVs and seeds.
pub trait Random {
    /// Fills `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), KeystoreError>;
}

/// The operating system's secure random generator (via aws-lc).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemRandom;

impl Random for SystemRandom {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), KeystoreError> {
        aws_lc_rs::rand::fill(buf).map_err(|_| KeystoreError::Random)
    }
}

/// Deterministic "randomness" for tests and golden files: every call fills its
/// buffer with `0, 1, 2, …` (wrapping at 256). With it the writers produce the
/// reference vectors (salt `00..3f`, IV `00..0b`, seed `ABCDEFGHIJKLMNOPQRST`).
/// Never use it for real keystores.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingRandom;

impl Random for CountingRandom {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), KeystoreError> {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (i % 256) as u8;
        }
        Ok(())
    }
}

/// Why a keystore could not be read or written. Whenever one is returned, no
/// file was changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeystoreError {
    /// There is no keystore at this path.
    #[error("there is no keystore at {path}; create it first (esmtls keystore … create)")]
    NotFound {
        /// The path looked at.
        path: PathBuf,
    },
    /// The file exists but cannot be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The keystore file.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// The file is not a well-formed keystore (truncated, bad checksum, bad structure).
    #[error(
        "{path} is not a valid keystore or is damaged ({reason}); restore it from a backup or recreate it"
    )]
    Corrupt {
        /// The keystore file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The Elasticsearch keystore uses a format version esmtls does not know; it is never rewritten.
    #[error(
        "{path} uses keystore format version {version}, which esmtls cannot read (it knows 3 to 7); it was left untouched — use the elasticsearch-keystore tool of the Elasticsearch that wrote it"
    )]
    UnknownVersion {
        /// The keystore file.
        path: PathBuf,
        /// The version found in the header.
        version: i32,
    },
    /// Decryption failed: the password is wrong, or the encrypted data was altered.
    #[error("cannot decrypt {path}: the password is wrong or the file was modified")]
    WrongPassword {
        /// The keystore file.
        path: PathBuf,
    },
    /// The keystore is password-protected and no password was given.
    #[error(
        "{path} does not open without a password: it is password-protected (or damaged); give its password ({hint})"
    )]
    PasswordRequired {
        /// The keystore file.
        path: PathBuf,
        /// Where a password can come from.
        hint: &'static str,
    },
    /// The password cannot be used for this keystore.
    #[error("unusable keystore password: {reason}")]
    BadPassword {
        /// Why.
        reason: String,
    },
    /// A setting name is not allowed.
    #[error("invalid setting name {name:?}: {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// The rule it breaks.
        reason: String,
    },
    /// A value cannot be stored.
    #[error("invalid value for {name}: {reason}")]
    InvalidValue {
        /// The setting.
        name: String,
        /// Why.
        reason: String,
    },
    /// The setting exists already and replacing it was not asked for.
    #[error("{path} already has {name}; pass --force to replace it")]
    EntryExists {
        /// The keystore file.
        path: PathBuf,
        /// The setting.
        name: String,
    },
    /// The setting does not exist.
    #[error("{path} has no setting {name}")]
    NoEntry {
        /// The keystore file.
        path: PathBuf,
        /// The setting.
        name: String,
    },
    /// Which Elasticsearch keystore format to write cannot be decided without guessing.
    #[error("cannot choose the Elasticsearch keystore format: {reason}")]
    FormatUnknown {
        /// Why, and what to pass instead.
        reason: String,
    },
    /// The operating system's random generator failed.
    #[error("the system random generator failed; try again")]
    Random,
    /// Writing the file failed (nothing was changed).
    #[error(transparent)]
    Write(#[from] FsError),
}

/// Reads a keystore file: `Ok(None)` when it does not exist.
pub(crate) fn read_existing(path: &std::path::Path) -> Result<Option<Vec<u8>>, KeystoreError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(KeystoreError::Read {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }),
    }
}

/// Reads a keystore file that must exist.
pub(crate) fn read_required(path: &std::path::Path) -> Result<Vec<u8>, KeystoreError> {
    read_existing(path)?.ok_or_else(|| KeystoreError::NotFound {
        path: path.to_path_buf(),
    })
}

/// A password from the file named by an environment variable (as Kibana's
/// `KBN_KEYSTORE_PASSPHRASE_FILE` / Elasticsearch's `ES_KEYSTORE_PASSPHRASE_FILE`).
pub(crate) fn secret_from_env_file(var: &str) -> Result<Option<(Secret, PathBuf)>, KeystoreError> {
    let Some(file) = std::env::var_os(var).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let path = PathBuf::from(file);
    let s = Secret::from_file(&path).map_err(|e| KeystoreError::Read {
        path: path.clone(),
        reason: format!("{e} (named by {var})"),
    })?;
    Ok(Some((s, path)))
}
