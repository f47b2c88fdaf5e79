//! Certificate builders: a CA, and leaves signed by a CA.
//!
//! Invariants: serials are 159-bit random positive integers (rcgen's default
//! derives the serial from the key, so a re-issue with the same key would repeat
//! it); validity starts five minutes in the past so hosts with a slightly slow
//! clock accept a fresh certificate; every certificate has a SubjectKeyIdentifier
//! and an AuthorityKeyIdentifier that equals the issuer's SKI (taken from the CA
//! certificate itself when it has one, so CAs made by certutil or OpenSSL chain
//! correctly); the issuer name is the CA's subject byte for byte, checked after
//! issuing.

use std::net::IpAddr;

use rand::Rng;
use rcgen::{
    BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PublicKeyData, SanType, SerialNumber,
};
use time::{Duration, OffsetDateTime};

use super::dn::{self, Dn};
use super::{KeyType, PkiError, Result, crypto, names};

/// What a leaf certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Usage {
    /// TLS client (extendedKeyUsage clientAuth): Kibana's certificate.
    Client,
    /// TLS server (extendedKeyUsage serverAuth): Elasticsearch's HTTP certificate.
    Server,
}

/// A new certificate authority.
#[derive(Debug, Clone)]
pub struct CaSpec {
    /// The CA's DN (default `CN=esmtls CA`).
    pub dn: String,
    /// Validity in days (default 1825).
    pub days: u32,
    /// Key type (default rsa2048).
    pub key: KeyType,
}

impl Default for CaSpec {
    fn default() -> Self {
        CaSpec {
            dn: "CN=esmtls CA".into(),
            days: 1825,
            key: KeyType::Rsa2048,
        }
    }
}

/// A certificate signed by a CA.
#[derive(Debug, Clone)]
pub struct LeafSpec {
    /// A common name, or a full DN when it contains `=`.
    pub name: String,
    /// DNS subject alternative names.
    pub dns: Vec<String>,
    /// IP subject alternative names.
    pub ips: Vec<IpAddr>,
    /// Client or server.
    pub usage: Usage,
    /// Validity in days (default 1095).
    pub days: u32,
    /// Key type (default rsa2048).
    pub key: KeyType,
}

/// A CA that can sign: its certificate and its key.
pub struct CaMaterial {
    /// The CA certificate, DER.
    pub cert_der: Vec<u8>,
    /// The CA's key pair.
    pub key: KeyPair,
    /// Certificates above the CA (intermediate → root), DER; empty for a root.
    pub chain_der: Vec<Vec<u8>>,
}

/// A freshly made certificate with its key.
pub struct Issued {
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    /// Its key pair (PKCS#8 via `serialize_der`).
    pub key: KeyPair,
    /// Things the operator should know (e.g. the leaf outlives its CA).
    pub warnings: Vec<String>,
}

/// Checks a validity in days: certutil's rule. The message names no flag
/// or key; the caller puts its own in front ([`PkiError::about`]).
pub fn check_days(days: u32) -> Result<()> {
    if days < 1 {
        return Err(PkiError::Invalid(
            "0 days: the certificate must be valid for at least one day".into(),
        ));
    }
    if days > 36500 {
        return Err(PkiError::Invalid(format!(
            "{days} days: more than 100 years is not a sensible validity"
        )));
    }
    Ok(())
}

/// Checks a DNS subject alternative name (letters, digits, hyphens, dots;
/// `*.` allowed first; at most 253 characters, labels at most 63). The reason
/// names no flag: `ip_key` says where IP addresses go (`--ip`, an answers
/// key), and the caller puts its own flag or key in front.
pub fn check_dns_name(name: &str, ip_key: &str) -> std::result::Result<(), String> {
    dns_name_problem(name, ip_key).map_or(Ok(()), |why| {
        Err(format!(
            "'{}' is not a valid DNS name: {why}",
            names::shown(name)
        ))
    })
}

fn dns_name_problem(name: &str, ip_key: &str) -> Option<String> {
    if let Err(why) = names::check_printable(name) {
        return Some(why);
    }
    let body = name.strip_prefix("*.").unwrap_or(name);
    if body.is_empty() {
        return Some("it is empty".into());
    }
    let n = name.chars().count();
    if n > 253 {
        return Some(format!(
            "it is {n} characters long; a DNS name has at most 253"
        ));
    }
    if let Some(why) = body.split('.').find_map(|l| label_problem(l, ip_key)) {
        return Some(why);
    }
    if body.parse::<IpAddr>().is_ok() {
        return Some(format!("this is an IP address; give it in {ip_key}"));
    }
    None
}

