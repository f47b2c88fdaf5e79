//! The ureq side: parsing the endpoint URL, building the agent (trust, client
//! certificate, proxy, timeouts), building request bodies with the secret
//! spliced in, and classifying transport failures into [`EsError`]s.
//!
//! Invariants: redirects are not followed (an ES node never redirects; a
//! redirect means a proxy or Kibana answered); HTTP error statuses come back
//! as responses so ES's error body can be read; loopback hosts never go
//! through a proxy; the secret-bearing body is built in one zeroized buffer of
//! exactly the right size, so no partial copy is left by reallocation.

use std::net::IpAddr;
use std::time::Duration;

use base64::Engine;
use serde_json::{Map, Value};
use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig, TlsProvider};
use zeroize::Zeroizing;

use super::{ApiRequest, ClientIdentity, EsError, tls};
use crate::secret::Secret;

/// The parsed endpoint.
pub(crate) struct Target {
    /// `https://host:port`, no trailing slash.
    pub url: String,
    /// The host without brackets.
    pub host: String,
    /// The port (443 when absent).
    pub port: u16,
    /// Connect and read timeout.
    pub timeout: Duration,
}

impl Target {
    pub(crate) fn parse(url: &str, timeout: Duration) -> Result<Target, EsError> {
        let bad = |why: &str| {
            EsError::Invalid(format!("'{url}' is not a usable Elasticsearch URL: {why}"))
        };
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => rest,
            Some(_) => return Err(bad("esmtls only talks HTTPS; use https://host:9200")),
            None => return Err(bad("write it as https://host:9200")),
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if !(path.is_empty() || path == "/") {
            return Err(bad("give only https://host:port, without a path"));
        }
        if authority.contains('@') {
            return Err(bad(
                "credentials do not belong in the URL; use ESMTLS_ES_USERNAME/ESMTLS_ES_PASSWORD",
            ));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(|| bad("unclosed '['"))?;
            (h, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let port = match port {
            Some(p) => p.parse().map_err(|_| bad("the port is not a number"))?,
            None => 443,
        };
        Ok(Target {
            url: format!("https://{authority}"),
            host: host.to_string(),
            port,
            timeout,
        })
    }

    /// localhost, 127.0.0.0/8 or ::1.
    pub(crate) fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

/// The agent for `target`, trusting `roots` and presenting `client`.
pub(crate) fn agent(
    target: &Target,
    roots: &[Vec<u8>],
    client: Option<&ClientIdentity>,
) -> Result<ureq::Agent, EsError> {
    let roots: Vec<Certificate<'static>> = roots
        .iter()
        .map(|d| Certificate::from_der(d).to_owned())
        .collect();
    let mut tls_cfg = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(tls::provider())
        .root_certs(RootCerts::new_with_certs(&roots));
    if let Some(id) = client {
        let chain: Vec<Certificate<'static>> = id
            .chain_der
            .iter()
            .map(|d| Certificate::from_der(d).to_owned())
            .collect();
        // ureq does not export KeyKind, so PrivateKey::from_der cannot be called: go through PEM.
        let pem = pkcs8_pem(&id.key_pkcs8_der);
        let key = PrivateKey::from_pem(pem.as_bytes())
            .map_err(|e| EsError::Invalid(format!("the client key cannot be used: {e}")))?;
        tls_cfg = tls_cfg.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
    }
    let t = Some(target.timeout);
    let mut cfg = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .user_agent(format!("esmtls/{}", env!("CARGO_PKG_VERSION")))
        .timeout_connect(t)
        .timeout_send_request(t)
        .timeout_recv_response(t)
        .timeout_recv_body(t)
        .tls_config(tls_cfg.build());
    if target.is_loopback() {
        cfg = cfg.proxy(None);
    }
    Ok(cfg.build().new_agent())
}

/// PEM text for a PKCS#8 key, built in zeroized memory.
fn pkcs8_pem(der: &[u8]) -> Zeroizing<String> {
    let b64 = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(der));
    let mut pem = Zeroizing::new(String::with_capacity(b64.len() + b64.len() / 64 + 64));
    pem.push_str("-----BEGIN PRIVATE KEY-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    pem
}

/// The body bytes of `req`, with `secret` in its slot.
pub(crate) fn request_body(
    req: &ApiRequest,
    secret: Option<&Secret>,
) -> Result<Zeroizing<Vec<u8>>, EsError> {
    let json =
        |e: serde_json::Error| EsError::Invalid(format!("cannot encode {}: {e}", req.line()));
    let (slot, secret) = match (&req.secret, secret) {
        (None, None) => {
            let bytes = match &req.body {
                Some(b) => serde_json::to_vec(b).map_err(json)?,
                None => Vec::new(),
            };
            return Ok(Zeroizing::new(bytes));
        }
        (Some(slot), None) => {
            return Err(EsError::Invalid(format!(
                "{} needs a secret ({}) and none was given",
                req.line(),
                slot.placeholder
            )));
        }
        (None, Some(_)) => {
            return Err(EsError::Invalid(format!("{} takes no secret", req.line())));
        }
        (Some(slot), Some(secret)) => (slot, secret),
    };
    let mut rest = match &req.body {
        Some(Value::Object(m)) => m.clone(),
        None => Map::new(),
        Some(_) => {
            return Err(EsError::Invalid(format!(
                "{}: a secret can only go into a JSON object body",
                req.line()
            )));
        }
    };
    rest.remove(&slot.field);
    let rest = serde_json::to_vec(&Value::Object(rest)).map_err(json)?;
    let key = serde_json::to_string(&slot.field).map_err(json)?;
    let value = Zeroizing::new(serde_json::to_string(secret.expose()).map_err(json)?);
    let mut out = Zeroizing::new(Vec::with_capacity(2 + key.len() + value.len() + rest.len()));
    out.push(b'{');
    out.extend_from_slice(key.as_bytes());
    out.push(b':');
    out.extend_from_slice(value.as_bytes());
    if rest.len() > 2 {
        out.push(b',');
        out.extend_from_slice(&rest[1..]);
    } else {
        out.push(b'}');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::es::requests;

    #[test]
    fn parses_endpoint_urls() {
        let d = Duration::from_secs(1);
        let t = Target::parse("https://[::1]:9200/", d).unwrap();
        assert_eq!(
            (t.url.as_str(), t.host.as_str(), t.port),
            ("https://[::1]:9200", "::1", 9200)
        );
        assert!(t.is_loopback());
        let t = Target::parse("HTTPS://es01.example:9243", d).unwrap();
        assert!(!t.is_loopback());
        assert!(
            Target::parse("https://127.1.2.3:9200", d)
                .unwrap()
                .is_loopback()
        );
        for bad in [
            "http://x:9200",
            "x:9200",
            "https://x:9200/_cat",
            "https://u:p@x:9200",
            "https://x:port",
        ] {
            assert!(Target::parse(bad, d).is_err(), "{bad}");
        }
    }

    #[test]
    fn splices_the_secret_into_the_body() {
        let r = requests::change_password("kibana_system", "<pw>");
        let body = request_body(&r, Some(&Secret::new("a\"b"))).unwrap();
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            r#"{"password":"a\"b"}"#
        );
        assert!(request_body(&r, None).is_err());
        assert!(request_body(&requests::info(), Some(&Secret::new("x"))).is_err());
        let mut r2 = r.clone();
        r2.body = Some(serde_json::json!({"refresh": "true"}));
        let body = request_body(&r2, Some(&Secret::new("p"))).unwrap();
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            r#"{"password":"p","refresh":"true"}"#
        );
    }
}
