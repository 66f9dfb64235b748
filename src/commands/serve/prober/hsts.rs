//! prober: hsts — `netwalk hsts-check`: the header's max-age, whether the
//! domain is preloaded, and hstspreload's issues by severity.

use super::{command, flag, num};
use crate::commands::serve::config::HstsModule;
use crate::commands::serve::metrics::Metrics;
use serde_json::Value;

pub fn argv(module: Option<&HstsModule>, target: &str) -> Result<Vec<String>, String> {
    if target.contains('/') || target.contains(':') {
        return Err(format!("target {target:?}: give a domain name, without scheme, port or path"));
    }
    let mut argv = command("hsts-check", None);
    if let Some(ca) = module.and_then(|m| m.ca_file.as_ref()) {
        argv.extend(["--ca-file".into(), ca.display().to_string()]);
    }
    argv.extend(["--".into(), target.into()]);
    Ok(argv)
}

pub fn metrics(module: Option<&HstsModule>, report: Option<&Value>, m: &mut Metrics) -> bool {
    let Some(report) = report else { return false };
    m.gauge_opt(
        "probe_hsts_max_age_seconds",
        "The Strict-Transport-Security max-age the site sends",
        num(report, &["header", "rfc6797", "max_age"]),
    );
    m.gauge(
        "probe_hsts_honoured",
        "Whether a browser honours the header (RFC 6797)",
        flag(report["header"]["rfc6797"]["honoured"] == true),
    );
    m.gauge(
        "probe_hsts_preloaded",
        "Whether the domain is in the Chromium preload list",
        flag(report["preload"]["preloaded"] == true),
    );
    let issues = report["issues"].as_array().map(Vec::as_slice).unwrap_or_default();
    for severity in ["error", "warning"] {
        let count = issues.iter().filter(|i| i["severity"] == severity).count();
        m.gauge_with(
            "probe_hsts_preload_issues",
            "hstspreload.org requirement failures by severity",
            &[("severity", severity)],
            count as f64,
        );
    }
    if module.is_some_and(|m| m.preloadable) {
        report["passed"] == true
    } else {
        report["header"]["rfc6797"]["honoured"] == true
    }
}
