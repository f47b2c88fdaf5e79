//! Checks of settings against each other and against the certificates:
//! `client_authentication: required` needs `alwaysPresentCertificate: true`;
//! the PKI realm's role mapping (`role_mapping.yml`) names the client
//! certificate's DN exactly as Elasticsearch prints it; verification is not
//! turned down; the keystore files are not world-readable.

use std::collections::BTreeMap;

use super::files::permissions;
use super::{Finding, Severity, leaf_of};
use crate::lifecycle::Context;
use crate::lifecycle::material::Loaded;
use crate::lifecycle::sources::{Role, resolve_in};
use crate::pki::inspect::cert_info;
use crate::yaml::YamlFile;

pub(super) fn check(ctx: &Context, loaded: &[Loaded], out: &mut Vec<Finding>) {
    let es = ctx.detected.es.as_ref();
    let kb = ctx.detected.kibana.as_ref();
    if let Some(es) = es {
        permissions(&es.keystore.path, out);
    }
    if let Some(kb) = kb {
        permissions(&kb.keystore.path, out);
        if let Some(v) = kb
            .elasticsearch
            .verification_mode
            .as_deref()
            .filter(|v| *v != "full")
        {
            let line = kb
                .elasticsearch
                .settings
                .iter()
                .find(|s| s.key == "elasticsearch.ssl.verificationMode")
                .map(|s| s.line);
            out.push(Finding::new(
                Severity::Warning,
                "verification-lowered",
                Some(kb.yml.clone()),
                format!("elasticsearch.ssl.verificationMode is {v}: Kibana does not check that it talks to your Elasticsearch"),
                "give Elasticsearch's HTTP certificate the SANs Kibana uses (esmtls doctor reports missing ones) and remove the setting (default: full)",
            ).at(line));
        }
    }
    if let (Some(es), Some(kb)) = (es, kb)
        && es.http.client_authentication.as_deref() == Some("required")
        && kb.elasticsearch.always_present_certificate != Some(true)
    {
        let line = es
            .http
            .settings
            .iter()
            .find(|s| s.key.ends_with("client_authentication"))
            .map(|s| s.line);
        out.push(Finding::new(
            Severity::Error,
            "required-without-always-present",
            Some(es.yml.clone()),
            "xpack.security.http.ssl.client_authentication is required, but Kibana does not set elasticsearch.ssl.alwaysPresentCertificate: true; requests Kibana proxies for users then fail with \"bad certificate\"",
            format!("set elasticsearch.ssl.alwaysPresentCertificate: true in {} (or use client_authentication: optional with a PKI realm)", kb.yml.display()),
        ).at(line));
    }
    if let Some(es) = es {
        role_mapping(es, loaded, out);
    }
}

/// The PKI realm maps certificates to roles by their DN (`pki_dn`), compared
/// as a string: `CN=kibana, O=Example` and `CN=kibana,O=Example` differ.
fn role_mapping(es: &crate::detect::EsSide, loaded: &[Loaded], out: &mut Vec<Finding>) {
    let Some(realm) = es
        .realms
        .iter()
        .find(|r| r.realm_type == "pki" && r.enabled)
    else {
        return;
    };
    let Some((_, chain)) = leaf_of(loaded, Role::KibanaClient) else {
        return;
    };
    let Some(dn) = chain
        .first()
        .and_then(|d| cert_info(d).ok())
        .map(|i| i.subject)
    else {
        return;
    };
    let key = format!(
        "xpack.security.authc.realms.pki.{}.files.role_mapping",
        realm.name
    );
    let file = YamlFile::read(&es.yml)
        .ok()
        .and_then(|y| y.get(&key))
        .and_then(|s| s.value.as_text().map(|t| resolve_in(&es.config_dir, t)))
        .unwrap_or_else(|| es.config_dir.join("role_mapping.yml"));
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let map: BTreeMap<String, Vec<String>> = serde_yaml_ng::from_str(&text).unwrap_or_default();
    if map.is_empty() {
        return; // mappings made through the API are checked online (_authenticate)
    }
    if map.values().flatten().any(|d| *d == dn) {
        return;
    }
    let near: Vec<&String> = map
        .values()
        .flatten()
        .filter(|d| squash(d) == squash(&dn))
        .collect();
    let message = match near.first() {
        Some(n) => format!(
            "role_mapping.yml maps \"{n}\", but Elasticsearch sees Kibana's certificate as \"{dn}\"; the strings must be equal, so Kibana gets no roles (\"is unauthorized for user ... with effective roles []\")"
        ),
        None => format!(
            "role_mapping.yml does not map Kibana's certificate DN \"{dn}\" to any role; Kibana gets no roles"
        ),
    };
    out.push(Finding::new(
        Severity::Error,
        "role-mapping-dn",
        Some(file),
        message,
        format!("map exactly \"{dn}\" to kibana_system (kibana_system: [\"{dn}\"])"),
    ));
}

fn squash(dn: &str) -> String {
    dn.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}
