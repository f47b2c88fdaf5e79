//! Property tests: random documents (flat, nested and mixed forms, comments,
//! quoting, flow and block lists, LF or CRLF) and random edit sequences stay
//! valid YAML, free of duplicates, read back as intended, and each edit is
//! idempotent. Case counts are small so `cargo test` stays fast on 2 cores.

use std::collections::BTreeMap;

use esmtls::yaml::{Edit, Value, YamlError, YamlFile};
use proptest::prelude::*;
use serde_yaml_ng::Value as Y;

const SEGS: &[&str] = &["a", "b", "ssl", "key_x"];
const STRS: &[&str] = &[
    "x",
    "true",
    "1",
    "a b",
    "C:\\p",
    "h#1",
    "https://e:9200",
    "",
    "it's",
    "0.0.0.0",
    "- y",
];

#[derive(Debug, Clone)]
enum V {
    S(String),
    L(Vec<String>, bool),
}

enum Tree {
    Leaf(V),
    Map(BTreeMap<String, Tree>),
}

fn key() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(SEGS), 1..=3).prop_map(|v| v.join("."))
}

fn string() -> impl Strategy<Value = String> {
    prop::sample::select(STRS).prop_map(String::from)
}

fn val() -> impl Strategy<Value = V> {
    prop_oneof![
        string().prop_map(V::S),
        (
            prop::collection::vec(string().prop_filter("non-empty", |s| !s.is_empty()), 1..3),
            any::<bool>()
        )
            .prop_map(|(l, flow)| V::L(l, flow)),
    ]
}

fn spell(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphabetic())
        && !["true", "y", "n", "yes", "no", "on", "off", "null"].contains(&s)
    {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap()
    }
}

fn insert(t: &mut BTreeMap<String, Tree>, parts: &[&str], v: V) {
    let Some((first, rest)) = parts.split_first() else {
        return;
    };
    if rest.is_empty() {
        t.entry(first.to_string()).or_insert(Tree::Leaf(v));
        return;
    }
    if let Tree::Map(m) = t
        .entry(first.to_string())
        .or_insert_with(|| Tree::Map(BTreeMap::new()))
    {
        insert(m, rest, v);
    }
}

fn render(
    t: &BTreeMap<String, Tree>,
    indent: usize,
    prefix: &str,
    bits: &mut impl Iterator<Item = bool>,
    out: &mut Vec<String>,
) {
    let pad = " ".repeat(indent);
    for (k, node) in t {
        if bits.next().unwrap_or(false) {
            out.push(format!("{pad}# about {k}"));
        }
        match node {
            Tree::Leaf(V::S(s)) => out.push(format!("{pad}{prefix}{k}: {}", spell(s))),
            Tree::Leaf(V::L(l, true)) => {
                let items: Vec<String> = l
                    .iter()
                    .map(|s| serde_json::to_string(s).unwrap())
                    .collect();
                out.push(format!("{pad}{prefix}{k}: [{}]  # flow", items.join(", ")));
            }
            Tree::Leaf(V::L(l, false)) => {
                out.push(format!("{pad}{prefix}{k}:"));
                for s in l {
                    out.push(format!("{pad}  - {}", spell(s)));
                }
            }
            Tree::Map(m) if bits.next().unwrap_or(true) => {
                out.push(format!("{pad}{prefix}{k}:"));
                render(m, indent + 2, "", bits, out);
            }
            Tree::Map(m) => render(m, indent, &format!("{prefix}{k}."), bits, out),
        }
    }
}

