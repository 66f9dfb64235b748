//! arp without I/O. `Pinger` asks one address `count` times (or probes it
//! for duplicate-address detection); `Sweep` asks every address of a range
//! once, at a bounded rate, retrying the silent ones as soon as the RTTs of
//! those that did answer say the silent ones are late. Both take frames'
//! meaning (`Seen`), kernel stamps and `Instant`s, and say what to do next.

use super::frames::{Mac, Seen};
use crate::net::packet::Stamp;
use crate::timing::RttSource;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// What the driver should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Send a request (or probe) for this address now.
    Send(IpAddr),
    /// Nothing to send before this instant (frames may arrive meanwhile).
    Wait(Instant),
    Done,
}

/// One answer as reported.
#[derive(Debug, Clone, Serialize)]
pub struct Reply {
    /// The probe it answers (1-based); in a sweep, the attempt.
    pub seq: u64,
    pub ip: IpAddr,
    pub mac: Mac,
    #[serde(rename = "rtt_ms", serialize_with = "crate::output::as_opt_ms")]
    pub rtt: Option<Duration>,
    pub rtt_source: Option<RttSource>,
    /// Another MAC already answered for this address: an address conflict.
    pub conflict: bool,
    /// This MAC already answered this same probe.
    pub duplicate: bool,
}

/// The RTT of an answer stamped `rx` to a request sent at `tx`.
fn rtt(tx: Stamp, rx: Stamp) -> (Option<Duration>, Option<RttSource>) {
    let source = match (tx.kernel, rx.kernel) {
        (true, true) => RttSource::KernelPacket,
        (false, true) => RttSource::KernelRxUserTx,
        (true, false) => RttSource::KernelTxUserRx,
        (false, false) => RttSource::UserClock,
    };
    match rx.since(tx) {
        Some(d) => (Some(d), Some(source)),
        None => (None, None),
    }
}

/// After the last probe is answered, how long to keep listening for a
/// second responder (a conflict): a few RTTs, never a fixed deadline.
pub fn linger(rtt: Option<Duration>, timeout: Duration) -> Duration {
    let rtt = rtt.unwrap_or(Duration::from_millis(1));
    (rtt * 8).clamp(Duration::from_millis(1), timeout)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Who-has from our own address; count replies.
    Ask,
    /// RFC 5227 probe from 0.0.0.0: any other host claiming or probing the
    /// address means it is in use.
    Dad,
}

#[derive(Debug, Clone, Copy)]
struct Sent {
    seq: u64,
    at: Instant,
    stamp: Stamp,
}

/// Most replies kept verbatim; the rest are counted.
const MAX_REPLIES: usize = 10_000;
/// Most distinct responders remembered.
const MAX_MACS: usize = 64;

/// Repeated who-has (or DAD probes) for one address.
#[derive(Debug)]
pub struct Pinger {
    pub target: IpAddr,
    pub mode: Mode,
    count: u64,
    interval: Duration,
    timeout: Duration,
    started: Instant,
    /// The most recent sends (a bounded window for matching stamps and replies).
    sends: VecDeque<Sent>,
    pub sent: u64,
    pub replies: Vec<Reply>,
    pub replies_dropped: u64,
    pub answered: u64,
    /// Distinct MACs that answered, in order of first answer.
    pub macs: Vec<Mac>,
    /// Set for `Mode::Dad` when someone else claims or probes the address.
    pub in_use_by: Option<Mac>,
    answered_seqs: Vec<u64>,
    last_answer: Option<(u64, Instant, Option<Duration>)>,
    pub rtts: crate::timing::Stats,
}

impl Pinger {
    pub fn new(target: IpAddr, mode: Mode, count: u64, interval: Duration, timeout: Duration, now: Instant) -> Pinger {
        Pinger {
            target,
            mode,
            count,
            interval,
            timeout,
            started: now,
            sends: VecDeque::new(),
            sent: 0,
            replies: Vec::new(),
            replies_dropped: 0,
            answered: 0,
            macs: Vec::new(),
            in_use_by: None,
            answered_seqs: Vec::new(),
            last_answer: None,
            rtts: crate::timing::Stats::default(),
        }
    }

