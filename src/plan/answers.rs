//! The operator's answers: what the wizard's screens collect and what the
//! answers file of `esmtls plan` / `esmtls apply` holds, as one validated type.
//!
//! Invariants: the file holds no secrets (there is no key for one; secrets
//! are generated, read from the keystores, or come from the environment);
//! an unknown key or an invalid value is an error naming the key, its line
//! when the YAML parser knows it, and what is allowed; every field has the
//! default an operator would pick, so `mode: token` alone is a full answer.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use super::choices::{ClientAuth, RealmOrder, Restart, SecretStoreChoice};
use super::mode::{License, Mode};
use crate::pki::KeyType;

/// Why an answers file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnswersError {
    /// The file could not be read.
    #[error("cannot read the answers file {path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        reason: String,
    },
    /// The YAML is invalid or has an unknown key or a wrong type.
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message, with the line and the key.
        message: String,
    },
    /// A value is not allowed.
    #[error("{path}: `{key}`: {message}")]
    Invalid {
        /// The file (or `<answers>` for answers not read from a file).
        path: PathBuf,
        /// The dotted key.
        key: String,
        /// What is wrong and what is allowed.
        message: String,
    },
}

/// Where the CA that signs Kibana's (and, when needed, Elasticsearch's) certificate comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaSource {
    /// The auto-configured `http_ca` when esmtls can open it, else esmtls's
    /// own CA from an earlier run, else a new CA.
    #[default]
    Auto,
    /// Elasticsearch's auto-configured `http_ca` (inside `certs/http.p12`).
    Elasticsearch,
    /// A new CA made by esmtls (kept as `certs/esmtls-ca.p12` on the Elasticsearch side).
    New,
    /// A CA the operator has: `ca.cert` (+ `ca.key`), PEM, DER or PKCS#12.
    File,
}

/// Output format of Kibana's client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CertFormat {
    /// `kibana-client.p12`, password in the Kibana keystore.
    #[default]
    P12,
    /// `kibana-client.crt` + `kibana-client.key` (encrypted, passphrase in the keystore).
    Pem,
}

/// Whether esmtls issues Elasticsearch's HTTP server certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Generate {
    /// Only when Elasticsearch serves no HTTPS yet.
    #[default]
    Auto,
    /// Always (re-issue with the SANs Kibana's hosts need).
    Yes,
    /// Never; keep what Elasticsearch has.
    No,
}

/// `ca:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaAnswers {
    /// Where the CA comes from.
    pub source: CaSource,
    /// `source: file`: the CA certificate (or PKCS#12 with the key).
    pub cert: Option<PathBuf>,
    /// `source: file`: the CA key, when `cert` has none.
    pub key: Option<PathBuf>,
    /// A new CA's subject.
    pub dn: String,
    /// A new CA's validity in days.
    pub days: u32,
    /// A new CA's key type.
    pub key_type: KeyType,
}

impl Default for CaAnswers {
    fn default() -> Self {
        CaAnswers {
            source: CaSource::Auto,
            cert: None,
            key: None,
            dn: "CN=esmtls CA".into(),
            days: 1825,
            key_type: KeyType::Rsa2048,
        }
    }
}

/// `client_certificate:` (step 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClientCertAnswers {
    /// CN or full DN.
    pub name: String,
    /// DNS SANs.
    pub dns: Vec<String>,
    /// IP SANs.
    pub ip: Vec<IpAddr>,
    /// Validity in days.
    pub days: u32,
    /// Key type; RSA because Kibana's PKCS#12 reader assumes RSA keys.
    pub key_type: KeyType,
    /// PKCS#12 or PEM.
    pub format: CertFormat,
}

impl Default for ClientCertAnswers {
    fn default() -> Self {
        ClientCertAnswers {
            name: "kibana-client".into(),
            dns: Vec::new(),
            ip: Vec::new(),
            days: 1095,
            key_type: KeyType::Rsa2048,
            format: CertFormat::P12,
        }
    }
}

/// `server_certificate:` (Elasticsearch's HTTP certificate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerCertAnswers {
    /// When to issue it.
    pub generate: Generate,
    /// Extra DNS SANs (the host names of `kibana.hosts` are always added).
    pub dns: Vec<String>,
    /// Extra IP SANs.
    pub ip: Vec<IpAddr>,
    /// Validity in days.
    pub days: u32,
    /// Key type.
    pub key_type: KeyType,
}

