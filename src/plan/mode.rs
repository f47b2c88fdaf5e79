//! The five ways Kibana can authenticate to Elasticsearch, the licenses that
//! allow them, and the nine steps of Elastic's guide "Mutual TLS
//! authentication between Kibana and Elasticsearch" as each mode needs them.
//!
//! The table is the forum thread's summary (reference `001_*`), confirmed by
//! Elastic's source: TLS, `client_authentication`, the native realm and
//! service accounts are Basic features; the PKI realm is a "standard realm"
//! (Gold+ in code, Platinum/Enterprise/trial in practice). Everything here is
//! data: no I/O, so the wizard, `esmtls guide` and `esmtls plan` all show the
//! same words.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How Kibana authenticates to Elasticsearch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Server TLS + the `elastic/kibana` service account token.
    Token,
    /// Server TLS + the reserved user `kibana_system` and its password.
    Password,
    /// A client certificate as a network control (`required`) + service token.
    MtlsToken,
    /// A client certificate as a network control (`required`) + `kibana_system`.
    MtlsPassword,
    /// The client certificate is Kibana's identity: PKI realm + role mapping.
    Pki,
}

/// What Kibana proves its identity with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Credential {
    /// `elasticsearch.serviceAccountToken`.
    ServiceToken,
    /// `elasticsearch.username: kibana_system` + `elasticsearch.password`.
    Password,
    /// The TLS client certificate, mapped to `kibana_system` by the PKI realm.
    Certificate,
}

impl Mode {
    /// All five, in the order the guide presents them.
    pub const ALL: [Mode; 5] = [
        Mode::Token,
        Mode::Password,
        Mode::MtlsToken,
        Mode::MtlsPassword,
        Mode::Pki,
    ];

    /// The CLI / answers-file spelling.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Token => "token",
            Mode::Password => "password",
            Mode::MtlsToken => "mtls-token",
            Mode::MtlsPassword => "mtls-password",
            Mode::Pki => "pki",
        }
    }

    /// One line on what Kibana authenticates with.
    pub fn summary(self) -> &'static str {
        match self {
            Mode::Token => "service account token elastic/kibana over server TLS",
            Mode::Password => "kibana_system user and password over server TLS",
            Mode::MtlsToken => "client certificate (network control) + service account token",
            Mode::MtlsPassword => "client certificate (network control) + kibana_system password",
            Mode::Pki => "client certificate as identity (PKI realm + role mapping)",
        }
    }

    /// What Kibana's identity is.
    pub fn credential(self) -> Credential {
        match self {
            Mode::Token | Mode::MtlsToken => Credential::ServiceToken,
            Mode::Password | Mode::MtlsPassword => Credential::Password,
            Mode::Pki => Credential::Certificate,
        }
    }

    /// True when Kibana presents a TLS client certificate.
    pub fn client_cert(self) -> bool {
        matches!(self, Mode::MtlsToken | Mode::MtlsPassword | Mode::Pki)
    }

    /// `xpack.security.http.ssl.client_authentication` for this mode, if esmtls sets it.
    pub fn client_authentication(self) -> Option<&'static str> {
        match self {
            Mode::MtlsToken | Mode::MtlsPassword => Some("required"),
            Mode::Pki => Some("optional"),
            Mode::Token | Mode::Password => None,
        }
    }

    /// The lowest license the mode works on.
    pub fn license_needed(self) -> License {
        match self {
            Mode::Pki => License::Platinum,
            _ => License::Basic,
        }
    }

    /// How the license need is said in tables.
    pub fn license_text(self) -> &'static str {
        match self {
            Mode::Pki => "Platinum, Enterprise or trial",
            _ => "Basic (free)",
        }
    }

    /// Whether `license` allows this mode.
    pub fn allowed_on(self, license: License) -> bool {
        self != Mode::Pki || license.allows_pki()
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                format!("unknown mode `{s}`; expected one of token, password, mtls-token, mtls-password, pki")
            })
    }
}

/// An Elasticsearch license level, as `GET /_license` reports `license.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum License {
    /// Free: TLS, native realm, service accounts.
    Basic,
    /// Standard (old).
    Standard,
    /// Gold (no longer sold for self-managed; allows the PKI realm in code).
    Gold,
    /// Platinum.
    Platinum,
    /// Enterprise.
    Enterprise,
    /// 30-day trial: every feature.
    Trial,
}

impl License {
    /// The names the answers file and `--license` accept.
    pub const NAMES: &'static str = "basic, trial, gold, platinum, enterprise";

