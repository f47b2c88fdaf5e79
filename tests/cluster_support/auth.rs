//! Who a request is: the authentication chain of one node.
//!
//! Modelled on elastic/elasticsearch
//! `x-pack/plugin/security/src/main/java/org/elasticsearch/xpack/security/authc/AuthenticatorChain.java`
//! (service account token, then OAuth2 token, then API key, then realms) and
//! `Realms.java` / `RealmsAuthenticator.java` (the `reserved` realm first,
//! then the configured realms by order; the first realm that extracts a
//! credential decides which credential is used, so Basic credentials beat a
//! client certificate; unlicensed realms are left out of the chain).
//! A bearer that decodes as a service token is checked against this node's
//! `service_tokens` file, then the API tokens (`CompositeServiceAccountTokenStore`),
//! and a failure ends the chain (`ServiceAccountAuthenticator`). The client
//! certificate reaches the realms only when the HTTP layer asks for one.
//! Error texts: `DefaultAuthenticationFailureHandler` ("missing
//! authentication credentials for REST request [..]", "unable to authenticate
//! user [..] for REST request [..]") and `ServiceAccountService` ("failed to
//! authenticate service account [..] with token name [..]").

use base64::Engine;
use serde_json::{Map, Value as Json, json};

use super::node::{Node, State, pki_licensed};
use super::rolemap::{Model, api_roles};
use super::tls::ClientAuth;
use super::tokens::{self, ServiceToken};
use crate::es_support::{Reply, Seen};

/// Built-in service accounts (`ElasticServiceAccounts`).
const ACCOUNTS: [&str; 4] = [
    "elastic/kibana",
    "elastic/fleet-server",
    "elastic/fleet-server-remote",
    "elastic/enterprise-search-server",
];

const NO_ANONYMOUS: &str = "unable to authenticate with provided credentials and anonymous access is not allowed for this request";

/// An authenticated request.
pub struct Who {
    /// The `_authenticate` response body.
    pub body: Json,
    pub username: String,
    pub roles: Vec<String>,
    /// Authenticated by the reserved realm (can change its own password).
    pub reserved: bool,
    /// A service account (its privileges are its own role descriptor).
    pub service: bool,
}

impl Who {
    /// The `superuser` role.
    pub fn superuser(&self) -> bool {
        self.roles.iter().any(|r| r == "superuser")
    }
}

/// Runs the chain; `Err` is the 401 to send.
pub fn authenticate(seen: &Seen, node: &Node, st: &State) -> Result<Who, Reply> {
    let header = seen.header("authorization").unwrap_or_default();
    if let Some(bearer) = strip_ci(header, "Bearer ") {
        return match tokens::parse_bearer(bearer.trim()) {
            Some(t) => service_account(&t, node, st),
            // OAuth2 access tokens (TokenService) are not modelled: refused.
            None => Err(unauthorized(NO_ANONYMOUS)),
        };
    }
    // API keys are not modelled: refused.
    if strip_ci(header, "ApiKey ").is_some() {
        return Err(unauthorized(NO_ANONYMOUS));
    }
    if let Some(b) = strip_ci(header, "Basic ") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(b.trim())
            .ok()
            .and_then(|d| String::from_utf8(d).ok())
            .unwrap_or_default();
        let (user, pass) = decoded.split_once(':').unwrap_or((&decoded, ""));
        return reserved(user, pass, st).ok_or_else(|| {
            unauthorized(&format!(
                "unable to authenticate user [{user}] for REST request [{}]",
                seen.path
            ))
        });
    }
    // The HTTP layer hands a certificate to the realms only when it asked for one.
    let chain: &[Vec<u8>] = match node.http.client_auth {
        ClientAuth::None => &[],
        _ => &seen.client_chain,
    };
    if let Some(result) = pki(chain, node, st) {
        return result.map_err(|principal| {
            unauthorized(&format!(
                "unable to authenticate user [{principal}] for REST request [{}]",
                seen.path
            ))
        });
    }
    Err(unauthorized(&format!(
        "missing authentication credentials for REST request [{}]",
        seen.path
    )))
}

fn strip_ci<'a>(h: &'a str, scheme: &str) -> Option<&'a str> {
    let head = h.get(..scheme.len())?;
    head.eq_ignore_ascii_case(scheme)
        .then(|| &h[scheme.len()..])
}

