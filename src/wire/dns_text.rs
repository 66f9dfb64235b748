//! BIND's presentation format: type and class mnemonics, names, RDATA of
//! every common type, and the tab-aligned record line dig prints. Checked
//! byte for byte against BIND 9.18's dig (see the tests and tests/dig*.rs).

use crate::wire::dns::{ParseError, read_name, slice};
use data_encoding::{BASE32HEX_NOPAD, BASE64, HEXUPPER};
use std::net::{Ipv4Addr, Ipv6Addr};

pub const OPT: u16 = 41;

/// Every type BIND 9.18 names (lib/dns/rdata), by code; anything else is
/// `TYPEnnn` (RFC 3597).
const TYPES: &[(u16, &str)] = &[
    (1, "A"),
    (2, "NS"),
    (3, "MD"),
    (4, "MF"),
    (5, "CNAME"),
    (6, "SOA"),
    (7, "MB"),
    (8, "MG"),
    (9, "MR"),
    (10, "NULL"),
    (11, "WKS"),
    (12, "PTR"),
    (13, "HINFO"),
    (14, "MINFO"),
    (15, "MX"),
    (16, "TXT"),
    (17, "RP"),
    (18, "AFSDB"),
    (19, "X25"),
    (20, "ISDN"),
    (21, "RT"),
    (22, "NSAP"),
    (23, "NSAP-PTR"),
    (24, "SIG"),
    (25, "KEY"),
    (26, "PX"),
    (27, "GPOS"),
    (28, "AAAA"),
    (29, "LOC"),
    (30, "NXT"),
    (31, "EID"),
    (32, "NIMLOC"),
    (33, "SRV"),
    (34, "ATMA"),
    (35, "NAPTR"),
    (36, "KX"),
    (37, "CERT"),
    (38, "A6"),
    (39, "DNAME"),
    (40, "SINK"),
    (41, "OPT"),
    (42, "APL"),
    (43, "DS"),
    (44, "SSHFP"),
    (45, "IPSECKEY"),
    (46, "RRSIG"),
    (47, "NSEC"),
    (48, "DNSKEY"),
    (49, "DHCID"),
    (50, "NSEC3"),
    (51, "NSEC3PARAM"),
    (52, "TLSA"),
    (53, "SMIMEA"),
    (55, "HIP"),
    (56, "NINFO"),
    (57, "RKEY"),
    (58, "TALINK"),
    (59, "CDS"),
    (60, "CDNSKEY"),
    (61, "OPENPGPKEY"),
    (62, "CSYNC"),
    (63, "ZONEMD"),
    (64, "SVCB"),
    (65, "HTTPS"),
    (66, "DSYNC"),
    (67, "HHIT"),
    (68, "BRID"),
    (99, "SPF"),
    (100, "UINFO"),
    (101, "UID"),
    (102, "GID"),
    (103, "UNSPEC"),
    (104, "NID"),
    (105, "L32"),
    (106, "L64"),
    (107, "LP"),
    (108, "EUI48"),
    (109, "EUI64"),
    (249, "TKEY"),
    (250, "TSIG"),
    (251, "IXFR"),
    (252, "AXFR"),
    (253, "MAILB"),
    (254, "MAILA"),
    (255, "ANY"),
    (256, "URI"),
    (257, "CAA"),
    (258, "AVC"),
    (259, "DOA"),
    (260, "AMTRELAY"),
    (261, "RESINFO"),
    (262, "WALLET"),
    (32768, "TA"),
    (32769, "DLV"),
    (65533, "KEYDATA"),
];

const CLASSES: &[(u16, &str)] = &[(1, "IN"), (3, "CH"), (4, "HS"), (254, "NONE"), (255, "ANY")];

pub fn type_name(code: u16) -> String {
    match TYPES.iter().find(|(c, _)| *c == code) {
        Some((_, name)) => name.to_string(),
        None => format!("TYPE{code}"),
    }
}

