//! `esmtls plan` / `esmtls apply` end to end on temporary config directories:
//! the five scenarios, idempotence, and failure injection (every original file
//! restored byte for byte).

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{esmtls, ok_all as ok, run, snapshot, stderr, stdout};
use esmtls::keystore::{EsKeystore, KibanaKeystore};
use esmtls::yaml::YamlFile;

const ES_YML: &str = "# ======================== Elasticsearch Configuration =========================\n#\n# ---------------------------------- Cluster -----------------------------------\n#\n#cluster.name: my-application\n#\n# ---------------------------------- Network -----------------------------------\n#\n#network.host: 192.168.0.1\n#http.port: 9200\n";
const KB_YML: &str = "# For more configuration options see the configuration guide for Kibana in\n# https://www.elastic.co/guide/index.html\n\n# =================== System: Kibana Server ===================\n#server.port: 5601\n\n# =================== System: Elasticsearch ===================\n#elasticsearch.hosts: [\"http://localhost:9200\"]\nelasticsearch.username: \"kibana_system\"\nelasticsearch.password: \"pass\"\n";

type Env = common::setups::PackageSite;

/// A package-like install: commented elasticsearch.yml and a fresh keystore
/// (format 7, only keystore.seed); kibana.yml with the classic username/password.
fn seed() -> Env {
    common::setups::package_site(ES_YML, KB_YML)
}

fn answers(env: &Env, text: &str) -> PathBuf {
    let p = env.root.join("answers.yml");
    fs::write(&p, text).unwrap();
    p
}

fn cmd(env: &Env, args: &[&str]) -> std::process::Command {
    let mut c = esmtls(&env.root);
    c.env("ESMTLS_SECRET_STORE", "file").args(args);
    c.arg("--es-config")
        .arg(&env.es)
        .arg("--kibana-config")
        .arg(&env.kb);
    c
}

fn apply(env: &Env, a: &Path) -> std::process::Output {
    run(&mut cmd(
        env,
        &["apply", "--yes", "--answers", a.to_str().unwrap()],
    ))
}

fn kb_keystore(env: &Env) -> Vec<String> {
    let p = env.kb.join("kibana.keystore");
    if !p.exists() {
        return Vec::new();
    }
    let ks = KibanaKeystore::load(&p, None).unwrap();
    ks.names().map(String::from).collect()
}

