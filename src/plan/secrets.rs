//! esmtls's own secret store for one setup (its CA's password), opened the
//! same way by the planner and the executor: both read the choice from
//! [`Setup::ca_password_store`], which `commands::context` fills from the
//! answers' `secrets.ca_password` (the planner also takes the answer itself,
//! so a plan built from answers alone honours it).

use super::PlanError;
use super::choices::SecretStoreChoice;
use super::setup::Setup;
use crate::keystore::secrets_store::{Backend, SecretStore, SetupId};

/// The store [`Setup::ca_password_store`] names (auto: the Secret Service
/// when it works, else the 0600 file under the setup's state directory).
pub fn open(setup: &Setup) -> Result<SecretStore, PlanError> {
    open_for(setup, setup.ca_password_store)
}

/// The store for `choice`; `auto` defers to [`Setup::ca_password_store`], then
/// to `ESMTLS_SECRET_STORE=file`, then to a probe of the Secret Service.
pub fn open_for(setup: &Setup, choice: SecretStoreChoice) -> Result<SecretStore, PlanError> {
    let id = SetupId::from_config_dirs(&[&setup.es_config, &setup.kibana_config]);
    let choice = match choice {
        SecretStoreChoice::Auto => setup.ca_password_store,
        c => c,
    };
    let forced_file = std::env::var_os("ESMTLS_SECRET_STORE").is_some_and(|v| v == "file");
    match choice {
        SecretStoreChoice::File => Ok(SecretStore::file_in(&setup.state_dir, id)),
        SecretStoreChoice::Auto if forced_file => Ok(SecretStore::file_in(&setup.state_dir, id)),
        SecretStoreChoice::Auto => {
            let (store, fallback) = SecretStore::open(id.clone())?;
            Ok(match fallback {
                Some(_) => SecretStore::file_in(&setup.state_dir, id),
                None => store,
            })
        }
        SecretStoreChoice::Keyring => {
            let (store, fallback) = SecretStore::open(id)?;
            match fallback {
                None => Ok(store),
                Some(why) => Err(PlanError::Answer {
                    key: "secrets.ca_password".into(),
                    message: format!(
                        "`keyring` needs a Secret Service (GNOME Keyring, KWallet, KeePassXC…) and none answered ({why}); start one, or use `file` (a 0600 file under esmtls's data directory) or `auto`"
                    ),
                }),
            }
        }
    }
}

/// Where a store keeps secrets, for the plan.
pub fn describe(store: &SecretStore) -> String {
    match store.backend() {
        Backend::SecretService => "the Secret Service (OS keyring)".into(),
        Backend::File(p) => format!("the 0600 file {}", p.display()),
    }
}
