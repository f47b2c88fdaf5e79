//! [`Client`]: runs [`ApiRequest`] values over HTTPS and reads the answers.
//!
//! Invariants: a client is built for one [`Endpoint`] and one [`Auth`]; trust
//! is resolved once at construction (pinning does its chain-reading handshake
//! there); a non-2xx status is always an error, except where a typed method
//! documents that 404 means "absent"; response bytes that may hold a secret
//! (a new token) are kept in zeroized memory until wrapped in a [`Secret`].

use serde::de::DeserializeOwned;
use serde_json::Value;
use zeroize::Zeroizing;

use super::responses::{
    Authenticated, License, NodeInfo, RawAuthenticated, RawCreatedToken, RawCredentials, RawFound,
    RawInfo, RawLicense, RawPutMapping, ServiceTokens, SslCertificate,
};
use super::transport::{self, Target};
use super::{ApiRequest, Auth, Endpoint, EsError, diagnose, error, requests, tls};
use crate::secret::Secret;

/// A connection to one Elasticsearch endpoint with one set of credentials.
pub struct Client {
    agent: ureq::Agent,
    target: Target,
    auth: Auth,
    auth_source: Option<String>,
    sent_cert: bool,
    tried: Vec<String>,
}

/// An answer to [`Client::send`].
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The JSON body (`Null` when empty).
    pub body: Value,
}

/// What happened when connecting without a client certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeOutcome {
    /// The server refused with a TLS alert: client certificates are required.
    Refused {
        /// The alert, e.g. `CertificateRequired` (TLS 1.3) or `BadCertificate` (TLS 1.2).
        alert: String,
    },
    /// The server closed the connection without an alert or an HTTP answer.
    Closed {
        /// The I/O error seen.
        detail: String,
    },
    /// The server answered over HTTP: a client certificate is not required.
    Accepted {
        /// The HTTP status (401 without credentials is normal).
        status: u16,
    },
}

impl HandshakeOutcome {
    /// True when the connection without a certificate did not get an HTTP answer.
    pub fn refused(&self) -> bool {
        !matches!(self, HandshakeOutcome::Accepted { .. })
    }
}

/// Connects to `endpoint` without a client certificate and sends a real
/// request (`GET /`, no credentials): under TLS 1.3 a server that requires a
/// certificate only refuses after the client has finished its handshake, so
/// the refusal shows on the first read, not in the handshake.
pub fn handshake_without_client_cert(endpoint: &Endpoint) -> Result<HandshakeOutcome, EsError> {
    let mut ep = endpoint.clone();
    ep.client = None;
    let client = Client::new(&ep, Auth::None)?;
    match client.run(&requests::info(), None) {
        Ok((status, _)) => Ok(HandshakeOutcome::Accepted { status }),
        Err(EsError::ClientCertRefused { alert, .. }) => Ok(HandshakeOutcome::Refused { alert }),
        Err(EsError::Closed { detail, .. }) => Ok(HandshakeOutcome::Closed { detail }),
        Err(e) => Err(e),
    }
}

impl Client {
    /// A client for `endpoint`; with a CA fingerprint, reads the presented chain first and pins the match.
    pub fn new(endpoint: &Endpoint, auth: Auth) -> Result<Client, EsError> {
        let target = Target::parse(&endpoint.url, endpoint.timeout)?;
        let mut roots = endpoint.ca_certs_der.clone();
        let mut tried: Vec<String> = endpoint.ca_sources.clone();
        tried.extend(roots.iter().map(|d| tls::describe(d)));
        if let Some(fp) = &endpoint.ca_fingerprint {
            let fp = tls::normalize_fingerprint(fp)?;
            let chain =
                tls::presented_chain(&target.url, &target.host, target.port, target.timeout)?;
            let pinned = tls::pin(&target.url, &chain, &fp)?;
            tried.push(format!("pinned: {}", tls::describe(&pinned)));
            roots.push(pinned);
        }
        if roots.is_empty() {
            return Err(EsError::Invalid(format!(
                "no CA to verify {}: give the CA certificate that issued the node's HTTP certificate \
                 (e.g. config/certs/http_ca.crt) or its SHA-256 fingerprint",
                target.url
            )));
        }
        let agent = transport::agent(&target, &roots, endpoint.client.as_ref())?;
        Ok(Client {
            agent,
            target,
            auth,
            auth_source: None,
            sent_cert: endpoint.client.is_some(),
            tried,
        })
    }

    /// Names where the credentials came from (e.g. `ESMTLS_ES_API_KEY`), for 401 messages.
    pub fn auth_source(mut self, source: impl Into<String>) -> Self {
        self.auth_source = Some(source.into());
        self
    }

    /// The endpoint URL.
    pub fn url(&self) -> &str {
        &self.target.url
    }

    fn auth_label(&self) -> String {
        let what = match (&self.auth, self.sent_cert) {
            (Auth::None, true) => {
                "the client certificate alone (no credentials were sent; is a PKI \
                                   realm enabled and the certificate's DN mapped to a role?)"
                    .to_string()
            }
            (Auth::None, false) => "a request without credentials (none were given)".to_string(),
            (a, _) => a.describe(),
        };
        match &self.auth_source {
            Some(s) => format!("{what} (from {s})"),
            None => what,
        }
    }

