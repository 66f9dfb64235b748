//! DNS transports: UDP (unconnected, so stray replies can be seen and
//! reported) and TCP with the 2-byte length prefix. Bounded: one 64 KiB
//! buffer, a deadline per try.

use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

/// A reply accepted by the caller's judge, with the time from send to receipt.
pub struct Received<T> {
    pub value: T,
    pub elapsed: Duration,
    pub size: usize,
}

fn udp_socket(server: SocketAddr) -> io::Result<UdpSocket> {
    let (domain, any): (Domain, SocketAddr) = match server {
        SocketAddr::V4(_) => (Domain::IPV4, (Ipv4Addr::UNSPECIFIED, 0).into()),
        SocketAddr::V6(_) => (Domain::IPV6, (Ipv6Addr::UNSPECIFIED, 0).into()),
    };
    let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    let _ = socket.set_recv_buffer_size(1 << 16);
    socket.set_nonblocking(true)?;
    socket.bind(&any.into())?;
    UdpSocket::from_std(socket.into())
}

/// Sends `query` up to `tries` times, waiting `timeout` after each send.
/// Every datagram goes to `judge`, which returns Some to end the wait;
/// `Ok(None)` means no acceptable reply arrived.
pub async fn udp_exchange<T>(
    server: SocketAddr,
    query: &[u8],
    timeout: Duration,
    tries: u32,
    mut judge: impl FnMut(&[u8], SocketAddr) -> Option<T>,
) -> io::Result<Option<Received<T>>> {
    let socket = udp_socket(server)?;
    let mut buf = vec![0u8; 65535];
    for _ in 0..tries.max(1) {
        let sent_at = Instant::now();
        socket.send_to(query, server).await?;
        let deadline = tokio::time::Instant::from_std(sent_at + timeout);
        loop {
            let (len, from) = match tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await {
                Err(_) => break,
                Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => continue,
                Ok(result) => result?,
            };
            let elapsed = sent_at.elapsed();
            if let Some(value) = judge(&buf[..len], from) {
                return Ok(Some(Received { value, elapsed, size: len }));
            }
        }
    }
    Ok(None)
}

/// One query over a fresh TCP connection; `Ok(None)` on timeout.
pub async fn tcp_exchange(
    server: SocketAddr,
    query: &[u8],
    timeout: Duration,
) -> io::Result<Option<(Vec<u8>, Duration)>> {
    let started = Instant::now();
    let work = async {
        let mut stream = TcpStream::connect(server).await?;
        stream.set_nodelay(true)?;
        let mut framed = Vec::with_capacity(query.len() + 2);
        framed.extend((query.len() as u16).to_be_bytes());
        framed.extend(query);
        stream.write_all(&framed).await?;
        let len = stream.read_u16().await? as usize;
        let mut reply = vec![0u8; len];
        stream.read_exact(&mut reply).await?;
        Ok::<_, io::Error>(reply)
    };
    match tokio::time::timeout(timeout, work).await {
        Err(_) => Ok(None),
        Ok(Ok(reply)) => Ok(Some((reply, started.elapsed()))),
        Ok(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
            Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the TCP connection mid-reply"))
        }
        Ok(Err(e)) => Err(e),
    }
}
