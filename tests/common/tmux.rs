//! A tmux server on its own socket for the real-terminal tests: start a
//! session running a shell script, send keys, capture the pane, wait for a
//! text with a bounded poll (never a fixed sleep). The server is killed when
//! the guard is dropped, on every exit path.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The shell script that runs `esmtls setup` on two config dirs in a clean
/// environment (`env -i`: PATH, HOME, TERM, LANG, the file secret store and
/// the `extra_env` assignments, e.g. `ESMTLS_FAULT=...`), then prints its exit
/// code and keeps the pane open.
pub fn wizard_script(root: &Path, home: &Path, es: &Path, kb: &Path, extra_env: &str) -> String {
    format!(
        "cd '{root}' && env -i PATH=\"$PATH\" HOME='{home}' TERM=xterm-256color LANG=C.UTF-8 ESMTLS_SECRET_STORE=file {extra_env} '{bin}' setup --es-config '{es}' --kibana-config '{kb}'; echo \"esmtls exited with $?\"; cat",
        root = root.display(),
        home = home.display(),
        bin = env!("CARGO_BIN_EXE_esmtls"),
        es = es.display(),
        kb = kb.display(),
    )
}

/// A tmux server on its own socket, killed on drop.
pub struct Tmux {
    /// The `-L` socket name.
    pub socket: String,
}

impl Tmux {
    /// Starts session `w` (`width`×`height`) running `sh -c script` on socket `name-<pid>`.
    pub fn start(name: &str, width: u16, height: u16, script: &str) -> Tmux {
        let t = Tmux {
            socket: format!("{name}-{}", std::process::id()),
        };
        let ok = t
            .cmd()
            .args([
                "new-session",
                "-d",
                "-s",
                "w",
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
                "sh",
                "-c",
                script,
            ])
            .status()
            .unwrap();
        assert!(ok.success(), "tmux new-session");
        t
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    pub fn send(&self, keys: &[&str]) {
        let ok = self
            .cmd()
            .args(["send-keys", "-t", "w"])
            .args(keys)
            .status()
            .unwrap();
        assert!(ok.success(), "send-keys {keys:?}");
    }

    pub fn type_text(&self, text: &str) {
        let ok = self
            .cmd()
            .args(["send-keys", "-t", "w", "-l", text])
            .status()
            .unwrap();
        assert!(ok.success(), "send-keys -l {text}");
    }

    pub fn resize(&self, w: u16, h: u16) {
        let ok = self
            .cmd()
            .args([
                "resize-window",
                "-t",
                "w",
                "-x",
                &w.to_string(),
                "-y",
                &h.to_string(),
            ])
            .status()
            .unwrap();
        assert!(ok.success(), "resize-window");
    }

    pub fn capture(&self) -> String {
        let o = self
            .cmd()
            .args(["capture-pane", "-p", "-t", "w"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Polls the screen until it shows `text` (at most 60 s).
    #[track_caller]
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?}"), |screen| screen.contains(text))
    }

    /// Polls the screen until `ok(screen)` (at most 60 s); `what` names the
    /// wait in the failure.
    #[track_caller]
    pub fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.capture();
            if ok(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}
