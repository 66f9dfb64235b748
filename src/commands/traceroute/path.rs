//! The path as rounds of probes see it (`-c`, `--live`): per-hop running
//! statistics fed probe by probe, the responders of each hop with their
//! shares (ECMP paths merged), and where the path ends. Pure: no I/O, no
//! clock; the `-c` report and the live view are both built from it.

use super::engine::{Hit, HitKind, PortState, ProbeEvent};
use crate::live::series::Series;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Distinct responders kept per hop; more (spoofed floods) are counted apart.
const MAX_HOSTS: usize = 16;

#[derive(Debug, Clone, Default)]
pub struct HopRow {
    pub series: Series,
    /// Responders in order of first answer, with how many answers each gave.
    pub hosts: Vec<(IpAddr, u64)>,
    /// Answers from responders past `MAX_HOSTS`.
    pub other_hosts: u64,
    /// The last answer's ICMP marker (!H, !X, …), if it ended the path.
    pub marker: Option<String>,
    pub port_state: Option<PortState>,
    /// The last answer's estimate of the hops it travelled back.
    pub back_hops: Option<u8>,
}

impl HopRow {
    pub fn addrs(&self) -> Vec<IpAddr> {
        self.hosts.iter().map(|(a, _)| *a).collect()
    }
}

#[derive(Debug, Clone, Default)]
pub struct PathStats {
    hops: BTreeMap<u8, HopRow>,
    /// The lowest TTL that reached the destination or an unreachable
    /// router: nothing beyond it is part of the path.
    end_ttl: Option<u8>,
    /// Complete rounds.
    pub rounds: u64,
    pub reached: bool,
}

/// mtr's per-hop columns, as the `-c` report and its JSON give them.
#[derive(Debug, Clone, Serialize)]
pub struct HopStats {
    pub ttl: u8,
    pub addrs: Vec<IpAddr>,
    pub sent: u64,
    pub received: u64,
    pub loss_pct: f64,
    pub last_ms: Option<f64>,
    pub avg_ms: Option<f64>,
    pub best_ms: Option<f64>,
    pub worst_ms: Option<f64>,
    pub stdev_ms: Option<f64>,
    /// Mean difference between consecutive RTTs.
    pub jitter_ms: Option<f64>,
    /// Some answers here, fewer than further on: the router limits the ICMP
    /// errors it sends, packets are not lost. (A hop that never answers is
    /// silent, not rate-limited.)
    pub rate_limited: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_state: Option<PortState>,
    /// Hops the replies travelled back (from their TTL), when it differs
    /// from this hop's number: the return path is not the forward one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asymmetric_back_hops: Option<u8>,
}

impl PathStats {
    /// One probe's fate.
    pub fn probe(&mut self, event: &ProbeEvent) {
        let ttl = event.spec.ttl;
        if let Some(hit) = &event.hit
            && matches!(hit.kind, HitKind::Reached | HitKind::Unreachable)
        {
            self.reached |= hit.kind == HitKind::Reached;
            if self.end_ttl.is_none_or(|end| ttl < end) {
                self.end_ttl = Some(ttl);
                // Rows past a nearer end were probes that overshot it.
                self.hops.retain(|t, _| *t <= ttl);
            }
        }
        if self.end_ttl.is_some_and(|end| ttl > end) {
            return;
        }
        let row = self.hops.entry(ttl).or_default();
        row.series.record(event.hit.as_ref().map(|h| h.rtt));
        if let Some(hit) = &event.hit {
            row.note(hit);
        }
    }

    /// A round ended. `probed_to` is the highest TTL it probed: when that was
    /// the known end and a router, not the end, answered there, the path got
    /// longer and the next round probes the full range again.
    pub fn round_done(&mut self, probed_to: u8, last_hop: Option<&Hit>) {
        self.rounds += 1;
        if self.end_ttl == Some(probed_to) && last_hop.is_some_and(|h| h.kind == HitKind::TimeExceeded) {
            self.end_ttl = None;
        }
    }

    /// The highest TTL the next round needs.
    pub fn max_ttl(&self, configured: u8) -> u8 {
        self.end_ttl.map_or(configured, |end| end.min(configured))
    }

    pub fn end_ttl(&self) -> Option<u8> {
        self.end_ttl
    }

    /// The rows of the path, by TTL.
    pub fn rows(&self) -> impl Iterator<Item = (u8, &HopRow)> {
        self.hops.iter().map(|(t, r)| (*t, r))
    }

