//! The Ansible role (`assets/ansible`) driven over a fleet of SSH hosts
//! (`fleet_support`): es01–es03 and kb01, each in namespaces of its own with
//! its own `/etc/elasticsearch` or `/etc/kibana`, each node's fake
//! Elasticsearch on its host's address. Needs root, Debian's openssh-server
//! and the pinned ansible venv (`scripts/setup-test-deps.sh`); skipped loudly
//! without them, failed under CI=true.
//!
//! Fleets share fixed addresses, so the tests here run one at a time
//! ([`fleet_support::lock`]).

mod cluster_support;
mod common;
mod es_support;
mod fleet_support;

use std::collections::BTreeMap;

use fleet_support::{Fleet, Spec};

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
