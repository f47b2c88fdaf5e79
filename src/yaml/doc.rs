//! The text model: lines with their own endings, and a scan of the block
//! structure that tells where every setting is written.
//!
//! Invariants: [`Lines::join`] of [`Lines::split`] gives back the input byte
//! for byte (BOM, CRLF or LF per line, final newline or not). The scan only
//! records positions; values are decoded by the real parser (`serde_yaml_ng`)
//! in `value.rs`, so a quoting or escaping corner case can never make the
//! editor and the reader disagree about what a value *is*. Anything the scan
//! cannot follow exactly (anchors, aliases, tags, complex keys, a root that is
//! not a mapping) is refused rather than guessed.

use std::collections::HashMap;

use super::error::Problem;
use super::syntax::{flow_close, flow_items, style_of};
pub(crate) use super::syntax::{indent_of, is_trivia, parse_key, value_end};

/// One line of the file, without its line ending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub text: String,
    /// "\n", "\r\n" or "" (last line without a newline).
    pub eol: &'static str,
}

/// The file as lines, plus what must be put back around them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lines {
    pub bom: bool,
    pub lines: Vec<Line>,
    /// The ending used for lines esmtls adds: the file's first one.
    pub eol: &'static str,
}

impl Lines {
    pub fn split(text: &str) -> Lines {
        let (bom, body) = match text.strip_prefix('\u{feff}') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let mut lines = Vec::new();
        let mut rest = body;
        while !rest.is_empty() {
            match rest.find('\n') {
                Some(i) => {
                    let raw = &rest[..i];
                    let (t, eol) = match raw.strip_suffix('\r') {
                        Some(t) => (t, "\r\n"),
                        None => (raw, "\n"),
                    };
                    lines.push(Line {
                        text: t.to_string(),
                        eol,
                    });
                    rest = &rest[i + 1..];
                }
                None => {
                    lines.push(Line {
                        text: rest.to_string(),
                        eol: "",
                    });
                    rest = "";
                }
            }
        }
        let eol = lines
            .iter()
            .map(|l| l.eol)
            .find(|e| !e.is_empty())
            .unwrap_or("\n");
        Lines { bom, lines, eol }
    }

    pub fn join(&self) -> String {
        let mut out = String::new();
        if self.bom {
            out.push('\u{feff}');
        }
        for l in &self.lines {
            out.push_str(&l.text);
            out.push_str(l.eol);
        }
        out
    }
}

/// How a value is written on its key line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    Single,
    Double,
}

/// One scalar written on one line: byte range and quoting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Span {
    pub line: usize,
    pub start: usize,
    pub end: usize,
    pub style: Style,
}

/// What follows a key's colon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A block mapping: children follow, more indented.
    Map,
    /// Nothing at all (a YAML null); the value would go at `key_end`.
    Null,
    /// A scalar on the key line.
    Scalar(Span),
    /// `[a, b]` on the key line; `open`/`close` are the bracket positions.
    Flow {
        open: usize,
        close: usize,
        items: Vec<Span>,
    },
    /// `- a` lines. `simple` is false when an item is not a one-line scalar.
    Block {
        items: Vec<Span>,
        simple: bool,
        indent: usize,
        dash_gap: String,
    },
    /// Written over several lines or in a form esmtls only reads (flow map,
    /// block scalar, multi-line flow): replaced whole when set.
    Opaque { value_start: usize },
}

/// A key line found by the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Node {
    /// Full dotted key, e.g. `xpack.security.http.ssl.enabled`.
    pub key: String,
    /// The literal keys from the root down to this one (for the real parser's tree).
    pub chain: Vec<String>,
    pub line: usize,
    pub indent: usize,
    /// Byte index just after the colon.
    pub key_end: usize,
    /// Lines `line..end` belong to this node (children, items, continuations).
    pub end: usize,
    pub parent: Option<usize>,
    pub kind: Kind,
}

/// The scan of one file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scan {
    pub nodes: Vec<Node>,
    /// Indentation of the root mapping (0 almost always).
    pub root_indent: usize,
}

impl Scan {
    /// Leaf settings (everything but block mappings).
    pub fn leaves(&self) -> impl Iterator<Item = (usize, &Node)> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.kind != Kind::Map)
    }

    pub fn leaf(&self, key: &str) -> Option<(usize, &Node)> {
        self.leaves().find(|(_, n)| n.key == key)
    }

    /// Leaf children of a mapping node, direct or not.
    pub fn has_other_children(&self, parent: usize, except: &[usize]) -> bool {
        self.nodes.iter().enumerate().any(|(i, n)| {
            !except.contains(&i) && n.kind != Kind::Map && self.is_ancestor(parent, i)
        })
    }

    pub fn is_ancestor(&self, anc: usize, mut i: usize) -> bool {
        while let Some(p) = self.nodes[i].parent {
            if p == anc {
                return true;
            }
            i = p;
        }
        false
    }
}

