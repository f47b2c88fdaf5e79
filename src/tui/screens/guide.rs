//! Guide: the license (from the answers, or asked), the two questions, and
//! the five modes side by side with `plan::guide::recommend`'s choice
//! highlighted and its reasons. The operator may pick another mode; `pki` on
//! a license without the PKI realm is refused inline (`check_choice`).

use esmtls::plan::guide::{self, GuideInput, LicenseSource, strings as gs};
use esmtls::plan::{Answers, License, Mode};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use crate::tui::app::{Cmd, Model, Screen};
use crate::tui::keys::Action;
use crate::tui::screens::steps;
use crate::tui::strings as s;

/// The license choices (None: unknown).
pub const LICENSES: [Option<License>; 6] = [
    None,
    Some(License::Basic),
    Some(License::Trial),
    Some(License::Gold),
    Some(License::Platinum),
    Some(License::Enterprise),
];

/// The guide's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// 0 license, 1 first question, 2 second question, 3 the modes.
    pub focus: usize,
    /// Index into [`LICENSES`].
    pub license: usize,
    /// Must every connection present a client certificate?
    pub require_mtls: bool,
    /// Must the certificate be Kibana's identity?
    pub cert_identity: bool,
    /// The chosen mode (the recommendation until the operator picks another).
    pub mode: Mode,
    /// Why the choice cannot be taken.
    pub error: Option<String>,
    /// First line of the reasons shown (PgUp/PgDn).
    pub scroll: u16,
}

fn license_index(a: &Answers) -> usize {
    LICENSES.iter().position(|l| *l == a.license).unwrap_or(0)
}

impl State {
    /// Fresh: license from the answers, both questions no.
    pub fn new(a: &Answers) -> State {
        let mut st = State {
            focus: 0,
            license: license_index(a),
            require_mtls: false,
            cert_identity: false,
            mode: Mode::Token,
            error: None,
            scroll: 0,
        };
        st.mode = guide::recommend(&st.input()).mode;
        st
    }

    /// From saved answers: the questions as the saved mode implies.
    pub fn resume(a: &Answers) -> State {
        State {
            focus: 0,
            license: license_index(a),
            require_mtls: matches!(a.mode, Mode::MtlsToken | Mode::MtlsPassword),
            cert_identity: a.mode == Mode::Pki,
            mode: a.mode,
            error: None,
            scroll: 0,
        }
    }

    /// A re-run: the mode already in place is chosen, and the questions
    /// answered as it implies, so Enter keeps it (never a silent switch).
    pub fn preselect(&mut self, mode: Mode) {
        self.require_mtls = matches!(mode, Mode::MtlsToken | Mode::MtlsPassword);
        self.cert_identity = mode == Mode::Pki;
        self.mode = mode;
    }

    /// The license chosen.
    pub fn license(&self) -> Option<License> {
        LICENSES.get(self.license).copied().flatten()
    }

    /// What `recommend` is asked.
    pub fn input(&self) -> GuideInput {
        let license = self.license();
        GuideInput {
            license,
            license_source: if license.is_some() {
                LicenseSource::Answered
            } else {
                LicenseSource::Unknown
            },
            require_mtls: self.require_mtls,
            cert_identity: self.cert_identity,
            override_pki: false,
        }
    }
}

fn cycle(i: usize, n: usize, forward: bool) -> usize {
    if forward {
        (i + 1) % n
    } else {
        (i + n - 1) % n
    }
}

/// The focus on the five mode cards.
pub const CARDS: usize = 3;

/// Moves the chosen card one to the right (or left), wrapping.
fn move_card(g: &mut State, fwd: bool) {
    let i = Mode::ALL.iter().position(|x| *x == g.mode).unwrap_or(0);
    g.mode = Mode::ALL[cycle(i, Mode::ALL.len(), fwd)];
}

/// Keys on the guide: ↑↓ move between the questions and the cards; on a
/// question ←→ change its answer (and the recommendation); on the cards
/// ←→ and Tab / Shift-Tab move the choice; Enter takes the chosen card.
pub fn update(m: &mut Model, a: Action) -> Option<Cmd> {
    let g = &mut m.guide;
    match a {
        Action::NextField | Action::PrevField if g.focus == CARDS => {
            move_card(g, a == Action::NextField);
            g.error = None;
        }
        Action::Up | Action::PrevField => g.focus = g.focus.saturating_sub(1),
        Action::Down => g.focus = (g.focus + 1).min(CARDS),
        // From any question, Tab goes straight to the cards: an operator
        // who came for a mode picks it without walking the questions.
        Action::NextField => g.focus = CARDS,
        Action::Left | Action::Right => {
            let fwd = a == Action::Right;
            match g.focus {
                0 => g.license = cycle(g.license, LICENSES.len(), fwd),
                1 => g.require_mtls = !g.require_mtls,
                2 => g.cert_identity = !g.cert_identity,
                _ => move_card(g, fwd),
            }
            if g.focus < CARDS {
                g.mode = guide::recommend(&g.input()).mode;
            }
            g.error = None;
            g.scroll = 0;
        }
        Action::Confirm => match guide::check_choice(g.mode, g.license(), false) {
            Err(e) => g.error = Some(format!("{e} ({})", gs::HOW_TO_OVERRIDE)),
            Ok(_) => {
                g.error = None;
                m.answers.mode = g.mode;
                m.answers.license = g.license();
                m.screen = Screen::Steps;
                steps::enter(m, 0);
            }
        },
        Action::PageUp => g.scroll = g.scroll.saturating_sub(4),
        Action::PageDown => g.scroll = g.scroll.saturating_add(4).min(40),
        Action::Back => m.screen = Screen::Start,
        _ => {}
    }
    None
}

