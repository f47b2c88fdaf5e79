//! The README of each bundle: what it is for, what it holds, how to apply
//! it, and to delete it afterwards when it holds secrets.

use super::types::{ClusterPlan, HostPart};
use crate::plan::Mode;

/// `DIR/<host>/README.txt`.
pub fn host(mode: Mode, h: &HostPart) -> String {
    let g = &h.given;
    let secret = g.http.is_some() || g.client.is_some() || g.credential.is_some();
    let mut t = format!(
        "esmtls bundle for {name} ({product}, mode {mode})\n\n\
         Apply it ON {name}, as root:\n\n    esmtls apply --bundle <this directory>\n\n\
         It edits {yml} in {config} in place (comments kept, a backup first),\n\
         adds and removes entries in the keystore that is there (never replaces it),\n\
         and gives every file it writes the group of {config}, readable by the\n\
         service and by nobody else. Run `esmtls plan --bundle <this directory>`\n\
         first to see the exact changes. The order of work across the cluster is\n\
         in PLAN.txt beside this directory.\n",
        name = h.name,
        product = h.product.name(),
        yml = h.product.yml(),
        config = h.config.display(),
    );
    if secret {
        t.push_str("\nTHIS BUNDLE HOLDS SECRETS (a private key or Kibana's credential).\nKeep it 0700/0600, move it only over an encrypted channel, and DELETE it\nonce `esmtls apply --bundle` has verified the setup.\n");
    } else {
        t.push_str("\nThis bundle holds no secret.\n");
    }
    t
}

/// `DIR/_cluster/README.txt`.
pub fn cluster(p: &ClusterPlan) -> String {
    let mut t = format!(
        "esmtls cluster-wide calls (mode {})\n\n\
         Apply once, from any host that reaches the cluster, with the admin\n\
         credentials in the environment (ESMTLS_ES_USERNAME / ESMTLS_ES_PASSWORD),\n\
         at its place in the order (PLAN.txt):\n\n    esmtls apply --bundle <this directory>\n\nCalls:\n",
        p.mode
    );
    for c in &p.calls {
        t.push_str(&format!("  {} {} ({})\n", c.method, c.path, c.purpose));
    }
    if p.calls.iter().any(|c| c.secret.is_some()) {
        t.push_str("\nTHIS BUNDLE HOLDS A SECRET (the new kibana_system password). Delete it once\nKibana has been verified.\n");
    }
    t
}
