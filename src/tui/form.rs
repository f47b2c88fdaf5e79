//! The steps' forms: which answers each step asks for, how a field reads its
//! value from [`Answers`] and writes it back, and how a validation error maps
//! to the field it belongs to.
//!
//! Invariant: the form holds text only; [`apply`] is the one place it becomes
//! answers, and [`Answers::validate`] is the one judge of a value — the same
//! check `esmtls apply` runs on an answers file.

use std::path::{Path, PathBuf};

use esmtls::plan::{Answers, AnswersError, Mode};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A field's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text.
    Text,
    /// One of these values (the answers-file spellings).
    Choice(&'static [&'static str]),
}

/// One field of a step's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The dotted answers key.
    pub key: &'static str,
    /// The label.
    pub label: &'static str,
    /// Text or choice.
    pub kind: Kind,
    /// A hint shown when the value is empty.
    pub hint: &'static str,
}

const fn text(key: &'static str, label: &'static str, hint: &'static str) -> Field {
    Field {
        key,
        label,
        kind: Kind::Text,
        hint,
    }
}

const fn choice(key: &'static str, label: &'static str, v: &'static [&'static str]) -> Field {
    Field {
        key,
        label,
        kind: Kind::Choice(v),
        hint: "",
    }
}

const KEY_TYPES: &[&str] = &["rsa2048", "rsa3072", "rsa4096", "ec-p256", "ec-p384"];

/// The fields of step `n` (0..=9) for `mode`.
pub fn fields(n: u8, mode: Mode) -> Vec<Field> {
    let cert = mode.client_cert();
    match n {
        0 => vec![
            text("kibana.hosts", "ES URLs for Kibana", "from kibana.yml"),
            choice(
                "server_certificate.generate",
                "Issue ES HTTP cert",
                &["auto", "yes", "no"],
            ),
        ],
        1 if cert => vec![
            choice(
                "ca.source",
                "CA source",
                &["auto", "elasticsearch", "new", "file"],
            ),
            text("ca.cert", "CA file (source file)", "PEM, DER or .p12"),
            text("ca.key", "CA key (source file)", "if not in the file"),
            text("client_certificate.name", "Subject (CN or DN)", ""),
            text("client_certificate.dns", "DNS SANs (a, b)", "none"),
            text("client_certificate.ip", "IP SANs (a, b)", "none"),
            text("client_certificate.days", "Validity (days)", ""),
            choice("client_certificate.key_type", "Key type", KEY_TYPES),
            choice(
                "client_certificate.format",
                "Output format",
                &["p12", "pem"],
            ),
        ],
        3 if mode == Mode::Pki => vec![
            text("pki.realm", "PKI realm name", ""),
            text("pki.native_realm", "Native realm name", ""),
        ],
        6 if mode == Mode::Pki => vec![text("pki.role_mapping", "Role mapping name", "")],
        6 if matches!(mode, Mode::Token | Mode::MtlsToken) => {
            vec![text("service_token.name", "Service token name", "")]
        }
        _ => Vec::new(),
    }
}

