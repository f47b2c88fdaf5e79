//! Issue 14: a killed `esmtls apply` never leaves a node that cannot start.
//! Everything goes through the binary (`ESMTLS_FAULT` injects the faults).
//!
//! **The kill matrix** ([`kill_matrix`]): 5 modes × 3 layouts (a fresh
//! package install; a node auto-configured by Elasticsearch 8 with Kibana
//! enrolled; a package on which an earlier `esmtls apply` set up another mode)
//! × kill after rename N = 1..R, R being the files an uninterrupted apply
//! changes there (counted on a reference run on its own copy). Each cell:
//! 1. `apply` with `kill-after-rename:N` dies;
//! 2. a variant: nothing more, or `esmtls plan` (refuses, naming the
//!    interrupted apply, and changes nothing), or `esmtls renew --yes`
//!    (recovers: both config dirs exactly as before the kill);
//! 3. one `apply` succeeds and ends where the reference ended (same paths and
//!    modes, byte-identical ymls, same keystore entry names, every file the
//!    ymls name exists);
//! 4. a second `apply` changes nothing (every file under the test root,
//!    hidden ones and backups too: bytes, mode, owner).
//!
//! Plus, per mode × layout, pure recovery: after a kill at ⌈R/2⌉, an apply that
//! fails before writing (`fail-before-commit`) leaves the config dirs exactly
//! as they were before the kill. The cells run on [`WORKERS`] threads, each in
//! its own temporary directory; failures are collected and reported grouped
//! by reason, with the first of each reason in full.
//!
//! Then the writer lock (two applies at once; a dead holder's lock is taken
//! over) and a stop (SIGINT, SIGTERM) while planning: exit 130, nothing changed.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use common::setups::{autoconfigured_dirs, package_dirs};
use common::{esmtls, run, stderr, stdout};
use esmtls::keystore::secrets_store::SetupId;
use esmtls::keystore::{EsKeystore, KibanaKeystore};
use esmtls::yaml::YamlFile;

const ES_YML: &str = "# ======================== Elasticsearch Configuration =========================\n#\n# ---------------------------------- Cluster -----------------------------------\n#\n#cluster.name: my-application\n#\n# ---------------------------------- Network -----------------------------------\n#\n#network.host: 192.168.0.1\n#http.port: 9200\n";
const KB_YML: &str = "# For more configuration options see the configuration guide for Kibana in\n# https://www.elastic.co/guide/index.html\n\n# =================== System: Kibana Server ===================\n#server.port: 5601\n\n# =================== System: Elasticsearch ===================\n#elasticsearch.hosts: [\"http://localhost:9200\"]\nelasticsearch.username: \"kibana_system\"\nelasticsearch.password: \"pass\"\n";

const MODES: [&str; 5] = ["token", "password", "mtls-token", "mtls-password", "pki"];
const LAYOUTS: [Layout; 3] = [Layout::Fresh, Layout::Autoconfigured, Layout::Earlier];
const WORKERS: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Layout {
    /// A fresh package install.
    Fresh,
    /// A node auto-configured by Elasticsearch 8, Kibana enrolled.
    Autoconfigured,
    /// A fresh package on which `esmtls apply` set up another mode.
    Earlier,
}

/// What follows the kill.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Variant {
    /// The recovering apply at once.
    Nothing,
    /// `esmtls plan` first.
    Plan,
    /// `esmtls renew --yes` first.
    Renew,
    /// Pure recovery: an apply with `fail-before-commit` instead.
    FailBeforeCommit,
}

/// One test tree: the root is HOME too, so esmtls's state lives in it.
struct Site {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    es: PathBuf,
    kb: PathBuf,
    answers: PathBuf,
}

/// The mode an earlier esmtls setup had, for a target mode.
fn earlier_mode(mode: &str) -> &'static str {
    if mode == "token" { "password" } else { "token" }
}

fn site(layout: Layout, mode: &str) -> Site {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let (es, kb) = match layout {
        Layout::Autoconfigured => autoconfigured_dirs(&root),
        _ => package_dirs(&root, ES_YML, KB_YML),
    };
    let answers = root.join("answers.yml");
    let s = Site {
        _tmp: tmp,
        root,
        es,
        kb,
        answers,
    };
    if layout == Layout::Earlier {
        s.set_mode(earlier_mode(mode));
        let o = s.apply(None);
        assert!(o.status.success(), "earlier apply failed\n{}", show(&o));
    }
    s.set_mode(mode);
    s
}

