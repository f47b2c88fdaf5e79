//! The planner's working state ([`Ctx`]), shared by the steps in
//! [`super::steps`]: what each step found or decided that a later step needs
//! (the CA, Kibana's hosts, the server CA, Kibana's client files, the yml
//! edits and keystore operations collected so far), and the plan's parts as
//! they grow (steps, files, warnings).
//!
//! Invariants: steps only add to the context; nothing here writes a file.

use std::path::PathBuf;
use std::rc::Rc;

use super::answers::Answers;
use super::certs;
use super::edits::Edits;
use super::facts::Facts;
use super::mode::Credential;
use super::setup::Setup;
use super::types::*;
use crate::fsutil::{MODE_PUBLIC, MODE_SECRET};
use crate::secret::Secret;

pub(super) use super::kibana_client::ClientFiles;
pub use super::kibana_client::KB_P12_PASSWORD;

/// The planner's working state.
pub(super) struct Ctx<'a> {
    pub a: &'a Answers,
    pub setup: &'a Setup,
    pub facts: Facts,
    pub steps: Vec<PlanStep>,
    pub files: Vec<FileChange>,
    pub mkdirs: Vec<PathBuf>,
    pub warnings: Vec<String>,
    pub remember: Vec<(String, Secret)>,
    /// True when the cluster answered while planning.
    pub reachable: bool,
    /// Kibana's `elasticsearch.hosts` as written (environment references kept).
    pub hosts: Vec<String>,
    /// The same as Kibana reads them (references resolved): names and URLs.
    pub hosts_resolved: Vec<String>,
    /// True when esmtls issues Elasticsearch's HTTP certificate (step 0).
    pub server_needed: bool,
    /// The CA that signs what esmtls issues here (None on a cluster host:
    /// its certificates come with the bundle).
    pub ca: Option<Rc<certs::Ca>>,
    /// The certificate of the CA of what esmtls issued (DER), for trust.
    pub ca_der: Vec<u8>,
    /// True when that CA is the auto-configured `http_ca` (already trusted).
    pub ca_is_http_ca: bool,
    /// The CA of Elasticsearch's HTTP certificate (DER), which Kibana trusts.
    pub server_ca_der: Vec<u8>,
    /// Where Kibana's config directory is on Kibana's host.
    pub kb_real: PathBuf,
    /// Kibana's client certificate (mTLS and pki modes).
    pub client: Option<ClientFiles>,
    /// Edits to `elasticsearch.yml` and `kibana.yml`, in order.
    pub es_edits: Edits,
    pub kb_edits: Edits,
    /// Keystore operations, in order.
    pub es_ks_ops: Vec<KeystoreOp>,
    pub kb_ks_ops: Vec<KeystoreOp>,
    /// How many of `kb_ks_ops` step 7 made (the rest are step 8's).
    pub kb_ks_ops_tls: usize,
    /// API requests.
    pub api: Vec<ApiCall>,
    /// Keystore changes (made from the operations once the steps ran).
    pub keystores: Vec<KeystoreChange>,
    /// Restart commands.
    pub commands: Vec<Command>,
    /// What Kibana authenticates with.
    pub credential: Credential,
    /// Kibana's credentials this plan replaces (see [`Replaced`]).
    pub replaced: Vec<Replaced>,
}

impl Ctx<'_> {
    pub fn step(&mut self, n: u8) -> &mut PlanStep {
        let i = self.steps.iter().position(|s| s.number == n).unwrap_or(0);
        &mut self.steps[i]
    }

    /// What the cluster bundle brought, on a cluster host.
    pub fn given(&self) -> Option<&super::setup::Given> {
        self.setup.given.as_ref()
    }

    /// True when this host has the Elasticsearch side.
    pub fn es_here(&self) -> bool {
        self.setup.sides.es()
    }

    /// True when this host has the Kibana side.
    pub fn kibana_here(&self) -> bool {
        self.setup.sides.kibana()
    }

    /// Adds a file (skipped when identical on disk) and notes it under step `n`.
    pub fn file(&mut self, n: u8, path: PathBuf, what: &str, content: Vec<u8>, secret: bool) {
        let old = std::fs::read(&path).ok();
        let unchanged = old.as_deref() == Some(content.as_slice());
        let verb = match (&old, unchanged) {
            (_, true) => "unchanged",
            (None, _) => "new file",
            (Some(_), _) => "replace",
        };
        let mode = if secret { MODE_SECRET } else { MODE_PUBLIC };
        self.step(n).changes.push(format!(
            "{verb}: {} — {what}{}",
            path.display(),
            // Not twice when `what` already says it (`…, mode 0600)`).
            if secret && !what.contains("0600") {
                " (0600)"
            } else {
                ""
            }
        ));
        let dir = crate::fsutil::parent_dir(&path);
        if !dir.exists() && !self.mkdirs.contains(&dir) {
            self.mkdirs.push(dir);
        }
        self.files.push(FileChange {
            path,
            what: what.into(),
            content,
            mode,
            exists: old.is_some(),
            unchanged,
            diff: None,
        });
    }

    /// Adds an edited yml file with its diff (see [`Ctx::file`]).
    pub fn yaml(&mut self, n: u8, ch: &crate::yaml::Changes, what: &str) {
        let diff = ch.diff();
        self.file(
            n,
            ch.path().to_path_buf(),
            what,
            ch.after().as_bytes().to_vec(),
            false,
        );
        if let Some(f) = self.files.last_mut() {
            f.diff = (!diff.is_empty()).then_some(diff);
        }
    }
}

/// One keystore operation in words (no value).
pub(super) fn describe_op(store: &str, op: &KeystoreOp) -> String {
    match op {
        KeystoreOp::Set {
            name,
            value: EntryValue::Known(_),
        } => format!("{store}: set {name}"),
        KeystoreOp::Set {
            name,
            value: EntryValue::FromApi(_),
        } => {
            format!("{store}: set {name} (from the API response)")
        }
        KeystoreOp::Remove { name, reason } => format!("{store}: remove {name} ({reason})"),
    }
}
