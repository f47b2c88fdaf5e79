//! `kibana.keystore`: read, create, change and write Kibana's secure settings file.
//!
//! Format (Kibana `src/cli/keystore/lib/keystore.ts`, identical since 7.x):
//! `"1:" + base64(salt[64] ‖ iv[12] ‖ tag[16] ‖ AES-256-GCM(JSON))` with the key
//! `PBKDF2-HMAC-SHA512(password, salt, 10 000, 32)`, no AAD, no trailing newline.
//! The default password is empty; Kibana 8.15+ also opens protected files,
//! taking the password from `KBN_KEYSTORE_PASSPHRASE_FILE` (trimmed) or
//! `KEYSTORE_PASSWORD`. Written by hand: no crate knows this format.
//!
//! Invariants: values esmtls adds are JSON strings (Kibana's own CLI would turn
//! `123` into a number); values of other JSON types found in a file are kept
//! verbatim; keys are written sorted (readers ignore the order); a file that does
//! not decrypt is never rewritten.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use zeroize::Zeroizing;

use super::crypto::{self, IV_LEN, TAG_LEN};
use super::{KeystoreError, MODE_KEYSTORE, Random};
use crate::fsutil::{self, Existing, Outcome};
use crate::secret::Secret;

/// File name of the keystore inside Kibana's config directory.
pub const FILE_NAME: &str = "kibana.keystore";
/// Environment variable naming a file that holds the keystore password (Kibana 8.15+).
pub const PASSPHRASE_FILE_ENV: &str = "KBN_KEYSTORE_PASSPHRASE_FILE";
/// Environment variable holding the keystore password itself (Kibana 8.15+).
pub const PASSWORD_ENV: &str = "KEYSTORE_PASSWORD";

const SALT_LEN: usize = 64;
const ITERATIONS: u32 = 10_000;
const KEY_LEN: usize = 32;
const HEADER_LEN: usize = SALT_LEN + IV_LEN + TAG_LEN;

/// One value of a Kibana keystore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KibanaValue {
    /// A JSON string (what esmtls writes).
    String(Secret),
    /// Any other JSON value, kept as its compact JSON text.
    Json(Secret),
}

impl KibanaValue {
    /// The value as `show` prints it: the string itself, or the JSON text.
    pub fn expose(&self) -> &str {
        match self {
            KibanaValue::String(s) | KibanaValue::Json(s) => s.expose(),
        }
    }
}

/// A decrypted Kibana keystore.
#[derive(Debug, Clone)]
pub struct KibanaKeystore {
    entries: BTreeMap<String, KibanaValue>,
    password: Secret,
}

impl KibanaKeystore {
    /// A new, empty keystore; an empty `password` is Kibana's default.
    pub fn new(password: Secret) -> Self {
        KibanaKeystore {
            entries: BTreeMap::new(),
            password,
        }
    }

    /// True when the file content does not open with the empty password.
    pub fn is_protected(content: &[u8]) -> bool {
        decrypt(content, "").is_none()
    }

