//! Issues as hstspreload reports them: a stable code, a one-line summary and a
//! message. The codes are hstspreload's own, so results compare one to one
//! with hstspreload.org; the messages are ours.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub code: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    pub message: String,
}

/// Issues in the order they were found (hstspreload's order matters to readers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Issues(pub Vec<Issue>);

impl Issues {
    pub fn error(&mut self, code: &'static str, summary: &'static str, message: impl Into<String>) {
        self.0.push(Issue { code, severity: Severity::Error, summary, message: message.into() });
    }

    pub fn warning(&mut self, code: &'static str, summary: &'static str, message: impl Into<String>) {
        self.0.push(Issue { code, severity: Severity::Warning, summary, message: message.into() });
    }

    /// hstspreload's `addUnique*`: a code that is already there is not added twice.
    pub fn unique_warning(&mut self, code: &'static str, summary: &'static str, message: impl Into<String>) {
        if !self.has(code) {
            self.warning(code, summary, message);
        }
    }

    pub fn unique_error(&mut self, code: &'static str, summary: &'static str, message: impl Into<String>) {
        if !self.has(code) {
            self.error(code, summary, message);
        }
    }

    pub fn extend(&mut self, other: Issues) {
        self.0.extend(other.0);
    }

    pub fn has(&self, code: &str) -> bool {
        self.0.iter().any(|i| i.code == code)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.0.iter().filter(|i| i.severity == Severity::Error)
    }

    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// Drops warnings, as hstspreload does for removal checks.
    pub fn errors_only(self) -> Issues {
        Issues(self.0.into_iter().filter(|i| i.severity == Severity::Error).collect())
    }

    /// The codes, for tests and summaries.
    pub fn codes(&self) -> Vec<&'static str> {
        self.0.iter().map(|i| i.code).collect()
    }
}

/// Quotes peer-supplied text in a message, cut so a 1 MB header cannot make a 1 MB line.
pub fn quote(text: &str) -> String {
    format!("`{}`", shorten(text, 80))
}

/// At most `max` characters of untrusted text, control characters escaped.
pub fn shorten(text: &str, max: usize) -> String {
    let mut shown = String::new();
    for c in text.chars().take(max) {
        if c.is_control() {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    if text.chars().nth(max).is_some() {
        shown.push('…');
    }
    shown
}
