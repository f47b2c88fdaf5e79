//! A node's settings as Elasticsearch loads them: `elasticsearch.yml` flattened
//! to dotted keys, and the secure settings of `elasticsearch.keystore`.
//!
//! Modelled on elastic/elasticsearch
//! `server/src/main/java/org/elasticsearch/common/settings/Settings.java`
//! (`Settings.Builder.loadFromStream`: nested maps and flat dotted keys become
//! the same keys, lists stay lists, scalars become strings, a key given twice
//! is an error) and `PropertyPlaceholder.java` (`${NAME}` and `${NAME:default}`
//! from the environment). Secure settings are never part of [`Settings`]: they
//! live only in the keystore, so `GET /_nodes/settings` cannot show them.

use std::collections::BTreeMap;
use std::path::Path;

use esmtls::keystore::EsKeystore;
use serde_json::{Map, Value as Json};
use serde_yaml_ng::Value as Yaml;

/// One setting's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Setting {
    /// A scalar, as text (`true`, `1`, `certs/http.p12`).
    One(String),
    /// A YAML sequence.
    List(Vec<String>),
}

/// A node's settings by dotted key.
#[derive(Clone, Debug, Default)]
pub struct Settings(BTreeMap<String, Setting>);

impl Settings {
    /// Reads a YAML settings file; a missing file is no settings (as a
    /// missing `role_mapping.yml` is for `DnRoleMapper`).
    pub fn load(path: &Path) -> Result<Settings, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        Settings::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses YAML text (an empty document is no settings).
    pub fn parse(text: &str) -> Result<Settings, String> {
        let doc: Yaml = serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
        let mut out = Settings::default();
        match doc {
            Yaml::Null => {}
            Yaml::Mapping(m) => flatten("", &m, &mut out.0)?,
            other => return Err(format!("settings must be a map, not {other:?}")),
        }
        Ok(out)
    }

    /// The value of `key` when it is a scalar (`None` when absent or empty,
    /// as `SslConfigurationLoader.resolveSetting` treats an empty string).
    pub fn get(&self, key: &str) -> Option<&str> {
        match self.0.get(key) {
            Some(Setting::One(s)) if !s.is_empty() => Some(s),
            _ => None,
        }
    }

    /// A list setting; a scalar is a one-element list (`Settings.getAsList`).
    pub fn list(&self, key: &str) -> Option<Vec<String>> {
        match self.0.get(key)? {
            Setting::One(s) if s.is_empty() => None,
            Setting::One(s) => Some(vec![s.clone()]),
            Setting::List(v) if v.is_empty() => None,
            Setting::List(v) => Some(v.clone()),
        }
    }

    /// A boolean, strictly `true`/`false` as `Booleans.parseBoolean` demands.
    pub fn bool(&self, key: &str, default: bool) -> Result<bool, String> {
        match self.get(key) {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(v) => Err(format!(
                "Failed to parse value [{v}] as only [true] or [false] are allowed. [{key}]"
            )),
        }
    }

    /// Keys under `prefix` (which ends in `.`), without the prefix.
    pub fn keys_under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.keys().filter_map(move |k| k.strip_prefix(prefix))
    }

    /// Sets a scalar (for settings the node adds, such as `node.name`).
    pub fn put(&mut self, key: &str, value: &str) {
        self.0.insert(key.into(), Setting::One(value.into()));
    }

    /// The settings as `GET /_nodes/settings` shows them: nested objects,
    /// string values, lists as arrays; `flat` keeps the dotted keys
    /// (`?flat_settings=true`). Settings registered as `Property.Filtered`
    /// (the legacy plain-text SSL passwords in `SSLConfigurationSettings`)
    /// are left out, as `SettingsFilter` does.
    pub fn to_json(&self, flat: bool) -> Json {
        let mut root = Map::new();
        for (k, v) in self.0.iter().filter(|(k, _)| !filtered(k)) {
            let v = match v {
                Setting::One(s) => Json::String(s.clone()),
                Setting::List(l) => Json::Array(l.iter().cloned().map(Json::String).collect()),
            };
            if flat {
                root.insert(k.clone(), v);
                continue;
            }
            let mut parts: Vec<&str> = k.split('.').collect();
            let last = parts.pop().unwrap_or_default();
            let mut node = &mut root;
            for p in parts {
                let entry = node
                    .entry(p.to_string())
                    .or_insert_with(|| Json::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Json::Object(Map::new());
                }
                node = entry.as_object_mut().expect("an object was just put here");
            }
            node.insert(last.to_string(), v);
        }
        Json::Object(root)
    }
}

