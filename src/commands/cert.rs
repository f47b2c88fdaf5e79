//! `esmtls cert …`: steps 1 and 2 of the guide as commands. Parsing and output
//! only; the certificate work is `esmtls::pki`, the writing `esmtls::fsutil`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{ArgGroup, Args, Subcommand};
use esmtls::fsutil::{Existing, MODE_PUBLIC, MODE_SECRET, WriteBatch};
use esmtls::pki::{self, CaSpec, KeyType, LeafSpec, Usage, pem, pkcs12};
use esmtls::secret::Secret;

use super::common::{Source, check_new_password, note, report, warn};
use crate::cli::{CaPasswordArgs, NewPasswordArgs, ReadPasswordArgs};

/// `esmtls cert` subcommands.
#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// Make a new certificate authority (PKCS#12 with key entry 'ca', or a PEM pair with --pem).
    Ca(CaArgs),
    /// Issue a client or server certificate signed by a CA.
    Issue(IssueArgs),
    /// Write the CA chain of a PKCS#12 (or PEM) file as PEM: step 2 of the guide, without OpenSSL.
    ExtractCa(ExtractArgs),
    /// Show what certificate files hold: subject as Elasticsearch sees it, SANs, expiry, algorithms.
    Inspect(InspectArgs),
    /// Re-encrypt a legacy PKCS#12 (RC2-40, 3DES, SHA-1 MAC) with AES-256 and SHA-256, same entries.
    Modernize(ModernizeArgs),
    /// Benchmark floor: generate keys and discard them (scripts/bench-bundle.py).
    #[command(hide = true)]
    Keygen {
        /// Key type.
        #[arg(long = "key", default_value = "rsa2048", value_parser = parse_key_type)]
        key: KeyType,
    },
}

/// `esmtls cert ca`.
#[derive(Debug, Args)]
pub struct CaArgs {
    /// Output file: a PKCS#12 (e.g. esmtls-ca.p12), or with --pem the certificate (e.g. ca.crt).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The CA's distinguished name.
    #[arg(long, value_name = "DN", default_value = "CN=esmtls CA")]
    pub dn: String,
    /// Validity in days.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1825,
        allow_negative_numbers = true,
        value_parser = crate::cli::validity_days,
    )]
    pub days: u32,
    /// Key type: rsa2048, rsa3072, rsa4096, ec-p256, ec-p384.
    #[arg(long = "key", value_name = "TYPE", default_value = "rsa2048", value_parser = parse_key_type)]
    pub key: KeyType,
    /// Write a PEM certificate and a PKCS#8 key file instead of PKCS#12.
    #[arg(long)]
    pub pem: bool,
    /// With --pem: where the key goes (default: --out with the extension .key).
    #[arg(long, value_name = "FILE", requires = "pem")]
    pub key_out: Option<PathBuf>,
    #[command(flatten)]
    pub password: NewPasswordArgs,
    /// Replace existing output files (the old ones are kept as backups).
    #[arg(long)]
    pub force: bool,
}

