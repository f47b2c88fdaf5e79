//! Serial key generation, the yardstick of `scripts/bench-bundles.sh`: how
//! long this build takes to make COUNT keys of KEY_TYPE one after the other
//! on one thread, with the same call the certificate code uses
//! (`KeyType::generate`).
//!
//! Usage: cargo run --release --example keygen -- COUNT [KEY_TYPE]
//!   KEY_TYPE: rsa2048 (default), rsa3072, rsa4096, ec-p256, ec-p384
//!
//! Prints one line: `<total seconds> <count> <key type>`; the total covers
//! the key generation only, not the start of the process.

use std::time::Instant;

use esmtls::pki::KeyType;

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: keygen COUNT [KEY_TYPE]";
    let count: usize = match args.next().map(|s| s.parse()) {
        Some(Ok(n)) => n,
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let key = match args.next().map(|s| s.parse::<KeyType>()) {
        None => KeyType::Rsa2048,
        Some(Ok(k)) => k,
        Some(Err(e)) => {
            eprintln!("{e}\n{usage}");
            std::process::exit(2);
        }
    };
    let start = Instant::now();
    for _ in 0..count {
        let k = key.generate().unwrap_or_else(|e| {
            eprintln!("key generation failed: {e}");
            std::process::exit(1);
        });
        std::hint::black_box(k);
    }
    println!("{:.4} {count} {key}", start.elapsed().as_secs_f64());
}
