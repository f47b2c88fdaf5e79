//! Clusters on the command line:
//! - `esmtls plan --answers cluster.yml` (with `topology:`): the cluster plan,
//!   per host, with the calls made once and the order; `--bundle DIR` also
//!   writes one bundle per host;
//! - `esmtls plan --bundle DIR/<host>`: that host's exact plan, on the host;
//! - `esmtls apply --bundle DIR/<host>`: applies it there (same guarantees
//!   as `esmtls apply`: lock, journal, backups, keystores merged);
//! - `esmtls apply --bundle DIR/_cluster`: the cluster-wide calls, once.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use esmtls::cluster::{self, CLUSTER, host::HostBundle};
use esmtls::plan::{self, Answers, Plan};

use super::plan::{ApplyArgs, PhaseArg, PlanArgs, plan_json};

/// `esmtls plan` for a cluster or a host bundle; None: not a cluster command.
pub fn plan(args: &PlanArgs) -> Option<Result<()>> {
    match (&args.answers, &args.bundle) {
        (None, Some(b)) => Some(host_plan(args, b)),
        (Some(a), bundle) => {
            let answers = match Answers::read(a) {
                Ok(x) => x,
                Err(e) => return Some(Err(e.into())),
            };
            match (answers.topology.is_some(), bundle) {
                (true, _) => Some(cluster_plan(args, &answers)),
                (false, Some(_)) => Some(Err(anyhow::anyhow!(
                    "{}: `--bundle` writes one bundle per host of a `topology:`, and these answers have none; add the nodes and Kibana instances under `topology:`",
                    a.display()
                ))),
                (false, None) => None,
            }
        }
        (None, None) => None,
    }
}

/// The cluster plan (and the bundles).
fn cluster_plan(args: &PlanArgs, a: &Answers) -> Result<()> {
    let setup = super::context::setup(a, args.es_config.as_deref(), args.kibana_config.as_deref())?;
    let mut ca = a.clone();
    if ca.elasticsearch.url.is_none() {
        ca.elasticsearch.url = a
            .topology
            .as_ref()
            .and_then(|t| t.kibana_hosts().first().cloned());
    }
    let mut cluster = super::context::cluster_with(&ca, &setup, super::context::Admin::None)?;
    let state = super::context::state_dir();
    let ca_dir = match &args.bundle {
        Some(d) => d.join("_ca"),
        None => state.join("cluster-ca-preview"),
    };
    let central = cluster::Central {
        setup: &setup,
        ca_dir,
        prior: args.bundle.as_deref(),
    };
    let p = cluster::plan::build(a, &central, cluster.as_mut())?;
    let text = cluster::render::text(&p);
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &p)?;
        writeln!(out)?;
    } else {
        write!(out, "{text}")?;
    }
    if let Some(dir) = &args.bundle {
        let written = cluster::bundle::write_all(&p, dir, &text)?;
        for w in written {
            eprintln!("bundle: {}", w.display());
        }
        eprintln!(
            "The bundles with a key or a credential are 0700/0600: move them only over an encrypted channel, and delete them once applied."
        );
    }
    Ok(())
}

/// A host's bundle, its planner inputs, and the plan against this host's files.
fn host_build(
    dir: &Path,
    claimed: Option<&str>,
    phase: PhaseArg,
) -> Result<(HostBundle, plan::Setup, Plan)> {
    let mut hb = cluster::host::open(dir, claimed)?;
    if phase == PhaseArg::Https && hb.answers.mode.client_authentication() == Some("required") {
        // HTTPS on, client certificates asked for but not required yet (the plan's order).
        hb.answers.elasticsearch.client_authentication = plan::ClientAuth::Optional;
    }
    let setup = host_setup(&hb)?;
    let url = hb.answers.kibana.hosts.first().cloned().unwrap_or_default();
    let p = plan::build(&hb.answers, &setup, &mut plan::Offline { url })?;
    Ok((hb, setup, p))
}

/// The bundle's setup, with what detection knows here (restart command,
/// version, keystore passwords from the environment).
fn host_setup(hb: &HostBundle) -> Result<plan::Setup> {
    let mut s = hb.setup(&super::context::state_dir());
    let es = (hb.product == cluster::Product::Elasticsearch).then_some(hb.config.as_path());
    let kb = (hb.product == cluster::Product::Kibana).then_some(hb.config.as_path());
    let d = super::context::setup(&hb.answers, es, kb)?;
    s.es_restart = d.es_restart.filter(|_| es.is_some());
    s.kibana_restart = d.kibana_restart.filter(|_| kb.is_some());
    s.es_keystore_password = d.es_keystore_password;
    s.kibana_keystore_password = d.kibana_keystore_password;
    if s.es_version.is_none() {
        s.es_version = d.es_version;
    }
    Ok(s)
}

/// What `--phase prepare` keeps: no yml edit, no restart.
fn only_prepare(p: &mut Plan) {
    p.files
        .retain(|f| !f.path.ends_with("elasticsearch.yml") && !f.path.ends_with("kibana.yml"));
    p.commands.clear();
}

/// Every file the service reads: group-readable (the config dir's group), nobody else.
fn service_modes(p: &mut Plan) {
    for f in &mut p.files {
        f.mode = MODE_SERVICE;
    }
}

/// Group-readable, not world-readable, as the packages set their files.
const MODE_SERVICE: u32 = 0o640;

