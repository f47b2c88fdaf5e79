//! esmtls core: everything that Kibana ↔ Elasticsearch TLS setup needs, with no
//! terminal code. The `esmtls` binary (CLI and TUI) is a thin shell over it.
//!
//! Modules: [`pki`] (keys, certificates, PKCS#12, PEM), [`fsutil`] (the one
//! atomic, backed-up file writer), [`secret`] (a password type that never prints).
#![forbid(unsafe_code)]

pub mod apply;
pub mod cluster;
pub mod detect;
pub mod es;
pub mod fsutil;
pub mod keystore;
pub mod lifecycle;
pub mod pki;
pub mod plan;
pub mod secret;
pub mod session;
pub mod yaml;
