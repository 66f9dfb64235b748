//! When a client sends its DISCOVER (or SOLICIT) again, as the RFCs ask:
//! servers and links lose messages, and a client that asks once and gives
//! up reports "no server" on a link that has one.
//!
//! - DHCPv4, RFC 2131 §4.1: 4 s before the first retransmission, doubling
//!   up to 64 s, each randomised by a uniform ±1 s.
//! - DHCPv6, RFC 8415 §15 and §18.2.1: SOL_TIMEOUT 1 s, doubling, each
//!   randomised by ±10 % (the first strictly later than 1 s), capped at
//!   SOL_MAX_RT.
//!
//! No clock and no RNG inside: the caller passes `now` and a jitter drawn
//! uniformly from [-1, 1], so the schedule is a unit test.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rfc {
    /// RFC 2131: jitter is ±1 s absolute.
    V4,
    /// RFC 8415: jitter is ±10 % of the delay.
    V6,
}

const V4_FIRST: Duration = Duration::from_secs(4);
const V4_MAX: Duration = Duration::from_secs(64);
const V6_FIRST: Duration = Duration::from_secs(1);
const V6_MAX: Duration = Duration::from_secs(3600);

/// The retransmission schedule of one transaction.
#[derive(Debug, Clone)]
pub struct Backoff {
    rfc: Rfc,
    started: Instant,
    /// The delay before the next send, before jitter.
    base: Duration,
    next: Instant,
    /// Messages sent so far.
    pub sent: u32,
}

impl Backoff {
    /// DHCPv4 (RFC 2131); the first message goes out at `now`.
    pub fn v4(now: Instant) -> Backoff {
        Backoff { rfc: Rfc::V4, started: now, base: V4_FIRST, next: now, sent: 0 }
    }

    /// DHCPv6 (RFC 8415); the first message goes out at `now`.
    pub fn v6(now: Instant) -> Backoff {
        Backoff { rfc: Rfc::V6, started: now, base: V6_FIRST, next: now, sent: 0 }
    }

    /// When the next message is due.
    pub fn due(&self) -> Instant {
        self.next
    }

    /// A message went out at `now`; `jitter` in [-1, 1] randomises the
    /// delay before the next one.
    pub fn on_sent(&mut self, now: Instant, jitter: f64) {
        let jitter = if jitter.is_finite() { jitter.clamp(-1.0, 1.0) } else { 0.0 };
        let delay = match self.rfc {
            Rfc::V4 => {
                let ms = self.base.as_millis() as f64 + jitter * 1000.0;
                Duration::from_millis(ms.max(0.0) as u64)
            }
            Rfc::V6 => {
                // The first SOLICIT's RAND must be positive (RFC 8415 §18.2.1).
                let rand = if self.sent == 0 { jitter.abs().max(0.01) } else { jitter } * 0.1;
                self.base.mul_f64(1.0 + rand)
            }
        };
        self.sent += 1;
        self.next = now + delay;
        let max = if self.rfc == Rfc::V4 { V4_MAX } else { V6_MAX };
        self.base = (self.base * 2).min(max);
    }

    /// The time since the first message, as DHCPv4's `secs` field carries it.
    pub fn secs(&self, now: Instant) -> u16 {
        now.saturating_duration_since(self.started).as_secs().min(u64::from(u16::MAX)) as u16
    }

    /// The time since the first message in hundredths of a second, as the
    /// DHCPv6 Elapsed Time option carries it (0xffff: longer than that).
    pub fn centiseconds(&self, now: Instant) -> u16 {
        (now.saturating_duration_since(self.started).as_millis() / 10).min(0xffff) as u16
    }
}

/// A jitter for [`Backoff::on_sent`], uniform in [-1, 1].
pub fn jitter() -> f64 {
    rand::random::<f64>() * 2.0 - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaps(mut b: Backoff, jitters: &[f64]) -> Vec<Duration> {
        let mut now = b.due();
        let mut out = Vec::new();
        for &j in jitters {
            b.on_sent(now, j);
            out.push(b.due() - now);
            now = b.due();
        }
        out
    }

    #[test]
    fn v4_is_4s_doubling_to_64s_within_one_second() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        assert_eq!(gaps(Backoff::v4(t0), &[0.0; 7]), vec![s(4), s(8), s(16), s(32), s(64), s(64), s(64)]);
        assert_eq!(gaps(Backoff::v4(t0), &[-1.0, 1.0]), vec![s(3), s(9)]);
        assert_eq!(gaps(Backoff::v4(t0), &[f64::NAN, 7.0]), vec![s(4), s(9)], "bad jitter is clamped");
        let mut b = Backoff::v4(t0);
        assert_eq!(b.due(), t0, "the first DISCOVER goes out at once");
        b.on_sent(t0, 0.0);
        assert_eq!((b.sent, b.secs(t0 + Duration::from_millis(4900))), (1, 4));
    }

    #[test]
    fn v6_is_1s_doubling_within_ten_percent_and_the_first_is_late() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        assert_eq!(gaps(Backoff::v6(t0), &[0.5, 0.5, -1.0]), vec![ms(1050), ms(2100), ms(3600)]);
        let first = gaps(Backoff::v6(t0), &[-1.0])[0];
        assert!(first > ms(1000) && first <= ms(1100), "RAND > 0 for the first SOLICIT: {first:?}");
        let b = Backoff::v6(t0);
        assert_eq!(b.centiseconds(t0 + ms(1234)), 123);
        assert_eq!(b.centiseconds(t0 + Duration::from_secs(1000)), 0xffff);
    }
}
