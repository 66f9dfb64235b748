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
    Md5InChain,
    Sha1InChain,
    WeakKey,
    ChainTooLong,
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
            Kind::Md5InChain => "MD5 in chain",
            Kind::Sha1InChain => "SHA-1 in chain",
            Kind::WeakKey => "weak key",
            Kind::ChainTooLong => "chain too long",
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
    /// `--no-verify-name` turns this off.
    pub check_name: bool,
    /// `--max-depth`: most intermediates a verified path may have.
    pub max_depth: Option<usize>,
}

/// webpki's errors in words, never a debug dump.
fn describe(e: &webpki::Error, infos: &[CertInfo]) -> String {
    let algs: Vec<String> = infos.iter().map(|c| c.signature_algorithm.clone()).collect();
    match e {
        webpki::Error::UnsupportedSignatureAlgorithmContext(_)
        | webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            format!("a signature algorithm of the chain is not accepted (the chain uses {})", algs.join(", "))
        }
        webpki::Error::InvalidSignatureForPublicKey => "a signature in the chain does not verify".into(),
        webpki::Error::CaUsedAsEndEntity => "the leaf is a CA certificate".into(),
        webpki::Error::EndEntityUsedAsCa => "a non-CA certificate is used as an issuer".into(),
        webpki::Error::RequiredEkuNotFoundContext(_) => {
            "the leaf's extended key usage does not include serverAuth".into()
        }
        webpki::Error::NameConstraintViolation => "a name constraint of an issuer excludes the leaf's names".into(),
        webpki::Error::PathLenConstraintViolated => "an issuer's pathlen constraint is exceeded".into(),
        webpki::Error::MaximumPathDepthExceeded => "the path is longer than webpki allows (6 intermediates)".into(),
        webpki::Error::BadDer | webpki::Error::BadDerTime => "a certificate is not valid DER".into(),
        webpki::Error::UnsupportedCriticalExtension => "a certificate has an unsupported critical extension".into(),
        webpki::Error::InvalidCertValidity => "a certificate's notAfter is before its notBefore".into(),
        webpki::Error::UnknownIssuer => "no issuer found".into(),
        other => format!("the chain does not verify ({other})"),
    }
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
    if input.check_name
        && let Some(leaf) = input.chain.first()
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
            other => format!("the leaf cannot be checked against {name}: {}", describe(&other, input.infos)),
        };
        add(Kind::HostnameMismatch, detail);
    }

    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(now.max(0) as u64));
    let weak_signing = input.infos.iter().any(|c| c.uses_sha1() || c.uses_md5() || c.weak_key());
    let mut verified = None;
    match tls::verify(input.chain, &[], input.store, time) {
        Ok(v) => verified = Some(v),
        Err(webpki::Error::UnknownIssuer) => {
            let leaf_self = input.infos.first().is_some_and(|c| c.self_issued);
            let mut partial = input.store.partial.clone();
            partial.extend(input.store.anchors.iter().cloned());
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
            } else if let Ok(v) = tls::verify_to(input.chain, &[], &partial, input.store, time) {
                // Anchored at a CA-file certificate that is not self-signed.
                verified = Some(v);
            } else if leaf_self && input.chain.len() == 1 {
                add(Kind::SelfSigned, "the leaf is self-signed and not in the trust store".into());
            } else if let Some(top) = input.infos.last().filter(|c| !c.self_issued) {
                // The served chain stops below a root: the next issuer is missing.
                let url = top.ca_issuer_urls.first().map_or(String::new(), |u| format!("; its caIssuers URL is {u}"));
                add(
                    Kind::IncompleteChain,
                    format!(
                        "the served chain ends at '{}', whose issuer '{}' is neither served nor in the store{url}",
                        top.subject, top.issuer
                    ),
                );
            } else {
                let top = input.infos.last().map_or(String::new(), |c| c.subject.clone());
                add(
                    Kind::UnknownIssuer,
                    format!("the served chain ends at the root '{top}', which the store does not trust"),
                );
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
        Err(webpki::Error::CertExpired { .. } | webpki::Error::CertNotValidYet { .. }) => {}
        Err(
            e @ (webpki::Error::UnsupportedSignatureAlgorithmContext(_)
            | webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
            | webpki::Error::InvalidSignatureForPublicKey),
        ) => {
            if !weak_signing {
                add(Kind::Invalid, describe(&e, input.infos));
            }
        }
        Err(e) => add(Kind::Invalid, describe(&e, input.infos)),
    }
    // Validity: of the path webpki found when it found one (an extra expired
    // cross-sign served next to it does not matter), else of everything served.
    let on_path: Vec<usize> = match &verified {
        Some(v) => std::iter::once(0)
            .chain(input.chain.iter().enumerate().filter(|(_, c)| v.intermediates.contains(c)).map(|(i, _)| i))
            .collect(),
        None => (0..input.infos.len()).collect(),
    };
    let mut out_of_validity = false;
    for &i in &on_path {
        let c = &input.infos[i];
        out_of_validity |= c.not_after_unix < now || c.not_before_unix > now;
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
    if verified.is_none()
        && !out_of_validity
        && let Err(e @ (webpki::Error::CertExpired { .. } | webpki::Error::CertNotValidYet { .. })) =
            tls::verify(input.chain, &input.store.intermediates, input.store, time)
    {
        let kind = if matches!(e, webpki::Error::CertExpired { .. }) { Kind::Expired } else { Kind::NotYetValid };
        add(kind, "a certificate of the path (from the store) is outside its validity".into());
    }
    for &i in &on_path {
        let c = &input.infos[i];
        if c.uses_md5() && !(c.self_issued && i > 0) {
            add(Kind::Md5InChain, format!("{} ({}) is signed with {}", which(i), c.subject, c.signature_algorithm));
        } else if c.uses_sha1() && !(c.self_issued && i > 0) {
            add(Kind::Sha1InChain, format!("{} ({}) is signed with {}", which(i), c.subject, c.signature_algorithm));
        }
        if c.weak_key() {
            add(Kind::WeakKey, format!("{} ({}) has a {}-bit {} key", which(i), c.subject, c.key.bits, c.key.kind));
        }
    }
    if let (Some(max), Some(v)) = (input.max_depth, &verified)
        && v.intermediates.len() > max
    {
        add(
            Kind::ChainTooLong,
            format!("the verified path has {} intermediates, more than --max-depth {max}", v.intermediates.len()),
        );
    }
    if input.ocsp_revoked {
        add(Kind::Revoked, "the stapled OCSP response says the leaf is revoked".into());
    }
    // A weak leaf key is why rustls/ring refuse its handshake signature: say that, not "bad signature".
    if let Some(e) = input.signature_error
        && !input.infos.first().is_some_and(|c| c.weak_key())
    {
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
