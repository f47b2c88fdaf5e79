use rcgen::{ExtendedKeyUsagePurpose, KeyUsagePurpose};
use time::{Duration, OffsetDateTime};
use x509_parser::extensions::ParsedExtension;

use super::*;
use crate::pki::build::{CaSpec, new_ca};
use crate::pki::{KeyType, inspect};

fn new_test_ca() -> CaMaterial {
    let ca = new_ca(&CaSpec {
        key: KeyType::EcP256,
        ..CaSpec::default()
    })
    .unwrap();
    CaMaterial {
        cert_der: ca.cert_der,
        key: ca.key,
        chain_der: vec![],
    }
}

fn spec(usage: Usage, key: KeyType) -> LeafSpec {
    LeafSpec {
        name: "CN=es01,O=Example".into(),
        dns: vec!["es01.example.com".into(), "localhost".into()],
        ips: vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()],
        usage,
        days: 30,
        key,
    }
}

/// Every extension as (OID, critical, parsed value printed), in order.
fn profile(der: &[u8]) -> Vec<(String, bool, String)> {
    let (_, c) = build::parse(der).unwrap();
    c.extensions()
        .iter()
        .map(|e| {
            let v = match e.parsed_extension() {
                // Key identifiers differ per key; their presence is the profile.
                ParsedExtension::SubjectKeyIdentifier(_) => "ski".into(),
                ParsedExtension::AuthorityKeyIdentifier(_) => "aki".into(),
                p => format!("{p:?}"),
            };
            (e.oid.to_id_string(), e.critical, v)
        })
        .collect()
}

#[test]
fn round_trip_has_the_profile_of_issue() {
    let ca = new_test_ca();
    for (usage, key) in [
        (Usage::Server, KeyType::EcP256),
        (Usage::Client, KeyType::Rsa2048),
        (Usage::Server, KeyType::EcP384),
    ] {
        let want = spec(usage, key);
        let (host_key, csr) = make(&want).unwrap();
        assert!(
            csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----"),
            "{csr}"
        );
        let der = sign(&csr, "es01.csr", &ca, usage, 30, Some(&want)).unwrap();
        let issued = build::issue(&want, &ca).unwrap();
        assert_eq!(profile(&der), profile(&issued.cert_der), "{key}");
        let (a, b) = (
            inspect::cert_info(&der).unwrap(),
            inspect::cert_info(&issued.cert_der).unwrap(),
        );
        assert_eq!(
            (
                &a.subject,
                &a.issuer,
                &a.sans,
                &a.eku,
                a.is_ca,
                &a.key_type,
                a.key_bits
            ),
            (
                &b.subject,
                &b.issuer,
                &b.sans,
                &b.eku,
                b.is_ca,
                &b.key_type,
                b.key_bits
            )
        );
        assert_eq!(a.serial.len(), 40, "a random 20-byte serial");
        assert_ne!(a.serial, b.serial);
        let (_, c) = build::parse(&der).unwrap();
        let (_, cac) = build::parse(&ca.cert_der).unwrap();
        assert!(c.verify_signature(Some(cac.public_key())).is_ok());
        let life = c.validity().not_after.to_datetime() - c.validity().not_before.to_datetime();
        assert_eq!(life, Duration::days(30) + Duration::minutes(5));

        let pem = crate::pki::pem::cert(&der);
        let chain = install(
            pem.as_bytes(),
            "es01.crt",
            &host_key,
            usage,
            std::slice::from_ref(&ca.cert_der),
        )
        .unwrap();
        assert_eq!(chain, vec![der.clone(), ca.cert_der.clone()]);
        // DER in, same answer.
        assert_eq!(
            install(
                &der,
                "es01.der",
                &host_key,
                usage,
                std::slice::from_ref(&ca.cert_der)
            )
            .unwrap(),
            chain
        );
    }
}

#[test]
fn install_refuses_a_certificate_for_another_key() {
    let ca = new_test_ca();
    let want = spec(Usage::Server, KeyType::EcP256);
    let (_, csr) = make(&want).unwrap();
    let (other_key, _) = make(&want).unwrap();
    let der = sign(&csr, "es01.csr", &ca, Usage::Server, 30, None).unwrap();
    let e = install(
        &der,
        "in/es01.crt",
        &other_key,
        Usage::Server,
        std::slice::from_ref(&ca.cert_der),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("the certificate in in/es01.crt is not for this host's key (it is for 'CN=es01, O=Example'"),
        "{e}"
    );
    assert!(!e.contains('\n'));
}

#[test]
fn sign_refuses_names_other_than_expected_naming_each() {
    let ca = new_test_ca();
    let (_, csr) = make(&spec(Usage::Server, KeyType::EcP256)).unwrap();
    let mut want = spec(Usage::Server, KeyType::EcP256);
    want.name = "es02".into();
    want.dns = vec!["LOCALHOST".into(), "es02.example.com".into()];
    want.ips = vec!["127.0.0.1".parse().unwrap()];
    let e = sign(&csr, "es01.csr", &ca, Usage::Server, 30, Some(&want))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "the CSR in es01.csr is not for the expected names: subject 'CN=es01,O=Example' instead of 'CN=es02'; DNS names: unexpected es01.example.com, missing es02.example.com; IP addresses: unexpected ::1; make the CSR again on the host with the expected names"
    );
    // Case and order of DNS names do not matter.
    let mut want = spec(Usage::Server, KeyType::EcP256);
    want.dns = vec!["LOCALHOST".into(), "ES01.example.com".into()];
    assert!(sign(&csr, "es01.csr", &ca, Usage::Server, 30, Some(&want)).is_ok());
}

