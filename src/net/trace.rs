//! Traceroute sockets: sends probes with a chosen TTL and turns whatever comes
//! back into engine replies. Two modes:
//! - raw: a raw ICMP/ICMPv6 socket sees every error and echo reply (with the
//!   full quote and ICMP extensions); UDP probes leave from ordinary UDP
//!   sockets, TCP SYNs from a raw TCP socket that also sees SYN-ACK/RST;
//! - unprivileged: ICMP datagram ("ping") sockets, or UDP sockets and one
//!   TCP connect per probe with IP_RECVERR (the tracepath technique), where
//!   the kernel matches errors to the socket and hands back the probe's payload.

use crate::commands::traceroute::engine::{Answer, ProbeSpec, Reply};
use crate::error::Error;
use crate::net::errqueue::{self, IcmpError};
use crate::net::setsockopt;
use crate::wire::icmp::{self, Message, Transport};
use crate::wire::probe;
use serde::Serialize;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Icmp,
    Udp,
    Tcp,
}

/// How the probes are sent and the answers read (printed in the header and JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Raw sockets (CAP_NET_RAW).
    Raw,
    /// ICMP datagram sockets allowed by net.ipv4.ping_group_range.
    PingSocket,
    /// UDP sockets or TCP connects reading ICMP errors through IP_RECVERR.
    RecvErr,
}

