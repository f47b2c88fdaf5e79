//! What every certificate name must be, wherever it enters (a DN attribute
//! value, a DNS SAN): printable text. The checks return a reason without a
//! flag or an answers key, so each caller says where the name came from.
//!
//! Messages repeat the input through [`shown`]: a control character never
//! reaches the terminal raw, and a very long value does not flood it.

/// How many characters of a value a message repeats before cutting it.
const SHOWN_MAX: usize = 48;

/// A control character as Rust escapes it (`\u{0}`, `\u{1b}`), any other as itself.
pub fn escaped(c: char) -> String {
    if c.is_control() {
        format!("\\u{{{:x}}}", u32::from(c))
    } else {
        c.to_string()
    }
}

/// The value as messages show it: control characters escaped, cut after 48
/// characters with `…`.
pub fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(SHOWN_MAX).map(escaped).collect();
    if s.chars().nth(SHOWN_MAX).is_some() {
        out.push('…');
    }
    out
}

/// Refuses a control character (U+0000–U+001F, U+007F–U+009F, which is what
/// `char::is_control` means): the reason names the first one, escaped.
pub fn check_printable(s: &str) -> Result<(), String> {
    match s.chars().find(|c| c.is_control()) {
        None => Ok(()),
        Some(c) => Err(format!(
            "it contains the control character {}; a name must be printable text, remove it",
            escaped(c)
        )),
    }
}

/// Trims white space around a value but keeps control characters (tab,
/// newline...), so [`check_printable`] sees and refuses them.
pub fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() && !c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_character_is_refused_and_shown_escaped() {
        for (c, text) in [
            ('\0', "\\u{0}"),
            ('\n', "\\u{a}"),
            ('\u{1b}', "\\u{1b}"),
            ('\u{7f}', "\\u{7f}"),
            ('\u{80}', "\\u{80}"),
            ('\u{9f}', "\\u{9f}"),
        ] {
            let e = check_printable(&format!("kib{c}ana")).unwrap_err();
            assert!(e.contains(text), "{e}");
            assert!(!e.contains(c), "the raw character leaked: {e:?}");
            assert_eq!(shown(&format!("a{c}")), format!("a{text}"));
        }
        for ok in ["kibana", "Kibana Client (ops)", "Ünïcödé ✓", "a\u{a0}b"] {
            assert!(check_printable(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        assert_eq!(shown(&"a".repeat(48)), "a".repeat(48));
        assert_eq!(shown(&"a".repeat(49)), format!("{}…", "a".repeat(48)));
    }

    #[test]
    fn trim_keeps_control_characters() {
        assert_eq!(trim("  kibana \u{a0}"), "kibana");
        assert_eq!(trim(" kibana\n"), "kibana\n");
        assert_eq!(trim("\tkibana"), "\tkibana");
    }
}
