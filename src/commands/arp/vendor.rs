//! Who made a network card: the IEEE MA-L (24-bit OUI), MA-M (28-bit),
//! MA-S and IAB (36-bit) registries, vendored in data/oui.tsv (regenerate
//! with scripts/update-oui.sh) and searched longest prefix first: MA-M and
//! MA-S blocks sit inside OUIs registered to the IEEE itself.

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

/// (hex digits of the prefix, prefix, vendor), sorted: 9-, 7- and 6-digit rows.
type Row = (u8, u64, &'static str);

fn table() -> &'static [Row] {
    static TABLE: OnceLock<Vec<Row>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut rows: Vec<Row> = REGISTRY
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (prefix, name) = l.split_once('\t')?;
                let digits = matches!(prefix.len(), 6 | 7 | 9).then_some(prefix.len() as u8)?;
                Some((digits, u64::from_str_radix(prefix, 16).ok()?, name))
            })
            .collect();
        rows.sort_unstable_by_key(|r| (r.0, r.1)); // the script sorts by text; lookups need (length, value)
        rows
    })
}

/// The registries' date, from the header line the script writes.
pub fn registry_date() -> &'static str {
    let header = REGISTRY.lines().next().unwrap_or_default();
    header
        .split([' ', ','])
        .find(|w| w.len() == 10 && w.as_bytes()[4] == b'-' && w.as_bytes()[7] == b'-')
        .unwrap_or("unknown")
}

pub fn lookup(mac: Mac) -> Vendor {
    let [a, ..] = mac.0;
    if a & 0x01 != 0 {
        return Vendor::Multicast;
    }
    if a & 0x02 != 0 {
        return Vendor::LocallyAdministered;
    }
    let bits = mac.0.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b));
    for digits in [9u8, 7, 6] {
        let prefix = bits >> (48 - 4 * u32::from(digits));
        if let Ok(i) = table().binary_search_by_key(&(digits, prefix), |r| (r.0, r.1)) {
            return Vendor::Registered(table()[i].2);
        }
    }
    Vendor::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_prefixes_and_special_bits() {
        assert_eq!(lookup(Mac([0x00, 0x00, 0x00, 1, 2, 3])), Vendor::Registered("XEROX CORPORATION"));
        let last = table().iter().rfind(|r| r.0 == 6).unwrap();
        let b = last.1.to_be_bytes();
        assert_eq!(lookup(Mac([b[5], b[6], b[7], 0, 0, 0])), Vendor::Registered(last.2));
        assert_eq!(lookup(Mac([0x02, 0, 0, 0, 5, 20])), Vendor::LocallyAdministered);
        assert_eq!(lookup(Mac([0x01, 0x00, 0x5e, 0, 0, 1])), Vendor::Multicast);
        assert_eq!(lookup(Mac([0xff; 6])), Vendor::Multicast);
        assert!(table().len() > 50_000);
        assert_eq!(registry_date(), "2024-07-22");
    }

    #[test]
    fn the_longest_registered_prefix_wins() {
        // MA-L, registered in 2023: the Raspberry Pi 5.
        assert_eq!(lookup(Mac([0xd8, 0x3a, 0xdd, 0x12, 0x34, 0x56])), Vendor::Registered("Raspberry Pi Trading Ltd"));
        // MA-M C8:5C:E2:7 and MA-S 8C:1F:64:AF:A inside OUIs of the IEEE RA.
        assert_eq!(lookup(Mac([0xc8, 0x5c, 0xe2, 0x70, 0, 1])), Vendor::Registered("SYNERGY SYSTEMS AND SOLUTIONS"));
        assert_eq!(lookup(Mac([0x8c, 0x1f, 0x64, 0xaf, 0xa0, 1])), Vendor::Registered("DATA ELECTRONIC DEVICES, INC"));
        // IAB 00:50:C2:F7:1.
        assert_eq!(lookup(Mac([0x00, 0x50, 0xc2, 0xf7, 0x1a, 0xbc])), Vendor::Registered("RF Code"));
        // Outside any block the MA-L owner answers.
        assert_eq!(
            lookup(Mac([0x8c, 0x1f, 0x64, 0xff, 0xff, 0xf0])),
            Vendor::Registered("IEEE Registration Authority")
        );
    }
}
