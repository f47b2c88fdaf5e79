//! The fleet's restart channel: every host's `systemctl` shim connects to one
//! Unix socket in the test directory (bind-mounted into each host) and sends
//! `HOST restart UNIT`; a thread of the test process restarts that host's
//! fake node ([`FakeCluster::try_restart`], which re-reads the host's config
//! tree) and answers `ok`, or `error MESSAGE` (the shim then exits 1 with the
//! node's startup error). Kibana has no process in the fleet: its restart is
//! answered `ok` and recorded.
//!
//! Invariants: requests are served one at a time, in arrival order, and each
//! is recorded in [`Restarts::log`] (and sent to every subscriber) before it
//! is answered; dropping the server wakes its thread with a connection and
//! joins it.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::cluster_support::FakeCluster;

/// One restart the fleet asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restart {
    /// The host (its hostname).
    pub host: String,
    /// `elasticsearch.service` / `kibana.service`.
    pub unit: String,
    /// `None` when the node came back, else its startup error.
    pub error: Option<String>,
}

#[derive(Default)]
struct Shared {
    log: Mutex<Vec<Restart>>,
    subscribers: Mutex<Vec<Sender<Restart>>>,
}

/// The running restart server.
pub struct Restarts {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Restarts {
    /// Listens on `path`; `nodes` are the hosts whose restart restarts a node.
    pub fn serve(path: &Path, cluster: Arc<FakeCluster>, nodes: Vec<String>) -> Restarts {
        let listener = UnixListener::bind(path)
            .unwrap_or_else(|e| panic!("cannot listen on {}: {e}", path.display()));
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared::default());
        let thread = {
            let shared = shared.clone();
            crate::es_support::accept_until_stopped(
                stop.clone(),
                move || listener.accept().map(|(c, _)| c),
                move |conn| answer(conn, &cluster, &nodes, &shared),
            )
        };
        Restarts {
            path: path.to_path_buf(),
            stop,
            shared,
            thread: Some(thread),
        }
    }

    /// Every restart so far, in order.
    pub fn log(&self) -> Vec<Restart> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Sends each later restart to `tx` (recorded first, answered after).
    pub fn subscribe(&self, tx: Sender<Restart>) {
        self.shared.subscribers.lock().unwrap().push(tx);
    }
}

/// Reads one request, restarts, records, answers.
fn answer(conn: UnixStream, cluster: &FakeCluster, nodes: &[String], shared: &Shared) {
    let mut line = String::new();
    if BufReader::new(&conn).read_line(&mut line).is_err() {
        return;
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    let (host, unit) = match words.as_slice() {
        [host, "restart", unit] => (host.to_string(), unit.to_string()),
        _ => {
            let _ = (&conn).write_all(format!("error bad request {line:?}\n").as_bytes());
            return;
        }
    };
    let error = match unit.as_str() {
        "elasticsearch.service" if nodes.contains(&host) => cluster.try_restart(&host).err(),
        "kibana.service" if !nodes.contains(&host) => None,
        _ => Some(format!("Unit {unit} not found.")),
    };
    let r = Restart { host, unit, error };
    shared.log.lock().unwrap().push(r.clone());
    shared
        .subscribers
        .lock()
        .unwrap()
        .retain(|tx| tx.send(r.clone()).is_ok());
    let reply = match &r.error {
        None => "ok\n".to_string(),
        Some(e) => format!("error {}\n", e.replace('\n', " ")),
    };
    let _ = (&conn).write_all(reply.as_bytes());
}

impl Drop for Restarts {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = UnixStream::connect(&self.path);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}
