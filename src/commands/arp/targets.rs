//! What `netwalk arp` is asked about: one address, or a CIDR / range to sweep.

use crate::error::Error;
use std::net::{IpAddr, Ipv4Addr};

/// Largest sweep without `--force` (a /16).
pub const SWEEP_LIMIT: u64 = 1 << 16;
/// Largest sweep even with `--force` (a /12): memory stays bounded.
pub const SWEEP_HARD_LIMIT: u64 = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec {
    One(IpAddr),
    /// Inclusive IPv4 range, already stripped of network and broadcast
    /// addresses when it came from a CIDR.
    Sweep {
        first: Ipv4Addr,
        last: Ipv4Addr,
    },
}

impl Spec {
    pub fn addresses(&self) -> Vec<IpAddr> {
        match self {
            Spec::One(ip) => vec![*ip],
            Spec::Sweep { first, last } => {
                (u32::from(*first)..=u32::from(*last)).map(|n| IpAddr::V4(Ipv4Addr::from(n))).collect()
            }
        }
    }
}

fn bad(text: &str) -> Error {
    Error::usage_with_hint(
        format!("'{text}' is not an IP address, CIDR or range"),
        "write 198.18.5.20, 2001:db8::20, 198.18.5.0/24, 198.18.5.10-198.18.5.40 or 198.18.5.10-40",
    )
}

/// Parses TARGET; sweeps larger than a /16 need `force`.
pub fn parse(text: &str, force: bool) -> Result<Spec, Error> {
    let text = text.trim();
    let spec = if let Some((addr, len)) = text.split_once('/') {
        let addr: IpAddr = addr.parse().map_err(|_| bad(text))?;
        let IpAddr::V4(addr) = addr else {
            return Err(Error::usage_with_hint(
                format!("cannot sweep {text}: sweeps are IPv4 only"),
                "an IPv6 subnet is far too large to ask address by address; give one IPv6 address, or see `netwalk arp --cache`",
            ));
        };
        let len: u32 = len.parse().ok().filter(|l| *l <= 32).ok_or_else(|| bad(text))?;
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        let network = u32::from(addr) & mask;
        let broadcast = network | !mask;
        match len {
            32 => Spec::One(IpAddr::V4(addr)),
            31 => Spec::Sweep { first: network.into(), last: broadcast.into() },
            _ => Spec::Sweep { first: (network + 1).into(), last: (broadcast - 1).into() },
        }
    } else if let Some((a, b)) = text.split_once('-') {
        let first: Ipv4Addr = a.trim().parse().map_err(|_| bad(text))?;
        let last: Ipv4Addr = match b.trim().parse::<Ipv4Addr>() {
            Ok(last) => last,
            // "198.18.5.10-40": the last octet only
            Err(_) => {
                let octet: u8 = b.trim().parse().map_err(|_| bad(text))?;
                let o = first.octets();
                Ipv4Addr::new(o[0], o[1], o[2], octet)
            }
        };
        if last < first {
            return Err(Error::usage(format!("range {text} ends before it starts")));
        }
        Spec::Sweep { first, last }
    } else {
        Spec::One(text.parse().map_err(|_| bad(text))?)
    };
    if let Spec::Sweep { first, last } = spec {
        let size = u64::from(u32::from(last) - u32::from(first)) + 1;
        if size > SWEEP_HARD_LIMIT {
            return Err(Error::usage(format!(
                "{text} has {size} addresses; sweeps stop at {SWEEP_HARD_LIMIT} (a /12)"
            )));
        }
        if size > SWEEP_LIMIT && !force {
            return Err(Error::usage_with_hint(
                format!("{text} has {size} addresses, more than a /16"),
                "add --force if you really mean to ask that many",
            ));
        }
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn addresses_cidrs_and_ranges() {
        assert_eq!(parse("198.18.5.20", false).unwrap(), Spec::One("198.18.5.20".parse().unwrap()));
        assert_eq!(parse("2001:db8::20", false).unwrap(), Spec::One("2001:db8::20".parse().unwrap()));
        assert_eq!(
            parse("198.18.5.77/24", false).unwrap(),
            Spec::Sweep { first: v4("198.18.5.1"), last: v4("198.18.5.254") }
        );
        assert_eq!(parse("198.18.5.7/32", false).unwrap(), Spec::One("198.18.5.7".parse().unwrap()));
        assert_eq!(parse("198.18.5.6/31", false).unwrap().addresses().len(), 2);
        assert_eq!(
            parse("198.18.5.10-40", false).unwrap(),
            Spec::Sweep { first: v4("198.18.5.10"), last: v4("198.18.5.40") }
        );
        assert_eq!(parse("198.18.5.250-198.18.6.3", false).unwrap().addresses().len(), 10);
        assert_eq!(parse("198.18.0.0/16", false).unwrap().addresses().len(), 65534);
    }

    #[test]
    fn bad_input_is_a_usage_error() {
        for text in ["198.18.5", "198.18.5.0/33", "198.18.5.0/x", "web.test", "198.18.5.40-10", "198.18.5.1-300", ""] {
            let e = parse(text, false).unwrap_err();
            assert_eq!(e.exit(), crate::error::Exit::Usage, "{text}");
        }
        assert!(parse("2001:db8::/64", false).unwrap_err().to_string().contains("IPv4 only"));
        let big = parse("198.18.0.0/15", false).unwrap_err();
        assert!(big.line().contains("--force"), "{}", big.line());
        assert!(parse("198.18.0.0/15", true).is_ok());
        assert!(parse("10.0.0.0/8", true).is_err(), "bounded even with --force");
    }
}
