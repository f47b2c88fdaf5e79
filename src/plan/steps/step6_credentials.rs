//! Steps 6 and 8: Kibana's credential (step 6: the role mapping, adapted to
//! a service token or the `kibana_system` password) and the ones Kibana must
//! not have (step 8: no username and password in `kibana.yml`).
//!
//! - token modes: a service token for `elastic/kibana` in the Kibana keystore
//!   (a token Kibana's enrollment left in plain kibana.yml is moved there);
//! - password modes: `kibana_system` with a new random password, set through
//!   the API and kept only in the Kibana keystore;
//! - `pki`: the role mapping from the client certificate's DN (as
//!   Elasticsearch prints it) to `kibana_system`, by API or, with no
//!   reachable cluster, in `role_mapping.yml`.
//!
//! Invariants: an existing credential that still authenticates is kept (so a
//! second run changes nothing); the `elastic` superuser is never kept for
//! Kibana; no request body shown holds a secret.

use super::super::PlanError;
use super::super::context::{ClientFiles, Ctx, describe_op};
use super::super::edits::Edits;
use super::super::facts;
use super::super::mode::Credential;
use super::super::setup::{Cluster, KibanaIdentity};
use super::super::types::{ApiCall, EntryValue, KeystoreOp, Replaced};
use crate::secret::Secret;
use crate::yaml::{Edit, Value, YamlFile};

const USER: &str = "elasticsearch.username";
const PASS: &str = "elasticsearch.password";
const TOKEN: &str = "elasticsearch.serviceAccountToken";

pub use crate::es::requests::role_mapping_body;

/// The plan's form of a request built by [`crate::es::requests`] (what is shown is what runs).
fn call(
    r: crate::es::ApiRequest,
    purpose: &str,
    secret: Option<Secret>,
    deferred: bool,
) -> ApiCall {
    ApiCall {
        method: r.method.as_str().into(),
        path: r.path.clone(),
        body: r.shown_body(),
        purpose: purpose.into(),
        secret,
        deferred,
    }
}

/// Runs steps 6 and 8.
pub(in crate::plan) fn run(ctx: &mut Ctx<'_>, cluster: &mut dyn Cluster) -> Result<(), PlanError> {
    if let Some(g) = ctx.setup.given.as_ref() {
        return super::step6_on_host::run(ctx, g);
    }
    let mut kb = std::mem::replace(&mut ctx.kb_edits, Edits::new(std::path::Path::new("")));
    let mut ks = std::mem::take(&mut ctx.kb_ks_ops);
    let mut api = std::mem::take(&mut ctx.api);
    let client = ctx.client.take();
    let server_ca = ctx.server_ca_der.clone();
    let before = kb.len();
    let reachable = ctx.reachable;
    let credential = plan(
        ctx,
        cluster,
        reachable,
        &mut kb,
        &mut ks,
        &mut api,
        client.as_ref(),
        &server_ca,
    );
    let lines = kb.describe_from(before);
    ctx.step(8).changes.extend(lines);
    for op in &ks[ctx.kb_ks_ops_tls..] {
        let line = describe_op("kibana.keystore", op);
        ctx.step(8).changes.push(line);
    }
    (ctx.kb_edits, ctx.kb_ks_ops, ctx.api, ctx.client) = (kb, ks, api, client);
    ctx.credential = credential?;
    let notes: Vec<String> = ctx.replaced.iter().map(replaced_note).collect();
    ctx.step(6).notes.extend(notes);
    Ok(())
}

/// What happens to a credential this plan replaces.
fn replaced_note(r: &Replaced) -> String {
    match r {
        Replaced::ServiceToken { name } => format!(
            "Replaces the service token elastic/kibana/{name}, which stays valid in Elasticsearch until revoked: `esmtls apply --revoke-replaced` revokes it once the new credential is verified."
        ),
        Replaced::Password { user } => format!(
            "Replaces Kibana's {user} password, which still works in Elasticsearch afterwards (a password cannot be revoked, only changed)."
        ),
    }
}

