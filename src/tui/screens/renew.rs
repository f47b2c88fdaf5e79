//! Renew, the table: every certificate of the setup (the inventory `esmtls
//! status` prints) with its file, subject, expiry, days left and side,
//! coloured by urgency; Space selects, Enter asks for the review.
//!
//! Invariants: only a leaf whose private key is in its file and whose
//! certificate could be read can be selected (a CA is a transition, an
//! unreadable file must be fixed first); the due ones (expired or within 30
//! days) are selected when the inventory arrives; nothing here does I/O —
//! the review is a [`Cmd::RenewPlan`] run by `effects.rs`.

use esmtls::lifecycle::{CertEntry, Inventory, Side};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

use crate::tui::app::{Cmd, Model, RenewRequest, Screen};
use crate::tui::keys::Action;
use crate::tui::screens::renew_review;
use crate::tui::strings as s;
use crate::tui::theme::Theme;

/// The window the wizard renews in, as `esmtls renew`'s default.
pub const WITHIN: i64 = 30;

/// The table's state (the inventory lives here; the start screen reads it).
#[derive(Debug, Clone, Default)]
pub struct State {
    /// The inventory, once read (None: being read).
    pub inventory: Option<Result<Inventory, String>>,
    /// One flag per entry.
    pub selected: Vec<bool>,
    /// The highlighted row.
    pub cursor: usize,
    /// Why Enter did nothing.
    pub error: Option<String>,
}

/// Why `e` cannot be renewed here, or None when it can.
pub fn not_renewable(e: &CertEntry) -> Option<String> {
    if e.days_left.is_none() || e.broken && e.days_left.is_some_and(|d| d >= 0) {
        return Some(format!(
            "{} {}",
            s::NOT_RENEWABLE_BROKEN,
            e.problems.join("; ")
        ));
    }
    if e.is_ca {
        return Some(s::NOT_RENEWABLE_CA.into());
    }
    if !e.has_key {
        return Some(s::NOT_RENEWABLE_NO_KEY.into());
    }
    None
}

/// Expired or expiring within [`WITHIN`] days.
pub fn due(e: &CertEntry) -> bool {
    e.days_left.is_some_and(|d| d <= WITHIN)
}

impl State {
    /// The entries (empty while reading or after an error).
    pub fn entries(&self) -> &[CertEntry] {
        match &self.inventory {
            Some(Ok(inv)) => &inv.entries,
            _ => &[],
        }
    }

    /// The renewable entries that are due: what the start screen offers first.
    pub fn due(&self) -> Vec<&CertEntry> {
        self.entries()
            .iter()
            .filter(|e| due(e) && not_renewable(e).is_none())
            .collect()
    }

    /// True when at least one entry can be renewed.
    pub fn any_renewable(&self) -> bool {
        self.entries().iter().any(|e| not_renewable(e).is_none())
    }

    /// The request for the selected entries (None: nothing selected).
    pub fn request(&self) -> Option<RenewRequest> {
        let mut files = Vec::new();
        let mut within = WITHIN;
        for (e, _) in self
            .entries()
            .iter()
            .zip(&self.selected)
            .filter(|(_, on)| **on)
        {
            if !files.contains(&e.file) {
                files.push(e.file.clone());
            }
            within = within.max(e.days_left.unwrap_or(0));
        }
        (!files.is_empty()).then_some(RenewRequest { files, within })
    }
}

/// The inventory arrived: pre-select the due ones; offer renewal first.
pub fn inventoried(m: &mut Model, r: Result<Box<Inventory>, String>) {
    let r = r.map(|b| *b);
    let selected = match &r {
        Ok(inv) => inv
            .entries
            .iter()
            .map(|e| due(e) && not_renewable(e).is_none())
            .collect(),
        Err(_) => Vec::new(),
    };
    m.renew = State {
        inventory: Some(r),
        selected,
        cursor: 0,
        error: None,
    };
    if m.screen == Screen::Start && !m.renew.due().is_empty() {
        m.start.choice = 0;
    }
}

/// Start → the table.
pub fn enter(m: &mut Model) {
    m.renew.cursor = 0;
    m.renew.error = None;
    m.screen = Screen::Renew;
}

/// Keys on the table.
pub fn update(m: &mut Model, a: Action) -> Option<Cmd> {
    let n = m.renew.entries().len();
    let r = &mut m.renew;
    match a {
        Action::Up if n > 0 => r.cursor = (r.cursor + n - 1) % n,
        Action::Down if n > 0 => r.cursor = (r.cursor + 1) % n,
        Action::Toggle => {
            r.error = None;
            let why = r.entries().get(r.cursor).and_then(not_renewable);
            match (why, r.selected.get_mut(r.cursor)) {
                (None, Some(on)) => *on = !*on,
                (Some(why), _) => r.error = Some(why),
                _ => {}
            }
        }
        Action::Back => m.screen = Screen::Start,
        Action::Confirm => match r.request() {
            Some(req) => return renew_review::start(m, req),
            None => r.error = Some(s::RENEW_NONE_SELECTED.into()),
        },
        _ => {}
    }
    None
}

/// The style of an entry by urgency (expired, due, fine, not renewable).
pub fn urgency(e: &CertEntry, t: &Theme) -> Style {
    match e.days_left {
        None => t.error(),
        Some(d) if d < 0 => t.error(),
        Some(d) if d <= WITHIN => t.warn(),
        _ if not_renewable(e).is_some() => t.dim(),
        _ => t.ok(),
    }
}