fn label_problem(label: &str, ip_key: &str) -> Option<String> {
    let n = label.chars().count();
    if label.is_empty() {
        Some("it has an empty label (two dots, or a dot at an end)".into())
    } else if n > 63 {
        let shown = names::shown(label);
        Some(format!(
            "the label '{shown}' is {n} characters long; a DNS label has at most 63"
        ))
    } else if !label
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Some(format!(
            "only letters, digits, '-' and '.' are allowed (IP addresses go in {ip_key})"
        ))
    } else if label.starts_with('-') || label.ends_with('-') {
        Some("a label cannot start or end with '-'".into())
    } else {
        None
    }
}

/// Parses one `--ip` value.
pub fn parse_ip(s: &str) -> Result<IpAddr> {
    s.trim().parse().map_err(|_| {
        PkiError::Invalid(format!(
            "--ip '{}' is not a valid IP address (e.g. 127.0.0.1 or ::1)",
            names::shown(s)
        ))
    })
}

fn random_serial() -> SerialNumber {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    bytes[0] &= 0x7f; // positive
    bytes[0] |= 0x40; // no leading zero byte, so the length is stable
    SerialNumber::from_slice(&bytes)
}

fn validity(params: &mut CertificateParams, days: u32) -> Result<()> {
    check_days(days)?;
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    params.not_before = now - Duration::minutes(5);
    params.not_after = now + Duration::days(i64::from(days));
    Ok(())
}

/// Makes a self-signed CA.
pub fn new_ca(spec: &CaSpec) -> Result<Issued> {
    dn::parse_name(&spec.dn)?;
    new_ca_with(spec, spec.key.generate()?)
}

/// Makes a self-signed CA with `key` (made beforehand, of `spec.key`'s type).
pub fn new_ca_with(spec: &CaSpec, key: KeyPair) -> Result<Issued> {
    let dn = dn::parse_name(&spec.dn)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = dn.to_rcgen()?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.serial_number = Some(random_serial());
    params.use_authority_key_identifier_extension = true;
    validity(&mut params, spec.days)?;
    let cert = params
        .self_signed(&key)
        .map_err(crypto("signing the CA certificate"))?;
    Ok(Issued {
        cert_der: cert.der().to_vec(),
        key,
        warnings: Vec::new(),
    })
}

/// The leaf's DN and its alias in a PKCS#12 (the CN).
pub fn leaf_dn(name: &str) -> Result<(Dn, String)> {
    let dn = dn::parse_name(name)?;
    let cn = dn
        .common_name()
        .ok_or_else(|| {
            PkiError::Invalid(format!(
                "'{}' has no CN; the CN names the key entry (e.g. CN=kibana,O=Example)",
                names::shown(name)
            ))
        })?
        .to_string();
    if cn.eq_ignore_ascii_case("ca") {
        return Err(PkiError::Invalid(
            "[ca] may not be used as an instance name: the CA entry is called 'ca'".into(),
        ));
    }
    Ok((dn, cn))
}

/// The DNS and IP subject alternative names of `spec`, checked.
pub(crate) fn sans(dns: &[String], ips: &[IpAddr]) -> Result<Vec<SanType>> {
    let mut sans = Vec::new();
    for d in dns {
        check_dns_name(d, "the IP SANs")
            .map_err(|why| PkiError::Invalid(format!("subject alternative name {why}")))?;
        sans.push(SanType::DnsName(d.as_str().try_into().map_err(|_| {
            PkiError::Invalid(format!("DNS name '{}' is not ASCII", names::shown(d)))
        })?));
    }
    sans.extend(ips.iter().map(|ip| SanType::IpAddress(*ip)));
    Ok(sans)
}

/// keyUsage for a leaf: RSA keys may also encipher (TLS 1.2 RSA key exchange).
pub(crate) fn leaf_key_usages(rsa: bool) -> Vec<KeyUsagePurpose> {
    if rsa {
        vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ]
    } else {
        vec![KeyUsagePurpose::DigitalSignature]
    }
}

