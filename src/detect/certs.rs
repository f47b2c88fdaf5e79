//! Elasticsearch's keystore and HTTP certificates: what the keystore holds,
//! whether `http.p12` carries the auto-configured CA key, the server
//! certificate's facts, and [`open_http_ca`] for signing with that CA.
//!
//! Invariant: the `http.p12` password read from the keystore lives only for the
//! duration of a call; nothing returned by detection contains it.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::DetectError;
use super::es::{EsSide, HttpTls};
use crate::keystore::{EsKeystore, KeystoreError, elasticsearch as esks};
use crate::pki::inspect::{CertInfo, cert_info};
use crate::pki::load::{LoadedCa, load_ca};
use crate::pki::{PkiError, pem, pkcs12};
use crate::secret::Secret;

/// The keystore setting that holds the HTTP keystore's password.
pub const HTTP_KEYSTORE_PASSWORD: &str = "xpack.security.http.ssl.keystore.secure_password";
/// Alias of the CA key entry in an auto-configured `http.p12`.
pub const HTTP_CA_ALIAS: &str = "http_ca";

/// What is known about `elasticsearch.keystore` (names only, never values).
#[derive(Debug, Clone, Serialize)]
pub struct EsKeystoreFacts {
    /// `<config>/elasticsearch.keystore`.
    pub path: PathBuf,
    /// The file exists.
    pub exists: bool,
    /// Format version from the header.
    pub format_version: Option<i32>,
    /// Needs a non-empty password.
    pub password_protected: Option<bool>,
    /// Setting names, when it could be opened.
    pub entries: Option<Vec<String>>,
    /// Why it could not be read, if so.
    pub problem: Option<String>,
}

impl EsKeystoreFacts {
    pub(crate) fn absent(config_dir: &Path) -> Self {
        EsKeystoreFacts {
            path: esks::path_in(config_dir),
            exists: false,
            format_version: None,
            password_protected: None,
            entries: None,
            problem: None,
        }
    }

    /// True when the keystore was opened and has `name`.
    pub fn has(&self, name: &str) -> bool {
        self.entries
            .as_ref()
            .is_some_and(|e| e.iter().any(|n| n == name))
    }
}

/// The HTTP server certificate's facts.
#[derive(Debug, Clone, Serialize)]
pub struct ServerCert {
    /// The file it was read from.
    pub file: PathBuf,
    /// Its alias in a PKCS#12 file.
    pub alias: Option<String>,
    /// Subject, SANs, expiry, issuer, ...
    pub info: CertInfo,
    /// True when `certs/http_ca.crt` signed it; None without that file.
    pub issued_by_http_ca: Option<bool>,
}

/// Reads the keystore's facts; returns the HTTP keystore password when present.
pub(crate) fn es_keystore(
    config_dir: &Path,
    password: Option<&Secret>,
    notes: &mut Vec<String>,
) -> (EsKeystoreFacts, Option<Secret>) {
    let mut facts = EsKeystoreFacts::absent(config_dir);
    let Ok(bytes) = std::fs::read(&facts.path) else {
        return (facts, None);
    };
    facts.exists = true;
    match esks::read_header(&bytes, &facts.path) {
        Ok((h, _)) => {
            facts.format_version = Some(h.version);
            facts.password_protected = Some(h.has_password);
        }
        Err(e) => {
            facts.problem = Some(e.to_string());
            return (facts, None);
        }
    }
    match EsKeystore::decode(&bytes, password, &facts.path) {
        Ok(ks) => {
            facts.entries = Some(ks.names().into_iter().map(String::from).collect());
            (facts, ks.get_string(HTTP_KEYSTORE_PASSWORD))
        }
        Err(e) => {
            notes.push(format!(
                "entries of {} not listed: {e}",
                facts.path.display()
            ));
            facts.problem = Some(e.to_string());
            (facts, None)
        }
    }
}

fn read_ca(http: &HttpTls) -> Option<Vec<u8>> {
    let p = http.http_ca_crt.as_ref()?;
    let bytes = std::fs::read(p).ok()?;
    let blocks = pem::parse_all(&bytes, &p.display().to_string()).ok()?;
    pem::certificates(&blocks).into_iter().next()
}

