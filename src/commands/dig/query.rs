//! Building the query (with hickory-proto) and judging what comes back.
//! Pure: bytes and addresses in, a verdict out.

use super::grammar::{Question, Settings};
use crate::wire::dns::{Header, Message};
use hickory_proto::op::{Edns, Message as HMessage, Query};
use hickory_proto::rr::rdata::SOA;
use hickory_proto::rr::rdata::opt::{ClientSubnet, EdnsOption};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use std::net::SocketAddr;

/// The query as sent, and what a reply must echo.
#[derive(Debug, Clone)]
pub struct Sent {
    pub bytes: Vec<u8>,
    pub id: u16,
    /// The question name as it went on the wire (A-labels), lower-cased for comparison.
    pub qname: String,
    pub qtype: u16,
    pub qclass: u16,
    pub cookie: Option<[u8; 8]>,
}

/// IDN names become A-labels here; an unusable name is a usage error.
pub fn wire_name(name: &str) -> Result<Name, String> {
    let mut n = Name::from_utf8(name).map_err(|e| format!("'{name}' is not a valid domain name ({e})"))?;
    n.set_fqdn(true);
    Ok(n)
}

pub fn build(q: &Question, s: &Settings, id: u16, cookie: [u8; 8]) -> Result<Sent, String> {
    let name = wire_name(&q.name)?;
    let mut msg = HMessage::query();
    msg.metadata.id = id;
    msg.metadata.recursion_desired = s.recurse;
    msg.metadata.authentic_data = s.adflag;
    msg.metadata.checking_disabled = s.cdflag;
    msg.metadata.op_code = hickory_proto::op::OpCode::from_u8(s.opcode);
    let mut query = Query::query(name.clone(), RecordType::from(q.qtype));
    query.set_query_class(DNSClass::from(q.qclass));
    msg.add_query(query);
    if q.qtype == 251 {
        // RFC 1995 3: the client's SOA (only its serial matters) in the authority section.
        let soa = SOA::new(Name::root(), Name::root(), s.ixfr_serial.unwrap_or(0), 0, 0, 0, 0);
        msg.add_authority(Record::from_rdata(name.clone(), 0, RData::SOA(soa)));
    }
    let mut sent_cookie = None;
    if let Some(version) = s.edns {
        let mut edns = Edns::new();
        edns.set_version(version);
        edns.set_max_payload(s.bufsize.max(512));
        edns.set_dnssec_ok(s.dnssec);
        let opts = edns.options_mut();
        if s.nsid {
            opts.insert(EdnsOption::Unknown(3, Vec::new()));
        }
        if let Some((addr, len)) = s.subnet {
            opts.insert(EdnsOption::Subnet(ClientSubnet::new(addr, len, 0)));
        }
        if s.cookie {
            opts.insert(EdnsOption::Unknown(10, cookie.to_vec()));
            sent_cookie = Some(cookie);
        }
        if s.expire {
            opts.insert(EdnsOption::Unknown(9, Vec::new()));
        }
        for (code, data) in &s.ednsopts {
            opts.insert(EdnsOption::Unknown(*code, data.clone()));
        }
        msg.set_edns(edns);
    }
    let mut bytes = msg.to_vec().map_err(|e| format!("cannot encode the query: {e}"))?;
    if let (Some(block), Some(edns)) = (s.padding, msg.edns.as_mut()) {
        // RFC 7830/8467: pad the whole message (option header included) to a multiple of the block.
        let block = block as usize;
        let pad = (block - (bytes.len() + 4) % block) % block;
        edns.options_mut().insert(EdnsOption::Unknown(12, vec![0; pad]));
        bytes = msg.to_vec().map_err(|e| format!("cannot encode the query: {e}"))?;
    }
    let qname = name.to_ascii().to_ascii_lowercase();
    Ok(Sent { bytes, id, qname, qtype: q.qtype, qclass: q.qclass, cookie: sent_cookie })
}

