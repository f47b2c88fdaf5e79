//! Step 1: obtain a client certificate and private key for Kibana.
//!
//! esmtls issues it from its CA (`client_certificate.*` in the answers), as a
//! PKCS#12 with its password in `kibana.keystore` or as a PEM pair. A
//! certificate from an earlier run that still fits is kept, so a second run
//! changes nothing.

use super::super::PlanError;
use super::super::answers::CertFormat;
use super::super::certs::{self, Want};
use super::super::context::{ClientFiles, Ctx, KB_P12_PASSWORD};
use super::super::setup::Cluster;
use super::super::types::{EntryValue, KeystoreOp};
use crate::pki::build::{LeafSpec, Usage};
use crate::pki::{pem as pemx, pkcs12};
use crate::secret::Secret;

/// Runs step 1 (mTLS and pki modes only).
pub(in crate::plan) fn run(ctx: &mut Ctx<'_>, _: &mut dyn Cluster) -> Result<(), PlanError> {
    if ctx.a.mode.client_cert() {
        ctx.client = Some(client_cert(ctx)?);
    }
    Ok(())
}

fn client_cert(ctx: &mut Ctx<'_>) -> Result<ClientFiles, PlanError> {
    let a = ctx.a;
    let ca = ctx.ca();
    let kb_real = ctx.kb_real.clone();
    let cc = &a.client_certificate;
    let (_, cn) = crate::pki::build::leaf_dn(&cc.name)?;
    let want = Want {
        spec: LeafSpec {
            name: cc.name.clone(),
            dns: cc.dns.clone(),
            ips: cc.ip.clone(),
            usage: Usage::Client,
            days: cc.days,
            key: cc.key_type,
        },
        ca: &ca.material,
    };
    if !cc.key_type.is_rsa() {
        ctx.step(1).notes.push("Kibana reads PKCS#12 keys with node-forge, which only understands RSA; an EC key needs `format: pem`.".into());
        if cc.format == CertFormat::P12 {
            return Err(PlanError::Answer {
                key: "client_certificate.key_type".into(),
                message: "Kibana cannot read an EC key from a PKCS#12 file (node-forge); use an RSA key type or `client_certificate.format: pem`".into(),
            });
        }
    }
    let dir = ctx.setup.kibana_config.join("certs");
    match cc.format {
        CertFormat::P12 => {
            let path = dir.join("kibana-client.p12");
            let existing_pw = ctx.facts.kb_value(KB_P12_PASSWORD);
            let existing = existing_pw.as_ref().and_then(|pw| {
                std::fs::read(&path)
                    .ok()
                    .and_then(|b| pkcs12::read(&b, pw.expose(), "").ok())
            });
            if let Some(k) = existing
                .as_ref()
                .and_then(|c| c.keys.first())
                .filter(|k| certs::satisfies(&k.chain, &want))
            {
                ctx.step(1).notes.push(format!(
                    "{} from an earlier run is still right; kept.",
                    path.display()
                ));
                return Ok(ClientFiles {
                    p12: Some(kb_real.join("certs/kibana-client.p12")),
                    pem: None,
                    chain: k.chain.clone(),
                    key: Secret::new(hex::encode(&k.key_pkcs8)),
                    cn,
                });
            }
            let issued = certs::issue(&want)?;
            let pw = existing_pw.unwrap_or_else(certs::random_password);
            let key_der = issued.key.serialize_der();
            let chain = vec![issued.cert_der.clone(), ca.material.cert_der.clone()];
            let p12 = pkcs12::write_key(
                &cn,
                &key_der,
                &chain,
                &[("ca".into(), ca.material.cert_der.clone())],
                pw.expose(),
            )?;
            ctx.file(1, path, "Kibana's client certificate and key", p12, true);
            if ctx.facts.kb_value(KB_P12_PASSWORD).is_none() {
                ctx.kb_ks_ops.push(KeystoreOp::Set {
                    name: KB_P12_PASSWORD.into(),
                    value: EntryValue::Known(pw),
                });
            }
            Ok(ClientFiles {
                p12: Some(kb_real.join("certs/kibana-client.p12")),
                pem: None,
                chain,
                key: Secret::new(hex::encode(&key_der)),
                cn,
            })
        }
        CertFormat::Pem => {
            let crt = dir.join("kibana-client.crt");
            let key = dir.join("kibana-client.key");
            let existing = std::fs::read(&crt)
                .ok()
                .and_then(|b| pemx::parse_all(&b, "").ok())
                .map(|b| pemx::certificates(&b));
            let existing_key = std::fs::read(&key)
                .ok()
                .and_then(|b| pemx::parse_all(&b, "").ok())
                .and_then(|b| {
                    pemx::private_key(&b, "", &mut || {
                        Err(crate::pki::PkiError::Invalid(String::new()))
                    })
                    .ok()
                    .flatten()
                });
            if let (Some(chain), Some(k)) = (&existing, &existing_key)
                && certs::satisfies(chain, &want)
                && pkcs12::spki_key(&chain[0]) == Some(k.public_key_raw().to_vec())
            {
                ctx.step(1).notes.push(format!(
                    "{} from an earlier run is still right; kept.",
                    crt.display()
                ));
                return Ok(ClientFiles {
                    p12: None,
                    pem: Some((
                        kb_real.join("certs/kibana-client.crt"),
                        kb_real.join("certs/kibana-client.key"),
                    )),
                    chain: chain.clone(),
                    key: Secret::new(hex::encode(k.serialize_der())),
                    cn,
                });
            }
            let issued = certs::issue(&want)?;
            let chain = vec![issued.cert_der.clone(), ca.material.cert_der.clone()];
            ctx.file(
                1,
                crt,
                "Kibana's client certificate (with its CA)",
                pemx::certs(chain.iter().map(Vec::as_slice)).into_bytes(),
                false,
            );
            ctx.file(
                1,
                key,
                "Kibana's client key (unencrypted PKCS#8, mode 0600)",
                pemx::key(&issued.key).into_bytes(),
                true,
            );
            Ok(ClientFiles {
                p12: None,
                pem: Some((
                    kb_real.join("certs/kibana-client.crt"),
                    kb_real.join("certs/kibana-client.key"),
                )),
                chain,
                key: Secret::new(hex::encode(issued.key.serialize_der())),
                cn,
            })
        }
    }
}
