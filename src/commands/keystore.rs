//! `esmtls keystore kibana|elasticsearch …`: the command-line shell over
//! [`esmtls::keystore`].
//!
//! Role: find the keystore file (`--path`, else the config directory from
//! `--config`, `KBN_PATH_CONF` / `ES_PATH_CONF`, `/etc/kibana` /
//! `/etc/elasticsearch`), obtain passwords and values (a no-echo prompt on a
//! terminal, the `*_KEYSTORE_PASSPHRASE_FILE` variables, or `--stdin`), and call
//! the library. `elasticsearch create` writes the keystore format of the node
//! that will read it: asked from the running node (`--es-url`, `GET /`), or
//! from `--es-version` / `--es-home`. Invariants: results go to stdout,
//! messages to stderr; a value is printed only by `show`; a value or password
//! never comes from an argument (API credentials come from the environment).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use esmtls::es::{self, Auth, Client, Endpoint, EsError};
use esmtls::fsutil::{Existing, Outcome};
use esmtls::keystore::{EsKeystore, KibanaKeystore, SystemRandom, elasticsearch, kibana};
use esmtls::secret::Secret;

/// Read and change kibana.keystore and elasticsearch.keystore without Elastic's CLI tools.
#[derive(clap::Args, Debug)]
pub struct KeystoreArgs {
    #[command(subcommand)]
    service: Service,
}

#[derive(clap::Subcommand, Debug)]
enum Service {
    /// Kibana's kibana.keystore.
    Kibana(Target),
    /// Elasticsearch's elasticsearch.keystore.
    Elasticsearch(Target),
}

