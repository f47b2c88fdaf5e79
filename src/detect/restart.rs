//! How to restart each side, as argv vectors (never shell strings) with a
//! sentence for people and whether `--restart` may run it.
//!
//! Choice: a systemd unit (`/usr/lib/systemd/system` or `/etc/systemd/system`)
//! for a non-archive install → `systemctl restart`; inside a container →
//! `docker restart <container>` (run on the host; the name is not knowable
//! from inside); an archive install → stop the process, start it again; an
//! output folder → copy the files; otherwise "unknown", said plainly.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::DetectOptions;
use super::locate::{InstallKind, Product};

/// The placeholder for the container name in `docker restart`.
pub const CONTAINER_PLACEHOLDER: &str = "<container>";

/// How a side is restarted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RestartMethod {
    /// `systemctl restart <unit>`.
    Systemd {
        /// `elasticsearch.service` / `kibana.service`.
        unit: String,
    },
    /// `docker restart <container>`, run on the host.
    Container {
        /// Which product (for the explanation).
        product: Product,
    },
    /// An archive install: stop the running process, start `bin/<product>` again.
    Archive {
        /// Which product.
        product: Product,
        /// The install's home.
        home: PathBuf,
        /// Elasticsearch's pid file `<home>/es.pid` (Kibana has none by default).
        pid_file: Option<PathBuf>,
    },
    /// Nothing to restart: the files go to an output folder and must be copied.
    None,
    /// The install could not be recognised.
    Unknown {
        /// Which product.
        product: Product,
    },
}

impl RestartMethod {
    /// Chooses the method for an install.
    pub(crate) fn choose(
        p: Product,
        kind: InstallKind,
        home: Option<&Path>,
        opts: &DetectOptions,
    ) -> RestartMethod {
        if kind == InstallKind::OutputDir {
            return RestartMethod::None;
        }
        let unit = p.unit();
        let has_unit = [
            "/usr/lib/systemd/system",
            "/etc/systemd/system",
            "/lib/systemd/system",
        ]
        .iter()
        .any(|d| opts.sys(d).join(&unit).is_file());
        match (kind, home) {
            (InstallKind::Container, _) => RestartMethod::Container { product: p },
            (InstallKind::Archive, Some(h)) => RestartMethod::Archive {
                product: p,
                home: h.to_path_buf(),
                pid_file: (p == Product::Elasticsearch).then(|| h.join("es.pid")),
            },
            _ if has_unit && !opts.in_container() => RestartMethod::Systemd { unit },
            _ if opts.in_container() => RestartMethod::Container { product: p },
            _ => RestartMethod::Unknown { product: p },
        }
    }

    /// The command that (re)starts the side, as argv; empty when there is none.
    pub fn command(&self) -> Vec<String> {
        match self {
            RestartMethod::Systemd { unit } => {
                vec!["systemctl".into(), "restart".into(), unit.clone()]
            }
            RestartMethod::Container { .. } => {
                vec![
                    "docker".into(),
                    "restart".into(),
                    CONTAINER_PLACEHOLDER.into(),
                ]
            }
            RestartMethod::Archive {
                product,
                home,
                pid_file,
            } => {
                let bin = home.join("bin").join(product.name()).display().to_string();
                match pid_file {
                    Some(pid) => vec![bin, "-d".into(), "-p".into(), pid.display().to_string()],
                    None => vec![bin],
                }
            }
            RestartMethod::None | RestartMethod::Unknown { .. } => Vec::new(),
        }
    }

    /// For an archive install, the command that stops the running process first.
    pub fn stop_command(&self) -> Option<Vec<String>> {
        match self {
            RestartMethod::Archive {
                pid_file: Some(pid),
                ..
            } => Some(vec!["pkill".into(), "-F".into(), pid.display().to_string()]),
            _ => None,
        }
    }

    /// What to do, in a sentence or two for the operator.
    pub fn description(&self) -> String {
        match self {
            RestartMethod::Systemd { unit } => format!("systemd: systemctl restart {unit}"),
            RestartMethod::Container { product } => format!(
                "container: on the Docker host run `docker restart {CONTAINER_PLACEHOLDER}`, with the name of the {} container (`docker ps` lists it)",
                product.title()
            ),
            RestartMethod::Archive {
                product: Product::Elasticsearch,
                home,
                pid_file,
            } => {
                let pid = pid_file
                    .as_deref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                format!(
                    "archive: stop the running node (`pkill -F {pid}` if it was started with -p, else Ctrl-C in its terminal or `kill <pid>`), then start it with `{}/bin/elasticsearch -d -p {pid}`",
                    home.display()
                )
            }
            RestartMethod::Archive { home, .. } => format!(
                "archive: Kibana runs in the foreground; stop it (Ctrl-C in its terminal, or `kill <pid>`), then start `{}/bin/kibana` again",
                home.display()
            ),
            RestartMethod::None => {
                "none: copy the files to the real install (see README.txt), then restart it there"
                    .into()
            }
            RestartMethod::Unknown { product } => format!(
                "unknown: esmtls could not tell how this {} was started; restart it the way you started it",
                product.title()
            ),
        }
    }

    /// True when `--restart` may run it: systemd, or an Elasticsearch archive
    /// whose pid file exists (so the right process is stopped).
    pub fn can_run(&self) -> bool {
        match self {
            RestartMethod::Systemd { .. } => true,
            RestartMethod::Archive {
                pid_file: Some(pid),
                ..
            } => pid.is_file(),
            _ => false,
        }
    }

    /// A short name: `systemd`, `container`, `archive`, `none`, `unknown`.
    pub fn kind(&self) -> &'static str {
        match self {
            RestartMethod::Systemd { .. } => "systemd",
            RestartMethod::Container { .. } => "container",
            RestartMethod::Archive { .. } => "archive",
            RestartMethod::None => "none",
            RestartMethod::Unknown { .. } => "unknown",
        }
    }
}

impl fmt::Display for RestartMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

impl Serialize for RestartMethod {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("RestartMethod", 5)?;
        st.serialize_field("kind", self.kind())?;
        st.serialize_field("command", &self.command())?;
        st.serialize_field("stop_command", &self.stop_command())?;
        st.serialize_field("description", &self.description())?;
        st.serialize_field("can_run", &self.can_run())?;
        st.end()
    }
}
