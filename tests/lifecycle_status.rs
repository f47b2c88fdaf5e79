//! `esmtls status`: the inventory of a setup made by `esmtls apply`, and the
//! exit codes cron relies on — 0 fine, 1 expiring within --warn-days (a
//! certificate made with days: 1), 2 expired (backdated with rcgen) or broken
//! (a PKCS#12 whose password is not configured).

mod common;
mod lifecycle_support;

use common::{run, stdout};
use lifecycle_support::*;

#[test]
fn healthy_setup_is_exit_0_and_lists_every_certificate() {
    let env = healthy("");
    let (rc, v) = json(&env, &["status", "--json"]);
    assert_eq!(rc, 0, "{v}");
    assert_eq!(v["health"], "ok");
    let certs = v["certificates"].as_array().unwrap();
    let roles: Vec<&str> = certs.iter().map(|c| c["role"].as_str().unwrap()).collect();
    for want in ["es-http", "kibana-client", "kibana-es-trust"] {
        assert!(roles.contains(&want), "{want} missing: {roles:?}");
    }
    let client = certs
        .iter()
        .find(|c| c["role"] == "kibana-client" && c["is_ca"] == false)
        .unwrap();
    assert_eq!(client["subject"], "CN=kibana-client");
    assert_eq!(client["alias"], "kibana-client");
    assert!(client["days_left"].as_i64().unwrap() > 1000);
    assert_eq!(client["has_key"], true);
    // The table: a header and one line per certificate, on stdout.
    let o = run(&mut cmd(&env, &["status"]));
    assert_eq!(code(&o), 0);
    let table = stdout(&o);
    assert!(table.starts_with("FILE"), "{table}");
    assert!(table.contains("CN=esmtls-http"), "{table}");
    assert!(table.contains("kibana-client.p12"), "{table}");
}

#[test]
fn certificate_valid_one_day_is_exit_1() {
    let env = healthy("client_certificate:\n  days: 1\n");
    let (rc, v) = json(&env, &["status", "--json"]);
    assert_eq!(rc, 1, "{v}");
    assert_eq!(v["health"], "expiring");
    let client = v["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["subject"] == "CN=kibana-client")
        .unwrap()
        .clone();
    assert!(client["days_left"].as_i64().unwrap() <= 1, "{client}");
    assert!(
        client["problems"][0]
            .as_str()
            .unwrap()
            .starts_with("expires in")
    );
}

#[test]
fn expired_certificate_is_exit_2() {
    let env = healthy("");
    let ca = ca("CN=Old CA");
    expired_kibana_server(&env, &ca, "kibana-server", 3);
    let (rc, v) = json(&env, &["status", "--json"]);
    assert_eq!(rc, 2, "{v}");
    assert_eq!(v["health"], "broken");
    let e = v["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["role"] == "kibana-server")
        .unwrap()
        .clone();
    assert!(e["days_left"].as_i64().unwrap() < 0, "{e}");
    assert!(
        e["problems"][0].as_str().unwrap().contains("expired"),
        "{e}"
    );
}

#[test]
fn wrong_password_is_exit_2_and_names_the_setting() {
    let env = healthy("");
    // A truststore made with a password that kibana.keystore does not hold.
    let p = env.kb.join("certs/trust.p12");
    let pw = common::pw_file(&env.root, "pw", "changeme");
    let o = run(common::esmtls(&env.root).args([
        "cert",
        "ca",
        "--out",
        p.to_str().unwrap(),
        "--password-file",
        pw.to_str().unwrap(),
    ]));
    assert!(o.status.success(), "{}", common::stderr(&o));
    append(
        &env.kb.join("kibana.yml"),
        &format!("elasticsearch.ssl.truststore.path: {}\n", p.display()),
    );
    let (rc, v) = json(&env, &["status", "--json"]);
    assert_eq!(rc, 2, "{v}");
    let e = v["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["file"].as_str().unwrap().ends_with("trust.p12"))
        .unwrap()
        .clone();
    let problem = e["problems"][0].as_str().unwrap();
    assert!(problem.contains("wrong password"), "{problem}");
    assert!(
        problem.contains("elasticsearch.ssl.truststore.password"),
        "{problem}"
    );
    assert!(!problem.contains("changeme"));
}

#[test]
fn the_ca_in_kibanas_client_file_is_labelled_as_its_ca_and_days_count_as_issued() {
    let env = healthy("client_certificate:\n  days: 3\n");
    let (rc, v) = json(&env, &["status", "--json"]);
    assert_eq!(rc, 1, "{v}");
    let in_p12: Vec<&serde_json::Value> = v["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["file"].as_str().unwrap().ends_with("kibana-client.p12"))
        .collect();
    let client = in_p12.iter().find(|c| c["is_ca"] == false).unwrap();
    let ca = in_p12.iter().find(|c| c["is_ca"] == true).unwrap();
    assert_eq!(client["role"], "kibana-client");
    assert_eq!(ca["role"], "kibana-client-ca", "{ca}");
    // Issued now for 3 days: 3 days left, not 2.
    assert_eq!(client["days_left"], 3, "{client}");
    assert_eq!(client["problems"][0], "expires in 3 day(s)");
    let table = stdout(&run(&mut cmd(&env, &["status"])));
    assert!(table.contains("kibana-client-ca"), "{table}");
}