impl Default for ServerCertAnswers {
    fn default() -> Self {
        ServerCertAnswers {
            generate: Generate::Auto,
            dns: Vec::new(),
            ip: Vec::new(),
            days: 1095,
            key_type: KeyType::Rsa2048,
        }
    }
}

/// `elasticsearch:`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EsAnswers {
    /// The config directory (else detected).
    pub config: Option<PathBuf>,
    /// The URL esmtls calls the API on (default: the first of `kibana.hosts`).
    pub url: Option<String>,
    /// SHA-256 fingerprint of the HTTP CA to pin, when esmtls has no CA file.
    pub ca_fingerprint: Option<String>,
    /// The version, when it cannot be detected (chooses the keystore format).
    pub version: Option<String>,
    /// PEM file of the CA of Elasticsearch's HTTP certificate, when esmtls cannot read it.
    pub server_ca: Option<PathBuf>,
    /// `xpack.security.http.ssl.client_authentication` (step 4).
    pub client_authentication: ClientAuth,
    /// How to restart Elasticsearch (step 5): `auto`, `none` or a command.
    pub restart: Restart,
}

/// `kibana:`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KibanaAnswers {
    /// The config directory (else detected).
    pub config: Option<PathBuf>,
    /// `elasticsearch.hosts` (default: what kibana.yml has, as https, else `https://localhost:9200`).
    pub hosts: Vec<String>,
    /// Where Kibana's config directory is on the real host, when writing to an output folder
    /// (paths in kibana.yml must be absolute; default `/etc/kibana`).
    pub install_config: Option<PathBuf>,
    /// How to restart Kibana (step 9): `auto`, `none` or a command.
    pub restart: Restart,
}

/// `pki:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PkiAnswers {
    /// The PKI realm's name.
    pub realm: String,
    /// The native realm's name, when esmtls adds one.
    pub native_realm: String,
    /// The role mapping's name.
    pub role_mapping: String,
    /// The PKI realm's `order`.
    pub order: RealmOrder,
}

impl Default for PkiAnswers {
    fn default() -> Self {
        PkiAnswers {
            realm: "esmtls_pki".into(),
            native_realm: "native1".into(),
            role_mapping: "kibana-client".into(),
            order: RealmOrder::Auto,
        }
    }
}

/// `secrets:` — where esmtls keeps its own secrets. Kibana's and
/// Elasticsearch's secrets have no choice: they always go to their keystores.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsAnswers {
    /// Where the password of esmtls's CA (`certs/esmtls-ca.p12`) is kept.
    pub ca_password: SecretStoreChoice,
}

/// `service_token:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenAnswers {
    /// The token's name under `elastic/kibana`.
    pub name: String,
}

impl Default for TokenAnswers {
    fn default() -> Self {
        TokenAnswers {
            name: "esmtls".into(),
        }
    }
}

/// The whole answers file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    /// The mode (required).
    pub mode: Mode,
    /// The license, when the cluster cannot be asked.
    #[serde(default, with = "license_opt")]
    pub license: Option<License>,
    /// Allow `pki` on a license that does not permit the PKI realm.
    #[serde(default)]
    pub allow_unlicensed_pki: bool,
    /// Output folder when neither Elasticsearch nor Kibana is installed here.
    #[serde(default = "default_out")]
    pub out: PathBuf,
    /// Elasticsearch.
    #[serde(default)]
    pub elasticsearch: EsAnswers,
    /// Kibana.
    #[serde(default)]
    pub kibana: KibanaAnswers,
    /// The CA.
    #[serde(default)]
    pub ca: CaAnswers,
    /// Kibana's client certificate.
    #[serde(default)]
    pub client_certificate: ClientCertAnswers,
    /// Elasticsearch's HTTP certificate.
    #[serde(default)]
    pub server_certificate: ServerCertAnswers,
    /// PKI realm and role mapping.
    #[serde(default)]
    pub pki: PkiAnswers,
    /// Service token.
    #[serde(default)]
    pub service_token: TokenAnswers,
    /// esmtls's own secrets.
    #[serde(default)]
    pub secrets: SecretsAnswers,
    /// The cluster's hosts (None: this machine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topology: Option<crate::cluster::Topology>,
}

fn default_out() -> PathBuf {
    PathBuf::from("esmtls-out")
}

mod license_opt {
    use super::License;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<License>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(l) => s.serialize_str(l.name()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<License>, D::Error> {
        let s = Option::<String>::deserialize(d)?;
        match s {
            None => Ok(None),
            Some(s) => License::parse(&s).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown license `{s}`, expected one of {}",
                    License::NAMES
                ))
            }),
        }
    }
}