/// The setups the matrix needs are four: fresh, auto-configured, and an
/// earlier esmtls setup in `token` or in `password` mode.
fn template_key(layout: Layout, mode: &str) -> (Layout, &'static str) {
    match layout {
        Layout::Earlier => (layout, earlier_mode(mode)),
        _ => (layout, ""),
    }
}

/// A copy of `t` in a directory of its own, for `mode`. Where `t`'s files
/// name its root, or esmtls named its state by the setup's id (a hash of
/// the config dirs' paths), the copy has its own.
fn copy_site(t: &Site, mode: &str) -> Site {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let es = root.join(t.es.strip_prefix(&t.root).unwrap());
    let kb = root.join(t.kb.strip_prefix(&t.root).unwrap());
    let id = |es: &Path, kb: &Path| SetupId::from_config_dirs(&[es, kb]).as_str().to_string();
    let old_id = id(&t.es, &t.kb);
    let old_root = t.root.display().to_string();
    std::fs::create_dir_all(&es).unwrap();
    std::fs::create_dir_all(&kb).unwrap();
    let renames = [
        (old_root, root.display().to_string()),
        (old_id, id(&es, &kb)),
    ];
    copy_tree(&t.root, &root, &renames);
    let s = Site {
        _tmp: tmp,
        answers: root.join("answers.yml"),
        root,
        es,
        kb,
    };
    s.set_mode(mode);
    s
}

/// Copies a tree with its modes, replacing each `(from, to)` in names and in
/// the text of UTF-8 files.
fn copy_tree(from: &Path, to: &Path, renames: &[(String, String)]) {
    let swap = |mut s: String| {
        for (a, b) in renames {
            s = s.replace(a, b);
        }
        s
    };
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let m = e.metadata().unwrap();
        let dst = to.join(swap(e.file_name().to_string_lossy().into_owned()));
        if m.is_dir() {
            let _ = std::fs::create_dir(&dst);
            copy_tree(&e.path(), &dst, renames);
        } else {
            let bytes = std::fs::read(e.path()).unwrap();
            let bytes = match String::from_utf8(bytes) {
                Ok(text) => swap(text).into_bytes(),
                Err(b) => b.into_bytes(),
            };
            std::fs::write(&dst, bytes).unwrap();
        }
        std::fs::set_permissions(&dst, m.permissions()).unwrap();
    }
}

impl Site {
    fn set_mode(&self, mode: &str) {
        std::fs::write(&self.answers, format!("mode: {mode}\nlicense: platinum\n")).unwrap();
    }

    /// `esmtls <args> --es-config .. --kibana-config ..` (file secret store).
    fn cmd(&self, args: &[&str], fault: Option<&str>) -> Command {
        let mut c = esmtls(&self.root);
        c.env("ESMTLS_SECRET_STORE", "file")
            .args(args)
            .arg("--es-config")
            .arg(&self.es)
            .arg("--kibana-config")
            .arg(&self.kb);
        if let Some(f) = fault {
            c.env("ESMTLS_FAULT", f);
        }
        c
    }

    fn apply_cmd(&self, fault: Option<&str>) -> Command {
        let a = self.answers.to_str().unwrap();
        self.cmd(&["apply", "--yes", "--answers", a], fault)
    }

    fn apply(&self, fault: Option<&str>) -> Output {
        run(&mut self.apply_cmd(fault))
    }

    fn plan(&self) -> Output {
        run(&mut self.cmd(&["plan", "--answers", self.answers.to_str().unwrap()], None))
    }

    fn renew(&self) -> Output {
        run(&mut self.cmd(&["renew", "--yes"], None))
    }

    fn full(&self) -> Full {
        full(&self.root)
    }

    /// Everything under the two config dirs.
    fn config_dirs(&self) -> Full {
        self.full()
            .into_iter()
            .filter(|(p, _)| p.starts_with(&self.es) || p.starts_with(&self.kb))
            .collect()
    }
}

fn show(o: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        o.status,
        stdout(o),
        stderr(o)
    )
}

