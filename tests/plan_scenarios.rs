//! The five scenarios on realistic seeds (an auto-configured node; Kibana after
//! its interactive setup; Kibana with the classic kibana_system password),
//! checked against elastic-facts §8: settings, keystore entries, certificates,
//! permissions, and a second apply that changes nothing.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::setups::{self, EsAutoconfigured, KibanaSetup};
use common::{apply_here, assert_again_changes_nothing, ok_all as ok, run};
use esmtls::keystore::KibanaKeystore;
use esmtls::pki::{inspect, pkcs12};
use esmtls::yaml::{SettingValue, YamlFile};

struct Env {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    es: Es,
    kb: KibanaSetup,
}

/// The Elasticsearch side: its config dir and yml, and the seed's facts when auto-configured.
struct Es {
    config_dir: PathBuf,
    yml: PathBuf,
    seed: Option<EsAutoconfigured>,
}

impl std::ops::Deref for Es {
    type Target = EsAutoconfigured;
    fn deref(&self) -> &EsAutoconfigured {
        self.seed.as_ref().expect("an auto-configured seed")
    }
}

fn autoconfigured(kibana_with_password: bool) -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let es = setups::es_autoconfigured(&root.join("elasticsearch/config"));
    let kb = if kibana_with_password {
        setups::kibana_with_password(&root.join("kibana/config"))
    } else {
        setups::kibana_after_setup(&root.join("kibana/config"), &es)
    };
    let es = Es {
        config_dir: es.config_dir.clone(),
        yml: es.yml.clone(),
        seed: Some(es),
    };
    Env {
        _tmp: tmp,
        root,
        es,
        kb,
    }
}

fn apply(env: &Env, answers: &str, extra: &[&str]) -> std::process::Output {
    let a = env.root.join("answers.yml");
    fs::write(&a, answers).unwrap();
    let mut c = apply_here(&env.root, &a, &env.es.config_dir, &env.kb.config_dir);
    run(c.args(extra))
}

fn get(path: &Path, key: &str) -> Option<SettingValue> {
    YamlFile::read(path).unwrap().get(key).map(|s| s.value)
}

fn text(path: &Path, key: &str) -> Option<String> {
    get(path, key).and_then(|v| v.as_text().map(String::from))
}

