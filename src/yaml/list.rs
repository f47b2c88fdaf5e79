//! One-item list edits: add an item to, or remove one from, a list written
//! flow style (`[a, b]`), block style (`- a` lines) or as a single scalar.
//!
//! Invariants: an item already there (or already absent) changes nothing;
//! the other items keep their lines, quoting and same-line comments; removing
//! the last item removes the setting the way `Edit::Remove` does (Kibana
//! refuses an empty `certificateAuthorities`); lists whose items are not
//! one-line values are refused, not rewritten.

use super::doc::{Kind, Lines, Node, Style};
use super::edit::{rebuild, splice};
use super::value::{Ctx, Value, render, render_str};
use super::{YamlError, YamlFile};

impl YamlFile {
    pub(super) fn list_add(&self, key: &str, item: &str) -> Result<Option<Lines>, YamlError> {
        self.check_room(key)?;
        let Some((i, n)) = self.scan.leaf(key) else {
            return self
                .insert_managed(key, &Value::List(vec![item.into()]))
                .map(Some);
        };
        let cur = self.current(n);
        if cur.as_list().iter().any(|x| x == item) {
            return Ok(None);
        }
        let t = &self.lines.lines[n.line].text;
        let mut out = self.lines.clone();
        match &n.kind {
            Kind::Null => return self.set_in_place(i, &Value::List(vec![item.into()])),
            Kind::Scalar(_) => {
                let mut all = cur.as_list();
                all.push(item.into());
                return self.set_in_place(i, &Value::List(all));
            }
            Kind::Flow { open, close, items } => match items.last() {
                Some(last) => splice(
                    &mut out,
                    n.line,
                    last.end,
                    last.end,
                    &format!(", {}", render_str(item, Ctx::Flow, items[0].style)),
                ),
                None => {
                    let spaced = t.as_bytes().get(open + 1) == Some(&b' ');
                    splice(
                        &mut out,
                        n.line,
                        *open,
                        close + 1,
                        &render(&Value::List(vec![item.into()]), Style::Plain, spaced),
                    );
                }
            },
            Kind::Block {
                items,
                simple: true,
                indent,
                dash_gap,
            } if !items.is_empty() => {
                let last = &items[items.len() - 1];
                let line = format!(
                    "{}-{dash_gap}{}",
                    " ".repeat(*indent),
                    render_str(item, Ctx::Block, last.style)
                );
                out = rebuild(&out, &[], &[], last.line + 1, vec![line]);
            }
            _ => return Err(self.unsupported_list(n)),
        }
        Ok(Some(out))
    }

    fn unsupported_list(&self, n: &Node) -> YamlError {
        YamlError::Unsupported {
            path: self.path.clone(),
            line: n.line + 1,
            what: format!(
                "the list {} as written (items that are not one-line values)",
                n.key
            ),
        }
    }

    pub(super) fn list_remove(
        &self,
        key: &str,
        item: &str,
        reason: &str,
    ) -> Result<Option<Lines>, YamlError> {
        let Some((i, n)) = self.scan.leaf(key) else {
            return Ok(None);
        };
        let values = self.current(n).as_list();
        if !values.iter().any(|x| x == item) {
            return Ok(None);
        }
        if values.iter().all(|x| x == item) {
            return Ok(Some(self.remove_node(i, key, reason)));
        }
        let t = &self.lines.lines[n.line].text;
        let mut out = self.lines.clone();
        match &n.kind {
            Kind::Flow { open, close, items } if items.len() == values.len() => {
                let sep = if items.len() > 1 {
                    &t[items[0].end..items[1].start]
                } else {
                    ", "
                };
                let kept: Vec<&str> = items
                    .iter()
                    .zip(&values)
                    .filter(|(_, v)| *v != item)
                    .map(|(s, _)| &t[s.start..s.end])
                    .collect();
                let first = items.first().map(|s| s.start).unwrap_or(open + 1);
                let last = items.last().map(|s| s.end).unwrap_or(*close);
                splice(&mut out, n.line, first, last, &kept.join(sep));
            }
            Kind::Block {
                items,
                simple: true,
                ..
            } if items.len() == values.len() => {
                let drop: Vec<usize> = items
                    .iter()
                    .zip(&values)
                    .filter(|(_, v)| *v == item)
                    .map(|(s, _)| s.line)
                    .collect();
                out = rebuild(&out, &drop, &[], usize::MAX, Vec::new());
            }
            _ => return Err(self.unsupported_list(n)),
        }
        Ok(Some(out))
    }
}
