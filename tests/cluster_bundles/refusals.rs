//! Bad input, each refused in one line (exit 3; clap's usage errors 64)
//! with nothing changed on disk: a topology that names two hosts alike, a
//! bundle on the wrong host or without its config directory, a tampered
//! bundle, a protected keystore without its passphrase; and `apply
//! --answers` with a topology, which points to `--bundle`.

use std::fs;

use super::cluster_bundles_support::checks;
use super::cluster_bundles_support::{Kind, Site, disk, site};
use super::common::{self, run, stderr};
use super::{json, make_bundles, refused};
use serde_json::Value;

/// A topology that would give two hosts one bundle, or make two nodes
/// indistinguishable to Kibana, is refused before anything is written.
#[test]
fn topology_with_duplicate_names_or_addresses_is_refused() {
    let site = site(Kind::Fresh);
    let good = fs::read_to_string(site.answers("token")).unwrap();
    for (what, from, to, says) in [
        (
            "two nodes named es01",
            "- name: es02",
            "- name: es01",
            "`topology.elasticsearch[1].name`: `es01` is already the name of topology.elasticsearch[0]",
        ),
        (
            "a Kibana named like a node",
            "- name: kb02",
            "- name: ES03",
            "`topology.kibana[1].name`: `ES03` is already the name of topology.elasticsearch[2]",
        ),
        (
            "two nodes with one DNS name and port",
            "dns: [es02.example.com]",
            "dns: [ES01.example.com]",
            "`es01.example.com` with port 9200 is given for both es01 and es02",
        ),
    ] {
        let a = site.root.join("bad.yml");
        assert!(good.contains(from), "{what}");
        fs::write(&a, good.replacen(from, to, 1)).unwrap();
        let before = disk(&site);
        let mut c = site.ca_holder();
        c.args(["plan", "--answers"])
            .arg(&a)
            .arg("--bundle")
            .arg(&site.bundles);
        refused(&run(&mut c), says, what);
        assert!(!site.bundles.exists(), "{what}: no bundle");
        assert_eq!(disk(&site), before, "{what}");
    }
    // One IP on two ports is two nodes (es02 and es03 share 10.0.0.12).
    let mut c = site.ca_holder();
    c.args(["plan", "--answers"]).arg(site.answers("token"));
    assert!(run(&mut c).status.success());
}

/// Two nodes on one IP and one port: the error names the key that holds the IP.
#[test]
fn duplicate_ip_names_the_ip_key() {
    let site = site(Kind::Fresh);
    let good = fs::read_to_string(site.answers("token")).unwrap();
    let a = site.root.join("bad.yml");
    fs::write(&a, good.replacen("port: 9201", "port: 9200", 1)).unwrap();
    let mut c = site.ca_holder();
    c.args(["plan", "--answers"]).arg(&a);
    refused(
        &run(&mut c),
        "`topology.elasticsearch[2].ip`: `10.0.0.12` with port 9200 is given for both es02 and es03",
        "duplicate ip",
    );
}

/// Every host uses one config path (as every machine has /etc/elasticsearch):
/// es01's tree is "this machine", and other hosts' bundles are refused here.
#[test]
fn bundle_on_the_wrong_host_is_refused() {
    let site = site(Kind::Enrolled);
    let here = site.nodes[0].config.clone();
    let a = site.answers_with("mtls-token", |_| here.clone());
    make_bundles(&site, &a, "wrong host");
    let es01 = &site.nodes[0];
    let b = |n: &str| site.bundles.join(n);
    let cases: [(&str, Vec<&str>, String); 4] = [
        (
            "a Kibana bundle on a node",
            vec!["--bundle", "bundles/kb01"],
            format!(
                "this bundle is for Kibana instance kb01, but {} holds elasticsearch.yml; apply it on kb01",
                here.display()
            ),
        ),
        (
            "es02's bundle on es01",
            vec!["--bundle", "bundles/es02"],
            format!(
                "this bundle is for es02, but this host is es01 (node.name in {}/elasticsearch.yml)",
                here.display()
            ),
        ),
        (
            "--host names another host",
            vec!["--bundle", "bundles/es01", "--host", "es02"],
            "this bundle is for es01, not es02 (--host)".into(),
        ),
        (
            "es02's bundle with --host es02 on es01",
            vec!["--bundle", "bundles/es02", "--host", "es02"],
            "this host is es01".into(),
        ),
    ];
    for (what, args, says) in cases {
        let before = disk(&site);
        let mut cmds = vec![vec!["apply", "--yes"]];
        if !args.contains(&"--host") {
            cmds.push(vec!["plan"]);
        }
        for cmd in cmds {
            let mut c = site.on(es01);
            c.args(&cmd).args(&args);
            refused(&run(&mut c), &says, &format!("{what} ({})", cmd[0]));
        }
        assert_eq!(disk(&site), before, "{what}");
    }

    // A host without the config directory the bundle names.
    let gone = site.root.join("es01/etc/elasticsearch.moved");
    fs::rename(&here, &gone).unwrap();
    let before = disk(&site);
    let mut c = site.on(es01);
    c.args(["apply", "--yes", "--bundle"]).arg(b("es01"));
    refused(
        &run(&mut c),
        &format!(
            "whose elasticsearch config directory {} does not exist here; apply it on es01",
            here.display()
        ),
        "missing config dir",
    );
    assert_eq!(disk(&site), before, "missing config dir");
    assert!(!here.exists());
}

