//! Tests of the Elm core driven by scripted key sequences: navigation,
//! validation, the back and quit rules. The helpers serve `snapshots.rs` too.

use esmtls::apply::{ActionState, Progress};
use esmtls::plan::Mode;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::{Cmd, DetectInfo, Exit, Model, Msg, Overlay, Screen, on_key, update};
use super::reports::Restarts;
use super::theme::Theme;

pub(super) fn k(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}
pub(super) fn ch(c: char) -> KeyEvent {
    k(KeyCode::Char(c))
}
pub(super) fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// Presses `keys` in order; returns the commands asked for.
pub(super) fn press(m: &mut Model, keys: &[KeyEvent]) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    for key in keys {
        if let Some(c) = on_key(key, m).and_then(|msg| update(m, msg)) {
            cmds.push(c);
        }
    }
    cmds
}

pub(super) fn typing(s: &str) -> Vec<KeyEvent> {
    s.chars().map(ch).collect()
}

const SUMMARY: &str = "Elasticsearch\n  config:    [TMP]/es (--es-config)\n  version:   8.15.2\n  security:  enabled; HTTP TLS on; client certificates not requested\nKibana\n  config:    [TMP]/kibana (--kibana-config)\n  version:   8.15.2\n";

pub(super) fn started() -> Model {
    let mut m = Model::new(Theme { color: false }, None);
    update(
        &mut m,
        Msg::Detected(Ok(Box::new(DetectInfo {
            summary: SUMMARY.into(),
            saved: None,
            license: None,
            current: None,
            restarts: Restarts {
                es: Some(("systemd: systemctl restart elasticsearch.service".into(), true)),
                kibana: Some((
                    "unknown: esmtls could not tell how this Kibana was started; restart it the way you started it".into(),
                    false,
                )),
            },
        }))),
    );
    m
}

/// Start → Guide (platinum, certificate identity → pki) → step 0.
pub(super) fn at_steps() -> Model {
    let mut m = started();
    press(&mut m, &[k(KeyCode::Enter)]);
    press(&mut m, &[k(KeyCode::Right); 4]);
    press(&mut m, &[ch('j'), ch('j'), ch('l')]);
    assert_eq!(m.guide.mode, Mode::Pki);
    press(&mut m, &[k(KeyCode::Enter)]);
    assert_eq!(m.screen, Screen::Steps);
    m
}

#[test]
fn start_guide_and_back() {
    let mut m = started();
    assert!(!m.busy);
    press(&mut m, &[ch('j'), ch('k'), k(KeyCode::Enter)]);
    assert_eq!(m.screen, Screen::Guide);
    assert!(m.dirty);
    press(&mut m, &[k(KeyCode::Esc)]);
    assert_eq!(m.screen, Screen::Start);
}

#[test]
fn quit_asks_only_when_answers_would_be_lost() {
    let mut m = started();
    press(&mut m, &[ch('q')]);
    assert_eq!(m.exit, Some(Exit::Quit));

    let mut m = started();
    press(&mut m, &[k(KeyCode::Enter), ch('q')]);
    assert_eq!(m.overlay, Some(Overlay::Quit));
    assert_eq!(m.exit, None);
    press(&mut m, &[ch('n')]);
    assert_eq!(m.overlay, None);
    press(&mut m, &[ch('q'), ch('y')]);
    assert_eq!(m.exit, Some(Exit::Quit));
}

#[test]
fn help_opens_and_any_key_closes() {
    let mut m = started();
    press(&mut m, &[ch('?')]);
    assert_eq!(m.overlay, Some(Overlay::Help));
    press(&mut m, &[k(KeyCode::Enter)]);
    assert_eq!((m.overlay, m.screen), (None, Screen::Start));
}

#[test]
fn key_releases_are_ignored() {
    let m = started();
    let mut e = k(KeyCode::Enter);
    e.kind = KeyEventKind::Release;
    assert!(on_key(&e, &m).is_none());
}

#[test]
fn pki_on_basic_is_refused_inline() {
    let mut m = started();
    press(&mut m, &[k(KeyCode::Enter), k(KeyCode::Right)]); // basic
    press(
        &mut m,
        &[k(KeyCode::Down), k(KeyCode::Down), k(KeyCode::Right)],
    );
    assert_eq!(
        m.guide.mode,
        Mode::MtlsToken,
        "recommend falls back on Basic"
    );
    press(
        &mut m,
        &[k(KeyCode::Down), k(KeyCode::Right), k(KeyCode::Right)],
    );
    assert_eq!(m.guide.mode, Mode::Pki);
    press(&mut m, &[k(KeyCode::Enter)]);
    assert_eq!(m.screen, Screen::Guide);
    assert!(m.guide.error.as_deref().unwrap_or("").contains("basic"));
}

