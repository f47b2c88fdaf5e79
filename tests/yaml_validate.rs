//! Validation rules, with Elastic's exact wording where it has one.

use std::fs;

use esmtls::yaml::{Severity, Target, YamlFile, validate};

fn kb(text: &str, keystore: &[&str]) -> Vec<String> {
    let f = YamlFile::parse("kibana.yml", text).unwrap();
    let ks: Vec<String> = keystore.iter().map(|s| s.to_string()).collect();
    validate(&Target {
        kibana: Some(&f),
        kibana_keystore: &ks,
        ..Target::default()
    })
    .iter()
    .map(|f| f.to_string())
    .collect()
}

fn has(found: &[String], want: &str) -> bool {
    found.iter().any(|f| f.contains(want))
}

#[test]
fn kibana_rules() {
    let f = kb("elasticsearch.username: elastic\n", &[]);
    assert!(
        has(
            &f,
            "kibana.yml:1: error: [config validation of [elasticsearch].username]: value of \"elastic\" is forbidden. This is a superuser account that cannot write to system indices that Kibana needs to function. Use a service account token instead."
        ),
        "{f:?}"
    );
    let f = kb(
        "elasticsearch:\n  serviceAccountToken: t\n  username: kibana_system\n",
        &[],
    );
    assert!(
        has(
            &f,
            "kibana.yml:2: error: [config validation of [elasticsearch].serviceAccountToken]: serviceAccountToken cannot be specified when \"username\" is also set."
        ),
        "{f:?}"
    );
    let f = kb(
        "elasticsearch.serviceAccountToken: t\n",
        &["elasticsearch.username"],
    );
    assert!(
        has(
            &f,
            "serviceAccountToken cannot be specified when \"username\" is also set. (one of them is in the Kibana keystore"
        ),
        "{f:?}"
    );
    assert!(
        kb(
            "elasticsearch.username: kibana_system\n",
            &["elasticsearch.password"]
        )
        .is_empty()
    );
    let f = kb(
        "elasticsearch.ssl.keystore.path: /k.p12\nelasticsearch.ssl.certificate: /c\nelasticsearch.ssl.key: /k\n",
        &[],
    );
    assert!(
        has(
            &f,
            "cannot use [certificate] when [keystore.path] is specified"
        ),
        "{f:?}"
    );
    assert!(
        has(&f, "cannot use [key] when [keystore.path] is specified"),
        "{f:?}"
    );
    let f = kb("elasticsearch.ssl.key: /k\n", &[]);
    assert!(
        has(
            &f,
            "warning: Using \"elasticsearch.ssl.key\" without \"elasticsearch.ssl.certificate\" has no effect"
        ),
        "{f:?}"
    );
    let f = kb("elasticsearch.ssl.verificationMode: strict\n", &[]);
    assert!(
        has(
            &f,
            "[elasticsearch.ssl.verificationMode] has the value [strict]; it must be one of [none, certificate, full]"
        ),
        "{f:?}"
    );
    let f = kb("elasticsearch.password: changeme\n", &[]);
    assert!(
        has(
            &f,
            "warning: elasticsearch.password is written in plain text in kibana.yml"
        ),
        "{f:?}"
    );
    assert!(!has(&f, "changeme"), "secret shown: {f:?}");
}

#[test]
fn elasticsearch_rules_and_cross_file() {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir(d.path().join("certs")).unwrap();
    fs::write(d.path().join("certs/http.p12"), "x").unwrap();
    let outside = tempfile::NamedTempFile::new().unwrap();
    let es_text = format!(
        "xpack.security.http.ssl:\n  enabled: true\n  keystore.path: certs/http.p12\n  key: certs/k.key\n  client_authentication: required\n  verification_mode: strict\n  certificate_authorities: [ \"{}\" ]\n  truststore.path: certs/http.p12\n  keystore.secure_password: oops\nxpack.security.authc.realms:\n  pki.pki1.order: 1\n  native.native1.order: 1\n  native.n2.order: 2\n",
        outside.path().display()
    );
    let es = YamlFile::parse(d.path().join("elasticsearch.yml"), &es_text).unwrap();
    let kb = YamlFile::parse("kibana.yml", "elasticsearch.hosts: https://es:9200\n").unwrap();
    let found = validate(&Target {
        elasticsearch: Some(&es),
        kibana: Some(&kb),
        ..Target::default()
    });
    let s: Vec<String> = found.iter().map(|f| f.to_string()).collect();
    for want in [
        "xpack.security.http.ssl.key cannot be used together with xpack.security.http.ssl.keystore.path",
        "xpack.security.http.ssl.key is set without xpack.security.http.ssl.certificate",
        "xpack.security.http.ssl.certificate_authorities cannot be used together with xpack.security.http.ssl.truststore.path",
        "[xpack.security.http.ssl.verification_mode] has the value [strict]",
        "Setting [xpack.security.http.ssl.keystore.secure_password] is a secure setting and must be stored inside the Elasticsearch keystore, but was found inside elasticsearch.yml",
        "Found multiple realms configured with the same order: [1: [native.native1, pki.pki1]]",
        "multiple [native] realms are configured. [native] is an internal realm and therefore there can only be one such realm configured",
        "access denied (\"java.io.FilePermission\"",
        "points to",
        "so Kibana must set elasticsearch.ssl.alwaysPresentCertificate: true",
        "Kibana has no client certificate",
    ] {
        assert!(has(&s, want), "missing {want:?} in {s:#?}");
    }
    assert!(
        found.iter().all(|f| f.severity == Severity::Error),
        "{s:#?}"
    );
    let line = found
        .iter()
        .find(|f| f.setting == "xpack.security.http.ssl.key")
        .and_then(|f| f.line);
    assert_eq!(line, Some(4));
}

#[test]
fn a_finished_mtls_setup_is_clean() {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir(d.path().join("certs")).unwrap();
    for f in ["http.p12", "kibana-client-ca.crt"] {
        fs::write(d.path().join("certs").join(f), "x").unwrap();
    }
    let es = YamlFile::parse(
        d.path().join("elasticsearch.yml"),
        "xpack.security.http.ssl:\n  enabled: true\n  keystore.path: certs/http.p12\nxpack.security.http.ssl.client_authentication: required\nxpack.security.http.ssl.certificate_authorities: [certs/kibana-client-ca.crt]\n",
    )
    .unwrap();
    let kb = YamlFile::parse("kibana.yml", "elasticsearch.ssl.certificate: c.crt\nelasticsearch.ssl.key: c.key\nelasticsearch.ssl.alwaysPresentCertificate: true\n").unwrap();
    let ks = vec!["elasticsearch.serviceAccountToken".to_string()];
    let found = validate(&Target {
        elasticsearch: Some(&es),
        kibana: Some(&kb),
        kibana_keystore: &ks,
        ..Target::default()
    });
    assert!(found.is_empty(), "{found:#?}");
}
