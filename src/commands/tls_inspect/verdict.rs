//! The trust verdict with its precise reason(s), and the expiry windows.
//! webpki builds and checks the path; our own checks name *which*
//! certificate is at fault, and tell an incomplete chain (the store could
//! finish it) from an unknown issuer.

use super::cert::CertInfo;
use crate::net::tls::{self, Store, Verified};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Expired,
    NotYetValid,
    HostnameMismatch,
    SelfSigned,
    IncompleteChain,
    UnknownIssuer,
    Revoked,
    Sha1InChain,
    WeakKey,
    BadHandshakeSignature,
    Invalid,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Expired => "expired",
            Kind::NotYetValid => "not yet valid",
            Kind::HostnameMismatch => "hostname mismatch",
            Kind::SelfSigned => "self-signed",
            Kind::IncompleteChain => "incomplete chain",
            Kind::UnknownIssuer => "unknown issuer",
            Kind::Revoked => "revoked (OCSP staple)",
            Kind::Sha1InChain => "SHA-1 in chain",
            Kind::WeakKey => "weak key",
            Kind::BadHandshakeSignature => "bad handshake signature",
            Kind::Invalid => "invalid",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Reason {
    pub kind: Kind,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub trusted: bool,
    /// "trusted", or the most important reason's kind.
    pub status: String,
    pub reasons: Vec<Reason>,
    /// The store it was judged against.
    pub store: String,
    /// Subjects of the path webpki built (leaf first, the anchor last), when one was.
    pub verified_chain: Vec<String>,
    #[serde(skip)]
    pub verified: Option<Verified>,
}

/// What is judged.
pub struct Input<'a> {
    pub chain: &'a [CertificateDer<'static>],
    pub infos: &'a [CertInfo],
    pub name: &'a ServerName<'static>,
    pub store: &'a Store,
    pub now: i64,
    pub signature_error: Option<&'a str>,
    pub ocsp_revoked: bool,
}

fn which(i: usize) -> String {
    if i == 0 { "the leaf".into() } else { format!("certificate #{i}") }
}

