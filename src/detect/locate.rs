//! Finding each product's config directory and home, and recording how.
//!
//! Order (first match wins): explicit flag → `ES_PATH_CONF`/`KBN_PATH_CONF` →
//! package layout (`/etc/<product>`) → Elastic's Docker layout
//! (`/usr/share/<product>/config`, only inside a container) → an archive
//! install in the working directory (the directory itself, or exactly one
//! `<product>-*` child). A flag may name the config directory, the yml file
//! or an archive home; a flag or variable that names none of these is an error.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{DetectError, DetectOptions};

/// Which product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Product {
    /// Elasticsearch.
    Elasticsearch,
    /// Kibana.
    Kibana,
}

impl Product {
    /// `elasticsearch` / `kibana`: the package, unit, and binary name.
    pub fn name(self) -> &'static str {
        match self {
            Product::Elasticsearch => "elasticsearch",
            Product::Kibana => "kibana",
        }
    }

    /// Name for people.
    pub fn title(self) -> &'static str {
        match self {
            Product::Elasticsearch => "Elasticsearch",
            Product::Kibana => "Kibana",
        }
    }

    /// The main config file's name.
    pub fn yml(self) -> &'static str {
        match self {
            Product::Elasticsearch => "elasticsearch.yml",
            Product::Kibana => "kibana.yml",
        }
    }

    /// The command-line flag that names the config.
    pub fn flag(self) -> &'static str {
        match self {
            Product::Elasticsearch => "--es-config",
            Product::Kibana => "--kibana-config",
        }
    }

    /// The environment variable the product itself reads for its config dir.
    pub fn env_var(self) -> &'static str {
        match self {
            Product::Elasticsearch => "ES_PATH_CONF",
            Product::Kibana => "KBN_PATH_CONF",
        }
    }

    /// The package install's config directory.
    pub fn package_config(self) -> &'static str {
        match self {
            Product::Elasticsearch => "/etc/elasticsearch",
            Product::Kibana => "/etc/kibana",
        }
    }

    /// The package (and Docker image) install's home.
    pub fn package_home(self) -> &'static str {
        match self {
            Product::Elasticsearch => "/usr/share/elasticsearch",
            Product::Kibana => "/usr/share/kibana",
        }
    }

    /// The systemd unit the packages install.
    pub fn unit(self) -> String {
        format!("{}.service", self.name())
    }
}

/// How a config directory was found (shown to the operator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum FoundBy {
    /// An explicit command-line flag.
    Flag {
        /// `--es-config` / `--kibana-config`.
        flag: String,
    },
    /// `ES_PATH_CONF` / `KBN_PATH_CONF`.
    EnvVar {
        /// The variable.
        var: String,
    },
    /// The package layout (`/etc/<product>`).
    Package,
    /// Elastic's Docker image layout.
    Container,
    /// An archive install found from the working directory.
    Archive,
    /// Nothing installed: an esmtls output folder.
    OutputDir,
}

impl FoundBy {
    /// A short phrase: "from --es-config", "from ES_PATH_CONF", ...
    pub fn describe(&self) -> String {
        match self {
            FoundBy::Flag { flag } => format!("from {flag}"),
            FoundBy::EnvVar { var } => format!("from {var}"),
            FoundBy::Package => "package layout".into(),
            FoundBy::Container => "Docker image layout".into(),
            FoundBy::Archive => "archive install in the working directory".into(),
            FoundBy::OutputDir => "not installed here: output folder".into(),
        }
    }
}

/// What kind of install a config directory belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstallKind {
    /// deb/rpm: config in `/etc/<product>`, home in `/usr/share/<product>`.
    Package,
    /// tar.gz/zip: `<home>/config`, `<home>/bin/<product>`.
    Archive,
    /// Elastic's Docker image.
    Container,
    /// An esmtls output folder (nothing installed).
    OutputDir,
    /// A config directory whose install could not be recognised.
    Unknown,
}

/// A located config directory.
#[derive(Debug, Clone)]
pub(crate) struct Located {
    pub config_dir: PathBuf,
    pub found_by: FoundBy,
    pub kind: InstallKind,
    pub home: Option<PathBuf>,
}

fn looks_like_archive(home: &Path, p: Product) -> bool {
    home.join("config").join(p.yml()).is_file() && home.join("bin").join(p.name()).is_file()
}

