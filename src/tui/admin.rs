//! The Elasticsearch admin credentials the wizard asks for on step 0 when the
//! environment has none, for the API requests of the plan and the apply
//! (license, service token, role mapping, password change).
//!
//! Invariants: they are never part of `Answers` (the answers file is saved
//! to disk), never saved, never logged; the password is a [`Secret`] (its
//! `Debug` prints `***`), edited character by character without a plain
//! copy, and lives in the model for this run only; credentials in the
//! environment win (`commands::context::cluster_with`), so then none is asked.

use esmtls::es::Auth;
use esmtls::secret::Secret;

/// The form key of the admin user field (not an answers key).
pub const USER_KEY: &str = "admin.user";
/// The form key of the masked admin password field (not an answers key).
pub const PASSWORD_KEY: &str = "admin.password";
/// The user when the field is left empty.
pub const DEFAULT_USER: &str = "elastic";

/// The admin credentials of this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creds {
    /// The environment variables holding admin credentials (names only);
    /// `None`: the wizard asks.
    pub env: Option<&'static str>,
    /// The user typed on step 0.
    pub user: String,
    /// The password typed on step 0 (empty: the requests go to a file).
    pub password: Secret,
}

impl Default for Creds {
    fn default() -> Self {
        Creds {
            env: None,
            user: DEFAULT_USER.to_string(),
            password: Secret::empty(),
        }
    }
}

impl Creds {
    /// True when step 0 asks for them (the environment has none).
    pub fn ask(&self) -> bool {
        self.env.is_none()
    }

    /// What goes with a plan or an apply: the typed user and password, when
    /// a password was typed and the environment has none.
    pub fn auth(&self) -> Option<Auth> {
        if !self.ask() || self.password.is_empty() {
            return None;
        }
        let user = self.user.trim();
        Some(Auth::Basic {
            username: if user.is_empty() { DEFAULT_USER } else { user }.to_string(),
            password: self.password.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_typed_password_without_env_credentials_is_sent() {
        let mut c = Creds::default();
        assert_eq!(c.auth(), None);
        c.password = Secret::new("pw");
        c.user = " ".into();
        assert_eq!(
            c.auth(),
            Some(Auth::Basic {
                username: "elastic".into(),
                password: Secret::new("pw")
            })
        );
        c.env = Some(esmtls::es::ENV_API_KEY);
        assert_eq!(c.auth(), None);
        assert!(!format!("{c:?}").contains("pw\""));
    }
}
