//! The journal of a run in progress, and its recovery after a kill.
//!
//! A writing run ([`crate::apply`], a renewal) writes its journal before it
//! backs up or renames anything, and removes it when it is done. A journal
//! that is still there when the next writer takes the setup's locks belongs
//! to a run that died (the locks are free only then), and is recovered
//! before anything else reads the tree:
//! - a file is put back from its backup, or removed when the run created it,
//!   only when it still holds what that run wrote (its SHA-256 is in the
//!   journal): a file changed since, or never reached, is left as it is;
//! - that run's backups and temporary files are removed, then the
//!   directories it created, when empty;
//! - esmtls's own secrets that the run stored (the new CA's password; names
//!   only are journalled, never a value) are deleted again;
//! - the journal is removed last, so a recovery that is itself interrupted is
//!   simply done again by the next run (each step is idempotent).
//!
//! After a recovery the tree is exactly what it was before that run.

use std::path::{Path, PathBuf};

use crate::fsutil::{self, FsError, Undo};
use crate::keystore::secrets_store::{SecretStore, SetupId};

/// What an interrupted run would have changed, and how to undo it.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Journal {
    /// The setup's config directories (whose locks guard it).
    #[serde(default)]
    pub config: Vec<PathBuf>,
    /// How to undo each file.
    pub files: Vec<Undo>,
    /// The directories the run created.
    #[serde(default)]
    pub dirs: Vec<PathBuf>,
    /// Names of esmtls's own secrets the run stored (never their values).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<String>,
    /// Where those secrets are: `Some(state dir)` for the 0600 file store,
    /// `None` for the Secret Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets_file_dir: Option<PathBuf>,
}

/// The journal files as they were written over time.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum OnDisk {
    Current(Journal),
    /// Files only (the first journals).
    Files(Vec<Undo>),
}

/// The journal of the setup with these config directories.
pub fn path_for(state_dir: &Path, config: &[&Path]) -> PathBuf {
    let id = SetupId::from_config_dirs(config);
    state_dir.join(format!("apply-{}.journal.json", id.as_str()))
}

/// Every journal in the state directory.
pub fn all(state_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(state_dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().unwrap_or_default().to_string_lossy();
            n.starts_with("apply-") && n.ends_with(".journal.json")
        })
        .collect();
    v.sort();
    v
}

/// Reads a journal; the error says what to do with a damaged one.
pub fn read(path: &Path) -> Result<Journal, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    match serde_json::from_str::<OnDisk>(&text) {
        Ok(OnDisk::Current(j)) => Ok(j),
        Ok(OnDisk::Files(files)) => Ok(Journal {
            files,
            ..Journal::default()
        }),
        Err(e) => Err(format!(
            "the journal {} of an interrupted apply is damaged ({e}); restore the files from their .esmtls-*.bak backups and delete it",
            path.display()
        )),
    }
}

/// Writes the journal (0600, atomically).
pub fn write(path: &Path, journal: &Journal) -> Result<(), FsError> {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let text = serde_json::to_vec_pretty(journal).unwrap_or_default();
    fsutil::write_file(path, text, fsutil::MODE_SECRET, fsutil::Existing::Replace).map(|_| ())
}

/// Commits `batch` under a journal of its own (files only), removed when
/// the commit ends: for a writer with no other undo to journal (a renewal).
pub fn commit(
    batch: fsutil::WriteBatch,
    journal: &Path,
    config: Vec<PathBuf>,
) -> Result<Vec<(PathBuf, fsutil::Outcome)>, FsError> {
    let r = batch.commit_with(&mut |ev| match ev {
        fsutil::CommitEvent::Staged(undo) => write(
            journal,
            &Journal {
                config: config.clone(),
                files: undo.to_vec(),
                ..Journal::default()
            },
        ),
        fsutil::CommitEvent::Renamed(_) => Ok(()),
    });
    let _ = std::fs::remove_file(journal);
    r
}

impl Journal {
    /// True when the journal concerns one of `dirs` (canonical paths): one of
    /// its config directories, or a file it wrote, is in one of them.
    pub fn touches(&self, dirs: &[PathBuf]) -> bool {
        let inside = |p: &Path| {
            let p = super::lock::canonical(p);
            dirs.iter().any(|d| p.starts_with(d))
        };
        self.config.iter().any(|c| inside(c))
            || self
                .files
                .iter()
                .any(|u| inside(&fsutil::parent_dir(&u.target)))
    }
}

/// What a recovery did.
#[derive(Debug, Default, Clone)]
pub struct Recovered {
    /// Files put back from their backups, or removed because the run created them.
    pub restored: Vec<PathBuf>,
    /// Files left as they are, with the reason (changed since that run).
    pub left: Vec<String>,
}

/// Recovers the interrupted run of `journal`, read from `path` (see the
/// module documentation). Call it only while holding the locks of its
/// directories.
pub fn recover(path: &Path, journal: &Journal) -> Result<Recovered, String> {
    let mut done = Recovered::default();
    for u in journal.files.iter().rev() {
        undo_one(u, &mut done).map_err(|e| format!("undoing the interrupted apply: {e}"))?;
    }
    for u in &journal.files {
        fsutil::remove_stale_temps(&u.target);
    }
    fsutil::remove_created_dirs(&journal.dirs);
    forget_secrets(journal);
    std::fs::remove_file(path).map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    Ok(done)
}

