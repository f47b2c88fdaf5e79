//! Transport failures → [`EsError`]: which of "the cluster is down", "the CA
//! is wrong", "the host name is not in the certificate", "the client
//! certificate was refused" happened.
//!
//! Invariants: rustls errors are found inside ureq's I/O errors by downcasting;
//! when the server certificate is rejected, the chain is read once more with a
//! capturing handshake (nothing sent) so the message can name what the server
//! presented and its subject alternative names. Nothing here suggests turning
//! verification off.

use std::io::ErrorKind;

use super::transport::Target;
use super::{EsError, tls};

fn rustls_error(e: &ureq::Error) -> Option<rustls::Error> {
    match e {
        ureq::Error::Rustls(r) => Some(r.clone()),
        ureq::Error::Io(io) => io
            .get_ref()
            .and_then(|i| i.downcast_ref::<rustls::Error>())
            .cloned(),
        _ => None,
    }
}

/// Turns a ureq failure into an [`EsError`] that says what to do.
pub(crate) fn classify(e: ureq::Error, t: &Target, sent_cert: bool, tried: &[String]) -> EsError {
    let url = t.url.clone();
    if let Some(r) = rustls_error(&e) {
        return classify_tls(r, t, sent_cert, tried);
    }
    let unreachable = |reason: String| EsError::Unreachable {
        url: url.clone(),
        reason,
    };
    let secs = t.timeout.as_secs();
    match e {
        ureq::Error::HostNotFound => {
            unreachable(format!("the host name '{}' does not resolve", t.host))
        }
        ureq::Error::ConnectionFailed => {
            unreachable("the connection was refused or there is no route to the host".into())
        }
        ureq::Error::Timeout(what) => unreachable(format!("no answer within {secs} s ({what})")),
        ureq::Error::ConnectProxyFailed(r) => {
            unreachable(format!("the proxy refused to connect: {r}"))
        }
        ureq::Error::Io(io) => match io.kind() {
            ErrorKind::ConnectionRefused => {
                unreachable("connection refused (nothing listens on that port)".into())
            }
            ErrorKind::TimedOut | ErrorKind::WouldBlock => {
                unreachable(format!("no answer within {secs} s"))
            }
            ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::AddrNotAvailable => unreachable(io.to_string()),
            ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::UnexpectedEof
            | ErrorKind::BrokenPipe => EsError::Closed {
                url,
                detail: io.to_string(),
            },
            _ => EsError::Transport {
                url,
                reason: io.to_string(),
            },
        },
        other => EsError::Transport {
            url,
            reason: other.to_string(),
        },
    }
}

fn classify_tls(r: rustls::Error, t: &Target, sent_cert: bool, tried: &[String]) -> EsError {
    use rustls::CertificateError as C;
    let url = t.url.clone();
    let chain = || tls::presented_chain(&t.url, &t.host, t.port, t.timeout);
    let tls_err = |reason: String| EsError::Tls {
        url: url.clone(),
        reason,
    };
    match r {
        rustls::Error::InvalidCertificate(C::NotValidForName) => EsError::HostnameMismatch {
            url: url.clone(),
            host: t.host.clone(),
            sans: chain()
                .ok()
                .and_then(|c| c.first().map(|l| tls::sans(l)))
                .unwrap_or_default(),
        },
        rustls::Error::InvalidCertificate(C::NotValidForNameContext { presented, .. }) => {
            EsError::HostnameMismatch {
                url: url.clone(),
                host: t.host.clone(),
                sans: chain()
                    .ok()
                    .and_then(|c| c.first().map(|l| tls::sans(l)))
                    .unwrap_or(presented),
            }
        }
        rustls::Error::InvalidCertificate(ref ce) if tls::is_untrusted(ce) => {
            let reason = match ce {
                C::UnknownIssuer => "no CA given issued it".to_string(),
                _ => format!(
                    "its signature does not verify with the CA given ({ce:?}) — a different CA with the same name?"
                ),
            };
            EsError::UntrustedServer {
                url: url.clone(),
                reason,
                presented: match chain() {
                    Ok(c) => c.iter().map(|d| tls::describe(d)).collect(),
                    Err(e) => vec![format!("(could not read it: {e})")],
                },
                tried: tried.to_vec(),
            }
        }
        rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => tls_err(
            "the node's HTTP certificate has expired; issue a new one with the same file names \
             (esmtls cert issue --server) and the node reloads it"
                .into(),
        ),
        rustls::Error::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            tls_err(
                "the node's HTTP certificate is not valid yet; check the clocks of both machines"
                    .into(),
            )
        }
        rustls::Error::InvalidCertificate(ce) => {
            tls_err(format!("the node's HTTP certificate was rejected: {ce:?}"))
        }
        rustls::Error::AlertReceived(alert) => match tls::client_cert_alert(alert, sent_cert) {
            Some(hint) => EsError::ClientCertRefused {
                url: url.clone(),
                alert: format!("{alert:?}"),
                hint,
            },
            None => tls_err(format!("the server sent the TLS alert {alert:?}")),
        },
        other => tls_err(other.to_string()),
    }
}
