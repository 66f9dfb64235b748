//! `traceroute --live`: the rounds run on a thread of their own, exactly as
//! for `-c`, and hand every probe's fate to this thread, which keeps the
//! view's statistics (resettable), draws them, reads keys and looks up hop
//! names in the background. The report printed afterwards is the prober's
//! own statistics of the whole run, as `-c` prints them.

use super::asn::{self, AsInfo};
use super::path::PathStats;
use super::{Progress, Rounds, RoundsDone, TraceReport, engine};
use crate::error::Error;
use crate::live::board::{self, Action, Entry, View};
use crate::live::term::Screen;
use crate::net::interrupt::Interrupt;
use crate::net::resolve::{Family, Resolver};
use crate::net::trace::Prober;
use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// What the prober thread tells the view.
enum Update {
    Probe(engine::ProbeEvent),
    Round { n: u64, probed_to: u8, last_hit: Option<engine::Hit> },
}

/// How often the screen is redrawn and keys are read.
const FRAME: Duration = Duration::from_millis(50);

/// What the view looks up about each hop, in the background.
pub struct Lookups {
    /// Reverse DNS names (no -n).
    pub names: bool,
    /// The AS of each hop from this zone (--asn).
    pub asn_zone: Option<String>,
    pub family: Family,
}

/// What the lookups found: names and AS numbers of hops.
#[derive(Default)]
pub struct Found {
    pub names: BTreeMap<IpAddr, String>,
    pub asns: BTreeMap<IpAddr, AsInfo>,
}

/// Runs the rounds with the live view; returns the rounds' outcome and
/// what the background lookups found about the hops.
pub fn run(
    prober: &mut Prober,
    plan: &Rounds,
    interrupt: &Interrupt,
    report: &TraceReport,
    lookups: Lookups,
) -> Result<(RoundsDone, Found), Error> {
    let paused = AtomicBool::new(false);
    let (tx, rx) = mpsc::sync_channel::<Update>(4096);
    let can_name = lookups.names;
    let names = (lookups.names || lookups.asn_zone.is_some()).then(|| spawn_lookups(lookups));
    let mut found = Found::default();
    std::thread::scope(|scope| {
        let driver = scope.spawn(|| {
            let done = super::run_rounds(prober, plan, interrupt, Some(&paused), |p| {
                let update = match p {
                    Progress::Probe(e) => Update::Probe(e.clone()),
                    Progress::Round { n, probed_to, last_hit, .. } => {
                        Update::Round { n, probed_to, last_hit: last_hit.cloned() }
                    }
                };
                let _ = tx.send(update);
            });
            drop(tx);
            done
        });
        let shown = show(&rx, plan, interrupt, &paused, report, names.as_ref(), can_name, &mut found);
        // However the view ended, the prober stops and its thread is joined.
        interrupt.stop();
        drop(rx);
        let done = driver.join().map_err(|_| Error::io("the prober thread failed", std::io::Error::other("panic")))?;
        let interrupted = shown?;
        let mut done = done?;
        // q is how a live run ends, not an interruption; Ctrl-C (the key or a signal) is one.
        done.interrupted = interrupted;
        Ok((done, found))
    })
}

/// The view's loop: until the prober is done or a key (or signal) quits.
/// True when it was interrupted (Ctrl-C, SIGINT/SIGTERM/SIGHUP) rather than ended.
#[allow(clippy::too_many_arguments)]
fn show(
    rx: &mpsc::Receiver<Update>,
    plan: &Rounds,
    interrupt: &Interrupt,
    paused: &AtomicBool,
    report: &TraceReport,
    names: Option<&Names>,
    can_name: bool,
    found: &mut Found,
) -> Result<bool, Error> {
    let mut screen = Screen::open()?;
    let mut path = PathStats::default();
    let mut view = View::new(report.header(), "Hop", can_name);
    let mut asked: HashSet<IpAddr> = HashSet::new();
    let mut round = 0;
    loop {
        let mut finished = false;
        loop {
            match rx.try_recv() {
                Ok(Update::Probe(e)) => {
                    if let (Some(n), Some(hit)) = (names, &e.hit)
                        && asked.insert(hit.from)
                    {
                        let _ = n.ask.send(hit.from);
                    }
                    path.probe(&e);
                }
                Ok(Update::Round { n, probed_to, last_hit }) => {
                    round = n;
                    path.round_done(probed_to, last_hit.as_ref());
                }
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    finished = true;
                    break;
                }
            }
        }
        if let Some(n) = names {
            for (ip, name, asn) in n.answers.try_iter() {
                if let Some(name) = name {
                    found.names.insert(ip, name);
                }
                if let Some(asn) = asn {
                    found.asns.insert(ip, asn);
                }
            }
        }
        if finished {
            return Ok(false);
        }
        if interrupt.stopped() {
            return Ok(true);
        }
        view.status = status(round, plan, report);
        let entries = entries(&path, &view, found);
        screen.draw(|f| view.draw(f, &entries))?;
        for key in screen.keys(FRAME)? {
            match view.key(key) {
                Action::Quit => return Ok(false),
                Action::Interrupt => return Ok(true),
                Action::Pause(p) => {
                    paused.store(p, Ordering::SeqCst);
                    interrupt.wake();
                }
                Action::Reset => path.reset(),
                Action::Redraw | Action::Nothing => {}
            }
        }
    }
}