impl Answers {
    /// Answers with every default and `mode`.
    pub fn new(mode: Mode) -> Answers {
        Answers {
            mode,
            license: None,
            allow_unlicensed_pki: false,
            out: default_out(),
            elasticsearch: EsAnswers::default(),
            kibana: KibanaAnswers::default(),
            ca: CaAnswers::default(),
            client_certificate: ClientCertAnswers::default(),
            server_certificate: ServerCertAnswers::default(),
            pki: PkiAnswers::default(),
            service_token: TokenAnswers::default(),
            secrets: SecretsAnswers::default(),
            topology: None,
        }
    }

    /// `xpack.security.http.ssl.client_authentication` as this plan sets it:
    /// the answer, or the mode's default (None: the mode sets none).
    pub fn client_authentication(&self) -> Option<&'static str> {
        match self.elasticsearch.client_authentication {
            ClientAuth::Auto => self.mode.client_authentication(),
            ClientAuth::Required => Some("required"),
            ClientAuth::Optional => Some("optional"),
        }
    }

    /// Reads and validates an answers file. Relative paths in it are taken
    /// relative to the file's directory.
    pub fn read(path: &Path) -> Result<Answers, AnswersError> {
        let text = std::fs::read_to_string(path).map_err(|e| AnswersError::Read {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let mut a = Answers::parse(path, &text)?;
        let base = crate::fsutil::parent_dir(path);
        let base = std::path::absolute(&base).unwrap_or(base);
        a.resolve_paths(&base);
        Ok(a)
    }

    /// Parses and validates answers from text; `path` is only used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Answers, AnswersError> {
        let a: Answers = serde_yaml_ng::from_str(text).map_err(|e| AnswersError::Syntax {
            path: path.to_path_buf(),
            message: explain_serde(&e.to_string()),
        })?;
        a.validate(path)?;
        Ok(a)
    }

    fn resolve_paths(&mut self, base: &Path) {
        let fix = |p: &mut Option<PathBuf>| {
            if let Some(x) = p.as_mut().filter(|x| x.is_relative()) {
                *x = base.join(&*x);
            }
        };
        fix(&mut self.elasticsearch.config);
        fix(&mut self.elasticsearch.server_ca);
        fix(&mut self.kibana.config);
        fix(&mut self.ca.cert);
        fix(&mut self.ca.key);
        if self.out.is_relative() {
            self.out = base.join(&self.out);
        }
    }

    /// Checks every value that serde's types do not already check.
    pub fn validate(&self, path: &Path) -> Result<(), AnswersError> {
        let bad = |key: &str, message: String| AnswersError::Invalid {
            path: path.to_path_buf(),
            key: key.into(),
            message,
        };
        let days = |key: &str, d: u32| {
            crate::pki::build::check_days(d).map_err(|e| bad(key, e.to_string()))
        };
        days("ca.days", self.ca.days)?;
        days("client_certificate.days", self.client_certificate.days)?;
        days("server_certificate.days", self.server_certificate.days)?;
        self.validate_names(&bad)?;
        if self.ca.source == CaSource::File && self.ca.cert.is_none() {
            return Err(bad(
                "ca.cert",
                "`ca.source: file` needs `ca.cert` (a PEM, DER or PKCS#12 CA) and, unless it is a PKCS#12 with the key, `ca.key`".into(),
            ));
        }
        if self.ca.source != CaSource::File && (self.ca.cert.is_some() || self.ca.key.is_some()) {
            return Err(bad(
                "ca.source",
                "`ca.cert`/`ca.key` are only read with `ca.source: file`; set it or remove them"
                    .into(),
            ));
        }
        for (i, h) in self.kibana.hosts.iter().enumerate() {
            check_host_url(h).map_err(|m| bad(&format!("kibana.hosts[{i}]"), m))?;
        }
        if let Some(u) = &self.elasticsearch.url {
            check_host_url(u).map_err(|m| bad("elasticsearch.url", m))?;
        }
        if let Some(fp) = &self.elasticsearch.ca_fingerprint {
            let hex: String = fp.chars().filter(|c| *c != ':').collect();
            if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(bad(
                    "elasticsearch.ca_fingerprint",
                    "expected a SHA-256 fingerprint: 64 hex digits, colons allowed".into(),
                ));
            }
        }
        if let Some(v) = &self.elasticsearch.version {
            crate::keystore::elasticsearch::format_for_es_version(v)
                .map_err(|e| bad("elasticsearch.version", e.to_string()))?;
        }
        let name_ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        for (key, v) in [
            ("pki.realm", &self.pki.realm),
            ("pki.native_realm", &self.pki.native_realm),
            ("pki.role_mapping", &self.pki.role_mapping),
        ] {
            if !name_ok(v) {
                return Err(bad(
                    key,
                    format!(
                        "`{}` is not a valid name: use letters, digits, `_` and `-`",
                        crate::pki::names::shown(v)
                    ),
                ));
            }
        }
        if self.pki.realm == self.pki.native_realm {
            return Err(bad(
                "pki.native_realm",
                "the PKI and native realms need different names (Elasticsearch refuses two realms with one name)".into(),
            ));
        }
        if self.pki.realm.starts_with("default_") || self.pki.native_realm.starts_with("default_") {
            return Err(bad(
                "pki.realm",
                "names starting with `default_` clash with Elasticsearch's built-in realms".into(),
            ));
        }
        match (self.elasticsearch.client_authentication, self.mode) {
            (ClientAuth::Auto, _) => {}
            (_, m) if !m.client_cert() => {
                return Err(bad(
                    "elasticsearch.client_authentication",
                    format!(
                        "mode `{m}` presents no client certificate, so there is nothing for Elasticsearch to ask for; leave it `auto`, or choose mtls-token, mtls-password or pki"
                    ),
                ));
            }
            (ClientAuth::Required, Mode::Pki) => {
                return Err(bad(
                    "elasticsearch.client_authentication",
                    format!(
                        "{} Leave it `auto` (optional).",
                        super::guide::strings::PKI_NOT_REQUIRED
                    ),
                ));
            }
            _ => {}
        }
        if let Some(top) = &self.topology {
            top.validate().map_err(|(key, m)| bad(&key, m))?;
        }
        let t = &self.service_token.name;
        let first_ok = t
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-');
        if !first_ok || t.len() > 256 || !name_ok(t) {
            return Err(bad(
                "service_token.name",
                "service account token name must have at least 1 character and at most 256 characters that are alphanumeric (A-Z, a-z, 0-9) or hyphen (-) or underscore (_). It must not begin with an underscore (_).".into(),
            ));
        }
        Ok(())
    }

    /// Checks the certificate names: the CA's DN, the client certificate's
    /// name, the DNS SANs (control characters, lengths; see `pki::names`).
    fn validate_names(
        &self,
        bad: &impl Fn(&str, String) -> AnswersError,
    ) -> Result<(), AnswersError> {
        use crate::pki::build::{check_dns_name, leaf_dn};
        crate::pki::dn::parse_dn(&self.ca.dn).map_err(|e| bad("ca.dn", e.to_string()))?;
        leaf_dn(&self.client_certificate.name)
            .map_err(|e| bad("client_certificate.name", e.to_string()))?;
        for (key, list) in [
            ("client_certificate", &self.client_certificate.dns),
            ("server_certificate", &self.server_certificate.dns),
        ] {
            for d in list {
                check_dns_name(d, &format!("`{key}.ip`"))
                    .map_err(|why| bad(&format!("{key}.dns"), why))?;
            }
        }
        Ok(())
    }

    /// The answers as YAML (what the wizard saves and `plan --json` echoes).
    pub fn to_yaml(&self) -> String {
        serde_yaml_ng::to_string(self).unwrap_or_default()
    }
}

