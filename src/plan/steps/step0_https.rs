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
use crate::secret::Secret;

/// Runs step 0.
pub(in crate::plan) fn run(ctx: &mut Ctx<'_>, _: &mut dyn Cluster) -> Result<(), PlanError> {
    if !ctx.es_here() {
        // A Kibana host of a cluster: the nodes' CA comes with the bundle.
        let g = ctx
            .given()
            .map(|g| g.server_ca_der.clone().unwrap_or(g.ca_der.clone()));
        ctx.server_ca_der = g.unwrap_or_default();
        return Ok(());
    }
    if ctx.server_needed {
        issue(ctx)
    } else {
        ctx.server_ca_der = server_ca(ctx)?;
        check_existing_names(ctx)
    }
}

/// Where the HTTP certificate goes and in which form.
struct Target {
    p12: bool,
    p12_path: std::path::PathBuf,
    crt: std::path::PathBuf,
    key: std::path::PathBuf,
    password: Option<Secret>,
}

impl Target {
    fn new(ctx: &Ctx<'_>) -> Target {
        let (a, setup) = (ctx.a, ctx.setup);
        // PKCS#12 with its password in elasticsearch.keystore when esmtls can write that
        // keystore; else (no keystore, version unknown) a PEM pair, which needs no keystore.
        let es_version = setup
            .es_version
            .clone()
            .or_else(|| a.elasticsearch.version.clone());
        Target {
            p12: ctx.facts.es_ks.is_some() || es_version.is_some(),
            p12_path: setup.es_config.join("certs/esmtls-http.p12"),
            crt: setup.es_config.join("certs/esmtls-http.crt"),
            key: setup.es_config.join("certs/esmtls-http.key"),
            password: ctx
                .facts
                .es_ks
                .as_ref()
                .and_then(|k| k.get_string(facts::HTTP_KS_PASSWORD)),
        }
    }

    /// The chain in the files from an earlier run, when they are complete.
    fn existing(&self) -> Option<Vec<Vec<u8>>> {
        if self.p12 {
            let pw = self.password.as_ref()?;
            let b = std::fs::read(&self.p12_path).ok()?;
            let c = pkcs12::read(&b, pw.expose(), "").ok()?;
            c.keys.first().map(|k| k.chain.clone())
        } else {
            let b = std::fs::read(&self.crt).ok()?;
            let chain = pemx::certificates(&pemx::parse_all(&b, "").ok()?);
            self.key.exists().then_some(chain)
        }
    }
}

/// Issues (or keeps, or installs from the bundle) Elasticsearch's HTTP
/// certificate and turns HTTPS on.
fn issue(ctx: &mut Ctx<'_>) -> Result<(), PlanError> {
    let t = Target::new(ctx);
    let given = ctx.given().and_then(|g| g.http.clone());
    let ca_rc = ctx.ca.clone();
    let (dns, ips) = server_names(ctx.a, &ctx.hosts_resolved);
    let spec = LeafSpec {
        name: "CN=esmtls-http".into(),
        dns,
        ips,
        usage: Usage::Server,
        days: ctx.a.server_certificate.days,
        key: ctx.a.server_certificate.key_type,
    };
    let keep = t.existing().is_some_and(|chain| match (&given, &ca_rc) {
        (Some((g, _)), _) => chain.first() == g.first(),
        (None, Some(ca)) => certs::satisfies(
            &chain,
            &Want {
                spec: spec.clone(),
                ca: &ca.material,
            },
        ),
        (None, None) => false,
    });
    if keep {
        ctx.step(0).notes.push(
            "Elasticsearch's HTTP certificate from an earlier run is still right; kept.".into(),
        );
    } else {
        let (chain, key_der) = super::obtain(given, ca_rc.as_deref(), spec)?;
        write(ctx, &t, &chain, &key_der)?;
    }
    ctx.server_ca_der = ctx.ca_der.clone();
    edits::server_tls(&mut ctx.es_edits, &ctx.facts, t.p12);
    let lines = ctx.es_edits.describe();
    ctx.step(0).changes.extend(lines);
    Ok(())
}

/// Writes the HTTP certificate and key: a PKCS#12 (password in the
/// keystore) or a PEM pair.
fn write(
    ctx: &mut Ctx<'_>,
    t: &Target,
    chain: &[Vec<u8>],
    key_der: &[u8],
) -> Result<(), PlanError> {
    if t.p12 {
        let pw = t.password.clone().unwrap_or_else(certs::random_password);
        let ca = chain.last().cloned().unwrap_or_default();
        let p12 = pkcs12::write_key("http", key_der, chain, &[("ca".into(), ca)], pw.expose())?;
        ctx.file(
            0,
            t.p12_path.clone(),
            "Elasticsearch's HTTP certificate and key",
            p12,
            true,
        );
        if t.password.is_none() {
            ctx.es_ks_ops.push(KeystoreOp::Set {
                name: facts::HTTP_KS_PASSWORD.into(),
                value: EntryValue::Known(pw),
            });
        }
    } else {
        let files = (t.crt.as_path(), t.key.as_path());
        super::pem_pair(ctx, 0, files, (chain, key_der), "Elasticsearch's HTTP");
        ctx.step(0).notes.push("There is no elasticsearch.keystore and no known Elasticsearch version, so the HTTP certificate is written as PEM (no keystore password needed). Give `elasticsearch.version` for a PKCS#12 with its password in the keystore.".into());
    }
    Ok(())
}

/// The CA of the HTTP certificate that is there: `elasticsearch.server_ca`, or detected.
fn server_ca(ctx: &Ctx<'_>) -> Result<Vec<u8>, PlanError> {
    if let Some(der) = ctx.given().and_then(|g| g.server_ca_der.clone()) {
        return Ok(der);
    }
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
        check_hosts_in_sans(&ctx.hosts_resolved, &server_sans)
    }
}
