//! Renew, the review and the result: what `esmtls renew` would print for the
//! selected files (renewals, CA notices, warnings, next steps) with nothing
//! written yet; Enter writes through the core's one batch; then the files
//! written, their backups and what to do on each side.
//!
//! Invariants: the plan is made on a worker ([`Cmd::RenewPlan`]) and made
//! again on confirm ([`Cmd::RenewWrite`]), which writes only when it renews
//! the same (file, alias) list as reviewed — new keys are random, the list is
//! not; while the batch is written, q is ignored and Ctrl-C lets it finish
//! (it is all or nothing) before the wizard exits.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::tui::app::{Cmd, Exit, Model, RenewPreview, RenewRequest, Renewed, Screen};
use crate::tui::keys::Action;
use crate::tui::screens::renew::WITHIN;
use crate::tui::strings as s;
use crate::tui::theme::Theme;

/// The review's and the result's state.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// The plan is being made.
    pub loading: bool,
    /// The renewal, reviewed.
    pub preview: Option<Box<RenewPreview>>,
    /// Why there is no plan.
    pub error: Option<String>,
    /// The batch is being written.
    pub writing: bool,
    /// Ctrl-C came while writing: exit once the write reports.
    pub quit_after: bool,
    /// What the write did.
    pub result: Option<Result<Renewed, String>>,
    /// First line shown.
    pub scroll: usize,
}

/// True while the batch is being written.
pub fn writing(m: &Model) -> bool {
    m.busy && m.renew_review.writing
}

/// The table's Enter: make the plan on a worker.
pub fn start(m: &mut Model, req: RenewRequest) -> Option<Cmd> {
    m.screen = Screen::RenewReview;
    m.renew_review = State {
        loading: true,
        ..State::default()
    };
    m.busy = true;
    Some(Cmd::RenewPlan(Box::new(req)))
}

/// The plan arrived.
pub fn planned(m: &mut Model, r: Result<Box<RenewPreview>, String>) {
    m.renew_review.loading = false;
    match r {
        Ok(p) => m.renew_review.preview = Some(p),
        Err(e) => m.renew_review.error = Some(e),
    }
}

/// The write reported: the result screen, or the exit Ctrl-C asked for.
pub fn written(m: &mut Model, r: Result<Box<Renewed>, String>) {
    let rr = &mut m.renew_review;
    rr.writing = false;
    rr.scroll = 0;
    rr.result = Some(r.map(|b| *b));
    if rr.quit_after {
        let outcome = match &rr.result {
            Some(Ok(w)) => w
                .written
                .iter()
                .map(|(p, _)| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            Some(Err(e)) => e.clone(),
            None => String::new(),
        };
        m.farewell = Some(s::renew_interrupted(&outcome));
        m.exit = Some(Exit::Aborted);
    }
    m.screen = Screen::Renewed;
}

fn lines_of(m: &Model, t: &Theme) -> Vec<Line<'static>> {
    let rr = &m.renew_review;
    let mut v = Vec::new();
    if m.screen == Screen::Renewed {
        match &rr.result {
            Some(Ok(w)) => {
                v.push(Line::styled(s::renewed(w.written.len()), t.ok()));
                v.push(Line::from(""));
                for (p, b) in &w.written {
                    v.push(Line::from(match b {
                        Some(b) => format!("wrote {} (backup: {})", p.display(), b.display()),
                        None => format!("wrote {}", p.display()),
                    }));
                }
                next(&mut v, &w.next_steps, t);
                if let Some(c) = &w.restart {
                    v.push(Line::from(""));
                    v.push(Line::styled(s::RENEW_RUN, t.title()));
                    v.push(Line::from(format!("  {c}")));
                }
            }
            Some(Err(e)) => {
                v.push(Line::styled(s::RENEW_WRITE_FAILED, t.error()));
                v.push(Line::from(e.clone()));
            }
            None => {}
        }
        return v;
    }
    let Some(p) = &rr.preview else { return v };
    if p.renewals.is_empty() {
        v.push(Line::styled(s::RENEW_NOTHING, t.warn()));
    } else {
        v.push(Line::styled(s::renew_heading(p.renewals.len()), t.title()));
    }
    for r in &p.renewals {
        let alias = r
            .alias
            .as_deref()
            .map(|a| format!(" [{a}]"))
            .unwrap_or_default();
        v.push(Line::from(format!(
            "  {}{alias} ({})",
            r.file.display(),
            r.role.name()
        )));
        let style = if r.old_days_left < 0 {
            t.error()
        } else if r.old_days_left <= WITHIN {
            t.warn()
        } else {
            ratatui::style::Style::new()
        };
        v.push(Line::styled(
            format!(
                "    {} — until {} ({}) → until {}, signed by {}",
                r.subject,
                r.old_not_after.get(..10).unwrap_or(&r.old_not_after),
                s::days_left(Some(r.old_days_left)),
                r.new_not_after.get(..10).unwrap_or(&r.new_not_after),
                r.ca
            ),
            style,
        ));
    }
    if !p.ca_notices.is_empty() {
        v.push(Line::from(""));
        v.push(Line::styled(s::CA_NOTICES, t.title()));
        for n in &p.ca_notices {
            v.push(Line::styled(
                format!(
                    "  {}",
                    s::ca_notice(
                        &n.subject,
                        &n.file.display().to_string(),
                        n.not_after.get(..10).unwrap_or(&n.not_after),
                        n.days_left
                    )
                ),
                t.warn(),
            ));
            v.extend(
                n.plan
                    .iter()
                    .skip(1)
                    .map(|l| Line::from(format!("    {l}"))),
            );
        }
    }
    if !p.warnings.is_empty() {
        v.push(Line::from(""));
        v.push(Line::styled(s::WARNINGS, t.title()));
        v.extend(
            p.warnings
                .iter()
                .map(|w| Line::styled(format!("  {w}"), t.warn())),
        );
    }
    next(&mut v, &p.next_steps, t);
    v
}

