//! The Ansible role (`assets/ansible`) driven over a fleet of SSH hosts
//! (`fleet_support`): es01–es03 and kb01, each in namespaces of its own with
//! its own `/etc/elasticsearch` or `/etc/kibana`, each node's fake
//! Elasticsearch on its host's address. Needs root, Debian's openssh-server
//! and the pinned ansible venv (`scripts/setup-test-deps.sh`); skipped loudly
//! without them, failed under CI=true.
//!
//! Fleets share fixed addresses, so the tests here run one at a time
//! ([`fleet_support::lock`]).
//!
//! Wall time on this 2-core machine (2026-12-04, quiet): each mode ~42-60 s
//! (fleet up 1 s, `--check --diff` 14-15 s where run, first run at -vvv
//! 22-33 s, second run 13-16 s); the interrupted run ~60 s; the smoke test
//! ~13 s; ansible-lint ~12 s. The whole file: ~5 min 15 s.

mod cluster_support;
mod common;
mod es_support;
mod fleet_support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use cluster_support::{ADMIN_PASSWORD, ADMIN_USER};
use fleet_support::ansible::{self, Run, recap};
use fleet_support::checks::{self, CLIENT_CN};
use fleet_support::{Fleet, Spec};
use serde_json::{Value, json};

/// `ansible -o -m shell` output (one line per host): host → its stdout.
fn one_line_stdout(out: &str) -> BTreeMap<String, String> {
    out.lines()
        .filter_map(|l| {
            let (host, rest) = l.split_once(" | ")?;
            let (_, stdout) = rest.split_once(" | (stdout) ")?;
            Some((host.to_string(), stdout.replace("\\n", "\n") + "\n"))
        })
        .collect()
}

/// sshd processes of any fleet (their command line names the fleet's config).
fn fleet_sshds() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                String::from_utf8_lossy(&c).contains("/run/esmtls-fleet/sshd_config")
            })
        })
        .collect()
}

/// The fleet comes up, Ansible reaches every host, each host sees only its
/// own config tree, `systemctl restart` restarts that host's node (or says
/// why it cannot), and the teardown leaves nothing.
#[test]
fn fleet_smoke() {
    let _lock = fleet_support::lock();
    if !fleet_support::available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let fleet = Fleet::start(tmp.path(), Spec::default());
    let names: Vec<String> = fleet.hosts.iter().map(|h| h.name.clone()).collect();
    assert_eq!(names, ["es01", "es02", "es03", "kb01"]);

    let ping = fleet.adhoc("ping", "all", &["-m", "ansible.builtin.ping"]);
    let out = ping.ok("ansible -m ping");
    for n in &names {
        assert!(out.contains(&format!("{n} | SUCCESS")), "{n}: {out}");
    }

    let look = "hostname; grep -h '^node.name\\|^server.name' /etc/elasticsearch/elasticsearch.yml /etc/kibana/kibana.yml 2>/dev/null; \
                ls -d /etc/elasticsearch /etc/kibana 2>/dev/null; stat -c '%U:%G %a' /etc/elasticsearch /etc/kibana 2>/dev/null; \
                test -e /.dockerenv && echo dockerenv; systemctl restart kibana.service 2>/dev/null; echo kibana=$?";
    let run = fleet.adhoc(
        "look",
        "all",
        &["-o", "-m", "ansible.builtin.shell", "-a", look],
    );
    let seen = one_line_stdout(run.ok("ansible -m shell"));
    for h in &fleet.hosts {
        let text = seen
            .get(&h.name)
            .unwrap_or_else(|| panic!("{}: {}", h.name, run.out));
        let expected = if h.es {
            format!(
                "{n}\nnode.name: {n}\n/etc/elasticsearch\nroot:elasticsearch 2750\nkibana=1\n",
                n = h.name
            )
        } else {
            format!(
                "{n}\nserver.name: \"{n}\"\n/etc/kibana\nroot:kibana 2750\nkibana=0\n",
                n = h.name
            )
        };
        // A node's shim refuses kibana.service: there is no Kibana there.
        assert_eq!(text, &expected, "{}", h.name);
    }

    // es02's shim restarts es02's node, which re-reads es02's tree.
    let url = fleet.cluster.node_url("es02");
    assert_eq!(url, format!("http://{}:9200", fleet.host("es02").addr));
    let restart = [
        "-m",
        "ansible.builtin.command",
        "-a",
        "systemctl restart elasticsearch.service",
    ];
    fleet
        .adhoc("restart-es02", "es02", &restart)
        .ok("systemctl restart on es02");
    let log = fleet.restarts().log();
    let last = log.last().unwrap();
    assert_eq!(
        (last.host.as_str(), last.unit.as_str(), &last.error),
        ("es02", "elasticsearch.service", &None)
    );
    assert!(fleet.cluster.is_running("es02"));

    // A config the node refuses: the shim exits 1 with the node's error.
    let yml = fleet.host("es03").config.join("elasticsearch.yml");
    let good = std::fs::read_to_string(&yml).unwrap();
    std::fs::write(
        &yml,
        format!("{good}xpack.security.http.ssl.enabled: true\n"),
    )
    .unwrap();
    let bad = fleet.adhoc("restart-es03-bad", "es03", &restart);
    assert!(!bad.status.success(), "{}", bad.out);
    assert!(
        bad.out
            .contains("Job for elasticsearch.service failed: node [es03]"),
        "{}",
        bad.out
    );
    assert!(!fleet.cluster.is_running("es03"));
    std::fs::write(&yml, good).unwrap();
    fleet
        .adhoc("restart-es03", "es03", &restart)
        .ok("systemctl restart on es03");
    assert!(fleet.cluster.is_running("es03"));
    let log = fleet.restarts().log();
    let hosts: Vec<&str> = log.iter().map(|r| r.host.as_str()).collect();
    assert!(hosts.ends_with(&["es02", "es03", "es03"]), "{hosts:?}");

    let addrs: Vec<_> = fleet.hosts.iter().map(|h| h.addr).collect();
    drop(fleet);
    for a in addrs {
        assert!(
            std::net::TcpStream::connect((a, 22)).is_err(),
            "{a}:22 still answers"
        );
        assert!(
            std::net::TcpStream::connect((a, 9200)).is_err(),
            "{a}:9200 still answers"
        );
    }
    assert_eq!(fleet_sshds(), Vec::<u32>::new(), "fleet sshd left");
}

