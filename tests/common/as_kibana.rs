//! Kibana's connection to Elasticsearch, read from a Kibana config directory
//! the way Kibana reads it: `elasticsearch.hosts`, `elasticsearch.ssl.*` and
//! the credential, from `kibana.yml` and `kibana.keystore` (a keystore entry
//! wins over the yml, as Kibana applies the keystore on top of its config).
//!
//! Independent of esmtls's planner: nothing here asks esmtls what it wrote;
//! only its parsers (YAML via serde, PEM, PKCS#12, the Kibana keystore) and
//! its HTTPS client are used, so a test sees what Kibana would see.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use esmtls::es::{
    Auth, Client, ClientIdentity, Endpoint, EsError, HandshakeOutcome,
    handshake_without_client_cert, responses::Authenticated,
};
use esmtls::keystore::KibanaKeystore;
use esmtls::pki::{pem, pkcs12};
use esmtls::secret::Secret;
use serde_yaml_ng::Value as Yaml;
use zeroize::Zeroizing;

/// What Kibana connects with.
pub struct AsKibana {
    /// `elasticsearch.hosts`.
    pub hosts: Vec<String>,
    /// The CA certificates of `elasticsearch.ssl.certificateAuthorities` (DER).
    pub ca_der: Vec<Vec<u8>>,
    /// The client certificate, when `elasticsearch.ssl` names one.
    pub client: Option<ClientIdentity>,
    /// The credential (`Auth::None` for a PKI-only Kibana).
    pub auth: Auth,
    /// `elasticsearch.ssl.verificationMode` (Kibana's default: `full`).
    pub verification_mode: String,
}

impl AsKibana {
    /// Reads `config/kibana.yml` and `config/kibana.keystore` (no password).
    pub fn read(config: &Path) -> AsKibana {
        Self::read_in(Path::new("/"), config)
    }

    /// [`AsKibana::read`] on another machine whose root this process sees at
    /// `root` (e.g. `/proc/PID/root`): `config` and every absolute path
    /// `kibana.yml` names are that machine's.
    pub fn read_in(root: &Path, config: &Path) -> AsKibana {
        let on_host = |p: &Path| match p.strip_prefix("/") {
            Ok(rel) => root.join(rel),
            Err(_) => p.to_path_buf(),
        };
        let config = &on_host(config);
        let yml = std::fs::read_to_string(config.join("kibana.yml")).unwrap();
        let doc: Yaml = serde_yaml_ng::from_str(&yml).unwrap();
        let mut flat = BTreeMap::new();
        if let Yaml::Mapping(m) = doc {
            flatten("", &m, &mut flat);
        }
        let ks_path = esmtls::keystore::kibana::path_in(config);
        let ks = ks_path
            .exists()
            .then(|| KibanaKeystore::load(&ks_path, None).unwrap());
        let secure = |key: &str| -> Option<String> {
            let from_ks = ks.as_ref().and_then(|k| k.get(key));
            from_ks
                .map(|v| v.expose().to_string())
                .or_else(|| flat.get(key).and_then(|v| v.first().cloned()))
        };
        let list = |key: &str| flat.get(key).cloned().unwrap_or_default();
        let path = |p: &str| -> PathBuf {
            let p = Path::new(p);
            if p.is_absolute() {
                on_host(p)
            } else {
                config.join(p)
            }
        };
        let mut ca_der = Vec::new();
        for f in list("elasticsearch.ssl.certificateAuthorities") {
            let bytes = std::fs::read(path(&f)).unwrap();
            ca_der.extend(pem::certificates(&pem::parse_all(&bytes, &f).unwrap()));
        }
        let client = if let Some(p12) = secure("elasticsearch.ssl.keystore.path") {
            let pw = secure("elasticsearch.ssl.keystore.password").unwrap_or_default();
            let c = pkcs12::read(&std::fs::read(path(&p12)).unwrap(), &pw, &p12).unwrap();
            let k = c
                .keys
                .into_iter()
                .next()
                .expect("a key entry in Kibana's PKCS#12");
            Some(ClientIdentity {
                chain_der: k.chain,
                key_pkcs8_der: Zeroizing::new(k.key_pkcs8),
            })
        } else if let Some(crt) = secure("elasticsearch.ssl.certificate") {
            let key = secure("elasticsearch.ssl.key").expect("elasticsearch.ssl.key");
            let chain = pem::certificates(
                &pem::parse_all(&std::fs::read(path(&crt)).unwrap(), &crt).unwrap(),
            );
            let pass = secure("elasticsearch.ssl.keyPassphrase");
            let blocks = pem::parse_all(&std::fs::read(path(&key)).unwrap(), &key).unwrap();
            let kp = pem::private_key(&blocks, &key, &mut || {
                Ok(Secret::new(
                    pass.clone().expect("elasticsearch.ssl.keyPassphrase"),
                ))
            })
            .unwrap()
            .expect("a private key");
            Some(ClientIdentity {
                chain_der: chain,
                key_pkcs8_der: Zeroizing::new(kp.serialize_der()),
            })
        } else {
            None
        };
        let auth = match (
            secure("elasticsearch.serviceAccountToken"),
            secure("elasticsearch.username"),
            secure("elasticsearch.password"),
        ) {
            (Some(t), _, _) => Auth::Bearer(Secret::new(t)),
            (None, Some(u), Some(p)) => Auth::Basic {
                username: u,
                password: Secret::new(p),
            },
            _ => Auth::None,
        };
        AsKibana {
            hosts: list("elasticsearch.hosts"),
            ca_der,
            client,
            auth,
            verification_mode: secure("elasticsearch.ssl.verificationMode")
                .unwrap_or_else(|| "full".into()),
        }
    }

