//! What the planner is given besides the answers: where things are on this
//! machine ([`Setup`], filled from detection) and a view of the cluster
//! ([`Cluster`], filled by the Elasticsearch client — or by a fake in tests).
//!
//! The cluster is a trait so the planner and the executor never depend on
//! the network code; both use the same object, so what the plan read is what
//! apply changes.

use std::path::{Path, PathBuf};

use super::choices::SecretStoreChoice;
use super::types::Command;
use crate::secret::Secret;

/// Locations and keystore passwords.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Elasticsearch's config directory (or `<out>/elasticsearch`).
    pub es_config: PathBuf,
    /// Kibana's config directory (or `<out>/kibana`).
    pub kibana_config: PathBuf,
    /// Set when neither is installed: files go to this output folder.
    pub out_dir: Option<PathBuf>,
    /// Elasticsearch's version, when detected (chooses a new keystore's format).
    pub es_version: Option<String>,
    /// How to restart Elasticsearch here.
    pub es_restart: Option<Command>,
    /// How to restart Kibana here.
    pub kibana_restart: Option<Command>,
    /// `elasticsearch.keystore`'s password (empty for none).
    pub es_keystore_password: Secret,
    /// `kibana.keystore`'s password (empty for none).
    pub kibana_keystore_password: Secret,
    /// Where esmtls keeps its own secrets and journal (the user's data directory).
    pub state_dir: PathBuf,
    /// What detection found, for humans (shown at the top of the plan).
    pub detected: String,
    /// Where esmtls keeps its CA's password (the answers' `secrets.ca_password`;
    /// the executor reads it from here).
    pub ca_password_store: SecretStoreChoice,
    /// Which sides are on this host: both (one machine), or one (a cluster host).
    pub sides: Sides,
    /// What a cluster bundle brings to this host (certificates issued
    /// elsewhere, Kibana's credential); None when esmtls issues here.
    pub given: Option<Given>,
}

/// Which products a plan configures on this host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sides {
    /// Elasticsearch and Kibana (one machine, or an output folder).
    Both,
    /// One Elasticsearch node of a cluster.
    Elasticsearch,
    /// One Kibana instance of a cluster.
    Kibana,
}

impl Sides {
    /// True when the Elasticsearch side is planned here.
    pub fn es(self) -> bool {
        self != Sides::Kibana
    }
    /// True when the Kibana side is planned here.
    pub fn kibana(self) -> bool {
        self != Sides::Elasticsearch
    }
}

/// What a cluster bundle brings to its host. The certificates were issued
/// (or signed from this host's CSR) by the CA holder; the credentials were
/// made once for the whole cluster.
#[derive(Debug, Clone, Default)]
pub struct Given {
    /// The CA certificate of what esmtls issued (Kibana's client
    /// certificate; the nodes' HTTP certificates when esmtls issued them), DER.
    pub ca_der: Vec<u8>,
    /// The CA of the nodes' HTTP certificates, for Kibana's trust (DER);
    /// None: the one detected on this host.
    pub server_ca_der: Option<Vec<u8>>,
    /// This node's HTTP certificate chain (leaf first, DER) and key (PKCS#8 DER).
    pub http: Option<(Vec<Vec<u8>>, Secret)>,
    /// Kibana's client certificate chain and key.
    pub client: Option<(Vec<Vec<u8>>, Secret)>,
    /// Kibana's credential for its keystore: the service token or the
    /// `kibana_system` password.
    pub credential: Option<Secret>,
    /// The `service_tokens` line of a file-based token (no secret in it).
    pub token_line: Option<String>,
    /// The certificate DN to map to `kibana_system` in `role_mapping.yml`.
    pub role_mapping_dn: Option<String>,
}

impl Setup {
    /// The default layout for tests and output folders: both config
    /// directories given, no restart commands, empty keystore passwords.
    pub fn dirs(es_config: &Path, kibana_config: &Path, state_dir: &Path) -> Setup {
        Setup {
            es_config: es_config.to_path_buf(),
            kibana_config: kibana_config.to_path_buf(),
            out_dir: None,
            es_version: None,
            es_restart: None,
            kibana_restart: None,
            es_keystore_password: Secret::new(String::new()),
            kibana_keystore_password: Secret::new(String::new()),
            state_dir: state_dir.to_path_buf(),
            detected: String::new(),
            ca_password_store: SecretStoreChoice::Auto,
            sides: Sides::Both,
            given: None,
        }
    }
}

/// An error talking to the cluster, already worded for the operator.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct ClusterError(pub String);

/// Kibana's identity, to verify "as Kibana would".
#[derive(Debug, Clone)]
pub struct KibanaIdentity {
    /// Client certificate chain (leaf first), DER; None when Kibana presents none.
    pub chain_der: Option<Vec<Vec<u8>>>,
    /// The client key, PKCS#8 DER.
    pub key_pkcs8: Option<Secret>,
    /// The CA Kibana trusts for the server, DER.
    pub server_ca_der: Vec<Vec<u8>>,
    /// Bearer token.
    pub token: Option<Secret>,
    /// Username and password.
    pub basic: Option<(String, Secret)>,
}

