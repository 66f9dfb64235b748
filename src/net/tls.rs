//! A TLS handshake that inspects rather than protects: a capturing verifier
//! records the served chain and the stapled OCSP response and lets the
//! handshake finish whatever the certificates are, so the caller can show
//! the chain and judge it (`verify`) instead of getting a bare abort.
//! One crypto provider for the whole crate: ring.

use crate::error::Error;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};

pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Where trust comes from (`--roots`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Roots {
    /// The operating system's store (SSL_CERT_FILE / SSL_CERT_DIR, else /etc/ssl/certs)
    System,
    /// Mozilla's root program, built in (webpki-roots)
    Mozilla,
}

/// The trust store: anchors, the certificates behind them when known (for
/// their expiry), and extra intermediates from `--ca-file`.
pub struct Store {
    pub anchors: Vec<TrustAnchor<'static>>,
    /// Anchor subject (DER) → the root certificate it came from.
    pub roots: HashMap<Vec<u8>, CertificateDer<'static>>,
    /// Non-self-issued certificates of the CA file: path-building material
    /// first; failing a path to a root, trust anchors themselves (`partial`).
    pub intermediates: Vec<CertificateDer<'static>>,
    /// The same certificates as anchors (openssl's partial-chain trust).
    pub partial: Vec<TrustAnchor<'static>>,
    pub description: String,
}

fn self_issued(der: &[u8]) -> bool {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, c)| c.tbs_certificate.subject.as_raw() == c.tbs_certificate.issuer.as_raw())
        .unwrap_or(false)
}

impl Store {
    pub fn load(roots: Roots, ca_file: Option<&Path>) -> Result<Store, Error> {
        let mut store = Store {
            anchors: Vec::new(),
            roots: HashMap::new(),
            intermediates: Vec::new(),
            partial: Vec::new(),
            description: String::new(),
        };
        match roots {
            Roots::Mozilla => {
                store.anchors.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
                store.description = format!("mozilla ({} roots)", store.anchors.len());
            }
            Roots::System => {
                let found = rustls_native_certs::load_native_certs();
                for cert in found.certs {
                    store.add_root(cert);
                }
                store.description = format!("system ({} roots)", store.anchors.len());
                if store.anchors.is_empty() {
                    tracing::warn!(errors = ?found.errors, "the system trust store is empty");
                }
            }
        }
        if let Some(path) = ca_file {
            let certs = read_pem_certs(path)?;
            let count = certs.len();
            for cert in certs {
                if self_issued(&cert) {
                    store.add_root(cert);
                } else {
                    if let Ok(anchor) = webpki::anchor_from_trusted_cert(&cert) {
                        let anchor = anchor.to_owned();
                        store.roots.insert(anchor.subject.to_vec(), cert.clone());
                        store.partial.push(anchor);
                    }
                    store.intermediates.push(cert);
                }
            }
            store.description += &format!(" + {} ({count} certificates)", path.display());
        }
        Ok(store)
    }

    fn add_root(&mut self, cert: CertificateDer<'static>) {
        if let Ok(anchor) = webpki::anchor_from_trusted_cert(&cert) {
            let anchor = anchor.to_owned();
            self.roots.insert(anchor.subject.to_vec(), cert);
            self.anchors.push(anchor);
        }
    }
}

/// Far above any CA bundle (Debian's ca-certificates.crt is ~220 KiB).
const CA_FILE_MAX_BYTES: u64 = 16 << 20;

/// Every certificate in a PEM file; any other content is an input error (exit 2).
pub fn read_pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    use rustls::pki_types::pem::PemObject;
    let bad = |why: String| Error::usage(format!("cannot use CA file {}: {why}", path.display()));
    let bytes = crate::input::read_capped("CA file", path, CA_FILE_MAX_BYTES)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("not PEM ({e})")))?;
    if certs.is_empty() {
        return Err(bad("no CERTIFICATE blocks in it".into()));
    }
    Ok(certs)
}

/// A path from the leaf to an anchor, as webpki found it.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The intermediates of the path, leaf side first (not the leaf, not the root).
    pub intermediates: Vec<CertificateDer<'static>>,
    /// The root certificate, when the store knows it (not for built-in anchors).
    pub root: Option<CertificateDer<'static>>,
    pub anchor_subject: Vec<u8>,
}

