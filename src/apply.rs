//! The one executor of a [`Plan`]: the only code that writes files and
//! keystores or changes the cluster for a setup.
//!
//! Order, and what a failure at each point leaves:
//! 1. an interrupted earlier apply is undone first, from its journal;
//! 2. API calls whose answers go into files (a new service token) — undone
//!    (token deleted) if anything later fails;
//! 3. every file and keystore in one [`WriteBatch`]: staged, backed up, a
//!    journal of how to undo it written, then renamed; a failure or a kill
//!    during the renames is undone (now, or from the journal by the next run);
//! 4. API calls that change the cluster (role mapping, password) — a failure
//!    restores every file byte for byte from its backup;
//! 5. restarts (`--restart`) and the verification as Kibana would connect —
//!    these report, they do not roll back.
//!
//! Each action is reported as it starts, ends, fails or is undone
//! ([`Options::observer`], the list from [`actions`]). The operator's stop
//! ([`Options::cancel`], Ctrl-C) is read at safe points — before each API
//! call, after staging, between renames, before each cluster change, between
//! restarts and while waiting: before the cluster changes it undoes
//! everything as a failure does and returns an [`ApplyError`] whose
//! [`ApplyError::is_cancelled`] is true; after them (a password change cannot
//! be undone) it stops and says what is in place and what is left.
//!
//! Fault injection for tests: `ESMTLS_FAULT=kill-after-rename:N` aborts the
//! process after the N-th rename (as a `kill -9` would), `fail-after-rename:N`
//! returns an error there, `pause-after-rename:N` says so on stderr (unless it
//! is a terminal) and waits there for the stop (at most a minute), so a test
//! can send a real Ctrl-C mid-write; `fail-before-commit` fails after staging.
//! docs/DEVELOPING.md lists every value and the tests that use it.

mod batch;
mod progress;

pub use progress::{Action, ActionId, ActionState, Cancel, Observer, Progress, actions};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::fsutil::{self, Outcome, Undo};
use crate::keystore::{EsKeystore, KibanaKeystore, SystemRandom};
use crate::plan::setup::{Cluster, KibanaIdentity, Setup, WhoAmI};
use crate::plan::types::{EntryValue, KeystoreChange, KeystoreOp, Plan, Service};
use crate::secret::Secret;
use progress::Reporter;

/// How to apply.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Run the restart commands and wait for Elasticsearch.
    pub restart: bool,
    /// How long to wait for Elasticsearch after a restart.
    pub wait: Option<Duration>,
    /// Told each action's progress (see [`actions`]).
    pub observer: Observer,
    /// When set, apply stops at its next safe point: before the cluster
    /// changes it undoes everything (as a failure does); after them it stops
    /// waiting and says what is in place and what is left.
    pub cancel: Cancel,
}

/// What happened.
#[derive(Debug, Default)]
pub struct Report {
    /// Each file written (or not) and how.
    pub files: Vec<(PathBuf, Outcome)>,
    /// API requests sent.
    pub api: Vec<String>,
    /// Commands run.
    pub ran: Vec<String>,
    /// Files restored from an interrupted earlier apply.
    pub recovered: Vec<PathBuf>,
    /// The verification, when it ran.
    pub verified: Option<Result<WhoAmI, String>>,
    /// Things to tell the operator.
    pub notes: Vec<String>,
}

/// How apply ended without finishing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Something failed; what was changed is undone.
    Failed,
    /// The operator asked it to stop before the cluster changes; what was
    /// changed is undone.
    Cancelled,
    /// The operator asked it to stop after the cluster changes: those and the
    /// files stay (a password change cannot be undone); restarts or the
    /// verification are left.
    CancelledAfterChanges,
}

/// Why apply stopped. `restored` lists what was put back.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.text())]
pub struct ApplyError {
    /// What failed and what to do.
    pub what: String,
    /// Files restored from their backups (or removed, when new).
    pub restored: Vec<PathBuf>,
    /// Failed, or stopped by the operator.
    pub stop: Stop,
}

