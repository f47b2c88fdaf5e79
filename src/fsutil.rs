//! The one place that writes files: atomic, backed up, permission-preserving.
//!
//! Every file esmtls changes goes through [`WriteBatch`]:
//! - each new content is first written to a temporary file in the *same*
//!   directory, fsynced, and given its final mode (0600 for keys and keystores);
//! - only when every temporary file is ready are they renamed over their
//!   targets, one by one; if a rename fails, the targets already replaced are
//!   put back from their backups and the new files are removed, so a failure
//!   leaves the previous state;
//! - an existing target is never replaced unless the caller allows it, and
//!   then a timestamped backup (same mode, same owner) is made beside it first;
//! - a target whose content is already identical is not touched at all, so a
//!   second run with the same input writes nothing;
//! - when an existing file is replaced, its mode and owner are kept unless the
//!   caller asks for a stricter mode.
//!
//! No crate does this whole sequence (tempfile does the temporary file and the
//! rename; the backup, rollback and owner keeping are ours).

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Mode for files that hold private keys, keystores or other secrets.
pub const MODE_SECRET: u32 = 0o600;
/// Mode for public material (certificates, CA chains, READMEs).
pub const MODE_PUBLIC: u32 = 0o644;

/// What to do when the target already exists with different content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Refuse: the caller did not say `--force`.
    Refuse,
    /// Replace, after a backup beside it.
    Replace,
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The file did not exist and was created.
    Created,
    /// The file existed with other content; it was replaced, the old one kept at `backup`.
    Replaced {
        /// Where the previous content was saved.
        backup: PathBuf,
    },
    /// The file already had exactly this content; nothing was written.
    Unchanged,
}

/// Why a write did not happen. Nothing was changed when this is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FsError {
    /// The target exists and replacing was not allowed.
    #[error("{path} already exists; pass --force to replace it (a backup is kept)")]
    Exists {
        /// The target.
        path: PathBuf,
    },
    /// The directory that should hold the file does not exist.
    #[error("the directory {dir} does not exist; create it first")]
    NoDirectory {
        /// The missing directory.
        dir: PathBuf,
    },
    /// The directory exists but a file cannot be created in it.
    #[error("cannot write in {dir}: {reason}")]
    NotWritable {
        /// The directory.
        dir: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// Another I/O failure, with the file it concerns.
    #[error("{action} {path}: {reason}")]
    Io {
        /// What was being done ("cannot read", "cannot back up", ...).
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// A symlinked target that esmtls will not write through.
    #[error(
        "{link} is a symlink to {target}, which is {why}; point the link at a regular file in a directory esmtls may write, or replace the link with the file"
    )]
    Symlink {
        /// The link as given.
        link: PathBuf,
        /// Where it leads.
        target: PathBuf,
        /// Why it is refused.
        why: String,
    },
    /// The same target was added twice to one batch.
    #[error("{path} is the target of two outputs; give them different names")]
    DuplicateTarget {
        /// The target.
        path: PathBuf,
    },
}

fn io_err(action: &'static str, path: &Path, e: std::io::Error) -> FsError {
    FsError::Io {
        action,
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// One target on its way: its temporary file until renamed, and its backup.
struct Staged<'a> {
    /// The path as the caller gave it (maybe a symlink).
    given: &'a Path,
    /// The file that gets the content (the link's target).
    target: PathBuf,
    temp: Option<tempfile::TempPath>,
    backup: Option<PathBuf>,
    /// The backup holds a secret: 0600.
    private: bool,
    /// SHA-256 of the new content.
    written: String,
    /// The target's mode before, when it exists.
    old_mode: Option<u32>,
    renamed: bool,
}

impl Staged<'_> {
    fn undo(&self) -> Undo {
        Undo {
            target: self.target.clone(),
            backup: self.backup.clone(),
            written: Some(self.written.clone()),
            link: (self.given != self.target).then(|| self.given.to_path_buf()),
            mode: self.old_mode,
        }
    }
}

/// SHA-256 of `bytes`, in hex: how a journal recognises what its run wrote.
pub fn digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A target as resolved through symlinks, with its content (None: absent).
type Current = (PathBuf, Option<Vec<u8>>);

