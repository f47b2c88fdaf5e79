//! The wizard's Elm core: one [`Model`], the [`Msg`]s that change it, the
//! [`Cmd`]s (effects) an update asks for, [`update`] and [`on_key`].
//!
//! Invariants: `update` and `on_key` do no I/O — effects are values run by
//! `effects.rs` on worker threads, reporting back as `Msg`s; nothing is
//! written before the operator confirms on the review screen; the answers
//! are always valid (`Answers::validate`) when a step is left forward.

use esmtls::es::Auth;
use esmtls::plan::{Answers, Mode};

pub use super::reports::{
    Checked, DetectInfo, Planned, RenewPreview, RenewRequest, Renewed, Summary,
};
use ratatui::crossterm::event::{KeyEvent, KeyEventKind};

use super::admin::Creds;
use super::keys::{self, Action, Ctx};
use super::screens::{apply, doctor, finish, guide, renew, renew_review, review, start, steps};
use super::theme::Theme;

/// The screens, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// What was found; set up or quit.
    Start,
    /// License, the two questions, the five modes.
    Guide,
    /// Steps 0–9 with their forms.
    Steps,
    /// The plan, before anything is written.
    Review,
    /// The executor running.
    Apply,
    /// The report.
    Finish,
    /// The certificate table (renew).
    Renew,
    /// What would be renewed, before anything is written.
    RenewReview,
    /// What the renewal wrote.
    Renewed,
    /// Check my setup: the doctor's findings.
    Doctor,
}

impl Screen {
    /// All, for the progress line.
    pub const ALL: [Screen; 6] = [
        Screen::Start,
        Screen::Guide,
        Screen::Steps,
        Screen::Review,
        Screen::Apply,
        Screen::Finish,
    ];
    /// The name in the progress line.
    pub fn name(self) -> &'static str {
        match self {
            Screen::Start => "Start",
            Screen::Guide => "Guide",
            Screen::Steps => "Steps",
            Screen::Review => "Review",
            Screen::Apply => "Apply",
            Screen::Finish => "Finish",
            Screen::Renew => "Renew",
            Screen::RenewReview => "Review",
            Screen::Renewed => "Done",
            Screen::Doctor => "Check my setup",
        }
    }

    /// The screens of this screen's flow, for the progress line.
    pub fn flow(self) -> &'static [Screen] {
        match self {
            Screen::Renew | Screen::RenewReview | Screen::Renewed => &[
                Screen::Start,
                Screen::Renew,
                Screen::RenewReview,
                Screen::Renewed,
            ],
            Screen::Doctor => &[Screen::Start, Screen::Doctor],
            _ => &Screen::ALL,
        }
    }
}

/// A box drawn over the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    /// The key help.
    Help,
    /// "Quit? answers would be lost".
    Quit,
}

/// How the wizard ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Normally.
    Quit,
    /// Ctrl-C a second time while apply was stopping.
    Interrupted,
    /// Ctrl-C anywhere else: the operator stopped the wizard (exit 130, as a
    /// shell reports a SIGINT; nothing more is written).
    Aborted,
}

/// Everything that can happen.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A key, as an action of the key table.
    Act(Action),
    /// A character typed into a text field.
    Type(char),
    /// The terminal's new size.
    Resize(u16, u16),
    /// Spinner tick (only while something runs).
    Tick,
    /// Detection finished.
    Detected(Result<Box<DetectInfo>, String>),
    /// The plan is made (or not).
    Planned(Result<Box<Planned>, String>),
    /// Apply finished (or stopped).
    Applied(Result<Box<Summary>, String>),
    /// The executor reports one action's state.
    Progress(esmtls::apply::Progress),
    /// A worker panicked (a bug): shown on the finish screen.
    Failed(String),
    /// The certificate inventory (as `esmtls status`) was read.
    Inventoried(Result<Box<esmtls::lifecycle::Inventory>, String>),
    /// The renewal is planned (nothing written).
    RenewPlanned(Result<Box<RenewPreview>, String>),
    /// The renewal was written (or not).
    Renewed(Result<Box<Renewed>, String>),
    /// The doctor's findings.
    Checked(Result<Box<Checked>, String>),
}

