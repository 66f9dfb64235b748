//! The kernel's routing and neighbour tables through rtnetlink: a small
//! hand-written request/dump client (NETLINK_ROUTE), enough for "which route
//! and gateway does this destination take" (RTM_GETROUTE, as `ip route get`)
//! and "what is in the neighbour cache" (RTM_GETNEIGH dump, as `ip neigh`).

use crate::error::Error;
use crate::net::setsockopt;
use serde::Serialize;
use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

const NLMSG_HDRLEN: usize = 16;
/// Upper bound on what one dump may return, whatever the kernel says.
const MAX_DUMP_BYTES: usize = 64 << 20;

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// One netlink message: its type and payload (after the header).
struct Message {
    kind: u16,
    payload: Vec<u8>,
}

fn open() -> io::Result<OwnedFd> {
    // SAFETY: plain socket(2); ownership is taken at once.
    let raw = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, libc::NETLINK_ROUTE) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: raw is a fresh descriptor.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    // The kernel answers at once; a bound wait keeps a wedged stack from hanging us.
    let timeout = libc::timeval { tv_sec: 2, tv_usec: 0 };
    let _ = setsockopt(&fd, libc::SOL_SOCKET, libc::SO_RCVTIMEO, &timeout);
    Ok(fd)
}

/// Sends one request and collects the answer: every message up to
/// NLMSG_DONE for a dump, the first one otherwise.
fn request(kind: u16, flags: u16, body: &[u8]) -> io::Result<Vec<Message>> {
    let fd = open()?;
    let dump = flags & libc::NLM_F_DUMP as u16 != 0;
    let seq = 1u32;
    let mut msg = Vec::with_capacity(NLMSG_HDRLEN + body.len());
    msg.extend_from_slice(&((NLMSG_HDRLEN + body.len()) as u32).to_ne_bytes());
    msg.extend_from_slice(&kind.to_ne_bytes());
    msg.extend_from_slice(&(flags | libc::NLM_F_REQUEST as u16).to_ne_bytes());
    msg.extend_from_slice(&seq.to_ne_bytes());
    msg.extend_from_slice(&0u32.to_ne_bytes());
    msg.extend_from_slice(body);
    // SAFETY: sockaddr_nl is plain data; the kernel is pid 0.
    let mut kernel: libc::sockaddr_nl = unsafe { zeroed() };
    kernel.nl_family = libc::AF_NETLINK as u16;
    // SAFETY: msg and kernel are live for the call.
    let sent = unsafe {
        libc::sendto(
            fd.as_raw_fd(),
            msg.as_ptr().cast(),
            msg.len(),
            0,
            (&kernel as *const libc::sockaddr_nl).cast(),
            size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut out = Vec::new();
    let mut total = 0usize;
    // Not zeroed: the kernel writes what it sends, and only the pages it
    // touches are faulted in (a route answer is a few hundred bytes).
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    loop {
        // SAFETY: buf's spare capacity is live and writable for its length.
        let n = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.capacity(), 0) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(e);
        }
        // SAFETY: recv initialised the first n bytes (n <= capacity).
        unsafe { buf.set_len(n as usize) };
        total += n as usize;
        if total > MAX_DUMP_BYTES {
            return Err(io::Error::other("the kernel's answer is larger than 64 MiB"));
        }
        let mut rest = &buf[..n as usize];
        while rest.len() >= NLMSG_HDRLEN {
            let len = u32::from_ne_bytes(rest[0..4].try_into().unwrap_or_default()) as usize;
            let kind = u16::from_ne_bytes([rest[4], rest[5]]);
            if len < NLMSG_HDRLEN || len > rest.len() {
                return Err(io::Error::other("malformed netlink message"));
            }
            let payload = &rest[NLMSG_HDRLEN..len];
            match kind as i32 {
                libc::NLMSG_DONE => return Ok(out),
                libc::NLMSG_ERROR => {
                    let errno = payload.get(0..4).map(|b| i32::from_ne_bytes(b.try_into().unwrap_or_default()));
                    match errno {
                        Some(0) => return Ok(out), // an ACK
                        Some(e) => return Err(io::Error::from_raw_os_error(-e)),
                        None => return Err(io::Error::other("truncated netlink error")),
                    }
                }
                _ => out.push(Message { kind, payload: payload.to_vec() }),
            }
            if !dump {
                return Ok(out);
            }
            rest = &rest[align4(len).min(rest.len())..];
        }
    }
}

