//! The one place the wizard's effects run: detection (after undoing an
//! interrupted apply from its journal, as `esmtls apply` does first), saving
//! the answers, planning and applying, each on a worker thread that reports
//! back as a [`Msg`] on the event loop's channel — apply also reports each
//! action's progress there. They call exactly what `esmtls plan` and `esmtls
//! apply` call (`commands::context`, `plan::build`, `apply::recover`,
//! `apply::apply`), and what `esmtls status`, `renew` and `doctor` call
//! (`commands::status::context`, `Inventory::collect`, `renew::plan`,
//! `RenewPlan::write`, `doctor::offline`/`online`). A stop request only sets apply's flag: the worker restores
//! and reports.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

use anyhow::{Context, Result};
use esmtls::detect::{DetectOptions, Detected};
use esmtls::plan::{self, Answers};
use esmtls::{apply, fsutil};

use super::Event;
use super::app::{
    Checked, Cmd, DetectInfo, Msg, Planned, RenewPreview, RenewRequest, Renewed, Summary,
};
use crate::commands::context::Admin;

/// Where the wizard keeps the last answers.
pub fn saved_answers_path() -> PathBuf {
    directories::ProjectDirs::from("", "", "esmtls")
        .map(|p| p.state_dir().unwrap_or(p.data_dir()).to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".esmtls"))
        .join("wizard-answers.yml")
}

/// Runs commands for the event loop.
pub struct Effects {
    /// `--es-config`.
    pub es: Option<PathBuf>,
    /// `--kibana-config`.
    pub kb: Option<PathBuf>,
    /// The saved answers file.
    pub saved: PathBuf,
    /// Where reports go.
    pub tx: Sender<Event>,
    /// The running apply's stop flag (one apply per wizard run).
    pub cancel: apply::Cancel,
    /// What the recovery at start put back, for the Start screen.
    pub recovered: Option<String>,
}

impl Effects {
    /// Starts `cmd` on a worker thread.
    pub fn run(&self, cmd: Cmd) {
        if let Cmd::Stop = cmd {
            self.cancel.cancel();
            return;
        }
        let cancel = self.cancel.clone();
        let (es, kb, saved, tx, recovered) = (
            self.es.clone(),
            self.kb.clone(),
            self.saved.clone(),
            self.tx.clone(),
            self.recovered.clone(),
        );
        std::thread::spawn(move || {
            let work = std::panic::AssertUnwindSafe(|| match cmd {
                Cmd::Detect => Msg::Detected(
                    detect(es, kb, &saved, recovered)
                        .map(Box::new)
                        .map_err(text),
                ),
                Cmd::Plan(a, auth) => Msg::Planned(
                    make_plan(&a, admin(auth), es, kb, &saved)
                        .map(Box::new)
                        .map_err(text),
                ),
                Cmd::Apply(b, auth) => {
                    let super::screens::apply::Consent {
                        plan: p,
                        setup,
                        answers: a,
                        restart,
                        revoke,
                    } = *b;
                    let progress = tx.clone();
                    let opts = apply::Options {
                        observer: apply::Observer::new(move |p| {
                            let _ = progress.send(Event::Msg(Msg::Progress(p.clone())));
                        }),
                        cancel,
                        restart,
                        revoke_replaced: revoke,
                        ..apply::Options::default()
                    };
                    Msg::Applied(
                        run_apply(&p, &setup, &a, admin(auth), &opts)
                            .map(Box::new)
                            .map_err(text),
                    )
                }
                Cmd::Inventory => Msg::Inventoried(
                    inventory(es.as_deref(), kb.as_deref())
                        .map(Box::new)
                        .map_err(text),
                ),
                Cmd::RenewPlan(r) => Msg::RenewPlanned(
                    crate::commands::status::context(es.as_deref(), kb.as_deref())
                        .and_then(|ctx| renew_plan(&r, &ctx))
                        .map(|(p, _)| Box::new(p))
                        .map_err(text),
                ),
                Cmd::RenewWrite(p) => Msg::Renewed(
                    renew_write(&p, es.as_deref(), kb.as_deref())
                        .map(Box::new)
                        .map_err(text),
                ),
                Cmd::Check(auth) => Msg::Checked(
                    check(es.as_deref(), kb.as_deref(), auth)
                        .map(Box::new)
                        .map_err(text),
                ),
                Cmd::Bundles(b) => {
                    Msg::Applied(write_bundles(&b.0, &b.1).map(Box::new).map_err(text))
                }
                Cmd::Stop => Msg::Tick, // handled above, never on a worker
            });
            let msg = std::panic::catch_unwind(work).unwrap_or_else(|p| {
                let why = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Msg::Failed(format!("internal error (a bug in esmtls): {why}"))
            });
            let _ = tx.send(Event::Msg(msg));
        });
    }
}

