//! Real consumers read what esmtls writes, and esmtls reads what they write:
//! Kibana keystores against `@elastic/node-crypto`, Elasticsearch keystores
//! against a Java program that uses Lucene's `CodecUtil` and the JDK's
//! `PBKDF2WithHmacSHA512` + `AES/GCM/NoPadding`, the calls Elasticsearch makes.

mod keystore_support;

use std::path::Path;
use std::process::Command;

use esmtls::fsutil::Existing;
use esmtls::keystore::{EsKeystore, KibanaKeystore, SystemRandom};
use esmtls::secret::Secret;
use keystore_support::*;

const PASSWORDS: [&str; 3] = ["", "changeme", "pässwörd-日本"];

#[test]
fn node_crypto_reads_kibana_keystores_written_by_esmtls() {
    if node_ready().is_none() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    for (i, pw) in PASSWORDS.iter().enumerate() {
        let path = d.path().join(format!("k{i}.keystore"));
        let mut ks = KibanaKeystore::new(Secret::new(*pw));
        ks.set_string(
            "elasticsearch.ssl.keystore.password",
            Secret::new("s3cr\"et é"),
            false,
            &path,
        )
        .unwrap();
        ks.set_string("elasticsearch.password", Secret::new("123"), false, &path)
            .unwrap();
        ks.save(&path, &mut SystemRandom, Existing::Refuse).unwrap();
        let out = node_keystore("read", &path, pw).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"elasticsearch.password": "123", "elasticsearch.ssl.keystore.password": "s3cr\"et é"}),
            "password {pw:?}"
        );
    }
}

#[test]
fn esmtls_reads_kibana_keystores_written_by_node_crypto() {
    if node_ready().is_none() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    for (i, pw) in PASSWORDS.iter().enumerate() {
        let path = d.path().join(format!("n{i}.keystore"));
        let st = node_keystore("write", &path, pw)
            .env(
                "KS_JSON",
                r#"{"elasticsearch.serviceAccountToken":"AAEAAWVsYXN0aWM","server.port":5601}"#,
            )
            .status()
            .unwrap();
        assert!(st.success());
        let ks = KibanaKeystore::load(&path, Some(&Secret::new(*pw))).unwrap();
        assert_eq!(ks.has_password(), !pw.is_empty());
        assert_eq!(
            ks.get("elasticsearch.serviceAccountToken")
                .unwrap()
                .expose(),
            "AAEAAWVsYXN0aWM"
        );
        assert_eq!(ks.get("server.port").unwrap().expose(), "5601");
    }
}

fn java_read(cp: &str, files: &[(&Path, &str)]) -> String {
    let mut c = Command::new("java");
    c.arg("-cp").arg(cp).arg("KeystoreCheck").arg("read");
    for (f, pw) in files {
        c.arg(f).arg(pw);
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "java read failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn java_lucene_reads_every_es_keystore_esmtls_writes_and_esmtls_reads_java_ones() {
    let d = tempfile::tempdir().unwrap();
    let Some(cp) = compile_java(d.path()) else {
        return;
    };
    // esmtls → Java: every format, with and without (non-ASCII) passwords.
    let mut files = Vec::new();
    let mut expected = String::new();
    for v in 3..=7 {
        for (i, pw) in PASSWORDS.iter().enumerate() {
            let name = format!("es_v{v}_{i}.keystore");
            let path = d.path().join(&name);
            let mut ks = EsKeystore::create(v, Secret::new(*pw), &mut SystemRandom).unwrap();
            ks.set_string(
                "xpack.security.http.ssl.keystore.secure_password",
                &Secret::new("pä$$"),
                false,
                &path,
            )
            .unwrap();
            ks.save(&path, &mut SystemRandom, Existing::Refuse).unwrap();
            let seed = ks.get_string("keystore.seed").unwrap();
            expected.push_str(&format!(
                "file={name}\nversion={v}\nhasPassword={}\nentry keystore.seed={}\nentry xpack.security.http.ssl.keystore.secure_password=pä$$\n",
                u8::from(!pw.is_empty()),
                seed.expose()
            ));
            files.push((path, *pw));
        }
    }
    let refs: Vec<(&Path, &str)> = files.iter().map(|(p, pw)| (p.as_path(), *pw)).collect();
    assert_eq!(java_read(&cp, &refs), expected);

    // Java → esmtls.
    for v in 3..=7 {
        for (i, pw) in PASSWORDS.iter().enumerate() {
            let path = d.path().join(format!("java_v{v}_{i}.keystore"));
            let st = Command::new("java")
                .args(["-cp", &cp, "KeystoreCheck", "write"])
                .arg(&path)
                .arg(v.to_string())
                .arg(pw)
                .args([
                    "keystore.seed=AAAAAAAAAAAAAAAAAAAA",
                    "bootstrap.password=böot",
                ])
                .status()
                .unwrap();
            assert!(st.success());
            let ks = EsKeystore::load(&path, Some(&Secret::new(*pw))).unwrap();
            assert_eq!((ks.version(), ks.has_password()), (v, !pw.is_empty()));
            assert_eq!(ks.names(), ["bootstrap.password", "keystore.seed"]);
            assert_eq!(
                ks.get_string("bootstrap.password").unwrap().expose(),
                "böot"
            );
        }
    }
}
