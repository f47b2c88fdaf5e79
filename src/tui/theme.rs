//! Every style the wizard draws with, in one place. With `NO_COLOR` set (any
//! non-empty value, no-color.org) the theme uses no colours, only bold,
//! reversed and underlined, so selection and diffs stay visible.

use ratatui::style::{Color, Modifier, Style};

/// The styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Colours allowed.
    pub color: bool,
}

impl Theme {
    /// From the environment (`NO_COLOR`).
    pub fn from_env() -> Theme {
        let no = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    /// Titles and headings.
    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    /// The row or field with the focus.
    pub fn focus(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    /// The recommended choice.
    pub fn recommended(&self) -> Style {
        self.fg(Color::Green).add_modifier(Modifier::BOLD)
    }
    /// Dim text: skipped steps, disabled choices, hints.
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }
    /// An error message.
    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    /// A warning.
    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }
    /// Success.
    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }
    /// Added lines of a diff.
    pub fn added(&self) -> Style {
        self.fg(Color::Green)
    }
    /// Removed lines of a diff.
    pub fn removed(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Red)
        } else {
            Style::new().add_modifier(Modifier::CROSSED_OUT)
        }
    }
    /// Diff hunk headers.
    pub fn hunk(&self) -> Style {
        self.fg(Color::Magenta)
    }
    /// Key names in the footer.
    pub fn key(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    /// Borders.
    pub fn border(&self) -> Style {
        self.fg(Color::Blue)
    }
}
