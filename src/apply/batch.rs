//! Phase 3 of apply: every file and keystore in one [`WriteBatch`], with a
//! journal written before the first rename, progress told per rename, the
//! operator's stop read between renames, and the test faults
//! (`ESMTLS_FAULT`, see the parent module).
//!
//! Order: stage every file; write the journal (`session::journal`: what to
//! undo, the directories made, the names of esmtls's own secrets); store
//! those secrets; back up; rename one by one; remove the journal. A kill at
//! any point before the journal is gone is undone by the next writer from
//! the journal, so esmtls's new CA password never outlives its files.
//!
//! Invariant: on any error — a failure, a fault, a stop — the renames already
//! done are undone by the batch before this returns, the secrets it stored
//! are put back as they were, the directories this run created are removed,
//! and the journal is gone; nothing is half-written (each rename is atomic).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::progress::{self, ActionId, ActionState, Cancel, Reporter};
use super::{ApplyError, STOPPED, Stop, err, journal_path, keystore_bytes, mkdir};
use crate::fsutil::{self, CommitEvent, Existing, FsError, Outcome, Undo, WriteBatch};
use crate::keystore::MODE_KEYSTORE;
use crate::keystore::secrets_store::{Backend, SecretStore};
use crate::plan::setup::Setup;
use crate::plan::types::Plan;
use crate::secret::Secret;
use crate::session::Journal;

/// What the batch changed, to report it and to undo it.
#[derive(Default)]
pub(super) struct Written {
    /// Each file and what happened to it.
    pub outcomes: Vec<(PathBuf, Outcome)>,
    /// How to undo the files written (symlinks resolved).
    pub undo: Vec<Undo>,
    /// Directories created.
    pub dirs: Vec<PathBuf>,
    /// esmtls's own secrets stored, with the value each had before.
    pub secrets: Vec<(String, Option<Secret>)>,
    /// Backups that hold a secret the run moved out of their file.
    pub private_backups: Vec<(PathBuf, PathBuf)>,
}

fn fault() -> Option<String> {
    std::env::var("ESMTLS_FAULT").ok()
}

/// Stores esmtls's own secrets (the new CA's password) in `store`; returns
/// the value each had before, for [`forget_secrets`].
fn remember_secrets(
    plan: &Plan,
    store: Option<&SecretStore>,
) -> Result<Vec<(String, Option<Secret>)>, String> {
    let Some(store) = store else {
        return Ok(Vec::new());
    };
    let mut before = Vec::new();
    for (name, value) in &plan.remember {
        let old = store.get(name).ok().flatten();
        store
            .set(name, value)
            .map_err(|e| format!("cannot store {name} in esmtls's secret store: {e}"))?;
        before.push((name.clone(), old));
    }
    Ok(before)
}

/// Puts esmtls's own secrets back as they were before this run.
pub(super) fn forget_secrets(setup: &Setup, before: &[(String, Option<Secret>)]) {
    if before.is_empty() {
        return;
    }
    let Ok(store) = crate::plan::secrets::open(setup) else {
        return;
    };
    for (name, old) in before {
        let _ = match old {
            Some(v) => store.set(name, v),
            None => store.delete(name).map(|_| ()),
        };
    }
}

/// The journal of this batch: the files, the directories made, the secrets
/// (their names, and the file store's directory when `store` is a file).
fn journal_of(
    plan: &Plan,
    setup: &Setup,
    store: Option<&SecretStore>,
    undo: &[Undo],
    dirs: &[PathBuf],
) -> Journal {
    let secrets_file_dir = store.and_then(|s| match s.backend() {
        Backend::File(p) => p.parent().and_then(|d| d.parent()).map(PathBuf::from),
        Backend::SecretService => None,
    });
    Journal {
        config: vec![setup.es_config.clone(), setup.kibana_config.clone()],
        files: undo.to_vec(),
        dirs: dirs.to_vec(),
        secrets: plan.remember.iter().map(|(n, _)| n.clone()).collect(),
        secrets_file_dir,
    }
}

/// The files whose current content holds a secret that this plan moves out
/// (a token or password in plain `kibana.yml`): their backups are 0600. A
/// secret is what the yml diffs mask ([`crate::yaml::is_secret_key`]), unless
/// it is an environment reference.
fn holds_secret(path: &std::path::Path) -> bool {
    let is_yml = path.extension().is_some_and(|e| e == "yml" || e == "yaml");
    is_yml
        && crate::yaml::YamlFile::read(path).is_ok_and(|y| {
            y.settings().iter().any(|s| {
                let text = s.value.as_list().join("");
                crate::yaml::is_secret_key(&s.key) && !text.is_empty() && !text.starts_with("${")
            })
        })
}

