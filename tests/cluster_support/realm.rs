//! The node's PKI realms, read from `xpack.security.authc.realms.pki.<name>.*`.
//!
//! Modelled on elastic/elasticsearch
//! `x-pack/plugin/security/src/main/java/org/elasticsearch/xpack/security/authc/pki/PkiRealm.java`
//! and `PkiRealmSettings.java`:
//! * the principal is the first group of `username_pattern` (default
//!   `CN=(.*?)(?:,|$)`, compiled case-insensitively) found in the subject DN
//!   as `X500Principal.toString()` prints it; no match (or an empty group)
//!   means the realm does not take the certificate;
//! * the chain must pass the realm's own trust (`certificate_authorities` or
//!   `truststore.path`); with neither, the TLS layer's validation suffices
//!   (`isCertificateChainTrusted`: "validated by the TLS channel");
//! * `delegation.enabled` needs a trust configuration and the token service
//!   (`xpack.security.authc.token.enabled`, which defaults to
//!   `xpack.security.http.ssl.enabled` — `XPackSettings`), else the node does
//!   not start (`validateAuthenticationDelegationConfiguration`);
//! * roles come from `files.role_mapping` (default `role_mapping.yml` in the
//!   config directory, `DnRoleMapperSettings`) plus the API role mappings.
//!
//! `Realms.java` supplies the rest: every configured realm needs an `order`,
//! orders are unique across realm types, disabled realms are left out, and the
//! chain is sorted by order. `username_pattern` is modelled only in the form
//! `<literal>(.*?)(?:,|$)`, the default's.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::ClientCertVerifier;

use super::rolemap::DnRoles;
use super::settings::{Secure, Settings};
use super::tls::{self, trust_config};

const REALMS: &str = "xpack.security.authc.realms.";
const DEFAULT_PATTERN: &str = "CN=(.*?)(?:,|$)";
const PATTERN_TAIL: &str = "(.*?)(?:,|$)";

/// One enabled PKI realm.
pub struct PkiRealm {
    /// The realm's name (`realm.name` in role mapping rules).
    pub name: String,
    /// Its place in the chain.
    pub order: i64,
    /// The realm's own trust; `None` relies on the TLS layer.
    verifier: Option<Arc<dyn ClientCertVerifier>>,
    /// The literal before `(.*?)` in `username_pattern`.
    prefix: String,
    dn_roles: DnRoles,
}

impl PkiRealm {
    /// `PkiRealm.getPrincipalFromSubjectDN`.
    pub fn principal(&self, dn: &str) -> Option<String> {
        // CASE_INSENSITIVE without UNICODE_CASE: ASCII only, so byte offsets hold.
        let lower = dn.to_ascii_lowercase();
        let at = lower.find(&self.prefix.to_ascii_lowercase())?;
        let rest = &dn[at + self.prefix.len()..];
        let name = rest.split(',').next().unwrap_or_default();
        (!name.is_empty()).then(|| name.to_string())
    }

    /// `PkiRealm.isCertificateChainTrusted` for a chain that is not delegated.
    pub fn trusts(&self, chain: &[Vec<u8>]) -> bool {
        let Some(v) = &self.verifier else {
            return true;
        };
        let Some((leaf, rest)) = chain.split_first() else {
            return false;
        };
        let leaf = CertificateDer::from(leaf.clone());
        let rest: Vec<CertificateDer> = rest.iter().cloned().map(CertificateDer::from).collect();
        v.verify_client_cert(&leaf, &rest, UnixTime::now()).is_ok()
    }

    /// The roles `role_mapping.yml` gives the DN.
    pub fn file_roles(&self, dn: &str) -> Vec<String> {
        self.dn_roles.roles_for(dn)
    }
}

