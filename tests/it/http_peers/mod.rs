//! Lab peers for `netwalk http`: an in-process hyper server (HTTP/1.1, h2c,
//! HTTP/2 over TLS with a lab CA made by rcgen), a CONNECT proxy, and hostile
//! raw-TCP peers. Every socket is made inside a lab host.

#![allow(dead_code)]

use crate::lab::Host;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

pub const LAST_MODIFIED: &str = "Wed, 21 Oct 2015 07:28:00 GMT";
pub const PAGE: &[u8] = b"hello from the lab\n";

/// explain --resources: the sub-resources /page.html names on its own host
/// (path, content type, body length of pattern bytes).
pub const RESOURCES: &[(&str, &str, usize)] = &[
    ("/res/style.css", "text/css", 1200),
    ("/res/favicon.ico", "image/x-icon", 318),
    ("/res/app.js", "text/javascript", 5000),
    ("/res/logo.png", "image/png", 20000),
    ("/res/photo.jpg", "image/jpeg", 60000),
];

/// The page: an icon, a stylesheet, a script and an image on its host, a
/// photo on cdn.example.test, a missing image, one on a closed port, a
/// duplicate and a data: URL.
pub const RESOURCE_PAGE: &str = "<!doctype html><html><head><title>lab</title>\
<link rel=\"shortcut icon\" href=\"/res/favicon.ico\"><link rel=stylesheet href=\"res/style.css\">\
<script src=\"/res/app.js\"></script></head><body><img src=\"/res/logo.png\">\
<img src=\"https://cdn.example.test/res/photo.jpg\"><img src=\"/res/missing.png\">\
<img src=\"https://www.example.test:4444/closed.png\">\
<img src=\"/res/logo.png#again\"><img src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\"></body></html>\n";

/// Generated bodies repeat a pseudo-random block of a prime length, so a
/// lost, repeated or reordered 64 KiB chunk shows, and checks are memcmp.
const PERIOD: usize = 65521;

fn table() -> &'static [u8] {
    static TABLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..2 * PERIOD as u64).map(|i| ((i % PERIOD as u64).wrapping_mul(2654435761) >> 13) as u8).collect()
    })
}

/// The byte at `offset` of every generated large body.
pub fn pattern(offset: u64) -> u8 {
    table()[(offset % PERIOD as u64) as usize]
}

/// `len` (at most 65521) bytes of the body from `offset`.
pub fn pattern_slice(offset: u64, len: usize) -> &'static [u8] {
    assert!(len <= PERIOD);
    let start = (offset % PERIOD as u64) as usize;
    &table()[start..start + len]
}

/// A lab CA and a server certificate for the given names, as PEM.
pub struct Pki {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

pub fn pki(names: &[&str]) -> Pki {
    make_pki(names, false)
}

/// Like `pki`, but the server certificate expired on 1 Jan 2021.
pub fn expired_pki(names: &[&str]) -> Pki {
    make_pki(names, true)
}

fn make_pki(names: &[&str], expired: bool) -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "netwalk lab CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    if expired {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let cert = params.signed_by(&key, &issuer).unwrap();
    Pki { ca_pem: ca_cert.pem(), cert_pem: cert.pem(), key_pem: key.serialize_pem() }
}