    /// Parses a `license.type` from the API or an answer; `None` for unknown.
    pub fn parse(s: &str) -> Option<License> {
        Some(match s.to_ascii_lowercase().as_str() {
            "basic" | "missing" => License::Basic,
            "standard" | "silver" => License::Standard,
            "gold" => License::Gold,
            "platinum" => License::Platinum,
            "enterprise" => License::Enterprise,
            "trial" | "dev" => License::Trial,
            _ => return None,
        })
    }

    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            License::Basic => "basic",
            License::Standard => "standard",
            License::Gold => "gold",
            License::Platinum => "platinum",
            License::Enterprise => "enterprise",
            License::Trial => "trial",
        }
    }

    /// Whether the PKI realm is permitted (`security_standard_realms`, Gold+).
    pub fn allows_pki(self) -> bool {
        !matches!(self, License::Basic | License::Standard)
    }
}

impl fmt::Display for License {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One of the nine steps of Elastic's guide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Step {
    /// 1. Obtain a client certificate and private key for Kibana.
    ClientCert = 1,
    /// 2. Obtain the CA certificate chain.
    CaChain = 2,
    /// 3. Configure Elasticsearch with a PKI realm and a native realm.
    Realms = 3,
    /// 4. Configure Elasticsearch to request client certificates.
    ClientAuth = 4,
    /// 5. Restart Elasticsearch.
    RestartEs = 5,
    /// 6. Create the role mapping (adapted: token or password).
    Credentials = 6,
    /// 7. Configure Kibana to use the client certificate.
    KibanaTls = 7,
    /// 8. Configure Kibana not to use a username and password.
    KibanaAuth = 8,
    /// 9. Restart Kibana.
    RestartKibana = 9,
}

impl Step {
    /// The nine, in order.
    pub const ALL: [Step; 9] = [
        Step::ClientCert,
        Step::CaChain,
        Step::Realms,
        Step::ClientAuth,
        Step::RestartEs,
        Step::Credentials,
        Step::KibanaTls,
        Step::KibanaAuth,
        Step::RestartKibana,
    ];

    /// 1..=9.
    pub fn number(self) -> u8 {
        self as u8
    }

    /// The guide's title of the step.
    pub fn guide_title(self) -> &'static str {
        match self {
            Step::ClientCert => "Obtain a client certificate and private key for Kibana",
            Step::CaChain => "Obtain the CA certificate chain",
            Step::Realms => "Configure Elasticsearch with a PKI realm and a native realm",
            Step::ClientAuth => "Configure Elasticsearch to request client certificates",
            Step::RestartEs => "Restart Elasticsearch",
            Step::Credentials => "Create a role mapping for the client certificate",
            Step::KibanaTls => "Configure Kibana to use the client certificate and private key",
            Step::KibanaAuth => "Configure Kibana not to use a username and password",
            Step::RestartKibana => "Restart Kibana",
        }
    }
}

/// Whether and how a step applies to a mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "text", rename_all = "lowercase")]
pub enum Applies {
    /// As in the guide; the text says what it does here.
    Yes(String),
    /// Changed for this mode; the text says how and why.
    Adapted(String),
    /// Not needed; the text is the reason in plain words.
    Skipped(String),
}

impl Applies {
    /// The short status word.
    pub fn word(&self) -> &'static str {
        match self {
            Applies::Yes(_) => "applies",
            Applies::Adapted(_) => "adapted",
            Applies::Skipped(_) => "skipped",
        }
    }
    /// The explanation.
    pub fn text(&self) -> &str {
        match self {
            Applies::Yes(t) | Applies::Adapted(t) | Applies::Skipped(t) => t,
        }
    }
    /// False for skipped steps.
    pub fn is_active(&self) -> bool {
        !matches!(self, Applies::Skipped(_))
    }
}

