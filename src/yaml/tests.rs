//! Unit tests of the editor on small documents: each form of each edit.

use super::*;

fn f(text: &str) -> YamlFile {
    YamlFile::parse("t.yml", text).unwrap()
}

fn after(text: &str, edits: &[Edit]) -> String {
    let c = f(text).apply(edits).unwrap();
    let again = f(c.after()).apply(edits).unwrap();
    assert!(again.is_unchanged(), "not idempotent:\n{}", again.diff());
    c.after().to_string()
}

#[test]
fn finds_flat_nested_and_partly_nested() {
    let y = f("a.b.c: 1\nx:\n  y:\n    z: true\np.q:\n  r: 's'\n");
    let s = y.get("a.b.c").unwrap();
    assert_eq!((s.line, s.form), (1, Form::Flat));
    let s = y.get("x.y.z").unwrap();
    assert_eq!(
        (s.line, s.form, s.value),
        (4, Form::Nested, SettingValue::Bool(true))
    );
    let s = y.get("p.q.r").unwrap();
    assert_eq!(
        (s.line, s.form, s.value),
        (6, Form::PartlyNested, SettingValue::String("s".into()))
    );
    let y = f("xpack: {security: {enabled: true}}\n");
    assert_eq!(
        y.get("xpack.security.enabled").unwrap().form,
        Form::InFlowMapping
    );
}

#[test]
fn set_in_place_keeps_form_quotes_and_comment() {
    let t = "x.y:\n  z: \"old\"   # why\nw: 1\n";
    assert_eq!(
        after(t, &[Edit::set("x.y.z", Value::str("new"))]),
        "x.y:\n  z: \"new\"   # why\nw: 1\n"
    );
    assert_eq!(
        after("a: 'x'\n", &[Edit::set("a", Value::str("it's"))]),
        "a: 'it''s'\n"
    );
    assert_eq!(
        after("a:\n", &[Edit::set("a", Value::Bool(true))]),
        "a: true\n"
    );
    assert_eq!(
        after("a: x\n", &[Edit::set("a", Value::str("true"))]),
        "a: 'true'\n"
    );
}

#[test]
fn new_settings_go_to_one_managed_block() {
    let out = after(
        "a: 1",
        &[
            Edit::set("b.c", Value::str("x")),
            Edit::set("d", Value::Int(2)),
        ],
    );
    assert!(out.starts_with("a: 1\n\n# -"), "{out}");
    assert!(out.contains("\nb.c: x\nd: 2\n# ----"), "{out}");
    assert!(!out.ends_with('\n'), "no final newline kept");
    let out2 = after(&out, &[Edit::set("e", Value::Bool(false))]);
    assert_eq!(out2.matches("BEGIN ESMTLS").count(), 1);
    assert!(out2.contains("d: 2\ne: false\n# ----"), "{out2}");
}

#[test]
fn remove_leaves_a_comment_and_drops_emptied_parents() {
    let t = "elasticsearch:\n  # creds\n  username: kibana_system\n  password: x\nother: 1\n";
    let out = after(
        t,
        &[
            Edit::remove("elasticsearch.username", "token used"),
            Edit::remove("elasticsearch.password", "token used"),
        ],
    );
    assert_eq!(
        out,
        "# esmtls removed elasticsearch.password: token used\n  # creds\n  # esmtls removed elasticsearch.username: token used\nother: 1\n"
    );
    assert_eq!(after("a: 1\n", &[Edit::remove("zz", "nothing")]), "a: 1\n");
}