/// Undoes one file, when it still holds what the run wrote.
fn undo_one(u: &Undo, done: &mut Recovered) -> Result<(), FsError> {
    let current = std::fs::read(&u.target).ok();
    let holds_ours = match (&u.written, &current) {
        (Some(h), Some(c)) => fsutil::digest(c) == *h,
        (Some(_), None) => false,
        // Journals from before the digest was recorded: undo as they did.
        (None, c) => c.is_some(),
    };
    let backup = u
        .backup
        .as_ref()
        .and_then(|b| std::fs::read(b).ok().map(|c| (b, c)));
    if holds_ours {
        match &backup {
            Some((b, _)) => fsutil::restore_one(&u.target, b, u.mode)?,
            None if u.backup.is_some() => {
                done.left.push(format!(
                    "{}: its backup {} is gone, so it keeps the interrupted run's content",
                    u.target.display(),
                    u.backup
                        .as_ref()
                        .map(|b| b.display().to_string())
                        .unwrap_or_default()
                ));
                return Ok(());
            }
            None => fsutil::restore(std::slice::from_ref(u))?,
        }
        done.restored
            .push(u.link.clone().unwrap_or_else(|| u.target.clone()));
    }
    // The run's backup goes when the target holds its content again, or when
    // it is a copy the kill cut short (the target was never replaced then).
    if let Some((b, content)) = backup {
        let now = std::fs::read(&u.target).ok().unwrap_or_default();
        if now == content || (!holds_ours && now.starts_with(&content)) {
            let _ = std::fs::remove_file(b);
        } else {
            done.left.push(format!(
                "{} changed after the interrupted run, so it was left as it is; that run's backup is kept at {}",
                u.target.display(),
                b.display()
            ));
        }
    } else if !holds_ours && u.backup.is_none() && current.is_some() {
        done.left.push(format!(
            "{} was made by someone else after the interrupted run, so it was left as it is",
            u.target.display()
        ));
    }
    Ok(())
}

/// Deletes the secrets the interrupted run stored.
fn forget_secrets(journal: &Journal) {
    if journal.secrets.is_empty() {
        return;
    }
    let dirs: Vec<&Path> = journal.config.iter().map(PathBuf::as_path).collect();
    let id = SetupId::from_config_dirs(&dirs);
    let store = match &journal.secrets_file_dir {
        Some(d) => SecretStore::file_in(d, id),
        None => match SecretStore::open(id) {
            Ok((s, None)) => s,
            _ => return,
        },
    };
    for name in &journal.secrets {
        let _ = store.delete(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn entry(target: &Path, backup: Option<&Path>, written: &[u8]) -> Undo {
        Undo {
            target: target.to_path_buf(),
            backup: backup.map(Path::to_path_buf),
            written: Some(fsutil::digest(written)),
            link: None,
            mode: None,
        }
    }

    fn journal(dir: &Path, files: Vec<Undo>) -> PathBuf {
        let p = dir.join("apply-test.journal.json");
        write(
            &p,
            &Journal {
                config: vec![dir.to_path_buf()],
                files,
                ..Journal::default()
            },
        )
        .unwrap();
        p
    }

    #[test]
    fn undoes_only_what_still_holds_the_runs_content() {
        let d = tempfile::tempdir().unwrap();
        let (a, a_bak) = (d.path().join("a.yml"), d.path().join("a.yml.bak"));
        let (b, b_bak) = (d.path().join("b.yml"), d.path().join("b.yml.bak"));
        let (c, n) = (d.path().join("c.crt"), d.path().join("new.crt"));
        // a: renamed by the run; b: changed by someone since; c: created by
        // the run but replaced since; n: created by the run.
        fs::write(&a, "new a").unwrap();
        fs::write(&a_bak, "old a").unwrap();
        fs::write(&b, "someone's b").unwrap();
        fs::write(&b_bak, "old b").unwrap();
        fs::write(&c, "someone's c").unwrap();
        fs::write(&n, "new n").unwrap();
        let j = journal(
            d.path(),
            vec![
                entry(&a, Some(&a_bak), b"new a"),
                entry(&b, Some(&b_bak), b"new b"),
                entry(&c, None, b"new c"),
                entry(&n, None, b"new n"),
            ],
        );
        let r = recover(&j, &read(&j).unwrap()).unwrap();
        assert_eq!(fs::read_to_string(&a).unwrap(), "old a");
        assert!(!a_bak.exists(), "the run's backup goes once restored");
        assert_eq!(fs::read_to_string(&b).unwrap(), "someone's b");
        assert!(b_bak.exists(), "kept: b changed since");
        assert_eq!(fs::read_to_string(&c).unwrap(), "someone's c");
        assert!(!n.exists());
        assert_eq!(r.restored.len(), 2, "{r:?}");
        assert_eq!(r.left.len(), 2, "{r:?}");
        assert!(!j.exists());
    }

    #[test]
    fn a_backup_cut_short_by_the_kill_is_removed_and_the_original_kept() {
        let d = tempfile::tempdir().unwrap();
        let (a, a_bak) = (d.path().join("a.yml"), d.path().join("a.yml.bak"));
        fs::write(&a, "original content").unwrap();
        fs::write(&a_bak, "original").unwrap();
        let j = journal(d.path(), vec![entry(&a, Some(&a_bak), b"new")]);
        let r = recover(&j, &read(&j).unwrap()).unwrap();
        assert_eq!(fs::read_to_string(&a).unwrap(), "original content");
        assert!(!a_bak.exists());
        assert!(r.restored.is_empty() && r.left.is_empty(), "{r:?}");
    }

    #[test]
    fn reads_every_journal_format() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("j.json");
        for text in [
            r#"[{"target": "/etc/kibana/kibana.yml", "backup": null}]"#,
            r#"{"files": [{"target": "/a", "backup": "/a.bak"}], "dirs": ["/etc/kibana/certs"]}"#,
        ] {
            fs::write(&p, text).unwrap();
            assert_eq!(read(&p).unwrap().files.len(), 1, "{text}");
        }
        fs::write(&p, "{").unwrap();
        assert!(read(&p).unwrap_err().contains("is damaged"));
    }
}
