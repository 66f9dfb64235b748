//! prober: http — `netwalk http`, following redirects as blackbox does.

use super::{address_metrics, command, duration, flag, num, text};
use crate::commands::serve::config::HttpModule;
use crate::commands::serve::metrics::Metrics;
use crate::commands::serve::probe::Log;
use serde_json::Value;
use std::time::Duration;

/// blackbox follows at most 10 redirects.
const MAX_REDIRECTS: &str = "10";

pub fn argv(module: Option<&HttpModule>, target: &str, timeout: Duration) -> Result<Vec<String>, String> {
    let default = HttpModule::default();
    let module = module.unwrap_or(&default);
    let url = if target.contains("://") { target.to_string() } else { format!("http://{target}") };
    match url::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        Ok(u) => return Err(format!("target {target:?}: scheme {} is not http or https", u.scheme())),
        Err(e) => return Err(format!("target {target:?} is not a URL: {e}")),
    }
    let mut argv = command("http", Some(&module.ip()));
    argv.extend(["--max-time".into(), duration(timeout)]);
    if !module.no_follow_redirects {
        argv.extend(["-L".into(), "--max-redirs".into(), MAX_REDIRECTS.into()]);
    }
    for (name, value) in &module.headers {
        argv.extend(["-H".into(), format!("{name}: {value}")]);
    }
    if let Some(body) = &module.body {
        argv.extend(["-d".into(), body.clone()]);
    }
    if module.tls_config.insecure_skip_verify {
        argv.push("-k".into());
    }
    if let Some(ca) = &module.tls_config.ca_file {
        argv.extend(["--cacert".into(), ca.display().to_string()]);
    }
    if let Some(limit) = module.body_size_limit {
        argv.extend(["--max-filesize".into(), limit.to_string()]);
    }
    argv.push("--".into());
    if let Some(method) = &module.method {
        argv.push(method.clone());
    }
    argv.push(url);
    Ok(argv)
}

pub fn metrics(module: Option<&HttpModule>, report: Option<&Value>, m: &mut Metrics, log: &Log) -> bool {
    let default = HttpModule::default();
    let module = module.unwrap_or(&default);
    let Some(report) = report else {
        m.gauge("probe_http_status_code", "Response HTTP status code", 0.0);
        return false;
    };
    let hops = report["hops"].as_array().map(Vec::as_slice).unwrap_or_default();
    let first = hops.first();
    super::lookup_metric_ms(m, first.and_then(|h| num(h, &["connection", "dns_ms"])));
    address_metrics(m, hops.last().and_then(|h| text(h, &["remote"])));

    // blackbox's phases, summed over the redirects (curl-style marks per hop).
    let mut phases = [0.0f64; 5];
    for hop in hops {
        let t = |key| num(hop, &["timings", key]).unwrap_or(0.0);
        let (lookup, connect, tls) = (t("time_namelookup"), t("time_connect"), t("time_appconnect"));
        let (sent, first_byte, total) = (t("time_pretransfer"), t("time_starttransfer"), t("time_total"));
        phases[0] += lookup;
        phases[1] += (connect - lookup).max(0.0);
        phases[2] += if tls > 0.0 { (tls - connect).max(0.0) } else { 0.0 };
        phases[3] += (first_byte - sent).max(0.0);
        phases[4] += (total - first_byte).max(0.0);
    }
    for (phase, value) in ["resolve", "connect", "tls", "processing", "transfer"].iter().zip(phases) {
        m.gauge_with(
            "probe_http_duration_seconds",
            "Duration of http request by phase, summed over all redirects",
            &[("phase", phase)],
            value,
        );
    }

    let status = num(report, &["status"]).unwrap_or(0.0);
    let last = hops.last();
    let header = |name: &str| {
        last.and_then(|h| h["response_headers"].as_array())
            .and_then(|hs| hs.iter().find(|p| p[0].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name))))
            .and_then(|p| p[1].as_str())
    };
    let length = header("content-length").and_then(|v| v.trim().parse::<f64>().ok()).unwrap_or(-1.0);
    let protocol = text(report, &["protocol"]).unwrap_or("");
    let version = match protocol {
        "HTTP/2" => 2.0,
        "HTTP/1.0" => 1.0,
        "HTTP/1.1" => 1.1,
        _ => 0.0,
    };
    let tls = text(report, &["final_url"]).is_some_and(|u| u.starts_with("https:"));
    m.gauge("probe_http_status_code", "Response HTTP status code", status);
    m.gauge("probe_http_content_length", "Length of http content response", length);
    m.gauge_opt(
        "probe_http_uncompressed_body_length",
        "Length of uncompressed response body",
        num(report, &["body", "bytes"]),
    );
    m.gauge("probe_http_redirects", "The number of redirects", num(report, &["redirects"]).unwrap_or(0.0));
    m.gauge("probe_http_ssl", "Indicates if SSL was used for the final redirect", flag(tls));
    m.gauge("probe_http_version", "Returns the version of HTTP of the probe response", version);
    if let Some(date) = header("last-modified").and_then(|d| httpdate::parse_http_date(d).ok())
        && let Ok(since) = date.duration_since(std::time::UNIX_EPOCH)
    {
        m.gauge(
            "probe_http_last_modified_timestamp_seconds",
            "Returns the Last-Modified HTTP response header in unixtime",
            since.as_secs_f64(),
        );
    }
    // As blackbox: the chain of the last TLS connection (the final redirect's).
    if let Some(expiry) = last.and_then(|h| num(h, &["connection", "tls_facts", "earliest_expiry_unix"])) {
        m.gauge("probe_ssl_earliest_cert_expiry", "Returns last SSL chain expiry in unixtime", expiry);
    }
    if let Some(version) = last.and_then(|h| text(h, &["connection", "tls_facts", "version"])) {
        let shown = version.replace("TLSv", "TLS ");
        m.gauge_with("probe_tls_version_info", "Contains the TLS version used", &[("version", &shown)], 1.0);
    }

    let status_ok = if module.valid_status_codes.is_empty() {
        (200.0..300.0).contains(&status)
    } else {
        module.valid_status_codes.iter().any(|c| f64::from(*c) == status)
    };
    if !status_ok {
        log.line("error", "Invalid HTTP response status code", &[("status_code", status.to_string())]);
        return false;
    }
    let shown_version = if protocol == "HTTP/2" { "HTTP/2.0" } else { protocol };
    if !module.valid_http_versions.is_empty()
        && !module.valid_http_versions.iter().any(|v| v == shown_version || v == protocol)
    {
        log.line("error", "Invalid HTTP version number", &[("version", protocol.to_string())]);
        return false;
    }
    if module.fail_if_ssl && tls {
        log.line("error", "Final request was over SSL", &[]);
        return false;
    }
    if module.fail_if_not_ssl && !tls {
        log.line("error", "Final request was not over SSL", &[]);
        return false;
    }
    true
}