/// `esmtls cert issue`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("usage").required(true).args(["client", "server"])))]
pub struct IssueArgs {
    /// The CA: a PEM certificate (with --ca-key), a PKCS#12 with one key, or Elasticsearch's certs/http.p12.
    #[arg(long, value_name = "FILE")]
    pub ca: PathBuf,
    /// The CA's private key, when --ca is a PEM or DER certificate.
    #[arg(long, value_name = "FILE")]
    pub ca_key: Option<PathBuf>,
    #[command(flatten)]
    pub ca_password: CaPasswordArgs,
    /// A common name (kibana) or, when it contains '=', a full DN (CN=kibana,O=Example).
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// DNS names for the subjectAltName (comma-separated, repeatable).
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub dns: Vec<String>,
    /// IP addresses for the subjectAltName (comma-separated, repeatable).
    #[arg(long, value_name = "ADDRS", value_delimiter = ',')]
    pub ip: Vec<String>,
    /// A TLS client certificate (extendedKeyUsage clientAuth): Kibana's.
    #[arg(long)]
    pub client: bool,
    /// A TLS server certificate (extendedKeyUsage serverAuth): Elasticsearch's HTTP layer.
    #[arg(long)]
    pub server: bool,
    /// Validity in days.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1095,
        allow_negative_numbers = true,
        value_parser = crate::cli::validity_days,
    )]
    pub days: u32,
    /// Key type: rsa2048, rsa3072, rsa4096, ec-p256, ec-p384.
    #[arg(long = "key", value_name = "TYPE", default_value = "rsa2048", value_parser = parse_key_type)]
    pub key: KeyType,
    /// Output file: a PKCS#12 (e.g. kibana-client.p12), or with --pem the certificate chain (e.g. kibana-client.crt).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Write a PEM chain and a PKCS#8 key file instead of PKCS#12.
    #[arg(long)]
    pub pem: bool,
    /// With --pem: where the key goes (default: --out with the extension .key).
    #[arg(long, value_name = "FILE", requires = "pem")]
    pub key_out: Option<PathBuf>,
    #[command(flatten)]
    pub password: NewPasswordArgs,
    /// Replace existing output files (backups are kept); also sign with an expired CA.
    #[arg(long)]
    pub force: bool,
}

/// `esmtls cert extract-ca`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The PKCS#12 (or PEM) file, e.g. kibana-client.p12.
    #[arg(long = "in", value_name = "FILE")]
    pub input: PathBuf,
    /// The PEM file to write, e.g. kibana-ca.crt.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[command(flatten)]
    pub password: ReadPasswordArgs,
    /// Replace an existing output file (a backup is kept).
    #[arg(long)]
    pub force: bool,
}

/// `esmtls cert inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// PEM, DER or PKCS#12 files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print JSON (an array, one object per file).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub password: ReadPasswordArgs,
}

/// `esmtls cert modernize`.
#[derive(Debug, Args)]
pub struct ModernizeArgs {
    /// The legacy PKCS#12 file.
    #[arg(long = "in", value_name = "FILE")]
    pub input: PathBuf,
    /// The new PKCS#12 file (same entries, aliases and password).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[command(flatten)]
    pub password: ReadPasswordArgs,
    /// Replace an existing output file (a backup is kept).
    #[arg(long)]
    pub force: bool,
}

fn parse_key_type(s: &str) -> std::result::Result<KeyType, String> {
    s.parse().map_err(|e: pki::PkiError| e.to_string())
}

/// Runs one `esmtls cert` subcommand.
pub fn run(cmd: CertCommand, quiet: bool) -> Result<()> {
    match cmd {
        CertCommand::Ca(a) => ca(a, quiet),
        CertCommand::Issue(a) => issue(a, quiet),
        CertCommand::ExtractCa(a) => extract_ca(a, quiet),
        CertCommand::Inspect(a) => inspect(a),
        CertCommand::Modernize(a) => modernize(a, quiet),
        CertCommand::Keygen { key } => {
            key.generate()?;
            Ok(())
        }
    }
}

fn existing(force: bool) -> Existing {
    if force {
        Existing::Replace
    } else {
        Existing::Refuse
    }
}

fn key_path(out: &Path, key_out: &Option<PathBuf>) -> Result<PathBuf> {
    let k = key_out.clone().unwrap_or_else(|| out.with_extension("key"));
    if k == out {
        bail!(
            "--out {} would also be the key file; give the certificate a .crt name or pass --key-out",
            out.display()
        );
    }
    Ok(k)
}

/// The password for a new PKCS#12, from its source; checked before any key is made.
fn new_password(args: &NewPasswordArgs, pem_out: bool, what: &str) -> Result<Option<Secret>> {
    if pem_out {
        if args.password_file.is_some() || args.password_stdin || args.no_password {
            bail!(
                "--pem writes an unencrypted PKCS#8 key with mode 0600; the password options are for PKCS#12 output"
            );
        }
        return Ok(None);
    }
    if args.no_password {
        return Ok(Some(Secret::empty()));
    }
    let src = Source::new(args.password_file.as_deref(), args.password_stdin);
    let pw = src.read(what, true)?;
    check_new_password(&pw)?;
    if pw.is_empty() {
        bail!(
            "the password for {what} is empty; pass --no-password if an unprotected file is really wanted"
        );
    }
    Ok(Some(pw))
}

