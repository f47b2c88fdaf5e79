//! Certificate names through the binary: control characters and names longer
//! than the standards allow are refused with one line naming the flag (or the
//! answers key) and the character escaped, and nothing is written.

mod common;

use std::ffi::OsString;
use std::path::Path;

use common::*;

/// Runs a command that must be refused; asserts a non-zero exit, one
/// `error: ` line holding every one of `says`, no raw control character, and
/// that `dir` did not change.
#[track_caller]
fn refused(dir: &Path, args: &[OsString], says: &[&str]) {
    let before = snapshot(dir);
    let o = run(esmtls(dir).args(args));
    let err = stderr(&o);
    assert!(!o.status.success(), "{args:?} succeeded; stderr: {err}");
    assert_ne!(o.status.code(), Some(0), "{args:?}");
    assert!(err.starts_with("error: "), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: not one line: {err:?}");
    let line = err.trim_end_matches('\n');
    assert!(
        !line.chars().any(char::is_control),
        "{args:?}: a raw control character in {err:?}"
    );
    for s in says {
        assert!(err.contains(s), "{args:?}: expected {s:?} in {err}");
    }
    assert_eq!(before, snapshot(dir), "{args:?}: files changed");
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

#[test]
fn cert_ca_refuses_a_bad_dn_naming_dn() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    pw_file(p, "pw", "changeme");
    let ca = |dn: String| {
        let mut a = os(&["cert", "ca", "--out", "ca.p12", "--password-file", "pw"]);
        a.extend([OsString::from("--dn"), OsString::from(dn)]);
        a
    };
    for (dn, shows) in [
        ("CN=esmtls\u{1b}[31m CA".to_string(), "\\u{1b}"),
        ("CN=esmtls CA,O=Ex\nample".into(), "\\u{a}"),
        ("CN=esmtls\u{7f}".into(), "\\u{7f}"),
        ("CN=esmtls\u{85}".into(), "\\u{85}"),
    ] {
        refused(p, &ca(dn), &["--dn", "control character", shows]);
    }
    let long = format!("CN={}", "c".repeat(65));
    refused(p, &ca(long), &["--dn", "65 characters long", "at most 64"]);
    refused(p, &ca("CN=a,C=DEU".into()), &["--dn", "two letters"]);
    // 64 characters is the limit, not past it.
    let mut ok64 = ca(format!("CN={}", "c".repeat(64)));
    ok64.extend(os(&["--key", "ec-p256"]));
    ok(run(esmtls(p).args(&ok64)));
}

#[test]
fn cert_issue_refuses_bad_names_and_sans_naming_the_flag() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    pw_file(p, "pw", "changeme");
    ok(run(esmtls(p).args([
        "cert",
        "ca",
        "--out",
        "ca.p12",
        "--password-file",
        "pw",
        "--key",
        "ec-p256",
    ])));
    let issue = |flag: &str, value: String| {
        let mut a = os(&[
            "cert",
            "issue",
            "--ca",
            "ca.p12",
            "--ca-password-file",
            "pw",
            "--server",
            "--pem",
            "--key",
            "ec-p256",
            "--out",
            "es.crt",
        ]);
        if flag != "--name" {
            a.extend(os(&["--name", "es01"]));
        }
        a.extend([OsString::from(flag), OsString::from(value)]);
        a
    };
    for (name, shows) in [
        ("es\n01", "\\u{a}"),
        ("es\u{1b}01", "\\u{1b}"),
        ("CN=es01,OU=o\u{7f}ps", "\\u{7f}"),
        ("es01\u{9b}", "\\u{9b}"),
    ] {
        refused(
            p,
            &issue("--name", name.into()),
            &["--name", "control character", shows],
        );
    }
    refused(
        p,
        &issue("--name", "n".repeat(65)),
        &["--name", "65 characters long", "at most 64"],
    );
    refused(
        p,
        &issue("--dns", "es\n01.example.com".into()),
        &["--dns", "control character", "\\u{a}"],
    );
    refused(
        p,
        &issue("--dns", format!("{}.example.com", "l".repeat(64))),
        &["--dns", "a DNS label has at most 63"],
    );
    let long = vec!["l".repeat(60); 5].join(".");
    refused(
        p,
        &issue("--dns", long),
        &["--dns", "304 characters long", "at most 253"],
    );
    refused(
        p,
        &issue("--ip", "10.0.0.1\u{1b}".into()),
        &["--ip", "\\u{1b}"],
    );
}

#[test]
fn plan_refuses_a_bad_name_in_the_answers_naming_the_key() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    let (es, kb) = setups::package_dirs(root, "# es\n", "# kibana\n");
    let long = "k".repeat(65);
    for (yaml, key, shows) in [
        (
            "client_certificate:\n  name: \"kib\\0ana\"\n".to_string(),
            "`client_certificate.name`",
            "\\u{0}",
        ),
        (
            format!("client_certificate:\n  name: {long}\n"),
            "`client_certificate.name`",
            "at most 64",
        ),
        ("ca:\n  dn: \"CN=my\\tCA\"\n".into(), "`ca.dn`", "\\u{9}"),
        (
            "client_certificate:\n  dns: [\"kibana\\nexample\"]\n".into(),
            "`client_certificate.dns`",
            "\\u{a}",
        ),
        (
            "server_certificate:\n  dns: [10.0.0.1]\n".into(),
            "`server_certificate.dns`",
            "`server_certificate.ip`",
        ),
    ] {
        let file = root.join("answers.yml");
        std::fs::write(&file, format!("mode: mtls-token\n{yaml}")).unwrap();
        let mut args = os(&["plan", "--answers", "answers.yml"]);
        args.extend(["--es-config".into(), es.clone().into_os_string()]);
        args.extend(["--kibana-config".into(), kb.clone().into_os_string()]);
        refused(root, &args, &[key, shows]);
        let err = stderr(&run(esmtls(root).args(&args)));
        assert!(!err.contains("--"), "{yaml}: a flag in {err}");
    }
}
