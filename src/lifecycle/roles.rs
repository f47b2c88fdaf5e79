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
    /// A CA held in Elasticsearch's HTTP certificate file (its chain, or
    /// the auto-configured `http_ca` entry of `http.p12`).
    EsHttpCa,
    /// A CA held in Elasticsearch's transport certificate file.
    EsTransportCa,
    /// The CA held in Kibana's client certificate file (its chain, or the
    /// PKCS#12's trusted entry): the CA of Kibana's client certificate.
    KibanaClientCa,
    /// A CA held in Kibana's server certificate file.
    KibanaServerCa,
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
            Role::EsHttpCa => "es-http-ca",
            Role::EsTransportCa => "es-transport-ca",
            Role::KibanaClientCa => "kibana-client-ca",
            Role::KibanaServerCa => "kibana-server-ca",
        }
    }

    /// The role of a CA certificate found in a file of this role: a CA in
    /// the file of a certificate is that certificate's CA, not the
    /// certificate (`status` once listed the CA inside Kibana's client file
    /// as `kibana-client`). Trust roles hold CAs already and stay as they are.
    pub fn of_ca(self) -> Role {
        match self {
            Role::EsHttp => Role::EsHttpCa,
            Role::EsTransport => Role::EsTransportCa,
            Role::KibanaClient => Role::KibanaClientCa,
            Role::KibanaServer => Role::KibanaServerCa,
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn a_ca_in_a_certificate_file_is_labelled_as_its_ca() {
        assert_eq!(Role::KibanaClient.of_ca().name(), "kibana-client-ca");
        assert_eq!(Role::EsHttp.of_ca().name(), "es-http-ca");
        assert_eq!(Role::KibanaEsTrust.of_ca(), Role::KibanaEsTrust);
    }
}
