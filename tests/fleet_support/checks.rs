//! What the role's tests assert on a fleet: Kibana's connection to every
//! node, read from kb01's own files as Kibana reads them; the SHA-256 of
//! every host's config tree; and the secrets a run generated, for the scan of
//! Ansible's output.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use esmtls::es::Auth;

use super::Fleet;
use crate::common::as_kibana::{AsKibana, Who};

/// The CN of Kibana's client certificate in the answers the tests give.
pub const CLIENT_CN: &str = "kibana-client";

/// Every Kibana of the fleet connects to every node as its mode says:
/// `elasticsearch.hosts` names every node at the address Ansible reaches it
/// by (`https://<ansible_host>:9200`), HTTPS with full verification,
/// authenticated as the service account (`*token`), `kibana_system`
/// (`*password`) or its certificate (`pki`), and refused without its client
/// certificate exactly in the `mtls-*` modes.
#[track_caller]
pub fn assert_kibana_connects(fleet: &Fleet, mode: &str) {
    let mtls = mode.starts_with("mtls-");
    let urls: Vec<String> = fleet
        .nodes()
        .map(|h| fleet.cluster.node_url(&h.name))
        .collect();
    for kb in fleet.kibanas() {
        let k = AsKibana::read_in(&fleet.root_of(&kb.name), Path::new(&kb.etc()));
        assert_eq!(k.hosts, urls, "{}: elasticsearch.hosts", kb.name);
        assert_eq!(k.verification_mode, "full", "{}", kb.name);
        assert_eq!(
            k.client.is_some(),
            mode == "pki" || mtls,
            "{}: client certificate",
            kb.name
        );
        let who = match mode {
            "token" | "mtls-token" => Who::ServiceAccount,
            "password" | "mtls-password" => Who::KibanaSystem,
            _ => Who::Certificate(CLIENT_CN),
        };
        for url in &urls {
            assert!(url.starts_with("https://"), "{url}");
            k.assert_connects_as(url, who, mtls, &kb.name);
        }
    }
}

/// Path → (owner, group, mode, SHA-256 of the content) of every entry under
/// every host's config tree.
pub fn trees(fleet: &Fleet) -> BTreeMap<PathBuf, (u32, u32, u32, String)> {
    let mut out = BTreeMap::new();
    for h in &fleet.hosts {
        for p in crate::common::walk(&h.config)
            .into_iter()
            .chain([h.config.clone()])
        {
            let m = std::fs::symlink_metadata(&p).unwrap();
            let sum = if m.is_file() {
                let d = aws_lc_rs::digest::digest(
                    &aws_lc_rs::digest::SHA256,
                    &std::fs::read(&p).unwrap(),
                );
                d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
            } else {
                String::new()
            };
            out.insert(p, (m.uid(), m.gid(), m.mode() & 0o7777, sum));
        }
    }
    out
}

/// The secrets a run generated or used, each with what it is: the admin
/// password, `kibana_system`'s password, each Kibana's credential, the CA's
/// password, and every line of every PEM private key's body in the hosts'
/// trees and the bundle directory.
pub fn secrets(fleet: &Fleet, bundles: &Path) -> Vec<(String, String)> {
    let mut s = vec![(
        "the admin password".to_string(),
        crate::cluster_support::ADMIN_PASSWORD.to_string(),
    )];
    if let Some(pw) = fleet.cluster.kibana_system_password() {
        s.push(("kibana_system's password".into(), pw));
    }
    for kb in fleet.kibanas() {
        let k = AsKibana::read_in(&fleet.root_of(&kb.name), Path::new(&kb.etc()));
        match k.auth {
            Auth::Bearer(t) => s.push((format!("{}'s token", kb.name), t.expose().to_string())),
            Auth::Basic { password, .. } => s.push((
                format!("{}'s password", kb.name),
                password.expose().to_string(),
            )),
            _ => {}
        }
    }
    let mut files: Vec<PathBuf> = fleet
        .hosts
        .iter()
        .flat_map(|h| crate::common::walk(&h.config))
        .collect();
    if bundles.is_dir() {
        files.extend(crate::common::walk(bundles));
    }
    for f in files.iter().filter(|f| f.is_file()) {
        let name = f.file_name().unwrap().to_string_lossy();
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        if name == "esmtls-ca.password" || name == "credential" || name == "kibana_system" {
            s.push((f.display().to_string(), text.trim().to_string()));
        }
        let mut in_key = false;
        for line in text.lines() {
            if line.starts_with("-----BEGIN") && line.contains("PRIVATE KEY") {
                in_key = true;
            } else if line.starts_with("-----END") {
                in_key = false;
            } else if in_key && line.len() >= 32 && !line.contains(':') {
                s.push((
                    format!("a line of the private key in {}", f.display()),
                    line.to_string(),
                ));
            }
        }
    }
    s.retain(|(_, v)| !v.is_empty());
    s
}

/// Asserts that `text` holds none of `secrets`; `what` names the text.
#[track_caller]
pub fn assert_no_secret(text: &str, secrets: &[(String, String)], what: &str) {
    let found: Vec<&str> = secrets
        .iter()
        .filter(|(_, v)| text.contains(v.as_str()))
        .map(|(w, _)| w.as_str())
        .collect();
    assert!(found.is_empty(), "{what} shows {found:?}");
}
