//! The plan as values: what each step changes, every file with its new
//! content, every keystore entry by name, every API request, every command.
//!
//! Invariants: a [`Plan`] is complete — `apply` only executes it and decides
//! nothing; one file appears once in [`Plan::files`] (several steps may
//! change it; the steps list their part in words); nothing in a plan's
//! `Display` or JSON shows a secret value.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use super::mode::{Applies, License, Mode};
use crate::secret::Secret;

/// Where the license used for the choice came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LicenseFrom {
    /// `GET /_license`.
    Cluster,
    /// The answers file.
    Answers,
    /// Nobody knows.
    Unknown,
}

/// One new or changed file.
#[derive(Debug, Clone, Serialize)]
pub struct FileChange {
    /// The file.
    pub path: PathBuf,
    /// What it is, in a few words.
    pub what: String,
    /// New content (not serialized: may be a key).
    #[serde(skip)]
    pub content: Vec<u8>,
    /// Mode for a new file (an existing file keeps its own, tightened for secrets).
    pub mode: u32,
    /// Whether it exists now.
    pub exists: bool,
    /// True when the content is already on disk (nothing to write).
    pub unchanged: bool,
    /// A unified diff for text files (secrets masked); None for binary files.
    pub diff: Option<String>,
}

/// Which keystore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// `elasticsearch.keystore`.
    Elasticsearch,
    /// `kibana.keystore`.
    Kibana,
}

/// A value for a keystore entry: known now, or produced by an API call during apply.
#[derive(Debug, Clone)]
pub enum EntryValue {
    /// Known when planning (a generated password, a value moved from a yml file).
    Known(Secret),
    /// The service token that the API call with this index in [`Plan::api`] returns.
    FromApi(usize),
}

/// One keystore operation.
#[derive(Debug, Clone)]
pub enum KeystoreOp {
    /// Set `name`.
    Set {
        /// Entry name.
        name: String,
        /// The value.
        value: EntryValue,
    },
    /// Remove `name`, with the reason.
    Remove {
        /// Entry name.
        name: String,
        /// Why.
        reason: String,
    },
}

/// Changes to one keystore file.
#[derive(Debug, Clone)]
pub struct KeystoreChange {
    /// Which service.
    pub service: Service,
    /// The file.
    pub path: PathBuf,
    /// The file does not exist: create it (ES: in this format version).
    pub create: Option<i32>,
    /// The keystore's password (empty for none).
    pub password: Secret,
    /// The operations, in order.
    pub ops: Vec<KeystoreOp>,
}

/// An Elasticsearch API request of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct ApiCall {
    /// `GET`, `PUT`, `POST`, `DELETE`.
    pub method: String,
    /// The path, e.g. `/_security/role_mapping/kibana-client`.
    pub path: String,
    /// The JSON body, with any secret replaced by a placeholder.
    pub body: Option<serde_json::Value>,
    /// Why.
    pub purpose: String,
    /// What the body's secret is (None when it has none).
    #[serde(skip)]
    pub secret: Option<Secret>,
    /// True when the cluster is unreachable: the request is written to a file to run later.
    pub deferred: bool,
}

impl fmt::Display for ApiCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        if let Some(b) = &self.body {
            write!(
                f,
                "\n{}",
                serde_json::to_string_pretty(b).unwrap_or_default()
            )?;
        }
        Ok(())
    }
}

/// A command for the operator (or `--restart`) to run.
#[derive(Debug, Clone, Serialize)]
pub struct Command {
    /// The program and its arguments (never a secret).
    pub argv: Vec<String>,
    /// What it does.
    pub what: String,
    /// True when `apply --restart` runs it.
    pub restart: bool,
}

/// One of the nine steps (or step 0, the HTTPS prerequisite) in this plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanStep {
    /// 0 for the prerequisite, 1..=9 for the guide's steps.
    pub number: u8,
    /// The title.
    pub title: String,
    /// Whether and how it applies.
    pub applies: Applies,
    /// What it changes, one line each (file, setting, keystore entry, request).
    pub changes: Vec<String>,
    /// Explanations and warnings specific to this setup.
    pub notes: Vec<String>,
}

/// How to verify the result as Kibana would.
#[derive(Debug, Clone, Serialize)]
pub struct Verify {
    /// The URL.
    pub url: String,
    /// The user `_authenticate` must return.
    pub username: String,
    /// The realm type it must return (`pki`, `_service_account`, `reserved`).
    pub realm_type: String,
    /// True when a connection without a client certificate must be refused.
    pub refused_without_cert: bool,
}

/// A credential of Kibana's that the plan replaces and that Elasticsearch
/// still accepts until it is revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Replaced {
    /// A service token of `elastic/kibana`, by name (e.g. the enrollment's
    /// `enroll-process-token-…`, or an older esmtls token).
    ServiceToken {
        /// The token's name.
        name: String,
    },
    /// The password of `kibana_system`, when Kibana moves to a token or its certificate.
    Password {
        /// The user.
        user: String,
    },
}

/// Everything `esmtls apply` will do.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The mode.
    pub mode: Mode,
    /// The license used for the choice.
    pub license: Option<License>,
    /// Where the license came from.
    pub license_from: LicenseFrom,
    /// Set when writing to an output folder because nothing is installed here.
    pub out_dir: Option<PathBuf>,
    /// What this plan writes takes effect without a restart, so applying it
    /// leaves none owed (`apply --bundle --phase prepare`: the token file is
    /// read as it changes, the rest once a later stage's settings name it,
    /// and that stage restarts).
    #[serde(skip)]
    pub restart_free: bool,
    /// Elasticsearch's config directory (or the output folder's side).
    pub es_config: PathBuf,
    /// Kibana's config directory (or the output folder's side).
    pub kibana_config: PathBuf,
    /// The URL of the API, and whether it answered while planning.
    pub es_url: String,
    /// True when the cluster answered while planning.
    pub reachable: bool,
    /// The steps.
    pub steps: Vec<PlanStep>,
    /// Every file written.
    pub files: Vec<FileChange>,
    /// Every keystore changed.
    #[serde(skip)]
    pub keystores: Vec<KeystoreChange>,
    /// Every API request.
    pub api: Vec<ApiCall>,
    /// Commands (restarts).
    pub commands: Vec<Command>,
    /// The check at the end.
    pub verify: Verify,
    /// Credentials this plan (or an earlier apply) replaced that may still be
    /// valid: revoked after the verification with `--revoke-replaced`.
    pub replaced: Vec<Replaced>,
    /// Warnings for the operator.
    pub warnings: Vec<String>,
    /// What detection found (human summary).
    pub detected: String,
    /// esmtls's own secrets to remember (names for display; values not serialized).
    #[serde(skip)]
    pub remember: Vec<(String, Secret)>,
    /// Directories to create first (e.g. `certs/`).
    pub mkdirs: Vec<PathBuf>,
    /// The CA Kibana trusts for the server (DER), for verification.
    #[serde(skip)]
    pub server_ca_der: Vec<u8>,
    /// Kibana's client chain and key (hex PKCS#8), for verification.
    #[serde(skip)]
    pub kibana_identity: Option<(Vec<Vec<u8>>, Secret)>,
}

impl Plan {
    /// True when applying would change nothing (deferred requests are only
    /// written to a file, which is then unchanged too).
    pub fn is_noop(&self) -> bool {
        self.files.iter().all(|f| f.unchanged)
            && self.keystores.iter().all(|k| k.ops.is_empty())
            && self.api.iter().all(|c| c.deferred)
    }
}
