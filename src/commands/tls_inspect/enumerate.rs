//! `--enumerate`: which versions, cipher suites and groups the server
//! accepts, and whether it imposes its own suite order. The strategy is
//! testssl.sh's and sslscan's: offer a set, see what the server picks, take
//! it out, offer the rest, until the server refuses. It is written against
//! the `Probe` trait so it runs the same on sockets and on a model server.

use crate::net::tls_probe::Prober;
use crate::wire::tls_hello::{self, GROUPS, Hello, Reply, SUITES, TLS12, TLS13, VERSIONS};
use serde::Serialize;
use std::future::Future;

/// One crafted ClientHello, described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub version: u16,
    pub suites: Vec<u16>,
    pub groups: Vec<u16>,
    /// Read a TLS ≤ 1.2 flight up to ServerKeyExchange (to learn the group).
    pub want_kx: bool,
    /// Send an X25519 key share (TLS 1.3); without one a server asks again (HRR).
    pub key_share: bool,
}

pub trait Probe: Clone + Send + Sync + 'static {
    fn probe(&self, offer: Offer) -> impl Future<Output = Result<Option<Reply>, String>> + Send;
}

/// Sockets: a fresh connection per offer.
#[derive(Clone)]
pub struct Net {
    pub prober: Prober,
    pub server_name: Option<String>,
}

