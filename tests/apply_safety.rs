//! What `esmtls apply` guarantees around its writes, through the command
//! line: symlinked files are edited through the link (and restored through
//! it), links that lead nowhere esmtls may write are refused, a backup that
//! holds a secret moved out of its file is 0600 and named, a failed run
//! leaves no new CA password behind, and temporary files a killed run left
//! are removed by the next writer.

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use common::{apply_here, esmtls, ok_all as ok, run, snapshot, stderr};
use esmtls::keystore::EsKeystore;

const ES_YML: &str = "# my cluster\n#cluster.name: my-application\n";
const KB_YML: &str =
    "# my kibana\nelasticsearch.username: \"kibana_system\"\nelasticsearch.password: \"pass\"\n";

type Env = common::setups::PackageSite;

fn seed() -> Env {
    common::setups::package_site(ES_YML, KB_YML)
}

fn apply(env: &Env, mode: &str, fault: Option<&str>) -> std::process::Output {
    let a = env.root.join("answers.yml");
    fs::write(&a, format!("mode: {mode}\nlicense: platinum\n")).unwrap();
    let mut c = apply_here(&env.root, &a, &env.es, &env.kb);
    if let Some(f) = fault {
        c.env("ESMTLS_FAULT", f);
    }
    run(&mut c)
}

/// Moves `file` to `managed/` under the root and leaves a relative symlink
/// in its place, as config management does. Returns the target.
fn link_out(env: &Env, file: &Path) -> PathBuf {
    let managed = env.root.join("managed");
    fs::create_dir_all(&managed).unwrap();
    let target = managed.join(file.file_name().unwrap());
    fs::rename(file, &target).unwrap();
    let rel = Path::new("../..")
        .join("managed")
        .join(file.file_name().unwrap());
    symlink(&rel, file).unwrap();
    assert_eq!(
        fs::canonicalize(file).unwrap(),
        fs::canonicalize(&target).unwrap()
    );
    target
}

fn is_link(p: &Path) -> bool {
    fs::symlink_metadata(p).unwrap().file_type().is_symlink()
}

#[test]
fn a_symlinked_kibana_yml_and_keystore_are_edited_through_the_link() {
    let env = seed();
    let kb_yml = env.kb.join("kibana.yml");
    let es_ks = env.es.join("elasticsearch.keystore");
    let yml_target = link_out(&env, &kb_yml);
    let ks_target = link_out(&env, &es_ks);
    let out = ok(apply(&env, "password", None));
    assert!(
        is_link(&kb_yml) && is_link(&es_ks),
        "the links stay links: {out}"
    );
    let text = fs::read_to_string(&yml_target).unwrap();
    assert!(text.contains("elasticsearch.hosts"), "{text}");
    assert!(text.starts_with("# my kibana\n"), "{text}");
    let ks = EsKeystore::load(&ks_target, None).unwrap();
    assert!(
        ks.names()
            .contains(&"xpack.security.http.ssl.keystore.secure_password"),
        "the keystore the link points at got the entry"
    );
    // A second run reads through the links and changes nothing.
    let before = snapshot(&env.root);
    let again = ok(apply(&env, "password", None));
    assert!(again.contains("Nothing to change"), "{again}");
    assert_eq!(before, snapshot(&env.root));
}

#[test]
fn a_failure_restores_the_files_behind_the_links() {
    for n in 1..=6 {
        let env = seed();
        let kb_yml = env.kb.join("kibana.yml");
        let es_ks = env.es.join("elasticsearch.keystore");
        link_out(&env, &kb_yml);
        link_out(&env, &es_ks);
        let before = snapshot(&env.root);
        let o = apply(&env, "password", Some(&format!("fail-after-rename:{n}")));
        assert!(!o.status.success(), "fail-after-rename:{n}");
        assert!(is_link(&kb_yml) && is_link(&es_ks), "fail-after-rename:{n}");
        common::assert_restored(&before, &snapshot(&env.root), &[&env.root]);
        let backups: Vec<PathBuf> = common::walk(&env.root)
            .into_iter()
            .filter(|p| p.to_string_lossy().ends_with(".bak"))
            .collect();
        assert!(backups.is_empty(), "fail-after-rename:{n} left {backups:?}");
    }
}

