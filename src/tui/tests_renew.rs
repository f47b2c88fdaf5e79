//! Tests of the renew and "check my setup" flows driven by scripted keys:
//! renewal offered first when something is due, the selection rules, the
//! back rules, and the commands review and confirm ask for. The fixtures
//! (an inventory, a preview, a result, findings) serve `snapshots.rs` too.

use std::path::PathBuf;

use esmtls::lifecycle::ca_plan::transition_plan;
use esmtls::lifecycle::doctor::{Finding, Severity};
use esmtls::lifecycle::renew::{CaNotice, Renewal};
use esmtls::lifecycle::{CertEntry, Inventory, Role, Side};
use ratatui::crossterm::event::KeyCode;

use super::app::{
    Checked, Cmd, Exit, Model, Msg, RenewPreview, RenewRequest, Renewed, Screen, update,
};
use super::screens::start::{self, Item};
use super::tests::{ch, ctrl, k, press, started};

const KB_CLIENT: &str = "/etc/kibana/certs/kibana-client.p12";
const ES_TRANSPORT: &str = "/etc/elasticsearch/certs/transport.p12";

#[allow(clippy::too_many_arguments)]
fn entry(
    file: &str,
    alias: &str,
    side: Side,
    role: Role,
    subject: &str,
    days: Option<i64>,
    is_ca: bool,
    has_key: bool,
) -> CertEntry {
    let mut problems = Vec::new();
    let mut broken = false;
    match days {
        None => {
            problems.push("cannot open the PKCS#12: wrong password (xpack.security.transport.ssl.keystore.secure_password)".to_string());
            broken = true;
        }
        Some(d) if d < 0 => {
            problems.push(format!("expired {} day(s) ago", -d));
            broken = true;
        }
        Some(d) if d <= 30 => problems.push(format!("expires in {d} day(s)")),
        _ => {}
    }
    CertEntry {
        file: PathBuf::from(file),
        alias: (!alias.is_empty()).then(|| alias.to_string()),
        side,
        role,
        settings: vec![format!("{}.path", role.name())],
        subject: if days.is_some() {
            subject.into()
        } else {
            String::new()
        },
        issuer: "CN=esmtls CA".into(),
        sans: Vec::new(),
        eku: Vec::new(),
        not_after: if days.is_some() {
            "2030-01-01T00:00:00Z".into()
        } else {
            String::new()
        },
        days_left: days,
        is_ca,
        has_key,
        sha256: String::new(),
        serial: String::new(),
        in_cluster: false,
        problems,
        broken,
    }
}

/// Seven entries: a fine ES HTTP leaf and its CA, a Kibana client certificate
/// due in 3 days and its CA, an expired transport leaf, an unreadable
/// keystore, Kibana's trusted CA file.
pub(super) fn inventory(due: bool) -> Inventory {
    let es = Side::Elasticsearch;
    let kb = Side::Kibana;
    let http = "/etc/elasticsearch/certs/http.p12";
    let http_ca = "CN=Elasticsearch security auto-configuration HTTP CA";
    let mut entries = vec![
        entry(
            http,
            "http",
            es,
            Role::EsHttp,
            "CN=node-1",
            Some(700),
            false,
            true,
        ),
        entry(
            http,
            "http_ca",
            es,
            Role::EsHttp,
            http_ca,
            Some(1000),
            true,
            false,
        ),
        entry(
            KB_CLIENT,
            "kibana-client",
            kb,
            Role::KibanaClient,
            "CN=kibana-client",
            Some(if due { 3 } else { 300 }),
            false,
            true,
        ),
        entry(
            KB_CLIENT,
            "ca",
            kb,
            Role::KibanaClient,
            "CN=esmtls CA",
            Some(3600),
            true,
            false,
        ),
        entry(
            "/etc/kibana/certs/http_ca.crt",
            "",
            kb,
            Role::KibanaEsTrust,
            http_ca,
            Some(1000),
            true,
            false,
        ),
    ];
    if due {
        entries.insert(
            2,
            entry(
                ES_TRANSPORT,
                "transport",
                es,
                Role::EsTransport,
                "CN=node-1",
                Some(-2),
                false,
                true,
            ),
        );
        entries.insert(
            3,
            entry(
                "/etc/elasticsearch/certs/remote.p12",
                "",
                es,
                Role::EsTransport,
                "",
                None,
                false,
                false,
            ),
        );
    }
    Inventory {
        entries,
        warn_days: 30,
    }
}

