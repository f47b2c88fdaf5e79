//! esmtls's own secrets (the CA's PKCS#12 password, generated passwords), kept
//! so that a renewal months later needs no questions.
//!
//! Decision (see crate-notes §4): secrets go to the desktop **Secret Service**
//! through `keyring-core` + `zbus-secret-service-keyring-store` (pure Rust, no
//! libdbus) when a session bus exists and a probe entry can be written, read and
//! deleted within 3 seconds. Otherwise — servers, containers, CI, where no
//! Secret Service runs — they go to a **file**:
//! `<data dir>/secrets/<setup id>.json` (data dir from `directories`, e.g.
//! `~/.local/share/esmtls`, honouring `XDG_DATA_HOME`), directory `0700`, file
//! `0600`, plain JSON protected by file permissions only, like `~/.pgpass` or an
//! unencrypted SSH key. [`SecretStore::notice`] says where it is, and callers
//! must show it. The kernel keyutils store is not used: its persistent keyring
//! expires after 3 idle days and at reboot, too short for renewals.
//!
//! Crate: the mission names `keyring`. Its v4 is an umbrella/sample crate and
//! its authors point applications at `keyring-core` plus one store crate; the
//! libdbus store does not build without dev headers, so the pure-Rust zbus
//! store is used.
//!
//! Invariants: entries are keyed by the *setup* they belong to ([`SetupId`], a
//! hash of its canonical config directories), so two clusters on one machine do
//! not share secrets; values are [`Secret`]s and never logged; the file is
//! written through [`crate::fsutil`] and the backup fsutil makes is deleted
//! right after, because a stale copy of removed secrets is worse than no backup.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::fsutil::{self, Existing, FsError, MODE_SECRET, Outcome};
use crate::secret::Secret;

const SERVICE: &str = "esmtls";
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Why the secret store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The OS keyring (Secret Service) reported an error.
    #[error("the system keyring failed: {reason}")]
    Keyring {
        /// The keyring's message.
        reason: String,
    },
    /// No home/data directory could be determined for the fallback file.
    #[error("no data directory for esmtls's secrets (is HOME set?); set XDG_DATA_HOME or HOME")]
    NoDataDir,
    /// The fallback file or its directory cannot be read or created.
    #[error("cannot use {path}: {reason}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// The fallback file is not what esmtls writes.
    #[error("{path} is not an esmtls secrets file ({reason}); move it away and run again")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Writing the fallback file failed (nothing was changed).
    #[error(transparent)]
    Write(#[from] FsError),
}

/// Identifies one setup (one Kibana + Elasticsearch pair) by its config directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupId {
    id: String,
    dirs: Vec<String>,
}

impl SetupId {
    /// From the setup's config directories (canonicalised when they exist, sorted),
    /// so the same directories always give the same id, in any order.
    pub fn from_config_dirs(dirs: &[&Path]) -> Self {
        let mut names: Vec<String> = dirs
            .iter()
            .map(|d| {
                std::fs::canonicalize(d)
                    .unwrap_or_else(|_| d.to_path_buf())
                    .display()
                    .to_string()
            })
            .collect();
        names.sort();
        names.dedup();
        let digest = Sha256::digest(names.join("\n").as_bytes());
        SetupId {
            id: hex::encode(&digest[..8]),
            dirs: names,
        }
    }

    /// The short id (16 hex digits).
    pub fn as_str(&self) -> &str {
        &self.id
    }
}

/// Where secrets are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// The desktop Secret Service (GNOME Keyring, KWallet, KeePassXC, oo7…).
    SecretService,
    /// The `0600` file fallback at this path.
    File(PathBuf),
}

/// esmtls's secret store for one setup.
pub struct SecretStore {
    setup: SetupId,
    backend: Backend,
    keyring: Option<std::sync::Arc<keyring_core::CredentialStore>>,
}

impl std::fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretStore")
            .field("setup", &self.setup)
            .field("backend", &self.backend)
            .finish()
    }
}

/// The default data directory (`directories::ProjectDirs`), e.g. `~/.local/share/esmtls`.
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "esmtls").map(|p| p.data_dir().to_path_buf())
}

impl SecretStore {
    /// The Secret Service when it works (probed), else the file fallback in
    /// [`default_data_dir`]. Returns the store and, when the Secret Service was
    /// not used, why (for the caller to show alongside [`SecretStore::notice`]).
    pub fn open(setup: SetupId) -> Result<(Self, Option<String>), StoreError> {
        match probe_secret_service() {
            Ok(store) => Ok((
                SecretStore {
                    setup,
                    backend: Backend::SecretService,
                    keyring: Some(store),
                },
                None,
            )),
            Err(why) => {
                let dir = default_data_dir().ok_or(StoreError::NoDataDir)?;
                Ok((Self::file_in(&dir, setup), Some(why)))
            }
        }
    }

