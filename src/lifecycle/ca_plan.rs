//! An expiring CA is not a renewal: every certificate it signed and every
//! trust setting that names it depend on it. This module finds CAs that
//! expire within the window and words the transition: a new CA, both sides
//! trusting the old and the new CA until every certificate is re-issued from
//! the new one, then the old CA removed.
//!
//! Invariant: this only describes; nothing here writes.

use std::path::PathBuf;

use serde::Serialize;

use super::material::Loaded;
use crate::pki::inspect::cert_info;

/// A CA that expires within the window.
#[derive(Debug, Clone, Serialize)]
pub struct CaNotice {
    /// A file that holds it (the first found).
    pub file: PathBuf,
    /// Its subject.
    pub subject: String,
    /// Its end of validity.
    pub not_after: String,
    /// Days left (negative: expired).
    pub days_left: i64,
    /// The transition plan, step by step.
    pub plan: Vec<String>,
}

/// Every CA in the setup's files that expires within `within` days (once per CA).
pub fn ca_notices(loaded: &[Loaded], within: i64) -> Vec<CaNotice> {
    let mut out: Vec<CaNotice> = Vec::new();
    let mut seen = Vec::new();
    for l in loaded {
        let chains = l.material.keys.iter().flat_map(|k| k.chain.iter());
        let certs = l.material.certs.iter().map(|(_, d)| d);
        for der in chains.chain(certs) {
            let Ok(i) = cert_info(der) else { continue };
            if !i.is_ca || i.days_left > within || seen.contains(&i.sha256) {
                continue;
            }
            seen.push(i.sha256.clone());
            out.push(CaNotice {
                file: l.source.path.clone(),
                plan: transition_plan(&i.subject),
                subject: i.subject,
                not_after: i.not_after,
                days_left: i.days_left,
            });
        }
    }
    out
}

/// The steps to replace the CA `subject` without an outage.
pub fn transition_plan(subject: &str) -> Vec<String> {
    vec![
        format!("The CA {subject} itself expires: renewing the certificates it signed does not help, the CA has to be replaced."),
        "1. Make a new CA: `esmtls cert ca --dn \"CN=esmtls CA 2\" --out esmtls-ca-2.p12 --password-file <file>`.".into(),
        "2. Trust both: append the new CA certificate (PEM) to every CA file the setup trusts — Elasticsearch's xpack.security.http.ssl.certificate_authorities (and the PKI realm's), Kibana's elasticsearch.ssl.certificateAuthorities — keeping the old CA in them. Elasticsearch reloads changed CA files by itself; restart Kibana.".into(),
        "3. Re-issue every certificate from the new CA: `esmtls renew --within 36500 --ca <new CA .p12> --ca-password-file <file>` (same files, same passwords; restart Kibana afterwards).".into(),
        "4. When every certificate is re-issued and both sides run with them, remove the old CA from the trusted CA files.".into(),
    ]
}
