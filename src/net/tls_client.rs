//! The TLS client `http` speaks through: rustls on ring, verification on by
//! default, `--cacert` to trust a private CA, `-k` to skip verification, ALPN.
//! Handshake failures are explained in words (expired on DATE, name mismatch).

use crate::error::Error;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::Serialize;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::client::TlsStream;

/// What the handshake settled on.
#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    pub version: String,
    pub cipher: String,
    /// The protocol the server picked by ALPN (`h2`, `http/1.1`), if any.
    pub alpn: Option<String>,
    /// False under `-k`: the certificate was not checked.
    pub verified: bool,
    /// The earliest notAfter of the chain the server sent, in Unix seconds
    /// (serve's http prober reports it as blackbox's probe_ssl_earliest_cert_expiry).
    pub earliest_expiry_unix: Option<i64>,
    /// The chain the server sent, leaf first (hsts-check looks for SHA-1 in it).
    #[serde(skip)]
    pub chain: Vec<CertificateDer<'static>>,
}

/// The earliest notAfter among the certificates that parse.
fn earliest_expiry(chain: &[CertificateDer<'_>]) -> Option<i64> {
    use x509_parser::prelude::FromDer;
    chain
        .iter()
        .filter_map(|c| x509_parser::certificate::X509Certificate::from_der(c).ok())
        .map(|(_, cert)| cert.validity().not_after.timestamp())
        .min()
}

/// A configured client: trust store, verification mode, ALPN offer.
#[derive(Clone)]
pub struct Client {
    /// Built when first needed for the system store: loading it takes
    /// milliseconds, and a cleartext fetch never needs it.
    config: Arc<OnceLock<Arc<ClientConfig>>>,
    verify: bool,
}

impl Client {
    /// `-k` and `--cacert` are built (and a bad CA file reported) at once.
    pub fn new(insecure: bool, cacert: Option<&Path>) -> Result<Client, Error> {
        let lock = OnceLock::new();
        if insecure || cacert.is_some() {
            let _ = lock.set(config(insecure, cacert)?);
        }
        Ok(Client { config: Arc::new(lock), verify: !insecure })
    }

    fn base(&self) -> Result<Arc<ClientConfig>, Error> {
        if let Some(config) = self.config.get() {
            return Ok(config.clone());
        }
        let built = config(false, None)?;
        Ok(self.config.get_or_init(|| built).clone())
    }

    /// The same client offering these protocols by ALPN, in order of
    /// preference (the trust store is loaded here if it was not yet).
    pub fn with_alpn(&self, alpn: &[&str]) -> Result<Client, Error> {
        let mut config = (*self.base()?).clone();
        config.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
        Ok(Client { config: Arc::new(OnceLock::from(Arc::new(config))), verify: self.verify })
    }

    /// Runs the handshake over `stream`, naming `host` in SNI and verification.
    pub async fn handshake<S>(&self, stream: S, host: &str) -> Result<(TlsStream<S>, Facts), Error>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        handshake(stream, host, self.base()?, self.verify).await
    }
}

/// A verifying client configuration: the system store, or only `cacert` when given
/// (as curl's --cacert). DNS over TLS/HTTPS shares it with `http`.
pub fn client_config(cacert: Option<&Path>) -> Result<Arc<ClientConfig>, Error> {
    config(false, cacert)
}

fn config(insecure: bool, cacert: Option<&Path>) -> Result<Arc<ClientConfig>, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::usage(format!("TLS configuration: {e}")))?;
    let config = if insecure {
        let algs = provider.signature_verification_algorithms;
        builder.dangerous().with_custom_certificate_verifier(Arc::new(NoVerify(algs))).with_no_client_auth()
    } else {
        builder.with_root_certificates(roots(cacert)?).with_no_client_auth()
    };
    Ok(Arc::new(config))
}

