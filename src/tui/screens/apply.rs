//! Apply: the executor runs on a worker thread; this screen lists what it
//! does and spins until the report arrives. Ctrl-C ends the wizard at once:
//! the executor's journal lets the next run put every file back.

use esmtls::plan::{KeystoreOp, Plan};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::tui::app::Model;
use crate::tui::strings as s;

/// The apply screen's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    /// What the executor does, one line each.
    pub actions: Vec<String>,
}

impl State {
    /// The actions of `p`.
    pub fn from_plan(p: &Plan) -> State {
        let mut actions: Vec<String> = p
            .files
            .iter()
            .filter(|f| !f.unchanged)
            .map(|f| format!("write {} — {}", f.path.display(), f.what))
            .collect();
        for k in &p.keystores {
            for op in &k.ops {
                actions.push(match op {
                    KeystoreOp::Set { name, .. } => format!("keystore: set {name}"),
                    KeystoreOp::Remove { name, .. } => format!("keystore: remove {name}"),
                });
            }
        }
        for c in &p.api {
            actions.push(if c.deferred {
                format!("save request for later: {} {}", c.method, c.path)
            } else {
                format!("send {} {}", c.method, c.path)
            });
        }
        actions.push(format!("verify as Kibana: {}", p.verify.url));
        State { actions }
    }
}

/// Draws the apply screen.
pub fn view(m: &Model, f: &mut Frame, area: Rect) {
    let t = &m.theme;
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{} ", m.spin()), t.title()),
            Span::raw(s::APPLYING),
        ]),
        Line::from(""),
    ];
    lines.extend(
        m.apply
            .actions
            .iter()
            .map(|a| Line::from(format!("  · {a}"))),
    );
    lines.push(Line::from(""));
    lines.push(Line::styled(
        "Ctrl-C stops; the next run restores the files.",
        t.dim(),
    ));
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(" Apply ", t.title()));
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
