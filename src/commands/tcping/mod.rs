//! `netwalk tcping`: repeated TCP handshakes to one or more targets.

mod engine;
mod live;

use crate::cli::Global;
use crate::error::{Error, Exit};
use crate::net::iface;
use crate::net::resolve::{Resolution, Resolver};
use crate::net::tcp::{self, Bind};
use crate::output::{Output, Report, Tone};
use crate::target::{self, Target};
use crate::timing::{self, RttSource, parse_duration};
use engine::{Counts, Probe, Session, State, Thresholds};
use serde::Serialize;
use serde_json::json;
use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit_codes!(), after_long_help = concat!(
    "Examples:\n",
    "  netwalk tcping web.test:443\n",
    "  netwalk tcping -c 0 https://web.test/\n",
    "  netwalk tcping -c 20 -i 200ms --max-loss 5 --max-rtt 50ms db.test:5432\n",
    "  netwalk tcping '[2001:db8::1]:22' 198.18.0.1:80\n\n",
    "RTT is the kernel's SYN to SYN-ACK sample (TCP_INFO); closed and unreachable times are\n",
    "measured on the monotonic clock around connect(). DNS time is reported apart.\n\n",
    crate::exit_codes!()
))]
pub struct Args {
    /// Targets: host, host:port, [v6]:port or a URL (its scheme gives the port)
    #[arg(required = true, value_name = "TARGET")]
    pub targets: Vec<String>,

    /// Port for targets that do not name one
    #[arg(short, long, default_value_t = 80, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: u16,

    /// Probes per target [default: 4; with --live: until q]; 0 runs until interrupted (Ctrl-C prints the summary)
    #[arg(short, long, value_name = "COUNT")]
    pub count: Option<u64>,

    /// Full-screen view of every target updated per probe (loss, RTTs, jitter, history);
    /// q quits, then the summary is printed. Without a terminal (or with --json) it is ignored
    #[arg(long)]
    pub live: bool,

    /// Time between the starts of two probes
    #[arg(short, long, default_value = "1s", value_parser = parse_duration, value_name = "DURATION")]
    pub interval: Duration,

    /// How long to wait for an answer before calling the port filtered
    #[arg(long, default_value = "1s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// Source address to send from
    #[arg(long, value_name = "ADDR")]
    pub source: Option<IpAddr>,

    /// Fail (exit 1) when the average RTT of open probes is above this
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub max_rtt: Option<Duration>,

    /// Fail (exit 1) when more than this percentage of probes did not find the port open
    #[arg(long, value_parser = parse_percent, value_name = "PERCENT")]
    pub max_loss: Option<f64>,

    /// Resolve the name again before every probe instead of once
    #[arg(long)]
    pub resolve_each: bool,
}

fn parse_percent(text: &str) -> Result<f64, String> {
    let value: f64 = text.trim_end_matches('%').parse().map_err(|_| format!("'{text}' is not a percentage"))?;
    if (0.0..=100.0).contains(&value) { Ok(value) } else { Err(format!("{value} is not between 0 and 100")) }
}

/// A target ready to probe.
struct Prepared {
    target: Target,
    port: u16,
    resolution: Resolution,
    address: SocketAddr,
    route: Option<iface::Route>,
}

/// Messages from the per-target probe loops to the printer.
pub(crate) enum Event {
    Probe(usize, Probe),
    Resolved(usize, Resolution),
    Done,
}

