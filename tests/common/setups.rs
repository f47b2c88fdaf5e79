//! Realistic Elasticsearch and Kibana config trees for scenario tests, built in
//! a temporary directory. Text comes from the files Elastic ships
//! (`tests/fixtures/setups/`, see SOURCES.md there); every binary file
//! (certificates, PKCS#12, keystores) is generated here with esmtls's own
//! library, so nothing binary is committed.
//!
//! Keys are smaller than Elastic's (RSA 2048 and P-256 instead of RSA 4096) to
//! keep tests fast; names, aliases, extensions and file layout are the real ones.

use std::fs;
use std::path::{Path, PathBuf};

use esmtls::fsutil::Existing;
use esmtls::keystore::{EsKeystore, KibanaKeystore, SystemRandom};
use esmtls::pki::build::{self, CaMaterial, CaSpec, LeafSpec, Usage};
use esmtls::pki::pkcs12::{self, CertEntry, Contents, KeyEntry};
use esmtls::pki::{KeyType, pem};
use esmtls::secret::Secret;

/// Elasticsearch's shipped `elasticsearch.yml`, with `${path.data}`/`${path.logs}` unreplaced.
pub const ES_YML_TEMPLATE: &str = include_str!("../fixtures/setups/elasticsearch.yml.template");
/// Kibana's shipped `kibana.yml`.
pub const KIBANA_YML: &str = include_str!("../fixtures/setups/kibana.yml");
/// Version of the fake installs.
pub const VERSION: &str = "8.15.2";
/// Keystore format of the seeded `elasticsearch.keystore` files.
pub const ES_KEYSTORE_FORMAT: i32 = 7;
/// The host name the auto-configuration seeds use (node name and SAN).
pub const HOSTNAME: &str = "es-node-1";
/// The fake enrollment service token Kibana's interactive setup writes.
pub const ENROLL_TOKEN: &str = "AAEAAWVsYXN0aWMva2liYW5hL2Vucm9sbC1wcm9jZXNzLXRva2VuLTE3MDAwMDAwMDAwMDA6ZXNtdGxzLXRlc3QtZmFrZS10b2tlbg";
/// `elasticsearch.password` of [`kibana_with_password`].
pub const KIBANA_SYSTEM_PASSWORD: &str = "kibana-system-Pa55word";

/// `elasticsearch.yml` as the deb/rpm package installs it.
pub fn es_yml_package() -> String {
    ES_YML_TEMPLATE
        .replace("${path.data}", "path.data: /var/lib/elasticsearch")
        .replace("${path.logs}", "path.logs: /var/log/elasticsearch")
}

/// `elasticsearch.yml` as the tar.gz/zip archive ships it.
pub fn es_yml_archive() -> String {
    ES_YML_TEMPLATE
        .replace("${path.data}", "#path.data: /path/to/data")
        .replace("${path.logs}", "#path.logs: /path/to/logs")
}

/// The auto-configuration block (elastic-facts §2.2), for a node named `node`.
pub fn autoconfig_block(node: &str) -> String {
    format!(
        "\n#----------------------- BEGIN SECURITY AUTO CONFIGURATION -----------------------\n\
#\n\
# The following settings, TLS certificates, and keys have been automatically      \n\
# generated to configure Elasticsearch security features on 14-11-2023 22:13:20\n\
#\n\
# --------------------------------------------------------------------------------\n\
\n\
# Enable security features\n\
xpack.security.enabled: true\n\
\n\
xpack.security.enrollment.enabled: true\n\
\n\
# Enable encryption for HTTP API client connections, such as Kibana, Logstash, and Agents\n\
xpack.security.http.ssl:\n\
\x20 enabled: true\n\
\x20 keystore.path: certs/http.p12\n\
\n\
# Enable encryption and mutual authentication between cluster nodes\n\
xpack.security.transport.ssl:\n\
\x20 enabled: true\n\
\x20 verification_mode: certificate\n\
\x20 keystore.path: certs/transport.p12\n\
\x20 truststore.path: certs/transport.p12\n\
# Create a new cluster with the current node only\n\
# Additional nodes can still join the cluster later\n\
cluster.initial_master_nodes: [\"{node}\"]\n\
\n\
# Allow HTTP API connections from anywhere\n\
# Connections are encrypted and require user authentication\n\
http.host: 0.0.0.0\n\
\n\
# Allow other nodes to join the cluster from anywhere\n\
# Connections are encrypted and mutually authenticated\n\
#transport.host: 0.0.0.0\n\
\n\
#----------------------- END SECURITY AUTO CONFIGURATION -------------------------\n"
    )
}