fn entries(kb: &KibanaSetup) -> Vec<String> {
    let p = kb.config_dir.join("kibana.keystore");
    KibanaKeystore::load(&p, None)
        .unwrap()
        .names()
        .map(String::from)
        .collect()
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn again_is_noop(env: &Env, answers: &str) {
    assert_again_changes_nothing(&env.root, || ok(apply(env, answers, &[])));
}

#[test]
fn mtls_token_on_an_autoconfigured_node_signs_with_http_ca() {
    let env = autoconfigured(false);
    let answers = "mode: mtls-token\n";
    let out = ok(apply(&env, answers, &[]));
    let es_yml = &env.es.yml;
    let kb_yml = &env.kb.yml;
    // Elasticsearch: required, no extra CA list (http_ca is already trusted), no new CA or server cert.
    assert_eq!(
        text(es_yml, "xpack.security.http.ssl.client_authentication").as_deref(),
        Some("required")
    );
    assert!(get(es_yml, "xpack.security.http.ssl.certificate_authorities").is_none());
    assert!(!env.es.config_dir.join("certs/esmtls-ca.p12").exists());
    assert!(!env.es.config_dir.join("certs/esmtls-http.p12").exists());
    assert_eq!(
        text(es_yml, "xpack.security.http.ssl.keystore.path").as_deref(),
        Some("certs/http.p12")
    );
    // The auto-configuration block is intact.
    let es_text = fs::read_to_string(es_yml).unwrap();
    assert!(
        es_text.contains(&setups::autoconfig_block(setups::HOSTNAME)),
        "{es_text}"
    );
    // Kibana's certificate: issued by http_ca, clientAuth, in a 0600 PKCS#12 whose password is in the keystore.
    let p12 = env.kb.config_dir.join("certs/kibana-client.p12");
    assert_eq!(mode(&p12), 0o600);
    let ks = KibanaKeystore::load(&env.kb.config_dir.join("kibana.keystore"), None).unwrap();
    let pw = ks
        .get("elasticsearch.ssl.keystore.password")
        .unwrap()
        .expose()
        .to_string();
    let c = pkcs12::read(&fs::read(&p12).unwrap(), &pw, "kibana-client.p12").unwrap();
    assert_eq!(
        c.keys.len(),
        1,
        "Kibana refuses a PKCS#12 with several keys"
    );
    let leaf = inspect::cert_info(&c.keys[0].chain[0]).unwrap();
    assert_eq!(
        leaf.issuer,
        "CN=Elasticsearch security auto-configuration HTTP CA"
    );
    assert_eq!(leaf.eku, vec!["clientAuth".to_string()]);
    // The trust comes from http_ca: no certs/kibana-ca.crt, which no setting would name.
    assert!(!env.es.config_dir.join("certs/kibana-ca.crt").exists());
    let es_text = fs::read_to_string(es_yml).unwrap();
    assert!(!es_text.contains("kibana-ca.crt"), "{es_text}");
    // Kibana settings.
    assert_eq!(
        get(kb_yml, "elasticsearch.ssl.alwaysPresentCertificate"),
        Some(SettingValue::Bool(true))
    );
    assert!(
        text(kb_yml, "elasticsearch.ssl.keystore.path")
            .unwrap()
            .ends_with("certs/kibana-client.p12")
    );
    assert_eq!(
        get(kb_yml, "elasticsearch.hosts").unwrap().as_list(),
        vec!["https://127.0.0.1:9200".to_string()]
    );
    // The enrollment token moved from plain kibana.yml into the keystore.
    assert!(get(kb_yml, "elasticsearch.serviceAccountToken").is_none());
    assert_eq!(
        ks.get("elasticsearch.serviceAccountToken")
            .unwrap()
            .expose(),
        setups::ENROLL_TOKEN
    );
    let kb_text = fs::read_to_string(kb_yml).unwrap();
    assert!(
        !kb_text.contains(setups::ENROLL_TOKEN),
        "the token must leave kibana.yml"
    );
    assert!(
        kb_text.contains("xpack.fleet.outputs"),
        "unrelated settings stay"
    );
    // Secrets are never printed.
    assert!(
        !out.contains(&pw)
            && !out.contains(setups::ENROLL_TOKEN)
            && !out.contains(&env.es.http_p12_password)
    );
    again_is_noop(&env, answers);
}

#[test]
fn pki_on_an_autoconfigured_node() {
    let env = autoconfigured(false);
    let answers = "mode: pki\nlicense: enterprise\n";
    ok(apply(&env, answers, &[]));
    let es_yml = &env.es.yml;
    assert_eq!(
        text(es_yml, "xpack.security.http.ssl.client_authentication").as_deref(),
        Some("optional")
    );
    assert_eq!(
        text(es_yml, "xpack.security.authc.realms.pki.esmtls_pki.order").as_deref(),
        Some("1")
    );
    assert_eq!(
        get(
            es_yml,
            "xpack.security.authc.realms.pki.esmtls_pki.certificate_authorities"
        )
        .unwrap()
        .as_list(),
        vec!["certs/kibana-ca.crt".to_string()]
    );
    assert_eq!(
        text(es_yml, "xpack.security.authc.realms.native.native1.order").as_deref(),
        Some("2")
    );
    let kb_yml = &env.kb.yml;
    assert!(
        get(kb_yml, "elasticsearch.ssl.alwaysPresentCertificate").is_none(),
        "stays false for pki"
    );
    assert!(get(kb_yml, "elasticsearch.serviceAccountToken").is_none());
    let names = entries(&env.kb);
    for n in [
        "elasticsearch.username",
        "elasticsearch.password",
        "elasticsearch.serviceAccountToken",
    ] {
        assert!(!names.contains(&n.to_string()), "{n} must go: {names:?}");
    }
    let rm = fs::read_to_string(env.es.config_dir.join("role_mapping.yml")).unwrap();
    assert!(rm.contains("CN=kibana-client"), "{rm}");
    let req = fs::read_to_string(env.es.config_dir.join("esmtls-requests.txt")).unwrap();
    assert!(
        req.contains("PUT /_security/role_mapping/kibana-client")
            && req.contains("\"realm.name\": \"esmtls_pki\""),
        "{req}"
    );
    again_is_noop(&env, answers);
}

#[test]
fn password_modes_replace_the_token_with_kibana_system() {
    for mode in ["password", "mtls-password"] {
        let env = autoconfigured(false);
        let answers = format!("mode: {mode}\n");
        let out = ok(apply(&env, &answers, &[]));
        let kb_yml = &env.kb.yml;
        assert_eq!(
            text(kb_yml, "elasticsearch.username").as_deref(),
            Some("kibana_system")
        );
        assert!(get(kb_yml, "elasticsearch.serviceAccountToken").is_none());
        let ks = KibanaKeystore::load(&env.kb.config_dir.join("kibana.keystore"), None).unwrap();
        let pw = ks
            .get("elasticsearch.password")
            .unwrap()
            .expose()
            .to_string();
        assert_eq!(pw.len(), 32);
        assert!(!out.contains(&pw), "the new password must not be printed");
        let req = fs::read_to_string(env.es.config_dir.join("esmtls-requests.txt")).unwrap();
        assert!(
            req.contains("POST /_security/user/kibana_system/_password") && !req.contains(&pw),
            "{req}"
        );
        again_is_noop(&env, &answers);
    }
}

#[test]
fn token_mode_moves_a_password_setup_to_nothing_it_cannot_verify() {
    // Kibana with the classic kibana_system password; offline, a token cannot be made yet.
    let env = autoconfigured(true);
    let answers = "mode: token\n";
    let out = ok(apply(&env, answers, &[]));
    assert!(out.contains("no service token yet"), "{out}");
    let kb_yml = &env.kb.yml;
    assert!(get(kb_yml, "elasticsearch.username").is_none());
    assert!(!entries(&env.kb).contains(&"elasticsearch.password".to_string()));
    let req = fs::read_to_string(env.es.config_dir.join("esmtls-requests.txt")).unwrap();
    assert!(
        req.contains("POST /_security/service/elastic/kibana/credential/token/esmtls"),
        "{req}"
    );
    again_is_noop(&env, answers);
}

#[test]
fn kibana_keeps_its_password_in_password_mode() {
    let env = autoconfigured(true);
    let answers = "mode: password\n";
    ok(apply(&env, answers, &[]));
    let ks = KibanaKeystore::load(&env.kb.config_dir.join("kibana.keystore"), None).unwrap();
    assert_eq!(
        ks.get("elasticsearch.password").unwrap().expose(),
        setups::KIBANA_SYSTEM_PASSWORD,
        "an unverifiable existing password is kept"
    );
    again_is_noop(&env, answers);
}

#[test]
fn a_fresh_package_install_gets_https_from_a_new_ca() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let es = setups::es_package_fresh(&root.join("etc/elasticsearch"));
    let kb = setups::kibana_package_fresh(&root.join("etc/kibana"));
    let env = Env {
        _tmp: tmp,
        root,
        es: Es {
            yml: es.config_dir.join("elasticsearch.yml"),
            config_dir: es.config_dir,
            seed: None,
        },
        kb,
    };
    let answers = "mode: mtls-token\nkibana:\n  hosts: [https://es01.example.com:9200]\n";
    ok(apply(&env, answers, &[]));
    let es_yml = env.es.config_dir.join("elasticsearch.yml");
    assert_eq!(
        get(&es_yml, "xpack.security.http.ssl.enabled"),
        Some(SettingValue::Bool(true))
    );
    let http = env.es.config_dir.join("certs/esmtls-http.p12");
    assert_eq!(mode(&http), 0o600);
    let esks =
        esmtls::keystore::EsKeystore::load(&env.es.config_dir.join("elasticsearch.keystore"), None)
            .unwrap();
    let pw = esks
        .get_string("xpack.security.http.ssl.keystore.secure_password")
        .unwrap();
    let c = pkcs12::read(&fs::read(&http).unwrap(), pw.expose(), "esmtls-http.p12").unwrap();
    let leaf = inspect::cert_info(&c.keys[0].chain[0]).unwrap();
    assert!(
        leaf.sans.contains(&"DNS:es01.example.com".to_string()),
        "{:?}",
        leaf.sans
    );
    assert_eq!(leaf.eku, vec!["serverAuth".to_string()]);
    // Kibana's client certificate and the server certificate come from the same new CA,
    // which is in the server keystore's chain: no certificate_authorities needed.
    assert!(env.es.config_dir.join("certs/esmtls-ca.p12").exists());
    assert_eq!(mode(&env.es.config_dir.join("certs/esmtls-ca.p12")), 0o600);
    assert!(get(&es_yml, "xpack.security.http.ssl.certificate_authorities").is_none());
    again_is_noop(&env, answers);
}

