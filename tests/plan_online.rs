//! `esmtls apply` against a reachable "Elasticsearch": a local HTTPS server
//! (rustls, client certificates checked against its CA) that answers like
//! Elasticsearch and checks every request against the REST spec. Covers the
//! API side of steps 6 and 9: role mapping, service token, kibana_system
//! password, verification as Kibana would connect, and an API failure that
//! restores every file.

mod common;
mod es_support;

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use base64::Engine;
use common::{apply_here, esmtls, ok_all as ok, run, snapshot, stderr};
use es_support::{ClientAuth, Options, Reply, Seen, Server, fixture};
use serde_json::{Value, json};

const ADMIN: &str = "elastic";
const ADMIN_PW: &str = "admin-Pa55";

/// What the fake cluster remembers.
#[derive(Default)]
struct State {
    mappings: HashMap<String, Value>,
    tokens: HashMap<String, String>,
    kibana_system: Option<String>,
    fail_put_mapping: bool,
    /// Names of file tokens (`service_tokens`), which the API cannot delete.
    file_tokens: Vec<String>,
}

fn basic(h: &str) -> Option<(String, String)> {
    let b = h.strip_prefix("Basic ")?;
    let d = base64::engine::general_purpose::STANDARD.decode(b).ok()?;
    let s = String::from_utf8(d).ok()?;
    let (u, p) = s.split_once(':')?;
    Some((u.into(), p.into()))
}

fn unauthorized() -> Reply {
    Reply::new(401, fixture("error.401.json"))
}

fn fake_es(state: Arc<Mutex<State>>) -> impl Fn(&Seen) -> Reply + Send + Sync + 'static {
    move |r: &Seen| {
        let mut st = state.lock().unwrap();
        let auth = r.header("authorization").unwrap_or("");
        let admin = basic(auth) == Some((ADMIN.into(), ADMIN_PW.into()));
        if r.api == "security.authenticate" {
            if let Some(t) = auth.strip_prefix("Bearer ") {
                return if st.tokens.values().any(|v| v == t) {
                    Reply::new(
                        200,
                        fixture("security.authenticate.service_account.json")
                            .replace("elastic/fleet-server", "elastic/kibana"),
                    )
                } else {
                    unauthorized()
                };
            }
            if let Some((u, p)) = basic(auth) {
                return if u == "kibana_system" && st.kibana_system.as_deref() == Some(p.as_str()) {
                    Reply::new(200, json!({"username": "kibana_system", "roles": ["kibana_system"], "full_name": null, "email": null, "metadata": {"_reserved": true}, "enabled": true, "authentication_realm": {"name": "reserved", "type": "reserved"}, "lookup_realm": {"name": "reserved", "type": "reserved"}, "authentication_type": "realm"}).to_string())
                } else if admin {
                    Reply::fixture("security.authenticate.realm.json")
                } else {
                    unauthorized()
                };
            }
            if r.client_cert {
                let roles: Vec<&str> = if st.mappings.is_empty() {
                    vec![]
                } else {
                    vec!["kibana_system"]
                };
                return Reply::new(200, json!({"username": "kibana-client", "roles": roles, "full_name": null, "email": null, "metadata": {"pki_dn": "CN=kibana-client"}, "enabled": true, "authentication_realm": {"name": "esmtls_pki", "type": "pki"}, "lookup_realm": {"name": "esmtls_pki", "type": "pki"}, "authentication_type": "realm"}).to_string());
            }
            return unauthorized();
        }
        if !admin {
            return unauthorized();
        }
        match r.api.as_str() {
            "info" => Reply::fixture("info.json"),
            "license.get" => Reply::new(
                200,
                fixture("license.get.json").replace("\"basic\"", "\"platinum\""),
            ),
            "security.get_role_mapping" => {
                let name = r.path.rsplit('/').next().unwrap().to_string();
                match st.mappings.get(&name) {
                    Some(m) => Reply::new(200, json!({ name: m }).to_string()),
                    None => Reply::new(404, "{}"),
                }
            }
            "security.put_role_mapping" => {
                if st.fail_put_mapping {
                    return Reply::new(500, fixture("error.500.json"));
                }
                let name = r.path.rsplit('/').next().unwrap().to_string();
                st.mappings.insert(name, r.json());
                Reply::fixture("security.put_role_mapping.json")
            }
            "security.create_service_token" => {
                let name = r.path.rsplit('/').next().unwrap().to_string();
                let value = format!("AAEAAWVsYXN0aWMva2liYW5hL{}", name.len());
                st.tokens.insert(name.clone(), value.clone());
                Reply::new(
                    200,
                    json!({"created": true, "token": {"name": name, "value": value}}).to_string(),
                )
            }
            "security.delete_service_token" => {
                // As Elasticsearch: only a token of the index is deleted; any other is 404 found: false.
                let name = r.path.rsplit('/').next().unwrap().to_string();
                match st.tokens.remove(&name) {
                    Some(_) => Reply::fixture("security.delete_service_token.json"),
                    None => Reply::new(404, json!({"found": false}).to_string()),
                }
            }
            "security.get_service_credentials" => {
                let index: serde_json::Map<String, Value> = st
                    .tokens
                    .keys()
                    .filter(|n| !st.file_tokens.contains(n))
                    .map(|n| (n.clone(), json!({})))
                    .collect();
                let files: serde_json::Map<String, Value> = st
                    .file_tokens
                    .iter()
                    .map(|n| (n.clone(), json!({"nodes": ["node0"]})))
                    .collect();
                Reply::new(
                    200,
                    json!({"service_account": "elastic/kibana", "count": index.len() + files.len(), "tokens": index, "nodes_credentials": {"_nodes": {"total": 1, "successful": 1, "failed": 0}, "file_tokens": files}}).to_string(),
                )
            }
            "security.change_password" => {
                let pw = r.json()["password"].as_str().unwrap().to_string();
                st.kibana_system = Some(pw);
                Reply::new(200, "{}")
            }
            other => Reply::new(
                500,
                format!("{{\"error\":\"the fake does not serve {other}\"}}"),
            ),
        }
    }
}

