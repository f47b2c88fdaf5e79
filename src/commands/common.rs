//! Shell helpers shared by subcommands: passwords from their sources, and
//! human-readable write reports. Secrets never come from argv and are never
//! echoed; a prompt is only shown when standard input is a terminal.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context, Result, bail};
use esmtls::fsutil::Outcome;
use esmtls::secret::Secret;

/// A password source as the user gave it.
pub struct Source<'a> {
    /// `--...-password-file`.
    pub file: Option<&'a Path>,
    /// `--...-password-stdin`.
    pub stdin: bool,
    /// The flag names, for messages: ("--password-file", "--password-stdin").
    pub flags: (&'static str, &'static str),
}

impl<'a> Source<'a> {
    /// `--password-file` / `--password-stdin`.
    pub fn new(file: Option<&'a Path>, stdin: bool) -> Self {
        Source {
            file,
            stdin,
            flags: ("--password-file", "--password-stdin"),
        }
    }

    /// The source named by a command's `--password-file` / `--password-stdin`.
    pub fn of(args: &'a crate::cli::ReadPasswordArgs) -> Self {
        Source::new(args.password_file.as_deref(), args.password_stdin)
    }

    /// True when the user named a source explicitly.
    pub fn given(&self) -> bool {
        self.file.is_some() || self.stdin
    }

    /// Reads the password from the file or stdin, or prompts on a terminal.
    pub fn read(&self, what: &str, confirm: bool) -> Result<Secret> {
        if let Some(f) = self.file {
            return Secret::from_file(f)
                .with_context(|| format!("reading the password for {what}"));
        }
        if self.stdin {
            return Secret::from_reader(std::io::stdin().lock(), "standard input")
                .with_context(|| format!("reading the password for {what}"));
        }
        if !std::io::stdin().is_terminal() {
            bail!(
                "a password is needed for {what} and there is no terminal to ask it on; use {} FILE or {}",
                self.flags.0,
                self.flags.1
            );
        }
        let first = Secret::new(
            rpassword::prompt_password(format!("Password for {what}: "))
                .context("reading the password from the terminal")?,
        );
        if confirm {
            let again = Secret::new(
                rpassword::prompt_password("Repeat the password: ")
                    .context("reading the password from the terminal")?,
            );
            if again != first {
                bail!("the two passwords differ; nothing was written");
            }
        }
        Ok(first)
    }
}

/// Checks a new PKCS#12 password the way certutil does.
pub fn check_new_password(pw: &Secret) -> Result<()> {
    if !pw
        .expose()
        .chars()
        .all(|c| c.is_ascii() && !c.is_ascii_control())
    {
        bail!(
            "PKCS#12 passwords must be plain ASCII (printable characters): Java, OpenSSL and node-forge encode other characters differently"
        );
    }
    Ok(())
}

/// One line per written file, on stderr.
pub fn report(
    quiet: bool,
    outcomes: &[(std::path::PathBuf, Outcome)],
    detail: impl Fn(&Path) -> String,
) {
    if quiet {
        return;
    }
    for (path, outcome) in outcomes {
        let what = match outcome {
            Outcome::Created => "wrote".to_string(),
            Outcome::Replaced { backup } => format!("replaced (old copy: {})", backup.display()),
            Outcome::Unchanged => "unchanged".to_string(),
        };
        eprintln!("{what} {} {}", path.display(), detail(path));
    }
}

/// Prints a note on stderr unless quiet.
pub fn note(quiet: bool, msg: &str) {
    if !quiet {
        eprintln!("{msg}");
    }
}

/// Prints a warning on stderr (always).
pub fn warn(msg: &str) {
    eprintln!("warning: {msg}");
}
