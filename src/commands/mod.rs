//! Subcommand implementations: each parses nothing and decides nothing that
//! the core could; it calls `esmtls::…` and prints.

pub mod answers;
pub mod cert;
pub mod cluster;
pub mod cluster_calls;
pub mod common;
pub mod context;
pub mod doctor;
pub mod guide;
pub mod interrupt;
pub mod keystore;
pub mod plan;
pub mod renew;
pub mod session;
pub mod status;