/// Plans steps 6 and 8; returns what Kibana will authenticate with.
#[allow(clippy::too_many_arguments)]
fn plan(
    ctx: &mut Ctx<'_>,
    cluster: &mut dyn Cluster,
    reachable: bool,
    kb: &mut Edits,
    ks: &mut Vec<KeystoreOp>,
    api: &mut Vec<ApiCall>,
    client: Option<&ClientFiles>,
    server_ca: &[u8],
) -> Result<Credential, PlanError> {
    let mode = ctx.a.mode;
    let cred = mode.credential();
    let y = ctx.facts.kb_yml.clone();
    if facts::text(&y, USER).as_deref() == Some("elastic") {
        ctx.warnings.push("kibana.yml has elasticsearch.username: elastic — Kibana refuses the superuser (\"value of \\\"elastic\\\" is forbidden\"); esmtls replaces it".into());
    }
    let in_ks = |n: &str| ctx.facts.kb_ks.as_ref().is_some_and(|k| k.get(n).is_some());
    let drop = |kb: &mut Edits, ks: &mut Vec<KeystoreOp>, name: &str, why: &str| {
        if y.get(name).is_some() {
            kb.push(Edit::remove(name, why));
        }
        if in_ks(name) {
            ks.push(KeystoreOp::Remove {
                name: name.into(),
                reason: why.into(),
            });
        }
    };
    let identity = |token: Option<Secret>, basic: Option<(String, Secret)>| KibanaIdentity {
        chain_der: client.map(|c| c.chain.clone()),
        key_pkcs8: client.map(|c| c.key.clone()),
        server_ca_der: vec![server_ca.to_vec()],
        token,
        basic,
    };
    let old = old_credentials(ctx, &y);
    match cred {
        Credential::Certificate => {
            ctx.replaced.extend(old.token.clone());
            ctx.replaced.extend(old.password.clone());
            let why = "Kibana authenticates with its client certificate (PKI realm)";
            drop(kb, ks, USER, why);
            drop(kb, ks, PASS, why);
            drop(kb, ks, TOKEN, why);
            role_mapping(ctx, cluster, reachable, api, client)?;
        }
        Credential::ServiceToken => {
            ctx.replaced.extend(old.password.clone());
            let why = "Kibana authenticates with the service account token; Kibana refuses username and token together";
            drop(kb, ks, USER, why);
            drop(kb, ks, PASS, why);
            let from_ks = ctx.facts.kb_value(TOKEN);
            let from_yml = facts::text(&y, TOKEN).map(Secret::new);
            if from_yml.is_some() {
                kb.push(Edit::remove(TOKEN, "secret: moved to the Kibana keystore"));
            }
            let existing = from_ks.clone().or(from_yml.clone());
            let works = match (&existing, reachable) {
                (Some(t), true) => cluster
                    .authenticate_as(&identity(Some(t.clone()), None))
                    .is_ok_and(|w| w.username == "elastic/kibana"),
                (Some(_), false) => {
                    ctx.step(6).notes.push("The existing service token was kept; it could not be checked because Elasticsearch is not reachable.".into());
                    true
                }
                (None, _) => false,
            };
            if works {
                if from_ks.is_none()
                    && let Some(t) = from_yml
                {
                    ks.push(KeystoreOp::Set {
                        name: TOKEN.into(),
                        value: EntryValue::Known(t),
                    });
                }
                ctx.step(6)
                    .notes
                    .push("Kibana's service token authenticates as elastic/kibana; kept.".into());
            } else {
                new_token(ctx, reachable, ks, api)?;
                // The old token stays valid in Elasticsearch (unless a deferred new one has its name).
                let fresh = api.last().and_then(|c| c.path.rsplit('/').next());
                if let Some(t) = old.token.filter(|t| !matches!(t, Replaced::ServiceToken { name } if Some(name.as_str()) == fresh)) {
                    ctx.replaced.push(t);
                }
            }
        }
        Credential::Password => {
            ctx.replaced.extend(old.token.clone());
            drop(
                kb,
                ks,
                TOKEN,
                "Kibana refuses serviceAccountToken together with a username",
            );
            if in_ks(USER) {
                ks.push(KeystoreOp::Remove {
                    name: USER.into(),
                    reason: "the username is set in kibana.yml".into(),
                });
            }
            if facts::text(&y, USER).as_deref() != Some("kibana_system") {
                kb.push(Edit::set(USER, Value::str("kibana_system")));
            }
            let from_ks = ctx.facts.kb_value(PASS);
            let from_yml = facts::text(&y, PASS).map(Secret::new);
            if from_yml.is_some() {
                kb.push(Edit::remove(PASS, "secret: moved to the Kibana keystore"));
            }
            let existing = from_ks.clone().or(from_yml.clone());
            let works = match (&existing, reachable) {
                (Some(p), true) => cluster
                    .authenticate_as(&identity(None, Some(("kibana_system".into(), p.clone()))))
                    .is_ok_and(|w| w.username == "kibana_system"),
                (Some(_), false) => {
                    ctx.step(6).notes.push("The existing kibana_system password was kept; it could not be checked because Elasticsearch is not reachable.".into());
                    true
                }
                (None, _) => false,
            };
            if works {
                if from_ks.is_none()
                    && let Some(p) = from_yml
                {
                    ks.push(KeystoreOp::Set {
                        name: PASS.into(),
                        value: EntryValue::Known(p),
                    });
                }
            } else {
                new_password(ctx, reachable, ks, api);
            }
        }
    }
    pending_file(ctx, api);
    Ok(cred)
}

