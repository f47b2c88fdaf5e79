//! The output folders used when a side is not installed here, and the
//! `README.txt` that says where each file written there goes on a real install.
//!
//! Invariant: the README only names files and destinations; it never holds a
//! secret (passwords go to keystores, and the README says which entry).

use std::path::{Path, PathBuf};

use super::locate::Product;

/// The default output folder, relative to the working directory.
pub const DEFAULT_OUT_DIR: &str = "esmtls-out";

/// The parent of a path (`.` for a bare name, the path itself for `/`).
pub(crate) fn parent(p: &Path) -> PathBuf {
    match p.parent() {
        Some(q) if q.as_os_str().is_empty() => PathBuf::from("."),
        Some(q) => q.to_path_buf(),
        None => p.to_path_buf(),
    }
}

/// The `README.txt` for one side's output folder. `files` lists
/// `(file name, destination on a real install, what it is)`.
pub fn render_readme(product: Product, files: &[(&str, &str, &str)]) -> String {
    let (conf, env, restart) = match product {
        Product::Elasticsearch => (
            "/etc/elasticsearch (package), <home>/config (archive) or /usr/share/elasticsearch/config (Docker)",
            "ES_PATH_CONF",
            "systemctl restart elasticsearch.service",
        ),
        Product::Kibana => (
            "/etc/kibana (package), <home>/config (archive) or /usr/share/kibana/config (Docker)",
            "KBN_PATH_CONF",
            "systemctl restart kibana.service",
        ),
    };
    let mut s = format!(
        "{title} files made by esmtls\n\
         {underline}\n\n\
         {title} is not installed on the machine where esmtls ran, so these files were\n\
         written here instead. Copy each one to the place given below, on the machine\n\
         that runs {title}. \"config\" is {title}'s config directory: {conf};\n\
         if {env} is set, it is that directory.\n\n",
        title = product.title(),
        underline = "=".repeat(product.title().len() + 22),
    );
    if files.is_empty() {
        s.push_str("(no files were written for this side)\n");
    }
    let width = files.iter().map(|(n, _, _)| n.len()).max().unwrap_or(0);
    for (name, dest, what) in files {
        s.push_str(&format!(
            "  {name:<width$}  ->  {dest}\n  {:<width$}      {what}\n",
            ""
        ));
    }
    s.push_str(&format!(
        "\nKeep private keys and keystores readable only by the {name} user\n\
         (chmod 600 or 660 with group {name}); certificates may be 644.\n\
         Then restart {title} (for a package install: {restart}).\n",
        name = product.name(),
        title = product.title(),
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_lists_each_file_with_its_destination() {
        let t = render_readme(
            Product::Kibana,
            &[
                (
                    "kibana-client.p12",
                    "config/kibana-client.p12",
                    "Kibana's client certificate and key",
                ),
                (
                    "kibana.yml.snippet",
                    "append to config/kibana.yml",
                    "settings",
                ),
            ],
        );
        assert!(t.starts_with("Kibana files made by esmtls\n"));
        assert!(t.contains("kibana-client.p12   ->  config/kibana-client.p12\n"));
        assert!(t.contains("KBN_PATH_CONF"));
        assert!(t.contains("systemctl restart kibana.service"));
    }

    #[test]
    fn parent_of_bare_name_is_dot() {
        assert_eq!(parent(Path::new("x")), PathBuf::from("."));
        assert_eq!(parent(Path::new("/a/b")), PathBuf::from("/a"));
    }
}
