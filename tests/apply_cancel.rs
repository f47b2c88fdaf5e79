//! Stopping apply: the executor's progress events (in plan order, matching
//! `apply::actions`), the operator's stop at every point before the cluster
//! changes (every file restored byte for byte, no new file left, a created
//! service token deleted, a distinct error), the stop after them (nothing
//! undone, what is left said), and SIGINT to `esmtls apply` mid-write.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use esmtls::apply::{self, ActionId, ActionState, Cancel, Observer, Options, Progress};
use esmtls::plan::{self, Answers, Cluster, ClusterError, KibanaIdentity, Plan, Setup, WhoAmI};
use esmtls::secret::Secret;

const ES_YML: &str = "# my cluster\n#cluster.name: my-application\n";
const KB_YML: &str =
    "# my kibana\nelasticsearch.username: \"kibana_system\"\nelasticsearch.password: \"pass\"\n";

/// A cluster that answers every call and remembers what it was asked.
#[derive(Default)]
struct Fake {
    calls: Vec<String>,
    tokens: Vec<String>,
}

impl Cluster for Fake {
    fn url(&self) -> &str {
        "https://localhost:9200"
    }
    fn reachable(&mut self) -> bool {
        true
    }
    fn license(&mut self) -> Result<String, ClusterError> {
        Ok("platinum".into())
    }
    fn role_mapping(&mut self, _: &str) -> Result<Option<serde_json::Value>, ClusterError> {
        Ok(None)
    }
    fn authenticate_as(&mut self, _: &KibanaIdentity) -> Result<WhoAmI, ClusterError> {
        Err(ClusterError("the fake does not authenticate".into()))
    }
    fn refuses_without_cert(&mut self, _: &[Vec<u8>]) -> Result<bool, ClusterError> {
        Ok(true)
    }
    fn put_role_mapping(&mut self, name: &str, _: &serde_json::Value) -> Result<(), ClusterError> {
        self.calls.push(format!("put_role_mapping {name}"));
        Ok(())
    }
    fn create_service_token(&mut self, name: &str) -> Result<Secret, ClusterError> {
        self.calls.push(format!("create_service_token {name}"));
        self.tokens.push(name.into());
        Ok(Secret::new("AAEAAWVsYXN0aWMva2liYW5hL2Zha2U"))
    }
    fn delete_service_token(&mut self, name: &str) -> Result<(), ClusterError> {
        self.calls.push(format!("delete_service_token {name}"));
        self.tokens.retain(|t| t != name);
        Ok(())
    }
    fn change_password(&mut self, user: &str, _: &Secret) -> Result<(), ClusterError> {
        self.calls.push(format!("change_password {user}"));
        Ok(())
    }
}

struct Env {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    es: PathBuf,
    kb: PathBuf,
    setup: Setup,
}

fn seed() -> Env {
    // Every test sets the same value, so concurrent tests agree.
    unsafe { std::env::set_var("ESMTLS_SECRET_STORE", "file") };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let (es, kb) = common::setups::package_dirs(&root, ES_YML, KB_YML);
    let setup = Setup::dirs(&es, &kb, &root.join("state"));
    Env {
        _tmp: tmp,
        root,
        es,
        kb,
        setup,
    }
}

fn plan_for(env: &Env, mode: &str) -> Plan {
    let a = Answers::parse(
        Path::new("answers.yml"),
        &format!("mode: {mode}\nlicense: platinum\n"),
    )
    .unwrap();
    plan::build(&a, &env.setup, &mut Fake::default()).unwrap()
}

/// Every file under the two config directories, backups left out.
fn files(env: &Env) -> BTreeMap<PathBuf, Vec<u8>> {
    common::snapshot(&env.root)
        .into_iter()
        .filter(|(p, _)| p.starts_with(&env.es) || p.starts_with(&env.kb))
        .collect()
}

/// Hidden temporary files left by a batch (there must be none).
fn temps(env: &Env) -> Vec<PathBuf> {
    common::walk(&env.root.join("etc"))
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".esmtls-tmp"))
        .collect()
}

type Events = Arc<Mutex<Vec<Progress>>>;

