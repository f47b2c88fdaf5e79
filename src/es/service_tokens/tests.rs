use super::*;

/// Lines of elastic/elasticsearch
/// `x-pack/plugin/security/src/test/resources/org/elasticsearch/xpack/security/authc/service/service_tokens`.
const ES_FILE: &str = "\
elastic/fleet-server/pbkdf2:{PBKDF2}10000$0N2h5/AsDS5uO0/A+B6y8AnTCJ3Tqo8nygbzu1gkgpo=$5aTcCtteHf2g2ye7Y3p6jSZBoGhNJ7l6F3tmUhPTwRo=
elastic/fleet-server/bcrypt10:$2a$10$ML0BUUxdzs8ApPNf1ayAwuh61ZhfqlzN/1DgZWZn6vNiUhpu1GKTe
elastic/fleet-server/pbkdf2_stretch:{PBKDF2_STRETCH}10000$Pa3oNkj8xTD8j2gTgjWnTvnE6jseKApWMFjcNCLxX1U=$84ECweHFZQ2DblHEjHTRWA+fG6h5bVMyTSJUmFvTo1o=
elastic/fleet-server/pbkdf2_50000:{PBKDF2}50000$IMzlphNClmrP/du40yxGM3fNjklg8CuACds12+Ry0jM=$KEC1S9a0NOs3OJKM4gEeBboU18EP4+3m/pyIA4MBDGk=
elastic/fleet-server/plain:{plain}_By842iQQVKSCLxVcJZWvw
";

/// The secrets of those lines, decoded from the (older-format) bearer tokens
/// in `FileServiceAccountTokenStoreTests.java`'s `TOKENS` map.
const ES_SECRETS: [(&str, &str); 3] = [
    ("pbkdf2", "5DjRC_XRSAql5Hlampyv7Q"),
    ("pbkdf2_stretch", "aI_0QLRfRyGBP1U60Sby2w"),
    ("pbkdf2_50000", "wn0Xfx5IRHy2lOKScvfwrg"),
];

#[test]
fn elasticsearch_test_vectors_verify() {
    for (name, secret) in ES_SECRETS {
        let id = format!("elastic/fleet-server/{name}");
        let b = bearer(&id, secret);
        assert_eq!(verify(ES_FILE, &b), Some(id.clone()), "{name}");
        let wrong = bearer(&id, "aI_0QLRfRyGBP1U60Sby2x");
        assert_eq!(verify(ES_FILE, &wrong), None, "{name}");
    }
}

#[test]
fn bearer_matches_an_independent_encoding() {
    // python3: base64.b64encode(b"\0\1\0\1elastic/fleet-server/pbkdf2_stretch:" + secret), '=' stripped
    assert_eq!(
        bearer(
            "elastic/fleet-server/pbkdf2_stretch",
            "aI_0QLRfRyGBP1U60Sby2w"
        )
        .as_str(),
        "AAEAAWVsYXN0aWMvZmxlZXQtc2VydmVyL3Bia2RmMl9zdHJldGNoOmFJXzBRTFJmUnlHQlAxVTYwU2J5Mnc"
    );
    // A token value published in a public Kibana setup guide decodes as Elasticsearch does.
    let (id, secret) =
        decode_bearer("AAEAAWVsYXN0aWMva2liYW5hL3Rva2VuMTpGb2VCWFdHc1FobVF4ZjBUT2J4a1ZR").unwrap();
    assert_eq!(id, "elastic/kibana/token1");
    assert_eq!(secret.as_str(), "FoeBXWGsQhmQxf0TObxkVQ");
}

#[test]
fn stretch_hash_matches_python_hashlib() {
    // python3: salt = bytes(range(32)); secret = b"esmtls-test-secret-0123456789"
    // pw = hashlib.sha512(secret).hexdigest().encode()
    // base64.b64encode(hashlib.pbkdf2_hmac("sha512", pw, salt, 10000, 32))
    let salt: Vec<u8> = (0u8..32).collect();
    assert_eq!(
        stretch_hash("esmtls-test-secret-0123456789", &salt, 10_000),
        "{PBKDF2_STRETCH}10000$AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=$Fj7TyhtFCJ55QqTCO6vyyPnxciFZ88f/ebTUJBzd5mM="
    );
}

#[test]
fn new_token_round_trips() {
    let t = new_token(KIBANA_SERVICE, "esmtls-1").unwrap();
    assert_eq!(t.name, "esmtls-1");
    assert_eq!(t.id(), "elastic/kibana/esmtls-1");
    assert!(
        t.line
            .starts_with("elastic/kibana/esmtls-1:{PBKDF2_STRETCH}10000$")
    );
    assert!(!t.line.contains(t.bearer.expose()));
    assert!(!format!("{t:?}").contains(t.bearer.expose()));
    let (id, secret) = decode_bearer(t.bearer.expose()).unwrap();
    assert_eq!(id, "elastic/kibana/esmtls-1");
    // 16 bytes, URL-safe base64, UUID v4 version and variant bits.
    assert_eq!(secret.len(), 22);
    let raw = URL_SAFE_NO_PAD.decode(secret.as_str()).unwrap();
    assert_eq!((raw[6] >> 4, raw[8] >> 6), (4, 2));
    let file = merge("# tokens\n", &t.line);
    assert_eq!(verify(&file, t.bearer.expose()).as_deref(), Some(t.id()));
    let other = new_token(KIBANA_SERVICE, "esmtls-1").unwrap();
    assert_ne!(other.bearer, t.bearer);
    assert_eq!(verify(&file, other.bearer.expose()), None);
}

