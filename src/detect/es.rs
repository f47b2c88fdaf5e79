//! The Elasticsearch side: `elasticsearch.yml`'s HTTP TLS settings (in any
//! key form), the security auto-configuration, the realms, and the keystore.
//!
//! Paths in `xpack.security.http.ssl.*` are resolved against the config
//! directory, as Elasticsearch resolves them. Values of settings whose name
//! says password or passphrase are never copied out of the file.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::certs::{self, EsKeystoreFacts, ServerCert};
use super::locate::{FoundBy, InstallKind, Located, Product};
use super::realms::{Realm, realms};
use super::restart::RestartMethod;
use super::{DetectError, DetectOptions};
use crate::yaml::{SettingValue, YamlFile};

/// First line of the block Elasticsearch's security auto-configuration appends.
pub const AUTOCONFIG_BEGIN: &str =
    "#----------------------- BEGIN SECURITY AUTO CONFIGURATION -----------------------";
/// Last line of that block.
pub const AUTOCONFIG_END: &str =
    "#----------------------- END SECURITY AUTO CONFIGURATION -------------------------";

const HTTP_SSL: &str = "xpack.security.http.ssl.";

/// One setting as found in a file (secret values masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingRef {
    /// Dotted name.
    pub key: String,
    /// The value as text (lists joined with `, `); `***` for secrets.
    pub value: String,
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
}

/// HTTP-layer TLS as `elasticsearch.yml` configures it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HttpTls {
    /// `xpack.security.enabled` (None: not set).
    pub security_enabled: Option<bool>,
    /// `xpack.security.http.ssl.enabled` (None: not set, i.e. false).
    pub ssl_enabled: Option<bool>,
    /// `keystore.path`, resolved against the config directory.
    pub keystore_path: Option<PathBuf>,
    /// `certificate` (PEM), resolved.
    pub certificate: Option<PathBuf>,
    /// `key` (PEM), resolved.
    pub key: Option<PathBuf>,
    /// `certificate_authorities`, resolved.
    pub certificate_authorities: Vec<PathBuf>,
    /// `truststore.path`, resolved.
    pub truststore_path: Option<PathBuf>,
    /// `client_authentication` as written (`none` when not set, by default).
    pub client_authentication: Option<String>,
    /// `verification_mode` as written.
    pub verification_mode: Option<String>,
    /// The security auto-configuration block's BEGIN marker is in the file.
    pub autoconfig_block: bool,
    /// `certs/http_ca.crt`, when present.
    pub http_ca_crt: Option<PathBuf>,
    /// `certs/http.p12`, when present.
    pub http_p12: Option<PathBuf>,
    /// Whether `certs/http.p12` holds the CA key entry `http_ca`; None when it
    /// could not be opened (no keystore password, or no such file).
    pub http_p12_has_ca_key: Option<bool>,
    /// Every `xpack.security.http.ssl.*` setting with its line.
    pub settings: Vec<SettingRef>,
}

/// Everything detected about Elasticsearch.
#[derive(Debug, Clone, Serialize)]
pub struct EsSide {
    /// The config directory (`ES_PATH_CONF`).
    pub config_dir: PathBuf,
    /// `<config_dir>/elasticsearch.yml`.
    pub yml: PathBuf,
    /// How the config directory was found.
    pub found_by: FoundBy,
    /// The install kind.
    pub install: InstallKind,
    /// The home (`/usr/share/elasticsearch`, or an archive's root).
    pub home: Option<PathBuf>,
    /// The version, from `<home>/lib/elasticsearch-X.Y.Z.jar`.
    pub version: Option<String>,
    /// How to restart it.
    pub restart: RestartMethod,
    /// HTTP TLS state.
    pub http: HttpTls,
    /// The HTTP server certificate, when readable.
    pub server_cert: Option<ServerCert>,
    /// Configured realms, in file order.
    pub realms: Vec<Realm>,
    /// `elasticsearch.keystore`.
    pub keystore: EsKeystoreFacts,
    /// Things that could not be read, said plainly (never secrets).
    pub notes: Vec<String>,
}