/// Config directory named by a flag: the directory, its yml, or an archive home.
fn from_given(path: &Path, p: Product, given_by: String) -> Result<PathBuf, DetectError> {
    if path.is_file() {
        if path.file_name().and_then(|n| n.to_str()) == Some(p.yml()) {
            return Ok(super::output::parent(path));
        }
    } else if path.join(p.yml()).is_file() {
        return Ok(path.to_path_buf());
    } else if path.join("config").join(p.yml()).is_file() {
        return Ok(path.join("config"));
    }
    let yml = path.join(p.yml());
    let expected = if path.is_file() {
        format!("this is a file; expected {} or its directory", p.yml())
    } else if let Err(e) = crate::fsutil::resolve(&yml).and_then(|t| {
        std::fs::metadata(&t)
            .map(|_| ())
            .map_err(|e| crate::fsutil::FsError::Io {
                action: "cannot read",
                path: yml.clone(),
                reason: e.to_string(),
            })
    }) && yml.is_symlink()
    {
        // A symlinked yml that leads nowhere: say so, not "no kibana.yml".
        e.to_string()
    } else if path.exists() {
        format!(
            "no {yml} here; expected {dir}/{yml} (the config directory) or {dir}/config/{yml} (an archive install's home)",
            yml = p.yml(),
            dir = path.display()
        )
    } else {
        format!(
            "does not exist; expected {}'s config directory (holding {})",
            p.title(),
            p.yml()
        )
    };
    Err(DetectError::NoConfig {
        given_by,
        path: path.to_path_buf(),
        expected,
    })
}

/// Finds one product's config directory, or `None` when it is not installed.
pub(crate) fn locate(p: Product, opts: &DetectOptions) -> Result<Option<Located>, DetectError> {
    let (flag, env) = match p {
        Product::Elasticsearch => (&opts.es_config, &opts.es_path_conf_env),
        Product::Kibana => (&opts.kibana_config, &opts.kbn_path_conf_env),
    };
    let (config_dir, found_by) = if let Some(f) = flag {
        let f = opts.cwd.join(f);
        let dir = from_given(&f, p, p.flag().to_string())?;
        (
            dir,
            FoundBy::Flag {
                flag: p.flag().into(),
            },
        )
    } else if let Some(e) = env {
        let e = opts.cwd.join(e);
        let dir = from_given(&e, p, format!("{}=", p.env_var()))?;
        (
            dir,
            FoundBy::EnvVar {
                var: p.env_var().into(),
            },
        )
    } else if opts.sys(p.package_config()).join(p.yml()).is_file() {
        (opts.sys(p.package_config()), FoundBy::Package)
    } else if opts.in_container() && looks_like_archive(&opts.sys(p.package_home()), p) {
        (
            opts.sys(p.package_home()).join("config"),
            FoundBy::Container,
        )
    } else if let Some(home) = archive_near(&opts.cwd, p) {
        (home.join("config"), FoundBy::Archive)
    } else {
        return Ok(None);
    };
    let (kind, home) = install_of(&config_dir, p, opts);
    Ok(Some(Located {
        config_dir,
        found_by,
        kind,
        home,
    }))
}

/// The working directory, or its single `<product>-*` child, as an archive home.
fn archive_near(cwd: &Path, p: Product) -> Option<PathBuf> {
    if looks_like_archive(cwd, p) {
        return Some(cwd.to_path_buf());
    }
    let prefix = format!("{}-", p.name());
    let mut homes: Vec<PathBuf> = std::fs::read_dir(cwd)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .filter(|h| looks_like_archive(h, p))
        .collect();
    homes.sort();
    (homes.len() == 1).then(|| homes.remove(0))
}

/// The install kind and home of a config directory.
fn install_of(
    config_dir: &Path,
    p: Product,
    opts: &DetectOptions,
) -> (InstallKind, Option<PathBuf>) {
    let parent = super::output::parent(config_dir);
    if parent.join("bin").join(p.name()).is_file() {
        let kind = if opts.in_container() {
            InstallKind::Container
        } else {
            InstallKind::Archive
        };
        return (kind, Some(parent));
    }
    let home = opts.sys(p.package_home());
    if home.is_dir() {
        (InstallKind::Package, Some(home))
    } else if config_dir == opts.sys(p.package_config()) {
        (InstallKind::Package, None)
    } else {
        (InstallKind::Unknown, None)
    }
}
