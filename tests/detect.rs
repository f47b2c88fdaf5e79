//! Detection on realistic trees built by `common::setups`: precedence of the
//! sources, versions, restart methods, the auto-configured node, Kibana after
//! its interactive setup, the legacy keystore warning, output folders, realms.

mod common;

use std::fs;
use std::path::Path;

use common::setups::{self, *};
use esmtls::detect::{
    DetectOptions, Detected, FoundBy, InstallKind, Product, open_http_ca, render_readme,
};
use esmtls::pki::KeyType;
use esmtls::pki::build::{LeafSpec, Usage, issue};

fn opts(root: &Path, cwd: &Path) -> DetectOptions {
    DetectOptions::new(root, cwd)
}

#[test]
fn package_install_with_systemd_and_versions() {
    let t = tempfile::tempdir().unwrap();
    let pr = package_root(t.path(), true);
    es_package_fresh(&pr.es_config);
    kibana_package_fresh(&pr.kibana_config);
    let d = Detected::detect(&opts(&pr.root, t.path())).unwrap();
    let es = d.es.as_ref().unwrap();
    assert_eq!(es.found_by, FoundBy::Package);
    assert_eq!(es.install, InstallKind::Package);
    assert_eq!(es.home.as_deref(), Some(pr.es_home.as_path()));
    assert_eq!(es.version.as_deref(), Some(VERSION));
    assert_eq!(
        es.restart.command(),
        ["systemctl", "restart", "elasticsearch.service"]
    );
    assert!(es.restart.can_run());
    assert!(!es.https() && !es.http.autoconfig_block);
    assert_eq!(es.keystore.format_version, Some(ES_KEYSTORE_FORMAT));
    assert_eq!(
        es.keystore.entries.as_deref(),
        Some(&["keystore.seed".to_string()][..])
    );
    let k = d.kibana.as_ref().unwrap();
    assert_eq!(k.version.as_deref(), Some(VERSION));
    assert_eq!(
        k.restart.command(),
        ["systemctl", "restart", "kibana.service"]
    );
    assert!(!k.keystore.exists);
    assert!(k.elasticsearch.settings.is_empty());
    let text = d.to_string();
    assert!(
        text.contains("package layout") && text.contains("systemctl restart kibana.service"),
        "{text}"
    );
}

#[test]
fn precedence_flag_env_package_archive() {
    let t = tempfile::tempdir().unwrap();
    let pr = package_root(&t.path().join("root"), false);
    es_package_fresh(&pr.es_config);
    let cwd = t.path().join("work");
    let home = archive_home(&cwd, "elasticsearch");
    es_archive_fresh(&home.join("config"));
    let env_dir = t.path().join("env-conf");
    es_package_fresh(&env_dir);
    let flag_dir = t.path().join("flag-conf");
    es_package_fresh(&flag_dir);

    let mut o = opts(&pr.root, &cwd);
    let es = |o: &DetectOptions| Detected::detect(o).unwrap().es.unwrap();
    assert_eq!(es(&o).found_by, FoundBy::Package);
    assert_eq!(
        es(&o).restart.kind(),
        "unknown",
        "package without a unit file"
    );
    o.es_path_conf_env = Some(env_dir.clone());
    assert_eq!(es(&o).config_dir, env_dir);
    o.es_config = Some(flag_dir.clone());
    let s = es(&o);
    assert_eq!(
        (s.config_dir, s.found_by),
        (
            flag_dir,
            FoundBy::Flag {
                flag: "--es-config".into()
            }
        )
    );
    // Pointing at an archive home works too.
    o.es_config = Some(home.clone());
    assert_eq!(es(&o).config_dir, home.join("config"));
    o.es_config = None;
    o.es_path_conf_env = None;
    fs::remove_file(pr.es_config.join("elasticsearch.yml")).unwrap();
    let s = es(&o);
    assert_eq!(s.found_by, FoundBy::Archive);
    assert_eq!(s.install, InstallKind::Archive);
    assert_eq!(s.home.as_deref(), Some(home.as_path()));
    assert_eq!(s.version.as_deref(), Some(VERSION));
    let pid = home.join("es.pid").display().to_string();
    assert_eq!(
        s.restart.command(),
        [
            home.join("bin/elasticsearch").display().to_string(),
            "-d".into(),
            "-p".into(),
            pid
        ]
    );
}

#[test]
fn missing_yml_under_a_flag_or_env_is_a_clear_error() {
    let t = tempfile::tempdir().unwrap();
    let mut o = opts(t.path(), t.path());
    o.es_config = Some(t.path().join("nowhere"));
    let e = Detected::detect(&o).unwrap_err().to_string();
    assert!(
        e.contains("--es-config") && e.contains("nowhere") && e.contains("does not exist"),
        "{e}"
    );
    o.es_config = None;
    fs::create_dir_all(t.path().join("empty")).unwrap();
    o.kbn_path_conf_env = Some(t.path().join("empty"));
    let e = Detected::detect(&o).unwrap_err().to_string();
    assert!(
        e.starts_with("KBN_PATH_CONF= ") && e.contains("no kibana.yml here"),
        "{e}"
    );
}

