//! `netwalk arp`: who-has for one address (IPv4 ARP or IPv6 neighbour
//! discovery) with kernel-stamped RTTs and conflict detection, RFC 5227
//! duplicate-address probes, subnet sweeps with vendor names, and the
//! kernel's neighbour cache.

mod engine;
pub mod frames;
mod targets;
mod vendor;

use crate::cli::Global;
use crate::error::{Error, Exit};
use crate::net::iface;
use crate::net::interrupt::Interrupt;
use crate::net::netlink::{self, Neighbour, RoutePath};
use crate::net::packet::{FrameKind, MAX_FRAME, PacketSocket, Received};
use crate::output::{Output, Report, Tone};
use crate::timing::{self, RttSource, parse_duration};
use engine::{Action, Mode, Pinger, Reply, Sweep};
use frames::{Mac, Seen};
use serde::Serialize;
use serde_json::json;
use std::io::{IsTerminal, Write as _};
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};
use targets::Spec;
use vendor::Vendor;

#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit_codes!(), after_long_help = concat!(
    "Examples:\n",
    "  netwalk arp 198.18.5.20                  who-has, 3 probes, one line per reply\n",
    "  netwalk arp -c 1 2001:db8:5::20          IPv6 neighbour solicitation\n",
    "  netwalk arp --dad -I eth0 198.18.5.20    is the address free? (RFC 5227 probe from 0.0.0.0)\n",
    "  netwalk arp 198.18.5.0/24                sweep: IP, MAC, vendor, RTT of every host that answers\n",
    "  netwalk arp --gateway 198.18.9.9         ARP for the gateway the route to 198.18.9.9 uses\n",
    "  netwalk arp --cache                      the kernel's neighbour table (IPv4 and IPv6)\n\n",
    "The interface comes from the routing table unless -I names one. RTTs are kernel software\n",
    "timestamps on the packet socket (TX at the driver, RX at stack entry). After the last probe is\n",
    "answered netwalk listens 8 RTTs more (at least 1 ms) for a second responder, then exits.\n",
    "Sweeps retry a silent address once the answering hosts' RTTs say it is late (4x the slowest\n",
    "answer, at least 5 ms), not after a fixed delay. Ctrl-C during a sweep prints the hosts found\n",
    "so far, says it was interrupted and exits 130. Needs CAP_NET_RAW (--cache does not).\n\n",
    crate::exit_codes!()
))]
pub struct Args {
    /// IPv4 or IPv6 address, or an IPv4 CIDR / range to sweep (198.18.5.0/24, 198.18.5.10-40)
    #[arg(value_name = "TARGET", required_unless_present = "cache", conflicts_with = "cache")]
    pub target: Option<String>,

    /// Probes for a single address [default: 3; 0 runs until interrupted]
    #[arg(short, long, value_name = "COUNT")]
    pub count: Option<u64>,

    /// Time between two probes to a single address [default: 1s]
    #[arg(short, long, value_parser = parse_duration, value_name = "DURATION")]
    pub interval: Option<Duration>,

    /// How long to wait for an answer to the last probe; in a sweep, before any host answered
    #[arg(long, default_value = "1s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// Duplicate-address detection: RFC 5227 probes from 0.0.0.0; exit 1 if the address is in use
    #[arg(long)]
    pub dad: bool,

    /// Sweep: requests per second [default: 2000]
    #[arg(long, value_name = "PPS", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub rate: Option<u32>,

    /// Sweep: extra requests to an address that stays silent [default: 1]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=10))]
    pub retries: Option<u8>,

    /// When TARGET is off-link, ask for the gateway the route uses instead
    #[arg(long)]
    pub gateway: bool,

    /// Allow sweeps larger than a /16 (up to a /12)
    #[arg(long)]
    pub force: bool,

    /// Show the kernel's neighbour table (IPv4 and IPv6) instead of asking the network
    #[arg(long)]
    pub cache: bool,
}

const DEFAULT_COUNT: u64 = 3;
const DEFAULT_RATE: u32 = 2000;
const DEFAULT_RETRIES: u8 = 1;
const ETH_P_ARP: u16 = 0x0806;
const ETH_P_IPV6: u16 = 0x86dd;

