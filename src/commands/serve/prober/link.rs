//! probers: dhcp and arp — the local link. dhcp's target is the interface
//! (every OFFER counted, unexpected servers flagged); arp's target is the
//! IPv4 address asked for (replies, RTT, a second MAC is a conflict).

use super::{command, duration, flag, num};
use crate::commands::serve::config::{ArpModule, DhcpModule};
use crate::commands::serve::metrics::Metrics;
use serde_json::Value;
use std::time::Duration;

pub fn dhcp_argv(module: Option<&DhcpModule>, target: &str, timeout: Duration) -> Result<Vec<String>, String> {
    let mut argv = command("dhcp-discover", None);
    // Offers come within the wait; keep a little of the probe's time to report.
    argv.extend(["-I".into(), target.into(), "--timeout".into(), duration(timeout * 3 / 4)]);
    for server in module.map(|m| m.expected_servers.as_slice()).unwrap_or_default() {
        argv.extend(["--expect-server".into(), server.to_string()]);
    }
    Ok(argv)
}

pub fn dhcp_metrics(report: Option<&Value>, m: &mut Metrics) -> bool {
    let Some(report) = report else { return false };
    let count = |key: &str| report[key].as_array().map_or(0.0, |a| a.len() as f64);
    m.gauge("probe_dhcp_offers", "DHCPOFFERs received", count("offers"));
    m.gauge("probe_dhcp_servers", "Distinct DHCP servers that offered", count("servers"));
    m.gauge(
        "probe_dhcp_rogue_servers",
        "Servers that offered but are not in expected_servers",
        count("unexpected_servers"),
    );
    let first =
        report["offers"].as_array().into_iter().flatten().filter_map(|o| num(o, &["latency_ms"])).reduce(f64::min);
    m.gauge_opt("probe_dhcp_offer_latency_seconds", "Time from DISCOVER to the first OFFER", first.map(|ms| ms / 1e3));
    report["passed"] == true
}

pub fn arp_argv(module: Option<&ArpModule>, target: &str, timeout: Duration) -> Result<Vec<String>, String> {
    let ip: std::net::Ipv4Addr = target.parse().map_err(|_| format!("target {target:?} is not an IPv4 address"))?;
    let count = module.and_then(|m| m.count).unwrap_or(3).max(1);
    let mut argv = command("arp", None);
    if let Some(iface) = module.and_then(|m| m.interface.as_ref()) {
        argv.extend(["-I".into(), iface.clone()]);
    }
    // The requests go out a tenth of the probe apart, the last one's wait
    // ending within the probe's time.
    let interval = timeout / (u32::from(count) + 2);
    argv.extend(["-c".into(), count.to_string(), "-i".into(), duration(interval)]);
    argv.extend(["--timeout".into(), duration(interval * 2), ip.to_string()]);
    Ok(argv)
}

pub fn arp_metrics(report: Option<&Value>, m: &mut Metrics) -> bool {
    let Some(report) = report else { return false };
    m.gauge_opt("probe_arp_replies", "ARP replies received", num(report, &["summary", "received"]));
    m.gauge_opt(
        "probe_arp_loss_ratio",
        "Share of requests without a reply",
        num(report, &["summary", "loss_pct"]).map(|p| p / 100.0),
    );
    m.gauge_opt(
        "probe_arp_rtt_seconds",
        "Average request-to-reply time",
        num(report, &["summary", "rtt", "avg_ms"]).map(|ms| ms / 1e3),
    );
    let macs = report["responders"].as_array().map_or(0.0, |a| a.len() as f64);
    m.gauge("probe_arp_responders", "Distinct MAC addresses that answered", macs);
    m.gauge("probe_arp_conflict", "Whether more than one MAC claims the address", flag(report["conflict"] == true));
    report["passed"] == true
}