/// The node's enabled PKI realms in chain order, after the checks that keep
/// a misconfigured node from starting.
pub fn load(settings: &Settings, dir: &Path, secure: &Secure) -> Result<Vec<PkiRealm>, String> {
    // (type, name) of every configured realm, whatever its type.
    let mut configured: BTreeMap<(String, String), ()> = BTreeMap::new();
    for rest in settings.keys_under(REALMS) {
        let mut parts = rest.splitn(3, '.');
        if let (Some(t), Some(n), Some(_)) = (parts.next(), parts.next(), parts.next()) {
            configured.insert((t.to_string(), n.to_string()), ());
        }
    }
    let mut by_order: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    let mut missing = Vec::new();
    for (t, n) in configured.keys() {
        let key = format!("{REALMS}{t}.{n}.order");
        match settings.get(&key) {
            None => missing.push(key),
            Some(o) => {
                let o: i64 = o
                    .parse()
                    .map_err(|_| format!("Failed to parse value [{o}] for setting [{key}]"))?;
                by_order.entry(o).or_default().push(n.clone());
            }
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "Found realms without order config: [{}]",
            missing.join("; ")
        ));
    }
    let dup: Vec<String> = by_order
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(o, v)| format!("{o}: [{}]", v.join(", ")))
        .collect();
    if !dup.is_empty() {
        return Err(format!(
            "Found multiple realms configured with the same order: {}",
            dup.join("; ")
        ));
    }
    for internal in ["native", "file"] {
        if configured.keys().filter(|(t, _)| t == internal).count() > 1 {
            return Err(format!(
                "multiple [{internal}] realms are configured. [{internal}] is an internal realm and therefore there can only be one such realm configured"
            ));
        }
    }
    let token_service = settings.bool(
        "xpack.security.authc.token.enabled",
        settings.bool(&format!("{}enabled", tls::HTTP_SSL), false)?,
    )?;
    let mut realms = Vec::new();
    for (_, name) in configured.keys().filter(|(t, _)| t == "pki") {
        if let Some(r) = one(settings, dir, secure, name, token_service)? {
            realms.push(r);
        }
    }
    realms.sort_by_key(|r| r.order);
    Ok(realms)
}

fn one(
    settings: &Settings,
    dir: &Path,
    secure: &Secure,
    name: &str,
    token_service: bool,
) -> Result<Option<PkiRealm>, String> {
    let p = format!("{REALMS}pki.{name}.");
    if !settings.bool(&format!("{p}enabled"), true)? {
        return Ok(None);
    }
    let order = settings
        .get(&format!("{p}order"))
        .and_then(|o| o.parse().ok())
        .unwrap_or_default();
    let trust = trust_config(settings, dir, secure, &p)?;
    if settings.bool(&format!("{p}delegation.enabled"), false)? {
        let mut needs = Vec::new();
        if trust.is_none() {
            needs.push(format!(
                "a trust configuration ({p}certificate_authorities or {p}truststore.path)"
            ));
        }
        if !token_service {
            needs.push(
                "that the token service be also enabled (xpack.security.authc.token.enabled)"
                    .into(),
            );
        }
        if !needs.is_empty() {
            return Err(format!(
                "PKI realms with delegation enabled require {}",
                needs.join(" and ")
            ));
        }
    }
    let pattern = settings
        .get(&format!("{p}username_pattern"))
        .unwrap_or(DEFAULT_PATTERN);
    let prefix = pattern
        .strip_suffix(PATTERN_TAIL)
        .filter(|pre| !pre.chars().any(|c| "\\^$.|?*+()[]{}".contains(c)))
        .ok_or_else(|| {
            format!("{p}username_pattern [{pattern}]: only <literal>{PATTERN_TAIL} is modelled")
        })?;
    let verifier = match trust {
        Some(roots) => Some(tls::verifier(&roots, false)?),
        None => None,
    };
    let file = settings
        .get(&format!("{p}files.role_mapping"))
        .unwrap_or("role_mapping.yml");
    Ok(Some(PkiRealm {
        name: name.to_string(),
        order,
        verifier,
        prefix: prefix.to_string(),
        dn_roles: DnRoles::load(&dir.join(file)),
    }))
}
