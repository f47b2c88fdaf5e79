//! The cluster CSR flow (`topology.keys: host`, src/cluster/csr.rs) end to
//! end with the binary: three fresh nodes and one or two fresh Kibana
//! instances, each host a directory of its own. One run lays out:
//! - `ca-holder/`: the CA holder's HOME and the answers file;
//! - `bundles/` (DIR): what travels — requests, CSRs, certificates — and
//!   `_ca/`, which the CA holder keeps;
//! - `hosts/<name>/`: a host's HOME, its config in `etc/elasticsearch` or
//!   `etc/kibana`: where its key is made and stays;
//! - `tools/<name>/`: what the consumers need (the PKCS#12's password, read
//!   from the host's keystore), outside every tree the flow uses.
//!
//! After every step each host key is checked to be at its place and nowhere
//! else, and DIR to hold no key; the installed certificates are read by
//! OpenSSL 3 (no -legacy), the JDK and node-forge, and carry a mutual-TLS
//! handshake between a node (server) and Kibana (client). A missing
//! consumer skips its part loudly, and fails the test under CI=true.
//!
//! The layout, the steps as commands and the key check are in
//! `cluster_csr_support/`, the consumers in `cluster_csr_support/consumers.rs`.

mod cluster_csr_support;
mod common;

use std::path::{Path, PathBuf};

use cluster_csr_support::consumers::{
    jdk_and_node_forge_load_what_was_installed, mutual_tls_between_nodes_and_kibana,
    openssl_reads_what_was_installed,
};
use cluster_csr_support::{Cluster, INPUT_ERROR, Product, openssl, refused, s};
use common::consumers::java_class_dir;
use common::*;
use esmtls::cluster::bundle::Manifest;
use esmtls::cluster::csr::Request;

