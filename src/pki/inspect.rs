//! What is in a certificate file: the facts an operator needs, in one struct
//! that both the human table and `--json` print.
//!
//! The subject is given as Elasticsearch sees it (`X500Principal.toString()`,
//! the `pki_dn` a role mapping must match) and in RFC 2253 form.

use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::public_key::PublicKey;

use super::pkcs12::{self, Algorithms};
use super::{PkiError, Result, build, dn};

/// One certificate's facts.
#[derive(Debug, Clone, Serialize)]
pub struct CertInfo {
    /// Subject as Elasticsearch's PKI realm reports it (`pki_dn`).
    pub subject: String,
    /// Subject in RFC 2253 form (most specific first, no spaces).
    pub subject_rfc2253: String,
    /// Issuer, as `subject`.
    pub issuer: String,
    /// Serial number, lowercase hex.
    pub serial: String,
    /// Subject alternative names (`DNS:x`, `IP:y`, ...).
    pub sans: Vec<String>,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// Days until `not_after`, counted by [`days_left`] (negative when expired).
    pub days_left: i64,
    /// `RSA`, `EC`, `Ed25519`, ...
    pub key_type: String,
    /// Key size in bits (RSA modulus, EC curve size).
    pub key_bits: usize,
    /// Extended key usages (`serverAuth`, `clientAuth`, ...); empty when unrestricted.
    pub eku: Vec<String>,
    /// basicConstraints CA:TRUE.
    pub is_ca: bool,
    /// SHA-256 of the DER, colon-separated uppercase hex (as keytool and openssl print it).
    pub sha256: String,
}

/// True when `host` is one of `sans` (as [`CertInfo::sans`] spells them):
/// an `IP:` entry equal to it, or a `DNS:` entry equal to it ignoring case,
/// where a leading `*.` stands for exactly one non-empty label.
pub fn san_matches(sans: &[String], host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return sans.iter().any(|s| {
            s.strip_prefix("IP:")
                .and_then(|v| v.parse::<std::net::IpAddr>().ok())
                == Some(ip)
        });
    }
    sans.iter().filter_map(|s| s.strip_prefix("DNS:")).any(|d| {
        let d = d.to_ascii_lowercase();
        match d.strip_prefix("*.") {
            Some(base) => host
                .split_once('.')
                .is_some_and(|(first, rest)| !first.is_empty() && rest == base),
            None => d == host,
        }
    })
}

/// Days from `now` until `not_after`, counted as an operator counts them —
/// the one rule for `status`, `doctor`, `renew`, `cert inspect`, the planner
/// and the wizard. A started day counts as a day: a certificate issued now
/// for 3 days has 3 days left (not 2, which truncating 2 days 23 h 59 min
/// would give), and one with an hour left has 1 — never 0, so a valid
/// certificate is always positive. An expired one is negative by the whole
/// days since it expired, at least 1: expired 3 days 5 hours ago is -3.
pub fn days_left(not_after: time::OffsetDateTime, now: time::OffsetDateTime) -> i64 {
    const DAY: i64 = 86_400;
    let secs = (not_after - now).whole_seconds();
    if secs > 0 {
        (secs + DAY - 1) / DAY
    } else {
        -((-secs) / DAY).max(1)
    }
}

/// The words for [`days_left`]: `expires in 3 day(s)`, `expired 2 day(s) ago`.
pub fn days_left_words(days: i64) -> String {
    if days < 0 {
        format!("expired {} day(s) ago", -days)
    } else {
        format!("expires in {days} day(s)")
    }
}

