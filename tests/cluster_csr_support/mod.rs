//! The layout of one run of the cluster CSR flow (see tests/cluster_csr.rs):
//! the hosts, each a directory of its own (its HOME and its config
//! directory), the CA holder's HOME, DIR; the commands of each step run as
//! the one who runs them; and the check that every host key stays home.
#![allow(dead_code)]

pub mod consumers;

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::setups::{es_package_fresh, kibana_package_fresh};
use crate::common::*;
use esmtls::keystore::{EsKeystore, KibanaKeystore};

/// `esmtls`'s exit code for the operator's input or setup (src/exit.rs).
pub const INPUT_ERROR: i32 = 3;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Product {
    Es,
    Kb,
}

/// One host: its HOME and config directory.
pub struct Host {
    pub name: String,
    pub product: Product,
    pub home: PathBuf,
    pub config: PathBuf,
}

impl Host {
    /// Where `esmtls csr` makes its key.
    pub fn key(&self) -> PathBuf {
        self.config.join(match self.product {
            Product::Es => "certs/esmtls-http.key",
            Product::Kb => "certs/kibana-client.key",
        })
    }
    /// The PKCS#12 `apply` writes.
    pub fn p12(&self) -> PathBuf {
        self.config.join(match self.product {
            Product::Es => "certs/esmtls-http.p12",
            Product::Kb => "certs/kibana-client.p12",
        })
    }
    /// The CSR, in its bundle.
    pub fn csr_rel(&self) -> &'static str {
        match self.product {
            Product::Es => "csr/http.csr",
            Product::Kb => "csr/client.csr",
        }
    }
    /// The signed certificate, in its bundle.
    pub fn crt_rel(&self) -> &'static str {
        match self.product {
            Product::Es => "certs/http.crt",
            Product::Kb => "certs/client.crt",
        }
    }
    /// The PKCS#12's password, from the host's keystore.
    pub fn p12_password(&self) -> String {
        match self.product {
            Product::Es => {
                let ks =
                    EsKeystore::load(&self.config.join("elasticsearch.keystore"), None).unwrap();
                ks.get_string("xpack.security.http.ssl.keystore.secure_password")
                    .expect("the p12's password in elasticsearch.keystore")
                    .expose()
                    .to_string()
            }
            Product::Kb => {
                let ks = KibanaKeystore::load(&self.config.join("kibana.keystore"), None).unwrap();
                ks.get("elasticsearch.ssl.keystore.password")
                    .expect("the p12's password in kibana.keystore")
                    .expose()
                    .to_string()
            }
        }
    }
    /// The node's names, as `openssl x509 -ext subjectAltName` prints them.
    pub fn san(&self) -> String {
        let n = &self.name[2..];
        format!(
            "DNS:{0}.example.com, DNS:{0}, DNS:localhost, IP Address:10.0.0.1{1}, IP Address:127.0.0.1",
            self.name,
            n.trim_start_matches('0')
        )
    }
}

/// One run of the flow.
pub struct Cluster {
    pub _tmp: tempfile::TempDir,
    pub root: PathBuf,
    /// DIR.
    pub dir: PathBuf,
    pub ca_home: PathBuf,
    pub answers: PathBuf,
    pub hosts: Vec<Host>,
    /// The nodes' key algorithm as the JDK names it (`RSA`, `EC`).
    pub node_alg: &'static str,
}

impl Cluster {
    /// Three fresh nodes (es01..es03) and `kibanas` fresh Kibana instances
    /// (kb01..), and the CA holder's answers for `mode` (RSA keys).
    pub fn new(mode: &str, kibanas: usize) -> Cluster {
        Cluster::with_node_key(mode, kibanas, "rsa2048")
    }

