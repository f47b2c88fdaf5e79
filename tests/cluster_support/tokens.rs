//! Service account tokens: the bearer encoding, the node's `service_tokens`
//! file and the stored-hash check — written for the tests from Elastic's
//! source, independently of the product's code.
//!
//! * Bearer: elastic/elasticsearch
//!   `x-pack/plugin/core/src/main/java/org/elasticsearch/xpack/core/security/authc/service/ServiceAccountToken.java`
//!   — standard Base64 (written without padding) of the prefix bytes
//!   `00 01 00 01` (magic, token type, reserved, format version), then
//!   `namespace/service/token_name:secret` in UTF-8; anything else is not a
//!   service token. `ServiceAccountService.authenticateToken` refuses secrets
//!   shorter than 10 characters.
//! * File: `x-pack/plugin/security/.../authc/service/FileServiceAccountTokenStore.java`
//!   with `.../security/support/FileLineParser.java` — one
//!   `namespace/service/name:hash` per line, lines starting with `#` and blank
//!   lines skipped, each line trimmed, the key ends at the first `:`; a line
//!   without `:` fails the file; plain-text (`NOOP`) hashes are skipped; a
//!   later duplicate wins. What `bin/elasticsearch-service-tokens create`
//!   (`FileTokensTool.java`) writes with the default
//!   `xpack.security.authc.service_token_hashing.algorithm`, `PBKDF2_STRETCH`.
//! * Hash: `x-pack/plugin/core/.../authc/support/Hasher.java` —
//!   `{PBKDF2}<iterations>$<salt b64>$<key b64>` is PBKDF2-HMAC-SHA512 over the
//!   secret; `{PBKDF2_STRETCH}...` the same over the lowercase hex SHA-512 of
//!   the secret. The key length is read from the stored key, the salt must be
//!   at least 8 bytes. Other algorithms (bcrypt, salted SHA) are not modelled.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

/// The four leading bytes of every service token.
const PREFIX: [u8; 4] = [0, 1, 0, 1];
const MIN_SECRET_CHARS: usize = 10;
/// What `Hasher.resolveFromHash` recognises; anything else is plain text.
const HASH_PREFIXES: [&str; 6] = [
    "$2",
    "{PBKDF2_STRETCH}",
    "{PBKDF2}",
    "{SHA}",
    "{MD5}",
    "{SSHA256}",
];

/// A decoded service account bearer token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceToken {
    /// `elastic/kibana`.
    pub account: String,
    /// The token's name.
    pub name: String,
    /// The secret.
    pub secret: String,
}

impl ServiceToken {
    /// `elastic/kibana/<name>`: the key of a `service_tokens` line.
    pub fn qualified_name(&self) -> String {
        format!("{}/{}", self.account, self.name)
    }

    /// True when `ServiceAccountService` would even look the token up.
    pub fn secret_long_enough(&self) -> bool {
        self.secret.chars().count() >= MIN_SECRET_CHARS
    }
}

/// `ServiceAccountToken.fromBearerString`: `None` when the bearer is not a
/// service token (wrong prefix, no `:`, not `a/b/c`).
pub fn parse_bearer(bearer: &str) -> Option<ServiceToken> {
    let bytes = STANDARD_NO_PAD.decode(bearer.trim_end_matches('=')).ok()?;
    let rest = bytes.strip_prefix(&PREFIX)?;
    let text = String::from_utf8(rest.to_vec()).ok()?;
    let (qualified, secret) = text.split_once(':')?;
    let parts: Vec<&str> = qualified.split('/').collect();
    let [ns, service, name] = parts.as_slice() else {
        return None;
    };
    Some(ServiceToken {
        account: format!("{ns}/{service}"),
        name: name.to_string(),
        secret: secret.to_string(),
    })
}

/// `ServiceAccountToken.asBearerString`.
pub fn bearer(account: &str, name: &str, secret: &str) -> String {
    let mut bytes = PREFIX.to_vec();
    bytes.extend_from_slice(format!("{account}/{name}:{secret}").as_bytes());
    STANDARD_NO_PAD.encode(bytes)
}

/// Reads `<config>/service_tokens`: qualified name → stored hash. A missing
/// file holds no tokens; an unparseable one fails the node's start, as
/// `FileServiceAccountTokenStore`'s constructor does.
pub fn load_file(config_dir: &Path) -> Result<BTreeMap<String, String>, String> {
    let path = config_dir.join("service_tokens");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => {
            return Err(format!(
                "Failed to load service_tokens file [{}]: {e}",
                path.display()
            ));
        }
    };
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let line = line.trim();
        let Some((key, hash)) = line.split_once(':') else {
            return Err(format!(
                "Failed to load service_tokens file [{}]: Missing ':' character at line #{}",
                path.display(),
                n + 1
            ));
        };
        if !HASH_PREFIXES.iter().any(|p| hash.starts_with(p)) {
            continue; // Hasher.NOOP: "skipping plaintext service account token"
        }
        out.insert(key.to_string(), hash.to_string());
    }
    Ok(out)
}

/// `Hasher.verifyHash` for the PBKDF2 family. `Err` names a stored hash the
/// fake cannot check (another algorithm), so a test never passes by accident.
pub fn verify(secret: &str, stored: &str) -> Result<bool, String> {
    let (input, rest) = if let Some(r) = stored.strip_prefix("{PBKDF2_STRETCH}") {
        (sha512_hex(secret), r)
    } else if let Some(r) = stored.strip_prefix("{PBKDF2}") {
        (secret.to_string(), r)
    } else {
        return Err(format!(
            "the fake cluster does not check hashes like [{stored:.12}...]"
        ));
    };
    let mut parts = rest.splitn(3, '$');
    let (Some(iters), Some(salt), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(false);
    };
    let Some(iters) = iters.parse::<u32>().ok().and_then(NonZeroU32::new) else {
        return Ok(false);
    };
    let Ok(salt) = STANDARD.decode(salt) else {
        return Ok(false);
    };
    // Hasher: the key length in bits is (chars * 3) / 64 * 128, a multiple of 128.
    let bits = key.len() * 3 / 64 * 128;
    if salt.len() < 8 || bits == 0 {
        return Ok(false);
    }
    let mut out = vec![0u8; bits / 8];
    aws_lc_rs::pbkdf2::derive(
        aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA512,
        iters,
        &salt,
        input.as_bytes(),
        &mut out,
    );
    Ok(STANDARD.encode(&out) == key)
}

/// A `service_tokens` line as `elasticsearch-service-tokens create` writes it
/// (`PBKDF2_STRETCH`, 32-byte key), for a given salt and iteration count.
pub fn file_line(account: &str, name: &str, secret: &str, salt: &[u8], iterations: u32) -> String {
    let mut key = [0u8; 32];
    aws_lc_rs::pbkdf2::derive(
        aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA512,
        NonZeroU32::new(iterations).expect("iterations > 0"),
        salt,
        sha512_hex(secret).as_bytes(),
        &mut key,
    );
    format!(
        "{account}/{name}:{{PBKDF2_STRETCH}}{iterations}${}${}",
        STANDARD.encode(salt),
        STANDARD.encode(key)
    )
}

/// `Hasher.hashSha512`: lowercase hex of SHA-512 over the UTF-8 text.
fn sha512_hex(text: &str) -> String {
    hex::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA512,
        text.as_bytes(),
    ))
}