    /// Decrypts file content. The empty password is tried first (as Kibana's
    /// `hasPassword()` does), then `password` if given.
    pub fn decode(
        content: &[u8],
        password: Option<&Secret>,
        path: &Path,
    ) -> Result<Self, KeystoreError> {
        let blob = payload(content).ok_or_else(|| corrupt(path, "no \"1:<base64>\" content"))?;
        if blob.len() < HEADER_LEN {
            return Err(corrupt(
                path,
                &format!(
                    "{} bytes of data, at least {HEADER_LEN} expected",
                    blob.len()
                ),
            ));
        }
        let (plain, used) = match decrypt_blob(&blob, "") {
            Some(p) => (p, Secret::empty()),
            None => match password {
                Some(pw) if !pw.is_empty() => match decrypt_blob(&blob, pw.expose()) {
                    Some(p) => (p, pw.clone()),
                    None => {
                        return Err(KeystoreError::WrongPassword {
                            path: path.to_path_buf(),
                        });
                    }
                },
                _ => {
                    return Err(KeystoreError::PasswordRequired {
                        path: path.to_path_buf(),
                        hint: "set KBN_KEYSTORE_PASSPHRASE_FILE to a file holding it, or enter it at the prompt",
                    });
                }
            },
        };
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&plain)
            .map_err(|e| {
                corrupt(
                    path,
                    &format!("the decrypted content is not a JSON object: {e}"),
                )
            })?;
        let mut entries = BTreeMap::new();
        for (k, v) in map {
            let value = match v {
                serde_json::Value::String(s) => KibanaValue::String(Secret::new(s)),
                other => KibanaValue::Json(Secret::new(other.to_string())),
            };
            entries.insert(k, value);
        }
        Ok(KibanaKeystore {
            entries,
            password: used,
        })
    }

    /// Reads and decrypts the file at `path`.
    pub fn load(path: &Path, password: Option<&Secret>) -> Result<Self, KeystoreError> {
        let content = super::read_required(path)?;
        Self::decode(&content, password, path)
    }

    /// The file content, encrypted with fresh salt and IV from `rng`.
    pub fn encode(&self, rng: &mut dyn Random) -> Result<Vec<u8>, KeystoreError> {
        let mut plain = Zeroizing::new(self.json().into_bytes());
        let mut salt = [0u8; SALT_LEN];
        rng.fill(&mut salt)?;
        let mut iv = [0u8; IV_LEN];
        rng.fill(&mut iv)?;
        let key = crypto::derive_key(self.password.expose(), &salt, ITERATIONS, KEY_LEN);
        let tag = crypto::seal(&key, &iv, &[], &mut plain).ok_or(KeystoreError::Random)?;
        let mut blob = Vec::with_capacity(HEADER_LEN + plain.len());
        blob.extend_from_slice(&salt);
        blob.extend_from_slice(&iv);
        blob.extend_from_slice(&tag);
        blob.extend_from_slice(&plain);
        let mut out = b"1:".to_vec();
        out.extend_from_slice(
            base64::engine::general_purpose::STANDARD
                .encode(&blob)
                .as_bytes(),
        );
        Ok(out)
    }

    /// Encrypts and writes the keystore to `path` through [`crate::fsutil`]
    /// (owner and mode kept, backup of the previous file). `existing` says
    /// whether an existing file at `path` may be replaced.
    pub fn save(
        &self,
        path: &Path,
        rng: &mut dyn Random,
        existing: Existing,
    ) -> Result<Outcome, KeystoreError> {
        let content = self.encode(rng)?;
        Ok(fsutil::write_file(path, content, MODE_KEYSTORE, existing)?)
    }

    /// Compact JSON as `JSON.stringify` writes it.
    fn json(&self) -> String {
        let mut s = String::from("{");
        for (i, (k, v)) in self.entries.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(&serde_json::Value::String(k.clone()).to_string());
            s.push(':');
            match v {
                KibanaValue::String(x) => {
                    s.push_str(&serde_json::Value::String(x.expose().to_string()).to_string())
                }
                KibanaValue::Json(x) => s.push_str(x.expose()),
            }
        }
        s.push('}');
        s
    }

    /// True when the keystore has a non-empty password.
    pub fn has_password(&self) -> bool {
        !self.password.is_empty()
    }

    /// Setting names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// One value, if present.
    pub fn get(&self, name: &str) -> Option<&KibanaValue> {
        self.entries.get(name)
    }

    /// Stores `value` as a JSON string under `name`; an existing entry is
    /// replaced only with `force`. `path` only names the file in errors.
    pub fn set_string(
        &mut self,
        name: &str,
        value: Secret,
        force: bool,
        path: &Path,
    ) -> Result<(), KeystoreError> {
        validate_name(name)?;
        if !force && self.entries.contains_key(name) {
            return Err(KeystoreError::EntryExists {
                path: path.to_path_buf(),
                name: name.to_string(),
            });
        }
        self.entries
            .insert(name.to_string(), KibanaValue::String(value));
        Ok(())
    }

    /// Removes `name`; an error when it is absent.
    pub fn remove(&mut self, name: &str, path: &Path) -> Result<(), KeystoreError> {
        self.entries
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| KeystoreError::NoEntry {
                path: path.to_path_buf(),
                name: name.to_string(),
            })
    }
}

