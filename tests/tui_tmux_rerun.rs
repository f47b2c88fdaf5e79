//! The wizard in a real terminal (tmux, 80×24) on a node already set up for
//! `pki`: the guide shows the mode in place ("Currently: pki") and has it
//! chosen; ←→ move the choice across the mode cards; Ctrl-C leaves with exit
//! code 130 and nothing written.
//!
//! Waiting is a bounded poll of `capture-pane`, never a fixed sleep; the tmux
//! server is killed by a guard on every exit path.

mod common;

use common::tmux::Tmux;

const ES_PKI: &str = "xpack.security.enabled: true\nxpack.security.http.ssl.enabled: true\nxpack.security.http.ssl.certificate: certs/http.crt\nxpack.security.http.ssl.key: certs/http.key\nxpack.security.http.ssl.client_authentication: optional\nxpack.security.authc.realms.pki.pki1.order: 0\nxpack.security.authc.realms.native.native1.order: 1\n";
const KB_PKI: &str = "elasticsearch.hosts: [\"https://localhost:9200\"]\nelasticsearch.ssl.certificate: /etc/kibana/certs/kibana-client.crt\nelasticsearch.ssl.key: /etc/kibana/certs/kibana-client.key\n";

#[test]
fn a_rerun_shows_the_mode_in_place_the_cards_move_and_ctrl_c_exits_130() {
    if !common::have("tmux") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let (es, kb) = common::setups::package_dirs(&root, ES_PKI, KB_PKI);
    let before = [
        std::fs::read(es.join("elasticsearch.yml")).unwrap(),
        std::fs::read(kb.join("kibana.yml")).unwrap(),
    ];
    let script = common::tmux::wizard_script(&root, &root, &es, &kb, "");
    let tmux = Tmux::start("esmtls-tui-rerun", 80, 24, &script);

    tmux.wait_for("config:");
    tmux.send(&["Enter"]);
    let guide = tmux.wait_for("Currently: pki");
    assert!(
        guide.contains("▶pki"),
        "the mode in place is chosen:\n{guide}"
    );
    assert!(guide.contains("in place now"), "{guide}");
    // To the cards (Tab, from any question), then across them.
    tmux.send(&["Tab"]);
    tmux.wait_for("Enter takes ▶ · ↑ the questions");
    tmux.send(&["Left"]);
    tmux.wait_for("▶mtls-password");
    tmux.send(&["Tab", "Tab"]);
    tmux.wait_for("▶token");
    tmux.send(&["BTab"]);
    let back = tmux.wait_for("▶pki");
    assert!(!back.contains("▶token"), "{back}");
    tmux.send(&["Enter"]);
    tmux.wait_for("HTTPS on Elasticsearch (prerequisite)");
    // Step 0 opens in a text field: `?` is still the help.
    tmux.send(&["?"]);
    tmux.wait_for("Keys — any key closes");
    tmux.send(&["Escape"]);
    tmux.wait_for("ES URLs for Kibana");
    tmux.send(&["C-c"]);
    let end = tmux.wait_for("esmtls exited with");
    assert!(end.contains("esmtls exited with 130"), "{end}");
    assert!(end.contains("stopped (Ctrl-C)"), "{end}");
    let after = [
        std::fs::read(es.join("elasticsearch.yml")).unwrap(),
        std::fs::read(kb.join("kibana.yml")).unwrap(),
    ];
    assert_eq!(before, after, "nothing written");
}
