//! Step 3: configure Elasticsearch with a PKI realm and a native realm
//! (`pki` mode only): `xpack.security.authc.realms.pki.<name>` and
//! `…native.<name>` in `elasticsearch.yml`, ordered after any realm there.

use super::super::PlanError;
use super::super::context::Ctx;
use super::super::edits;
use super::super::mode::Mode;
use super::super::setup::Cluster;

/// Runs step 3.
pub(in crate::plan) fn run(ctx: &mut Ctx<'_>, _: &mut dyn Cluster) -> Result<(), PlanError> {
    if ctx.a.mode != Mode::Pki || !ctx.es_here() {
        return Ok(());
    }
    let before = ctx.es_edits.len();
    let notes = edits::realms(&mut ctx.es_edits, ctx.a, &ctx.facts)?;
    let lines = ctx.es_edits.describe_from(before);
    ctx.step(3).changes.extend(lines);
    ctx.step(3).notes.extend(notes);
    Ok(())
}