fn ca(a: CaArgs, quiet: bool) -> Result<()> {
    pki::build::check_days(a.days).map_err(|e| e.about("--days"))?;
    pki::dn::parse_name(&a.dn).map_err(|e| e.about("--dn"))?;
    let key_file = if a.pem {
        Some(key_path(&a.out, &a.key_out)?)
    } else {
        None
    };
    let password = new_password(&a.password, a.pem, &a.out.display().to_string())?;
    // Refuse before the (slow) key generation when an output cannot be written.
    let mut batch = WriteBatch::new();
    batch.add(&a.out, Vec::new(), MODE_SECRET, existing(a.force));
    if let Some(k) = &key_file {
        batch.add(k, Vec::new(), MODE_SECRET, existing(a.force));
    }
    precheck(&batch)?;

    let ca = pki::build::new_ca(&CaSpec {
        dn: a.dn.clone(),
        days: a.days,
        key: a.key,
    })?;
    let mut batch = WriteBatch::new();
    match (&key_file, &password) {
        (Some(k), _) => {
            batch.add(
                &a.out,
                pem::cert(&ca.cert_der).into_bytes(),
                MODE_PUBLIC,
                existing(a.force),
            );
            batch.add(
                k,
                pem::key(&ca.key).into_bytes(),
                MODE_SECRET,
                existing(a.force),
            );
        }
        (None, Some(pw)) => {
            let p12 = pkcs12::write_key(
                "ca",
                &ca.key.serialize_der(),
                std::slice::from_ref(&ca.cert_der),
                &[],
                pw.expose(),
            )?;
            batch.add(&a.out, p12, MODE_SECRET, existing(a.force));
        }
        (None, None) => bail!("internal: no password for PKCS#12 output"),
    }
    let out = batch.commit()?;
    let info = pki::inspect::cert_info(&ca.cert_der)?;
    report(quiet, &out, |p| {
        if Some(p) == key_file.as_deref() {
            "(CA private key, mode 0600)".into()
        } else if a.pem {
            "(CA certificate)".into()
        } else {
            "(PKCS#12, key entry 'ca', mode 0600)".into()
        }
    });
    note(
        quiet,
        &format!(
            "CA: {}  valid until {}  SHA-256 {}",
            info.subject, info.not_after, info.sha256
        ),
    );
    if password.as_ref().is_some_and(|p| p.is_empty()) {
        warn("the PKCS#12 has an empty password; keep the file private (mode 0600)");
    }
    Ok(())
}

/// Checks the outputs (directory exists and is writable, no file replaced
/// without --force) before any slow work; the content is a placeholder.
fn precheck(batch: &WriteBatch) -> Result<()> {
    Ok(batch.check()?)
}