/// Reads one DER certificate.
pub fn cert_info(der: &[u8]) -> Result<CertInfo> {
    let (_, c) = build::parse(der)?;
    let mut sans = Vec::new();
    let mut eku = Vec::new();
    for ext in c.iter_extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(s) => {
                for n in &s.general_names {
                    sans.push(match n {
                        GeneralName::DNSName(d) => format!("DNS:{d}"),
                        GeneralName::IPAddress(b) => format!("IP:{}", ip_string(b)),
                        GeneralName::RFC822Name(e) => format!("email:{e}"),
                        GeneralName::URI(u) => format!("URI:{u}"),
                        other => format!("{other}"),
                    });
                }
            }
            ParsedExtension::ExtendedKeyUsage(e) => {
                let flags = [
                    (e.any, "any"),
                    (e.server_auth, "serverAuth"),
                    (e.client_auth, "clientAuth"),
                    (e.code_signing, "codeSigning"),
                    (e.email_protection, "emailProtection"),
                    (e.time_stamping, "timeStamping"),
                    (e.ocsp_signing, "OCSPSigning"),
                ];
                eku.extend(
                    flags
                        .iter()
                        .filter(|(on, _)| *on)
                        .map(|(_, n)| n.to_string()),
                );
                eku.extend(e.other.iter().map(|o| o.to_id_string()));
            }
            _ => {}
        }
    }
    let (key_type, key_bits) = match c.public_key().parsed() {
        Ok(PublicKey::RSA(r)) => ("RSA".to_string(), r.key_size()),
        Ok(PublicKey::EC(p)) => ("EC".to_string(), p.key_size()),
        Ok(PublicKey::Unknown(_))
            if c.public_key().algorithm.algorithm.to_id_string() == "1.3.101.112" =>
        {
            ("Ed25519".into(), 256)
        }
        _ => (c.public_key().algorithm.algorithm.to_id_string(), 0),
    };
    let not_after = c.validity().not_after.to_datetime();
    let now = time::OffsetDateTime::now_utc();
    Ok(CertInfo {
        subject: dn::java_string(c.subject()),
        subject_rfc2253: dn::rfc2253(c.subject()),
        issuer: dn::java_string(c.issuer()),
        serial: hex::encode(c.raw_serial()),
        sans,
        not_before: rfc3339(c.validity().not_before.to_datetime()),
        not_after: rfc3339(not_after),
        days_left: days_left(not_after, now),
        key_type,
        key_bits,
        eku,
        is_ca: c.is_ca(),
        sha256: fingerprint(der),
    })
}

/// SHA-256 fingerprint, `AB:CD:...`.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

fn ip_string(b: &[u8]) -> String {
    match b.len() {
        4 => std::net::Ipv4Addr::from([b[0], b[1], b[2], b[3]]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            std::net::Ipv6Addr::from(a).to_string()
        }
        _ => hex::encode(b),
    }
}

/// The role of a certificate inside a file.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The certificate of a private key in the file.
    KeyCertificate,
    /// An issuer in a key's chain.
    Chain,
    /// A Java trusted-certificate entry (a truststore CA).
    Trusted,
    /// A certificate in a PEM/DER file, or an unattached one in a PKCS#12.
    Certificate,
}

/// One entry of a file.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// PKCS#12 alias, when there is one.
    pub alias: Option<String>,
    /// Its role.
    pub role: Role,
    /// The certificate.
    pub certificate: CertInfo,
}

/// A whole file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The path as given.
    pub file: String,
    /// `pem`, `der` or `pkcs12`.
    pub format: &'static str,
    /// Private keys in the file (a PEM key block, or PKCS#12 key entries).
    pub private_keys: usize,
    /// The certificates.
    pub entries: Vec<Entry>,
    /// For PKCS#12: the algorithms.
    pub pkcs12: Option<Algorithms>,
    /// For PKCS#12 when the password was missing or wrong: why entries are not listed.
    pub locked: Option<String>,
}