struct Env {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    es: PathBuf,
    kb: PathBuf,
    server: Server,
    state: Arc<Mutex<State>>,
    answers: PathBuf,
}

fn env(client_auth: ClientAuth, mode: &str) -> Env {
    let state = Arc::new(Mutex::new(State::default()));
    let server = Server::start(
        Options {
            client_auth,
            ..Options::default()
        },
        fake_es(state.clone()),
    );
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let es = root.join("es");
    let kb = root.join("kb");
    fs::create_dir_all(es.join("certs")).unwrap();
    fs::create_dir_all(&kb).unwrap();
    fs::write(
        es.join("elasticsearch.yml"),
        "# my cluster\nxpack.security.enabled: true\nxpack.security.http.ssl:\n  enabled: true\n",
    )
    .unwrap();
    fs::write(
        es.join("certs/http_ca.crt"),
        esmtls::pki::pem::cert(&server.pki.ca_der),
    )
    .unwrap();
    fs::write(kb.join("kibana.yml"), "# my kibana\nserver.port: 5601\n").unwrap();
    let (crt, key) = server.pki.write_ca(&root);
    let answers = root.join("answers.yml");
    fs::write(
        &answers,
        format!(
            "mode: {mode}\nkibana:\n  hosts: ['{}']\nca:\n  source: file\n  cert: {}\n  key: {}\nclient_certificate:\n  key_type: rsa2048\n",
            server.url(),
            crt.display(),
            key.display()
        ),
    )
    .unwrap();
    Env {
        _tmp: tmp,
        root,
        es,
        kb,
        server,
        state,
        answers,
    }
}

fn apply(e: &Env) -> std::process::Output {
    apply_with(e, &[])
}

#[test]
fn pki_creates_the_role_mapping_and_verifies_as_kibana() {
    let e = env(ClientAuth::Optional, "pki");
    let out = ok(apply(&e));
    assert!(
        out.contains("sent     PUT /_security/role_mapping/kibana-client"),
        "{out}"
    );
    let mapping = e
        .state
        .lock()
        .unwrap()
        .mappings
        .get("kibana-client")
        .cloned()
        .unwrap();
    assert_eq!(mapping["roles"], json!(["kibana_system"]));
    assert_eq!(
        mapping["rules"]["all"][0]["field"]["realm.name"],
        json!("esmtls_pki")
    );
    assert_eq!(
        mapping["rules"]["all"][1]["field"]["dn"],
        json!("CN=kibana-client")
    );
    assert!(
        !e.es.join("role_mapping.yml").exists(),
        "the API was used, not the file"
    );
    assert!(!e.es.join("esmtls-requests.txt").exists());
    assert!(
        out.contains("Not verified yet"),
        "Elasticsearch changed and was not restarted: {out}"
    );
    // Second run (as after the restart): nothing changes, and the connection is verified.
    let before = snapshot(&e.root);
    let out = ok(apply(&e));
    assert!(out.contains("Nothing to change"), "{out}");
    assert!(
        out.contains(
            "verified: Elasticsearch authenticates Kibana as kibana-client (realm type pki"
        ),
        "{out}"
    );
    assert_eq!(before, snapshot(&e.root));
    let puts = e
        .server
        .seen()
        .iter()
        .filter(|s| s.api == "security.put_role_mapping")
        .count();
    assert_eq!(puts, 1, "the mapping is put once");
}

