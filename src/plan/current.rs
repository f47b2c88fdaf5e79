//! The mode already in place: which of the five scenarios the detected
//! `elasticsearch.yml`, `kibana.yml` and `kibana.keystore` describe, so a
//! re-run can show it ("currently: pki"), preselect it, and say what
//! switching to another mode undoes.
//!
//! Invariants: it reads only what detection already read (names of
//! keystore entries, never values) and never guesses: a setup that matches no
//! mode (nothing configured, or a contradiction) is `None`.
//!
//! The facts it reads:
//! - Kibana's credential: `elasticsearch.serviceAccountToken` or
//!   `elasticsearch.username`/`password`, in kibana.yml or kibana.keystore
//!   (elastic/kibana `packages/core/elasticsearch/core-elasticsearch-server-internal/src/elasticsearch_config.ts`:
//!   basic auth when username and password are set, else the bearer token);
//! - Kibana's client certificate: `elasticsearch.ssl.certificate` or
//!   `elasticsearch.ssl.keystore.path` (same file);
//! - Elasticsearch's `xpack.security.http.ssl.client_authentication`
//!   (`required` | `optional` | `none`, default `none`) and an enabled realm of
//!   type `pki` (elastic/elasticsearch `x-pack/plugin/security/src/main/java/org/elasticsearch/xpack/security/authc/Realms.java`).

use crate::detect::Detected;

use super::mode::Mode;

/// The mode in place, with the facts that show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    /// The mode these settings make.
    pub mode: Mode,
    /// The settings that show it, one short phrase each (no value of a secret).
    pub evidence: Vec<String>,
}

/// Kibana's credential as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cred {
    Token,
    Password,
    None,
}

/// The mode the detected settings describe, if they describe one.
pub fn current_mode(d: &Detected) -> Option<Current> {
    let kb = d.kibana.as_ref()?;
    let es = kb.elasticsearch.clone();
    let ks = &kb.keystore;
    let mut evidence = Vec::new();
    let token = es.service_account_token_in_yml || ks.has("elasticsearch.serviceAccountToken");
    let password = es.username.is_some() || es.password_in_yml || ks.has("elasticsearch.password");
    let cred = match (token, password) {
        // Kibana refuses both (`serviceAccountToken cannot be specified when
        // "username" is also set.`): no mode.
        (true, true) => return None,
        (true, false) => {
            evidence.push("Kibana uses a service account token".to_string());
            Cred::Token
        }
        (false, true) => {
            evidence.push("Kibana uses a username and password".to_string());
            Cred::Password
        }
        (false, false) => Cred::None,
    };
    let client_cert = es.certificate.is_some() || es.keystore_path.is_some();
    if client_cert {
        evidence.push("Kibana presents a client certificate".to_string());
    }
    let http = d.es.as_ref().map(|e| &e.http);
    let client_auth = http
        .and_then(|h| h.client_authentication.as_deref())
        .unwrap_or("none");
    if client_auth != "none" {
        evidence.push(format!("client_authentication: {client_auth}"));
    }
    let pki_realm = d.es.as_ref().and_then(|e| {
        e.realms
            .iter()
            .find(|r| r.realm_type == "pki" && r.enabled)
            .map(|r| r.name.clone())
    });
    if let Some(name) = &pki_realm {
        evidence.push(format!("PKI realm {name}"));
    }
    let asks_cert = client_auth == "required" || client_auth == "optional";
    let mode = match cred {
        Cred::None if client_cert && asks_cert && pki_realm.is_some() => Mode::Pki,
        Cred::None => return None,
        Cred::Token if client_cert && client_auth == "required" => Mode::MtlsToken,
        Cred::Password if client_cert && client_auth == "required" => Mode::MtlsPassword,
        Cred::Token => Mode::Token,
        Cred::Password => Mode::Password,
    };
    Some(Current { mode, evidence })
}