#[test]
fn a_kill_is_recovered_through_the_links() {
    let env = seed();
    let kb_yml = env.kb.join("kibana.yml");
    let yml_target = link_out(&env, &kb_yml);
    let original = fs::read(&yml_target).unwrap();
    let o = apply(&env, "token", Some("kill-after-rename:5"));
    assert!(!o.status.success());
    // Recovery, then a failure before anything is written: the original tree.
    let o = apply(&env, "token", Some("fail-before-commit"));
    let err = stderr(&o);
    assert!(err.contains("restored from an interrupted apply"), "{err}");
    assert!(is_link(&kb_yml), "{err}");
    assert_eq!(fs::read(&yml_target).unwrap(), original, "{err}");
    ok(apply(&env, "token", None));
    assert!(is_link(&kb_yml));
}

#[test]
fn links_that_lead_nowhere_esmtls_may_write_are_refused() {
    for (name, make) in [
        (
            "loop",
            (|kb: &Path| {
                symlink("kibana.yml.b", kb.join("kibana.yml")).unwrap();
                symlink("kibana.yml", kb.join("kibana.yml.b")).unwrap();
            }) as fn(&Path),
        ),
        ("device", |kb: &Path| {
            symlink("/dev/null", kb.join("kibana.yml")).unwrap()
        }),
    ] {
        let env = seed();
        fs::remove_file(env.kb.join("kibana.yml")).unwrap();
        make(&env.kb);
        let tree = |env: &Env| (snapshot(&env.es), common::listing(&env.kb));
        let before = tree(&env);
        let o = apply(&env, "token", None);
        let err = stderr(&o);
        assert!(!o.status.success(), "{name}: {err}");
        assert!(err.starts_with("error: "), "{name}: {err}");
        assert!(err.contains("kibana.yml"), "{name}: {err}");
        assert!(
            err.contains("symbolic links") || err.contains("symlink"),
            "{name}: {err}"
        );
        assert_eq!(before, tree(&env), "{name}: nothing may change");
    }
}

#[test]
fn the_backup_of_a_kibana_yml_that_held_a_password_is_private_and_named() {
    let env = seed();
    let kb_yml = env.kb.join("kibana.yml");
    fs::set_permissions(&kb_yml, fs::Permissions::from_mode(0o644)).unwrap();
    let out = ok(apply(&env, "token", None));
    let backups: Vec<PathBuf> = fs::read_dir(&env.kb)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("kibana.yml.esmtls-"))
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert!(
        fs::read_to_string(&backups[0])
            .unwrap()
            .contains("\"pass\"")
    );
    assert_eq!(common::mode(&backups[0]), 0o600);
    assert_eq!(common::mode(&kb_yml), 0o644, "the file keeps its own mode");
    let name = backups[0].display().to_string();
    assert!(
        out.contains(&name) && out.contains("holds the secret") && out.contains("delete it once"),
        "{out}"
    );
}

/// The file secret store of the setup, when it exists.
fn secret_store_text(env: &Env) -> String {
    let dir = env.root.join(".local/share/esmtls/secrets");
    fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .map(|e| fs::read_to_string(e.path()).unwrap())
                .collect::<String>()
        })
        .unwrap_or_default()
}

#[test]
fn a_failed_or_killed_apply_leaves_no_new_ca_password() {
    let env = seed();
    let o = apply(&env, "mtls-token", Some("fail-after-rename:2"));
    assert!(!o.status.success());
    assert!(
        !secret_store_text(&env).contains("esmtls-ca.p12 password"),
        "a failed apply left its CA password"
    );
    let o = apply(&env, "mtls-token", Some("kill-after-rename:2"));
    assert!(!o.status.success());
    assert!(secret_store_text(&env).contains("esmtls-ca.p12 password"));
    let o = apply(&env, "mtls-token", Some("fail-before-commit"));
    assert!(
        stderr(&o).contains("restored from an interrupted apply"),
        "{}",
        stderr(&o)
    );
    assert!(
        !secret_store_text(&env).contains("esmtls-ca.p12 password"),
        "recovery left the killed run's CA password"
    );
    ok(apply(&env, "mtls-token", None));
    assert!(secret_store_text(&env).contains("esmtls-ca.p12 password"));
}