/// The whole flow: steps 1 to 4 with the keys checked after each, the
/// consumers, and a second pass that changes nothing.
fn full_flow(c: Cluster) {
    // 1. The CA holder: a request per host, no key anywhere in DIR.
    ok(c.plan());
    c.assert_keys_stayed();
    for h in &c.hosts {
        let b = c.bundle(h);
        let reqs: Vec<Request> =
            serde_json::from_slice(&std::fs::read(b.join("csr.json")).unwrap()).unwrap();
        assert_eq!(reqs.len(), 1, "{}", h.name);
        if h.product == Product::Es {
            assert_eq!(reqs[0].name, format!("CN={}", h.name));
            assert!(reqs[0].dns.contains(&format!("{}.example.com", h.name)));
        }
        assert!(
            !b.join("keys").exists() && !b.join(h.crt_rel()).exists(),
            "{}",
            h.name
        );
    }

    // 2. Each host: its key in its config directory, the CSR into its bundle.
    for h in &c.hosts {
        let out = ok(c.csr(h));
        assert!(out.contains(s(&h.key())), "{out}");
        assert!(c.bundle(h).join(h.csr_rel()).is_file(), "{}", h.name);
    }
    c.assert_keys_stayed();

    // Applying before step 3: one line, and nothing changes on the host.
    for h in &c.hosts {
        let before = c.host_files(h);
        let err = refused(c.apply(h));
        assert!(
            err.contains(&format!("{}'s certificate is not signed yet", h.name)),
            "{err}"
        );
        assert_eq!(before, c.host_files(h), "{}", h.name);
    }

    // 3. The CA holder signs each CSR.
    ok(c.plan());
    for h in &c.hosts {
        assert!(c.bundle(h).join(h.crt_rel()).is_file(), "{}", h.name);
    }
    c.assert_keys_stayed();

    // 4. Each host installs its certificate next to its key.
    for h in &c.hosts {
        let keys_before = std::fs::read(h.key()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&ok(c.apply(h))).unwrap();
        assert_eq!(v["changed"], true, "{}: {v}", h.name);
        let p12 = h.p12();
        assert!(
            v["files"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["path"] == s(&p12) && f["outcome"] == "created"),
            "{}: {v}",
            h.name
        );
        assert_eq!(mode(&p12), 0o640, "{}", p12.display());
        assert_eq!(std::fs::read(h.key()).unwrap(), keys_before, "{}", h.name);
        let yml = match h.product {
            Product::Es => h.config.join("elasticsearch.yml"),
            Product::Kb => h.config.join("kibana.yml"),
        };
        let y = std::fs::read_to_string(&yml).unwrap();
        let want = match h.product {
            Product::Es => {
                "xpack.security.http.ssl.keystore.path: certs/esmtls-http.p12".to_string()
            }
            Product::Kb => format!("elasticsearch.ssl.keystore.path: {}", s(&p12)),
        };
        assert!(y.contains(&want), "{}: {y}", h.name);
    }
    c.assert_keys_stayed();

    // The installed certificates pass the real consumers.
    if have("openssl") {
        openssl_reads_what_was_installed(&c);
    }
    if let Some(classes) = java_class_dir() {
        jdk_and_node_forge_load_what_was_installed(&c, classes.path());
        if have("node") {
            mutual_tls_between_nodes_and_kibana(&c, classes.path());
        }
    }
    c.assert_keys_stayed();

    // Second pass: csr again, plan again, apply again change nothing.
    let hosts_before: Vec<_> = c.hosts.iter().map(|h| c.host_files(h)).collect();
    let dir_before = snapshot(&c.dir);
    for h in &c.hosts {
        ok(c.csr(h));
    }
    ok(c.plan());
    for h in &c.hosts {
        let v: serde_json::Value = serde_json::from_str(&ok(c.apply(h))).unwrap();
        assert_eq!(v["changed"], false, "{}: {v}", h.name);
    }
    for (h, before) in c.hosts.iter().zip(&hosts_before) {
        assert_eq!(
            before,
            &c.host_files(h),
            "{} changed on the second pass",
            h.name
        );
    }
    let dir_after = snapshot(&c.dir);
    assert_eq!(
        dir_before.keys().collect::<Vec<_>>(),
        dir_after.keys().collect::<Vec<_>>()
    );
    for (p, b) in &dir_before {
        if p.extension().is_some_and(|e| e == "csr") {
            // A CSR made again is for the same key and names (its signature
            // may differ: ECDSA signs with a random nonce).
            let key =
                |b: &[u8]| esmtls::pki::csr::public_key(&String::from_utf8_lossy(b), "x").unwrap();
            assert_eq!(key(b), key(&dir_after[p]), "{}", p.display());
        } else {
            assert_eq!(
                b,
                &dir_after[p],
                "{} changed on the second pass",
                p.display()
            );
        }
    }
    c.assert_keys_stayed();
}

#[test]
fn pki_three_nodes_one_kibana_keys_stay_home() {
    full_flow(Cluster::new("pki", 1));
}

#[test]
fn mtls_token_three_ec_nodes_two_kibana_keys_stay_home() {
    full_flow(Cluster::with_node_key("mtls-token", 2, "ec-p256"));
}

