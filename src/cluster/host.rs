//! On the host: a bundle checked against the machine it is applied on, and
//! turned into the planner's inputs for this host's one side. The planner
//! then plans against the host's own files ([`crate::plan::build`] with
//! [`Sides`] and [`Given`](crate::plan::Given)), so the bundle's apply has
//! today's guarantees: edits in place, backups, journal, keystores merged.
//!
//! Refused, each in one line saying which: a bundle for another host (its
//! `node.name` / `server.name`, else the machine's name), for the other
//! product, a missing config directory, a tampered bundle.

use std::path::{Path, PathBuf};

use super::bundle::{self, Bundle, BundleError};
use super::topology::Product;
use crate::plan::{Answers, Given, Setup, Sides};
use crate::yaml::YamlFile;

/// A host bundle ready to plan.
#[derive(Debug)]
pub struct HostBundle {
    /// The bundle.
    pub bundle: Bundle,
    /// Its product.
    pub product: Product,
    /// The config directory here.
    pub config: PathBuf,
    /// The answers to plan with.
    pub answers: Answers,
    /// What it brings.
    pub given: Given,
    /// With `topology.keys: host`: the certificates it requests.
    pub requests: Vec<super::csr::Request>,
}

fn refuse(b: &Bundle, why: String) -> BundleError {
    BundleError::Unreadable(format!("{}: {why}", b.dir.display()))
}

/// Opens `dir` for the CSR flow (`esmtls csr`): checked against this host,
/// with its requests and the config directory, before anything is signed.
pub fn open_for_csr(
    dir: &Path,
    claimed: Option<&str>,
) -> Result<(Bundle, PathBuf, Vec<super::csr::Request>), BundleError> {
    let (b, _, config) = checked(dir, claimed)?;
    let requests = b.requests()?;
    if requests.is_empty() {
        let why = format!(
            "this bundle brings {}'s key (topology.keys: ca-holder), so there is no CSR to make; apply it",
            b.manifest.host
        );
        return Err(refuse(&b, why));
    }
    Ok((b, config, requests))
}

/// Opens `dir` and checks that it is for this host. `claimed` is `--host`.
pub fn open(dir: &Path, claimed: Option<&str>) -> Result<HostBundle, BundleError> {
    let (b, product, config) = checked(dir, claimed)?;
    let name = b.manifest.host.clone();
    let answers = b.answers()?;
    let mut given = b.given()?;
    let requests = b.requests()?;
    for r in &requests {
        let rel = r.which.cert_file();
        // Signed by the CA holder (listed in the manifest), or put here from the
        // operator's CA: either way `install` checks it against this host's key and the CA.
        let Some(cert) = b
            .read(&rel)
            .or_else(|| std::fs::read(b.dir.join(&rel)).ok())
        else {
            return Err(refuse(
                &b,
                format!(
                    "{name}'s certificate is not signed yet ({rel} is missing): run `esmtls csr --bundle` on {name}, have the CA holder run `esmtls plan --bundle` again (or put the certificate your CA signed at {rel}), then apply"
                ),
            ));
        };
        let file = b.dir.join(&rel).display().to_string();
        let pair = super::csr::install(&config, r, &cert, &file, &given.ca_der)
            .map_err(|e| refuse(&b, e.to_string()))?;
        match r.which {
            super::csr::Which::Http => given.http = Some(pair),
            super::csr::Which::Client => given.client = Some(pair),
        }
    }
    Ok(HostBundle {
        bundle: b,
        product,
        config,
        answers,
        given,
        requests,
    })
}

