//! `esmtls cert` end to end: defaults, outputs, and every bad input with its
//! message and the proof that nothing was written.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use serde_json::Value;

fn make_ca(dir: &Path, extra: &[&str]) {
    pw_file(dir, "pw", "changeme");
    let mut c = esmtls(dir);
    c.args(["cert", "ca", "--out", "ca.p12", "--password-file", "pw"])
        .args(extra);
    ok(run(&mut c));
}

fn inspect_json(dir: &Path, file: &str) -> Value {
    let out = ok(run(esmtls(dir).args([
        "cert",
        "inspect",
        "--json",
        "--password-file",
        "pw",
        file,
    ])));
    serde_json::from_str(&out).unwrap()
}

/// Runs a failing command; asserts exit 3 (bad input or setup), the message,
/// and that the directory did not change.
#[track_caller]
fn refused(dir: &Path, args: &[&str], message: &str) {
    refused_with(3, dir, args, message);
}

/// As [`refused`], for a command line clap itself refuses (exit 64).
#[track_caller]
fn usage_refused(dir: &Path, args: &[&str], message: &str) {
    refused_with(64, dir, args, message);
}

#[track_caller]
fn refused_with(code: i32, dir: &Path, args: &[&str], message: &str) {
    let before = listing(dir);
    let o = run(esmtls(dir).args(args));
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(code),
        "expected exit {code} for {args:?}; stderr: {err}"
    );
    assert!(
        err.contains(message),
        "for {args:?} expected {message:?} in:\n{err}"
    );
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains("changeme"), "a secret leaked: {err}");
    assert_eq!(
        listing(dir),
        before,
        "files changed after a refusal of {args:?}"
    );
}

#[test]
fn ca_defaults() {
    let d = tempfile::tempdir().unwrap();
    make_ca(d.path(), &[]);
    assert_eq!(mode(&d.path().join("ca.p12")), 0o600);
    let r = inspect_json(d.path(), "ca.p12");
    let e = &r[0]["entries"][0];
    assert_eq!(e["alias"], "ca");
    assert_eq!(e["role"], "key-certificate");
    let c = &e["certificate"];
    assert_eq!(c["subject"], "CN=esmtls CA");
    assert_eq!(c["is_ca"], true);
    assert_eq!(c["key_type"], "RSA");
    assert_eq!(c["key_bits"], 2048);
    let days = c["days_left"].as_i64().unwrap();
    assert!((1824..=1825).contains(&days), "{days}");
    assert_eq!(r[0]["pkcs12"]["mac"], "HMAC-SHA-256 (10000 iterations)");
}

#[test]
fn issue_pem_pair_and_p12_layout() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    make_ca(p, &["--key", "ec-p256", "--dn", "CN=Test CA,O=Example"]);
    ok(run(esmtls(p).args([
        "cert",
        "issue",
        "--ca",
        "ca.p12",
        "--ca-password-file",
        "pw",
        "--name",
        "CN=kibana,OU=ops,O=Example",
        "--client",
        "--key",
        "ec-p256",
        "--pem",
        "--out",
        "kibana.crt",
        "--days",
        "30",
    ])));
    assert_eq!(mode(&p.join("kibana.key")), 0o600);
    let key = fs::read_to_string(p.join("kibana.key")).unwrap();
    assert!(
        key.starts_with("-----BEGIN PRIVATE KEY-----"),
        "PKCS#8 expected"
    );
    let chain = fs::read_to_string(p.join("kibana.crt")).unwrap();
    assert_eq!(
        chain.matches("BEGIN CERTIFICATE").count(),
        2,
        "certificate then CA"
    );
    let r = inspect_json(p, "kibana.crt");
    let leaf = &r[0]["entries"][0]["certificate"];
    assert_eq!(leaf["subject"], "CN=kibana, OU=ops, O=Example");
    assert_eq!(leaf["subject_rfc2253"], "CN=kibana,OU=ops,O=Example");
    assert_eq!(leaf["issuer"], "CN=Test CA, O=Example");
    assert_eq!(leaf["eku"], serde_json::json!(["clientAuth"]));
    assert_eq!(leaf["days_left"], 30, "issued for 30 days: 30 left");
    assert_eq!(r[0]["entries"][1]["certificate"]["is_ca"], true);

    ok(run(esmtls(p).args([
        "cert",
        "issue",
        "--ca",
        "ca.p12",
        "--ca-password-file",
        "pw",
        "--name",
        "es01",
        "--server",
        "--dns",
        "es01,localhost",
        "--ip",
        "127.0.0.1,::1",
        "--out",
        "http.p12",
        "--password-file",
        "pw",
    ])));
    let r = inspect_json(p, "http.p12");
    let entries = r[0]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0]["alias"], "es01");
    assert_eq!(
        entries[0]["certificate"]["sans"],
        serde_json::json!(["DNS:es01", "DNS:localhost", "IP:127.0.0.1", "IP:::1"])
    );
    assert_eq!(
        entries[0]["certificate"]["eku"],
        serde_json::json!(["serverAuth"])
    );
    assert_eq!(entries[1]["alias"], "ca");
    assert_eq!(entries[1]["role"], "trusted");
}

