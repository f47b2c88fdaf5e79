//! `esmtls keystore …` end to end: the built binary in temporary directories
//! with a scrubbed environment; stdout, stderr, exit codes and the files.

mod keystore_support;

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use esmtls::fsutil::Existing;
use esmtls::keystore::{EsKeystore, KibanaKeystore, SystemRandom};
use esmtls::secret::Secret;

fn esmtls(args: &[&str], stdin: Option<&str>, env: &[(&str, &Path)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_esmtls"));
    c.arg("keystore").args(args);
    for v in [
        "KBN_PATH_CONF",
        "ES_PATH_CONF",
        "KBN_KEYSTORE_PASSPHRASE_FILE",
        "ES_KEYSTORE_PASSPHRASE_FILE",
        "KEYSTORE_PASSWORD",
    ] {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    if let Some(s) = stdin {
        // The command may refuse before reading its input: ignore a broken pipe.
        let _ = child.stdin.take().unwrap().write_all(s.as_bytes());
    }
    child.wait_with_output().unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn fails(o: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "should fail: {err}");
    assert!(err.contains(needle), "stderr lacks {needle:?}: {err}");
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn kibana_create_add_list_show_remove() {
    let d = tempfile::tempdir().unwrap();
    let conf = d.path();
    let ks = conf.join("kibana.keystore");
    let env = [("KBN_PATH_CONF", conf)];
    ok(&esmtls(&["kibana", "create"], None, &env));
    assert_eq!(
        fs::metadata(&ks).unwrap().permissions().mode() & 0o777,
        0o660
    );
    fails(
        &esmtls(&["kibana", "create"], None, &env),
        "already exists; pass --force",
    );
    ok(&esmtls(
        &["kibana", "add", "elasticsearch.password", "--stdin"],
        Some("p@ss word\n"),
        &env,
    ));
    assert_eq!(
        ok(&esmtls(&["kibana", "list"], None, &env)),
        "elasticsearch.password\n"
    );
    assert_eq!(
        ok(&esmtls(
            &["kibana", "show", "elasticsearch.password"],
            None,
            &env
        )),
        "p@ss word\n"
    );
    // The value never shows up anywhere but `show`.
    let o = esmtls(
        &[
            "kibana",
            "add",
            "elasticsearch.password",
            "--stdin",
            "--force",
        ],
        Some("4242424242"),
        &env,
    );
    assert!(!String::from_utf8_lossy(&o.stderr).contains("4242424242"));
    ok(&o);
    // Stored as a JSON string, not a number.
    let k = KibanaKeystore::load(&ks, None).unwrap();
    assert!(matches!(
        k.get("elasticsearch.password"),
        Some(esmtls::keystore::kibana::KibanaValue::String(_))
    ));
    let before = fs::read(&ks).unwrap();
    fails(
        &esmtls(
            &["kibana", "add", "elasticsearch.password", "--stdin"],
            Some("x"),
            &env,
        ),
        "--force",
    );
    fails(
        &esmtls(
            &["kibana", "add", "elasticsearch.password", "--force"],
            None,
            &env,
        ),
        "pass --stdin",
    );
    fails(
        &esmtls(
            &["kibana", "--config", s(conf), "add", "bad name", "--stdin"],
            Some("x"),
            &[],
        ),
        "invalid setting name",
    );
    assert_eq!(fs::read(&ks).unwrap(), before, "refusals change nothing");
    ok(&esmtls(
        &[
            "kibana",
            "--config",
            s(conf),
            "remove",
            "elasticsearch.password",
        ],
        None,
        &[],
    ));
    assert_eq!(
        ok(&esmtls(&["kibana", "--path", s(&ks), "list"], None, &[])),
        ""
    );
    fails(
        &esmtls(&["kibana", "--path", s(&ks), "show", "nope"], None, &[]),
        "has no setting nope",
    );
    let backups = fs::read_dir(conf).unwrap().filter(|e| {
        e.as_ref()
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".bak")
    });
    assert!(backups.count() >= 2, "a backup before each change");
}

#[test]
fn kibana_password_protected_and_legacy_warning() {
    let d = tempfile::tempdir().unwrap();
    let conf = d.path().join("config");
    fs::create_dir_all(d.path().join("data")).unwrap();
    fs::create_dir_all(&conf).unwrap();
    let pwfile = d.path().join("pw");
    fs::write(&pwfile, "  pässwörd-日本\n").unwrap(); // Kibana trims the file's content
    let env = [
        ("KBN_PATH_CONF", conf.as_path()),
        ("KBN_KEYSTORE_PASSPHRASE_FILE", pwfile.as_path()),
    ];
    ok(&esmtls(&["kibana", "create", "--password"], None, &env));
    ok(&esmtls(
        &["kibana", "add", "a.b", "--stdin"],
        Some("v"),
        &env,
    ));
    let ks = KibanaKeystore::load(
        &conf.join("kibana.keystore"),
        Some(&Secret::new("pässwörd-日本")),
    )
    .unwrap();
    assert!(ks.has_password());
    let o = esmtls(
        &["kibana", "list"],
        None,
        &[("KBN_PATH_CONF", conf.as_path())],
    );
    fails(&o, "password-protected");
    fs::write(&pwfile, "wrong").unwrap();
    fails(
        &esmtls(&["kibana", "list"], None, &env),
        "password is wrong",
    );
    // A 200-character password works for Kibana (no limit there).
    fs::write(&pwfile, "x".repeat(200)).unwrap();
    ok(&esmtls(
        &["kibana", "create", "--password", "--force"],
        None,
        &env,
    ));
    ok(&esmtls(&["kibana", "list"], None, &env));
    fs::write(d.path().join("data/kibana.keystore"), "1:x").unwrap();
    let o = esmtls(&["kibana", "list"], None, &env);
    ok(&o);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("Kibana reads it instead"),
        "legacy warning"
    );
}

const HTTP: &str = "xpack.security.http.ssl.keystore.secure_password";

#[test]
fn es_create_needs_a_version_and_keeps_the_file_format() {
    let d = tempfile::tempdir().unwrap();
    let conf = d.path().join("conf");
    fs::create_dir(&conf).unwrap();
    let ks = conf.join("elasticsearch.keystore");
    let env = [("ES_PATH_CONF", conf.as_path())];
    fails(
        &esmtls(&["elasticsearch", "create"], None, &env),
        "--es-home",
    );
    fails(
        &esmtls(
            &["elasticsearch", "create", "--es-version", "8.18.1"],
            None,
            &env,
        ),
        "not verified",
    );
    let home = d.path().join("es");
    fs::create_dir_all(home.join("lib")).unwrap();
    fs::write(home.join("lib/elasticsearch-8.15.0.jar"), b"").unwrap();
    let o = esmtls(
        &["elasticsearch", "create", "--es-home", s(&home)],
        None,
        &env,
    );
    ok(&o);
    assert_eq!(fs::read(&ks).unwrap()[30], 6, "8.15 writes format 6");
    ok(&esmtls(
        &["elasticsearch", "add", HTTP, "--stdin"],
        Some("changeme\n"),
        &env,
    ));
    assert_eq!(
        ok(&esmtls(&["elasticsearch", "list"], None, &env)),
        format!("keystore.seed\n{HTTP}\n")
    );
    assert_eq!(
        ok(&esmtls(&["elasticsearch", "show", HTTP], None, &env)),
        "changeme\n"
    );
    // An existing v5 file stays v5 after an edit.
    EsKeystore::create(5, Secret::empty(), &mut SystemRandom)
        .unwrap()
        .save(&ks, &mut SystemRandom, Existing::Replace)
        .unwrap();
    ok(&esmtls(
        &["elasticsearch", "add", "bootstrap.password", "--stdin"],
        Some("b"),
        &env,
    ));
    assert_eq!(fs::read(&ks).unwrap()[30], 5);
    fails(
        &esmtls(
            &["elasticsearch", "add", "bad/name", "--stdin"],
            Some("x"),
            &env,
        ),
        "[A-Za-z0-9_\\-.]+",
    );
    fails(
        &esmtls(
            &["kibana", "create", "--format", "7"],
            None,
            &[("KBN_PATH_CONF", conf.as_path())],
        ),
        "apply only",
    );
}

#[test]
fn es_password_protected() {
    let d = tempfile::tempdir().unwrap();
    let pwfile = d.path().join("pw");
    fs::write(&pwfile, "pässwörd-日本\n").unwrap();
    let ks = d.path().join("elasticsearch.keystore");
    let env = [("ES_KEYSTORE_PASSPHRASE_FILE", pwfile.as_path())];
    let p = s(&ks);
    ok(&esmtls(
        &[
            "elasticsearch",
            "--path",
            p,
            "create",
            "--format",
            "7",
            "--password",
        ],
        None,
        &env,
    ));
    assert_eq!(fs::read(&ks).unwrap()[31], 1, "hasPassword byte");
    ok(&esmtls(
        &["elasticsearch", "--path", p, "add", HTTP, "--stdin"],
        Some("x"),
        &env,
    ));
    fails(
        &esmtls(&["elasticsearch", "--path", p, "list"], None, &[]),
        "password-protected",
    );
    let before = fs::read(&ks).unwrap();
    fs::write(&pwfile, "wrong\n").unwrap();
    fails(
        &esmtls(
            &["elasticsearch", "--path", p, "add", "a", "--stdin"],
            Some("x"),
            &env,
        ),
        "password is wrong",
    );
    assert_eq!(fs::read(&ks).unwrap(), before);
    // 200 characters: refused with the reason (Elasticsearch's 128-character limit).
    fs::write(&pwfile, "x".repeat(200)).unwrap();
    let other = d.path().join("other.keystore");
    fails(
        &esmtls(
            &[
                "elasticsearch",
                "--path",
                s(&other),
                "create",
                "--format",
                "7",
                "--password",
            ],
            None,
            &env,
        ),
        "at most 128",
    );
    assert!(!other.exists());
}

fn damaged(name: &str, f: impl Fn(&mut Vec<u8>)) -> (tempfile::TempDir, PathBuf, Vec<u8>) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join(name);
    let mut b = fs::read(
        keystore_support::repo()
            .join("tests/fixtures/keystore")
            .join(name),
    )
    .unwrap();
    f(&mut b);
    fs::write(&p, &b).unwrap();
    (d, p, b)
}

