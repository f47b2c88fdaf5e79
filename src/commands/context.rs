//! From answers and flags to the planner's inputs: where the config
//! directories are (detection) and how to reach the cluster.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use esmtls::detect::{DetectOptions, Detected, RestartMethod};
use esmtls::plan::{self, Answers, Setup};

/// esmtls's data directory (its file secret store and apply journal), the
/// same for every command.
pub fn state_dir() -> PathBuf {
    esmtls::keystore::secrets_store::default_data_dir().unwrap_or_else(|| PathBuf::from(".esmtls"))
}

/// The setup for these answers: detection (flags, answers, ES_PATH_CONF /
/// KBN_PATH_CONF, package and archive layouts); a side that is not installed
/// here goes to the output folder.
pub fn setup(a: &Answers, es_flag: Option<&Path>, kb_flag: Option<&Path>) -> Result<Setup> {
    let opts = DetectOptions::from_env(
        es_flag
            .map(Path::to_path_buf)
            .or_else(|| a.elasticsearch.config.clone()),
        kb_flag
            .map(Path::to_path_buf)
            .or_else(|| a.kibana.config.clone()),
    )?;
    let found = Detected::detect(&opts)?;
    let partial = found.es.is_none() != found.kibana.is_none();
    let nothing = found.nothing_found();
    let detected = if nothing {
        "Neither Elasticsearch nor Kibana is installed here (no flag, ES_PATH_CONF/KBN_PATH_CONF, /etc or archive layout found).".to_string()
    } else {
        found.to_string()
    };
    let d = found.fill_missing(&a.out);
    let (Some(es), Some(kb)) = (d.es, d.kibana) else {
        bail!("internal: detection lost a side");
    };
    let mut s = Setup::dirs(&es.config_dir, &kb.config_dir, &state_dir());
    if nothing || partial {
        s.out_dir = Some(a.out.clone());
    }
    s.es_version = es.version.clone();
    s.ca_password_store = a.secrets.ca_password;
    s.detected = detected;
    let cmd = |r: &RestartMethod, who: &str| -> Option<plan::Command> {
        let argv = r.command();
        (!argv.is_empty()).then(|| plan::Command {
            argv,
            what: format!("restart {who} ({})", r.description()),
            restart: r.can_run(),
        })
    };
    s.es_restart = cmd(&es.restart, "Elasticsearch");
    s.kibana_restart = cmd(&kb.restart, "Kibana");
    if let Some(p) = opts.es_keystore_password {
        s.es_keystore_password = p;
    }
    if let Some(p) = opts.kibana_keystore_password {
        s.kibana_keystore_password = p;
    }
    Ok(s)
}

