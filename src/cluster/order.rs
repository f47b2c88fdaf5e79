//! The order of work that keeps the cluster up, decided by the plan and
//! explained in it:
//! - `mtls-*`: the nodes first get what changes nothing for running traffic
//!   and Kibana's new credential needs (a file-based service token); then Kibana presents
//!   its certificate (harmless while no node asks for one) with its new
//!   credential; then the nodes switch to `required`, one at a time.
//! - `pki`: the nodes get the PKI realm and `optional` first, one at a time;
//!   then the role mapping; then Kibana drops its password or token.
//! - `token` / `password`: the nodes learn the credential, then Kibana uses it.
//!
//! When esmtls turns HTTPS on (fresh nodes), Kibana cannot keep its
//! connection through the switch; the nodes go first and the plan says so.
//! A node restart waits until the node has rejoined and the cluster health
//! is back to what it was.

use serde::Serialize;

use super::topology::{Product, Topology};
use crate::plan::Mode;

/// What a stage applies on a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Only files that change nothing for running traffic (certificates,
    /// CA files, `service_tokens`, keystore entries); no yml edit, no restart.
    Prepare,
    /// Everything, but client certificates only asked for (`optional`), not
    /// yet required (mtls modes on nodes whose HTTPS esmtls turns on); then
    /// the restart.
    Https,
    /// Everything in the bundle, then the restart.
    All,
}

impl Phase {
    /// The command on `host` for this phase (`DIR` stands for the bundles' folder).
    pub fn command(self, dir: &str, host: &str) -> String {
        let phase = match self {
            Phase::Prepare => " --phase prepare",
            Phase::Https => " --phase https",
            Phase::All => "",
        };
        let restart = if self != Phase::Prepare && host != CLUSTER {
            " --restart"
        } else {
            ""
        };
        format!("esmtls apply --bundle {dir}/{host}{phase}{restart}")
    }
}

/// One stage of the order.
#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    /// What happens, for the operator.
    pub what: String,
    /// Why here.
    pub why: String,
    /// The hosts (`_cluster` for the cluster-wide calls) and the phase.
    pub hosts: Vec<String>,
    /// What each host applies.
    pub phase: Phase,
    /// True when the hosts go one at a time (a restart waits for the node to rejoin).
    pub one_at_a_time: bool,
}

/// The name of the cluster-wide part (API calls made once).
pub const CLUSTER: &str = "_cluster";

/// The order for `mode` on `top`; `calls` when there are cluster-wide calls,
/// `https_on` when esmtls turns HTTPS on, `prepare` when the nodes must hold
/// something before Kibana switches (a file-based service token). Without
/// it the nodes' files come with their settings in the last stage (a CA file
/// matters only once `certificate_authorities` names it), and no stage asks
/// the operator to run a command that changes nothing.
pub fn order(
    mode: Mode,
    top: &Topology,
    calls: bool,
    https_on: bool,
    prepare_needed: bool,
) -> Vec<Stage> {
    let names = |p: Product| -> Vec<String> {
        top.hosts()
            .filter(|(q, _)| *q == p)
            .map(|(_, h)| h.name.clone())
            .collect()
    };
    let (nodes, kibanas) = (names(Product::Elasticsearch), names(Product::Kibana));
    let prepare = Stage {
        what:
            "every node: certificates, CA files and the token file (no setting changes, no restart)"
                .into(),
        why:
            "nothing that running traffic depends on changes, so this is safe on all nodes at once"
                .into(),
        hosts: nodes.clone(),
        phase: Phase::Prepare,
        one_at_a_time: false,
    };
    let nodes_all = |what: &str, why: &str| Stage {
        what: what.into(),
        why: why.into(),
        hosts: nodes.clone(),
        phase: Phase::All,
        one_at_a_time: true,
    };
    let kibana = |why: &str| Stage {
        what: "every Kibana: certificates, kibana.yml, keystore, then restart".into(),
        why: why.into(),
        hosts: kibanas.clone(),
        phase: Phase::All,
        one_at_a_time: false,
    };
    let cluster_calls = |why: &str| Stage {
        what: "the cluster-wide API calls, once, from a host that reaches the cluster".into(),
        why: why.into(),
        hosts: vec![CLUSTER.into()],
        phase: Phase::All,
        one_at_a_time: false,
    };
    let mut out = Vec::new();
    let mtls = mode.client_cert() && mode != Mode::Pki;
    if https_on && mtls {
        out.push(Stage {
            phase: Phase::Https,
            ..nodes_all(
                "every node, one at a time: HTTPS on, client certificates asked for (optional), then restart",
                "esmtls turns HTTPS on; Kibana cannot connect over HTTPS before the nodes serve it, so Kibana is without Elasticsearch from the first node's restart until its own. `optional` keeps the cluster-wide calls and Kibana's switch possible without a certificate",
            )
        });
    } else if https_on {
        out.push(nodes_all(
            "every node, one at a time: HTTPS on (and the mode's settings), then restart",
            "esmtls turns HTTPS on; Kibana cannot connect over HTTPS before the nodes serve it, so Kibana is without Elasticsearch from the first node's restart until its own",
        ));
    } else if mode == Mode::Pki {
        out.push(nodes_all(
            "every node, one at a time: the PKI realm and client_authentication optional, then restart",
            "`optional` still accepts Kibana's current password or token, so nothing breaks while the nodes change",
        ));
    } else if prepare_needed {
        out.push(prepare);
    }
    if calls {
        out.push(cluster_calls(match mode {
            Mode::Pki => "the role mapping needs the PKI realm on the nodes, and must exist before Kibana drops its password",
            _ => "Kibana's new kibana_system password; Kibana's old one stops working here, until Kibana restarts in the next stage (seconds)",
        }));
    }
    out.push(kibana(match mode {
        Mode::Pki => "Kibana drops its password or token once every node maps its certificate",
        Mode::MtlsToken | Mode::MtlsPassword => "Kibana presents its certificate before any node asks for one (harmless); its credential is known to every node",
        _ => "its credential is known to every node",
    }));
    if mtls {
        out.push(nodes_all(
            "every node, one at a time: client_authentication required, then restart",
            "Kibana already presents its certificate, so a node that requires one keeps serving it",
        ));
    }
    out
}
