//! Online checks: connect to Elasticsearch as Kibana would (its CA files, its
//! client certificate, its credentials from kibana.yml and kibana.keystore),
//! call `_authenticate`, and read the license to see whether a configured PKI
//! realm can run at all.
//!
//! Invariant: an unreachable cluster is a note, not a finding, unless the
//! operator named the URL; credentials are read, sent, and dropped.

use super::{Finding, Severity, leaf_of};
use crate::es::{Auth, Client, ClientIdentity, Endpoint};
use crate::keystore::KibanaKeystore;
use crate::lifecycle::Context;
use crate::lifecycle::material::{Loaded, load_all};
use crate::lifecycle::sources::Role;
use crate::secret::Secret;
use crate::yaml::YamlFile;

/// Where to connect and with which administrator credentials (for the license).
#[derive(Default)]
pub struct OnlineOptions {
    /// `--es-url`; else Kibana's first host.
    pub url: Option<String>,
    /// Credentials from `ESMTLS_ES_*`, used for `GET /_license` when Kibana's cannot read it.
    pub admin: Option<Auth>,
}

/// Kibana's credentials: a service token, else username and password.
fn kibana_auth(ctx: &Context) -> Auth {
    let Some(kb) = ctx.detected.kibana.as_ref() else {
        return Auth::None;
    };
    let ks = KibanaKeystore::load(&kb.keystore.path, ctx.kibana_keystore_password.as_ref()).ok();
    let yml = YamlFile::read(&kb.yml).ok();
    let get = |k: &str| -> Option<Secret> {
        ks.as_ref()
            .and_then(|s| s.get(k).map(|v| Secret::new(v.expose().to_string())))
            .or_else(|| {
                yml.as_ref()?
                    .get(k)?
                    .value
                    .as_text()
                    .map(|t| Secret::new(t.to_string()))
            })
    };
    if let Some(t) = get("elasticsearch.serviceAccountToken") {
        return Auth::Bearer(t);
    }
    match (get("elasticsearch.username"), get("elasticsearch.password")) {
        (Some(u), Some(p)) => Auth::Basic {
            username: u.expose().to_string(),
            password: p,
        },
        _ => Auth::None,
    }
}

fn endpoint(loaded: &[Loaded], url: &str) -> Endpoint {
    let mut ep = Endpoint::new(url);
    for l in loaded
        .iter()
        .filter(|l| matches!(l.source.role, Role::KibanaEsTrust | Role::KibanaClient))
    {
        ep.ca_certs_der
            .extend(l.material.certs.iter().map(|(_, d)| d.clone()));
        ep.ca_sources.push(l.source.path.display().to_string());
    }
    if let Some((l, chain)) = leaf_of(loaded, Role::KibanaClient)
        && let Some(k) = l.material.keys.iter().find(|k| &k.chain == chain)
        && let Some(key) = &k.key_pkcs8
    {
        ep.ca_certs_der.extend(chain.iter().skip(1).cloned());
        ep.client = Some(ClientIdentity {
            chain_der: chain.clone(),
            key_pkcs8_der: key.clone(),
        });
    }
    ep
}