/// The fleet lock, once a fleet and the role can run here (None: skip).
fn role_fleet_ready() -> Option<fleet_support::FleetLock> {
    let lock = fleet_support::lock();
    (fleet_support::available() && role_ready()).then_some(lock)
}

/// A fleet of 3 nodes and 1 Kibana under `dir`, its inventory for `mode`.
fn fleet_for(dir: &std::path::Path, mode: &str) -> Fleet {
    let fleet = Fleet::start(dir, Spec::default());
    fleet.write_inventory(&vars(&fleet, mode));
    fleet
}

/// True when the role is in this tree (it comes with the role's branch);
/// under CI=true its absence fails the test.
fn role_ready() -> bool {
    let site = ansible::site_yml();
    if site.is_file() {
        return true;
    }
    let msg = format!("no role at {}", site.display());
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg} (CI=true)");
    }
    eprintln!("\n!!!!! SKIPPING: {msg} !!!!!\n");
    false
}

/// The play-wide variables for `mode`: answers for fresh nodes (esmtls
/// makes the CA and every HTTP certificate and turns HTTPS on), the binary
/// under test, the controller's bundle directory, the admin credentials.
fn vars(fleet: &Fleet, mode: &str) -> Value {
    let mut answers = json!({
        "mode": mode,
        "ca": { "source": "new" },
        "elasticsearch": { "version": common::setups::VERSION },
    });
    if mode != "token" && mode != "password" {
        answers["client_certificate"] = json!({ "name": CLIENT_CN, "key_type": "rsa2048" });
    }
    if mode == "pki" {
        answers["license"] = json!("platinum");
    }
    json!({
        "esmtls_answers": answers,
        "esmtls_binary_src": binary(fleet),
        "esmtls_bundle_dir": bundles(fleet),
        "esmtls_es_admin_user": ADMIN_USER,
        "esmtls_es_admin_password": ADMIN_PASSWORD,
        "esmtls_environment": { "ESMTLS_SECRET_STORE": "file" },
    })
}

/// The esmtls under test without its debug info (a tenth of the size the
/// role copies to every host), in the fleet's directory.
/// `ESMTLS_FLEET_BIN` names another build to use.
fn binary(fleet: &Fleet) -> PathBuf {
    let built = std::env::var_os("ESMTLS_FLEET_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_esmtls")));
    let out = fleet.dir.join("esmtls");
    if !out.exists() {
        let stripped = std::process::Command::new("strip")
            .arg("-o")
            .arg(&out)
            .arg(&built)
            .status()
            .is_ok_and(|s| s.success());
        if !stripped {
            std::fs::copy(&built, &out).unwrap();
        }
    }
    out
}

/// The controller's bundle directory (the CA holder's).
fn bundles(fleet: &Fleet) -> PathBuf {
    fleet.dir.join("bundles")
}

