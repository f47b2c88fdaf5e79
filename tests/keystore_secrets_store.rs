//! esmtls's own secret store on a headless machine: no D-Bus session bus, so
//! the 0600 file fallback under the XDG data directory is chosen. The test
//! re-runs itself in a child process with a scrubbed environment
//! (`XDG_DATA_HOME` and `HOME` in a temporary directory, no
//! `DBUS_SESSION_BUS_ADDRESS`), because changing the environment in-process
//! would need `unsafe` and would leak into other tests.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use esmtls::keystore::secrets_store::{Backend, SecretStore, SetupId};
use esmtls::secret::Secret;

const CHILD: &str = "ESMTLS_SECRETS_STORE_CHILD";

#[test]
fn headless_falls_back_to_a_private_file_in_the_xdg_data_dir() {
    if let Some(data_home) = std::env::var_os(CHILD) {
        return child(Path::new(&data_home));
    }
    let home = tempfile::tempdir().unwrap();
    let data_home = home.path().join("data");
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "headless_falls_back_to_a_private_file_in_the_xdg_data_dir",
            "--nocapture",
        ])
        .env(CHILD, &data_home)
        .env("XDG_DATA_HOME", &data_home)
        .env("HOME", home.path())
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("1 passed"),
        "child failed:\n{text}"
    );
    let file = std::fs::read_dir(data_home.join("esmtls/secrets"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

fn child(data_home: &Path) {
    if Path::new(&format!("/run/user/{}/bus", uid())).exists() {
        eprintln!(
            "!!!!! this machine has a session bus; the fallback is tested with file_in only !!!!!"
        );
        return;
    }
    let setup =
        SetupId::from_config_dirs(&[Path::new("/etc/kibana"), Path::new("/etc/elasticsearch")]);
    let (store, why) = SecretStore::open(setup).unwrap();
    assert!(why.unwrap().contains("no D-Bus session bus"));
    let Backend::File(path) = store.backend().clone() else {
        panic!("expected the file fallback")
    };
    assert!(
        path.starts_with(data_home.join("esmtls/secrets")),
        "{}",
        path.display()
    );
    assert!(store.notice().contains(&path.display().to_string()));
    store.set("ca.p12.password", &Secret::new("pw-1")).unwrap();
    assert_eq!(
        store.get("ca.p12.password").unwrap().unwrap().expose(),
        "pw-1"
    );
}

fn uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX)
}
