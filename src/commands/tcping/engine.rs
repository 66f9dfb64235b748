//! tcping without I/O: what a handshake result means, when the next probe is
//! due, the statistics, and the verdict against the thresholds.

use crate::net::errqueue::IcmpError;
use crate::net::tcp::{Attempt, Outcome};
use crate::timing::{RttSource, Stats, Summary};
use serde::Serialize;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// The handshake completed.
    Open,
    /// The peer answered with RST.
    Closed,
    /// Nothing came back before the timeout.
    Filtered,
    /// An ICMP error (or the local routing table) said no.
    Unreachable,
}

/// One probe as reported.
#[derive(Debug, Clone, Serialize)]
pub struct Probe {
    pub seq: u64,
    pub address: SocketAddr,
    pub state: State,
    #[serde(rename = "rtt_ms", serialize_with = "crate::output::as_opt_ms")]
    pub rtt: Option<Duration>,
    pub rtt_source: Option<RttSource>,
    /// connect() call to completion on the monotonic clock.
    #[serde(rename = "elapsed_ms", serialize_with = "crate::output::as_ms")]
    pub elapsed: Duration,
    pub local_port: Option<u16>,
    pub reason: String,
    pub icmp: Option<IcmpError>,
}

/// Turns a handshake attempt into a reported probe.
pub fn classify(seq: u64, address: SocketAddr, attempt: &Attempt, timeout: Duration) -> Probe {
    let (state, reason, icmp) = match &attempt.outcome {
        Outcome::Established => (State::Open, "handshake completed".to_string(), None),
        Outcome::Refused => (State::Closed, "RST".to_string(), None),
        Outcome::TimedOut => (State::Filtered, format!("no answer in {}", crate::timing::human(timeout)), None),
        Outcome::Icmp(icmp) => {
            let from = icmp.from.map(|ip| format!(" from {ip}")).unwrap_or_default();
            let family = if icmp.v6 { "ICMPv6" } else { "ICMP" };
            let reason = format!("{}{from} ({family} type {} code {})", icmp.reason(), icmp.icmp_type, icmp.code);
            (State::Unreachable, reason, Some(*icmp))
        }
        Outcome::Local(err) => (State::Unreachable, format!("local routing: {err}"), None),
    };
    let (rtt, rtt_source) = match (state, attempt.kernel_rtt) {
        (State::Open, Some(kernel)) => (Some(kernel), Some(RttSource::KernelTcpInfo)),
        (State::Filtered, _) => (None, None),
        _ => (Some(attempt.elapsed), Some(RttSource::UserClock)),
    };
    Probe {
        seq,
        address,
        state,
        rtt,
        rtt_source,
        elapsed: attempt.elapsed,
        local_port: attempt.local.map(|a| a.port()),
        reason,
        icmp,
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    pub open: u64,
    pub closed: u64,
    pub filtered: u64,
    pub unreachable: u64,
}

/// CI thresholds: `--max-rtt` (the average RTT of open probes, as check_ping's
/// rta) and `--max-loss` (percent of probes that did not find the port open).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Thresholds {
    #[serde(rename = "max_rtt_ms", serialize_with = "crate::output::as_opt_ms")]
    pub max_rtt: Option<Duration>,
    pub max_loss_pct: Option<f64>,
}

/// How many probes a session keeps for the final JSON document; `--json-lines` streams all.
pub const KEEP_PROBES: usize = 10_000;

/// One target's probing: schedule, counts, stats.
#[derive(Debug)]
pub struct Session {
    count: u64,
    interval: Duration,
    started: Instant,
    sent: u64,
    pub counts: Counts,
    stats: Stats,
    pub probes: Vec<Probe>,
    pub probes_dropped: u64,
    pub rtt_sources: Vec<RttSource>,
}