/// Where the admin credentials come from when the environment has none
/// (the environment's always win: they are what the operator set for this run).
pub enum Admin {
    /// None: the API requests are deferred to a file.
    None,
    /// Ask on the terminal (the line-mode commands; never the wizard, which
    /// owns the terminal).
    Prompt,
    /// Given by the caller (the wizard asks on step 0), with the words a 401
    /// uses to name them.
    Given(esmtls::es::Auth, &'static str),
}

/// Where a 401 says typed-in credentials came from.
pub const PROMPTED: &str = "the password typed at the prompt";

/// The cluster: the Elasticsearch client with the admin credentials from
/// the environment, trusting the CA files found on the Elasticsearch side.
pub fn cluster(a: &Answers, setup: &Setup) -> Result<Box<dyn plan::Cluster>> {
    cluster_with(a, setup, Admin::None)
}

/// The admin credentials and where they came from: the environment's, else
/// `admin`'s (a prompt is asked only now).
fn admin_auth(
    env: Option<esmtls::es::Auth>,
    admin: Admin,
) -> Result<Option<(esmtls::es::Auth, String)>> {
    Ok(match (env, admin) {
        (Some(a), _) => Some((a, esmtls::es::Auth::env_names())),
        (None, Admin::Given(a, from)) => Some((a, from.to_string())),
        (None, Admin::Prompt) => prompt_admin()?.map(|a| (a, PROMPTED.to_string())),
        (None, Admin::None) => None,
    })
}

/// [`cluster`], with the admin credentials from `admin` when the environment
/// has none.
pub fn cluster_with(a: &Answers, setup: &Setup, admin: Admin) -> Result<Box<dyn plan::Cluster>> {
    let url = a
        .elasticsearch
        .url
        .clone()
        .or_else(|| a.kibana.hosts.first().cloned())
        .or_else(|| kibana_host(setup))
        .unwrap_or_else(|| "https://localhost:9200".into());
    let (auth, source) = match admin_auth(esmtls::es::Auth::from_env()?, admin)? {
        Some((auth, source)) => (Some(auth), Some(source)),
        None => (None, None),
    };
    let es = &setup.es_config;
    let mut cas: Vec<PathBuf> = a.elasticsearch.server_ca.iter().cloned().collect();
    cas.extend([es.join("certs/http_ca.crt"), es.join("certs/esmtls-ca.crt")]);
    let refs: Vec<&Path> = cas.iter().map(PathBuf::as_path).collect();
    let client = if a.client_authentication() == Some("required") {
        kibana_identity(setup)
    } else {
        None
    };
    let mut c = esmtls::es::EsCluster::new(
        &url,
        &refs,
        a.elasticsearch.ca_fingerprint.clone(),
        auth,
        client,
    );
    if let Some(s) = source {
        c = c.auth_source(s);
    }
    Ok(Box::new(c))
}

/// The first host in kibana.yml as https (`elasticsearch.hosts`, else a
/// Kibana 6.x `elasticsearch.url`), with its environment references resolved
/// the way Kibana resolves them (none when a variable is not set: the plan
/// then says which).
fn kibana_host(setup: &Setup) -> Option<String> {
    use esmtls::yaml::env::{Syntax, resolve_env};
    let y = esmtls::yaml::YamlFile::read(&setup.kibana_config.join("kibana.yml")).ok()?;
    let h = ["elasticsearch.hosts", "elasticsearch.url"]
        .iter()
        .find_map(|k| y.get(k)?.value.as_list().into_iter().next())?;
    let h = match h.strip_prefix("http://") {
        Some(rest) => format!("https://{rest}"),
        None => h,
    };
    resolve_env(&h, Syntax::Kibana).ok()
}

/// Kibana's client certificate from an earlier run (PKCS#12 with its password
/// in the Kibana keystore, or the PEM pair), to get through `required`.
fn kibana_identity(setup: &Setup) -> Option<esmtls::es::ClientIdentity> {
    use esmtls::pki::{pem, pkcs12};
    let dir = setup.kibana_config.join("certs");
    let p12 = dir.join("kibana-client.p12");
    if p12.exists() {
        let ks = esmtls::keystore::KibanaKeystore::load(
            &esmtls::keystore::kibana::path_in(&setup.kibana_config),
            Some(&setup.kibana_keystore_password),
        )
        .ok()?;
        let pw = ks.get(plan::KB_P12_PASSWORD)?.expose().to_string();
        let c = pkcs12::read(&std::fs::read(&p12).ok()?, &pw, "kibana-client.p12").ok()?;
        let k = c.keys.into_iter().next()?;
        return Some(esmtls::es::ClientIdentity {
            chain_der: k.chain,
            key_pkcs8_der: zeroize::Zeroizing::new(k.key_pkcs8),
        });
    }
    let crt = std::fs::read(dir.join("kibana-client.crt")).ok()?;
    let key = std::fs::read(dir.join("kibana-client.key")).ok()?;
    let chain = pem::certificates(&pem::parse_all(&crt, "").ok()?);
    let kp = pem::private_key(&pem::parse_all(&key, "").ok()?, "", &mut || {
        Err(esmtls::pki::PkiError::Invalid(String::new()))
    })
    .ok()??;
    Some(esmtls::es::ClientIdentity {
        chain_der: chain,
        key_pkcs8_der: zeroize::Zeroizing::new(kp.serialize_der()),
    })
}

/// Elasticsearch admin credentials asked on a terminal when the environment
/// has none (`-` skips: the requests then go to a file).
fn prompt_admin() -> Result<Option<esmtls::es::Auth>> {
    use std::io::{IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    eprint!(
        "Elasticsearch admin user for the API calls (- to skip: the requests then go to a file) [elastic]: "
    );
    std::io::stderr().flush()?;
    let mut user = String::new();
    std::io::stdin().read_line(&mut user)?;
    let user = match user.trim() {
        "" => "elastic".to_string(),
        "-" => return Ok(None),
        u => u.to_string(),
    };
    let pw = rpassword::prompt_password(format!("Password for {user}: "))?;
    if pw.is_empty() {
        return Ok(None);
    }
    Ok(Some(esmtls::es::Auth::Basic {
        username: user,
        password: esmtls::secret::Secret::new(pw),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use esmtls::es::Auth;
    use esmtls::secret::Secret;

    fn basic(user: &str, pw: &str) -> Auth {
        Auth::Basic {
            username: user.into(),
            password: Secret::new(pw),
        }
    }

    #[test]
    fn the_environment_wins_then_the_given_credentials() {
        let typed = "the admin password typed in the wizard";
        let (a, from) = admin_auth(
            Some(basic("env", "e")),
            Admin::Given(basic("w", "t"), typed),
        )
        .unwrap()
        .unwrap();
        assert_eq!(a, basic("env", "e"));
        assert!(from.contains("ESMTLS_ES_USERNAME"), "{from}");
        let (a, from) = admin_auth(None, Admin::Given(basic("w", "t"), typed))
            .unwrap()
            .unwrap();
        assert_eq!((a, from.as_str()), (basic("w", "t"), typed));
        assert!(admin_auth(None, Admin::None).unwrap().is_none());
    }
}
