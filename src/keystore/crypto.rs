//! The two primitives both keystores use: PBKDF2-HMAC-SHA512 and AES-GCM.
//!
//! Invariants: derived keys live in zeroized buffers; the tag is always 16
//! bytes and the IV 12 bytes (the only sizes Kibana and Elasticsearch write);
//! an authentication failure is reported as `None`, never as a panic.

use std::num::NonZeroU32;

use aws_lc_rs::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use zeroize::Zeroizing;

/// Length of the AES-GCM tag in bytes.
pub(crate) const TAG_LEN: usize = 16;
/// Length of the AES-GCM IV in bytes.
pub(crate) const IV_LEN: usize = 12;

/// PBKDF2-HMAC-SHA512 over the UTF-8 bytes of `password` (what Node and the
/// JDK's `PBKDF2WithHmacSHA512` both use); `key_len` is 16 or 32.
pub(crate) fn derive_key(
    password: &str,
    salt: &[u8],
    iterations: u32,
    key_len: usize,
) -> Zeroizing<Vec<u8>> {
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
