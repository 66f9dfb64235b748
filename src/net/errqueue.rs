//! ICMP errors the kernel attaches to a socket with IP_RECVERR / IPV6_RECVERR
//! (the tracepath technique): which router said what, without raw sockets.

use crate::net::setsockopt;
use serde::Serialize;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, BorrowedFd};

const SO_EE_ORIGIN_ICMP: u8 = 2;
const SO_EE_ORIGIN_ICMP6: u8 = 3;

/// One ICMP error as the kernel reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IcmpError {
    pub v6: bool,
    #[serde(rename = "type")]
    pub icmp_type: u8,
    pub code: u8,
    /// The router or host that sent it (SO_EE_OFFENDER).
    pub from: Option<IpAddr>,
    pub errno: i32,
}

impl IcmpError {
    /// "host unreachable", "administratively prohibited", … in RFC 792 / 4443 words.
    pub fn reason(&self) -> &'static str {
        match (self.v6, self.icmp_type, self.code) {
            (false, 3, 0) => "net unreachable",
            (false, 3, 1) => "host unreachable",
            (false, 3, 2) => "protocol unreachable",
            (false, 3, 3) => "port unreachable",
            (false, 3, 4) => "fragmentation needed",
            (false, 3, 5) => "source route failed",
            (false, 3, 6) => "destination net unknown",
            (false, 3, 7) => "destination host unknown",
            (false, 3, 9) | (false, 3, 10) => "administratively prohibited (host/net)",
            (false, 3, 11) => "net unreachable for TOS",
            (false, 3, 12) => "host unreachable for TOS",
            (false, 3, 13) => "administratively prohibited",
            (false, 3, 14) => "host precedence violation",
            (false, 3, 15) => "precedence cutoff",
            (false, 11, _) => "time exceeded",
            (true, 1, 0) => "no route to destination",
            (true, 1, 1) => "administratively prohibited",
            (true, 1, 2) => "beyond scope of source address",
            (true, 1, 3) => "address unreachable",
            (true, 1, 4) => "port unreachable",
            (true, 1, 5) => "source address failed ingress/egress policy",
            (true, 1, 6) => "reject route to destination",
            (true, 2, _) => "packet too big",
            (true, 3, _) => "time exceeded",
            _ => "ICMP error",
        }
    }

    /// The classic traceroute marker (!H, !N, !P, !X, …).
    pub fn marker(&self) -> String {
        match (self.v6, self.icmp_type, self.code) {
            (false, 3, 0) | (false, 3, 6) | (false, 3, 11) | (true, 1, 0) => "!N".into(),
            (false, 3, 1) | (false, 3, 7) | (false, 3, 12) | (true, 1, 3) => "!H".into(),
            (false, 3, 2) => "!P".into(),
            (false, 3, 4) | (true, 2, _) => "!F".into(),
            (false, 3, 9) | (false, 3, 10) | (false, 3, 13) | (true, 1, 1) => "!X".into(),
            (false, 3, 14) => "!V".into(),
            (false, 3, 15) => "!C".into(),
            (false, 3, 3) | (true, 1, 4) => "!U".into(),
            (_, _, code) => format!("!<{code}>"),
        }
    }
}

/// Decodes one `IP_RECVERR`/`IPV6_RECVERR` control message: a
/// `struct sock_extended_err` (16 bytes) followed by the offender's sockaddr.
/// Errors that did not come from ICMP (local errors) give `None`.
pub fn parse_extended_err(data: &[u8]) -> Option<IcmpError> {
    if data.len() < 16 {
        return None;
    }
    let errno = u32::from_ne_bytes(data[0..4].try_into().ok()?) as i32;
    let origin = data[4];
    if origin != SO_EE_ORIGIN_ICMP && origin != SO_EE_ORIGIN_ICMP6 {
        return None;
    }
    Some(IcmpError {
        v6: origin == SO_EE_ORIGIN_ICMP6,
        icmp_type: data[5],
        code: data[6],
        from: parse_sockaddr(&data[16..]),
        errno,
    })
}

