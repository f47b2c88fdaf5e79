//! The settings each step sets or removes in `elasticsearch.yml` and
//! `kibana.yml`, and the Kibana keystore entries that go with them.
//!
//! Invariants: an edit is only emitted when the file does not already say
//! it (so a second run emits none); a removal always carries its reason,
//! which the yaml module leaves as a comment in the file.

use std::path::{Path, PathBuf};

use super::PlanError;
use super::answers::{Answers, RealmOrder};
use super::facts::{self, Facts};
use super::kibana_client::{ClientFiles, KB_P12_PASSWORD};
use super::mode::Mode;
use super::types::KeystoreOp;
use crate::yaml::{Changes, Edit, Value, YamlFile};

/// Edits to one yml file, collected across steps.
pub struct Edits {
    path: PathBuf,
    edits: Vec<Edit>,
}

impl Edits {
    /// No edits yet.
    pub fn new(path: &Path) -> Edits {
        Edits {
            path: path.to_path_buf(),
            edits: Vec::new(),
        }
    }
    /// How many.
    pub fn len(&self) -> usize {
        self.edits.len()
    }
    /// Adds one.
    pub fn push(&mut self, e: Edit) {
        self.edits.push(e);
    }
    /// One line per edit.
    pub fn describe(&self) -> Vec<String> {
        self.describe_from(0)
    }
    /// One line per edit from index `i`.
    pub fn describe_from(&self, i: usize) -> Vec<String> {
        let file = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.edits[i.min(self.edits.len())..]
            .iter()
            .map(|e| match e {
                Edit::Set { key, value } => format!("{file}: set {key}: {}", show(key, value)),
                Edit::Remove { key, reason } => format!("{file}: remove {key} ({reason})"),
                Edit::ListAdd { key, item } => format!("{file}: add {item} to {key}"),
                Edit::ListRemove { key, item, .. } => format!("{file}: remove {item} from {key}"),
            })
            .collect()
    }
    /// Applies the edits to `file`.
    pub fn finish(&self, file: &YamlFile) -> Result<Changes, PlanError> {
        Ok(file.apply(&self.edits)?)
    }
}

fn show(key: &str, v: &Value) -> String {
    let secret = ["password", "passphrase", "token", "secure_"]
        .iter()
        .any(|s| key.to_ascii_lowercase().contains(&s.to_ascii_lowercase()));
    if secret {
        return "***".into();
    }
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Str(s) => s.clone(),
        Value::List(l) => format!("[{}]", l.join(", ")),
    }
}

/// Sets `key` unless it already has `value`.
fn set(e: &mut Edits, y: &YamlFile, key: &str, value: Value) {
    let same = y.get(key).is_some_and(|s| value.matches(&s.value));
    if !same {
        e.push(Edit::set(key, value));
    }
}

/// Removes `key` when present.
fn remove(e: &mut Edits, y: &YamlFile, key: &str, reason: &str) {
    if y.get(key).is_some() {
        e.push(Edit::remove(key, reason));
    }
}

const SSL: &str = "xpack.security.http.ssl";

/// Step 0: HTTPS on Elasticsearch with esmtls's certificate (PKCS#12 or PEM).
pub fn server_tls(e: &mut Edits, f: &Facts, p12: bool) {
    let y = &f.es_yml;
    set(e, y, &format!("{SSL}.enabled"), Value::Bool(true));
    if p12 {
        set(
            e,
            y,
            &format!("{SSL}.keystore.path"),
            Value::str("certs/esmtls-http.p12"),
        );
        for k in ["certificate", "key", "secure_key_passphrase"] {
            remove(
                e,
                y,
                &format!("{SSL}.{k}"),
                "replaced by keystore.path (Elasticsearch refuses both)",
            );
        }
    } else {
        set(
            e,
            y,
            &format!("{SSL}.certificate"),
            Value::str("certs/esmtls-http.crt"),
        );
        set(
            e,
            y,
            &format!("{SSL}.key"),
            Value::str("certs/esmtls-http.key"),
        );
        for k in ["keystore.path", "keystore.type", "secure_key_passphrase"] {
            remove(
                e,
                y,
                &format!("{SSL}.{k}"),
                "replaced by certificate/key (Elasticsearch refuses both)",
            );
        }
    }
    if facts::text(y, "xpack.security.enabled").as_deref() == Some("false") {
        e.push(Edit::set("xpack.security.enabled", Value::Bool(true)));
    }
}