/// One entry of a full snapshot: content (None for a directory), mode, owner.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    content: Option<Vec<u8>>,
    mode: u32,
    uid: u32,
    gid: u32,
}

/// Every path under a directory, hidden files and backups included, but
/// for esmtls's lock files: each run writes who holds the lock into them.
type Full = BTreeMap<PathBuf, Entry>;

fn full(dir: &Path) -> Full {
    let mut out = Full::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let (p, m) = (e.path(), e.metadata().unwrap());
            if p.ends_with(".local/share/esmtls/locks") {
                continue;
            }
            let content = if m.is_dir() {
                stack.push(p.clone());
                None
            } else {
                Some(std::fs::read(&p).unwrap())
            };
            let (mode, uid, gid) = (m.mode() & 0o7777, m.uid(), m.gid());
            out.insert(
                p,
                Entry {
                    content,
                    mode,
                    uid,
                    gid,
                },
            );
        }
    }
    out
}

/// What differs between two full snapshots, or None.
fn diff_full(want: &Full, got: &Full) -> Option<String> {
    let mut lines = Vec::new();
    for (p, w) in want {
        match got.get(p) {
            None => lines.push(format!("  missing  {}", p.display())),
            Some(g) if g.content != w.content => lines.push(format!("  content  {}", p.display())),
            Some(g) if g != w => lines.push(format!(
                "  mode/owner {} ({:o} {}:{} → {:o} {}:{})",
                p.display(),
                w.mode,
                w.uid,
                w.gid,
                g.mode,
                g.uid,
                g.gid
            )),
            _ => {}
        }
    }
    for p in got.keys().filter(|p| !want.contains_key(*p)) {
        lines.push(format!("  new      {}", p.display()));
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// What a finished setup is: relative paths (backups, hidden files and
/// esmtls's state left out) with their modes, both ymls (the root replaced
/// by `<root>`), the keystores' entry names.
#[derive(PartialEq)]
struct Final {
    paths: BTreeMap<String, u32>,
    es_yml: String,
    kb_yml: String,
    es_keys: Result<Vec<String>, String>,
    kb_keys: Result<Vec<String>, String>,
}

fn final_state(s: &Site) -> Final {
    let paths = s
        .full()
        .into_iter()
        .filter_map(|(p, e)| {
            let rel = p.strip_prefix(&s.root).unwrap();
            let hidden = rel.iter().any(|c| c.to_string_lossy().starts_with('.'));
            let rel = rel.display().to_string();
            (!hidden && !rel.ends_with(".bak")).then_some((rel, e.mode))
        })
        .collect();
    let root = s.root.display().to_string();
    let text = |p: PathBuf| {
        std::fs::read_to_string(p)
            .unwrap_or_else(|e| format!("(unreadable: {e})"))
            .replace(&root, "<root>")
    };
    let es_ks = s.es.join("elasticsearch.keystore");
    let kb_ks = s.kb.join("kibana.keystore");
    Final {
        paths,
        es_yml: text(s.es.join("elasticsearch.yml")),
        kb_yml: text(s.kb.join("kibana.yml")),
        es_keys: EsKeystore::load(&es_ks, None)
            .map(|k| k.names().into_iter().map(String::from).collect())
            .map_err(|e| e.to_string().replace(&root, "<root>")),
        kb_keys: KibanaKeystore::load(&kb_ks, None)
            .map(|k| k.names().map(String::from).collect())
            .map_err(|e| e.to_string().replace(&root, "<root>")),
    }
}

fn diff_final(want: &Final, got: &Final) -> Option<String> {
    let mut out = Vec::new();
    for (p, m) in &want.paths {
        match got.paths.get(p) {
            None => out.push(format!("  missing  {p}")),
            Some(g) if g != m => out.push(format!("  mode     {p}: {m:o} → {g:o}")),
            _ => {}
        }
    }
    for p in got.paths.keys().filter(|p| !want.paths.contains_key(*p)) {
        out.push(format!("  new      {p}"));
    }
    for (name, w, g) in [
        ("elasticsearch.yml", &want.es_yml, &got.es_yml),
        ("kibana.yml", &want.kb_yml, &got.kb_yml),
    ] {
        if w != g {
            let d = similar::TextDiff::from_lines(w, g);
            out.push(format!("  {name} differs:\n{}", d.unified_diff()));
        }
    }
    for (name, w, g) in [
        ("elasticsearch.keystore", &want.es_keys, &got.es_keys),
        ("kibana.keystore", &want.kb_keys, &got.kb_keys),
    ] {
        if w != g {
            out.push(format!("  {name} entries: {w:?} → {g:?}"));
        }
    }
    (!out.is_empty()).then(|| out.join("\n"))
}

/// The files the ymls name (CAs, certificates, keys, keystores) that do not exist.
fn missing_named_files(s: &Site) -> Vec<String> {
    const PATH_KEYS: [&str; 6] = [
        ".certificateAuthorities",
        ".certificate_authorities",
        ".certificate",
        ".key",
        ".keystore.path",
        ".truststore.path",
    ];
    let mut missing = Vec::new();
    for (dir, yml) in [(&s.es, "elasticsearch.yml"), (&s.kb, "kibana.yml")] {
        let Ok(f) = YamlFile::read(&dir.join(yml)) else {
            missing.push(format!("{yml} (unparsable)"));
            continue;
        };
        for (key, value) in f.flatten() {
            if !PATH_KEYS.iter().any(|k| key.ends_with(k)) {
                continue;
            }
            for p in value.as_list() {
                if !dir.join(&p).is_file() {
                    missing.push(format!("{yml}: {key}: {p}"));
                }
            }
        }
    }
    missing
}

/// An uninterrupted apply on its own copy: R and the state to end in.
struct Reference {
    layout: Layout,
    mode: &'static str,
    renames: usize,
    end: Final,
}

fn reference(t: &Site, layout: Layout, mode: &'static str) -> Reference {
    let s = copy_site(t, mode);
    let o = s.apply(None);
    assert!(
        o.status.success(),
        "reference apply ({layout:?}, {mode}) failed\n{}",
        show(&o)
    );
    let renames = stdout(&o)
        .lines()
        .filter(|l| l.starts_with("created ") || l.starts_with("changed "))
        .count();
    assert!(
        renames > 0,
        "reference ({layout:?}, {mode}) changed nothing"
    );
    let missing = missing_named_files(&s);
    assert!(
        missing.is_empty(),
        "reference ({layout:?}, {mode}) names missing files: {missing:?}"
    );
    // Without a kill, a second apply changes nothing: else every cell would fail for it.
    let snap = s.full();
    let o = s.apply(None);
    let d = diff_full(&snap, &s.full());
    assert!(
        o.status.success() && d.is_none(),
        "reference ({layout:?}, {mode}): a second apply, without any kill, changed something\n{}\n{}",
        d.unwrap_or_default(),
        show(&o)
    );
    Reference {
        layout,
        mode,
        renames,
        end: final_state(&s),
    }
}

/// A failed check: a short reason (the same for every cell it hits, to group
/// them) and the details.
struct Failure {
    reason: &'static str,
    details: String,
}

macro_rules! ensure {
    ($cond:expr, $reason:expr, $($details:tt)+) => {
        if !$cond {
            return Err(Failure { reason: $reason, details: format!($($details)+) });
        }
    };
}

/// One cell of the matrix: a kill after rename `n`, then the variant.
struct Cell<'a> {
    t: &'a Site,
    r: &'a Reference,
    n: usize,
    variant: Variant,
}

impl fmt::Display for Cell<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "layout={:?} mode={} N={}/{} variant={:?}",
            self.r.layout, self.r.mode, self.n, self.r.renames, self.variant
        )
    }
}

