//! Weakness grading: protocol versions, cipher suites, key sizes and
//! signatures that today's guidance (RFC 8996, RFC 7465, RFC 7568, NIST SP
//! 800-52r2, SWEET32, Logjam, CRIME) rules out, each with a severity. A
//! finding of medium severity or above fails the check.

use super::cert::CertInfo;
use super::enumerate::Enumeration;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Whether a finding of this severity fails the check.
    pub fn fails(self) -> bool {
        self >= Severity::Medium
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// A stable code: protocol_sslv3, cipher_rc4, dh_weak, rsa_weak, …
    pub kind: String,
    pub detail: String,
}

/// What one version or suite name says about itself.
pub fn version_weakness(version: &str) -> Option<(Severity, &'static str, &'static str)> {
    match version {
        "SSLv2" => Some((Severity::Critical, "protocol_sslv2", "SSL 2.0 is broken (RFC 6176)")),
        "SSLv3" => Some((Severity::Critical, "protocol_sslv3", "SSL 3.0 is broken: POODLE (RFC 7568)")),
        "TLSv1.0" => Some((Severity::Medium, "protocol_tls10", "TLS 1.0 is deprecated (RFC 8996)")),
        "TLSv1.1" => Some((Severity::Medium, "protocol_tls11", "TLS 1.1 is deprecated (RFC 8996)")),
        _ => None,
    }
}

pub fn suite_weakness(name: &str) -> Option<(Severity, &'static str, &'static str)> {
    if name.contains("EXPORT") {
        Some((Severity::Critical, "cipher_export", "an export suite (40/56-bit keys: FREAK, Logjam)"))
    } else if name.contains("_NULL_") || name.ends_with("_NULL") {
        Some((Severity::Critical, "cipher_null", "no encryption at all"))
    } else if name.contains("_anon_") {
        Some((Severity::Critical, "cipher_anonymous", "no server authentication (anonymous key exchange)"))
    } else if name.contains("RC4") {
        Some((Severity::High, "cipher_rc4", "RC4 is prohibited (RFC 7465)"))
    } else if name.contains("_DES_") || name.contains("_DES40_") {
        Some((Severity::High, "cipher_des", "single DES (56-bit keys)"))
    } else if name.contains("3DES") {
        Some((Severity::Medium, "cipher_3des", "3DES has 64-bit blocks (SWEET32)"))
    } else if name.contains("_RC2_") || name.contains("_IDEA_") {
        Some((Severity::High, "cipher_legacy", "a legacy cipher"))
    } else {
        None
    }
}

fn dh_weakness(bits: usize) -> Option<(Severity, String)> {
    match bits {
        0..1024 => Some((Severity::High, format!("DH parameters of {bits} bits (below 1024: Logjam)"))),
        1024..2048 => Some((Severity::Medium, format!("DH parameters of {bits} bits (below 2048)"))),
        _ => None,
    }
}

/// The negotiated connection: what it was, whoever made it.
pub struct Negotiated<'a> {
    pub version: &'a str,
    pub suite: &'a str,
    pub dh_bits: Option<usize>,
}

