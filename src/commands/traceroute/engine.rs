//! The tracer without I/O. It decides which probe to send next (all TTLs in
//! flight, bounded by a window and an optional send interval), matches each
//! reply to its probe by the identity the wire quotes back, decides when a
//! silent probe is lost (adaptive wait, as traceroute's HERE/NEAR factors),
//! and stops past the destination. Time only enters as `Instant`s passed in.

use crate::net::errqueue::IcmpError;
use crate::wire::ext::MplsLabel;
use crate::wire::icmp::Transport;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Config {
    pub target: IpAddr,
    pub first_ttl: u8,
    pub max_ttl: u8,
    /// Probes per hop (and per flow).
    pub probes: u8,
    /// Flows to trace (ECMP enumeration); 1 is a plain trace.
    pub flows: u16,
    /// Probes in flight at most.
    pub window: usize,
    /// Minimum time between two sends (zero: as fast as the window allows).
    pub send_interval: Duration,
    /// The longest a probe is waited for.
    pub timeout: Duration,
    /// Wait at most `here` × the RTT of a reply from the same hop ...
    pub here: f64,
    /// ... or `near` × the RTT of replies from later hops.
    pub near: f64,
    /// Probe size in bytes (IP header included).
    pub size: u16,
    /// Path MTU discovery: shrink probes on "fragmentation needed".
    pub discover_mtu: bool,
    /// The first sequence number (rounds continue where the last one ended).
    pub first_seq: u16,
}

/// A probe the driver must send now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeSpec {
    pub seq: u16,
    pub ttl: u8,
    pub flow: u16,
    pub size: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Send(ProbeSpec),
    /// Nothing to do before this instant (or before a reply arrives).
    Wait(Instant),
    Done,
}

/// What came back, as the driver saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// ICMP echo reply.
    Echo,
    /// TCP SYN-ACK or RST from the target.
    Tcp { rst: bool },
    /// An ICMP error (time exceeded, unreachable, fragmentation needed).
    Icmp(IcmpError),
}

#[derive(Debug, Clone)]
pub struct Reply {
    /// The probe identity the reply carries or quotes.
    pub key: Transport,
    /// The destination of the quoted probe (or the replier, for echo/TCP answers).
    pub dst: IpAddr,
    pub from: IpAddr,
    pub answer: Answer,
    /// Next-hop MTU of a "fragmentation needed" / "packet too big".
    pub mtu: Option<u32>,
    pub mpls: Vec<MplsLabel>,
    /// The IP TTL (hop limit) the reply arrived with, when the socket tells.
    pub ttl: Option<u8>,
    pub at: Instant,
}

/// What a TCP probe found at the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PortState {
    /// SYN-ACK.
    Open,
    /// RST.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    TimeExceeded,
    /// The target answered (echo reply, port unreachable from it, SYN-ACK/RST).
    Reached,
    /// An ICMP unreachable that ends the trace (marker !H, !N, !X, ...).
    Unreachable,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub from: IpAddr,
    #[serde(rename = "rtt_ms", serialize_with = "crate::output::as_ms")]
    pub rtt: Duration,
    pub kind: HitKind,
    pub icmp: Option<IcmpError>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mpls: Vec<MplsLabel>,
    /// TCP probes answered by the target: SYN-ACK (open) or RST (closed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_state: Option<PortState>,
    /// The TTL the reply arrived with (tracepath's return-path estimate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_ttl: Option<u8>,
}

impl Hit {
    pub fn marker(&self) -> Option<String> {
        match (self.kind, &self.icmp) {
            (HitKind::Unreachable, Some(icmp)) => Some(icmp.marker()),
            _ => None,
        }
    }

    /// Hops the reply travelled back, guessed from its TTL and the usual
    /// initial TTLs (64, 128, 255), as tracepath does.
    pub fn back_hops(&self) -> Option<u8> {
        let ttl = self.reply_ttl?;
        Some(match ttl {
            0 => return None,
            1..=64 => 65 - ttl,
            65..=128 => 129 - ttl,
            _ => 255 - ttl + 1,
        })
    }
}

