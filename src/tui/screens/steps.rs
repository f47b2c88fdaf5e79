//! Steps: a sidebar of steps 0–9 with their state (done, current, to do,
//! skipped), the current step's form filled with the answers' defaults, and
//! a pane on why the step exists and what it does in the chosen mode.
//!
//! Invariant: Enter leaves a step only when the whole answers validate; the
//! error is kept as state and shown under the field at fault.

use esmtls::plan::{Applies, Mode, Step, applies};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::tui::admin::{self, Creds};
use crate::tui::app::{Cmd, DetectInfo, Model, Screen};
use crate::tui::form::{self, Field, Kind};
use crate::tui::keys::Action;
use crate::tui::reports::Restarts;
use crate::tui::screens::review;
use crate::tui::strings as s;

/// The steps screen's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    /// 0..=9.
    pub step: u8,
    /// The focused field.
    pub focus: usize,
    /// The form's values, as typed.
    pub values: Vec<String>,
    /// The field at fault (None: another step's answer) and why.
    pub error: Option<(Option<usize>, String)>,
    /// How detection says each side restarts (kept across steps).
    pub restarts: Restarts,
}

impl State {
    /// True when a text (or masked) field has the focus.
    pub fn text_focused(&self, mode: Mode, admin: &Creds) -> bool {
        fields(self.step, mode, admin)
            .get(self.focus)
            .is_some_and(|f| f.kind.typed())
    }

    /// True when a choice field has the focus.
    pub fn choice_focused(&self, mode: Mode, admin: &Creds) -> bool {
        fields(self.step, mode, admin)
            .get(self.focus)
            .is_some_and(|f| matches!(f.kind, Kind::Choice(_)))
    }
}

/// Step `n`'s fields: the answers' form, and on step 0 the admin
/// credentials when the environment has none.
pub fn fields(n: u8, mode: Mode, admin: &Creds) -> Vec<Field> {
    let mut f = form::fields(n, mode);
    if n == 0 && admin.ask() {
        f.extend(form::admin_fields());
    }
    f
}

/// How the form edits the focused field.
enum Edit {
    Push(char),
    Pop,
    Clear,
}

/// Edits the focused field: the masked password in the model's
/// credentials (never in `values`), any other typed field in `values`.
fn edit(m: &mut Model, e: Edit) {
    let fields = fields(m.steps.step, m.answers.mode, &m.admin);
    let Some(f) = fields.get(m.steps.focus).filter(|f| f.kind.typed()) else {
        return;
    };
    m.steps.error = None;
    if f.kind == Kind::Masked {
        let pw = &mut m.admin.password;
        match e {
            Edit::Push(c) => pw.push(c),
            Edit::Pop => pw.pop(),
            Edit::Clear => pw.clear(),
        }
        return;
    }
    let Some(v) = m.steps.values.get_mut(m.steps.focus) else {
        return;
    };
    match e {
        Edit::Push(c) => v.push(c),
        Edit::Pop => {
            v.pop();
        }
        Edit::Clear => v.clear(),
    }
    if f.key == admin::USER_KEY {
        m.admin.user = v.clone();
    }
}

/// Short names for the sidebar.
pub const SHORT: [&str; 10] = [
    "HTTPS on Elasticsearch",
    "Client certificate",
    "CA chain",
    "PKI + native realms",
    "Request client certs",
    "Restart Elasticsearch",
    "Credential / role map",
    "Kibana uses the cert",
    "No username/password",
    "Restart Kibana",
];

/// How step `n` applies to `mode` (step 0 always applies).
pub fn applies_to(mode: Mode, n: u8) -> Applies {
    match Step::ALL.get(usize::from(n).wrapping_sub(1)) {
        Some(st) if n > 0 => applies(mode, *st),
        _ => Applies::Yes(s::why(0)),
    }
}

/// Keeps what detection found about restarts for steps 5 and 9.
pub fn detected(m: &mut Model, r: &Result<Box<DetectInfo>, String>) {
    if let Ok(d) = r {
        m.steps.restarts = d.restarts.clone();
    }
}

