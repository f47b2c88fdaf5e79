//! Distinguished names: parsing what the operator types, printing what
//! Elasticsearch will see.
//!
//! Input follows certutil: a `--name` without `=` is a common name, with `=` a
//! full DN written most specific first (`CN=kibana,OU=ops,O=Example`). The
//! certificate encodes RDNs in the opposite order (least specific first), as
//! Java's `X500Principal` does for the same string.
//!
//! Output: [`java_string`] is `X500Principal.toString()`, which is what the PKI
//! realm stores as `pki_dn` and matches role mappings against (`CN=kibana, OU=ops,
//! O=Example`); [`rfc2253`] is `getName(RFC2253)` (no spaces, unknown types as
//! `OID=#hex`). Role-mapping DN matching is case- and space-insensitive, but the
//! operator should see the exact string. Written by hand: rcgen only writes
//! names and x509-parser's `Display` uses OpenSSL-style short names.

use rcgen::{DistinguishedName, DnType, DnValue};
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

use super::{PkiError, Result, names};

/// One attribute type we accept in a DN: keyword, OID, and how to encode it.
struct Attr {
    keyword: &'static str,
    aliases: &'static [&'static str],
    oid: &'static [u64],
    /// Keyword Java's `toString()` prints, or None when it prints the OID.
    java: Option<&'static str>,
    /// RFC 2253 keyword, or None when RFC 2253 output uses `OID=#hex`.
    rfc2253: Option<&'static str>,
    ia5: bool,
    /// Upper bound on the value's length in characters, and where it comes from.
    ub: (usize, &'static str),
}

const ATTRS: &[Attr] = &[
    Attr {
        keyword: "CN",
        aliases: &["COMMONNAME"],
        oid: &[2, 5, 4, 3],
        java: Some("CN"),
        rfc2253: Some("CN"),
        ia5: false,
        ub: (64, "X.520 ub-common-name"),
    },
    Attr {
        keyword: "OU",
        aliases: &[],
        oid: &[2, 5, 4, 11],
        java: Some("OU"),
        rfc2253: Some("OU"),
        ia5: false,
        ub: (64, "X.520 ub-organizational-unit-name"),
    },
    Attr {
        keyword: "O",
        aliases: &[],
        oid: &[2, 5, 4, 10],
        java: Some("O"),
        rfc2253: Some("O"),
        ia5: false,
        ub: (64, "X.520 ub-organization-name"),
    },
    Attr {
        keyword: "L",
        aliases: &[],
        oid: &[2, 5, 4, 7],
        java: Some("L"),
        rfc2253: Some("L"),
        ia5: false,
        ub: (128, "X.520 ub-locality-name"),
    },
    Attr {
        keyword: "ST",
        aliases: &["S"],
        oid: &[2, 5, 4, 8],
        java: Some("ST"),
        rfc2253: Some("ST"),
        ia5: false,
        ub: (128, "X.520 ub-state-name"),
    },
    Attr {
        keyword: "C",
        aliases: &[],
        oid: &[2, 5, 4, 6],
        java: Some("C"),
        rfc2253: Some("C"),
        ia5: false,
        ub: (2, "ISO 3166 alpha-2"),
    },
    Attr {
        keyword: "STREET",
        aliases: &[],
        oid: &[2, 5, 4, 9],
        java: Some("STREET"),
        rfc2253: Some("STREET"),
        ia5: false,
        ub: (128, "X.520 ub-street-address"),
    },
    Attr {
        keyword: "DC",
        aliases: &[],
        oid: &[0, 9, 2342, 19200300, 100, 1, 25],
        java: Some("DC"),
        rfc2253: Some("DC"),
        ia5: true,
        ub: (63, "one DNS label"),
    },
    Attr {
        keyword: "UID",
        aliases: &[],
        oid: &[0, 9, 2342, 19200300, 100, 1, 1],
        java: Some("UID"),
        rfc2253: Some("UID"),
        ia5: false,
        ub: (256, "RFC 1274 ub-user-identifier"),
    },
    Attr {
        keyword: "EMAILADDRESS",
        aliases: &["E", "EMAIL"],
        oid: &[1, 2, 840, 113549, 1, 9, 1],
        java: Some("EMAILADDRESS"),
        rfc2253: None,
        ia5: true,
        ub: (255, "RFC 5280 ub-emailaddress-length"),
    },
    Attr {
        keyword: "SERIALNUMBER",
        aliases: &[],
        oid: &[2, 5, 4, 5],
        java: Some("SERIALNUMBER"),
        rfc2253: None,
        ia5: false,
        ub: (64, "X.520 ub-serial-number"),
    },
    Attr {
        keyword: "T",
        aliases: &["TITLE"],
        oid: &[2, 5, 4, 12],
        java: Some("T"),
        rfc2253: None,
        ia5: false,
        ub: (64, "X.520 ub-title"),
    },
];