/// Route attributes (type, value) after a fixed header of `skip` bytes.
fn attributes(payload: &[u8], skip: usize) -> Vec<(u16, &[u8])> {
    let mut attrs = Vec::new();
    let mut rest = payload.get(skip..).unwrap_or_default();
    while rest.len() >= 4 {
        let len = u16::from_ne_bytes([rest[0], rest[1]]) as usize;
        let kind = u16::from_ne_bytes([rest[2], rest[3]]) & 0x3fff; // drop NLA_F_NESTED/NET_BYTEORDER
        if len < 4 || len > rest.len() {
            break;
        }
        attrs.push((kind, &rest[4..len]));
        rest = &rest[align4(len).min(rest.len())..];
    }
    attrs
}

fn ip_from(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?))),
        16 => Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?))),
        _ => None,
    }
}

fn u32_from(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(bytes.get(0..4)?.try_into().ok()?))
}

/// The name of interface `index`, or its number when it has none.
pub fn ifname(index: u32) -> String {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: buf has IF_NAMESIZE bytes as if_indextoname requires.
    let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if p.is_null() {
        return format!("if{index}");
    }
    // SAFETY: on success the kernel wrote a NUL-terminated name into buf.
    unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()
}

/// The kernel's answer to "how would you send to this address" (`ip route get`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoutePath {
    pub destination: IpAddr,
    /// unicast, local, broadcast, blackhole, unreachable, prohibit, …
    pub kind: &'static str,
    pub interface: Option<String>,
    pub ifindex: Option<u32>,
    /// The next hop when the destination is not on a directly connected link.
    pub gateway: Option<IpAddr>,
    /// The source address the kernel would pick.
    pub source: Option<IpAddr>,
}

impl RoutePath {
    /// Directly reachable on the interface's link (no gateway in between).
    pub fn on_link(&self) -> bool {
        self.kind == "unicast" && self.gateway.is_none()
    }
}

fn route_kind(t: u8) -> &'static str {
    match t {
        1 => "unicast",
        2 => "local",
        3 => "broadcast",
        4 => "anycast",
        5 => "multicast",
        6 => "blackhole",
        7 => "unreachable",
        8 => "prohibit",
        9 => "throw",
        10 => "nat",
        _ => "other",
    }
}

/// Looks up the route to `dst` (optionally forced out of `oif`). None when
/// the kernel has no route at all (ENETUNREACH and friends).
pub fn route_get(dst: IpAddr, oif: Option<u32>) -> Result<Option<RoutePath>, Error> {
    let (family, addr): (u8, Vec<u8>) = match dst {
        IpAddr::V4(a) => (libc::AF_INET as u8, a.octets().to_vec()),
        IpAddr::V6(a) => (libc::AF_INET6 as u8, a.octets().to_vec()),
    };
    // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags(u32)
    let mut body = vec![family, (addr.len() * 8) as u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let mut push_attr = |kind: u16, value: &[u8]| {
        body.extend_from_slice(&((4 + value.len()) as u16).to_ne_bytes());
        body.extend_from_slice(&kind.to_ne_bytes());
        body.extend_from_slice(value);
        body.resize(align4(body.len()), 0);
    };
    push_attr(libc::RTA_DST, &addr);
    if let Some(oif) = oif {
        push_attr(libc::RTA_OIF, &oif.to_ne_bytes());
    }
    let answer = match request(libc::RTM_GETROUTE, 0, &body) {
        Ok(answer) => answer,
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::ENETUNREACH) | Some(libc::EHOSTUNREACH) | Some(libc::EACCES) | Some(libc::EINVAL)
            ) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(Error::io(format!("cannot look up the route to {dst}"), e)),
    };
    let Some(msg) = answer.into_iter().find(|m| m.kind == libc::RTM_NEWROUTE) else { return Ok(None) };
    if msg.payload.len() < 12 {
        return Err(Error::io("reading the routing table", io::Error::other("short route message")));
    }
    let mut path = RoutePath {
        destination: dst,
        kind: route_kind(msg.payload[7]),
        interface: None,
        ifindex: None,
        gateway: None,
        source: None,
    };
    for (kind, value) in attributes(&msg.payload, 12) {
        match kind {
            libc::RTA_OIF => path.ifindex = u32_from(value),
            libc::RTA_GATEWAY => path.gateway = ip_from(value),
            libc::RTA_PREFSRC => path.source = ip_from(value),
            _ => {}
        }
    }
    path.interface = path.ifindex.map(ifname);
    Ok(Some(path))
}

