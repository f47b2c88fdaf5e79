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
    // Key generation (the slow part) starts first and runs through detection.
    let keys = cluster::plan::start_keys(a, args.bundle.as_deref());
    let setup = super::context::setup(a, args.es_config.as_deref(), args.kibana_config.as_deref())?;
    let mut cluster =
        super::context::cluster_with(&first_node_url(a), &setup, super::context::Admin::None)?;
    let state = super::context::state_dir();
    let ca_dir = match &args.bundle {
        Some(d) => d.join("_ca"),
        None => state.join("cluster-ca-preview"),
    };
    let central = cluster::Central {
        setup: &setup,
        ca_dir,
        prior: args.bundle.as_deref(),
        keys: std::cell::Cell::new(keys),
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

/// The answers with `elasticsearch.url` set to the first node's URL when
/// none is given: where the CA holder asks the cluster.
pub fn first_node_url(a: &Answers) -> Answers {
    let mut probe = a.clone();
    if probe.elasticsearch.url.is_none() {
        probe.elasticsearch.url = a
            .topology
            .as_ref()
            .and_then(|t| t.kibana_hosts().first().cloned());
    }
    probe
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

/// What `--phase prepare` keeps: no yml edit, no restart, none owed after it.
fn only_prepare(p: &mut Plan) {
    p.files
        .retain(|f| !f.path.ends_with("elasticsearch.yml") && !f.path.ends_with("kibana.yml"));
    p.commands.clear();
    p.restart_free = true;
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
    let (hb, _, mut p) = host_build(dir, args.host.as_deref(), PhaseArg::All)?;
    service_modes(&mut p);
    // An interrupted apply here: its files are half written, and the next
    // `apply --bundle` restores them first; so this host still has work.
    let Some(pending) = super::session::pending(&[hb.config.as_path()]) else {
        return super::plan::print_plan(args.json, &p);
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut v = plan_json(&p);
        v["noop"] = serde_json::json!(false);
        v["interrupted"] = serde_json::json!(pending.to_string());
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{pending} (here: `esmtls apply --bundle {}`). The plan below reads the files as they are now.\n",
            dir.display()
        )?;
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
    // Files already in place but the restart still owed (a run stopped after
    // writing them): with `--restart` it is made now, and waited for.
    let restart_owed = args.restart && !p.commands.is_empty();
    if args.dry_run || (p.is_noop() && !kibana_check && !restart_owed) {
        return report_noop(args, &p, &name, args.dry_run);
    }
    if p.is_noop() && !restart_owed {
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
        revoke_replaced: args.revoke_replaced,
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
    /// Print JSON: `changed` (a key was made now), `keys`, `requests`
    /// (the CSR files, relative to the bundle).
    #[arg(long)]
    pub json: bool,
}

/// `esmtls csr --bundle DIR/<host>`: the key stays here, the CSR goes back.
/// A key from an earlier run is kept, so a certificate signed for it stays valid.
pub fn run_csr(args: CsrArgs) -> Result<()> {
    let (b, config, requests) = cluster::host::open_for_csr(&args.bundle, args.host.as_deref())?;
    let dirs = [config.as_path()];
    let _lock = super::session::writer(&dirs, "esmtls csr")?;
    let made = cluster::csr::make_on_host(&b.dir, &config, &requests)?;
    if args.json {
        let v = serde_json::json!({
            "changed": made.iter().any(|m| m.new_key),
            "keys": made.iter().map(|m| &m.key).collect::<Vec<_>>(),
            "requests": made.iter().map(|m| m.which.csr_file()).collect::<Vec<_>>(),
        });
        println!("{v}");
        return Ok(());
    }
    for m in made {
        let kept = if m.new_key { "" } else { ", kept from before" };
        println!("key      {} (stays on this host{kept})", m.key.display());
        println!("request  {}", b.dir.join(m.which.csr_file()).display());
    }
    println!(
        "Send the .csr file(s) back to the CA holder, who runs `esmtls plan --answers … --bundle DIR` again to sign them; then apply this bundle here."
    );
    Ok(())
}

/// A side that is not installed here (answers without a `topology:`): the
/// output folder holds a bundle per side, named after its host, instead of
/// loose files to copy. `apply` writes them and applies the side that is
/// here in place. None: both sides are here (or the answers are for a
/// cluster, or do not read: the usual path reports that).
pub fn out_folder(args: &PlanArgs, apply: Option<&ApplyArgs>) -> Option<Result<()>> {
    let path = args.answers.as_ref()?;
    let a = Answers::read(path).ok()?;
    if a.topology.is_some() || args.bundle.is_some() {
        return None;
    }
    let (es, kb) = (args.es_config.as_deref(), args.kibana_config.as_deref());
    let setup = super::context::setup(&a, es, kb).ok()?;
    let out = setup.out_dir.clone()?;
    let mut ca = a.clone();
    ca.topology = Some(synthesized(&a, &setup, &out));
    Some(out_folder_run(args, apply, &ca, &setup, &out))
}

/// This machine and the other side's host as a topology of two.
pub fn synthesized(a: &Answers, setup: &plan::Setup, out: &Path) -> cluster::Topology {
    let es_here = !setup.es_config.starts_with(out);
    let kb_here = !setup.kibana_config.starts_with(out);
    let named = |dir: &Path, yml: &str, key: &str, other: &str, here: bool| -> String {
        let set = esmtls::yaml::YamlFile::read(&dir.join(yml))
            .ok()
            .and_then(|y| y.get(key).and_then(|s| s.value.as_text().map(String::from)));
        match (here, set) {
            (true, Some(n)) if !n.starts_with("${") => n,
            (true, _) => machine_name().unwrap_or_else(|| other.to_string()),
            (false, _) => other.to_string(),
        }
    };
    let host = a
        .kibana
        .hosts
        .first()
        .map(|u| esmtls::plan::answers::url_host(u));
    let port = a.kibana.hosts.first().and_then(|u| {
        let rest = u.split_once("://").map(|(_, r)| r).unwrap_or(u);
        let hostport = rest.split('/').next().unwrap_or(rest);
        esmtls::plan::answers::split_host_port(hostport)
            .1
            .and_then(|p| p.parse().ok())
    });
    let es_name = named(
        &setup.es_config,
        "elasticsearch.yml",
        "node.name",
        "elasticsearch",
        es_here,
    );
    let address = host.unwrap_or_else(|| {
        if es_here {
            es_name.clone()
        } else {
            "localhost".into()
        }
    });
    let ip: Option<std::net::IpAddr> = address.trim_matches(['[', ']']).parse().ok();
    let node = cluster::Host {
        name: es_name,
        dns: if ip.is_none() {
            vec![address.clone()]
        } else {
            Vec::new()
        },
        ip: ip.into_iter().collect(),
        config: Some(if es_here {
            setup.es_config.clone()
        } else {
            a.elasticsearch
                .config
                .clone()
                .unwrap_or_else(|| "/etc/elasticsearch".into())
        }),
        port,
        version: setup.es_version.clone().or(a.elasticsearch.version.clone()),
    };
    let kibana = cluster::Host {
        name: named(
            &setup.kibana_config,
            "kibana.yml",
            "server.name",
            "kibana",
            kb_here,
        ),
        dns: Vec::new(),
        ip: Vec::new(),
        config: Some(if kb_here {
            setup.kibana_config.clone()
        } else {
            a.kibana
                .install_config
                .clone()
                .unwrap_or_else(|| "/etc/kibana".into())
        }),
        port: None,
        version: None,
    };
    cluster::Topology {
        elasticsearch: vec![node],
        kibana: vec![kibana],
        keys: cluster::KeysAt::CaHolder,
    }
}

/// The side that is not here (its config dir was not found on this
/// machine) gets a bundle any host of that product may apply.
pub fn mark_output_folder(p: &mut cluster::ClusterPlan) {
    for h in &mut p.hosts {
        h.any_host = !h.config.join(h.product.yml()).is_file();
    }
}

fn machine_name() -> Option<String> {
    let n = cluster::host::machine_name();
    let n = n.split('.').next()?.to_string();
    (!n.is_empty()).then_some(n)
}

fn out_folder_run(
    args: &PlanArgs,
    apply_args: Option<&ApplyArgs>,
    a: &Answers,
    setup: &plan::Setup,
    out: &Path,
) -> Result<()> {
    let mut cluster =
        super::context::cluster_with(&first_node_url(a), setup, super::context::Admin::None)?;
    let central = cluster::Central {
        setup,
        ca_dir: out.join("_ca"),
        prior: Some(out),
        keys: Default::default(),
    };
    let mut p = cluster::plan::build(a, &central, cluster.as_mut())?;
    mark_output_folder(&mut p);
    let text = cluster::render::text(&p).replace("DIR/", &format!("{}/", out.display()));
    let Some(apply_args) = apply_args.filter(|x| !x.dry_run) else {
        let mut o = std::io::stdout().lock();
        if args.json {
            serde_json::to_writer_pretty(&mut o, &p)?;
            writeln!(o)?;
        } else {
            write!(o, "{text}")?;
            writeln!(
                o,
                "\nA side is not installed here: `esmtls apply` writes a bundle per side into {} and applies the one for this machine.",
                out.display()
            )?;
        }
        return Ok(());
    };
    let written = cluster::bundle::write_all(&p, out, &text)?;
    for w in &written {
        eprintln!(
            "bundle: {} (apply it on that host: esmtls apply --bundle …)",
            w.display()
        );
    }
    let here: Vec<&cluster::HostPart> = p
        .hosts
        .iter()
        .filter(|h| !h.config.starts_with(out) && h.config.join(h.product.yml()).is_file())
        .collect();
    for h in here {
        let mut local = ApplyArgs {
            plan: PlanArgs {
                answers: None,
                bundle: Some(out.join(&h.name)),
                host: Some(h.name.clone()),
                es_config: None,
                kibana_config: None,
                json: apply_args.plan.json,
            },
            dry_run: false,
            yes: apply_args.yes,
            restart: apply_args.restart,
            revoke_replaced: apply_args.revoke_replaced,
            phase: PhaseArg::All,
        };
        local.plan.bundle = Some(out.join(&h.name));
        apply(&local)?;
    }
    Ok(())
}
