//! Checks of `elasticsearch.yml` and `kibana.yml` (alone and together) for
//! the settings that make Elasticsearch or Kibana refuse to start or fail at
//! the first TLS handshake.
//!
//! Invariants: where Elastic has a message for a rule, the finding uses its
//! exact wording (elastic-facts §3.1, §4; `Setting [..] is a secure setting
//! ...` from Elasticsearch's `SecureSetting`); other messages say what to do.
//! The Kibana keystore is seen only through the entry names the caller gives
//! (the keystore module reads them), so a `username` hidden there still
//! conflicts with a `serviceAccountToken` in the yml. Validation reads files
//! referenced by settings only to test that they exist.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::diff::is_secret_key;
use super::value::SettingValue;
use super::{Setting, YamlFile};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Elasticsearch or Kibana would refuse to start, or the connection would fail.
    Error,
    /// Works, but unsafe or deprecated.
    Warning,
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// The file the setting is in (or the keystore, for keystore entries).
    pub path: PathBuf,
    /// 1-based line, when the setting is in a yml file.
    pub line: Option<usize>,
    /// The setting the finding is about.
    pub setting: String,
    /// What is wrong, in Elastic's words where it has some.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match self.line {
            Some(l) => write!(f, "{}:{l}: {sev}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {sev}: {}", self.path.display(), self.message),
        }
    }
}

/// What to validate; any part may be absent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Target<'a> {
    /// `elasticsearch.yml`.
    pub elasticsearch: Option<&'a YamlFile>,
    /// `ES_PATH_CONF`; defaults to the directory of `elasticsearch.yml`.
    pub es_config_dir: Option<&'a Path>,
    /// `kibana.yml`.
    pub kibana: Option<&'a YamlFile>,
    /// Names of the entries in the Kibana keystore.
    pub kibana_keystore: &'a [String],
}

struct Found<'a> {
    file: &'a YamlFile,
    map: BTreeMap<String, Setting>,
    out: &'a mut Vec<Finding>,
}

impl Found<'_> {
    fn get(&self, k: &str) -> Option<&Setting> {
        self.map.get(k)
    }
    fn text(&self, k: &str) -> Option<String> {
        self.get(k)
            .and_then(|s| s.value.as_text().map(String::from))
    }
    fn push(&mut self, severity: Severity, key: &str, message: String) {
        let line = self.get(key).map(|s| s.line);
        self.out.push(Finding {
            severity,
            path: self.file.path().to_path_buf(),
            line,
            setting: key.into(),
            message,
        });
    }
    fn one_of(&mut self, key: &str, allowed: &[&str]) {
        if let Some(v) = self.text(key).filter(|v| !allowed.contains(&v.as_str())) {
            self.push(
                Severity::Error,
                key,
                format!(
                    "[{key}] has the value [{v}]; it must be one of [{}]",
                    allowed.join(", ")
                ),
            );
        }
    }
}

fn found<'a>(file: &'a YamlFile, out: &'a mut Vec<Finding>) -> Found<'a> {
    let map = file
        .settings()
        .into_iter()
        .map(|s| (s.key.clone(), s))
        .collect();
    Found { file, map, out }
}

/// Runs every rule; findings are sorted errors first.
pub fn validate(t: &Target<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(es) = t.elasticsearch {
        let dir = t
            .es_config_dir
            .map(Path::to_path_buf)
            .unwrap_or_else(|| crate::fsutil::parent_dir(es.path()));
        elasticsearch(&mut found(es, &mut out), &dir);
    }
    if let Some(kb) = t.kibana {
        kibana(&mut found(kb, &mut out), t.kibana_keystore);
    }
    if let (Some(es), Some(kb)) = (t.elasticsearch, t.kibana) {
        let required = es
            .get("xpack.security.http.ssl.client_authentication")
            .and_then(|s| s.value.as_text().map(String::from));
        if required.as_deref() == Some("required") {
            let mut f = found(kb, &mut out);
            if f.get("elasticsearch.ssl.alwaysPresentCertificate")
                .map(|s| &s.value)
                != Some(&SettingValue::Bool(true))
            {
                f.push(Severity::Error, "elasticsearch.ssl.alwaysPresentCertificate",
                    "xpack.security.http.ssl.client_authentication is `required` in elasticsearch.yml, so Kibana must set elasticsearch.ssl.alwaysPresentCertificate: true, or its proxied requests fail with `sslv3 alert bad certificate`".into());
            }
            if f.get("elasticsearch.ssl.certificate").is_none()
                && f.get("elasticsearch.ssl.keystore.path").is_none()
            {
                f.push(Severity::Error, "elasticsearch.ssl.certificate",
                    "xpack.security.http.ssl.client_authentication is `required` in elasticsearch.yml but Kibana has no client certificate (elasticsearch.ssl.certificate/key or elasticsearch.ssl.keystore.path)".into());
            }
        }
    }
    out.sort_by_key(|f| f.severity);
    out
}

