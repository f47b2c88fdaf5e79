//! `esmtls status`: every certificate the setup uses, with its expiry, as a
//! table or JSON; the exit code (0 fine, 1 expiring, 2 expired or broken) is
//! for cron and monitoring, so it is returned, not raised as an error (an
//! error, such as an unreadable config directory, exits 3; see `crate::exit`).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use esmtls::detect::DetectOptions;
use esmtls::lifecycle::{Context, Health, Inventory};
use serde_json::json;

/// `esmtls status`.
#[derive(Debug, Args)]
#[command(after_help = crate::exit::STATUS_HELP)]
pub struct StatusArgs {
    /// Elasticsearch's config directory (else ES_PATH_CONF, /etc/elasticsearch, ...).
    #[arg(long, value_name = "DIR")]
    pub es_config: Option<PathBuf>,
    /// Kibana's config directory (else KBN_PATH_CONF, /etc/kibana, ...).
    #[arg(long, value_name = "DIR")]
    pub kibana_config: Option<PathBuf>,
    /// Warn (exit 1) about certificates that expire within N days.
    #[arg(
        long,
        value_name = "N",
        default_value_t = esmtls::lifecycle::doctor::DEFAULT_WARN_DAYS,
        allow_negative_numbers = true,
        value_parser = crate::cli::days_ahead,
    )]
    pub warn_days: i64,
    /// Also list what the node reports (GET /_ssl/certificates), with ESMTLS_ES_* credentials.
    #[arg(long, value_name = "URL")]
    pub es_url: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Detection for the lifecycle commands.
pub fn context(es: Option<&Path>, kb: Option<&Path>) -> Result<Context> {
    let opts = DetectOptions::from_env(es.map(Path::to_path_buf), kb.map(Path::to_path_buf))?;
    Ok(Context::detect(&opts, super::context::state_dir())?)
}

/// `esmtls status`; returns the exit code.
pub fn run(args: StatusArgs) -> Result<u8> {
    let ctx = context(args.es_config.as_deref(), args.kibana_config.as_deref())?;
    let mut inv = Inventory::collect(&ctx, args.warn_days);
    if let (Some(url), Some(es)) = (&args.es_url, ctx.detected.es.as_ref()) {
        let kibana_cas: Vec<PathBuf> = ctx
            .detected
            .kibana
            .iter()
            .flat_map(|k| {
                k.elasticsearch
                    .certificate_authorities
                    .iter()
                    .map(|f| f.path.clone())
            })
            .collect();
        match node_certificates(url, es, &kibana_cas) {
            Ok(certs) => inv.merge_cluster(&certs, &es.config_dir),
            Err(e) => eprintln!("warning: GET /_ssl/certificates on {url} failed: {e}"),
        }
    }
    let mut health = inv.health();
    if let Some(p) = super::session::pending(&ctx.config_dirs()) {
        // Half-written files: broken until `esmtls apply` restores them.
        eprintln!("warning: {p}");
        health = Health::Broken;
    }
    let code = crate::exit::health(health);
    let mut out = std::io::stdout().lock();
    if args.json {
        let v = json!({
            "health": health,
            "exit_code": code,
            "warn_days": inv.warn_days,
            "certificates": inv.entries,
        });
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", table(&inv))?;
        let n = inv.entries.len();
        eprintln!(
            "{}",
            match health {
                Health::Ok if n == 0 => "No certificate is configured in either yml file.".to_string(),
                Health::Ok => format!("{n} certificate(s); none expires within {} days.", inv.warn_days),
                Health::Expiring => format!("Some certificates expire within {} days: `esmtls renew` re-issues them in place.", inv.warn_days),
                Health::Broken => "Some certificates are expired or cannot be read: see PROBLEMS; `esmtls doctor` explains, `esmtls renew` re-issues expired ones.".to_string(),
            }
        );
    }
    Ok(code)
}

fn node_certificates(
    url: &str,
    es: &esmtls::detect::EsSide,
    kibana_cas: &[PathBuf],
) -> Result<Vec<esmtls::es::responses::SslCertificate>> {
    let mut ep = esmtls::es::Endpoint::new(url);
    // The CA files that may have signed the node's HTTP certificate: Kibana's
    // trust for it, the auto-configured http_ca, esmtls's CA.
    let es_cas = es
        .http
        .certificate_authorities
        .iter()
        .chain(es.http.http_ca_crt.iter());
    for ca in kibana_cas.iter().chain(es_cas) {
        let _ = ep.add_ca_pem_file(ca);
    }
    let _ = ep.add_ca_pem_file(&es.config_dir.join("certs/esmtls-ca.crt"));
    let auth = esmtls::es::Auth::from_env()?.unwrap_or(esmtls::es::Auth::None);
    Ok(esmtls::es::Client::new(&ep, auth)?.ssl_certificates()?)
}

/// The human table: FILE, ALIAS, SUBJECT, EXPIRES, DAYS, PROBLEMS.
pub fn table(inv: &Inventory) -> String {
    let mut rows = vec![[
        "FILE".to_string(),
        "ALIAS".into(),
        "ROLE".into(),
        "SUBJECT".into(),
        "EXPIRES".into(),
        "DAYS".into(),
        "PROBLEMS".into(),
    ]];
    for e in &inv.entries {
        rows.push([
            e.file.display().to_string(),
            e.alias.clone().unwrap_or_else(|| "-".into()),
            e.role.name().to_string(),
            if e.subject.is_empty() {
                "?".into()
            } else {
                e.subject.clone()
            },
            e.not_after.get(..10).unwrap_or("-").to_string(),
            e.days_left.map_or("-".into(), |d| d.to_string()),
            e.problems.join("; "),
        ]);
    }
    let mut width = [0usize; 7];
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut s = String::new();
    for r in &rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i == 6 {
                line.push_str(c);
            } else {
                line.push_str(&format!("{c:<w$}  ", w = width[i]));
            }
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}