#[test]
fn mtls_token_creates_a_token_and_verifies_required_client_auth() {
    // The cluster already requires client certificates: the first run cannot get in
    // (Kibana has no certificate yet) and defers the token; the second presents
    // Kibana's new certificate on the admin connection and creates it.
    let e = env(ClientAuth::Required, "mtls-token");
    let out = ok(apply(&e));
    assert!(out.contains("no service token yet"), "{out}");
    let out = ok(apply(&e));
    assert!(
        out.contains("sent     POST /_security/service/elastic/kibana/credential/token/esmtls-"),
        "{out}"
    );
    let ks = esmtls::keystore::KibanaKeystore::load(&e.kb.join("kibana.keystore"), None).unwrap();
    let token = ks
        .get("elasticsearch.serviceAccountToken")
        .unwrap()
        .expose()
        .to_string();
    assert!(e.state.lock().unwrap().tokens.values().any(|v| *v == token));
    assert!(!out.contains(&token), "the token must not be printed");
    let out = ok(apply(&e));
    assert!(out.contains("Nothing to change"), "{out}");
    assert!(
        out.contains("verified: Elasticsearch authenticates Kibana as elastic/kibana"),
        "{out}"
    );
    // The refusal without a certificate was checked for real.
    assert!(
        !e.server.tls_failures_soon().is_empty(),
        "a connection without a certificate must have been refused"
    );
}

#[test]
fn password_mode_sets_kibana_system_and_keeps_it() {
    let e = env(ClientAuth::None, "password");
    let out = ok(apply(&e));
    assert!(
        out.contains("sent     POST /_security/user/kibana_system/_password"),
        "{out}"
    );
    let ks = esmtls::keystore::KibanaKeystore::load(&e.kb.join("kibana.keystore"), None).unwrap();
    let pw = ks
        .get("elasticsearch.password")
        .unwrap()
        .expose()
        .to_string();
    assert_eq!(
        e.state.lock().unwrap().kibana_system.as_deref(),
        Some(pw.as_str())
    );
    let seen = e.server.seen();
    let change = seen
        .iter()
        .find(|s| s.api == "security.change_password")
        .unwrap();
    assert_eq!(change.json()["password"], json!(pw));
    let out = ok(apply(&e));
    assert!(out.contains("Nothing to change"), "{out}");
    assert!(
        out.contains(
            "verified: Elasticsearch authenticates Kibana as kibana_system (realm type reserved"
        ),
        "{out}"
    );
}

#[test]
fn an_api_error_restores_every_file() {
    let e = env(ClientAuth::Optional, "pki");
    e.state.lock().unwrap().fail_put_mapping = true;
    let before = snapshot(&e.root);
    let o = apply(&e);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("PUT /_security/role_mapping/kibana-client") && err.contains("restored"),
        "{err}"
    );
    let after = snapshot(&e.root);
    common::assert_restored(&before, &after, &[&e.es, &e.kb]);
}

#[test]
fn wrong_admin_credentials_defer_the_requests() {
    let e = env(ClientAuth::Optional, "pki");
    let mut c = esmtls(&e.root);
    c.env("ESMTLS_SECRET_STORE", "file")
        .env("ESMTLS_ES_USERNAME", ADMIN)
        .env("ESMTLS_ES_PASSWORD", "wrong")
        .args(["plan", "--answers", e.answers.to_str().unwrap()])
        .arg("--es-config")
        .arg(&e.es)
        .arg("--kibana-config")
        .arg(&e.kb);
    let out = ok(run(&mut c));
    assert!(
        out.contains("not reachable") && out.contains("ESMTLS_ES_"),
        "{out}"
    );
    assert!(out.contains("deferred"), "{out}");
}

