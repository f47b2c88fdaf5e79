//! Step 9: restart Kibana, when anything of it changed (the rule of step 5,
//! with `kibana.restart`).

use super::super::PlanError;
use super::super::context::Ctx;
use super::super::setup::Cluster;
use super::super::types::Service;
use super::step5_restart_es::restart;

/// Runs step 9.
pub(in crate::plan) fn run(ctx: &mut Ctx<'_>, _: &mut dyn Cluster) -> Result<(), PlanError> {
    let (a, setup) = (ctx.a, ctx.setup);
    if !ctx.kibana_here() {
        return Ok(());
    }
    restart(
        ctx,
        9,
        Service::Kibana,
        &setup.kibana_config,
        (&a.kibana.restart, setup.kibana_restart.as_ref()),
        ("kibana.restart", "Kibana"),
    );
    Ok(())
}
