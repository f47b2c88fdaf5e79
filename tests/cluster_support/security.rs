//! The security APIs, whose effects are cluster-wide (kept in [`State`] as the
//! real cluster keeps them in its security index): role mappings, service
//! tokens, reserved users' passwords.
//!
//! Shapes and rules, from elastic/elasticsearch and its specification:
//! * role mappings — `ExpressionRoleMapping.java` (`roles`, `rules` and
//!   `enabled` are required: "failed to parse role-mapping [..]. missing field
//!   [..]", an `IllegalStateException`, so a 500), `PutRoleMappingResponse`
//!   `{"role_mapping":{"created":bool}}`, `GET` answers `{name: mapping}` or
//!   404 `{}` (`RestGetRoleMappingsAction`);
//! * service tokens — `CreateServiceAccountTokenResponse`
//!   `{"created":true,"token":{"name","value"}}`, the name rule of
//!   `ServiceAccountToken` / `Validation`, a duplicate name is a version
//!   conflict (409), `DELETE` answers `{"found":bool}` with 404 when not found,
//!   `GET .../credential` lists index tokens and every node's file tokens
//!   (`GetServiceAccountCredentialsResponse`);
//! * passwords — `ChangePasswordRequest` (at least 6 characters: "passwords
//!   must be at least [6] characters long"), `{}` on success; users may
//!   change their own, `manage_security` anyone's.

use base64::Engine;
use serde_json::{Map, Value as Json, json};

use super::Shared;
use super::api::{error, manage_security};
use super::auth::Who;
use super::node::RESERVED;
use super::tokens;
use crate::es_support::{Reply, Seen};

/// Answers a security API request (anything `api` does not).
pub fn handle(seen: &Seen, who: &Who, shared: &Shared) -> Reply {
    let segs: Vec<&str> = seen.path.trim_matches('/').split('/').collect();
    let r = match seen.api.as_str() {
        "security.get_role_mapping" => {
            manage_security(who, "cluster:admin/xpack/security/role_mapping/get")
                .map(|()| get_mapping(segs.get(2).copied(), shared))
        }
        "security.put_role_mapping" => {
            manage_security(who, "cluster:admin/xpack/security/role_mapping/put")
                .map(|()| put_mapping(segs[2], seen, shared))
        }
        "security.create_service_token" => manage_security(
            who,
            "cluster:admin/xpack/security/service_account/token/create",
        )
        .map(|()| create_token(&segs, shared)),
        "security.delete_service_token" => manage_security(
            who,
            "cluster:admin/xpack/security/service_account/token/delete",
        )
        .map(|()| delete_token(&segs, shared)),
        "security.get_service_credentials" => manage_security(
            who,
            "cluster:admin/xpack/security/service_account/credential/get",
        )
        .map(|()| credentials(&segs, shared)),
        "security.change_password" => {
            // /_security/user/_password is the caller's own.
            let user = if segs.len() == 4 {
                segs[2]
            } else {
                &who.username
            };
            let own = user == who.username && who.reserved;
            let allowed = if own {
                Ok(())
            } else {
                manage_security(who, "cluster:admin/xpack/security/user/change_password")
            };
            allowed.map(|()| change_password(user, seen, shared))
        }
        other => Ok(error(
            500,
            "illegal_state_exception",
            &format!("the fake cluster does not model [{other}]"),
        )),
    };
    r.unwrap_or_else(|e| e)
}

fn get_mapping(names: Option<&str>, shared: &Shared) -> Reply {
    let st = shared.state.lock().unwrap();
    let mut out = Map::new();
    for (name, m) in &st.mappings {
        if names.is_none_or(|n| n.split(',').any(|x| x == name)) {
            out.insert(name.clone(), m.clone());
        }
    }
    if names.is_some() && out.is_empty() {
        return Reply::new(404, "{}");
    }
    Reply::new(200, Json::Object(out).to_string())
}

fn put_mapping(name: &str, seen: &Seen, shared: &Shared) -> Reply {
    let Ok(body) = serde_json::from_slice::<Json>(&seen.body) else {
        return error(400, "parse_exception", "request body is required");
    };
    for field in ["roles", "rules", "enabled"] {
        if body.get(field).is_none_or(Json::is_null) {
            return error(
                500,
                "illegal_state_exception",
                &format!("failed to parse role-mapping [{name}]. missing field [{field}]"),
            );
        }
    }
    let mapping = json!({
        "enabled": body["enabled"], "roles": body["roles"], "rules": body["rules"],
        "metadata": body.get("metadata").cloned().unwrap_or_else(|| json!({}))
    });
    let mut st = shared.state.lock().unwrap();
    let created = st.mappings.insert(name.to_string(), mapping).is_none();
    Reply::new(
        200,
        json!({"role_mapping": {"created": created}}).to_string(),
    )
}

