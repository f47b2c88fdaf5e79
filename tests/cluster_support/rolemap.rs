//! Role mappings: the rules of API role mappings, the DN-to-roles file of a
//! PKI realm, and the DN comparison both rely on.
//!
//! Modelled on elastic/elasticsearch
//! * `x-pack/plugin/core/.../authc/support/UserRoleMapper.java` — the user's
//!   model has `username`, `dn`, `groups`, `metadata.<key>` and `realm.name`;
//!   `dn` and `groups` compare as distinguished names (case-insensitive,
//!   spacing ignored, `*,dc=example,dc=com` matches a subtree), other fields
//!   as values;
//! * `.../mapper/expressiondsl/FieldExpression.java` and `ExpressionModel` —
//!   a rule is `{"field": {name: value-or-values}}`, `{"all": [...]}`,
//!   `{"any": [...]}` or `{"except": rule}`; a string value with `*` or `?`
//!   is a wildcard pattern (a `/regex/` is not modelled);
//! * `x-pack/plugin/security/.../authc/support/DnRoleMapper.java` — the file is
//!   read as settings (`role: ["DN", ...]` or `role: "DN"`), every DN
//!   normalised; a missing or unreadable file maps nothing; an invalid DN is
//!   skipped;
//! * `NativeRoleMappingStore` — only mappings with `enabled: true` apply.
//!
//! DN normalisation imitates UnboundID's `DN.toNormalizedString()`:
//! attribute names and values lower-cased, blanks around separators dropped,
//! the AVAs of a multi-valued RDN sorted.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value as Json};

use super::settings::Settings;

/// What a role mapping rule sees of an authenticated user.
pub struct Model {
    pub username: String,
    pub dn: Option<String>,
    pub groups: Vec<String>,
    pub metadata: Map<String, Json>,
    pub realm: String,
}

/// DN (normalised) → roles, from a realm's `role_mapping.yml`.
#[derive(Clone, Debug, Default)]
pub struct DnRoles(BTreeMap<String, Vec<String>>);

impl DnRoles {
    /// Reads the file leniently, as `DnRoleMapper.parseFileLenient` does.
    pub fn load(path: &Path) -> DnRoles {
        let Ok(settings) = Settings::load(path) else {
            return DnRoles::default();
        };
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for role in settings
            .keys_under("")
            .map(str::to_string)
            .collect::<Vec<_>>()
        {
            for dn in settings.list(&role).unwrap_or_default() {
                if let Some(n) = normalize_dn(&dn) {
                    let roles = map.entry(n).or_default();
                    if !roles.contains(&role) {
                        roles.push(role.clone());
                    }
                }
            }
        }
        DnRoles(map)
    }

    /// The roles mapped to the user's DN.
    pub fn roles_for(&self, dn: &str) -> Vec<String> {
        normalize_dn(dn)
            .and_then(|n| self.0.get(&n).cloned())
            .unwrap_or_default()
    }
}

/// The roles of the enabled `mappings` whose rules match `model`.
pub fn api_roles(mappings: &BTreeMap<String, Json>, model: &Model) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for m in mappings.values() {
        if m["enabled"] != Json::Bool(true) || !rule_matches(&m["rules"], model)? {
            continue;
        }
        for r in m["roles"].as_array().into_iter().flatten() {
            if let Some(r) = r.as_str().filter(|r| !out.iter().any(|o: &String| o == r)) {
                out.push(r.to_string());
            }
        }
    }
    Ok(out)
}

