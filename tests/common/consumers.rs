//! The real consumers as helpers: the JDK test classes (compiled once per
//! test), the JSSE mutual-TLS server Elasticsearch's HTTP layer stands in for,
//! the Node client Kibana's Elasticsearch client stands in for, and node-forge
//! reading a PKCS#12 as Kibana does. Each returns None (or skips) through
//! [`super::have`] when a tool is missing — a failure under CI=true.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::{asset, have, node_modules, ok, run};

/// tests/java/*.java compiled into a temporary directory, or None without a JDK.
pub fn java_class_dir() -> Option<tempfile::TempDir> {
    if !have("javac") || !have("java") {
        return None;
    }
    let d = tempfile::tempdir().unwrap();
    ok(run(Command::new("javac")
        .args(["-d"])
        .arg(d.path())
        .arg(asset("java/P12Check.java"))
        .arg(asset("java/MtlsServer.java"))));
    Some(d)
}

/// node-forge's reading of the PKCS#12 `file` in `p` (password file `pw`),
/// as tests/node/forge-check.js prints it; None without node-forge.
pub fn forge(p: &Path, file: &str) -> Option<serde_json::Value> {
    let nm = node_modules()?;
    let out = ok(run(Command::new("node")
        .current_dir(p)
        .env("NODE_PATH", nm)
        .arg(asset("node/forge-check.js"))
        .args([file, "pw"])));
    Some(serde_json::from_str(out.trim()).unwrap())
}

/// Starts the JSSE server (keystore = truststore = `keystore`, password file
/// `pw`, run in `dir`) for `max` connections; returns it and its port.
pub fn start_server(classes: &Path, dir: &Path, keystore: &str, max: u32) -> (Child, u16) {
    let mut child = Command::new("java")
        .current_dir(dir)
        .arg("-cp")
        .arg(classes)
        .args(["MtlsServer", keystore, keystore, "pw", &max.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("PORT ")
        .unwrap_or_else(|| panic!("server said {line:?}"))
        .parse()
        .unwrap();
    (child, port)
}

/// One request from tests/node/mtls-client.js (run in `dir`) to the server on `port`.
pub fn node_client(dir: &Path, port: u16, args: &[&str]) -> serde_json::Value {
    let out = ok(run(Command::new("node")
        .current_dir(dir)
        .arg(asset("node/mtls-client.js"))
        .arg(port.to_string())
        .args(args)));
    serde_json::from_str(out.trim()).unwrap()
}

/// Waits for the server and returns whether it succeeded and what it logged.
pub fn server_log(mut server: Child) -> (bool, String) {
    let status = server.wait().unwrap();
    let mut log = String::new();
    std::io::Read::read_to_string(server.stdout.as_mut().unwrap(), &mut log).unwrap();
    (status.success(), log)
}
