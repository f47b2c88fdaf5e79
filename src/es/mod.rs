//! The Elasticsearch HTTPS client: version and license checks, `_authenticate`,
//! service tokens, the `kibana_system` password, role mappings and the
//! certificate inventory — the API calls of the five setups.
//!
//! Shape: every call is first an [`ApiRequest`] value (built in [`requests`]),
//! which a plan can display without secrets; [`Client::send`] executes exactly
//! that value, and the typed methods ([`Client::info`], ...) are `send` plus a
//! typed reading of the documented response ([`responses`]).
//!
//! Transport: ureq 3 on rustls 0.23 with the aws-lc-rs provider. Trust is only
//! ever the CA certificates given and/or one certificate pinned by SHA-256
//! fingerprint — never the system roots, never "no verification". Client
//! certificates are presented when an [`Endpoint`] has a [`ClientIdentity`].
//! Proxies: loopback hosts (localhost, 127.0.0.0/8, ::1) are always reached
//! directly; for other hosts the usual `ALL_PROXY` / `HTTPS_PROXY` /
//! `HTTP_PROXY` / `NO_PROXY` variables apply (ureq reads them). The
//! chain-reading handshake used for pinning and for error messages always
//! connects directly.
//!
//! Errors ([`EsError`]) say what to do: the cluster is down (and requests can be
//! written to a file instead), which CA to give, which host names the server
//! certificate covers, which credentials were refused, which privilege or
//! license is missing. No message or `Debug` output contains a secret.

mod auth;
mod client;
mod cluster;
mod diagnose;
mod error;
pub mod requests;
pub mod responses;
pub mod role_mapping_file;
pub mod service_tokens;
mod tls;
mod transport;

use std::path::Path;
use std::time::Duration;

use zeroize::Zeroizing;

pub use auth::{Auth, ENV_API_KEY, ENV_PASSWORD, ENV_USERNAME};
pub use client::{ApiResponse, Client, HandshakeOutcome, handshake_without_client_cert};
pub use cluster::EsCluster;
pub use error::EsError;
pub use requests::{ApiRequest, Method, SecretSlot};
pub use tls::normalize_fingerprint;

/// Connect and read timeout when none is given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where Elasticsearch is and how to trust it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `https://host:port`, no path.
    pub url: String,
    /// CA certificates (DER) that may sign the node's HTTP certificate.
    pub ca_certs_der: Vec<Vec<u8>>,
    /// Where `ca_certs_der` came from, for messages only (file names).
    pub ca_sources: Vec<String>,
    /// SHA-256 of a CA certificate the server presents (hex; colons and case tolerated).
    pub ca_fingerprint: Option<String>,
    /// The client certificate to present, if any.
    pub client: Option<ClientIdentity>,
    /// Connect and read timeout (default 10 s).
    pub timeout: Duration,
}

impl Endpoint {
    /// An endpoint with no trust configured yet and the default timeout.
    pub fn new(url: impl Into<String>) -> Self {
        Endpoint {
            url: url.into(),
            ca_certs_der: Vec::new(),
            ca_sources: Vec::new(),
            ca_fingerprint: None,
            client: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Adds every certificate of a PEM file as a trusted CA.
    pub fn add_ca_pem_file(&mut self, path: &Path) -> Result<(), EsError> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path)
            .map_err(|e| EsError::Invalid(format!("cannot read the CA file {name}: {e}")))?;
        let blocks = crate::pki::pem::parse_all(&bytes, &name)
            .map_err(|e| EsError::Invalid(e.to_string()))?;
        let certs = crate::pki::pem::certificates(&blocks);
        if certs.is_empty() {
            return Err(EsError::Invalid(format!(
                "{name} holds no PEM certificate; give the CA certificate (e.g. config/certs/http_ca.crt)"
            )));
        }
        self.ca_certs_der.extend(certs);
        self.ca_sources.push(name);
        Ok(())
    }
}

/// A client certificate chain and its key.
#[derive(Clone)]
pub struct ClientIdentity {
    /// The certificate first, then intermediates (DER).
    pub chain_der: Vec<Vec<u8>>,
    /// The private key, PKCS#8 DER; zeroed on drop.
    pub key_pkcs8_der: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity")
            .field(
                "chain_der",
                &format!("{} certificate(s)", self.chain_der.len()),
            )
            .field("key_pkcs8_der", &"***")
            .finish()
    }
}
