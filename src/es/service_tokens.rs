//! File-based service account tokens: the `$ES_PATH_CONF/service_tokens` file
//! that `bin/elasticsearch-service-tokens create elastic/kibana <name>` writes,
//! for when the Elasticsearch API cannot be reached.
//!
//! Formats (facts read from elastic/elasticsearch, x-pack/plugin/security):
//! - a file line is `<namespace>/<service>/<name>:<hash>`, e.g.
//!   `elastic/kibana/esmtls:{PBKDF2_STRETCH}10000$<salt>$<key>`
//!   (`authc/service/FileServiceAccountTokenStore.java` `writeFile`/`parseFile`);
//! - the hash is the CLI's default `xpack.security.authc.service_token_hashing.algorithm`,
//!   `PBKDF2_STRETCH` (`core/XPackSettings.java`): PBKDF2-HMAC-SHA512 over the
//!   lowercase hex SHA-512 of the secret, 10 000 iterations, a 32-byte random
//!   salt, a 32-byte key, salt and key in padded standard base64
//!   (`core/security/authc/support/Hasher.java` `getPbkdf2Hash`, `hashSha512`);
//! - the secret is 16 random bytes with the UUID v4 version and variant bits
//!   set, in URL-safe base64 without padding: 22 characters
//!   (`ServiceAccountToken.newToken` → `server/.../common/RandomBasedUUIDGenerator.java`);
//! - the bearer token Kibana sends (`elasticsearch.serviceAccountToken`) is
//!   standard base64 without padding of the bytes `00 01 00 01` (magic, type,
//!   reserved, version) followed by `elastic/kibana/<name>:<secret>` in UTF-8
//!   (`ServiceAccountToken.asBearerString` / `fromBearerString`);
//! - a token name matches `^[a-zA-Z0-9-][a-zA-Z0-9_-]{0,255}$`
//!   (`core/security/support/Validation.java`).
//!
//! How Elasticsearch reads the file (`parseFile`, `support/FileLineParser.java`):
//! a line that *starts* with `#`, or is blank, is skipped; every other line is
//! trimmed and split at its first `:`; a line without `:` makes the node drop
//! every token of the file ([`check`] finds it); a later line for the same id
//! overrides an earlier one. This module follows the same rules, so what it
//! calls "the line of a token" is what Elasticsearch would use.
//!
//! Differences from the CLI, on purpose: the CLI rewrites the whole file
//! sorted (comments are lost) and refuses a name that exists; [`merge`] keeps
//! every other line, comment and the order, and replaces the line of that id.
//! [`verify`] checks `{PBKDF2_STRETCH}` and `{PBKDF2}` hashes (any iteration
//! count); bcrypt and other hashes, which this module never writes, are
//! reported as not matching.
//!
//! Secrets are [`Secret`]s; intermediate buffers are zeroized; nothing here
//! prints a secret.

use std::num::NonZeroU32;

use aws_lc_rs::{digest, pbkdf2};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use zeroize::Zeroizing;

use crate::secret::Secret;

/// The file's name in `$ES_PATH_CONF`.
pub const FILE_NAME: &str = "service_tokens";
/// The service account Kibana uses.
pub const KIBANA_SERVICE: &str = "elastic/kibana";

/// Magic byte, token type, reserved byte, format version (`ServiceAccountToken.PREFIX`).
const BEARER_PREFIX: [u8; 4] = [0, 1, 0, 1];
const STRETCH_PREFIX: &str = "{PBKDF2_STRETCH}";
const PBKDF2_PREFIX: &str = "{PBKDF2}";
/// `Hasher.PBKDF2_DEFAULT_COST`.
const ITERATIONS: u32 = 10_000;
/// `Hasher.getPbkdf2Hash` salt and key sizes, in bytes.
const SALT_LEN: usize = 32;
const KEY_LEN: usize = 32;
/// `Hasher.PBKDF2_MIN_SALT_LENGTH_IN_BYTES`.
const MIN_SALT_LEN: usize = 8;

/// Elasticsearch's own explanation (`Validation.INVALID_SERVICE_ACCOUNT_TOKEN_NAME_MESSAGE`).
const NAME_RULE: &str = "service account token name must have at least 1 character and at most 256 characters that are alphanumeric (A-Z, a-z, 0-9) or hyphen (-) or underscore (_). It must not begin with an underscore (_).";

/// A new file token: the line for `service_tokens` and the bearer for Kibana.
#[derive(Debug, Clone)]
pub struct FileToken {
    /// The token name (the last part of the id).
    pub name: String,
    /// What Kibana sends (`elasticsearch.serviceAccountToken`).
    pub bearer: Secret,
    /// `elastic/kibana/<name>:<hash>` — holds no secret.
    pub line: String,
}

impl FileToken {
    /// The token id, `elastic/kibana/<name>`.
    pub fn id(&self) -> &str {
        key_of(&self.line)
    }
}