/// Options whose observer records every event and, after the `stop_after`-th, sets the stop.
fn recording(stop_after: Option<usize>) -> (Options, Events) {
    let events: Events = Arc::default();
    let cancel = Cancel::new();
    let (ev, c) = (events.clone(), cancel.clone());
    let observer = Observer::new(move |p| {
        let mut v = ev.lock().unwrap();
        v.push(p.clone());
        if Some(v.len()) == stop_after {
            c.cancel();
        }
    });
    (
        Options {
            observer,
            cancel,
            ..Options::default()
        },
        events,
    )
}

fn run(env: &Env, plan: &Plan, opts: &Options, fake: &mut Fake) -> Result<(), apply::ApplyError> {
    apply::apply(plan, &env.setup, fake, opts).map(|_| ())
}

/// The last state each action reached.
fn last_states(events: &[Progress], n: usize) -> Vec<ActionState> {
    let mut v = vec![ActionState::Pending; n];
    for e in events {
        v[e.index] = e.state.clone();
    }
    v
}

#[test]
fn progress_arrives_in_plan_order_and_matches_actions() {
    for mode in ["token", "password"] {
        let env = seed();
        let plan = plan_for(&env, mode);
        let list = apply::actions(&plan, false);
        let (opts, events) = recording(None);
        run(&env, &plan, &opts, &mut Fake::default()).unwrap();
        let events = events.lock().unwrap().clone();
        for e in &events {
            assert_eq!(e.action, list[e.index], "{mode}: event {e:?}");
        }
        let started: Vec<usize> = events
            .iter()
            .filter(|e| e.state == ActionState::Running)
            .map(|e| e.index)
            .collect();
        assert!(
            started.windows(2).all(|w| w[0] < w[1]),
            "{mode}: actions start in plan order: {started:?}"
        );
        let states = last_states(&events, list.len());
        for (a, st) in list.iter().zip(&states) {
            match a.id {
                // Elasticsearch's files changed and nothing was restarted.
                ActionId::Verify => assert!(matches!(st, ActionState::Skipped(_)), "{st:?}"),
                _ => assert_eq!(*st, ActionState::Done, "{mode}: {}", a.label),
            }
        }
    }
}

/// Stops after each event of a whole run in turn: before the cluster changes
/// every file is as before (byte for byte), no new or temporary file is left
/// and the token made is deleted; after them nothing is undone and what is
/// left is said.
#[test]
fn stopping_at_every_point_restores_everything_before_the_cluster_changes() {
    for mode in ["token", "password"] {
        let env = seed();
        let plan = plan_for(&env, mode);
        let (opts, all) = recording(None);
        run(&env, &plan, &opts, &mut Fake::default()).unwrap();
        let all = all.lock().unwrap().clone();
        // A stop once a cluster change has started cannot undo it; before that,
        // up to and including the last rename, everything is undone.
        let cut = all.iter().position(|e| {
            matches!(e.action.id, ActionId::Cluster(_)) && e.state == ActionState::Running
        });
        let last = match cut {
            Some(c) => c + 1,
            None => {
                all.iter()
                    .rposition(|e| matches!(e.action.id, ActionId::Write(_)))
                    .unwrap()
                    + 1
            }
        };

        // A second setup (and its own plan) for the stops.
        let env = seed();
        let plan = plan_for(&env, mode);
        let list = apply::actions(&plan, false);
        let before = files(&env);
        for n in 1..=last {
            let (opts, events) = recording(Some(n));
            let mut fake = Fake::default();
            let e = run(&env, &plan, &opts, &mut fake).unwrap_err();
            let text = e.to_string();
            assert!(e.is_cancelled(), "{mode} stop after event {n}: {text}");
            assert!(text.starts_with("stopped by the operator"), "{text}");
            let events = events.lock().unwrap().clone();
            if cut.is_some() && n == last {
                assert_eq!(e.stop, apply::Stop::CancelledAfterChanges, "{text}");
                assert!(text.contains("left to do"), "{text}");
                assert_ne!(before, files(&env), "{mode}: the changes stay");
                if mode == "password" {
                    assert!(text.contains("cannot be undone"), "{text}");
                    assert!(fake.calls.contains(&"change_password kibana_system".into()));
                }
                continue;
            }
            assert_eq!(e.stop, apply::Stop::Cancelled, "{text}");
            assert_eq!(
                before,
                files(&env),
                "{mode}: stop after event {n} ({:?}) must restore every file",
                events.last()
            );
            assert!(temps(&env).is_empty(), "{:?}", temps(&env));
            assert!(
                fake.tokens.is_empty(),
                "{mode}: token left: {:?}",
                fake.calls
            );
            assert!(
                !fake.calls.iter().any(|c| c.starts_with("change_password")),
                "{mode}: {:?}",
                fake.calls
            );
            // Every write that was done is reported undone, and named in the error.
            let states = last_states(&events, list.len());
            for (a, st) in list.iter().zip(&states) {
                assert_ne!(*st, ActionState::Done, "{mode}/{n}: {} left done", a.label);
                if let (ActionId::Write(p), ActionState::Undone) = (&a.id, st) {
                    assert!(text.contains(&p.display().to_string()), "{text}");
                }
            }
            if e.restored.is_empty() {
                assert!(text.contains("nothing was changed"), "{text}");
            }
            assert!(!apply::journal_path(&env.setup).exists());
        }
    }
}

