//! Installing what the CA sent back, next to the key the host kept: esmtls's
//! CA's certificate, or a corporate CA's PEM with or without its chain.
//!
//! Invariants: the certificate returned is the one whose public key is this
//! host's key; every link up to a certificate of the CA given is checked by
//! signature (a certificate in the file is never trusted for what it says,
//! only for what verifies); none of them has expired; the leaf is not a CA and
//! its usages allow the TLS role the host needs. Absent extendedKeyUsage or
//! keyUsage means unrestricted (RFC 5280), as OpenSSL and the JDK treat it.

use rcgen::KeyPair;
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;

use super::super::build::{self, Usage};
use super::super::pem as pemx;
use super::super::{PkiError, Result, dn, inspect, pkcs12};

/// Longest chain followed from the leaf to the CA (leaf included).
const MAX_DEPTH: usize = 8;

/// Checks the certificate in `cert` (PEM, with or without its chain, or one
/// DER certificate; read from `file`, named in messages) against this host's
/// `key`, the `ca_chain` the operator trusts (the CA certificate(s), DER) and
/// the `usage` the host needs. Returns the chain, leaf first, then each issuer
/// up to the CA given and above it as far as `ca_chain` goes.
pub fn install(
    cert: &[u8],
    file: &str,
    key: &KeyPair,
    usage: Usage,
    ca_chain: &[Vec<u8>],
) -> Result<Vec<Vec<u8>>> {
    if ca_chain.is_empty() {
        return Err(PkiError::Invalid(format!(
            "no CA certificate to check {file} against; give the CA certificate that signed it"
        )));
    }
    let certs = read_certs(cert, file)?;
    let Some(leaf) = certs
        .iter()
        .find(|d| pkcs12::spki_key(d).as_deref() == Some(key.public_key_raw()))
    else {
        let subject = build::parse(&certs[0])
            .map(|(_, c)| dn::java_string(c.subject()))
            .unwrap_or_default();
        return Err(PkiError::Install(format!(
            "the certificate in {file} is not for this host's key (it is for '{subject}' and another key); install it on the host that made its CSR, or have this host's CSR signed"
        )));
    };
    let mut chain = vec![leaf.clone()];
    let pool: Vec<&[u8]> = certs
        .iter()
        .chain(ca_chain)
        .map(Vec::as_slice)
        .filter(|d| *d != leaf.as_slice())
        .collect();
    while !ca_chain.contains(chain.last().unwrap_or(leaf)) {
        let next = issuer_of(&chain, &pool, ca_chain, file)?;
        chain.push(next.to_vec());
    }
    pkcs12::extend_chain(&mut chain, ca_chain.iter().map(Vec::as_slice));
    for (n, der) in chain.iter().enumerate() {
        not_expired(der, n == 0, file)?;
    }
    let (_, c) = build::parse(leaf)?;
    check_usage(&c, usage, file)?;
    Ok(chain)
}

/// Every certificate in the bytes: PEM blocks in order, or one DER certificate.
fn read_certs(bytes: &[u8], file: &str) -> Result<Vec<Vec<u8>>> {
    let certs = if pemx::is_pem(bytes) {
        pemx::certificates(&pemx::parse_all(bytes, file)?)
    } else {
        x509_parser::parse_x509_certificate(bytes)
            .map_err(|e| PkiError::Unreadable {
                file: file.into(),
                what: "certificate",
                reason: e.to_string(),
            })
            .map(|_| vec![bytes.to_vec()])?
    };
    if certs.is_empty() {
        return Err(PkiError::Unreadable {
            file: file.into(),
            what: "certificate",
            reason: "no CERTIFICATE block in it".into(),
        });
    }
    for d in &certs {
        build::parse(d).map_err(|e| PkiError::Unreadable {
            file: file.into(),
            what: "certificate",
            reason: e.to_string(),
        })?;
    }
    Ok(certs)
}

