//! DN equality as the role-mapping file's reader decides it.
//!
//! `DnRoleMapper` (elastic/elasticsearch
//! `x-pack/plugin/security/src/main/java/org/elasticsearch/xpack/security/authc/support/DnRoleMapper.java`)
//! parses each DN with UnboundID's `new DN(String)` (no schema) and keys the
//! mapping by `DN.toNormalizedString()`. Without a schema that means
//! (pingidentity/ldapsdk `src/com/unboundid/ldap/sdk/RDN.java`,
//! `.../matchingrules/CaseIgnoreStringMatchingRule.java`):
//! - RDNs are separated by `,` or `;`, attribute-value pairs in one RDN by `+`;
//!   spaces around names, `=` and separators are ignored;
//! - attribute names are compared lowercased, as written (`CN` and `2.5.4.3`
//!   are different names);
//! - values are unescaped (`\,`, `\xx` UTF-8 hex pairs, `"quoted"`, or
//!   `#hex` BER), then case-ignore normalized: lowercased, leading and
//!   trailing spaces dropped, runs of spaces collapsed to one (a value of only
//!   spaces becomes one space);
//! - the pairs of a multi-valued RDN are sorted by name (a repeated name keeps
//!   the last value).

use std::collections::BTreeMap;

/// A normalized DN: RDNs in order, each a name → value map.
pub(super) type NormalDn = Vec<BTreeMap<String, String>>;

/// Parses and normalizes `dn`; the error says what is wrong, in one line.
pub(super) fn normalize(dn: &str) -> Result<NormalDn, String> {
    let chars: Vec<char> = dn.chars().collect();
    let mut p = Parser { s: &chars, pos: 0 };
    let mut out = Vec::new();
    p.spaces();
    if p.done() {
        return Ok(out);
    }
    let mut rdn = BTreeMap::new();
    loop {
        p.spaces();
        let start = p.pos;
        while !p.done() && !matches!(p.peek(), ' ' | '=') {
            p.pos += 1;
        }
        let name: String = chars[start..p.pos].iter().collect();
        if name.is_empty() {
            return Err("an attribute name is missing (expected NAME=value)".into());
        }
        p.spaces();
        if p.done() || p.peek() != '=' {
            return Err(format!("`{name}` is not followed by `=`"));
        }
        p.pos += 1;
        p.spaces();
        let value = if !p.done() && p.peek() == '#' {
            p.pos += 1;
            p.ber_hex()?
        } else {
            p.value()?
        };
        rdn.insert(name.to_lowercase(), case_ignore(&value));
        p.spaces();
        if p.done() {
            out.push(rdn);
            return Ok(out);
        }
        match p.peek() {
            '+' => {}
            ',' | ';' => out.push(std::mem::take(&mut rdn)),
            c => return Err(format!("unexpected `{c}` after the value of {name}")),
        }
        p.pos += 1;
        p.spaces();
        if p.done() {
            return Err("the DN ends with a separator".into());
        }
    }
}

/// The case-ignore string normalization.
fn case_ignore(value: &str) -> String {
    if !value.is_empty() && value.chars().all(|c| c == ' ') {
        return " ".into();
    }
    let mut out = String::with_capacity(value.len());
    for word in value.split(' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

struct Parser<'a> {
    s: &'a [char],
    pos: usize,
}

impl Parser<'_> {
    fn done(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn peek(&self) -> char {
        self.s[self.pos]
    }

    fn spaces(&mut self) {
        while !self.done() && self.peek() == ' ' {
            self.pos += 1;
        }
    }

    /// A string value up to an unescaped `,`, `;` or `+` (`readValueString`).
    fn value(&mut self) -> Result<String, String> {
        let mut bytes: Vec<u8> = Vec::new();
        let quoted = !self.done() && self.peek() == '"';
        if quoted {
            self.pos += 1;
        }
        loop {
            if self.done() {
                if quoted {
                    return Err("a quoted value is not closed".into());
                }
                break;
            }
            let c = self.peek();
            match c {
                '\\' => {
                    self.pos += 1;
                    if self.done() {
                        return Err("the DN ends with a backslash".into());
                    }
                    if self.peek().is_ascii_hexdigit() {
                        bytes.push(self.hex_pair()?);
                        continue;
                    }
                    push_char(&mut bytes, self.peek());
                }
                '"' if quoted => {
                    self.pos += 1;
                    self.spaces();
                    if !self.done() && !matches!(self.peek(), ',' | ';' | '+') {
                        return Err("text after a closing quote".into());
                    }
                    break;
                }
                '"' => return Err("a quote inside an unquoted value".into()),
                ',' | ';' | '+' if !quoted => break,
                _ => push_char(&mut bytes, c),
            }
            self.pos += 1;
        }
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn hex_pair(&mut self) -> Result<u8, String> {
        let digit = |c: char| c.to_digit(16).ok_or(format!("`{c}` is not a hex digit"));
        if self.pos + 1 >= self.s.len() {
            return Err("a hex escape needs two digits".into());
        }
        let b = digit(self.s[self.pos])? * 16 + digit(self.s[self.pos + 1])?;
        self.pos += 2;
        Ok(b as u8)
    }

    /// A `#` value: hex digits forming one BER element, whose content is the value.
    fn ber_hex(&mut self) -> Result<String, String> {
        let mut der = Vec::new();
        while !self.done() && !matches!(self.peek(), ' ' | '+' | ',' | ';') {
            der.push(self.hex_pair()?);
        }
        let bad = || "a #hex value is not one BER element".to_string();
        let (&len0, rest) = der.get(1..).and_then(|r| r.split_first()).ok_or_else(bad)?;
        let (len, body) = if len0 < 0x80 {
            (usize::from(len0), rest)
        } else {
            let n = usize::from(len0 & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return Err(bad());
            }
            let len = rest[..n]
                .iter()
                .fold(0usize, |a, &b| (a << 8) | usize::from(b));
            (len, &rest[n..])
        };
        if body.len() != len {
            return Err(bad());
        }
        Ok(String::from_utf8_lossy(body).into_owned())
    }
}

fn push_char(bytes: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}