/// The step table: what step `step` means for `mode`.
pub fn applies(mode: Mode, step: Step) -> Applies {
    use Applies::*;
    let cert = mode.client_cert();
    let s = |t: &str| t.to_string();
    match step {
        Step::ClientCert if cert => Yes(s(
            "Issue Kibana's TLS client certificate (clientAuth) from the chosen CA.",
        )),
        Step::ClientCert => Skipped(s(
            "Kibana presents no client certificate in this mode; server TLS plus its credential is enough.",
        )),
        Step::CaChain if cert => Yes(s(
            "Write the CA that signed Kibana's certificate as PEM for Elasticsearch, and give Kibana the CA of Elasticsearch's HTTP certificate.",
        )),
        Step::CaChain => Adapted(s(
            "No client certificate to trust; Kibana still needs the CA of Elasticsearch's HTTP certificate, which esmtls copies to Kibana.",
        )),
        Step::Realms if mode == Mode::Pki => Yes(s(
            "Add a PKI realm that trusts Kibana's CA, first in the chain, and keep a native realm for people logging in.",
        )),
        Step::Realms => Skipped(s(
            "No PKI realm: Kibana's identity is its token or password, which the built-in realms handle on every license.",
        )),
        Step::ClientAuth if mode == Mode::Pki => Yes(s(
            "client_authentication: optional (other clients may still connect without a certificate), and the HTTP layer trusts Kibana's CA.",
        )),
        Step::ClientAuth if cert => Adapted(s(
            "client_authentication: required — the certificate is a network control, so a connection without one is refused; the HTTP layer trusts Kibana's CA. Every other HTTP client (Beats, Logstash, Fleet, curl) then needs a client certificate too.",
        )),
        Step::ClientAuth => Skipped(s(
            "Elasticsearch does not ask for client certificates in this mode.",
        )),
        Step::RestartEs => Yes(s(
            "Elasticsearch reads realm and TLS settings only at start.",
        )),
        Step::Credentials => match mode.credential() {
            Credential::Certificate => Yes(s(
                "Map the client certificate's DN, as Elasticsearch prints it, to the kibana_system role.",
            )),
            Credential::ServiceToken => Adapted(s(
                "No role mapping: create a service account token for elastic/kibana and store it in the Kibana keystore.",
            )),
            Credential::Password => Adapted(s(
                "No role mapping: set a new random password for kibana_system and store it in the Kibana keystore.",
            )),
        },
        Step::KibanaTls if mode == Mode::Pki => Yes(s(
            "Point Kibana at its certificate and key, put the password in the Kibana keystore, trust Elasticsearch's CA; alwaysPresentCertificate stays false so requests proxied for users are not run as Kibana.",
        )),
        Step::KibanaTls if cert => Adapted(s(
            "As in the guide, plus alwaysPresentCertificate: true — with client_authentication: required, Kibana must present its certificate on every connection, including requests proxied for users.",
        )),
        Step::KibanaTls => Adapted(s(
            "No client certificate: Kibana only needs https hosts and the CA of Elasticsearch's HTTP certificate.",
        )),
        Step::KibanaAuth => match mode.credential() {
            Credential::Certificate => Yes(s(
                "Remove elasticsearch.username, password and serviceAccountToken from kibana.yml and the Kibana keystore.",
            )),
            Credential::ServiceToken => Adapted(s(
                "Kibana uses the token: remove username and password from kibana.yml and the Kibana keystore (Kibana refuses both together).",
            )),
            Credential::Password => Adapted(s(
                "Kibana uses kibana_system: set the username, keep the password only in the keystore, remove any serviceAccountToken.",
            )),
        },
        Step::RestartKibana => Yes(s(
            "Kibana reads its settings and keystore only at start; then verify the connection as Kibana makes it.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Mode::ALL {
            assert_eq!(m.name().parse::<Mode>().unwrap(), m);
        }
        assert!("mtls".parse::<Mode>().unwrap_err().contains("mtls-token"));
    }

    #[test]
    fn table_matches_the_forum_thread() {
        use Mode::*;
        for m in [Token, Password, MtlsToken, MtlsPassword] {
            assert!(m.allowed_on(License::Basic));
            assert!(!applies(m, Step::Realms).is_active());
        }
        assert!(!Pki.allowed_on(License::Basic));
        assert!(Pki.allowed_on(License::Trial) && Pki.allowed_on(License::Gold));
        assert_eq!(MtlsToken.client_authentication(), Some("required"));
        assert_eq!(Pki.client_authentication(), Some("optional"));
        assert!(!applies(Token, Step::ClientCert).is_active());
        assert_eq!(applies(Token, Step::Credentials).word(), "adapted");
        assert_eq!(applies(Pki, Step::Credentials).word(), "applies");
        for m in Mode::ALL {
            assert_eq!(
                Step::ALL
                    .iter()
                    .filter(|s| !s.guide_title().is_empty())
                    .count(),
                9
            );
            assert!(applies(m, Step::RestartEs).is_active());
        }
    }

    #[test]
    fn license_names() {
        assert_eq!(License::parse("Platinum"), Some(License::Platinum));
        assert_eq!(License::parse("trial"), Some(License::Trial));
        assert_eq!(License::parse("nope"), None);
        assert!(!License::Basic.allows_pki());
    }
}