/// Kibana accepts any kibana.yml key; esmtls refuses only what cannot be one.
pub fn validate_name(name: &str) -> Result<(), KeystoreError> {
    let bad = |reason: &str| KeystoreError::InvalidName {
        name: name.to_string(),
        reason: reason.to_string(),
    };
    if name.is_empty() {
        return Err(bad("it is empty"));
    }
    if name.starts_with('.') || name.ends_with('.') || name.contains("..") {
        return Err(bad(
            "a Kibana setting is dot-separated words, like elasticsearch.ssl.keystore.password",
        ));
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("it contains spaces or control characters"));
    }
    Ok(())
}

/// The keystore password from the environment, as Kibana 8.15+ finds it: the
/// trimmed content of `KBN_KEYSTORE_PASSPHRASE_FILE`, else `KEYSTORE_PASSWORD`.
pub fn password_from_env() -> Result<Option<Secret>, KeystoreError> {
    if let Some((s, _)) = super::secret_from_env_file(PASSPHRASE_FILE_ENV)? {
        return Ok(Some(Secret::new(s.expose().trim())));
    }
    Ok(std::env::var(PASSWORD_ENV)
        .ok()
        .filter(|v| !v.is_empty())
        .map(Secret::new))
}

/// `<config_dir>/kibana.keystore`.
pub fn path_in(config_dir: &Path) -> PathBuf {
    config_dir.join(FILE_NAME)
}

/// A legacy `data/kibana.keystore` that Kibana would read *instead of* the one
/// in `config_dir` (Kibana's `get_keystore.ts`): `<home>/data/kibana.keystore`
/// where home is the config directory's parent (archives, Docker) or
/// `/usr/share/kibana` for package installs.
pub fn legacy_data_keystore(config_dir: &Path) -> Option<PathBuf> {
    let mut homes = Vec::new();
    if let Some(parent) = config_dir.parent() {
        homes.push(parent.to_path_buf());
    }
    if config_dir == Path::new("/etc/kibana") {
        homes.push(PathBuf::from("/usr/share/kibana"));
    }
    homes
        .into_iter()
        .map(|h| h.join("data").join(FILE_NAME))
        .find(|p| p.is_file())
}