/// The address of a raw `sockaddr_in` / `sockaddr_in6` (AF_UNSPEC gives None).
pub(crate) fn parse_sockaddr(data: &[u8]) -> Option<IpAddr> {
    let family = u16::from_ne_bytes(data.get(0..2)?.try_into().ok()?);
    match i32::from(family) {
        libc::AF_INET => {
            let octets: [u8; 4] = data.get(4..8)?.try_into().ok()?;
            Some(IpAddr::V4(Ipv4Addr::from(octets)))
        }
        libc::AF_INET6 => {
            let octets: [u8; 16] = data.get(8..24)?.try_into().ok()?;
            Some(IpAddr::V6(Ipv6Addr::from(octets)))
        }
        _ => None,
    }
}

/// One message from a socket's error queue: the ICMP error, and what the
/// kernel kept of the probe it answers, so a caller can tell which probe it was.
#[derive(Debug, Clone)]
pub struct Queued {
    pub icmp: IcmpError,
    /// SO_EE info: the next-hop MTU for "fragmentation needed" / "packet too big".
    pub info: u32,
    /// The payload of the offending datagram (for UDP the UDP payload, for ICMP
    /// datagram sockets the echo request from its ICMP header on), truncated
    /// to what the router quoted and to `PAYLOAD_MAX`.
    pub payload: Vec<u8>,
    /// The offending datagram's destination, port included.
    pub dest: Option<std::net::SocketAddr>,
    /// The TTL / hop limit the ICMP error arrived with (with IP_RECVTTL /
    /// IPV6_RECVHOPLIMIT on, see `enable_ttl`).
    pub ttl: Option<u8>,
}

/// What `recv_queued` keeps of an offending payload; probes are smaller.
const PAYLOAD_MAX: usize = 256;

/// Reads one message from the error queue; `None` when it is empty.
/// Non-ICMP (local) errors are consumed and skipped.
pub fn recv_queued(fd: BorrowedFd<'_>) -> io::Result<Option<Queued>> {
    loop {
        let mut control = [0u64; 64]; // 512 bytes, aligned for cmsghdr
        let mut data = [0u8; PAYLOAD_MAX];
        // SAFETY: sockaddr_storage is plain data; zeroed is AF_UNSPEC.
        let mut name: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut iov = libc::iovec { iov_base: data.as_mut_ptr().cast(), iov_len: data.len() };
        // SAFETY: msghdr is plain data; zeroed is a valid empty header.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_name = (&mut name as *mut libc::sockaddr_storage).cast();
        msg.msg_namelen = std::mem::size_of_val(&name) as libc::socklen_t;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&control) as _;
        // SAFETY: every pointer in msg refers to a live local buffer of the stated size.
        let n = unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT) };
        if n < 0 {
            let err = io::Error::last_os_error();
            return match err.raw_os_error() {
                Some(libc::EAGAIN) => Ok(None),
                _ => Err(err),
            };
        }
        let len = (n as usize).min(data.len());
        let mut found = None;
        let mut ttl = None;
        // SAFETY: the CMSG_* macros walk the control buffer the kernel just filled,
        // bounded by msg_controllen.
        unsafe {
            let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
            while !cmsg.is_null() {
                let level = (*cmsg).cmsg_level;
                let kind = (*cmsg).cmsg_type;
                if (level == libc::SOL_IP && kind == libc::IP_RECVERR)
                    || (level == libc::SOL_IPV6 && kind == libc::IPV6_RECVERR)
                {
                    let header = libc::CMSG_LEN(0) as usize;
                    let clen = ((*cmsg).cmsg_len as usize).saturating_sub(header);
                    let bytes = std::slice::from_raw_parts(libc::CMSG_DATA(cmsg), clen);
                    if let Some(icmp) = parse_extended_err(bytes) {
                        let info = u32::from_ne_bytes(bytes[8..12].try_into().unwrap_or_default());
                        found = Some((icmp, info));
                    }
                } else if (level == libc::SOL_IP && kind == libc::IP_TTL)
                    || (level == libc::SOL_IPV6 && kind == libc::IPV6_HOPLIMIT)
                {
                    ttl = cmsg_int(cmsg);
                }
                cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
            }
        }
        if let Some((icmp, info)) = found {
            // SAFETY: the kernel wrote msg_namelen bytes of a sockaddr into `name`.
            let raw = unsafe {
                std::slice::from_raw_parts(
                    (&name as *const libc::sockaddr_storage).cast::<u8>(),
                    (msg.msg_namelen as usize).min(std::mem::size_of_val(&name)),
                )
            };
            let dest = parse_sockaddr(raw).map(|ip| std::net::SocketAddr::new(ip, sockaddr_port(raw)));
            return Ok(Some(Queued { icmp, info, payload: data[..len].to_vec(), dest, ttl }));
        }
    }
}

