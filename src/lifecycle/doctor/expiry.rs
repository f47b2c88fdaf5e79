//! Expiry: a certificate that is expired (`expired`, an error: the TLS peer
//! refuses it) or expires within the warning window (`expiring`, a warning:
//! it works today) is a finding whose fix is the exact `esmtls renew`
//! command for that file, so `doctor` and `status` agree on what needs
//! attention (`status` exits 1 for the second case, 2 for the first).
//!
//! Invariants: days are counted once, by the inventory
//! ([`crate::pki::inspect::days_left`]); a CA met in several files is one
//! finding; a CA's fix is the transition plan `renew --dry-run` prints, never
//! an in-place renewal (renew does not re-issue CAs).

use std::path::Path;

use super::{Finding, Severity};
use crate::lifecycle::material::Loaded;
use crate::lifecycle::{Context, Inventory};
use crate::pki::inspect::days_left_words;

/// `esmtls renew`'s own window; a certificate further away needs `--within`.
const RENEW_WITHIN_DEFAULT: i64 = 30;

pub(super) fn check(ctx: &Context, loaded: &[Loaded], warn_days: i64, out: &mut Vec<Finding>) {
    let inv = Inventory::from_loaded(loaded, warn_days);
    let mut cas_seen: Vec<&str> = Vec::new();
    for e in &inv.entries {
        let Some(d) = e.days_left.filter(|d| *d <= warn_days) else {
            continue;
        };
        if e.is_ca {
            if cas_seen.contains(&e.sha256.as_str()) {
                continue;
            }
            cas_seen.push(&e.sha256);
        }
        let (severity, check) = if d < 0 {
            (Severity::Error, "expired")
        } else {
            (Severity::Warning, "expiring")
        };
        let what = if e.is_ca { "the CA" } else { "the certificate" };
        let message = format!(
            "{what} {} ({}) {} (not after {}){}",
            e.subject,
            e.role.name(),
            days_left_words(d),
            e.not_after,
            if d < 0 && !e.is_ca {
                "; the TLS peer refuses it"
            } else {
                ""
            }
        );
        let fix = if e.is_ca {
            format!(
                "a CA is replaced, not renewed in place: `{}` prints the transition plan (a new CA, both trusted, every certificate re-issued, then the old CA removed)",
                renew_command(ctx, None, d, true)
            )
        } else {
            format!(
                "`{}` (same file, same password; Elasticsearch reloads it by itself, Kibana needs a restart)",
                renew_command(ctx, Some(&e.file), d, false)
            )
        };
        out.push(Finding::new(
            severity,
            check,
            Some(e.file.clone()),
            message,
            fix,
        ));
    }
}

/// The `esmtls renew` command for `file` (every file when None) of this
/// setup, with `--within` when `days` is beyond renew's default window.
pub(super) fn renew_command(
    ctx: &Context,
    file: Option<&Path>,
    days: i64,
    dry_run: bool,
) -> String {
    let mut argv: Vec<String> = vec!["esmtls".into(), "renew".into()];
    if let Some(f) = file {
        argv.push("--only".into());
        argv.push(f.display().to_string());
    }
    if days > RENEW_WITHIN_DEFAULT {
        argv.push("--within".into());
        argv.push(days.to_string());
    }
    argv.extend(setup_args(ctx));
    if dry_run {
        argv.push("--dry-run".into());
    }
    join(&argv)
}

/// `--es-config DIR --kibana-config DIR` of the detected setup, so the
/// command works wherever it is pasted.
pub(super) fn setup_args(ctx: &Context) -> Vec<String> {
    let mut argv = Vec::new();
    if let Some(es) = &ctx.detected.es {
        argv.push("--es-config".into());
        argv.push(es.config_dir.display().to_string());
    }
    if let Some(kb) = &ctx.detected.kibana {
        argv.push("--kibana-config".into());
        argv.push(kb.config_dir.display().to_string());
    }
    argv
}

/// A command line a shell reads back as `argv`.
pub(super) fn join(argv: &[String]) -> String {
    shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" "))
}

#[cfg(test)]
mod tests {
    #[test]
    fn commands_are_quoted_for_the_shell() {
        let argv = ["esmtls", "renew", "--only", "/etc/my certs/a.p12"].map(String::from);
        assert_eq!(
            super::join(&argv),
            "esmtls renew --only '/etc/my certs/a.p12'"
        );
    }
}