pub fn grade(negotiated: Option<&Negotiated<'_>>, certs: &[CertInfo], e: Option<&Enumeration>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    let add = |out: &mut Vec<Finding>, severity: Severity, kind: &str, detail: String| {
        if !out.iter().any(|f: &Finding| f.kind == kind && f.detail == detail) {
            out.push(Finding { severity, kind: kind.into(), detail });
        }
    };
    if let Some(e) = e {
        for v in e.versions.iter().filter(|v| v.accepted) {
            if let Some((sev, kind, why)) = version_weakness(&v.version) {
                add(&mut out, sev, kind, format!("accepts {}: {why}", v.version));
            }
            for s in &v.suites {
                if let Some((sev, kind, why)) = suite_weakness(&s.name) {
                    add(&mut out, sev, kind, format!("accepts {} over {}: {why}", s.name, v.version));
                }
            }
            if let Some((sev, why)) = v.dh_bits.and_then(dh_weakness) {
                add(&mut out, sev, "dh_weak", format!("{} DHE uses {why}", v.version));
            }
        }
        let c = &e.checks;
        if c.secure_renegotiation == Some(false) {
            add(
                &mut out,
                Severity::Medium,
                "insecure_renegotiation",
                "no secure renegotiation (RFC 5746 renegotiation_info)".into(),
            );
        }
        if c.compression == Some(true) {
            add(&mut out, Severity::High, "compression", "the server accepts TLS compression (CRIME)".into());
        }
        if c.heartbeat == Some(true) {
            add(
                &mut out,
                Severity::Low,
                "heartbeat",
                "the Heartbeat extension is enabled (Heartbleed's entry point; not probed)".into(),
            );
        }
        if c.fallback_scsv == Some(false) {
            add(
                &mut out,
                Severity::Low,
                "no_fallback_scsv",
                "a downgraded hello with TLS_FALLBACK_SCSV is accepted (RFC 7507)".into(),
            );
        }
    }
    // What was negotiated, unless the enumeration already said it.
    let add_new = |out: &mut Vec<Finding>, severity: Severity, kind: &str, detail: String| {
        if !out.iter().any(|f| f.kind == kind) {
            out.push(Finding { severity, kind: kind.into(), detail });
        }
    };
    if let Some(n) = negotiated {
        if let Some((sev, kind, why)) = version_weakness(n.version) {
            add_new(&mut out, sev, kind, format!("negotiated {}: {why}", n.version));
        }
        if let Some((sev, kind, why)) = suite_weakness(n.suite) {
            add_new(&mut out, sev, kind, format!("negotiated {}: {why}", n.suite));
        }
        if let Some((sev, why)) = n.dh_bits.and_then(dh_weakness) {
            add_new(&mut out, sev, "dh_weak", format!("negotiated {why}"));
        }
    }
    for (i, c) in certs.iter().enumerate() {
        let who = if i == 0 { "the leaf".to_string() } else { format!("certificate #{i}") };
        if matches!(c.key.kind.as_str(), "RSA" | "DSA") && c.key.bits < 2048 {
            let sev = if c.key.bits < 1024 { Severity::High } else { Severity::Medium };
            add(
                &mut out,
                sev,
                "key_weak",
                format!("{who} ({}) has a {}-bit {} key (below 2048)", c.subject, c.key.bits, c.key.kind),
            );
        }
        if c.key.kind == "EC" && c.key.bits < 256 {
            add(
                &mut out,
                Severity::Medium,
                "key_weak",
                format!("{who} ({}) has a {}-bit EC key", c.subject, c.key.bits),
            );
        }
        // A self-signed root's own signature is never checked; everyone else's is.
        if c.self_issued && i > 0 {
            continue;
        }
        let alg = c.signature_algorithm.to_ascii_lowercase();
        if alg.contains("md5") || alg.contains("md2") {
            add(
                &mut out,
                Severity::High,
                "signature_md5",
                format!("{who} ({}) is signed with {}", c.subject, c.signature_algorithm),
            );
        } else if alg.contains("sha1") {
            add(
                &mut out,
                Severity::Medium,
                "signature_sha1",
                format!("{who} ({}) is signed with {}", c.subject, c.signature_algorithm),
            );
        }
    }
    out.sort_by_key(|f| std::cmp::Reverse(f.severity));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_and_versions_are_classified() {
        let kind = |n: &str| suite_weakness(n).map(|(s, k, _)| (s, k));
        assert_eq!(kind("TLS_RSA_WITH_RC4_128_SHA"), Some((Severity::High, "cipher_rc4")));
        assert_eq!(kind("TLS_RSA_WITH_3DES_EDE_CBC_SHA"), Some((Severity::Medium, "cipher_3des")));
        assert_eq!(kind("TLS_RSA_WITH_NULL_SHA256"), Some((Severity::Critical, "cipher_null")));
        assert_eq!(kind("TLS_DH_anon_WITH_AES_128_CBC_SHA"), Some((Severity::Critical, "cipher_anonymous")));
        assert_eq!(kind("TLS_RSA_EXPORT_WITH_RC4_40_MD5"), Some((Severity::Critical, "cipher_export")));
        assert_eq!(kind("TLS_DHE_RSA_WITH_DES_CBC_SHA"), Some((Severity::High, "cipher_des")));
        assert_eq!(kind("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), None);
        assert_eq!(version_weakness("TLSv1.2"), None);
        assert!(version_weakness("TLSv1.1").unwrap().0.fails());
        assert!(!Severity::Low.fails());
        assert_eq!(dh_weakness(1024).map(|d| d.0), Some(Severity::Medium));
        assert_eq!(dh_weakness(2048), None);
        let n = Negotiated { version: "TLSv1.0", suite: "TLS_RSA_WITH_RC4_128_MD5", dh_bits: None };
        let f = grade(Some(&n), &[], None);
        assert_eq!(f.iter().map(|f| f.kind.as_str()).collect::<Vec<_>>(), ["cipher_rc4", "protocol_tls10"]);
    }
}
