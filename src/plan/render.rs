//! The plan for humans: the steps with their status and changes, each file
//! with its diff, keystore entries by name, API requests, commands. The same
//! text serves `esmtls plan`, `esmtls apply --dry-run` and the wizard's review.

use std::fmt::Write;

use super::types::{EntryValue, KeystoreOp, Plan, Service};

/// The whole plan as text.
pub fn text(p: &Plan) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Mode: {} — {}", p.mode, p.mode.summary());
    let lic = match (&p.license, &p.license_from) {
        (Some(l), super::LicenseFrom::Cluster) => format!("{l} (from GET /_license)"),
        (Some(l), _) => format!("{l} (from the answers)"),
        (None, _) => "unknown".into(),
    };
    let _ = writeln!(o, "License: {lic}");
    let _ = writeln!(
        o,
        "Elasticsearch: {} ({})",
        p.es_url,
        if p.reachable {
            "reachable"
        } else {
            "not reachable: API requests are written to a file"
        }
    );
    if let Some(out) = &p.out_dir {
        let _ = writeln!(
            o,
            "Neither Elasticsearch nor Kibana is installed here: files go to {}",
            out.display()
        );
    }
    if !p.detected.is_empty() {
        let _ = writeln!(o, "\nDetected:");
        for l in p.detected.lines() {
            let _ = writeln!(o, "  {l}");
        }
    }
    for w in &p.warnings {
        let _ = writeln!(o, "warning: {w}");
    }
    let _ = writeln!(o);
    for s in &p.steps {
        let _ = writeln!(o, "Step {} [{}] {}", s.number, s.applies.word(), s.title);
        let _ = writeln!(o, "    {}", s.applies.text());
        for n in &s.notes {
            let _ = writeln!(o, "    note: {n}");
        }
        for c in &s.changes {
            let _ = writeln!(o, "    - {c}");
        }
    }
    let changed: Vec<_> = p.files.iter().filter(|f| !f.unchanged).collect();
    if !changed.is_empty() {
        let _ = writeln!(o, "\nFiles:");
        for f in changed {
            let _ = writeln!(
                o,
                "  {} {} — {}",
                if f.exists { "change" } else { "create" },
                f.path.display(),
                f.what
            );
            if let Some(d) = &f.diff {
                for l in d.lines() {
                    let _ = writeln!(o, "    {l}");
                }
            }
        }
    }
    for k in &p.keystores {
        let name = match k.service {
            Service::Elasticsearch => "elasticsearch.keystore",
            Service::Kibana => "kibana.keystore",
        };
        let _ = writeln!(
            o,
            "\n{} {}{}:",
            name,
            k.path.display(),
            if k.create.is_some() { " (new)" } else { "" }
        );
        for op in &k.ops {
            let _ = match op {
                KeystoreOp::Set {
                    name,
                    value: EntryValue::Known(_),
                } => writeln!(o, "  set {name}"),
                KeystoreOp::Set {
                    name,
                    value: EntryValue::FromApi(_),
                } => {
                    writeln!(o, "  set {name} (value from the API response)")
                }
                KeystoreOp::Remove { name, reason } => writeln!(o, "  remove {name} ({reason})"),
            };
        }
    }
    if !p.api.is_empty() {
        let _ = writeln!(o, "\nElasticsearch API requests:");
        for c in &p.api {
            let _ = writeln!(
                o,
                "  # {}{}",
                c.purpose,
                if c.deferred {
                    " (deferred: cluster not reachable)"
                } else {
                    ""
                }
            );
            for l in c.to_string().lines() {
                let _ = writeln!(o, "  {l}");
            }
        }
    }
    if !p.commands.is_empty() {
        let _ = writeln!(o, "\nCommands:");
        for c in &p.commands {
            let _ = writeln!(o, "  {}    # {}", c.argv.join(" "), c.what);
        }
    }
    if p.is_noop() {
        let _ = writeln!(
            o,
            "\nNothing to change: the setup already matches the answers."
        );
    }
    o
}
