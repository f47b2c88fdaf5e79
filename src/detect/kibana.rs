//! The Kibana side: its `elasticsearch.*` settings (with file and line), the
//! keystore beside `kibana.yml`, and the legacy `data/kibana.keystore` that
//! Kibana would read instead.
//!
//! Secret values (password, service token, keystore passwords) are reported
//! as present or absent, never copied.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::es::{SettingRef, setting_ref};
use super::locate::{FoundBy, InstallKind, Located, Product};
use super::restart::RestartMethod;
use super::{DetectError, DetectOptions};
use crate::keystore::{KibanaKeystore, kibana as kbks};
use crate::yaml::YamlFile;

/// A file named by a setting, and whether it is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileRef {
    /// The path as written (Kibana resolves relative paths against its working directory).
    pub path: PathBuf,
    /// The file exists (relative paths are checked against Kibana's home).
    pub exists: bool,
}

/// Kibana's connection to Elasticsearch as `kibana.yml` sets it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KibanaEsSettings {
    /// `elasticsearch.hosts` (empty: Kibana's default `http://localhost:9200`).
    pub hosts: Vec<String>,
    /// `elasticsearch.username`.
    pub username: Option<String>,
    /// `elasticsearch.password` is in kibana.yml.
    pub password_in_yml: bool,
    /// `elasticsearch.serviceAccountToken` is in kibana.yml.
    pub service_account_token_in_yml: bool,
    /// `elasticsearch.ssl.certificateAuthorities`.
    pub certificate_authorities: Vec<FileRef>,
    /// `elasticsearch.ssl.certificate`.
    pub certificate: Option<FileRef>,
    /// `elasticsearch.ssl.key`.
    pub key: Option<FileRef>,
    /// `elasticsearch.ssl.keystore.path`.
    pub keystore_path: Option<FileRef>,
    /// `elasticsearch.ssl.verificationMode`.
    pub verification_mode: Option<String>,
    /// `elasticsearch.ssl.alwaysPresentCertificate`.
    pub always_present_certificate: Option<bool>,
    /// Every `elasticsearch.*` setting with file and line (secrets masked).
    pub settings: Vec<SettingRef>,
}

/// What is known about `kibana.keystore` (names only, never values).
#[derive(Debug, Clone, Serialize)]
pub struct KibanaKeystoreFacts {
    /// `<config>/kibana.keystore`.
    pub path: PathBuf,
    /// The file exists.
    pub exists: bool,
    /// It does not open with the empty password.
    pub password_protected: Option<bool>,
    /// Setting names, when it could be opened.
    pub entries: Option<Vec<String>>,
    /// Why it could not be read, if so.
    pub problem: Option<String>,
    /// A `data/kibana.keystore` that Kibana reads *instead of* this one.
    pub legacy_data_keystore: Option<PathBuf>,
}

impl KibanaKeystoreFacts {
    /// True when the keystore was opened and has `name`.
    pub fn has(&self, name: &str) -> bool {
        self.entries
            .as_ref()
            .is_some_and(|e| e.iter().any(|n| n == name))
    }
}

/// Everything detected about Kibana.
#[derive(Debug, Clone, Serialize)]
pub struct KibanaSide {
    /// The config directory (`KBN_PATH_CONF`).
    pub config_dir: PathBuf,
    /// `<config_dir>/kibana.yml`.
    pub yml: PathBuf,
    /// How the config directory was found.
    pub found_by: FoundBy,
    /// The install kind.
    pub install: InstallKind,
    /// The home (`/usr/share/kibana`, or an archive's root).
    pub home: Option<PathBuf>,
    /// The version, from `<home>/package.json`.
    pub version: Option<String>,
    /// How to restart it.
    pub restart: RestartMethod,
    /// The `elasticsearch.*` settings.
    pub elasticsearch: KibanaEsSettings,
    /// `kibana.keystore`.
    pub keystore: KibanaKeystoreFacts,
    /// What the operator must know (e.g. the legacy keystore).
    pub warnings: Vec<String>,
}

impl KibanaSide {
    /// The pseudo side of an output folder: `<out>/kibana/`.
    pub fn output_dir(out: &Path) -> KibanaSide {
        let config_dir = out.join(Product::Kibana.name());
        KibanaSide {
            yml: config_dir.join(Product::Kibana.yml()),
            keystore: KibanaKeystoreFacts {
                path: kbks::path_in(&config_dir),
                exists: false,
                password_protected: None,
                entries: None,
                problem: None,
                legacy_data_keystore: None,
            },
            config_dir,
            found_by: FoundBy::OutputDir,
            install: InstallKind::OutputDir,
            home: None,
            version: None,
            restart: RestartMethod::None,
            elasticsearch: KibanaEsSettings::default(),
            warnings: Vec::new(),
        }
    }
}