    /// Every responder, in path order.
    pub fn addrs(&self) -> Vec<IpAddr> {
        let mut out: Vec<IpAddr> = Vec::new();
        for (_, row) in self.rows() {
            for a in row.addrs() {
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
        out
    }

    /// Forgets the statistics (the live view's reset); the known end stays.
    pub fn reset(&mut self) {
        self.hops.clear();
        self.rounds = 0;
    }

    pub fn summary(&self) -> Vec<HopStats> {
        let mut stats: Vec<HopStats> = self
            .rows()
            .map(|(ttl, row)| {
                let s = &row.series;
                HopStats {
                    ttl,
                    addrs: row.addrs(),
                    sent: s.sent(),
                    received: s.received(),
                    loss_pct: s.loss_pct(),
                    last_ms: s.last_ms(),
                    avg_ms: s.avg_ms(),
                    best_ms: s.best_ms(),
                    worst_ms: s.worst_ms(),
                    stdev_ms: s.stdev_ms(),
                    jitter_ms: s.jitter_ms(),
                    rate_limited: false,
                    port_state: row.port_state,
                    asymmetric_back_hops: row.back_hops.filter(|b| *b != ttl),
                }
            })
            .collect();
        for i in 0..stats.len() {
            let later_min =
                stats[i + 1..].iter().filter(|h| h.received > 0).map(|h| h.loss_pct).fold(f64::MAX, f64::min);
            stats[i].rate_limited = stats[i].received > 0 && stats[i].loss_pct > 0.0 && later_min < stats[i].loss_pct;
        }
        stats
    }
}

impl HopRow {
    fn note(&mut self, hit: &Hit) {
        match self.hosts.iter().position(|(a, _)| *a == hit.from) {
            Some(i) => self.hosts[i].1 += 1,
            None if self.hosts.len() < MAX_HOSTS => self.hosts.push((hit.from, 1)),
            None => self.other_hosts += 1,
        }
        self.marker = hit.marker();
        if hit.port_state.is_some() {
            self.port_state = hit.port_state;
        }
        if let Some(b) = hit.back_hops() {
            self.back_hops = Some(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::traceroute::engine::ProbeSpec;
    use std::time::Duration;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn event(ttl: u8, answer: Option<(&str, HitKind)>) -> ProbeEvent {
        ProbeEvent {
            spec: ProbeSpec { seq: 1, ttl, flow: 0, size: 60 },
            hit: answer.map(|(from, kind)| Hit {
                from: ip(from),
                rtt: Duration::from_millis(u64::from(ttl)),
                kind,
                icmp: None,
                mpls: vec![],
                port_state: None,
                reply_ttl: Some(65 - ttl),
            }),
        }
    }

    fn router(ttl: u8) -> String {
        format!("198.18.{ttl}.2")
    }

    /// One round of a 4-hop path; `lose_dest` loses every destination reply
    /// (UDP port unreachables rate-limited by the destination).
    fn round(p: &mut PathStats, lose_dest: bool) {
        let max = p.max_ttl(30);
        for ttl in 1..=max {
            let e = match ttl {
                1..=3 => event(ttl, Some((&router(ttl), HitKind::TimeExceeded))),
                _ if lose_dest => event(ttl, None),
                _ => event(ttl, Some(("198.18.9.2", HitKind::Reached))),
            };
            p.probe(&e);
        }
        p.round_done(max, None);
    }

    #[test]
    fn a_lost_destination_reply_adds_no_phantom_rows() {
        let mut p = PathStats::default();
        round(&mut p, false);
        assert_eq!(p.max_ttl(30), 4, "later rounds stop at the destination");
        round(&mut p, true);
        round(&mut p, false);
        let s = p.summary();
        assert_eq!(s.len(), 4, "{s:?}");
        assert_eq!((s[3].sent, s[3].received), (3, 2));
        assert!(p.reached);
    }

    #[test]
    fn first_round_lost_then_found_drops_the_overshoot() {
        let mut p = PathStats::default();
        round(&mut p, true);
        assert_eq!(p.summary().len(), 30, "nothing known yet: every TTL probed");
        round(&mut p, false);
        let s = p.summary();
        assert_eq!(s.len(), 4);
        assert_eq!(s[3].addrs, vec![ip("198.18.9.2")]);
        // Overshooting probes of the first round (TTL 5, 6 reaching it too) count for nothing.
        let mut q = PathStats::default();
        q.probe(&event(6, Some(("198.18.9.2", HitKind::Reached))));
        q.probe(&event(5, Some(("198.18.9.2", HitKind::Reached))));
        q.probe(&event(4, Some(("198.18.9.2", HitKind::Reached))));
        q.probe(&event(7, Some(("198.18.9.2", HitKind::Reached))));
        assert_eq!(q.rows().map(|(t, _)| t).collect::<Vec<_>>(), vec![4]);
    }

    #[test]
    fn a_longer_path_is_probed_again() {
        let mut p = PathStats::default();
        round(&mut p, false);
        assert_eq!(p.max_ttl(30), 4);
        let te = event(4, Some(("198.18.4.2", HitKind::TimeExceeded)));
        p.probe(&te);
        p.round_done(4, te.hit.as_ref());
        assert_eq!(p.max_ttl(30), 30);
    }

    #[test]
    fn ecmp_responders_are_merged_with_their_shares() {
        let mut p = PathStats::default();
        for from in ["198.18.2.2", "198.18.12.2", "198.18.2.2"] {
            p.probe(&event(2, Some((from, HitKind::TimeExceeded))));
        }
        let (_, row) = p.rows().next().unwrap();
        assert_eq!(row.hosts, vec![(ip("198.18.2.2"), 2), (ip("198.18.12.2"), 1)]);
        for i in 0..40u8 {
            p.probe(&event(2, Some((&format!("198.18.100.{i}"), HitKind::TimeExceeded))));
        }
        let (_, row) = p.rows().next().unwrap();
        assert_eq!((row.hosts.len(), row.other_hosts), (MAX_HOSTS, 40 - (MAX_HOSTS as u64 - 2)));
    }

    #[test]
    fn rate_limited_and_asymmetric_hops() {
        let mut p = PathStats::default();
        for r in 0..4 {
            p.probe(&event(1, (r % 2 == 0).then_some(("198.18.1.2", HitKind::TimeExceeded))));
            let mut far = event(2, Some(("198.18.9.2", HitKind::Reached)));
            far.hit.as_mut().unwrap().reply_ttl = Some(61); // came back over 4 hops
            p.probe(&far);
        }
        let s = p.summary();
        assert!(s[0].rate_limited && !s[1].rate_limited);
        assert_eq!((s[0].asymmetric_back_hops, s[1].asymmetric_back_hops), (None, Some(4)));
        p.reset();
        assert!(p.summary().is_empty() && p.max_ttl(30) == 2);
    }
}
