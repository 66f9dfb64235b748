//! `netwalk tls-inspect`: handshake facts, the served chain (trusted or not),
//! the trust verdict with its reason, expiry windows for CI, the OCSP staple,
//! STARTTLS, and version/cipher enumeration.

pub mod cert;
pub mod enumerate;
pub mod legacy;
pub mod revocation;
pub mod verdict;
pub mod weakness;

use crate::cli::Global;
use crate::error::{Error, Exit};
use crate::net::resolve::{Resolution, Resolver, Source};
use crate::net::starttls::{self, Protocol};
use crate::net::tcp::{self, Bind, Outcome};
use crate::net::tls::{self, Offer, Roots, Store};
use crate::net::tls_probe::Prober;
use crate::output::{Output, Report, Tone};
use crate::target::{self, Host};
use crate::timing::{self, parse_duration};
use crate::wire::ocsp::{self, Staple};
use crate::wire::tls_hello;
use cert::CertInfo;
use enumerate::Enumeration;
use rustls::pki_types::ServerName;
use serde::Serialize;
use serde_json::json;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use verdict::{Expiries, Verdict};
use weakness::Finding;

#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit_codes!(), after_long_help = concat!(
    "Examples:\n",
    "  netwalk tls-inspect web.test\n",
    "  netwalk tls-inspect --expires-within 30d --json https://web.test/\n",
    "  netwalk tls-inspect --ca-file lab-ca.pem --servername api.test 198.18.2.2:8443\n",
    "  netwalk tls-inspect --starttls smtp mx.test\n",
    "  netwalk tls-inspect --enumerate web.test:443\n\n",
    "The chain is shown whether or not it is trusted; the verdict names the reason\n",
    "(expired, not yet valid, hostname mismatch, self-signed, incomplete chain, unknown\n",
    "issuer, SHA-1 in chain, weak key). Exit 1 when untrusted or expiring.\n\n",
    crate::exit_codes!()
))]
pub struct Args {
    /// Target: host, host:port, [v6]:port or a URL (its scheme gives the port)
    #[arg(value_name = "TARGET")]
    pub target: String,

    /// Port when the target names none (default 443, or the STARTTLS protocol's port)
    #[arg(short, long, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,

    /// Name to send as SNI and to check the certificate against (default: the target's host)
    #[arg(long, value_name = "NAME", conflicts_with = "no_sni")]
    pub servername: Option<String>,

    /// Send no SNI (the certificate is still checked against the target's host)
    #[arg(long)]
    pub no_sni: bool,

    /// ALPN protocols to offer, comma-separated (e.g. h2,http/1.1)
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub alpn: Vec<String>,

    /// PEM file of extra trust: self-signed certificates become roots, others intermediates
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,

    /// Trust store to judge the chain against
    #[arg(long, value_enum, default_value_t = Roots::System, value_name = "STORE")]
    pub roots: Roots,

    /// Fail (exit 1) when the leaf, the served chain or the verified chain expires within this
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub expires_within: Option<Duration>,

    /// Speak this protocol's upgrade dialogue before TLS
    #[arg(long, value_enum, value_name = "PROTOCOL")]
    pub starttls: Option<Protocol>,

    /// Also list the versions, cipher suites and groups the server accepts (crafted ClientHellos)
    #[arg(long)]
    pub enumerate: bool,

    /// Inspect every A/AAAA address of the name, side by side
    #[arg(long)]
    pub all_addresses: bool,

    /// Print the served chain as PEM instead of the report (JSON adds a pem field per certificate)
    #[arg(long)]
    pub pem: bool,

    /// Ask the leaf's OCSP responder (its AIA URL) whether it is revoked
    #[arg(long)]
    pub ocsp: bool,

    /// Check every certificate of the path against its issuer's CRL (CRL distribution points)
    #[arg(long)]
    pub crl: bool,

    /// Judge the chain without checking that it names the server
    #[arg(long)]
    pub no_verify_name: bool,

    /// Judge validity at this time instead of now (2027-01-31T12:00:00Z, 2027-01-31, @UNIX)
    #[arg(long, value_name = "TIME", value_parser = cert::parse_time)]
    pub at: Option<i64>,

    /// Most intermediates a verified path may have (openssl's -verify_depth)
    #[arg(long, value_name = "N")]
    pub max_depth: Option<usize>,

    /// Limit for each step: TCP connect, STARTTLS dialogue, TLS handshake, each probe
    #[arg(long, default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
}

