//! Re-issuing an existing leaf: a new key of the same type and a new
//! certificate with the same subject (attribute types and string types kept,
//! so the DN Elasticsearch prints — and every role mapping on it — stays the
//! same), the same SANs, key usages and extended key usages, signed by the
//! same CA.
//!
//! Invariants: the new certificate's subject, as Elasticsearch prints it,
//! equals the old one's (checked after issuing); the serial is random; the
//! validity starts five minutes in the past, like every esmtls certificate.

use std::net::IpAddr;

use rand::Rng;
use rcgen::{
    CertificateParams, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use time::{Duration, OffsetDateTime};
use x509_parser::extensions::{GeneralName, ParsedExtension};

use crate::pki::inspect::cert_info;
use crate::pki::{CaMaterial, KeyType, PkiError};

/// The key type of an existing certificate, for its successor.
pub fn key_type_of(der: &[u8]) -> Result<KeyType, String> {
    let i = cert_info(der).map_err(|e| e.to_string())?;
    match (i.key_type.as_str(), i.key_bits) {
        ("RSA", b) if b <= 2048 => Ok(KeyType::Rsa2048),
        ("RSA", b) if b <= 3072 => Ok(KeyType::Rsa3072),
        ("RSA", _) => Ok(KeyType::Rsa4096),
        ("EC", 256) => Ok(KeyType::EcP256),
        ("EC", 384) => Ok(KeyType::EcP384),
        (t, b) => Err(format!(
            "its key is {t} {b} bits, which esmtls cannot generate; issue a new certificate with `esmtls cert issue`"
        )),
    }
}

/// A successor of `old` valid for `days`, signed by `ca`.
pub fn reissue(old: &[u8], ca: &CaMaterial, days: u32) -> Result<(Vec<u8>, KeyPair), String> {
    reissue_with(old, ca, days, &[])
}

/// A host name or IP address for a certificate's SANs (`renew --add-san`).
pub fn parse_san(host: &str) -> Result<SanType, String> {
    let host = host.trim();
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    crate::pki::build::check_dns_name(host, "an IP address")?;
    Ok(SanType::DnsName(
        host.try_into()
            .map_err(|_| format!("'{host}' cannot be a DNS name"))?,
    ))
}

/// [`reissue`], with `extra` SANs added to the old ones (those it already
/// has are not repeated): the fix for a host Kibana uses that the server
/// certificate lacks.
pub fn reissue_with(
    old: &[u8],
    ca: &CaMaterial,
    days: u32,
    extra: &[SanType],
) -> Result<(Vec<u8>, KeyPair), String> {
    let (_, c) = x509_parser::parse_x509_certificate(old).map_err(|e| e.to_string())?;
    let mut params = CertificateParams::default();
    params.distinguished_name = subject(&c)?;
    params.is_ca = match c.basic_constraints().ok().flatten() {
        Some(_) => IsCa::ExplicitNoCa,
        None => IsCa::NoCa,
    };
    for ext in c.iter_extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(s) => {
                for n in &s.general_names {
                    params.subject_alt_names.push(san(n)?);
                }
            }
            ParsedExtension::ExtendedKeyUsage(e) => {
                let p = &mut params.extended_key_usages;
                let pairs = [
                    (e.any, ExtendedKeyUsagePurpose::Any),
                    (e.server_auth, ExtendedKeyUsagePurpose::ServerAuth),
                    (e.client_auth, ExtendedKeyUsagePurpose::ClientAuth),
                    (e.code_signing, ExtendedKeyUsagePurpose::CodeSigning),
                    (e.email_protection, ExtendedKeyUsagePurpose::EmailProtection),
                    (e.time_stamping, ExtendedKeyUsagePurpose::TimeStamping),
                    (e.ocsp_signing, ExtendedKeyUsagePurpose::OcspSigning),
                ];
                p.extend(pairs.into_iter().filter(|(on, _)| *on).map(|(_, u)| u));
                for oid in &e.other {
                    if let Some(a) = oid.iter().map(|i| i.collect::<Vec<u64>>()) {
                        p.push(ExtendedKeyUsagePurpose::Other(a));
                    }
                }
            }
            ParsedExtension::KeyUsage(k) => {
                let pairs = [
                    (k.digital_signature(), KeyUsagePurpose::DigitalSignature),
                    (k.non_repudiation(), KeyUsagePurpose::ContentCommitment),
                    (k.key_encipherment(), KeyUsagePurpose::KeyEncipherment),
                    (k.data_encipherment(), KeyUsagePurpose::DataEncipherment),
                    (k.key_agreement(), KeyUsagePurpose::KeyAgreement),
                ];
                params.key_usages = pairs
                    .into_iter()
                    .filter(|(on, _)| *on)
                    .map(|(_, u)| u)
                    .collect();
            }
            _ => {}
        }
    }
    for e in extra {
        if !params.subject_alt_names.contains(e) {
            params.subject_alt_names.push(e.clone());
        }
    }
    let mut serial = [0u8; 20];
    rand::rng().fill_bytes(&mut serial);
    serial[0] &= 0x7f;
    serial[0] |= 0x40;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    params.use_authority_key_identifier_extension = true;
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::minutes(5);
    params.not_after = now + Duration::days(i64::from(days));

    let key = key_type_of(old)?.generate().map_err(|e| e.to_string())?;
    let issuer = Issuer::from_ca_cert_der(&ca.cert_der.as_slice().into(), &ca.key)
        .map_err(|e| PkiError::BadCa(format!("cannot use the CA certificate: {e}")).to_string())?;
    let cert = params
        .signed_by(&key, &issuer)
        .map_err(|e| format!("signing the certificate failed: {e}"))?;
    let der = cert.der().to_vec();
    let (old_i, new_i) = (cert_info(old), cert_info(&der));
    let same_names = |a: &[String], b: &[String]| {
        let added = b.len() - b.len().min(a.len());
        b.starts_with(a) && added <= extra.len()
    };
    match (old_i, new_i) {
        (Ok(a), Ok(b)) if a.subject == b.subject && same_names(&a.sans, &b.sans) && a.eku == b.eku => {}
        _ => return Err("the new certificate's subject, SANs or EKU would differ from the old one's; issue it with `esmtls cert issue` instead".into()),
    }
    Ok((der, key))
}

