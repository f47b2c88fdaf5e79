//! Recovery first, one writer at a time: what every command that reads or
//! writes a setup does before anything else.
//!
//! - A **writer** (`apply`, `renew`, `keystore add/remove/create`, the
//!   wizard) calls [`Writer::take`] with the config directories it may
//!   change. It takes their locks ([`lock`]) for its whole run; a second
//!   writer is refused at once ([`SessionError::Busy`]) and never touches the
//!   first one's journal. Holding the locks, it removes the temporary files a
//!   killed run left and recovers every journal ([`journal`]) that concerns
//!   its directories, *before* it plans: it then plans from the tree as it
//!   was before the interrupted run.
//! - A **reader** (`plan`, `status`, `doctor`, `keystore list/show`) calls
//!   [`pending`]: an interrupted run is reported, not recovered, and a run in
//!   progress is named.

pub mod journal;
pub mod lock;

use std::path::{Path, PathBuf};

pub use journal::{Journal, Recovered};
pub use lock::Holder;

/// Why a command may not go on with this setup.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// Another esmtls holds the lock of one of the directories.
    #[error(
        "another esmtls is changing this setup (pid {pid}, started {started}: {command} on {dir}); wait until it ends, then run again",
        pid = holder.pid, started = holder.started, command = holder.command, dir = dir.display()
    )]
    Busy {
        /// Who holds it.
        holder: Holder,
        /// The directory whose lock is held.
        dir: PathBuf,
    },
    /// A lock file cannot be made.
    #[error("cannot lock {}: {reason}; esmtls keeps its locks under its state directory, which must be writable", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// An interrupted run's journal could not be recovered.
    #[error("{0}")]
    Recovery(String),
}

/// The locks of a writer, held until it is dropped, and what it recovered.
#[derive(Debug)]
pub struct Writer {
    state_dir: PathBuf,
    locks: Vec<lock::Held>,
    /// Files that recoveries put back (or removed), in order.
    pub restored: Vec<PathBuf>,
    /// Files recovery left as they are, with why.
    pub left: Vec<String>,
    /// Temporary files of a killed run that were removed.
    pub temps_removed: Vec<PathBuf>,
}

impl Writer {
    /// Takes the locks of `dirs` for `command`, then clears what killed runs
    /// left in them (temporary files, journals). See the module documentation.
    pub fn take(state_dir: &Path, dirs: &[&Path], command: &str) -> Result<Writer, SessionError> {
        let mut w = Writer {
            state_dir: state_dir.to_path_buf(),
            locks: Vec::new(),
            restored: Vec::new(),
            left: Vec::new(),
            temps_removed: Vec::new(),
        };
        for d in dirs {
            w.lock(d, command)?;
        }
        for d in dirs {
            w.temps_removed.extend(sweep_temps(d));
        }
        // The temporary files of this setup's own state: its secret store
        // file (the CA password) and its journal.
        let id = crate::keystore::secrets_store::SetupId::from_config_dirs(dirs);
        let secrets = state_dir
            .join("secrets")
            .join(format!("{}.json", id.as_str()));
        for f in [secrets, journal::path_for(state_dir, dirs)] {
            w.temps_removed
                .extend(crate::fsutil::remove_stale_temps(&f));
        }
        w.recover_journals(command)?;
        Ok(w)
    }

    /// The canonical directories this writer holds.
    fn held(&self) -> Vec<PathBuf> {
        self.locks.iter().map(|l| lock::canonical(&l.dir)).collect()
    }

    fn lock(&mut self, dir: &Path, command: &str) -> Result<(), SessionError> {
        if self.held().contains(&lock::canonical(dir)) {
            return Ok(());
        }
        match lock::take(&self.state_dir, dir, command) {
            Ok(h) => {
                self.locks.push(h);
                Ok(())
            }
            Err(lock::LockError::Busy(holder)) => Err(SessionError::Busy {
                holder,
                dir: dir.to_path_buf(),
            }),
            Err(lock::LockError::Io(path, e)) => Err(SessionError::Lock {
                path,
                reason: e.to_string(),
            }),
        }
    }

    /// Recovers every journal that concerns the held directories, first
    /// taking the locks of any other directory such a journal names.
    fn recover_journals(&mut self, command: &str) -> Result<(), SessionError> {
        for path in journal::all(&self.state_dir) {
            let j = journal::read(&path).map_err(SessionError::Recovery)?;
            if !j.touches(&self.held()) {
                continue;
            }
            for d in &j.config {
                self.lock(d, command)?;
            }
            let r = journal::recover(&path, &j).map_err(SessionError::Recovery)?;
            self.restored.extend(r.restored);
            self.left.extend(r.left);
        }
        Ok(())
    }

    /// True when a recovery changed something.
    pub fn recovered_anything(&self) -> bool {
        !self.restored.is_empty()
    }
}

/// The temporary files a killed run left in `dir` and its direct subdirectories.
fn sweep_temps(dir: &Path) -> Vec<PathBuf> {
    let mut removed = crate::fsutil::remove_stale_temps_in(dir);
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                removed.extend(crate::fsutil::remove_stale_temps_in(&e.path()));
            }
        }
    }
    removed
}

/// A run of another esmtls that concerns a reader's directories.
#[derive(Debug, Clone)]
pub enum Pending {
    /// It was interrupted: its journal waits for the next writer.
    Interrupted {
        /// The journal.
        journal: PathBuf,
    },
    /// It is running now.
    Running {
        /// Who runs it.
        holder: Holder,
    },
}

impl std::fmt::Display for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pending::Interrupted { journal } => write!(
                f,
                "an earlier apply was interrupted and left files half-written (journal {}): run `esmtls apply` to restore them (it restores, then applies), or the wizard",
                journal.display()
            ),
            Pending::Running { holder } => write!(
                f,
                "another esmtls is changing this setup right now (pid {}, started {}: {}); what is read may be half-written",
                holder.pid, holder.started, holder.command
            ),
        }
    }
}

/// For a reader: a run that is interrupted or in progress on `dirs`, if any.
pub fn pending(state_dir: &Path, dirs: &[&Path]) -> Option<Pending> {
    for d in dirs {
        if let Some(holder) = lock::holder_of(state_dir, d) {
            return Some(Pending::Running { holder });
        }
    }
    let held: Vec<PathBuf> = dirs.iter().map(|d| lock::canonical(d)).collect();
    journal::all(state_dir).into_iter().find_map(|path| {
        let j = journal::read(&path).ok();
        let concerns = j.as_ref().is_none_or(|j| j.touches(&held));
        if !concerns {
            return None;
        }
        let running = j
            .iter()
            .flat_map(|j| &j.config)
            .find_map(|d| lock::holder_of(state_dir, d));
        Some(match running {
            Some(holder) => Pending::Running { holder },
            None => Pending::Interrupted { journal: path },
        })
    })
}
