//! A fleet of test hosts reachable over SSH, for the Ansible role's tests:
//! by default es01–es03 on 127.0.0.11–13 and kb01 on 127.0.0.21 ([`net`]), each an
//! sshd on port 22 in its own mount, UTS and PID namespace (`host.sh`) over
//! an overlay of `/`, with its hostname, its own config tree at
//! `/etc/elasticsearch` or `/etc/kibana` (seeded like a fresh package
//! install, `seed`), no `/.dockerenv`, and a `systemctl` whose `restart`
//! restarts the host's fake node through the test process (`restarts`).
//! Each node's fake Elasticsearch ([`FakeCluster`]) listens on its host's
//! address, port 9200, and loads the same config tree the host sees. The
//! fleet writes Ansible's inventory and `ansible.cfg` (`ansible`).
//!
//! Needs root (namespaces, mounts, port 22). The harness stays the parent of
//! every process it starts and waits for each. Dropping a [`Fleet`] closes
//! Ansible's SSH masters, kills each host's first process (its namespace
//! goes with it, and every mount in it), waits for them, stops the restart
//! channel and the nodes, and — unless the test is already failing —
//! asserts that no process of the fleet's namespaces and no mount under its
//! directory is left.
//!
//! A test crate declares `mod fleet_support;` next to `mod cluster_support;`,
//! `mod common;` and `mod es_support;`. Two fleets cannot run at once (the
//! addresses are fixed): tests take [`lock`] first.
#![allow(dead_code)]

pub mod ansible;
pub mod checks;
pub mod restarts;
pub mod seed;

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::cluster_support::FakeCluster;
use restarts::Restarts;

/// The script each host runs as its namespace's first process.
const HOST_SH: &str = include_str!("host.sh");

/// The hosts' sshd configuration (one for all; the address is given per host).
const SSHD_CONFIG: &str = "\
HostKey /run/esmtls-fleet/ssh_host_ed25519_key
AuthorizedKeysFile /run/esmtls-fleet/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitUserEnvironment yes
PidFile none
MaxSessions 100
Subsystem sftp internal-sftp
";

/// How many hosts of each kind.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Elasticsearch nodes es01… on 127.0.0.11… (at most 9).
    pub nodes: usize,
    /// Kibana instances kb01… on 127.0.0.21… (at most 9).
    pub kibanas: usize,
}

impl Default for Spec {
    /// Three nodes and one Kibana.
    fn default() -> Spec {
        Spec {
            nodes: 3,
            kibanas: 1,
        }
    }
}

/// One host.
#[derive(Debug, Clone)]
pub struct Host {
    /// `es01`, `kb01`, … (hostname and inventory name).
    pub name: String,
    /// Its loopback address.
    pub addr: Ipv4Addr,
    /// True for an Elasticsearch node.
    pub es: bool,
    /// The test's directory for the host (`config/`, `upper/`, `ssh/`, …).
    pub dir: PathBuf,
    /// Its config tree, seen by the host as [`Host::etc`].
    pub config: PathBuf,
}

impl Host {
    /// `elasticsearch` or `kibana`.
    pub fn product(&self) -> &'static str {
        if self.es { "elasticsearch" } else { "kibana" }
    }
    /// `/etc/elasticsearch` or `/etc/kibana`: where the host sees its config tree.
    pub fn etc(&self) -> String {
        format!("/etc/{}", self.product())
    }
}

/// A running host: `unshare` (our child), its first process, its namespaces.
struct Running {
    name: String,
    unshare: Child,
    init: u32,
    namespaces: Vec<PathBuf>,
    log: Option<JoinHandle<()>>,
}

/// The running fleet.
pub struct Fleet {
    /// The test directory.
    pub dir: PathBuf,
    /// Nodes first, then Kibana instances.
    pub hosts: Vec<Host>,
    /// The nodes' fake Elasticsearch.
    pub cluster: Arc<FakeCluster>,
    restarts: Option<Restarts>,
    running: Vec<Running>,
}

/// Held while a fleet may run: fleets use fixed addresses, so one at a time
/// in this process and on this machine (`flock` on a file in the temporary
/// directory, for test binaries run at once).
pub struct FleetLock {
    _threads: MutexGuard<'static, ()>,
    _machine: std::fs::File,
}

/// Waits for the fleet lock.
pub fn lock() -> FleetLock {
    static LOCK: Mutex<()> = Mutex::new(());
    let threads = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let path = std::env::temp_dir().join("esmtls-test-fleet.lock");
    let file = std::fs::File::create(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)
        .unwrap_or_else(|e| panic!("cannot lock {}: {e}", path.display()));
    FleetLock {
        _threads: threads,
        _machine: file,
    }
}