/// Opens step `n` with the answers' values.
pub fn enter(m: &mut Model, n: u8) {
    let fields = fields(n, m.answers.mode, &m.admin);
    let restarts = std::mem::take(&mut m.steps.restarts);
    m.steps = State {
        step: n,
        focus: 0,
        values: fields
            .iter()
            .map(|f| match f.key {
                admin::USER_KEY => m.admin.user.clone(),
                _ => form::get(&m.answers, f.key),
            })
            .collect(),
        error: None,
        restarts,
    };
}

/// A character typed into the focused text field.
pub fn typed(m: &mut Model, c: char) {
    edit(m, Edit::Push(c));
}

/// Keys on the steps screen.
pub fn update(m: &mut Model, a: Action) -> Option<Cmd> {
    match a {
        Action::Backspace => {
            edit(m, Edit::Pop);
            return None;
        }
        Action::Clear => {
            edit(m, Edit::Clear);
            return None;
        }
        _ => {}
    }
    let fields = fields(m.steps.step, m.answers.mode, &m.admin);
    let st = &mut m.steps;
    let n = fields.len().max(1);
    match a {
        Action::Up | Action::PrevField => st.focus = (st.focus + n - 1) % n,
        Action::Down | Action::NextField => st.focus = (st.focus + 1) % n,
        Action::Left | Action::Right => {
            if let (Some(f), Some(v)) = (fields.get(st.focus), st.values.get_mut(st.focus))
                && let Kind::Choice(opts) = f.kind
            {
                let i = opts.iter().position(|o| o == v).unwrap_or(0);
                let k = opts.len();
                let j = if a == Action::Right {
                    (i + 1) % k
                } else {
                    (i + k - 1) % k
                };
                *v = opts[j].to_string();
                st.error = None;
            }
        }
        Action::Confirm => match form::apply(&m.answers, &fields, &st.values) {
            Err(e) => {
                if let Some(i) = e.0 {
                    st.focus = i;
                }
                st.error = Some(e);
            }
            Ok(a) => {
                m.answers = a;
                match next_active(m.answers.mode, m.steps.step, true) {
                    Some(n) => enter(m, n),
                    None => return review::start(m),
                }
            }
        },
        Action::Back => match next_active(m.answers.mode, st.step, false) {
            Some(prev) => enter(m, prev),
            None => m.screen = Screen::Guide,
        },
        _ => {}
    }
    None
}

/// The error under field `i`, if it is at fault.
fn push_error(lines: &mut Vec<Line>, st: &State, i: usize, t: &crate::tui::theme::Theme) {
    if let Some((Some(at), msg)) = &st.error
        && *at == i
    {
        lines.push(Line::styled(format!("  ✗ {msg}"), t.error()));
    }
}

/// The next step after `n` (forward) or before it that applies to `mode`:
/// steps that do not apply are passed over (the sidebar still lists them,
/// marked –). None past step 9; step 0 always applies.
pub fn next_active(mode: Mode, n: u8, forward: bool) -> Option<u8> {
    if forward {
        (n + 1..=9).find(|&k| applies_to(mode, k).is_active())
    } else {
        (0..n).rev().find(|&k| applies_to(mode, k).is_active())
    }
}