pub fn class_name(code: u16) -> String {
    match CLASSES.iter().find(|(c, _)| *c == code) {
        Some((_, name)) => name.to_string(),
        None => format!("CLASS{code}"),
    }
}

/// A type mnemonic or `TYPEnnn`, case-insensitive.
pub fn parse_type(text: &str) -> Option<u16> {
    let upper = text.to_ascii_uppercase();
    if let Some((code, _)) = TYPES.iter().find(|(_, n)| *n == upper) {
        return Some(*code);
    }
    upper.strip_prefix("TYPE").and_then(|n| n.parse().ok())
}

/// A class mnemonic or `CLASSnnn`, case-insensitive (`CHAOS` as dig accepts it).
pub fn parse_class(text: &str) -> Option<u16> {
    let upper = text.to_ascii_uppercase();
    if upper == "CHAOS" {
        return Some(3);
    }
    if let Some((code, _)) = CLASSES.iter().find(|(_, n)| *n == upper) {
        return Some(*code);
    }
    upper.strip_prefix("CLASS").and_then(|n| n.parse().ok())
}

pub fn opcode_name(code: u8) -> String {
    match code {
        0 => "QUERY".into(),
        1 => "IQUERY".into(),
        2 => "STATUS".into(),
        4 => "NOTIFY".into(),
        5 => "UPDATE".into(),
        n => format!("RESERVED{n}"),
    }
}

pub fn rcode_name(code: u16) -> String {
    const NAMES: [&str; 24] = [
        "NOERROR",
        "FORMERR",
        "SERVFAIL",
        "NXDOMAIN",
        "NOTIMP",
        "REFUSED",
        "YXDOMAIN",
        "YXRRSET",
        "NXRRSET",
        "NOTAUTH",
        "NOTZONE",
        "RESERVED11",
        "RESERVED12",
        "RESERVED13",
        "RESERVED14",
        "RESERVED15",
        "BADVERS",
        "BADKEY",
        "BADTIME",
        "BADMODE",
        "BADNAME",
        "BADALG",
        "BADTRUNC",
        "BADCOOKIE",
    ];
    NAMES.get(code as usize).map_or_else(|| code.to_string(), |n| n.to_string())
}

/// An rcode name or number, as `--expect-rcode` takes it.
pub fn parse_rcode(text: &str) -> Option<u16> {
    if let Ok(n) = text.parse::<u16>() {
        return (n < 4096).then_some(n);
    }
    (0..24).find(|&c| rcode_name(c).eq_ignore_ascii_case(text))
}

/// Labels as BIND prints them: special characters backslash-escaped,
/// unprintable bytes as `\DDD`, always absolute.
pub fn name_from_labels(labels: &[&[u8]]) -> String {
    if labels.is_empty() {
        return ".".into();
    }
    let mut out = String::new();
    for label in labels {
        for &b in *label {
            match b {
                b'"' | b'(' | b')' | b'.' | b';' | b'\\' | b'@' | b'$' => {
                    out.push('\\');
                    out.push(b as char);
                }
                0x21..=0x7e => out.push(b as char),
                _ => out.push_str(&format!("\\{b:03}")),
            }
        }
        out.push('.');
    }
    out
}

/// One character-string, quoted: `"` and `\` escaped, unprintables as `\DDD`.
pub(crate) fn quoted(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03}")),
        }
    }
    out.push('"');
    out
}

pub fn hex_lower(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// dig's default +split: long base64 or hex fields in chunks of 56 characters.
pub const SPLIT: usize = 56;

/// Base64 or hex in chunks of `width` characters (0: one piece), as dig prints long blobs.
pub(crate) fn chunked_at(text: &str, width: usize) -> String {
    if width == 0 {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    bytes.chunks(width).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect::<Vec<_>>().join(" ")
}

/// A cursor over one RDATA; names inside are read against the whole message.
pub(crate) struct Rd<'a> {
    pub(crate) msg: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) end: usize,
    /// The +split width for base64 and hex fields.
    pub(crate) split: usize,
}