fn attr_by_keyword(k: &str) -> Option<&'static Attr> {
    let k = k.to_ascii_uppercase();
    ATTRS
        .iter()
        .find(|a| a.keyword == k || a.aliases.contains(&k.as_str()))
}

fn dn_type(a: &Attr) -> DnType {
    match a.keyword {
        "CN" => DnType::CommonName,
        "OU" => DnType::OrganizationalUnitName,
        "O" => DnType::OrganizationName,
        "L" => DnType::LocalityName,
        "ST" => DnType::StateOrProvinceName,
        "C" => DnType::CountryName,
        _ => DnType::CustomDnType(a.oid.to_vec()),
    }
}

/// A parsed DN: (keyword, value) pairs, most specific first, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dn(Vec<(&'static str, String)>);

impl Dn {
    /// The common name, if the DN has one.
    pub fn common_name(&self) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| *k == "CN")
            .map(|(_, v)| v.as_str())
    }

    /// The DN as [`rfc2253`] prints it for a certificate with this subject
    /// (to compare a wanted name with an existing certificate's).
    pub fn rfc2253(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| {
                let key = attr_by_keyword(k).and_then(|a| a.rfc2253).unwrap_or(k);
                format!("{key}={}", rfc2253_value(v))
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The DN as rcgen encodes it (least specific first).
    pub fn to_rcgen(&self) -> Result<DistinguishedName> {
        let mut dn = DistinguishedName::new();
        for (k, v) in self.0.iter().rev() {
            let attr = attr_by_keyword(k)
                .ok_or_else(|| PkiError::Invalid(format!("unknown DN attribute {k}")))?;
            let value = if attr.keyword == "C" {
                DnValue::PrintableString(v.as_str().try_into().map_err(|_| {
                    PkiError::Invalid(format!(
                        "C={}: a country is two letters, e.g. C=DE",
                        names::shown(v)
                    ))
                })?)
            } else if attr.ia5 {
                DnValue::Ia5String(v.as_str().try_into().map_err(|_| {
                    PkiError::Invalid(format!("{k}={}: {k} takes ASCII only", names::shown(v)))
                })?)
            } else {
                DnValue::Utf8String(v.clone())
            };
            dn.push(dn_type(attr), value);
        }
        Ok(dn)
    }
}

/// Parses a name: a plain common name, or a DN when it contains `=`.
/// Messages name no flag; the caller says where the name came from.
pub fn parse_name(name: &str) -> Result<Dn> {
    let name = names::trim(name);
    if name.is_empty() {
        return Err(PkiError::Invalid("the name is empty; give a common name (e.g. kibana) or a DN (e.g. \"CN=kibana,O=Example\")".into()));
    }
    if !name.contains('=') {
        check_value(&ATTRS[0], name)?; // ATTRS[0] is CN
        return Ok(Dn(vec![("CN", name.to_string())]));
    }
    parse_dn(name)
}

/// Refuses a value the standards do not allow for `attr`: a control
/// character, more characters than its upper bound, a country that is not
/// two letters.
fn check_value(attr: &Attr, v: &str) -> Result<()> {
    let bad = |why: String| {
        let shown = names::shown(v);
        Err(PkiError::Invalid(format!(
            "{} '{shown}': {why}",
            attr.keyword
        )))
    };
    if let Err(why) = names::check_printable(v) {
        return bad(why);
    }
    if attr.keyword == "C" && !(v.len() == 2 && v.chars().all(|c| c.is_ascii_alphabetic())) {
        return bad("a country is two letters (ISO 3166), e.g. C=DE".into());
    }
    let ((max, bound), n) = (attr.ub, v.chars().count());
    if n > max {
        let k = attr.keyword;
        return bad(format!(
            "it is {n} characters long; a {k} has at most {max} ({bound}), shorten it"
        ));
    }
    Ok(())
}

/// Splits a DN at unescaped `,` or `;`, resolving backslash escapes.
fn split_rdns(s: &str) -> Result<Vec<String>> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => cur.push(n),
                None => {
                    let s = names::shown(s);
                    return Err(PkiError::Invalid(format!(
                        "DN '{s}' ends with a lone backslash"
                    )));
                }
            },
            ',' | ';' => parts.push(std::mem::take(&mut cur)),
            '+' => {
                let s = names::shown(s);
                return Err(PkiError::Invalid(format!(
                    "DN '{s}': multi-valued RDNs (with '+') are not supported; separate attributes with ','"
                )));
            }
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    Ok(parts)
}

