//! Clusters for `tests/cluster_bundles.rs`: three Elasticsearch nodes and two
//! Kibana instances, each "host" a config tree of its own and a HOME of its
//! own under one temporary directory, plus the CA holder's HOME.
//!
//! Two realistic starting points:
//! - [`Kind::Enrolled`]: nodes after Elasticsearch 8's security
//!   auto-configuration and enrollment — one `http_ca` shared by every node,
//!   each node its own `http.p12` (alias `http_ca` with the CA's key, alias
//!   `http` with the node's certificate for its own names), its own transport
//!   keystore and its own `elasticsearch.keystore` entries; Kibana after its
//!   interactive setup (enrollment token and `http_ca` in kibana.yml);
//! - [`Kind::Fresh`]: package installs that do not serve HTTPS yet (the
//!   shipped yml with the cluster's settings, a keystore with `keystore.seed`
//!   and the operator's own entries); one Kibana with nothing configured, one
//!   with the classic `kibana_system` password.
//!
//! Every tree gets the modes and group the packages give `/etc/elasticsearch`
//! and `/etc/kibana` (root:<service group>, 2750 directories, 0660 files).
//! As root the service group is a group of its own; otherwise the test's.
#![allow(dead_code)]

pub mod checks;
pub mod expect;
pub mod seed;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use esmtls::pki::KeyType;

/// Which starting point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Auto-configured, enrolled nodes sharing one `http_ca`.
    Enrolled,
    /// Fresh package installs without HTTPS.
    Fresh,
}

/// The five modes.
pub const MODES: [&str; 5] = ["token", "password", "mtls-token", "mtls-password", "pki"];

/// The nodes run Elasticsearch 8.13: keystore format 5, whose 10 000-round
/// KDF keeps the many runs of these tests fast (formats 6 and 7 use 210 000;
/// the keystore tests cover them).
pub const ES_VERSION: &str = "8.13.4";

/// The service groups the packages create (only used as root).
const ES_GROUP: u32 = 64_201;
const KB_GROUP: u32 = 64_202;

/// A node's place in the topology: name, DNS name, IP, HTTP port.
pub const NODES: [(&str, &str, &str, u16); 3] = [
    ("es01", "es01.example.com", "10.0.0.11", 9200),
    ("es02", "es02.example.com", "10.0.0.12", 9200),
    // Shares es02's machine, on another port.
    ("es03", "es03.example.com", "10.0.0.12", 9201),
];

/// Kibana's place in the topology: name, DNS name, IP.
pub const KIBANAS: [(&str, &str, &str); 2] = [
    ("kb01", "kb01.example.com", "10.0.0.21"),
    ("kb02", "kb02.example.com", "10.0.0.22"),
];

/// Kibana's `elasticsearch.hosts` the topology gives.
pub fn kibana_hosts() -> Vec<String> {
    NODES
        .iter()
        .map(|(_, dns, _, port)| format!("https://{dns}:{port}"))
        .collect()
}

/// One host: its config tree and its HOME.
#[derive(Debug, Clone)]
pub struct Host {
    /// `es01`, `kb01`, ...
    pub name: String,
    /// True for a node.
    pub es: bool,
    /// The config directory (`<root>/<name>/etc/elasticsearch` or `.../kibana`).
    pub config: PathBuf,
    /// HOME for the esmtls run "on" this host.
    pub home: PathBuf,
}

impl Host {
    /// The yml file.
    pub fn yml(&self) -> PathBuf {
        self.config.join(if self.es {
            "elasticsearch.yml"
        } else {
            "kibana.yml"
        })
    }
    /// The keystore file.
    pub fn keystore(&self) -> PathBuf {
        self.config.join(if self.es {
            "elasticsearch.keystore"
        } else {
            "kibana.keystore"
        })
    }
    /// The group the service reads its files with.
    pub fn gid(&self) -> u32 {
        fs::metadata(&self.config).unwrap().gid()
    }
}

/// A seeded cluster in a temporary directory.
pub struct Site {
    _tmp: tempfile::TempDir,
    /// The temporary directory.
    pub root: PathBuf,
    /// Which starting point.
    pub kind: Kind,
    /// es01, es02, es03.
    pub nodes: Vec<Host>,
    /// kb01, kb02.
    pub kibanas: Vec<Host>,
    /// The CA holder's HOME.
    pub ca_home: PathBuf,
    /// Where the bundles go.
    pub bundles: PathBuf,
    /// The shared `http_ca` (Enrolled only), DER.
    pub http_ca_der: Option<Vec<u8>>,
}

impl Site {
    /// Every host, nodes first.
    pub fn hosts(&self) -> impl Iterator<Item = &Host> {
        self.nodes.iter().chain(&self.kibanas)
    }
    /// A host by name.
    pub fn host(&self, name: &str) -> &Host {
        self.hosts().find(|h| h.name == name).unwrap()
    }

    /// The answers file for `mode`: this topology, nothing restarted, no
    /// cluster to ask. The enrolled cluster's CA holder reads es01's tree (its
    /// `http_ca` signs Kibana's certificate and is the nodes' server CA).
    pub fn answers(&self, mode: &str) -> PathBuf {
        self.answers_with(mode, |h| h.config.clone())
    }

