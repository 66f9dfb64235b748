//! `netwalk traceroute`: the path to a host, hop by hop, with ICMP, UDP or
//! TCP probes, all TTLs in flight at once.

mod asn;
pub mod engine;
mod live;
pub mod path;
mod report;

use crate::cli::Global;
use crate::error::{Error, Exit};
use crate::net::iface;
use crate::net::interrupt::Interrupt;
use crate::net::resolve::Resolver;
use crate::net::trace::{Method, Options, Prober};
use crate::output::{Format, Output};
use crate::target;
use crate::timing::parse_duration;
use engine::{Config, Hop, Ignored, ProbeEvent, Step, Tracer};
use path::PathStats;
use report::FlowResult;
pub use report::TraceReport;
use std::collections::{BTreeMap, HashSet};
use std::io::IsTerminal;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit_codes!(), after_long_help = concat!(
    "Examples:\n",
    "  netwalk traceroute web.test\n",
    "  netwalk traceroute --icmp -q 1 -n 198.18.7.2\n",
    "  netwalk traceroute --tcp -p 443 web.test\n",
    "  netwalk traceroute --udp --flows 8 web.test     (ECMP paths)\n",
    "  netwalk traceroute --mtu web.test               (path MTU, where it drops)\n",
    "  netwalk traceroute -c 10 -i 100ms web.test      (mtr-style report)\n",
    "  netwalk traceroute --live web.test              (mtr-style live view; q quits)\n\n",
    "Ctrl-C prints what was found so far and says the run was interrupted.\n",
    "Raw sockets are used with CAP_NET_RAW; otherwise ICMP datagram sockets (when\n",
    "net.ipv4.ping_group_range allows) or UDP/TCP sockets with IP_RECVERR.\n",
    "Exit 0 when the destination answered, 1 when it did not.\n\n",
    crate::exit_codes!()
))]
pub struct Args {
    /// Host name or address to trace the path to
    #[arg(value_name = "TARGET")]
    pub target: String,

    /// Probe with ICMP echo requests
    #[arg(long, group = "method")]
    pub icmp: bool,

    /// Probe with UDP datagrams (the default)
    #[arg(long, group = "method")]
    pub udp: bool,

    /// Probe with TCP SYNs
    #[arg(long, group = "method")]
    pub tcp: bool,

    /// Destination port: UDP's first (classic) or fixed (Paris) port [33434], TCP's port [80]
    #[arg(short, long, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,

    /// Probes per hop
    #[arg(short = 'q', long = "queries", default_value_t = 3, value_name = "PROBES",
          value_parser = clap::value_parser!(u8).range(1..=10))]
    pub probes: u8,

    /// First TTL
    #[arg(short, long = "first-ttl", default_value_t = 1, value_name = "TTL",
          value_parser = clap::value_parser!(u8).range(1..))]
    pub first_ttl: u8,

    /// Last TTL
    #[arg(short, long = "max-ttl", default_value_t = 30, value_name = "TTL",
          value_parser = clap::value_parser!(u8).range(1..))]
    pub max_ttl: u8,

    /// Longest wait for one probe; silent hops are given up sooner once later hops answer
    #[arg(long, default_value = "3s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// Do not look up names of hops
    #[arg(short = 'n')]
    pub numeric: bool,

    /// Look up the AS number (and name) of every hop with Team Cymru-style DNS TXT queries
    #[arg(long)]
    pub asn: bool,

    /// The zone the AS lookups go to: origin.ZONE (IPv4), origin6.ZONE (IPv6), ASn.ZONE (names)
    #[arg(long, value_name = "ZONE", default_value = asn::DEFAULT_ZONE, requires = "asn")]
    pub asn_zone: String,

    /// UDP: keep the 5-tuple fixed so every probe takes the same ECMP path (the default)
    #[arg(long, conflicts_with = "classic")]
    pub paris: bool,

    /// UDP: a new destination port per probe, as classic traceroute
    #[arg(long)]
    pub classic: bool,

    /// Trace this many flows (source ports) to find ECMP paths and where they diverge
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=16))]
    pub flows: u16,

    /// Discover the path MTU and the hop where it drops
    #[arg(long)]
    pub mtu: bool,

    /// mtr-style report: probe every hop ROUNDS times, then print loss and RTT statistics; 0 runs until interrupted
    #[arg(short = 'c', long = "rounds", value_name = "ROUNDS", value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub rounds: Option<u32>,

    /// Full-screen view updated per probe (mtr, trippy): until q or -c rounds, then the -c report.
    /// Without a terminal (or with --json) it prints the report of -c rounds (10 by default)
    #[arg(long)]
    pub live: bool,

    /// Time between the starts of two rounds (with -c or --live)
    #[arg(short, long, default_value = "1s", value_parser = parse_duration, value_name = "DURATION")]
    pub interval: Duration,

    /// Probes in flight at once
    #[arg(short = 'N', long, default_value_t = 32, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub sim_queries: u16,

    /// Minimum time between two probes (for routers that rate-limit ICMP)
    #[arg(short = 'z', long, value_parser = parse_duration, value_name = "DURATION")]
    pub send_interval: Option<Duration>,

    /// Source address to send from
    #[arg(long, value_name = "ADDR")]
    pub source: Option<IpAddr>,

    /// Use unprivileged sockets even with CAP_NET_RAW
    #[arg(long)]
    pub unprivileged: bool,
}

