//! The plan: the five modes, the nine steps, the guided license choice, and
//! (built from answers and detection) the list of changes that both the wizard
//! and `esmtls apply` execute.

pub mod mode;

pub use mode::{Applies, Credential, License, Mode, Step, applies};
