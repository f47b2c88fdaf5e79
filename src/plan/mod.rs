//! The plan: the five modes, the nine steps, the guided license choice, and
//! (built from answers and detection) the list of changes that both the wizard
//! and `esmtls apply` execute.
//!
//! Shape (STYLE.md): answers file / wizard screens → [`Answers`] (validated)
//! → [`build`] (reads files and the cluster, writes nothing) → [`Plan`] (all
//! values) → [`crate::apply`], the only code that writes.

pub mod answers;
mod build;
pub(crate) mod certs;
pub mod choices;
mod context;
pub mod current;
mod edits;
pub(crate) mod facts;
pub mod guide;
mod kibana_client;
pub mod mode;
pub mod render;
pub mod restart_pending;
pub mod secrets;
pub mod setup;
mod steps;
pub mod types;

pub use crate::es::requests::role_mapping_body;
pub use answers::{Answers, AnswersError};
pub use build::{KB_P12_PASSWORD, build};
pub use certs::{CA_SECRET, random_password};
pub use choices::{ClientAuth, RealmOrder, Restart, SecretStoreChoice};
pub use guide::{
    Availability, GuideError, GuideInput, LicenseSource, ModeOption, Recommendation, check_choice,
    recommend,
};
pub use mode::{Applies, Credential, License, Mode, Step, applies};
pub use setup::{Cluster, ClusterError, Given, KibanaIdentity, Offline, Setup, Sides, WhoAmI};
pub use types::*;

/// The prerequisite the guide assumes: Elasticsearch serves HTTPS.
pub struct Prereq;

impl Prereq {
    /// Title of step 0.
    pub const TITLE: &'static str = "Before step 1: Elasticsearch serves HTTPS";
    /// What step 0 does.
    pub const TEXT: &'static str = "The guide assumes Elasticsearch already serves HTTPS (security auto-configuration does that). It does not here, so esmtls issues its HTTP certificate from the same CA and turns HTTPS on.";
}

/// Why no plan could be made. Nothing was written when this is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// An answer is missing or does not fit this machine.
    #[error("answers: `{key}`: {message}")]
    Answer {
        /// The dotted answers key.
        key: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// The license forbids the mode.
    #[error(transparent)]
    Guide(#[from] guide::GuideError),
    /// A yml file is refused.
    #[error(transparent)]
    Yaml(#[from] crate::yaml::YamlError),
    /// A keystore is refused.
    #[error(transparent)]
    Keystore(#[from] crate::keystore::KeystoreError),
    /// A certificate operation failed.
    #[error(transparent)]
    Pki(#[from] crate::pki::PkiError),
    /// esmtls's secret store failed.
    #[error(transparent)]
    Store(#[from] crate::keystore::secrets_store::StoreError),
    /// Anything else, worded for the operator.
    #[error("{0}")]
    Other(String),
}