#[test]
fn overwrite_needs_force_and_keeps_a_backup() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    make_ca(p, &["--key", "ec-p256"]);
    let old = fs::read(p.join("ca.p12")).unwrap();
    refused(
        p,
        &[
            "cert",
            "ca",
            "--out",
            "ca.p12",
            "--password-file",
            "pw",
            "--key",
            "ec-p256",
        ],
        "ca.p12 already exists; pass --force",
    );
    ok(run(esmtls(p).args([
        "cert",
        "ca",
        "--out",
        "ca.p12",
        "--password-file",
        "pw",
        "--key",
        "ec-p256",
        "--force",
    ])));
    let backups: Vec<String> = listing(p)
        .into_iter()
        .filter(|n| n.starts_with("ca.p12.esmtls-") && n.ends_with(".bak"))
        .collect();
    assert_eq!(backups.len(), 1, "{:?}", listing(p));
    assert_eq!(fs::read(p.join(&backups[0])).unwrap(), old);
    assert_eq!(mode(&p.join(&backups[0])), 0o600);
}

#[test]
fn extract_ca_works_on_a_ca_own_p12() {
    // OpenSSL's -cacerts prints nothing for a CA's own p12 (its certificate has a key);
    // esmtls picks by role.
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    make_ca(p, &["--key", "ec-p256"]);
    ok(run(esmtls(p).args([
        "cert",
        "extract-ca",
        "--in",
        "ca.p12",
        "--out",
        "ca.crt",
        "--password-file",
        "pw",
    ])));
    let pem = fs::read_to_string(p.join("ca.crt")).unwrap();
    assert_eq!(pem.matches("BEGIN CERTIFICATE").count(), 1);
    assert_eq!(mode(&p.join("ca.crt")), 0o644);
    // A second run with the same input changes nothing.
    let o = run(esmtls(p).args([
        "cert",
        "extract-ca",
        "--in",
        "ca.p12",
        "--out",
        "ca.crt",
        "--password-file",
        "pw",
    ]));
    assert!(stderr(&o).contains("unchanged ca.crt"), "{}", stderr(&o));
}

#[test]
fn two_key_http_p12_uses_the_ca_key_and_says_so() {
    use esmtls::pki::{self, build, pkcs12};
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    // The shape of Elasticsearch's auto-configured certs/http.p12: keys http_ca and http.
    let ca = build::new_ca(&pki::CaSpec {
        dn: "CN=Elasticsearch security auto-configuration HTTP CA".into(),
        days: 100,
        key: pki::KeyType::EcP256,
    })
    .unwrap();
    let cam = build::CaMaterial {
        cert_der: ca.cert_der.clone(),
        key: ca.key,
        chain_der: vec![],
    };
    let http = build::issue(
        &pki::LeafSpec {
            name: "node1".into(),
            dns: vec!["localhost".into()],
            ips: vec![],
            usage: pki::Usage::Server,
            days: 50,
            key: pki::KeyType::EcP256,
        },
        &cam,
    )
    .unwrap();
    let contents = pkcs12::Contents {
        keys: vec![
            pkcs12::KeyEntry {
                alias: "http".into(),
                key_pkcs8: http.key.serialize_der(),
                chain: vec![http.cert_der.clone(), ca.cert_der.clone()],
            },
            pkcs12::KeyEntry {
                alias: "http_ca".into(),
                key_pkcs8: cam.key.serialize_der(),
                chain: vec![ca.cert_der.clone()],
            },
        ],
        certs: vec![],
    };
    fs::write(
        p.join("http.p12"),
        pkcs12::write(&contents, "autopw").unwrap(),
    )
    .unwrap();
    pw_file(p, "capw", "autopw");
    pw_file(p, "pw", "changeme");
    let o = run(esmtls(p).args([
        "cert",
        "issue",
        "--ca",
        "http.p12",
        "--ca-password-file",
        "capw",
        "--name",
        "kibana",
        "--client",
        "--out",
        "kibana.p12",
        "--password-file",
        "pw",
    ]));
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("http.p12 holds 2 keys; using 'http_ca' (the CA) to sign and ignoring 'http'"),
        "{err}"
    );
    let r = inspect_json(p, "kibana.p12");
    assert_eq!(
        r[0]["entries"][0]["certificate"]["issuer"],
        "CN=Elasticsearch security auto-configuration HTTP CA"
    );
}

