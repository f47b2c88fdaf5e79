//! The one key table: every binding the wizard knows, with its footer label
//! and help text. The key handler ([`action`]) and the footer / help overlay
//! ([`footer`], [`help`]) read the same table, so the hints never lie.
//!
//! Invariant: in a text field ([`Ctx::Text`]) no printable character but `?`
//! is bound (j, k and q type themselves; `?` is the help, which no URL, name
//! or command typed there needs, and Ctrl-Q quits); arrows, Tab, Enter and
//! Esc still navigate. On a form's choice field ([`Ctx::Choice`]) no letter
//! changes the value.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key means, independent of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Previous row / field.
    Up,
    /// Next row / field.
    Down,
    /// Previous choice.
    Left,
    /// Next choice.
    Right,
    /// Next field.
    NextField,
    /// Previous field.
    PrevField,
    /// Continue / choose.
    Confirm,
    /// Go back.
    Back,
    /// The key help overlay.
    Help,
    /// Quit (asks when answers would be lost).
    Quit,
    /// Ctrl-C: stop now, write nothing more.
    Abort,
    /// Scroll a page up.
    PageUp,
    /// Scroll a page down.
    PageDown,
    /// To the top.
    Top,
    /// To the bottom.
    Bottom,
    /// Delete the character before the cursor.
    Backspace,
    /// Clear the field.
    Clear,
    /// Answer yes in a question.
    Yes,
    /// Answer no in a question.
    No,
    /// Select or unselect the row (lists with a selection).
    Toggle,
    /// Review: run the restart commands after writing too (or not).
    Restart,
    /// Review: toggle revoking the replaced credentials once verified.
    Revoke,
}

/// Which set of keys is live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    /// Lists and choices: j/k, q and ? work.
    Nav,
    /// A text field has the focus: printable keys type.
    Text,
    /// A scrollable page (review, finish).
    Scroll,
    /// The "quit?" question.
    Confirm,
    /// A list whose rows are selected with Space (the renew table).
    Select,
    /// A choice field of a step's form: as `Nav`, but no letter changes the
    /// value (h/l do not; a word typed there by mistake changes nothing).
    Choice,
    /// Apply is running: only Ctrl-C (stop and restore) does something.
    Busy,
}

const NAV: u8 = 1;
const TEXT: u8 = 2;
const SCROLL: u8 = 4;
const CONFIRM: u8 = 8;
const SELECT: u8 = 16;
const BUSY: u8 = 32;
const CHOICE: u8 = 64;
/// The navigation keys: lists, the guide, and a step's choice fields.
const NAVS: u8 = NAV | CHOICE;
const ALL: u8 = NAVS | TEXT | SCROLL | SELECT;

fn bit(c: Ctx) -> u8 {
    match c {
        Ctx::Nav => NAV,
        Ctx::Text => TEXT,
        Ctx::Scroll => SCROLL,
        Ctx::Confirm => CONFIRM,
        Ctx::Select => SELECT,
        Ctx::Busy => BUSY,
        Ctx::Choice => CHOICE,
    }
}

/// One binding.
pub struct Binding {
    /// The keys.
    pub keys: &'static [(KeyCode, KeyModifiers)],
    /// How the footer and help name the keys.
    pub label: &'static str,
    /// What they do.
    pub action: Action,
    /// The help text.
    pub help: &'static str,
    /// The footer's word for it (empty: only in the help overlay).
    pub hint: &'static str,
    ctx: u8,
}

const N: KeyModifiers = KeyModifiers::NONE;
const S: KeyModifiers = KeyModifiers::SHIFT;
const C: KeyModifiers = KeyModifiers::CONTROL;

macro_rules! b {
    ($keys:expr, $label:expr, $action:ident, $help:expr, $hint:expr, $ctx:expr) => {
        Binding {
            keys: $keys,
            label: $label,
            action: Action::$action,
            help: $help,
            hint: $hint,
            ctx: $ctx,
        }
    };
}