/// Evaluates one rule expression.
pub fn rule_matches(rule: &Json, m: &Model) -> Result<bool, String> {
    let obj = rule
        .as_object()
        .filter(|o| o.len() == 1)
        .ok_or_else(|| format!("a rule is an object with one key: {rule}"))?;
    let (kind, body) = obj.iter().next().expect("one key");
    match kind.as_str() {
        "all" => {
            for r in list(body)? {
                if !rule_matches(r, m)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        "any" => {
            for r in list(body)? {
                if rule_matches(r, m)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        "except" => Ok(!rule_matches(body, m)?),
        "field" => {
            let f = body
                .as_object()
                .filter(|o| o.len() == 1)
                .ok_or_else(|| format!("a field rule names one field: {body}"))?;
            let (name, wanted) = f.iter().next().expect("one field");
            let wanted: Vec<&Json> = match wanted {
                Json::Array(a) => a.iter().collect(),
                v => vec![v],
            };
            for w in wanted {
                if field_matches(name, w, m)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        other => Err(format!("unknown rule type [{other}]")),
    }
}

fn list(v: &Json) -> Result<&Vec<Json>, String> {
    v.as_array()
        .ok_or_else(|| format!("expected a list of rules: {v}"))
}

fn field_matches(name: &str, wanted: &Json, m: &Model) -> Result<bool, String> {
    match name {
        "dn" => match &m.dn {
            Some(dn) => dn_matches(dn, wanted),
            None => Ok(wanted.is_null()),
        },
        "groups" => {
            for g in &m.groups {
                if dn_matches(g, wanted)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        "username" => value_matches(&Json::String(m.username.clone()), wanted),
        "realm.name" => value_matches(&Json::String(m.realm.clone()), wanted),
        _ => match name
            .strip_prefix("metadata.")
            .and_then(|k| m.metadata.get(k))
        {
            Some(v) => value_matches(v, wanted),
            None => Ok(wanted.is_null()),
        },
    }
}

/// `ExpressionModel`'s default predicate.
fn value_matches(have: &Json, wanted: &Json) -> Result<bool, String> {
    match (have, wanted) {
        (Json::Array(items), _) => {
            for i in items {
                if value_matches(i, wanted)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        (Json::String(h), Json::String(w)) => match pattern(w)? {
            Some(p) => Ok(glob(&p, h)),
            None => Ok(h == w),
        },
        (Json::Number(h), Json::Number(w)) => Ok(h.as_f64() == w.as_f64()),
        (h, w) => Ok(h == w),
    }
}

/// `UserRoleMapper.DistinguishedNamePredicate.test`.
fn dn_matches(have: &str, wanted: &Json) -> Result<bool, String> {
    let Json::String(w) = wanted else {
        return Ok(false);
    };
    let normalized = normalize_dn(have);
    if let Some(p) = pattern(w)? {
        let tries = [
            Some(have.to_string()),
            normalized.clone(),
            Some(have.to_lowercase()),
            Some(have.to_uppercase()),
        ];
        if tries.iter().flatten().any(|t| glob(&p, t)) {
            return Ok(true);
        }
        let Some(n) = normalized else {
            return Ok(false);
        };
        // "*,dc=example,dc=com" is a subtree match when the rest has no wildcard.
        return Ok(match w.strip_prefix("*,") {
            Some(suffix) if !suffix.contains('*') => normalize_dn(suffix)
                .is_some_and(|s| n.ends_with(&format!(",{s}")) || (s.is_empty() && !n.is_empty())),
            _ => false,
        });
    }
    if w.eq_ignore_ascii_case(have) {
        return Ok(true);
    }
    let Some(n) = normalized else {
        return Ok(false);
    };
    Ok(match normalize_dn(w) {
        Some(wn) => n == wn,
        None => w.eq_ignore_ascii_case(&n),
    })
}

/// The wildcard pattern of a field value, `None` for a plain value.
fn pattern(v: &str) -> Result<Option<Vec<char>>, String> {
    if v.len() > 1 && v.starts_with('/') && v.ends_with('/') {
        return Err(format!("the fake cluster does not model regex rules ({v})"));
    }
    Ok((v.contains('*') || v.contains('?')).then(|| v.chars().collect()))
}

/// `*` any run, `?` one character.
fn glob(p: &[char], s: &str) -> bool {
    let s: Vec<char> = s.chars().collect();
    let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// A DN in UnboundID's normalised form; `None` when it does not parse.
pub fn normalize_dn(dn: &str) -> Option<String> {
    if dn.trim().is_empty() {
        return Some(String::new());
    }
    let mut rdns = Vec::new();
    for rdn in split_unescaped(dn, &[',', ';']) {
        let mut avas = Vec::new();
        for ava in split_unescaped(&rdn, &['+']) {
            let (k, v) = ava.split_once('=')?;
            let k = k.trim().to_lowercase();
            if k.is_empty() {
                return None;
            }
            avas.push(format!(
                "{k}={}",
                escape(&unescape(v.trim()).to_lowercase())
            ));
        }
        avas.sort();
        rdns.push(avas.join("+"));
    }
    Some(rdns.join(","))
}

/// Splits at separators outside quotes and not escaped with `\`.
fn split_unescaped(s: &str, seps: &[char]) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut esc) = (Vec::new(), String::new(), false, false);
    for c in s.chars() {
        if esc {
            cur.push(c);
            esc = false;
        } else if c == '\\' {
            cur.push(c);
            esc = true;
        } else if c == '"' {
            quoted = !quoted;
            cur.push(c);
        } else if seps.contains(&c) && !quoted {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

fn unescape(v: &str) -> String {
    let v = v
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(v);
    let (mut out, mut chars) = (String::new(), v.chars().peekable());
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn escape(v: &str) -> String {
    v.chars()
        .flat_map(|c| {
            let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=');
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}