impl Args {
    fn method(&self) -> Method {
        match (self.icmp, self.tcp) {
            (true, _) => Method::Icmp,
            (_, true) => Method::Tcp,
            _ => Method::Udp,
        }
    }

    /// Combinations clap cannot see.
    fn check(&self) -> Result<(), Error> {
        let method = self.method();
        if self.first_ttl > self.max_ttl {
            return Err(Error::usage(format!("first TTL {} is above the max TTL {}", self.first_ttl, self.max_ttl)));
        }
        if (self.classic || self.paris) && method != Method::Udp {
            return Err(Error::usage_with_hint(
                format!("--{} applies to UDP probes only", if self.classic { "classic" } else { "paris" }),
                "ICMP and TCP probes always keep their flow fixed",
            ));
        }
        if self.flows > 1 && method == Method::Icmp {
            return Err(Error::usage_with_hint(
                "--flows needs --udp or --tcp",
                "ECMP routers hash ports, and ICMP echo has none",
            ));
        }
        if self.flows > 1 && self.classic {
            return Err(Error::usage("--flows needs a fixed flow per probe: drop --classic"));
        }
        if self.mtu && (self.flows > 1 || self.rounds.is_some() || self.live) {
            return Err(Error::usage("--mtu traces one flow once: drop --flows / -c / --live"));
        }
        if (self.rounds.is_some() || self.live) && self.flows > 1 {
            return Err(Error::usage(format!(
                "{} and --flows cannot be combined",
                if self.live { "--live" } else { "-c" }
            )));
        }
        if self.port.is_some() && method == Method::Icmp {
            return Err(Error::usage("-p applies to UDP and TCP probes"));
        }
        Ok(())
    }
}

/// Default probe size (IP header included), like traceroute's 60 bytes.
const PROBE_SIZE: u16 = 60;

