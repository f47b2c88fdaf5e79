//! Steps 6 and 8 on one host of a cluster. The credential was made once for
//! the whole cluster and comes with the bundle; no host makes an API call:
//! - a Kibana host stores the service token or the `kibana_system` password
//!   in its keystore and drops what the mode forbids (step 8);
//! - a node gets the file-based service token in `service_tokens` (as
//!   `bin/elasticsearch-service-tokens` writes it) or, for `pki` without a
//!   reachable API, the role mapping in `role_mapping.yml`.

use super::super::PlanError;
use super::super::context::{Ctx, describe_op};
use super::super::facts;
use super::super::mode::Credential;
use super::super::setup::Given;
use super::super::types::{EntryValue, KeystoreOp};
use crate::es::{role_mapping_file, service_tokens};
use crate::secret::Secret;
use crate::yaml::{Edit, Value};

const USER: &str = "elasticsearch.username";
const PASS: &str = "elasticsearch.password";
const TOKEN: &str = "elasticsearch.serviceAccountToken";

/// Runs steps 6 and 8 with what the bundle brought.
pub(super) fn run(ctx: &mut Ctx<'_>, g: &Given) -> Result<(), PlanError> {
    ctx.credential = ctx.a.mode.credential();
    if ctx.es_here() {
        node_files(ctx, g)?;
    }
    if ctx.kibana_here() {
        kibana(ctx, g);
    }
    Ok(())
}

/// `service_tokens` and `role_mapping.yml` on a node.
fn node_files(ctx: &mut Ctx<'_>, g: &Given) -> Result<(), PlanError> {
    let dir = ctx.setup.es_config.clone();
    if let Some(line) = &g.token_line {
        let path = dir.join(service_tokens::FILE_NAME);
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        let new = service_tokens::merge(&old, line);
        let what = "file-based service token for elastic/kibana (a hash, no secret)";
        ctx.file(6, path, what, new.into_bytes(), false);
    }
    if let Some(dn) = &g.role_mapping_dn {
        let path = dir.join(role_mapping_file::FILE_NAME);
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        let new = role_mapping_file::merge(&old, "kibana_system", dn)
            .map_err(|e| PlanError::Other(format!("{}: {e}", path.display())))?;
        let what = "role mapping of Kibana's certificate to kibana_system";
        ctx.file(6, path, what, new.into_bytes(), false);
    }
    Ok(())
}

/// Kibana's keystore and `kibana.yml`: the given credential in, the others out.
fn kibana(ctx: &mut Ctx<'_>, g: &Given) {
    let y = ctx.facts.kb_yml.clone();
    let in_ks = |n: &str| ctx.facts.kb_ks.as_ref().is_some_and(|k| k.get(n).is_some());
    let mut edits = Vec::new();
    let mut ops = Vec::new();
    let mut drop = |name: &str, why: &str| {
        if y.get(name).is_some() {
            edits.push(Edit::remove(name, why));
        }
        if in_ks(name) {
            ops.push(KeystoreOp::Remove {
                name: name.into(),
                reason: why.into(),
            });
        }
    };
    let keep = match ctx.credential {
        Credential::Certificate => {
            let why = "Kibana authenticates with its client certificate (PKI realm)";
            drop(USER, why);
            drop(PASS, why);
            drop(TOKEN, why);
            None
        }
        Credential::ServiceToken => {
            let why = "Kibana authenticates with the service account token; Kibana refuses username and token together";
            drop(USER, why);
            drop(PASS, why);
            if y.get(TOKEN).is_some() {
                edits.push(Edit::remove(TOKEN, "secret: now in the Kibana keystore"));
            }
            Some(TOKEN)
        }
        Credential::Password => {
            drop(
                TOKEN,
                "Kibana refuses serviceAccountToken together with a username",
            );
            if facts::text(&y, USER).as_deref() != Some("kibana_system") {
                edits.push(Edit::set(USER, Value::str("kibana_system")));
            }
            if y.get(PASS).is_some() {
                edits.push(Edit::remove(PASS, "secret: now in the Kibana keystore"));
            }
            Some(PASS)
        }
    };
    if let (Some(name), Some(value)) = (keep, &g.credential) {
        let current = ctx.facts.kb_value(name);
        if current.as_ref().map(Secret::expose) != Some(value.expose()) {
            ops.push(KeystoreOp::Set {
                name: name.into(),
                value: EntryValue::Known(value.clone()),
            });
        }
    }
    let before = ctx.kb_edits.len();
    for e in edits {
        ctx.kb_edits.push(e);
    }
    let lines = ctx.kb_edits.describe_from(before);
    ctx.step(8).changes.extend(lines);
    for op in &ops {
        let line = describe_op("kibana.keystore", op);
        ctx.step(8).changes.push(line);
    }
    ctx.kb_ks_ops.extend(ops);
}
