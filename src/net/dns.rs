//! DNS transports. UDP and TCP are blocking and need no async runtime (a
//! dig query is mostly process start-up, so none is built for it): UDP keeps
//! many queries in flight on one unconnected socket per family, TCP uses the
//! 2-byte length prefix. DoT and DoH are async (rustls, h2). Bounded: one
//! 64 KiB buffer, a deadline per try.

use socket2::{Domain, Protocol, Socket, Type};
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A reply accepted by the caller's judge, with the time from send to receipt.
pub struct Received<T> {
    pub value: T,
    pub elapsed: Duration,
    pub size: usize,
}

/// One query for [`udp_exchange_many`]: `bytes` must carry `id` in its first two bytes.
pub struct UdpQuery<'a> {
    pub server: SocketAddr,
    pub bytes: &'a [u8],
    pub id: u16,
    /// Wait after each send.
    pub timeout: Duration,
    /// Sends in all (at least one).
    pub tries: u32,
}

/// What became of one query: `Ok(None)` when no acceptable reply came in all its tries.
pub type UdpResult<T> = io::Result<Option<Received<T>>>;

fn udp_socket(v6: bool) -> io::Result<UdpSocket> {
    let (domain, any): (Domain, SocketAddr) = match v6 {
        false => (Domain::IPV4, (Ipv4Addr::UNSPECIFIED, 0).into()),
        true => (Domain::IPV6, (Ipv6Addr::UNSPECIFIED, 0).into()),
    };
    let socket = Socket::new(domain, Type::DGRAM.cloexec(), Some(Protocol::UDP))?;
    // Room for the replies of a full window queued while we parse: past it the kernel drops them.
    let _ = socket.set_recv_buffer_size(1 << 20);
    socket.bind(&any.into())?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// A query on the wire, waiting for its reply.
struct Flight {
    index: usize,
    sent_at: Instant,
    tries_left: u32,
}

/// Sends every query, at most `window` outstanding, over one unconnected UDP
/// socket per address family (unconnected, so stray replies are seen and
/// reported). Replies are matched to their query by ID and each goes to
/// `judge(index, datagram, source)`, which returns Some to accept it; a
/// datagram that matches no outstanding ID is shown to the queries waiting
/// on its source (or to all when the source is unknown), so they can report
/// it. Queries sharing an ID are never outstanding together. Blocking, with
/// no runtime: one 64 KiB buffer, a deadline per try.
pub fn udp_exchange_many<T>(
    queries: &[UdpQuery],
    window: usize,
    mut judge: impl FnMut(usize, &[u8], SocketAddr) -> Option<T>,
) -> Vec<UdpResult<T>> {
    let mut results: Vec<Option<UdpResult<T>>> = queries.iter().map(|_| None).collect();
    let mut sockets: [Option<UdpSocket>; 2] = [None, None];
    let mut flights: [HashMap<u16, Flight>; 2] = [HashMap::new(), HashMap::new()];
    // IDs answered already: a late duplicate of their reply is nobody's business.
    let mut answered: [HashSet<u16>; 2] = [HashSet::new(), HashSet::new()];
    let mut pending: VecDeque<usize> = (0..queries.len()).collect();
    let mut buf = vec![0u8; 65535];
    loop {
        let mut deferred = Vec::new();
        while flights[0].len() + flights[1].len() < window.max(1)
            && let Some(index) = pending.pop_front()
        {
            let q = &queries[index];
            let fam = q.server.is_ipv6() as usize;
            if flights[fam].contains_key(&q.id) {
                deferred.push(index);
                continue;
            }
            let sent = match &sockets[fam] {
                Some(socket) => send(socket, q.bytes, q.server),
                None => udp_socket(fam == 1).and_then(|socket| send(sockets[fam].insert(socket), q.bytes, q.server)),
            };
            match sent {
                Ok(()) => {
                    answered[fam].remove(&q.id);
                    flights[fam]
                        .insert(q.id, Flight { index, sent_at: Instant::now(), tries_left: q.tries.max(1) - 1 });
                }
                Err(e) => results[index] = Some(Err(e)),
            }
        }
        for index in deferred.into_iter().rev() {
            pending.push_front(index);
        }
        if flights.iter().all(HashMap::is_empty) {
            if pending.is_empty() {
                break;
            }
            continue;
        }
        // Expired tries: send again, or give up on the query.
        let now = Instant::now();
        let mut wake = now + Duration::from_secs(3600);
        for fam in 0..2 {
            let mut gone = Vec::new();
            for (&id, flight) in flights[fam].iter_mut() {
                let q = &queries[flight.index];
                if now < flight.sent_at + q.timeout {
                    wake = wake.min(flight.sent_at + q.timeout);
                } else if flight.tries_left > 0 {
                    flight.tries_left -= 1;
                    flight.sent_at = now;
                    wake = wake.min(now + q.timeout);
                    if let Some(socket) = &sockets[fam]
                        && let Err(e) = send(socket, q.bytes, q.server)
                    {
                        results[flight.index] = Some(Err(e));
                        gone.push(id);
                    }
                } else {
                    results[flight.index] = Some(Ok(None));
                    gone.push(id);
                }
            }
            for id in gone {
                flights[fam].remove(&id);
            }
        }
        if flights.iter().all(HashMap::is_empty) {
            continue;
        }
        let ready = match wait_readable(&sockets, wake.saturating_duration_since(now)) {
            Ok(ready) => ready,
            Err(e) => {
                for flight in flights.iter_mut().flat_map(|f| f.drain()) {
                    results[flight.1.index] = Some(Err(io::Error::new(e.kind(), e.to_string())));
                }
                continue;
            }
        };
        for fam in (0..2).filter(|&f| ready[f]) {
            let Some(socket) = &sockets[fam] else { continue };
            // Drain what is queued: one wake-up per burst, not per datagram.
            loop {
                let (len, from) = match socket.recv_from(&mut buf) {
                    Ok(got) => got,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    // ICMP errors queued on the socket: the try's deadline decides.
                    Err(_) => continue,
                };
                let data = &buf[..len];
                let id = (len >= 2).then(|| u16::from_be_bytes([data[0], data[1]]));
                if let Some(id) = id
                    && let Some(flight) = flights[fam].get(&id)
                {
                    let index = flight.index;
                    if let Some(value) = judge(index, data, from) {
                        let elapsed = flight.sent_at.elapsed();
                        results[index] = Some(Ok(Some(Received { value, elapsed, size: len })));
                        flights[fam].remove(&id);
                        answered[fam].insert(id);
                    }
                    continue;
                }
                if id.is_some_and(|id| answered[fam].contains(&id)) {
                    continue;
                }
                let from_known = flights[fam].values().any(|f| queries[f.index].server == from);
                let mut accepted = Vec::new();
                for (&id, flight) in &flights[fam] {
                    if (!from_known || queries[flight.index].server == from)
                        && let Some(value) = judge(flight.index, data, from)
                    {
                        accepted.push((id, flight.index, value, flight.sent_at.elapsed()));
                    }
                }
                for (id, index, value, elapsed) in accepted {
                    results[index] = Some(Ok(Some(Received { value, elapsed, size: len })));
                    flights[fam].remove(&id);
                }
            }
        }
    }
    results.into_iter().map(|r| r.unwrap_or(Ok(None))).collect()
}

/// One datagram out; a full send buffer waits (bounded) for room rather than failing the try.
fn send(socket: &UdpSocket, bytes: &[u8], to: SocketAddr) -> io::Result<()> {
    loop {
        match socket.send_to(bytes, to) {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let mut fd = libc::pollfd { fd: socket.as_raw_fd(), events: libc::POLLOUT, revents: 0 };
                if unsafe { libc::poll(&mut fd, 1, 1000) } <= 0 {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// poll(2) on the sockets that exist; which of them have data.
fn wait_readable(sockets: &[Option<UdpSocket>; 2], timeout: Duration) -> io::Result<[bool; 2]> {
    let mut fds: Vec<libc::pollfd> = sockets
        .iter()
        .map(|s| libc::pollfd { fd: s.as_ref().map_or(-1, |s| s.as_raw_fd()), events: libc::POLLIN, revents: 0 })
        .collect();
    // Round up, so a wait never ends just before its deadline and spins.
    let ms = timeout.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
    let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
    if n < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted { Ok([false; 2]) } else { Err(e) };
    }
    Ok([fds[0].revents != 0, fds[1].revents != 0])
}

/// One query over a fresh TCP connection, blocking; `Ok(None)` when the
/// whole exchange (connect, send, reply) does not finish within `timeout`.
pub fn tcp_exchange(server: SocketAddr, query: &[u8], timeout: Duration) -> io::Result<Option<(Vec<u8>, Duration)>> {
    let started = Instant::now();
    let deadline = started + timeout;
    let timed_out = |e: &io::Error| matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock);
    let mut stream = match TcpStream::connect_timeout(&server, timeout) {
        Err(e) if timed_out(&e) => return Ok(None),
        other => other?,
    };
    stream.set_nodelay(true)?;
    let mut framed = Vec::with_capacity(query.len() + 2);
    framed.extend((query.len() as u16).to_be_bytes());
    framed.extend(query);
    let work = |stream: &mut TcpStream| -> io::Result<Option<Vec<u8>>> {
        let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) else {
            return Ok(None);
        };
        stream.set_write_timeout(Some(left))?;
        stream.write_all(&framed)?;
        let mut len = [0u8; 2];
        if !read_by(stream, &mut len, deadline)? {
            return Ok(None);
        }
        let mut reply = vec![0u8; u16::from_be_bytes(len) as usize];
        Ok(read_by(stream, &mut reply, deadline)?.then_some(reply))
    };
    match work(&mut stream) {
        Ok(Some(reply)) => Ok(Some((reply, started.elapsed()))),
        Ok(None) => Ok(None),
        Err(e) if timed_out(&e) => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the TCP connection mid-reply"))
        }
        Err(e) => Err(e),
    }
}

/// A zone transfer's connection: one query, then every message the server
/// sends, each handed to `each` until it returns false. Each message must
/// arrive within `idle` of the one before (connecting counts as the first
/// wait), so a stalled server ends the transfer, not the wait. Returns the
/// whole time taken.
pub fn tcp_messages(
    server: SocketAddr,
    query: &[u8],
    idle: Duration,
    mut each: impl FnMut(&[u8]) -> bool,
) -> io::Result<Duration> {
    let started = Instant::now();
    let timed_out = |what: &str| io::Error::new(io::ErrorKind::TimedOut, format!("{what} within {} s", idle.as_secs()));
    let mut stream = match TcpStream::connect_timeout(&server, idle) {
        Err(e) if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) => {
            return Err(timed_out("no TCP connection"));
        }
        other => other?,
    };
    stream.set_nodelay(true)?;
    let mut framed = Vec::with_capacity(query.len() + 2);
    framed.extend((query.len() as u16).to_be_bytes());
    framed.extend(query);
    stream.set_write_timeout(Some(idle))?;
    stream.write_all(&framed)?;
    let mut buf = vec![0u8; MAX_MESSAGE];
    loop {
        let deadline = Instant::now() + idle;
        let mut len = [0u8; 2];
        let read = read_by(&mut stream, &mut len, deadline).and_then(|got| {
            let n = u16::from_be_bytes(len) as usize;
            Ok(got && read_by(&mut stream, &mut buf[..n], deadline)?).map(|ok| ok.then_some(n))
        });
        let n = match read {
            Ok(Some(n)) => n,
            Ok(None) => return Err(timed_out("no further message")),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(io::Error::new(e.kind(), "the server closed the connection before the transfer ended"));
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) => {
                return Err(timed_out("no further message"));
            }
            Err(e) => return Err(e),
        };
        if !each(&buf[..n]) {
            return Ok(started.elapsed());
        }
    }
}

