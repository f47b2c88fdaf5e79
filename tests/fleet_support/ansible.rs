//! Ansible on the fleet: the pinned venv `scripts/setup-test-deps.sh` makes
//! (`.ci/ansible-venv`, or `ESMTLS_ANSIBLE_VENV`), the fleet's
//! `ansible.cfg` (SSH masters under the test directory, pipelining, forks =
//! hosts, host keys checked against a `known_hosts` the test writes) and
//! inventory (groups `elasticsearch` and `kibana`, see the role's
//! interface), and runs of `ansible`, `ansible-playbook`, `ansible-lint`.
//!
//! Every run has a PID namespace of its own (`unshare --pid --fork
//! --kill-child`): Ansible's SSH masters are its descendants, so killing the
//! run's first process ends all of them at once — no orphan outlives a run
//! and the test stays the parent of what it started. Output (stdout and
//! stderr together) goes to a file under the test directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Instant;

use serde_json::{Value, json};

use super::Fleet;

/// The venv with `ansible-core` and `ansible-lint`, when it is there. Under
/// CI=true a missing venv fails the test; elsewhere it is skipped loudly.
pub fn venv() -> Option<PathBuf> {
    let p = std::env::var_os("ESMTLS_ANSIBLE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/ansible-venv"));
    if p.join("bin/ansible-playbook").is_file() && p.join("bin/ansible-lint").is_file() {
        return Some(p);
    }
    let msg = format!(
        "no ansible-core/ansible-lint venv in {}; run `bash scripts/setup-test-deps.sh`",
        p.display()
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg} (CI=true)");
    }
    eprintln!("\n!!!!! SKIPPING: {msg} !!!!!\n");
    None
}

/// The role's directory: `<repo>/assets/ansible` (or `ESMTLS_ANSIBLE_DIR`).
pub fn role_dir() -> PathBuf {
    std::env::var_os("ESMTLS_ANSIBLE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/ansible"))
}

/// `<role dir>/playbooks/site.yml`.
pub fn site_yml() -> PathBuf {
    role_dir().join("playbooks/site.yml")
}

/// One finished run.
#[derive(Debug)]
pub struct Run {
    pub status: ExitStatus,
    /// stdout and stderr, as written.
    pub out: String,
    /// Wall time in seconds.
    pub secs: f64,
}

impl Run {
    /// Asserts success; returns the output.
    #[track_caller]
    pub fn ok(&self, what: &str) -> &str {
        assert!(
            self.status.success(),
            "{what} failed ({}):\n{}",
            self.status,
            self.out
        );
        &self.out
    }
}

/// A run still going.
pub struct Running {
    child: Option<Child>,
    out: PathBuf,
    started: Instant,
}

impl Running {
    /// Waits for the end.
    pub fn wait(mut self) -> Run {
        let status = self.child.take().unwrap().wait().unwrap();
        Run {
            status,
            out: std::fs::read_to_string(&self.out).unwrap_or_default(),
            secs: self.started.elapsed().as_secs_f64(),
        }
    }