/// `/_security/service/{ns}/{service}/credential/token[/{name}]`.
fn token_path(segs: &[&str]) -> (String, Option<String>) {
    (
        format!("{}/{}", segs[2], segs[3]),
        segs.get(6).map(|s| s.to_string()),
    )
}

fn valid_token_name(n: &str) -> bool {
    let mut chars = n.chars();
    let ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    n.len() <= 256 && chars.next().is_some_and(|c| ok(c) && c != '_') && chars.all(ok)
}

fn create_token(segs: &[&str], shared: &Shared) -> Reply {
    let (account, name) = token_path(segs);
    let name = name.unwrap_or_else(|| format!("token_{}", random_b64(15)));
    if !valid_token_name(&name) {
        return error(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: service account token name must have at least 1 character and at most 256 characters that are alphanumeric (A-Z, a-z, 0-9) or hyphen (-) or underscore (_). It must not begin with an underscore (_).;",
        );
    }
    let qualified = format!("{account}/{name}");
    let mut st = shared.state.lock().unwrap();
    if st.tokens.contains_key(&qualified) {
        return error(
            409,
            "version_conflict_engine_exception",
            &format!(
                "[service_account_token-{qualified}]: version conflict, document already exists (current version [1])"
            ),
        );
    }
    // UUIDs.randomBase64UUIDSecureString: 22 URL-safe Base64 characters.
    let secret = random_b64(16);
    st.tokens.insert(qualified, secret.clone());
    let value = tokens::bearer(&account, &name, &secret);
    Reply::new(
        200,
        json!({"created": true, "token": {"name": name, "value": value}}).to_string(),
    )
}

fn delete_token(segs: &[&str], shared: &Shared) -> Reply {
    let (account, name) = token_path(segs);
    let qualified = format!("{account}/{}", name.unwrap_or_default());
    let found = shared
        .state
        .lock()
        .unwrap()
        .tokens
        .remove(&qualified)
        .is_some();
    Reply::new(
        if found { 200 } else { 404 },
        json!({"found": found}).to_string(),
    )
}

/// `/_security/service/{ns}/{service}/credential`.
fn credentials(segs: &[&str], shared: &Shared) -> Reply {
    let account = format!("{}/{}", segs[2], segs[3]);
    let prefix = format!("{account}/");
    let index: Map<String, Json> = {
        let st = shared.state.lock().unwrap();
        st.tokens
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .map(|n| (n.to_string(), json!({})))
            .collect()
    };
    let running: Vec<_> = {
        let v = shared.views.lock().unwrap();
        v.iter().filter(|v| v.running).cloned().collect()
    };
    let mut files: Map<String, Json> = Map::new();
    for v in &running {
        for t in v.file_tokens.iter().filter_map(|t| t.strip_prefix(&prefix)) {
            let e = files
                .entry(t.to_string())
                .or_insert_with(|| json!({"nodes": []}));
            e["nodes"]
                .as_array_mut()
                .expect("a list")
                .push(json!(v.name));
        }
    }
    let n = running.len();
    Reply::new(
        200,
        json!({
            "service_account": account, "count": index.len() + files.len(), "tokens": index,
            "nodes_credentials": {
                "_nodes": {"total": n, "successful": n, "failed": 0},
                "file_tokens": files
            }
        })
        .to_string(),
    )
}

fn change_password(user: &str, seen: &Seen, shared: &Shared) -> Reply {
    let body: Json = serde_json::from_slice(&seen.body).unwrap_or(Json::Null);
    let Some(pw) = body["password"].as_str() else {
        return error(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: passwords must be at least [6] characters long;",
        );
    };
    if pw.chars().count() < 6 {
        return error(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: passwords must be at least [6] characters long;",
        );
    }
    if !RESERVED.contains(&user) {
        return error(
            404,
            "resource_not_found_exception",
            &format!("user [{user}] does not exist (the fake cluster has only the reserved users)"),
        );
    }
    let mut st = shared.state.lock().unwrap();
    st.passwords.insert(user.to_string(), pw.to_string());
    Reply::new(200, "{}")
}

fn random_b64(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    aws_lc_rs::rand::fill(&mut buf).expect("random bytes");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}