fn kibana(f: &mut Found<'_>, keystore: &[String]) {
    let in_ks = |k: &str| keystore.iter().any(|n| n == k);
    if let Some(u) = f.text("elasticsearch.username") {
        if u == "elastic" {
            f.push(Severity::Error, "elasticsearch.username", "[config validation of [elasticsearch].username]: value of \"elastic\" is forbidden. This is a superuser account that cannot write to system indices that Kibana needs to function. Use a service account token instead. Learn more: https://www.elastic.co/guide/en/elasticsearch/reference/8.0/service-accounts.html".into());
        } else if u == "kibana" {
            f.push(Severity::Warning, "elasticsearch.username", "Kibana is configured to authenticate to Elasticsearch with the \"kibana\" user. Use a service account token instead.".into());
        }
    }
    let token = f.get("elasticsearch.serviceAccountToken").is_some()
        || in_ks("elasticsearch.serviceAccountToken");
    let user = f.get("elasticsearch.username").is_some() || in_ks("elasticsearch.username");
    if token && user {
        let key = if f.get("elasticsearch.serviceAccountToken").is_some() {
            "elasticsearch.serviceAccountToken"
        } else {
            "elasticsearch.username"
        };
        let mut msg = "[config validation of [elasticsearch].serviceAccountToken]: serviceAccountToken cannot be specified when \"username\" is also set.".to_string();
        if in_ks("elasticsearch.username") || in_ks("elasticsearch.serviceAccountToken") {
            msg.push_str(" (one of them is in the Kibana keystore: see `kibana-keystore list`)");
        }
        f.push(Severity::Error, key, msg);
    }
    if f.get("elasticsearch.ssl.keystore.path").is_some() {
        for part in ["certificate", "key"] {
            if f.get(&format!("elasticsearch.ssl.{part}")).is_some() {
                f.push(Severity::Error, &format!("elasticsearch.ssl.{part}"), format!("[config validation of [elasticsearch].ssl]: cannot use [{part}] when [keystore.path] is specified"));
            }
        }
    }
    for (a, b) in [("key", "certificate"), ("certificate", "key")] {
        if f.get(&format!("elasticsearch.ssl.{a}")).is_some()
            && f.get(&format!("elasticsearch.ssl.{b}")).is_none()
        {
            f.push(Severity::Warning, &format!("elasticsearch.ssl.{a}"), format!("Using \"elasticsearch.ssl.{a}\" without \"elasticsearch.ssl.{b}\" has no effect. Use both \"elasticsearch.ssl.key\" and \"elasticsearch.ssl.certificate\" to enable Kibana to use Mutual TLS authentication with Elasticsearch."));
        }
    }
    f.one_of(
        "elasticsearch.ssl.verificationMode",
        &["none", "certificate", "full"],
    );
    let secrets: Vec<String> = f
        .map
        .keys()
        .filter(|k| k.starts_with("elasticsearch.") && is_secret_key(k))
        .cloned()
        .collect();
    for k in secrets {
        f.push(Severity::Warning, &k, format!("{k} is written in plain text in kibana.yml; store it in the Kibana keystore (`kibana-keystore add {k}`) and remove it from the file"));
    }
    for k in [
        "elasticsearch.ssl.certificate",
        "elasticsearch.ssl.key",
        "elasticsearch.ssl.keystore.path",
        "elasticsearch.ssl.truststore.path",
        "elasticsearch.ssl.certificateAuthorities",
    ] {
        let paths = f.get(k).map(|s| s.value.as_list()).unwrap_or_default();
        for p in paths {
            if Path::new(&p).is_absolute() && !Path::new(&p).exists() {
                f.push(
                    Severity::Error,
                    k,
                    format!("{k} points to {p}, which does not exist"),
                );
            }
        }
    }
}

const ES_SSL: [&str; 2] = ["xpack.security.http.ssl", "xpack.security.transport.ssl"];

