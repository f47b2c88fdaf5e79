//! Certificate signing requests: the flow that keeps each host's private key
//! on that host. The host runs [`make`] (a new key and a CSR); the CA holder
//! runs [`sign`] (esmtls's CA) or hands the CSR to a corporate CA; the host
//! runs [`install`] on what comes back, next to its key.
//!
//! Invariants: [`sign`] issues with the very profile [`super::build::issue`]
//! uses (one `leaf_params`), whatever extensions the CSR requests — a CSR
//! asking for CA:TRUE or other key usages gets a CA:FALSE leaf of the given
//! usage. The subject is the CSR's, reproduced byte for byte (checked after
//! signing) so the `pki_dn` a role mapping matches is the one the host asked
//! for. The certificate's key algorithm comes from the CSR's public key, never
//! from its signature algorithm.
//!
//! Why not rcgen's `CertificateSigningRequestParams::from_der` + `signed_by`:
//! it takes the key's algorithm from the CSR's *signature* algorithm (a P-384
//! key in a CSR signed with ecdsa-with-SHA256, OpenSSL's default, would be
//! written into the certificate as a P-256 key), refuses any requested
//! extension it does not know (keytool's CSRs carry a SubjectKeyIdentifier),
//! copies the requested basicConstraints and usages into the certificate, and
//! folds repeated attributes of the subject (DC=example,DC=com) into one. So the
//! CSR is read and its signature verified with x509-parser, the key is taken
//! from its SubjectPublicKeyInfo (`rcgen::SubjectPublicKeyInfo::from_der`),
//! and rcgen only signs.

mod install;

use rcgen::string::{Ia5String, PrintableString, TeletexString};
use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, IsCa, KeyPair};
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::error::X509Error;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::X509Name;

pub use install::install;

use super::build::{self, CaMaterial, LeafSpec, Usage};
use super::{PkiError, Result, crypto, dn, names};

/// A new key of `spec.key`'s type and a CSR (PEM) for it carrying the subject
/// DN and SANs of `spec`. The CSR also requests the usages esmtls's profile
/// gives (keyUsage, extendedKeyUsage, CA:FALSE), so a corporate CA that copies
/// requested extensions (`openssl x509 -req -copy_extensions copy`) issues the
/// same profile. The key stays with the caller; write it only on this host.
pub fn make(spec: &LeafSpec) -> Result<(KeyPair, String)> {
    let key = spec.key.generate()?;
    let pem = make_with(spec, &key)?;
    Ok((key, pem))
}

/// A CSR (PEM) for an existing `key` (a host's key from an earlier run), as [`make`].
pub fn make_with(spec: &LeafSpec, key: &KeyPair) -> Result<String> {
    let (subject, _) = build::leaf_dn(&spec.name)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = subject.to_rcgen()?;
    params.subject_alt_names = build::sans(&spec.dns, &spec.ips)?;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = build::leaf_key_usages(spec.key.is_rsa());
    params.extended_key_usages = vec![build::leaf_eku(spec.usage)];
    let csr = params
        .serialize_request(key)
        .map_err(crypto("making the certificate signing request"))?;
    csr.pem()
        .map_err(crypto("encoding the certificate signing request"))
}

/// The public key (SubjectPublicKeyInfo, DER) a CSR is for.
pub fn public_key(csr_pem: &str, file: &str) -> Result<Vec<u8>> {
    let der = csr_der(csr_pem, file)?;
    let (_, csr) = X509CertificationRequest::from_der(&der).map_err(|e| unreadable(file, e))?;
    Ok(csr.certification_request_info.subject_pki.raw.to_vec())
}

/// True when `ca_der`'s key signed `cert_der`.
pub fn issued_by(cert_der: &[u8], ca_der: &[u8]) -> bool {
    match (build::parse(cert_der), build::parse(ca_der)) {
        (Ok((_, c)), Ok((_, ca))) => c.verify_signature(Some(ca.public_key())).is_ok(),
        _ => false,
    }
}

/// The public key (SubjectPublicKeyInfo, DER) of a certificate.
pub fn cert_public_key(cert_der: &[u8]) -> Result<Vec<u8>> {
    let (_, c) = build::parse(cert_der)?;
    Ok(c.tbs_certificate.subject_pki.raw.to_vec())
}