/// One entry of the kernel's neighbour table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Neighbour {
    pub address: IpAddr,
    pub interface: String,
    pub ifindex: u32,
    /// None while resolution is incomplete or has failed.
    pub mac: Option<[u8; 6]>,
    /// Upper-case NUD state names as `ip neigh` prints them (usually one).
    pub states: Vec<&'static str>,
    /// The neighbour said it is a router (IPv6 NA R flag).
    pub router: bool,
}

const NUD_NAMES: [(u16, &str); 8] = [
    (0x01, "INCOMPLETE"),
    (0x02, "REACHABLE"),
    (0x04, "STALE"),
    (0x08, "DELAY"),
    (0x10, "PROBE"),
    (0x20, "FAILED"),
    (0x40, "NOARP"),
    (0x80, "PERMANENT"),
];

fn nud_names(state: u16) -> Vec<&'static str> {
    let names: Vec<_> = NUD_NAMES.iter().filter(|(bit, _)| state & bit != 0).map(|(_, n)| *n).collect();
    if names.is_empty() { vec!["NONE"] } else { names }
}

/// The IPv4 and IPv6 neighbour tables, as `ip neigh` shows them (entries in
/// NOARP state, such as multicast mappings, and proxy entries left out).
pub fn neighbours() -> Result<Vec<Neighbour>, Error> {
    // struct ndmsg: family, pad1, pad2(u16), ifindex(i32), state(u16), flags, type
    let body = [0u8; 12];
    let answer = request(libc::RTM_GETNEIGH, libc::NLM_F_DUMP as u16, &body)
        .map_err(|e| Error::io("cannot read the neighbour table", e))?;
    let mut out = Vec::new();
    for msg in answer.into_iter().filter(|m| m.kind == libc::RTM_NEWNEIGH) {
        if let Some(n) = parse_neighbour(&msg.payload) {
            out.push(n);
        }
    }
    Ok(out)
}

fn parse_neighbour(p: &[u8]) -> Option<Neighbour> {
    if p.len() < 12 {
        return None;
    }
    let family = i32::from(p[0]);
    let ifindex = u32::try_from(i32::from_ne_bytes(p[4..8].try_into().ok()?)).ok()?;
    let state = u16::from_ne_bytes([p[8], p[9]]);
    let flags = p[10];
    const NTF_PROXY: u8 = 0x08;
    const NTF_ROUTER: u8 = 0x80;
    if (family != libc::AF_INET && family != libc::AF_INET6) || state & 0x40 != 0 || flags & NTF_PROXY != 0 {
        return None;
    }
    let mut address = None;
    let mut mac = None;
    for (kind, value) in attributes(p, 12) {
        match kind {
            libc::NDA_DST => address = ip_from(value),
            libc::NDA_LLADDR => mac = <[u8; 6]>::try_from(value).ok(),
            _ => {}
        }
    }
    Some(Neighbour {
        address: address?,
        interface: ifname(ifindex),
        ifindex,
        mac,
        states: nud_names(state),
        router: flags & NTF_ROUTER != 0,
    })
}