/// A rustls (ring) acceptor for the lab certificate, offering h2 then http/1.1.
pub fn tls_acceptor(pki: &Pki) -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = vec![CertificateDer::from_pem_slice(pki.cert_pem.as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(pki.key_pem.as_bytes()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// What the server saw: one line per request, and how many connections.
#[derive(Clone, Default)]
pub struct Seen {
    pub requests: Arc<Mutex<Vec<String>>>,
    pub connections: Arc<AtomicUsize>,
}

/// Serves the routes below on `listeners` (plain, with h2c prior knowledge)
/// and `tls_listeners`, from a thread that lives as long as the test.
pub fn serve(listeners: Vec<TcpListener>, tls_listeners: Vec<TcpListener>, pki: Option<&Pki>) -> Seen {
    let seen = Seen::default();
    let acceptor = pki.map(tls_acceptor);
    let s = seen.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async move {
            let mut tasks = Vec::new();
            for (l, tls) in
                listeners.into_iter().map(|l| (l, false)).chain(tls_listeners.into_iter().map(|l| (l, true)))
            {
                l.set_nonblocking(true).unwrap();
                let l = tokio::net::TcpListener::from_std(l).unwrap();
                let acceptor = acceptor.clone();
                let seen = s.clone();
                tasks.push(tokio::spawn(async move {
                    loop {
                        let Ok((stream, _)) = l.accept().await else { return };
                        // As web servers do (nginx tcp_nodelay): no Nagle wait between
                        // a response's frames, which would show as 40 ms delayed-ACK stalls.
                        let _ = stream.set_nodelay(true);
                        seen.connections.fetch_add(1, Ordering::SeqCst);
                        let (acceptor, seen) = (acceptor.clone(), seen.clone());
                        tokio::spawn(async move {
                            let port = stream.local_addr().map(|a| a.port()).unwrap_or(0);
                            let service = hyper::service::service_fn(move |req| handle(req, seen.clone(), tls, port));
                            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                            if tls {
                                let Ok(stream) = acceptor.unwrap().accept(stream).await else { return };
                                let _ = builder.serve_connection(TokioIo::new(stream), service).await;
                            } else {
                                let _ = builder.serve_connection(TokioIo::new(stream), service).await;
                            }
                        });
                    }
                }));
            }
            for t in tasks {
                let _ = t.await;
            }
        });
    });
    seen
}

/// A body of `len` pattern bytes made on the fly, 60 000 bytes at a time;
/// `sized` false makes HTTP/1.1 send it chunked; `stall_after` stops
/// sending (without ending) after that many bytes.
pub struct Generated {
    offset: u64,
    len: u64,
    sized: bool,
    stall_after: Option<u64>,
}

impl Body for Generated {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.stall_after.is_some_and(|s| self.offset >= s) {
            return Poll::Pending; // never woken: a server that stops mid-body
        }
        if self.offset >= self.len {
            return Poll::Ready(None);
        }
        let n = (self.len - self.offset).min(60_000);
        let chunk = Bytes::copy_from_slice(pattern_slice(self.offset, n as usize));
        self.offset += n;
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.offset >= self.len
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        if self.sized {
            hyper::body::SizeHint::with_exact(self.len - self.offset)
        } else {
            hyper::body::SizeHint::default()
        }
    }
}

type Reply = Response<http_body_util::combinators::BoxBody<Bytes, Infallible>>;