/// A set of files written all together or not at all.
#[derive(Default)]
pub struct WriteBatch {
    items: Vec<(PathBuf, Vec<u8>, u32, Existing)>,
    /// Targets whose current content holds a secret: their backups are 0600.
    private_backups: Vec<PathBuf>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file. `mode` is the mode of a new file; when an existing file is
    /// replaced its own mode is kept, tightened to `mode` if `mode` is stricter.
    pub fn add(
        &mut self,
        path: impl Into<PathBuf>,
        content: Vec<u8>,
        mode: u32,
        existing: Existing,
    ) {
        self.items.push((path.into(), content, mode, existing));
    }

    /// Marks `path`'s current content as holding a secret (a token or password
    /// esmtls moves out of it): its backup is written 0600, whatever the
    /// file's own mode, so the secret does not stay readable by others.
    pub fn private_backup(&mut self, path: impl Into<PathBuf>) {
        self.private_backups.push(path.into());
    }

    /// Checks every target without writing: directories exist and are
    /// writable, no target is refused. Called by [`WriteBatch::commit`] first.
    pub fn check(&self) -> Result<(), FsError> {
        self.current_contents().map(|_| ())
    }

    /// The checks of [`WriteBatch::check`]; returns each target as resolved
    /// through symlinks with its current content (None when it does not
    /// exist), so `commit` resolves and reads it only once.
    fn current_contents(&self) -> Result<Vec<Current>, FsError> {
        let mut seen = std::collections::HashSet::new();
        let mut olds = Vec::new();
        for (given, content, _, existing) in &self.items {
            let path = resolve(given)?;
            if !seen.insert(path.clone()) {
                return Err(FsError::DuplicateTarget { path: path.clone() });
            }
            let dir = parent_dir(&path);
            match fs::metadata(&dir) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    return Err(FsError::NotWritable {
                        dir,
                        reason: "it is not a directory".into(),
                    });
                }
                Err(_) => return Err(FsError::NoDirectory { dir }),
            }
            let old = match fs::read(&path) {
                Ok(old) => Some(old),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(io_err("cannot read", &path, e)),
            };
            if old.as_ref().is_some_and(|o| o != content) && *existing == Existing::Refuse {
                return Err(FsError::Exists { path });
            }
            olds.push((path, old));
        }
        Ok(olds)
    }

    /// Writes every file, or none: see the module documentation.
    pub fn commit(self) -> Result<Vec<(PathBuf, Outcome)>, FsError> {
        self.commit_with(&mut |_| Ok(()))
    }

    /// [`WriteBatch::commit`], telling `hook` when every file is staged (with
    /// the undo list, so a caller can journal it before anything is backed up
    /// or renamed) and after each rename. A hook error stops the commit and
    /// undoes the renames already done.
    ///
    /// A target that is a symlink is written through the link: the link
    /// stays, the file it points to gets the content (see [`resolve`]).
    pub fn commit_with(
        self,
        hook: &mut dyn FnMut(CommitEvent<'_>) -> Result<(), FsError>,
    ) -> Result<Vec<(PathBuf, Outcome)>, FsError> {
        let olds = self.current_contents()?;
        // Stage: temporary files next to their targets, complete and synced.
        let mut staged = Vec::new();
        for ((given, content, mode, _), (target, old)) in self.items.iter().zip(olds) {
            let temp = if old.as_deref() == Some(content.as_slice()) {
                None
            } else {
                Some(stage(&target, content, *mode)?)
            };
            // The backup's name is chosen now, so the journal can name it
            // before it exists: a kill while backing up leaves nothing unnamed.
            let backup = (temp.is_some() && old.is_some()).then(|| backup_name(&target));
            let private = self.private_backups.contains(given);
            let old_mode = fs::metadata(&target).ok().map(|m| m.mode() & 0o7777);
            staged.push(Staged {
                given,
                target,
                temp,
                backup,
                private,
                written: digest(content),
                old_mode,
                renamed: false,
            });
        }
        let undo: Vec<Undo> = staged
            .iter()
            .filter(|s| s.temp.is_some())
            .map(Staged::undo)
            .collect();
        hook(CommitEvent::Staged(&undo))?;
        // Back up every file about to be replaced, before renaming any.
        for i in 0..staged.len() {
            let Some(b) = staged[i].backup.clone() else {
                continue;
            };
            let mode = staged[i].private.then_some(MODE_SECRET);
            if let Err(e) = backup_to(&staged[i].target, &b, mode) {
                for s in &staged[..i] {
                    if let Some(b) = &s.backup {
                        let _ = fs::remove_file(b);
                    }
                }
                return Err(e);
            }
        }
        let undo_done = |staged: &[Staged<'_>]| {
            let done: Vec<Undo> = staged
                .iter()
                .filter(|s| s.renamed)
                .map(Staged::undo)
                .collect();
            let _ = restore(&done);
            // The backups of files not replaced yet are plain copies.
            for b in staged
                .iter()
                .filter(|s| !s.renamed)
                .filter_map(|s| s.backup.as_ref())
            {
                let _ = fs::remove_file(b);
            }
        };
        // Commit: rename one by one; on failure undo the renames already done.
        let mut renamed = 0;
        for i in 0..staged.len() {
            let Some(temp) = staged[i].temp.take() else {
                continue;
            };
            if let Err(e) = temp.persist(&staged[i].target) {
                undo_done(&staged);
                return Err(io_err("cannot replace", &staged[i].target, e.error));
            }
            staged[i].renamed = true;
            sync_dir(&parent_dir(&staged[i].target));
            renamed += 1;
            if let Err(e) = hook(CommitEvent::Renamed(renamed)) {
                undo_done(&staged);
                return Err(e);
            }
        }
        Ok(staged
            .into_iter()
            .map(|s| {
                let outcome = match (s.renamed, s.backup) {
                    (true, Some(backup)) => Outcome::Replaced { backup },
                    (true, None) => Outcome::Created,
                    (false, _) => Outcome::Unchanged,
                };
                (s.given.to_path_buf(), outcome)
            })
            .collect())
    }
}

