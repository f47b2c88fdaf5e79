//! What a host's apply says to the cluster, and the cluster-wide calls:
//! - the node's own view ([`node_view`]): after a restart it answers once
//!   the node serves HTTPS again and, with admin credentials in the
//!   environment, once the cluster health is back to what it was before;
//! - Kibana verified as Kibana against every node of `elasticsearch.hosts`;
//! - `esmtls apply --bundle DIR/_cluster`: each call made once, skipped
//!   when the cluster already has what it asks for.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use esmtls::cluster::{Bundle, host::HostBundle};
use esmtls::es::{Auth, Client, Endpoint, requests};
use esmtls::plan::{self, Cluster, ClusterError, KibanaIdentity, Plan, WhoAmI};
use esmtls::secret::Secret;

use super::plan::ApplyArgs;

/// A node as its bundle's apply sees it.
struct NodeView {
    endpoint: Endpoint,
    admin: Option<Auth>,
    /// `(status, number_of_nodes)` before the run.
    before: Option<(String, u64)>,
}

fn health(e: &Endpoint, auth: &Auth) -> Option<(String, u64)> {
    let c = Client::new(e, auth.clone()).ok()?;
    let r = c.send(&requests::cluster_health(), None).ok()?;
    Some((
        r.body["status"].as_str()?.to_string(),
        r.body["number_of_nodes"].as_u64()?,
    ))
}

fn rank(status: &str) -> u8 {
    match status {
        "green" => 2,
        "yellow" => 1,
        _ => 0,
    }
}

impl Cluster for NodeView {
    fn url(&self) -> &str {
        &self.endpoint.url
    }
    fn reachable(&mut self) -> bool {
        // Up: the node completes (or refuses for want of a certificate) a TLS handshake.
        let Ok(hello) = esmtls::es::handshake_without_client_cert(&self.endpoint) else {
            return false;
        };
        // A node that requires a client certificate answers no request from
        // this host (it holds none): its health cannot be asked here, and the
        // handshake is all there is to wait for.
        if hello.refused() {
            return true;
        }
        match (&self.admin, &self.before) {
            (Some(a), Some((status, nodes))) => health(&self.endpoint, a)
                .is_some_and(|(s, n)| rank(&s) >= rank(status) && n >= *nodes),
            _ => true,
        }
    }
    fn license(&mut self) -> Result<String, ClusterError> {
        Err(ClusterError("not asked on a host".into()))
    }
    fn role_mapping(&mut self, _: &str) -> Result<Option<serde_json::Value>, ClusterError> {
        Err(ClusterError("not asked on a host".into()))
    }
    fn authenticate_as(&mut self, who: &KibanaIdentity) -> Result<WhoAmI, ClusterError> {
        let mut c = esmtls::es::EsCluster::new(&self.endpoint.url, &[], None, None, None);
        let mut who = who.clone();
        who.server_ca_der = self.endpoint.ca_certs_der.clone();
        c.authenticate_as(&who)
    }
    fn refuses_without_cert(&mut self, ca: &[Vec<u8>]) -> Result<bool, ClusterError> {
        let mut c = esmtls::es::EsCluster::new(&self.endpoint.url, &[], None, None, None);
        c.refuses_without_cert(ca)
    }
    fn put_role_mapping(&mut self, _: &str, _: &serde_json::Value) -> Result<(), ClusterError> {
        Err(ClusterError("a host makes no cluster-wide call".into()))
    }
    fn create_service_token(&mut self, _: &str) -> Result<Secret, ClusterError> {
        Err(ClusterError("a host makes no cluster-wide call".into()))
    }
    fn delete_service_token(&mut self, _: &str) -> Result<(), ClusterError> {
        Err(ClusterError("a host makes no cluster-wide call".into()))
    }
    fn change_password(&mut self, _: &str, _: &Secret) -> Result<(), ClusterError> {
        Err(ClusterError("a host makes no cluster-wide call".into()))
    }
}

/// The view of the node a bundle is for (a Kibana bundle: its first node).
pub fn node_view(hb: &HostBundle) -> Result<Box<dyn Cluster>> {
    let url = hb.answers.kibana.hosts.first().cloned().unwrap_or_default();
    let mut endpoint = Endpoint::new(url);
    endpoint.ca_certs_der = hb.given.server_ca_der.iter().cloned().collect();
    let admin = Auth::from_env()?;
    let before = admin.as_ref().and_then(|a| health(&endpoint, a));
    Ok(Box::new(NodeView {
        endpoint,
        admin,
        before,
    }))
}