impl Probe for Net {
    fn probe(&self, offer: Offer) -> impl Future<Output = Result<Option<Reply>, String>> + Send {
        let this = self.clone();
        async move {
            let rng = ring::rand::SystemRandom::new();
            let mut random = [0u8; 32];
            let mut share = [0u8; 32];
            ring::rand::SecureRandom::fill(&rng, &mut random).map_err(|_| "no system randomness")?;
            ring::rand::SecureRandom::fill(&rng, &mut share).map_err(|_| "no system randomness")?;
            let bytes = tls_hello::client_hello(&Hello {
                version: offer.version,
                suites: &offer.suites,
                groups: &offer.groups,
                server_name: this.server_name.as_deref(),
                random,
                x25519_share: offer.key_share.then_some(share),
            });
            this.prober.probe(&bytes, offer.want_kx).await
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suite {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionResult {
    pub version: String,
    pub accepted: bool,
    /// Accepted suites, in the order the server picked them.
    pub suites: Vec<Suite>,
    /// Whether the server imposes its own order (None: fewer than two suites).
    pub server_order: Option<bool>,
    /// Why it was refused: the alert, or a closed connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enumeration {
    pub versions: Vec<VersionResult>,
    pub groups: Vec<String>,
    /// Which version the groups were asked with.
    pub groups_via: Option<String>,
    pub probes: usize,
}

fn suites_for(version: u16) -> Vec<u16> {
    SUITES.iter().map(|(c, _)| *c).filter(|c| tls_hello::is_tls13_suite(*c) == (version == TLS13)).collect()
}

fn all_groups() -> Vec<u16> {
    GROUPS.iter().map(|(c, _)| *c).collect()
}

fn picked(reply: &Option<Reply>, version: u16) -> Option<u16> {
    match reply {
        Some(Reply::Hello(h)) if h.version == version => Some(h.suite),
        _ => None,
    }
}

fn refusal(reply: &Option<Reply>) -> String {
    match reply {
        Some(Reply::Alert { description, .. }) => format!("alert {}", tls_hello::alert_name(*description)),
        Some(Reply::Hello(h)) => format!("answered with {}", tls_hello::version_name(h.version)),
        None => "connection closed".into(),
    }
}

async fn one_version<P: Probe>(p: P, version: u16) -> Result<(VersionResult, usize), String> {
    let mut probes = 0;
    let mut remaining = suites_for(version);
    let mut accepted: Vec<u16> = Vec::new();
    let mut refused = None;
    // Each round removes the suite the server picked, so this ends.
    while !remaining.is_empty() {
        let offer = Offer {
            version,
            suites: remaining.clone(),
            groups: all_groups(),
            want_kx: false,
            key_share: version == TLS13,
        };
        let reply = p.probe(offer).await?;
        probes += 1;
        match picked(&reply, version) {
            Some(suite) if remaining.contains(&suite) => {
                accepted.push(suite);
                remaining.retain(|s| *s != suite);
            }
            Some(suite) => return Err(format!("the server picked suite 0x{suite:04x}, which was not offered")),
            None => {
                if accepted.is_empty() {
                    refused = Some(refusal(&reply));
                }
                break;
            }
        }
    }
    let mut server_order = None;
    if accepted.len() >= 2 {
        let reversed: Vec<u16> = accepted.iter().rev().copied().collect();
        let offer =
            Offer { version, suites: reversed, groups: all_groups(), want_kx: false, key_share: version == TLS13 };
        let reply = p.probe(offer).await?;
        probes += 1;
        server_order = picked(&reply, version).map(|s| s == accepted[0]);
    }
    let result = VersionResult {
        version: tls_hello::version_name(version),
        accepted: !accepted.is_empty(),
        suites: accepted
            .iter()
            .map(|c| Suite { code: format!("0x{c:04x}"), name: tls_hello::suite_name(*c) })
            .collect(),
        server_order,
        refused,
    };
    Ok((result, probes))
}

/// Curves an ECDSA certificate can be on. A TLS ≤ 1.2 server only picks an
/// ECDSA suite when the certificate's curve is among the offered groups
/// (RFC 8422 §5.1, which OpenSSL enforces), so a lone other group is refused.
const CERT_CURVES: [u16; 3] = [0x0017, 0x0018, 0x0019];

/// Whether the server accepts `group`, and how many probes that took.
async fn one_group<P: Probe>(p: P, version: u16, group: u16) -> Result<(bool, usize), String> {
    let suites: Vec<u16> = if version == TLS13 {
        suites_for(TLS13)
    } else {
        // Only suites whose key exchange uses a named group.
        SUITES.iter().filter(|(_, n)| n.contains("ECDHE")).map(|(c, _)| *c).collect()
    };
    let picked = |reply: &Option<Reply>| matches!(reply, Some(Reply::Hello(h)) if h.version == version && h.group == Some(group));
    let alone =
        Offer { version, suites: suites.clone(), groups: vec![group], want_kx: version < TLS13, key_share: false };
    let reply = p.probe(alone).await?;
    if picked(&reply) || version == TLS13 || !matches!(reply, Some(Reply::Alert { .. }) | None) {
        return Ok((picked(&reply), 1));
    }
    // Refused: perhaps only for an ECDSA certificate's curve. Offer the group
    // first and the certificate curves after it; a server that follows the
    // client's order picks the group when it has it (one that imposes its own
    // order may still prefer a curve, leaving the group unproven, never wrong).
    let mut groups = vec![group];
    groups.extend(CERT_CURVES.iter().filter(|c| **c != group));
    let padded = Offer { version, suites, groups, want_kx: true, key_share: false };
    Ok((picked(&p.probe(padded).await?), 2))
}

pub async fn enumerate<P: Probe>(p: P) -> Result<Enumeration, String> {
    let mut set = tokio::task::JoinSet::new();
    for (i, version) in VERSIONS.into_iter().enumerate() {
        let p = p.clone();
        set.spawn(async move { one_version(p, version).await.map(|r| (i, r)) });
    }
    let mut versions: Vec<Option<VersionResult>> = vec![None; VERSIONS.len()];
    let mut probes = 0;
    while let Some(joined) = set.join_next().await {
        let (i, (result, n)) = joined.map_err(|e| format!("internal: a probe task failed: {e}"))??;
        versions[i] = Some(result);
        probes += n;
    }
    let versions: Vec<VersionResult> = versions.into_iter().flatten().collect();
    let accepted = |name: &str| versions.iter().any(|v| v.version == name && v.accepted);
    let via = if accepted("TLSv1.3") {
        Some(TLS13)
    } else if accepted("TLSv1.2") {
        Some(TLS12)
    } else {
        None
    };
    let mut groups = Vec::new();
    if let Some(version) = via {
        let mut set = tokio::task::JoinSet::new();
        for (i, (group, _)) in GROUPS.iter().enumerate() {
            // ffdhe groups are TLS 1.3-only here: TLS 1.2 DHE does not name them.
            if version < TLS13 && (*group >> 8) == 1 {
                continue;
            }
            let (p, group) = (p.clone(), *group);
            set.spawn(async move { one_group(p, version, group).await.map(|r| (i, r)) });
        }
        let mut found = Vec::new();
        while let Some(joined) = set.join_next().await {
            let (i, (ok, n)) = joined.map_err(|e| format!("internal: a probe task failed: {e}"))??;
            probes += n;
            if ok {
                found.push(i);
            }
        }
        found.sort_unstable();
        groups = found.into_iter().map(|i| GROUPS[i].1.to_string()).collect();
    }
    Ok(Enumeration { versions, groups, groups_via: via.map(tls_hello::version_name), probes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::tls_hello::{ServerHello, TLS10};
    use std::sync::Arc;

    /// A model server: per version, its suites in preference order.
    #[derive(Clone)]
    struct Model {
        versions: Arc<Vec<(u16, Vec<u16>)>>,
        groups: Vec<u16>,
        server_order: bool,
        /// An ECDSA certificate on this curve: TLS ≤ 1.2 offers must include it.
        ecdsa_curve: Option<u16>,
    }

    impl Probe for Model {
        fn probe(&self, offer: Offer) -> impl Future<Output = Result<Option<Reply>, String>> + Send {
            let this = self.clone();
            async move {
                let Some((_, prefs)) = this.versions.iter().find(|(v, _)| *v == offer.version) else {
                    return Ok(Some(Reply::Alert { level: 2, description: 70 }));
                };
                let choice = if this.server_order {
                    prefs.iter().find(|s| offer.suites.contains(s)).copied()
                } else {
                    offer.suites.iter().find(|s| prefs.contains(s)).copied()
                };
                if let Some(curve) = this.ecdsa_curve
                    && offer.version < TLS13
                    && !offer.groups.contains(&curve)
                {
                    return Ok(Some(Reply::Alert { level: 2, description: 40 }));
                }
                let group = offer.groups.iter().find(|g| this.groups.contains(g)).copied();
                Ok(match (choice, group) {
                    (Some(suite), Some(group)) => Some(Reply::Hello(ServerHello {
                        version: offer.version,
                        suite,
                        retry: !offer.key_share,
                        group: Some(group),
                        dh_bits: None,
                    })),
                    _ => Some(Reply::Alert { level: 2, description: 40 }),
                })
            }
        }
    }

    fn run(model: Model) -> Enumeration {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(enumerate(model)).unwrap()
    }

    #[test]
    fn finds_exactly_what_the_model_accepts_in_its_order() {
        let model = Model {
            versions: Arc::new(vec![
                (TLS10, vec![0x0035, 0x002f]),
                (TLS12, vec![0xc030, 0x009c, 0xc02f]),
                (TLS13, vec![0x1302, 0x1301]),
            ]),
            groups: vec![0x0017, 0x0018],
            server_order: true,
            ecdsa_curve: None,
        };
        let e = run(model);
        let names: Vec<(&str, bool)> = e.versions.iter().map(|v| (v.version.as_str(), v.accepted)).collect();
        assert_eq!(
            names,
            [("SSLv3", false), ("TLSv1.0", true), ("TLSv1.1", false), ("TLSv1.2", true), ("TLSv1.3", true)]
        );
        let tls12: Vec<&str> = e.versions[3].suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            tls12,
            [
                "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                "TLS_RSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
            ]
        );
        assert_eq!(e.versions[3].server_order, Some(true));
        assert_eq!(e.versions[1].refused, None);
        assert_eq!(e.versions[0].refused.as_deref(), Some("alert protocol_version"));
        assert_eq!(e.groups, ["secp256r1", "secp384r1"]);
        assert_eq!(e.groups_via.as_deref(), Some("TLSv1.3"));
    }

    #[test]
    fn client_order_is_detected() {
        let model = Model {
            versions: Arc::new(vec![(TLS12, vec![0x002f, 0xc02f])]),
            groups: vec![0x001d],
            server_order: false,
            ecdsa_curve: None,
        };
        let e = run(model);
        assert_eq!(e.versions[3].server_order, Some(false));
        assert_eq!(e.groups, ["x25519"]);
        assert_eq!(e.groups_via.as_deref(), Some("TLSv1.2"));
    }

    #[test]
    fn tls12_groups_behind_an_ecdsa_certificate_on_another_curve() {
        // OpenSSL with a P-256 ECDSA certificate and only P-384 for ECDHE:
        // a lone P-384 offer is refused, P-384 with the certificate curves is taken.
        let model = Model {
            versions: Arc::new(vec![(TLS12, vec![0xc02b])]),
            groups: vec![0x0018],
            server_order: false,
            ecdsa_curve: Some(0x0017),
        };
        let e = run(model);
        assert_eq!(e.groups, ["secp384r1"]);
        assert_eq!(e.groups_via.as_deref(), Some("TLSv1.2"));
    }
}