#[test]
fn container_layout_and_restart() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("usr/share/kibana");
    fs::create_dir_all(home.join("bin")).unwrap();
    fs::write(home.join("bin/kibana"), "").unwrap();
    kibana_package_fresh(&home.join("config"));
    fs::write(t.path().join(".dockerenv"), "").unwrap();
    let d = Detected::detect(&opts(t.path(), t.path())).unwrap();
    let k = d.kibana.unwrap();
    assert_eq!(k.found_by, FoundBy::Container);
    assert_eq!(k.install, InstallKind::Container);
    assert_eq!(k.restart.command(), ["docker", "restart", "<container>"]);
    assert!(!k.restart.can_run());
    assert!(k.restart.description().contains("docker ps"));
}

#[test]
fn autoconfigured_node() {
    let t = tempfile::tempdir().unwrap();
    let pr = package_root(t.path(), true);
    let seed = es_autoconfigured(&pr.es_config);
    let d = Detected::detect(&opts(&pr.root, t.path())).unwrap();
    let es = d.es.unwrap();
    let h = &es.http;
    assert!(h.autoconfig_block);
    assert_eq!(
        (h.security_enabled, h.ssl_enabled),
        (Some(true), Some(true))
    );
    assert_eq!(h.keystore_path.as_deref(), Some(seed.http_p12.as_path()));
    assert_eq!(h.http_ca_crt.as_deref(), Some(seed.http_ca_crt.as_path()));
    assert_eq!(h.http_p12_has_ca_key, Some(true));
    assert_eq!(h.client_authentication, None);
    let ks_line = h
        .settings
        .iter()
        .find(|s| s.key == "xpack.security.http.ssl.keystore.path")
        .unwrap();
    assert_eq!(ks_line.value, "certs/http.p12");
    assert!(
        es.keystore
            .has("xpack.security.http.ssl.keystore.secure_password")
    );
    assert!(es.keystore.has("autoconfiguration.password_hash"));

    let c = es.server_cert.as_ref().unwrap();
    assert_eq!(c.alias.as_deref(), Some("http"));
    assert_eq!(c.info.subject, format!("CN={}", seed.node_name));
    for san in ["DNS:localhost", "DNS:es-node-1", "IP:127.0.0.1", "IP:::1"] {
        assert!(
            c.info.sans.iter().any(|s| s == san),
            "{san} in {:?}",
            c.info.sans
        );
    }
    assert_eq!(c.info.eku, ["serverAuth"]);
    assert_eq!(c.issued_by_http_ca, Some(true));
    assert!(!format!("{es:?}").contains(&seed.http_p12_password));
    assert!(
        !serde_json::to_string(&es)
            .unwrap()
            .contains(&seed.http_p12_password)
    );

    // The planner signs Kibana's client certificate with the auto-configured CA.
    let ca = open_http_ca(&es, None).unwrap();
    assert_eq!(ca.ca.cert_der, seed.http_ca_der);
    let leaf = issue(
        &LeafSpec {
            name: "kibana".into(),
            dns: vec![],
            ips: vec![],
            usage: Usage::Client,
            days: 30,
            key: KeyType::EcP256,
        },
        &ca.ca,
    )
    .unwrap();
    let info = esmtls::pki::inspect::cert_info(&leaf.cert_der).unwrap();
    assert_eq!(
        info.issuer,
        "CN=Elasticsearch security auto-configuration HTTP CA"
    );
}

#[test]
fn fresh_node_has_no_http_ca() {
    let t = tempfile::tempdir().unwrap();
    let pr = package_root(t.path(), false);
    es_package_fresh(&pr.es_config);
    let es = Detected::detect(&opts(&pr.root, t.path()))
        .unwrap()
        .es
        .unwrap();
    let e = open_http_ca(&es, None).err().unwrap().to_string();
    assert!(e.contains("there is no certs/http.p12"), "{e}");
}