fn status(round: u64, plan: &Rounds, report: &TraceReport) -> String {
    let of = plan.count.map_or(String::new(), |c| format!(" of {c}"));
    format!("round {round}{of} · {} · {}", board::every(plan.interval), report.mode.describe())
}

/// The table rows: one per hop, responders merged with their shares.
fn entries<'a>(path: &'a PathStats, view: &View, found: &Found) -> Vec<Entry<'a>> {
    let label = |ip: &IpAddr| {
        let host = match found.names.get(ip) {
            Some(name) if view.names => name.clone(),
            _ => ip.to_string(),
        };
        match found.asns.get(ip) {
            Some(a) => format!("{host} [AS{}]", a.asn),
            None => host,
        }
    };
    path.rows()
        .map(|(ttl, row)| {
            let total: u64 = row.hosts.iter().map(|(_, n)| n).sum::<u64>() + row.other_hosts;
            let many = row.hosts.len() > 1 || row.other_hosts > 0;
            let mut hosts: Vec<String> = row
                .hosts
                .iter()
                .map(|(ip, n)| {
                    let share = if many { format!(" ({}%)", n * 100 / total.max(1)) } else { String::new() };
                    format!("{}{share}", label(ip))
                })
                .collect();
            if row.other_hosts > 0 {
                hosts.push(format!("{} answers from other addresses", row.other_hosts));
            }
            if let Some(first) = hosts.first_mut() {
                if let Some(marker) = &row.marker {
                    *first += &format!(" {marker}");
                }
                match row.port_state {
                    Some(engine::PortState::Open) => *first += " [open]",
                    Some(engine::PortState::Closed) => *first += " [closed]",
                    None => {}
                }
            }
            Entry { key: ttl.to_string(), hosts, series: &row.series }
        })
        .collect()
}

/// The background lookups: addresses in, names and AS numbers out, never
/// blocking the view.
struct Names {
    ask: mpsc::Sender<IpAddr>,
    answers: mpsc::Receiver<(IpAddr, Option<String>, Option<AsInfo>)>,
}

fn spawn_lookups(lookups: Lookups) -> Names {
    let (ask, requests) = mpsc::channel::<IpAddr>();
    let (reply, answers) = mpsc::channel();
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        let resolver = Resolver::system(lookups.family);
        let timeout = Duration::from_secs(2);
        while let Ok(first) = requests.recv() {
            // Everything asked meanwhile goes in one batch, looked up at once.
            let batch: Vec<IpAddr> = std::iter::once(first).chain(requests.try_iter()).collect();
            let one = |ip: IpAddr| {
                let resolver = &resolver;
                let zone = lookups.asn_zone.as_deref();
                async move {
                    let name = async { if lookups.names { resolver.reverse(ip, timeout).await } else { None } };
                    let asn = async {
                        match zone {
                            Some(zone) => asn::lookup(resolver, ip, zone, timeout).await,
                            None => None,
                        }
                    };
                    futures_util::join!(name, asn)
                }
            };
            let results = rt.block_on(futures_util::future::join_all(batch.iter().map(|ip| one(*ip))));
            for (ip, (name, asn)) in batch.into_iter().zip(results) {
                if reply.send((ip, name, asn)).is_err() {
                    return;
                }
            }
        }
    });
    Names { ask, answers }
}
