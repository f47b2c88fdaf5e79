//! The online parts against a local stand-in for Elasticsearch (rustls, REST
//! spec checked): `doctor` connects as Kibana (its CA file, its service token
//! from kibana.keystore) and reads the license; `status --es-url` merges the
//! node's `GET /_ssl/certificates`.

mod common;
mod es_support;

use std::fs;
use std::path::PathBuf;

use common::{esmtls, run, stderr, stdout};
use es_support::{ClientAuth, Options, Reply, Seen, Server, fixture};
use esmtls::keystore::{KibanaKeystore, SystemRandom};
use esmtls::secret::Secret;

const TOKEN: &str = "AAEAAWVsYXN0aWMva2liYW5hL3Rlc3Q6c2VjcmV0";

struct Env {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    es: PathBuf,
    kb: PathBuf,
    _server: Server,
}

fn handler(license: &'static str) -> impl Fn(&Seen) -> Reply + Send + Sync + 'static {
    move |r: &Seen| match r.api.as_str() {
        "security.authenticate"
            if r.header("authorization") == Some(&format!("Bearer {TOKEN}")) =>
        {
            Reply::new(
                200,
                fixture("security.authenticate.service_account.json")
                    .replace("elastic/fleet-server", "elastic/kibana"),
            )
        }
        "security.authenticate" => Reply::new(401, fixture("error.401.json")),
        "license.get" => Reply::new(
            200,
            fixture("license.get.json").replace("\"trial\"", &format!("\"{license}\"")),
        ),
        "ssl.certificates" => Reply::fixture("ssl.certificates.json"),
        _ => Reply::new(404, fixture("error.404.role_mapping.json")),
    }
}

/// Kibana connects with a token from its keystore and trusts the server's CA; `es_extra` is added to elasticsearch.yml.
fn env(token: &str, license: &'static str, es_extra: &str) -> Env {
    let server = Server::start(
        Options {
            client_auth: ClientAuth::None,
            ..Options::default()
        },
        handler(license),
    );
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let es = root.join("es");
    let kb = root.join("kb");
    fs::create_dir_all(es.join("certs")).unwrap();
    fs::create_dir_all(kb.join("certs")).unwrap();
    fs::write(
        es.join("elasticsearch.yml"),
        format!("xpack.security.http.ssl.enabled: true\n{es_extra}"),
    )
    .unwrap();
    let ca = kb.join("certs/es-ca.crt");
    fs::write(&ca, esmtls::pki::pem::cert(&server.pki.ca_der)).unwrap();
    fs::write(
        es.join("certs/es-ca.crt"),
        esmtls::pki::pem::cert(&server.pki.ca_der),
    )
    .unwrap();
    fs::write(
        kb.join("kibana.yml"),
        format!(
            "elasticsearch.hosts: ['{}']\nelasticsearch.ssl.certificateAuthorities: ['{}']\n",
            server.url(),
            ca.display()
        ),
    )
    .unwrap();
    let ksp = kb.join("kibana.keystore");
    let mut ks = KibanaKeystore::new(Secret::new(String::new()));
    ks.set_string(
        "elasticsearch.serviceAccountToken",
        Secret::new(token.to_string()),
        true,
        &ksp,
    )
    .unwrap();
    ks.save(&ksp, &mut SystemRandom, esmtls::fsutil::Existing::Replace)
        .unwrap();
    Env {
        _tmp: tmp,
        root,
        es,
        kb,
        _server: server,
    }
}

fn doctor(e: &Env) -> (i32, serde_json::Value) {
    let mut c = esmtls(&e.root);
    c.env("ESMTLS_SECRET_STORE", "file")
        .args(["doctor", "--json", "--es-config"])
        .arg(&e.es)
        .arg("--kibana-config")
        .arg(&e.kb);
    let o = run(&mut c);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|_| panic!("{}\n{}", stdout(&o), stderr(&o)));
    (o.status.code().unwrap(), v)
}

fn ids(v: &serde_json::Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn doctor_connects_as_kibana() {
    let e = env(TOKEN, "trial", "");
    let (rc, v) = doctor(&e);
    assert_eq!(rc, 0, "{v}");
    let e = env("wrong-token", "trial", "");
    let (rc, v) = doctor(&e);
    assert_eq!(rc, 1, "{v}");
    assert!(ids(&v).contains(&"online-as-kibana".to_string()), "{v}");
    assert!(
        !v.to_string().contains("wrong-token"),
        "the token was printed"
    );
}

#[test]
fn doctor_reports_a_pki_realm_on_basic() {
    let realm = "xpack.security.authc.realms.pki.pki1.order: 1\n";
    let e = env(TOKEN, "basic", realm);
    let (rc, v) = doctor(&e);
    assert_eq!(rc, 1, "{v}");
    assert!(ids(&v).contains(&"pki-unlicensed".to_string()), "{v}");
    let e = env(TOKEN, "platinum", realm);
    let (_, v) = doctor(&e);
    assert!(!ids(&v).contains(&"pki-unlicensed".to_string()), "{v}");
}

#[test]
fn status_merges_the_nodes_certificates() {
    let e = env(TOKEN, "trial", "");
    let url = fs::read_to_string(e.kb.join("kibana.yml")).unwrap();
    let url = url.split('\'').nth(1).unwrap().to_string();
    let mut c = esmtls(&e.root);
    c.env("ESMTLS_SECRET_STORE", "file")
        .args(["status", "--json", "--es-url", &url, "--es-config"])
        .arg(&e.es)
        .arg("--kibana-config")
        .arg(&e.kb);
    let o = run(&mut c);
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    // The fixture's certificates expired in 2021: exit 2, each listed with role cluster.
    assert_eq!(o.status.code(), Some(2), "{v}");
    let cluster: Vec<&serde_json::Value> = v["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["role"] == "cluster")
        .collect();
    assert_eq!(cluster.len(), 3, "{v}");
    assert!(
        cluster
            .iter()
            .all(|c| c["in_cluster"] == true && c["days_left"].as_i64().unwrap() < 0)
    );
    assert!(
        cluster
            .iter()
            .any(|c| c["subject"] == "CN=instance" && c["alias"] == "instance")
    );
}
