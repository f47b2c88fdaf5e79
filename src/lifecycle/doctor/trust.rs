//! Trust across the two sides: Kibana trusts the CA of Elasticsearch's HTTP
//! certificate (and the chain is complete), Elasticsearch's HTTP layer trusts
//! the CA of Kibana's client certificate, and every `elasticsearch.hosts`
//! name is in the server certificate's SANs.
//!
//! Trust anchors are computed as the products compute them: Kibana trusts
//! `elasticsearch.ssl.certificateAuthorities`, the truststore, and the
//! certificates in its PKCS#12 that are not its own (node-forge adds them as
//! CAs); Elasticsearch's HTTP layer trusts `certificate_authorities` or the
//! truststore, or — when neither is set — the CAs in its own key's chain.

use super::{Finding, Severity, leaf_of};
use crate::lifecycle::Context;
use crate::lifecycle::cas::signed_by;
use crate::lifecycle::material::Loaded;
use crate::lifecycle::sources::Role;
use crate::pki::inspect::{cert_info, san_matches};

/// Where a chain walk ended.
enum Walk {
    Trusted,
    Incomplete(String),
    Untrusted(String),
}

fn walk(chain: &[Vec<u8>], anchors: &[Vec<u8>]) -> Walk {
    let Some(mut cur) = chain.first() else {
        return Walk::Incomplete(String::new());
    };
    for _ in 0..10 {
        if anchors.iter().any(|a| a == cur || signed_by(cur, a)) {
            return Walk::Trusted;
        }
        match chain.iter().find(|c| *c != cur && signed_by(cur, c)) {
            Some(next) => cur = next,
            None => {
                let i = cert_info(cur).ok();
                let (subj, iss) = i.map(|i| (i.subject, i.issuer)).unwrap_or_default();
                return if signed_by(cur, cur) {
                    Walk::Untrusted(subj)
                } else {
                    Walk::Incomplete(iss)
                };
            }
        }
    }
    Walk::Incomplete(String::new())
}

fn certs_of(loaded: &[Loaded], role: Role) -> Vec<Vec<u8>> {
    loaded
        .iter()
        .filter(|l| l.source.role == role)
        .flat_map(|l| l.material.certs.iter().map(|(_, d)| d.clone()))
        .collect()
}

pub(super) fn check(ctx: &Context, loaded: &[Loaded], out: &mut Vec<Finding>) {
    kibana_trusts_es(ctx, loaded, out);
    es_trusts_kibana(ctx, loaded, out);
}

/// The certificates of `role`'s files that could not be read: a missing or
/// broken CA file is already one finding (`unreadable`); the trust it would
/// have given is not reported a second time.
fn unreadable(loaded: &[Loaded], role: Role) -> Vec<&Loaded> {
    loaded
        .iter()
        .filter(|l| l.source.role == role && l.error.is_some())
        .collect()
}

/// A PEM file on Elasticsearch's side whose CA anchors `chain`: the
/// auto-configured `certs/http_ca.crt`, the HTTP layer's
/// `certificate_authorities`, esmtls's `certs/esmtls-ca.crt`.
fn es_ca_file(es: &crate::detect::EsSide, chain: &[Vec<u8>]) -> Option<std::path::PathBuf> {
    let candidates = es
        .http
        .http_ca_crt
        .iter()
        .chain(&es.http.certificate_authorities)
        .cloned()
        .chain([es.config_dir.join("certs/esmtls-ca.crt")]);
    candidates.into_iter().find(|p| {
        let Ok(bytes) = std::fs::read(p) else {
            return false;
        };
        let Ok(blocks) = crate::pki::pem::parse_all(&bytes, &p.display().to_string()) else {
            return false;
        };
        matches!(
            walk(chain, &crate::pki::pem::certificates(&blocks)),
            Walk::Trusted
        )
    })
}