/// The start screen once detection and the inventory have reported.
pub(super) fn with_inventory(due: bool) -> Model {
    let mut m = started();
    update(&mut m, Msg::Inventoried(Ok(Box::new(inventory(due)))));
    m
}

pub(super) fn preview() -> RenewPreview {
    let r = |file: &str, alias: &str, side, role, subject: &str, days| Renewal {
        file: PathBuf::from(file),
        key_file: None,
        alias: Some(alias.into()),
        side,
        role,
        subject: subject.into(),
        old_not_after: "2025-01-03T00:00:00Z".into(),
        old_days_left: days,
        new_not_after: "2028-01-03T00:00:00Z".into(),
        ca: "CN=esmtls CA (/etc/elasticsearch/certs/esmtls-ca.p12)".into(),
    };
    let ca = "CN=Elasticsearch security auto-configuration HTTP CA";
    RenewPreview {
        request: RenewRequest {
            files: vec![ES_TRANSPORT.into(), KB_CLIENT.into()],
            within: 30,
        },
        renewals: vec![
            r(ES_TRANSPORT, "transport", Side::Elasticsearch, Role::EsTransport, "CN=node-1", -2),
            r(KB_CLIENT, "kibana-client", Side::Kibana, Role::KibanaClient, "CN=kibana-client", 3),
        ],
        ca_notices: vec![CaNotice {
            file: "/etc/elasticsearch/certs/http.p12".into(),
            subject: ca.into(),
            not_after: "2025-01-20T00:00:00Z".into(),
            days_left: 20,
            plan: transition_plan(ca),
        }],
        warnings: vec![format!("{KB_CLIENT}: the new certificate is valid until 2028-01-03 but its CA (CN=esmtls CA) expires on 2027-06-01; plan the CA's replacement")],
        next_steps: vec![
            "Elasticsearch: nothing to do — it watches its certificate files and reloads renewed ones by itself within seconds (same file names, same passwords).".into(),
            "Kibana: it reads its certificates only when it starts; restart it: `sudo systemctl restart kibana.service`".into(),
        ],
    }
}

pub(super) fn renewed() -> Renewed {
    let p = preview();
    Renewed {
        written: p
            .request
            .files
            .iter()
            .map(|f| {
                (
                    f.clone(),
                    Some(PathBuf::from(format!(
                        "{}.20250101T000000.bak",
                        f.display()
                    ))),
                )
            })
            .collect(),
        next_steps: p.next_steps,
        restart: Some("sudo systemctl restart kibana.service".into()),
    }
}

pub(super) fn findings() -> Checked {
    Checked {
        findings: vec![
            Finding {
                severity: Severity::Error,
                check: "key-mismatch",
                file: Some("/etc/kibana/kibana.yml".into()),
                line: Some(12),
                message: "elasticsearch.ssl.keystore.path: the private key does not match the certificate".into(),
                fix: "re-issue the certificate with `esmtls renew --only kibana-client.p12`".into(),
            },
            Finding {
                severity: Severity::Warning,
                check: "expiring",
                file: Some(KB_CLIENT.into()),
                line: None,
                message: "CN=kibana-client expires in 3 day(s)".into(),
                fix: "`esmtls renew` (or Renew in the wizard)".into(),
            },
        ],
        notes: vec!["online checks skipped: https://localhost:9200 did not answer".into()],
    }
}

