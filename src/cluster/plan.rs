//! One plan for the whole cluster, with a part per host: the certificates
//! (one HTTP certificate per node when esmtls issues them, one client
//! certificate per Kibana), Kibana's credential (made once), what each host
//! changes, the cluster-wide API calls (made once) and the order of work.
//!
//! The CA holder runs this; it reads no other host's files. Each host's
//! part travels as a bundle ([`super::bundle`]) and is planned exactly, on
//! that host, against its own files ([`super::host`]).

use std::path::{Path, PathBuf};

use super::issue::{self, Leaf};
use super::order;
use super::topology::{Host, Product, Topology};
use super::types::{CA_PASSWORD_FILE, ClusterPlan, HostPart, Leaves};
use crate::pki::build::{LeafSpec, Usage};
use crate::pki::key_pool::KeyPool;
use crate::plan::answers::{CaSource, Generate};
use crate::plan::certs::{self, CaKind};
use crate::plan::{Answers, Cluster, Given, License, Mode, PlanError, Setup, facts, guide};
use crate::secret::Secret;

/// Where the CA holder keeps the cluster's CA and what it knows from before.
pub struct Central<'a> {
    /// A setup of the CA holder's machine (for `ca.source: elasticsearch`
    /// or `auto`: its auto-configured `http_ca`).
    pub setup: &'a Setup,
    /// Where the cluster's own CA is kept (`<bundle dir>/_ca`).
    pub ca_dir: PathBuf,
    /// The bundles of an earlier run, reused where still right (so a second
    /// run gives bundles that change nothing).
    pub prior: Option<&'a Path>,
    /// Keys already being made ([`start_keys`], before detection): the
    /// planner takes them for the certificates it issues.
    pub keys: std::cell::Cell<Option<KeyPool>>,
}

/// Starts making the keys a first run will need, before anything else
/// (detection, the cluster's answers): on a fresh bundle directory every
/// certificate is new. None when earlier bundles are there (their keys are
/// reused) or the hosts make their own keys.
pub fn start_keys(a: &Answers, dir: Option<&Path>) -> Option<KeyPool> {
    let top = a.topology.as_ref()?;
    let earlier = dir.is_some_and(|d| std::fs::read_dir(d).is_ok_and(|mut e| e.next().is_some()));
    if earlier || top.keys != super::topology::KeysAt::CaHolder {
        return None;
    }
    let https_on = a.server_certificate.generate != Generate::No;
    let mut types = new_key_types(a, top, https_on, &super::prior::Prior::default());
    // Last: when detection finds a CA to use instead, it is not started yet.
    types.extend(early_ca_key(a));
    Some(KeyPool::start(types))
}

/// The key a new CA of esmtls's will need, when the answers let esmtls
/// make one ([`start_keys`] makes it early; the planner forgoes it when
/// detection finds a CA to use instead).
fn early_ca_key(a: &Answers) -> Option<crate::pki::KeyType> {
    matches!(a.ca.source, CaSource::New | CaSource::Auto).then_some(a.ca.key_type)
}

