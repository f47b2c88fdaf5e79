//! The guided license choice: from two questions (must connections present a
//! client certificate? must the certificate *be* Kibana's identity?) and the
//! license, the mode esmtls recommends, why, and what each of the five modes
//! would mean here.
//!
//! The reasoning is the forum thread's (reference `001_*`): mTLS as a network
//! level control needs no PKI realm and works on Basic; identity by
//! certificate needs the PKI realm, a paid feature. On Basic, Elasticsearch
//! starts normally and silently skips a configured PKI realm (facts §4.4), so
//! `pki` there is refused unless the user overrides it knowingly.
//!
//! No I/O: the license comes from the caller (answered, or detected with
//! `GET /_license` by whoever has an HTTP client). Every sentence a user reads
//! is in [`strings`], so the wizard, `esmtls guide` and `esmtls plan` say the
//! same thing.

use std::fmt;

use serde::Serialize;

use super::mode::{License, Mode};

/// Every user-facing sentence of the guide, in one place.
pub mod strings {
    use super::{License, Mode};

    // ---- questions (for the wizard) ----

    /// The first question.
    pub const Q_REQUIRE_MTLS: &str = "Must every connection to Elasticsearch present a TLS client certificate (a policy that mandates mTLS)?";
    /// The second question.
    pub const Q_CERT_IDENTITY: &str =
        "Must the client certificate itself be Kibana's identity, with no token or password?";

    // ---- no mTLS: token ----

    /// Why the service token.
    pub const TOKEN_ENROLLMENT: &str = "Kibana authenticates with a service account token for elastic/kibana over server TLS: it is what Kibana's own enrollment sets up.";
    /// Why not the password.
    pub const TOKEN_OVER_PASSWORD: &str = "A service token is preferred over the kibana_system password: it cannot be used to log in interactively, and it can be revoked on its own (DELETE /_security/service/elastic/kibana/credential/token/<name>) without touching any user.";
    /// The password stays possible.
    pub const PASSWORD_AVAILABLE: &str = "The kibana_system user and password (mode password) works as well, on every license, if you prefer it.";
    /// Why no client certificate.
    pub const NO_CERT_NEEDED: &str = "You don't really need a client certificate for Kibana if it uses a service token: mTLS adds little over server TLS + service token, except where policy mandates it.";

    // ---- mTLS required: mtls-token ----

    /// The thread's key sentence.
    pub const MTLS_NETWORK_CONTROL: &str = "Using mTLS as a network level control does not require a PKI realm and works with the Basic license: Elasticsearch sets client_authentication: required and trusts the CA that signed Kibana's certificate.";
    /// Kibana still authenticates with the token.
    pub const MTLS_TOKEN_AUTH: &str = "Kibana still authenticates with the service token: the certificate is the network layer control, the token the application level authentication and authorization.";
    /// What mTLS adds.
    pub const MTLS_ADDS_LITTLE: &str = "mTLS does not provide much extra security compared to server TLS + service token; choose it where your environment mandates it.";
    /// The token over the password, for the mTLS modes.
    pub const MTLS_TOKEN_OVER_PASSWORD: &str = "mtls-token is preferred over mtls-password for the same reasons a token is preferred over the kibana_system password: no interactive login, revocable on its own.";
    /// The cost of `required`.
    pub const REQUIRED_APPLIES_TO_ALL: &str = "client_authentication: required applies to every HTTP client of Elasticsearch, not only Kibana: Beats, Logstash, Fleet Server (8.13 or later needed), Elastic Agent and curl then all need a client certificate signed by a CA Elasticsearch trusts.";
    /// An mtls-* mode with `client_authentication: optional`.
    pub const MTLS_OPTIONAL: &str = "client_authentication: optional (from the answers): Elasticsearch asks for a client certificate but still accepts connections without one, so the mTLS network control is lost — any client that can reach port 9200 may connect and try credentials. Kibana still presents its certificate (alwaysPresentCertificate: true), and the verification no longer checks that a connection without one is refused. Leave `elasticsearch.client_authentication: auto` for required.";
    /// alwaysPresentCertificate for `required`.
    pub const REQUIRED_ALWAYS_PRESENT: &str = "Kibana gets elasticsearch.ssl.alwaysPresentCertificate: true, since with required it must present its certificate on every connection, including requests proxied for users.";