/// What one address showed.
#[derive(Debug, Serialize)]
pub struct AddressResult {
    pub address: SocketAddr,
    #[serde(serialize_with = "crate::output::as_opt_ms", rename = "connect_ms")]
    pub tcp_connect: Option<Duration>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub starttls: Vec<String>,
    pub handshake: Option<HandshakeFacts>,
    /// Why rustls could not negotiate, when the chain came from a crafted ClientHello instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negotiation_error: Option<String>,
    pub certificates: Vec<CertInfo>,
    /// A CertificateRequest's acceptable CA names (null: the server asked for no client certificate).
    pub client_ca_names: Option<Vec<String>>,
    pub ocsp: Option<Staple>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocsp_error: Option<String>,
    /// Whether the staple's signature verifies, and by whom.
    pub ocsp_signature: Option<SignatureCheck>,
    /// `--ocsp`: the responder's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocsp_fetched: Option<OcspFetch>,
    /// `--crl`: each certificate of the path against its issuer's CRL.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub crl: Vec<revocation::CrlCheck>,
    /// The path as DER, leaf first (the served chain when no path was found).
    #[serde(skip)]
    pub path: Vec<Vec<u8>>,
    pub verdict: Option<Verdict>,
    pub expiry: Option<Expiries>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enumeration: Option<Enumeration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enumeration_error: Option<String>,
    /// Weaknesses, the most severe first; medium and above fail the check.
    pub findings: Vec<Finding>,
    pub error: Option<String>,
    pub passed: bool,
    #[serde(skip)]
    pub pem: String,
}

#[derive(Debug, Serialize)]
pub struct HandshakeFacts {
    pub version: String,
    pub cipher_suite: String,
    pub key_exchange_group: Option<String>,
    pub alpn: Option<String>,
    pub kind: String,
    pub sni: Option<String>,
    #[serde(serialize_with = "crate::output::as_ms", rename = "handshake_ms")]
    pub elapsed: Duration,
    /// The DH prime size of a DHE key exchange.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dh_bits: Option<usize>,
    /// rustls, or the crafted ClientHello prober (legacy servers: no keys derived).
    pub via: String,
}

#[derive(Debug, Serialize)]
pub struct SignatureCheck {
    pub valid: bool,
    pub detail: String,
}

#[derive(Debug, Serialize)]
pub struct OcspFetch {
    pub url: String,
    pub response: Option<Staple>,
    pub signature: Option<SignatureCheck>,
    pub error: Option<String>,
}

/// What a handshake showed, before it is judged.
struct Observed {
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    ocsp: Option<Vec<u8>>,
    signature_error: Option<String>,
    facts: HandshakeFacts,
    client_ca_names: Option<Vec<Vec<u8>>>,
}

struct Plan {
    offer: Offer,
    store: Arc<Store>,
    starttls: Option<Protocol>,
    bind: Bind,
    timeout: Duration,
    window: Option<Duration>,
    enumerate: bool,
    pem: bool,
    check_name: bool,
    at: Option<i64>,
    max_depth: Option<usize>,
    ocsp: bool,
    crl: bool,
    family: crate::net::resolve::Family,
    /// The server's name, for STARTTLS dialogues that announce it.
    domain: String,
}

