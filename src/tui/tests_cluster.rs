//! The wizard with a topology: step 0 takes the nodes and Kibana hosts, the
//! Review shows the cluster plan per host with its order, Enter writes the
//! bundles (nothing else changes here) and Finish lists each host's command
//! in the plan's order.

use esmtls::plan::{self, Mode, Offline, Setup};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;

use super::app::{Cmd, Model, Msg, Planned, Screen, update};
use super::form;
use super::tests::{at_steps, k, press};

fn screen(m: &Model, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| super::view::view(m, f)).unwrap();
    format!("{:?}", t.backend())
}

#[test]
fn step_0_takes_the_topology() {
    let mut a = plan::Answers::new(Mode::MtlsToken);
    form::set(
        &mut a,
        "topology.elasticsearch",
        "es01=es01.example.com, es02=10.0.0.2:9201, es03",
    )
    .unwrap();
    form::set(&mut a, "topology.kibana", "kb01").unwrap();
    let t = a.topology.clone().unwrap();
    assert_eq!(
        t.kibana_hosts(),
        [
            "https://es01.example.com:9200",
            "https://10.0.0.2:9201",
            "https://es03:9200"
        ]
    );
    assert_eq!(
        form::get(&a, "topology.elasticsearch"),
        "es01=es01.example.com, es02=10.0.0.2:9201, es03"
    );
    assert!(form::set(&mut a, "topology.elasticsearch", "es01=h:notaport").is_err());
    form::set(&mut a, "topology.elasticsearch", "").unwrap();
    form::set(&mut a, "topology.kibana", "").unwrap();
    assert!(a.topology.is_none(), "nothing listed: this machine");
}

#[test]
fn review_shows_each_host_and_enter_writes_the_bundles() {
    let mut m = at_steps();
    press(&mut m, &[k(KeyCode::Enter); 10]);
    let tmp = tempfile::tempdir().unwrap();
    let mut a = plan::Answers::new(Mode::MtlsToken);
    a.license = Some(plan::License::Platinum);
    a.out = tmp.path().join("bundles");
    form::set(&mut a, "topology.elasticsearch", "es01, es02, es03").unwrap();
    form::set(&mut a, "topology.kibana", "kb01").unwrap();
    m.answers = a.clone();
    let mut setup = Setup::dirs(
        &tmp.path().join("es"),
        &tmp.path().join("kb"),
        &tmp.path().join("state"),
    );
    setup.ca_password_store = plan::SecretStoreChoice::File;
    let central = esmtls::cluster::Central {
        setup: &setup,
        ca_dir: a.out.join("_ca"),
        prior: None,
        keys: Default::default(),
    };
    let c = esmtls::cluster::plan::build(
        &a,
        &central,
        &mut Offline {
            url: "https://es01:9200".into(),
        },
    )
    .unwrap();
    let text = esmtls::cluster::render::text(&c);
    update(
        &mut m,
        Msg::Planned(Ok(Box::new(Planned {
            plan: None,
            cluster: Some(Box::new(c.clone())),
            setup,
            text,
            saved: "answers.yml".into(),
        }))),
    );
    let s = screen(&m, 120, 40);
    assert!(
        s.contains("== es01")
            && s.contains("== kb01")
            && s.contains("Enter writes one bundle per host"),
        "{s}"
    );
    let cmds = press(&mut m, &[k(KeyCode::Enter)]);
    let [Cmd::Bundles(b)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(b.1.out, a.out);
    // What the worker does, then what Finish shows.
    let sum = super::effects::write_bundles(&b.0, &b.1).unwrap();
    for h in ["es01", "es02", "es03", "kb01"] {
        assert!(a.out.join(h).join("bundle.json").is_file(), "{h}");
    }
    update(&mut m, Msg::Applied(Ok(Box::new(sum))));
    assert_eq!(m.screen, Screen::Finish);
    let s = screen(&m, 120, 40);
    assert!(
        s.contains("esmtls apply --bundle") && s.contains("on kb01"),
        "{s}"
    );
}