fn write(p: &Path, content: impl AsRef<[u8]>) {
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, content).unwrap();
}

fn es_keystore(dir: &Path, entries: &[(&str, &str)]) -> PathBuf {
    let mut ks =
        EsKeystore::create(ES_KEYSTORE_FORMAT, Secret::empty(), &mut SystemRandom).unwrap();
    let path = dir.join("elasticsearch.keystore");
    for (k, v) in entries {
        ks.set_string(k, &Secret::new(*v), false, &path).unwrap();
    }
    fs::create_dir_all(dir).unwrap();
    ks.save(&path, &mut SystemRandom, Existing::Refuse).unwrap();
    path
}

fn ca(dn: &str, key: KeyType) -> CaMaterial {
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

/// A fresh package install's config dir (`/etc/elasticsearch`-like).
pub struct EsFresh {
    /// The config directory.
    pub config_dir: PathBuf,
    /// `elasticsearch.yml`.
    pub yml: PathBuf,
    /// `elasticsearch.keystore` (only `keystore.seed`, no password).
    pub keystore: PathBuf,
}

/// `dir` as a fresh 8.x deb leaves `/etc/elasticsearch` before the first start:
/// the shipped yml, `jvm.options`, and a keystore holding only `keystore.seed`.
pub fn es_package_fresh(dir: &Path) -> EsFresh {
    let yml = dir.join("elasticsearch.yml");
    write(&yml, es_yml_package());
    write(&dir.join("jvm.options"), "-XX:+UseG1GC\n");
    let keystore = es_keystore(dir, &[]);
    EsFresh {
        config_dir: dir.to_path_buf(),
        yml,
        keystore,
    }
}

/// [`es_package_fresh`] for an archive's `config/` (the archive's yml text).
pub fn es_archive_fresh(dir: &Path) -> EsFresh {
    let f = es_package_fresh(dir);
    write(&f.yml, es_yml_archive());
    f
}

/// A node after Elasticsearch 8's security auto-configuration.
pub struct EsAutoconfigured {
    /// The config directory.
    pub config_dir: PathBuf,
    /// `elasticsearch.yml` (shipped text + the auto-configuration block).
    pub yml: PathBuf,
    /// `certs/http_ca.crt`.
    pub http_ca_crt: PathBuf,
    /// `certs/http.p12` (keys `http_ca` and `http`).
    pub http_p12: PathBuf,
    /// `certs/transport.p12`.
    pub transport_p12: PathBuf,
    /// `elasticsearch.keystore` (no password).
    pub keystore: PathBuf,
    /// The password of `http.p12` (= `xpack.security.http.ssl.keystore.secure_password`).
    pub http_p12_password: String,
    /// The node name (= the http certificate's CN).
    pub node_name: String,
    /// The HTTP CA certificate, DER.
    pub http_ca_der: Vec<u8>,
    /// The HTTP server certificate, DER.
    pub http_cert_der: Vec<u8>,
}

/// `dir` as an 8.x node leaves it after its first start (elastic-facts §2.1–2.2).
pub fn es_autoconfigured(dir: &Path) -> EsAutoconfigured {
    let node = HOSTNAME.to_string();
    let yml = dir.join("elasticsearch.yml");
    write(&yml, es_yml_package() + &autoconfig_block(&node));
    write(&dir.join("jvm.options"), "-XX:+UseG1GC\n");
    let certs = dir.join("certs");

    let http_ca = ca(
        "CN=Elasticsearch security auto-configuration HTTP CA",
        KeyType::Rsa2048,
    );
    let http = build::issue(
        &LeafSpec {
            name: node.clone(),
            dns: vec!["localhost".into(), node.clone()],
            ips: vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()],
            usage: Usage::Server,
            days: 2 * 365,
            key: KeyType::Rsa2048,
        },
        &http_ca,
    )
    .unwrap();
    let http_p12_password = "Xq3vT9-http-p12-pw".to_string();
    let http_p12 = pkcs12::write(
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
        &http_p12_password,
    )
    .unwrap();
    write(&certs.join("http.p12"), http_p12);
    write(&certs.join("http_ca.crt"), pem::cert(&http_ca.cert_der));

    let transport_ca = ca(
        "CN=Elasticsearch security auto-configuration transport CA",
        KeyType::EcP256,
    );
    let transport = build::issue(
        &LeafSpec {
            name: node.clone(),
            dns: vec![],
            ips: vec![],
            usage: Usage::Server,
            days: 99 * 365,
            key: KeyType::EcP256,
        },
        &transport_ca,
    )
    .unwrap();
    let transport_pw = "transport-p12-pw";
    let t = pkcs12::write(
        &Contents {
            keys: vec![KeyEntry {
                alias: "transport".into(),
                key_pkcs8: transport.key.serialize_der(),
                chain: vec![transport.cert_der.clone(), transport_ca.cert_der.clone()],
            }],
            certs: vec![CertEntry {
                alias: Some("transport_ca".into()),
                der: transport_ca.cert_der.clone(),
                trusted: true,
            }],
        },
        transport_pw,
    )
    .unwrap();
    write(&certs.join("transport.p12"), t);

    let keystore = es_keystore(
        dir,
        &[
            (
                "xpack.security.http.ssl.keystore.secure_password",
                &http_p12_password,
            ),
            (
                "xpack.security.transport.ssl.keystore.secure_password",
                transport_pw,
            ),
            (
                "xpack.security.transport.ssl.truststore.secure_password",
                transport_pw,
            ),
            (
                "autoconfiguration.password_hash",
                "$2a$10$V4m1rS3fKq4tZx0B1y7Ue.0fA1R1h4U2bqJ6d2i0F0x5z9YQh4bYa",
            ),
        ],
    );
    EsAutoconfigured {
        config_dir: dir.to_path_buf(),
        yml,
        http_ca_crt: certs.join("http_ca.crt"),
        http_p12: certs.join("http.p12"),
        transport_p12: certs.join("transport.p12"),
        keystore,
        http_p12_password,
        node_name: node,
        http_ca_der: http_ca.cert_der,
        http_cert_der: http.cert_der,
    }
}