#[test]
fn legacy_p12_is_flagged_and_modernized() {
    use p12_keystore::{
        Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKey,
        PrivateKeyChain,
    };
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let ca = esmtls::pki::build::new_ca(&esmtls::pki::CaSpec {
        key: esmtls::pki::KeyType::Rsa2048,
        ..Default::default()
    })
    .unwrap();
    let mut ks = KeyStore::new();
    let chain = PrivateKeyChain::new(
        b"id1".as_slice(),
        PrivateKey::from_der(&ca.key.serialize_der()).unwrap(),
        [Certificate::from_der(&ca.cert_der).unwrap()],
    );
    ks.add_entry("legacy-ca", KeyStoreEntry::PrivateKeyChain(chain));
    let old = ks
        .writer("changeme")
        .encryption_algorithm(EncryptionAlgorithm::PbeWithShaAnd40BitRc4Cbc)
        .mac_algorithm(MacAlgorithm::HmacSha1)
        .write()
        .unwrap();
    fs::write(p.join("old.p12"), old).unwrap();
    pw_file(p, "pw", "changeme");
    let out = ok(run(esmtls(p).args([
        "cert",
        "inspect",
        "--password-file",
        "pw",
        "old.p12",
    ])));
    assert!(out.contains("PBE-SHA1-RC2-40"), "{out}");
    assert!(
        out.contains("OpenSSL 3 cannot read this without -legacy"),
        "{out}"
    );
    assert!(out.contains("MAC SHA-1"), "{out}");
    ok(run(esmtls(p).args([
        "cert",
        "modernize",
        "--in",
        "old.p12",
        "--out",
        "new.p12",
        "--password-file",
        "pw",
    ])));
    let r = inspect_json(p, "new.p12");
    assert_eq!(r[0]["pkcs12"]["legacy"], serde_json::json!([]));
    assert_eq!(r[0]["entries"][0]["alias"], "legacy-ca");
    assert_eq!(mode(&p.join("new.p12")), 0o600);
    if have("openssl") {
        let o = run(std::process::Command::new("openssl")
            .current_dir(p)
            .args(["pkcs12", "-in", "old.p12", "-nokeys", "-passin", "file:pw"]));
        assert!(
            !o.status.success(),
            "OpenSSL 3 should refuse RC2-40 without -legacy"
        );
        ok(run(std::process::Command::new("openssl")
            .current_dir(p)
            .args([
                "pkcs12", "-in", "new.p12", "-nokeys", "-passin", "file:pw",
            ])));
    }
}

