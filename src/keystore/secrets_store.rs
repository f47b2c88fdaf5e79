//! esmtls's own secrets (placeholder, filled in below).
