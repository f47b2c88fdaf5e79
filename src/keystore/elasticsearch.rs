//! `elasticsearch.keystore`: read formats 3 to 7, write the file's own format.
//!
//! Format (Elasticsearch `KeyStoreWrapper.java`, Lucene `CodecUtil.java`):
//! a Lucene codec header (BE magic `3FD76C17`, VInt-prefixed codec name
//! `elasticsearch.keystore`, BE format version), a `hasPassword` byte, a data
//! block (`saltLen salt ivLen iv encLen enc`, ints big-endian for v3/v4 and
//! little-endian from v5 on, when Lucene 9 switched) and a Lucene footer (BE
//! `~magic`, algorithm 0, BE u64 CRC-32 of every preceding byte). `enc` is
//! AES-GCM (ciphertext ‖ tag, the salt as AAD) under PBKDF2-HMAC-SHA512 with
//! 10 000 iterations up to v5 and 210 000 from v6, a 128-bit key up to v6 and
//! 256 bits in v7. The plaintext is Java `DataOutputStream` data, always BE:
//! entry count, then per entry `writeUTF(name)` [v3: `writeUTF(type)`],
//! `int len`, bytes. Written by hand: no crate knows this format.
//!
//! Invariants: a file is rewritten in the format version it already has, never
//! a newer one (a node refuses a newer one at startup); a new file's version
//! comes from the target Elasticsearch version or an explicit choice, never a
//! silent guess; an unknown version is refused and never rewritten; every new
//! keystore gets a `keystore.seed` like Elasticsearch's own; setting names
//! follow Elasticsearch's `[A-Za-z0-9_\-.]+`.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::crypto::{self, IV_LEN, TAG_LEN};
use super::{KeystoreError, MODE_KEYSTORE, Random};
use crate::fsutil::{self, Existing, Outcome};
use crate::secret::Secret;

/// File name of the keystore inside Elasticsearch's config directory (also the codec name).
pub const FILE_NAME: &str = "elasticsearch.keystore";
/// Environment variable naming a file whose first line is the keystore password
/// (the packages' systemd unit feeds it to the node on stdin).
pub const PASSPHRASE_FILE_ENV: &str = "ES_KEYSTORE_PASSPHRASE_FILE";
/// The random setting every keystore carries; a node re-saves a keystore without it.
pub const SEED_SETTING: &str = "keystore.seed";
/// Oldest format version read (Elasticsearch 8.x/9.x read 3 and later).
pub const MIN_VERSION: i32 = 3;
/// Newest format version known (Elasticsearch 9.x).
pub const MAX_VERSION: i32 = 7;
/// Longest password accepted for writing: `KeyStoreWrapper.MAX_PASSPHRASE_LENGTH`
/// of Elasticsearch 7.x and early 8.x.
pub const MAX_PASSWORD_CHARS: usize = 128;

const CODEC_MAGIC: u32 = 0x3FD7_6C17;
const FOOTER_MAGIC: u32 = !CODEC_MAGIC;
const HEADER_LEN: usize = 4 + 1 + FILE_NAME.len() + 4;
const FOOTER_LEN: usize = 16;
const SALT_LEN: usize = 64;
const SEED_CHARS: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~!@#$%^&*-_=+?";
const SEED_LEN: usize = 20;

/// What the unencrypted part of a file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Format version (3 to 7).
    pub version: i32,
    /// True when the keystore needs a non-empty password.
    pub has_password: bool,
}

/// A decrypted Elasticsearch keystore.
#[derive(Debug, Clone)]
pub struct EsKeystore {
    version: i32,
    password: Secret,
    entries: Vec<(String, Zeroizing<Vec<u8>>)>,
}

fn kdf(version: i32) -> (u32, usize) {
    let iters = if version >= 6 { 210_000 } else { 10_000 };
    let key_len = if version >= 7 { 32 } else { 16 };
    (iters, key_len)
}

