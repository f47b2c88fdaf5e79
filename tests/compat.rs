//! Real consumers read what `esmtls cert` writes: OpenSSL 3 (no -legacy), the
//! JDK (keytool and KeyStore/KeyManagerFactory as Elasticsearch loads it),
//! node-forge as Kibana's readPkcs12Keystore uses it, and a real mutual-TLS
//! handshake between a JSSE server and a Node 20 client. Every key type, both
//! PKCS#12 and PEM output. Only 127.0.0.1; every process started is waited for.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::consumers::{forge, java_class_dir, node_client, server_log, start_server};
use common::*;

const KEY_TYPES: [&str; 5] = ["rsa2048", "rsa3072", "rsa4096", "ec-p256", "ec-p384"];

fn openssl(dir: &Path, args: &[&str]) -> String {
    ok(run(Command::new("openssl").current_dir(dir).args(args)))
}

/// CA, server (3 SANs) and client certificates of one key type, as PKCS#12 and PEM.
fn bundle(dir: &Path, key: &str) {
    pw_file(dir, "pw", "changeme");
    let e = |args: &[&str]| ok(run(esmtls(dir).args(args)));
    e(&[
        "cert",
        "ca",
        "--out",
        "ca.p12",
        "--password-file",
        "pw",
        "--key",
        key,
    ]);
    e(&[
        "cert",
        "extract-ca",
        "--in",
        "ca.p12",
        "--out",
        "ca.crt",
        "--password-file",
        "pw",
    ]);
    let common = ["--ca", "ca.p12", "--ca-password-file", "pw", "--key", key];
    e(&[
        &["cert", "issue"][..],
        &common,
        &[
            "--name",
            "es01",
            "--server",
            "--dns",
            "localhost,es01",
            "--ip",
            "127.0.0.1",
            "--out",
            "http.p12",
            "--password-file",
            "pw",
        ],
    ]
    .concat());
    e(&[
        &["cert", "issue"][..],
        &common,
        &[
            "--name",
            "es01",
            "--server",
            "--dns",
            "localhost,es01",
            "--ip",
            "127.0.0.1",
            "--pem",
            "--out",
            "http.crt",
        ],
    ]
    .concat());
    e(&[
        &["cert", "issue"][..],
        &common,
        &[
            "--name",
            "kibana-client",
            "--client",
            "--pem",
            "--out",
            "kibana-client.crt",
        ],
    ]
    .concat());
    if key.starts_with("rsa") {
        e(&[
            &["cert", "issue"][..],
            &common,
            &[
                "--name",
                "kibana-client",
                "--client",
                "--out",
                "kibana-client.p12",
                "--password-file",
                "pw",
            ],
        ]
        .concat());
        e(&[
            "cert",
            "extract-ca",
            "--in",
            "kibana-client.p12",
            "--out",
            "kibana-ca.crt",
            "--password-file",
            "pw",
        ]);
    }
}

fn p12s(key: &str) -> Vec<(&'static str, &'static str)> {
    let mut v = vec![("http.p12", "es01")];
    if key.starts_with("rsa") {
        v.push(("kibana-client.p12", "kibana-client"));
    }
    v
}

