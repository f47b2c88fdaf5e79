//! Exit codes that cannot be mistaken: `status` and `doctor` report results
//! with 0/1/2; an error of input or setup exits 3, a usage error clap refuses
//! exits 64 (with clap's message on stderr), `--help` exits 0 on stdout and
//! lists the codes. A cron job reading 1 or 2 sees a result, never an error.

mod common;
mod lifecycle_support;

use common::{esmtls, run, stderr, stdout};
use lifecycle_support::*;

/// Asserts a usage error: exit 64, nothing on stdout, `needle` in clap's message.
#[track_caller]
fn usage(args: &[&str], needle: &str) {
    let d = tempfile::tempdir().unwrap();
    let o = run(esmtls(d.path()).args(args));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(64), "{args:?}: {err}");
    assert!(stdout(&o).is_empty(), "{args:?}: {}", stdout(&o));
    assert!(err.starts_with("error: "), "{args:?}: {err}");
    assert!(
        err.contains(needle),
        "{args:?}: {needle:?} missing in {err}"
    );
}

#[test]
fn unknown_options_and_subcommands_are_usage_errors() {
    usage(&["status", "--bogus"], "unexpected argument '--bogus'");
    usage(&["--bogus"], "unexpected argument '--bogus'");
    usage(&["frobnicate"], "unrecognized subcommand 'frobnicate'");
    usage(&["plan"], "--answers <FILE>");
    // A subcommand group without its subcommand: clap's help, on stderr.
    let d = tempfile::tempdir().unwrap();
    let o = run(esmtls(d.path()).arg("cert"));
    assert_eq!(o.status.code(), Some(64), "{}", stderr(&o));
    assert!(stdout(&o).is_empty() && stderr(&o).contains("Usage:"));
}

#[test]
fn invalid_values_are_usage_errors() {
    usage(&["status", "--warn-days", "ten"], "whole number of days");
    usage(&["guide", "--license", "bogus"], "invalid value 'bogus'");
    usage(&["completions", "tcsh"], "invalid value 'tcsh'");
}

#[test]
fn negative_day_counts_are_usage_errors_not_results() {
    // Exit 2 here once read as "expired" by a cron job.
    usage(&["status", "--warn-days", "-5"], "cannot be negative");
    usage(&["status", "--warn-days=-5"], "cannot be negative");
    usage(&["renew", "--within", "-1"], "cannot be negative");
    usage(&["renew", "--days", "-1"], "at least one day");
    usage(
        &["cert", "ca", "--out", "ca.p12", "--days", "-5"],
        "at least one day",
    );
    usage(
        &["cert", "ca", "--out", "ca.p12", "--days", "40000"],
        "36500",
    );
}

#[test]
fn help_and_version_exit_0_on_stdout_and_help_lists_the_codes() {
    let d = tempfile::tempdir().unwrap();
    for args in [&["--help"][..], &["-h"][..], &["help"][..]] {
        let o = run(esmtls(d.path()).args(args));
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let out = stdout(&o);
        assert!(out.contains("Exit codes:"), "{args:?}: {out}");
        for line in [
            "  0    success",
            "  1    status:",
            "  2    status:",
            "  3    error:",
            "  4    another esmtls",
            "  64   usage error",
            "  70   unexpected",
            "  130  stopped by the operator",
        ] {
            assert!(out.contains(line), "{line:?} missing in {out}");
        }
    }
    for (cmd, line) in [
        ("status", "  1    something expires within --warn-days"),
        ("doctor", "  1    warnings only"),
    ] {
        let out = common::ok(run(esmtls(d.path()).args([cmd, "--help"])));
        assert!(out.contains("Exit codes:") && out.contains(line), "{out}");
        assert!(out.contains("  3    error:"), "{out}");
    }
    let o = run(esmtls(d.path()).arg("--version"));
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("esmtls "), "{}", stdout(&o));
}

#[test]
fn a_bad_answers_file_is_an_error_of_input() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("answers.yml");
    std::fs::write(&a, "mode: token\nbogus: 1\n").unwrap();
    let o = run(esmtls(d.path()).args(["plan", "--answers", a.to_str().unwrap()]));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).starts_with("error: "), "{}", stderr(&o));
    assert!(stderr(&o).contains("bogus"), "{}", stderr(&o));
    let o = run(esmtls(d.path()).args(["plan", "--answers", "missing.yml"]));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
}

#[test]
fn status_and_doctor_results_stay_0_1_2_and_their_errors_exit_3() {
    let env = healthy("");
    let status = |extra: &[&str]| {
        let mut args = vec!["status"];
        args.extend(extra);
        code(&run(&mut cmd(&env, &args)))
    };
    let doctor = || code(&run(&mut cmd(&env, &["doctor", "--offline"])));
    assert_eq!(status(&[]), 0);
    assert_eq!(doctor(), 0);
    // Every certificate expires within 100 years.
    assert_eq!(status(&["--warn-days", "36500"]), 1);
    // A warning only.
    append(
        &env.kb.join("kibana.yml"),
        "elasticsearch.ssl.verificationMode: certificate\n",
    );
    assert_eq!(doctor(), 1);
    let ca = ca("CN=Old CA");
    expired_kibana_server(&env, &ca, "kibana-server", 3);
    assert_eq!(status(&[]), 2);
    assert_eq!(doctor(), 2);

    // A config directory that cannot be read is an error, not "expired".
    let missing = env.root.join("missing");
    for sub in ["status", "doctor"] {
        let o = run(common::esmtls(&env.root)
            .args([sub, "--es-config"])
            .arg(&missing)
            .arg("--kibana-config")
            .arg(&missing));
        assert_eq!(o.status.code(), Some(3), "{sub}: {}", stderr(&o));
        assert!(stderr(&o).starts_with("error: "), "{}", stderr(&o));
    }
}

#[test]
fn an_error_of_input_is_one_line_naming_the_key_and_writes_nothing() {
    let env = seed();
    let before = |env: &Env| {
        let mut files: Vec<(std::path::PathBuf, Vec<u8>)> = Vec::new();
        for dir in [&env.es, &env.kb] {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_file() {
                    files.push((p.clone(), std::fs::read(&p).unwrap()));
                }
            }
        }
        files.sort();
        files
    };
    let was = before(&env);
    let a = env.root.join("answers.yml");
    std::fs::write(
        &a,
        "mode: token\nkibana:\n  hosts: [\"https://es_1..example:9200\"]\nserver_certificate:\n  generate: yes\n",
    )
    .unwrap();
    for sub in ["plan", "apply"] {
        let mut args = vec![sub, "--answers", a.to_str().unwrap()];
        if sub == "apply" {
            args.push("--yes");
        }
        let o = run(&mut cmd(&env, &args));
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(3), "{sub}: {err}");
        assert_eq!(err.lines().count(), 1, "{sub}: one line: {err}");
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains("`kibana.hosts`"), "{err}");
        assert!(
            err.contains("'es_1..example' is not a valid DNS name"),
            "{err}"
        );
        assert!(
            !err.contains("Caused by") && !err.contains("--dns"),
            "{err}"
        );
    }
    assert_eq!(before(&env), was, "nothing was written");
}