fn corrupt(path: &Path, reason: impl Into<String>) -> KeystoreError {
    KeystoreError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Checks that a password can protect a keystore Elasticsearch will open.
pub fn check_password(password: &Secret) -> Result<(), KeystoreError> {
    let n = password.expose().chars().count();
    if n > MAX_PASSWORD_CHARS {
        return Err(KeystoreError::BadPassword {
            reason: format!(
                "it has {n} characters; Elasticsearch 7.x and early 8.x accept at most {MAX_PASSWORD_CHARS} for the keystore"
            ),
        });
    }
    Ok(())
}

/// Elasticsearch's rule for keystore setting names: `[A-Za-z0-9_\-.]+`.
pub fn validate_name(name: &str) -> Result<(), KeystoreError> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return Err(KeystoreError::InvalidName {
            name: name.to_string(),
            reason: "Elasticsearch allows only letters, digits, '_', '-' and '.' (pattern [A-Za-z0-9_\\-.]+)".into(),
        });
    }
    Ok(())
}

/// Reads the header, hasPassword byte and footer (with CRC) of a file; returns
/// the header and the data block. Nothing is decrypted.
pub fn read_header<'a>(bytes: &'a [u8], path: &Path) -> Result<(Header, &'a [u8]), KeystoreError> {
    let min = HEADER_LEN + 1 + 4 + FOOTER_LEN;
    if bytes.len() < min {
        return Err(corrupt(
            path,
            format!(
                "the file is {} bytes long, too short (truncated?)",
                bytes.len()
            ),
        ));
    }
    if be_u32(bytes, 0) != CODEC_MAGIC {
        return Err(corrupt(
            path,
            "it does not start with the Lucene codec header",
        ));
    }
    if bytes[4] as usize != FILE_NAME.len()
        || &bytes[5..5 + FILE_NAME.len()] != FILE_NAME.as_bytes()
    {
        return Err(corrupt(
            path,
            "its codec name is not elasticsearch.keystore",
        ));
    }
    // Footer (Lucene CodecUtil.checkFooter) before trusting anything else.
    let f = bytes.len() - FOOTER_LEN;
    if be_u32(bytes, f) != FOOTER_MAGIC {
        return Err(corrupt(
            path,
            "codec footer mismatch (truncated or extended file)",
        ));
    }
    if be_u32(bytes, f + 4) != 0 {
        return Err(corrupt(
            path,
            "unknown checksum algorithm in the codec footer",
        ));
    }
    let stored = u64::from_be_bytes(bytes[f + 8..].try_into().unwrap_or_default());
    let actual = u64::from(crc32fast::hash(&bytes[..f + 8]));
    if stored != actual {
        return Err(corrupt(
            path,
            format!("checksum failed (stored {stored:#x}, computed {actual:#x})"),
        ));
    }
    let version = be_u32(bytes, HEADER_LEN - 4) as i32;
    if !(MIN_VERSION..=MAX_VERSION).contains(&version) {
        return Err(KeystoreError::UnknownVersion {
            path: path.to_path_buf(),
            version,
        });
    }
    let has_password = match bytes[HEADER_LEN] {
        0 => false,
        1 => true,
        b => {
            return Err(corrupt(
                path,
                format!("hasPassword byte is {b:#04x}, not 0 or 1"),
            ));
        }
    };
    let mut r = Reader {
        buf: &bytes[HEADER_LEN + 1..f],
        pos: 0,
        le: version >= 5,
    };
    let data_len = r.len().ok_or_else(|| corrupt(path, "bad data length"))?;
    let data = r
        .take(data_len)
        .ok_or_else(|| corrupt(path, "the data block is shorter than its length says"))?;
    if !r.at_end() {
        return Err(corrupt(
            path,
            "bytes left between the data block and the footer",
        ));
    }
    Ok((
        Header {
            version,
            has_password,
        },
        data,
    ))
}