/// Re-writes an `elasticsearch.keystore` with a password (as
/// `elasticsearch-keystore passwd` does), keeping every entry.
pub fn protect_es_keystore(path: &Path, password: &str) {
    let old = EsKeystore::load(path, None).unwrap();
    let mut ks =
        EsKeystore::create(old.version(), Secret::new(password), &mut SystemRandom).unwrap();
    for name in old.names() {
        let v = Secret::new(String::from_utf8(old.get(name).unwrap().to_vec()).unwrap());
        ks.set_string(name, &v, true, path).unwrap();
    }
    ks.save(path, &mut SystemRandom, Existing::Replace).unwrap();
}

/// A Kibana config dir.
pub struct KibanaSetup {
    /// The config directory.
    pub config_dir: PathBuf,
    /// `kibana.yml`.
    pub yml: PathBuf,
    /// `kibana.keystore`, when the setup has one (no password).
    pub keystore: Option<PathBuf>,
    /// The CA file `kibana.yml` names, when the setup has one.
    pub ca_file: Option<PathBuf>,
}

/// `dir` as a fresh 8.x package leaves `/etc/kibana`: the shipped yml, no keystore.
pub fn kibana_package_fresh(dir: &Path) -> KibanaSetup {
    let yml = dir.join("kibana.yml");
    write(&yml, KIBANA_YML);
    KibanaSetup {
        config_dir: dir.to_path_buf(),
        yml,
        keystore: None,
        ca_file: None,
    }
}

fn kibana_keystore(dir: &Path, entries: &[(&str, &str)]) -> PathBuf {
    let path = dir.join("kibana.keystore");
    let mut ks = KibanaKeystore::new(Secret::empty());
    for (k, v) in entries {
        ks.set_string(k, Secret::new(*v), false, &path).unwrap();
    }
    ks.save(&path, &mut SystemRandom, Existing::Refuse).unwrap();
    path
}

