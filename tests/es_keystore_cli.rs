//! `esmtls keystore elasticsearch create --es-url`: the keystore format follows
//! the version the running node reports (`GET /`), served here by the local
//! HTTPS test server of `tests/es_support`.

mod es_support;

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use es_support::{ClientAuth, Options, Reply, Server, fixture};

fn esmtls(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_esmtls"));
    c.args(["keystore", "elasticsearch", "--path"])
        .arg(dir.join("elasticsearch.keystore"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    c.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn format_of(dir: &Path) -> u8 {
    fs::read(dir.join("elasticsearch.keystore")).unwrap()[30]
}

/// A node answering `GET /` with the documented body, its version replaced.
fn node(version: &'static str) -> Server {
    let opts = Options {
        client_auth: ClientAuth::Optional,
        ..Options::default()
    };
    Server::start(opts, move |r| {
        if r.header("authorization").is_none() {
            return Reply::new(401, fixture("error.401.json"));
        }
        Reply::new(200, fixture("info.json").replace("8.12.1", version))
    })
}

const CREDS: [(&str, &str); 2] = [
    ("ESMTLS_ES_USERNAME", "elastic"),
    ("ESMTLS_ES_PASSWORD", "es-admin-pw"),
];

#[test]
fn version_from_the_running_node() {
    let server = node("8.12.1");
    let d = tempfile::tempdir().unwrap();
    let ca = d.path().join("http_ca.crt");
    fs::write(&ca, esmtls::pki::pem::cert(&server.pki.ca_der)).unwrap();
    let url = server.url();
    // A proxy that does not exist: loopback hosts must be reached directly.
    let env = [
        CREDS[0],
        CREDS[1],
        ("HTTPS_PROXY", "http://127.0.0.1:1"),
        ("ALL_PROXY", "http://127.0.0.1:1"),
    ];
    let o = esmtls(
        d.path(),
        &["create", "--es-url", &url, "--es-ca", ca.to_str().unwrap()],
        &env,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Elasticsearch 8.12.1 answers at"),
        "{}",
        stderr(&o)
    );
    assert_eq!(format_of(d.path()), 5, "8.12 reads format 5");
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].api, "info");
    assert!(
        seen[0]
            .header("authorization")
            .unwrap()
            .starts_with("Basic ")
    );
}

#[test]
fn version_with_a_pinned_ca_fingerprint() {
    let server = node("9.1.0");
    let d = tempfile::tempdir().unwrap();
    let fp = esmtls::pki::inspect::fingerprint(&server.pki.ca_der);
    let url = server.localhost_url();
    let o = esmtls(
        d.path(),
        &["create", "--es-url", &url, "--es-ca-fingerprint", &fp],
        &[("ESMTLS_ES_API_KEY", "a2V5OnZhbHVl")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(format_of(d.path()), 7, "9.x reads format 7");
    assert_eq!(
        server.seen()[0].header("authorization"),
        Some("ApiKey a2V5OnZhbHVl")
    );
}

#[test]
fn refused_credentials_write_nothing() {
    let server = node("8.12.1");
    let d = tempfile::tempdir().unwrap();
    let fp = esmtls::pki::inspect::fingerprint(&server.pki.ca_der);
    let url = server.url();
    let o = esmtls(
        d.path(),
        &["create", "--es-url", &url, "--es-ca-fingerprint", &fp],
        &[],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("cannot read the Elasticsearch version"),
        "{err}"
    );
    assert!(err.contains("without credentials"), "{err}");
    assert!(!d.path().join("elasticsearch.keystore").exists());

    let o = esmtls(
        d.path(),
        &["create", "--es-url", &url, "--es-ca-fingerprint", &fp],
        &[("ESMTLS_ES_USERNAME", "elastic")],
    );
    assert!(stderr(&o).contains("ESMTLS_ES_PASSWORD"), "{}", stderr(&o));
    assert!(!d.path().join("elasticsearch.keystore").exists());
}

#[test]
fn unreachable_node_falls_back_to_es_version_only_when_given() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("https://127.0.0.1:{port}");
    let d = tempfile::tempdir().unwrap();
    let ca = d.path().join("ca.crt");
    fs::write(&ca, esmtls::pki::pem::cert(&es_support::Pki::new().ca_der)).unwrap();
    let ca = ca.to_str().unwrap();

    let o = esmtls(
        d.path(),
        &["create", "--es-url", &url, "--es-ca", ca],
        &CREDS,
    );
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(err.contains("cannot reach Elasticsearch at"), "{err}");
    assert!(err.contains("--es-version"), "{err}");

    let o = esmtls(
        d.path(),
        &[
            "create",
            "--es-url",
            &url,
            "--es-ca",
            ca,
            "--es-version",
            "8.15.0",
        ],
        &CREDS,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: cannot reach"),
        "{}",
        stderr(&o)
    );
    assert_eq!(format_of(d.path()), 6);
}

#[test]
fn es_url_is_only_for_elasticsearch_and_not_with_format() {
    let d = tempfile::tempdir().unwrap();
    let o = esmtls(
        d.path(),
        &[
            "create",
            "--format",
            "5",
            "--es-url",
            "https://localhost:9200",
        ],
        &[],
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
    let o = esmtls(d.path(), &["create", "--es-ca", "x.crt"], &[]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--es-url"), "{}", stderr(&o));
}