pub async fn run(args: Args, global: &Global, _out: &crate::output::Output) -> Result<TlsReport, Error> {
    let target = target::parse(&args.target)?;
    let port = target.port.or(args.port).unwrap_or(args.starttls.map_or(443, Protocol::default_port));
    let store = Store::load(args.roots, args.ca_file.as_deref())?;
    let name_text = match (&args.servername, &target.host) {
        (Some(name), _) => target::parse_host(name, name)?.to_string(),
        (None, host) => host.to_string(),
    };
    let server_name = ServerName::try_from(name_text.clone())
        .map_err(|_| Error::usage(format!("'{name_text}' cannot be used as a TLS server name")))?;
    let alpn = args.alpn.iter().filter(|a| !a.is_empty()).map(|a| a.as_bytes().to_vec()).collect();
    let bind = Bind { interface: global.interface.clone(), source: None };
    if let Some(name) = &global.interface {
        crate::net::iface::find(name)?;
    }
    let resolution = Resolver::system(global.family()).resolve(&target.host).await?;
    let addrs: Vec<SocketAddr> = if args.all_addresses {
        resolution.addrs.iter().map(|ip| SocketAddr::new(*ip, port)).collect()
    } else {
        vec![SocketAddr::new(resolution.addrs[0], port)]
    };
    let plan = Arc::new(Plan {
        offer: Offer { server_name, send_sni: !args.no_sni, alpn },
        store: Arc::new(store),
        starttls: args.starttls,
        bind,
        timeout: args.timeout,
        window: args.expires_within,
        enumerate: args.enumerate,
        pem: args.pem,
        check_name: !args.no_verify_name,
        ocsp: args.ocsp,
        crl: args.crl,
        family: global.family(),
        domain: name_text.clone(),
        at: args.at,
        max_depth: args.max_depth,
    });
    let mut set = tokio::task::JoinSet::new();
    for (i, addr) in addrs.iter().enumerate() {
        let plan = plan.clone();
        let name = name_text.clone();
        let addr = *addr;
        set.spawn(async move { (i, inspect(addr, &plan, name).await) });
    }
    let mut results: Vec<Option<AddressResult>> = addrs.iter().map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        let (i, result) = joined.map_err(|e| Error::io("an inspection task failed", std::io::Error::other(e)))?;
        results[i] = Some(result);
    }
    let results: Vec<AddressResult> = results.into_iter().flatten().collect();
    if !args.all_addresses
        && results[0].enumeration.is_none()
        && let Some(error) = &results[0].error
    {
        return Err(Error::target(format!("{}: {error}", target.endpoint(port))));
    }
    Ok(TlsReport {
        target: target.input.clone(),
        host: target.host,
        port,
        server_name: name_text,
        resolution,
        starttls: args.starttls,
        store: plan.store.description.clone(),
        pem_only: args.pem,
        addresses: results,
    })
}

