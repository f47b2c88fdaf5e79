//! Every sentence the wizard shows that is not already in the core (the core's
//! `plan::guide::strings`, `plan::applies` and `Mode::summary` are used as
//! they are, so the wizard and the CLI say the same thing). The longer
//! "Why this step" texts are prose for editors, not code: they live in
//! `assets/wizard/why.md` and are compiled in.

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
/// Start screen: renew, when nothing is due.
pub const START_RENEW: &str = "Renew certificates (choose which)";
/// Start screen: renew, offered first when something is due.
pub fn start_renew_due(n: usize) -> String {
    format!("Renew {n} certificate(s) that expire within 30 days")
}
/// Start screen: the doctor.
pub const START_CHECK: &str = "Check my setup (what is wrong, and how to fix it)";
/// Start screen: quit.
pub const START_QUIT: &str = "Quit";
/// Guide questions' title.
pub const GUIDE_TITLE: &str = "Which way should Kibana authenticate?";
/// The license row.
pub const LICENSE_Q: &str = "The cluster's license";
/// License unknown.
pub const LICENSE_UNKNOWN: &str = "unknown";
/// The guide's hint while a question has the focus.
pub const GUIDE_QUESTIONS_HINT: &str =
    " ←→ answer · ↓/Tab to the cards to pick a mode · Enter takes ▶ ";
/// The guide's hint while the cards have the focus.
pub const GUIDE_CARDS_HINT: &str =
    " ←→/Tab move across the cards · Enter takes ▶ · ↑ the questions ";
/// A card: the mode works on the license.
pub const AVAILABLE: &str = "available on your license";
/// A card: it does not.
pub const NOT_AVAILABLE: &str = "not on your license";
/// A card: the license is unknown.
pub const LICENSE_NOT_KNOWN: &str = "license unknown";
/// A card: the mode in place.
pub const CARD_CURRENT: &str = "in place now";
/// A card: the recommended one.
pub const CARD_RECOMMENDED: &str = "★ recommended";
/// A card: the chosen one.
pub const CARD_CHOSEN: &str = "✓ chosen";
/// The license a mode needs, short enough for a card at 80 columns
/// (the PKI realm is a Gold feature: `allows_pki`).
pub fn card_license(mode: esmtls::plan::Mode) -> &'static str {
    match mode {
        esmtls::plan::Mode::Pki => "Gold or above, or trial",
        _ => "Basic",
    }
}
/// The guide when the license is unknown.
pub const LICENSE_STEP0: &str = "The license is unknown: step 0 asks for the admin password, and esmtls reads the license from the cluster (GET /_license) before anything is written.";
/// The guide when the license is unknown and the environment holds admin credentials.
pub const LICENSE_FROM_ENV: &str = "The license is unknown: esmtls reads it from the cluster (GET /_license) with the admin credentials from the environment before anything is written.";
/// The mode in place, on the guide.
pub fn currently(c: &esmtls::plan::current::Current) -> String {
    format!("Currently: {} ({})", c.mode, c.evidence.join(", "))
}
/// Steps screen title.
pub const STEPS_TITLE: &str = "The steps";
/// The prerequisite step's title.
pub const STEP0_TITLE: &str = "HTTPS on Elasticsearch (prerequisite)";
/// A step without a form.
pub const NOTHING_TO_ANSWER: &str =
    "Nothing to answer here: esmtls does this step from your other answers. Enter continues.";
/// A skipped step.
pub const SKIPPED: &str = "Skipped in this mode:";
/// Review screen: building.
pub const PLANNING: &str = "Working out the plan (reading files, asking the cluster)…";
/// Review screen: the confirm line.
/// The review's foot for a cluster plan.
pub const REVIEW_BUNDLES: &str = "Nothing has been written yet. Enter writes one bundle per host (nothing else changes here); Esc goes back.";
pub const REVIEW_CONFIRM: &str =
    "Nothing has been written yet. Enter applies this plan; Esc goes back to change answers.";
