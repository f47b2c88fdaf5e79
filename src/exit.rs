//! The exit codes of every command, in one place, and what decides them.
//!
//! `status` and `doctor` report a result with 0/1/2, for cron and monitoring;
//! every error has a code of its own above those, so a failing run is never
//! read as "expiring" or "expired".

use esmtls::lifecycle::Health;
use esmtls::lifecycle::doctor::{Finding, Severity};

/// Success; `status`/`doctor`: nothing to report.
pub const OK: u8 = 0;
/// `status`: a certificate expires within the warning window; `doctor`: warnings only.
pub const ATTENTION: u8 = 1;
/// `status`: a certificate is expired or cannot be read; `doctor`: errors found.
pub const BROKEN: u8 = 2;
/// The operator's input or setup is wrong (`error: …` on stderr).
pub const ERROR: u8 = 3;
/// Another esmtls is changing this setup right now; try again later.
pub const BUSY: u8 = 4;
/// Usage error: unknown option or subcommand, invalid or missing value (EX_USAGE).
pub const USAGE: u8 = 64;
/// Unexpected: a bug, or the crypto library failed (EX_SOFTWARE).
pub const UNEXPECTED: u8 = 70;
/// Stopped by the operator (Ctrl-C, SIGTERM), as a shell reports a SIGINT.
pub const STOPPED: u8 = 130;

/// The table for `--help` (top level), kept in step with the constants above.
pub const HELP: &str = "\
Exit codes:
  0    success; status/doctor: nothing to report
  1    status: a certificate expires within --warn-days; doctor: warnings only
  2    status: a certificate is expired or unreadable; doctor: errors found
  3    error: the input or setup is wrong (`error: …` on stderr)
  4    another esmtls is changing this setup right now; try again later
  64   usage error: unknown option, invalid or missing value
  70   unexpected: a bug or the crypto library
  130  stopped by the operator (Ctrl-C, SIGTERM)";

/// `esmtls status`'s result.
pub const STATUS_HELP: &str = "\
Exit codes:
  0    nothing expires within --warn-days
  1    something expires within --warn-days
  2    something is expired, or cannot be read (missing file, wrong password),
       or an earlier apply was interrupted (run `esmtls apply` to restore)
  3    error: the setup cannot be read (`error: …` on stderr)
  64   usage error (e.g. a negative --warn-days)";

/// `esmtls doctor`'s result.
pub const DOCTOR_HELP: &str = "\
Exit codes:
  0    no finding
  1    warnings only (e.g. a certificate expires within --warn-days)
  2    at least one error (the connection fails, a certificate is expired,
       or a product refuses to start)
  3    error: the setup cannot be read (`error: …` on stderr)
  64   usage error";

/// `esmtls status`'s exit code for the worst state of the inventory.
pub fn health(h: Health) -> u8 {
    match h {
        Health::Ok => OK,
        Health::Expiring => ATTENTION,
        Health::Broken => BROKEN,
    }
}

/// `esmtls doctor`'s exit code: the worst finding's severity.
pub fn findings(f: &[Finding]) -> u8 {
    match f.iter().map(|f| f.severity).min() {
        None => OK,
        Some(Severity::Warning) => ATTENTION,
        Some(Severity::Error) => BROKEN,
    }
}

/// The operator stopped a command that is not `apply` itself (the wizard's
/// second Ctrl-C during apply); exits [`STOPPED`].
#[derive(Debug)]
pub struct Stopped(pub String);

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Stopped {}

/// The exit code for a command line clap refused, or for `--help`/`--version`.
pub fn of_usage(e: &clap::Error) -> u8 {
    if e.use_stderr() { USAGE } else { OK }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_tables_list_every_code() {
        for c in [
            OK, ATTENTION, BROKEN, ERROR, BUSY, USAGE, UNEXPECTED, STOPPED,
        ] {
            assert!(HELP.contains(&format!("\n  {c:<4} ")), "{c}");
        }
        for t in [STATUS_HELP, DOCTOR_HELP] {
            for c in [OK, ATTENTION, BROKEN, ERROR, USAGE] {
                assert!(t.contains(&format!("\n  {c:<4} ")), "{c}: {t}");
            }
        }
    }

    #[test]
    fn results_and_errors_do_not_share_a_code() {
        let results = [OK, ATTENTION, BROKEN];
        for e in [ERROR, BUSY, USAGE, UNEXPECTED, STOPPED] {
            assert!(!results.contains(&e), "{e}");
        }
    }
}
