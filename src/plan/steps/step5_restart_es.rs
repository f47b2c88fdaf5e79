//! Step 5: restart Elasticsearch, when anything of it changed: the command
//! from `elasticsearch.restart`, or the one detected (`auto`), or none.
//! Step 9 (restart Kibana) uses the same rule.

use std::path::Path;

use super::super::PlanError;
use super::super::answers::Restart;
use super::super::context::Ctx;
use super::super::setup::Cluster;
use super::super::types::{Command, Service};

/// Runs step 5.
pub(in crate::plan) fn run(ctx: &mut Ctx<'_>, _: &mut dyn Cluster) -> Result<(), PlanError> {
    let (a, setup) = (ctx.a, ctx.setup);
    if !ctx.es_here() {
        return Ok(());
    }
    restart(
        ctx,
        5,
        Service::Elasticsearch,
        &setup.es_config,
        (&a.elasticsearch.restart, setup.es_restart.as_ref()),
        ("elasticsearch.restart", "Elasticsearch"),
    );
    Ok(())
}

/// Adds the restart of one side to step `n` when a file or keystore of it changed.
pub(super) fn restart(
    ctx: &mut Ctx<'_>,
    n: u8,
    service: Service,
    dir: &Path,
    (answer, detected): (&Restart, Option<&Command>),
    (key, who): (&str, &str),
) {
    let changed = ctx
        .files
        .iter()
        .any(|f| !f.unchanged && f.path.starts_with(dir))
        || ctx.keystores.iter().any(|k| k.service == service);
    let since = ctx.facts.pending.since(service).map(str::to_string);
    if !changed && since.is_none() {
        ctx.step(n)
            .notes
            .push(format!("Nothing changed for {who}; no restart needed."));
        return;
    }
    if let (false, Some(t)) = (changed, since) {
        // The files already say it all, but the running process does not
        // know them until it restarts (restart_pending: cleared on verification).
        ctx.step(n).notes.push(format!(
            "Restart pending: esmtls changed {who}'s files at {t} and the change is not verified yet; restart {who}, then `esmtls apply` verifies the connection."
        ));
    }
    match restart_command(answer, detected, key, who) {
        Ok(c) => {
            ctx.step(n)
                .changes
                .push(format!("run: {}", c.argv.join(" ")));
            ctx.step(n)
                .notes
                .push(format!("{} ({key}: {}).", c.what, answer.text()));
            ctx.commands.push(c);
        }
        Err(why) => ctx.step(n).notes.push(why),
    }
}

/// The restart command for one side: the answer's command, the detected one
/// (`auto`), or none — then Err holds the reminder the plan shows instead.
fn restart_command(
    answer: &Restart,
    detected: Option<&Command>,
    key: &str,
    who: &str,
) -> Result<Command, String> {
    match (answer, detected) {
        (Restart::Command(argv), _) => Ok(Command {
            argv: argv.clone(),
            what: format!("restart {who} with the command from the answers"),
            restart: true,
        }),
        (Restart::Auto, Some(c)) => Ok(c.clone()),
        (Restart::Auto, None) => Err(format!(
            "Restart {who} where it runs, after applying its bundle there (see the bundle's README)."
        )),
        (Restart::None, _) => Err(format!(
            "Restart {who} yourself ({key}: none): esmtls runs nothing."
        )),
    }
}
