//! A small HTTP/1.0 client for what certificates point at: AIA caIssuers,
//! OCSP responders and CRL distribution points (plain `http://`, as RFC 5280
//! and RFC 6960 expect). One request per connection, the body read to EOF,
//! bounded in bytes and time.

use crate::net::resolve::Resolver;
use crate::net::tcp::{self, Bind};
use crate::target::Host;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A CRL of a big CA is a few MiB; more than this is refused.
const MAX_BODY: usize = 8 << 20;

/// Where the response ends, when its head is complete and gives a Content-Length.
fn complete_at(buf: &[u8]) -> Option<usize> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(head) = response.parse(buf).ok()? else { return None };
    let len = response.headers.iter().find(|h| h.name.eq_ignore_ascii_case("content-length"))?;
    let len: usize = std::str::from_utf8(len.value).ok()?.trim().parse().ok()?;
    head.checked_add(len)
}

/// GET `url`, or POST `body` with `content_type`; returns the 200 response's body.
pub async fn fetch(
    url: &str,
    post: Option<(&str, &[u8])>,
    resolver: &Resolver,
    bind: &Bind,
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("'{url}' is not a URL: {e}"))?;
    if parsed.scheme() != "http" {
        return Err(format!("'{url}': only http:// is fetched (RFC 5280 §4.2.1.13 and RFC 6960 use plain HTTP)"));
    }
    let host_text = parsed.host_str().ok_or_else(|| format!("'{url}' names no host"))?;
    let host = crate::target::parse_host(host_text.trim_matches(['[', ']']), url).map_err(|e| e.to_string())?;
    let port = parsed.port().unwrap_or(80);
    let addr = match &host {
        Host::Ip(ip) => *ip,
        _ => *resolver.resolve(&host).await.map_err(|e| e.to_string())?.addrs.first().ok_or("no address")?,
    };
    let exchange = async {
        let (_, stream) = tcp::connect(SocketAddr::new(addr, port), bind, timeout).await.map_err(|e| e.to_string())?;
        let mut stream = stream.ok_or_else(|| format!("cannot connect to {addr}:{port} for {url}"))?;
        let path = match parsed.query() {
            Some(q) => format!("{}?{q}", parsed.path()),
            None => parsed.path().to_string(),
        };
        let mut request = match post {
            Some((kind, body)) => format!(
                "POST {path} HTTP/1.0\r\nHost: {host_text}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes(),
            None => format!("GET {path} HTTP/1.0\r\nHost: {host_text}\r\n\r\n").into_bytes(),
        };
        if let Some((_, body)) = post {
            request.extend_from_slice(body);
        }
        stream.write_all(&request).await.map_err(|e| format!("sending to {url} failed: {e}"))?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 16384];
        loop {
            let n = stream.read(&mut chunk).await.map_err(|e| format!("reading {url} failed: {e}"))?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            // Some responders (openssl ocsp) keep the connection open: stop at Content-Length.
            if let Some(end) = complete_at(&buf)
                && buf.len() >= end
            {
                buf.truncate(end);
                break;
            }
            if buf.len() > MAX_BODY + 16384 {
                return Err(format!("{url}: the response exceeds {} MiB", MAX_BODY >> 20));
            }
        }
        Ok::<_, String>(buf)
    };
    let raw = tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| format!("{url} did not answer within {}", crate::timing::human(timeout)))??;
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let head = match response.parse(&raw) {
        Ok(httparse::Status::Complete(n)) => n,
        _ => return Err(format!("{url} did not send an HTTP response")),
    };
    if response.code != Some(200) {
        return Err(format!("{url} answered HTTP {}", response.code.unwrap_or(0)));
    }
    Ok(raw[head..].to_vec())
}