fn next(v: &mut Vec<Line<'static>>, steps: &[String], t: &Theme) {
    if steps.is_empty() {
        return;
    }
    v.push(Line::from(""));
    v.push(Line::styled(s::RENEW_NEXT, t.title()));
    v.extend(steps.iter().map(|l| Line::from(format!("  {l}"))));
}

/// Keys on the review and on the result.
pub fn update(m: &mut Model, a: Action) -> Option<Cmd> {
    let page = usize::from(m.size.1.saturating_sub(8)).max(1);
    let last = lines_of(m, &m.theme).len().saturating_sub(1);
    let done = m.screen == Screen::Renewed;
    let rr = &mut m.renew_review;
    match a {
        _ if super::scroll(&mut rr.scroll, a, page, last) => {}
        _ if rr.loading || rr.writing => {}
        Action::Back | Action::Confirm if done => {
            // Back to the start, whose certificate list is read again.
            m.renew.inventory = None;
            m.screen = Screen::Start;
            return Some(Cmd::Inventory);
        }
        Action::Back => m.screen = Screen::Renew,
        Action::Confirm => {
            if let Some(p) = rr.preview.clone().filter(|p| !p.renewals.is_empty()) {
                rr.writing = true;
                m.busy = true;
                return Some(Cmd::RenewWrite(p));
            }
        }
        _ => {}
    }
    None
}

/// Draws the review (or the result).
pub fn view(m: &Model, f: &mut Frame, area: Rect) {
    let t = &m.theme;
    let rr = &m.renew_review;
    let [main, bottom] = Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(area);
    let done = m.screen == Screen::Renewed;
    let title = if done { s::RENEWED } else { s::RENEW_REVIEW };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(format!(" {title} "), t.title()));
    let (lines, foot) = if let Some(e) = rr.error.as_ref().filter(|_| !done) {
        (
            vec![
                Line::styled(s::RENEW_FAILED, t.error()),
                Line::from(e.as_str()),
            ],
            Line::styled(s::RENEW_BACK, t.warn()),
        )
    } else if rr.loading || rr.writing {
        let what = if rr.writing {
            s::RENEW_WRITING
        } else {
            s::RENEW_PLANNING
        };
        (
            vec![Line::from(format!("{} {what}", m.spin()))],
            Line::from(""),
        )
    } else {
        let all = lines_of(m, t);
        let total = all.len();
        let v: Vec<Line> = all.into_iter().skip(rr.scroll).collect();
        let pos = format!(" line {} of {total} ", (rr.scroll + 1).min(total.max(1)));
        let foot = if done {
            Line::styled(s::RENEW_DONE_FOOT, t.dim())
        } else {
            Line::styled(s::RENEW_CONFIRM, t.ok())
        };
        super::page_with_footer(
            f,
            (main, bottom),
            Paragraph::new(v),
            block.title_bottom(Span::styled(pos, t.dim())),
            foot,
        );
        return;
    };
    super::page_with_footer(f, (main, bottom), Paragraph::new(lines), block, foot);
}
