//! A cluster set up host by host, end to end, against a fake cluster of three
//! nodes on three loopback ports, each loading its own config tree, and one
//! Kibana: `esmtls plan --answers cluster.yml --bundle DIR` on the CA
//! holder, then `esmtls apply --bundle DIR/<host>` on each host in the plan's
//! `order` (a node restarts after its `all`-phase apply), then Kibana's
//! connection — read from Kibana's files as Kibana reads them — against every
//! node. Offline; loopback only; no sleeps; the cluster's `Drop` stops every
//! node.

mod bundle_support;
mod cluster_support;
mod common;
mod es_support;

use std::process::Output;

use bundle_support::{
    CLIENT_CN, KIBANA, NODES, Seed, Site, apply, apply_in_order, apply_raw, fresh_answers, json,
    make_bundles, on_host, operator_site, site, stages, write_answers,
};
use common::as_kibana::{AsKibana, Who};
use common::{run, stderr, stdout};
use esmtls::es::EsError;
use serde_json::Value;

/// Fresh site, answers, bundles, the order applied; Kibana's verification
/// checked; returns the site and the plan.
fn set_up(mode: &str, cert_format: &str) -> (Site, Value) {
    let site = site(Seed::Fresh);
    write_answers(&site, mode, "", &fresh_answers(mode, cert_format));
    let plan = make_bundles(&site, true);
    assert_eq!(plan["mode"], mode);
    assert_eq!(
        plan["reachable"], false,
        "plain HTTP nodes: no HTTPS answer"
    );
    assert_eq!(plan["server_certificates"], true);
    for h in NODES.iter().chain([&KIBANA]) {
        assert!(site.bundles.join(h).is_dir(), "no bundle for {h}");
    }
    let password_mode = mode.ends_with("password");
    assert_eq!(
        site.bundles.join("_cluster").is_dir(),
        password_mode,
        "a _cluster bundle exactly when there is a cluster-wide call"
    );
    let kibana = apply_in_order(&site, &plan, None);
    let v = json(kibana, "Kibana's apply --restart");
    assert_verified_on_every_node(&site, &v);
    (site, plan)
}

/// `verified` ok and a note per node naming its URL.
#[track_caller]
fn assert_verified_on_every_node(site: &Site, v: &Value) {
    assert_eq!(v["verified"]["ok"], true, "{v}");
    let notes: Vec<&str> = v["notes"]
        .as_array()
        .unwrap_or_else(|| panic!("no notes: {v}"))
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for n in NODES {
        let url = site.cluster.node_url(n);
        assert!(
            notes
                .iter()
                .any(|s| s.starts_with(&format!("{url}: authenticates Kibana as"))),
            "no note for {n} ({url}): {notes:#?}"
        );
    }
}

/// Kibana's connection, read from Kibana's files, against every node.
fn assert_kibana_connects_to_every_node(site: &Site, who: Who, mtls: bool) {
    let kb = AsKibana::read(&site.config(KIBANA));
    let urls: Vec<String> = NODES.iter().map(|n| site.cluster.node_url(n)).collect();
    assert_eq!(
        kb.hosts, urls,
        "elasticsearch.hosts: every node, over HTTPS"
    );
    assert_eq!(kb.verification_mode, "full");
    assert_eq!(
        kb.client.is_some(),
        matches!(who, Who::Certificate(_)) || mtls
    );
    for (n, url) in NODES.iter().zip(&urls) {
        assert!(url.starts_with("https://"), "{n} serves HTTPS: {url}");
        kb.assert_connects_as(url, who, mtls, n);
    }
}

#[test]
fn token_kibana_is_the_service_account_on_every_node() {
    let (site, _) = set_up("token", "p12");
    assert_kibana_connects_to_every_node(&site, Who::ServiceAccount, false);
    assert!(
        site.cluster.api_service_tokens().is_empty(),
        "a file token on every node, no API call"
    );
}

