//! What a host must look like after its bundle: exactly the settings,
//! keystore entries and files the mode needs, the rest as it was, and the
//! modes and group the packages give.
//!
//! ymls are read with serde_yaml_ng (an independent parser) and flattened
//! to dotted keys the way Elasticsearch and Kibana read them, so a setting
//! given twice (as a YAML key, or once nested and once dotted) fails.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use esmtls::keystore::{EsKeystore, KibanaKeystore};
use esmtls::secret::Secret;
use serde_yaml_ng::Value;

use super::{Host, Kind, Site, Tree};

/// A yml flattened to dotted keys; panics on a key given twice.
pub fn flat(path: &Path) -> BTreeMap<String, Value> {
    let text = fs::read_to_string(path).unwrap();
    let v: Value = serde_yaml_ng::from_str(&text)
        .unwrap_or_else(|e| panic!("{} does not parse: {e}\n{text}", path.display()));
    let mut out = BTreeMap::new();
    walk(&v, "", &mut out, path);
    out
}

fn walk(v: &Value, prefix: &str, out: &mut BTreeMap<String, Value>, path: &Path) {
    match v {
        Value::Mapping(m) => {
            for (k, v) in m {
                let k = match k {
                    Value::String(s) => s.clone(),
                    other => serde_yaml_ng::to_string(other).unwrap().trim().to_string(),
                };
                let key = if prefix.is_empty() {
                    k
                } else {
                    format!("{prefix}.{k}")
                };
                walk(v, &key, out, path);
            }
        }
        Value::Null if prefix.is_empty() => {}
        leaf => {
            let old = out.insert(prefix.to_string(), leaf.clone());
            assert!(old.is_none(), "{}: {prefix} is set twice", path.display());
        }
    }
}

/// A YAML value from its text.
pub fn y(text: &str) -> Value {
    serde_yaml_ng::from_str(text).unwrap()
}

/// The keystore's entries (name → value), read with the library.
pub fn keystore(h: &Host, es_password: Option<&Secret>) -> BTreeMap<String, String> {
    let p = h.keystore();
    if h.es {
        let ks = EsKeystore::load(&p, es_password).unwrap();
        ks.names()
            .into_iter()
            .map(|n| {
                (
                    n.to_string(),
                    ks.get_string(n).unwrap().expose().to_string(),
                )
            })
            .collect()
    } else {
        let ks = KibanaKeystore::load(&p, None).unwrap();
        ks.names()
            .map(|n| (n.to_string(), ks.get(n).unwrap().expose().to_string()))
            .collect()
    }
}

/// What a host was before the run.
pub struct Before {
    /// The yml, flattened.
    pub yml: BTreeMap<String, Value>,
    /// The keystore's entries.
    pub keystore: BTreeMap<String, String>,
    /// The host's files.
    pub tree: Tree,
}

/// Reads a host before the run.
pub fn before(h: &Host) -> Before {
    Before {
        yml: flat(&h.yml()),
        keystore: keystore(h, None),
        tree: super::tree(&h.config),
    }
}

/// The first certificate of a PEM file, DER.
pub fn first_cert(path: &Path) -> Vec<u8> {
    let b = fs::read(path).unwrap();
    let blocks = esmtls::pki::pem::parse_all(&b, "").unwrap();
    esmtls::pki::pem::certificates(&blocks)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no certificate in {}", path.display()))
}

/// The leaf certificate of a PKCS#12 file.
pub fn p12_leaf(path: &Path, password: &str) -> Vec<u8> {
    let c = esmtls::pki::pkcs12::read(&fs::read(path).unwrap(), password, "").unwrap();
    assert_eq!(c.keys.len(), 1, "{}: one key entry", path.display());
    c.keys[0].chain[0].clone()
}