fn kibana_trusts_es(ctx: &Context, loaded: &[Loaded], out: &mut Vec<Finding>) {
    let es_leaf = leaf_of(loaded, Role::EsHttp);
    let kb_leaf = leaf_of(loaded, Role::KibanaClient);
    let (Some(kb), Some((esl, chain))) = (ctx.detected.kibana.as_ref(), es_leaf) else {
        return;
    };
    let https = kb
        .elasticsearch
        .hosts
        .iter()
        .any(|h| h.starts_with("https://"));
    let mut anchors = certs_of(loaded, Role::KibanaEsTrust);
    anchors.extend(certs_of(loaded, Role::KibanaClient));
    if let Some((_, c)) = kb_leaf {
        anchors.extend(c.iter().skip(1).cloned());
    }
    let ca_file = ctx
        .detected
        .es
        .as_ref()
        .and_then(|es| es_ca_file(es, chain));
    let missing = unreadable(loaded, Role::KibanaEsTrust);
    if let Some(ca) = &ca_file {
        // The one finding of a missing CA file says what belongs in it.
        for l in &missing {
            if let Some(f) = out
                .iter_mut()
                .find(|f| f.check == "unreadable" && f.file.as_ref() == Some(&l.source.path))
            {
                f.fix = format!(
                    "it must hold the CA of Elasticsearch's HTTP certificate, which is {}: copy that file to {} (or point {} at it in {})",
                    ca.display(),
                    l.source.path.display(),
                    l.source.setting,
                    l.source.yml.display()
                );
            }
        }
    }
    let fix = match &ca_file {
        Some(ca) => format!(
            "add {} (the CA that signed it; copy it to Kibana's host when Kibana runs elsewhere) to elasticsearch.ssl.certificateAuthorities in {}",
            ca.display(),
            kb.yml.display()
        ),
        None => format!(
            "add the PEM of the CA that signed {} to elasticsearch.ssl.certificateAuthorities in {} (`esmtls cert inspect {}` names it)",
            esl.source.path.display(),
            kb.yml.display(),
            esl.source.path.display()
        ),
    };
    match walk(chain, &anchors) {
        Walk::Trusted => {}
        _ if !https => {}
        Walk::Untrusted(_) if !missing.is_empty() => {}
        Walk::Untrusted(root) => out.push(Finding::new(
            Severity::Error,
            "kibana-trusts-es",
            Some(kb.yml.clone()),
            format!("Kibana does not trust the CA of Elasticsearch's HTTP certificate ({root}, from {}); Kibana logs \"self signed certificate in certificate chain\"", esl.source.path.display()),
            fix,
        )),
        Walk::Incomplete(issuer) => out.push(Finding::new(
            Severity::Error,
            "chain-incomplete",
            Some(esl.source.path.clone()),
            format!("the chain of Elasticsearch's HTTP certificate stops at an issuer nobody provides ({issuer}); Kibana logs \"unable to get local issuer certificate\""),
            "add the intermediate CA certificate(s) after the server certificate in its file (or to Kibana's elasticsearch.ssl.certificateAuthorities)",
        )),
    }
    if https {
        hosts(ctx, kb, esl, chain, out);
    }
}

fn es_trusts_kibana(ctx: &Context, loaded: &[Loaded], out: &mut Vec<Finding>) {
    let kb_leaf = leaf_of(loaded, Role::KibanaClient);
    let (Some(es), Some((kbl, chain))) = (ctx.detected.es.as_ref(), kb_leaf) else {
        return;
    };
    let ca = es.http.client_authentication.as_deref().unwrap_or("none");
    if ca == "none" || !unreadable(loaded, Role::EsHttpTrust).is_empty() {
        return;
    }
    let mut anchors = certs_of(loaded, Role::EsHttpTrust);
    if anchors.is_empty() {
        for l in loaded.iter().filter(|l| l.source.role == Role::EsHttp) {
            for k in &l.material.keys {
                anchors.extend(
                    k.chain
                        .iter()
                        .filter(|d| cert_info(d).is_ok_and(|i| i.is_ca))
                        .cloned(),
                );
            }
        }
    }
    if !matches!(walk(chain, &anchors), Walk::Trusted) {
        let issuer = chain
            .first()
            .and_then(|d| cert_info(d).ok())
            .map(|i| i.issuer)
            .unwrap_or_default();
        out.push(Finding::new(
            Severity::Error,
            "es-trusts-kibana-client",
            Some(es.yml.clone()),
            format!("Elasticsearch's HTTP layer (client_authentication: {ca}) does not trust the CA of Kibana's client certificate ({issuer}, in {}); the handshake fails with \"bad certificate\" before any realm runs", kbl.source.path.display()),
            "add that CA's PEM to xpack.security.http.ssl.certificate_authorities (keep the CA of Elasticsearch's own certificate in the list too)",
        ));
    }
}

