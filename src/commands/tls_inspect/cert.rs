//! One certificate, as a person inspecting it wants to read it (x509-parser).

use serde::Serialize;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Sans {
    pub dns: Vec<String>,
    pub ip: Vec<String>,
    pub email: Vec<String>,
    pub uri: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Key {
    /// RSA, EC, Ed25519, Ed448, DSA, or the algorithm OID.
    pub kind: String,
    pub bits: usize,
    /// The named curve of an EC key (P-256, P-384, P-521).
    pub curve: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub self_issued: bool,
    pub sans: Sans,
    pub serial: String,
    /// RFC 3339, UTC.
    pub not_before: String,
    pub not_after: String,
    pub not_before_unix: i64,
    pub not_after_unix: i64,
    /// Whole days from now to notAfter (negative once expired).
    pub days_left: i64,
    pub key: Key,
    pub signature_algorithm: String,
    pub key_usage: Vec<String>,
    pub extended_key_usage: Vec<String>,
    pub ca: Option<bool>,
    pub path_len: Option<u32>,
    pub ocsp_urls: Vec<String>,
    pub ca_issuer_urls: Vec<String>,
    pub crl_urls: Vec<String>,
    pub sct_count: usize,
    pub sha256: String,
    pub sha1: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pem: Option<String>,
}

impl CertInfo {
    pub fn uses_sha1(&self) -> bool {
        self.signature_algorithm.to_ascii_lowercase().contains("sha1")
    }

    pub fn uses_md5(&self) -> bool {
        let alg = self.signature_algorithm.to_ascii_lowercase();
        alg.contains("md5") || alg.contains("md2")
    }

    /// Keys below today's minimums (NIST SP 800-57, CA/B Forum): RSA/DSA < 2048, EC < 256.
    pub fn weak_key(&self) -> bool {
        match self.key.kind.as_str() {
            "RSA" | "DSA" => self.key.bits < 2048,
            "EC" => self.key.bits < 256,
            _ => false,
        }
    }
}

pub fn colon_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// Unix seconds as RFC 3339 UTC (civil-from-days, Howard Hinnant's algorithm).
pub fn rfc3339(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

/// `--at`: RFC 3339 UTC (`2027-01-31T12:00:00Z`), a date (`2027-01-31`,
/// midnight UTC) or `@UNIX_SECONDS`, to Unix seconds.
pub fn parse_time(text: &str) -> Result<i64, String> {
    let bad = || format!("'{text}' is not a time: use 2027-01-31T12:00:00Z, 2027-01-31 or @1800000000");
    if let Some(secs) = text.strip_prefix('@') {
        return secs.parse::<i64>().map_err(|_| bad());
    }
    let (date, clock) = match text.split_once(['T', 't', ' ']) {
        Some((d, c)) => (d, Some(c.strip_suffix(['Z', 'z']).ok_or_else(bad)?)),
        None => (text, None),
    };
    let num = |s: &str, lo: i64, hi: i64| {
        s.parse::<i64>().ok().filter(|n| (lo..=hi).contains(n) && s.bytes().all(|b| b.is_ascii_digit())).ok_or_else(bad)
    };
    let parts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = parts[..] else { return Err(bad()) };
    let (y, m, d) = (num(y, 1, 9999)?, num(m, 1, 12)?, num(d, 1, 31)?);
    let mut secs = 0;
    if let Some(clock) = clock {
        let parts: Vec<&str> = clock.split(':').collect();
        let [h, mi, s] = parts[..] else { return Err(bad()) };
        secs = num(h, 0, 23)? * 3600 + num(mi, 0, 59)? * 60 + num(s, 0, 60)?;
    }
    // Days from civil (Howard Hinnant's algorithm), the inverse of rfc3339.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let unix = (era * 146_097 + doe - 719_468) * 86_400 + secs;
    if rfc3339(unix)[..10] != date[..] {
        return Err(bad());
    }
    Ok(unix)
}

fn ip_text(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => std::net::Ipv4Addr::from(<[u8; 4]>::try_from(bytes).unwrap_or_default()).to_string(),
        16 => std::net::Ipv6Addr::from(<[u8; 16]>::try_from(bytes).unwrap_or_default()).to_string(),
        _ => colon_hex(bytes),
    }
}

fn uri(name: &GeneralName<'_>) -> Option<String> {
    match name {
        GeneralName::URI(u) => Some(u.to_string()),
        _ => None,
    }
}

fn key_of(cert: &X509Certificate<'_>) -> Key {
    let spki = cert.public_key();
    let oid = spki.algorithm.algorithm.to_id_string();
    let curve =
        spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok()).map(|o| match o.to_id_string().as_str() {
            "1.2.840.10045.3.1.7" => "P-256".to_string(),
            "1.3.132.0.34" => "P-384".to_string(),
            "1.3.132.0.35" => "P-521".to_string(),
            other => other.to_string(),
        });
    match (oid.as_str(), spki.parsed()) {
        ("1.3.101.112", _) => Key { kind: "Ed25519".into(), bits: 256, curve: None },
        ("1.3.101.113", _) => Key { kind: "Ed448".into(), bits: 456, curve: None },
        (_, Ok(PublicKey::RSA(rsa))) => Key { kind: "RSA".into(), bits: rsa.key_size(), curve: None },
        (_, Ok(PublicKey::EC(ec))) => Key { kind: "EC".into(), bits: ec.key_size(), curve },
        (_, Ok(PublicKey::DSA(y))) => Key { kind: "DSA".into(), bits: y.len() * 8, curve: None },
        _ => Key { kind: oid, bits: 0, curve: None },
    }
}

