//! Unit tests of locating and restart choice, on temporary trees.

use std::fs;
use std::path::Path;

use super::*;

fn touch(p: &Path) {
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, "").unwrap();
}

#[test]
fn flag_beats_env_beats_package_beats_archive() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    let cwd = t.path().join("cwd");
    touch(&root.join("etc/elasticsearch/elasticsearch.yml"));
    touch(&cwd.join("config/elasticsearch.yml"));
    touch(&cwd.join("bin/elasticsearch"));
    touch(&t.path().join("env/elasticsearch.yml"));
    touch(&t.path().join("flag/elasticsearch.yml"));
    let mut o = DetectOptions::new(&root, &cwd);
    let dir = |o: &DetectOptions| {
        let l = locate::locate(Product::Elasticsearch, o).unwrap().unwrap();
        (l.config_dir, l.found_by)
    };
    assert_eq!(dir(&o), (root.join("etc/elasticsearch"), FoundBy::Package));
    o.es_path_conf_env = Some(t.path().join("env"));
    assert_eq!(
        dir(&o).1,
        FoundBy::EnvVar {
            var: "ES_PATH_CONF".into()
        }
    );
    o.es_config = Some("../flag/elasticsearch.yml".into());
    assert_eq!(dir(&o).0, cwd.join("../flag"));
    o.es_config = None;
    o.es_path_conf_env = None;
    fs::remove_file(root.join("etc/elasticsearch/elasticsearch.yml")).unwrap();
    assert_eq!(dir(&o), (cwd.join("config"), FoundBy::Archive));
}

#[test]
fn flag_without_yml_is_an_error_naming_the_path() {
    let t = tempfile::tempdir().unwrap();
    let mut o = DetectOptions::new(t.path(), t.path());
    o.kibana_config = Some(t.path().to_path_buf());
    let e = Detected::detect(&o).unwrap_err().to_string();
    assert!(e.starts_with("--kibana-config "), "{e}");
    assert!(e.contains("no kibana.yml here"), "{e}");
    assert!(e.contains(&t.path().display().to_string()), "{e}");
}

#[test]
fn restart_methods() {
    let t = tempfile::tempdir().unwrap();
    let mut o = DetectOptions::new(t.path(), t.path());
    let home = t.path().join("es");
    let m = RestartMethod::choose(Product::Elasticsearch, InstallKind::Package, None, &o);
    assert_eq!(m.kind(), "unknown");
    assert!(m.command().is_empty());
    touch(&t.path().join("etc/systemd/system/kibana.service"));
    let m = RestartMethod::choose(Product::Kibana, InstallKind::Package, None, &o);
    assert_eq!(m.command(), ["systemctl", "restart", "kibana.service"]);
    assert!(m.can_run());
    let m = RestartMethod::choose(
        Product::Elasticsearch,
        InstallKind::Archive,
        Some(&home),
        &o,
    );
    let pid = home.join("es.pid").display().to_string();
    assert_eq!(
        m.command(),
        [
            home.join("bin/elasticsearch").display().to_string(),
            "-d".into(),
            "-p".into(),
            pid.clone()
        ]
    );
    assert_eq!(m.stop_command().unwrap(), ["pkill", "-F", pid.as_str()]);
    assert!(!m.can_run(), "no pid file yet");
    touch(&home.join("es.pid"));
    assert!(m.can_run());
    o.elastic_container_env = true;
    let m = RestartMethod::choose(Product::Kibana, InstallKind::Package, None, &o);
    assert_eq!(m.command(), ["docker", "restart", CONTAINER_PLACEHOLDER]);
    assert!(!m.can_run());
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["kind"], "container");
}

#[test]
fn output_dirs_are_pseudo_config_dirs() {
    let d = Detected::output_dirs(Path::new("esmtls-out"));
    let es = d.es.as_ref().unwrap();
    assert_eq!(es.config_dir, Path::new("esmtls-out/elasticsearch"));
    assert_eq!(es.restart, RestartMethod::None);
    assert!(es.restart.description().starts_with("none: copy the files"));
    assert_eq!(
        d.kibana.as_ref().unwrap().config_dir,
        Path::new("esmtls-out/kibana")
    );
    assert!(!d.nothing_found());
    let json = serde_json::to_string(&d).unwrap();
    assert!(json.contains("\"by\":\"output-dir\""), "{json}");
}
