//! [`Auth`]: the credentials sent with each request, and where they come from.
//!
//! Invariants: values are [`Secret`]s and never printed; [`Auth::describe`]
//! names the kind of credential (and the user for Basic) so a 401 can say which
//! credentials were refused; the `Authorization` header is built in zeroized
//! memory and marked sensitive. The password may come from a file named by
//! `ESMTLS_ES_PASSWORD_FILE` (`/dev/stdin` for a pipe, as the Ansible role
//! passes it), read once per process, so it never sits in the environment.

use std::path::Path;
use std::sync::OnceLock;

use base64::Engine;
use zeroize::Zeroizing;

use super::EsError;
use crate::secret::Secret;

/// Variable holding the user name for Basic authentication.
pub const ENV_USERNAME: &str = "ESMTLS_ES_USERNAME";
/// Variable holding the password for Basic authentication.
pub const ENV_PASSWORD: &str = "ESMTLS_ES_PASSWORD";
/// Variable holding an API key (the encoded value ES prints).
pub const ENV_API_KEY: &str = "ESMTLS_ES_API_KEY";
/// Variable naming a file that holds the password (first line ending
/// stripped), instead of [`ENV_PASSWORD`]; `/dev/stdin` reads a pipe.
pub const ENV_PASSWORD_FILE: &str = "ESMTLS_ES_PASSWORD_FILE";

/// How requests authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// No `Authorization` header: the client certificate alone (PKI realm), or anonymous.
    None,
    /// A user and password (`Authorization: Basic`).
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: Secret,
    },
    /// An API key, the `encoded` value as ES prints it (`Authorization: ApiKey`).
    ApiKey(Secret),
    /// A service account token (`Authorization: Bearer`).
    Bearer(Secret),
}

impl Auth {
    /// Credentials from `ESMTLS_ES_USERNAME` + `ESMTLS_ES_PASSWORD` (or
    /// `ESMTLS_ES_PASSWORD_FILE`), or `ESMTLS_ES_API_KEY`; `None` when none is set.
    /// The password file is read at the first call and kept for the process
    /// (standard input can be read only once).
    pub fn from_env() -> Result<Option<Auth>, EsError> {
        static FROM_FILE: OnceLock<Result<Option<Secret>, String>> = OnceLock::new();
        let file = FROM_FILE
            .get_or_init(|| password_file(std::env::var(ENV_PASSWORD_FILE).ok()))
            .clone()
            .map_err(file_error)?;
        Self::from_sources(|name| std::env::var(name).ok(), file)
    }

    /// [`Auth::from_env`] with the variables looked up by `get` (empty values
    /// count as unset); a password file is read now.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Option<Auth>, EsError> {
        let file = password_file(get(ENV_PASSWORD_FILE)).map_err(file_error)?;
        Self::from_sources(get, file)
    }

    fn from_sources(
        get: impl Fn(&str) -> Option<String>,
        file: Option<Secret>,
    ) -> Result<Option<Auth>, EsError> {
        let get = |name: &str| get(name).filter(|v| !v.is_empty());
        let user = get(ENV_USERNAME);
        if file.is_some() && get(ENV_PASSWORD).is_some() {
            return Err(EsError::Env {
                variable: ENV_PASSWORD_FILE,
                reason: format!("set either {ENV_PASSWORD} or {ENV_PASSWORD_FILE}, not both"),
            });
        }
        let password = get(ENV_PASSWORD).map(Secret::new).or(file);
        let api_key = get(ENV_API_KEY).map(Secret::new);
        match (user, password, api_key) {
            (None, None, None) => Ok(None),
            (Some(_), _, Some(_)) => Err(EsError::Env {
                variable: ENV_API_KEY,
                reason: format!(
                    "set either {ENV_API_KEY} or {ENV_USERNAME}/{ENV_PASSWORD}, not both"
                ),
            }),
            (None, None, Some(key)) => Ok(Some(Auth::ApiKey(key))),
            (Some(username), Some(password), None) => Ok(Some(Auth::Basic { username, password })),
            (Some(username), None, None) => Err(EsError::Env {
                variable: ENV_PASSWORD,
                reason: format!(
                    "{ENV_USERNAME} is set ({username}) but the password is not; set {ENV_PASSWORD} (or {ENV_PASSWORD_FILE}) too"
                ),
            }),
            (None, Some(_), _) => Err(EsError::Env {
                variable: ENV_USERNAME,
                reason: format!(
                    "a password is set ({ENV_PASSWORD} or {ENV_PASSWORD_FILE}) but the user name is not; set {ENV_USERNAME} too"
                ),
            }),
        }
    }

    /// How a 401 names credentials that came from the environment: the
    /// variables [`Auth::from_env`] reads.
    pub fn env_names() -> String {
        format!("{ENV_USERNAME} + {ENV_PASSWORD} or {ENV_API_KEY}")
    }

    /// The environment variables [`Auth::from_env`] would read the admin
    /// credentials from, when any is set (names only, never a value).
    pub fn env_source() -> Option<&'static str> {
        Self::source_in(|name| std::env::var(name).ok())
    }

    /// [`Auth::env_source`] with the variables looked up by `get`.
    pub fn source_in(get: impl Fn(&str) -> Option<String>) -> Option<&'static str> {
        let set = |name: &str| get(name).is_some_and(|v| !v.is_empty());
        if set(ENV_API_KEY) {
            Some(ENV_API_KEY)
        } else if set(ENV_PASSWORD_FILE) {
            Some("ESMTLS_ES_USERNAME and ESMTLS_ES_PASSWORD_FILE")
        } else if set(ENV_USERNAME) || set(ENV_PASSWORD) {
            Some("ESMTLS_ES_USERNAME and ESMTLS_ES_PASSWORD")
        } else {
            None
        }
    }

    /// What these credentials are, without their value ("user 'elastic' and its password").
    pub fn describe(&self) -> String {
        match self {
            Auth::None => "the request without credentials (client certificate only)".into(),
            Auth::Basic { username, .. } => format!("user '{username}' and its password"),
            Auth::ApiKey(_) => "the API key".into(),
            Auth::Bearer(_) => "the service account token".into(),
        }
    }

    /// The `Authorization` header value, if any.
    pub(crate) fn header(&self) -> Option<Zeroizing<String>> {
        match self {
            Auth::None => None,
            Auth::Basic { username, password } => {
                let raw = Zeroizing::new(format!("{username}:{}", password.expose()));
                let enc = Zeroizing::new(
                    base64::engine::general_purpose::STANDARD.encode(raw.as_bytes()),
                );
                Some(Zeroizing::new(format!("Basic {}", enc.as_str())))
            }
            Auth::ApiKey(k) => Some(Zeroizing::new(format!("ApiKey {}", k.expose()))),
            Auth::Bearer(t) => Some(Zeroizing::new(format!("Bearer {}", t.expose()))),
        }
    }
}