/// The table: keys, footer label, action, help text, footer word, contexts.
#[rustfmt::skip]
pub const TABLE: &[Binding] = &[
    b!(&[(KeyCode::Enter, N)], "Enter", Confirm, "continue / choose", "continue", ALL),
    b!(&[(KeyCode::Esc, N)], "Esc", Back, "go back", "back", ALL),
    b!(&[(KeyCode::Up, N), (KeyCode::Char('k'), N)], "↑↓/jk", Up, "move up", "move", NAVS | SCROLL | SELECT),
    b!(&[(KeyCode::Down, N), (KeyCode::Char('j'), N)], "", Down, "move down", "", NAVS | SCROLL | SELECT),
    b!(&[(KeyCode::Up, N)], "↑↓", Up, "previous field", "field", TEXT),
    b!(&[(KeyCode::Down, N)], "", Down, "next field", "", TEXT),
    b!(&[(KeyCode::Left, N)], "←→", Left, "previous choice", "choose", NAVS),
    b!(&[(KeyCode::Right, N)], "", Right, "next choice", "", NAVS),
    b!(&[(KeyCode::Char('h'), N)], "h/l", Left, "previous choice (not on a form's choice)", "", NAV),
    b!(&[(KeyCode::Char('l'), N)], "", Right, "next choice", "", NAV),
    b!(&[(KeyCode::Tab, N)], "Tab", NextField, "next field", "", NAVS | TEXT),
    b!(&[(KeyCode::BackTab, S), (KeyCode::BackTab, N)], "S-Tab", PrevField, "previous field", "", NAVS | TEXT),
    b!(&[(KeyCode::Char(' '), N)], "Space", Toggle, "select / unselect the row", "select", SELECT),
    b!(&[(KeyCode::PageUp, N)], "PgUp/PgDn", PageUp, "scroll a page up", "page", SCROLL),
    b!(&[(KeyCode::PageDown, N), (KeyCode::Char(' '), N)], "", PageDown, "scroll a page down", "", SCROLL),
    b!(&[(KeyCode::PageUp, N)], "PgUp", PageUp, "scroll the explanation up", "", NAVS),
    b!(&[(KeyCode::PageDown, N)], "PgDn", PageDown, "scroll the explanation down", "", NAVS),
    b!(&[(KeyCode::Home, N), (KeyCode::Char('g'), N)], "g/G", Top, "top", "", SCROLL),
    b!(&[(KeyCode::End, N), (KeyCode::Char('G'), S), (KeyCode::Char('G'), N)], "", Bottom, "bottom", "", SCROLL),
    b!(&[(KeyCode::Backspace, N)], "Bksp", Backspace, "delete a character", "", TEXT),
    b!(&[(KeyCode::Char('u'), C)], "C-u", Clear, "clear the field", "clear", TEXT),
    b!(&[(KeyCode::Char('r'), N)], "r", Restart, "review: also run the restarts after writing (as apply --restart)", "", SCROLL),
    b!(&[(KeyCode::Char('v'), N)], "v", Revoke, "review: revoke the credentials the new one replaces, once verified (as apply --revoke-replaced)", "", SCROLL),
    b!(&[(KeyCode::Char('?'), N), (KeyCode::Char('?'), S)], "?", Help, "this help", "help", NAVS | TEXT | SCROLL | SELECT),
    b!(&[(KeyCode::Char('q'), N)], "q", Quit, "quit (asks if answers would be lost)", "quit", NAVS | SCROLL | SELECT),
    b!(&[(KeyCode::Char('q'), C)], "C-q", Quit, "quit (asks if answers would be lost)", "quit", TEXT),
    b!(&[(KeyCode::Char('c'), C)], "C-c", Abort, "quit; while applying: stop and restore what was changed", "", ALL | CONFIRM),
    b!(&[(KeyCode::Char('c'), C)], "C-c", Abort, "stop and restore what was changed (a second C-c quits at once)", "stop and restore", BUSY),
    b!(&[(KeyCode::Char('y'), N), (KeyCode::Char('Y'), S)], "y", Yes, "yes, quit", "quit", CONFIRM),
    b!(&[(KeyCode::Char('n'), N), (KeyCode::Esc, N)], "n/Esc", No, "no, stay", "stay", CONFIRM),
];

