//! A cluster's hosts set up with bundles, for tests against the fake cluster
//! (`cluster_support`): three node config trees and one Kibana tree in a
//! temporary directory, each host with its own HOME, the answers with the
//! nodes' ports, and esmtls run as each host runs it — `plan --bundle` on the
//! CA holder, `apply --bundle DIR/<host>` on the host (`_cluster` on the CA
//! holder with the admin credentials) — stage by stage in the plan's
//! `order`, a node restarting after its `all`-phase apply.
//!
//! A test crate declares `mod bundle_support;` next to `mod cluster_support;`,
//! `mod common;` and `mod es_support;`. Dropping a [`Site`] stops every node.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use esmtls::pki::build::{self, CaMaterial, CaSpec, LeafSpec, Usage};
use esmtls::pki::{KeyType, pem};
use serde_json::Value;

use crate::cluster_support::{ADMIN_PASSWORD, ADMIN_USER, FakeCluster};
use crate::common::{esmtls, run, setups, stderr, stdout};

/// The nodes.
pub const NODES: [&str; 3] = ["es01", "es02", "es03"];
/// The Kibana instance.
pub const KIBANA: &str = "kb01";

/// The hosts' trees, the CA holder's bundle directory, and the running cluster.
pub struct Site {
    /// The running nodes (dropped, so stopped, before the trees go).
    pub cluster: FakeCluster,
    _tmp: tempfile::TempDir,
    root: PathBuf,
    /// The CA holder's `cluster.yml`.
    pub answers: PathBuf,
    /// The CA holder's bundle directory.
    pub bundles: PathBuf,
}

