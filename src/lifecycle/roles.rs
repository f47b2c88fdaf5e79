//! The two sides and the roles a certificate file plays in a setup: the
//! names `esmtls status` prints and `--json` carries (stable, kebab-case).

use serde::Serialize;

/// Which product uses a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Elasticsearch.
    Elasticsearch,
    /// Kibana.
    Kibana,
}

/// What a file is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Elasticsearch's HTTP server certificate (and its chain).
    EsHttp,
    /// CAs Elasticsearch's HTTP layer trusts for client certificates.
    EsHttpTrust,
    /// Elasticsearch's transport certificate.
    EsTransport,
    /// CAs the transport layer trusts.
    EsTransportTrust,
    /// CAs a PKI realm trusts.
    PkiRealmTrust,
    /// Kibana's client certificate towards Elasticsearch.
    KibanaClient,
    /// CAs Kibana trusts for Elasticsearch's server certificate.
    KibanaEsTrust,
    /// Kibana's own HTTPS server certificate.
    KibanaServer,
    /// CAs Kibana's server trusts for browsers' client certificates.
    KibanaServerTrust,
    /// Reported by `GET /_ssl/certificates` only.
    Cluster,
}

impl Role {
    /// The name in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Role::EsHttp => "es-http",
            Role::EsHttpTrust => "es-http-trust",
            Role::EsTransport => "es-transport",
            Role::EsTransportTrust => "es-transport-trust",
            Role::PkiRealmTrust => "pki-realm-trust",
            Role::KibanaClient => "kibana-client",
            Role::KibanaEsTrust => "kibana-es-trust",
            Role::KibanaServer => "kibana-server",
            Role::KibanaServerTrust => "kibana-server-trust",
            Role::Cluster => "cluster",
        }
    }
}