#[test]
fn a_temporary_file_a_killed_run_left_is_removed_by_the_next_writer() {
    let env = seed();
    fs::create_dir_all(env.kb.join("certs")).unwrap();
    let stale = [
        env.kb.join(".kibana.yml.x1Y2z3.esmtls-tmp"),
        env.kb.join("certs/.kibana-client.key.AbCdEf.esmtls-tmp"),
    ];
    for s in &stale {
        fs::write(s, "-----BEGIN PRIVATE KEY-----\n").unwrap();
    }
    let out = ok(apply(&env, "token", None));
    for s in &stale {
        assert!(!s.exists(), "{} survived: {out}", s.display());
    }
    assert!(
        out.contains("removed a temporary file a killed esmtls left"),
        "{out}"
    );
}

/// Every path under `dir` with its content (None for a directory) and mode:
/// hidden files and backups too.
fn everything(dir: &Path) -> Vec<(PathBuf, Option<Vec<u8>>, u32)> {
    common::walk(dir)
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains("/locks"))
        .map(|p| {
            let content = p.is_file().then(|| fs::read(&p).unwrap());
            let mode = common::mode(&p);
            (p, content, mode)
        })
        .collect()
}

#[test]
fn readers_report_an_interrupted_apply_and_change_nothing() {
    let env = seed();
    assert!(
        !apply(&env, "token", Some("kill-after-rename:3"))
            .status
            .success()
    );
    let before = everything(&env.root);
    let dirs = |c: &mut std::process::Command| {
        c.arg("--es-config")
            .arg(&env.es)
            .arg("--kibana-config")
            .arg(&env.kb);
    };
    let mut status = esmtls(&env.root);
    status.arg("status");
    dirs(&mut status);
    let o = run(&mut status);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("an earlier apply was interrupted"),
        "{}",
        stderr(&o)
    );
    let mut doctor = esmtls(&env.root);
    doctor.args(["doctor", "--offline"]);
    dirs(&mut doctor);
    let o = run(&mut doctor);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let out = common::stdout(&o);
    assert!(out.starts_with("error[interrupted-apply]"), "{out}");
    assert!(out.contains("esmtls apply"), "{out}");
    let o = run(esmtls(&env.root)
        .args(["keystore", "elasticsearch", "--config"])
        .arg(&env.es)
        .arg("list"));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: an earlier apply was interrupted"),
        "{}",
        stderr(&o)
    );
    let a = env.root.join("answers.yml");
    let mut plan = esmtls(&env.root);
    plan.env("ESMTLS_SECRET_STORE", "file")
        .args(["plan", "--answers", a.to_str().unwrap()]);
    dirs(&mut plan);
    let o = run(&mut plan);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("an earlier apply was interrupted"),
        "{}",
        stderr(&o)
    );
    assert_eq!(before, everything(&env.root), "a reader changed something");
    ok(apply(&env, "token", None));
}

#[test]
fn a_damaged_journal_is_named_and_nothing_is_written() {
    let env = seed();
    let state = env.root.join(".local/share/esmtls");
    fs::create_dir_all(&state).unwrap();
    let journal = state.join("apply-0000000000000000.journal.json");
    fs::write(&journal, "{ not json").unwrap();
    // The answers file `apply` below writes, already there.
    fs::write(
        env.root.join("answers.yml"),
        "mode: token\nlicense: platinum\n",
    )
    .unwrap();
    let before = everything(&env.root);
    let o = apply(&env, "token", None);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: the journal ")
            && err.contains("is damaged")
            && err.contains("delete it"),
        "{err}"
    );
    assert_eq!(before, everything(&env.root), "nothing may be written");
    assert!(
        journal.exists(),
        "the damaged journal is kept for the operator"
    );
}
