//! PKCS#12: read every entry with its role, write files everyone reads, and
//! report which algorithms a file uses.
//!
//! Writing uses `p12-keystore` defaults: PBES2 with PBKDF2-HMAC-SHA256 and
//! AES-256-CBC (10 000 iterations) and an HMAC-SHA256 MAC, as JDK 17+ and
//! OpenSSL 3 write. CA certificates are stored as Java trusted-certificate
//! entries, which `keytool` lists as `trustedCertEntry`.
//!
//! Reading links keys to certificates ourselves (local key id, else the public
//! key) and rebuilds each key's chain by issuer name, so files from certutil,
//! keytool, OpenSSL and Elasticsearch's auto-configuration all read the same way.

use der::{Decode, Encode};
use p12_keystore::{
    Certificate, KeyStore, KeyStoreEntry, Pkcs12Archive, PrivateKey, PrivateKeyChain,
};
use serde::Serialize;

use super::{PkiError, Result};

/// A private key with its certificate chain (leaf first).
#[derive(Clone)]
pub struct KeyEntry {
    /// The friendly name (alias).
    pub alias: String,
    /// PKCS#8 DER of the key.
    pub key_pkcs8: Vec<u8>,
    /// Leaf first, then its issuers found in the file.
    pub chain: Vec<Vec<u8>>,
}

/// A certificate entry without a key.
#[derive(Clone)]
pub struct CertEntry {
    /// The friendly name, if any.
    pub alias: Option<String>,
    /// DER.
    pub der: Vec<u8>,
    /// Marked trusted for Java (a `trustedCertEntry`).
    pub trusted: bool,
}

/// Everything in a PKCS#12 file.
#[derive(Clone, Default)]
pub struct Contents {
    /// Key entries.
    pub keys: Vec<KeyEntry>,
    /// Certificates that are not any key's leaf (trusted CAs, chain certificates, others).
    pub certs: Vec<CertEntry>,
}

/// Reads a PKCS#12 file. `file` names it in errors.
pub fn read(bytes: &[u8], password: &str, file: &str) -> Result<Contents> {
    let archive = Pkcs12Archive::from_pkcs12(bytes, password).map_err(|e| match e {
        p12_keystore::error::Error::MacError(_) => PkiError::WrongPassword { file: file.into() },
        p12_keystore::error::Error::Pkcs5Error(_) | p12_keystore::error::Error::UnpadError => {
            PkiError::WrongPassword { file: file.into() }
        }
        other => PkiError::Unreadable {
            file: file.into(),
            what: "PKCS#12 file",
            reason: other.to_string(),
        },
    })?;
    let all = &archive.certs;
    let mut leaf_used = vec![false; all.len()];
    let mut keys = Vec::new();
    for (n, k) in archive.keys.iter().enumerate() {
        let key_der = k.key.as_der().to_vec();
        let by_id = k.local_key_id.as_ref().and_then(|id| {
            all.iter()
                .position(|c| c.local_key_id.as_deref() == Some(id.as_ref()))
        });
        let leaf = by_id.or_else(|| {
            let pk = public_key_of(&key_der)?;
            all.iter()
                .position(|c| spki_key(c.cert.as_der()).as_deref() == Some(pk.as_slice()))
        });
        let mut chain = Vec::new();
        if let Some(i) = leaf {
            leaf_used[i] = true;
            chain.push(all[i].cert.as_der().to_vec());
            // Trusted entries stand on their own (as in Java); the chain is built from the others.
            extend_chain(
                &mut chain,
                all.iter().filter(|c| !c.trusted).map(|c| c.cert.as_der()),
            );
        }
        let alias = k
            .friendly_name
            .clone()
            .or_else(|| leaf.and_then(|i| all[i].friendly_name.clone()))
            .unwrap_or_else(|| format!("key{}", n + 1));
        keys.push(KeyEntry {
            alias,
            key_pkcs8: key_der,
            chain,
        });
    }
    let certs = all
        .iter()
        .zip(leaf_used)
        .filter(|(_, used)| !used)
        .map(|(c, _)| CertEntry {
            alias: c.friendly_name.clone(),
            der: c.cert.as_der().to_vec(),
            trusted: c.trusted,
        })
        .collect();
    Ok(Contents { keys, certs })
}

/// Appends issuers of the last certificate, found among `pool`, until a root.
pub fn extend_chain<'a>(chain: &mut Vec<Vec<u8>>, pool: impl Iterator<Item = &'a [u8]> + Clone) {
    while let Some(last) = chain.last() {
        let Ok((_, c)) = x509_parser::parse_x509_certificate(last) else {
            break;
        };
        if c.subject().as_raw() == c.issuer().as_raw() {
            break;
        }
        let issuer_raw = c.issuer().as_raw().to_vec();
        let next = pool.clone().find(|d| {
            x509_parser::parse_x509_certificate(d)
                .is_ok_and(|(_, p)| p.subject().as_raw() == issuer_raw.as_slice())
        });
        match next {
            Some(d) if !chain.iter().any(|x| x.as_slice() == d) => chain.push(d.to_vec()),
            _ => break,
        }
    }
}