/// The int a TTL / hop-limit control message carries, as a u8.
///
/// # Safety
/// `cmsg` points at a control message inside a buffer the kernel filled.
pub(crate) unsafe fn cmsg_int(cmsg: *const libc::cmsghdr) -> Option<u8> {
    // SAFETY: the caller's contract; the length is checked before reading.
    unsafe {
        #[allow(clippy::unnecessary_cast)] // size_t with glibc, socklen_t with musl
        let len = ((*cmsg).cmsg_len as usize).saturating_sub(libc::CMSG_LEN(0) as usize);
        (len >= 4).then(|| std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::c_int>()))
    }
    .and_then(|v| u8::try_from(v).ok())
}

/// Asks the kernel to attach the TTL (hop limit) of what arrives, errors
/// included, as a control message.
pub fn enable_ttl(fd: BorrowedFd<'_>, v6: bool) -> io::Result<()> {
    let on: libc::c_int = 1;
    let (level, name) = if v6 { (libc::SOL_IPV6, libc::IPV6_RECVHOPLIMIT) } else { (libc::SOL_IP, libc::IP_RECVTTL) };
    setsockopt(&fd, level, name, &on)
}

fn sockaddr_port(raw: &[u8]) -> u16 {
    raw.get(2..4).map_or(0, |p| u16::from_be_bytes([p[0], p[1]]))
}

/// Drains a socket's error queue and returns the last ICMP error in it.
pub fn drain(fd: BorrowedFd<'_>) -> io::Result<Option<IcmpError>> {
    let mut last = None;
    while let Some(queued) = recv_queued(fd)? {
        last = Some(queued.icmp);
    }
    Ok(last)
}

/// Asks the kernel to queue ICMP errors on this socket.
pub fn enable(fd: BorrowedFd<'_>, v6: bool) -> io::Result<()> {
    let on: libc::c_int = 1;
    let (level, name) = if v6 { (libc::SOL_IPV6, libc::IPV6_RECVERR) } else { (libc::SOL_IP, libc::IP_RECVERR) };
    setsockopt(&fd, level, name, &on)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ee(origin: u8, icmp_type: u8, code: u8, offender: &[u8]) -> Vec<u8> {
        let mut v = (libc::EHOSTUNREACH as u32).to_ne_bytes().to_vec();
        v.extend([origin, icmp_type, code, 0]);
        v.extend([0u8; 8]);
        v.extend(offender);
        v
    }

    #[test]
    fn decodes_v4_offender_and_reason() {
        let mut sin = (libc::AF_INET as u16).to_ne_bytes().to_vec();
        sin.extend([0, 0, 198, 18, 2, 1]);
        sin.extend([0u8; 8]);
        let icmp = parse_extended_err(&ee(SO_EE_ORIGIN_ICMP, 3, 13, &sin)).unwrap();
        assert_eq!(icmp.from, Some("198.18.2.1".parse().unwrap()));
        assert_eq!((icmp.reason(), icmp.marker().as_str()), ("administratively prohibited", "!X"));
        assert_eq!(icmp.errno, libc::EHOSTUNREACH);
    }

    #[test]
    fn decodes_v6_and_ignores_local_or_short() {
        let mut sin6 = (libc::AF_INET6 as u16).to_ne_bytes().to_vec();
        sin6.extend([0u8; 6]);
        sin6.extend("2001:db8:2::1".parse::<Ipv6Addr>().unwrap().octets());
        let icmp = parse_extended_err(&ee(SO_EE_ORIGIN_ICMP6, 1, 3, &sin6)).unwrap();
        assert_eq!(icmp.from, Some("2001:db8:2::1".parse().unwrap()));
        assert_eq!(icmp.reason(), "address unreachable");
        assert_eq!(parse_extended_err(&ee(1, 0, 0, &[])), None); // SO_EE_ORIGIN_LOCAL
        assert_eq!(parse_extended_err(&[2, 3]), None);
        let truncated = parse_extended_err(&ee(SO_EE_ORIGIN_ICMP, 3, 1, &[2, 0, 0])).unwrap();
        assert_eq!(truncated.from, None);
    }
}