fn setting(path: &Path, key: &str) -> Option<String> {
    YamlFile::read(path)
        .unwrap()
        .get(key)
        .map(|s| format!("{:?}", s.value))
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn five_scenarios_end_to_end_and_twice() {
    for mode in ["token", "password", "mtls-token", "mtls-password", "pki"] {
        let env = seed();
        let a = answers(&env, &format!("mode: {mode}\nlicense: platinum\n"));
        let first = ok(apply(&env, &a));
        assert!(first.contains("created"), "{mode}: {first}");
        let es_yml = env.es.join("elasticsearch.yml");
        let kb_yml = env.kb.join("kibana.yml");
        let ks = kb_keystore(&env);

        // Elasticsearch: HTTPS with esmtls's certificate (the node had none).
        assert_eq!(
            setting(&es_yml, "xpack.security.http.ssl.enabled").as_deref(),
            Some("Bool(true)"),
            "{mode}"
        );
        assert!(env.es.join("certs/esmtls-http.p12").exists());
        assert_eq!(mode_of(&env.es.join("certs/esmtls-http.p12")), 0o600);
        let esks = EsKeystore::load(&env.es.join("elasticsearch.keystore"), None).unwrap();
        assert!(
            esks.names()
                .contains(&"xpack.security.http.ssl.keystore.secure_password")
        );
        // Kibana: https hosts and the server CA.
        assert!(
            setting(&kb_yml, "elasticsearch.hosts")
                .unwrap()
                .contains("https://localhost:9200")
        );
        assert!(
            setting(&kb_yml, "elasticsearch.ssl.certificateAuthorities")
                .unwrap()
                .contains("elasticsearch-ca.crt")
        );
        assert!(
            setting(&kb_yml, "elasticsearch.password").is_none(),
            "{mode}: password must not stay in kibana.yml"
        );
        let client_auth = setting(&es_yml, "xpack.security.http.ssl.client_authentication");
        let always = setting(&kb_yml, "elasticsearch.ssl.alwaysPresentCertificate");
        match mode {
            "token" | "password" => {
                assert!(client_auth.is_none(), "{mode}");
                assert!(setting(&kb_yml, "elasticsearch.ssl.keystore.path").is_none());
            }
            "mtls-token" | "mtls-password" => {
                assert_eq!(client_auth.as_deref(), Some("String(\"required\")"));
                assert_eq!(always.as_deref(), Some("Bool(true)"));
                assert!(ks.contains(&"elasticsearch.ssl.keystore.password".to_string()));
                assert_eq!(mode_of(&env.kb.join("certs/kibana-client.p12")), 0o600);
            }
            _ => {
                assert_eq!(client_auth.as_deref(), Some("String(\"optional\")"));
                assert!(always.is_none(), "pki keeps alwaysPresentCertificate false");
                assert_eq!(
                    setting(&es_yml, "xpack.security.authc.realms.pki.esmtls_pki.order").as_deref(),
                    Some("Number(\"1\")")
                );
                assert_eq!(
                    setting(&es_yml, "xpack.security.authc.realms.native.native1.order").as_deref(),
                    Some("Number(\"2\")")
                );
                // Offline: the file-based role mapping and the request file.
                let rm = fs::read_to_string(env.es.join("role_mapping.yml")).unwrap();
                assert!(rm.contains("kibana_system: [CN=kibana-client]"), "{rm}");
                assert!(env.es.join("esmtls-requests.txt").exists());
                assert!(setting(&kb_yml, "elasticsearch.username").is_none());
                assert!(!ks.iter().any(|n| n == "elasticsearch.password"));
            }
        }
        match mode {
            "password" | "mtls-password" => {
                assert_eq!(
                    setting(&kb_yml, "elasticsearch.username").as_deref(),
                    Some("String(\"kibana_system\")")
                );
                assert!(
                    ks.contains(&"elasticsearch.password".to_string()),
                    "{mode}: {ks:?}"
                );
            }
            "token" | "mtls-token" => {
                assert!(
                    setting(&kb_yml, "elasticsearch.username").is_none(),
                    "{mode}"
                );
                // Offline: no token yet; the request is in the file and the warning says so.
                assert!(
                    fs::read_to_string(env.es.join("esmtls-requests.txt"))
                        .unwrap()
                        .contains("credential/token/esmtls")
                );
            }
            _ => {}
        }
        // Comments and unrelated lines survive.
        let es_text = fs::read_to_string(&es_yml).unwrap();
        assert!(
            es_text.starts_with(ES_YML),
            "{mode}: the user's text must stay:\n{es_text}"
        );
        // Secrets never in the plan's output.
        let plan = ok(run(&mut cmd(
            &env,
            &["plan", "--json", "--answers", a.to_str().unwrap()],
        )));
        assert!(
            plan.contains("\"noop\": true"),
            "{mode}: second plan must be a no-op:\n{plan}"
        );
        // A second apply changes nothing.
        let before = snapshot(&env.root);
        let second = ok(apply(&env, &a));
        assert!(second.contains("Nothing to change"), "{mode}: {second}");
        assert_eq!(
            before,
            snapshot(&env.root),
            "{mode}: second apply changed files"
        );
    }
}

fn mode_of(p: &Path) -> u32 {
    mode(p)
}

#[test]
fn output_folder_when_nothing_is_installed() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a.yml");
    // Where Kibana's config is on its own host (here: another tree).
    let kb_host = tmp.path().join("kibana-host/etc/kibana");
    fs::create_dir_all(&kb_host).unwrap();
    fs::write(
        &a,
        format!(
            "mode: mtls-token\nkibana:\n  install_config: {}\n",
            kb_host.display()
        ),
    )
    .unwrap();
    let mut c = esmtls(tmp.path());
    c.env("ESMTLS_SECRET_STORE", "file")
        .args(["apply", "--yes", "--answers", a.to_str().unwrap()]);
    let o = run(&mut c);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("esmtls-out"), "{}", stderr(&o));
    // Each side is a bundle applied on its host (in place, keystore merged),
    // not loose files to copy over the ones there.
    let es = tmp.path().join("esmtls-out/elasticsearch");
    let kb = tmp.path().join("esmtls-out/kibana");
    for (dir, files) in [
        (
            &es,
            &[
                "bundle.json",
                "README.txt",
                "answers.yml",
                "certs/http.crt",
                "keys/http.key",
                "service_tokens.line",
            ][..],
        ),
        (
            &kb,
            &[
                "bundle.json",
                "README.txt",
                "answers.yml",
                "certs/client.crt",
                "keys/client.key",
                "secrets/credential",
            ][..],
        ),
    ] {
        for f in files {
            assert!(dir.join(f).exists(), "{}: {f}", dir.display());
            assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
        }
        assert_eq!(mode(dir) & 0o777, 0o700);
        assert!(
            !dir.join("kibana.keystore").exists() && !dir.join("elasticsearch.keystore").exists()
        );
        let readme = fs::read_to_string(dir.join("README.txt")).unwrap();
        assert!(
            readme.contains("esmtls apply --bundle") && readme.contains("HOLDS SECRETS"),
            "{readme}"
        );
        assert!(!readme.contains("replaces the one there"), "{readme}");
    }
    assert!(tmp.path().join("esmtls-out/PLAN.txt").exists());
    // On Kibana's host (named otherwise, with a keystore of its own): the
    // bundle edits kibana.yml in place and merges into the keystore.
    fs::write(
        kb_host.join("kibana.yml"),
        "# ours\nserver.name: kb-prod\nserver.port: 5601\n",
    )
    .unwrap();
    let ks_path = kb_host.join("kibana.keystore");
    let mut ks = KibanaKeystore::new(esmtls::secret::Secret::empty());
    ks.set_string(
        "xpack.encryptedSavedObjects.encryptionKey",
        esmtls::secret::Secret::new("k".repeat(32)),
        false,
        &ks_path,
    )
    .unwrap();
    ks.save(
        &ks_path,
        &mut esmtls::keystore::SystemRandom,
        esmtls::fsutil::Existing::Refuse,
    )
    .unwrap();
    let home = tmp.path().join("kibana-host/home");
    fs::create_dir_all(&home).unwrap();
    let mut c = esmtls(&home);
    c.args(["apply", "--yes", "--bundle"]).arg(&kb);
    let o = run(&mut c);
    assert!(o.status.success(), "{}", stderr(&o));
    let y = fs::read_to_string(kb_host.join("kibana.yml")).unwrap();
    assert!(
        y.starts_with("# ours\nserver.name: kb-prod")
            && y.contains("elasticsearch.ssl.keystore.path"),
        "{y}"
    );
    let ks = KibanaKeystore::load(&ks_path, None).unwrap();
    for name in [
        "xpack.encryptedSavedObjects.encryptionKey",
        "elasticsearch.serviceAccountToken",
        "elasticsearch.ssl.keystore.password",
    ] {
        assert!(ks.get(name).is_some(), "{name}");
    }
}