/// Draws the steps screen.
pub fn view(m: &Model, f: &mut Frame, area: Rect) {
    let t = &m.theme;
    let st = &m.steps;
    let mode = m.answers.mode;
    let [side, main] =
        Layout::horizontal([Constraint::Length(30), Constraint::Min(40)]).areas(area);
    let items: Vec<Line> = (0..=9u8)
        .map(|n| {
            let ap = applies_to(mode, n);
            let (mark, style) = if n == st.step {
                ("›", t.focus())
            } else if !ap.is_active() {
                ("–", t.dim())
            } else if n < st.step {
                ("✓", t.ok())
            } else {
                (" ", Style::new())
            };
            Line::styled(format!("{mark} {n} {}", SHORT[usize::from(n)]), style)
        })
        .collect();
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(
            format!(" {} · {mode} ", s::STEPS_TITLE),
            t.title(),
        ));
    f.render_widget(Paragraph::new(items).block(block), side);

    let fields = fields(st.step, mode, &m.admin);
    let mut lines: Vec<Line> = Vec::new();
    let dots = "•".repeat(m.admin.password.chars());
    for (i, fl) in fields.iter().enumerate() {
        let v = match fl.kind {
            Kind::Masked => dots.as_str(),
            _ => st.values.get(i).map(String::as_str).unwrap_or(""),
        };
        let focused = i == st.focus;
        let vs = if focused { t.focus() } else { Style::new() };
        let value = match fl.kind {
            Kind::Choice(_) => Span::styled(format!("◂ {v} ▸"), vs),
            Kind::Text | Kind::Masked if v.is_empty() && !focused => Span::styled(fl.hint, t.dim()),
            // Focused and empty: the cursor, then what an empty value means.
            Kind::Text | Kind::Masked if v.is_empty() => {
                lines.push(Line::from(vec![
                    Span::raw(format!("{:<24}", fl.label)),
                    Span::styled("▏", vs),
                    Span::styled(fl.hint, t.dim()),
                ]));
                push_error(&mut lines, st, i, t);
                continue;
            }
            Kind::Text | Kind::Masked if focused => Span::styled(format!("{v}▏"), vs),
            Kind::Text | Kind::Masked => Span::raw(v.to_string()),
        };
        lines.push(Line::from(vec![
            Span::raw(format!("{:<24}", fl.label)),
            value,
        ]));
        push_error(&mut lines, st, i, t);
    }
    let mut info = form::info(
        st.step,
        &form::preview(&m.answers, &fields, &st.values),
        &st.restarts,
    );
    if let (0, Some(names)) = (st.step, m.admin.env) {
        info.push((s::INFO_ADMIN, s::admin_from_env(names)));
    }
    if fields.is_empty() && info.is_empty() {
        lines.push(Line::styled(s::NOTHING_TO_ANSWER, t.dim()));
    }
    for (label, value) in info {
        let style = if label == s::INFO_WARNING {
            t.warn()
        } else {
            t.dim()
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{label:<24}"), style),
            Span::styled(value, style),
        ]));
    }
    if let Some((None, msg)) = &st.error {
        lines.push(Line::styled(format!("✗ {msg}"), t.error()));
    }
    let why_h = if main.height < 30 { 6 } else { 10 };
    let [top, bottom] =
        Layout::vertical([Constraint::Min(5), Constraint::Length(why_h)]).areas(main);
    let title = match st.step {
        0 => s::STEP0_TITLE.to_string(),
        n => format!("{n}. {}", Step::ALL[usize::from(n - 1)].guide_title()),
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(format!(" {title} "), t.title()));
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        top,
    );

    let ap = applies_to(mode, st.step);
    let mut why = vec![Line::from(s::why(st.step))];
    if st.step > 0 {
        let head = match ap {
            Applies::Skipped(_) => Span::styled(s::SKIPPED, t.warn()),
            _ => Span::styled(format!("In {mode} ({}):", ap.word()), t.title()),
        };
        why.push(Line::from(vec![
            head,
            Span::raw(" "),
            Span::raw(ap.text().to_string()),
        ]));
    }
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(" Why this step ", t.title()));
    f.render_widget(
        Paragraph::new(why).block(block).wrap(Wrap { trim: true }),
        bottom,
    );
}

#[cfg(test)]
mod why_tests {
    use crate::tui::strings as s;

    #[test]
    fn every_step_has_its_why_from_assets() {
        for n in 0..=9u8 {
            let w = s::why(n);
            assert!(w.len() > 40, "step {n}: {w:?}");
            assert!(!w.contains("##") && !w.contains('\n'), "step {n}: {w:?}");
        }
        assert!(s::why(0).contains("auto-configuration"));
        assert!(s::why(9).starts_with("Kibana reads its settings"));
    }
}
