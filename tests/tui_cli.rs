//! The wizard's command line without a terminal: `esmtls` and `esmtls setup`
//! refuse to start, exit 3 (a setup error) and name the headless commands;
//! `setup` takes the config directories and the output folder.

mod common;

use common::{esmtls, run, stderr, stdout};

#[test]
fn without_a_terminal_the_wizard_names_the_headless_commands() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        &[][..],
        &["setup"][..],
        &["setup", "--es-config", "x", "--kibana-config", "y"][..],
    ] {
        let o = run(esmtls(tmp.path()).args(args));
        assert_eq!(o.status.code(), Some(3), "{args:?}");
        let e = stderr(&o);
        assert!(
            e.contains("esmtls plan --answers FILE") && e.contains("esmtls apply --answers FILE"),
            "{e}"
        );
        assert!(stdout(&o).is_empty());
    }
}

#[test]
fn setup_help_lists_its_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let out = common::ok(run(esmtls(tmp.path()).args(["setup", "--help"])));
    for flag in ["--es-config", "--kibana-config", "--out"] {
        assert!(out.contains(flag), "{out}");
    }
}
