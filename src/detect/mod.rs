//! Detection: where Elasticsearch and Kibana are installed, how they are
//! configured today, and how each is restarted — the facts the planner and
//! every screen start from.
//!
//! Role: turn a machine (or a test's temporary tree) into a [`Detected`] value
//! that says, for each side, which config directory is used and *how it was
//! found*, the install kind, the version, the restart command, the HTTP TLS
//! state, the realms, and what the keystores hold (names only).
//!
//! Invariants:
//! - every input is injectable through [`DetectOptions`]: `root` is prefixed to
//!   every absolute system path (`/etc/...`, `/usr/share/...`, systemd units,
//!   `/.dockerenv`), so tests never look at the real `/etc`;
//! - detection reads and never writes; nothing here creates a directory;
//! - no secret is kept: keystore passwords are used to list entry names and to
//!   look inside `http.p12`, then dropped; [`open_http_ca`] asks for them again;
//! - the search order for each side is fixed: explicit flag → `ES_PATH_CONF` /
//!   `KBN_PATH_CONF` → package layout → container layout → archive layout;
//!   an explicit flag or variable that names no config is an error, never a
//!   silent fall-through to the next source.

mod certs;
mod display;
mod es;
mod kibana;
mod locate;
mod output;
mod realms;
mod restart;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::keystore::KeystoreError;
use crate::pki::PkiError;
use crate::secret::Secret;
use crate::yaml::YamlError;

pub use certs::{EsKeystoreFacts, HTTP_CA_ALIAS, HTTP_KEYSTORE_PASSWORD, ServerCert, open_http_ca};
pub use es::{AUTOCONFIG_BEGIN, AUTOCONFIG_END, EsSide, HttpTls, SettingRef};
pub use kibana::{FileRef, KibanaEsSettings, KibanaKeystoreFacts, KibanaSide};
pub use locate::{FoundBy, InstallKind, Product};
pub use output::{DEFAULT_OUT_DIR, render_readme};
pub use realms::Realm;
pub use restart::{CONTAINER_PLACEHOLDER, RestartMethod};

/// Everything detection needs, injectable for tests.
#[derive(Debug, Clone, Default)]
pub struct DetectOptions {
    /// `--es-config`: Elasticsearch's config directory, its `elasticsearch.yml`, or an archive home.
    pub es_config: Option<PathBuf>,
    /// `--kibana-config`: Kibana's config directory, its `kibana.yml`, or an archive home.
    pub kibana_config: Option<PathBuf>,
    /// The value of `ES_PATH_CONF`, if set.
    pub es_path_conf_env: Option<PathBuf>,
    /// The value of `KBN_PATH_CONF`, if set.
    pub kbn_path_conf_env: Option<PathBuf>,
    /// Prefixed to every absolute system path: `/` in production, a temp dir in tests.
    pub root: PathBuf,
    /// The working directory (relative flags and the archive probe start here).
    pub cwd: PathBuf,
    /// `ELASTIC_CONTAINER=true` (set in Elastic's Docker images).
    pub elastic_container_env: bool,
    /// Password of `elasticsearch.keystore` (e.g. from `ES_KEYSTORE_PASSPHRASE_FILE`).
    pub es_keystore_password: Option<Secret>,
    /// Password of `kibana.keystore` (e.g. from `KBN_KEYSTORE_PASSPHRASE_FILE`).
    pub kibana_keystore_password: Option<Secret>,
}

impl DetectOptions {
    /// Options for a test or a caller that fills the rest itself.
    pub fn new(root: impl Into<PathBuf>, cwd: impl Into<PathBuf>) -> Self {
        DetectOptions {
            root: root.into(),
            cwd: cwd.into(),
            ..DetectOptions::default()
        }
    }

