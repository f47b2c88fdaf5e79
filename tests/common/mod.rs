//! Shared helpers for the integration tests: run the binary in a scrubbed
//! environment, find the real consumers (openssl, keytool, java, node + npm
//! packages), and fail — not skip — when one is missing under CI=true.
#![allow(dead_code)]

pub mod as_kibana;
pub mod consumers;
pub mod setups;
pub mod tmux;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The esmtls binary with a scrubbed environment.
pub fn esmtls(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_esmtls"));
    c.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("LANG", "C.UTF-8");
    c.stdin(std::process::Stdio::null());
    c
}

/// `esmtls apply --yes --answers ANSWERS --es-config ES --kibana-config KB`
/// from `dir`, with the CA password kept in a file (no keyring in tests).
pub fn apply_here(dir: &Path, answers: &Path, es: &Path, kb: &Path) -> Command {
    let mut c = esmtls(dir);
    c.env("ESMTLS_SECRET_STORE", "file")
        .args(["apply", "--yes", "--answers"])
        .arg(answers)
        .arg("--es-config")
        .arg(es)
        .arg("--kibana-config")
        .arg(kb);
    c
}

/// A second apply (`again`, returning its output) says "Nothing to change"
/// and leaves every file under `root` as it was.
#[track_caller]
pub fn assert_again_changes_nothing(root: &Path, again: impl FnOnce() -> String) {
    let before = snapshot(root);
    let out = again();
    assert!(out.contains("Nothing to change"), "{out}");
    assert_eq!(before, snapshot(root), "the second apply changed files");
}

/// Runs a command, returning its output; panics with the command if it cannot start.
pub fn run(c: &mut Command) -> Output {
    c.output()
        .unwrap_or_else(|e| panic!("cannot run {c:?}: {e}"))
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts success and returns stdout.
#[track_caller]
pub fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "command failed ({}):\nstdout: {}\nstderr: {}",
        o.status,
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// True when `tool` is on PATH. Under CI=true a missing tool fails the test;
/// elsewhere the test is skipped with a loud message.
pub fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "{tool} is required by this test and is missing (CI=true); scripts/setup-test-deps.sh installs it"
            );
        }
        eprintln!(
            "\n!!!!! SKIPPING: {tool} is not installed; run `bash scripts/setup-test-deps.sh` !!!!!\n"
        );
    }
    found
}

/// The npm packages folder, installed by scripts/setup-test-deps.sh.
pub fn node_modules() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/npm/node_modules");
    if p.join("node-forge").is_dir() && have("node") {
        return Some(p);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "node-forge is missing in {} (CI=true); scripts/setup-test-deps.sh installs it",
            p.display()
        );
    }
    eprintln!(
        "\n!!!!! SKIPPING: npm packages missing in {}; run `bash scripts/setup-test-deps.sh` !!!!!\n",
        p.display()
    );
    None
}

/// A test asset from tests/.
pub fn asset(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(rel)
}

/// Writes `pw` to dir/name and returns the path.
pub fn pw_file(dir: &Path, name: &str, pw: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("{pw}\n")).unwrap();
    p
}

/// Mode bits of a file.
pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Names of the files in a directory, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Every path under `dir` (files and directories, hidden ones too), sorted.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Every regular file under `dir` with its content, leaving out backups
/// (`*.bak`), hidden files and directories and the answers file: what a
/// setup "is" on disk.
pub fn snapshot(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    walk(dir)
        .into_iter()
        .filter(|p| {
            let rel = p.strip_prefix(dir).unwrap();
            let name = rel.file_name().unwrap().to_string_lossy();
            !rel.iter().any(|c| c.to_string_lossy().starts_with('.'))
                && !name.ends_with(".bak")
                && name != "answers.yml"
                && !p.is_dir()
        })
        .map(|p| {
            let content = std::fs::read(&p).unwrap();
            (p, content)
        })
        .collect()
}

/// Asserts that every file of `before` is in `after` with the same content,
/// and that `after` has no file under any of `dirs` that `before` lacks.
#[track_caller]
pub fn assert_restored(
    before: &std::collections::BTreeMap<PathBuf, Vec<u8>>,
    after: &std::collections::BTreeMap<PathBuf, Vec<u8>>,
    dirs: &[&Path],
) {
    for (p, v) in before {
        assert_eq!(after.get(p), Some(v), "{} not restored", p.display());
    }
    let new: Vec<_> = after
        .keys()
        .filter(|p| !before.contains_key(*p) && dirs.iter().any(|d| p.starts_with(d)))
        .collect();
    assert!(new.is_empty(), "new files left behind: {new:?}");
}

/// Asserts success and returns stdout and stderr together.
#[track_caller]
pub fn ok_all(o: Output) -> String {
    assert!(
        o.status.success(),
        "command failed ({}):\nstdout: {}\nstderr: {}",
        o.status,
        stdout(&o),
        stderr(&o)
    );
    stdout(&o) + &stderr(&o)
}