impl Mode {
    pub fn describe(self) -> &'static str {
        match self {
            Mode::Raw => "raw sockets",
            Mode::PingSocket => "unprivileged ICMP datagram socket",
            Mode::RecvErr => "unprivileged sockets with IP_RECVERR",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub method: Method,
    pub target: IpAddr,
    /// The source address the probes leave from (needed for checksums).
    pub source: IpAddr,
    /// Pin the source address with bind() (`--source`).
    pub bind_source: bool,
    pub interface: Option<String>,
    /// UDP: first destination port (classic) or the fixed one (Paris); TCP: the port.
    pub port: u16,
    /// UDP classic: the destination port changes with every probe.
    pub classic: bool,
    pub flows: u16,
    /// Path MTU discovery: set DF and never fragment locally.
    pub dont_fragment: bool,
}

/// A TCP connect in flight (unprivileged TCP): one socket per probe.
struct Connect {
    socket: Socket,
    seq: u16,
}

pub struct Prober {
    opts: Options,
    mode: Mode,
    v6: bool,
    ident: u16,
    salt: u32,
    /// Raw ICMP socket (raw mode) or ping socket (unprivileged ICMP).
    icmp: Option<Socket>,
    /// Raw TCP socket (raw TCP mode).
    tcp_raw: Option<Socket>,
    /// UDP probe sockets, one per flow, with their source ports.
    udp: Vec<(Socket, u16)>,
    /// TCP source ports per flow (raw mode), reserved by bound sockets.
    tcp_ports: Vec<(Socket, u16)>,
    connects: HashMap<RawFd, Connect>,
    /// The TTL last set on each long-lived socket: probes of one hop go out
    /// back to back, so most sends need no setsockopt.
    ttls: HashMap<RawFd, u8>,
    /// Padded SYNs (--tcp --mtu): a RST acknowledges the data too, so its
    /// ack - 1 is the probe's sequence plus the padding; mapped back here.
    rst_seq: HashMap<u32, u32>,
    /// Also watched by `recv`: readable when the run must stop or look up
    /// (Ctrl-C, a key in the live view).
    wake: Option<RawFd>,
}

fn domain(v6: bool) -> Domain {
    if v6 { Domain::IPV6 } else { Domain::IPV4 }
}

fn icmp_proto(v6: bool) -> Protocol {
    if v6 { Protocol::ICMPV6 } else { Protocol::ICMPV4 }
}

impl Prober {
    /// Opens the sockets for `opts`: raw ones unless `unprivileged` or
    /// CAP_NET_RAW is missing, in which case the unprivileged path is used
    /// or the error names the remedies.
    pub fn open(opts: Options, unprivileged: bool) -> Result<Prober, Error> {
        let v6 = opts.target.is_ipv6();
        let raw = !unprivileged && crate::net::privilege::has_net_raw();
        let mode = match (raw, opts.method) {
            (true, _) => Mode::Raw,
            (false, Method::Icmp) => {
                if !crate::net::privilege::ping_sockets_allowed() {
                    return Err(Error::Privilege {
                        what: "ICMP traceroute".into(),
                        fallback: Some(
                            "use --udp or --tcp, which need no privilege, or allow ICMP datagram sockets: \
                             sudo sysctl net.ipv4.ping_group_range='0 2147483647'"
                                .into(),
                        ),
                    });
                }
                Mode::PingSocket
            }
            (false, Method::Tcp) if opts.dont_fragment => {
                return Err(Error::Privilege {
                    what: "--tcp --mtu (SYNs padded to the probe size)".into(),
                    fallback: Some("use --udp --mtu or --icmp --mtu, which work unprivileged".into()),
                });
            }
            (false, _) => Mode::RecvErr,
        };
        let ident = (std::process::id() as u16) ^ 0x5a00;
        let salt = std::process::id().rotate_left(16) & 0xffff_0000;
        let mut p = Prober {
            opts,
            mode,
            v6,
            ident,
            salt,
            icmp: None,
            tcp_raw: None,
            udp: Vec::new(),
            tcp_ports: Vec::new(),
            connects: HashMap::new(),
            ttls: HashMap::new(),
            rst_seq: HashMap::new(),
            wake: None,
        };
        p.setup()?;
        Ok(p)
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// A descriptor `recv` watches too, so a wait ends when it is readable.
    pub fn set_wake(&mut self, fd: RawFd) {
        self.wake = Some(fd);
    }

    fn socket(&self, ty: Type, proto: Option<Protocol>, what: &str) -> Result<Socket, Error> {
        let s = Socket::new(domain(self.v6), ty.nonblocking().cloexec(), proto).map_err(|e| {
            if e.kind() == io::ErrorKind::PermissionDenied {
                Error::Privilege { what: what.into(), fallback: Some("use --unprivileged".into()) }
            } else {
                Error::io(format!("cannot create {what}"), e)
            }
        })?;
        // Room for every reply of a full window even while other ICMP (someone
        // else's pings, a flood of bogus errors) shares the socket; the kernel
        // caps it at net.core.rmem_max.
        let _ = s.set_recv_buffer_size(1 << 20);
        if let Some(name) = &self.opts.interface {
            s.bind_device(Some(name.as_bytes())).map_err(|e| match e.raw_os_error() {
                Some(libc::ENODEV) => Error::NoSuchInterface { name: name.clone(), available: vec![] },
                _ => Error::io(format!("cannot bind to interface {name}"), e),
            })?;
        }
        if self.opts.dont_fragment {
            set_pmtu_probe(&s, self.v6).map_err(|e| Error::io("cannot set the don't-fragment flag", e))?;
        }
        Ok(s)
    }

    fn bind(&self, s: &Socket, port: u16) -> Result<u16, Error> {
        let addr = if self.opts.bind_source {
            SocketAddr::new(self.opts.source, port)
        } else {
            SocketAddr::new(if self.v6 { IpAddr::from([0u16; 8]) } else { IpAddr::from([0u8; 4]) }, port)
        };
        s.bind(&addr.into()).map_err(|e| Error::SourceAddress { addr: self.opts.source, source: e })?;
        Ok(s.local_addr().ok().and_then(|a| a.as_socket()).map_or(0, |a| a.port()))
    }

    fn setup(&mut self) -> Result<(), Error> {
        let flows = self.opts.flows.max(1);
        match (self.mode, self.opts.method) {
            (Mode::Raw, method) => {
                let icmp = self.socket(Type::RAW, Some(icmp_proto(self.v6)), "a raw ICMP socket")?;
                let _ = errqueue::enable_ttl(icmp.as_fd(), self.v6);
                if self.opts.bind_source {
                    self.bind(&icmp, 0)?;
                }
                self.icmp = Some(icmp);
                match method {
                    Method::Icmp => {}
                    Method::Udp => {
                        for _ in 0..flows {
                            let s = self.socket(Type::DGRAM, Some(Protocol::UDP), "a UDP socket")?;
                            let port = self.bind(&s, 0)?;
                            self.udp.push((s, port));
                        }
                    }
                    Method::Tcp => {
                        let raw = self.socket(Type::RAW, Some(Protocol::TCP), "a raw TCP socket")?;
                        let _ = errqueue::enable_ttl(raw.as_fd(), self.v6);
                        self.tcp_raw = Some(raw);
                        for _ in 0..flows {
                            // A bound TCP socket reserves the source port; the
                            // kernel answers the SYN-ACK with a RST, as traceroute -T.
                            let s = self.socket(Type::STREAM, None, "a TCP socket")?;
                            let port = self.bind(&s, 0)?;
                            self.tcp_ports.push((s, port));
                        }
                    }
                }
            }
            (Mode::PingSocket, _) => {
                let s = self.socket(Type::DGRAM, Some(icmp_proto(self.v6)), "an ICMP datagram socket")?;
                errqueue::enable(s.as_fd(), self.v6).map_err(|e| Error::io("cannot enable IP_RECVERR", e))?;
                let _ = errqueue::enable_ttl(s.as_fd(), self.v6);
                self.ident = self.bind(&s, 0)?;
                self.icmp = Some(s);
            }
            (Mode::RecvErr, Method::Udp) => {
                for _ in 0..flows {
                    let s = self.socket(Type::DGRAM, Some(Protocol::UDP), "a UDP socket")?;
                    errqueue::enable(s.as_fd(), self.v6).map_err(|e| Error::io("cannot enable IP_RECVERR", e))?;
                    let _ = errqueue::enable_ttl(s.as_fd(), self.v6);
                    let port = self.bind(&s, 0)?;
                    self.udp.push((s, port));
                }
            }
            (Mode::RecvErr, _) => {} // TCP: a socket per probe
        }
        Ok(())
    }

    fn set_ttl(&self, s: &Socket, ttl: u8) -> io::Result<()> {
        if self.v6 { s.set_unicast_hops_v6(u32::from(ttl)) } else { s.set_ttl_v4(u32::from(ttl)) }
    }

    /// Sends a probe on a long-lived socket at `ttl`. An ICMP error that
    /// arrived for an earlier probe is left pending on the socket and fails
    /// the next send (UDP with IP_RECVERR, hard errors on raw sockets); that
    /// send consumed it, so it is retried once.
    fn send_at(ttls: &mut HashMap<RawFd, u8>, s: &Socket, ttl: u8, bytes: &[u8], to: SocketAddr) -> io::Result<()> {
        let fd = s.as_raw_fd();
        if ttls.get(&fd) != Some(&ttl) {
            if to.is_ipv6() { s.set_unicast_hops_v6(u32::from(ttl)) } else { s.set_ttl_v4(u32::from(ttl)) }?;
            ttls.insert(fd, ttl);
        }
        let to = SockAddr::from(to);
        match s.send_to(bytes, &to) {
            Ok(_) => Ok(()),
            Err(_) => s.send_to(bytes, &to).map(drop),
        }
    }

    fn udp_dport(&self, spec: &ProbeSpec) -> u16 {
        if self.opts.classic { self.opts.port.wrapping_add(spec.seq) } else { self.opts.port }
    }

    /// Bytes of payload so the whole IP packet is `size` bytes.
    fn payload_len(&self, spec: &ProbeSpec, l4_header: usize) -> usize {
        let ip = if self.v6 { 40 } else { 20 };
        usize::from(spec.size).saturating_sub(ip + l4_header)
    }

    /// Sends one probe; returns the identity its replies will carry.
    pub fn send(&mut self, spec: &ProbeSpec) -> io::Result<Transport> {
        let target = self.opts.target;
        let flow = usize::from(spec.flow);
        match (self.mode, self.opts.method) {
            (Mode::Raw | Mode::PingSocket, Method::Icmp) => {
                // Flows (ICMP has no ports) vary the identifier.
                let id = self.ident.wrapping_add(spec.flow);
                let pkt = probe::echo_request(self.v6, id, spec.seq, self.payload_len(spec, 8).max(4));
                let s = self.icmp.as_ref().ok_or_else(|| io::Error::other("no ICMP socket"))?;
                Self::send_at(&mut self.ttls, s, spec.ttl, &pkt, SocketAddr::new(target, 0))?;
                Ok(Transport::Icmp { id, seq: spec.seq })
            }
            (_, Method::Udp) => {
                let dport = self.udp_dport(spec);
                let (s, sport) = self.udp.get(flow).ok_or_else(|| io::Error::other("no UDP socket for this flow"))?;
                let sport = *sport;
                let payload =
                    probe::udp_payload(self.opts.source, target, sport, dport, spec.seq, self.payload_len(spec, 8));
                Self::send_at(&mut self.ttls, s, spec.ttl, &payload, SocketAddr::new(target, dport))?;
                Ok(Transport::Udp { sport, dport, seq: spec.seq })
            }
            (Mode::Raw, Method::Tcp) => {
                let s = self.tcp_raw.as_ref().ok_or_else(|| io::Error::other("no raw TCP socket"))?;
                let sport = self.tcp_ports.get(flow).map(|p| p.1).ok_or_else(|| io::Error::other("no TCP port"))?;
                let seq = self.salt | u32::from(spec.seq);
                // Padded to the probe size with --mtu, so it measures with real sizes.
                let pad = if self.opts.dont_fragment { self.payload_len(spec, 20) } else { 0 };
                let syn = probe::tcp_syn(self.opts.source, target, sport, self.opts.port, seq, pad);
                if pad > 0 {
                    self.rst_seq.insert(seq.wrapping_add(pad as u32), seq);
                }
                Self::send_at(&mut self.ttls, s, spec.ttl, &syn, SocketAddr::new(target, 0))?;
                Ok(Transport::Tcp { sport, dport: self.opts.port, seq })
            }
            (_, Method::Tcp) => {
                let s = Socket::new(domain(self.v6), Type::STREAM.nonblocking().cloexec(), None)?;
                errqueue::enable(s.as_fd(), self.v6)?;
                let _ = errqueue::enable_ttl(s.as_fd(), self.v6);
                if let Some(name) = &self.opts.interface {
                    s.bind_device(Some(name.as_bytes()))?;
                }
                if self.opts.bind_source {
                    s.bind(&SocketAddr::new(self.opts.source, 0).into())?;
                }
                // One SYN only: a retransmission would be a second probe.
                let _ = setsockopt(&s, libc::IPPROTO_TCP, libc::TCP_SYNCNT, &(1 as libc::c_int));
                self.set_ttl(&s, spec.ttl)?;
                match s.connect(&SocketAddr::new(target, self.opts.port).into()) {
                    Ok(()) => {}
                    Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
                    Err(e) => return Err(e),
                }
                self.connects.insert(s.as_raw_fd(), Connect { socket: s, seq: spec.seq });
                Ok(Transport::Socket { token: u32::from(spec.seq) })
            }
            (Mode::RecvErr, Method::Icmp) => Err(io::Error::other("ICMP needs a ping or raw socket")),
        }
    }

    /// Waits until a reply arrives, `until` passes or the wake descriptor
    /// is readable, then reads every reply that is there, stamped with its
    /// arrival time. True when the wake descriptor was readable.
    pub fn recv(&mut self, until: Instant, out: &mut Vec<Reply>) -> Result<bool, Error> {
        let mut fds: Vec<libc::pollfd> = Vec::new();
        let mut watch = |fd: RawFd, events: i16| fds.push(libc::pollfd { fd, events, revents: 0 });
        if let Some(fd) = self.wake {
            watch(fd, libc::POLLIN);
        }
        if let Some(s) = &self.icmp {
            watch(s.as_raw_fd(), libc::POLLIN);
        }
        if let Some(s) = &self.tcp_raw {
            watch(s.as_raw_fd(), libc::POLLIN);
        }
        if self.mode == Mode::RecvErr {
            for (s, _) in &self.udp {
                watch(s.as_raw_fd(), 0); // POLLERR is always reported
            }
        }
        for fd in self.connects.keys() {
            watch(*fd, libc::POLLOUT);
        }
        let wait = until.saturating_duration_since(Instant::now());
        let ms = wait.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
        // SAFETY: fds is a live Vec of pollfd of the given length.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                return Ok(false);
            }
            return Err(Error::io("poll failed", e));
        }
        if n == 0 {
            return Ok(false);
        }
        let woken = self.wake.is_some() && fds[0].revents != 0;
        self.drain_icmp(out);
        self.drain_tcp_raw(out);
        if self.mode != Mode::Raw {
            self.drain_errqueues(out);
        }
        let ready: Vec<RawFd> =
            fds.iter().filter(|p| p.revents != 0 && self.connects.contains_key(&p.fd)).map(|p| p.fd).collect();
        for fd in ready {
            self.finish_connect(fd, out);
        }
        Ok(woken)
    }