fn items(m: &Model) -> Vec<Item> {
    start::items(m).into_iter().map(|(i, _)| i).collect()
}

#[test]
fn start_offers_renewal_first_and_selected_when_something_is_due() {
    let m = with_inventory(true);
    assert_eq!(
        items(&m),
        [Item::Renew, Item::Setup, Item::Check, Item::Quit]
    );
    assert_eq!(m.start.choice, 0);
    let m = with_inventory(false);
    assert_eq!(
        items(&m),
        [Item::Setup, Item::Renew, Item::Check, Item::Quit]
    );
    assert!(start::items(&m)[1].1, "renew stays available");
    // Before the inventory: renew is there, not choosable.
    let mut m = started();
    assert!(!start::items(&m)[1].1);
    press(&mut m, &[ch('j'), k(KeyCode::Enter)]);
    assert_eq!(m.screen, Screen::Start);
}

#[test]
fn due_certificates_are_preselected_and_space_toggles() {
    let mut m = with_inventory(true);
    press(&mut m, &[k(KeyCode::Enter)]);
    assert_eq!(m.screen, Screen::Renew);
    // kibana-client (3 days) and the expired transport leaf.
    assert_eq!(
        m.renew.selected,
        [false, false, true, false, true, false, false]
    );
    press(&mut m, &[k(KeyCode::Char(' '))]);
    assert!(m.renew.selected[0], "a fine leaf can be selected too");
    let req = m.renew.request().unwrap();
    assert_eq!(req.files.len(), 3);
    assert_eq!(
        req.within, 700,
        "wide enough for every selected certificate"
    );
    press(
        &mut m,
        &[k(KeyCode::Char(' ')), ch('j'), ch('j'), ch('j'), ch('j')],
    );
    assert_eq!(m.renew.cursor, 4);
    press(&mut m, &[k(KeyCode::Char(' '))]);
    assert!(!m.renew.selected[4]);
    assert_eq!(
        m.renew.request().unwrap(),
        RenewRequest {
            files: vec![ES_TRANSPORT.into()],
            within: 30
        }
    );
}

#[test]
fn broken_entries_and_cas_cannot_be_selected() {
    let mut m = with_inventory(true);
    press(&mut m, &[k(KeyCode::Enter)]);
    for row in [1, 3, 5] {
        m.renew.cursor = row;
        let before = m.renew.selected.clone();
        press(&mut m, &[k(KeyCode::Char(' '))]);
        assert_eq!(m.renew.selected, before, "row {row} was selected");
        assert!(m.renew.error.is_some(), "row {row}: no reason shown");
    }
    m.renew.cursor = 3;
    press(&mut m, &[k(KeyCode::Char(' '))]);
    assert!(m.renew.error.as_deref().unwrap().contains("wrong password"));
}

#[test]
fn nothing_selected_is_said_not_sent() {
    let mut m = with_inventory(false);
    press(&mut m, &[ch('j'), k(KeyCode::Enter)]);
    assert_eq!(m.screen, Screen::Renew);
    assert!(m.renew.selected.iter().all(|s| !s));
    assert!(press(&mut m, &[k(KeyCode::Enter)]).is_empty());
    assert_eq!(m.screen, Screen::Renew);
    assert!(m.renew.error.is_some());
}

