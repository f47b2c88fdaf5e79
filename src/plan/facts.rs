//! What the planner reads before deciding: both yml files, both keystores,
//! Elasticsearch's HTTP TLS material (server chain, the auto-configured
//! `http_ca`), and esmtls's own CA from an earlier run.
//!
//! Invariants: nothing here writes; a file that exists but cannot be read is
//! an error naming it (never treated as absent); passwords read from
//! keystores stay [`Secret`]s.

use std::path::{Path, PathBuf};

use super::PlanError;
use super::setup::Setup;
use crate::keystore::{EsKeystore, KibanaKeystore, elasticsearch as esks, kibana as kbks};
use crate::pki::pkcs12::{self, Contents};
use crate::pki::{inspect, pem as pemx};
use crate::secret::Secret;
use crate::yaml::{SettingValue, YamlFile};

/// The setting holding the HTTP keystore's password.
pub const HTTP_KS_PASSWORD: &str = "xpack.security.http.ssl.keystore.secure_password";

/// Both sides as read.
pub struct Facts {
    /// elasticsearch.yml (parsed from "" when absent).
    pub es_yml: YamlFile,
    /// elasticsearch.keystore, when it exists.
    pub es_ks: Option<EsKeystore>,
    /// Its path.
    pub es_ks_path: PathBuf,
    /// kibana.yml (parsed from "" when absent).
    pub kb_yml: YamlFile,
    /// kibana.keystore, when it exists.
    pub kb_ks: Option<KibanaKeystore>,
    /// Its path.
    pub kb_ks_path: PathBuf,
    /// Elasticsearch's HTTP TLS.
    pub http: HttpTls,
    /// Restarts still owed and replaced credentials not yet revoked, from the
    /// state directory (read once: steps 5 and 9 and the plan's `replaced` use it).
    pub pending: super::restart_pending::Pending,
}

/// Elasticsearch's HTTP TLS as configured.
#[derive(Default)]
pub struct HttpTls {
    /// `xpack.security.http.ssl.enabled: true`.
    pub enabled: bool,
    /// The server certificate chain, leaf first, when esmtls could read it.
    pub server_chain: Vec<Vec<u8>>,
    /// The CA esmtls gives Kibana to trust the server (the chain's root, or `certs/http_ca.crt`).
    pub server_ca: Option<Vec<u8>>,
    /// The auto-configured CA with its key (from `http.p12`), when it is there and opens.
    pub http_ca: Option<(Vec<u8>, Vec<u8>)>,
    /// Certificates the HTTP layer trusts implicitly (every certificate in the keystore's chains).
    pub implicit_trust: Vec<Vec<u8>>,
    /// `truststore.path` is set (esmtls then cannot add a CA file).
    pub truststore: bool,
    /// Why the server certificate could not be read, when it could not.
    pub unreadable: Option<String>,
}

/// A yml file, or an empty one when it does not exist.
fn yml(path: &Path, here: bool) -> Result<YamlFile, PlanError> {
    if here && path.exists() {
        Ok(YamlFile::read(path)?)
    } else {
        Ok(YamlFile::parse(path, "")?)
    }
}

/// The text of a setting (string, number or boolean).
pub fn text(y: &YamlFile, key: &str) -> Option<String> {
    y.get(key).and_then(|s| s.value.as_text().map(String::from))
}

/// The items of a setting that may be a list or one value.
pub fn list(y: &YamlFile, key: &str) -> Vec<String> {
    y.get(key).map(|s| s.value.as_list()).unwrap_or_default()
}

/// One value of `key` (at `line` of `y`) as the product reads it: its
/// environment references resolved (see [`crate::yaml::env`]). A reference to
/// a variable that is not set is an error naming the file, the line, the
/// setting and the variable.
pub fn resolved(y: &YamlFile, key: &str, line: usize, item: &str) -> Result<String, PlanError> {
    use crate::yaml::env;
    env::resolve_env(item, env::Syntax::of(y.path())).map_err(|e| {
        let what = match e.variable() {
            Some(v) => format!(
                "set {v} in esmtls's environment as {} gets it, or write the value in the file",
                product(y)
            ),
            None => "close the reference, or write the value in the file".into(),
        };
        PlanError::Other(format!(
            "{} line {line}: `{key}`: {e}; {what}",
            y.path().display()
        ))
    })
}

fn product(y: &YamlFile) -> &'static str {
    match crate::yaml::env::Syntax::of(y.path()) {
        crate::yaml::env::Syntax::Kibana => "Kibana",
        crate::yaml::env::Syntax::Elasticsearch => "Elasticsearch",
    }
}

/// True when the setting is present with a non-null value.
pub fn has(y: &YamlFile, key: &str) -> bool {
    y.get(key).is_some_and(|s| s.value != SettingValue::Null)
}

