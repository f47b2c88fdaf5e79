//! `elasticsearch.yml` and `kibana.yml`, read and edited the way a careful
//! operator would: find a setting however it is written, change exactly the
//! settings asked for, keep every other byte.
//!
//! Invariants of every [`YamlFile`] and every [`Changes`] it produces:
//! - a file with a duplicate setting (in any mix of flat, nested and partly
//!   nested forms), a tab in its indentation or invalid YAML is refused with
//!   the file, the line and what to fix, and nothing is written;
//! - an edit changes only the lines of the settings it names (or the esmtls
//!   managed block); comments, blank lines, order, indentation, quoting, line
//!   endings, the final newline (or its absence) and a UTF-8 BOM are kept;
//! - each edited text is parsed again and compared, as flattened dotted keys,
//!   with the original plus the intended change; a mismatch is an error, never
//!   a write; applying the same edits twice gives the same bytes.
//!
//! Why the editor is written here: no crate keeps a hand-kept config file
//! intact. `serde_yaml_ng`, `serde_norway`, `yaml_serde` and `saphyr` lose
//! every comment and some quoting on a round trip (crate-notes §7). The
//! lossless `yaml-edit` 0.3 keeps comments but turned a flow list into a
//! block list, indents inserted and replaced sequences differently and treats
//! dotted keys as paths, while Elasticsearch and Kibana treat `a.b: x` and
//! `a: {b: x}` as the same setting — something no YAML crate knows. So the
//! text is edited line by line (`doc`/`syntax` find positions, `edit`/`list` change
//! them), and `serde_yaml_ng` — the maintained successor of the deprecated
//! `serde_yaml`, with libyaml's strict parser and duplicate-key detection —
//! validates the input, decodes values and checks every result.

mod diff;
pub(crate) use diff::is_secret_key;
mod doc;
mod edit;
pub mod env;
mod error;
mod list;
mod syntax;
mod validate;
mod value;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml_ng::Value as Y;

pub use diff::Changes;
pub use edit::{Edit, MANAGED_BEGIN, MANAGED_END};
pub use error::YamlError;
pub use validate::{Finding, Severity, Target, validate};
pub use value::{SettingValue, Value};

use doc::{Lines, Scan};
use error::Problem;

/// How a setting is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// On one line from the root: `xpack.security.enabled: true`.
    Flat,
    /// One level per name part: `xpack:` / `security:` / `enabled: true`.
    Nested,
    /// A mix, like the auto-configuration block's `xpack.security.http.ssl:` map.
    PartlyNested,
    /// Inside a `{ ... }` flow mapping (read only).
    InFlowMapping,
}

/// A setting found in a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// The dotted name, e.g. `xpack.security.http.ssl.enabled`.
    pub key: String,
    /// The decoded value.
    pub value: SettingValue,
    /// The file it is in.
    pub path: PathBuf,
    /// The 1-based line of its key.
    pub line: usize,
    /// How it is written.
    pub form: Form,
}

/// A parsed YAML settings file that keeps its original text.
#[derive(Debug, Clone)]
pub struct YamlFile {
    path: PathBuf,
    text: String,
    lines: Lines,
    scan: Scan,
    tree: Y,
}