#[test]
fn damaged_files_are_refused_and_left_alone() {
    let es = "golden_es_v7_nopw.elasticsearch.keystore";
    let kb = "golden_kibana_nopw.kibana.keystore";
    type Mutate = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: Vec<(&str, &str, Mutate, &str)> = vec![
        (
            "elasticsearch",
            es,
            Box::new(|b| b.truncate(200)),
            "codec footer",
        ),
        (
            "elasticsearch",
            es,
            Box::new(|b| b[160] ^= 0x40),
            "checksum failed",
        ),
        (
            "elasticsearch",
            es,
            Box::new(|b| {
                let n = b.len();
                b[n - 1] ^= 1
            }),
            "checksum failed",
        ),
        (
            "elasticsearch",
            es,
            Box::new(|b| {
                b[30] = 8;
                fix_crc(b)
            }),
            "format version 8",
        ),
        (
            "elasticsearch",
            es,
            Box::new(|b| {
                b[130] ^= 1;
                fix_crc(b)
            }),
            "password is wrong or the file was modified",
        ),
        (
            "kibana",
            kb,
            Box::new(|b| b.truncate(100)),
            "not a valid keystore",
        ),
        (
            "kibana",
            kb,
            Box::new(|b| b[150] = if b[150] == b'Q' { b'R' } else { b'Q' }),
            "password-protected (or damaged)",
        ),
    ];
    for (svc, file, f, needle) in cases {
        let (_d, p, bytes) = damaged(file, f);
        fails(&esmtls(&[svc, "--path", s(&p), "list"], None, &[]), needle);
        fails(
            &esmtls(
                &[svc, "--path", s(&p), "add", "x", "--stdin"],
                Some("v"),
                &[],
            ),
            needle,
        );
        assert_eq!(fs::read(&p).unwrap(), bytes, "{svc} {needle}: unchanged");
        assert_eq!(
            fs::read_dir(p.parent().unwrap()).unwrap().count(),
            1,
            "no temp or backup file"
        );
    }
}

