//! insta snapshots of every screen at 80×24 and 120×40 on ratatui's
//! `TestBackend` (temp paths, fingerprints and dates filtered), and the
//! ignored render benchmark that scripts/bench-tui.sh runs.

use std::path::Path;

use esmtls::plan::{self, Answers, Mode, Offline, Setup};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;

use super::app::{Model, Msg, Planned, Screen, Summary, update};
use super::tests::{at_steps, ch, ctrl, k, press, started, typing};
use super::theme::Theme;
use super::view::view;

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
    let mut s = Setup::dirs(&es, &kb, &tmp.path().join("state"));
    // The same on every machine, with or without a Secret Service.
    s.ca_password_store = plan::SecretStoreChoice::File;
    (tmp, s)
}

pub(super) fn at_review() -> (Model, tempfile::TempDir) {
    at_review_from(at_steps())
}

/// `m` (on step 0) through the steps to the review of a pki plan.
pub(super) fn at_review_from(mut m: Model) -> (Model, tempfile::TempDir) {
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
            plan: Some(p),
            cluster: None,
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
        s.add_filter(r"secrets/[0-9a-f]{16}\.json", "secrets/[SETUP].json");
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
    // On the cards (Tab), another one picked.
    press(&mut m, &[k(KeyCode::Tab)]);
    press(&mut m, &[k(KeyCode::Right), k(KeyCode::Right)]);
    snap("guide_cards", &m, None);
    // A re-run on a pki setup: the mode in place is shown and chosen.
    let mut r = super::tests_guide::started_with(Some(Mode::Pki), Some(plan::License::Gold));
    press(&mut r, &[k(KeyCode::Enter)]);
    snap("guide_rerun", &r, None);
    let mut m = at_steps();
    snap("steps_0", &m, None);
    // The admin password typed on step 0: only bullets are drawn.
    press(&mut m, &[k(KeyCode::Down); 5]);
    press(&mut m, &typing("s3cr3t-PW"));
    snap("steps_0_password", &m, None);
    // With admin credentials in the environment: the line naming them instead.
    m.admin.env = Some("ESMTLS_ES_USERNAME and ESMTLS_ES_PASSWORD");
    super::screens::steps::enter(&mut m, 0);
    snap("steps_0_env_admin", &m, None);
    let mut m = at_steps();
    press(
        &mut m,
        &[
            k(KeyCode::Enter),
            k(KeyCode::Tab),
            k(KeyCode::Tab),
            k(KeyCode::Tab),
            k(KeyCode::Tab),
            ctrl('u'),
            k(KeyCode::Enter),
        ],
    );
    assert_eq!(m.steps.step, 1);
    snap("steps_1_invalid", &m, None);
    let mut h = started();
    press(&mut h, &[k(KeyCode::Enter), ch('?')]);
    snap("help", &h, None);
    let mut m = at_steps();
    press(&mut m, &[k(KeyCode::Enter), ch('q')]);
    snap("quit", &m, None);
}

#[test]
fn snapshots_step_forms() {
    // pki: steps 3 (realm order), 4 (client_authentication), 5 (restart),
    // 7 and 8 (where each secret goes), 9 (Kibana's restart).
    let mut m = at_steps();
    press(&mut m, &[k(KeyCode::Enter); 3]);
    snap("steps_3", &m, None);
    for n in [4, 5, 6, 7, 8, 9] {
        press(&mut m, &[k(KeyCode::Enter)]);
        assert_eq!(m.steps.step, n);
        if n != 6 {
            snap(&format!("steps_{n}"), &m, None);
        }
    }
    // An order taken from the form is checked where it is typed.
    let mut m = at_steps();
    press(&mut m, &[k(KeyCode::Enter); 3]);
    press(
        &mut m,
        &[k(KeyCode::Tab), ctrl('u'), ch('x'), k(KeyCode::Enter)],
    );
    assert_eq!(m.steps.step, 3);
    snap("steps_3_invalid", &m, None);
}

#[test]
fn snapshots_review_apply_finish() {
    // A re-run on a token setup that switches to pki: what switching
    // changes comes first, with the plan's warnings.
    let mut r = at_steps();
    r.current = Some(esmtls::plan::current::Current {
        mode: Mode::Token,
        evidence: vec!["Kibana uses a service account token".into()],
    });
    let (r, rtmp) = at_review_from(r);
    assert!(
        r.review
            .planned
            .as_ref()
            .unwrap()
            .text
            .starts_with("Read first")
    );
    snap("review_switch", &r, Some(rtmp.path()));
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
            commands: vec![
                super::strings::ON_THIS_MACHINE.into(),
                "  Elasticsearch systemctl restart elasticsearch.service".into(),
                "  Kibana        docker restart <container>".into(),
            ],
        }))),
    );
    snap("finish", &m, Some(tmp.path()));
}

#[test]
fn snapshots_apply_progress_and_stop() {
    use esmtls::apply::ActionState as S;
    let (mut m, tmp, list) = super::tests::applying();
    let last = list.len() - 1;
    for (i, st) in [
        (0, S::Done),
        (1, S::Done),
        (2, S::Done),
        (3, S::Failed("no space left on device".into())),
        (4, S::Running),
        (
            last,
            S::Skipped("restart Elasticsearch and Kibana first".into()),
        ),
    ] {
        super::tests::progress(&mut m, &list, i, st);
    }
    snap("apply_progress", &m, Some(tmp.path()));
    press(&mut m, &[ctrl('c')]);
    for i in [2, 1, 0] {
        super::tests::progress(&mut m, &list, i, S::Undone);
    }
    snap("apply_stopping", &m, Some(tmp.path()));
    let restored = vec![
        tmp.path()
            .join("es/elasticsearch.yml")
            .display()
            .to_string(),
        tmp.path().join("kibana/kibana.yml").display().to_string(),
    ];
    update(
        &mut m,
        Msg::Applied(Err(super::super::tui::strings::stopped_restored(
            &restored, "",
        ))),
    );
    snap("finish_stopped", &m, Some(tmp.path()));
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

#[test]
fn snapshots_renew_and_check() {
    use super::tests_renew::{findings, preview, renewed, with_inventory};
    let mut m = with_inventory(true);
    snap("start_renew_first", &m, None);
    press(&mut m, &[k(KeyCode::Enter), ch('j')]);
    snap("renew_table", &m, None);
    press(&mut m, &[k(KeyCode::Enter)]);
    update(&mut m, Msg::RenewPlanned(Ok(Box::new(preview()))));
    snap("renew_review", &m, None);
    press(&mut m, &[k(KeyCode::Enter)]);
    update(&mut m, Msg::Renewed(Ok(Box::new(renewed()))));
    snap("renew_done", &m, None);

    let mut m = with_inventory(false);
    press(&mut m, &[ch('j'), ch('j'), k(KeyCode::Enter)]);
    update(&mut m, Msg::Checked(Ok(Box::new(findings()))));
    snap("check_findings", &m, None);
    let mut m = with_inventory(false);
    press(&mut m, &[ch('j'), ch('j'), k(KeyCode::Enter)]);
    update(
        &mut m,
        Msg::Checked(Ok(Box::new(super::app::Checked {
            findings: Vec::new(),
            notes: Vec::new(),
        }))),
    );
    snap("check_healthy", &m, None);
}