/// Review: the heading of the warnings, shown first.
pub fn review_warnings(n: usize) -> String {
    format!("Read first — {n} warning(s):")
}
/// Review: what detection found, moved to the end.
pub const REVIEW_DETECTED_LAST: &str = "Detected (what esmtls found before planning):";
/// Review: the consent to run the restarts (r toggles it).
pub fn review_restart(on: bool, cmds: &str) -> String {
    let mark = if on { "[x]" } else { "[ ]" };
    format!("r {mark} also run the restarts after writing, as `esmtls apply --restart`: {cmds}")
}
/// Review: the consent to revoke what Kibana's new credential replaces (v toggles it).
pub fn review_revoke(on: bool, what: &str) -> String {
    let mark = if on { "[x]" } else { "[ ]" };
    format!(
        "v {mark} once the new credential is verified, revoke the one it replaces, as `esmtls apply --revoke-replaced`: {what}"
    )
}
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
/// Finish title.
pub const FINISHED: &str = "Finished";
/// Finish: how to leave.
pub const FINISH_FOOT: &str = " Enter or Esc quits ";
/// Finish: the apply failed.
pub const APPLY_FAILED: &str = "Apply stopped:";
/// Finish: next commands.
pub const NEXT_COMMANDS: &str = "Run next (restart, then Kibana connects with the new settings):";
/// Finish: the host of a single-host setup's commands.
pub const ON_THIS_MACHINE: &str = "on this machine:";
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
pub const NO_TTY: &str = "the wizard needs a terminal (stdin and stdout must be a TTY); without one, use `esmtls plan --answers FILE` to review and `esmtls apply --answers FILE --yes` to apply (`esmtls answers example MODE` prints an answers file to start from)";
/// After Ctrl-C anywhere but during apply (exit 130).
pub const ABORTED: &str = "stopped (Ctrl-C); nothing more was written";
/// After a second Ctrl-C during apply.
pub fn interrupted(journal: &str) -> String {
    format!(
        "interrupted during apply (Ctrl-C twice): files already replaced are put back from their backups by the next `esmtls apply` or wizard run (journal {journal})"
    )
}

// ---- read-only lines of the steps' forms ----

/// Label: what `auto` means here.
pub const INFO_AUTO: &str = "auto here means";
/// Label: a warning.
pub const INFO_WARNING: &str = "Warning";
/// Label: the other restart answers.
pub const INFO_OTHERS: &str = "none / a command";
/// Label: the PKI realm's order.
pub const INFO_ORDER: &str = "The order";
/// Label: the native realm's order.
pub const INFO_NATIVE_ORDER: &str = "Native realm order";
/// What the PKI realm's order answer does.
pub fn realm_order(o: esmtls::plan::RealmOrder) -> String {
    match o {
        esmtls::plan::RealmOrder::Auto => "auto: just before the lowest realm in elasticsearch.yml (1 when there is none). Elasticsearch consults realms in ascending order.".into(),
        esmtls::plan::RealmOrder::Fixed(n) => format!("{n}. Elasticsearch consults realms in ascending order; a number another realm has is refused."),
    }
}
/// The native realm's order.
pub const NATIVE_ORDER: &str = "when no native realm is configured, one is added after every other realm (highest + 1); the plan shows the number.";
/// mtls-* with `optional`.
pub const MTLS_OPTIONAL: &str =
    "optional accepts connections without a certificate: the mTLS network control is lost.";
/// What `auto` restarts with.
pub fn restart_auto(detected: Option<&(String, bool)>) -> String {
    match detected {
        Some((d, true)) => d.clone(),
        Some((d, false)) => format!("a reminder only — {d}"),
        None => "a reminder only (detection has not run)".into(),
    }
}
/// `none` and a command.
pub const RESTART_OTHERS: &str =
    "none: a reminder only; a command is run by `apply --restart` as given, without a shell.";
/// Label: Kibana's PKCS#12 password.
pub const INFO_CLIENT_P12: &str = "Client .p12 password";
/// Where it goes.
pub const CLIENT_P12_GOES: &str = "kibana.keystore: elasticsearch.ssl.keystore.password";
/// Label: Kibana's PEM key.
pub const INFO_CLIENT_KEY: &str = "Client key";
/// Where it goes.
pub const CLIENT_KEY_GOES: &str = "kibana-client.key, mode 0600 (no password)";
/// Label: Elasticsearch's HTTP PKCS#12 password.
pub const INFO_HTTP_P12: &str = "ES HTTP .p12 password";
/// Where it goes.
pub const HTTP_P12_GOES: &str = "elasticsearch.keystore: xpack.security.http.ssl.keystore.secure_password (when esmtls issues the certificate)";
/// Label: the service token.
pub const INFO_TOKEN: &str = "Service token";
/// Where it goes.
pub const TOKEN_GOES: &str = "kibana.keystore: elasticsearch.serviceAccountToken";
/// Label: kibana_system's password.
pub const INFO_PASSWORD: &str = "kibana_system password";
/// Where it goes.
pub const PASSWORD_GOES: &str = "kibana.keystore: elasticsearch.password";
/// Label: pki has no secret credential.
pub const INFO_CERT_ID: &str = "Kibana's credential";
/// pki.
pub const CERT_ID_GOES: &str = "its certificate (PKI realm); no password or token";
/// Label: never in yml.
pub const INFO_NOT_YML: &str = "Never in a .yml";
/// Why there is no choice for those.
pub const NOT_YML: &str =
    "secrets in kibana.yml or elasticsearch.yml are what `esmtls doctor` flags";
