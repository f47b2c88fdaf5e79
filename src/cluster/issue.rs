//! The certificates of a cluster, issued at once: one HTTP certificate per
//! node (with that node's names, as `elasticsearch-certutil http` offers)
//! and one client certificate per Kibana instance. Key generation is the
//! slow part (RSA), so keys are generated on every core, starting before
//! the CA is chosen ([`KeyPool`]): a new CA's own key is made meanwhile.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::pki::KeyType;
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

type Slots = Arc<Mutex<Vec<Option<rcgen::KeyPair>>>>;

/// Keys being generated in the background, one per expected certificate.
pub struct KeyPool {
    types: Vec<KeyType>,
    slots: Slots,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl KeyPool {
    /// Starts generating a key of each type, on every core.
    pub fn start(types: Vec<KeyType>) -> KeyPool {
        let slots: Slots = Arc::new(Mutex::new((0..types.len()).map(|_| None).collect()));
        let next = Arc::new(AtomicUsize::new(0));
        let n = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(types.len());
        let workers = (0..n)
            .map(|_| {
                let (slots, next, types) = (slots.clone(), next.clone(), types.clone());
                std::thread::spawn(move || {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(t) = types.get(i) else { break };
                        let k = t.generate().ok();
                        if let Ok(mut s) = slots.lock() {
                            s[i] = k;
                        }
                    }
                })
            })
            .collect();
        KeyPool {
            types,
            slots,
            workers,
        }
    }

    /// Waits for the keys; each is handed out once, to a spec of its type.
    fn finish(self) -> Vec<(KeyType, Option<rcgen::KeyPair>)> {
        for w in self.workers {
            let _ = w.join();
        }
        let keys = match Arc::try_unwrap(self.slots) {
            Ok(m) => m.into_inner().unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        self.types.into_iter().zip(keys).collect()
    }
}

/// Issues every spec from `ca`, with the pool's keys where they fit and new
/// keys (on every core) for the rest; the results are in spec order.
pub fn issue_all(
    specs: &[LeafSpec],
    ca: &CaMaterial,
    pool: Option<KeyPool>,
) -> Result<Vec<Leaf>, PlanError> {
    let mut ready = pool.map(KeyPool::finish).unwrap_or_default();
    let mut keys: Vec<Option<rcgen::KeyPair>> = specs
        .iter()
        .map(|s| {
            let i = ready.iter().position(|(t, k)| *t == s.key && k.is_some())?;
            ready.swap_remove(i).1
        })
        .collect();
    let missing: Vec<KeyType> = specs
        .iter()
        .zip(&keys)
        .filter(|(_, k)| k.is_none())
        .map(|(s, _)| s.key)
        .collect();
    if !missing.is_empty() {
        let mut more = KeyPool::start(missing).finish().into_iter();
        for k in keys.iter_mut().filter(|k| k.is_none()) {
            *k = more.next().and_then(|(_, k)| k);
        }
    }
    specs
        .iter()
        .zip(keys)
        .map(|(spec, key)| {
            let key = match key {
                Some(k) => k,
                None => spec.key.generate()?,
            };
            let issued = build::issue_with(spec, key, ca)?;
            Ok(Leaf {
                chain: vec![issued.cert_der, ca.cert_der.clone()],
                key: Secret::new(hex::encode(issued.key.serialize_der())),
            })
        })
        .collect()
}