/// Takes the setup's locks for the wizard's whole run (the setup the saved
/// answers, or the defaults, point at) and recovers what an interrupted
/// apply left, as `esmtls apply` does; returns the locks and what to tell on
/// the Start screen. A second writer is refused before the screen opens.
pub fn take_setup(
    opts: &super::Options,
    saved: &Path,
) -> Result<(esmtls::session::Writer, Option<String>)> {
    let probe = std::fs::read_to_string(saved)
        .ok()
        .and_then(|t| Answers::parse(saved, &t).ok())
        .unwrap_or_else(|| Answers::new(plan::Mode::Token));
    let setup = crate::commands::context::setup(
        &probe,
        opts.es_config.as_deref(),
        opts.kibana_config.as_deref(),
    )?;
    let state = crate::commands::context::state_dir();
    let dirs = [setup.es_config.as_path(), setup.kibana_config.as_path()];
    let w = esmtls::session::Writer::take(&state, &dirs, "the esmtls wizard")?;
    let files: Vec<String> = w.restored.iter().map(|f| f.display().to_string()).collect();
    let text = (!files.is_empty()).then(|| super::strings::recovered(&files));
    Ok((w, text))
}

/// The credentials typed on step 0, named as such in a 401.
fn admin(auth: Option<esmtls::es::Auth>) -> Admin {
    auth.map_or(Admin::None, |a| {
        Admin::Given(a, super::strings::ADMIN_TYPED)
    })
}