    /// The file fallback under `data_dir` (tests point it at a temporary directory).
    pub fn file_in(data_dir: &Path, setup: SetupId) -> Self {
        let path = data_dir.join("secrets").join(format!("{}.json", setup.id));
        SecretStore {
            setup,
            backend: Backend::File(path),
            keyring: None,
        }
    }

    /// Where the secrets are.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// One sentence for the operator on where secrets are kept.
    pub fn notice(&self) -> String {
        match &self.backend {
            Backend::SecretService => format!(
                "esmtls keeps this setup's secrets in your desktop keyring (Secret Service, service \"{SERVICE}\", setup {})",
                self.setup.id
            ),
            Backend::File(p) => format!(
                "no system keyring is available, so esmtls keeps this setup's secrets in {} (mode 0600, readable by you and root only, not encrypted); delete it when the setup is retired",
                p.display()
            ),
        }
    }

    fn user(&self, name: &str) -> String {
        format!("{}/{name}", self.setup.id)
    }

    /// Stores (or replaces) a secret.
    pub fn set(&self, name: &str, value: &Secret) -> Result<(), StoreError> {
        match (&self.backend, &self.keyring) {
            (Backend::SecretService, Some(store)) => {
                let e = store.build(SERVICE, &self.user(name), None).map_err(kr)?;
                e.set_password(value.expose()).map_err(kr)
            }
            (Backend::File(p), _) => {
                let mut file = self.read_file(p)?;
                file.secrets
                    .insert(name.to_string(), value.expose().to_string());
                self.write_file(p, &file)
            }
            _ => Err(StoreError::Keyring {
                reason: "no keyring store".into(),
            }),
        }
    }

    /// A secret, or `None` when it was never stored.
    pub fn get(&self, name: &str) -> Result<Option<Secret>, StoreError> {
        match (&self.backend, &self.keyring) {
            (Backend::SecretService, Some(store)) => {
                let e = store.build(SERVICE, &self.user(name), None).map_err(kr)?;
                match e.get_password() {
                    Ok(v) => Ok(Some(Secret::new(v))),
                    Err(keyring_core::Error::NoEntry) => Ok(None),
                    Err(err) => Err(kr(err)),
                }
            }
            (Backend::File(p), _) => Ok(self
                .read_file(p)?
                .secrets
                .get(name)
                .map(|v| Secret::new(v.as_str()))),
            _ => Err(StoreError::Keyring {
                reason: "no keyring store".into(),
            }),
        }
    }

    /// Deletes a secret; `false` when there was none.
    pub fn delete(&self, name: &str) -> Result<bool, StoreError> {
        match (&self.backend, &self.keyring) {
            (Backend::SecretService, Some(store)) => {
                let e = store.build(SERVICE, &self.user(name), None).map_err(kr)?;
                match e.delete_credential() {
                    Ok(()) => Ok(true),
                    Err(keyring_core::Error::NoEntry) => Ok(false),
                    Err(err) => Err(kr(err)),
                }
            }
            (Backend::File(p), _) => {
                let mut file = self.read_file(p)?;
                if file.secrets.remove(name).is_none() {
                    return Ok(false);
                }
                self.write_file(p, &file)?;
                Ok(true)
            }
            _ => Err(StoreError::Keyring {
                reason: "no keyring store".into(),
            }),
        }
    }

    fn read_file(&self, path: &Path) -> Result<SecretsFile, StoreError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => zeroize::Zeroizing::new(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(SecretsFile {
                    setup_dirs: self.setup.dirs.clone(),
                    secrets: BTreeMap::new(),
                });
            }
            Err(e) => {
                return Err(StoreError::Io {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                });
            }
        };
        serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    fn write_file(&self, path: &Path, file: &SecretsFile) -> Result<(), StoreError> {
        let dir = fsutil::parent_dir(path);
        create_private_dir(&dir)?;
        let json = serde_json::to_vec_pretty(file).map_err(|e| StoreError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        if let Outcome::Replaced { backup } =
            fsutil::write_file(path, json, MODE_SECRET, Existing::Replace)?
        {
            let _ = std::fs::remove_file(backup);
        }
        Ok(())
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct SecretsFile {
    /// The config directories of the setup, so an operator can tell files apart.
    setup_dirs: Vec<String>,
    secrets: BTreeMap<String, String>,
}

impl Drop for SecretsFile {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        for v in self.secrets.values_mut() {
            v.zeroize();
        }
    }
}

fn kr(e: keyring_core::Error) -> StoreError {
    StoreError::Keyring {
        reason: e.to_string(),
    }
}

fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| StoreError::Io {
            path: dir.to_path_buf(),
            reason: e.to_string(),
        })
}