fn reply(status: u16, headers: &[(&str, &str)], body: impl Into<Bytes>) -> Reply {
    let mut r = Response::builder().status(status);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.body(Full::new(body.into()).boxed()).unwrap()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn compressed_text() -> Vec<u8> {
    (0..2000).flat_map(|i| format!("line {i} of a compressible lab page\n").into_bytes()).collect()
}

async fn handle(req: Request<Incoming>, seen: Seen, tls: bool, port: u16) -> Result<Reply, Infallible> {
    let (parts, mut body) = req.into_parts();
    if parts.uri.path() == "/sink" {
        // Counts an upload as it streams in, keeping none of it.
        let mut received = 0u64;
        while let Some(Ok(frame)) = body.frame().await {
            received += frame.data_ref().map_or(0, |d| d.len() as u64);
        }
        let length = parts.headers.get("content-length").and_then(|v| v.to_str().ok()).unwrap_or("none").to_string();
        seen.requests.lock().unwrap().push(format!("{} /sink {received}", parts.method));
        return Ok(reply(200, &[], format!("received={received}\ncontent-length={length}\n")));
    }
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let path = parts.uri.path().to_string();
    seen.requests.lock().unwrap().push(format!("{} {} {:?}", parts.method, parts.uri, parts.version));
    let header = |n: &str| parts.headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let r = match segments.as_slice() {
        [""] => reply(
            200,
            &[("etag", "\"v1\""), ("last-modified", LAST_MODIFIED), ("cache-control", "max-age=60"), ("age", "3")],
            PAGE,
        ),
        ["cond"] => {
            let fresh = header("if-none-match").as_deref() == Some("\"v1\"")
                || header("if-modified-since").as_deref() == Some(LAST_MODIFIED);
            let h = [("etag", "\"v1\""), ("last-modified", LAST_MODIFIED), ("cache-control", "no-cache")];
            if fresh { reply(304, &h, Bytes::new()) } else { reply(200, &h, PAGE) }
        }
        ["echo"] => {
            let mut text = format!("method={}\nversion={:?}\n", parts.method, parts.version);
            if let Some(a) = parts.uri.authority() {
                text += &format!("authority={a}\n");
            }
            for (k, v) in &parts.headers {
                text += &format!("{k}: {}\n", v.to_str().unwrap_or("?"));
            }
            text += &format!("body={}\n", String::from_utf8_lossy(&body));
            reply(200, &[("content-type", "text/plain")], text)
        }
        ["redirect", code, rest @ ..] => {
            let to = format!("/{}", rest.join("/"));
            reply(code.parse().unwrap(), &[("location", &to)], "moved\n")
        }
        // A login: the session cookie comes with the redirect.
        ["login"] => reply(
            302,
            &[
                ("location", "/echo"),
                ("set-cookie", "sid=abc123; Path=/; HttpOnly"),
                ("set-cookie", "theme=dark; Max-Age=3600"),
            ],
            "",
        ),
        ["login-cross"] => reply(
            302,
            &[("location", &format!("http://other.test:{port}/echo")), ("set-cookie", "sid=abc123; Path=/")],
            "",
        ),
        ["loop", "a"] => reply(302, &[("location", "/loop/b")], ""),
        ["loop", "b"] => reply(302, &[("location", "/loop/a")], ""),
        ["chain", n] => {
            let n: u32 = n.parse().unwrap();
            if n == 0 {
                reply(200, &[], "end of chain\n")
            } else {
                reply(302, &[("location", &format!("/chain/{}", n - 1))], "")
            }
        }
        ["downgrade"] => reply(301, &[("location", &format!("http://web.test:{}/echo", port - 363))], ""),
        ["cross"] => reply(302, &[("location", &format!("http://other.test:{port}/echo"))], ""),
        ["encoded", coding] => {
            let text = compressed_text();
            let data = match *coding {
                "gzip" => gzip(&text),
                "deflate" => {
                    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
                    e.write_all(&text).unwrap();
                    e.finish().unwrap()
                }
                "br" => {
                    let mut out = Vec::new();
                    brotli::BrotliCompress(&mut &text[..], &mut out, &Default::default()).unwrap();
                    out
                }
                "zstd" => zstd::stream::encode_all(&text[..], 3).unwrap(),
                _ => text,
            };
            reply(200, &[("content-encoding", coding)], data)
        }
        ["bomb"] => reply(200, &[("content-encoding", "gzip")], gzip(&vec![0u8; 64 << 20])),
        ["lines", n] => {
            let n: usize = n.parse().unwrap();
            reply(200, &[("content-type", "text/plain")], b"0123456789abcdef\n".repeat(n / 17 + 1)[..n].to_vec())
        }
        ["binary"] => reply(200, &[("content-type", "application/octet-stream")], (0..=255u8).collect::<Vec<_>>()),
        ["big", n] => big(n.parse().unwrap(), true, None),
        ["chunked", n] => big(n.parse().unwrap(), false, None),
        ["stall"] => big(1 << 20, true, Some(100_000)),
        ["scheme"] => reply(200, &[], if tls { "https\n" } else { "http\n" }),
        ["page.html"] => reply(200, &[("content-type", "text/html; charset=utf-8")], RESOURCE_PAGE),
        ["res", _] if RESOURCES.iter().any(|(p, _, _)| *p == path) => {
            let (_, ctype, len) = RESOURCES.iter().find(|(p, _, _)| *p == path).unwrap();
            reply(200, &[("content-type", ctype)], pattern_slice(0, *len).to_vec())
        }
        // explain's walk: http:// sends the browser to https://, which pins itself with HSTS.
        ["upgrade"] => {
            let host = header("host").unwrap_or_default();
            let name = host.split(':').next().unwrap_or_default().to_string();
            reply(301, &[("location", &format!("https://{name}/hsts"))], "moved\n")
        }
        ["hsts"] => {
            reply(200, &[("strict-transport-security", "max-age=31536000"), ("content-type", "text/plain")], PAGE)
        }
        _ => reply(404, &[], "not found\n"),
    };
    Ok(r)
}

fn big(len: u64, sized: bool, stall_after: Option<u64>) -> Reply {
    let body = Generated { offset: 0, len, sized, stall_after };
    Response::builder().status(200).body(body.boxed()).unwrap()
}

/// A raw TCP peer: `behave` gets each accepted connection (after the
/// request head was read, when `read_head`).
pub fn raw_peer(listener: TcpListener, behave: fn(&mut std::net::TcpStream)) {
    std::thread::spawn(move || {
        while let Ok((mut stream, _)) = listener.accept() {
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                behave(&mut stream);
            });
        }
    });
}