impl ApplyError {
    /// True when the operator asked apply to stop (Ctrl-C).
    pub fn is_cancelled(&self) -> bool {
        self.stop != Stop::Failed
    }
    fn text(&self) -> String {
        match self.stop {
            Stop::CancelledAfterChanges => self.what.clone(),
            _ => format!("{}{}", self.what, restored_text(&self.restored)),
        }
    }
}

fn restored_text(r: &[PathBuf]) -> String {
    if r.is_empty() {
        "; nothing was changed".into()
    } else {
        format!(
            "; every file was restored as it was ({})",
            r.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

fn err(what: impl Into<String>) -> ApplyError {
    ApplyError {
        what: what.into(),
        restored: Vec::new(),
        stop: Stop::Failed,
    }
}

/// The words that start the error of a run the operator stopped.
pub const STOPPED: &str = "stopped by the operator";

/// The journal of an apply in progress for this setup.
pub fn journal_path(setup: &Setup) -> PathBuf {
    let id = crate::keystore::secrets_store::SetupId::from_config_dirs(&[
        &setup.es_config,
        &setup.kibana_config,
    ]);
    setup
        .state_dir
        .join(format!("apply-{}.journal.json", id.as_str()))
}

/// The journal written before the first rename: how to undo each file, and
/// the directories this run created (removed again when empty).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub(crate) enum Journal {
    /// Files and the directories created for them.
    Full {
        files: Vec<Undo>,
        dirs: Vec<PathBuf>,
    },
    /// Files only (journals written before directories were recorded).
    Files(Vec<Undo>),
}

/// Undoes an interrupted apply, if its journal is there. Returns the files put back.
pub fn recover(setup: &Setup) -> Result<Vec<PathBuf>, ApplyError> {
    let path = journal_path(setup);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(Vec::new());
    };
    let journal: Journal = serde_json::from_str(&text).map_err(|e| {
        err(format!(
            "the journal {} of an interrupted apply is damaged ({e}); restore the files from their .esmtls-*.bak backups and delete it",
            path.display()
        ))
    })?;
    let (undo, dirs) = match journal {
        Journal::Full { files, dirs } => (files, dirs),
        Journal::Files(files) => (files, Vec::new()),
    };
    fsutil::restore(&undo).map_err(|e| err(format!("undoing the interrupted apply: {e}")))?;
    for u in &undo {
        fsutil::remove_stale_temps(&u.target);
    }
    fsutil::remove_created_dirs(&dirs);
    let _ = std::fs::remove_file(&path);
    Ok(undo.into_iter().map(|u| u.target).collect())
}

/// What this run changed so far, to undo it all when something fails or the
/// operator stops before the cluster changes.
#[derive(Default)]
struct Changed {
    /// Service tokens made: (index in `plan.api`, name).
    tokens: Vec<(usize, String)>,
    /// How to undo the files written.
    undo: Vec<Undo>,
    /// Directories created.
    dirs: Vec<PathBuf>,
}

impl Changed {
    /// Undoes everything; the error says what was put back and what could not be.
    fn undo(
        &self,
        cluster: &mut dyn Cluster,
        rep: &Reporter<'_>,
        what: String,
        stop: Stop,
    ) -> ApplyError {
        let mut what = what;
        let mut restored = Vec::new();
        match fsutil::restore(&self.undo) {
            Ok(()) => {
                restored = self.undo.iter().map(|u| u.target.clone()).collect();
                for u in self.undo.iter().rev() {
                    rep.tell(&ActionId::Write(u.target.clone()), ActionState::Undone);
                }
            }
            Err(e) => what.push_str(&format!(
                "; restoring the files failed ({e}): put them back from their .esmtls-*.bak backups"
            )),
        }
        fsutil::remove_created_dirs(&self.dirs);
        for (i, t) in self.tokens.iter().rev() {
            match cluster.delete_service_token(t) {
                Ok(()) => {
                    rep.tell(&ActionId::Produce(*i), ActionState::Undone);
                    what.push_str(&format!(
                        "; the service token {t} made by this run was deleted"
                    ));
                }
                Err(e) => what.push_str(&format!(
                    "; could not delete the service token {t} made by this run: {e}"
                )),
            }
        }
        ApplyError {
            what,
            restored,
            stop,
        }
    }
}

/// Executes `plan`.
pub fn apply(
    plan: &Plan,
    setup: &Setup,
    cluster: &mut dyn Cluster,
    opts: &Options,
) -> Result<Report, ApplyError> {
    let mut report = Report {
        recovered: recover(setup)?,
        ..Report::default()
    };
    let rep = Reporter::new(actions(plan, opts.restart), &opts.observer);
    let stop = &opts.cancel;
    let mut changed = Changed::default();

    // 2. API answers that files need.
    let mut from_api: HashMap<usize, Secret> = HashMap::new();
    for i in progress::producers(plan) {
        if stop.is_cancelled() {
            return Err(changed.undo(cluster, &rep, STOPPED.into(), Stop::Cancelled));
        }
        let call = &plan.api[i];
        let name = call.path.rsplit('/').next().unwrap_or_default();
        let id = ActionId::Produce(i);
        rep.tell(&id, ActionState::Running);
        match cluster.create_service_token(name) {
            Ok(token) => {
                rep.tell(&id, ActionState::Done);
                report.api.push(format!("{} {}", call.method, call.path));
                changed.tokens.push((i, name.to_string()));
                from_api.insert(i, token);
            }
            Err(e) => {
                rep.tell(&id, ActionState::Failed(e.to_string()));
                let what = format!("{} {}: {e}", call.method, call.path);
                return Err(changed.undo(cluster, &rep, what, Stop::Failed));
            }
        }
    }

    // 3. Files and keystores, all together.
    match batch::write_all(plan, setup, &from_api, &rep, stop) {
        Ok((outcomes, dirs)) => {
            changed.undo = Undo::from_outcomes(&outcomes);
            changed.dirs = dirs;
            report.files = outcomes;
        }
        Err(e) => {
            // The batch undid its own renames; what is left are the tokens.
            let mut e2 = changed.undo(cluster, &rep, e.what, e.stop);
            e2.restored = e.restored;
            return Err(e2);
        }
    }

    // 4. Cluster changes.
    for i in (0..plan.api.len()).filter(|i| progress::is_cluster_change(plan, *i)) {
        if stop.is_cancelled() {
            return Err(changed.undo(cluster, &rep, STOPPED.into(), Stop::Cancelled));
        }
        let call = &plan.api[i];
        let id = ActionId::Cluster(i);
        rep.tell(&id, ActionState::Running);
        let r = if call.path.ends_with("/_password") {
            match &call.secret {
                Some(pw) => cluster.change_password("kibana_system", pw),
                None => Ok(()),
            }
        } else {
            let name = call.path.rsplit('/').next().unwrap_or_default();
            cluster.put_role_mapping(name, call.body.as_ref().unwrap_or(&serde_json::Value::Null))
        };
        if let Err(e) = r {
            rep.tell(&id, ActionState::Failed(e.to_string()));
            let what = format!("{} {}: {e}", call.method, call.path);
            return Err(changed.undo(cluster, &rep, what, Stop::Failed));
        }
        rep.tell(&id, ActionState::Done);
        report.api.push(format!("{} {}", call.method, call.path));
    }

    // 5. Restarts and verification: from here on nothing is undone.
    let es_changed = report
        .files
        .iter()
        .any(|(p, o)| *o != Outcome::Unchanged && p.starts_with(&plan.es_config));
    if opts.restart {
        for (i, c) in plan.commands.iter().enumerate() {
            if stop.is_cancelled() {
                return Err(stopped_after(plan, &report, i));
            }
            // A command esmtls cannot run as it stands (a container name to
            // fill in, a remote host) stays a note: it is never guessed at.
            let Some((prog, args)) = c.argv.split_first().filter(|_| c.restart) else {
                report
                    .notes
                    .push(format!("run by hand: {} ({})", c.argv.join(" "), c.what));
                continue;
            };
            let id = ActionId::Restart(i);
            rep.tell(&id, ActionState::Running);
            let fail = |why: String| {
                rep.tell(&id, ActionState::Failed(why.clone()));
                err(why)
            };
            let st = std::process::Command::new(prog)
                .args(args)
                .status()
                .map_err(|e| fail(format!("cannot run `{}`: {e}", c.argv.join(" "))))?;
            if !st.success() {
                return Err(fail(format!(
                    "`{}` failed ({st}); the files are written, restart by hand",
                    c.argv.join(" ")
                )));
            }
            rep.tell(&id, ActionState::Done);
            report.ran.push(c.argv.join(" "));
        }
        rep.tell(&ActionId::Wait, ActionState::Running);
        let wait = opts.wait.unwrap_or(Duration::from_secs(120));
        let deadline = Instant::now() + wait;
        while !cluster.reachable() && Instant::now() < deadline {
            if stop.is_cancelled() {
                return Err(stopped_after(plan, &report, plan.commands.len()));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        rep.tell(
            &ActionId::Wait,
            if cluster.reachable() {
                ActionState::Done
            } else {
                ActionState::Failed(format!("no answer within {}s", wait.as_secs()))
            },
        );
    }
    if stop.is_cancelled() {
        return Err(stopped_after(plan, &report, plan.commands.len()));
    }
    if cluster.reachable() && (opts.restart || !es_changed) {
        rep.tell(&ActionId::Verify, ActionState::Running);
        let v = verify(plan, &setup.kibana_keystore_password, cluster);
        rep.tell(
            &ActionId::Verify,
            match &v {
                Ok(_) => ActionState::Done,
                Err(e) => ActionState::Failed(e.clone()),
            },
        );
        report.verified = Some(v);
    } else {
        let why = if plan.is_noop() {
            "Elasticsearch is not reachable"
        } else {
            "restart Elasticsearch and Kibana first"
        };
        rep.tell(&ActionId::Verify, ActionState::Skipped(why.into()));
        if !plan.is_noop() {
            report.notes.push("Not verified yet: restart Elasticsearch and Kibana (or pass --restart), then run `esmtls apply` again — it changes nothing and verifies the connection as Kibana makes it.".into());
        }
    }
    Ok(report)
}

/// The operator stopped after the cluster changes: say what stays and what is left
/// (the restart commands from `next` on, and the verification).
fn stopped_after(plan: &Plan, report: &Report, next: usize) -> ApplyError {
    let mut kept: Vec<String> = report
        .files
        .iter()
        .filter(|(_, o)| *o != Outcome::Unchanged)
        .map(|(p, _)| p.display().to_string())
        .collect();
    kept.extend(report.api.iter().cloned());
    kept.extend(report.ran.iter().map(|c| format!("ran {c}")));
    let mut left: Vec<String> = plan.commands[next.min(plan.commands.len())..]
        .iter()
        .map(|c| c.argv.join(" "))
        .collect();
    left.push("the verification (`esmtls apply` again, once both are restarted)".into());
    ApplyError {
        what: format!(
            "{STOPPED} after the changes were made; they stay in place (a password change cannot be undone): {}; left to do: {}",
            if kept.is_empty() {
                "nothing needed changing".to_string()
            } else {
                kept.join(", ")
            },
            left.join(", ")
        ),
        restored: Vec::new(),
        stop: Stop::CancelledAfterChanges,
    }
}

fn mkdir(d: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o750)
        .create(d)
}

/// The new keystore content, or None when the operations change nothing.
fn keystore_bytes(
    k: &KeystoreChange,
    from_api: &HashMap<usize, Secret>,
) -> Result<Option<Vec<u8>>, String> {
    let value = |v: &EntryValue| -> Result<Secret, String> {
        match v {
            EntryValue::Known(s) => Ok(s.clone()),
            EntryValue::FromApi(i) => from_api
                .get(i)
                .cloned()
                .ok_or_else(|| "internal: a keystore value from the API is missing".to_string()),
        }
    };
    let mut rng = SystemRandom;
    match k.service {
        Service::Kibana => {
            let mut ks = if k.create.is_some() {
                KibanaKeystore::new(k.password.clone())
            } else {
                KibanaKeystore::load(&k.path, Some(&k.password)).map_err(|e| e.to_string())?
            };
            for op in &k.ops {
                match op {
                    KeystoreOp::Set { name, value: v } => ks
                        .set_string(name, value(v)?, true, &k.path)
                        .map_err(|e| e.to_string())?,
                    KeystoreOp::Remove { name, .. } => {
                        let _ = ks.remove(name, &k.path);
                    }
                }
            }
            ks.encode(&mut rng).map(Some).map_err(|e| e.to_string())
        }
        Service::Elasticsearch => {
            let mut ks = match k.create {
                Some(v) => EsKeystore::create(v, k.password.clone(), &mut rng),
                None => EsKeystore::load(&k.path, Some(&k.password)),
            }
            .map_err(|e| e.to_string())?;
            for op in &k.ops {
                match op {
                    KeystoreOp::Set { name, value: v } => ks
                        .set_string(name, &value(v)?, true, &k.path)
                        .map_err(|e| e.to_string())?,
                    KeystoreOp::Remove { name, .. } => {
                        let _ = ks.remove(name, &k.path);
                    }
                }
            }
            ks.encode(&mut rng).map(Some).map_err(|e| e.to_string())
        }
    }
}

/// `_authenticate` with Kibana's identity (its credential read from its
/// keystore, which `keystore_password` opens); the result must be the plan's expectation.
pub fn verify(
    plan: &Plan,
    keystore_password: &Secret,
    cluster: &mut dyn Cluster,
) -> Result<WhoAmI, String> {
    let kb = crate::keystore::kibana::path_in(&plan.kibana_config);
    let ks = KibanaKeystore::load(&kb, Some(keystore_password)).ok();
    let get = |n: &str| {
        ks.as_ref()
            .and_then(|k| k.get(n))
            .map(|v| Secret::new(v.expose().to_string()))
    };
    let (chain, key) = match &plan.kibana_identity {
        Some((c, k)) => (Some(c.clone()), Some(k.clone())),
        None => (None, None),
    };
    let who = KibanaIdentity {
        chain_der: chain,
        key_pkcs8: key,
        server_ca_der: vec![plan.server_ca_der.clone()],
        token: get("elasticsearch.serviceAccountToken"),
        basic: match plan.mode.credential() {
            crate::plan::Credential::Password => {
                get("elasticsearch.password").map(|p| ("kibana_system".to_string(), p))
            }
            _ => None,
        },
    };
    let me = cluster.authenticate_as(&who).map_err(|e| e.0)?;
    let v = &plan.verify;
    if me.username != v.username || me.realm_type != v.realm_type {
        return Err(format!(
            "Elasticsearch authenticated Kibana as `{}` (realm type {}), expected `{}` ({})",
            me.username, me.realm_type, v.username, v.realm_type
        ));
    }
    if v.realm_type == "pki" && !me.roles.iter().any(|r| r == "kibana_system") {
        return Err(format!(
            "Kibana's certificate authenticates but has roles {:?}, not kibana_system: check the role mapping's DN",
            me.roles
        ));
    }
    if v.refused_without_cert {
        match cluster.refuses_without_cert(std::slice::from_ref(&plan.server_ca_der)) {
            Ok(true) => {}
            Ok(false) => return Err("a connection without a client certificate was accepted; is client_authentication: required active (restart Elasticsearch)?".into()),
            Err(e) => return Err(e.0),
        }
    }
    Ok(me)
}

#[cfg(test)]
mod journal_tests {
    use super::Journal;

    #[test]
    fn reads_journals_with_and_without_directories() {
        let old = r#"[{"target": "/etc/kibana/kibana.yml", "backup": null}]"#;
        assert!(matches!(
            serde_json::from_str::<Journal>(old).unwrap(),
            Journal::Files(f) if f.len() == 1
        ));
        let new =
            r#"{"files": [{"target": "/a", "backup": "/a.bak"}], "dirs": ["/etc/kibana/certs"]}"#;
        assert!(matches!(
            serde_json::from_str::<Journal>(new).unwrap(),
            Journal::Full { files, dirs } if files.len() == 1 && dirs.len() == 1
        ));
    }
}