fn hosts(
    ctx: &Context,
    kb: &crate::detect::KibanaSide,
    esl: &Loaded,
    chain: &[Vec<u8>],
    out: &mut Vec<Finding>,
) {
    let Some(info) = chain.first().and_then(|d| cert_info(d).ok()) else {
        return;
    };
    let missing: Vec<String> = kb
        .elasticsearch
        .hosts
        .iter()
        .filter_map(|h| h.strip_prefix("https://"))
        .map(crate::plan::answers::url_host)
        .filter(|host| !san_matches(&info.sans, host))
        .fold(Vec::new(), |mut v, h| {
            if !v.contains(&h) {
                v.push(h);
            }
            v
        });
    if missing.is_empty() {
        return;
    }
    let line = kb
        .elasticsearch
        .settings
        .iter()
        .find(|s| s.key == "elasticsearch.hosts")
        .map(|s| s.line);
    let fix = format!(
        "{}; or use a host name it has; do not lower verificationMode",
        add_san_fix(ctx, esl, &missing)
    );
    for host in &missing {
        out.push(Finding::new(
            Severity::Error,
            "hosts-not-in-san",
            Some(kb.yml.clone()),
            format!("elasticsearch.hosts names {host}, which is not in the server certificate's SANs [{}]; Kibana logs \"Hostname/IP does not match certificate's altnames\"", info.sans.join(", ")),
            fix.clone(),
        ).at(line));
    }
}

/// The command that re-issues Elasticsearch's HTTP certificate into the file
/// in use (the auto-configured `http.p12` too: its `http_ca` entry is kept)
/// with `hosts` added, and where its password comes from — named, never
/// printed: esmtls reads it from `elasticsearch.keystore` itself.
fn add_san_fix(ctx: &Context, esl: &Loaded, hosts: &[String]) -> String {
    let mut argv: Vec<String> = vec![
        "esmtls".into(),
        "renew".into(),
        "--only".into(),
        esl.source.path.display().to_string(),
        "--add-san".into(),
        hosts.join(","),
    ];
    argv.extend(super::expiry::setup_args(ctx));
    let password = match (&esl.source.form, &esl.source.password_setting) {
        (crate::lifecycle::sources::Form::Keystore, Some(p)) => format!(
            "; esmtls opens the file with its password from elasticsearch.keystore ({p}, the value `elasticsearch-keystore show {p}` prints) and keeps that password, so nothing else changes"
        ),
        _ => String::new(),
    };
    format!(
        "re-issue Elasticsearch's HTTP certificate in place with {} added: `{}` — same file, key type, subject and CA{password}; Elasticsearch reloads it by itself",
        hosts.join(", "),
        super::expiry::join(&argv)
    )
}

#[cfg(test)]
mod tests {
    use super::san_matches;

    #[test]
    fn sans() {
        let s = vec![
            "DNS:localhost".to_string(),
            "DNS:*.example.com".into(),
            "IP:127.0.0.1".into(),
        ];
        assert!(san_matches(&s, "localhost"));
        assert!(san_matches(&s, "es1.example.com"));
        assert!(!san_matches(&s, "a.b.example.com"));
        assert!(san_matches(&s, "127.0.0.1"));
        assert!(!san_matches(&s, "10.0.0.1"));
    }
}
