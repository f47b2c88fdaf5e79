//! Before the steps that issue certificates: the CA. esmtls's own (new, or
//! from an earlier run with its password in esmtls's secret store), a CA
//! given as files, or the auto-configured `http_ca` (see [`super::super::certs::choose`]).
//! Its files and notes go under the first step that issues a certificate.

use std::rc::Rc;

use super::super::PlanError;
use super::super::certs;
use super::super::context::Ctx;
use super::super::setup::Cluster;

/// Chooses the CA.
pub(in crate::plan) fn run(ctx: &mut Ctx<'_>, _: &mut dyn Cluster) -> Result<(), PlanError> {
    if let Some(g) = ctx.given() {
        ctx.ca_der = g.ca_der.clone();
        return Ok(());
    }
    let (a, setup) = (ctx.a, ctx.setup);
    let store = super::super::secrets::open_for(setup, a.secrets.ca_password)?;
    let remembered = store.get(certs::CA_SECRET).ok().flatten();
    let ca = certs::choose(a, &ctx.facts, &setup.es_config, remembered, None)?;
    let first_cert_step = if ctx.server_needed { 0 } else { 1 };
    for n in &ca.notes {
        ctx.step(first_cert_step).notes.push(n.clone());
    }
    for (path, content, secret) in ca.files.clone() {
        let what = if secret {
            "esmtls's CA with its key (for renewals)"
        } else {
            "esmtls's CA certificate"
        };
        ctx.file(first_cert_step, path, what, content, secret);
    }
    if let Some(pw) = &ca.remember {
        ctx.remember.push((certs::CA_SECRET.into(), pw.clone()));
        let line = format!(
            "esmtls's CA password goes to {} (secrets.ca_password: {}).",
            super::super::secrets::describe(&store),
            a.secrets.ca_password.name()
        );
        ctx.step(first_cert_step).notes.push(line);
    }
    ctx.ca_der = ca.material.cert_der.clone();
    ctx.ca_is_http_ca = ca.kind == certs::CaKind::HttpCa;
    ctx.ca = Some(Rc::new(ca));
    Ok(())
}
