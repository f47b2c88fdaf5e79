//! A fake Elasticsearch *cluster* for integration tests: one HTTPS server per
//! node on its own loopback port, each node loading its own config tree as
//! Elasticsearch does, all nodes sharing the cluster-wide security state.
//!
//! Each node reads `elasticsearch.yml`, `elasticsearch.keystore`, the TLS
//! files they name, `service_tokens` and its PKI realms' `role_mapping.yml`
//! (see `node`, `settings`, `tls`, `realm`, `tokens`, `rolemap`); it presents
//! its own certificate chain, asks for client certificates per its
//! `client_authentication`, and answers `GET /`, `_license`, `_authenticate`,
//! role mappings, service tokens, passwords, `_nodes` and `_cluster/health`
//! (`api`, `security`) after running the authentication chain (`auth`).
//! Every request is first checked against the REST spec by `es_support`,
//! whose accept loop (`es_support::Listener`) each node runs on — so a test
//! crate declares `mod es_support;` next to `mod cluster_support;`.
//!
//! Invariants: no sleeps, and no fixed ports unless the test gives each node
//! its address ([`FakeCluster::try_start_at`], e.g. a fleet host's
//! `127.0.0.1N:9200`) — a node's listener is bound before its thread starts,
//! and a restarted node binds the same address again before it is marked
//! running; a config a real node would refuse fails
//! [`FakeCluster::try_start`] / [`FakeCluster::try_restart`] with
//! Elasticsearch's message; dropping the cluster stops and joins every node.
#![allow(dead_code)]

mod api;
mod auth;
mod node;
mod realm;
mod rolemap;
mod security;
mod settings;
mod tls;
pub mod tokens;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use node::{Node, NodeView, State};

use crate::es_support::{Listener, Seen};

/// The superuser's name.
pub const ADMIN_USER: &str = "elastic";
/// The superuser's password in every fake cluster.
pub const ADMIN_PASSWORD: &str = "fake-elastic-Pa55";

/// State every node sees.
pub(crate) struct Shared {
    state: Mutex<State>,
    views: Mutex<Vec<NodeView>>,
}

/// The running cluster; dropping it stops every node.
pub struct FakeCluster {
    shared: Arc<Shared>,
    /// One listener per node name while the node runs.
    listeners: Mutex<BTreeMap<String, Listener>>,
}

impl FakeCluster {
    /// Starts one node per `(name, config dir)`; panics with the first node's
    /// startup error.
    pub fn start(nodes: &[(&str, &Path)]) -> FakeCluster {
        Self::try_start(nodes).unwrap_or_else(|e| panic!("the fake cluster did not start: {e}"))
    }

    /// [`FakeCluster::start`], returning a node's startup error instead.
    pub fn try_start(nodes: &[(&str, &Path)]) -> Result<FakeCluster, String> {
        let any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let at: Vec<(&str, &Path, SocketAddr)> = nodes.iter().map(|(n, d)| (*n, *d, any)).collect();
        Self::try_start_at(&at)
    }