impl EsKeystore {
    /// A new keystore in format `version` with a fresh `keystore.seed`.
    pub fn create(
        version: i32,
        password: Secret,
        rng: &mut dyn Random,
    ) -> Result<Self, KeystoreError> {
        if !(MIN_VERSION..=MAX_VERSION).contains(&version) {
            return Err(KeystoreError::FormatUnknown {
                reason: format!(
                    "format {version} is not one esmtls writes (it writes {MIN_VERSION} to {MAX_VERSION})"
                ),
            });
        }
        check_password(&password)?;
        let mut seed = Zeroizing::new(Vec::with_capacity(SEED_LEN));
        let mut buf = [0u8; 32];
        while seed.len() < SEED_LEN {
            rng.fill(&mut buf)?;
            // Rejection sampling keeps the 76 characters equally likely, like
            // Java's SecureRandom.nextInt(76).
            for &b in buf
                .iter()
                .filter(|&&b| usize::from(b) < 3 * SEED_CHARS.len())
            {
                if seed.len() < SEED_LEN {
                    seed.push(SEED_CHARS[usize::from(b) % SEED_CHARS.len()]);
                }
            }
        }
        Ok(EsKeystore {
            version,
            password,
            entries: vec![(SEED_SETTING.to_string(), seed)],
        })
    }

    /// Decrypts file content; `password` is needed only when the file says it has one.
    pub fn decode(
        bytes: &[u8],
        password: Option<&Secret>,
        path: &Path,
    ) -> Result<Self, KeystoreError> {
        let (header, data) = read_header(bytes, path)?;
        let password = match (header.has_password, password) {
            (false, _) => Secret::empty(),
            (true, Some(p)) => p.clone(),
            (true, None) => {
                return Err(KeystoreError::PasswordRequired {
                    path: path.to_path_buf(),
                    hint: "set ES_KEYSTORE_PASSPHRASE_FILE to a file holding it, or enter it at the prompt",
                });
            }
        };
        let le = header.version >= 5;
        let mut r = Reader {
            buf: data,
            pos: 0,
            le,
        };
        let mut field = |what: &str| -> Result<&[u8], KeystoreError> {
            let n = r
                .len()
                .ok_or_else(|| corrupt(path, format!("bad {what} length")))?;
            r.take(n)
                .ok_or_else(|| corrupt(path, format!("the {what} runs past the data block")))
        };
        let salt = field("salt")?;
        let iv = field("iv")?;
        let enc = field("encrypted data")?;
        if !r.at_end() {
            return Err(corrupt(path, "bytes left after the encrypted data"));
        }
        if iv.len() != IV_LEN || enc.len() < TAG_LEN {
            return Err(corrupt(
                path,
                format!(
                    "iv of {} bytes or encrypted data of {} bytes",
                    iv.len(),
                    enc.len()
                ),
            ));
        }
        let (iters, key_len) = kdf(header.version);
        let key = crypto::derive_key(password.expose(), salt, iters, key_len);
        let (ct, tag) = enc.split_at(enc.len() - TAG_LEN);
        let plain =
            crypto::open(&key, iv, salt, ct, tag).ok_or_else(|| KeystoreError::WrongPassword {
                path: path.to_path_buf(),
            })?;
        let entries = parse_entries(&plain, header.version)
            .ok_or_else(|| corrupt(path, "the decrypted entries are malformed (tampered with?)"))?;
        Ok(EsKeystore {
            version: header.version,
            password,
            entries,
        })
    }

    /// Reads and decrypts the file at `path`.
    pub fn load(path: &Path, password: Option<&Secret>) -> Result<Self, KeystoreError> {
        let bytes = super::read_required(path)?;
        Self::decode(&bytes, password, path)
    }