/// extendedKeyUsage for a leaf.
pub(crate) fn leaf_eku(usage: Usage) -> ExtendedKeyUsagePurpose {
    match usage {
        Usage::Client => ExtendedKeyUsagePurpose::ClientAuth,
        Usage::Server => ExtendedKeyUsagePurpose::ServerAuth,
    }
}

/// The one leaf profile: what [`issue`] and [`super::csr::sign`] both sign.
/// basicConstraints CA:FALSE (critical), keyUsage, one EKU, the SANs, a
/// random serial, validity from five minutes ago, SKI and AKI.
pub(crate) fn leaf_params(
    subject: rcgen::DistinguishedName,
    sans: Vec<SanType>,
    usage: Usage,
    rsa: bool,
    days: u32,
) -> Result<CertificateParams> {
    let mut params = CertificateParams::default();
    params.distinguished_name = subject;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = leaf_key_usages(rsa);
    params.extended_key_usages = vec![leaf_eku(usage)];
    params.subject_alt_names = sans;
    params.serial_number = Some(random_serial());
    params.use_authority_key_identifier_extension = true;
    validity(&mut params, days)?;
    Ok(params)
}

/// Signs `params` for `public_key` with `ca`, refusing a result whose issuer
/// field is not the CA's subject byte for byte. Returns the DER and warnings.
pub(crate) fn sign_leaf(
    params: &CertificateParams,
    public_key: &impl PublicKeyData,
    ca: &CaMaterial,
) -> Result<(Vec<u8>, Vec<String>)> {
    let issuer = Issuer::from_ca_cert_der(&ca.cert_der.as_slice().into(), &ca.key)
        .map_err(|e| PkiError::BadCa(format!("cannot use the CA certificate: {e}")))?;
    let cert = params
        .signed_by(public_key, &issuer)
        .map_err(crypto("signing the certificate"))?;
    let cert_der = cert.der().to_vec();

    // The issuer field must be the CA's subject exactly, or chains will not build.
    let (_, leaf) = parse(&cert_der)?;
    let (_, ca_cert) = parse(&ca.cert_der)?;
    if leaf.issuer().as_raw() != ca_cert.subject().as_raw() {
        return Err(PkiError::BadCa(format!(
            "the CA's name '{}' cannot be reproduced exactly in the issuer field; re-create the CA with esmtls cert ca",
            dn::rfc2253(ca_cert.subject())
        )));
    }
    let mut warnings = Vec::new();
    if leaf.validity().not_after > ca_cert.validity().not_after {
        warnings.push(format!(
            "the certificate is valid until {} but its CA expires on {}; it stops working then (renew the CA first)",
            leaf.validity().not_after,
            ca_cert.validity().not_after
        ));
    }
    Ok((cert_der, warnings))
}

/// Issues a leaf certificate signed by `ca`.
pub fn issue(spec: &LeafSpec, ca: &CaMaterial) -> Result<Issued> {
    issue_with(spec, spec.key.generate()?, ca)
}

/// [`issue`] with a key made beforehand (of `spec.key`'s type), so keys can
/// be generated while the CA is still being made.
pub fn issue_with(spec: &LeafSpec, key: KeyPair, ca: &CaMaterial) -> Result<Issued> {
    let (dn, _) = leaf_dn(&spec.name)?;
    let sans = sans(&spec.dns, &spec.ips)?;
    let params = leaf_params(
        dn.to_rcgen()?,
        sans,
        spec.usage,
        spec.key.is_rsa(),
        spec.days,
    )?;
    let (cert_der, warnings) = sign_leaf(&params, &key, ca)?;
    Ok(Issued {
        cert_der,
        key,
        warnings,
    })
}