    /// Kills the run: its first process, and with it every process of its
    /// namespace (the SSH masters included); then waits.
    pub fn kill(mut self) -> Run {
        if let Some(c) = &mut self.child {
            let pid = c.id();
            let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"));
            for p in children.unwrap_or_default().split_whitespace() {
                super::kill(p.parse().unwrap_or(0));
            }
            let _ = c.kill();
        }
        self.wait()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Fleet {
    /// `ansible.cfg` in the test directory.
    pub(super) fn write_config(&self) {
        let d = self.dir.display();
        let cfg = format!(
            "[defaults]\n\
             forks = {forks}\n\
             host_key_checking = True\n\
             interpreter_python = /usr/bin/python3\n\
             private_key_file = {d}/client/id_ed25519\n\
             local_tmp = {d}/ansible/tmp\n\
             retry_files_enabled = False\n\
             nocolor = True\n\
             \n\
             [ssh_connection]\n\
             pipelining = True\n\
             control_path = {d}/cp/%%C\n\
             ssh_args = -o ControlMaster=auto -o ControlPersist=300s -o UserKnownHostsFile={d}/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes\n",
            forks = self.hosts.len(),
        );
        std::fs::write(self.dir.join("ansible.cfg"), cfg).unwrap();
        for sub in ["cp", "ansible/tmp", "ansible/home"] {
            std::fs::create_dir_all(self.dir.join(sub)).unwrap();
        }
        let pubkey =
            std::fs::read_to_string(self.dir.join("fleet/ssh_host_ed25519_key.pub")).unwrap();
        let key: Vec<&str> = pubkey.split_whitespace().take(2).collect();
        let known: String = self
            .hosts
            .iter()
            .map(|h| format!("{} {}\n", h.addr, key.join(" ")))
            .collect();
        std::fs::write(self.dir.join("known_hosts"), known).unwrap();
    }

    /// `inventory.yml`: groups `elasticsearch` and `kibana`, each host with
    /// `ansible_host`, `ansible_user: root` and the interpreter; `vars` are
    /// the play-wide variables (`all.vars`).
    pub fn write_inventory(&self, vars: &Value) {
        let group = |es: bool| {
            let hosts: serde_json::Map<String, Value> = self
                .hosts
                .iter()
                .filter(|h| h.es == es)
                .map(|h| {
                    let v = json!({
                        "ansible_host": h.addr.to_string(),
                        "ansible_user": "root",
                        "ansible_python_interpreter": "/usr/bin/python3",
                    });
                    (h.name.clone(), v)
                })
                .collect();
            json!({ "hosts": hosts })
        };
        let inv = json!({ "all": {
            "vars": vars,
            "children": { "elasticsearch": group(true), "kibana": group(false) },
        }});
        // JSON is YAML.
        let text = serde_json::to_string_pretty(&inv).unwrap();
        std::fs::write(self.inventory(), text).unwrap();
    }

    /// The inventory file.
    pub fn inventory(&self) -> PathBuf {
        self.dir.join("inventory.yml")
    }

    /// [`command`] with the fleet's `ansible.cfg`.
    pub fn command(&self, program: &str) -> Command {
        let mut c = command(&self.dir, program);
        c.env("ANSIBLE_CONFIG", self.dir.join("ansible.cfg"));
        c
    }

    /// [`spawn`] in the fleet's directory.
    pub fn spawn(&self, c: Command, name: &str) -> Running {
        spawn(&self.dir, c, name)
    }

    /// `ansible-playbook -i inventory.yml <role>/playbooks/site.yml ARGS`, started.
    pub fn spawn_playbook(&self, name: &str, args: &[&str]) -> Running {
        let mut c = self.command("ansible-playbook");
        c.arg("-i").arg(self.inventory()).arg(site_yml()).args(args);
        self.spawn(c, name)
    }

    /// [`Fleet::spawn_playbook`], waited for.
    pub fn playbook(&self, name: &str, args: &[&str]) -> Run {
        self.spawn_playbook(name, args).wait()
    }

    /// An ad-hoc `ansible PATTERN ARGS` run, waited for.
    pub fn adhoc(&self, name: &str, pattern: &str, args: &[&str]) -> Run {
        let mut c = self.command("ansible");
        c.arg("-i").arg(self.inventory()).arg(pattern).args(args);
        self.spawn(c, name).wait()
    }
}

/// A program of the venv (`ansible`, `ansible-playbook`, `ansible-lint`)
/// in a PID namespace of its own, run from `dir` with a scrubbed
/// environment: the role's roles path, HOME `<dir>/ansible/home`.
pub fn command(dir: &Path, program: &str) -> Command {
    let venv = venv().expect("the ansible venv");
    let home = dir.join("ansible/home");
    std::fs::create_dir_all(&home).unwrap();
    let mut c = Command::new("unshare");
    c.args(["--pid", "--fork", "--kill-child", "--"])
        .arg(venv.join("bin").join(program))
        .current_dir(dir)
        .env_clear()
        .env(
            "PATH",
            format!(
                "{}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                venv.join("bin").display()
            ),
        )
        .env("HOME", home)
        .env("LANG", "C.UTF-8")
        .env("LC_ALL", "C.UTF-8")
        .env("ANSIBLE_ROLES_PATH", role_dir().join("roles"))
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null());
    c
}

/// Starts `c` with its output going to `<dir>/logs/<name>.txt`.
pub fn spawn(dir: &Path, mut c: Command, name: &str) -> Running {
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let out = logs.join(format!("{name}.txt"));
    let f = std::fs::File::create(&out).unwrap();
    c.stdout(f.try_clone().unwrap()).stderr(f);
    let started = Instant::now();
    let child = c
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {c:?}: {e}"));
    Running {
        child: Some(child),
        out,
        started,
    }
}

/// The PLAY RECAP: host → counter (`ok`, `changed`, `failed`, …) → value.
pub fn recap(out: &str) -> BTreeMap<String, BTreeMap<String, u64>> {
    let Some(at) = out.rfind("PLAY RECAP") else {
        return BTreeMap::new();
    };
    out[at..]
        .lines()
        .skip(1)
        .filter_map(|l| {
            let (host, counts) = l.split_once(" : ")?;
            let counts = counts
                .split_whitespace()
                .filter_map(|kv| {
                    let (k, v) = kv.split_once('=')?;
                    Some((k.to_string(), v.parse().ok()?))
                })
                .collect();
            Some((host.trim().to_string(), counts))
        })
        .collect()
}

/// `ssh -O exit` on every SSH master socket under `<dir>/cp` (a master of a
/// killed run is gone already; its socket answers nothing).
pub fn close_masters(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir.join("cp")) else {
        return;
    };
    for e in entries.flatten() {
        let _ = Command::new("ssh")
            .arg("-o")
            .arg(format!("ControlPath={}", e.path().display()))
            .args(["-O", "exit", "fleet-host"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
