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
//! Fault injection for tests: `ESMTLS_FAULT=kill-after-rename:N` aborts the
//! process after the N-th rename (as a `kill -9` would), `fail-after-rename:N`
//! returns an error there, `fail-before-commit` fails after staging.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::fsutil::{self, CommitEvent, Existing, FsError, Outcome, Undo, WriteBatch};
use crate::keystore::{EsKeystore, KibanaKeystore, MODE_KEYSTORE, SystemRandom};
use crate::plan::setup::{Cluster, KibanaIdentity, Setup, WhoAmI};
use crate::plan::types::{EntryValue, KeystoreChange, KeystoreOp, Plan, Service};
use crate::secret::Secret;

/// How to apply.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Run the restart commands and wait for Elasticsearch.
    pub restart: bool,
    /// How long to wait for Elasticsearch after a restart.
    pub wait: Option<Duration>,
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

/// Why apply stopped. `restored` lists what was put back.
#[derive(Debug, thiserror::Error)]
#[error("{what}{}", restored_text(.restored))]
pub struct ApplyError {
    /// What failed and what to do.
    pub what: String,
    /// Files restored from their backups (or removed, when new).
    pub restored: Vec<PathBuf>,
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
    }
}

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

/// Undoes an interrupted apply, if its journal is there. Returns the files put back.
pub fn recover(setup: &Setup) -> Result<Vec<PathBuf>, ApplyError> {
    let path = journal_path(setup);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(Vec::new());
    };
    let undo: Vec<Undo> = serde_json::from_str(&text).map_err(|e| {
        err(format!(
            "the journal {} of an interrupted apply is damaged ({e}); restore the files from their .esmtls-*.bak backups and delete it",
            path.display()
        ))
    })?;
    fsutil::restore(&undo).map_err(|e| err(format!("undoing the interrupted apply: {e}")))?;
    let _ = std::fs::remove_file(&path);
    Ok(undo.into_iter().map(|u| u.target).collect())
}