struct Scanner<'a> {
    lines: &'a [Line],
    nodes: Vec<Node>,
}

impl Scanner<'_> {
    fn text(&self, i: usize) -> &str {
        &self.lines[i].text
    }

    /// First content line at or after `i`.
    fn next_content(&self, mut i: usize) -> usize {
        while i < self.lines.len() && is_trivia(self.text(i)) {
            i += 1;
        }
        i
    }

    /// End (exclusive) of the lines more indented than `indent` from `i` on,
    /// stopping before trailing trivia.
    fn deeper_end(&self, from: usize, indent: usize, block_scalar: bool) -> usize {
        let mut end = from;
        let mut i = from;
        while i < self.lines.len() {
            let t = self.text(i);
            let blank = t.trim().is_empty();
            if block_scalar && blank {
                i += 1;
                continue;
            }
            if !block_scalar && is_trivia(t) {
                i += 1;
                continue;
            }
            if indent_of(t) <= indent {
                break;
            }
            i += 1;
            end = i;
        }
        end
    }

    fn mapping(
        &mut self,
        start: usize,
        indent: usize,
        parent: Option<usize>,
    ) -> Result<usize, Problem> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut i = self.next_content(start);
        while i < self.lines.len() {
            let t = self.text(i).to_string();
            let ind = indent_of(&t);
            if ind < indent {
                return Ok(i);
            }
            if ind > indent {
                return Err(Problem::unsupported(
                    i,
                    "an indentation esmtls cannot follow here",
                ));
            }
            if t[ind..].starts_with("- ") || &t[ind..] == "-" {
                return Err(Problem::unsupported(
                    i,
                    "a list item where a setting was expected",
                ));
            }
            if t[ind..].starts_with("? ") || t[ind..].starts_with("<<") {
                return Err(Problem::unsupported(
                    i,
                    "a complex or merge key (`?`, `<<`)",
                ));
            }
            let (lit, key_end) = parse_key(&t, ind)
                .ok_or_else(|| Problem::unsupported(i, "a line that is not `key: value`"))?;
            if let Some(&first) = seen.get(&lit) {
                return Err(Problem::Duplicate {
                    key: self.full_key(parent, &lit),
                    first,
                    line: i,
                });
            }
            seen.insert(lit.clone(), i);
            let idx = self.push(parent, lit, i, ind, key_end);
            i = self.value(idx, &t)?;
            i = self.next_content(i);
        }
        Ok(i)
    }

    fn full_key(&self, parent: Option<usize>, lit: &str) -> String {
        match parent {
            Some(p) => format!("{}.{lit}", self.nodes[p].key),
            None => lit.to_string(),
        }
    }

    fn push(
        &mut self,
        parent: Option<usize>,
        lit: String,
        line: usize,
        indent: usize,
        key_end: usize,
    ) -> usize {
        let key = self.full_key(parent, &lit);
        let mut chain = parent
            .map(|p| self.nodes[p].chain.clone())
            .unwrap_or_default();
        chain.push(lit);
        self.nodes.push(Node {
            key,
            chain,
            line,
            indent,
            key_end,
            end: line + 1,
            parent,
            kind: Kind::Null,
        });
        self.nodes.len() - 1
    }

    /// Classifies the value of node `idx` (key line text `t`); returns the line after it.
    fn value(&mut self, idx: usize, t: &str) -> Result<usize, Problem> {
        let (line, indent, key_end) = (
            self.nodes[idx].line,
            self.nodes[idx].indent,
            self.nodes[idx].key_end,
        );
        let rest = &t[key_end..];
        let vstart = key_end + (rest.len() - rest.trim_start_matches([' ', '\t']).len());
        let v = &t[vstart..];
        if v.is_empty() || v.starts_with('#') {
            let next = self.next_content(line + 1);
            if next < self.lines.len() {
                let nt = self.text(next);
                let nind = indent_of(nt);
                let dash = nt[nind..].starts_with("- ") || &nt[nind..] == "-";
                if dash && nind >= indent {
                    return self.block_list(idx, next, nind);
                }
                if nind > indent {
                    self.nodes[idx].kind = Kind::Map;
                    let end = self.mapping(next, nind, Some(idx))?;
                    let last = self.nodes.last().map(|n| n.end).unwrap_or(line + 1);
                    self.nodes[idx].end = last.max(line + 1);
                    return Ok(end);
                }
            }
            self.nodes[idx].kind = Kind::Null;
            return Ok(line + 1);
        }
        if v.starts_with(['&', '*', '!']) {
            return Err(Problem::unsupported(line, "a YAML anchor, alias or tag"));
        }
        let block_scalar = v.starts_with(['|', '>']);
        let cont = self.deeper_end(line + 1, indent, block_scalar);
        if cont > line + 1 || block_scalar || v.starts_with('{') {
            self.nodes[idx].kind = Kind::Opaque {
                value_start: vstart,
            };
            self.nodes[idx].end = cont.max(line + 1);
            return Ok(self.nodes[idx].end);
        }
        if v.starts_with('[') {
            let close = flow_close(t, vstart)
                .ok_or_else(|| Problem::unsupported(line, "an unterminated `[` list"))?;
            self.nodes[idx].kind = match flow_items(t, line, vstart, close) {
                Some(items) => Kind::Flow {
                    open: vstart,
                    close,
                    items,
                },
                None => Kind::Opaque {
                    value_start: vstart,
                },
            };
            return Ok(line + 1);
        }
        let end = value_end(t, vstart);
        self.nodes[idx].kind = Kind::Scalar(Span {
            line,
            start: vstart,
            end,
            style: style_of(v),
        });
        Ok(line + 1)
    }

    fn block_list(&mut self, idx: usize, first: usize, ind: usize) -> Result<usize, Problem> {
        let mut items = Vec::new();
        let mut simple = true;
        let mut dash_gap = " ".to_string();
        let mut i = first;
        let mut end = first;
        loop {
            i = self.next_content(i);
            if i >= self.lines.len() {
                break;
            }
            let t = self.text(i);
            let tind = indent_of(t);
            if tind != ind || !(t[ind..].starts_with("- ") || &t[ind..] == "-") {
                break;
            }
            let after = &t[ind + 1..];
            let gap = after.len() - after.trim_start_matches(' ').len();
            let start = ind + 1 + gap;
            dash_gap = " ".repeat(gap.max(1));
            let v = &t[start..];
            let cont = self.deeper_end(i + 1, ind, false);
            let vend = value_end(t, start);
            let mappingish = parse_key(t, start).is_some();
            if v.is_empty()
                || cont > i + 1
                || v.starts_with(['[', '{', '|', '>', '-', '&', '*', '!'])
                || mappingish
            {
                simple = false;
            } else {
                items.push(Span {
                    line: i,
                    start,
                    end: vend,
                    style: style_of(v),
                });
            }
            end = cont.max(i + 1);
            i = end;
        }
        let node = &mut self.nodes[idx];
        node.kind = Kind::Block {
            items,
            simple,
            indent: ind,
            dash_gap,
        };
        node.end = end;
        Ok(end)
    }
}