/// Errors below TLS (no connection at all), where probing would only repeat them.
fn is_transport_error(error: &str) -> bool {
    error.starts_with("TCP ")
        || error.starts_with("no answer to the TCP")
        || error.starts_with("unreachable")
        || error.starts_with("cannot connect")
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

async fn inspect(address: SocketAddr, plan: &Plan, name: String) -> AddressResult {
    let mut r = AddressResult {
        address,
        tcp_connect: None,
        starttls: Vec::new(),
        handshake: None,
        negotiation_error: None,
        certificates: Vec::new(),
        client_ca_names: None,
        ocsp: None,
        ocsp_error: None,
        ocsp_signature: None,
        ocsp_fetched: None,
        crl: Vec::new(),
        path: Vec::new(),
        verdict: None,
        expiry: None,
        enumeration: None,
        enumeration_error: None,
        findings: Vec::new(),
        error: None,
        passed: false,
        pem: String::new(),
    };
    let prober = Prober {
        address,
        bind: plan.bind.clone(),
        timeout: plan.timeout,
        starttls: plan.starttls,
        domain: name.clone(),
        limit: Arc::new(tokio::sync::Semaphore::new(8)),
    };
    let sni = (plan.offer.send_sni && name.parse::<std::net::IpAddr>().is_err()).then_some(name);
    let net = enumerate::Net { prober, server_name: sni.clone() };
    match handshake(&mut r, plan).await {
        Ok(seen) => {
            if let Err(e) = judge(&mut r, plan, seen) {
                r.error = Some(e);
            }
        }
        Err(e) if is_transport_error(&e) => r.error = Some(e),
        // rustls cannot speak to it: read the clear-text flight of TLS ≤ 1.2 instead.
        Err(e) => {
            let alpn: Vec<String> = plan.offer.alpn.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
            let started = std::time::Instant::now();
            match legacy::read_flight(&net, &alpn).await {
                Ok(h) => {
                    r.negotiation_error = Some(e);
                    let seen = Observed {
                        chain: h.certificates.iter().map(|c| c.clone().into()).collect(),
                        ocsp: h.ocsp.clone(),
                        signature_error: None,
                        facts: HandshakeFacts {
                            version: tls_hello::version_name(h.version),
                            cipher_suite: tls_hello::suite_name(h.suite),
                            key_exchange_group: legacy::key_exchange(&h),
                            alpn: h.alpn.clone(),
                            kind: "clear-text flight up to ServerHelloDone".into(),
                            sni,
                            elapsed: started.elapsed(),
                            dh_bits: h.dh_bits,
                            via: "crafted ClientHello".into(),
                        },
                        client_ca_names: h.client_ca_names.clone(),
                    };
                    if let Err(e) = judge(&mut r, plan, seen) {
                        r.error = Some(e);
                    }
                }
                Err(why) => {
                    tracing::debug!(%why, "no clear-text chain either");
                    r.error = Some(e);
                }
            }
        }
    }
    if plan.ocsp || plan.crl {
        revocation_checks(&mut r, plan).await;
    }
    // Enumeration also runs when no handshake completed: a server that
    // refuses everything still shows what it refuses.
    if plan.enumerate && !r.error.as_deref().is_some_and(is_transport_error) {
        match enumerate::enumerate(net).await {
            Ok(e) => r.enumeration = Some(e),
            Err(e) => r.enumeration_error = Some(e),
        }
    }
    let negotiated = r.handshake.as_ref().map(|h| weakness::Negotiated {
        version: &h.version,
        suite: &h.cipher_suite,
        dh_bits: h.dh_bits,
    });
    r.findings = weakness::grade(negotiated.as_ref(), &r.certificates, r.enumeration.as_ref());
    r.passed = r.error.is_none()
        && r.verdict.as_ref().is_some_and(|v| v.trusted)
        && r.expiry.as_ref().is_none_or(|e| e.expiring.is_empty())
        && r.enumeration_error.is_none()
        && !r.findings.iter().any(|f| f.severity.fails());
    r
}

/// DER Names as text (x509-parser's RFC 4514-like form).
fn name_texts(names: &[Vec<u8>]) -> Vec<String> {
    use x509_parser::prelude::FromDer;
    names
        .iter()
        .map(|n| {
            x509_parser::x509::X509Name::from_der(n)
                .map_or_else(|_| format!("(undecodable name, {} bytes)", n.len()), |(_, n)| n.to_string())
        })
        .collect()
}

async fn handshake(r: &mut AddressResult, plan: &Plan) -> Result<Observed, String> {
    let (attempt, stream) = tcp::connect(r.address, &plan.bind, plan.timeout).await.map_err(|e| e.to_string())?;
    let Some(mut stream) = stream else {
        return Err(match attempt.outcome {
            Outcome::Refused => "TCP connection refused (RST): nothing listens on that port".into(),
            Outcome::TimedOut => format!("no answer to the TCP handshake within {}", timing::human(plan.timeout)),
            Outcome::Icmp(icmp) => format!("unreachable: {icmp:?}"),
            Outcome::Local(e) => format!("cannot connect: {e}"),
            Outcome::Established => "connection lost".into(),
        });
    };
    r.tcp_connect = Some(attempt.elapsed);
    if let Some(protocol) = plan.starttls {
        r.starttls = starttls::upgrade(&mut stream, protocol, &plan.domain, plan.timeout).await?;
    }
    let (hs, _tls) = tls::handshake(stream, &plan.offer, plan.timeout).await?;
    Ok(Observed {
        chain: hs.chain,
        ocsp: hs.ocsp,
        signature_error: hs.signature_error,
        client_ca_names: hs.client_ca_names,
        facts: HandshakeFacts {
            version: hs.version,
            cipher_suite: hs.suite,
            key_exchange_group: hs.group,
            alpn: hs.alpn,
            kind: hs.kind,
            sni: hs.sni,
            elapsed: hs.elapsed,
            dh_bits: None,
            via: "rustls".into(),
        },
    })
}

fn judge(r: &mut AddressResult, plan: &Plan, seen: Observed) -> Result<(), String> {
    let now = plan.at.unwrap_or_else(unix_now);
    r.handshake = Some(seen.facts);
    r.client_ca_names = seen.client_ca_names.as_deref().map(name_texts);
    for der in &seen.chain {
        r.certificates.push(cert::inspect(der, now, plan.pem)?);
        r.pem += &cert::pem(der);
    }
    if seen.chain.is_empty() {
        return Err("the server sent no certificate".into());
    }
    if let Some(bytes) = &seen.ocsp {
        match ocsp::parse(bytes) {
            Ok(staple) => r.ocsp = Some(staple),
            Err(e) => r.ocsp_error = Some(format!("the stapled OCSP response is malformed: {e}")),
        }
    }
    let revoked = r.ocsp.as_ref().is_some_and(|s| s.cert_status.as_deref() == Some("revoked"));
    let v = verdict::judge(&verdict::Input {
        chain: &seen.chain,
        infos: &r.certificates,
        name: &plan.offer.server_name,
        store: &plan.store,
        now,
        signature_error: seen.signature_error.as_deref(),
        ocsp_revoked: revoked,
        check_name: plan.check_name,
        max_depth: plan.max_depth,
    });
    let verified_infos: Vec<CertInfo> = match &v.verified {
        Some(path) => std::iter::once(&seen.chain[0])
            .chain(path.intermediates.iter())
            .chain(path.root.iter())
            .filter_map(|der| cert::inspect(der, now, false).ok())
            .collect(),
        None => Vec::new(),
    };
    r.expiry = Some(verdict::expiries(&r.certificates, &verified_infos, now, plan.window));
    r.path = match &v.verified {
        Some(path) => std::iter::once(&seen.chain[0])
            .chain(path.intermediates.iter())
            .chain(path.root.iter())
            .map(|c| c.to_vec())
            .collect(),
        None => seen.chain.iter().map(|c| c.to_vec()).collect(),
    };
    r.verdict = Some(v);
    if let (Some(staple), Some(issuer)) = (&r.ocsp, r.path.get(1)) {
        r.ocsp_signature = Some(match revocation::check_ocsp(staple, &r.path[0], issuer, now) {
            Ok(who) => SignatureCheck { valid: true, detail: who },
            Err(why) => SignatureCheck { valid: false, detail: why },
        });
    }
    Ok(())
}

/// `--ocsp` and `--crl`: what the certificates' URLs say.
async fn revocation_checks(r: &mut AddressResult, plan: &Plan) {
    let now = plan.at.unwrap_or_else(unix_now);
    let resolver = Resolver::system(plan.family);
    let Some(v) = r.verdict.as_mut() else { return };
    if plan.ocsp {
        let url = r.certificates.first().and_then(|c| c.ocsp_urls.first()).cloned();
        match (url, r.path.get(1)) {
            (None, _) => {
                verdict::add_reason(v, verdict::Kind::RevocationUnknown, "the leaf names no OCSP responder".into())
            }
            (Some(_), None) => verdict::add_reason(
                v,
                verdict::Kind::RevocationUnknown,
                "the leaf's issuer is unknown: no OCSP request can be made".into(),
            ),
            (Some(url), Some(issuer)) => {
                let mut fetch = OcspFetch { url: url.clone(), response: None, signature: None, error: None };
                let answer = async {
                    let request = revocation::ocsp_request(&r.path[0], issuer)?;
                    let body = crate::net::fetch::fetch(
                        &url,
                        Some(("application/ocsp-request", &request)),
                        &resolver,
                        &plan.bind,
                        plan.timeout,
                    )
                    .await?;
                    ocsp::parse(&body).map_err(|e| format!("the OCSP response from {url} is malformed: {e}"))
                };
                match answer.await {
                    Ok(staple) => {
                        let check = revocation::check_ocsp(&staple, &r.path[0], issuer, now);
                        let status = staple.cert_status.clone().unwrap_or_else(|| staple.response_status.clone());
                        match (&check, status.as_str()) {
                            (Ok(_), "revoked") => verdict::add_reason(
                                v,
                                verdict::Kind::Revoked,
                                format!("the OCSP responder at {url} says the leaf is revoked"),
                            ),
                            (Ok(_), "good") => {}
                            (Ok(_), other) => verdict::add_reason(
                                v,
                                verdict::Kind::RevocationUnknown,
                                format!("the OCSP responder at {url} answered {other}"),
                            ),
                            (Err(why), _) => verdict::add_reason(
                                v,
                                verdict::Kind::RevocationUnknown,
                                format!("the OCSP response from {url} cannot be trusted: {why}"),
                            ),
                        }
                        fetch.signature = Some(match check {
                            Ok(who) => SignatureCheck { valid: true, detail: who },
                            Err(why) => SignatureCheck { valid: false, detail: why },
                        });
                        fetch.response = Some(staple);
                    }
                    Err(e) => {
                        verdict::add_reason(v, verdict::Kind::RevocationUnknown, e.clone());
                        fetch.error = Some(e);
                    }
                }
                r.ocsp_fetched = Some(fetch);
            }
        }
    }
    if plan.crl {
        for i in 0..r.path.len().saturating_sub(1) {
            let Ok(info) = cert::inspect(&r.path[i], now, false) else { continue };
            if info.self_issued {
                continue;
            }
            let Some(url) = info.crl_urls.first().cloned() else {
                r.crl.push(revocation::CrlCheck {
                    subject: info.subject,
                    url: String::new(),
                    status: "none".into(),
                    detail: "no CRL distribution point".into(),
                });
                continue;
            };
            let got = crate::net::fetch::fetch(&url, None, &resolver, &plan.bind, plan.timeout).await;
            let (status, detail) = match got
                .and_then(|crl| revocation::check_crl(&crl, &r.path[i], &r.path[i + 1], now))
            {
                Ok(None) => ("good", "not listed".to_string()),
                Ok(Some(when)) => {
                    let detail = format!("revoked on {}", cert::rfc3339(when));
                    verdict::add_reason(v, verdict::Kind::Revoked, format!("{} is {detail} (CRL {url})", info.subject));
                    ("revoked", detail)
                }
                Err(e) => {
                    verdict::add_reason(
                        v,
                        verdict::Kind::RevocationUnknown,
                        format!("{} (CRL {url}): {e}", info.subject),
                    );
                    ("error", e)
                }
            };
            r.crl.push(revocation::CrlCheck { subject: info.subject, url, status: status.into(), detail });
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TlsReport {
    target: String,
    host: Host,
    port: u16,
    server_name: String,
    resolution: Resolution,
    starttls: Option<Protocol>,
    store: String,
    #[serde(skip)]
    pem_only: bool,
    addresses: Vec<AddressResult>,
}

impl TlsReport {
    fn passed(&self) -> bool {
        self.addresses.iter().all(|a| a.passed)
    }

    fn header(&self) -> String {
        let a = &self.addresses[0].address;
        let mut line = format!("TLS-INSPECT {}:{}", self.host, self.port);
        if self.resolution.source != Source::Literal {
            line += &format!(" ({a})");
            let from = if self.resolution.source == Source::Dns { "DNS" } else { "hosts file" };
            line += &format!(", resolved in {} ms ({from})", timing::ms(self.resolution.elapsed));
        }
        line
    }
}

fn kv(text: &mut String, key: &str, value: impl AsRef<str>) {
    text.push_str(&format!("  {key:<15} {}\n", value.as_ref()));
}

fn when(unix: Option<i64>) -> String {
    unix.map_or("-".into(), cert::rfc3339)
}

fn address_block(out: &Output, a: &AddressResult, text: &mut String) {
    if let Some(e) = &a.error {
        kv(text, "error", out.paint(e, Tone::Bad));
    }
    if a.handshake.is_none() {
        enumeration_block(out, a, text);
        return;
    }
    if let Some(t) = a.tcp_connect {
        kv(text, "tcp connect", format!("{} ms", timing::ms(t)));
    }
    for line in &a.starttls {
        kv(text, "starttls", line);
    }
    if let Some(h) = &a.handshake {
        kv(text, "tls handshake", format!("{} ms ({})", timing::ms(h.elapsed), h.kind));
        kv(text, "protocol", &h.version);
        kv(text, "cipher suite", &h.cipher_suite);
        kv(text, "key exchange", h.key_exchange_group.as_deref().unwrap_or("-"));
        kv(text, "alpn", h.alpn.as_deref().unwrap_or("-"));
        kv(text, "sni", h.sni.as_deref().unwrap_or("(none sent)"));
        if let Some(bits) = h.dh_bits {
            kv(text, "dh parameters", format!("{bits} bits"));
        }
    }
    if let Some(e) = &a.negotiation_error {
        kv(
            text,
            "read via",
            out.paint(
                &format!("a crafted ClientHello (clear text; handshake signature not checked): rustls: {e}"),
                Tone::Warn,
            ),
        );
    }
    match &a.client_ca_names {
        Some(names) if names.is_empty() => kv(text, "client cert", "requested (no CA names)"),
        Some(names) => {
            for (i, n) in names.iter().enumerate() {
                kv(text, if i == 0 { "client cert CAs" } else { "" }, n);
            }
        }
        None => {}
    }
    match (&a.ocsp, &a.ocsp_error) {
        (Some(s), _) => kv(
            text,
            "ocsp staple",
            format!(
                "{} {}, produced {}, this update {}, next update {}",
                s.response_status,
                s.cert_status.as_deref().unwrap_or("-"),
                when(s.produced_at),
                when(s.this_update),
                when(s.next_update)
            ),
        ),
        (None, Some(e)) => kv(text, "ocsp staple", out.paint(e, Tone::Warn)),
        (None, None) => kv(text, "ocsp staple", "none"),
    }
    if let Some(c) = &a.ocsp_signature {
        let tone = if c.valid { Tone::Good } else { Tone::Bad };
        let text_ = if c.valid { c.detail.clone() } else { format!("DOES NOT VERIFY: {}", c.detail) };
        kv(text, "  signature", out.paint(&text_, tone));
    }
    if let Some(f) = &a.ocsp_fetched {
        let answer = match (&f.response, &f.error) {
            (Some(s), _) => format!(
                "{} {}, this update {}, next update {}",
                s.response_status,
                s.cert_status.as_deref().unwrap_or("-"),
                when(s.this_update),
                when(s.next_update)
            ),
            (None, Some(e)) => e.clone(),
            (None, None) => "-".into(),
        };
        kv(text, "ocsp responder", format!("{}: {answer}", f.url));
        if let Some(c) = &f.signature {
            let text_ = if c.valid { c.detail.clone() } else { format!("DOES NOT VERIFY: {}", c.detail) };
            kv(text, "  signature", text_);
        }
    }
    for c in &a.crl {
        let url = if c.url.is_empty() { String::new() } else { format!(" ({})", c.url) };
        kv(text, "crl", format!("{}: {} {}{url}", c.subject, c.status, c.detail));
    }
    if let Some(v) = &a.verdict {
        if v.trusted {
            kv(text, "verdict", out.paint("trusted", Tone::Good));
        } else {
            for (i, r) in v.reasons.iter().enumerate() {
                let key = if i == 0 { "verdict" } else { "" };
                kv(text, key, format!("{}: {}", out.paint(&r.kind.label().to_uppercase(), Tone::Bad), r.detail));
            }
        }
        kv(text, "trust store", &v.store);
        if !v.verified_chain.is_empty() {
            kv(text, "verified path", v.verified_chain.join(" <- "));
        }
    }
    if let Some(e) = &a.expiry {
        let show = |x: &Option<verdict::Expiry>| {
            x.as_ref().map_or("-".to_string(), |x| format!("{} ({} days, {})", x.not_after, x.days_left, x.subject))
        };
        kv(text, "expiry: leaf", show(&e.leaf));
        kv(text, "  served chain", show(&e.served_earliest));
        kv(text, "  verified path", show(&e.verified_earliest));
        if let Some(days) = e.window_days {
            let verdict = if e.expiring.is_empty() {
                out.paint(&format!("nothing expires within {days} days"), Tone::Good)
            } else {
                out.paint(&format!("EXPIRING within {days} days: {}", e.expiring.join(", ")), Tone::Bad)
            };
            kv(text, "  window", verdict);
        }
    }
    if !a.certificates.is_empty() {
        text.push_str("\nCertificate chain as served\n");
    }
    for (i, c) in a.certificates.iter().enumerate() {
        text.push_str(&format!(" #{i} {}\n", out.paint(&c.subject, Tone::Bold)));
        kv(text, "issuer", &c.issuer);
        let mut sans: Vec<String> = c.sans.dns.iter().map(|d| format!("DNS:{d}")).collect();
        sans.extend(c.sans.ip.iter().map(|d| format!("IP:{d}")));
        sans.extend(c.sans.email.iter().map(|d| format!("email:{d}")));
        sans.extend(c.sans.uri.iter().map(|d| format!("URI:{d}")));
        if !sans.is_empty() {
            kv(text, "sans", sans.join(", "));
        }
        kv(text, "serial", &c.serial);
        let left = if c.days_left < 0 { out.paint("expired", Tone::Bad) } else { format!("{} days left", c.days_left) };
        kv(text, "validity", format!("{} to {} ({left})", c.not_before, c.not_after));
        let curve = c.key.curve.as_deref().map_or(String::new(), |c| format!(" {c}"));
        kv(text, "key", format!("{}{curve} {} bits", c.key.kind, c.key.bits));
        kv(text, "signature", &c.signature_algorithm);
        if !c.key_usage.is_empty() {
            kv(text, "key usage", c.key_usage.join(", "));
        }
        if !c.extended_key_usage.is_empty() {
            kv(text, "ext key usage", c.extended_key_usage.join(", "));
        }
        if let Some(ca) = c.ca {
            let len = c.path_len.map_or(String::new(), |l| format!(", pathlen {l}"));
            kv(text, "basic constr.", format!("CA:{ca}{len}"));
        }
        for url in &c.ocsp_urls {
            kv(text, "ocsp", url);
        }
        for url in &c.ca_issuer_urls {
            kv(text, "ca issuers", url);
        }
        for url in &c.crl_urls {
            kv(text, "crl", url);
        }
        kv(text, "scts", c.sct_count.to_string());
        kv(text, "sha256", &c.sha256);
        kv(text, "sha1", &c.sha1);
    }
    enumeration_block(out, a, text);
}

fn enumeration_block(out: &Output, a: &AddressResult, text: &mut String) {
    if let Some(e) = &a.enumeration {
        text.push_str(&format!("\nAccepted by the server ({} probes)\n", e.probes));
        for v in &e.versions {
            if !v.accepted {
                let why = v.refused.as_deref().map_or(String::new(), |r| format!(" ({r})"));
                kv(text, &v.version, format!("no{why}"));
                continue;
            }
            let order = match v.server_order {
                Some(true) => ", server order",
                Some(false) => ", client order",
                None => "",
            };
            kv(text, &v.version, format!("yes{order}"));
            for s in &v.suites {
                kv(text, "", format!("{} {}", s.code, s.name));
            }
            if !v.groups.is_empty() {
                kv(text, "  groups", v.groups.join(", "));
            }
            if let Some(bits) = v.dh_bits {
                kv(text, "  dh parameters", format!("{bits} bits"));
            }
            if let Some(algs) = &v.signature_algorithms {
                kv(text, "  signature algs", if algs.is_empty() { "-".into() } else { algs.join(", ") });
            }
        }
        let via = e.groups_via.as_deref().map_or(String::new(), |v| format!(" (via {v})"));
        kv(text, &format!("groups{via}"), if e.groups.is_empty() { "-".into() } else { e.groups.join(", ") });
        if let Some(via) = &e.alpn_via {
            kv(text, &format!("alpn (via {via})"), if e.alpn.is_empty() { "-".into() } else { e.alpn.join(", ") });
        }
        let c = &e.checks;
        let yes_no = |v: Option<bool>, yes: &str, no: &str| match v {
            Some(true) => yes.to_string(),
            Some(false) => no.to_string(),
            None => "-".to_string(),
        };
        kv(
            text,
            "renegotiation",
            yes_no(c.secure_renegotiation, "secure (RFC 5746)", "INSECURE (no renegotiation_info)"),
        );
        kv(text, "compression", yes_no(c.compression, "ACCEPTED (CRIME)", "none"));
        kv(text, "heartbeat", yes_no(c.heartbeat, "enabled", "not offered"));
        kv(text, "fallback scsv", yes_no(c.fallback_scsv, "refuses downgrades", "NOT SUPPORTED"));
    }
    if let Some(e) = &a.enumeration_error {
        kv(text, "enumeration", out.paint(e, Tone::Bad));
    }
    if !a.findings.is_empty() {
        text.push_str("\nFindings\n");
        for f in &a.findings {
            let tone = if f.severity.fails() { Tone::Bad } else { Tone::Warn };
            kv(text, &f.severity.label().to_uppercase(), out.paint(&f.detail, tone));
        }
    }
}

impl Report for TlsReport {
    fn human(&self, out: &Output) -> String {
        if self.pem_only {
            return self.addresses.iter().map(|a| a.pem.clone()).collect();
        }
        let mut text = self.header() + "\n";
        if self.addresses.len() > 1 {
            let mut table = out.table(&[
                "address",
                "connect ms",
                "handshake ms",
                "version",
                "suite",
                "leaf sha256",
                "not after",
                "verdict",
            ]);
            for a in &self.addresses {
                let h = a.handshake.as_ref();
                let leaf = a.certificates.first();
                table.add_row(vec![
                    a.address.to_string(),
                    a.tcp_connect.map_or("-".into(), timing::ms),
                    h.map_or("-".into(), |h| timing::ms(h.elapsed)),
                    h.map_or("-".into(), |h| h.version.clone()),
                    h.map_or("-".into(), |h| h.cipher_suite.clone()),
                    leaf.map_or("-".into(), |c| c.sha256.chars().take(23).collect()),
                    leaf.map_or("-".into(), |c| c.not_after.clone()),
                    a.error.clone().unwrap_or_else(|| a.verdict.as_ref().map_or("-".into(), |v| v.status.clone())),
                ]);
            }
            text += &table.to_string();
            text.push('\n');
        }
        for a in &self.addresses {
            if self.addresses.len() > 1 {
                text += &format!("\n{}\n", out.paint(&a.address.to_string(), Tone::Bold));
            }
            address_block(out, a, &mut text);
        }
        text
    }

    fn json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        value["command"] = json!("tls-inspect");
        value["passed"] = json!(self.passed());
        value
    }

    fn exit(&self) -> Exit {
        if self.passed() { Exit::Passed } else { Exit::Failed }
    }
}