/// `pause-after-rename:N`: tell a test (on stderr, unless it is a terminal —
/// the wizard's screen must stay clean) and wait for the stop, at most a minute.
fn pause(n: usize, stop: &Cancel) {
    if !std::io::stderr().is_terminal() {
        eprintln!("ESMTLS_FAULT: paused after rename {n}, waiting for the stop");
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while !stop.is_cancelled() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `pause-after-rename:N` / `sleep-after-rename:N:MS` / `kill-…` / `fail-…`
/// after the n-th rename.
fn after_rename(
    fault: Option<&str>,
    n: usize,
    stop: &Cancel,
    dir: &std::path::Path,
) -> Result<(), FsError> {
    let mut parts = fault.unwrap_or_default().split(':');
    let (kind, at) = (parts.next().unwrap_or_default(), parts.next());
    if at.and_then(|k| k.parse().ok()) != Some(n) {
        return Ok(());
    }
    match kind {
        "kill-after-rename" => std::process::abort(),
        "fail-after-rename" => {
            return Err(FsError::NotWritable {
                dir: dir.to_path_buf(),
                reason: format!("ESMTLS_FAULT=fail-after-rename:{n}"),
            });
        }
        "pause-after-rename" => pause(n, stop),
        "sleep-after-rename" => {
            let ms = parts.next().and_then(|m| m.parse().ok()).unwrap_or(1000);
            eprintln!("ESMTLS_FAULT: sleeping after rename {n}");
            std::thread::sleep(Duration::from_millis(ms));
        }
        _ => {}
    }
    Ok(())
}

/// Makes the plan's directories and the batch of files and keystores.
fn prepare(
    plan: &Plan,
    from_api: &HashMap<usize, Secret>,
) -> Result<(WriteBatch, Vec<PathBuf>, Vec<PathBuf>), String> {
    let mut dirs = Vec::new();
    for d in &plan.mkdirs {
        if !d.exists() {
            if let Err(e) = mkdir(d) {
                fsutil::remove_created_dirs(&dirs);
                return Err(format!("cannot create {}: {e}", d.display()));
            }
            dirs.push(d.clone());
        }
    }
    let mut batch = WriteBatch::new();
    let mut private = Vec::new();
    for f in plan.files.iter().filter(|f| !f.unchanged) {
        batch.add(&f.path, f.content.clone(), f.mode, Existing::Replace);
        if f.exists && holds_secret(&f.path) {
            batch.private_backup(&f.path);
            private.push(f.path.clone());
        }
    }
    for k in &plan.keystores {
        match keystore_bytes(k, from_api) {
            Ok(Some(bytes)) => batch.add(&k.path, bytes, MODE_KEYSTORE, Existing::Replace),
            Ok(None) => {}
            Err(e) => {
                fsutil::remove_created_dirs(&dirs);
                return Err(e);
            }
        }
    }
    Ok((batch, dirs, private))
}

pub(super) fn write_all(
    plan: &Plan,
    setup: &Setup,
    from_api: &HashMap<usize, Secret>,
    rep: &Reporter<'_>,
    stop: &Cancel,
) -> Result<Written, ApplyError> {
    rep.tell(&ActionId::Prepare, ActionState::Running);
    let (batch, dirs, private) = prepare(plan, from_api).map_err(|e| {
        rep.tell(&ActionId::Prepare, ActionState::Failed(e.clone()));
        err(e)
    })?;
    if stop.is_cancelled() {
        fsutil::remove_created_dirs(&dirs);
        rep.tell(&ActionId::Prepare, ActionState::Undone);
        return Err(ApplyError {
            what: STOPPED.into(),
            restored: Vec::new(),
            stop: Stop::Cancelled,
        });
    }
    // esmtls's own secret store, opened once (it may probe the Secret Service).
    let store = if plan.remember.is_empty() {
        None
    } else {
        Some(crate::plan::secrets::open(setup).map_err(|e| {
            fsutil::remove_created_dirs(&dirs);
            rep.tell(&ActionId::Prepare, ActionState::Failed(e.to_string()));
            err(e.to_string())
        })?)
    };
    let journal = journal_path(setup);
    let track = Track::new(plan, rep);
    let secrets: RefCell<Vec<(String, Option<Secret>)>> = RefCell::new(Vec::new());
    let plan_fault = fault();
    let cancelled = Cell::new(false);
    let undo_list: RefCell<Vec<Undo>> = RefCell::new(Vec::new());
    let mut hook = |ev: CommitEvent<'_>| -> Result<(), FsError> {
        let stopped = || {
            cancelled.set(true);
            Err(FsError::NotWritable {
                dir: setup.state_dir.clone(),
                reason: STOPPED.into(),
            })
        };
        match ev {
            CommitEvent::Staged(undo) => {
                track.staged(undo);
                *undo_list.borrow_mut() = undo.to_vec();
                if plan_fault.as_deref() == Some("fail-before-commit") {
                    return Err(FsError::NotWritable {
                        dir: setup.state_dir.clone(),
                        reason: "ESMTLS_FAULT=fail-before-commit".into(),
                    });
                }
                if stop.is_cancelled() {
                    return stopped();
                }
                let j = journal_of(plan, setup, store.as_ref(), undo, &dirs);
                crate::session::journal::write(&journal, &j)?;
                // esmtls's own secrets with their files: the journal undoes both.
                *secrets.borrow_mut() =
                    remember_secrets(plan, store.as_ref()).map_err(|reason| {
                        FsError::NotWritable {
                            dir: setup.state_dir.clone(),
                            reason,
                        }
                    })?;
                rep.tell(&ActionId::Prepare, ActionState::Done);
                track.start(0);
                Ok(())
            }
            CommitEvent::Renamed(n) => {
                track.renamed(n);
                after_rename(plan_fault.as_deref(), n, stop, &setup.state_dir)?;
                if stop.is_cancelled() {
                    return stopped();
                }
                track.start(n);
                Ok(())
            }
        }
    };
    let r = batch.commit_with(&mut hook);
    let secrets = secrets.into_inner();
    let e = match r {
        Ok(outcomes) => {
            let _ = std::fs::remove_file(&journal);
            let private_backups = outcomes
                .iter()
                .filter_map(|(p, o)| match o {
                    Outcome::Replaced { backup } if private.contains(p) => {
                        Some((p.clone(), backup.clone()))
                    }
                    _ => None,
                })
                .collect();
            return Ok(Written {
                outcomes,
                undo: undo_list.into_inner(),
                dirs,
                secrets,
                private_backups,
            });
        }
        Err(e) => e,
    };
    forget_secrets(setup, &secrets);
    let _ = std::fs::remove_file(&journal);
    fsutil::remove_created_dirs(&dirs);
    Err(track.failed(e, cancelled.get()))
}

/// The progress of the renames, told to the observer.
struct Track<'r, 'o> {
    rep: &'r Reporter<'o>,
    all_writes: Vec<PathBuf>,
    /// The rename order: the targets whose content differs, as planned.
    targets: RefCell<Vec<PathBuf>>,
    renamed: Cell<usize>,
    running: Cell<Option<usize>>,
}

impl<'r, 'o> Track<'r, 'o> {
    fn new(plan: &Plan, rep: &'r Reporter<'o>) -> Self {
        Track {
            rep,
            all_writes: progress::writes(plan).into_iter().map(|w| w.0).collect(),
            targets: RefCell::new(Vec::new()),
            renamed: Cell::new(0),
            running: Cell::new(None),
        }
    }

    fn staged(&self, undo: &[Undo]) {
        let t: Vec<PathBuf> = undo
            .iter()
            .map(|u| u.link.clone().unwrap_or_else(|| u.target.clone()))
            .collect();
        for w in self.all_writes.iter().filter(|w| !t.contains(w)) {
            self.rep
                .tell(&ActionId::Write(w.clone()), ActionState::Done);
        }
        *self.targets.borrow_mut() = t;
    }

    fn start(&self, i: usize) {
        if let Some(t) = self.targets.borrow().get(i) {
            self.rep
                .tell(&ActionId::Write(t.clone()), ActionState::Running);
            self.running.set(Some(i));
        }
    }

    fn renamed(&self, n: usize) {
        self.renamed.set(n);
        self.running.set(None);
        if let Some(t) = self.targets.borrow().get(n - 1) {
            self.rep
                .tell(&ActionId::Write(t.clone()), ActionState::Done);
        }
    }

    /// Tells how the batch failed (the renames done are undone) and says so.
    fn failed(self, e: FsError, cancelled: bool) -> ApplyError {
        let targets = self.targets.into_inner();
        if let Some(i) = self.running.get() {
            self.rep.tell(
                &ActionId::Write(targets[i].clone()),
                ActionState::Failed(e.to_string()),
            );
        }
        let restored: Vec<PathBuf> = targets[..self.renamed.get()].to_vec();
        for t in restored.iter().rev() {
            self.rep
                .tell(&ActionId::Write(t.clone()), ActionState::Undone);
        }
        let prepare_failed = !cancelled && self.renamed.get() == 0 && self.running.get().is_none();
        self.rep.tell(
            &ActionId::Prepare,
            if prepare_failed {
                ActionState::Failed(e.to_string())
            } else {
                ActionState::Undone
            },
        );
        if cancelled {
            ApplyError {
                what: STOPPED.into(),
                restored,
                stop: Stop::Cancelled,
            }
        } else {
            ApplyError {
                what: format!("writing the files: {e}"),
                restored,
                stop: Stop::Failed,
            }
        }
    }
}
