//! Loading an existing CA to sign with: a PEM certificate and key, certutil's
//! `elastic-stack-ca.p12` (one key), or Elasticsearch's auto-configured
//! `certs/http.p12` (two keys: the CA `http_ca` and the node's `http`).
//!
//! Invariants: the certificate chosen is a CA (basicConstraints CA:TRUE), the
//! key matches it, and an expired CA is refused unless the caller allows it.
//! Passwords are asked for through a callback, only when needed: a PKCS#12 is
//! first tried with the empty password (as certutil's `--pass ""` files need)
//! unless the caller already has a password source.

use std::path::Path;

use super::pem as pemx;
use super::{PkiError, Result, build::CaMaterial, pkcs12};
use crate::secret::Secret;

/// How the CA was found, for the operator.
pub struct LoadedCa {
    /// The CA, ready to sign.
    pub ca: CaMaterial,
    /// Sentences to show (e.g. which of two keys was picked), never secrets.
    pub notes: Vec<String>,
    /// Warnings (e.g. the CA expired and `allow_expired` was set).
    pub warnings: Vec<String>,
}

/// Loads a CA from `ca_path` (and `key_path` for a PEM certificate).
pub fn load_ca(
    ca_path: &Path,
    key_path: Option<&Path>,
    password: &mut dyn FnMut(&str) -> Result<Secret>,
    try_empty_password: bool,
    allow_expired: bool,
) -> Result<LoadedCa> {
    let file = ca_path.display().to_string();
    let bytes = read(ca_path)?;
    let mut notes = Vec::new();
    let (cert_der, key, chain_der) = if pemx::is_pem(&bytes) {
        let blocks = pemx::parse_all(&bytes, &file)?;
        let certs = pemx::certificates(&blocks);
        let Some(cert) = certs.first().cloned() else {
            return Err(PkiError::Unreadable {
                file,
                what: "CA certificate",
                reason: "no CERTIFICATE block in it".into(),
            });
        };
        let mut key = pemx::private_key(&blocks, &file, &mut || password(&file))?;
        if let Some(kp) = key_path {
            let kfile = kp.display().to_string();
            let kblocks = pemx::parse_all(&read(kp)?, &kfile)?;
            key = pemx::private_key(&kblocks, &kfile, &mut || password(&kfile))?;
            if key.is_none() {
                return Err(PkiError::Unreadable {
                    file: kfile,
                    what: "private key",
                    reason: "no PRIVATE KEY block in it".into(),
                });
            }
        }
        let Some(key) = key else {
            return Err(PkiError::BadCa(format!(
                "{file} holds the CA certificate without its private key; pass the key with --ca-key FILE"
            )));
        };
        (cert, key, certs[1..].to_vec())
    } else if x509_parser::parse_x509_certificate(&bytes).is_ok() {
        let Some(kp) = key_path else {
            return Err(PkiError::BadCa(format!(
                "{file} holds the CA certificate without its private key; pass the key with --ca-key FILE"
            )));
        };
        let kfile = kp.display().to_string();
        let kbytes = read(kp)?;
        let key = if pemx::is_pem(&kbytes) {
            pemx::private_key(&pemx::parse_all(&kbytes, &kfile)?, &kfile, &mut || {
                password(&kfile)
            })?
        } else {
            rcgen::KeyPair::try_from(kbytes.as_slice()).ok()
        }
        .ok_or_else(|| PkiError::Unreadable {
            file: kfile,
            what: "private key",
            reason: "no key found".into(),
        })?;
        (bytes.clone(), key, Vec::new())
    } else {
        let (cert, key, chain, note) = from_pkcs12(&bytes, &file, password, try_empty_password)?;
        notes.extend(note);
        (cert, key, chain)
    };
    let warnings = check_ca(&cert_der, &key, &file, allow_expired)?;
    Ok(LoadedCa {
        ca: CaMaterial {
            cert_der,
            key,
            chain_der,
        },
        notes,
        warnings,
    })
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| PkiError::Unreadable {
        file: path.display().to_string(),
        what: "file",
        reason: e.to_string(),
    })
}

type FromP12 = (Vec<u8>, rcgen::KeyPair, Vec<Vec<u8>>, Option<String>);

