//! `$ES_PATH_CONF/role_mapping.yml`, the file the PKI realm maps certificate
//! DNs to roles with by default (`files.role_mapping`), for when the role
//! mapping API cannot be reached.
//!
//! Format (elastic/elasticsearch
//! `x-pack/plugin/security/src/main/java/org/elasticsearch/xpack/security/authc/support/DnRoleMapper.java`
//! `parseFile`): a YAML mapping of role name to a list of DNs,
//! `kibana_system: [ "CN=kibana,OU=ops" ]`; the file is loaded as node
//! settings (`Settings.builder().loadFromPath`), so keys are flattened on dots
//! like `elasticsearch.yml` (a role named `a.b` cannot be written here), a
//! single string counts as a one-item list, a duplicate key voids the whole
//! file, and a DN that does not parse is skipped. DNs are compared normalized
//! (see [`dn`]): `cn=Kibana, ou=OPS` equals `CN=kibana,OU=ops`.
//!
//! Editing goes through the project's lossless YAML editor ([`crate::yaml`]),
//! whose one-item list add keeps every other line, comment, quoting and the
//! order, and whose result is re-parsed and checked. It compares items as
//! strings, so this module first asks whether an *equal DN* is already listed
//! and leaves the file byte-identical if so. A role not yet in the file is
//! added in the editor's esmtls-managed block at the end.

mod dn;

use crate::yaml::{Edit, YamlFile};

/// The file's default name in `$ES_PATH_CONF`.
pub const FILE_NAME: &str = "role_mapping.yml";

/// The file with `dn` added to `role`'s list, unless an equal DN is there.
/// An unparseable file, a role name this file cannot hold or a DN that
/// Elasticsearch would skip is an error in one line.
pub fn merge(existing: &str, role: &str, dn: &str) -> Result<String, String> {
    check_role(role)?;
    let wanted = dn::normalize(dn).map_err(|e| format!("invalid DN [{dn}]: {e}"))?;
    if wanted.is_empty() {
        return Err("invalid DN []: the DN is empty".into());
    }
    let file = parse(existing)?;
    if listed(&file, role).any(|d| d == wanted) {
        return Ok(existing.to_string());
    }
    let changes = file
        .apply(&[Edit::list_add(role, dn)])
        .map_err(|e| e.to_string())?;
    Ok(changes.after().to_string())
}

/// True when `role`'s list has a DN equal to `dn` (false for a file that
/// does not parse, or a DN that does not).
pub fn has(existing: &str, role: &str, dn: &str) -> bool {
    let (Ok(wanted), Ok(file)) = (dn::normalize(dn), parse(existing)) else {
        return false;
    };
    listed(&file, role).any(|d| d == wanted)
}

fn parse(text: &str) -> Result<YamlFile, String> {
    YamlFile::parse(FILE_NAME, text).map_err(|e| e.to_string())
}

/// The DNs listed for `role` that parse, normalized.
fn listed(file: &YamlFile, role: &str) -> impl Iterator<Item = dn::NormalDn> {
    file.get(role)
        .map(|s| s.value.as_list())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|d| dn::normalize(&d).ok())
}

/// Role names the file can hold as a top-level key (no dots: the file is read
/// as settings) and the YAML editor writes without quoting.
fn check_role(role: &str) -> Result<(), String> {
    let ok = !role.is_empty()
        && !role.starts_with('-')
        && role
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "role [{role}] cannot be written to {FILE_NAME}: use letters, digits, `_`, `-` and `/` (no dots; Elasticsearch reads the file as settings)"
        ))
    }
}

#[cfg(test)]
mod tests;
