//! `build(answers, setup, cluster) -> Plan`: the one place that decides what
//! a setup changes. The wizard's review screen, `esmtls plan`, `esmtls apply
//! --dry-run` and `esmtls apply` all show or run its result.
//!
//! Invariants: reads only (files and read-only API calls); every decision
//! that depends on the current state is made so that applying the plan and
//! building it again gives a plan that changes nothing.

use std::path::{Path, PathBuf};

use super::answers::{Answers, CertFormat, Generate, Restart, url_host};
use super::certs::{self, CaKind, Want};
use super::edits::{self, Edits};
use super::facts::{self, Facts};
use super::mode::{Credential, License, Mode, Step, applies};
use super::setup::{Cluster, Setup};
use super::types::*;
use super::{PlanError, Prereq};
use crate::fsutil::{MODE_PUBLIC, MODE_SECRET};
use crate::pki::build::{LeafSpec, Usage};
use crate::pki::{inspect, pem as pemx, pkcs12};
use crate::secret::Secret;

/// Name under which the Kibana client PKCS#12's password is in the Kibana keystore.
pub const KB_P12_PASSWORD: &str = "elasticsearch.ssl.keystore.password";

/// The planner's working state.
pub(super) struct Ctx<'a> {
    pub a: &'a Answers,
    pub setup: &'a Setup,
    pub facts: Facts,
    pub steps: Vec<PlanStep>,
    pub files: Vec<FileChange>,
    pub mkdirs: Vec<PathBuf>,
    pub warnings: Vec<String>,
    pub remember: Vec<(String, Secret)>,
}

impl Ctx<'_> {
    pub fn step(&mut self, n: u8) -> &mut PlanStep {
        let i = self.steps.iter().position(|s| s.number == n).unwrap_or(0);
        &mut self.steps[i]
    }

    /// Adds a file (skipped when identical on disk) and notes it under step `n`.
    pub fn file(&mut self, n: u8, path: PathBuf, what: &str, content: Vec<u8>, secret: bool) {
        let old = std::fs::read(&path).ok();
        let unchanged = old.as_deref() == Some(content.as_slice());
        let verb = match (&old, unchanged) {
            (_, true) => "unchanged",
            (None, _) => "new file",
            (Some(_), _) => "replace",
        };
        let mode = if secret { MODE_SECRET } else { MODE_PUBLIC };
        self.step(n).changes.push(format!(
            "{verb}: {} — {what}{}",
            path.display(),
            if secret { " (0600)" } else { "" }
        ));
        let dir = crate::fsutil::parent_dir(&path);
        if !dir.exists() && !self.mkdirs.contains(&dir) {
            self.mkdirs.push(dir);
        }
        self.files.push(FileChange {
            path,
            what: what.into(),
            content,
            mode,
            exists: old.is_some(),
            unchanged,
            diff: None,
        });
    }
}

impl Ctx<'_> {
    /// Adds an edited yml file with its diff (see [`Ctx::file`]).
    pub fn yaml(&mut self, n: u8, ch: &crate::yaml::Changes, what: &str) {
        let diff = ch.diff();
        self.file(
            n,
            ch.path().to_path_buf(),
            what,
            ch.after().as_bytes().to_vec(),
            false,
        );
        if let Some(f) = self.files.last_mut() {
            f.diff = (!diff.is_empty()).then_some(diff);
        }
    }
}

