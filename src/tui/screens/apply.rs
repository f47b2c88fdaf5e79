//! Apply: the executor runs on a worker thread; this screen lists every
//! action of the plan (`esmtls::apply::actions`, the list the executor
//! reports against) and shows each one's state as its `Msg::Progress`
//! arrives: pending ·, running (spinner), done ✓, failed ✗, undone ↺,
//! skipped –. Ctrl-C asks the worker to stop (it restores what was changed
//! and reports); a second Ctrl-C while stopping ends the wizard at once, and
//! the journal restores the files on the next run.

use esmtls::apply::{ActionState, Progress};
use esmtls::plan::Plan;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::tui::app::Model;
use crate::tui::strings as s;

/// The reviewed plan to apply, with what the operator consented to on the
/// review.
#[derive(Debug, Clone)]
pub struct Consent {
    /// The plan.
    pub plan: Plan,
    /// Where it applies.
    pub setup: esmtls::plan::Setup,
    /// The answers it was made from.
    pub answers: esmtls::plan::Answers,
    /// Run the restart commands too (as `esmtls apply --restart`).
    pub restart: bool,
    /// Revoke the credentials Kibana's new one replaces, once it is verified
    /// (as `esmtls apply --revoke-replaced`).
    pub revoke: bool,
}

/// The apply screen's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    /// Each action the executor takes, with where it is.
    pub actions: Vec<(String, ActionState)>,
    /// Ctrl-C was pressed: the worker is stopping and restoring.
    pub stopping: bool,
}

impl State {
    /// The actions of `p`, all pending (the wizard never runs `--restart`).
    pub fn from_plan(p: &Plan, restart: bool) -> State {
        State {
            actions: esmtls::apply::actions(p, restart)
                .into_iter()
                .map(|a| (a.label, ActionState::Pending))
                .collect(),
            stopping: false,
        }
    }

    /// The row to keep in view: the last one that is not pending.
    fn current(&self) -> usize {
        self.actions
            .iter()
            .rposition(|(_, st)| *st != ActionState::Pending)
            .unwrap_or(0)
    }
}

/// The executor reported progress.
pub fn progress(m: &mut Model, p: Progress) {
    if let Some(row) = m.apply.actions.get_mut(p.index) {
        row.1 = p.state;
    }
}

/// Draws the apply screen.
pub fn view(m: &Model, f: &mut Frame, area: Rect) {
    let t = &m.theme;
    let head = if m.apply.stopping {
        Line::from(vec![
            Span::styled(format!("{} ", m.spin()), t.warn()),
            Span::styled(s::STOPPING, t.warn()),
        ])
    } else {
        Line::from(vec![
            Span::styled(format!("{} ", m.spin()), t.title()),
            Span::raw(s::APPLYING),
        ])
    };
    let rows = m.apply.actions.iter().map(|(label, st)| {
        let (mark, style, why) = match st {
            ActionState::Pending => ("·", t.dim(), None),
            ActionState::Running => (m.spin(), t.title(), None),
            ActionState::Done => ("✓", t.ok(), None),
            ActionState::Failed(e) => ("✗", t.error(), Some(e.as_str())),
            ActionState::Undone => ("↺", t.warn(), None),
            ActionState::Skipped(w) => ("–", t.dim(), Some(w.as_str())),
        };
        let mut spans = vec![
            Span::raw("  "),
            Span::styled(mark, style),
            Span::raw(" "),
            Span::raw(label.as_str()),
        ];
        if let Some(w) = why {
            spans.push(Span::styled(format!(" ({w})"), style));
        }
        Line::from(spans)
    });
    // One row per action (long ones are cut at the border), scrolled so the
    // action running now stays in view.
    let inner = area.height.saturating_sub(2) as usize;
    let fixed = 4; // title, blank, blank, hint
    let room = inner.saturating_sub(fixed).max(1);
    let skip = (m.apply.current() + 2).saturating_sub(room);
    let mut lines = vec![head, Line::from("")];
    lines.extend(rows.skip(skip).take(room));
    lines.push(Line::from(""));
    lines.push(Line::styled(
        if m.apply.stopping {
            s::STOP_AGAIN
        } else {
            s::APPLY_STOP_HINT
        },
        t.dim(),
    ));
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(" Apply ", t.title()));
    f.render_widget(Paragraph::new(lines).block(block), area);
}
