//! The review's order: what needs the operator's attention first — the
//! plan's warnings and, on a re-run that changes the mode, what switching
//! changes — then the plan as `esmtls plan` prints it, and what detection
//! found last (it is long and rarely what matters).
//!
//! Invariant: only the order changes; every line of the plan text is kept.

use crate::tui::strings as s;

/// `text` (from `plan::render::text` or `cluster::render::text`) in the
/// review's order, with `switching` (one sentence each) among the warnings.
pub fn arrange(text: &str, switching: &[String]) -> String {
    let mut warnings: Vec<String> = switching.iter().map(|w| format!("warning: {w}")).collect();
    let mut detected: Vec<&str> = Vec::new();
    let mut body: Vec<&str> = Vec::new();
    let mut in_detected = false;
    for l in text.lines() {
        if l == "Detected:" {
            in_detected = true;
            detected.push(l);
            continue;
        }
        if in_detected && l.starts_with("  ") {
            detected.push(l);
            continue;
        }
        in_detected = false;
        if l.starts_with("warning:") {
            warnings.push(crate::tui::strings::for_wizard(l));
        } else {
            body.push(l);
        }
    }
    // The blank line that opened the moved section.
    while body.last().is_some_and(|l| l.is_empty()) {
        body.pop();
    }
    let mut out = String::new();
    if !warnings.is_empty() {
        out.push_str(&s::review_warnings(warnings.len()));
        out.push('\n');
        for w in &warnings {
            out.push_str(w);
            out.push('\n');
        }
        out.push('\n');
    }
    let mut blank = false;
    for l in body {
        // Two blank lines in a row were one section moved away.
        if l.is_empty() && blank {
            continue;
        }
        blank = l.is_empty();
        out.push_str(l);
        out.push('\n');
    }
    if !detected.is_empty() {
        out.push('\n');
        out.push_str(s::REVIEW_DETECTED_LAST);
        out.push('\n');
        for l in detected.iter().skip(1) {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = "Mode: pki — x\nLicense: trial\n\nDetected:\n  Elasticsearch\n    config: /etc\nwarning: one\nwarning: two\n\nStep 1 [applies] a\n    - b\n\nFiles:\n  x\n";

    #[test]
    fn warnings_first_detected_last_and_no_line_lost() {
        let t = arrange(PLAN, &["Switching from pki to token".into()]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], s::review_warnings(3));
        assert_eq!(lines[1], "warning: Switching from pki to token");
        assert_eq!(lines[2], "warning: one");
        assert_eq!(lines[3], "warning: two");
        assert!(lines[5].starts_with("Mode: pki"));
        let det = lines
            .iter()
            .position(|l| *l == s::REVIEW_DETECTED_LAST)
            .unwrap();
        let files = lines.iter().position(|l| *l == "Files:").unwrap();
        assert!(det > files, "{t}");
        assert_eq!(lines[det + 1], "  Elasticsearch");
        for l in PLAN.lines().filter(|l| !l.is_empty() && *l != "Detected:") {
            assert!(lines.contains(&l), "{l} lost:\n{t}");
        }
        assert!(!t.contains("\n\n\n"), "{t}");
    }

    #[test]
    fn without_warnings_the_plan_starts_at_once() {
        let t = arrange("Mode: token — x\n\nStep 1 [skipped] a\n", &[]);
        assert!(t.starts_with("Mode: token"), "{t}");
    }
}
