//! The REST endpoints one node answers, after authentication and a coarse
//! authorization: the `superuser` role may do everything; `kibana_system`
//! and service accounts may read cluster information (`monitor`); anyone
//! authenticated may call `_authenticate`; the rest is a 403 in
//! Elasticsearch's words ("action [..] is unauthorized for user [..] with
//! effective roles [..]", `AuthorizationService`).
//!
//! Response shapes follow the elastic/elasticsearch-specification examples in
//! `tests/fixtures/es-responses` (`GET /`, `_license`) and
//! `specification/nodes/info/examples/200_response/nodesInfoResponseExample1.yaml`,
//! `specification/cluster/health/examples/response/ClusterHealthResponseExample1.yaml`,
//! `specification/nodes/info/types.ts` (`http`: `bound_address`,
//! `publish_address`, `max_content_length_in_bytes`). The security endpoints
//! live in `security`.

use serde_json::{Map, Value as Json, json};

use super::auth::{Who, authenticate};
use super::node::{Node, NodeView};
use super::{Shared, security};
use crate::es_support::{Reply, Seen, fixture};

/// `cluster_uuid` of every fake cluster.
const CLUSTER_UUID: &str = "esmtlsFakeClusterUuid0";

/// Answers one request on `node`.
pub fn handle(seen: &Seen, node: &Node, shared: &Shared) -> Reply {
    let who = {
        let st = shared.state.lock().unwrap();
        match authenticate(seen, node, &st) {
            Ok(w) => w,
            Err(reply) => return reply,
        }
    };
    match seen.api.as_str() {
        "security.authenticate" => Reply::new(200, who.body.to_string()),
        "info" => monitor(&who, "cluster:monitor/main").map_or_else(|e| e, |()| info(node)),
        "license.get" => monitor(&who, "cluster:monitor/xpack/license/get")
            .map_or_else(|e| e, |()| license(shared)),
        "cluster.health" => {
            monitor(&who, "cluster:monitor/health").map_or_else(|e| e, |()| health(node, shared))
        }
        "nodes.info" => monitor(&who, "cluster:monitor/nodes/info")
            .map_or_else(|e| e, |()| nodes(seen, node, shared)),
        _ => security::handle(seen, &who, shared),
    }
}

/// Read access to cluster information.
fn monitor(who: &Who, action: &str) -> Result<(), Reply> {
    if who.superuser() || who.service || who.roles.iter().any(|r| r == "kibana_system") {
        Ok(())
    } else {
        Err(forbidden(who, action, "monitor,manage,all"))
    }
}

/// `manage_security`: the superuser only.
pub fn manage_security(who: &Who, action: &str) -> Result<(), Reply> {
    if who.superuser() {
        Ok(())
    } else {
        Err(forbidden(who, action, "manage_security,all"))
    }
}

fn forbidden(who: &Who, action: &str, privileges: &str) -> Reply {
    error(
        403,
        "security_exception",
        &format!(
            "action [{action}] is unauthorized for user [{}] with effective roles [{}], this action is granted by the cluster privileges [{privileges}]",
            who.username,
            who.roles.join(",")
        ),
    )
}

/// Elasticsearch's error body.
pub fn error(status: u16, kind: &str, reason: &str) -> Reply {
    let cause = json!({"type": kind, "reason": reason});
    Reply::new(
        status,
        json!({"error": {"root_cause": [cause], "type": kind, "reason": reason}, "status": status})
            .to_string(),
    )
}

fn version() -> Json {
    let info: Json = serde_json::from_str(&fixture("info.json")).expect("info.json is JSON");
    info["version"].clone()
}

fn info(node: &Node) -> Reply {
    let mut info: Json = serde_json::from_str(&fixture("info.json")).expect("info.json is JSON");
    info["name"] = json!(node.name);
    info["cluster_name"] = json!(node.cluster_name());
    info["cluster_uuid"] = json!(CLUSTER_UUID);
    Reply::new(200, info.to_string())
}

fn license(shared: &Shared) -> Reply {
    let mut l: Json =
        serde_json::from_str(&fixture("license.get.json")).expect("license.get.json is JSON");
    l["license"]["type"] = json!(shared.state.lock().unwrap().license);
    l["license"]["status"] = json!("active");
    Reply::new(200, l.to_string())
}

fn running(shared: &Shared) -> Vec<NodeView> {
    let views = shared.views.lock().unwrap();
    views.iter().filter(|v| v.running).cloned().collect()
}

fn health(node: &Node, shared: &Shared) -> Reply {
    let n = running(shared).len();
    Reply::new(
        200,
        json!({
            "cluster_name": node.cluster_name(), "status": "green", "timed_out": false,
            "number_of_nodes": n, "number_of_data_nodes": n,
            "active_primary_shards": 0, "active_shards": 0, "relocating_shards": 0,
            "initializing_shards": 0, "unassigned_shards": 0, "delayed_unassigned_shards": 0,
            "number_of_pending_tasks": 0, "number_of_in_flight_fetch": 0,
            "task_max_waiting_in_queue_millis": 0, "active_shards_percent_as_number": 100.0
        })
        .to_string(),
    )
}

const METRICS: [&str; 10] = [
    "settings",
    "os",
    "process",
    "jvm",
    "thread_pool",
    "transport",
    "http",
    "plugins",
    "ingest",
    "_all",
];

/// `GET /_nodes[/{node_id}][/{metric}]` (`RestNodesInfoAction`: a single
/// part is metrics when every item is a metric name, else node ids).
fn nodes(seen: &Seen, node: &Node, shared: &Shared) -> Reply {
    let parts: Vec<&str> = seen.path.trim_matches('/').split('/').skip(1).collect();
    let is_metrics = |p: &str| p.split(',').all(|m| METRICS.contains(&m));
    let (filter, metrics) = match parts.as_slice() {
        [] => (None, None),
        [one] if is_metrics(one) => (None, Some(*one)),
        [one] => (Some(*one), None),
        [ids, m, ..] => (Some(*ids), Some(*m)),
    };
    let wants = |m: &str| metrics.is_none_or(|ms| ms.split(',').any(|x| x == m || x == "_all"));
    let flat = seen.query.split('&').any(|q| q == "flat_settings=true");
    let mut out = Map::new();
    let all = running(shared);
    for v in &all {
        let picked = filter.is_none_or(|f| {
            f.split(',').any(|x| {
                x == "_all" || x == v.name || x == v.id || (x == "_local" && v.id == node.id)
            })
        });
        if !picked {
            continue;
        }
        let ip = v.ip.to_string();
        let mut n = json!({
            "name": v.name, "transport_address": format!("{ip}:9300"), "host": ip,
            "ip": ip, "version": version()["number"], "build_flavor": "default",
            "build_type": version()["build_type"], "build_hash": version()["build_hash"],
            "roles": ["data", "ingest", "master"], "attributes": {}
        });
        let addr = format!("{ip}:{}", v.port);
        if wants("http") {
            n["http"] = json!({"bound_address": [addr], "publish_address": addr,
                               "max_content_length_in_bytes": 104857600});
        }
        if wants("settings") {
            n["settings"] = if flat {
                v.settings.1.clone()
            } else {
                v.settings.0.clone()
            };
        }
        out.insert(v.id.clone(), n);
    }
    let total = out.len();
    Reply::new(
        200,
        json!({
            "_nodes": {"total": total, "successful": total, "failed": 0},
            "cluster_name": node.cluster_name(), "nodes": out
        })
        .to_string(),
    )
}