pub async fn run(args: Args, global: &Global, out: &Output) -> Result<ArpReport, Error> {
    if args.cache {
        return cache(global);
    }
    let text = args.target.clone().unwrap_or_default();
    let spec = targets::parse(&text, args.force)?;
    match spec {
        Spec::One(ip) => {
            if args.rate.is_some() || args.retries.is_some() || args.force {
                return Err(Error::usage("--rate, --retries and --force apply to sweeps (a CIDR or range)"));
            }
            one(ip, &text, &args, global, out).await
        }
        Spec::Sweep { .. } => {
            if args.count.is_some() || args.interval.is_some() || args.dad || args.gateway {
                return Err(Error::usage(
                    "-c, -i, --dad and --gateway apply to a single address; sweeps use --rate and --retries",
                ));
            }
            sweep(&spec, &text, &args, global, out).await
        }
    }
}

/// The sending side of the link: interface, its MAC, and our address on it.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub interface: String,
    pub ifindex: u32,
    pub mac: Mac,
    /// Sender protocol address (0.0.0.0 for a DAD probe).
    pub source: IpAddr,
}

fn interface(name: &str) -> Result<(iface::Interface, Mac), Error> {
    let found = iface::find(name)?;
    let mac = found.mac.as_deref().and_then(|m| m.parse::<Mac>().ok()).filter(|m| !m.is_zero());
    match mac {
        Some(mac) => Ok((found, mac)),
        None => Err(Error::Link {
            message: format!("interface {name} has no Ethernet address"),
            hint: Some(
                "ARP and neighbour discovery need an Ethernet-like link; pick one with -I (see `ip link`)".into(),
            ),
        }),
    }
}

/// Route lookup → interface → our MAC and address: the first steps of the
/// "what happens when" story, made visible in the report.
fn resolve_link(target: IpAddr, global: &Global, dad: bool) -> Result<(Link, Option<RoutePath>), Error> {
    let forced = match &global.interface {
        Some(name) => Some(interface(name)?),
        None => None,
    };
    let route = netlink::route_get(target, forced.as_ref().map(|(i, _)| i.index))?;
    let (found, mac) = match (forced, &route) {
        (Some(f), _) => f,
        (None, Some(r)) if r.kind == "local" => {
            return Err(Error::usage_with_hint(
                format!("{target} is an address of this host"),
                "to check that nobody else uses it, run --dad with -I IFACE",
            ));
        }
        (None, Some(RoutePath { interface: Some(name), .. })) => interface(name)?,
        (None, _) => {
            return Err(Error::Link {
                message: format!("no route to {target}"),
                hint: Some("name the interface with -I, or check `ip route`".into()),
            });
        }
    };
    let source = if dad {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        let from_route = route.as_ref().and_then(|r| r.source).filter(|s| found.addrs.contains(s));
        let same_family = |a: &&IpAddr| a.is_ipv4() == target.is_ipv4();
        let link_local = |a: &&IpAddr| matches!(a, IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80);
        let on_iface = match target {
            IpAddr::V6(t) if t.segments()[0] & 0xffc0 == 0xfe80 => found.addrs.iter().find(link_local),
            _ => found.addrs.iter().filter(same_family).find(|a| !link_local(a)),
        }
        .or_else(|| found.addrs.iter().find(same_family));
        match from_route.or(on_iface.copied()) {
            Some(s) => s,
            None => {
                let family = if target.is_ipv4() { "IPv4" } else { "IPv6" };
                return Err(Error::Link {
                    message: format!("interface {} has no {family} address to ask from", found.name),
                    hint: target.is_ipv4().then(|| "--dad probes from 0.0.0.0 and needs no address".to_string()),
                });
            }
        }
    };
    Ok((Link { interface: found.name, ifindex: found.index, mac, source }, route))
}

fn request_frame(link: &Link, target: IpAddr) -> Vec<u8> {
    match (target, link.source) {
        (IpAddr::V4(t), IpAddr::V4(s)) => frames::arp_request(link.mac, s, t),
        (IpAddr::V6(t), IpAddr::V6(s)) => frames::neighbor_solicit(link.mac, s, t),
        // resolve_link picks the source from the target's family
        _ => Vec::new(),
    }
}

/// The packet socket, made before the route lookup (see `PacketSocket::new`).
fn new_socket(target: IpAddr) -> Result<PacketSocket, Error> {
    let what = if target.is_ipv4() { "sending ARP requests" } else { "sending IPv6 neighbour solicitations" };
    PacketSocket::new(what)
}

