//! The plan: the five modes, the nine steps, the guided license choice, and
//! (built from answers and detection) the list of changes that both the wizard
//! and `esmtls apply` execute.

pub mod guide;
pub mod mode;

pub use guide::{
    Availability, GuideError, GuideInput, LicenseSource, ModeOption, Recommendation, check_choice,
    recommend,
};
pub use mode::{Applies, Credential, License, Mode, Step, applies};