/// A change to a bundle file.
type Edit = Box<dyn Fn(Vec<u8>) -> Vec<u8>>;

/// A bundle changed after esmtls wrote it is refused, whatever changed.
#[test]
fn tampered_bundle_is_refused() {
    let site = site(Kind::Fresh);
    make_bundles(&site, &site.answers("mtls-token"), "tampered");
    let es01 = &site.nodes[0];
    let dir = site.bundles.join("es01");
    let ca = fs::read(dir.join("certs/ca.crt")).unwrap();
    let edits: [(&str, &str, Edit, &str); 5] = [
        (
            "answers.yml edited",
            "answers.yml",
            Box::new(|t| {
                String::from_utf8(t)
                    .unwrap()
                    .replace("client_authentication: auto", "client_authentication: none")
                    .into_bytes()
            }),
            "answers.yml differs from what esmtls wrote",
        ),
        (
            "another certificate",
            "certs/http.crt",
            Box::new(move |_| ca.clone()),
            "certs/http.crt differs from what esmtls wrote",
        ),
        (
            "a key removed",
            "keys/http.key",
            Box::new(|_| Vec::new()),
            "keys/http.key is missing",
        ),
        (
            "the manifest's mode",
            "bundle.json",
            Box::new(|t| {
                String::from_utf8(t)
                    .unwrap()
                    .replace("\"mode\": \"mtls-token\"", "\"mode\": \"token\"")
                    .into_bytes()
            }),
            "bundle.json differs from what esmtls wrote",
        ),
        (
            "the manifest's file list",
            "bundle.json",
            Box::new(|t| {
                let mut m: Value = serde_json::from_slice(&t).unwrap();
                m["files"].as_object_mut().unwrap().remove("keys/http.key");
                serde_json::to_vec_pretty(&m).unwrap()
            }),
            "bundle.json differs from what esmtls wrote",
        ),
    ];
    for (what, rel, edit, says) in edits {
        let path = dir.join(rel);
        let orig = fs::read(&path).unwrap();
        let new = edit(orig.clone());
        assert_ne!(new, orig, "{what}: the edit changes the file");
        if new.is_empty() {
            fs::remove_file(&path).unwrap();
        } else {
            fs::write(&path, &new).unwrap();
        }
        let before = disk(&site);
        for cmd in [vec!["apply", "--yes"], vec!["plan"]] {
            let mut c = site.on(es01);
            c.args(&cmd).arg("--bundle").arg(&dir);
            let o = run(&mut c);
            refused(&o, says, what);
            refused(&o, "was changed after esmtls wrote it", what);
        }
        assert_eq!(disk(&site), before, "{what}");
        fs::write(&path, orig).unwrap();
    }
    // Restored, the bundle applies.
    json(site.apply(es01, "all"), "restored bundle");
}

/// A password-protected elasticsearch.keystore: refused without its
/// passphrase file and with a wrong one (nothing changed), applied with it
/// (still protected, every entry kept).
#[test]
fn protected_keystore_applies_with_its_passphrase_file() {
    let (site, pw) = protected_site();
    let es01 = &site.nodes[0];
    let entries = checks::keystore(es01, Some(&pw));
    let before = disk(&site);
    let wrong = common::pw_file(&es01.home, "wrong", "not-it");
    for (what, file) in [
        ("no passphrase file", None),
        ("a wrong passphrase", Some(&wrong)),
    ] {
        let mut c = site.on(es01);
        if let Some(f) = file {
            c.env("ES_KEYSTORE_PASSPHRASE_FILE", f);
        }
        c.args(["apply", "--yes", "--bundle"])
            .arg(site.bundles.join("es01"));
        let o = run(&mut c);
        assert_eq!(o.status.code(), Some(3), "{what}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("elasticsearch.keystore"),
            "{what}: {}",
            stderr(&o)
        );
        assert_eq!(disk(&site), before, "{what}");
    }

    let file = common::pw_file(&es01.home, "es-ks-pass", pw.expose());
    for (pass, changed) in [("first", true), ("second", false)] {
        let mut c = site.on(es01);
        c.env("ES_KEYSTORE_PASSPHRASE_FILE", &file)
            .args(["apply", "--yes", "--json", "--bundle"])
            .arg(site.bundles.join("es01"));
        let r = json(run(&mut c), pass);
        assert_eq!(r["changed"], Value::Bool(changed), "{pass}: {r}");
    }
    let ks = esmtls::keystore::EsKeystore::load(&es01.keystore(), Some(&pw)).unwrap();
    assert!(ks.has_password(), "the keystore stays protected");
    let after = checks::keystore(es01, Some(&pw));
    for (k, v) in &entries {
        assert_eq!(after.get(k), Some(v), "{k}");
    }
    assert!(after.contains_key("xpack.security.http.ssl.keystore.secure_password"));
}