#[test]
fn bad_answers_name_the_key() {
    let env = seed();
    for (text, key) in [
        ("mode: pki\nlicense: basic\n", "allow_unlicensed_pki"),
        (
            "mode: token\nkibana:\n  hosts: [http://es01.example.com:9200]\n",
            "kibana.hosts[0]",
        ),
        ("mode: token\nbogus: 1\n", "bogus"),
        (
            "mode: mtls-token\nclient_certificate:\n  key_type: ec-p256\n",
            "client_certificate.key_type",
        ),
    ] {
        let a = answers(&env, text);
        let before = snapshot(&env.root);
        let o = apply(&env, &a);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(3), "{text}: {err}");
        assert!(err.contains(key), "{text}: {err}");
        assert_eq!(before, snapshot(&env.root), "{text}: nothing may change");
    }
}

#[test]
fn ec_client_key_in_pkcs12_is_refused_with_the_reason() {
    let env = seed();
    let a = answers(
        &env,
        "mode: mtls-token\nclient_certificate:\n  key_type: ec-p256\n",
    );
    let err = stderr(&apply(&env, &a));
    assert!(
        err.contains("node-forge") && err.contains("client_certificate.key_type"),
        "{err}"
    );
}

#[test]
fn killed_mid_write_is_restored_by_the_next_run() {
    let env = seed();
    let a = answers(&env, "mode: mtls-password\n");
    let before = snapshot(&env.root);
    let dirs_before = (dirs(&env.es), dirs(&env.kb));
    let mut c = cmd(&env, &["apply", "--yes", "--answers", a.to_str().unwrap()]);
    c.env("ESMTLS_FAULT", "kill-after-rename:3");
    let o = run(&mut c);
    assert!(!o.status.success(), "the process must die");
    assert_ne!(
        before,
        snapshot(&env.root),
        "some files were renamed before the kill"
    );
    // The next run undoes the interrupted one first; here it then fails before writing.
    let mut c = cmd(&env, &["apply", "--yes", "--answers", a.to_str().unwrap()]);
    c.env("ESMTLS_FAULT", "fail-before-commit");
    let o = run(&mut c);
    assert!(!o.status.success());
    let after = snapshot(&env.root);
    let changed: Vec<_> = after
        .iter()
        .filter(|(p, v)| before.get(*p) != Some(*v))
        .map(|(p, _)| p.clone())
        .collect();
    // Only the CA remembered in esmtls's own state may differ; the setup is as before.
    assert!(
        changed
            .iter()
            .all(|p| !p.starts_with(&env.es) && !p.starts_with(&env.kb)),
        "{changed:?}"
    );
    for (p, v) in &before {
        assert_eq!(after.get(p), Some(v), "{} not restored", p.display());
    }
    assert_eq!(
        (dirs(&env.es), dirs(&env.kb)),
        dirs_before,
        "the directories the killed run created are removed"
    );
}

