//! Cluster bundles end to end: a CA holder writes one bundle per host with
//! `esmtls plan --answers cluster.yml --bundle DIR`, and each bundle is
//! applied "on its host" (its own config tree and HOME) in the order the plan
//! gives, for the five modes on two realistic clusters (enrolled nodes
//! sharing one `http_ca`; fresh package installs without HTTPS). Afterwards
//! every host has exactly what its mode needs, everything else as it was,
//! the packages' modes and group; a second pass, and a second `plan
//! --bundle` into the same DIR, change nothing. Bad input is refused in one
//! line, exit 3, with nothing changed on disk.

mod cluster_bundles_support;
mod common;
/// Bad input: refused in one line, exit 3, nothing changed on disk.
#[path = "cluster_bundles/refusals.rs"]
mod refusals;

use std::fs;
use std::path::Path;
use std::process::Output;
use std::time::Instant;

use cluster_bundles_support::checks::{self, Before};
use cluster_bundles_support::expect;
use cluster_bundles_support::{Kind, MODES, Site, disk, site};
use common::{run, stderr, stdout};
use serde_json::Value;

/// Asserts success and parses stdout as JSON.
#[track_caller]
fn json(o: Output, case: &str) -> Value {
    assert!(
        o.status.success(),
        "{case}: failed ({}):\nstdout: {}\nstderr: {}",
        o.status,
        stdout(&o),
        stderr(&o)
    );
    serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{case}: {e}: {}", stdout(&o)))
}

/// Asserts a one-line refusal: exit 3, one `error:` line naming `says`, no `Caused by`.
#[track_caller]
fn refused(o: &Output, says: &str, case: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(3), "{case}: exit code\n{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{case}: one line on stderr:\n{err}");
    assert!(lines[0].starts_with("error: "), "{case}: {err}");
    assert!(!err.contains("Caused by"), "{case}: {err}");
    assert!(err.contains(says), "{case}: `{says}` not in:\n{err}");
}

/// Writes the bundles as the CA holder; returns the plan (`--json`).
fn make_bundles(site: &Site, answers: &Path, case: &str) -> Value {
    let mut c = site.ca_holder();
    c.args(["plan", "--json", "--answers"])
        .arg(answers)
        .arg("--bundle")
        .arg(&site.bundles);
    json(run(&mut c), case)
}

/// One mode on one cluster, from the seeds to the third pass.
fn cluster_case(kind: Kind, mode: &str) {
    let case = format!("{kind:?}/{mode}");
    let started = Instant::now();
    let site = site(kind);
    let before: Vec<Before> = site.hosts().map(checks::before).collect();
    let answers = site.answers(mode);
    let plan = make_bundles(&site, &answers, &case);
    checks::bundles(&site, &case);

    // Each bundle on its host, in the plan's order; the cluster-wide calls
    // need a cluster, which these tests do not have.
    let mut skipped = Vec::new();
    let mut phases: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for stage in plan["order"].as_array().unwrap() {
        let phase = stage["phase"].as_str().unwrap();
        for name in stage["hosts"].as_array().unwrap() {
            let name = name.as_str().unwrap();
            if name == "_cluster" {
                skipped.push(name);
                continue;
            }
            phases.entry(name).or_default().push(phase);
            let h = site.host(name);
            let yml = fs::read(h.yml()).unwrap();
            let r = json(
                site.apply(h, phase),
                &format!("{case} {name} --phase {phase}"),
            );
            assert!(r["files"].is_array(), "{case} {name}: {r}");
            if phase == "prepare" {
                assert_eq!(
                    fs::read(h.yml()).unwrap(),
                    yml,
                    "{case} {name}: prepare edits no yml"
                );
            }
        }
    }
    // A node that only had `prepare` owes no restart (nothing it got needs
    // one); a node whose settings changed does, until a restart is verified.
    for h in &site.nodes {
        let mut c = site.on(h);
        c.args(["plan", "--bundle"]).arg(site.bundles.join(&h.name));
        let text = stdout(&run(&mut c));
        let had = phases.get(h.name.as_str()).cloned().unwrap_or_default();
        assert_eq!(
            text.contains("Restart pending"),
            had.iter().any(|p| *p != "prepare"),
            "{case} {} ({had:?}): {text}",
            h.name
        );
    }
    let calls = mode.ends_with("password");
    assert_eq!(
        skipped,
        if calls { vec!["_cluster"] } else { vec![] },
        "{case}"
    );
    assert_eq!(site.bundles.join("_cluster").exists(), calls, "{case}");

    for (h, b) in site.nodes.iter().zip(&before) {
        let case = format!("{case} {}", h.name);
        expect::node(&site, h, mode, b, &case);
        checks::modes(h, b, &case);
    }
    for (i, (h, b)) in site
        .kibanas
        .iter()
        .zip(&before[site.nodes.len()..])
        .enumerate()
    {
        let case = format!("{case} {}", h.name);
        expect::kibana(&site, h, i, mode, b, &case);
        checks::modes(h, b, &case);
    }

    // Second pass: every bundle again changes nothing.
    let applied = disk(&site);
    for h in site.hosts() {
        let r = json(site.apply(h, "all"), &format!("{case} {} again", h.name));
        assert_eq!(r["changed"], Value::Bool(false), "{case} {}: {r}", h.name);
    }
    let o = run(site
        .on(&site.kibanas[0])
        .args(["apply", "--yes", "--bundle"])
        .arg(site.bundles.join("kb01")));
    assert_eq!(
        stdout(&o).trim(),
        "This bundle is already applied on kb01: nothing to change.",
        "{case}: {}",
        stderr(&o)
    );
    assert_eq!(
        disk(&site),
        applied,
        "{case}: the second pass changed files"
    );

    // The CA holder plans again into the same DIR: the bundles still change nothing.
    make_bundles(&site, &answers, &format!("{case} again"));
    checks::bundles(&site, &case);
    let hosts_only = |t: cluster_bundles_support::Tree| -> cluster_bundles_support::Tree {
        t.into_iter()
            .filter(|(p, _)| !p.starts_with(&site.bundles))
            .collect()
    };
    for h in site.hosts() {
        let r = json(site.apply(h, "all"), &format!("{case} {} third", h.name));
        assert_eq!(
            r["changed"],
            Value::Bool(false),
            "{case} {}: new bundles: {r}",
            h.name
        );
        let mut c = site.on(h);
        c.args(["plan", "--json", "--bundle"])
            .arg(site.bundles.join(&h.name));
        let p = json(run(&mut c), &case);
        assert_eq!(p["noop"], Value::Bool(true), "{case} {}: {p}", h.name);
    }
    assert_eq!(
        hosts_only(disk(&site)),
        hosts_only(applied),
        "{case}: the new bundles changed files"
    );
    eprintln!("{case}: ok in {:.1?}", started.elapsed());
}