/// True when a D-Bus session bus may exist (without it there is no Secret Service).
fn session_bus_present() -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty()) {
        return true;
    }
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX);
    Path::new(&format!("/run/user/{uid}/bus")).exists()
}

/// Opens the Secret Service and round-trips a probe entry, with a timeout (a
/// hung provider must not hang esmtls). `Err` says why it is not usable.
fn probe_secret_service() -> Result<std::sync::Arc<keyring_core::CredentialStore>, String> {
    if !session_bus_present() {
        return Err(
            "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset, no /run/user/<uid>/bus)".into(),
        );
    }
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let result = (|| -> Result<std::sync::Arc<keyring_core::CredentialStore>, String> {
            let store: std::sync::Arc<keyring_core::CredentialStore> =
                zbus_secret_service_keyring_store::Store::new().map_err(|e| e.to_string())?;
            let user = format!("probe-{}", std::process::id());
            let e = store
                .build(SERVICE, &user, None)
                .map_err(|e| e.to_string())?;
            e.set_password("probe").map_err(|e| e.to_string())?;
            let back = e.get_password().map_err(|e| e.to_string());
            let _ = e.delete_credential();
            if back? != "probe" {
                return Err("the probe entry read back differently".into());
            }
            Ok(store)
        })();
        let _ = tx.send(result);
    });
    match rx.recv_timeout(PROBE_TIMEOUT) {
        Ok(r) => r.map_err(|e| format!("the Secret Service is not usable: {e}")),
        Err(_) => Err("the Secret Service did not answer within 3 seconds".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn setup_id_ignores_order_and_differs_per_setup() {
        let a =
            SetupId::from_config_dirs(&[Path::new("/etc/kibana"), Path::new("/etc/elasticsearch")]);
        let b =
            SetupId::from_config_dirs(&[Path::new("/etc/elasticsearch"), Path::new("/etc/kibana")]);
        let c = SetupId::from_config_dirs(&[
            Path::new("/srv/b/kibana"),
            Path::new("/srv/b/elasticsearch"),
        ]);
        assert_eq!(a, b);
        assert_ne!(a.as_str(), c.as_str());
        assert_eq!(a.as_str().len(), 16);
    }

    #[test]
    fn file_fallback_round_trip_mode_and_isolation() {
        let d = tempfile::tempdir().unwrap();
        let one = SecretStore::file_in(d.path(), SetupId::from_config_dirs(&[Path::new("/one")]));
        let two = SecretStore::file_in(d.path(), SetupId::from_config_dirs(&[Path::new("/two")]));
        assert_eq!(one.get("ca-password").unwrap(), None);
        one.set("ca-password", &Secret::new("s3cret")).unwrap();
        one.set("ca-password", &Secret::new("s3cret-2")).unwrap();
        assert_eq!(
            one.get("ca-password").unwrap().unwrap().expose(),
            "s3cret-2"
        );
        assert_eq!(
            two.get("ca-password").unwrap(),
            None,
            "setups do not share secrets"
        );
        let Backend::File(p) = one.backend() else {
            panic!()
        };
        assert_eq!(
            std::fs::metadata(p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let dir = p.parent().unwrap();
        assert_eq!(
            std::fs::metadata(dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        assert_eq!(
            std::fs::read_dir(dir).unwrap().count(),
            1,
            "no backup with stale secrets"
        );
        assert!(one.notice().contains(&p.display().to_string()));
        assert!(!format!("{one:?}").contains("s3cret"));
        assert!(one.delete("ca-password").unwrap());
        assert!(!one.delete("ca-password").unwrap());
        assert_eq!(one.get("ca-password").unwrap(), None);
    }

    #[test]
    fn corrupt_file_is_named() {
        let d = tempfile::tempdir().unwrap();
        let s = SecretStore::file_in(d.path(), SetupId::from_config_dirs(&[Path::new("/x")]));
        let Backend::File(p) = s.backend().clone() else {
            panic!()
        };
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, "not json").unwrap();
        let e = s.get("a").unwrap_err();
        assert!(e.to_string().contains("move it away"), "{e}");
    }
}