impl Cell<'_> {
    /// Runs the cell; what failed. A failed variant check does not stop the
    /// cell: the recovering apply is still checked.
    fn run(&self) -> Vec<Failure> {
        let s = copy_site(self.t, self.r.mode);
        let before = s.config_dirs();
        let kill = s.apply(Some(&format!("kill-after-rename:{}", self.n)));
        if kill.status.success() {
            let details = show(&kill);
            return vec![Failure {
                reason: "the killed apply succeeded",
                details,
            }];
        }
        let variant = match self.variant {
            Variant::Nothing => Ok(()),
            Variant::Plan => plan_refuses(&s),
            Variant::Renew => renew_recovers(&s, &before),
            Variant::FailBeforeCommit => {
                return fail_before_commit(&s, &before).err().into_iter().collect();
            }
        };
        [variant, self.recover(&s)]
            .into_iter()
            .filter_map(Result::err)
            .collect()
    }

    /// One apply ends where the reference ended; a second changes nothing.
    fn recover(&self, s: &Site) -> Result<(), Failure> {
        let o = s.apply(None);
        ensure!(
            o.status.success(),
            "the apply after the kill failed",
            "{}",
            show(&o)
        );
        let d = diff_final(&self.r.end, &final_state(s));
        ensure!(
            d.is_none(),
            "the apply after the kill ends elsewhere than an uninterrupted apply",
            "{}\n{}",
            d.unwrap_or_default(),
            show(&o)
        );
        let missing = missing_named_files(s);
        ensure!(
            missing.is_empty(),
            "the ymls name files that do not exist",
            "{missing:?}\n{}",
            show(&o)
        );
        let snap = s.full();
        let o = s.apply(None);
        let d = diff_full(&snap, &s.full());
        ensure!(
            o.status.success() && d.is_none(),
            "a second apply after the recovery changed something",
            "{}\n{}",
            d.unwrap_or_default(),
            show(&o)
        );
        Ok(())
    }
}

