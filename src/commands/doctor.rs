//! `esmtls doctor`: the core's findings, printed one block each (or JSON);
//! exit 0 when there is none, 1 for warnings only, 2 when one is an error (an
//! error of the command itself, such as an unreadable config directory, exits
//! 3; see `crate::exit`).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use esmtls::lifecycle::doctor::{self, OnlineOptions, Severity};

/// `esmtls doctor`.
#[derive(Debug, Args)]
#[command(after_help = crate::exit::DOCTOR_HELP)]
pub struct DoctorArgs {
    /// Elasticsearch's config directory (else ES_PATH_CONF, /etc/elasticsearch, ...).
    #[arg(long, value_name = "DIR")]
    pub es_config: Option<PathBuf>,
    /// Kibana's config directory (else KBN_PATH_CONF, /etc/kibana, ...).
    #[arg(long, value_name = "DIR")]
    pub kibana_config: Option<PathBuf>,
    /// Check online against this URL (default: Kibana's first elasticsearch.hosts, when it answers).
    #[arg(long, value_name = "URL", conflicts_with = "offline")]
    pub es_url: Option<String>,
    /// Only the offline checks.
    #[arg(long)]
    pub offline: bool,
    /// Report certificates that expire within N days (a warning; expired ones are errors).
    #[arg(
        long,
        value_name = "N",
        default_value_t = doctor::DEFAULT_WARN_DAYS,
        allow_negative_numbers = true,
        value_parser = crate::cli::days_ahead,
    )]
    pub warn_days: i64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `esmtls doctor`; returns the exit code.
pub fn run(args: DoctorArgs) -> Result<u8> {
    let ctx = super::status::context(args.es_config.as_deref(), args.kibana_config.as_deref())?;
    // An interrupted apply comes first: what follows reads a half-written tree.
    let mut findings: Vec<doctor::Finding> = super::session::pending(&ctx.config_dirs())
        .map(|p| doctor::Finding {
            severity: Severity::Error,
            check: "interrupted-apply",
            file: match &p {
                esmtls::session::Pending::Interrupted { journal } => Some(journal.clone()),
                esmtls::session::Pending::Running { .. } => None,
            },
            line: None,
            message: p.to_string(),
            fix: "run `esmtls apply --answers FILE` (or the wizard): it restores the files the interrupted run changed, then applies".into(),
        })
        .into_iter()
        .collect();
    findings.extend(doctor::offline_within(&ctx, args.warn_days));
    let mut notes = Vec::new();
    if !args.offline {
        let opts = OnlineOptions {
            url: args.es_url.clone(),
            admin: esmtls::es::Auth::from_env()?,
        };
        let (f, n) = doctor::online(&ctx, &opts);
        findings.extend(f);
        notes = n;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let v = serde_json::json!({ "healthy": findings.is_empty(), "findings": findings, "notes": notes });
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        for f in &findings {
            let sev = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let place = match (&f.file, f.line) {
                (Some(p), Some(l)) => format!(" {}:{l}", p.display()),
                (Some(p), None) => format!(" {}", p.display()),
                _ => String::new(),
            };
            writeln!(
                out,
                "{sev}[{}]{place}\n  {}\n  fix: {}\n",
                f.check, f.message, f.fix
            )?;
        }
        for n in &notes {
            eprintln!("note: {n}");
        }
        if findings.is_empty() {
            eprintln!("No problem found.");
        } else {
            eprintln!("{} finding(s).", findings.len());
        }
    }
    Ok(crate::exit::findings(&findings))
}