/// What Kibana itself reads: the keystore through @elastic/node-crypto, then the
/// PKCS#12 through node-forge with the password from that keystore (as
/// @kbn/crypto does) — exactly one key, the leaf matching it, the CA beside it.
#[test]
fn kibana_reads_what_apply_wrote() {
    let Some(nm) = common::node_modules() else {
        return;
    };
    let env = autoconfigured(false);
    ok(apply(&env, "mode: mtls-token\n", &[]));
    let node = |args: &[&str]| {
        let mut c = std::process::Command::new("node");
        c.env("NODE_PATH", &nm).args(args);
        ok(run(&mut c))
    };
    let asset = |n: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/node")
            .join(n)
            .display()
            .to_string()
    };
    let ks = env.kb.config_dir.join("kibana.keystore");
    let json: serde_json::Value = serde_json::from_str(
        node(&[&asset("kibana_keystore.js"), "read", ks.to_str().unwrap()]).trim(),
    )
    .unwrap();
    assert_eq!(
        json["elasticsearch.serviceAccountToken"],
        serde_json::json!(setups::ENROLL_TOKEN)
    );
    let pw = json["elasticsearch.ssl.keystore.password"]
        .as_str()
        .unwrap();
    let pw_file = env.root.join("pw");
    fs::write(&pw_file, pw).unwrap();
    let p12 = env.kb.config_dir.join("certs/kibana-client.p12");
    let forge: serde_json::Value = serde_json::from_str(
        node(&[
            &asset("forge-check.js"),
            p12.to_str().unwrap(),
            pw_file.to_str().unwrap(),
        ])
        .trim(),
    )
    .unwrap();
    assert_eq!(forge["keys"], 1, "{forge}");
    assert_eq!(forge["cert"], "kibana-client", "{forge}");
    assert!(
        forge["cas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "Elasticsearch security auto-configuration HTTP CA"),
        "{forge}"
    );
    assert!(forge["error"].is_null(), "{forge}");
}