/// Kibana's credentials before this plan, as they would be revoked.
struct Old {
    /// Its service token (from the keystore, else kibana.yml), by name.
    token: Option<Replaced>,
    /// The `kibana_system` password, when Kibana has one.
    password: Option<Replaced>,
}

/// What Kibana authenticates with now (see [`Old`]). A password is only
/// `kibana_system`'s: the `elastic` superuser's is never Kibana's to revoke.
fn old_credentials(ctx: &Ctx<'_>, y: &YamlFile) -> Old {
    let token = ctx
        .facts
        .kb_value(TOKEN)
        .or_else(|| facts::text(y, TOKEN).map(Secret::new))
        .and_then(|t| crate::es::service_tokens::kibana_token_name(t.expose()))
        .map(|name| Replaced::ServiceToken { name });
    let has_password = ctx.facts.kb_value(PASS).is_some() || facts::has(y, PASS);
    let user =
        facts::text(y, USER).or_else(|| ctx.facts.kb_value(USER).map(|u| u.expose().to_string()));
    let password =
        (has_password && user.as_deref() == Some("kibana_system")).then(|| Replaced::Password {
            user: "kibana_system".into(),
        });
    Old { token, password }
}

/// A new service token: made by the API now, or written to the requests file when the cluster is not reachable.
fn new_token(
    ctx: &mut Ctx<'_>,
    reachable: bool,
    ks: &mut Vec<KeystoreOp>,
    api: &mut Vec<ApiCall>,
) -> Result<(), PlanError> {
    // A fresh name when sent now (names are unique); the plain name in a deferred file.
    let name = if reachable {
        format!("{}-{}", ctx.a.service_token.name, stamp())
    } else {
        ctx.a.service_token.name.clone()
    };
    let r = crate::es::requests::create_service_token(&name).map_err(|e| PlanError::Answer {
        key: "service_token.name".into(),
        message: e.to_string(),
    })?;
    api.push(call(r, "create a service account token for Kibana (the value goes straight into the Kibana keystore)", None, !reachable));
    if reachable {
        ks.push(KeystoreOp::Set {
            name: TOKEN.into(),
            value: EntryValue::FromApi(api.len() - 1),
        });
    } else {
        ctx.warnings.push(format!("Elasticsearch is not reachable, so Kibana has no service token yet: run `esmtls apply` again once it is up, or create one with `bin/elasticsearch-service-tokens create elastic/kibana {name}` and store it with `esmtls keystore kibana add {TOKEN}`"));
    }
    Ok(())
}