    /// [`Cluster::new`] with the nodes' key type (`server_certificate.key_type`).
    pub fn with_node_key(mode: &str, kibanas: usize, node_key: &str) -> Cluster {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let ca_home = root.join("ca-holder");
        std::fs::create_dir_all(&ca_home).unwrap();
        let mut hosts = Vec::new();
        let mut es_yaml = String::new();
        let mut kb_yaml = String::new();
        for i in 1..=3 {
            let name = format!("es0{i}");
            let home = root.join("hosts").join(&name);
            let config = home.join("etc/elasticsearch");
            let fresh = es_package_fresh(&config);
            append(&fresh.yml, &format!("node.name: {name}\n"));
            es_yaml += &format!(
                "    - name: {name}\n      dns: [{name}.example.com]\n      ip: [10.0.0.1{i}]\n      config: {}\n",
                config.display()
            );
            hosts.push(Host {
                name,
                product: Product::Es,
                home,
                config,
            });
        }
        for i in 1..=kibanas {
            let name = format!("kb0{i}");
            let home = root.join("hosts").join(&name);
            let config = home.join("etc/kibana");
            let fresh = kibana_package_fresh(&config);
            append(&fresh.yml, &format!("server.name: {name}\n"));
            kb_yaml += &format!("    - name: {name}\n      config: {}\n", config.display());
            hosts.push(Host {
                name,
                product: Product::Kb,
                home,
                config,
            });
        }
        let answers = ca_home.join("cluster.yml");
        std::fs::write(
            &answers,
            format!(
                "mode: {mode}\nlicense: trial\nserver_certificate:\n  key_type: {node_key}\nelasticsearch:\n  version: 8.15.0\n  restart: none\nkibana:\n  restart: none\ntopology:\n  keys: host\n  elasticsearch:\n{es_yaml}  kibana:\n{kb_yaml}"
            ),
        )
        .unwrap();
        Cluster {
            _tmp: tmp,
            dir: root.join("bundles"),
            root,
            ca_home,
            answers,
            hosts,
            node_alg: if node_key.starts_with("rsa") {
                "RSA"
            } else {
                "EC"
            },
        }
    }

    pub fn host(&self, name: &str) -> &Host {
        self.hosts.iter().find(|h| h.name == name).unwrap()
    }

    /// DIR/<host>.
    pub fn bundle(&self, h: &Host) -> PathBuf {
        self.dir.join(&h.name)
    }

    /// A tools directory for `h` holding `pw`: its PKCS#12's password.
    pub fn tools(&self, h: &Host) -> PathBuf {
        let t = self.root.join("tools").join(&h.name);
        std::fs::create_dir_all(&t).unwrap();
        pw_file(&t, "pw", &h.p12_password());
        t
    }

    /// Steps 1 and 3, on the CA holder.
    pub fn plan(&self) -> Output {
        run(esmtls(&self.ca_home)
            .arg("plan")
            .arg("--answers")
            .arg(&self.answers)
            .arg("--bundle")
            .arg(&self.dir))
    }

    /// Step 2, on the host (its own HOME).
    pub fn csr(&self, h: &Host) -> Output {
        run(esmtls(&h.home)
            .args(["csr", "--bundle"])
            .arg(self.bundle(h)))
    }

    /// Step 4, on the host.
    pub fn apply(&self, h: &Host) -> Output {
        run(esmtls(&h.home)
            .args(["apply", "--yes", "--json", "--bundle"])
            .arg(self.bundle(h)))
    }

    /// Steps 1 and 2 on every host.
    pub fn through_csr(&self) {
        ok(self.plan());
        for h in &self.hosts {
            ok(self.csr(h));
        }
        self.assert_keys_stayed();
    }

    /// Every file of a host's tree (leaving out esmtls's hidden state, such
    /// as its lock files, and backups).
    pub fn host_files(&self, h: &Host) -> BTreeMap<PathBuf, Vec<u8>> {
        snapshot(&h.home)
    }