/// What [`WriteBatch::commit_with`] reports to its hook.
#[derive(Debug)]
pub enum CommitEvent<'a> {
    /// Every file is staged and backed up; nothing renamed yet. The list undoes
    /// the commit (see [`restore`]).
    Staged(&'a [Undo]),
    /// This many files have been renamed into place.
    Renamed(usize),
}

/// How to undo one write: put `backup` back, or remove a file that was created.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Undo {
    /// The file written (a symlink's target, never the link).
    pub target: PathBuf,
    /// Its backup; `None` when the file did not exist before.
    pub backup: Option<PathBuf>,
    /// SHA-256 (hex) of the content written; recovery undoes only a file
    /// that still holds it. `None` in journals written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written: Option<String>,
    /// The path as planned, when it is a symlink to `target`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<PathBuf>,
    /// The target's mode before the write, to restore it with (a backup
    /// that holds a secret is 0600 whatever the file's own mode was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
}

/// Undoes writes: each backup is copied back over its target atomically
/// (temporary file + rename, the mode before and the backup's owner) and
/// then removed, as the target holds it again; each created file is
/// removed. Goes on after an error and returns the first one.
pub fn restore(undo: &[Undo]) -> Result<(), FsError> {
    let mut first = None;
    for u in undo.iter().rev() {
        let r = match &u.backup {
            Some(b) => restore_one(&u.target, b, u.mode).map(|()| {
                let _ = fs::remove_file(b);
            }),
            None => {
                match fs::remove_file(resolve(&u.target).unwrap_or_else(|_| u.target.clone())) {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    Err(e) => Err(io_err("cannot remove", &u.target, e)),
                }
            }
        };
        if let Err(e) = r {
            first.get_or_insert(e);
        }
    }
    first.map_or(Ok(()), Err)
}

/// Puts `backup`'s content back into `target` (through a symlink, if it is
/// one), with `mode` (the target's mode before the write) or else the
/// backup's mode.
pub fn restore_one(target: &Path, backup: &Path, mode: Option<u32>) -> Result<(), FsError> {
    let target = &resolve(target)?;
    let content = fs::read(backup).map_err(|e| io_err("cannot read", backup, e))?;
    let meta = fs::metadata(backup).map_err(|e| io_err("cannot read", backup, e))?;
    if fs::read(target).ok().as_deref() == Some(content.as_slice()) {
        return match mode {
            Some(m) => fs::set_permissions(target, Permissions::from_mode(m))
                .map_err(|e| io_err("cannot set the mode of", target, e)),
            None => Ok(()),
        };
    }
    let mode = mode.unwrap_or(meta.mode() & 0o7777);
    let temp = stage(target, &content, mode)?;
    // stage keeps the target's mode, tightened; the mode before is the one to restore.
    let _ = fs::set_permissions(&*temp, Permissions::from_mode(mode));
    temp.persist(target)
        .map_err(|e| io_err("cannot restore", target, e.error))?;
    sync_dir(&parent_dir(target));
    Ok(())
}

