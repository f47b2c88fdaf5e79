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

/// The findings of `doctor --offline --json` (with `extra` arguments) and its exit code.
fn findings(env: &Env, extra: &[&str]) -> (i32, Vec<serde_json::Value>) {
    let mut args = vec!["doctor", "--offline", "--json"];
    args.extend(extra);
    let (rc, v) = json(env, &args);
    (rc, v["findings"].as_array().unwrap().clone())
}

/// The one finding of check `id`.
#[track_caller]
fn the(findings: &[serde_json::Value], id: &str) -> serde_json::Value {
    let of: Vec<_> = findings.iter().filter(|f| f["check"] == id).collect();
    assert_eq!(of.len(), 1, "{id}: {findings:#?}");
    of[0].clone()
}

/// Runs the command between the first pair of backticks of a fix (plus
/// `extra`), as the operator would paste it.
#[track_caller]
fn run_fix(env: &Env, fix: &str, extra: &[&str]) -> std::process::Output {
    let cmdline = fix.split('`').nth(1).unwrap_or_else(|| panic!("{fix}"));
    let argv = shlex::split(cmdline).unwrap();
    assert_eq!(argv[0], "esmtls", "{cmdline}");
    let mut c = common::esmtls(&env.root);
    c.env("ESMTLS_SECRET_STORE", "file")
        .args(&argv[1..])
        .args(extra);
    common::run(&mut c)
}

#[test]
fn a_kibana_client_certificate_near_expiry_is_a_warning_with_the_renew_command() {
    let env = healthy("client_certificate:\n  days: 3\n");
    let (rc, f) = findings(&env, &[]);
    assert_eq!(rc, 1, "a warning, as status says 1: {f:#?}");
    assert_eq!(code(&common::run(&mut cmd(&env, &["status"]))), 1);
    let e = the(&f, "expiring");
    assert_eq!(e["severity"], "warning");
    let p12 = env.kb.join("certs/kibana-client.p12");
    assert_eq!(e["file"], p12.to_str().unwrap());
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("CN=kibana-client (kibana-client) expires in 3 day(s)"),
        "{e}"
    );
    let fix = e["fix"].as_str().unwrap();
    let want = format!(
        "`esmtls renew --only {} --es-config {} --kibana-config {}`",
        p12.display(),
        env.es.display(),
        env.kb.display()
    );
    assert!(fix.contains(&want), "{fix}\nwant {want}");
    // The command does it: afterwards nothing is reported.
    let o = run_fix(&env, fix, &["--yes"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let (rc, f) = findings(&env, &[]);
    assert_eq!((rc, f.len()), (0, 0), "{f:#?}");
    // The human form says the same, and "No problem found." only when true.
    let env = healthy("client_certificate:\n  days: 3\n");
    let o = common::run(&mut cmd(&env, &["doctor", "--offline"]));
    assert_eq!(code(&o), 1);
    assert!(common::stdout(&o).contains("warning[expiring]"));
    assert!(!common::stderr(&o).contains("No problem found."));
    // Outside a narrower window it is no finding.
    let (rc, _) = findings(&env, &["--warn-days", "2"]);
    assert_eq!(rc, 0);
}

#[test]
fn an_expired_kibana_client_certificate_is_an_error_with_the_renew_command() {
    let env = healthy("");
    let p12 = env.kb.join("certs/kibana-client.p12");
    // The same file, its leaf replaced by one that expired 2 days ago.
    let pw = kb_p12_password(&env);
    let mut c = esmtls::pki::pkcs12::read(&fs::read(&p12).unwrap(), &pw, "p12").unwrap();
    let other = lifecycle_support::ca("CN=Old CA");
    let (crt, key) = expired_leaf(
        &other,
        "kibana-client",
        &[],
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        2,
    );
    let der =
        esmtls::pki::pem::certificates(&esmtls::pki::pem::parse_all(crt.as_bytes(), "c").unwrap())
            .remove(0);
    let key_der = rcgen::KeyPair::from_pem(&key).unwrap().serialize_der();
    c.keys[0].chain = vec![der, other.cert_der.clone()];
    c.keys[0].key_pkcs8 = key_der;
    fs::write(&p12, esmtls::pki::pkcs12::write(&c, &pw).unwrap()).unwrap();
    let (rc, f) = findings(&env, &[]);
    assert_eq!(rc, 2, "{f:#?}");
    assert_eq!(code(&common::run(&mut cmd(&env, &["status"]))), 2);
    let e = the(&f, "expired");
    assert_eq!(e["severity"], "error");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("expired 2 day(s) ago"),
        "{e}"
    );
    let fix = e["fix"].as_str().unwrap();
    assert!(
        fix.contains(&format!(
            "`esmtls renew --only {} --es-config",
            p12.display()
        )),
        "{fix}"
    );
}