/// Builds and checks a path with webpki from `chain[0]` using `chain[1..]`
/// (plus `extra`) as intermediates, at `now`, for TLS server authentication.
pub fn verify(
    chain: &[CertificateDer<'static>],
    extra: &[CertificateDer<'static>],
    store: &Store,
    now: UnixTime,
) -> Result<Verified, webpki::Error> {
    verify_to(chain, extra, &store.anchors, store, now)
}

/// [`verify`] against the given anchors.
pub fn verify_to(
    chain: &[CertificateDer<'static>],
    extra: &[CertificateDer<'static>],
    anchors: &[TrustAnchor<'static>],
    store: &Store,
    now: UnixTime,
) -> Result<Verified, webpki::Error> {
    let Some(leaf) = chain.first() else { return Err(webpki::Error::BadDer) };
    let leaf = webpki::EndEntityCert::try_from(leaf)?;
    let mut pool: Vec<CertificateDer<'static>> = chain[1..].to_vec();
    pool.extend(extra.iter().cloned());
    let algs: WebPkiSupportedAlgorithms = rustls::crypto::ring::default_provider().signature_verification_algorithms;
    let path = leaf.verify_for_usage(algs.all, anchors, &pool, now, webpki::KeyUsage::server_auth(), None, None)?;
    let subject = path.anchor().subject.to_vec();
    Ok(Verified {
        intermediates: path.intermediate_certificates().map(|c| c.der().into_owned()).collect(),
        root: store.roots.get(&subject).cloned(),
        anchor_subject: subject,
    })
}

/// Whether the leaf is valid for `name` (a DNS name or an IP address).
pub fn valid_for_name(leaf: &CertificateDer<'_>, name: &ServerName<'_>) -> Result<(), webpki::Error> {
    webpki::EndEntityCert::try_from(leaf)?.verify_is_valid_for_subject_name(name)
}

/// What the handshake showed, trusted or not.
#[derive(Debug, Clone)]
pub struct Handshake {
    pub chain: Vec<CertificateDer<'static>>,
    pub ocsp: Option<Vec<u8>>,
    pub version: String,
    pub suite: String,
    pub group: Option<String>,
    pub alpn: Option<String>,
    /// full, full with HelloRetryRequest, resumed.
    pub kind: String,
    /// The SNI sent, if any.
    pub sni: Option<String>,
    pub elapsed: Duration,
    /// The server's handshake signature did not verify with the leaf's key.
    pub signature_error: Option<String>,
    /// The CA names of a CertificateRequest (DER Names), when the server sent one.
    pub client_ca_names: Option<Vec<Vec<u8>>>,
}

/// Records a CertificateRequest's CA names and offers no certificate.
#[derive(Debug)]
struct CaNameRecorder(Arc<Mutex<Option<Vec<Vec<u8>>>>>);

impl rustls::client::ResolvesClientCert for CaNameRecorder {
    fn resolve(&self, hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<rustls::sign::CertifiedKey>> {
        if let Ok(mut names) = self.0.lock() {
            *names = Some(hints.iter().map(|h| h.to_vec()).collect());
        }
        None
    }

    fn has_certs(&self) -> bool {
        // So that rustls asks us when a CertificateRequest arrives.
        true
    }
}

#[derive(Default)]
struct Capture {
    chain: Vec<CertificateDer<'static>>,
    ocsp: Option<Vec<u8>>,
    signature_error: Option<String>,
}

#[derive(Debug)]
struct CapturingVerifier {
    algs: WebPkiSupportedAlgorithms,
    capture: Arc<Mutex<Capture>>,
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture").field("chain", &self.chain.len()).finish()
    }
}

impl CapturingVerifier {
    fn note_signature(&self, result: Result<HandshakeSignatureValid, rustls::Error>) -> HandshakeSignatureValid {
        if let Err(e) = result
            && let Ok(mut c) = self.capture.lock()
        {
            c.signature_error = Some(e.to_string());
        }
        HandshakeSignatureValid::assertion()
    }
}

impl ServerCertVerifier for CapturingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut c) = self.capture.lock() {
            c.chain = std::iter::once(end_entity).chain(intermediates).map(|c| c.clone().into_owned()).collect();
            c.ocsp = (!ocsp_response.is_empty()).then(|| ocsp_response.to_vec());
        }
        // Judged afterwards with the whole picture (`verify`), never here.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(self.note_signature(rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(self.note_signature(rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)))
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// What to offer in the ClientHello.
#[derive(Debug, Clone)]
pub struct Offer {
    /// Name to verify against (and to send as SNI unless `send_sni` is false).
    pub server_name: ServerName<'static>,
    pub send_sni: bool,
    pub alpn: Vec<Vec<u8>>,
}

/// Runs a TLS handshake on an established stream, bounded by `timeout`.
/// Returns the stream too, for a caller that goes on to speak over it.
pub async fn handshake<S>(
    stream: S,
    offer: &Offer,
    timeout: Duration,
) -> Result<(Handshake, tokio_rustls::client::TlsStream<S>), String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let provider = provider();
    let capture = Arc::new(Mutex::new(Capture::default()));
    let ca_names = Arc::new(Mutex::new(None));
    let verifier =
        Arc::new(CapturingVerifier { algs: provider.signature_verification_algorithms, capture: capture.clone() });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(Arc::new(CaNameRecorder(ca_names.clone())));
    config.alpn_protocols = offer.alpn.clone();
    config.enable_sni = offer.send_sni;
    config.resumption = rustls::client::Resumption::disabled();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));

    let started = Instant::now();
    let tls = match tokio::time::timeout(timeout, connector.connect(offer.server_name.clone(), stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => return Err(describe(&e)),
        Err(_) => {
            return Err(format!("the TLS handshake did not finish within {}", crate::timing::human(timeout)));
        }
    };
    let elapsed = started.elapsed();
    let (_, conn) = tls.get_ref();
    let capture = std::mem::take(&mut *capture.lock().map_err(|_| "internal: capture lock poisoned")?);
    let sni = match (&offer.server_name, offer.send_sni) {
        (ServerName::DnsName(name), true) => Some(name.as_ref().to_string()),
        _ => None,
    };
    let handshake = Handshake {
        chain: capture.chain,
        ocsp: capture.ocsp,
        version: match conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".into(),
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".into(),
            Some(other) => format!("{other:?}"),
            None => "unknown".into(),
        },
        suite: conn
            .negotiated_cipher_suite()
            .and_then(|s| s.suite().as_str())
            .map_or_else(|| "unknown".into(), str::to_string),
        group: conn.negotiated_key_exchange_group().map(|g| group_name(g.name())),
        alpn: conn.alpn_protocol().map(|p| String::from_utf8_lossy(p).into_owned()),
        kind: match conn.handshake_kind() {
            Some(rustls::HandshakeKind::Full) => "full".into(),
            Some(rustls::HandshakeKind::FullWithHelloRetryRequest) => "full with HelloRetryRequest".into(),
            Some(rustls::HandshakeKind::Resumed) => "resumed".into(),
            None => "unknown".into(),
        },
        sni,
        elapsed,
        signature_error: capture.signature_error,
        client_ca_names: ca_names.lock().ok().and_then(|mut n| n.take()),
    };
    Ok((handshake, tls))
}

fn group_name(group: rustls::NamedGroup) -> String {
    crate::wire::tls_hello::group_name(u16::from(group))
}

/// rustls errors, in words a user can act on.
fn describe(err: &std::io::Error) -> String {
    let inner = err.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>());
    match inner {
        Some(rustls::Error::InvalidMessage(
            rustls::InvalidMessage::HandshakePayloadTooLarge | rustls::InvalidMessage::MessageTooLarge,
        )) => "the server announced a TLS handshake message larger than 64 KiB, rustls' limit: refused without buffering it"
            .into(),
        Some(rustls::Error::InvalidMessage(m)) => {
            format!("the server sent something that is not a valid TLS handshake ({m:?}): is this port TLS?")
        }
        Some(rustls::Error::AlertReceived(alert)) => format!("the server refused the handshake with a {alert:?} alert"),
        Some(other) => other.to_string(),
        None if err.kind() == std::io::ErrorKind::UnexpectedEof => {
            "the server closed the connection during the TLS handshake".into()
        }
        None => err.to_string(),
    }
}