/// A CSR in DIR that is not the one the host made for its request: step 3
/// refuses it naming the file, and signs nothing (DIR stays as it was).
#[test]
fn a_tampered_or_foreign_csr_is_refused_and_nothing_is_signed() {
    let c = Cluster::new("pki", 1);
    c.through_csr();
    let csr_of = |name: &str| {
        let h = c.host(name);
        c.bundle(h).join(h.csr_rel())
    };
    let good: Vec<(PathBuf, Vec<u8>)> = ["es01", "es02", "es03", "kb01"]
        .iter()
        .map(|n| (csr_of(n), std::fs::read(csr_of(n)).unwrap()))
        .collect();
    // The attacker's key lives outside the run's trees.
    let attacker = tempfile::tempdir().unwrap();

    // es01: one character of the CSR changed (in the public key).
    let edited = || {
        let text = String::from_utf8(good[0].1.clone()).unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let l = &mut lines[5];
        let c20 = l.as_bytes()[20];
        l.replace_range(20..21, if c20 == b'A' { "B" } else { "A" });
        lines.join("\n") + "\n"
    };
    // es02: a CSR OpenSSL made for CN=evil.
    let evil = || {
        if !have("openssl") {
            return None;
        }
        openssl(
            attacker.path(),
            &[
                "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "evil.key", "-subj",
                "/CN=evil", "-out", "evil.csr",
            ],
        );
        Some(std::fs::read_to_string(attacker.path().join("evil.csr")).unwrap())
    };
    // es03: es01's CSR (another host's key and names).
    // kb01: its own key, with a name added (made with OpenSSL on the host).
    let widened = || {
        if !have("openssl") {
            return None;
        }
        let kb = c.host("kb01");
        openssl(
            attacker.path(),
            &[
                "req",
                "-new",
                "-key",
                s(&kb.key()),
                "-subj",
                "/CN=kibana-client",
                "-addext",
                "subjectAltName=DNS:evil.example.com",
                "-addext",
                "extendedKeyUsage=clientAuth",
                "-out",
                "wide.csr",
            ],
        );
        Some(std::fs::read_to_string(attacker.path().join("wide.csr")).unwrap())
    };
    let variants: Vec<(&str, Option<String>, &str)> = vec![
        (
            "es01",
            Some(edited()),
            "has a bad signature (it was altered, or damaged on the way)",
        ),
        (
            "es02",
            evil(),
            "is not for the expected names: subject 'CN=evil' instead of 'CN=es02'",
        ),
        (
            "es03",
            Some(String::from_utf8(good[0].1.clone()).unwrap()),
            "is not for the expected names: subject 'CN=es01' instead of 'CN=es03'",
        ),
        (
            "kb01",
            widened(),
            "is not for the expected names: DNS names: unexpected evil.example.com",
        ),
    ];
    for (host, bad, why) in variants {
        let Some(bad) = bad else { continue };
        for (p, b) in &good {
            std::fs::write(p, b).unwrap();
        }
        std::fs::write(csr_of(host), bad).unwrap();
        let before = snapshot(&c.dir);
        let o = c.plan();
        assert_eq!(o.status.code(), Some(INPUT_ERROR), "{host}: {}", stderr(&o));
        let err = stderr(&o);
        let line = format!("the CSR in {} {why}", s(&csr_of(host)));
        assert!(
            err.lines().any(|l| l.contains(&line)),
            "{host}: want {line:?} in {err}"
        );
        assert_eq!(before, snapshot(&c.dir), "{host}: DIR changed");
        for h in &c.hosts {
            assert!(
                !c.bundle(h).join(h.crt_rel()).exists(),
                "{}: signed",
                h.name
            );
        }
        c.assert_keys_stayed();
    }

    // The hosts' own CSRs: every one signed, for the host's key.
    for (p, b) in &good {
        std::fs::write(p, b).unwrap();
    }
    ok(c.plan());
    for h in &c.hosts {
        let csr = std::fs::read_to_string(c.bundle(h).join(h.csr_rel())).unwrap();
        let crt = std::fs::read(c.bundle(h).join(h.crt_rel())).unwrap();
        let leaf = ::pem::parse_many(&crt).unwrap().remove(0).into_contents();
        assert_eq!(
            esmtls::pki::csr::public_key(&csr, "csr").unwrap(),
            esmtls::pki::csr::cert_public_key(&leaf).unwrap(),
            "{}",
            h.name
        );
    }
    c.assert_keys_stayed();
}

