//! One node's configuration tree, read the way a starting node reads it, and
//! the state all nodes share (what the real cluster keeps in its security
//! index and cluster state).
//!
//! A node reads, from its config directory: `elasticsearch.yml`,
//! `elasticsearch.keystore` (secure settings), the files its TLS settings
//! name, `service_tokens`, and each PKI realm's `role_mapping.yml`. Any error
//! a real node would stop on (see `settings`, `tls`, `realm`, `tokens`) makes
//! [`Node::load`] fail with Elasticsearch's message, so a test can assert that
//! a configuration would not boot.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::Value as Json;

use super::realm::{self, PkiRealm};
use super::settings::{Secure, Settings};
use super::tls::{self, Http};
use super::tokens;

/// A node as it runs: its settings and what it loaded from them.
pub struct Node {
    pub name: String,
    /// A stable node id (ES keeps it in the data path across restarts).
    pub id: String,
    pub settings: Settings,
    pub http: Http,
    /// Enabled PKI realms in chain order.
    pub realms: Vec<PkiRealm>,
    /// `service_tokens`: qualified token name → stored hash.
    pub file_tokens: BTreeMap<String, String>,
}

impl Node {
    /// Reads the config tree in `dir` for the node called `name`.
    pub fn load(name: &str, dir: &Path) -> Result<Node, String> {
        let mut settings = Settings::load(&dir.join("elasticsearch.yml"))?;
        if !settings.bool("xpack.security.enabled", true)? {
            return Err("xpack.security.enabled: false is not modelled by the fake cluster".into());
        }
        if settings.get("node.name").is_none() {
            settings.put("node.name", name);
        }
        let secure = Secure::load(dir)?;
        let http = tls::load_http(&settings, dir, &secure)?;
        let realms = realm::load(&settings, dir, &secure)?;
        let file_tokens = tokens::load_file(dir)?;
        Ok(Node {
            name: name.to_string(),
            id: node_id(name),
            settings,
            http,
            realms,
            file_tokens,
        })
    }

    /// `cluster.name`, or Elasticsearch's default.
    pub fn cluster_name(&self) -> String {
        self.settings
            .get("cluster.name")
            .unwrap_or("elasticsearch")
            .to_string()
    }
}

/// 22 URL-safe Base64 characters, as `UUIDs.randomBase64UUID` node ids look,
/// derived from the name so a restarted node keeps its id.
fn node_id(name: &str) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, name.as_bytes());
    let mut id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d.as_ref());
    id.truncate(22);
    id
}

/// What the other nodes know of a node: enough for `_nodes` and
/// `get_service_credentials`.
#[derive(Clone)]
pub struct NodeView {
    pub name: String,
    pub id: String,
    pub dir: PathBuf,
    /// The address it listens on (127.0.0.1 unless the test gave one).
    pub ip: std::net::IpAddr,
    pub port: u16,
    pub running: bool,
    /// Serves HTTPS (else plain HTTP).
    pub tls: bool,
    /// `GET /_nodes/settings` for this node (nested, then flat).
    pub settings: (Json, Json),
    /// Names of the `elastic/kibana` tokens in its `service_tokens`.
    pub file_tokens: Vec<String>,
}

/// The cluster-wide state.
pub struct State {
    /// `GET /_license` type (`trial` unless a test changes it).
    pub license: String,
    /// Reserved users' passwords (`elastic` from the start; `kibana_system`
    /// once set through the API).
    pub passwords: BTreeMap<String, String>,
    /// API role mappings by name (the stored body).
    pub mappings: BTreeMap<String, Json>,
    /// API service tokens: qualified name → secret.
    pub tokens: BTreeMap<String, String>,
}

/// Reserved users (`ReservedRealm`) whose password can be set.
pub const RESERVED: [&str; 7] = [
    "elastic",
    "kibana",
    "kibana_system",
    "logstash_system",
    "beats_system",
    "apm_system",
    "remote_monitoring_user",
];

/// License types under which the PKI realm runs: Gold and up, and trial
/// (`Security.java`: standard realms are `GOLD`).
pub fn pki_licensed(license: &str) -> bool {
    matches!(license, "gold" | "platinum" | "enterprise" | "trial")
}
