//! What `hsts-check` found, and how it is printed and judged.

use super::Domain;
use super::header::{self, Header, UaView};
use super::issue::{Issues, Severity};
use super::preload::{ListInfo, Lookup};
use crate::error::Exit;
use crate::output::{Output, Report, Tone};
use serde::Serialize;
use serde_json::json;

/// What the verdict answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Does it meet every preload requirement?
    Preloadable,
    /// Does it meet the removal requirements?
    Removable,
    /// Is the domain on the preload list?
    Lookup,
}

#[derive(Debug, Serialize)]
pub struct HeaderReport {
    pub value: String,
    /// hstspreload's reading.
    pub hstspreload: Header,
    /// A conforming user agent's reading.
    pub rfc6797: UaView,
}

impl HeaderReport {
    pub fn new(value: &str) -> HeaderReport {
        HeaderReport { value: value.to_string(), hstspreload: header::parse(value).0, rfc6797: header::rfc6797(value) }
    }
}

#[derive(Debug, Serialize)]
pub struct PreloadStatus {
    pub list: ListInfo,
    #[serde(flatten)]
    pub lookup: Lookup,
}

#[derive(Debug, Serialize)]
pub struct HstsReport {
    pub mode: Mode,
    pub domain: Option<Domain>,
    /// The header that was judged (from --header, or the HTTPS response).
    pub header: Option<HeaderReport>,
    pub preload: Option<PreloadStatus>,
    pub issues: Issues,
}

impl HstsReport {
    pub fn for_header(value: &str, removable: bool) -> HstsReport {
        let issues = if removable { header::removable(value) } else { header::preloadable_str(value).1 };
        HstsReport {
            mode: if removable { Mode::Removable } else { Mode::Preloadable },
            domain: None,
            header: Some(HeaderReport::new(value)),
            preload: None,
            issues,
        }
    }

    pub fn for_domain(domain: Domain, list: ListInfo, lookup: Option<Lookup>, issues: Issues, mode: Mode) -> Self {
        HstsReport {
            mode,
            domain: Some(domain),
            header: None,
            preload: lookup.map(|lookup| PreloadStatus { list, lookup }),
            issues,
        }
    }

    pub fn passed(&self) -> bool {
        match self.mode {
            Mode::Lookup => !self.issues.has_errors() && self.preload.as_ref().is_some_and(|p| p.lookup.preloaded),
            Mode::Preloadable | Mode::Removable => !self.issues.has_errors(),
        }
    }

    fn verdict(&self) -> &'static str {
        match (self.mode, self.passed()) {
            (Mode::Preloadable, true) => "preloadable",
            (Mode::Preloadable, false) => "not preloadable",
            (Mode::Removable, true) => "removable",
            (Mode::Removable, false) => "not removable",
            (Mode::Lookup, true) => "preloaded",
            (Mode::Lookup, false) => "not preloaded",
        }
    }
}

fn seconds(s: u64) -> String {
    match s {
        s if s >= 86_400 => format!("{s} s ({} days)", s / 86_400),
        s => format!("{s} s"),
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

impl Report for HstsReport {
    fn human(&self, out: &Output) -> String {
        let mut text = String::new();
        if let Some(domain) = &self.domain {
            text += &out.paint(&domain.ascii, Tone::Bold);
            if domain.input.trim().to_lowercase() != domain.ascii {
                text += &format!(" ({})", domain.input.trim());
            }
            text.push('\n');
        }
        if let Some(h) = &self.header {
            text += &format!("Strict-Transport-Security: {}\n", super::issue::shorten(&h.value, 400));
            let p = &h.hstspreload;
            text += &format!(
                "  hstspreload reads: max-age {}, includeSubDomains {}, preload {}\n",
                p.max_age.map_or("missing".into(), seconds),
                yes(p.include_subdomains),
                yes(p.preload)
            );
            let ua = &h.rfc6797;
            if ua.honoured {
                text += &format!(
                    "  an RFC 6797 browser: {} max-age {}, includeSubDomains {}\n",
                    out.paint("honours it,", Tone::Good),
                    ua.max_age.map_or("?".into(), seconds),
                    yes(ua.include_subdomains)
                );
            } else {
                text += &format!(
                    "  an RFC 6797 browser: {} {}\n",
                    out.paint("ignores it:", Tone::Warn),
                    ua.reason.as_deref().unwrap_or("")
                );
            }
        }
        if let Some(p) = &self.preload {
            text += &format!("Preload list: {}, {} ({} entries)\n", p.list.source, p.list.date, p.list.entries);
            let l = &p.lookup;
            match &l.entry {
                Some(entry) if l.via_ancestor => {
                    text += &format!(
                        "  {} through {} (include_subdomains)\n",
                        out.paint("preloaded", Tone::Good),
                        entry.name
                    )
                }
                Some(entry) => {
                    text += &format!(
                        "  {} as its own entry (include_subdomains: {})\n",
                        out.paint("preloaded", Tone::Good),
                        yes(entry.include_subdomains)
                    )
                }
                None => text += &format!("  {}\n", out.paint("not preloaded", Tone::Warn)),
            }
            for ancestor in &l.ancestors_not_covering {
                text += &format!("  {ancestor} is listed without include_subdomains: it does not cover {}\n", l.domain);
            }
        }
        if !self.issues.0.is_empty() {
            let mut table = out.table(&["", "code", "summary", "message"]);
            for issue in &self.issues.0 {
                let sev = match issue.severity {
                    Severity::Error => out.cell("error", Tone::Bad),
                    Severity::Warning => out.cell("warning", Tone::Warn),
                };
                table.add_row(vec![
                    sev,
                    comfy_table::Cell::new(issue.code),
                    comfy_table::Cell::new(issue.summary),
                    comfy_table::Cell::new(&issue.message),
                ]);
            }
            text += &format!("{table}\n");
        }
        let errors = self.issues.errors().count();
        let warnings = self.issues.0.len() - errors;
        let tone = if self.passed() { Tone::Good } else { Tone::Bad };
        text += &format!("Verdict: {} ({errors} errors, {warnings} warnings)\n", out.paint(self.verdict(), tone));
        text
    }

    fn json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        value["command"] = json!("hsts-check");
        value["verdict"] = json!(self.verdict());
        value["passed"] = json!(self.passed());
        value
    }

    fn exit(&self) -> Exit {
        if self.passed() { Exit::Passed } else { Exit::Failed }
    }
}
