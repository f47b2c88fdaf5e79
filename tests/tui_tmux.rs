//! The wizard in a real terminal: tmux runs `esmtls setup` against seeded
//! config directories (an auto-configured Elasticsearch, Kibana after its
//! enrollment setup; no cluster reachable), keys are sent with `send-keys`
//! to complete the `pki` scenario with defaults plus a few typed answers, and
//! the files on disk must equal what `esmtls apply --answers` writes for the
//! same answers on a second copy of the same seeds.
//!
//! Waiting is a bounded poll of `capture-pane` for the text of the next
//! screen, never a fixed sleep; the tmux server is killed by a guard on every
//! exit path.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use esmtls::keystore::{EsKeystore, KibanaKeystore};
use esmtls::plan::Answers;
use esmtls::secret::Secret;

use common::tmux::Tmux;

const ANSWERS: &str = "mode: pki\nlicense: platinum\nclient_certificate:\n  name: kibana-prod\n  dns: [kibana.example.com]\npki:\n  realm: pki1\n  role_mapping: kibana-prod-map\n";

struct Seeded {
    root: PathBuf,
    es: PathBuf,
    kb: PathBuf,
}

fn seed(root: &Path) -> Seeded {
    let (es, kb) = common::setups::autoconfigured_dirs(root);
    Seeded {
        root: root.to_path_buf(),
        es,
        kb,
    }
}

/// Every file under the two config dirs (backups excluded): relative path → (mode, content).
fn files(s: &Seeded) -> BTreeMap<String, (u32, Vec<u8>)> {
    [&s.es, &s.kb]
        .into_iter()
        .flat_map(|top| common::walk(top))
        .filter(|p| !p.is_dir() && !p.to_string_lossy().ends_with(".bak"))
        .map(|p| {
            let rel = p.strip_prefix(&s.root).unwrap().display().to_string();
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            (rel, (mode, std::fs::read(&p).unwrap()))
        })
        .collect()
}

fn keystore_names(path: &Path, content: &[u8]) -> Vec<String> {
    let mut v: Vec<String> = if path.ends_with("kibana.keystore") {
        let k = KibanaKeystore::load(path, Some(&Secret::empty())).unwrap();
        k.names().map(String::from).collect()
    } else {
        assert!(!content.is_empty());
        let k = EsKeystore::load(path, Some(&Secret::empty())).unwrap();
        k.names().into_iter().map(String::from).collect()
    };
    v.sort();
    v
}

