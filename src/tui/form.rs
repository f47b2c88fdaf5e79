//! The steps' forms: which answers each step asks for, how a field reads its
//! value from [`Answers`] and writes it back, and how a validation error maps
//! to the field it belongs to.
//!
//! Invariant: the form holds text only; [`apply`] is the one place it becomes
//! answers, and [`Answers::validate`] is the one judge of a value — the same
//! check `esmtls apply` runs on an answers file.

use std::path::{Path, PathBuf};

use esmtls::cluster::{Host, Topology};
use esmtls::plan::answers::CertFormat;
use esmtls::plan::{Answers, AnswersError, Credential, Mode, RealmOrder, Restart};

use super::reports::Restarts;
use super::strings as s;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A field's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text.
    Text,
    /// One of these values (the answers-file spellings).
    Choice(&'static [&'static str]),
    /// A secret typed without being shown (each character is a `•`); its
    /// value is kept outside the form (see `tui::admin`), never in `values`.
    Masked,
}

impl Kind {
    /// True when typing edits the field (text or masked).
    pub fn typed(self) -> bool {
        matches!(self, Kind::Text | Kind::Masked)
    }
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

/// Step 0's admin credential fields, asked when the environment has none
/// (their keys are not answers keys: [`set`] ignores them).
pub fn admin_fields() -> [Field; 2] {
    use super::admin::{PASSWORD_KEY, USER_KEY};
    [
        text(USER_KEY, s::ADMIN_USER, s::ADMIN_USER_HINT),
        Field {
            key: PASSWORD_KEY,
            label: s::ADMIN_PASSWORD,
            kind: Kind::Masked,
            hint: s::ADMIN_PASSWORD_HINT,
        },
    ]
}

const KEY_TYPES: &[&str] = &["rsa2048", "rsa3072", "rsa4096", "ec-p256", "ec-p384"];
/// `required` is refused with pki (see `Answers::validate`), so it is not offered.
const CLIENT_AUTH_PKI: &[&str] = &["auto", "optional"];
const CLIENT_AUTH_MTLS: &[&str] = &["auto", "required", "optional"];
const STORES: &[&str] = &["auto", "keyring", "file"];

/// Where esmtls keeps its CA's password: asked where the CA is chosen
/// (step 1 with a client certificate, else step 0, whose HTTP certificate
/// the CA signs).
const CA_PASSWORD: Field = choice("secrets.ca_password", "CA password kept in", STORES);

/// The fields of step `n` (0..=9) for `mode`.
pub fn fields(n: u8, mode: Mode) -> Vec<Field> {
    let mut f = step_fields(n, mode);
    if (n == 0 && !mode.client_cert()) || (n == 1 && mode.client_cert()) {
        let at = if n == 1 { 3 } else { 2 };
        f.insert(at, CA_PASSWORD);
    }
    f
}

fn step_fields(n: u8, mode: Mode) -> Vec<Field> {
    let cert = mode.client_cert();
    match n {
        0 => vec![
            text("kibana.hosts", "ES URLs for Kibana", "from kibana.yml"),
            choice(
                "server_certificate.generate",
                "Issue ES HTTP cert",
                &["auto", "yes", "no"],
            ),
            text(
                "topology.elasticsearch",
                "Cluster nodes",
                "none: this machine; es01=host[:port], …",
            ),
            text("topology.kibana", "Kibana hosts", "with nodes: kb01, kb02"),
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
            text("pki.order", "PKI realm order", "auto or a number"),
            text("pki.native_realm", "Native realm name", ""),
        ],
        4 if cert => vec![choice(
            "elasticsearch.client_authentication",
            "client_authentication",
            if mode == Mode::Pki {
                CLIENT_AUTH_PKI
            } else {
                CLIENT_AUTH_MTLS
            },
        )],
        5 => vec![text(
            "elasticsearch.restart",
            "Restart (auto/none/cmd)",
            "auto, none or a command",
        )],
        6 if mode == Mode::Pki => vec![text("pki.role_mapping", "Role mapping name", "")],
        6 if matches!(mode, Mode::Token | Mode::MtlsToken) => {
            vec![text("service_token.name", "Service token name", "")]
        }
        9 => vec![text(
            "kibana.restart",
            "Restart (auto/none/cmd)",
            "auto, none or a command",
        )],
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

/// The nodes as the field shows them: `name=address[:port]`.
fn nodes_text(t: &Topology) -> String {
    t.elasticsearch
        .iter()
        .map(|h| {
            let port = h.port.map(|p| format!(":{p}")).unwrap_or_default();
            let addr = h.address();
            if addr == h.name && port.is_empty() {
                h.name.clone()
            } else {
                format!("{}={addr}{port}", h.name)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `es01=es01.example.com:9200, es02=10.0.0.2` (a bare name is also its DNS name).
fn set_nodes(a: &mut Answers, value: &str) -> Result<(), String> {
    let mut nodes = Vec::new();
    for item in list(value) {
        let (name, addr) = item.split_once('=').unwrap_or((&item, &item));
        let (host, port) = esmtls::plan::answers::split_host_port(addr);
        let port = match port {
            Some(p) => Some(
                p.parse::<u16>()
                    .map_err(|_| format!("`{p}` is not a port"))?,
            ),
            None => None,
        };
        let host = host.trim_matches(['[', ']']);
        let ip = host.parse().ok();
        nodes.push(Host {
            name: name.to_string(),
            dns: if ip.is_none() {
                vec![host.to_string()]
            } else {
                Vec::new()
            },
            ip: ip.into_iter().collect(),
            config: None,
            port,
            version: None,
        });
    }
    let t = a.topology.get_or_insert_with(Topology::default);
    t.elasticsearch = nodes;
    drop_empty(a);
    Ok(())
}

fn set_kibanas(a: &mut Answers, value: &str) {
    let t = a.topology.get_or_insert_with(Topology::default);
    t.kibana = list(value)
        .into_iter()
        .map(|name| Host {
            name,
            dns: Vec::new(),
            ip: Vec::new(),
            config: None,
            port: None,
            version: None,
        })
        .collect();
    drop_empty(a);
}

/// Kibana's URLs, each checked where it is typed: the answers' URL rules,
/// and its host with the rules of a DNS SAN (it becomes one of the HTTP
/// certificate's), so `https://es_1..example:9200` is refused at the field.
fn urls(value: &str) -> Result<Vec<String>, String> {
    let v = list(value);
    for u in &v {
        esmtls::plan::answers::check_host_url(u)?;
        let host = esmtls::plan::answers::url_host(u);
        if host.parse::<std::net::IpAddr>().is_err() {
            esmtls::pki::build::check_dns_name(&host, "an https://IP:PORT URL")
                .map_err(|why| format!("`{u}`: {why}"))?;
        }
    }
    Ok(v)
}

/// No nodes and no Kibana listed: this machine, as before.
fn drop_empty(a: &mut Answers) {
    if a.topology
        .as_ref()
        .is_some_and(|t| t.elasticsearch.is_empty() && t.kibana.is_empty())
    {
        a.topology = None;
    }
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
        "pki.order" => a.pki.order.to_string(),
        "elasticsearch.client_authentication" => word(&a.elasticsearch.client_authentication),
        "elasticsearch.restart" => a.elasticsearch.restart.text(),
        "kibana.restart" => a.kibana.restart.text(),
        "secrets.ca_password" => a.secrets.ca_password.name().to_string(),
        "topology.elasticsearch" => a.topology.as_ref().map(nodes_text).unwrap_or_default(),
        "topology.kibana" => a
            .topology
            .as_ref()
            .map(|t| {
                t.kibana
                    .iter()
                    .map(|h| h.name.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// Writes `value` into `a` under `key`; an error is a value that does not
/// even parse (a number, an IP address, a choice).
pub fn set(a: &mut Answers, key: &str, value: &str) -> Result<(), String> {
    let c = &mut a.client_certificate;
    match key {
        "kibana.hosts" => a.kibana.hosts = urls(value)?,
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
        "pki.order" => a.pki.order = RealmOrder::parse(value)?,
        "elasticsearch.client_authentication" => {
            a.elasticsearch.client_authentication = parse(value, "auto, required, optional")?
        }
        "elasticsearch.restart" => a.elasticsearch.restart = Restart::parse(value)?,
        "kibana.restart" => a.kibana.restart = Restart::parse(value)?,
        "secrets.ca_password" => a.secrets.ca_password = parse(value, &STORES.join(", "))?,
        "topology.elasticsearch" => set_nodes(a, value)?,
        "topology.kibana" => set_kibanas(a, value),
        _ => {}
    }
    Ok(())
}

/// The answers as the form's current values would make them, for the
/// read-only lines (values that do not parse are left as they were).
pub fn preview(a: &Answers, fields: &[Field], values: &[String]) -> Answers {
    let mut next = a.clone();
    for (f, v) in fields.iter().zip(values) {
        let _ = set(&mut next, f.key, v);
    }
    next
}

/// Read-only lines of step `n`: what a choice means here, and where each
/// secret goes (names of keystore entries only, never a value).
pub fn info(n: u8, a: &Answers, restarts: &Restarts) -> Vec<(&'static str, String)> {
    let mode = a.mode;
    let cert = mode.client_cert();
    let t = |x: &str| x.to_string();
    let mut v = step_info(n, a, restarts);
    // Every `auto` says what it means here.
    if n == 0 {
        v.insert(0, (s::INFO_HTTP_AUTO, t(s::HTTP_CERT_AUTO)));
    }
    if n == 1 && cert {
        v.insert(0, (s::INFO_CA_AUTO, t(s::CA_SOURCE_AUTO)));
    }
    if (n == 0 && !cert) || (n == 1 && cert) {
        v.push((s::INFO_STORES, t(s::STORES_MEAN)));
    }
    v
}

fn step_info(n: u8, a: &Answers, restarts: &Restarts) -> Vec<(&'static str, String)> {
    let mode = a.mode;
    let cert = mode.client_cert();
    let t = |x: &str| x.to_string();
    match n {
        3 if mode == Mode::Pki => vec![
            (s::INFO_ORDER, s::realm_order(a.pki.order)),
            (s::INFO_NATIVE_ORDER, t(s::NATIVE_ORDER)),
        ],
        4 if cert => {
            let mut v = vec![(
                s::INFO_AUTO,
                t(mode.client_authentication().unwrap_or_default()),
            )];
            if mode != Mode::Pki && a.client_authentication() == Some("optional") {
                v.push((s::INFO_WARNING, t(s::MTLS_OPTIONAL)));
            }
            v
        }
        5 => vec![
            (s::INFO_AUTO, s::restart_auto(restarts.es.as_ref())),
            (s::INFO_OTHERS, t(s::RESTART_OTHERS)),
        ],
        7 => {
            let mut v = Vec::new();
            match (cert, a.client_certificate.format) {
                (true, CertFormat::P12) => v.push((s::INFO_CLIENT_P12, t(s::CLIENT_P12_GOES))),
                (true, CertFormat::Pem) => v.push((s::INFO_CLIENT_KEY, t(s::CLIENT_KEY_GOES))),
                (false, _) => {}
            }
            v.push((s::INFO_HTTP_P12, t(s::HTTP_P12_GOES)));
            v
        }
        8 => {
            let cred = match mode.credential() {
                Credential::ServiceToken => (s::INFO_TOKEN, t(s::TOKEN_GOES)),
                Credential::Password => (s::INFO_PASSWORD, t(s::PASSWORD_GOES)),
                Credential::Certificate => (s::INFO_CERT_ID, t(s::CERT_ID_GOES)),
            };
            vec![cred, (s::INFO_NOT_YML, t(s::NOT_YML))]
        }
        9 => vec![
            (s::INFO_AUTO, s::restart_auto(restarts.kibana.as_ref())),
            (s::INFO_OTHERS, t(s::RESTART_OTHERS)),
        ],
        _ => Vec::new(),
    }
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
            let message = match at.and_then(|i| fields.get(i)) {
                Some(f) => worded(f.label, &message),
                None => message,
            };
            Err((at, message))
        }
        Err(e) => Err((None, e.to_string())),
    }
}

/// A core message that opens with what was given (`0 days: …`, or a CLI
/// flag `--days 0: …`) said with the field's label instead
/// (`Validity (days): … (0 given)`).
fn worded(label: &str, message: &str) -> String {
    let Some((head, rest)) = message.split_once(": ") else {
        return message.to_string();
    };
    if let Some(n) = head
        .strip_suffix(" days")
        .filter(|n| n.chars().all(|c| c.is_ascii_digit()))
    {
        return format!("{label}: {rest} ({n} given)");
    }
    if !head.starts_with("--") {
        return message.to_string();
    }
    match head.split_once(' ') {
        Some((_, given)) => format!("{label}: {rest} ({given} given)"),
        None => format!("{label}: {rest}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_round_trips_its_default() {
        for mode in Mode::ALL {
            let a = Answers::new(mode);
            for n in 0..=9 {
                let f = fields(n, mode);
                let v: Vec<String> = f.iter().map(|f| get(&a, f.key)).collect();
                assert_eq!(apply(&a, &f, &v).unwrap(), a, "{mode} step {n}");
                for f in &f {
                    if let Kind::Choice(c) = f.kind {
                        assert!(c.contains(&get(&a, f.key).as_str()), "{}", f.key);
                    }
                }
            }
        }
    }

    fn at(f: &[Field], key: &str) -> usize {
        f.iter().position(|f| f.key == key).unwrap()
    }

    #[test]
    fn the_new_fields_write_their_answers() {
        let a = Answers::new(Mode::Pki);
        let f = fields(3, Mode::Pki);
        let mut v: Vec<String> = f.iter().map(|f| get(&a, f.key)).collect();
        let i = at(&f, "pki.order");
        v[i] = "5".into();
        assert_eq!(apply(&a, &f, &v).unwrap().pki.order, RealmOrder::Fixed(5));
        v[i] = "first".into();
        let (err_at, msg) = apply(&a, &f, &v).unwrap_err();
        assert_eq!(err_at, Some(i));
        assert!(msg.contains("whole number"), "{msg}");

        // pki is not offered `required`; mtls is, and optional there warns.
        assert_eq!(fields(4, Mode::Pki)[0].kind, Kind::Choice(CLIENT_AUTH_PKI));
        assert!(fields(4, Mode::Token).is_empty());
        let m = Answers::new(Mode::MtlsToken);
        let f = fields(4, Mode::MtlsToken);
        let b = apply(&m, &f, &["optional".into()]).unwrap();
        assert_eq!(b.client_authentication(), Some("optional"));
        let r = Restarts::default();
        assert!(info(4, &b, &r).iter().any(|(l, _)| *l == s::INFO_WARNING));
        assert!(!info(4, &m, &r).iter().any(|(l, _)| *l == s::INFO_WARNING));

        for (n, key) in [(5, "elasticsearch.restart"), (9, "kibana.restart")] {
            let f = fields(n, Mode::Token);
            let a = Answers::new(Mode::Token);
            let b = apply(&a, &f, &["sudo systemctl restart 'x y'".into()]).unwrap();
            assert_eq!(get(&b, key), "sudo systemctl restart 'x y'");
            let b = apply(&a, &f, &["none".into()]).unwrap();
            assert_eq!(get(&b, key), "none");
            let (err_at, msg) = apply(&a, &f, &["x && y".into()]).unwrap_err();
            assert_eq!(err_at, Some(0), "{msg}");
            let (err_at, _) = apply(&a, &f, &["".into()]).unwrap_err();
            assert_eq!(err_at, Some(0));
        }

        // Where the CA password is kept: asked where the CA is chosen.
        let f = fields(0, Mode::Token);
        let a = Answers::new(Mode::Token);
        let mut v: Vec<String> = f.iter().map(|f| get(&a, f.key)).collect();
        v[at(&f, "secrets.ca_password")] = "file".into();
        let b = apply(&a, &f, &v).unwrap();
        assert_eq!(b.secrets.ca_password, esmtls::plan::SecretStoreChoice::File);
        assert!(
            fields(1, Mode::Pki)
                .iter()
                .any(|f| f.key == "secrets.ca_password")
        );
        assert!(
            !fields(0, Mode::Pki)
                .iter()
                .any(|f| f.key == "secrets.ca_password")
        );
        assert!(
            !fields(8, Mode::Token)
                .iter()
                .any(|f| f.key == "secrets.ca_password")
        );
    }

    #[test]
    fn info_says_where_each_secret_goes() {
        let r = Restarts {
            es: Some((
                "systemd: systemctl restart elasticsearch.service".into(),
                true,
            )),
            kibana: Some(("unknown: restart it the way you started it".into(), false)),
        };
        let text = |n: u8, a: &Answers| {
            info(n, a, &r)
                .into_iter()
                .map(|(l, v)| format!("{l}: {v}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let mut a = Answers::new(Mode::MtlsToken);
        assert!(text(7, &a).contains("kibana.keystore: elasticsearch.ssl.keystore.password"));
        assert!(text(7, &a).contains("elasticsearch.keystore: xpack.security.http.ssl"));
        assert!(text(8, &a).contains("elasticsearch.serviceAccountToken"));
        a.client_certificate.format = CertFormat::Pem;
        assert!(text(7, &a).contains("0600"));
        assert!(text(8, &Answers::new(Mode::MtlsPassword)).contains("elasticsearch.password"));
        assert!(text(8, &Answers::new(Mode::Pki)).contains("no password"));
        assert!(!text(7, &Answers::new(Mode::Token)).contains("Client"));
        assert!(text(5, &a).contains("systemctl restart elasticsearch.service"));
        assert!(text(9, &a).contains("a reminder only — unknown"));
        assert!(text(3, &Answers::new(Mode::Pki)).contains("ascending"));
    }

    #[test]
    fn the_admin_fields_are_no_answers() {
        let a = Answers::new(Mode::Token);
        let mut f = fields(0, Mode::Token);
        f.extend(admin_fields());
        assert_eq!(f[6].kind, Kind::Masked);
        assert!(Kind::Masked.typed() && !Kind::Choice(&[]).typed());
        let mut v: Vec<String> = f.iter().map(|f| get(&a, f.key)).collect();
        assert_eq!(&v[3..], ["", "", "", ""]);
        v[5] = "admin".into();
        v[6] = "hunter2".into();
        let b = apply(&a, &f, &v).unwrap();
        assert_eq!(b, a);
        assert!(!b.to_yaml().contains("hunter2"));
    }

    #[test]
    fn errors_point_at_the_field() {
        let a = Answers::new(Mode::Pki);
        let f = fields(1, Mode::Pki);
        let days = at(&f, "client_certificate.days");
        let mut v: Vec<String> = f.iter().map(|f| get(&a, f.key)).collect();
        v[days] = "ten".into();
        assert_eq!(apply(&a, &f, &v).unwrap_err().0, Some(days));
        v[days] = "0".into();
        let (err_at, msg) = apply(&a, &f, &v).unwrap_err();
        assert_eq!(err_at, Some(days), "{msg}");
        assert_eq!(
            msg,
            "Validity (days): the certificate must be valid for at least one day (0 given)"
        );
        v[days] = "365".into();
        v[0] = "file".into();
        assert_eq!(apply(&a, &f, &v).unwrap_err().0, Some(at(&f, "ca.cert")));
        let f0 = fields(0, Mode::Pki);
        let (at, msg) = apply(&a, &f0, &["http://es:9200".into(), "auto".into()]).unwrap_err();
        assert_eq!(at, Some(0));
        assert!(msg.contains("https"), "{msg}");
        // The host is checked as the DNS SAN it becomes.
        for bad in ["https://es_1..example:9200", "https://-es.example:9200"] {
            let (at, msg) = apply(&a, &f0, &[bad.into(), "auto".into()]).unwrap_err();
            assert_eq!(at, Some(0), "{msg}");
            assert!(msg.contains("is not a valid DNS name"), "{msg}");
        }
        let ok = [
            "https://es1.example:9200, https://10.0.0.1:9200".into(),
            "auto".into(),
        ];
        assert!(apply(&a, &f0, &ok).is_ok());
    }
}