/// The action of `key` in `ctx`, if any.
pub fn action(ctx: Ctx, key: &KeyEvent) -> Option<Action> {
    let mods = key.modifiers & (KeyModifiers::CONTROL | KeyModifiers::SHIFT | KeyModifiers::ALT);
    TABLE
        .iter()
        .filter(|b| b.ctx & bit(ctx) != 0)
        .find(|b| b.keys.iter().any(|&(c, m)| c == key.code && m == mods))
        .map(|b| b.action)
}

/// A printable character to type into a text field, when `key` is one.
pub fn typed(key: &KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(c)
        }
        _ => None,
    }
}

/// The footer's hints in `ctx`: (keys, what).
pub fn footer(ctx: Ctx) -> Vec<(&'static str, &'static str)> {
    TABLE
        .iter()
        .filter(|b| !b.hint.is_empty() && b.ctx & bit(ctx) != 0)
        .map(|b| (b.label, b.hint))
        .collect()
}

/// Every binding of `ctx` for the help overlay: (keys, what).
pub fn help(ctx: Ctx) -> Vec<(String, &'static str)> {
    TABLE
        .iter()
        .filter(|b| b.ctx & bit(ctx) != 0)
        .map(|b| (keys_text(b), b.help))
        .collect()
}

fn keys_text(b: &Binding) -> String {
    let mut out: Vec<String> = Vec::new();
    for &(code, m) in b.keys {
        let k = match code {
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Char(' ') => "Space".into(),
            KeyCode::Char(c) if m.contains(KeyModifiers::CONTROL) => format!("Ctrl-{c}"),
            KeyCode::Char(c) => c.to_string(),
            _ => "?".into(),
        };
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn letters_type_in_text_fields_and_navigate_elsewhere() {
        assert_eq!(action(Ctx::Nav, &k(KeyCode::Char('j'))), Some(Action::Down));
        assert_eq!(action(Ctx::Text, &k(KeyCode::Char('j'))), None);
        assert_eq!(typed(&k(KeyCode::Char('j'))), Some('j'));
        assert_eq!(action(Ctx::Text, &k(KeyCode::Char('q'))), None);
        assert_eq!(
            action(Ctx::Text, &k(KeyCode::Char('?'))),
            Some(Action::Help)
        );
        let cq = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::CONTROL);
        assert_eq!(action(Ctx::Text, &cq), Some(Action::Quit));
        assert_eq!(action(Ctx::Choice, &k(KeyCode::Char('l'))), None);
        assert_eq!(action(Ctx::Choice, &k(KeyCode::Right)), Some(Action::Right));
        assert_eq!(
            action(Ctx::Nav, &k(KeyCode::Char('l'))),
            Some(Action::Right)
        );
        assert_eq!(action(Ctx::Nav, &k(KeyCode::Char('q'))), Some(Action::Quit));
        let cc = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action(Ctx::Text, &cc), Some(Action::Abort));
        assert_eq!(typed(&cc), None);
    }

    #[test]
    fn the_footer_comes_from_the_table() {
        let f = footer(Ctx::Nav);
        assert!(f.iter().any(|(k, _)| *k == "?"));
        assert!(!footer(Ctx::Text).iter().any(|(k, _)| *k == "q"));
        assert!(help(Ctx::Scroll).iter().any(|(k, _)| k.contains("PgDn")));
    }

    #[test]
    fn space_selects_only_in_selection_lists() {
        let sp = k(KeyCode::Char(' '));
        assert_eq!(action(Ctx::Select, &sp), Some(Action::Toggle));
        assert_eq!(action(Ctx::Scroll, &sp), Some(Action::PageDown));
        assert_eq!(action(Ctx::Nav, &sp), None);
        assert!(footer(Ctx::Select).iter().any(|(k, _)| *k == "Space"));
        assert!(!footer(Ctx::Nav).iter().any(|(k, _)| *k == "Space"));
    }
}
