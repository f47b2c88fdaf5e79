//! What the workers report back to the event loop (inside [`Msg`](super::app::Msg)s):
//! detection, a plan ready for review, apply's outcome — plain values,
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

/// A plan ready for review.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The plan.
    pub plan: Plan,
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