/// Builds the plan.
pub fn build(a: &Answers, setup: &Setup, cluster: &mut dyn Cluster) -> Result<Plan, PlanError> {
    let facts = facts::read(setup)?;
    let reachable = cluster.reachable();
    let unreachable_why = (!reachable).then(|| cluster.why_not()).flatten();
    let mut ctx = Ctx {
        a,
        setup,
        facts,
        steps: Vec::new(),
        files: Vec::new(),
        mkdirs: Vec::new(),
        warnings: Vec::new(),
        remember: Vec::new(),
    };

    // The license decides whether `pki` is allowed.
    let (license, license_from) = match reachable.then(|| cluster.license()) {
        Some(Ok(t)) => (License::parse(&t), LicenseFrom::Cluster),
        Some(Err(e)) => {
            ctx.warnings
                .push(format!("could not read the license: {e}"));
            (
                a.license,
                if a.license.is_some() {
                    LicenseFrom::Answers
                } else {
                    LicenseFrom::Unknown
                },
            )
        }
        None if a.license.is_some() => (a.license, LicenseFrom::Answers),
        None => (None, LicenseFrom::Unknown),
    };
    if let Some(why) = unreachable_why {
        ctx.warnings.push(format!(
            "Elasticsearch is not reachable ({why}); API requests go to esmtls-requests.txt"
        ));
    }
    let mut choice = super::guide::check_choice(a.mode, license, a.allow_unlicensed_pki)?;
    if a.mode.client_authentication() == Some("required")
        && a.client_authentication() == Some("optional")
    {
        use super::guide::strings::{
            MTLS_OPTIONAL, REQUIRED_ALWAYS_PRESENT, REQUIRED_APPLIES_TO_ALL,
        };
        choice.retain(|w| w != REQUIRED_APPLIES_TO_ALL && w != REQUIRED_ALWAYS_PRESENT);
        choice.push(MTLS_OPTIONAL.into());
    }
    ctx.warnings.extend(choice);

    // Step 0 (only when needed) and the nine steps.
    let server_needed = match a.server_certificate.generate {
        Generate::Yes => true,
        Generate::No => false,
        Generate::Auto => !ctx.facts.http.enabled,
    };
    if server_needed {
        ctx.steps.push(PlanStep {
            number: 0,
            title: Prereq::TITLE.into(),
            applies: super::Applies::Yes(Prereq::TEXT.into()),
            changes: Vec::new(),
            notes: Vec::new(),
        });
    }
    for s in Step::ALL {
        ctx.steps.push(PlanStep {
            number: s.number(),
            title: s.guide_title().into(),
            applies: applies(a.mode, s),
            changes: Vec::new(),
            notes: Vec::new(),
        });
    }

    let hosts = hosts(a, &ctx.facts);
    let es_url = a
        .elasticsearch
        .url
        .clone()
        .unwrap_or_else(|| hosts[0].clone());

    // The CA.
    let store = super::secrets::open_for(setup, a.secrets.ca_password)?;
    let remembered = store.get(certs::CA_SECRET).ok().flatten();
    let ca = certs::choose(a, &ctx.facts, &setup.es_config, remembered)?;
    let first_cert_step = if server_needed { 0 } else { 1 };
    for n in &ca.notes {
        ctx.step(first_cert_step).notes.push(n.clone());
    }
    for (path, content, secret) in ca.files.clone() {
        let what = if secret {
            "esmtls's CA with its key (for renewals)"
        } else {
            "esmtls's CA certificate"
        };
        ctx.file(first_cert_step, path, what, content, secret);
    }
    if let Some(pw) = &ca.remember {
        ctx.remember.push((certs::CA_SECRET.into(), pw.clone()));
        let line = format!(
            "esmtls's CA password goes to {} (secrets.ca_password: {}).",
            super::secrets::describe(&store),
            a.secrets.ca_password.name()
        );
        ctx.step(first_cert_step).notes.push(line);
    }

    // Elasticsearch's HTTP certificate (step 0).
    let mut es_edits = Edits::new(&setup.es_config.join("elasticsearch.yml"));
    let mut es_ks_ops: Vec<KeystoreOp> = Vec::new();
    let server_ca_der: Vec<u8>;
    if server_needed {
        let (dns, ips) = server_names(a, &hosts);
        let want = Want {
            spec: LeafSpec {
                name: "CN=esmtls-http".into(),
                dns,
                ips,
                usage: Usage::Server,
                days: a.server_certificate.days,
                key: a.server_certificate.key_type,
            },
            ca: &ca.material,
        };
        // PKCS#12 with its password in elasticsearch.keystore when esmtls can write that
        // keystore; else (no keystore, version unknown) a PEM pair, which needs no keystore.
        let es_version = setup
            .es_version
            .clone()
            .or_else(|| a.elasticsearch.version.clone());
        let use_p12 = ctx.facts.es_ks.is_some() || es_version.is_some();
        let p12_path = setup.es_config.join("certs/esmtls-http.p12");
        let (crt_path, key_path) = (
            setup.es_config.join("certs/esmtls-http.crt"),
            setup.es_config.join("certs/esmtls-http.key"),
        );
        let existing_pw = ctx
            .facts
            .es_ks
            .as_ref()
            .and_then(|k| k.get_string(facts::HTTP_KS_PASSWORD));
        let keep = if use_p12 {
            existing_pw.as_ref().is_some_and(|pw| {
                std::fs::read(&p12_path)
                    .ok()
                    .and_then(|b| pkcs12::read(&b, pw.expose(), "").ok())
                    .and_then(|c| c.keys.first().map(|k| certs::satisfies(&k.chain, &want)))
                    .unwrap_or(false)
            })
        } else {
            std::fs::read(&crt_path)
                .ok()
                .and_then(|b| pemx::parse_all(&b, "").ok())
                .map(|b| pemx::certificates(&b))
                .is_some_and(|chain| key_path.exists() && certs::satisfies(&chain, &want))
        };
        if keep {
            ctx.step(0).notes.push(
                "Elasticsearch's HTTP certificate from an earlier run is still right; kept.".into(),
            );
        } else if use_p12 {
            let issued = certs::issue(&want)?;
            let pw = existing_pw.clone().unwrap_or_else(certs::random_password);
            let chain = vec![issued.cert_der.clone(), ca.material.cert_der.clone()];
            let p12 = pkcs12::write_key(
                "http",
                &issued.key.serialize_der(),
                &chain,
                &[("ca".into(), ca.material.cert_der.clone())],
                pw.expose(),
            )?;
            ctx.file(
                0,
                p12_path,
                "Elasticsearch's HTTP certificate and key",
                p12,
                true,
            );
            if existing_pw.is_none() {
                es_ks_ops.push(KeystoreOp::Set {
                    name: facts::HTTP_KS_PASSWORD.into(),
                    value: EntryValue::Known(pw),
                });
            }
        } else {
            let issued = certs::issue(&want)?;
            let chain = [issued.cert_der.clone(), ca.material.cert_der.clone()];
            ctx.file(
                0,
                crt_path,
                "Elasticsearch's HTTP certificate (with its CA)",
                pemx::certs(chain.iter().map(Vec::as_slice)).into_bytes(),
                false,
            );
            ctx.file(
                0,
                key_path,
                "Elasticsearch's HTTP key (unencrypted PKCS#8, mode 0600)",
                pemx::key(&issued.key).into_bytes(),
                true,
            );
            ctx.step(0).notes.push("There is no elasticsearch.keystore and no known Elasticsearch version, so the HTTP certificate is written as PEM (no keystore password needed). Give `elasticsearch.version` for a PKCS#12 with its password in the keystore.".into());
        }
        server_ca_der = ca.material.cert_der.clone();
        edits::server_tls(&mut es_edits, &ctx.facts, use_p12);
        ctx.step(0).changes.extend(es_edits.describe());
    } else {
        server_ca_der = match (&ctx.facts.http.server_ca, &a.elasticsearch.server_ca) {
            (_, Some(p)) => {
                let b = std::fs::read(p).map_err(|e| PlanError::Answer {
                    key: "elasticsearch.server_ca".into(),
                    message: format!("cannot read {}: {e}", p.display()),
                })?;
                facts::first_cert(&b).ok_or_else(|| PlanError::Answer {
                    key: "elasticsearch.server_ca".into(),
                    message: format!("{} holds no certificate", p.display()),
                })?
            }
            (Some(c), None) => c.clone(),
            (None, None) => {
                let why = ctx
                    .facts
                    .http
                    .unreadable
                    .clone()
                    .unwrap_or_else(|| "no CA certificate found for it".into());
                return Err(PlanError::Answer {
                    key: "elasticsearch.server_ca".into(),
                    message: format!(
                        "esmtls cannot tell which CA signed Elasticsearch's HTTP certificate ({why}); give its PEM file as `elasticsearch.server_ca`, or let esmtls issue a new one with `server_certificate.generate: yes`"
                    ),
                });
            }
        };
        let server_sans = ctx
            .facts
            .http
            .server_chain
            .first()
            .and_then(|c| inspect::cert_info(c).ok())
            .map(|i| i.sans)
            .unwrap_or_default();
        if ctx.facts.http.server_chain.is_empty() {
            ctx.warnings.push("esmtls could not read Elasticsearch's HTTP certificate, so it could not check Kibana's hosts against its names".into());
        } else {
            check_hosts_in_sans(&hosts, &server_sans)?;
        }
    }

    // Steps 1 and 2: Kibana's client certificate and the CA chain.
    let kb_dir = &setup.kibana_config;
    let kb_real = kibana_real_dir(a, setup);
    let mut kb_ks_ops: Vec<KeystoreOp> = Vec::new();
    let mut client: Option<ClientFiles> = None;
    if a.mode.client_cert() {
        client = Some(client_cert(&mut ctx, &ca, &kb_real, &mut kb_ks_ops)?);
        ctx.file(
            2,
            setup.es_config.join("certs/kibana-ca.crt"),
            "the CA of Kibana's client certificate, for Elasticsearch",
            pemx::cert(&ca.material.cert_der).into_bytes(),
            false,
        );
    }
    ctx.file(
        2,
        kb_dir.join("certs/elasticsearch-ca.crt"),
        "the CA of Elasticsearch's HTTP certificate, for Kibana",
        pemx::cert(&server_ca_der).into_bytes(),
        false,
    );

    // Steps 3 and 4 (Elasticsearch side).
    let client_ca_trusted = ca.kind == CaKind::HttpCa
        || ctx
            .facts
            .http
            .implicit_trust
            .contains(&ca.material.cert_der)
        || server_needed;
    if a.mode == Mode::Pki {
        let before = es_edits.len();
        let notes = edits::realms(&mut es_edits, a, &ctx.facts)?;
        let lines = es_edits.describe_from(before);
        ctx.step(3).changes.extend(lines);
        ctx.step(3).notes.extend(notes);
    }
    if a.mode.client_cert() {
        let before = es_edits.len();
        if a.client_authentication() != a.mode.client_authentication() {
            let line = format!(
                "client_authentication: {} (elasticsearch.client_authentication in the answers; the mode's default is {})",
                a.client_authentication().unwrap_or("none"),
                a.mode.client_authentication().unwrap_or("none")
            );
            ctx.step(4).notes.push(line);
        }
        edits::client_auth(
            &mut es_edits,
            a.client_authentication(),
            &ctx.facts,
            client_ca_trusted,
            &setup.es_config,
        )?;
        let lines = es_edits.describe_from(before);
        ctx.step(4).changes.extend(lines);
    }
    let es_yml = es_edits.finish(&ctx.facts.es_yml)?;

    // Steps 6, 7 and 8 (Kibana side, credentials).
    let mut kb_edits = Edits::new(&kb_dir.join("kibana.yml"));
    let mut api: Vec<ApiCall> = Vec::new();
    let ca_path_for_kibana = kb_real.join("certs/elasticsearch-ca.crt");
    edits::kibana_tls(
        &mut kb_edits,
        a.mode,
        &ctx.facts,
        &hosts,
        &ca_path_for_kibana,
        client.as_ref(),
        &mut kb_ks_ops,
    );
    ctx.step(7).changes.extend(kb_edits.describe());
    let before = kb_edits.len();
    let ks_before = kb_ks_ops.len();
    let credential = super::credentials::plan(
        &mut ctx,
        cluster,
        reachable,
        &mut kb_edits,
        &mut kb_ks_ops,
        &mut api,
        client.as_ref(),
        &server_ca_der,
    )?;
    let lines = kb_edits.describe_from(before);
    ctx.step(8).changes.extend(lines);
    for op in &kb_ks_ops[ks_before..] {
        let line = describe_op("kibana.keystore", op);
        ctx.step(8).changes.push(line);
    }
    let kb_yml = kb_edits.finish(&ctx.facts.kb_yml)?;

    // The two yml files.
    for (n, ch, what) in [
        (4u8, es_yml, "Elasticsearch settings"),
        (7u8, kb_yml, "Kibana settings"),
    ] {
        if ch.is_unchanged() && !ch.path().exists() && ch.after().is_empty() {
            continue;
        }
        ctx.yaml(n, &ch, what);
        ctx.step(n).changes.pop();
        let line = format!(
            "{} {}",
            if ctx.files.last().is_some_and(|f| f.unchanged) {
                "unchanged:"
            } else {
                "edit:"
            },
            ch.path().display()
        );
        ctx.step(n).changes.push(line);
    }

    // Keystores.
    let mut keystores = Vec::new();
    if !es_ks_ops.is_empty() {
        let create = if ctx.facts.es_ks.is_none() {
            let v = setup
                .es_version
                .clone()
                .or_else(|| a.elasticsearch.version.clone())
                .ok_or_else(|| PlanError::Answer {
                    key: "elasticsearch.version".into(),
                    message: format!("there is no {} and its format depends on the Elasticsearch version, which esmtls could not detect; give it as `elasticsearch.version`", ctx.facts.es_ks_path.display()),
                })?;
            Some(crate::keystore::elasticsearch::format_for_es_version(&v)?)
        } else {
            None
        };
        for op in &es_ks_ops {
            let line = describe_op("elasticsearch.keystore", op);
            ctx.step(0).changes.push(line);
        }
        keystores.push(KeystoreChange {
            service: Service::Elasticsearch,
            path: ctx.facts.es_ks_path.clone(),
            create,
            password: setup.es_keystore_password.clone(),
            ops: es_ks_ops,
        });
    }
    for op in &kb_ks_ops[..ks_before] {
        let line = describe_op("kibana.keystore", op);
        ctx.step(7).changes.push(line);
    }
    if !kb_ks_ops.is_empty() {
        keystores.push(KeystoreChange {
            service: Service::Kibana,
            path: ctx.facts.kb_ks_path.clone(),
            create: ctx.facts.kb_ks.is_none().then_some(1),
            password: setup.kibana_keystore_password.clone(),
            ops: kb_ks_ops,
        });
    }
    for c in &api {
        let line = format!(
            "{}{} {}",
            if c.deferred {
                "deferred (cluster unreachable): "
            } else {
                ""
            },
            c.method,
            c.path
        );
        ctx.step(6).changes.push(line);
    }

    // Restarts.
    let es_changed = ctx
        .files
        .iter()
        .any(|f| !f.unchanged && f.path.starts_with(&setup.es_config))
        || keystores
            .iter()
            .any(|k| k.service == Service::Elasticsearch);
    let kb_changed = ctx
        .files
        .iter()
        .any(|f| !f.unchanged && f.path.starts_with(kb_dir))
        || keystores.iter().any(|k| k.service == Service::Kibana);
    let mut commands = Vec::new();
    for (n, changed, answer, detected, key, who) in [
        (
            5u8,
            es_changed,
            &a.elasticsearch.restart,
            &setup.es_restart,
            "elasticsearch.restart",
            "Elasticsearch",
        ),
        (
            9u8,
            kb_changed,
            &a.kibana.restart,
            &setup.kibana_restart,
            "kibana.restart",
            "Kibana",
        ),
    ] {
        if !changed {
            ctx.step(n)
                .notes
                .push(format!("Nothing changed for {who}; no restart needed."));
            continue;
        }
        match restart_command(answer, detected.as_ref(), key, who) {
            Ok(c) => {
                ctx.step(n)
                    .changes
                    .push(format!("run: {}", c.argv.join(" ")));
                ctx.step(n)
                    .notes
                    .push(format!("{} ({key}: {}).", c.what, answer.text()));
                commands.push(c);
            }
            Err(why) => ctx.step(n).notes.push(why),
        }
    }

    let verify = Verify {
        url: es_url.clone(),
        username: match credential {
            Credential::ServiceToken => "elastic/kibana".into(),
            Credential::Password => "kibana_system".into(),
            Credential::Certificate => client.as_ref().map(|c| c.cn.clone()).unwrap_or_default(),
        },
        realm_type: match credential {
            Credential::ServiceToken => "_service_account".into(),
            Credential::Password => "reserved".into(),
            Credential::Certificate => "pki".into(),
        },
        refused_without_cert: a.client_authentication() == Some("required"),
    };

    if let Some(out) = &setup.out_dir {
        super::readme::add(&mut ctx, out, &kb_real);
    }
    // A README or pending-requests file must not be the only "change" of a second run.
    Ok(Plan {
        mode: a.mode,
        license,
        license_from,
        out_dir: setup.out_dir.clone(),
        es_config: setup.es_config.clone(),
        kibana_config: setup.kibana_config.clone(),
        es_url,
        reachable,
        steps: ctx.steps,
        files: ctx.files,
        mkdirs: ctx.mkdirs,
        keystores,
        api,
        commands,
        verify,
        warnings: ctx.warnings,
        detected: setup.detected.clone(),
        remember: ctx.remember,
        server_ca_der,
        kibana_identity: client.map(|c| (c.chain, c.key)),
    })
}