#[test]
fn invalid_input_stays_with_the_reason_until_fixed() {
    let mut m = at_steps();
    press(&mut m, &[k(KeyCode::Enter)]);
    assert_eq!(m.steps.step, 1);
    // to the days field, clear, type 0
    press(&mut m, &[k(KeyCode::Tab); 7]);
    press(&mut m, &[ctrl('u'), ch('0'), k(KeyCode::Enter)]);
    assert_eq!(m.steps.step, 1);
    let (at, msg) = m.steps.error.clone().unwrap();
    assert_eq!(at, Some(7));
    assert!(msg.starts_with("Validity (days): "), "{msg}");
    press(&mut m, &[k(KeyCode::Backspace)]);
    press(&mut m, &typing("30"));
    press(&mut m, &[k(KeyCode::Enter)]);
    assert_eq!(m.steps.step, 2);
    assert_eq!(m.answers.client_certificate.days, 30);
}

#[test]
fn letters_type_in_text_fields() {
    let mut m = at_steps();
    press(&mut m, &[k(KeyCode::Enter)]);
    press(&mut m, &[k(KeyCode::Down); 4]);
    press(&mut m, &[ctrl('u')]);
    press(&mut m, &typing("qhljk"));
    assert_eq!(m.steps.values[4], "qhljk");
    assert_eq!((m.exit, m.overlay), (None, None));
    // `?` is the help, and Ctrl-Q quits, from inside a text field too.
    press(&mut m, &[ch('?')]);
    assert_eq!(m.overlay, Some(Overlay::Help));
    assert_eq!(m.steps.values[4], "qhljk");
    press(&mut m, &[k(KeyCode::Esc), ctrl('q')]);
    assert_eq!(m.overlay, Some(Overlay::Quit));
}

#[test]
fn letters_on_a_choice_field_do_not_change_it() {
    let mut m = at_steps();
    press(&mut m, &[k(KeyCode::Enter)]);
    // CA source: typing a host name there leaves it as it was.
    assert_eq!(m.steps.values[0], "auto");
    press(&mut m, &typing("hello.example"));
    assert_eq!(m.steps.values[0], "auto");
    press(&mut m, &[k(KeyCode::Right)]);
    assert_eq!(m.steps.values[0], "elasticsearch");
}

#[test]
fn esc_walks_back_through_the_steps() {
    let mut m = at_steps();
    press(&mut m, &[k(KeyCode::Enter), k(KeyCode::Enter)]);
    assert_eq!(m.steps.step, 2);
    press(&mut m, &[k(KeyCode::Esc), k(KeyCode::Esc), k(KeyCode::Esc)]);
    assert_eq!(m.screen, Screen::Guide);
}

#[test]
fn the_last_step_asks_for_the_plan_and_review_confirms() {
    let mut m = at_steps();
    let cmds = press(&mut m, &[k(KeyCode::Enter); 10]);
    assert_eq!(m.screen, Screen::Review);
    assert!(m.busy);
    assert!(matches!(cmds.as_slice(), [Cmd::Plan(a, None)] if a.mode == Mode::Pki));
    press(&mut m, &[k(KeyCode::Esc)]);
    assert_eq!(m.screen, Screen::Review, "no going back while planning");
    update(&mut m, Msg::Planned(Err("refused".into())));
    assert_eq!(m.review.error.as_deref(), Some("refused"));
    assert!(press(&mut m, &[k(KeyCode::Enter)]).is_empty());
    press(&mut m, &[k(KeyCode::Esc)]);
    assert_eq!((m.screen, m.steps.step), (Screen::Steps, 9));
}

/// Review → Enter: the apply screen, every action pending.
pub(super) fn applying() -> (Model, tempfile::TempDir, Vec<esmtls::apply::Action>) {
    let (mut m, tmp) = super::snapshots::at_review();
    let cmds = press(&mut m, &[ch('j'), k(KeyCode::Enter)]);
    assert!(matches!(cmds.as_slice(), [Cmd::Apply(_, None)]));
    assert_eq!(m.screen, Screen::Apply);
    let plan = m.review.planned.as_ref().unwrap().plan.as_ref().unwrap();
    let list = esmtls::apply::actions(plan, false);
    (m, tmp, list)
}

pub(super) fn progress(
    m: &mut Model,
    list: &[esmtls::apply::Action],
    index: usize,
    state: ActionState,
) {
    update(
        m,
        Msg::Progress(Progress {
            index,
            action: list[index].clone(),
            state,
        }),
    );
}

