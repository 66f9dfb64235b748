//! HTTP exchanges one phase at a time, for `http`, `hsts-check` and `explain`:
//! DNS (or `--resolve`), TCP (one attempt per address), an optional proxy
//! CONNECT, TLS with ALPN, then hyper's low-level `client::conn` over a
//! stream wrapper that timestamps the request's first and last write and
//! the response's first byte.

use crate::error::{Error, Transfer};
use crate::net::h2c;
use crate::net::proxy::{self, Kind, Proxies};
use crate::net::resolve::{Resolver, Source};
use crate::net::tcp::{self, Bind, Outcome};
use crate::net::tls_client::{self, Facts};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper::header::{CONNECTION, HeaderName, HeaderValue, UPGRADE};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde::Serialize;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// A request body: bytes in memory, or a file streamed as it is sent.
pub type ReqBody = http_body_util::combinators::BoxBody<Bytes, io::Error>;

/// A request body held in memory.
pub fn full(bytes: impl Into<Bytes>) -> ReqBody {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed()
}

/// Response heads larger than this are refused (hostile or broken peers).
/// For HTTP/1.1 it is also hyper's largest read buffer (one read() asks
/// for at most MAX_READ of it).
pub const MAX_HEAD_BYTES: usize = 256 * 1024;
/// More header fields than this are refused.
pub const MAX_HEADERS: usize = 100;

/// Which protocol to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Version {
    /// ALPN offers h2 and http/1.1 over TLS; HTTP/1.1 in cleartext.
    #[default]
    Auto,
    /// HTTP/1.1 only.
    Http11,
    /// HTTP/2 through ALPN (fail if the server does not agree); in
    /// cleartext an h2c Upgrade, staying on HTTP/1.1 if the server ignores it.
    Http2,
    /// HTTP/2 from the first byte, without negotiation (also h2c).
    Http2PriorKnowledge,
}

/// Where a request goes: scheme, host and port of its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub tls: bool,
    /// ASCII host name or IP literal (no brackets).
    pub host: String,
    pub port: u16,
}

impl Origin {
    pub fn from_url(url: &url::Url) -> Result<Origin, Error> {
        let tls = match url.scheme() {
            "https" => true,
            "http" => false,
            other => {
                return Err(Error::usage_with_hint(
                    format!("unsupported URL scheme '{other}' in '{url}'"),
                    "netwalk http speaks http:// and https://",
                ));
            }
        };
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.trim_end_matches('.').to_string(),
            Some(url::Host::Ipv4(v4)) => v4.to_string(),
            Some(url::Host::Ipv6(v6)) => v6.to_string(),
            None => return Err(Error::usage(format!("URL '{url}' has no host"))),
        };
        let port = url.port_or_known_default().unwrap_or(if tls { 443 } else { 80 });
        Ok(Origin { tls, host, port })
    }

    /// `host:port` with brackets around IPv6, as in a Host header or CONNECT.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// `--resolve HOST:PORT:ADDR`: this origin's address, without DNS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveOverride {
    pub host: String,
    pub port: u16,
    pub addr: IpAddr,
}

/// `--connect-to HOST1:PORT1:HOST2:PORT2`: connect elsewhere, keep the name
/// (Host header, SNI, certificate check). Empty parts match anything / keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTo {
    pub from_host: Option<String>,
    pub from_port: Option<u16>,
    pub to_host: Option<String>,
    pub to_port: Option<u16>,
}

/// Everything a dial needs besides the origin.
pub struct Dialer {
    pub resolver: Resolver,
    pub resolve: Vec<ResolveOverride>,
    pub connect_to: Vec<ConnectTo>,
    /// Proxies per origin (net::proxy): CONNECT or absolute form through
    /// http:// ones, a tunnel through socks5(h):// ones.
    pub proxy: Proxies,
    pub bind: Bind,
    /// Per TCP attempt, and again for the proxy CONNECT and TLS handshake.
    pub connect_timeout: Duration,
    pub tls: tls_client::Client,
    pub version: Version,
    /// Counts every byte its connections read and write (the low-speed check).
    pub progress: Progress,
}

/// Bytes moved over a dialer's connections so far, shared with a watchdog.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<std::sync::atomic::AtomicU64>);