    /// Every host key is at its place in its host's config directory, 0640
    /// and of the config directory's group; its content (PEM body, DER, hex
    /// DER) is in no other file of the whole run; no other file holds a
    /// private key; DIR's files are of the kinds that travel (the CA
    /// holder's `_ca/` aside).
    #[track_caller]
    pub fn assert_keys_stayed(&self) {
        // Every file of the run: path, bytes, text (lossy, lower case).
        let files: Vec<(PathBuf, Vec<u8>, String)> = walk(&self.root)
            .into_iter()
            .filter(|p| p.is_file())
            .map(|p| {
                let b = std::fs::read(&p).unwrap();
                let t = String::from_utf8_lossy(&b).to_lowercase();
                (p, b, t)
            })
            .collect();
        let mut keys: Vec<PathBuf> = self
            .hosts
            .iter()
            .map(Host::key)
            .filter(|k| k.exists())
            .collect();
        keys.sort();
        let holding_keys: Vec<PathBuf> = files
            .iter()
            .filter(|(p, b, _)| {
                contains(b, b"PRIVATE KEY") || p.extension().is_some_and(|e| e == "key")
            })
            .map(|(p, _, _)| p.clone())
            .collect();
        assert_eq!(holding_keys, keys, "the files holding a private key");
        for h in &self.hosts {
            let key_file = h.key();
            let Ok(bytes) = std::fs::read(&key_file) else {
                continue;
            };
            assert!(key_file.starts_with(h.config.join("certs")));
            assert_eq!(mode(&key_file), 0o640, "{}", key_file.display());
            assert_eq!(
                std::fs::metadata(&key_file).unwrap().gid(),
                std::fs::metadata(&h.config).unwrap().gid(),
                "{}: the config directory's group",
                key_file.display()
            );
            let der = ::pem::parse(&bytes).unwrap().into_contents();
            let hex_der = hex::encode(&der);
            // PEM body lines, lower-cased as the texts are.
            let body: Vec<String> = String::from_utf8_lossy(&bytes)
                .lines()
                .filter(|l| !l.starts_with("-----") && l.len() > 16)
                .map(str::to_lowercase)
                .collect();
            for (p, b, t) in files.iter().filter(|(p, _, _)| *p != key_file) {
                assert!(
                    !body.iter().any(|l| t.contains(l.as_str()))
                        && !contains(b, &der)
                        && !t.contains(&hex_der),
                    "{}'s key is in {}",
                    h.name,
                    p.display()
                );
            }
        }
        for (p, b, _) in files.iter().filter(|(p, _, _)| p.starts_with(&self.dir)) {
            let rel = p
                .strip_prefix(&self.dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if let Some(ca) = rel.strip_prefix("_ca/") {
                // The CA holder's CA (never sent): its certificate, its
                // password-protected PKCS#12 and that password.
                assert!(
                    [
                        "certs/esmtls-ca.crt",
                        "certs/esmtls-ca.p12",
                        "esmtls-ca.password"
                    ]
                    .contains(&ca),
                    "DIR/_ca holds {rel}"
                );
                continue;
            }
            let ext = p.extension().map(|e| e.to_string_lossy().into_owned());
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            // Besides csr/crt/json/yml/txt, a bundle has one-line text files
            // that are no key: the role mapping's DN (pki), the service
            // token's hash line (a node, mtls-token), Kibana's credential.
            let named = ["role_mapping.dn", "service_tokens.line"].contains(&name.as_str())
                || rel.ends_with("/secrets/credential");
            assert!(
                named
                    || ext
                        .as_deref()
                        .is_some_and(|e| ["csr", "crt", "json", "yml", "txt"].contains(&e)),
                "DIR holds {rel}"
            );
            if named {
                let line = String::from_utf8_lossy(b);
                assert_eq!(line.trim_end().lines().count(), 1, "{rel}");
            }
            if matches!(ext.as_deref(), Some("csr" | "crt")) {
                for block in ::pem::parse_many(b).unwrap() {
                    assert!(
                        ["CERTIFICATE", "CERTIFICATE REQUEST"].contains(&block.tag()),
                        "{rel} holds a {}",
                        block.tag()
                    );
                }
            }
        }
    }
}

pub fn append(p: &Path, s: &str) {
    let mut t = std::fs::read_to_string(p).unwrap();
    t.push_str(s);
    std::fs::write(p, t).unwrap();
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Asserts a refusal: exit code 3 and one line on stderr; returns it.
#[track_caller]
pub fn refused(o: Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(INPUT_ERROR),
        "stdout: {}\nstderr: {}",
        stdout(&o),
        stderr(&o)
    );
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    err
}

/// Runs `openssl ARGS` in `dir`; returns stdout + stderr after asserting success.
pub fn openssl(dir: &Path, args: &[&str]) -> String {
    ok_all(run(Command::new("openssl").current_dir(dir).args(args)))
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