/// Step 3: the PKI realm at `pki.order` (auto: first), a native realm after
/// every other one when none is configured, other realms kept. Returns notes
/// for the plan: the realm chain in the order Elasticsearch consults it.
pub fn realms(e: &mut Edits, a: &Answers, f: &Facts) -> Result<Vec<String>, PlanError> {
    let y = &f.es_yml;
    let mut realms: Vec<(String, String, i64)> = Vec::new();
    for s in y.settings() {
        let Some(rest) = s.key.strip_prefix("xpack.security.authc.realms.") else {
            continue;
        };
        let parts: Vec<&str> = rest.splitn(3, '.').collect();
        if parts.len() == 3 && parts[2] == "order" {
            let order = s.value.as_text().and_then(|t| t.parse().ok()).unwrap_or(0);
            realms.push((parts[0].into(), parts[1].into(), order));
        }
    }
    let pki = format!("xpack.security.authc.realms.pki.{}", a.pki.realm);
    let is_ours = |t: &str, n: &str| t == "pki" && n == a.pki.realm;
    let ours = realms.iter().find(|(t, n, _)| is_ours(t, n)).map(|r| r.2);
    let others: Vec<&(String, String, i64)> =
        realms.iter().filter(|(t, n, _)| !is_ours(t, n)).collect();
    let lowest = others.iter().map(|r| r.2).min();
    let order = match (a.pki.order, ours, lowest) {
        (RealmOrder::Fixed(n), _, _) => {
            let n = i64::from(n);
            if let Some((t, name, _)) = others.iter().find(|r| r.2 == n) {
                return Err(PlanError::Answer {
                    key: "pki.order".into(),
                    message: format!(
                        "order {n} is already the order of realm `{t}.{name}` in {}; Elasticsearch refuses two realms with one order (\"Found multiple realms configured with the same order\"). Choose another number, or `auto` ({})",
                        y.path().display(),
                        lowest.map_or(1, |m| m - 1)
                    ),
                });
            }
            n
        }
        (RealmOrder::Auto, Some(o), min) if min.is_none_or(|m| o < m) => o,
        (RealmOrder::Auto, _, Some(m)) => m - 1,
        (RealmOrder::Auto, _, None) => 1,
    };
    set(e, y, &format!("{pki}.order"), Value::Int(order));
    set(
        e,
        y,
        &format!("{pki}.certificate_authorities"),
        Value::List(vec!["certs/kibana-ca.crt".into()]),
    );
    let mut chain: Vec<(String, i64)> = others
        .iter()
        .map(|(t, n, o)| (format!("{t}.{n}"), *o))
        .collect();
    chain.push((format!("pki.{}", a.pki.realm), order));
    let has_native = realms.iter().any(|(t, _, _)| t == "native");
    if !has_native {
        let max = chain.iter().map(|r| r.1).max().unwrap_or(order);
        set(
            e,
            y,
            &format!(
                "xpack.security.authc.realms.native.{}.order",
                a.pki.native_realm
            ),
            Value::Int(max + 1),
        );
        chain.push((format!("native.{}", a.pki.native_realm), max + 1));
    }
    chain.sort_by_key(|r| r.1);
    let mut notes = vec![format!(
        "Realm chain, in the order Elasticsearch consults it (ascending `order`): {}.",
        chain
            .iter()
            .map(|(n, o)| format!("{n} ({o})"))
            .collect::<Vec<_>>()
            .join(", ")
    )];
    let before: Vec<&str> = chain
        .iter()
        .take_while(|r| r.1 < order)
        .map(|r| r.0.as_str())
        .collect();
    if !before.is_empty() {
        notes.push(format!(
            "pki.order {order} puts the PKI realm after {}: a request that carries both a client certificate and a password or token is authenticated by the first of them, not by the certificate. Kibana itself presents only its certificate, so it still authenticates through the PKI realm.",
            before.join(", ")
        ));
    }
    Ok(notes)
}

/// Step 4: ask for client certificates and trust Kibana's CA on the HTTP layer.
pub fn client_auth(
    e: &mut Edits,
    client_authentication: Option<&str>,
    f: &Facts,
    ca_trusted: bool,
    es_dir: &Path,
) -> Result<(), PlanError> {
    let y = &f.es_yml;
    if let Some(v) = client_authentication {
        set(e, y, &format!("{SSL}.client_authentication"), Value::str(v));
    }
    if ca_trusted {
        return Ok(());
    }
    if f.http.truststore {
        return Err(PlanError::Answer {
            key: "ca.source".into(),
            message: format!(
                "Elasticsearch's HTTP layer uses {SSL}.truststore.path, so esmtls cannot add Kibana's CA as a file; add certs/kibana-ca.crt to that truststore (keytool -importcert), or sign Kibana's certificate with a CA it already trusts (`ca.source: file`)"
            ),
        });
    }
    let key = format!("{SSL}.certificate_authorities");
    let current = facts::list(y, &key);
    if current.is_empty() && es_dir.join("certs/http_ca.crt").exists() {
        // Listing CAs replaces the implicit trust in the keystore's own chain: keep http_ca.
        e.push(Edit::list_add(&key, "certs/http_ca.crt"));
    }
    if !current.iter().any(|c| c == "certs/kibana-ca.crt") {
        e.push(Edit::list_add(&key, "certs/kibana-ca.crt"));
    }
    Ok(())
}