fn from_pkcs12(
    bytes: &[u8],
    file: &str,
    password: &mut dyn FnMut(&str) -> Result<Secret>,
    try_empty: bool,
) -> Result<FromP12> {
    let first = if try_empty {
        pkcs12::read(bytes, "", file)
    } else {
        Err(PkiError::WrongPassword { file: file.into() })
    };
    let contents = match first {
        Ok(c) => c,
        Err(PkiError::WrongPassword { .. }) => {
            let pw = password(file)?;
            pkcs12::read(bytes, pw.expose(), file)?
        }
        Err(e) => return Err(e),
    };
    let is_ca = |der: &[u8]| x509_parser::parse_x509_certificate(der).is_ok_and(|(_, c)| c.is_ca());
    let with_cert: Vec<&pkcs12::KeyEntry> = contents
        .keys
        .iter()
        .filter(|k| !k.chain.is_empty())
        .collect();
    if with_cert.is_empty() {
        return Err(PkiError::BadCa(format!(
            "{file} holds no private key with its certificate (only certificates): it cannot sign. Give the CA's own PKCS#12 (e.g. elastic-stack-ca.p12) or its PEM certificate and key"
        )));
    }
    let (entry, note) = if with_cert.len() == 1 {
        (with_cert[0], None)
    } else {
        let cas: Vec<&&pkcs12::KeyEntry> =
            with_cert.iter().filter(|k| is_ca(&k.chain[0])).collect();
        let pick = cas
            .iter()
            .find(|k| k.alias == "http_ca")
            .or_else(|| if cas.len() == 1 { cas.first() } else { None });
        let Some(pick) = pick else {
            let aliases: Vec<&str> = with_cert.iter().map(|k| k.alias.as_str()).collect();
            return Err(PkiError::BadCa(format!(
                "{file} holds {} keys ({}) and {} of them is a CA; expected a single CA key",
                with_cert.len(),
                aliases.join(", "),
                if cas.is_empty() {
                    "none".to_string()
                } else {
                    format!("{}", cas.len())
                }
            )));
        };
        let others: Vec<&str> = with_cert
            .iter()
            .filter(|k| k.alias != pick.alias)
            .map(|k| k.alias.as_str())
            .collect();
        (
            **pick,
            Some(format!(
                "{file} holds {} keys; using '{}' (the CA) to sign and ignoring {}",
                with_cert.len(),
                pick.alias,
                others
                    .iter()
                    .map(|a| format!("'{a}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        )
    };
    let key =
        rcgen::KeyPair::try_from(entry.key_pkcs8.as_slice()).map_err(|e| PkiError::Unreadable {
            file: file.into(),
            what: "private key",
            reason: e.to_string(),
        })?;
    Ok((entry.chain[0].clone(), key, entry.chain[1..].to_vec(), note))
}

/// Refuses a certificate that cannot sign, or whose key does not match.
fn check_ca(
    cert_der: &[u8],
    key: &rcgen::KeyPair,
    file: &str,
    allow_expired: bool,
) -> Result<Vec<String>> {
    let (_, c) = super::build::parse(cert_der)?;
    let subject = super::dn::java_string(c.subject());
    if !c.is_ca() {
        return Err(PkiError::BadCa(format!(
            "the certificate in {file} ({subject}) is not a CA (basicConstraints CA:TRUE is missing), so it cannot sign certificates; give the CA certificate, or make one with `esmtls cert ca`"
        )));
    }
    if let Ok(Some(ku)) = c.key_usage()
        && !ku.value.key_cert_sign()
    {
        return Err(PkiError::BadCa(format!(
            "the CA in {file} ({subject}) has a keyUsage without keyCertSign, so it may not sign certificates"
        )));
    }
    if c.public_key().subject_public_key.data.as_ref() != key.public_key_raw() {
        return Err(PkiError::BadCa(format!(
            "the private key does not match the CA certificate in {file} ({subject}); give the key that belongs to it"
        )));
    }
    let mut warnings = Vec::new();
    if !c.validity().is_valid() {
        let when = c.validity().not_after;
        if c.validity().time_to_expiration().is_none()
            && c.validity().not_after.timestamp() < time::OffsetDateTime::now_utc().unix_timestamp()
        {
            let msg = format!(
                "the CA in {file} ({subject}) expired on {when}; certificates it signs will not be trusted"
            );
            if !allow_expired {
                return Err(PkiError::BadCa(format!(
                    "{msg}. Make a new CA with `esmtls cert ca`, or pass --force to sign anyway"
                )));
            }
            warnings.push(msg);
        } else {
            warnings.push(format!(
                "the CA in {file} ({subject}) is not valid yet (starts {})",
                c.validity().not_before
            ));
        }
    }
    Ok(warnings)
}