fn issue(a: IssueArgs, quiet: bool) -> Result<()> {
    pki::build::check_days(a.days).map_err(|e| e.about("--days"))?;
    let (_, cn) = pki::build::leaf_dn(&a.name).map_err(|e| e.about("--name"))?;
    for d in &a.dns {
        pki::build::check_dns_name(d.trim(), "--ip")
            .map_err(|why| pki::PkiError::Invalid(format!("--dns {why}")))?;
    }
    let ips =
        a.ip.iter()
            .map(|s| pki::build::parse_ip(s))
            .collect::<pki::Result<Vec<_>>>()?;
    let usage = if a.client {
        Usage::Client
    } else {
        Usage::Server
    };
    if usage == Usage::Client && !a.pem && !a.key.is_rsa() {
        bail!(
            "Kibana cannot use an {} key from a PKCS#12 file: it reads PKCS#12 with node-forge, which only decodes RSA keys, and fails with \"Did not find key in Elasticsearch keystore.\". Use --pem (Kibana settings elasticsearch.ssl.certificate and elasticsearch.ssl.key), or --key rsa2048",
            a.key
        );
    }
    if a.ca_password.ca_password_stdin && a.password.password_stdin {
        bail!(
            "--ca-password-stdin and --password-stdin cannot both read standard input; put one password in a file"
        );
    }
    let key_file = if a.pem {
        Some(key_path(&a.out, &a.key_out)?)
    } else {
        None
    };
    let mut batch = WriteBatch::new();
    batch.add(&a.out, Vec::new(), MODE_SECRET, existing(a.force));
    if let Some(k) = &key_file {
        batch.add(k, Vec::new(), MODE_SECRET, existing(a.force));
    }
    precheck(&batch)?;

    let ca_src = Source {
        file: a.ca_password.ca_password_file.as_deref(),
        stdin: a.ca_password.ca_password_stdin,
        flags: ("--ca-password-file", "--ca-password-stdin"),
    };
    let loaded = pki::load::load_ca(
        &a.ca,
        a.ca_key.as_deref(),
        &mut |file| {
            ca_src
                .read(file, false)
                .map_err(|e| pki::PkiError::Invalid(format!("{e:#}")))
        },
        !ca_src.given(),
        a.force,
    )?;
    for n in &loaded.notes {
        note(quiet, n);
    }
    for w in &loaded.warnings {
        warn(w);
    }
    let password = new_password(&a.password, a.pem, &a.out.display().to_string())?;
    let spec = LeafSpec {
        name: a.name.clone(),
        dns: a.dns.iter().map(|d| d.trim().to_string()).collect(),
        ips,
        usage,
        days: a.days,
        key: a.key,
    };
    let leaf = pki::build::issue(&spec, &loaded.ca)?;
    for w in &leaf.warnings {
        warn(w);
    }
    let ca = &loaded.ca;
    let ca_info = pki::inspect::cert_info(&ca.cert_der)?;
    let self_signed = ca_info.subject == ca_info.issuer;
    let mut chain = vec![leaf.cert_der.clone()];
    if !self_signed {
        chain.push(ca.cert_der.clone());
        chain.extend(ca.chain_der.iter().cloned());
    }
    let mut batch = WriteBatch::new();
    match (&key_file, &password) {
        (Some(k), _) => {
            let mut all = vec![leaf.cert_der.as_slice(), ca.cert_der.as_slice()];
            all.extend(ca.chain_der.iter().map(Vec::as_slice));
            batch.add(
                &a.out,
                pem::certs(all).into_bytes(),
                MODE_PUBLIC,
                existing(a.force),
            );
            batch.add(
                k,
                pem::key(&leaf.key).into_bytes(),
                MODE_SECRET,
                existing(a.force),
            );
        }
        (None, Some(pw)) => {
            let p12 = pkcs12::write_key(
                &cn,
                &leaf.key.serialize_der(),
                &chain,
                &[("ca".into(), ca.cert_der.clone())],
                pw.expose(),
            )?;
            batch.add(&a.out, p12, MODE_SECRET, existing(a.force));
        }
        (None, None) => bail!("internal: no password for PKCS#12 output"),
    }
    let out = batch.commit()?;
    let info = pki::inspect::cert_info(&leaf.cert_der)?;
    report(quiet, &out, |p| {
        if Some(p) == key_file.as_deref() {
            "(private key, PKCS#8, mode 0600)".into()
        } else if a.pem {
            "(certificate chain: certificate, then CA)".into()
        } else {
            format!("(PKCS#12: key entry '{cn}', trusted entry 'ca'; mode 0600)")
        }
    });
    note(
        quiet,
        &format!(
            "subject (pki_dn): {}  valid until {}",
            info.subject, info.not_after
        ),
    );
    if usage == Usage::Client && !quiet {
        if a.pem {
            eprintln!(
                "kibana.yml: elasticsearch.ssl.certificate / elasticsearch.ssl.key point at these two files"
            );
        } else {
            eprintln!(
                "kibana.yml: elasticsearch.ssl.keystore.path: {} — its password goes into the Kibana keystore as elasticsearch.ssl.keystore.password",
                a.out.display()
            );
        }
    }
    if password.as_ref().is_some_and(|p| p.is_empty()) {
        warn(
            "the PKCS#12 has an empty password: Kibana then needs elasticsearch.ssl.keystore.password: \"\" (unset, it fails the integrity check)",
        );
    }
    if usage == Usage::Client && !a.pem && ca_info.key_type != "RSA" {
        warn(
            "the CA key is not RSA: Kibana (node-forge) cannot read the CA from this file; also set elasticsearch.ssl.certificateAuthorities",
        );
    }
    Ok(())
}

