//! The `esmtls` binary: parse, run, exit code. No logic lives here.
//!
//! Exit codes: 0 success (a closed stdout pipe counts as success), 1 the user's
//! input or setup is wrong, 2 something unexpected (a bug or the crypto library),
//! 130 `apply` stopped by Ctrl-C (as a shell reports a SIGINT).
#![forbid(unsafe_code)]

mod cli;
mod commands;
#[cfg(feature = "tui")]
mod tui;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use cli::{Cli, Command, Shell};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run_code(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let broken_pipe = |c: &(dyn std::error::Error + 'static)| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
                    || c.downcast_ref::<serde_json::Error>()
                        .and_then(|j| j.io_error_kind())
                        == Some(std::io::ErrorKind::BrokenPipe)
            };
            if e.chain().any(broken_pipe) {
                return ExitCode::SUCCESS;
            }
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "error: {e}");
            for cause in e.chain().skip(1) {
                let _ = writeln!(err, "  Caused by: {cause}");
            }
            let unexpected = e.chain().any(|c| {
                matches!(
                    c.downcast_ref::<esmtls::pki::PkiError>(),
                    Some(esmtls::pki::PkiError::Crypto { .. })
                )
            });
            let stopped = e.chain().any(|c| {
                c.downcast_ref::<esmtls::apply::ApplyError>()
                    .is_some_and(|a| a.is_cancelled())
            });
            ExitCode::from(match (stopped, unexpected) {
                (true, _) => 130,
                (_, true) => 2,
                _ => 1,
            })
        }
    }
}

/// Commands whose exit code carries a result (status, doctor) return it;
/// the others succeed with 0.
fn run_code(cli: Cli) -> anyhow::Result<u8> {
    // The wizard reads Ctrl-C as a key; every other command stops on it.
    if !matches!(cli.command, None | Some(Command::Setup(_))) {
        commands::interrupt::install()?;
    }
    match cli.command {
        Some(Command::Status(a)) => commands::status::run(a),
        Some(Command::Doctor(a)) => commands::doctor::run(a),
        Some(Command::Renew(a)) => commands::renew::run(a).map(|()| 0),
        _ => run(cli).map(|()| 0),
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => wizard(cli::SetupArgs::default()),
        Some(Command::Setup(a)) => wizard(a),
        Some(Command::Guide(g)) => commands::guide::run(g, cli.quiet),
        Some(Command::Cert(c)) => commands::cert::run(c, cli.quiet),
        Some(Command::Keystore(k)) => commands::keystore::run(k),
        Some(Command::Plan(a)) => commands::plan::run_plan(a),
        Some(Command::Apply(a)) => commands::plan::run_apply(a),
        Some(Command::Status(_) | Command::Doctor(_) | Command::Renew(_)) => {
            anyhow::bail!("internal: handled by run_code")
        }
        Some(Command::Completions { shell }) => {
            let mut cmd = Cli::command();
            let mut out = std::io::stdout().lock();
            use clap_complete::Shell as S;
            let s = match shell {
                Shell::Bash => S::Bash,
                Shell::Zsh => S::Zsh,
                Shell::Fish => S::Fish,
                Shell::Elvish => S::Elvish,
                Shell::Powershell => S::PowerShell,
            };
            clap_complete::generate(s, &mut cmd, "esmtls", &mut out);
            Ok(())
        }
        Some(Command::Man { out_dir }) => {
            let cmd = Cli::command();
            match out_dir {
                Some(dir) => {
                    clap_mangen::generate_to(cmd, &dir)?;
                    eprintln!("wrote man pages into {}", dir.display());
                }
                None => clap_mangen::Man::new(cmd).render(&mut std::io::stdout().lock())?,
            }
            Ok(())
        }
    }
}

#[cfg(feature = "tui")]
fn wizard(a: cli::SetupArgs) -> anyhow::Result<()> {
    tui::run(tui::Options {
        es_config: a.es_config,
        kibana_config: a.kibana_config,
        out: a.out,
    })
}

#[cfg(not(feature = "tui"))]
fn wizard(_: cli::SetupArgs) -> anyhow::Result<()> {
    anyhow::bail!(
        "this esmtls was built without the wizard (feature `tui`); use `esmtls plan --answers FILE` to review and `esmtls apply --answers FILE --yes` to apply"
    )
}