#[test]
fn the_wizard_completes_pki_and_writes_what_apply_writes() {
    if !common::have("tmux") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // One seed, copied: the seeds' own random material (CAs) is then the same on both sides.
    let a = seed(&tmp.path().join("wizard"));
    let b_root = tmp.path().join("apply");
    let cp = Command::new("cp")
        .arg("-a")
        .arg(&a.root)
        .arg(&b_root)
        .status()
        .unwrap();
    assert!(cp.success(), "cp -a");
    let b = Seeded {
        es: b_root.join("es/config"),
        kb: b_root.join("kibana/config"),
        root: b_root,
    };
    let home = tmp.path().join("wizard-home");
    std::fs::create_dir_all(&home).unwrap();

    let script = common::tmux::wizard_script(&a.root, &home, &a.es, &a.kb, "");
    let tmux = Tmux::start("esmtls-tui", 120, 40, &script);

    tmux.wait_for("config:");
    tmux.send(&["Enter"]);
    tmux.wait_for("Which way should Kibana authenticate?");
    // Redrawn on resize: too small below 80x24, back to the guide above it.
    tmux.resize(70, 20);
    tmux.wait_for("Terminal too small");
    tmux.resize(120, 40);
    tmux.wait_for("Which way should Kibana authenticate?");
    tmux.send(&["Right", "Right", "Right", "Right", "Down", "Down", "Right"]);
    tmux.wait_for("▶pki");
    tmux.send(&["Enter"]);
    tmux.wait_for("HTTPS on Elasticsearch (prerequisite)");
    tmux.send(&["Enter"]);
    tmux.wait_for("1. Obtain a client certificate");
    // CA source, CA file, CA key, CA password store, then the subject.
    tmux.send(&["Down", "Down", "Down", "Down", "C-u"]);
    tmux.type_text("kibana-prod");
    tmux.send(&["Down"]);
    tmux.type_text("kibana.example.com");
    tmux.wait_for("kibana.example.com");
    tmux.send(&["Enter"]);
    tmux.wait_for("2. Obtain the CA certificate chain");
    tmux.send(&["Enter"]);
    tmux.wait_for("3. Configure Elasticsearch with a PKI realm");
    tmux.send(&["C-u"]);
    tmux.type_text("pki1");
    tmux.send(&["Enter"]);
    tmux.wait_for("4. Configure Elasticsearch to request");
    tmux.send(&["Enter"]);
    tmux.wait_for("5. Restart Elasticsearch");
    tmux.send(&["Enter"]);
    tmux.wait_for("6. Create a role mapping");
    tmux.send(&["C-u"]);
    tmux.type_text("kibana-prod-map");
    tmux.send(&["Enter"]);
    tmux.wait_for("7. Configure Kibana to use");
    tmux.send(&["Enter"]);
    tmux.wait_for("8. Configure Kibana not to use");
    tmux.send(&["Enter"]);
    tmux.wait_for("9. Restart Kibana");
    tmux.send(&["Enter"]);
    let review = tmux.wait_for("Nothing has been written yet");
    assert!(review.contains("Mode: pki"), "{review}");
    tmux.send(&["Enter"]);
    let fin = tmux.wait_for("Finished");
    assert!(fin.contains("created") || fin.contains("changed"), "{fin}");
    tmux.send(&["Enter"]);
    let end = tmux.wait_for("esmtls exited with");
    assert!(end.contains("esmtls exited with 0"), "{end}");

    // The saved answers are the answers typed.
    let saved = home.join(".local/state/esmtls/wizard-answers.yml");
    let got = Answers::parse(&saved, &std::fs::read_to_string(&saved).unwrap()).unwrap();
    let want = Answers::parse(Path::new("answers.yml"), ANSWERS).unwrap();
    assert_eq!(got, want);

    // The same answers through `esmtls apply` on the second copy.
    let answers = b.root.join("answers.yml");
    std::fs::write(&answers, ANSWERS).unwrap();
    let mut c = common::esmtls(&b.root);
    c.env("ESMTLS_SECRET_STORE", "file")
        .args(["apply", "--yes", "--answers"])
        .arg(&answers)
        .arg("--es-config")
        .arg(&b.es)
        .arg("--kibana-config")
        .arg(&b.kb);
    common::ok(common::run(&mut c));

    let (fa, fb) = (files(&a), files(&b));
    let names = |m: &BTreeMap<String, (u32, Vec<u8>)>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&fa), names(&fb));
    let norm = |bytes: &[u8], root: &Path| {
        String::from_utf8_lossy(bytes).replace(&root.display().to_string(), "<ROOT>")
    };
    for (rel, (mode, content)) in &fa {
        let (mode_b, content_b) = &fb[rel];
        assert_eq!(mode, mode_b, "mode of {rel}");
        let textual =
            rel.ends_with(".yml") || rel.ends_with(".json") || rel.contains("role_mapping");
        if textual {
            assert_eq!(norm(content, &a.root), norm(content_b, &b.root), "{rel}");
        } else if rel.ends_with(".keystore") {
            assert_eq!(
                keystore_names(&a.root.join(rel), content),
                keystore_names(&b.root.join(rel), content_b),
                "entries of {rel}"
            );
        }
    }
    assert!(
        fa.keys().any(|k| k.ends_with("kibana-client.p12")),
        "{:?}",
        names(&fa)
    );
    assert!(
        fa.keys().any(|k| k.ends_with("role_mapping.yml")),
        "{:?}",
        names(&fa)
    );
}

#[test]
fn a_panic_restores_the_terminal() {
    if !common::have("tmux") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let s = seed(&tmp.path().join("root"));
    let script =
        common::tmux::wizard_script(&s.root, &s.root, &s.es, &s.kb, "ESMTLS_FAULT=tui-panic");
    let tmux = Tmux::start("esmtls-tui-panic", 100, 30, &script);
    let screen = tmux.wait_for("esmtls exited with");
    assert!(screen.contains("injected panic"), "{screen}");
    assert!(screen.contains("esmtls exited with 70"), "{screen}");
    let o = tmux
        .cmd()
        .args([
            "display-message",
            "-p",
            "-t",
            "w",
            "#{alternate_on} #{cursor_flag}",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "0 1",
        "alternate screen left, cursor shown"
    );
    // Raw mode is off again: the shell's `cat` echoes a typed line.
    tmux.type_text("still-cooked");
    tmux.send(&["Enter"]);
    // Once as the terminal echoes it, once as `cat` prints it back.
    let screen = tmux.wait_until("the line echoed and printed back", |s| {
        s.matches("still-cooked").count() >= 2
    });
    assert!(screen.matches("still-cooked").count() >= 2, "{screen}");
}