#[test]
fn openssl_reads_everything_without_legacy() {
    if !have("openssl") {
        return;
    }
    for key in KEY_TYPES {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        bundle(p, key);
        for (file, _) in p12s(key) {
            openssl(
                p,
                &[
                    "pkcs12", "-info", "-in", file, "-passin", "file:pw", "-noout",
                ],
            );
            // The guide's own step-2 command.
            let cas = openssl(
                p,
                &[
                    "pkcs12", "-in", file, "-cacerts", "-nokeys", "-passin", "file:pw",
                ],
            );
            assert_eq!(
                cas.matches("BEGIN CERTIFICATE").count(),
                1,
                "{key} {file}: {cas}"
            );
            let all = openssl(p, &["pkcs12", "-in", file, "-nodes", "-passin", "file:pw"]);
            assert!(all.contains("PRIVATE KEY"), "{key} {file}");
            std::fs::write(
                p.join("leaf.pem"),
                openssl(
                    p,
                    &[
                        "pkcs12", "-in", file, "-clcerts", "-nokeys", "-passin", "file:pw",
                    ],
                ),
            )
            .unwrap();
            assert!(
                openssl(p, &["verify", "-CAfile", "ca.crt", "leaf.pem"]).contains("leaf.pem: OK")
            );
        }
        for (crt, k) in [
            ("http.crt", "http.key"),
            ("kibana-client.crt", "kibana-client.key"),
        ] {
            assert!(
                openssl(p, &["verify", "-CAfile", "ca.crt", crt]).contains(": OK"),
                "{key} {crt}"
            );
            let from_cert = openssl(p, &["x509", "-in", crt, "-noout", "-pubkey"]);
            let from_key = openssl(p, &["pkey", "-in", k, "-pubout"]);
            assert_eq!(from_cert, from_key, "{key}: {k} does not match {crt}");
        }
        let ext = openssl(
            p,
            &[
                "x509",
                "-in",
                "kibana-client.crt",
                "-noout",
                "-ext",
                "extendedKeyUsage,subjectKeyIdentifier,authorityKeyIdentifier",
            ],
        );
        assert!(
            ext.contains("TLS Web Client Authentication")
                && ext.contains("Subject Key Identifier")
                && ext.contains("Authority Key Identifier"),
            "{ext}"
        );
        let sans = openssl(
            p,
            &[
                "x509",
                "-in",
                "http.crt",
                "-noout",
                "-ext",
                "subjectAltName,extendedKeyUsage",
            ],
        );
        assert!(
            sans.contains("DNS:localhost, DNS:es01, IP Address:127.0.0.1")
                && sans.contains("TLS Web Server Authentication"),
            "{sans}"
        );
        if key.starts_with("rsa") {
            assert_eq!(
                std::fs::read(p.join("kibana-ca.crt")).unwrap(),
                std::fs::read(p.join("ca.crt")).unwrap()
            );
        }
    }
}

#[test]
fn jdk_keytool_and_keystore_load_everything() {
    let Some(classes) = java_class_dir() else {
        return;
    };
    if !have("keytool") {
        return;
    }
    for key in KEY_TYPES {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        bundle(p, key);
        for (file, alias) in p12s(key) {
            let list = ok(run(Command::new("keytool").current_dir(p).args([
                "-list",
                "-v",
                "-storetype",
                "PKCS12",
                "-keystore",
                file,
                "-storepass",
                "changeme",
            ])));
            assert!(
                list.contains(&format!("Alias name: {alias}\n"))
                    && list.contains("Entry type: PrivateKeyEntry"),
                "{key} {file}: {list}"
            );
            assert!(
                list.contains("Alias name: ca\n") && list.contains("Entry type: trustedCertEntry"),
                "{key} {file}: {list}"
            );
            let out = ok(run(Command::new("java")
                .current_dir(p)
                .arg("-cp")
                .arg(classes.path())
                .args(["P12Check", file, "pw"])));
            assert!(
                out.contains(&format!("KEY {alias} "))
                    && out.contains("TRUSTED ca CN=esmtls CA")
                    && out.ends_with("OK\n"),
                "{key} {file}: {out}"
            );
        }
        // The subject esmtls reports is Java's X500Principal.toString() (the pki_dn).
        ok(run(esmtls(p).args([
            "cert",
            "issue",
            "--ca",
            "ca.p12",
            "--ca-password-file",
            "pw",
            "--name",
            "CN=kibana,OU=ops,O=Example\\, Inc,C=DE",
            "--client",
            "--key",
            "ec-p256",
            "--pem",
            "--out",
            "dn.crt",
        ])));
        let printed = ok(run(Command::new("keytool").current_dir(p).args([
            "-printcert",
            "-file",
            "dn.crt",
        ])));
        let json: serde_json::Value = serde_json::from_str(&ok(run(
            esmtls(p).args(["cert", "inspect", "--json", "dn.crt"])
        )))
        .unwrap();
        let ours = json[0]["entries"][0]["certificate"]["subject"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            printed.contains(&format!("Owner: {ours}\n")),
            "esmtls says {ours:?}, keytool:\n{printed}"
        );
    }
}

#[test]
fn node_forge_reads_kibana_pkcs12_like_kibana() {
    for key in KEY_TYPES {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        bundle(p, key);
        if key.starts_with("rsa") {
            let Some(v) = forge(p, "kibana-client.p12") else {
                return;
            };
            assert_eq!(v["error"], serde_json::Value::Null, "{key}: {v}");
            assert_eq!(v["keys"], 1, "{key}: {v}");
            assert_eq!(v["keyDecoded"], true, "{key}: {v}");
            assert_eq!(v["cert"], "kibana-client", "{key}: {v}");
            assert_eq!(v["cas"], serde_json::json!(["esmtls CA"]), "{key}: {v}");
        } else {
            // The claim behind refusing EC keys in a Kibana PKCS#12: node-forge
            // sees the key bag but cannot decode an EC key, so Kibana finds no key.
            let Some(v) = forge(p, "http.p12") else {
                return;
            };
            assert_eq!(v["keys"], 1, "{key}: {v}");
            assert_eq!(
                v["keyDecoded"], false,
                "{key}: node-forge decoded an EC key after all: {v}"
            );
            let o = run(esmtls(p).args([
                "cert",
                "issue",
                "--ca",
                "ca.p12",
                "--ca-password-file",
                "pw",
                "--name",
                "k",
                "--client",
                "--key",
                key,
                "--out",
                "k.p12",
                "--password-file",
                "pw",
            ]));
            assert_eq!(o.status.code(), Some(3));
            assert!(stderr(&o).contains("Use --pem"), "{}", stderr(&o));
        }
    }
}