/// Builds the cluster plan.
pub fn build(
    a: &Answers,
    central: &Central<'_>,
    cluster: &mut dyn Cluster,
) -> Result<ClusterPlan, PlanError> {
    let mut top = a.topology.clone().unwrap_or_default();
    let reachable = cluster.reachable();
    let mut warnings = Vec::new();
    if top.elasticsearch.is_empty() {
        top.elasticsearch = nodes_from_cluster(cluster, reachable)?;
    }
    let license = match reachable.then(|| cluster.license()) {
        Some(Ok(t)) => License::parse(&t),
        _ => a.license,
    };
    warnings.extend(guide::check_choice(
        a.mode,
        license,
        a.allow_unlicensed_pki,
    )?);
    let facts = facts::read(central.setup)?;
    let https_on = match a.server_certificate.generate {
        Generate::Yes => true,
        Generate::No => false,
        Generate::Auto => !facts.http.enabled && !reachable,
    };
    let prior = super::prior::Prior::read(central.prior);
    let token = super::credentials::token_early(a, &prior);
    // The hosts' new keys are made on every core while the CA is chosen (or made).
    let early = central.keys.take();
    let early_ca = early.is_some().then(|| early_ca_key(a)).flatten();
    let pool = early.or_else(|| {
        (top.keys == super::topology::KeysAt::CaHolder)
            .then(|| KeyPool::start(new_key_types(a, &top, https_on, &prior)))
    });
    let remembered = std::fs::read_to_string(central.ca_dir.join(CA_PASSWORD_FILE))
        .ok()
        .map(|s| Secret::new(s.trim().to_string()));
    let external = external_ca(a, &top)?;
    let ca = match &external {
        Some(_) => None,
        None => Some(certs::choose(
            a,
            &facts,
            &central.ca_dir,
            remembered,
            pool.as_ref(),
        )?),
    };
    let ca_made = ca
        .as_ref()
        .is_some_and(|c| c.kind == CaKind::Esmtls { new: true });
    if let (Some(t), Some(p), false) = (early_ca, &pool, ca_made) {
        p.forgo(t);
    }
    let ca_der = match (&external, &ca) {
        (Some((der, _)), _) => der.clone(),
        (None, Some(c)) => c.material.cert_der.clone(),
        (None, None) => return Err(PlanError::Other("internal: no CA".into())),
    };
    let http_ca = ca.as_ref().is_some_and(|c| c.kind == CaKind::HttpCa);
    if !http_ca && !https_on {
        match a.elasticsearch.server_ca.is_some() || facts.http.server_ca.is_some() {
            true => {}
            false => return Err(PlanError::Answer {
                key: "elasticsearch.server_ca".into(),
                message: "the nodes keep their HTTP certificates, so Kibana needs the CA that signed them: give its PEM file as `elasticsearch.server_ca`, or let esmtls issue every node's certificate (`server_certificate.generate: yes`)".into(),
            }),
        }
    }
    let server_ca_der = if https_on {
        ca_der.clone()
    } else {
        server_ca(a, &facts)?
    };
    let signer = super::csr::Signer {
        ca: ca.as_ref().map(|c| &c.material),
        ca_der: &ca_der,
    };
    let leaves = certificates(
        a,
        &top,
        &signer,
        https_on,
        &prior,
        central.prior,
        pool.as_ref(),
    )?;
    let creds = super::credentials::make(a, reachable, &leaves, &prior, token)?;
    let mut hosts = Vec::new();
    for (product, h) in top.hosts() {
        let given = Given {
            ca_der: ca_der.clone(),
            server_ca_der: Some(server_ca_der.clone()),
            http: leaves.http(&h.name),
            client: leaves.client(&h.name),
            credential: (product == Product::Kibana)
                .then(|| creds.credential.clone())
                .flatten(),
            token_line: (product == Product::Elasticsearch)
                .then(|| creds.token_line.clone())
                .flatten(),
            role_mapping_dn: (product == Product::Elasticsearch)
                .then(|| creds.role_mapping_dn.clone())
                .flatten(),
        };
        let mut part = part(a, &top, product, h, https_on, given);
        if let Some((req, signed)) = leaves
            .requested
            .iter()
            .find(|(n, _, _)| n == &h.name)
            .map(|(_, r, s)| (r, s))
        {
            let what = match req.which {
                super::csr::Which::Http => "HTTP",
                super::csr::Which::Client => "client",
            };
            part.certificates.push(match signed {
                Some(_) => format!("{what} certificate signed from {}'s CSR (its key stays on it)", h.name),
                None => format!(
                    "{what} certificate: waiting for {h}'s CSR: run `esmtls csr --bundle DIR/{h}` on {h}; then this command signs it (a CA esmtls has no key for signs DIR/{h}/{csr} instead, and its certificate goes to DIR/{h}/{crt})",
                    h = h.name,
                    csr = req.which.csr_file(),
                    crt = req.which.cert_file(),
                ),
            });
            part.requests.push(req.clone());
            part.signed = signed.clone();
        }
        hosts.push(part);
    }
    let prepare = creds.token_line.is_some();
    let order = order::order(a.mode, &top, !creds.calls.is_empty(), https_on, prepare);
    let calls_client = match (signer.ca, creds.calls.is_empty()) {
        (Some(ca), false) if a.mode.client_authentication() == Some("required") => {
            Some(calls_client(a, ca, &prior)?)
        }
        _ => None,
    };
    Ok(ClusterPlan {
        mode: a.mode,
        license,
        reachable,
        ca: match (&ca, &external) {
            (Some(c), _) => describe_ca(c),
            (None, Some((der, path))) => describe_external(der, path),
            (None, None) => String::new(),
        },
        server_certificates: https_on,
        kibana_hosts: top.kibana_hosts(),
        hosts,
        calls: creds.calls,
        order,
        warnings,
        ca_files: ca.as_ref().map(|c| c.files.clone()).unwrap_or_default(),
        ca_password: ca.as_ref().and_then(|c| c.remember.clone()),
        calls_client,
    })
}