fn signed_by(leaf: &[u8], ca: &[u8]) -> bool {
    let (Ok((_, l)), Ok((_, c))) = (
        x509_parser::parse_x509_certificate(leaf),
        x509_parser::parse_x509_certificate(ca),
    ) else {
        return false;
    };
    l.issuer().as_raw() == c.subject().as_raw() && l.verify_signature(Some(c.public_key())).is_ok()
}

/// Fills `http_p12_has_ca_key` and reads the server certificate.
pub(crate) fn inspect_http(
    http: &mut HttpTls,
    password: Option<&Secret>,
    notes: &mut Vec<String>,
) -> Option<ServerCert> {
    let ca = read_ca(http);
    let pw = password.map(Secret::expose).unwrap_or("");
    if let Some(p12) = &http.http_p12
        && let Ok(bytes) = std::fs::read(p12)
    {
        match pkcs12::read(&bytes, pw, &p12.display().to_string()) {
            Ok(c) => http.http_p12_has_ca_key = Some(c.keys.iter().any(|k| k.alias == HTTP_CA_ALIAS)),
            Err(e) if password.is_some() => notes.push(e.to_string()),
            Err(_) => notes.push(format!(
                "{} not opened: its password ({HTTP_KEYSTORE_PASSWORD}) is in the Elasticsearch keystore, which was not readable",
                p12.display()
            )),
        }
    }
    let (file, alias, der) = if let Some(ks) = &http.keystore_path {
        let bytes = std::fs::read(ks).ok()?;
        let contents = pkcs12::read(&bytes, pw, &ks.display().to_string()).ok()?;
        let is_ca = |d: &[u8]| cert_info(d).is_ok_and(|i| i.is_ca);
        let entry = contents
            .keys
            .iter()
            .find(|k| k.chain.first().is_some_and(|c| !is_ca(c)))?;
        (
            ks.clone(),
            Some(entry.alias.clone()),
            entry.chain[0].clone(),
        )
    } else {
        let cert = http.certificate.as_ref()?;
        let bytes = std::fs::read(cert).ok()?;
        let blocks = pem::parse_all(&bytes, &cert.display().to_string()).ok()?;
        let der = pem::certificates(&blocks).into_iter().next()?;
        (cert.clone(), None, der)
    };
    let info = match cert_info(&der) {
        Ok(i) => i,
        Err(e) => {
            notes.push(e.to_string());
            return None;
        }
    };
    Some(ServerCert {
        file,
        alias,
        issued_by_http_ca: ca.map(|ca| signed_by(&der, &ca)),
        info,
    })
}

/// Opens the auto-configured HTTP CA (`certs/http.p12`, entry `http_ca`) to
/// sign with it; the `http.p12` password comes from the Elasticsearch keystore
/// (opened with `es_keystore_password` when it is protected).
pub fn open_http_ca(
    es: &EsSide,
    es_keystore_password: Option<&Secret>,
) -> Result<LoadedCa, DetectError> {
    let no_ca = |reason: String| DetectError::NoHttpCa {
        path: es.config_dir.join("certs").join("http.p12"),
        reason,
    };
    let Some(p12) = &es.http.http_p12 else {
        return Err(no_ca(
            "there is no certs/http.p12: this node was not set up by the security auto-configuration; use another CA".into(),
        ));
    };
    let ks = EsKeystore::load(&es.keystore.path, es_keystore_password).map_err(|e| match e {
        KeystoreError::NotFound { .. } => no_ca(format!(
            "{} is missing, so the http.p12 password is unknown",
            es.keystore.path.display()
        )),
        other => DetectError::Keystore(other),
    })?;
    let Some(pw) = ks.get_string(HTTP_KEYSTORE_PASSWORD) else {
        return Err(no_ca(format!(
            "{} has no {HTTP_KEYSTORE_PASSWORD}, so the http.p12 password is unknown",
            es.keystore.path.display()
        )));
    };
    let mut ask = |_: &str| -> Result<Secret, PkiError> { Ok(pw.clone()) };
    let loaded = load_ca(p12, None, &mut ask, false, false)?;
    Ok(loaded)
}