/// The restart command for one side: the answer's command, the detected one
/// (`auto`), or none — then Err holds the reminder the plan shows instead.
fn restart_command(
    answer: &Restart,
    detected: Option<&Command>,
    key: &str,
    who: &str,
) -> Result<Command, String> {
    match (answer, detected) {
        (Restart::Command(argv), _) => Ok(Command {
            argv: argv.clone(),
            what: format!("restart {who} with the command from the answers"),
            restart: true,
        }),
        (Restart::Auto, Some(c)) => Ok(c.clone()),
        (Restart::Auto, None) => Err(format!(
            "Restart {who} where it runs, after copying the files (see the README in the output folder)."
        )),
        (Restart::None, _) => Err(format!(
            "Restart {who} yourself ({key}: none): esmtls runs nothing."
        )),
    }
}

/// Kibana's client certificate as planned.
pub(super) struct ClientFiles {
    /// Absolute paths as kibana.yml names them: p12, or cert + key.
    pub p12: Option<PathBuf>,
    pub pem: Option<(PathBuf, PathBuf)>,
    pub chain: Vec<Vec<u8>>,
    pub key: Secret,
    pub cn: String,
}

fn client_cert(
    ctx: &mut Ctx<'_>,
    ca: &certs::Ca,
    kb_real: &Path,
    ks_ops: &mut Vec<KeystoreOp>,
) -> Result<ClientFiles, PlanError> {
    let a = ctx.a;
    let cc = &a.client_certificate;
    let (_, cn) = crate::pki::build::leaf_dn(&cc.name)?;
    let want = Want {
        spec: LeafSpec {
            name: cc.name.clone(),
            dns: cc.dns.clone(),
            ips: cc.ip.clone(),
            usage: Usage::Client,
            days: cc.days,
            key: cc.key_type,
        },
        ca: &ca.material,
    };
    if !cc.key_type.is_rsa() {
        ctx.step(1).notes.push("Kibana reads PKCS#12 keys with node-forge, which only understands RSA; an EC key needs `format: pem`.".into());
        if cc.format == CertFormat::P12 {
            return Err(PlanError::Answer {
                key: "client_certificate.key_type".into(),
                message: "Kibana cannot read an EC key from a PKCS#12 file (node-forge); use an RSA key type or `client_certificate.format: pem`".into(),
            });
        }
    }
    let dir = ctx.setup.kibana_config.join("certs");
    match cc.format {
        CertFormat::P12 => {
            let path = dir.join("kibana-client.p12");
            let existing_pw = ctx.facts.kb_value(KB_P12_PASSWORD);
            let existing = existing_pw.as_ref().and_then(|pw| {
                std::fs::read(&path)
                    .ok()
                    .and_then(|b| pkcs12::read(&b, pw.expose(), "").ok())
            });
            if let Some(k) = existing
                .as_ref()
                .and_then(|c| c.keys.first())
                .filter(|k| certs::satisfies(&k.chain, &want))
            {
                ctx.step(1).notes.push(format!(
                    "{} from an earlier run is still right; kept.",
                    path.display()
                ));
                return Ok(ClientFiles {
                    p12: Some(kb_real.join("certs/kibana-client.p12")),
                    pem: None,
                    chain: k.chain.clone(),
                    key: Secret::new(hex::encode(&k.key_pkcs8)),
                    cn,
                });
            }
            let issued = certs::issue(&want)?;
            let pw = existing_pw.unwrap_or_else(certs::random_password);
            let key_der = issued.key.serialize_der();
            let chain = vec![issued.cert_der.clone(), ca.material.cert_der.clone()];
            let p12 = pkcs12::write_key(
                &cn,
                &key_der,
                &chain,
                &[("ca".into(), ca.material.cert_der.clone())],
                pw.expose(),
            )?;
            ctx.file(1, path, "Kibana's client certificate and key", p12, true);
            if ctx.facts.kb_value(KB_P12_PASSWORD).is_none() {
                ks_ops.push(KeystoreOp::Set {
                    name: KB_P12_PASSWORD.into(),
                    value: EntryValue::Known(pw),
                });
            }
            Ok(ClientFiles {
                p12: Some(kb_real.join("certs/kibana-client.p12")),
                pem: None,
                chain,
                key: Secret::new(hex::encode(&key_der)),
                cn,
            })
        }
        CertFormat::Pem => {
            let crt = dir.join("kibana-client.crt");
            let key = dir.join("kibana-client.key");
            let existing = std::fs::read(&crt)
                .ok()
                .and_then(|b| pemx::parse_all(&b, "").ok())
                .map(|b| pemx::certificates(&b));
            let existing_key = std::fs::read(&key)
                .ok()
                .and_then(|b| pemx::parse_all(&b, "").ok())
                .and_then(|b| {
                    pemx::private_key(&b, "", &mut || {
                        Err(crate::pki::PkiError::Invalid(String::new()))
                    })
                    .ok()
                    .flatten()
                });
            if let (Some(chain), Some(k)) = (&existing, &existing_key)
                && certs::satisfies(chain, &want)
                && pkcs12::spki_key(&chain[0]) == Some(k.public_key_raw().to_vec())
            {
                ctx.step(1).notes.push(format!(
                    "{} from an earlier run is still right; kept.",
                    crt.display()
                ));
                return Ok(ClientFiles {
                    p12: None,
                    pem: Some((
                        kb_real.join("certs/kibana-client.crt"),
                        kb_real.join("certs/kibana-client.key"),
                    )),
                    chain: chain.clone(),
                    key: Secret::new(hex::encode(k.serialize_der())),
                    cn,
                });
            }
            let issued = certs::issue(&want)?;
            let chain = vec![issued.cert_der.clone(), ca.material.cert_der.clone()];
            ctx.file(
                1,
                crt,
                "Kibana's client certificate (with its CA)",
                pemx::certs(chain.iter().map(Vec::as_slice)).into_bytes(),
                false,
            );
            ctx.file(
                1,
                key,
                "Kibana's client key (unencrypted PKCS#8, mode 0600)",
                pemx::key(&issued.key).into_bytes(),
                true,
            );
            Ok(ClientFiles {
                p12: None,
                pem: Some((
                    kb_real.join("certs/kibana-client.crt"),
                    kb_real.join("certs/kibana-client.key"),
                )),
                chain,
                key: Secret::new(hex::encode(issued.key.serialize_der())),
                cn,
            })
        }
    }
}

