//! Step 7: configure Kibana to use the client certificate and private key:
//! `elasticsearch.hosts` (https), `elasticsearch.ssl.certificateAuthorities`,
//! and in the client-certificate modes `elasticsearch.ssl.keystore.path` (or
//! `certificate` + `key`), with the PKCS#12 password in `kibana.keystore`.

use super::super::PlanError;
use super::super::context::Ctx;
use super::super::edits;
use super::super::setup::Cluster;

/// Runs step 7.
pub(in crate::plan) fn run(ctx: &mut Ctx<'_>, _: &mut dyn Cluster) -> Result<(), PlanError> {
    if !ctx.kibana_here() {
        return Ok(());
    }
    let ca_path_for_kibana = ctx.kb_real.join("certs/elasticsearch-ca.crt");
    edits::kibana_tls(
        &mut ctx.kb_edits,
        ctx.a.mode,
        &ctx.facts,
        &ctx.hosts,
        &ca_path_for_kibana,
        ctx.client.as_ref(),
        &mut ctx.kb_ks_ops,
    );
    let lines = ctx.kb_edits.describe();
    ctx.step(7).changes.extend(lines);
    ctx.kb_ks_ops_tls = ctx.kb_ks_ops.len();
    Ok(())
}
