//! `--enumerate`: which versions, cipher suites and groups the server
//! accepts, and whether it imposes its own suite order. The strategy is
//! testssl.sh's and sslscan's: offer a set, see what the server picks, take
//! it out, offer the rest, until the server refuses. It is written against
//! the `Probe` trait so it runs the same on sockets and on a model server.

use crate::net::tls_probe::Prober;
use crate::wire::tls_hello::{self, Depth, GROUPS, Hello, Reply, SIG_ALGS, SUITES, TLS12, TLS13, VERSIONS};
use serde::Serialize;
use std::future::Future;

/// One crafted ClientHello, described.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Offer {
    pub version: u16,
    pub suites: Vec<u16>,
    pub groups: Vec<u16>,
    /// How far into a TLS ≤ 1.2 flight to read (KeyExchange: the group, DH size, signature scheme).
    pub depth: Depth,
    /// Send an X25519 key share (TLS 1.3); without one a server asks again (HRR).
    pub key_share: bool,
    pub alpn: Vec<String>,
    pub sig_algs: Option<Vec<u16>>,
    pub status_request: bool,
    pub heartbeat: bool,
    pub deflate: bool,
    pub fallback_scsv: bool,
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
                alpn: &offer.alpn,
                sig_algs: offer.sig_algs.as_deref(),
                status_request: offer.status_request,
                heartbeat: offer.heartbeat,
                deflate: offer.deflate,
                fallback_scsv: offer.fallback_scsv,
            });
            this.prober.probe(&bytes, offer.depth).await
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
    /// Groups this version accepts (when it took a suite that uses one).
    pub groups: Vec<String>,
    /// The DH prime size of its DHE suites, in bits.
    pub dh_bits: Option<usize>,
    /// Signature schemes the server signs its key exchange with (TLS 1.2;
    /// fixed MD5+SHA-1 before; encrypted in TLS 1.3).
    pub signature_algorithms: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enumeration {
    pub versions: Vec<VersionResult>,
    pub groups: Vec<String>,
    /// Which version the groups were asked with.
    pub groups_via: Option<String>,
    /// ALPN protocols the server selects, its preference first.
    pub alpn: Vec<String>,
    /// Which version ALPN was asked with (TLS 1.3 hides the choice).
    pub alpn_via: Option<String>,
    pub checks: Checks,
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
            key_share: version == TLS13,
            ..Offer::default()
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
            Offer { version, suites: reversed, groups: all_groups(), key_share: version == TLS13, ..Offer::default() };
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
        groups: Vec::new(),
        dh_bits: None,
        signature_algorithms: None,
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
    let depth = if version < TLS13 { Depth::KeyExchange } else { Depth::Hello };
    let alone = Offer { version, suites: suites.clone(), groups: vec![group], depth, ..Offer::default() };
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
    let padded = Offer { version, suites, groups, depth: Depth::KeyExchange, ..Offer::default() };
    Ok((picked(&p.probe(padded).await?), 2))
}

/// The groups `version` accepts, in registry order, and the probes spent.
async fn groups_of<P: Probe>(p: &P, version: u16) -> Result<(Vec<String>, usize), String> {
    let mut set = tokio::task::JoinSet::new();
    for (i, (group, _)) in GROUPS.iter().enumerate() {
        // ffdhe groups are TLS 1.3-only here: TLS 1.2 DHE does not name them.
        if version < TLS13 && (*group >> 8) == 1 {
            continue;
        }
        let (p, group) = (p.clone(), *group);
        set.spawn(async move { one_group(p, version, group).await.map(|r| (i, r)) });
    }
    let (mut found, mut probes) = (Vec::new(), 0);
    while let Some(joined) = set.join_next().await {
        let (i, (ok, n)) = joined.map_err(|e| format!("internal: a probe task failed: {e}"))??;
        probes += n;
        if ok {
            found.push(i);
        }
    }
    found.sort_unstable();
    Ok((found.into_iter().map(|i| GROUPS[i].1.to_string()).collect(), probes))
}

