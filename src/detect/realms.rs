//! Realms configured in `elasticsearch.yml` under
//! `xpack.security.authc.realms.<type>.<name>.*`, in any key form, grouped by
//! realm in the order they first appear (the planner re-orders without
//! collisions from this list).

use std::collections::BTreeMap;

use serde::Serialize;

use super::es::as_bool;
use crate::yaml::YamlFile;

const REALMS: &str = "xpack.security.authc.realms.";

/// A realm configured under `xpack.security.authc.realms.<type>.<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Realm {
    /// `pki`, `native`, `file`, `ldap`, ...
    #[serde(rename = "type")]
    pub realm_type: String,
    /// The realm's name.
    pub name: String,
    /// `order` (None when not set — Elasticsearch refuses that).
    pub order: Option<i64>,
    /// `enabled` (default true).
    pub enabled: bool,
    /// First line where it is configured.
    pub line: usize,
}

/// Realms by `(type, name)`, in the order they first appear.
pub(crate) fn realms(file: &YamlFile) -> Vec<Realm> {
    let mut out: Vec<Realm> = Vec::new();
    let mut index: BTreeMap<(String, String), usize> = BTreeMap::new();
    for s in file.settings() {
        let Some(rest) = s.key.strip_prefix(REALMS) else {
            continue;
        };
        let mut parts = rest.splitn(3, '.');
        let (Some(t), Some(n)) = (parts.next(), parts.next()) else {
            continue;
        };
        let field = parts.next().unwrap_or_default();
        let i = *index.entry((t.into(), n.into())).or_insert_with(|| {
            out.push(Realm {
                realm_type: t.into(),
                name: n.into(),
                order: None,
                enabled: true,
                line: s.line,
            });
            out.len() - 1
        });
        match field {
            "order" => out[i].order = s.value.as_text().and_then(|v| v.parse().ok()),
            "enabled" => out[i].enabled = as_bool(&s.value).unwrap_or(true),
            _ => {}
        }
    }
    out
}
