//! The chain of a server rustls cannot negotiate with (TLS 1.0/1.1 only,
//! SSLv3, CBC-only, static RSA, DHE-only, RC4, 3DES, NULL). Up to TLS 1.2 the
//! server's Certificate message travels in clear text, so one crafted
//! ClientHello read up to ServerHelloDone shows the chain, the staple and any
//! CertificateRequest, without deriving a key.

use super::enumerate::{Offer, Probe};
use crate::wire::tls_hello::{self, Depth, GROUPS, Reply, SSL3, SUITES, ServerHello, TLS10, TLS11, TLS12};

/// Every suite up to TLS 1.2 that authenticates the server with a certificate.
fn certificate_suites() -> Vec<u16> {
    SUITES.iter().filter(|(c, n)| !tls_hello::is_tls13_suite(*c) && !n.contains("_anon_")).map(|(c, _)| *c).collect()
}

/// The newest version up to TLS 1.2 the server answers with a certificate.
pub async fn read_flight<P: Probe>(p: &P, alpn: &[String]) -> Result<ServerHello, String> {
    let mut why = String::new();
    for version in [TLS12, TLS11, TLS10, SSL3] {
        let offer = Offer {
            version,
            suites: certificate_suites(),
            groups: GROUPS.iter().map(|(g, _)| *g).collect(),
            depth: Depth::Flight,
            alpn: alpn.to_vec(),
            status_request: true,
            ..Offer::default()
        };
        match p.probe(offer).await? {
            Some(Reply::Hello(h)) if h.version == version && !h.certificates.is_empty() => return Ok(h),
            Some(Reply::Hello(h)) if h.version == version => {
                why = format!("{} answered without a Certificate message", tls_hello::version_name(version));
            }
            Some(Reply::Alert { description, .. }) if why.is_empty() => {
                why = format!("alert {}", tls_hello::alert_name(description));
            }
            _ => {}
        }
    }
    Err(format!("no crafted ClientHello up to TLS 1.2 got a certificate either ({why})"))
}

/// How the key exchange of a TLS ≤ 1.2 flight reads.
pub fn key_exchange(h: &ServerHello) -> Option<String> {
    match (h.group, h.dh_bits) {
        (Some(g), _) => Some(tls_hello::group_name(g)),
        (None, Some(bits)) => Some(format!("DHE {bits} bits")),
        (None, None) if tls_hello::suite_name(h.suite).starts_with("TLS_RSA_") => Some("RSA key transport".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TLS 1.0-only server with one RSA suite.
    #[derive(Clone)]
    struct Tls10Only;

    impl Probe for Tls10Only {
        async fn probe(&self, offer: Offer) -> Result<Option<Reply>, String> {
            Ok(Some(if offer.version == TLS10 && offer.suites.contains(&0x000a) {
                Reply::Hello(ServerHello {
                    version: TLS10,
                    suite: 0x000a,
                    certificates: vec![vec![0x30, 0]],
                    ..Default::default()
                })
            } else {
                Reply::Alert { level: 2, description: 70 }
            }))
        }
    }

    #[test]
    fn falls_back_to_the_version_that_answers() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let h = rt.block_on(read_flight(&Tls10Only, &[])).unwrap();
        assert_eq!((h.version, h.suite), (TLS10, 0x000a));
        assert_eq!(key_exchange(&h).as_deref(), Some("RSA key transport"));
    }
}