    // ---- cert identity: pki ----

    /// Identity by certificate needs the PKI realm.
    pub const CERT_IDENTITY_NEEDS_PKI: &str = "Identity by certificate needs the PKI realm and a role mapping from the certificate's DN to kibana_system (steps 3 and 6 of Elastic's guide); that goes beyond mTLS, which is only the network level control.";
    /// The PKI realm is paid.
    pub const PKI_IS_PAID: &str = "The PKI realm is a paid feature: \"Gold\" in Elasticsearch's code, Platinum or Enterprise in practice (Gold is no longer sold), or a 30-day trial.";
    /// PKI settings that differ from the mTLS modes.
    pub const PKI_OPTIONAL: &str = "client_authentication stays optional (other clients may connect without a certificate) and alwaysPresentCertificate stays false, so requests Kibana proxies for logged-in users are not run as Kibana.";
    /// PKI and a policy that requires mTLS.
    pub const PKI_NOT_REQUIRED: &str = "You asked for mTLS to be required, but pki uses client_authentication: optional, so Elasticsearch does not refuse connections without a certificate. Requiring it would need alwaysPresentCertificate: true, which with a PKI realm can run users' proxied requests as Kibana. If policy mandates a certificate on every connection, choose mtls-token.";
    /// Trial expiry.
    pub const TRIAL_EXPIRES: &str = "A trial license lasts 30 days. When it ends and the cluster falls back to Basic, Elasticsearch disables the PKI realm (\"The [pki.realm1] realm has been automatically disabled due to a change in license\") and Kibana loses its connection: buy a license or move to mtls-token before then.";

    // ---- cert identity without the license ----

    /// The log line Elasticsearch writes on Basic.
    pub const SKIPPED_LOG_LINE: &str =
        "Realms [pki/realm1] were skipped because they are not permitted on the current license";
    /// How to get a license that allows PKI.
    pub const GET_A_LICENSE: &str = "To use pki, start a trial (POST /_license/start_trial?acknowledge=true) or upgrade to Platinum or Enterprise, then choose again.";
    /// How to check the license.
    pub const CHECK_LICENSE: &str = "Check the license with GET /_license (license.type); `esmtls plan` reads it itself when the cluster is reachable.";
    /// The license is unknown.
    pub const LICENSE_UNKNOWN: &str = "The license is unknown: `esmtls plan` detects it with GET /_license when the cluster is reachable.";
    /// How to override.
    pub const HOW_TO_OVERRIDE: &str = "To write the PKI configuration anyway, set allow_unlicensed_pki: true in the answers file or pass --allow-unlicensed-pki.";

    /// The mtls-token fallback, when the PKI realm is not (known to be) allowed.
    pub fn mtls_token_instead(license: Option<License>) -> String {
        let why = match license {
            Some(l) => format!("the {l} license does not permit the PKI realm"),
            None => "the license is unknown and may not permit the PKI realm".to_string(),
        };
        format!(
            "Because {why}, esmtls recommends mtls-token: Kibana presents its client certificate as a network level control (client_authentication: required) and authenticates with the service token. This works on every license."
        )
    }

    /// The license allows PKI.
    pub fn pki_allowed(license: License) -> String {
        format!("This cluster's {license} license permits the PKI realm.")
    }

    /// Why `pki` is not available, for the table.
    pub fn pki_not_permitted(license: License) -> String {
        format!(
            "the PKI realm is not permitted on the {license} license (Platinum, Enterprise or trial needed)"
        )
    }

    /// Why `pki` availability is unknown, for the table.
    pub const PKI_UNKNOWN: &str = "the license is unknown; check it with GET /_license (Platinum, Enterprise or trial needed)";