/// A probe's fate, as soon as it is known: answered, or given up on.
/// (Probes past the end of the path and resent smaller ones give none.)
#[derive(Debug, Clone)]
pub struct ProbeEvent {
    pub spec: ProbeSpec,
    pub hit: Option<Hit>,
}

#[derive(Debug, Clone)]
enum State {
    Queued,
    InFlight {
        sent: Instant,
    },
    Answered(Hit),
    Lost,
    /// Too big for the path: sent again smaller (path MTU discovery).
    Superseded,
}

#[derive(Debug, Clone)]
struct Slot {
    spec: ProbeSpec,
    state: State,
}

/// Replies that were not used, and why (reported, never misattributed).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Ignored {
    /// Quoting no probe of ours (other processes, spoofed, or for another target).
    pub unmatched: u64,
    /// For a probe already given up on.
    pub late: u64,
    /// A second answer to the same probe.
    pub duplicate: u64,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct MtuDrop {
    pub from: IpAddr,
    pub mtu: u32,
    pub probe_size: u16,
}

pub struct Tracer {
    cfg: Config,
    slots: Vec<Slot>,
    queue: VecDeque<usize>,
    by_key: HashMap<Transport, usize>,
    /// Per flow: the TTL where the trace ends (destination or unreachable).
    limit: Vec<u8>,
    reached: Vec<bool>,
    in_flight: usize,
    last_send: Option<Instant>,
    next_seq: u16,
    pmtu: u16,
    pub ignored: Ignored,
    pub mtu_drops: Vec<MtuDrop>,
    events: VecDeque<ProbeEvent>,
}

/// Replies faster than this are not used to shorten waits below it.
const MIN_WAIT: Duration = Duration::from_millis(1);

impl Tracer {
    pub fn new(cfg: Config) -> Tracer {
        let mut t = Tracer {
            slots: Vec::new(),
            queue: VecDeque::new(),
            by_key: HashMap::new(),
            limit: vec![cfg.max_ttl; usize::from(cfg.flows.max(1))],
            reached: vec![false; usize::from(cfg.flows.max(1))],
            in_flight: 0,
            last_send: None,
            next_seq: cfg.first_seq,
            pmtu: cfg.size,
            ignored: Ignored::default(),
            mtu_drops: Vec::new(),
            events: VecDeque::new(),
            cfg,
        };
        for ttl in t.cfg.first_ttl..=t.cfg.max_ttl {
            for flow in 0..t.cfg.flows.max(1) {
                for _ in 0..t.cfg.probes {
                    t.push(ttl, flow, false);
                }
            }
        }
        t
    }

    fn push(&mut self, ttl: u8, flow: u16, front: bool) {
        let spec = ProbeSpec { seq: self.next_seq, ttl, flow, size: self.pmtu };
        self.next_seq = self.next_seq.wrapping_add(1);
        self.slots.push(Slot { spec, state: State::Queued });
        if front {
            self.queue.push_front(self.slots.len() - 1);
        } else {
            self.queue.push_back(self.slots.len() - 1);
        }
    }

    /// The sequence number the next round should start from.
    pub fn next_seq(&self) -> u16 {
        self.next_seq
    }

    fn wanted(&self, spec: &ProbeSpec) -> bool {
        spec.ttl <= self.limit[usize::from(spec.flow)]
    }