/// The certificate in `pool` that signed the last of `chain`, checked by
/// signature; an error saying where the chain breaks when there is none.
fn issuer_of<'a>(
    chain: &[Vec<u8>],
    pool: &[&'a [u8]],
    ca_chain: &[Vec<u8>],
    file: &str,
) -> Result<&'a [u8]> {
    let last = chain.last().map(Vec::as_slice).unwrap_or_default();
    let (_, cur) = build::parse(last)?;
    let cas = ca_chain
        .iter()
        .filter_map(|d| {
            build::parse(d)
                .ok()
                .map(|(_, c)| dn::java_string(c.subject()))
        })
        .collect::<Vec<_>>()
        .join("', '");
    let what = if chain.len() == 1 {
        format!("the certificate in {file}")
    } else {
        format!(
            "the chain in {file} (at '{}')",
            dn::java_string(cur.subject())
        )
    };
    let issuer = dn::java_string(cur.issuer());
    if chain.len() >= MAX_DEPTH {
        return Err(PkiError::Install(format!(
            "{what} does not reach the CA '{cas}' within {MAX_DEPTH} certificates; give the CA that signed it"
        )));
    }
    let mut named = false;
    for d in pool {
        if chain.iter().any(|c| c.as_slice() == *d) {
            continue;
        }
        let Ok((_, p)) = build::parse(d) else {
            continue;
        };
        if p.subject().as_raw() != cur.issuer().as_raw() {
            continue;
        }
        named = true;
        if cur.verify_signature(Some(p.public_key())).is_ok() {
            return Ok(d);
        }
    }
    Err(PkiError::Install(if named {
        format!(
            "{what} names '{issuer}' as its issuer, but that CA's key did not sign it; have it signed by the CA '{cas}', or give the CA that really signed it"
        )
    } else if cur.subject().as_raw() == cur.issuer().as_raw() {
        format!(
            "{what} ends at the root '{issuer}', not at the CA given ('{cas}'); have it signed by that CA, or give '{issuer}' as the CA if you trust it"
        )
    } else {
        format!(
            "{what} was issued by '{issuer}', which is neither the CA given ('{cas}') nor in the file; give that CA's certificate (or the whole chain), or have the CSR signed by '{cas}'"
        )
    }))
}

fn not_expired(der: &[u8], is_leaf: bool, file: &str) -> Result<()> {
    let (_, c) = build::parse(der)?;
    let end = c.validity().not_after;
    if end.to_datetime() >= OffsetDateTime::now_utc() {
        return Ok(());
    }
    Err(PkiError::Install(if is_leaf {
        format!(
            "the certificate in {file} expired on {end}; have the CSR signed again (or make a new one)"
        )
    } else {
        format!(
            "the CA '{}' in the chain of {file} expired on {end}; the CA must be renewed before its certificates can be used",
            dn::java_string(c.subject())
        )
    }))
}

fn check_usage(c: &X509Certificate<'_>, usage: Usage, file: &str) -> Result<()> {
    let (role, eku) = match usage {
        Usage::Server => ("server", "serverAuth"),
        Usage::Client => ("client", "clientAuth"),
    };
    if c.is_ca() {
        return Err(PkiError::Install(format!(
            "the certificate in {file} is a CA certificate (basicConstraints CA:TRUE), not a TLS {role} certificate; ask the CA for a {role} certificate"
        )));
    }
    if let Ok(Some(e)) = c.extended_key_usage() {
        let e = e.value;
        let ok = e.any
            || match usage {
                Usage::Server => e.server_auth,
                Usage::Client => e.client_auth,
            };
        if !ok {
            let has = inspect::cert_info(c.as_raw())
                .map(|i| i.eku.join(", "))
                .unwrap_or_default();
            return Err(PkiError::Install(format!(
                "the certificate in {file} is not for a TLS {role} (its extendedKeyUsage is {has}, without {eku}); ask the CA for a certificate with extendedKeyUsage {eku}"
            )));
        }
    }
    if let Ok(Some(ku)) = c.key_usage()
        && !ku.value.digital_signature()
    {
        return Err(PkiError::Install(format!(
            "the certificate in {file} has a keyUsage without digitalSignature, which TLS needs; ask the CA for a certificate with keyUsage digitalSignature"
        )));
    }
    Ok(())
}