pub(crate) fn parse(der: &[u8]) -> Result<(&[u8], x509_parser::certificate::X509Certificate<'_>)> {
    x509_parser::parse_x509_certificate(der).map_err(|e| PkiError::Unreadable {
        file: "certificate".into(),
        what: "X.509 certificate",
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(usage: Usage, key: KeyType) -> LeafSpec {
        LeafSpec {
            name: "kibana".into(),
            dns: vec!["kibana.local".into()],
            ips: vec!["127.0.0.1".parse().unwrap()],
            usage,
            days: 30,
            key,
        }
    }

    #[test]
    fn ca_and_leaf_chain() {
        let ca = new_ca(&CaSpec {
            key: KeyType::EcP256,
            ..CaSpec::default()
        })
        .unwrap();
        let ca = CaMaterial {
            cert_der: ca.cert_der,
            key: ca.key,
            chain_der: vec![],
        };
        let l = issue(&leaf(Usage::Client, KeyType::EcP256), &ca).unwrap();
        let (_, c) = parse(&l.cert_der).unwrap();
        let (_, cac) = parse(&ca.cert_der).unwrap();
        assert!(cac.is_ca());
        assert!(!c.is_ca());
        assert_eq!(c.issuer().as_raw(), cac.subject().as_raw());
        let eku = c.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.client_auth && !eku.server_auth);
        let ski = cac
            .iter_extensions()
            .find_map(|e| match e.parsed_extension() {
                x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) => {
                    Some(k.0.to_vec())
                }
                _ => None,
            });
        let aki = c
            .iter_extensions()
            .find_map(|e| match e.parsed_extension() {
                x509_parser::extensions::ParsedExtension::AuthorityKeyIdentifier(k) => {
                    k.key_identifier.as_ref().map(|k| k.0.to_vec())
                }
                _ => None,
            });
        assert_eq!(ski, aki);
        assert!(c.verify_signature(Some(cac.public_key())).is_ok());
        assert!(l.warnings.is_empty());
    }

    #[test]
    fn dns_names_with_control_characters_are_refused_escaped() {
        for (c, shows) in [
            ('\0', "\\u{0}"),
            ('\n', "\\u{a}"),
            ('\u{1b}', "\\u{1b}"),
            ('\u{7f}', "\\u{7f}"),
            ('\u{90}', "\\u{90}"),
        ] {
            let e = check_dns_name(&format!("es{c}01.example.com"), "--ip").unwrap_err();
            assert!(e.contains("control character") && e.contains(shows), "{e}");
            assert!(!e.contains(c), "raw character in {e:?}");
        }
    }

    #[test]
    fn dns_name_and_label_lengths() {
        let label63 = "a".repeat(63);
        assert!(check_dns_name(&format!("{label63}.example.com"), "--ip").is_ok());
        let e = check_dns_name(&format!("{}a.example.com", label63), "--ip").unwrap_err();
        assert!(
            e.contains("64 characters long; a DNS label has at most 63"),
            "{e}"
        );
        let name253 = [label63.as_str(); 4].join(".")[..253].to_string();
        assert!(check_dns_name(&name253, "--ip").is_ok(), "{name253}");
        let e = check_dns_name(&format!("a{name253}"), "--ip").unwrap_err();
        assert!(
            e.contains("254 characters long; a DNS name has at most 253"),
            "{e}"
        );
        assert!(
            e.contains('…') && e.len() < 200,
            "the message cuts the name: {e}"
        );
    }

    #[test]
    fn dns_reasons_name_the_callers_ip_key() {
        for bad in ["10.0.0.1", "a b"] {
            let e = check_dns_name(bad, "`client_certificate.ip`").unwrap_err();
            assert!(
                e.contains("`client_certificate.ip`") && !e.contains("--"),
                "{e}"
            );
        }
        let e = leaf_dn("OU=x").unwrap_err().to_string();
        assert!(e.starts_with("'OU=x' has no CN"), "{e}");
        let e = PkiError::Invalid("x".into()).about("--name").to_string();
        assert_eq!(e, "--name: x");
    }

    #[test]
    fn input_checks() {
        assert!(check_dns_name("es01.example.com", "--ip").is_ok());
        assert!(check_dns_name("*.example.com", "--ip").is_ok());
        for bad in ["", "a..b", "-a.com", "a b", "10.0.0.1", "ex@mple.com"] {
            assert!(check_dns_name(bad, "--ip").is_err(), "{bad}");
        }
        assert!(parse_ip("::1").is_ok());
        assert_eq!(
            parse_ip("300.1.1.1").unwrap_err().to_string(),
            "--ip '300.1.1.1' is not a valid IP address (e.g. 127.0.0.1 or ::1)"
        );
        assert!(
            check_days(0)
                .unwrap_err()
                .to_string()
                .contains("at least one day")
        );
        assert!(leaf_dn("ca").is_err());
        assert!(
            leaf_dn("OU=x")
                .unwrap_err()
                .to_string()
                .contains("has no CN")
        );
    }
}