fn codes(v: &VersionResult) -> Vec<u16> {
    v.suites.iter().filter_map(|s| u16::from_str_radix(s.code.trim_start_matches("0x"), 16).ok()).collect()
}

/// Suites whose ServerKeyExchange is signed (ECDHE/DHE, not anonymous).
fn signed_kx(suites: &[u16]) -> Vec<u16> {
    suites
        .iter()
        .copied()
        .filter(|c| {
            let n = tls_hello::suite_name(*c);
            (n.contains("DHE_RSA") || n.contains("DHE_DSS") || n.contains("DHE_ECDSA")) && !n.contains("anon")
        })
        .collect()
}

/// TLS 1.2: each signature scheme offered alone; the ServerKeyExchange says
/// whether the server signed with it (RFC 5246 §7.4.1.4.1).
async fn sig_algs_of<P: Probe>(p: &P, suites: &[u16]) -> Result<(Vec<String>, usize), String> {
    let mut set = tokio::task::JoinSet::new();
    for (i, alg) in SIG_ALGS.iter().enumerate() {
        let offer = Offer {
            version: TLS12,
            suites: suites.to_vec(),
            groups: all_groups(),
            depth: Depth::KeyExchange,
            sig_algs: Some(vec![*alg]),
            ..Offer::default()
        };
        let (p, alg) = (p.clone(), *alg);
        set.spawn(async move {
            p.probe(offer).await.map(|r| (i, matches!(r, Some(Reply::Hello(h)) if h.kx_signature == Some(alg))))
        });
    }
    let mut found = Vec::new();
    while let Some(joined) = set.join_next().await {
        let (i, ok) = joined.map_err(|e| format!("internal: a probe task failed: {e}"))??;
        if ok {
            found.push(i);
        }
    }
    found.sort_unstable();
    Ok((found.into_iter().map(|i| tls_hello::sig_alg_name(SIG_ALGS[i])).collect(), SIG_ALGS.len()))
}

/// Protocols an ALPN prober offers; the server picks one, which is taken out.
pub const ALPN_CANDIDATES: &[&str] =
    &["h2", "http/1.1", "http/1.0", "spdy/3.1", "spdy/3", "spdy/2", "h2c", "acme-tls/1", "dot", "ftp", "imap", "pop3"];

/// ALPN protocols, in the server's preference, over a TLS ≤ 1.2 hello (where
/// the choice is in the clear ServerHello).
async fn alpn_of<P: Probe>(p: &P, version: u16, suites: &[u16]) -> Result<(Vec<String>, usize), String> {
    let mut remaining: Vec<String> = ALPN_CANDIDATES.iter().map(|a| a.to_string()).collect();
    let (mut found, mut probes) = (Vec::new(), 0);
    while !remaining.is_empty() {
        let offer = Offer {
            version,
            suites: suites.to_vec(),
            groups: all_groups(),
            alpn: remaining.clone(),
            ..Offer::default()
        };
        probes += 1;
        match p.probe(offer).await? {
            Some(Reply::Hello(h)) => match h.alpn {
                Some(a) if remaining.contains(&a) => {
                    remaining.retain(|r| *r != a);
                    found.push(a);
                }
                _ => break,
            },
            _ => break,
        }
    }
    Ok((found, probes))
}

/// Exploit-free vulnerability checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Checks {
    /// The server answers with renegotiation_info (RFC 5746).
    pub secure_renegotiation: Option<bool>,
    /// The server chose DEFLATE when offered (CRIME).
    pub compression: Option<bool>,
    /// The server echoes the Heartbeat extension (RFC 6520; Heartbleed's entry point).
    pub heartbeat: Option<bool>,
    /// A downgraded hello with TLS_FALLBACK_SCSV is refused (RFC 7507); None with one version only.
    pub fallback_scsv: Option<bool>,
    /// Which version the first three were asked with.
    pub via: Option<String>,
}