/// Parses a DN string such as `CN=kibana,OU=ops,O=Example` (RFC 2253 escapes
/// allowed). Values with a control character or longer than their
/// attribute's upper bound (RFC 5280 Appendix A: CN 64 characters) are refused.
pub fn parse_dn(s: &str) -> Result<Dn> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let shown = names::shown(s);
    for part in split_rdns(s)? {
        let (attr, v) = parse_rdn(&shown, &part)?;
        if out.iter().any(|(k2, _)| *k2 == attr.keyword) {
            return Err(PkiError::Invalid(format!(
                "DN '{shown}': {} appears twice; esmtls writes each attribute once (use one {}=...)",
                attr.keyword, attr.keyword
            )));
        }
        out.push((attr.keyword, v.to_string()));
    }
    Ok(Dn(out))
}

/// One `TYPE=value` of the DN shown as `shown` in messages: its attribute
/// and its checked value.
fn parse_rdn<'a>(shown: &str, part: &'a str) -> Result<(&'static Attr, &'a str)> {
    let invalid = |why: String| Err(PkiError::Invalid(format!("DN '{shown}': {why}")));
    let Some((k, v)) = part.split_once('=') else {
        let part = names::shown(names::trim(part));
        return invalid(format!("'{part}' is not TYPE=value"));
    };
    let (k, v) = (names::trim(k), names::trim(v));
    if let Err(why) = names::check_printable(k) {
        return invalid(format!("the attribute type '{}': {why}", names::shown(k)));
    }
    let Some(attr) = attr_by_keyword(k) else {
        let known: Vec<_> = ATTRS.iter().map(|a| a.keyword).collect();
        let k = names::shown(k);
        return invalid(format!("unknown attribute '{k}'; use {}", known.join(", ")));
    };
    if v.is_empty() {
        return invalid(format!("{} has an empty value", attr.keyword));
    }
    check_value(attr, v)?;
    Ok((attr, v))
}

fn attr_by_oid(oid: &str) -> Option<&'static Attr> {
    ATTRS.iter().find(|a| {
        a.oid
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(".")
            == oid
    })
}

/// Most specific RDN first (the reverse of the encoding), as Java prints names.
fn render(
    name: &X509Name<'_>,
    ava_sep: &str,
    rdn_sep: &str,
    ava: impl Fn(&AttributeTypeAndValue<'_>) -> String,
) -> String {
    let mut rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| rdn.iter().map(&ava).collect::<Vec<_>>().join(ava_sep))
        .collect();
    rdns.reverse();
    rdns.join(rdn_sep)
}

/// Java's `X500Principal.toString()`: what Elasticsearch's PKI realm reports as `pki_dn`.
pub fn java_string(name: &X509Name<'_>) -> String {
    render(name, " + ", ", ", |ava| {
        let oid = ava.attr_type().to_id_string();
        let key = attr_by_oid(&oid)
            .and_then(|a| a.java)
            .map(str::to_string)
            .unwrap_or_else(|| format!("OID.{oid}"));
        match ava.as_str() {
            Ok(v) => format!("{key}={}", rfc1779_value(v)),
            Err(_) => format!("{key}=#{}", hex::encode(ava.attr_value().data)),
        }
    })
}

/// `X500Principal.getName(RFC2253)`: most specific first, no spaces.
pub fn rfc2253(name: &X509Name<'_>) -> String {
    render(name, "+", ",", |ava| {
        let oid = ava.attr_type().to_id_string();
        match (attr_by_oid(&oid).and_then(|a| a.rfc2253), ava.as_str()) {
            (Some(key), Ok(v)) => format!("{key}={}", rfc2253_value(v)),
            // RFC 2253 `#hex` is the value's full DER (tag, length, content).
            _ => {
                use x509_parser::der_parser::asn1_rs::ToDer;
                format!(
                    "{oid}=#{}",
                    hex::encode(ava.attr_value().to_der_vec().unwrap_or_default())
                )
            }
        }
    })
}

