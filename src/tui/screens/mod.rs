//! One module per screen: its `State`, its part of `update`, its `view`.
//! Screens read the shared [`Model`](super::app::Model) (the answers flow
//! through all of them) and change only their own state plus the answers.

pub mod apply;
pub mod doctor;
pub mod finish;
pub mod guide;
pub mod renew;
pub mod renew_review;
pub mod review;
pub mod review_text;
pub mod start;
pub mod steps;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::keys::Action;

/// Moves a scroll position for the scroll keys (↑↓, PgUp/PgDn, g/G) on a page
/// of `page` lines whose last line is `last`; false (and no move) for any
/// other action, which the screen then handles itself.
pub fn scroll(pos: &mut usize, a: Action, page: usize, last: usize) -> bool {
    *pos = match a {
        Action::Up => pos.saturating_sub(1),
        Action::Down => (*pos + 1).min(last),
        Action::PageUp => pos.saturating_sub(page),
        Action::PageDown => (*pos + page).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => return false,
    };
    true
}

/// Draws a page (`body` in `block`, wrapped, not trimmed) in `main` and its
/// footer lines under a rule in `bottom` — the layout of the review screens.
pub fn page_with_footer<'a>(
    f: &mut Frame,
    (main, bottom): (Rect, Rect),
    body: Paragraph<'a>,
    block: Block<'a>,
    foot: impl Into<ratatui::text::Text<'a>>,
) {
    f.render_widget(body.block(block).wrap(Wrap { trim: false }), main);
    f.render_widget(
        Paragraph::new(foot)
            .wrap(Wrap { trim: true })
            .block(Block::new().borders(Borders::TOP)),
        bottom,
    );
}
