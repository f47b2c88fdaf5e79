//! The bundles of an earlier run, read by the CA holder to reuse what is
//! still right (keys, certificates, Kibana's credential), so a second run
//! gives bundles that change nothing on the hosts.

use std::collections::BTreeMap;
use std::path::Path;

use super::bundle::Bundle;
use super::order::CLUSTER;
use crate::plan::Given;
use crate::secret::Secret;

/// The bundles of an earlier run, read to reuse keys, certificates and
/// credentials that are still right (only bundles whose digests hold).
#[derive(Default)]
pub struct Prior {
    hosts: BTreeMap<String, Given>,
    password: Option<Secret>,
}

impl Prior {
    /// Reads every bundle under `dir` (None or unreadable: nothing to reuse).
    pub fn read(dir: Option<&Path>) -> Prior {
        let mut p = Prior::default();
        let Some(entries) = dir.and_then(|d| std::fs::read_dir(d).ok()) else {
            return p;
        };
        for e in entries.flatten() {
            let Ok(b) = Bundle::open(&e.path()) else {
                continue;
            };
            if b.manifest.host == CLUSTER {
                p.password = b
                    .read("secrets/kibana_system")
                    .map(|v| Secret::new(String::from_utf8_lossy(&v).trim().to_string()));
            }
            if let Ok(g) = b.given() {
                p.hosts.insert(b.manifest.host.clone(), g);
            }
        }
        p
    }

    /// A host's earlier certificate and key.
    pub fn leaf(&self, host: &str, http: bool) -> Option<super::issue::Leaf> {
        let g = self.hosts.get(host)?;
        let (chain, key) = if http {
            g.http.clone()?
        } else {
            g.client.clone()?
        };
        Some(super::issue::Leaf { chain, key })
    }

    /// The earlier file token: (line, bearer), from any node and any Kibana.
    pub fn token(&self) -> Option<(String, Secret)> {
        let line = self.hosts.values().find_map(|g| g.token_line.clone())?;
        let bearer = self.hosts.values().find_map(|g| g.credential.clone())?;
        Some((line, bearer))
    }

    /// The earlier `kibana_system` password.
    pub fn password(&self) -> Option<Secret> {
        self.password.clone()
    }
}
