//! Phase 3 of apply: every file and keystore in one [`WriteBatch`], with a
//! journal written before the first rename, progress told per rename, the
//! operator's stop read between renames, and the test faults
//! (`ESMTLS_FAULT`, see the parent module).
//!
//! Invariant: on any error — a failure, a fault, a stop — the renames already
//! done are undone by the batch before this returns, the directories this run
//! created are removed, and the journal is gone; nothing is half-written
//! (each rename is atomic).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::progress::{self, ActionId, ActionState, Cancel, Reporter};
use super::{ApplyError, STOPPED, Stop, err, journal_path, keystore_bytes, mkdir};
use crate::fsutil::{self, CommitEvent, Existing, FsError, Outcome, WriteBatch};
use crate::keystore::MODE_KEYSTORE;
use crate::plan::setup::Setup;
use crate::plan::types::Plan;
use crate::secret::Secret;

/// The files written and the directories created.
pub(super) type Written = (Vec<(PathBuf, Outcome)>, Vec<PathBuf>);

fn fault() -> Option<String> {
    std::env::var("ESMTLS_FAULT").ok()
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

pub(super) fn write_all(
    plan: &Plan,
    setup: &Setup,
    from_api: &HashMap<usize, Secret>,
    rep: &Reporter<'_>,
    stop: &Cancel,
) -> Result<Written, ApplyError> {
    rep.tell(&ActionId::Prepare, ActionState::Running);
    let failed = |e: String| {
        rep.tell(&ActionId::Prepare, ActionState::Failed(e.clone()));
        err(e)
    };
    // esmtls's own secrets first: a CA whose password is lost could not renew.
    if !plan.remember.is_empty() {
        let store = crate::plan::secrets::open(setup).map_err(|e| failed(e.to_string()))?;
        for (name, value) in &plan.remember {
            store.set(name, value).map_err(|e| {
                failed(format!("cannot store {name} in esmtls's secret store: {e}"))
            })?;
        }
    }
    let mut dirs = Vec::new();
    for d in &plan.mkdirs {
        if !d.exists() {
            if let Err(e) = mkdir(d) {
                fsutil::remove_created_dirs(&dirs);
                return Err(failed(format!("cannot create {}: {e}", d.display())));
            }
            dirs.push(d.clone());
        }
    }
    let mut batch = WriteBatch::new();
    for f in plan.files.iter().filter(|f| !f.unchanged) {
        batch.add(&f.path, f.content.clone(), f.mode, Existing::Replace);
    }
    for k in &plan.keystores {
        match keystore_bytes(k, from_api) {
            Ok(Some(bytes)) => batch.add(&k.path, bytes, MODE_KEYSTORE, Existing::Replace),
            Ok(None) => {}
            Err(e) => {
                fsutil::remove_created_dirs(&dirs);
                return Err(failed(e));
            }
        }
    }
    if stop.is_cancelled() {
        fsutil::remove_created_dirs(&dirs);
        rep.tell(&ActionId::Prepare, ActionState::Undone);
        return Err(ApplyError {
            what: STOPPED.into(),
            restored: Vec::new(),
            stop: Stop::Cancelled,
        });
    }

    let journal = journal_path(setup);
    let plan_fault = fault();
    let all_writes: Vec<PathBuf> = progress::writes(plan).into_iter().map(|w| w.0).collect();
    // The rename order: the targets whose content differs, in the batch's order.
    let targets: RefCell<Vec<PathBuf>> = RefCell::new(Vec::new());
    let renamed = Cell::new(0usize);
    let running: Cell<Option<usize>> = Cell::new(None);
    let cancelled = Cell::new(false);
    let start = |i: usize, targets: &[PathBuf]| {
        if let Some(t) = targets.get(i) {
            rep.tell(&ActionId::Write(t.clone()), ActionState::Running);
            running.set(Some(i));
        }
    };
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
                let t: Vec<PathBuf> = undo.iter().map(|u| u.target.clone()).collect();
                for w in all_writes.iter().filter(|w| !t.contains(w)) {
                    rep.tell(&ActionId::Write(w.clone()), ActionState::Done);
                }
                *targets.borrow_mut() = t;
                if plan_fault.as_deref() == Some("fail-before-commit") {
                    return Err(FsError::NotWritable {
                        dir: setup.state_dir.clone(),
                        reason: "ESMTLS_FAULT=fail-before-commit".into(),
                    });
                }
                if stop.is_cancelled() {
                    return stopped();
                }
                let _ = std::fs::create_dir_all(&setup.state_dir);
                let text = serde_json::to_vec_pretty(&super::Journal::Full {
                    files: undo.to_vec(),
                    dirs: dirs.clone(),
                })
                .unwrap_or_default();
                fsutil::write_file(&journal, text, fsutil::MODE_SECRET, Existing::Replace)?;
                rep.tell(&ActionId::Prepare, ActionState::Done);
                start(0, &targets.borrow());
                Ok(())
            }
            CommitEvent::Renamed(n) => {
                renamed.set(n);
                running.set(None);
                if let Some(t) = targets.borrow().get(n - 1) {
                    rep.tell(&ActionId::Write(t.clone()), ActionState::Done);
                }
                match plan_fault.as_deref().and_then(|f| f.split_once(':')) {
                    Some(("kill-after-rename", k)) if k.parse() == Ok(n) => std::process::abort(),
                    Some(("fail-after-rename", k)) if k.parse() == Ok(n) => {
                        return Err(FsError::NotWritable {
                            dir: setup.state_dir.clone(),
                            reason: format!("ESMTLS_FAULT=fail-after-rename:{n}"),
                        });
                    }
                    Some(("pause-after-rename", k)) if k.parse() == Ok(n) => pause(n, stop),
                    _ => {}
                }
                if stop.is_cancelled() {
                    return stopped();
                }
                start(n, &targets.borrow());
                Ok(())
            }
        }
    };
    let r = batch.commit_with(&mut hook);
    let _ = std::fs::remove_file(&journal);
    let e = match r {
        Ok(o) => return Ok((o, dirs)),
        Err(e) => e,
    };
    fsutil::remove_created_dirs(&dirs);
    let targets = targets.into_inner();
    let cancelled = cancelled.get();
    if let Some(i) = running.get() {
        rep.tell(
            &ActionId::Write(targets[i].clone()),
            ActionState::Failed(e.to_string()),
        );
    }
    let restored: Vec<PathBuf> = targets[..renamed.get()].to_vec();
    for t in restored.iter().rev() {
        rep.tell(&ActionId::Write(t.clone()), ActionState::Undone);
    }
    let prepare_failed = !cancelled && renamed.get() == 0 && running.get().is_none();
    rep.tell(
        &ActionId::Prepare,
        if prepare_failed {
            ActionState::Failed(e.to_string())
        } else {
            ActionState::Undone
        },
    );
    Err(if cancelled {
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
    })
}