/// After Kibana's interactive setup with an enrollment token (elastic-facts
/// §2.3), for an archive layout: the CA goes to `<dir>/../data/`.
pub fn kibana_after_setup(dir: &Path, es: &EsAutoconfigured) -> KibanaSetup {
    let data = dir.parent().unwrap().join("data");
    kibana_after_setup_with_data(dir, &data, es)
}

/// [`kibana_after_setup`] with Kibana's data directory given (`/var/lib/kibana` for packages).
pub fn kibana_after_setup_with_data(dir: &Path, data: &Path, es: &EsAutoconfigured) -> KibanaSetup {
    let ca_file = data.join("ca_1700000000000.crt");
    write(&ca_file, pem::cert(&es.http_ca_der));
    let fp = esmtls::pki::inspect::fingerprint(&es.http_ca_der)
        .replace(':', "")
        .to_lowercase();
    let yml = dir.join("kibana.yml");
    write(
        &yml,
        format!(
            "{KIBANA_YML}\n# This section was automatically generated during setup.\n\
elasticsearch.hosts: ['https://127.0.0.1:9200']\n\
elasticsearch.serviceAccountToken: {ENROLL_TOKEN}\n\
elasticsearch.ssl.certificateAuthorities: [{ca}]\n\
xpack.fleet.outputs: [{{id: fleet-default-output, name: default, is_default: true, is_default_monitoring: true, type: elasticsearch, hosts: ['https://127.0.0.1:9200'], ca_trusted_fingerprint: {fp}}}]\n",
            ca = ca_file.display()
        ),
    );
    let keystore = kibana_keystore(dir, &[]);
    KibanaSetup {
        config_dir: dir.to_path_buf(),
        yml,
        keystore: Some(keystore),
        ca_file: Some(ca_file),
    }
}

/// The classic manual setup: `elasticsearch.username: kibana_system` in the yml,
/// `elasticsearch.password` in the keystore, and the ES CA as `elasticsearch-ca.pem`.
pub fn kibana_with_password(dir: &Path) -> KibanaSetup {
    let ca_file = dir.join("elasticsearch-ca.pem");
    write(
        &ca_file,
        pem::cert(&ca("CN=Elasticsearch HTTP CA", KeyType::EcP256).cert_der),
    );
    let yml = dir.join("kibana.yml");
    write(
        &yml,
        format!(
            "{KIBANA_YML}\nelasticsearch.hosts: [\"https://localhost:9200\"]\n\
elasticsearch.username: \"kibana_system\"\n\
elasticsearch.ssl.certificateAuthorities: [ \"{}\" ]\n",
            ca_file.display()
        ),
    );
    let keystore = kibana_keystore(dir, &[("elasticsearch.password", KIBANA_SYSTEM_PASSWORD)]);
    KibanaSetup {
        config_dir: dir.to_path_buf(),
        yml,
        keystore: Some(keystore),
        ca_file: Some(ca_file),
    }
}

/// A fake system root with both packages installed (no config files yet).
pub struct PackageRoot {
    /// The root (pass it as `DetectOptions::root`).
    pub root: PathBuf,
    /// `<root>/etc/elasticsearch` (created, empty).
    pub es_config: PathBuf,
    /// `<root>/usr/share/elasticsearch`.
    pub es_home: PathBuf,
    /// `<root>/etc/kibana` (created, empty).
    pub kibana_config: PathBuf,
    /// `<root>/usr/share/kibana`.
    pub kibana_home: PathBuf,
}

