//! `esmtls::es` against a local HTTPS server that checks every request against
//! Elasticsearch's REST spec files and answers with documented response
//! bodies (`tests/es_support`). Offline; loopback only.

mod es_support;

use std::time::Duration;

use es_support::{ClientAuth, Options, Reply, Server, fixture};
use esmtls::es::{self, Auth, Client, EsError, HandshakeOutcome, requests, responses::Realm};
use esmtls::secret::Secret;
use serde_json::json;

fn basic() -> Auth {
    Auth::Basic {
        username: "elastic".into(),
        password: Secret::new("es-admin-pw"),
    }
}

fn fingerprint_with_colons(der: &[u8]) -> String {
    esmtls::pki::inspect::fingerprint(der).to_lowercase()
}

#[test]
fn info_license_authenticate_with_a_client_certificate() {
    let server = Server::start(Options::default(), |r| match r.api.as_str() {
        "info" => Reply::fixture("info.json"),
        "license.get" => Reply::fixture("license.get.json"),
        "security.authenticate" => Reply::fixture("security.authenticate.pki.json"),
        _ => Reply::new(500, "{}"),
    });
    let client = Client::new(&server.endpoint_with_cert(), basic()).unwrap();
    let info = client.info().unwrap();
    assert_eq!(
        (
            info.name.as_str(),
            info.cluster_name.as_str(),
            info.version.as_str()
        ),
        ("instance-0000000000", "my_test_cluster", "8.12.1")
    );
    let lic = client.license().unwrap();
    assert_eq!(
        (lic.license_type.as_str(), lic.status.as_str()),
        ("trial", "active")
    );
    let who = client.authenticate().unwrap();
    assert_eq!(who.username, "kibana-client");
    assert_eq!(who.roles, ["kibana_system"]);
    assert_eq!(
        who.authentication_realm,
        Realm {
            name: "pki1".into(),
            realm_type: "pki".into()
        }
    );
    assert_eq!(who.authentication_type, "realm");
    assert_eq!(
        who.pki_dn.as_deref(),
        Some("O=org, OU=Elasticsearch, CN=Elasticsearch Test Client")
    );
    assert_eq!(who.token_name, None);

    let seen = server.seen();
    let apis: Vec<&str> = seen.iter().map(|s| s.api.as_str()).collect();
    assert_eq!(apis, ["info", "license.get", "security.authenticate"]);
    for s in &seen {
        assert!(s.client_cert, "{} without a client certificate", s.path);
        assert_eq!(s.method, "GET");
        assert_eq!(
            s.header("authorization"),
            Some("Basic ZWxhc3RpYzplcy1hZG1pbi1wdw==")
        );
        assert!(s.body.is_empty());
    }
}

#[test]
fn service_account_token_authentication() {
    let server = Server::start(Options::default(), |_| {
        Reply::fixture("security.authenticate.service_account.json")
    });
    let client = Client::new(
        &server.endpoint_with_cert(),
        Auth::Bearer(Secret::new("AAEAAWVs-token")),
    )
    .unwrap();
    let who = client.authenticate().unwrap();
    assert_eq!(who.username, "elastic/fleet-server");
    assert!(who.roles.is_empty());
    assert_eq!(who.authentication_type, "token");
    assert_eq!(who.token_name.as_deref(), Some("token_abcd1234"));
    assert_eq!(
        server.seen()[0].header("authorization"),
        Some("Bearer AAEAAWVs-token")
    );
}

#[test]
fn role_mappings() {
    let mapping = requests::role_mapping_body("pki1", "CN=kibana-client");
    let stored = mapping.clone();
    let server = Server::start(Options::default(), move |r| {
        match (r.api.as_str(), r.path.as_str()) {
            ("security.get_role_mapping", "/_security/role_mapping/kibana-client") => {
                Reply::new(200, json!({"kibana-client": stored}).to_string())
            }
            ("security.get_role_mapping", _) => {
                Reply::fixture("error.404.role_mapping.json").status(404)
            }
            ("security.put_role_mapping", _) => Reply::fixture("security.put_role_mapping.json"),
            _ => Reply::new(500, "{}"),
        }
    });
    let client = Client::new(&server.endpoint_with_cert(), basic()).unwrap();
    assert_eq!(
        client.get_role_mapping("kibana-client").unwrap(),
        Some(mapping.clone())
    );
    assert_eq!(client.get_role_mapping("absent").unwrap(), None);
    assert!(client.put_role_mapping("kibana-client", &mapping).unwrap());

    let seen = server.seen();
    assert_eq!(seen[2].method, "PUT");
    assert_eq!(seen[2].api, "security.put_role_mapping");
    assert_eq!(seen[2].header("content-type"), Some("application/json"));
    assert_eq!(
        seen[2].json(),
        json!({"roles":["kibana_system"],"enabled":true,
               "rules":{"all":[{"field":{"realm.name":"pki1"}},{"field":{"dn":"CN=kibana-client"}}]},
               "metadata":{"managed_by":"esmtls"}})
    );
}

