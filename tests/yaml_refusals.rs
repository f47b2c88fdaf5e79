//! Every refusal: the message names the file, the line and the fix, and the
//! file on disk is untouched (no backup, no temporary file left). Plus the
//! write path: backup, mode kept, a second run writes nothing.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use esmtls::fsutil::Outcome;
use esmtls::yaml::{Edit, Value, edit_file};

fn refused(content: &str, edits: &[Edit], want: &str) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("kibana.yml");
    fs::write(&p, content).unwrap();
    let e = edit_file(&p, edits).expect_err(content);
    let msg = e.to_string();
    let want = want.replace("{path}", &p.display().to_string());
    assert!(msg.starts_with(&want), "got:  {msg}\nwant: {want}");
    assert_eq!(fs::read_to_string(&p).unwrap(), content, "file changed");
    assert_eq!(
        fs::read_dir(d.path()).unwrap().count(),
        1,
        "extra files written"
    );
}

fn set() -> Vec<Edit> {
    vec![Edit::set(
        "elasticsearch.ssl.alwaysPresentCertificate",
        Value::Bool(true),
    )]
}

#[test]
fn duplicate_same_form() {
    refused(
        "a: 1\nelasticsearch.username: x\nelasticsearch.username: y\n",
        &set(),
        "{path}:3: elasticsearch.username is already set on line 2; keep only one of the two and run esmtls again",
    );
}

#[test]
fn duplicate_flat_and_nested() {
    refused(
        "elasticsearch:\n  ssl:\n    verificationMode: full\n# later\nelasticsearch.ssl.verificationMode: none\n",
        &set(),
        "{path}:5: elasticsearch.ssl.verificationMode is already set on line 3; keep only one",
    );
}

#[test]
fn duplicate_partly_nested_and_flow() {
    refused(
        "xpack.security.http.ssl:\n  enabled: true\nxpack.security: {http.ssl.enabled: false}\n",
        &set(),
        "{path}:3: xpack.security.http.ssl.enabled is already set on line 2",
    );
}

#[test]
fn value_and_parent_conflict() {
    refused(
        "elasticsearch.ssl: none\nelasticsearch.ssl.key: /k\n",
        &set(),
        "{path}:2: elasticsearch.ssl.key conflicts with elasticsearch.ssl on line 1",
    );
}

#[test]
fn tab_indentation() {
    refused(
        "elasticsearch:\n\thosts: x\n",
        &set(),
        "{path}:2: a tab is used for indentation; YAML allows only spaces there — replace the tab with spaces",
    );
}

#[test]
fn invalid_yaml() {
    refused(
        "server.port: 5601\nelasticsearch.hosts: [\"a\"\nx: 1\n",
        &set(),
        "{path}:",
    );
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("k.yml");
    fs::write(&p, "a: 'unterminated\n").unwrap();
    let msg = edit_file(&p, &set()).unwrap_err().to_string();
    assert!(
        msg.contains("invalid YAML") && msg.contains("fix this line"),
        "{msg}"
    );
}

#[test]
fn not_utf8() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("kibana.yml");
    fs::write(&p, b"a: \xff\n").unwrap();
    let msg = edit_file(&p, &set()).unwrap_err().to_string();
    assert!(
        msg.ends_with("is not UTF-8 text; save it as UTF-8 and run esmtls again"),
        "{msg}"
    );
}

#[test]
fn anchors_and_second_documents() {
    refused(
        "base: &b x\nother: *b\n",
        &set(),
        "{path}:1: esmtls does not edit a YAML anchor, alias or tag",
    );
    refused(
        "a: 1\n---\nb: 2\n",
        &set(),
        "{path}:2: esmtls does not edit a second YAML document (`---`)",
    );
}

#[test]
fn edit_into_flow_mapping_or_over_a_parent() {
    refused(
        "elasticsearch.ssl: {verificationMode: full}\n",
        &set(),
        "{path}:1: esmtls does not edit elasticsearch.ssl.alwaysPresentCertificate inside a `{ ... }` flow mapping",
    );
    refused(
        "elasticsearch:\n  ssl:\n    key: /k\n",
        &[Edit::set("elasticsearch.ssl", Value::str("x"))],
        "{path}:3: cannot write elasticsearch.ssl because elasticsearch.ssl.key is set here",
    );
}

#[test]
fn broken_managed_block() {
    let begin = esmtls::yaml::MANAGED_BEGIN;
    refused(
        &format!("a: 1\n{begin}\nb: 2\n"),
        &set(),
        "{path}:2: the esmtls managed block is missing its END marker",
    );
}

#[test]
fn bad_key() {
    refused(
        "a: 1\n",
        &[Edit::set("a..b", Value::Int(1))],
        "\"a..b\" is not a setting name esmtls can write",
    );
}

#[test]
fn write_backs_up_keeps_mode_and_second_run_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("kibana.yml");
    fs::write(&p, "# mine\nelasticsearch.username: kibana_system\n").unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
    let edits = [
        Edit::remove("elasticsearch.username", "token used"),
        Edit::set("elasticsearch.ssl.verificationMode", Value::str("full")),
    ];
    let c = edit_file(&p, &edits).unwrap();
    let Outcome::Replaced { backup } = c.write().unwrap() else {
        panic!("not replaced")
    };
    assert_eq!(
        fs::read_to_string(backup).unwrap(),
        "# mine\nelasticsearch.username: kibana_system\n"
    );
    assert_eq!(
        fs::metadata(&p).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert_eq!(fs::read_to_string(&p).unwrap(), c.after());
    let files = fs::read_dir(d.path()).unwrap().count();
    let again = edit_file(&p, &edits).unwrap();
    assert!(again.is_unchanged());
    assert_eq!(again.write().unwrap(), Outcome::Unchanged);
    assert_eq!(
        fs::read_dir(d.path()).unwrap().count(),
        files,
        "no new backup"
    );
}

#[test]
fn missing_file_is_named() {
    let msg = edit_file(Path::new("/nonexistent/kibana.yml"), &set())
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with("cannot read /nonexistent/kibana.yml:"),
        "{msg}"
    );
}