    /// The silent-skip warning, for `pki` chosen on a license that does not permit it.
    pub fn silent_skip(license: Option<License>) -> String {
        let lead = match license {
            Some(l) => format!("The {l} license does not permit the PKI realm."),
            None => "The license is unknown; if it is Basic, the PKI realm is not permitted."
                .to_string(),
        };
        format!(
            "{lead} Elasticsearch will start normally and silently skip the PKI realm, logging only \"{SKIPPED_LOG_LINE}\", so Kibana gets 401 \"missing authentication credentials\" and cannot connect."
        )
    }

    /// The override was used.
    pub const OVERRIDDEN: &str = "pki was chosen with allow_unlicensed_pki / --allow-unlicensed-pki, against the license check.";

    /// The refusal of `pki` on a license that does not permit it.
    pub fn pki_refused(license: License) -> String {
        format!(
            "mode pki needs the PKI realm, which the {license} license does not permit. {} Choose mtls-token instead (client certificate as a network level control + service token, works on Basic), or start a trial (POST /_license/start_trial?acknowledge=true) or upgrade to Platinum or Enterprise. {HOW_TO_OVERRIDE} This is a bad idea: nothing fails at setup time, Kibana just cannot authenticate until the license changes.",
            silent_skip(Some(license))
        )
    }

    /// What Kibana authenticates with, short, for the table ([`Mode::summary`] is the long form).
    pub fn authenticates_with(mode: Mode) -> &'static str {
        match mode {
            Mode::Token => "service token",
            Mode::Password => "kibana_system password",
            Mode::MtlsToken => "cert (network) + token",
            Mode::MtlsPassword => "cert (network) + password",
            Mode::Pki => "cert as identity (PKI)",
        }
    }

    /// The license a mode needs, short, for the table ([`Mode::license_text`] is the long form).
    pub fn license_short(mode: Mode) -> &'static str {
        match mode {
            Mode::Pki => "Platinum/Enterprise/trial",
            _ => "Basic",
        }
    }
}

/// Where the license came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "lowercase")]
pub enum LicenseSource {
    /// Read with `GET /_license` from the cluster at `url`.
    Detected {
        /// The cluster's URL.
        url: String,
    },
    /// Given by the user (answers file, `--license`, a wizard question).
    Answered,
    /// Nobody knows.
    Unknown,
}

/// What the guide is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuideInput {
    /// The cluster's license, if known.
    pub license: Option<License>,
    /// Where `license` came from.
    pub license_source: LicenseSource,
    /// Must every connection present a client certificate?
    pub require_mtls: bool,
    /// Must the certificate be Kibana's identity?
    pub cert_identity: bool,
    /// Allow `pki` on a license that does not permit it (`allow_unlicensed_pki`).
    pub override_pki: bool,
}

/// Whether a mode can work on this cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "lowercase")]
pub enum Availability {
    /// It works here.
    Yes,
    /// It cannot work here; why.
    No(String),
    /// It depends on what is not known; what to check.
    Unknown(String),
}

impl Availability {
    /// The short word: yes, no, unknown.
    pub fn word(&self) -> &'static str {
        match self {
            Availability::Yes => "yes",
            Availability::No(_) => "no",
            Availability::Unknown(_) => "unknown",
        }
    }

    /// The reason, if any.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Availability::Yes => None,
            Availability::No(r) | Availability::Unknown(r) => Some(r),
        }
    }
}

/// One row of the five-mode table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModeOption {
    /// The mode.
    pub mode: Mode,
    /// What Kibana authenticates with, short.
    pub authenticates_with: &'static str,
    /// True when Kibana presents a client certificate.
    pub client_cert: bool,
    /// `xpack.security.http.ssl.client_authentication` for the mode.
    pub client_authentication: Option<&'static str>,
    /// The license the mode needs, as said in tables.
    pub license_needed: &'static str,
    /// Whether it can work on this cluster.
    pub available: Availability,
    /// The recommended (or, with the override, chosen) one.
    pub recommended: bool,
}

/// The guide's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recommendation {
    /// The recommended mode.
    pub mode: Mode,
    /// Why, in plain sentences.
    pub reasons: Vec<String>,
    /// What to watch out for with that mode on this cluster.
    pub warnings: Vec<String>,
    /// All five modes, in [`Mode::ALL`] order.
    pub options: Vec<ModeOption>,
}

