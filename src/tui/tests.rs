//! Tests of the Elm core driven by scripted key sequences (navigation,
//! validation, the back and quit rules), and insta snapshots of every screen
//! at 80×24 and 120×40 on ratatui's `TestBackend` (temp paths filtered).

use std::path::Path;

use esmtls::plan::{self, Answers, Mode, Offline, Setup};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::{
    Cmd, DetectInfo, Exit, Model, Msg, Overlay, Planned, Screen, Summary, on_key, update,
};
use super::theme::Theme;
use super::view::view;

fn k(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}
fn ch(c: char) -> KeyEvent {
    k(KeyCode::Char(c))
}
fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// Presses `keys` in order; returns the commands asked for.
fn press(m: &mut Model, keys: &[KeyEvent]) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    for key in keys {
        if let Some(c) = on_key(key, m).and_then(|msg| update(m, msg)) {
            cmds.push(c);
        }
    }
    cmds
}

fn typing(s: &str) -> Vec<KeyEvent> {
    s.chars().map(ch).collect()
}

const SUMMARY: &str = "Elasticsearch\n  config:    [TMP]/es (--es-config)\n  version:   8.15.2\n  security:  enabled; HTTP TLS on; client certificates not requested\nKibana\n  config:    [TMP]/kibana (--kibana-config)\n  version:   8.15.2\n";

fn started() -> Model {
    let mut m = Model::new(Theme { color: false }, None);
    update(
        &mut m,
        Msg::Detected(Ok(Box::new(DetectInfo {
            summary: SUMMARY.into(),
            saved: None,
        }))),
    );
    m
}

/// Start → Guide (platinum, certificate identity → pki) → step 0.
fn at_steps() -> Model {
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
    press(&mut m, &[k(KeyCode::Tab); 6]);
    press(&mut m, &[ctrl('u'), ch('0'), k(KeyCode::Enter)]);
    assert_eq!(m.steps.step, 1);
    let (at, msg) = m.steps.error.clone().unwrap();
    assert_eq!(at, Some(6));
    assert!(!msg.is_empty());
    press(&mut m, &[k(KeyCode::Backspace)]);
    press(&mut m, &typing("30"));
    press(&mut m, &[k(KeyCode::Enter)]);
    assert_eq!(m.steps.step, 2);
    assert_eq!(m.answers.client_certificate.days, 30);
}

#[test]
fn letters_type_in_text_fields() {
    let mut m = at_steps();
    press(
        &mut m,
        &[
            k(KeyCode::Enter),
            k(KeyCode::Down),
            k(KeyCode::Down),
            k(KeyCode::Down),
        ],
    );
    press(&mut m, &[ctrl('u')]);
    press(&mut m, &typing("q?jk"));
    assert_eq!(m.steps.values[3], "q?jk");
    assert_eq!((m.exit, m.overlay), (None, None));
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
    assert!(matches!(cmds.as_slice(), [Cmd::Plan(a)] if a.mode == Mode::Pki));
    press(&mut m, &[k(KeyCode::Esc)]);
    assert_eq!(m.screen, Screen::Review, "no going back while planning");
    update(&mut m, Msg::Planned(Err("refused".into())));
    assert_eq!(m.review.error.as_deref(), Some("refused"));
    assert!(press(&mut m, &[k(KeyCode::Enter)]).is_empty());
    press(&mut m, &[k(KeyCode::Esc)]);
    assert_eq!((m.screen, m.steps.step), (Screen::Steps, 9));
}

#[test]
fn ctrl_c_during_apply_is_an_interruption() {
    let (mut m, _tmp) = at_review();
    let cmds = press(&mut m, &[ch('j'), k(KeyCode::Enter)]);
    assert!(matches!(cmds.as_slice(), [Cmd::Apply(_)]));
    assert_eq!(m.screen, Screen::Apply);
    press(&mut m, &[ch('q')]);
    assert_eq!(m.exit, None, "q does nothing while applying");
    press(&mut m, &[ctrl('c')]);
    assert_eq!(m.exit, Some(Exit::Interrupted));
}

// ---- snapshots ----

fn seeded() -> (tempfile::TempDir, Setup) {
    let tmp = tempfile::tempdir().unwrap();
    let es = tmp.path().join("es");
    let kb = tmp.path().join("kibana");
    std::fs::create_dir_all(&es).unwrap();
    std::fs::create_dir_all(&kb).unwrap();
    std::fs::write(es.join("elasticsearch.yml"), "cluster.name: demo\n").unwrap();
    std::fs::write(
        kb.join("kibana.yml"),
        "server.port: 5601\nelasticsearch.username: kibana_system\n",
    )
    .unwrap();
    let s = Setup::dirs(&es, &kb, &tmp.path().join("state"));
    (tmp, s)
}