/// A random valid document without duplicates or value/parent conflicts.
fn document() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((key(), val()), 0..8),
        prop::collection::vec(any::<bool>(), 32),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(pairs, bits, crlf, final_nl)| {
            let mut kept: Vec<(String, V)> = Vec::new();
            for (k, v) in pairs {
                let clash = kept.iter().any(|(o, _)| {
                    o == &k || o.starts_with(&format!("{k}.")) || k.starts_with(&format!("{o}."))
                });
                if !clash {
                    kept.push((k, v));
                }
            }
            let mut tree = BTreeMap::new();
            for (k, v) in kept {
                insert(&mut tree, &k.split('.').collect::<Vec<_>>(), v);
            }
            let mut lines = vec!["# header".to_string()];
            render(&tree, 0, "", &mut bits.into_iter().cycle(), &mut lines);
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = lines.join(eol);
            if final_nl {
                text.push_str(eol);
            }
            text
        })
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (key(), string()).prop_map(|(k, s)| Edit::set(&k, Value::Str(s))),
        (key(), any::<bool>()).prop_map(|(k, b)| Edit::set(&k, Value::Bool(b))),
        (key(), -3i64..300).prop_map(|(k, i)| Edit::set(&k, Value::Int(i))),
        (key(), prop::collection::vec(string(), 1..3))
            .prop_map(|(k, l)| Edit::set(&k, Value::List(l))),
        key().prop_map(|k| Edit::remove(&k, "test")),
        (key(), string()).prop_map(|(k, s)| Edit::list_add(&k, &s)),
        (key(), string()).prop_map(|(k, s)| Edit::list_remove(&k, &s, "test")),
    ]
}

fn flat(text: &str) -> BTreeMap<String, Y> {
    fn walk(prefix: &str, v: &Y, out: &mut BTreeMap<String, Y>) {
        match v {
            Y::Mapping(m) if !m.is_empty() => {
                for (k, v) in m {
                    let k = k.as_str().unwrap().to_string();
                    walk(
                        &if prefix.is_empty() {
                            k
                        } else {
                            format!("{prefix}.{k}")
                        },
                        v,
                        out,
                    );
                }
            }
            other if !prefix.is_empty() => assert!(
                out.insert(prefix.into(), other.clone()).is_none(),
                "duplicate {prefix}"
            ),
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    walk("", &serde_yaml_ng::from_str::<Y>(text).unwrap(), &mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn random_edits_stay_valid_unique_and_idempotent(doc in document(), edits in prop::collection::vec(edit(), 1..6)) {
        let mut text = doc.clone();
        YamlFile::parse("p.yml", &text).unwrap_or_else(|e| panic!("generated doc refused: {e}\n{doc}"));
        for e in &edits {
            let file = YamlFile::parse("p.yml", &text).unwrap();
            let changes = match file.apply(std::slice::from_ref(e)) {
                Ok(c) => c,
                // Refusals that are the operator's to resolve, never a bad write.
                Err(YamlError::Blocked { .. } | YamlError::Unsupported { .. }) => continue,
                Err(err) => panic!("{e:?} on\n{text}\n{err}"),
            };
            let after = changes.after().to_string();
            // Valid, duplicate-free (parse refuses duplicates), comments kept.
            let re = YamlFile::parse("p.yml", &after).unwrap_or_else(|err| panic!("{e:?}: {err}\n{after}"));
            for l in text.lines().filter(|l| l.trim_start().starts_with('#')) {
                prop_assert!(after.lines().any(|x| x == l), "comment {:?} lost", l);
            }
            prop_assert_eq!(after.ends_with('\n'), text.ends_with('\n'));
            // Independent reading: only the edited key changed.
            let (before_map, after_map) = (flat(&text), flat(&after));
            let k = e.key();
            let others = |m: &BTreeMap<String, Y>| m.iter().filter(|(x, _)| *x != k && !x.starts_with(&format!("{k}."))).map(|(a, b)| (a.clone(), b.clone())).collect::<Vec<_>>();
            prop_assert_eq!(others(&before_map), others(&after_map));
            if let Edit::Remove { .. } = e {
                let under = format!("{k}.");
                prop_assert!(!after_map.keys().any(|x| x == k || x.starts_with(&under)), "{} still set", k);
            }
            // Idempotent.
            let again = re.apply(std::slice::from_ref(e)).unwrap();
            prop_assert!(again.is_unchanged(), "{:?} not idempotent:\n{}", e, again.diff());
            text = after;
        }
    }
}
