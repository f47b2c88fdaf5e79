//! The two primitives both keystores use: PBKDF2-HMAC-SHA512 and AES-GCM.
//!
//! Invariants: derived keys live in zeroized buffers; the tag is always 16
//! bytes and the IV 12 bytes (the only sizes Kibana and Elasticsearch write);
//! an authentication failure is reported as `None`, never as a panic.
//!
//! A derivation is remembered for the rest of the process (the last few,
//! in memory only): a plan reads a keystore twice — detection lists its
//! entries, the planner reads their values — and an Elasticsearch 8
//! keystore costs 210,000 rounds of PBKDF2 each time (0.1 s here).

use std::num::NonZeroU32;
use std::sync::Mutex;

use aws_lc_rs::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use zeroize::Zeroizing;

/// Length of the AES-GCM tag in bytes.
pub(crate) const TAG_LEN: usize = 16;
/// Length of the AES-GCM IV in bytes.
pub(crate) const IV_LEN: usize = 12;

/// One remembered derivation: its inputs (password, salt, iterations,
/// length) and the key.
struct Derived {
    password: Zeroizing<Vec<u8>>,
    salt: Vec<u8>,
    iterations: u32,
    key: Zeroizing<Vec<u8>>,
}

/// The derivations of this process, newest last, at most [`REMEMBERED`].
static DERIVED: Mutex<Vec<Derived>> = Mutex::new(Vec::new());
const REMEMBERED: usize = 4;

/// PBKDF2-HMAC-SHA512 over the UTF-8 bytes of `password` (what Node and the
/// JDK's `PBKDF2WithHmacSHA512` both use); `key_len` is 16 or 32.
pub(crate) fn derive_key(
    password: &str,
    salt: &[u8],
    iterations: u32,
    key_len: usize,
) -> Zeroizing<Vec<u8>> {
    let same = |d: &Derived| {
        d.password.as_slice() == password.as_bytes()
            && d.salt == salt
            && d.iterations == iterations
            && d.key.len() == key_len
    };
    if let Some(d) = DERIVED
        .lock()
        .ok()
        .and_then(|v| v.iter().find(|d| same(d)).map(|d| d.key.clone()))
    {
        return d;
    }
    let key = derive_now(password, salt, iterations, key_len);
    if let Ok(mut v) = DERIVED.lock() {
        if v.len() == REMEMBERED {
            v.remove(0);
        }
        v.push(Derived {
            password: Zeroizing::new(password.as_bytes().to_vec()),
            salt: salt.to_vec(),
            iterations,
            key: key.clone(),
        });
    }
    key
}

fn derive_now(password: &str, salt: &[u8], iterations: u32, key_len: usize) -> Zeroizing<Vec<u8>> {
    let mut key = Zeroizing::new(vec![0u8; key_len]);
    let iters = NonZeroU32::new(iterations).unwrap_or(NonZeroU32::MIN);
    aws_lc_rs::pbkdf2::derive(
        aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA512,
        iters,
        salt,
        password.as_bytes(),
        &mut key,
    );
    key
}

fn aead_key(key: &[u8]) -> Option<LessSafeKey> {
    let alg = match key.len() {
        16 => &AES_128_GCM,
        32 => &AES_256_GCM,
        _ => return None,
    };
    UnboundKey::new(alg, key).ok().map(LessSafeKey::new)
}

/// Encrypts `plain` in place; returns the 16-byte tag.
pub(crate) fn seal(
    key: &[u8],
    iv: &[u8; IV_LEN],
    aad: &[u8],
    plain: &mut [u8],
) -> Option<[u8; TAG_LEN]> {
    let key = aead_key(key)?;
    let tag = key
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(*iv), Aad::from(aad), plain)
        .ok()?;
    let mut out = [0u8; TAG_LEN];
    out.copy_from_slice(tag.as_ref());
    Some(out)
}

/// Decrypts `ct` (without tag) with a separate `tag`; `None` when the tag does not match.
pub(crate) fn open(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    ct: &[u8],
    tag: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let iv: [u8; IV_LEN] = iv.try_into().ok()?;
    if tag.len() != TAG_LEN {
        return None;
    }
    let key = aead_key(key)?;
    let mut buf = Zeroizing::new(ct.to_vec());
    key.open_in_place_separate_tag(
        Nonce::assume_unique_for_key(iv),
        Aad::from(aad),
        tag,
        &mut buf,
    )
    .ok()?;
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_derivation_is_the_same_key_and_inputs_tell_keys_apart() {
        let a = derive_key("pw", b"salt-one", 1000, 32);
        assert_eq!(a, derive_now("pw", b"salt-one", 1000, 32));
        assert_eq!(a, derive_key("pw", b"salt-one", 1000, 32));
        for other in [
            derive_key("pw2", b"salt-one", 1000, 32),
            derive_key("pw", b"salt-two", 1000, 32),
            derive_key("pw", b"salt-one", 1001, 32),
        ] {
            assert_ne!(a, other);
        }
        assert_eq!(derive_key("pw", b"salt-one", 1000, 16).len(), 16);
        assert!(DERIVED.lock().unwrap().len() <= REMEMBERED);
    }
}
