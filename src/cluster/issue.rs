//! The certificates of a cluster, issued at once: one HTTP certificate per
//! node (with that node's names, as `elasticsearch-certutil http` offers)
//! and one client certificate per Kibana instance. Key generation is the
//! slow part (RSA), so keys are generated on every core, starting before
//! the CA is chosen ([`KeyPool`]): a new CA's own key is made meanwhile.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

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

/// The keys made so far (by slot), and how many workers still run.
struct Shared {
    keys: Mutex<(Vec<Option<rcgen::KeyPair>>, usize)>,
    done: Condvar,
}

/// Keys being generated in the background, one per expected certificate.
///
/// RSA key generation takes a random time (a prime search), so the last
/// keys decide the wall time: a worker with nothing left to start makes
/// another attempt at a key still being made, and the first one done is
/// kept (the other attempt is dropped when it ends).
pub struct KeyPool {
    types: Vec<KeyType>,
    shared: Arc<Shared>,
}

impl KeyPool {
    /// Starts generating a key of each type, on every core.
    pub fn start(types: Vec<KeyType>) -> KeyPool {
        let n = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(types.len());
        let shared = Arc::new(Shared {
            keys: Mutex::new(((0..types.len()).map(|_| None).collect(), n)),
            done: Condvar::new(),
        });
        let next = Arc::new(AtomicUsize::new(0));
        for w in 0..n {
            let (shared, next, types) = (shared.clone(), next.clone(), types.clone());
            std::thread::spawn(move || work(w, &shared, &next, &types));
        }
        KeyPool { types, shared }
    }

    /// Waits until every key is made; each is handed out once, to a spec of its type.
    fn finish(self) -> Vec<(KeyType, Option<rcgen::KeyPair>)> {
        let Ok(mut g) = self.shared.keys.lock() else {
            return Vec::new();
        };
        while g.0.iter().any(Option::is_none) && g.1 > 0 {
            match self.shared.done.wait(g) {
                Ok(next) => g = next,
                Err(_) => return Vec::new(),
            }
        }
        let keys = std::mem::take(&mut g.0);
        self.types.into_iter().zip(keys).collect()
    }
}

/// One worker: the next key not started yet, else another attempt at one
/// still missing; ends when every key is there.
fn work(w: usize, shared: &Shared, next: &AtomicUsize, types: &[KeyType]) {
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let slot = if i < types.len() {
            Some(i)
        } else {
            let missing = match shared.keys.lock() {
                Ok(g) => {
                    g.0.iter()
                        .enumerate()
                        .filter(|(_, k)| k.is_none())
                        .map(|(j, _)| j)
                        .collect::<Vec<_>>()
                }
                Err(_) => Vec::new(),
            };
            missing.get(w % missing.len().max(1)).copied()
        };
        let Some(slot) = slot else { break };
        let key = types[slot].generate().ok();
        if let Ok(mut g) = shared.keys.lock()
            && g.0[slot].is_none()
        {
            g.0[slot] = key;
            shared.done.notify_all();
        }
    }
    if let Ok(mut g) = shared.keys.lock() {
        g.1 -= 1;
        shared.done.notify_all();
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
