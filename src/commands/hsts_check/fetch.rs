//! What the online checks ask of the network, each the way hstspreload's Go
//! client asks it: one GET without following redirects, a redirect chain
//! followed up to a limit, a TCP dial, a TLS dial, and (ours) a crafted
//! ClientHello to learn which suite a Go-like client would get. All requests
//! go through the shared HTTP client (src/net/http.rs) and are bounded in time.

use crate::error::Error;
use crate::net::http::{Dialer, Origin, Version};
use crate::net::resolve::Resolver;
use crate::net::tcp::{self, Bind};
use crate::net::tls_client;
use crate::net::tls_probe::Prober;
use crate::wire::tls_hello::{self, Hello, Reply};
use bytes::Bytes;
use hyper::Request;
use rustls::pki_types::CertificateDer;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// hstspreload's dialTimeout, used for every connection and every request.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// hstspreload's maxRedirects.
pub const MAX_REDIRECTS: usize = 3;

/// The parts of a response the checks read.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Every Strict-Transport-Security field, in order (bytes that are not UTF-8 replaced).
    pub sts: Vec<String>,
    pub location: Option<String>,
    /// Over TLS: the negotiated version and suite and the served chain.
    pub tls: Option<TlsSeen>,
    pub remote: SocketAddr,
}

#[derive(Debug, Clone)]
pub struct TlsSeen {
    pub version: String,
    pub chain: Vec<CertificateDer<'static>>,
}

/// How a redirect chain ended when it did not end with a final response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainEnd {
    /// More than MAX_REDIRECTS redirects.
    TooMany,
    /// A request along the way failed (connection, TLS, bad Location).
    Failed(String),
}

pub struct Fetcher {
    verifying: Dialer,
    insecure: Dialer,
    bind: Bind,
}

fn dialer(global: &crate::cli::Global, insecure: bool, ca_file: Option<&Path>) -> Result<Dialer, Error> {
    Ok(Dialer {
        resolver: Resolver::system(global.family()),
        resolve: Vec::new(),
        connect_to: Vec::new(),
        proxy: Default::default(),
        bind: Bind { interface: global.interface.clone(), source: None },
        connect_timeout: TIMEOUT,
        tls: tls_client::Client::new(insecure, ca_file)?,
        version: Version::Auto,
        progress: Default::default(),
    })
}

impl Fetcher {
    /// `ca_file` replaces the system trust store (a lab CA), as `http --cacert` does.
    pub fn new(global: &crate::cli::Global, ca_file: Option<&Path>) -> Result<Fetcher, Error> {
        Ok(Fetcher {
            verifying: dialer(global, false, ca_file)?,
            insecure: dialer(global, true, ca_file)?,
            bind: Bind { interface: global.interface.clone(), source: None },
        })
    }

    /// hstspreload's getFirstResponse: one GET, redirects not followed.
    pub async fn first_response(&self, url: &Url, verify: bool) -> Result<Response, String> {
        let dialer = if verify { &self.verifying } else { &self.insecure };
        match tokio::time::timeout(TIMEOUT, get(dialer, url)).await {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(_) => Err(format!("no response from {url} within {}", crate::timing::human(TIMEOUT))),
        }
    }

    /// hstspreload's preloadableRedirects: follows redirects from `start` and
    /// returns every URL redirected to, in order; the chain stops with an
    /// error after MAX_REDIRECTS + 1 of them, as Go's CheckRedirect does.
    pub async fn redirect_chain(&self, start: &Url) -> (Vec<Url>, Option<ChainEnd>) {
        let mut chain = Vec::new();
        let mut url = start.clone();
        loop {
            let response = match self.first_response(&url, true).await {
                Ok(r) => r,
                Err(e) => return (chain, Some(ChainEnd::Failed(e))),
            };
            // The statuses Go's client follows; any other ends the chain.
            if !matches!(response.status, 301 | 302 | 303 | 307 | 308) {
                return (chain, None);
            }
            let Some(location) = response.location else { return (chain, None) };
            let next = match url.join(&location) {
                Ok(next) if matches!(next.scheme(), "http" | "https") => next,
                Ok(next) => {
                    return (chain, Some(ChainEnd::Failed(format!("{url} redirects to unsupported {next}"))));
                }
                Err(e) => {
                    let shown = super::issue::quote(&location);
                    return (chain, Some(ChainEnd::Failed(format!("{url} sent a bad Location {shown}: {e}"))));
                }
            };
            chain.push(next.clone());
            if chain.len() > MAX_REDIRECTS {
                return (chain, Some(ChainEnd::TooMany));
            }
            url = next;
        }
    }

