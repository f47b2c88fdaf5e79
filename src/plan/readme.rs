//! The README written into each side of the output folder, saying where each
//! file goes on the real hosts.

use std::path::Path;

use super::context::Ctx;

/// Adds `elasticsearch/README.txt` and `kibana/README.txt` to the plan.
pub(super) fn add(ctx: &mut Ctx<'_>, out: &Path, kb_real: &Path) {
    for (side, dir, real, restart) in [
        (
            "Elasticsearch",
            ctx.setup.es_config.clone(),
            Path::new("/etc/elasticsearch").to_path_buf(),
            "sudo systemctl restart elasticsearch.service",
        ),
        (
            "Kibana",
            ctx.setup.kibana_config.clone(),
            kb_real.to_path_buf(),
            "sudo systemctl restart kibana.service",
        ),
    ] {
        if !dir.starts_with(out) {
            continue; // this side is installed here: its files are in place
        }
        let mut text = format!(
            "Files esmtls wrote for {side}, and where they go\n\
             ================================================\n\n\
             Copy each file into {side}'s config directory ({} for a package install,\n\
             config/ for an archive install), keeping the relative path, owned by root\n\
             and readable by the {} group; keep keys and keystores mode 0600/0660.\n\n",
            real.display(),
            side.to_lowercase()
        );
        let mut names: Vec<(String, String)> = ctx
            .files
            .iter()
            .filter_map(|f| {
                let rel = f.path.strip_prefix(&dir).ok()?;
                Some((
                    rel.display().to_string(),
                    describe(&rel.display().to_string()).to_string(),
                ))
            })
            .collect();
        // Files kept from an earlier run are listed too, so the README does not change.
        for sub in [dir.clone(), dir.join("certs")] {
            for e in std::fs::read_dir(&sub).into_iter().flatten().flatten() {
                let p = e.path();
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if !p.is_file()
                    || name.ends_with(".bak")
                    || name == "README.txt"
                    || name.starts_with('.')
                {
                    continue;
                }
                if let Ok(rel) = p.strip_prefix(&dir) {
                    let rel = rel.display().to_string();
                    if !names.iter().any(|(r, _)| *r == rel) {
                        names.push((rel.clone(), describe(&rel).into()));
                    }
                }
            }
        }
        if side == "Elasticsearch" && ctx.facts.es_ks.is_some() || side == "Kibana" {
            let ks = if side == "Kibana" {
                "kibana.keystore"
            } else {
                "elasticsearch.keystore"
            };
            names.push((ks.into(), describe(ks).into()));
        }
        names.sort();
        names.dedup_by(|a, b| a.0 == b.0);
        for (rel, what) in names {
            text.push_str(&format!(
                "  {rel:<32} -> {}  ({what})\n",
                real.join(&rel).display()
            ));
        }
        text.push_str(&format!(
            "\nA settings file here holds only esmtls's settings when there was none before:\n\
             merge it into the real one (or run esmtls on that host instead, which edits it in place).\n\
             Then restart {side}: {restart}\n"
        ));
        ctx.file(
            if side == "Kibana" { 9 } else { 5 },
            dir.join("README.txt"),
            "where each file goes",
            text.into_bytes(),
            false,
        );
    }
}

/// The same words for a file whether this run wrote it or an earlier one did.
fn describe(rel: &str) -> &'static str {
    match rel.rsplit('/').next().unwrap_or(rel) {
        "elasticsearch.yml" | "kibana.yml" => "settings: merge into the real file",
        "kibana.keystore" | "elasticsearch.keystore" => {
            "the keystore with the secrets (replaces the one there)"
        }
        "esmtls-ca.p12" => "esmtls's CA with its key: keep it safe, needed for renewals",
        "esmtls-ca.crt" | "kibana-ca.crt" | "elasticsearch-ca.crt" => "a CA certificate",
        "role_mapping.yml" => "file-based role mapping",
        "esmtls-requests.txt" => "API requests to send once the cluster is up",
        n if n.ends_with(".key") || n.ends_with(".p12") => {
            "certificate with its private key (mode 0600)"
        }
        _ => "certificate",
    }
}
