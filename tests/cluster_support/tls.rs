//! The HTTP layer's TLS as a node builds it from `xpack.security.http.ssl.*`:
//! its identity, the CAs it trusts for client certificates, and whether it
//! asks for one — turned into a rustls `ServerConfig`.
//!
//! Modelled on elastic/elasticsearch
//! `libs/ssl-config/src/main/java/org/elasticsearch/common/ssl/SslConfigurationLoader.java`:
//! * key material is `certificate` + `key` (PEM, passphrase from
//!   `secure_key_passphrase`) or `keystore.path` (PKCS#12, password from
//!   `keystore.secure_password`), never both (`buildKeyConfig`);
//! * trust is `certificate_authorities` or `truststore.path`, never both;
//!   with neither, the key material doubles as trust (`buildDefaultTrustConfig`
//!   → `PemKeyConfig.asTrustConfig` trusts every certificate of the
//!   `certificate` file, `StoreKeyConfig.asTrustConfig` the keystore through a
//!   JDK `TrustManagerFactory`, i.e. its trusted-certificate entries and the
//!   first certificate of each key entry) besides the JDK's public roots,
//!   which no test certificate chains to;
//! * `client_authentication` defaults to `none` for HTTP
//!   (`XPackSettings.HTTP_CLIENT_AUTH_DEFAULT`, applied in `SSLService`).

use std::path::Path;
use std::sync::Arc;

use esmtls::pki::{pem, pkcs12};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;
use rustls::{RootCertStore, ServerConfig};

use super::settings::{Secure, Settings, password};

/// The HTTP layer's settings prefix.
pub const HTTP_SSL: &str = "xpack.security.http.ssl.";

/// `client_authentication`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// The server does not ask for a certificate.
    None,
    /// It asks; a client without one still gets in.
    Optional,
    /// The handshake fails without a trusted certificate.
    Required,
}

/// How the node's HTTP layer listens.
pub struct Http {
    /// `None`: plain HTTP (`xpack.security.http.ssl.enabled` is false).
    pub tls: Option<Arc<ServerConfig>>,
    /// Whether it asks for client certificates.
    pub client_auth: ClientAuth,
}

/// A private key with the chain it presents, and the trust it implies.
struct KeyMaterial {
    chain: Vec<Vec<u8>>,
    key_pkcs8: Vec<u8>,
    /// What `asTrustConfig` would trust.
    as_trust: Vec<Vec<u8>>,
}

/// Loads the HTTP layer of the node whose config directory is `dir`.
pub fn load_http(settings: &Settings, dir: &Path, secure: &Secure) -> Result<Http, String> {
    if !settings.bool(&format!("{HTTP_SSL}enabled"), false)? {
        return Ok(Http {
            tls: None,
            client_auth: ClientAuth::None,
        });
    }
    let p = HTTP_SSL;
    let client_auth = match settings.get(&format!("{p}client_authentication")) {
        None => ClientAuth::None,
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "none" => ClientAuth::None,
            "optional" => ClientAuth::Optional,
            "required" => ClientAuth::Required,
            _ => {
                return Err(format!(
                    "could not resolve ssl client authentication, unknown value [{v}]"
                ));
            }
        },
    };
    verification_mode(settings, p)?;
    let key = key_config(settings, dir, secure, p)?.ok_or_else(|| {
        format!(
            "invalid SSL configuration for {} - server ssl configuration requires a key and certificate, but these have not been configured; you must set either [{p}keystore.path], or both [{p}key] and [{p}certificate]",
            p.trim_end_matches('.')
        )
    })?;
    let trust = trust_config(settings, dir, secure, p)?.unwrap_or(key.as_trust);
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = match client_auth {
        ClientAuth::None => WebPkiClientVerifier::no_client_auth(),
        ClientAuth::Optional => verifier(&trust, true)?,
        ClientAuth::Required => verifier(&trust, false)?,
    };
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::DEFAULT_VERSIONS)
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            key.chain.into_iter().map(CertificateDer::from).collect(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.key_pkcs8)),
        )
        .map_err(|e| format!("{p}: the key does not fit its certificate: {e}"))?;
    Ok(Http {
        tls: Some(Arc::new(config)),
        client_auth,
    })
}

