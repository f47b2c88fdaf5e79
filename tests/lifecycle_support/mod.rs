//! Shared by the lifecycle tests (status, renew, doctor): a package-like
//! seed that `esmtls apply` turns into a healthy setup, the binary run on it,
//! and a small PKI made in the test (rcgen) for certificates esmtls would
//! never issue: expired ones, wrong EKU, intermediates.
//!
//! Expired certificates are generated here with rcgen parameters (not_before
//! and not_after in the past), signed by a CA made with `esmtls::pki`.
#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use esmtls::keystore::{EsKeystore, KibanaKeystore};
use esmtls::pki::build::{CaMaterial, LeafSpec, Usage, issue, new_ca};
use esmtls::pki::{CaSpec, KeyType, pem};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, SanType,
};
use time::{Duration, OffsetDateTime};

use crate::common::{esmtls, run, stderr, stdout};

pub const ES_YML: &str = "cluster.name: test\n#network.host: 192.168.0.1\n";
pub const KB_YML: &str =
    "# Kibana\nelasticsearch.username: \"kibana_system\"\nelasticsearch.password: \"pass\"\n";

pub struct Env {
    pub _tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub es: PathBuf,
    pub kb: PathBuf,
}

/// A package-like install: elasticsearch.yml and a fresh keystore (0600, as
/// packages make it unreadable for others), kibana.yml with username/password.
pub fn seed() -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let (es, kb) = crate::common::setups::package_dirs(&root, ES_YML, KB_YML);
    let p = es.join("elasticsearch.keystore");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
    Env {
        _tmp: tmp,
        root,
        es,
        kb,
    }
}

/// esmtls on this setup (file secret store, HOME in the temp dir).
pub fn cmd(env: &Env, args: &[&str]) -> Command {
    let mut c = esmtls(&env.root);
    c.env("ESMTLS_SECRET_STORE", "file").args(args);
    c.arg("--es-config")
        .arg(&env.es)
        .arg("--kibana-config")
        .arg(&env.kb);
    c
}

/// `esmtls apply --yes` with these answers; panics on failure.
pub fn apply(env: &Env, answers: &str) {
    let a = env.root.join("answers.yml");
    fs::write(&a, answers).unwrap();
    let o = run(&mut cmd(
        env,
        &["apply", "--yes", "--answers", a.to_str().unwrap()],
    ));
    assert!(
        o.status.success(),
        "apply failed:\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
}

/// A healthy mtls-token setup made by `esmtls apply`, plus `extra` answers.
pub fn healthy(extra: &str) -> Env {
    let env = seed();
    apply(
        &env,
        &format!("mode: mtls-token\nlicense: platinum\n{extra}"),
    );
    env
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// `esmtls <args>` as JSON, with its exit code.
pub fn json(env: &Env, args: &[&str]) -> (i32, serde_json::Value) {
    let o = run(&mut cmd(env, args));
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}):\n{}\n{}", stdout(&o), stderr(&o)));
    (code(&o), v)
}

/// The password of Kibana's PKCS#12, from kibana.keystore.
pub fn kb_p12_password(env: &Env) -> String {
    let ks = KibanaKeystore::load(&env.kb.join("kibana.keystore"), None).unwrap();
    ks.get("elasticsearch.ssl.keystore.password")
        .unwrap()
        .expose()
        .to_string()
}

/// The password of Elasticsearch's HTTP PKCS#12, from elasticsearch.keystore.
pub fn es_p12_password(env: &Env) -> String {
    let ks = EsKeystore::load(&env.es.join("elasticsearch.keystore"), None).unwrap();
    ks.get_string("xpack.security.http.ssl.keystore.secure_password")
        .unwrap()
        .expose()
        .to_string()
}

/// Replaces `from` by `to` in a file (which must contain it).
pub fn replace(path: &Path, from: &str, to: &str) {
    let t = fs::read_to_string(path).unwrap();
    assert!(
        t.contains(from),
        "{} does not contain {from:?}:\n{t}",
        path.display()
    );
    fs::write(path, t.replacen(from, to, 1)).unwrap();
}

pub fn append(path: &Path, text: &str) {
    let mut t = fs::read_to_string(path).unwrap_or_default();
    t.push_str(text);
    fs::write(path, t).unwrap();
}

/// A CA made by esmtls's own builder.
pub fn ca(dn: &str) -> CaMaterial {
    let i = new_ca(&CaSpec {
        dn: dn.into(),
        days: 3650,
        key: KeyType::Rsa2048,
    })
    .unwrap();
    CaMaterial {
        cert_der: i.cert_der,
        key: i.key,
        chain_der: Vec::new(),
    }
}