#[test]
fn password_kibana_is_kibana_system_on_every_node_and_the_call_is_made_once() {
    let (site, _) = set_up("password", "p12");
    assert_kibana_connects_to_every_node(&site, Who::KibanaSystem, false);
    let ks = esmtls::keystore::KibanaKeystore::load(
        &esmtls::keystore::kibana::path_in(&site.config(KIBANA)),
        None,
    )
    .unwrap();
    let pw = ks
        .get("elasticsearch.password")
        .unwrap()
        .expose()
        .to_string();
    assert_eq!(site.cluster.kibana_system_password(), Some(pw));
    let again = apply(&site, "_cluster", "all");
    assert_eq!(again["changed"], false, "{again}");
}

/// The admin password on standard input (`ESMTLS_ES_PASSWORD_FILE=/dev/stdin`),
/// as the Ansible role passes it: never in the environment or on a command
/// line. A wrong one is refused by the cluster, and never printed.
#[test]
fn the_admin_password_can_come_from_stdin() {
    use std::io::Write;
    let (site, _) = set_up("password", "p12");
    let cluster_calls = |password: &str| -> Output {
        let mut c = on_host(&site, "ca", false);
        c.env("ESMTLS_ES_USERNAME", cluster_support::ADMIN_USER)
            .env("ESMTLS_ES_PASSWORD_FILE", "/dev/stdin")
            .arg("apply")
            .arg("--bundle")
            .arg(site.bundles.join("_cluster"))
            .arg("--json")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(format!("{password}\n").as_bytes()).unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    };
    let v = json(
        cluster_calls(cluster_support::ADMIN_PASSWORD),
        "_cluster with the admin password on stdin",
    );
    assert_eq!(v["changed"], false, "{v}");
    let o = cluster_calls("not-the-Pa55");
    assert!(!o.status.success(), "{}", stdout(&o));
    let said = format!("{}{}", stdout(&o), stderr(&o));
    assert!(!said.contains("not-the-Pa55"), "{said}");
}

#[test]
fn mtls_token_with_pem_every_node_requires_kibanas_certificate() {
    let (site, _) = set_up("mtls-token", "pem");
    assert_kibana_connects_to_every_node(&site, Who::ServiceAccount, true);
}

#[test]
fn mtls_password_every_node_requires_kibanas_certificate() {
    let (site, _) = set_up("mtls-password", "p12");
    assert_kibana_connects_to_every_node(&site, Who::KibanaSystem, true);
    let again = apply(&site, "_cluster", "all");
    assert_eq!(again["changed"], false, "{again}");
}

#[test]
fn pki_every_node_maps_kibanas_certificate_from_role_mapping_yml() {
    let (site, _) = set_up("pki", "p12");
    assert_kibana_connects_to_every_node(&site, Who::Certificate(CLIENT_CN), false);
    assert!(
        site.cluster.role_mappings().is_empty(),
        "unreachable while planning: role_mapping.yml, no API mapping"
    );
    for n in NODES {
        assert!(
            site.config(n).join("role_mapping.yml").is_file(),
            "{n} has no role_mapping.yml"
        );
    }
}

#[test]
fn kibana_apply_with_restart_again_verifies_every_node() {
    let (site, _) = set_up("token", "p12");
    let v = json(
        apply_raw(&site, KIBANA, "all", &["--restart"]),
        "Kibana's apply --restart, again",
    );
    assert_eq!(v["changed"], false, "{v}");
    assert_verified_on_every_node(&site, &v);
}

/// mtls-password on the operator's HTTPS nodes, the order applied: the
/// password call, Kibana, then `required` on every node.
fn mtls_password_on_https_nodes() -> Site {
    let (site, plan) = operator_site("mtls-password");
    let nodes: Vec<String> = NODES.iter().map(|n| n.to_string()).collect();
    // No prepare stage: the nodes trust Kibana's CA already and the
    // password is set through the API, so they have nothing to hold first.
    let expected = vec![
        ("all".to_string(), vec!["_cluster".into()]),
        ("all".into(), vec![KIBANA.into()]),
        ("all".into(), nodes),
    ];
    assert_eq!(stages(&plan), expected, "{plan}");
    let kibana = apply_in_order(&site, &plan, None);
    assert_verified_on_every_node(&site, &json(kibana, "Kibana's apply --restart"));
    site
}

#[test]
fn mtls_password_on_https_nodes_calls_kibana_then_required() {
    let site = mtls_password_on_https_nodes();
    assert_kibana_connects_to_every_node(&site, Who::KibanaSystem, true);
}

