//! `esmtls answers example NAME`: prints a commented example answers file,
//! one per mode and one for a cluster, so an operator who has only the
//! binary has them too (they are built into it from `assets/answers/`).

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};

/// `esmtls answers`.
#[derive(Debug, Args)]
pub struct AnswersArgs {
    #[command(subcommand)]
    pub command: AnswersCommand,
}

/// What `esmtls answers` does.
#[derive(Debug, Subcommand)]
pub enum AnswersCommand {
    /// Print a commented example answers file (redirect it into a file, edit it, then `esmtls plan --answers FILE`).
    Example {
        /// One of the five modes, or `cluster` (several nodes and Kibana instances, one bundle per host).
        #[arg(value_enum)]
        name: Example,
    },
}

/// The examples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Example {
    /// Kibana authenticates with a service account token.
    Token,
    /// Kibana authenticates as `kibana_system` with a password.
    Password,
    /// Kibana presents a client certificate and authenticates with a service token.
    MtlsToken,
    /// Kibana presents a client certificate and authenticates as `kibana_system` with a password.
    MtlsPassword,
    /// Kibana's client certificate is its identity (PKI realm).
    Pki,
    /// A cluster: every node and every Kibana on its own host.
    Cluster,
}

impl Example {
    /// The example's text.
    pub fn text(self) -> &'static str {
        match self {
            Example::Token => include_str!("../../assets/answers/token.yml"),
            Example::Password => include_str!("../../assets/answers/password.yml"),
            Example::MtlsToken => include_str!("../../assets/answers/mtls-token.yml"),
            Example::MtlsPassword => include_str!("../../assets/answers/mtls-password.yml"),
            Example::Pki => include_str!("../../assets/answers/pki.yml"),
            Example::Cluster => include_str!("../../assets/answers/cluster.yml"),
        }
    }
}

/// Runs `esmtls answers`.
pub fn run(a: AnswersArgs) -> Result<()> {
    use std::io::Write;
    match a.command {
        AnswersCommand::Example { name } => {
            std::io::stdout().lock().write_all(name.text().as_bytes())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_is_a_valid_answers_file() {
        for e in Example::value_variants() {
            let path = std::path::Path::new("example.yml");
            let a = esmtls::plan::Answers::parse(path, e.text())
                .unwrap_or_else(|err| panic!("{e:?}: {err}"));
            if *e != Example::Cluster {
                let name = e.to_possible_value().unwrap().get_name().to_string();
                assert_eq!(a.mode.to_string(), name, "{e:?}");
            } else {
                assert!(a.topology.is_some());
            }
        }
    }
}