/// `elasticsearch.hosts` for Kibana.
fn hosts(a: &Answers, f: &Facts) -> Vec<String> {
    if !a.kibana.hosts.is_empty() {
        return a.kibana.hosts.clone();
    }
    let current: Vec<String> = facts::list(&f.kb_yml, "elasticsearch.hosts")
        .into_iter()
        .map(|h| match h.strip_prefix("http://") {
            Some(rest) => format!("https://{rest}"),
            None => h,
        })
        .collect();
    if current.is_empty() {
        vec!["https://localhost:9200".into()]
    } else {
        current
    }
}

fn server_names(a: &Answers, hosts: &[String]) -> (Vec<String>, Vec<std::net::IpAddr>) {
    let mut dns: Vec<String> = Vec::new();
    let mut ips: Vec<std::net::IpAddr> = Vec::new();
    let names = hosts
        .iter()
        .map(|h| url_host(h))
        .chain(["localhost".to_string()]);
    for n in names {
        match n.parse::<std::net::IpAddr>() {
            Ok(ip) if !ips.contains(&ip) => ips.push(ip),
            Ok(_) => {}
            Err(_) if !dns.contains(&n) => dns.push(n),
            Err(_) => {}
        }
    }
    for d in &a.server_certificate.dns {
        if !dns.contains(d) {
            dns.push(d.clone());
        }
    }
    for ip in &a.server_certificate.ip {
        if !ips.contains(ip) {
            ips.push(*ip);
        }
    }
    let lo: std::net::IpAddr = std::net::Ipv4Addr::LOCALHOST.into();
    if !ips.contains(&lo) {
        ips.push(lo);
    }
    (dns, ips)
}

