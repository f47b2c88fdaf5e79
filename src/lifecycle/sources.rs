//! Which files a setup uses for TLS, read from the settings in both yml
//! files, with the password each PKCS#12 needs taken from the keystores.
//!
//! Elasticsearch: `xpack.security.{http,transport}.ssl.{keystore.path,
//! truststore.path, certificate, key, certificate_authorities}` and every PKI
//! realm's `certificate_authorities` / `truststore.path`, resolved against the
//! config directory. Kibana: `elasticsearch.ssl.*` and `server.ssl.*`,
//! relative paths resolved against Kibana's home (its working directory as a
//! service), else the config directory's parent.
//!
//! Invariant: a password is looked up in the keystore first, then in the yml
//! (plain-text settings still work, the doctor reports them); a PKCS#12 with
//! no password setting is opened with the empty password, as both products do.

use std::path::{Path, PathBuf};

use super::Context;
pub use super::roles::{Role, Side};
use crate::keystore::{EsKeystore, KibanaKeystore};
use crate::secret::Secret;
use crate::yaml::YamlFile;

/// How a file holds its certificates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    /// A PKCS#12 keystore (key entries and their chains).
    Keystore,
    /// A PKCS#12 truststore (trusted certificates).
    Truststore,
    /// A PEM certificate (chain) with its PEM key file, if set.
    PemPair {
        /// The key file.
        key: Option<PathBuf>,
    },
    /// PEM CA certificates.
    PemCas,
}

/// One file named by one setting.
pub struct Source {
    /// Elasticsearch or Kibana.
    pub side: Side,
    /// What it is for.
    pub role: Role,
    /// The setting that names it.
    pub setting: String,
    /// The yml file and line of that setting.
    pub yml: PathBuf,
    /// 1-based line of the setting.
    pub line: Option<usize>,
    /// The file, resolved.
    pub path: PathBuf,
    /// How it holds certificates.
    pub form: Form,
    /// The PKCS#12 password (or the PEM key's passphrase); never printed.
    pub password: Option<Secret>,
    /// Where that password lives (setting name), for messages.
    pub password_setting: Option<String>,
}

type Lookup<'a> = dyn Fn(&str) -> Option<Secret> + 'a;

/// One TLS context's settings: `<prefix>.{keystore.path, ...}` on one side.
struct Layer<'p> {
    side: Side,
    prefix: &'p str,
    names: [&'static str; 5],
    roles: (Role, Role),
}

fn push_layer(
    out: &mut Vec<Source>,
    yml: &YamlFile,
    layer: Layer<'_>,
    resolve: &dyn Fn(&str) -> PathBuf,
    secret: &Lookup<'_>,
) {
    let Layer {
        side,
        prefix,
        names,
        roles,
    } = layer;
    let [ks, ts, cert, key, cas] = names;
    let get = |k: &str| yml.get(&format!("{prefix}.{k}"));
    let mk = |setting: String, line, path, form, pw: Option<String>| Source {
        side,
        role: if matches!(form, Form::Truststore | Form::PemCas) {
            roles.1
        } else {
            roles.0
        },
        yml: yml.path().to_path_buf(),
        line: Some(line),
        setting,
        path,
        form,
        password: pw.as_deref().and_then(secret),
        password_setting: pw,
    };
    let pw_name = |what: &str| match side {
        Side::Elasticsearch => format!("{prefix}.{what}.secure_password"),
        Side::Kibana => format!("{prefix}.{what}.password"),
    };
    if let Some(s) = get(ks).filter(|s| s.value.as_text().is_some()) {
        let p = resolve(s.value.as_text().unwrap_or_default());
        out.push(mk(
            s.key,
            s.line,
            p,
            Form::Keystore,
            Some(pw_name("keystore")),
        ));
    }
    if let Some(s) = get(ts).filter(|s| s.value.as_text().is_some()) {
        let p = resolve(s.value.as_text().unwrap_or_default());
        out.push(mk(
            s.key,
            s.line,
            p,
            Form::Truststore,
            Some(pw_name("truststore")),
        ));
    }
    if let Some(s) = get(cert).filter(|s| s.value.as_text().is_some()) {
        let keyp = get(key).and_then(|k| k.value.as_text().map(resolve));
        let p = resolve(s.value.as_text().unwrap_or_default());
        let pass = match side {
            Side::Elasticsearch => format!("{prefix}.secure_key_passphrase"),
            Side::Kibana => format!("{prefix}.keyPassphrase"),
        };
        out.push(mk(
            s.key,
            s.line,
            p,
            Form::PemPair { key: keyp },
            Some(pass),
        ));
    }
    if let Some(s) = get(cas) {
        for v in s.value.as_list() {
            out.push(mk(s.key.clone(), s.line, resolve(&v), Form::PemCas, None));
        }
    }
}

