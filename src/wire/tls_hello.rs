//! Crafted TLS ClientHellos and the server's first flight, parsed only as far
//! as a version/cipher/group prober needs (the testssl.sh / sslscan approach):
//! no keys are derived, so any version from SSL 3.0 to TLS 1.3 can be asked.
//! Pure: bytes in, bytes out; malformed input is an `Err`, never a panic.

pub const SSL3: u16 = 0x0300;
pub const TLS10: u16 = 0x0301;
pub const TLS11: u16 = 0x0302;
pub const TLS12: u16 = 0x0303;
pub const TLS13: u16 = 0x0304;

/// Versions a prober asks about, oldest first.
pub const VERSIONS: [u16; 5] = [SSL3, TLS10, TLS11, TLS12, TLS13];

pub fn version_name(v: u16) -> String {
    match v {
        SSL3 => "SSLv3".into(),
        TLS10 => "TLSv1.0".into(),
        TLS11 => "TLSv1.1".into(),
        TLS12 => "TLSv1.2".into(),
        TLS13 => "TLSv1.3".into(),
        other => format!("0x{other:04x}"),
    }
}

/// The IANA registry entries a prober offers (TLS 1.3 suites are 0x13xx).
pub const SUITES: &[(u16, &str)] = &[
    (0x1301, "TLS_AES_128_GCM_SHA256"),
    (0x1302, "TLS_AES_256_GCM_SHA384"),
    (0x1303, "TLS_CHACHA20_POLY1305_SHA256"),
    (0x1304, "TLS_AES_128_CCM_SHA256"),
    (0x1305, "TLS_AES_128_CCM_8_SHA256"),
    (0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    (0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    (0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    (0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"),
    (0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"),
    (0xc0af, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"),
    (0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"),
    (0xc05d, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384"),
    (0xc05c, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256"),
    (0xc061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384"),
    (0xc060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256"),
    (0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"),
    (0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0x00a3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384"),
    (0x00a2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"),
    (0xc09f, "TLS_DHE_RSA_WITH_AES_256_CCM"),
    (0xc09e, "TLS_DHE_RSA_WITH_AES_128_CCM"),
    (0xc0a3, "TLS_DHE_RSA_WITH_AES_256_CCM_8"),
    (0xc0a2, "TLS_DHE_RSA_WITH_AES_128_CCM_8"),
    (0xc053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384"),
    (0xc052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256"),
    (0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"),
    (0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"),
    (0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"),
    (0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"),
    (0xc073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"),
    (0xc072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0xc077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384"),
    (0xc076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"),
    (0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"),
    (0x006a, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256"),
    (0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"),
    (0x00c4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256"),
    (0x00be, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"),
    (0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
    (0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
    (0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
    (0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"),
    (0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"),
    (0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"),
    (0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"),
    (0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA"),
    (0x009a, "TLS_DHE_RSA_WITH_SEED_CBC_SHA"),
    (0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"),
    (0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"),
    (0xc09d, "TLS_RSA_WITH_AES_256_CCM"),
    (0xc09c, "TLS_RSA_WITH_AES_128_CCM"),
    (0xc0a1, "TLS_RSA_WITH_AES_256_CCM_8"),
    (0xc0a0, "TLS_RSA_WITH_AES_128_CCM_8"),
    (0xc051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384"),
    (0xc050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256"),
    (0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256"),
    (0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"),
    (0x00c0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256"),
    (0x00ba, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256"),
    (0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"),
    (0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"),
    (0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0096, "TLS_RSA_WITH_SEED_CBC_SHA"),
    (0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"),
    (0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"),
    (0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"),
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
    (0x0004, "TLS_RSA_WITH_RC4_128_MD5"),
    (0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"),
    (0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA"),
    (0x0009, "TLS_RSA_WITH_DES_CBC_SHA"),
    (0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"),
    (0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"),
    (0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"),
    (0xc019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"),
    (0xc018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"),
    (0xc017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA"),
    (0xc016, "TLS_ECDH_anon_WITH_RC4_128_SHA"),
    (0x00a7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"),
    (0x00a6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"),
    (0x006d, "TLS_DH_anon_WITH_AES_256_CBC_SHA256"),
    (0x006c, "TLS_DH_anon_WITH_AES_128_CBC_SHA256"),
    (0x003a, "TLS_DH_anon_WITH_AES_256_CBC_SHA"),
    (0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"),
    (0x001b, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"),
    (0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"),
    (0xc006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"),
    (0xc010, "TLS_ECDHE_RSA_WITH_NULL_SHA"),
    (0xc015, "TLS_ECDH_anon_WITH_NULL_SHA"),
    (0x003b, "TLS_RSA_WITH_NULL_SHA256"),
    (0x0002, "TLS_RSA_WITH_NULL_SHA"),
    (0x0001, "TLS_RSA_WITH_NULL_MD5"),
];

pub fn suite_name(code: u16) -> String {
    SUITES.iter().find(|(c, _)| *c == code).map_or_else(|| format!("0x{code:04x}"), |(_, n)| n.to_string())
}

pub fn is_tls13_suite(code: u16) -> bool {
    code >> 8 == 0x13
}

/// Named groups a prober asks about (RFC 8446, RFC 7919, draft-kwiatkowski-tls-ecdhe-mlkem).
pub const GROUPS: &[(u16, &str)] = &[
    (0x001d, "x25519"),
    (0x0017, "secp256r1"),
    (0x0018, "secp384r1"),
    (0x0019, "secp521r1"),
    (0x001e, "x448"),
    (0x11ec, "X25519MLKEM768"),
    (0x0100, "ffdhe2048"),
    (0x0101, "ffdhe3072"),
    (0x0102, "ffdhe4096"),
    (0x0103, "ffdhe6144"),
    (0x0104, "ffdhe8192"),
];

pub fn group_name(code: u16) -> String {
    GROUPS.iter().find(|(c, _)| *c == code).map_or_else(|| format!("0x{code:04x}"), |(_, n)| n.to_string())
}

/// Signature schemes offered: modern first, then the SHA-1 and DSA ones old servers need.
pub const SIG_ALGS: &[u16] = &[
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0303, 0x0301, 0x0402,
    0x0203, 0x0201, 0x0202,
];

pub fn sig_alg_name(code: u16) -> String {
    let name = match code {
        0x0201 => "rsa_pkcs1_sha1",
        0x0202 => "dsa_sha1",
        0x0203 => "ecdsa_sha1",
        0x0303 => "ecdsa_sha224",
        0x0301 => "rsa_pkcs1_sha224",
        0x0401 => "rsa_pkcs1_sha256",
        0x0402 => "dsa_sha256",
        0x0403 => "ecdsa_secp256r1_sha256",
        0x0501 => "rsa_pkcs1_sha384",
        0x0503 => "ecdsa_secp384r1_sha384",
        0x0601 => "rsa_pkcs1_sha512",
        0x0603 => "ecdsa_secp521r1_sha512",
        0x0804 => "rsa_pss_rsae_sha256",
        0x0805 => "rsa_pss_rsae_sha384",
        0x0806 => "rsa_pss_rsae_sha512",
        0x0807 => "ed25519",
        0x0808 => "ed448",
        0x0809 => "rsa_pss_pss_sha256",
        0x080a => "rsa_pss_pss_sha384",
        0x080b => "rsa_pss_pss_sha512",
        other => return format!("0x{other:04x}"),
    };
    name.into()
}

/// TLS_FALLBACK_SCSV (RFC 7507): "this is a downgraded retry".
pub const FALLBACK_SCSV: u16 = 0x5600;

const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11,
    0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// What one crafted ClientHello offers.
#[derive(Debug, Clone, Default)]
pub struct Hello<'a> {
    /// The version asked for: legacy_version up to TLS 1.2; TLS 1.3 goes in supported_versions.
    pub version: u16,
    pub suites: &'a [u16],
    pub groups: &'a [u16],
    pub server_name: Option<&'a str>,
    pub random: [u8; 32],
    /// An X25519 public value to send in key_share (TLS 1.3); `None` sends an
    /// empty key_share so that a server supporting one of `groups` answers
    /// with a HelloRetryRequest naming it.
    pub x25519_share: Option<[u8; 32]>,
    /// ALPN protocols to offer (none: no extension).
    pub alpn: &'a [String],
    /// Signature schemes to offer instead of [`SIG_ALGS`] (TLS 1.2+).
    pub sig_algs: Option<&'a [u16]>,
    /// Ask for a stapled OCSP response (status_request).
    pub status_request: bool,
    /// Offer the Heartbeat extension (RFC 6520), peer_allowed_to_send.
    pub heartbeat: bool,
    /// Offer DEFLATE compression besides null (CRIME).
    pub deflate: bool,
    /// Append TLS_FALLBACK_SCSV to the suites.
    pub fallback_scsv: bool,
}

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend(v.to_be_bytes());
}

/// Appends `body` preceded by its length in `width` bytes.
fn put_vec(out: &mut Vec<u8>, width: usize, body: &[u8]) {
    let len = body.len().to_be_bytes();
    out.extend(&len[len.len() - width..]);
    out.extend(body);
}

fn ext(out: &mut Vec<u8>, kind: u16, body: &[u8]) {
    put_u16(out, kind);
    put_vec(out, 2, body);
}

/// The complete record carrying the ClientHello.
pub fn client_hello(h: &Hello<'_>) -> Vec<u8> {
    let tls13 = h.version >= TLS13;
    let mut body = Vec::with_capacity(512);
    put_u16(&mut body, if tls13 { TLS12 } else { h.version });
    body.extend(h.random);
    // A 32-byte session id in TLS 1.3 (middlebox compatibility), none before.
    put_vec(&mut body, 1, if tls13 { &h.random } else { &[] });
    let mut suites: Vec<u8> = h.suites.iter().flat_map(|s| s.to_be_bytes()).collect();
    if !tls13 {
        suites.extend([0x00, 0xff]); // TLS_EMPTY_RENEGOTIATION_INFO_SCSV
    }
    if h.fallback_scsv {
        suites.extend(FALLBACK_SCSV.to_be_bytes());
    }
    put_vec(&mut body, 2, &suites);
    put_vec(&mut body, 1, if h.deflate { &[1, 0] } else { &[0] }); // DEFLATE, null

    let mut exts = Vec::new();
    if h.version > SSL3 {
        if let Some(name) = h.server_name {
            let mut list = vec![0u8]; // host_name
            put_vec(&mut list, 2, name.as_bytes());
            let mut sni = Vec::new();
            put_vec(&mut sni, 2, &list);
            ext(&mut exts, 0x0000, &sni);
        }
        let mut groups = Vec::new();
        put_vec(&mut groups, 2, &h.groups.iter().flat_map(|g| g.to_be_bytes()).collect::<Vec<_>>());
        ext(&mut exts, 0x000a, &groups);
        ext(&mut exts, 0x000b, &[1, 0]); // ec_point_formats: uncompressed
        if h.version >= TLS12 {
            let mut sigs = Vec::new();
            let offered = h.sig_algs.unwrap_or(SIG_ALGS);
            put_vec(&mut sigs, 2, &offered.iter().flat_map(|s| s.to_be_bytes()).collect::<Vec<_>>());
            ext(&mut exts, 0x000d, &sigs);
        }
        ext(&mut exts, 0x0017, &[]); // extended_master_secret
        if !h.alpn.is_empty() {
            let mut list = Vec::new();
            for p in h.alpn {
                put_vec(&mut list, 1, &p.as_bytes()[..p.len().min(255)]);
            }
            let mut alpn = Vec::new();
            put_vec(&mut alpn, 2, &list);
            ext(&mut exts, 0x0010, &alpn);
        }
        if h.status_request {
            ext(&mut exts, 0x0005, &[1, 0, 0, 0, 0]); // ocsp, no responder ids, no extensions
        }
        if h.heartbeat {
            ext(&mut exts, 0x000f, &[1]); // peer_allowed_to_send
        }
        if tls13 {
            ext(&mut exts, 0x002b, &[2, 0x03, 0x04]); // supported_versions: TLS 1.3 only
            ext(&mut exts, 0x002d, &[1, 1]); // psk_key_exchange_modes: psk_dhe_ke
            let mut shares = Vec::new();
            if let Some(public) = h.x25519_share {
                put_u16(&mut shares, 0x001d);
                put_vec(&mut shares, 2, &public);
            }
            let mut key_share = Vec::new();
            put_vec(&mut key_share, 2, &shares);
            ext(&mut exts, 0x0033, &key_share);
        }
        put_vec(&mut body, 2, &exts);
    }

    let mut handshake = vec![0x01];
    put_vec(&mut handshake, 3, &body);
    let mut record = vec![0x16];
    put_u16(&mut record, if h.version == SSL3 { SSL3 } else { TLS10 });
    put_vec(&mut record, 2, &handshake);
    record
}

/// What the server chose, and the clear-text rest of a TLS ≤ 1.2 flight
/// when it was read that far.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerHello {
    /// The negotiated version (supported_versions when present).
    pub version: u16,
    pub suite: u16,
    /// A HelloRetryRequest: the server accepts the suite but wants another key share.
    pub retry: bool,
    /// The key-exchange group: key_share (TLS 1.3) or ServerKeyExchange (ECDHE, TLS ≤ 1.2).
    pub group: Option<u16>,
    /// Finite-field DH prime size in bits (DHE, TLS ≤ 1.2).
    pub dh_bits: Option<usize>,
    /// The compression method chosen (0 null, 1 DEFLATE).
    pub compression: u8,
    /// Extension types in the ServerHello, in order.
    pub extensions: Vec<u16>,
    /// The ALPN protocol chosen (visible in the ServerHello up to TLS 1.2).
    pub alpn: Option<String>,
    /// The Certificate message's chain, DER, leaf first (TLS ≤ 1.2, `Depth::Flight`).
    pub certificates: Vec<Vec<u8>>,
    /// A CertificateStatus message's OCSP response.
    pub ocsp: Option<Vec<u8>>,
    /// The signature scheme of the ServerKeyExchange (TLS 1.2).
    pub kx_signature: Option<u16>,
    /// A CertificateRequest's acceptable CA names (DER Names), when one was sent.
    pub client_ca_names: Option<Vec<Vec<u8>>>,
}

/// How far into a TLS ≤ 1.2 server flight to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Depth {
    /// The ServerHello only.
    #[default]
    Hello,
    /// Up to the ServerKeyExchange (the group and DH size).
    KeyExchange,
    /// Up to ServerHelloDone: the certificates, the staple, a CertificateRequest.
    Flight,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Hello(ServerHello),
    Alert { level: u8, description: u8 },
}

/// Alert descriptions a prober meets, named as RFC 8446 does.
pub fn alert_name(code: u8) -> String {
    match code {
        0 => "close_notify".into(),
        10 => "unexpected_message".into(),
        20 => "bad_record_mac".into(),
        22 => "record_overflow".into(),
        40 => "handshake_failure".into(),
        42 => "bad_certificate".into(),
        47 => "illegal_parameter".into(),
        50 => "decode_error".into(),
        70 => "protocol_version".into(),
        71 => "insufficient_security".into(),
        80 => "internal_error".into(),
        86 => "inappropriate_fallback".into(),
        109 => "missing_extension".into(),
        110 => "unsupported_extension".into(),
        112 => "unrecognized_name".into(),
        120 => "no_application_protocol".into(),
        other => format!("alert {other}"),
    }
}

/// Reads big-endian fields off a slice.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err("truncated message".into());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn vec(&mut self, width: usize) -> Result<&'a [u8], String> {
        let len = self.take(width)?.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        self.take(len)
    }
}

fn parse_server_hello(body: &[u8]) -> Result<ServerHello, String> {
    let mut r = Reader(body);
    let legacy = r.u16()?;
    let random = r.take(32)?;
    r.vec(1)?; // session id
    let suite = r.u16()?;
    let compression = r.u8()?;
    let mut hello =
        ServerHello { version: legacy, suite, retry: random == HRR_RANDOM, compression, ..Default::default() };
    if r.0.is_empty() {
        return Ok(hello);
    }
    let mut exts = Reader(r.vec(2)?);
    while !exts.0.is_empty() {
        let kind = exts.u16()?;
        let mut data = Reader(exts.vec(2)?);
        hello.extensions.push(kind);
        match kind {
            0x002b => hello.version = data.u16()?,
            0x0033 => hello.group = Some(data.u16()?),
            0x0010 => {
                let mut list = Reader(data.vec(2)?);
                hello.alpn = Some(String::from_utf8_lossy(list.vec(1)?).into_owned());
            }
            _ => {}
        }
    }
    Ok(hello)
}

/// ServerKeyExchange: the named curve of ECDHE, or the prime size of DHE,
/// and (TLS 1.2) the signature scheme that signed them.
fn parse_key_exchange(body: &[u8], hello: &mut ServerHello) {
    let mut r = Reader(body);
    let params = if body.first() == Some(&3) {
        let _ = r.u8();
        hello.group = r.u16().ok();
        r.vec(1).map(|_| ())
    } else if let Ok(p) = r.vec(2) {
        let p = p.iter().skip_while(|b| **b == 0).count();
        hello.dh_bits = Some(p * 8);
        r.vec(2).and_then(|_| r.vec(2)).map(|_| ())
    } else {
        Err(String::new())
    };
    if params.is_ok() && hello.version >= TLS12 && r.0.len() >= 4 {
        hello.kx_signature = r.u16().ok();
    }
}

/// Certificate (TLS ≤ 1.2): a 24-bit list of 24-bit-length DER certificates.
fn parse_certificates(body: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut r = Reader(body);
    let mut list = Reader(r.vec(3)?);
    let mut out = Vec::new();
    while !list.0.is_empty() {
        out.push(list.vec(3)?.to_vec());
    }
    Ok(out)
}

/// CertificateRequest (TLS ≤ 1.2): the acceptable CA names.
fn parse_certificate_request(body: &[u8], version: u16) -> Result<Vec<Vec<u8>>, String> {
    let mut r = Reader(body);
    r.vec(1)?; // certificate types
    if version >= TLS12 {
        r.vec(2)?; // signature schemes
    }
    let mut names = Reader(r.vec(2)?);
    let mut out = Vec::new();
    while !names.0.is_empty() {
        out.push(names.vec(2)?.to_vec());
    }
    Ok(out)
}

/// Record bytes received so far → `Ok(None)` while more are needed.
/// `depth` says how far into a TLS ≤ 1.2 flight to read.
pub fn parse_reply(buf: &[u8], depth: Depth) -> Result<Option<Reply>, String> {
    let mut handshake = Vec::new();
    let mut rest = buf;
    let mut hello: Option<ServerHello> = None;
    loop {
        // Handshake messages complete so far.
        let mut r = Reader(&handshake);
        let mut consumed = 0;
        while r.0.len() >= 4 {
            let kind = r.0[0];
            let len = (usize::from(r.0[1]) << 16) | (usize::from(r.0[2]) << 8) | usize::from(r.0[3]);
            if r.0.len() < 4 + len {
                break;
            }
            let body = &r.0[4..4 + len];
            match (kind, hello.as_mut()) {
                (2, None) => {
                    let parsed = parse_server_hello(body)?;
                    if depth == Depth::Hello || parsed.retry || parsed.version >= TLS13 {
                        return Ok(Some(Reply::Hello(parsed)));
                    }
                    hello = Some(parsed);
                }
                (_, None) => return Err(format!("expected ServerHello, got handshake message type {kind}")),
                (11, Some(h)) => h.certificates = parse_certificates(body)?,
                (22, Some(h)) if body.first() == Some(&1) => h.ocsp = Some(Reader(&body[1..]).vec(3)?.to_vec()),
                (13, Some(h)) => h.client_ca_names = Some(parse_certificate_request(body, h.version)?),
                (12, Some(h)) => {
                    parse_key_exchange(body, h);
                    if depth == Depth::KeyExchange {
                        return Ok(hello.map(Reply::Hello));
                    }
                }
                (14, Some(_)) => return Ok(hello.map(Reply::Hello)),
                _ => {}
            }
            r.0 = &r.0[4 + len..];
            consumed += 4 + len;
        }
        let _ = consumed;
        if rest.len() < 5 {
            return Ok(None);
        }
        let (kind, version, len) =
            (rest[0], u16::from_be_bytes([rest[1], rest[2]]), usize::from(u16::from_be_bytes([rest[3], rest[4]])));
        if version >> 8 != 3 || len > (1 << 14) + 2048 {
            return Err("not a TLS record (the server does not speak TLS here)".into());
        }
        if rest.len() < 5 + len {
            return Ok(None);
        }
        let payload = &rest[5..5 + len];
        rest = &rest[5 + len..];
        match kind {
            0x16 => handshake.extend_from_slice(payload),
            0x15 if payload.len() >= 2 => {
                if let Some(h) = hello {
                    return Ok(Some(Reply::Hello(h)));
                }
                return Ok(Some(Reply::Alert { level: payload[0], description: payload[1] }));
            }
            _ => {
                if let Some(h) = hello {
                    return Ok(Some(Reply::Hello(h)));
                }
                return Err(format!("unexpected TLS record type {kind} before ServerHello"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello(version: u16) -> Vec<u8> {
        client_hello(&Hello {
            version,
            suites: &[0xc02f, 0x1301],
            groups: &[0x001d, 0x0017],
            server_name: Some("web.test"),
            random: [7; 32],
            x25519_share: Some([9; 32]),
            ..Default::default()
        })
    }

    fn find_ext(record: &[u8], kind: u16) -> Option<Vec<u8>> {
        let mut r = Reader(&record[9..]);
        r.take(2 + 32).unwrap();
        r.vec(1).unwrap();
        r.vec(2).unwrap();
        r.vec(1).unwrap();
        let mut exts = Reader(r.vec(2).ok()?);
        while !exts.0.is_empty() {
            let (k, d) = (exts.u16().unwrap(), exts.vec(2).unwrap());
            if k == kind {
                return Some(d.to_vec());
            }
        }
        None
    }

    #[test]
    fn hello_layout_tls12() {
        let rec = hello(TLS12);
        assert_eq!(&rec[..3], &[0x16, 0x03, 0x01]);
        assert_eq!(usize::from(u16::from_be_bytes([rec[3], rec[4]])), rec.len() - 5);
        assert_eq!(rec[5], 1);
        assert_eq!(&rec[9..11], &[0x03, 0x03]);
        // no session id; suites then the SCSV
        assert_eq!(rec[43], 0);
        assert_eq!(&rec[44..52], &[0, 6, 0xc0, 0x2f, 0x13, 0x01, 0x00, 0xff]);
        let sni = find_ext(&rec, 0).unwrap();
        assert_eq!(&sni[5..], b"web.test");
        assert!(find_ext(&rec, 0x002b).is_none(), "no supported_versions below 1.3");
        assert!(find_ext(&rec, 0x000d).is_some());
    }

    #[test]
    fn hello_layout_tls13_and_ssl3() {
        let rec = hello(TLS13);
        assert_eq!(&rec[9..11], &[0x03, 0x03], "legacy_version stays 1.2");
        assert_eq!(find_ext(&rec, 0x002b).unwrap(), vec![2, 3, 4]);
        let share = find_ext(&rec, 0x0033).unwrap();
        assert_eq!(&share[..6], &[0, 36, 0, 0x1d, 0, 32]);
        let ssl3 = hello(SSL3);
        assert_eq!(&ssl3[1..3], &[3, 0]);
        // SSLv3: the hello ends after compression methods, no extensions
        let body_len = usize::from(ssl3[7]) << 8 | usize::from(ssl3[8]);
        assert_eq!(body_len, 2 + 32 + 1 + 2 + 6 + 2);
    }

    fn server_hello(version: u16, suite: u16, random: [u8; 32], exts: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        put_u16(&mut body, version);
        body.extend(random);
        put_vec(&mut body, 1, &[1; 32]);
        put_u16(&mut body, suite);
        body.push(0);
        if !exts.is_empty() {
            put_vec(&mut body, 2, exts);
        }
        let mut hs = vec![2];
        put_vec(&mut hs, 3, &body);
        hs
    }

    fn record(kind: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![kind, 3, 3];
        put_vec(&mut out, 2, payload);
        out
    }

    #[test]
    fn tls13_server_hello_and_retry() {
        let mut exts = Vec::new();
        ext(&mut exts, 0x002b, &[3, 4]);
        ext(&mut exts, 0x0033, &[0, 0x17]);
        let rec = record(0x16, &server_hello(TLS12, 0x1302, HRR_RANDOM, &exts));
        let want = ServerHello {
            version: TLS13,
            suite: 0x1302,
            retry: true,
            group: Some(0x17),
            extensions: vec![0x002b, 0x0033],
            ..Default::default()
        };
        assert_eq!(parse_reply(&rec, Depth::KeyExchange), Ok(Some(Reply::Hello(want))));
        for cut in 0..rec.len() {
            assert_eq!(parse_reply(&rec[..cut], Depth::KeyExchange), Ok(None), "cut at {cut}");
        }
    }

    #[test]
    fn tls12_flight_split_across_records_up_to_key_exchange() {
        let mut flight = server_hello(TLS12, 0xc02f, [5; 32], &[]);
        flight.extend([11, 0, 0, 3, 0, 0, 0]); // empty Certificate
        flight.extend([12, 0, 0, 4, 3, 0, 0x1d, 32]); // ECDHE x25519 ...
        let (a, b) = flight.split_at(20);
        let mut bytes = record(0x16, a);
        bytes.extend(record(0x16, b));
        let Ok(Some(Reply::Hello(h))) = parse_reply(&bytes, Depth::KeyExchange) else { panic!() };
        assert_eq!((h.version, h.suite, h.group), (TLS12, 0xc02f, Some(0x1d)));
        let Ok(Some(Reply::Hello(h))) = parse_reply(&bytes, Depth::Hello) else { panic!() };
        assert_eq!(h.group, None);
        let mut dhe = server_hello(TLS12, 0x009e, [5; 32], &[]);
        dhe.extend([12, 0, 0, 6, 0, 2, 0x00, 0xff, 0, 0]);
        let Ok(Some(Reply::Hello(h))) = parse_reply(&record(0x16, &dhe), Depth::KeyExchange) else { panic!() };
        assert_eq!(h.dh_bits, Some(8));
    }

    #[test]
    fn tls10_flight_up_to_server_hello_done() {
        let mut exts = Vec::new();
        ext(&mut exts, 0xff01, &[0]);
        ext(&mut exts, 0x0010, &[0, 3, 2, b'h', b'2']);
        let mut flight = server_hello(TLS10, 0x000a, [5; 32], &exts);
        // Certificate: two "certificates"
        flight.extend([11, 0, 0, 11, 0, 0, 8, 0, 0, 2, 0x30, 0, 0, 0, 0]);
        flight.extend([22, 0, 0, 6, 1, 0, 0, 2, 0x30, 0]); // CertificateStatus (OCSP)
        flight.extend([13, 0, 0, 8, 1, 1, 0, 4, 0, 2, 0x30, 0]); // CertificateRequest, one CA name
        let at_done = flight.len();
        flight.extend([14, 0, 0, 0]);
        let rec = record(0x16, &flight);
        let Ok(Some(Reply::Hello(h))) = parse_reply(&rec, Depth::Flight) else { panic!() };
        assert_eq!(h.certificates, [vec![0x30, 0], vec![]]);
        assert_eq!(h.ocsp, Some(vec![0x30, 0]));
        assert_eq!(h.client_ca_names, Some(vec![vec![0x30, 0]]));
        assert_eq!(h.alpn.as_deref(), Some("h2"));
        assert_eq!(h.extensions, [0xff01, 0x0010]);
        // Without ServerHelloDone, Flight waits for more.
        assert_eq!(parse_reply(&record(0x16, &flight[..at_done]), Depth::Flight), Ok(None));
        // KeyExchange depth stops at the hello when the flight has no ServerKeyExchange only at Done.
        assert!(matches!(parse_reply(&rec, Depth::KeyExchange), Ok(Some(Reply::Hello(_)))));
    }

    #[test]
    fn alerts_and_garbage() {
        assert_eq!(
            parse_reply(&record(0x15, &[2, 70]), Depth::KeyExchange),
            Ok(Some(Reply::Alert { level: 2, description: 70 }))
        );
        assert!(parse_reply(b"HTTP/1.1 400 Bad Request\r\n", Depth::KeyExchange).is_err());
        assert!(parse_reply(&record(0x16, &[1, 0, 0, 0]), Depth::KeyExchange).is_err());
        assert!(parse_reply(&record(0x17, &[0; 8]), Depth::KeyExchange).is_err());
        // Fuzz: every prefix and single-byte corruption of a good flight is handled.
        let good = record(0x16, &server_hello(TLS12, 0xc02f, [5; 32], &[0, 0x2b, 0, 2, 3, 3]));
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x5a;
            let _ = parse_reply(&bad, Depth::KeyExchange);
        }
    }
}