/// Fills `buf` before `deadline` (false when it passes): a server that drips
/// bytes cannot stretch the wait, since every read gets only the time left.
fn read_by(stream: &mut TcpStream, buf: &mut [u8], deadline: Instant) -> io::Result<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) else {
            return Ok(false);
        };
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut buf[filled..]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// The TLS peer to verify: the name (or address) its certificate must carry, and the client settings.
#[derive(Clone)]
pub struct TlsPeer {
    pub name: rustls::pki_types::ServerName<'static>,
    pub config: std::sync::Arc<rustls::ClientConfig>,
}

/// Most a DNS message can be; a DoH body past this is refused.
const MAX_MESSAGE: usize = 65535;

fn other(context: &str, e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("{context}: {e}"))
}

async fn tls_connect(
    server: SocketAddr,
    peer: &TlsPeer,
    alpn: &[u8],
) -> io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    let tcp = tokio::net::TcpStream::connect(server).await?;
    tcp.set_nodelay(true)?;
    let mut config = (*peer.config).clone();
    config.alpn_protocols = vec![alpn.to_vec()];
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    connector.connect(peer.name.clone(), tcp).await.map_err(|e| other("TLS handshake failed", e))
}

/// DNS over TLS (RFC 7858): one query with the 2-byte length prefix on a verified TLS connection.
pub async fn tls_exchange(
    server: SocketAddr,
    peer: &TlsPeer,
    query: &[u8],
    timeout: Duration,
) -> io::Result<Option<(Vec<u8>, Duration)>> {
    let started = Instant::now();
    let work = async {
        let mut stream = tls_connect(server, peer, b"dot").await?;
        let mut framed = Vec::with_capacity(query.len() + 2);
        framed.extend((query.len() as u16).to_be_bytes());
        framed.extend(query);
        stream.write_all(&framed).await?;
        stream.flush().await?;
        let len = stream.read_u16().await? as usize;
        let mut reply = vec![0u8; len];
        stream.read_exact(&mut reply).await?;
        Ok::<_, io::Error>(reply)
    };
    match tokio::time::timeout(timeout, work).await {
        Err(_) => Ok(None),
        Ok(Ok(reply)) => Ok(Some((reply, started.elapsed()))),
        Ok(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
            Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the TLS connection mid-reply"))
        }
        Ok(Err(e)) => Err(e),
    }
}

