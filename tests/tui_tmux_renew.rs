//! The wizard's Renew in a real terminal: `esmtls apply` makes a healthy
//! mtls-token setup whose Kibana client certificate expires in 3 days; tmux
//! runs `esmtls setup` on it, the start screen offers renewal first, the
//! due certificate is pre-selected, reviewed, confirmed and written; then
//! `esmtls status` is fine again and the file keeps its name, password,
//! subject and SANs (checked with `esmtls cert inspect`), with a backup.
//!
//! Waiting is a bounded poll of `capture-pane` (never a fixed sleep); the
//! tmux server is killed by a guard on every exit path.

mod common;
mod lifecycle_support;

use common::tmux::Tmux;
use common::{ok, run};
use lifecycle_support::*;

fn client_leaf(env: &Env, pw: &str) -> serde_json::Value {
    let p12 = env.kb.join("certs/kibana-client.p12");
    leaf_of(&inspect(env, p12.to_str().unwrap(), Some(pw)))
}

#[test]
fn the_wizard_renews_a_certificate_that_expires_in_three_days() {
    if !common::have("tmux") {
        return;
    }
    let env = healthy("client_certificate:\n  days: 3\n");
    let pw = kb_p12_password(&env);
    let old = client_leaf(&env, &pw);
    assert!(old["days_left"].as_i64().unwrap() <= 3, "{old}");
    assert_eq!(code(&run(&mut cmd(&env, &["status"]))), 1, "due before");

    let script = common::tmux::wizard_script(&env.root, &env.root, &env.es, &env.kb, "");
    let tmux = Tmux::start("esmtls-tui-renew", 120, 40, &script);

    let start = tmux.wait_for("› Renew 1 certificate(s) that expire within 30 days");
    assert!(start.contains("kibana-client.p12"), "{start}");
    tmux.send(&["Enter"]);
    let table = tmux.wait_for("Space select");
    assert!(table.contains("1 selected"), "{table}");
    tmux.send(&["Enter"]);
    let review = tmux.wait_for("Nothing has been written yet");
    assert!(review.contains("kibana-client.p12"), "{review}");
    assert!(review.contains("CN=kibana-client"), "{review}");
    assert!(!review.contains(&pw), "a password was shown");
    tmux.send(&["Enter"]);
    let done = tmux.wait_for("Renewed 1 certificate(s)");
    assert!(done.contains("backup:"), "{done}");
    assert!(
        done.contains("Kibana: it reads its certificates only"),
        "{done}"
    );
    assert!(!done.contains(&pw), "a password was shown");
    // Back to the start: the list is read again and nothing is due now.
    tmux.send(&["Enter"]);
    tmux.wait_for("Renew certificates (choose which)");
    tmux.send(&["q"]);
    let end = tmux.wait_for("esmtls exited with");
    assert!(end.contains("esmtls exited with 0"), "{end}");

    // status is fine; same file, same password, same subject/SANs/key type.
    assert_eq!(code(&run(&mut cmd(&env, &["status"]))), 0);
    let new = client_leaf(&env, &pw);
    for k in ["subject", "issuer", "sans", "eku", "key_type", "key_bits"] {
        assert_eq!(old[k], new[k], "{k} changed");
    }
    assert_ne!(old["serial"], new["serial"]);
    assert!(new["days_left"].as_i64().unwrap() > 365, "{new}");
    let backups = std::fs::read_dir(env.kb.join("certs"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".bak"))
        .count();
    assert_eq!(backups, 1, "one backup of kibana-client.p12");
    // A second renewal finds nothing to do.
    let again = ok(run(&mut cmd(&env, &["renew", "--yes"])));
    assert!(again.contains("Nothing to renew"), "{again}");
}