fn bind_socket(socket: &mut PacketSocket, link: &Link, target: IpAddr) -> Result<(), Error> {
    socket.bind(link.ifindex, if target.is_ipv4() { ETH_P_ARP } else { ETH_P_IPV6 })
}

/// What the socket produced, reduced to what the engines need.
enum Event {
    /// Our own request went out at this kernel time.
    Sent(IpAddr, crate::net::packet::Stamp),
    /// Someone else's frame.
    Seen(Seen, crate::net::packet::Stamp),
    Other,
}

fn classify(received: Received, buf: &[u8], me: Mac) -> Event {
    tracing::trace!(?received, "packet socket");
    match received {
        Received::Sent { len, at } => match frames::parse(&buf[..len]) {
            Some(Seen::Request { target, mac, .. }) if mac == me => Event::Sent(target, at),
            _ => Event::Other,
        },
        Received::Frame { kind: FrameKind::Outgoing, .. } => Event::Other,
        Received::Frame { len, at, .. } => match frames::parse(&buf[..len]) {
            Some(Seen::Claim { mac, .. } | Seen::Request { mac, .. }) if mac == me => Event::Other,
            Some(seen) => Event::Seen(seen, at),
            None => Event::Other,
        },
    }
}

fn io_error(what: &str) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::io(what, e)
}

async fn one(target: IpAddr, input: &str, args: &Args, global: &Global, out: &Output) -> Result<ArpReport, Error> {
    if args.dad && target.is_ipv6() {
        return Err(Error::usage(
            "--dad is for IPv4 addresses (IPv6 hosts run their own DAD when an address is added)",
        ));
    }
    if args.gateway && args.dad {
        return Err(Error::usage("--gateway and --dad do not go together: DAD probes the address itself"));
    }
    let mut socket = new_socket(target)?;
    let (mut link, route) = resolve_link(target, global, args.dad)?;
    let mut asked = target;
    let mut via_gateway = None;
    let mut asked_route = route.clone();
    if global.interface.is_none()
        && let Some(r) = route.as_ref().filter(|r| !r.on_link())
    {
        match (r.gateway, args.gateway) {
            (Some(gw), true) => {
                via_gateway = Some(gw);
                asked = gw;
                (link, asked_route) = resolve_link(gw, global, false)?;
            }
            _ => return Ok(ArpReport::OffLink(OffLink { target: input.to_string(), route: r.clone() })),
        }
    } else if args.gateway {
        return Err(Error::usage(format!(
            "{target} is on-link on {}; --gateway is for off-link targets",
            link.interface
        )));
    }
    let mode = if args.dad { Mode::Dad } else { Mode::Ask };
    let count = args.count.unwrap_or(DEFAULT_COUNT);
    let interval = args.interval.unwrap_or(Duration::from_secs(1));
    bind_socket(&mut socket, &link, asked)?;
    out.event(
        || header(&link, asked, via_gateway.map(|gw| (target, gw)), asked_route.as_ref(), mode),
        || json!({"event": "start", "target": input, "asked": asked, "link": link, "route": route, "mode": mode}),
    );

    let interrupt = Interrupt::install()?;
    let stop = interrupt.watch()?;
    let mut pinger = Pinger::new(asked, mode, count, interval, args.timeout, Instant::now());
    let frame = request_frame(&link, asked);
    let mut buf = vec![0u8; MAX_FRAME];
    let mut interrupted = false;
    loop {
        if interrupt.stopped() {
            interrupted = true;
            break;
        }
        match pinger.poll(Instant::now()) {
            Action::Done => break,
            Action::Send(_) => {
                let stamp = socket.send(&frame).map_err(io_error("cannot send on the packet socket"))?;
                pinger.on_sent(Instant::now(), stamp);
            }
            Action::Wait(until) => {
                let received = tokio::select! {
                    r = socket.recv(&mut buf) => r.map_err(io_error("cannot read the packet socket"))?,
                    _ = tokio::time::sleep_until(until.into()) => continue,
                    _ = stop.stopped() => { interrupted = true; break }
                };
                match classify(received, &buf, link.mac) {
                    Event::Sent(t, at) => pinger.on_tx_stamp(t, at),
                    Event::Seen(seen, at) => {
                        if let Some(reply) = pinger.on_frame(&seen, at, Instant::now()) {
                            out.event(
                                || reply_line(out, &reply, mode),
                                || json!({"event": "reply", "reply": ReplyRow::new(&reply)}),
                            );
                        }
                    }
                    Event::Other => {}
                }
            }
        }
    }
    Ok(ArpReport::Probe(Box::new(ProbeReport::new(input, link, route, via_gateway, pinger, interrupted))))
}