#[test]
fn service_tokens() {
    let server = Server::start(Options::default(), |r| {
        match (r.api.as_str(), r.path.as_str()) {
            ("security.create_service_token", _) => {
                Reply::fixture("security.create_service_token.json")
            }
            ("security.get_service_credentials", _) => {
                Reply::fixture("security.get_service_credentials.json")
            }
            ("security.delete_service_token", p) if p.ends_with("/esmtls-1") => {
                Reply::fixture("security.delete_service_token.json")
            }
            ("security.delete_service_token", _) => Reply::new(404, r#"{"found":false}"#),
            _ => Reply::new(500, "{}"),
        }
    });
    let client = Client::new(&server.endpoint_with_cert(), basic()).unwrap();
    let token = client.create_service_token("esmtls-1").unwrap();
    assert_eq!(
        token.expose(),
        "AAEAAWVsYXN0aWM...vZmxlZXQtc2VydmVyL3Rva2VuMTo3TFdaSDZ"
    );
    assert_eq!(format!("{token:?}"), "***");
    let names = client.service_token_names().unwrap();
    assert_eq!(names.index, ["token1", "token42"]);
    assert_eq!(names.file, ["my-token"]);
    assert!(names.contains("my-token") && !names.contains("esmtls-1"));
    assert!(client.delete_service_token("esmtls-1").unwrap());
    assert!(!client.delete_service_token("gone").unwrap());

    // ES's own rule, checked before anything is sent.
    let e = client.create_service_token("_bad").unwrap_err();
    assert!(
        e.to_string()
            .contains("It must not begin with an underscore (_)."),
        "{e}"
    );

    let seen = server.seen();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(
        seen[0].path,
        "/_security/service/elastic/kibana/credential/token/esmtls-1"
    );
    assert_eq!(seen[1].path, "/_security/service/elastic/kibana/credential");
    assert_eq!(seen[2].method, "DELETE");
}

#[test]
fn change_password_sends_the_secret_and_shows_only_the_placeholder() {
    let server = Server::start(Options::default(), |_| Reply::new(200, "{}"));
    let placeholder = "<new password, stored in kibana.keystore as elasticsearch.password>";
    let req = requests::change_password("kibana_system", placeholder);
    let password = Secret::new("n3w-\"kibana\"-pw");

    let shown = req.to_string();
    let json = serde_json::to_string(&req).unwrap();
    for text in [&shown, &json, &format!("{req:?}")] {
        assert!(!text.contains("n3w-"), "{text}");
    }
    assert!(shown.contains(placeholder) && json.contains(placeholder));

    let client = Client::new(&server.endpoint_with_cert(), basic()).unwrap();
    let resp = client.send(&req, Some(&password)).unwrap();
    assert_eq!((resp.status, resp.body), (200, json!({})));
    client.change_password("kibana_system", &password).unwrap();

    // The plan's value cannot run without its secret.
    let e = client.send(&req, None).unwrap_err();
    assert!(e.to_string().contains(placeholder), "{e}");

    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert_eq!(s.api, "security.change_password");
        assert_eq!(s.path, "/_security/user/kibana_system/_password");
        assert_eq!(s.json(), json!({"password": "n3w-\"kibana\"-pw"}));
    }
}

#[test]
fn ssl_certificates() {
    let server = Server::start(Options::default(), |_| {
        Reply::fixture("ssl.certificates.json")
    });
    let client = Client::new(&server.endpoint_with_cert(), basic()).unwrap();
    let certs = client.ssl_certificates().unwrap();
    assert_eq!(certs.len(), 3);
    assert_eq!(certs[2].subject_dn, "CN=instance");
    assert_eq!(certs[2].alias.as_deref(), Some("instance"));
    assert!(certs[2].has_private_key);
    assert_eq!(certs[2].expiry, "2021-01-15T20:44:32.000Z");
    assert_eq!(server.seen()[0].api, "ssl.certificates");
}

