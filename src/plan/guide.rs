//! Placeholder: replaced by the guide module.
use super::mode::{License, Mode};

/// Why a choice is refused.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct GuideError(pub String);

/// Checks the mode against the license.
pub fn check_choice(mode: Mode, license: Option<License>, override_pki: bool) -> Result<Vec<String>, GuideError> {
    if mode != Mode::Pki || license.is_some_and(|l| l.allows_pki()) {
        return Ok(Vec::new());
    }
    if override_pki {
        return Ok(vec!["pki on a license that does not allow the PKI realm: Elasticsearch will silently skip it".into()]);
    }
    match license {
        Some(l) => Err(GuideError(format!("the `pki` mode needs the PKI realm, which the {l} license does not allow; set `allow_unlicensed_pki: true` to go on anyway"))),
        None => Ok(vec!["the license is unknown; the `pki` mode needs Platinum, Enterprise or a trial".into()]),
    }
}