impl<'a> Rd<'a> {
    /// A base64 or hex field split as +split asks.
    pub(crate) fn chunked(&self, text: &str) -> String {
        chunked_at(text, self.split)
    }
    /// The rest of the RDATA as upper-case hex, split as +split asks.
    pub(crate) fn hex_rest(&mut self) -> String {
        let text = HEXUPPER.encode(self.rest());
        self.chunked(&text)
    }
    /// The rest of the RDATA as base64, split as +split asks.
    pub(crate) fn b64_rest(&mut self) -> String {
        let text = BASE64.encode(self.rest());
        self.chunked(&text)
    }
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], ParseError> {
        if self.pos + n > self.end {
            return Err(ParseError { what: "RDATA shorter than its type needs", offset: self.pos });
        }
        let s = slice(self.msg, self.pos, n)?;
        self.pos += n;
        Ok(s)
    }
    pub(crate) fn u8(&mut self) -> Result<u8, ParseError> {
        Ok(self.bytes(1)?[0])
    }
    pub(crate) fn u16(&mut self) -> Result<u16, ParseError> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    pub(crate) fn u32(&mut self) -> Result<u32, ParseError> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub(crate) fn name(&mut self) -> Result<String, ParseError> {
        let (name, next) = read_name(self.msg, self.pos)?;
        if next > self.end {
            return Err(ParseError { what: "name runs past its RDATA", offset: self.pos });
        }
        self.pos = next;
        Ok(name)
    }
    pub(crate) fn string(&mut self) -> Result<&'a [u8], ParseError> {
        let len = self.u8()? as usize;
        self.bytes(len)
    }
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let s = &self.msg[self.pos..self.end];
        self.pos = self.end;
        s
    }
    pub(crate) fn done(&self) -> Result<(), ParseError> {
        if self.pos == self.end {
            Ok(())
        } else {
            Err(ParseError { what: "RDATA longer than its type allows", offset: self.pos })
        }
    }
}

/// RFC 3597's generic form.
pub fn unknown_rdata(data: &[u8], split: usize) -> String {
    if data.is_empty() {
        "\\# 0".into()
    } else {
        format!("\\# {} {}", data.len(), chunked_at(&HEXUPPER.encode(data), split))
    }
}

/// The RDATA at `msg[at..at + len]` of type `rtype` in presentation format.
pub fn rdata(msg: &[u8], at: usize, len: usize, rtype: u16, class: u16) -> Result<String, ParseError> {
    rdata_split(msg, at, len, rtype, class, SPLIT)
}