async fn checks_of<P: Probe>(p: &P, versions: &[(u16, &VersionResult)]) -> Result<(Checks, usize), String> {
    let mut checks = Checks::default();
    let mut probes = 0;
    if let Some((version, v)) = versions.iter().rev().find(|(ver, _)| *ver < TLS13) {
        let offer = Offer {
            version: *version,
            suites: codes(v),
            groups: all_groups(),
            heartbeat: true,
            deflate: true,
            ..Offer::default()
        };
        probes += 1;
        if let Some(Reply::Hello(h)) = p.probe(offer).await? {
            checks.secure_renegotiation = Some(h.extensions.contains(&0xff01));
            checks.compression = Some(h.compression != 0);
            checks.heartbeat = Some(h.extensions.contains(&0x000f));
            checks.via = Some(tls_hello::version_name(*version));
        }
    }
    if versions.len() >= 2 {
        let (version, v) = versions[versions.len() - 2];
        let offer = Offer { version, suites: codes(v), groups: all_groups(), fallback_scsv: true, ..Offer::default() };
        probes += 1;
        checks.fallback_scsv = match p.probe(offer).await? {
            Some(Reply::Alert { description: 86, .. }) => Some(true),
            Some(Reply::Hello(_)) => Some(false),
            _ => None,
        };
    }
    Ok((checks, probes))
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
    let mut versions: Vec<VersionResult> = versions.into_iter().flatten().collect();
    // Per accepted version: groups (when it took a suite that uses them), the
    // DH prime size, TLS 1.2's signature schemes.
    for (i, version) in VERSIONS.into_iter().enumerate() {
        let v = &versions[i];
        if !v.accepted {
            continue;
        }
        let suites = codes(v);
        let names: Vec<String> = suites.iter().map(|c| tls_hello::suite_name(*c)).collect();
        if version == TLS13 || names.iter().any(|n| n.contains("ECDHE") || n.contains("ECDH_anon")) {
            let (groups, n) = groups_of(&p, version).await?;
            versions[i].groups = groups;
            probes += n;
        }
        let dhe: Vec<u16> =
            suites.iter().copied().filter(|c| tls_hello::suite_name(*c).starts_with("TLS_DHE_")).collect();
        if version < TLS13 && !dhe.is_empty() {
            let offer =
                Offer { version, suites: dhe, groups: all_groups(), depth: Depth::KeyExchange, ..Offer::default() };
            probes += 1;
            if let Some(Reply::Hello(h)) = p.probe(offer).await? {
                versions[i].dh_bits = h.dh_bits;
            }
        }
        let signed = signed_kx(&suites);
        if version == TLS12 && !signed.is_empty() {
            let (algs, n) = sig_algs_of(&p, &signed).await?;
            versions[i].signature_algorithms = Some(algs);
            probes += n;
        }
    }
    let accepted: Vec<(u16, &VersionResult)> =
        VERSIONS.into_iter().zip(versions.iter()).filter(|(_, v)| v.accepted).collect();
    let (checks, n) = checks_of(&p, &accepted).await?;
    probes += n;
    let mut alpn = Vec::new();
    let mut alpn_via = None;
    if let Some((version, v)) = accepted.iter().rev().find(|(ver, _)| *ver < TLS13) {
        let (found, n) = alpn_of(&p, *version, &codes(v)).await?;
        probes += n;
        alpn = found;
        alpn_via = Some(tls_hello::version_name(*version));
    }
    let top = versions.iter().rev().find(|v| v.accepted && (v.version == "TLSv1.3" || v.version == "TLSv1.2"));
    let groups = top.map(|v| v.groups.clone()).unwrap_or_default();
    let groups_via = top.map(|v| v.version.clone());
    Ok(Enumeration { versions, groups, groups_via, alpn, alpn_via, checks, probes })
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
                        ..Default::default()
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