    pub fn poll(&self, now: Instant) -> Action {
        if self.in_use_by.is_some() {
            return Action::Done;
        }
        let more = self.count == 0 || self.sent < self.count;
        let next_due = self.started + self.interval * self.sent as u32;
        if more {
            if now >= next_due {
                return Action::Send(self.target);
            }
            return Action::Wait(next_due);
        }
        let Some(last) = self.sends.back() else { return Action::Done };
        let end = match self.last_answer {
            Some((seq, at, rtt)) if seq == last.seq => at + linger(rtt, self.timeout),
            _ => last.at + self.timeout,
        };
        if now >= end { Action::Done } else { Action::Wait(end) }
    }

    pub fn on_sent(&mut self, now: Instant, stamp: Stamp) {
        self.sent += 1;
        self.rtts.sent();
        self.sends.push_back(Sent { seq: self.sent, at: now, stamp });
        if self.sends.len() > 16 {
            self.sends.pop_front();
        }
    }

    /// The kernel's TX stamp for a request we sent for `target`; stamps come
    /// back in send order, so it belongs to the oldest send still without one.
    pub fn on_tx_stamp(&mut self, target: IpAddr, stamp: Stamp) {
        if target != self.target || !stamp.kernel {
            return;
        }
        if let Some(s) = self.sends.iter_mut().find(|s| !s.stamp.kernel) {
            s.stamp = stamp;
        }
    }

    /// A parsed frame stamped `rx`, from someone other than us. Returns the
    /// reply to report, if it is one.
    pub fn on_frame(&mut self, seen: &Seen, rx: Stamp, now: Instant) -> Option<Reply> {
        let last = *self.sends.back()?;
        let mac = match (self.mode, seen) {
            (Mode::Ask, Seen::Claim { ip, mac, reply: true }) if *ip == self.target => *mac,
            (Mode::Dad, Seen::Claim { ip, mac, .. }) if *ip == self.target => *mac,
            (Mode::Dad, Seen::Request { target, mac, probe: true }) if *target == self.target => *mac,
            _ => return None,
        };
        let (rtt, rtt_source) = rtt(last.stamp, rx);
        let conflict = self.macs.iter().any(|m| *m != mac);
        if !self.macs.contains(&mac) && self.macs.len() < MAX_MACS {
            self.macs.push(mac);
        }
        let duplicate = self.replies.iter().rev().take_while(|r| r.seq == last.seq).any(|r| r.mac == mac);
        if !duplicate {
            if self.answered_seqs.last() != Some(&last.seq) {
                self.answered += 1;
                self.answered_seqs.push(last.seq);
                if let Some(d) = rtt {
                    self.rtts.sample(d);
                }
            }
            self.last_answer = Some((last.seq, now, rtt));
        }
        if self.mode == Mode::Dad {
            self.in_use_by = Some(mac);
        }
        let reply = Reply { seq: last.seq, ip: self.target, mac, rtt, rtt_source, conflict, duplicate };
        if self.replies.len() < MAX_REPLIES {
            self.replies.push(reply.clone());
        } else {
            self.replies_dropped += 1;
        }
        Some(reply)
    }

    /// More than one MAC answered for the address.
    pub fn conflict(&self) -> bool {
        self.macs.len() > 1
    }
}

/// One address of a sweep.
#[derive(Debug, Clone)]
struct Slot {
    ip: IpAddr,
    attempts: u8,
    last: Option<(Instant, Stamp)>,
    answers: Vec<Reply>,
}

/// A found host of a sweep (one row per MAC).
pub type Found = Reply;

/// A rate-limited sweep over many addresses with adaptive retries.
#[derive(Debug)]
pub struct Sweep {
    slots: Vec<Slot>,
    by_ip: HashMap<IpAddr, usize>,
    next_fresh: usize,
    /// Slots sent and not yet answered, oldest send first.
    outstanding: VecDeque<usize>,
    retries: u8,
    timeout: Duration,
    gap: Duration,
    next_slot: Instant,
    max_rtt: Option<Duration>,
    pub sent: u64,
    pub answered: usize,
}

/// Never call a host late sooner than this: scheduler and timer granularity.
const MIN_LATE: Duration = Duration::from_millis(5);

impl Sweep {
    pub fn new(targets: Vec<IpAddr>, rate: u32, retries: u8, timeout: Duration, now: Instant) -> Sweep {
        let by_ip = targets.iter().enumerate().map(|(i, ip)| (*ip, i)).collect();
        let slots = targets.into_iter().map(|ip| Slot { ip, attempts: 0, last: None, answers: Vec::new() }).collect();
        Sweep {
            slots,
            by_ip,
            next_fresh: 0,
            outstanding: VecDeque::new(),
            retries,
            timeout,
            gap: Duration::from_secs(1) / rate.max(1),
            next_slot: now,
            max_rtt: None,
            sent: 0,
            answered: 0,
        }
    }