fn fix_crc(b: &mut [u8]) {
    let f = b.len() - 8;
    let crc = crc32fast::hash(&b[..f]);
    b[f..].copy_from_slice(&u64::from(crc).to_be_bytes());
}

/// Runs `chattr -i` on drop so a failed test still leaves a removable directory.
struct Immutable(PathBuf);
impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

#[test]
fn unwritable_directory_changes_nothing() {
    // Tests run as root, where mode bits do not stop writes. Two honest ways:
    // (1) a "directory" that is a regular file; (2) an immutable directory
    // (chattr +i stops root too), or mode 0555 when not root.
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("not-a-dir");
    fs::write(&file, "x").unwrap();
    fails(
        &esmtls(
            &[
                "kibana",
                "--path",
                s(&file.join("kibana.keystore")),
                "create",
            ],
            None,
            &[],
        ),
        "not a directory",
    );

    let dir = d.path().join("ro");
    fs::create_dir(&dir).unwrap();
    let ks = dir.join("kibana.keystore");
    ok(&esmtls(&["kibana", "--path", s(&ks), "create"], None, &[]));
    let before = fs::read(&ks).unwrap();
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    let _guard = if root {
        let st = Command::new("chattr").arg("+i").arg(&dir).status();
        if !st.is_ok_and(|s| s.success()) {
            eprintln!(
                "\n!!!!! SKIPPING the read-only directory half: chattr +i is not possible here !!!!!\n"
            );
            return;
        }
        Some(Immutable(dir.clone()))
    } else {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o555)).unwrap();
        None
    };
    fails(
        &esmtls(
            &["kibana", "--path", s(&ks), "add", "a.b", "--stdin"],
            Some("v"),
            &[],
        ),
        "cannot write in",
    );
    assert_eq!(fs::read(&ks).unwrap(), before);
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
    if !root {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    }
}
