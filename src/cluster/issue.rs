//! The certificates of a cluster, issued at once: one HTTP certificate per
//! node (with that node's names, as `elasticsearch-certutil http` offers)
//! and one client certificate per Kibana instance. Key generation is the
//! slow part (RSA), so the certificates are issued on every core.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::pki::build::{self, CaMaterial, LeafSpec};
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

/// Issues every spec from `ca`, in parallel; the results are in spec order.
pub fn issue_all(specs: &[LeafSpec], ca: &CaMaterial) -> Result<Vec<Leaf>, PlanError> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(specs.len().max(1));
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<Result<Leaf, PlanError>>>> =
        Mutex::new((0..specs.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(spec) = specs.get(i) else { break };
                    let r = build::issue(spec, ca)
                        .map_err(PlanError::from)
                        .map(|issued| Leaf {
                            chain: vec![issued.cert_der, ca.cert_der.clone()],
                            key: Secret::new(hex::encode(issued.key.serialize_der())),
                        });
                    if let Ok(mut o) = out.lock() {
                        o[i] = Some(r);
                    }
                }
            });
        }
    });
    out.into_inner()
        .map_err(|_| PlanError::Other("internal: a certificate worker failed".into()))?
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(PlanError::Other(
                    "internal: a certificate was not issued".into(),
                ))
            })
        })
        .collect()
}