/// Reads everything the planner needs.
pub fn read(setup: &Setup) -> Result<Facts, PlanError> {
    let (es_here, kb_here) = (setup.sides.es(), setup.sides.kibana());
    let es_yml = yml(&setup.es_config.join("elasticsearch.yml"), es_here)?;
    let kb_yml = yml(&setup.kibana_config.join("kibana.yml"), kb_here)?;
    let es_ks_path = esks::path_in(&setup.es_config);
    let es_ks = if es_here && es_ks_path.exists() {
        Some(EsKeystore::load(
            &es_ks_path,
            // None when no password was given: a protected keystore then says which is missing.
            (!setup.es_keystore_password.is_empty()).then_some(&setup.es_keystore_password),
        )?)
    } else {
        None
    };
    let kb_ks_path = kbks::path_in(&setup.kibana_config);
    let kb_ks = if kb_here && kb_ks_path.exists() {
        Some(KibanaKeystore::load(
            &kb_ks_path,
            Some(&setup.kibana_keystore_password),
        )?)
    } else {
        None
    };
    let http = http_tls(&setup.es_config, &es_yml, es_ks.as_ref());
    Ok(Facts {
        es_yml,
        es_ks,
        es_ks_path,
        kb_yml,
        kb_ks,
        kb_ks_path,
        http,
        pending: super::restart_pending::read(setup),
    })
}

const SSL: &str = "xpack.security.http.ssl";

fn http_tls(dir: &Path, y: &YamlFile, ks: Option<&EsKeystore>) -> HttpTls {
    let mut h = HttpTls {
        enabled: text(y, &format!("{SSL}.enabled")).as_deref() == Some("true"),
        truststore: has(y, &format!("{SSL}.truststore.path")),
        ..HttpTls::default()
    };
    let http_ca_crt = std::fs::read(dir.join("certs/http_ca.crt"))
        .ok()
        .and_then(|b| first_cert(&b));
    if let Some(p) = text(y, &format!("{SSL}.keystore.path")) {
        let path = dir.join(&p);
        let password = ks
            .and_then(|k| k.get_string(HTTP_KS_PASSWORD))
            .unwrap_or_else(|| Secret::new(String::new()));
        match std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| {
                pkcs12::read(&b, password.expose(), &path.display().to_string())
                    .map_err(|e| e.to_string())
            }) {
            Ok(c) => from_p12(&mut h, &c),
            Err(e) => h.unreadable = Some(format!("{}: {e}", path.display())),
        }
    } else if let Some(p) = text(y, &format!("{SSL}.certificate")) {
        let path = dir.join(&p);
        match std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| pemx::parse_all(&b, &p).map_err(|e| e.to_string()))
        {
            Ok(blocks) => {
                h.server_chain = pemx::certificates(&blocks);
                h.implicit_trust = h.server_chain.clone();
            }
            Err(e) => h.unreadable = Some(format!("{}: {e}", path.display())),
        }
    }
    // The CA to give Kibana: the chain's top when it is a CA, else http_ca.crt.
    h.server_ca = h
        .server_chain
        .iter()
        .skip(1)
        .last()
        .cloned()
        .filter(|c| inspect::cert_info(c).is_ok_and(|i| i.is_ca))
        .or(http_ca_crt);
    if h.server_ca.is_none() {
        for ca in list(y, &format!("{SSL}.certificate_authorities")) {
            if let Some(c) = std::fs::read(dir.join(&ca))
                .ok()
                .and_then(|b| first_cert(&b))
            {
                h.server_ca = Some(c);
                break;
            }
        }
    }
    h
}

fn from_p12(h: &mut HttpTls, c: &Contents) {
    for k in &c.keys {
        let is_ca = k
            .chain
            .first()
            .and_then(|d| inspect::cert_info(d).ok())
            .is_some_and(|i| i.is_ca);
        if is_ca {
            if let Some(cert) = k.chain.first() {
                h.http_ca = Some((cert.clone(), k.key_pkcs8.clone()));
            }
        } else if h.server_chain.is_empty() {
            h.server_chain = k.chain.clone();
        }
        h.implicit_trust.extend(k.chain.iter().cloned());
    }
    // A server chain that stops at the leaf: complete it with the CA key entry or trusted certs.
    let pool: Vec<Vec<u8>> = c
        .certs
        .iter()
        .map(|x| x.der.clone())
        .chain(h.http_ca.iter().map(|(d, _)| d.clone()))
        .collect();
    pkcs12::extend_chain(&mut h.server_chain, pool.iter().map(Vec::as_slice));
}

/// The first certificate of a PEM or DER file.
pub fn first_cert(bytes: &[u8]) -> Option<Vec<u8>> {
    if pemx::is_pem(bytes) {
        pemx::parse_all(bytes, "")
            .ok()
            .and_then(|b| pemx::certificates(&b).into_iter().next())
    } else {
        inspect::cert_info(bytes).ok().map(|_| bytes.to_vec())
    }
}

impl Facts {
    /// A Kibana keystore value as text.
    pub fn kb_value(&self, name: &str) -> Option<Secret> {
        self.kb_ks
            .as_ref()
            .and_then(|k| k.get(name))
            .map(|v| Secret::new(v.expose().to_string()))
    }
}