/// What the plan for `to` changes in a setup made for `from`, one sentence
/// each (empty for the same mode). The plan removes the other credential
/// from kibana.yml and kibana.keystore (step 8) but leaves settings no step
/// of `to` touches, and says so, so a switch is never silent.
pub fn switch_undoes(from: Mode, to: Mode) -> Vec<String> {
    use super::Credential;
    let mut v = Vec::new();
    if from == to {
        return v;
    }
    v.push(format!(
        "Switching from {from} to {to}: Kibana will authenticate with {} instead.",
        to.summary()
    ));
    match (from.credential(), to.credential()) {
        (a, b) if a == b => {}
        (Credential::ServiceToken, _) => v.push(
            "Kibana's service account token (elasticsearch.serviceAccountToken) is removed; revoke it with DELETE /_security/service/elastic/kibana/credential/token/<name> once unused.".into(),
        ),
        (Credential::Password, _) => v.push(
            "elasticsearch.username and elasticsearch.password are removed from kibana.yml and kibana.keystore.".into(),
        ),
        (Credential::Certificate, _) => v.push(
            "Kibana stops authenticating through the PKI realm; the realm and its role mapping stay (remove them when nothing else uses them).".into(),
        ),
    }
    if from.client_cert() && !to.client_cert() {
        v.push(format!(
            "client_authentication ({}) and Kibana's client certificate settings are left as they are: Elasticsearch keeps asking for client certificates.",
            from.client_authentication().unwrap_or("none")
        ));
    }
    if from.client_cert()
        && to.client_cert()
        && from.client_authentication() != to.client_authentication()
    {
        v.push(format!(
            "client_authentication changes from {} to {}.",
            from.client_authentication().unwrap_or("none"),
            to.client_authentication().unwrap_or("none")
        ));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::DetectOptions;

    /// Detects a tree with these two yml files.
    fn detected(es_yml: &str, kb_yml: &str) -> (tempfile::TempDir, Detected) {
        let t = tempfile::tempdir().unwrap();
        let (es, kb) = (t.path().join("es"), t.path().join("kb"));
        std::fs::create_dir_all(&es).unwrap();
        std::fs::create_dir_all(&kb).unwrap();
        std::fs::write(es.join("elasticsearch.yml"), es_yml).unwrap();
        std::fs::write(kb.join("kibana.yml"), kb_yml).unwrap();
        let mut o = DetectOptions::new(t.path(), t.path());
        o.es_config = Some(es);
        o.kibana_config = Some(kb);
        let d = Detected::detect(&o).unwrap();
        (t, d)
    }

    fn mode(es_yml: &str, kb_yml: &str) -> Option<Mode> {
        current_mode(&detected(es_yml, kb_yml).1).map(|c| c.mode)
    }

    const PKI_ES: &str = "xpack.security.http.ssl.client_authentication: optional\nxpack.security.authc.realms.pki.pki1.order: 1\n";
    const CERT_KB: &str =
        "elasticsearch.ssl.certificate: /c/kibana.crt\nelasticsearch.ssl.key: /c/kibana.key\n";

    #[test]
    fn each_mode_is_recognised() {
        assert_eq!(mode(PKI_ES, CERT_KB), Some(Mode::Pki));
        let token = "elasticsearch.serviceAccountToken: abc\n";
        assert_eq!(mode("", token), Some(Mode::Token));
        let pw = "elasticsearch.username: kibana_system\nelasticsearch.password: x\n";
        assert_eq!(mode("", pw), Some(Mode::Password));
        let req = "xpack.security.http.ssl.client_authentication: required\n";
        assert_eq!(
            mode(req, &format!("{token}{CERT_KB}")),
            Some(Mode::MtlsToken)
        );
        assert_eq!(
            mode(req, &format!("{pw}{CERT_KB}")),
            Some(Mode::MtlsPassword)
        );
    }

    #[test]
    fn nothing_or_a_contradiction_is_no_mode() {
        assert_eq!(mode("", ""), None);
        // A certificate without a PKI realm to read it: no mode.
        assert_eq!(
            mode(
                "xpack.security.http.ssl.client_authentication: optional\n",
                CERT_KB
            ),
            None
        );
        // A disabled PKI realm does not count.
        let off = format!("{PKI_ES}xpack.security.authc.realms.pki.pki1.enabled: false\n");
        assert_eq!(mode(&off, CERT_KB), None);
        // Kibana refuses a token with a username.
        let both = "elasticsearch.serviceAccountToken: a\nelasticsearch.username: kibana_system\n";
        assert_eq!(mode("", both), None);
    }

    #[test]
    fn the_evidence_names_the_settings() {
        let (_t, d) = detected(PKI_ES, CERT_KB);
        let c = current_mode(&d).unwrap();
        let text = c.evidence.join("; ");
        assert!(text.contains("PKI realm pki1"), "{text}");
        assert!(text.contains("client_authentication: optional"), "{text}");
    }

    #[test]
    fn switching_says_what_it_undoes() {
        assert!(switch_undoes(Mode::Pki, Mode::Pki).is_empty());
        let v = switch_undoes(Mode::Pki, Mode::Token).join(" ");
        assert!(v.starts_with("Switching from pki to token"), "{v}");
        assert!(v.contains("left as they are"), "{v}");
        assert!(v.contains("PKI realm"), "{v}");
        let v = switch_undoes(Mode::Token, Mode::Password).join(" ");
        assert!(v.contains("service account token"), "{v}");
        let v = switch_undoes(Mode::MtlsToken, Mode::Pki).join(" ");
        assert!(v.contains("from required to optional"), "{v}");
    }
}
