//! Sends one crafted ClientHello on a fresh connection and reads the
//! server's answer (src/wire/tls_hello.rs parses it), for version and
//! cipher enumeration. Reads are bounded in bytes and time.

use crate::net::starttls::{self, Protocol};
use crate::net::tcp::{self, Bind, Outcome};
use crate::wire::tls_hello::{self, Depth, Reply};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A flight up to ServerKeyExchange carries the certificate chain; 256 KiB
/// is more than any real one and bounds what a hostile server can make us hold.
const MAX_FLIGHT: usize = 256 * 1024;

#[derive(Clone)]
pub struct Prober {
    pub address: SocketAddr,
    pub bind: Bind,
    pub timeout: Duration,
    pub starttls: Option<Protocol>,
    /// At most this many probe connections at once.
    pub limit: Arc<tokio::sync::Semaphore>,
}

impl Prober {
    /// `Ok(None)`: the server closed the connection without answering.
    pub async fn probe(&self, hello: &[u8], depth: Depth) -> Result<Option<Reply>, String> {
        let _permit = self.limit.acquire().await.map_err(|e| e.to_string())?;
        let (attempt, stream) =
            tcp::connect(self.address, &self.bind, self.timeout).await.map_err(|e| e.to_string())?;
        let Some(mut stream) = stream else {
            return Err(match attempt.outcome {
                Outcome::Refused => format!("{} refused the connection", self.address),
                Outcome::TimedOut => format!("{} did not answer the TCP handshake", self.address),
                Outcome::Icmp(icmp) => format!("{} is unreachable: {icmp:?}", self.address),
                Outcome::Local(e) => format!("cannot connect to {}: {e}", self.address),
                Outcome::Established => "connection lost".into(),
            });
        };
        if let Some(protocol) = self.starttls {
            starttls::upgrade(&mut stream, protocol, self.timeout).await?;
        }
        let exchange = async {
            stream.write_all(hello).await.map_err(|e| format!("sending the ClientHello failed: {e}"))?;
            let mut buf = Vec::with_capacity(8192);
            let mut chunk = [0u8; 8192];
            loop {
                let n = match stream.read(&mut chunk).await {
                    Ok(n) => n,
                    // A reset right after our hello is how some servers say no.
                    Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(None),
                    Err(e) => return Err(format!("reading the server's answer failed: {e}")),
                };
                if n == 0 {
                    return Ok(None);
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(reply) = tls_hello::parse_reply(&buf, depth)? {
                    return Ok(Some(reply));
                }
                if buf.len() > MAX_FLIGHT {
                    return Err(format!("the server's first flight exceeds {} KiB", MAX_FLIGHT / 1024));
                }
            }
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer to a ClientHello within {}", crate::timing::human(self.timeout))),
        }
    }
}