/// Every host is in the recap, reachable, not failed, and its `changed`
/// passes; so do the recap's other hosts (the controller) when `all`.
#[track_caller]
fn assert_recap(run: &Run, fleet: &Fleet, what: &str, changed: impl Fn(u64) -> bool) {
    let r = recap(&run.out);
    for h in &fleet.hosts {
        assert!(
            r.contains_key(&h.name),
            "{what}: {} not in the recap:\n{}",
            h.name,
            run.out
        );
    }
    for (host, c) in &r {
        assert_eq!(
            (c["unreachable"], c["failed"]),
            (0, 0),
            "{what}: {host}: {c:?}"
        );
        let ours = fleet.hosts.iter().any(|h| &h.name == host);
        assert!(
            !ours || changed(c["changed"]),
            "{what}: {host} changed={}:\n{}",
            c["changed"],
            run.out
        );
    }
}

/// The recap says changed=0 for every host, the controller included, and
/// nothing warned.
#[track_caller]
fn assert_nothing_changed(run: &Run, fleet: &Fleet, what: &str) {
    assert_recap(run, fleet, what, |c| c == 0);
    for (host, c) in recap(&run.out) {
        assert_eq!(c["changed"], 0, "{what}: {host} changed:\n{}", run.out);
    }
    // A converged fleet's run is quiet: no "Could not match supplied host
    // pattern" for the empty groups, no warning at all.
    assert!(
        !run.out.contains("[WARNING]"),
        "{what} warned:\n{}",
        run.out
    );
}

/// `--check --diff` on the fleet as it is: every host says it would change
/// and nothing changes — not a host's config tree (SHA-256 of every file),
/// not its `/usr/local/bin` or `/var/lib/esmtls`, not the controller's
/// bundle directory; no restart.
fn check_mode_changes_nothing(fleet: &Fleet) -> f64 {
    let before = checks::trees(fleet);
    let run = fleet.playbook("check", &["--check", "--diff"]);
    run.ok("ansible-playbook --check --diff");
    assert_recap(&run, fleet, "--check", |c| c > 0);
    assert_eq!(
        before,
        checks::trees(fleet),
        "--check changed a host's config tree"
    );
    assert!(
        !bundles(fleet).exists(),
        "--check made the bundle directory"
    );
    for h in &fleet.hosts {
        let root = fleet.root_of(&h.name);
        for p in ["usr/local/bin/esmtls", "var/lib/esmtls", "run/esmtls-check"] {
            assert!(!root.join(p).exists(), "--check left /{p} on {}", h.name);
        }
    }
    assert!(
        fleet.restarts().log().is_empty(),
        "--check restarted something"
    );
    run.secs
}

/// A fresh fleet, `mode`'s first run at -vvv (after a `--check --diff` run
/// when `check_first`): the nodes restart one at a time, Kibana then
/// connects to every node as Kibana, and the whole output shows none of the
/// secrets; then the second run changes nothing on any host and restarts
/// nothing.
fn first_and_second_run(mode: &str, check_first: bool) {
    let Some(_lock) = role_fleet_ready() else {
        return;
    };
    let t0 = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let fleet = fleet_for(tmp.path(), mode);
    let mut times = vec![("fleet up", t0.elapsed().as_secs_f64())];
    if check_first {
        times.push(("--check --diff", check_mode_changes_nothing(&fleet)));
    }

    let first = fleet.playbook(&format!("{mode}-first"), &["-vvv"]);
    first.ok(&format!("{mode}: first run"));
    times.push(("first run -vvv", first.secs));
    assert_recap(&first, &fleet, "first run", |c| c > 0);
    let node_restarts: Vec<String> = fleet
        .restarts()
        .log()
        .iter()
        .filter(|r| r.unit == "elasticsearch.service")
        .map(|r| r.host.clone())
        .collect();
    assert_eq!(
        node_restarts[..3],
        ["es01", "es02", "es03"],
        "{mode}: restarts"
    );
    checks::assert_kibana_connects(&fleet, mode);

    let secrets = checks::secrets(&fleet, &bundles(&fleet));
    assert!(
        secrets.iter().any(|(w, _)| w.contains("private key")),
        "no key found to scan for"
    );
    checks::assert_no_secret(&first.out, &secrets, "the first run's -vvv output");
    let cluster_yml = std::fs::read_to_string(bundles(&fleet).join("cluster.yml")).unwrap();
    checks::assert_no_secret(&cluster_yml, &secrets, "the answers the role wrote");

    let restarts = fleet.restarts().log().len();
    let second = fleet.playbook(&format!("{mode}-second"), &[]);
    second.ok(&format!("{mode}: second run"));
    times.push(("second run", second.secs));
    assert_nothing_changed(&second, &fleet, "second run");
    assert_eq!(
        fleet.restarts().log().len(),
        restarts,
        "the second run restarted"
    );
    checks::assert_no_secret(&second.out, &secrets, "the second run's output");
    eprintln!(
        "{mode}: {times:?} (s), total {:.1} s",
        t0.elapsed().as_secs_f64()
    );
}

