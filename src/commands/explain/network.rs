//! Step 0, "This host's network": the interface the walk leaves by, its
//! address and prefix, the default gateway, MTU, DNS servers and search
//! list, and where each came from (a DHCP lease file, a static
//! configuration, resolv.conf as systemd-resolved or DHCP wrote it).
//! `--dhcp` asks the link again with dhcp-discover's DISCOVER (never a
//! REQUEST: no lease is taken) to show which servers would answer now.

use super::leases::{self, LeaseFile};
use super::report::Step;
use crate::cli::Global;
use crate::commands::dig::system::{ResolvConf, parse_resolv_conf};
use crate::net::netlink::{self, Address, DefaultRoute};
use crate::output::{Format, Output, Report};
use serde::Serialize;
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Lease files and resolv.conf are small; past this they are not what we think.
const FILE_CAP: u64 = 1 << 20;
const RESOLV_CONF: &str = "/etc/resolv.conf";
/// systemd-resolved's list of the servers its stub (127.0.0.53) forwards to.
const RESOLVED_UPSTREAM: &str = "/run/systemd/resolve/resolv.conf";

/// resolv.conf and who manages it.
#[derive(Debug, Clone, Serialize)]
pub struct Resolv {
    pub nameservers: Vec<IpAddr>,
    pub search: Vec<String>,
    /// `systemd-resolved`, `NetworkManager`, `resolvconf`, `netwalk lab (DHCP)` or `static`.
    pub managed_by: String,
    /// The symlink target, when /etc/resolv.conf is one.
    pub link: Option<PathBuf>,
    /// systemd-resolved: the servers the stub forwards to.
    pub upstream: Vec<IpAddr>,
}

/// What step 0 found, before it is told as a step.
#[derive(Debug, Clone, Serialize)]
pub struct Network {
    pub interface: Option<String>,
    pub ifindex: Option<u32>,
    pub mtu: Option<u32>,
    pub addresses: Vec<Address>,
    pub gateway: Option<DefaultRoute>,
    pub resolv: Option<Resolv>,
    pub lease: Option<LeaseFile>,
    /// Lease files looked at (none matched when `lease` is None).
    pub searched: Vec<PathBuf>,
    pub problems: Vec<String>,
}

fn mtime(path: &Path) -> Option<u64> {
    let t = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(t.duration_since(UNIX_EPOCH).ok()?.as_secs())
}

fn read(path: &Path) -> Option<String> {
    crate::input::read_text_capped("lease file", path, FILE_CAP).ok()
}

fn resolv_conf(problems: &mut Vec<String>) -> Option<Resolv> {
    let path = Path::new(RESOLV_CONF);
    let text = match crate::input::read_text_capped("resolv.conf", path, FILE_CAP) {
        Ok(t) => t,
        Err(e) => {
            problems.push(e.to_string());
            return None;
        }
    };
    let ResolvConf { nameservers, search, .. } = parse_resolv_conf(&text);
    let link = std::fs::read_link(path).ok();
    let header = text.lines().take_while(|l| l.starts_with('#')).collect::<Vec<_>>().join("\n");
    let stub = nameservers.iter().any(|ns| *ns == IpAddr::V4(Ipv4Addr::new(127, 0, 0, 53)));
    let resolved = stub
        || header.contains("systemd-resolved")
        || link.as_ref().is_some_and(|l| l.to_string_lossy().contains("systemd/resolve"));
    let managed_by = if resolved {
        "systemd-resolved"
    } else if header.contains("NetworkManager") {
        "NetworkManager"
    } else if header.contains("resolvconf") {
        "resolvconf"
    } else if header.contains("from the DHCP ACK") {
        "netwalk lab (DHCP)"
    } else {
        "static"
    };
    let upstream = if resolved {
        read(Path::new(RESOLVED_UPSTREAM)).map(|t| parse_resolv_conf(&t).nameservers).unwrap_or_default()
    } else {
        Vec::new()
    };
    Some(Resolv { nameservers, search, managed_by: managed_by.into(), link, upstream })
}

/// The value, or its default with the error kept as a problem.
fn note<T: Default>(problems: &mut Vec<String>, r: Result<T, crate::error::Error>) -> T {
    r.map_err(|e| problems.push(e.to_string())).unwrap_or_default()
}

