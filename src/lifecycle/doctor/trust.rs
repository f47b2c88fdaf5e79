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
    let es_leaf = leaf_of(loaded, Role::EsHttp);
    let kb_leaf = leaf_of(loaded, Role::KibanaClient);
    if let (Some(kb), Some((esl, chain))) = (ctx.detected.kibana.as_ref(), es_leaf) {
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
        let yml = Some(kb.yml.clone());
        match walk(chain, &anchors) {
            Walk::Trusted => {}
            _ if !https => {}
            Walk::Untrusted(root) => out.push(Finding::new(
                Severity::Error,
                "kibana-trusts-es",
                yml.clone(),
                format!("Kibana does not trust the CA of Elasticsearch's HTTP certificate ({root}, from {}); Kibana logs \"self signed certificate in certificate chain\"", esl.source.path.display()),
                format!("add that CA's PEM to elasticsearch.ssl.certificateAuthorities in {}", kb.yml.display()),
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
            hosts(kb, chain, out);
        }
    }
    if let (Some(es), Some((kbl, chain))) = (ctx.detected.es.as_ref(), kb_leaf) {
        let ca = es.http.client_authentication.as_deref().unwrap_or("none");
        if ca == "none" {
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
}

fn hosts(kb: &crate::detect::KibanaSide, chain: &[Vec<u8>], out: &mut Vec<Finding>) {
    let Some(info) = chain.first().and_then(|d| cert_info(d).ok()) else {
        return;
    };
    for h in &kb.elasticsearch.hosts {
        let Some(rest) = h.strip_prefix("https://") else {
            continue;
        };
        let host = crate::plan::answers::url_host(rest);
        if !san_matches(&info.sans, &host) {
            let line = kb
                .elasticsearch
                .settings
                .iter()
                .find(|s| s.key == "elasticsearch.hosts")
                .map(|s| s.line);
            out.push(Finding::new(
                Severity::Error,
                "hosts-not-in-san",
                Some(kb.yml.clone()),
                format!("elasticsearch.hosts names {host}, which is not in the server certificate's SANs [{}]; Kibana logs \"Hostname/IP does not match certificate's altnames\"", info.sans.join(", ")),
                format!("re-issue Elasticsearch's HTTP certificate with {host} in its SANs (esmtls cert issue --server --dns/--ip), or use a host name it has; do not lower verificationMode"),
            ).at(line));
        }
    }
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