/// [`rdata`] with base64 and hex fields in chunks of `split` characters (0: unsplit).
pub fn rdata_split(
    msg: &[u8],
    at: usize,
    len: usize,
    rtype: u16,
    class: u16,
    split: usize,
) -> Result<String, ParseError> {
    let end = at.checked_add(len).filter(|&e| e <= msg.len());
    let Some(end) = end else { return Err(ParseError { what: "RDATA runs past the message", offset: at }) };
    let mut r = Rd { msg, pos: at, end, split };
    let text = match (rtype, class) {
        (1, 1) => Ipv4Addr::from(<[u8; 4]>::try_from(r.bytes(4)?).unwrap_or_default()).to_string(),
        (28, 1) => Ipv6Addr::from(<[u8; 16]>::try_from(r.bytes(16)?).unwrap_or_default()).to_string(),
        (2..=5 | 7..=9 | 12 | 39, _) | (23, 1) => r.name()?,
        (6, _) => {
            let (m, rn) = (r.name()?, r.name()?);
            let v: Vec<String> = (0..5).map(|_| r.u32().map(|n| n.to_string())).collect::<Result<_, _>>()?;
            format!("{m} {rn} {}", v.join(" "))
        }
        (15, _) => format!("{} {}", r.u16()?, r.name()?),
        (16 | 56 | 99 | 258 | 261 | 262, _) => {
            let mut parts = Vec::new();
            while r.pos < r.end {
                parts.push(quoted(r.string()?));
            }
            parts.join(" ")
        }
        (13, _) => format!("{} {}", quoted(r.string()?), quoted(r.string()?)),
        (17, _) => format!("{} {}", r.name()?, r.name()?),
        (33, 1) => format!("{} {} {} {}", r.u16()?, r.u16()?, r.u16()?, r.name()?),
        (35, 1) => {
            let (order, pref) = (r.u16()?, r.u16()?);
            let (f, s, re) = (quoted(r.string()?), quoted(r.string()?), quoted(r.string()?));
            format!("{order} {pref} {f} {s} {re} {}", r.name()?)
        }
        (43 | 59 | 32768 | 32769, _) => {
            let (tag, alg, dt) = (r.u16()?, r.u8()?, r.u8()?);
            format!("{tag} {alg} {dt} {}", r.hex_rest())
        }
        (44, _) => format!("{} {} {}", r.u8()?, r.u8()?, r.hex_rest()),
        (52 | 53, _) => format!("{} {} {} {}", r.u8()?, r.u8()?, r.u8()?, r.hex_rest()),
        (25 | 48 | 57 | 60, _) => {
            let (flags, proto, alg) = (r.u16()?, r.u8()?, r.u8()?);
            format!("{flags} {proto} {alg} {}", r.b64_rest())
        }
        (24 | 46, _) => {
            let covered = type_name(r.u16()?);
            let (alg, labels, ttl) = (r.u8()?, r.u8()?, r.u32()?);
            let (exp, inc, tag) = (r.u32()?, r.u32()?, r.u16()?);
            let signer = r.name()?;
            let sig = r.b64_rest();
            format!("{covered} {alg} {labels} {ttl} {} {} {tag} {signer} {sig}", timestamp(exp), timestamp(inc))
        }
        (47, _) => {
            let next = r.name()?;
            let types = bitmap(&mut r)?;
            if types.is_empty() { next } else { format!("{next} {types}") }
        }
        (50, _) => {
            let (alg, flags, iter) = (r.u8()?, r.u8()?, r.u16()?);
            let salt = salt(r.string()?);
            let hash = BASE32HEX_NOPAD.encode(r.string()?);
            let types = bitmap(&mut r)?;
            let mut text = format!("{alg} {flags} {iter} {salt} {hash}");
            if !types.is_empty() {
                text = format!("{text} {types}");
            }
            text
        }
        (51, _) => format!("{} {} {} {}", r.u8()?, r.u8()?, r.u16()?, salt(r.string()?)),
        (64 | 65, _) => svcb(&mut r)?,
        (29, _) if len == 16 && msg[at] == 0 => loc(&mut r)?,
        (256, _) => format!("{} {} {}", r.u16()?, r.u16()?, quoted(r.rest())),
        (257, _) => {
            let flags = r.u8()?;
            let tag = r.string()?;
            format!("{flags} {} {}", String::from_utf8_lossy(tag), quoted(r.rest()))
        }
        _ => match crate::wire::dns_rdata::more(&mut r, rtype, class)? {
            Some(text) => text,
            None => return Ok(unknown_rdata(r.rest(), split)),
        },
    };
    r.done()?;
    Ok(text)
}

fn salt(bytes: &[u8]) -> String {
    if bytes.is_empty() { "-".into() } else { HEXUPPER.encode(bytes) }
}

