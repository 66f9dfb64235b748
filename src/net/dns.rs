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
) -> io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(server).await?;
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
