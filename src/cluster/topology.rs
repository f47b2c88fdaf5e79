//! The topology in the answers file (`topology:`): the Elasticsearch nodes
//! and the Kibana instances, each on its own host, with the names the
//! certificates carry and where the config directory is on that host.
//!
//! ```yaml
//! topology:
//!   elasticsearch:
//!     - name: es01                 # node.name; the bundle's directory name
//!       dns: [es01.example.com]
//!       ip: [10.0.0.11]
//!       config: /etc/elasticsearch # default
//!       port: 9200                 # default
//!   kibana:
//!     - name: kb01                 # server.name
//!       dns: [kb01.example.com]
//!       config: /etc/kibana        # default
//! ```
//!
//! Without `topology:` esmtls configures this machine, as before. With it,
//! and no nodes listed, `GET /_nodes/http` fills in the nodes.
//!
//! Invariants (checked by [`Topology::validate`]): names are unique across
//! both lists and usable as directory names; no DNS name or IP belongs to two
//! hosts; each Kibana's `elasticsearch.hosts` is derived from the nodes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The whole topology.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    /// The Elasticsearch nodes (empty: ask the cluster, `GET /_nodes/http`).
    #[serde(default)]
    pub elasticsearch: Vec<Host>,
    /// The Kibana instances.
    #[serde(default)]
    pub kibana: Vec<Host>,
    /// Where the hosts' keys are made: by the CA holder (`ca-holder`, the
    /// default, as `elasticsearch-certutil http` does), or on each host
    /// (`host`: a CSR travels, the key never does; see [`super::csr`]).
    #[serde(default)]
    pub keys: KeysAt,
}

/// Where keys are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeysAt {
    /// The CA holder makes every key; it travels in the host's bundle.
    #[default]
    CaHolder,
    /// Each host makes its key and a CSR.
    Host,
}

/// One host: a node or a Kibana instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// Its name: `node.name` / `server.name`, and the bundle's directory.
    pub name: String,
    /// DNS names (the first is the one Kibana connects to).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<String>,
    /// IP addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip: Vec<IpAddr>,
    /// The config directory on that host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<PathBuf>,
    /// The HTTP port (Elasticsearch: 9200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The Elasticsearch version (chooses a new keystore's format).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Which product a host runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Product {
    /// An Elasticsearch node.
    Elasticsearch,
    /// A Kibana instance.
    Kibana,
}

impl Product {
    /// `elasticsearch` / `kibana`.
    pub fn name(self) -> &'static str {
        match self {
            Product::Elasticsearch => "elasticsearch",
            Product::Kibana => "kibana",
        }
    }
    /// The yml file in its config directory.
    pub fn yml(self) -> &'static str {
        match self {
            Product::Elasticsearch => "elasticsearch.yml",
            Product::Kibana => "kibana.yml",
        }
    }
    /// The package's config directory.
    pub fn default_config(self) -> PathBuf {
        PathBuf::from(match self {
            Product::Elasticsearch => "/etc/elasticsearch",
            Product::Kibana => "/etc/kibana",
        })
    }
    /// The setting that names the host in its yml (`node.name`, `server.name`).
    pub fn name_setting(self) -> &'static str {
        match self {
            Product::Elasticsearch => "node.name",
            Product::Kibana => "server.name",
        }
    }
}

impl Host {
    /// The config directory on its host.
    pub fn config_dir(&self, p: Product) -> PathBuf {
        self.config.clone().unwrap_or_else(|| p.default_config())
    }

    /// The address Kibana connects to: the first DNS name, else the first IP, else the name.
    pub fn address(&self) -> String {
        match (self.dns.first(), self.ip.first()) {
            (Some(d), _) => d.clone(),
            (None, Some(IpAddr::V6(ip))) => format!("[{ip}]"),
            (None, Some(ip)) => ip.to_string(),
            (None, None) => self.name.clone(),
        }
    }

    /// `https://address:port` for a node.
    pub fn url(&self) -> String {
        format!("https://{}:{}", self.address(), self.port.unwrap_or(9200))
    }
}

impl Topology {
    /// Every host with its product, nodes first.
    pub fn hosts(&self) -> impl Iterator<Item = (Product, &Host)> {
        let es = self
            .elasticsearch
            .iter()
            .map(|h| (Product::Elasticsearch, h));
        es.chain(self.kibana.iter().map(|h| (Product::Kibana, h)))
    }

    /// Kibana's `elasticsearch.hosts`: every node's URL.
    pub fn kibana_hosts(&self) -> Vec<String> {
        self.elasticsearch.iter().map(Host::url).collect()
    }

