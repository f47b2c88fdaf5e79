//! Merging what the running node reports (`GET /_ssl/certificates`) into the
//! inventory: a file entry the node also reports is marked `in_cluster`; a
//! certificate only the node knows (another layer, a file the yml scan could
//! not resolve) becomes an entry of role `cluster`.
//!
//! Invariant: matching is by file (the node reports paths relative to its
//! config directory), alias and serial number; the node's date decides the
//! days left of node-only entries.

use std::path::Path;

use super::days_until;
use super::inventory::{CertEntry, Inventory};
use super::sources::{Role, Side, resolve_in};
use crate::es::responses::SslCertificate;

impl Inventory {
    /// Adds the node's certificates; `es_config` resolves their relative paths.
    pub fn merge_cluster(&mut self, certs: &[SslCertificate], es_config: &Path) {
        for c in certs {
            let file = resolve_in(es_config, &c.path);
            let serial = c.serial_number.trim_start_matches('0').to_ascii_lowercase();
            let known = self.entries.iter_mut().find(|e| {
                e.side == Side::Elasticsearch
                    && e.file == file
                    && (c.alias.is_none() || e.alias == c.alias)
                    && serial_of(e).is_some_and(|s| s == serial)
            });
            if let Some(e) = known {
                e.in_cluster = true;
                continue;
            }
            let days = days_until(&c.expiry);
            let mut problems = Vec::new();
            let mut broken = false;
            match days {
                Some(d) if d < 0 => {
                    problems.push(crate::pki::inspect::days_left_words(d));
                    broken = true;
                }
                Some(d) if d <= self.warn_days => {
                    problems.push(crate::pki::inspect::days_left_words(d))
                }
                Some(_) => {}
                None => problems.push(format!(
                    "the node reports an unreadable expiry '{}'",
                    c.expiry
                )),
            }
            self.entries.push(CertEntry {
                file,
                alias: c.alias.clone(),
                side: Side::Elasticsearch,
                role: Role::Cluster,
                settings: Vec::new(),
                subject: c.subject_dn.clone(),
                issuer: String::new(),
                sans: Vec::new(),
                eku: Vec::new(),
                not_after: c.expiry.clone(),
                days_left: days,
                is_ca: false,
                has_key: c.has_private_key,
                sha256: String::new(),
                serial,
                in_cluster: true,
                problems,
                broken,
            });
        }
    }
}

fn serial_of(e: &CertEntry) -> Option<String> {
    (!e.serial.is_empty()).then(|| e.serial.trim_start_matches('0').to_ascii_lowercase())
}