/// What one datagram (or TCP message) from the network amounts to.
#[derive(Debug)]
pub enum Verdict {
    /// The reply to our query.
    Reply(Box<Message>),
    /// Ours by address and ID, but unreadable: shown as header plus hex dump.
    Bad { header: Header, error: String },
    /// Not ours: reported, and we keep waiting.
    Ignore(String),
}

pub fn judge(data: &[u8], from: SocketAddr, to: SocketAddr, sent: &Sent) -> Verdict {
    if from != to {
        return Verdict::Ignore(format!("reply from unexpected source: {}, expected {}", endpoint(from), endpoint(to)));
    }
    let header = match Header::parse(data) {
        Ok(h) => h,
        Err(e) => return Verdict::Ignore(format!("ignored {}-byte datagram from {}: {e}", data.len(), endpoint(from))),
    };
    if header.id != sent.id {
        return Verdict::Ignore(format!("ID mismatch: expected ID {}, got {}", sent.id, header.id));
    }
    if !header.qr {
        return Verdict::Ignore(format!("ignored a query (QR=0) from {}", endpoint(from)));
    }
    match Message::parse(data) {
        Ok(msg) => {
            // A reply must echo our question (RFC 5452); an empty question is allowed with TC or an error rcode.
            if let Some(q) = msg.questions.first()
                && (msg.questions.len() != 1
                    || q.name.to_ascii_lowercase() != sent.qname
                    || q.qtype != sent.qtype
                    || q.qclass != sent.qclass)
            {
                return Verdict::Ignore(format!("question section mismatch: got {} in reply", q.name));
            }
            Verdict::Reply(Box::new(msg))
        }
        Err(e) => Verdict::Bad { header, error: e.to_string() },
    }
}

/// dig's `addr#port` notation.
pub fn endpoint(addr: SocketAddr) -> String {
    format!("{}#{}", addr.ip(), addr.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent() -> Sent {
        let q = Question { name: "www.example.test".into(), qtype: 1, qclass: 1 };
        build(&q, &Settings::default(), 0x1234, [7; 8]).unwrap()
    }

    fn reply(sent: &Sent) -> Vec<u8> {
        let mut r = sent.bytes.clone();
        r[2] |= 0x80;
        r
    }

    #[test]
    fn builds_a_query_with_edns_cookie_and_rd() {
        let s = sent();
        let msg = Message::parse(&s.bytes).unwrap();
        assert_eq!(msg.header.id, 0x1234);
        assert!(msg.header.rd && !msg.header.qr);
        assert_eq!(msg.questions[0].name, "www.example.test.");
        let opt = msg.opt.unwrap();
        assert_eq!(opt.udp_size, 1232);
        assert_eq!(opt.options[0].code, 10);
        assert_eq!(opt.options[0].data, vec![7; 8]);
        let idn = Question { name: "bücher.test".into(), qtype: 1, qclass: 1 };
        assert_eq!(build(&idn, &Settings::default(), 1, [0; 8]).unwrap().qname, "xn--bcher-kva.test.");
    }

    #[test]
    fn only_the_queried_endpoint_id_and_question_are_accepted() {
        let s = sent();
        let server: SocketAddr = "198.18.3.2:53".parse().unwrap();
        assert!(matches!(judge(&reply(&s), server, server, &s), Verdict::Reply(_)));
        let other: SocketAddr = "198.18.3.2:5353".parse().unwrap();
        let Verdict::Ignore(why) = judge(&reply(&s), other, server, &s) else { panic!() };
        assert_eq!(why, "reply from unexpected source: 198.18.3.2#5353, expected 198.18.3.2#53");
        let mut wrong_id = reply(&s);
        wrong_id[1] ^= 1;
        assert!(matches!(judge(&wrong_id, server, server, &s), Verdict::Ignore(w) if w.starts_with("ID mismatch")));
        assert!(matches!(judge(&[1, 2, 3], server, server, &s), Verdict::Ignore(_)));
        let mut cut = reply(&s);
        cut.truncate(20);
        assert!(matches!(judge(&cut, server, server, &s), Verdict::Bad { .. }));
    }
}
