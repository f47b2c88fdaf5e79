//! Typed answers: the fields esmtls reads from each documented response
//! (elastic/elasticsearch-specification; examples in `tests/fixtures/es-responses`).
//!
//! Invariants: only the fields esmtls uses are required, so a newer ES that
//! adds fields still parses; a missing required field is an
//! [`super::EsError::UnexpectedBody`] naming it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `GET /`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeInfo {
    /// The node's name.
    pub name: String,
    /// The cluster's name.
    pub cluster_name: String,
    /// `version.number`, e.g. `8.17.1`.
    pub version: String,
}

#[derive(Deserialize)]
pub(crate) struct RawInfo {
    name: String,
    cluster_name: String,
    version: RawVersion,
}

#[derive(Deserialize)]
struct RawVersion {
    number: String,
}

impl From<RawInfo> for NodeInfo {
    fn from(r: RawInfo) -> Self {
        NodeInfo {
            name: r.name,
            cluster_name: r.cluster_name,
            version: r.version.number,
        }
    }
}

/// `GET /_license` → `license.{type,status}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct License {
    /// missing, trial, basic, standard, gold, platinum, enterprise...
    #[serde(rename = "type")]
    pub license_type: String,
    /// active, valid, invalid, expired.
    pub status: String,
}

#[derive(Deserialize)]
pub(crate) struct RawLicense {
    pub(crate) license: License,
}

/// A realm reference in `_authenticate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Realm {
    /// The realm's name (`pki1`, `reserved`, `_service_account`).
    pub name: String,
    /// Its type (`pki`, `native`, `reserved`, `_service_account`).
    #[serde(rename = "type")]
    pub realm_type: String,
}

/// `GET /_security/_authenticate`: who the request authenticated as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Authenticated {
    /// The user (`kibana_system`, `elastic/kibana`, a PKI-mapped name).
    pub username: String,
    /// Its roles (empty for a service account).
    pub roles: Vec<String>,
    /// The realm that authenticated it.
    pub authentication_realm: Realm,
    /// `realm`, `token`, `api_key`, `anonymous`, `internal`.
    pub authentication_type: String,
    /// `metadata.pki_dn`: the DN a PKI role mapping must match.
    pub pki_dn: Option<String>,
    /// `token.name` for a service account token.
    pub token_name: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct RawAuthenticated {
    username: String,
    roles: Vec<String>,
    authentication_realm: Realm,
    authentication_type: String,
    #[serde(default)]
    metadata: BTreeMap<String, serde_json::Value>,
    token: Option<RawToken>,
}

#[derive(Deserialize)]
struct RawToken {
    name: Option<String>,
}

impl From<RawAuthenticated> for Authenticated {
    fn from(r: RawAuthenticated) -> Self {
        Authenticated {
            username: r.username,
            roles: r.roles,
            authentication_realm: r.authentication_realm,
            authentication_type: r.authentication_type,
            pki_dn: r
                .metadata
                .get("pki_dn")
                .and_then(|v| v.as_str())
                .map(str::to_string),
            token_name: r.token.and_then(|t| t.name),
        }
    }
}

/// `GET /_security/service/elastic/kibana/credential`: the token names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceTokens {
    /// Tokens stored in the security index (made with the API).
    pub index: Vec<String>,
    /// Tokens in the nodes' `service_tokens` files.
    pub file: Vec<String>,
}

impl ServiceTokens {
    /// True when a token of that name exists in either store.
    pub fn contains(&self, name: &str) -> bool {
        self.index.iter().chain(&self.file).any(|n| n == name)
    }
}

#[derive(Deserialize)]
pub(crate) struct RawCredentials {
    tokens: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    nodes_credentials: Option<RawNodesCredentials>,
}

#[derive(Deserialize)]
struct RawNodesCredentials {
    #[serde(default)]
    file_tokens: BTreeMap<String, serde_json::Value>,
}

impl From<RawCredentials> for ServiceTokens {
    fn from(r: RawCredentials) -> Self {
        ServiceTokens {
            index: r.tokens.into_keys().collect(),
            file: r
                .nodes_credentials
                .map(|n| n.file_tokens.into_keys().collect())
                .unwrap_or_default(),
        }
    }
}

/// One entry of `GET /_ssl/certificates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SslCertificate {
    /// The file, relative to the config directory.
    pub path: String,
    /// `PEM`, `PKCS12`, `jks`.
    pub format: String,
    /// The keystore alias (absent for PEM).
    pub alias: Option<String>,
    /// The subject DN.
    pub subject_dn: String,
    /// Serial number, hex.
    pub serial_number: String,
    /// True when the node holds the certificate's key.
    pub has_private_key: bool,
    /// Expiry, ISO 8601.
    pub expiry: String,
}

/// `POST …/credential/token/<name>`: `{"created":true,"token":{"name","value"}}`.
#[derive(Deserialize)]
pub(crate) struct RawCreatedToken {
    pub(crate) token: RawTokenValue,
}

#[derive(Deserialize)]
pub(crate) struct RawTokenValue {
    pub(crate) value: String,
}

/// `PUT /_security/role_mapping/<name>`: `{"role_mapping":{"created":bool}}`.
#[derive(Deserialize)]
pub(crate) struct RawPutMapping {
    pub(crate) role_mapping: RawCreated,
}

#[derive(Deserialize)]
pub(crate) struct RawCreated {
    pub(crate) created: bool,
}

/// `DELETE …/token/<name>`: `{"found":bool}`.
#[derive(Deserialize)]
pub(crate) struct RawFound {
    pub(crate) found: bool,
}
