//! Serial key generation, the yardstick of `scripts/bench-bundles.sh`: how
//! long this build takes to make COUNT keys of KEY_TYPE one after the other
//! on one thread, with the same call the certificate code uses
//! (`KeyType::generate`).
//!
//! Usage: cargo run --release --example keygen -- COUNT [KEY_TYPE] [--each]
//!   KEY_TYPE: rsa2048 (default), rsa3072, rsa4096, ec-p256, ec-p384
//!   --each:   also print each key's seconds on standard error, one a line
//!             (RSA key generation time varies widely from key to key)
//!
//! Prints one line: `<total seconds> <count> <key type>`; the total covers
//! the key generation only, not the start of the process.

use std::time::Instant;

use esmtls::pki::KeyType;

fn main() {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let each = all.iter().any(|a| a == "--each");
    let mut args = all.into_iter().filter(|a| a != "--each");
    let usage = "usage: keygen COUNT [KEY_TYPE] [--each]";
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
        let one = Instant::now();
        let k = key.generate().unwrap_or_else(|e| {
            eprintln!("key generation failed: {e}");
            std::process::exit(1);
        });
        std::hint::black_box(k);
        if each {
            eprintln!("{:.4}", one.elapsed().as_secs_f64());
        }
    }
    println!("{:.4} {count} {key}", start.elapsed().as_secs_f64());
}