/// Draws the guide: the questions (with the mode in place, if any), the
/// five cards, and why the recommendation.
pub fn view(m: &Model, f: &mut Frame, area: Rect) {
    let g = &m.guide;
    let rec = guide::recommend(&g.input());
    let current = m.current.as_ref();
    let q_rows = if current.is_some() { 9 } else { 7 };
    let [q, modes, why] = Layout::vertical([
        Constraint::Length(q_rows),
        Constraint::Length(if current.is_some() { 10 } else { 9 }),
        Constraint::Min(3),
    ])
    .areas(area);
    questions(m, f, q);
    let cols = Layout::horizontal([Constraint::Ratio(1, 5); 5]).split(modes);
    for (o, col) in rec.options.iter().zip(cols.iter()) {
        card(m, o, f, *col);
    }
    reasons(m, &rec, f, why);
}

fn questions(m: &Model, f: &mut Frame, area: Rect) {
    let t = &m.theme;
    let g = &m.guide;
    let row = |i: usize, value: String, label: &str| {
        let st = if g.focus == i {
            t.focus()
        } else {
            Style::new()
        };
        Line::from(vec![
            Span::styled(format!("◂ {value:^8} ▸"), st),
            Span::raw(" "),
            Span::raw(label.to_string()),
        ])
    };
    let yn = |b: bool| if b { "yes" } else { "no" }.to_string();
    let lic = g
        .license()
        .map_or(s::LICENSE_UNKNOWN.to_string(), |l| l.to_string());
    let mut lines = vec![
        row(0, lic, s::LICENSE_Q),
        row(1, yn(g.require_mtls), gs::Q_REQUIRE_MTLS),
        row(2, yn(g.cert_identity), gs::Q_CERT_IDENTITY),
    ];
    if let Some(c) = &m.current {
        lines.push(Line::styled(s::currently(c), t.ok()));
    }
    let hint = if g.focus == CARDS {
        s::GUIDE_CARDS_HINT
    } else {
        s::GUIDE_QUESTIONS_HINT
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(format!(" {} ", s::GUIDE_TITLE), t.title()))
        .title_bottom(Span::styled(hint, t.key()));
    f.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        area,
    );
}

/// One mode's card: the chosen one has a double border, a ▶ before its
/// name and "✓ chosen" under it, the recommended one a ★ under it (not only a colour, which a monochrome
/// terminal loses).
fn card(m: &Model, o: &guide::ModeOption, f: &mut Frame, area: Rect) {
    let t = &m.theme;
    let g = &m.guide;
    let chosen = o.mode == g.mode;
    // `▶mtls-password` is the widest that fits a card at 80 columns.
    let title = if chosen {
        format!("▶{}", o.mode.name())
    } else {
        o.mode.name().to_string()
    };
    let foot = match (chosen, o.recommended) {
        (true, true) => format!("{} ★", s::CARD_CHOSEN),
        (true, false) => s::CARD_CHOSEN.to_string(),
        (false, true) => s::CARD_RECOMMENDED.to_string(),
        (false, false) => String::new(),
    };
    let border = if chosen && g.focus == CARDS {
        t.focus()
    } else if chosen {
        t.title()
    } else if o.recommended {
        t.recommended()
    } else {
        t.border()
    };
    let available = match o.available.word() {
        "yes" => Span::styled(s::AVAILABLE, t.ok()),
        "no" => Span::styled(s::NOT_AVAILABLE, t.error()),
        _ => Span::styled(s::LICENSE_NOT_KNOWN, t.warn()),
    };
    let mut lines = vec![
        Line::from(o.authenticates_with),
        Line::from(format!(
            "cert: {}",
            if o.client_cert { "yes" } else { "no" }
        )),
        Line::from(s::card_license(o.mode)),
        Line::from(available),
    ];
    if m.current.as_ref().is_some_and(|c| c.mode == o.mode) {
        lines.push(Line::styled(s::CARD_CURRENT, t.ok()));
    }
    let mut block = Block::new()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Span::styled(title, border))
        .title_bottom(Span::styled(foot, border));
    if chosen {
        block = block.border_type(BorderType::Double);
    }
    f.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        area,
    );
}

fn reasons(m: &Model, rec: &guide::Recommendation, f: &mut Frame, area: Rect) {
    let t = &m.theme;
    let g = &m.guide;
    let mut lines: Vec<Line> = Vec::new();
    if let Some(e) = &g.error {
        lines.push(Line::styled(e.clone(), t.error()));
    }
    if g.license().is_none() {
        // Step 0 asks for the admin credentials; the plan reads the license.
        let how = if m.admin.ask() {
            s::LICENSE_STEP0
        } else {
            s::LICENSE_FROM_ENV
        };
        lines.push(Line::styled(how, t.warn()));
    }
    if g.mode != rec.mode {
        lines.push(Line::styled(
            format!("You chose {}; esmtls recommends {}:", g.mode, rec.mode),
            t.warn(),
        ));
        for w in guide::check_choice(g.mode, g.license(), false).unwrap_or_default() {
            lines.push(Line::styled(format!("! {w}"), t.warn()));
        }
    }
    // The core's advice for `esmtls guide` to check the license by hand is
    // replaced above by what the wizard does itself.
    for r in rec
        .reasons
        .iter()
        .filter(|r| r.as_str() != gs::CHECK_LICENSE)
    {
        lines.push(Line::from(format!("• {r}")));
    }
    for w in &rec.warnings {
        lines.push(Line::styled(format!("! {w}"), t.warn()));
    }
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(format!(" Why {} ", rec.mode), t.title()))
        .title_bottom(Span::styled(" PgUp/PgDn scroll ", t.dim()));
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: true })
            .scroll((g.scroll, 0)),
        area,
    );
}