/// An effect for `effects.rs` to run.
#[derive(Debug, Clone)]
pub enum Cmd {
    /// Detect both sides and read saved answers.
    Detect,
    /// Save the answers, then make the plan (with the admin credentials
    /// typed on step 0, if any — never saved).
    Plan(Box<Answers>, Option<Auth>),
    /// Execute the reviewed plan (with the same credentials), with what the
    /// operator consented to (the restarts, revoking replaced credentials).
    Apply(Box<crate::tui::screens::apply::Consent>, Option<Auth>),
    /// Write the cluster's bundles (a topology's "apply": nothing else
    /// changes here; each host applies its own).
    Bundles(Box<(esmtls::cluster::ClusterPlan, Answers)>),
    /// Read every certificate of the setup (`esmtls status`'s inventory).
    Inventory,
    /// Plan the renewal of these files (`esmtls renew --dry-run`).
    RenewPlan(Box<RenewRequest>),
    /// Plan again and write, if it renews what was reviewed.
    RenewWrite(Box<RenewPreview>),
    /// Run the doctor's offline and online checks, with the admin
    /// credentials typed on step 0 when the environment has none.
    Check(Option<esmtls::es::Auth>),
    /// Ask the running apply to stop (it restores what it changed, then reports).
    Stop,
}

/// The whole state.
#[derive(Debug, Clone)]
pub struct Model {
    /// Current screen.
    pub screen: Screen,
    /// Overlay, if any.
    pub overlay: Option<Overlay>,
    /// Terminal size.
    pub size: (u16, u16),
    /// Styles.
    pub theme: Theme,
    /// The answers so far (valid).
    pub answers: Answers,
    /// The admin credentials for this run (never in the answers).
    pub admin: Creds,
    /// True when quitting would lose answers.
    pub dirty: bool,
    /// Something runs on a worker (spinner on).
    pub busy: bool,
    /// Spinner frame.
    pub spinner: usize,
    /// Set when the loop must end.
    pub exit: Option<Exit>,
    /// Screen states.
    pub start: start::State,
    /// Guide.
    pub guide: guide::State,
    /// Steps.
    pub steps: steps::State,
    /// Review.
    pub review: review::State,
    /// Apply.
    pub apply: apply::State,
    /// Finish.
    pub finish: finish::State,
    /// Renew: the inventory and the selection.
    pub renew: renew::State,
    /// Renew: review and result.
    pub renew_review: renew_review::State,
    /// Check my setup.
    pub doctor: doctor::State,
    /// Printed on stderr once the terminal is restored.
    pub farewell: Option<String>,
    /// The mode already in place (a re-run), from detection.
    pub current: Option<esmtls::plan::current::Current>,
}

impl Model {
    /// The first state: detection running.
    pub fn new(theme: Theme, out: Option<std::path::PathBuf>) -> Model {
        let mut answers = Answers::new(Mode::Token);
        if let Some(o) = out {
            answers.out = o;
        }
        Model {
            screen: Screen::Start,
            overlay: None,
            size: (80, 24),
            theme,
            guide: guide::State::new(&answers),
            answers,
            admin: Creds::default(),
            dirty: false,
            busy: true,
            spinner: 0,
            exit: None,
            start: start::State::default(),
            steps: steps::State::default(),
            review: review::State::default(),
            apply: apply::State::default(),
            finish: finish::State::default(),
            renew: renew::State::default(),
            renew_review: renew_review::State::default(),
            doctor: doctor::State::default(),
            farewell: None,
            current: None,
        }
    }

    /// Which keys are live.
    pub fn ctx(&self) -> Ctx {
        match (self.overlay, self.screen) {
            (Some(Overlay::Quit), _) => Ctx::Confirm,
            (Some(Overlay::Help), _) => Ctx::Nav,
            (None, Screen::Steps) if self.steps.text_focused(self.answers.mode, &self.admin) => {
                Ctx::Text
            }
            (None, Screen::Steps) if self.steps.choice_focused(self.answers.mode, &self.admin) => {
                Ctx::Choice
            }
            (None, Screen::Apply) if self.busy => Ctx::Busy,
            (None, Screen::Review | Screen::Finish) => Ctx::Scroll,
            (None, Screen::Renew) => Ctx::Select,
            (None, Screen::RenewReview | Screen::Renewed | Screen::Doctor) => Ctx::Scroll,
            _ => Ctx::Nav,
        }
    }

