//! The answers that are "auto, or what the operator says": client
//! authentication, the PKI realm's order, the restart commands and where
//! esmtls keeps its CA password. Each spells `auto` for "what esmtls would
//! pick from the mode and detection", so an answers file without them, and
//! one the wizard saved with the defaults, plan the same.
//!
//! Invariant: a value that parses is usable — a restart command is split
//! into argv here (never run through a shell) and is never empty.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `elasticsearch.client_authentication` (step 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientAuth {
    /// The mode's: `required` for mtls-*, `optional` for pki, unset otherwise.
    #[default]
    Auto,
    /// A connection without a client certificate is refused.
    Required,
    /// A certificate is asked for; a connection without one is still accepted.
    Optional,
}

/// `secrets.ca_password`: where esmtls keeps its CA's password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretStoreChoice {
    /// The Secret Service when one answers, else the 0600 file
    /// (`ESMTLS_SECRET_STORE=file` forces the file).
    #[default]
    Auto,
    /// The Secret Service (GNOME Keyring, KWallet, KeePassXC…); an error when none answers.
    Keyring,
    /// The 0600 file under esmtls's data directory.
    File,
}

impl SecretStoreChoice {
    /// The answers-file spelling.
    pub fn name(self) -> &'static str {
        match self {
            SecretStoreChoice::Auto => "auto",
            SecretStoreChoice::Keyring => "keyring",
            SecretStoreChoice::File => "file",
        }
    }
}

/// `pki.order`: the PKI realm's place in the realm chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RealmOrder {
    /// Keep esmtls's realm where it is when it is already first, else put it
    /// just before the lowest existing realm (1 when there is none).
    #[default]
    Auto,
    /// This order.
    Fixed(i32),
}

impl fmt::Display for RealmOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RealmOrder::Auto => f.write_str("auto"),
            RealmOrder::Fixed(n) => write!(f, "{n}"),
        }
    }
}

impl RealmOrder {
    /// Parses `auto` or an integer (what the wizard's field holds).
    pub fn parse(s: &str) -> Result<RealmOrder, String> {
        let s = s.trim();
        if s == "auto" {
            return Ok(RealmOrder::Auto);
        }
        s.parse().map(RealmOrder::Fixed).map_err(|_| {
            format!("`{s}` is not `auto` or a whole number (Elasticsearch's realm order is a 32-bit integer)")
        })
    }
}

impl Serialize for RealmOrder {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RealmOrder::Auto => s.serialize_str("auto"),
            RealmOrder::Fixed(n) => s.serialize_i32(*n),
        }
    }
}

impl<'de> Deserialize<'de> for RealmOrder {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = RealmOrder;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`auto` or a whole number")
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<RealmOrder, E> {
                RealmOrder::parse(&n.to_string()).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<RealmOrder, E> {
                RealmOrder::parse(&n.to_string()).map_err(E::custom)
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<RealmOrder, E> {
                RealmOrder::parse(s).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// `elasticsearch.restart` / `kibana.restart` (steps 5 and 9).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Restart {
    /// What detection found: systemd, a container, an archive install (or
    /// only a reminder when it found none).
    #[default]
    Auto,
    /// Never run anything; the plan only reminds to restart.
    None,
    /// This program and its arguments, run without a shell.
    Command(Vec<String>),
}

/// Words a shell would treat specially; without a shell they would be passed
/// to the program as arguments, which is never what the operator meant.
const SHELL_WORDS: &[&str] = &["&&", "||", ";", "|", ">", ">>", "<", "&"];

impl Restart {
    /// Parses `auto`, `none` or a command line, split like a POSIX shell
    /// splits words (quotes, backslashes) but never run through one.
    pub fn parse(s: &str) -> Result<Restart, String> {
        match s.trim() {
            "auto" => return Ok(Restart::Auto),
            "none" => return Ok(Restart::None),
            "" => {
                return Err(
                    "empty: use `auto` (the detected method), `none` (only a reminder) or a command such as \"systemctl restart elasticsearch\"".into(),
                );
            }
            _ => {}
        }
        let argv = shlex::split(s)
            .ok_or_else(|| format!("`{s}` has an unclosed quote or a trailing backslash"))?;
        if argv.is_empty() {
            return Err("the command is empty".into());
        }
        let shell_like = |w: &&String| {
            SHELL_WORDS.contains(&w.as_str())
                || w.ends_with(';')
                || w.starts_with(['|', '>', '<'])
                || ["&&", "||", "$(", "`"].iter().any(|x| w.contains(x))
        };
        if let Some(w) = argv.iter().find(shell_like) {
            return Err(format!(
                "`{s}`: the command is run without a shell, so `{w}` would reach the program as an argument; put the commands in a script and give its path"
            ));
        }
        Ok(Restart::Command(argv))
    }

    /// The text an answers file (and the wizard's field) holds.
    pub fn text(&self) -> String {
        match self {
            Restart::Auto => "auto".into(),
            Restart::None => "none".into(),
            Restart::Command(argv) => {
                shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" "))
            }
        }
    }
}

impl Serialize for Restart {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl<'de> Deserialize<'de> for Restart {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Restart;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`auto`, `none` or a command")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Restart, E> {
                Restart::parse(s).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_words() {
        assert_eq!(Restart::parse("auto"), Ok(Restart::Auto));
        assert_eq!(Restart::parse(" none "), Ok(Restart::None));
        assert_eq!(
            Restart::parse("sudo systemctl restart 'elastic search'"),
            Ok(Restart::Command(vec![
                "sudo".into(),
                "systemctl".into(),
                "restart".into(),
                "elastic search".into()
            ]))
        );
        assert!(Restart::parse("").unwrap_err().contains("auto"));
        assert!(Restart::parse("a 'b").unwrap_err().contains("quote"));
        assert!(Restart::parse("a && b").unwrap_err().contains("script"));
        assert!(Restart::parse("a b; c").unwrap_err().contains("`b;`"));
        assert!(Restart::parse("a $(b)").is_err());
        assert!(Restart::parse("a >log").is_err());
        let r = Restart::parse("/opt/x/restart.sh \"a b\"").unwrap();
        assert_eq!(Restart::parse(&r.text()).unwrap(), r);
    }

    #[test]
    fn order_words() {
        assert_eq!(RealmOrder::parse("auto"), Ok(RealmOrder::Auto));
        assert_eq!(RealmOrder::parse("-3"), Ok(RealmOrder::Fixed(-3)));
        assert!(RealmOrder::parse("first").is_err());
        assert!(RealmOrder::parse("99999999999").is_err());
    }
}
