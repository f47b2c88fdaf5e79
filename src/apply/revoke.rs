//! Kibana's replaced credentials: once the new one is verified, the old one
//! is revoked (`esmtls apply --revoke-replaced`, or the wizard through
//! [`revoke_replaced`]), or the operator is told that it still works and
//! how to revoke it ([`still_valid`]).
//!
//! What Elasticsearch allows (elastic/elasticsearch x-pack/plugin/security,
//! `action/service/TransportDeleteServiceAccountTokenAction.java` and
//! `authc/service/IndexServiceAccountTokenStore.java`): the delete API
//! (`DELETE /_security/service/elastic/kibana/credential/token/<name>`)
//! removes a token of the security index and answers `found: false` for
//! any other; a file token (`service_tokens`, made by
//! `bin/elasticsearch-service-tokens`) is only removed with that tool, on
//! every node. A password cannot be revoked, only changed.

use crate::plan::setup::Cluster;
use crate::plan::types::Replaced;

/// What became of one replaced credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoked {
    /// The token was deleted through the API.
    Deleted(String),
    /// There is no such token any more (nothing to revoke).
    Gone(String),
    /// A file token: the API cannot delete it; the line says what to do.
    FileToken(String),
    /// A password: it cannot be revoked; the line says what to do.
    Password(String),
    /// The request failed (the token may still be valid).
    Failed(String, String),
}

impl Revoked {
    /// One line for the operator.
    pub fn line(&self) -> String {
        match self {
            Revoked::Deleted(n) => format!(
                "revoked: the replaced service token elastic/kibana/{n} (DELETE {})",
                path(n)
            ),
            Revoked::Gone(n) => format!(
                "the replaced service token elastic/kibana/{n} no longer exists in Elasticsearch; nothing to revoke"
            ),
            Revoked::FileToken(n) => format!(
                "not revoked: the replaced service token elastic/kibana/{n} is a file token, which the API cannot delete; run `bin/elasticsearch-service-tokens delete elastic/kibana {n}` on every node"
            ),
            Revoked::Password(u) => password_line(u),
            Revoked::Failed(n, why) => format!(
                "not revoked: the replaced service token elastic/kibana/{n} ({why}); it is still valid: delete it with DELETE {}",
                path(n)
            ),
        }
    }

    /// True when the credential needs no more attention from esmtls.
    pub fn settled(&self) -> bool {
        !matches!(self, Revoked::Failed(..))
    }
}

fn path(name: &str) -> String {
    format!("/_security/service/elastic/kibana/credential/token/{name}")
}

fn password_line(user: &str) -> String {
    format!(
        "the replaced {user} password still works in Elasticsearch (a password cannot be revoked, only changed); once nothing else uses it, give it a value nobody knows: `bin/elasticsearch-reset-password -u {user}`"
    )
}

/// Revokes each replaced credential that can be revoked; one outcome each.
/// Call it only once the new credential is verified.
pub fn revoke_replaced(
    replaced: &[Replaced],
    cluster: &mut dyn Cluster,
) -> Vec<(Replaced, Revoked)> {
    let files = cluster.service_tokens().ok().map(|t| t.file);
    replaced
        .iter()
        .map(|r| {
            let out = match r {
                Replaced::Password { user } => Revoked::Password(user.clone()),
                Replaced::ServiceToken { name } => {
                    if files.as_ref().is_some_and(|f| f.contains(name)) {
                        Revoked::FileToken(name.clone())
                    } else {
                        match cluster.revoke_service_token(name) {
                            Ok(true) => Revoked::Deleted(name.clone()),
                            Ok(false) => Revoked::Gone(name.clone()),
                            Err(e) => Revoked::Failed(name.clone(), e.0),
                        }
                    }
                }
            };
            (r.clone(), out)
        })
        .collect()
}

/// The lines that say which replaced credential is still valid and how to revoke it.
pub fn still_valid(replaced: &[Replaced]) -> Vec<String> {
    replaced
        .iter()
        .map(|r| match r {
            Replaced::ServiceToken { name } => format!(
                "still valid: the replaced service token elastic/kibana/{name}; revoke it with `esmtls apply --revoke-replaced` (or DELETE {})",
                path(name)
            ),
            Replaced::Password { user } => password_line(user),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_name_the_token_and_what_to_do() {
        let t = Replaced::ServiceToken {
            name: "enroll-process-token-1".into(),
        };
        let l = still_valid(std::slice::from_ref(&t));
        assert!(
            l[0].contains("elastic/kibana/enroll-process-token-1"),
            "{l:?}"
        );
        assert!(l[0].contains("--revoke-replaced"), "{l:?}");
        let f = Revoked::FileToken("f1".into()).line();
        assert!(f.contains("bin/elasticsearch-service-tokens delete elastic/kibana f1"));
        assert!(Revoked::Deleted("a".into()).line().starts_with("revoked: "));
        assert!(!Revoked::Failed("a".into(), "500".into()).settled());
    }
}