const ES_NAMES: [&str; 5] = [
    "keystore.path",
    "truststore.path",
    "certificate",
    "key",
    "certificate_authorities",
];
const KB_NAMES: [&str; 5] = [
    "keystore.path",
    "truststore.path",
    "certificate",
    "key",
    "certificateAuthorities",
];

/// Every TLS file both yml files name, in setting order (Elasticsearch first).
pub fn sources(ctx: &Context) -> Vec<Source> {
    let mut out = Vec::new();
    if let Some(es) = &ctx.detected.es
        && let Ok(yml) = YamlFile::read(&es.yml)
    {
        let ks = EsKeystore::load(&es.keystore.path, ctx.es_keystore_password.as_ref()).ok();
        let secret = |name: &str| {
            ks.as_ref()
                .and_then(|k| k.get_string(name))
                .or_else(|| plain(&yml, name))
        };
        let dir = es.config_dir.clone();
        let resolve = |p: &str| resolve_in(&dir, p);
        let layers = [
            ("xpack.security.http.ssl", (Role::EsHttp, Role::EsHttpTrust)),
            (
                "xpack.security.transport.ssl",
                (Role::EsTransport, Role::EsTransportTrust),
            ),
        ];
        for (prefix, roles) in layers {
            let layer = Layer {
                side: Side::Elasticsearch,
                prefix,
                names: ES_NAMES,
                roles,
            };
            push_layer(&mut out, &yml, layer, &resolve, &secret);
        }
        for realm in es.realms.iter().filter(|r| r.realm_type == "pki") {
            let prefix = format!("xpack.security.authc.realms.pki.{}", realm.name);
            let names = ["-", "truststore.path", "-", "-", "certificate_authorities"];
            let roles = (Role::PkiRealmTrust, Role::PkiRealmTrust);
            let layer = Layer {
                side: Side::Elasticsearch,
                prefix: &prefix,
                names,
                roles,
            };
            push_layer(&mut out, &yml, layer, &resolve, &secret);
        }
    }
    if let Some(kb) = &ctx.detected.kibana
        && let Ok(yml) = YamlFile::read(&kb.yml)
    {
        let ks =
            KibanaKeystore::load(&kb.keystore.path, ctx.kibana_keystore_password.as_ref()).ok();
        let secret = |name: &str| {
            ks.as_ref()
                .and_then(|k| k.get(name).map(|v| Secret::new(v.expose().to_string())))
                .or_else(|| plain(&yml, name))
        };
        let base = kb
            .home
            .clone()
            .unwrap_or_else(|| crate::fsutil::parent_dir(&kb.config_dir));
        let resolve = |p: &str| resolve_in(&base, p);
        let layers = [
            (
                "elasticsearch.ssl",
                (Role::KibanaClient, Role::KibanaEsTrust),
            ),
            ("server.ssl", (Role::KibanaServer, Role::KibanaServerTrust)),
        ];
        for (prefix, roles) in layers {
            let layer = Layer {
                side: Side::Kibana,
                prefix,
                names: KB_NAMES,
                roles,
            };
            push_layer(&mut out, &yml, layer, &resolve, &secret);
        }
    }
    out
}

/// A password written in plain text in the yml (`…password`, or the
/// deprecated Elasticsearch form without `secure_`).
fn plain(yml: &YamlFile, name: &str) -> Option<Secret> {
    let name = name.replace("secure_password", "password");
    let name = name.replace("secure_key_passphrase", "key_passphrase");
    yml.get(&name)
        .and_then(|s| s.value.as_text().map(|t| Secret::new(t.to_string())))
}

/// `p` against `base` unless absolute.
pub fn resolve_in(base: &Path, p: &str) -> PathBuf {
    let path = Path::new(p);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}