/// The raw public key bits of a certificate.
pub fn spki_key(cert_der: &[u8]) -> Option<Vec<u8>> {
    let (_, c) = x509_parser::parse_x509_certificate(cert_der).ok()?;
    Some(c.public_key().subject_public_key.data.to_vec())
}

/// The raw public key bits of a PKCS#8 private key.
pub fn public_key_of(pkcs8: &[u8]) -> Option<Vec<u8>> {
    let kp = rcgen::KeyPair::try_from(pkcs8).ok()?;
    Some(kp.public_key_raw().to_vec())
}

/// Builds a file with one key entry and, optionally, trusted CA entries.
pub fn write_key(
    alias: &str,
    key_pkcs8: &[u8],
    chain: &[Vec<u8>],
    trusted: &[(String, Vec<u8>)],
    password: &str,
) -> Result<Vec<u8>> {
    let contents = Contents {
        keys: vec![KeyEntry {
            alias: alias.into(),
            key_pkcs8: key_pkcs8.to_vec(),
            chain: chain.to_vec(),
        }],
        certs: trusted
            .iter()
            .map(|(a, d)| CertEntry {
                alias: Some(a.clone()),
                der: d.clone(),
                trusted: true,
            })
            .collect(),
    };
    write(&contents, password)
}

/// Writes `contents` with modern algorithms. Certificates that are not trusted
/// entries and belong to no key's chain are written as trusted entries (the
/// only form PKCS#12 tools keep for a lone certificate).
pub fn write(contents: &Contents, password: &str) -> Result<Vec<u8>> {
    let bad = |e: p12_keystore::error::Error| PkiError::Crypto {
        what: "writing the PKCS#12 file",
        reason: e.to_string(),
    };
    let mut ks = KeyStore::new();
    for (n, k) in contents.keys.iter().enumerate() {
        let key = PrivateKey::from_der(&k.key_pkcs8).map_err(bad)?;
        let chain = k
            .chain
            .iter()
            .map(|d| Certificate::from_der(d))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(bad)?;
        // Local key id as Java writes it: "Time <millis>"; any unique value links key and leaf.
        let id = format!("esmtls-{}-{n}", k.alias);
        ks.add_entry(
            &k.alias,
            KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(id.as_bytes(), key, chain)),
        );
    }
    let in_chains: Vec<&[u8]> = contents
        .keys
        .iter()
        .flat_map(|k| k.chain.iter().map(Vec::as_slice))
        .collect();
    for (n, c) in contents.certs.iter().enumerate() {
        if !c.trusted && in_chains.contains(&c.der.as_slice()) {
            continue;
        }
        let alias = c.alias.clone().unwrap_or_else(|| format!("cert{}", n + 1));
        ks.add_entry(
            &alias,
            KeyStoreEntry::Certificate(Certificate::from_der(&c.der).map_err(bad)?),
        );
    }
    ks.writer(password).write().map_err(bad)
}

/// The algorithms protecting a PKCS#12 file (no password needed to see them).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Algorithms {
    /// Encryption of certificate safes, e.g. `PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC, 10000 iterations)`.
    pub certificates: Vec<String>,
    /// Encryption of private keys.
    pub keys: Vec<String>,
    /// The MAC, e.g. `HMAC-SHA256 (10000 iterations)`, or `none`.
    pub mac: String,
    /// Legacy algorithms found, each with what it means.
    pub legacy: Vec<String>,
}

impl Algorithms {
    /// True when OpenSSL 3 needs `-legacy` to read the file.
    pub fn needs_openssl_legacy(&self) -> bool {
        self.legacy
            .iter()
            .any(|l| l.contains("OpenSSL 3 cannot read this without -legacy"))
    }
}

const PBE_SHA1_RC4_128: &str = "1.2.840.113549.1.12.1.1";
const PBE_SHA1_RC4_40: &str = "1.2.840.113549.1.12.1.2";
const PBE_SHA1_3DES: &str = "1.2.840.113549.1.12.1.3";
const PBE_SHA1_2DES: &str = "1.2.840.113549.1.12.1.4";
const PBE_SHA1_RC2_128: &str = "1.2.840.113549.1.12.1.5";
const PBE_SHA1_RC2_40: &str = "1.2.840.113549.1.12.1.6";
const PBES2: &str = "1.2.840.113549.1.5.13";
const PBKDF2: &str = "1.2.840.113549.1.5.12";
const DATA: &str = "1.2.840.113549.1.7.1";
const ENCRYPTED_DATA: &str = "1.2.840.113549.1.7.6";
const SHROUDED_KEY_BAG: &str = "1.2.840.113549.1.12.10.1.2";
const KEY_BAG: &str = "1.2.840.113549.1.12.10.1.1";

