//! The one executor of a [`Plan`]: the only code that writes files and
//! keystores or changes the cluster for a setup.
//!
//! The caller holds the setup's locks and has recovered any interrupted
//! earlier run before it planned ([`crate::session::Writer`]).
//!
//! Order, and what a failure at each point leaves:
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
//! Child processes (the restart commands) get an environment without any
//! variable that holds a secret ([`child_env`]).
//!
//! Tests inject faults with `ESMTLS_FAULT` (docs/DEVELOPING.md).

mod batch;
mod progress;
pub mod revoke;

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
    /// Once the new credential is verified, revoke the ones it replaced
    /// ([`revoke::revoke_replaced`]); without it the report says which are still valid.
    pub revoke_replaced: bool,
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
    crate::session::journal::path_for(&setup.state_dir, &[&setup.es_config, &setup.kibana_config])
}

/// The environment a child process gets: this one's, without any variable
/// that holds a secret (`ESMTLS_*`, and any name with PASSWORD, PASSPHRASE,
/// TOKEN, SECRET or API_KEY in it; a `…_FILE` variable names a file, not a
/// secret, and stays — Elasticsearch's `ES_KEYSTORE_PASSPHRASE_FILE`).
pub fn child_env() -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    scrub(std::env::vars_os())
}

fn scrub(
    vars: impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
) -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    vars.filter(|(k, _)| {
        let k = k.to_string_lossy().to_ascii_uppercase();
        let secret = k.starts_with("ESMTLS_")
            || [
                "PASSWORD",
                "PASSPHRASE",
                "TOKEN",
                "SECRET",
                "API_KEY",
                "APIKEY",
            ]
            .iter()
            .any(|w| k.contains(w));
        !secret || (k.ends_with("_FILE") && !k.starts_with("ESMTLS_"))
    })
    .collect()
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
    /// esmtls's own secrets stored, with their values before.
    secrets: Vec<(String, Option<Secret>)>,
}

impl Changed {
    /// Undoes everything; the error says what was put back and what could not be.
    fn undo(
        &self,
        setup: &Setup,
        cluster: &mut dyn Cluster,
        rep: &Reporter<'_>,
        what: String,
        stop: Stop,
    ) -> ApplyError {
        batch::forget_secrets(setup, &self.secrets);
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
    let mut report = Report::default();
    let rep = Reporter::new(actions(plan, opts.restart), &opts.observer);
    let stop = &opts.cancel;
    let mut changed = Changed::default();

    // 2. API answers that files need.
    let mut from_api: HashMap<usize, Secret> = HashMap::new();
    for i in progress::producers(plan) {
        if stop.is_cancelled() {
            return Err(changed.undo(setup, cluster, &rep, STOPPED.into(), Stop::Cancelled));
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
                return Err(changed.undo(setup, cluster, &rep, what, Stop::Failed));
            }
        }
    }

    // 3. Files and keystores, all together.
    match batch::write_all(plan, setup, &from_api, &rep, stop) {
        Ok(w) => {
            changed.undo = w.undo;
            changed.dirs = w.dirs;
            changed.secrets = w.secrets;
            report.files = w.outcomes;
            remember_restarts(plan, setup, &mut report);
            for (file, backup) in w.private_backups {
                report.notes.push(format!(
                    "the backup {} holds the secret that was in {} (written 0600); delete it once `esmtls apply` has verified that Kibana connects with its keystore",
                    backup.display(),
                    file.display()
                ));
            }
        }
        Err(e) => {
            // The batch undid its own renames; what is left are the tokens.
            let mut e2 = changed.undo(setup, cluster, &rep, e.what, e.stop);
            e2.restored = e.restored;
            return Err(e2);
        }
    }