#[test]
fn explicit_admin_credentials_reach_the_cluster_and_a_401_names_their_source() {
    // What the wizard does with the password typed on step 0
    // (`commands::context::cluster_with` with `Admin::Given`).
    use esmtls::es::{Auth, EsCluster};
    use esmtls::plan::Cluster;
    use esmtls::secret::Secret;
    const TYPED: &str = "the admin password typed in the wizard";
    let e = env(ClientAuth::Optional, "pki");
    let ca = e.es.join("certs/http_ca.crt");
    let cluster = |pw: &str| {
        let auth = Auth::Basic {
            username: ADMIN.into(),
            password: Secret::new(pw),
        };
        EsCluster::new(&e.server.url(), &[ca.as_path()], None, Some(auth), None).auth_source(TYPED)
    };
    let mut c = cluster(ADMIN_PW);
    assert!(c.reachable(), "{:?}", c.why_not());
    assert!(!c.license().unwrap().is_empty());
    let seen = e.server.seen();
    assert!(!seen.is_empty());
    for s in &seen {
        let h = s.header("authorization").unwrap_or("");
        assert_eq!(basic(h), Some((ADMIN.into(), ADMIN_PW.into())), "{}", s.api);
    }
    let mut c = cluster("Wr0ng-Pa55");
    assert!(!c.reachable());
    let why = c.why_not().unwrap();
    assert!(
        why.contains(TYPED) && why.contains("user 'elastic'"),
        "{why}"
    );
    assert!(!why.contains("Wr0ng"), "{why}");
}

/// The restart commands run with an environment that holds no secret: not
/// the admin password esmtls was given, nor any other variable whose name
/// says it holds one. The commands dump their environment to a file.
#[test]
fn restart_commands_see_no_secret_in_their_environment() {
    use std::os::unix::fs::PermissionsExt;
    let e = env(ClientAuth::None, "password");
    let script = e.root.join("dump-env");
    fs::write(&script, "#!/bin/sh\nenv >> \"$0.out\"\n").unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let text = fs::read_to_string(&e.answers).unwrap().replace(
        "kibana:\n",
        &format!("kibana:\n  restart: '{}'\n", script.display()),
    ) + &format!("elasticsearch:\n  restart: '{}'\n", script.display());
    fs::write(&e.answers, text).unwrap();
    let mut c = esmtls(&e.root);
    c.env("ESMTLS_SECRET_STORE", "file")
        .env("ESMTLS_ES_USERNAME", ADMIN)
        .env("ESMTLS_ES_PASSWORD", ADMIN_PW)
        .env("MY_APP_TOKEN", "tok-Secret-1")
        .env("DB_PASSWORD", "db-Secret-2")
        .env("APP_PASSWORD_FILE", "/nonexistent/passphrase")
        .args([
            "apply",
            "--yes",
            "--restart",
            "--answers",
            e.answers.to_str().unwrap(),
        ])
        .arg("--es-config")
        .arg(&e.es)
        .arg("--kibana-config")
        .arg(&e.kb);
    let out = ok(run(&mut c));
    assert!(out.contains("ran      "), "{out}");
    let dump = fs::read_to_string(e.root.join("dump-env.out")).unwrap();
    assert!(
        dump.contains("PATH="),
        "the commands got an environment: {dump}"
    );
    assert!(
        dump.contains("APP_PASSWORD_FILE=/nonexistent/passphrase"),
        "a variable naming a file stays: {dump}"
    );
    let ks = esmtls::keystore::KibanaKeystore::load(&e.kb.join("kibana.keystore"), None).unwrap();
    let kibana_pw = ks
        .get("elasticsearch.password")
        .unwrap()
        .expose()
        .to_string();
    for secret in [ADMIN_PW, "tok-Secret-1", "db-Secret-2", kibana_pw.as_str()] {
        assert!(
            !dump.contains(secret),
            "a restart command saw a secret: {dump}"
        );
    }
    assert!(!dump.contains("ESMTLS_"), "{dump}");
}

fn plan(e: &Env) -> String {
    let mut c = esmtls(&e.root);
    c.env("ESMTLS_SECRET_STORE", "file")
        .env("ESMTLS_ES_USERNAME", ADMIN)
        .env("ESMTLS_ES_PASSWORD", ADMIN_PW)
        .args(["plan", "--answers", e.answers.to_str().unwrap()])
        .arg("--es-config")
        .arg(&e.es)
        .arg("--kibana-config")
        .arg(&e.kb);
    ok(run(&mut c))
}

