//! `esmtls doctor --offline`: a healthy setup made by `esmtls apply` reports
//! nothing (exit 0); each check has a fixture — the healthy setup with one
//! thing broken — that makes it report under its id (exit 1 when every
//! finding is a warning, 2 when one is an error).

mod common;
mod lifecycle_support;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use esmtls::pki::build::Usage;
use lifecycle_support::*;

fn checks(env: &Env) -> Vec<String> {
    let (rc, v) = json(env, &["doctor", "--offline", "--json"]);
    let ids: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap().to_string())
        .collect();
    let severities: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    let want = if severities.contains(&"error") {
        2
    } else {
        i32::from(!severities.is_empty())
    };
    assert_eq!(rc, want, "{v}");
    for f in v["findings"].as_array().unwrap() {
        assert!(!f["fix"].as_str().unwrap().is_empty(), "{f}");
        assert!(
            !f["fix"]
                .as_str()
                .unwrap()
                .contains("verificationMode: none"),
            "{f}"
        );
    }
    ids
}

#[track_caller]
fn reports(env: &Env, id: &str) {
    let ids = checks(env);
    assert!(ids.iter().any(|i| i == id), "{id} not reported: {ids:?}");
}

#[test]
fn healthy_setups_from_apply_report_nothing() {
    for mode in ["mtls-token", "token", "pki"] {
        let env = seed();
        apply(&env, &format!("mode: {mode}\nlicense: platinum\n"));
        assert_eq!(checks(&env), Vec::<String>::new(), "{mode}");
    }
}

#[test]
fn key_mismatch() {
    let env = healthy("");
    // Elasticsearch's HTTP certificate as PEM with somebody else's key.
    let ca = ca("CN=Other CA");
    let (crt, _) = leaf(&ca, "es", &["localhost"], Usage::Server);
    let (_, key) = leaf(&ca, "es", &["localhost"], Usage::Server);
    set_es_http_pem(&env, &crt, &key);
    reports(&env, "key-mismatch");
}

fn set_es_http_pem(env: &Env, crt: &str, key: &str) {
    let c = put(&env.es, "certs/test-http.crt", crt);
    let k = put(&env.es, "certs/test-http.key", key);
    fs::set_permissions(&k, fs::Permissions::from_mode(0o600)).unwrap();
    let yml = env.es.join("elasticsearch.yml");
    replace(
        &yml,
        "xpack.security.http.ssl.keystore.path: certs/esmtls-http.p12",
        &format!(
            "xpack.security.http.ssl.certificate: {}\nxpack.security.http.ssl.key: {}",
            c.display(),
            k.display()
        ),
    );
}

#[test]
fn kibana_does_not_trust_the_server_ca() {
    // With mTLS the CA inside kibana-client.p12 would still be trusted (node-forge
    // adds it), so the fixture is a token setup whose CA file names another CA.
    let other = ca("CN=Unrelated CA");
    let env2 = seed();
    apply(&env2, "mode: token\n");
    fs::write(
        env2.kb.join("certs/elasticsearch-ca.crt"),
        esmtls::pki::pem::cert(&other.cert_der),
    )
    .unwrap();
    reports(&env2, "kibana-trusts-es");
}

#[test]
fn chain_incomplete() {
    let env = seed();
    apply(&env, "mode: token\n");
    let root = ca("CN=Root CA");
    let mid = intermediate(&root, "Issuing CA");
    let (crt, key) = leaf(&mid, "es", &["localhost"], Usage::Server);
    set_es_http_pem(&env, &crt, &key);
    fs::write(
        env.kb.join("certs/elasticsearch-ca.crt"),
        esmtls::pki::pem::cert(&root.cert_der),
    )
    .unwrap();
    reports(&env, "chain-incomplete");
}

#[test]
fn es_does_not_trust_the_kibana_client_ca() {
    let env = healthy("");
    let other = ca("CN=Unrelated CA");
    let f = put(
        &env.es,
        "certs/other-ca.crt",
        &esmtls::pki::pem::cert(&other.cert_der),
    );
    append(
        &env.es.join("elasticsearch.yml"),
        &format!(
            "xpack.security.http.ssl.certificate_authorities: [{}]\n",
            f.display()
        ),
    );
    reports(&env, "es-trusts-kibana-client");
}

#[test]
fn host_not_in_sans() {
    let env = healthy("");
    replace(
        &env.kb.join("kibana.yml"),
        "https://localhost:9200",
        "https://es01.example.com:9200",
    );
    reports(&env, "hosts-not-in-san");
}

#[test]
fn eku_does_not_fit() {
    let env = healthy("");
    let ca = ca("CN=Other CA");
    let (crt, key) = leaf(&ca, "es", &["localhost"], Usage::Client);
    set_es_http_pem(&env, &crt, &key);
    reports(&env, "eku");
}