/// The online checks; notes say what could not be checked.
pub fn online(ctx: &Context, opts: &OnlineOptions) -> (Vec<Finding>, Vec<String>) {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    let Some(kb) = ctx.detected.kibana.as_ref() else {
        notes.push(
            "Kibana was not found: the online checks connect as Kibana and were skipped".into(),
        );
        return (out, notes);
    };
    let named = opts.url.is_some();
    let Some(url) = opts
        .url
        .clone()
        .or_else(|| kb.elasticsearch.hosts.first().cloned())
    else {
        notes.push("no elasticsearch.hosts and no --es-url: online checks skipped".into());
        return (out, notes);
    };
    let loaded = load_all(ctx);
    let ep = endpoint(&loaded, &url);
    let client = Client::new(&ep, kibana_auth(ctx));
    let who = client
        .as_ref()
        .map_err(|e| e.to_string())
        .and_then(|c| c.authenticate().map_err(|e| e.to_string()));
    match who {
        Ok(_) => {}
        Err(e) if !named && unreachable(&e) => {
            notes.push(format!("{url} did not answer ({e}): online checks skipped; pass --es-url to check another address"));
            return (out, notes);
        }
        Err(e) => out.push(Finding::new(
            Severity::Error,
            "online-as-kibana",
            Some(kb.yml.clone()),
            format!("connecting to {url} as Kibana (its CA files, client certificate and credentials) failed: {e}"),
            "fix what the message names; the offline findings above usually point at the cause",
        )),
    }
    if !named {
        other_hosts(&kb.elasticsearch.hosts, &loaded, ctx, &kb.yml, &mut out);
    }
    let needs = match (ep.client.is_some(), kibana_auth(ctx)) {
        (true, Auth::None) => super::nodes::Needs::Pki,
        (true, _) => super::nodes::Needs::Required,
        _ => super::nodes::Needs::Nothing,
    };
    if needs != super::nodes::Needs::Nothing {
        let auth = opts.admin.clone().unwrap_or_else(|| kibana_auth(ctx));
        match super::nodes::every_node(&ep, auth, needs) {
            Ok((f, note)) => {
                out.extend(f);
                notes.push(note);
            }
            Err(e) => notes.push(format!("the nodes' settings could not be read ({e}); set ESMTLS_ES_USERNAME/ESMTLS_ES_PASSWORD to check every node")),
        }
    }
    let pki = ctx
        .detected
        .es
        .as_ref()
        .is_some_and(|e| e.realms.iter().any(|r| r.realm_type == "pki" && r.enabled));
    if pki {
        let license = client.ok().and_then(|c| c.license().ok()).or_else(|| {
            let admin = opts.admin.clone()?;
            Client::new(&ep, admin).ok()?.license().ok()
        });
        match license {
            Some(l) if matches!(l.license_type.as_str(), "basic" | "standard" | "missing") || l.status != "active" => {
                out.push(Finding::new(
                    Severity::Error,
                    "pki-unlicensed",
                    ctx.detected.es.as_ref().map(|e| e.yml.clone()),
                    format!("a PKI realm is configured but the license is {} ({}): Elasticsearch skips the realm (\"Realms [pki/...] were skipped because they are not permitted on the current license\")", l.license_type, l.status),
                    "start a trial or get Platinum/Enterprise, or switch Kibana to a service token (esmtls guide)",
                ));
            }
            Some(_) => {}
            None => notes.push("the license could not be read (set ESMTLS_ES_USERNAME/ESMTLS_ES_PASSWORD or ESMTLS_ES_API_KEY)".into()),
        }
    }
    (out, notes)
}

/// Kibana's connection to every other host of `elasticsearch.hosts`.
fn other_hosts(
    hosts: &[String],
    loaded: &[Loaded],
    ctx: &Context,
    yml: &std::path::Path,
    out: &mut Vec<Finding>,
) {
    for url in hosts.iter().skip(1) {
        let ep = endpoint(loaded, url);
        let r = Client::new(&ep, kibana_auth(ctx))
            .map_err(|e| e.to_string())
            .and_then(|c| c.authenticate().map_err(|e| e.to_string()));
        if let Err(e) = r {
            out.push(Finding::new(
                Severity::Error,
                "online-as-kibana",
                Some(yml.to_path_buf()),
                format!("connecting to {url} as Kibana failed: {e}; Kibana's requests that land on this node fail"),
                "fix that node (apply its bundle, restart it), or remove it from elasticsearch.hosts",
            ));
        }
    }
}

fn unreachable(e: &str) -> bool {
    let e = e.to_ascii_lowercase();
    e.contains("connection refused")
        || e.contains("could not connect")
        || e.contains("timed out")
        || e.contains("dns")
        || e.contains("resolve")
}
