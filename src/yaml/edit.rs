//! Edits: set, remove, and one-item list changes, made on the text.
//!
//! Invariants: an edit touches only the line(s) of the setting it names, the
//! lines of parent keys it empties, or the esmtls managed block; a setting
//! that is already as asked is not touched at all (so a second run is
//! byte-identical). New settings go, flat, into one block between
//! [`MANAGED_BEGIN`] and [`MANAGED_END`] (the same idea as Elasticsearch's own
//! security auto-configuration block) so later runs edit that same block.
//! A removal leaves a one-line comment saying esmtls removed the setting and
//! why. After each edit the text is parsed again and checked against the
//! intended change (see `verify`).

use std::collections::BTreeMap;

use super::doc::{self, Kind, Line, Lines, Node, Style, is_trivia};
use super::value::{Ctx, SettingValue, Value, render, render_str};
use super::{Changes, YamlError, YamlFile};

/// First line of the esmtls managed block.
pub const MANAGED_BEGIN: &str =
    "# ---------------------- BEGIN ESMTLS MANAGED SETTINGS ----------------------";
/// Last line of the esmtls managed block.
pub const MANAGED_END: &str =
    "# ----------------------- END ESMTLS MANAGED SETTINGS -----------------------";
const MANAGED_NOTE: [&str; 2] = [
    "# Written by esmtls (TLS between Kibana and Elasticsearch). Later esmtls runs",
    "# edit the settings in this block; the settings elsewhere are edited in place.",
];

/// One change to a settings file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Edit {
    /// Set `key` to `value`: in place if it is set, else in the managed block.
    Set {
        /// Dotted setting name.
        key: String,
        /// New value.
        value: Value,
    },
    /// Remove `key` (and every setting under it), leaving a comment with `reason`.
    Remove {
        /// Dotted setting name.
        key: String,
        /// Why, for the comment left in its place.
        reason: String,
    },
    /// Add `item` to the list `key` unless it is there (a scalar becomes a list).
    ListAdd {
        /// Dotted setting name.
        key: String,
        /// The item.
        item: String,
    },
    /// Remove `item` from the list `key`; the last item removes the setting.
    ListRemove {
        /// Dotted setting name.
        key: String,
        /// The item.
        item: String,
        /// Why, for the comment if the setting goes.
        reason: String,
    },
}

impl Edit {
    /// [`Edit::Set`].
    pub fn set(key: &str, value: Value) -> Edit {
        Edit::Set {
            key: key.into(),
            value,
        }
    }
    /// [`Edit::Remove`].
    pub fn remove(key: &str, reason: &str) -> Edit {
        Edit::Remove {
            key: key.into(),
            reason: reason.into(),
        }
    }
    /// [`Edit::ListAdd`].
    pub fn list_add(key: &str, item: &str) -> Edit {
        Edit::ListAdd {
            key: key.into(),
            item: item.into(),
        }
    }
    /// [`Edit::ListRemove`].
    pub fn list_remove(key: &str, item: &str, reason: &str) -> Edit {
        Edit::ListRemove {
            key: key.into(),
            item: item.into(),
            reason: reason.into(),
        }
    }
    /// The setting the edit is about.
    pub fn key(&self) -> &str {
        match self {
            Edit::Set { key, .. }
            | Edit::Remove { key, .. }
            | Edit::ListAdd { key, .. }
            | Edit::ListRemove { key, .. } => key,
        }
    }
}

impl YamlFile {
    /// Applies `edits` in order; returns the original and the new text.
    pub fn apply(&self, edits: &[Edit]) -> Result<Changes, YamlError> {
        let mut cur = self.clone();
        for e in edits {
            cur = cur.apply_one(e)?;
        }
        Ok(Changes::new(self.path.clone(), self.text.clone(), cur.text))
    }

    fn apply_one(&self, e: &Edit) -> Result<YamlFile, YamlError> {
        check_key(e.key())?;
        let lines = match e {
            Edit::Set { key, value } => self.set(key, value)?,
            Edit::Remove { key, reason } => return self.remove_all(key, reason),
            Edit::ListAdd { key, item } => self.list_add(key, item)?,
            Edit::ListRemove { key, item, reason } => self.list_remove(key, item, reason)?,
        };
        let Some(lines) = lines else {
            return Ok(self.clone());
        };
        let next = self.reparse(&lines)?;
        self.verify(&next, e)?;
        Ok(next)
    }