/// Removes the temporary files a killed commit left beside `target`
/// (`.<name>.*.esmtls-tmp`, see `stage`): a run undone from its journal
/// leaves no new file. Returns those removed.
pub fn remove_stale_temps(target: &Path) -> Vec<PathBuf> {
    match target.file_name() {
        Some(name) => remove_temps(
            &parent_dir(target),
            &format!(".{}.", name.to_string_lossy()),
        ),
        None => Vec::new(),
    }
}

/// The file that writing `path` changes: `path` itself, or, when it is a
/// symlink (config management links `kibana.yml` or a keystore), the file the
/// chain of links ends at, so the link stays a link and its target gets the
/// content. Refused, with the reason: a loop, a chain over 40 links, a link to
/// something that is not a regular file, or to a pseudo file system
/// (`/proc`, `/sys`, `/dev`), where esmtls may not write.
pub fn resolve(path: &Path) -> Result<PathBuf, FsError> {
    let mut cur = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&cur) {
            Ok(m) if m.file_type().is_symlink() => {
                let next =
                    fs::read_link(&cur).map_err(|e| io_err("cannot read the link", &cur, e))?;
                cur = parent_dir(&cur).join(next);
            }
            Ok(m) if cur != path && !m.is_file() => {
                return Err(symlink_refused(path, &cur, "not a regular file"));
            }
            _ => {
                let forbidden = ["/proc", "/sys", "/dev"]
                    .iter()
                    .any(|d| cur.starts_with(d) || lexical(&cur).starts_with(d));
                if cur != path && forbidden {
                    return Err(symlink_refused(
                        path,
                        &cur,
                        "outside where esmtls may write",
                    ));
                }
                return Ok(cur);
            }
        }
    }
    Err(symlink_refused(
        path,
        &cur,
        "a loop of links (or a chain of over 40)",
    ))
}

/// `a/b/../c` → `a/c`, without touching the file system.
fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

fn symlink_refused(link: &Path, target: &Path, why: &str) -> FsError {
    FsError::Symlink {
        link: link.to_path_buf(),
        target: target.to_path_buf(),
        why: why.to_string(),
    }
}

/// Removes every temporary file a killed esmtls left in `dir`
/// (`.<name>.*.esmtls-tmp`): they may hold a key. Call it only while
/// holding the directory's lock (`session`), so none is in use.
pub fn remove_stale_temps_in(dir: &Path) -> Vec<PathBuf> {
    remove_temps(dir, ".")
}

/// Removes the files in `dir` named `<prefix>….esmtls-tmp`; returns them.
fn remove_temps(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().unwrap_or_default().to_string_lossy();
            n.starts_with(prefix) && n.ends_with(".esmtls-tmp")
        })
        .filter(|p| fs::remove_file(p).is_ok())
        .collect()
}

/// Removes the directories a run created, the last created (the deepest)
/// first, each only when it is empty: a file someone put there since keeps
/// its directory.
pub fn remove_created_dirs(dirs: &[PathBuf]) {
    for d in dirs.iter().rev() {
        let _ = fs::remove_dir(d);
    }
}

/// Convenience: write one file through a batch of one.
pub fn write_file(
    path: &Path,
    content: Vec<u8>,
    mode: u32,
    existing: Existing,
) -> Result<Outcome, FsError> {
    let mut batch = WriteBatch::new();
    batch.add(path, content, mode, existing);
    let mut out = batch.commit()?;
    Ok(out.pop().map(|(_, o)| o).unwrap_or(Outcome::Unchanged))
}