    /// Sends `req`, without judging the status.
    fn run(
        &self,
        req: &ApiRequest,
        secret: Option<&Secret>,
    ) -> Result<(u16, Zeroizing<Vec<u8>>), EsError> {
        let body = transport::request_body(req, secret)?;
        let mut b = ureq::http::Request::builder()
            .method(req.method.as_str())
            .uri(format!("{}{}", self.target.url, req.path))
            .header("accept", "application/json");
        if !body.is_empty() {
            b = b.header("content-type", "application/json");
        }
        if let Some(h) = self.auth.header() {
            let mut v = ureq::http::HeaderValue::from_str(&h).map_err(|_| {
                EsError::Invalid(format!(
                    "{} contain characters not allowed in an HTTP header",
                    self.auth.describe()
                ))
            })?;
            v.set_sensitive(true);
            b = b.header("authorization", v);
        }
        let request = b
            .body(&body[..])
            .map_err(|e| EsError::Invalid(format!("cannot build {}: {e}", req.line())))?;
        let fail = |e| diagnose::classify(e, &self.target, self.sent_cert, &self.tried);
        let mut resp = self.agent.run(request).map_err(fail)?;
        let status = resp.status().as_u16();
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(16 * 1024 * 1024)
            .read_to_vec()
            .map_err(fail)?;
        Ok((status, Zeroizing::new(bytes)))
    }

    /// Sends `req`; errors on a non-2xx status.
    fn exchange(
        &self,
        req: &ApiRequest,
        secret: Option<&Secret>,
    ) -> Result<Zeroizing<Vec<u8>>, EsError> {
        let (status, body) = self.run(req, secret)?;
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            Err(error::from_status(
                status,
                &body,
                req.line(),
                self.auth_label(),
            ))
        }
    }

    fn parse<T: DeserializeOwned>(&self, req: &ApiRequest, body: &[u8]) -> Result<T, EsError> {
        serde_json::from_slice(body).map_err(|e| EsError::UnexpectedBody {
            url: self.target.url.clone(),
            request: req.line(),
            reason: e.to_string(),
        })
    }

    fn typed<T: DeserializeOwned>(&self, req: &ApiRequest) -> Result<T, EsError> {
        let body = self.exchange(req, None)?;
        self.parse(req, &body)
    }

    /// Runs `req` as shown in a plan; `secret` fills its [`super::SecretSlot`] (and is required by one).
    pub fn send(&self, req: &ApiRequest, secret: Option<&Secret>) -> Result<ApiResponse, EsError> {
        let (status, body) = self.run(req, secret)?;
        if !(200..300).contains(&status) {
            return Err(error::from_status(
                status,
                &body,
                req.line(),
                self.auth_label(),
            ));
        }
        let body = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            self.parse(req, &body)?
        };
        Ok(ApiResponse { status, body })
    }

    /// `GET /`: node name, cluster name and version.
    pub fn info(&self) -> Result<NodeInfo, EsError> {
        self.typed::<RawInfo>(&requests::info()).map(Into::into)
    }

    /// `GET /_license`: type and status.
    pub fn license(&self) -> Result<License, EsError> {
        self.typed::<RawLicense>(&requests::license())
            .map(|l| l.license)
    }

    /// `GET /_security/_authenticate`: who these credentials (or this certificate) are.
    pub fn authenticate(&self) -> Result<Authenticated, EsError> {
        self.typed::<RawAuthenticated>(&requests::authenticate())
            .map(Into::into)
    }

    /// `GET /_security/role_mapping/<name>`: the mapping, or `None` when there is none.
    pub fn get_role_mapping(&self, name: &str) -> Result<Option<Value>, EsError> {
        let req = requests::get_role_mapping(name);
        match self.typed::<Value>(&req) {
            Ok(Value::Object(mut m)) => Ok(m.remove(name)),
            Ok(_) => Err(EsError::UnexpectedBody {
                url: self.target.url.clone(),
                request: req.line(),
                reason: "not a JSON object".into(),
            }),
            Err(EsError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `PUT /_security/role_mapping/<name>`: true when created, false when updated.
    pub fn put_role_mapping(&self, name: &str, body: &Value) -> Result<bool, EsError> {
        self.typed::<RawPutMapping>(&requests::put_role_mapping(name, body))
            .map(|r| r.role_mapping.created)
    }

    /// Creates a token for `elastic/kibana` and returns its value.
    pub fn create_service_token(&self, name: &str) -> Result<Secret, EsError> {
        let req = requests::create_service_token(name)?;
        let body = self.exchange(&req, None)?;
        let created: RawCreatedToken = self.parse(&req, &body)?;
        Ok(Secret::new(created.token.value))
    }

    /// The token names of `elastic/kibana` (index and file tokens).
    pub fn service_token_names(&self) -> Result<ServiceTokens, EsError> {
        self.typed::<RawCredentials>(&requests::service_credentials())
            .map(Into::into)
    }

    /// Deletes a token of `elastic/kibana`; false when there was none.
    pub fn delete_service_token(&self, name: &str) -> Result<bool, EsError> {
        match self.typed::<RawFound>(&requests::delete_service_token(name)?) {
            Ok(f) => Ok(f.found),
            Err(EsError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Sets `user`'s password.
    pub fn change_password(&self, user: &str, password: &Secret) -> Result<(), EsError> {
        let req = requests::change_password(user, "<new password>");
        self.exchange(&req, Some(password)).map(|_| ())
    }

    /// `GET /_ssl/certificates`: the certificates the node uses.
    pub fn ssl_certificates(&self) -> Result<Vec<SslCertificate>, EsError> {
        self.typed(&requests::ssl_certificates())
    }
}