/// A mode that cannot be chosen as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuideError {
    /// `pki` on a license without the PKI realm, without the override.
    PkiNotPermitted {
        /// The cluster's license.
        license: License,
    },
}

impl fmt::Display for GuideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GuideError::PkiNotPermitted { license } => f.write_str(&strings::pki_refused(*license)),
        }
    }
}

impl std::error::Error for GuideError {}

/// Whether `mode` can be used with `license`, and its warnings. The planner
/// calls this for the mode in the answers; [`recommend`] for the one it picks.
///
/// `pki` on a license that does not permit the PKI realm is an error unless
/// `override_pki`, which turns it into the silent-skip warning. An unknown
/// license is not an error: the warning says how to check it.
pub fn check_choice(
    mode: Mode,
    license: Option<License>,
    override_pki: bool,
) -> Result<Vec<String>, GuideError> {
    use strings::*;
    let mut w = Vec::new();
    match mode {
        Mode::Pki => match license {
            Some(l) if !l.allows_pki() => {
                if !override_pki {
                    return Err(GuideError::PkiNotPermitted { license: l });
                }
                w.push(OVERRIDDEN.to_string());
                w.push(silent_skip(Some(l)));
                w.push(GET_A_LICENSE.to_string());
            }
            Some(License::Trial) => w.push(TRIAL_EXPIRES.to_string()),
            Some(_) => {}
            None => {
                w.push(silent_skip(None));
                w.push(CHECK_LICENSE.to_string());
            }
        },
        Mode::MtlsToken | Mode::MtlsPassword => {
            w.push(REQUIRED_APPLIES_TO_ALL.to_string());
            w.push(REQUIRED_ALWAYS_PRESENT.to_string());
        }
        Mode::Token | Mode::Password => {}
    }
    Ok(w)
}

/// The recommended mode for `input`, with reasons, warnings and the table of all five.
pub fn recommend(input: &GuideInput) -> Recommendation {
    use strings::*;
    let license = input.license;
    let s = |t: &str| t.to_string();
    let mut reasons: Vec<String> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();

    let mode = if input.cert_identity {
        reasons.push(s(CERT_IDENTITY_NEEDS_PKI));
        reasons.push(s(PKI_IS_PAID));
        match license {
            Some(l) if l.allows_pki() => {
                reasons.push(pki_allowed(l));
                reasons.push(s(PKI_OPTIONAL));
                if input.require_mtls {
                    warnings.push(s(PKI_NOT_REQUIRED));
                }
                Mode::Pki
            }
            _ if input.override_pki => {
                reasons.push(s(PKI_OPTIONAL));
                if input.require_mtls {
                    warnings.push(s(PKI_NOT_REQUIRED));
                }
                Mode::Pki
            }
            Some(_) => {
                reasons.push(mtls_token_instead(license));
                reasons.push(s(GET_A_LICENSE));
                Mode::MtlsToken
            }
            None => {
                reasons.push(mtls_token_instead(None));
                reasons.push(s(CHECK_LICENSE));
                reasons.push(s(GET_A_LICENSE));
                Mode::MtlsToken
            }
        }
    } else if input.require_mtls {
        reasons.push(s(MTLS_NETWORK_CONTROL));
        reasons.push(s(MTLS_TOKEN_AUTH));
        reasons.push(s(MTLS_ADDS_LITTLE));
        reasons.push(s(MTLS_TOKEN_OVER_PASSWORD));
        Mode::MtlsToken
    } else {
        reasons.push(s(TOKEN_ENROLLMENT));
        reasons.push(s(TOKEN_OVER_PASSWORD));
        reasons.push(s(PASSWORD_AVAILABLE));
        reasons.push(s(NO_CERT_NEEDED));
        Mode::Token
    };

    // The recommended mode passed the license check above, or was overridden.
    warnings.extend(check_choice(mode, license, input.override_pki).unwrap_or_default());

    let options = Mode::ALL
        .into_iter()
        .map(|m| ModeOption {
            mode: m,
            authenticates_with: authenticates_with(m),
            client_cert: m.client_cert(),
            client_authentication: m.client_authentication(),
            license_needed: m.license_text(),
            available: availability(m, license),
            recommended: m == mode,
        })
        .collect();

    Recommendation {
        mode,
        reasons,
        warnings,
        options,
    }
}

