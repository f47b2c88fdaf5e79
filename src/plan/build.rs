//! `build(answers, setup, cluster) -> Plan`: the one place that decides what
//! a setup changes. The wizard's review screen, `esmtls plan`, `esmtls apply
//! --dry-run` and `esmtls apply` all show or run its result.
//!
//! Shape: read the facts and the license, list the steps, then run each of
//! the guide's steps ([`super::steps`], one module per step) over one
//! working context, and turn the context into the [`Plan`].
//!
//! Invariants: reads only (files and read-only API calls); every decision
//! that depends on the current state is made so that applying the plan and
//! building it again gives a plan that changes nothing.

use super::answers::{Answers, Generate};
use super::context::Ctx;
use super::edits::Edits;
use super::facts;
use super::mode::{Credential, License, Step, applies};
use super::setup::{Cluster, Setup};
use super::steps::{self, names};
use super::types::*;
use super::{PlanError, Prereq};

pub use super::kibana_client::KB_P12_PASSWORD;

/// Builds the plan.
pub fn build(a: &Answers, setup: &Setup, cluster: &mut dyn Cluster) -> Result<Plan, PlanError> {
    let facts = facts::read(setup)?;
    let reachable = cluster.reachable();
    let unreachable_why = (!reachable).then(|| cluster.why_not()).flatten();
    let hosts = names::hosts(a, &facts)?;
    let server_needed = match a.server_certificate.generate {
        Generate::Yes => true,
        Generate::No => false,
        Generate::Auto => !facts.http.enabled,
    };
    let mut ctx = Ctx {
        a,
        setup,
        steps: step_list(a, server_needed),
        files: Vec::new(),
        mkdirs: Vec::new(),
        warnings: Vec::new(),
        remember: Vec::new(),
        reachable,
        hosts: hosts.written,
        hosts_resolved: hosts.resolved,
        server_needed,
        ca: None,
        ca_der: Vec::new(),
        ca_is_http_ca: false,
        server_ca_der: Vec::new(),
        kb_real: names::kibana_real_dir(a, setup),
        client: None,
        es_edits: Edits::new(&setup.es_config.join("elasticsearch.yml")),
        kb_edits: Edits::new(&setup.kibana_config.join("kibana.yml")),
        es_ks_ops: Vec::new(),
        kb_ks_ops: Vec::new(),
        kb_ks_ops_tls: 0,
        api: Vec::new(),
        keystores: Vec::new(),
        commands: Vec::new(),
        credential: a.mode.credential(),
        replaced: Vec::new(),
        facts,
    };
    let (license, license_from) = license(&mut ctx, cluster);
    if let Some(why) = unreachable_why {
        ctx.warnings.push(format!(
            "Elasticsearch is not reachable ({why}); API requests go to esmtls-requests.txt"
        ));
    }
    check_choice(&mut ctx, license)?;
    for run in steps::ORDER {
        run(&mut ctx, cluster)?;
    }
    Ok(finish(ctx, license, license_from))
}

/// The license that decides whether `pki` is allowed, and where it came from.
fn license(ctx: &mut Ctx<'_>, cluster: &mut dyn Cluster) -> (Option<License>, LicenseFrom) {
    let a = ctx.a;
    match ctx.reachable.then(|| cluster.license()) {
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
    }
}

/// Refuses a mode the license forbids; adds the choice's warnings.
fn check_choice(ctx: &mut Ctx<'_>, license: Option<License>) -> Result<(), PlanError> {
    let a = ctx.a;
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
    Ok(())
}

/// Step 0 (only when needed) and the nine steps, empty.
fn step_list(a: &Answers, server_needed: bool) -> Vec<PlanStep> {
    let mut steps = Vec::new();
    if server_needed {
        steps.push(PlanStep {
            number: 0,
            title: Prereq::TITLE.into(),
            applies: super::Applies::Yes(Prereq::TEXT.into()),
            changes: Vec::new(),
            notes: Vec::new(),
        });
    }
    for s in Step::ALL {
        steps.push(PlanStep {
            number: s.number(),
            title: s.guide_title().into(),
            applies: applies(a.mode, s),
            changes: Vec::new(),
            notes: Vec::new(),
        });
    }
    steps
}

/// The plan, from the context once every step ran.
fn finish(ctx: Ctx<'_>, license: Option<License>, license_from: LicenseFrom) -> Plan {
    let (a, setup) = (ctx.a, ctx.setup);
    let es_url = a
        .elasticsearch
        .url
        .clone()
        .unwrap_or_else(|| ctx.hosts_resolved[0].clone());
    let client = ctx.client;
    let verify = Verify {
        url: es_url.clone(),
        username: match ctx.credential {
            Credential::ServiceToken => "elastic/kibana".into(),
            Credential::Password => "kibana_system".into(),
            Credential::Certificate => client.as_ref().map(|c| c.cn.clone()).unwrap_or_default(),
        },
        realm_type: match ctx.credential {
            Credential::ServiceToken => "_service_account".into(),
            Credential::Password => "reserved".into(),
            Credential::Certificate => "pki".into(),
        },
        refused_without_cert: a.client_authentication() == Some("required"),
    };
    Plan {
        mode: a.mode,
        license,
        license_from,
        out_dir: setup.out_dir.clone(),
        restart_free: false,
        es_config: setup.es_config.clone(),
        kibana_config: setup.kibana_config.clone(),
        es_url,
        reachable: ctx.reachable,
        steps: ctx.steps,
        files: ctx.files,
        mkdirs: ctx.mkdirs,
        keystores: ctx.keystores,
        api: ctx.api,
        commands: ctx.commands,
        verify,
        replaced: replaced(ctx.replaced, &ctx.facts.pending),
        warnings: ctx.warnings,
        detected: setup.detected.clone(),
        remember: ctx.remember,
        server_ca_der: ctx.server_ca_der,
        kibana_identity: client.map(|c| (c.chain, c.key)),
    }
}

/// What this plan replaces, then what earlier applies replaced and is not
/// revoked yet (kept in the state directory, see [`super::restart_pending`]).
fn replaced(mut now: Vec<Replaced>, pending: &super::restart_pending::Pending) -> Vec<Replaced> {
    for r in &pending.replaced {
        if !now.contains(r) {
            now.push(r.clone());
        }
    }
    now
}

#[cfg(test)]
mod tests {
    use super::super::answers::url_host;
    use super::super::steps::names::check_hosts_in_sans;
    use super::*;
    use crate::pki::inspect;
    use std::path::Path;

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
    fn a_host_refused_as_a_san_names_the_answers_key_not_a_flag() {
        let (_t, s) = seeded("cluster.name: demo\n");
        let a = answers(
            "mode: token\nkibana:\n  hosts: [\"https://es_1..example:9200\"]\nserver_certificate:\n  generate: yes\n",
        );
        let e = plan(&a, &s).unwrap_err().to_string();
        assert!(e.starts_with("answers: `kibana.hosts`: "), "{e}");
        assert!(e.contains("'es_1..example' is not a valid DNS name"), "{e}");
        assert!(!e.contains("--"), "a flag of another command in {e}");
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
