//! One TCP handshake, measured: the only place that opens TCP sockets for probing.

use crate::error::Error;
use crate::net::errqueue::{self, IcmpError};
use socket2::{Domain, Socket, Type};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant};
use tokio::io::unix::AsyncFd;

/// Where probes leave from (`-I`, `--source`).
#[derive(Debug, Clone, Default)]
pub struct Bind {
    pub interface: Option<String>,
    pub source: Option<IpAddr>,
}

/// How a connect() ended.
#[derive(Debug)]
pub enum Outcome {
    Established,
    /// The peer answered the SYN with a RST.
    Refused,
    /// No answer before the deadline.
    TimedOut,
    /// A router or the host answered with an ICMP error.
    Icmp(IcmpError),
    /// The local stack refused before sending (no route, local prohibit rule, …).
    Local(io::Error),
}

#[derive(Debug)]
pub struct Attempt {
    pub outcome: Outcome,
    pub local: Option<SocketAddr>,
    /// connect() to completion on the monotonic clock.
    pub elapsed: Duration,
    /// The kernel's SYN → SYN-ACK sample (TCP_INFO tcpi_rtt), when established.
    pub kernel_rtt: Option<Duration>,
}

fn open(dst: SocketAddr, bind: &Bind) -> Result<Socket, Error> {
    let socket = Socket::new(Domain::for_address(dst), Type::STREAM.nonblocking().cloexec(), None)
        .map_err(|e| Error::io("cannot create a TCP socket", e))?;
    errqueue::enable(socket.as_fd(), dst.is_ipv6())
        .map_err(|e| Error::io("cannot enable ICMP error reporting (IP_RECVERR)", e))?;
    if let Some(name) = &bind.interface {
        socket.bind_device(Some(name.as_bytes())).map_err(|e| match e.raw_os_error() {
            Some(libc::ENODEV) => Error::NoSuchInterface { name: name.clone(), available: vec![] },
            _ => Error::io(format!("cannot bind to interface {name}"), e),
        })?;
    }
    if let Some(source) = bind.source {
        if source.is_ipv4() != dst.is_ipv4() {
            return Err(Error::usage(format!("source {source} and target {dst} are of different address families")));
        }
        socket
            .bind(&SocketAddr::new(source, 0).into())
            .map_err(|e| Error::SourceAddress { addr: source, source: e })?;
    }
    Ok(socket)
}

/// Opens one connection to `dst` and closes it cleanly (FIN) at once.
pub async fn handshake(dst: SocketAddr, bind: &Bind, timeout: Duration) -> Result<Attempt, Error> {
    // Dropping the socket closes it: FIN after an established handshake, nothing otherwise.
    Ok(attempt_connect(dst, bind, timeout).await?.0)
}

/// Opens one connection to `dst` and keeps it: the stream when established,
/// and the measured attempt either way (for HTTP, TLS and anything that talks).
pub async fn connect(
    dst: SocketAddr,
    bind: &Bind,
    timeout: Duration,
) -> Result<(Attempt, Option<tokio::net::TcpStream>), Error> {
    let (attempt, socket) = attempt_connect(dst, bind, timeout).await?;
    if !matches!(attempt.outcome, Outcome::Established) {
        return Ok((attempt, None));
    }
    let _ = socket.set_tcp_nodelay(true);
    let stream = tokio::net::TcpStream::from_std(std::net::TcpStream::from(socket))
        .map_err(|e| Error::io("cannot register the connection with the runtime", e))?;
    Ok((attempt, Some(stream)))
}

async fn attempt_connect(dst: SocketAddr, bind: &Bind, timeout: Duration) -> Result<(Attempt, Socket), Error> {
    let socket = open(dst, bind)?;
    let started = Instant::now();
    let attempt = |outcome, socket: &Socket, kernel_rtt| Attempt {
        outcome,
        local: socket.local_addr().ok().and_then(|a| a.as_socket()),
        elapsed: started.elapsed(),
        kernel_rtt,
    };
    match socket.connect(&dst.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => {
            let failed = attempt(classify(&socket, e), &socket, None);
            return Ok((failed, socket));
        }
    }
    // SAFETY: the Socket owns its fd and AsyncFd owns the Socket until into_inner.
    let fd = unsafe { AsyncFd::register(socket) }
        .map_err(|e| Error::io("cannot register the socket with the runtime", e.into_parts().1))?;
    let ready = tokio::time::timeout(timeout, fd.writable()).await.map(|r| r.map(|_| ()));
    let socket = fd.into_inner();
    let Ok(ready) = ready else {
        let timed_out = attempt(Outcome::TimedOut, &socket, None);
        return Ok((timed_out, socket));
    };
    ready.map_err(|e| Error::io("waiting for the connection failed", e))?;
    let result = match socket.take_error() {
        Ok(None) => attempt(Outcome::Established, &socket, tcp_info_rtt(&socket)),
        Ok(Some(e)) | Err(e) => attempt(classify(&socket, e), &socket, None),
    };
    tracing::debug!(%dst, local = ?result.local, outcome = ?result.outcome, elapsed = ?result.elapsed,
        kernel_rtt = ?result.kernel_rtt, "handshake");
    Ok((result, socket))
}

fn classify(socket: &Socket, err: io::Error) -> Outcome {
    if let Ok(Some(icmp)) = errqueue::drain(socket.as_fd()) {
        return Outcome::Icmp(icmp);
    }
    match err.raw_os_error() {
        Some(libc::ECONNREFUSED) => Outcome::Refused,
        Some(libc::ETIMEDOUT) => Outcome::TimedOut,
        _ => Outcome::Local(err),
    }
}

/// The kernel's RTT estimate; right after the handshake it is exactly the
/// SYN → SYN-ACK sample, in microseconds.
fn tcp_info_rtt(socket: &Socket) -> Option<Duration> {
    // SAFETY: tcp_info is plain data and the kernel writes at most `len` bytes.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    let rc = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        )
    };
    (rc == 0 && info.tcpi_rtt > 0).then(|| Duration::from_micros(u64::from(info.tcpi_rtt)))
}