    /// What to do at `now`: send a probe, wait, or stop.
    pub fn poll(&mut self, now: Instant) -> Step {
        self.expire(now);
        while let Some(&i) = self.queue.front() {
            if self.wanted(&self.slots[i].spec) {
                break;
            }
            self.queue.pop_front();
        }
        let mut wake: Option<Instant> = None;
        if let Some(&i) = self.queue.front()
            && self.in_flight < self.cfg.window
        {
            let due = self.last_send.map_or(now, |t| t + self.cfg.send_interval);
            if due <= now {
                self.queue.pop_front();
                return Step::Send(self.slots[i].spec);
            }
            wake = Some(due);
        }
        let table = self.rtt_by_ttl();
        let waiting = self
            .slots
            .iter()
            .filter(|s| self.wanted(&s.spec))
            .filter_map(|s| match s.state {
                State::InFlight { sent, .. } => Some(self.deadline(&table, s.spec, sent)),
                _ => None,
            })
            .min();
        match (wake, waiting) {
            (None, None) if self.queue.is_empty() => Step::Done,
            (None, None) => Step::Wait(now + self.cfg.timeout), // window full of unwanted probes
            (a, b) => Step::Wait(a.into_iter().chain(b).min().unwrap_or(now)),
        }
    }

    /// The driver sent `spec` at `at`, identified on the wire by `key`.
    pub fn sent(&mut self, seq: u16, key: Transport, at: Instant) {
        let Some(i) = self.slots.iter().rposition(|s| s.spec.seq == seq && matches!(s.state, State::Queued)) else {
            return;
        };
        self.slots[i].state = State::InFlight { sent: at };
        self.by_key.insert(key, i);
        self.in_flight += 1;
        self.last_send = Some(at);
    }

    /// Sending failed locally (e.g. no route): the probe counts as lost.
    pub fn send_failed(&mut self, seq: u16) {
        if let Some(i) = self.slots.iter().rposition(|s| s.spec.seq == seq && matches!(s.state, State::Queued)) {
            self.slots[i].state = State::Lost;
            self.events.push_back(ProbeEvent { spec: self.slots[i].spec, hit: None });
        }
    }

    /// The next probe whose fate became known, in the order they did.
    pub fn poll_event(&mut self) -> Option<ProbeEvent> {
        self.events.pop_front()
    }

    /// The slowest answer seen per TTL, the input of the adaptive wait.
    fn rtt_by_ttl(&self) -> [Option<Duration>; 256] {
        let mut table = [None::<Duration>; 256];
        for s in &self.slots {
            if let State::Answered(hit) = &s.state {
                let cell = &mut table[usize::from(s.spec.ttl)];
                *cell = Some(cell.map_or(hit.rtt, |r| r.max(hit.rtt)));
            }
        }
        table
    }

    /// How long a probe sent at `sent` is waited for, given what same-hop
    /// (HERE) or later (NEAR) probes have already shown about RTTs on this path.
    fn deadline(&self, table: &[Option<Duration>; 256], spec: ProbeSpec, sent: Instant) -> Instant {
        let ttl = usize::from(spec.ttl);
        let later = table[ttl + 1..].iter().flatten().max();
        let adaptive = match (table[ttl], later) {
            (Some(rtt), _) => Some(rtt.mul_f64(self.cfg.here)),
            (None, Some(rtt)) => Some(rtt.mul_f64(self.cfg.near)),
            (None, None) => None,
        };
        let wait = adaptive.map_or(self.cfg.timeout, |w| w.max(MIN_WAIT).min(self.cfg.timeout));
        sent + wait
    }

    fn expire(&mut self, now: Instant) {
        let table = self.rtt_by_ttl();
        let expired: Vec<usize> = (0..self.slots.len())
            .filter(|&i| match self.slots[i].state {
                State::InFlight { sent, .. } => {
                    !self.wanted(&self.slots[i].spec) || now >= self.deadline(&table, self.slots[i].spec, sent)
                }
                _ => false,
            })
            .collect();
        for i in expired {
            self.slots[i].state = State::Lost;
            self.in_flight -= 1;
            let spec = self.slots[i].spec;
            if self.wanted(&spec) {
                self.events.push_back(ProbeEvent { spec, hit: None });
            }
        }
    }

