//! Layer 2 I/O: an AF_PACKET socket bound to one interface and one EtherType,
//! sending whole Ethernet frames and receiving them with the kernel's own
//! timestamps. Protocol-agnostic (ARP, NDP, DHCP all ride on it); callers
//! build and filter frames themselves.
//!
//! Timing: SO_TIMESTAMPING asks for software RX stamps (taken when the frame
//! enters the stack) and software TX stamps (taken when the driver hands the
//! frame to the device), both on CLOCK_REALTIME. A TX stamp comes back on the
//! socket's error queue with a copy of the frame, so the caller can tell which
//! send it belongs to. An RTT is then RX stamp − TX stamp, with no user-space
//! scheduling in it. When a driver gives no TX stamp, `send` also returns the
//! clock read just before the syscall, marked as a user-space figure.

use crate::error::Error;
use crate::net::setsockopt;
use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;
use tokio::io::unix::AsyncFd;

/// Largest frame kept: a standard MTU plus headers and a VLAN tag. Longer
/// frames are cut here and flagged, so a hostile sender cannot grow memory.
pub const MAX_FRAME: usize = 1600;

/// A CLOCK_REALTIME reading (time since the Unix epoch), as the kernel stamps
/// packets. Only differences between two of them mean anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp {
    pub since_epoch: Duration,
    /// Taken by the kernel on the packet path (true) or read in user space.
    pub kernel: bool,
}

impl Stamp {
    /// The user-space clock now, for when the kernel gave no stamp.
    pub fn user_now() -> Stamp {
        let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Stamp { since_epoch, kernel: false }
    }

    /// `self − earlier`, or None when the clock went backwards (stepped).
    pub fn since(self, earlier: Stamp) -> Option<Duration> {
        self.since_epoch.checked_sub(earlier.since_epoch)
    }
}

/// What one `recv` produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// A frame arrived (or was looped back); `len` bytes are in the buffer.
    /// `wire_len` is the frame's whole length; `hatype` the interface's
    /// ARPHRD_* type (1 Ethernet, 772 loopback).
    Frame { len: usize, truncated: bool, at: Stamp, kind: FrameKind, wire_len: usize, hatype: u16 },
    /// The kernel's TX stamp for a frame we sent; its first `len` bytes are in the buffer.
    Sent { len: usize, at: Stamp },
}

/// sockaddr_ll's packet type: who the frame was addressed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// Unicast to this host.
    Host,
    Broadcast,
    Multicast,
    /// Unicast to another host (promiscuous or a bridge port).
    OtherHost,
    /// A copy of a frame this host sent (only on ETH_P_ALL sockets).
    Outgoing,
}

/// An AF_PACKET SOCK_RAW socket bound to one interface and EtherType.
pub struct PacketSocket {
    fd: AsyncFd<OwnedFd>,
    ifindex: u32,
    tx_stamps: bool,
}

/// EtherType that makes a packet socket see every protocol.
pub const ETH_P_ALL: u16 = libc::ETH_P_ALL as u16;

fn sockaddr_ll(ifindex: u32, ethertype: u16) -> libc::sockaddr_ll {
    // SAFETY: sockaddr_ll is plain data; all-zero is a valid value.
    let mut addr: libc::sockaddr_ll = unsafe { zeroed() };
    addr.sll_family = libc::AF_PACKET as u16;
    addr.sll_protocol = ethertype.to_be();
    addr.sll_ifindex = ifindex as i32;
    addr
}