/// Step 7 (and the TLS half of step 2 for every mode): hosts, trust, client certificate.
pub fn kibana_tls(
    e: &mut Edits,
    mode: Mode,
    f: &Facts,
    hosts: &[String],
    ca_path: &Path,
    client: Option<&ClientFiles>,
    ks: &mut Vec<KeystoreOp>,
) {
    let y = &f.kb_yml;
    set(e, y, "elasticsearch.hosts", Value::List(hosts.to_vec()));
    // Kibana 7+ refuses the 6.x setting (elastic/kibana PR #29496, "definition
    // for this key is missing"); its hosts are in elasticsearch.hosts now.
    if let Some(old) = y.get("elasticsearch.url") {
        let was = old.value.as_list().join(", ");
        e.push(Edit::remove(
            "elasticsearch.url",
            &format!("was `{was}`; Kibana 7+ refuses it (removed in 7.0); its host is in elasticsearch.hosts now"),
        ));
    }
    set(
        e,
        y,
        "elasticsearch.ssl.certificateAuthorities",
        Value::List(vec![ca_path.display().to_string()]),
    );
    remove(
        e,
        y,
        "elasticsearch.ssl.truststore.path",
        "the CA comes from certificateAuthorities",
    );
    if let Some(v) = facts::text(y, "elasticsearch.ssl.verificationMode")
        && v != "full"
    {
        e.push(Edit::remove(
            "elasticsearch.ssl.verificationMode",
            "the default `full` works: Elasticsearch's certificate names the hosts",
        ));
    }
    let Some(c) = client else {
        return;
    };
    if let Some(p12) = &c.p12 {
        set(
            e,
            y,
            "elasticsearch.ssl.keystore.path",
            Value::str(p12.display().to_string()),
        );
        for k in ["certificate", "key", "keyPassphrase"] {
            remove(
                e,
                y,
                &format!("elasticsearch.ssl.{k}"),
                "Kibana refuses it together with keystore.path",
            );
        }
        remove(
            e,
            y,
            "elasticsearch.ssl.keystore.password",
            "secret: moved to the Kibana keystore",
        );
        if f.kb_ks
            .as_ref()
            .is_some_and(|k| k.get("elasticsearch.ssl.keyPassphrase").is_some())
        {
            ks.push(KeystoreOp::Remove {
                name: "elasticsearch.ssl.keyPassphrase".into(),
                reason: "the key is in the PKCS#12 file".into(),
            });
        }
    } else if let Some((crt, key)) = &c.pem {
        set(
            e,
            y,
            "elasticsearch.ssl.certificate",
            Value::str(crt.display().to_string()),
        );
        set(
            e,
            y,
            "elasticsearch.ssl.key",
            Value::str(key.display().to_string()),
        );
        remove(
            e,
            y,
            "elasticsearch.ssl.keystore.path",
            "Kibana refuses it together with certificate/key",
        );
        remove(
            e,
            y,
            "elasticsearch.ssl.keystore.password",
            "not used with PEM files",
        );
        remove(
            e,
            y,
            "elasticsearch.ssl.keyPassphrase",
            "the key is not encrypted (mode 0600)",
        );
        for n in [KB_P12_PASSWORD, "elasticsearch.ssl.keyPassphrase"] {
            if f.kb_ks.as_ref().is_some_and(|k| k.get(n).is_some()) {
                ks.push(KeystoreOp::Remove {
                    name: n.into(),
                    reason: "not used with the PEM key".into(),
                });
            }
        }
    }
    match mode {
        Mode::Pki => {
            if facts::text(y, "elasticsearch.ssl.alwaysPresentCertificate").as_deref()
                == Some("true")
            {
                e.push(Edit::set(
                    "elasticsearch.ssl.alwaysPresentCertificate",
                    Value::Bool(false),
                ));
            }
        }
        _ => set(
            e,
            y,
            "elasticsearch.ssl.alwaysPresentCertificate",
            Value::Bool(true),
        ),
    }
}
