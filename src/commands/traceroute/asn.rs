//! AS numbers of hops, from Team Cymru's DNS interface (as mtr -z and
//! trippy do): `d.c.b.a.origin.<zone>` TXT for IPv4, the reversed nibbles
//! under `origin6.<zone>` for IPv6, "ASN | prefix | CC | registry | date";
//! then `AS<n>.<zone>` TXT for the AS name. The zone is configurable
//! (`--asn-zone`), so a lab zone can stand in for asn.cymru.com.

use crate::net::resolve::Resolver;
use serde::Serialize;
use std::net::IpAddr;
use std::time::Duration;

pub const DEFAULT_ZONE: &str = "asn.cymru.com";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AsInfo {
    pub asn: u32,
    pub prefix: String,
    pub country: String,
    pub registry: String,
    pub name: Option<String>,
}

/// The TXT name that holds the origin AS of `ip`.
pub fn origin_name(ip: IpAddr, zone: &str) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.origin.{zone}", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let nibbles: Vec<String> =
                v6.octets().iter().rev().flat_map(|b| [b & 0xf, b >> 4]).map(|n| format!("{n:x}")).collect();
            format!("{}.origin6.{zone}", nibbles.join("."))
        }
    }
}

/// "64500 | 198.18.0.0/15 | ZZ | lab | 2024-01-01": the first (most
/// specific) answer wins; several origin ASes ("64500 64501") give the first.
pub fn parse_origin(txt: &str) -> Option<AsInfo> {
    let fields: Vec<&str> = txt.split('|').map(str::trim).collect();
    let asn = fields.first()?.split_whitespace().next()?.parse().ok()?;
    Some(AsInfo {
        asn,
        prefix: fields.get(1)?.to_string(),
        country: fields.get(2).unwrap_or(&"").to_string(),
        registry: fields.get(3).unwrap_or(&"").to_string(),
        name: None,
    })
}

/// "64500 | ZZ | lab | 2024-01-01 | LABNET, ZZ": the AS name is the last field.
pub fn parse_name(txt: &str) -> Option<String> {
    let name = txt.split('|').nth(4)?.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// The AS of `ip`, or None when the zone has nothing (private space, no answer).
pub async fn lookup(resolver: &Resolver, ip: IpAddr, zone: &str, timeout: Duration) -> Option<AsInfo> {
    let origins = resolver.txt(&origin_name(ip, zone), timeout).await?;
    let mut info =
        origins.iter().filter_map(|t| parse_origin(t)).min_by_key(|i| std::cmp::Reverse(prefix_len(&i.prefix)))?;
    if let Some(names) = resolver.txt(&format!("AS{}.{zone}", info.asn), timeout).await {
        info.name = names.iter().find_map(|t| parse_name(t));
    }
    Some(info)
}

fn prefix_len(prefix: &str) -> u8 {
    prefix.rsplit('/').next().and_then(|l| l.parse().ok()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_names() {
        assert_eq!(origin_name("198.18.3.2".parse().unwrap(), "asn.lab.test"), "2.3.18.198.origin.asn.lab.test");
        let v6 = origin_name("2001:db8::1".parse().unwrap(), DEFAULT_ZONE);
        assert!(v6.starts_with("1.0.0.0.0.0.0.0") && v6.ends_with("8.b.d.0.1.0.0.2.origin6.asn.cymru.com"), "{v6}");
        assert_eq!(v6.split('.').count(), 32 + 4);
    }

    #[test]
    fn answers() {
        let i = parse_origin("64500 64501 | 198.18.0.0/15 | ZZ | lab | 2024-01-01").unwrap();
        assert_eq!(
            (i.asn, i.prefix.as_str(), i.country.as_str(), i.registry.as_str()),
            (64500, "198.18.0.0/15", "ZZ", "lab")
        );
        assert_eq!(parse_origin("garbage"), None);
        assert_eq!(parse_origin(""), None);
        assert_eq!(parse_name("64500 | ZZ | lab | 2024-01-01 | LABNET, ZZ").as_deref(), Some("LABNET, ZZ"));
        assert_eq!(parse_name("64500 | ZZ"), None);
        assert_eq!(prefix_len("198.18.3.0/24"), 24);
    }
}
