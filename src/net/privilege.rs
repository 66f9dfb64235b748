//! What this process may do with the network: CAP_NET_RAW, CAP_NET_ADMIN, and
//! whether unprivileged ICMP datagram sockets are open to it.

use crate::error::Error;

const CAP_NET_ADMIN: u32 = 12;
const CAP_NET_RAW: u32 = 13;

/// The effective capability mask from a /proc/<pid>/status text.
fn effective_caps(status: &str) -> Option<u64> {
    let hex = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?.trim();
    u64::from_str_radix(hex, 16).ok()
}

fn has_cap(bit: u32) -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| effective_caps(&s))
        .is_some_and(|caps| caps & (1 << bit) != 0)
}

pub fn has_net_raw() -> bool {
    has_cap(CAP_NET_RAW)
}

pub fn has_net_admin() -> bool {
    has_cap(CAP_NET_ADMIN)
}

/// Whether `net.ipv4.ping_group_range` (which also governs ICMPv6 datagram
/// sockets) includes one of our groups.
pub fn ping_sockets_allowed() -> bool {
    let Ok(range) = std::fs::read_to_string("/proc/sys/net/ipv4/ping_group_range") else { return false };
    // SAFETY: getgid/getgroups only read process credentials into our buffer.
    let mut groups = vec![unsafe { libc::getgid() }];
    let n = unsafe { libc::getgroups(0, std::ptr::null_mut()) };
    if n > 0 {
        let mut extra = vec![0; n as usize];
        let n = unsafe { libc::getgroups(n, extra.as_mut_ptr()) };
        extra.truncate(n.max(0) as usize);
        groups.extend(extra);
    }
    in_group_range(&range, &groups)
}

fn in_group_range(range: &str, groups: &[u32]) -> bool {
    let mut bounds = range.split_whitespace().filter_map(|n| n.parse::<u64>().ok());
    match (bounds.next(), bounds.next()) {
        (Some(lo), Some(hi)) => groups.iter().any(|g| (lo..=hi).contains(&u64::from(*g))),
        _ => false,
    }
}

/// Fails with the remedies when `what` needs CAP_NET_RAW and we lack it.
/// `fallback` names the unprivileged alternative, when there is one.
pub fn require_net_raw(what: &str, fallback: Option<&str>) -> Result<(), Error> {
    if has_net_raw() {
        return Ok(());
    }
    Err(Error::Privilege { what: what.to_string(), fallback: fallback.map(str::to_string) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_effective_mask() {
        let status = "Name:\tnetwalk\nCapPrm:\t0000000000000000\nCapEff:\t0000000000002000\n";
        let caps = effective_caps(status).unwrap();
        assert!(caps & (1 << CAP_NET_RAW) != 0 && caps & (1 << CAP_NET_ADMIN) == 0);
        assert_eq!(effective_caps("Name:\tx\n"), None);
    }

    #[test]
    fn group_range_bounds_are_inclusive() {
        assert!(in_group_range("0\t2147483647\n", &[1000]));
        assert!(in_group_range("1000 1000", &[5, 1000]));
        assert!(!in_group_range("1\t0\n", &[0, 1]), "the kernel default '1 0' allows nobody");
        assert!(!in_group_range("garbage", &[0]));
    }
}