/// Where a DoH query goes: the URL's authority and path, and GET (`?dns=`) or POST.
pub struct DohTarget<'a> {
    pub authority: &'a str,
    pub path: &'a str,
    pub get: bool,
}

/// DNS over HTTPS (RFC 8484) on HTTP/2: POST application/dns-message, or GET with ?dns=base64url.
pub async fn https_exchange(
    server: SocketAddr,
    peer: &TlsPeer,
    target: &DohTarget<'_>,
    query: &[u8],
    timeout: Duration,
) -> io::Result<Option<(Vec<u8>, Duration)>> {
    let started = Instant::now();
    let work = async {
        let tls = tls_connect(server, peer, b"h2").await?;
        if tls.get_ref().1.alpn_protocol() != Some(b"h2") {
            return Err(io::Error::other("the server did not negotiate HTTP/2 (ALPN h2)"));
        }
        let (client, connection) = h2::client::handshake(tls).await.map_err(|e| other("HTTP/2 handshake failed", e))?;
        // The connection task drives the socket; it is aborted when this exchange ends.
        let driver = AbortOnDrop(tokio::spawn(async move {
            let _ = connection.await;
        }));
        let mut client = client.ready().await.map_err(|e| other("HTTP/2", e))?;
        let uri = if target.get {
            let sep = if target.path.contains('?') { '&' } else { '?' };
            let dns = data_encoding::BASE64URL_NOPAD.encode(query);
            format!("https://{}{}{sep}dns={dns}", target.authority, target.path)
        } else {
            format!("https://{}{}", target.authority, target.path)
        };
        let mut request = http::Request::builder()
            .method(if target.get { http::Method::GET } else { http::Method::POST })
            .uri(&uri)
            .header(http::header::ACCEPT, "application/dns-message");
        if !target.get {
            request = request
                .header(http::header::CONTENT_TYPE, "application/dns-message")
                .header(http::header::CONTENT_LENGTH, query.len());
        }
        let request = request.body(()).map_err(|e| other("bad DoH URL", e))?;
        let (response, mut body_out) = client.send_request(request, target.get).map_err(|e| other("HTTP/2", e))?;
        if !target.get {
            body_out.send_data(bytes::Bytes::copy_from_slice(query), true).map_err(|e| other("HTTP/2", e))?;
        }
        let response = response.await.map_err(|e| other("HTTP/2", e))?;
        let status = response.status();
        if status != http::StatusCode::OK {
            return Err(io::Error::other(format!("HTTP status {status} from {uri}")));
        }
        let content_type = response.headers().get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        if content_type != Some("application/dns-message") {
            return Err(io::Error::other(format!(
                "the reply is {}, not application/dns-message",
                content_type.unwrap_or("without a content type")
            )));
        }
        let mut body = response.into_body();
        let mut reply = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk.map_err(|e| other("HTTP/2", e))?;
            let _ = body.flow_control().release_capacity(chunk.len());
            if reply.len() + chunk.len() > MAX_MESSAGE {
                return Err(io::Error::other(format!("the reply body is larger than {MAX_MESSAGE} bytes")));
            }
            reply.extend_from_slice(&chunk);
        }
        drop(driver);
        Ok::<_, io::Error>(reply)
    };
    match tokio::time::timeout(timeout, work).await {
        Err(_) => Ok(None),
        Ok(Ok(reply)) => Ok(Some((reply, started.elapsed()))),
        Ok(Err(e)) => Err(e),
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