#[test]
fn sign_refuses_a_csr_with_a_bad_signature() {
    let ca = new_test_ca();
    let (_, csr) = make(&spec(Usage::Client, KeyType::EcP256)).unwrap();
    let mut der = ::pem::parse(&csr).unwrap().into_contents();
    // Rename the subject es01 → ev01 after signing: still well-formed, no longer signed.
    let at = der.windows(4).position(|w| w == b"es01").unwrap();
    der[at + 1] = b'v';
    let forged = ::pem::encode(&::pem::Pem::new("CERTIFICATE REQUEST", der));
    let e = sign(&forged, "es01.csr", &ca, Usage::Client, 30, None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "the CSR in es01.csr has a bad signature (it was altered, or damaged on the way); make a new CSR on the host"
    );
    let e = sign("not a csr", "x.csr", &ca, Usage::Client, 30, None).unwrap_err();
    assert!(e.to_string().starts_with("x.csr is not a readable"), "{e}");
    let cert = crate::pki::pem::cert(&ca.cert_der);
    let e = sign(&cert, "x.csr", &ca, Usage::Client, 30, None).unwrap_err();
    assert!(
        e.to_string().contains("no CERTIFICATE REQUEST block"),
        "{e}"
    );
}

#[test]
fn install_refuses_an_expired_certificate() {
    let ca = new_test_ca();
    let want = spec(Usage::Client, KeyType::EcP256);
    let (host_key, _) = make(&want).unwrap();
    let (subject, _) = build::leaf_dn(&want.name).unwrap();
    let sans = build::sans(&want.dns, &want.ips).unwrap();
    let mut params =
        build::leaf_params(subject.to_rcgen().unwrap(), sans, Usage::Client, false, 1).unwrap();
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(10);
    params.not_after = now - Duration::days(2);
    let (der, _) = build::sign_leaf(&params, &host_key, &ca).unwrap();
    let e = install(
        &der,
        "kb.crt",
        &host_key,
        Usage::Client,
        std::slice::from_ref(&ca.cert_der),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("the certificate in kb.crt expired on ")
            && e.ends_with("; have the CSR signed again (or make a new one)"),
        "{e}"
    );
}

#[test]
fn install_refuses_the_wrong_usage_and_another_ca() {
    let ca = new_test_ca();
    let want = spec(Usage::Client, KeyType::EcP256);
    let (host_key, csr) = make(&want).unwrap();
    let der = sign(&csr, "kb.csr", &ca, Usage::Client, 30, None).unwrap();
    let e = install(
        &der,
        "kb.crt",
        &host_key,
        Usage::Server,
        std::slice::from_ref(&ca.cert_der),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "the certificate in kb.crt is not for a TLS server (its extendedKeyUsage is clientAuth, without serverAuth); ask the CA for a certificate with extendedKeyUsage serverAuth"
    );
    let other = new_test_ca();
    let e = install(
        &der,
        "kb.crt",
        &host_key,
        Usage::Client,
        std::slice::from_ref(&other.cert_der),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "the certificate in kb.crt names 'CN=esmtls CA' as its issuer, but that CA's key did not sign it; have it signed by the CA 'CN=esmtls CA', or give the CA that really signed it"
    );
    let e = install(&der, "kb.crt", &host_key, Usage::Client, &[]).unwrap_err();
    assert!(e.to_string().starts_with("no CA certificate"), "{e}");
}

/// What the CSR asks for beyond names is not what the certificate gets: a
/// CSR asking to be a CA with codeSigning gets the usage's leaf profile.
#[test]
fn requested_ca_and_usages_are_not_copied() {
    let ca = new_test_ca();
    let key = KeyType::EcP256.generate().unwrap();
    let mut params = CertificateParams::new(vec!["evil.example.com".to_string()]).unwrap();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, "evil");
    params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    let csr = params.serialize_request(&key).unwrap().pem().unwrap();
    let der = sign(&csr, "evil.csr", &ca, Usage::Client, 30, None).unwrap();
    let info = inspect::cert_info(&der).unwrap();
    assert!(!info.is_ca);
    assert_eq!(info.eku, ["clientAuth"]);
    assert_eq!(info.sans, ["DNS:evil.example.com"]);
    let (_, c) = build::parse(&der).unwrap();
    let ku = c.key_usage().unwrap().unwrap().value;
    assert!(ku.digital_signature() && !ku.key_cert_sign());
}

/// A subject rcgen cannot write back byte for byte (here a BMPString CN;
/// OpenSSL's repeated DC= in tests/pki_csr.rs) is refused rather than signed
/// under a different encoding of the name.
#[test]
fn a_subject_that_cannot_be_reproduced_is_refused() {
    let ca = new_test_ca();
    let key = KeyType::EcP256.generate().unwrap();
    let mut params = CertificateParams::default();
    params.distinguished_name.push(
        DnType::CommonName,
        DnValue::BmpString(rcgen::string::BmpString::try_from("es01").unwrap()),
    );
    let csr = params.serialize_request(&key).unwrap().pem().unwrap();
    let e = sign(&csr, "es01.csr", &ca, Usage::Server, 30, None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "the subject '2.5.4.3=#1e080065007300300031' of the CSR in es01.csr cannot be written back exactly (a repeated or multi-valued attribute, or an unusual string type); make the CSR with `esmtls` or with a plain DN such as CN=es01,O=Example"
    );
}
