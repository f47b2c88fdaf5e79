//! Opening the files [`super::sources`] names: PKCS#12 with its password, PEM
//! certificates with their key. The result keeps the DER certificates and the
//! PKCS#8 keys in memory for the inventory, the renewal and the doctor.
//!
//! Invariant: a failure to open a file is a value ([`Loaded::error`]) worded
//! for the operator (missing file, wrong password, not a certificate), never
//! an error that stops the scan; key bytes never leave this process.

use zeroize::Zeroizing;

use super::Context;
use super::sources::{Form, Source, sources};
use crate::pki::{PkiError, pem, pkcs12};

/// A key entry (PKCS#12) or a PEM pair: a private key and its chain.
pub struct KeyChain {
    /// The alias in a PKCS#12 (None for PEM).
    pub alias: Option<String>,
    /// The private key, PKCS#8 DER (None when the PEM key file is missing).
    pub key_pkcs8: Option<Zeroizing<Vec<u8>>>,
    /// The certificate first, then the chain, DER.
    pub chain: Vec<Vec<u8>>,
}

/// What a file holds.
#[derive(Default)]
pub struct Material {
    /// Keys with their chains.
    pub keys: Vec<KeyChain>,
    /// Certificates without a key (CA lists, trusted entries) with their alias.
    pub certs: Vec<(Option<String>, Vec<u8>)>,
    /// The PKCS#12 as read, to write it back with one entry replaced.
    pub pkcs12: Option<pkcs12::Contents>,
    /// The raw file bytes (for the PKCS#12 algorithm report).
    pub bytes: Vec<u8>,
}

/// One source and what could be read from it.
pub struct Loaded {
    /// The file and its setting.
    pub source: Source,
    /// Its contents.
    pub material: Material,
    /// Why it could not be read, if so.
    pub error: Option<String>,
}

/// Every source of the setup, opened.
pub fn load_all(ctx: &Context) -> Vec<Loaded> {
    sources(ctx).into_iter().map(load).collect()
}

/// Opens one source.
pub fn load(source: Source) -> Loaded {
    match read(&source) {
        Ok(material) => Loaded {
            source,
            material,
            error: None,
        },
        Err(e) => Loaded {
            source,
            material: Material::default(),
            error: Some(e),
        },
    }
}

fn read(s: &Source) -> Result<Material, String> {
    let name = s.path.display().to_string();
    let bytes = std::fs::read(&s.path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{name} does not exist (named by {})", s.setting),
        _ => format!("cannot read {name}: {e}"),
    })?;
    let mut m = Material::default();
    match &s.form {
        Form::Keystore | Form::Truststore => {
            let pw = s.password.as_ref().map(|p| p.expose()).unwrap_or("");
            let c = pkcs12::read(&bytes, pw, &name).map_err(|e| match e {
                PkiError::WrongPassword { .. } => match &s.password_setting {
                    Some(ps) => {
                        format!("wrong password for {name} (the password in {ps} does not open it)")
                    }
                    None => e.to_string(),
                },
                other => other.to_string(),
            })?;
            for k in &c.keys {
                m.keys.push(KeyChain {
                    alias: Some(k.alias.clone()),
                    key_pkcs8: Some(Zeroizing::new(k.key_pkcs8.clone())),
                    chain: k.chain.clone(),
                });
            }
            m.certs = c
                .certs
                .iter()
                .map(|c| (c.alias.clone(), c.der.clone()))
                .collect();
            m.pkcs12 = Some(c);
        }
        Form::PemPair { key } => {
            let chain = pem_certs(&bytes, &name)?;
            let key_pkcs8 = match key {
                Some(kp) => Some(read_key(kp, s)?),
                None => None,
            };
            m.keys.push(KeyChain {
                alias: None,
                key_pkcs8,
                chain,
            });
        }
        Form::PemCas => {
            m.certs = pem_certs(&bytes, &name)?
                .into_iter()
                .map(|d| (None, d))
                .collect();
        }
    }
    m.bytes = bytes;
    Ok(m)
}

fn pem_certs(bytes: &[u8], name: &str) -> Result<Vec<Vec<u8>>, String> {
    let blocks = pem::parse_all(bytes, name).map_err(|e| e.to_string())?;
    let certs = pem::certificates(&blocks);
    if certs.is_empty() {
        return Err(format!("{name} holds no PEM certificate"));
    }
    Ok(certs)
}

fn read_key(path: &std::path::Path, s: &Source) -> Result<Zeroizing<Vec<u8>>, String> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the key {name}: {e}"))?;
    let blocks = pem::parse_all(&bytes, &name).map_err(|e| e.to_string())?;
    let mut pass = || match &s.password {
        Some(p) => Ok(p.clone()),
        None => Err(PkiError::Invalid(format!(
            "{name} is encrypted and no passphrase is set"
        ))),
    };
    let kp = pem::private_key(&blocks, &name, &mut pass)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{name} holds no private key"))?;
    Ok(Zeroizing::new(kp.serialize_der()))
}

/// True when the PKCS#8 key belongs to the certificate.
pub fn key_matches(key_pkcs8: &[u8], cert_der: &[u8]) -> bool {
    match (pkcs12::public_key_of(key_pkcs8), pkcs12::spki_key(cert_der)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}
