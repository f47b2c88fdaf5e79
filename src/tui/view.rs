//! The frame: title and progress line, the current screen, the footer from
//! the key table, overlays (help, quit?), and "terminal too small" below
//! 80×24. A pure function of the model and the frame's size.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::app::{Model, Overlay, Screen};
use super::keys;
use super::screens::{apply, doctor, finish, guide, renew, renew_review, review, start, steps};
use super::strings as s;

/// The smallest size the wizard draws in.
pub const MIN: (u16, u16) = (80, 24);

/// Draws everything.
pub fn view(m: &Model, f: &mut Frame) {
    let area = f.area();
    let t = &m.theme;
    if area.width < MIN.0 || area.height < MIN.1 {
        let p = Paragraph::new(s::too_small(area.width, area.height))
            .style(t.warn())
            .wrap(Wrap { trim: true });
        f.render_widget(p, area);
        return;
    }
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(10),
        Constraint::Length(1),
    ])
    .areas(area);
    let title = if area.width < 110 {
        s::SHORT_TITLE
    } else {
        s::TITLE
    };
    let mut spans = vec![Span::styled(title, t.title()), Span::raw("   ")];
    for (i, sc) in m.screen.flow().iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" › ", t.dim()));
        }
        let st = if *sc == m.screen { t.focus() } else { t.dim() };
        spans.push(Span::styled(sc.name(), st));
    }
    f.render_widget(Line::from(spans), head);
    match m.screen {
        Screen::Start => start::view(m, f, body),
        Screen::Guide => guide::view(m, f, body),
        Screen::Steps => steps::view(m, f, body),
        Screen::Review => review::view(m, f, body),
        Screen::Apply => apply::view(m, f, body),
        Screen::Finish => finish::view(m, f, body),
        Screen::Renew => renew::view(m, f, body),
        Screen::RenewReview | Screen::Renewed => renew_review::view(m, f, body),
        Screen::Doctor => doctor::view(m, f, body),
    }
    let mut spans = Vec::new();
    for (k, what) in keys::footer(m.ctx()) {
        spans.push(Span::styled(k, t.key()));
        spans.push(Span::raw(format!(" {what}   ")));
    }
    f.render_widget(Line::from(spans), foot);
    match m.overlay {
        Some(Overlay::Help) => help(m, f, body),
        Some(Overlay::Quit) => quit(m, f, body),
        None => {}
    }
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [r] = Layout::vertical([Constraint::Length(h)])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w)])
        .flex(Flex::Center)
        .areas(r);
    r
}

fn help(m: &Model, f: &mut Frame, area: Rect) {
    let t = &m.theme;
    let mut ctx = m.ctx();
    if ctx == keys::Ctx::Nav && m.screen == Screen::Steps {
        ctx = keys::Ctx::Text;
    }
    let mut rows = keys::help(keys::Ctx::Nav);
    if ctx != keys::Ctx::Nav {
        for r in keys::help(ctx) {
            if !rows.iter().any(|x| x.1 == r.1) {
                rows.push(r);
            }
        }
    }
    let lines: Vec<Line> = rows
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!("{k:<16}"), t.key()),
                Span::raw(*what),
            ])
        })
        .chain([
            Line::from(""),
            Line::styled(
                "In a text field, letters type; arrows, Tab, Enter and Esc still work.",
                t.dim(),
            ),
        ])
        .collect();
    let r = centered(area, 74, (lines.len() as u16 + 2).min(area.height));
    f.render_widget(Clear, r);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.title())
        .title(Span::styled(
            format!(" {} — any key closes ", s::HELP_TITLE),
            t.title(),
        ));
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        r,
    );
}

fn quit(m: &Model, f: &mut Frame, area: Rect) {
    let t = &m.theme;
    let r = centered(area, 60, 5);
    f.render_widget(Clear, r);
    let lines = vec![
        Line::from(s::QUIT_Q),
        Line::from(vec![
            Span::styled("y", t.key()),
            Span::raw(" quit   "),
            Span::styled("n/Esc", t.key()),
            Span::raw(" stay"),
        ]),
    ];
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.warn())
        .title(" Quit? ");
    f.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        r,
    );
}