/// Label: what `auto` issues on step 0.
pub const INFO_HTTP_AUTO: &str = "Issue: auto means";
/// `server_certificate.generate: auto`.
pub const HTTP_CERT_AUTO: &str = "only when Elasticsearch serves no HTTPS yet; yes re-issues it with the SANs Kibana's URLs need; no keeps what it has";
/// Label: what `auto` picks on step 1.
pub const INFO_CA_AUTO: &str = "CA source: auto means";
/// `ca.source: auto`.
pub const CA_SOURCE_AUTO: &str = "Elasticsearch's auto-configured http_ca when esmtls can open it, else esmtls's CA from an earlier run, else a new CA";
/// Label: the CA password's stores.
pub const INFO_STORES: &str = "CA password choices";
/// What they mean.
pub const STORES_MEAN: &str = "auto: the OS keyring when one answers, else a 0600 file; keyring; file (~/.local/share/esmtls)";

/// The "Why this step" texts (`assets/wizard/why.md`, one `## N` section per step).
const WHY: &str = include_str!("../../assets/wizard/why.md");

/// Why step `step` (0..=9) exists, in plain words, from `assets/wizard/why.md`
/// (the mode-specific part comes from `plan::applies`). Lines of a section are
/// joined into one paragraph so the pane wraps them at its own width.
pub fn why(step: u8) -> String {
    let head = format!("## {step}\n");
    WHY.split_once(&head)
        .map(|(_, rest)| rest.split("\n## ").next().unwrap_or(rest))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Start: the certificates section.
pub const CERTS_TITLE: &str = "Certificates (days left):";
/// Start: while the inventory is read.
pub const CERTS_READING: &str = "Reading the certificates…";
/// Start: no certificate configured.
pub const CERTS_NONE: &str = "No certificate is configured in either yml file yet.";
/// Start: the inventory failed.
pub const CERTS_FAILED: &str = "The certificates could not be read:";
/// Start: the warning above the choices.
pub fn certs_due(n: usize) -> String {
    format!("⚠ {n} certificate(s) expired or expire within 30 days (marked ✗ and ! above).")
}
/// Days left, in words.
pub fn days_left(d: Option<i64>) -> String {
    match d {
        None => "unreadable".into(),
        Some(d) if d < 0 => format!("expired {} day(s) ago", -d),
        Some(d) => format!("{d} day(s)"),
    }
}
/// Renew: the table's title.
pub const RENEW_TITLE: &str =
    "Renew certificates — same subject, SANs, key type, CA, files and passwords";
/// Renew: the table's columns.
pub const RENEW_COLUMNS: [&str; 6] = ["", "FILE", "SUBJECT", "EXPIRES", "DAYS", "SIDE"];
/// Renew: why a row cannot be selected.
pub const NOT_RENEWABLE_CA: &str =
    "A CA: renewing it is a CA transition, not a renewal (see the review's CA notices).";
/// Renew: a certificate without its key in the file.
pub const NOT_RENEWABLE_NO_KEY: &str =
    "A trusted certificate without its private key here: nothing to re-issue in this file.";
/// Renew: an unreadable entry.
pub const NOT_RENEWABLE_BROKEN: &str =
    "Cannot be renewed until this is fixed (`esmtls doctor` explains):";
/// Renew: the selection line.
pub fn renew_selected(n: usize) -> String {
    format!(
        "{n} selected. Space selects; Enter shows what would be renewed — nothing is written yet."
    )
}
/// Renew: Enter with nothing selected.
pub const RENEW_NONE_SELECTED: &str = "Select at least one certificate with Space first.";
/// Renew review: the title.
pub const RENEW_REVIEW: &str = "What would be renewed";
/// Renew review: building.
pub const RENEW_PLANNING: &str = "Re-issuing in memory (reading the files, finding each CA)…";
/// Renew review: writing.
pub const RENEW_WRITING: &str = "Writing: backups first, then atomic renames; all files or none…";
/// Renew review: the plan failed.
pub const RENEW_FAILED: &str = "The renewal cannot be made:";
/// Renew review: back.
pub const RENEW_BACK: &str = "Esc goes back to the selection; nothing was written.";
/// Renew review: the heading.
pub fn renew_heading(n: usize) -> String {
    format!(
        "Renew {n} certificate(s): re-issued with the same subject, SANs, key type and extensions, from the same CA, into the same files with the same passwords."
    )
}
/// Renew review: nothing due in the selection.
pub const RENEW_NOTHING: &str = "Nothing to renew in the selected files.";
/// Renew review: one CA notice.
pub fn ca_notice(subject: &str, file: &str, date: &str, days: i64) -> String {
    format!(
        "CA {subject} ({file}) expires on {date} ({days} days left) — this needs a CA transition, not a renewal:"
    )
}
/// Renew review: the CA section.
pub const CA_NOTICES: &str = "CA notices (not renewed here):";
/// Renew review: the warnings section.
pub const WARNINGS: &str = "Warnings:";
/// Renew review and result: next steps.
pub const RENEW_NEXT: &str = "What happens next:";
/// Renew review: the confirm line.
pub const RENEW_CONFIRM: &str = "Nothing has been written yet. Enter renews (backups are kept); Esc goes back to the selection.";
/// Renew result title.
pub const RENEWED: &str = "Renewed";
/// Renew result: the heading.
pub fn renewed(n: usize) -> String {
    format!("✓ Renewed {n} certificate(s). Backups are kept beside the files.")
}
/// Renew result: the write failed.
pub const RENEW_WRITE_FAILED: &str =
    "The renewal stopped; every file was restored, nothing changed:";
/// Renew result: the restart command.
pub const RENEW_RUN: &str = "Run next (Kibana reads its certificates only at start):";
/// Renew result: the foot.
pub const RENEW_DONE_FOOT: &str = "Enter or Esc goes back to the start screen; q quits.";
/// After Ctrl-C while a renewal was being written (the batch was let finish).
pub fn renew_interrupted(outcome: &str) -> String {
    format!(
        "interrupted while the renewal was being written; the write was let finish (it is all or nothing): {outcome}"
    )
}
/// Check my setup: title.
pub const CHECK_TITLE: &str = "Check my setup";
/// Check my setup: running.
pub const CHECKING: &str =
    "Checking the yml files, keystores and certificates, then the connection as Kibana makes it…";
/// Check my setup: healthy.
pub const CHECK_HEALTHY: &str = "✓ No problem found.";
/// Check my setup: the count.
pub fn check_count(n: usize) -> String {
    format!("{n} finding(s):")
}
/// Check my setup: the doctor failed.
pub const CHECK_FAILED: &str = "The check could not run:";
/// Check my setup: the foot.
pub const CHECK_FOOT: &str =
    "Esc or Enter goes back to the start screen. `esmtls doctor` prints the same.";
/// Step 0: the admin user field.
pub const ADMIN_USER: &str = "Admin user";
/// Step 0: the admin user field's hint (empty means this user).
pub const ADMIN_USER_HINT: &str = "elastic";
/// Step 0: the masked admin password field.
pub const ADMIN_PASSWORD: &str = "Admin password";
/// Step 0: the admin password field's hint.
pub const ADMIN_PASSWORD_HINT: &str = "empty: esmtls writes the API requests to a file for later";
/// Step 0: the read-only line when the environment holds admin credentials.
pub const INFO_ADMIN: &str = "Admin credentials";
/// Step 0: which environment variables hold them (names only).
pub fn admin_from_env(names: &str) -> String {
    format!("from the environment ({names})")
}
/// A 401 names where the refused credentials came from.
pub const ADMIN_TYPED: &str = "the admin password typed in the wizard";

/// A note of the core, which speaks to the command line, said in the
/// wizard's terms: its consent keys on the Review instead of flags the
/// operator never typed, and a re-run of the wizard beside `esmtls apply`.
pub fn for_wizard(note: &str) -> String {
    note.replace(
        " (or pass --restart)",
        " (or let the wizard run them: r on the Review)",
    )
    .replace(
        "then run `esmtls apply` again",
        "then run the wizard again (or `esmtls apply`)",
    )
    .replace(
        "then `esmtls apply --revoke-replaced` revokes them",
        "then a wizard run with v ticked on the Review (or `esmtls apply --revoke-replaced`) revokes them",
    )
    .replace(
        "no Elasticsearch admin credentials: set ",
        "no Elasticsearch admin credentials: type the admin password on step 0 (Esc goes back to it), or set ",
    )
    .replace(
        "revoke it with `esmtls apply --revoke-replaced`",
        "revoke it by running the wizard again with v ticked on the Review (or `esmtls apply --revoke-replaced`)",
    )
}
