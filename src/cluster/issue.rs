//! The certificates of a cluster, issued at once: one HTTP certificate per
//! node (with that node's names, as `elasticsearch-certutil http` offers)
//! and one client certificate per Kibana instance. Key generation is the
//! slow part (RSA), so keys are generated on every core, starting before
//! the CA is chosen ([`KeyPool`]), a new CA's own key among them.

use crate::pki::build::{self, CaMaterial, LeafSpec};
use crate::pki::key_pool::KeyPool;
use crate::plan::PlanError;
use crate::secret::Secret;

/// A certificate chain (leaf first, DER) and its key (hex of PKCS#8 DER,
/// the planner's form).
#[derive(Debug, Clone)]
pub struct Leaf {
    /// Leaf, then the CA.
    pub chain: Vec<Vec<u8>>,
    /// The key.
    pub key: Secret,
}

/// Issues every spec from `ca`, with the pool's keys where they fit and new
/// keys (on every core) for the rest; the results are in spec order.
pub fn issue_all(
    specs: &[LeafSpec],
    ca: &CaMaterial,
    pool: Option<&KeyPool>,
) -> Result<Vec<Leaf>, PlanError> {
    let own;
    let pool = match pool {
        Some(p) => p,
        None => {
            own = KeyPool::start(specs.iter().map(|s| s.key).collect());
            &own
        }
    };
    specs
        .iter()
        .map(|spec| {
            let issued = build::issue_with(spec, pool.take(spec.key)?, ca)?;
            Ok(Leaf {
                chain: vec![issued.cert_der, ca.cert_der.clone()],
                key: Secret::new(hex::encode(issued.key.serialize_der())),
            })
        })
        .collect()
}
