//! From answers and flags to the planner's inputs: where the config
//! directories are (detection) and how to reach the cluster.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use esmtls::detect::{DetectOptions, Detected, RestartMethod};
use esmtls::plan::{self, Answers, Setup};

fn state_dir() -> PathBuf {
    directories::ProjectDirs::from("", "", "esmtls")
        .map(|p| p.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".esmtls"))
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
    let d = found.fill_missing(&a.out);
    let (Some(es), Some(kb)) = (d.es, d.kibana) else {
        bail!("internal: detection lost a side");
    };
    let mut s = Setup::dirs(&es.config_dir, &kb.config_dir, &state_dir());
    if nothing || partial {
        s.out_dir = Some(a.out.clone());
    }
    s.es_version = es.version.clone();
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