#[derive(clap::Args, Debug)]
struct Target {
    /// The keystore file [default: kibana.keystore / elasticsearch.keystore in the config directory].
    #[arg(long, global = true, value_name = "FILE")]
    path: Option<PathBuf>,
    /// The service's config directory [default: $KBN_PATH_CONF / $ES_PATH_CONF, else /etc/kibana /
    /// /etc/elasticsearch].
    #[arg(long, global = true, value_name = "DIR")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand, Debug)]
enum Action {
    /// List the setting names, one per line.
    List,
    /// Add a setting; the value is prompted without echo, or read from standard input.
    Add {
        /// The setting name, e.g. elasticsearch.ssl.keystore.password.
        name: String,
        /// Read the value from standard input (one trailing line ending is removed).
        #[arg(long)]
        stdin: bool,
        /// Replace the setting if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Remove a setting.
    Remove {
        /// The setting name.
        name: String,
    },
    /// Print a setting's value to standard output.
    Show {
        /// The setting name.
        name: String,
    },
    /// Create an empty keystore (Elasticsearch: with a new keystore.seed).
    Create {
        /// Elasticsearch keystore format, 3 to 7 (5 = ES 8.0-8.13, 6 = 8.14-8.17, 7 = 9.x).
        #[arg(long, value_name = "N")]
        format: Option<i32>,
        /// Choose the format for this Elasticsearch version, e.g. 8.17.1.
        #[arg(long, value_name = "VERSION", conflicts_with = "format")]
        es_version: Option<String>,
        /// Choose the format from the Elasticsearch install in DIR (its lib/elasticsearch-*.jar).
        #[arg(long, value_name = "DIR", conflicts_with_all = ["format", "es_version"])]
        es_home: Option<PathBuf>,
        /// Ask the running Elasticsearch at URL for its version (GET /), e.g. https://localhost:9200;
        /// credentials from $ESMTLS_ES_USERNAME + $ESMTLS_ES_PASSWORD or $ESMTLS_ES_API_KEY. When it
        /// cannot be reached, --es-version or --es-home (if given) is used instead.
        #[arg(long, value_name = "URL", conflicts_with = "format")]
        es_url: Option<String>,
        /// The CA certificate (PEM) that issued the node's HTTP certificate, for --es-url
        /// (e.g. config/certs/http_ca.crt).
        #[arg(long, value_name = "FILE", requires = "es_url")]
        es_ca: Option<PathBuf>,
        /// The SHA-256 fingerprint of that CA (hex, colons allowed), instead of or besides --es-ca.
        #[arg(long, value_name = "HEX", requires = "es_url")]
        es_ca_fingerprint: Option<String>,
        /// Protect the keystore with a password (from $KBN_KEYSTORE_PASSPHRASE_FILE /
        /// $ES_KEYSTORE_PASSPHRASE_FILE, else prompted).
        #[arg(long)]
        password: bool,
        /// Replace an existing keystore (a backup is kept).
        #[arg(long)]
        force: bool,
    },
}

/// Runs `esmtls keystore …`.
pub fn run(args: KeystoreArgs) -> anyhow::Result<()> {
    match args.service {
        Service::Kibana(t) => run_kibana(t),
        Service::Elasticsearch(t) => run_es(t),
    }
}

fn locate(t: &Target, env: &str, default_dir: &str, file: &str) -> (PathBuf, PathBuf) {
    let dir = t
        .config
        .clone()
        .or_else(|| {
            std::env::var_os(env)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from(default_dir));
    match &t.path {
        Some(p) => (p.clone(), esmtls::fsutil::parent_dir(p)),
        None => (dir.join(file), dir),
    }
}

fn can_prompt() -> bool {
    std::io::stdin().is_terminal()
}

fn prompt(text: &str) -> anyhow::Result<Secret> {
    let v = rpassword::prompt_password(text).context("cannot read from the terminal")?;
    Ok(Secret::new(v))
}

/// A password for opening: from the environment, else a prompt on a terminal.
fn open_password(from_env: Option<Secret>, what: &str) -> anyhow::Result<Option<Secret>> {
    match from_env {
        Some(p) => Ok(Some(p)),
        None if can_prompt() => Ok(Some(prompt(&format!("Password for the {what}: "))?)),
        None => Ok(None),
    }
}

/// A new password: from the environment, else prompted twice.
fn new_password(from_env: Option<Secret>, env_name: &str) -> anyhow::Result<Secret> {
    if let Some(p) = from_env {
        return Ok(p);
    }
    if !can_prompt() {
        bail!(
            "no terminal to prompt for the keystore password; set {env_name} to a file that holds it"
        );
    }
    let a = prompt("New keystore password: ")?;
    let b = prompt("Repeat it: ")?;
    if a != b {
        bail!("the two passwords differ; nothing was written");
    }
    if a.is_empty() {
        bail!("the password is empty; leave out --password for an unprotected keystore");
    }
    Ok(a)
}

fn read_value(name: &str, stdin: bool) -> anyhow::Result<Secret> {
    let v = if stdin {
        Secret::from_reader(std::io::stdin().lock(), "standard input")?
    } else if can_prompt() {
        prompt(&format!("Value for {name}: "))?
    } else {
        bail!(
            "standard input is not a terminal, so the value of {name} cannot be prompted; pass --stdin and pipe it"
        );
    };
    if v.is_empty() {
        bail!("the value of {name} is empty; nothing was written");
    }
    Ok(v)
}

fn report(verb: &str, path: &Path, outcome: &Outcome) {
    match outcome {
        Outcome::Replaced { backup } => {
            eprintln!(
                "{verb} {} (previous version kept at {})",
                path.display(),
                backup.display()
            )
        }
        Outcome::Created => eprintln!("{verb} {}", path.display()),
        Outcome::Unchanged => eprintln!("{} unchanged", path.display()),
    }
}

fn refuse_es_options(action: &Action) -> anyhow::Result<()> {
    if let Action::Create {
        format,
        es_version,
        es_home,
        es_url,
        ..
    } = action
        && (format.is_some() || es_version.is_some() || es_home.is_some() || es_url.is_some())
    {
        bail!(
            "--format, --es-version, --es-home and --es-url apply only to `esmtls keystore elasticsearch create`"
        );
    }
    Ok(())
}

/// `--es-version` / `--es-home`: the version known without asking the cluster.
struct LocalVersion {
    es_version: Option<String>,
    es_home: Option<PathBuf>,
}

impl LocalVersion {
    fn given(&self) -> bool {
        self.es_version.is_some() || self.es_home.is_some()
    }

    fn format(&self, path: &Path) -> anyhow::Result<i32> {
        Ok(match (&self.es_version, &self.es_home) {
            (Some(v), _) => elasticsearch::format_for_es_version(v)?,
            (None, Some(home)) => {
                let v = elasticsearch::detect_es_version(home)?;
                let f = elasticsearch::format_for_es_version(&v)?;
                eprintln!(
                    "Elasticsearch {v} found in {}: keystore format {f}",
                    home.display()
                );
                f
            }
            (None, None) => bail!(
                "which Elasticsearch will read {}? pass --es-url URL (the running node), --es-home DIR \
                 (its install), --es-version X.Y.Z or --format N (5 = 8.0-8.13, 6 = 8.14-8.17, 7 = 9.x); \
                 a format newer than the node's stops it from starting",
                path.display()
            ),
        })
    }
}

/// The version the node at `url` reports (`GET /`), with credentials from the environment.
fn version_from_es(
    url: &str,
    ca: Option<&Path>,
    fingerprint: Option<&str>,
) -> Result<String, EsError> {
    if ca.is_none() && fingerprint.is_none() {
        return Err(EsError::Invalid(
            "--es-url needs the CA that issued the node's HTTP certificate: --es-ca FILE \
             (e.g. config/certs/http_ca.crt) or --es-ca-fingerprint HEX"
                .into(),
        ));
    }
    let mut endpoint = Endpoint::new(url);
    if let Some(ca) = ca {
        endpoint.add_ca_pem_file(ca)?;
    }
    endpoint.ca_fingerprint = fingerprint.map(str::to_string);
    let (auth, source) = match Auth::from_env()? {
        Some(a @ Auth::ApiKey(_)) => (a, Some(es::ENV_API_KEY.to_string())),
        Some(a) => (
            a,
            Some(format!("{}/{}", es::ENV_USERNAME, es::ENV_PASSWORD)),
        ),
        None => (Auth::None, None),
    };
    let mut client = Client::new(&endpoint, auth)?;
    if let Some(source) = source {
        client = client.auth_source(source);
    }
    Ok(client.info()?.version)
}

/// What `list`, `show`, `add` and `remove` need from either keystore, so
/// those four actions are written once for both services.
trait Store: Sized {
    /// "Kibana" / "Elasticsearch", for messages.
    const SERVICE: &'static str;
    /// "kibana" / "elasticsearch", the subcommand name.
    const SUB: &'static str;
    /// Decodes `bytes`, asking for a password when the file has one.
    fn decode(bytes: &[u8], path: &Path) -> anyhow::Result<Self>;
    fn names(&self) -> Vec<String>;
    fn value(&self, name: &str) -> Option<Secret>;
    fn validate_name(name: &str) -> anyhow::Result<()>;
    fn set(&mut self, name: &str, value: Secret, force: bool, path: &Path) -> anyhow::Result<()>;
    fn remove(&mut self, name: &str, path: &Path) -> anyhow::Result<()>;
    fn save(&self, path: &Path) -> anyhow::Result<Outcome>;

    /// Reads and decodes the keystore at `path`.
    fn open(path: &Path) -> anyhow::Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                anyhow::anyhow!(
                    "there is no {} keystore at {}; create it with `esmtls keystore {} create`",
                    Self::SERVICE,
                    path.display(),
                    Self::SUB
                )
            } else {
                anyhow::anyhow!("cannot read {}: {e}", path.display())
            }
        })?;
        Self::decode(&bytes, path)
    }
}