/// An `elasticsearch.hosts` entry: `https://host[:port]`.
pub fn check_host_url(u: &str) -> Result<(), String> {
    crate::pki::names::check_printable(u)
        .map_err(|why| format!("`{}`: {why}", crate::pki::names::shown(u)))?;
    let Some(rest) = u.strip_prefix("https://") else {
        return Err(if u.starts_with("http://") {
            format!("`{u}` is plain http; Kibana must reach Elasticsearch over https:// for TLS")
        } else {
            format!("`{u}` is not a URL; expected https://HOST:PORT")
        });
    };
    let host_port = rest.trim_end_matches('/');
    if host_port.is_empty() || host_port.contains('/') || host_port.contains('@') {
        return Err(format!(
            "`{u}`: expected https://HOST:PORT with no path or credentials"
        ));
    }
    let (host, port) = split_host_port(host_port);
    if host.is_empty() {
        return Err(format!("`{u}` has no host"));
    }
    if let Some(p) = port
        && p.parse::<u16>().map_or(true, |p| p == 0)
    {
        return Err(format!("`{u}` has an invalid port `{p}`"));
    }
    Ok(())
}

/// The host of `https://host:port/...` (or of `host:port` alone), brackets
/// removed from an IPv6 address.
pub fn url_host(url: &str) -> String {
    let rest = url.strip_prefix("https://").unwrap_or(url);
    let authority = rest.split('/').next().unwrap_or(rest);
    split_host_port(authority).0.to_string()
}