/// What `_authenticate` returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhoAmI {
    /// `username`.
    pub username: String,
    /// `roles`.
    pub roles: Vec<String>,
    /// `authentication_realm.type`.
    pub realm_type: String,
    /// `authentication_realm.name`.
    pub realm_name: String,
}

/// The cluster as the planner and the executor see it.
pub trait Cluster {
    /// The URL.
    fn url(&self) -> &str;
    /// True when the cluster answers with the admin credentials.
    fn reachable(&mut self) -> bool;
    /// Why it is not reachable, when known.
    fn why_not(&self) -> Option<String> {
        None
    }
    /// `GET /_license` → `license.type`.
    fn license(&mut self) -> Result<String, ClusterError>;
    /// `GET /_security/role_mapping/<name>` (None when absent).
    fn role_mapping(&mut self, name: &str) -> Result<Option<serde_json::Value>, ClusterError>;
    /// `GET /_security/_authenticate` with Kibana's identity.
    fn authenticate_as(&mut self, who: &KibanaIdentity) -> Result<WhoAmI, ClusterError>;
    /// True when a connection without a client certificate is refused.
    fn refuses_without_cert(&mut self, server_ca_der: &[Vec<u8>]) -> Result<bool, ClusterError>;
    /// `PUT /_security/role_mapping/<name>`.
    fn put_role_mapping(
        &mut self,
        name: &str,
        body: &serde_json::Value,
    ) -> Result<(), ClusterError>;
    /// `POST /_security/service/elastic/kibana/credential/token/<name>`.
    fn create_service_token(&mut self, name: &str) -> Result<Secret, ClusterError>;
    /// `DELETE /_security/service/elastic/kibana/credential/token/<name>`.
    fn delete_service_token(&mut self, name: &str) -> Result<(), ClusterError>;
    /// `POST /_security/user/<user>/_password`.
    fn change_password(&mut self, user: &str, password: &Secret) -> Result<(), ClusterError>;
    /// `GET /_security/service/elastic/kibana/credential`: the token names (index and file).
    fn service_tokens(&mut self) -> Result<crate::es::responses::ServiceTokens, ClusterError> {
        Err(ClusterError(
            "this cluster view cannot list service tokens".into(),
        ))
    }
    /// `DELETE /_security/service/elastic/kibana/credential/token/<name>`:
    /// true when the token existed (see [`Cluster::delete_service_token`]).
    fn revoke_service_token(&mut self, name: &str) -> Result<bool, ClusterError> {
        self.delete_service_token(name).map(|_| true)
    }
    /// `GET /_nodes/http`: each node's name and HTTP publish address.
    fn nodes_http(&mut self) -> Result<Vec<(String, String)>, ClusterError> {
        Err(ClusterError("this cluster view cannot list nodes".into()))
    }
    /// `GET /_nodes/settings`: each node's name and settings (nested JSON).
    fn nodes_settings(&mut self) -> Result<Vec<(String, serde_json::Value)>, ClusterError> {
        Err(ClusterError(
            "this cluster view cannot read node settings".into(),
        ))
    }
}

/// No cluster: every call says it is unreachable.
#[derive(Debug, Clone)]
pub struct Offline {
    /// The URL that was not reachable (for messages).
    pub url: String,
}

impl Cluster for Offline {
    fn url(&self) -> &str {
        &self.url
    }
    fn reachable(&mut self) -> bool {
        false
    }
    fn license(&mut self) -> Result<String, ClusterError> {
        Err(self.down())
    }
    fn role_mapping(&mut self, _: &str) -> Result<Option<serde_json::Value>, ClusterError> {
        Err(self.down())
    }
    fn authenticate_as(&mut self, _: &KibanaIdentity) -> Result<WhoAmI, ClusterError> {
        Err(self.down())
    }
    fn refuses_without_cert(&mut self, _: &[Vec<u8>]) -> Result<bool, ClusterError> {
        Err(self.down())
    }
    fn put_role_mapping(&mut self, _: &str, _: &serde_json::Value) -> Result<(), ClusterError> {
        Err(self.down())
    }
    fn create_service_token(&mut self, _: &str) -> Result<Secret, ClusterError> {
        Err(self.down())
    }
    fn delete_service_token(&mut self, _: &str) -> Result<(), ClusterError> {
        Err(self.down())
    }
    fn change_password(&mut self, _: &str, _: &Secret) -> Result<(), ClusterError> {
        Err(self.down())
    }
}

impl Offline {
    fn down(&self) -> ClusterError {
        ClusterError(format!("Elasticsearch at {} is not reachable", self.url))
    }
}
