//! Before step 1 (step 0): Elasticsearch serves HTTPS.
//!
//! The guide assumes it does. When it does not (or `server_certificate.generate:
//! yes`), esmtls issues the HTTP certificate from its CA and turns HTTPS on
//! (`xpack.security.http.ssl.*` in `elasticsearch.yml`, the PKCS#12 password in
//! `elasticsearch.keystore`). Otherwise it reads the CA that signed the
//! existing HTTP certificate and checks Kibana's hosts against its names.

use super::super::PlanError;
use super::super::certs::{self, Want};
use super::super::context::Ctx;
use super::super::edits;
use super::super::facts;
use super::super::setup::Cluster;
use super::super::types::{EntryValue, KeystoreOp};
use super::names::{check_hosts_in_sans, server_names};
use crate::pki::build::{LeafSpec, Usage};
use crate::pki::{inspect, pem as pemx, pkcs12};

/// Runs step 0.
pub(in crate::plan) fn run(ctx: &mut Ctx<'_>, _: &mut dyn Cluster) -> Result<(), PlanError> {
    if ctx.server_needed {
        issue(ctx)
    } else {
        ctx.server_ca_der = server_ca(ctx)?;
        check_existing_names(ctx)
    }
}

/// Issues (or keeps) Elasticsearch's HTTP certificate and turns HTTPS on.
fn issue(ctx: &mut Ctx<'_>) -> Result<(), PlanError> {
    let (a, setup) = (ctx.a, ctx.setup);
    let (dns, ips) = server_names(a, &ctx.hosts);
    let ca_rc = ctx.ca();
    let ca = &ca_rc.material;
    let want = Want {
        spec: LeafSpec {
            name: "CN=esmtls-http".into(),
            dns,
            ips,
            usage: Usage::Server,
            days: a.server_certificate.days,
            key: a.server_certificate.key_type,
        },
        ca,
    };
    // PKCS#12 with its password in elasticsearch.keystore when esmtls can write that
    // keystore; else (no keystore, version unknown) a PEM pair, which needs no keystore.
    let es_version = setup
        .es_version
        .clone()
        .or_else(|| a.elasticsearch.version.clone());
    let use_p12 = ctx.facts.es_ks.is_some() || es_version.is_some();
    let p12_path = setup.es_config.join("certs/esmtls-http.p12");
    let (crt_path, key_path) = (
        setup.es_config.join("certs/esmtls-http.crt"),
        setup.es_config.join("certs/esmtls-http.key"),
    );
    let existing_pw = ctx
        .facts
        .es_ks
        .as_ref()
        .and_then(|k| k.get_string(facts::HTTP_KS_PASSWORD));
    let keep = if use_p12 {
        existing_pw.as_ref().is_some_and(|pw| {
            std::fs::read(&p12_path)
                .ok()
                .and_then(|b| pkcs12::read(&b, pw.expose(), "").ok())
                .and_then(|c| c.keys.first().map(|k| certs::satisfies(&k.chain, &want)))
                .unwrap_or(false)
        })
    } else {
        std::fs::read(&crt_path)
            .ok()
            .and_then(|b| pemx::parse_all(&b, "").ok())
            .map(|b| pemx::certificates(&b))
            .is_some_and(|chain| key_path.exists() && certs::satisfies(&chain, &want))
    };
    if keep {
        ctx.step(0).notes.push(
            "Elasticsearch's HTTP certificate from an earlier run is still right; kept.".into(),
        );
    } else if use_p12 {
        let issued = certs::issue(&want)?;
        let pw = existing_pw.clone().unwrap_or_else(certs::random_password);
        let chain = vec![issued.cert_der.clone(), ca.cert_der.clone()];
        let p12 = pkcs12::write_key(
            "http",
            &issued.key.serialize_der(),
            &chain,
            &[("ca".into(), ca.cert_der.clone())],
            pw.expose(),
        )?;
        ctx.file(
            0,
            p12_path,
            "Elasticsearch's HTTP certificate and key",
            p12,
            true,
        );
        if existing_pw.is_none() {
            ctx.es_ks_ops.push(KeystoreOp::Set {
                name: facts::HTTP_KS_PASSWORD.into(),
                value: EntryValue::Known(pw),
            });
        }
    } else {
        let issued = certs::issue(&want)?;
        let chain = [issued.cert_der.clone(), ca.cert_der.clone()];
        ctx.file(
            0,
            crt_path,
            "Elasticsearch's HTTP certificate (with its CA)",
            pemx::certs(chain.iter().map(Vec::as_slice)).into_bytes(),
            false,
        );
        ctx.file(
            0,
            key_path,
            "Elasticsearch's HTTP key (unencrypted PKCS#8, mode 0600)",
            pemx::key(&issued.key).into_bytes(),
            true,
        );
        ctx.step(0).notes.push("There is no elasticsearch.keystore and no known Elasticsearch version, so the HTTP certificate is written as PEM (no keystore password needed). Give `elasticsearch.version` for a PKCS#12 with its password in the keystore.".into());
    }
    ctx.server_ca_der = ca.cert_der.clone();
    edits::server_tls(&mut ctx.es_edits, &ctx.facts, use_p12);
    let lines = ctx.es_edits.describe();
    ctx.step(0).changes.extend(lines);
    Ok(())
}

/// The CA of the HTTP certificate that is there: `elasticsearch.server_ca`, or detected.
fn server_ca(ctx: &Ctx<'_>) -> Result<Vec<u8>, PlanError> {
    match (&ctx.facts.http.server_ca, &ctx.a.elasticsearch.server_ca) {
        (_, Some(p)) => {
            let b = std::fs::read(p).map_err(|e| PlanError::Answer {
                key: "elasticsearch.server_ca".into(),
                message: format!("cannot read {}: {e}", p.display()),
            })?;
            facts::first_cert(&b).ok_or_else(|| PlanError::Answer {
                key: "elasticsearch.server_ca".into(),
                message: format!("{} holds no certificate", p.display()),
            })
        }
        (Some(c), None) => Ok(c.clone()),
        (None, None) => {
            let why = ctx
                .facts
                .http
                .unreadable
                .clone()
                .unwrap_or_else(|| "no CA certificate found for it".into());
            Err(PlanError::Answer {
                key: "elasticsearch.server_ca".into(),
                message: format!(
                    "esmtls cannot tell which CA signed Elasticsearch's HTTP certificate ({why}); give its PEM file as `elasticsearch.server_ca`, or let esmtls issue a new one with `server_certificate.generate: yes`"
                ),
            })
        }
    }
}

/// Kibana's hosts must be among the existing HTTP certificate's names.
fn check_existing_names(ctx: &mut Ctx<'_>) -> Result<(), PlanError> {
    let server_sans = ctx
        .facts
        .http
        .server_chain
        .first()
        .and_then(|c| inspect::cert_info(c).ok())
        .map(|i| i.sans)
        .unwrap_or_default();
    if ctx.facts.http.server_chain.is_empty() {
        ctx.warnings.push("esmtls could not read Elasticsearch's HTTP certificate, so it could not check Kibana's hosts against its names".into());
        Ok(())
    } else {
        check_hosts_in_sans(&ctx.hosts, &server_sans)
    }
}
