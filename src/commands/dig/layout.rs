//! +split and +multiline: record data laid out as BIND 9.18's dig does.
//! +split re-renders the RDATA with other chunk widths for base64 and hex
//! fields; +multiline breaks the long types over lines inside parentheses,
//! with BIND's comments (SOA field names, DNSKEY role, algorithm and key
//! tag, DHCID's digest). Pure text work on already parsed records.

use crate::wire::dns::Record;
use crate::wire::dns_rdata::secalg;
use crate::wire::dns_text::{SPLIT, parse_type, rdata_split};
use std::borrow::Cow;

/// dig's chunk width under +multiline when +split is not given.
const MULTILINE_SPLIT: usize = 44;
/// What continues a record under +multiline: a new line indented to the data column (32).
const BREAK: &str = "\n\t\t\t\t";

/// The record's data as +split and +multiline (when `multiline`) ask.
pub fn data(rec: &Record, split: Option<usize>, multiline: bool) -> Cow<'_, str> {
    let width = split.unwrap_or(if multiline { MULTILINE_SPLIT } else { SPLIT });
    let text = match width == SPLIT {
        true => Cow::Borrowed(rec.data.as_str()),
        false => resplit(rec, width).map_or(Cow::Borrowed(rec.data.as_str()), Cow::Owned),
    };
    match multiline.then(|| broken(rec, &text)).flatten() {
        Some(lines) => Cow::Owned(lines),
        None => text,
    }
}

/// The RDATA again with `width`-character chunks. The record keeps its RDATA
/// bytes but not the message, so a compressed name inside cannot be read
/// again; the re-rendering is used only when it reproduces the parsed text at
/// the default width (the types with blobs carry no compressed names).
fn resplit(rec: &Record, width: usize) -> Option<String> {
    let again = |w| rdata_split(&rec.raw, 0, rec.raw.len(), rec.rtype, rec.class, w).ok();
    (again(SPLIT)? == rec.data).then(|| again(width)).flatten()
}

/// RFC 4034 appendix B: the key tag of a DNSKEY/KEY RDATA.
fn key_tag(rdata: &[u8]) -> u16 {
    let mut ac: u32 = 0;
    for (i, &b) in rdata.iter().enumerate() {
        ac += if i % 2 == 0 { (b as u32) << 8 } else { b as u32 };
    }
    ac += (ac >> 16) & 0xffff;
    (ac & 0xffff) as u16
}

/// BIND's verbose TTL text (`2 weeks`, `1 day 2 hours`), as the SOA comments and EXPIRE show it.
pub fn verbose_duration(secs: u32) -> String {
    let mut parts = Vec::new();
    let mut left = secs;
    for (unit, size) in [("week", 604_800), ("day", 86_400), ("hour", 3600), ("minute", 60), ("second", 1)] {
        if left >= size {
            let n = left / size;
            parts.push(format!("{n} {unit}{}", if n == 1 { "" } else { "s" }));
            left %= size;
        }
    }
    if parts.is_empty() { "0 seconds".into() } else { parts.join(" ") }
}

/// The +multiline form of the types BIND breaks over lines; None for the others (one line, as without it).
fn broken(rec: &Record, text: &str) -> Option<String> {
    let w: Vec<&str> = text.split(' ').collect();
    let lines = |v: &[&str]| v.join(BREAK);
    let head = |n: usize| w[..n].join(" ");
    let raw = &rec.raw;
    Some(match rec.rtype {
        6 if w.len() == 7 => {
            let mut out = format!("{} {} (", w[0], w[1]);
            out += &format!("{BREAK}{:<10} ; serial", w[2]);
            for (value, name) in w[3..].iter().zip(["refresh", "retry", "expire", "minimum"]) {
                let secs: u32 = value.parse().ok()?;
                out += &format!("{BREAK}{value:<10} ; {name} ({})", verbose_duration(secs));
            }
            out + BREAK + ")"
        }
        // KEY, DNSKEY, RKEY, CDNSKEY: the key, then its role (DNSKEY/CDNSKEY), algorithm and tag.
        25 | 48 | 57 | 60 if w.len() >= 4 && raw.len() >= 4 => {
            let flags = u16::from_be_bytes([raw[0], raw[1]]);
            let role = match (rec.rtype, flags & 1) {
                (48 | 60, 1) => " ; KSK",
                (48 | 60, _) => " ; ZSK",
                _ => "",
            };
            let (alg, tag) = (secalg(raw[3]), key_tag(raw));
            format!("{} ({BREAK}{}{BREAK}){role}; alg = {alg} ; key id = {tag}", head(3), lines(&w[3..]))
        }
        24 if w.len() >= 9 => format!("{} ({BREAK}{}{BREAK}{} )", head(5), w[5..8].join(" "), lines(&w[8..])),
        46 if w.len() >= 9 => format!("{} ({BREAK}{}{BREAK}{} )", head(4), w[4..8].join(" "), lines(&w[8..])),
        37 | 40 | 43 | 52 | 53 | 59 | 63 | 32768 | 32769 if w.len() >= 4 => {
            format!("{} ({BREAK}{} )", head(3), lines(&w[3..]))
        }
        44 if w.len() >= 3 => format!("{} ({BREAK}{} )", head(2), lines(&w[2..])),
        // NSEC3: the next hashed owner, then one line per window of the type bitmap.
        50 if w.len() >= 5 => {
            let mut out = format!("{} ({BREAK}{}", head(4), w[4]);
            let mut window = None;
            for t in &w[5..] {
                let this = parse_type(t).map(|code| code >> 8);
                out.push_str(if window.is_some() && this == window { " " } else { BREAK });
                window = this;
                out.push_str(t);
            }
            out + " )"
        }
        49 if raw.len() >= 3 => {
            let (ident, digest) = (u16::from_be_bytes([raw[0], raw[1]]), raw[2]);
            format!("( {} ) ; {ident} {digest} {}", lines(&w), raw.len() - 3)
        }
        45 if w.len() >= 5 => format!("( {}{BREAK}{} )", head(4), lines(&w[4..])),
        31 | 32 | 61 => format!("( {} )", lines(&w)),
        67 | 68 => format!(" ({} )", lines(&w)),
        55 if w.len() >= 3 => format!("( {}{BREAK}{} )", head(2), lines(&w[2..])),
        // RFC 3597's generic form, for every type BIND does not know.
        _ if w.len() >= 3 && w[0] == "\\#" => format!("\\# {} ( {} )", w[1], lines(&w[2..])),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_tags_and_durations_as_bind_computes_them() {
        // The DNSKEY of RFC 4034 section 5.4's example zone: key tag 60485.
        let key = data_encoding::BASE64
            .decode(
                b"AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==",
            )
            .unwrap();
        let mut rdata = vec![1, 0, 3, 5];
        rdata.extend(key);
        assert_eq!(key_tag(&rdata), 60485);
        assert_eq!(verbose_duration(1_209_600), "2 weeks");
        assert_eq!(verbose_duration(93_784), "1 day 2 hours 3 minutes 4 seconds");
    }
}