/// After an apply and before any restart the files already say everything,
/// but the restart is still owed: `plan` says so until the verification
/// succeeds, then "no restart needed".
#[test]
fn a_restart_stays_pending_until_verified() {
    let e = env(ClientAuth::Optional, "pki");
    let out = ok(apply(&e));
    assert!(out.contains("Not verified yet"), "{out}");
    let out = plan(&e);
    assert!(
        !out.contains("Nothing changed for Elasticsearch; no restart needed."),
        "{out}"
    );
    assert!(
        out.contains("Restart pending: esmtls changed Elasticsearch's files at"),
        "{out}"
    );
    assert!(
        out.contains("Restart pending: esmtls changed Kibana's files at"),
        "{out}"
    );
    // The run after the restart verifies, and nothing is pending any more.
    let out = ok(apply(&e));
    assert!(out.contains("verified: "), "{out}");
    let out = plan(&e);
    assert!(
        out.contains("Nothing changed for Elasticsearch; no restart needed."),
        "{out}"
    );
    assert!(
        out.contains("Nothing changed for Kibana; no restart needed."),
        "{out}"
    );
    assert!(!out.contains("Restart pending"), "{out}");
}

const ENROLL_NAME: &str = "enroll-process-token-1700000000000";

/// A Kibana that authenticates with the token its enrollment made (valid in
/// the fake cluster, as a file token when `file`), moving to `password` mode.
fn enrolled(file: bool) -> Env {
    let e = env(ClientAuth::None, "password");
    let yml = e.kb.join("kibana.yml");
    let text = fs::read_to_string(&yml).unwrap()
        + &format!(
            "elasticsearch.serviceAccountToken: {}\n",
            common::setups::ENROLL_TOKEN
        );
    fs::write(&yml, text).unwrap();
    let mut st = e.state.lock().unwrap();
    st.tokens
        .insert(ENROLL_NAME.into(), common::setups::ENROLL_TOKEN.into());
    if file {
        st.file_tokens.push(ENROLL_NAME.into());
    }
    drop(st);
    e
}

fn apply_with(e: &Env, extra: &[&str]) -> std::process::Output {
    let mut c = apply_here(&e.root, &e.answers, &e.es, &e.kb);
    c.env("ESMTLS_ES_USERNAME", ADMIN)
        .env("ESMTLS_ES_PASSWORD", ADMIN_PW)
        .args(extra);
    run(&mut c)
}

fn deletes(e: &Env) -> usize {
    e.server
        .seen()
        .iter()
        .filter(|s| s.api == "security.delete_service_token")
        .count()
}

#[test]
fn revoke_replaced_deletes_the_old_token_once_verified() {
    let e = enrolled(false);
    let out = ok(apply_with(&e, &["--revoke-replaced"]));
    assert!(out.contains("verified: "), "{out}");
    assert!(
        out.contains(&format!(
            "revoked: the replaced service token elastic/kibana/{ENROLL_NAME}"
        )),
        "{out}"
    );
    assert!(!e.state.lock().unwrap().tokens.contains_key(ENROLL_NAME));
    assert_eq!(deletes(&e), 1);
    // Nothing left to revoke on the next run.
    let out = ok(apply_with(&e, &["--revoke-replaced"]));
    assert!(!out.contains(ENROLL_NAME), "{out}");
    assert_eq!(deletes(&e), 1);
}

#[test]
fn without_the_flag_nothing_is_deleted_and_the_output_says_what_is_still_valid() {
    let e = enrolled(false);
    let out = ok(apply_with(&e, &[]));
    assert!(out.contains("verified: "), "{out}");
    assert!(
        out.contains(&format!(
            "still valid: the replaced service token elastic/kibana/{ENROLL_NAME}; revoke it with `esmtls apply --revoke-replaced`"
        )),
        "{out}"
    );
    assert_eq!(deletes(&e), 0, "nothing is deleted without the flag");
    assert!(e.state.lock().unwrap().tokens.contains_key(ENROLL_NAME));
    // esmtls remembers it: a later run with the flag revokes it.
    let out = ok(apply_with(&e, &["--revoke-replaced"]));
    assert!(out.contains("Nothing to change"), "{out}");
    assert!(out.contains("revoked: the replaced service token"), "{out}");
    assert_eq!(deletes(&e), 1);
}

#[test]
fn a_replaced_file_token_is_not_sent_to_the_delete_api() {
    let e = enrolled(true);
    let out = ok(apply_with(&e, &["--revoke-replaced"]));
    assert!(
        out.contains(&format!(
            "is a file token, which the API cannot delete; run `bin/elasticsearch-service-tokens delete elastic/kibana {ENROLL_NAME}` on every node"
        )),
        "{out}"
    );
    assert_eq!(deletes(&e), 0);
}