/// One address of an interface, as `ip addr` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address {
    pub address: IpAddr,
    pub prefix_len: u8,
    pub ifindex: u32,
    /// host, link, global, …
    pub scope: &'static str,
    /// No lifetime: configured by hand or by a static configuration, not a lease
    /// (`ip addr` prints "dynamic" when this is false).
    pub permanent: bool,
    /// Seconds left of the valid and preferred lifetimes (None: forever).
    pub valid_s: Option<u32>,
    pub preferred_s: Option<u32>,
}

const IFA_F_PERMANENT: u32 = 0x80;

fn scope_name(scope: u8) -> &'static str {
    match scope {
        0 => "global",
        200 => "site",
        253 => "link",
        254 => "host",
        _ => "other",
    }
}

/// Every IPv4 and IPv6 address (RTM_GETADDR dump).
pub fn addresses() -> Result<Vec<Address>, Error> {
    // struct ifaddrmsg: family, prefixlen, flags, scope, index(u32)
    let answer = request(libc::RTM_GETADDR, libc::NLM_F_DUMP as u16, &[0u8; 8])
        .map_err(|e| Error::io("cannot read the interface addresses", e))?;
    Ok(answer.iter().filter(|m| m.kind == libc::RTM_NEWADDR).filter_map(|m| parse_address(&m.payload)).collect())
}

fn parse_address(p: &[u8]) -> Option<Address> {
    if p.len() < 8 {
        return None;
    }
    let mut flags = u32::from(p[2]);
    let (mut local, mut address, mut valid, mut preferred) = (None, None, None, None);
    for (kind, value) in attributes(p, 8) {
        match kind {
            libc::IFA_LOCAL => local = ip_from(value),
            libc::IFA_ADDRESS => address = ip_from(value),
            libc::IFA_FLAGS => flags = u32_from(value).unwrap_or(flags),
            libc::IFA_CACHEINFO if value.len() >= 8 => {
                // struct ifa_cacheinfo: ifa_prefered, ifa_valid, cstamp, tstamp
                let forever = |v: u32| (v != u32::MAX).then_some(v);
                preferred = u32_from(&value[0..4]).and_then(forever);
                valid = u32_from(&value[4..8]).and_then(forever);
            }
            _ => {}
        }
    }
    Some(Address {
        // IPv4 point-to-point links put the peer in IFA_ADDRESS: ours is IFA_LOCAL.
        address: local.or(address)?,
        prefix_len: p[1],
        ifindex: u32_from(&p[4..8])?,
        scope: scope_name(p[3]),
        permanent: flags & IFA_F_PERMANENT != 0,
        valid_s: valid,
        preferred_s: preferred,
    })
}

/// The MTU of interface `index` (RTM_GETLINK).
pub fn link_mtu(index: u32) -> Result<Option<u32>, Error> {
    // struct ifinfomsg: family, pad, type(u16), index(i32), flags(u32), change(u32)
    let mut body = vec![0u8; 16];
    body[4..8].copy_from_slice(&(index as i32).to_ne_bytes());
    let answer =
        request(libc::RTM_GETLINK, 0, &body).map_err(|e| Error::io(format!("cannot read interface {index}"), e))?;
    let Some(msg) = answer.into_iter().find(|m| m.kind == libc::RTM_NEWLINK) else { return Ok(None) };
    Ok(attributes(&msg.payload, 16).into_iter().find(|(k, _)| *k == libc::IFLA_MTU).and_then(|(_, v)| u32_from(v)))
}

/// A default route (destination length 0) of the main table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DefaultRoute {
    pub gateway: Option<IpAddr>,
    pub interface: Option<String>,
    pub ifindex: Option<u32>,
    pub metric: Option<u32>,
    /// Who installed it: `dhcp`, `static`, `boot` (ip route add), `kernel`, `ra`, …
    pub protocol: &'static str,
}

