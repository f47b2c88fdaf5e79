//! The seeds: each host's files as the packages, Elasticsearch's security
//! auto-configuration and enrollment, or the operator left them, with
//! comments, unrelated settings and keystore entries of their own.

use std::fs;
use std::path::Path;

use super::{Host, KIBANAS, NODES};
use crate::common::setups::{ENROLL_TOKEN, KIBANA_YML, autoconfig_block, es_yml_package};
use esmtls::fsutil::Existing;
use esmtls::keystore::{EsKeystore, KibanaKeystore, SystemRandom};
use esmtls::pki::build::{self, CaMaterial, CaSpec, LeafSpec, Usage};
use esmtls::pki::pkcs12::{self, CertEntry, Contents, KeyEntry};
use esmtls::pki::{KeyType, pem};
use esmtls::secret::Secret;

/// Keystore format 5 (Elasticsearch 8.0-8.13, see [`super::ES_VERSION`]).
const ES_KEYSTORE_FORMAT: i32 = 5;

/// The settings every node has besides TLS (kept through every run).
pub const NODE_SETTINGS: [(&str, &str); 5] = [
    ("cluster.name", "prod-logs"),
    ("path.data", "/var/lib/elasticsearch"),
    ("path.repo", "[\"/mnt/backups\"]"),
    ("action.destructive_requires_name", "true"),
    ("indices.memory.index_buffer_size", "20%"),
];

/// A comment every node's yml has (kept through every run).
pub const NODE_COMMENT: &str = "# Snapshots go to the NFS share (ticket OPS-1234)";
/// A comment every Kibana's yml has.
pub const KIBANA_COMMENT: &str = "# Reverse proxy in front of Kibana (ticket OPS-1235)";

fn node_yml(i: usize) -> String {
    let (name, _, ip, port) = NODES[i];
    let rack = format!("r{}", i + 1);
    es_yml_package()
        .replace("#cluster.name: my-application", "cluster.name: prod-logs")
        .replace("#node.name: node-1", &format!("node.name: {name}"))
        .replace("#node.attr.rack: r1", &format!("node.attr.rack: {rack}"))
        .replace("#network.host: 192.168.0.1", &format!("network.host: {ip}"))
        .replace("#http.port: 9200", &format!("http.port: {port}"))
        .replace(
            "#action.destructive_requires_name: true",
            "action.destructive_requires_name: true",
        )
        + &format!(
            "\n{NODE_COMMENT}\npath.repo: [\"/mnt/backups\"]\n\nindices.memory.index_buffer_size: 20%   # more for bulk indexing\n"
        )
}

/// The operator's own keystore entries on node `i` (S3 snapshot client).
pub fn node_secrets(i: usize) -> Vec<(String, String)> {
    vec![
        (
            "s3.client.default.access_key".into(),
            format!("AKIAEXAMPLE{i}"),
        ),
        (
            "s3.client.default.secret_key".into(),
            format!("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY{i}"),
        ),
    ]
}

pub fn fresh_node(h: &Host, i: usize) {
    let seeds: Vec<String> = NODES.iter().map(|n| format!("\"{}\"", n.1)).collect();
    let yml = node_yml(i).replace(
        "#discovery.seed_hosts: [\"host1\", \"host2\"]",
        &format!("discovery.seed_hosts: [{}]", seeds.join(", ")),
    );
    fs::write(h.yml(), yml).unwrap();
    fs::write(h.config.join("jvm.options"), "-XX:+UseG1GC\n").unwrap();
    es_keystore(&h.keystore(), &node_secrets(i));
}