/// A new random `kibana_system` password, in Kibana's keystore and set by the API.
fn new_password(
    ctx: &mut Ctx<'_>,
    reachable: bool,
    ks: &mut Vec<KeystoreOp>,
    api: &mut Vec<ApiCall>,
) {
    let pw = super::super::certs::random_password();
    let r = crate::es::requests::change_password(
        "kibana_system",
        "<new random password, stored in kibana.keystore as elasticsearch.password>",
    );
    api.push(call(
        r,
        "set a new random password for kibana_system",
        Some(pw.clone()),
        !reachable,
    ));
    ks.push(KeystoreOp::Set {
        name: PASS.into(),
        value: EntryValue::Known(pw),
    });
    if !reachable {
        ctx.warnings.push("Elasticsearch is not reachable: the new kibana_system password is in the Kibana keystore, but Elasticsearch does not know it yet. Run `esmtls apply` again once it is up (or send the request in esmtls-requests.txt with the value from `esmtls keystore kibana show elasticsearch.password`)".into());
    }
}

fn role_mapping(
    ctx: &mut Ctx<'_>,
    cluster: &mut dyn Cluster,
    reachable: bool,
    api: &mut Vec<ApiCall>,
    client: Option<&ClientFiles>,
) -> Result<(), PlanError> {
    let Some(leaf) = client.and_then(|c| c.chain.first()) else {
        return Ok(());
    };
    let dn = crate::pki::inspect::cert_info(leaf)?.subject;
    let name = ctx.a.pki.role_mapping.clone();
    let body = role_mapping_body(&ctx.a.pki.realm, &dn);
    ctx.step(6)
        .notes
        .push(format!("Kibana's DN as Elasticsearch prints it: {dn}"));
    if reachable {
        let current = cluster
            .role_mapping(&name)
            .map_err(|e| PlanError::Other(e.0))?;
        let same = current.as_ref().is_some_and(|c| {
            c.get("roles") == body.get("roles")
                && c.get("rules") == body.get("rules")
                && c.get("enabled") == body.get("enabled")
        });
        if same {
            ctx.step(6)
                .notes
                .push(format!("The role mapping `{name}` is already right."));
            return Ok(());
        }
    } else {
        // role_mapping.yml works without the API (Elasticsearch watches the file).
        let path = ctx.setup.es_config.join("role_mapping.yml");
        let file = if path.exists() {
            YamlFile::read(&path)?
        } else {
            YamlFile::parse(&path, "")?
        };
        let ch = file.apply(&[Edit::list_add("kibana_system", &dn)])?;
        ctx.yaml(
            6,
            &ch,
            "file-based role mapping (Elasticsearch reloads it; the API is the alternative)",
        );
    }
    let r = crate::es::requests::put_role_mapping(&name, &body);
    api.push(call(
        r,
        "map Kibana's certificate DN to the kibana_system role",
        None,
        !reachable,
    ));
    Ok(())
}

/// With no reachable cluster, the requests go to `esmtls-requests.txt` (no secrets).
fn pending_file(ctx: &mut Ctx<'_>, api: &[ApiCall]) {
    let deferred: Vec<&ApiCall> = api.iter().filter(|c| c.deferred).collect();
    if deferred.is_empty() {
        return;
    }
    let mut text = String::from(
        "# Requests esmtls could not send because Elasticsearch was not reachable.\n# Send them as a superuser (Kibana Dev Tools, or curl), then run `esmtls apply`\n# again to verify. Placeholders in <...> are secrets esmtls never writes here.\n\n",
    );
    for c in deferred {
        text.push_str(&format!("# {}\n{c}\n\n", c.purpose));
    }
    let path = ctx.setup.es_config.join("esmtls-requests.txt");
    ctx.file(
        6,
        path,
        "the API requests to send later",
        text.into_bytes(),
        false,
    );
}

fn stamp() -> String {
    time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]-[hour][minute][second]"
        ))
        .unwrap_or_else(|_| "1".into())
}