/// After Kibana's restart: Kibana's identity against every node of its
/// `elasticsearch.hosts` (a node that does not know it would fail Kibana's
/// requests that land on it).
pub fn verify_every_node(
    hb: &HostBundle,
    p: &Plan,
    setup: &plan::Setup,
    report: &mut esmtls::apply::Report,
) {
    let mut p = p.clone();
    // The nodes switch to `required` after Kibana (the plan's order); that is checked by `doctor`.
    p.verify.refused_without_cert = false;
    let ca: Vec<PathBuf> = vec![hb.bundle.dir.join("certs/server-ca.crt")];
    let refs: Vec<&Path> = ca.iter().map(PathBuf::as_path).collect();
    let mut result = None;
    for url in &hb.answers.kibana.hosts {
        let mut c = esmtls::es::EsCluster::new(url, &refs, None, None, None);
        match esmtls::apply::verify(&p, &setup.kibana_keystore_password, &mut c) {
            Ok(w) => {
                report.notes.push(format!(
                    "{url}: authenticates Kibana as {} ({})",
                    w.username, w.realm_type
                ));
                if result.is_none() {
                    result = Some(Ok(w));
                }
            }
            Err(e) => {
                report.notes.push(format!("{url}: FAILED: {e}"));
                result = Some(Err(format!("{url}: {e}")));
            }
        }
    }
    report.verified = result;
    // pki: the nodes went first (the plan's order), so each must have the realm now.
    if p.mode == plan::Mode::Pki
        && let (Some(admin), Some(url)) = (
            Auth::from_env().ok().flatten(),
            hb.answers.kibana.hosts.first(),
        )
    {
        let mut ep = Endpoint::new(url.clone());
        ep.ca_certs_der = hb.given.server_ca_der.iter().cloned().collect();
        match esmtls::lifecycle::doctor::every_node(
            &ep,
            admin,
            esmtls::lifecycle::doctor::Needs::Pki,
        ) {
            Ok((findings, note)) => {
                report.notes.push(note);
                for f in findings {
                    report.notes.push(f.message.clone());
                    report.verified = Some(Err(f.message));
                }
            }
            Err(e) => report
                .notes
                .push(format!("the nodes' settings could not be read: {e}")),
        }
    }
}

/// `esmtls apply --bundle DIR/_cluster`.
pub fn apply(dir: &Path, args: &ApplyArgs) -> Result<()> {
    let b = Bundle::open(dir)?;
    let text = |rel: &str| {
        b.read(rel)
            .map(|v| String::from_utf8_lossy(&v).into_owned())
    };
    let calls: Vec<serde_json::Value> =
        serde_json::from_str(&text("calls.json").unwrap_or_default())?;
    let target: serde_json::Value = serde_json::from_str(&text("target.json").unwrap_or_default())?;
    let Some(auth) = Auth::from_env()? else {
        bail!(
            "the cluster-wide calls need the admin credentials: set ESMTLS_ES_USERNAME and ESMTLS_ES_PASSWORD (or ESMTLS_ES_API_KEY), then run again"
        );
    };
    let ca = b
        .read("certs/server-ca.crt")
        .and_then(|p| esmtls::pki::pem::parse_all(&p, "").ok())
        .and_then(|blocks| esmtls::pki::pem::certificates(&blocks).into_iter().next());
    let urls: Vec<String> = target["urls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u.as_str().map(String::from))
        .collect();
    // mtls modes: the calls' own certificate, for nodes that require one.
    let identity = b
        .given()
        .ok()
        .and_then(|g| g.client)
        .and_then(|(chain, key)| {
            Some(esmtls::es::ClientIdentity {
                chain_der: chain,
                key_pkcs8_der: zeroize::Zeroizing::new(hex::decode(key.expose()).ok()?),
            })
        });
    let client = urls.iter().find_map(|u| {
        let mut e = Endpoint::new(u.clone());
        e.ca_certs_der = ca.iter().cloned().collect();
        e.client = identity.clone();
        let c = Client::new(&e, auth.clone()).ok()?;
        c.info().ok().map(|_| c)
    });
    let Some(client) = client else {
        bail!(
            "none of the nodes answers ({}); run this once the cluster is up",
            urls.join(", ")
        );
    };
    let password = text("secrets/kibana_system").map(|s| Secret::new(s.trim().to_string()));
    let mut done = Vec::new();
    for c in &calls {
        let (method, path) = (
            c["method"].as_str().unwrap_or_default(),
            c["path"].as_str().unwrap_or_default(),
        );
        if let Some(name) = path.strip_prefix("/_security/role_mapping/") {
            if client
                .get_role_mapping(name)?
                .as_ref()
                .is_some_and(|m| same_mapping(m, &c["body"]))
            {
                continue;
            }
            client.put_role_mapping(name, &c["body"])?;
        } else if path == "/_security/user/kibana_system/_password" {
            let pw = password.clone().ok_or_else(|| {
                anyhow::anyhow!("{}: secrets/kibana_system is missing", dir.display())
            })?;
            if kibana_system_works(&urls, &ca, identity.as_ref(), &pw) {
                continue;
            }
            client.change_password("kibana_system", &pw)?;
        } else {
            bail!(
                "{}: unknown call {method} {path}; make the bundles again with this esmtls",
                dir.display()
            );
        }
        done.push(format!("{method} {path}"));
    }
    let out = if done.is_empty() {
        "The cluster already has what these calls ask for: nothing to change.".to_string()
    } else {
        done.iter()
            .map(|d| format!("sent     {d}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    if args.plan.json {
        println!(
            "{}",
            serde_json::json!({"changed": !done.is_empty(), "api": done})
        );
    } else {
        println!("{out}");
    }
    Ok(())
}

fn same_mapping(have: &serde_json::Value, want: &serde_json::Value) -> bool {
    have["roles"] == want["roles"]
        && have["rules"] == want["rules"]
        && have["enabled"] == want["enabled"]
}

fn kibana_system_works(
    urls: &[String],
    ca: &Option<Vec<u8>>,
    identity: Option<&esmtls::es::ClientIdentity>,
    pw: &Secret,
) -> bool {
    urls.first().is_some_and(|u| {
        let mut e = Endpoint::new(u.clone());
        e.ca_certs_der = ca.iter().cloned().collect();
        e.client = identity.cloned();
        let auth = Auth::Basic {
            username: "kibana_system".into(),
            password: pw.clone(),
        };
        Client::new(&e, auth)
            .ok()
            .and_then(|c| c.authenticate().ok())
            .is_some_and(|a| a.username == "kibana_system")
    })
}
