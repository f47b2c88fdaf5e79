//! The real consumers read what the CSR flow installed: OpenSSL 3 (no
//! -legacy) with the PKCS#12 passwords from the hosts' keystores, the JDK as
//! Elasticsearch loads a PKCS#12, node-forge as Kibana reads one, and a
//! mutual-TLS handshake between each node (JSSE server) and each Kibana
//! (Node client).

use std::path::Path;
use std::process::Command;

use super::{Cluster, Host, Product, openssl, s};
use crate::common::consumers::{forge, node_client, server_log, start_server};
use crate::common::*;

/// Each installed PKCS#12 read by OpenSSL 3 with the password from the
/// host's keystore; its leaf verifies against DIR's CA, carries the host's
/// names and key, and is the certificate the bundle brought.
pub fn openssl_reads_what_was_installed(c: &Cluster) {
    let ca = c.dir.join("_ca/certs/esmtls-ca.crt");
    for h in &c.hosts {
        let t = c.tools(h);
        let p12 = s(&h.p12()).to_string();
        let all = openssl(
            &t,
            &["pkcs12", "-in", &p12, "-nokeys", "-passin", "file:pw"],
        );
        let cn = match h.product {
            Product::Es => format!("subject=CN = {}", h.name),
            Product::Kb => "subject=CN = kibana-client".to_string(),
        };
        assert!(
            all.contains(&cn)
                && all.contains("subject=CN = esmtls CA")
                && !all.contains("PRIVATE KEY"),
            "{}: {all}",
            h.name
        );
        let leaf = openssl(
            &t,
            &[
                "pkcs12", "-in", &p12, "-clcerts", "-nokeys", "-passin", "file:pw",
            ],
        );
        std::fs::write(t.join("leaf.pem"), leaf).unwrap();
        for trust in [ca.clone(), c.bundle(h).join("certs/ca.crt")] {
            let v = openssl(&t, &["verify", "-CAfile", s(&trust), "leaf.pem"]);
            assert!(v.contains("leaf.pem: OK"), "{}: {v}", h.name);
        }
        let (yes, no) = match h.product {
            Product::Es => ("SSL server : Yes", "SSL client : No"),
            Product::Kb => ("SSL client : Yes", "SSL server : No"),
        };
        let purpose = openssl(&t, &["x509", "-noout", "-purpose", "-in", "leaf.pem"]);
        assert!(
            purpose.contains(yes) && purpose.contains(no),
            "{}: {purpose}",
            h.name
        );
        if h.product == Product::Es {
            let san = openssl(
                &t,
                &[
                    "x509",
                    "-noout",
                    "-ext",
                    "subjectAltName",
                    "-in",
                    "leaf.pem",
                ],
            );
            assert!(san.contains(&h.san()), "{}: {san}", h.name);
        }
        assert_eq!(
            openssl(&t, &["x509", "-noout", "-pubkey", "-in", "leaf.pem"]),
            openssl(&t, &["pkey", "-pubout", "-in", s(&h.key())]),
            "{}: the certificate is for the host's key",
            h.name
        );
        let crt = c.bundle(h).join(h.crt_rel());
        assert_eq!(
            openssl(
                &t,
                &[
                    "x509",
                    "-noout",
                    "-fingerprint",
                    "-sha256",
                    "-in",
                    "leaf.pem"
                ]
            ),
            openssl(
                &t,
                &["x509", "-noout", "-fingerprint", "-sha256", "-in", s(&crt)]
            ),
            "{}: the installed certificate is the signed one",
            h.name
        );
    }
}

/// The JDK loads every PKCS#12 as Elasticsearch does; node-forge reads
/// Kibana's as Kibana does.
pub fn jdk_and_node_forge_load_what_was_installed(c: &Cluster, classes: &Path) {
    for h in &c.hosts {
        let t = c.tools(h);
        let out = ok(run(Command::new("java")
            .current_dir(&t)
            .arg("-cp")
            .arg(classes)
            .arg("P12Check")
            .arg(h.p12())
            .arg("pw")));
        let key = match h.product {
            Product::Es => format!("KEY http {} chain=2 CN={}\n", c.node_alg, h.name),
            Product::Kb => "KEY kibana-client RSA chain=2 CN=kibana-client\n".to_string(),
        };
        assert!(
            out.contains(&key)
                && out.contains("TRUSTED ca CN=esmtls CA\n")
                && out.ends_with("OK\n"),
            "{}: {out}",
            h.name
        );
        if h.product == Product::Kb
            && let Some(v) = forge(&t, s(&h.p12()))
        {
            assert_eq!(v["error"], serde_json::Value::Null, "{}: {v}", h.name);
            assert_eq!(
                (v["keys"].clone(), v["keyDecoded"].clone()),
                (1.into(), true.into())
            );
            assert_eq!(v["cert"], "kibana-client", "{v}");
            // The CA is both in the key's chain and the trusted entry.
            let cas = v["cas"].as_array().unwrap();
            assert!(
                !cas.is_empty() && cas.iter().all(|n| n == "esmtls CA"),
                "{v}"
            );
        }
    }
}

/// Each node's PKCS#12 in a JSSE server that requires a client certificate;
/// each Kibana's PKCS#12 (and the CA its kibana.yml names) in a Node client:
/// accepted; without a certificate: rejected.
pub fn mutual_tls_between_nodes_and_kibana(c: &Cluster, classes: &Path) {
    let kibanas: Vec<&Host> = c
        .hosts
        .iter()
        .filter(|h| h.product == Product::Kb)
        .collect();
    for node in c.hosts.iter().filter(|h| h.product == Product::Es) {
        let nt = c.tools(node);
        let (server, port) = start_server(classes, &nt, s(&node.p12()), kibanas.len() as u32 + 1);
        let mut answers = Vec::new();
        for kb in &kibanas {
            let kt = c.tools(kb);
            let ca = kb.config.join("certs/elasticsearch-ca.crt");
            answers.push(node_client(&kt, port, &[s(&ca), s(&kb.p12()), "pw"]));
        }
        let ca = kibanas[0].config.join("certs/elasticsearch-ca.crt");
        let without = node_client(&nt, port, &[s(&ca), "none"]);
        let (ok, log) = server_log(server);
        assert!(ok, "{}: server failed: {log}", node.name);
        for a in &answers {
            assert_eq!(a["status"], 200, "{}: {a} / server: {log}", node.name);
            let body = a["body"].as_str().unwrap();
            assert!(body.contains("\"client\":\"CN=kibana-client\""), "{a}");
        }
        assert!(
            without.get("status").is_none(),
            "accepted without a certificate: {without}"
        );
        assert_eq!(
            log.matches("ACCEPTED CN=kibana-client").count(),
            kibanas.len(),
            "{}: {log}",
            node.name
        );
        assert!(log.contains("REJECTED"), "{log}");
    }
}
