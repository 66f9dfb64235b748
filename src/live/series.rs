//! One row's running statistics, as mtr shows them: loss, last, average,
//! best, worst, standard deviation and jitter, plus a bounded RTT history
//! for the sparkline. Constant memory however long it runs (`-c 0`).

use std::collections::VecDeque;
use std::time::Duration;

/// Probes kept for the history view: wider than any terminal row.
pub const HISTORY: usize = 256;

#[derive(Debug, Clone, Default)]
pub struct Series {
    sent: u64,
    received: u64,
    last: Option<Duration>,
    best: Option<Duration>,
    worst: Option<Duration>,
    /// Welford's running mean and sum of squared deviations, in ms.
    mean: f64,
    m2: f64,
    /// Jitter: the mean absolute difference between consecutive answers (mtr's Javg).
    prev_ms: Option<f64>,
    jitter_sum: f64,
    jitter_n: u64,
    jitter_max: f64,
    /// Newest last; None is a lost probe.
    history: VecDeque<Option<Duration>>,
}

impl Series {
    /// A probe's outcome: its RTT, or None when it was lost.
    pub fn record(&mut self, rtt: Option<Duration>) {
        self.sent += 1;
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(rtt);
        let Some(rtt) = rtt else { return };
        self.received += 1;
        self.last = Some(rtt);
        self.best = Some(self.best.map_or(rtt, |b| b.min(rtt)));
        self.worst = Some(self.worst.map_or(rtt, |w| w.max(rtt)));
        let x = crate::timing::millis(rtt);
        let delta = x - self.mean;
        self.mean += delta / self.received as f64;
        self.m2 += delta * (x - self.mean);
        if let Some(prev) = self.prev_ms {
            let j = (x - prev).abs();
            self.jitter_sum += j;
            self.jitter_n += 1;
            self.jitter_max = self.jitter_max.max(j);
        }
        self.prev_ms = Some(x);
    }

    pub fn sent(&self) -> u64 {
        self.sent
    }

    pub fn received(&self) -> u64 {
        self.received
    }

    pub fn loss_pct(&self) -> f64 {
        if self.sent == 0 { 0.0 } else { (self.sent - self.received) as f64 * 100.0 / self.sent as f64 }
    }

    pub fn last_ms(&self) -> Option<f64> {
        self.last.map(crate::timing::millis)
    }

    pub fn best_ms(&self) -> Option<f64> {
        self.best.map(crate::timing::millis)
    }

    pub fn worst_ms(&self) -> Option<f64> {
        self.worst.map(crate::timing::millis)
    }

    pub fn avg_ms(&self) -> Option<f64> {
        (self.received > 0).then_some(self.mean)
    }

    /// Population standard deviation (ping's mdev, mtr's StDev).
    pub fn stdev_ms(&self) -> Option<f64> {
        (self.received > 0).then(|| (self.m2 / self.received as f64).max(0.0).sqrt())
    }

    /// Mean jitter; None before two answers.
    pub fn jitter_ms(&self) -> Option<f64> {
        (self.jitter_n > 0).then(|| self.jitter_sum / self.jitter_n as f64)
    }

    pub fn jitter_max_ms(&self) -> Option<f64> {
        (self.jitter_n > 0).then_some(self.jitter_max)
    }

    /// The last `n` outcomes, oldest first.
    pub fn history(&self, n: usize) -> impl Iterator<Item = Option<Duration>> + '_ {
        self.history.iter().skip(self.history.len().saturating_sub(n)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Option<Duration> {
        Some(Duration::from_millis(v))
    }

    #[test]
    fn mtr_columns() {
        let mut s = Series::default();
        for rtt in [ms(10), None, ms(20), ms(30), None] {
            s.record(rtt);
        }
        assert_eq!((s.sent(), s.received()), (5, 3));
        assert_eq!(s.loss_pct(), 40.0);
        assert_eq!((s.last_ms(), s.best_ms(), s.worst_ms()), (Some(30.0), Some(10.0), Some(30.0)));
        assert!((s.avg_ms().unwrap() - 20.0).abs() < 1e-9);
        // population stdev of 10, 20, 30
        assert!((s.stdev_ms().unwrap() - (200.0f64 / 3.0).sqrt()).abs() < 1e-9);
        // |20-10|, |30-20|: a lost probe between answers does not break the chain
        assert_eq!((s.jitter_ms(), s.jitter_max_ms()), (Some(10.0), Some(10.0)));
    }

    #[test]
    fn empty_and_all_lost() {
        let mut s = Series::default();
        assert_eq!((s.loss_pct(), s.avg_ms(), s.stdev_ms(), s.jitter_ms()), (0.0, None, None, None));
        s.record(None);
        assert_eq!((s.loss_pct(), s.last_ms()), (100.0, None));
    }

    #[test]
    fn history_is_bounded_and_ordered() {
        let mut s = Series::default();
        for i in 0..(HISTORY as u64 + 10) {
            s.record(if i % 2 == 0 { ms(i) } else { None });
        }
        assert_eq!(s.history(usize::MAX).count(), HISTORY);
        let tail: Vec<_> = s.history(3).collect();
        let n = HISTORY as u64 + 10;
        assert_eq!(tail, vec![None, ms(n - 2), None]);
        assert_eq!(s.sent(), n);
    }
}