/// The files `apply` wrote for a fresh node, used for real: a JSSE server (as
/// Elasticsearch's HTTP layer) with `certs/esmtls-http.p12` and the password from
/// `elasticsearch.keystore`, requiring a client certificate; a Node client (as
/// Kibana) with `certs/kibana-client.p12`, the password from `kibana.keystore`,
/// and `certs/elasticsearch-ca.crt`. With the certificate: 200; without: refused.
#[test]
fn the_written_files_make_a_real_mutual_tls_connection() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    if !common::have("javac") || !common::have("java") {
        return;
    }
    let Some(nm) = common::node_modules() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let es = setups::es_package_fresh(&root.join("etc/elasticsearch"));
    let kb = setups::kibana_package_fresh(&root.join("etc/kibana"));
    let env = Env {
        _tmp: tmp,
        root: root.clone(),
        es: Es {
            yml: es.config_dir.join("elasticsearch.yml"),
            config_dir: es.config_dir,
            seed: None,
        },
        kb,
    };
    ok(apply(
        &env,
        "mode: mtls-password\nkibana:\n  hosts: [https://127.0.0.1:9200]\n",
        &[],
    ));
    let esks =
        esmtls::keystore::EsKeystore::load(&env.es.config_dir.join("elasticsearch.keystore"), None)
            .unwrap();
    let es_pw = esks
        .get_string("xpack.security.http.ssl.keystore.secure_password")
        .unwrap();
    fs::write(root.join("es-pw"), es_pw.expose()).unwrap();
    let kbks = KibanaKeystore::load(&env.kb.config_dir.join("kibana.keystore"), None).unwrap();
    fs::write(
        root.join("kb-pw"),
        kbks.get("elasticsearch.ssl.keystore.password")
            .unwrap()
            .expose(),
    )
    .unwrap();

    let classes = tempfile::tempdir().unwrap();
    let java = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/java/MtlsServer.java");
    ok(run(Command::new("javac")
        .arg("-d")
        .arg(classes.path())
        .arg(&java)));
    let http_p12 = env.es.config_dir.join("certs/esmtls-http.p12");
    let mut server = Command::new("java")
        .arg("-cp")
        .arg(classes.path())
        .arg("MtlsServer")
        .args([&http_p12, &http_p12, &root.join("es-pw")])
        .arg("2")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().strip_prefix("PORT ").unwrap().to_string();
    let client = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/mtls-client.js");
    let ca = env.kb.config_dir.join("certs/elasticsearch-ca.crt");
    let p12 = env.kb.config_dir.join("certs/kibana-client.p12");
    let node = |args: &[&Path]| -> serde_json::Value {
        let mut c = Command::new("node");
        c.env("NODE_PATH", &nm).arg(&client).arg(&port).args(args);
        serde_json::from_str(ok(run(&mut c)).trim()).unwrap()
    };
    let with = node(&[&ca, &p12, &root.join("kb-pw")]);
    let without = node(&[&ca, Path::new("none")]);
    let status = server.wait().unwrap();
    assert!(status.success());
    assert_eq!(with["status"], 200, "{with}");
    assert!(
        with["body"].as_str().unwrap().contains("CN=kibana-client"),
        "{with}"
    );
    assert!(
        without.get("status").is_none(),
        "a client without a certificate must be refused: {without}"
    );
}