#[test]
fn invalid_names_are_refused_in_one_line() {
    for bad in ["", "_x", "a b", "a/b", "a:b", "é", &"a".repeat(257)] {
        let e = new_token(KIBANA_SERVICE, bad).unwrap_err();
        assert!(e.starts_with("invalid service token name ["), "{e}");
        assert!(!e.contains('\n'));
    }
    for good in ["a", "-a", "A_b-9", &"a".repeat(256)] {
        assert!(check_name(good).is_ok(), "{good}");
    }
    for bad in ["kibana", "elastic/kibana/x", "elastic/", "el astic/kibana"] {
        let e = new_token(bad, "ok").unwrap_err();
        assert!(e.starts_with("invalid service account ["), "{e}");
    }
}

#[test]
fn merge_adds_replaces_and_keeps_comments() {
    let before = "# managed by hand\nelastic/fleet-server/a:{PBKDF2}x\n\n# kibana\nelastic/kibana/k:{PBKDF2_STRETCH}old\n  # indented\nelastic/kibana/z:{PBKDF2}z";
    let after = merge(before, "elastic/kibana/k:{PBKDF2_STRETCH}new");
    assert_eq!(
        after,
        "# managed by hand\nelastic/fleet-server/a:{PBKDF2}x\n\n# kibana\nelastic/kibana/k:{PBKDF2_STRETCH}new\n  # indented\nelastic/kibana/z:{PBKDF2}z\n"
    );
    assert_eq!(merge(&after, "elastic/kibana/k:{PBKDF2_STRETCH}new"), after);
    let added = merge(&after, "elastic/kibana/n:{PBKDF2}n");
    assert_eq!(added, format!("{after}elastic/kibana/n:{{PBKDF2}}n\n"));
    assert_eq!(merge("", "elastic/kibana/n:h"), "elastic/kibana/n:h\n");
    // CRLF files stay CRLF; a duplicate id (the later line wins in Elasticsearch) collapses.
    assert_eq!(
        merge(
            "a/b/c:1\r\nelastic/kibana/k:2\r\nelastic/kibana/k:3",
            "elastic/kibana/k:4"
        ),
        "a/b/c:1\r\nelastic/kibana/k:4\r\n"
    );
    // A commented-out line is not the token's line.
    assert_eq!(
        merge("#elastic/kibana/k:1\n", "elastic/kibana/k:2"),
        "#elastic/kibana/k:1\nelastic/kibana/k:2\n"
    );
}

#[test]
fn has_and_remove() {
    let text = "# c\nelastic/kibana/k:{PBKDF2}a\nelastic/kibana/p:{plain}x\n#elastic/kibana/q:{PBKDF2}a\nelastic/fleet-server/k:{PBKDF2}b\n";
    assert!(has_token(text, KIBANA_SERVICE, "k"));
    assert!(
        !has_token(text, KIBANA_SERVICE, "p"),
        "plaintext lines are skipped"
    );
    assert!(!has_token(text, KIBANA_SERVICE, "q"));
    assert!(has_token(text, "elastic/fleet-server", "k"));
    let removed = remove(text, KIBANA_SERVICE, "k");
    assert_eq!(
        removed,
        "# c\nelastic/kibana/p:{plain}x\n#elastic/kibana/q:{PBKDF2}a\nelastic/fleet-server/k:{PBKDF2}b\n"
    );
    assert_eq!(remove(&removed, KIBANA_SERVICE, "k"), removed);
}

#[test]
fn a_line_without_colon_voids_the_file() {
    let t = new_token(KIBANA_SERVICE, "k").unwrap();
    let file = merge("", &t.line);
    assert!(check(&file).is_ok());
    let broken = format!("{file}  # an indented comment is not a comment\n");
    let e = check(&broken).unwrap_err();
    assert!(e.starts_with("service_tokens line 2 has no ':'"), "{e}");
    assert_eq!(verify(&broken, t.bearer.expose()), None);
}

#[test]
fn the_last_hashed_line_wins() {
    let t = new_token(KIBANA_SERVICE, "k").unwrap();
    let stale = "elastic/kibana/k:{PBKDF2_STRETCH}10000$AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=$Fj7TyhtFCJ55QqTCO6vyyPnxciFZ88f/ebTUJBzd5mM=";
    let file = format!("{}\n{stale}\n", t.line);
    assert_eq!(verify(&file, t.bearer.expose()), None);
    let file = format!("{stale}\n{}\nelastic/kibana/k:plaintext\n", t.line);
    assert_eq!(verify(&file, t.bearer.expose()).as_deref(), Some(t.id()));
}

#[test]
fn garbage_bearers_do_not_verify() {
    for b in ["", "not base64!", "AAEAAQ", "AAEAAWVsYXN0aWMva2liYW5h"] {
        assert_eq!(verify(ES_FILE, b), None, "{b}");
    }
}

#[test]
fn a_kibana_token_names_itself() {
    // Kibana's enrollment token, as kibana.yml holds it after interactive setup.
    let enroll = "AAEAAWVsYXN0aWMva2liYW5hL2Vucm9sbC1wcm9jZXNzLXRva2VuLTE3MDAwMDAwMDAwMDA6ZXNtdGxzLXRlc3QtZmFrZS10b2tlbg";
    assert_eq!(
        kibana_token_name(enroll).as_deref(),
        Some("enroll-process-token-1700000000000")
    );
    let t = new_token(KIBANA_SERVICE, "esmtls-1").unwrap();
    assert_eq!(
        kibana_token_name(t.bearer.expose()).as_deref(),
        Some("esmtls-1")
    );
    let fleet = new_token("elastic/fleet-server", "f1").unwrap();
    assert_eq!(kibana_token_name(fleet.bearer.expose()), None);
    assert_eq!(kibana_token_name("not a token"), None);
}