/// True when this machine can run a fleet: root and the tools. Under CI=true
/// a missing piece fails the test; elsewhere the test is skipped loudly.
pub fn available() -> bool {
    let root = rustix::process::geteuid().is_root();
    if !root {
        let msg = "the SSH test fleet needs root (namespaces, mounts, port 22)";
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{msg} (CI=true)");
        }
        eprintln!("\n!!!!! SKIPPING: {msg} !!!!!\n");
        return false;
    }
    ["unshare", "ssh", "ssh-keygen", "/usr/sbin/sshd"]
        .iter()
        .all(|t| crate::common::have(t))
        && ansible::venv().is_some()
}

impl Fleet {
    /// Seeds and starts the hosts of `spec` under `dir`, and the nodes.
    pub fn start(dir: &Path, spec: Spec) -> Fleet {
        assert!(spec.nodes <= 9 && spec.kibanas <= 9, "at most 9 of each");
        let shared = dir.join("fleet");
        std::fs::create_dir_all(&shared).unwrap();
        keys(dir, &shared);
        std::fs::write(shared.join("sshd_config"), SSHD_CONFIG).unwrap();
        std::fs::write(dir.join("host.sh"), HOST_SH).unwrap();
        let host = |name: String, addr: Ipv4Addr, es: bool| {
            let d = dir.join("hosts").join(&name);
            for sub in ["config", "ssh", "mnt"] {
                std::fs::create_dir_all(d.join(sub)).unwrap();
            }
            Host {
                name,
                addr,
                es,
                config: d.join("config"),
                dir: d,
            }
        };
        let [a, b, c, _] = net().octets();
        let mut hosts = Vec::new();
        for i in 1..=spec.nodes {
            hosts.push(host(
                format!("es{i:02}"),
                Ipv4Addr::new(a, b, c, 10 + i as u8),
                true,
            ));
        }
        for i in 1..=spec.kibanas {
            hosts.push(host(
                format!("kb{i:02}"),
                Ipv4Addr::new(a, b, c, 20 + i as u8),
                false,
            ));
        }
        let seeds: Vec<String> = hosts
            .iter()
            .filter(|h| h.es)
            .map(|h| h.addr.to_string())
            .collect();
        for h in &hosts {
            if h.es {
                seed::node(h, &seeds);
            } else {
                seed::kibana(h);
            }
            seed::upper(h, &hosts);
        }
        let nodes: Vec<(&str, &Path, SocketAddr)> = hosts
            .iter()
            .filter(|h| h.es)
            .map(|h| {
                (
                    h.name.as_str(),
                    h.config.as_path(),
                    SocketAddr::from((h.addr, 9200)),
                )
            })
            .collect();
        let cluster = Arc::new(
            FakeCluster::try_start_at(&nodes)
                .unwrap_or_else(|e| panic!("the fake cluster did not start: {e}")),
        );
        let names = hosts
            .iter()
            .filter(|h| h.es)
            .map(|h| h.name.clone())
            .collect();
        let restarts = Restarts::serve(&shared.join("restart.sock"), cluster.clone(), names);
        let mut fleet = Fleet {
            dir: dir.to_path_buf(),
            hosts,
            cluster,
            restarts: Some(restarts),
            running: Vec::new(),
        };
        let hosts = fleet.hosts.clone();
        for h in &hosts {
            let r = run_host(dir, h);
            fleet.running.push(r);
        }
        fleet.write_config();
        fleet.write_inventory(&serde_json::json!({}));
        fleet
    }

    /// A host by name.
    pub fn host(&self, name: &str) -> &Host {
        self.hosts
            .iter()
            .find(|h| h.name == name)
            .unwrap_or_else(|| panic!("the fleet has no host {name}"))
    }

    /// The nodes.
    pub fn nodes(&self) -> impl Iterator<Item = &Host> {
        self.hosts.iter().filter(|h| h.es)
    }

    /// The Kibana instances.
    pub fn kibanas(&self) -> impl Iterator<Item = &Host> {
        self.hosts.iter().filter(|h| !h.es)
    }

    /// The host's root as the test process sees it (`/proc/PID/root`),
    /// while the host runs.
    pub fn root_of(&self, name: &str) -> PathBuf {
        let r = self.running.iter().find(|r| r.name == name).unwrap();
        PathBuf::from(format!("/proc/{}/root", r.init))
    }

    /// The restart channel.
    pub fn restarts(&self) -> &Restarts {
        self.restarts.as_ref().unwrap()
    }

    /// Sets the environment of every later SSH session on `name`
    /// (`~/.ssh/environment`); empty `vars` clears it.
    pub fn set_env(&self, name: &str, vars: &[(&str, &str)]) {
        let text: String = vars.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        std::fs::write(self.host(name).dir.join("ssh/environment"), text).unwrap();
    }

    /// Kills every process on `name` except its sshd's listener (a host
    /// whose sessions all died at once); returns how many were killed.
    pub fn kill_sessions(&self, name: &str) -> usize {
        let r = self.running.iter().find(|r| r.name == name).unwrap();
        let pid_ns = &r.namespaces[0];
        let mut n = 0;
        for pid in in_namespace(pid_ns) {
            if pid != r.init {
                kill(pid);
                n += 1;
            }
        }
        n
    }
}

