//! The one place the wizard's effects run: detection, saving the answers,
//! planning and applying, each on a worker thread that reports back as a
//! [`Msg`] on the event loop's channel. They call exactly what `esmtls plan`
//! and `esmtls apply` call (`commands::context`, `plan::build`, `apply::apply`).

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

use anyhow::{Context, Result};
use esmtls::detect::{DetectOptions, Detected};
use esmtls::plan::{self, Answers};
use esmtls::{apply, fsutil};

use super::Event;
use super::app::{Cmd, DetectInfo, Msg, Planned, Summary};

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
}

impl Effects {
    /// Starts `cmd` on a worker thread.
    pub fn run(&self, cmd: Cmd) {
        let (es, kb, saved, tx) = (
            self.es.clone(),
            self.kb.clone(),
            self.saved.clone(),
            self.tx.clone(),
        );
        std::thread::spawn(move || {
            let work = std::panic::AssertUnwindSafe(|| match cmd {
                Cmd::Detect => Msg::Detected(detect(es, kb, &saved).map(Box::new).map_err(text)),
                Cmd::Plan(a) => {
                    Msg::Planned(make_plan(&a, es, kb, &saved).map(Box::new).map_err(text))
                }
                Cmd::Apply(b) => {
                    let (p, setup, a) = *b;
                    Msg::Applied(run_apply(&p, &setup, &a).map(Box::new).map_err(text))
                }
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

fn text(e: anyhow::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

fn detect(es: Option<PathBuf>, kb: Option<PathBuf>, saved: &Path) -> Result<DetectInfo> {
    use std::fmt::Write;
    let opts = DetectOptions::from_env(es.clone(), kb.clone())?;
    let d = Detected::detect(&opts)?;
    let mut summary = d.to_string();
    if d.nothing_found() {
        summary.push_str("\nNeither is installed here: the files will go to an output folder (esmtls-out/), ready to copy.\n");
    }
    let saved_answers = std::fs::read_to_string(saved)
        .ok()
        .and_then(|t| Answers::parse(saved, &t).ok());
    // The license, when the cluster answers with the admin credentials from
    // the environment (ELASTIC_PASSWORD, ...): the same client `esmtls plan` uses.
    let probe = saved_answers
        .clone()
        .unwrap_or_else(|| Answers::new(plan::Mode::Token));
    let mut license = None;
    if let Ok(setup) = crate::commands::context::setup(&probe, es.as_deref(), kb.as_deref())
        && let Ok(mut c) = crate::commands::context::cluster(&probe, &setup)
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
    })
}

fn make_plan(
    a: &Answers,
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
    let mut cluster = crate::commands::context::cluster(a, &setup)?;
    let plan = plan::build(a, &setup, cluster.as_mut())?;
    let text = plan::render::text(&plan);
    Ok(Planned {
        plan,
        setup,
        text,
        saved: saved.display().to_string(),
    })
}

fn run_apply(p: &plan::Plan, setup: &plan::Setup, a: &Answers) -> Result<Summary> {
    let mut cluster = crate::commands::context::cluster(a, setup)?;
    let report = apply::apply(p, setup, cluster.as_mut(), &apply::Options::default())?;
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
    lines.extend(report.notes.iter().map(|n| format!("note: {n}")));
    let verified = report.verified.map(|r| {
        r.map(|w| {
            format!(
                "Elasticsearch authenticates Kibana as {} (realm type {}, roles {:?})",
                w.username, w.realm_type, w.roles
            )
        })
    });
    let commands = p.commands.iter().map(|c| c.argv.join(" ")).collect();
    Ok(Summary {
        verified,
        lines,
        commands,
    })
}