/// Inspects file content. `password` is called only for a PKCS#12 that the
/// empty password does not open; returning `None` lists the algorithms only.
pub fn inspect_bytes(
    file: &str,
    bytes: &[u8],
    password: &mut dyn FnMut() -> Option<crate::secret::Secret>,
) -> Result<FileReport> {
    if super::pem::is_pem(bytes) {
        let blocks = super::pem::parse_all(bytes, file)?;
        let certs = super::pem::certificates(&blocks);
        let keys = blocks
            .iter()
            .filter(|b| b.tag.ends_with("PRIVATE KEY"))
            .count();
        if certs.is_empty() && keys == 0 {
            return Err(PkiError::Unreadable {
                file: file.into(),
                what: "certificate file",
                reason: "no CERTIFICATE or PRIVATE KEY block".into(),
            });
        }
        let entries = certs
            .iter()
            .map(|d| {
                Ok(Entry {
                    alias: None,
                    role: Role::Certificate,
                    certificate: cert_info(d).map_err(|e| rename(e, file))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        return Ok(FileReport {
            file: file.into(),
            format: "pem",
            private_keys: keys,
            entries,
            pkcs12: None,
            locked: None,
        });
    }
    if x509_parser::parse_x509_certificate(bytes).is_ok() {
        let entries = vec![Entry {
            alias: None,
            role: Role::Certificate,
            certificate: cert_info(bytes)?,
        }];
        return Ok(FileReport {
            file: file.into(),
            format: "der",
            private_keys: 0,
            entries,
            pkcs12: None,
            locked: None,
        });
    }
    let algs = pkcs12::algorithms(bytes, file).map_err(|_| PkiError::Unreadable {
        file: file.into(),
        what: "certificate file",
        reason: "it is neither PEM, DER nor PKCS#12 (or it is truncated)".into(),
    })?;
    let contents = match pkcs12::read(bytes, "", file) {
        Ok(c) => Some(c),
        Err(PkiError::WrongPassword { .. }) => match password() {
            Some(pw) => Some(pkcs12::read(bytes, pw.expose(), file)?),
            None => None,
        },
        Err(e) => return Err(e),
    };
    let Some(contents) = contents else {
        return Ok(FileReport {
            file: file.into(),
            format: "pkcs12",
            private_keys: 0,
            entries: vec![],
            pkcs12: Some(algs),
            locked: Some("password needed to list the entries (--password-file, --password-stdin, or a terminal prompt)".into()),
        });
    };
    let mut entries = Vec::new();
    for k in &contents.keys {
        for (i, d) in k.chain.iter().enumerate() {
            let role = if i == 0 {
                Role::KeyCertificate
            } else {
                Role::Chain
            };
            entries.push(Entry {
                alias: Some(k.alias.clone()),
                role,
                certificate: cert_info(d)?,
            });
        }
    }
    for c in &contents.certs {
        if !c.trusted && contents.keys.iter().any(|k| k.chain.contains(&c.der)) {
            continue;
        }
        let role = if c.trusted {
            Role::Trusted
        } else {
            Role::Certificate
        };
        entries.push(Entry {
            alias: c.alias.clone(),
            role,
            certificate: cert_info(&c.der)?,
        });
    }
    Ok(FileReport {
        file: file.into(),
        format: "pkcs12",
        private_keys: contents.keys.len(),
        entries,
        pkcs12: Some(algs),
        locked: None,
    })
}

fn rename(e: PkiError, file: &str) -> PkiError {
    match e {
        PkiError::Unreadable { what, reason, .. } => PkiError::Unreadable {
            file: file.into(),
            what,
            reason,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::{Duration, OffsetDateTime};

    #[test]
    fn days_are_counted_as_an_operator_counts_them() {
        let now = OffsetDateTime::now_utc();
        let left = |d: Duration| days_left(now + d, now);
        // Issued now for 3 days, read a moment later: 3, not 2.
        assert_eq!(left(Duration::days(3) - Duration::seconds(1)), 3);
        assert_eq!(left(Duration::days(3)), 3);
        assert_eq!(left(Duration::days(2) + Duration::hours(1)), 3);
        assert_eq!(left(Duration::hours(1)), 1);
        assert_eq!(left(Duration::seconds(1)), 1);
        // Expired: negative, by whole days since, at least one.
        assert_eq!(left(Duration::ZERO), -1);
        assert_eq!(left(-Duration::hours(1)), -1);
        assert_eq!(left(-(Duration::days(3) + Duration::hours(5))), -3);
        assert_eq!(days_left_words(3), "expires in 3 day(s)");
        assert_eq!(days_left_words(-3), "expired 3 day(s) ago");
    }

    #[test]
    fn a_certificate_issued_for_three_days_has_three_days_left() {
        let ca = build::new_ca(&super::super::CaSpec {
            key: super::super::KeyType::EcP256,
            ..Default::default()
        })
        .unwrap();
        let ca = build::CaMaterial {
            cert_der: ca.cert_der,
            key: ca.key,
            chain_der: Vec::new(),
        };
        let spec = build::LeafSpec {
            name: "kibana".into(),
            dns: vec!["kibana.local".into()],
            ips: Vec::new(),
            usage: build::Usage::Client,
            days: 3,
            key: super::super::KeyType::EcP256,
        };
        let leaf = build::issue(&spec, &ca).unwrap();
        assert_eq!(cert_info(&leaf.cert_der).unwrap().days_left, 3);
    }
}