/// NSEC/NSEC3 type bitmaps (RFC 4034 §4.1.2).
pub(crate) fn bitmap(r: &mut Rd) -> Result<String, ParseError> {
    let mut types = Vec::new();
    while r.pos < r.end {
        let window = r.u8()? as u16;
        let len = r.u8()? as usize;
        if len == 0 || len > 32 {
            return Err(ParseError { what: "bad type bitmap length", offset: r.pos - 1 });
        }
        for (i, byte) in r.bytes(len)?.iter().enumerate() {
            for bit in 0..8 {
                if byte & (0x80 >> bit) != 0 {
                    types.push(type_name(window * 256 + (i as u16) * 8 + bit));
                }
            }
        }
    }
    Ok(types.join(" "))
}

/// RRSIG times as YYYYMMDDHHMMSS (UTC).
pub fn timestamp(secs: u32) -> String {
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}{:02}{:02}{:02}", rem / 3600, rem / 60 % 60, rem % 60)
}

/// SVCB/HTTPS (RFC 9460) as BIND 9.18 prints it.
fn svcb(r: &mut Rd) -> Result<String, ParseError> {
    let prio = r.u16()?;
    let mut text = format!("{prio} {}", r.name()?);
    while r.pos < r.end {
        let key = r.u16()?;
        let len = r.u16()? as usize;
        let value = r.bytes(len)?;
        let bad = || ParseError { what: "malformed SvcParam", offset: r.pos };
        let param = match key {
            0 => {
                if !len.is_multiple_of(2) {
                    return Err(bad());
                }
                let keys: Vec<String> =
                    value.chunks(2).map(|k| svc_key_name(u16::from_be_bytes([k[0], k[1]]))).collect();
                format!("mandatory={}", keys.join(","))
            }
            1 => {
                let mut ids = Vec::new();
                let mut v = Rd { msg: value, pos: 0, end: value.len(), split: SPLIT };
                while v.pos < v.end {
                    let id = v.string()?;
                    let mut s = String::new();
                    for &b in id {
                        match b {
                            b',' => s.push_str("\\\\,"),
                            b'"' | b'\\' => {
                                s.push('\\');
                                s.push(b as char);
                            }
                            0x20..=0x7e => s.push(b as char),
                            _ => s.push_str(&format!("\\{b:03}")),
                        }
                    }
                    ids.push(s);
                }
                format!("alpn=\"{}\"", ids.join(","))
            }
            2 if len == 0 => "no-default-alpn".into(),
            3 if len == 2 => format!("port={}", u16::from_be_bytes([value[0], value[1]])),
            4 if len.is_multiple_of(4) && len > 0 => {
                let v: Vec<String> =
                    value.chunks(4).map(|a| Ipv4Addr::new(a[0], a[1], a[2], a[3]).to_string()).collect();
                format!("ipv4hint={}", v.join(","))
            }
            5 => format!("ech={}", BASE64.encode(value)),
            6 if len.is_multiple_of(16) && len > 0 => {
                let v: Vec<String> = value
                    .chunks(16)
                    .map(|a| Ipv6Addr::from(<[u8; 16]>::try_from(a).unwrap_or_default()).to_string())
                    .collect();
                format!("ipv6hint={}", v.join(","))
            }
            2..=6 => return Err(bad()),
            _ if value.is_empty() => svc_key_name(key),
            _ => format!("{}={}", svc_key_name(key), quoted(value)),
        };
        text.push(' ');
        text.push_str(&param);
    }
    Ok(text)
}

fn svc_key_name(key: u16) -> String {
    match key {
        0 => "mandatory".into(),
        1 => "alpn".into(),
        2 => "no-default-alpn".into(),
        3 => "port".into(),
        4 => "ipv4hint".into(),
        5 => "ech".into(),
        6 => "ipv6hint".into(),
        n => format!("key{n}"),
    }
}