    // 4. Cluster changes.
    for i in (0..plan.api.len()).filter(|i| progress::is_cluster_change(plan, *i)) {
        if stop.is_cancelled() {
            return Err(changed.undo(setup, cluster, &rep, STOPPED.into(), Stop::Cancelled));
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
            return Err(changed.undo(setup, cluster, &rep, what, Stop::Failed));
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
                .env_clear()
                .envs(child_env())
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
    if !setup.sides.kibana() {
        // A node of a cluster: Kibana's identity is on Kibana's host, which verifies every node.
        rep.tell(
            &ActionId::Verify,
            ActionState::Skipped("verified from Kibana's host".into()),
        );
        if opts.restart && cluster.reachable() {
            forget_restarts(setup, &[Service::Elasticsearch], &mut report);
        }
        if opts.restart {
            report.notes.push("This node is back (with admin credentials, and where the node answers this host without a client certificate: the cluster health is what it was). Kibana's connection is verified from Kibana's host (`esmtls apply --bundle DIR/<kibana> --restart`, or `esmtls doctor`).".into());
        }
    } else if (opts.restart || !es_changed) && cluster.reachable() {
        rep.tell(&ActionId::Verify, ActionState::Running);
        let v = verify(plan, &setup.kibana_keystore_password, cluster);
        rep.tell(
            &ActionId::Verify,
            match &v {
                Ok(_) => ActionState::Done,
                Err(e) => ActionState::Failed(e.clone()),
            },
        );
        if v.is_ok() {
            // Verified: what this run changed counts as restarted only after `--restart`.
            let kb_changed = changed_sides(plan, &report.files).contains(&Service::Kibana);
            let mut done = vec![Service::Elasticsearch];
            if opts.restart || !kb_changed {
                done.push(Service::Kibana);
            }
            forget_restarts(setup, &done, &mut report);
            replaced_after_verification(plan, setup, cluster, opts, &mut report);
        } else if !plan.replaced.is_empty() {
            report.notes.push(REPLACED_UNTIL_VERIFIED.into());
        }
        report.verified = Some(v);
    } else {
        let why = if plan.is_noop() {
            "Elasticsearch is not reachable"
        } else {
            "restart Elasticsearch and Kibana first"
        };
        rep.tell(&ActionId::Verify, ActionState::Skipped(why.into()));
        if !plan.replaced.is_empty() {
            report.notes.push(REPLACED_UNTIL_VERIFIED.into());
        }
        if !plan.is_noop() {
            report.notes.push(NOT_VERIFIED_YET.into());
        }
    }
    Ok(report)
}

/// The note when a plan replaced Kibana's credential but it is not verified.
pub const REPLACED_UNTIL_VERIFIED: &str = "The replaced credentials stay valid until the new one is verified; then `esmtls apply --revoke-replaced` revokes them.";

/// The note when files changed but the connection could not be verified yet.
pub const NOT_VERIFIED_YET: &str = "Not verified yet: restart Elasticsearch and Kibana (or pass --restart), then run `esmtls apply` again — it changes nothing and verifies the connection as Kibana makes it.";

/// The sides whose files or keystore this run changed.
fn changed_sides(plan: &Plan, files: &[(PathBuf, Outcome)]) -> Vec<Service> {
    let changed = |dir: &Path, service: Service| {
        files
            .iter()
            .any(|(p, o)| *o != Outcome::Unchanged && p.starts_with(dir))
            || plan
                .keystores
                .iter()
                .any(|k| k.service == service && !k.ops.is_empty())
    };
    [
        (Service::Elasticsearch, &plan.es_config),
        (Service::Kibana, &plan.kibana_config),
    ]
    .into_iter()
    .filter(|(s, d)| changed(d, *s))
    .map(|(s, _)| s)
    .collect()
}

/// Records the restarts this run made necessary (not for an output folder,
/// whose files are applied, and restarted, elsewhere, nor for a plan whose
/// changes need none, [`Plan::restart_free`]); see
/// [`crate::plan::restart_pending`].
fn remember_restarts(plan: &Plan, setup: &Setup, report: &mut Report) {
    if plan.out_dir.is_some() {
        return;
    }
    let sides = if plan.restart_free {
        Vec::new()
    } else {
        changed_sides(plan, &report.files)
    };
    if let Err(e) = crate::plan::restart_pending::record(setup, &sides)
        .and_then(|_| crate::plan::restart_pending::remember_replaced(setup, &plan.replaced))
    {
        report
            .notes
            .push(format!("esmtls could not note the pending restart: {e}"));
    }
}

/// The new credential is verified: revoke what it replaced (`--revoke-replaced`),
/// or say which old credentials still work and how to revoke them.
fn replaced_after_verification(
    plan: &Plan,
    setup: &Setup,
    cluster: &mut dyn Cluster,
    opts: &Options,
    report: &mut Report,
) {
    if plan.replaced.is_empty() {
        return;
    }
    if !opts.revoke_replaced {
        report.notes.extend(revoke::still_valid(&plan.replaced));
        return;
    }
    let outcomes = revoke::revoke_replaced(&plan.replaced, cluster);
    let settled: Vec<_> = outcomes
        .iter()
        .filter(|(_, o)| o.settled())
        .map(|(r, _)| r.clone())
        .collect();
    report.notes.extend(outcomes.iter().map(|(_, o)| o.line()));
    if let Err(e) = crate::plan::restart_pending::forget_replaced(setup, &settled) {
        report
            .notes
            .push(format!("esmtls could not update its state: {e}"));
    }
}

/// Forgets the pending restarts of `sides` (verified).
fn forget_restarts(setup: &Setup, sides: &[Service], report: &mut Report) {
    if let Err(e) = crate::plan::restart_pending::clear(setup, sides) {
        report
            .notes
            .push(format!("esmtls could not clear the pending restart: {e}"));
    }
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
mod tests {
    #[test]
    fn a_child_gets_no_secret_from_the_environment() {
        let vars = [
            "PATH",
            "HOME",
            "ESMTLS_ES_PASSWORD",
            "ESMTLS_ES_API_KEY",
            "ESMTLS_ES_USERNAME",
            "ELASTIC_PASSWORD",
            "my_api_key",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "KEYSTORE_PASSPHRASE",
            "ES_KEYSTORE_PASSPHRASE_FILE",
            "ESMTLS_CA_PASSWORD_FILE",
        ]
        .map(|k| (k.into(), "v".into()));
        let kept: Vec<String> = super::scrub(vars.into_iter())
            .into_iter()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        assert_eq!(kept, ["PATH", "HOME", "ES_KEYSTORE_PASSPHRASE_FILE"]);
    }
}
