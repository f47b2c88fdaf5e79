//! The command line, as clap definitions only. Doc comments are the help text;
//! completions and the man page are generated from the same definition.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands::cert::CertCommand;

/// esmtls — TLS and mutual TLS between Kibana and Elasticsearch, done right.
///
/// Without a subcommand, esmtls starts the setup wizard.
#[derive(Debug, Parser)]
#[command(
    name = "esmtls",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = crate::exit::HELP
)]
pub struct Cli {
    /// Print only results and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the setup wizard (the default).
    Setup(SetupArgs),
    /// Recommend an auth mode for your license and requirements, with reasons and the nine steps.
    Guide(crate::commands::guide::GuideArgs),
    /// Certificates: make a CA, issue certificates, extract the CA chain, inspect, modernize.
    #[command(subcommand)]
    Cert(CertCommand),
    /// Read and change kibana.keystore and elasticsearch.keystore, byte-compatible with Elastic's tools.
    Keystore(crate::commands::keystore::KeystoreArgs),
    /// Print the plan for an answers file: the nine steps, file diffs, keystore entries, API requests. Writes nothing.
    Plan(crate::commands::plan::PlanArgs),
    /// Execute the plan for an answers file: backups, atomic writes, API calls, verification.
    Apply(crate::commands::plan::ApplyArgs),
    /// On a cluster host (`topology.keys: host`): make this host's key in its config directory and a CSR in its bundle; the key never leaves.
    Csr(crate::commands::cluster::CsrArgs),
    /// List every certificate the setup uses with its expiry; exit 0 fine, 1 expiring soon, 2 expired or broken.
    Status(crate::commands::status::StatusArgs),
    /// Re-issue certificates that expire soon, from the same CA, into the same files with the same passwords.
    Renew(crate::commands::renew::RenewArgs),
    /// Check the whole setup (certificates, trust, SANs, role mapping, settings) and say how to fix each problem; exit 0 none, 1 warnings only, 2 errors.
    Doctor(crate::commands::doctor::DoctorArgs),
    /// Example answers files: `esmtls answers example MODE|cluster` prints one, commented.
    Answers(crate::commands::answers::AnswersArgs),
    /// Print shell completions for bash, zsh, fish, elvish or powershell.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page (roff) to stdout, or write one page per subcommand into --out-dir.
    Man {
        /// Write esmtls.1, esmtls-cert.1, ... into this directory instead of printing esmtls.1.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

/// `esmtls setup`: where the wizard works.
#[derive(Debug, Clone, Default, Args)]
pub struct SetupArgs {
    /// Elasticsearch's config directory (else ES_PATH_CONF, /etc/elasticsearch, ...).
    #[arg(long, value_name = "DIR")]
    pub es_config: Option<PathBuf>,
    /// Kibana's config directory (else KBN_PATH_CONF, /etc/kibana, ...).
    #[arg(long, value_name = "DIR")]
    pub kibana_config: Option<PathBuf>,
    /// Output folder when neither Elasticsearch nor Kibana is installed here (default esmtls-out).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Shells for `esmtls completions`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    /// GNU bash.
    Bash,
    /// Z shell.
    Zsh,
    /// fish.
    Fish,
    /// Elvish.
    Elvish,
    /// PowerShell.
    Powershell,
}

/// Where the password for a file esmtls writes comes from.
#[derive(Debug, Clone, Args)]
pub struct NewPasswordArgs {
    /// Read the password from the first line of FILE.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["password_stdin", "no_password"])]
    pub password_file: Option<PathBuf>,
    /// Read the password from standard input.
    #[arg(long, conflicts_with = "no_password")]
    pub password_stdin: bool,
    /// Write the PKCS#12 file with an empty password (Kibana then needs elasticsearch.ssl.keystore.password: "").
    #[arg(long)]
    pub no_password: bool,
}

/// Where the password of a file esmtls reads comes from.
#[derive(Debug, Clone, Args)]
pub struct ReadPasswordArgs {
    /// Read the file's password from the first line of FILE.
    #[arg(long, value_name = "FILE", conflicts_with = "password_stdin")]
    pub password_file: Option<PathBuf>,
    /// Read the file's password from standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

/// Where the CA's password comes from.
#[derive(Debug, Clone, Args)]
pub struct CaPasswordArgs {
    /// Read the CA file's password from the first line of FILE.
    #[arg(long, value_name = "FILE", conflicts_with = "ca_password_stdin")]
    pub ca_password_file: Option<PathBuf>,
    /// Read the CA file's password from standard input.
    #[arg(long)]
    pub ca_password_stdin: bool,
}

/// `--warn-days`, `--within`: a window of whole days from now, 0 or more (a
/// usage error otherwise, not a result `status` could be mistaken for).
pub fn days_ahead(s: &str) -> Result<i64, String> {
    match s.parse::<i64>() {
        Ok(n) if n >= 0 => Ok(n),
        Ok(_) => Err("the number of days cannot be negative (0 or more)".into()),
        Err(_) => Err("expected a whole number of days, 0 or more".into()),
    }
}

/// `--days`: a certificate's validity, 1 to 36500 days (the library's
/// [`esmtls::pki::build::check_days`], as a usage error).
pub fn validity_days(s: &str) -> Result<u32, String> {
    let n: i64 = s
        .parse()
        .map_err(|_| "expected a whole number of days, 1 to 36500".to_string())?;
    match u32::try_from(n) {
        Ok(d) if esmtls::pki::build::check_days(d).is_ok() => Ok(d),
        _ if n < 1 => Err("the certificate must be valid for at least one day".into()),
        _ => Err("more than 100 years (36500 days) is not a sensible validity".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_counts_refuse_what_cannot_be() {
        assert_eq!(days_ahead("0"), Ok(0));
        assert_eq!(days_ahead("30"), Ok(30));
        assert!(days_ahead("-5").unwrap_err().contains("negative"));
        assert!(days_ahead("ten").is_err());
        assert_eq!(validity_days("1"), Ok(1));
        assert_eq!(validity_days("36500"), Ok(36500));
        for bad in ["0", "-5", "36501", "99999999999", "1.5"] {
            assert!(validity_days(bad).is_err(), "{bad}");
        }
    }
}
