//! The result of editing one file: review it as a unified diff, then write it.
//!
//! Invariants: the diff never shows the value of a secret setting (password,
//! passphrase, token, `secure_*`): both texts are masked the same way before
//! diffing, so a changed secret still shows as a changed line. Writing goes
//! through [`crate::fsutil`] (temporary file, fsync, rename, backup, mode and
//! owner kept) and refuses if the file changed on disk since it was read;
//! unchanged content writes nothing.

use std::path::{Path, PathBuf};

use similar::TextDiff;

use super::YamlError;
use super::doc::{self, indent_of};
use crate::fsutil::{self, Existing, Outcome, WriteBatch};

/// A file's original and edited text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    path: PathBuf,
    before: String,
    after: String,
}

impl Changes {
    pub(crate) fn new(path: PathBuf, before: String, after: String) -> Changes {
        Changes {
            path,
            before,
            after,
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The text as read.
    pub fn before(&self) -> &str {
        &self.before
    }

    /// The text after the edits.
    pub fn after(&self) -> &str {
        &self.after
    }

    /// True when the edits change nothing (nothing will be written).
    pub fn is_unchanged(&self) -> bool {
        self.before == self.after
    }

    /// A unified diff (3 lines of context, secrets masked); empty if unchanged.
    pub fn diff(&self) -> String {
        if self.is_unchanged() {
            return String::new();
        }
        let (a, b) = (mask_secrets(&self.before), mask_secrets(&self.after));
        let name = self.path.display().to_string();
        // `a/` and `b/` prefix a relative path; an absolute one is shown as
        // it is (not `--- a//etc/kibana/kibana.yml`).
        let (old, new) = if self.path.is_absolute() {
            (name.clone(), name)
        } else {
            (format!("a/{name}"), format!("b/{name}"))
        };
        TextDiff::from_lines(&a, &b)
            .unified_diff()
            .context_radius(3)
            .header(&old, &new)
            .to_string()
    }

    /// Writes the new text (backup first) unless it is unchanged.
    pub fn write(&self) -> Result<Outcome, YamlError> {
        if self.is_unchanged() {
            return Ok(Outcome::Unchanged);
        }
        self.check_on_disk()?;
        fsutil::write_file(
            &self.path,
            self.after.as_bytes().to_vec(),
            fsutil::MODE_PUBLIC,
            Existing::Replace,
        )
        .map_err(|source| YamlError::Write {
            path: self.path.clone(),
            source,
        })
    }

    /// Adds the new text to a batch written with other files (all or none).
    pub fn add_to(&self, batch: &mut WriteBatch) -> Result<(), YamlError> {
        if !self.is_unchanged() {
            self.check_on_disk()?;
            batch.add(
                &self.path,
                self.after.as_bytes().to_vec(),
                fsutil::MODE_PUBLIC,
                Existing::Replace,
            );
        }
        Ok(())
    }

    fn check_on_disk(&self) -> Result<(), YamlError> {
        let now = std::fs::read(&self.path).ok();
        // A file esmtls creates from nothing was read as empty.
        let same = match now {
            Some(bytes) => bytes == self.before.as_bytes(),
            None => self.before.is_empty(),
        };
        if same {
            Ok(())
        } else {
            Err(YamlError::ChangedOnDisk {
                path: self.path.clone(),
            })
        }
    }
}

/// True for setting names whose value must not be shown.
pub(crate) fn is_secret_key(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key).to_ascii_lowercase();
    last.starts_with("secure_")
        || [
            "password",
            "passphrase",
            "token",
            "secret",
            "api_key",
            "apikey",
        ]
        .iter()
        .any(|w| last.contains(w))
}

/// Replaces the value on every `secret_key: value` line with `***`.
pub(crate) fn mask_secrets(text: &str) -> String {
    let mut lines = doc::Lines::split(text);
    for l in &mut lines.lines {
        // Commented-out settings (`#elasticsearch.password: old`) are masked
        // too: operators comment out old passwords rather than delete them.
        let t = l.text.trim_start();
        let ind = if t.starts_with("# esmtls removed ") {
            continue;
        } else if t.starts_with('#') {
            l.text.len() - t.trim_start_matches(['#', ' ']).len()
        } else {
            indent_of(&l.text)
        };
        let Some((key, key_end)) = doc::parse_key(&l.text, ind) else {
            continue;
        };
        if !is_secret_key(&key) {
            continue;
        }
        let rest = &l.text[key_end..];
        let start = key_end + (rest.len() - rest.trim_start().len());
        let end = doc::value_end(&l.text, start);
        if end > start {
            l.text.replace_range(start..end, "***");
        }
    }
    lines.join()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_in_the_diff() {
        let c = Changes::new(
            "kibana.yml".into(),
            "elasticsearch.password: \"s3cret\" # old\nserver.port: 5601\n".into(),
            "# esmtls removed elasticsearch.password: moved to the keystore\nserver.port: 5601\n"
                .into(),
        );
        let d = c.diff();
        assert!(!d.contains("s3cret"), "{d}");
        assert!(d.contains("-elasticsearch.password: *** # old"), "{d}");
        assert!(
            d.contains("+# esmtls removed elasticsearch.password"),
            "{d}"
        );
        assert!(d.starts_with("--- a/kibana.yml\n+++ b/kibana.yml\n"), "{d}");
        // An absolute path is not prefixed (`--- a//etc/…`).
        let c = Changes::new(
            "/etc/kibana/kibana.yml".into(),
            "server.port: 5601\n".into(),
            "server.port: 5602\n".into(),
        );
        let d = c.diff();
        assert!(
            d.starts_with("--- /etc/kibana/kibana.yml\n+++ /etc/kibana/kibana.yml\n"),
            "{d}"
        );
    }

    #[test]
    fn unchanged_has_no_diff_and_writes_nothing() {
        let c = Changes::new(
            "/nonexistent/x.yml".into(),
            "a: 1\n".into(),
            "a: 1\n".into(),
        );
        assert!(c.diff().is_empty());
        assert_eq!(c.write().ok(), Some(Outcome::Unchanged));
    }

    #[test]
    fn refuses_when_the_file_changed_on_disk() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("kibana.yml");
        std::fs::write(&p, "a: 2\n").unwrap();
        let c = Changes::new(p.clone(), "a: 1\n".into(), "a: 3\n".into());
        let e = c.write().unwrap_err();
        assert!(
            e.to_string().contains("changed since esmtls read it"),
            "{e}"
        );
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "a: 2\n");
    }
}