impl EsSide {
    /// The pseudo side of an output folder: `<out>/elasticsearch/`.
    pub fn output_dir(out: &Path) -> EsSide {
        let config_dir = out.join(Product::Elasticsearch.name());
        EsSide {
            yml: config_dir.join(Product::Elasticsearch.yml()),
            keystore: EsKeystoreFacts::absent(&config_dir),
            config_dir,
            found_by: FoundBy::OutputDir,
            install: InstallKind::OutputDir,
            home: None,
            version: None,
            restart: RestartMethod::None,
            http: HttpTls::default(),
            server_cert: None,
            realms: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// True when HTTP TLS is on.
    pub fn https(&self) -> bool {
        self.http.ssl_enabled == Some(true)
    }
}

/// Reads a located Elasticsearch config.
pub(crate) fn read(found: Located, opts: &DetectOptions) -> Result<EsSide, DetectError> {
    let yml = found.config_dir.join(Product::Elasticsearch.yml());
    let file = YamlFile::read(&yml)?;
    let version = found
        .home
        .as_deref()
        .and_then(|h| crate::keystore::elasticsearch::detect_es_version(h).ok());
    let restart = RestartMethod::choose(
        Product::Elasticsearch,
        found.kind,
        found.home.as_deref(),
        opts,
    );
    let mut notes = Vec::new();
    let mut http = http_tls(&file, &found.config_dir);
    let (keystore, http_password) = certs::es_keystore(
        &found.config_dir,
        opts.es_keystore_password.as_ref(),
        &mut notes,
    );
    let server_cert = certs::inspect_http(&mut http, http_password.as_ref(), &mut notes);
    Ok(EsSide {
        config_dir: found.config_dir,
        yml,
        found_by: found.found_by,
        install: found.kind,
        home: found.home,
        version,
        restart,
        realms: realms(&file),
        http,
        server_cert,
        keystore,
        notes,
    })
}

fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("password") || k.contains("passphrase") || k.contains("token")
}

pub(crate) fn setting_ref(s: &crate::yaml::Setting) -> SettingRef {
    let value = if is_secret_key(&s.key) {
        "***".to_string()
    } else {
        match &s.value {
            SettingValue::List(_) => s.value.as_list().join(", "),
            SettingValue::Null => String::new(),
            SettingValue::Other(t) => t.clone(),
            v => v.as_text().unwrap_or_default().to_string(),
        }
    };
    SettingRef {
        key: s.key.clone(),
        value,
        file: s.path.clone(),
        line: s.line,
    }
}

pub(crate) fn as_bool(v: &SettingValue) -> Option<bool> {
    match v {
        SettingValue::Bool(b) => Some(*b),
        SettingValue::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn http_tls(file: &YamlFile, config_dir: &Path) -> HttpTls {
    let flat = file.flatten();
    let text = |k: &str| flat.get(k).and_then(|v| v.as_text().map(String::from));
    let path = |k: &str| text(&format!("{HTTP_SSL}{k}")).map(|p| config_dir.join(p));
    let certs_dir = config_dir.join("certs");
    HttpTls {
        security_enabled: flat.get("xpack.security.enabled").and_then(as_bool),
        ssl_enabled: flat
            .get("xpack.security.http.ssl.enabled")
            .and_then(as_bool),
        keystore_path: path("keystore.path"),
        certificate: path("certificate"),
        key: path("key"),
        certificate_authorities: flat
            .get(&format!("{HTTP_SSL}certificate_authorities"))
            .map(|v| v.as_list().iter().map(|p| config_dir.join(p)).collect())
            .unwrap_or_default(),
        truststore_path: path("truststore.path"),
        client_authentication: text(&format!("{HTTP_SSL}client_authentication")),
        verification_mode: text(&format!("{HTTP_SSL}verification_mode")),
        autoconfig_block: file
            .text()
            .lines()
            .any(|l| l.trim_end() == AUTOCONFIG_BEGIN),
        http_ca_crt: Some(certs_dir.join("http_ca.crt")).filter(|p| p.is_file()),
        http_p12: Some(certs_dir.join("http.p12")).filter(|p| p.is_file()),
        http_p12_has_ca_key: None,
        settings: file
            .settings()
            .iter()
            .filter(|s| s.key.starts_with(HTTP_SSL))
            .map(setting_ref)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_settings_in_nested_form_and_realms() {
        let text = "xpack.security.http.ssl:\n  enabled: true\n  keystore.path: certs/http.p12\n  client_authentication: required\nxpack:\n  security:\n    authc.realms.pki.pki1.order: 1\n    authc.realms.native.native1:\n      order: 2\n      enabled: false\n";
        let f = YamlFile::parse("/c/elasticsearch.yml", text).unwrap();
        let h = http_tls(&f, Path::new("/c"));
        assert_eq!(h.ssl_enabled, Some(true));
        assert_eq!(
            h.keystore_path.as_deref(),
            Some(Path::new("/c/certs/http.p12"))
        );
        assert_eq!(h.client_authentication.as_deref(), Some("required"));
        assert!(!h.autoconfig_block);
        assert_eq!(h.settings.len(), 3);
        let r = realms(&f);
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[0].realm_type.as_str(), r[0].order, r[0].enabled),
            ("pki", Some(1), true)
        );
        assert_eq!(
            (r[1].name.as_str(), r[1].order, r[1].enabled),
            ("native1", Some(2), false)
        );
    }

    #[test]
    fn secrets_are_masked() {
        let f = YamlFile::parse(
            "/c/e.yml",
            "xpack.security.http.ssl.keystore.password: hunter2\n",
        )
        .unwrap();
        let s = setting_ref(&f.settings()[0]);
        assert_eq!(s.value, "***");
    }
}
