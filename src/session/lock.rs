//! The advisory lock that makes esmtls one writer per config directory.
//!
//! One lock file per config directory, in esmtls's state directory
//! (`locks/<digest of the canonical directory>.lock`, mode 0600), locked with
//! `flock` through [`std::fs::File::try_lock`]. The kernel releases the lock
//! when its holder exits, however it exits, so a lock left by a dead process
//! (a `kill -9`, a power loss) is simply free again: taking it over needs no
//! guessing from pids. The file also holds who has it (pid, start time,
//! command), only to name the holder when a second writer is refused.
//!
//! `flock` locks belong to the open file, so a process takes each lock once
//! and keeps the [`Held`] for as long as it writes (the wizard: its whole run).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A lock this process holds; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct Held {
    _file: File,
    /// The config directory it guards.
    pub dir: PathBuf,
}

/// Who holds a lock, as its file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The holder's process id ("?" when the file does not say).
    pub pid: String,
    /// When it started (UTC), as written.
    pub started: String,
    /// What it runs (`esmtls apply`, the wizard…).
    pub command: String,
}

/// Why a lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another process holds it.
    Busy(Holder),
    /// The lock file cannot be made or opened.
    Io(PathBuf, std::io::Error),
}

/// The canonical form of a config directory (as given when it does not exist yet).
pub fn canonical(dir: &Path) -> PathBuf {
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// The lock file of a config directory.
pub fn lock_path(state_dir: &Path, dir: &Path) -> PathBuf {
    let digest = Sha256::digest(canonical(dir).to_string_lossy().as_bytes());
    state_dir
        .join("locks")
        .join(format!("{}.lock", hex::encode(&digest[..8])))
}

fn open(state_dir: &Path, dir: &Path) -> Result<(File, PathBuf), LockError> {
    let path = lock_path(state_dir, dir);
    if let Some(parent) = path.parent() {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|e| LockError::Io(parent.to_path_buf(), e))?;
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(|e| LockError::Io(path.clone(), e))?;
    Ok((file, path))
}

fn holder(file: &mut File) -> Holder {
    let mut text = String::new();
    let _ = file.rewind().and_then(|_| file.read_to_string(&mut text));
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k).map(str::trim).map(String::from))
            .unwrap_or_else(|| "?".into())
    };
    Holder {
        pid: field("pid="),
        started: field("started="),
        command: field("command="),
    }
}

/// Takes the lock of `dir` at once, or says who has it.
pub fn take(state_dir: &Path, dir: &Path, command: &str) -> Result<Held, LockError> {
    let (mut file, path) = open(state_dir, dir)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => return Err(LockError::Busy(holder(&mut file))),
        Err(std::fs::TryLockError::Error(e)) => return Err(LockError::Io(path, e)),
    }
    let started = crate::fsutil::utc_now_text();
    let text = format!(
        "pid={}\nstarted={started}\ncommand={command}\ndir={}\n",
        std::process::id(),
        canonical(dir).display()
    );
    // Who holds it is informative only: a failure here does not lose the lock.
    let _ = file
        .set_len(0)
        .and_then(|_| file.rewind())
        .and_then(|_| file.write_all(text.as_bytes()))
        .and_then(|_| file.flush());
    Ok(Held {
        _file: file,
        dir: dir.to_path_buf(),
    })
}

/// Who holds the lock of `dir` right now, if anyone (the lock is not kept).
pub fn holder_of(state_dir: &Path, dir: &Path) -> Option<Holder> {
    let path = lock_path(state_dir, dir);
    let mut file = OpenOptions::new().read(true).open(path).ok()?;
    match file.try_lock_shared() {
        Ok(()) => None,
        Err(_) => Some(holder(&mut file)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_taker_is_told_who_holds_it_and_a_dropped_lock_is_free() {
        let state = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let held = take(state.path(), dir.path(), "esmtls apply").unwrap();
        let Err(LockError::Busy(h)) = take(state.path(), dir.path(), "esmtls renew") else {
            panic!("the second lock must be refused");
        };
        assert_eq!(h.pid, std::process::id().to_string());
        assert_eq!(h.command, "esmtls apply");
        assert!(h.started.ends_with("UTC"), "{h:?}");
        assert!(holder_of(state.path(), dir.path()).is_some());
        drop(held);
        assert!(holder_of(state.path(), dir.path()).is_none());
        take(state.path(), dir.path(), "esmtls renew").unwrap();
    }
}
