//! Step 2: obtain the CA certificate chain.
//!
//! Kibana gets the CA of Elasticsearch's HTTP certificate
//! (`certs/elasticsearch-ca.crt`, named by `elasticsearch.ssl.certificateAuthorities`
//! in step 7); in the client-certificate modes Elasticsearch gets the CA of
//! Kibana's client certificate (`certs/kibana-ca.crt`) — only when a setting
//! names it: the PKI realm's `certificate_authorities` (`pki`), or the HTTP
//! layer's when it does not trust that CA already (step 4). A file nothing
//! uses is not written.

use super::super::PlanError;
use super::super::context::Ctx;
use super::super::setup::Cluster;
use crate::pki::pem as pemx;

/// Runs step 2.
pub(in crate::plan) fn run(ctx: &mut Ctx<'_>, _: &mut dyn Cluster) -> Result<(), PlanError> {
    if ctx.a.mode.client_cert() && ctx.es_here() && kibana_ca_used(ctx) {
        let ca = pemx::cert(&ctx.ca_der).into_bytes();
        ctx.file(
            2,
            ctx.setup.es_config.join(KIBANA_CA),
            "the CA of Kibana's client certificate, for Elasticsearch",
            ca,
            false,
        );
    }
    if !ctx.kibana_here() {
        return Ok(());
    }
    let server_ca = pemx::cert(&ctx.server_ca_der).into_bytes();
    ctx.file(
        2,
        ctx.setup.kibana_config.join("certs/elasticsearch-ca.crt"),
        "the CA of Elasticsearch's HTTP certificate, for Kibana",
        server_ca,
        false,
    );
    Ok(())
}

/// True when a setting of `elasticsearch.yml` will name `certs/kibana-ca.crt`:
/// the PKI realm's CAs, step 4's `certificate_authorities`, or a setting that
/// names it already (an earlier run's; the file is kept up to date).
fn kibana_ca_used(ctx: &Ctx<'_>) -> bool {
    ctx.a.mode == super::super::mode::Mode::Pki
        || !super::step4_client_auth::client_ca_trusted(ctx)
        || ctx.facts.es_yml.settings().iter().any(|s| {
            s.key.ends_with(".certificate_authorities")
                && s.value.as_list().iter().any(|c| c == KIBANA_CA)
        })
}

const KIBANA_CA: &str = "certs/kibana-ca.crt";