/// After the kill, an apply that fails before writing: its recovery alone
/// leaves the config dirs as before the kill (hidden files and backups too).
fn fail_before_commit(s: &Site, before: &Full) -> Result<(), Failure> {
    let o = s.apply(Some("fail-before-commit"));
    ensure!(
        !o.status.success(),
        "fail-before-commit: apply succeeded",
        "{}",
        show(&o)
    );
    let d = diff_full(before, &s.config_dirs());
    ensure!(
        d.is_none(),
        "recovery then fail-before-commit: config dirs differ from before the kill",
        "{}\n{}",
        d.unwrap_or_default(),
        show(&o)
    );
    Ok(())
}

/// `esmtls plan` after a kill refuses, naming the interrupted apply and
/// `esmtls apply`, and changes nothing.
fn plan_refuses(s: &Site) -> Result<(), Failure> {
    let snap = s.full();
    let o = s.plan();
    let err = stderr(&o);
    ensure!(
        !o.status.success()
            && err.contains("an earlier apply was interrupted")
            && err.contains("esmtls apply"),
        "plan after a kill does not refuse naming the interrupted apply",
        "{}",
        show(&o)
    );
    let d = diff_full(&snap, &s.full());
    ensure!(
        d.is_none(),
        "plan after a kill changed files",
        "{}",
        d.unwrap_or_default()
    );
    Ok(())
}

/// `esmtls renew --yes` after a kill recovers: both config dirs exactly as
/// before the kill (backups older than the kill, an earlier setup's, aside).
fn renew_recovers(s: &Site, before: &Full) -> Result<(), Failure> {
    let o = s.renew();
    ensure!(
        o.status.success()
            && (stdout(&o) + &stderr(&o)).contains("restored from an interrupted apply"),
        "renew after a kill does not say it recovered",
        "{}",
        show(&o)
    );
    let old_bak = |p: &PathBuf| before.contains_key(p) && p.to_string_lossy().ends_with(".bak");
    let keep = |f: &Full| -> Full {
        f.iter()
            .filter(|(p, _)| !old_bak(p))
            .map(|(p, e)| (p.clone(), e.clone()))
            .collect()
    };
    let d = diff_full(&keep(before), &keep(&s.config_dirs()));
    ensure!(
        d.is_none(),
        "renew's recovery: config dirs differ from before the kill",
        "{}\n{}",
        d.unwrap_or_default(),
        show(&o)
    );
    Ok(())
}

/// `f` over `items` on [`WORKERS`] threads, results in order.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<R>>> = Mutex::new(items.iter().map(|_| None).collect());
    std::thread::scope(|sc| {
        for _ in 0..WORKERS {
            sc.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    out.lock().unwrap()[i] = Some(r);
                }
            });
        }
    });
    out.into_inner()
        .unwrap()
        .into_iter()
        .map(Option::unwrap)
        .collect()
}