    /// A reply from the network. Replies that match no probe in flight are
    /// counted in `ignored` and change nothing else.
    pub fn reply(&mut self, reply: Reply) {
        let Some(&i) = self.by_key.get(&reply.key) else {
            self.ignored.unmatched += 1;
            return;
        };
        if reply.dst != self.cfg.target {
            self.ignored.unmatched += 1;
            return;
        }
        let (sent, spec) = match &self.slots[i].state {
            State::InFlight { sent, .. } => (*sent, self.slots[i].spec),
            State::Lost => {
                self.ignored.late += 1;
                return;
            }
            _ => {
                self.ignored.duplicate += 1;
                return;
            }
        };
        if reply.at < sent {
            self.ignored.unmatched += 1;
            return;
        }
        let from_target = reply.from == self.cfg.target;
        let (kind, icmp) = match &reply.answer {
            Answer::Echo | Answer::Tcp { .. } if from_target => (HitKind::Reached, None),
            Answer::Echo | Answer::Tcp { .. } => {
                self.ignored.unmatched += 1;
                return;
            }
            Answer::Icmp(icmp) => match (icmp.v6, icmp.icmp_type, icmp.code) {
                (false, 11, _) | (true, 3, _) => (HitKind::TimeExceeded, Some(*icmp)),
                // Port unreachable from the target itself: a UDP probe arrived.
                (false, 3, 3) | (true, 1, 4) if from_target => (HitKind::Reached, Some(*icmp)),
                (false, 3, 4) | (true, 2, _) if self.cfg.discover_mtu => {
                    if let Some(mtu) = reply.mtu.filter(|m| *m >= 68 && *m < u32::from(spec.size)) {
                        self.shrink(i, reply.from, mtu);
                        return;
                    }
                    (HitKind::Unreachable, Some(*icmp))
                }
                (false, 3, _) | (true, 1, _) | (true, 2, _) => (HitKind::Unreachable, Some(*icmp)),
                _ => {
                    self.ignored.unmatched += 1;
                    return;
                }
            },
        };
        self.in_flight -= 1;
        let flow = usize::from(spec.flow);
        if matches!(kind, HitKind::Reached | HitKind::Unreachable) {
            self.limit[flow] = self.limit[flow].min(spec.ttl);
            if kind == HitKind::Reached {
                self.reached[flow] = true;
            }
        }
        let port_state = match (&reply.answer, kind) {
            (Answer::Tcp { rst }, HitKind::Reached) => Some(if *rst { PortState::Closed } else { PortState::Open }),
            _ => None,
        };
        let hit = Hit {
            from: reply.from,
            rtt: reply.at - sent,
            kind,
            icmp,
            mpls: reply.mpls,
            port_state,
            reply_ttl: reply.ttl,
        };
        self.events.push_back(ProbeEvent { spec, hit: Some(hit.clone()) });
        self.slots[i].state = State::Answered(hit);
    }

    fn shrink(&mut self, i: usize, from: IpAddr, mtu: u32) {
        let spec = self.slots[i].spec;
        self.slots[i].state = State::Superseded;
        self.in_flight -= 1;
        if u32::from(self.pmtu) > mtu {
            self.pmtu = mtu as u16;
            self.mtu_drops.push(MtuDrop { from, mtu, probe_size: spec.size });
        }
        self.push(spec.ttl, spec.flow, true);
    }

    /// The result per flow, hop by hop, once `poll` said Done.
    pub fn hops(&self, flow: u16) -> Vec<Hop> {
        let limit = self.limit[usize::from(flow)];
        let mut hops: Vec<Hop> = Vec::new();
        for slot in self.slots.iter().filter(|s| s.spec.flow == flow && s.spec.ttl <= limit) {
            let hit = match &slot.state {
                State::Answered(hit) => Some(hit.clone()),
                State::Lost | State::InFlight { .. } => None,
                State::Queued | State::Superseded => continue,
            };
            let hop = match hops.iter_mut().find(|h| h.ttl == slot.spec.ttl) {
                Some(h) => h,
                None => {
                    hops.push(Hop { ttl: slot.spec.ttl, probes: Vec::new(), size: slot.spec.size });
                    hops.last_mut().expect("just pushed")
                }
            };
            hop.size = slot.spec.size;
            hop.probes.push(ProbeResult { seq: slot.spec.seq, hit });
        }
        hops.sort_by_key(|h| h.ttl);
        hops
    }