    fn reparse(&self, lines: &Lines) -> Result<YamlFile, YamlError> {
        YamlFile::parse(self.path.clone(), &lines.join())
            .map_err(|err| self.internal(format!("the result does not parse: {err}")))
    }

    fn internal(&self, message: String) -> YamlError {
        YamlError::Internal {
            path: self.path.clone(),
            message,
        }
    }

    /// The new file must be the old one plus exactly the intended change.
    fn verify(&self, next: &YamlFile, e: &Edit) -> Result<(), YamlError> {
        let mut want = self.flatten();
        let got = next.flatten();
        let key = e.key();
        want.retain(|k, _| k != key && !k.starts_with(&format!("{key}.")));
        let mut got_rest: BTreeMap<_, _> = got.clone();
        got_rest.retain(|k, _| k != key && !k.starts_with(&format!("{key}.")));
        if want != got_rest {
            return Err(self.internal(format!("settings other than {key} changed")));
        }
        let now = got.get(key);
        let before = self
            .flatten()
            .get(key)
            .map(|v| v.as_list())
            .unwrap_or_default();
        let ok = match e {
            Edit::Set { value, .. } => now.is_some_and(|v| value.matches(v)),
            Edit::Remove { .. } => now.is_none(),
            Edit::ListAdd { item, .. } => now.is_some_and(|v| {
                v.as_list().contains(item) && before.iter().all(|b| v.as_list().contains(b))
            }),
            Edit::ListRemove { item, .. } => now.is_none_or(|v| {
                let mut rest = before.clone();
                rest.retain(|b| b != item);
                v.as_list() == rest
            }),
        };
        if ok {
            Ok(())
        } else {
            Err(self.internal(format!("{key} does not read back as intended")))
        }
    }

    fn node(&self, i: usize) -> &Node {
        &self.scan.nodes[i]
    }

    pub(super) fn current(&self, n: &Node) -> SettingValue {
        self.value_at(&n.chain)
            .map(SettingValue::from_yaml)
            .unwrap_or(SettingValue::Null)
    }

    /// Refuses a key that would be both a value and a parent of settings.
    pub(super) fn check_room(&self, key: &str) -> Result<(), YamlError> {
        for (_, n) in self.scan.leaves() {
            let blocks =
                n.key.starts_with(&format!("{key}.")) || key.starts_with(&format!("{}.", n.key));
            if !blocks {
                continue;
            }
            if matches!(
                self.value_at(&n.chain),
                Some(serde_yaml_ng::Value::Mapping(_))
            ) {
                return Err(YamlError::Unsupported {
                    path: self.path.clone(),
                    line: n.line + 1,
                    what: format!("{key} inside a `{{ ... }}` flow mapping"),
                });
            }
            return Err(YamlError::Blocked {
                path: self.path.clone(),
                key: key.into(),
                other: n.key.clone(),
                line: n.line + 1,
            });
        }
        Ok(())
    }

    fn set(&self, key: &str, value: &Value) -> Result<Option<Lines>, YamlError> {
        self.check_room(key)?;
        match self.scan.leaf(key) {
            Some((i, _)) => self.set_in_place(i, value),
            None => self.insert_managed(key, value).map(Some),
        }
    }

