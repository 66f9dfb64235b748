//! The stapled OCSP response (RFC 6960), decoded far enough to say what it
//! claims: response status, certificate status, produced-at, this/next update.
//! The signed part is kept for the caller to check (tls_inspect::revocation).

use super::der::{self, Tlv};
use serde::Serialize;

/// id-pkix-ocsp-basic, 1.3.6.1.5.5.7.48.1.1
const BASIC: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Staple {
    /// successful, malformedRequest, internalError, tryLater, sigRequired, unauthorized.
    pub response_status: String,
    /// good, revoked, unknown (of the first SingleResponse), when successful.
    pub cert_status: Option<String>,
    /// Unix seconds.
    pub produced_at: Option<i64>,
    pub this_update: Option<i64>,
    pub next_update: Option<i64>,
    pub revoked_at: Option<i64>,
    /// How many SingleResponses the responder included.
    pub responses: usize,
    /// What the responder signed, for the caller to check.
    #[serde(skip)]
    pub signed: Option<Signed>,
}

/// The signed part of a BasicOCSPResponse.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Signed {
    /// tbsResponseData, DER, as signed.
    pub tbs: Vec<u8>,
    /// The signature algorithm's OID, dotted.
    pub algorithm: String,
    pub signature: Vec<u8>,
    /// Certificates the responder included (a delegated responder's).
    pub certs: Vec<Vec<u8>>,
    /// The first SingleResponse's certificate serial number (INTEGER contents).
    pub serial: Vec<u8>,
}

/// A dotted OID from its DER contents.
pub fn oid_text(value: &[u8]) -> String {
    let mut parts: Vec<u64> = Vec::new();
    let mut n: u64 = 0;
    for (i, b) in value.iter().enumerate() {
        n = (n << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if parts.is_empty() && i < 8 {
                let first = (n / 40).min(2);
                parts.extend([first, n - first * 40]);
            } else {
                parts.push(n);
            }
            n = 0;
        }
    }
    parts.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}

fn response_status(code: u8) -> String {
    match code {
        0 => "successful".into(),
        1 => "malformedRequest".into(),
        2 => "internalError".into(),
        3 => "tryLater".into(),
        5 => "sigRequired".into(),
        6 => "unauthorized".into(),
        other => format!("status {other}"),
    }
}

