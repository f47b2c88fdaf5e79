//! Check my setup: the findings `esmtls doctor` prints (offline checks of the
//! yml files, keystores and certificates, then the online ones when the
//! cluster answers), one block each — severity, check id, file:line, what is
//! wrong, the fix — scrollable; "No problem found" when healthy.
//!
//! Invariant: the checks run on a worker ([`Cmd::Check`]); this screen only
//! shows their report, which holds no secret.

use esmtls::lifecycle::doctor::Severity;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::tui::app::{Checked, Cmd, Model, Screen};
use crate::tui::keys::Action;
use crate::tui::strings as s;
use crate::tui::theme::Theme;

/// The check's state.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// The report (None: running).
    pub report: Option<Result<Checked, String>>,
    /// First line shown.
    pub scroll: usize,
}

/// Start → run the checks.
pub fn start(m: &mut Model) -> Option<Cmd> {
    m.doctor = State::default();
    m.screen = Screen::Doctor;
    m.busy = true;
    Some(Cmd::Check(m.admin.auth()))
}

/// The report arrived.
pub fn checked(m: &mut Model, r: Result<Box<Checked>, String>) {
    m.doctor.report = Some(r.map(|b| *b));
}

fn lines_of(st: &State, t: &Theme) -> Vec<Line<'static>> {
    let mut v = Vec::new();
    match &st.report {
        None => {}
        Some(Err(e)) => {
            v.push(Line::styled(s::CHECK_FAILED, t.error()));
            v.push(Line::from(e.clone()));
        }
        Some(Ok(c)) => {
            if c.findings.is_empty() {
                v.push(Line::styled(s::CHECK_HEALTHY, t.ok()));
            } else {
                v.push(Line::styled(s::check_count(c.findings.len()), t.title()));
            }
            for f in &c.findings {
                let (sev, style) = match f.severity {
                    Severity::Error => ("error", t.error()),
                    Severity::Warning => ("warning", t.warn()),
                };
                let place = match (&f.file, f.line) {
                    (Some(p), Some(l)) => format!("  {}:{l}", p.display()),
                    (Some(p), None) => format!("  {}", p.display()),
                    _ => String::new(),
                };
                v.push(Line::from(""));
                v.push(Line::from(vec![
                    Span::styled(format!("{sev}[{}]", f.check), style),
                    Span::raw(place),
                ]));
                v.push(Line::from(format!("  {}", f.message)));
                v.push(Line::styled(format!("  fix: {}", f.fix), t.ok()));
            }
            if !c.notes.is_empty() {
                v.push(Line::from(""));
            }
            v.extend(
                c.notes
                    .iter()
                    .map(|n| Line::styled(format!("note: {n}"), t.dim())),
            );
        }
    }
    v
}

/// Keys on the check.
pub fn update(m: &mut Model, a: Action) -> Option<Cmd> {
    let page = usize::from(m.size.1.saturating_sub(8)).max(1);
    let last = lines_of(&m.doctor, &m.theme).len().saturating_sub(1);
    let d = &mut m.doctor;
    match a {
        _ if super::scroll(&mut d.scroll, a, page, last) => {}
        Action::Back | Action::Confirm => m.screen = Screen::Start,
        _ => {}
    }
    None
}

/// Draws the check.
pub fn view(m: &Model, f: &mut Frame, area: Rect) {
    let t = &m.theme;
    let [main, bottom] = Layout::vertical([Constraint::Min(3), Constraint::Length(2)]).areas(area);
    let mut block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(format!(" {} ", s::CHECK_TITLE), t.title()));
    let lines = if m.doctor.report.is_none() {
        vec![Line::from(format!("{} {}", m.spin(), s::CHECKING))]
    } else {
        let all = lines_of(&m.doctor, t);
        let total = all.len();
        block = block.title_bottom(Span::styled(
            format!(" line {} of {total} ", m.doctor.scroll + 1),
            t.dim(),
        ));
        all.into_iter().skip(m.doctor.scroll).collect()
    };
    let foot = Line::styled(s::CHECK_FOOT, t.dim());
    super::page_with_footer(f, (main, bottom), Paragraph::new(lines), block, foot);
}
