//! Key types and key generation (aws-lc-rs through rcgen).
//!
//! RSA 2048 is the default because certutil uses it and because Kibana reads a
//! PKCS#12 key with node-forge, which only understands RSA keys.

use std::fmt;
use std::str::FromStr;

use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384, PKCS_RSA_SHA256, RsaKeySize};

use super::{PkiError, Result, crypto};

/// The key types esmtls generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyType {
    /// RSA 2048 bits (the default, as certutil).
    #[default]
    Rsa2048,
    /// RSA 3072 bits.
    Rsa3072,
    /// RSA 4096 bits.
    Rsa4096,
    /// ECDSA on P-256.
    EcP256,
    /// ECDSA on P-384.
    EcP384,
}

impl KeyType {
    /// Every key type, in the order the help lists them.
    pub const ALL: [KeyType; 5] = [
        KeyType::Rsa2048,
        KeyType::Rsa3072,
        KeyType::Rsa4096,
        KeyType::EcP256,
        KeyType::EcP384,
    ];

    /// The spelling used on the command line and in answers files.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Rsa2048 => "rsa2048",
            KeyType::Rsa3072 => "rsa3072",
            KeyType::Rsa4096 => "rsa4096",
            KeyType::EcP256 => "ec-p256",
            KeyType::EcP384 => "ec-p384",
        }
    }

    /// True for the RSA key types.
    pub fn is_rsa(self) -> bool {
        matches!(self, KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096)
    }

    /// Generates a new key pair of this type.
    pub fn generate(self) -> Result<KeyPair> {
        let rsa = |size| {
            KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, size).map_err(crypto("RSA key generation"))
        };
        match self {
            KeyType::Rsa2048 => rsa(RsaKeySize::_2048),
            KeyType::Rsa3072 => rsa(RsaKeySize::_3072),
            KeyType::Rsa4096 => rsa(RsaKeySize::_4096),
            KeyType::EcP256 => {
                KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(crypto("EC key generation"))
            }
            KeyType::EcP384 => {
                KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).map_err(crypto("EC key generation"))
            }
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyType {
    type Err = PkiError;
    fn from_str(s: &str) -> Result<Self> {
        KeyType::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<_> = KeyType::ALL.iter().map(|k| k.name()).collect();
                PkiError::Invalid(format!(
                    "unknown key type '{s}'; use one of {}",
                    names.join(", ")
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names() {
        assert_eq!("EC-P256".parse::<KeyType>().unwrap(), KeyType::EcP256);
        let e = "dsa".parse::<KeyType>().unwrap_err().to_string();
        assert_eq!(
            e,
            "unknown key type 'dsa'; use one of rsa2048, rsa3072, rsa4096, ec-p256, ec-p384"
        );
    }

    #[test]
    fn generates_ec() {
        let k = KeyType::EcP256.generate().unwrap();
        assert!(k.is_compatible(&PKCS_ECDSA_P256_SHA256));
    }
}
