//! Every fixture × every scenario's edits: comments survive, the result reads
//! as the original plus exactly the intended changes (checked with an
//! independent flattening over `serde_yaml_ng`), a second run is
//! byte-identical, and the diff touches only the intended lines.

use std::collections::BTreeMap;
use std::path::Path;

use esmtls::yaml::{Edit, MANAGED_BEGIN, MANAGED_END, Value, YamlFile};
use serde_yaml_ng::Value as Y;

const ES: &[&str] = &[
    "es-default.yml",
    "es-autoconfigured.yml",
    "es-crlf.yml",
    "es-mixed.yml",
];
const KB: &[&str] = &[
    "kibana-default.yml",
    "kibana-interactive.yml",
    "kibana-bom.yml",
    "kibana-no-newline.yml",
    "kibana-flow.yml",
];
const MODES: &[&str] = &["token", "password", "mtls-token", "mtls-password", "pki"];
const CLIENT_CA: &str = "certs/kibana-client-ca.crt";

/// Elasticsearch side of each scenario (elastic-facts §8).
fn es_edits(mode: &str) -> Vec<Edit> {
    let mut e = vec![Edit::set(
        "xpack.security.http.ssl.enabled",
        Value::Bool(true),
    )];
    match mode {
        "mtls-token" | "mtls-password" => {
            e.push(Edit::set(
                "xpack.security.http.ssl.client_authentication",
                Value::str("required"),
            ));
            e.push(Edit::list_add(
                "xpack.security.http.ssl.certificate_authorities",
                CLIENT_CA,
            ));
        }
        "pki" => {
            e.push(Edit::set(
                "xpack.security.http.ssl.client_authentication",
                Value::str("optional"),
            ));
            e.push(Edit::list_add(
                "xpack.security.http.ssl.certificate_authorities",
                CLIENT_CA,
            ));
            e.push(Edit::set(
                "xpack.security.authc.realms.pki.realm1.order",
                Value::Int(1),
            ));
            e.push(Edit::list_add(
                "xpack.security.authc.realms.pki.realm1.certificate_authorities",
                CLIENT_CA,
            ));
            e.push(Edit::set(
                "xpack.security.authc.realms.native.realm2.order",
                Value::Int(2),
            ));
        }
        _ => {}
    }
    e
}

/// Kibana side of each scenario (elastic-facts §8; step 8 removals).
fn kibana_edits(mode: &str) -> Vec<Edit> {
    let ks = "esmtls stores it in the Kibana keystore";
    let mut e = vec![
        Edit::set(
            "elasticsearch.hosts",
            Value::List(vec!["https://es01:9200".into()]),
        ),
        Edit::list_add(
            "elasticsearch.ssl.certificateAuthorities",
            "/etc/kibana/certs/http_ca.crt",
        ),
        Edit::set("elasticsearch.ssl.verificationMode", Value::str("full")),
    ];
    let token = mode.contains("token");
    let password = mode.contains("password");
    if token {
        e.push(Edit::remove(
            "elasticsearch.username",
            "a service account token is used",
        ));
        e.push(Edit::remove(
            "elasticsearch.password",
            "a service account token is used",
        ));
        e.push(Edit::remove("elasticsearch.serviceAccountToken", ks));
    }
    if password {
        e.push(Edit::set(
            "elasticsearch.username",
            Value::str("kibana_system"),
        ));
        e.push(Edit::remove("elasticsearch.password", ks));
        e.push(Edit::remove(
            "elasticsearch.serviceAccountToken",
            "kibana_system's password is used",
        ));
    }
    if mode.starts_with("mtls") || mode == "pki" {
        e.push(Edit::set(
            "elasticsearch.ssl.certificate",
            Value::str("/etc/kibana/certs/kibana-client.crt"),
        ));
        e.push(Edit::set(
            "elasticsearch.ssl.key",
            Value::str("/etc/kibana/certs/kibana-client.key"),
        ));
        e.push(Edit::set(
            "elasticsearch.ssl.alwaysPresentCertificate",
            Value::Bool(mode != "pki"),
        ));
    }
    if mode == "pki" {
        for k in [
            "elasticsearch.username",
            "elasticsearch.password",
            "elasticsearch.serviceAccountToken",
        ] {
            e.push(Edit::remove(
                k,
                "Kibana authenticates with its client certificate (PKI realm)",
            ));
        }
    }
    e
}