pub fn enrolled_node(h: &Host, i: usize, http_ca: &CaMaterial) {
    let (name, dns, ip, _) = NODES[i];
    let mut block = autoconfig_block(name);
    if i > 0 {
        // A node that joined by enrollment discovers the first one instead.
        block = block.replace(
            &format!("cluster.initial_master_nodes: [\"{name}\"]"),
            &format!("discovery.seed_hosts: [\"{}:9300\"]", NODES[0].2),
        );
    }
    fs::write(h.yml(), node_yml(i) + &block).unwrap();
    fs::write(h.config.join("jvm.options"), "-XX:+UseG1GC\n").unwrap();
    let certs = h.config.join("certs");
    fs::create_dir_all(&certs).unwrap();
    let http = build::issue(
        &LeafSpec {
            name: name.into(),
            dns: vec!["localhost".into(), name.into(), dns.into()],
            ips: vec![
                "127.0.0.1".parse().unwrap(),
                "::1".parse().unwrap(),
                ip.parse().unwrap(),
            ],
            usage: Usage::Server,
            days: 2 * 365,
            key: KeyType::Rsa2048,
        },
        http_ca,
    )
    .unwrap();
    let http_pw = format!("http-p12-pw-{name}");
    let p12 = pkcs12::write(
        &Contents {
            keys: vec![
                KeyEntry {
                    alias: "http_ca".into(),
                    key_pkcs8: http_ca.key.serialize_der(),
                    chain: vec![http_ca.cert_der.clone()],
                },
                KeyEntry {
                    alias: "http".into(),
                    key_pkcs8: http.key.serialize_der(),
                    chain: vec![http.cert_der.clone(), http_ca.cert_der.clone()],
                },
            ],
            certs: vec![],
        },
        &http_pw,
    )
    .unwrap();
    fs::write(certs.join("http.p12"), p12).unwrap();
    fs::write(certs.join("http_ca.crt"), pem::cert(&http_ca.cert_der)).unwrap();
    let transport_ca = ca(
        "CN=Elasticsearch security auto-configuration transport CA",
        KeyType::EcP256,
    );
    let t = build::issue(
        &LeafSpec {
            name: name.into(),
            dns: vec![],
            ips: vec![],
            usage: Usage::Server,
            days: 99 * 365,
            key: KeyType::EcP256,
        },
        &transport_ca,
    )
    .unwrap();
    let t_pw = format!("transport-p12-pw-{name}");
    let tp12 = pkcs12::write(
        &Contents {
            keys: vec![KeyEntry {
                alias: "transport".into(),
                key_pkcs8: t.key.serialize_der(),
                chain: vec![t.cert_der.clone(), transport_ca.cert_der.clone()],
            }],
            certs: vec![CertEntry {
                alias: Some("transport_ca".into()),
                der: transport_ca.cert_der.clone(),
                trusted: true,
            }],
        },
        &t_pw,
    )
    .unwrap();
    fs::write(certs.join("transport.p12"), tp12).unwrap();
    let mut entries = vec![
        (
            "xpack.security.http.ssl.keystore.secure_password".to_string(),
            http_pw,
        ),
        (
            "xpack.security.transport.ssl.keystore.secure_password".into(),
            t_pw.clone(),
        ),
        (
            "xpack.security.transport.ssl.truststore.secure_password".into(),
            t_pw,
        ),
    ];
    if i == 0 {
        entries.push((
            "autoconfiguration.password_hash".into(),
            "$2a$10$V4m1rS3fKq4tZx0B1y7Ue.0fA1R1h4U2bqJ6d2i0F0x5z9YQh4bYa".into(),
        ));
    }
    entries.extend(node_secrets(i));
    es_keystore(&h.keystore(), &entries);
}

/// The settings every Kibana has besides the connection (kept through every run).
pub fn kibana_settings(i: usize) -> Vec<(&'static str, String)> {
    let (name, dns, _) = KIBANAS[i];
    vec![
        ("server.name", name.to_string()),
        ("server.host", "0.0.0.0".into()),
        ("server.publicBaseUrl", format!("https://{dns}")),
        ("logging.root.level", "info".into()),
    ]
}

fn kibana_yml(i: usize) -> String {
    let (name, dns, _) = KIBANAS[i];
    KIBANA_YML
        .replace("#server.host: \"localhost\"", "server.host: \"0.0.0.0\"")
        .replace(
            "#server.name: \"your-hostname\"",
            &format!("server.name: \"{name}\""),
        )
        + &format!(
            "\n{KIBANA_COMMENT}\nserver.publicBaseUrl: \"https://{dns}\"\nlogging:\n  root:\n    level: info\n"
        )
}