#[test]
fn mutual_tls_handshake_jsse_server_node_client() {
    let Some(classes) = java_class_dir() else {
        return;
    };
    if !have("node") {
        return;
    }
    for (key, client) in [
        ("rsa2048", vec!["kibana-client.p12", "pw"]),
        ("ec-p256", vec!["kibana-client.crt", "kibana-client.key"]),
    ] {
        let d = tempfile::tempdir().unwrap();
        let p: PathBuf = d.path().to_path_buf();
        bundle(&p, key);
        let (server, port) = start_server(classes.path(), &p, "http.p12", 2);
        let with = node_client(&p, port, &[&["ca.crt"][..], &client].concat());
        let without = node_client(&p, port, &["ca.crt", "none"]);
        let (ok, log) = server_log(server);
        assert!(ok, "server failed: {log}");
        assert_eq!(with["status"], 200, "{key}: {with} / server: {log}");
        assert!(
            with["body"]
                .as_str()
                .unwrap()
                .contains("\"client\":\"CN=kibana-client\""),
            "{with}"
        );
        assert!(with["body"].as_str().unwrap().contains("TLSv1.3"), "{with}");
        assert!(
            without.get("status").is_none(),
            "{key}: the server accepted a client without a certificate: {without}"
        );
        assert!(
            log.contains("ACCEPTED CN=kibana-client") && log.contains("REJECTED"),
            "{key}: {log}"
        );
    }
}