/// Signs the CSR in `csr_pem` (read from `file`, named in messages) with `ca`:
/// a `usage` certificate valid for `days`, with the profile of
/// [`build::issue`]. The CSR's self-signature must verify. With `expect`,
/// the CSR's subject and SANs must be exactly `expect.name`, `expect.dns`
/// (any order, any case) and `expect.ips`; `expect`'s usage, days and key type
/// are not compared (the arguments decide). Returns the certificate, DER.
pub fn sign(
    csr_pem: &str,
    file: &str,
    ca: &CaMaterial,
    usage: Usage,
    days: u32,
    expect: Option<&LeafSpec>,
) -> Result<Vec<u8>> {
    let der = csr_der(csr_pem, file)?;
    let (_, csr) = X509CertificationRequest::from_der(&der).map_err(|e| unreadable(file, e))?;
    csr.verify_signature().map_err(|e| {
        PkiError::Csr(if e == X509Error::SignatureUnsupportedAlgorithm {
            format!(
                "the CSR in {file} is signed with an algorithm esmtls cannot verify ({}); make it with SHA-256 or SHA-384",
                csr.signature_algorithm.algorithm.to_id_string()
            )
        } else {
            format!(
                "the CSR in {file} has a bad signature (it was altered, or damaged on the way); make a new CSR on the host"
            )
        })
    })?;
    let info = &csr.certification_request_info;
    let (dns, ips) = requested_sans(&csr, file)?;
    if let Some(want) = expect {
        check_expected(&info.subject, &dns, &ips, want, file)?;
    }
    let key = rcgen::SubjectPublicKeyInfo::from_der(info.subject_pki.raw).map_err(|_| {
        PkiError::Csr(format!(
            "the CSR in {file} is for a key esmtls does not sign ({}); make the key RSA (2048 bits or more) or EC P-256/P-384",
            info.subject_pki.algorithm.algorithm.to_id_string()
        ))
    })?;
    let rsa = match info.subject_pki.parsed() {
        Ok(PublicKey::RSA(r)) if r.key_size() < 2048 => {
            return Err(PkiError::Csr(format!(
                "the CSR in {file} is for an RSA key of {} bits; make a key of 2048 bits or more",
                r.key_size()
            )));
        }
        Ok(PublicKey::RSA(_)) => true,
        _ => false,
    };
    let shown = dn::rfc2253(&info.subject);
    let not_exact = || {
        PkiError::Csr(format!(
            "the subject '{shown}' of the CSR in {file} cannot be written back exactly (a repeated or multi-valued attribute, or an unusual string type); make the CSR with `esmtls` or with a plain DN such as CN=es01,O=Example"
        ))
    };
    if info.subject.iter_rdn().next().is_none() {
        return Err(PkiError::Csr(format!(
            "the CSR in {file} has an empty subject; make it with a name (e.g. CN=es01)"
        )));
    }
    let subject = rcgen_name(&info.subject).ok_or_else(not_exact)?;
    let sans = build::sans(&dns, &ips).map_err(|e| {
        PkiError::Csr(format!(
            "the CSR in {file} asks for a name esmtls refuses: {e}"
        ))
    })?;
    let params = build::leaf_params(subject, sans, usage, rsa, days)?;
    let (cert_der, _) = build::sign_leaf(&params, &key, ca)?;
    let (_, leaf) = build::parse(&cert_der)?;
    if leaf.subject().as_raw() != info.subject.as_raw() {
        return Err(not_exact());
    }
    Ok(cert_der)
}

fn unreadable(file: &str, e: impl std::fmt::Display) -> PkiError {
    PkiError::Unreadable {
        file: file.into(),
        what: "certificate signing request",
        reason: e.to_string(),
    }
}

/// The DER of the one CSR in the PEM text.
fn csr_der(pem: &str, file: &str) -> Result<Vec<u8>> {
    let blocks = super::pem::parse_all(pem.as_bytes(), file)?;
    let mut csrs = blocks
        .into_iter()
        .filter(|b| b.tag == "CERTIFICATE REQUEST" || b.tag == "NEW CERTIFICATE REQUEST");
    match (csrs.next(), csrs.next()) {
        (Some(b), None) => Ok(b.der),
        (None, _) => Err(unreadable(
            file,
            "no CERTIFICATE REQUEST block in it (give the .csr file the host made)",
        )),
        (Some(_), Some(_)) => Err(unreadable(
            file,
            "it holds more than one CERTIFICATE REQUEST; give one CSR per file",
        )),
    }
}