#[test]
fn review_then_confirm_asks_for_the_write_of_what_was_reviewed() {
    let mut m = with_inventory(true);
    let cmds = press(&mut m, &[k(KeyCode::Enter), k(KeyCode::Enter)]);
    assert_eq!(m.screen, Screen::RenewReview);
    assert!(m.busy);
    let [Cmd::RenewPlan(req)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(
        req.files,
        [PathBuf::from(ES_TRANSPORT), PathBuf::from(KB_CLIENT)]
    );
    press(&mut m, &[k(KeyCode::Esc)]);
    assert_eq!(
        m.screen,
        Screen::RenewReview,
        "no going back while planning"
    );
    update(&mut m, Msg::RenewPlanned(Ok(Box::new(preview()))));
    assert!(!m.busy);
    let cmds = press(&mut m, &[ch('j'), k(KeyCode::Enter)]);
    let [Cmd::RenewWrite(p)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(p.targets(), preview().targets());
    assert!(m.busy && m.renew_review.writing);
    // While writing: q and Esc do nothing.
    press(&mut m, &[ch('q'), k(KeyCode::Esc), k(KeyCode::Enter)]);
    assert_eq!((m.exit, m.screen), (None, Screen::RenewReview));
    update(&mut m, Msg::Renewed(Ok(Box::new(renewed()))));
    assert_eq!(m.screen, Screen::Renewed);
    // Enter (or Esc) goes back to the start and reads the certificates again.
    let cmds = press(&mut m, &[k(KeyCode::Enter)]);
    assert!(matches!(cmds.as_slice(), [Cmd::Inventory]));
    assert_eq!(m.screen, Screen::Start);
    assert!(m.renew.inventory.is_none());
}

#[test]
fn esc_goes_back_one_level() {
    let mut m = with_inventory(true);
    press(&mut m, &[k(KeyCode::Enter), k(KeyCode::Enter)]);
    update(
        &mut m,
        Msg::RenewPlanned(Err("cannot renew x: no CA".into())),
    );
    assert_eq!(
        m.renew_review.error.as_deref(),
        Some("cannot renew x: no CA")
    );
    assert!(press(&mut m, &[k(KeyCode::Enter)]).is_empty());
    press(&mut m, &[k(KeyCode::Esc)]);
    assert_eq!(m.screen, Screen::Renew);
    assert!(m.renew.selected[2], "the selection is kept");
    press(&mut m, &[k(KeyCode::Esc)]);
    assert_eq!(m.screen, Screen::Start);
    press(&mut m, &[k(KeyCode::Esc)]);
    assert_eq!(m.exit, Some(Exit::Quit));
}

#[test]
fn ctrl_c_while_writing_lets_the_batch_finish() {
    let mut m = with_inventory(true);
    press(&mut m, &[k(KeyCode::Enter), k(KeyCode::Enter)]);
    update(&mut m, Msg::RenewPlanned(Ok(Box::new(preview()))));
    press(&mut m, &[k(KeyCode::Enter), ctrl('c')]);
    assert_eq!(m.exit, None, "not while the batch is written");
    assert!(m.renew_review.quit_after);
    update(&mut m, Msg::Renewed(Ok(Box::new(renewed()))));
    assert_eq!(m.exit, Some(Exit::Aborted));
    assert!(m.farewell.as_deref().unwrap().contains(KB_CLIENT));
    // Elsewhere in the flow Ctrl-C quits at once.
    let mut m = with_inventory(true);
    press(&mut m, &[k(KeyCode::Enter), ctrl('c')]);
    assert_eq!(m.exit, Some(Exit::Aborted));
}

#[test]
fn check_my_setup_runs_the_doctor_and_esc_returns() {
    let mut m = with_inventory(false);
    let cmds = press(&mut m, &[ch('j'), ch('j'), k(KeyCode::Enter)]);
    assert!(matches!(cmds.as_slice(), [Cmd::Check(None)]));
    assert_eq!(m.screen, Screen::Doctor);
    update(&mut m, Msg::Checked(Ok(Box::new(findings()))));
    assert!(!m.busy);
    press(&mut m, &[k(KeyCode::PageDown)]);
    assert!(m.doctor.scroll > 0);
    press(&mut m, &[k(KeyCode::Esc)]);
    assert_eq!(m.screen, Screen::Start);
    press(&mut m, &[ch('q')]);
    assert_eq!(m.exit, Some(Exit::Quit));
}
