//! The guide's steps, one module each, in the order the planner runs them.
//! Each adds its files, settings, keystore entries, requests and notes to
//! the [`Ctx`](super::context::Ctx); [`super::build`] runs them in a loop.
//!
//! Where a setting is written:
//! - `xpack.security.http.ssl.*` (HTTPS itself): [`step0_https`];
//! - Kibana's client certificate: [`step1_client_cert`];
//! - `certs/elasticsearch-ca.crt`, `certs/kibana-ca.crt`: [`step2_ca_chain`];
//! - `xpack.security.authc.realms.*`: [`step3_realms`];
//! - `xpack.security.http.ssl.client_authentication`: [`step4_client_auth`];
//! - `elasticsearch.hosts`, `elasticsearch.ssl.*` in kibana.yml: [`step7_kibana_tls`];
//! - the role mapping, service token, `kibana_system` password, and
//!   `elasticsearch.username`/`password`/`serviceAccountToken`: [`step6_credentials`];
//! - the restart commands: [`step5_restart_es`], [`step9_restart_kibana`].
//!
//! The planner's order differs from the guide's in two places, for data:
//! step 7 runs before steps 6 and 8 (step 6 verifies an existing credential
//! with Kibana's TLS settings), and the restarts (5, 9) run last, once it is
//! known whether anything of each side changed. The order of *work* for the
//! operator is the guide's, and the plan shows the steps in that order.

mod ca;
mod files;
pub(super) mod names;
mod step0_https;
mod step1_client_cert;
mod step2_ca_chain;
mod step3_realms;
mod step4_client_auth;
mod step5_restart_es;
mod step6_credentials;
mod step6_on_host;
mod step7_kibana_tls;
mod step9_restart_kibana;

use super::PlanError;
use super::context::Ctx;
use super::setup::Cluster;

/// One step of the planner.
pub(super) type Run = fn(&mut Ctx<'_>, &mut dyn Cluster) -> Result<(), PlanError>;

/// The steps in the order the planner runs them.
pub(super) const ORDER: [Run; 11] = [
    ca::run,
    step0_https::run,
    step1_client_cert::run,
    step2_ca_chain::run,
    step3_realms::run,
    step4_client_auth::run,
    step7_kibana_tls::run,
    step6_credentials::run,
    files::run,
    step5_restart_es::run,
    step9_restart_kibana::run,
];

/// The certificate chain and key (PKCS#8 DER) a step installs: the one the
/// cluster bundle brought, else one issued now from the CA.
fn obtain(
    given: Option<(Vec<Vec<u8>>, crate::secret::Secret)>,
    ca: Option<&super::certs::Ca>,
    spec: crate::pki::build::LeafSpec,
) -> Result<(Vec<Vec<u8>>, Vec<u8>), PlanError> {
    match (given, ca) {
        (Some((chain, key)), _) => Ok((chain, hex_key(&key)?)),
        (None, Some(ca)) => {
            let issued = super::certs::issue(&super::certs::Want {
                spec,
                ca: &ca.material,
            })?;
            let chain = vec![issued.cert_der.clone(), ca.material.cert_der.clone()];
            Ok((chain, issued.key.serialize_der()))
        }
        (None, None) => Err(PlanError::Other(
            "internal: no CA and no certificate to install".into(),
        )),
    }
}

/// A key kept as hex of its PKCS#8 DER (the planner's form) as DER.
fn hex_key(key: &crate::secret::Secret) -> Result<Vec<u8>, PlanError> {
    hex::decode(key.expose())
        .map_err(|_| PlanError::Other("internal: a key is not hex PKCS#8".into()))
}

/// A certificate chain and its key as a PEM pair (the key 0600), under step `n`.
fn pem_pair(
    ctx: &mut Ctx<'_>,
    n: u8,
    (crt, key): (&std::path::Path, &std::path::Path),
    (chain, key_der): (&[Vec<u8>], &[u8]),
    whose: &str,
) {
    let certs = crate::pki::pem::certs(chain.iter().map(Vec::as_slice)).into_bytes();
    let what = format!("{whose} certificate (with its CA)");
    ctx.file(n, crt.to_path_buf(), &what, certs, false);
    let what = format!("{whose} key (unencrypted PKCS#8, mode 0600)");
    ctx.file(
        n,
        key.to_path_buf(),
        &what,
        pem_key(key_der).into_bytes(),
        true,
    );
}

/// A PKCS#8 DER key as PEM (`PRIVATE KEY`).
fn pem_key(der: &[u8]) -> String {
    crate::pki::pem::key_der(der)
}