#[test]
fn token_check_mode_then_first_run_then_no_change() {
    first_and_second_run("token", true);
}

#[test]
fn password_first_run_then_no_change() {
    first_and_second_run("password", false);
}

#[test]
fn mtls_token_first_run_then_no_change() {
    first_and_second_run("mtls-token", false);
}

#[test]
fn mtls_password_check_mode_then_first_run_then_no_change() {
    first_and_second_run("mtls-password", true);
}

#[test]
fn pki_first_run_then_no_change() {
    first_and_second_run("pki", false);
}

/// A node whose apply fails (es02, `ESMTLS_FAULT=fail-after-rename:1`: its
/// files are rolled back) stops the rollout: the play names es02 and
/// esmtls's error, es01 has been restarted, es03 is neither written nor
/// restarted and Kibana's stage never runs. The rerun, the fault gone,
/// picks up there and finishes.
#[test]
fn failed_node_stops_the_rollout_then_rerun_finishes() {
    let Some(_lock) = role_fleet_ready() else {
        return;
    };
    let mode = "token";
    let tmp = tempfile::tempdir().unwrap();
    let fleet = fleet_for(tmp.path(), mode);
    fleet.set_env("es02", &[("ESMTLS_FAULT", "fail-after-rename:1")]);
    let read = |host: &str, file: &str| std::fs::read(fleet.host(host).config.join(file)).unwrap();
    let es03_yml = read("es03", "elasticsearch.yml");
    let kb01_yml = read("kb01", "kibana.yml");
    let node_restarts = || -> Vec<String> {
        fleet
            .restarts()
            .log()
            .iter()
            .filter(|r| r.unit == "elasticsearch.service")
            .map(|r| r.host.clone())
            .collect()
    };

    let failed = fleet.playbook("failed", &[]);
    assert!(
        !failed.status.success(),
        "the run did not fail:\n{}",
        failed.out
    );
    assert!(
        failed.out.contains("fatal: [es02]")
            && failed.out.contains("\"es02: error: ")
            && failed.out.contains("fail-after-rename"),
        "the play does not say that es02 failed and why:\n{}",
        failed.out
    );
    assert_eq!(node_restarts(), ["es01"], "{}", failed.out);
    assert_eq!(
        read("es03", "elasticsearch.yml"),
        es03_yml,
        "es03 was written"
    );
    assert_eq!(read("kb01", "kibana.yml"), kb01_yml, "Kibana was written");
    assert!(
        fleet.restarts().log().iter().all(|r| r.host != "kb01"),
        "Kibana was restarted"
    );

    fleet.set_env("es02", &[]);
    let rerun = fleet.playbook("rerun", &[]);
    rerun.ok("the rerun");
    assert_eq!(node_restarts(), ["es01", "es02", "es03"], "{}", rerun.out);
    checks::assert_kibana_connects(&fleet, mode);
}