/// Refuses a tab in the indentation of a content line (YAML forbids it, and
/// the parser's own message for it is cryptic).
pub(crate) fn check_tabs(lines: &[Line]) -> Result<(), Problem> {
    for (i, l) in lines.iter().enumerate() {
        let lead = &l.text[..l.text.len() - l.text.trim_start_matches([' ', '\t']).len()];
        if lead.contains('\t') && !is_trivia(&l.text) {
            return Err(Problem::Tab { line: i });
        }
    }
    Ok(())
}

/// Scans the block structure. `lines` must be valid YAML (checked before).
pub(crate) fn scan(lines: &[Line]) -> Result<Scan, Problem> {
    check_tabs(lines)?;
    let mut s = Scanner {
        lines,
        nodes: Vec::new(),
    };
    let mut start = s.next_content(0);
    if start < lines.len() && lines[start].text.starts_with("---") {
        if lines[start].text.trim_end() != "---" {
            return Err(Problem::unsupported(start, "content on the `---` line"));
        }
        start = s.next_content(start + 1);
    }
    let root_indent = lines.get(start).map(|l| indent_of(&l.text)).unwrap_or(0);
    let end = s.mapping(start, root_indent, None)?;
    let end = s.next_content(end);
    if end < lines.len() && lines[end].text.trim_end() != "..." {
        return Err(Problem::unsupported(
            end,
            "content esmtls cannot follow (a second document?)",
        ));
    }
    Ok(Scan {
        nodes: s.nodes,
        root_indent,
    })
}