/// The DNS and IP names the CSR asks for; any other kind is refused.
fn requested_sans(
    csr: &X509CertificationRequest<'_>,
    file: &str,
) -> Result<(Vec<String>, Vec<std::net::IpAddr>)> {
    let (mut dns, mut ips) = (Vec::new(), Vec::new());
    let exts = csr.requested_extensions().into_iter().flatten();
    for ext in exts {
        let ParsedExtension::SubjectAlternativeName(san) = ext else {
            continue;
        };
        for name in &san.general_names {
            match name {
                GeneralName::DNSName(d) => dns.push(d.to_string()),
                GeneralName::IPAddress(b) => ips.push(ip(b).ok_or_else(|| {
                    PkiError::Csr(format!(
                        "the CSR in {file} has an IP address of {} bytes; make a new CSR",
                        b.len()
                    ))
                })?),
                other => {
                    return Err(PkiError::Csr(format!(
                        "the CSR in {file} asks for the name {}; esmtls signs DNS names and IP addresses only",
                        names::shown(&other.to_string())
                    )));
                }
            }
        }
    }
    Ok((dns, ips))
}

fn ip(b: &[u8]) -> Option<std::net::IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(b) {
        return Some(v4.into());
    }
    <[u8; 16]>::try_from(b).ok().map(Into::into)
}

/// Refuses a CSR whose names are not those of `want`, naming every difference.
fn check_expected(
    subject: &X509Name<'_>,
    dns: &[String],
    ips: &[std::net::IpAddr],
    want: &LeafSpec,
    file: &str,
) -> Result<()> {
    let (want_dn, _) = build::leaf_dn(&want.name)?;
    let mut diffs = Vec::new();
    let (got_s, want_s) = (dn::rfc2253(subject), want_dn.rfc2253());
    if got_s != want_s {
        diffs.push(format!("subject '{got_s}' instead of '{want_s}'"));
    }
    let lower = |v: &[String]| {
        let mut v: Vec<String> = v.iter().map(|d| d.to_ascii_lowercase()).collect();
        v.sort();
        v.dedup();
        v
    };
    diffs.extend(set_diff("DNS names", &lower(dns), &lower(&want.dns)));
    let sorted = |v: &[std::net::IpAddr]| {
        let mut v: Vec<String> = v.iter().map(ToString::to_string).collect();
        v.sort();
        v.dedup();
        v
    };
    diffs.extend(set_diff("IP addresses", &sorted(ips), &sorted(&want.ips)));
    if diffs.is_empty() {
        return Ok(());
    }
    Err(PkiError::Csr(format!(
        "the CSR in {file} is not for the expected names: {}; make the CSR again on the host with the expected names",
        diffs.join("; ")
    )))
}

fn set_diff(what: &str, got: &[String], want: &[String]) -> Option<String> {
    let shown = |v: Vec<&String>| {
        v.iter()
            .map(|s| names::shown(s))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let extra: Vec<&String> = got.iter().filter(|g| !want.contains(g)).collect();
    let missing: Vec<&String> = want.iter().filter(|w| !got.contains(w)).collect();
    let mut parts = Vec::new();
    if !extra.is_empty() {
        parts.push(format!("unexpected {}", shown(extra)));
    }
    if !missing.is_empty() {
        parts.push(format!("missing {}", shown(missing)));
    }
    (!parts.is_empty()).then(|| format!("{what}: {}", parts.join(", ")))
}

/// The subject as rcgen writes it, or None when rcgen cannot write it back
/// (multi-valued RDN, repeated attribute type, a string type it lacks).
fn rcgen_name(name: &X509Name<'_>) -> Option<DistinguishedName> {
    let mut out = DistinguishedName::new();
    let mut seen: Vec<DnType> = Vec::new();
    for rdn in name.iter_rdn() {
        let mut avas = rdn.iter();
        let (ava, None) = (avas.next()?, avas.next()) else {
            return None;
        };
        let ty = DnType::from_oid(&ava.attr_type().iter()?.collect::<Vec<u64>>());
        if seen.contains(&ty) {
            return None;
        }
        let text = std::str::from_utf8(ava.attr_value().data).ok()?;
        let value = match ava.attr_value().header.tag() {
            Tag::Utf8String => DnValue::Utf8String(text.to_string()),
            Tag::PrintableString => DnValue::PrintableString(PrintableString::try_from(text).ok()?),
            Tag::Ia5String => DnValue::Ia5String(Ia5String::try_from(text).ok()?),
            Tag::T61String => DnValue::TeletexString(TeletexString::try_from(text).ok()?),
            _ => return None,
        };
        seen.push(ty.clone());
        out.push(ty, value);
    }
    Some(out)
}

#[cfg(test)]
mod tests;