/// Splits `host:port`, `[v6]:port`, `host` into the host (brackets removed) and the port.
pub fn split_host_port(s: &str) -> (&str, Option<&str>) {
    if let Some(rest) = s.strip_prefix('[') {
        if let Some((h, p)) = rest.split_once(']') {
            return (h, p.strip_prefix(':'));
        }
        return (rest, None);
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p)),
        _ => (s, None),
    }
}

/// Turns serde's messages into ones that say what to do.
fn explain_serde(msg: &str) -> String {
    if msg.contains("unknown field") {
        format!("{msg} (remove it or check its spelling; the README lists every key)")
    } else if msg.contains("missing field `mode`") {
        "`mode` is required: one of token, password, mtls-token, mtls-password, pki".into()
    } else {
        msg.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<Answers, AnswersError> {
        Answers::parse(Path::new("answers.yml"), t)
    }

    #[test]
    fn mode_alone_is_enough() {
        let a = parse("mode: pki\n").unwrap();
        assert_eq!(a.mode, Mode::Pki);
        assert_eq!(a.client_certificate.name, "kibana-client");
        assert_eq!(a.pki.realm, "esmtls_pki");
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = parse("mode: pki\nkibana:\n  hostz: [x]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("hostz") && e.contains("answers.yml"), "{e}");
        let e = parse("mode: pkix\n").unwrap_err().to_string();
        assert!(e.contains("pkix"), "{e}");
        let e = parse("license: basic\n").unwrap_err().to_string();
        assert!(e.contains("`mode` is required"), "{e}");
    }

    #[test]
    fn invalid_values_name_the_key() {
        for (text, key) in [
            (
                "mode: token\nkibana:\n  hosts: [http://es:9200]\n",
                "kibana.hosts[0]",
            ),
            (
                "mode: token\nclient_certificate:\n  days: 0\n",
                "client_certificate.days",
            ),
            (
                "mode: token\nservice_token:\n  name: _x\n",
                "service_token.name",
            ),
            ("mode: token\nca:\n  source: file\n", "ca.cert"),
            ("mode: pki\npki:\n  realm: a.b\n", "pki.realm"),
            (
                "mode: token\nelasticsearch:\n  ca_fingerprint: abc\n",
                "elasticsearch.ca_fingerprint",
            ),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(key), "{text}: {e}");
            assert!(!e.contains("--"), "{text}: a flag in {e}");
        }
        let e = parse("mode: token\nlicense: free\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("free") && e.contains("platinum"), "{e}");
    }

    #[test]
    fn the_new_keys_parse() {
        let a = parse(
            "mode: pki\npki:\n  order: -2\nelasticsearch:\n  client_authentication: optional\n  restart: \"systemctl restart 'my es'\"\nkibana:\n  restart: none\nsecrets:\n  ca_password: file\n",
        )
        .unwrap();
        assert_eq!(a.pki.order, RealmOrder::Fixed(-2));
        assert_eq!(a.client_authentication(), Some("optional"));
        assert_eq!(
            a.elasticsearch.restart,
            Restart::Command(vec!["systemctl".into(), "restart".into(), "my es".into()])
        );
        assert_eq!(a.kibana.restart, Restart::None);
        assert_eq!(a.secrets.ca_password, SecretStoreChoice::File);
        assert_eq!(parse(&a.to_yaml()).unwrap(), a);
        let d = parse("mode: mtls-password\npki:\n  order: auto\n").unwrap();
        assert_eq!(d.pki.order, RealmOrder::Auto);
        assert_eq!(d.client_authentication(), Some("required"));
        assert_eq!(d.elasticsearch.restart, Restart::Auto);
        assert_eq!(
            parse("mode: token\n").unwrap().client_authentication(),
            None
        );
    }

    #[test]
    fn the_new_keys_are_checked() {
        for (text, key, says) in [
            (
                "mode: token\nelasticsearch:\n  client_authentication: required\n",
                "elasticsearch.client_authentication",
                "presents no client certificate",
            ),
            (
                "mode: pki\nelasticsearch:\n  client_authentication: required\n",
                "elasticsearch.client_authentication",
                "choose mtls-token",
            ),
            (
                "mode: pki\nelasticsearch:\n  client_authentication: sometimes\n",
                "client_authentication",
                "sometimes",
            ),
            (
                "mode: pki\npki:\n  order: first\n",
                "pki.order",
                "whole number",
            ),
            (
                "mode: pki\nelasticsearch:\n  restart: \"\"\n",
                "elasticsearch.restart",
                "empty",
            ),
            (
                "mode: pki\nkibana:\n  restart: \"systemctl restart kibana && echo ok\"\n",
                "kibana.restart",
                "without a shell",
            ),
            (
                "mode: pki\nsecrets:\n  ca_password: vault\n",
                "ca_password",
                "vault",
            ),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(key) && e.contains(says), "{text}: {e}");
        }
        // optional on an mtls mode is allowed (the plan warns).
        assert!(
            parse("mode: mtls-token\nelasticsearch:\n  client_authentication: optional\n").is_ok()
        );
    }

    #[test]
    fn hosts() {
        assert!(check_host_url("https://es01:9200").is_ok());
        assert!(check_host_url("https://[::1]:9200").is_ok());
        assert!(check_host_url("https://es01").is_ok());
        assert!(check_host_url("https://es01:99999").is_err());
        assert!(check_host_url("https://es01:9200/path").is_err());
        assert_eq!(split_host_port("[::1]:9200"), ("::1", Some("9200")));
    }

    #[test]
    fn bad_names_name_the_answers_key_and_no_flag() {
        let long = "a".repeat(65);
        let label = "b".repeat(64);
        for (text, key, says) in [
            (
                "mode: pki\nclient_certificate:\n  name: \"kib\\0ana\"\n".to_string(),
                "`client_certificate.name`",
                "\\u{0}",
            ),
            (
                "mode: pki\nclient_certificate:\n  name: \"CN=kib\\nana,O=x\"\n".into(),
                "`client_certificate.name`",
                "\\u{a}",
            ),
            (
                format!("mode: pki\nclient_certificate:\n  name: {long}\n"),
                "`client_certificate.name`",
                "at most 64",
            ),
            (
                "mode: pki\nclient_certificate:\n  name: OU=x\n".into(),
                "`client_certificate.name`",
                "has no CN",
            ),
            (
                "mode: pki\nca:\n  dn: \"CN=ca\\e\"\n".into(),
                "`ca.dn`",
                "\\u{1b}",
            ),
            (
                "mode: pki\nclient_certificate:\n  dns: [\"a\\x7fb\"]\n".into(),
                "`client_certificate.dns`",
                "\\u{7f}",
            ),
            (
                format!("mode: pki\nserver_certificate:\n  dns: [{label}.example.com]\n"),
                "`server_certificate.dns`",
                "at most 63",
            ),
            (
                "mode: pki\nserver_certificate:\n  dns: [10.0.0.1]\n".into(),
                "`server_certificate.dns`",
                "give it in `server_certificate.ip`",
            ),
            (
                "mode: pki\nkibana:\n  hosts: [\"https://es\\u0085:9200\"]\n".into(),
                "`kibana.hosts[0]`",
                "\\u{85}",
            ),
        ] {
            let e = parse(&text).unwrap_err().to_string();
            assert!(e.contains(key) && e.contains(says), "{text}: {e}");
            assert!(!e.contains("--"), "{text}: a flag in {e}");
            assert!(!e.chars().any(char::is_control), "{text}: raw in {e:?}");
        }
    }

    #[test]
    fn the_examples_in_assets_are_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/answers");
        let mut seen = Vec::new();
        for m in Mode::ALL {
            let a = Answers::read(&dir.join(format!("{}.yml", m.name())))
                .unwrap_or_else(|e| panic!("{m}: {e}"));
            assert_eq!(a.mode, m);
            seen.push(m);
        }
        assert_eq!(seen.len(), 5);
        let c = Answers::read(&dir.join("cluster.yml")).unwrap();
        let t = c.topology.expect("cluster.yml has a topology");
        assert_eq!((t.elasticsearch.len(), t.kibana.len()), (3, 2));
    }

    #[test]
    fn round_trip() {
        let a = Answers::new(Mode::MtlsToken);
        let b = parse(&a.to_yaml()).unwrap();
        assert_eq!(a, b);
    }
}