fn elasticsearch(f: &mut Found<'_>, config_dir: &Path) {
    let realms: Vec<(String, String)> = f
        .map
        .keys()
        .filter_map(|k| {
            let rest = k.strip_prefix("xpack.security.authc.realms.")?;
            let mut parts = rest.splitn(3, '.');
            Some((parts.next()?.to_string(), parts.next()?.to_string()))
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut contexts: Vec<String> = ES_SSL.iter().map(|s| s.to_string()).collect();
    contexts.extend(
        realms
            .iter()
            .filter(|(t, _)| t == "pki")
            .map(|(t, n)| format!("xpack.security.authc.realms.{t}.{n}")),
    );
    for c in &contexts {
        let has = |f: &Found<'_>, s: &str| f.get(&format!("{c}.{s}")).is_some();
        if has(f, "keystore.path") {
            for part in ["key", "certificate"] {
                if has(f, part) {
                    f.push(Severity::Error, &format!("{c}.{part}"), format!("{c}.{part} cannot be used together with {c}.keystore.path; use either the PEM files or the keystore"));
                }
            }
        }
        if has(f, "key") && !has(f, "certificate") {
            f.push(
                Severity::Error,
                &format!("{c}.key"),
                format!(
                    "{c}.key is set without {c}.certificate; set both (or use {c}.keystore.path)"
                ),
            );
        }
        if has(f, "certificate_authorities") && has(f, "truststore.path") {
            f.push(Severity::Error, &format!("{c}.certificate_authorities"), format!("{c}.certificate_authorities cannot be used together with {c}.truststore.path; use one of them"));
        }
        f.one_of(
            &format!("{c}.verification_mode"),
            &["full", "certificate", "none"],
        );
        f.one_of(
            &format!("{c}.client_authentication"),
            &["required", "optional", "none"],
        );
    }
    // Realm orders must be unique; internal realms exist once.
    let mut orders: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (t, n) in &realms {
        if let Some(o) = f.text(&format!("xpack.security.authc.realms.{t}.{n}.order")) {
            orders.entry(o).or_default().push(format!("{t}.{n}"));
        }
    }
    for (o, names) in orders.iter().filter(|(_, v)| v.len() > 1) {
        let key = format!("xpack.security.authc.realms.{}.order", names[1]);
        f.push(
            Severity::Error,
            &key,
            format!(
                "Found multiple realms configured with the same order: [{o}: [{}]]",
                names.join(", ")
            ),
        );
    }
    for internal in ["native", "file"] {
        let of_type: Vec<&(String, String)> =
            realms.iter().filter(|(t, _)| t == internal).collect();
        if of_type.len() > 1 {
            let key = format!(
                "xpack.security.authc.realms.{internal}.{}.order",
                of_type[1].1
            );
            f.push(Severity::Error, &key, format!("multiple [{internal}] realms are configured. [{internal}] is an internal realm and therefore there can only be one such realm configured"));
        }
        for (t, n) in realms
            .iter()
            .filter(|(t, n)| *n == format!("default_{internal}") && t != internal)
        {
            let key = format!("xpack.security.authc.realms.{t}.{n}.order");
            f.push(Severity::Error, &key, format!("Found realm configured with name clashing with the [default_{internal}] realm: [{t}.{n}]"));
        }
    }
    let keys: Vec<String> = f.map.keys().cloned().collect();
    for k in &keys {
        let last = k.rsplit('.').next().unwrap_or(k);
        if last.starts_with("secure_") {
            f.push(Severity::Error, k, format!("Setting [{k}] is a secure setting and must be stored inside the Elasticsearch keystore, but was found inside elasticsearch.yml"));
        } else if k.starts_with("xpack.security.") && matches!(last, "password" | "key_passphrase")
        {
            f.push(Severity::Warning, k, format!("{k} is a deprecated plain-text setting; store the value in the Elasticsearch keystore as its secure_ variant and remove it from elasticsearch.yml"));
        }
        let is_file = k.starts_with("xpack.security.")
            && (k.ends_with(".keystore.path")
                || k.ends_with(".truststore.path")
                || [".certificate", ".key", ".certificate_authorities"]
                    .iter()
                    .any(|s| k.ends_with(s)));
        if is_file {
            let paths = f.get(k).map(|s| s.value.as_list()).unwrap_or_default();
            for p in paths {
                check_es_file(f, k, &p, config_dir);
            }
        }
    }
}

fn check_es_file(f: &mut Found<'_>, key: &str, p: &str, config_dir: &Path) {
    let full = config_dir.join(p);
    if !full.exists() {
        f.push(
            Severity::Error,
            key,
            format!("{key} points to {}, which does not exist", full.display()),
        );
        return;
    }
    let (Ok(real), Ok(dir)) = (full.canonicalize(), config_dir.canonicalize()) else {
        return;
    };
    if !real.starts_with(&dir) {
        f.push(Severity::Error, key, format!("access denied (\"java.io.FilePermission\" \"{}\" \"read\"): {key} points outside the Elasticsearch config directory {}; copy the file under it (e.g. certs/)", real.display(), dir.display()));
    }
}