    /// How long after a send an address counts as silent: four times the
    /// slowest answer so far (at least `MIN_LATE`); `timeout` before any answer.
    pub fn late_after(&self) -> Duration {
        match self.max_rtt {
            Some(rtt) => (rtt * 4).clamp(MIN_LATE, self.timeout.max(MIN_LATE)),
            None => self.timeout,
        }
    }

    pub fn poll(&mut self, now: Instant) -> Action {
        let late = self.late_after();
        // Drop answered or exhausted addresses from the head of the queue.
        while let Some(&i) = self.outstanding.front() {
            let slot = &self.slots[i];
            let due = slot.last.map(|(at, _)| at + late).unwrap_or(now);
            if !slot.answers.is_empty() || (slot.attempts > self.retries && now >= due) {
                self.outstanding.pop_front();
            } else {
                break;
            }
        }
        let retry_due = self.outstanding.front().map(|&i| {
            let slot = &self.slots[i];
            (i, slot.last.map(|(at, _)| at + late).unwrap_or(now))
        });
        let wants = match retry_due {
            Some((i, due)) if due <= now && self.slots[i].attempts <= self.retries => Some(i),
            _ if self.next_fresh < self.slots.len() => Some(self.next_fresh),
            _ => None,
        };
        match (wants, retry_due) {
            (Some(i), _) if now >= self.next_slot => Action::Send(self.slots[i].ip),
            (Some(_), _) => Action::Wait(self.next_slot),
            (None, Some((_, due))) => Action::Wait(due.max(now + Duration::from_micros(100))),
            (None, None) => Action::Done,
        }
    }

    /// A request for `ip` went out at `now` (user-space `stamp` until the kernel's arrives).
    pub fn on_sent(&mut self, ip: IpAddr, now: Instant, stamp: Stamp) {
        let Some(&i) = self.by_ip.get(&ip) else { return };
        if i == self.next_fresh {
            self.next_fresh += 1;
        } else if self.outstanding.front() == Some(&i) {
            self.outstanding.pop_front();
        }
        let slot = &mut self.slots[i];
        slot.attempts += 1;
        slot.last = Some((now, stamp));
        self.outstanding.push_back(i);
        self.sent += 1;
        // Rate control: catch up at most 2 ms (the timer's granularity) after a stall, never a burst.
        let catch_up = (self.gap * 2).max(Duration::from_millis(2));
        self.next_slot = self.next_slot.max(now.checked_sub(catch_up).unwrap_or(now)) + self.gap;
    }

    pub fn on_tx_stamp(&mut self, ip: IpAddr, stamp: Stamp) {
        if let Some(&i) = self.by_ip.get(&ip)
            && let Some((_, s)) = &mut self.slots[i].last
            && !s.kernel
            && stamp.kernel
        {
            *s = stamp;
        }
    }

    /// A parsed frame: replies from addresses of the sweep are recorded.
    pub fn on_frame(&mut self, seen: &Seen, rx: Stamp) -> Option<Reply> {
        let Seen::Claim { ip, mac, reply: true } = seen else { return None };
        let i = *self.by_ip.get(ip)?;
        let slot = &mut self.slots[i];
        let (_, tx) = slot.last?;
        if slot.answers.iter().any(|r| r.mac == *mac) || slot.answers.len() >= 8 {
            return None; // the same host again (a retry crossed its answer)
        }
        let (rtt, rtt_source) = rtt(tx, rx);
        if let Some(d) = rtt {
            self.max_rtt = Some(self.max_rtt.map_or(d, |m| m.max(d)));
        }
        let conflict = !slot.answers.is_empty();
        if !conflict {
            self.answered += 1;
        }
        let reply =
            Reply { seq: u64::from(slot.attempts), ip: *ip, mac: *mac, rtt, rtt_source, conflict, duplicate: false };
        slot.answers.push(reply.clone());
        Some(reply)
    }

    /// Addresses asked at least once.
    pub fn asked(&self) -> usize {
        self.next_fresh
    }

    /// Every answer, in address order.
    pub fn found(&self) -> Vec<Found> {
        self.slots.iter().flat_map(|s| s.answers.iter().cloned()).collect()
    }

