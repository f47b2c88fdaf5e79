//! [`EsError`]: every way a call to Elasticsearch fails, each message naming
//! what was tried and what to do next.
//!
//! Invariants: no message contains a secret (passwords, tokens and API keys
//! never reach this module); TLS failures never suggest weakening verification
//! (`verificationMode: none` / `certificate`) — they point at the CA file, the
//! host name or the certificate to re-issue instead; ES's own JSON error body
//! (`{"error":{"type","reason"},"status"}`) is quoted when there is one.

use serde::Deserialize;

/// Why a call to Elasticsearch failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EsError {
    /// The input is unusable (URL, fingerprint, token name, CA file, missing secret).
    #[error("{0}")]
    Invalid(String),
    /// An environment variable holding credentials is incomplete or unreadable.
    #[error("{variable}: {reason}")]
    Env {
        /// The variable to fix.
        variable: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No TCP connection: refused, DNS failure, no route, timeout.
    #[error(
        "cannot reach Elasticsearch at {url}: {reason}; the cluster may be down or the address wrong \
         (esmtls can write the requests to a file instead, for you to run once the cluster is up)"
    )]
    Unreachable {
        /// The endpoint URL.
        url: String,
        /// What happened (refused, host not found, timed out after N s).
        reason: String,
    },
    /// The connection was closed without a TLS alert or an HTTP answer.
    #[error(
        "Elasticsearch at {url} closed the connection without answering ({detail}); when \
         xpack.security.http.ssl.client_authentication is required, a missing or untrusted client \
         certificate does this; otherwise check that {url} is the node's HTTPS port"
    )]
    Closed {
        /// The endpoint URL.
        url: String,
        /// The I/O error.
        detail: String,
    },
    /// The server's certificate does not chain to any CA given.
    #[error(
        "the certificate of {url} is not signed by the CA esmtls was given ({reason}).\n  presented by the server: {}\n  CA tried: {}\n\
         Give the CA that issued the node's HTTP certificate (e.g. config/certs/http_ca.crt, or the `ca` entry of \
         elastic-stack-ca.p12), or its SHA-256 fingerprint",
        presented.join("; "), tried.join("; ")
    )]
    UntrustedServer {
        /// The endpoint URL.
        url: String,
        /// rustls's reason.
        reason: String,
        /// The presented chain, leaf first: "subject (issued by …, SHA-256 …)".
        presented: Vec<String>,
        /// The CA files or certificates tried.
        tried: Vec<String>,
    },
    /// The host in the URL is not among the server certificate's subject alternative names.
    #[error(
        "the certificate of {url} is not valid for '{host}'; its subject alternative names are: {}. \
         Connect with a name or IP listed there, or re-issue the node's HTTP certificate with '{host}' \
         added (esmtls cert issue --server --dns/--ip)",
        if sans.is_empty() { "(none)".to_string() } else { sans.join(", ") }
    )]
    HostnameMismatch {
        /// The endpoint URL.
        url: String,
        /// The host connected to.
        host: String,
        /// The SANs of the presented certificate (`DNS:x`, `IP:y`).
        sans: Vec<String>,
    },
    /// No certificate in the presented chain has the pinned fingerprint.
    #[error(
        "no certificate presented by {url} has the SHA-256 fingerprint {expected}; presented: {}. \
         Check the fingerprint (ES prints it at first start; `esmtls cert inspect` shows it for a file)",
        presented.join("; ")
    )]
    FingerprintMismatch {
        /// The endpoint URL.
        url: String,
        /// The fingerprint asked for, normalised.
        expected: String,
        /// Each presented certificate with its fingerprint.
        presented: Vec<String>,
    },
    /// The server refused the TLS connection because of the client certificate.
    #[error("Elasticsearch at {url} refused the TLS connection ({alert}): {hint}")]
    ClientCertRefused {
        /// The endpoint URL.
        url: String,
        /// The TLS alert received.
        alert: String,
        /// What it means here.
        hint: String,
    },
    /// Another TLS failure (expired certificate, protocol mismatch...).
    #[error("TLS with {url} failed: {reason}")]
    Tls {
        /// The endpoint URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// Another transport failure.
    #[error("talking to {url} failed: {reason}")]
    Transport {
        /// The endpoint URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// HTTP 401: the credentials were not accepted.
    #[error(
        "Elasticsearch did not accept {auth} for {request}: {reason}; check them (a wrong password, \
         a deleted token or API key, or a user that does not exist)"
    )]
    Unauthorized {
        /// Method and path.
        request: String,
        /// Which credentials, and where they came from.
        auth: String,
        /// ES's reason.
        reason: String,
    },
    /// HTTP 403: authenticated, but the user lacks a privilege.
    #[error(
        "the user is not allowed to run {request} (action {action}): {reason}; use a user with the \
         privilege it names, e.g. one with the superuser or manage_security role"
    )]
    Forbidden {
        /// Method and path.
        request: String,
        /// The action from ES's reason (`cluster:admin/...`), or "unknown".
        action: String,
        /// ES's reason.
        reason: String,
    },
    /// The cluster's license does not allow the feature.
    #[error(
        "the cluster's license does not allow {request}: {reason}; check GET /_license (a PKI realm \
         needs Platinum, Enterprise or a trial)"
    )]
    License {
        /// Method and path.
        request: String,
        /// ES's reason.
        reason: String,
    },
    /// HTTP 404.
    #[error("{request}: not found ({reason})")]
    NotFound {
        /// Method and path.
        request: String,
        /// ES's reason, if any.
        reason: String,
    },
    /// HTTP 5xx: the cluster failed.
    #[error(
        "Elasticsearch failed on {request} (HTTP {status}): {reason}; look at the node's log, \
         and retry once the cluster is healthy"
    )]
    Server {
        /// Method and path.
        request: String,
        /// The status code.
        status: u16,
        /// ES's reason.
        reason: String,
    },
    /// Another HTTP error status.
    #[error("Elasticsearch refused {request} (HTTP {status}): {reason}")]
    Http {
        /// Method and path.
        request: String,
        /// The status code.
        status: u16,
        /// ES's reason.
        reason: String,
    },
    /// A success status with a body that is not what the API documents.
    #[error(
        "unexpected answer to {request}: {reason}; is {url} an Elasticsearch node (and not a proxy or Kibana)?"
    )]
    UnexpectedBody {
        /// The endpoint URL.
        url: String,
        /// Method and path.
        request: String,
        /// What did not fit.
        reason: String,
    },
}

