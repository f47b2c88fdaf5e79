//! The `esmtls` binary: parse, run, exit code. No logic lives here.
//!
//! Exit codes ([`exit`] holds them): 0 success (a closed stdout pipe counts as
//! success); 1 and 2 are `status`'s and `doctor`'s results (1 attention:
//! expiring soon, doctor warnings only; 2 expired or broken, doctor errors);
//! 3 the operator's input or setup is wrong (`error: …`, one line, on stderr); 4 another
//! esmtls is changing this setup right now; 64 a usage error clap refused
//! (EX_USAGE; `--help` and `--version` exit 0); 70 something unexpected (a bug
//! or the crypto library); 130 stopped by the operator (Ctrl-C, SIGTERM), as a
//! shell reports a SIGINT.
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod exit;
#[cfg(feature = "tui")]
mod tui;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use cli::{Cli, Command, Shell};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap's own message: on stderr for a usage error, on stdout for --help/--version.
            let _ = e.print();
            return ExitCode::from(exit::of_usage(&e));
        }
    };
    // A panic (a bug) exits 70 like any other unexpected failure, after the
    // default hook (and the wizard's, which restores the terminal) printed it.
    let Ok(result) = std::panic::catch_unwind(|| run_code(cli)) else {
        return ExitCode::from(exit::UNEXPECTED);
    };
    match result {
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
                return ExitCode::from(exit::OK);
            }
            let code = code_of(&e);
            let _ = write!(std::io::stderr().lock(), "{}", message(&e, code));
            ExitCode::from(code)
        }
    }
}

/// What `main` prints for an error that exits `code`. An error of the
/// operator's input or setup (and a busy setup, a stop) is one line,
/// `error: what: why`, its causes joined in: the operator reads one sentence
/// that names the file, setting or key and what to do. Only an unexpected
/// error (a bug, the crypto library) keeps its `Caused by:` chain, for the
/// report.
fn message(e: &anyhow::Error, code: u8) -> String {
    if code == exit::UNEXPECTED {
        let mut s = format!("error: {e}\n");
        for cause in e.chain().skip(1) {
            s.push_str(&format!("  Caused by: {cause}\n"));
        }
        return s;
    }
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        // A context that repeats its cause's words adds nothing.
        if line.contains(text.trim()) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(text.trim());
    }
    let line: Vec<&str> = line.split_whitespace().collect();
    format!("error: {}\n", line.join(" "))
}

/// The exit code for an error, by what it is; anything not recognised is the
/// operator's input or setup.
fn code_of(e: &anyhow::Error) -> u8 {
    let is = |f: fn(&(dyn std::error::Error + 'static)) -> bool| e.chain().any(f);
    if is(|c| {
        c.downcast_ref::<esmtls::apply::ApplyError>()
            .is_some_and(|a| a.is_cancelled())
            || c.is::<exit::Stopped>()
    }) {
        return exit::STOPPED;
    }
    if is(|c| {
        matches!(
            c.downcast_ref::<esmtls::pki::PkiError>(),
            Some(esmtls::pki::PkiError::Crypto { .. })
        )
    }) {
        return exit::UNEXPECTED;
    }
    if is(|c| {
        matches!(
            c.downcast_ref::<esmtls::session::SessionError>(),
            Some(esmtls::session::SessionError::Busy { .. })
        )
    }) {
        return exit::BUSY;
    }
    exit::ERROR
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
        Some(Command::Plan(a)) => {
            match commands::cluster::plan(&a).or_else(|| commands::cluster::out_folder(&a, None)) {
                Some(r) => r,
                None => commands::plan::run_plan(a),
            }
        }
        Some(Command::Apply(a)) if a.plan.bundle.is_some() => commands::cluster::apply(&a),
        Some(Command::Apply(a)) => match commands::cluster::out_folder(&a.plan, Some(&a)) {
            Some(r) => r,
            None => commands::plan::run_apply(a),
        },
        Some(Command::Csr(a)) => commands::cluster::run_csr(a),
        Some(Command::Answers(a)) => commands::answers::run(a),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_by_kind() {
        assert_eq!(code_of(&anyhow::anyhow!("no such file")), exit::ERROR);
        let stopped = anyhow::Error::new(exit::Stopped("stopped".into()));
        assert_eq!(code_of(&stopped), exit::STOPPED);
        let crypto = esmtls::pki::PkiError::Crypto {
            what: "signing",
            reason: "bad".into(),
        };
        let e = anyhow::Error::new(crypto).context("issuing kibana-client.p12");
        assert_eq!(code_of(&e), exit::UNEXPECTED);
    }

    #[test]
    fn input_errors_are_one_line_and_unexpected_ones_keep_their_chain() {
        let e = anyhow::anyhow!("subject alternative name '${{IP_ADDR}}' is not valid")
            .context("planning from a.yml");
        assert_eq!(
            message(&e, code_of(&e)),
            "error: planning from a.yml: subject alternative name '${IP_ADDR}' is not valid\n"
        );
        let crypto = esmtls::pki::PkiError::Crypto {
            what: "signing",
            reason: "bad".into(),
        };
        let e = anyhow::Error::new(crypto).context("issuing kibana-client.p12");
        let m = message(&e, code_of(&e));
        assert_eq!(m.lines().count(), 2, "{m}");
        assert!(m.contains("\n  Caused by: signing failed: bad"), "{m}");
    }

    #[test]
    fn usage_errors_are_64_and_help_is_0() {
        let code = |args: &[&str]| {
            let e = Cli::try_parse_from(args).unwrap_err();
            exit::of_usage(&e)
        };
        assert_eq!(code(&["esmtls", "--bogus"]), exit::USAGE);
        assert_eq!(
            code(&["esmtls", "status", "--warn-days", "-5"]),
            exit::USAGE
        );
        assert_eq!(code(&["esmtls", "--help"]), exit::OK);
        assert_eq!(code(&["esmtls", "--version"]), exit::OK);
    }
}