    pub fn conflicts(&self) -> usize {
        self.slots.iter().filter(|s| s.answers.len() > 1).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn kstamp(us: u64) -> Stamp {
        Stamp { since_epoch: Duration::from_micros(us), kernel: true }
    }

    fn ustamp(us: u64) -> Stamp {
        Stamp { since_epoch: Duration::from_micros(us), kernel: false }
    }

    const A: Mac = Mac([2, 0, 0, 0, 0, 0xa]);
    const B: Mac = Mac([2, 0, 0, 0, 0, 0xb]);

    fn claim(addr: &str, mac: Mac) -> Seen {
        Seen::Claim { ip: ip(addr), mac, reply: true }
    }

    #[test]
    fn one_probe_ends_right_after_its_answer_with_kernel_rtt() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut p = Pinger::new(ip("198.18.5.20"), Mode::Ask, 1, ms(1000), ms(1000), t0);
        assert_eq!(p.poll(t0), Action::Send(ip("198.18.5.20")));
        p.on_sent(t0, ustamp(1_000));
        p.on_tx_stamp(ip("198.18.5.20"), kstamp(1_010));
        assert_eq!(p.poll(t0), Action::Wait(t0 + ms(1000)), "silent so far: wait the timeout");
        let r = p.on_frame(&claim("198.18.5.20", A), kstamp(1_060), t0 + ms(0)).unwrap();
        assert_eq!((r.rtt, r.rtt_source), (Some(Duration::from_micros(50)), Some(RttSource::KernelPacket)));
        // 8×50µs is under the 1 ms floor: done 1 ms after the answer, not 1 s.
        assert_eq!(p.poll(t0), Action::Wait(t0 + ms(1)));
        assert_eq!(p.poll(t0 + ms(1)), Action::Done);
        assert!(!p.conflict());
    }

    #[test]
    fn without_a_kernel_tx_stamp_the_source_says_so() {
        let t0 = Instant::now();
        let mut p = Pinger::new(ip("198.18.5.20"), Mode::Ask, 1, Duration::from_secs(1), Duration::from_secs(1), t0);
        p.on_sent(t0, ustamp(1_000));
        let r = p.on_frame(&claim("198.18.5.20", A), kstamp(1_200), t0).unwrap();
        assert_eq!(r.rtt_source, Some(RttSource::KernelRxUserTx));
    }