    pub(super) fn set_in_place(&self, i: usize, value: &Value) -> Result<Option<Lines>, YamlError> {
        let n = self.node(i);
        if value.matches(&self.current(n)) {
            return Ok(None);
        }
        let mut out = self.lines.clone();
        let t = &self.lines.lines[n.line].text;
        match &n.kind {
            Kind::Scalar(sp) => splice(
                &mut out,
                n.line,
                sp.start,
                sp.end,
                &render(value, sp.style, false),
            ),
            Kind::Null => splice(
                &mut out,
                n.line,
                n.key_end,
                n.key_end,
                &format!(" {}", render(value, Style::Plain, false)),
            ),
            Kind::Flow { open, close, items } => {
                let style = items.first().map(|s| s.style).unwrap_or(Style::Plain);
                let spaced = t.as_bytes().get(open + 1) == Some(&b' ');
                splice(
                    &mut out,
                    n.line,
                    *open,
                    close + 1,
                    &render(value, style, spaced),
                );
            }
            Kind::Block {
                items,
                simple,
                indent,
                dash_gap,
            } => match value {
                Value::List(new)
                    if !new.is_empty() && *simple && self.keeps_prefix(n, items, new).is_some() =>
                {
                    // Keep the lines (and same-line comments) of items that stay.
                    let (drop, at) = self.keeps_prefix(n, items, new).unwrap_or_default();
                    let kept = items.len() - drop.len();
                    let style = items[0].style;
                    let fresh: Vec<String> = new[kept..]
                        .iter()
                        .map(|v| {
                            format!(
                                "{}-{dash_gap}{}",
                                " ".repeat(*indent),
                                render_str(v, Ctx::Block, style)
                            )
                        })
                        .collect();
                    out = rebuild(&out, &drop, &[], at, fresh);
                }
                Value::List(new) if !new.is_empty() && *simple => {
                    let style = items.first().map(|s| s.style).unwrap_or(Style::Plain);
                    let at = items.first().map(|s| s.line).unwrap_or(n.line + 1);
                    let fresh: Vec<String> = new
                        .iter()
                        .map(|v| {
                            format!(
                                "{}-{dash_gap}{}",
                                " ".repeat(*indent),
                                render_str(v, Ctx::Block, style)
                            )
                        })
                        .collect();
                    let drop: Vec<usize> = items.iter().map(|s| s.line).collect();
                    out = rebuild(&out, &drop, &[], at, fresh);
                }
                _ => {
                    let drop = content_lines(&self.lines.lines, n.line + 1, n.end);
                    splice(
                        &mut out,
                        n.line,
                        n.key_end,
                        n.key_end,
                        &format!(" {}", render(value, Style::Plain, false)),
                    );
                    out = rebuild(&out, &drop, &[], usize::MAX, Vec::new());
                }
            },
            Kind::Opaque { value_start } => {
                let end = if n.end == n.line + 1 {
                    doc::value_end(t, *value_start)
                } else {
                    t.len()
                };
                splice(
                    &mut out,
                    n.line,
                    *value_start,
                    end,
                    &render(value, Style::Plain, false),
                );
                let drop = content_lines(&self.lines.lines, n.line + 1, n.end);
                out = rebuild(&out, &drop, &[], usize::MAX, Vec::new());
            }
            Kind::Map => return Err(self.internal(format!("{} is a mapping", n.key))),
        }
        Ok(Some(out))
    }

    /// When the items of block list `n` that are in `new` are, in order, a
    /// prefix of `new`: the lines of the other items and where to add the rest.
    fn keeps_prefix(
        &self,
        n: &Node,
        items: &[doc::Span],
        new: &[String],
    ) -> Option<(Vec<usize>, usize)> {
        let cur = self.current(n).as_list();
        if cur.len() != items.len() {
            return None;
        }
        let kept: Vec<usize> = (0..items.len())
            .filter(|&i| new.contains(&cur[i]))
            .collect();
        let last = *kept.last()?;
        if kept
            .iter()
            .map(|&i| &cur[i])
            .ne(new.iter().take(kept.len()))
        {
            return None;
        }
        let drop = (0..items.len())
            .filter(|i| !kept.contains(i))
            .map(|i| items[i].line)
            .collect();
        Some((drop, items[last].line + 1))
    }

    /// Adds `key: value` inside the managed block, creating it at the end.
    pub(super) fn insert_managed(&self, key: &str, value: &Value) -> Result<Lines, YamlError> {
        let lines = &self.lines.lines;
        let find = |m: &str| lines.iter().position(|l| l.text.trim_end() == m);
        let entry = format!(
            "{}{key}: {}",
            " ".repeat(self.scan.root_indent),
            render(value, Style::Plain, false)
        );
        match (find(MANAGED_BEGIN), find(MANAGED_END)) {
            (Some(b), Some(e)) if b < e => Ok(rebuild(&self.lines, &[], &[], e, vec![entry])),
            (Some(b), _) => Err(YamlError::BrokenBlock {
                path: self.path.clone(),
                line: b + 1,
                missing: "END",
            }),
            (None, Some(e)) => Err(YamlError::BrokenBlock {
                path: self.path.clone(),
                line: e + 1,
                missing: "BEGIN",
            }),
            (None, None) => {
                let mut block = Vec::new();
                if lines.last().is_some_and(|l| !l.text.trim().is_empty()) {
                    block.push(String::new());
                }
                block.push(MANAGED_BEGIN.to_string());
                block.extend(MANAGED_NOTE.iter().map(|s| s.to_string()));
                block.push(entry);
                block.push(MANAGED_END.to_string());
                Ok(rebuild(&self.lines, &[], &[], lines.len(), block))
            }
        }
    }