fn fixture(name: &str) -> (std::path::PathBuf, String) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/yaml")
        .join(name);
    let t = std::fs::read_to_string(&p).unwrap();
    (p, t)
}

/// Independent of the module: dotted keys over serde_yaml_ng's tree.
fn flat(text: &str) -> BTreeMap<String, Y> {
    fn walk(prefix: &str, v: &Y, out: &mut BTreeMap<String, Y>) {
        match v {
            Y::Mapping(m) if !m.is_empty() => {
                for (k, v) in m {
                    let k = match k {
                        Y::String(s) => s.clone(),
                        other => serde_yaml_ng::to_string(other).unwrap().trim().to_string(),
                    };
                    let key = if prefix.is_empty() {
                        k
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            other if !prefix.is_empty() => {
                assert!(
                    out.insert(prefix.to_string(), other.clone()).is_none(),
                    "duplicate {prefix}"
                );
            }
            _ => {}
        }
    }
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = BTreeMap::new();
    walk("", &serde_yaml_ng::from_str::<Y>(body).unwrap(), &mut out);
    out
}

fn as_list(v: Option<&Y>) -> Vec<Y> {
    match v {
        Some(Y::Sequence(s)) => s.clone(),
        Some(Y::Null) | None => vec![],
        Some(other) => vec![other.clone()],
    }
}

/// The original mapping plus exactly the intended changes.
fn expected(orig: &BTreeMap<String, Y>, edits: &[Edit]) -> BTreeMap<String, Y> {
    let mut m = orig.clone();
    for e in edits {
        match e {
            Edit::Set { key, value } => {
                let v = match value {
                    Value::Bool(b) => Y::Bool(*b),
                    Value::Int(i) => Y::Number((*i).into()),
                    Value::Str(s) => Y::String(s.clone()),
                    Value::List(l) => Y::Sequence(l.iter().cloned().map(Y::String).collect()),
                };
                m.insert(key.clone(), v);
            }
            Edit::Remove { key, .. } => {
                m.retain(|k, _| k != key && !k.starts_with(&format!("{key}.")))
            }
            Edit::ListAdd { key, item } => {
                let mut l = as_list(m.get(key));
                if !l.contains(&Y::String(item.clone())) {
                    l.push(Y::String(item.clone()));
                }
                m.insert(key.clone(), Y::Sequence(l));
            }
            Edit::ListRemove { key, item, .. } => {
                let mut l = as_list(m.get(key));
                l.retain(|x| *x != Y::String(item.clone()));
                if l.is_empty() {
                    m.remove(key);
                } else {
                    m.insert(key.clone(), Y::Sequence(l));
                }
            }
            _ => unreachable!(),
        }
    }
    m
}

fn is_comment(l: &str) -> bool {
    l.trim_start().starts_with('#')
}

fn check(name: &str, mode: &str, edits: &[Edit]) {
    let (path, before) = fixture(name);
    let file = YamlFile::parse(&path, &before).unwrap_or_else(|e| panic!("{name}: {e}"));
    let changes = file
        .apply(edits)
        .unwrap_or_else(|e| panic!("{name}/{mode}: {e}"));
    let after = changes.after();
    let ctx = format!("{name}/{mode}:\n{}", changes.diff());

    // Every comment line survives (as many times as it was there).
    for l in before.lines().filter(|l| is_comment(l)) {
        let n_before = before.lines().filter(|x| x == &l).count();
        let n_after = after.lines().filter(|x| x == &l).count();
        assert!(n_after >= n_before, "comment lost: {l:?}\n{ctx}");
    }
    // The mapping: original + intended changes, nothing else.
    let want = expected(&flat(&before), edits);
    assert_eq!(flat(after), want, "{ctx}");
    // Byte-level invariants.
    assert_eq!(
        after.starts_with('\u{feff}'),
        before.starts_with('\u{feff}'),
        "{ctx}"
    );
    assert_eq!(after.ends_with('\n'), before.ends_with('\n'), "{ctx}");
    if before.contains("\r\n") {
        assert_eq!(
            after.matches('\n').count(),
            after.matches("\r\n").count(),
            "mixed endings\n{ctx}"
        );
    }
    // Idempotent: a second run changes nothing.
    let again = YamlFile::parse(&path, after).unwrap().apply(edits).unwrap();
    assert!(
        again.is_unchanged(),
        "second run changed:\n{}",
        again.diff()
    );
    assert!(again.diff().is_empty());

    // The diff touches only intended lines.
    let keys: Vec<&str> = edits.iter().map(|e| e.key()).collect();
    let last_parts: Vec<&str> = keys.iter().map(|k| k.rsplit('.').next().unwrap()).collect();
    let mentions = |l: &str| {
        let t = l.trim();
        keys.iter().any(|k| t.contains(k))
            || last_parts.iter().any(|p| t.contains(&format!("{p}:")))
            || t.starts_with('-')
            || t.ends_with(':')
    };
    let diff = similar::TextDiff::from_lines(&before, after);
    for c in diff.iter_all_changes() {
        let l = c.value().trim_end_matches(['\n', '\r']);
        match c.tag() {
            similar::ChangeTag::Delete => {
                assert!(!is_comment(l), "comment line removed: {l:?}\n{ctx}");
                assert!(mentions(l), "unintended line removed: {l:?}\n{ctx}");
            }
            similar::ChangeTag::Insert => {
                let ok = mentions(l)
                    || l.trim().is_empty()
                    || l.trim_start().starts_with("# esmtls removed ")
                    || l == MANAGED_BEGIN
                    || l == MANAGED_END
                    || l.starts_with("# Written by esmtls")
                    || l.starts_with("# edit the settings");
                assert!(ok, "unintended line added: {l:?}\n{ctx}");
            }
            similar::ChangeTag::Equal => {}
        }
    }
    // Never more than one managed block.
    assert!(after.matches(MANAGED_BEGIN).count() <= 1, "{ctx}");
}

#[test]
fn every_elasticsearch_fixture_and_scenario() {
    for name in ES {
        for mode in MODES {
            check(name, mode, &es_edits(mode));
        }
    }
}

#[test]
fn every_kibana_fixture_and_scenario() {
    for name in KB {
        for mode in MODES {
            check(name, mode, &kibana_edits(mode));
        }
    }
}

#[test]
fn auto_configuration_block_is_edited_in_place() {
    let (path, before) = fixture("es-autoconfigured.yml");
    let c = YamlFile::parse(&path, &before)
        .unwrap()
        .apply(&es_edits("mtls-token"))
        .unwrap();
    // enabled: true already there → untouched; new settings go to the managed block.
    let d = c.diff();
    assert!(!d.contains("-  enabled: true"), "{d}");
    assert!(
        d.contains("+xpack.security.http.ssl.client_authentication: required"),
        "{d}"
    );
    let f = YamlFile::parse(&path, c.after()).unwrap();
    let s = f.get("xpack.security.http.ssl.keystore.path").unwrap();
    assert_eq!(s.form, esmtls::yaml::Form::PartlyNested);
}

#[test]
fn interactive_setup_token_is_removed_with_a_comment() {
    let (path, before) = fixture("kibana-interactive.yml");
    let c = YamlFile::parse(&path, &before)
        .unwrap()
        .apply(&kibana_edits("token"))
        .unwrap();
    assert!(c.after().contains("# esmtls removed elasticsearch.serviceAccountToken: esmtls stores it in the Kibana keystore"));
    assert!(
        !c.diff().contains("AAEAAWVsYXN0aWMva2liYW5h"),
        "token value must not be shown:\n{}",
        c.diff()
    );
    assert!(
        c.after()
            .contains("elasticsearch.hosts: ['https://es01:9200']"),
        "{}",
        c.after()
    );
}

#[test]
#[ignore = "prints the diffs for a human to read"]
fn show() {
    for (name, mode) in [
        ("es-mixed.yml", "pki"),
        ("es-crlf.yml", "mtls-token"),
        ("kibana-no-newline.yml", "pki"),
        ("kibana-flow.yml", "password"),
        ("kibana-bom.yml", "mtls-token"),
    ] {
        let (path, before) = fixture(name);
        let edits = if name.starts_with("es") {
            es_edits(mode)
        } else {
            kibana_edits(mode)
        };
        println!(
            "{}",
            YamlFile::parse(&path, &before)
                .unwrap()
                .apply(&edits)
                .unwrap()
                .diff()
        );
    }
}