/// CAs made by other tools: a JDK-made single-key CA p12 (what certutil's
/// elastic-stack-ca.p12 is), a JDK-made two-key http.p12 shaped like
/// Elasticsearch's auto-configuration, a PEM CA from OpenSSL, and an OpenSSL
/// CA whose name esmtls cannot reproduce (refused, nothing written).
#[test]
fn foreign_cas_from_keytool_and_openssl() {
    if !have("keytool") || !have("openssl") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    pw_file(p, "pw", "changeme");
    let kt = |args: &[&str]| {
        ok(run(Command::new("keytool")
            .current_dir(p)
            .args(args)
            .args(["-storetype", "PKCS12", "-storepass", "changeme"])))
    };
    kt(&[
        "-genkeypair",
        "-alias",
        "ca",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        "CN=Elastic Certificate Tool Autogenerated CA",
        "-ext",
        "bc:c",
        "-validity",
        "100",
        "-keystore",
        "elastic-stack-ca.p12",
    ]);
    ok(run(esmtls(p).args([
        "cert",
        "issue",
        "--ca",
        "elastic-stack-ca.p12",
        "--ca-password-file",
        "pw",
        "--name",
        "kibana",
        "--client",
        "--pem",
        "--out",
        "k1.crt",
    ])));
    kt(&[
        "-exportcert",
        "-rfc",
        "-alias",
        "ca",
        "-keystore",
        "elastic-stack-ca.p12",
        "-file",
        "jdk-ca.crt",
    ]);
    assert!(openssl(p, &["verify", "-CAfile", "jdk-ca.crt", "k1.crt"]).contains("k1.crt: OK"));

    // http.p12 as the auto-configuration writes it: keys http_ca (the CA) and http (signed by it).
    kt(&[
        "-genkeypair",
        "-alias",
        "http_ca",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        "CN=Elasticsearch security auto-configuration HTTP CA",
        "-ext",
        "bc:c",
        "-validity",
        "100",
        "-keystore",
        "http.p12",
    ]);
    kt(&[
        "-genkeypair",
        "-alias",
        "http",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        "CN=node1",
        "-validity",
        "50",
        "-keystore",
        "http.p12",
    ]);
    kt(&[
        "-certreq",
        "-alias",
        "http",
        "-keystore",
        "http.p12",
        "-file",
        "http.csr",
    ]);
    kt(&[
        "-gencert",
        "-alias",
        "http_ca",
        "-keystore",
        "http.p12",
        "-infile",
        "http.csr",
        "-outfile",
        "http.crt",
        "-ext",
        "san=dns:localhost",
        "-ext",
        "eku=serverAuth",
        "-rfc",
    ]);
    kt(&[
        "-exportcert",
        "-rfc",
        "-alias",
        "http_ca",
        "-keystore",
        "http.p12",
        "-file",
        "http_ca.crt",
    ]);
    let chain = format!(
        "{}{}",
        std::fs::read_to_string(p.join("http.crt")).unwrap(),
        std::fs::read_to_string(p.join("http_ca.crt")).unwrap()
    );
    std::fs::write(p.join("chain.crt"), chain).unwrap();
    kt(&[
        "-importcert",
        "-noprompt",
        "-alias",
        "http",
        "-keystore",
        "http.p12",
        "-file",
        "chain.crt",
    ]);
    let o = run(esmtls(p).args([
        "cert",
        "issue",
        "--ca",
        "http.p12",
        "--ca-password-file",
        "pw",
        "--name",
        "kibana",
        "--client",
        "--pem",
        "--out",
        "k2.crt",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("using 'http_ca' (the CA)"),
        "{}",
        stderr(&o)
    );
    assert!(openssl(p, &["verify", "-CAfile", "http_ca.crt", "k2.crt"]).contains("k2.crt: OK"));
    // extract-ca on the two-key file finds the one CA.
    ok(run(esmtls(p).args([
        "cert",
        "extract-ca",
        "--in",
        "http.p12",
        "--out",
        "extracted.crt",
        "--password-file",
        "pw",
    ])));
    assert_eq!(
        std::fs::read_to_string(p.join("extracted.crt"))
            .unwrap()
            .matches("BEGIN CERTIFICATE")
            .count(),
        1
    );

    // A PEM CA from OpenSSL with an RSA key in PKCS#1 form ("RSA PRIVATE KEY", as certutil --pem writes).
    openssl(
        p,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "rsa-ca.p8",
            "-out",
            "rsa-ca.crt",
            "-subj",
            "/CN=PKCS1 CA",
            "-days",
            "30",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ],
    );
    openssl(
        p,
        &[
            "pkey",
            "-in",
            "rsa-ca.p8",
            "-traditional",
            "-out",
            "rsa-ca.key",
        ],
    );
    assert!(
        std::fs::read_to_string(p.join("rsa-ca.key"))
            .unwrap()
            .starts_with("-----BEGIN RSA PRIVATE KEY-----")
    );
    ok(run(esmtls(p).args([
        "cert",
        "issue",
        "--ca",
        "rsa-ca.crt",
        "--ca-key",
        "rsa-ca.key",
        "--name",
        "kibana",
        "--client",
        "--pem",
        "--out",
        "k5.crt",
    ])));
    assert!(openssl(p, &["verify", "-CAfile", "rsa-ca.crt", "k5.crt"]).contains("k5.crt: OK"));

    // A PEM CA from OpenSSL with an EC key (PKCS#8).
    openssl(
        p,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ossl-ca.key",
            "-out",
            "ossl-ca.crt",
            "-subj",
            "/O=Example/CN=OpenSSL CA",
            "-days",
            "30",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    ok(run(esmtls(p).args([
        "cert",
        "issue",
        "--ca",
        "ossl-ca.crt",
        "--ca-key",
        "ossl-ca.key",
        "--name",
        "es01",
        "--server",
        "--dns",
        "localhost",
        "--key",
        "ec-p256",
        "--pem",
        "--out",
        "k3.crt",
    ])));
    assert!(openssl(p, &["verify", "-CAfile", "ossl-ca.crt", "k3.crt"]).contains("k3.crt: OK"));

    // Two DC attributes: rcgen cannot write that name back, so the issuer check refuses.
    openssl(
        p,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "dc-ca.key",
            "-out",
            "dc-ca.crt",
            "-subj",
            "/DC=com/DC=example/CN=Corp CA",
            "-days",
            "30",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ],
    );
    let before = listing(p);
    let o = run(esmtls(p).args([
        "cert",
        "issue",
        "--ca",
        "dc-ca.crt",
        "--ca-key",
        "dc-ca.key",
        "--name",
        "x",
        "--server",
        "--key",
        "ec-p256",
        "--pem",
        "--out",
        "k4.crt",
    ]));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot be reproduced exactly"),
        "{}",
        stderr(&o)
    );
    assert_eq!(listing(p), before);
}