/// Every host of `elasticsearch.hosts` must be in the server certificate's SANs.
fn check_hosts_in_sans(hosts: &[String], sans: &[String]) -> Result<(), PlanError> {
    for h in hosts {
        let host = url_host(h);
        if !inspect::san_matches(sans, &host) {
            return Err(PlanError::Answer {
                key: "kibana.hosts".into(),
                message: format!(
                    "{h}: `{host}` is not among the names of Elasticsearch's HTTP certificate ({}); Kibana would fail with \"Hostname/IP does not match certificate's altnames\". Use one of those names, or let esmtls issue a certificate with it (`server_certificate.generate: yes`) — do not lower `verificationMode`",
                    if sans.is_empty() {
                        "it has none".into()
                    } else {
                        sans.join(", ")
                    }
                ),
            });
        }
    }
    Ok(())
}

/// Where Kibana's config directory is on the host Kibana runs on: the real
/// directory, or (output folder) `kibana.install_config` / `/etc/kibana`.
fn kibana_real_dir(a: &Answers, setup: &Setup) -> PathBuf {
    if setup
        .out_dir
        .as_ref()
        .is_some_and(|o| setup.kibana_config.starts_with(o))
    {
        return a
            .kibana
            .install_config
            .clone()
            .unwrap_or_else(|| PathBuf::from("/etc/kibana"));
    }
    std::fs::canonicalize(&setup.kibana_config).unwrap_or_else(|_| setup.kibana_config.clone())
}

