//! Token-level reading of one line of YAML: keys, quoted scalars, where a
//! value ends before a comment, and the items of a one-line `[ ... ]` list.
//!
//! Invariants: positions are byte indices into the line; a quote opens a
//! quoted scalar only where a scalar may start (so `it's` stays plain); any
//! shape these helpers do not recognise yields `None`, and the caller treats
//! the value as opaque or refuses the file — never guesses.

use super::doc::{Span, Style};

pub(crate) fn indent_of(s: &str) -> usize {
    s.len() - s.trim_start_matches(' ').len()
}

/// True for lines that carry no content: blank, or a comment.
pub(crate) fn is_trivia(s: &str) -> bool {
    let t = s.trim_start_matches([' ', '\t']);
    t.is_empty() || t.starts_with('#')
}

/// Parses `key:` at `pos` of `s`: returns (decoded key, index after colon).
pub(crate) fn parse_key(s: &str, pos: usize) -> Option<(String, usize)> {
    let rest = &s[pos..];
    let b = rest.as_bytes();
    let (key, after) = match b.first()? {
        b'"' | b'\'' => {
            let (val, len) = quoted_len(rest)?;
            (val, pos + len)
        }
        _ => {
            let mut i = 0;
            loop {
                let c = *b.get(i)?;
                if c == b':' && matches!(b.get(i + 1), None | Some(b' ' | b'\t')) {
                    break;
                }
                if c == b'#' && i > 0 && matches!(b[i - 1], b' ' | b'\t') {
                    return None;
                }
                i += 1;
            }
            (rest[..i].trim_end().to_string(), pos + i)
        }
    };
    let tail = &s[after..];
    let skipped = tail.len() - tail.trim_start_matches([' ', '\t']).len();
    let colon = after + skipped;
    if s.as_bytes().get(colon) != Some(&b':') {
        return None;
    }
    if !matches!(s.as_bytes().get(colon + 1), None | Some(b' ' | b'\t')) {
        return None;
    }
    Some((key, colon + 1))
}

/// Length of a quoted scalar at the start of `s` and its decoded text.
pub(crate) fn quoted_len(s: &str) -> Option<(String, usize)> {
    let q = s.chars().next()?;
    let mut out = String::new();
    let mut it = s.char_indices().skip(1).peekable();
    while let Some((i, c)) = it.next() {
        if q == '\'' && c == '\'' {
            if matches!(it.peek(), Some((_, '\''))) {
                it.next();
                out.push('\'');
                continue;
            }
            return Some((out, i + 1));
        }
        if q == '"' && c == '\\' {
            match it.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, e)) => out.push(e),
                None => return None,
            }
            continue;
        }
        if q == '"' && c == '"' {
            return Some((out, i + 1));
        }
        out.push(c);
    }
    None
}

/// End of a one-line value starting at `start`: before a ` #` comment and
/// trailing blanks. Quotes are skipped so a `#` inside them is not a comment.
pub(crate) fn value_end(s: &str, start: usize) -> usize {
    let b = s.as_bytes();
    let mut i = start;
    let mut end = start;
    while i < b.len() {
        match b[i] {
            b'"' | b'\'' if i == start || matches!(b[i - 1], b'[' | b',' | b' ' | b'{') => {
                match quoted_len(&s[i..]) {
                    Some((_, len)) => {
                        i += len;
                        end = i;
                        continue;
                    }
                    None => return s.len(),
                }
            }
            b'#' if i > start && matches!(b[i - 1], b' ' | b'\t') => break,
            b' ' | b'\t' => {}
            _ => end = i + 1,
        }
        i += 1;
    }
    end
}

pub(crate) fn style_of(s: &str) -> Style {
    match s.as_bytes().first() {
        Some(b'\'') => Style::Single,
        Some(b'"') => Style::Double,
        _ => Style::Plain,
    }
}

/// Splits `[a, "b"]` (brackets at `open`/`close`) into item spans; `None` if
/// an item is itself a collection.
pub(crate) fn flow_items(s: &str, line: usize, open: usize, close: usize) -> Option<Vec<Span>> {
    let mut items = Vec::new();
    let mut i = open + 1;
    let b = s.as_bytes();
    while i < close {
        while i < close && b[i] == b' ' {
            i += 1;
        }
        if i >= close {
            break;
        }
        let start = i;
        if matches!(b[i], b'"' | b'\'') {
            i += quoted_len(&s[i..])?.1;
        } else if matches!(b[i], b'[' | b'{') {
            return None;
        } else {
            while i < close && b[i] != b',' {
                i += 1;
            }
        }
        let end = start + s[start..i].trim_end().len();
        items.push(Span {
            line,
            start,
            end,
            style: style_of(&s[start..]),
        });
        while i < close && b[i] == b' ' {
            i += 1;
        }
        if i < close && b[i] == b',' {
            i += 1;
        } else if i < close {
            return None;
        }
    }
    Some(items)
}

/// Index of the `]` closing the `[` at `open`, on the same line.
pub(crate) fn flow_close(s: &str, open: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            // A quote opens a quoted scalar only where a scalar starts.
            b'"' | b'\'' if i > open && matches!(b[i - 1], b'[' | b',' | b' ' | b'{' | b':') => {
                i += quoted_len(&s[i..])?.1;
                continue;
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}