impl Store for KibanaKeystore {
    const SERVICE: &'static str = "Kibana";
    const SUB: &'static str = "kibana";
    fn decode(bytes: &[u8], path: &Path) -> anyhow::Result<Self> {
        let pw = if KibanaKeystore::is_protected(bytes) {
            open_password(kibana::password_from_env()?, "Kibana keystore")?
        } else {
            None
        };
        Ok(KibanaKeystore::decode(bytes, pw.as_ref(), path)?)
    }
    fn names(&self) -> Vec<String> {
        KibanaKeystore::names(self).map(str::to_string).collect()
    }
    fn value(&self, name: &str) -> Option<Secret> {
        self.get(name).map(|v| Secret::new(v.expose()))
    }
    fn validate_name(name: &str) -> anyhow::Result<()> {
        Ok(kibana::validate_name(name)?)
    }
    fn set(&mut self, name: &str, value: Secret, force: bool, path: &Path) -> anyhow::Result<()> {
        Ok(self.set_string(name, value, force, path)?)
    }
    fn remove(&mut self, name: &str, path: &Path) -> anyhow::Result<()> {
        Ok(KibanaKeystore::remove(self, name, path)?)
    }
    fn save(&self, path: &Path) -> anyhow::Result<Outcome> {
        Ok(KibanaKeystore::save(
            self,
            path,
            &mut SystemRandom,
            Existing::Replace,
        )?)
    }
}