#[test]
fn role_mapping_dn_differs_from_the_certificate() {
    let env = seed();
    apply(&env, "mode: pki\nlicense: platinum\n");
    replace(
        &env.es.join("role_mapping.yml"),
        "CN=kibana-client",
        "\"cn=kibana-client \"",
    );
    reports(&env, "role-mapping-dn");
}

#[test]
fn legacy_pkcs12() {
    use p12_keystore::{
        Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKey,
        PrivateKeyChain,
    };
    let env = healthy("");
    let pw = kb_p12_password(&env);
    let p12 = env.kb.join("certs/kibana-client.p12");
    let c = esmtls::pki::pkcs12::read(&fs::read(&p12).unwrap(), &pw, "p12").unwrap();
    let k = &c.keys[0];
    let mut ks = KeyStore::new();
    let certs: Vec<Certificate> = k
        .chain
        .iter()
        .map(|d| Certificate::from_der(d).unwrap())
        .collect();
    let chain = PrivateKeyChain::new(
        b"id1".as_slice(),
        PrivateKey::from_der(&k.key_pkcs8).unwrap(),
        certs,
    );
    ks.add_entry("kibana-client", KeyStoreEntry::PrivateKeyChain(chain));
    let old = ks
        .writer(&pw)
        .encryption_algorithm(EncryptionAlgorithm::PbeWithShaAnd40BitRc4Cbc)
        .mac_algorithm(MacAlgorithm::HmacSha1)
        .write()
        .unwrap();
    fs::write(&p12, old).unwrap();
    reports(&env, "pkcs12-legacy");
}

#[test]
fn kibana_pkcs12_with_two_keys() {
    let env = healthy("");
    let pw = kb_p12_password(&env);
    let p12 = env.kb.join("certs/kibana-client.p12");
    let mut c = esmtls::pki::pkcs12::read(&fs::read(&p12).unwrap(), &pw, "p12").unwrap();
    let mut second = c.keys[0].clone();
    second.alias = "second".into();
    c.keys.push(second);
    fs::write(&p12, esmtls::pki::pkcs12::write(&c, &pw).unwrap()).unwrap();
    reports(&env, "kibana-p12-keys");
}

#[test]
fn settings_conflict_and_secure_setting_in_yml() {
    let env = healthy("");
    append(
        &env.kb.join("kibana.yml"),
        "elasticsearch.ssl.certificate: /tmp/x.crt\nelasticsearch.password: secret\n",
    );
    let ids = checks(&env);
    assert!(ids.contains(&"settings-conflict".to_string()), "{ids:?}");
    assert!(
        ids.contains(&"secure-setting-in-yml".to_string()),
        "{ids:?}"
    );
}

#[test]
fn world_readable_keystore() {
    let env = healthy("");
    fs::set_permissions(
        env.kb.join("certs/kibana-client.p12"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    reports(&env, "permissions");
}

#[test]
fn required_without_always_present_certificate() {
    let env = healthy("");
    replace(
        &env.kb.join("kibana.yml"),
        "elasticsearch.ssl.alwaysPresentCertificate: true\n",
        "",
    );
    reports(&env, "required-without-always-present");
}

#[test]
fn verification_lowered() {
    let env = healthy("");
    append(
        &env.kb.join("kibana.yml"),
        "elasticsearch.ssl.verificationMode: certificate\n",
    );
    reports(&env, "verification-lowered");
}

#[test]
fn unreadable_and_expired() {
    let env = healthy("");
    fs::write(env.kb.join("certs/kibana-client.p12"), b"not a keystore").unwrap();
    reports(&env, "unreadable");
    let env = healthy("");
    let ca = ca("CN=Other CA");
    let (crt, key) = expired_leaf(
        &ca,
        "es",
        &["localhost"],
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        1,
    );
    set_es_http_pem(&env, &crt, &key);
    reports(&env, "expired");
}

#[test]
fn human_output_names_check_file_and_fix() {
    let env = healthy("");
    append(
        &env.kb.join("kibana.yml"),
        "elasticsearch.ssl.verificationMode: none\n",
    );
    let o = common::run(&mut cmd(&env, &["doctor", "--offline"]));
    assert_eq!(code(&o), 1, "a warning only");
    let out = common::stdout(&o);
    assert!(out.contains("warning[verification-lowered]"), "{out}");
    assert!(out.contains("kibana.yml:"), "{out}");
    assert!(out.contains("  fix: "), "{out}");
}

#[test]
fn foreign_owner() {
    // chown needs root; elsewhere there is nothing to set up.
    let root = std::process::Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&root.stdout).trim() != "0" {
        eprintln!("not root: ownership fixture skipped");
        return;
    }
    let env = healthy("");
    let p = env.kb.join("certs/kibana-client.p12");
    std::os::unix::fs::chown(&p, Some(4242), Some(4242)).unwrap();
    reports(&env, "ownership");
}
