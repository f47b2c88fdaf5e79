//! Values: what esmtls writes ([`Value`]), what it reads ([`SettingValue`]),
//! and how a value is spelled in YAML.
//!
//! Reading goes through `serde_yaml_ng` (a maintained fork of the deprecated
//! `serde_yaml`, libyaml-based like the parsers Elastic's users test with), so
//! decoding is never re-implemented here. Writing quotes a string only when a
//! YAML reader could take it for something else: the real parser is asked
//! what the plain spelling would mean, and the YAML 1.1 words (`yes`, `on`,
//! ...) that SnakeYAML-era readers still treat as booleans are added to that.

use std::collections::BTreeMap;

use serde_yaml_ng::Value as Y;

use super::doc::Style;

/// A value esmtls sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string (quoted in the file only if YAML needs it).
    Str(String),
    /// A list of strings.
    List(Vec<String>),
}

impl Value {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    /// True when a setting already holding `current` needs no change.
    pub fn matches(&self, current: &SettingValue) -> bool {
        match (self, current) {
            (Value::Bool(a), SettingValue::Bool(b)) => a == b,
            (Value::Int(a), SettingValue::Number(b)) => b.parse::<i64>().ok() == Some(*a),
            (Value::Str(a), SettingValue::String(b)) => a == b,
            (Value::List(a), SettingValue::List(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|(x, y)| y.as_text() == Some(x.as_str()))
            }
            _ => false,
        }
    }
}

/// A value as read from a file.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingValue {
    /// Nothing after the colon, `null` or `~`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number, as written.
    Number(String),
    /// A string.
    String(String),
    /// A list.
    List(Vec<SettingValue>),
    /// Anything else (a mapping inside a list, a tagged value), as YAML text.
    Other(String),
}

impl SettingValue {
    /// The value as text when it is a scalar (strings, numbers, booleans).
    pub fn as_text(&self) -> Option<&str> {
        match self {
            SettingValue::String(s) | SettingValue::Number(s) => Some(s),
            SettingValue::Bool(true) => Some("true"),
            SettingValue::Bool(false) => Some("false"),
            _ => None,
        }
    }

    /// The items as text when the value is a list, or the value alone.
    pub fn as_list(&self) -> Vec<String> {
        match self {
            SettingValue::List(items) => items
                .iter()
                .filter_map(|v| v.as_text().map(String::from))
                .collect(),
            other => other
                .as_text()
                .map(|s| vec![s.to_string()])
                .unwrap_or_default(),
        }
    }

    pub(crate) fn from_yaml(v: &Y) -> SettingValue {
        match v {
            Y::Null => SettingValue::Null,
            Y::Bool(b) => SettingValue::Bool(*b),
            Y::Number(n) => SettingValue::Number(n.to_string()),
            Y::String(s) => SettingValue::String(s.clone()),
            Y::Sequence(items) => {
                SettingValue::List(items.iter().map(SettingValue::from_yaml).collect())
            }
            other => SettingValue::Other(
                serde_yaml_ng::to_string(other)
                    .unwrap_or_default()
                    .trim_end()
                    .to_string(),
            ),
        }
    }
}

/// Text of a mapping key (non-string keys as YAML writes them).
pub(crate) fn key_text(k: &Y) -> String {
    match k {
        Y::String(s) => s.clone(),
        Y::Bool(b) => b.to_string(),
        Y::Number(n) => n.to_string(),
        Y::Null => "null".into(),
        other => serde_yaml_ng::to_string(other)
            .unwrap_or_default()
            .trim_end()
            .to_string(),
    }
}

/// Flattens a parsed document into dotted keys, the way Elasticsearch and
/// Kibana read nested settings. A non-empty mapping is descended into.
pub(crate) fn flatten_into(prefix: &str, v: &Y, out: &mut BTreeMap<String, SettingValue>) {
    match v {
        Y::Mapping(m) if !m.is_empty() => {
            for (k, child) in m {
                let k = key_text(k);
                let key = if prefix.is_empty() {
                    k
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_into(&key, child, out);
            }
        }
        Y::Tagged(t) => flatten_into(prefix, &t.value, out),
        other if !prefix.is_empty() => {
            out.insert(prefix.to_string(), SettingValue::from_yaml(other));
        }
        _ => {}
    }
}

/// Where a value is written: in a block (`key: v`) or inside `[ ... ]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ctx {
    Block,
    Flow,
}