fn corrupt(path: &Path, reason: &str) -> KeystoreError {
    KeystoreError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// The binary blob after `"1:"`, decoded as leniently as Node's base64 (which
/// skips whitespace and accepts missing padding). Kibana uses the second
/// `:`-separated field and never checks the version.
fn payload(content: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let text = std::str::from_utf8(content).ok()?;
    let field = text.split(':').nth(1)?;
    let cleaned: String = field.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    engine.decode(cleaned.as_bytes()).ok().map(Zeroizing::new)
}

fn decrypt_blob(blob: &[u8], password: &str) -> Option<Zeroizing<Vec<u8>>> {
    if blob.len() < HEADER_LEN {
        return None;
    }
    let (salt, rest) = blob.split_at(SALT_LEN);
    let (iv, rest) = rest.split_at(IV_LEN);
    let (tag, ct) = rest.split_at(TAG_LEN);
    let key = crypto::derive_key(password, salt, ITERATIONS, KEY_LEN);
    crypto::open(&key, iv, &[], ct, tag)
}

fn decrypt(content: &[u8], password: &str) -> Option<Zeroizing<Vec<u8>>> {
    decrypt_blob(&payload(content)?, password)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore::CountingRandom;

    fn golden(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/keystore/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn sample(pw: &str) -> KibanaKeystore {
        let mut ks = KibanaKeystore::new(Secret::new(pw));
        let p = Path::new("k");
        ks.set_string(
            "elasticsearch.ssl.truststore.password",
            Secret::new("changeme"),
            false,
            p,
        )
        .unwrap();
        ks.set_string(
            "elasticsearch.ssl.keystore.password",
            Secret::new("changeme"),
            false,
            p,
        )
        .unwrap();
        ks
    }

    #[test]
    fn writer_reproduces_golden_files() {
        for (pw, file) in [
            ("", "golden_kibana_nopw.kibana.keystore"),
            ("changeme", "golden_kibana_pw_changeme.kibana.keystore"),
        ] {
            assert_eq!(
                sample(pw).encode(&mut CountingRandom).unwrap(),
                golden(file),
                "{file}"
            );
        }
    }

    #[test]
    fn reader_returns_golden_entries() {
        let ks = KibanaKeystore::decode(
            &golden("golden_kibana_nopw.kibana.keystore"),
            None,
            Path::new("g"),
        )
        .unwrap();
        assert!(!ks.has_password());
        assert_eq!(
            ks.names().collect::<Vec<_>>(),
            [
                "elasticsearch.ssl.keystore.password",
                "elasticsearch.ssl.truststore.password"
            ]
        );
        assert_eq!(
            ks.get("elasticsearch.ssl.keystore.password")
                .unwrap()
                .expose(),
            "changeme"
        );
        let bytes = golden("golden_kibana_pw_changeme.kibana.keystore");
        assert!(KibanaKeystore::is_protected(&bytes));
        let e = KibanaKeystore::decode(&bytes, None, Path::new("g")).unwrap_err();
        assert!(matches!(e, KeystoreError::PasswordRequired { .. }), "{e}");
        let e =
            KibanaKeystore::decode(&bytes, Some(&Secret::new("nope")), Path::new("g")).unwrap_err();
        assert!(matches!(e, KeystoreError::WrongPassword { .. }), "{e}");
        let ks =
            KibanaKeystore::decode(&bytes, Some(&Secret::new("changeme")), Path::new("g")).unwrap();
        assert!(ks.has_password());
        assert_eq!(
            ks.get("elasticsearch.ssl.truststore.password")
                .unwrap()
                .expose(),
            "changeme"
        );
    }

    #[test]
    fn non_string_values_survive_a_round_trip() {
        let mut ks = KibanaKeystore::new(Secret::empty());
        ks.entries
            .insert("a.b".into(), KibanaValue::Json(Secret::new("123")));
        ks.set_string("c", Secret::new("x\"y\u{e9}\n"), false, Path::new("k"))
            .unwrap();
        let again = KibanaKeystore::decode(
            &ks.encode(&mut CountingRandom).unwrap(),
            None,
            Path::new("k"),
        )
        .unwrap();
        assert_eq!(
            again.get("a.b"),
            Some(&KibanaValue::Json(Secret::new("123")))
        );
        assert_eq!(again.get("c").unwrap().expose(), "x\"y\u{e9}\n");
    }

    #[test]
    fn long_and_non_ascii_passwords_work() {
        for pw in ["pässwörd-日本".to_string(), "x".repeat(200)] {
            let bytes = sample(&pw)
                .encode(&mut crate::keystore::SystemRandom)
                .unwrap();
            let ks = KibanaKeystore::decode(&bytes, Some(&Secret::new(pw.clone())), Path::new("k"))
                .unwrap();
            assert_eq!(ks.names().count(), 2);
        }
    }

    #[test]
    fn damaged_content_is_corrupt_or_wrong_password() {
        let good = golden("golden_kibana_nopw.kibana.keystore");
        let e = KibanaKeystore::decode(&good[..40], None, Path::new("g")).unwrap_err();
        assert!(matches!(e, KeystoreError::Corrupt { .. }), "{e}");
        let mut flipped = good.clone();
        flipped[200] = if flipped[200] == b'A' { b'B' } else { b'A' };
        let e = KibanaKeystore::decode(&flipped, None, Path::new("g")).unwrap_err();
        assert!(matches!(e, KeystoreError::PasswordRequired { .. }), "{e}");
        let e = KibanaKeystore::decode(b"garbage", None, Path::new("g")).unwrap_err();
        assert!(e.to_string().contains("not a valid keystore"), "{e}");
    }

    #[test]
    fn names_are_checked() {
        for bad in ["", ".a", "a..b", "a b"] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        assert!(validate_name("elasticsearch.ssl.keystore.password").is_ok());
    }
}
