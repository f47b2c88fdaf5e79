//! Checks of the certificate files themselves: readable with the configured
//! password, key matches certificate, extended key usage fits
//! the use, PKCS#12 algorithms OpenSSL 3 reads, Kibana's PKCS#12 holds one
//! key, and private material not readable by every user.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use super::{Finding, Severity};
use crate::lifecycle::material::{Loaded, key_matches};
use crate::lifecycle::sources::{Form, Role};
use crate::pki::inspect::cert_info;
use crate::pki::pkcs12;

pub(super) fn check(loaded: &[Loaded], out: &mut Vec<Finding>) {
    for l in loaded {
        let s = &l.source;
        let file = Some(s.path.clone());
        if let Some(e) = &l.error {
            let fix = match &s.password_setting {
                Some(p) if e.contains("password") => format!(
                    "put the file's password into {p} (keystore), or re-create the file with that password"
                ),
                _ => format!(
                    "fix or replace the file named by {} in {}",
                    s.setting,
                    s.yml.display()
                ),
            };
            out.push(Finding::new(Severity::Error, "unreadable", file, e.clone(), fix).at(s.line));
            continue;
        }
        for k in &l.material.keys {
            let Some(leaf) = k.chain.first() else {
                continue;
            };
            let Ok(info) = cert_info(leaf) else { continue };
            if let Some(key) = &k.key_pkcs8
                && !key_matches(key, leaf)
            {
                out.push(Finding::new(
                    Severity::Error,
                    "key-mismatch",
                    file.clone(),
                    format!("the private key does not belong to the certificate {}", info.subject),
                    "configure the key that was generated with this certificate, or issue a new pair (esmtls cert issue)",
                ));
            }
            let eku_ok = |want: &str| {
                info.eku.is_empty() || info.eku.iter().any(|e| e == want || e == "any")
            };
            let wrong = match s.role {
                Role::KibanaClient if !eku_ok("clientAuth") => Some("clientAuth"),
                Role::EsHttp | Role::KibanaServer if !eku_ok("serverAuth") => Some("serverAuth"),
                _ => None,
            };
            if let Some(want) = wrong {
                out.push(Finding::new(
                    Severity::Error,
                    "eku",
                    file.clone(),
                    format!(
                        "{} is used as {} but its extended key usage is [{}], without {want}; the TLS peer rejects it",
                        info.subject, s.role.name(), info.eku.join(", ")
                    ),
                    format!("issue a certificate with {want} (esmtls cert issue --{})", if want == "clientAuth" { "client" } else { "server" }),
                ));
            }
        }
        if matches!(s.form, Form::Keystore | Form::Truststore) {
            if let Ok(a) = pkcs12::algorithms(&l.material.bytes, &s.path.display().to_string())
                && a.needs_openssl_legacy()
            {
                out.push(Finding::new(
                    Severity::Warning,
                    "pkcs12-legacy",
                    file.clone(),
                    format!("the PKCS#12 uses legacy algorithms ({}) that OpenSSL 3 and Node refuse without -legacy", a.legacy.join(", ")),
                    format!("esmtls cert modernize {}", s.path.display()),
                ));
            }
            if s.role == Role::KibanaClient
                && s.form == Form::Keystore
                && l.material.keys.len() != 1
            {
                let msg = if l.material.keys.is_empty() {
                    "Did not find key in Elasticsearch keystore."
                } else {
                    "Keystore contains multiple private keys."
                };
                out.push(Finding::new(
                    Severity::Error,
                    "kibana-p12-keys",
                    file.clone(),
                    format!("{msg} Kibana needs exactly one key in elasticsearch.ssl.keystore.path; this file holds {}", l.material.keys.len()),
                    "give Kibana a PKCS#12 with only its client key (esmtls cert issue --client), never Elasticsearch's http.p12",
                ).at(s.line));
            }
        }
        let secret = matches!(s.form, Form::Keystore | Form::Truststore);
        if secret {
            permissions(&s.path, out);
        }
        if let Form::PemPair { key: Some(k) } = &s.form {
            permissions(k, out);
        }
    }
}

/// World-readable private material, and files owned by neither the config
/// directory's owner nor its group (the service may not read them).
pub(super) fn permissions(path: &Path, out: &mut Vec<Finding>) {
    let Ok(md) = std::fs::metadata(path) else {
        return;
    };
    let mode = md.permissions().mode() & 0o777;
    if mode & 0o004 != 0 {
        out.push(Finding::new(
            Severity::Warning,
            "permissions",
            Some(path.to_path_buf()),
            format!(
                "{} holds private material and is readable by every user (mode {mode:o})",
                path.display()
            ),
            format!(
                "chmod 600 {} (or 640 with the service's group)",
                path.display()
            ),
        ));
    }
    let dir = crate::fsutil::parent_dir(path);
    if let Ok(d) = std::fs::metadata(&dir)
        && md.uid() != d.uid()
        && md.gid() != d.gid()
    {
        out.push(Finding::new(
            Severity::Warning,
            "ownership",
            Some(path.to_path_buf()),
            format!("{} belongs to uid {} gid {}, neither the owner nor the group of {}; the service may not be able to read it", path.display(), md.uid(), md.gid(), dir.display()),
            format!("chown to the directory's owner and group, e.g. chown {}:{} {}", d.uid(), d.gid(), path.display()),
        ));
    }
}