/// The directory a path lives in ("." for a bare file name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn stage(path: &Path, content: &[u8], mode: u32) -> Result<tempfile::TempPath, FsError> {
    let dir = parent_dir(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".esmtls-tmp")
        .permissions(Permissions::from_mode(MODE_SECRET))
        .tempfile_in(&dir)
        .map_err(|e| FsError::NotWritable {
            dir: dir.clone(),
            reason: e.to_string(),
        })?;
    // Mode and owner: keep the existing file's, but never looser than asked.
    let (final_mode, owner) = match fs::metadata(path) {
        Ok(m) => (
            m.mode() & 0o7777 & mode_mask(mode),
            Some((m.uid(), m.gid())),
        ),
        Err(_) => new_file_owner(&dir, mode),
    };
    let file = tmp.as_file_mut();
    file.write_all(content)
        .map_err(|e| io_err("cannot write", path, e))?;
    file.sync_all()
        .map_err(|e| io_err("cannot sync", path, e))?;
    if let Some((uid, gid)) = owner {
        // Only root can give a file away; for anyone else the owner is already theirs.
        let uid = (uid != u32::MAX).then_some(uid);
        let _ = std::os::unix::fs::fchown(&*file, uid, Some(gid));
    }
    file.set_permissions(Permissions::from_mode(final_mode))
        .map_err(|e| io_err("cannot set the mode of", path, e))?;
    Ok(tmp.into_temp_path())
}

/// Gives `path` (a file or directory that esmtls wrote into a service's
/// config directory `config`) to that service as the packages do: the
/// group of `config` (`root:elasticsearch`, `root:kibana`), readable by it,
/// nothing for others (0640 files, 0750 directories). The owner changes
/// only when run as root (to root). Errors name the path.
pub fn share_with_service(path: &Path, config: &Path) -> Result<(), FsError> {
    let gid = fs::metadata(config)
        .map_err(|e| io_err("cannot read", config, e))?
        .gid();
    let m = fs::symlink_metadata(path).map_err(|e| io_err("cannot read", path, e))?;
    if m.file_type().is_symlink() {
        return Ok(());
    }
    let uid = (process_uid() == Some(0)).then_some(0);
    std::os::unix::fs::chown(path, uid, Some(gid))
        .map_err(|e| io_err("cannot change the group of", path, e))?;
    let bits = m.mode() & 0o7777;
    let want = if m.is_dir() {
        (bits | 0o750) & !0o007
    } else {
        (bits | 0o040) & !0o137
    };
    fs::set_permissions(path, Permissions::from_mode(want))
        .map_err(|e| io_err("cannot set the mode of", path, e))
}

/// The effective user of this process, read from a file it creates.
fn process_uid() -> Option<u32> {
    static UID: std::sync::OnceLock<Option<u32>> = std::sync::OnceLock::new();
    *UID.get_or_init(|| {
        let f = tempfile::tempfile().ok()?;
        f.metadata().ok().map(|m| m.uid())
    })
}

/// A new file takes its directory's group, as in a setgid directory, so that a
/// file root writes into `/etc/elasticsearch` (root:elasticsearch) is readable
/// by the service; when that group is not the writer's own, the group gets
/// read access (0640 for secrets, as Elastic's packages give keystores 0660).
fn new_file_owner(dir: &Path, mode: u32) -> (u32, Option<(u32, u32)>) {
    let Ok(d) = fs::metadata(dir) else {
        return (mode, None);
    };
    let process_gid = process_gid();
    if Some(d.gid()) == process_gid || process_gid.is_none() {
        (mode, None)
    } else {
        (mode | 0o040, Some((u32::MAX, d.gid())))
    }
}

/// The effective group of this process, read from a file it creates.
fn process_gid() -> Option<u32> {
    static GID: std::sync::OnceLock<Option<u32>> = std::sync::OnceLock::new();
    *GID.get_or_init(|| {
        let f = tempfile::tempfile().ok()?;
        f.metadata().ok().map(|m| m.gid())
    })
}

/// Keeps the existing bits when `mode` is public; strips group/other bits
/// that `mode` does not grant when `mode` is stricter (keys stay private).
fn mode_mask(mode: u32) -> u32 {
    if mode & 0o077 == 0 {
        !0o077 | (mode & 0o077)
    } else {
        !0
    }
}