    /// The file content in this keystore's format version, with fresh salt and IV.
    pub fn encode(&self, rng: &mut dyn Random) -> Result<Vec<u8>, KeystoreError> {
        let v = self.version;
        let le = v >= 5;
        let mut plain = Zeroizing::new(Vec::new());
        plain.extend_from_slice(&(self.entries.len() as i32).to_be_bytes());
        for (name, value) in &self.entries {
            push_utf(&mut plain, name);
            if v == 3 {
                push_utf(&mut plain, "STRING");
            }
            let len = i32::try_from(value.len()).map_err(|_| KeystoreError::InvalidValue {
                name: name.clone(),
                reason: "it is larger than 2 GiB".into(),
            })?;
            plain.extend_from_slice(&len.to_be_bytes());
            plain.extend_from_slice(value);
        }
        let mut salt = [0u8; SALT_LEN];
        rng.fill(&mut salt)?;
        let mut iv = [0u8; IV_LEN];
        rng.fill(&mut iv)?;
        let (iters, key_len) = kdf(v);
        let key = crypto::derive_key(self.password.expose(), &salt, iters, key_len);
        let tag = crypto::seal(&key, &iv, &salt, &mut plain).ok_or(KeystoreError::Random)?;
        let enc_len = plain.len() + TAG_LEN;
        let int = |x: usize| -> [u8; 4] {
            let x = x as i32;
            if le { x.to_le_bytes() } else { x.to_be_bytes() }
        };
        let mut out =
            Vec::with_capacity(HEADER_LEN + 1 + 16 + SALT_LEN + IV_LEN + enc_len + FOOTER_LEN);
        out.extend_from_slice(&CODEC_MAGIC.to_be_bytes());
        out.push(FILE_NAME.len() as u8);
        out.extend_from_slice(FILE_NAME.as_bytes());
        out.extend_from_slice(&v.to_be_bytes());
        out.push(u8::from(!self.password.is_empty()));
        out.extend_from_slice(&int(4 + SALT_LEN + 4 + IV_LEN + 4 + enc_len));
        out.extend_from_slice(&int(SALT_LEN));
        out.extend_from_slice(&salt);
        out.extend_from_slice(&int(IV_LEN));
        out.extend_from_slice(&iv);
        out.extend_from_slice(&int(enc_len));
        out.extend_from_slice(&plain);
        out.extend_from_slice(&tag);
        out.extend_from_slice(&FOOTER_MAGIC.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&u64::from(crc).to_be_bytes());
        Ok(out)
    }

    /// Encrypts and writes the keystore through [`crate::fsutil`] (owner and
    /// mode kept, backup of the previous file).
    pub fn save(
        &self,
        path: &Path,
        rng: &mut dyn Random,
        existing: Existing,
    ) -> Result<Outcome, KeystoreError> {
        let content = self.encode(rng)?;
        Ok(fsutil::write_file(path, content, MODE_KEYSTORE, existing)?)
    }

    /// The format version this keystore is written in.
    pub fn version(&self) -> i32 {
        self.version
    }

    /// True when the keystore has a non-empty password.
    pub fn has_password(&self) -> bool {
        !self.password.is_empty()
    }

    /// Setting names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.entries.iter().map(|(n, _)| n.as_str()).collect();
        v.sort_unstable();
        v
    }

    /// The raw bytes of a setting.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// A setting as text (invalid UTF-8 replaced, as Java's decoder does).
    pub fn get_string(&self, name: &str) -> Option<Secret> {
        self.get(name)
            .map(|b| Secret::new(String::from_utf8_lossy(b).into_owned()))
    }

    /// Stores a string setting; an existing one is replaced only with `force`.
    pub fn set_string(
        &mut self,
        name: &str,
        value: &Secret,
        force: bool,
        path: &Path,
    ) -> Result<(), KeystoreError> {
        validate_name(name)?;
        let bytes = Zeroizing::new(value.expose().as_bytes().to_vec());
        match self.entries.iter_mut().find(|(n, _)| n == name) {
            Some(_) if !force => Err(KeystoreError::EntryExists {
                path: path.to_path_buf(),
                name: name.to_string(),
            }),
            Some((_, v)) => {
                *v = bytes;
                Ok(())
            }
            None => {
                self.entries.push((name.to_string(), bytes));
                Ok(())
            }
        }
    }

    /// Removes a setting; an error when it is absent.
    pub fn remove(&mut self, name: &str, path: &Path) -> Result<(), KeystoreError> {
        let before = self.entries.len();
        self.entries.retain(|(n, _)| n != name);
        if self.entries.len() == before {
            return Err(KeystoreError::NoEntry {
                path: path.to_path_buf(),
                name: name.to_string(),
            });
        }
        Ok(())
    }
}

fn be_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn push_utf(out: &mut Vec<u8>, s: &str) {
    // Names are ASCII (validate_name), where Java's modified UTF-8 is plain UTF-8.
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Bounds-checked reader; `le` selects little-endian ints (format 5 and later).
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    le: bool,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    fn int(&mut self) -> Option<i32> {
        let b: [u8; 4] = self.take(4)?.try_into().ok()?;
        Some(if self.le {
            i32::from_le_bytes(b)
        } else {
            i32::from_be_bytes(b)
        })
    }
    fn len(&mut self) -> Option<usize> {
        usize::try_from(self.int()?).ok()
    }
    fn u16_be(&mut self) -> Option<usize> {
        let b: [u8; 2] = self.take(2)?.try_into().ok()?;
        Some(usize::from(u16::from_be_bytes(b)))
    }
    fn at_end(&self) -> bool {
        self.pos == self.buf.len()
    }
}