/// The client certificate the cluster-wide calls present once the nodes
/// require one (the one from an earlier run while it still fits).
fn calls_client(
    a: &Answers,
    ca: &crate::pki::build::CaMaterial,
    prior: &super::prior::Prior,
) -> Result<Leaf, PlanError> {
    let spec = LeafSpec {
        name: "CN=esmtls-cluster-calls".into(),
        dns: Vec::new(),
        ips: Vec::new(),
        usage: Usage::Client,
        days: a.client_certificate.days,
        key: crate::pki::KeyType::EcP256,
    };
    let want = certs::Want {
        spec: spec.clone(),
        ca,
    };
    if let Some(l) = prior
        .leaf(super::order::CLUSTER, false)
        .filter(|l| certs::satisfies(&l.chain, &want))
    {
        return Ok(l);
    }
    Ok(issue::issue_all(std::slice::from_ref(&spec), ca, None)?.remove(0))
}

/// The key types of the certificates no earlier bundle has (those are
/// issued anew; an earlier one that still fits is kept instead).
fn new_key_types(
    a: &Answers,
    top: &Topology,
    https_on: bool,
    prior: &super::prior::Prior,
) -> Vec<crate::pki::KeyType> {
    let nodes = top.elasticsearch.iter().filter(|_| https_on);
    let nodes = nodes.filter(|h| prior.leaf(&h.name, true).is_none());
    let kibanas = top.kibana.iter().filter(|_| a.mode.client_cert());
    let kibanas = kibanas.filter(|h| prior.leaf(&h.name, false).is_none());
    let n = nodes.map(|_| a.server_certificate.key_type);
    n.chain(kibanas.map(|_| a.client_certificate.key_type))
        .collect()
}

/// The nodes from `GET /_nodes/http`, when the topology lists none.
fn nodes_from_cluster(cluster: &mut dyn Cluster, reachable: bool) -> Result<Vec<Host>, PlanError> {
    let why = "list the nodes under `topology.elasticsearch` (name, dns or ip, config)";
    if !reachable {
        return Err(PlanError::Answer {
            key: "topology.elasticsearch".into(),
            message: format!("the cluster is not reachable to ask for its nodes; {why}"),
        });
    }
    let nodes = cluster.nodes_http().map_err(|e| PlanError::Answer {
        key: "topology.elasticsearch".into(),
        message: format!("GET /_nodes/http failed ({e}); {why}"),
    })?;
    Ok(nodes
        .into_iter()
        .map(|(name, addr)| {
            let (host, port) = crate::plan::answers::split_host_port(&addr);
            let host = host.trim_matches(['[', ']']);
            let ip = host.parse().ok();
            Host {
                name,
                dns: if ip.is_none() {
                    vec![host.to_string()]
                } else {
                    vec![]
                },
                ip: ip.into_iter().collect(),
                config: None,
                port: port.and_then(|p| p.parse().ok()),
                version: None,
            }
        })
        .collect())
}

fn server_ca(a: &Answers, facts: &facts::Facts) -> Result<Vec<u8>, PlanError> {
    if let Some(p) = &a.elasticsearch.server_ca {
        let b = std::fs::read(p).map_err(|e| PlanError::Answer {
            key: "elasticsearch.server_ca".into(),
            message: format!("cannot read {}: {e}", p.display()),
        })?;
        return facts::first_cert(&b).ok_or_else(|| PlanError::Answer {
            key: "elasticsearch.server_ca".into(),
            message: format!("{} holds no certificate", p.display()),
        });
    }
    facts.http.server_ca.clone().ok_or_else(|| PlanError::Answer {
        key: "elasticsearch.server_ca".into(),
        message: "esmtls cannot tell which CA signed the nodes' HTTP certificates; give its PEM file as `elasticsearch.server_ca`".into(),
    })
}

fn describe_ca(ca: &certs::Ca) -> String {
    let subject = crate::pki::inspect::cert_info(&ca.material.cert_der)
        .map(|i| i.subject)
        .unwrap_or_default();
    match &ca.kind {
        CaKind::HttpCa => {
            format!("the auto-configured http_ca ({subject}), which every enrolled node trusts")
        }
        CaKind::File(p) => format!("{subject} from {}", p.display()),
        CaKind::Esmtls { new: true } => format!("a new CA {subject}, kept by the CA holder"),
        CaKind::Esmtls { new: false } => format!("esmtls's CA {subject} from an earlier run"),
    }
}