/// `esmtls apply` paused after its third rename (`ESMTLS_FAULT=pause-after-rename:3`)
/// gets a real SIGINT: exit 130, every file restored, nothing new left but backups.
#[test]
fn sigint_mid_write_restores_every_file() {
    let env = seed();
    let a = env.root.join("answers.yml");
    fs::write(&a, "mode: mtls-password\n").unwrap();
    let before = common::snapshot(&env.root);
    let mut c = common::esmtls(&env.root);
    c.env("ESMTLS_SECRET_STORE", "file")
        .env("ESMTLS_FAULT", "pause-after-rename:3")
        .args(["apply", "--yes", "--answers"])
        .arg(&a)
        .arg("--es-config")
        .arg(&env.es)
        .arg("--kibana-config")
        .arg(&env.kb)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "esmtls ended before pausing:\n{seen}"
        );
        seen.push_str(&line);
        if line.contains("paused after rename 3") {
            break;
        }
    }
    assert_ne!(
        before,
        common::snapshot(&env.root),
        "three files are in place"
    );
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{seen}{rest}");
    assert!(
        rest.contains("error: stopped by the operator; every file was restored as it was ("),
        "{rest}"
    );
    let after = common::snapshot(&env.root);
    common::assert_restored(&before, &after, &[&env.es, &env.kb]);
    assert!(temps(&env).is_empty(), "{:?}", temps(&env));
    assert!(
        !env.es.join("certs").exists() && !env.kb.join("certs").exists(),
        "directories made by the run are removed"
    );
}

/// `--restart` runs only the commands esmtls can run as they stand; one it
/// cannot (a container name to fill in) is not an action and becomes a note.
#[test]
fn restart_runs_only_runnable_commands() {
    let env = seed();
    let mut p = plan_for(&env, "token");
    let (ran, guessed) = (env.root.join("ran"), env.root.join("guessed"));
    p.commands = vec![
        plan::Command {
            argv: vec!["touch".into(), ran.display().to_string()],
            what: "restart Elasticsearch (test)".into(),
            restart: true,
        },
        plan::Command {
            argv: vec!["touch".into(), guessed.display().to_string()],
            what: "restart Kibana (docker restart <container>)".into(),
            restart: false,
        },
    ];
    let labels: Vec<String> = apply::actions(&p, true)
        .into_iter()
        .map(|a| a.label)
        .collect();
    assert!(labels.iter().any(|l| l.contains("/ran")), "{labels:?}");
    assert!(!labels.iter().any(|l| l.contains("guessed")), "{labels:?}");
    let opts = Options {
        restart: true,
        wait: Some(std::time::Duration::ZERO),
        ..Options::default()
    };
    let report = apply::apply(&p, &env.setup, &mut Fake::default(), &opts).unwrap();
    assert!(ran.exists(), "the runnable command did not run");
    assert!(!guessed.exists(), "a command esmtls cannot run was run");
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.starts_with("run by hand: touch") && n.contains("guessed")),
        "{:?}",
        report.notes
    );
}
