//! Real kibana.yml shapes (issue 16) in every mode: a Kibana 6.x
//! `elasticsearch.url` is migrated to `elasticsearch.hosts` (the old line
//! commented with the reason, never both), and `elasticsearch.hosts` made of
//! `${VAR}` references is resolved for the certificate's names while the file
//! keeps the references. The results are read back with an independent YAML
//! parser (no duplicate key) and keep every comment; a missing variable is a
//! one-line error and nothing is written.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::setups;
use common::{apply_here, assert_again_changes_nothing, ok_all, run, snapshot, stderr};
use esmtls::pki::{inspect, pkcs12};
use esmtls::yaml::YamlFile;

const MODES: &[&str] = &["token", "password", "mtls-token", "mtls-password", "pki"];
const URL_YML: &str = include_str!("fixtures/kibana-real/kibana-6x-url.yml");
const ENV_YML: &str = include_str!("fixtures/kibana-real/kibana-env-hosts.yml");

struct Env {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    es: PathBuf,
    kb: PathBuf,
}

/// A fresh package Elasticsearch (no HTTPS yet: esmtls issues its certificate)
/// and a Kibana whose kibana.yml is `kibana_yml`.
fn setup(kibana_yml: &str) -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let es = setups::es_package_fresh(&root.join("etc/elasticsearch")).config_dir;
    let kb = root.join("etc/kibana");
    fs::create_dir_all(&kb).unwrap();
    fs::write(kb.join("kibana.yml"), kibana_yml).unwrap();
    Env {
        _tmp: tmp,
        root,
        es,
        kb,
    }
}

fn answers(mode: &str) -> String {
    let license = if mode == "pki" {
        "license: enterprise\n"
    } else {
        ""
    };
    format!("mode: {mode}\n{license}")
}

fn apply(env: &Env, mode: &str, vars: &[(&str, &str)]) -> std::process::Output {
    let a = env.root.join("answers.yml");
    fs::write(&a, answers(mode)).unwrap();
    let mut c = apply_here(&env.root, &a, &env.es, &env.kb);
    for (k, v) in vars {
        c.env(k, v);
    }
    run(&mut c)
}

/// Every comment of `before` is in `after`.
fn comments_kept(before: &str, after: &str) {
    for line in before.lines() {
        if let Some(i) = line.find('#') {
            let comment = &line[i..];
            assert!(after.contains(comment), "lost `{comment}`:\n{after}");
        }
    }
}

/// Read back with serde_yaml_ng (which refuses a duplicate key) and with
/// esmtls's reader (which refuses one in any mix of flat and nested forms).
fn parses_without_duplicates(path: &Path) -> serde_yaml_ng::Value {
    let text = fs::read_to_string(path).unwrap();
    YamlFile::read(path).unwrap_or_else(|e| panic!("{e}\n{text}"));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn hosts(kb: &Path) -> Vec<String> {
    YamlFile::read(&kb.join("kibana.yml"))
        .unwrap()
        .get("elasticsearch.hosts")
        .unwrap()
        .value
        .as_list()
}

/// The SANs of the HTTP certificate esmtls issued.
fn server_sans(es: &Path) -> Vec<String> {
    let ks = esmtls::keystore::EsKeystore::load(&es.join("elasticsearch.keystore"), None).unwrap();
    let pw = ks
        .get_string("xpack.security.http.ssl.keystore.secure_password")
        .unwrap();
    let p12 = es.join("certs/esmtls-http.p12");
    let c = pkcs12::read(&fs::read(&p12).unwrap(), pw.expose(), "esmtls-http.p12").unwrap();
    inspect::cert_info(&c.keys[0].chain[0]).unwrap().sans
}

fn again_changes_nothing(env: &Env, mode: &str, vars: &[(&str, &str)]) {
    assert_again_changes_nothing(&env.root, || ok_all(apply(env, mode, vars)));
}

#[test]
fn kibana_6x_elasticsearch_url_is_migrated_in_every_mode() {
    for mode in MODES {
        let env = setup(URL_YML);
        ok_all(apply(&env, mode, &[]));
        let yml = env.kb.join("kibana.yml");
        let text = fs::read_to_string(&yml).unwrap();
        let y = parses_without_duplicates(&yml);
        comments_kept(URL_YML, &text);
        assert!(
            y.get("elasticsearch.url").is_none(),
            "{mode}: the old setting stays:\n{text}"
        );
        assert_eq!(
            hosts(&env.kb),
            vec!["https://elasticsearch:9200".to_string()],
            "{mode}"
        );
        // The old line is there as a comment, with its value and why.
        assert!(
            text.lines().any(|l| l.trim_start().starts_with('#')
                && l.contains("elasticsearch.url")
                && l.contains("http://elasticsearch:9200")),
            "{mode}:\n{text}"
        );
        assert!(
            text.contains("was `http://elasticsearch:9200`; Kibana 7+ refuses it"),
            "{mode}:\n{text}"
        );
        assert!(
            server_sans(&env.es).contains(&"DNS:elasticsearch".to_string()),
            "{mode}: the host name is kept in the certificate"
        );
        assert!(text.contains("kibana.index: \".kibana\"   # trailing comment"));
        again_changes_nothing(&env, mode, &[]);
    }
}

const VARS: &[(&str, &str)] = &[("IP_ADDR", "10.1.2.3"), ("ES_PORT", "9200")];

#[test]
fn environment_references_resolve_and_stay_in_every_mode() {
    for mode in MODES {
        let env = setup(ENV_YML);
        ok_all(apply(&env, mode, VARS));
        let yml = env.kb.join("kibana.yml");
        let text = fs::read_to_string(&yml).unwrap();
        parses_without_duplicates(&yml);
        comments_kept(ENV_YML, &text);
        // The references stay as written; their values are not written.
        assert_eq!(
            hosts(&env.kb),
            vec!["https://${IP_ADDR}:${ES_PORT}".to_string()],
            "{mode}:\n{text}"
        );
        assert!(!text.contains("10.1.2.3"), "{mode}:\n{text}");
        assert!(text.contains("server.host: ${SERVER_HOST:0}"), "{text}");
        // The certificate carries the address Kibana will connect to.
        assert!(
            server_sans(&env.es).contains(&"IP:10.1.2.3".to_string()),
            "{mode}: {:?}",
            server_sans(&env.es)
        );
        again_changes_nothing(&env, mode, VARS);
    }
}

#[test]
fn a_missing_variable_is_one_line_naming_file_setting_and_variable() {
    for mode in MODES {
        let env = setup(ENV_YML);
        let before = snapshot(&env.root);
        let out = apply(&env, mode, &[("ES_PORT", "9200")]);
        // 3: the input or setup is wrong (src/exit.rs).
        assert_eq!(out.status.code(), Some(3), "{mode}: {}", stderr(&out));
        let err = stderr(&out);
        let line = err
            .lines()
            .find(|l| l.contains("kibana.yml"))
            .unwrap_or_else(|| panic!("{err}"));
        assert!(
            line.contains("kibana.yml line 5")
                && line.contains("elasticsearch.hosts")
                && line.contains("IP_ADDR")
                && line.contains("not set"),
            "{mode}: {err}"
        );
        assert_eq!(before, snapshot(&env.root), "{mode}: something was written");
    }
}