/// `verification_mode`: `full` and `certificate` only differ for the client
/// side (host names); `none` (trust everything) is not modelled.
fn verification_mode(settings: &Settings, p: &str) -> Result<(), String> {
    match settings.get(&format!("{p}verification_mode")) {
        None | Some("full") | Some("certificate") => Ok(()),
        Some("none") => Err(format!(
            "{p}verification_mode: none is not modelled by the fake cluster"
        )),
        Some(v) => Err(format!(
            "could not resolve ssl client verification mode, unknown value [{v}]"
        )),
    }
}

/// A client-certificate verifier trusting `roots` (`allow_none`: optional).
pub fn verifier(
    roots: &[Vec<u8>],
    allow_none: bool,
) -> Result<Arc<dyn ClientCertVerifier>, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut store = RootCertStore::empty();
    for r in roots {
        store
            .add(CertificateDer::from(r.clone()))
            .map_err(|e| format!("a trusted certificate is unusable: {e}"))?;
    }
    let b = WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider);
    let b = if allow_none {
        b.allow_unauthenticated()
    } else {
        b
    };
    b.build().map_err(|e| format!("no usable trusted CA: {e}"))
}

fn key_config(
    settings: &Settings,
    dir: &Path,
    secure: &Secure,
    p: &str,
) -> Result<Option<KeyMaterial>, String> {
    let cert = settings.get(&format!("{p}certificate"));
    let key = settings.get(&format!("{p}key"));
    let store = settings.get(&format!("{p}keystore.path"));
    if cert.is_some() && store.is_some() {
        return Err(format!(
            "cannot specify both [{p}certificate] and [{p}keystore.path]"
        ));
    }
    match (cert, key, store) {
        (Some(c), Some(k), _) => {
            let pass = password(
                settings,
                secure,
                p,
                "secure_key_passphrase",
                "key_passphrase",
            )?;
            pem_key(&dir.join(c), &dir.join(k), &pass).map(Some)
        }
        (Some(_), None, _) => Err(format!(
            "cannot specify [{p}certificate] without also setting [{p}key]"
        )),
        // SslConfigurationLoader's own wording for a key without a certificate.
        (None, Some(_), _) => Err(format!(
            "cannot specify [{p}keystore.path] without also setting [{p}certificate]"
        )),
        (None, None, Some(s)) => {
            check_store_type(settings, p, "keystore", s)?;
            let pass = password(
                settings,
                secure,
                p,
                "keystore.secure_password",
                "keystore.password",
            )?;
            let key_pass = password(
                settings,
                secure,
                p,
                "keystore.secure_key_password",
                "keystore.key_password",
            )?;
            if !key_pass.is_empty() && key_pass != pass {
                return Err(format!(
                    "{p}keystore: a key password other than the store password is not modelled"
                ));
            }
            p12_key(&dir.join(s), &pass).map(Some)
        }
        (None, None, None) => Ok(None),
    }
}

/// The explicit trust configuration, `None` when neither CAs nor a
/// truststore is set (the caller then uses its default).
pub fn trust_config(
    settings: &Settings,
    dir: &Path,
    secure: &Secure,
    p: &str,
) -> Result<Option<Vec<Vec<u8>>>, String> {
    let cas = settings.list(&format!("{p}certificate_authorities"));
    let store = settings.get(&format!("{p}truststore.path"));
    match (cas, store) {
        (Some(_), Some(_)) => Err(format!(
            "cannot specify both [{p}certificate_authorities] and [{p}truststore.path]"
        )),
        (Some(files), None) => {
            let mut out = Vec::new();
            for f in files {
                out.extend(pem_certs(&dir.join(f))?);
            }
            Ok(Some(out))
        }
        (None, Some(s)) => {
            check_store_type(settings, p, "truststore", s)?;
            let pass = password(
                settings,
                secure,
                p,
                "truststore.secure_password",
                "truststore.password",
            )?;
            Ok(Some(p12_trust(&read_p12(&dir.join(s), &pass)?)))
        }
        (None, None) => Ok(None),
    }
}