    /// Removes every setting at or under `key`, one at a time.
    fn remove_all(&self, key: &str, reason: &str) -> Result<YamlFile, YamlError> {
        let mut cur = self.clone();
        loop {
            let target = cur
                .scan
                .leaves()
                .find(|(_, n)| n.key == key || n.key.starts_with(&format!("{key}.")))
                .map(|(i, _)| i);
            let Some(i) = target else {
                cur.check_room_for_remove(key)?;
                return Ok(cur);
            };
            let next = cur.reparse(&cur.remove_node(i, key, reason))?;
            cur.verify(&next, &Edit::remove(&cur.node(i).key.clone(), reason))?;
            cur = next;
        }
    }

    fn check_room_for_remove(&self, key: &str) -> Result<(), YamlError> {
        if self.flatten().contains_key(key) {
            self.check_room(key)
        } else {
            Ok(())
        }
    }

    /// Deletes node `i`'s lines (and parents it empties), leaving a comment.
    pub(super) fn remove_node(&self, i: usize, key: &str, reason: &str) -> Lines {
        let n = self.node(i);
        let mut drop = content_lines(&self.lines.lines, n.line, n.end);
        let mut top = i;
        while let Some(p) = self.node(top).parent {
            if self.scan.has_other_children(p, &[i]) {
                break;
            }
            drop.push(self.node(p).line);
            top = p;
        }
        let t = self.node(top);
        let reason = reason.replace(['\r', '\n'], " ");
        let what = if n.key == key {
            n.key.clone()
        } else {
            format!("{} (under {key})", n.key)
        };
        let comment = format!("{}# esmtls removed {what}: {reason}", " ".repeat(t.indent));
        rebuild(
            &self.lines,
            &drop,
            &[(t.line, comment)],
            usize::MAX,
            Vec::new(),
        )
    }
}

/// Setting names esmtls writes: plain YAML keys, dotted.
fn check_key(key: &str) -> Result<(), YamlError> {
    let bad = |why| {
        Err(YamlError::BadKey {
            key: key.into(),
            why,
        })
    };
    if key.is_empty() || key.split('.').any(str::is_empty) {
        return bad("empty name part");
    }
    if !key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        || key.starts_with('-')
    {
        return bad("only letters, digits, `_`, `-`, `/` and dots are allowed");
    }
    Ok(())
}

/// Content (non-blank, non-comment) line indices in `from..to`.
pub(super) fn content_lines(lines: &[Line], from: usize, to: usize) -> Vec<usize> {
    (from..to.min(lines.len()))
        .filter(|&i| !is_trivia(&lines[i].text))
        .collect()
}

/// Replaces bytes `start..end` of line `line`.
pub(super) fn splice(out: &mut Lines, line: usize, start: usize, end: usize, with: &str) {
    let t = &mut out.lines[line].text;
    t.replace_range(start..end, with);
}

/// Copies `src` without the `drop` lines, with `replace`d texts, and with
/// `insert` added before line `at` (`at == len` appends). Line endings stay
/// with their lines; added lines take the file's ending, and a file without
/// a final newline still ends without one.
pub(super) fn rebuild(
    src: &Lines,
    drop: &[usize],
    replace: &[(usize, String)],
    at: usize,
    insert: Vec<String>,
) -> Lines {
    let mut out = Vec::new();
    let n = src.lines.len();
    let new = |text: String| Line { text, eol: src.eol };
    for (i, l) in src.lines.iter().enumerate() {
        if i == at {
            out.extend(insert.iter().cloned().map(new));
        }
        if let Some((_, text)) = replace.iter().find(|(r, _)| *r == i) {
            out.push(Line {
                text: text.clone(),
                eol: l.eol,
            });
        } else if !drop.contains(&i) {
            out.push(l.clone());
        }
    }
    if at == n {
        out.extend(insert.into_iter().map(new));
    }
    // Keep "no newline at the end of the file" true at the new last line.
    let had_final_newline = src.lines.last().is_none_or(|l| !l.eol.is_empty());
    if let Some(pos) = out.iter().rposition(|l| l.eol.is_empty()) {
        out[pos].eol = src.eol;
    }
    if !had_final_newline && let Some(last) = out.last_mut() {
        last.eol = "";
    }
    Lines {
        bom: src.bom,
        lines: out,
        eol: src.eol,
    }
}