/// Why [`password_file`] refused, as the error of its variable.
fn file_error(reason: String) -> EsError {
    EsError::Env {
        variable: ENV_PASSWORD_FILE,
        reason,
    }
}

/// The password in the file `path` names (None: no file named). An empty
/// password is an error: an empty pipe means the password never arrived.
fn password_file(path: Option<String>) -> Result<Option<Secret>, String> {
    let Some(path) = path.filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let s = Secret::from_file(Path::new(&path)).map_err(|e| e.to_string())?;
    if s.is_empty() {
        return Err(format!("{path} holds no password"));
    }
    Ok(Some(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> Result<Option<Auth>, EsError> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Auth::from_vars(|n| m.get(n).cloned())
    }

    #[test]
    fn reads_the_environment() {
        assert_eq!(vars(&[]).unwrap(), None);
        assert_eq!(
            vars(&[(ENV_USERNAME, "elastic"), (ENV_PASSWORD, "pw")]).unwrap(),
            Some(Auth::Basic {
                username: "elastic".into(),
                password: Secret::new("pw")
            })
        );
        assert_eq!(
            vars(&[(ENV_API_KEY, "abc")]).unwrap(),
            Some(Auth::ApiKey(Secret::new("abc")))
        );
        let e = vars(&[(ENV_USERNAME, "elastic")]).unwrap_err().to_string();
        assert!(e.starts_with("ESMTLS_ES_PASSWORD:"), "{e}");
        let e = vars(&[(ENV_PASSWORD, "pw")]).unwrap_err().to_string();
        assert!(e.starts_with("ESMTLS_ES_USERNAME:"), "{e}");
        assert!(!e.contains("pw "));
        assert!(vars(&[(ENV_USERNAME, "u"), (ENV_API_KEY, "k")]).is_err());
        let src = |pairs: &[(&str, &str)]| {
            let m: HashMap<String, String> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Auth::source_in(|n| m.get(n).cloned())
        };
        assert_eq!(src(&[]), None);
        assert_eq!(src(&[(ENV_PASSWORD, "")]), None);
        assert_eq!(src(&[(ENV_API_KEY, "k")]), Some(ENV_API_KEY));
        assert!(src(&[(ENV_PASSWORD, "pw")]).unwrap().contains(ENV_USERNAME));
    }

    #[test]
    fn reads_the_password_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\n").unwrap();
        let f = file.display().to_string();
        let f = f.as_str();
        assert_eq!(
            vars(&[(ENV_USERNAME, "elastic"), (ENV_PASSWORD_FILE, f)]).unwrap(),
            Some(Auth::Basic {
                username: "elastic".into(),
                password: Secret::new("s3cret")
            })
        );
        let e = vars(&[
            (ENV_USERNAME, "elastic"),
            (ENV_PASSWORD_FILE, f),
            (ENV_PASSWORD, "pw"),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("ESMTLS_ES_PASSWORD_FILE:") && e.contains("not both"),
            "{e}"
        );
        std::fs::write(&file, "\n").unwrap();
        let e = vars(&[(ENV_USERNAME, "elastic"), (ENV_PASSWORD_FILE, f)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("holds no password"), "{e}");
        let missing = dir.path().join("missing").display().to_string();
        let e = vars(&[
            (ENV_USERNAME, "elastic"),
            (ENV_PASSWORD_FILE, missing.as_str()),
        ])
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("ESMTLS_ES_PASSWORD_FILE: cannot read"),
            "{e}"
        );
        std::fs::write(&file, "s3cret").unwrap();
        let e = vars(&[(ENV_PASSWORD_FILE, f)]).unwrap_err().to_string();
        assert!(
            e.starts_with("ESMTLS_ES_USERNAME:") && !e.contains("s3cret"),
            "{e}"
        );
    }

    #[test]
    fn headers() {
        let basic = Auth::Basic {
            username: "elastic".into(),
            password: Secret::new("changeme"),
        };
        assert_eq!(
            basic.header().unwrap().as_str(),
            "Basic ZWxhc3RpYzpjaGFuZ2VtZQ=="
        );
        assert_eq!(
            Auth::Bearer(Secret::new("t")).header().unwrap().as_str(),
            "Bearer t"
        );
        assert!(!format!("{basic:?} {}", basic.describe()).contains("changeme"));
    }
}