/// Makes a token for `service` (`"elastic/kibana"`) named `name`.
pub fn new_token(service: &str, name: &str) -> Result<FileToken, String> {
    check_service(service)?;
    check_name(name)?;
    let secret = new_secret()?;
    let mut salt = [0u8; SALT_LEN];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| "the system random generator failed")?;
    let id = format!("{service}/{name}");
    Ok(FileToken {
        name: name.to_string(),
        bearer: Secret::new(bearer(&id, &secret).as_str()),
        line: format!("{id}:{}", stretch_hash(&secret, &salt, ITERATIONS)),
    })
}

/// Refuses a token name Elasticsearch would refuse, in one line.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok_len = (1..=256).contains(&name.len());
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok_len && ok_chars && !name.starts_with('_') {
        Ok(())
    } else {
        Err(format!("invalid service token name [{name}]. {NAME_RULE}"))
    }
}

/// Refuses a service that is not `<namespace>/<service>`.
fn check_service(service: &str) -> Result<(), String> {
    let parts: Vec<&str> = service.split('/').collect();
    let ok = parts.len() == 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid service account [{service}]: expected <namespace>/<service>, e.g. {KIBANA_SERVICE}"
        ))
    }
}

/// A secret as `UUIDs.randomBase64UUIDSecureString` makes it.
fn new_secret() -> Result<Zeroizing<String>, String> {
    let mut bytes = Zeroizing::new([0u8; 16]);
    aws_lc_rs::rand::fill(&mut bytes[..]).map_err(|_| "the system random generator failed")?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Ok(Zeroizing::new(URL_SAFE_NO_PAD.encode(&bytes[..])))
}

fn bearer(id: &str, secret: &str) -> Zeroizing<String> {
    let mut raw = Zeroizing::new(Vec::with_capacity(4 + id.len() + 1 + secret.len()));
    raw.extend_from_slice(&BEARER_PREFIX);
    raw.extend_from_slice(id.as_bytes());
    raw.push(b':');
    raw.extend_from_slice(secret.as_bytes());
    Zeroizing::new(STANDARD_NO_PAD.encode(&raw[..]))
}

/// The name of a `elastic/kibana` token from its bearer value (what
/// `elasticsearch.serviceAccountToken` holds), e.g. `enroll-process-token-…`
/// for the token Kibana's enrollment made; None for anything else.
pub fn kibana_token_name(bearer: &str) -> Option<String> {
    let (id, _) = decode_bearer(bearer)?;
    id.strip_prefix(KIBANA_SERVICE)?
        .strip_prefix('/')
        .map(String::from)
}

/// The token id and secret inside a bearer token, as `fromBearerString` reads it.
fn decode_bearer(bearer: &str) -> Option<(String, Zeroizing<String>)> {
    // Java's basic decoder: standard alphabet, padding optional.
    let lenient = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let raw = Zeroizing::new(lenient.decode(bearer).ok()?);
    let rest = raw.strip_prefix(&BEARER_PREFIX[..])?;
    let text = Zeroizing::new(String::from_utf8(rest.to_vec()).ok()?);
    let (id, secret) = text.split_once(':')?;
    let parts: Vec<&str> = id.split('/').collect();
    if parts.len() != 3 || check_name(parts[2]).is_err() {
        return None;
    }
    Some((id.to_string(), Zeroizing::new(secret.to_string())))
}

/// `{PBKDF2_STRETCH}<iterations>$<salt>$<key>` for `secret`.
fn stretch_hash(secret: &str, salt: &[u8], iterations: u32) -> String {
    let key = derive(&sha512_hex(secret), salt, iterations, KEY_LEN);
    format!(
        "{STRETCH_PREFIX}{iterations}${}${}",
        STANDARD.encode(salt),
        STANDARD.encode(&key[..])
    )
}

fn sha512_hex(secret: &str) -> Zeroizing<String> {
    Zeroizing::new(hex::encode(digest::digest(
        &digest::SHA512,
        secret.as_bytes(),
    )))
}

fn derive(password: &str, salt: &[u8], iterations: u32, len: usize) -> Zeroizing<Vec<u8>> {
    let mut key = Zeroizing::new(vec![0u8; len]);
    let iterations = NonZeroU32::new(iterations).unwrap_or(NonZeroU32::MIN);
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA512,
        iterations,
        salt,
        password.as_bytes(),
        &mut key,
    );
    key
}

/// Whether `hash` (a file line's part after the id) is the hash of `secret`,
/// as `Hasher.verifyHash` decides it for the two PBKDF2 forms.
fn hash_matches(secret: &str, hash: &str) -> bool {
    let (password, rest) = if let Some(rest) = hash.strip_prefix(STRETCH_PREFIX) {
        (sha512_hex(secret), rest)
    } else if let Some(rest) = hash.strip_prefix(PBKDF2_PREFIX) {
        (Zeroizing::new(secret.to_string()), rest)
    } else {
        return false;
    };
    let mut fields = rest.splitn(3, '$');
    let (Some(iterations), Some(salt), Some(key)) = (fields.next(), fields.next(), fields.next())
    else {
        return false;
    };
    let Some(iterations) = iterations.parse::<u32>().ok().and_then(NonZeroU32::new) else {
        return false;
    };
    let (Ok(salt), Ok(expected)) = (STANDARD.decode(salt), STANDARD.decode(key)) else {
        return false;
    };
    // Hasher derives as many bits as the stored key's base64 length implies,
    // rounded down to a multiple of 128.
    let key_len = key.len() * 3 / 64 * 16;
    if salt.len() < MIN_SALT_LEN || key_len == 0 || expected.len() != key_len {
        return false;
    }
    pbkdf2::verify(
        pbkdf2::PBKDF2_HMAC_SHA512,
        iterations,
        &salt,
        password.as_bytes(),
        &expected,
    )
    .is_ok()
}

