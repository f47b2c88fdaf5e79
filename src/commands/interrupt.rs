//! Ctrl-C and SIGTERM for the line-mode commands (the wizard reads Ctrl-C as
//! a key instead).
//!
//! Outside a critical section a signal ends the process at once with exit
//! code 130 and `error: stopped by the operator …`: nothing is being written
//! then (planning, reading, waiting at a prompt), so nothing is changed. In a
//! critical section (a recovery, apply's writes) the first signal only sets
//! the stop flag that apply reads at its safe points, so it can undo what it
//! did; a second one ends the process at once, and the journal restores the
//! files on the next run.
//!
//! A thread waits for the signals (`signal_hook::iterator`), so the handler
//! itself only stores a flag and printing happens outside it.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use esmtls::apply::{self, Cancel};

struct Interrupts {
    cancel: Cancel,
    critical: Arc<AtomicBool>,
    /// A critical section has run: files may have been written.
    wrote: Arc<AtomicBool>,
}

static STATE: OnceLock<Interrupts> = OnceLock::new();

/// Installs the handling for the rest of the process.
pub fn install() -> Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let state = STATE.get_or_init(|| Interrupts {
        cancel: Cancel::new(),
        critical: Arc::new(AtomicBool::new(false)),
        wrote: Arc::new(AtomicBool::new(false)),
    });
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .context("installing the Ctrl-C handler")?;
    let (cancel, critical) = (state.cancel.clone(), state.critical.clone());
    let wrote = state.wrote.clone();
    std::thread::spawn(move || {
        for _ in signals.forever() {
            if !critical.load(Ordering::SeqCst) && wrote.load(Ordering::SeqCst) {
                eprintln!(
                    "error: {} after the changes were made; what they report above is in place",
                    apply::STOPPED
                );
                std::process::exit(i32::from(crate::exit::STOPPED));
            }
            if !critical.load(Ordering::SeqCst) {
                eprintln!(
                    "error: {} before anything was written; nothing was changed",
                    apply::STOPPED
                );
                std::process::exit(i32::from(crate::exit::STOPPED));
            }
            if cancel.is_cancelled() {
                eprintln!(
                    "error: {} again: quitting at once; the next esmtls run restores the files from its journal",
                    apply::STOPPED
                );
                std::process::exit(i32::from(crate::exit::STOPPED));
            }
            cancel.cancel();
        }
    });
    Ok(())
}

/// The stop flag a signal sets inside a critical section.
pub fn cancel() -> Cancel {
    STATE.get().map(|s| s.cancel.clone()).unwrap_or_default()
}

/// Runs `f` as a critical section: a signal asks it to stop instead of
/// ending the process.
pub fn critical<T>(f: impl FnOnce() -> T) -> T {
    let Some(state) = STATE.get() else {
        return f();
    };
    let was = state.critical.swap(true, Ordering::SeqCst);
    let out = f();
    state.critical.store(was, Ordering::SeqCst);
    out
}

/// Runs `f`, which writes, as a critical section; a stop after it says that
/// its changes are in place.
pub fn writing<T>(f: impl FnOnce() -> T) -> T {
    let out = critical(f);
    if let Some(state) = STATE.get() {
        state.wrote.store(true, Ordering::SeqCst);
    }
    out
}

/// An error when the operator asked to stop during a critical section that
/// has finished (a recovery): the command goes no further.
pub fn check() -> Result<()> {
    if cancel().is_cancelled() {
        return Err(apply::ApplyError {
            what: format!(
                "{} after the interrupted run was restored; nothing else was changed",
                apply::STOPPED
            ),
            restored: Vec::new(),
            stop: apply::Stop::CancelledAfterChanges,
        }
        .into());
    }
    Ok(())
}
