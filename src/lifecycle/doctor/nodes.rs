//! Every node, not only the first: Kibana spreads its requests over
//! `elasticsearch.hosts`, so a node that lacks what the mode needs fails the
//! requests that land on it. Reads `GET /_nodes/settings` (Elasticsearch
//! returns each node's settings, secure settings excluded) and names each
//! node that lacks the PKI realm or the client authentication the mode asks.

use std::collections::BTreeMap;

use super::{Finding, Severity};
use crate::es::{Auth, Client, Endpoint, requests};

/// What Kibana's configuration says the nodes must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// `pki`: a PKI realm, and client certificates asked for.
    Pki,
    /// `mtls-*`: client certificates required.
    Required,
    /// Nothing node-specific.
    Nothing,
}

/// Dotted keys of a nested settings object.
fn flatten(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        serde_json::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

/// The findings for one node's settings.
pub(super) fn check(name: &str, settings: &serde_json::Value, needs: Needs) -> Vec<Finding> {
    let mut s = BTreeMap::new();
    flatten("", settings, &mut s);
    let auth = s
        .get("xpack.security.http.ssl.client_authentication")
        .map(String::as_str)
        .unwrap_or("none");
    let pki_realm = s
        .iter()
        .any(|(k, _)| k.starts_with("xpack.security.authc.realms.pki.") && k.ends_with(".order"))
        && !s.iter().any(|(k, v)| {
            k.starts_with("xpack.security.authc.realms.pki.")
                && k.ends_with(".enabled")
                && v == "false"
        });
    let mut out = Vec::new();
    let finding = |check: &'static str, message: String, fix: &str| {
        Finding::new(Severity::Error, check, None, message, fix)
    };
    if needs == Needs::Pki && !pki_realm {
        out.push(finding(
            "node-without-pki-realm",
            format!("{name} has no PKI realm: Kibana's requests that land on it get 401"),
            "apply that node's bundle (`esmtls apply --bundle DIR/<node>`) and restart it",
        ));
    }
    if needs == Needs::Pki && auth == "none" {
        out.push(finding("node-without-client-auth", format!("{name} does not ask for client certificates (client_authentication: none): Kibana's certificate never reaches its PKI realm, so Kibana's requests that land on it get 401"), "apply that node's bundle and restart it"));
    }
    if needs == Needs::Required && auth != "required" {
        out.push(finding("node-without-client-auth", format!("{name} accepts connections without a client certificate (client_authentication: {auth}): the network control of the mtls modes is missing there"), "apply that node's bundle (`esmtls apply --bundle DIR/<node>`) and restart it"));
    }
    out
}

/// Reads every node's settings through `ep`; Err is why it could not
/// (a note, not a finding).
pub fn every_node(
    ep: &Endpoint,
    auth: Auth,
    needs: Needs,
) -> Result<(Vec<Finding>, String), String> {
    let c = Client::new(ep, auth).map_err(|e| e.to_string())?;
    let r = c
        .send(&requests::nodes_settings(), None)
        .map_err(|e| e.to_string())?;
    let mut names = Vec::new();
    let mut out = Vec::new();
    for n in r.body["nodes"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        let name = n["name"].as_str().unwrap_or("?").to_string();
        out.extend(check(&name, &n["settings"], needs));
        names.push(name);
    }
    Ok((
        out,
        format!(
            "checked the settings of {} node(s): {}",
            names.len(),
            names.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_the_node_that_lacks_what_the_mode_needs() {
        let ok = json!({"xpack": {"security": {"http": {"ssl": {"client_authentication": "optional"}}, "authc": {"realms": {"pki": {"esmtls_pki": {"order": "0"}}}}}}});
        assert!(check("es01", &ok, Needs::Pki).is_empty());
        let bare = json!({"cluster": {"name": "prod"}});
        let f = check("es03", &bare, Needs::Pki);
        assert_eq!(
            f[0].message,
            "es03 has no PKI realm: Kibana's requests that land on it get 401"
        );
        assert_eq!(f.len(), 2);
        let f = check("es02", &ok, Needs::Required);
        assert!(
            f[0].message
                .starts_with("es02 accepts connections without a client certificate")
        );
        assert!(check("es02", &bare, Needs::Nothing).is_empty());
    }
}
