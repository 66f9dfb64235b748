//! `netwalk dhcp-discover`: every DHCP server on a link, without taking a lease.
//! A DISCOVER (or SOLICIT) goes out and is retransmitted as RFC clients do;
//! offers are collected until the timeout; nothing is ever requested, so no
//! server records a lease.

pub mod backoff;
pub mod engine;
pub mod lease;
pub mod v6;

use crate::cli::Global;
use crate::error::{Error, Exit};
use crate::net::iface::{self, Interface};
use crate::net::packet::{PacketSocket, Received, Stamp};
use crate::output::{Output, Report, Tone};
use crate::timing::{self, parse_duration};
use crate::wire::udp_frame::{self, Mac};
use backoff::Backoff;
use engine::{Ignored, Offer, Request, Seen};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddrV6};
use std::time::{Duration, Instant};
use v6::{Advertise, Seen6};

/// Offers and malformed messages kept; past that they are only counted, so a
/// flood cannot grow memory.
const KEEP: usize = 64;

#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit_codes!(), after_long_help = concat!(
    "Examples:\n",
    "  sudo netwalk dhcp-discover -I eth0\n",
    "  sudo netwalk dhcp-discover -I eth0 --expect-server 198.18.5.1 --json\n",
    "  sudo netwalk dhcp-discover -I eth0 --random-mac --first\n",
    "  sudo netwalk dhcp-discover -I eth0 --v6\n\n",
    "Sends a DHCPDISCOVER from a packet socket (the interface needs no IPv4 address) and\n",
    "lists every DHCPOFFER until the timeout. Like an RFC 2131 client it sends the DISCOVER\n",
    "again after 4 s (±1 s), doubling (DHCPv6: the SOLICIT after 1 s, doubling, ±10 %); the\n",
    "5 s default covers servers that check an address before offering it (dnsmasq pings it\n",
    "for 3 s). It asks for option 252, so a server handing out a WPAD proxy URL shows. It\n",
    "never sends REQUEST or DECLINE: no lease is taken. Needs CAP_NET_RAW.\n\n",
    crate::exit_codes!()
))]
pub struct Args {
    /// How long to listen for offers
    #[arg(long, default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// Return as soon as the first offer arrives
    #[arg(long)]
    pub first: bool,

    /// Client hardware address to send as (chaddr and Ethernet source); default the interface's
    #[arg(long, value_parser = parse_mac_arg, value_name = "MAC", conflicts_with = "random_mac")]
    pub mac: Option<Mac>,

    /// Send as a random locally administered MAC address
    #[arg(long)]
    pub random_mac: bool,

    /// Client identifier (option 61) as hex, e.g. 01020000000010
    #[arg(long, value_parser = parse_hex, value_name = "HEX")]
    pub client_id: Option<HexBytes>,

    /// Host name to send (option 12)
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,

    /// The servers allowed to answer: exit 1 if any other does, or if none answers
    #[arg(long, value_delimiter = ',', value_name = "IP[,IP…]")]
    pub expect_server: Vec<IpAddr>,

    /// DHCPv6: SOLICIT to ff02::1:2 from the link-local address and list every ADVERTISE
    #[arg(long)]
    pub v6: bool,
}

fn parse_mac_arg(text: &str) -> Result<Mac, String> {
    udp_frame::parse_mac(text).ok_or_else(|| format!("'{text}' is not a MAC address (like 02:00:5e:10:00:01)"))
}

/// Bytes given in hex on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexBytes(pub Vec<u8>);

fn parse_hex(text: &str) -> Result<HexBytes, String> {
    let digits: String = text.chars().filter(|c| !matches!(c, ':' | '-' | ' ')).collect();
    if digits.is_empty() || !digits.len().is_multiple_of(2) || digits.len() > 510 {
        return Err(format!("'{text}' is not hex bytes (an even number of hex digits, at most 255 bytes)"));
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).map_err(|_| format!("'{text}' is not hex")))
        .collect::<Result<_, _>>()
        .map(HexBytes)
}

