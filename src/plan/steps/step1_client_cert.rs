//! Step 1: obtain a client certificate and private key for Kibana.
//!
//! esmtls issues it from its CA (`client_certificate.*` in the answers), or
//! on a cluster host installs the one in the bundle; as a PKCS#12 with its
//! password in `kibana.keystore` or as a PEM pair. A certificate from an
//! earlier run that still fits is kept, so a second run changes nothing.

use std::path::PathBuf;

use super::super::PlanError;
use super::super::answers::CertFormat;
use super::super::certs::{self, Want};
use super::super::context::{ClientFiles, Ctx, KB_P12_PASSWORD};
use super::super::setup::Cluster;
use super::super::types::{EntryValue, KeystoreOp};
use crate::pki::{pem as pemx, pkcs12};
use crate::secret::Secret;

/// Runs step 1 (mTLS and pki modes only; on the Kibana side).
pub(in crate::plan) fn run(ctx: &mut Ctx<'_>, _: &mut dyn Cluster) -> Result<(), PlanError> {
    if ctx.a.mode.client_cert() && ctx.kibana_here() {
        ctx.client = Some(client_cert(ctx)?);
    }
    Ok(())
}

/// The files in Kibana's config dir (here) and as kibana.yml names them (there).
struct Paths {
    p12: PathBuf,
    crt: PathBuf,
    key: PathBuf,
    real: PathBuf,
}

fn client_cert(ctx: &mut Ctx<'_>) -> Result<ClientFiles, PlanError> {
    let cc = &ctx.a.client_certificate;
    let (_, cn) = crate::pki::build::leaf_dn(&cc.name)?;
    let spec = certs::client_spec(ctx.a);
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
    let paths = Paths {
        p12: dir.join("kibana-client.p12"),
        crt: dir.join("kibana-client.crt"),
        key: dir.join("kibana-client.key"),
        real: ctx.kb_real.join("certs"),
    };
    let p12 = cc.format == CertFormat::P12;
    let password = ctx.facts.kb_value(KB_P12_PASSWORD);
    let given = ctx.given().and_then(|g| g.client.clone());
    let ca = ctx.ca.clone();
    let existing = existing(&paths, p12, password.as_ref());
    let fits = |chain: &[Vec<u8>]| match (&given, &ca) {
        (Some((g, _)), _) => chain.first() == g.first(),
        (None, Some(ca)) => certs::satisfies(
            chain,
            &Want {
                spec: spec.clone(),
                ca: &ca.material,
            },
        ),
        (None, None) => false,
    };
    if let Some((chain, key)) = existing.filter(|(chain, _)| fits(chain)) {
        let shown = if p12 { &paths.p12 } else { &paths.crt };
        let note = format!(
            "{} from an earlier run is still right; kept.",
            shown.display()
        );
        ctx.step(1).notes.push(note);
        return Ok(files(&paths, p12, chain, key, cn));
    }
    let (chain, key_der) = super::obtain(given, ca.as_deref(), spec)?;
    write(ctx, &paths, p12, password, &chain, &key_der, &cn)?;
    Ok(files(
        &paths,
        p12,
        chain,
        Secret::new(hex::encode(&key_der)),
        cn,
    ))
}

/// The certificate chain and key (hex PKCS#8) from an earlier run, when
/// both are there and belong together.
fn existing(paths: &Paths, p12: bool, pw: Option<&Secret>) -> Option<(Vec<Vec<u8>>, Secret)> {
    if p12 {
        let b = std::fs::read(&paths.p12).ok()?;
        let c = pkcs12::read(&b, pw?.expose(), "").ok()?;
        let k = c.keys.first()?;
        return Some((k.chain.clone(), Secret::new(hex::encode(&k.key_pkcs8))));
    }
    let b = std::fs::read(&paths.crt).ok()?;
    let chain = pemx::certificates(&pemx::parse_all(&b, "").ok()?);
    let kb = std::fs::read(&paths.key).ok()?;
    let blocks = pemx::parse_all(&kb, "").ok()?;
    let k = pemx::private_key(&blocks, "", &mut || {
        Err(crate::pki::PkiError::Invalid(String::new()))
    })
    .ok()
    .flatten()?;
    (pkcs12::spki_key(chain.first()?) == Some(k.public_key_raw().to_vec()))
        .then(|| (chain, Secret::new(hex::encode(k.serialize_der()))))
}

/// Writes the PKCS#12 (password in the Kibana keystore) or the PEM pair.
fn write(
    ctx: &mut Ctx<'_>,
    paths: &Paths,
    p12: bool,
    password: Option<Secret>,
    chain: &[Vec<u8>],
    key_der: &[u8],
    cn: &str,
) -> Result<(), PlanError> {
    if p12 {
        let pw = password.clone().unwrap_or_else(certs::random_password);
        let ca = chain.last().cloned().unwrap_or_default();
        let bytes = pkcs12::write_key(cn, key_der, chain, &[("ca".into(), ca)], pw.expose())?;
        let what = "Kibana's client certificate and key";
        ctx.file(1, paths.p12.clone(), what, bytes, true);
        if password.is_none() {
            ctx.kb_ks_ops.push(KeystoreOp::Set {
                name: KB_P12_PASSWORD.into(),
                value: EntryValue::Known(pw),
            });
        }
    } else {
        let files = (paths.crt.as_path(), paths.key.as_path());
        super::pem_pair(ctx, 1, files, (chain, key_der), "Kibana's client");
    }
    Ok(())
}

fn files(paths: &Paths, p12: bool, chain: Vec<Vec<u8>>, key: Secret, cn: String) -> ClientFiles {
    ClientFiles {
        p12: p12.then(|| paths.real.join("kibana-client.p12")),
        pem: (!p12).then(|| {
            (
                paths.real.join("kibana-client.crt"),
                paths.real.join("kibana-client.key"),
            )
        }),
        chain,
        key,
        cn,
    }
}