/// Rewrites `bundle.json` for `rel`'s new content, as someone who edits a
/// bundle and its manifest would: the digests detect accidents, they are
/// not a signature.
fn redigest(bundle: &Path, rel: &str) {
    let path = bundle.join("bundle.json");
    let mut m: Manifest = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    m.files.insert(
        rel.to_string(),
        esmtls::fsutil::digest(&std::fs::read(bundle.join(rel)).unwrap()),
    );
    m.digest = String::new();
    m.digest = esmtls::fsutil::digest(serde_json::to_string(&m).unwrap().as_bytes());
    std::fs::write(&path, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
}

/// Another host's certificate in a bundle: apply refuses it in one line and
/// changes nothing on the host — the manifest's digest catches the swap, and
/// with the manifest rewritten too, the key check does.
#[test]
fn a_certificate_for_another_hosts_key_is_refused_by_apply() {
    let c = Cluster::new("mtls-token", 2);
    c.through_csr();
    ok(c.plan());
    for (victim, other) in [("es01", "es02"), ("kb01", "kb02")] {
        let (v, o) = (c.host(victim), c.host(other));
        let target = c.bundle(v).join(v.crt_rel());
        let own = std::fs::read(&target).unwrap();
        let manifest = std::fs::read(c.bundle(v).join("bundle.json")).unwrap();
        std::fs::copy(c.bundle(o).join(o.crt_rel()), &target).unwrap();
        let before = c.host_files(v);

        let err = refused(c.apply(v));
        assert!(
            err.contains(&format!(
                "{} was changed after esmtls wrote it ({} differs from what esmtls wrote)",
                s(&c.bundle(v)),
                v.crt_rel()
            )),
            "{victim}: {err}"
        );
        assert_eq!(before, c.host_files(v), "{victim} changed");

        redigest(&c.bundle(v), v.crt_rel());
        let err = refused(c.apply(v));
        assert!(
            err.contains(&format!(
                "the certificate in {} is not for this host's key",
                s(&target)
            )),
            "{victim}: {err}"
        );
        assert_eq!(before, c.host_files(v), "{victim} changed");
        c.assert_keys_stayed();

        // Its own certificate back: applied.
        std::fs::write(&target, own).unwrap();
        std::fs::write(c.bundle(v).join("bundle.json"), manifest).unwrap();
        let r: serde_json::Value = serde_json::from_str(&ok(c.apply(v))).unwrap();
        assert_eq!(r["changed"], true, "{victim}: {r}");
        assert!(v.p12().is_file(), "{victim}");
    }
    c.assert_keys_stayed();
}

/// The certificate the CA holder signed with its own tools (here OpenSSL,
/// with the CA's key from its PKCS#12), put at `DIR/<host>/certs/http.crt`
/// as src/cluster/csr.rs's doc and apply's "not signed yet" message say:
/// apply checks it against the host's key — another host's is refused, the
/// host's own is installed.
#[test]
fn a_certificate_put_in_the_bundle_by_the_ca_holder_is_checked_and_installed() {
    if !have("openssl") {
        return;
    }
    let c = Cluster::new("pki", 1);
    c.through_csr();
    // The CA holder's own tools, outside the run's trees.
    let ca_tools = tempfile::tempdir().unwrap();
    let t = ca_tools.path();
    let ca_p12 = c.dir.join("_ca/certs/esmtls-ca.p12");
    let ca_pw = c.dir.join("_ca/esmtls-ca.password");
    openssl(
        t,
        &[
            "pkcs12",
            "-in",
            s(&ca_p12),
            "-nodes",
            "-nocerts",
            "-passin",
            &format!("file:{}", s(&ca_pw)),
            "-out",
            "ca.key",
        ],
    );
    let sign = |host: &str, out: &str| {
        let h = c.host(host);
        openssl(
            t,
            &[
                "x509",
                "-req",
                "-in",
                s(&c.bundle(h).join(h.csr_rel())),
                "-CA",
                s(&c.dir.join("_ca/certs/esmtls-ca.crt")),
                "-CAkey",
                "ca.key",
                "-days",
                "30",
                "-copy_extensions",
                "copy",
                "-out",
                out,
            ],
        );
    };
    let es01 = c.host("es01");
    let target = c.bundle(es01).join(es01.crt_rel());

    sign("es02", s(&target));
    let before = c.host_files(es01);
    let err = refused(c.apply(es01));
    assert!(
        err.contains(&format!(
            "the certificate in {} is not for this host's key",
            s(&target)
        )),
        "{err}"
    );
    assert_eq!(before, c.host_files(es01));

    sign("es01", s(&target));
    let r: serde_json::Value = serde_json::from_str(&ok(c.apply(es01))).unwrap();
    assert_eq!(r["changed"], true, "{r}");
    assert!(es01.p12().is_file());
    c.assert_keys_stayed();
}

/// Step 3's refusal of a bad CSR is one line naming the file, as apply's
/// refusals are.
/// `esmtls csr --json` (what the Ansible role reads): `changed` only when a
/// key was made; a second run keeps the key (the certificate signed for it
/// stays valid) and names the same CSR file.
#[test]
fn csr_json_says_whether_a_key_was_made() {
    let c = Cluster::new("pki", 1);
    ok(c.plan());
    let csr_json = |h: &cluster_csr_support::Host| -> serde_json::Value {
        let out = ok(run(esmtls(&h.home)
            .args(["csr", "--json", "--bundle"])
            .arg(c.bundle(h))));
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    };
    for h in &c.hosts {
        let v = csr_json(h);
        assert_eq!(v["changed"], true, "{}: {v}", h.name);
        assert_eq!(v["requests"], serde_json::json!([h.csr_rel()]), "{v}");
        assert_eq!(v["keys"], serde_json::json!([s(&h.key())]), "{v}");
    }
    let keys: Vec<Vec<u8>> = c
        .hosts
        .iter()
        .map(|h| std::fs::read(h.key()).unwrap())
        .collect();
    for (h, key) in c.hosts.iter().zip(&keys) {
        let v = csr_json(h);
        assert_eq!(v["changed"], false, "{}: {v}", h.name);
        assert_eq!(&std::fs::read(h.key()).unwrap(), key, "{}", h.name);
    }
    c.assert_keys_stayed();
}

#[test]
fn a_refused_csr_is_reported_in_one_line() {
    let c = Cluster::new("pki", 1);
    c.through_csr();
    let es01 = c.host("es01");
    let es02 = c.host("es02");
    std::fs::copy(
        c.bundle(es02).join(es02.csr_rel()),
        c.bundle(es01).join(es01.csr_rel()),
    )
    .unwrap();
    let err = refused(c.plan());
    assert!(
        err.starts_with(&format!(
            "error: the CSR in {} is not for the expected names",
            s(&c.bundle(es01).join(es01.csr_rel()))
        )),
        "{err}"
    );
}

/// The key check itself finds a key out of place: copied into DIR, its PEM
/// body pasted into a bundle's README, its DER or hex in another host's
/// state, a key file with another name.
#[test]
fn the_key_check_finds_a_key_out_of_place() {
    let c = Cluster::new("pki", 1);
    c.through_csr();
    let es01 = c.host("es01");
    let pem_text = std::fs::read_to_string(es01.key()).unwrap();
    let der = ::pem::parse(&pem_text).unwrap().into_contents();
    let body_line = pem_text.lines().nth(3).unwrap().to_string();
    let readme = c.bundle(c.host("es02")).join("README.txt");
    let readme_text = std::fs::read_to_string(&readme).unwrap();
    let state = c.host("kb01").home.join(".local/share/esmtls/leak");
    let leaks: Vec<(PathBuf, Vec<u8>)> = vec![
        (
            c.bundle(es01).join("keys/http.key"),
            pem_text.clone().into_bytes(),
        ),
        (
            readme.clone(),
            format!("{readme_text}{body_line}\n").into_bytes(),
        ),
        (state.clone(), der.clone()),
        (state.clone(), hex::encode_upper(&der).into_bytes()),
        (
            es01.config.join("certs/copy.pem"),
            pem_text.clone().into_bytes(),
        ),
    ];
    for (path, content) in leaks {
        let earlier = std::fs::read(&path).ok();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        let caught =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.assert_keys_stayed()));
        assert!(caught.is_err(), "not seen: {}", path.display());
        match earlier {
            Some(b) => std::fs::write(&path, b).unwrap(),
            None => std::fs::remove_file(&path).unwrap(),
        }
    }
    c.assert_keys_stayed();
}