/// An HTTP proxy made of sockets inside `host`: CONNECT tunnels and
/// absolute-form requests, to the addresses in `names`. Records request lines.
pub fn proxy(host: Host, listener: TcpListener, names: Vec<(String, std::net::IpAddr)>) -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        while let Ok((mut client, _)) = listener.accept() {
            let (host, names, log) = (host.clone(), names.clone(), log.clone());
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 65536 {
                    if client.read(&mut byte).unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                let line = text.lines().next().unwrap_or("").to_string();
                log.lock().unwrap().push(line.clone());
                if let Some(auth) = text.lines().find_map(|l| {
                    l.to_ascii_lowercase().starts_with("proxy-authorization: ").then(|| l[21..].to_string())
                }) {
                    log.lock().unwrap().push(format!("proxy-authorization: {auth}"));
                }
                let mut words = line.split(' ');
                let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
                let authority = if method == "CONNECT" {
                    target.to_string()
                } else {
                    target.trim_start_matches("http://").split('/').next().unwrap_or("").to_string()
                };
                let (name, port) = authority.rsplit_once(':').unwrap_or((&authority, "80"));
                let Some(ip) = names.iter().find(|(n, _)| n == name).map(|(_, ip)| *ip) else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
                    return;
                };
                let dst = SocketAddr::new(ip, port.parse().unwrap());
                let domain = if ip.is_ipv4() { libc::AF_INET } else { libc::AF_INET6 };
                let fd = host.socket(domain, libc::SOCK_STREAM, 0, None);
                let upstream = socket2::Socket::from(fd);
                upstream.connect(&dst.into()).unwrap();
                let mut upstream = std::net::TcpStream::from(upstream);
                if method == "CONNECT" {
                    client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").unwrap();
                } else {
                    // Forward in origin form: the path after the authority.
                    let path = target.trim_start_matches("http://").split_once('/').map_or("", |(_, p)| p);
                    let rest = &text[line.len()..];
                    let rewritten = format!("{method} /{path} HTTP/1.1{rest}");
                    upstream.write_all(rewritten.as_bytes()).unwrap();
                }
                let (mut c2, mut u2) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                let t = std::thread::spawn(move || {
                    let _ = std::io::copy(&mut u2, &mut c2);
                    let _ = c2.shutdown(std::net::Shutdown::Write);
                });
                let _ = std::io::copy(&mut client, &mut upstream);
                let _ = upstream.shutdown(std::net::Shutdown::Write);
                let _ = t.join();
            });
        }
    });
    seen
}

/// An HTTP/1.1 server that accepts `Upgrade: h2c` the way RFC 9113 §3.2 (as
/// RFC 7540 wrote it) has it: 101, then HTTP/2 where the upgraded request is
/// stream 1 and its response comes on stream 1. hyper's HTTP/2 server cannot
/// adopt a stream, so the request is handed to it as a HEADERS (+ DATA) frame
/// on stream 1 placed right after the client's preface and SETTINGS, HPACK
/// literals only (the client's encoder state is untouched). Requests without
/// the Upgrade are served as HTTP/1.1. `seen` gets "UPGRADE <settings>" lines.
pub fn serve_h2c_upgrade(listener: TcpListener) -> Seen {
    let seen = Seen::default();
    let s = seen.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let l = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((stream, _)) = l.accept().await {
                s.connections.fetch_add(1, Ordering::SeqCst);
                let seen = s.clone();
                tokio::spawn(async move {
                    let port = stream.local_addr().map(|a| a.port()).unwrap_or(0);
                    let service = hyper::service::service_fn(move |req| upgrade_or_serve(req, seen.clone(), port));
                    let conn =
                        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                    let _ = conn.with_upgrades().await;
                });
            }
        });
    });
    seen
}