/// Runs without an async runtime: the probes are driven by poll(2), and only
/// a name to resolve or hop names to look up get a runtime (start-up counts
/// when the whole trace takes a few milliseconds).
pub fn run(args: Args, global: &Global, out: &Output) -> Result<TraceReport, Error> {
    args.check()?;
    let method = args.method();
    let target = target::parse(&args.target)?;
    if let Some(name) = &global.interface {
        iface::find(name)?;
    }
    let resolver = Resolver::system(global.family());
    let resolution = match resolver.literal(&target.host) {
        Some(literal) => literal?,
        None => crate::block_on(resolver.resolve(&target.host))??,
    };
    let address = match args.source {
        Some(src) => resolution.addrs.iter().copied().find(|a| a.is_ipv4() == src.is_ipv4()),
        None => resolution.addrs.first().copied(),
    }
    .ok_or_else(|| Error::usage("the target has no address of the source address's family"))?;
    let route = iface::route_to(address, global.interface.as_deref());
    let source = match (args.source, &route) {
        (Some(src), _) => src,
        (None, Some(r)) => r.source,
        (None, None) => {
            return Err(Error::io(
                format!("no route to {address}"),
                std::io::Error::from_raw_os_error(libc::ENETUNREACH),
            ));
        }
    };
    let port = args.port.or(target.port).unwrap_or(if method == Method::Tcp { 80 } else { 33434 });
    let interface = route.as_ref().and_then(|r| r.interface.clone()).or(global.interface.clone());
    let size = if args.mtu { interface.as_deref().and_then(iface_mtu).unwrap_or(1500) } else { PROBE_SIZE };

    let opts = Options {
        method,
        target: address,
        source,
        bind_source: args.source.is_some(),
        interface: global.interface.clone(),
        port,
        classic: args.classic,
        flows: args.flows,
        dont_fragment: args.mtu,
    };
    let mut prober = Prober::open(opts, args.unprivileged)?;
    let mode = prober.mode();
    let interrupt = Interrupt::install()?;
    prober.set_wake(interrupt.fd());

    let mut report = TraceReport {
        target: target.input.clone(),
        address,
        resolution,
        source,
        interface,
        method,
        mode,
        paris: method == Method::Udp && !args.classic,
        port: (method != Method::Icmp).then_some(port),
        first_ttl: args.first_ttl,
        max_ttl: args.max_ttl,
        probes: args.probes,
        flows: Vec::new(),
        rounds: None,
        mtu: None,
        rounds_done: None,
        rounds_wanted: None,
        asns: BTreeMap::new(),
        names: BTreeMap::new(),
        ignored: engine::Ignored::default(),
        reached: false,
        interrupted: false,
        elapsed: Duration::ZERO,
    };
    out.event(
        || report.header(),
        || serde_json::json!({"event": "start", "target": report.target, "address": address, "mode": mode}),
    );

    let started = Instant::now();
    let cfg = Config {
        target: address,
        first_ttl: args.first_ttl,
        max_ttl: args.max_ttl,
        probes: if args.rounds.is_some() { 1 } else { args.probes },
        flows: args.flows,
        window: usize::from(args.sim_queries),
        send_interval: args.send_interval.unwrap_or_default(),
        timeout: args.timeout,
        here: 3.0,
        near: 10.0,
        size,
        discover_mtu: args.mtu,
        first_seq: 1,
    };
    // --live draws on a terminal; elsewhere (a pipe, JSON) it is the -c report.
    let live = args.live && out.format == Format::Human && std::io::stdout().is_terminal();
    let rounds = match (args.rounds, args.live) {
        (Some(0), _) => Some(None),
        (Some(n), _) => Some(Some(n)),
        (None, true) => Some((!live).then_some(DEGRADED_ROUNDS)),
        (None, false) => None,
    };
    match rounds {
        None => {
            let (tracer, interrupted) = trace_once(&mut prober, cfg, &interrupt, |_| {})?;
            report.interrupted = interrupted;
            report.flows = (0..args.flows)
                .map(|f| {
                    let mut hops = tracer.hops(f);
                    if interrupted {
                        // Hops still waited for when Ctrl-C came say nothing yet.
                        while hops.last().is_some_and(|h| h.probes.iter().all(|p| p.hit.is_none())) {
                            hops.pop();
                        }
                    }
                    FlowResult { flow: f, hops, reached: tracer.reached(f) }
                })
                .collect();
            report.reached = report.flows.iter().all(|f| f.reached);
            report.ignored = tracer.ignored;
            if args.mtu {
                report.mtu = Some(report::MtuReport::new(size, &tracer.mtu_drops, &report.flows[0].hops));
            }
        }
        Some(count) => {
            let plan = Rounds { cfg, count, interval: args.interval, max_ttl: args.max_ttl };
            let done = if live {
                let lookups = live::Lookups {
                    names: !args.numeric,
                    asn_zone: args.asn.then(|| args.asn_zone.clone()),
                    family: global.family(),
                };
                let (done, found) = live::run(&mut prober, &plan, &interrupt, &report, lookups)?;
                report.names = found.names;
                report.asns = found.asns;
                done
            } else {
                let json_lines = out.format == Format::JsonLines;
                run_rounds(&mut prober, &plan, &interrupt, None, |event| {
                    if let (true, Progress::Round { n, hops, reached, .. }) = (json_lines, event) {
                        let line = serde_json::json!({"event": "round", "round": n, "reached": reached, "hops": hops});
                        out.line(&line.to_string());
                    }
                })?
            };
            report.interrupted = done.interrupted;
            report.ignored = done.ignored;
            report.reached = done.path.reached;
            report.rounds_done = Some(done.path.rounds);
            report.rounds_wanted = count;
            report.rounds = Some(done.path.summary());
            report.flows = vec![FlowResult { flow: 0, reached: done.last_reached, hops: done.last }];
        }
    }
    report.elapsed = started.elapsed();
    if !args.numeric || args.asn {
        let known = std::mem::take(&mut report.names);
        let known_asns = std::mem::take(&mut report.asns);
        let zone = args.asn.then_some(args.asn_zone.as_str());
        let (names, asns) = crate::block_on(async {
            let names =
                async { if args.numeric { BTreeMap::new() } else { reverse_names(&resolver, &report, known).await } };
            futures_util::join!(names, as_numbers(&resolver, &report, zone, known_asns))
        })?;
        report.names = names;
        report.asns = asns;
    }
    Ok(report)
}

