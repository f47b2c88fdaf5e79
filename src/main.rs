//! TEMPORARY entry point of the issue-5 branch: a minimal clap parser that
//! dispatches `esmtls keystore …` to `commands::keystore::run`, so the keystore
//! commands can be tested end to end. Replaced by the real `main.rs` at merge.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

mod commands {
    pub mod keystore;
}

/// Sets up TLS and mutual TLS between Kibana and Elasticsearch.
#[derive(Parser, Debug)]
#[command(name = "esmtls", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Read and change kibana.keystore and elasticsearch.keystore.
    Keystore(commands::keystore::KeystoreArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keystore(a) => commands::keystore::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  Caused by: {cause}");
            }
            ExitCode::from(1)
        }
    }
}
