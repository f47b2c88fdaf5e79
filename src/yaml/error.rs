//! Errors of the YAML module: every refusal names the file, the line and what
//! the operator should do, and is returned before anything is written.
//!
//! [`Problem`] is the internal, path-less form produced while scanning (lines
//! 0-based); [`YamlError`] is the public one (lines 1-based, as editors show).

use std::path::PathBuf;

use crate::fsutil::FsError;

/// Why a YAML file was refused, an edit could not be made, or a write failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum YamlError {
    /// The file could not be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// The file is not UTF-8 text.
    #[error("{path} is not UTF-8 text; save it as UTF-8 and run esmtls again")]
    NotUtf8 {
        /// The file.
        path: PathBuf,
    },
    /// The file is not valid YAML.
    #[error(
        "{path}:{line}:{column}: invalid YAML: {message}; fix this line (Elasticsearch and Kibana would refuse it too) and run esmtls again"
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's description.
        message: String,
    },
    /// A tab character is used for indentation.
    #[error(
        "{path}:{line}: a tab is used for indentation; YAML allows only spaces there — replace the tab with spaces and run esmtls again"
    )]
    Tab {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
    },
    /// A setting is defined twice (in any combination of flat and nested forms).
    #[error(
        "{path}:{line}: {key} is already set on line {first}; keep only one of the two and run esmtls again"
    )]
    Duplicate {
        /// The file.
        path: PathBuf,
        /// The dotted setting name.
        key: String,
        /// 1-based line of the first definition.
        first: usize,
        /// 1-based line of the second definition.
        line: usize,
    },
    /// One setting is a value while another one nests settings under the same name.
    #[error(
        "{path}:{line}: {key} conflicts with {other} on line {other_line} (one is a value, the other holds settings under it); keep only one and run esmtls again"
    )]
    Conflict {
        /// The file.
        path: PathBuf,
        /// The setting on `line`.
        key: String,
        /// 1-based line.
        line: usize,
        /// The other setting.
        other: String,
        /// 1-based line of the other setting.
        other_line: usize,
    },
    /// The file uses a YAML form that esmtls reads but does not edit.
    #[error(
        "{path}:{line}: esmtls does not edit {what}; rewrite it as plain `key: value` lines and run esmtls again"
    )]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What was found.
        what: String,
    },
    /// An edit names a setting in a way that cannot be written.
    #[error("{key:?} is not a setting name esmtls can write ({why})")]
    BadKey {
        /// The key given.
        key: String,
        /// Why.
        why: &'static str,
    },
    /// An edit would make a setting both a value and a holder of settings.
    #[error(
        "{path}:{line}: cannot write {key} because {other} is set here (one would be a value, the other holds settings under it); remove {other} first"
    )]
    Blocked {
        /// The file.
        path: PathBuf,
        /// The setting the edit names.
        key: String,
        /// The setting in the way.
        other: String,
        /// 1-based line of `other`.
        line: usize,
    },
    /// The file's esmtls block has a BEGIN marker but no END marker (or the reverse).
    #[error(
        "{path}:{line}: the esmtls managed block is missing its {missing} marker; restore the marker line (or remove the block's other marker) and run esmtls again"
    )]
    BrokenBlock {
        /// The file.
        path: PathBuf,
        /// 1-based line of the marker that is there.
        line: usize,
        /// "BEGIN" or "END".
        missing: &'static str,
    },
    /// The file changed on disk after it was read.
    #[error("{path} changed since esmtls read it; run esmtls again to review the new content")]
    ChangedOnDisk {
        /// The file.
        path: PathBuf,
    },
    /// An edit produced text that does not parse back as intended (an esmtls bug).
    #[error(
        "{path}: esmtls produced an edit it cannot verify ({message}); nothing was written — please report this"
    )]
    Internal {
        /// The file.
        path: PathBuf,
        /// What the check found.
        message: String,
    },
    /// Writing the file failed; nothing was replaced.
    #[error("writing {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The writer's error.
        #[source]
        source: FsError,
    },
}

/// A scan problem before the file name is attached (lines 0-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    Tab {
        line: usize,
    },
    Duplicate {
        key: String,
        first: usize,
        line: usize,
    },
    Conflict {
        key: String,
        line: usize,
        other: String,
        other_line: usize,
    },
    Unsupported {
        line: usize,
        what: String,
    },
}

impl Problem {
    pub fn unsupported(line: usize, what: &str) -> Problem {
        Problem::Unsupported {
            line,
            what: what.to_string(),
        }
    }

    pub fn with_path(self, path: &std::path::Path) -> YamlError {
        let path = path.to_path_buf();
        match self {
            Problem::Tab { line } => YamlError::Tab {
                path,
                line: line + 1,
            },
            Problem::Duplicate { key, first, line } => YamlError::Duplicate {
                path,
                key,
                first: first + 1,
                line: line + 1,
            },
            Problem::Conflict {
                key,
                line,
                other,
                other_line,
            } => YamlError::Conflict {
                path,
                key,
                line: line + 1,
                other,
                other_line: other_line + 1,
            },
            Problem::Unsupported { line, what } => YamlError::Unsupported {
                path,
                line: line + 1,
                what,
            },
        }
    }
}