    /// Sequence numbers of probes still awaited.
    pub fn in_flight(&self) -> std::collections::HashSet<u16> {
        self.slots.iter().filter(|s| matches!(s.state, State::InFlight { .. })).map(|s| s.spec.seq).collect()
    }

    pub fn reached(&self, flow: u16) -> bool {
        self.reached[usize::from(flow)]
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ProbeResult {
    pub seq: u16,
    #[serde(flatten)]
    pub hit: Option<Hit>,
}

/// One TTL's probes.
#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    pub ttl: u8,
    pub probes: Vec<ProbeResult>,
    /// Size of the probes that produced these results.
    pub size: u16,
}

impl Hop {
    /// Responding addresses in order of first answer.
    pub fn addrs(&self) -> Vec<IpAddr> {
        let mut addrs = Vec::new();
        for hit in self.probes.iter().filter_map(|p| p.hit.as_ref()) {
            if !addrs.contains(&hit.from) {
                addrs.push(hit.from);
            }
        }
        addrs
    }

    pub fn reached(&self) -> bool {
        self.probes.iter().any(|p| p.hit.as_ref().is_some_and(|h| h.kind == HitKind::Reached))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    const TARGET: &str = "198.18.9.2";

    fn cfg(max_ttl: u8, probes: u8) -> Config {
        Config {
            target: ip(TARGET),
            first_ttl: 1,
            max_ttl,
            probes,
            flows: 1,
            window: 64,
            send_interval: Duration::ZERO,
            timeout: Duration::from_secs(2),
            here: 3.0,
            near: 10.0,
            size: 60,
            discover_mtu: false,
            first_seq: 1,
        }
    }

    fn key(seq: u16) -> Transport {
        Transport::Icmp { id: 77, seq }
    }

    fn icmp(t: u8, code: u8, from: &str) -> Answer {
        Answer::Icmp(IcmpError { v6: false, icmp_type: t, code, from: Some(ip(from)), errno: 0 })
    }

    fn reply(seq: u16, from: &str, answer: Answer, at: Instant) -> Reply {
        Reply { key: key(seq), dst: ip(TARGET), from: ip(from), answer, mtu: None, mpls: vec![], ttl: None, at }
    }

    /// Sends everything the tracer allows at `now`; returns the specs.
    fn send_all(t: &mut Tracer, now: Instant) -> Vec<ProbeSpec> {
        let mut out = Vec::new();
        while let Step::Send(spec) = t.poll(now) {
            t.sent(spec.seq, key(spec.seq), now);
            out.push(spec);
        }
        out
    }

    fn router(ttl: u8) -> String {
        format!("198.18.{ttl}.2")
    }

    #[test]
    fn all_ttls_in_flight_then_stops_at_the_destination() {
        let t0 = Instant::now();
        let mut t = Tracer::new(cfg(30, 1));
        let sent = send_all(&mut t, t0);
        assert_eq!(sent.len(), 30, "every TTL at once");
        let ms = Duration::from_millis(1);
        for s in &sent {
            let answer = if s.ttl < 5 { icmp(11, 0, &router(s.ttl)) } else { Answer::Echo };
            let from = if s.ttl < 5 { router(s.ttl) } else { TARGET.to_string() };
            t.reply(reply(s.seq, &from, answer, t0 + ms));
        }
        assert_eq!(t.poll(t0 + ms), Step::Done);
        let hops = t.hops(0);
        assert_eq!(hops.len(), 5, "nothing past the destination");
        assert_eq!(hops[3].addrs(), vec![ip("198.18.4.2")]);
        assert!(hops[4].reached() && t.reached(0));
    }

    #[test]
    fn window_and_interval_bound_the_sends() {
        let t0 = Instant::now();
        let mut c = cfg(10, 3);
        c.window = 4;
        c.send_interval = Duration::from_millis(5);
        let mut t = Tracer::new(c);
        assert!(matches!(t.poll(t0), Step::Send(_)));
        t.sent(1, key(1), t0);
        assert_eq!(t.poll(t0), Step::Wait(t0 + Duration::from_millis(5)));
        let mut now = t0;
        for seq in 2..=4 {
            now += Duration::from_millis(5);
            assert!(matches!(t.poll(now), Step::Send(s) if s.seq == seq));
            t.sent(seq, key(seq), now);
        }
        now += Duration::from_millis(5);
        assert!(matches!(t.poll(now), Step::Wait(_)), "window of 4 is full");
    }

    #[test]
    fn silent_hop_is_given_up_early_once_later_hops_answered() {
        let t0 = Instant::now();
        let mut t = Tracer::new(cfg(4, 3));
        let sent = send_all(&mut t, t0);
        let rtt = Duration::from_micros(200);
        for s in sent.iter().filter(|s| s.ttl != 2) {
            let (from, answer) = if s.ttl == 4 {
                (TARGET.to_string(), Answer::Echo)
            } else {
                (router(s.ttl), icmp(11, 0, &router(s.ttl)))
            };
            t.reply(reply(s.seq, &from, answer, t0 + rtt));
        }
        // NEAR: 10 × 200 µs = 2 ms, far below the 2 s timeout.
        assert_eq!(t.poll(t0 + rtt), Step::Wait(t0 + Duration::from_millis(2)));
        assert_eq!(t.poll(t0 + Duration::from_millis(2)), Step::Done);
        let hops = t.hops(0);
        assert_eq!(hops.len(), 4);
        assert!(hops[1].probes.iter().all(|p| p.hit.is_none()), "hop 2 shows * * *");
        assert_eq!(hops[2].addrs(), vec![ip("198.18.3.2")]);
    }

    #[test]
    fn nothing_answers_waits_the_full_timeout() {
        let t0 = Instant::now();
        let mut t = Tracer::new(cfg(2, 1));
        send_all(&mut t, t0);
        assert_eq!(t.poll(t0), Step::Wait(t0 + Duration::from_secs(2)));
        assert_eq!(t.poll(t0 + Duration::from_secs(2)), Step::Done);
        assert!(!t.reached(0));
    }

    #[test]
    fn unreachable_ends_the_trace_with_its_marker() {
        let t0 = Instant::now();
        let mut t = Tracer::new(cfg(8, 1));
        let sent = send_all(&mut t, t0);
        let at = t0 + Duration::from_micros(100);
        for s in &sent {
            let a = if s.ttl < 3 { icmp(11, 0, &router(s.ttl)) } else { icmp(3, 13, &router(3)) };
            t.reply(reply(s.seq, &router(s.ttl.min(3)), a, at));
        }
        assert_eq!(t.poll(at), Step::Done);
        let hops = t.hops(0);
        assert_eq!(hops.len(), 3);
        assert_eq!(hops[2].probes[0].hit.as_ref().unwrap().marker().as_deref(), Some("!X"));
        assert!(!t.reached(0));
    }

    #[test]
    fn bogus_late_and_duplicate_replies_change_nothing() {
        let t0 = Instant::now();
        let mut t = Tracer::new(cfg(2, 1));
        let sent = send_all(&mut t, t0);
        let at = t0 + Duration::from_micros(100);
        // Quotes a probe we never sent, and one of ours but to another target.
        t.reply(reply(999, &router(1), icmp(11, 0, &router(1)), at));
        let mut other = reply(sent[0].seq, "198.18.66.1", icmp(11, 0, "198.18.66.1"), at);
        other.dst = ip("198.18.77.7");
        t.reply(other);
        // An echo reply with our id/seq but not from the target.
        t.reply(reply(sent[1].seq, "198.18.66.1", Answer::Echo, at));
        assert_eq!(t.ignored.unmatched, 3);
        t.reply(reply(sent[0].seq, &router(1), icmp(11, 0, &router(1)), at));
        t.reply(reply(sent[0].seq, "198.18.66.1", icmp(11, 0, "198.18.66.1"), at));
        assert_eq!(t.ignored.duplicate, 1);
        // Hop 2 times out (HERE/NEAR have nothing later to go on), then answers late.
        assert_eq!(t.poll(t0 + Duration::from_secs(3)), Step::Done);
        t.reply(reply(sent[1].seq, TARGET, Answer::Echo, t0 + Duration::from_secs(4)));
        assert_eq!(t.ignored.late, 1);
        let hops = t.hops(0);
        assert_eq!(hops[0].addrs(), vec![ip(&router(1))]);
        assert!(hops[1].probes[0].hit.is_none() && !t.reached(0));
    }

    #[test]
    fn several_addresses_at_one_hop_are_all_listed() {
        let t0 = Instant::now();
        let mut t = Tracer::new(cfg(1, 3));
        let sent = send_all(&mut t, t0);
        let at = t0 + Duration::from_micros(100);
        for (s, from) in sent.iter().zip(["198.18.1.2", "198.18.11.2", "198.18.1.2"]) {
            t.reply(reply(s.seq, from, icmp(11, 0, from), at));
        }
        assert_eq!(t.hops(0)[0].addrs(), vec![ip("198.18.1.2"), ip("198.18.11.2")]);
    }

    #[test]
    fn flows_are_traced_apart_and_can_diverge() {
        let t0 = Instant::now();
        let mut c = cfg(3, 1);
        c.flows = 2;
        let mut t = Tracer::new(c);
        let sent = send_all(&mut t, t0);
        assert_eq!(sent.len(), 6);
        let at = t0 + Duration::from_micros(100);
        for s in &sent {
            let from = match (s.ttl, s.flow) {
                (3, _) => TARGET.to_string(),
                (2, 1) => "198.18.12.2".to_string(),
                (ttl, _) => router(ttl),
            };
            let a = if s.ttl == 3 { Answer::Echo } else { icmp(11, 0, &from) };
            t.reply(reply(s.seq, &from, a, at));
        }
        assert_eq!(t.poll(at), Step::Done);
        assert_eq!(t.hops(0)[1].addrs(), vec![ip("198.18.2.2")]);
        assert_eq!(t.hops(1)[1].addrs(), vec![ip("198.18.12.2")]);
    }

    #[test]
    fn path_mtu_discovery_resends_smaller() {
        let t0 = Instant::now();
        let mut c = cfg(3, 1);
        c.size = 1500;
        c.discover_mtu = true;
        let mut t = Tracer::new(c);
        let sent = send_all(&mut t, t0);
        let at = t0 + Duration::from_micros(100);
        t.reply(reply(sent[0].seq, &router(1), icmp(11, 0, &router(1)), at));
        for s in &sent[1..] {
            let mut r = reply(s.seq, &router(1), icmp(3, 4, &router(1)), at);
            r.mtu = Some(1300);
            t.reply(r);
        }
        assert_eq!(t.mtu_drops, vec![MtuDrop { from: ip(&router(1)), mtu: 1300, probe_size: 1500 }]);
        let again = send_all(&mut t, at);
        assert_eq!(again.iter().map(|s| (s.ttl, s.size)).collect::<Vec<_>>(), vec![(3, 1300), (2, 1300)]);
        t.reply(reply(again[1].seq, &router(2), icmp(11, 0, &router(2)), at));
        t.reply(reply(again[0].seq, TARGET, Answer::Echo, at));
        assert_eq!(t.poll(at), Step::Done);
        let hops = t.hops(0);
        assert_eq!(hops.iter().map(|h| h.size).collect::<Vec<_>>(), vec![1500, 1300, 1300]);
        assert!(hops[2].reached());
    }
}
