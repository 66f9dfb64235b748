//! prober: dns — one `netwalk dig` query to the target server.

use super::{command, flag, num, text};
use crate::commands::serve::config::{DnsModule, Transport};
use crate::commands::serve::metrics::Metrics;
use crate::commands::serve::probe::Log;
use serde_json::Value;
use std::time::Duration;

pub fn argv(module: Option<&DnsModule>, target: &str, timeout: Duration) -> Result<Vec<String>, String> {
    let module = module.ok_or("prober dns needs dns.query_name")?;
    let server = crate::target::parse(target).map_err(|e| format!("target {target:?}: {e}"))?;
    let mut argv = command("dig", Some(&module.ip()));
    // dig's +time is whole seconds; the probe's own deadline cuts it finer.
    let secs = timeout.as_secs().max(1);
    argv.push(format!("@{}", server.host));
    argv.extend(["-p".into(), server.port.unwrap_or(53).to_string()]);
    argv.extend(["+tries=1".into(), format!("+time={secs}")]);
    if module.transport_protocol == Transport::Tcp {
        argv.push("+tcp".into());
    }
    if !module.recursion_desired {
        argv.push("+norecurse".into());
    }
    argv.extend([module.query_name.clone(), module.query_type.clone()]);
    Ok(argv)
}

pub fn metrics(module: Option<&DnsModule>, report: Option<&Value>, m: &mut Metrics, log: &Log) -> bool {
    let answered = report.map(|r| &r["queries"][0]).filter(|q| q.get("rcode").is_some());
    m.gauge(
        "probe_dns_query_succeeded",
        "Displays whether or not the query was executed successfully",
        flag(answered.is_some()),
    );
    let Some(q) = answered else { return false };
    if let Some(ms) = num(q, &["query_time_ms"]) {
        m.gauge_with(
            "probe_dns_duration_seconds",
            "Duration of DNS request by phase",
            &[("phase", "request")],
            ms / 1e3,
        );
    }
    let count = |section: &str| q[section].as_array().map_or(0.0, |a| a.len() as f64);
    m.gauge("probe_dns_answer_rrs", "Returns number of entries in the answer resource record list", count("answer"));
    m.gauge(
        "probe_dns_authority_rrs",
        "Returns number of entries in the authority resource record list",
        count("authority"),
    );
    m.gauge(
        "probe_dns_additional_rrs",
        "Returns number of entries in the additional resource record list",
        count("additional"),
    );
    let rcode = num(q, &["rcode"]).unwrap_or(-1.0);
    m.gauge("probe_dns_rcode", "The response's RCODE (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, …)", rcode);
    let serial = q["answer"].as_array().into_iter().flatten().find(|rr| text(rr, &["type"]) == Some("SOA"));
    if let Some(serial) = serial.and_then(|rr| text(rr, &["data"])?.split_whitespace().nth(2)?.parse::<f64>().ok()) {
        m.gauge("probe_dns_serial", "Returns the serial number of the zone", serial);
    }
    let status = text(q, &["status"]).unwrap_or("");
    let valid = module.map(|m| m.valid_rcodes.as_slice()).unwrap_or_default();
    let ok = if valid.is_empty() { status == "NOERROR" } else { valid.iter().any(|v| v.eq_ignore_ascii_case(status)) };
    if !ok {
        log.line("error", "Rcode is not one of the valid rcodes", &[("rcode", status.to_string())]);
    }
    ok
}
