//! `esmtls renew`: show what is due, confirm, write through the core's one
//! batch, and say what happens next on each side.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;
use esmtls::fsutil::Outcome;
use esmtls::lifecycle::renew::{self, Renewal};
use esmtls::lifecycle::{CaChoice, RenewOptions};

use super::common::Source;

/// `esmtls renew`.
#[derive(Debug, Args)]
pub struct RenewArgs {
    /// Elasticsearch's config directory (else ES_PATH_CONF, /etc/elasticsearch, ...).
    #[arg(long, value_name = "DIR")]
    pub es_config: Option<PathBuf>,
    /// Kibana's config directory (else KBN_PATH_CONF, /etc/kibana, ...).
    #[arg(long, value_name = "DIR")]
    pub kibana_config: Option<PathBuf>,
    /// Renew certificates that expire within DAYS.
    #[arg(
        long,
        value_name = "DAYS",
        default_value_t = 30,
        allow_negative_numbers = true,
        value_parser = crate::cli::days_ahead,
    )]
    pub within: i64,
    /// Renew only this file (a path, or a file name such as kibana-client.p12).
    #[arg(long, value_name = "FILE")]
    pub only: Option<PathBuf>,
    /// Add this host name or IP address to the SANs of the --only file's certificate, and re-issue it whatever its expiry (comma-separated, repeatable).
    #[arg(long, value_name = "HOST", value_delimiter = ',', requires = "only")]
    pub add_san: Vec<String>,
    /// Validity of the new certificates in days (default: the old certificate's lifetime).
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        value_parser = crate::cli::validity_days,
    )]
    pub days: Option<u32>,
    /// The CA to sign with, when it is not esmtls's CA or the auto-configured http_ca (PKCS#12, or PEM with --ca-key).
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// The CA's PEM key, when --ca is a PEM certificate.
    #[arg(long, value_name = "FILE", requires = "ca")]
    pub ca_key: Option<PathBuf>,
    #[command(flatten)]
    pub ca_password: crate::cli::CaPasswordArgs,
    /// Show what would be renewed, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (needed without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

fn line(r: &Renewal, verb: &str) -> String {
    let alias = r
        .alias
        .as_deref()
        .map(|a| format!(" [{a}]"))
        .unwrap_or_default();
    format!(
        "{verb} {}{alias}: {} — valid until {} ({} days left) → {} (signed by {})",
        r.file.display(),
        r.subject,
        r.old_not_after.get(..10).unwrap_or(&r.old_not_after),
        r.old_days_left,
        r.new_not_after.get(..10).unwrap_or(&r.new_not_after),
        r.ca
    )
}

/// `esmtls renew`.
pub fn run(args: RenewArgs) -> Result<()> {
    let mut ctx = super::status::context(args.es_config.as_deref(), args.kibana_config.as_deref())?;
    // A writer: recovery first, then plan from the restored tree.
    let session = super::session::writer(&ctx.config_dirs(), "esmtls renew")?;
    if session.recovered_anything() {
        ctx = super::status::context(args.es_config.as_deref(), args.kibana_config.as_deref())?;
    }
    let ca = match &args.ca {
        Some(cert) => {
            let src = Source {
                file: args.ca_password.ca_password_file.as_deref(),
                stdin: args.ca_password.ca_password_stdin,
                flags: ("--ca-password-file", "--ca-password-stdin"),
            };
            let password = if src.given() {
                Some(src.read("the CA", false)?)
            } else {
                None
            };
            Some(CaChoice {
                cert: cert.clone(),
                key: args.ca_key.clone(),
                password,
            })
        }
        None => None,
    };
    let opts = RenewOptions {
        within: args.within,
        only: args.only.iter().cloned().collect(),
        days: args.days,
        ca,
        add_sans: args.add_san.clone(),
    };
    let plan = renew::plan(&ctx, &opts)?;
    let mut out = std::io::stdout().lock();
    for n in &plan.ca_notices {
        writeln!(
            out,
            "CA {} ({}) expires on {} ({} days left) — this needs a CA transition, not a renewal:",
            n.subject,
            n.file.display(),
            n.not_after.get(..10).unwrap_or(&n.not_after),
            n.days_left
        )?;
        for step in n.plan.iter().skip(1) {
            writeln!(out, "  {step}")?;
        }
    }
    if plan.is_noop() {
        let scope = args
            .only
            .as_ref()
            .map(|o| format!(" in {}", o.display()))
            .unwrap_or_default();
        writeln!(
            out,
            "Nothing to renew: no certificate{scope} expires within {} days.",
            args.within
        )?;
        return Ok(());
    }
    let verb = if args.dry_run { "would renew" } else { "renew" };
    for r in &plan.renewals {
        writeln!(out, "{}", line(r, verb))?;
    }
    for w in &plan.warnings {
        eprintln!("warning: {w}");
    }
    if args.dry_run {
        writeln!(out, "(dry run: nothing was written)")?;
        return Ok(());
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            bail!(
                "renew replaces certificate files and there is no terminal to confirm on; review with --dry-run and pass --yes"
            );
        }
        eprint!("Renew these certificates (backups are kept)? [y/N] ");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            bail!("nothing was written");
        }
    }
    let steps = plan.next_steps.clone();
    let written = super::interrupt::writing(|| plan.write(&ctx))?;
    drop(session);
    for (path, outcome) in written {
        match outcome {
            Outcome::Replaced { backup } => writeln!(
                out,
                "wrote {} (backup: {})",
                path.display(),
                backup.display()
            )?,
            Outcome::Created => writeln!(out, "wrote {}", path.display())?,
            Outcome::Unchanged => {}
        }
    }
    writeln!(out, "\nNext:")?;
    for s in steps {
        writeln!(out, "  {s}")?;
    }
    Ok(())
}