fn protocol_name(p: u8) -> &'static str {
    match p {
        1 => "redirect",
        2 => "kernel",
        3 => "boot",
        4 => "static",
        9 => "ra",
        16 => "dhcp",
        _ => "other",
    }
}

/// The IPv4 and IPv6 default routes of the main table, lowest metric first.
pub fn default_routes() -> Result<Vec<DefaultRoute>, Error> {
    let answer = request(libc::RTM_GETROUTE, libc::NLM_F_DUMP as u16, &[0u8; 12])
        .map_err(|e| Error::io("cannot read the routing table", e))?;
    let mut routes: Vec<DefaultRoute> =
        answer.iter().filter(|m| m.kind == libc::RTM_NEWROUTE).filter_map(|m| parse_default(&m.payload)).collect();
    routes.sort_by_key(|r| r.metric.unwrap_or(0));
    Ok(routes)
}

fn parse_default(p: &[u8]) -> Option<DefaultRoute> {
    // rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags
    if p.len() < 12 || p[1] != 0 || p[7] != 1 {
        return None;
    }
    let mut table = u32::from(p[4]);
    let mut route =
        DefaultRoute { gateway: None, interface: None, ifindex: None, metric: None, protocol: protocol_name(p[5]) };
    for (kind, value) in attributes(p, 12) {
        match kind {
            libc::RTA_TABLE => table = u32_from(value).unwrap_or(table),
            libc::RTA_GATEWAY => route.gateway = ip_from(value),
            libc::RTA_OIF => route.ifindex = u32_from(value),
            libc::RTA_PRIORITY => route.metric = u32_from(value),
            _ => {}
        }
    }
    if table != libc::RT_TABLE_MAIN as u32 {
        return None;
    }
    route.interface = route.ifindex.map(ifname);
    Some(route)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(kind: u16, value: &[u8]) -> Vec<u8> {
        let mut v = ((4 + value.len()) as u16).to_ne_bytes().to_vec();
        v.extend_from_slice(&kind.to_ne_bytes());
        v.extend_from_slice(value);
        v.resize(align4(v.len()), 0);
        v
    }

    #[test]
    fn parses_a_neighbour_and_skips_noarp_and_other_families() {
        let mut p = vec![libc::AF_INET as u8, 0, 0, 0];
        p.extend_from_slice(&7i32.to_ne_bytes());
        p.extend_from_slice(&0x02u16.to_ne_bytes());
        p.extend_from_slice(&[0, 1]);
        p.extend(attr(libc::NDA_DST, &[198, 18, 5, 20]));
        p.extend(attr(libc::NDA_LLADDR, &[2, 0, 0, 0, 5, 20]));
        let n = parse_neighbour(&p).unwrap();
        assert_eq!(n.address, "198.18.5.20".parse::<IpAddr>().unwrap());
        assert_eq!((n.ifindex, n.mac, n.states.clone()), (7, Some([2, 0, 0, 0, 5, 20]), vec!["REACHABLE"]));
        let mut noarp = p.clone();
        noarp[8..10].copy_from_slice(&0x40u16.to_ne_bytes());
        assert_eq!(parse_neighbour(&noarp), None);
        let mut bridge = p.clone();
        bridge[0] = libc::AF_BRIDGE as u8;
        assert_eq!(parse_neighbour(&bridge), None);
        assert_eq!(parse_neighbour(&p[..8]), None);
    }

    #[test]
    fn attributes_stop_at_a_lying_length() {
        let mut p = attr(libc::RTA_OIF, &3u32.to_ne_bytes());
        p.extend_from_slice(&[200, 0, 5, 0, 1, 2]);
        let attrs = attributes(&p, 0);
        assert_eq!(attrs.len(), 1);
        assert_eq!(u32_from(attrs[0].1), Some(3));
    }

    #[test]
    fn nud_names_like_ip_neigh() {
        assert_eq!(nud_names(0x04), vec!["STALE"]);
        assert_eq!(nud_names(0), vec!["NONE"]);
    }
}
