//! `esmtls plan` and `esmtls apply`: the answers file → the plan → (apply) the
//! executor. The same `Plan` the wizard reviews.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use esmtls::apply;
use esmtls::plan::{self, Answers, KeystoreOp, Plan, Service};
use esmtls::session::Writer;
use serde_json::json;

/// `esmtls plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The answers file (YAML; see the README and assets/answers/).
    #[arg(long, value_name = "FILE", required_unless_present = "bundle")]
    pub answers: Option<PathBuf>,
    /// With `--answers` and a `topology:`: write one bundle per host into DIR.
    /// Alone: the bundle of this host (DIR/<host>), planned against this host's files.
    #[arg(long, value_name = "DIR")]
    pub bundle: Option<PathBuf>,
    /// With `--bundle`: this host's name, when its yml names it nowhere.
    #[arg(long, value_name = "NAME", requires = "bundle")]
    pub host: Option<String>,
    /// Elasticsearch's config directory (else the answers, ES_PATH_CONF, /etc/elasticsearch).
    #[arg(long, value_name = "DIR")]
    pub es_config: Option<PathBuf>,
    /// Kibana's config directory (else the answers, KBN_PATH_CONF, /etc/kibana).
    #[arg(long, value_name = "DIR")]
    pub kibana_config: Option<PathBuf>,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `esmtls apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Show what would be done, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (needed without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Run the restart commands (steps 5 and 9) and wait until Elasticsearch answers.
    #[arg(long)]
    pub restart: bool,
    /// Once the new credential is verified, revoke the one it replaced (the
    /// enrollment token, an older esmtls token) through the service token
    /// delete API; without it, the output says which old credential is still valid.
    #[arg(long)]
    pub revoke_replaced: bool,
    /// With `--bundle`: `prepare` applies only what running traffic does not
    /// depend on (certificates, CA files, token file; no yml edit, no
    /// restart); `https` everything but with client certificates asked for,
    /// not yet required; `all` (default) everything. The plan's order says which.
    #[arg(long, value_enum, default_value = "all", requires = "bundle")]
    pub phase: PhaseArg,
}

/// `--phase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PhaseArg {
    /// Only what running traffic does not depend on.
    Prepare,
    /// Everything, but client certificates only asked for (`optional`),
    /// not yet required; then the restart.
    Https,
    /// Everything, then the restart.
    All,
}

/// What `build` makes: the plan, its setup, the cluster, and (for apply)
/// the writer's locks, held until the command ends.
type Built = (Plan, plan::Setup, Box<dyn plan::Cluster>, Option<Writer>);

/// Recovery first: `apply` takes the setup's locks and recovers an
/// interrupted run before it plans (detecting again from the restored
/// tree); `plan` only reads, so it refuses while a run is interrupted or in
/// progress, since its plan would describe a half-written tree.
fn build(args: &PlanArgs, writer: bool) -> Result<Built> {
    let path = args.answers.clone().unwrap_or_default();
    let answers = Answers::read(&path)?;
    if answers.topology.is_some() {
        bail!(
            "{} has a `topology:`: a cluster is set up host by host. Write the bundles with `esmtls plan --answers {} --bundle DIR`, then run `esmtls apply --bundle DIR/<host>` on each host in the order PLAN.txt gives",
            path.display(),
            path.display()
        );
    }
    let (es, kb) = (args.es_config.as_deref(), args.kibana_config.as_deref());
    let mut setup = super::context::setup(&answers, es, kb)?;
    let dirs = [setup.es_config.as_path(), setup.kibana_config.as_path()];
    let session = if writer {
        let w = super::session::writer(&dirs, "esmtls apply")?;
        if w.recovered_anything() {
            setup = super::context::setup(&answers, es, kb)?;
        }
        Some(w)
    } else {
        if let Some(p) = super::session::pending(&dirs) {
            bail!("{p}; nothing was changed");
        }
        None
    };
    super::session::fault_in_planning();
    let mut cluster =
        super::context::cluster_with(&answers, &setup, super::context::Admin::Prompt)?;
    let p = plan::build(&answers, &setup, cluster.as_mut())
        .with_context(|| format!("planning from {}", path.display()))?;
    Ok((p, setup, cluster, session))
}

/// The plan as JSON (no secret values).
pub fn plan_json(p: &Plan) -> serde_json::Value {
    let mut v = serde_json::to_value(p).unwrap_or_default();
    let ks: Vec<serde_json::Value> = p
        .keystores
        .iter()
        .map(|k| {
            let set: Vec<&str> = k.ops.iter().filter_map(|o| match o {
                KeystoreOp::Set { name, .. } => Some(name.as_str()),
                _ => None,
            }).collect();
            let remove: Vec<&str> = k.ops.iter().filter_map(|o| match o {
                KeystoreOp::Remove { name, .. } => Some(name.as_str()),
                _ => None,
            }).collect();
            json!({
                "service": match k.service { Service::Elasticsearch => "elasticsearch", Service::Kibana => "kibana" },
                "path": k.path, "create": k.create.is_some(), "set": set, "remove": remove,
            })
        })
        .collect();
    v["keystores"] = serde_json::Value::Array(ks);
    v["noop"] = json!(p.is_noop());
    v
}

/// `esmtls plan`.
pub fn run_plan(args: PlanArgs) -> Result<()> {
    let (p, _, _, _) = build(&args, false)?;
    print_plan(args.json, &p)
}