/// Now, as an operator reads it: `2026-12-04 12:51:58 UTC` (the session
/// lock's holder, a pending restart).
pub fn utc_now_text() -> String {
    time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
        ))
        .unwrap_or_default()
}

/// A free backup name beside `path`: `path.esmtls-<UTC timestamp>[-N].bak`.
fn backup_name(path: &Path) -> PathBuf {
    let stamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap_or_else(|_| "backup".into());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = parent_dir(path);
    let mut candidate = dir.join(format!("{name}.esmtls-{stamp}.bak"));
    let mut n = 1;
    while candidate.exists() {
        n += 1;
        candidate = dir.join(format!("{name}.esmtls-{stamp}-{n}.bak"));
    }
    candidate
}

/// Copies `path` to the new file `to`, with the same owner and mode (or
/// `mode`, for a backup that holds a secret).
fn backup_to(path: &Path, to: &Path, mode: Option<u32>) -> Result<(), FsError> {
    let meta = fs::metadata(path).map_err(|e| io_err("cannot read", path, e))?;
    let content = fs::read(path).map_err(|e| io_err("cannot read", path, e))?;
    let mode = mode.unwrap_or(meta.mode() & 0o7777);
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(to)
        .map_err(|e| io_err("cannot back up", path, e))?;
    f.write_all(&content)
        .map_err(|e| io_err("cannot back up", path, e))?;
    f.sync_all()
        .map_err(|e| io_err("cannot back up", path, e))?;
    let _ = std::os::unix::fs::fchown(&f, Some(meta.uid()), Some(meta.gid()));
    f.set_permissions(Permissions::from_mode(mode))
        .map_err(|e| io_err("cannot back up", path, e))?;
    Ok(())
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().mode() & 0o777
    }

    #[test]
    fn creates_with_mode_and_refuses_overwrite() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("k.key");
        assert_eq!(
            write_file(&p, b"a".to_vec(), MODE_SECRET, Existing::Refuse).unwrap(),
            Outcome::Created
        );
        assert_eq!(mode(&p), 0o600);
        let e = write_file(&p, b"b".to_vec(), MODE_SECRET, Existing::Refuse).unwrap_err();
        assert!(
            e.to_string().contains("already exists; pass --force"),
            "{e}"
        );
        assert_eq!(fs::read(&p).unwrap(), b"a");
    }

    #[test]
    fn identical_content_is_not_rewritten() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("c.crt");
        write_file(&p, b"x".to_vec(), MODE_PUBLIC, Existing::Refuse).unwrap();
        assert_eq!(
            write_file(&p, b"x".to_vec(), MODE_PUBLIC, Existing::Refuse).unwrap(),
            Outcome::Unchanged
        );
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn replace_keeps_backup_and_mode() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("es.yml");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, Permissions::from_mode(0o640)).unwrap();
        let out = write_file(&p, b"new".to_vec(), MODE_PUBLIC, Existing::Replace).unwrap();
        let Outcome::Replaced { backup } = out else {
            panic!("{out:?}")
        };
        assert_eq!(fs::read(&backup).unwrap(), b"old");
        assert_eq!(mode(&backup), 0o640);
        assert_eq!(fs::read(&p).unwrap(), b"new");
        assert_eq!(mode(&p), 0o640);
    }

    #[test]
    fn secret_mode_tightens_a_loose_existing_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.p12");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, Permissions::from_mode(0o644)).unwrap();
        write_file(&p, b"new".to_vec(), MODE_SECRET, Existing::Replace).unwrap();
        assert_eq!(mode(&p), 0o600);
    }

    #[test]
    fn batch_is_all_or_nothing_on_refusal() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a");
        let b = d.path().join("b");
        fs::write(&b, "keep").unwrap();
        let mut batch = WriteBatch::new();
        batch.add(&a, b"1".to_vec(), MODE_PUBLIC, Existing::Refuse);
        batch.add(&b, b"2".to_vec(), MODE_PUBLIC, Existing::Refuse);
        assert!(batch.commit().is_err());
        assert!(!a.exists());
        assert_eq!(fs::read(&b).unwrap(), b"keep");
        assert_eq!(
            fs::read_dir(d.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn missing_directory_is_named() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("nope/x.p12");
        let e = write_file(&p, b"1".to_vec(), MODE_SECRET, Existing::Refuse).unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
    }
}
