//! After the steps that edit them: `elasticsearch.yml` and `kibana.yml` as
//! whole files (comments kept, with their diffs), the keystores with the
//! entries the steps set or remove, and the API requests listed under step 6.

use super::super::PlanError;
use super::super::context::{Ctx, describe_op};
use super::super::setup::Cluster;
use super::super::types::{KeystoreChange, Service};

/// Adds the two yml files and the keystore changes to the plan.
pub(in crate::plan) fn run(ctx: &mut Ctx<'_>, _: &mut dyn Cluster) -> Result<(), PlanError> {
    yml_files(ctx)?;
    keystores(ctx)?;
    let lines: Vec<String> = ctx
        .api
        .iter()
        .map(|c| {
            format!(
                "{}{} {}",
                if c.deferred {
                    "deferred (cluster unreachable): "
                } else {
                    ""
                },
                c.method,
                c.path
            )
        })
        .collect();
    ctx.step(6).changes.extend(lines);
    Ok(())
}

fn yml_files(ctx: &mut Ctx<'_>) -> Result<(), PlanError> {
    let es_yml = ctx.es_edits.finish(&ctx.facts.es_yml)?;
    let kb_yml = ctx.kb_edits.finish(&ctx.facts.kb_yml)?;
    for (n, ch, what) in [
        (4u8, es_yml, "Elasticsearch settings"),
        (7u8, kb_yml, "Kibana settings"),
    ] {
        if ch.is_unchanged() && !ch.path().exists() && ch.after().is_empty() {
            continue;
        }
        ctx.yaml(n, &ch, what);
        ctx.step(n).changes.pop();
        let line = format!(
            "{} {}",
            if ctx.files.last().is_some_and(|f| f.unchanged) {
                "unchanged:"
            } else {
                "edit:"
            },
            ch.path().display()
        );
        ctx.step(n).changes.push(line);
    }
    Ok(())
}

fn keystores(ctx: &mut Ctx<'_>) -> Result<(), PlanError> {
    let (a, setup) = (ctx.a, ctx.setup);
    let es_ks_ops = std::mem::take(&mut ctx.es_ks_ops);
    if !es_ks_ops.is_empty() {
        let create = if ctx.facts.es_ks.is_none() {
            let v = setup
                .es_version
                .clone()
                .or_else(|| a.elasticsearch.version.clone())
                .ok_or_else(|| PlanError::Answer {
                    key: "elasticsearch.version".into(),
                    message: format!("there is no {} and its format depends on the Elasticsearch version, which esmtls could not detect; give it as `elasticsearch.version`", ctx.facts.es_ks_path.display()),
                })?;
            Some(crate::keystore::elasticsearch::format_for_es_version(&v)?)
        } else {
            None
        };
        for op in &es_ks_ops {
            let line = describe_op("elasticsearch.keystore", op);
            ctx.step(0).changes.push(line);
        }
        ctx.keystores.push(KeystoreChange {
            service: Service::Elasticsearch,
            path: ctx.facts.es_ks_path.clone(),
            create,
            password: setup.es_keystore_password.clone(),
            ops: es_ks_ops,
        });
    }
    let kb_ks_ops = std::mem::take(&mut ctx.kb_ks_ops);
    for op in &kb_ks_ops[..ctx.kb_ks_ops_tls] {
        let line = describe_op("kibana.keystore", op);
        ctx.step(7).changes.push(line);
    }
    if !kb_ks_ops.is_empty() {
        ctx.keystores.push(KeystoreChange {
            service: Service::Kibana,
            path: ctx.facts.kb_ks_path.clone(),
            create: ctx.facts.kb_ks.is_none().then_some(1),
            password: setup.kibana_keystore_password.clone(),
            ops: kb_ks_ops,
        });
    }
    Ok(())
}