    /// The spinner character.
    pub fn spin(&self) -> &'static str {
        const F: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
        F[self.spinner % F.len()]
    }
}

/// A key press → a message (pure).
pub fn on_key(key: &KeyEvent, m: &Model) -> Option<Msg> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    let ctx = m.ctx();
    if let Some(a) = keys::action(ctx, key) {
        return Some(Msg::Act(a));
    }
    (ctx == Ctx::Text)
        .then(|| keys::typed(key))
        .flatten()
        .map(Msg::Type)
}

/// The one place the state changes.
pub fn update(m: &mut Model, msg: Msg) -> Option<Cmd> {
    match msg {
        Msg::Resize(w, h) => m.size = (w, h),
        Msg::Tick => m.spinner = m.spinner.wrapping_add(1),
        Msg::Detected(r) => {
            m.busy = false;
            steps::detected(m, &r);
            start::detected(m, r);
        }
        Msg::Planned(r) => {
            m.busy = false;
            review::planned(m, r);
        }
        Msg::Applied(r) => {
            m.busy = false;
            m.dirty = false;
            m.finish = finish::State::from(r.map(|b| *b));
            m.screen = Screen::Finish;
        }
        Msg::Progress(p) => apply::progress(m, p),
        Msg::Failed(e) => {
            m.busy = false;
            m.finish = finish::State::from(Err(e));
            m.screen = Screen::Finish;
        }
        Msg::Inventoried(r) => renew::inventoried(m, r),
        Msg::RenewPlanned(r) => {
            m.busy = false;
            renew_review::planned(m, r);
        }
        Msg::Renewed(r) => {
            m.busy = false;
            renew_review::written(m, r);
        }
        Msg::Checked(r) => {
            m.busy = false;
            doctor::checked(m, r);
        }
        Msg::Type(c) if m.overlay.is_none() && m.screen == Screen::Steps => steps::typed(m, c),
        Msg::Type(_) => {}
        Msg::Act(a) => return act(m, a),
    }
    None
}

fn act(m: &mut Model, a: Action) -> Option<Cmd> {
    if a == Action::Abort && renew_review::writing(m) {
        // The batch is all or nothing and takes milliseconds: let it finish.
        m.renew_review.quit_after = true;
        return None;
    }
    if a == Action::Abort {
        let running = m.screen == Screen::Apply && m.busy;
        if running && !m.apply.stopping {
            // Stop cleanly: the worker restores, then its report lands on Finish.
            m.apply.stopping = true;
            return Some(Cmd::Stop);
        }
        m.exit = Some(if running {
            Exit::Interrupted
        } else {
            Exit::Aborted
        });
        return None;
    }
    match m.overlay {
        Some(Overlay::Help) => {
            m.overlay = None;
            return None;
        }
        Some(Overlay::Quit) => {
            match a {
                Action::Yes => m.exit = Some(Exit::Quit),
                Action::No | Action::Back => m.overlay = None,
                _ => {}
            }
            return None;
        }
        None => {}
    }
    match a {
        Action::Help => {
            m.overlay = Some(Overlay::Help);
            return None;
        }
        Action::Quit if m.screen == Screen::Apply || renew_review::writing(m) => return None,
        Action::Quit if m.dirty => {
            m.overlay = Some(Overlay::Quit);
            return None;
        }
        Action::Quit => {
            m.exit = Some(Exit::Quit);
            return None;
        }
        _ => {}
    }
    match m.screen {
        Screen::Start => start::update(m, a),
        Screen::Guide => guide::update(m, a),
        Screen::Steps => steps::update(m, a),
        Screen::Review => review::update(m, a),
        Screen::Apply => None,
        Screen::Finish => finish::update(m, a),
        Screen::Renew => renew::update(m, a),
        Screen::RenewReview | Screen::Renewed => renew_review::update(m, a),
        Screen::Doctor => doctor::update(m, a),
    }
}
