//! `esmtls guide` end to end: the recommendation, the five-mode table, the
//! warnings and the nine steps, as text and as JSON, for the cases the forum
//! thread is about.

mod common;

use common::*;
use serde_json::Value;

const SKIPPED: &str =
    "Realms [pki/realm1] were skipped because they are not permitted on the current license";

/// Runs `esmtls guide ARGS` (text) and `esmtls guide ARGS --json`; returns (text, stderr, json).
fn guide(args: &[&str]) -> (String, String, Value) {
    let d = tempfile::tempdir().unwrap();
    let o = run(esmtls(d.path()).arg("guide").args(args));
    let err = stderr(&o);
    let text = ok(o);
    let j = ok(run(esmtls(d.path()).arg("guide").args(args).arg("--json")));
    let v: Value = serde_json::from_str(&j).unwrap_or_else(|e| panic!("{e}: {j}"));
    assert!(
        listing(d.path()).is_empty(),
        "guide wrote files: {:?}",
        listing(d.path())
    );
    (text, err, v)
}

/// The text with line breaks and indentation folded to single spaces (the report wraps).
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The row of `mode` in the JSON table.
fn row<'a>(v: &'a Value, mode: &str) -> &'a Value {
    v["modes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["mode"] == mode)
        .unwrap_or_else(|| panic!("no row {mode} in {v}"))
}

fn joined(v: &Value, key: &str) -> String {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text table line of `mode`.
fn table_line<'a>(text: &'a str, mode: &str) -> &'a str {
    text.lines()
        .find(|l| l.len() > 2 && l[2..].starts_with(&format!("{mode} ")))
        .unwrap_or_else(|| panic!("no table line for {mode} in:\n{text}"))
}

/// What every report has: five modes, one recommended, nine steps.
#[track_caller]
fn common_shape(text: &str, v: &Value, mode: &str) {
    assert!(
        text.contains(&format!("Recommended mode: {mode} — ")),
        "{text}"
    );
    assert!(text.contains("Kibana authenticates with"), "{text}");
    assert!(text.contains("available here"), "{text}");
    assert!(table_line(text, mode).starts_with("* "), "{text}");
    assert!(
        text.contains(&format!("The nine steps of Elastic's guide for {mode}:")),
        "{text}"
    );
    for n in 1..=9 {
        assert!(
            text.contains(&format!("  {n}. [")),
            "step {n} missing:\n{text}"
        );
    }

    assert_eq!(v["recommended"], mode);
    let modes: Vec<&str> = v["modes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["mode"].as_str().unwrap())
        .collect();
    assert_eq!(
        modes,
        ["token", "password", "mtls-token", "mtls-password", "pki"]
    );
    let rec: Vec<&Value> = v["modes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["recommended"] == true)
        .collect();
    assert_eq!(rec.len(), 1);
    assert_eq!(rec[0]["mode"], mode);
    for r in v["modes"].as_array().unwrap() {
        for key in [
            "authenticates_with",
            "client_cert",
            "client_authentication",
            "license_needed",
            "available",
        ] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
    }
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 9);
    for (i, s) in steps.iter().enumerate() {
        assert_eq!(s["number"], i + 1);
        assert!(s["title"].is_string() && s["text"].is_string());
        assert!(["applies", "adapted", "skipped"].contains(&s["status"].as_str().unwrap()));
    }
}

#[test]
fn default_is_token_and_license_unknown() {
    let (text, err, v) = guide(&[]);
    common_shape(&text, &v, "token");
    assert!(text.contains("License: unknown"), "{text}");
    assert!(
        err.contains("GET /_license") && err.contains("esmtls plan"),
        "{err}"
    );
    assert!(err.contains("--license"), "{err}");
    assert!(
        !text.contains("esmtls plan"),
        "notes belong on stderr:\n{text}"
    );
    for needle in [
        "enrollment",
        "log in interactively",
        "revoked",
        "kibana_system user and password",
    ] {
        assert!(flat(&text).contains(needle), "{needle:?} missing:\n{text}");
    }
    assert!(!text.contains("Warnings:"), "{text}");
    assert!(text.contains("1. [skipped]"), "{text}");

    assert_eq!(v["license"]["type"], Value::Null);
    assert_eq!(v["license"]["source"], "unknown");
    assert!(
        v["license"]["note"]
            .as_str()
            .unwrap()
            .contains("GET /_license")
    );
    assert_eq!(row(&v, "pki")["available"]["status"], "unknown");
    assert!(
        row(&v, "pki")["available"]["reason"]
            .as_str()
            .unwrap()
            .contains("GET /_license")
    );
    assert_eq!(row(&v, "password")["available"]["status"], "yes");
    assert_eq!(v["warnings"], serde_json::json!([]));
    assert_eq!(v["steps"][0]["status"], "skipped");
    assert_eq!(v["steps"][5]["status"], "adapted");
}

#[test]
fn require_mtls_on_basic_is_mtls_token() {
    let (text, err, v) = guide(&["--require-mtls", "--license", "basic"]);
    common_shape(&text, &v, "mtls-token");
    assert!(text.contains("License: basic"), "{text}");
    assert!(err.is_empty(), "{err}");
    let reasons = joined(&v, "reasons");
    for needle in [
        "network level control does not require a PKI realm",
        "works with the Basic license",
        "still authenticates with the service token",
        "mandates",
    ] {
        assert!(reasons.contains(needle), "{needle:?} missing:\n{reasons}");
        assert!(flat(&text).contains(needle), "{needle:?} missing:\n{text}");
    }
    let warnings = joined(&v, "warnings");
    for needle in [
        "every HTTP client",
        "Beats",
        "Logstash",
        "Fleet Server (8.13",
        "curl",
    ] {
        assert!(warnings.contains(needle), "{needle:?} missing:\n{warnings}");
    }
    assert!(
        text.contains("Warnings:") && flat(&text).contains("Fleet Server (8.13 or later needed)"),
        "{text}"
    );
    assert_eq!(v["license"]["type"], "basic");
    assert_eq!(v["license"]["source"], "answered");
    assert_eq!(row(&v, "mtls-token")["client_authentication"], "required");
    assert_eq!(row(&v, "pki")["available"]["status"], "no");
    assert!(table_line(&text, "mtls-token").contains("yes, required"));
    assert_eq!(v["steps"][2]["status"], "skipped");
    assert_eq!(v["steps"][3]["status"], "adapted");
    assert!(v["steps"][3]["text"].as_str().unwrap().contains("required"));
}

#[test]
fn cert_identity_on_basic_recommends_mtls_token() {
    let (text, _, v) = guide(&["--cert-identity", "--license", "basic"]);
    common_shape(&text, &v, "mtls-token");
    let pki = table_line(&text, "pki");
    assert!(
        pki.starts_with("  ") && pki.trim_end().ends_with("no"),
        "{pki}"
    );
    assert!(
        text.contains("pki (no): the PKI realm is not permitted on the basic license"),
        "{text}"
    );
    let reasons = joined(&v, "reasons");
    assert!(reasons.contains("needs the PKI realm"), "{reasons}");
    assert!(reasons.contains("paid feature"), "{reasons}");
    assert!(reasons.contains("recommends mtls-token"), "{reasons}");
    assert!(
        reasons.contains("POST /_license/start_trial?acknowledge=true"),
        "{reasons}"
    );
    assert!(!joined(&v, "warnings").contains(SKIPPED));
    assert_eq!(row(&v, "pki")["available"]["status"], "no");
    assert_eq!(row(&v, "pki")["recommended"], false);
}

#[test]
fn cert_identity_on_basic_overridden_warns_of_the_silent_skip() {
    let (text, _, v) = guide(&[
        "--cert-identity",
        "--license",
        "basic",
        "--allow-unlicensed-pki",
    ]);
    common_shape(&text, &v, "pki");
    let warnings = joined(&v, "warnings");
    for needle in [
        SKIPPED,
        "silently skip",
        "start normally",
        "401",
        "missing authentication credentials",
        "start_trial?acknowledge=true",
    ] {
        assert!(warnings.contains(needle), "{needle:?} missing:\n{warnings}");
    }
    // The text wraps; compare without line breaks.
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(SKIPPED), "{text}");
    assert!(
        flat.contains("missing authentication credentials"),
        "{text}"
    );
    // Still true: the realm is not permitted here.
    assert_eq!(row(&v, "pki")["available"]["status"], "no");
    assert_eq!(row(&v, "pki")["recommended"], true);
    assert_eq!(v["questions"]["allow_unlicensed_pki"], true);
    assert_eq!(v["steps"][2]["status"], "applies");
}