/// `--cacert` replaces the system store, as curl does; otherwise the system
/// store, and the bundled Mozilla roots when the system has none.
fn roots(cacert: Option<&Path>) -> Result<RootCertStore, Error> {
    let mut store = RootCertStore::empty();
    if let Some(path) = cacert {
        for cert in super::tls::read_pem_certs(path)? {
            store.add(cert).map_err(|e| Error::usage(format!("cannot use CA file {}: {e}", path.display())))?;
        }
        return Ok(store);
    }
    let native = rustls_native_certs::load_native_certs();
    let (added, _) = store.add_parsable_certificates(native.certs);
    if added == 0 {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    Ok(store)
}

async fn handshake<S>(
    stream: S,
    host: &str,
    config: Arc<ClientConfig>,
    verified: bool,
) -> Result<(TlsStream<S>, Facts), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let name = ServerName::try_from(host.to_string())
        .map_err(|_| Error::usage(format!("'{host}' cannot be used as a TLS server name")))?;
    let connector = tokio_rustls::TlsConnector::from(config);
    let tls = connector.connect(name, stream).await.map_err(|e| explain(host, &e))?;
    let (_, conn) = tls.get_ref();
    let chain: Vec<CertificateDer<'static>> =
        conn.peer_certificates().map(|c| c.iter().map(|c| c.clone().into_owned()).collect()).unwrap_or_default();
    let facts = Facts {
        version: conn.protocol_version().map(|v| format!("{v:?}").replace("TLSv1_", "TLSv1.")).unwrap_or_default(),
        cipher: conn.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite())).unwrap_or_default(),
        alpn: conn.alpn_protocol().map(|p| String::from_utf8_lossy(p).into_owned()),
        verified,
        earliest_expiry_unix: earliest_expiry(&chain),
        chain,
    };
    Ok((tls, facts))
}

/// A handshake failure in plain words, with what to do about it.
fn explain(host: &str, err: &std::io::Error) -> Error {
    let Some(tls) = err.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) else {
        return match err.kind() {
            std::io::ErrorKind::UnexpectedEof => {
                Error::target(format!("TLS handshake with {host}: the server closed the connection"))
            }
            _ => Error::target(format!("TLS handshake with {host}: {err}")),
        };
    };
    let fix = "pass the issuing CA with --cacert FILE, or -k to skip verification (insecure)";
    let message = match tls {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::ExpiredContext { not_after, .. } => {
                format!("the certificate of {host} expired on {}", date(*not_after))
            }
            CertificateError::Expired => format!("the certificate of {host} has expired"),
            CertificateError::NotValidYetContext { not_before, .. } => {
                format!("the certificate of {host} is not valid before {}", date(*not_before))
            }
            CertificateError::NotValidForNameContext { presented, .. } => {
                let names = if presented.is_empty() {
                    "no name at all".to_string()
                } else {
                    presented.iter().map(|p| bare_name(p)).collect::<Vec<_>>().join(", ")
                };
                return Error::target_with_hint(
                    format!("name mismatch: the certificate is for {names}, not {host}"),
                    "use the name the certificate is for, or -k to skip verification (insecure)",
                );
            }
            CertificateError::NotValidForName => format!("name mismatch: the certificate is not for {host}"),
            CertificateError::UnknownIssuer => {
                return Error::target_with_hint(
                    format!("the certificate of {host} is issued by an authority this machine does not trust"),
                    fix,
                );
            }
            CertificateError::BadSignature => format!("the certificate of {host} has a bad signature"),
            other => format!("the certificate of {host} is invalid: {other:?}"),
        },
        rustls::Error::AlertReceived(alert) => format!("{host} ended the TLS handshake with alert {alert:?}"),
        rustls::Error::NoApplicationProtocol => {
            return Error::target_with_hint(
                format!("{host} accepts none of the offered ALPN protocols"),
                "try without --http2 or --http1.1",
            );
        }
        other => format!("TLS handshake with {host} failed: {other}"),
    };
    Error::target_with_hint(message, fix)
}

/// rustls lists presented names as `DnsName("web.test")`; keep the name.
fn bare_name(presented: &str) -> &str {
    match (presented.find('('), presented.rfind(')')) {
        (Some(open), Some(close)) if open < close => presented[open + 1..close].trim_matches('"'),
        _ => presented,
    }
}

fn date(t: UnixTime) -> String {
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.as_secs()))
}

/// `-k`: any certificate is accepted, but the handshake signatures are still
/// checked so the connection is at least bound to the key the server showed.
#[derive(Debug)]
struct NoVerify(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        false
    }
}