/// An auto-configured Elasticsearch (`certs/http.p12` with its `http_ca`
/// entry, `certs/http_ca.crt`) and Kibana after its enrollment.
fn autoconfigured() -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let (es, kb) = common::setups::autoconfigured_dirs(&root);
    Env {
        _tmp: tmp,
        root,
        es,
        kb,
    }
}

#[test]
fn host_not_in_sans_gives_the_command_into_the_auto_configured_http_p12() {
    let env = autoconfigured();
    replace(
        &env.kb.join("kibana.yml"),
        "https://127.0.0.1:9200",
        "https://es01.example.com:9200",
    );
    let (_, f) = findings(&env, &[]);
    let e = the(&f, "hosts-not-in-san");
    let fix = e["fix"].as_str().unwrap();
    let p12 = env.es.join("certs/http.p12");
    let want = format!(
        "`esmtls renew --only {} --add-san es01.example.com --es-config {} --kibana-config {}`",
        p12.display(),
        env.es.display(),
        env.kb.display()
    );
    assert!(fix.contains(&want), "{fix}\nwant {want}");
    // Where the password comes from is named; the password is not.
    let setting = "xpack.security.http.ssl.keystore.secure_password";
    assert!(fix.contains(setting), "{fix}");
    assert!(!fix.contains(&es_p12_password(&env)), "{fix}");
    // Pasted, it re-issues into http.p12, keeps the http_ca entry and the password.
    let o = run_fix(&env, fix, &["--yes"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert!(!common::stdout(&o).contains(&es_p12_password(&env)));
    let (_, f) = findings(&env, &[]);
    assert!(
        !f.iter().any(|f| f["check"] == "hosts-not-in-san"),
        "{f:#?}"
    );
    let c =
        esmtls::pki::pkcs12::read(&fs::read(&p12).unwrap(), &es_p12_password(&env), "p12").unwrap();
    let aliases: Vec<&str> = c.keys.iter().map(|k| k.alias.as_str()).collect();
    assert!(aliases.contains(&"http_ca"), "{aliases:?}");
}

#[test]
fn kibana_not_trusting_es_names_the_ca_file_that_is_there() {
    let env = autoconfigured();
    let other = ca("CN=Unrelated CA");
    let kb_ca = fs::read_dir(env.kb.parent().unwrap().join("data"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "crt"))
        .unwrap();
    fs::write(&kb_ca, esmtls::pki::pem::cert(&other.cert_der)).unwrap();
    let (rc, f) = findings(&env, &[]);
    assert_eq!(rc, 2);
    let fix = the(&f, "kibana-trusts-es")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    let http_ca = env.es.join("certs/http_ca.crt");
    assert!(
        fix.starts_with(&format!("add {} ", http_ca.display())),
        "{fix}"
    );
    assert!(
        fix.contains("elasticsearch.ssl.certificateAuthorities"),
        "{fix}"
    );
}

#[test]
fn a_missing_ca_file_is_one_finding() {
    let env = autoconfigured();
    let kb_ca = fs::read_dir(env.kb.parent().unwrap().join("data"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "crt"))
        .unwrap();
    fs::remove_file(&kb_ca).unwrap();
    let (rc, f) = findings(&env, &[]);
    assert_eq!(rc, 2);
    // Every finding about the file, or about trusting Elasticsearch (the
    // fixture has warnings of its own: files of mode 644, a token in the yml).
    let name = kb_ca.display().to_string();
    let f: Vec<_> = f
        .into_iter()
        .filter(|f| f.to_string().contains(&name) || f["check"] == "kibana-trusts-es")
        .collect();
    assert_eq!(f.len(), 1, "{f:#?}");
    let e = the(&f, "unreadable");
    assert_eq!(e["file"], kb_ca.to_str().unwrap());
    let fix = e["fix"].as_str().unwrap();
    assert!(
        fix.contains(&env.es.join("certs/http_ca.crt").display().to_string()),
        "{fix}"
    );
}
