//! Who made a network card: the IEEE MA-L (OUI) registry, vendored in
//! data/oui.tsv (regenerate with scripts/update-oui.sh) and searched by
//! binary search over its 24-bit prefixes.

use super::frames::Mac;
use serde::Serialize;
use std::sync::OnceLock;

static REGISTRY: &str = include_str!("../../../data/oui.tsv");

/// What the first three octets of a MAC say about its maker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Vendor {
    Registered(&'static str),
    /// The U/L bit is set: chosen by software (VMs, containers, randomised Wi-Fi).
    LocallyAdministered,
    /// The I/G bit is set: a group address, never a single card.
    Multicast,
    /// A universal address whose prefix is not in the vendored registry.
    Unknown,
}

impl Vendor {
    pub fn describe(&self) -> String {
        match self {
            Vendor::Registered(name) => name.to_string(),
            Vendor::LocallyAdministered => "(locally administered)".into(),
            Vendor::Multicast => "(multicast)".into(),
            Vendor::Unknown => "(unknown vendor)".into(),
        }
    }
}

fn table() -> &'static [(u32, &'static str)] {
    static TABLE: OnceLock<Vec<(u32, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut rows: Vec<(u32, &'static str)> = REGISTRY
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (prefix, name) = l.split_once('\t')?;
                Some((u32::from_str_radix(prefix, 16).ok()?, name))
            })
            .collect();
        rows.sort_unstable_by_key(|r| r.0); // the script sorts; this keeps a hand edit from breaking lookups
        rows
    })
}

/// The registry's date, from the header line the script writes.
pub fn registry_date() -> &'static str {
    REGISTRY
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# IEEE MA-L registry "))
        .and_then(|l| l.split(',').next())
        .unwrap_or("unknown")
}

pub fn lookup(mac: Mac) -> Vendor {
    let [a, b, c, ..] = mac.0;
    if a & 0x01 != 0 {
        return Vendor::Multicast;
    }
    if a & 0x02 != 0 {
        return Vendor::LocallyAdministered;
    }
    let prefix = u32::from_be_bytes([0, a, b, c]);
    match table().binary_search_by_key(&prefix, |r| r.0) {
        Ok(i) => Vendor::Registered(table()[i].1),
        Err(_) => Vendor::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_prefixes_and_special_bits() {
        assert_eq!(lookup(Mac([0x00, 0x00, 0x00, 1, 2, 3])), Vendor::Registered("XEROX CORPORATION"));
        let last = table().last().unwrap();
        let b = last.0.to_be_bytes();
        assert_eq!(lookup(Mac([b[1], b[2], b[3], 0, 0, 0])), Vendor::Registered(last.1));
        assert_eq!(lookup(Mac([0x02, 0, 0, 0, 5, 20])), Vendor::LocallyAdministered);
        assert_eq!(lookup(Mac([0x01, 0x00, 0x5e, 0, 0, 1])), Vendor::Multicast);
        assert_eq!(lookup(Mac([0xff; 6])), Vendor::Multicast);
        assert!(table().len() > 30_000);
        assert!(registry_date().starts_with("20"), "{}", registry_date());
    }
}
