//! `esmtls renew` on a setup made by `esmtls apply` with one-day
//! certificates: subject, SANs, file names and passwords are kept (checked
//! with `esmtls cert inspect`, keytool and node-forge), the new not-after is
//! in the future, unrelated files are untouched, a second run does nothing,
//! `--dry-run` writes nothing; a leaf from an unknown CA asks for `--ca`; a
//! leaf whose CA has expired is refused and nothing is written.

mod common;
mod lifecycle_support;

use std::fs;
use std::process::{Command, Output};

use common::{have, node_modules, ok, run, snapshot, stderr, stdout};
use lifecycle_support::*;

/// `esmtls renew --yes --ca NAME.crt --ca-key NAME.key` with `ca` written
/// to those two files in the test root.
fn renew_with_ca(env: &Env, ca: &esmtls::pki::build::CaMaterial, name: &str) -> Output {
    let ca_crt = put(
        &env.root,
        &format!("{name}.crt"),
        &esmtls::pki::pem::cert(&ca.cert_der),
    );
    let ca_key = put(&env.root, &format!("{name}.key"), &ca.key.serialize_pem());
    run(&mut cmd(
        env,
        &[
            "renew",
            "--yes",
            "--ca",
            ca_crt.to_str().unwrap(),
            "--ca-key",
            ca_key.to_str().unwrap(),
        ],
    ))
}

#[test]
fn renew_keeps_names_files_and_passwords_and_is_idempotent() {
    let env = healthy("client_certificate:\n  days: 1\nserver_certificate:\n  days: 1\n");
    let p12 = env.kb.join("certs/kibana-client.p12");
    let crt = env.es.join("certs/esmtls-http.p12");
    let pw = kb_p12_password(&env);
    let es_pw = es_p12_password(&env);
    let old_client = leaf_of(&inspect(&env, p12.to_str().unwrap(), Some(&pw)));
    let old_server = leaf_of(&inspect(&env, crt.to_str().unwrap(), Some(&es_pw)));
    assert!(old_client["days_left"].as_i64().unwrap() <= 1);
    let before = snapshot(&env.root);

    // --dry-run lists both and writes nothing.
    let dry = ok(run(&mut cmd(&env, &["renew", "--dry-run"])));
    assert!(
        dry.contains("would renew") && dry.contains("kibana-client.p12"),
        "{dry}"
    );
    assert!(dry.contains("esmtls-http.p12"), "{dry}");
    assert_eq!(before, snapshot(&env.root), "--dry-run wrote");

    // Without --yes and without a terminal: refused, nothing written.
    let o = run(&mut cmd(&env, &["renew"]));
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert_eq!(before, snapshot(&env.root));

    let o = run(&mut cmd(&env, &["renew", "--yes"]));
    let out = stdout(&o);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    assert!(
        out.contains("Kibana: it reads its certificates only when it starts"),
        "{out}"
    );
    assert!(out.contains("Elasticsearch: nothing to do"), "{out}");
    assert!(
        !out.contains(&pw) && !out.contains(&es_pw),
        "a password was printed"
    );

    // Same subject, SANs and EKU; the same password opens the new file; later not-after.
    let new_client = leaf_of(&inspect(&env, p12.to_str().unwrap(), Some(&pw)));
    let new_server = leaf_of(&inspect(&env, crt.to_str().unwrap(), Some(&es_pw)));
    for (old, new) in [(&old_client, &new_client), (&old_server, &new_server)] {
        for k in ["subject", "issuer", "sans", "eku", "key_type", "key_bits"] {
            assert_eq!(old[k], new[k], "{k} changed");
        }
        assert_ne!(old["serial"], new["serial"]);
        assert!(new["days_left"].as_i64().unwrap() > 365, "{new}");
    }
    // Only the renewed files changed (plus their backups); everything else is byte-identical.
    let after = snapshot(&env.root);
    let changed: Vec<String> = before
        .keys()
        .filter(|p| before.get(*p) != after.get(*p))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut changed = changed;
    changed.sort();
    assert_eq!(changed, ["esmtls-http.p12", "kibana-client.p12"]);
    assert_eq!(common::mode(&p12), 0o600);
    assert_eq!(common::mode(&crt), 0o600);
    let backups = fs::read_dir(env.kb.join("certs"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".bak"))
        .count();
    assert_eq!(backups, 1, "one backup of kibana-client.p12");

    // status is fine now; a second run does nothing.
    assert_eq!(code(&run(&mut cmd(&env, &["status"]))), 0);
    let again = ok(run(&mut cmd(&env, &["renew", "--yes"])));
    assert!(again.contains("Nothing to renew"), "{again}");
    assert_eq!(after, snapshot(&env.root), "second renew changed files");

    // Elastic's readers: keytool (as Elasticsearch's JDK) and node-forge (as Kibana).
    if have("keytool") {
        let list = ok(run(Command::new("keytool").args([
            "-list",
            "-v",
            "-storetype",
            "PKCS12",
            "-keystore",
            p12.to_str().unwrap(),
            "-storepass",
            &pw,
        ])));
        assert!(list.contains("PrivateKeyEntry"), "{list}");
        assert!(list.contains("CN=kibana-client"), "{list}");
    }
    if let Some(nm) = node_modules() {
        let pwf = common::pw_file(&env.root, "forge-pw", &pw);
        let out = ok(run(Command::new("node")
            .env("NODE_PATH", nm)
            .arg(common::asset("node/forge-check.js"))
            .arg(&p12)
            .arg(&pwf)));
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["error"], serde_json::Value::Null, "{v}");
        assert_eq!(v["keys"], 1, "{v}");
        assert_eq!(v["cert"], "kibana-client", "{v}");
    }
}

