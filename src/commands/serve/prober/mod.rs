//! Each prober is two functions over an existing command: the command line
//! that runs the module against a target, and the metrics read from that
//! command's JSON report (None when the command ended in an error).

mod dns;
mod hsts;
mod http;
mod icmp;
mod link;
mod tcp;
mod tls;
mod traceroute;

use super::config::{IpModule, Module, Prober};
use super::metrics::{self, Metrics};
use super::probe::Log;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Paths remembered per (module, target) to report path changes; bounded,
/// so a scrape config with endless targets cannot grow it.
const MEMORY_CAP: usize = 4096;

#[derive(Default)]
pub struct Memory(Mutex<HashMap<String, Vec<String>>>);

impl Memory {
    /// Stores `path` under `key`; whether it differs from the one stored before.
    pub fn changed(&self, key: String, path: Vec<String>) -> Option<bool> {
        let mut paths = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if paths.len() >= MEMORY_CAP && !paths.contains_key(&key) {
            paths.clear();
        }
        paths.insert(key, path.clone()).map(|before| before != path)
    }
}

/// The netwalk command line for one probe; Err is a bad target (HTTP 400).
pub fn argv(module: &Module, target: &str, timeout: Duration) -> Result<Vec<String>, String> {
    check_target(target)?;
    match module.prober {
        Prober::Http => http::argv(module.http.as_ref(), target, timeout),
        Prober::Tcp => tcp::argv(module.tcp.as_ref(), target, timeout),
        Prober::Icmp => icmp::argv(module.icmp.as_ref(), target, timeout),
        Prober::Dns => dns::argv(module.dns.as_ref(), target, timeout),
        Prober::Tls => tls::argv(module.tls.as_ref(), target, timeout),
        Prober::Hsts => hsts::argv(module.hsts.as_ref(), target),
        Prober::Traceroute => traceroute::argv(module.traceroute.as_ref(), target, timeout),
        Prober::Dhcp => link::dhcp_argv(module.dhcp.as_ref(), target, timeout),
        Prober::Arp => link::arp_argv(module.arp.as_ref(), target, timeout),
    }
}

/// Adds the prober's metrics; whether the probe succeeded.
pub fn metrics(
    module: &Module,
    target: &str,
    report: Option<&Value>,
    m: &mut Metrics,
    log: &Log,
    memory: &Memory,
) -> bool {
    match module.prober {
        Prober::Http => http::metrics(module.http.as_ref(), report, m, log),
        Prober::Tcp => tcp::metrics(report, m, log),
        Prober::Icmp => icmp::metrics(report, m),
        Prober::Dns => dns::metrics(module.dns.as_ref(), report, m, log),
        Prober::Tls => tls::metrics(report, m),
        Prober::Hsts => hsts::metrics(module.hsts.as_ref(), report, m),
        Prober::Traceroute => traceroute::metrics(report, m, &format!("{}\0{target}", module.prober.name()), memory),
        Prober::Dhcp => link::dhcp_metrics(report, m),
        Prober::Arp => link::arp_metrics(report, m),
    }
}

/// A target is one word: it becomes one argument of a netwalk command, so
/// it may not look like an option or carry spaces.
fn check_target(target: &str) -> Result<(), String> {
    if target.is_empty() {
        return Err("target is empty".into());
    }
    if target.starts_with('-') || target.starts_with('@') || target.starts_with('+') {
        return Err(format!("target {target:?} starts with '{}'", &target[..1]));
    }
    if target.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("target {target:?} contains a space or a control character"));
    }
    if target.len() > 2048 {
        return Err("target is longer than 2048 bytes".into());
    }
    Ok(())
}

/// `netwalk [-4|-6] [--interface …] <command>`.
fn command(name: &str, ip: Option<&IpModule>) -> Vec<String> {
    let mut argv = vec!["netwalk".to_string()];
    if let Some(flag) = ip.and_then(IpModule::family_flag) {
        argv.push(flag.into());
    }
    argv.push(name.into());
    argv
}

/// A duration as netwalk's options take it.
fn duration(d: Duration) -> String {
    format!("{}ms", d.as_millis().max(1))
}

fn num(v: &Value, path: &[&str]) -> Option<f64> {
    path.iter().try_fold(v, |v, key| v.get(key))?.as_f64()
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, key| v.get(key))?.as_str()
}

fn flag(value: bool) -> f64 {
    if value { 1.0 } else { 0.0 }
}

/// probe_ip_protocol and probe_ip_addr_hash from the address the probe used.
fn address_metrics(m: &mut Metrics, addr: Option<&str>) {
    let Some(ip) = addr.and_then(|a| {
        a.parse::<std::net::SocketAddr>().map(|s| s.ip()).or_else(|_| a.parse::<std::net::IpAddr>()).ok()
    }) else {
        return;
    };
    let protocol = if ip.is_ipv4() { 4.0 } else { 6.0 };
    m.gauge("probe_ip_protocol", "Specifies whether probe ip protocol is IP4 or IP6", protocol);
    m.gauge(
        "probe_ip_addr_hash",
        "Specifies the hash of IP address. It's useful to detect if the IP address changes.",
        metrics::ip_hash(&ip.to_string()),
    );
}

/// probe_dns_lookup_time_seconds from the milliseconds netwalk reports.
fn lookup_metric_ms(m: &mut Metrics, ms: Option<f64>) {
    if let Some(ms) = ms {
        m.gauge("probe_dns_lookup_time_seconds", "Returns the time taken for probe dns lookup in seconds", ms / 1e3);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_cannot_become_an_option() {
        assert!(check_target("web.test:443").is_ok());
        assert!(check_target("https://web.test/a?b=c").is_ok());
        assert_eq!(check_target("-k").unwrap_err(), "target \"-k\" starts with '-'");
        assert!(check_target("a b").is_err());
        assert!(check_target("").is_err());
        assert!(check_target("+tcp").is_err());
    }

    #[test]
    fn memory_tells_a_changed_path() {
        let memory = Memory::default();
        assert_eq!(memory.changed("k".into(), vec!["a".into()]), None);
        assert_eq!(memory.changed("k".into(), vec!["a".into()]), Some(false));
        assert_eq!(memory.changed("k".into(), vec!["b".into()]), Some(true));
    }
}