fn subject(c: &x509_parser::certificate::X509Certificate<'_>) -> Result<DistinguishedName, String> {
    use x509_parser::der_parser::asn1_rs::Tag;
    let mut dn = DistinguishedName::new();
    for rdn in c.subject().iter() {
        for a in rdn.iter() {
            let oid: Vec<u64> = a
                .attr_type()
                .iter()
                .map(|i| i.collect())
                .ok_or("a subject attribute has an unusual type")?;
            let ty = match oid.as_slice() {
                [2, 5, 4, 3] => DnType::CommonName,
                [2, 5, 4, 6] => DnType::CountryName,
                [2, 5, 4, 7] => DnType::LocalityName,
                [2, 5, 4, 8] => DnType::StateOrProvinceName,
                [2, 5, 4, 10] => DnType::OrganizationName,
                [2, 5, 4, 11] => DnType::OrganizationalUnitName,
                _ => DnType::CustomDnType(oid),
            };
            let text = a
                .as_str()
                .map_err(|_| "a subject attribute is not text".to_string())?
                .to_string();
            let bad = |_| format!("the subject value '{text}' cannot be re-encoded");
            let value = match a.attr_value().tag() {
                Tag::PrintableString => {
                    DnValue::PrintableString(text.as_str().try_into().map_err(bad)?)
                }
                Tag::Ia5String => DnValue::Ia5String(text.as_str().try_into().map_err(bad)?),
                Tag::TeletexString => {
                    DnValue::TeletexString(text.as_str().try_into().map_err(bad)?)
                }
                _ => DnValue::Utf8String(text.clone()),
            };
            dn.push(ty, value);
        }
    }
    Ok(dn)
}

fn san(n: &GeneralName<'_>) -> Result<SanType, String> {
    let bad = |what: &str| format!("the SAN {what} cannot be re-encoded");
    Ok(match n {
        GeneralName::DNSName(d) => SanType::DnsName((*d).try_into().map_err(|_| bad(d))?),
        GeneralName::RFC822Name(e) => SanType::Rfc822Name((*e).try_into().map_err(|_| bad(e))?),
        GeneralName::URI(u) => SanType::URI((*u).try_into().map_err(|_| bad(u))?),
        GeneralName::IPAddress(b) => match b.len() {
            4 => SanType::IpAddress(IpAddr::from(
                <[u8; 4]>::try_from(*b).map_err(|_| bad("IP"))?,
            )),
            16 => SanType::IpAddress(IpAddr::from(
                <[u8; 16]>::try_from(*b).map_err(|_| bad("IP"))?,
            )),
            _ => return Err(bad("IP")),
        },
        other => {
            return Err(format!(
                "the SAN {other} is of a kind esmtls cannot re-issue"
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::cas::signed_by;
    use crate::pki::build::{LeafSpec, Usage, issue, new_ca};
    use crate::pki::{CaSpec, inspect::cert_info};

    fn ca(key: KeyType) -> CaMaterial {
        let c = new_ca(&CaSpec {
            dn: "CN=Test CA,O=Example".into(),
            days: 100,
            key,
        })
        .unwrap();
        CaMaterial {
            cert_der: c.cert_der,
            key: c.key,
            chain_der: Vec::new(),
        }
    }

    #[test]
    fn successor_keeps_subject_sans_eku_and_key_type() {
        for key in [KeyType::Rsa2048, KeyType::EcP256] {
            let ca = ca(key);
            let spec = LeafSpec {
                name: "CN=kibana,OU=ops,O=Example,C=DE".into(),
                dns: vec!["kibana.example.com".into()],
                ips: vec!["10.0.0.5".parse().unwrap()],
                usage: Usage::Client,
                days: 1,
                key,
            };
            let old = issue(&spec, &ca).unwrap().cert_der;
            let (new, _) = reissue(&old, &ca, 90).unwrap();
            let (a, b) = (cert_info(&old).unwrap(), cert_info(&new).unwrap());
            assert_eq!(a.subject, b.subject);
            assert_eq!(a.subject_rfc2253, b.subject_rfc2253);
            assert_eq!(a.sans, b.sans);
            assert_eq!(a.eku, b.eku);
            assert_eq!((a.key_type, a.key_bits), (b.key_type, b.key_bits));
            assert_ne!(a.serial, b.serial);
            assert!(b.days_left >= 89);
            assert!(signed_by(&new, &ca.cert_der));
            let extra = [
                parse_san("es01.example.com").unwrap(),
                parse_san("10.0.0.5").unwrap(),
            ];
            let (new, _) = reissue_with(&old, &ca, 90, &extra).unwrap();
            let b = cert_info(&new).unwrap();
            assert_eq!(
                b.sans,
                [
                    "DNS:kibana.example.com",
                    "IP:10.0.0.5",
                    "DNS:es01.example.com"
                ],
                "an added name once, after the old ones"
            );
        }
    }

    #[test]
    fn added_sans_are_checked() {
        let e = parse_san("${IP_ADDR}").unwrap_err();
        assert!(
            e.contains("not a valid DNS name") && !e.contains("--"),
            "{e}"
        );
    }
}
