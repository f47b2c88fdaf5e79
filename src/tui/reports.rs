//! What the workers report back to the event loop (inside [`Msg`](super::app::Msg)s):
//! detection, a plan ready for review, apply's outcome, the renewal and the
//! doctor's findings — plain values,
//! already worded for the screens, with no secret in them.

use esmtls::plan::{Answers, License, Plan, Setup};

/// What detection found, for the start screen.
#[derive(Debug, Clone)]
pub struct DetectInfo {
    /// The summary (`Detected`'s Display).
    pub summary: String,
    /// Answers saved by an earlier run, with where.
    pub saved: Option<(Answers, String)>,
    /// The license from `GET /_license`, when the cluster answered.
    pub license: Option<License>,
    /// How each side restarts.
    pub restarts: Restarts,
    /// The mode already in place, if the settings describe one.
    pub current: Option<esmtls::plan::current::Current>,
}

/// How detection says each side restarts, for steps 5 and 9: the method's
/// description and whether it gives a command; None when not detected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restarts {
    /// Elasticsearch.
    pub es: Option<(String, bool)>,
    /// Kibana.
    pub kibana: Option<(String, bool)>,
}

/// A command left to the operator, labelled with its service: the plan's
/// restart commands come from steps 5 and 9, whose `what` names the side
/// (`restart Elasticsearch (systemd)`, `restart Kibana with the command
/// from the answers`).
pub fn labelled(c: &esmtls::plan::Command) -> String {
    let service = if c.what.contains("Kibana") {
        "Kibana"
    } else if c.what.contains("Elasticsearch") {
        "Elasticsearch"
    } else {
        return format!("{}    # {}", c.argv.join(" "), c.what);
    };
    format!("{service:<13} {}", c.argv.join(" "))
}

/// A plan ready for review.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The plan (None for a cluster: see `cluster`).
    pub plan: Option<Plan>,
    /// With a topology: the cluster plan, whose Enter writes the bundles.
    pub cluster: Option<Box<esmtls::cluster::ClusterPlan>>,
    /// Where it applies.
    pub setup: Setup,
    /// `plan::render::text`.
    pub text: String,
    /// Where the answers were saved.
    pub saved: String,
}

/// What apply reported, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The verification: Ok(who) / Err(why) / None when it did not run.
    pub verified: Option<Result<String, String>>,
    /// Files, requests, notes.
    pub lines: Vec<String>,
    /// Commands left to the operator.
    pub commands: Vec<String>,
}

/// Which certificates to renew, as the renew screen chose them: the same
/// inputs give the same renewals (files and aliases; the new keys differ).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewRequest {
    /// The files (`RenewOptions::only`).
    pub files: Vec<std::path::PathBuf>,
    /// The window (`RenewOptions::within`): at least 30 days, and wide
    /// enough for every selected certificate.
    pub within: i64,
}

/// A renewal ready for review (`RenewPlan` without its in-memory files).
#[derive(Debug, Clone)]
pub struct RenewPreview {
    /// What was asked.
    pub request: RenewRequest,
    /// The certificates re-issued.
    pub renewals: Vec<esmtls::lifecycle::renew::Renewal>,
    /// CAs that expire: a transition, not a renewal.
    pub ca_notices: Vec<esmtls::lifecycle::renew::CaNotice>,
    /// Things to know.
    pub warnings: Vec<String>,
    /// What happens next on each side.
    pub next_steps: Vec<String>,
}

impl RenewPreview {
    /// What the write must renew to match this review: (file, alias) in order.
    pub fn targets(&self) -> Vec<(std::path::PathBuf, Option<String>)> {
        self.renewals
            .iter()
            .map(|r| (r.file.clone(), r.alias.clone()))
            .collect()
    }
}

/// What a renewal wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewed {
    /// Each file written, with its backup when one was replaced.
    pub written: Vec<(std::path::PathBuf, Option<std::path::PathBuf>)>,
    /// What happens next on each side.
    pub next_steps: Vec<String>,
    /// The command that restarts Kibana, when a Kibana file was renewed and
    /// the restart method is known.
    pub restart: Option<String>,
}

/// The doctor's findings, for "Check my setup".
#[derive(Debug, Clone)]
pub struct Checked {
    /// Offline and online findings, in that order.
    pub findings: Vec<esmtls::lifecycle::doctor::Finding>,
    /// What the online checks could not do, and why.
    pub notes: Vec<String>,
}
