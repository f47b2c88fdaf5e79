//! TLS around the client: the crypto provider, reading the chain a server
//! presents, CA fingerprint pinning, and turning rustls errors into
//! [`EsError`]s that say what to fix.
//!
//! Invariants: everything runs on rustls's aws-lc-rs provider (the crate's one
//! crypto library; ring is not linked). The chain-capturing handshake accepts
//! any certificate but sends nothing: no client certificate, no request, no
//! credentials — it only reads what the server presents, for pinning and for
//! error messages. Pinning trusts exactly the presented certificate whose
//! SHA-256 matches (as Kibana's enrollment `fgr` does); the real connection then
//! verifies the chain and the host name against it as usual.

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{AlertDescription, CertificateError, DigitallySignedStruct, SignatureScheme};

use super::EsError;
use crate::pki::inspect;

/// The crypto provider used for every connection.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Normalises a SHA-256 fingerprint: colons, spaces and case tolerated; 64 hex digits required.
pub fn normalize_fingerprint(s: &str) -> Result<String, EsError> {
    let hex: String = s
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect::<String>()
        .to_ascii_lowercase();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(EsError::Invalid(format!(
            "'{s}' is not a SHA-256 fingerprint: expected 64 hexadecimal digits (colons allowed)"
        )));
    }
    Ok(hex)
}

/// The lowercase hex SHA-256 of a DER certificate.
pub(crate) fn sha256_hex(der: &[u8]) -> String {
    inspect::fingerprint(der)
        .replace(':', "")
        .to_ascii_lowercase()
}

/// "subject (issued by X, SHA-256 AB:CD:…)" for messages.
pub(crate) fn describe(der: &[u8]) -> String {
    match inspect::cert_info(der) {
        Ok(i) => format!(
            "{} (issued by {}, SHA-256 {})",
            i.subject, i.issuer, i.sha256
        ),
        Err(_) => format!(
            "an unreadable certificate (SHA-256 {})",
            inspect::fingerprint(der)
        ),
    }
}

/// The SANs of a DER certificate (`DNS:x`, `IP:y`).
pub(crate) fn sans(der: &[u8]) -> Vec<String> {
    inspect::cert_info(der).map(|i| i.sans).unwrap_or_default()
}

/// Records the presented chain and accepts it; signatures are still checked.
#[derive(Debug)]
struct Capture {
    chain: Mutex<Vec<Vec<u8>>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Capture {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut chain) = self.chain.lock() {
            *chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.to_vec())
                .collect();
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Opens a TCP connection to `host:port` (directly, never through a proxy).
pub(crate) fn tcp(
    url: &str,
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<TcpStream, EsError> {
    let unreachable = |reason: String| EsError::Unreachable {
        url: url.to_string(),
        reason,
    };
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| unreachable(format!("the host name '{host}' does not resolve ({e})")))?;
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => {
                s.set_read_timeout(Some(timeout)).ok();
                s.set_write_timeout(Some(timeout)).ok();
                return Ok(s);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(unreachable(match last {
        Some(e) if e.kind() == std::io::ErrorKind::TimedOut => {
            format!("no answer within {} s", timeout.as_secs())
        }
        Some(e) => e.to_string(),
        None => format!("'{host}' has no address"),
    }))
}

/// The certificates `host:port` presents, leaf first.
pub(crate) fn presented_chain(
    url: &str,
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<Vec<Vec<u8>>, EsError> {
    let provider = provider();
    let capture = Arc::new(Capture {
        chain: Mutex::new(Vec::new()),
        provider: provider.clone(),
    });
    let tls_err = |reason: String| EsError::Tls {
        url: url.to_string(),
        reason,
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(capture.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_string())
        .map_err(|_| EsError::Invalid(format!("'{host}' is not a valid host name")))?;
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| tls_err(e.to_string()))?;
    let mut sock = tcp(url, host, port, timeout)?;
    // The handshake may fail after the certificate was seen (e.g. TLS 1.2 with a
    // required client certificate): what matters is whether the chain was captured.
    let outcome = conn.complete_io(&mut sock);
    let chain = capture.chain.lock().map(|c| c.clone()).unwrap_or_default();
    match (chain.is_empty(), outcome) {
        (false, _) => Ok(chain),
        (true, Err(e)) => Err(tls_err(format!("the TLS handshake failed: {e}"))),
        (true, Ok(_)) => Err(tls_err("the server presented no certificate".into())),
    }
}

/// The presented certificate whose SHA-256 is `fingerprint` (normalised).
pub(crate) fn pin(url: &str, chain: &[Vec<u8>], fingerprint: &str) -> Result<Vec<u8>, EsError> {
    chain
        .iter()
        .find(|der| sha256_hex(der) == fingerprint)
        .cloned()
        .ok_or_else(|| EsError::FingerprintMismatch {
            url: url.to_string(),
            expected: fingerprint.to_string(),
            presented: chain.iter().map(|d| describe(d)).collect(),
        })
}

/// What a TLS alert from the server means for the client certificate, if it is about one.
pub(crate) fn client_cert_alert(alert: AlertDescription, sent_cert: bool) -> Option<String> {
    let refused = matches!(
        alert,
        AlertDescription::CertificateRequired
            | AlertDescription::BadCertificate
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnknownCA
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateRevoked
    );
    if !refused {
        return None;
    }
    Some(if sent_cert {
        "the node's HTTP layer does not trust Kibana's client certificate: add the CA that issued it to \
         xpack.security.http.ssl.certificate_authorities (and restart), or issue the client certificate \
         from a CA the node already trusts; check also that it has not expired and has extendedKeyUsage clientAuth"
            .to_string()
    } else {
        "the node requires a client certificate (xpack.security.http.ssl.client_authentication: required) \
         and none was sent; give the client certificate and key"
            .to_string()
    })
}

/// True for certificate errors that mean "not signed by a trusted CA".
pub(crate) fn is_untrusted(e: &CertificateError) -> bool {
    matches!(
        e,
        CertificateError::UnknownIssuer
            | CertificateError::BadSignature
            | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
            | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. }
            | CertificateError::BadEncoding
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_tolerate_colons_and_case() {
        let hex = "AB".repeat(32);
        let colons = hex
            .as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(":");
        assert_eq!(normalize_fingerprint(&colons).unwrap(), "ab".repeat(32));
        assert!(normalize_fingerprint("abcd").is_err());
        assert!(normalize_fingerprint(&"zz".repeat(32)).is_err());
    }
}
