//! `esmtls guide`: which of the five modes fits, and why. The decision and
//! every sentence are `esmtls::plan::guide`; this prints them as a text report
//! or one JSON object on stdout, with notes on stderr.

use std::io::Write;

use anyhow::Result;
use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use esmtls::plan::{
    GuideInput, License, LicenseSource, Mode, ModeOption, Recommendation, Step, applies,
    guide::strings, recommend,
};
use serde::Serialize;

use super::common::note;

/// The names `--license` accepts (those of `License::NAMES`).
const LICENSE_NAMES: [&str; 5] = ["basic", "trial", "gold", "platinum", "enterprise"];

/// `esmtls guide`.
#[derive(Debug, Args)]
pub struct GuideArgs {
    /// The cluster's license (`license.type` from GET /_license). Without it, the license is unknown.
    #[arg(
        long,
        value_name = "LICENSE",
        value_parser = PossibleValuesParser::new(LICENSE_NAMES)
            .map(|s| License::parse(&s).expect("a listed license name"))
    )]
    pub license: Option<License>,
    /// Every connection to Elasticsearch must present a TLS client certificate (policy mandates mTLS).
    #[arg(long)]
    pub require_mtls: bool,
    /// The client certificate must itself be Kibana's identity (PKI realm), with no token or password.
    #[arg(long)]
    pub cert_identity: bool,
    /// Allow pki on a license without the PKI realm (Elasticsearch then silently skips the realm).
    #[arg(long)]
    pub allow_unlicensed_pki: bool,
    /// Print one JSON object instead of the text report.
    #[arg(long)]
    pub json: bool,
}

/// The JSON document: stable field names, all five modes, the nine steps.
#[derive(Serialize)]
struct Report<'a> {
    license: LicenseReport,
    questions: Questions,
    recommended: Mode,
    reasons: &'a [String],
    warnings: &'a [String],
    modes: &'a [ModeOption],
    steps: Vec<StepReport>,
}

#[derive(Serialize)]
struct LicenseReport {
    #[serde(rename = "type")]
    kind: Option<License>,
    #[serde(flatten)]
    source: LicenseSource,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'static str>,
}

#[derive(Serialize)]
struct Questions {
    require_mtls: bool,
    cert_identity: bool,
    allow_unlicensed_pki: bool,
}

#[derive(Serialize)]
struct StepReport {
    number: u8,
    title: &'static str,
    /// applies | adapted | skipped, the words of the text report.
    status: &'static str,
    text: String,
}

/// Runs `esmtls guide`.
pub fn run(a: GuideArgs, quiet: bool) -> Result<()> {
    let input = GuideInput {
        license: a.license,
        license_source: if a.license.is_some() {
            LicenseSource::Answered
        } else {
            LicenseSource::Unknown
        },
        require_mtls: a.require_mtls,
        cert_identity: a.cert_identity,
        override_pki: a.allow_unlicensed_pki,
    };
    let r = recommend(&input);
    if input.license.is_none() {
        note(
            quiet,
            &format!(
                "note: {} Or give it here with --license ({}).",
                strings::LICENSE_UNKNOWN,
                License::NAMES
            ),
        );
    }
    let mut out = std::io::stdout().lock();
    if a.json {
        let report = Report {
            license: LicenseReport {
                kind: input.license,
                source: input.license_source.clone(),
                note: input.license.is_none().then_some(strings::LICENSE_UNKNOWN),
            },
            questions: Questions {
                require_mtls: input.require_mtls,
                cert_identity: input.cert_identity,
                allow_unlicensed_pki: input.override_pki,
            },
            recommended: r.mode,
            reasons: &r.reasons,
            warnings: &r.warnings,
            modes: &r.options,
            steps: Step::ALL
                .into_iter()
                .map(|s| {
                    let a = applies(r.mode, s);
                    StepReport {
                        number: s.number(),
                        title: s.guide_title(),
                        status: a.word(),
                        text: a.text().to_string(),
                    }
                })
                .collect(),
        };
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        out.write_all(text(&input, &r).as_bytes())?;
    }
    out.flush()?;
    Ok(())
}

/// Width the text report wraps at.
const WIDTH: usize = 96;

/// The text report.
fn text(input: &GuideInput, r: &Recommendation) -> String {
    let mut s = String::new();
    let license = match (&input.license, &input.license_source) {
        (Some(l), LicenseSource::Detected { url }) => format!("{l} (detected at {url})"),
        (Some(l), _) => format!("{l} (as given)"),
        (None, _) => "unknown".to_string(),
    };
    s += &format!("License: {license}\n");
    s += &format!("Recommended mode: {} — {}\n", r.mode, r.mode.summary());

    s += "\nWhy:\n";
    for reason in &r.reasons {
        s += &wrap(reason, "  - ", "    ");
    }

    s += "\nThe five modes (* = recommended):\n";
    let rows: Vec<[String; 5]> = r
        .options
        .iter()
        .map(|o| {
            [
                format!("{} {}", if o.recommended { "*" } else { " " }, o.mode),
                o.authenticates_with.to_string(),
                match o.client_authentication {
                    Some(ca) if o.client_cert => format!("yes, {ca}"),
                    _ => "no".to_string(),
                },
                strings::license_short(o.mode).to_string(),
                o.available.word().to_string(),
            ]
        })
        .collect();
    let header = [
        "  mode",
        "Kibana authenticates with",
        "client cert",
        "license needed",
        "available here",
    ]
    .map(String::from);
    let mut widths = [0usize; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        s += &format!("{}\n", line.join("  ").trim_end());
    }
    for o in &r.options {
        if let Some(reason) = o.available.reason() {
            s += &wrap(
                &format!("{} ({}): {reason}", o.mode, o.available.word()),
                "  ",
                "    ",
            );
        }
    }

    if !r.warnings.is_empty() {
        s += "\nWarnings:\n";
        for w in &r.warnings {
            s += &wrap(w, "  ! ", "    ");
        }
    }

    s += &format!("\nThe nine steps of Elastic's guide for {}:\n", r.mode);
    for step in Step::ALL {
        let a = applies(r.mode, step);
        s += &format!(
            "  {}. [{}] {}\n",
            step.number(),
            a.word(),
            step.guide_title()
        );
        s += &wrap(a.text(), "       ", "       ");
    }
    s
}

/// Word-wraps `text` at [`WIDTH`], `first` before the first line and `rest` before the others.
fn wrap(text: &str, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
            out += line.trim_end();
            out.push('\n');
            line = rest.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line += word;
        empty = false;
    }
    out += line.trim_end();
    out.push('\n');
    out
}
