//! +tls and +https: the query over DNS-over-TLS or DNS-over-HTTPS, judged
//! like any other reply. The certificate must verify against the system
//! store or --ca-file, for the name (or address) given with @.

use super::grammar::Settings;
use super::query::{Sent, Verdict, endpoint, judge};
use super::{Outcome, Transport};
use crate::net::dns::{DohTarget, TlsPeer, https_exchange, tls_exchange};
use rustls::pki_types::ServerName;
use std::net::SocketAddr;
use std::sync::Arc;

/// The name the certificate must carry: the @server as typed, or the address.
pub fn peer(settings: &Settings, server: SocketAddr, config: &Arc<rustls::ClientConfig>) -> Result<TlsPeer, String> {
    let text = settings.server.clone().unwrap_or_else(|| server.ip().to_string());
    let bare = text.trim_start_matches('[').trim_end_matches(']').trim_end_matches('.').to_string();
    let name =
        ServerName::try_from(bare).map_err(|e| format!("'{text}' cannot be checked against a certificate: {e}"))?;
    Ok(TlsPeer { name, config: config.clone() })
}

/// The URL authority for DoH: the @server as typed (or the address), with the port unless 443.
fn authority(settings: &Settings, server: SocketAddr) -> String {
    let host = match &settings.server {
        Some(text) if text.parse::<std::net::IpAddr>().is_err() => text.trim_end_matches('.').to_string(),
        _ if server.is_ipv6() => format!("[{}]", server.ip()),
        _ => server.ip().to_string(),
    };
    if server.port() == 443 { host } else { format!("{host}:{}", server.port()) }
}

pub async fn exchange(server: SocketAddr, sent: &Sent, s: &Settings, peer: &TlsPeer) -> Outcome {
    let (transport, result) = match &s.https {
        Some(path) => {
            let auth = authority(s, server);
            let target = DohTarget { authority: &auth, path, get: s.https_get };
            (Transport::Https, https_exchange(server, peer, &target, &sent.bytes, s.time).await)
        }
        None => (Transport::Tls, tls_exchange(server, peer, &sent.bytes, s.time).await),
    };
    let over = transport.name();
    match result {
        Ok(Some((data, elapsed))) => match judge(&data, server, server, sent) {
            Verdict::Reply(msg) => Outcome::Reply { msg, size: data.len(), elapsed, transport },
            Verdict::Bad { header, error } => Outcome::Bad { header, error, raw: data },
            Verdict::Ignore(why) => Outcome::NoResponse { reason: format!("over {over}: {why}") },
        },
        Ok(None) => Outcome::NoResponse {
            reason: format!("no response from {} over {over} within {} s", endpoint(server), s.time.as_secs()),
        },
        Err(e) => {
            Outcome::NoResponse { reason: format!("communications error to {} over {over}: {e}", endpoint(server)) }
        }
    }
}