/// `--live` without a terminal and without -c: mtr's report default.
const DEGRADED_ROUNDS: u32 = 10;

/// Drives one engine run to completion over the prober's sockets, handing
/// each probe's fate to `on_probe` as it is known. True when interrupted.
fn trace_once(
    prober: &mut Prober,
    cfg: Config,
    interrupt: &Interrupt,
    mut on_probe: impl FnMut(&ProbeEvent),
) -> Result<(Tracer, bool), Error> {
    let mut tracer = Tracer::new(cfg);
    let mut replies = Vec::new();
    let mut interrupted = false;
    loop {
        let step = tracer.poll(Instant::now());
        while let Some(event) = tracer.poll_event() {
            on_probe(&event);
        }
        match step {
            Step::Send(spec) => {
                // Stamped before the syscall: on a veth path the whole round
                // trip can complete inside sendto().
                let before = Instant::now();
                match prober.send(&spec) {
                    Ok(key) => tracer.sent(spec.seq, key, before),
                    Err(e) => {
                        tracing::debug!("probe {} (ttl {}) not sent: {e}", spec.seq, spec.ttl);
                        tracer.send_failed(spec.seq)
                    }
                }
                // Read what already came back, so replies are stamped when
                // they arrive, not after the whole burst went out.
                prober.drain(&mut replies)?;
                for reply in replies.drain(..) {
                    tracer.reply(reply);
                }
            }
            Step::Wait(until) => {
                let woken = prober.recv(until, &mut replies)?;
                for reply in replies.drain(..) {
                    tracer.reply(reply);
                }
                let pending: HashSet<u16> = tracer.in_flight();
                prober.forget_connects(|seq| pending.contains(&seq));
                if woken {
                    interrupt.drain();
                }
            }
            Step::Done => break,
        }
        while let Some(event) = tracer.poll_event() {
            on_probe(&event);
        }
        if interrupt.stopped() {
            interrupted = true;
            break;
        }
    }
    prober.forget_connects(|_| false);
    Ok((tracer, interrupted))
}

/// What rounds of probes are to be run.
struct Rounds {
    cfg: Config,
    /// None: until interrupted.
    count: Option<u32>,
    interval: Duration,
    max_ttl: u8,
}

/// What `run_rounds` reports as it goes.
enum Progress<'a> {
    Probe(&'a ProbeEvent),
    /// Round `n` ended; it probed up to `probed_to`, where `last_hit` answered.
    Round {
        n: u64,
        hops: &'a [Hop],
        reached: bool,
        probed_to: u8,
        last_hit: Option<&'a engine::Hit>,
    },
}

/// The rounds' outcome: the statistics, and the last complete round.
struct RoundsDone {
    path: PathStats,
    last: Vec<Hop>,
    last_reached: bool,
    ignored: Ignored,
    interrupted: bool,
}