/// LOC (RFC 1876) as BIND prints it.
fn loc(r: &mut Rd) -> Result<String, ParseError> {
    let _version = r.u8()?;
    let (size, hp, vp) = (r.u8()?, r.u8()?, r.u8()?);
    let (lat, long, alt) = (r.u32()?, r.u32()?, r.u32()?);
    let precision = |b: u8| -> Result<String, ParseError> {
        let (m, e) = ((b >> 4) as u64, (b & 0x0f) as u32);
        if m > 9 || e > 9 {
            return Err(ParseError { what: "bad LOC precision", offset: r.pos });
        }
        Ok(if e >= 2 { format!("{}", m * 10u64.pow(e - 2)) } else { format!("0.{:02}", m * 10u64.pow(e)) })
    };
    let angle = |v: u32, pos: char, neg: char| {
        let (hemisphere, v) = if v > 0x8000_0000 { (pos, v - 0x8000_0000) } else { (neg, 0x8000_0000 - v) };
        let (ms, v) = (v % 1000, v / 1000);
        let (s, v) = (v % 60, v / 60);
        format!("{} {} {s}.{ms:03} {hemisphere}", v / 60, v % 60)
    };
    let (below, alt) = if alt < 10_000_000 { ("-", 10_000_000 - alt) } else { ("", alt - 10_000_000) };
    Ok(format!(
        "{} {} {below}{}.{:02}m {}m {}m {}m",
        angle(lat, 'N', 'S'),
        angle(long, 'E', 'W'),
        alt / 100,
        alt % 100,
        precision(size)?,
        precision(hp)?,
        precision(vp)?
    ))
}

/// Moves to column `to` as BIND's masterdump does: tabs (stops of 8) when a tab
/// stop lies ahead, else spaces; a field already past `to` gets one column more,
/// which is a tab when that lands on a stop (a 31-character name).
fn indent(line: &mut String, column: &mut usize, to: usize) {
    let to = to.max(*column + 1);
    let tabs = to / 8 - *column / 8;
    let spaces = if tabs > 0 { to % 8 } else { to - *column };
    line.extend(std::iter::repeat_n('\t', tabs));
    line.extend(std::iter::repeat_n(' ', spaces));
    *column = to;
}

/// The columns dig gives TTL, class, type and data (dig.c's style): 24/32/40/48,
/// shifted left when the TTL or class is left out, 24/24/24/32 under +multiline.
pub fn columns(multiline: bool, ttl: bool, class: bool) -> [usize; 4] {
    match (multiline || (!ttl && !class), ttl && class) {
        (true, _) => [24, 24, 24, 32],
        (false, false) => [24, 24, 32, 40],
        (false, true) => [24, 32, 40, 48],
    }
}

/// A resource record on one line, in dig's columns (TTL 24, class 32, type 40, data 48).
pub fn rr_line(name: &str, ttl: Option<u32>, class: u16, rtype: u16, data: &str) -> String {
    let ttl = ttl.map(|t| t.to_string());
    rr_line_at(name, ttl.as_deref(), Some(&class_name(class)), &type_name(rtype), data, columns(false, true, true))
}

/// A record line with the TTL already formatted (+ttlunits) and the TTL or class left
/// out (+nottlid, +noclass), as dig 9.18 prints it.
pub fn rr_line_as(name: &str, ttl: Option<&str>, class: Option<u16>, rtype: u16, data: &str) -> String {
    let stops = columns(false, ttl.is_some(), class.is_some());
    rr_line_at(name, ttl, class.map(class_name).as_deref(), &type_name(rtype), data, stops)
}

/// A record line with its fields at `stops` (see [`columns`]); a field left out keeps its stop unused.
pub fn rr_line_at(
    name: &str,
    ttl: Option<&str>,
    class: Option<&str>,
    rtype: &str,
    data: &str,
    stops: [usize; 4],
) -> String {
    let mut line = name.to_string();
    let mut col = name.chars().count();
    let fields = [ttl, class, Some(rtype), Some(data).filter(|d| !d.is_empty())];
    for (field, stop) in fields.into_iter().zip(stops) {
        if let Some(field) = field {
            indent(&mut line, &mut col, stop);
            col += field.chars().count();
            line += field;
        }
    }
    line
}