/// Opens a PKCS#12 with the empty password, then with the user's.
fn open_p12(bytes: &[u8], file: &str, src: &Source<'_>) -> Result<(pkcs12::Contents, Secret)> {
    if !src.given() {
        match pkcs12::read(bytes, "", file) {
            Ok(c) => return Ok((c, Secret::empty())),
            Err(pki::PkiError::WrongPassword { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let pw = src.read(file, false)?;
    Ok((pkcs12::read(bytes, pw.expose(), file)?, pw))
}

fn read_input(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn extract_ca(a: ExtractArgs, quiet: bool) -> Result<()> {
    let file = a.input.display().to_string();
    let bytes = read_input(&a.input)?;
    let mut cas: Vec<Vec<u8>> = Vec::new();
    let is_ca = |d: &[u8]| pki::inspect::cert_info(d).is_ok_and(|i| i.is_ca);
    if pem::is_pem(&bytes) || x509_parser::parse_x509_certificate(&bytes).is_ok() {
        let certs = if pem::is_pem(&bytes) {
            pem::certificates(&pem::parse_all(&bytes, &file)?)
        } else {
            vec![bytes.clone()]
        };
        cas.extend(certs.into_iter().filter(|d| is_ca(d)));
    } else {
        pkcs12::algorithms(&bytes, &file)?;
        let src = Source::of(&a.password);
        let (contents, _) = open_p12(&bytes, &file, &src)?;
        for k in &contents.keys {
            cas.extend(k.chain.iter().filter(|d| is_ca(d)).cloned());
        }
        cas.extend(
            contents
                .certs
                .iter()
                .filter(|c| c.trusted || is_ca(&c.der))
                .map(|c| c.der.clone()),
        );
    }
    let mut unique: Vec<Vec<u8>> = Vec::new();
    for c in cas {
        if !unique.contains(&c) {
            unique.push(c);
        }
    }
    if unique.is_empty() {
        bail!(
            "{file} holds no CA certificate (no certificate with basicConstraints CA:TRUE and no trusted entry)"
        );
    }
    let out = esmtls::fsutil::write_file(
        &a.out,
        pem::certs(unique.iter().map(Vec::as_slice)).into_bytes(),
        MODE_PUBLIC,
        existing(a.force),
    )?;
    report(quiet, &[(a.out.clone(), out)], |_| {
        format!(
            "({} CA certificate{})",
            unique.len(),
            if unique.len() == 1 { "" } else { "s" }
        )
    });
    for c in &unique {
        let i = pki::inspect::cert_info(c)?;
        note(
            quiet,
            &format!(
                "  {}  valid until {}  SHA-256 {}",
                i.subject, i.not_after, i.sha256
            ),
        );
    }
    Ok(())
}

fn inspect(a: InspectArgs) -> Result<()> {
    let src = Source::of(&a.password);
    let mut cached: Option<Secret> = None;
    let mut reports = Vec::new();
    for f in &a.files {
        let bytes = read_input(f)?;
        let mut ask = || {
            if cached.is_none()
                && (src.given() || std::io::IsTerminal::is_terminal(&std::io::stdin()))
            {
                cached = src.read(&f.display().to_string(), false).ok();
            }
            cached.clone()
        };
        reports.push(pki::inspect::inspect_bytes(
            &f.display().to_string(),
            &bytes,
            &mut ask,
        )?);
    }
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &reports)?;
        writeln!(out)?;
        return Ok(());
    }
    for r in &reports {
        print_report(&mut out, r)?;
    }
    Ok(())
}

fn print_report(out: &mut impl Write, r: &pki::inspect::FileReport) -> std::io::Result<()> {
    let keys = match r.private_keys {
        0 => String::new(),
        1 => ", 1 private key".into(),
        n => format!(", {n} private keys"),
    };
    writeln!(
        out,
        "{}  ({}{})",
        r.file,
        r.format.to_uppercase().replace("PKCS12", "PKCS#12"),
        keys
    )?;
    if let Some(alg) = &r.pkcs12 {
        writeln!(
            out,
            "  encryption  certificates: {}; keys: {}; MAC: {}",
            list(&alg.certificates),
            list(&alg.keys),
            alg.mac
        )?;
        for l in &alg.legacy {
            writeln!(
                out,
                "  LEGACY      {l} — `esmtls cert modernize` re-encrypts it"
            )?;
        }
    }
    if let Some(l) = &r.locked {
        writeln!(out, "  entries     not shown: {l}")?;
    }
    for e in &r.entries {
        let role = serde_json::to_value(e.role)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        match &e.alias {
            Some(a) => writeln!(out, "  [{a}] {role}")?,
            None => writeln!(out, "  {role}")?,
        }
        let c = &e.certificate;
        let rows = [
            ("subject", c.subject.clone()),
            ("rfc2253", c.subject_rfc2253.clone()),
            ("issuer", c.issuer.clone()),
            ("serial", c.serial.clone()),
            (
                "SANs",
                if c.sans.is_empty() {
                    "-".into()
                } else {
                    c.sans.join(", ")
                },
            ),
            (
                "valid",
                format!("{} → {} ({})", c.not_before, c.not_after, days(c.days_left)),
            ),
            ("key", format!("{} {}", c.key_type, c.key_bits)),
            (
                "EKU",
                if c.eku.is_empty() {
                    "any (not restricted)".into()
                } else {
                    c.eku.join(", ")
                },
            ),
            ("CA", if c.is_ca { "yes".into() } else { "no".into() }),
            ("SHA-256", c.sha256.clone()),
        ];
        for (k, v) in rows {
            writeln!(out, "    {k:<10}{v}")?;
        }
    }
    Ok(())
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "-".into()
    } else {
        v.join(", ")
    }
}

fn days(n: i64) -> String {
    if n < 0 {
        format!("EXPIRED {} days ago", -n)
    } else {
        format!("{n} days left")
    }
}

fn modernize(a: ModernizeArgs, quiet: bool) -> Result<()> {
    let file = a.input.display().to_string();
    let bytes = read_input(&a.input)?;
    let before = pkcs12::algorithms(&bytes, &file)?;
    let src = Source::of(&a.password);
    let (contents, pw) = open_p12(&bytes, &file, &src)?;
    let new = pkcs12::write(&contents, pw.expose())?;
    // Prove the result reads back with the same entries before writing it.
    let check = pkcs12::read(&new, pw.expose(), &a.out.display().to_string())?;
    if check.keys.len() != contents.keys.len() {
        bail!("internal: the re-encrypted file lost a key; nothing was written");
    }
    let out = esmtls::fsutil::write_file(&a.out, new, MODE_SECRET, existing(a.force))?;
    report(quiet, &[(a.out.clone(), out)], |_| {
        "(PKCS#12: PBES2 AES-256-CBC, PBKDF2-HMAC-SHA256, MAC HMAC-SHA256; same password; mode 0600)".into()
    });
    if before.legacy.is_empty() {
        note(
            quiet,
            &format!("{file} already used modern algorithms; the copy is equivalent"),
        );
    }
    let aliases: Vec<String> = contents
        .keys
        .iter()
        .map(|k| k.alias.clone())
        .chain(contents.certs.iter().filter_map(|c| c.alias.clone()))
        .collect();
    note(quiet, &format!("entries kept: {}", aliases.join(", ")));
    Ok(())
}