async fn upgrade_or_serve(mut req: Request<Incoming>, seen: Seen, port: u16) -> Result<Reply, Infallible> {
    let header = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (Some("h2c"), Some(settings)) = (header("upgrade").as_deref(), header("http2-settings")) else {
        return handle(req, seen, false, port).await;
    };
    seen.requests.lock().unwrap().push(format!("UPGRADE {settings}"));
    let on_upgrade = hyper::upgrade::on(&mut req);
    let (parts, mut body) = req.into_parts();
    if parts.uri.path() == "/sink" {
        // Counts an upload as it streams in, keeping none of it.
        let mut received = 0u64;
        while let Some(Ok(frame)) = body.frame().await {
            received += frame.data_ref().map_or(0, |d| d.len() as u64);
        }
        let length = parts.headers.get("content-length").and_then(|v| v.to_str().ok()).unwrap_or("none").to_string();
        seen.requests.lock().unwrap().push(format!("{} /sink {received}", parts.method));
        return Ok(reply(200, &[], format!("received={received}\ncontent-length={length}\n")));
    }
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let authority = parts.headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let mut fields = vec![
        (":method".to_string(), parts.method.to_string()),
        (":scheme".to_string(), "http".to_string()),
        (":path".to_string(), parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_string()),
        (":authority".to_string(), authority),
    ];
    for (k, v) in &parts.headers {
        if !["host", "connection", "upgrade", "http2-settings", "content-length"].contains(&k.as_str()) {
            fields.push((k.to_string(), v.to_str().unwrap_or("").to_string()));
        }
    }
    tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        let Ok(upgraded) = on_upgrade.await else { return };
        let mut io = TokioIo::new(upgraded);
        // The client's preface: the magic and its SETTINGS frame, passed on as read.
        let mut prefix = vec![0u8; 24 + 9];
        if io.read_exact(&mut prefix).await.is_err() {
            return;
        }
        let len = u32::from_be_bytes([0, prefix[24], prefix[25], prefix[26]]) as usize;
        let mut settings = vec![0u8; len];
        if io.read_exact(&mut settings).await.is_err() {
            return;
        }
        prefix.extend_from_slice(&settings);
        let end_stream = if body.is_empty() { 0x1 } else { 0x0 };
        prefix.extend_from_slice(&h2_frame(0x1, 0x4 | end_stream, 1, &hpack_literals(&fields)));
        if !body.is_empty() {
            prefix.extend_from_slice(&h2_frame(0x0, 0x1, 1, &body));
        }
        let io = Prefixed { prefix, at: 0, inner: io };
        let service = hyper::service::service_fn(move |req| handle(req, seen.clone(), false, port));
        let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .serve_connection(TokioIo::new(io), service)
            .await;
    });
    let mut r = reply(101, &[("connection", "Upgrade"), ("upgrade", "h2c")], Bytes::new());
    *r.status_mut() = hyper::StatusCode::SWITCHING_PROTOCOLS;
    Ok(r)
}

fn h2_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = (payload.len() as u32).to_be_bytes();
    let mut f = vec![len[1], len[2], len[3], kind, flags];
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// HPACK "literal header field without indexing, new name" for each field.
fn hpack_literals(fields: &[(String, String)]) -> Vec<u8> {
    fn string(out: &mut Vec<u8>, s: &str) {
        // A 7-bit prefix integer (RFC 7541 §5.1), no Huffman.
        let mut n = s.len();
        if n < 127 {
            out.push(n as u8);
        } else {
            out.push(127);
            n -= 127;
            while n >= 128 {
                out.push((n % 128) as u8 | 0x80);
                n /= 128;
            }
            out.push(n as u8);
        }
        out.extend_from_slice(s.as_bytes());
    }
    let mut out = Vec::new();
    for (name, value) in fields {
        out.push(0x00);
        string(&mut out, name);
        string(&mut out, value);
    }
    out
}

