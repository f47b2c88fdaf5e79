//! Start: what detection found (both config directories, versions, security
//! auto-configuration, TLS settings, certificates with expiry) and the
//! choice: set up, continue with saved answers, renew (coming), quit.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::tui::app::{Cmd, DetectInfo, Model, Screen};
use crate::tui::keys::Action;
use crate::tui::screens::guide;
use crate::tui::strings as s;

/// The start screen's state.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// The highlighted choice.
    pub choice: usize,
    /// Detection's result, once known.
    pub detected: Option<Result<String, String>>,
    /// Answers from an earlier run, with where they are.
    pub saved: Option<(esmtls::plan::Answers, String)>,
    /// First line of the summary shown (PgUp/PgDn).
    pub scroll: u16,
}

/// A choice on the start screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// Set up with defaults.
    Setup,
    /// Set up from the saved answers.
    Saved,
    /// Renew (issue 8: shown disabled).
    Renew,
    /// Quit.
    Quit,
}

impl State {
    /// The choices, each with whether it can be chosen.
    pub fn items(&self) -> Vec<(Item, bool)> {
        let mut v = vec![(Item::Setup, true)];
        if self.saved.is_some() {
            v.push((Item::Saved, true));
        }
        v.push((Item::Renew, false));
        v.push((Item::Quit, true));
        v
    }
}

/// Detection reported.
pub fn detected(m: &mut Model, r: Result<Box<DetectInfo>, String>) {
    match r {
        Ok(d) => {
            m.start.detected = Some(Ok(d.summary));
            m.start.saved = d.saved;
            if d.license.is_some() && m.answers.license.is_none() {
                m.answers.license = d.license;
                m.guide = guide::State::new(&m.answers);
            }
        }
        Err(e) => m.start.detected = Some(Err(e)),
    }
}

/// Keys on the start screen.
pub fn update(m: &mut Model, a: Action) -> Option<Cmd> {
    let items = m.start.items();
    let n = items.len();
    match a {
        Action::Up | Action::PrevField => m.start.choice = (m.start.choice + n - 1) % n,
        Action::Down | Action::NextField => m.start.choice = (m.start.choice + 1) % n,
        Action::Back => m.exit = Some(crate::tui::app::Exit::Quit),
        Action::PageUp => m.start.scroll = m.start.scroll.saturating_sub(5),
        Action::PageDown => m.start.scroll = m.start.scroll.saturating_add(5).min(60),
        Action::Confirm => match items.get(m.start.choice) {
            Some((Item::Setup, _)) => enter_guide(m, None),
            Some((Item::Saved, _)) => {
                let saved = m.start.saved.as_ref().map(|(a, _)| a.clone());
                enter_guide(m, saved)
            }
            Some((Item::Quit, _)) => m.exit = Some(crate::tui::app::Exit::Quit),
            _ => {}
        },
        _ => {}
    }
    None
}

fn enter_guide(m: &mut Model, saved: Option<esmtls::plan::Answers>) {
    if let Some(mut a) = saved {
        a.out = m.answers.out.clone();
        m.answers = a;
        m.guide = guide::State::resume(&m.answers);
    }
    m.dirty = true;
    m.screen = Screen::Guide;
}

/// Draws the start screen.
pub fn view(m: &Model, f: &mut Frame, area: Rect) {
    let t = &m.theme;
    let items = m.start.items();
    let [top, bottom] = Layout::vertical([
        Constraint::Min(5),
        Constraint::Length(items.len() as u16 + 2),
    ])
    .areas(area);
    let body: Vec<Line> = match &m.start.detected {
        None => vec![Line::from(format!("{} {}", m.spin(), s::DETECTING))],
        Some(Ok(text)) => text.lines().map(|l| Line::from(l.to_string())).collect(),
        Some(Err(e)) => vec![Line::styled(e.clone(), t.error())],
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(" Found on this machine ", t.title()))
        .title_bottom(Span::styled(" PgUp/PgDn scroll ", t.dim()));
    f.render_widget(
        Paragraph::new(body)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((m.start.scroll, 0)),
        top,
    );
    let lines: Vec<Line> = items
        .iter()
        .enumerate()
        .map(|(i, (item, enabled))| {
            let text = match item {
                Item::Setup => s::START_SETUP.to_string(),
                Item::Saved => s::start_saved(m.start.saved.as_ref().map_or("", |(_, p)| p)),
                Item::Renew => s::START_RENEW.to_string(),
                Item::Quit => s::START_QUIT.to_string(),
            };
            let marker = if i == m.start.choice { "› " } else { "  " };
            let style = if i == m.start.choice {
                t.focus()
            } else if *enabled {
                ratatui::style::Style::new()
            } else {
                t.dim()
            };
            Line::from(vec![Span::raw(marker), Span::styled(text, style)])
        })
        .collect();
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(" What do you want to do? ", t.title()));
    f.render_widget(Paragraph::new(lines).block(block), bottom);
}