/// Every directory under `root`, sorted.
fn dirs(root: &Path) -> Vec<PathBuf> {
    common::walk(root)
        .into_iter()
        .filter(|p| p.is_dir())
        .collect()
}

#[test]
fn failure_after_some_renames_restores_everything() {
    let env = seed();
    let a = answers(&env, "mode: pki\nlicense: trial\n");
    let before = snapshot(&env.root);
    let mut c = cmd(&env, &["apply", "--yes", "--answers", a.to_str().unwrap()]);
    c.env("ESMTLS_FAULT", "fail-after-rename:4");
    let o = run(&mut c);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let after = snapshot(&env.root);
    common::assert_restored(&before, &after, &[&env.es, &env.kb]);
}

#[test]
fn a_directory_that_cannot_be_written_changes_nothing() {
    let env = seed();
    // certs/ is a file, so nothing can be written under it.
    fs::write(env.kb.join("certs"), "not a directory").unwrap();
    let a = answers(&env, "mode: mtls-token\n");
    let before = snapshot(&env.root);
    let o = apply(&env, &a);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("certs"), "{}", stderr(&o));
    assert_eq!(before, snapshot(&env.root));
}

#[test]
fn without_a_terminal_apply_needs_yes() {
    let env = seed();
    let a = answers(&env, "mode: token\n");
    let o = run(&mut cmd(&env, &["apply", "--answers", a.to_str().unwrap()]));
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("--yes"), "{}", stderr(&o));
    let o = run(&mut cmd(
        &env,
        &["apply", "--dry-run", "--answers", a.to_str().unwrap()],
    ));
    assert!(stdout(&o).contains("dry run: nothing was written"));
    assert!(!env.kb.join("kibana.keystore").exists());
}

#[test]
fn pki_goes_first_and_existing_realms_are_kept() {
    let env = seed();
    let yml = format!(
        "{ES_YML}xpack.security.authc.realms:\n  ldap.corp:\n    order: 0\n    url: ldaps://ldap.example.com\n  native.users:\n    order: 1\n"
    );
    fs::write(env.es.join("elasticsearch.yml"), &yml).unwrap();
    let a = answers(&env, "mode: pki\nlicense: enterprise\n");
    ok(apply(&env, &a));
    let es_yml = env.es.join("elasticsearch.yml");
    assert_eq!(
        setting(&es_yml, "xpack.security.authc.realms.pki.esmtls_pki.order").as_deref(),
        Some("Number(\"-1\")")
    );
    assert_eq!(
        setting(&es_yml, "xpack.security.authc.realms.ldap.corp.order").as_deref(),
        Some("Number(\"0\")")
    );
    assert_eq!(
        setting(&es_yml, "xpack.security.authc.realms.native.users.order").as_deref(),
        Some("Number(\"1\")")
    );
    assert!(
        setting(&es_yml, "xpack.security.authc.realms.native.native1.order").is_none(),
        "a native realm exists already"
    );
    let text = fs::read_to_string(&es_yml).unwrap();
    assert!(text.starts_with(&yml[..yml.find("xpack.security.authc.realms:").unwrap()]));
    assert!(text.contains("url: ldaps://ldap.example.com"));
    let before = snapshot(&env.root);
    assert!(ok(apply(&env, &a)).contains("Nothing to change"));
    assert_eq!(before, snapshot(&env.root));
}

