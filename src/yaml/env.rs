//! Environment references in setting values: `${VAR}` in both products'
//! yml files, `${VAR:default}` too, resolved the way each product does, so
//! esmtls reads a value as the product will see it, while every edit keeps
//! the reference as written (an edit never replaces a reference with its
//! value: [`has_refs`] tells the planner when to compare resolved values).
//!
//! The two products' rules differ:
//! - **Kibana** (elastic/kibana
//!   `src/platform/packages/shared/kbn-config/src/raw/utils.ts`,
//!   `replaceEnvVarRefs`, called on every string value by `read_config.ts`):
//!   the pattern `\$\{(\w+)(:(\w+))?\}`, so a name and a default are word
//!   characters only, nothing nests, and text that does not match (such as
//!   `${A-B}`) stays as it is; a variable that is unset (and has no default)
//!   is an error, "Unknown environment variable referenced in config : NAME".
//! - **Elasticsearch** (elastic/elasticsearch
//!   `server/src/main/java/org/elasticsearch/common/settings/PropertyPlaceholder.java`,
//!   used by `Settings.Builder.replacePropertyPlaceholders` with
//!   `System.getenv`): `${name}` and `${name:default}`, placeholders nest
//!   (in the name, the default, and a value that holds another placeholder),
//!   a circular reference is refused, and an unresolvable one is an error
//!   ("Could not resolve placeholder 'NAME'").

/// Which product's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// `kibana.yml`.
    Kibana,
    /// `elasticsearch.yml`.
    Elasticsearch,
}

impl Syntax {
    /// The rules of the file at `path` (`kibana.yml` → Kibana, else Elasticsearch).
    pub fn of(path: &std::path::Path) -> Syntax {
        let kibana = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("kibana"));
        if kibana {
            Syntax::Kibana
        } else {
            Syntax::Elasticsearch
        }
    }
}

/// Why a value cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvError {
    /// The variable is not set and the reference has no default.
    #[error("${{{0}}} refers to the environment variable {0}, which is not set here")]
    Missing(String),
    /// A variable's value refers back to itself (Elasticsearch only).
    #[error("${{{0}}} refers to itself through the environment (a circular reference)")]
    Circular(String),
    /// `${` without its `}` (Elasticsearch only; Kibana keeps such text as it is).
    #[error("`${{` has no closing `}}`")]
    Unclosed,
}

impl EnvError {
    /// The variable concerned, when there is one.
    pub fn variable(&self) -> Option<&str> {
        match self {
            EnvError::Missing(v) | EnvError::Circular(v) => Some(v),
            EnvError::Unclosed => None,
        }
    }
}

/// True when `s` holds a reference the product would substitute.
pub fn has_refs(s: &str, syntax: Syntax) -> bool {
    match syntax {
        Syntax::Kibana => kibana_refs(s).next().is_some(),
        Syntax::Elasticsearch => s.contains("${"),
    }
}

/// `s` with its references resolved from the process environment.
pub fn resolve_env(s: &str, syntax: Syntax) -> Result<String, EnvError> {
    resolve(s, syntax, &|n| std::env::var(n).ok())
}

/// `s` with its references resolved through `get`.
pub fn resolve(
    s: &str,
    syntax: Syntax,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<String, EnvError> {
    match syntax {
        Syntax::Kibana => kibana(s, get),
        Syntax::Elasticsearch => elasticsearch(s, get, &mut Vec::new()),
    }
}

/// One Kibana reference: its byte range, name and default.
struct KbRef<'a> {
    start: usize,
    end: usize,
    name: &'a str,
    default: Option<&'a str>,
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The matches of `\$\{(\w+)(:(\w+))?\}`, left to right, not overlapping.
fn kibana_refs(s: &str) -> impl Iterator<Item = KbRef<'_>> {
    let mut at = 0;
    std::iter::from_fn(move || {
        while let Some(off) = s[at..].find("${") {
            let start = at + off;
            let body_start = start + 2;
            let body = &s[body_start..];
            let name_len = body.find(|c: char| !is_word(c)).unwrap_or(body.len());
            let name = &body[..name_len];
            let rest = &body[name_len..];
            let (default, tail) = match rest.strip_prefix(':') {
                Some(d) => {
                    let n = d.find(|c: char| !is_word(c)).unwrap_or(d.len());
                    (Some(&d[..n]), &d[n..])
                }
                None => (None, rest),
            };
            let ok = !name.is_empty() && default.is_none_or(|d| !d.is_empty());
            if ok && tail.starts_with('}') {
                let end = s.len() - tail.len() + 1;
                at = end;
                return Some(KbRef {
                    start,
                    end,
                    name,
                    default,
                });
            }
            at = start + 1;
        }
        None
    })
}

