//! What a node and a Kibana must hold after their bundle, mode by mode:
//! the settings (compared as whole sets, so a setting too many fails), the
//! new files, the keystore entries (the operator's kept with their values),
//! and the certificates and credential from the bundle.

use std::collections::BTreeMap;
use std::fs;

use serde_yaml_ng::Value;

use super::checks::{Before, first_cert, flat, keystore, p12_leaf, part, y};
use super::seed::{KIBANA_COMMENT, NODE_COMMENT, NODE_SETTINGS, kibana_settings};
use super::{Host, Kind, Site};

/// The files and directories the run added to the host (backups aside),
/// relative to its config directory, sorted.
fn added(h: &Host, b: &Before) -> Vec<String> {
    super::tree(&h.config)
        .into_keys()
        .filter(|p| !b.tree.contains_key(p) && !p.to_string_lossy().ends_with(".bak"))
        .map(|p| p.strip_prefix(&h.config).unwrap().display().to_string())
        .collect()
}

/// A node after its bundle: `case` names it in failures.
pub fn node(site: &Site, h: &Host, mode: &str, b: &Before, case: &str) {
    let bundle = site.bundles.join(&h.name);
    let after = flat(&h.yml());
    let tls = ["xpack.security.http.ssl.", "xpack.security.authc."];
    // Everything else is as it was (cluster.name, paths, transport, comments' settings).
    assert_eq!(
        part(&after, &tls, false),
        part(&b.yml, &tls, false),
        "{case}: other settings"
    );
    let text = fs::read_to_string(h.yml()).unwrap();
    for c in [
        NODE_COMMENT,
        "# ---------------------------------- Cluster -----------------------------------",
    ] {
        assert!(text.contains(c), "{case}: comment `{c}` lost:\n{text}");
    }
    for (k, v) in NODE_SETTINGS {
        assert_eq!(after.get(k), Some(&y(v)), "{case}: {k}");
    }
    assert_eq!(after.get("node.name"), Some(&y(&h.name)), "{case}");

    let mut want: BTreeMap<String, Value> = BTreeMap::new();
    let mut w = |k: &str, v: &str| want.insert(k.to_string(), y(v));
    w("xpack.security.http.ssl.enabled", "true");
    match site.kind {
        Kind::Enrolled => w("xpack.security.http.ssl.keystore.path", "certs/http.p12"),
        Kind::Fresh => w(
            "xpack.security.http.ssl.keystore.path",
            "certs/esmtls-http.p12",
        ),
    };
    match mode {
        "mtls-token" | "mtls-password" => {
            w("xpack.security.http.ssl.client_authentication", "required");
        }
        "pki" => {
            w("xpack.security.http.ssl.client_authentication", "optional");
            w("xpack.security.authc.realms.pki.esmtls_pki.order", "1");
            w(
                "xpack.security.authc.realms.pki.esmtls_pki.certificate_authorities",
                "[certs/kibana-ca.crt]",
            );
            w("xpack.security.authc.realms.native.native1.order", "2");
        }
        _ => {}
    }
    assert_eq!(
        part(&after, &tls, true),
        want,
        "{case}: TLS and realm settings"
    );

    let mut files: Vec<&str> = Vec::new();
    if site.kind == Kind::Fresh {
        files.extend(["certs", "certs/esmtls-http.p12"]);
    }
    match mode {
        "token" | "mtls-token" => files.push("service_tokens"),
        "pki" => files.extend(["certs/kibana-ca.crt", "role_mapping.yml"]),
        _ => {}
    }
    // mtls-*: the nodes trust Kibana's CA through their HTTP certificate's
    // (http_ca, or the CA esmtls issues both from): no CA file nothing names.
    files.sort_unstable();
    assert_eq!(added(h, b), files, "{case}: new files");

    // Keystore: every entry kept with its value; fresh nodes get the p12's password.
    let ks = keystore(h, None);
    let mut want_ks = b.keystore.clone();
    let p12 = h.config.join("certs/esmtls-http.p12");
    if site.kind == Kind::Fresh {
        let pw = ks
            .get("xpack.security.http.ssl.keystore.secure_password")
            .unwrap_or_else(|| panic!("{case}: no p12 password in the keystore"));
        want_ks.insert(
            "xpack.security.http.ssl.keystore.secure_password".into(),
            pw.clone(),
        );
        assert_eq!(
            p12_leaf(&p12, pw),
            first_cert(&bundle.join("certs/http.crt")),
            "{case}: the node serves the bundle's certificate"
        );
    } else {
        assert!(!p12.exists(), "{case}: an enrolled node keeps its http.p12");
        for f in ["certs/http.p12", "certs/http_ca.crt", "certs/transport.p12"] {
            assert_eq!(
                fs::read(h.config.join(f)).ok(),
                b.tree[&h.config.join(f)].0,
                "{case}: {f} changed"
            );
        }
    }
    assert_eq!(ks, want_ks, "{case}: elasticsearch.keystore");

    // The credential's files.
    let tokens = fs::read_to_string(h.config.join("service_tokens")).ok();
    match mode {
        "token" | "mtls-token" => {
            let line = fs::read_to_string(bundle.join("service_tokens.line")).unwrap();
            assert_eq!(
                tokens.as_deref(),
                Some(line.as_str()),
                "{case}: service_tokens"
            );
            assert!(line.starts_with("elastic/kibana/esmtls:"), "{case}: {line}");
        }
        _ => assert_eq!(tokens, None, "{case}: no service_tokens"),
    }
    let mapping = fs::read_to_string(h.config.join("role_mapping.yml")).ok();
    if mode == "pki" {
        let dn = fs::read_to_string(bundle.join("role_mapping.dn")).unwrap();
        let m: Value = serde_yaml_ng::from_str(mapping.as_deref().unwrap()).unwrap();
        assert_eq!(
            m["kibana_system"],
            y(&format!("['{}']", dn.trim())),
            "{case}"
        );
        assert_eq!(
            first_cert(&h.config.join("certs/kibana-ca.crt")),
            first_cert(&bundle.join("certs/ca.crt")),
            "{case}: the realm trusts the CA of Kibana's certificate"
        );
    } else {
        assert_eq!(mapping, None, "{case}: no role_mapping.yml");
    }
}