impl Progress {
    pub fn bytes(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn add(&self, n: usize) {
        self.0.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
    }
}

/// How the TCP connection under an HTTP connection was made.
pub struct Dialled {
    /// `host:port` as dialled.
    pub dialled: String,
    pub resolved_by: &'static str,
    pub dns: Duration,
    pub started: Instant,
    pub resolved: Instant,
    pub attempt: tcp::Attempt,
    pub remote: SocketAddr,
    pub connected: Instant,
    pub failed_attempts: Vec<FailedAttempt>,
}

/// One TCP attempt that did not connect.
#[derive(Debug, Clone, Serialize)]
pub struct FailedAttempt {
    pub address: SocketAddr,
    pub reason: String,
    #[serde(rename = "elapsed_ms", serialize_with = "crate::output::as_ms")]
    pub elapsed: Duration,
}

/// How the connection was made, phase by phase (durations, not offsets).
#[derive(Debug, Clone, Serialize)]
pub struct Setup {
    /// Host and port actually dialled (after --connect-to and --proxy).
    pub dialled: String,
    /// `dns`, `hosts_file`, `literal` or `resolve_option`.
    pub resolved_by: &'static str,
    #[serde(rename = "dns_ms", serialize_with = "crate::output::as_ms")]
    pub dns: Duration,
    #[serde(rename = "connect_ms", serialize_with = "crate::output::as_ms")]
    pub connect: Duration,
    /// The kernel's SYN → SYN-ACK sample (TCP_INFO).
    #[serde(rename = "kernel_rtt_ms", serialize_with = "crate::output::as_opt_ms")]
    pub kernel_rtt: Option<Duration>,
    #[serde(rename = "proxy_connect_ms", serialize_with = "crate::output::as_opt_ms")]
    pub proxy_connect: Option<Duration>,
    /// The proxy went through (without credentials).
    pub proxy: Option<String>,
    #[serde(rename = "tls_ms", serialize_with = "crate::output::as_opt_ms")]
    pub tls: Option<Duration>,
    pub remote: SocketAddr,
    pub local: Option<SocketAddr>,
    pub failed_attempts: Vec<FailedAttempt>,
    pub tls_facts: Option<Facts>,
    /// `HTTP/1.1` or `HTTP/2`.
    pub protocol: &'static str,
    /// `switched` (101, then HTTP/2) or `declined` (the server ignored it),
    /// when the first request offered an h2c Upgrade.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub h2c_upgrade: Option<&'static str>,
    #[serde(skip)]
    pub at: SetupMarks,
}

/// When each phase of the setup ended, for the waterfall.
#[derive(Debug, Clone, Copy)]
pub struct SetupMarks {
    pub started: Instant,
    pub resolved: Instant,
    pub connected: Instant,
    /// After the TLS handshake (or the proxy tunnel for plain HTTP: never).
    pub secured: Option<Instant>,
}

/// Timestamps of the bytes that crossed the stream since `arm`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Marks {
    pub first_write: Option<Instant>,
    pub last_write: Option<Instant>,
    pub first_read: Option<Instant>,
}

/// What the stream shares with its connection: the marks, and what the
/// stream needs for SO_RCVLOWAT (see `Timed::pace`).
#[derive(Debug, Default)]
struct Shared {
    marks: Marks,
    /// Bytes read since `arm`.
    read: u64,
    /// The Content-Length of the HTTP/1.1 response being read.
    body_len: Option<u64>,
}

#[derive(Debug, Clone, Default)]
struct Recorder(Arc<Mutex<Shared>>);

impl Recorder {
    fn with<R: Default>(&self, f: impl FnOnce(&mut Shared) -> R) -> R {
        self.0.lock().map(|mut shared| f(&mut shared)).unwrap_or_default()
    }

    fn arm(&self) {
        self.with(|s| *s = Shared::default());
    }

    fn snapshot(&self) -> Marks {
        self.with(|s| s.marks)
    }

    fn expect_body(&self, len: u64) {
        self.with(|s| s.body_len = Some(len));
    }
}