/// The fleet's network: 127.0.0.0, or `ESMTLS_FLEET_NET` (another
/// 127.x.y.0, for a second fleet on the same machine).
pub fn net() -> Ipv4Addr {
    let net = std::env::var("ESMTLS_FLEET_NET").unwrap_or_else(|_| "127.0.0.0".into());
    let ip: Ipv4Addr = net
        .parse()
        .unwrap_or_else(|e| panic!("ESMTLS_FLEET_NET={net}: {e}"));
    assert!(
        ip.is_loopback(),
        "ESMTLS_FLEET_NET={net}: not a loopback network"
    );
    ip
}

/// The host key (shared by every host; `known_hosts` names each address),
/// the client key and `authorized_keys`.
fn keys(dir: &Path, shared: &Path) {
    let keygen = |path: &Path| {
        let o = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "esmtls-fleet", "-f"])
            .arg(path)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "ssh-keygen: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    let client = dir.join("client");
    std::fs::create_dir_all(&client).unwrap();
    keygen(&shared.join("ssh_host_ed25519_key"));
    keygen(&client.join("id_ed25519"));
    std::fs::copy(
        client.join("id_ed25519.pub"),
        shared.join("authorized_keys"),
    )
    .unwrap();
}

/// Starts `host.sh` for `h` in new namespaces; returns once its sshd listens.
fn run_host(dir: &Path, h: &Host) -> Running {
    let mut unshare = Command::new("unshare")
        .args(["--mount", "--uts", "--pid", "--fork", "--kill-child"])
        .args(["--propagation", "private", "sh"])
        .arg(dir.join("host.sh"))
        .arg(&h.name)
        .arg(h.addr.to_string())
        .arg(&h.dir)
        .arg(dir.join("fleet"))
        .arg(h.product())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run unshare: {e}"));
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = unshare.stderr.take().unwrap();
    let mut file = std::fs::File::create(h.dir.join("sshd.log")).unwrap();
    let log = std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = writeln!(file, "{line}");
            if line.starts_with("Server listening on")
                && let Some(t) = tx.take()
            {
                let _ = t.send(());
            }
        }
    });
    let listening = rx.recv_timeout(Duration::from_secs(30)).is_ok();
    let pid = unshare.id();
    let init = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|p| p.parse().ok()));
    let (Some(init), true) = (init, listening) else {
        let _ = unshare.kill();
        let _ = unshare.wait();
        let _ = log.join();
        let text = std::fs::read_to_string(h.dir.join("sshd.log")).unwrap_or_default();
        panic!("host {} did not start: {text}", h.name);
    };
    let namespaces = ["pid", "mnt", "uts"]
        .iter()
        .map(|ns| std::fs::read_link(format!("/proc/{init}/ns/{ns}")).unwrap())
        .collect();
    Running {
        name: h.name.clone(),
        unshare,
        init,
        namespaces,
        log: Some(log),
    }
}

/// SIGKILL to `pid` (gone already: nothing to do).
fn kill(pid: u32) {
    if let Some(p) = rustix::process::Pid::from_raw(pid as i32) {
        let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
    }
}

/// The processes (of this machine) in the namespace `ns` (`pid:[…]`, `mnt:[…]`, …).
fn in_namespace(ns: &Path) -> Vec<u32> {
    let kind = ns
        .to_string_lossy()
        .split(':')
        .next()
        .unwrap_or_default()
        .to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/ns/{kind}")).is_ok_and(|l| l == ns))
        .collect()
}

impl Drop for Fleet {
    fn drop(&mut self) {
        if let Some(keep) = std::env::var_os("ESMTLS_FLEET_LOGS") {
            // Ansible's output of every run, kept for a look after the test.
            let _ = Command::new("cp")
                .arg("-a")
                .arg(self.dir.join("logs"))
                .arg(PathBuf::from(keep).join(self.dir.file_name().unwrap_or_default()))
                .status();
        }
        ansible::close_masters(&self.dir);
        for r in &self.running {
            kill(r.init);
        }
        for r in &mut self.running {
            let _ = r.unshare.wait();
            if let Some(l) = r.log.take() {
                let _ = l.join();
            }
        }
        drop(self.restarts.take());
        let left: Vec<String> = self
            .running
            .iter()
            .flat_map(|r| r.namespaces.iter())
            .filter(|ns| !in_namespace(ns).is_empty())
            .map(|ns| ns.display().to_string())
            .collect();
        let mounts: Vec<String> = std::fs::read_to_string("/proc/self/mountinfo")
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(&*self.dir.to_string_lossy()))
            .map(str::to_string)
            .collect();
        if !std::thread::panicking() {
            assert!(left.is_empty(), "fleet namespaces still in use: {left:?}");
            assert!(mounts.is_empty(), "fleet mounts left: {mounts:?}");
        }
    }
}
