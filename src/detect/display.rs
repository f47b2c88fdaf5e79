//! The human summary of a [`Detected`]: one block per side, facts first, then
//! notes and warnings. `--json` uses serde instead; both show the same facts.

use std::fmt::{self, Display, Formatter};
use std::path::Path;

use super::{Detected, EsSide, KibanaSide};

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("unknown")
}

fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}

fn home(h: &Option<std::path::PathBuf>) -> String {
    h.as_deref()
        .map(Path::display)
        .map(|d| d.to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn names(entries: &Option<Vec<String>>, problem: &Option<String>) -> String {
    match (entries, problem) {
        (Some(e), _) if e.is_empty() => "(empty)".into(),
        (Some(e), _) => e.join(", "),
        (None, Some(p)) => format!("not listed ({p})"),
        (None, None) => "-".into(),
    }
}

impl Display for EsSide {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(f, "Elasticsearch")?;
        writeln!(
            f,
            "  config:    {} ({})",
            self.config_dir.display(),
            self.found_by.describe()
        )?;
        writeln!(f, "  home:      {}", home(&self.home))?;
        writeln!(f, "  version:   {}", opt(&self.version))?;
        writeln!(f, "  restart:   {}", self.restart)?;
        let h = &self.http;
        writeln!(
            f,
            "  security:  {}; HTTP TLS {}; client certificates {}",
            match h.security_enabled {
                Some(true) => "enabled",
                Some(false) => "disabled",
                None => "not set",
            },
            if self.https() { "on" } else { "off" },
            h.client_authentication
                .as_deref()
                .unwrap_or("none (default)")
        )?;
        if h.autoconfig_block {
            writeln!(
                f,
                "  auto-configuration: yes (http_ca.crt {}, http.p12 {}, CA key in http.p12: {})",
                if h.http_ca_crt.is_some() {
                    "present"
                } else {
                    "missing"
                },
                if h.http_p12.is_some() {
                    "present"
                } else {
                    "missing"
                },
                yes_no(h.http_p12_has_ca_key)
            )?;
        }
        for s in &h.settings {
            writeln!(
                f,
                "    {}:{}  {}: {}",
                s.file.display(),
                s.line,
                s.key,
                s.value
            )?;
        }
        if let Some(c) = &self.server_cert {
            writeln!(
                f,
                "  server certificate: {} (SANs {}; until {}, {} days; issuer {})",
                c.info.subject,
                c.info.sans.join(", "),
                c.info.not_after,
                c.info.days_left,
                c.info.issuer
            )?;
        }
        for r in &self.realms {
            writeln!(
                f,
                "  realm:     {}.{} order {}{}",
                r.realm_type,
                r.name,
                r.order
                    .map(|o| o.to_string())
                    .unwrap_or_else(|| "(none)".into()),
                if r.enabled { "" } else { " (disabled)" }
            )?;
        }
        let k = &self.keystore;
        if k.exists {
            writeln!(
                f,
                "  keystore:  {} (format {}, password {}): {}",
                k.path.display(),
                k.format_version
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "?".into()),
                if k.password_protected == Some(true) {
                    "set"
                } else {
                    "none"
                },
                names(&k.entries, &k.problem)
            )?;
        } else {
            writeln!(f, "  keystore:  {} (none yet)", k.path.display())?;
        }
        for n in &self.notes {
            writeln!(f, "  note:      {n}")?;
        }
        Ok(())
    }
}

impl Display for KibanaSide {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(f, "Kibana")?;
        writeln!(
            f,
            "  config:    {} ({})",
            self.config_dir.display(),
            self.found_by.describe()
        )?;
        writeln!(f, "  home:      {}", home(&self.home))?;
        writeln!(f, "  version:   {}", opt(&self.version))?;
        writeln!(f, "  restart:   {}", self.restart)?;
        let e = &self.elasticsearch;
        if e.settings.is_empty() {
            writeln!(
                f,
                "  elasticsearch.*: nothing set (defaults: http://localhost:9200, no auth)"
            )?;
        }
        for s in &e.settings {
            writeln!(
                f,
                "    {}:{}  {}: {}",
                s.file.display(),
                s.line,
                s.key,
                s.value
            )?;
        }
        for ca in &e.certificate_authorities {
            if !ca.exists {
                writeln!(
                    f,
                    "  missing:   {} (named by elasticsearch.ssl.certificateAuthorities)",
                    ca.path.display()
                )?;
            }
        }
        let k = &self.keystore;
        if k.exists {
            writeln!(
                f,
                "  keystore:  {} (password {}): {}",
                k.path.display(),
                if k.password_protected == Some(true) {
                    "set"
                } else {
                    "none"
                },
                names(&k.entries, &k.problem)
            )?;
        } else {
            writeln!(f, "  keystore:  {} (none yet)", k.path.display())?;
        }
        for w in &self.warnings {
            writeln!(f, "  warning:   {w}")?;
        }
        Ok(())
    }
}

impl Display for Detected {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.es {
            Some(es) => write!(f, "{es}")?,
            None => writeln!(f, "Elasticsearch: not found on this machine")?,
        }
        match &self.kibana {
            Some(k) => write!(f, "{k}"),
            None => writeln!(f, "Kibana: not found on this machine"),
        }
    }
}