/// Serves `prefix` before the inner stream's bytes.
struct Prefixed<T> {
    prefix: Vec<u8>,
    at: usize,
    inner: T,
}

impl<T: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Prefixed<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.at < self.prefix.len() {
            let n = (self.prefix.len() - self.at).min(buf.remaining());
            let at = self.at;
            buf.put_slice(&self.prefix[at..at + n]);
            self.at += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Prefixed<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A SOCKS5 proxy (RFC 1928, and RFC 1929 user/password when offered)
/// inside `host`, to the addresses in `names` or literal ones. Records what
/// each client asked for: "auth USER:PASS", "CONNECT name:port" (a name,
/// socks5h) or "CONNECT ip:port".
pub fn socks5(host: Host, listener: TcpListener, names: Vec<(String, std::net::IpAddr)>) -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        while let Ok((mut client, _)) = listener.accept() {
            let (host, names, log) = (host.clone(), names.clone(), log.clone());
            std::thread::spawn(move || {
                let mut read = |n: usize| {
                    let mut buf = vec![0u8; n];
                    client.read_exact(&mut buf).map(|_| buf)
                };
                let Ok(hello) = read(2) else { return };
                let Ok(methods) = read(hello[1] as usize) else { return };
                if methods.contains(&2) {
                    client.write_all(&[5, 2]).unwrap();
                    let mut read = |n: usize| {
                        let mut buf = vec![0u8; n];
                        client.read_exact(&mut buf).map(|_| buf).unwrap()
                    };
                    let ulen = read(2)[1] as usize;
                    let user = String::from_utf8(read(ulen)).unwrap();
                    let plen = read(1)[0] as usize;
                    let password = String::from_utf8(read(plen)).unwrap();
                    log.lock().unwrap().push(format!("auth {user}:{password}"));
                    client.write_all(&[1, 0]).unwrap();
                } else {
                    client.write_all(&[5, 0]).unwrap();
                }
                let mut read = |n: usize| {
                    let mut buf = vec![0u8; n];
                    client.read_exact(&mut buf).map(|_| buf).unwrap()
                };
                let head = read(4);
                let (name, ip) = match head[3] {
                    1 => {
                        let a: [u8; 4] = read(4).try_into().unwrap();
                        (None, std::net::IpAddr::from(a))
                    }
                    4 => {
                        let a: [u8; 16] = read(16).try_into().unwrap();
                        (None, std::net::IpAddr::from(a))
                    }
                    _ => {
                        let len = read(1)[0] as usize;
                        let name = String::from_utf8(read(len)).unwrap();
                        let ip = names.iter().find(|(n, _)| *n == name).map(|(_, ip)| *ip);
                        match ip {
                            Some(ip) => (Some(name), ip),
                            None => {
                                let _ = client.write_all(&[5, 4, 0, 1, 0, 0, 0, 0, 0, 0]);
                                return;
                            }
                        }
                    }
                };
                let port = u16::from_be_bytes(read(2).try_into().unwrap());
                log.lock().unwrap().push(format!("CONNECT {}:{port}", name.unwrap_or_else(|| ip.to_string())));
                let dst = SocketAddr::new(ip, port);
                let domain = if ip.is_ipv4() { libc::AF_INET } else { libc::AF_INET6 };
                let upstream = socket2::Socket::from(host.socket(domain, libc::SOCK_STREAM, 0, None));
                if upstream.connect(&dst.into()).is_err() {
                    let _ = client.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]);
                    return;
                }
                client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).unwrap();
                let mut upstream = std::net::TcpStream::from(upstream);
                let (mut c2, mut u2) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                let t = std::thread::spawn(move || {
                    let _ = std::io::copy(&mut u2, &mut c2);
                    let _ = c2.shutdown(std::net::Shutdown::Write);
                });
                let _ = std::io::copy(&mut client, &mut upstream);
                let _ = upstream.shutdown(std::net::Shutdown::Write);
                let _ = t.join();
            });
        }
    });
    seen
}
