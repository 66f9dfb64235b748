//! What this process may do with the network: CAP_NET_RAW, CAP_NET_ADMIN, and
//! whether unprivileged ICMP datagram sockets are open to it.

use crate::error::Error;

const CAP_NET_ADMIN: u32 = 12;
const CAP_NET_RAW: u32 = 13;

/// Whether capability `bit` is in this thread's effective set (capget(2):
/// one syscall, where reading /proc/self/status took eight).
fn has_cap(bit: u32) -> bool {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: libc::c_int,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const VERSION_3: u32 = 0x2008_0522; // _LINUX_CAPABILITY_VERSION_3: two Data, 64 bits
    let mut header = Header { version: VERSION_3, pid: 0 };
    let mut data = [Data::default(); 2];
    // SAFETY: capget writes two Data structs for version 3, which `data` holds.
    let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header as *mut Header, data.as_mut_ptr()) };
    rc == 0 && (u64::from(data[1].effective) << 32 | u64::from(data[0].effective)) & (1 << bit) != 0
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
    fn capget_agrees_with_proc_status() {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let hex = status.lines().find_map(|l| l.strip_prefix("CapEff:")).unwrap().trim();
        let mask = u64::from_str_radix(hex, 16).unwrap();
        for bit in [CAP_NET_RAW, CAP_NET_ADMIN, 0, 21, 40] {
            assert_eq!(has_cap(bit), mask & (1 << bit) != 0, "capability bit {bit}");
        }
    }

    #[test]
    fn group_range_bounds_are_inclusive() {
        assert!(in_group_range("0\t2147483647\n", &[1000]));
        assert!(in_group_range("1000 1000", &[5, 1000]));
        assert!(!in_group_range("1\t0\n", &[0, 1]), "the kernel default '1 0' allows nobody");
        assert!(!in_group_range("garbage", &[0]));
    }
}