    /// Starts one node per `(name, config dir, address)`: each node listens
    /// on its own address (port 0: any free port), as the hosts of a fleet
    /// do; returns the first node's startup error.
    pub fn try_start_at(nodes: &[(&str, &Path, SocketAddr)]) -> Result<FakeCluster, String> {
        let mut passwords = BTreeMap::new();
        passwords.insert(ADMIN_USER.to_string(), ADMIN_PASSWORD.to_string());
        let cluster = FakeCluster {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    license: "trial".into(),
                    passwords,
                    mappings: BTreeMap::new(),
                    tokens: BTreeMap::new(),
                }),
                views: Mutex::new(Vec::new()),
            }),
            listeners: Mutex::new(BTreeMap::new()),
        };
        for (name, dir, addr) in nodes {
            let listener = TcpListener::bind(addr)
                .map_err(|e| format!("node [{name}]: cannot bind {addr}: {e}"))?;
            cluster.launch(name, dir, listener)?;
        }
        Ok(cluster)
    }

    /// Loads the node's config, then serves on `listener` and marks it running.
    fn launch(&self, name: &str, dir: &Path, listener: TcpListener) -> Result<(), String> {
        let node = Arc::new(Node::load(name, dir).map_err(|e| format!("node [{name}]: {e}"))?);
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let view = NodeView {
            name: name.to_string(),
            id: node.id.clone(),
            dir: dir.to_path_buf(),
            ip: addr.ip(),
            port: addr.port(),
            running: true,
            tls: node.http.tls.is_some(),
            settings: (node.settings.to_json(false), node.settings.to_json(true)),
            file_tokens: node.file_tokens.keys().cloned().collect(),
        };
        let (shared, n) = (self.shared.clone(), node.clone());
        let handler = Arc::new(move |seen: &Seen| api::handle(seen, &n, &shared));
        let running = Listener::spawn(listener, node.http.tls.clone(), handler);
        {
            let mut views = self.shared.views.lock().unwrap();
            views.retain(|v| v.name != name);
            views.push(view);
        }
        self.listeners
            .lock()
            .unwrap()
            .insert(name.to_string(), running);
        Ok(())
    }

    fn view(&self, name: &str) -> NodeView {
        let views = self.shared.views.lock().unwrap();
        views
            .iter()
            .find(|v| v.name == name)
            .cloned()
            .unwrap_or_else(|| panic!("the fake cluster has no node [{name}]"))
    }

    /// `https://IP:PORT` (`http://` when the node's HTTP TLS is off); the IP
    /// is 127.0.0.1 unless the node was given its address.
    pub fn node_url(&self, name: &str) -> String {
        let ip = self.view(name).ip;
        self.url_with_host(name, &ip.to_string())
    }

    /// The same node as `https://localhost:PORT`.
    pub fn localhost_url(&self, name: &str) -> String {
        self.url_with_host(name, "localhost")
    }

    fn url_with_host(&self, name: &str, host: &str) -> String {
        let v = self.view(name);
        let scheme = if v.tls { "https" } else { "http" };
        format!("{scheme}://{host}:{}", v.port)
    }

    /// The node's port (kept across restarts).
    pub fn port(&self, name: &str) -> u16 {
        self.view(name).port
    }

    /// The node names, in start order.
    pub fn node_names(&self) -> Vec<String> {
        let views = self.shared.views.lock().unwrap();
        views.iter().map(|v| v.name.clone()).collect()
    }

    /// True while the node serves.
    pub fn is_running(&self, name: &str) -> bool {
        self.view(name).running
    }

    /// Stops the node (its port then refuses connections).
    pub fn stop(&self, name: &str) {
        self.set_running(name, false);
        // Dropping the listener joins its thread; no views lock is held here,
        // which its handler may be waiting for.
        let stopped = self.listeners.lock().unwrap().remove(name);
        drop(stopped);
    }

    fn set_running(&self, name: &str, running: bool) {
        let mut views = self.shared.views.lock().unwrap();
        let v = views.iter_mut().find(|v| v.name == name);
        v.unwrap_or_else(|| panic!("the fake cluster has no node [{name}]"))
            .running = running;
    }

    /// The node's IP address (kept across restarts).
    pub fn ip(&self, name: &str) -> IpAddr {
        self.view(name).ip
    }

    /// Stops the node, re-reads its config tree and listens on the same address.
    pub fn restart(&self, name: &str) {
        self.try_restart(name)
            .unwrap_or_else(|e| panic!("the fake node did not restart: {e}"));
    }

    /// [`FakeCluster::restart`], returning the node's startup error (the node
    /// then stays stopped, as a real node that fails to start does).
    pub fn try_restart(&self, name: &str) -> Result<(), String> {
        self.stop(name);
        let v = self.view(name);
        let listener = TcpListener::bind((v.ip, v.port))
            .map_err(|e| format!("node [{name}]: cannot bind {}:{} again: {e}", v.ip, v.port))?;
        self.launch(name, &v.dir, listener)
    }

    /// Sets the license type `GET /_license` reports (`trial` by default);
    /// below Gold the PKI realms are skipped.
    pub fn set_license(&self, license_type: &str) {
        self.shared.state.lock().unwrap().license = license_type.to_string();
    }

    /// The `kibana_system` password set through the API, if any.
    pub fn kibana_system_password(&self) -> Option<String> {
        let st = self.shared.state.lock().unwrap();
        st.passwords.get("kibana_system").cloned()
    }

    /// The role mappings made through the API, by name.
    pub fn role_mappings(&self) -> BTreeMap<String, serde_json::Value> {
        self.shared.state.lock().unwrap().mappings.clone()
    }

    /// Qualified names of the service tokens made through the API.
    pub fn api_service_tokens(&self) -> Vec<String> {
        let st = self.shared.state.lock().unwrap();
        st.tokens.keys().cloned().collect()
    }

    /// The requests the node served since it last started.
    pub fn seen(&self, name: &str) -> Vec<Seen> {
        let l = self.listeners.lock().unwrap();
        l.get(name).map(Listener::seen).unwrap_or_default()
    }

    /// Handshakes the node refused since it last started, once there is one
    /// (at most 10 s; the client sees the alert before the node records it).
    pub fn tls_failures_soon(&self, name: &str) -> Vec<String> {
        let l = self.listeners.lock().unwrap();
        l.get(name)
            .map(Listener::tls_failures_soon)
            .unwrap_or_default()
    }

    /// The node's config directory.
    pub fn config_dir(&self, name: &str) -> PathBuf {
        self.view(name).dir
    }
}

impl Drop for FakeCluster {
    fn drop(&mut self) {
        for v in self.shared.views.lock().unwrap().iter_mut() {
            v.running = false;
        }
        // Each Listener stops and joins its thread as it drops.
        let all = std::mem::take(&mut *self.listeners.lock().unwrap());
        drop(all);
    }
}
