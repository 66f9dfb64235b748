//! Durations on the command line, RTT statistics, and how times are printed.

use serde::Serialize;
use std::time::Duration;

/// clap value parser for every duration option: `250ms`, `2s`, `1m30s`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let parsed = humantime::parse_duration(text.trim())
        .map_err(|e| format!("'{text}' is not a duration ({e}); write it like 250ms, 2s or 1m"))?;
    if parsed.is_zero() {
        return Err(format!("'{text}' is zero; a duration must be positive"));
    }
    Ok(parsed)
}

/// Milliseconds with microsecond precision, as ping prints them.
pub fn ms(d: Duration) -> String {
    format!("{:.3}", millis(d))
}

pub fn millis(d: Duration) -> f64 {
    d.as_nanos() as f64 / 1e6
}

/// Human form for headers and messages: `1s`, `250ms`.
pub fn human(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// Where an RTT figure came from, so a reader knows how far to trust it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RttSource {
    /// The kernel's own SYN → SYN-ACK sample (TCP_INFO tcpi_rtt), microsecond resolution.
    KernelTcpInfo,
    /// A monotonic clock read around the syscall in user space.
    UserClock,
    /// Kernel software timestamps on the packet socket: TX (driver) to RX (stack entry).
    KernelPacket,
    /// Kernel RX timestamp minus the clock read just before send(): the driver gave no TX stamp.
    KernelRxUserTx,
    /// Kernel TX timestamp to the clock read at receive: the kernel had not yet switched RX stamps on.
    KernelTxUserRx,
}

impl RttSource {
    pub fn describe(self) -> &'static str {
        match self {
            RttSource::KernelTcpInfo => "kernel TCP_INFO (SYN to SYN-ACK)",
            RttSource::UserClock => "user-space monotonic clock",
            RttSource::KernelPacket => "kernel packet timestamps (TX driver to RX stack)",
            RttSource::KernelRxUserTx => "kernel RX timestamp minus user-space send time",
            RttSource::KernelTxUserRx => "kernel TX timestamp to user-space receive time",
        }
    }
}

/// How many samples are kept verbatim for exact percentiles; past that a
/// fixed-size reservoir keeps memory bounded on `-c 0` runs of any length.
const RESERVOIR: usize = 65_536;

/// Running RTT statistics: min/avg/max/mdev exact over every sample,
/// percentiles exact up to `RESERVOIR` samples and sampled beyond.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    sent: u64,
    count: u64,
    sum: f64,
    sum_sq: f64,
    min: Option<Duration>,
    max: Option<Duration>,
    samples: Vec<Duration>,
    rng: u64,
}

/// What `Stats` reports, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub sent: u64,
    pub received: u64,
    pub loss_pct: f64,
    pub rtt: Option<RttSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RttSummary {
    pub min_ms: f64,
    pub avg_ms: f64,
    pub max_ms: f64,
    pub mdev_ms: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub percentiles_exact: bool,
}

impl Stats {
    /// A probe went out (whether or not it is answered).
    pub fn sent(&mut self) {
        self.sent += 1;
    }

    /// An answer with its RTT.
    pub fn sample(&mut self, rtt: Duration) {
        self.count += 1;
        let x = millis(rtt);
        self.sum += x;
        self.sum_sq += x * x;
        self.min = Some(self.min.map_or(rtt, |m| m.min(rtt)));
        self.max = Some(self.max.map_or(rtt, |m| m.max(rtt)));
        if self.samples.len() < RESERVOIR {
            self.samples.push(rtt);
        } else {
            // Algorithm R with a xorshift: every sample kept with equal probability.
            self.rng = if self.rng == 0 { 0x9E37_79B9_7F4A_7C15 } else { self.rng };
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            let slot = (self.rng % self.count) as usize;
            if slot < RESERVOIR {
                self.samples[slot] = rtt;
            }
        }
    }

