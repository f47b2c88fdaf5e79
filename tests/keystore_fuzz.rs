//! Property tests ("fuzzing") of both readers over mutated golden files: any
//! byte flips, truncations, insertions and a recomputed CRC must give an `Ok`
//! or a typed error — never a panic or a hang. Case counts stay modest because
//! a mutation that survives the CRC costs one PBKDF2 (up to 210 000 rounds).

use std::path::Path;

use esmtls::keystore::{EsKeystore, KibanaKeystore};
use esmtls::secret::Secret;
use proptest::prelude::*;

fn golden(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/keystore/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(
        prop_oneof![
            (any::<usize>(), 1u8..=255).prop_map(|(i, x)| Mutation::Flip(i, x)),
            any::<usize>().prop_map(Mutation::Truncate),
            (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
                .prop_map(|(i, b)| Mutation::Insert(i, b)),
        ],
        1..4,
    )
}

fn apply(mut b: Vec<u8>, ms: &[Mutation]) -> Vec<u8> {
    for m in ms {
        if b.is_empty() {
            break;
        }
        match m {
            Mutation::Flip(i, x) => {
                let n = b.len();
                b[i % n] ^= x;
            }
            Mutation::Truncate(i) => b.truncate(i % b.len()),
            Mutation::Insert(i, bytes) => {
                let at = i % (b.len() + 1);
                b.splice(at..at, bytes.iter().copied());
            }
        }
    }
    b
}

fn fix_crc(b: &mut [u8]) {
    if b.len() >= 8 {
        let f = b.len() - 8;
        let crc = crc32fast::hash(&b[..f]);
        b[f..].copy_from_slice(&u64::from(crc).to_be_bytes());
    }
}

const ES: [&str; 3] = [
    "golden_es_v5_nopw.elasticsearch.keystore",
    "golden_es_v6_pw_changeme.elasticsearch.keystore",
    "golden_es_v7_nopw.elasticsearch.keystore",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn es_reader_never_panics(file in 0usize..3, ms in mutations(), crc in any::<bool>()) {
        let mut b = apply(golden(ES[file]), &ms);
        if crc {
            fix_crc(&mut b);
        }
        let _ = EsKeystore::decode(&b, Some(&Secret::new("changeme")), Path::new("fuzz"));
    }

    #[test]
    fn es_reader_never_panics_on_noise(b in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = EsKeystore::decode(&b, None, Path::new("fuzz"));
    }

    #[test]
    fn kibana_reader_never_panics(pw in any::<bool>(), ms in mutations()) {
        let name = if pw { "golden_kibana_pw_changeme.kibana.keystore" } else { "golden_kibana_nopw.kibana.keystore" };
        let b = apply(golden(name), &ms);
        let _ = KibanaKeystore::decode(&b, Some(&Secret::new("changeme")), Path::new("fuzz"));
    }

    #[test]
    fn kibana_reader_never_panics_on_noise(b in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = KibanaKeystore::decode(&b, None, Path::new("fuzz"));
    }
}