fn parse_entries(plain: &[u8], version: i32) -> Option<Vec<(String, Zeroizing<Vec<u8>>)>> {
    let mut r = Reader {
        buf: plain,
        pos: 0,
        le: false,
    };
    let count = r.len()?;
    let mut entries: Vec<(String, Zeroizing<Vec<u8>>)> = Vec::new();
    for _ in 0..count {
        let n = r.u16_be()?;
        let name = std::str::from_utf8(r.take(n)?).ok()?.to_string();
        if version == 3 {
            let t = r.u16_be()?;
            r.take(t)?;
        }
        let len = r.len()?;
        let value = Zeroizing::new(r.take(len)?.to_vec());
        // A HashMap in Elasticsearch: a repeated name keeps the last value.
        entries.retain(|(n, _)| *n != name);
        entries.push((name, value));
    }
    r.at_end().then_some(entries)
}

/// The format an Elasticsearch version writes, for a new keystore. Refuses
/// rather than guesses: 8.18/8.19 (v6 or v7, unverified) and unknown majors.
pub fn format_for_es_version(es_version: &str) -> Result<i32, KeystoreError> {
    let unknown = |why: &str| KeystoreError::FormatUnknown {
        reason: format!("Elasticsearch {es_version}: {why}; pass --format 5, 6 or 7 explicitly"),
    };
    let mut parts = es_version.trim().split(['.', '-']);
    let major: u32 = parts
        .next()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| unknown("not a version number"))?;
    let minor: u32 = parts
        .next()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| unknown("not a version number"))?;
    match (major, minor) {
        (6, 8..) | (7, _) => Ok(4),
        (8, 0..=13) => Ok(5),
        (8, 14..=17) => Ok(6),
        (8, 18..=19) => Err(unknown("its keystore format (6 or 7) is not verified")),
        (9, _) => Ok(7),
        _ => Err(unknown(
            "esmtls does not know which keystore format it uses",
        )),
    }
}

/// The Elasticsearch version of an install, from its `lib/elasticsearch-X.Y.Z.jar`.
pub fn detect_es_version(es_home: &Path) -> Result<String, KeystoreError> {
    let lib = es_home.join("lib");
    let rd = std::fs::read_dir(&lib).map_err(|e| KeystoreError::FormatUnknown {
        reason: format!(
            "cannot list {}: {e}; pass --es-version or --format",
            lib.display()
        ),
    })?;
    let mut found: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| {
            let v = n.strip_prefix("elasticsearch-")?.strip_suffix(".jar")?;
            v.starts_with(|c: char| c.is_ascii_digit())
                .then(|| v.to_string())
        })
        .collect();
    found.sort();
    found.dedup();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(KeystoreError::FormatUnknown {
            reason: format!(
                "no lib/elasticsearch-<version>.jar in {}; pass --es-version or --format",
                es_home.display()
            ),
        }),
        many => Err(KeystoreError::FormatUnknown {
            reason: format!(
                "several versions in {}: {}; pass --format",
                lib.display(),
                many.join(", ")
            ),
        }),
    }
}

/// The keystore password from `ES_KEYSTORE_PASSPHRASE_FILE`: its first line,
/// which is what the node reads when systemd feeds that file to its stdin.
pub fn password_from_env() -> Result<Option<Secret>, KeystoreError> {
    Ok(super::secret_from_env_file(PASSPHRASE_FILE_ENV)?
        .map(|(s, _)| Secret::new(s.expose().lines().next().unwrap_or_default())))
}

/// `<config_dir>/elasticsearch.keystore`.
pub fn path_in(config_dir: &Path) -> PathBuf {
    config_dir.join(FILE_NAME)
}

#[cfg(test)]
#[path = "elasticsearch_tests.rs"]
mod tests;
