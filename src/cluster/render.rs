//! The cluster plan as text: per host, the calls made once, the order.

use std::fmt::Write;

use super::types::ClusterPlan;

/// The plan for humans (no secret in it).
pub fn text(p: &ClusterPlan) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "Cluster plan: mode {} ({} nodes, {} Kibana)",
        p.mode,
        p.hosts.iter().filter(|h| h.url.is_some()).count(),
        p.hosts.iter().filter(|h| h.url.is_none()).count()
    );
    let _ = writeln!(t, "CA: {}", p.ca);
    let _ = writeln!(
        t,
        "Kibana's elasticsearch.hosts: {}",
        p.kibana_hosts.join(", ")
    );
    for w in &p.warnings {
        let _ = writeln!(t, "warning: {w}");
    }
    for h in &p.hosts {
        let _ = writeln!(
            t,
            "\n== {} ({}, {})",
            h.name,
            h.product.name(),
            h.config.display()
        );
        if let Some(u) = &h.url {
            let _ = writeln!(t, "   Kibana connects to {u}");
        }
        for c in &h.certificates {
            let _ = writeln!(t, "   certificate: {c}");
        }
        for c in &h.changes {
            let _ = writeln!(t, "   {c}");
        }
    }
    if !p.calls.is_empty() {
        let _ = writeln!(t, "\n== cluster-wide calls, made once (_cluster)");
        for c in &p.calls {
            let deferred = if c.deferred {
                " (the cluster is not reachable now: run it when it is)"
            } else {
                ""
            };
            let _ = writeln!(t, "   {} {}: {}{deferred}", c.method, c.path, c.purpose);
        }
    }
    let _ = writeln!(t, "\nOrder of work (keeps Kibana connected where it can):");
    for (i, s) in p.order.iter().enumerate() {
        let _ = writeln!(t, "{}. {}", i + 1, s.what);
        let _ = writeln!(t, "   why: {}", s.why);
        for h in &s.hosts {
            let _ = writeln!(t, "   on {h}: {}", s.phase.command("DIR", h));
        }
        if s.one_at_a_time {
            let _ = writeln!(
                t,
                "   one host at a time: each restart waits until the node has rejoined and the cluster health is back"
            );
        }
    }
    t
}