#[test]
fn ca_fingerprint_pinning() {
    let server = Server::start(Options::default(), |_| Reply::fixture("info.json"));
    let mut ep = server.endpoint_with_cert();
    ep.ca_certs_der.clear();
    ep.ca_sources.clear();
    ep.ca_fingerprint = Some(fingerprint_with_colons(&server.pki.ca_der));
    let client = Client::new(&ep, basic()).unwrap();
    assert_eq!(client.info().unwrap().version, "8.12.1");

    ep.ca_fingerprint = Some("ab".repeat(32));
    let e = Client::new(&ep, basic()).err().unwrap();
    assert!(matches!(e, EsError::FingerprintMismatch { .. }), "{e}");
    let msg = e.to_string();
    let ca_fp = esmtls::pki::inspect::fingerprint(&server.pki.ca_der);
    assert!(msg.contains(&ca_fp), "{msg}");
    assert!(msg.contains("CN=es01"), "{msg}");

    ep.ca_fingerprint = Some("not hex".into());
    assert!(matches!(
        Client::new(&ep, basic()),
        Err(EsError::Invalid(_))
    ));
    // Only the successful client's request reached HTTP.
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn untrusted_server_ca_names_the_chain_and_the_ca_tried() {
    let server = Server::start(Options::default(), |_| Reply::fixture("info.json"));
    let other = es_support::Pki::new();
    let mut ep = server.endpoint_with_cert();
    ep.ca_certs_der = vec![other.ca_der.clone()];
    ep.ca_sources = vec!["/etc/kibana/wrong-ca.crt".into()];
    let e = Client::new(&ep, basic()).unwrap().info().unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, EsError::UntrustedServer { .. }), "{msg}");
    assert!(
        msg.contains("CN=es01 (issued by CN=esmtls test CA"),
        "{msg}"
    );
    assert!(msg.contains("/etc/kibana/wrong-ca.crt"), "{msg}");
    assert!(!msg.contains("verificationMode"), "{msg}");
    assert!(server.seen().is_empty());
}

#[test]
fn host_not_in_the_certificate() {
    let opts = Options {
        dns: vec!["es01.example"],
        ips: vec![],
        ..Options::default()
    };
    let server = Server::start(opts, |_| Reply::fixture("info.json"));
    let e = Client::new(&server.endpoint_with_cert(), basic())
        .unwrap()
        .info()
        .unwrap_err();
    let msg = e.to_string();
    match &e {
        EsError::HostnameMismatch { host, sans, .. } => {
            assert_eq!(host, "127.0.0.1");
            assert_eq!(sans, &["DNS:es01.example"]);
        }
        other => panic!("{other}"),
    }
    assert!(msg.contains("re-issue"), "{msg}");
    assert!(
        !msg.contains("none") && !msg.contains("verificationMode"),
        "{msg}"
    );
}

#[test]
fn required_client_certificate_refuses_a_connection_without_one() {
    for tls12_only in [false, true] {
        let opts = Options {
            tls12_only,
            ..Options::default()
        };
        let server = Server::start(opts, |_| Reply::fixture("info.json"));
        let outcome = es::handshake_without_client_cert(&server.endpoint_with_cert()).unwrap();
        match &outcome {
            HandshakeOutcome::Refused { alert } => {
                assert!(
                    ["CertificateRequired", "BadCertificate", "HandshakeFailure"]
                        .contains(&alert.as_str()),
                    "tls12_only={tls12_only}: {alert}"
                )
            }
            other => panic!("tls12_only={tls12_only}: {other:?}"),
        }
        assert!(outcome.refused());
        assert!(!server.tls_failures_soon().is_empty());

        // A normal client without a certificate gets an error that says so.
        let e = Client::new(&server.endpoint(), basic()).unwrap().info();
        match &e {
            Err(EsError::ClientCertRefused { hint, .. }) => {
                assert!(hint.contains("requires a client certificate"), "{hint}")
            }
            other => panic!("tls12_only={tls12_only}: {other:?}"),
        }
        // With the certificate it works.
        let client = Client::new(&server.endpoint_with_cert(), basic()).unwrap();
        assert_eq!(client.info().unwrap().version, "8.12.1");
    }
}

