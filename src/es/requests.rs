//! Requests as values: what a plan shows is exactly what [`super::Client::send`] runs.
//!
//! Invariants: an [`ApiRequest`] never holds a secret. A request that needs one
//! (a new password) has a [`SecretSlot`]: the top-level body field the secret
//! goes into and a placeholder the caller chose; `Display` and `Serialize`
//! show the placeholder, and only `send` puts the real value in. Path
//! parameters given by the caller are percent-encoded; token names are checked
//! with Elasticsearch's own rule before any request is built.

use std::fmt;

use serde::Serialize;
use serde_json::{Value, json};

use super::EsError;

/// The service account Kibana uses; tokens are created for it.
pub const KIBANA_SERVICE_ACCOUNT: &str = "elastic/kibana";

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// GET.
    Get,
    /// PUT.
    Put,
    /// POST.
    Post,
    /// DELETE.
    Delete,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a secret goes in the body, and what to show instead of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretSlot {
    /// The top-level body field (e.g. `password`).
    pub field: String,
    /// Shown in place of the value, e.g. `<new password, stored in kibana.keystore as elasticsearch.password>`.
    pub placeholder: String,
}

/// One Elasticsearch API call, without secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRequest {
    /// The method.
    pub method: Method,
    /// The path, starting with `/`, parameters already encoded.
    pub path: String,
    /// The JSON body (without the secret field).
    pub body: Option<Value>,
    /// The secret the body needs, if any.
    pub secret: Option<SecretSlot>,
}

impl ApiRequest {
    fn new(method: Method, path: String) -> Self {
        ApiRequest {
            method,
            path,
            body: None,
            secret: None,
        }
    }

    /// `METHOD /path`, for messages.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The body as shown: the placeholder in the secret's field.
    pub fn shown_body(&self) -> Option<Value> {
        let mut body = self.body.clone();
        if let Some(slot) = &self.secret {
            let obj = body.get_or_insert_with(|| json!({}));
            if let Some(map) = obj.as_object_mut() {
                map.insert(slot.field.clone(), Value::String(slot.placeholder.clone()));
            }
        }
        body
    }
}

/// Kibana Dev Tools console form: the request line, then the pretty JSON body.
impl fmt::Display for ApiRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line())?;
        if let Some(body) = self.shown_body() {
            let text = serde_json::to_string_pretty(&body).map_err(|_| fmt::Error)?;
            write!(f, "\n{text}")?;
        }
        Ok(())
    }
}

impl Serialize for ApiRequest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shown<'a> {
            method: Method,
            path: &'a str,
            body: Option<Value>,
        }
        Shown {
            method: self.method,
            path: &self.path,
            body: self.shown_body(),
        }
        .serialize(s)
    }
}

/// Percent-encodes one path segment (everything but RFC 3986 unreserved characters).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Checks a service token name with ES's rule `^[a-zA-Z0-9-][a-zA-Z0-9_-]{0,255}$` and its message.
pub fn validate_service_token_name(name: &str) -> Result<(), EsError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let ok = (1..=256).contains(&name.len()) && !name.starts_with('_') && name.chars().all(ok_char);
    if ok {
        Ok(())
    } else {
        Err(EsError::Invalid(format!(
            "service token name '{name}': service account token name must have at least 1 character and at most \
             256 characters that are alphanumeric (A-Z, a-z, 0-9) or hyphen (-) or underscore (_). It must not \
             begin with an underscore (_)."
        )))
    }
}

/// The body of a role mapping that gives `kibana_system` to one DN of one realm.
pub fn role_mapping_body(realm_name: &str, dn: &str) -> Value {
    json!({
        "roles": ["kibana_system"],
        "enabled": true,
        "rules": {"all": [
            {"field": {"realm.name": realm_name}},
            {"field": {"dn": dn}}
        ]},
        "metadata": {"managed_by": "esmtls"}
    })
}

/// `GET /`: name, cluster and version.
pub fn info() -> ApiRequest {
    ApiRequest::new(Method::Get, "/".into())
}