fn header(
    link: &Link,
    asked: IpAddr,
    gateway: Option<(IpAddr, IpAddr)>,
    route: Option<&RoutePath>,
    mode: Mode,
) -> String {
    let mut line = String::new();
    if let Some((target, gw)) = gateway {
        line += &format!("{target} is off-link: the route goes via gateway {gw}; asking for the gateway\n");
    }
    let how = match route {
        Some(r) if r.on_link() => format!("route: {asked} dev {} (on-link)", link.interface),
        Some(_) | None => format!("interface {} (-I)", link.interface),
    };
    let verb = match (mode, asked) {
        (Mode::Dad, _) => "DAD probe (RFC 5227)",
        (_, IpAddr::V4(_)) => "ARP who-has",
        (_, IpAddr::V6(_)) => "NDP neighbour solicitation",
    };
    line + &format!("{verb} {asked} from {} {}, {how}", link.source, link.mac)
}

fn reply_line(out: &Output, reply: &Reply, mode: Mode) -> String {
    let vendor = vendor::lookup(reply.mac).describe();
    let rtt = reply.rtt.map(|d| format!(" rtt={} ms", timing::ms(d))).unwrap_or_default();
    let mut line = format!("reply from {} {} {vendor} seq={}{rtt}", reply.ip, reply.mac, reply.seq);
    if mode == Mode::Dad {
        line = format!("{} {line}", out.paint("IN USE", Tone::Bad));
    }
    if reply.conflict {
        line += &format!(" {}", out.paint("CONFLICT", Tone::Bad));
    }
    if reply.duplicate {
        line += &format!(" {}", out.paint("DUP", Tone::Warn));
    }
    line
}

async fn sweep(spec: &Spec, input: &str, args: &Args, global: &Global, out: &Output) -> Result<ArpReport, Error> {
    let all = spec.addresses();
    let mut socket = new_socket(all[0])?;
    // The first address that is not one of ours tells the interface and source.
    let probe = all
        .iter()
        .take(8)
        .find(|a| !matches!(netlink::route_get(**a, None), Ok(Some(r)) if r.kind == "local"))
        .copied()
        .unwrap_or(all[0]);
    let (link, route) = resolve_link(probe, global, false)?;
    if global.interface.is_none()
        && let Some(r) = route.as_ref().filter(|r| !r.on_link())
    {
        return Ok(ArpReport::OffLink(OffLink { target: input.to_string(), route: r.clone() }));
    }
    let addresses: Vec<IpAddr> = all.into_iter().filter(|a| *a != link.source).collect();
    let total = addresses.len();
    let rate = args.rate.unwrap_or(DEFAULT_RATE);
    let retries = args.retries.unwrap_or(DEFAULT_RETRIES);
    bind_socket(&mut socket, &link, probe)?;
    out.event(
        || {
            format!(
                "ARP sweep of {input} ({total} addresses) on {} from {} {}, {rate}/s, {retries} retr{}",
                link.interface,
                link.source,
                link.mac,
                if retries == 1 { "y" } else { "ies" }
            )
        },
        || json!({"event": "start", "target": input, "addresses": total, "link": link, "rate": rate, "retries": retries}),
    );
    let progress = out.format == crate::output::Format::Human && std::io::stderr().is_terminal();
    let interrupt = Interrupt::install()?;
    let stop = interrupt.watch()?;
    let started = Instant::now();
    let mut sweep = Sweep::new(addresses, rate, retries, args.timeout, started);
    let mut buf = vec![0u8; MAX_FRAME];
    let mut interrupted = false;
    let mut last_progress = started;
    loop {
        if interrupt.stopped() {
            interrupted = true;
            break;
        }
        let now = Instant::now();
        if progress && now.duration_since(last_progress) >= Duration::from_millis(100) {
            last_progress = now;
            let _ = write!(std::io::stderr(), "\r{} sent, {} of {total} answered ", sweep.sent, sweep.answered);
        }
        match sweep.poll(now) {
            Action::Done => break,
            Action::Send(ip) => {
                let frame = request_frame(&link, ip);
                match socket.send(&frame) {
                    Ok(stamp) => sweep.on_sent(ip, Instant::now(), stamp),
                    // The device queue is full: wait for the next rate slot.
                    Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                        tokio::time::sleep(Duration::from_millis(1)).await
                    }
                    Err(e) => return Err(Error::io("cannot send on the packet socket", e)),
                }
                // Take what already arrived before sending more.
                while let Some(r) = socket.try_recv_sent(&mut buf).map_err(io_error("cannot read the packet socket"))? {
                    if let Event::Sent(t, at) = classify(r, &buf, link.mac) {
                        sweep.on_tx_stamp(t, at);
                    }
                }
            }
            Action::Wait(until) => {
                let received = tokio::select! {
                    r = socket.recv(&mut buf) => r.map_err(io_error("cannot read the packet socket"))?,
                    _ = tokio::time::sleep_until(until.into()) => continue,
                    _ = stop.stopped() => { interrupted = true; break }
                };
                match classify(received, &buf, link.mac) {
                    Event::Sent(t, at) => sweep.on_tx_stamp(t, at),
                    Event::Seen(seen, at) => {
                        sweep.on_frame(&seen, at);
                    }
                    Event::Other => {}
                }
            }
        }
        // Drain frames that are already queued without waiting, so a fast
        // send schedule never starves the receive side.
        while let Some(r) = socket.try_recv(&mut buf).map_err(io_error("cannot read the packet socket"))? {
            match classify(r, &buf, link.mac) {
                Event::Sent(t, at) => sweep.on_tx_stamp(t, at),
                Event::Seen(seen, at) => {
                    sweep.on_frame(&seen, at);
                }
                Event::Other => {}
            }
        }
    }
    if progress {
        let _ = write!(std::io::stderr(), "\r\x1b[K");
    }
    Ok(ArpReport::Sweep(SweepReport {
        target: input.to_string(),
        link,
        addresses: total,
        asked: sweep.asked(),
        sent: sweep.sent,
        rate,
        retries,
        late_after: sweep.late_after(),
        elapsed: started.elapsed(),
        conflicts: sweep.conflicts(),
        hosts: sweep.found().iter().map(ReplyRow::new).collect(),
        interrupted,
    }))
}