/// ES's JSON error body: `error` is an object with `type`/`reason` (or, rarely, a string).
#[derive(Deserialize)]
struct Body {
    error: ErrorField,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ErrorField {
    Object {
        #[serde(rename = "type")]
        kind: Option<String>,
        reason: Option<String>,
    },
    Text(String),
}

/// The `type` and `reason` of an ES error body; the raw text (shortened) when it is not one.
pub(crate) fn parse_error_body(body: &[u8]) -> (Option<String>, String) {
    match serde_json::from_slice::<Body>(body) {
        Ok(Body {
            error: ErrorField::Object { kind, reason },
        }) => {
            let reason = reason.or_else(|| kind.clone()).unwrap_or_default();
            (kind, reason)
        }
        Ok(Body {
            error: ErrorField::Text(t),
        }) => (None, t),
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            if text.is_empty() {
                (None, "no error body".into())
            } else {
                (None, text.chars().take(300).collect())
            }
        }
    }
}

/// Turns an HTTP error status into an [`EsError`].
pub(crate) fn from_status(status: u16, body: &[u8], request: String, auth: String) -> EsError {
    let (kind, reason) = parse_error_body(body);
    let lower = reason.to_ascii_lowercase();
    if kind.as_deref() == Some("security_exception") && lower.contains("license") {
        return EsError::License { request, reason };
    }
    match status {
        401 => EsError::Unauthorized {
            request,
            auth,
            reason,
        },
        403 => EsError::Forbidden {
            request,
            action: action_of(&reason).unwrap_or_else(|| "unknown".into()),
            reason,
        },
        404 => EsError::NotFound { request, reason },
        500..=599 => EsError::Server {
            request,
            status,
            reason,
        },
        _ => EsError::Http {
            request,
            status,
            reason,
        },
    }
}

/// The `action [x]` named in a 403 reason.
fn action_of(reason: &str) -> Option<String> {
    let start = reason.find("action [")? + "action [".len();
    let end = reason[start..].find(']')?;
    Some(reason[start..start + end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_es_error_bodies() {
        let forbidden = br#"{"error":{"type":"security_exception","reason":"action [cluster:admin/xpack/security/role_mapping/put] is unauthorized for user [kibana_system]"},"status":403}"#;
        match from_status(403, forbidden, "PUT /x".into(), "a".into()) {
            EsError::Forbidden { action, .. } => {
                assert_eq!(action, "cluster:admin/xpack/security/role_mapping/put")
            }
            e => panic!("{e}"),
        }
        let license = br#"{"error":{"type":"security_exception","reason":"current license is non-compliant for [security]"},"status":403}"#;
        assert!(matches!(
            from_status(403, license, "GET /".into(), "a".into()),
            EsError::License { .. }
        ));
        let e = from_status(502, b"<html>bad gateway</html>", "GET /".into(), "a".into());
        assert!(
            e.to_string()
                .contains("HTTP 502): <html>bad gateway</html>")
        );
        assert_eq!(parse_error_body(br#"{"error":"old style"}"#).1, "old style");
    }
}