fn expect(tlv: Option<Tlv<'_>>, tag: u8) -> Result<Tlv<'_>, String> {
    match tlv {
        Some(t) if t.tag == tag => Ok(t),
        Some(t) => Err(format!("expected DER tag 0x{tag:02x}, found 0x{:02x}", t.tag)),
        None => Err(format!("missing DER element 0x{tag:02x}")),
    }
}

/// Decodes an OCSPResponse; the error says which part is malformed.
pub fn parse(bytes: &[u8]) -> Result<Staple, String> {
    let (outer, trailing) = der::read(bytes).ok_or("not DER")?;
    if outer.tag != der::SEQUENCE || !trailing.is_empty() {
        return Err("not a single DER SEQUENCE".into());
    }
    let mut items = der::children(outer.value);
    let status = expect(items.next(), der::ENUMERATED)?;
    let &[code] = status.value else { return Err("bad responseStatus".into()) };
    let mut staple = Staple {
        response_status: response_status(code),
        cert_status: None,
        produced_at: None,
        this_update: None,
        next_update: None,
        revoked_at: None,
        responses: 0,
        signed: None,
    };
    if code != 0 {
        return Ok(staple);
    }
    // responseBytes [0] EXPLICIT SEQUENCE { responseType OID, response OCTET STRING }
    let explicit = expect(items.next(), 0xa0)?;
    let rb = expect(der::children(explicit.value).next(), der::SEQUENCE)?;
    let mut rb = der::children(rb.value);
    let oid = expect(rb.next(), der::OID)?;
    if oid.value != BASIC {
        return Err("response type is not id-pkix-ocsp-basic".into());
    }
    let octets = expect(rb.next(), der::OCTET_STRING)?;
    // BasicOCSPResponse { tbsResponseData ResponseData, … }
    let basic = expect(der::read(octets.value).map(|(t, _)| t), der::SEQUENCE)?;
    let mut parts = der::children(basic.value);
    let tbs = expect(parts.next(), der::SEQUENCE)?;
    let alg = expect(parts.next(), der::SEQUENCE)?;
    let alg = expect(der::children(alg.value).next(), der::OID)?;
    let sig = expect(parts.next(), 0x03)?;
    let certs = parts.next().filter(|t| t.tag == 0xa0).and_then(|t| der::children(t.value).next());
    let mut signed = Signed {
        tbs: der::raw(basic.value, &tbs).ok_or("bad tbsResponseData")?.to_vec(),
        algorithm: oid_text(alg.value),
        signature: sig.value.get(1..).ok_or("empty signature")?.to_vec(),
        certs: Vec::new(),
        serial: Vec::new(),
    };
    if let Some(list) = certs {
        for c in der::children(list.value) {
            signed.certs.push(der::raw(list.value, &c).ok_or("bad certs")?.to_vec());
        }
    }
    let mut fields = der::children(tbs.value).peekable();
    if fields.peek().is_some_and(|t| t.tag == 0xa0) {
        fields.next(); // version
    }
    match fields.next() {
        Some(t) if t.tag == 0xa1 || t.tag == 0xa2 => {} // responderID byName / byKey
        _ => return Err("missing responderID".into()),
    }
    let produced = expect(fields.next(), der::GENERALIZED_TIME)?;
    staple.produced_at = Some(der::generalized_time(produced.value).ok_or("bad producedAt")?);
    let responses = expect(fields.next(), der::SEQUENCE)?;
    staple.responses = der::children(responses.value).count();
    let single = expect(der::children(responses.value).next(), der::SEQUENCE)?;
    let mut single = der::children(single.value);
    let cert_id = expect(single.next(), der::SEQUENCE)?;
    signed.serial = der::children(cert_id.value).nth(3).map(|t| t.value.to_vec()).unwrap_or_default();
    let status = single.next().ok_or("missing certStatus")?;
    staple.cert_status = Some(
        match status.tag {
            0x80 => "good",
            0xa1 => {
                let revoked = expect(der::children(status.value).next(), der::GENERALIZED_TIME)?;
                staple.revoked_at = der::generalized_time(revoked.value);
                "revoked"
            }
            0x82 => "unknown",
            other => return Err(format!("unknown certStatus tag 0x{other:02x}")),
        }
        .into(),
    );
    let this = expect(single.next(), der::GENERALIZED_TIME)?;
    staple.this_update = Some(der::generalized_time(this.value).ok_or("bad thisUpdate")?);
    if let Some(next) = single.next().filter(|t| t.tag == 0xa0) {
        let time = expect(der::children(next.value).next(), der::GENERALIZED_TIME)?;
        staple.next_update = Some(der::generalized_time(time.value).ok_or("bad nextUpdate")?);
    }
    staple.signed = Some(signed);
    Ok(staple)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn tlv(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
        let body: Vec<u8> = parts.concat();
        let mut out = vec![tag];
        if body.len() < 0x80 {
            out.push(body.len() as u8);
        } else {
            out.extend([0x82, (body.len() >> 8) as u8, body.len() as u8]);
        }
        out.extend(body);
        out
    }

    /// A hand-built successful response: one SingleResponse with `status`.
    pub(crate) fn response(status: &[u8]) -> Vec<u8> {
        let cert_id = tlv(
            0x30,
            &[
                &tlv(0x30, &[&tlv(0x06, &[&[0x2b, 0x0e, 0x03, 0x02, 0x1a]]), &[0x05, 0x00]]),
                &tlv(0x04, &[&[1; 20]]),
                &tlv(0x04, &[&[2; 20]]),
                &tlv(0x02, &[&[0x10]]),
            ],
        );
        let single = tlv(
            0x30,
            &[&cert_id, status, &tlv(0x18, &[b"20250101000000Z"]), &tlv(0xa0, &[&tlv(0x18, &[b"20250108000000Z"])])],
        );
        let tbs = tlv(
            0x30,
            &[&tlv(0xa2, &[&tlv(0x04, &[&[3; 20]])]), &tlv(0x18, &[b"20250101120000Z"]), &tlv(0x30, &[&single])],
        );
        let basic = tlv(
            0x30,
            &[
                &tbs,
                &tlv(0x30, &[&tlv(0x06, &[&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]])]),
                &tlv(0x03, &[&[0, 0xde, 0xad]]),
            ],
        );
        let bytes = tlv(0xa0, &[&tlv(0x30, &[&tlv(0x06, &[BASIC]), &tlv(0x04, &[&basic])])]);
        tlv(0x30, &[&[0x0a, 0x01, 0x00], &bytes])
    }

    #[test]
    fn good_response() {
        let s = parse(&response(&[0x80, 0x00])).unwrap();
        assert_eq!(s.response_status, "successful");
        assert_eq!(s.cert_status.as_deref(), Some("good"));
        assert_eq!(s.produced_at, Some(1_735_732_800));
        assert_eq!(s.this_update, Some(1_735_689_600));
        assert_eq!(s.next_update, Some(1_736_294_400));
        assert_eq!(s.responses, 1);
        let signed = s.signed.unwrap();
        assert_eq!(signed.algorithm, "1.2.840.10045.4.3.2");
        assert_eq!((signed.signature, signed.serial), (vec![0xde, 0xad], vec![0x10]));
        assert_eq!(signed.tbs[0], 0x30);
    }

    #[test]
    fn revoked_and_unsuccessful() {
        let revoked = tlv(0xa1, &[&tlv(0x18, &[b"20241231000000Z"])]);
        let s = parse(&response(&revoked)).unwrap();
        assert_eq!((s.cert_status.as_deref(), s.revoked_at), (Some("revoked"), Some(1_735_603_200)));
        let s = parse(&[0x30, 0x03, 0x0a, 0x01, 0x03]).unwrap();
        assert_eq!((s.response_status.as_str(), s.cert_status), ("tryLater", None));
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        let good = response(&[0x80, 0x00]);
        for cut in 0..good.len() {
            assert!(parse(&good[..cut]).is_err());
        }
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0xff;
            let _ = parse(&bad);
        }
    }
}
