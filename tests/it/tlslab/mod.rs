//! Test PKI (rcgen) and in-process TLS peers (tokio-rustls) for the
//! tls-inspect lab tests: a lab root, an intermediate, leaves of every kind,
//! and servers that listen on sockets made inside lab hosts.

#![allow(dead_code)]

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType, SignatureAlgorithm,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::TcpListener;
use std::sync::{Arc, mpsc};
use std::time::Duration;
use time::OffsetDateTime;

pub type Issuer = CertifiedIssuer<'static, KeyPair>;

pub fn days(n: i64) -> OffsetDateTime {
    // Half a day past the whole days, so "days left" is exact whatever the seconds.
    OffsetDateTime::now_utc() + time::Duration::days(n) + time::Duration::hours(12)
}

fn named(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.distinguished_name.push(DnType::OrganizationName, "netwalk lab");
    p.not_before = days(-1);
    p.not_after = days(90);
    p
}

pub fn key(alg: &'static SignatureAlgorithm) -> KeyPair {
    KeyPair::generate_for(alg).unwrap()
}

/// An RSA key from tests/fixtures (ring signs RSA but cannot generate it).
pub fn rsa_key(bits: u32) -> KeyPair {
    let path = format!("{}/tests/fixtures/rsa{bits}.key", env!("CARGO_MANIFEST_DIR"));
    let pem = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    KeyPair::from_pkcs8_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).unwrap()
}

pub fn root(cn: &str) -> Issuer {
    let mut p = named(cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_after = days(3650);
    CertifiedIssuer::self_signed(p, key(&rcgen::PKCS_ECDSA_P256_SHA256)).unwrap()
}

pub fn intermediate(cn: &str, parent: &Issuer, not_after: OffsetDateTime) -> Issuer {
    let mut p = named(cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_after = not_after;
    CertifiedIssuer::signed_by(p, key(&rcgen::PKCS_ECDSA_P256_SHA256), parent).unwrap()
}

/// An intermediate on a given key (a cross-sign shares its subject and key with another).
pub fn intermediate_on(cn: &str, parent: &Issuer, key_pem: &str, from: OffsetDateTime, to: OffsetDateTime) -> Issuer {
    let mut p = named(cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = from;
    p.not_after = to;
    CertifiedIssuer::signed_by(p, KeyPair::from_pem(key_pem).unwrap(), parent).unwrap()
}

/// The DER of an Authority Information Access extension naming a caIssuers URL.
fn aia_ca_issuers(url: &str) -> rcgen::CustomExtension {
    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag, body.len() as u8];
        out.extend(body);
        out
    }
    let oid = tlv(0x06, &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02]); // id-ad-caIssuers
    let desc = tlv(0x30, &[oid, tlv(0x86, url.as_bytes())].concat());
    rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], tlv(0x30, &desc))
}

/// What a leaf looks like; `Leaf::new("web.test")` is a valid 90-day server certificate.
pub struct Leaf {
    pub params: CertificateParams,
    pub key: KeyPair,
}

impl Leaf {
    pub fn new(cn: &str) -> Leaf {
        Leaf::with_key(cn, key(&rcgen::PKCS_ECDSA_P256_SHA256))
    }

    pub fn with_key(cn: &str, key: KeyPair) -> Leaf {
        let mut p = named(cn);
        p.subject_alt_names = vec![SanType::DnsName(cn.try_into().unwrap())];
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        p.is_ca = IsCa::ExplicitNoCa;
        Leaf { params: p, key }
    }

    pub fn sans(mut self, sans: Vec<SanType>) -> Leaf {
        self.params.subject_alt_names = sans;
        self
    }

    /// An AIA caIssuers URL (where the issuer can be fetched).
    pub fn ca_issuers(mut self, url: &str) -> Leaf {
        self.params.custom_extensions.push(aia_ca_issuers(url));
        self
    }

    pub fn valid(mut self, from: OffsetDateTime, to: OffsetDateTime) -> Leaf {
        self.params.not_before = from;
        self.params.not_after = to;
        self
    }

    /// Signed by `issuer`: the certificate and its key.
    pub fn signed(self, issuer: &Issuer) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let cert = self.params.signed_by(&self.key, issuer).unwrap();
        (cert.der().clone(), der_key(&self.key))
    }

    pub fn self_signed(self) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let cert = self.params.self_signed(&self.key).unwrap();
        (cert.der().clone(), der_key(&self.key))
    }
}

pub fn der_key(key: &KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))
}

pub fn pem(certs: &[&CertificateDer<'_>]) -> String {
    certs.iter().map(|c| netwalk::commands::tls_inspect::cert::pem(c)).collect()
}

/// How a test server is set up.
pub struct ServerSpec {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub ocsp: Vec<u8>,
    pub versions: Vec<&'static rustls::SupportedProtocolVersion>,
    pub suites: Option<Vec<rustls::SupportedCipherSuite>>,
    pub groups: Option<Vec<&'static dyn rustls::crypto::SupportedKxGroup>>,
    pub server_order: bool,
    pub alpn: Vec<Vec<u8>>,
    /// Plaintext dialogue before TLS: called with the stream, returns when TLS may start.
    pub starttls: Option<fn(&mut std::net::TcpStream)>,
}

impl ServerSpec {
    pub fn new(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> ServerSpec {
        ServerSpec {
            chain,
            key,
            ocsp: Vec::new(),
            versions: vec![&rustls::version::TLS13, &rustls::version::TLS12],
            suites: None,
            groups: None,
            server_order: false,
            alpn: Vec::new(),
            starttls: None,
        }
    }

    fn config(self) -> rustls::ServerConfig {
        let mut provider = rustls::crypto::ring::default_provider();
        if let Some(suites) = self.suites {
            provider.cipher_suites = suites;
        }
        if let Some(groups) = self.groups {
            provider.kx_groups = groups;
        }
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(&self.versions)
            .unwrap()
            .with_no_client_auth()
            .with_single_cert_with_ocsp(self.chain, self.key, self.ocsp)
            .unwrap();
        config.ignore_client_order = self.server_order;
        config.alpn_protocols = self.alpn;
        config
    }
}

/// Serves TLS on `listener` from a thread; each completed handshake reports the SNI it saw.
pub fn serve(listener: TcpListener, spec: ServerSpec) -> mpsc::Receiver<Option<String>> {
    let (tx, rx) = mpsc::channel();
    let starttls = spec.starttls;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(spec.config()));
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        while let Ok((mut stream, _)) = listener.accept() {
            let (acceptor, tx) = (acceptor.clone(), tx.clone());
            stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            if let Some(dialogue) = starttls {
                dialogue(&mut stream);
            }
            stream.set_nonblocking(true).unwrap();
            rt.block_on(async move {
                let stream = tokio::net::TcpStream::from_std(stream).unwrap();
                let accepted = tokio::time::timeout(Duration::from_secs(5), acceptor.accept(stream)).await;
                if let Ok(Ok(tls)) = accepted {
                    let _ = tx.send(tls.get_ref().1.server_name().map(str::to_string));
                }
            });
        }
    });
    rx
}