/// The HTTP certificate's names for a node: its DNS names, IPs, its name,
/// localhost and 127.0.0.1, and `server_certificate.dns`/`ip`.
pub fn node_spec(a: &Answers, h: &Host) -> LeafSpec {
    let mut dns = h.dns.clone();
    for d in [h.name.clone(), "localhost".into()]
        .into_iter()
        .chain(a.server_certificate.dns.clone())
    {
        if !dns.iter().any(|x| x.eq_ignore_ascii_case(&d)) {
            dns.push(d);
        }
    }
    let mut ips = h.ip.clone();
    for ip in [std::net::Ipv4Addr::LOCALHOST.into()]
        .into_iter()
        .chain(a.server_certificate.ip.clone())
    {
        if !ips.contains(&ip) {
            ips.push(ip);
        }
    }
    LeafSpec {
        name: format!("CN={}", h.name),
        dns,
        ips,
        usage: Usage::Server,
        days: a.server_certificate.days,
        key: a.server_certificate.key_type,
    }
}

/// Kibana's client certificate spec (the same subject on every instance).
pub fn client_spec(a: &Answers) -> LeafSpec {
    certs::client_spec(a)
}

/// `ca.source: file` with a certificate and no key (a corporate CA): only
/// with `topology.keys: host`, since esmtls cannot sign.
fn external_ca(a: &Answers, top: &Topology) -> Result<Option<(Vec<u8>, PathBuf)>, PlanError> {
    use crate::plan::answers::CaSource;
    let (CaSource::File, Some(path), None) = (a.ca.source, &a.ca.cert, &a.ca.key) else {
        return Ok(None);
    };
    let bytes = std::fs::read(path).map_err(|e| PlanError::Answer {
        key: "ca.cert".into(),
        message: format!("cannot read {}: {e}", path.display()),
    })?;
    let pem_key =
        crate::pki::pem::is_pem(&bytes) && String::from_utf8_lossy(&bytes).contains("PRIVATE KEY");
    let der = match crate::pki::pem::is_pem(&bytes) {
        true if !pem_key => facts::first_cert(&bytes),
        false => crate::pki::build::parse(&bytes).ok().map(|_| bytes.clone()),
        true => None,
    };
    let Some(der) = der else { return Ok(None) };
    if top.keys != super::topology::KeysAt::Host {
        return Err(PlanError::Answer {
            key: "topology.keys".into(),
            message: format!(
                "esmtls has no key for the CA in {} and cannot sign with it; set `topology.keys: host`: each host then makes a CSR, which your CA signs",
                path.display()
            ),
        });
    }
    Ok(Some((der, path.clone())))
}

fn describe_external(der: &[u8], path: &Path) -> String {
    let subject = crate::pki::inspect::cert_info(der)
        .map(|i| i.subject)
        .unwrap_or_default();
    format!(
        "your CA {subject} ({}); esmtls has no key for it, so it signs each host's CSR",
        path.display()
    )
}

#[allow(clippy::too_many_arguments)]
fn certificates(
    a: &Answers,
    top: &Topology,
    signer: &super::csr::Signer<'_>,
    https_on: bool,
    prior: &super::prior::Prior,
    dir: Option<&Path>,
    pool: Option<&KeyPool>,
) -> Result<Leaves, PlanError> {
    let mut wanted: Vec<(bool, String, LeafSpec)> = Vec::new();
    if https_on {
        for h in &top.elasticsearch {
            wanted.push((true, h.name.clone(), node_spec(a, h)));
        }
    }
    if a.mode.client_cert() {
        for h in &top.kibana {
            wanted.push((false, h.name.clone(), client_spec(a)));
        }
    }
    let mut leaves = Leaves {
        http: Vec::new(),
        client: Vec::new(),
        requested: Vec::new(),
        client_spec: a.mode.client_cert().then(|| client_spec(a)),
    };
    if top.keys == super::topology::KeysAt::Host {
        use super::csr::{Request, Which};
        for (is_http, name, spec) in wanted {
            let req = Request::new(if is_http { Which::Http } else { Which::Client }, &spec);
            let signed = super::csr::signed(dir, &name, &req, signer)?;
            leaves.requested.push((name, req, signed));
        }
        return Ok(leaves);
    }
    let Some(ca) = signer.ca else {
        return Err(PlanError::Other("internal: no CA to issue with".into()));
    };
    let mut to_issue = Vec::new();
    for (i, (is_http, name, spec)) in wanted.iter().enumerate() {
        let want = certs::Want {
            spec: spec.clone(),
            ca,
        };
        match prior
            .leaf(name, *is_http)
            .filter(|l| certs::satisfies(&l.chain, &want))
        {
            Some(l) => push(&mut leaves, *is_http, name, l),
            None => to_issue.push(i),
        }
    }
    let specs: Vec<LeafSpec> = to_issue.iter().map(|&i| wanted[i].2.clone()).collect();
    for (i, leaf) in to_issue
        .into_iter()
        .zip(issue::issue_all(&specs, ca, pool)?)
    {
        push(&mut leaves, wanted[i].0, &wanted[i].1, leaf);
    }
    Ok(leaves)
}