/// --lease FILE, read before the walk: a file that cannot be read or is no
/// lease is a usage error (exit 2).
pub fn read_lease(path: &Path) -> Result<String, crate::error::Error> {
    let text = crate::input::read_text_capped("--lease", path, FILE_CAP)?;
    if leases::parse(&text, path, None, None).is_none_or(|l| l.address.is_none()) {
        return Err(crate::error::Error::usage(format!(
            "--lease {}: not a dhclient, NetworkManager, systemd-networkd or netwalk lab lease",
            path.display()
        )));
    }
    Ok(text)
}

/// Reads the interface, routes, resolv.conf and lease. `lease` is --lease
/// (or the lab's NETWALK_LAB_LEASE) and its text; without it the usual
/// places are searched.
pub fn gather(global: &Global, lease: Option<(&Path, &str)>) -> Network {
    let mut problems = Vec::new();
    let routes: Vec<DefaultRoute> = note(&mut problems, netlink::default_routes());
    let all: Vec<Address> = note(&mut problems, netlink::addresses());
    let wanted = |r: &&DefaultRoute| match r.gateway {
        Some(IpAddr::V6(_)) => !global.ipv4,
        _ => !global.ipv6,
    };
    let named = global.interface.as_deref().and_then(|i| crate::net::iface::find(i).ok()).map(|i| i.index);
    let gateway = routes.iter().filter(wanted).find(|r| named.is_none_or(|n| r.ifindex == Some(n))).cloned();
    // The interface: -I, the default route's, else the first with a global address.
    let ifindex = named
        .or(gateway.as_ref().and_then(|g| g.ifindex))
        .or_else(|| all.iter().find(|a| a.scope == "global").map(|a| a.ifindex));
    let addresses: Vec<Address> = all.into_iter().filter(|a| Some(a.ifindex) == ifindex).collect();
    let interface = ifindex.map(netlink::ifname);
    let mtu = match ifindex {
        Some(i) => note(&mut problems, netlink::link_mtu(i)),
        None => None,
    };
    let resolv = resolv_conf(&mut problems);
    let v4 = addresses.iter().find_map(|a| match a.address {
        IpAddr::V4(v4) => Some(v4),
        _ => None,
    });
    let (found, searched) = match lease {
        Some((path, text)) => {
            let parsed = leases::parse(text, path, interface.as_deref(), mtime(path));
            (parsed, vec![path.to_path_buf()])
        }
        None => search(interface.as_deref(), ifindex, v4),
    };
    Network { interface, ifindex, mtu, addresses, gateway, resolv, lease: found, searched, problems }
}