pub async fn run(args: Args, global: &Global, out: &Output) -> Result<TcpingReport, Error> {
    let targets = args.targets.iter().map(|t| target::parse(t)).collect::<Result<Vec<_>, _>>()?;
    if let Some(name) = &global.interface {
        iface::find(name)?;
    }
    let bind = Bind { interface: global.interface.clone(), source: args.source };
    let resolver = Resolver::system(global.family());

    let mut prepared = Vec::with_capacity(targets.len());
    for target in targets {
        let port = target.port.unwrap_or(args.port);
        let resolution = resolver.resolve(&target.host).await?;
        let address = SocketAddr::new(resolution.addrs[0], port);
        let route = iface::route_to(address.ip(), bind.interface.as_deref());
        out.event(
            || header(&target, address, &resolution, route.as_ref()),
            || {
                json!({"event": "start", "target": target.input, "address": address, "resolution": resolution,
                       "source_address": route.as_ref().map(|r| r.source),
                       "interface": route.as_ref().and_then(|r| r.interface.clone())})
            },
        );
        prepared.push(Prepared { target, port, resolution, address, route });
    }

    let live = args.live && out.format == crate::output::Format::Human && std::io::stdout().is_terminal();
    let count = args.count.unwrap_or(if live { 0 } else { 4 });
    let paused = std::sync::Arc::new(AtomicBool::new(false));
    let thresholds = Thresholds { max_rtt: args.max_rtt, max_loss_pct: args.max_loss };
    let started = Instant::now();
    let mut sessions: Vec<Session> = prepared.iter().map(|_| Session::new(count, args.interval, started)).collect();
    let (tx, mut rx) = mpsc::channel(64);
    let resolver = std::sync::Arc::new(resolver);
    let mut tasks = tokio::task::JoinSet::new();
    for (index, p) in prepared.iter().enumerate() {
        let (interval, timeout, paused) = (args.interval, args.timeout, paused.clone());
        let (bind, tx, host, port, resolver) =
            (bind.clone(), tx.clone(), p.target.host.clone(), p.port, resolver.clone());
        let resolve_each = args.resolve_each;
        let mut address = p.address;
        tasks.spawn(async move {
            let mut schedule = Session::new(count, interval, started);
            while let Some(due) = schedule.next_due(Instant::now()) {
                tokio::time::sleep_until(due.into()).await;
                if paused.load(Ordering::SeqCst) {
                    // The live view's pause: the schedule resumes where it stopped, no burst.
                    let since = Instant::now();
                    while paused.load(Ordering::SeqCst) {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    schedule.shift(since.elapsed());
                    continue;
                }
                let seq = schedule.start();
                if resolve_each && seq > 1 {
                    match resolver.resolve(&host).await {
                        Ok(r) => {
                            address = SocketAddr::new(r.addrs[0], port);
                            let _ = tx.send(Ok(Event::Resolved(index, r))).await;
                        }
                        Err(e) => return tx.send(Err(e)).await.map_err(|_| ()),
                    }
                }
                match tcp::handshake(address, &bind, timeout).await {
                    Ok(attempt) => {
                        let probe = engine::classify(seq, address, &attempt, timeout);
                        let _ = tx.send(Ok(Event::Probe(index, probe))).await;
                    }
                    Err(e) => return tx.send(Err(e)).await.map_err(|_| ()),
                }
            }
            tx.send(Ok(Event::Done)).await.map_err(|_| ())
        });
    }
    drop(tx);

    let mut remaining = prepared.len();
    let mut interrupted = false;
    let mut resolutions: Vec<Resolution> = prepared.iter().map(|p| p.resolution.clone()).collect();
    if live {
        let labels: Vec<String> = prepared
            .iter()
            .map(|p| {
                let named = p.target.input != p.address.to_string();
                if named { format!("{} ({})", p.target.input, p.address) } else { p.target.input.clone() }
            })
            .collect();
        interrupted = live::show(&mut rx, &labels, &mut sessions, &mut resolutions, &paused, args.interval).await?;
    }
    while remaining > 0 && !live {
        tokio::select! {
            event = rx.recv() => match event {
                Some(Ok(Event::Probe(i, probe))) => {
                    let many = prepared.len() > 1;
                    out.event(|| probe_line(out, &prepared[i], &probe, many), || {
                        json!({"event": "probe", "target": prepared[i].target.input, "probe": probe})
                    });
                    sessions[i].record(probe);
                    // Nobody reads an endless run any more: end it as Ctrl-C would.
                    if count == 0 && crate::output::stdout_closed() {
                        interrupted = true;
                        break;
                    }
                }
                Some(Ok(Event::Resolved(i, resolution))) => resolutions[i] = resolution,
                Some(Ok(Event::Done)) => remaining -= 1,
                Some(Err(e)) => return Err(e),
                None => break,
            },
            _ = tokio::signal::ctrl_c() => {
                interrupted = true;
                break;
            }
        }
    }
    tasks.abort_all();

    let results = prepared
        .into_iter()
        .zip(sessions)
        .zip(resolutions)
        .map(|((p, session), resolution)| TargetResult::new(p, resolution, session, &thresholds))
        .collect();
    Ok(TcpingReport { targets: results, thresholds, interrupted })
}

fn header(target: &Target, address: SocketAddr, resolution: &Resolution, route: Option<&iface::Route>) -> String {
    let mut line = format!("TCPING {}", target.endpoint(address.port()));
    if resolution.source != crate::net::resolve::Source::Literal {
        line += &format!(" ({address})");
    }
    if let Some(route) = route {
        line += &format!(" from {}", route.source);
        if let Some(name) = &route.interface {
            line += &format!(" via {name}");
        }
    }
    let source = match resolution.source {
        crate::net::resolve::Source::Literal => return line,
        crate::net::resolve::Source::HostsFile => "hosts file",
        crate::net::resolve::Source::Dns => "DNS",
    };
    line + &format!(", resolved in {} ms ({source})", timing::ms(resolution.elapsed))
}

fn probe_line(out: &Output, p: &Prepared, probe: &Probe, many: bool) -> String {
    // With several targets each line names its target, unless the address already does.
    let who = if many && p.target.input != probe.address.to_string() {
        format!("{} ", p.target.input)
    } else {
        String::new()
    };
    let state = match probe.state {
        State::Open => out.paint("open", Tone::Good),
        State::Closed => out.paint("closed", Tone::Bad),
        State::Filtered => out.paint("filtered", Tone::Warn),
        State::Unreachable => out.paint("unreachable", Tone::Bad),
    };
    let rtt = match (probe.rtt, probe.state) {
        (Some(rtt), State::Open) => format!(" rtt={} ms", timing::ms(rtt)),
        (Some(rtt), _) => format!(" time={} ms", timing::ms(rtt)),
        (None, _) => String::new(),
    };
    let why = match probe.state {
        State::Open => String::new(),
        _ => format!(" ({})", probe.reason),
    };
    format!("{who}{} seq={} {state}{rtt}{why}", probe.address, probe.seq)
}

#[derive(Debug, Serialize)]
pub struct TargetResult {
    target: String,
    host: target::Host,
    port: u16,
    address: SocketAddr,
    resolution: Resolution,
    source_address: Option<IpAddr>,
    interface: Option<String>,
    counts: Counts,
    summary: timing::Summary,
    rtt_sources: Vec<RttSource>,
    probes: Vec<Probe>,
    probes_dropped: u64,
    passed: bool,
    failures: Vec<String>,
}

impl TargetResult {
    fn new(p: Prepared, resolution: Resolution, session: Session, thresholds: &Thresholds) -> Self {
        let summary = session.summary();
        let failures = engine::failures(&summary, &session.counts, thresholds);
        TargetResult {
            target: p.target.input,
            host: p.target.host,
            port: p.port,
            address: p.address,
            resolution,
            source_address: p.route.as_ref().map(|r| r.source),
            interface: p.route.and_then(|r| r.interface),
            counts: session.counts,
            summary,
            rtt_sources: session.rtt_sources,
            probes: session.probes,
            probes_dropped: session.probes_dropped,
            passed: failures.is_empty(),
            failures,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TcpingReport {
    targets: Vec<TargetResult>,
    thresholds: Thresholds,
    interrupted: bool,
}

impl TcpingReport {
    fn passed(&self) -> bool {
        self.targets.iter().all(|t| t.passed)
    }
}

impl Report for TcpingReport {
    fn human(&self, out: &Output) -> String {
        // Two tables, so each fits 80 columns: what the probes found, then
        // the RTTs of the open ones. Only the target column wraps.
        let mut counts = out.table(&["target", "sent", "open", "closed", "filt", "unreach", "loss"]);
        crate::output::keep_whole(&mut counts, 1..7);
        let mut rtts = out.table(&["rtt (ms)", "min", "avg", "max", "mdev", "p50", "p95"]);
        crate::output::keep_whole(&mut rtts, 1..7);
        for t in &self.targets {
            let s = &t.summary;
            // The address under the target, when the target did not already say it.
            let named = t.target != t.address.to_string();
            let label = if named { format!("{}\n{}", t.target, t.address) } else { t.target.clone() };
            let tally = |n: u64, tone: Tone| if n > 0 { out.cell(n, tone) } else { out.cell(n, Tone::Dim) };
            let loss = format!("{:.1}%", s.loss_pct);
            let loss = if s.loss_pct > 0.0 { out.cell(loss, Tone::Bad) } else { out.cell(loss, Tone::Good) };
            counts.add_row(vec![
                comfy_table::Cell::new(&label),
                comfy_table::Cell::new(s.sent),
                tally(t.counts.open, Tone::Good),
                tally(t.counts.closed, Tone::Bad),
                tally(t.counts.filtered, Tone::Warn),
                tally(t.counts.unreachable, Tone::Bad),
                loss,
            ]);
            if let Some(r) = &s.rtt {
                let mut row = vec![t.target.clone()];
                row.extend([r.min_ms, r.avg_ms, r.max_ms, r.mdev_ms, r.p50_ms, r.p95_ms].map(|v| format!("{v:.3}")));
                rtts.add_row(row);
            }
        }
        let mut text = String::from("\n--- tcping statistics ---\n");
        if self.interrupted {
            // As traceroute: the summary covers what was sent before Ctrl-C (the verdict stands).
            let sent = self.targets.iter().map(|t| t.summary.sent).max().unwrap_or(0);
            text += &format!("interrupted after {sent} probe{}\n", if sent == 1 { "" } else { "s" });
        }
        text += &counts.to_string();
        text.push('\n');
        if !rtts.is_empty() {
            text += &rtts.to_string();
            text.push('\n');
        }
        let mut sources: Vec<RttSource> = self.targets.iter().flat_map(|t| t.rtt_sources.clone()).collect();
        sources.dedup();
        if !sources.is_empty() {
            let names: Vec<_> = sources.iter().map(|s| s.describe()).collect();
            text += &out.paint(&format!("rtt source: {}\n", names.join(", ")), Tone::Dim);
        }
        for t in &self.targets {
            for why in &t.failures {
                text += &format!("{} {}: {why}\n", out.paint("FAIL", Tone::Bad), t.target);
            }
        }
        text
    }

    fn json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        value["command"] = json!("tcping");
        value["passed"] = json!(self.passed());
        value
    }

    fn json_lines(&self) -> Vec<serde_json::Value> {
        let mut events: Vec<_> = self
            .targets
            .iter()
            .map(|t| {
                let mut v = serde_json::to_value(t).unwrap_or_default();
                if let Some(obj) = v.as_object_mut() {
                    obj.remove("probes");
                    obj.insert("event".into(), json!("summary"));
                }
                v
            })
            .collect();
        events.push(json!({"event": "result", "passed": self.passed(), "interrupted": self.interrupted}));
        events
    }

    fn exit(&self) -> Exit {
        if self.passed() { Exit::Passed } else { Exit::Failed }
    }
}