#[test]
fn kibana_after_interactive_setup() {
    let t = tempfile::tempdir().unwrap();
    let es = es_autoconfigured(&t.path().join("es-config"));
    let home = archive_home(t.path(), "kibana");
    let seed = kibana_after_setup(&home.join("config"), &es);
    let d = Detected::detect(&opts(&t.path().join("root"), t.path())).unwrap();
    assert!(d.es.is_none());
    let k = d.kibana.unwrap();
    assert_eq!(k.found_by, FoundBy::Archive);
    assert_eq!(k.version.as_deref(), Some(VERSION));
    let e = &k.elasticsearch;
    assert_eq!(e.hosts, ["https://127.0.0.1:9200"]);
    assert!(e.service_account_token_in_yml && !e.password_in_yml && e.username.is_none());
    assert_eq!(e.certificate_authorities.len(), 1);
    assert_eq!(e.certificate_authorities[0].path, seed.ca_file.unwrap());
    assert!(e.certificate_authorities[0].exists);
    let tok = e
        .settings
        .iter()
        .find(|s| s.key == "elasticsearch.serviceAccountToken")
        .unwrap();
    assert_eq!(tok.value, "***");
    assert!(!serde_json::to_string(&k).unwrap().contains(ENROLL_TOKEN));
    assert_eq!(k.keystore.entries.as_deref(), Some(&[][..]));
    assert!(k.warnings.is_empty());
    assert_eq!(k.restart.kind(), "archive");
    assert!(!k.restart.can_run());
}

#[test]
fn kibana_with_password_and_legacy_data_keystore() {
    let t = tempfile::tempdir().unwrap();
    let home = archive_home(t.path(), "kibana");
    kibana_with_password(&home.join("config"));
    let mut o = opts(t.path(), t.path());
    o.kibana_config = Some(home.join("config/kibana.yml"));
    let k = Detected::detect(&o).unwrap().kibana.unwrap();
    assert_eq!(k.elasticsearch.username.as_deref(), Some("kibana_system"));
    assert!(k.keystore.has("elasticsearch.password"));
    assert_eq!(k.keystore.password_protected, Some(false));
    assert!(k.warnings.is_empty());
    fs::create_dir_all(home.join("data")).unwrap();
    fs::copy(
        home.join("config/kibana.keystore"),
        home.join("data/kibana.keystore"),
    )
    .unwrap();
    let k = Detected::detect(&o).unwrap().kibana.unwrap();
    assert_eq!(
        k.keystore.legacy_data_keystore,
        Some(home.join("data/kibana.keystore"))
    );
    assert!(
        k.warnings[0].contains("Kibana reads it instead of"),
        "{:?}",
        k.warnings
    );
    assert!(k.to_string().contains("warning:"));
}

#[test]
fn nothing_installed_goes_to_output_folders() {
    let t = tempfile::tempdir().unwrap();
    let d = Detected::detect(&opts(t.path(), t.path())).unwrap();
    assert!(d.nothing_found());
    let out = t.path().join(esmtls::detect::DEFAULT_OUT_DIR);
    let d = d.fill_missing(&out);
    let es = d.es.as_ref().unwrap();
    assert_eq!(es.config_dir, out.join("elasticsearch"));
    assert_eq!(es.install, InstallKind::OutputDir);
    assert!(es.restart.command().is_empty());
    assert_eq!(d.kibana.as_ref().unwrap().config_dir, out.join("kibana"));
    assert!(!out.exists(), "detection creates nothing");
    let readme = render_readme(
        Product::Elasticsearch,
        &[(
            "kibana-ca.crt",
            "config/certs/kibana-ca.crt",
            "the CA that signed Kibana's client certificate",
        )],
    );
    assert!(
        readme.contains("kibana-ca.crt  ->  config/certs/kibana-ca.crt"),
        "{readme}"
    );
    assert!(readme.contains("ES_PATH_CONF"));
}

#[test]
fn two_realms_are_listed() {
    let t = tempfile::tempdir().unwrap();
    let pr = package_root(t.path(), true);
    let seed = es_autoconfigured(&pr.es_config);
    let mut yml = fs::read_to_string(&seed.yml).unwrap();
    yml.push_str(
        "\nxpack.security.authc.realms:\n  pki.pki1:\n    order: 1\n    certificate_authorities: [\"certs/kibana-ca.crt\"]\n  native.native1.order: 2\n",
    );
    fs::write(&seed.yml, yml).unwrap();
    let es = Detected::detect(&opts(&pr.root, t.path()))
        .unwrap()
        .es
        .unwrap();
    let r: Vec<(&str, &str, Option<i64>, bool)> = es
        .realms
        .iter()
        .map(|r| (r.realm_type.as_str(), r.name.as_str(), r.order, r.enabled))
        .collect();
    assert_eq!(
        r,
        [
            ("pki", "pki1", Some(1), true),
            ("native", "native1", Some(2), true)
        ]
    );
    let json = serde_json::to_value(&es).unwrap();
    assert_eq!(json["realms"][0]["type"], "pki");
    assert_eq!(json["restart"]["command"][0], "systemctl");
}

