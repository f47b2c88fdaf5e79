//! Names shared by the steps: Kibana's `elasticsearch.hosts`, the names an
//! HTTP certificate must carry, and where Kibana's config directory is on
//! Kibana's host.

use std::path::PathBuf;

use super::super::PlanError;
use super::super::answers::{Answers, url_host};
use super::super::facts::{self, Facts};
use super::super::setup::Setup;
use crate::pki::inspect;

/// `elasticsearch.hosts` for Kibana.
pub(in crate::plan) fn hosts(a: &Answers, f: &Facts) -> Vec<String> {
    if !a.kibana.hosts.is_empty() {
        return a.kibana.hosts.clone();
    }
    let current: Vec<String> = facts::list(&f.kb_yml, "elasticsearch.hosts")
        .into_iter()
        .map(|h| match h.strip_prefix("http://") {
            Some(rest) => format!("https://{rest}"),
            None => h,
        })
        .collect();
    if current.is_empty() {
        vec!["https://localhost:9200".into()]
    } else {
        current
    }
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
