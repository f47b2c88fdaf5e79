//! From answers and flags to the planner's inputs: where the config
//! directories are (detection) and how to reach the cluster.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use esmtls::plan::{self, Answers, Setup};
use esmtls::secret::Secret;

fn state_dir() -> PathBuf {
    directories::ProjectDirs::from("", "", "esmtls")
        .map(|p| p.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".esmtls"))
}

fn pick(
    flag: Option<&Path>,
    answer: Option<&PathBuf>,
    env: &str,
    package: &str,
    file: &str,
) -> Result<Option<PathBuf>> {
    if let Some(d) = flag.map(Path::to_path_buf).or_else(|| answer.cloned()) {
        if !d.join(file).exists() {
            bail!(
                "{} has no {file}; give the directory that holds it",
                d.display()
            );
        }
        return Ok(Some(d));
    }
    if let Some(d) = std::env::var_os(env)
        .map(PathBuf::from)
        .filter(|d| d.join(file).exists())
    {
        return Ok(Some(d));
    }
    let p = PathBuf::from(package);
    Ok(p.join(file).exists().then_some(p))
}

/// The setup for these answers.
pub fn setup(a: &Answers, es_flag: Option<&Path>, kb_flag: Option<&Path>) -> Result<Setup> {
    let es = pick(
        es_flag,
        a.elasticsearch.config.as_ref(),
        "ES_PATH_CONF",
        "/etc/elasticsearch",
        "elasticsearch.yml",
    )?;
    let kb = pick(
        kb_flag,
        a.kibana.config.as_ref(),
        "KBN_PATH_CONF",
        "/etc/kibana",
        "kibana.yml",
    )?;
    let mut s = match (es, kb) {
        (None, None) => {
            let out = a.out.clone();
            let mut s = Setup::dirs(
                &out.join("elasticsearch"),
                &out.join("kibana"),
                &state_dir(),
            );
            s.out_dir = Some(out);
            s
        }
        (Some(e), Some(k)) => Setup::dirs(&e, &k, &state_dir()),
        (Some(e), None) => bail!(
            "found Elasticsearch's config in {} but not Kibana's; give --kibana-config DIR (or `kibana.config` in the answers)",
            e.display()
        ),
        (None, Some(k)) => bail!(
            "found Kibana's config in {} but not Elasticsearch's; give --es-config DIR (or `elasticsearch.config` in the answers)",
            k.display()
        ),
    };
    if let Some(p) = std::env::var_os("ES_KEYSTORE_PASSPHRASE_FILE") {
        s.es_keystore_password = Secret::from_file(Path::new(&p))?;
    }
    if let Some(p) = std::env::var_os("KBN_KEYSTORE_PASSPHRASE_FILE") {
        s.kibana_keystore_password = Secret::from_file(Path::new(&p))?;
    }
    Ok(s)
}

/// The cluster: the Elasticsearch client when it answers, else offline.
pub fn cluster(a: &Answers, _setup: &Setup) -> Result<Box<dyn plan::Cluster>> {
    let url = a
        .elasticsearch
        .url
        .clone()
        .or_else(|| a.kibana.hosts.first().cloned())
        .unwrap_or_else(|| "https://localhost:9200".into());
    Ok(Box::new(plan::Offline { url }))
}
