//! Secrets (passwords, tokens) as a type that cannot leak by accident.
//!
//! Invariants: a [`Secret`] never prints its value through `Debug` or `Display`
//! (both show `***`), its memory is zeroed on drop, and it is only ever read
//! from a file, standard input or a prompt — never from a command-line value.
//! Reading from a file or stdin strips exactly one trailing line ending, the
//! way `echo pw > file` or `printf 'pw\n' | esmtls …` would add it.

use std::fmt;
use std::io::Read;
use std::path::Path;

use zeroize::Zeroizing;

/// A secret string; zeroized on drop, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a value the caller already holds (generated, prompted).
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    /// The empty secret (an unprotected PKCS#12 file uses it).
    pub fn empty() -> Self {
        Secret::new(String::new())
    }

    /// The value; callers must not print or log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the value is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Appends a typed character (a masked field). The value moves to a larger
    /// buffer by hand so the old one is zeroed, not left behind by a realloc.
    pub fn push(&mut self, c: char) {
        if self.0.len() + c.len_utf8() > self.0.capacity() {
            let mut bigger = Zeroizing::new(String::with_capacity(
                (self.0.capacity() * 2)
                    .max(self.0.len() + c.len_utf8())
                    .max(32),
            ));
            bigger.push_str(&self.0);
            self.0 = bigger;
        }
        self.0.push(c);
    }

    /// Removes the last character (Backspace in a masked field).
    pub fn pop(&mut self) {
        self.0.pop();
    }

    /// Empties the value, zeroing it.
    pub fn clear(&mut self) {
        use zeroize::Zeroize;
        self.0.zeroize();
    }

    /// The number of characters (a masked field shows as many `•`).
    pub fn chars(&self) -> usize {
        self.0.chars().count()
    }

    /// Reads a secret from a file (first line ending stripped).
    pub fn from_file(path: &Path) -> Result<Secret, SecretError> {
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| SecretError::Read {
            source_name: path.display().to_string(),
            reason: e.to_string(),
        })?);
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    /// Reads a secret from standard input until EOF (line ending stripped).
    pub fn from_reader(mut reader: impl Read, source_name: &str) -> Result<Secret, SecretError> {
        let mut bytes = Zeroizing::new(Vec::new());
        reader
            .read_to_end(&mut bytes)
            .map_err(|e| SecretError::Read {
                source_name: source_name.to_string(),
                reason: e.to_string(),
            })?;
        Self::from_bytes(&bytes, source_name)
    }

    fn from_bytes(bytes: &[u8], source_name: &str) -> Result<Secret, SecretError> {
        let text = std::str::from_utf8(bytes).map_err(|_| SecretError::NotUtf8 {
            source_name: source_name.to_string(),
        })?;
        let text = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .unwrap_or(text);
        Ok(Secret::new(text))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Why a secret could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The file or stream could not be read.
    #[error("cannot read the secret from {source_name}: {reason}")]
    Read {
        /// File path or "standard input".
        source_name: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The bytes are not UTF-8 text.
    #[error("the secret in {source_name} is not UTF-8 text")]
    NotUtf8 {
        /// File path or "standard input".
        source_name: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_its_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "*** ***");
    }

    #[test]
    fn is_edited_character_by_character() {
        let mut s = Secret::empty();
        for c in "pässwörd-long-enough-to-grow-the-buffer-twice-over".chars() {
            s.push(c);
        }
        assert_eq!(
            s.expose(),
            "pässwörd-long-enough-to-grow-the-buffer-twice-over"
        );
        s.pop();
        assert_eq!(s.chars(), 49);
        s.clear();
        assert!(s.is_empty());
        assert_eq!(format!("{s:?}"), "***");
    }

    #[test]
    fn strips_one_line_ending_only() {
        let s = Secret::from_reader(&b"pw\n\n"[..], "stdin").unwrap();
        assert_eq!(s.expose(), "pw\n");
        let s = Secret::from_reader(&b"pw\r\n"[..], "stdin").unwrap();
        assert_eq!(s.expose(), "pw");
        let s = Secret::from_reader(&b" pw "[..], "stdin").unwrap();
        assert_eq!(s.expose(), " pw ");
    }

    #[test]
    fn rejects_binary() {
        let e = Secret::from_reader(&[0xff, 0xfe][..], "standard input").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the secret in standard input is not UTF-8 text"
        );
    }
}