/// The bundle, checked against this host: its product, config dir and name.
fn checked(dir: &Path, claimed: Option<&str>) -> Result<(Bundle, Product, PathBuf), BundleError> {
    let b = Bundle::open(dir)?;
    let name = b.manifest.host.clone();
    let Some(product) = bundle::product(&b.manifest) else {
        return Err(refuse(
            &b,
            format!(
                "`{name}` holds the cluster-wide calls, not a host's part; it is applied with the same command, from a host that reaches the cluster"
            ),
        ));
    };
    let config = b
        .manifest
        .config
        .clone()
        .unwrap_or_else(|| product.default_config());
    if !config.is_dir() {
        return Err(refuse(
            &b,
            format!(
                "this bundle is for {name}, whose {} config directory {} does not exist here; apply it on {name}",
                product.name(),
                config.display()
            ),
        ));
    }
    let yml = config.join(product.yml());
    if !yml.is_file() {
        let other = match product {
            Product::Elasticsearch => Product::Kibana,
            Product::Kibana => Product::Elasticsearch,
        };
        let why = if config.join(other.yml()).is_file() {
            format!(
                "this bundle is for {} {name}, but {} holds {}; apply it on {name}",
                product_word(product),
                config.display(),
                other.yml()
            )
        } else {
            format!(
                "this bundle is for {} {name}, but {} has no {}; apply it on {name}",
                product_word(product),
                config.display(),
                product.yml()
            )
        };
        return Err(refuse(&b, why));
    }
    check_identity(&b, product, &yml, claimed)?;
    Ok((b, product, config))
}

fn product_word(p: Product) -> &'static str {
    match p {
        Product::Elasticsearch => "Elasticsearch node",
        Product::Kibana => "Kibana instance",
    }
}

/// The bundle's host must be this one: `node.name` / `server.name` when set,
/// else the machine's name, else `--host`.
fn check_identity(
    b: &Bundle,
    product: Product,
    yml: &Path,
    claimed: Option<&str>,
) -> Result<(), BundleError> {
    let name = &b.manifest.host;
    if let Some(c) = claimed.filter(|c| !c.eq_ignore_ascii_case(name)) {
        return Err(refuse(
            b,
            format!("this bundle is for {name}, not {c} (--host)"),
        ));
    }
    if b.manifest.any_host {
        // A one-machine setup's output folder: one bundle per product, no host named.
        return Ok(());
    }
    let y = YamlFile::read(yml).map_err(|e| refuse(b, e.to_string()))?;
    let set = product.name_setting();
    if let Some(here) = y.get(set).and_then(|s| s.value.as_text().map(String::from)) {
        if here.eq_ignore_ascii_case(name) || claimed.is_some() && here.starts_with("${") {
            return Ok(());
        }
        return Err(refuse(
            b,
            format!(
                "this bundle is for {name}, but this host is {here} ({set} in {}); apply DIR/{here} here, or this bundle on {name}",
                yml.display()
            ),
        ));
    }
    if claimed.is_some() {
        return Ok(());
    }
    let machine = machine_name();
    let short = machine.split('.').next().unwrap_or_default();
    if machine.eq_ignore_ascii_case(name) || short.eq_ignore_ascii_case(name) {
        return Ok(());
    }
    Err(refuse(
        b,
        format!(
            "cannot tell that this host is {name}: {} sets no {set} and the machine is named `{machine}`; run it on {name}, or pass --host {name} if this is it",
            yml.display()
        ),
    ))
}

/// The kernel's host name (empty when unreadable).
pub fn machine_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

impl HostBundle {
    /// The planner's setup for this host's one side. The other side's
    /// directory is a path that is never read or written (the steps of the
    /// other side do not run).
    pub fn setup(&self, state_dir: &Path) -> Setup {
        let none = self.config.join(".esmtls-other-side-not-here");
        let (es, kb, sides) = match self.product {
            Product::Elasticsearch => (self.config.clone(), none, Sides::Elasticsearch),
            Product::Kibana => (none, self.config.clone(), Sides::Kibana),
        };
        let mut s = Setup::dirs(&es, &kb, state_dir);
        s.sides = sides;
        s.given = Some(self.given.clone());
        s.es_version = self.answers.elasticsearch.version.clone();
        s.detected = format!(
            "cluster bundle {} for {} ({})",
            self.bundle.dir.display(),
            self.bundle.manifest.host,
            self.config.display()
        );
        s
    }
}