#[test]
fn only_limits_the_renewal_to_one_file() {
    let env = healthy("client_certificate:\n  days: 1\nserver_certificate:\n  days: 1\n");
    let crt = env.es.join("certs/esmtls-http.p12");
    let before = fs::read(&crt).unwrap();
    let out = ok(run(&mut cmd(
        &env,
        &["renew", "--yes", "--only", "kibana-client.p12"],
    )));
    assert!(out.contains("kibana-client.p12"), "{out}");
    assert!(!out.contains("Elasticsearch: nothing to do"), "{out}");
    assert_eq!(
        before,
        fs::read(&crt).unwrap(),
        "--only touched another file"
    );
}

#[test]
fn expired_leaf_from_an_unknown_ca_needs_ca_and_is_renewed_with_it() {
    let env = healthy("");
    let ca = ca("CN=Corp CA");
    let KibanaServer {
        crt, crt_path: c, ..
    } = expired_kibana_server(&env, &ca, "kibana", 2);
    let o = run(&mut cmd(&env, &["renew", "--yes"]));
    assert_eq!(code(&o), 3);
    let err = stderr(&o);
    assert!(err.contains("--ca"), "{err}");
    assert_eq!(
        fs::read_to_string(&c).unwrap(),
        crt,
        "nothing may be written"
    );

    let o = renew_with_ca(&env, &ca, "corp-ca");
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let new = leaf_of(&inspect(&env, c.to_str().unwrap(), None));
    assert_eq!(new["subject"], "CN=kibana");
    assert_eq!(new["sans"], serde_json::json!(["DNS:kibana.example.com"]));
    assert_eq!(new["eku"], serde_json::json!(["serverAuth"]));
    assert!(new["days_left"].as_i64().unwrap() > 30);
}

#[test]
fn a_leaf_whose_ca_has_expired_is_refused_and_nothing_is_written() {
    let env = healthy("");
    let ca = expired_ca("Old Corp CA", 3);
    let KibanaServer {
        crt,
        key,
        crt_path: c,
        key_path: k,
    } = expired_kibana_server(&env, &ca, "kibana", 5);
    let kb_yml = fs::read(env.kb.join("kibana.yml")).unwrap();
    let o = renew_with_ca(&env, &ca, "old-ca");
    assert_eq!(code(&o), 3, "{}\n{}", stdout(&o), stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("CN=Old Corp CA") && err.contains("expired"),
        "{err}"
    );
    assert!(err.contains("replace the CA first"), "{err}");
    assert_eq!(
        fs::read_to_string(&c).unwrap(),
        crt,
        "certificate rewritten"
    );
    assert_eq!(fs::read_to_string(&k).unwrap(), key, "key rewritten");
    assert_eq!(fs::read(env.kb.join("kibana.yml")).unwrap(), kb_yml);
    let backups: Vec<_> = fs::read_dir(env.kb.join("certs"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("bak"))
        .collect();
    assert!(backups.is_empty(), "backups left: {backups:?}");
}

#[test]
fn expiring_ca_gets_a_transition_plan_not_a_renewal() {
    let env = healthy("ca:\n  days: 10\n");
    let out = ok(run(&mut cmd(&env, &["renew", "--dry-run"])));
    assert!(out.contains("CA transition"), "{out}");
    assert!(out.contains("Trust both"), "{out}");
    assert!(out.contains("CN=esmtls CA"), "{out}");
}

#[test]
fn only_with_a_file_the_setup_does_not_use_is_an_error() {
    let env = healthy("");
    let o = run(&mut cmd(&env, &["renew", "--yes", "--only", "nope.p12"]));
    assert_eq!(code(&o), 3);
    assert!(
        stderr(&o).contains("no setting of this setup names this file"),
        "{}",
        stderr(&o)
    );
}