fn word<T: Serialize>(v: &T) -> String {
    serde_yaml_ng::to_string(v)
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn parse<T: DeserializeOwned>(s: &str, allowed: &str) -> Result<T, String> {
    serde_yaml_ng::from_str(s.trim()).map_err(|_| format!("`{s}` is not one of {allowed}"))
}

fn list(s: &str) -> Vec<String> {
    s.split([',', ' '])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect()
}

fn path(p: &Option<PathBuf>) -> String {
    p.as_deref()
        .map(Path::display)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

fn opt_path(s: &str) -> Option<PathBuf> {
    let s = s.trim();
    (!s.is_empty()).then(|| PathBuf::from(s))
}

/// The current value of `key` in `a`, as the field shows it.
pub fn get(a: &Answers, key: &str) -> String {
    let c = &a.client_certificate;
    match key {
        "kibana.hosts" => a.kibana.hosts.join(", "),
        "server_certificate.generate" => word(&a.server_certificate.generate),
        "ca.source" => word(&a.ca.source),
        "ca.cert" => path(&a.ca.cert),
        "ca.key" => path(&a.ca.key),
        "client_certificate.name" => c.name.clone(),
        "client_certificate.dns" => c.dns.join(", "),
        "client_certificate.ip" => {
            c.ip.iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }
        "client_certificate.days" => c.days.to_string(),
        "client_certificate.key_type" => word(&c.key_type),
        "client_certificate.format" => word(&c.format),
        "pki.realm" => a.pki.realm.clone(),
        "pki.native_realm" => a.pki.native_realm.clone(),
        "pki.role_mapping" => a.pki.role_mapping.clone(),
        "service_token.name" => a.service_token.name.clone(),
        _ => String::new(),
    }
}

/// Writes `value` into `a` under `key`; an error is a value that does not
/// even parse (a number, an IP address, a choice).
pub fn set(a: &mut Answers, key: &str, value: &str) -> Result<(), String> {
    let c = &mut a.client_certificate;
    match key {
        "kibana.hosts" => a.kibana.hosts = list(value),
        "server_certificate.generate" => {
            a.server_certificate.generate = parse(value, "auto, yes, no")?
        }
        "ca.source" => a.ca.source = parse(value, "auto, elasticsearch, new, file")?,
        "ca.cert" => a.ca.cert = opt_path(value),
        "ca.key" => a.ca.key = opt_path(value),
        "client_certificate.name" => c.name = value.trim().to_string(),
        "client_certificate.dns" => c.dns = list(value),
        "client_certificate.ip" => {
            c.ip = list(value)
                .iter()
                .map(|s| s.parse().map_err(|_| format!("`{s}` is not an IP address")))
                .collect::<Result<_, _>>()?
        }
        "client_certificate.days" => {
            c.days = value
                .trim()
                .parse()
                .map_err(|_| format!("`{value}` is not a number of days"))?
        }
        "client_certificate.key_type" => c.key_type = parse(value, &KEY_TYPES.join(", "))?,
        "client_certificate.format" => c.format = parse(value, "p12, pem")?,
        "pki.realm" => a.pki.realm = value.trim().to_string(),
        "pki.native_realm" => a.pki.native_realm = value.trim().to_string(),
        "pki.role_mapping" => a.pki.role_mapping = value.trim().to_string(),
        "service_token.name" => a.service_token.name = value.trim().to_string(),
        _ => {}
    }
    Ok(())
}

/// Writes the form's `values` for `fields` into a copy of `a` and validates
/// it. On error: the index of the field at fault (None when the fault is in
/// another step's answer) and the message.
pub fn apply(
    a: &Answers,
    fields: &[Field],
    values: &[String],
) -> Result<Answers, (Option<usize>, String)> {
    let mut next = a.clone();
    for (i, (f, v)) in fields.iter().zip(values).enumerate() {
        set(&mut next, f.key, v).map_err(|m| (Some(i), m))?;
    }
    match next.validate(Path::new("<wizard>")) {
        Ok(()) => Ok(next),
        Err(AnswersError::Invalid { key, message, .. }) => {
            let base = key.split('[').next().unwrap_or(&key).to_string();
            let at = fields.iter().position(|f| f.key == base);
            let at = at.or_else(|| {
                (base == "ca.source")
                    .then(|| fields.iter().position(|f| f.key == "ca.cert"))
                    .flatten()
            });
            Err((at, message))
        }
        Err(e) => Err((None, e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_round_trips_its_default() {
        let a = Answers::new(Mode::Pki);
        for n in 0..=9 {
            let f = fields(n, Mode::Pki);
            let v: Vec<String> = f.iter().map(|f| get(&a, f.key)).collect();
            assert_eq!(apply(&a, &f, &v).unwrap(), a, "step {n}");
            for f in &f {
                if let Kind::Choice(c) = f.kind {
                    assert!(c.contains(&get(&a, f.key).as_str()), "{}", f.key);
                }
            }
        }
    }

    #[test]
    fn errors_point_at_the_field() {
        let a = Answers::new(Mode::Pki);
        let f = fields(1, Mode::Pki);
        let mut v: Vec<String> = f.iter().map(|f| get(&a, f.key)).collect();
        v[6] = "ten".into();
        assert_eq!(apply(&a, &f, &v).unwrap_err().0, Some(6));
        v[6] = "0".into();
        let (at, msg) = apply(&a, &f, &v).unwrap_err();
        assert_eq!(at, Some(6), "{msg}");
        v[6] = "365".into();
        v[0] = "file".into();
        assert_eq!(apply(&a, &f, &v).unwrap_err().0, Some(1));
        let f0 = fields(0, Mode::Pki);
        let (at, msg) = apply(&a, &f0, &["http://es:9200".into(), "auto".into()]).unwrap_err();
        assert_eq!(at, Some(0));
        assert!(msg.contains("https"), "{msg}");
    }
}