impl Site {
    /// The host's directory: `config/` and `home/`.
    pub fn host(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// The host's config directory.
    pub fn config(&self, name: &str) -> PathBuf {
        self.host(name).join("config")
    }

    /// The CA holder's files (`cluster.yml`, the bundles, a given CA).
    pub fn ca_holder(&self) -> PathBuf {
        self.host("ca")
    }
}

/// How the nodes start.
pub enum Seed<'a> {
    /// The package's files: no HTTPS.
    Fresh,
    /// HTTPS with a PEM certificate from this CA, no client certificates asked.
    Https(&'a CaMaterial),
}

/// Three nodes (the package's yml and keystore, `node.name` set) and a fresh
/// Kibana (`server.name`), each with its own HOME; the cluster started.
pub fn site(seed: Seed) -> Site {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let mut trees = Vec::new();
    for name in NODES {
        let dir = root.join(name).join("config");
        let f = setups::es_package_fresh(&dir);
        append(
            &f.yml,
            &format!("\ncluster.name: online\nnode.name: {name}\n"),
        );
        if let Seed::Https(ca) = seed {
            https_on(&dir, name, ca);
        }
        trees.push((name, dir));
    }
    let k = setups::kibana_package_fresh(&root.join(KIBANA).join("config"));
    append(&k.yml, &format!("\nserver.name: {KIBANA}\n"));
    for h in NODES.iter().chain([&KIBANA, &"ca"]) {
        fs::create_dir_all(root.join(h).join("home")).unwrap();
    }
    let refs: Vec<(&str, &Path)> = trees.iter().map(|(n, d)| (*n, d.as_path())).collect();
    let cluster = FakeCluster::start(&refs);
    Site {
        answers: root.join("ca").join("cluster.yml"),
        bundles: root.join("ca").join("bundles"),
        _tmp: tmp,
        root,
        cluster,
    }
}

/// The node's HTTP certificate from `ca` (its name, localhost, 127.0.0.1) as
/// PEM, and HTTPS on.
fn https_on(dir: &Path, name: &str, ca: &CaMaterial) {
    let leaf = build::issue(
        &LeafSpec {
            name: name.into(),
            dns: vec![name.into(), "localhost".into()],
            ips: vec!["127.0.0.1".parse().unwrap()],
            usage: Usage::Server,
            days: 30,
            key: KeyType::EcP256,
        },
        ca,
    )
    .unwrap();
    fs::create_dir_all(dir.join("certs")).unwrap();
    let chain = pem::certs([leaf.cert_der.as_slice(), ca.cert_der.as_slice()]);
    fs::write(dir.join("certs/http.crt"), chain).unwrap();
    fs::write(dir.join("certs/http.key"), pem::key(&leaf.key)).unwrap();
    append(
        &dir.join("elasticsearch.yml"),
        "xpack.security.http.ssl:\n  enabled: true\n  certificate: certs/http.crt\n  key: certs/http.key\n",
    );
}

fn append(p: &Path, text: &str) {
    let mut s = fs::read_to_string(p).unwrap();
    s.push_str(text);
    fs::write(p, s).unwrap();
}

/// `cluster.yml` for `mode` with the nodes' ports; `es` is added under
/// `elasticsearch:`, `extra` at the end.
pub fn write_answers(site: &Site, mode: &str, es: &str, extra: &str) {
    let mut y = format!("mode: {mode}\ntopology:\n  elasticsearch:\n");
    for n in NODES {
        y += &format!(
            "    - name: {n}\n      ip: [127.0.0.1]\n      port: {}\n      config: {}\n",
            site.cluster.port(n),
            site.config(n).display()
        );
    }
    y += &format!(
        "  kibana:\n    - name: {KIBANA}\n      config: {}\n",
        site.config(KIBANA).display()
    );
    y += &format!("elasticsearch:\n  restart: none\n{es}kibana:\n  restart: none\n{extra}");
    fs::write(&site.answers, y).unwrap();
}

/// esmtls as run on `host` (its own HOME), with the admin credentials when `admin`.
pub fn on_host(site: &Site, host: &str, admin: bool) -> Command {
    let home = site.host(host).join("home");
    let mut c = esmtls(&home);
    c.env("ESMTLS_SECRET_STORE", "file");
    if admin {
        c.env("ESMTLS_ES_USERNAME", ADMIN_USER)
            .env("ESMTLS_ES_PASSWORD", ADMIN_PASSWORD);
    }
    c
}

#[track_caller]
pub fn ok(o: Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        o.status,
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// `esmtls plan --answers cluster.yml --bundle DIR --json` on the CA holder.
pub fn make_bundles(site: &Site, admin: bool) -> Value {
    let mut c = on_host(site, "ca", admin);
    c.arg("plan")
        .arg("--answers")
        .arg(&site.answers)
        .arg("--bundle")
        .arg(&site.bundles)
        .arg("--json");
    let out = ok(run(&mut c), "esmtls plan --bundle");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// `esmtls apply --bundle DIR/<host> --yes --json [--phase prepare] [extra]`
/// on that host (`_cluster` on the CA holder, with the admin credentials;
/// `--restart` with them too, as the operator who checks every node has them).
pub fn apply_raw(site: &Site, host: &str, phase: &str, extra: &[&str]) -> Output {
    let cluster_calls = host == "_cluster";
    let runs_on = if cluster_calls { "ca" } else { host };
    let mut c = on_host(site, runs_on, cluster_calls || extra.contains(&"--restart"));
    c.arg("apply")
        .arg("--bundle")
        .arg(site.bundles.join(host))
        .args(["--yes", "--json"])
        .args(extra);
    if phase != "all" {
        c.args(["--phase", phase]);
    }
    run(&mut c)
}

#[track_caller]
pub fn json(o: Output, what: &str) -> Value {
    let out = ok(o, what);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{what}: {e}: {out}"))
}

pub fn apply(site: &Site, host: &str, phase: &str) -> Value {
    json(
        apply_raw(site, host, phase, &[]),
        &format!("apply {host} ({phase})"),
    )
}

/// Applies the plan's `order` stage by stage, leaving out `skip`'s bundle
/// (that node still restarts, as when every node is restarted). A node
/// restarts after its `https`- and `all`-phase applies; Kibana's apply runs with
/// `--restart` (`kibana.restart: none`: nothing runs, every node is
/// verified) and its output is returned.
pub fn apply_in_order(site: &Site, plan: &Value, skip: Option<&str>) -> Output {
    let mut kibana = None;
    for stage in plan["order"].as_array().unwrap() {
        let phase = stage["phase"].as_str().unwrap();
        for host in stage["hosts"].as_array().unwrap() {
            let host = host.as_str().unwrap();
            if host == KIBANA {
                kibana = Some(apply_raw(site, host, phase, &["--restart"]));
                continue;
            }
            if Some(host) != skip {
                let v = apply(site, host, phase);
                assert_eq!(v["changed"], true, "{host} ({phase}): {v}");
            }
            if NODES.contains(&host) && phase != "prepare" {
                site.cluster.restart(host);
            }
        }
    }
    kibana.expect("the order has a Kibana stage")
}

/// A mode's answers on fresh nodes: esmtls issues every HTTP certificate
/// from a new CA and turns HTTPS on.
pub fn fresh_answers(mode: &str, cert_format: &str) -> String {
    let mut y = "server_certificate:\n  generate: yes\nca:\n  source: new\n".to_string();
    if mode != "token" && mode != "password" {
        y += &format!(
            "client_certificate:\n  name: {CLIENT_CN}\n  key_type: rsa2048\n  format: {cert_format}\n"
        );
    }
    if mode == "pki" {
        y += "license: platinum\n";
    }
    y
}

/// The CN of Kibana's client certificate.
pub const CLIENT_CN: &str = "kibana-client";

/// Nodes that already serve HTTPS from the operator's CA, which esmtls is
/// given (`ca.source: file`, `server_certificate.generate: no`); the answers
/// for `mode` written and the bundles made with the cluster reachable.
pub fn operator_site(mode: &str) -> (Site, Value) {
    let ca = build::new_ca(&CaSpec {
        dn: "CN=operator CA".into(),
        days: 30,
        key: KeyType::EcP256,
    })
    .unwrap();
    let ca = CaMaterial {
        cert_der: ca.cert_der,
        key: ca.key,
        chain_der: vec![],
    };
    let site = site(Seed::Https(&ca));
    let (crt, key) = (
        site.ca_holder().join("ca.crt"),
        site.ca_holder().join("ca.key"),
    );
    fs::write(&crt, pem::cert(&ca.cert_der)).unwrap();
    fs::write(&key, pem::key(&ca.key)).unwrap();
    write_answers(
        &site,
        mode,
        &format!("  server_ca: {}\n", crt.display()),
        &format!(
            "ca:\n  source: file\n  cert: {}\n  key: {}\nserver_certificate:\n  generate: no\nclient_certificate:\n  name: {CLIENT_CN}\n  key_type: rsa2048\n",
            crt.display(),
            key.display()
        ),
    );
    let plan = make_bundles(&site, true);
    assert_eq!(plan["reachable"], true, "{plan}");
    assert_eq!(plan["server_certificates"], false, "{plan}");
    (site, plan)
}

/// `(phase, hosts)` of each stage.
pub fn stages(plan: &Value) -> Vec<(String, Vec<String>)> {
    let text = |v: &Value| v.as_str().unwrap().to_string();
    plan["order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let hosts = s["hosts"].as_array().unwrap().iter().map(text).collect();
            (text(&s["phase"]), hosts)
        })
        .collect()
}
