//! Keys, certificates, PKCS#12 and PEM: steps 1 and 2 of Elastic's guide.
//!
//! The shape follows rustls-cert-gen: [`build::new_ca`] makes a CA and
//! [`build::issue`] needs a [`build::CaMaterial`], so a leaf without a CA
//! cannot be expressed. Everything is produced in memory; writing is the
//! caller's job (through [`crate::fsutil`]). [`csr`] is the same profile
//! for keys that stay on their host: a CSR there, signed here, installed there.
//!
//! Crates: rcgen (on aws-lc-rs, the only rcgen backend that generates RSA keys)
//! builds certificates; x509-parser reads them; `p12-keystore` reads and writes
//! PKCS#12. The `p12` crate is not used: it always writes RC2-40 / 3DES with a
//! SHA-1 MAC, which OpenSSL 3 and Node refuse (see `shared/reference/crate-notes.md`
//! §2); `p12-keystore` writes PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC, 10 000
//! iterations) with an HMAC-SHA256 MAC — what JDK 17+ and OpenSSL 3 write — and
//! the Java trusted-certificate attribute that makes `keytool` list a
//! `trustedCertEntry`. The PKCS#12 *algorithm report* ([`pkcs12::algorithms`])
//! walks the structure with the RustCrypto `pkcs12`/`cms` types because no
//! crate reports which algorithms a file uses.

pub mod build;
pub mod csr;
pub mod dn;
pub mod inspect;
pub mod key_pool;
pub mod keys;
pub mod load;
pub mod names;
pub mod pem;
pub mod pkcs12;

pub use build::{CaMaterial, CaSpec, Issued, LeafSpec, Usage};
pub use keys::KeyType;

/// Why a certificate operation failed. Each message names the input and says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// A value given by the user is invalid (DN, SAN, days, key type...).
    #[error("{0}")]
    Invalid(String),
    /// The PKCS#12 password is wrong (the MAC did not verify).
    #[error(
        "wrong password for {file} (the PKCS#12 integrity check failed); check the password or its file"
    )]
    WrongPassword {
        /// The file.
        file: String,
    },
    /// A file is not a certificate, key or PKCS#12 we can read.
    #[error("{file} is not a readable {what}: {reason}")]
    Unreadable {
        /// The file.
        file: String,
        /// What it should have been ("certificate", "PKCS#12 file", ...).
        what: &'static str,
        /// Details from the parser.
        reason: String,
    },
    /// The CA given cannot sign: no key, not a CA, key mismatch, expired.
    #[error("{0}")]
    BadCa(String),
    /// The key type cannot be used for this output.
    #[error("{0}")]
    Unsupported(String),
    /// A certificate signing request cannot be signed as it is: bad
    /// signature, names other than expected, a key esmtls does not sign.
    #[error("{0}")]
    Csr(String),
    /// A certificate sent back for a CSR cannot be installed with this
    /// host's key: another key, another CA, expired, the wrong usage.
    #[error("{0}")]
    Install(String),
    /// The crypto library failed (key generation, signing).
    #[error("{what} failed: {reason}")]
    Crypto {
        /// What was being done.
        what: &'static str,
        /// The library's reason.
        reason: String,
    },
}

impl PkiError {
    /// The error with `what` (the flag or answers key the value came from)
    /// in front when it is about the value: `--name: CN '…': it is 65
    /// characters long…`. Other errors are returned unchanged.
    pub fn about(self, what: &str) -> PkiError {
        match self {
            PkiError::Invalid(m) => PkiError::Invalid(format!("{what}: {m}")),
            e => e,
        }
    }
}

/// Shorthand for results of this module.
pub type Result<T> = std::result::Result<T, PkiError>;

pub(crate) fn crypto(what: &'static str) -> impl FnOnce(rcgen::Error) -> PkiError {
    move |e| PkiError::Crypto {
        what,
        reason: e.to_string(),
    }
}