/// A fresh cluster whose es01 keystore has a password, with token bundles.
fn protected_site() -> (Site, esmtls::secret::Secret) {
    let site = site(Kind::Fresh);
    let pw = esmtls::secret::Secret::new("keystore-Pa55phrase");
    common::setups::protect_es_keystore(&site.nodes[0].keystore(), pw.expose());
    make_bundles(&site, &site.answers("token"), "protected");
    (site, pw)
}

/// Without the passphrase file the refusal is one line that says how to give it.
#[test]
fn protected_keystore_without_passphrase_file_is_one_line() {
    let (site, _) = protected_site();
    refused(
        &site.apply(&site.nodes[0], "all"),
        "ES_KEYSTORE_PASSPHRASE_FILE",
        "no passphrase file",
    );
}

/// A host whose yml names no host: `plan --bundle` takes `--host` as `apply` does
/// (the refusal tells the operator to pass it).
#[test]
fn plan_bundle_takes_host_like_apply() {
    let site = site(Kind::Fresh);
    let es01 = &site.nodes[0];
    let yml = fs::read_to_string(es01.yml()).unwrap();
    fs::write(
        es01.yml(),
        yml.replace("node.name: es01", "#node.name: es01"),
    )
    .unwrap();
    make_bundles(&site, &site.answers("token"), "no node.name");
    let mut c = site.on(es01);
    c.args(["plan", "--bundle", "bundles/es01"]);
    refused(
        &run(&mut c),
        "pass --host es01 if this is it",
        "plan without --host",
    );
    let mut c = site.on(es01);
    c.args([
        "apply",
        "--yes",
        "--dry-run",
        "--host",
        "es01",
        "--bundle",
        "bundles/es01",
    ]);
    assert!(run(&mut c).status.success(), "apply takes --host");
    let mut c = site.on(es01);
    c.args(["plan", "--host", "es01", "--bundle", "bundles/es01"]);
    let o = run(&mut c);
    assert!(o.status.success(), "plan --host: {}", stderr(&o));
}

/// `apply --answers` with a topology points to `--bundle`; bad flags are usage errors.
#[test]
fn cluster_answers_are_applied_through_bundles() {
    let site = site(Kind::Fresh);
    let a = site.answers("token");
    let before = disk(&site);
    let mut c = site.ca_holder();
    c.args(["apply", "--yes", "--answers"]).arg(&a);
    refused(
        &run(&mut c),
        &format!(
            "Write the bundles with `esmtls plan --answers {} --bundle DIR`, then run `esmtls apply --bundle DIR/<host>`",
            a.display()
        ),
        "apply --answers",
    );
    assert_eq!(disk(&site), before);

    make_bundles(&site, &site.answers("password"), "password");
    let before = disk(&site);
    for (what, args, code) in [
        (
            "--answers with --bundle",
            vec![
                "apply",
                "--yes",
                "--answers",
                a.to_str().unwrap(),
                "--bundle",
                "bundles/es01",
            ],
            3,
        ),
        (
            "cluster calls without credentials",
            vec!["apply", "--yes", "--bundle", "bundles/_cluster"],
            3,
        ),
        (
            "an unknown phase",
            vec![
                "apply",
                "--yes",
                "--bundle",
                "bundles/es01",
                "--phase",
                "later",
            ],
            64,
        ),
        (
            "--host without --bundle",
            vec![
                "apply",
                "--yes",
                "--answers",
                a.to_str().unwrap(),
                "--host",
                "es01",
            ],
            64,
        ),
    ] {
        let o = run(site.on(&site.nodes[0]).args(&args));
        assert_eq!(o.status.code(), Some(code), "{what}: {}", stderr(&o));
        if code == 3 {
            refused(&o, "", what);
        }
    }
    assert_eq!(disk(&site), before);
}