fn cache(global: &Global) -> Result<ArpReport, Error> {
    let only = match &global.interface {
        Some(name) => Some(iface::find(name)?.index),
        None => None,
    };
    let family = global.family();
    let entries = netlink::neighbours()?
        .into_iter()
        .filter(|n| only.is_none_or(|i| n.ifindex == i))
        .filter(|n| match family {
            crate::net::resolve::Family::V4 => n.address.is_ipv4(),
            crate::net::resolve::Family::V6 => n.address.is_ipv6(),
            crate::net::resolve::Family::Any => true,
        })
        .map(CacheRow::new)
        .collect();
    Ok(ArpReport::Cache(CacheReport { entries }))
}

// ---------------------------------------------------------------- reports

#[derive(Debug, Serialize)]
pub struct ReplyRow {
    pub ip: IpAddr,
    pub mac: Mac,
    pub vendor: Vendor,
    pub seq: u64,
    #[serde(rename = "rtt_ms", serialize_with = "crate::output::as_opt_ms")]
    pub rtt: Option<Duration>,
    pub rtt_source: Option<RttSource>,
    pub conflict: bool,
    pub duplicate: bool,
}

impl ReplyRow {
    fn new(r: &Reply) -> ReplyRow {
        ReplyRow {
            ip: r.ip,
            mac: r.mac,
            vendor: vendor::lookup(r.mac),
            seq: r.seq,
            rtt: r.rtt,
            rtt_source: r.rtt_source,
            conflict: r.conflict,
            duplicate: r.duplicate,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Responder {
    pub mac: Mac,
    pub vendor: Vendor,
}

#[derive(Debug, Serialize)]
pub struct ProbeReport {
    target: String,
    asked: IpAddr,
    mode: Mode,
    link: Link,
    route: Option<RoutePath>,
    via_gateway: Option<IpAddr>,
    summary: timing::Summary,
    replies: Vec<ReplyRow>,
    replies_dropped: u64,
    responders: Vec<Responder>,
    conflict: bool,
    in_use: bool,
    rtt_sources: Vec<RttSource>,
    interrupted: bool,
    passed: bool,
    verdict: String,
}

impl ProbeReport {
    fn new(
        input: &str,
        link: Link,
        route: Option<RoutePath>,
        via_gateway: Option<IpAddr>,
        p: Pinger,
        interrupted: bool,
    ) -> ProbeReport {
        let responders: Vec<Responder> =
            p.macs.iter().map(|m| Responder { mac: *m, vendor: vendor::lookup(*m) }).collect();
        let mut rtt_sources: Vec<RttSource> = p.replies.iter().filter_map(|r| r.rtt_source).collect();
        rtt_sources.sort_by_key(|s| *s as u8);
        rtt_sources.dedup();
        let in_use = p.in_use_by.is_some();
        let (passed, verdict) = match p.mode {
            Mode::Dad if in_use => (false, format!("{} is in use by {}", p.target, responders[0].mac)),
            Mode::Dad => (true, format!("{} is free: no claim or probe in {} probes", p.target, p.sent)),
            Mode::Ask if p.conflict() => {
                (false, format!("address conflict: {} MACs answer for {}", responders.len(), p.target))
            }
            Mode::Ask if p.answered == 0 => (false, format!("no answer from {}", p.target)),
            Mode::Ask => (true, format!("{} is at {}", p.target, responders[0].mac)),
        };
        ProbeReport {
            target: input.to_string(),
            asked: p.target,
            mode: p.mode,
            link,
            route,
            via_gateway,
            summary: p.rtts.summary(),
            replies: p.replies.iter().map(ReplyRow::new).collect(),
            replies_dropped: p.replies_dropped,
            responders,
            conflict: p.conflict(),
            in_use,
            rtt_sources,
            interrupted,
            passed,
            verdict,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct OffLink {
    target: String,
    route: RoutePath,
}

#[derive(Debug, Serialize)]
pub struct SweepReport {
    target: String,
    link: Link,
    addresses: usize,
    /// Addresses asked at least once (all of them unless interrupted).
    asked: usize,
    sent: u64,
    rate: u32,
    retries: u8,
    #[serde(rename = "late_after_ms", serialize_with = "crate::output::as_ms")]
    late_after: Duration,
    #[serde(rename = "elapsed_ms", serialize_with = "crate::output::as_ms")]
    elapsed: Duration,
    conflicts: usize,
    hosts: Vec<ReplyRow>,
    interrupted: bool,
}

#[derive(Debug, Serialize)]
pub struct CacheRow {
    address: IpAddr,
    interface: String,
    mac: Option<Mac>,
    vendor: Option<Vendor>,
    state: String,
    router: bool,
}

impl CacheRow {
    fn new(n: Neighbour) -> CacheRow {
        let mac = n.mac.map(Mac);
        CacheRow {
            address: n.address,
            interface: n.interface,
            vendor: mac.map(vendor::lookup),
            mac,
            state: n.states.join(","),
            router: n.router,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CacheReport {
    entries: Vec<CacheRow>,
}

#[derive(Debug)]
pub enum ArpReport {
    Probe(Box<ProbeReport>),
    OffLink(OffLink),
    Sweep(SweepReport),
    Cache(CacheReport),
}

impl ArpReport {
    fn passed(&self) -> bool {
        match self {
            ArpReport::Probe(p) => p.passed,
            ArpReport::OffLink(_) => false,
            ArpReport::Sweep(s) => !s.hosts.is_empty() && s.conflicts == 0,
            ArpReport::Cache(_) => true,
        }
    }
}

fn off_link_text(o: &OffLink) -> String {
    let r = &o.route;
    let dev = r.interface.as_deref().unwrap_or("?");
    match r.gateway {
        Some(gw) if r.kind == "unicast" => format!(
            "{} is not on a local link: the route goes via gateway {gw} on {dev}, so ARP would ask for {gw}, \
             not for {}\n(run `netwalk arp --gateway {}` to ask for the gateway)",
            r.destination, r.destination, o.target
        ),
        _ => format!("{} is not reachable on a local link: the route is of type {} (dev {dev})", r.destination, r.kind),
    }
}

impl Report for ArpReport {
    fn human(&self, out: &Output) -> String {
        match self {
            ArpReport::Probe(p) => {
                let s = &p.summary;
                let mut text = format!("\n--- {} arp statistics ---\n", p.asked);
                text += &format!(
                    "{} probes sent, {} answered, {} responder{}, {:.1}% unanswered\n",
                    s.sent,
                    s.received,
                    p.responders.len(),
                    if p.responders.len() == 1 { "" } else { "s" },
                    s.loss_pct
                );
                if let Some(r) = &s.rtt {
                    let sources: Vec<_> = p.rtt_sources.iter().map(|s| s.describe()).collect();
                    text += &format!(
                        "rtt min/avg/max/mdev = {:.3}/{:.3}/{:.3}/{:.3} ms ({})\n",
                        r.min_ms,
                        r.avg_ms,
                        r.max_ms,
                        r.mdev_ms,
                        sources.join(", ")
                    );
                }
                if p.conflict {
                    text += &format!("{} {} is claimed by:\n", out.paint("CONFLICT", Tone::Bad), p.asked);
                    for r in &p.responders {
                        text += &format!("  {} {}\n", r.mac, r.vendor.describe());
                    }
                }
                let tone = if p.passed { Tone::Good } else { Tone::Bad };
                text + &out.paint(&p.verdict, tone) + "\n"
            }
            ArpReport::OffLink(o) => off_link_text(o) + "\n",
            ArpReport::Sweep(s) => {
                let mut table = out.table(&["ip", "mac", "vendor", "rtt ms", ""]);
                for h in &s.hosts {
                    let rtt = h.rtt.map(timing::ms).unwrap_or_else(|| "-".into());
                    let flag = if h.conflict { out.paint("CONFLICT", Tone::Bad) } else { String::new() };
                    table.add_row(vec![h.ip.to_string(), h.mac.to_string(), h.vendor.describe(), rtt, flag]);
                }
                let found = s.hosts.iter().filter(|h| !h.conflict).count();
                let mut text = if s.hosts.is_empty() { String::new() } else { table.to_string() + "\n" };
                text += &format!(
                    "{found} of {} addresses answered ({} requests, {} ms; silent addresses retried after {} ms)\n",
                    s.addresses,
                    s.sent,
                    s.elapsed.as_millis(),
                    timing::ms(s.late_after)
                );
                if s.conflicts > 0 {
                    text +=
                        &out.paint(&format!("{} addresses answered from more than one MAC\n", s.conflicts), Tone::Bad);
                }
                if s.interrupted {
                    let line = format!(
                        "interrupted after asking {} of {} addresses: the hosts found so far\n",
                        s.asked, s.addresses
                    );
                    text += &out.paint(&line, Tone::Warn);
                }
                text
            }
            ArpReport::Cache(c) => {
                let mut table = out.table(&["address", "interface", "mac", "vendor", "state"]);
                for e in &c.entries {
                    let mut state = e.state.clone();
                    if e.router {
                        state += " router";
                    }
                    table.add_row(vec![
                        e.address.to_string(),
                        e.interface.clone(),
                        e.mac.map(|m| m.to_string()).unwrap_or_else(|| "-".into()),
                        e.vendor.map(|v| v.describe()).unwrap_or_default(),
                        state,
                    ]);
                }
                if c.entries.is_empty() { "the neighbour table is empty\n".into() } else { table.to_string() + "\n" }
            }
        }
    }

    fn json(&self) -> serde_json::Value {
        let (mode, value) = match self {
            ArpReport::Probe(p) => (if p.mode == Mode::Dad { "dad" } else { "probe" }, serde_json::to_value(&**p)),
            ArpReport::OffLink(o) => {
                let mut v = serde_json::to_value(o);
                if let Ok(v) = &mut v {
                    v["explanation"] = json!(off_link_text(o));
                }
                ("off_link", v)
            }
            ArpReport::Sweep(s) => ("sweep", serde_json::to_value(s)),
            ArpReport::Cache(c) => ("cache", serde_json::to_value(c)),
        };
        let mut value = value.unwrap_or_default();
        value["command"] = json!("arp");
        value["mode"] = json!(mode);
        value["passed"] = json!(self.passed());
        value["oui_registry"] = json!(vendor::registry_date());
        value
    }

    fn exit(&self) -> Exit {
        match self {
            // An unfinished sweep is no verdict on the range (ping and arp-scan exit 0 here).
            ArpReport::Sweep(s) if s.interrupted => Exit::Interrupted,
            _ if self.passed() => Exit::Passed,
            _ => Exit::Failed,
        }
    }
}
