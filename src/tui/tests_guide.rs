//! The guide's mode picking (the cards), a re-run on a setup whose mode is
//! already in place, and Ctrl-C's exit, driven by scripted keys.

use esmtls::plan::current::Current;
use esmtls::plan::{License, Mode};
use ratatui::crossterm::event::{KeyCode, KeyModifiers};

use super::app::{DetectInfo, Exit, Model, Msg, Screen, update};
use super::reports::Restarts;
use super::screens::guide::CARDS;
use super::tests::{ch, ctrl, k, press};
use super::theme::Theme;

/// Detection reported `current` (a re-run) and `license`.
pub(super) fn started_with(current: Option<Mode>, license: Option<License>) -> Model {
    let mut m = Model::new(Theme { color: false }, None);
    let current = current.map(|mode| Current {
        mode,
        evidence: vec![
            "Kibana presents a client certificate".into(),
            "client_authentication: optional".into(),
            "PKI realm pki1".into(),
        ],
    });
    update(
        &mut m,
        Msg::Detected(Ok(Box::new(DetectInfo {
            summary: "Elasticsearch\n  config:    /etc/elasticsearch\n".into(),
            saved: None,
            license,
            restarts: Restarts::default(),
            current,
        }))),
    );
    m
}

#[test]
fn the_cards_are_picked_with_arrows_and_tab() {
    let mut m = started_with(None, Some(License::Basic));
    press(&mut m, &[k(KeyCode::Enter)]);
    assert_eq!((m.screen, m.guide.mode), (Screen::Guide, Mode::Token));
    // ↓ walks the questions; Tab goes straight to the cards.
    press(&mut m, &[k(KeyCode::Down)]);
    assert_eq!(m.guide.focus, 1);
    press(&mut m, &[k(KeyCode::Tab)]);
    assert_eq!(m.guide.focus, CARDS);
    press(&mut m, &[k(KeyCode::Right)]);
    assert_eq!(m.guide.mode, Mode::Password);
    press(&mut m, &[k(KeyCode::Tab)]);
    assert_eq!(m.guide.mode, Mode::MtlsToken);
    let back_tab = ratatui::crossterm::event::KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
    press(&mut m, &[back_tab, k(KeyCode::Left)]);
    assert_eq!(m.guide.mode, Mode::Token);
    // Wraps from the first card to the last.
    press(&mut m, &[k(KeyCode::Left)]);
    assert_eq!(m.guide.mode, Mode::Pki);
    press(
        &mut m,
        &[k(KeyCode::Right), k(KeyCode::Tab), k(KeyCode::Tab)],
    );
    assert_eq!(m.guide.mode, Mode::MtlsToken);
    // ↑ leaves the cards; the choice stays.
    press(&mut m, &[k(KeyCode::Up)]);
    assert_eq!((m.guide.focus, m.guide.mode), (2, Mode::MtlsToken));
    press(&mut m, &[k(KeyCode::Enter)]);
    assert_eq!(m.screen, Screen::Steps);
    assert_eq!(m.answers.mode, Mode::MtlsToken);
}

#[test]
fn a_rerun_preselects_the_mode_in_place_and_enter_keeps_it() {
    let mut m = started_with(Some(Mode::Pki), Some(License::Platinum));
    press(&mut m, &[k(KeyCode::Enter)]);
    assert_eq!(m.guide.mode, Mode::Pki);
    assert!(m.guide.cert_identity && !m.guide.require_mtls);
    // Enter through the guide and every step: still pki, never a silent switch.
    press(&mut m, &[k(KeyCode::Enter); 11]);
    assert_eq!(m.answers.mode, Mode::Pki);
    assert_eq!(m.screen, Screen::Review);
}

#[test]
fn ctrl_c_stops_the_wizard_as_stopped_not_as_quit() {
    for screen_keys in [vec![], vec![k(KeyCode::Enter)], vec![k(KeyCode::Enter); 3]] {
        let mut m = started_with(None, None);
        press(&mut m, &screen_keys);
        press(&mut m, &[ctrl('c')]);
        assert_eq!(m.exit, Some(Exit::Aborted), "{:?}", m.screen);
    }
    // q is an ordinary quit.
    let mut m = started_with(None, None);
    press(&mut m, &[ch('q')]);
    assert_eq!(m.exit, Some(Exit::Quit));
}

#[test]
fn commands_are_labelled_with_their_service() {
    use esmtls::plan::Command;
    let c = |argv: &str, what: &str| Command {
        argv: argv.split(' ').map(String::from).collect(),
        what: what.into(),
        restart: false,
    };
    let es = super::reports::labelled(&c(
        "docker restart <container>",
        "restart Elasticsearch (container)",
    ));
    let kb = super::reports::labelled(&c(
        "docker restart <container>",
        "restart Kibana (container)",
    ));
    assert_eq!(es, "Elasticsearch docker restart <container>");
    assert_eq!(kb, "Kibana        docker restart <container>");
    assert_ne!(es, kb, "the same command twice is told apart");
}