/// The variants run after a kill at rename `n`. All three for every N take
/// about three times as long as the time budget (4 minutes on 2 cores), so
/// each N gets one in turn (N = 1, 4, .. nothing; 2, 5, .. plan; 3, 6, ..
/// renew): every mode × layout sees each variant when R ≥ 3.
/// `KILL_MATRIX_ALL_VARIANTS=1` runs all three for every N.
fn variants(n: usize) -> Vec<Variant> {
    let all = [Variant::Nothing, Variant::Plan, Variant::Renew];
    if std::env::var_os("KILL_MATRIX_ALL_VARIANTS").is_some() {
        all.to_vec()
    } else {
        vec![all[(n - 1) % 3]]
    }
}

#[test]
fn kill_matrix() {
    let start = Instant::now();
    let pairs: Vec<(Layout, &'static str)> = LAYOUTS
        .iter()
        .flat_map(|l| MODES.iter().map(move |m| (*l, *m)))
        .collect();
    // One template per distinct setup, built by a mode that needs it.
    let mut firsts: Vec<(Layout, &str)> = Vec::new();
    for (l, m) in &pairs {
        if !firsts
            .iter()
            .any(|f| template_key(f.0, f.1) == template_key(*l, m))
        {
            firsts.push((*l, m));
        }
    }
    let templates: HashMap<_, _> = firsts
        .iter()
        .map(|(l, m)| template_key(*l, m))
        .zip(par_map(&firsts, |(l, m)| site(*l, m)))
        .collect();
    let template = |l: Layout, m: &str| &templates[&template_key(l, m)];
    let refs = par_map(&pairs, |(l, m)| reference(template(*l, m), *l, m));
    let t_refs = start.elapsed();
    let mut cells = Vec::new();
    for r in &refs {
        let t = template(r.layout, r.mode);
        for n in 1..=r.renames {
            for variant in variants(n) {
                cells.push(Cell { t, r, n, variant });
            }
        }
        cells.push(Cell {
            t,
            r,
            n: r.renames.div_ceil(2),
            variant: Variant::FailBeforeCommit,
        });
    }
    // KILL_MATRIX_ONLY=text runs the cells whose name contains it.
    if let Ok(only) = std::env::var("KILL_MATRIX_ONLY") {
        cells.retain(|c| c.to_string().contains(&only));
    }
    let results = par_map(&cells, |c| (c.to_string(), c.run()));
    let failed = results.iter().filter(|r| !r.1.is_empty()).count();
    let failures: Vec<(&String, &Failure)> = results
        .iter()
        .flat_map(|(c, fs)| fs.iter().map(move |f| (c, f)))
        .collect();
    let rs: Vec<String> = refs
        .iter()
        .map(|r| format!("{:?}/{}={}", r.layout, r.mode, r.renames))
        .collect();
    eprintln!(
        "kill matrix: {} cells ({failed} failed), R per layout/mode: {}; references {:.1?}, total {:.1?}",
        cells.len(),
        rs.join(" "),
        t_refs,
        start.elapsed()
    );
    if failures.is_empty() {
        return;
    }
    // Grouped by reason, the first cell of each in full.
    let mut groups: BTreeMap<&str, Vec<&(&String, &Failure)>> = BTreeMap::new();
    for f in &failures {
        groups.entry(f.1.reason).or_default().push(f);
    }
    let mut msg = format!("{failed} of {} cells failed:\n", cells.len());
    for (reason, fs) in &groups {
        msg += &format!("  {} × {reason}\n", fs.len());
    }
    for (reason, fs) in &groups {
        let cells: Vec<&str> = fs.iter().map(|f| f.0.as_str()).collect();
        msg += &format!(
            "\n==== {reason} ({} cells: {})\n---- first: {}\n{}\n",
            fs.len(),
            cells.join("; "),
            fs[0].0,
            fs[0].1.details
        );
    }
    panic!("{msg}");
}

/// A running esmtls whose stderr is read line by line as it comes.
struct Running {
    child: Child,
    lines: Receiver<String>,
    seen: String,
    out: Option<std::thread::JoinHandle<String>>,
}

impl Running {
    fn spawn(mut c: Command) -> Running {
        let mut child = c
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let err = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for l in err.lines() {
                let Ok(l) = l else { break };
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let mut so = child.stdout.take().unwrap();
        let out = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = so.read_to_string(&mut s);
            s
        });
        Running {
            child,
            lines,
            seen: String::new(),
            out: Some(out),
        }
    }

    /// Waits (at most a minute) for a stderr line containing `needle`.
    fn wait_for(&mut self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen += &l;
                    self.seen.push('\n');
                    if l.contains(needle) {
                        return;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait().unwrap();
                    panic!(
                        "esmtls ended ({status}) without printing {needle:?}\n--- stdout\n{}--- stderr\n{}",
                        self.out.take().unwrap().join().unwrap(),
                        self.seen
                    );
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "no {needle:?} within a minute; stderr so far:\n{}",
                        self.seen
                    )
                }
            }
        }
    }

    /// Waits for the end: status, stdout, all of stderr.
    fn finish(mut self) -> (ExitStatus, String, String) {
        let status = self.child.wait().unwrap();
        let out = self.out.take().unwrap().join().unwrap();
        while let Ok(l) = self.lines.recv() {
            self.seen += &l;
            self.seen.push('\n');
        }
        (status, out, std::mem::take(&mut self.seen))
    }
}

