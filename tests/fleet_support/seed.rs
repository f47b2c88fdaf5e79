//! What each fleet host starts with: its config tree as a fresh package
//! install leaves it (Elasticsearch: the shipped yml with the cluster's
//! settings, a keystore with the operator's own entries; Kibana: the shipped
//! yml, a keystore with entries of its own), with the packages' owners and
//! modes, and the upper layer of its root: the package's home and systemd
//! unit (`setups::package_root`, so esmtls detects a package install with
//! systemd and picks `systemctl restart`), the service user and group in the
//! host's own `/etc/passwd` and `/etc/group`, and the `systemctl` shim.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use esmtls::fsutil::Existing;
use esmtls::keystore::{EsKeystore, KibanaKeystore, SystemRandom};
use esmtls::secret::Secret;

use super::Host;
use crate::common::setups;

/// The service groups (and users) the packages create, by product.
pub const ES_ID: u32 = 64_201;
pub const KB_ID: u32 = 64_202;

/// The shim installed as the host's `/usr/bin/systemctl`.
const SYSTEMCTL: &str = include_str!("systemctl");

/// A comment every node's yml keeps through every run.
pub const NODE_COMMENT: &str = "# Snapshots go to the NFS share (ticket OPS-1234)";

/// The operator's own keystore entries of a host (kept through every run).
pub fn own_secrets(h: &Host) -> Vec<(String, String)> {
    if h.es {
        vec![
            (
                "s3.client.default.access_key".into(),
                format!("AKIAEXAMPLE{}", h.name),
            ),
            (
                "s3.client.default.secret_key".into(),
                format!("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLE{}", h.name),
            ),
        ]
    } else {
        vec![
            (
                "xpack.encryptedSavedObjects.encryptionKey".into(),
                format!("a7f3c1e9b2d84f6a0c5e7b9d1f3a5c7e-{}", h.name),
            ),
            (
                "xpack.reporting.encryptionKey".into(),
                format!("0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e-{}", h.name),
            ),
        ]
    }
}

/// A node's config tree: `seeds` are every node's address.
pub fn node(h: &Host, seeds: &[String]) {
    let seeds: Vec<String> = seeds.iter().map(|s| format!("\"{s}\"")).collect();
    let yml = setups::es_yml_package()
        .replace("#cluster.name: my-application", "cluster.name: fleet")
        .replace("#node.name: node-1", &format!("node.name: {}", h.name))
        .replace(
            "#network.host: 192.168.0.1",
            &format!("network.host: {}", h.addr),
        )
        .replace("#http.port: 9200", "http.port: 9200")
        .replace(
            "#discovery.seed_hosts: [\"host1\", \"host2\"]",
            &format!("discovery.seed_hosts: [{}]", seeds.join(", ")),
        )
        + &format!("\n{NODE_COMMENT}\npath.repo: [\"/mnt/backups\"]\n");
    fs::create_dir_all(&h.config).unwrap();
    fs::write(h.config.join("elasticsearch.yml"), yml).unwrap();
    fs::write(h.config.join("jvm.options"), "-XX:+UseG1GC\n").unwrap();
    let path = h.config.join("elasticsearch.keystore");
    let mut ks = EsKeystore::create(
        setups::ES_KEYSTORE_FORMAT,
        Secret::empty(),
        &mut SystemRandom,
    )
    .unwrap();
    for (k, v) in own_secrets(h) {
        ks.set_string(&k, &Secret::new(v), false, &path).unwrap();
    }
    ks.save(&path, &mut SystemRandom, Existing::Refuse).unwrap();
    package_modes(&h.config, ES_ID);
}

/// A Kibana's config tree.
pub fn kibana(h: &Host) {
    let k = setups::kibana_package_fresh(&h.config);
    let yml = fs::read_to_string(&k.yml).unwrap()
        + &format!(
            "\nserver.name: \"{}\"\nserver.host: \"{}\"\n",
            h.name, h.addr
        );
    fs::write(&k.yml, yml).unwrap();
    let path = h.config.join("kibana.keystore");
    let mut ks = KibanaKeystore::new(Secret::empty());
    for (k, v) in own_secrets(h) {
        ks.set_string(&k, Secret::new(v), false, &path).unwrap();
    }
    ks.save(&path, &mut SystemRandom, Existing::Refuse).unwrap();
    package_modes(&h.config, KB_ID);
}

/// root:<service group>, 2750 directories and 0660 files, as the packages
/// set `/etc/elasticsearch` and `/etc/kibana`.
fn package_modes(config: &Path, gid: u32) {
    for p in crate::common::walk(config)
        .into_iter()
        .chain([config.to_path_buf()])
    {
        std::os::unix::fs::chown(&p, Some(0), Some(gid)).unwrap();
        let mode = if p.is_dir() { 0o2750 } else { 0o660 };
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// The host's upper layer: its product's package files and unit, its
/// service user and group, every host of the fleet in its `/etc/hosts` (the
/// names resolve on each host, as DNS would), and the `systemctl` shim.
pub fn upper(h: &Host, fleet: &[Host]) {
    let root = h.dir.join("upper");
    setups::package_root(&root, true);
    let (other, id, product) = if h.es {
        ("kibana", ES_ID, "elasticsearch")
    } else {
        ("elasticsearch", KB_ID, "kibana")
    };
    fs::remove_dir_all(root.join("usr/share").join(other)).unwrap();
    fs::remove_dir_all(root.join("etc").join(other)).unwrap();
    fs::remove_file(root.join(format!("usr/lib/systemd/system/{other}.service"))).unwrap();
    let etc = root.join("etc");
    let group = fs::read_to_string("/etc/group").unwrap() + &format!("{product}:x:{id}:\n");
    fs::write(etc.join("group"), group).unwrap();
    let passwd = fs::read_to_string("/etc/passwd").unwrap()
        + &format!("{product}:x:{id}:{id}:{product}:/usr/share/{product}:/usr/sbin/nologin\n");
    fs::write(etc.join("passwd"), passwd).unwrap();
    let names: String = fleet
        .iter()
        .map(|f| format!("{} {}\n", f.addr, f.name))
        .collect();
    let hosts = fs::read_to_string("/etc/hosts").unwrap_or_default() + &names;
    fs::write(etc.join("hosts"), hosts).unwrap();
    let shim = root.join("usr/bin/systemctl");
    fs::create_dir_all(shim.parent().unwrap()).unwrap();
    fs::write(&shim, SYSTEMCTL).unwrap();
    fs::set_permissions(&shim, fs::Permissions::from_mode(0o755)).unwrap();
}