/// `GET /_license`.
pub fn license() -> ApiRequest {
    ApiRequest::new(Method::Get, "/_license".into())
}

/// `GET /_security/_authenticate`.
pub fn authenticate() -> ApiRequest {
    ApiRequest::new(Method::Get, "/_security/_authenticate".into())
}

/// `GET /_security/role_mapping/<name>`.
pub fn get_role_mapping(name: &str) -> ApiRequest {
    ApiRequest::new(
        Method::Get,
        format!("/_security/role_mapping/{}", encode_segment(name)),
    )
}

/// `PUT /_security/role_mapping/<name>` with `body` (see [`role_mapping_body`]).
pub fn put_role_mapping(name: &str, body: &Value) -> ApiRequest {
    let mut r = ApiRequest::new(
        Method::Put,
        format!("/_security/role_mapping/{}", encode_segment(name)),
    );
    r.body = Some(body.clone());
    r
}

fn token_path(name: &str) -> String {
    format!("/_security/service/{KIBANA_SERVICE_ACCOUNT}/credential/token/{name}")
}

/// `POST /_security/service/elastic/kibana/credential/token/<name>`.
pub fn create_service_token(name: &str) -> Result<ApiRequest, EsError> {
    validate_service_token_name(name)?;
    Ok(ApiRequest::new(Method::Post, token_path(name)))
}

/// `GET /_security/service/elastic/kibana/credential`.
pub fn service_credentials() -> ApiRequest {
    ApiRequest::new(
        Method::Get,
        format!("/_security/service/{KIBANA_SERVICE_ACCOUNT}/credential"),
    )
}

/// `DELETE /_security/service/elastic/kibana/credential/token/<name>`.
pub fn delete_service_token(name: &str) -> Result<ApiRequest, EsError> {
    validate_service_token_name(name)?;
    Ok(ApiRequest::new(Method::Delete, token_path(name)))
}

/// `POST /_security/user/<user>/_password` with `{"password": <secret>}`; `placeholder` is shown instead.
pub fn change_password(user: &str, placeholder: &str) -> ApiRequest {
    let mut r = ApiRequest::new(
        Method::Post,
        format!("/_security/user/{}/_password", encode_segment(user)),
    );
    r.body = Some(json!({}));
    r.secret = Some(SecretSlot {
        field: "password".into(),
        placeholder: placeholder.into(),
    });
    r
}

/// `GET /_nodes/http`: every node's HTTP publish address.
pub fn nodes_http() -> ApiRequest {
    ApiRequest::new(Method::Get, "/_nodes/http".into())
}

/// `GET /_nodes/settings`: every node's settings (secure settings excluded).
pub fn nodes_settings() -> ApiRequest {
    ApiRequest::new(Method::Get, "/_nodes/settings".into())
}

/// `GET /_cluster/health`.
pub fn cluster_health() -> ApiRequest {
    ApiRequest::new(Method::Get, "/_cluster/health".into())
}

/// `GET /_ssl/certificates`.
pub fn ssl_certificates() -> ApiRequest {
    ApiRequest::new(Method::Get, "/_ssl/certificates".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_names_follow_es() {
        for ok in ["a", "kibana-1", "-x", "A_b-9", &"x".repeat(256)] {
            assert!(validate_service_token_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "_x", "a b", "a/b", "é", &"x".repeat(257)] {
            assert!(validate_service_token_name(bad).is_err(), "{bad}");
        }
        assert!(create_service_token("../x").is_err());
    }

    #[test]
    fn shows_the_placeholder_not_a_value() {
        let r = change_password("kibana_system", "<new password>");
        assert_eq!(
            r.to_string(),
            "POST /_security/user/kibana_system/_password\n{\n  \"password\": \"<new password>\"\n}"
        );
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"method":"POST","path":"/_security/user/kibana_system/_password","body":{"password":"<new password>"}})
        );
        assert_eq!(
            get_role_mapping("a b/c").path,
            "/_security/role_mapping/a%20b%2Fc"
        );
    }
}