    /// Production options: the real root, the process's working directory and
    /// environment (`ES_PATH_CONF`, `KBN_PATH_CONF`, `ELASTIC_CONTAINER`, and
    /// the keystore passphrase variables).
    pub fn from_env(
        es_config: Option<PathBuf>,
        kibana_config: Option<PathBuf>,
    ) -> Result<Self, DetectError> {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let cwd = std::env::current_dir().map_err(|e| DetectError::Cwd {
            reason: e.to_string(),
        })?;
        Ok(DetectOptions {
            es_config,
            kibana_config,
            es_path_conf_env: var("ES_PATH_CONF"),
            kbn_path_conf_env: var("KBN_PATH_CONF"),
            root: PathBuf::from("/"),
            cwd,
            elastic_container_env: std::env::var("ELASTIC_CONTAINER").as_deref() == Ok("true"),
            es_keystore_password: crate::keystore::elasticsearch::password_from_env()?,
            kibana_keystore_password: crate::keystore::kibana::password_from_env()?,
        })
    }

    /// `root` + an absolute system path (`/etc/kibana` → `<root>/etc/kibana`).
    pub fn sys(&self, abs: &str) -> PathBuf {
        self.root.join(abs.trim_start_matches('/'))
    }

    /// True when running inside a container (`/.dockerenv`, podman's
    /// `/run/.containerenv`, or `ELASTIC_CONTAINER=true`).
    pub fn in_container(&self) -> bool {
        self.elastic_container_env
            || self.sys("/.dockerenv").exists()
            || self.sys("/run/.containerenv").exists()
    }
}

/// What was found on this machine. A side is `None` when it is not installed
/// here; [`Detected::fill_missing`] turns missing sides into output folders.
#[derive(Debug, Clone, Serialize)]
pub struct Detected {
    /// Elasticsearch, if found.
    pub es: Option<EsSide>,
    /// Kibana, if found.
    pub kibana: Option<KibanaSide>,
}

impl Detected {
    /// Detects both sides.
    pub fn detect(opts: &DetectOptions) -> Result<Detected, DetectError> {
        let es = match locate::locate(Product::Elasticsearch, opts)? {
            Some(found) => Some(es::read(found, opts)?),
            None => None,
        };
        let kibana = match locate::locate(Product::Kibana, opts)? {
            Some(found) => Some(kibana::read(found, opts)?),
            None => None,
        };
        Ok(Detected { es, kibana })
    }

    /// Neither side installed: both go to `<out>/elasticsearch/` and
    /// `<out>/kibana/`, pseudo config directories whose "restart" is copying
    /// the files to the real install (see [`render_readme`]).
    pub fn output_dirs(out: &Path) -> Detected {
        Detected {
            es: Some(EsSide::output_dir(out)),
            kibana: Some(KibanaSide::output_dir(out)),
        }
    }

    /// Keeps what was found and sends each missing side to its output folder.
    pub fn fill_missing(self, out: &Path) -> Detected {
        Detected {
            es: self.es.or_else(|| Some(EsSide::output_dir(out))),
            kibana: self.kibana.or_else(|| Some(KibanaSide::output_dir(out))),
        }
    }

    /// True when neither side is installed here.
    pub fn nothing_found(&self) -> bool {
        self.es.is_none() && self.kibana.is_none()
    }
}

/// Why detection failed. Each message names the path and what was expected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DetectError {
    /// A flag or environment variable names a place without the expected config file.
    #[error("{given_by} {path}: {expected}")]
    NoConfig {
        /// `--es-config`, `ES_PATH_CONF=`, ...
        given_by: String,
        /// The path given.
        path: PathBuf,
        /// What should have been there.
        expected: String,
    },
    /// The working directory cannot be read.
    #[error("cannot read the current directory: {reason}")]
    Cwd {
        /// The operating system's reason.
        reason: String,
    },
    /// `elasticsearch.yml` or `kibana.yml` cannot be read or is refused.
    #[error(transparent)]
    Yaml(#[from] YamlError),
    /// A keystore could not be opened where it had to be (e.g. for the HTTP CA).
    #[error(transparent)]
    Keystore(#[from] KeystoreError),
    /// A certificate file could not be used.
    #[error(transparent)]
    Pki(#[from] PkiError),
    /// The auto-configured HTTP CA cannot be used to sign.
    #[error("cannot use the auto-configured HTTP CA in {path}: {reason}")]
    NoHttpCa {
        /// The `http.p12` (or config directory) looked at.
        path: PathBuf,
        /// Why, and what to do.
        reason: String,
    },
}

#[cfg(test)]
mod tests;