/// The id part of a line (before the first `:`), as `parseFile` cuts it.
fn key_of(line: &str) -> &str {
    line.split_once(':').map_or(line, |(k, _)| k)
}

/// The id and hash of a file line, or `None` for a comment or blank line.
/// `Some(Err(()))` is a line without `:`.
fn entry(raw_line: &str) -> Option<Result<(&str, &str), ()>> {
    if raw_line.starts_with('#') || raw_line.trim().is_empty() {
        return None;
    }
    Some(raw_line.trim().split_once(':').ok_or(()))
}

/// Whether `hash` has a prefix `Hasher.resolveFromHash` knows; Elasticsearch
/// skips a line whose hash does not (a plaintext token), keeping earlier ones.
fn is_hashed(hash: &str) -> bool {
    let b = hash.as_bytes();
    let bcrypt =
        b.len() >= 4 && b[0] == b'$' && b[1] == b'2' && b"aby".contains(&b[2]) && b[3] == b'$';
    bcrypt
        || [STRETCH_PREFIX, PBKDF2_PREFIX, "{SHA}", "{MD5}", "{SSHA256}"]
            .iter()
            .any(|p| hash.starts_with(p))
}

/// The lines of `text`, each without and with its line ending.
fn lines(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.split_inclusive('\n').map(|raw| {
        let body = raw
            .strip_suffix("\r\n")
            .or_else(|| raw.strip_suffix('\n'))
            .unwrap_or(raw);
        (body, &raw[body.len()..])
    })
}

/// Refuses a file Elasticsearch would drop entirely: a line without `:`.
pub fn check(text: &str) -> Result<(), String> {
    for (i, (body, _)) in lines(text).enumerate() {
        if let Some(Err(())) = entry(body) {
            return Err(format!(
                "{FILE_NAME} line {} has no ':' (expected <namespace>/<service>/<name>:<hash>); Elasticsearch ignores every token of the file until it is fixed",
                i + 1
            ));
        }
    }
    Ok(())
}

/// True when the file has a line Elasticsearch would load for the token
/// `service/name` (a hashed one).
pub fn has_token(existing: &str, service: &str, name: &str) -> bool {
    let id = format!("{service}/{name}");
    lines(existing)
        .any(|(body, _)| matches!(entry(body), Some(Ok((k, h))) if k == id && is_hashed(h)))
}

/// The file with `line` added, or in place of the first line for the same id
/// (later lines for that id, which would override it, are dropped). Every
/// other line, comment and the order are kept; the result ends with a newline
/// in the file's own line-ending style.
pub fn merge(existing: &str, line: &str) -> String {
    let id = key_of(line.trim());
    let eol = if existing.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut out = String::with_capacity(existing.len() + line.len() + 2);
    let mut placed = false;
    for (body, ending) in lines(existing) {
        let ending = if ending.is_empty() { eol } else { ending };
        if matches!(entry(body), Some(Ok((k, _))) if k == id) {
            if !placed {
                out.push_str(line.trim());
                out.push_str(ending);
                placed = true;
            }
            continue;
        }
        out.push_str(body);
        out.push_str(ending);
    }
    if !placed {
        out.push_str(line.trim());
        out.push_str(eol);
    }
    out
}

/// The file without the line(s) of the token `service/name`; unchanged if
/// there is none.
pub fn remove(existing: &str, service: &str, name: &str) -> String {
    let id = format!("{service}/{name}");
    lines(existing)
        .filter(|(body, _)| !matches!(entry(body), Some(Ok((k, _))) if k == id))
        .map(|(body, ending)| format!("{body}{ending}"))
        .collect()
}

/// The token id when `bearer` is a token whose secret matches the line
/// Elasticsearch would use for it in `file_text` (the last one for its id);
/// `None` otherwise, or when Elasticsearch would ignore the whole file.
pub fn verify(file_text: &str, bearer: &str) -> Option<String> {
    check(file_text).ok()?;
    let (id, secret) = decode_bearer(bearer)?;
    let hash = lines(file_text)
        .filter_map(|(body, _)| match entry(body) {
            Some(Ok((k, h))) if k == id && is_hashed(h) => Some(h),
            _ => None,
        })
        .last()?;
    hash_matches(&secret, hash).then_some(id)
}

#[cfg(test)]
mod tests;