    /// Kibana's endpoint for one of its hosts.
    pub fn endpoint(&self, url: &str) -> Endpoint {
        let mut e = Endpoint::new(url);
        e.ca_certs_der = self.ca_der.clone();
        e.ca_sources = vec!["kibana.yml elasticsearch.ssl.certificateAuthorities".into()];
        e.client = self.client.clone();
        e.timeout = std::time::Duration::from_secs(5);
        e
    }

    /// `GET /_security/_authenticate` on `url` as Kibana.
    pub fn authenticate(&self, url: &str) -> Result<Authenticated, EsError> {
        Client::new(&self.endpoint(url), self.auth.clone())?.authenticate()
    }

    /// Kibana's connection to `url` without its client certificate.
    pub fn without_client_cert(&self, url: &str) -> Result<HandshakeOutcome, EsError> {
        handshake_without_client_cert(&self.endpoint(url))
    }

    /// Kibana's request to `url` authenticates as `who`, and a handshake
    /// without Kibana's client certificate is refused exactly when `mtls`
    /// (`what` names the connection in a failure).
    #[track_caller]
    pub fn assert_connects_as(&self, url: &str, who: Who, mtls: bool, what: &str) {
        let a = self
            .authenticate(url)
            .unwrap_or_else(|e| panic!("{what}: Kibana's connection to {url} failed: {e}"));
        let realm = (
            a.authentication_realm.name.as_str(),
            a.authentication_realm.realm_type.as_str(),
        );
        match who {
            Who::ServiceAccount => {
                assert_eq!(a.username, "elastic/kibana", "{what}: {url}");
                assert_eq!(
                    realm,
                    ("_service_account", "_service_account"),
                    "{what}: {url}"
                );
            }
            Who::KibanaSystem => {
                assert_eq!(a.username, "kibana_system", "{what}: {url}");
                assert_eq!(realm, ("reserved", "reserved"), "{what}: {url}");
            }
            Who::Certificate(cn) => {
                assert!(
                    matches!(self.auth, Auth::None),
                    "{what}: pki: Kibana sends no credential"
                );
                assert_eq!(a.username, cn, "{what}: {url}");
                assert_eq!(realm.1, "pki", "{what}: {url}");
                assert!(
                    a.roles.iter().any(|r| r == "kibana_system"),
                    "{what}: {url}: {a:?}"
                );
            }
        }
        let without = self.without_client_cert(url).unwrap();
        assert_eq!(
            without.refused(),
            mtls,
            "{what}: {url} without a client certificate: {without:?}"
        );
    }
}

/// Whom Elasticsearch must see in Kibana's requests.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Who<'a> {
    /// `elastic/kibana`, realm `_service_account`.
    ServiceAccount,
    /// `kibana_system`, realm `reserved`.
    KibanaSystem,
    /// The client certificate's CN, realm `pki`, role `kibana_system`.
    Certificate(&'a str),
}

/// Nested maps and dotted keys become the same keys; scalars and lists become
/// lists of text.
fn flatten(prefix: &str, m: &serde_yaml_ng::Mapping, out: &mut BTreeMap<String, Vec<String>>) {
    for (k, v) in m {
        let k = match k {
            Yaml::String(s) => s.clone(),
            other => serde_yaml_ng::to_string(other).unwrap().trim().to_string(),
        };
        let key = if prefix.is_empty() {
            k
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Yaml::Mapping(inner) => flatten(&key, inner, out),
            Yaml::Sequence(items) => {
                out.insert(key, items.iter().map(scalar).collect());
            }
            Yaml::Null => {}
            other => {
                out.insert(key, vec![scalar(other)]);
            }
        }
    }
}

fn scalar(v: &Yaml) -> String {
    match v {
        Yaml::String(s) => s.clone(),
        other => serde_yaml_ng::to_string(other).unwrap().trim().to_string(),
    }
}