#[test]
fn mtls_password_cluster_calls_again_after_required_change_nothing() {
    let site = mtls_password_on_https_nodes();
    let again = apply(&site, "_cluster", "all");
    assert_eq!(again["changed"], false, "{again}");
}

/// pki on the operator's HTTPS nodes, the role mapping through the API,
/// es03's bundle left out but es03 restarted; returns the site and Kibana's
/// `apply --restart`.
fn pki_with_es03_unconfigured() -> (Site, Output) {
    let (site, plan) = operator_site("pki");
    assert!(
        site.bundles.join("_cluster").is_dir(),
        "the role mapping through the API"
    );
    let kibana = apply_in_order(&site, &plan, Some("es03"));
    assert!(
        site.cluster.role_mappings().contains_key("kibana-client"),
        "{:?}",
        site.cluster.role_mappings()
    );
    (site, kibana)
}

#[test]
fn pki_a_node_left_unconfigured_gets_kibana_401_and_the_others_map_it() {
    let (site, kibana) = pki_with_es03_unconfigured();
    let kb = AsKibana::read(&site.config(KIBANA));
    for n in ["es01", "es02"] {
        let a = kb
            .authenticate(&site.cluster.node_url(n))
            .unwrap_or_else(|e| panic!("{n}: {e}"));
        assert_eq!(
            (
                a.username.as_str(),
                a.authentication_realm.realm_type.as_str()
            ),
            (CLIENT_CN, "pki"),
            "{n}"
        );
        assert!(a.roles.iter().any(|r| r == "kibana_system"), "{n}: {a:?}");
    }
    // es03 serves HTTPS from the same CA, but has no PKI realm: Kibana sends
    // its certificate and no credential, so Elasticsearch answers 401.
    let es03 = site.cluster.node_url("es03");
    match kb.authenticate(&es03) {
        Err(EsError::Unauthorized { .. }) => {}
        other => panic!("es03 ({es03}): expected a 401, got {other:?}"),
    }
    // Kibana's apply --restart verifies every node and fails, naming es03.
    assert!(!kibana.status.success(), "{}", stdout(&kibana));
    let v: Value = serde_json::from_str(&stdout(&kibana)).unwrap();
    let notes: Vec<&str> = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for n in ["es01", "es02"] {
        let url = site.cluster.node_url(n);
        assert!(
            notes
                .iter()
                .any(|s| s.starts_with(&format!("{url}: authenticates Kibana as {CLIENT_CN}"))),
            "{n}: {notes:#?}"
        );
    }
    assert!(
        notes
            .iter()
            .any(|s| s.starts_with(&format!("{es03}: FAILED"))),
        "{notes:#?}"
    );
    // With the admin credentials it also reads every node's settings.
    assert!(
        notes.iter().any(|s| s.starts_with("es03 has no PKI realm")),
        "{notes:#?}"
    );
    assert!(
        !notes
            .iter()
            .any(|s| s.starts_with("es01 ") || s.starts_with("es02 ")),
        "{notes:#?}"
    );
    assert!(
        stderr(&kibana).contains("verification failed"),
        "{}",
        stderr(&kibana)
    );
}

#[test]
fn doctor_names_the_node_left_unconfigured() {
    let (site, _) = pki_with_es03_unconfigured();
    // On the Kibana host, as an operator checks a cluster.
    let mut c = on_host(&site, "kb01", true);
    c.args(["doctor", "--json", "--kibana-config"])
        .arg(site.config("kb01"));
    let o = run(&mut c);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let messages: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("es03") && m.contains("PKI realm") && m.contains("401")),
        "{messages:#?}"
    );
    assert!(
        !messages
            .iter()
            .any(|m| m.contains("es01") || m.contains("es02")),
        "only es03 lacks its bundle: {messages:#?}"
    );
}