impl Store for EsKeystore {
    const SERVICE: &'static str = "Elasticsearch";
    const SUB: &'static str = "elasticsearch";
    fn decode(bytes: &[u8], path: &Path) -> anyhow::Result<Self> {
        let (header, _) = elasticsearch::read_header(bytes, path)?;
        let pw = if header.has_password {
            open_password(
                elasticsearch::password_from_env()?,
                "Elasticsearch keystore",
            )?
        } else {
            None
        };
        Ok(EsKeystore::decode(bytes, pw.as_ref(), path)?)
    }
    fn names(&self) -> Vec<String> {
        EsKeystore::names(self)
            .into_iter()
            .map(str::to_string)
            .collect()
    }
    fn value(&self, name: &str) -> Option<Secret> {
        self.get_string(name)
    }
    fn validate_name(name: &str) -> anyhow::Result<()> {
        Ok(elasticsearch::validate_name(name)?)
    }
    fn set(&mut self, name: &str, value: Secret, force: bool, path: &Path) -> anyhow::Result<()> {
        Ok(self.set_string(name, &value, force, path)?)
    }
    fn remove(&mut self, name: &str, path: &Path) -> anyhow::Result<()> {
        EsKeystore::remove(self, name, path)?;
        if name == elasticsearch::SEED_SETTING {
            eprintln!(
                "warning: without keystore.seed the node adds a new one and rewrites the keystore at startup"
            );
        }
        Ok(())
    }
    fn save(&self, path: &Path) -> anyhow::Result<Outcome> {
        Ok(EsKeystore::save(
            self,
            path,
            &mut SystemRandom,
            Existing::Replace,
        )?)
    }
}

/// Recovery first: add/remove/create are writers (the keystore's directory
/// is locked and an interrupted apply there recovered); list/show only
/// warn about an interrupted or running apply.
fn session(path: &Path, action: &Action) -> anyhow::Result<Option<esmtls::session::Writer>> {
    let dir = esmtls::fsutil::parent_dir(path);
    if matches!(action, Action::List | Action::Show { .. }) {
        if let Some(p) = super::session::pending(&[&dir]) {
            eprintln!("warning: {p}");
        }
        return Ok(None);
    }
    super::session::writer(&[&dir], "esmtls keystore").map(Some)
}

/// Runs list/show/add/remove; hands `create` back to the caller.
fn edit<S: Store>(path: &Path, action: Action) -> anyhow::Result<Option<Action>> {
    match action {
        Action::List => {
            for n in S::open(path)?.names() {
                println!("{n}");
            }
        }
        Action::Show { name } => {
            let v = S::open(path)?
                .value(&name)
                .ok_or_else(|| anyhow::anyhow!("{} has no setting {name}", path.display()))?;
            println!("{}", v.expose());
        }
        Action::Add { name, stdin, force } => {
            S::validate_name(&name)?;
            let mut ks = S::open(path)?;
            if !force && ks.value(&name).is_some() {
                bail!(
                    "{} already has {name}; pass --force to replace it",
                    path.display()
                );
            }
            let value = read_value(&name, stdin)?;
            ks.set(&name, value, force, path)?;
            report(&format!("added {name} to"), path, &ks.save(path)?);
        }
        Action::Remove { name } => {
            let mut ks = S::open(path)?;
            ks.remove(&name, path)?;
            report(&format!("removed {name} from"), path, &ks.save(path)?);
        }
        create @ Action::Create { .. } => return Ok(Some(create)),
    }
    Ok(None)
}