/// The playbook killed while es02 is half-way through its files (es01
/// restarted, es02 paused after its first rename by `ESMTLS_FAULT`): the
/// controller's processes and every process on every host die at once. The
/// rerun recovers es02 and finishes: Kibana connects to every node, and a
/// further run changes nothing.
#[test]
fn interrupted_run_then_rerun_ends_correct() {
    let Some(_lock) = role_fleet_ready() else {
        return;
    };
    let mode = "password";
    let t0 = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let fleet = fleet_for(tmp.path(), mode);
    fleet.set_env("es02", &[("ESMTLS_FAULT", "pause-after-rename:1")]);
    let (tx, rx) = channel();
    fleet.restarts().subscribe(tx);
    let es02 = fleet.host("es02").config.clone();
    let es02_tree = || -> Vec<_> {
        checks::trees(&fleet)
            .into_iter()
            .filter(|(p, _)| p.starts_with(&es02))
            .collect()
    };

    let run = fleet.spawn_playbook("interrupted", &[]);
    let es01 = loop {
        match rx.recv_timeout(Duration::from_secs(300)) {
            Ok(r) if r.host == "es01" => break r,
            Ok(_) => {}
            Err(e) => panic!("es01 never restarted ({e}):\n{}", run.kill().out),
        }
    };
    assert_eq!(es01.error, None);
    // es02's apply starts after es01's stage (its key and CSR are older) and
    // stops after its first rename.
    let before = es02_tree();
    let deadline = Instant::now() + Duration::from_secs(120);
    while es02_tree() == before {
        assert!(Instant::now() < deadline, "es02 never started writing");
        std::thread::sleep(Duration::from_millis(50));
    }
    let killed = run.kill();
    assert!(!killed.status.success(), "{}", killed.out);
    for h in &fleet.hosts {
        fleet.kill_sessions(&h.name);
    }
    fleet.set_env("es02", &[]);
    let interrupted_at = t0.elapsed().as_secs_f64();

    let rerun = fleet.playbook("rerun", &[]);
    rerun.ok("the rerun");
    assert_recap(&rerun, &fleet, "the rerun", |_| true);
    checks::assert_kibana_connects(&fleet, mode);
    let again = fleet.playbook("after-rerun", &[]);
    again.ok("the run after the rerun");
    assert_nothing_changed(&again, &fleet, "the run after the rerun");
    eprintln!(
        "interrupted: killed after {interrupted_at:.1} s, rerun {:.1} s, next run {:.1} s",
        rerun.secs, again.secs
    );
}

/// `ansible-lint --offline` on `assets/ansible` passes (the profile its
/// config names, else the default).
#[test]
fn ansible_lint_passes() {
    if ansible::venv().is_none() || !role_ready() {
        return;
    }
    // A copy: ansible-lint keeps a cache (`.ansible/`) in the project it lints.
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("ansible");
    let cp = std::process::Command::new("cp")
        .arg("-a")
        .arg(ansible::role_dir())
        .arg(&copy)
        .status()
        .unwrap();
    assert!(cp.success());
    let mut c = ansible::command(tmp.path(), "ansible-lint");
    c.current_dir(&copy)
        .env("ANSIBLE_ROLES_PATH", copy.join("roles"))
        .arg("--offline");
    let run = ansible::spawn(tmp.path(), c, "lint").wait();
    run.ok("ansible-lint --offline");
    eprintln!("ansible-lint: {:.1} s", run.secs);
}

/// For working on the role: with `ESMTLS_FLEET_HOLD=FILE`, writes the fleet's
/// directory to FILE after the first run and waits until FILE is removed.
fn hold(fleet: &Fleet) {
    let Some(f) = std::env::var_os("ESMTLS_FLEET_HOLD") else {
        return;
    };
    std::fs::write(
        &f,
        fleet
            .inventory()
            .parent()
            .unwrap()
            .to_string_lossy()
            .as_bytes(),
    )
    .unwrap();
    while std::path::Path::new(&f).exists() {
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

/// The figures of issue 17 (run by `scripts/bench-ansible.sh`): mode
/// `token`, wall time of the first run and of the no-op run on 3 nodes +
/// 1 Kibana, and of the no-op run on 9 nodes + 3 Kibana (forks = hosts),
/// with the 12/4 ratio of the no-op runs (each the best of two).
#[test]
#[ignore = "figures, not a test: scripts/bench-ansible.sh"]
fn bench_fleet_figures() {
    let Some(_lock) = role_fleet_ready() else {
        return;
    };
    let mut noop = Vec::new();
    for spec in [
        Spec::default(),
        Spec {
            nodes: 9,
            kibanas: 3,
        },
    ] {
        let n = spec.nodes + spec.kibanas;
        let tmp = tempfile::tempdir().unwrap();
        let fleet = Fleet::start(tmp.path(), spec);
        fleet.write_inventory(&vars(&fleet, "token"));
        let first = fleet.playbook("first", &[]);
        first.ok("first run");
        assert_recap(&first, &fleet, "first run", |c| c > 0);
        hold(&fleet);
        let mut best = f64::MAX;
        for i in 1..=2 {
            let again = fleet.playbook(&format!("noop-{i}"), &[]);
            again.ok("no-op run");
            assert_nothing_changed(&again, &fleet, "no-op run");
            best = best.min(again.secs);
            eprintln!("FIGURE {n} hosts: no-op run {i}: {:.1} s", again.secs);
        }
        eprintln!(
            "FIGURE {n} hosts: first run {:.1} s, no-op run (best of 2) {best:.1} s",
            first.secs
        );
        noop.push(best);
    }
    eprintln!(
        "FIGURE no-op 12 hosts / 4 hosts: {:.2} (target <= 1.5)",
        noop[1] / noop[0]
    );
}