/// Runs rounds until the count, Ctrl-C or `interrupt.stop()`; while `paused`
/// is set no new round starts. Each round probes only as far as the path
/// was found to end.
fn run_rounds(
    prober: &mut Prober,
    plan: &Rounds,
    interrupt: &Interrupt,
    paused: Option<&AtomicBool>,
    mut progress: impl FnMut(Progress),
) -> Result<RoundsDone, Error> {
    let mut done = RoundsDone {
        path: PathStats::default(),
        last: Vec::new(),
        last_reached: false,
        ignored: Ignored::default(),
        interrupted: false,
    };
    let mut seq = plan.cfg.first_seq;
    let mut n: u64 = 0;
    while plan.count.is_none_or(|c| n < u64::from(c)) {
        while paused.is_some_and(|p| p.load(Ordering::SeqCst)) && !interrupt.stopped() {
            interrupt.sleep_until(Instant::now() + Duration::from_secs(3600));
        }
        if interrupt.stopped() {
            done.interrupted = true;
            break;
        }
        let round_start = Instant::now();
        let max_ttl = done.path.max_ttl(plan.max_ttl).max(plan.cfg.first_ttl);
        let cfg = Config { first_seq: seq, max_ttl, ..plan.cfg.clone() };
        let path = &mut done.path;
        let (tracer, interrupted) = trace_once(prober, cfg, interrupt, |event| {
            path.probe(event);
            progress(Progress::Probe(event));
        })?;
        seq = tracer.next_seq();
        done.ignored.unmatched += tracer.ignored.unmatched;
        done.ignored.late += tracer.ignored.late;
        done.ignored.duplicate += tracer.ignored.duplicate;
        if interrupted {
            done.interrupted = true;
            break;
        }
        let hops = tracer.hops(0);
        let last_hit =
            hops.iter().find(|h| h.ttl == max_ttl).and_then(|h| h.probes.iter().find_map(|p| p.hit.as_ref()));
        done.path.round_done(max_ttl, last_hit);
        n += 1;
        progress(Progress::Round { n, hops: &hops, reached: tracer.reached(0), probed_to: max_ttl, last_hit });
        done.last = hops;
        done.last_reached = tracer.reached(0);
        if plan.count.is_none_or(|c| n < u64::from(c)) && interrupt.sleep_until(round_start + plan.interval) {
            done.interrupted = true;
            break;
        }
    }
    Ok(done)
}

/// The MTU of an interface, from sysfs.
fn iface_mtu(name: &str) -> Option<u16> {
    std::fs::read_to_string(format!("/sys/class/net/{name}/mtu")).ok()?.trim().parse().ok()
}

/// The AS of every hop not `known` yet (the live view's), all at once
/// (nothing without --asn).
async fn as_numbers(
    resolver: &Resolver,
    report: &TraceReport,
    zone: Option<&str>,
    mut known: BTreeMap<IpAddr, asn::AsInfo>,
) -> BTreeMap<IpAddr, asn::AsInfo> {
    let Some(zone) = zone else { return BTreeMap::new() };
    let addrs: Vec<IpAddr> = report.all_addrs().into_iter().filter(|ip| !known.contains_key(ip)).collect();
    let lookups = addrs.iter().map(|ip| asn::lookup(resolver, *ip, zone, Duration::from_secs(2)));
    let found = futures_util::future::join_all(lookups).await;
    known.extend(addrs.into_iter().zip(found).filter_map(|(ip, info)| info.map(|i| (ip, i))));
    known
}

/// Looks up the name of every hop not `known` yet, all at once.
async fn reverse_names(
    resolver: &Resolver,
    report: &TraceReport,
    mut known: BTreeMap<IpAddr, String>,
) -> BTreeMap<IpAddr, String> {
    let addrs: Vec<IpAddr> = report.all_addrs().into_iter().filter(|a| !known.contains_key(a)).collect();
    let lookups = addrs.iter().map(|ip| resolver.reverse(*ip, Duration::from_secs(2)));
    let names = futures_util::future::join_all(lookups).await;
    known.extend(addrs.into_iter().zip(names).filter_map(|(ip, name)| name.map(|n| (ip, n))));
    known
}

impl TraceReport {
    fn exit_code(&self) -> Exit {
        if self.reached { Exit::Passed } else { Exit::Failed }
    }
}
