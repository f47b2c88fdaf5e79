//! esmtls's own secret store for one setup (its CA's password), opened the
//! same way by the planner and the executor.

use super::PlanError;
use super::setup::Setup;
use crate::keystore::secrets_store::{SecretStore, SetupId};

/// The Secret Service when it works, else the 0600 file under the setup's state directory.
pub fn open(setup: &Setup) -> Result<SecretStore, PlanError> {
    let id = SetupId::from_config_dirs(&[&setup.es_config, &setup.kibana_config]);
    if std::env::var_os("ESMTLS_SECRET_STORE").is_some_and(|v| v == "file") {
        return Ok(SecretStore::file_in(&setup.state_dir, id));
    }
    let (store, fallback) = SecretStore::open(id.clone())?;
    Ok(match fallback {
        Some(_) => SecretStore::file_in(&setup.state_dir, id),
        None => store,
    })
}