/// The connection's byte stream, plain or TLS.
enum Io {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Io {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self {
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

/// The most one read() on the connection asks for. Grown to MAX_HEAD_BYTES,
/// hyper's HTTP/1.1 buffer offers ~496 KiB per read; reads that large empty
/// the socket nearly every time (on the 1 GiB lab download: 7,000 sleeps and
/// wake-ups against curl's 2,700) and more of the kernel's TCP work landed on
/// our CPU (420 ms against 345): 1.2-1.3x curl's wall time. 128 KiB (curl
/// reads 100 KiB) measured 1.0-1.1x; 256 KiB 1.1x; 32-100 KiB no better.
/// MAX_LOWAT then took it to 0.64-0.70x (a 512 KiB mark: no better).
const MAX_READ: usize = 128 * 1024;

/// The most SO_RCVLOWAT asks the kernel to gather before it wakes us: on
/// the 1 GiB lab download each wake-up then finds 256 KiB or more waiting,
/// where without it the socket was emptied ~7,000 times (see MAX_READ).
const MAX_LOWAT: u64 = 256 * 1024;

/// The mark is set only while the body comes fast enough to gather
/// MAX_LOWAT within this (25 MiB/s): a slower body is passed on as it
/// arrives, not held back in lumps.
const SLOW_WAIT: Duration = Duration::from_millis(10);

/// Wraps the stream hyper reads and writes, recording when bytes move.
struct Timed {
    io: Io,
    rec: Recorder,
    progress: Progress,
    /// The socket's SO_RCVLOWAT as last set (1 is the kernel's default).
    lowat: u64,
    /// When the last read found nothing and we began to wait.
    waiting_since: Option<Instant>,
    /// How long we waited before the reads since, and what they brought.
    burst: (Duration, u64),
}

impl AsyncRead for Timed {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.pace();
        let before = buf.filled().len();
        let polled = if buf.remaining() > MAX_READ {
            let mut capped = buf.take(MAX_READ);
            let start = capped.filled().as_ptr();
            let polled = this.io.poll_read(cx, &mut capped);
            // A reader that swapped in another buffer would break the SAFETY
            // below (tokio's Take checks the same); ours never do.
            if capped.filled().as_ptr() != start {
                return Poll::Ready(Err(io::Error::other("the connection's reader replaced its buffer")));
            }
            let n = capped.filled().len();
            // SAFETY: the inner reader initialised and filled these n bytes of
            // buf's unfilled part (capped is a view of it, not a copy).
            unsafe { buf.assume_init(n) };
            buf.advance(n);
            polled
        } else {
            this.io.poll_read(cx, buf)
        };
        let n = buf.filled().len() - before;
        if polled.is_pending() {
            this.waiting_since.get_or_insert_with(Instant::now);
        } else if matches!(polled, Poll::Ready(Ok(()))) && n > 0 {
            let now = Instant::now();
            if let Some(since) = this.waiting_since.take() {
                this.burst = (now - since, 0);
            }
            this.burst.1 += n as u64;
            this.progress.add(n);
            this.rec.with(|s| {
                s.read += n as u64;
                s.marks.first_read.get_or_insert(now);
            });
        }
        polled
    }
}

impl Timed {
    /// While a cleartext HTTP/1.1 body of known length comes fast, lets the
    /// kernel wake us only once MAX_LOWAT bytes are waiting, never more than
    /// are still to come: Content-Length minus every byte read since the
    /// request (head included) is a lower bound of what the socket will
    /// still deliver, so the last wake-up cannot wait for bytes that never
    /// come (a keep-alive server leaves the connection open). Back to 1 for
    /// anything else, and for a body that comes slowly, which is passed on
    /// as it arrives. Over TLS the socket carries records, not body bytes,
    /// and rustls reads ahead: no bound holds there, so it is left alone.
    fn pace(&mut self) {
        let Io::Plain(stream) = &self.io else { return };
        // At the last burst's rate, would MAX_LOWAT gather within SLOW_WAIT?
        let (waited, bytes) = self.burst;
        let fast = bytes as u128 * SLOW_WAIT.as_nanos() >= MAX_LOWAT as u128 * waited.as_nanos();
        let want = self.rec.with(|s| match s.body_len {
            Some(len) if fast => len.saturating_sub(s.read).clamp(1, MAX_LOWAT),
            _ => 1,
        });
        if want != self.lowat
            && crate::net::setsockopt(stream, libc::SOL_SOCKET, libc::SO_RCVLOWAT, &(want as libc::c_int)).is_ok()
        {
            self.lowat = want;
        }
    }

