//! Step 4: configure Elasticsearch to request client certificates:
//! `xpack.security.http.ssl.client_authentication` (the mode's value, or
//! `elasticsearch.client_authentication` from the answers) and, when the CA
//! of Kibana's certificate is not trusted yet, `certificate_authorities`.

use super::super::PlanError;
use super::super::context::Ctx;
use super::super::edits;
use super::super::setup::Cluster;

/// True when Elasticsearch's HTTP layer already trusts the CA of Kibana's
/// certificate (`http_ca`, a certificate of the HTTP keystore's chains, or
/// the CA that signs the HTTP certificate esmtls issues): then no
/// `certificate_authorities` entry, and no `certs/kibana-ca.crt`, is needed.
pub(in crate::plan) fn client_ca_trusted(ctx: &Ctx<'_>) -> bool {
    ctx.ca_is_http_ca || ctx.facts.http.implicit_trust.contains(&ctx.ca_der) || ctx.server_needed
}

/// Runs step 4 (mTLS and pki modes only).
pub(in crate::plan) fn run(ctx: &mut Ctx<'_>, _: &mut dyn Cluster) -> Result<(), PlanError> {
    let a = ctx.a;
    if !a.mode.client_cert() || !ctx.es_here() {
        return Ok(());
    }
    let client_ca_trusted = client_ca_trusted(ctx);
    let before = ctx.es_edits.len();
    if a.client_authentication() != a.mode.client_authentication() {
        let line = format!(
            "client_authentication: {} (elasticsearch.client_authentication in the answers; the mode's default is {})",
            a.client_authentication().unwrap_or("none"),
            a.mode.client_authentication().unwrap_or("none")
        );
        ctx.step(4).notes.push(line);
    }
    edits::client_auth(
        &mut ctx.es_edits,
        a.client_authentication(),
        &ctx.facts,
        client_ca_trusted,
        &ctx.setup.es_config,
    )?;
    let lines = ctx.es_edits.describe_from(before);
    ctx.step(4).changes.extend(lines);
    Ok(())
}