fn text(e: anyhow::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

fn detect(
    es: Option<PathBuf>,
    kb: Option<PathBuf>,
    saved: &Path,
    recovered: Option<String>,
) -> Result<DetectInfo> {
    use std::fmt::Write;
    let saved_answers = std::fs::read_to_string(saved)
        .ok()
        .and_then(|t| Answers::parse(saved, &t).ok());
    let probe = saved_answers
        .clone()
        .unwrap_or_else(|| Answers::new(plan::Mode::Token));
    // The setup the saved answers (or the defaults) point at, for the license.
    let setup = crate::commands::context::setup(&probe, es.as_deref(), kb.as_deref()).ok();
    let opts = DetectOptions::from_env(es.clone(), kb.clone())?;
    let d = Detected::detect(&opts)?;
    let mut summary = recovered.unwrap_or_default();
    summary.push_str(&d.to_string());
    if d.nothing_found() {
        summary.push_str("\nNeither is installed here: the files will go to an output folder (esmtls-out/), ready to copy.\n");
    }
    // The license, when the cluster answers with the admin credentials from
    // the environment (ELASTIC_PASSWORD, ...): the same client `esmtls plan` uses.
    let mut license = None;
    if let Some(setup) = &setup
        && let Ok(mut c) = crate::commands::context::cluster(&probe, setup)
    {
        if c.reachable() {
            license = c.license().ok().and_then(|l| plan::License::parse(&l));
        }
        let _ = writeln!(
            summary,
            "License: {}",
            match (license, c.why_not()) {
                (Some(l), _) => format!("{l} (GET /_license at {})", c.url()),
                (None, Some(why)) => format!("unknown: {why}"),
                (None, None) => format!("unknown: {} did not answer", c.url()),
            }
        );
    }
    let saved = saved_answers.map(|a| (a, saved.display().to_string()));
    let method = |r: &esmtls::detect::RestartMethod| (r.description(), !r.command().is_empty());
    let restarts = super::reports::Restarts {
        es: d.es.as_ref().map(|e| method(&e.restart)),
        kibana: d.kibana.as_ref().map(|k| method(&k.restart)),
    };
    Ok(DetectInfo {
        summary,
        saved,
        license,
        restarts,
        current: plan::current::current_mode(&d),
    })
}

fn make_plan(
    a: &Answers,
    admin: Admin,
    es: Option<PathBuf>,
    kb: Option<PathBuf>,
    saved: &Path,
) -> Result<Planned> {
    if let Some(dir) = saved.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(saved, a.to_yaml())
        .with_context(|| format!("saving the answers to {}", saved.display()))?;
    let setup = crate::commands::context::setup(a, es.as_deref(), kb.as_deref())?;
    if a.topology.is_some() {
        return cluster_plan(a, admin, setup, saved);
    }
    if let Some(out) = setup.out_dir.clone() {
        // A side is not installed here: a bundle per side, as `esmtls apply` writes.
        let mut c = a.clone();
        c.topology = Some(crate::commands::cluster::synthesized(a, &setup, &out));
        let mut planned = cluster_plan(&c, admin, setup, saved)?;
        if let Some(p) = planned.cluster.as_mut() {
            crate::commands::cluster::mark_output_folder(p);
        }
        return Ok(planned);
    }
    let mut cluster = crate::commands::context::cluster_with(a, &setup, admin)?;
    let plan = plan::build(a, &setup, cluster.as_mut())?;
    let text = plan::render::text(&plan);
    Ok(Planned {
        plan: Some(plan),
        cluster: None,
        setup,
        text,
        saved: saved.display().to_string(),
    })
}

/// A topology: the cluster plan, per host, with its order (the bundles go
/// into the output folder, `out`, on Enter).
fn cluster_plan(a: &Answers, admin: Admin, setup: plan::Setup, saved: &Path) -> Result<Planned> {
    let probe = crate::commands::cluster::first_node_url(a);
    let mut cluster = crate::commands::context::cluster_with(&probe, &setup, admin)?;
    let central = esmtls::cluster::Central {
        setup: &setup,
        ca_dir: a.out.join("_ca"),
        prior: Some(&a.out),
        keys: Default::default(),
    };
    let c = esmtls::cluster::plan::build(a, &central, cluster.as_mut())?;
    let mut text = esmtls::cluster::render::text(&c);
    text.push_str(&format!(
        "\nEnter writes one bundle per host into {} (nothing else changes here).\n",
        a.out.display()
    ));
    Ok(Planned {
        plan: None,
        cluster: Some(Box::new(c)),
        setup,
        text,
        saved: saved.display().to_string(),
    })
}

/// Writes the bundles; the finish screen lists each host's command in the plan's order.
pub(super) fn write_bundles(c: &esmtls::cluster::ClusterPlan, a: &Answers) -> Result<Summary> {
    let text = esmtls::cluster::render::text(c);
    let written = esmtls::cluster::bundle::write_all(c, &a.out, &text)?;
    let mut lines: Vec<String> = written
        .iter()
        .map(|w| format!("bundle   {}", w.display()))
        .collect();
    lines.push(format!("plan     {}", a.out.join("PLAN.txt").display()));
    lines.push("The bundles with a key or a credential are 0700/0600: copy each to its host over an encrypted channel, and delete them once applied.".into());
    let mut commands = Vec::new();
    for (i, s) in c.order.iter().enumerate() {
        commands.push(format!("{}. {}", i + 1, s.what));
        for h in &s.hosts {
            let dir = a.out.display().to_string();
            commands.push(format!("   on {h}: {}", s.phase.command(&dir, h)));
        }
    }
    Ok(Summary {
        verified: None,
        lines,
        commands,
    })
}

fn run_apply(
    p: &plan::Plan,
    setup: &plan::Setup,
    a: &Answers,
    admin: Admin,
    opts: &apply::Options,
) -> Result<Summary> {
    let mut cluster = crate::commands::context::cluster_with(a, setup, admin)?;
    let report = match apply::apply(p, setup, cluster.as_mut(), opts) {
        Ok(r) => r,
        Err(e) if e.stop == apply::Stop::Cancelled => {
            let restored: Vec<String> =
                e.restored.iter().map(|r| r.display().to_string()).collect();
            let more = e.what.strip_prefix(apply::STOPPED).unwrap_or(&e.what);
            anyhow::bail!(super::strings::stopped_restored(&restored, more));
        }
        Err(e) => return Err(e.into()),
    };
    let mut lines = Vec::new();
    for r in &report.recovered {
        lines.push(format!(
            "restored from an interrupted apply: {}",
            r.display()
        ));
    }
    if p.is_noop() {
        lines.push("Nothing to change: the setup already matches the answers.".into());
    }
    for (path, o) in &report.files {
        match o {
            fsutil::Outcome::Created => lines.push(format!("created  {}", path.display())),
            fsutil::Outcome::Replaced { backup } => lines.push(format!(
                "changed  {} (backup {})",
                path.display(),
                backup.display()
            )),
            fsutil::Outcome::Unchanged => {}
        }
    }
    lines.extend(report.api.iter().map(|x| format!("sent     {x}")));
    lines.extend(report.ran.iter().map(|x| format!("ran      {x}")));
    lines.extend(
        report
            .notes
            .iter()
            .map(|n| format!("note: {}", super::strings::for_wizard(n))),
    );
    let verified = report.verified.map(|r| {
        r.map(|w| {
            format!(
                "Elasticsearch authenticates Kibana as {} (realm type {}, roles {:?})",
                w.username, w.realm_type, w.roles
            )
        })
    });
    // What is left to run: each command labelled with its service (the
    // ones `--restart` ran are listed above as `ran`).
    let mut commands: Vec<String> = p
        .commands
        .iter()
        .filter(|c| !(opts.restart && c.restart))
        .map(|c| format!("  {}", super::reports::labelled(c)))
        .collect();
    if !commands.is_empty() {
        // One host here; a cluster's bundles list theirs per host (`on es01: …`).
        commands.insert(0, super::strings::ON_THIS_MACHINE.to_string());
    }
    Ok(Summary {
        verified,
        lines,
        commands,
    })
}

/// The certificates, as `esmtls status` lists them (warning window 30 days).
fn inventory(es: Option<&Path>, kb: Option<&Path>) -> Result<esmtls::lifecycle::Inventory> {
    let ctx = crate::commands::status::context(es, kb)?;
    Ok(esmtls::lifecycle::Inventory::collect(
        &ctx,
        super::screens::renew::WITHIN,
    ))
}

/// `esmtls renew --only FILE… --within N --dry-run`: the preview, and the plan
/// itself (whose files are in memory) for the write.
fn renew_plan(
    r: &RenewRequest,
    ctx: &esmtls::lifecycle::Context,
) -> Result<(RenewPreview, esmtls::lifecycle::RenewPlan)> {
    use esmtls::lifecycle::{RenewOptions, renew};
    let opts = RenewOptions {
        within: r.within,
        only: r.files.clone(),
        ..RenewOptions::default()
    };
    let plan = renew::plan(ctx, &opts)?;
    let preview = RenewPreview {
        request: r.clone(),
        renewals: plan.renewals.clone(),
        ca_notices: plan.ca_notices.clone(),
        warnings: plan.warnings.clone(),
        next_steps: plan.next_steps.clone(),
    };
    Ok((preview, plan))
}

/// Plans again and writes when the plan renews what was reviewed.
fn renew_write(reviewed: &RenewPreview, es: Option<&Path>, kb: Option<&Path>) -> Result<Renewed> {
    let ctx = crate::commands::status::context(es, kb)?;
    let (now, plan) = renew_plan(&reviewed.request, &ctx)?;
    if now.targets() != reviewed.targets() {
        anyhow::bail!(
            "the certificates changed since the review (another renewal?); nothing was written — go back and review again"
        );
    }
    let kibana = now
        .renewals
        .iter()
        .any(|r| r.side == esmtls::lifecycle::Side::Kibana);
    let restart = if kibana {
        ctx.detected
            .kibana
            .as_ref()
            .map(|k| k.restart.command())
            .filter(|argv| !argv.is_empty())
            .map(|argv| argv.join(" "))
    } else {
        None
    };
    let written = plan
        .write(&ctx)?
        .into_iter()
        .filter_map(|(p, o)| match o {
            fsutil::Outcome::Replaced { backup } => Some((p, Some(backup))),
            fsutil::Outcome::Created => Some((p, None)),
            fsutil::Outcome::Unchanged => None,
        })
        .collect();
    Ok(Renewed {
        written,
        next_steps: now.next_steps,
        restart,
    })
}

/// `esmtls doctor`: the offline checks, then the online ones with the admin
/// credentials from the environment, else the ones typed on step 0.
fn check(es: Option<&Path>, kb: Option<&Path>, typed: Option<esmtls::es::Auth>) -> Result<Checked> {
    use esmtls::lifecycle::doctor::{self, OnlineOptions};
    let ctx = crate::commands::status::context(es, kb)?;
    let mut findings = doctor::offline(&ctx);
    let opts = OnlineOptions {
        url: None,
        admin: esmtls::es::Auth::from_env()?.or(typed),
    };
    let (online, notes) = doctor::online(&ctx, &opts);
    findings.extend(online);
    Ok(Checked { findings, notes })
}

#[cfg(test)]
mod tests {
    /// The wizard is a writer for its whole run: while another esmtls holds
    /// the setup, it is refused before its screen opens, naming the holder.
    #[test]
    fn the_wizard_is_refused_while_another_esmtls_changes_the_setup() {
        let d = tempfile::tempdir().unwrap();
        let (es, kb) = (d.path().join("es"), d.path().join("kb"));
        for (dir, yml) in [(&es, "elasticsearch.yml"), (&kb, "kibana.yml")] {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(yml), "# test\n").unwrap();
        }
        let opts = super::super::Options {
            es_config: Some(es.clone()),
            kibana_config: Some(kb.clone()),
            out: None,
        };
        let saved = d.path().join("no-saved-answers.yml");
        let state = crate::commands::context::state_dir();
        let held = esmtls::session::Writer::take(&state, &[&es, &kb], "esmtls apply").unwrap();
        let e = super::take_setup(&opts, &saved).unwrap_err().to_string();
        assert!(
            e.starts_with("another esmtls is changing this setup (pid "),
            "{e}"
        );
        assert!(e.contains("esmtls apply"), "{e}");
        drop(held);
        let (w, recovered) = super::take_setup(&opts, &saved).unwrap();
        assert!(recovered.is_none());
        drop(w);
    }
}