/// The first lease file of the usual places that names the interface's
/// address (any lease when the interface has no IPv4 address).
fn search(interface: Option<&str>, ifindex: Option<u32>, v4: Option<Ipv4Addr>) -> (Option<LeaseFile>, Vec<PathBuf>) {
    let (Some(name), Some(index)) = (interface, ifindex) else { return (None, Vec::new()) };
    let mut searched = Vec::new();
    for path in leases::candidates(Path::new("/"), name, index) {
        let Some(text) = read(&path) else { continue };
        searched.push(path.clone());
        if let Some(lease) = leases::parse(&text, &path, Some(name), mtime(&path))
            && (v4.is_none() || lease.address == v4)
        {
            return (Some(lease), searched);
        }
    }
    (None, searched)
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn human_secs(s: u64) -> String {
    humantime::format_duration(Duration::from_secs(s)).to_string()
}

/// `2026-12-03 09:05:53 UTC`.
pub fn utc(unix: u64) -> String {
    let (days, rem) = ((unix / 86_400) as i64, unix % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The inverse of [`leases::days_from_civil`].
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

fn list<T: ToString>(items: &[T]) -> String {
    items.iter().map(T::to_string).collect::<Vec<_>>().join(", ")
}

/// Step 0 told: a line per fact with where it came from.
pub fn step(net: &Network, dhcp: Option<Value>) -> Step {
    let now = unix_now();
    let lease = net.lease.as_ref();
    let iface = net.interface.clone().unwrap_or_else(|| "?".into());
    let v4 = net.addresses.iter().find(|a| a.address.is_ipv4());
    let leased = |a: &Address| lease.is_some_and(|l| l.address.map(IpAddr::V4) == Some(a.address));
    let addr_text = match v4.or(net.addresses.first()) {
        Some(a) => format!("{}/{}", a.address, a.prefix_len),
        None => "no address".into(),
    };
    let mut details = Vec::new();
    let mut sources = serde_json::Map::new();
    for a in &net.addresses {
        let from = if leased(a) {
            format!("the DHCP lease from {}", lease.and_then(|l| l.server).map(|s| s.to_string()).unwrap_or("?".into()))
        } else if a.scope == "link" {
            "the link-local address the kernel derives".into()
        } else if a.permanent {
            "a static configuration (no lifetime)".into()
        } else {
            "a dynamic configuration (DHCP or router advertisement; no lease file found)".into()
        };
        let left = a.valid_s.map(|s| format!(", valid {} more", human_secs(u64::from(s)))).unwrap_or_default();
        details.push(format!("address {}/{} ({}) from {from}{left}", a.address, a.prefix_len, a.scope));
        sources.insert(a.address.to_string(), json!(from));
    }
    let gw_from = net.gateway.as_ref().map(|g| {
        let in_lease =
            lease.is_some_and(|l| g.gateway.is_some_and(|gw| l.routers.iter().any(|r| IpAddr::V4(*r) == gw)));
        match g.protocol {
            "dhcp" => "DHCP (route protocol dhcp)".to_string(),
            _ if in_lease => format!("the DHCP lease's router option (route protocol {})", g.protocol),
            "ra" => "an IPv6 router advertisement".to_string(),
            p => format!("a static configuration (route protocol {p})"),
        }
    });
    match &net.gateway {
        Some(g) => details.push(format!(
            "default gateway {} on {} from {}",
            g.gateway.map(|g| g.to_string()).unwrap_or("(none: on-link)".into()),
            g.interface.as_deref().unwrap_or("?"),
            gw_from.clone().unwrap_or_default()
        )),
        None => details.push("no default route: only the networks of the routing table are reachable".into()),
    }
    if let Some(mtu) = net.mtu {
        let from = match lease.and_then(|l| l.mtu) {
            Some(m) if m == mtu => "the DHCP lease's interface-mtu option",
            _ => "the interface's setting",
        };
        details.push(format!("MTU {mtu} from {from}"));
    }
    let dns_from = net.resolv.as_ref().map(|r| {
        let ns: Vec<IpAddr> = if r.upstream.is_empty() { r.nameservers.clone() } else { r.upstream.clone() };
        let from_lease = lease
            .is_some_and(|l| !l.dns_servers.is_empty() && l.dns_servers.iter().all(|d| ns.contains(&IpAddr::V4(*d))));
        match (r.managed_by.as_str(), from_lease) {
            ("systemd-resolved", true) => "systemd-resolved's stub, forwarding to the DHCP lease's servers".to_string(),
            ("systemd-resolved", false) => "systemd-resolved's stub (127.0.0.53)".to_string(),
            (_, true) => format!("the DHCP lease's domain-name-servers, written to resolv.conf by {}", r.managed_by),
            (m, false) => format!("resolv.conf ({m})"),
        }
    });
    if let Some(r) = &net.resolv {
        details.push(format!(
            "DNS servers {} from {}",
            if r.nameservers.is_empty() { "none".into() } else { list(&r.nameservers) },
            dns_from.clone().unwrap_or_default()
        ));
        if !r.upstream.is_empty() {
            details.push(format!("systemd-resolved forwards to {} ({RESOLVED_UPSTREAM})", list(&r.upstream)));
        }
        if let Some(link) = &r.link {
            details.push(format!("{RESOLV_CONF} is a symlink to {}", link.display()));
        }
        if !r.search.is_empty() {
            details.push(format!("search list {}", r.search.join(" ")));
        }
    }
    match lease {
        Some(l) => {
            let mut line = format!(
                "DHCP lease ({}, {}): {} from server {}",
                l.client,
                l.file.display(),
                l.address.map(|a| a.to_string()).unwrap_or("?".into()),
                l.server.map(|s| s.to_string()).unwrap_or("?".into())
            );
            if let Some(t) = l.lease_time_s {
                line += &format!(" for {}", human_secs(t));
            }
            details.push(line);
            if let Some(o) = l.obtained {
                details.push(format!("  obtained {}", utc(o)));
            }
            for (what, at) in [("renews (T1)", l.renew), ("rebinds (T2)", l.rebind), ("expires", l.expires)] {
                if let Some(at) = at {
                    let rel = if at >= now { format!("in {}", human_secs(at - now)) } else { "already passed".into() };
                    details.push(format!("  {what} {} ({rel})", utc(at)));
                }
            }
        }
        None if net.searched.is_empty() => details.push("no DHCP lease file found".into()),
        None => details.push(format!(
            "no DHCP lease for {iface} in {}",
            list(&net.searched.iter().map(|p| p.display()).collect::<Vec<_>>())
        )),
    }
    let mut summary = format!("{iface} {addr_text}");
    if let Some(gw) = net.gateway.as_ref().and_then(|g| g.gateway) {
        summary += &format!(", gateway {gw}");
    }
    if let Some(r) = &net.resolv {
        summary += &format!(", DNS {}", if r.nameservers.is_empty() { "none".into() } else { list(&r.nameservers) });
    }
    summary += match lease {
        Some(_) => ": from a DHCP lease",
        None if v4.is_some_and(|a| a.permanent) => ": a static configuration",
        None => "",
    };
    let remaining = lease.and_then(|l| l.expires).map(|e| e.saturating_sub(now));
    let mut facts = json!({
        "interface": net.interface,
        "ifindex": net.ifindex,
        "mtu": net.mtu,
        "addresses": net.addresses,
        "address_sources": sources,
        "gateway": net.gateway,
        "gateway_source": gw_from,
        "resolv_conf": net.resolv,
        "dns_source": dns_from,
        "lease": lease,
        "lease_remaining_s": remaining,
        "lease_files_searched": net.searched,
        "problems": net.problems,
    });
    if let Some(d) = &dhcp {
        details.extend(dhcp_lines(d));
        facts["dhcp_discover"] = d.clone();
    }
    for p in &net.problems {
        details.push(format!("could not read: {p}"));
    }
    let mut step = Step::new(0, "network", summary, facts).filter("dhcp");
    step.details = details;
    step
}

fn dhcp_lines(d: &Value) -> Vec<String> {
    if let Some(e) = d["error"].as_str() {
        return vec![format!("--dhcp: {e}")];
    }
    let offers = d["offers"].as_array().cloned().unwrap_or_default();
    let mut lines = vec![match offers.len() {
        0 => format!("--dhcp: no DHCP server answered a DISCOVER on {} now", d["interface"].as_str().unwrap_or("?")),
        n => format!("--dhcp: {n} DHCP server(s) answered a DISCOVER now (no lease taken):"),
    }];
    for o in &offers {
        lines.push(format!(
            "  OFFER from {} ({}) in {:.3} ms: {}, router {}, DNS {}, lease {}",
            o["server"].as_str().unwrap_or("?"),
            o["server_mac"].as_str().unwrap_or("?"),
            o["latency_ms"].as_f64().unwrap_or(0.0),
            o["offered"].as_str().unwrap_or("?"),
            join(&o["routers"]),
            join(&o["dns_servers"]),
            o["lease_time_s"].as_u64().map(human_secs).unwrap_or("?".into()),
        ));
    }
    if d["multiple_servers"] == true {
        lines.push("  WARNING: more than one DHCP server answers on this link".into());
    }
    lines
}

fn join(v: &Value) -> String {
    v.as_array().map(|a| a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", ")).unwrap_or_default()
}

/// `--dhcp`: one DISCOVER on the interface through dhcp-discover, its offers
/// as JSON (or `{"error": …}`: no privilege, no such link).
pub async fn discover(global: &Global, interface: Option<&str>, wait: Duration) -> Value {
    let args = crate::commands::dhcp_discover::Args {
        timeout: wait,
        first: false,
        mac: None,
        random_mac: false,
        client_id: None,
        hostname: None,
        expect_server: Vec::new(),
        v6: false,
    };
    let global = Global {
        json: true,
        json_lines: false,
        color: crate::cli::ColorChoice::Never,
        verbose: 0,
        ipv4: true,
        ipv6: false,
        interface: interface.map(str::to_string).or_else(|| global.interface.clone()),
    };
    let quiet = Output::new(Format::Json, false);
    match crate::commands::dhcp_discover::run(args, &global, &quiet).await {
        Ok(report) => report.json(),
        Err(e) => json!({"error": e.to_string(), "interface": interface}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_and_civil_days_round_trip() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_796_288_753), "2026-12-03 09:05:53 UTC");
        for days in [-1000, 0, 11_017, 20_000, 60_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(leases::days_from_civil(y, m, d), days);
        }
    }
}