fn run_kibana(t: Target) -> anyhow::Result<()> {
    refuse_es_options(&t.action)?;
    let (path, dir) = locate(&t, "KBN_PATH_CONF", "/etc/kibana", kibana::FILE_NAME);
    if let Some(legacy) = kibana::legacy_data_keystore(&dir) {
        eprintln!(
            "warning: {} exists; Kibana reads it instead of {} — move or remove it",
            legacy.display(),
            path.display()
        );
    }
    let _session = session(&path, &t.action)?;
    let Some(action) = edit::<KibanaKeystore>(&path, t.action)? else {
        return Ok(());
    };
    if let Action::Create {
        password, force, ..
    } = action
    {
        if path.exists() && !force {
            bail!(
                "{} already exists; pass --force to replace it (a backup is kept)",
                path.display()
            );
        }
        let pw = if password {
            new_password(kibana::password_from_env()?, kibana::PASSPHRASE_FILE_ENV)?
        } else {
            Secret::empty()
        };
        let ks = KibanaKeystore::new(pw);
        let existing = if force {
            Existing::Replace
        } else {
            Existing::Refuse
        };
        report(
            "created",
            &path,
            &ks.save(&path, &mut SystemRandom, existing)?,
        );
        if password {
            eprintln!(
                "note: Kibana 8.15 or later is needed to open a password-protected keystore; give it {} at startup",
                kibana::PASSPHRASE_FILE_ENV
            );
        }
    }
    Ok(())
}

fn run_es(t: Target) -> anyhow::Result<()> {
    let (path, _) = locate(
        &t,
        "ES_PATH_CONF",
        "/etc/elasticsearch",
        elasticsearch::FILE_NAME,
    );
    let _session = session(&path, &t.action)?;
    let Some(action) = edit::<EsKeystore>(&path, t.action)? else {
        return Ok(());
    };
    if let Action::Create {
        format,
        es_version,
        es_home,
        es_url,
        es_ca,
        es_ca_fingerprint,
        password,
        force,
    } = action
    {
        if path.exists() && !force {
            bail!(
                "{} already exists; pass --force to replace it (a backup is kept)",
                path.display()
            );
        }
        let local = LocalVersion {
            es_version,
            es_home,
        };
        let version = match (format, es_url) {
            (Some(f), _) => f,
            (None, Some(url)) => {
                match version_from_es(&url, es_ca.as_deref(), es_ca_fingerprint.as_deref()) {
                    Ok(v) => {
                        let f = elasticsearch::format_for_es_version(&v)?;
                        eprintln!("Elasticsearch {v} answers at {url}: keystore format {f}");
                        f
                    }
                    Err(e @ EsError::Unreachable { .. }) if local.given() => {
                        eprintln!("warning: {e}");
                        local.format(&path)?
                    }
                    Err(e) => {
                        return Err(anyhow::Error::new(e).context(format!(
                            "cannot read the Elasticsearch version from {url}; fix the cause below, \
                             or pass --es-version X.Y.Z or --format N instead"
                        )));
                    }
                }
            }
            (None, None) => local.format(&path)?,
        };
        let pw = if password {
            let p = new_password(
                elasticsearch::password_from_env()?,
                elasticsearch::PASSPHRASE_FILE_ENV,
            )?;
            elasticsearch::check_password(&p)?;
            p
        } else {
            Secret::empty()
        };
        let ks = EsKeystore::create(version, pw, &mut SystemRandom)?;
        let existing = if force {
            Existing::Replace
        } else {
            Existing::Refuse
        };
        report(
            &format!("created (format {version})"),
            &path,
            &ks.save(&path, &mut SystemRandom, existing)?,
        );
    }
    Ok(())
}