#[test]
fn seeds_are_what_elastic_ships() {
    assert!(setups::es_yml_package().contains("\npath.data: /var/lib/elasticsearch\n"));
    assert!(setups::es_yml_archive().contains("\n#path.logs: /path/to/logs\n"));
    assert!(KIBANA_YML.contains("#elasticsearch.hosts: [\"http://localhost:9200\"]"));
    let t = tempfile::tempdir().unwrap();
    let es = es_autoconfigured(t.path());
    let p12 = fs::read(&es.http_p12).unwrap();
    let c = esmtls::pki::pkcs12::read(&p12, &es.http_p12_password, "http.p12").unwrap();
    let mut aliases: Vec<&str> = c.keys.iter().map(|k| k.alias.as_str()).collect();
    aliases.sort();
    assert_eq!(aliases, ["http", "http_ca"]);
    let http = c.keys.iter().find(|k| k.alias == "http").unwrap();
    assert_eq!(
        http.chain,
        [es.http_cert_der.clone(), es.http_ca_der.clone()]
    );
    assert!(
        fs::read_to_string(&es.yml)
            .unwrap()
            .contains(esmtls::detect::AUTOCONFIG_END)
    );
}

#[test]
fn protected_es_keystore_needs_its_password() {
    let t = tempfile::tempdir().unwrap();
    let pr = package_root(t.path(), true);
    let seed = es_autoconfigured(&pr.es_config);
    protect_es_keystore(&seed.keystore, "keystore-pw");
    let mut o = opts(&pr.root, t.path());
    let es = Detected::detect(&o).unwrap().es.unwrap();
    assert_eq!(es.keystore.password_protected, Some(true));
    assert!(es.keystore.entries.is_none());
    assert_eq!(es.http.http_p12_has_ca_key, None);
    assert!(es.server_cert.is_none());
    assert!(
        es.notes.iter().any(|n| n.contains("not opened")),
        "{:?}",
        es.notes
    );
    let e = open_http_ca(&es, None).err().unwrap().to_string();
    assert!(e.contains("password-protected"), "{e}");
    let pw = esmtls::secret::Secret::new("keystore-pw");
    o.es_keystore_password = Some(pw.clone());
    let es = Detected::detect(&o).unwrap().es.unwrap();
    assert_eq!(es.http.http_p12_has_ca_key, Some(true));
    assert!(es.server_cert.is_some());
    assert!(open_http_ca(&es, Some(&pw)).is_ok());
}

#[test]
fn human_summary() {
    let t = tempfile::tempdir().unwrap();
    let pr = package_root(t.path(), true);
    let es = es_autoconfigured(&pr.es_config);
    kibana_after_setup_with_data(&pr.kibana_config, &t.path().join("var/lib/kibana"), &es);
    let d = Detected::detect(&opts(&pr.root, t.path())).unwrap();
    let text = d
        .to_string()
        .replace(&t.path().display().to_string(), "<tmp>");
    for want in [
        "Elasticsearch\n  config:    <tmp>/etc/elasticsearch (package layout)\n",
        "  version:   8.15.2\n",
        "  security:  enabled; HTTP TLS on; client certificates none (default)\n",
        "auto-configuration: yes (http_ca.crt present, http.p12 present, CA key in http.p12: yes)",
        "<tmp>/etc/elasticsearch/elasticsearch.yml:105  xpack.security.http.ssl.keystore.path: certs/http.p12",
        "  server certificate: CN=es-node-1 (SANs DNS:localhost, DNS:es-node-1, IP:127.0.0.1, IP:::1;",
        "Kibana\n  config:    <tmp>/etc/kibana (package layout)\n",
        "elasticsearch.serviceAccountToken: ***",
        "  keystore:  <tmp>/etc/kibana/kibana.keystore (password none): (empty)\n",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
}

#[test]
fn protected_kibana_keystore_lists_entries_with_its_password() {
    use esmtls::keystore::{KibanaKeystore, SystemRandom};
    use esmtls::secret::Secret;
    let t = tempfile::tempdir().unwrap();
    let pr = package_root(t.path(), true);
    kibana_package_fresh(&pr.kibana_config);
    let path = pr.kibana_config.join("kibana.keystore");
    let mut ks = KibanaKeystore::new(Secret::new("kbn-pw"));
    ks.set_string("elasticsearch.password", Secret::new("x"), false, &path)
        .unwrap();
    ks.save(&path, &mut SystemRandom, esmtls::fsutil::Existing::Refuse)
        .unwrap();
    let mut o = opts(&pr.root, t.path());
    let k = Detected::detect(&o).unwrap().kibana.unwrap();
    assert_eq!(k.keystore.password_protected, Some(true));
    assert!(k.keystore.entries.is_none() && k.keystore.problem.is_some());
    o.kibana_keystore_password = Some(Secret::new("kbn-pw"));
    let k = Detected::detect(&o).unwrap().kibana.unwrap();
    assert!(k.keystore.has("elasticsearch.password"));
}
