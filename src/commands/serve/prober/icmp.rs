//! prober: icmp — one echo request at blackbox's TTL (64) through
//! traceroute's ICMP engine: a reply from the target is success.

use super::{address_metrics, command, duration, num, text};
use crate::commands::serve::config::IcmpModule;
use crate::commands::serve::metrics::Metrics;
use serde_json::Value;
use std::time::Duration;

const TTL: u8 = 64;

pub fn argv(module: Option<&IcmpModule>, target: &str, timeout: Duration) -> Result<Vec<String>, String> {
    let ttl = module.and_then(|m| m.ttl).unwrap_or(TTL).max(1).to_string();
    let mut argv = command("traceroute", module.map(IcmpModule::ip).as_ref());
    argv.extend(["--icmp", "-n", "-q", "1", "-f", &ttl, "-m", &ttl].map(String::from));
    argv.extend(["--timeout".into(), duration(timeout)]);
    if let Some(source) = module.and_then(|m| m.source_ip_address) {
        argv.extend(["--source".into(), source.to_string()]);
    }
    argv.extend(["--".into(), target.into()]);
    Ok(argv)
}

pub fn metrics(report: Option<&Value>, m: &mut Metrics) -> bool {
    let Some(report) = report else { return false };
    let help = "Duration of icmp request by phase";
    if let Some(ms) = num(report, &["resolution", "elapsed_ms"]) {
        m.gauge("probe_dns_lookup_time_seconds", "Returns the time taken for probe dns lookup in seconds", ms / 1e3);
        m.gauge_with("probe_icmp_duration_seconds", help, &[("phase", "resolve")], ms / 1e3);
    }
    address_metrics(m, text(report, &["address"]));
    let probe = &report["flows"][0]["hops"][0]["probes"][0];
    let reached = text(probe, &["kind"]) == Some("reached");
    if reached {
        if let Some(ms) = num(probe, &["rtt_ms"]) {
            m.gauge_with("probe_icmp_duration_seconds", help, &[("phase", "rtt")], ms / 1e3);
        }
        m.gauge_opt(
            "probe_icmp_reply_hop_limit",
            "Replied packet hop limit (TTL for ipv4)",
            num(probe, &["reply_ttl"]),
        );
    }
    reached
}
