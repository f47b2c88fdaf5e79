//! Restarts still owed: once `apply` has changed a side's files or keystore,
//! that side must restart before the change takes effect, and a plan built
//! before the restart sees files that already say everything — "nothing
//! changed" would be wrong. So `apply` records the pending restart in the
//! state directory (beside the apply journal, one file per setup), the
//! planner's steps 5 and 9 show it (the CLI and the wizard both render that
//! plan), and a successful verification clears it.
//!
//! The same file keeps the credentials an apply replaced until they are
//! revoked (`esmtls apply --revoke-replaced`) or found gone: the plan that
//! replaced them is the only one that sees them otherwise.
//!
//! Invariants: the file holds no secret; a missing or unreadable file means
//! nothing is pending (it only adds a reminder, never blocks a run).

use std::path::{Path, PathBuf};

use super::setup::Setup;
use super::types::{Replaced, Service};

/// The sides whose restart is pending, with when esmtls changed them
/// (`2026-12-04 12:51:58 UTC`).
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pending {
    /// Elasticsearch's files or keystore changed at this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elasticsearch: Option<String>,
    /// Kibana's files or keystore changed at this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kibana: Option<String>,
    /// Kibana's credentials an apply replaced and that are not revoked yet
    /// (names only: never a secret).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaced: Vec<Replaced>,
}

impl Pending {
    /// When `service`'s restart became pending, if it is.
    pub fn since(&self, service: Service) -> Option<&str> {
        match service {
            Service::Elasticsearch => self.elasticsearch.as_deref(),
            Service::Kibana => self.kibana.as_deref(),
        }
    }

    fn slot(&mut self, service: Service) -> &mut Option<String> {
        match service {
            Service::Elasticsearch => &mut self.elasticsearch,
            Service::Kibana => &mut self.kibana,
        }
    }
}

/// The file of this setup (the same id as its apply journal).
pub fn path(setup: &Setup) -> PathBuf {
    let id = crate::keystore::secrets_store::SetupId::from_config_dirs(&[
        &setup.es_config,
        &setup.kibana_config,
    ]);
    setup
        .state_dir
        .join(format!("restart-pending-{}.json", id.as_str()))
}

/// What is pending for this setup (nothing when the file is absent or unreadable).
pub fn read(setup: &Setup) -> Pending {
    read_at(&path(setup))
}

fn read_at(p: &Path) -> Pending {
    std::fs::read(p)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Records that `services` changed now and must restart.
pub fn record(setup: &Setup, services: &[Service]) -> Result<(), String> {
    if services.is_empty() {
        return Ok(());
    }
    let p = path(setup);
    let mut pending = read_at(&p);
    let now = crate::fsutil::utc_now_text();
    for s in services {
        *pending.slot(*s) = Some(now.clone());
    }
    save(&p, &pending)
}

/// Clears `services` (their restart is confirmed); removes the file when nothing is left.
pub fn clear(setup: &Setup, services: &[Service]) -> Result<(), String> {
    let p = path(setup);
    if !p.exists() {
        return Ok(());
    }
    let mut pending = read_at(&p);
    for s in services {
        *pending.slot(*s) = None;
    }
    store(&p, &pending)
}

/// Remembers credentials an apply replaced (until [`forget_replaced`]).
pub fn remember_replaced(setup: &Setup, replaced: &[Replaced]) -> Result<(), String> {
    let p = path(setup);
    let mut pending = read_at(&p);
    let before = pending.clone();
    for r in replaced {
        if !pending.replaced.contains(r) {
            pending.replaced.push(r.clone());
        }
    }
    if pending == before {
        return Ok(());
    }
    save(&p, &pending)
}

/// Forgets replaced credentials (revoked, or gone).
pub fn forget_replaced(setup: &Setup, done: &[Replaced]) -> Result<(), String> {
    let p = path(setup);
    if !p.exists() {
        return Ok(());
    }
    let mut pending = read_at(&p);
    pending.replaced.retain(|r| !done.contains(r));
    store(&p, &pending)
}

/// Saves `pending`, or removes the file when nothing is left.
fn store(p: &Path, pending: &Pending) -> Result<(), String> {
    if *pending == Pending::default() {
        return std::fs::remove_file(p).map_err(|e| format!("cannot remove {}: {e}", p.display()));
    }
    save(p, pending)
}

fn save(p: &Path, pending: &Pending) -> Result<(), String> {
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let text = serde_json::to_vec_pretty(pending).unwrap_or_default();
    crate::fsutil::write_file(
        p,
        text,
        crate::fsutil::MODE_PUBLIC,
        crate::fsutil::Existing::Replace,
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_until_cleared_side_by_side() {
        let tmp = tempfile::tempdir().unwrap();
        let setup = Setup::dirs(
            &tmp.path().join("es"),
            &tmp.path().join("kb"),
            &tmp.path().join("state"),
        );
        assert_eq!(read(&setup), Pending::default());
        record(&setup, &[Service::Elasticsearch, Service::Kibana]).unwrap();
        let p = read(&setup);
        assert!(p.since(Service::Elasticsearch).is_some() && p.since(Service::Kibana).is_some());
        // Dated to the second, as an operator reads it (`2026-12-04 12:51:58 UTC`).
        let t = p.since(Service::Kibana).unwrap();
        assert!(
            t.ends_with(" UTC") && !t.contains('.') && t.len() == 23,
            "{t}"
        );
        clear(&setup, &[Service::Elasticsearch]).unwrap();
        let p = read(&setup);
        assert!(p.since(Service::Elasticsearch).is_none() && p.since(Service::Kibana).is_some());
        clear(&setup, &[Service::Kibana]).unwrap();
        assert!(!path(&setup).exists());
        // Nothing pending: clearing is a no-op.
        clear(&setup, &[Service::Kibana]).unwrap();
    }
}