/// The mark before the days: ✗ expired or unreadable, ! due, blank when fine
/// (so the urgency reads without colours too).
pub fn mark(e: &CertEntry) -> &'static str {
    match e.days_left {
        None => "✗",
        Some(d) if d < 0 => "✗",
        Some(d) if d <= WITHIN => "!",
        _ => " ",
    }
}

/// The file's name.
pub fn base_name(e: &CertEntry) -> String {
    e.file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| e.file.display().to_string())
}

/// The file's name, with the PKCS#12 alias.
pub fn file_name(e: &CertEntry) -> String {
    let name = base_name(e);
    match &e.alias {
        Some(a) => format!("{name} [{a}]"),
        None => name,
    }
}

/// The side's short name.
pub fn side(e: &CertEntry) -> &'static str {
    match e.side {
        Side::Elasticsearch => "ES",
        Side::Kibana => "Kibana",
    }
}

/// `text` cut to `width` characters, ending in "…" when it was longer.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Draws the table, the highlighted row's details and the selection line.
pub fn view(m: &Model, f: &mut Frame, area: Rect) {
    let t = &m.theme;
    let r = &m.renew;
    let [table_area, detail, foot] = Layout::vertical([
        Constraint::Min(4),
        Constraint::Length(6),
        Constraint::Length(2),
    ])
    .areas(area);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(format!(" {} ", s::RENEW_TITLE), t.title()));
    let entries = r.entries();
    match &r.inventory {
        None => {
            let p = Paragraph::new(format!("{} {}", m.spin(), s::CERTS_READING)).block(block);
            f.render_widget(p, table_area);
        }
        Some(Err(e)) => {
            let p = Paragraph::new(vec![
                Line::styled(s::CERTS_FAILED, t.error()),
                Line::from(e.as_str()),
            ])
            .block(block)
            .wrap(Wrap { trim: false });
            f.render_widget(p, table_area);
        }
        Some(Ok(_)) if entries.is_empty() => {
            f.render_widget(Paragraph::new(s::CERTS_NONE).block(block), table_area);
        }
        Some(Ok(_)) => {
            // The two Fill columns share what the fixed ones (25), the five
            // gaps and the borders leave; longer text ends in "…".
            let fill = usize::from(table_area.width.saturating_sub(2 + 25 + 5) / 2);
            let rows = entries.iter().zip(&r.selected).map(|(e, on)| {
                let check = match (not_renewable(e), on) {
                    (Some(_), _) => " - ",
                    (None, true) => "[x]",
                    (None, false) => "[ ]",
                };
                let style = urgency(e, t);
                Row::new(vec![
                    Cell::from(check),
                    Cell::from(fit(&base_name(e), fill)),
                    Cell::from(if e.subject.is_empty() {
                        "?".to_string()
                    } else {
                        fit(&e.subject, fill)
                    }),
                    Cell::from(e.not_after.get(..10).unwrap_or("-").to_string()),
                    Cell::from(format!(
                        "{} {}",
                        e.days_left.map_or("-".into(), |d| d.to_string()),
                        mark(e)
                    )),
                    Cell::from(side(e)),
                ])
                .style(style)
            });
            let header = Row::new(s::RENEW_COLUMNS).style(t.title());
            let table = Table::new(
                rows,
                [
                    Constraint::Length(3),
                    Constraint::Fill(1),
                    Constraint::Fill(1),
                    Constraint::Length(10),
                    Constraint::Length(6),
                    Constraint::Length(6),
                ],
            )
            .header(header)
            .block(block)
            .row_highlight_style(t.focus());
            let mut state = TableState::default().with_selected(Some(r.cursor));
            f.render_stateful_widget(table, table_area, &mut state);
        }
    }
    if let Some(e) = entries.get(r.cursor) {
        let alias = e
            .alias
            .as_deref()
            .map(|a| format!(" [{a}]"))
            .unwrap_or_default();
        let mut lines = vec![Line::from(format!(
            "{}{alias} — {} ({}), {}",
            e.file.display(),
            e.role.name(),
            e.settings.join(", "),
            s::days_left(e.days_left)
        ))];
        if !e.subject.is_empty() {
            lines.push(Line::from(format!("{} (issuer {})", e.subject, e.issuer)));
        }
        match not_renewable(e) {
            Some(why) => lines.push(Line::styled(why, t.dim())),
            None if !e.problems.is_empty() => {
                lines.push(Line::styled(e.problems.join("; "), urgency(e, t)));
            }
            None => {}
        }
        let block = Block::new().borders(Borders::TOP).border_style(t.border());
        f.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false }),
            detail,
        );
    }
    let n = r.selected.iter().filter(|on| **on).count();
    let line = match &r.error {
        Some(e) => Line::styled(e.as_str(), t.warn()),
        None => Line::styled(s::renew_selected(n), t.ok()),
    };
    f.render_widget(Paragraph::new(line).wrap(Wrap { trim: true }), foot);
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn long_text_ends_in_an_ellipsis() {
        assert_eq!(fit("CN=kibana", 9), "CN=kibana");
        assert_eq!(fit("CN=kibana-client", 9), "CN=kiban…");
        assert_eq!(fit("CN=é", 2), "C…");
        assert_eq!(fit("x", 0), "");
    }
}