fn reserved(user: &str, pass: &str, st: &State) -> Option<Who> {
    let stored = st.passwords.get(user)?;
    if stored != pass {
        return None;
    }
    let roles = match user {
        "elastic" => vec!["superuser".to_string()],
        other => vec![other.to_string()],
    };
    let realm = json!({"name": "reserved", "type": "reserved"});
    Some(Who {
        body: json!({
            "username": user, "roles": roles, "full_name": null, "email": null,
            "metadata": {"_reserved": true}, "enabled": true,
            "authentication_realm": realm, "lookup_realm": realm,
            "authentication_type": "realm"
        }),
        username: user.to_string(),
        roles,
        reserved: true,
        service: false,
    })
}

fn service_account(t: &ServiceToken, node: &Node, st: &State) -> Result<Who, Reply> {
    let q = t.qualified_name();
    let mut source = None;
    if ACCOUNTS.contains(&t.account.as_str()) && t.secret_long_enough() {
        if let Some(hash) = node.file_tokens.get(&q) {
            match tokens::verify(&t.secret, hash) {
                Ok(true) => source = Some("file"),
                Ok(false) => {}
                Err(e) => return Err(super::api::error(500, "illegal_state_exception", &e)),
            }
        }
        if source.is_none() && st.tokens.get(&q) == Some(&t.secret) {
            source = Some("index");
        }
    }
    let Some(source) = source else {
        return Err(unauthorized(&format!(
            "failed to authenticate service account [{}] with token name [{}]",
            t.account, t.name
        )));
    };
    let realm = json!({"name": "_service_account", "type": "_service_account"});
    Ok(Who {
        body: json!({
            "username": t.account, "roles": [],
            "full_name": format!("Service account - {}", t.account), "email": null,
            "metadata": {"_elastic_service_account": true}, "enabled": true,
            "authentication_realm": realm, "lookup_realm": realm,
            "authentication_type": "token",
            // Authentication.toXContent: {"name", "type": "_service_account_" + source}
            "token": {"name": t.name, "type": format!("_service_account_{source}")}
        }),
        username: t.account.clone(),
        roles: vec![],
        reserved: false,
        service: true,
    })
}

/// The PKI realms: `None` when no realm takes the certificate (no licence,
/// no realm, no principal in the DN); `Err(principal)` when one took it but
/// none trusted it.
fn pki(chain: &[Vec<u8>], node: &Node, st: &State) -> Option<Result<Who, String>> {
    if !pki_licensed(&st.license) {
        return None;
    }
    let (_, cert) = x509_parser::parse_x509_certificate(chain.first()?).ok()?;
    // X509AuthenticationToken.dn(): X500Principal.toString().
    let dn = esmtls::pki::dn::java_string(cert.subject());
    let first = node.realms.iter().find_map(|r| r.principal(&dn))?;
    for realm in &node.realms {
        let Some(principal) = realm.principal(&dn).filter(|_| realm.trusts(chain)) else {
            continue;
        };
        let mut metadata = Map::new();
        metadata.insert("pki_dn".into(), Json::String(dn.clone()));
        let model = Model {
            username: principal.clone(),
            dn: Some(dn.clone()),
            groups: vec![],
            metadata: metadata.clone(),
            realm: realm.name.clone(),
        };
        let mut roles = match api_roles(&st.mappings, &model) {
            Ok(r) => r,
            Err(e) => panic!("the fake cluster cannot evaluate a role mapping: {e}"),
        };
        for r in realm.file_roles(&dn) {
            if !roles.contains(&r) {
                roles.push(r);
            }
        }
        let r = json!({"name": realm.name, "type": "pki"});
        return Some(Ok(Who {
            body: json!({
                "username": principal, "roles": roles, "full_name": null, "email": null,
                "metadata": metadata, "enabled": true,
                "authentication_realm": r, "lookup_realm": r,
                "authentication_type": "realm"
            }),
            username: principal,
            roles,
            reserved: false,
            service: false,
        }));
    }
    Some(Err(first))
}

/// A 401 in Elasticsearch's shape, with the challenges it lists.
pub fn unauthorized(reason: &str) -> Reply {
    let header = json!({"WWW-Authenticate": [
        "Basic realm=\"security\", charset=\"UTF-8\"",
        "Bearer realm=\"security\"",
        "ApiKey"
    ]});
    let cause = json!({"type": "security_exception", "reason": reason, "header": header});
    Reply::new(
        401,
        json!({
            "error": {"root_cause": [cause], "type": "security_exception", "reason": reason, "header": header},
            "status": 401
        })
        .to_string(),
    )
}
