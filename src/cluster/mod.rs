//! Clusters: several Elasticsearch nodes and Kibana instances, each on its
//! own host. A layer above the per-host planner:
//! - [`topology`]: the hosts, in the answers file;
//! - [`plan`]: one plan for the whole cluster, with a part per host, the
//!   certificates issued at once ([`issue`]), Kibana's credential made once
//!   ([`credentials`]) and the order of work ([`order`]);
//! - [`bundle`]: each host's part as a directory applied on that host;
//! - [`host`]: a bundle checked against the host it is applied on, and
//!   turned into the per-host planner's inputs.
//!
//! esmtls never connects to another host: bundles travel by the operator's
//! means (scp, Ansible).

pub mod bundle;
mod credentials;
pub mod csr;
pub mod host;
pub mod issue;
pub mod order;
pub mod plan;
mod prior;
mod readme;
pub mod render;
pub mod topology;
pub mod types;

pub use bundle::{Bundle, BundleError};
pub use order::{CLUSTER, Phase, Stage};
pub use plan::Central;
pub use topology::{Host, KeysAt, Product, Topology};
pub use types::{ClusterPlan, HostPart};