impl PacketSocket {
    /// Creates a packet socket that receives nothing until [`PacketSocket::bind`].
    /// Kernel timestamping is switched on here: the kernel enables RX stamps
    /// system-wide through deferred work, so doing it before the route and
    /// interface lookups gives that work time to finish before the first
    /// frame. `what` names the operation for the missing-privilege error.
    pub fn new(what: &str) -> Result<PacketSocket, Error> {
        crate::net::privilege::require_net_raw(what, None)?;
        // Protocol 0: no frame from any interface until bind() names ours.
        // SAFETY: plain socket(2); the fd is owned right below.
        let raw =
            unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0) };
        if raw < 0 {
            let e = io::Error::last_os_error();
            return Err(match e.raw_os_error() {
                Some(libc::EPERM) | Some(libc::EACCES) => Error::Privilege { what: what.to_string(), fallback: None },
                _ => Error::io("cannot open a packet socket", e),
            });
        }
        // SAFETY: raw is a fresh descriptor nobody else owns.
        PacketSocket::from_fd(unsafe { OwnedFd::from_raw_fd(raw) })
    }

    /// Takes over an AF_PACKET SOCK_RAW socket made elsewhere (e.g. inside a
    /// lab host's network namespace), switching on non-blocking mode and
    /// kernel timestamps as [`PacketSocket::new`] does.
    pub fn from_fd(fd: OwnedFd) -> Result<PacketSocket, Error> {
        // SAFETY: fcntl on a descriptor we own.
        unsafe {
            let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
            if flags < 0 || libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
                return Err(Error::io("cannot make the packet socket non-blocking", io::Error::last_os_error()));
            }
        }
        // Room for a sweep's burst of replies; the kernel caps it at rmem_max.
        let _ = setsockopt(&fd, libc::SOL_SOCKET, libc::SO_RCVBUF, &(1i32 << 20));
        let flags =
            libc::SOF_TIMESTAMPING_RX_SOFTWARE | libc::SOF_TIMESTAMPING_TX_SOFTWARE | libc::SOF_TIMESTAMPING_SOFTWARE;
        let tx_stamps = setsockopt(&fd, libc::SOL_SOCKET, libc::SO_TIMESTAMPING, &flags).is_ok();
        if !tx_stamps {
            // Older kernels: at least nanosecond RX stamps.
            setsockopt(&fd, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, &1i32)
                .map_err(|e| Error::io("cannot enable kernel timestamps on the packet socket", e))?;
        }
        // SAFETY: the AsyncFd owns the OwnedFd for the socket's whole life.
        let fd = unsafe { AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE) }
            .map_err(|e| Error::io("cannot register the packet socket with the runtime", e.into_parts().1))?;
        Ok(PacketSocket { fd, ifindex: 0, tx_stamps })
    }

    /// Binds to interface `ifindex` and frames of `ethertype` (host order,
    /// e.g. 0x0806 for ARP; [`ETH_P_ALL`] for all).
    pub fn bind(&mut self, ifindex: u32, ethertype: u16) -> Result<(), Error> {
        let addr = sockaddr_ll(ifindex, ethertype);
        // SAFETY: addr is a valid sockaddr_ll of the size given.
        let rc = unsafe {
            libc::bind(
                self.fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            let e = io::Error::last_os_error();
            return Err(match e.raw_os_error() {
                Some(libc::ENODEV) => {
                    Error::NoSuchInterface { name: format!("index {ifindex}"), available: Vec::new() }
                }
                _ => Error::io(format!("cannot bind a packet socket to interface index {ifindex}"), e),
            });
        }
        self.ifindex = ifindex;
        Ok(())
    }

    /// `new` and `bind` in one step.
    pub fn open(ifindex: u32, ethertype: u16, what: &str) -> Result<PacketSocket, Error> {
        let mut socket = PacketSocket::new(what)?;
        socket.bind(ifindex, ethertype)?;
        Ok(socket)
    }

    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// Sends one complete Ethernet frame (destination MAC first). Returns the
    /// user-space clock read just before the syscall, the fallback send time
    /// for when no kernel TX stamp comes back.
    pub fn send(&self, frame: &[u8]) -> io::Result<Stamp> {
        let before = Stamp::user_now();
        loop {
            // SAFETY: frame is a live buffer of frame.len() bytes; the socket is bound.
            let n = unsafe { libc::send(self.fd.as_raw_fd(), frame.as_ptr().cast(), frame.len(), 0) };
            if n >= 0 {
                return Ok(before);
            }
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINTR) => continue,
                // A full device queue: the caller's rate control retries later.
                _ => return Err(e),
            }
        }
    }

    /// The next event: first any TX stamps waiting on the error queue (so a
    /// send's stamp is always seen before the reply to it), then a frame.
    /// `buf` should hold [`MAX_FRAME`] bytes.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<Received> {
        loop {
            if let Some(sent) = self.try_recv_sent(buf)? {
                return Ok(sent);
            }
            let mut guard = self.fd.readable().await?;
            // A stamp that landed while we slept still goes first.
            if let Some(sent) = self.try_recv_sent(buf)? {
                return Ok(sent);
            }
            match guard.try_io(|fd| recv_frame(fd.get_ref(), buf)) {
                Ok(result) => return result,
                Err(_would_block) => continue,
            }
        }
    }

    /// A TX stamp or frame that is already waiting, or None (never blocks).
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<Option<Received>> {
        if let Some(sent) = self.try_recv_sent(buf)? {
            return Ok(Some(sent));
        }
        match recv_frame(self.fd.get_ref(), buf) {
            Ok(r) => Ok(Some(r)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A TX stamp from the error queue, if one is waiting (never blocks).
    pub fn try_recv_sent(&self, buf: &mut [u8]) -> io::Result<Option<Received>> {
        if !self.tx_stamps {
            return Ok(None);
        }
        match recvmsg(self.fd.get_ref(), buf, libc::MSG_ERRQUEUE) {
            Ok(msg) => {
                Ok(Some(Received::Sent { len: msg.len.min(buf.len()), at: msg.stamp.unwrap_or_else(Stamp::user_now) }))
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn recv_frame(fd: &OwnedFd, buf: &mut [u8]) -> io::Result<Received> {
    let msg = recvmsg(fd, buf, libc::MSG_TRUNC)?;
    let kind = match msg.pkttype {
        libc::PACKET_HOST => FrameKind::Host,
        libc::PACKET_BROADCAST => FrameKind::Broadcast,
        libc::PACKET_MULTICAST => FrameKind::Multicast,
        libc::PACKET_OUTGOING => FrameKind::Outgoing,
        _ => FrameKind::OtherHost,
    };
    Ok(Received::Frame {
        len: msg.len.min(buf.len()),
        truncated: msg.len > buf.len(),
        at: msg.stamp.unwrap_or_else(Stamp::user_now),
        kind,
        wire_len: msg.len,
        hatype: msg.hatype,
    })
}

struct Msg {
    len: usize,
    pkttype: u8,
    hatype: u16,
    stamp: Option<Stamp>,
}

/// recvmsg(2) with the address and control data we need: the packet type
/// and the kernel's software timestamp.
fn recvmsg(fd: &OwnedFd, buf: &mut [u8], flags: i32) -> io::Result<Msg> {
    // u64 alignment for the cmsg headers; room for SCM_TIMESTAMPING (3
    // timespecs) plus the error queue's sock_extended_err and its address.
    let mut control = [0u64; 32];
    // SAFETY: sockaddr_ll is plain data.
    let mut from: libc::sockaddr_ll = unsafe { zeroed() };
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    // SAFETY: msghdr is plain data; every pointer set below outlives the call.
    let mut msg: libc::msghdr = unsafe { zeroed() };
    msg.msg_name = (&mut from as *mut libc::sockaddr_ll).cast();
    msg.msg_namelen = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = size_of::<[u64; 32]>() as _;
    let n = loop {
        // SAFETY: msg describes valid buffers (see above).
        let n = unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, flags | libc::MSG_DONTWAIT) };
        if n >= 0 {
            break n as usize;
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    };
    let mut stamp = None;
    // SAFETY: the CMSG_* macros walk the control buffer the kernel filled,
    // bounded by msg_controllen; data is read unaligned.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            let (level, ty) = ((*cmsg).cmsg_level, (*cmsg).cmsg_type);
            let data = libc::CMSG_DATA(cmsg);
            if level == libc::SOL_SOCKET && ty == libc::SCM_TIMESTAMPING {
                // ts[0] is the software stamp; ts[1], ts[2] are legacy/hardware.
                let ts: libc::timespec = std::ptr::read_unaligned(data.cast());
                stamp = to_stamp(ts);
            } else if level == libc::SOL_SOCKET && ty == libc::SCM_TIMESTAMPNS && stamp.is_none() {
                let ts: libc::timespec = std::ptr::read_unaligned(data.cast());
                stamp = to_stamp(ts);
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    Ok(Msg { len: n, pkttype: from.sll_pkttype, hatype: from.sll_hatype, stamp })
}

fn to_stamp(ts: libc::timespec) -> Option<Stamp> {
    if ts.tv_sec <= 0 && ts.tv_nsec <= 0 {
        return None; // the kernel had no stamp for this one
    }
    let since_epoch = Duration::new(u64::try_from(ts.tv_sec).ok()?, u32::try_from(ts.tv_nsec).ok()?);
    Some(Stamp { since_epoch, kernel: true })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_subtract_and_refuse_backwards_clocks() {
        let a = Stamp { since_epoch: Duration::from_micros(1_000), kernel: true };
        let b = Stamp { since_epoch: Duration::from_micros(1_250), kernel: true };
        assert_eq!(b.since(a), Some(Duration::from_micros(250)));
        assert_eq!(a.since(b), None);
    }

    #[test]
    fn zero_timespec_is_no_stamp() {
        assert_eq!(to_stamp(libc::timespec { tv_sec: 0, tv_nsec: 0 }), None);
        let s = to_stamp(libc::timespec { tv_sec: 2, tv_nsec: 5 }).unwrap();
        assert_eq!(s.since_epoch, Duration::new(2, 5));
        assert!(s.kernel);
    }
}
