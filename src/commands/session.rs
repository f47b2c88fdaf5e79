//! Recovery first, for every command: a writer takes the setup's locks and
//! recovers an interrupted run before it plans; a reader reports one
//! (`esmtls::session`).

use std::path::Path;

use anyhow::Result;
use esmtls::session::{self, Pending, Writer};

use super::interrupt;

/// Takes the locks of `dirs` and recovers what a killed run left there,
/// telling the operator on stderr what was put back. The recovery is a
/// critical section: Ctrl-C during it lets it finish, then stops.
pub fn writer(dirs: &[&Path], command: &str) -> Result<Writer> {
    let state = super::context::state_dir();
    let w = interrupt::critical(|| Writer::take(&state, dirs, command))?;
    if w.recovered_anything() {
        // A stop from here on does not end "with nothing changed".
        interrupt::writing(|| ());
    }
    for f in &w.restored {
        eprintln!("restored from an interrupted apply: {}", f.display());
    }
    for l in &w.left {
        eprintln!("note: {l}");
    }
    for t in &w.temps_removed {
        eprintln!(
            "removed a temporary file a killed esmtls left: {}",
            t.display()
        );
    }
    interrupt::check()?;
    Ok(w)
}

/// For a reader: an interrupted or running apply on `dirs`, if any.
pub fn pending(dirs: &[&Path]) -> Option<Pending> {
    session::pending(&super::context::state_dir(), dirs)
}

/// `ESMTLS_FAULT=sleep-in-planning:MS` (tests): says so on stderr and sleeps,
/// so a test can send a signal while nothing is written yet.
pub fn fault_in_planning() {
    let fault = std::env::var("ESMTLS_FAULT").unwrap_or_default();
    if let Some(ms) = fault
        .strip_prefix("sleep-in-planning:")
        .and_then(|m| m.parse().ok())
    {
        eprintln!("ESMTLS_FAULT: sleeping in planning");
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}