    /// Checks names and addresses. Err is (answers key, message).
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.kibana.is_empty() {
            return Err((
                "topology.kibana".into(),
                "list at least one Kibana instance (name and config directory)".into(),
            ));
        }
        let mut names: HashMap<String, String> = HashMap::new();
        let mut addrs: HashMap<String, String> = HashMap::new();
        for (p, list) in [
            ("elasticsearch", &self.elasticsearch),
            ("kibana", &self.kibana),
        ] {
            for (i, h) in list.iter().enumerate() {
                let key = format!("topology.{p}[{i}]");
                check_name(&h.name).map_err(|m| (format!("{key}.name"), m))?;
                if let Some(first) = names.insert(h.name.to_ascii_lowercase(), key.clone()) {
                    return Err((
                        format!("{key}.name"),
                        format!(
                            "`{}` is already the name of {first}; every host needs its own name (it names its bundle)",
                            h.name
                        ),
                    ));
                }
                for d in &h.dns {
                    crate::pki::build::check_dns_name(d, &format!("`{key}.ip`"))
                        .map_err(|m| (format!("{key}.dns"), m))?;
                }
                // A node is reached at address and port (two nodes may share a
                // host on other ports); a Kibana instance at its address.
                let port = if p == "elasticsearch" {
                    h.port.unwrap_or(9200).to_string()
                } else {
                    "kibana".into()
                };
                let dns = h.dns.iter().map(|d| (d.to_ascii_lowercase(), "dns"));
                let ips = h.ip.iter().map(|i| (i.to_string(), "ip"));
                for (a, field) in dns.chain(ips) {
                    if let Some(first) = addrs.insert(format!("{a} {port}"), h.name.clone())
                        && first != h.name
                    {
                        let what = if p == "elasticsearch" {
                            format!("`{a}` with port {port}")
                        } else {
                            format!("`{a}`")
                        };
                        return Err((
                            format!("{key}.{field}"),
                            format!(
                                "{what} is given for both {first} and {}; each node needs its own name or port, or Kibana cannot tell the nodes apart",
                                h.name
                            ),
                        ));
                    }
                }
                if let Some(v) = &h.version {
                    crate::keystore::elasticsearch::format_for_es_version(v)
                        .map_err(|e| (format!("{key}.version"), e.to_string()))?;
                }
            }
        }
        Ok(())
    }
}

/// A host name usable as `node.name` and as a directory name.
fn check_name(n: &str) -> Result<(), String> {
    let ok = !n.is_empty()
        && n.len() <= 63
        && !n.starts_with(['.', '-', '_'])
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` cannot name a host: use letters, digits, `-`, `_` and `.` (not first), at most 63",
            crate::pki::names::shown(n)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(yaml: &str) -> Topology {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    #[test]
    fn duplicate_names_and_addresses_are_refused() {
        let dup = t("elasticsearch: [{name: es01}, {name: ES01}]\nkibana: [{name: kb}]");
        let (key, msg) = dup.validate().unwrap_err();
        assert_eq!(key, "topology.elasticsearch[1].name");
        assert!(msg.contains("topology.elasticsearch[0]"), "{msg}");
        let dns = t(
            "elasticsearch: [{name: a, dns: [x.example]}, {name: b, dns: [X.example]}]\nkibana: [{name: kb}]",
        );
        let (key, msg) = dns.validate().unwrap_err();
        assert_eq!(key, "topology.elasticsearch[1].dns");
        assert!(
            msg.contains("x.example") && msg.contains(" a ") || msg.contains("for both a"),
            "{msg}"
        );
        let bad = t("elasticsearch: [{name: ../x}]\nkibana: [{name: kb}]");
        assert_eq!(
            bad.validate().unwrap_err().0,
            "topology.elasticsearch[0].name"
        );
        let nokb = t("elasticsearch: [{name: a}]");
        assert_eq!(nokb.validate().unwrap_err().0, "topology.kibana");
    }

    #[test]
    fn kibana_hosts_come_from_the_nodes() {
        let top = t(
            "elasticsearch: [{name: es01, dns: [es01.example]}, {name: es02, ip: ['10.0.0.2'], port: 9201}, {name: es03, ip: ['::1']}]\nkibana: [{name: kb}]",
        );
        assert_eq!(
            top.kibana_hosts(),
            [
                "https://es01.example:9200",
                "https://10.0.0.2:9201",
                "https://[::1]:9200"
            ]
        );
        assert!(top.validate().is_ok());
    }
}
