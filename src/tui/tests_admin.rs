//! The admin credentials on step 0: the masked password field is edited
//! like a text field, drawn as bullets only, and the password never shows up
//! in the model's, the messages' or the commands' `Debug` text nor in the
//! saved answers; it goes with `Cmd::Plan` and `Cmd::Apply`.

use esmtls::es::Auth;
use esmtls::secret::Secret;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;

use super::admin::PASSWORD_KEY;
use super::app::{Cmd, Model, Msg, Screen, update};
use super::keys::Action;
use super::screens::steps;
use super::tests::{at_steps, ctrl, k, press, typing};

const PW: &str = "Sup3r-s3cret";

/// Step 0 with the focus on the password field.
fn at_password() -> Model {
    let mut m = at_steps();
    let f = steps::fields(0, m.answers.mode, &m.admin);
    let at = f.iter().position(|f| f.key == PASSWORD_KEY).unwrap();
    press(&mut m, &vec![k(KeyCode::Tab); at]);
    assert_eq!(m.steps.focus, at);
    m
}

fn screen(m: &Model) -> String {
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| super::view::view(m, f)).unwrap();
    format!("{:?}", t.backend())
}

#[test]
fn the_password_is_typed_masked_and_edited() {
    let mut m = at_password();
    assert_eq!(
        m.ctx(),
        super::keys::Ctx::Text,
        "letters type, q does not quit"
    );
    press(&mut m, &typing(PW));
    assert_eq!(m.admin.password.expose(), PW);
    assert!(m.steps.values.iter().all(|v| !v.contains("Sup3r")));
    let s = screen(&m);
    assert!(!s.contains("Sup3r") && !s.contains("s3cret"), "{s}");
    assert!(s.contains(&"•".repeat(PW.len())), "{s}");
    press(&mut m, &[k(KeyCode::Backspace), k(KeyCode::Backspace)]);
    assert_eq!(m.admin.password.expose(), "Sup3r-s3cr");
    assert!(screen(&m).contains(&format!("{}▏", "•".repeat(10))));
    press(&mut m, &[ctrl('u')]);
    assert!(m.admin.password.is_empty());
    assert!(!screen(&m).contains('•'));
    press(&mut m, &[k(KeyCode::Tab)]);
    assert!(screen(&m).contains(super::strings::ADMIN_PASSWORD_HINT));
}

#[test]
fn the_user_is_kept_for_the_run_and_the_password_goes_with_plan_and_apply() {
    let mut m = at_steps();
    press(&mut m, &[k(KeyCode::Tab); 4]);
    press(&mut m, &[ctrl('u')]);
    press(&mut m, &typing("admin"));
    press(&mut m, &[k(KeyCode::Tab)]);
    press(&mut m, &typing(PW));
    assert_eq!(m.admin.user, "admin");
    let cmds = press(&mut m, &[k(KeyCode::Enter); 10]);
    assert_eq!(m.screen, Screen::Review);
    let want = Auth::Basic {
        username: "admin".into(),
        password: Secret::new(PW),
    };
    let [Cmd::Plan(a, Some(auth))] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(auth, &want);
    let yaml = a.to_yaml();
    assert!(
        !yaml.contains(PW) && !yaml.contains("admin.password"),
        "{yaml}"
    );
    let debug = format!("{cmds:?}");
    assert!(!debug.contains(PW) && !debug.contains("s3cret"), "{debug}");
    // Back to step 0: the user is still there, the password still set (bullets).
    update(&mut m, Msg::Planned(Err("refused".into())));
    press(&mut m, &[k(KeyCode::Esc)]);
    for _ in 0..9 {
        press(&mut m, &[k(KeyCode::Esc)]);
    }
    assert_eq!((m.screen, m.steps.step), (Screen::Steps, 0));
    assert_eq!(m.steps.values[4], "admin");
    assert!(screen(&m).contains(&"•".repeat(PW.len())));

    // The apply goes with the same credentials.
    let (mut r, _tmp) = super::snapshots::at_review();
    r.admin.password = Secret::new(PW);
    let cmds = press(&mut r, &[k(KeyCode::Enter)]);
    assert!(
        matches!(cmds.as_slice(), [Cmd::Apply(_, Some(Auth::Basic { .. }))]),
        "{cmds:?}"
    );
    assert!(!format!("{cmds:?}").contains(PW));
}

#[test]
fn the_password_never_shows_in_debug_text() {
    let mut m = at_password();
    press(&mut m, &typing(PW));
    let debug = format!("{m:?}");
    assert!(!debug.contains(PW) && !debug.contains("s3cret"), "{debug}");
    // A message carries one typed character at a time, never the password.
    let msgs: Vec<Msg> = PW.chars().map(Msg::Type).collect();
    assert!(!msgs.iter().any(|m| format!("{m:?}").contains("Sup3r")));
    assert!(!format!("{:?}", Msg::Act(Action::Backspace)).contains(PW));
    let cmd = Cmd::Plan(Box::new(m.answers.clone()), m.admin.auth());
    assert!(!format!("{cmd:?}").contains(PW), "{cmd:?}");
    assert!(!m.answers.to_yaml().contains(PW));
}

#[test]
fn env_credentials_replace_the_fields() {
    let mut m = at_steps();
    m.admin.env = Some(esmtls::es::ENV_API_KEY);
    steps::enter(&mut m, 0);
    assert_eq!(m.steps.values.len(), 4);
    let s = screen(&m);
    assert!(
        s.contains("from the environment (ESMTLS_ES_API_KEY)"),
        "{s}"
    );
    assert!(!s.contains(super::strings::ADMIN_PASSWORD));
    m.admin.password = Secret::new(PW);
    let cmds = press(&mut m, &[k(KeyCode::Enter); 10]);
    assert!(matches!(cmds.as_slice(), [Cmd::Plan(_, None)]), "{cmds:?}");
}

#[test]
fn check_my_setup_uses_the_password_typed_on_step_0() {
    let mut m = at_password();
    press(&mut m, &typing(PW));
    let cmd = super::screens::doctor::start(&mut m);
    let Some(Cmd::Check(Some(Auth::Basic { username, password }))) = cmd else {
        panic!("{cmd:?}")
    };
    assert_eq!((username.as_str(), password.expose()), ("elastic", PW));
    assert!(!format!("{:?}", Cmd::Check(m.admin.auth())).contains(PW));
}