fn describe_op(store: &str, op: &KeystoreOp) -> String {
    match op {
        KeystoreOp::Set {
            name,
            value: EntryValue::Known(_),
        } => format!("{store}: set {name}"),
        KeystoreOp::Set {
            name,
            value: EntryValue::FromApi(_),
        } => {
            format!("{store}: set {name} (from the API response)")
        }
        KeystoreOp::Remove { name, reason } => format!("{store}: remove {name} ({reason})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_sans() {
        let wild = vec!["DNS:*.example.com".to_string(), "DNS:LOCALHOST".to_string()];
        assert!(inspect::san_matches(&wild, "es01.example.com"));
        assert!(!inspect::san_matches(&wild, "a.b.example.com"));
        assert!(inspect::san_matches(&wild, "localhost"));
        let sans = vec!["DNS:localhost".to_string(), "IP:127.0.0.1".to_string()];
        assert!(check_hosts_in_sans(&["https://localhost:9200".into()], &sans).is_ok());
        let e = check_hosts_in_sans(&["https://es01:9200".into()], &sans)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("es01") && e.contains("DNS:localhost") && e.contains("kibana.hosts"),
            "{e}"
        );
    }

    use crate::plan::{Answers, Offline, SecretStoreChoice};

    /// A node without HTTPS and a Kibana with the classic password, in a temp dir.
    fn seeded(es_yml: &str) -> (tempfile::TempDir, Setup) {
        let tmp = tempfile::tempdir().unwrap();
        let es = tmp.path().join("es");
        let kb = tmp.path().join("kibana");
        std::fs::create_dir_all(&es).unwrap();
        std::fs::create_dir_all(&kb).unwrap();
        std::fs::write(es.join("elasticsearch.yml"), es_yml).unwrap();
        std::fs::write(
            kb.join("kibana.yml"),
            "elasticsearch.username: kibana_system\n",
        )
        .unwrap();
        let mut s = Setup::dirs(&es, &kb, &tmp.path().join("state"));
        s.ca_password_store = SecretStoreChoice::File;
        (tmp, s)
    }

    fn answers(text: &str) -> Answers {
        Answers::parse(Path::new("answers.yml"), text).unwrap()
    }

    fn plan(a: &Answers, s: &Setup) -> Result<Plan, PlanError> {
        build(
            a,
            s,
            &mut Offline {
                url: "https://localhost:9200".into(),
            },
        )
    }

    fn es_yml(p: &Plan) -> String {
        let f = p
            .files
            .iter()
            .find(|f| f.path.ends_with("elasticsearch.yml"))
            .unwrap();
        String::from_utf8(f.content.clone()).unwrap()
    }

    fn kb_yml(p: &Plan) -> String {
        let f = p
            .files
            .iter()
            .find(|f| f.path.ends_with("kibana.yml"))
            .unwrap();
        String::from_utf8(f.content.clone()).unwrap()
    }

    fn step(p: &Plan, n: u8) -> &PlanStep {
        p.steps.iter().find(|s| s.number == n).unwrap()
    }

    #[test]
    fn pki_order_is_written_as_given() {
        let (_t, s) = seeded("cluster.name: demo\n");
        let p = plan(
            &answers("mode: pki\nlicense: platinum\npki:\n  order: 5\n"),
            &s,
        )
        .unwrap();
        let st = step(&p, 3);
        assert!(
            st.changes
                .iter()
                .any(|c| c.contains("xpack.security.authc.realms.pki.esmtls_pki.order: 5")),
            "{:?}",
            st.changes
        );
        assert!(
            st.changes
                .iter()
                .any(|c| c.contains("xpack.security.authc.realms.native.native1.order: 6")),
            "{:?}",
            st.changes
        );
        assert!(
            st.notes
                .iter()
                .any(|n| n.contains("pki.esmtls_pki (5), native.native1 (6)")),
            "{:?}",
            st.notes
        );
        let y = crate::yaml::YamlFile::parse(Path::new("e.yml"), &es_yml(&p)).unwrap();
        let order = y
            .get("xpack.security.authc.realms.pki.esmtls_pki.order")
            .unwrap();
        assert_eq!(order.value.as_text(), Some("5"));
    }

    #[test]
    fn pki_order_collision_names_the_realm_and_file() {
        let (_t, s) = seeded(
            "xpack.security.authc.realms.ldap.corp.order: 5\nxpack.security.authc.realms.native.users.order: 7\n",
        );
        let e = plan(
            &answers("mode: pki\nlicense: platinum\npki:\n  order: 5\n"),
            &s,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            e.contains("pki.order") && e.contains("ldap.corp") && e.contains("elasticsearch.yml"),
            "{e}"
        );
        // After another realm: allowed, with a note on what that means.
        let p = plan(
            &answers("mode: pki\nlicense: platinum\npki:\n  order: 6\n"),
            &s,
        )
        .unwrap();
        let notes = step(&p, 3).notes.join("\n");
        assert!(notes.contains("after ldap.corp"), "{notes}");
        assert!(
            notes.contains("ldap.corp (5), pki.esmtls_pki (6), native.users (7)"),
            "{notes}"
        );
        // auto: before the lowest.
        let p = plan(&answers("mode: pki\nlicense: platinum\n"), &s).unwrap();
        assert!(es_yml(&p).contains("order: 4"), "{}", es_yml(&p));
    }

    #[test]
    fn optional_on_mtls_token_is_written_and_warned() {
        let (_t, s) = seeded("cluster.name: demo\n");
        let a = answers("mode: mtls-token\nelasticsearch:\n  client_authentication: optional\n");
        let p = plan(&a, &s).unwrap();
        assert!(
            es_yml(&p).contains("client_authentication: optional"),
            "{}",
            es_yml(&p)
        );
        assert!(
            p.warnings
                .iter()
                .any(|w| w.contains("mTLS network control is lost")),
            "{:?}",
            p.warnings
        );
        assert!(
            !p.warnings
                .iter()
                .any(|w| w.starts_with("client_authentication: required applies")),
            "{:?}",
            p.warnings
        );
        assert!(!p.verify.refused_without_cert);
        assert!(kb_yml(&p).contains("alwaysPresentCertificate: true"));
        assert!(step(&p, 4).notes.iter().any(|n| n.contains("optional")));
        // auto keeps the mode's `required`, and the check that goes with it.
        let p = plan(&answers("mode: mtls-token\n"), &s).unwrap();
        assert!(es_yml(&p).contains("client_authentication: required"));
        assert!(p.verify.refused_without_cert);
        // pki: optional (auto) and the explicit optional plan the same.
        let p1 = plan(&answers("mode: pki\nlicense: trial\n"), &s).unwrap();
        let p2 = plan(
            &answers(
                "mode: pki\nlicense: trial\nelasticsearch:\n  client_authentication: optional\n",
            ),
            &s,
        )
        .unwrap();
        assert_eq!(
            es_yml(&p1).contains("optional"),
            es_yml(&p2).contains("optional")
        );
        assert!(!p2.verify.refused_without_cert);
    }

    #[test]
    fn restart_answers_choose_the_commands() {
        let (_t, mut s) = seeded("cluster.name: demo\n");
        s.es_restart = Some(Command {
            argv: vec![
                "systemctl".into(),
                "restart".into(),
                "elasticsearch.service".into(),
            ],
            what: "restart Elasticsearch (systemd)".into(),
            restart: true,
        });
        let p = plan(&answers("mode: token\n"), &s).unwrap();
        assert_eq!(p.commands.len(), 1);
        assert_eq!(p.commands[0].argv[0], "systemctl");

        let p = plan(
            &answers("mode: token\nelasticsearch:\n  restart: none\n"),
            &s,
        )
        .unwrap();
        assert!(p.commands.is_empty(), "{:?}", p.commands);
        assert!(
            step(&p, 5)
                .notes
                .iter()
                .any(|n| n.contains("elasticsearch.restart: none"))
        );
        assert!(!step(&p, 5).changes.iter().any(|c| c.starts_with("run:")));

        let p = plan(
            &answers(
                "mode: token\nelasticsearch:\n  restart: none\nkibana:\n  restart: \"sudo /opt/bin/restart kibana 'now please'\"\n",
            ),
            &s,
        )
        .unwrap();
        assert_eq!(p.commands.len(), 1);
        assert_eq!(
            p.commands[0].argv,
            ["sudo", "/opt/bin/restart", "kibana", "now please"]
        );
        assert!(p.commands[0].restart);
        assert!(
            step(&p, 9)
                .changes
                .iter()
                .any(|c| c.starts_with("run: sudo"))
        );
    }

    #[test]
    fn the_ca_password_store_is_shown() {
        let (_t, s) = seeded("cluster.name: demo\n");
        let p = plan(
            &answers("mode: mtls-token\nsecrets:\n  ca_password: file\n"),
            &s,
        )
        .unwrap();
        let notes: Vec<&String> = p.steps.iter().flat_map(|s| &s.notes).collect();
        assert!(
            notes
                .iter()
                .any(|n| n.contains("CA password goes to the 0600 file") && n.contains("file")),
            "{notes:?}"
        );
    }

    #[test]
    fn path_helper() {
        assert_eq!(url_host("https://[::1]:9200"), "::1");
    }
}
