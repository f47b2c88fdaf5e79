//! The cluster plan's values: the plan with a part per host, and the
//! certificates it carries (types only; [`super::plan`] builds them).

use std::path::PathBuf;

use serde::Serialize;

use super::csr::{Request, Which};
use super::issue::Leaf;
use super::order::Stage;
use super::topology::Product;
use crate::pki::build::LeafSpec;
use crate::plan::{Answers, ApiCall, Given, License, Mode};
use crate::secret::Secret;

/// The cluster plan.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterPlan {
    /// The mode.
    pub mode: Mode,
    /// The license used for the choice.
    pub license: Option<License>,
    /// True when the cluster answered while planning.
    pub reachable: bool,
    /// The CA, in words.
    pub ca: String,
    /// True when esmtls issues every node's HTTP certificate (and turns HTTPS on).
    pub server_certificates: bool,
    /// Kibana's `elasticsearch.hosts`.
    pub kibana_hosts: Vec<String>,
    /// A part per host, nodes first.
    pub hosts: Vec<HostPart>,
    /// The cluster-wide API calls, made once (the `_cluster` bundle).
    pub calls: Vec<ApiCall>,
    /// The order of work.
    pub order: Vec<Stage>,
    /// Warnings.
    pub warnings: Vec<String>,
    /// A new CA's files (kept by the CA holder, never in a host's bundle).
    #[serde(skip)]
    pub ca_files: Vec<(PathBuf, Vec<u8>, bool)>,
    /// The cluster-wide calls' own client certificate (mtls modes: once the
    /// nodes require one, the calls present it; they authenticate as the admin).
    #[serde(skip)]
    pub calls_client: Option<Leaf>,
    /// A new CA's PKCS#12 password.
    #[serde(skip)]
    pub ca_password: Option<Secret>,
}

/// One host's part.
#[derive(Debug, Clone, Serialize)]
pub struct HostPart {
    /// The host's name.
    pub name: String,
    /// Its product.
    pub product: Product,
    /// Its config directory, on that host.
    pub config: PathBuf,
    /// A node's URL as Kibana uses it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The certificates it gets, in words.
    pub certificates: Vec<String>,
    /// What it changes, in words (the exact diff is planned on the host).
    pub changes: Vec<String>,
    /// The answers the host plans with (no secret in them).
    #[serde(skip)]
    pub answers: Answers,
    /// What its bundle brings.
    #[serde(skip)]
    pub given: Given,
    /// True for the output folder of a one-machine setup: the other side's
    /// host is not named anywhere, so its bundle is not tied to a host name
    /// (the product and the config directory are still checked).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub any_host: bool,
    /// With `topology.keys: host`: the certificates this host requests.
    pub requests: Vec<Request>,
    /// With `topology.keys: host`: the certificate signed from its CSR (None: not yet).
    #[serde(skip)]
    pub signed: Option<Vec<Vec<u8>>>,
}

/// The CA password file in the CA directory (0600, never shipped).
pub const CA_PASSWORD_FILE: &str = "esmtls-ca.password";

/// A host's request (`keys: host`) and the chain signed from its CSR, if any.
pub(super) type Requested = (String, Request, Option<Vec<Vec<u8>>>);

/// Every certificate the cluster needs, by host name.
pub struct Leaves {
    pub(super) http: Vec<(String, Leaf)>,
    pub(super) client: Vec<(String, Leaf)>,
    /// `keys: host`: each host's request and the chain signed from its CSR.
    pub(super) requested: Vec<Requested>,
    /// The client certificate's spec (for the role mapping's DN before any is signed).
    pub client_spec: Option<LeafSpec>,
}

impl Leaves {
    pub(super) fn http(&self, name: &str) -> Option<(Vec<Vec<u8>>, Secret)> {
        let l = self.http.iter().find(|(n, _)| n == name)?;
        Some((l.1.chain.clone(), l.1.key.clone()))
    }
    pub(super) fn client(&self, name: &str) -> Option<(Vec<Vec<u8>>, Secret)> {
        let l = self.client.iter().find(|(n, _)| n == name)?;
        Some((l.1.chain.clone(), l.1.key.clone()))
    }
    /// The first client certificate's leaf (its DN is the role mapping's).
    pub fn client_leaf(&self) -> Option<&[u8]> {
        let signed = self
            .requested
            .iter()
            .filter(|(_, r, _)| r.which == Which::Client);
        let mut signed = signed.filter_map(|(_, _, c)| c.as_ref().and_then(|c| c.first()));
        self.client
            .first()
            .and_then(|(_, l)| l.chain.first())
            .or_else(|| signed.next())
            .map(Vec::as_slice)
    }
}