fn at_review() -> (Model, tempfile::TempDir) {
    let mut m = at_steps();
    press(&mut m, &[k(KeyCode::Enter); 10]);
    let (tmp, setup) = seeded();
    let mut a = Answers::new(Mode::Pki);
    a.license = m.answers.license;
    let p = plan::build(
        &a,
        &setup,
        &mut Offline {
            url: "https://localhost:9200".into(),
        },
    )
    .unwrap();
    let text = plan::render::text(&p);
    let saved = tmp
        .path()
        .join("state/wizard-answers.yml")
        .display()
        .to_string();
    update(
        &mut m,
        Msg::Planned(Ok(Box::new(Planned {
            plan: p,
            setup,
            text,
            saved,
        }))),
    );
    (m, tmp)
}

fn snap(name: &str, m: &Model, tmp: Option<&Path>) {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| view(m, f)).unwrap();
        let mut s = insta::Settings::clone_current();
        if let Some(p) = tmp {
            s.add_filter(&p.display().to_string().replace('.', r"\."), "[TMP]");
        }
        s.add_filter(r"[0-9a-f]{64}", "[FINGERPRINT]");
        s.add_filter(r"\d{4}-\d{2}-\d{2}", "[DATE]");
        s.bind(|| insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend()));
    }
}

#[test]
fn snapshots_start_guide_steps() {
    let mut m = Model::new(Theme { color: false }, None);
    snap("start_detecting", &m, None);
    m = started();
    snap("start", &m, None);
    press(&mut m, &[k(KeyCode::Enter)]);
    snap("guide", &m, None);
    let mut m = at_steps();
    snap("steps_0", &m, None);
    press(
        &mut m,
        &[
            k(KeyCode::Enter),
            k(KeyCode::Tab),
            k(KeyCode::Tab),
            k(KeyCode::Tab),
            ctrl('u'),
            k(KeyCode::Enter),
        ],
    );
    snap("steps_1_invalid", &m, None);
    let mut h = started();
    press(&mut h, &[k(KeyCode::Enter), ch('?')]);
    snap("help", &h, None);
    let mut m = at_steps();
    press(&mut m, &[k(KeyCode::Enter), ch('q')]);
    snap("quit", &m, None);
}

#[test]
fn snapshots_review_apply_finish() {
    let (mut m, tmp) = at_review();
    snap("review", &m, Some(tmp.path()));
    press(&mut m, &[k(KeyCode::PageDown)]);
    snap("review_scrolled", &m, Some(tmp.path()));
    press(&mut m, &[k(KeyCode::Enter)]);
    snap("apply", &m, Some(tmp.path()));
    update(
        &mut m,
        Msg::Applied(Ok(Box::new(Summary {
            verified: Some(Err(
                "Elasticsearch at https://localhost:9200 is not reachable".into(),
            )),
            lines: vec!["created  [TMP]/kibana/certs/kibana-client.p12".into()],
            commands: vec!["sudo systemctl restart elasticsearch.service".into()],
        }))),
    );
    snap("finish", &m, Some(tmp.path()));
}

#[test]
fn too_small_says_so() {
    let m = started();
    let mut t = Terminal::new(TestBackend::new(60, 20)).unwrap();
    t.draw(|f| view(&m, f)).unwrap();
    insta::assert_snapshot!("too_small_60x20", t.backend());
}

/// Figures for scripts/bench-tui.sh (ignored by default; run with
/// `cargo test --release --bin esmtls bench_ -- --ignored --nocapture`):
/// model init + first frame, and the mean render time of the review screen
/// (the heaviest: the whole plan, wrapped) at 200×60 on `TestBackend`.
#[test]
#[ignore]
fn bench_render() {
    use std::time::Instant;
    let t0 = Instant::now();
    let m = Model::new(Theme { color: true }, None);
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| view(&m, f)).unwrap();
    println!(
        "bench first_frame_model_init_plus_view_us {}",
        t0.elapsed().as_micros()
    );

    let (mut m, _tmp) = at_review();
    m.theme = Theme { color: true };
    for (name, n) in [("review", 0), ("steps", 1), ("guide", 2)] {
        if n == 1 {
            m.screen = Screen::Steps;
            m.steps.step = 1;
        } else if n == 2 {
            m.screen = Screen::Guide;
        }
        let mut t = Terminal::new(TestBackend::new(200, 60)).unwrap();
        let frames = 500u32;
        let start = Instant::now();
        for i in 0..frames {
            m.review.scroll = (i % 50) as usize;
            t.draw(|f| view(&m, f)).unwrap();
        }
        let per = start.elapsed() / frames;
        println!("bench render_200x60_{name}_us {}", per.as_micros());
    }
}
