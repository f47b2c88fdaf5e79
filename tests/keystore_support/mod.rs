//! Helpers shared by the keystore integration tests: finding external tools
//! (failing under `CI=true`, skipping loudly otherwise) and a scrubbed command.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// True when running in CI, where a missing tool is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// `Some(())` when `ok`, else panics in CI or prints a loud skip message.
pub fn require(ok: bool, what: &str) -> Option<()> {
    if ok {
        return Some(());
    }
    let msg = format!("{what} is missing; run `bash scripts/setup-test-deps.sh`");
    if in_ci() {
        panic!("CI=true and {msg}");
    }
    eprintln!("\n!!!!! SKIPPING: {msg} !!!!!\n");
    None
}

/// True when `cmd --version`-like probing succeeds.
pub fn has_command(cmd: &str, arg: &str) -> bool {
    Command::new(cmd)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The Lucene 8 core jar from Debian's liblucene8-java.
pub fn lucene_jar() -> Option<PathBuf> {
    let dir = Path::new("/usr/share/java");
    for name in ["lucene-core.jar", "lucene8-core.jar"] {
        if dir.join(name).is_file() {
            return Some(dir.join(name));
        }
    }
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("lucene-core") && n.ends_with(".jar"))
        })
}

/// Compiles tests/java/KeystoreCheck.java into `out`; returns the classpath.
pub fn compile_java(out: &Path) -> Option<String> {
    require(
        has_command("javac", "-version") && has_command("java", "-version"),
        "a JDK (javac, java)",
    )?;
    let jar = lucene_jar();
    require(jar.is_some(), "Lucene 8 (liblucene8-java)")?;
    let jar = jar?;
    let st = Command::new("javac")
        .arg("-cp")
        .arg(&jar)
        .arg("-d")
        .arg(out)
        .arg(repo().join("tests/java/KeystoreCheck.java"))
        .status()
        .expect("javac runs");
    assert!(st.success(), "javac failed");
    Some(format!("{}:{}", out.display(), jar.display()))
}

/// Node with @elastic/node-crypto installed in .ci/npm.
pub fn node_ready() -> Option<()> {
    require(has_command("node", "--version"), "node")?;
    require(
        repo()
            .join(".ci/npm/node_modules/@elastic/node-crypto")
            .is_dir(),
        "@elastic/node-crypto in .ci/npm",
    )
}

/// A `node tests/node/kibana_keystore.js` command.
pub fn node_keystore(mode: &str, file: &Path, password: &str) -> Command {
    let mut c = Command::new("node");
    c.arg(repo().join("tests/node/kibana_keystore.js"))
        .arg(mode)
        .arg(file)
        .env("NODE_PATH", repo().join(".ci/npm/node_modules"))
        .env("KS_PASSWORD", password);
    c
}
