//! prober: tls — `netwalk tls-inspect`: the served chain's expiry (blackbox's
//! probe_ssl_* names) and the trust verdict with its reason.

use super::{address_metrics, command, duration, flag, num, text};
use crate::commands::serve::config::TlsModule;
use crate::commands::serve::metrics::Metrics;
use serde_json::Value;
use std::time::Duration;

pub fn argv(module: Option<&TlsModule>, target: &str, timeout: Duration) -> Result<Vec<String>, String> {
    crate::target::parse(target).map_err(|e| format!("target {target:?}: {e}"))?;
    let mut argv = command("tls-inspect", None);
    argv.extend(["--timeout".into(), duration(timeout)]);
    if let Some(module) = module {
        if let Some(ca) = &module.ca_file {
            argv.extend(["--ca-file".into(), ca.display().to_string()]);
        }
        if let Some(name) = &module.server_name {
            argv.extend(["--servername".into(), name.clone()]);
        }
        if let Some(within) = module.expires_within {
            argv.extend(["--expires-within".into(), humantime::format_duration(within).to_string()]);
        }
    }
    argv.extend(["--".into(), target.into()]);
    Ok(argv)
}

pub fn metrics(report: Option<&Value>, m: &mut Metrics) -> bool {
    let Some(report) = report else { return false };
    super::lookup_metric_ms(m, num(report, &["resolution", "elapsed_ms"]));
    let address = &report["addresses"][0];
    address_metrics(m, text(address, &["address"]));
    let certs = address["certificates"].as_array().map(Vec::as_slice).unwrap_or_default();
    let expiry = |c: &Value| num(c, &["not_after_unix"]);
    if let Some(earliest) = certs.iter().filter_map(expiry).reduce(f64::min) {
        m.gauge("probe_ssl_earliest_cert_expiry", "Returns last SSL chain expiry in unixtime", earliest);
    }
    let chain: Vec<&str> =
        address["verdict"]["verified_chain"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let verified = certs.iter().filter(|c| text(c, &["subject"]).is_some_and(|s| chain.contains(&s)));
    if let Some(earliest) = verified.filter_map(expiry).reduce(f64::min) {
        m.gauge(
            "probe_ssl_last_chain_expiry_timestamp_seconds",
            "Returns last SSL chain expiry in timestamp",
            earliest,
        );
    }
    if let Some(leaf) = certs.first() {
        let field = |key| text(leaf, &[key]).unwrap_or("").to_string();
        let fingerprint = field("sha256").replace(':', "").to_lowercase();
        let sans = leaf["sans"]["dns"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(",");
        m.gauge_with(
            "probe_ssl_last_chain_info",
            "Contains SSL leaf certificate information",
            &[
                ("fingerprint_sha256", &fingerprint),
                ("subject", &field("subject")),
                ("issuer", &field("issuer")),
                ("subjectalternative", &sans),
                ("serialnumber", &field("serial").replace(':', "").to_lowercase()),
            ],
            1.0,
        );
    }
    if let Some(version) = text(address, &["handshake", "version"]) {
        let shown = version.replace("TLSv", "TLS ");
        m.gauge_with("probe_tls_version_info", "Contains the TLS version used", &[("version", &shown)], 1.0);
    }
    m.gauge_opt(
        "probe_tls_handshake_seconds",
        "Time of the TLS handshake",
        num(address, &["handshake", "handshake_ms"]).map(|ms| ms / 1e3),
    );
    let verdict = &address["verdict"];
    let status =
        text(verdict, &["status"]).unwrap_or(if address["error"].is_null() { "unknown" } else { "handshake_failed" });
    let reason = verdict["reasons"]
        .as_array()
        .and_then(|r| r.first())
        .map(|r| r.as_str().map(String::from).unwrap_or_else(|| r.to_string()))
        .or_else(|| text(address, &["error"]).map(String::from))
        .unwrap_or_default();
    m.gauge_with(
        "probe_tls_verdict_info",
        "The trust verdict of the served chain and its first reason (netwalk tls-inspect)",
        &[("status", status), ("reason", &reason)],
        1.0,
    );
    m.gauge(
        "probe_tls_trusted",
        "Whether the served chain verified against the trust store",
        flag(verdict["trusted"] == true),
    );
    report["passed"] == true
}