const YAML11_WORDS: &[&str] = &[
    "y", "yes", "n", "no", "on", "off", "true", "false", "null", "~", "<<", "=",
];

/// True when `s` written plain would not read back as the same string.
pub(crate) fn needs_quotes(s: &str, ctx: Ctx) -> bool {
    let Some(first) = s.chars().next() else {
        return true;
    };
    if s.trim() != s || s.chars().any(|c| c.is_control()) {
        return true;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return true;
    }
    // `#` and `\` are legal inside a plain scalar, but operators (and some
    // tools) misread them; Windows paths and URLs with fragments get quotes.
    if s.contains(": ") || s.ends_with(':') || s.contains('#') || s.contains('\\') {
        return true;
    }
    if ctx == Ctx::Flow && s.contains([',', '[', ']', '{', '}', ':']) {
        return true;
    }
    if YAML11_WORDS.contains(&s.to_ascii_lowercase().as_str()) {
        return true;
    }
    // YAML 1.1 sexagesimal numbers (`1:20`) and octal-looking integers.
    if s.contains(':')
        && s.chars()
            .all(|c| c.is_ascii_digit() || c == ':' || c == '_' || c == '.')
    {
        return true;
    }
    !matches!(serde_yaml_ng::from_str::<Y>(s), Ok(Y::String(ref back)) if back == s)
}

/// Spells a string, keeping `prefer` when it is a quoting style that can hold it.
pub(crate) fn render_str(s: &str, ctx: Ctx, prefer: Style) -> String {
    let single_ok = !s.chars().any(|c| c.is_control());
    match prefer {
        Style::Double => double(s),
        Style::Single if single_ok => format!("'{}'", s.replace('\'', "''")),
        _ if !needs_quotes(s, ctx) => s.to_string(),
        _ if single_ok => format!("'{}'", s.replace('\'', "''")),
        _ => double(s),
    }
}

fn double(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Spells a whole value for a key line; `flow_space` writes `[ a, b ]`.
pub(crate) fn render(v: &Value, prefer: Style, flow_space: bool) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Str(s) => render_str(s, Ctx::Block, prefer),
        Value::List(items) => {
            let inner: Vec<String> = items
                .iter()
                .map(|i| render_str(i, Ctx::Flow, prefer))
                .collect();
            if inner.is_empty() {
                "[]".into()
            } else if flow_space {
                format!("[ {} ]", inner.join(", "))
            } else {
                format!("[{}]", inner.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn back(spelled: &str) -> Y {
        serde_yaml_ng::from_str::<Y>(&format!("k: {spelled}")).unwrap()["k"].clone()
    }

    #[test]
    fn quotes_only_when_needed() {
        for s in [
            "certs/http.p12",
            "https://es01:9200",
            "kibana_system",
            "/etc/kibana/ca.crt",
            "0.0.0.0",
        ] {
            assert_eq!(render_str(s, Ctx::Block, Style::Plain), s);
        }
        for s in [
            "true",
            "Yes",
            "off",
            "null",
            "~",
            "123",
            "1.5",
            "0x1F",
            "1:20",
            "",
            " a",
            "a: b",
            "C:\\es\\certs",
            "p#1",
            "-x",
            "[a]",
            "'q'",
            "@x",
            "*a",
        ] {
            let r = render_str(s, Ctx::Block, Style::Plain);
            assert_ne!(r, s, "{s} should be quoted");
            assert_eq!(back(&r), Y::String(s.to_string()), "{s} -> {r}");
        }
    }

    #[test]
    fn flow_items_quote_separators() {
        let r = render(
            &Value::List(vec!["https://a:9200".into(), "b,c".into(), "d".into()]),
            Style::Plain,
            false,
        );
        let v = back(&r);
        assert_eq!(
            v,
            serde_yaml_ng::from_str::<Y>("['https://a:9200', 'b,c', d]").unwrap()
        );
    }

    #[test]
    fn keeps_double_style_and_escapes() {
        let r = render_str("a\"b\\c\nd", Ctx::Block, Style::Double);
        assert_eq!(back(&r), Y::String("a\"b\\c\nd".into()));
        assert_eq!(render_str("it's", Ctx::Block, Style::Single), "'it''s'");
    }
}
