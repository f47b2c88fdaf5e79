//! The wizard (`esmtls`, `esmtls setup`): terminal setup and restore, and the
//! event loop that feeds key presses and worker reports into the Elm core
//! (`app`) and draws (`view`).
//!
//! Invariants: the terminal is restored on every exit path — normal return,
//! error, and panic (ratatui's `try_init` installs a panic hook that restores
//! it first); without a TTY the wizard refuses to start and names the
//! headless commands; the loop blocks on one channel that carries both input
//! (from a thread reading crossterm events) and worker reports, and wakes on
//! a timeout only while a spinner runs — no polling when idle.

pub mod admin;
pub mod app;
pub mod effects;
pub mod form;
pub mod keys;
pub mod reports;
pub mod screens;
pub mod strings;
pub mod theme;
pub mod view;

#[cfg(test)]
mod snapshots;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_admin;
#[cfg(test)]
mod tests_cluster;
#[cfg(test)]
mod tests_guide;
#[cfg(test)]
mod tests_renew;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use anyhow::{Result, bail};
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{self, Event as TermEvent};

use app::{Cmd, Exit, Model, Msg};

/// What the loop waits for.
#[derive(Debug)]
pub enum Event {
    /// From the terminal.
    Input(Box<TermEvent>),
    /// From a worker.
    Msg(Msg),
}

/// Where the wizard works.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Elasticsearch's config directory.
    pub es_config: Option<PathBuf>,
    /// Kibana's config directory.
    pub kibana_config: Option<PathBuf>,
    /// The output folder when nothing is installed.
    pub out: Option<PathBuf>,
}

/// How often the spinner turns while something runs.
const SPIN: Duration = Duration::from_millis(100);

/// Runs the wizard until the operator quits.
pub fn run(opts: Options) -> Result<()> {
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        bail!(strings::NO_TTY);
    }
    let saved = effects::saved_answers_path();
    // One writer per setup, for the whole run; what a killed run left is put
    // back before anything is read (the Start screen says what).
    let (_session, recovered) = effects::take_setup(&opts, &saved)?;
    let (tx, rx) = mpsc::channel();
    let fx = effects::Effects {
        es: opts.es_config.clone(),
        kb: opts.kibana_config.clone(),
        saved,
        tx: tx.clone(),
        cancel: esmtls::apply::Cancel::new(),
        recovered,
    };
    let mut model = Model::new(theme::Theme::from_env(), opts.out.clone());
    model.admin.env = esmtls::es::Auth::env_source();
    let mut terminal = ratatui::try_init()?;
    main_thread_restores();
    let input_tx = tx.clone();
    std::thread::spawn(move || {
        while let Ok(ev) = event::read() {
            if input_tx.send(Event::Input(Box::new(ev))).is_err() {
                break;
            }
        }
    });
    fx.run(Cmd::Detect);
    fx.run(Cmd::Inventory);
    let result = event_loop(&mut terminal, &mut model, &rx, &fx);
    ratatui::restore();
    if let Some(t) = &model.farewell {
        eprintln!("{t}");
    }
    result?;
    if model.exit == Some(Exit::Interrupted) {
        let setup = crate::commands::context::setup(
            &model.answers,
            opts.es_config.as_deref(),
            opts.kibana_config.as_deref(),
        );
        let journal = setup
            .map(|s| esmtls::apply::journal_path(&s).display().to_string())
            .unwrap_or_default();
        // The operator stopped it: exit 130, as `apply` does.
        return Err(crate::exit::Stopped(strings::interrupted(&journal)).into());
    }
    if model.exit == Some(Exit::Aborted) {
        // Ctrl-C: exit 130, as every other command stopped by the operator.
        return Err(crate::exit::Stopped(strings::ABORTED.into()).into());
    }
    Ok(())
}

/// ratatui's hook restores the terminal on a panic anywhere; a worker's
/// panic is caught and reported as a message instead (the screen stays), so
/// only the main thread's panics run it.
fn main_thread_restores() {
    let restore_and_report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() == Some("main") {
            restore_and_report(info);
        }
    }));
}

/// `ESMTLS_FAULT=tui-panic`: panic once detection has reported, to test that
/// the terminal is restored (as `apply`'s faults test its rollback).
fn injected_panic(msg: &Msg) {
    if matches!(msg, Msg::Detected(_))
        && std::env::var("ESMTLS_FAULT").as_deref() == Ok("tui-panic")
    {
        panic!("injected panic (ESMTLS_FAULT=tui-panic)");
    }
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    model: &mut Model,
    rx: &Receiver<Event>,
    fx: &effects::Effects,
) -> Result<()> {
    let size = terminal.size()?;
    app::update(model, Msg::Resize(size.width, size.height));
    loop {
        terminal.draw(|f| view::view(model, f))?;
        if model.exit.is_some() {
            return Ok(());
        }
        let ev = if model.busy {
            match rx.recv_timeout(SPIN) {
                Ok(e) => Some(e),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
        } else {
            match rx.recv() {
                Ok(e) => Some(e),
                Err(_) => return Ok(()),
            }
        };
        let msg = match ev {
            None => Some(Msg::Tick),
            Some(Event::Input(ev)) => match *ev {
                TermEvent::Key(k) => app::on_key(&k, model),
                TermEvent::Resize(w, h) => Some(Msg::Resize(w, h)),
                _ => None,
            },
            Some(Event::Msg(m)) => {
                injected_panic(&m);
                Some(m)
            }
        };
        if let Some(cmd) = msg.and_then(|m| app::update(model, m)) {
            fx.run(cmd);
        }
    }
}