#[test]
fn optional_or_no_client_authentication_accepts_a_connection_without_certificate() {
    for mode in [ClientAuth::Optional, ClientAuth::None] {
        let opts = Options {
            client_auth: mode,
            ..Options::default()
        };
        let server = Server::start(opts, |r| {
            if r.header("authorization").is_none() {
                Reply::new(401, fixture("error.401.json"))
            } else {
                Reply::fixture("info.json")
            }
        });
        let outcome = es::handshake_without_client_cert(&server.endpoint_with_cert()).unwrap();
        assert_eq!(
            outcome,
            HandshakeOutcome::Accepted { status: 401 },
            "{mode:?}"
        );
        assert!(!server.seen()[0].client_cert);
    }
}

#[test]
fn client_certificate_from_a_ca_the_server_does_not_trust() {
    let server = Server::start(Options::default(), |_| Reply::fixture("info.json"));
    let stranger = es_support::Pki::new();
    let mut ep = server.endpoint();
    ep.client = Some(stranger.identity(&stranger.client()));
    let e = Client::new(&ep, basic()).unwrap().info().unwrap_err();
    match &e {
        EsError::ClientCertRefused { hint, .. } => {
            assert!(
                hint.contains("xpack.security.http.ssl.certificate_authorities"),
                "{hint}"
            )
        }
        other => panic!("{other}"),
    }
}

#[test]
fn http_errors_say_what_to_do() {
    let server = Server::start(Options::default(), |r| match r.api.as_str() {
        "info" => Reply::new(401, fixture("error.401.json")),
        "security.put_role_mapping" => Reply::new(403, fixture("error.403.json")),
        "license.get" => Reply::new(403, fixture("error.license.json")),
        "ssl.certificates" => Reply::new(500, fixture("error.500.json")),
        "security.authenticate" => Reply::new(200, r#"{"unexpected": true}"#),
        _ => Reply::new(500, "{}"),
    });
    let client = Client::new(&server.endpoint_with_cert(), basic())
        .unwrap()
        .auth_source("ESMTLS_ES_USERNAME/ESMTLS_ES_PASSWORD");

    let e = client.info().unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, EsError::Unauthorized { .. }), "{msg}");
    assert!(
        msg.contains(
            "user 'elastic' and its password (from ESMTLS_ES_USERNAME/ESMTLS_ES_PASSWORD)"
        ),
        "{msg}"
    );
    assert!(
        msg.contains("unable to authenticate user [kibana_system]"),
        "{msg}"
    );
    assert!(!msg.contains("es-admin-pw"));

    let e = client
        .put_role_mapping(
            "kibana-client",
            &requests::role_mapping_body("pki1", "CN=k"),
        )
        .unwrap_err();
    match &e {
        EsError::Forbidden { action, .. } => {
            assert_eq!(action, "cluster:admin/xpack/security/role_mapping/put")
        }
        other => panic!("{other}"),
    }
    assert!(
        e.to_string()
            .contains("PUT /_security/role_mapping/kibana-client")
    );

    let e = client.license().unwrap_err();
    assert!(matches!(e, EsError::License { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("current license is non-compliant for [security]")
    );

    let e = client.ssl_certificates().unwrap_err();
    assert!(matches!(e, EsError::Server { status: 500, .. }), "{e}");
    assert!(e.to_string().contains("security index is unavailable"));

    let e = client.authenticate().unwrap_err();
    assert!(matches!(e, EsError::UnexpectedBody { .. }), "{e}");
    assert!(e.to_string().contains("missing field `username`"), "{e}");
}

#[test]
fn unreachable_port() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut ep = es::Endpoint::new(format!("https://127.0.0.1:{port}"));
    ep.ca_certs_der = vec![es_support::Pki::new().ca_der];
    ep.timeout = Duration::from_secs(5);
    let e = Client::new(&ep, Auth::None).unwrap().info().unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, EsError::Unreachable { .. }), "{msg}");
    assert!(msg.contains(&format!("https://127.0.0.1:{port}")), "{msg}");
    assert!(msg.contains("write the requests to a file"), "{msg}");

    // Pinning needs the chain first, so it reports the same.
    ep.ca_fingerprint = Some("ab".repeat(32));
    assert!(matches!(
        Client::new(&ep, Auth::None),
        Err(EsError::Unreachable { .. })
    ));
}

#[test]
fn endpoint_needs_some_trust() {
    let ep = es::Endpoint::new("https://127.0.0.1:9");
    let e = Client::new(&ep, Auth::None).err().unwrap();
    assert!(e.to_string().contains("http_ca.crt"), "{e}");
}
