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
/// After Ctrl-C during apply.
pub fn interrupted(journal: &str) -> String {
    format!(
        "interrupted during apply: files already replaced are put back from their backups by the next `esmtls apply` or wizard run (journal {journal})"
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
/// Label: the CA password's stores.
pub const INFO_STORES: &str = "CA password choices";
/// What they mean.
pub const STORES_MEAN: &str = "auto: the OS keyring when one answers, else a 0600 file; keyring; file (~/.local/share/esmtls)";

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