/// A leaf from `ca` as (certificate PEM, key PEM).
pub fn leaf(ca: &CaMaterial, name: &str, dns: &[&str], usage: Usage) -> (String, String) {
    let spec = LeafSpec {
        name: name.into(),
        dns: dns.iter().map(|s| s.to_string()).collect(),
        ips: Vec::new(),
        usage,
        days: 365,
        key: KeyType::Rsa2048,
    };
    let i = issue(&spec, ca).unwrap();
    (pem::cert(&i.cert_der), pem::key(&i.key))
}

/// A leaf that expired `ago` days ago (validity set in the past with rcgen).
pub fn expired_leaf(
    ca: &CaMaterial,
    cn: &str,
    dns: &[&str],
    eku: ExtendedKeyUsagePurpose,
    ago: i64,
) -> (String, String) {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.subject_alt_names = dns
        .iter()
        .map(|d| SanType::DnsName((*d).try_into().unwrap()))
        .collect();
    p.extended_key_usages = vec![eku];
    p.is_ca = IsCa::ExplicitNoCa;
    let now = OffsetDateTime::now_utc();
    p.not_before = now - Duration::days(400);
    p.not_after = now - Duration::days(ago);
    p.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)
        .or_else(|_| KeyType::Rsa2048.generate())
        .unwrap();
    let issuer = Issuer::from_ca_cert_der(&ca.cert_der.as_slice().into(), &ca.key).unwrap();
    let c = p.signed_by(&key, &issuer).unwrap();
    (pem::cert(c.der()), key.serialize_pem())
}

/// A self-signed CA that expired `ago` days ago.
pub fn expired_ca(dn: &str, ago: i64) -> CaMaterial {
    let mut p = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, dn);
    p.distinguished_name = name;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let now = OffsetDateTime::now_utc();
    p.not_before = now - Duration::days(800);
    p.not_after = now - Duration::days(ago);
    let key = KeyType::Rsa2048.generate().unwrap();
    let c = p.self_signed(&key).unwrap();
    CaMaterial {
        cert_der: c.der().to_vec(),
        key,
        chain_der: Vec::new(),
    }
}

/// An intermediate CA signed by `root`.
pub fn intermediate(root: &CaMaterial, cn: &str) -> CaMaterial {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    p.use_authority_key_identifier_extension = true;
    let key = KeyType::Rsa2048.generate().unwrap();
    let issuer = Issuer::from_ca_cert_der(&root.cert_der.as_slice().into(), &root.key).unwrap();
    let c = p.signed_by(&key, &issuer).unwrap();
    CaMaterial {
        cert_der: c.der().to_vec(),
        key,
        chain_der: vec![root.cert_der.clone()],
    }
}

/// Writes text into `dir/name` and returns the path.
pub fn put(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, text).unwrap();
    p
}

/// An expired Kibana server certificate in place: its PEM texts and where
/// they are.
pub struct KibanaServer {
    pub crt: String,
    pub key: String,
    pub crt_path: PathBuf,
    pub key_path: PathBuf,
}

/// A Kibana server certificate from `ca` (`CN=cn`, SAN kibana.example.com,
/// serverAuth) that expired `ago` days ago, written to
/// `certs/kibana-server.{crt,key}` and set as `server.ssl.*` in kibana.yml.
pub fn expired_kibana_server(env: &Env, ca: &CaMaterial, cn: &str, ago: i64) -> KibanaServer {
    let (crt, key) = expired_leaf(
        ca,
        cn,
        &["kibana.example.com"],
        ExtendedKeyUsagePurpose::ServerAuth,
        ago,
    );
    let crt_path = put(&env.kb, "certs/kibana-server.crt", &crt);
    let key_path = put(&env.kb, "certs/kibana-server.key", &key);
    append(
        &env.kb.join("kibana.yml"),
        &format!(
            "server.ssl.enabled: true\nserver.ssl.certificate: {}\nserver.ssl.key: {}\n",
            crt_path.display(),
            key_path.display()
        ),
    );
    KibanaServer {
        crt,
        key,
        crt_path,
        key_path,
    }
}

/// `esmtls cert inspect --json FILE` (with the password, when given).
pub fn inspect(env: &Env, file: &str, pw: Option<&str>) -> serde_json::Value {
    let mut c = crate::common::esmtls(&env.root);
    c.args(["cert", "inspect", "--json"]);
    if let Some(pw) = pw {
        let f = crate::common::pw_file(&env.root, "inspect-pw", pw);
        c.arg("--password-file").arg(f);
    }
    c.arg(file);
    serde_json::from_str(&crate::common::ok(run(&mut c))).unwrap()
}

/// The first leaf (not a CA) of an `inspect` report.
pub fn leaf_of(report: &serde_json::Value) -> serde_json::Value {
    report[0]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["certificate"]["is_ca"] == false)
        .unwrap()["certificate"]
        .clone()
}