/// The plan on stdout: its text, or JSON with `--json`.
pub fn print_plan(json: bool, p: &Plan) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &plan_json(p))?;
        writeln!(out)?;
    } else {
        write!(out, "{}", plan::render::text(p))?;
    }
    Ok(())
}

/// `esmtls apply`.
pub fn run_apply(args: ApplyArgs) -> Result<()> {
    let (p, setup, mut cluster, session) = build(&args.plan, !args.dry_run)?;
    if args.dry_run {
        let mut out = std::io::stdout().lock();
        if args.plan.json {
            serde_json::to_writer_pretty(&mut out, &plan_json(&p))?;
            writeln!(out)?;
        } else {
            write!(out, "{}", plan::render::text(&p))?;
            writeln!(out, "\n(dry run: nothing was written)")?;
        }
        return Ok(());
    }
    if !args.plan.json {
        eprint!("{}", plan::render::text(&p));
    }
    if !p.is_noop() && !args.yes {
        if !std::io::stdin().is_terminal() {
            bail!(
                "apply changes files and there is no terminal to confirm on; review with `esmtls plan --answers {}` and pass --yes",
                args.plan.answers.clone().unwrap_or_default().display()
            );
        }
        eprint!("\nApply these changes? [y/N] ");
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        if !matches!(line.trim(), "y" | "Y" | "yes") {
            bail!("not applied; nothing was written");
        }
    }
    let opts = apply::Options {
        restart: args.restart,
        revoke_replaced: args.revoke_replaced,
        wait: None,
        observer: progress_lines(!args.plan.json && std::io::stderr().is_terminal()),
        cancel: super::interrupt::cancel(),
    };
    let mut report =
        super::interrupt::writing(|| apply::apply(&p, &setup, cluster.as_mut(), &opts))?;
    report.recovered = session.map(|w| w.restored.clone()).unwrap_or_default();
    print_report(args.plan.json, args.restart, &p, &report)?;
    if let Some(Err(e)) = &report.verified {
        bail!("the files are written but the verification failed: {e}");
    }
    Ok(())
}

/// What apply did, on stdout (JSON with `--json`).
pub fn print_report(json: bool, restart: bool, p: &Plan, report: &apply::Report) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        let files: Vec<serde_json::Value> = report.files.iter().map(|(path, o)| json!({
            "path": path, "outcome": match o {
                esmtls::fsutil::Outcome::Created => "created".to_string(),
                esmtls::fsutil::Outcome::Replaced { backup } => format!("replaced (backup {})", backup.display()),
                esmtls::fsutil::Outcome::Unchanged => "unchanged".to_string(),
            }})).collect();
        let verified = report.verified.as_ref().map(|r| match r {
            Ok(w) => json!({"ok": true, "username": w.username, "realm_type": w.realm_type, "roles": w.roles}),
            Err(e) => json!({"ok": false, "error": e}),
        });
        serde_json::to_writer_pretty(
            &mut out,
            &json!({
                "changed": !p.is_noop() || !report.ran.is_empty(), "files": files, "api": report.api, "ran": report.ran,
                "recovered": report.recovered, "verified": verified, "notes": report.notes,
            }),
        )?;
        writeln!(out)?;
    } else {
        if p.is_noop() {
            writeln!(
                out,
                "Nothing to change: the setup already matches the answers."
            )?;
        }
        for (path, o) in &report.files {
            match o {
                esmtls::fsutil::Outcome::Created => writeln!(out, "created  {}", path.display())?,
                esmtls::fsutil::Outcome::Replaced { backup } => writeln!(
                    out,
                    "changed  {} (backup {})",
                    path.display(),
                    backup.display()
                )?,
                esmtls::fsutil::Outcome::Unchanged => {}
            }
        }
        for a in &report.api {
            writeln!(out, "sent     {a}")?;
        }
        for c in &report.ran {
            writeln!(out, "ran      {c}")?;
        }
        match &report.verified {
            Some(Ok(w)) => writeln!(
                out,
                "verified: Elasticsearch authenticates Kibana as {} (realm type {}, roles {:?})",
                w.username, w.realm_type, w.roles
            )?,
            Some(Err(e)) => writeln!(out, "verification FAILED: {e}")?,
            None => {}
        }
        for n in &report.notes {
            writeln!(out, "note: {n}")?;
        }
        if !restart && !p.commands.is_empty() && !p.is_noop() {
            writeln!(out, "\nNext, restart (or run again with --restart):")?;
            for c in &p.commands {
                writeln!(out, "  {}", c.argv.join(" "))?;
            }
        }
    }
    Ok(())
}

/// One line on stderr per action as it ends (on a terminal, without --json).
fn progress_lines(on: bool) -> apply::Observer {
    use apply::ActionState as S;
    if !on {
        return apply::Observer::default();
    }
    apply::Observer::new(|p| {
        let line = match &p.state {
            S::Pending | S::Running => return,
            S::Done => format!("  ✓ {}", p.action.label),
            S::Failed(why) => format!("  ✗ {}: {why}", p.action.label),
            S::Undone => format!("  ↺ undone: {}", p.action.label),
            S::Skipped(why) => format!("  – {} (not now: {why})", p.action.label),
        };
        eprintln!("{line}");
    })
}