/// Only the entries whose key starts with one of `prefixes` (or none, with `keep: false`).
pub fn part(m: &BTreeMap<String, Value>, prefixes: &[&str], keep: bool) -> BTreeMap<String, Value> {
    m.iter()
        .filter(|(k, _)| prefixes.iter().any(|p| k.starts_with(p)) == keep)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Every file and directory of the host: the config dir's group, nobody
/// else; what the run wrote 0640 / 0750, owned by the user who ran it.
pub fn modes(h: &Host, b: &Before, case: &str) {
    let gid = h.gid();
    let uid = super::process_uid();
    for (p, (content, owner, group, mode)) in super::tree(&h.config) {
        let what = format!("{case}: {} ({mode:o}, {owner}:{group})", p.display());
        assert_eq!(mode & 0o007, 0, "{what}: world bits");
        let backup = p.to_string_lossy().ends_with(".bak");
        if backup {
            continue;
        }
        assert_eq!(group, gid, "{what}: group");
        assert_ne!(mode & 0o040, 0, "{what}: the service cannot read it");
        let old = b.tree.get(&p);
        let written = match (&content, old) {
            (_, None) => true,
            (Some(c), Some((Some(o), ..))) => c != o,
            _ => false,
        };
        if written {
            assert_eq!(owner, uid, "{what}: owner");
            let want = if content.is_some() { 0o640 } else { 0o750 };
            assert_eq!(mode & 0o777, want, "{what}");
        }
    }
}

/// The bundles: 0700 directories, 0600 files; a README that says whether
/// the bundle holds secrets, as its manifest does.
pub fn bundles(site: &Site, case: &str) {
    for (p, (content, _, _, mode)) in super::tree(&site.bundles) {
        let want = if content.is_some() { 0o600 } else { 0o700 };
        assert_eq!(mode & 0o7777, want, "{case}: {}", p.display());
    }
    for h in site.hosts() {
        let dir = site.bundles.join(&h.name);
        let m: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.join("bundle.json")).unwrap()).unwrap();
        let secrets = dir.join("keys").exists() || dir.join("secrets").exists();
        // Kibana always gets its credential or its key; a node its key when esmtls issues it.
        assert_eq!(
            secrets,
            !h.es || site.kind == Kind::Fresh,
            "{case}: {}",
            h.name
        );
        assert_eq!(
            m["secrets"],
            serde_json::json!(secrets),
            "{case}: {}",
            h.name
        );
        let readme = fs::read_to_string(dir.join("README.txt")).unwrap();
        assert_eq!(
            readme.contains("THIS BUNDLE HOLDS SECRETS"),
            secrets,
            "{case}: {}: {readme}",
            h.name
        );
        assert!(
            readme.contains(&format!("Apply it ON {}", h.name)),
            "{case}: {readme}"
        );
        if !secrets {
            assert!(readme.contains("holds no secret"), "{case}: {readme}");
        }
    }
    // One credential for the whole cluster: every Kibana the same, matching
    // the nodes' token line or the password the cluster-wide call sets.
    let read = |host: &str, rel: &str| {
        fs::read_to_string(site.bundles.join(host).join(rel))
            .ok()
            .map(|s| s.trim().to_string())
    };
    let credential = read("kb01", "secrets/credential");
    assert_eq!(read("kb02", "secrets/credential"), credential, "{case}");
    for n in &site.nodes {
        if let Some(line) = read(&n.name, "service_tokens.line") {
            let bearer = credential.as_deref().unwrap();
            assert_eq!(
                esmtls::es::service_tokens::verify(&line, bearer).as_deref(),
                Some("elastic/kibana/esmtls"),
                "{case}: {}'s token line does not verify Kibana's token",
                n.name
            );
        }
    }
    let cluster = site.bundles.join("_cluster");
    if cluster.exists() {
        let readme = fs::read_to_string(cluster.join("README.txt")).unwrap();
        assert!(readme.contains("HOLDS A SECRET"), "{case}: {readme}");
        assert_eq!(
            read("_cluster", "secrets/kibana_system"),
            credential,
            "{case}"
        );
    }
    assert!(!site.bundles.join("_ca").join("bundle.json").exists());
}
