//! PEM in and out, and private keys in every form operators have them.
//!
//! Keys are read from PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`, what
//! certutil `--pem` writes), SEC1 (`EC PRIVATE KEY`) and encrypted PKCS#8
//! (`ENCRYPTED PRIVATE KEY`, PBES2). OpenSSL's old `Proc-Type: 4,ENCRYPTED`
//! form is refused with a way out. Keys are always written as PKCS#8.

use pkcs8::der::Decode;
use rcgen::KeyPair;

use super::{PkiError, Result};
use crate::secret::Secret;

/// One PEM block: its label and DER content.
pub struct Block {
    /// The label, e.g. `CERTIFICATE`.
    pub tag: String,
    /// The DER bytes.
    pub der: Vec<u8>,
    /// True when the block carries OpenSSL's legacy `Proc-Type: 4,ENCRYPTED` header.
    pub legacy_encrypted: bool,
}

/// True when the bytes look like PEM text.
pub fn is_pem(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    String::from_utf8_lossy(head).contains("-----BEGIN ")
}

/// Every PEM block in the text.
pub fn parse_all(bytes: &[u8], file: &str) -> Result<Vec<Block>> {
    let blocks = ::pem::parse_many(bytes).map_err(|e| PkiError::Unreadable {
        file: file.into(),
        what: "PEM file",
        reason: e.to_string(),
    })?;
    Ok(blocks
        .into_iter()
        .map(|p| Block {
            legacy_encrypted: p
                .headers()
                .get("Proc-Type")
                .is_some_and(|v| v.contains("ENCRYPTED")),
            tag: p.tag().to_string(),
            der: p.into_contents(),
        })
        .collect())
}

/// PEM text for a certificate.
pub fn cert(der: &[u8]) -> String {
    ::pem::encode(&::pem::Pem::new("CERTIFICATE", der.to_vec()))
}

/// PEM text for several certificates, in order.
pub fn certs<'a>(ders: impl IntoIterator<Item = &'a [u8]>) -> String {
    ders.into_iter().map(cert).collect()
}

/// PEM text (PKCS#8, unencrypted) for a key.
pub fn key(key: &KeyPair) -> String {
    key.serialize_pem()
}

/// PEM text (`PRIVATE KEY`, LF line ends) for a PKCS#8 DER key.
pub fn key_der(der: &[u8]) -> String {
    let lf = ::pem::EncodeConfig::new().set_line_ending(::pem::LineEnding::LF);
    ::pem::encode_config(&::pem::Pem::new("PRIVATE KEY", der.to_vec()), lf)
}

/// Reads the one private key in `blocks`; `password` is asked for only when
/// the key is encrypted.
pub fn private_key(
    blocks: &[Block],
    file: &str,
    password: &mut dyn FnMut() -> Result<Secret>,
) -> Result<Option<KeyPair>> {
    let keys: Vec<&Block> = blocks
        .iter()
        .filter(|b| b.tag.ends_with("PRIVATE KEY"))
        .collect();
    let Some(b) = keys.first() else {
        return Ok(None);
    };
    if keys.len() > 1 {
        return Err(PkiError::Invalid(format!(
            "{file} holds {} private keys; give a file with exactly one",
            keys.len()
        )));
    }
    if b.legacy_encrypted {
        return Err(PkiError::Unsupported(format!(
            "{file} is encrypted in OpenSSL's legacy PEM format; convert it to PKCS#8 with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in {file} -out ca-pkcs8.key` (it prompts for both passwords) and pass that file"
        )));
    }
    let unreadable = |reason: String| PkiError::Unreadable {
        file: file.into(),
        what: "private key",
        reason,
    };
    let der = if b.tag == "ENCRYPTED PRIVATE KEY" {
        let info = pkcs8::EncryptedPrivateKeyInfoRef::from_der(&b.der)
            .map_err(|e| unreadable(e.to_string()))?;
        let pw = password()?;
        let doc = info
            .decrypt(pw.expose().as_bytes())
            .map_err(|_| PkiError::WrongPassword { file: file.into() })?;
        doc.as_bytes().to_vec()
    } else {
        b.der.clone()
    };
    KeyPair::try_from(der.as_slice())
        .map(Some)
        .map_err(|e| unreadable(e.to_string()))
}

/// The certificates (DER) in `blocks`, in file order.
pub fn certificates(blocks: &[Block]) -> Vec<Vec<u8>> {
    blocks
        .iter()
        .filter(|b| b.tag == "CERTIFICATE" || b.tag == "X509 CERTIFICATE")
        .map(|b| b.der.clone())
        .collect()
}
