//! Every sentence the wizard shows that is not already in the core (the core's
//! `plan::guide::strings`, `plan::applies` and `Mode::summary` are used as
//! they are, so the wizard and the CLI say the same thing).

/// The title bar.
pub const TITLE: &str = "esmtls — TLS between Kibana and Elasticsearch";
/// The title bar when narrow.
pub const SHORT_TITLE: &str = "esmtls";
/// Below 80×24.
pub fn too_small(w: u16, h: u16) -> String {
    format!("Terminal too small: {w}×{h}. The wizard needs at least 80×24; enlarge the window.")
}
/// While detection runs.
pub const DETECTING: &str = "Looking for Elasticsearch and Kibana…";
/// Start screen choices.
pub const START_SETUP: &str = "Set up a connection between Kibana and Elasticsearch";
/// Start screen: resume.
pub fn start_saved(path: &str) -> String {
    format!("Continue with the answers saved last time ({path})")
}
/// Start screen: renew (issue 8).
pub const START_RENEW: &str = "Renew certificates (coming)";
/// Start screen: quit.
pub const START_QUIT: &str = "Quit";
/// Guide questions' title.
pub const GUIDE_TITLE: &str = "Which way should Kibana authenticate?";
/// The license row.
pub const LICENSE_Q: &str = "The cluster's license";
/// License unknown.
pub const LICENSE_UNKNOWN: &str = "unknown";
/// Steps screen title.
pub const STEPS_TITLE: &str = "The steps";
/// The prerequisite step's title.
pub const STEP0_TITLE: &str = "HTTPS on Elasticsearch (prerequisite)";
/// Why step 0.
pub const STEP0_WHY: &str = "Kibana must reach Elasticsearch over https:// for any of this to mean something. esmtls keeps the HTTP certificate Elasticsearch has (for example the one security auto-configuration made) and issues one only when there is none, or when you ask.";
/// A step without a form.
pub const NOTHING_TO_ANSWER: &str =
    "Nothing to answer here: esmtls does this step from your other answers. Enter continues.";
/// A skipped step.
pub const SKIPPED: &str = "Skipped in this mode:";
/// Review screen: building.
pub const PLANNING: &str = "Working out the plan (reading files, asking the cluster)…";
/// Review screen: the confirm line.
pub const REVIEW_CONFIRM: &str =
    "Nothing has been written yet. Enter applies this plan; Esc goes back to change answers.";
/// Review: the plan failed.
pub const PLAN_FAILED: &str = "The plan cannot be made with these answers:";
/// Apply screen title.
pub const APPLYING: &str =
    "Applying: backups first, then atomic writes; a failure restores every file";
/// Apply screen: what Ctrl-C does.
pub const APPLY_STOP_HINT: &str = "Ctrl-C stops and puts back everything changed so far.";
/// Apply screen: after Ctrl-C, while the worker restores.
pub const STOPPING: &str = "Stopping — restoring what was changed…";
/// Apply screen: a second Ctrl-C.
pub const STOP_AGAIN: &str =
    "Ctrl-C again quits at once; the next run restores the files from the journal.";
/// Finish: the operator stopped apply.
pub const STOPPED_TITLE: &str = "Stopped (Ctrl-C):";
/// Finish: the report of a stop before the cluster changes.
pub fn stopped_restored(restored: &[String], more: &str) -> String {
    let mut t = if restored.is_empty() {
        "Nothing had been changed yet; every file is as it was.".to_string()
    } else {
        let mut t = "Everything this run changed was put back as it was:".to_string();
        for r in restored {
            t.push_str(&format!("\n  restored  {r}"));
        }
        t
    };
    for m in more.split("; ").filter(|m| !m.is_empty()) {
        t.push_str(&format!("\n{m}"));
    }
    t.push_str(
        "\nBackups (*.esmtls-*.bak) stay beside the files. Quit, or run the wizard again to retry.",
    );
    t
}
/// Start screen: what the journal recovery put back.
pub fn recovered(files: &[String]) -> String {
    format!(
        "An earlier apply was interrupted; its files were restored as they were before it:\n  {}\n",
        files.join("\n  ")
    )
}
/// Start screen: the journal recovery failed.
pub fn recovery_failed(e: &str) -> String {
    format!("An earlier apply was interrupted and could not be undone: {e}\n")
}
/// Finish title.
pub const FINISHED: &str = "Finished";
/// Finish: the apply failed.
pub const APPLY_FAILED: &str = "Apply stopped:";
/// Finish: next commands.
pub const NEXT_COMMANDS: &str = "Run next (restart, then Kibana connects with the new settings):";
/// Finish: answers saved.
pub fn answers_saved(path: &str) -> String {
    format!(
        "Your answers are saved in {path}; `esmtls apply --answers {path}` repeats this setup without the wizard."
    )
}
/// The quit question.
pub const QUIT_Q: &str = "Quit? Your answers on these screens would be lost.";
/// The help overlay title.
pub const HELP_TITLE: &str = "Keys";
/// Without a terminal.
pub const NO_TTY: &str = "the wizard needs a terminal (stdin and stdout must be a TTY); without one, use `esmtls plan --answers FILE` to review and `esmtls apply --answers FILE --yes` to apply (see assets/answers/ for examples)";
/// After a second Ctrl-C during apply.
pub fn interrupted(journal: &str) -> String {
    format!(
        "interrupted during apply (Ctrl-C twice): files already replaced are put back from their backups by the next `esmtls apply` or wizard run (journal {journal})"
    )
}

/// Why each step exists, in plain words (index 1..=9; the mode-specific part
/// comes from `plan::applies`).
pub fn why(step: u8) -> &'static str {
    match step {
        1 => {
            "Kibana needs its own certificate and private key to prove who it is at the TLS layer. esmtls signs it with a CA Elasticsearch will trust."
        }
        2 => {
            "Elasticsearch only accepts client certificates signed by a CA it trusts, so it gets that CA as a PEM file; Kibana gets the CA of Elasticsearch's HTTP certificate."
        }
        3 => {
            "The PKI realm turns a trusted client certificate into a user. The native realm stays for people who log in with a password."
        }
        4 => {
            "Elasticsearch must ask for client certificates on its HTTP layer, or Kibana's certificate is never sent."
        }
        5 => "Realm and TLS settings are read only when Elasticsearch starts.",
        6 => {
            "Elasticsearch must know which roles the certificate's user gets (or Kibana's token or password must exist)."
        }
        7 => {
            "kibana.yml must point at the certificate and key; their password goes into the Kibana keystore, never into kibana.yml."
        }
        8 => {
            "A username or password left in kibana.yml or its keystore would be used instead of, or clash with, the new credential."
        }
        9 => {
            "Kibana reads its settings and keystore only when it starts; then the connection is verified as Kibana makes it."
        }
        _ => STEP0_WHY,
    }
}