/// With no nodes listed, `GET /_nodes/http` fills them in (and their
/// publish addresses become Kibana's `elasticsearch.hosts`).
#[test]
fn the_cluster_lists_its_nodes_when_the_topology_has_none() {
    let (site, _) = operator_site("token");
    let text = std::fs::read_to_string(&site.answers).unwrap();
    let mut y: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    y["topology"]["elasticsearch"] = serde_yaml_ng::Value::Sequence(Vec::new());
    y["elasticsearch"]["url"] = site.cluster.node_url("es02").into();
    std::fs::write(&site.answers, serde_yaml_ng::to_string(&y).unwrap()).unwrap();
    let mut c = on_host(&site, "ca", true);
    c.args(["plan", "--json", "--answers"]).arg(&site.answers);
    let v = json(run(&mut c), "plan with the nodes from the cluster");
    let want: Vec<String> = NODES
        .iter()
        .map(|n| format!("https://127.0.0.1:{}", site.cluster.port(n)))
        .collect();
    let mut got: Vec<String> = v["kibana_hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_string())
        .collect();
    got.sort();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    assert_eq!(got, want_sorted, "{v}");
    let names: Vec<&str> = v["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["product"] == "elasticsearch")
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    for n in NODES {
        assert!(names.contains(&n), "{names:?}");
    }
}

/// A node whose files were written by an apply that did not restart it (a
/// run stopped before its restart): `apply --bundle … --restart` has nothing
/// left to write but makes the restart it owes (`changed`, the command under
/// `ran`); once done, the next one has nothing to do.
#[test]
fn a_restart_still_owed_is_made_by_the_next_apply_with_restart() {
    let (site, script) = site_restarting_with("pki", "#!/bin/sh\necho x >> \"$HOME/restarts\"\n");
    let restarts = site.host("es01").join("home/restarts");
    let v = apply(&site, "es01", "all");
    assert_eq!(v["changed"], true, "{v}");
    assert!(!restarts.exists(), "restarted without --restart");
    let owed = json(
        apply_raw(&site, "es01", "all", &["--restart"]),
        "the owed restart",
    );
    assert_eq!(owed["changed"], true, "{owed}");
    assert_eq!(owed["ran"][0], script.display().to_string(), "{owed}");
    assert!(
        owed["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["outcome"] == "unchanged"),
        "{owed}"
    );
    assert_eq!(std::fs::read_to_string(&restarts).unwrap(), "x\n");
    let again = json(apply_raw(&site, "es01", "all", &["--restart"]), "again");
    assert_eq!(again["changed"], false, "{again}");
    assert_eq!(
        std::fs::read_to_string(&restarts).unwrap(),
        "x\n",
        "{again}"
    );
}

/// `apply --bundle DIR/<node> --restart` runs the restart command, then
/// waits until the node serves again and the cluster health is back to what
/// it was (all three nodes): here the node is down for a second after the
/// command, and the apply ends only once it is back.
#[test]
fn a_node_restart_waits_until_the_node_has_rejoined() {
    // Like `systemctl restart`: returns once the service was stopped (here: by the test).
    let (site, script) = site_restarting_with(
        "pki",
        "#!/bin/sh\ntouch \"$HOME/restart-requested\"\nwhile [ ! -f \"$HOME/stopped\" ]; do sleep 0.05; done\n",
    );
    let mut child = spawn_es01_restart(&site);
    // The node goes down with its restart and comes back a second later.
    site.cluster.stop("es01");
    std::fs::write(site.host("es01").join("home/stopped"), "").unwrap();
    let down = std::time::Instant::now();
    std::thread::sleep(std::time::Duration::from_millis(1000));
    assert!(
        child.try_wait().unwrap().is_none(),
        "apply ended while the node was down"
    );
    site.cluster.restart("es01");
    let o = child.wait_with_output().unwrap();
    let waited = down.elapsed();
    let v = json(o, "apply es01 --restart");
    assert!(
        waited >= std::time::Duration::from_millis(1000),
        "{waited:?}"
    );
    assert_eq!(v["ran"][0], script.display().to_string(), "{v}");
    let health = site
        .cluster
        .seen("es01")
        .iter()
        .filter(|s| s.path == "/_cluster/health")
        .count();
    let seen: Vec<String> = site
        .cluster
        .seen("es01")
        .iter()
        .map(|s| format!("{} {}", s.method, s.path))
        .collect();
    assert!(
        health > 0,
        "the apply asked the restarted node for the cluster health: {seen:?}"
    );
}

/// Each node checks the name Kibana will use for it against its own HTTP
/// certificate (the nodes keep theirs here): a name it lacks is refused on
/// that node, in one line, before anything changes.
#[test]
fn a_node_whose_certificate_lacks_kibanas_name_for_it_is_refused() {
    let (site, _) = operator_site("token");
    let text = std::fs::read_to_string(&site.answers).unwrap();
    let mut y: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let nodes = y["topology"]["elasticsearch"].as_sequence_mut().unwrap();
    nodes[1]["ip"] = serde_yaml_ng::Value::Sequence(Vec::new());
    nodes[1]["dns"] = serde_yaml_ng::Value::Sequence(vec!["es02.example.com".into()]);
    std::fs::write(&site.answers, serde_yaml_ng::to_string(&y).unwrap()).unwrap();
    make_bundles(&site, false);
    let before = std::fs::read_to_string(site.config("es02").join("elasticsearch.yml")).unwrap();
    let o = apply_raw(&site, "es02", "all", &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains("es02.example.com") && err.contains("not among the names"),
        "{err}"
    );
    assert_eq!(
        err.lines().filter(|l| !l.trim().is_empty()).count(),
        1,
        "{err}"
    );
    let after = std::fs::read_to_string(site.config("es02").join("elasticsearch.yml")).unwrap();
    assert_eq!(before, after);
    // The other nodes are fine.
    let v = apply(&site, "es01", "all");
    assert_eq!(v["changed"], true, "{v}");
}

/// A node that now requires a client certificate answers no request from
/// its own host (esmtls holds no certificate there): after its restart the
/// apply waits only for the handshake, not for a cluster health it cannot
/// ask, and the restart is no longer owed (the next apply changes nothing,
/// as Ansible's second run needs).
#[test]
fn a_node_that_now_requires_a_certificate_is_back_once_it_refuses_without_one() {
    let (site, script) = site_restarting_with(
        "mtls-token",
        "#!/bin/sh\ntouch \"$HOME/restart-requested\"\nwhile [ ! -f \"$HOME/restarted\" ]; do sleep 0.05; done\n",
    );
    let child = spawn_es01_restart(&site);
    // The node reloads its files: from now on it requires a client certificate.
    site.cluster.restart("es01");
    std::fs::write(site.host("es01").join("home/restarted"), "").unwrap();
    let back = std::time::Instant::now();
    let o = child.wait_with_output().unwrap();
    let v = json(o, "apply es01 --restart");
    assert!(
        back.elapsed() < std::time::Duration::from_secs(30),
        "waited {:?} for a health it cannot ask: {v}",
        back.elapsed()
    );
    assert_eq!(v["ran"][0], script.display().to_string(), "{v}");
    let again = json(apply_raw(&site, "es01", "all", &["--restart"]), "again");
    assert_eq!(
        again["changed"], false,
        "the restart is still owed: {again}"
    );
}

/// An operator site in `mode` whose nodes restart with `script_body` (a
/// shell script; `$HOME` is the host's home), bundles made; returns the
/// site and the script's path.
fn site_restarting_with(mode: &str, script_body: &str) -> (Site, std::path::PathBuf) {
    let (site, _) = operator_site(mode);
    let script = site.ca_holder().join("restart.sh");
    std::fs::write(&script, script_body).unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let text = std::fs::read_to_string(&site.answers).unwrap();
    let mut y: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    y["elasticsearch"]["restart"] = script.display().to_string().into();
    std::fs::write(&site.answers, serde_yaml_ng::to_string(&y).unwrap()).unwrap();
    make_bundles(&site, true);
    (site, script)
}

/// Starts `esmtls apply --bundle DIR/es01 --restart` (admin credentials
/// given) and returns once the restart command has run (`$HOME/restart-requested`).
fn spawn_es01_restart(site: &Site) -> std::process::Child {
    let marker = site.host("es01").join("home/restart-requested");
    let mut c = on_host(site, "es01", true);
    c.arg("apply")
        .arg("--bundle")
        .arg(site.bundles.join("es01"))
        .args(["--yes", "--json", "--restart"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = c.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !marker.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the restart command never ran"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child
}