impl Drop for Running {
    /// A test that fails while the child sleeps leaves no process behind.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn a_second_apply_is_refused_while_one_is_writing() {
    let s = site(Layout::Fresh, "mtls-token");
    let mut first = Running::spawn(s.apply_cmd(Some("sleep-after-rename:2:15000")));
    first.wait_for("ESMTLS_FAULT: sleeping after rename 2");
    let pid = first.child.id();
    let snap = s.full();
    let t = Instant::now();
    let o = s.apply(None);
    let took = t.elapsed();
    assert_eq!(o.status.code(), Some(4), "second apply\n{}", show(&o));
    // It must not wait for the lock: it is refused while the first still
    // sleeps with the lock held (15 s: room for a loaded machine).
    assert!(
        first.child.try_wait().unwrap().is_none(),
        "the refusal came only after the first apply ended ({took:?})"
    );
    let want = format!("another esmtls is changing this setup (pid {pid}, started");
    assert!(stderr(&o).contains(&want), "want {want:?}\n{}", show(&o));
    assert_eq!(
        diff_full(&snap, &s.full()),
        None,
        "the refused apply changed files"
    );
    let (status, out, err) = first.finish();
    assert!(status.success(), "first apply: {status}\n{out}\n{err}");
    let snap = s.full();
    let o = s.apply(None);
    assert!(o.status.success(), "{}", show(&o));
    assert_eq!(
        diff_full(&snap, &s.full()),
        None,
        "third apply changed files"
    );
}

#[test]
fn a_lock_left_by_a_killed_apply_is_taken_over() {
    let s = site(Layout::Fresh, "mtls-password");
    let o = s.apply(Some("kill-after-rename:2"));
    assert!(!o.status.success(), "{}", show(&o));
    let o = s.apply(None);
    assert!(o.status.success(), "{}", show(&o));
    assert!(
        stderr(&o).contains("restored from an interrupted apply"),
        "{}",
        show(&o)
    );
}

/// A signal while apply plans: exit 130, the stop said, nothing changed.
fn stopped_while_planning(signal: &str) {
    let s = site(Layout::Fresh, "mtls-token");
    let snap = s.full();
    let mut r = Running::spawn(s.apply_cmd(Some("sleep-in-planning:3000")));
    r.wait_for("ESMTLS_FAULT: sleeping in planning");
    let pid = r.child.id().to_string();
    let kill = Command::new("kill").args([signal, &pid]).status().unwrap();
    assert!(kill.success());
    let (status, out, err) = r.finish();
    assert_eq!(status.code(), Some(130), "{signal}: {status}\n{out}\n{err}");
    assert!(
        err.contains("error: stopped by the operator"),
        "{signal}:\n{err}"
    );
    // The lock files the run took (and their directories) are esmtls's
    // state, not the setup.
    let state = s.root.join(".local/share/esmtls");
    let after: Full = s
        .full()
        .into_iter()
        .filter(|(p, e)| !(e.content.is_none() && state.starts_with(p)))
        .collect();
    assert_eq!(diff_full(&snap, &after), None, "{signal}: files changed");
}

#[test]
fn sigint_while_planning_exits_130_and_changes_nothing() {
    stopped_while_planning("-INT");
}

#[test]
fn sigterm_while_planning_exits_130_and_changes_nothing() {
    stopped_while_planning("-TERM");
}
