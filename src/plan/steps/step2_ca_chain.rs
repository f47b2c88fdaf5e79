//! Step 2: obtain the CA certificate chain.
//!
//! Kibana gets the CA of Elasticsearch's HTTP certificate
//! (`certs/elasticsearch-ca.crt`, named by `elasticsearch.ssl.certificateAuthorities`
//! in step 7); in the client-certificate modes Elasticsearch gets the CA of
//! Kibana's client certificate (`certs/kibana-ca.crt`).

use super::super::PlanError;
use super::super::context::Ctx;
use super::super::setup::Cluster;
use crate::pki::pem as pemx;

/// Runs step 2.
pub(in crate::plan) fn run(ctx: &mut Ctx<'_>, _: &mut dyn Cluster) -> Result<(), PlanError> {
    if ctx.a.mode.client_cert() && ctx.es_here() {
        let ca = pemx::cert(&ctx.ca_der).into_bytes();
        ctx.file(
            2,
            ctx.setup.es_config.join("certs/kibana-ca.crt"),
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
