//! Unit tests of the Elasticsearch keystore: golden files, versions, bad input.

use super::*;
use crate::keystore::{CountingRandom, SystemRandom};

const HTTP_PW: &str = "xpack.security.http.ssl.keystore.secure_password";

fn golden(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/keystore/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn sample(version: i32, pw: &str) -> EsKeystore {
    let mut ks = EsKeystore::create(version, Secret::new(pw), &mut CountingRandom).unwrap();
    ks.set_string(HTTP_PW, &Secret::new("changeme"), false, Path::new("k"))
        .unwrap();
    ks
}

const GOLDEN: [(i32, &str, &str); 5] = [
    (5, "", "golden_es_v5_nopw.elasticsearch.keystore"),
    (6, "", "golden_es_v6_nopw.elasticsearch.keystore"),
    (
        6,
        "changeme",
        "golden_es_v6_pw_changeme.elasticsearch.keystore",
    ),
    (7, "", "golden_es_v7_nopw.elasticsearch.keystore"),
    (
        7,
        "changeme",
        "golden_es_v7_pw_changeme.elasticsearch.keystore",
    ),
];

#[test]
fn writer_reproduces_golden_files() {
    for (v, pw, file) in GOLDEN {
        assert_eq!(
            sample(v, pw).encode(&mut CountingRandom).unwrap(),
            golden(file),
            "{file}"
        );
    }
}

#[test]
fn reader_returns_golden_entries() {
    for (v, pw, file) in GOLDEN {
        let ks =
            EsKeystore::decode(&golden(file), Some(&Secret::new(pw)), Path::new(file)).unwrap();
        assert_eq!(ks.version(), v);
        assert_eq!(ks.has_password(), !pw.is_empty());
        assert_eq!(ks.names(), [SEED_SETTING, HTTP_PW]);
        assert_eq!(ks.get(SEED_SETTING).unwrap(), b"ABCDEFGHIJKLMNOPQRST");
        assert_eq!(ks.get_string(HTTP_PW).unwrap().expose(), "changeme");
    }
}

#[test]
fn old_formats_round_trip_big_endian() {
    for v in [3, 4] {
        let bytes = sample(v, "pw").encode(&mut SystemRandom).unwrap();
        assert_eq!(&bytes[32..36], &((bytes.len() - 52) as i32).to_be_bytes());
        let ks = EsKeystore::decode(&bytes, Some(&Secret::new("pw")), Path::new("k")).unwrap();
        assert_eq!(
            (ks.version(), ks.get_string(HTTP_PW).unwrap().expose()),
            (v, "changeme")
        );
    }
}

#[test]
fn seed_uses_elasticsearch_characters() {
    let ks = EsKeystore::create(7, Secret::empty(), &mut SystemRandom).unwrap();
    let seed = ks.get(SEED_SETTING).unwrap();
    assert_eq!(seed.len(), 20);
    assert!(seed.iter().all(|c| SEED_CHARS.contains(c)));
}

#[test]
fn wrong_or_missing_password() {
    let bytes = golden("golden_es_v7_pw_changeme.elasticsearch.keystore");
    let e = EsKeystore::decode(&bytes, None, Path::new("k")).unwrap_err();
    assert!(matches!(e, KeystoreError::PasswordRequired { .. }), "{e}");
    let e = EsKeystore::decode(&bytes, Some(&Secret::new("wrong")), Path::new("k")).unwrap_err();
    assert!(matches!(e, KeystoreError::WrongPassword { .. }), "{e}");
}

#[test]
fn damaged_files_are_refused() {
    let good = golden("golden_es_v6_nopw.elasticsearch.keystore");
    let p = Path::new("k");
    let e = EsKeystore::decode(&good[..good.len() - 1], None, p).unwrap_err();
    assert!(matches!(e, KeystoreError::Corrupt { .. }), "{e}");
    let e = EsKeystore::decode(&good[..20], None, p).unwrap_err();
    assert!(e.to_string().contains("too short"), "{e}");
    // A flipped byte inside the ciphertext: the CRC catches it.
    let mut bad = good.clone();
    bad[150] ^= 1;
    let e = EsKeystore::decode(&bad, None, p).unwrap_err();
    assert!(e.to_string().contains("checksum failed"), "{e}");
    // The same flip with a recomputed CRC: the GCM tag catches it.
    fix_crc(&mut bad);
    let e = EsKeystore::decode(&bad, None, p).unwrap_err();
    assert!(matches!(e, KeystoreError::WrongPassword { .. }), "{e}");
    // hasPassword byte out of range.
    let mut bad = good.clone();
    bad[31] = 2;
    fix_crc(&mut bad);
    assert!(
        EsKeystore::decode(&bad, None, p)
            .unwrap_err()
            .to_string()
            .contains("hasPassword")
    );
}

fn fix_crc(b: &mut [u8]) {
    let f = b.len() - 8;
    let crc = crc32fast::hash(&b[..f]);
    b[f..].copy_from_slice(&u64::from(crc).to_be_bytes());
}

#[test]
fn unknown_versions_are_refused() {
    for v in [1i32, 2, 8, 0x0100_0007] {
        let mut bad = golden("golden_es_v7_nopw.elasticsearch.keystore");
        bad[27..31].copy_from_slice(&v.to_be_bytes());
        fix_crc(&mut bad);
        let e = EsKeystore::decode(&bad, None, Path::new("k")).unwrap_err();
        assert!(
            matches!(e, KeystoreError::UnknownVersion { version, .. } if version == v),
            "{e}"
        );
    }
    assert!(EsKeystore::create(8, Secret::empty(), &mut SystemRandom).is_err());
}

#[test]
fn passwords_non_ascii_ok_long_refused() {
    let pw = Secret::new("pässwörd-日本");
    let bytes = EsKeystore::create(7, pw.clone(), &mut SystemRandom)
        .unwrap()
        .encode(&mut SystemRandom)
        .unwrap();
    assert!(EsKeystore::decode(&bytes, Some(&pw), Path::new("k")).is_ok());
    let e = EsKeystore::create(7, Secret::new("x".repeat(200)), &mut SystemRandom).unwrap_err();
    assert!(e.to_string().contains("at most 128"), "{e}");
}

#[test]
fn names_follow_elasticsearch_rule() {
    let mut ks = sample(7, "");
    for bad in ["", "a b", "a/b", "é", "a=b"] {
        let e = ks
            .set_string(bad, &Secret::new("x"), false, Path::new("k"))
            .unwrap_err();
        assert!(matches!(e, KeystoreError::InvalidName { .. }), "{bad}");
    }
    let e = ks
        .set_string(HTTP_PW, &Secret::new("x"), false, Path::new("k"))
        .unwrap_err();
    assert!(e.to_string().contains("--force"), "{e}");
    ks.set_string(HTTP_PW, &Secret::new("new"), true, Path::new("k"))
        .unwrap();
    assert_eq!(ks.get(HTTP_PW).unwrap(), b"new");
    ks.remove(HTTP_PW, Path::new("k")).unwrap();
    assert!(ks.remove(HTTP_PW, Path::new("k")).is_err());
}

#[test]
fn es_version_to_format() {
    assert_eq!(format_for_es_version("7.17.9").unwrap(), 4);
    assert_eq!(format_for_es_version("8.13.4").unwrap(), 5);
    assert_eq!(format_for_es_version("8.14.0").unwrap(), 6);
    assert_eq!(format_for_es_version("8.17.1").unwrap(), 6);
    assert_eq!(format_for_es_version("9.3.0").unwrap(), 7);
    for v in ["8.18.0", "10.0.0", "x", "6.2.0"] {
        assert!(
            format_for_es_version(v)
                .unwrap_err()
                .to_string()
                .contains("--format"),
            "{v}"
        );
    }
}

#[test]
fn es_version_from_install() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("lib")).unwrap();
    for f in [
        "elasticsearch-x-content-8.17.1.jar",
        "elasticsearch-8.17.1.jar",
        "lucene-core-9.12.0.jar",
    ] {
        std::fs::write(d.path().join("lib").join(f), b"").unwrap();
    }
    assert_eq!(detect_es_version(d.path()).unwrap(), "8.17.1");
    assert!(detect_es_version(&d.path().join("nope")).is_err());
}