    /// Reads the replies that are already there, without waiting: the
    /// sockets are non-blocking, so this costs no poll() (connects in flight
    /// do need one, for their POLLOUT).
    pub fn drain(&mut self, out: &mut Vec<Reply>) -> Result<(), Error> {
        if !self.connects.is_empty() {
            return self.recv(Instant::now(), out).map(drop);
        }
        self.drain_icmp(out);
        self.drain_tcp_raw(out);
        if self.mode != Mode::Raw {
            self.drain_errqueues(out);
        }
        Ok(())
    }

    fn drain_icmp(&mut self, out: &mut Vec<Reply>) {
        let Some(s) = &self.icmp else { return };
        let mut buf = [0u8; 2048];
        while let Ok((n, from_ip, ttl)) = recv_with_ttl(s, &mut buf) {
            let at = Instant::now();
            let bytes = &buf[..n];
            let Some(from_ip) = from_ip else { continue };
            // A raw IPv4 socket hands over the IP header, TTL included.
            let ttl = ttl.or_else(|| (self.mode == Mode::Raw && !self.v6).then(|| bytes.get(8).copied()).flatten());
            let parsed = match (self.mode, self.v6) {
                (Mode::Raw, false) => icmp::parse_v4(bytes).map(|(src, m)| (IpAddr::V4(src), m)),
                (_, true) => icmp::parse_v6(bytes).map(|m| (from_ip, m)),
                // Ping sockets deliver the ICMP message without the IP header.
                (_, false) => bytes.get(0..8).filter(|h| h[0] == 0).map(|h| {
                    (
                        from_ip,
                        Message::EchoReply {
                            id: u16::from_be_bytes([h[4], h[5]]),
                            seq: u16::from_be_bytes([h[6], h[7]]),
                        },
                    )
                }),
            };
            if let Some((from, message)) = parsed {
                out.push(to_reply(from, message, ttl, at));
            }
        }
    }