fn kibana(s: &str, get: &dyn Fn(&str) -> Option<String>) -> Result<String, EnvError> {
    let mut out = String::new();
    let mut last = 0;
    for r in kibana_refs(s) {
        out.push_str(&s[last..r.start]);
        match (get(r.name), r.default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => return Err(EnvError::Missing(r.name.to_string())),
        }
        last = r.end;
    }
    out.push_str(&s[last..]);
    Ok(out)
}

/// `PropertyPlaceholder.parseStringValue`: nested placeholders, the first
/// `:` of a placeholder separates the default, the value found is parsed
/// again, `visiting` refuses circles.
fn elasticsearch(
    s: &str,
    get: &dyn Fn(&str) -> Option<String>,
    visiting: &mut Vec<String>,
) -> Result<String, EnvError> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = closing(after).ok_or(EnvError::Unclosed)?;
        let inner = elasticsearch(&after[..end], get, visiting)?;
        let (name, default) = match inner.split_once(':') {
            Some((n, d)) => (n.to_string(), Some(d.to_string())),
            None => (inner.clone(), None),
        };
        if visiting.contains(&inner) {
            return Err(EnvError::Circular(name));
        }
        let value = match (get(&name), default) {
            (Some(v), _) => v,
            (None, Some(d)) => d,
            (None, None) => return Err(EnvError::Missing(name)),
        };
        visiting.push(inner);
        let value = elasticsearch(&value, get, visiting);
        visiting.pop();
        out.push_str(&value?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The index of the `}` that closes a placeholder whose `${` came just before `s`.
fn closing(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && b.get(i + 1) == Some(&b'{') {
            depth += 1;
            i += 2;
            continue;
        }
        if b[i] == b'}' {
            if depth == 0 {
                return Some(i);
            }
            depth -= 1;
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(n: &str) -> Option<String> {
        match n {
            "IP_ADDR" => Some("10.0.0.5".into()),
            "ES_PORT" => Some("9200".into()),
            "SELF" => Some("${SELF}".into()),
            "INDIRECT" => Some("${IP_ADDR}".into()),
            _ => None,
        }
    }

    #[test]
    fn kibana_resolves_set_variables_and_defaults() {
        let r = |s| resolve(s, Syntax::Kibana, &env);
        assert_eq!(
            r("https://${IP_ADDR}:${ES_PORT}").unwrap(),
            "https://10.0.0.5:9200"
        );
        assert_eq!(r("${NOPE:9201}").unwrap(), "9201");
        assert_eq!(r("no refs").unwrap(), "no refs");
        // Not Kibana's pattern: kept as written.
        assert_eq!(r("${A-B}").unwrap(), "${A-B}");
        assert_eq!(r("${IP_ADDR").unwrap(), "${IP_ADDR");
        // Kibana does not parse a value again.
        assert_eq!(r("${INDIRECT}").unwrap(), "${IP_ADDR}");
        assert_eq!(r("${MISSING}"), Err(EnvError::Missing("MISSING".into())));
        assert!(has_refs("x${A}", Syntax::Kibana));
        assert!(!has_refs("x${A-B}", Syntax::Kibana));
    }

    #[test]
    fn elasticsearch_nests_and_refuses_circles() {
        let r = |s| resolve(s, Syntax::Elasticsearch, &env);
        assert_eq!(r("${IP_ADDR}:${ES_PORT}").unwrap(), "10.0.0.5:9200");
        assert_eq!(r("${NOPE:${ES_PORT}}").unwrap(), "9200");
        assert_eq!(r("${NOPE:a-b c}").unwrap(), "a-b c");
        assert_eq!(r("${INDIRECT}").unwrap(), "10.0.0.5");
        assert_eq!(r("${SELF}"), Err(EnvError::Circular("SELF".into())));
        assert_eq!(r("${MISSING}"), Err(EnvError::Missing("MISSING".into())));
        assert_eq!(r("${OPEN"), Err(EnvError::Unclosed));
    }

    #[test]
    fn the_file_name_chooses_the_rules() {
        use std::path::Path;
        assert_eq!(Syntax::of(Path::new("/k/kibana.yml")), Syntax::Kibana);
        assert_eq!(
            Syntax::of(Path::new("/e/elasticsearch.yml")),
            Syntax::Elasticsearch
        );
    }
}