/// Whether `mode` works on `license` (unknown when the license is).
pub fn availability(mode: Mode, license: Option<License>) -> Availability {
    if mode != Mode::Pki {
        return Availability::Yes;
    }
    match license {
        Some(l) if mode.allowed_on(l) => Availability::Yes,
        Some(l) => Availability::No(strings::pki_not_permitted(l)),
        None => Availability::Unknown(strings::PKI_UNKNOWN.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LICENSES: [Option<License>; 7] = [
        None,
        Some(License::Basic),
        Some(License::Standard),
        Some(License::Gold),
        Some(License::Platinum),
        Some(License::Enterprise),
        Some(License::Trial),
    ];

    fn input(
        license: Option<License>,
        require_mtls: bool,
        cert_identity: bool,
        override_pki: bool,
    ) -> GuideInput {
        GuideInput {
            license,
            license_source: if license.is_some() {
                LicenseSource::Answered
            } else {
                LicenseSource::Unknown
            },
            require_mtls,
            cert_identity,
            override_pki,
        }
    }

    fn any(v: &[String], needle: &str) -> bool {
        v.iter().any(|s| s.contains(needle))
    }

    /// Every combination of the two questions × each license × the override.
    #[test]
    fn recommend_table() {
        for license in LICENSES {
            let paid = license.is_some_and(License::allows_pki);
            for require_mtls in [false, true] {
                for cert_identity in [false, true] {
                    for override_pki in [false, true] {
                        let i = input(license, require_mtls, cert_identity, override_pki);
                        let r = recommend(&i);
                        let expected = match (require_mtls, cert_identity) {
                            (false, false) => Mode::Token,
                            (true, false) => Mode::MtlsToken,
                            (_, true) if paid || override_pki => Mode::Pki,
                            (_, true) => Mode::MtlsToken,
                        };
                        let ctx = format!("{i:?}");
                        assert_eq!(r.mode, expected, "{ctx}");
                        assert!(!r.reasons.is_empty(), "{ctx}");

                        // The table: five rows, in order, exactly one recommended.
                        let modes: Vec<Mode> = r.options.iter().map(|o| o.mode).collect();
                        assert_eq!(modes, Mode::ALL, "{ctx}");
                        let rec: Vec<Mode> = r
                            .options
                            .iter()
                            .filter(|o| o.recommended)
                            .map(|o| o.mode)
                            .collect();
                        assert_eq!(rec, [expected], "{ctx}");
                        for o in &r.options {
                            assert_eq!(o.client_cert, o.mode.client_cert());
                            let want = match (o.mode, license) {
                                (Mode::Pki, None) => "unknown",
                                (Mode::Pki, Some(_)) if !paid => "no",
                                _ => "yes",
                            };
                            assert_eq!(o.available.word(), want, "{ctx} {:?}", o.mode);
                        }

                        // Reasons and warnings per case.
                        match expected {
                            Mode::Token => {
                                assert!(any(&r.reasons, "enrollment"), "{ctx}");
                                assert!(any(&r.reasons, "revoked"), "{ctx}");
                                assert!(any(&r.reasons, "log in interactively"), "{ctx}");
                                assert!(any(&r.reasons, "kibana_system user and password"));
                                assert!(r.warnings.is_empty(), "{ctx}");
                            }
                            Mode::MtlsToken if !cert_identity => {
                                assert!(any(&r.reasons, "does not require a PKI realm"));
                                assert!(any(&r.reasons, "works with the Basic license"));
                                assert!(any(
                                    &r.reasons,
                                    "still authenticates with the service token"
                                ));
                                assert!(any(&r.reasons, "mandates"));
                                assert!(any(&r.warnings, "Fleet Server (8.13"), "{ctx}");
                                assert!(any(&r.warnings, "alwaysPresentCertificate: true"));
                            }
                            Mode::MtlsToken => {
                                assert!(any(&r.reasons, "needs the PKI realm"), "{ctx}");
                                assert!(any(&r.reasons, "recommends mtls-token"), "{ctx}");
                                assert!(any(&r.reasons, "start_trial?acknowledge=true"));
                                assert_eq!(
                                    license.is_none(),
                                    any(&r.reasons, "GET /_license"),
                                    "{ctx}"
                                );
                                assert!(any(&r.warnings, "Beats, Logstash"), "{ctx}");
                                assert!(!any(&r.warnings, strings::SKIPPED_LOG_LINE));
                            }
                            Mode::Pki => {
                                assert!(any(&r.reasons, "paid feature"), "{ctx}");
                                assert!(any(&r.reasons, "alwaysPresentCertificate stays false"));
                                assert!(any(&r.reasons, "optional"));
                                // The silent skip is said exactly when the license
                                // does not (or may not) permit the realm.
                                assert_eq!(
                                    any(&r.warnings, strings::SKIPPED_LOG_LINE),
                                    !paid,
                                    "{ctx}"
                                );
                                if !paid {
                                    assert!(any(&r.warnings, "missing authentication credentials"));
                                }
                                assert_eq!(
                                    any(&r.warnings, "30 days"),
                                    license == Some(License::Trial),
                                    "{ctx}"
                                );
                                assert_eq!(
                                    any(&r.warnings, "mTLS to be required"),
                                    require_mtls,
                                    "{ctx}"
                                );
                            }
                            _ => unreachable!(),
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn check_choice_pki() {
        // Basic and Standard: refused without the override, with the way to override.
        for l in [License::Basic, License::Standard] {
            let e = check_choice(Mode::Pki, Some(l), false).unwrap_err();
            assert_eq!(e, GuideError::PkiNotPermitted { license: l });
            let msg = e.to_string();
            for needle in [
                "allow_unlicensed_pki: true",
                "--allow-unlicensed-pki",
                "bad idea",
                strings::SKIPPED_LOG_LINE,
                "missing authentication credentials",
                "mtls-token",
                "start_trial",
            ] {
                assert!(msg.contains(needle), "{needle:?} missing in {msg}");
            }
            let w = check_choice(Mode::Pki, Some(l), true).unwrap();
            assert!(any(&w, "silently skip"));
            assert!(any(&w, strings::SKIPPED_LOG_LINE));
        }
        // Paid: fine; trial says it expires.
        for l in [License::Gold, License::Platinum, License::Enterprise] {
            assert_eq!(
                check_choice(Mode::Pki, Some(l), false).unwrap(),
                Vec::<String>::new()
            );
        }
        assert!(any(
            &check_choice(Mode::Pki, Some(License::Trial), false).unwrap(),
            "30 days"
        ));
        // Unknown: not an error, but the warning and how to check.
        let w = check_choice(Mode::Pki, None, false).unwrap();
        assert!(any(&w, "GET /_license") && any(&w, "silently skip"));
    }

    #[test]
    fn check_choice_other_modes() {
        for l in LICENSES {
            for o in [false, true] {
                assert!(check_choice(Mode::Token, l, o).unwrap().is_empty());
                assert!(check_choice(Mode::Password, l, o).unwrap().is_empty());
                for m in [Mode::MtlsToken, Mode::MtlsPassword] {
                    let w = check_choice(m, l, o).unwrap();
                    assert!(any(&w, "every HTTP client"), "{m} {l:?}");
                }
            }
        }
    }

    #[test]
    fn json_shape() {
        let r = recommend(&input(Some(License::Basic), false, true, false));
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["mode"], "mtls-token");
        assert_eq!(v["options"][4]["mode"], "pki");
        assert_eq!(v["options"][4]["available"]["status"], "no");
        assert!(v["options"][4]["available"]["reason"].is_string());
        assert_eq!(
            v["options"][0]["available"],
            serde_json::json!({"status": "yes"})
        );
        assert_eq!(v["options"][2]["client_authentication"], "required");
        let src = serde_json::to_value(LicenseSource::Detected {
            url: "https://es:9200".into(),
        })
        .unwrap();
        assert_eq!(
            src,
            serde_json::json!({"source": "detected", "url": "https://es:9200"})
        );
    }
}