/// A Kibana after its bundle.
pub fn kibana(site: &Site, h: &Host, i: usize, mode: &str, b: &Before, case: &str) {
    let bundle = site.bundles.join(&h.name);
    let after = flat(&h.yml());
    let conn = ["elasticsearch."];
    assert_eq!(
        part(&after, &conn, false),
        part(&b.yml, &conn, false),
        "{case}: other settings"
    );
    let text = fs::read_to_string(h.yml()).unwrap();
    for c in [
        KIBANA_COMMENT,
        "# =================== System: Kibana Server ===================",
    ] {
        assert!(text.contains(c), "{case}: comment `{c}` lost:\n{text}");
    }
    for (k, v) in kibana_settings(i) {
        assert_eq!(after.get(k), Some(&y(&v)), "{case}: {k}");
    }

    let certs = h.config.join("certs");
    let mut want: BTreeMap<String, Value> = BTreeMap::new();
    let mut w = |k: &str, v: Value| want.insert(k.to_string(), v);
    w(
        "elasticsearch.hosts",
        Value::Sequence(
            super::kibana_hosts()
                .into_iter()
                .map(Value::String)
                .collect(),
        ),
    );
    let ca = certs.join("elasticsearch-ca.crt");
    w(
        "elasticsearch.ssl.certificateAuthorities",
        Value::Sequence(vec![Value::String(ca.display().to_string())]),
    );
    let password = mode.ends_with("password");
    let client = mode.starts_with("mtls") || mode == "pki";
    if password {
        w("elasticsearch.username", y("kibana_system"));
    }
    let p12 = certs.join("kibana-client.p12");
    if client {
        w(
            "elasticsearch.ssl.keystore.path",
            Value::String(p12.display().to_string()),
        );
    }
    if mode.starts_with("mtls") {
        w("elasticsearch.ssl.alwaysPresentCertificate", y("true"));
    }
    assert_eq!(
        part(&after, &conn, true),
        want,
        "{case}: Kibana's connection"
    );
    let server_ca = first_cert(&bundle.join("certs/server-ca.crt"));
    assert_eq!(first_cert(&ca), server_ca, "{case}: elasticsearch-ca.crt");
    if let Some(http_ca) = &site.http_ca_der {
        assert_eq!(&server_ca, http_ca, "{case}: the nodes' CA is http_ca");
    }

    let mut files = vec!["certs", "certs/elasticsearch-ca.crt"];
    if client {
        files.push("certs/kibana-client.p12");
    }
    assert_eq!(added(h, b), files, "{case}: new files");

    // Keystore: the operator's entries kept; the credential as the mode wants.
    let ks = keystore(h, None);
    let credential = fs::read_to_string(bundle.join("secrets/credential"))
        .ok()
        .map(|s| s.trim().to_string());
    let mut want_ks = b.keystore.clone();
    want_ks.remove("elasticsearch.password");
    want_ks.remove("elasticsearch.serviceAccountToken");
    match mode {
        "token" | "mtls-token" => {
            want_ks.insert(
                "elasticsearch.serviceAccountToken".into(),
                credential.unwrap(),
            );
        }
        "password" | "mtls-password" => {
            want_ks.insert("elasticsearch.password".into(), credential.unwrap());
        }
        _ => assert_eq!(credential, None, "{case}: pki ships no credential"),
    }
    if client {
        let pw = ks
            .get("elasticsearch.ssl.keystore.password")
            .unwrap_or_else(|| panic!("{case}: no p12 password in kibana.keystore"));
        want_ks.insert("elasticsearch.ssl.keystore.password".into(), pw.clone());
        assert_eq!(
            p12_leaf(&p12, pw),
            first_cert(&bundle.join("certs/client.crt")),
            "{case}: Kibana presents the bundle's certificate"
        );
    } else {
        assert!(!p12.exists(), "{case}: no client certificate");
    }
    assert_eq!(ks, want_ks, "{case}: kibana.keystore");
}