impl YamlFile {
    /// Reads and parses a file; refuses it as described in the module doc.
    pub fn read(path: &Path) -> Result<YamlFile, YamlError> {
        let bytes = std::fs::read(path).map_err(|e| YamlError::Read {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let text = String::from_utf8(bytes).map_err(|_| YamlError::NotUtf8 {
            path: path.to_path_buf(),
        })?;
        YamlFile::parse(path, &text)
    }

    /// Parses `text` as the content of `path` (which is only used in messages
    /// and when writing).
    pub fn parse(path: impl Into<PathBuf>, text: &str) -> Result<YamlFile, YamlError> {
        let path = path.into();
        let lines = Lines::split(text);
        doc::check_tabs(&lines.lines).map_err(|p| p.with_path(&path))?;
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        let tree = match serde_yaml_ng::from_str::<Y>(body) {
            Ok(t) => t,
            Err(e) => {
                // A duplicate key is better explained by the scan (both lines).
                if let Err(p @ Problem::Duplicate { .. }) = doc::scan(&lines.lines) {
                    return Err(p.with_path(&path));
                }
                if e.to_string().contains("more than one document") {
                    let second = lines
                        .lines
                        .iter()
                        .enumerate()
                        .skip(1)
                        .find(|(_, l)| l.text.starts_with("---"));
                    let line = second.map(|(i, _)| i + 1).unwrap_or(1);
                    return Err(YamlError::Unsupported {
                        path,
                        line,
                        what: "a second YAML document (`---`)".into(),
                    });
                }
                let (line, column) = e
                    .location()
                    .map(|l| (l.line(), l.column()))
                    .unwrap_or((1, 1));
                let message = e.to_string();
                let message = message
                    .split(" at line ")
                    .next()
                    .unwrap_or(&message)
                    .to_string();
                return Err(YamlError::Invalid {
                    path,
                    line,
                    column,
                    message,
                });
            }
        };
        if !matches!(tree, Y::Mapping(_) | Y::Null) {
            return Err(YamlError::Unsupported {
                path,
                line: 1,
                what: "a file whose top level is not a mapping".into(),
            });
        }
        let scan = doc::scan(&lines.lines).map_err(|p| p.with_path(&path))?;
        let file = YamlFile {
            path,
            text: text.to_string(),
            lines,
            scan,
            tree,
        };
        file.check_unique().map_err(|p| p.with_path(&file.path))?;
        Ok(file)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The original text, byte for byte (BOM included).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The setting `key`, however it is written.
    pub fn get(&self, key: &str) -> Option<Setting> {
        self.settings().into_iter().find(|s| s.key == key)
    }

    /// Every setting, in file order, as dotted keys.
    pub fn settings(&self) -> Vec<Setting> {
        let mut out = Vec::new();
        for (_, n) in self.scan.leaves() {
            let v = self.value_at(&n.chain);
            let form = match v {
                Some(Y::Mapping(m)) if !m.is_empty() => {
                    let mut flat = BTreeMap::new();
                    value::flatten_into(&n.key, &Y::Mapping(m.clone()), &mut flat);
                    for (key, value) in flat {
                        out.push(Setting {
                            key,
                            value,
                            path: self.path.clone(),
                            line: n.line + 1,
                            form: Form::InFlowMapping,
                        });
                    }
                    continue;
                }
                _ if n.chain.len() == 1 => Form::Flat,
                _ if n.chain.iter().all(|c| !c.contains('.')) => Form::Nested,
                _ => Form::PartlyNested,
            };
            let value = v.map(SettingValue::from_yaml).unwrap_or(SettingValue::Null);
            out.push(Setting {
                key: n.key.clone(),
                value,
                path: self.path.clone(),
                line: n.line + 1,
                form,
            });
        }
        out
    }

    /// The whole file as flattened dotted keys (what Elasticsearch and Kibana see).
    pub fn flatten(&self) -> BTreeMap<String, SettingValue> {
        let mut out = BTreeMap::new();
        value::flatten_into("", &self.tree, &mut out);
        out
    }

    /// The value in the parsed tree at a chain of literal keys.
    fn value_at(&self, chain: &[String]) -> Option<&Y> {
        let mut v = &self.tree;
        for k in chain {
            v = match v {
                Y::Mapping(m) => m
                    .iter()
                    .find(|(key, _)| value::key_text(key) == *k)
                    .map(|(_, v)| v)?,
                _ => return None,
            };
        }
        Some(v)
    }

    /// No setting twice, and no setting that is both a value and a parent,
    /// across every form (flow mappings expanded).
    fn check_unique(&self) -> Result<(), Problem> {
        let mut keys: Vec<(String, usize)> = Vec::new();
        for (_, n) in self.scan.leaves() {
            match self.value_at(&n.chain) {
                Some(v @ Y::Mapping(m)) if !m.is_empty() => {
                    let mut flat = BTreeMap::new();
                    value::flatten_into(&n.key, v, &mut flat);
                    keys.extend(flat.into_keys().map(|k| (k, n.line)));
                }
                _ => keys.push((n.key.clone(), n.line)),
            }
        }
        for (i, (a, la)) in keys.iter().enumerate() {
            for (b, lb) in &keys[i + 1..] {
                if a == b {
                    return Err(Problem::Duplicate {
                        key: b.clone(),
                        first: *la,
                        line: *lb,
                    });
                }
                let (short, long, ls, ll) = if a.len() < b.len() {
                    (a, b, la, lb)
                } else {
                    (b, a, lb, la)
                };
                if long.starts_with(short.as_str())
                    && long.as_bytes().get(short.len()) == Some(&b'.')
                {
                    return Err(Problem::Conflict {
                        key: long.clone(),
                        line: *ll,
                        other: short.clone(),
                        other_line: *ls,
                    });
                }
            }
        }
        Ok(())
    }
}

/// Reads `path` and applies `edits`: the [`Changes`] to review and write.
pub fn edit_file(path: &Path, edits: &[Edit]) -> Result<Changes, YamlError> {
    YamlFile::read(path)?.apply(edits)
}

#[cfg(test)]
mod tests;
