//! A bounds-checked reader for whole DNS messages, keeping everything needed
//! to print them as BIND does: raw header bits, every record in wire order,
//! the OPT pseudo-record apart. Hickory builds our queries; this reads the
//! replies, because a diagnostic tool must show what a server sent even when
//! it is odd (unknown types, stray bits), and must never loop on a hostile
//! compression pointer.
//!
//! Panic contract: no input makes any function here panic; every read is
//! checked and a malformed message is an `Err` that names the offset.

use crate::wire::dns_text;
use serde::Serialize;

/// Why a message could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} at byte {offset}")]
pub struct ParseError {
    pub what: &'static str,
    pub offset: usize,
}

fn err<T>(what: &'static str, offset: usize) -> Result<T, ParseError> {
    Err(ParseError { what, offset })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Header {
    pub id: u16,
    pub qr: bool,
    pub opcode: u8,
    pub aa: bool,
    pub tc: bool,
    pub rd: bool,
    pub ra: bool,
    pub z: bool,
    pub ad: bool,
    pub cd: bool,
    /// The 4-bit RCODE of the header (the OPT record may extend it).
    pub rcode: u8,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
}

impl Header {
    /// The fixed 12 bytes; enough to say something about any reply.
    pub fn parse(msg: &[u8]) -> Result<Header, ParseError> {
        if msg.len() < 12 {
            return err("message shorter than the 12-byte header", msg.len());
        }
        let word = |i: usize| u16::from_be_bytes([msg[i], msg[i + 1]]);
        let (b2, b3) = (msg[2], msg[3]);
        Ok(Header {
            id: word(0),
            qr: b2 & 0x80 != 0,
            opcode: (b2 >> 3) & 0x0f,
            aa: b2 & 0x04 != 0,
            tc: b2 & 0x02 != 0,
            rd: b2 & 0x01 != 0,
            ra: b3 & 0x80 != 0,
            z: b3 & 0x40 != 0,
            ad: b3 & 0x20 != 0,
            cd: b3 & 0x10 != 0,
            rcode: b3 & 0x0f,
            qdcount: word(4),
            ancount: word(6),
            nscount: word(8),
            arcount: word(10),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    /// Presentation form, absolute (ends with '.').
    pub name: String,
    pub qtype: u16,
    pub qclass: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    pub name: String,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    /// RDATA in BIND's presentation format.
    pub data: String,
    #[serde(skip)]
    pub raw: Vec<u8>,
}

/// The OPT pseudo-record (RFC 6891).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Opt {
    pub udp_size: u16,
    pub ext_rcode: u8,
    pub version: u8,
    pub dnssec_ok: bool,
    /// Flag bits other than DO, shown by dig as MBZ.
    pub other_flags: u16,
    pub options: Vec<EdnsOpt>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EdnsOpt {
    pub code: u16,
    #[serde(serialize_with = "hex_ser")]
    pub data: Vec<u8>,
}

fn hex_ser<S: serde::Serializer>(data: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&dns_text::hex_lower(data))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub header: Header,
    pub questions: Vec<Question>,
    pub answer: Vec<Record>,
    pub authority: Vec<Record>,
    /// Additional records without the OPT record.
    pub additional: Vec<Record>,
    pub opt: Option<Opt>,
}

impl Message {
    /// The full RCODE: header bits extended by the OPT record.
    pub fn rcode(&self) -> u16 {
        let high = self.opt.as_ref().map_or(0, |o| o.ext_rcode as u16);
        (high << 4) | self.header.rcode as u16
    }

    pub fn parse(msg: &[u8]) -> Result<Message, ParseError> {
        let header = Header::parse(msg)?;
        let mut pos = 12;
        let mut questions = Vec::new();
        for _ in 0..header.qdcount {
            let (name, next) = read_name(msg, pos)?;
            let fixed = slice(msg, next, 4)?;
            questions.push(Question {
                name,
                qtype: u16::from_be_bytes([fixed[0], fixed[1]]),
                qclass: u16::from_be_bytes([fixed[2], fixed[3]]),
            });
            pos = next + 4;
        }
        let mut sections: [Vec<Record>; 3] = Default::default();
        let mut opt = None;
        let counts = [header.ancount, header.nscount, header.arcount];
        for (section, count) in counts.into_iter().enumerate() {
            for _ in 0..count {
                let start = pos;
                let (name, next) = read_name(msg, pos)?;
                let fixed = slice(msg, next, 10)?;
                let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
                let class = u16::from_be_bytes([fixed[2], fixed[3]]);
                let ttl = u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
                let rdlen = u16::from_be_bytes([fixed[8], fixed[9]]) as usize;
                let rdata_at = next + 10;
                let raw = slice(msg, rdata_at, rdlen)?.to_vec();
                pos = rdata_at + rdlen;
                if rtype == dns_text::OPT {
                    if section != 2 || name != "." {
                        return err("OPT record outside the additional section or not at the root", start);
                    }
                    if opt.is_some() {
                        return err("second OPT record", start);
                    }
                    opt = Some(read_opt(class, ttl, &raw, rdata_at)?);
                    continue;
                }
                let data = dns_text::rdata(msg, rdata_at, rdlen, rtype, class)?;
                sections[section].push(Record { name, rtype, class, ttl, data, raw });
            }
        }
        if pos != msg.len() {
            return err("trailing bytes after the last record", pos);
        }
        let [answer, authority, additional] = sections;
        Ok(Message { header, questions, answer, authority, additional, opt })
    }
}

fn read_opt(class: u16, ttl: u32, raw: &[u8], at: usize) -> Result<Opt, ParseError> {
    let mut options = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let head = slice(raw, i, 4).or(err("truncated EDNS option", at + i))?;
        let code = u16::from_be_bytes([head[0], head[1]]);
        let len = u16::from_be_bytes([head[2], head[3]]) as usize;
        let data = slice(raw, i + 4, len).or(err("EDNS option longer than the OPT record", at + i))?;
        options.push(EdnsOpt { code, data: data.to_vec() });
        i += 4 + len;
    }
    let flags = (ttl & 0xffff) as u16;
    Ok(Opt {
        udp_size: class,
        ext_rcode: (ttl >> 24) as u8,
        version: (ttl >> 16) as u8,
        dnssec_ok: flags & 0x8000 != 0,
        other_flags: flags & 0x7fff,
        options,
    })
}

/// `len` bytes at `at`, or an error naming where the message ended.
pub fn slice(msg: &[u8], at: usize, len: usize) -> Result<&[u8], ParseError> {
    match at.checked_add(len) {
        Some(end) if end <= msg.len() => Ok(&msg[at..end]),
        _ => err("message ends inside a field", msg.len()),
    }
}

/// Reads a possibly compressed name at `at`; returns its presentation form
/// and the offset just after it in the original stream. Pointers must point
/// strictly backwards, which rules out loops; the name is capped at 255 bytes.
pub fn read_name(msg: &[u8], at: usize) -> Result<(String, usize), ParseError> {
    let mut labels: Vec<&[u8]> = Vec::new();
    let mut pos = at;
    let mut resume = None;
    let mut wire_len = 1;
    loop {
        let Some(&len) = msg.get(pos) else { return err("name runs past the end of the message", pos) };
        match len & 0xc0 {
            0x00 if len == 0 => {
                pos += 1;
                break;
            }
            0x00 => {
                let label = slice(msg, pos + 1, len as usize)?;
                wire_len += 1 + len as usize;
                if wire_len > 255 {
                    return err("name longer than 255 bytes", pos);
                }
                labels.push(label);
                pos += 1 + len as usize;
            }
            0xc0 => {
                let Some(&low) = msg.get(pos + 1) else { return err("truncated compression pointer", pos) };
                let target = (((len & 0x3f) as usize) << 8) | low as usize;
                if target >= pos {
                    return err("compression pointer does not point backwards (loop)", pos);
                }
                resume.get_or_insert(pos + 2);
                pos = target;
            }
            _ => return err("unsupported label type", pos),
        }
    }
    let end = resume.unwrap_or(pos);
    Ok((dns_text::name_from_labels(&labels), end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply_with_a() -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 1];
        m.extend(b"\x03www\x07example\x04test\x00\x00\x01\x00\x01");
        m.extend([0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 198, 18, 3, 10]);
        m.extend([0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0]);
        m
    }

    #[test]
    fn reads_a_reply_with_compression_and_opt() {
        let msg = Message::parse(&reply_with_a()).unwrap();
        assert_eq!(msg.header.id, 0x1234);
        assert!(msg.header.qr && msg.header.aa && !msg.header.tc);
        assert_eq!(msg.questions[0].name, "www.example.test.");
        assert_eq!(msg.answer[0].name, "www.example.test.");
        assert_eq!(msg.answer[0].data, "198.18.3.10");
        assert_eq!(msg.answer[0].ttl, 3600);
        let opt = msg.opt.unwrap();
        assert_eq!((opt.udp_size, opt.dnssec_ok, opt.version), (1232, true, 0));
        assert!(msg.additional.is_empty());
    }

    #[test]
    fn pointer_loops_and_forward_pointers_are_errors() {
        let mut m = vec![0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend([0xc0, 12, 0, 1, 0, 1]); // points at itself
        let e = Message::parse(&m).unwrap_err();
        assert_eq!(e.what, "compression pointer does not point backwards (loop)");
        let mut m = vec![0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend([0xc0, 14, 0xc0, 12, 0, 1, 0, 1]); // forward then back: still refused
        assert!(Message::parse(&m).is_err());
    }

    #[test]
    fn every_truncation_of_a_valid_reply_is_an_error_not_a_panic() {
        let full = reply_with_a();
        for cut in 0..full.len() {
            assert!(Message::parse(&full[..cut]).is_err(), "cut at {cut}");
        }
        let mut extra = full.clone();
        extra.push(0);
        assert_eq!(Message::parse(&extra).unwrap_err().what, "trailing bytes after the last record");
    }

    #[test]
    fn overlong_names_are_refused() {
        let mut m = vec![0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        for _ in 0..5 {
            m.push(63);
            m.extend([b'a'; 63]);
        }
        m.extend([0, 0, 1, 0, 1]);
        assert_eq!(Message::parse(&m).unwrap_err().what, "name longer than 255 bytes");
    }
}