#[test]
fn pki_order_from_the_answers_and_a_collision_refused() {
    let env = seed();
    let yml = format!(
        "{ES_YML}xpack.security.authc.realms:\n  ldap.corp:\n    order: 0\n  native.users:\n    order: 1\n"
    );
    fs::write(env.es.join("elasticsearch.yml"), &yml).unwrap();
    let es_yml = env.es.join("elasticsearch.yml");

    // A number another realm has: refused before anything is written, naming it.
    let a = answers(&env, "mode: pki\nlicense: enterprise\npki:\n  order: 1\n");
    let before = snapshot(&env.root);
    let o = run(&mut cmd(&env, &["plan", "--answers", a.to_str().unwrap()]));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("pki.order") && e.contains("native.users") && e.contains("elasticsearch.yml"),
        "{e}"
    );
    let o = apply(&env, &a);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(before, snapshot(&env.root), "a refused plan writes nothing");

    // A free number: written as given; the plan shows the chain in order.
    let a = answers(&env, "mode: pki\nlicense: enterprise\npki:\n  order: 5\n");
    let plan = ok(run(&mut cmd(
        &env,
        &["plan", "--answers", a.to_str().unwrap()],
    )));
    assert!(
        plan.contains("set xpack.security.authc.realms.pki.esmtls_pki.order: 5"),
        "{plan}"
    );
    assert!(
        plan.contains("ldap.corp (0), native.users (1), pki.esmtls_pki (5)"),
        "{plan}"
    );
    ok(apply(&env, &a));
    assert_eq!(
        setting(&es_yml, "xpack.security.authc.realms.pki.esmtls_pki.order").as_deref(),
        Some("Number(\"5\")")
    );
    assert!(ok(apply(&env, &a)).contains("Nothing to change"));
}

#[test]
fn restart_commands_from_the_answers() {
    let env = seed();
    let marker = env.root.join("restarted es");
    let a = answers(
        &env,
        &format!(
            "mode: token\nelasticsearch:\n  restart: \"touch '{}'\"\nkibana:\n  restart: none\n",
            marker.display()
        ),
    );
    let plan = ok(run(&mut cmd(
        &env,
        &["plan", "--answers", a.to_str().unwrap()],
    )));
    assert!(
        plan.contains(&format!("run: touch {}", marker.display())),
        "{plan}"
    );
    assert!(plan.contains("kibana.restart: none"), "{plan}");
    let json = ok(run(&mut cmd(
        &env,
        &["plan", "--json", "--answers", a.to_str().unwrap()],
    )));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let cmds = v["commands"].as_array().unwrap();
    assert_eq!(cmds.len(), 1, "{json}");
    assert_eq!(
        cmds[0]["argv"],
        serde_json::json!(["touch", marker.display().to_string()])
    );
    let out = ok(apply(&env, &a));
    assert!(out.contains("Next, restart"), "{out}");
    assert!(
        out.contains(&format!("touch {}", marker.display())),
        "{out}"
    );
    assert!(!marker.exists(), "without --restart nothing is run");

    // A command line a shell would be needed for is refused, naming the key.
    let a = answers(
        &env,
        "mode: token\nelasticsearch:\n  restart: \"systemctl restart elasticsearch; echo done\"\n",
    );
    let o = run(&mut cmd(&env, &["plan", "--answers", a.to_str().unwrap()]));
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("elasticsearch.restart"),
        "{}",
        stderr(&o)
    );
}