fn oid_name(oid: &str) -> String {
    match oid {
        "1.3.14.3.2.26" => "SHA-1",
        "2.16.840.1.101.3.4.2.1" => "SHA-256",
        "2.16.840.1.101.3.4.2.2" => "SHA-384",
        "2.16.840.1.101.3.4.2.3" => "SHA-512",
        "2.16.840.1.101.3.4.2.4" => "SHA-224",
        "1.2.840.113549.2.7" => "HMAC-SHA1",
        "1.2.840.113549.2.9" => "HMAC-SHA256",
        "1.2.840.113549.2.10" => "HMAC-SHA384",
        "1.2.840.113549.2.11" => "HMAC-SHA512",
        "2.16.840.1.101.3.4.1.2" => "AES-128-CBC",
        "2.16.840.1.101.3.4.1.22" => "AES-192-CBC",
        "2.16.840.1.101.3.4.1.42" => "AES-256-CBC",
        "1.2.840.113549.3.7" => "DES-EDE3-CBC",
        "1.3.14.3.2.7" => "DES-CBC",
        PBE_SHA1_RC4_128 => "PBE-SHA1-RC4-128",
        PBE_SHA1_RC4_40 => "PBE-SHA1-RC4-40",
        PBE_SHA1_3DES => "PBE-SHA1-3DES",
        PBE_SHA1_2DES => "PBE-SHA1-2DES",
        PBE_SHA1_RC2_128 => "PBE-SHA1-RC2-128",
        PBE_SHA1_RC2_40 => "PBE-SHA1-RC2-40",
        other => return other.to_string(),
    }
    .to_string()
}

fn describe(alg: &spki::AlgorithmIdentifierOwned, legacy: &mut Vec<String>) -> String {
    let oid = alg.oid.to_string();
    if oid == PBES2 {
        let params = alg
            .parameters
            .as_ref()
            .and_then(|p| p.to_der().ok())
            .and_then(|d| pkcs12::pbe_params::Pbes2Params::from_der(&d).ok());
        let Some(p) = params else {
            return "PBES2 (unreadable parameters)".into();
        };
        let enc = oid_name(&p.encryption.oid.to_string());
        let kdf = if p.kdf.oid.to_string() == PBKDF2 {
            let k = p
                .kdf
                .parameters
                .as_ref()
                .and_then(|x| x.to_der().ok())
                .and_then(|d| pkcs12::pbe_params::Pbkdf2Params::from_der(&d).ok());
            match k {
                Some(k) => format!(
                    "PBKDF2-{}, {} iterations",
                    oid_name(&k.prf.oid.to_string()),
                    k.iteration_count
                ),
                None => "PBKDF2".into(),
            }
        } else {
            oid_name(&p.kdf.oid.to_string())
        };
        if matches!(enc.as_str(), "DES-CBC") {
            legacy.push(format!("{enc}: OpenSSL 3 cannot read this without -legacy"));
        }
        return format!("PBES2 ({kdf}, {enc})");
    }
    let name = oid_name(&oid);
    let iters = alg
        .parameters
        .as_ref()
        .and_then(|p| p.to_der().ok())
        .and_then(|d| pkcs12::pbe_params::Pkcs12PbeParams::from_der(&d).ok())
        .map(|p| format!(" ({} iterations)", p.iterations))
        .unwrap_or_default();
    match oid.as_str() {
        PBE_SHA1_RC2_40 | PBE_SHA1_RC2_128 | PBE_SHA1_RC4_40 | PBE_SHA1_RC4_128 => {
            legacy.push(format!("{name}: OpenSSL 3 cannot read this without -legacy (Node.js and curl refuse it too)"))
        }
        PBE_SHA1_3DES | PBE_SHA1_2DES => legacy.push(format!("{name}: legacy encryption (SHA-1 key derivation, 3DES); JDK 17+ and OpenSSL 3 write AES-256")),
        _ => {}
    }
    format!("{name}{iters}")
}