pub fn judge(input: &Input<'_>) -> Verdict {
    let mut reasons: Vec<Reason> = Vec::new();
    let mut add = |kind: Kind, detail: String| {
        if !reasons.iter().any(|r| r.kind == kind) {
            reasons.push(Reason { kind, detail });
        }
    };
    let now = input.now;
    for (i, c) in input.infos.iter().enumerate() {
        if c.not_after_unix < now {
            add(
                Kind::Expired,
                format!("{} ({}) expired on {}, {} days ago", which(i), c.subject, c.not_after, -c.days_left),
            );
        }
        if c.not_before_unix > now {
            add(Kind::NotYetValid, format!("{} ({}) is valid only from {}", which(i), c.subject, c.not_before));
        }
    }
    if let Some(leaf) = input.chain.first()
        && let Err(e) = tls::valid_for_name(leaf, input.name)
    {
        let name = match input.name {
            ServerName::DnsName(d) => d.as_ref().to_string(),
            ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
            _ => "?".into(),
        };
        let names: Vec<&str> = input
            .infos
            .first()
            .map_or(vec![], |c| c.sans.dns.iter().chain(c.sans.ip.iter()).map(String::as_str).collect());
        let detail = match e {
            webpki::Error::CertNotValidForName(_) => {
                format!(
                    "the leaf is not valid for {name}; it names {}",
                    if names.is_empty() { "no DNS or IP SAN".to_string() } else { names.join(", ") }
                )
            }
            other => format!("the leaf cannot be checked against {name}: {other:?}"),
        };
        add(Kind::HostnameMismatch, detail);
    }

    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(now.max(0) as u64));
    let mut verified = None;
    match tls::verify(input.chain, &[], input.store, time) {
        Ok(v) => verified = Some(v),
        Err(webpki::Error::UnknownIssuer) => {
            let leaf_self = input.infos.first().is_some_and(|c| c.self_issued);
            if let Ok(v) = tls::verify(input.chain, &input.store.intermediates, input.store, time) {
                let missing: Vec<String> = v
                    .intermediates
                    .iter()
                    .filter(|c| !input.chain.contains(c))
                    .filter_map(|c| super::cert::inspect(c, now, false).ok().map(|i| i.subject))
                    .collect();
                add(
                    Kind::IncompleteChain,
                    format!(
                        "the server does not send {}: the served chain alone does not reach a trusted root, the store completes it",
                        if missing.is_empty() { "every intermediate".into() } else { missing.join(", ") }
                    ),
                );
                verified = Some(v);
            } else if leaf_self && input.chain.len() == 1 {
                add(Kind::SelfSigned, "the leaf is self-signed and not in the trust store".into());
            } else {
                let top = input.infos.last().map_or(String::new(), |c| c.issuer.clone());
                add(Kind::UnknownIssuer, format!("no trusted root issued '{top}' (the top of the served chain)"));
            }
        }
        Err(webpki::Error::CaUsedAsEndEntity)
            if input.chain.len() == 1 && input.infos.first().is_some_and(|c| c.self_issued) =>
        {
            add(
                Kind::SelfSigned,
                "the leaf is a self-signed CA certificate, not a server certificate issued by one".into(),
            )
        }
        Err(webpki::Error::CertExpired { .. }) => add(Kind::Expired, "a certificate of the path has expired".into()),
        Err(webpki::Error::CertNotValidYet { .. }) => {
            add(Kind::NotYetValid, "a certificate of the path is not yet valid".into())
        }
        Err(
            e @ (webpki::Error::UnsupportedSignatureAlgorithmContext(_)
            | webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
            | webpki::Error::InvalidSignatureForPublicKey),
        ) => {
            if !input.infos.iter().any(|c| c.uses_sha1() || c.weak_key()) {
                add(Kind::Invalid, format!("a signature in the chain does not verify ({e:?})"));
            }
        }
        Err(e) => add(Kind::Invalid, format!("the chain does not verify: {e:?}")),
    }
    for (i, c) in input.infos.iter().enumerate() {
        if c.uses_sha1() && !(c.self_issued && i > 0) {
            add(Kind::Sha1InChain, format!("{} ({}) is signed with {}", which(i), c.subject, c.signature_algorithm));
        }
        if c.weak_key() {
            add(Kind::WeakKey, format!("{} ({}) has a {}-bit {} key", which(i), c.subject, c.key.bits, c.key.kind));
        }
    }
    if input.ocsp_revoked {
        add(Kind::Revoked, "the stapled OCSP response says the leaf is revoked".into());
    }
    if let Some(e) = input.signature_error {
        add(
            Kind::BadHandshakeSignature,
            format!("the server's handshake signature does not verify with the leaf's key: {e}"),
        );
    }
    reasons.sort_by_key(|r| r.kind);

    let mut verified_chain = Vec::new();
    if let Some(v) = &verified {
        verified_chain.extend(input.infos.first().map(|c| c.subject.clone()));
        for c in &v.intermediates {
            verified_chain.extend(super::cert::inspect(c, now, false).ok().map(|i| i.subject));
        }
        // The anchor is named by the issuer of the last certificate before it.
        let top = v.intermediates.last().unwrap_or(&input.chain[0]);
        verified_chain.extend(super::cert::inspect(top, now, false).ok().map(|i| i.issuer));
    }
    Verdict {
        trusted: reasons.is_empty(),
        status: reasons.first().map_or("trusted".into(), |r| {
            serde_json::to_value(r.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
        }),
        reasons,
        store: input.store.description.clone(),
        verified_chain,
        verified,
    }
}

/// One notAfter, named.
#[derive(Debug, Clone, Serialize)]
pub struct Expiry {
    pub subject: String,
    pub not_after: String,
    pub days_left: i64,
    #[serde(skip)]
    pub unix: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Expiries {
    pub leaf: Option<Expiry>,
    pub served_earliest: Option<Expiry>,
    /// Over the verified path, including the root when the store has it.
    pub verified_earliest: Option<Expiry>,
    /// `--expires-within`, in days.
    pub window_days: Option<f64>,
    /// Which of the three fall inside the window.
    pub expiring: Vec<String>,
}

fn expiry(c: &CertInfo) -> Expiry {
    Expiry {
        subject: c.subject.clone(),
        not_after: c.not_after.clone(),
        days_left: c.days_left,
        unix: c.not_after_unix,
    }
}

pub fn expiries(infos: &[CertInfo], verified: &[CertInfo], now: i64, window: Option<std::time::Duration>) -> Expiries {
    let earliest = |list: &[CertInfo]| list.iter().min_by_key(|c| c.not_after_unix).map(expiry);
    let mut e = Expiries {
        leaf: infos.first().map(expiry),
        served_earliest: earliest(infos),
        verified_earliest: earliest(verified),
        window_days: window.map(|w| w.as_secs_f64() / 86_400.0),
        expiring: Vec::new(),
    };
    if let Some(w) = window {
        let limit = now.saturating_add(w.as_secs() as i64);
        for (name, x) in
            [("leaf", &e.leaf), ("served_earliest", &e.served_earliest), ("verified_earliest", &e.verified_earliest)]
        {
            if x.as_ref().is_some_and(|x| x.unix <= limit) {
                e.expiring.push(name.to_string());
            }
        }
    }
    e
}