/// `-I`, or the one interface that could carry DHCP.
fn pick_interface(global: &Global) -> Result<Interface, Error> {
    if let Some(name) = &global.interface {
        let found = iface::find(name)?;
        if found.loopback {
            return Err(Error::usage(format!("{name} is a loopback interface: DHCP needs an Ethernet link")));
        }
        return Ok(found);
    }
    let candidates: Vec<Interface> =
        iface::all().into_iter().filter(|i| i.up && !i.loopback && i.mac.is_some()).collect();
    match candidates.len() {
        1 => Ok(candidates.into_iter().next().expect("one candidate")),
        0 => Err(Error::usage("no Ethernet interface is up here; name one with -I")),
        _ => Err(Error::usage_with_hint(
            "several interfaces could carry DHCP",
            format!(
                "choose one with -I ({})",
                candidates.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

fn client_mac(args: &Args, iface: &Interface) -> Result<Mac, Error> {
    if let Some(mac) = args.mac {
        return Ok(mac);
    }
    if args.random_mac {
        let mut mac: Mac = rand::random();
        mac[0] = (mac[0] & 0xfc) | 0x02; // unicast, locally administered
        return Ok(mac);
    }
    iface
        .mac
        .as_deref()
        .and_then(udp_frame::parse_mac)
        .ok_or_else(|| Error::usage(format!("{} has no MAC address", iface.name)))
}

pub async fn run(args: Args, global: &Global, out: &Output) -> Result<DhcpReport, Error> {
    let iface = pick_interface(global)?;
    let mac = client_mac(&args, &iface)?;
    crate::net::privilege::require_net_raw("DHCP discovery", None)?;
    let mut report = DhcpReport {
        interface: iface.name.clone(),
        client_mac: udp_frame::mac_string(&mac),
        version: if args.v6 { 6 } else { 4 },
        timeout: args.timeout,
        expected: args.expect_server.clone(),
        offers: Vec::new(),
        advertises: Vec::new(),
        sent: 0,
        malformed: Vec::new(),
        dropped: 0,
        ignored: BTreeMap::new(),
    };
    out.event(
        || format!("DHCP{} discovery on {} as {} for {}", if args.v6 { "v6" } else { "" }, iface.name, report.client_mac, timing::human(args.timeout)),
        || json!({"event": "start", "interface": iface.name, "client_mac": report.client_mac, "version": report.version}),
    );
    if args.v6 {
        discover_v6(&args, &iface, &mac, out, &mut report).await?;
    } else {
        discover_v4(&args, &iface, mac, out, &mut report).await?;
    }
    tracing::debug!(ignored = ?report.ignored, malformed = report.malformed.len(), "frames that were not offers for us");
    Ok(report)
}

async fn discover_v4(
    args: &Args,
    iface: &Interface,
    mac: Mac,
    out: &Output,
    report: &mut DhcpReport,
) -> Result<(), Error> {
    let socket = PacketSocket::open(iface.index, 0x0800, "DHCP discovery")?;
    let req = Request {
        xid: rand::random(),
        chaddr: mac,
        client_id: args.client_id.clone().map(|h| h.0),
        hostname: args.hostname.clone(),
    };
    let started = Instant::now();
    let deadline = started + args.timeout;
    let mut backoff = Backoff::v4(started);
    let mut frame = Vec::new();
    let mut sent_at = Stamp::user_now();
    let mut buf = vec![0u8; crate::net::packet::MAX_FRAME];
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        if now >= backoff.due() {
            frame = engine::discover_frame_after(&req, backoff.secs(now));
            sent_at = socket.send(&frame).map_err(|e| Error::io(format!("cannot send on {}", iface.name), e))?;
            backoff.on_sent(now, backoff::jitter());
            report.sent = backoff.sent;
            continue;
        }
        let wake = backoff.due().min(deadline);
        let received = tokio::select! {
            r = socket.recv(&mut buf) => r.map_err(|e| Error::io(format!("cannot receive on {}", iface.name), e))?,
            _ = tokio::time::sleep_until(wake.into()) => continue,
        };
        match received {
            Received::Sent { len, at } => {
                if frame.starts_with(&buf[..len]) {
                    sent_at = at; // the kernel's own send time beats our clock
                }
            }
            Received::Frame { len, truncated, at, .. } => {
                let latency = at.since(sent_at).unwrap_or_default();
                match engine::inspect(&buf[..len], &req, latency) {
                    Seen::Offer(mut offer) => {
                        if report.offers.iter().any(|o| o.same_as(&offer)) {
                            *report.ignored.entry(Ignored::RepeatedOffer).or_default() += 1;
                            continue;
                        }
                        offer.elapsed = started.elapsed();
                        offer.discovers_sent = backoff.sent;
                        out.event(|| offer_block(out, &offer), || json!({"event": "offer", "offer": offer}));
                        report.keep_offer(*offer);
                        if args.first {
                            break;
                        }
                    }
                    Seen::Ignored(why) => *report.ignored.entry(why).or_default() += 1,
                    Seen::Malformed { from, mac, reason } => {
                        let reason =
                            if truncated { format!("{reason} (frame longer than {len} bytes)") } else { reason };
                        report.keep_malformed(format!("{from} ({mac}): {reason}"));
                    }
                }
            }
        }
    }
    Ok(())
}

async fn discover_v6(
    args: &Args,
    iface: &Interface,
    mac: &Mac,
    out: &Output,
    report: &mut DhcpReport,
) -> Result<(), Error> {
    let link_local = iface
        .addrs
        .iter()
        .find_map(|a| match a {
            IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80 => Some(*v6),
            _ => None,
        })
        .ok_or_else(|| Error::usage(format!("{} has no IPv6 link-local address to solicit from", iface.name)))?;
    let socket = crate::net::udp::bind_link_local(&iface.name, iface.index, link_local, v6::CLIENT_PORT)?;
    let duid = v6::duid_ll(mac);
    let xid: u32 = rand::random::<u32>() & 0x00ff_ffff;
    let started = Instant::now();
    let deadline = started + args.timeout;
    let mut backoff = Backoff::v6(started);
    let mut sent_at = started;
    let to = SocketAddrV6::new(v6::ALL_SERVERS, v6::SERVER_PORT, 0, iface.index);
    let mut buf = vec![0u8; 65536];
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        if now >= backoff.due() {
            let solicit = v6::solicit(xid, &duid, v6::IAID, backoff.centiseconds(now));
            socket
                .send_to(&solicit, to)
                .await
                .map_err(|e| Error::io(format!("cannot send the SOLICIT on {}", iface.name), e))?;
            sent_at = now;
            backoff.on_sent(now, backoff::jitter());
            report.sent = backoff.sent;
            continue;
        }
        let wake = backoff.due().min(deadline);
        let (len, from) = tokio::select! {
            r = socket.recv_from(&mut buf) => r.map_err(|e| Error::io(format!("cannot receive on {}", iface.name), e))?,
            _ = tokio::time::sleep_until(wake.into()) => continue,
        };
        let from = match from.ip() {
            IpAddr::V6(v6) => v6,
            IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        };
        match v6::inspect(&buf[..len], from, xid, &duid, sent_at.elapsed()) {
            Seen6::Advertise(mut ad) => {
                if report.advertises.iter().any(|a| a.same_as(&ad)) {
                    *report.ignored.entry(Ignored::RepeatedOffer).or_default() += 1;
                    continue;
                }
                ad.elapsed = started.elapsed();
                ad.solicits_sent = backoff.sent;
                out.event(|| advertise_block(out, &ad), || json!({"event": "advertise", "advertise": ad}));
                if report.advertises.len() < KEEP {
                    report.advertises.push(*ad);
                } else {
                    report.dropped += 1;
                }
                if args.first {
                    break;
                }
            }
            Seen6::Ignored(why) => *report.ignored.entry(why).or_default() += 1,
            Seen6::Malformed(reason) => report.keep_malformed(reason),
        }
    }
    Ok(())
}

fn kv_table(out: &Output, rows: Vec<(&str, String)>) -> String {
    let mut table = out.table(&["field", "value"]);
    for (k, v) in rows.into_iter().filter(|(_, v)| !v.is_empty()) {
        table.add_row(vec![k.to_string(), v]);
    }
    table.to_string()
}

fn list<T: ToString>(items: &[T]) -> String {
    items.iter().map(T::to_string).collect::<Vec<_>>().join(", ")
}

fn opt<T: ToString>(value: &Option<T>) -> String {
    value.as_ref().map(T::to_string).unwrap_or_default()
}

fn secs(value: Option<u32>) -> String {
    value
        .map(|s| format!("{s}s ({})", humantime::format_duration(Duration::from_secs(u64::from(s)))))
        .unwrap_or_default()
}

fn offer_block(out: &Output, o: &Offer) -> String {
    let title = format!(
        "DHCPOFFER from {} ({}) in {} ms{}: {}",
        o.server,
        o.server_mac,
        timing::ms(o.latency),
        retransmitted("DISCOVER", o.discovers_sent, o.elapsed),
        out.paint(&o.offered.to_string(), Tone::Bold)
    );
    let mut rows = vec![
        ("server identifier", opt(&o.server_identifier)),
        ("server IP", o.server_ip.to_string()),
        ("relay (giaddr)", opt(&o.relay)),
        ("offered address", o.offered.to_string()),
        ("subnet mask", opt(&o.subnet_mask)),
        ("router", list(&o.routers)),
        ("DNS servers", list(&o.dns_servers)),
        ("domain name", opt(&o.domain_name)),
        ("lease time", secs(o.lease_time_s)),
        ("renewal (T1)", secs(o.renewal_time_s)),
        ("rebinding (T2)", secs(o.rebinding_time_s)),
        ("broadcast", opt(&o.broadcast)),
        ("NTP servers", list(&o.ntp_servers)),
        ("next server", opt(&o.next_server)),
        ("TFTP server", opt(&o.tftp_server)),
        ("boot file", opt(&o.boot_file)),
        ("vendor class", opt(&o.vendor_class)),
        ("WPAD (proxy auto-config)", opt(&o.wpad)),
    ];
    let vendor: Vec<String> = o.vendor_options.iter().map(|v| format!("{}: {}", v.name, v.value)).collect();
    rows.push(("vendor options", vendor.join("; ")));
    let routes: Vec<String> =
        o.classless_routes.iter().map(|r| format!("{} via {}", r.destination, r.gateway)).collect();
    rows.push(("classless routes", routes.join(", ")));
    let mut text = format!("{title}\n{}", kv_table(out, rows));
    let shown = [1, 3, 6, 15, 28, 42, 43, 51, 53, 54, 58, 59, 60, 66, 67, 121, engine::WPAD];
    let others: Vec<String> = o
        .options
        .iter()
        .filter(|v| !shown.contains(&v.code))
        .map(|v| format!("  option {} {}: {}", v.code, v.name, v.value))
        .collect();
    if !others.is_empty() {
        text += &format!("\nother options:\n{}", others.join("\n"));
    }
    for p in &o.problems {
        text += &format!("\n  {} {p}", out.paint("malformed:", Tone::Warn));
    }
    text
}

/// ", 4012 ms after the first of 2 DISCOVERs" once a message was retransmitted.
fn retransmitted(what: &str, sent: u32, elapsed: Duration) -> String {
    if sent > 1 { format!(", {} ms after the first of {sent} {what}s", timing::ms(elapsed)) } else { String::new() }
}

/// An IA_NA time: 0 means the server leaves it to the client.
fn ia_time(value: Option<u32>) -> String {
    match value {
        Some(0) => "0 (left to the client)".into(),
        other => secs(other),
    }
}

fn advertise_block(out: &Output, ad: &Advertise) -> String {
    let title = format!(
        "ADVERTISE from {} in {} ms{}",
        ad.server_ip,
        timing::ms(ad.latency),
        retransmitted("SOLICIT", ad.solicits_sent, ad.elapsed)
    );
    let addrs: Vec<String> = ad
        .addresses
        .iter()
        .map(|a| format!("{} (preferred {}s, valid {}s)", a.address, a.preferred_lifetime_s, a.valid_lifetime_s))
        .collect();
    let rows = vec![
        ("server DUID", ad.server_duid.clone()),
        ("preference", opt(&ad.preference)),
        ("addresses", addrs.join(", ")),
        ("IA_NA", ad.iaid.map(|id| format!("IAID {id}")).unwrap_or_default()),
        ("renewal (T1)", ia_time(ad.t1_s)),
        ("rebinding (T2)", ia_time(ad.t2_s)),
        ("DNS servers", list(&ad.dns_servers)),
        ("domain search", ad.domain_search.join(", ")),
        ("status", ad.status.join("; ")),
    ];
    format!("{title}\n{}", kv_table(out, rows))
}

#[derive(Debug, Serialize)]
pub struct DhcpReport {
    interface: String,
    client_mac: String,
    version: u8,
    #[serde(rename = "timeout_ms", serialize_with = "crate::output::as_ms")]
    timeout: Duration,
    expected: Vec<IpAddr>,
    /// DISCOVERs (or SOLICITs) sent: the first and its retransmissions.
    sent: u32,
    offers: Vec<Offer>,
    advertises: Vec<Advertise>,
    malformed: Vec<String>,
    /// Offers or malformed messages past the kept maximum, only counted.
    dropped: u64,
    ignored: BTreeMap<Ignored, u64>,
}

impl DhcpReport {
    fn keep_offer(&mut self, offer: Offer) {
        if self.offers.len() < KEEP {
            self.offers.push(offer);
        } else {
            self.dropped += 1;
        }
    }

    fn keep_malformed(&mut self, what: String) {
        if self.malformed.len() < KEEP {
            self.malformed.push(what);
        } else {
            self.dropped += 1;
        }
    }

    /// Each answering server once, in order of first answer.
    fn servers(&self) -> Vec<IpAddr> {
        let mut servers: Vec<IpAddr> = Vec::new();
        let all = self
            .offers
            .iter()
            .map(|o| IpAddr::V4(o.server))
            .chain(self.advertises.iter().map(|a| IpAddr::V6(a.server_ip)));
        for server in all {
            if !servers.contains(&server) {
                servers.push(server);
            }
        }
        servers
    }

    /// Servers that hand out a proxy auto-config URL (option 252), with it.
    fn wpad(&self) -> Vec<(Ipv4Addr, &str)> {
        let mut found: Vec<(Ipv4Addr, &str)> = Vec::new();
        for o in &self.offers {
            if let Some(url) = &o.wpad
                && !found.iter().any(|(s, u)| *s == o.server && u == url)
            {
                found.push((o.server, url));
            }
        }
        found
    }

    fn unexpected(&self) -> Vec<IpAddr> {
        if self.expected.is_empty() {
            return Vec::new();
        }
        self.servers().into_iter().filter(|s| !self.expected.contains(s)).collect()
    }

    fn failures(&self) -> Vec<String> {
        let mut why = Vec::new();
        if self.servers().is_empty() {
            why.push(format!("no DHCP server answered within {}", timing::human(self.timeout)));
        }
        for server in self.unexpected() {
            why.push(format!("unexpected DHCP server {server} (not in --expect-server)"));
        }
        why
    }
}

impl Report for DhcpReport {
    fn human(&self, out: &Output) -> String {
        let servers = self.servers();
        let mut text = String::new();
        match servers.len() {
            0 => {
                let what = if self.version == 6 { "SOLICIT" } else { "DISCOVER" };
                let sent = format!("{} {what}{}", self.sent, if self.sent == 1 { "" } else { "s" });
                text +=
                    &out.paint(&format!("no offer within {} ({sent} sent)\n", timing::human(self.timeout)), Tone::Bad)
            }
            1 => text += &format!("1 DHCP server answered: {}\n", servers[0]),
            n => {
                let line = format!("WARNING: {n} DHCP servers answered on {}: {}\n", self.interface, list(&servers));
                text += &out.paint(&line, Tone::Warn);
            }
        }
        for (server, url) in self.wpad() {
            let line = format!(
                "WPAD: {server} tells browsers that auto-detect proxies to load their proxy configuration from {url}\n"
            );
            text += &out.paint(&line, Tone::Warn);
        }
        for m in &self.malformed {
            text += &format!("{} {m}\n", out.paint("malformed reply from", Tone::Warn));
        }
        if self.dropped > 0 {
            text += &format!("{} more offers or malformed replies were only counted\n", self.dropped);
        }
        for why in self.failures() {
            text += &format!("{} {why}\n", out.paint("FAIL", Tone::Bad));
        }
        text
    }

    fn json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        value["command"] = json!("dhcp-discover");
        value["servers"] = json!(self.servers());
        value["multiple_servers"] = json!(self.servers().len() > 1);
        value["unexpected_servers"] = json!(self.unexpected());
        value["wpad"] = json!(self.wpad().iter().map(|(s, u)| json!({"server": s, "url": u})).collect::<Vec<_>>());
        value["failures"] = json!(self.failures());
        value["passed"] = json!(self.failures().is_empty());
        value
    }

    fn json_lines(&self) -> Vec<serde_json::Value> {
        let mut summary = self.json();
        if let Some(obj) = summary.as_object_mut() {
            obj.remove("offers");
            obj.remove("advertises");
            obj.insert("event".into(), json!("result"));
        }
        vec![summary]
    }

    fn exit(&self) -> Exit {
        if self.failures().is_empty() { Exit::Passed } else { Exit::Failed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_arguments() {
        assert_eq!(parse_hex("01:02:0a"), Ok(HexBytes(vec![1, 2, 10])));
        assert_eq!(parse_hex("01020a"), Ok(HexBytes(vec![1, 2, 10])));
        assert!(parse_hex("012").is_err());
        assert!(parse_hex("zz").is_err());
        assert!(parse_hex("").is_err());
    }
}