    /// Whether something accepts TCP connections on host:port (any of its addresses).
    pub async fn tcp_open(&self, host: &str, port: u16) -> bool {
        let Ok(parsed) = crate::target::parse_host(host, host) else { return false };
        let Ok(resolution) = self.verifying.resolver.resolve(&parsed).await else { return false };
        for addr in resolution.addrs {
            if let Ok((_, Some(_stream))) = tcp::connect(SocketAddr::new(addr, port), &self.bind, TIMEOUT).await {
                return true;
            }
        }
        false
    }

    /// A verified TLS handshake with host:443 (Go's tls.Dial with default settings).
    pub async fn tls_dial(&self, host: &str) -> Result<(), String> {
        let origin = Origin { tls: true, host: host.to_string(), port: 443 };
        match tokio::time::timeout(TIMEOUT, self.verifying.connect(&origin)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no TLS handshake with {host}:443 within {}", crate::timing::human(TIMEOUT))),
        }
    }

    /// The suite a server picks from a Go-like TLS 1.2 offer (modern AEAD
    /// suites first, then CBC, RSA key exchange and 3DES), or None when it
    /// does not answer with a ServerHello.
    pub async fn tls12_choice(&self, address: SocketAddr, host: &str) -> Option<u16> {
        let prober = Prober {
            address,
            bind: self.bind.clone(),
            timeout: TIMEOUT,
            starttls: None,
            domain: String::new(),
            limit: Arc::new(tokio::sync::Semaphore::new(1)),
        };
        let mut random = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut random).ok()?;
        let hello = tls_hello::client_hello(&Hello {
            version: tls_hello::TLS12,
            suites: GO_TLS12_OFFER,
            groups: &[0x001d, 0x0017, 0x0018],
            server_name: Some(host),
            random,
            ..Default::default()
        });
        match prober.probe(&hello, tls_hello::Depth::Hello).await {
            Ok(Some(Reply::Hello(hello))) => Some(hello.suite),
            _ => None,
        }
    }
}

/// The TLS 1.2 suites Go's crypto/tls client offers (the client hstspreload
/// runs on), in its order.
const GO_TLS12_OFFER: &[u16] = &[
    0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, // ECDHE with AES-GCM / ChaCha20-Poly1305
    0xc009, 0xc013, 0xc00a, 0xc014, // ECDHE with AES-CBC
    0x009c, 0x009d, 0x002f, 0x0035, // RSA key exchange
    0xc012, 0x000a, // 3DES
];

/// One GET over a new connection; the head only (the body is never read).
async fn get(dialer: &Dialer, url: &Url) -> Result<Response, Error> {
    let origin = Origin::from_url(url)?;
    let mut conn = dialer.connect(&origin).await.map_err(Error::as_check_failure)?;
    let h2 = conn.setup.protocol == "HTTP/2";
    let target = if h2 {
        url.as_str().to_string()
    } else {
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    };
    let mut builder = Request::builder().method("GET").uri(target);
    if !h2 {
        builder = builder.header(hyper::header::HOST, origin_host(url));
    }
    let request = builder
        .header(hyper::header::USER_AGENT, concat!("netwalk/", env!("CARGO_PKG_VERSION"), " (hsts-check)"))
        .body(crate::net::http::full(Bytes::new()))
        .map_err(|e| Error::usage(format!("cannot build a request for {url}: {e}")))?;
    let (response, _) = conn.send(request).await?;
    let text = |v: &hyper::header::HeaderValue| String::from_utf8_lossy(v.as_bytes()).into_owned();
    let headers = response.headers();
    Ok(Response {
        status: response.status().as_u16(),
        sts: headers.get_all(hyper::header::STRICT_TRANSPORT_SECURITY).iter().map(text).collect(),
        location: headers.get(hyper::header::LOCATION).map(text),
        tls: conn.setup.tls_facts.as_ref().map(|f| TlsSeen { version: f.version.clone(), chain: f.chain.clone() }),
        remote: conn.setup.remote,
    })
}

fn origin_host(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}