/// Reads a located Kibana config.
pub(crate) fn read(found: Located, opts: &DetectOptions) -> Result<KibanaSide, DetectError> {
    let yml = found.config_dir.join(Product::Kibana.yml());
    let file = YamlFile::read(&yml)?;
    let home = found.home.clone();
    let version = home.as_deref().and_then(package_version);
    let restart = RestartMethod::choose(Product::Kibana, found.kind, home.as_deref(), opts);
    let elasticsearch = es_settings(&file, home.as_deref());
    let keystore = keystore(&found.config_dir, home.as_deref(), opts);
    let mut warnings = Vec::new();
    if let Some(legacy) = &keystore.legacy_data_keystore {
        warnings.push(format!(
            "{} exists: Kibana reads it instead of {}; move its settings into the config keystore and delete it",
            legacy.display(),
            keystore.path.display()
        ));
    }
    Ok(KibanaSide {
        config_dir: found.config_dir,
        yml,
        found_by: found.found_by,
        install: found.kind,
        home,
        version,
        restart,
        elasticsearch,
        keystore,
        warnings,
    })
}

/// `"version"` of `<home>/package.json`.
fn package_version(home: &Path) -> Option<String> {
    let text = std::fs::read_to_string(home.join("package.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("version")?.as_str().map(String::from)
}

fn file_ref(p: &str, home: Option<&Path>) -> FileRef {
    let path = PathBuf::from(p);
    let exists = match home {
        Some(h) => h.join(&path).is_file(),
        None => path.is_file(),
    };
    FileRef { path, exists }
}

fn es_settings(file: &YamlFile, home: Option<&Path>) -> KibanaEsSettings {
    let flat = file.flatten();
    let text = |k: &str| flat.get(k).and_then(|v| v.as_text().map(String::from));
    let list = |k: &str| flat.get(k).map(|v| v.as_list()).unwrap_or_default();
    KibanaEsSettings {
        // A Kibana 6.x file names its one host with `elasticsearch.url`.
        hosts: match list("elasticsearch.hosts") {
            h if h.is_empty() => list("elasticsearch.url"),
            h => h,
        },
        username: text("elasticsearch.username"),
        password_in_yml: flat.contains_key("elasticsearch.password"),
        service_account_token_in_yml: flat.contains_key("elasticsearch.serviceAccountToken"),
        certificate_authorities: list("elasticsearch.ssl.certificateAuthorities")
            .iter()
            .map(|p| file_ref(p, home))
            .collect(),
        certificate: text("elasticsearch.ssl.certificate").map(|p| file_ref(&p, home)),
        key: text("elasticsearch.ssl.key").map(|p| file_ref(&p, home)),
        keystore_path: text("elasticsearch.ssl.keystore.path").map(|p| file_ref(&p, home)),
        verification_mode: text("elasticsearch.ssl.verificationMode"),
        always_present_certificate: text("elasticsearch.ssl.alwaysPresentCertificate")
            .and_then(|v| v.parse().ok()),
        settings: file
            .settings()
            .iter()
            .filter(|s| s.key.starts_with("elasticsearch."))
            .map(setting_ref)
            .collect(),
    }
}

fn keystore(config_dir: &Path, home: Option<&Path>, opts: &DetectOptions) -> KibanaKeystoreFacts {
    let path = kbks::path_in(config_dir);
    let legacy = kbks::legacy_data_keystore(config_dir).or_else(|| {
        home.map(|h| h.join("data").join(kbks::FILE_NAME))
            .filter(|p| p.is_file())
    });
    let mut facts = KibanaKeystoreFacts {
        exists: path.is_file(),
        path,
        password_protected: None,
        entries: None,
        problem: None,
        legacy_data_keystore: legacy,
    };
    if let Ok(bytes) = std::fs::read(&facts.path) {
        facts.password_protected = Some(KibanaKeystore::is_protected(&bytes));
        match KibanaKeystore::decode(&bytes, opts.kibana_keystore_password.as_ref(), &facts.path) {
            Ok(ks) => facts.entries = Some(ks.names().map(String::from).collect()),
            Err(e) => facts.problem = Some(e.to_string()),
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_report_presence_not_values() {
        let text = "elasticsearch:\n  hosts: [\"https://es:9200\"]\n  username: kibana_system\n  password: s3cret\n  ssl.alwaysPresentCertificate: true\n";
        let f = YamlFile::parse("/k/kibana.yml", text).unwrap();
        let s = es_settings(&f, None);
        assert_eq!(s.hosts, vec!["https://es:9200"]);
        assert_eq!(s.username.as_deref(), Some("kibana_system"));
        assert!(s.password_in_yml && !s.service_account_token_in_yml);
        assert_eq!(s.always_present_certificate, Some(true));
        let pw = s
            .settings
            .iter()
            .find(|r| r.key == "elasticsearch.password")
            .unwrap();
        assert_eq!((pw.value.as_str(), pw.line), ("***", 4));
        assert!(!format!("{s:?}").contains("s3cret"));
    }
}