impl Session {
    /// `count` 0 means until interrupted.
    pub fn new(count: u64, interval: Duration, started: Instant) -> Self {
        Session {
            count,
            interval,
            started,
            sent: 0,
            counts: Counts::default(),
            stats: Stats::default(),
            probes: Vec::new(),
            probes_dropped: 0,
            rtt_sources: Vec::new(),
        }
    }

    /// When the next probe is due (probe k at start + k·interval, or at
    /// once when a slow probe has already passed that), or None when done.
    pub fn next_due(&self, now: Instant) -> Option<Instant> {
        if self.count != 0 && self.sent >= self.count {
            return None;
        }
        let slot = self.started + self.interval.saturating_mul(self.sent.min(u64::from(u32::MAX)) as u32);
        Some(slot.max(now))
    }

    /// Moves the schedule later (the time probing was paused).
    pub fn shift(&mut self, by: Duration) {
        self.started += by;
    }

    /// Starts probe number `seq` (1-based).
    pub fn start(&mut self) -> u64 {
        self.sent += 1;
        self.sent
    }

    pub fn record(&mut self, probe: Probe) {
        self.stats.sent();
        match probe.state {
            State::Open => {
                self.counts.open += 1;
                if let Some(rtt) = probe.rtt {
                    self.stats.sample(rtt);
                }
            }
            State::Closed => self.counts.closed += 1,
            State::Filtered => self.counts.filtered += 1,
            State::Unreachable => self.counts.unreachable += 1,
        }
        if let (State::Open, Some(source)) = (probe.state, probe.rtt_source)
            && !self.rtt_sources.contains(&source)
        {
            self.rtt_sources.push(source);
        }
        if self.probes.len() < KEEP_PROBES {
            self.probes.push(probe);
        } else {
            self.probes_dropped += 1;
        }
    }

    /// Statistics over completed probes; loss counts every probe that did not find the port open.
    pub fn summary(&self) -> Summary {
        self.stats.summary()
    }
}