/// Reports the algorithms of a PKCS#12 file.
pub fn algorithms(bytes: &[u8], file: &str) -> Result<Algorithms> {
    let unreadable = |reason: String| PkiError::Unreadable {
        file: file.into(),
        what: "PKCS#12 file",
        reason,
    };
    let pfx = pkcs12::pfx::Pfx::from_der(bytes).map_err(|e| unreadable(e.to_string()))?;
    let mut legacy = Vec::new();
    let mac = match &pfx.mac_data {
        Some(m) => {
            let name = oid_name(&m.mac.algorithm.oid.to_string());
            if name == "SHA-1" {
                legacy.push(
                    "MAC SHA-1: legacy integrity check; JDK 17+ and OpenSSL 3 write SHA-256"
                        .to_string(),
                );
            }
            format!("HMAC-{} ({} iterations)", name, m.iterations)
        }
        None => "none".into(),
    };
    if pfx.auth_safe.content_type.to_string() != DATA {
        return Err(unreadable(
            "the content is signed, not password-protected (public-key PKCS#12 is not supported)"
                .into(),
        ));
    }
    let octets = der::asn1::OctetString::from_der(
        &pfx.auth_safe
            .content
            .to_der()
            .map_err(|e| unreadable(e.to_string()))?,
    )
    .map_err(|e| unreadable(e.to_string()))?;
    let safes: Vec<cms::content_info::ContentInfo> =
        Vec::from_der(octets.as_bytes()).map_err(|e: der::Error| unreadable(e.to_string()))?;
    let (mut certificates, mut keys) = (Vec::new(), Vec::new());
    for safe in safes {
        let ct = safe.content_type.to_string();
        let content = safe
            .content
            .to_der()
            .map_err(|e| unreadable(e.to_string()))?;
        if ct == ENCRYPTED_DATA {
            let ed = cms::encrypted_data::EncryptedData::from_der(&content)
                .map_err(|e| unreadable(e.to_string()))?;
            push_unique(
                &mut certificates,
                describe(&ed.enc_content_info.content_enc_alg, &mut legacy),
            );
        } else if ct == DATA {
            let inner = der::asn1::OctetString::from_der(&content)
                .map_err(|e| unreadable(e.to_string()))?;
            let bags: Vec<pkcs12::safe_bag::SafeBag> = Vec::from_der(inner.as_bytes())
                .map_err(|e: der::Error| unreadable(e.to_string()))?;
            for bag in bags {
                let id = bag.bag_id.to_string();
                if id == SHROUDED_KEY_BAG {
                    let any = der::Any::from_der(&bag.bag_value)
                        .map_err(|e| unreadable(e.to_string()))?;
                    let epki = pkcs12::pbe_params::EncryptedPrivateKeyInfo::from_der(any.value())
                        .map_err(|e| unreadable(e.to_string()))?;
                    push_unique(&mut keys, describe(&epki.encryption_algorithm, &mut legacy));
                } else if id == KEY_BAG {
                    push_unique(&mut keys, "none (the private key is not encrypted)".into());
                } else if id == "1.2.840.113549.1.12.10.1.3" {
                    push_unique(&mut certificates, "none".into());
                }
            }
        }
    }
    legacy.dedup();
    Ok(Algorithms {
        certificates,
        keys,
        mac,
        legacy,
    })
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::KeyType;
    use crate::pki::build::{self, CaMaterial, CaSpec, LeafSpec, Usage};

    #[test]
    fn write_then_read_keeps_aliases_and_roles() {
        let ca = build::new_ca(&CaSpec {
            key: KeyType::EcP256,
            ..CaSpec::default()
        })
        .unwrap();
        let ca = CaMaterial {
            cert_der: ca.cert_der,
            key: ca.key,
            chain_der: vec![],
        };
        let leaf = build::issue(
            &LeafSpec {
                name: "es01".into(),
                dns: vec![],
                ips: vec![],
                usage: Usage::Server,
                days: 10,
                key: KeyType::EcP256,
            },
            &ca,
        )
        .unwrap();
        let bytes = write_key(
            "es01",
            &leaf.key.serialize_der(),
            &[leaf.cert_der.clone(), ca.cert_der.clone()],
            &[("ca".into(), ca.cert_der.clone())],
            "pw",
        )
        .unwrap();
        let c = read(&bytes, "pw", "x.p12").unwrap();
        assert_eq!(c.keys.len(), 1);
        assert_eq!(c.keys[0].alias, "es01");
        assert_eq!(c.keys[0].chain, vec![leaf.cert_der, ca.cert_der.clone()]);
        assert!(
            c.certs
                .iter()
                .any(|e| e.trusted && e.alias.as_deref() == Some("ca") && e.der == ca.cert_der)
        );
        let alg = algorithms(&bytes, "x.p12").unwrap();
        assert_eq!(alg.mac, "HMAC-SHA-256 (10000 iterations)");
        assert_eq!(
            alg.keys,
            vec!["PBES2 (PBKDF2-HMAC-SHA256, 10000 iterations, AES-256-CBC)"]
        );
        assert!(alg.legacy.is_empty());
        assert!(matches!(
            read(&bytes, "nope", "x.p12"),
            Err(PkiError::WrongPassword { .. })
        ));
        assert!(matches!(
            read(&bytes[..bytes.len() / 2], "pw", "x.p12"),
            Err(PkiError::Unreadable { .. })
        ));
    }
}