    pub fn summary(&self) -> Summary {
        let loss_pct = if self.sent == 0 {
            0.0
        } else {
            (self.sent - self.count.min(self.sent)) as f64 * 100.0 / self.sent as f64
        };
        let rtt = (self.count > 0).then(|| {
            let n = self.count as f64;
            let avg = self.sum / n;
            // ping's mdev: the standard deviation sqrt(E[x²] − E[x]²).
            let mdev = (self.sum_sq / n - avg * avg).max(0.0).sqrt();
            let mut sorted = self.samples.clone();
            sorted.sort_unstable();
            RttSummary {
                min_ms: millis(self.min.unwrap_or_default()),
                avg_ms: avg,
                max_ms: millis(self.max.unwrap_or_default()),
                mdev_ms: mdev,
                p50_ms: millis(percentile(&sorted, 50.0)),
                p95_ms: millis(percentile(&sorted, 95.0)),
                percentiles_exact: self.count as usize <= RESERVOIR,
            }
        });
        Summary { sent: self.sent, received: self.count, loss_pct, rtt }
    }
}

/// Nearest-rank percentile of sorted samples (the smallest value with at
/// least p% of samples at or below it).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    #[test]
    fn summary_matches_hand_arithmetic() {
        let mut stats = Stats::default();
        for rtt in [100, 200, 300, 400] {
            stats.sent();
            stats.sample(us(rtt));
        }
        stats.sent(); // one lost
        let s = stats.summary();
        assert_eq!((s.sent, s.received), (5, 4));
        assert!((s.loss_pct - 20.0).abs() < 1e-9);
        let rtt = s.rtt.unwrap();
        assert!((rtt.min_ms - 0.1).abs() < 1e-9);
        assert!((rtt.max_ms - 0.4).abs() < 1e-9);
        assert!((rtt.avg_ms - 0.25).abs() < 1e-9);
        // population std-dev of 0.1..0.4 = sqrt(0.0125)
        assert!((rtt.mdev_ms - 0.0125f64.sqrt()).abs() < 1e-9);
        assert!((rtt.p50_ms - 0.2).abs() < 1e-9);
        assert!((rtt.p95_ms - 0.4).abs() < 1e-9);
        assert!(rtt.percentiles_exact);
    }

    #[test]
    fn no_answers_means_full_loss_and_no_rtt() {
        let mut stats = Stats::default();
        stats.sent();
        stats.sent();
        let s = stats.summary();
        assert_eq!(s.loss_pct, 100.0);
        assert!(s.rtt.is_none());
        assert_eq!(Stats::default().summary().loss_pct, 0.0);
    }

    #[test]
    fn percentile_nearest_rank() {
        let v: Vec<_> = (1..=100).map(us).collect();
        assert_eq!(percentile(&v, 50.0), us(50));
        assert_eq!(percentile(&v, 95.0), us(95));
        assert_eq!(percentile(&v, 100.0), us(100));
        assert_eq!(percentile(&[us(7)], 95.0), us(7));
    }

    #[test]
    fn reservoir_bounds_memory_and_keeps_exact_extremes() {
        let mut stats = Stats::default();
        for i in 0..(RESERVOIR as u64 + 10_000) {
            stats.sent();
            stats.sample(us(1 + i % 1000));
        }
        assert_eq!(stats.samples.len(), RESERVOIR);
        let rtt = stats.summary().rtt.unwrap();
        assert!(!rtt.percentiles_exact);
        assert!((rtt.min_ms - 0.001).abs() < 1e-9 && (rtt.max_ms - 1.0).abs() < 1e-9);
        assert!((rtt.p50_ms - 0.5).abs() < 0.05, "p50 {}", rtt.p50_ms);
    }

    #[test]
    fn durations_parse_or_explain() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("5 parsecs").unwrap_err().contains("like 250ms"));
        assert!(parse_duration("0s").unwrap_err().contains("positive"));
    }
}
