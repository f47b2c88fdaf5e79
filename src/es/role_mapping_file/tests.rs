use std::collections::BTreeMap;

use super::*;

/// What Elasticsearch would see: role → DNs, read by an independent parser
/// that refuses duplicate keys.
fn read_back(text: &str) -> BTreeMap<String, Vec<String>> {
    let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).expect("valid YAML");
    let mut out = BTreeMap::new();
    if let serde_yaml_ng::Value::Mapping(m) = v {
        for (k, v) in m {
            let dns = match v {
                serde_yaml_ng::Value::Sequence(s) => s
                    .into_iter()
                    .map(|d| d.as_str().unwrap().to_string())
                    .collect(),
                serde_yaml_ng::Value::String(s) => vec![s],
                other => panic!("unexpected {other:?}"),
            };
            out.insert(k.as_str().unwrap().to_string(), dns);
        }
    }
    out
}

const KIBANA: &str = "CN=kibana,OU=ops,O=Example";

#[test]
fn adds_to_an_empty_or_missing_file() {
    for start in ["", "\n", "# role mappings\n"] {
        let out = merge(start, "kibana_system", KIBANA).unwrap();
        assert!(out.starts_with(start));
        assert_eq!(read_back(&out)["kibana_system"], vec![KIBANA]);
        assert!(has(&out, "kibana_system", KIBANA));
        assert_eq!(merge(&out, "kibana_system", KIBANA).unwrap(), out);
        assert!(out.contains("\nkibana_system: ['CN=kibana,OU=ops,O=Example']\n"));
    }
}

#[test]
fn appends_to_an_existing_flow_list_keeping_comments() {
    let before = "# PKI users\nsuperuser: [ \"CN=admin,O=Example\" ]\n\n# Kibana\nkibana_system: [ \"CN=old,O=Example\" ] # keep\nmonitor:\n  - \"CN=mon,O=Example\"\n";
    let out = merge(before, "kibana_system", KIBANA).unwrap();
    assert_eq!(
        out,
        "# PKI users\nsuperuser: [ \"CN=admin,O=Example\" ]\n\n# Kibana\nkibana_system: [ \"CN=old,O=Example\", \"CN=kibana,OU=ops,O=Example\" ] # keep\nmonitor:\n  - \"CN=mon,O=Example\"\n"
    );
    let r = read_back(&out);
    assert_eq!(r["kibana_system"], vec!["CN=old,O=Example", KIBANA]);
    assert_eq!(r["superuser"], vec!["CN=admin,O=Example"]);
    assert_eq!(merge(&out, "kibana_system", KIBANA).unwrap(), out);
}

#[test]
fn appends_to_a_block_list_and_turns_a_scalar_into_a_list() {
    let block = "kibana_system:\n  - \"CN=old,O=Example\"\n";
    let out = merge(block, "kibana_system", KIBANA).unwrap();
    assert!(out.starts_with(block), "{out}");
    assert_eq!(read_back(&out)["kibana_system"].len(), 2);
    let scalar = "kibana_system: \"CN=old,O=Example\"\n";
    let out = merge(scalar, "kibana_system", KIBANA).unwrap();
    assert_eq!(
        read_back(&out)["kibana_system"],
        vec!["CN=old,O=Example", KIBANA]
    );
}

#[test]
fn adds_a_new_role_and_keeps_the_others() {
    let before = "superuser:\n  - \"CN=admin,O=Example\"\n";
    let out = merge(before, "kibana_system", KIBANA).unwrap();
    assert!(out.starts_with(before));
    let r = read_back(&out);
    assert_eq!(r.len(), 2);
    assert_eq!(r["kibana_system"], vec![KIBANA]);
    assert_eq!(merge(&out, "kibana_system", KIBANA).unwrap(), out);
    // A second role goes to the same block, and the result still has unique keys.
    let out2 = merge(&out, "monitoring_user", KIBANA).unwrap();
    assert_eq!(read_back(&out2).len(), 3);
}

#[test]
fn an_equal_dn_written_differently_is_not_added() {
    let before = "kibana_system: [ \"cn=Kibana , ou=OPS;  o=example\" ]\n";
    assert!(has(before, "kibana_system", KIBANA));
    assert_eq!(merge(before, "kibana_system", KIBANA).unwrap(), before);
    // The same DN under another role does not count.
    assert!(!has(before, "superuser", KIBANA));
}

#[test]
fn dn_equality_follows_unboundid() {
    let eq = |a: &str, b: &str| dn::normalize(a).unwrap() == dn::normalize(b).unwrap();
    assert!(eq("CN=a b,O=x", "cn=A  B , o=X"));
    assert!(eq("CN=a\\,b,O=x", "CN=\"a,b\",O=x"));
    assert!(eq("CN=a\\2Cb", "CN=a\\,b"));
    assert!(eq("CN=caf\\C3\\A9", "CN=CAFÉ"));
    assert!(eq("CN=a+UID=1,O=x", "uid=1+cn=a,o=x"));
    assert!(eq("CN=#0c026162", "CN=ab"));
    assert!(!eq("CN=a,O=x", "O=x,CN=a"), "RDN order matters");
    assert!(!eq("CN=a", "2.5.4.3=a"), "names are not resolved");
    assert!(!eq("CN=a b", "CN=ab"));
    for bad in [
        "CN",
        "=a",
        "CN=a,",
        "CN=\"a",
        "CN=a\"b",
        "CN=a\\",
        "CN=#0c05ab",
    ] {
        assert!(dn::normalize(bad).is_err(), "{bad}");
    }
}

#[test]
fn refusals_are_one_line() {
    for (text, role, dn) in [
        ("a: [\n", "kibana_system", KIBANA),
        ("a: 1\na: 2\n", "kibana_system", KIBANA),
        ("", "kibana.system", KIBANA),
        ("", "", KIBANA),
        ("", "kibana_system", "not a dn"),
        ("", "kibana_system", ""),
    ] {
        let e = merge(text, role, dn).unwrap_err();
        assert!(!e.trim_end().contains('\n'), "{e}");
    }
    let e = merge("a: [\n", "kibana_system", KIBANA).unwrap_err();
    assert!(e.starts_with("role_mapping.yml:"), "{e}");
    assert!(!has("a: [\n", "kibana_system", KIBANA));
}

#[test]
fn skips_unparseable_dns_already_listed() {
    let before = "kibana_system: [ \"garbage\" ]\n";
    let out = merge(before, "kibana_system", KIBANA).unwrap();
    assert_eq!(read_back(&out)["kibana_system"], vec!["garbage", KIBANA]);
}