fn fault() -> Option<String> {
    std::env::var("ESMTLS_FAULT").ok()
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

    // 2. API answers that files need.
    let mut from_api: HashMap<usize, Secret> = HashMap::new();
    let mut created_tokens: Vec<String> = Vec::new();
    let needed: Vec<usize> = plan
        .keystores
        .iter()
        .flat_map(|k| &k.ops)
        .filter_map(|op| match op {
            KeystoreOp::Set {
                value: EntryValue::FromApi(i),
                ..
            } => Some(*i),
            _ => None,
        })
        .collect();
    for i in needed {
        let call = &plan.api[i];
        let name = call.path.rsplit('/').next().unwrap_or_default();
        let token = cluster
            .create_service_token(name)
            .map_err(|e| err(format!("{} {}: {e}", call.method, call.path)))?;
        report.api.push(format!("{} {}", call.method, call.path));
        created_tokens.push(name.to_string());
        from_api.insert(i, token);
    }
    let compensate = |cluster: &mut dyn Cluster, notes: &mut Vec<String>| {
        for t in &created_tokens {
            if let Err(e) = cluster.delete_service_token(t) {
                notes.push(format!(
                    "could not delete the service token {t} made by this run: {e}"
                ));
            }
        }
    };

    // 3. Files and keystores, all together.
    let result = write_all(plan, setup, &from_api);
    let (outcomes, dirs) = match result {
        Ok(x) => x,
        Err(e) => {
            compensate(cluster, &mut report.notes);
            return Err(e);
        }
    };
    let undo = Undo::from_outcomes(&outcomes);
    report.files = outcomes;

    // 4. Cluster changes.
    for call in plan.api.iter().filter(|c| !c.deferred) {
        let r = if call.method == "PUT" && call.path.starts_with("/_security/role_mapping/") {
            let name = call.path.rsplit('/').next().unwrap_or_default();
            cluster.put_role_mapping(name, call.body.as_ref().unwrap_or(&serde_json::Value::Null))
        } else if call.path.ends_with("/_password") {
            match &call.secret {
                Some(pw) => cluster.change_password("kibana_system", pw),
                None => Ok(()),
            }
        } else {
            continue; // token creation ran in phase 2
        };
        if let Err(e) = r {
            let mut restored = Vec::new();
            if fsutil::restore(&undo).is_ok() {
                restored = undo.iter().map(|u| u.target.clone()).collect();
            }
            for d in dirs.iter().rev() {
                let _ = std::fs::remove_dir(d);
            }
            compensate(cluster, &mut report.notes);
            return Err(ApplyError {
                what: format!("{} {}: {e}", call.method, call.path),
                restored,
            });
        }
        report.api.push(format!("{} {}", call.method, call.path));
    }

    // 5. Restarts and verification.
    let es_changed = report
        .files
        .iter()
        .any(|(p, o)| *o != Outcome::Unchanged && p.starts_with(&plan.es_config));
    if opts.restart {
        for c in &plan.commands {
            let Some((prog, args)) = c.argv.split_first() else {
                continue;
            };
            let st = std::process::Command::new(prog)
                .args(args)
                .status()
                .map_err(|e| err(format!("cannot run `{}`: {e}", c.argv.join(" "))))?;
            if !st.success() {
                return Err(err(format!(
                    "`{}` failed ({st}); the files are written, restart by hand",
                    c.argv.join(" ")
                )));
            }
            report.ran.push(c.argv.join(" "));
        }
        let deadline = Instant::now() + opts.wait.unwrap_or(Duration::from_secs(120));
        while !cluster.reachable() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    if cluster.reachable() && (opts.restart || !es_changed) {
        report.verified = Some(verify(plan, &setup.kibana_keystore_password, cluster));
    } else if !plan.is_noop() {
        report.notes.push("Not verified yet: restart Elasticsearch and Kibana (or pass --restart), then run `esmtls apply` again — it changes nothing and verifies the connection as Kibana makes it.".into());
    }
    Ok(report)
}

/// The files written and the directories created.
type Written = (Vec<(PathBuf, Outcome)>, Vec<PathBuf>);

fn write_all(
    plan: &Plan,
    setup: &Setup,
    from_api: &HashMap<usize, Secret>,
) -> Result<Written, ApplyError> {
    // esmtls's own secrets first: a CA whose password is lost could not renew.
    if !plan.remember.is_empty() {
        let store = crate::plan::secrets::open(setup).map_err(|e| err(e.to_string()))?;
        for (name, value) in &plan.remember {
            store
                .set(name, value)
                .map_err(|e| err(format!("cannot store {name} in esmtls's secret store: {e}")))?;
        }
    }
    let mut dirs = Vec::new();
    for d in &plan.mkdirs {
        if !d.exists() {
            mkdir(d).map_err(|e| err(format!("cannot create {}: {e}", d.display())))?;
            dirs.push(d.clone());
        }
    }
    let cleanup = |dirs: &[PathBuf]| {
        for d in dirs.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    };
    let mut batch = WriteBatch::new();
    for f in plan.files.iter().filter(|f| !f.unchanged) {
        batch.add(&f.path, f.content.clone(), f.mode, Existing::Replace);
    }
    for k in &plan.keystores {
        match keystore_bytes(k, from_api) {
            Ok(Some(bytes)) => batch.add(&k.path, bytes, MODE_KEYSTORE, Existing::Replace),
            Ok(None) => {}
            Err(e) => {
                cleanup(&dirs);
                return Err(err(e));
            }
        }
    }
    let journal = journal_path(setup);
    let plan_fault = fault();
    let mut hook = |ev: CommitEvent<'_>| -> Result<(), FsError> {
        match ev {
            CommitEvent::Staged(undo) => {
                if plan_fault.as_deref() == Some("fail-before-commit") {
                    return Err(FsError::NotWritable {
                        dir: setup.state_dir.clone(),
                        reason: "ESMTLS_FAULT=fail-before-commit".into(),
                    });
                }
                let _ = std::fs::create_dir_all(&setup.state_dir);
                let text = serde_json::to_vec_pretty(undo).unwrap_or_default();
                fsutil::write_file(&journal, text, fsutil::MODE_SECRET, Existing::Replace)?;
                Ok(())
            }
            CommitEvent::Renamed(n) => {
                match plan_fault.as_deref().and_then(|f| f.split_once(':')) {
                    Some(("kill-after-rename", k)) if k.parse() == Ok(n) => std::process::abort(),
                    Some(("fail-after-rename", k)) if k.parse() == Ok(n) => {
                        Err(FsError::NotWritable {
                            dir: setup.state_dir.clone(),
                            reason: format!("ESMTLS_FAULT=fail-after-rename:{n}"),
                        })
                    }
                    _ => Ok(()),
                }
            }
        }
    };
    let r = batch.commit_with(&mut hook);
    let _ = std::fs::remove_file(&journal);
    match r {
        Ok(o) => Ok((o, dirs)),
        Err(e) => {
            cleanup(&dirs);
            Err(err(format!("writing the files: {e}")))
        }
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