/// The operator's own Kibana keystore entries on Kibana `i`.
pub fn kibana_secrets(i: usize) -> Vec<(String, String)> {
    vec![
        (
            "xpack.encryptedSavedObjects.encryptionKey".into(),
            format!("a7f3c1e9b2d84f6a0c5e7b9d1f3a5c7e{i}"),
        ),
        (
            "xpack.reporting.encryptionKey".into(),
            format!("0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e{i}"),
        ),
        (
            "xpack.actions.preconfigured.ops-slack.secrets.webhookUrl".into(),
            format!("https://hooks.slack.example/services/T000/B000/{i}"),
        ),
    ]
}

pub fn enrolled_kibana(h: &Host, i: usize, http_ca: &CaMaterial) {
    // Kibana's interactive setup puts the CA in its data directory.
    let data = h
        .config
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("var/lib/kibana");
    fs::create_dir_all(&data).unwrap();
    let ca_file = data.join("ca_1700000000000.crt");
    fs::write(&ca_file, pem::cert(&http_ca.cert_der)).unwrap();
    let fp = esmtls::pki::inspect::fingerprint(&http_ca.cert_der)
        .replace(':', "")
        .to_lowercase();
    let yml = format!(
        "{}\n# This section was automatically generated during setup.\n\
elasticsearch.hosts: ['https://{ip}:9200']\n\
elasticsearch.serviceAccountToken: {ENROLL_TOKEN}\n\
elasticsearch.ssl.certificateAuthorities: [{ca}]\n\
xpack.fleet.outputs: [{{id: fleet-default-output, name: default, is_default: true, is_default_monitoring: true, type: elasticsearch, hosts: ['https://{ip}:9200'], ca_trusted_fingerprint: {fp}}}]\n",
        kibana_yml(i),
        ip = NODES[0].2,
        ca = ca_file.display()
    );
    fs::write(h.yml(), yml).unwrap();
    kibana_keystore(&h.keystore(), &kibana_secrets(i));
}

/// The classic password of kb02 in the fresh cluster.
pub const OLD_PASSWORD: &str = "old-kibana_system-Pa55";

pub fn fresh_kibana(h: &Host, i: usize) {
    let mut yml = kibana_yml(i);
    let mut secrets = kibana_secrets(i);
    if i == 1 {
        // Set up by hand before HTTPS: plain http and kibana_system's password.
        yml += "\nelasticsearch.hosts: [\"http://es01.example.com:9200\"]\nelasticsearch.username: \"kibana_system\"\n";
        secrets.push(("elasticsearch.password".into(), OLD_PASSWORD.into()));
    }
    fs::write(h.yml(), yml).unwrap();
    kibana_keystore(&h.keystore(), &secrets);
}

pub fn ca(dn: &str, key: KeyType) -> CaMaterial {
    let i = build::new_ca(&CaSpec {
        dn: dn.into(),
        days: 3 * 365,
        key,
    })
    .unwrap();
    CaMaterial {
        cert_der: i.cert_der,
        key: i.key,
        chain_der: vec![],
    }
}

fn es_keystore(path: &Path, entries: &[(String, String)]) {
    let mut ks =
        EsKeystore::create(ES_KEYSTORE_FORMAT, Secret::empty(), &mut SystemRandom).unwrap();
    for (k, v) in entries {
        ks.set_string(k, &Secret::new(v.as_str()), false, path)
            .unwrap();
    }
    ks.save(path, &mut SystemRandom, Existing::Refuse).unwrap();
}

fn kibana_keystore(path: &Path, entries: &[(String, String)]) {
    let mut ks = KibanaKeystore::new(Secret::empty());
    for (k, v) in entries {
        ks.set_string(k, Secret::new(v.as_str()), false, path)
            .unwrap();
    }
    ks.save(path, &mut SystemRandom, Existing::Refuse).unwrap();
}
