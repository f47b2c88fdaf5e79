//! Start: what detection found (both config directories, versions, security
//! auto-configuration, TLS settings, certificates with expiry) and the
//! choice: set up, continue with saved answers, renew, check my setup, quit.
//! The certificates come from the inventory (`esmtls status`, read by its
//! own worker); when any renewable one is expired or expires within 30 days,
//! renewal is the first choice and selected, under a warning line.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::tui::app::{Cmd, DetectInfo, Model, Screen};
use crate::tui::keys::Action;
use crate::tui::screens::{doctor, guide, renew};
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
    /// Renew certificates.
    Renew,
    /// Check my setup (the doctor).
    Check,
    /// Quit.
    Quit,
}

impl State {
    /// The choices, each with whether it can be chosen: renewal first when
    /// something is due (`due`), else after the set-up choices.
    pub fn items(&self, due: bool, renewable: bool) -> Vec<(Item, bool)> {
        let mut v = Vec::new();
        if due {
            v.push((Item::Renew, true));
        }
        v.push((Item::Setup, true));
        if self.saved.is_some() {
            v.push((Item::Saved, true));
        }
        if !due {
            v.push((Item::Renew, renewable));
        }
        v.push((Item::Check, true));
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
            m.current = d.current;
            if let Some(c) = &m.current {
                // A re-run keeps the mode in place unless the operator picks another.
                m.guide.preselect(c.mode);
            }
        }
        Err(e) => m.start.detected = Some(Err(e)),
    }
}

/// The start screen's choices for this model.
pub fn items(m: &Model) -> Vec<(Item, bool)> {
    m.start
        .items(!m.renew.due().is_empty(), m.renew.any_renewable())
}

/// Keys on the start screen.
pub fn update(m: &mut Model, a: Action) -> Option<Cmd> {
    let items = items(m);
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
            Some((Item::Renew, true)) => renew::enter(m),
            Some((Item::Check, _)) => return doctor::start(m),
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
    let items = items(m);
    let due = m.renew.due();
    let warning = (!due.is_empty()).then(|| s::certs_due(due.len()));
    let warn_rows = u16::from(warning.is_some());
    let [top, warn_area, bottom] = Layout::vertical([
        Constraint::Min(5),
        Constraint::Length(warn_rows),
        Constraint::Length(items.len() as u16 + 2),
    ])
    .areas(area);
    let mut body: Vec<Line> = match &m.start.detected {
        None => vec![Line::from(format!("{} {}", m.spin(), s::DETECTING))],
        Some(Ok(text)) => text.lines().map(|l| Line::from(l.to_string())).collect(),
        Some(Err(e)) => vec![Line::styled(e.clone(), t.error())],
    };
    // The certificates: before the summary when something is due, after it otherwise.
    let certs = cert_lines(m, usize::from(top.width.saturating_sub(2)));
    if warning.is_some() {
        body = certs
            .into_iter()
            .chain([Line::from("")])
            .chain(body)
            .collect();
    } else {
        body.push(Line::from(""));
        body.extend(certs);
    }
    if let Some(w) = warning {
        f.render_widget(
            Paragraph::new(Line::styled(w, t.warn())).wrap(Wrap { trim: true }),
            warn_area,
        );
    }
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
                Item::Renew if !due.is_empty() => s::start_renew_due(due.len()),
                Item::Renew => s::START_RENEW.to_string(),
                Item::Check => s::START_CHECK.to_string(),
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

/// The compact certificate list, one line each (cut to `width`): mark, days
/// left, side, file [alias], subject.
fn cert_lines(m: &Model, width: usize) -> Vec<Line<'static>> {
    let t = &m.theme;
    let mut v = vec![Line::styled(s::CERTS_TITLE, t.title())];
    match &m.renew.inventory {
        None => v.push(Line::from(format!("  {}", s::CERTS_READING))),
        Some(Err(e)) => {
            v.push(Line::styled(format!("  {}", s::CERTS_FAILED), t.error()));
            v.push(Line::from(format!("  {e}")));
        }
        Some(Ok(inv)) if inv.entries.is_empty() => {
            v.push(Line::from(format!("  {}", s::CERTS_NONE)));
        }
        Some(Ok(inv)) => {
            for e in &inv.entries {
                let days = e.days_left.map_or("-".into(), |d| d.to_string());
                let line = format!(
                    "  {}{days:>5}  {:<6} {}  {}",
                    renew::mark(e),
                    renew::side(e),
                    renew::file_name(e),
                    if e.subject.is_empty() {
                        "?"
                    } else {
                        &e.subject
                    },
                );
                v.push(Line::styled(cut(&line, width), renew::urgency(e, t)));
            }
        }
    }
    v
}

/// `text` cut to `width` characters, with "…" when cut.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width || width == 0 {
        return text.to_string();
    }
    let mut s: String = text.chars().take(width - 1).collect();
    s.push('…');
    s
}