/// `KeyStoreUtil.inferKeyStoreType`: `.p12`, `.pfx`, `.pkcs12` are PKCS#12,
/// anything else JKS (which the fake does not read).
fn check_store_type(settings: &Settings, p: &str, which: &str, path: &str) -> Result<(), String> {
    let lower = path.to_ascii_lowercase();
    let inferred = [".p12", ".pfx", ".pkcs12"]
        .iter()
        .any(|e| lower.ends_with(e));
    let ty = settings.get(&format!("{p}{which}.type"));
    let pkcs12 = ty.map_or(inferred, |t| t.eq_ignore_ascii_case("pkcs12"));
    if pkcs12 {
        Ok(())
    } else {
        Err(format!(
            "{p}{which}.path [{path}]: only PKCS#12 is modelled by the fake cluster"
        ))
    }
}

/// Every certificate of a PEM file.
pub fn pem_certs(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {name}: {e}"))?;
    let blocks = pem::parse_all(&bytes, &name).map_err(|e| e.to_string())?;
    let certs = pem::certificates(&blocks);
    if certs.is_empty() {
        return Err(format!("{name} holds no certificate"));
    }
    Ok(certs)
}

fn pem_key(cert: &Path, key: &Path, pass: &str) -> Result<KeyMaterial, String> {
    let chain = pem_certs(cert)?;
    let name = key.display().to_string();
    let bytes = std::fs::read(key).map_err(|e| format!("cannot read {name}: {e}"))?;
    let blocks = pem::parse_all(&bytes, &name).map_err(|e| e.to_string())?;
    let pass = esmtls::secret::Secret::new(pass);
    let kp = pem::private_key(&blocks, &name, &mut || Ok(pass.clone()))
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("could not load ssl private key file [{name}]"))?;
    Ok(KeyMaterial {
        as_trust: chain.clone(),
        chain,
        key_pkcs8: kp.serialize_der(),
    })
}

fn read_p12(path: &Path, pass: &str) -> Result<pkcs12::Contents, String> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {name}: {e}"))?;
    pkcs12::read(&bytes, pass, &name).map_err(|e| e.to_string())
}

/// What a JDK trust manager over this keystore trusts.
fn p12_trust(c: &pkcs12::Contents) -> Vec<Vec<u8>> {
    let keys = c.keys.iter().filter_map(|k| k.chain.first().cloned());
    let trusted = c.certs.iter().filter(|e| e.trusted).map(|e| e.der.clone());
    keys.chain(trusted).collect()
}

/// The key entry the node serves with: the JDK key manager skips entries it
/// cannot use for a TLS server, so a CA's key entry (as in the auto-configured
/// `http.p12`, which also holds `http_ca`) loses to the node's own.
fn p12_key(path: &Path, pass: &str) -> Result<KeyMaterial, String> {
    let c = read_p12(path, pass)?;
    let entry = c
        .keys
        .iter()
        .find(|k| k.chain.first().is_some_and(|d| !is_ca(d)))
        .or_else(|| c.keys.first())
        .ok_or_else(|| format!("{} holds no private key", path.display()))?;
    Ok(KeyMaterial {
        chain: entry.chain.clone(),
        key_pkcs8: entry.key_pkcs8.clone(),
        as_trust: p12_trust(&c),
    })
}

fn is_ca(der: &[u8]) -> bool {
    x509_parser::parse_x509_certificate(der)
        .ok()
        .and_then(|(_, c)| c.basic_constraints().ok().flatten().map(|b| b.value.ca))
        .unwrap_or(false)
}
