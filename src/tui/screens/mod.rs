//! One module per screen: its `State`, its part of `update`, its `view`.
//! Screens read the shared [`Model`](super::app::Model) (the answers flow
//! through all of them) and change only their own state plus the answers.

pub mod apply;
pub mod doctor;
pub mod finish;
pub mod guide;
pub mod renew;
pub mod renew_review;
pub mod review;
pub mod start;
pub mod steps;
