//! Kibana's credential for the whole cluster, made once:
//! - token modes: a file-based service token (`elastic/kibana/<name>`). Its
//!   hash goes into every node's `service_tokens` file, as
//!   `bin/elasticsearch-service-tokens` writes it, and the token into every
//!   Kibana's keystore. It needs no API call, so it works whether or not the
//!   API can be reached, and each node checks it on its own.
//! - password modes: a new `kibana_system` password, set by one API call
//!   (the `_cluster` part) and stored in every Kibana's keystore.
//! - `pki`: the role mapping from Kibana's certificate DN to `kibana_system`,
//!   by one API call when the cluster answers, else in every node's
//!   `role_mapping.yml`.
//!
//! A second run reuses what the earlier bundles hold, so it changes nothing.

use super::prior::Prior;
use super::types::Leaves;
use crate::es::requests;
use crate::es::service_tokens::{self, KIBANA_SERVICE};
use crate::plan::{Answers, ApiCall, Credential, PlanError, random_password, role_mapping_body};
use crate::secret::Secret;

/// What the hosts get, and the calls made once.
pub(super) struct Creds {
    pub credential: Option<Secret>,
    pub token_line: Option<String>,
    pub role_mapping_dn: Option<String>,
    pub calls: Vec<ApiCall>,
}

/// The service token's `service_tokens` line and its bearer (token modes):
/// the one from an earlier run while it still verifies, else a new one.
/// Its hash is 10,000 rounds of PBKDF2, so the planner makes it on a thread
/// of its own while the keys are being made ([`token_early`]).
fn token(
    a: &Answers,
    earlier: Option<(String, Secret)>,
) -> Result<Option<(String, Secret)>, PlanError> {
    if a.mode.credential() != Credential::ServiceToken {
        return Ok(None);
    }
    let name = &a.service_token.name;
    if let Some(kept) = earlier.filter(|(line, bearer)| {
        service_tokens::verify(line, bearer.expose()).is_some()
            && line.starts_with(&format!("{KIBANA_SERVICE}/{name}:"))
    }) {
        return Ok(Some(kept));
    }
    let t = service_tokens::new_token(KIBANA_SERVICE, name).map_err(|m| PlanError::Answer {
        key: "service_token.name".into(),
        message: m,
    })?;
    Ok(Some((t.line, t.bearer)))
}

/// [`token`], started on a thread of its own; [`make`] takes the result.
pub(super) struct EarlyToken(std::thread::JoinHandle<Result<Option<(String, Secret)>, PlanError>>);

/// Starts [`token`] on a thread of its own.
pub(super) fn token_early(a: &Answers, prior: &Prior) -> EarlyToken {
    let (a, earlier) = (a.clone(), prior.token());
    EarlyToken(std::thread::spawn(move || token(&a, earlier)))
}

/// Makes (or reuses) the credential; `token` is [`token_early`]'s.
pub(super) fn make(
    a: &Answers,
    reachable: bool,
    leaves: &Leaves,
    prior: &Prior,
    token: EarlyToken,
) -> Result<Creds, PlanError> {
    let token = token
        .0
        .join()
        .map_err(|_| PlanError::Other("internal: the service token's thread failed".into()))??;
    let mut c = Creds {
        credential: None,
        token_line: None,
        role_mapping_dn: None,
        calls: Vec::new(),
    };
    match a.mode.credential() {
        Credential::ServiceToken => {
            if let Some((line, bearer)) = token {
                c.token_line = Some(line);
                c.credential = Some(bearer);
            }
        }
        Credential::Password => {
            let pw = prior.password().unwrap_or_else(random_password);
            let r = requests::change_password(
                "kibana_system",
                "<new random password, stored in each kibana.keystore as elasticsearch.password>",
            );
            c.calls.push(ApiCall {
                method: r.method.as_str().into(),
                path: r.path.clone(),
                body: r.shown_body(),
                purpose: "set the new kibana_system password, once for the cluster".into(),
                secret: Some(pw.clone()),
                deferred: !reachable,
            });
            c.credential = Some(pw);
        }
        Credential::Certificate => {
            let dn = match (leaves.client_leaf(), &leaves.client_spec) {
                (Some(leaf), _) => crate::pki::inspect::cert_info(leaf)?.subject,
                (None, Some(spec)) => subject_of(spec)?,
                (None, None) => {
                    return Err(PlanError::Other(
                        "internal: pki without a client certificate".into(),
                    ));
                }
            };
            if reachable {
                let body = role_mapping_body(&a.pki.realm, &dn);
                let r = requests::put_role_mapping(&a.pki.role_mapping, &body);
                c.calls.push(ApiCall {
                    method: r.method.as_str().into(),
                    path: r.path.clone(),
                    body: r.shown_body(),
                    purpose: "map Kibana's certificate to kibana_system, once for the cluster"
                        .into(),
                    secret: None,
                    deferred: false,
                });
            } else {
                c.role_mapping_dn = Some(dn);
            }
        }
    }
    Ok(c)
}

/// The subject as Elasticsearch prints it, for a certificate not signed yet
/// (a throwaway certificate with the same subject, from a throwaway CA).
fn subject_of(spec: &crate::pki::build::LeafSpec) -> Result<String, PlanError> {
    use crate::pki::KeyType;
    use crate::pki::build::{self, CaMaterial, CaSpec};
    let ca = build::new_ca(&CaSpec {
        dn: "CN=esmtls subject probe".into(),
        days: 1,
        key: KeyType::EcP256,
    })?;
    let ca = CaMaterial {
        cert_der: ca.cert_der,
        key: ca.key,
        chain_der: Vec::new(),
    };
    let mut s = spec.clone();
    s.key = KeyType::EcP256;
    s.days = 1;
    let leaf = build::issue(&s, &ca)?;
    Ok(crate::pki::inspect::cert_info(&leaf.cert_der)?.subject)
}