#[test]
fn list_add_and_remove_flow_and_block() {
    assert_eq!(
        after("h: [\"a\", \"b\"]\n", &[Edit::list_add("h", "c")]),
        "h: [\"a\", \"b\", \"c\"]\n"
    );
    assert_eq!(after("h: []\n", &[Edit::list_add("h", "c")]), "h: [c]\n");
    assert_eq!(
        after(
            "h:\n  - a # one\n  - b\nz: 1\n",
            &[Edit::list_add("h", "c:/x")]
        ),
        "h:\n  - a # one\n  - b\n  - c:/x\nz: 1\n"
    );
    assert_eq!(after("h: a\n", &[Edit::list_add("h", "b")]), "h: [a, b]\n");
    assert_eq!(
        after("h: [a,b,c]\n", &[Edit::list_remove("h", "b", "r")]),
        "h: [a,c]\n"
    );
    assert_eq!(
        after("h: [a, b]\n", &[Edit::list_remove("h", "b", "r")]),
        "h: [a]\n"
    );
    assert_eq!(
        after("h:\n- a\n- b\n", &[Edit::list_remove("h", "a", "r")]),
        "h:\n- b\n"
    );
    assert_eq!(
        after("h: [a]\n", &[Edit::list_remove("h", "a", "gone")]),
        "# esmtls removed h: gone\n"
    );
}

#[test]
fn crlf_and_bom_are_kept() {
    let t = "\u{feff}a: 1\r\nb:\r\n  c: 2\r\n";
    let out = after(
        t,
        &[
            Edit::set("b.c", Value::Int(3)),
            Edit::set("d", Value::Int(4)),
        ],
    );
    assert!(
        out.starts_with("\u{feff}a: 1\r\nb:\r\n  c: 3\r\n"),
        "{out:?}"
    );
    assert!(
        !out.replace("\r\n", "").contains('\n'),
        "only CRLF: {out:?}"
    );
}

#[test]
fn refusals_name_line_and_fix() {
    let e = YamlFile::parse("t.yml", "a.b: 1\na:\n  b: 2\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.yml:3: a.b is already set on line 1; keep only one of the two and run esmtls again"
    );
    let e = YamlFile::parse("t.yml", "a: 1\na: 2\n").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("t.yml:2: a is already set on line 1"),
        "{e}"
    );
    let e = YamlFile::parse("t.yml", "a:\n\tb: 1\n").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("t.yml:2: a tab is used for indentation"),
        "{e}"
    );
    let e = YamlFile::parse("t.yml", "a: [1\nb: 2\n").unwrap_err();
    assert!(e.to_string().starts_with("t.yml:"), "{e}");
    assert!(e.to_string().contains("invalid YAML"), "{e}");
    let e = YamlFile::parse("t.yml", "a: 1\na.b: 2\n").unwrap_err();
    assert!(
        e.to_string().contains("a.b conflicts with a on line 1"),
        "{e}"
    );
    let e = f("a:\n  b: 1\n")
        .apply(&[Edit::set("a", Value::Int(1))])
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("cannot write a because a.b is set here"),
        "{e}"
    );
}

#[test]
fn set_block_list_keeps_the_lines_of_items_that_stay() {
    let t = "h:\n  - a   # primary\n  - b\n  - c\n";
    let out = after(
        t,
        &[Edit::set(
            "h",
            Value::List(vec!["a".into(), "c".into(), "d".into()]),
        )],
    );
    assert_eq!(out, "h:\n  - a   # primary\n  - c\n  - d\n");
    let out = after(
        t,
        &[Edit::set("h", Value::List(vec!["c".into(), "a".into()]))],
    );
    assert_eq!(out, "h:\n  - c\n  - a\n");
}

#[test]
fn commented_out_secrets_are_masked_but_removal_notes_are_not() {
    let m = diff::mask_secrets(
        "#elasticsearch.password: \"pass\"\n# esmtls removed elasticsearch.password: moved\n",
    );
    assert_eq!(
        m,
        "#elasticsearch.password: ***\n# esmtls removed elasticsearch.password: moved\n"
    );
}

#[test]
fn single_quote_in_flow_item() {
    let out = after("# h\n", &[Edit::list_add("ssl.key_x", "it's")]);
    assert!(out.contains("ssl.key_x: [it's]"), "{out}");
}