    fn drain_tcp_raw(&mut self, out: &mut Vec<Reply>) {
        let Some(s) = &self.tcp_raw else { return };
        let mut buf = [0u8; 2048];
        while let Ok((n, from, ttl)) = recv_with_ttl(s, &mut buf) {
            let at = Instant::now();
            let bytes = &buf[..n];
            let ttl = ttl.or_else(|| if self.v6 { None } else { bytes.get(8).copied() });
            let segment = if self.v6 {
                from.map(|ip| (ip, bytes))
            } else {
                icmp::strip_v4(bytes, 6).map(|(src, seg)| (IpAddr::V4(src), seg))
            };
            let Some((from, segment)) = segment else { continue };
            if let Some((sport, dport, mut seq, rst)) = icmp::parse_tcp_answer(segment) {
                if rst && let Some(probe) = self.rst_seq.get(&seq) {
                    seq = *probe;
                }
                out.push(Reply {
                    key: Transport::Tcp { sport: dport, dport: sport, seq },
                    dst: from,
                    from,
                    answer: Answer::Tcp { rst },
                    mtu: None,
                    mpls: Vec::new(),
                    ttl,
                    at,
                });
            }
        }
    }

    /// Unprivileged modes: ICMP errors the kernel queued on our sockets.
    fn drain_errqueues(&mut self, out: &mut Vec<Reply>) {
        let target = self.opts.target;
        if self.mode == Mode::PingSocket
            && let Some(s) = &self.icmp
        {
            while let Ok(Some(q)) = errqueue::recv_queued(s.as_fd()) {
                let at = Instant::now();
                let Some(h) = q.payload.get(0..8) else { continue };
                let key =
                    Transport::Icmp { id: u16::from_be_bytes([h[4], h[5]]), seq: u16::from_be_bytes([h[6], h[7]]) };
                let dst = q.dest.map_or(target, |d| d.ip());
                out.push(queued_reply(key, dst, &q, at));
            }
        }
        for (s, sport) in &self.udp {
            while let Ok(Some(q)) = errqueue::recv_queued(s.as_fd()) {
                let at = Instant::now();
                let (Some(dest), Some(seq)) = (q.dest, q.payload.get(0..2)) else { continue };
                let seq = u16::from_be_bytes([seq[0], seq[1]]);
                let key = Transport::Udp { sport: *sport, dport: dest.port(), seq };
                out.push(queued_reply(key, dest.ip(), &q, at));
            }
        }
    }