fn filtered(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key);
    matches!(
        last,
        "password" | "key_password" | "key_passphrase" | "bind_password"
    )
}

fn scalar(v: &Yaml) -> Result<String, String> {
    match v {
        Yaml::String(s) => substitute(s),
        Yaml::Bool(b) => Ok(b.to_string()),
        Yaml::Number(n) => Ok(n.to_string()),
        Yaml::Null => Ok(String::new()),
        other => Err(format!("unsupported settings value {other:?}")),
    }
}

fn flatten(
    prefix: &str,
    map: &serde_yaml_ng::Mapping,
    out: &mut BTreeMap<String, Setting>,
) -> Result<(), String> {
    for (k, v) in map {
        let k = scalar(k)?;
        let key = if prefix.is_empty() {
            k
        } else {
            format!("{prefix}.{k}")
        };
        let value = match v {
            Yaml::Mapping(m) => {
                flatten(&key, m, out)?;
                continue;
            }
            Yaml::Sequence(items) => {
                Setting::List(items.iter().map(scalar).collect::<Result<_, _>>()?)
            }
            other => Setting::One(scalar(other)?),
        };
        if let Some(previous) = out.insert(key.clone(), value.clone()) {
            // Settings.fromXContent: "duplicate settings key [..] found ..."
            return Err(format!(
                "duplicate settings key [{key}] found, previous value [{previous:?}], current value [{value:?}]"
            ));
        }
    }
    Ok(())
}

/// `${NAME}` and `${NAME:default}` from the environment (`PropertyPlaceholder`).
fn substitute(s: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unterminated placeholder in [{s}]"))?;
        let (name, default) = match after[..end].split_once(':') {
            Some((n, d)) => (n, Some(d)),
            None => (&after[..end], None),
        };
        match (std::env::var(name), default) {
            (Ok(v), _) => out.push_str(&v),
            (Err(_), Some(d)) => out.push_str(d),
            (Err(_), None) => return Err(format!("Could not resolve placeholder '{name}'")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The node's `elasticsearch.keystore` (secure settings), if there is one.
pub struct Secure(Option<EsKeystore>);

impl Secure {
    /// Opens `<config>/elasticsearch.keystore` without a password, as a node
    /// started without `KEYSTORE_PASSWORD` does; a missing file holds nothing.
    pub fn load(config_dir: &Path) -> Result<Secure, String> {
        let path = esmtls::keystore::elasticsearch::path_in(config_dir);
        if !path.exists() {
            return Ok(Secure(None));
        }
        EsKeystore::load(&path, None)
            .map(|k| Secure(Some(k)))
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// A secure setting as text (`None` when absent or empty).
    pub fn get(&self, name: &str) -> Option<String> {
        let v = self.0.as_ref()?.get_string(name)?;
        Some(v.expose().to_string()).filter(|s| !s.is_empty())
    }
}

/// A password from a secure setting or its legacy plain-text setting, as
/// `SslConfigurationLoader.resolvePasswordSetting` resolves it (both set is an
/// error; neither is the empty password).
pub fn password(
    settings: &Settings,
    secure: &Secure,
    prefix: &str,
    secure_key: &str,
    legacy_key: &str,
) -> Result<String, String> {
    let s = secure.get(&format!("{prefix}{secure_key}"));
    let l = settings.get(&format!("{prefix}{legacy_key}"));
    match (s, l) {
        (Some(_), Some(_)) => Err(format!(
            "cannot specify both [{prefix}{secure_key}] and [{prefix}{legacy_key}]"
        )),
        (Some(s), None) => Ok(s),
        (None, Some(l)) => Ok(l.to_string()),
        (None, None) => Ok(String::new()),
    }
}
