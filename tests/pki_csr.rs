//! The CSR flow (`esmtls::pki::csr`) read by real consumers: OpenSSL 3 (no
//! -legacy) verifies our CSRs and the certificates signed from them, the JDK
//! loads them, node-forge reads them as Kibana does, a JSSE server and a Node
//! client complete a mutual-TLS handshake with them, and a corporate CA made
//! and run with `openssl` signs our CSR for `install` to accept.
//!
//! Every test lays out the flow as directories: `hosts/<name>/` (where a key
//! is made and stays), `transfer/` (what travels: CSRs and certificates only),
//! `ca/` or `corp/` (the CA holder). Each ends by checking that every key is
//! found in its host's directory and nowhere else.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::consumers::{forge, java_class_dir, node_client, server_log, start_server};
use common::*;
use esmtls::pki::build::{self, CaMaterial, CaSpec, LeafSpec, Usage};
use esmtls::pki::{KeyType, csr, pem, pkcs12};
use rcgen::KeyPair;

/// The directories of one run of the flow.
struct Site {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    ca: CaMaterial,
    /// (host name, key file, the key's PEM) for every key made.
    keys: Vec<(String, PathBuf, String)>,
}

impl Site {
    fn new() -> Site {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        for d in ["ca", "transfer", "hosts"] {
            std::fs::create_dir(root.join(d)).unwrap();
        }
        let issued = build::new_ca(&CaSpec::default()).unwrap();
        std::fs::write(root.join("ca/ca.crt"), pem::cert(&issued.cert_der)).unwrap();
        pw_file(&root, "pw", "changeme");
        Site {
            _tmp: tmp,
            root,
            ca: CaMaterial {
                cert_der: issued.cert_der,
                key: issued.key,
                chain_der: vec![],
            },
            keys: Vec::new(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// On host `name`: a new key (kept in hosts/name/name.key, 0600) and its
    /// CSR, sent to transfer/name.csr.
    fn host_makes_csr(&mut self, name: &str, spec: &LeafSpec) -> KeyPair {
        let (key, csr_pem) = csr::make(spec).unwrap();
        let dir = self.path(&format!("hosts/{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        let key_file = dir.join(format!("{name}.key"));
        std::fs::write(&key_file, pem::key(&key)).unwrap();
        std::fs::set_permissions(
            &key_file,
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
        std::fs::write(self.path(&format!("transfer/{name}.csr")), csr_pem).unwrap();
        self.keys.push((name.into(), key_file, pem::key(&key)));
        key
    }

    /// The CA holder signs transfer/name.csr into transfer/name.crt.
    fn ca_signs(&self, name: &str, usage: Usage, expect: &LeafSpec) {
        let file = format!("transfer/{name}.csr");
        let csr_pem = std::fs::read_to_string(self.path(&file)).unwrap();
        let der = csr::sign(&csr_pem, &file, &self.ca, usage, 30, Some(expect)).unwrap();
        std::fs::write(self.path(&format!("transfer/{name}.crt")), pem::cert(&der)).unwrap();
    }

    /// On host `name`: installs transfer/name.crt as hosts/name/name.crt
    /// (the chain, PEM) and returns the chain.
    fn host_installs(&self, name: &str, key: &KeyPair, usage: Usage) -> Vec<Vec<u8>> {
        let file = format!("transfer/{name}.crt");
        let bytes = std::fs::read(self.path(&file)).unwrap();
        let chain = csr::install(
            &bytes,
            &file,
            key,
            usage,
            std::slice::from_ref(&self.ca.cert_der),
        )
        .unwrap();
        std::fs::write(
            self.path(&format!("hosts/{name}/{name}.crt")),
            pem::certs(chain.iter().map(Vec::as_slice)),
        )
        .unwrap();
        chain
    }

    /// Every key is in its host's directory and in no other file; transfer/
    /// holds CSRs and certificates only.
    fn assert_keys_stayed(&self) {
        for (name, key_file, key_pem) in &self.keys {
            assert_eq!(mode(key_file), 0o600);
            let body: Vec<&str> = key_pem
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect();
            for p in walk(&self.root) {
                if p.is_dir() || p == *key_file {
                    continue;
                }
                let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
                assert!(
                    !body.iter().any(|l| l.len() > 16 && text.contains(l)),
                    "{name}'s key is in {}",
                    p.display()
                );
                if p.starts_with(self.path("transfer")) {
                    assert!(!text.contains("PRIVATE KEY"), "{}", p.display());
                }
            }
        }
        for f in listing(&self.path("transfer")) {
            assert!(
                f.ends_with(".csr") || f.ends_with(".crt"),
                "transfer/ holds {f}"
            );
        }
    }
}

fn spec(name: &str, usage: Usage, key: KeyType, dns: &[&str], ips: &[&str]) -> LeafSpec {
    LeafSpec {
        name: name.into(),
        dns: dns.iter().map(|d| d.to_string()).collect(),
        ips: ips.iter().map(|i| i.parse().unwrap()).collect(),
        usage,
        days: 30,
        key,
    }
}

fn es01(key: KeyType) -> LeafSpec {
    spec(
        "CN=es01,O=Example",
        Usage::Server,
        key,
        &["es01.example.com", "localhost"],
        &["127.0.0.1"],
    )
}

fn kibana(key: KeyType) -> LeafSpec {
    spec("kibana", Usage::Client, key, &[], &[])
}

/// Runs `openssl ARGS` in `dir` (ARGS split as a shell would); returns
/// stdout + stderr after asserting success.
fn openssl(dir: &Path, args: &str) -> String {
    let args = shlex::split(args).unwrap();
    ok_all(run(Command::new("openssl").current_dir(dir).args(args)))
}

const KEYS: [KeyType; 3] = [KeyType::Rsa2048, KeyType::EcP256, KeyType::EcP384];

#[test]
fn openssl_verifies_our_csrs_and_shows_their_names() {
    if !have("openssl") {
        return;
    }
    for key in KEYS {
        let mut site = Site::new();
        site.host_makes_csr("es01", &es01(key));
        let out = openssl(&site.root, "req -verify -noout -in transfer/es01.csr");
        assert!(out.contains("verify OK"), "{key}: {out}");
        let text = openssl(&site.root, "req -noout -text -in transfer/es01.csr");
        assert!(
            text.contains("Subject: O = Example, CN = es01")
                && text.contains("DNS:es01.example.com, DNS:localhost, IP Address:127.0.0.1")
                && text.contains("TLS Web Server Authentication")
                && text.contains("CA:FALSE"),
            "{key}: {text}"
        );
        site.assert_keys_stayed();
    }
}

#[test]
fn certificates_signed_from_our_csrs_pass_openssl() {
    if !have("openssl") {
        return;
    }
    for key in KEYS {
        let mut site = Site::new();
        let es_key = site.host_makes_csr("es01", &es01(key));
        let kb_key = site.host_makes_csr("kibana", &kibana(key));
        site.ca_signs("es01", Usage::Server, &es01(key));
        site.ca_signs("kibana", Usage::Client, &kibana(key));
        site.host_installs("es01", &es_key, Usage::Server);
        site.host_installs("kibana", &kb_key, Usage::Client);
        let p = &site.root;
        for (crt, yes, no) in [
            ("transfer/es01.crt", "SSL server : Yes", "SSL client : No"),
            ("transfer/kibana.crt", "SSL client : Yes", "SSL server : No"),
        ] {
            let v = openssl(p, &format!("verify -CAfile ca/ca.crt {crt}"));
            assert!(v.contains(&format!("{crt}: OK")), "{key}: {v}");
            let purpose = openssl(p, &format!("x509 -noout -purpose -in {crt}"));
            assert!(
                purpose.contains(yes) && purpose.contains(no),
                "{key} {crt}: {purpose}"
            );
        }
        let text = openssl(p, "x509 -noout -text -in transfer/es01.crt");
        assert!(
            text.contains("DNS:es01.example.com, DNS:localhost, IP Address:127.0.0.1")
                && text.contains("CA:FALSE")
                && text.contains("Subject Key Identifier")
                && text.contains("Authority Key Identifier"),
            "{key}: {text}"
        );
        // The installed chain (leaf, CA) verifies too, and its key is the host's.
        let v = openssl(p, "verify -CAfile ca/ca.crt hosts/es01/es01.crt");
        assert!(v.contains(": OK"), "{v}");
        assert_eq!(
            openssl(p, "x509 -noout -pubkey -in hosts/es01/es01.crt"),
            openssl(p, "pkey -pubout -in hosts/es01/es01.key"),
        );
        site.assert_keys_stayed();
    }
}

/// CSRs made by OpenSSL on a host: a P-384 key in a CSR signed with SHA-256
/// (OpenSSL's default) keeps its curve in the certificate; a subject with two
/// DCs, which rcgen would fold into one, is refused.
#[test]
fn openssl_made_csrs_are_signed_with_their_own_key_or_refused() {
    if !have("openssl") {
        return;
    }
    let site = Site::new();
    let p = &site.root;
    std::fs::create_dir(p.join("hosts/h1")).unwrap();
    openssl(
        p,
        "req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout hosts/h1/h1.key -out transfer/h1.csr -subj '/O=Example/CN=h1' -addext subjectAltName=DNS:h1.example.com",
    );
    let csr_pem = std::fs::read_to_string(p.join("transfer/h1.csr")).unwrap();
    assert!(
        openssl(p, "req -noout -text -in transfer/h1.csr")
            .contains("Signature Algorithm: ecdsa-with-SHA256")
    );
    // Why csr::sign does not use rcgen's CSR reader: it takes the key's
    // algorithm from the signature algorithm and calls this P-384 key P-256.
    // (If this ever fails, rcgen has changed; csr.rs's module comment says why.)
    let rcgen_view = rcgen::CertificateSigningRequestParams::from_pem(&csr_pem).unwrap();
    assert_eq!(
        rcgen_view.public_key.algorithm(),
        &rcgen::PKCS_ECDSA_P256_SHA256
    );
    let want = spec(
        "CN=h1,O=Example",
        Usage::Server,
        KeyType::EcP384,
        &["h1.example.com"],
        &[],
    );
    let der = csr::sign(
        &csr_pem,
        "transfer/h1.csr",
        &site.ca,
        Usage::Server,
        30,
        Some(&want),
    )
    .unwrap();
    std::fs::write(p.join("transfer/h1.crt"), pem::cert(&der)).unwrap();
    let text = openssl(p, "x509 -noout -text -in transfer/h1.crt");
    assert!(text.contains("NIST CURVE: P-384"), "{text}");
    assert!(openssl(p, "verify -CAfile ca/ca.crt transfer/h1.crt").contains(": OK"));
    assert_eq!(
        openssl(p, "x509 -noout -pubkey -in transfer/h1.crt"),
        openssl(p, "pkey -pubout -in hosts/h1/h1.key"),
    );

    openssl(
        p,
        "req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout hosts/h1/dc.key -out transfer/dc.csr -subj '/DC=com/DC=example/CN=h1'",
    );
    let dc = std::fs::read_to_string(p.join("transfer/dc.csr")).unwrap();
    let e = csr::sign(&dc, "transfer/dc.csr", &site.ca, Usage::Server, 30, None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "the subject 'CN=h1,DC=example,DC=com' of the CSR in transfer/dc.csr cannot be written back exactly (a repeated or multi-valued attribute, or an unusual string type); make the CSR with `esmtls` or with a plain DN such as CN=es01,O=Example"
    );
    // A signature x509-parser cannot check is said so, not called bad.
    openssl(
        p,
        "req -new -newkey ec -pkeyopt ec_paramgen_curve:P-521 -sha512 -nodes -keyout hosts/h1/p521.key -out transfer/p521.csr -subj /CN=h1",
    );
    let p521 = std::fs::read_to_string(p.join("transfer/p521.csr")).unwrap();
    let e = csr::sign(
        &p521,
        "transfer/p521.csr",
        &site.ca,
        Usage::Server,
        30,
        None,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "the CSR in transfer/p521.csr is signed with an algorithm esmtls cannot verify (1.2.840.10045.4.3.4); make it with SHA-256 or SHA-384"
    );
    for f in listing(&p.join("transfer")) {
        assert!(
            f.ends_with(".csr") || f.ends_with(".crt"),
            "transfer/ holds {f}"
        );
    }
}

/// A PKCS#12 in the host's directory as `esmtls cert issue` writes one: the
/// key with its chain (without a self-signed root) and the CA as the trusted
/// entry `ca` — an Elasticsearch http.p12, or a Kibana keystore.
fn host_p12(site: &Site, name: &str, key: &KeyPair, chain: &[Vec<u8>]) -> String {
    let self_signed = |d: &Vec<u8>| {
        let i = esmtls::pki::inspect::cert_info(d).unwrap();
        i.subject == i.issuer
    };
    let chain: Vec<Vec<u8>> = chain.iter().filter(|d| !self_signed(d)).cloned().collect();
    let bytes = pkcs12::write_key(
        name,
        &key.serialize_der(),
        &chain,
        &[("ca".to_string(), site.ca.cert_der.clone())],
        "changeme",
    )
    .unwrap();
    let rel = format!("hosts/{name}/{name}.p12");
    std::fs::write(site.path(&rel), bytes).unwrap();
    std::fs::copy(site.path("pw"), site.path(&format!("hosts/{name}/pw"))).unwrap();
    rel
}

#[test]
fn jdk_and_node_forge_load_certificates_from_our_csrs() {
    let Some(classes) = java_class_dir() else {
        return;
    };
    if !have("keytool") {
        return;
    }
    let mut site = Site::new();
    let es_key = site.host_makes_csr("es01", &es01(KeyType::EcP256));
    let kb_key = site.host_makes_csr("kibana", &kibana(KeyType::Rsa2048));
    site.ca_signs("es01", Usage::Server, &es01(KeyType::EcP256));
    site.ca_signs("kibana", Usage::Client, &kibana(KeyType::Rsa2048));
    let es_chain = site.host_installs("es01", &es_key, Usage::Server);
    let kb_chain = site.host_installs("kibana", &kb_key, Usage::Client);

    let printed = ok(run(Command::new("keytool").current_dir(&site.root).args([
        "-printcert",
        "-file",
        "transfer/es01.crt",
    ])));
    assert!(
        printed.contains("Owner: CN=es01, O=Example\n")
            && printed.contains("Issuer: CN=esmtls CA\n")
            && printed.contains("DNSName: es01.example.com")
            && printed.contains("IPAddress: 127.0.0.1")
            && printed.contains("serverAuth"),
        "{printed}"
    );
    for (name, key, chain, alg) in [
        ("es01", &es_key, &es_chain, "EC"),
        ("kibana", &kb_key, &kb_chain, "RSA"),
    ] {
        host_p12(&site, name, key, chain);
        let out = ok(run(Command::new("java")
            .current_dir(site.path(&format!("hosts/{name}")))
            .arg("-cp")
            .arg(classes.path())
            .args(["P12Check", &format!("{name}.p12"), "pw"])));
        assert!(
            out.contains(&format!("KEY {name} {alg} chain="))
                && out.contains("TRUSTED ca CN=esmtls CA")
                && out.ends_with("OK\n"),
            "{name}: {out}"
        );
    }
    // Kibana reads its PKCS#12 with node-forge.
    if let Some(v) = forge(&site.path("hosts/kibana"), "kibana.p12") {
        assert_eq!(v["error"], serde_json::Value::Null, "{v}");
        assert_eq!(
            (v["keys"].clone(), v["keyDecoded"].clone()),
            (1.into(), true.into())
        );
        assert_eq!(v["cert"], "kibana", "{v}");
        assert_eq!(v["cas"], serde_json::json!(["esmtls CA"]), "{v}");
    }

    site.assert_keys_stayed();
}

#[test]
fn mutual_tls_with_certificates_from_our_csrs() {
    let Some(classes) = java_class_dir() else {
        return;
    };
    if !have("node") {
        return;
    }
    let mut site = Site::new();
    // Elasticsearch: an RSA server certificate in a PKCS#12 (keystore and truststore).
    let es_spec = es01(KeyType::Rsa2048);
    let es_key = site.host_makes_csr("es01", &es_spec);
    site.ca_signs("es01", Usage::Server, &es_spec);
    let es_chain = site.host_installs("es01", &es_key, Usage::Server);
    host_p12(&site, "es01", &es_key, &es_chain);
    // Kibana: an EC client certificate as PEM files.
    let kb_key = site.host_makes_csr("kibana", &kibana(KeyType::EcP256));
    site.ca_signs("kibana", Usage::Client, &kibana(KeyType::EcP256));
    site.host_installs("kibana", &kb_key, Usage::Client);

    let es_dir = site.path("hosts/es01");
    let (server, port) = start_server(classes.path(), &es_dir, "es01.p12", 2);
    let kb = site.path("hosts/kibana");
    let with = node_client(&kb, port, &["../../ca/ca.crt", "kibana.crt", "kibana.key"]);
    let without = node_client(&kb, port, &["../../ca/ca.crt", "none"]);
    let (ok, log) = server_log(server);
    assert!(ok, "server failed: {log}");
    assert_eq!(with["status"], 200, "{with} / server: {log}");
    let body = with["body"].as_str().unwrap();
    assert!(
        body.contains("\"client\":\"CN=kibana\"") && body.contains("TLSv1.3"),
        "{with}"
    );
    assert!(
        without.get("status").is_none(),
        "accepted without a certificate: {without}"
    );
    assert!(
        log.contains("ACCEPTED CN=kibana") && log.contains("REJECTED"),
        "{log}"
    );
    site.assert_keys_stayed();
}

/// A corporate CA (root + issuing CA, made with `openssl req -x509` and
/// `openssl x509 -req`) signs our CSRs with `-copy_extensions copy`;
/// `install` accepts the reply with or without the chain in it, refuses it
/// without the issuing CA, and refuses another host's certificate.
#[test]
fn a_corporate_ca_signs_our_csr_and_install_accepts_it() {
    if !have("openssl") {
        return;
    }
    let mut site = Site::new();
    let p = site.root.clone();
    let corp = p.join("corp");
    std::fs::create_dir(&corp).unwrap();
    std::fs::write(
        corp.join("ext.cnf"),
        "[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
    )
    .unwrap();
    let o = |args: &str| openssl(&corp, args);
    o(
        "req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.crt -subj '/O=Corp/CN=Corp Root CA' -days 30 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign",
    );
    o(
        "req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout issuing.key -out issuing.csr -subj '/O=Corp/CN=Corp Issuing CA'",
    );
    o(
        "x509 -req -in issuing.csr -CA root.crt -CAkey root.key -CAcreateserial -days 30 -extfile ext.cnf -extensions ca -out issuing.crt",
    );
    let es_key = site.host_makes_csr("es01", &es01(KeyType::Rsa2048));
    site.host_makes_csr("es02", &es01(KeyType::EcP256));
    for host in ["es01", "es02"] {
        o(&format!(
            "x509 -req -in ../transfer/{host}.csr -CA issuing.crt -CAkey issuing.key -CAcreateserial -days 30 -copy_extensions copy -out ../transfer/{host}.crt"
        ));
    }
    let purpose = openssl(&p, "x509 -noout -purpose -in transfer/es01.crt");
    assert!(
        purpose.contains("SSL server : Yes") && purpose.contains("SSL client : No"),
        "the requested extendedKeyUsage was copied: {purpose}"
    );
    let read = |rel: &str| std::fs::read(p.join(rel)).unwrap();
    let der = |rel: &str| ::pem::parse(read(rel)).unwrap().into_contents();
    let (leaf, issuing, root) = (
        der("transfer/es01.crt"),
        der("corp/issuing.crt"),
        der("corp/root.crt"),
    );
    // The corporate CA's reply with its chain (leaf, issuing CA, root).
    let mut reply = read("transfer/es01.crt");
    reply.extend(read("corp/issuing.crt"));
    reply.extend(read("corp/root.crt"));
    std::fs::write(p.join("transfer/es01-chain.crt"), &reply).unwrap();
    let chain = csr::install(
        &reply,
        "transfer/es01-chain.crt",
        &es_key,
        Usage::Server,
        std::slice::from_ref(&root),
    )
    .unwrap();
    assert_eq!(chain, vec![leaf.clone(), issuing.clone(), root.clone()]);
    // The leaf alone, with the corporate chain given as the CA.
    let alone = csr::install(
        &read("transfer/es01.crt"),
        "transfer/es01.crt",
        &es_key,
        Usage::Server,
        &[issuing.clone(), root.clone()],
    )
    .unwrap();
    assert_eq!(alone, chain);
    // The leaf alone, with only the root: the issuing CA is missing.
    let e = csr::install(
        &read("transfer/es01.crt"),
        "transfer/es01.crt",
        &es_key,
        Usage::Server,
        std::slice::from_ref(&root),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "the certificate in transfer/es01.crt was issued by 'CN=Corp Issuing CA, O=Corp', which is neither the CA given ('CN=Corp Root CA, O=Corp') nor in the file; give that CA's certificate (or the whole chain), or have the CSR signed by 'CN=Corp Root CA, O=Corp'"
    );
    // Signed by the corporate CA, checked against esmtls's CA.
    let e = csr::install(
        &reply,
        "transfer/es01-chain.crt",
        &es_key,
        Usage::Server,
        std::slice::from_ref(&site.ca.cert_der),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains(
            "ends at the root 'CN=Corp Root CA, O=Corp', not at the CA given ('CN=esmtls CA')"
        ),
        "{e}"
    );
    // es02's certificate on es01.
    let e = csr::install(
        &read("transfer/es02.crt"),
        "transfer/es02.crt",
        &es_key,
        Usage::Server,
        &[issuing, root],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("the certificate in transfer/es02.crt is not for this host's key"),
        "{e}"
    );
    std::fs::write(
        p.join("hosts/es01/es01.crt"),
        pem::certs(chain.iter().map(Vec::as_slice)),
    )
    .unwrap();
    assert!(
        openssl(
            &p,
            "verify -CAfile corp/root.crt -untrusted corp/issuing.crt hosts/es01/es01.crt"
        )
        .contains(": OK")
    );
    site.assert_keys_stayed();
}

/// A host whose CSR comes from keytool: it requests a SubjectKeyIdentifier,
/// which rcgen's CSR reader refuses; `csr::sign` signs it, and keytool takes
/// the certificate back as the reply to its own request.
#[test]
fn a_keytool_csr_is_signed_and_keytool_takes_the_reply() {
    if !have("keytool") {
        return;
    }
    let site = Site::new();
    let h = site.path("hosts/jdk");
    std::fs::create_dir(&h).unwrap();
    let kt = |args: &str| {
        ok_all(run(Command::new("keytool")
            .current_dir(&h)
            .args(shlex::split(args).unwrap())
            .args(["-storetype", "PKCS12", "-storepass", "changeme"])))
    };
    kt("-genkeypair -alias jdk -keyalg RSA -keysize 2048 -dname CN=jdk -keystore jdk.p12");
    kt(
        "-certreq -alias jdk -keystore jdk.p12 -ext san=dns:jdk.example.com -file ../../transfer/jdk.csr",
    );
    let csr_pem = std::fs::read_to_string(site.path("transfer/jdk.csr")).unwrap();
    assert!(matches!(
        rcgen::CertificateSigningRequestParams::from_pem(&csr_pem),
        Err(rcgen::Error::UnsupportedExtension)
    ));
    let want = spec(
        "jdk",
        Usage::Server,
        KeyType::Rsa2048,
        &["jdk.example.com"],
        &[],
    );
    let der = csr::sign(
        &csr_pem,
        "transfer/jdk.csr",
        &site.ca,
        Usage::Server,
        30,
        Some(&want),
    );
    std::fs::write(site.path("transfer/jdk.crt"), pem::cert(&der.unwrap())).unwrap();
    kt("-importcert -noprompt -alias ca -file ../../ca/ca.crt -keystore jdk.p12");
    let reply = kt("-importcert -alias jdk -file ../../transfer/jdk.crt -keystore jdk.p12");
    assert!(
        reply.contains("Certificate reply was installed in keystore"),
        "{reply}"
    );
    let list = kt("-list -v -alias jdk -keystore jdk.p12");
    assert!(
        list.contains("Certificate chain length: 2") && list.contains("Issuer: CN=esmtls CA"),
        "{list}"
    );
    for f in listing(&site.path("transfer")) {
        assert!(
            f.ends_with(".csr") || f.ends_with(".crt"),
            "transfer/ holds {f}"
        );
    }
}