#[test]
fn enrolled_cluster_every_mode() {
    for mode in MODES {
        cluster_case(Kind::Enrolled, mode);
    }
}

#[test]
fn fresh_cluster_every_mode() {
    for mode in MODES {
        cluster_case(Kind::Fresh, mode);
    }
}

/// The CA holder reads es01's tree to sign with its `http_ca`; a Kibana host
/// does not have that directory, and its bundle must not need it.
#[test]
fn kibana_bundle_does_not_need_the_ca_holders_es_config() {
    let site = site(Kind::Enrolled);
    make_bundles(&site, &site.answers("token"), "enrolled token");
    let es01 = &site.nodes[0].config;
    let away = es01.with_extension("elsewhere");
    fs::rename(es01, &away).unwrap();
    let kb01 = &site.kibanas[0];
    let r = json(site.apply(kb01, "all"), "kb01 without es01's tree");
    assert_eq!(r["changed"], Value::Bool(true), "{r}");
    fs::rename(&away, es01).unwrap();
}

/// A node's apply killed between two renames: `plan --bundle` says the host
/// still has work (`noop: false`, `interrupted`), whatever its files look
/// like, so a rerun of the fleet does not pass it over; the next apply
/// restores what the killed one wrote, then applies.
#[test]
fn an_interrupted_apply_leaves_the_host_with_work() {
    let site = site(Kind::Fresh);
    make_bundles(&site, &site.answers("token"), "fresh token");
    let es01 = &site.nodes[0];
    let plan = || {
        let mut c = site.on(es01);
        c.args(["plan", "--json", "--bundle"])
            .arg(site.bundles.join("es01"));
        json(run(&mut c), "es01 plan --bundle")
    };
    let mut c = site.on(es01);
    c.env("ESMTLS_FAULT", "kill-after-rename:1")
        .args(["apply", "--yes", "--json", "--bundle"])
        .arg(site.bundles.join("es01"));
    let o = run(&mut c);
    assert!(!o.status.success(), "the fault did not stop apply");
    let p = plan();
    assert_eq!(p["noop"], Value::Bool(false), "{p}");
    let why = p["interrupted"].as_str().unwrap_or_default();
    assert!(why.contains("an earlier apply was interrupted"), "{p}");
    let r = json(site.apply(es01, "all"), "es01 apply after the kill");
    assert_eq!(r["changed"], Value::Bool(true), "{r}");
    assert!(
        r["recovered"].as_array().is_some_and(|a| !a.is_empty()),
        "{r}"
    );
    let p = plan();
    assert_eq!(p["noop"], Value::Bool(true), "{p}");
    assert!(p.get("interrupted").is_none(), "{p}");
}

/// The checker itself: a setting given twice fails, nested or dotted.
#[test]
fn flat_refuses_a_setting_given_twice() {
    let dir = tempfile::tempdir().unwrap();
    for text in [
        "a.b: 1\na.b: 2\n",
        "a:\n  b: 1\na.b: 2\n",
        "x.y:\n  z: 1\nx:\n  y.z: 2\n",
    ] {
        let p = dir.path().join("t.yml");
        fs::write(&p, text).unwrap();
        let r = std::panic::catch_unwind(|| checks::flat(&p));
        assert!(r.is_err(), "{text:?} must fail");
    }
}