fn rfc2253_value(v: &str) -> String {
    let mut out = String::new();
    let n = v.chars().count();
    for (i, c) in v.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (i == 0 && (c == '#' || c == ' '))
            || (i + 1 == n && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Java quotes a value that holds RFC 1779 special characters.
fn rfc1779_value(v: &str) -> String {
    let needs = v.is_empty()
        || v.starts_with(' ')
        || v.ends_with(' ')
        || v.starts_with('#')
        || v.chars()
            .any(|c| matches!(c, ',' | '+' | '=' | '<' | '>' | ';' | '\n' | '"' | '\\'));
    if !needs {
        return v.to_string();
    }
    let mut out = String::from("\"");
    for c in v.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_name_is_a_cn() {
        assert_eq!(parse_name("kibana").unwrap().common_name(), Some("kibana"));
    }

    #[test]
    fn full_dn() {
        let dn = parse_name("CN=kibana, OU=ops ,O=Example\\, Inc").unwrap();
        assert_eq!(
            dn.0,
            vec![
                ("CN", "kibana".into()),
                ("OU", "ops".into()),
                ("O", "Example, Inc".into())
            ]
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let e = |s: &str| parse_name(s).unwrap_err().to_string();
        assert!(e("  ").contains("the name is empty"));
        assert!(e("CN=a,XX=b").contains("unknown attribute 'XX'"));
        assert!(e("CN=a,DC=x,DC=y").contains("DC appears twice"));
        assert!(e("CN=a,OU").contains("'OU' is not TYPE=value"));
        assert!(e("CN=").contains("CN has an empty value"));
        assert!(e("CN=a+UID=b").contains("multi-valued"));
    }

    #[test]
    fn control_characters_are_refused_escaped() {
        let e = |s: &str| parse_name(s).unwrap_err().to_string();
        for (name, shows) in [
            ("kib\0ana", "\\u{0}"),
            ("kib\nana", "\\u{a}"),
            ("kibana\n", "\\u{a}"),
            ("\u{1b}[31mkibana", "\\u{1b}"),
            ("kib\u{7f}ana", "\\u{7f}"),
            ("kib\u{85}ana", "\\u{85}"),
            ("CN=kibana,O=Ex\tample", "\\u{9}"),
            ("CN=kibana,\nO=Example", "\\u{a}"),
            ("CN=kib\\\nana", "\\u{a}"),
        ] {
            let m = e(name);
            assert!(m.contains("control character") && m.contains(shows), "{m}");
            assert!(!m.chars().any(char::is_control), "raw character in {m:?}");
        }
        assert!(e("CN=a,O=b\u{9f}").starts_with("O 'b\\u{9f}': it contains"));
    }

    #[test]
    fn values_longer_than_their_upper_bound_are_refused() {
        let e = |s: &str| parse_name(s).unwrap_err().to_string();
        let cn64 = "a".repeat(64);
        assert_eq!(
            parse_name(&cn64).unwrap().common_name(),
            Some(cn64.as_str())
        );
        assert!(parse_name(&format!("CN={cn64}")).is_ok());
        assert!(parse_name(&"é".repeat(64)).is_ok(), "characters, not bytes");
        let m = e(&"a".repeat(65));
        assert!(
            m.contains("65 characters long") && m.contains("at most 64"),
            "{m}"
        );
        assert!(m.contains("ub-common-name") && m.contains('…'), "{m}");
        assert!(e(&format!("CN={}", "a".repeat(65))).starts_with("CN '"));
        for (kw, max) in [("O", 64), ("OU", 64), ("L", 128), ("ST", 128), ("T", 64)] {
            assert!(parse_name(&format!("CN=a,{kw}={}", "x".repeat(max))).is_ok());
            let m = e(&format!("CN=a,{kw}={}", "x".repeat(max + 1)));
            assert!(m.contains(&format!("a {kw} has at most {max}")), "{m}");
        }
        let email = format!("{}@example.com", "x".repeat(243));
        assert!(parse_name(&format!("CN=a,E={email}")).is_ok());
        assert!(e(&format!("CN=a,E=x{email}")).contains("at most 255"));
    }

    #[test]
    fn a_country_is_two_letters() {
        assert!(parse_name("CN=a,C=de").is_ok());
        for bad in ["DEU", "D", "D1"] {
            let m = parse_name(&format!("CN=a,C={bad}"))
                .unwrap_err()
                .to_string();
            assert!(m.contains("a country is two letters"), "{m}");
        }
    }

    #[test]
    fn messages_name_no_flag() {
        assert_eq!(ATTRS[0].keyword, "CN");
        for bad in ["", "CN=a,XX=b", &"a".repeat(65), "a\0"] {
            let m = parse_name(bad).unwrap_err().to_string();
            assert!(!m.contains("--"), "{m}");
        }
    }

    #[test]
    fn round_trip_through_a_certificate() {
        let dn = parse_name("CN=kibana,OU=ops,O=Example\\, Inc,C=DE").unwrap();
        let mut p = rcgen::CertificateParams::default();
        p.distinguished_name = dn.to_rcgen().unwrap();
        let k = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let c = p.self_signed(&k).unwrap();
        let (_, x) = x509_parser::parse_x509_certificate(c.der()).unwrap();
        assert_eq!(
            java_string(x.subject()),
            "CN=kibana, OU=ops, O=\"Example, Inc\", C=DE"
        );
        assert_eq!(
            rfc2253(x.subject()),
            "CN=kibana,OU=ops,O=Example\\, Inc,C=DE"
        );
    }
}