#[test]
fn cert_identity_on_platinum_is_pki() {
    let (text, _, v) = guide(&["--cert-identity", "--license", "platinum"]);
    common_shape(&text, &v, "pki");
    let reasons = joined(&v, "reasons");
    assert!(
        reasons.contains("platinum license permits the PKI realm"),
        "{reasons}"
    );
    assert!(
        reasons.contains("alwaysPresentCertificate stays false"),
        "{reasons}"
    );
    assert!(reasons.contains("optional"), "{reasons}");
    assert!(!joined(&v, "warnings").contains(SKIPPED));
    assert!(!text.contains("Warnings:"), "{text}");
    assert_eq!(
        row(&v, "pki")["available"],
        serde_json::json!({"status": "yes"})
    );
    assert_eq!(row(&v, "pki")["client_authentication"], "optional");
    assert!(table_line(&text, "pki").trim_end().ends_with("yes"));
    // Every step of the guide applies as written for pki.
    for s in v["steps"].as_array().unwrap() {
        assert_eq!(s["status"], "applies", "{s}");
    }
    assert!(text.contains("3. [applies]") && text.contains("6. [applies]"));
}

#[test]
fn bogus_license_is_a_usage_error() {
    let d = tempfile::tempdir().unwrap();
    let o = run(esmtls(d.path()).args(["guide", "--license", "bogus"]));
    assert_eq!(o.status.code(), Some(64));
    assert!(stdout(&o).is_empty());
    let err = stderr(&o);
    assert!(err.contains("invalid value 'bogus'"), "{err}");
    for l in ["basic", "trial", "gold", "platinum", "enterprise"] {
        assert!(err.contains(l), "{l} missing in {err}");
    }
}

/// `esmtls guide` recommends a mode; `esmtls answers example MODE` gives its
/// commented answers file, built into the binary (an operator has no
/// `assets/`; that each parses is a unit test); an unknown name is a usage error.
#[test]
fn answers_example_prints_each_built_in_file() {
    let d = tempfile::tempdir().unwrap();
    for mode in [
        "token",
        "password",
        "mtls-token",
        "mtls-password",
        "pki",
        "cluster",
    ] {
        let text = ok(run(esmtls(d.path()).args(["answers", "example", mode])));
        let want = std::fs::read_to_string(format!(
            "{}/assets/answers/{mode}.yml",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        assert_eq!(text, want, "{mode}");
    }
    let o = run(esmtls(d.path()).args(["answers", "example", "mtls"]));
    assert_eq!(o.status.code(), Some(64), "{}", stderr(&o));
    assert!(stderr(&o).contains("mtls-token"), "{}", stderr(&o));
    assert!(listing(d.path()).is_empty(), "{:?}", listing(d.path()));
}