/// A TTL as +ttlunits shows it: `1w2d3h4m5s`, zero units left out (`0s` for zero).
pub fn ttl_units(ttl: u32) -> String {
    let mut out = String::new();
    let mut left = ttl;
    for (unit, secs) in [('w', 604_800), ('d', 86_400), ('h', 3600), ('m', 60), ('s', 1)] {
        if left >= secs {
            out += &format!("{}{unit}", left / secs);
            left %= secs;
        }
    }
    if out.is_empty() { "0s".into() } else { out }
}

/// The question line: `;name` then class and type in the same columns.
pub fn question_line(name: &str, class: u16, qtype: u16) -> String {
    question_line_at(name, class, qtype, columns(false, true, true))
}

/// The question line in the columns of the record lines around it. BIND does not
/// count the leading `;` when it aligns, so a 32-character name still gets a tab.
pub fn question_line_at(name: &str, class: u16, qtype: u16, stops: [usize; 4]) -> String {
    format!(";{}", rr_line_at(name, None, Some(&class_name(class)), &type_name(qtype), "", stops))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire_name(name: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for label in name.trim_end_matches('.').split('.').filter(|l| !l.is_empty()) {
            out.push(label.len() as u8);
            out.extend(label.as_bytes());
        }
        out.push(0);
        out
    }

    fn show(rtype: u16, data: &[u8]) -> String {
        rdata(data, 0, data.len(), rtype, 1).unwrap()
    }

    #[test]
    fn record_lines_match_bind_columns() {
        // Expected strings copied from BIND 9.18 dig output.
        // A field ending one short of a stop is followed by a tab, not a space, as BIND's indent() does.
        let name31 = "aligned-thirty-one1.types.test.";
        assert_eq!(rr_line(name31, Some(300), 1, 1, "198.18.3.31"), format!("{name31}\t300 IN\tA\t198.18.3.31"));
        assert_eq!(question_line(name31, 1, 1), format!(";{name31}\tIN\tA"));
        let multi = columns(true, true, true);
        assert_eq!(
            rr_line_at("t.", Some("300"), Some("IN"), "AMTRELAY", "0 0 0 .", multi),
            "t.\t\t\t300 IN AMTRELAY\t0 0 0 ."
        );
        assert_eq!(
            rr_line("www.example.test.", Some(3600), 1, 1, "198.18.3.10"),
            "www.example.test.\t3600\tIN\tA\t198.18.3.10"
        );
        assert_eq!(
            rr_line("example.test.", Some(3600), 1, 2, "ns1.example.test."),
            "example.test.\t\t3600\tIN\tNS\tns1.example.test."
        );
        assert_eq!(
            rr_line("_443._tcp.www.example.test.", Some(3600), 1, 52, "3 1 1 AB"),
            "_443._tcp.www.example.test. 3600 IN\tTLSA\t3 1 1 AB"
        );
        assert_eq!(
            rr_line("example.test.", Some(0), 1, 51, "1 0 0 AABBCCDD"),
            "example.test.\t\t0\tIN\tNSEC3PARAM 1 0 0 AABBCCDD"
        );
        assert_eq!(question_line("www.example.test.", 1, 1), ";www.example.test.\t\tIN\tA");
    }

    #[test]
    fn txt_escapes_quotes_backslashes_and_unprintables() {
        let mut d = vec![12];
        d.extend(b"first string");
        d.push(19);
        d.extend(b"second \"quoted\" \\ b");
        d.push(7);
        d.extend(b"tab\tend");
        assert_eq!(show(16, &d), r#""first string" "second \"quoted\" \\ b" "tab\009end""#);
    }

    #[test]
    fn long_hex_and_base64_split_every_56_characters() {
        let mut d = vec![0xec, 0x45, 13, 2];
        d.extend(HEXUPPER.decode(b"D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A").unwrap());
        assert_eq!(show(43, &d), "60485 13 2 D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4 469DA50A");
        let mut k = vec![1, 1, 3, 13];
        let key = "qrZMwx9pXbovYanTgOMnuO4NoRYVfeEtPY9lNTuc8mFguNDsmE5DyiJ02nwZLVQzH76YfZhNRS9GUEvIN87uSg==";
        k.extend(BASE64.decode(key.as_bytes()).unwrap());
        assert_eq!(
            show(48, &k),
            "257 3 13 qrZMwx9pXbovYanTgOMnuO4NoRYVfeEtPY9lNTuc8mFguNDsmE5DyiJ0 2nwZLVQzH76YfZhNRS9GUEvIN87uSg=="
        );
    }

    #[test]
    fn nsec3_and_rrsig_match_bind() {
        let mut d = vec![1, 0, 0, 0, 4, 0xaa, 0xbb, 0xcc, 0xdd, 20];
        d.extend(BASE32HEX_NOPAD.decode(b"V8KTI9OC0R58IVR0GES7661E2BV4HTUF").unwrap());
        d.extend([0, 7, 0, 0, 0, 0, 0, 0x02, 0x08]); // bits 46 (RRSIG) and 52 (TLSA)
        assert_eq!(show(50, &d), "1 0 0 AABBCCDD V8KTI9OC0R58IVR0GES7661E2BV4HTUF RRSIG TLSA");
        assert_eq!(timestamp(1_797_828_465), "20261221044745");
    }

    #[test]
    fn svcb_loc_uri_caa_naptr_and_unknown() {
        let mut d = vec![0, 1];
        d.extend(wire_name("svc1.example.test."));
        d.extend([0, 1, 0, 6, 2, b'h', b'2', 2, b'h', b'3', 0, 3, 0, 2, 0x20, 0xfb]);
        d.extend([0, 4, 0, 8, 198, 18, 3, 10, 198, 18, 3, 11]);
        assert_eq!(show(64, &d), "1 svc1.example.test. alpn=\"h2,h3\" port=8443 ipv4hint=198.18.3.10,198.18.3.11");
        // 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m
        let mut l = vec![0, 0x00, 0x16, 0x13];
        l.extend((0x8000_0000u32 + ((52 * 60 + 22) * 60 + 23) * 1000).to_be_bytes());
        l.extend((0x8000_0000u32 + ((4 * 60 + 53) * 60 + 32) * 1000).to_be_bytes());
        l.extend((10_000_000u32 - 200).to_be_bytes());
        assert_eq!(show(29, &l), "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m");
        let mut u = vec![0, 10, 0, 1];
        u.extend(b"https://www.example.test/");
        assert_eq!(show(256, &u), "10 1 \"https://www.example.test/\"");
        let mut c = vec![128, 5];
        c.extend(b"iodefmailto:security@example.test");
        assert_eq!(show(257, &c), "128 iodef \"mailto:security@example.test\"");
        let mut n = vec![0, 100, 0, 10, 1, b'U', 7];
        n.extend(b"E2U+sip");
        n.push(28);
        n.extend(b"!^.*$!sip:info@example.test!");
        n.push(0);
        assert_eq!(show(35, &n), "100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.test!\" .");
        assert_eq!(show(65280, &[10, 0, 0, 1]), "\\# 4 0A000001");
        assert_eq!(type_name(65280), "TYPE65280");
    }

    #[test]
    fn malformed_rdata_is_an_error() {
        assert!(rdata(&[1, 2, 3], 0, 3, 1, 1).is_err());
        assert!(rdata(&[1, 2, 3, 4, 5], 0, 5, 1, 1).is_err());
        assert!(rdata(&[0, 1], 0, 4, 15, 1).is_err());
    }

    #[test]
    fn names_escape_specials() {
        assert_eq!(name_from_labels(&[b"a.b", b"x y", b"test"]), "a\\.b.x\\032y.test.");
        assert_eq!(name_from_labels(&[]), ".");
    }
}
