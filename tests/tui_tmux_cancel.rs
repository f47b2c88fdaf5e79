//! Stopping the wizard's apply in a real terminal: tmux runs `esmtls setup`
//! with `ESMTLS_FAULT=pause-after-rename:2`, so apply holds after its second
//! rename (files half replaced); Ctrl-C must stop it, put every file back
//! byte for byte, leave no new file (backups aside), say what was restored on
//! the finish screen, and let the operator quit normally. And an apply killed
//! mid-write is undone when the wizard starts, which says so.
//!
//! Waiting is a bounded poll of `capture-pane`, never a fixed sleep; the tmux
//! server is killed by its guard on every exit path.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::tmux::Tmux;

struct Seeded {
    root: PathBuf,
    es: PathBuf,
    kb: PathBuf,
    home: PathBuf,
}

fn seed(root: &Path) -> Seeded {
    let (es, kb) = common::setups::autoconfigured_dirs(root);
    let home = root.join("home");
    std::fs::create_dir_all(&home).unwrap();
    Seeded {
        root: root.to_path_buf(),
        es,
        kb,
        home,
    }
}

/// Every file under the two config dirs (hidden temporary files too),
/// backups (`*.bak`) left out.
fn files(s: &Seeded) -> BTreeMap<PathBuf, Vec<u8>> {
    [&s.es, &s.kb]
        .into_iter()
        .flat_map(|top| common::walk(top))
        .filter(|p| !p.is_dir() && !p.to_string_lossy().ends_with(".bak"))
        .map(|p| {
            let content = std::fs::read(&p).unwrap();
            (p, content)
        })
        .collect()
}

fn wizard(s: &Seeded, name: &str, fault: &str) -> Tmux {
    let fault = format!("ESMTLS_FAULT='{fault}'");
    let script = common::tmux::wizard_script(&s.root, &s.home, &s.es, &s.kb, &fault);
    Tmux::start(name, 120, 40, &script)
}

#[test]
fn ctrl_c_mid_write_restores_every_file_and_reports_it() {
    if !common::have("tmux") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let s = seed(&tmp.path().join("root"));
    let before = files(&s);
    let t = wizard(&s, "esmtls-cancel", "pause-after-rename:2");
    t.wait_for("config:");
    t.send(&["Enter"]);
    t.wait_for("Which way should Kibana authenticate?");
    t.send(&["Enter"]);
    t.wait_for("HTTPS on Elasticsearch (prerequisite)");
    // Through the steps with their defaults (one Enter per screen seen; the
    // wizard passes over the steps the token mode skips), to the review.
    use esmtls::plan::{Mode, Step, applies};
    for st in Step::ALL
        .iter()
        .filter(|s| applies(Mode::Token, **s).is_active())
    {
        t.send(&["Enter"]);
        t.wait_for(&format!("{}. ", st.number()));
    }
    t.send(&["Enter"]);
    t.wait_for("Nothing has been written yet");
    t.send(&["Enter"]);
    // Paused after the second rename: preparing and two writes are done.
    let applying = t.wait_until("two renames", |sc| sc.matches('✓').count() >= 3);
    assert!(applying.contains("Ctrl-C stops"), "{applying}");
    assert_ne!(before, files(&s), "two files are replaced now");
    t.send(&["C-c"]);
    let fin = t.wait_for("Stopped (Ctrl-C):");
    assert!(
        fin.contains("Everything this run changed was put back as it was"),
        "{fin}"
    );
    assert_eq!(
        fin.matches("restored  ").count(),
        2,
        "the two files replaced are named: {fin}"
    );
    t.send(&["Enter"]);
    let end = t.wait_for("esmtls exited with");
    assert!(end.contains("esmtls exited with 0"), "{end}");

    let after = files(&s);
    common::assert_restored(&before, &after, &[&s.es, &s.kb]);
    let temps: Vec<_> = after
        .keys()
        .filter(|p| p.to_string_lossy().ends_with(".esmtls-tmp"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
}

#[test]
fn the_wizard_first_undoes_an_apply_killed_mid_write() {
    if !common::have("tmux") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let s = seed(&tmp.path().join("root"));
    let before = files(&s);
    // `esmtls apply` killed after its second rename leaves its journal.
    let answers = s.root.join("answers.yml");
    std::fs::write(&answers, "mode: token\n").unwrap();
    let mut c = common::esmtls(&s.root);
    c.env("HOME", &s.home)
        .env("ESMTLS_SECRET_STORE", "file")
        .env("ESMTLS_FAULT", "kill-after-rename:2")
        .args(["apply", "--yes", "--answers"])
        .arg(&answers)
        .arg("--es-config")
        .arg(&s.es)
        .arg("--kibana-config")
        .arg(&s.kb);
    let o = common::run(&mut c);
    assert!(!o.status.success(), "the process must die");
    assert_ne!(before, files(&s), "two files were replaced before the kill");

    let t = wizard(&s, "esmtls-recover", "");
    let start = t.wait_for("config:");
    assert!(
        start.contains("An earlier apply was interrupted; its files were restored"),
        "{start}"
    );
    t.send(&["q"]);
    t.wait_for("esmtls exited with 0");
    common::assert_restored(&before, &files(&s), &[&s.es, &s.kb]);
}
