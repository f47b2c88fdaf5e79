//! Finish: the report — verified or not, what was written and sent, notes,
//! and the commands left to run, printed plainly so they can be copied; or,
//! after Ctrl-C, what the stop restored (or what stays and is left).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::tui::app::{Cmd, Exit, Model, Summary};
use crate::tui::keys::Action;
use crate::tui::strings as s;

/// The finish screen's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    /// The report, or why apply stopped.
    pub result: Option<Result<Summary, String>>,
    /// First line shown.
    pub scroll: u16,
}

impl From<Result<Summary, String>> for State {
    fn from(r: Result<Summary, String>) -> State {
        State {
            result: Some(r),
            scroll: 0,
        }
    }
}

/// Keys on the finish screen.
pub fn update(m: &mut Model, a: Action) -> Option<Cmd> {
    let page = usize::from(m.size.1.saturating_sub(6)).max(1);
    let mut pos = usize::from(m.finish.scroll);
    if super::scroll(&mut pos, a, page, 200) {
        m.finish.scroll = u16::try_from(pos).unwrap_or(u16::MAX);
        return None;
    }
    // Nothing is left to go back to once apply ran: Esc leaves, as Enter.
    if matches!(a, Action::Confirm | Action::Back) {
        m.exit = Some(Exit::Quit);
    }
    None
}

/// Draws the finish screen.
pub fn view(m: &Model, f: &mut Frame, area: Rect) {
    let t = &m.theme;
    let mut lines: Vec<Line> = Vec::new();
    match &m.finish.result {
        None => {}
        Some(Err(e)) if m.apply.stopping => {
            lines.push(Line::styled(s::STOPPED_TITLE, t.warn()));
            lines.extend(e.lines().map(|l| Line::from(l.to_string())));
        }
        Some(Err(e)) => {
            lines.push(Line::styled(s::APPLY_FAILED, t.error()));
            lines.push(Line::from(e.as_str()));
        }
        Some(Ok(sum)) => {
            match &sum.verified {
                Some(Ok(w)) => lines.push(Line::styled(format!("✓ verified: {w}"), t.ok())),
                Some(Err(e)) => lines.push(Line::styled(format!("✗ not verified: {e}"), t.warn())),
                None => lines.push(Line::styled("verification did not run", t.dim())),
            }
            lines.push(Line::from(""));
            lines.extend(sum.lines.iter().map(|l| Line::from(l.as_str())));
            if !sum.commands.is_empty() {
                lines.push(Line::from(""));
                lines.push(Line::styled(s::NEXT_COMMANDS, t.title()));
                lines.extend(sum.commands.iter().map(|c| Line::from(format!("  {c}"))));
            }
        }
    }
    if let Some(p) = &m.review.planned {
        lines.push(Line::from(""));
        lines.push(Line::styled(s::answers_saved(&p.saved), t.dim()));
    }
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(format!(" {} ", s::FINISHED), t.title()))
        .title_bottom(Span::styled(s::FINISH_FOOT, t.dim()));
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((m.finish.scroll, 0)),
        area,
    );
}