fn signature_name(cert: &X509Certificate<'_>) -> String {
    let oid = &cert.signature_algorithm.algorithm;
    match oid.to_id_string().as_str() {
        "1.3.101.112" => "ED25519".into(),
        _ => x509_parser::objects::oid2sn(oid, x509_parser::objects::oid_registry())
            .map_or_else(|_| oid.to_id_string(), str::to_string),
    }
}

/// Parses one DER certificate; `now` is Unix seconds.
pub fn inspect(der: &[u8], now: i64, with_pem: bool) -> Result<CertInfo, String> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| format!("cannot parse a certificate: {e}"))?;
    let tbs = &cert.tbs_certificate;
    let mut info = CertInfo {
        subject: tbs.subject.to_string(),
        issuer: tbs.issuer.to_string(),
        self_issued: tbs.subject.as_raw() == tbs.issuer.as_raw(),
        sans: Sans::default(),
        serial: colon_hex(tbs.raw_serial()),
        not_before_unix: tbs.validity.not_before.timestamp(),
        not_after_unix: tbs.validity.not_after.timestamp(),
        not_before: rfc3339(tbs.validity.not_before.timestamp()),
        not_after: rfc3339(tbs.validity.not_after.timestamp()),
        days_left: (tbs.validity.not_after.timestamp() - now).div_euclid(86_400),
        key: key_of(&cert),
        signature_algorithm: signature_name(&cert),
        key_usage: Vec::new(),
        extended_key_usage: Vec::new(),
        ca: None,
        path_len: None,
        ocsp_urls: Vec::new(),
        ca_issuer_urls: Vec::new(),
        crl_urls: Vec::new(),
        sct_count: 0,
        sha256: colon_hex(ring::digest::digest(&ring::digest::SHA256, der).as_ref()),
        sha1: colon_hex(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der).as_ref()),
        pem: with_pem.then(|| pem(der)),
    };
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                for name in &san.general_names {
                    match name {
                        GeneralName::DNSName(d) => info.sans.dns.push(d.to_string()),
                        GeneralName::IPAddress(ip) => info.sans.ip.push(ip_text(ip)),
                        GeneralName::RFC822Name(e) => info.sans.email.push(e.to_string()),
                        GeneralName::URI(u) => info.sans.uri.push(u.to_string()),
                        _ => {}
                    }
                }
            }
            ParsedExtension::KeyUsage(ku) => {
                let flags = [
                    (ku.digital_signature(), "digitalSignature"),
                    (ku.non_repudiation(), "nonRepudiation"),
                    (ku.key_encipherment(), "keyEncipherment"),
                    (ku.data_encipherment(), "dataEncipherment"),
                    (ku.key_agreement(), "keyAgreement"),
                    (ku.key_cert_sign(), "keyCertSign"),
                    (ku.crl_sign(), "cRLSign"),
                    (ku.encipher_only(), "encipherOnly"),
                    (ku.decipher_only(), "decipherOnly"),
                ];
                info.key_usage = flags.iter().filter(|(on, _)| *on).map(|(_, n)| n.to_string()).collect();
            }
            ParsedExtension::ExtendedKeyUsage(eku) => {
                let flags = [
                    (eku.any, "anyExtendedKeyUsage"),
                    (eku.server_auth, "serverAuth"),
                    (eku.client_auth, "clientAuth"),
                    (eku.code_signing, "codeSigning"),
                    (eku.email_protection, "emailProtection"),
                    (eku.time_stamping, "timeStamping"),
                    (eku.ocsp_signing, "OCSPSigning"),
                ];
                info.extended_key_usage = flags.iter().filter(|(on, _)| *on).map(|(_, n)| n.to_string()).collect();
                info.extended_key_usage.extend(eku.other.iter().map(|o| o.to_id_string()));
            }
            ParsedExtension::BasicConstraints(bc) => {
                info.ca = Some(bc.ca);
                info.path_len = bc.path_len_constraint;
            }
            ParsedExtension::AuthorityInfoAccess(aia) => {
                for desc in &aia.accessdescs {
                    let Some(url) = uri(&desc.access_location) else { continue };
                    match desc.access_method.to_id_string().as_str() {
                        "1.3.6.1.5.5.7.48.1" => info.ocsp_urls.push(url),
                        "1.3.6.1.5.5.7.48.2" => info.ca_issuer_urls.push(url),
                        _ => {}
                    }
                }
            }
            ParsedExtension::CRLDistributionPoints(points) => {
                for point in points.iter() {
                    if let Some(x509_parser::extensions::DistributionPointName::FullName(names)) =
                        &point.distribution_point
                    {
                        info.crl_urls.extend(names.iter().filter_map(uri));
                    }
                }
            }
            ParsedExtension::SCT(scts) => info.sct_count = scts.len(),
            _ => {}
        }
    }
    Ok(info)
}

/// One certificate as a PEM block.
pub fn pem(der: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::with_capacity(der.len() * 4 / 3 + 4);
    for chunk in der.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out + "-----END CERTIFICATE-----\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_pem() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_709_208_000), "2024-02-29T12:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(pem(b"Man"), "-----BEGIN CERTIFICATE-----\nTWFu\n-----END CERTIFICATE-----\n");
        assert_eq!(pem(b"Ma"), "-----BEGIN CERTIFICATE-----\nTWE=\n-----END CERTIFICATE-----\n");
        assert_eq!(colon_hex(&[0x0a, 0xff]), "0A:FF");
        assert_eq!(parse_time("2024-02-29T12:00:00Z"), Ok(1_709_208_000));
        assert_eq!(parse_time("1970-01-01"), Ok(0));
        assert_eq!(parse_time("@-5"), Ok(-5));
        for bad in ["2023-02-29", "2024-13-01", "2024-02-29T12:00:00", "yesterday", "", "2024-1-1x"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(inspect(b"\x30\x03\x02\x01\x00", 0, false).is_err());
    }
}
