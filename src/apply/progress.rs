//! What apply tells while it runs, and how it is asked to stop.
//!
//! [`actions`] lists, before anything runs, every action the executor will
//! take for a plan — the screen shows them all as pending first — and the
//! executor reports each one's [`Progress`] to an [`Observer`] under the same
//! index and identity, in that order. A [`Cancel`] flag, set from another
//! thread or a signal handler, is read only at safe points: between API
//! calls, between renames, before each cluster change and while waiting.
//!
//! No terminal code here: the wizard turns events into messages, the CLI into
//! lines.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::plan::types::{EntryValue, KeystoreOp, Plan};

/// Which step of the executor an action is; equal identities are the same action.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ActionId {
    /// Ask the cluster for a value a file needs (a service token): the call
    /// with this index in [`Plan::api`].
    Produce(usize),
    /// Write the new files next to their targets and back up the ones replaced.
    Prepare,
    /// Rename one file or keystore into place.
    Write(PathBuf),
    /// A change to the cluster (role mapping, password): the call with this
    /// index in [`Plan::api`].
    Cluster(usize),
    /// A restart command (`--restart`): this index in [`Plan::commands`].
    Restart(usize),
    /// Wait until Elasticsearch answers again after the restarts.
    Wait,
    /// Connect as Kibana would and check who Elasticsearch says it is.
    Verify,
}

/// One action, with the words that name it (never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// Its identity.
    pub id: ActionId,
    /// What it does, in a few words.
    pub label: String,
}

/// Where an action is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionState {
    /// Not started.
    Pending,
    /// Running now.
    Running,
    /// Done.
    Done,
    /// Failed, with why.
    Failed(String),
    /// Done, then undone (file restored, token deleted).
    Undone,
    /// Not run, with why (nothing to do, or not possible yet).
    Skipped(String),
}

/// One event: action `index` of [`actions`] is now in `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// Its index in the list [`actions`] gave.
    pub index: usize,
    /// The action.
    pub action: Action,
    /// Its new state.
    pub state: ActionState,
}

/// Receives [`Progress`] events, on the thread apply runs on.
#[derive(Clone)]
pub struct Observer(Arc<dyn Fn(&Progress) + Send + Sync>);

impl Observer {
    /// An observer calling `f` for each event.
    pub fn new(f: impl Fn(&Progress) + Send + Sync + 'static) -> Observer {
        Observer(Arc::new(f))
    }
    pub(crate) fn tell(&self, p: &Progress) {
        (self.0)(p)
    }
}

impl Default for Observer {
    fn default() -> Observer {
        Observer::new(|_| {})
    }
}

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observer")
    }
}

/// A stop request, shared between apply and whoever may ask it to stop.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A flag not set.
    pub fn new() -> Cancel {
        Cancel::default()
    }
    /// Asks apply to stop at its next safe point.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    /// True once [`Cancel::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
    /// The flag itself, for a signal handler (`signal_hook::flag::register`).
    pub fn flag(&self) -> Arc<AtomicBool> {
        self.0.clone()
    }
}

/// The indexes in [`Plan::api`] of the calls whose answers go into files.
pub(crate) fn producers(plan: &Plan) -> Vec<usize> {
    plan.keystores
        .iter()
        .flat_map(|k| &k.ops)
        .filter_map(|op| match op {
            KeystoreOp::Set {
                value: EntryValue::FromApi(i),
                ..
            } => Some(*i),
            _ => None,
        })
        .collect()
}

/// What a cluster change is, if the call at `i` is one apply makes in phase 4.
pub(crate) fn is_cluster_change(plan: &Plan, i: usize) -> bool {
    let c = &plan.api[i];
    !c.deferred
        && ((c.method == "PUT" && c.path.starts_with("/_security/role_mapping/"))
            || c.path.ends_with("/_password"))
}

/// The files and keystores the batch writes, in its order, with their labels.
pub(crate) fn writes(plan: &Plan) -> Vec<(PathBuf, String)> {
    let mut v: Vec<(PathBuf, String)> = plan
        .files
        .iter()
        .filter(|f| !f.unchanged)
        .map(|f| {
            (
                f.path.clone(),
                format!("write {} — {}", f.path.display(), f.what),
            )
        })
        .collect();
    for k in &plan.keystores {
        let names: Vec<String> = k
            .ops
            .iter()
            .map(|op| match op {
                KeystoreOp::Set { name, .. } => format!("set {name}"),
                KeystoreOp::Remove { name, .. } => format!("remove {name}"),
            })
            .collect();
        let label = format!(
            "write {} — keystore: {}",
            k.path.display(),
            names.join(", ")
        );
        v.push((k.path.clone(), label));
    }
    v
}

/// Every action apply takes for `plan`, in the order it takes them
/// (`restart`: whether `--restart` runs the commands).
pub fn actions(plan: &Plan, restart: bool) -> Vec<Action> {
    let act = |id, label: String| Action { id, label };
    let mut v = Vec::new();
    for i in producers(plan) {
        let c = &plan.api[i];
        v.push(act(
            ActionId::Produce(i),
            format!("{} {} — a service token for Kibana", c.method, c.path),
        ));
    }
    let writes = writes(plan);
    if !writes.is_empty() {
        v.push(act(
            ActionId::Prepare,
            "prepare the new files and back up the ones replaced".into(),
        ));
    }
    for (path, label) in writes {
        v.push(act(ActionId::Write(path), label));
    }
    for i in (0..plan.api.len()).filter(|i| is_cluster_change(plan, *i)) {
        let c = &plan.api[i];
        v.push(act(
            ActionId::Cluster(i),
            format!("{} {}", c.method, c.path),
        ));
    }
    if restart {
        for (i, c) in plan.commands.iter().enumerate().filter(|(_, c)| c.restart) {
            v.push(act(
                ActionId::Restart(i),
                format!("run {}", c.argv.join(" ")),
            ));
        }
        v.push(act(
            ActionId::Wait,
            "wait until Elasticsearch answers".into(),
        ));
    }
    v.push(act(
        ActionId::Verify,
        format!("verify as Kibana connects: {}", plan.verify.url),
    ));
    v
}

/// Sends events for the actions of one run.
pub(crate) struct Reporter<'a> {
    list: Vec<Action>,
    observer: &'a Observer,
}

impl<'a> Reporter<'a> {
    pub(crate) fn new(list: Vec<Action>, observer: &'a Observer) -> Self {
        Reporter { list, observer }
    }

    /// Tells `state` for `id` (ignored when the list has no such action).
    pub(crate) fn tell(&self, id: &ActionId, state: ActionState) {
        if let Some(index) = self.list.iter().position(|a| a.id == *id) {
            self.observer.tell(&Progress {
                index,
                action: self.list[index].clone(),
                state,
            });
        }
    }
}
