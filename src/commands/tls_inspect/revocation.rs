//! Revocation: the OCSP staple's signature (RFC 6960 §4.2.2.2: the issuer,
//! or a responder it delegated to with id-kp-OCSPSigning), a response fetched
//! from the leaf's responder (`--ocsp`), and CRLs (`--crl`, RFC 5280 §6.3).
//! Pure: DER in, findings out; the fetching is the caller's.

use crate::wire::ocsp::{Signed, Staple};
use ring::signature::{self as sig, VerificationAlgorithm};
use serde::Serialize;
use x509_parser::prelude::{FromDer, X509Certificate};

fn parse(der: &[u8]) -> Result<X509Certificate<'_>, String> {
    X509Certificate::from_der(der).map(|(_, c)| c).map_err(|e| format!("cannot parse a certificate: {e}"))
}

/// Verifies `signature` over `message` with the public key of `signer`.
pub fn verify_signature(
    signer: &X509Certificate<'_>,
    alg: &str,
    message: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    let spki = signer.public_key();
    let key_oid = spki.algorithm.algorithm.to_id_string();
    let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok()).map(|o| o.to_id_string());
    let algorithm: &'static dyn VerificationAlgorithm = match (key_oid.as_str(), alg, curve.as_deref()) {
        ("1.2.840.113549.1.1.1", "1.2.840.113549.1.1.11", _) => &sig::RSA_PKCS1_2048_8192_SHA256,
        ("1.2.840.113549.1.1.1", "1.2.840.113549.1.1.12", _) => &sig::RSA_PKCS1_2048_8192_SHA384,
        ("1.2.840.113549.1.1.1", "1.2.840.113549.1.1.13", _) => &sig::RSA_PKCS1_2048_8192_SHA512,
        ("1.2.840.113549.1.1.1", "1.2.840.113549.1.1.5", _) => &sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        ("1.2.840.10045.2.1", "1.2.840.10045.4.3.2", Some("1.2.840.10045.3.1.7")) => &sig::ECDSA_P256_SHA256_ASN1,
        ("1.2.840.10045.2.1", "1.2.840.10045.4.3.3", Some("1.2.840.10045.3.1.7")) => &sig::ECDSA_P256_SHA384_ASN1,
        ("1.2.840.10045.2.1", "1.2.840.10045.4.3.2", Some("1.3.132.0.34")) => &sig::ECDSA_P384_SHA256_ASN1,
        ("1.2.840.10045.2.1", "1.2.840.10045.4.3.3", Some("1.3.132.0.34")) => &sig::ECDSA_P384_SHA384_ASN1,
        ("1.3.101.112", "1.3.101.112", _) => &sig::ED25519,
        _ => return Err(format!("signature algorithm {alg} with a {key_oid} key is not supported")),
    };
    sig::UnparsedPublicKey::new(algorithm, &spki.subject_public_key.data)
        .verify(message, signature)
        .map_err(|_| "the signature does not verify".to_string())
}

/// Who signed a valid OCSP response for `leaf`, issued by `issuer`.
pub fn check_ocsp(staple: &Staple, leaf: &[u8], issuer: &[u8], now: i64) -> Result<String, String> {
    let signed: &Signed = staple.signed.as_ref().ok_or("the response carries no signed data")?;
    let (leaf, issuer_cert) = (parse(leaf)?, parse(issuer)?);
    if signed.serial != leaf.tbs_certificate.raw_serial() {
        return Err("the response is about another certificate (serial number differs)".into());
    }
    if staple.next_update.is_some_and(|n| n < now) {
        return Err("the response is stale (its nextUpdate has passed)".into());
    }
    if verify_signature(&issuer_cert, &signed.algorithm, &signed.tbs, &signed.signature).is_ok() {
        return Ok(format!("signed by the issuer ({})", issuer_cert.subject()));
    }
    for der in &signed.certs {
        let Ok(responder) = parse(der) else { continue };
        let delegated = responder.issuer().as_raw() == issuer_cert.subject().as_raw()
            && verify_signature(
                &issuer_cert,
                &responder.signature_algorithm.algorithm.to_id_string(),
                responder.tbs_certificate.as_ref(),
                &responder.signature_value.data,
            )
            .is_ok()
            && responder.extended_key_usage().ok().flatten().is_some_and(|e| e.value.ocsp_signing);
        if delegated && verify_signature(&responder, &signed.algorithm, &signed.tbs, &signed.signature).is_ok() {
            return Ok(format!("signed by a responder the issuer delegated to ({})", responder.subject()));
        }
    }
    Err(format!(
        "its signature does not verify with the issuer's key ({}) or a delegated responder's",
        issuer_cert.subject()
    ))
}

fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match body.len() {
        n @ 0..0x80 => out.push(n as u8),
        n @ 0x80..0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend(body);
    out
}

/// An OCSPRequest for `leaf` (SHA-1 CertID, as responders expect).
pub fn ocsp_request(leaf: &[u8], issuer: &[u8]) -> Result<Vec<u8>, String> {
    let (leaf, issuer) = (parse(leaf)?, parse(issuer)?);
    let sha1 = |b: &[u8]| ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, b).as_ref().to_vec();
    let alg = tlv(0x30, &[tlv(0x06, &[0x2b, 0x0e, 0x03, 0x02, 0x1a]), vec![0x05, 0x00]].concat());
    let cert_id = tlv(
        0x30,
        &[
            alg,
            tlv(0x04, &sha1(leaf.issuer().as_raw())),
            tlv(0x04, &sha1(&issuer.public_key().subject_public_key.data)),
            tlv(0x02, leaf.tbs_certificate.raw_serial()),
        ]
        .concat(),
    );
    let request = tlv(0x30, &cert_id);
    let tbs = tlv(0x30, &tlv(0x30, &request));
    Ok(tlv(0x30, &tbs))
}

/// One certificate checked against its issuer's CRL.
#[derive(Debug, Clone, Serialize)]
pub struct CrlCheck {
    pub subject: String,
    pub url: String,
    /// good, revoked, or error.
    pub status: String,
    pub detail: String,
}

/// Looks `cert` up in `crl` (DER or PEM), which `issuer` must have signed.
pub fn check_crl(crl: &[u8], cert: &[u8], issuer: &[u8], now: i64) -> Result<Option<i64>, String> {
    let der;
    let crl = if crl.starts_with(b"-----BEGIN") {
        der = rustls::pki_types::pem::PemObject::from_pem_slice(crl)
            .map(|c: rustls::pki_types::CertificateRevocationListDer<'static>| c.to_vec())
            .map_err(|e| format!("the CRL is not PEM or DER: {e}"))?;
        &der[..]
    } else {
        crl
    };
    let (_, list) = x509_parser::revocation_list::CertificateRevocationList::from_der(crl)
        .map_err(|e| format!("the CRL is malformed: {e}"))?;
    let (cert, issuer) = (parse(cert)?, parse(issuer)?);
    if list.tbs_cert_list.issuer.as_raw() != issuer.subject().as_raw() {
        return Err(format!("the CRL is issued by {}, not {}", list.tbs_cert_list.issuer, issuer.subject()));
    }
    verify_signature(
        &issuer,
        &list.signature_algorithm.algorithm.to_id_string(),
        list.tbs_cert_list.as_ref(),
        &list.signature_value.data,
    )
    .map_err(|e| format!("the CRL's signature: {e}"))?;
    if list.next_update().is_some_and(|n| n.timestamp() < now) {
        return Err("the CRL is stale (its nextUpdate has passed)".into());
    }
    Ok(list
        .iter_revoked_certificates()
        .find(|r| r.raw_serial() == cert.tbs_certificate.raw_serial())
        .map(|r| r.revocation_date.timestamp()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error() {
        assert!(ocsp_request(b"junk", b"junk").is_err());
        assert!(check_crl(b"junk", b"junk", b"junk", 0).is_err());
        assert!(check_crl(b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n", b"", b"", 0).is_err());
    }
}
