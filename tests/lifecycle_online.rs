//! The online parts against a local stand-in for Elasticsearch (rustls, REST
//! spec checked): `doctor` connects as Kibana (its CA file, its service token
//! from kibana.keystore) and reads the license; `status --es-url` merges the
//! node's `GET /_ssl/certificates` and marks the local files the node also
//! reports; under `client_authentication: required` the doctor's handshake
//! presents Kibana's own client certificate.

mod common;
mod es_support;

use std::fs;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

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
    server: Server,
}

fn handler(
    license: &'static str,
    ssl_certs: Arc<Mutex<String>>,
) -> impl Fn(&Seen) -> Reply + Send + Sync + 'static {
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
        "ssl.certificates" => {
            let body = ssl_certs.lock().unwrap().clone();
            if body.is_empty() {
                Reply::fixture("ssl.certificates.json")
            } else {
                Reply::new(200, body)
            }
        }
        _ => Reply::new(404, fixture("error.404.role_mapping.json")),
    }
}

/// Kibana connects with a token from its keystore and trusts the server's CA; `es_extra` is added to elasticsearch.yml.
fn env(token: &str, license: &'static str, es_extra: &str) -> Env {
    env_with(ClientAuth::None, token, license, es_extra, Arc::default())
}

/// As [`env`], with the server asking for client certificates as `client_auth` says
/// and answering `GET /_ssl/certificates` with `ssl_certs` (when not empty).
fn env_with(
    client_auth: ClientAuth,
    token: &str,
    license: &'static str,
    es_extra: &str,
    ssl_certs: Arc<Mutex<String>>,
) -> Env {
    let server = Server::start(
        Options {
            client_auth,
            ..Options::default()
        },
        handler(license, ssl_certs),
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
        server,
    }
}

/// `esmtls ARGS --es-config … --kibana-config …` whose stdout is JSON: the
/// exit code and the document.
fn run_json(e: &Env, args: &[&str]) -> (i32, serde_json::Value) {
    let mut c = esmtls(&e.root);
    c.env("ESMTLS_SECRET_STORE", "file")
        .args(args)
        .arg("--es-config")
        .arg(&e.es)
        .arg("--kibana-config")
        .arg(&e.kb);
    let o = run(&mut c);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|_| panic!("{}\n{}", stdout(&o), stderr(&o)));
    (o.status.code().unwrap(), v)
}

fn doctor(e: &Env) -> (i32, serde_json::Value) {
    // The fake cluster's CA and certificates live 30 days (es_support): inside
    // doctor's default warning window, so a narrower one keeps these checks
    // about the connection.
    run_json(e, &["doctor", "--json", "--warn-days", "7"])
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
    assert_eq!(rc, 2, "{v}");
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
    assert_eq!(rc, 2, "{v}");
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
    let (rc, v) = run_json(&e, &["status", "--json", "--es-url", &url]);
    // The fixture's certificates expired in 2021: exit 2, each listed with role cluster.
    assert_eq!(rc, 2, "{v}");
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

/// Under `client_authentication: required` the online check connects with
/// Kibana's own client certificate (elasticsearch.ssl.certificate/key): it
/// passes with it, and without it the refusal is a finding naming the cause.
#[test]
fn doctor_presents_kibanas_certificate_when_required() {
    let es_extra = "xpack.security.http.ssl.client_authentication: required\nxpack.security.http.ssl.certificate_authorities: [ \"certs/es-ca.crt\" ]\n";
    let e = env_with(
        ClientAuth::Required,
        TOKEN,
        "trial",
        es_extra,
        Arc::default(),
    );
    let yml = e.kb.join("kibana.yml");
    let without = fs::read_to_string(&yml).unwrap();
    let (rc, v) = doctor(&e);
    assert_eq!(rc, 2, "no client certificate must fail: {v}");
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "online-as-kibana")
        .unwrap_or_else(|| panic!("{v}"));
    assert!(
        f["message"].as_str().unwrap().contains("certificate"),
        "the finding must name the certificate: {f}"
    );

    let leaf = e.server.pki.client();
    let crt = e.kb.join("certs/kibana-client.crt");
    let key = e.kb.join("certs/kibana-client.key");
    fs::write(&crt, esmtls::pki::pem::cert(&leaf.cert_der)).unwrap();
    fs::write(
        &key,
        esmtls::pki::pem::key(&rcgen::KeyPair::try_from(leaf.key_der.as_slice()).unwrap()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).unwrap();
    fs::write(
        &yml,
        format!(
            "{without}elasticsearch.ssl.certificate: {}\nelasticsearch.ssl.key: {}\nelasticsearch.ssl.alwaysPresentCertificate: true\n",
            crt.display(),
            key.display()
        ),
    )
    .unwrap();
    let (rc, v) = doctor(&e);
    assert_eq!(rc, 0, "with Kibana's certificate the check passes: {v}");
    assert!(
        e.server
            .seen()
            .iter()
            .any(|r| r.api == "security.authenticate" && r.client_cert),
        "the handshake presented no client certificate"
    );
}

/// A local file that the node also reports (same path relative to the config
/// directory, same serial) is one entry marked `in_cluster`, not two.
#[test]
fn status_marks_local_files_the_node_reports() {
    let body = Arc::new(Mutex::new(String::new()));
    let es_extra = "xpack.security.http.ssl.certificate_authorities: [ \"certs/es-ca.crt\" ]\n";
    let e = env_with(ClientAuth::None, TOKEN, "trial", es_extra, body.clone());
    let (_, x509) = x509_parser::parse_x509_certificate(&e.server.pki.ca_der).unwrap();
    let serial: String = x509
        .tbs_certificate
        .raw_serial()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    *body.lock().unwrap() = serde_json::json!([{
        "path": "certs/es-ca.crt",
        "format": "PEM",
        "alias": null,
        "subject_dn": x509.subject().to_string(),
        "serial_number": serial,
        "has_private_key": false,
        "expiry": "2999-01-01T00:00:00.000Z"
    }])
    .to_string();
    let (_, v) = run_json(&e, &["status", "--json", "--es-url", &e.server.url()]);
    let certs = v["certificates"].as_array().unwrap();
    let es_ca = e.es.join("certs/es-ca.crt");
    let ours: Vec<&serde_json::Value> = certs
        .iter()
        .filter(|c| c["file"].as_str() == Some(es_ca.to_str().unwrap()))
        .collect();
    assert_eq!(ours.len(), 1, "one entry for the file: {v}");
    assert_eq!(ours[0]["in_cluster"], true, "{v}");
    assert!(ours[0]["role"] != "cluster", "{v}");
    assert!(
        certs.iter().all(|c| c["role"] != "cluster"),
        "the node reported nothing else: {v}"
    );
    // The Kibana side's copy of the same CA is not the node's file.
    assert!(
        certs
            .iter()
            .filter(|c| c["side"] == "kibana")
            .all(|c| c["in_cluster"] == false),
        "{v}"
    );
}