    /// [`Site::answers`] with each host's config directory given by `config`.
    pub fn answers_with(&self, mode: &str, config: impl Fn(&Host) -> PathBuf) -> PathBuf {
        let mut t = format!(
            "# The cluster, host by host\nmode: {mode}\nlicense: trial\nelasticsearch:\n  restart: none\n  version: {ES_VERSION}\n"
        );
        if self.kind == Kind::Enrolled {
            t += &format!("  config: {}\n", self.nodes[0].config.display());
        }
        t += "kibana:\n  restart: none\ntopology:\n  elasticsearch:\n";
        for (h, (_, dns, ip, port)) in self.nodes.iter().zip(NODES) {
            t += &format!(
                "    - name: {}\n      dns: [{dns}]\n      ip: ['{ip}']\n      port: {port}\n      config: {}\n",
                h.name,
                config(h).display()
            );
        }
        t += "  kibana:\n";
        for (h, (_, dns, ip)) in self.kibanas.iter().zip(KIBANAS) {
            t += &format!(
                "    - name: {}\n      dns: [{dns}]\n      ip: ['{ip}']\n      config: {}\n",
                h.name,
                config(h).display()
            );
        }
        let p = self.root.join(format!("cluster-{mode}.yml"));
        fs::write(&p, t).unwrap();
        p
    }

    /// esmtls as the CA holder.
    pub fn ca_holder(&self) -> Command {
        let mut c = crate::common::esmtls(&self.root);
        c.env("HOME", &self.ca_home);
        c
    }

    /// esmtls "on" `host`: its own HOME.
    pub fn on(&self, host: &Host) -> Command {
        let mut c = crate::common::esmtls(&self.root);
        c.env("HOME", &host.home);
        c
    }

    /// `esmtls apply --bundle DIR/<host> --yes --json [--phase]` on its host.
    pub fn apply(&self, host: &Host, phase: &str) -> Output {
        let dir = self.bundles.join(&host.name);
        let mut c = self.on(host);
        c.args(["apply", "--yes", "--json", "--phase", phase, "--bundle"])
            .arg(dir);
        crate::common::run(&mut c)
    }
}

/// Seeds a cluster of `kind` in a new temporary directory.
pub fn site(kind: Kind) -> Site {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let host = |name: &str, es: bool| {
        let product = if es { "elasticsearch" } else { "kibana" };
        let h = Host {
            name: name.into(),
            es,
            config: root.join(name).join("etc").join(product),
            home: root.join(name).join("home"),
        };
        fs::create_dir_all(&h.config).unwrap();
        fs::create_dir_all(&h.home).unwrap();
        h
    };
    let nodes: Vec<Host> = NODES.iter().map(|n| host(n.0, true)).collect();
    let kibanas: Vec<Host> = KIBANAS.iter().map(|k| host(k.0, false)).collect();
    let ca_home = root.join("ca-holder/home");
    fs::create_dir_all(&ca_home).unwrap();
    let http_ca = (kind == Kind::Enrolled).then(|| {
        seed::ca(
            "CN=Elasticsearch security auto-configuration HTTP CA",
            KeyType::Rsa2048,
        )
    });
    for (i, h) in nodes.iter().enumerate() {
        match &http_ca {
            Some(ca) => seed::enrolled_node(h, i, ca),
            None => seed::fresh_node(h, i),
        }
    }
    for (i, h) in kibanas.iter().enumerate() {
        match &http_ca {
            Some(ca) => seed::enrolled_kibana(h, i, ca),
            None => seed::fresh_kibana(h, i),
        }
    }
    for h in nodes.iter().chain(&kibanas) {
        package_modes(&h.config, if h.es { ES_GROUP } else { KB_GROUP });
    }
    Site {
        _tmp: tmp,
        bundles: root.join("bundles"),
        root,
        kind,
        nodes,
        kibanas,
        ca_home,
        http_ca_der: http_ca.map(|c| c.cert_der),
    }
}

/// The user this test runs as (the owner of a file it creates).
pub fn process_uid() -> u32 {
    tempfile::tempfile().unwrap().metadata().unwrap().uid()
}

/// root:<group> 2750 directories and 0660 files, as the packages set
/// `/etc/elasticsearch` and `/etc/kibana`.
fn package_modes(config: &Path, group: u32) {
    let gid = if process_uid() == 0 {
        group
    } else {
        fs::metadata(config).unwrap().gid()
    };
    for p in crate::common::walk(config)
        .into_iter()
        .chain([config.to_path_buf()])
    {
        std::os::unix::fs::chown(&p, None, Some(gid)).unwrap();
        let mode = if p.is_dir() { 0o2750 } else { 0o660 };
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// Every path under `dir` with its content (None for a directory), owner,
/// group and mode: what "nothing changed on disk" compares.
pub type Tree = std::collections::BTreeMap<PathBuf, (Option<Vec<u8>>, u32, u32, u32)>;

/// [`Tree`] of `dir` (empty when it does not exist).
pub fn tree(dir: &Path) -> Tree {
    if !dir.exists() {
        return Tree::new();
    }
    crate::common::walk(dir)
        .into_iter()
        .map(|p| {
            let m = fs::symlink_metadata(&p).unwrap();
            let content = m.is_file().then(|| fs::read(&p).unwrap());
            (p, (content, m.uid(), m.gid(), m.mode() & 0o7777))
        })
        .collect()
}

/// [`tree`] of every host's config tree, the bundles and the answers (not the HOMEs).
pub fn disk(site: &Site) -> Tree {
    let mut t = tree(&site.bundles);
    for h in site.hosts() {
        t.extend(
            tree(h.config.parent().unwrap().parent().unwrap())
                .into_iter()
                .filter(|(p, _)| !p.starts_with(&h.home)),
        );
    }
    t
}
