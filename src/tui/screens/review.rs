//! Review: the plan `esmtls plan` prints (`plan::render::text`) — steps,
//! every file as a coloured diff, keystore entries by name, API requests,
//! commands — scrollable. Nothing is written before Enter here.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::tui::app::{Cmd, Model, Planned, Screen};
use crate::tui::keys::Action;
use crate::tui::screens::apply;
use crate::tui::strings as s;
use crate::tui::theme::Theme;

/// The review's state.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// The plan is being made.
    pub loading: bool,
    /// The plan.
    pub planned: Option<Box<Planned>>,
    /// Why there is no plan.
    pub error: Option<String>,
    /// First line shown.
    pub scroll: usize,
    /// The operator agreed to run the restart commands after writing.
    pub restart: bool,
    /// The operator agreed to revoke the credentials Kibana's new one
    /// replaces, once it is verified.
    pub revoke: bool,
}

/// Leaves the last step: save the answers and make the plan (on a worker).
pub fn start(m: &mut Model) -> Option<Cmd> {
    m.screen = Screen::Review;
    m.review = State {
        loading: true,
        ..State::default()
    };
    m.busy = true;
    Some(Cmd::Plan(Box::new(m.answers.clone()), m.admin.auth()))
}

/// The plan arrived.
pub fn planned(m: &mut Model, r: Result<Box<Planned>, String>) {
    m.review.loading = false;
    match r {
        Ok(mut p) => {
            let switching = m
                .current
                .as_ref()
                .map(|c| esmtls::plan::current::switch_undoes(c.mode, m.answers.mode))
                .unwrap_or_default();
            p.text = super::review_text::arrange(&p.text, &switching);
            m.review.planned = Some(p);
        }
        Err(e) => m.review.error = Some(e),
    }
}

fn line_count(m: &Model) -> usize {
    m.review
        .planned
        .as_ref()
        .map_or(0, |p| p.text.lines().count())
}

/// Keys on the review.
pub fn update(m: &mut Model, a: Action) -> Option<Cmd> {
    let page = usize::from(m.size.1.saturating_sub(8)).max(1);
    let last = line_count(m).saturating_sub(1);
    let r = &mut m.review;
    match a {
        _ if super::scroll(&mut r.scroll, a, page, last) => {}
        Action::Back if !r.loading => m.screen = Screen::Steps,
        Action::Restart if runnable(r).is_some() => r.restart = !r.restart,
        Action::Revoke if revocable(r).is_some() => r.revoke = !r.revoke,
        Action::Confirm => {
            let p = r.planned.clone()?;
            if let Some(c) = p.cluster {
                m.screen = Screen::Apply;
                m.busy = true;
                return Some(Cmd::Bundles(Box::new((*c, m.answers.clone()))));
            }
            let restart = r.restart && runnable(r).is_some();
            let revoke = r.revoke && revocable(r).is_some();
            let plan = p.plan?;
            m.apply = apply::State::from_plan(&plan, restart);
            m.screen = Screen::Apply;
            m.busy = true;
            return Some(Cmd::Apply(
                Box::new(apply::Consent {
                    plan,
                    setup: p.setup,
                    answers: m.answers.clone(),
                    restart,
                    revoke,
                }),
                m.admin.auth(),
            ));
        }
        _ => {}
    }
    None
}

/// The restart commands the wizard may run after writing (those
/// `esmtls apply --restart` runs), labelled; None when there is none.
pub fn runnable(r: &State) -> Option<String> {
    let p = r.planned.as_ref()?.plan.as_ref()?;
    let v: Vec<String> = p
        .commands
        .iter()
        .filter(|c| c.restart)
        .map(crate::tui::reports::labelled)
        .collect();
    (!v.is_empty()).then(|| v.join("; "))
}

/// The credentials Kibana's new one replaces (which the wizard may revoke
/// once the new one is verified, as `esmtls apply --revoke-replaced`), in
/// words; None when there is none.
pub fn revocable(r: &State) -> Option<String> {
    use esmtls::plan::Replaced;
    let p = r.planned.as_ref()?.plan.as_ref()?;
    let v: Vec<String> = p
        .replaced
        .iter()
        .map(|c| match c {
            Replaced::ServiceToken { name } => format!("service token elastic/kibana/{name}"),
            Replaced::Password { user } => format!("the {user} password (told what to do)"),
        })
        .collect();
    (!v.is_empty()).then(|| v.join(", "))
}

/// One line of the plan text, coloured; `in_files` tracks the diff section.
pub fn styled<'a>(l: &'a str, in_files: &mut bool, t: &Theme) -> Line<'a> {
    if !l.starts_with(' ') {
        *in_files = l == "Files:";
    }
    let body = l.trim_start();
    let style = if l.starts_with("warning:") || l.starts_with("Read first") {
        t.warn()
    } else if l.starts_with("Step ") || l.ends_with(':') && !l.starts_with(' ') {
        t.title()
    } else if *in_files && l.starts_with("    ") && body.starts_with("@@") {
        t.hunk()
    } else if *in_files && l.starts_with("    +") {
        t.added()
    } else if *in_files && l.starts_with("    -") {
        t.removed()
    } else if body.starts_with("note:") {
        t.dim()
    } else {
        Style::new()
    };
    Line::styled(l, style)
}

/// Draws the review.
pub fn view(m: &Model, f: &mut Frame, area: Rect) {
    let t = &m.theme;
    let r = &m.review;
    let foot_rows = if runnable(r).is_some() { 5 } else { 3 };
    let [main, bottom] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(foot_rows)]).areas(area);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(" The plan ", t.title()));
    let (lines, foot): (Vec<Line>, Line) = match (&r.planned, &r.error) {
        (_, Some(e)) => (
            vec![
                Line::styled(s::PLAN_FAILED, t.error()),
                Line::from(e.as_str()),
            ],
            Line::styled("Esc goes back to change the answers.", t.warn()),
        ),
        (Some(p), None) => {
            // Only the lines from the scroll position on, and at most one
            // per row: wrapping the whole plan every frame costs more.
            let mut in_files = false;
            let total = p.text.lines().count();
            let rows = usize::from(main.height.saturating_sub(2));
            let v: Vec<Line> = p
                .text
                .lines()
                .map(|l| styled(l, &mut in_files, t))
                .skip(r.scroll)
                .take(rows)
                .collect();
            let pos = format!(" line {} of {total} ", r.scroll + 1);
            let block = block.clone().title_bottom(Span::styled(pos, t.dim()));
            let cluster = m
                .review
                .planned
                .as_ref()
                .is_some_and(|p| p.cluster.is_some());
            let foot = if cluster {
                s::REVIEW_BUNDLES
            } else {
                s::REVIEW_CONFIRM
            };
            let mut foot = vec![Line::styled(foot, t.ok())];
            if let Some(cmds) = runnable(r) {
                foot.push(Line::styled(s::review_restart(r.restart, &cmds), t.key()));
            }
            if let Some(what) = revocable(r) {
                foot.push(Line::styled(s::review_revoke(r.revoke, &what), t.key()));
            }
            super::page_with_footer(f, (main, bottom), Paragraph::new(v), block, foot);
            return;
        }
        (None, None) => (
            vec![Line::from(format!("{} {}", m.spin(), s::PLANNING))],
            Line::from(""),
        ),
    };
    super::page_with_footer(f, (main, bottom), Paragraph::new(lines), block, foot);
}
