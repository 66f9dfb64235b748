//! The stapled OCSP response (RFC 6960), decoded far enough to say what it
//! claims: response status, certificate status, produced-at, this/next update.
//! The responder's signature is not checked here; the report says so.

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
    let tbs = expect(der::children(basic.value).next(), der::SEQUENCE)?;
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
    expect(single.next(), der::SEQUENCE)?; // certID
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