#[test]
fn the_apply_screen_lists_every_action_and_follows_progress() {
    let (mut m, _tmp, list) = applying();
    let labels: Vec<&str> = m.apply.actions.iter().map(|a| a.0.as_str()).collect();
    let want: Vec<&str> = list.iter().map(|a| a.label.as_str()).collect();
    assert_eq!(labels, want);
    assert!(m.apply.actions.iter().all(|a| a.1 == ActionState::Pending));
    progress(&mut m, &list, 0, ActionState::Running);
    assert_eq!(m.apply.actions[0].1, ActionState::Running);
    progress(&mut m, &list, 0, ActionState::Done);
    progress(&mut m, &list, 1, ActionState::Failed("disk full".into()));
    progress(&mut m, &list, 0, ActionState::Undone);
    assert_eq!(m.apply.actions[0].1, ActionState::Undone);
    assert_eq!(
        m.apply.actions[1].1,
        ActionState::Failed("disk full".into())
    );
    assert!(
        m.apply.actions[2..]
            .iter()
            .all(|a| a.1 == ActionState::Pending)
    );
    // An index the list does not have changes nothing.
    let before = m.apply.clone();
    update(
        &mut m,
        Msg::Progress(Progress {
            index: 999,
            action: list[0].clone(),
            state: ActionState::Done,
        }),
    );
    assert_eq!(m.apply, before);
    assert_eq!((m.screen, m.exit), (Screen::Apply, None));
}

#[test]
fn ctrl_c_during_apply_stops_and_the_report_lands_on_finish() {
    let (mut m, _tmp, _) = applying();
    press(&mut m, &[ch('q')]);
    assert_eq!(m.exit, None, "q does nothing while applying");
    let cmds = press(&mut m, &[ctrl('c')]);
    assert!(matches!(cmds.as_slice(), [Cmd::Stop]), "{cmds:?}");
    assert_eq!(m.exit, None, "the wizard waits for the worker");
    assert!(m.apply.stopping && m.busy);
    assert_eq!(m.screen, Screen::Apply);
    let report = super::strings::stopped_restored(&["/etc/kibana/kibana.yml".into()], "");
    update(&mut m, Msg::Applied(Err(report.clone())));
    assert_eq!((m.screen, m.busy, m.exit), (Screen::Finish, false, None));
    assert_eq!(m.finish.result, Some(Err(report)));
    // Then the operator quits normally.
    press(&mut m, &[k(KeyCode::Enter)]);
    assert_eq!(m.exit, Some(Exit::Quit));
}

#[test]
fn a_second_ctrl_c_while_stopping_exits_at_once() {
    let (mut m, _tmp, _) = applying();
    assert!(matches!(
        press(&mut m, &[ctrl('c')]).as_slice(),
        [Cmd::Stop]
    ));
    assert!(press(&mut m, &[ctrl('c')]).is_empty());
    assert_eq!(m.exit, Some(Exit::Interrupted));
}

#[test]
fn saved_answers_are_offered_and_resumed() {
    let mut m = Model::new(Theme { color: false }, None);
    let mut saved = esmtls::plan::Answers::new(Mode::MtlsToken);
    saved.client_certificate.name = "kibana-7".into();
    update(
        &mut m,
        Msg::Detected(Ok(Box::new(DetectInfo {
            summary: SUMMARY.into(),
            saved: Some((saved, "/state/wizard-answers.yml".into())),
            license: None,
            restarts: Restarts::default(),
            current: None,
        }))),
    );
    press(&mut m, &[k(KeyCode::Down), k(KeyCode::Enter)]);
    assert_eq!(m.screen, Screen::Guide);
    assert_eq!(m.guide.mode, Mode::MtlsToken);
    assert!(m.guide.require_mtls);
    press(&mut m, &[k(KeyCode::Enter), k(KeyCode::Enter)]);
    assert_eq!((m.screen, m.steps.step), (Screen::Steps, 1));
    assert_eq!(m.steps.values[4], "kibana-7");
}

#[test]
fn the_guide_explanation_scrolls() {
    let mut m = started();
    press(
        &mut m,
        &[
            k(KeyCode::Enter),
            k(KeyCode::PageDown),
            k(KeyCode::PageDown),
        ],
    );
    assert_eq!(m.guide.scroll, 8);
    press(&mut m, &[k(KeyCode::PageUp)]);
    assert_eq!(m.guide.scroll, 4);
}

#[test]
fn a_detected_license_preselects_the_guide() {
    let mut m = Model::new(Theme { color: false }, None);
    update(
        &mut m,
        Msg::Detected(Ok(Box::new(DetectInfo {
            summary: SUMMARY.into(),
            saved: None,
            license: Some(esmtls::plan::License::Trial),
            restarts: Restarts::default(),
            current: None,
        }))),
    );
    press(
        &mut m,
        &[
            k(KeyCode::Enter),
            k(KeyCode::Down),
            k(KeyCode::Down),
            k(KeyCode::Right),
        ],
    );
    assert_eq!(m.guide.license(), Some(esmtls::plan::License::Trial));
    assert_eq!(m.guide.mode, Mode::Pki);
}