fn push(leaves: &mut Leaves, is_http: bool, name: &str, l: Leaf) {
    let list = if is_http {
        &mut leaves.http
    } else {
        &mut leaves.client
    };
    list.push((name.to_string(), l));
}

/// One host's answers and its part of the plan.
fn part(
    a: &Answers,
    top: &Topology,
    product: Product,
    h: &Host,
    https_on: bool,
    given: Given,
) -> HostPart {
    let mut ha = a.clone();
    ha.topology = None;
    ha.elasticsearch.url = None;
    // Paths on the CA holder mean nothing on the host: what they gave travels in the bundle.
    ha.elasticsearch.config = None;
    ha.elasticsearch.server_ca = None;
    ha.kibana.config = None;
    ha.ca = Default::default();
    ha.server_certificate.generate = if https_on {
        Generate::Yes
    } else {
        Generate::No
    };
    let config = h.config_dir(product);
    let (url, certificates, changes) = match product {
        Product::Elasticsearch => {
            ha.elasticsearch.config = Some(config.clone());
            ha.elasticsearch.version = h.version.clone().or(a.elasticsearch.version.clone());
            ha.kibana.hosts = vec![h.url()];
            let certs = given
                .http
                .iter()
                .map(|_| {
                    let s = node_spec(a, h);
                    let names: Vec<String> = s
                        .dns
                        .iter()
                        .cloned()
                        .chain(s.ips.iter().map(|i| i.to_string()))
                        .collect();
                    format!("HTTP certificate CN={} for {}", h.name, names.join(", "))
                })
                .collect();
            (Some(h.url()), certs, node_changes(a.mode, https_on, &given))
        }
        Product::Kibana => {
            ha.kibana.config = Some(config.clone());
            ha.kibana.hosts = top.kibana_hosts();
            let certs = given
                .client
                .iter()
                .map(|_| format!("client certificate {}", a.client_certificate.name))
                .collect();
            (None, certs, kibana_changes(a.mode, top))
        }
    };
    HostPart {
        name: h.name.clone(),
        product,
        config,
        url,
        certificates,
        changes,
        answers: ha,
        given,
        requests: Vec::new(),
        signed: None,
        any_host: false,
    }
}

fn node_changes(mode: Mode, https_on: bool, g: &Given) -> Vec<String> {
    let mut c = Vec::new();
    if https_on {
        c.push(
            "elasticsearch.yml: xpack.security.http.ssl.* (HTTPS with this node's certificate)"
                .into(),
        );
    }
    if mode == Mode::Pki {
        c.push("elasticsearch.yml: the PKI realm and a native realm".into());
    }
    if let Some(ca) = mode.client_authentication() {
        c.push(format!("elasticsearch.yml: xpack.security.http.ssl.client_authentication: {ca}, trusting the CA of Kibana's certificate"));
    }
    if g.token_line.is_some() {
        c.push("service_tokens: a file-based token for elastic/kibana".into());
    }
    if g.role_mapping_dn.is_some() {
        c.push("role_mapping.yml: Kibana's certificate → kibana_system".into());
    }
    c
}

fn kibana_changes(mode: Mode, top: &Topology) -> Vec<String> {
    let mut c = vec![format!(
        "kibana.yml: elasticsearch.hosts: [{}] and the nodes' CA",
        top.kibana_hosts().join(", ")
    )];
    if mode.client_cert() {
        c.push("kibana.yml: Kibana's client certificate".into());
    }
    c.push(match mode.credential() {
        crate::plan::Credential::ServiceToken => {
            "kibana.keystore: elasticsearch.serviceAccountToken (no username or password)".into()
        }
        crate::plan::Credential::Password => {
            "kibana.keystore: elasticsearch.password for kibana_system".into()
        }
        crate::plan::Credential::Certificate => {
            "no username, password or token: the certificate is Kibana's identity".into()
        }
    });
    c
}
