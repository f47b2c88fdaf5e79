//! The plan's view of the cluster ([`crate::plan::Cluster`]) over [`Client`]:
//! the admin connection for reading and changing, and fresh connections with
//! Kibana's own identity to verify "as Kibana would".
//!
//! Invariants: an unreachable cluster (or one that refuses the admin
//! credentials) is reported as not reachable, so the planner defers requests
//! to a file instead of failing; a cluster that answered once stays
//! reachable for the run (its errors are then real errors).

use std::path::Path;

use zeroize::Zeroizing;

use super::{Auth, Client, ClientIdentity, Endpoint, EsError, handshake_without_client_cert};
use crate::plan::setup::{Cluster, ClusterError, KibanaIdentity, WhoAmI};
use crate::secret::Secret;

/// The cluster at an endpoint, with admin credentials.
pub struct EsCluster {
    endpoint: Endpoint,
    auth: Option<Auth>,
    client: Option<Client>,
    answered: bool,
    /// Where `auth` came from, named in a 401 (never the value).
    auth_source: String,
    /// Why it is not reachable, for the plan's warnings.
    pub why_not: Option<String>,
}

fn ce(e: EsError) -> ClusterError {
    ClusterError(e.to_string())
}

impl EsCluster {
    /// `url`, trusting the PEM CA files that exist among `ca_files` (and the
    /// fingerprint, when given); `auth` from the environment.
    ///
    /// `client` is presented on the admin connection: with
    /// `client_authentication: required` no connection gets in without one,
    /// so esmtls uses Kibana's (the admin is still authenticated by `auth`).
    pub fn new(
        url: &str,
        ca_files: &[&Path],
        fingerprint: Option<String>,
        auth: Option<Auth>,
        client: Option<ClientIdentity>,
    ) -> EsCluster {
        let mut endpoint = Endpoint::new(url);
        endpoint.client = client;
        for f in ca_files.iter().filter(|f| f.exists()) {
            let _ = endpoint.add_ca_pem_file(f);
        }
        endpoint.ca_fingerprint = fingerprint;
        EsCluster {
            endpoint,
            auth,
            client: None,
            answered: false,
            auth_source: Auth::env_names(),
            why_not: None,
        }
    }

    /// Names where the admin credentials came from, for a 401 (the default
    /// names the environment variables).
    pub fn auth_source(mut self, source: impl Into<String>) -> Self {
        self.auth_source = source.into();
        self
    }

    fn client(&mut self) -> Result<&Client, ClusterError> {
        if self.client.is_none() {
            let auth = self.auth.clone().ok_or_else(|| {
                ClusterError(format!(
                    "no Elasticsearch admin credentials: set {} and {}, or {}",
                    super::ENV_USERNAME,
                    super::ENV_PASSWORD,
                    super::ENV_API_KEY
                ))
            })?;
            self.client = Some(
                Client::new(&self.endpoint, auth)
                    .map_err(ce)?
                    .auth_source(self.auth_source.clone()),
            );
        }
        self.client
            .as_ref()
            .ok_or_else(|| ClusterError("internal: no client".into()))
    }

    fn kibana_endpoint(&self, who: &KibanaIdentity) -> Result<Endpoint, ClusterError> {
        let mut e = Endpoint::new(self.endpoint.url.clone());
        e.ca_certs_der = who.server_ca_der.clone();
        e.ca_sources = vec!["the CA esmtls gave Kibana (certs/elasticsearch-ca.crt)".into()];
        e.timeout = self.endpoint.timeout;
        if let (Some(chain), Some(key)) = (&who.chain_der, &who.key_pkcs8) {
            let der = hex::decode(key.expose())
                .map_err(|_| ClusterError("internal: Kibana's key is not hex".into()))?;
            e.client = Some(ClientIdentity {
                chain_der: chain.clone(),
                key_pkcs8_der: Zeroizing::new(der),
            });
        }
        Ok(e)
    }
}

impl Cluster for EsCluster {
    fn url(&self) -> &str {
        &self.endpoint.url
    }

    fn reachable(&mut self) -> bool {
        if self.answered {
            return true;
        }
        let r = self.client().and_then(|c| c.info().map_err(ce));
        match r {
            Ok(_) => {
                self.answered = true;
                self.why_not = None;
            }
            Err(e) => {
                self.client = None;
                self.why_not = Some(e.0);
            }
        }
        self.answered
    }