    fn finish_connect(&mut self, fd: RawFd, out: &mut Vec<Reply>) {
        let Some(c) = self.connects.remove(&fd) else { return };
        let at = Instant::now();
        let target = self.opts.target;
        let key = Transport::Socket { token: u32::from(c.seq) };
        if let Ok(Some(q)) = errqueue::recv_queued(c.socket.as_fd()) {
            out.push(queued_reply(key, target, &q, at));
            return;
        }
        let answer = match c.socket.take_error() {
            Ok(None) => Some(Answer::Tcp { rst: false }),
            Ok(Some(e)) | Err(e) if e.raw_os_error() == Some(libc::ECONNREFUSED) => Some(Answer::Tcp { rst: true }),
            _ => None,
        };
        match answer {
            Some(answer) => {
                out.push(Reply { key, dst: target, from: target, answer, mtu: None, mpls: Vec::new(), ttl: None, at })
            }
            // Not decided yet (spurious wake-up): keep waiting.
            None => {
                self.connects.insert(fd, c);
            }
        }
    }

    /// Closes the sockets of TCP probes the engine gave up on.
    pub fn forget_connects(&mut self, keep: impl Fn(u16) -> bool) {
        self.connects.retain(|_, c| keep(c.seq));
    }
}

fn to_reply(from: IpAddr, message: Message, ttl: Option<u8>, at: Instant) -> Reply {
    match message {
        Message::EchoReply { id, seq } => Reply {
            key: Transport::Icmp { id, seq },
            dst: from,
            from,
            answer: Answer::Echo,
            mtu: None,
            mpls: Vec::new(),
            ttl,
            at,
        },
        Message::Error { v6, icmp_type, code, mtu, quote, mpls } => Reply {
            key: quote.transport,
            dst: quote.dst,
            from,
            answer: Answer::Icmp(IcmpError { v6, icmp_type, code, from: Some(from), errno: 0 }),
            mtu,
            mpls,
            ttl,
            at,
        },
    }
}