/// Why a target failed the check; empty means it passed.
pub fn failures(summary: &Summary, counts: &Counts, thresholds: &Thresholds) -> Vec<String> {
    let mut failed = Vec::new();
    if summary.sent == 0 {
        failed.push("no probe was sent".to_string());
        return failed;
    }
    if counts.open == 0 {
        failed.push("the port was never open".to_string());
    }
    if let Some(max) = thresholds.max_loss_pct
        && summary.loss_pct > max
    {
        failed.push(format!("loss {:.1}% is above --max-loss {max}%", summary.loss_pct));
    }
    if let Some(max) = thresholds.max_rtt {
        match &summary.rtt {
            Some(rtt) if rtt.avg_ms > crate::timing::millis(max) => failed.push(format!(
                "average rtt {:.3} ms is above --max-rtt {}",
                rtt.avg_ms,
                crate::timing::human(max)
            )),
            Some(_) => {}
            None => failed.push("no rtt to compare with --max-rtt".to_string()),
        }
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    fn addr() -> SocketAddr {
        "198.18.3.2:80".parse().unwrap()
    }

    fn attempt(outcome: Outcome, kernel_rtt: Option<u64>) -> Attempt {
        Attempt {
            outcome,
            local: Some("198.18.1.2:40000".parse().unwrap()),
            elapsed: Duration::from_micros(900),
            kernel_rtt: kernel_rtt.map(Duration::from_micros),
        }
    }

    #[test]
    fn open_uses_the_kernel_sample() {
        let p = classify(1, addr(), &attempt(Outcome::Established, Some(250)), Duration::from_secs(1));
        assert_eq!(
            (p.state, p.rtt, p.rtt_source),
            (State::Open, Some(Duration::from_micros(250)), Some(RttSource::KernelTcpInfo))
        );
        assert_eq!(p.local_port, Some(40000));
        let fallback = classify(1, addr(), &attempt(Outcome::Established, None), Duration::from_secs(1));
        assert_eq!(fallback.rtt_source, Some(RttSource::UserClock));
    }

    #[test]
    fn each_failure_state_says_why() {
        let t = Duration::from_millis(250);
        let closed = classify(2, addr(), &attempt(Outcome::Refused, None), t);
        assert_eq!((closed.state, closed.reason.as_str()), (State::Closed, "RST"));
        let filtered = classify(3, addr(), &attempt(Outcome::TimedOut, None), t);
        assert_eq!((filtered.state, filtered.rtt), (State::Filtered, None));
        assert_eq!(filtered.reason, "no answer in 250ms");
        let icmp = IcmpError {
            v6: false,
            icmp_type: 3,
            code: 13,
            from: Some("198.18.2.1".parse().unwrap()),
            errno: libc::EHOSTUNREACH,
        };
        let unreach = classify(4, addr(), &attempt(Outcome::Icmp(icmp), None), t);
        assert_eq!(unreach.state, State::Unreachable);
        assert_eq!(unreach.reason, "administratively prohibited from 198.18.2.1 (ICMP type 3 code 13)");
        let local =
            classify(5, addr(), &attempt(Outcome::Local(io::Error::from_raw_os_error(libc::ENETUNREACH)), None), t);
        // The words are the C library's (glibc and musl differ); the errno is ours.
        let expected = format!("local routing: {}", io::Error::from_raw_os_error(libc::ENETUNREACH));
        assert!(local.reason == expected && local.reason.ends_with("(os error 101)"), "{}", local.reason);
    }

    #[test]
    fn schedule_is_fixed_rate_and_bounded() {
        let t0 = Instant::now();
        let mut s = Session::new(2, Duration::from_secs(1), t0);
        assert_eq!(s.next_due(t0), Some(t0));
        s.start();
        assert_eq!(s.next_due(t0), Some(t0 + Duration::from_secs(1)));
        // a probe that took longer than the interval: the next is due at once
        assert_eq!(s.next_due(t0 + Duration::from_secs(3)), Some(t0 + Duration::from_secs(3)));
        s.start();
        assert_eq!(s.next_due(t0), None);
        let endless = Session::new(0, Duration::from_secs(1), t0);
        assert!(endless.next_due(t0).is_some());
    }

    #[test]
    fn verdict_against_thresholds() {
        let t0 = Instant::now();
        let mut s = Session::new(4, Duration::from_secs(1), t0);
        for (i, outcome) in [Outcome::Established, Outcome::Established, Outcome::Established, Outcome::TimedOut]
            .into_iter()
            .enumerate()
        {
            let seq = s.start();
            s.record(classify(seq, addr(), &attempt(outcome, Some(1000 + 1000 * i as u64)), Duration::from_secs(1)));
        }
        let summary = s.summary();
        assert_eq!(summary.loss_pct, 25.0);
        assert_eq!(summary.rtt.as_ref().unwrap().avg_ms, 2.0);
        let none = Thresholds::default();
        assert!(failures(&summary, &s.counts, &none).is_empty());
        let loose = Thresholds { max_rtt: Some(Duration::from_millis(2)), max_loss_pct: Some(25.0) };
        assert!(failures(&summary, &s.counts, &loose).is_empty(), "limits are inclusive");
        let tight = Thresholds { max_rtt: Some(Duration::from_micros(1999)), max_loss_pct: Some(24.9) };
        let why = failures(&summary, &s.counts, &tight);
        assert_eq!(why.len(), 2, "{why:?}");
        assert!(why[0].contains("--max-loss") && why[1].contains("--max-rtt"));
    }

    #[test]
    fn never_open_fails_even_without_thresholds() {
        let mut s = Session::new(1, Duration::from_secs(1), Instant::now());
        let seq = s.start();
        s.record(classify(seq, addr(), &attempt(Outcome::Refused, None), Duration::from_secs(1)));
        assert_eq!(failures(&s.summary(), &s.counts, &Thresholds::default()), vec!["the port was never open"]);
    }
}