    fn why_not(&self) -> Option<String> {
        self.why_not.clone()
    }

    fn license(&mut self) -> Result<String, ClusterError> {
        Ok(self.client()?.license().map_err(ce)?.license_type)
    }

    fn role_mapping(&mut self, name: &str) -> Result<Option<serde_json::Value>, ClusterError> {
        self.client()?.get_role_mapping(name).map_err(ce)
    }

    fn authenticate_as(&mut self, who: &KibanaIdentity) -> Result<WhoAmI, ClusterError> {
        let e = self.kibana_endpoint(who)?;
        let auth = match (&who.token, &who.basic) {
            (Some(t), _) => Auth::Bearer(t.clone()),
            (None, Some((u, p))) => Auth::Basic {
                username: u.clone(),
                password: p.clone(),
            },
            (None, None) => Auth::None,
        };
        let c = Client::new(&e, auth).map_err(ce)?;
        let a = c.authenticate().map_err(ce)?;
        Ok(WhoAmI {
            username: a.username,
            roles: a.roles,
            realm_type: a.authentication_realm.realm_type,
            realm_name: a.authentication_realm.name,
        })
    }

    fn refuses_without_cert(&mut self, server_ca_der: &[Vec<u8>]) -> Result<bool, ClusterError> {
        let mut e = Endpoint::new(self.endpoint.url.clone());
        e.ca_certs_der = server_ca_der.to_vec();
        e.timeout = self.endpoint.timeout;
        Ok(handshake_without_client_cert(&e).map_err(ce)?.refused())
    }

    fn put_role_mapping(
        &mut self,
        name: &str,
        body: &serde_json::Value,
    ) -> Result<(), ClusterError> {
        self.client()?
            .put_role_mapping(name, body)
            .map(|_| ())
            .map_err(ce)
    }

    fn create_service_token(&mut self, name: &str) -> Result<Secret, ClusterError> {
        self.client()?.create_service_token(name).map_err(ce)
    }

    fn delete_service_token(&mut self, name: &str) -> Result<(), ClusterError> {
        self.client()?
            .delete_service_token(name)
            .map(|_| ())
            .map_err(ce)
    }

    fn service_tokens(&mut self) -> Result<crate::es::responses::ServiceTokens, ClusterError> {
        self.client()?.service_token_names().map_err(ce)
    }

    fn revoke_service_token(&mut self, name: &str) -> Result<bool, ClusterError> {
        self.client()?.delete_service_token(name).map_err(ce)
    }

    fn change_password(&mut self, user: &str, password: &Secret) -> Result<(), ClusterError> {
        self.client()?.change_password(user, password).map_err(ce)
    }

    fn nodes_http(&mut self) -> Result<Vec<(String, String)>, ClusterError> {
        let r = self
            .client()?
            .send(&super::requests::nodes_http(), None)
            .map_err(ce)?;
        Ok(nodes(&r.body)
            .map(|(_, n)| {
                let name = n["name"].as_str().unwrap_or_default().to_string();
                let addr = n["http"]["publish_address"].as_str().unwrap_or_default();
                // `host/ip:port` when the node has a host name: keep the host name.
                let addr = match addr.split_once('/') {
                    Some((host, ipport)) if !host.is_empty() => {
                        let port = ipport.rsplit_once(':').map(|(_, p)| p).unwrap_or("9200");
                        format!("{host}:{port}")
                    }
                    Some((_, ipport)) => ipport.to_string(),
                    None => addr.to_string(),
                };
                (name, addr)
            })
            .collect())
    }

    fn nodes_settings(&mut self) -> Result<Vec<(String, serde_json::Value)>, ClusterError> {
        let r = self
            .client()?
            .send(&super::requests::nodes_settings(), None)
            .map_err(ce)?;
        Ok(nodes(&r.body)
            .map(|(_, n)| {
                let name = n["name"].as_str().unwrap_or_default().to_string();
                (name, n["settings"].clone())
            })
            .collect())
    }
}

/// The `nodes` object of a `_nodes` response, by node id.
fn nodes(body: &serde_json::Value) -> impl Iterator<Item = (&String, &serde_json::Value)> {
    body["nodes"].as_object().into_iter().flat_map(|m| m.iter())
}