fn host_plan(args: &PlanArgs, dir: &Path) -> Result<()> {
    if dir.file_name().is_some_and(|n| n == CLUSTER) {
        bail!(
            "{} holds the cluster-wide calls; `esmtls apply --bundle {}` makes them (PLAN.txt shows them)",
            dir.display(),
            dir.display()
        );
    }
    let (_, _, mut p) = host_build(dir, args.host.as_deref(), PhaseArg::All)?;
    service_modes(&mut p);
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &plan_json(&p))?;
        writeln!(out)?;
    } else {
        write!(out, "{}", plan::render::text(&p))?;
    }
    Ok(())
}

/// `esmtls apply --bundle DIR/<host>` (or `DIR/_cluster`).
pub fn apply(args: &ApplyArgs) -> Result<()> {
    let dir = args.plan.bundle.clone().unwrap_or_default();
    if args.plan.answers.is_some() {
        bail!(
            "`esmtls apply --bundle` takes the bundle alone (its answers are inside); write bundles with `esmtls plan --answers FILE --bundle DIR`"
        );
    }
    if dir.file_name().is_some_and(|n| n == CLUSTER) {
        return super::cluster_calls::apply(&dir, args);
    }
    let pre = cluster::host::open(&dir, args.plan.host.as_deref())?;
    let dirs = [pre.config.as_path()];
    let session = if args.dry_run {
        None
    } else {
        Some(super::session::writer(&dirs, "esmtls apply --bundle")?)
    };
    let (hb, setup, mut p) = host_build(&dir, args.plan.host.as_deref(), args.phase)?;
    if args.phase == PhaseArg::Prepare {
        only_prepare(&mut p);
    }
    service_modes(&mut p);
    let name = hb.bundle.manifest.host.clone();
    let kibana_check = hb.product == cluster::Product::Kibana && args.restart;
    if args.dry_run || (p.is_noop() && !kibana_check) {
        return report_noop(args, &p, &name, args.dry_run);
    }
    if p.is_noop() {
        // Applied before: nothing to write, but `--restart` on Kibana verifies every node again.
        let mut report = esmtls::apply::Report::default();
        super::cluster_calls::verify_every_node(&hb, &p, &setup, &mut report);
        super::plan::print_report(args.plan.json, args.restart, &p, &report)?;
        if let Some(Err(e)) = &report.verified {
            bail!("{name}: nothing to change, but the verification failed: {e}");
        }
        return Ok(());
    }
    if !args.plan.json {
        eprint!("{}", plan::render::text(&p));
    }
    let mut cluster = super::cluster_calls::node_view(&hb)?;
    let opts = esmtls::apply::Options {
        restart: args.restart,
        wait: None,
        observer: esmtls::apply::Observer::default(),
        cancel: super::interrupt::cancel(),
    };
    let mut report =
        super::interrupt::writing(|| esmtls::apply::apply(&p, &setup, cluster.as_mut(), &opts))?;
    report.recovered = session.map(|w| w.restored.clone()).unwrap_or_default();
    share_with_service(&hb, &p, &report)?;
    if hb.product == cluster::Product::Kibana && args.restart {
        report.verified = None;
        super::cluster_calls::verify_every_node(&hb, &p, &setup, &mut report);
    }
    super::plan::print_report(args.plan.json, args.restart, &p, &report)?;
    if let Some(Err(e)) = &report.verified {
        bail!("{name}: the files are written but the verification failed: {e}");
    }
    Ok(())
}

/// Every file and directory the run wrote: the service's group, nobody else.
fn share_with_service(hb: &HostBundle, p: &Plan, report: &esmtls::apply::Report) -> Result<()> {
    let written = report
        .files
        .iter()
        .filter(|(_, o)| *o != esmtls::fsutil::Outcome::Unchanged)
        .map(|(f, _)| f);
    for path in p.mkdirs.iter().chain(written) {
        if path.exists() {
            esmtls::fsutil::share_with_service(path, &hb.config)?;
        }
    }
    Ok(())
}

fn report_noop(args: &ApplyArgs, p: &Plan, name: &str, dry: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if args.plan.json {
        let mut v = plan_json(p);
        v["changed"] = serde_json::json!(false);
        v["host"] = serde_json::json!(name);
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else if dry {
        write!(out, "{}", plan::render::text(p))?;
        writeln!(out, "\n(dry run: nothing was written)")?;
    } else {
        writeln!(
            out,
            "This bundle is already applied on {name}: nothing to change."
        )?;
    }
    Ok(())
}

/// `esmtls csr`.
#[derive(Debug, clap::Args)]
pub struct CsrArgs {
    /// This host's bundle (DIR/<host>), from `esmtls plan --bundle` with `topology.keys: host`.
    #[arg(long, value_name = "DIR")]
    pub bundle: PathBuf,
    /// This host's name, when its yml names it nowhere.
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
}

/// `esmtls csr --bundle DIR/<host>`: the key stays here, the CSR goes back.
pub fn run_csr(args: CsrArgs) -> Result<()> {
    let (b, config, requests) = cluster::host::open_for_csr(&args.bundle, args.host.as_deref())?;
    let dirs = [config.as_path()];
    let _lock = super::session::writer(&dirs, "esmtls csr")?;
    let made = cluster::csr::make_on_host(&b.dir, &config, &requests)?;
    for (key, csr) in made {
        println!("key      {} (stays on this host)", key.display());
        println!("request  {}", csr.display());
    }
    println!(
        "Send the .csr file(s) back to the CA holder, who runs `esmtls plan --answers … --bundle DIR` again to sign them; then apply this bundle here."
    );
    Ok(())
}