/// Lays out package installs of both products under `root`: homes with
/// `lib/elasticsearch-8.15.2.jar` and `package.json`, and the systemd units
/// when `systemd` is true. Fill the config dirs with the seeds above.
pub fn package_root(root: &Path, systemd: bool) -> PackageRoot {
    let es_home = root.join("usr/share/elasticsearch");
    let kibana_home = root.join("usr/share/kibana");
    write(
        &es_home.join(format!("lib/elasticsearch-{VERSION}.jar")),
        "",
    );
    write(&es_home.join("bin/elasticsearch"), "#!/bin/sh\n");
    write(&kibana_home.join("bin/kibana"), "#!/bin/sh\n");
    write(
        &kibana_home.join("package.json"),
        format!(
            "{{\n  \"name\": \"kibana\",\n  \"version\": \"{VERSION}\",\n  \"branch\": \"8.15\"\n}}\n"
        ),
    );
    if systemd {
        write(
            &root.join("usr/lib/systemd/system/elasticsearch.service"),
            "[Unit]\nDescription=Elasticsearch\n",
        );
        write(
            &root.join("usr/lib/systemd/system/kibana.service"),
            "[Unit]\nDescription=Kibana\n",
        );
    }
    let es_config = root.join("etc/elasticsearch");
    let kibana_config = root.join("etc/kibana");
    fs::create_dir_all(&es_config).unwrap();
    fs::create_dir_all(&kibana_config).unwrap();
    PackageRoot {
        root: root.to_path_buf(),
        es_config,
        es_home,
        kibana_config,
        kibana_home,
    }
}

/// An archive install `<dir>/<product>-8.15.2/` (`bin/`, `lib/` or
/// `package.json`, empty `config/`); returns the home. Fill `config/` with a seed.
pub fn archive_home(dir: &Path, product: &str) -> PathBuf {
    let home = dir.join(format!("{product}-{VERSION}"));
    write(&home.join("bin").join(product), "#!/bin/sh\n");
    if product == "elasticsearch" {
        write(&home.join(format!("lib/elasticsearch-{VERSION}.jar")), "");
    } else {
        write(
            &home.join("package.json"),
            format!("{{\"name\":\"kibana\",\"version\":\"{VERSION}\"}}"),
        );
    }
    fs::create_dir_all(home.join("config")).unwrap();
    home
}

/// A minimal package-like pair under `root`: `etc/elasticsearch` with
/// `es_yml` and a fresh `elasticsearch.keystore` (format 7, empty password,
/// only `keystore.seed`), `etc/kibana` with `kibana_yml`. Returns the two
/// config dirs.
pub fn package_dirs(root: &Path, es_yml: &str, kibana_yml: &str) -> (PathBuf, PathBuf) {
    let es = root.join("etc/elasticsearch");
    let kb = root.join("etc/kibana");
    fs::create_dir_all(&es).unwrap();
    fs::create_dir_all(&kb).unwrap();
    fs::write(es.join("elasticsearch.yml"), es_yml).unwrap();
    fs::write(kb.join("kibana.yml"), kibana_yml).unwrap();
    let ks = EsKeystore::create(ES_KEYSTORE_FORMAT, Secret::empty(), &mut SystemRandom).unwrap();
    fs::write(
        es.join("elasticsearch.keystore"),
        ks.encode(&mut SystemRandom).unwrap(),
    )
    .unwrap();
    (es, kb)
}

/// An auto-configured Elasticsearch (`root/es/config`) and Kibana after its
/// interactive setup (`root/kibana/config`), as the wizard's real-terminal
/// tests start from. Returns the two config dirs.
pub fn autoconfigured_dirs(root: &Path) -> (PathBuf, PathBuf) {
    let es = root.join("es/config");
    let kb = root.join("kibana/config");
    fs::create_dir_all(&es).unwrap();
    fs::create_dir_all(&kb).unwrap();
    let e = es_autoconfigured(&es);
    kibana_after_setup(&kb, &e);
    (es, kb)
}

/// A package install ([`package_dirs`]) in a temporary directory of its own,
/// which is also HOME for the esmtls it runs (its state lives in it).
pub struct PackageSite {
    _tmp: tempfile::TempDir,
    /// The temporary directory.
    pub root: PathBuf,
    /// Elasticsearch's config directory.
    pub es: PathBuf,
    /// Kibana's config directory.
    pub kb: PathBuf,
}

/// A [`PackageSite`] with these yml texts.
pub fn package_site(es_yml: &str, kibana_yml: &str) -> PackageSite {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let (es, kb) = package_dirs(&root, es_yml, kibana_yml);
    PackageSite {
        _tmp: tmp,
        root,
        es,
        kb,
    }
}