fn queued_reply(key: Transport, dst: IpAddr, q: &errqueue::Queued, at: Instant) -> Reply {
    let from = q.icmp.from.unwrap_or(dst);
    let mtu = (q.info > 0).then_some(q.info);
    Reply { key, dst, from, answer: Answer::Icmp(q.icmp), mtu, mpls: Vec::new(), ttl: q.ttl, at }
}

/// recvmsg(2) on a non-blocking socket: the bytes, the sender, and the TTL
/// (hop limit) control message when IP_RECVTTL / IPV6_RECVHOPLIMIT is on.
fn recv_with_ttl(s: &Socket, buf: &mut [u8]) -> io::Result<(usize, Option<IpAddr>, Option<u8>)> {
    let mut control = [0u64; 16]; // 128 bytes, aligned for cmsghdr
    // SAFETY: sockaddr_storage and msghdr are plain data; zeroed is valid.
    let mut name: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_name = (&mut name as *mut libc::sockaddr_storage).cast();
    msg.msg_namelen = std::mem::size_of_val(&name) as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: every pointer in msg refers to a live local buffer of the stated size.
    let n = unsafe { libc::recvmsg(s.as_raw_fd(), &mut msg, libc::MSG_DONTWAIT) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut ttl = None;
    // SAFETY: the CMSG_* macros walk the control buffer the kernel filled,
    // bounded by msg_controllen.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            let (level, kind) = ((*cmsg).cmsg_level, (*cmsg).cmsg_type);
            if (level == libc::SOL_IP && kind == libc::IP_TTL)
                || (level == libc::SOL_IPV6 && kind == libc::IPV6_HOPLIMIT)
            {
                ttl = errqueue::cmsg_int(cmsg);
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    // SAFETY: the kernel wrote msg_namelen bytes of a sockaddr into `name`.
    let raw = unsafe {
        std::slice::from_raw_parts(
            (&name as *const libc::sockaddr_storage).cast::<u8>(),
            (msg.msg_namelen as usize).min(std::mem::size_of_val(&name)),
        )
    };
    let from = errqueue::parse_sockaddr(raw);
    Ok(((n as usize).min(buf.len()), from, ttl))
}

/// With IP_RECVERR an ICMP error is also left as the socket's pending
/// error, which the next send would fail with; it is read from the error
/// queue instead, so clear it (SO_ERROR).
/// DF on, and the route's cached PMTU ignored, so routers report the real
/// next-hop MTU (IP_PMTUDISC_PROBE, as tracepath).
fn set_pmtu_probe(s: &Socket, v6: bool) -> io::Result<()> {
    let probe: libc::c_int = 3; // IP_PMTUDISC_PROBE == IPV6_PMTUDISC_PROBE
    let (level, name) =
        if v6 { (libc::IPPROTO_IPV6, libc::IPV6_MTU_DISCOVER) } else { (libc::IPPROTO_IP, libc::IP_MTU_DISCOVER) };
    setsockopt(s, level, name, &probe)
}
