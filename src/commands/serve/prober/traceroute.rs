//! prober: traceroute — the path with every TTL in flight: per-hop loss and
//! RTT, the hop count, and whether the path changed since the last probe.

use super::{Memory, address_metrics, command, duration, flag, num, text};
use crate::commands::serve::config::{TraceMethod, TracerouteModule};
use crate::commands::serve::metrics::Metrics;
use serde_json::Value;
use std::time::Duration;

pub fn argv(module: Option<&TracerouteModule>, target: &str, timeout: Duration) -> Result<Vec<String>, String> {
    let default = TracerouteModule::default();
    let module = module.unwrap_or(&default);
    let mut argv = command("traceroute", None);
    argv.push(
        match module.method {
            TraceMethod::Icmp => "--icmp",
            TraceMethod::Udp => "--udp",
            TraceMethod::Tcp => "--tcp",
        }
        .into(),
    );
    // Every TTL is in flight at once, so the whole trace takes about one
    // per-probe timeout: leave a quarter of the probe's time for the rest.
    argv.extend(["-n".into(), "--timeout".into(), duration(timeout * 3 / 4)]);
    argv.extend(["-q".into(), module.queries.unwrap_or(3).max(1).to_string()]);
    if let Some(max) = module.max_ttl {
        argv.extend(["-m".into(), max.to_string()]);
    }
    if let Some(port) = module.port {
        argv.extend(["-p".into(), port.to_string()]);
    }
    argv.extend(["--".into(), target.into()]);
    Ok(argv)
}

pub fn metrics(report: Option<&Value>, m: &mut Metrics, key: &str, memory: &Memory) -> bool {
    let Some(report) = report else { return false };
    super::lookup_metric_ms(m, num(report, &["resolution", "elapsed_ms"]));
    address_metrics(m, text(report, &["address"]));
    let hops = report["flows"][0]["hops"].as_array().map(Vec::as_slice).unwrap_or_default();
    let mut path = Vec::with_capacity(hops.len());
    for hop in hops {
        let ttl = hop["ttl"].to_string();
        let probes = hop["probes"].as_array().map(Vec::as_slice).unwrap_or_default();
        let answered: Vec<&Value> = probes.iter().filter(|p| !p["from"].is_null()).collect();
        let from = answered.first().and_then(|p| text(p, &["from"])).unwrap_or("*");
        path.push(from.to_string());
        let labels = [("ttl", ttl.as_str()), ("address", from)];
        let loss = if probes.is_empty() { 1.0 } else { 1.0 - answered.len() as f64 / probes.len() as f64 };
        m.gauge_with("probe_traceroute_hop_loss_ratio", "Share of this hop's probes that got no answer", &labels, loss);
        let rtts: Vec<f64> = answered.iter().filter_map(|p| num(p, &["rtt_ms"])).collect();
        if !rtts.is_empty() {
            let avg = rtts.iter().sum::<f64>() / rtts.len() as f64 / 1e3;
            m.gauge_with(
                "probe_traceroute_hop_rtt_seconds",
                "Average round-trip time of this hop's answers",
                &labels,
                avg,
            );
        }
    }
    let reached = report["reached"] == true;
    m.gauge("probe_traceroute_hops", "Hops up to the target (or the last TTL tried)", hops.len() as f64);
    m.gauge("probe_traceroute_reached", "Whether the target answered", flag(reached));
    if let Some(changed) = memory.changed(key.to_string(), path) {
        m.gauge(
            "probe_traceroute_path_changed",
            "Whether the hop addresses differ from the previous probe's",
            flag(changed),
        );
    }
    reached
}