/// A model on the Review of a plan for `mode` on seeded config trees, with
/// Elasticsearch restarted by systemd; `edit` changes the plan first.
fn reviewed(mode: Mode, edit: impl FnOnce(&mut esmtls::plan::Plan)) -> (Model, tempfile::TempDir) {
    use super::app::Planned;
    use esmtls::plan::{self, Answers, Command, Offline, Setup};
    let mut m = super::tests::at_steps();
    press(&mut m, &[k(KeyCode::Enter); 10]);
    let tmp = tempfile::tempdir().unwrap();
    let (es, kb) = (tmp.path().join("es"), tmp.path().join("kb"));
    std::fs::create_dir_all(&es).unwrap();
    std::fs::create_dir_all(&kb).unwrap();
    std::fs::write(es.join("elasticsearch.yml"), "cluster.name: demo\n").unwrap();
    std::fs::write(kb.join("kibana.yml"), "server.port: 5601\n").unwrap();
    let mut setup = Setup::dirs(&es, &kb, &tmp.path().join("state"));
    setup.ca_password_store = plan::SecretStoreChoice::File;
    setup.es_restart = Some(Command {
        argv: vec![
            "systemctl".into(),
            "restart".into(),
            "elasticsearch.service".into(),
        ],
        what: "restart Elasticsearch (systemd)".into(),
        restart: true,
    });
    let mut a = Answers::new(mode);
    a.license = Some(License::Platinum);
    let url = "https://localhost:9200".to_string();
    let mut p = plan::build(&a, &setup, &mut Offline { url }).unwrap();
    edit(&mut p);
    let text = plan::render::text(&p);
    update(
        &mut m,
        Msg::Planned(Ok(Box::new(Planned {
            plan: Some(p),
            cluster: None,
            setup,
            text,
            saved: "saved.yml".into(),
        }))),
    );
    (m, tmp)
}

#[test]
fn the_review_asks_before_running_restarts_and_finish_leaves_on_esc() {
    use super::app::{Cmd, Summary};
    let (mut m, _tmp) = reviewed(Mode::Pki, |_| {});
    let cmds = super::screens::review::runnable(&m.review).unwrap();
    assert!(cmds.contains("Elasticsearch systemctl restart"), "{cmds}");
    // Not without the operator's consent: r toggles it.
    assert!(!m.review.restart);
    press(&mut m, &[ch('r'), ch('r'), ch('r')]);
    assert!(m.review.restart);
    let cmds = press(&mut m, &[k(KeyCode::Enter)]);
    assert!(
        matches!(cmds.as_slice(), [Cmd::Apply(b, _)] if b.restart && !b.revoke),
        "{cmds:?}"
    );
    update(
        &mut m,
        Msg::Applied(Ok(Box::new(Summary {
            verified: None,
            lines: vec![],
            commands: vec![],
        }))),
    );
    assert_eq!(m.screen, Screen::Finish);
    press(&mut m, &[k(KeyCode::PageDown)]);
    assert!(m.finish.scroll > 0);
    press(&mut m, &[k(KeyCode::Esc)]);
    assert_eq!(m.exit, Some(Exit::Quit));
}

#[test]
fn the_review_asks_before_revoking_what_the_new_credential_replaces() {
    use super::app::Cmd;
    use esmtls::plan::Replaced;
    let (mut m, _tmp) = reviewed(Mode::Token, |p| {
        p.replaced = vec![Replaced::ServiceToken {
            name: "enroll-process-token-1700000000000".into(),
        }];
    });
    let what = super::screens::review::revocable(&m.review).unwrap();
    assert!(
        what.contains("service token elastic/kibana/enroll-process-token-1700000000000"),
        "{what}"
    );
    // The footer offers it, unticked: nothing is revoked without consent.
    let screen = screen_text(&m);
    assert!(
        screen.contains("v [ ] once the new credential is verified"),
        "{screen}"
    );
    assert!(!m.review.revoke);
    press(&mut m, &[ch('v')]);
    assert!(m.review.revoke);
    let screen = screen_text(&m);
    assert!(
        screen.contains("v [x] once the new credential is verified"),
        "{screen}"
    );
    let cmds = press(&mut m, &[k(KeyCode::Enter)]);
    assert!(
        matches!(cmds.as_slice(), [Cmd::Apply(b, _)] if b.revoke && !b.restart),
        "{cmds:?}"
    );
    // Nothing replaced: no offer, and v changes nothing.
    let (mut m, _tmp) = reviewed(Mode::Token, |_| {});
    assert!(super::screens::review::revocable(&m.review).is_none());
    press(&mut m, &[ch('v')]);
    assert!(!m.review.revoke);
}

/// The screen as text, at 120×40.
fn screen_text(m: &Model) -> String {
    use ratatui::{Terminal, backend::TestBackend};
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| super::view::view(m, f)).unwrap();
    t.backend().to_string()
}

#[test]
fn notes_name_the_wizards_keys_not_flags_the_operator_never_typed() {
    // The core's own notes, so a change of their wording fails here.
    let n = super::strings::for_wizard(esmtls::apply::NOT_VERIFIED_YET);
    assert!(!n.contains("pass --restart"), "{n}");
    assert!(n.contains("r on the Review"), "{n}");
    assert!(n.contains("run the wizard again"), "{n}");
    let n = super::strings::for_wizard(esmtls::apply::REPLACED_UNTIL_VERIFIED);
    assert!(n.contains("v ticked on the Review"), "{n}");
    let token = esmtls::plan::Replaced::ServiceToken { name: "t1".into() };
    for l in esmtls::apply::revoke::still_valid(&[token]) {
        let n = super::strings::for_wizard(&l);
        assert!(n.contains("v ticked on the Review"), "{n}");
    }
    // The Review's warnings too: step 0's password before the environment.
    let t = super::screens::review_text::arrange(
        "warning: Elasticsearch is not reachable (no Elasticsearch admin credentials: set ESMTLS_ES_USERNAME and ESMTLS_ES_PASSWORD, or ESMTLS_ES_API_KEY); API requests go to esmtls-requests.txt\n",
        &[],
    );
    assert!(t.contains("type the admin password on step 0"), "{t}");
}
