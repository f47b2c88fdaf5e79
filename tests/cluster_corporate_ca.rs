//! Keys that stay home with a corporate CA (`ca.source: file` with a
//! certificate and no key, `topology.keys: host`): each host makes its key
//! and a CSR, OpenSSL plays the corporate CA and signs each CSR, esmtls checks
//! and installs what comes back. The installed certificates chain to the
//! corporate CA for OpenSSL 3 (no -legacy); a certificate for another host's
//! key is refused in one line.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{esmtls, have, mode, ok, run, stderr, walk};

const NODES: [&str; 2] = ["es01", "es02"];

fn openssl(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn host(root: &Path, name: &str) -> Command {
    let home = root.join(name).join("home");
    fs::create_dir_all(&home).unwrap();
    let mut c = esmtls(&home);
    c.env("ESMTLS_SECRET_STORE", "file");
    c
}

fn config(root: &Path, name: &str) -> PathBuf {
    root.join(name).join("config")
}

#[test]
fn a_corporate_ca_signs_each_hosts_csr_and_esmtls_installs_it() {
    if !have("openssl") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let corp = root.join("corp");
    fs::create_dir_all(&corp).unwrap();
    openssl(
        &corp,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-subj",
            "/CN=Corp Root CA",
            "-days",
            "30",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    for n in NODES {
        fs::create_dir_all(config(root, n)).unwrap();
        fs::write(
            config(root, n).join("elasticsearch.yml"),
            format!("# {n}\nnode.name: {n}\n"),
        )
        .unwrap();
    }
    fs::create_dir_all(config(root, "kb01")).unwrap();
    fs::write(
        config(root, "kb01").join("kibana.yml"),
        "server.name: kb01\n",
    )
    .unwrap();
    let mut y = String::from(
        "mode: mtls-token\nlicense: platinum\nelasticsearch:\n  version: 8.13.4\n  restart: none\nkibana:\n  restart: none\n",
    );
    y += &format!(
        "ca:\n  source: file\n  cert: {}\n",
        corp.join("ca.crt").display()
    );
    y += "topology:\n  keys: host\n  elasticsearch:\n";
    for n in NODES {
        y += &format!(
            "    - {{name: {n}, dns: [{n}.example.com], config: {}}}\n",
            config(root, n).display()
        );
    }
    y += &format!(
        "  kibana:\n    - {{name: kb01, config: {}}}\n",
        config(root, "kb01").display()
    );
    let answers = root.join("cluster.yml");
    fs::write(&answers, y).unwrap();
    let bundles = root.join("bundles");
    let plan = || {
        let mut c = host(root, "ca");
        c.args(["plan", "--answers"])
            .arg(&answers)
            .arg("--bundle")
            .arg(&bundles);
        run(&mut c)
    };
    // esmtls has no key for this CA: it says so, and waits for the CSRs.
    let first = ok(plan());
    assert!(first.contains("esmtls has no key for it"), "{first}");
    for (h, which) in [("es01", "http"), ("es02", "http"), ("kb01", "client")] {
        let mut c = host(root, h);
        c.args(["csr", "--bundle"]).arg(bundles.join(h));
        ok(run(&mut c));
        // The corporate CA signs (copying the requested usages, as operators do).
        let (csr, crt) = (
            format!("{h}/csr/{which}.csr"),
            format!("{h}/certs/{which}.crt"),
        );
        openssl(
            &bundles,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "../corp/ca.crt",
                "-CAkey",
                "../corp/ca.key",
                "-CAcreateserial",
                "-copy_extensions",
                "copy",
                "-days",
                "10",
                "-out",
                &crt,
            ],
        );
    }
    // A certificate for another host's key, in es02's place, is refused in one line.
    let es02 = bundles.join("es02/certs/http.crt");
    let good = fs::read(&es02).unwrap();
    fs::copy(bundles.join("es01/certs/http.crt"), &es02).unwrap();
    let o = plan();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("es02") && stderr(&o).lines().count() == 1,
        "{}",
        stderr(&o)
    );
    fs::write(&es02, good).unwrap();
    ok(plan());
    for h in ["es01", "es02", "kb01"] {
        let mut c = host(root, h);
        c.args(["apply", "--yes", "--bundle"]).arg(bundles.join(h));
        ok(run(&mut c));
    }
    // Keys never left their hosts; the installed chains verify against the corporate CA.
    for p in walk(&bundles) {
        let text = fs::read_to_string(&p).unwrap_or_default();
        assert!(!text.contains("PRIVATE KEY"), "{}", p.display());
    }
    for n in NODES {
        let key = config(root, n).join("certs/esmtls-http.key");
        assert_eq!(mode(&key) & 0o777, 0o640, "{n}");
        let crt = bundles.join(format!("{n}/certs/http.crt"));
        let v = openssl(
            root,
            &["verify", "-CAfile", "corp/ca.crt", crt.to_str().unwrap()],
        );
        assert!(v.contains(": OK"), "{v}");
        let sans = openssl(
            root,
            &[
                "x509",
                "-noout",
                "-ext",
                "subjectAltName",
                "-in",
                crt.to_str().unwrap(),
            ],
        );
        assert!(sans.contains(&format!("{n}.example.com")), "{sans}");
    }
    let kb_ca =
        fs::read_to_string(config(root, "kb01").join("certs/elasticsearch-ca.crt")).unwrap();
    let corp_ca = fs::read_to_string(corp.join("ca.crt")).unwrap();
    assert_eq!(
        kb_ca.replace('\r', "").trim(),
        corp_ca.trim(),
        "Kibana trusts the corporate CA"
    );
    // A second pass changes nothing.
    ok(plan());
    for h in ["es01", "kb01"] {
        let mut c = host(root, h);
        c.args(["apply", "--yes", "--bundle"]).arg(bundles.join(h));
        assert!(ok(run(&mut c)).contains("already applied"));
    }
}