    fn wrote(&self, polled: &Poll<io::Result<usize>>) {
        if let Poll::Ready(Ok(n)) = polled
            && *n > 0
        {
            self.progress.add(*n);
            let now = Instant::now();
            self.rec.with(|s| {
                s.marks.first_write.get_or_insert(now);
                s.marks.last_write = Some(now);
            });
        }
    }
}

impl AsyncWrite for Timed {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = match &mut this.io {
            Io::Plain(s) => Pin::new(s).poll_write(cx, data),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, data),
        };
        this.wrote(&polled);
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = match &mut this.io {
            Io::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        };
        this.wrote(&polled);
        polled
    }

    fn is_write_vectored(&self) -> bool {
        match &self.io {
            Io::Plain(s) => s.is_write_vectored(),
            Io::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

enum Sender {
    H1(http1::SendRequest<ReqBody>),
    H2(http2::SendRequest<ReqBody>),
}

/// An open HTTP connection to one origin.
pub struct Connection {
    pub origin: Origin,
    pub setup: Setup,
    /// Requests go in absolute form (plain HTTP through a proxy).
    pub absolute_form: bool,
    /// Proxy-Authorization for those requests (the proxy URL's user:password).
    pub proxy_auth: Option<HeaderValue>,
    sender: Sender,
    rec: Recorder,
    driver: tokio::task::JoinHandle<()>,
    /// The next request offers an h2c Upgrade (cleartext --http2).
    offer_h2c: bool,
    /// False after an h2c switch: see net::h2c on why no second request.
    reusable: bool,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// When the request went out and the response came back, for one exchange.
#[derive(Debug, Clone, Copy)]
pub struct Exchange {
    pub started: Instant,
    pub first_write: Instant,
    pub last_write: Instant,
    /// The first byte of the response (HTTP/1.1), or its HEADERS frame (HTTP/2,
    /// where the first bytes read may be the server's SETTINGS).
    pub first_byte: Instant,
    pub head: Instant,
    /// The first byte of the 101 Switching Protocols that began HTTP/2 (h2c).
    pub switched: Option<Instant>,
}

/// hyper's HTTP/2 client as netwalk sets it up; the h2c offer advertises
/// the same SETTINGS.
const H2_STREAM_WINDOW: u32 = 2 << 20;

fn h2_builder() -> http2::Builder<TokioExecutor> {
    let mut builder = http2::Builder::new(TokioExecutor::new());
    builder.max_header_list_size(MAX_HEAD_BYTES as u32).initial_stream_window_size(H2_STREAM_WINDOW);
    builder
}

impl Connection {
    /// Whether another request can go over this connection.
    pub fn is_ready(&self) -> bool {
        self.reusable
            && match &self.sender {
                Sender::H1(s) => s.is_ready(),
                Sender::H2(s) => s.is_ready(),
            }
    }

    /// Waits (at most `within`) until the connection can take another
    /// request; false when it closed or is still busy. Unlike `is_ready`, it
    /// lets hyper's connection task run first, so a keep-alive connection
    /// whose last response just ended counts as ready.
    pub async fn wait_ready(&mut self, within: Duration) -> bool {
        if !self.reusable {
            return false;
        }
        let ready = async {
            match &mut self.sender {
                Sender::H1(s) => s.ready().await.is_ok(),
                Sender::H2(s) => s.ready().await.is_ok(),
            }
        };
        tokio::time::timeout(within, ready).await.unwrap_or(false)
    }

    /// Another handle on an HTTP/2 connection, for requests in parallel
    /// (one stream each, as a browser multiplexes a page's resources).
    /// Its exchanges are timed by the caller: the marks are per connection.
    pub fn h2_sender(&self) -> Option<http2::SendRequest<ReqBody>> {
        match &self.sender {
            Sender::H2(s) if self.reusable => Some(s.clone()),
            _ => None,
        }
    }

    /// The headers that offer an h2c Upgrade on the next request, if it should.
    pub fn upgrade_headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        if !self.offer_h2c {
            return Vec::new();
        }
        let settings = h2c::settings_header(H2_STREAM_WINDOW, MAX_HEAD_BYTES as u32);
        vec![
            (CONNECTION, HeaderValue::from_static("Upgrade, HTTP2-Settings")),
            (UPGRADE, HeaderValue::from_static("h2c")),
            (HeaderName::from_static("http2-settings"), HeaderValue::from_str(&settings).expect("base64url is ASCII")),
        ]
    }

    /// Sends one request and waits for the response head.
    pub async fn send(&mut self, req: Request<ReqBody>) -> Result<(Response<Incoming>, Exchange), Error> {
        let started = Instant::now();
        let authority = self.origin.authority();
        let what = |e: hyper::Error| protocol_error(&authority, &e);
        self.rec.arm();
        let upgrade = std::mem::take(&mut self.offer_h2c).then(|| {
            // The same request in HTTP/2 form, for hyper to put on stream 1 (net::h2c).
            let mut again = Request::new(full(Bytes::new()));
            *again.method_mut() = req.method().clone();
            *again.uri_mut() = self.absolute_uri(req.uri());
            again
        });
        let mut response = match &mut self.sender {
            Sender::H1(s) => {
                s.ready().await.map_err(what)?;
                s.send_request(req).await
            }
            Sender::H2(s) => {
                s.ready().await.map_err(what)?;
                s.send_request(req).await
            }
        }
        .map_err(what)?;
        let mut marks = self.rec.snapshot();
        let mut switched = None;
        if let Some(again) = upgrade {
            if response.status() == hyper::StatusCode::SWITCHING_PROTOCOLS {
                // The 101 ends the HTTP/1.1 part: its marks are the request's.
                switched = Some(marks.first_read.unwrap_or_else(Instant::now));
                response = self.switch_to_h2(response, again).await?;
                self.setup.h2c_upgrade = Some("switched");
            } else {
                self.setup.h2c_upgrade = Some("declined");
            }
        }
        let head = Instant::now();
        if switched.is_none() {
            marks = self.rec.snapshot();
            if let (Sender::H1(_), Some(len)) = (&self.sender, hyper::body::Body::size_hint(response.body()).exact()) {
                self.rec.expect_body(len);
            }
        }
        let first_write = marks.first_write.unwrap_or(started);
        let last_write = marks.last_write.unwrap_or(first_write);
        let first_byte = match self.sender {
            Sender::H1(_) => marks.first_read.unwrap_or(head).min(head).max(first_write),
            Sender::H2(_) => head,
        };
        Ok((response, Exchange { started, first_write, last_write, first_byte, head, switched }))
    }

    fn absolute_uri(&self, uri: &hyper::Uri) -> hyper::Uri {
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let absolute =
            format!("{}://{}{path}", if self.origin.tls { "https" } else { "http" }, self.origin.authority());
        absolute.parse().unwrap_or_else(|_| uri.clone())
    }

    /// After a 101 to an h2c offer: HTTP/2 over the same connection, where
    /// the response to the upgraded request comes as stream 1.
    async fn switch_to_h2(
        &mut self,
        mut switching: Response<Incoming>,
        again: Request<ReqBody>,
    ) -> Result<Response<Incoming>, Error> {
        let authority = self.origin.authority();
        let what = |e: hyper::Error| protocol_error(&authority, &e);
        let to = switching.headers().get(UPGRADE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        if !to.eq_ignore_ascii_case("h2c") {
            return Err(Error::target(format!(
                "{authority} answered the h2c Upgrade with 101 but switched to '{to}', not h2c"
            )));
        }
        let upgraded = hyper::upgrade::on(&mut switching).await.map_err(what)?;
        let io = TokioIo::new(h2c::Adopt::new(TokioIo::new(upgraded)));
        let (mut sender, conn) = h2_builder().handshake(io).await.map_err(what)?;
        self.driver.abort();
        self.driver = tokio::spawn(drive(conn));
        self.reusable = false;
        self.setup.protocol = "HTTP/2";
        sender.ready().await.map_err(what)?;
        let response = sender.send_request(again).await.map_err(what)?;
        self.sender = Sender::H2(sender);
        Ok(response)
    }
}

/// hyper's errors, said for a person.
pub fn protocol_error(authority: &str, err: &hyper::Error) -> Error {
    let mut detail = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        detail = format!("{detail}: {inner}");
        source = inner.source();
    }
    // hyper names this kind only with its server feature; its text is stable.
    let message = if err.is_parse() && detail.contains("too large") {
        format!(
            "{authority} sent a response head larger than {} KiB or with more than {MAX_HEADERS} fields",
            MAX_HEAD_BYTES / 1024
        )
    } else if err.is_parse() || err.is_parse_status() {
        format!("{authority} sent a malformed HTTP response ({detail})")
    } else if err.is_incomplete_message() {
        format!("{authority} closed the connection before the response was complete")
    } else {
        format!("HTTP exchange with {authority} failed: {detail}")
    };
    Error::target(message)
}

impl Dialer {
    /// Where to dial for `origin`: --connect-to rewrites, then --proxy overrides.
    fn dial_target(&self, origin: &Origin) -> (String, u16) {
        if let Some(proxy) = self.proxy.for_origin(origin) {
            return (proxy.host.clone(), proxy.port);
        }
        for rule in &self.connect_to {
            let host_ok = rule.from_host.as_deref().is_none_or(|h| h.eq_ignore_ascii_case(&origin.host));
            let port_ok = rule.from_port.is_none_or(|p| p == origin.port);
            if host_ok && port_ok {
                let host = rule.to_host.clone().unwrap_or_else(|| origin.host.clone());
                return (host, rule.to_port.unwrap_or(origin.port));
            }
        }
        (origin.host.clone(), origin.port)
    }

    /// `--resolve`, else the hosts file and DNS: the addresses and which said so.
    async fn lookup(&self, host: &str, port: u16) -> Result<(Vec<IpAddr>, &'static str), Error> {
        if let Some(o) = self.resolve.iter().find(|o| o.host.eq_ignore_ascii_case(host) && o.port == port) {
            return Ok((vec![o.addr], "resolve_option"));
        }
        let parsed = crate::target::parse_host(host, host)?;
        let resolution = self.resolver.resolve(&parsed).await?;
        let by = match resolution.source {
            Source::Literal => "literal",
            Source::HostsFile => "hosts_file",
            Source::Dns => "dns",
        };
        Ok((resolution.addrs, by))
    }

    /// DNS → TCP → (CONNECT) → TLS → HTTP handshake, each phase timed.
    pub async fn connect(&self, origin: &Origin) -> Result<Connection, Error> {
        let (host, port) = self.dial_target(origin);
        let started = Instant::now();
        let (addrs, resolved_by) = self.lookup(&host, port).await?;
        // --resolve is not a lookup: no DNS phase, as curl reports it.
        let resolved = if resolved_by == "resolve_option" { started } else { Instant::now() };
        let dns = resolved - started;

        let mut failed_attempts = Vec::new();
        let mut connected = None;
        for addr in &addrs {
            let dst = SocketAddr::new(*addr, port);
            let (attempt, stream) = tcp::connect(dst, &self.bind, self.connect_timeout).await?;
            match stream {
                Some(stream) => {
                    connected = Some((stream, attempt, dst));
                    break;
                }
                None => failed_attempts.push(FailedAttempt {
                    address: dst,
                    reason: describe(&attempt.outcome, self.connect_timeout),
                    elapsed: attempt.elapsed,
                }),
            }
        }
        let Some((stream, attempt, remote)) = connected else {
            let list: Vec<String> = failed_attempts.iter().map(|f| format!("{} {}", f.address, f.reason)).collect();
            let message = format!("cannot connect to {host}:{port}: {}", list.join("; "));
            // curl's numbers: every attempt timed out is 28, anything else 7.
            let timed_out =
                !failed_attempts.is_empty() && failed_attempts.iter().all(|f| f.reason.starts_with("no answer in"));
            return Err(if timed_out {
                Error::transfer(Transfer::TimedOut, message, Some("raise --connect-timeout, or check the path".into()))
            } else {
                Error::transfer(Transfer::Connect, message, None)
            });
        };
        let dialled = Dialled {
            dialled: format!("{host}:{port}"),
            resolved_by,
            dns,
            started,
            resolved,
            attempt,
            remote,
            connected: Instant::now(),
            failed_attempts,
        };
        self.establish(origin, stream, dialled).await
    }

    /// What follows TCP: (CONNECT) → TLS → HTTP handshake, over a stream the
    /// caller connected (`explain` times and explains each phase itself).
    pub async fn establish(&self, origin: &Origin, stream: TcpStream, dialled: Dialled) -> Result<Connection, Error> {
        let limit = self.connect_timeout;
        tokio::time::timeout(limit, self.secure(origin, stream, dialled)).await.map_err(|_| {
            Error::transfer(
                Transfer::TimedOut,
                format!(
                    "{}: the connection set-up (proxy CONNECT, TLS handshake) did not finish within {}",
                    origin.authority(),
                    crate::timing::human(limit)
                ),
                Some("raise --connect-timeout, or check that the server speaks TLS on this port".into()),
            )
        })?
    }

    async fn secure(&self, origin: &Origin, mut stream: TcpStream, dialled: Dialled) -> Result<Connection, Error> {
        let Dialled {
            dialled,
            resolved_by,
            dns,
            started,
            resolved,
            attempt,
            remote,
            connected: connected_at,
            failed_attempts,
        } = dialled;
        let connect = attempt.elapsed;

        let mut proxy_connect = None;
        let via = self.proxy.for_origin(origin);
        let mut absolute_form = false;
        let mut proxy_auth = None;
        match via {
            Some(p) if p.kind == Kind::Http && !origin.tls => {
                absolute_form = true;
                proxy_auth = p.auth.as_ref().map(|(u, pw)| crate::commands::http::auth::basic(u, pw));
            }
            Some(p) => {
                let started = Instant::now();
                if p.kind == Kind::Http {
                    proxy_tunnel(&mut stream, origin, p).await?;
                } else {
                    let ip = origin.host.parse::<IpAddr>().ok();
                    let target = match (ip, p.kind) {
                        (Some(ip), _) => proxy::Target::Addr(ip),
                        (None, Kind::Socks5h) => proxy::Target::Name(&origin.host),
                        (None, _) => {
                            let (addrs, _) = self.lookup(&origin.host, origin.port).await?;
                            let first = addrs.first().copied().ok_or_else(|| Error::Resolve {
                                host: origin.host.clone(),
                                reason: "no address".into(),
                            })?;
                            proxy::Target::Addr(first)
                        }
                    };
                    proxy::socks5(&mut stream, p, target, origin.port).await?;
                }
                proxy_connect = Some(started.elapsed());
            }
            None => {}
        }

        let alpn: &[&str] = match self.version {
            Version::Auto => &["h2", "http/1.1"],
            Version::Http11 => &["http/1.1"],
            Version::Http2 | Version::Http2PriorKnowledge => &["h2"],
        };
        let (io, tls, tls_facts) = if origin.tls {
            // Built (the trust store loaded) before the clock starts: the TLS
            // phase is the handshake alone.
            let client = self.tls.with_alpn(alpn)?;
            let started = Instant::now();
            let (tls_stream, facts) = client.handshake(stream, &origin.host).await?;
            (Io::Tls(Box::new(tls_stream)), Some(started.elapsed()), Some(facts))
        } else {
            (Io::Plain(stream), None, None)
        };
        let secured = tls.map(|_| Instant::now());
        let negotiated_h2 = tls_facts.as_ref().and_then(|f| f.alpn.as_deref()) == Some("h2");
        if self.version == Version::Http2 && origin.tls && !negotiated_h2 {
            return Err(Error::target_with_hint(
                format!("{} did not agree to HTTP/2 in the TLS handshake (ALPN)", origin.authority()),
                "drop --http2 to accept HTTP/1.1",
            ));
        }
        let h2 = negotiated_h2 || self.version == Version::Http2PriorKnowledge;

        let rec = Recorder::default();
        let timed = TokioIo::new(Timed {
            io,
            rec: rec.clone(),
            progress: self.progress.clone(),
            lowat: 1,
            waiting_since: None,
            burst: (Duration::ZERO, 0),
        });
        let authority = origin.authority();
        // Cleartext --http2 asks for h2c on the first request (curl's way).
        let offer_h2c = self.version == Version::Http2 && !origin.tls;
        let (sender, driver) = if h2 {
            let (sender, conn) = h2_builder().handshake(timed).await.map_err(|e| protocol_error(&authority, &e))?;
            (Sender::H2(sender), tokio::spawn(drive(conn)))
        } else {
            let mut builder = http1::Builder::new();
            builder.max_buf_size(MAX_HEAD_BYTES).max_headers(MAX_HEADERS);
            let (sender, conn) = builder.handshake(timed).await.map_err(|e| protocol_error(&authority, &e))?;
            let driver = if offer_h2c { tokio::spawn(drive(conn.with_upgrades())) } else { tokio::spawn(drive(conn)) };
            (Sender::H1(sender), driver)
        };
        let setup = Setup {
            dialled,
            resolved_by,
            dns,
            connect,
            kernel_rtt: attempt.kernel_rtt,
            proxy_connect,
            proxy: via.map(|p| p.shown()),
            tls,
            remote,
            local: attempt.local,
            failed_attempts,
            tls_facts,
            protocol: if h2 { "HTTP/2" } else { "HTTP/1.1" },
            h2c_upgrade: None,
            at: SetupMarks { started, resolved, connected: connected_at, secured },
        };
        tracing::debug!(?setup, "connected");
        Ok(Connection {
            origin: origin.clone(),
            setup,
            absolute_form,
            proxy_auth,
            sender,
            rec,
            driver,
            offer_h2c,
            reusable: true,
        })
    }
}

/// Runs a hyper connection to its end; its errors surface through the requests.
async fn drive<F, E>(conn: F)
where
    F: std::future::Future<Output = Result<(), E>>,
    E: std::fmt::Debug,
{
    if let Err(e) = conn.await {
        tracing::debug!(error = ?e, "connection ended");
    }
}

fn describe(outcome: &Outcome, timeout: Duration) -> String {
    match outcome {
        Outcome::Established => "connected".into(),
        Outcome::Refused => "refused (RST)".into(),
        Outcome::TimedOut => format!("no answer in {}", crate::timing::human(timeout)),
        Outcome::Icmp(icmp) => {
            let from = icmp.from.map(|ip| format!(" from {ip}")).unwrap_or_default();
            format!("{}{from}", icmp.reason())
        }
        Outcome::Local(err) => format!("local routing: {err}"),
    }
}

/// Asks an HTTP proxy for a tunnel to `origin` and reads its answer head
/// (bounded), leaving the stream at the first tunnelled byte.
async fn proxy_tunnel(stream: &mut TcpStream, origin: &Origin, proxy: &proxy::Proxy) -> Result<(), Error> {
    use tokio::io::AsyncReadExt;
    let authority = origin.authority();
    let auth = match &proxy.auth {
        Some((user, password)) => {
            let value = crate::commands::http::auth::basic(user, password);
            format!("Proxy-Authorization: {}\r\n", value.to_str().unwrap_or_default())
        }
        None => String::new(),
    };
    let request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n{auth}\r\n");
    stream.write_all(request.as_bytes()).await.map_err(|e| Error::target(format!("proxy CONNECT failed: {e}")))?;
    // Byte by byte so nothing past the head (the tunnel's first bytes) is consumed.
    let mut head = Vec::with_capacity(256);
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_HEAD_BYTES {
            return Err(Error::target(format!(
                "the proxy's answer to CONNECT is larger than {} KiB",
                MAX_HEAD_BYTES / 1024
            )));
        }
        let byte = stream.read_u8().await.map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => Error::target("the proxy closed the connection during CONNECT"),
            _ => Error::target(format!("proxy CONNECT failed: {e}")),
        })?;
        head.push(byte);
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    response.parse(&head).map_err(|e| Error::target(format!("the proxy sent a malformed answer to CONNECT ({e})")))?;
    match response.code {
        Some(200..=299) => Ok(()),
        Some(code) => Err(Error::target(format!(
            "the proxy refused to CONNECT to {authority}: {code} {}",
            response.reason.unwrap_or("")
        ))),
        None => Err(Error::target("the proxy sent an incomplete answer to CONNECT")),
    }
}