#[test]
fn bad_inputs_are_refused_and_nothing_is_written() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    make_ca(p, &["--key", "ec-p256"]);
    pw_file(p, "wrong", "not-it");
    let issue = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "cert",
            "issue",
            "--name",
            "kibana",
            "--client",
            "--out",
            "out.p12",
            "--password-file",
            "pw",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run_refused = |extra: &[&str], msg: &str| {
        let args = issue(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(p, &args, msg);
    };
    run_refused(
        &["--ca", "ca.p12", "--ca-password-file", "wrong"],
        "wrong password for ca.p12",
    );
    fs::write(p.join("junk.p12"), b"this is not a certificate at all").unwrap();
    run_refused(
        &["--ca", "junk.p12", "--ca-password-file", "pw"],
        "junk.p12 is not a readable",
    );
    let full = fs::read(p.join("ca.p12")).unwrap();
    fs::write(p.join("short.p12"), &full[..full.len() / 2]).unwrap();
    run_refused(
        &["--ca", "short.p12", "--ca-password-file", "pw"],
        "short.p12 is not a readable",
    );
    ok(run(esmtls(p).args([
        "cert",
        "extract-ca",
        "--in",
        "ca.p12",
        "--out",
        "ca.crt",
        "--password-file",
        "pw",
    ])));
    run_refused(
        &["--ca", "ca.crt"],
        "holds the CA certificate without its private key; pass the key with --ca-key FILE",
    );
    // A leaf used as a CA.
    ok(run(esmtls(p).args([
        "cert",
        "issue",
        "--ca",
        "ca.p12",
        "--ca-password-file",
        "pw",
        "--name",
        "leaf",
        "--server",
        "--key",
        "ec-p256",
        "--pem",
        "--out",
        "leaf.crt",
    ])));
    run_refused(
        &["--ca", "leaf.crt", "--ca-key", "leaf.key"],
        "is not a CA (basicConstraints CA:TRUE is missing)",
    );
    run_refused(
        &[
            "--ca",
            "ca.p12",
            "--ca-password-file",
            "pw",
            "--dns",
            "bad name",
        ],
        "--dns 'bad name' is not a valid DNS name",
    );
    run_refused(
        &[
            "--ca",
            "ca.p12",
            "--ca-password-file",
            "pw",
            "--ip",
            "10.0.0.300",
        ],
        "--ip '10.0.0.300' is not a valid IP address",
    );
    let args = issue(&["--ca", "ca.p12", "--ca-password-file", "pw", "--days", "0"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    usage_refused(
        p,
        &args,
        "the certificate must be valid for at least one day",
    );
    run_refused(
        &[
            "--ca",
            "ca.p12",
            "--ca-password-file",
            "pw",
            "--key",
            "ec-p256",
        ],
        "Use --pem (Kibana settings elasticsearch.ssl.certificate",
    );
    refused(
        p,
        &[
            "cert",
            "issue",
            "--ca",
            "ca.p12",
            "--ca-password-file",
            "pw",
            "--name",
            "",
            "--client",
            "--out",
            "o.p12",
            "--password-file",
            "pw",
        ],
        "the name is empty",
    );
    refused(
        p,
        &[
            "cert",
            "ca",
            "--out",
            "missing/ca.p12",
            "--password-file",
            "pw",
        ],
        "the directory missing does not exist",
    );
    refused(
        p,
        &["cert", "ca", "--out", "pw/ca.p12", "--password-file", "pw"],
        "cannot write in pw: it is not a directory",
    );
    refused(
        p,
        &["cert", "ca", "--out", "nopw.p12"],
        "there is no terminal to ask it on; use --password-file FILE or --password-stdin",
    );
    usage_refused(
        p,
        &[
            "cert",
            "ca",
            "--out",
            "x.p12",
            "--password-file",
            "pw",
            "--days",
            "0",
        ],
        "at least one day",
    );
    refused(
        p,
        &[
            "cert",
            "ca",
            "--out",
            "x.p12",
            "--password-file",
            "pw",
            "--dn",
            "CN=a,DC=x,DC=y",
        ],
        "DC appears twice",
    );
}

#[test]
fn expired_ca_is_refused_unless_forced() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Old CA");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let cert = params.self_signed(&key).unwrap();
    fs::write(p.join("old.crt"), cert.pem()).unwrap();
    fs::write(p.join("old.key"), key.serialize_pem()).unwrap();
    pw_file(p, "pw", "changeme");
    let args = [
        "cert", "issue", "--ca", "old.crt", "--ca-key", "old.key", "--name", "k", "--server",
        "--key", "ec-p256", "--pem", "--out", "k.crt",
    ];
    refused(p, &args, "expired on");
    let o = run(esmtls(p).args(args).arg("--force"));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: the CA in old.crt (CN=Old CA) expired on"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn password_from_stdin_and_never_echoed() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let mut c = esmtls(p);
    c.args([
        "cert",
        "ca",
        "--out",
        "ca.p12",
        "--password-stdin",
        "--key",
        "ec-p256",
    ])
    .stdin(std::process::Stdio::piped());
    c.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"s3cret-stdin\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("s3cret") && !stdout(&o).contains("s3cret"));
    pw_file(p, "pw", "s3cret-stdin");
    inspect_json(p, "ca.p12");
}

#[test]
fn help_completions_and_man_page() {
    let d = tempfile::tempdir().unwrap();
    for sub in [
        &["cert", "--help"][..],
        &["cert", "issue", "--help"],
        &["cert", "inspect", "--help"],
        &["cert", "modernize", "--help"],
        &["cert", "extract-ca", "--help"],
        &["cert", "ca", "--help"],
    ] {
        let out = ok(run(esmtls(d.path()).args(sub)));
        assert!(out.contains("Usage: esmtls cert"), "{out}");
    }
    assert!(ok(run(esmtls(d.path()).args(["completions", "bash"]))).contains("_esmtls"));
    assert!(ok(run(esmtls(d.path()).args(["man"]))).contains(".TH esmtls"));
}
