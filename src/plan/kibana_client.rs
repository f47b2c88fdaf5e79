//! Kibana's client certificate as step 1 plans it, for the steps that
//! name it (steps 4, 6, 7) and for verification.

use std::path::PathBuf;

use crate::secret::Secret;

/// Name under which the Kibana client PKCS#12's password is in the Kibana keystore.
pub const KB_P12_PASSWORD: &str = "elasticsearch.ssl.keystore.password";

/// Kibana's client certificate as planned.
pub(super) struct ClientFiles {
    /// Absolute paths as kibana.yml names them: p12, or cert + key.
    pub p12: Option<PathBuf>,
    pub pem: Option<(PathBuf, PathBuf)>,
    pub chain: Vec<Vec<u8>>,
    pub key: Secret,
    pub cn: String,
}
