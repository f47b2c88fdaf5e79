//! Names shared by the steps: Kibana's `elasticsearch.hosts`, the names an
//! HTTP certificate must carry, and where Kibana's config directory is on
//! Kibana's host.

use std::path::PathBuf;

use super::super::PlanError;
use super::super::answers::{Answers, url_host};
use super::super::facts::{self, Facts};
use super::super::setup::Setup;
use crate::pki::inspect;

/// Kibana's `elasticsearch.hosts`: as written into kibana.yml (environment
/// references kept), and as Kibana will read them (references resolved), for
/// the certificate's names and the connection.
pub(in crate::plan) struct Hosts {
    pub written: Vec<String>,
    pub resolved: Vec<String>,
}

/// The setting Kibana 6.x used for one host; Kibana 7.0 removed it (elastic/kibana
/// PR #29496) and refuses to start while it is there (elastic-facts §3.2b).
pub(in crate::plan) const LEGACY_URL: &str = "elasticsearch.url";

/// `elasticsearch.hosts` for Kibana: the answers' `kibana.hosts`, else what
/// kibana.yml has (as https; a Kibana 6.x `elasticsearch.url` migrated), else
/// `https://localhost:9200`.
pub(in crate::plan) fn hosts(a: &Answers, f: &Facts) -> Result<Hosts, PlanError> {
    use crate::yaml::env::{Syntax, resolve_env};
    if !a.kibana.hosts.is_empty() {
        let resolved = a
            .kibana
            .hosts
            .iter()
            .map(|h| {
                resolve_env(h, Syntax::Kibana).map_err(|e| PlanError::Answer {
                    key: "kibana.hosts".into(),
                    message: format!("{h}: {e}; set it, or write the host itself"),
                })
            })
            .collect::<Result<_, _>>()?;
        return Ok(Hosts {
            written: a.kibana.hosts.clone(),
            resolved,
        });
    }
    let y = &f.kb_yml;
    let (key, current) = match facts::list(y, "elasticsearch.hosts") {
        l if l.is_empty() => (LEGACY_URL, facts::list(y, LEGACY_URL)),
        l => ("elasticsearch.hosts", l),
    };
    let line = y.get(key).map_or(0, |s| s.line);
    let mut out = Hosts {
        written: Vec::new(),
        resolved: Vec::new(),
    };
    for h in current {
        let h = match h.strip_prefix("http://") {
            Some(rest) => format!("https://{rest}"),
            None => h,
        };
        let h = if key == LEGACY_URL { with_port(&h) } else { h };
        out.resolved.push(facts::resolved(y, key, line, &h)?);
        out.written.push(h);
    }
    if out.written.is_empty() {
        out.written = vec!["https://localhost:9200".into()];
        out.resolved = out.written.clone();
    }
    Ok(out)
}

/// `elasticsearch.url` assumed port 9200 when it named none; in
/// `elasticsearch.hosts` the port follows the scheme (https → 443), so a
/// migrated host gets an explicit `:9200` (Kibana 7.0 breaking changes,
/// elastic-facts §3.2b).
fn with_port(url: &str) -> String {
    let rest = url.strip_prefix("https://").unwrap_or(url);
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if super::super::answers::split_host_port(authority)
        .1
        .is_some()
    {
        return url.to_string();
    }
    format!("https://{authority}:9200{path}")
}

pub(in crate::plan) fn server_names(
    a: &Answers,
    hosts: &[String],
) -> (Vec<String>, Vec<std::net::IpAddr>) {
    let mut dns: Vec<String> = Vec::new();
    let mut ips: Vec<std::net::IpAddr> = Vec::new();
    let names = hosts
        .iter()
        .map(|h| url_host(h))
        .chain(["localhost".to_string()]);
    for n in names {
        match n.parse::<std::net::IpAddr>() {
            Ok(ip) if !ips.contains(&ip) => ips.push(ip),
            Ok(_) => {}
            Err(_) if !dns.contains(&n) => dns.push(n),
            Err(_) => {}
        }
    }
    for d in &a.server_certificate.dns {
        if !dns.contains(d) {
            dns.push(d.clone());
        }
    }
    for ip in &a.server_certificate.ip {
        if !ips.contains(ip) {
            ips.push(*ip);
        }
    }
    let lo: std::net::IpAddr = std::net::Ipv4Addr::LOCALHOST.into();
    if !ips.contains(&lo) {
        ips.push(lo);
    }
    (dns, ips)
}

/// Every host of `elasticsearch.hosts` must be in the server certificate's SANs.
pub(in crate::plan) fn check_hosts_in_sans(
    hosts: &[String],
    sans: &[String],
) -> Result<(), PlanError> {
    for h in hosts {
        let host = url_host(h);
        if !inspect::san_matches(sans, &host) {
            return Err(PlanError::Answer {
                key: "kibana.hosts".into(),
                message: format!(
                    "{h}: `{host}` is not among the names of Elasticsearch's HTTP certificate ({}); Kibana would fail with \"Hostname/IP does not match certificate's altnames\". Use one of those names, or let esmtls issue a certificate with it (`server_certificate.generate: yes`) — do not lower `verificationMode`",
                    if sans.is_empty() {
                        "it has none".into()
                    } else {
                        sans.join(", ")
                    }
                ),
            });
        }
    }
    Ok(())
}

/// Where Kibana's config directory is on the host Kibana runs on: the real
/// directory, or (output folder) `kibana.install_config` / `/etc/kibana`.
pub(in crate::plan) fn kibana_real_dir(a: &Answers, setup: &Setup) -> PathBuf {
    if setup
        .out_dir
        .as_ref()
        .is_some_and(|o| setup.kibana_config.starts_with(o))
    {
        return a
            .kibana
            .install_config
            .clone()
            .unwrap_or_else(|| PathBuf::from("/etc/kibana"));
    }
    std::fs::canonicalize(&setup.kibana_config).unwrap_or_else(|_| setup.kibana_config.clone())
}