    #[test]
    fn two_macs_for_one_address_is_a_conflict_and_others_are_ignored() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut p = Pinger::new(ip("198.18.5.20"), Mode::Ask, 2, s, s, t0);
        p.on_sent(t0, kstamp(0));
        assert!(p.on_frame(&claim("198.18.5.21", A), kstamp(10), t0).is_none(), "another address");
        let req = Seen::Claim { ip: ip("198.18.5.20"), mac: A, reply: false };
        assert!(p.on_frame(&req, kstamp(10), t0).is_none(), "a gratuitous ARP is not a reply");
        assert!(!p.on_frame(&claim("198.18.5.20", A), kstamp(20), t0).unwrap().conflict);
        assert!(p.on_frame(&claim("198.18.5.20", A), kstamp(25), t0).unwrap().duplicate);
        assert!(p.on_frame(&claim("198.18.5.20", B), kstamp(30), t0).unwrap().conflict);
        assert!(p.conflict());
        assert_eq!(p.answered, 1);
        assert_eq!(p.poll(t0), Action::Wait(t0 + s), "the second probe is still due");
    }

    #[test]
    fn silence_runs_every_probe_then_the_timeout() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut p = Pinger::new(ip("198.18.5.99"), Mode::Ask, 2, ms(100), ms(300), t0);
        p.on_sent(t0, kstamp(0));
        assert_eq!(p.poll(t0 + ms(50)), Action::Wait(t0 + ms(100)));
        assert_eq!(p.poll(t0 + ms(100)), Action::Send(ip("198.18.5.99")));
        p.on_sent(t0 + ms(100), kstamp(100_000));
        assert_eq!(p.poll(t0 + ms(200)), Action::Wait(t0 + ms(400)));
        assert_eq!(p.poll(t0 + ms(400)), Action::Done);
        assert_eq!((p.sent, p.answered), (2, 0));
    }

    #[test]
    fn dad_stops_at_a_claim_or_a_competing_probe() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut p = Pinger::new(ip("198.18.5.20"), Mode::Dad, 3, s, s, t0);
        p.on_sent(t0, kstamp(0));
        let other_probe = Seen::Request { target: ip("198.18.5.20"), mac: B, probe: true };
        assert!(p.on_frame(&other_probe, kstamp(5), t0).is_some());
        assert_eq!(p.in_use_by, Some(B));
        assert_eq!(p.poll(t0), Action::Done);
    }

    fn addrs(n: u8) -> Vec<IpAddr> {
        (1..=n).map(|i| ip(&format!("198.18.7.{i}"))).collect()
    }

    /// Drives a sweep against a fake network where `live` answer after 100 µs.
    fn simulate(live: &[u8], retries: u8) -> (Sweep, Duration, Vec<IpAddr>) {
        let t0 = Instant::now();
        let mut sweep = Sweep::new(addrs(20), 1000, retries, Duration::from_secs(1), t0);
        let mut now = t0;
        let mut sends = Vec::new();
        let mut steps = 0;
        loop {
            steps += 1;
            assert!(steps < 10_000, "the sweep must end");
            match sweep.poll(now) {
                Action::Send(target) => {
                    let us = (now - t0).as_micros() as u64;
                    sweep.on_sent(target, now, kstamp(us));
                    sends.push(target);
                    let last = target.to_string().rsplit('.').next().unwrap().parse::<u8>().unwrap();
                    if live.contains(&last) {
                        let mac = Mac([2, 0, 0, 0, 7, last]);
                        sweep.on_frame(&Seen::Claim { ip: target, mac, reply: true }, kstamp(us + 100));
                    }
                }
                Action::Wait(until) => {
                    assert!(until > now, "waits move time forward");
                    now = until;
                }
                Action::Done => return (sweep, now - t0, sends),
            }
        }
    }

    #[test]
    fn sweep_retries_silent_hosts_once_answers_say_they_are_late() {
        let (sweep, took, sends) = simulate(&[2, 5, 9], 1);
        assert_eq!(sweep.answered, 3);
        assert_eq!(
            sweep.found().iter().map(|f| f.ip).collect::<Vec<_>>(),
            vec![ip("198.18.7.2"), ip("198.18.7.5"), ip("198.18.7.9")]
        );
        // 20 first tries + 17 retries, each silent address exactly twice.
        assert_eq!(sends.len(), 37);
        assert_eq!(sends.iter().filter(|s| **s == ip("198.18.7.1")).count(), 2);
        assert_eq!(sends.iter().filter(|s| **s == ip("198.18.7.2")).count(), 1);
        // At 1000/s: 37 ms of sending plus one late_after (5 ms floor), far below the 1 s timeout.
        assert!(took < Duration::from_millis(60), "took {took:?}");
        assert_eq!(sweep.late_after(), MIN_LATE);
    }

    #[test]
    fn sweep_with_no_answers_waits_the_timeout_per_round() {
        let (sweep, took, sends) = simulate(&[], 2);
        assert_eq!(sweep.answered, 0);
        assert_eq!(sends.len(), 60);
        assert!(took >= Duration::from_secs(3) && took < Duration::from_millis(3100), "took {took:?}");
    }

    #[test]
    fn sweep_flags_two_macs_for_one_address() {
        let t0 = Instant::now();
        let mut sweep = Sweep::new(addrs(2), 100, 0, Duration::from_secs(1), t0);
        sweep.on_sent(ip("198.18.7.1"), t0, kstamp(0));
        assert!(!sweep.on_frame(&claim("198.18.7.1", A), kstamp(50)).unwrap().conflict);
        assert!(sweep.on_frame(&claim("198.18.7.1", A), kstamp(60)).is_none());
        assert!(sweep.on_frame(&claim("198.18.7.1", B), kstamp(70)).unwrap().conflict);
        assert!(sweep.on_frame(&claim("198.18.9.1", B), kstamp(70)).is_none(), "not in the sweep");
        assert_eq!((sweep.answered, sweep.conflicts()), (1, 1));
    }

    #[test]
    fn sweep_respects_the_rate() {
        let t0 = Instant::now();
        let mut sweep = Sweep::new(addrs(3), 10, 0, Duration::from_secs(1), t0);
        assert_eq!(sweep.poll(t0), Action::Send(ip("198.18.7.1")));
        sweep.on_sent(ip("198.18.7.1"), t0, kstamp(0));
        assert_eq!(sweep.poll(t0), Action::Wait(t0 + Duration::from_millis(100)));
    }
}
