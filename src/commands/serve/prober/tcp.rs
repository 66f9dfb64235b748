//! prober: tcp — one `netwalk tcping` handshake: open, closed, filtered or
//! unreachable, and why.

use super::{address_metrics, command, duration, lookup_metric_ms, num, text};
use crate::commands::serve::config::IpModule;
use crate::commands::serve::metrics::Metrics;
use crate::commands::serve::probe::Log;
use serde_json::Value;
use std::time::Duration;

const STATES: [&str; 4] = ["open", "closed", "filtered", "unreachable"];

pub fn argv(module: Option<&IpModule>, target: &str, timeout: Duration) -> Result<Vec<String>, String> {
    let target_ = crate::target::parse(target).map_err(|e| format!("target {target:?}: {e}"))?;
    if target_.port.is_none() {
        return Err(format!("target {target:?} has no port (write host:port)"));
    }
    let mut argv = command("tcping", module);
    argv.extend(["-c".into(), "1".into(), "--timeout".into(), duration(timeout)]);
    if let Some(source) = module.and_then(|m| m.source_ip_address) {
        argv.extend(["--source".into(), source.to_string()]);
    }
    argv.extend(["--".into(), target.into()]);
    Ok(argv)
}

pub fn metrics(report: Option<&Value>, m: &mut Metrics, log: &Log) -> bool {
    let Some(t) = report.map(|r| &r["targets"][0]) else { return false };
    lookup_metric_ms(m, num(t, &["resolution", "elapsed_ms"]));
    address_metrics(m, text(t, &["address"]));
    let probe = &t["probes"][0];
    let state = text(probe, &["state"]).unwrap_or("");
    let reason = text(probe, &["reason"]).unwrap_or("").to_string();
    log.line(
        if state == "open" { "info" } else { "error" },
        "TCP handshake",
        &[("state", state.to_string()), ("reason", reason)],
    );
    for s in STATES {
        m.gauge_with(
            "probe_tcp_state",
            "The TCP handshake's outcome (netwalk tcping)",
            &[("state", s)],
            super::flag(s == state),
        );
    }
    m.gauge_opt(
        "probe_tcp_connect_seconds",
        "Time from SYN to the handshake's end or failure",
        num(probe, &["elapsed_ms"]).map(|ms| ms / 1e3),
    );
    if state == "open" {
        m.gauge_opt(
            "probe_tcp_rtt_seconds",
            "The kernel's SYN to SYN-ACK round-trip time",
            num(probe, &["rtt_ms"]).map(|ms| ms / 1e3),
        );
    }
    state == "open"
}
