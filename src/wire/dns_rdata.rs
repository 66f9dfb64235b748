//! RDATA of the types BIND knows beyond the everyday ones (RFC 1035's
//! experimental types, RFC 1183, X.25/ISDN, NSAP, CERT, APL, IPSECKEY, HIP,
//! ZONEMD, EUI48/64, ILNP, AMTRELAY, ...), each in the presentation format
//! of BIND 9.18's `lib/dns/rdata` (checked against its dig in the interop
//! tier). Same contract as dns_text: malformed input is an `Err`, never a panic.

use crate::wire::dns::ParseError;
use crate::wire::dns_text::{Rd, bitmap, quoted, type_name};
use data_encoding::{BASE64, HEXLOWER, HEXUPPER};
use std::net::{Ipv4Addr, Ipv6Addr};

fn bad(what: &'static str, r: &Rd) -> ParseError {
    ParseError { what, offset: r.pos }
}

fn v4(r: &mut Rd) -> Result<Ipv4Addr, ParseError> {
    let b = r.bytes(4)?;
    Ok(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
}

fn v6(r: &mut Rd) -> Result<Ipv6Addr, ParseError> {
    let b = r.bytes(16)?;
    let mut a = [0u8; 16];
    a.copy_from_slice(b);
    Ok(Ipv6Addr::from(a))
}

/// ILNP's 64-bit NodeID/Locator: four groups of four lowercase hex digits.
fn ilnp64(r: &mut Rd) -> Result<String, ParseError> {
    let b = r.bytes(8)?;
    Ok(b.chunks(2).map(|c| format!("{:x}", u16::from_be_bytes([c[0], c[1]]))).collect::<Vec<_>>().join(":"))
}

/// Base64 of the rest, or nothing when it is empty.
fn b64_rest(r: &mut Rd) -> String {
    r.b64_rest()
}

/// Hex of the rest, split as +split asks.
fn hex_rest(r: &mut Rd) -> String {
    r.hex_rest()
}

/// DNSSEC algorithm mnemonics as CERT prints them (dns_secalg_totext).
pub(crate) fn secalg(n: u8) -> String {
    let name = match n {
        1 => "RSAMD5",
        2 => "DH",
        3 => "DSA",
        5 => "RSASHA1",
        6 => "NSEC3DSA",
        7 => "NSEC3RSASHA1",
        8 => "RSASHA256",
        10 => "RSASHA512",
        12 => "ECCGOST",
        13 => "ECDSAP256SHA256",
        14 => "ECDSAP384SHA384",
        15 => "ED25519",
        16 => "ED448",
        252 => "INDIRECT",
        253 => "PRIVATEDNS",
        254 => "PRIVATEOID",
        _ => return n.to_string(),
    };
    name.into()
}

/// CERT types (RFC 4398) as dns_cert_totext names them.
fn cert_type(n: u16) -> String {
    let name = match n {
        1 => "PKIX",
        2 => "SPKI",
        3 => "PGP",
        4 => "IPKIX",
        5 => "ISPKI",
        6 => "IPGP",
        7 => "ACPKIX",
        8 => "IACPKIX",
        253 => "URI",
        254 => "OID",
        _ => return n.to_string(),
    };
    name.into()
}

/// A gateway or relay whose form a type byte selects (IPSECKEY, AMTRELAY).
fn gateway(r: &mut Rd, kind: u8) -> Result<String, ParseError> {
    Ok(match kind {
        0 => ".".into(),
        1 => v4(r)?.to_string(),
        2 => v6(r)?.to_string(),
        3 => r.name()?,
        _ => return Err(bad("unknown gateway type", r)),
    })
}

/// The presentation form of `rtype`'s RDATA, or `None` for a type printed as RFC 3597 hex.
pub(crate) fn more(r: &mut Rd, rtype: u16, class: u16) -> Result<Option<String>, ParseError> {
    let text = match (rtype, class) {
        (14 | 58, _) => format!("{} {}", r.name()?, r.name()?),
        (18 | 21 | 107, _) | (36, 1) => format!("{} {}", r.u16()?, r.name()?),
        (26, 1) => format!("{} {} {}", r.u16()?, r.name()?, r.name()?),
        (19, _) => quoted(r.string()?),
        (20, _) => {
            let address = quoted(r.string()?);
            if r.pos < r.end { format!("{address} {}", quoted(r.string()?)) } else { address }
        }
        (27, _) => format!("{} {} {}", quoted(r.string()?), quoted(r.string()?), quoted(r.string()?)),
        (22, 1) => format!("0x{}", HEXLOWER.encode(r.rest())),
        (11, 1) => {
            let addr = v4(r)?;
            let proto = r.u8()?;
            let mut text = format!("{addr} {proto}");
            for (i, byte) in r.rest().iter().enumerate() {
                for bit in 0..8 {
                    if byte & (0x80 >> bit) != 0 {
                        text += &format!(" {}", i * 8 + bit);
                    }
                }
            }
            text
        }
        (30, _) => {
            let mut text = r.name()?;
            for (i, byte) in r.rest().iter().enumerate() {
                for bit in 0..8 {
                    if byte & (0x80 >> bit) != 0 {
                        text += &format!(" {}", type_name((i * 8 + bit) as u16));
                    }
                }
            }
            text
        }
        (31 | 32, 1) => hex_rest(r),
        (37, _) => {
            let (kind, tag, alg) = (r.u16()?, r.u16()?, r.u8()?);
            format!("{} {tag} {} {}", cert_type(kind), secalg(alg), b64_rest(r))
        }
        (34, 1) => match r.u8()? {
            0 => HEXLOWER.encode(r.rest()),
            1 => format!("+{}", String::from_utf8_lossy(r.rest())),
            _ => return Err(bad("unknown ATMA address format", r)),
        },
        (38, 1) => {
            let prefix = r.u8()?;
            if prefix > 128 {
                return Err(bad("A6 prefix length above 128", r));
            }
            let octets = (128 - prefix as usize).div_ceil(8);
            let mut addr = [0u8; 16];
            addr[16 - octets..].copy_from_slice(r.bytes(octets)?);
            let mut text = format!("{prefix} {}", Ipv6Addr::from(addr));
            if prefix > 0 {
                text += &format!(" {}", r.name()?);
            }
            text
        }
        (40, _) => {
            let (meaning, coding, sub) = (r.u8()?, r.u8()?, r.u8()?);
            format!("{meaning} {coding} {sub} {}", b64_rest(r)).trim_end().to_string()
        }
        (42, 1) => {
            let mut items = Vec::new();
            while r.pos < r.end {
                let family = r.u16()?;
                let prefix = r.u8()?;
                let flags = r.u8()?;
                let len = (flags & 0x7f) as usize;
                let data = r.bytes(len)?;
                let neg = if flags & 0x80 != 0 { "!" } else { "" };
                let addr = match family {
                    1 if len <= 4 => {
                        let mut a = [0u8; 4];
                        a[..len].copy_from_slice(data);
                        Ipv4Addr::from(a).to_string()
                    }
                    2 if len <= 16 => {
                        let mut a = [0u8; 16];
                        a[..len].copy_from_slice(data);
                        Ipv6Addr::from(a).to_string()
                    }
                    _ => return Err(bad("APL item of an unknown family or too long", r)),
                };
                items.push(format!("{neg}{family}:{addr}/{prefix}"));
            }
            items.join(" ")
        }
        (45, _) => {
            let (prec, kind, alg) = (r.u8()?, r.u8()?, r.u8()?);
            let gw = gateway(r, kind)?;
            format!("{prec} {kind} {alg} {gw} {}", b64_rest(r)).trim_end().to_string()
        }
        (49, 1) | (61 | 67 | 68, _) => b64_rest(r),
        (55, _) => {
            let hit_len = r.u8()? as usize;
            let alg = r.u8()?;
            let key_len = r.u16()? as usize;
            let hit = HEXUPPER.encode(r.bytes(hit_len)?);
            let key = BASE64.encode(r.bytes(key_len)?);
            let mut text = format!("{alg} {hit} {key}");
            while r.pos < r.end {
                text += &format!(" {}", r.name()?);
            }
            text
        }
        (62, _) => {
            let (serial, flags) = (r.u32()?, r.u16()?);
            let types = bitmap(r)?;
            format!("{serial} {flags} {types}").trim_end().to_string()
        }
        (63, _) => {
            let (serial, scheme, alg) = (r.u32()?, r.u8()?, r.u8()?);
            format!("{serial} {scheme} {alg} {}", hex_rest(r))
        }
        (66, _) => {
            let (rrtype, scheme, port) = (r.u16()?, r.u8()?, r.u16()?);
            let scheme = if scheme == 1 { "NOTIFY".to_string() } else { scheme.to_string() };
            format!("{} {scheme} {port} {}", type_name(rrtype), r.name()?)
        }
        (104 | 106, _) => format!("{} {}", r.u16()?, ilnp64(r)?),
        (105, _) => format!("{} {}", r.u16()?, v4(r)?),
        (108 | 109, _) => {
            let n = if rtype == 108 { 6 } else { 8 };
            r.bytes(n)?.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join("-")
        }
        (259, _) => {
            let (ent, kind, loc) = (r.u32()?, r.u32()?, r.u8()?);
            let media = quoted(r.string()?);
            let data = if r.pos == r.end { "-".into() } else { b64_rest(r) };
            format!("{ent} {kind} {loc} {media} {data}")
        }
        (260, _) => {
            let prec = r.u8()?;
            let byte = r.u8()?;
            let (d, kind) = (byte >> 7, byte & 0x7f);
            format!("{prec} {d} {kind} {}", gateway(r, kind)?)
        }
        _ => return Ok(None),
    };
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use crate::wire::dns_text::rdata;

    fn show(rtype: u16, data: &[u8]) -> String {
        rdata(data, 0, data.len(), rtype, 1).unwrap()
    }

    #[test]
    fn rarer_types_as_bind_prints_them() {
        // Expected strings from BIND 9.18's dig against tests/data/types.test.zone.
        assert_eq!(show(108, &[0, 0, 0x5e, 0, 0x53, 0x2a]), "00-00-5e-00-53-2a");
        assert_eq!(show(104, &[0, 10, 0, 0x14, 0x4f, 0xff, 0xff, 0x20, 0xee, 0x64]), "10 14:4fff:ff20:ee64");
        let apl = [0, 1, 15, 2, 198, 18, 0, 1, 24, 0x83, 198, 18, 3];
        assert_eq!(show(42, &apl), "1:198.18.0.0/15 !1:198.18.3.0/24");
        assert_eq!(show(260, &[10, 0x01, 198, 18, 3, 60]), "10 0 1 198.18.3.60");
        assert_eq!(show(34, b"\x0112345678901"), "+12345678901");
        assert_eq!(show(37, &[0, 1, 0x30, 0x39, 8, 0x30, 0x82]), "PKIX 12345 RSASHA256 MII=");
    }

    #[test]
    fn short_or_inconsistent_rdata_is_an_error() {
        assert!(rdata(&[0, 0, 0x5e], 0, 3, 108, 1).is_err());
        assert!(rdata(&[0, 1, 15, 0x05, 198], 0, 5, 42, 1).is_err());
        assert!(rdata(&[10, 0x07, 1], 0, 3, 260, 1).is_err());
        assert!(rdata(&[200, 0], 0, 2, 38, 1).is_err());
    }
}
