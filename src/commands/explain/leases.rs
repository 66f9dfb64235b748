//! DHCP lease files as the clients leave them, parsed without I/O: ISC
//! dhclient's `lease { … }` blocks (also NetworkManager's dhclient backend),
//! the KEY=VALUE files of systemd-networkd and NetworkManager's internal
//! client (`/run/systemd/netif/leases/N`, `internal-*.lease`, the `[dhcp4]`
//! section of `/run/NetworkManager/devices/N`), and `netwalk lab`'s own
//! lease.json. Times are Unix seconds (UTC).

use serde::Serialize;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// What a lease file says, whatever the client that wrote it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LeaseFile {
    /// `dhclient`, `NetworkManager`, `systemd-networkd` or `netwalk lab`.
    pub client: &'static str,
    pub file: PathBuf,
    pub interface: Option<String>,
    pub address: Option<Ipv4Addr>,
    pub prefix_len: Option<u8>,
    pub server: Option<Ipv4Addr>,
    pub routers: Vec<Ipv4Addr>,
    pub dns_servers: Vec<Ipv4Addr>,
    pub domain_name: Option<String>,
    pub search: Vec<String>,
    pub mtu: Option<u32>,
    pub lease_time_s: Option<u64>,
    /// When the lease was bound (the file's time when the format has none).
    pub obtained: Option<u64>,
    pub renew: Option<u64>,
    pub rebind: Option<u64>,
    pub expires: Option<u64>,
}

impl LeaseFile {
    fn new(client: &'static str, file: &Path) -> LeaseFile {
        LeaseFile { client, file: file.to_path_buf(), ..LeaseFile::default() }
    }

    /// Fills what one time and the lease time imply: dhclient writes the
    /// expiry and no start, the others a start (the file's time) and no expiry.
    fn complete(mut self, mtime: Option<u64>) -> LeaseFile {
        match (self.obtained, self.expires, self.lease_time_s) {
            (None, Some(end), Some(len)) => self.obtained = Some(end.saturating_sub(len)),
            (None, None, _) => self.obtained = mtime,
            _ => {}
        }
        if let (Some(start), None, Some(len)) = (self.obtained, self.expires, self.lease_time_s) {
            self.expires = Some(start + len);
        }
        self
    }
}

fn ipv4_list(text: &str) -> Vec<Ipv4Addr> {
    text.split(|c: char| c == ',' || c == ';' || c.is_ascii_whitespace())
        .filter_map(|t| t.trim().parse().ok())
        .collect()
}

fn prefix_of(mask: &str) -> Option<u8> {
    let bits = u32::from(mask.trim().parse::<Ipv4Addr>().ok()?);
    (bits.leading_ones() + bits.trailing_zeros() == 32).then_some(bits.leading_ones() as u8)
}

fn unquote(text: &str) -> String {
    text.trim().trim_matches('"').to_string()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// dhclient's `W YYYY/MM/DD HH:MM:SS` (UTC) or `epoch N` (db-time-format local).
fn dhclient_time(text: &str) -> Option<u64> {
    let mut words = text.split_whitespace();
    let first = words.next()?;
    if first == "epoch" {
        return words.next()?.parse().ok();
    }
    let (date, time) = (words.next()?, words.next()?);
    let d: Vec<u32> = date.split('/').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let t: Vec<u32> = time.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    if d.len() != 3 || t.len() != 3 || !(1..=12).contains(&d[1]) || !(1..=31).contains(&d[2]) || t[0] > 23 {
        return None;
    }
    let days = days_from_civil(i64::from(d[0]), d[1], d[2]);
    u64::try_from(days * 86_400 + i64::from(t[0] * 3600 + t[1] * 60 + t[2])).ok()
}

/// The last `lease { … }` block of a dhclient leases file (for `interface`
/// when given: the file may hold several interfaces' leases).
pub fn dhclient(text: &str, file: &Path, interface: Option<&str>, mtime: Option<u64>) -> Option<LeaseFile> {
    let client = if file.to_string_lossy().contains("NetworkManager") { "NetworkManager" } else { "dhclient" };
    let mut found = None;
    let mut current: Option<LeaseFile> = None;
    for raw in text.lines() {
        let line = raw.split('#').next().unwrap_or_default().trim();
        if line.starts_with("lease") && line.ends_with('{') {
            current = Some(LeaseFile::new(client, file));
            continue;
        }
        if line == "}" {
            if let Some(lease) = current.take()
                && interface.is_none_or(|i| lease.interface.as_deref().is_none_or(|l| l == i))
            {
                found = Some(lease);
            }
            continue;
        }
        let Some(lease) = current.as_mut() else { continue };
        let statement = line.trim_end_matches(';');
        let (key, value) = statement.split_once(char::is_whitespace).unwrap_or((statement, ""));
        match key {
            "interface" => lease.interface = Some(unquote(value)),
            "fixed-address" => lease.address = value.trim().parse().ok(),
            "renew" => lease.renew = dhclient_time(value),
            "rebind" => lease.rebind = dhclient_time(value),
            "expire" => lease.expires = dhclient_time(value),
            "option" => {
                let (name, v) = value.trim().split_once(char::is_whitespace).unwrap_or((value, ""));
                match name {
                    "subnet-mask" => lease.prefix_len = prefix_of(v),
                    "routers" => lease.routers = ipv4_list(v),
                    "domain-name-servers" => lease.dns_servers = ipv4_list(v),
                    "dhcp-server-identifier" => lease.server = v.trim().parse().ok(),
                    "domain-name" => lease.domain_name = Some(unquote(v)),
                    "domain-search" => lease.search = v.split(',').map(unquote).filter(|s| !s.is_empty()).collect(),
                    "dhcp-lease-time" => lease.lease_time_s = v.trim().parse().ok(),
                    "interface-mtu" => lease.mtu = v.trim().parse().ok(),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    found.map(|l| l.complete(mtime))
}

/// KEY=VALUE lease files: systemd-networkd's (`ADDRESS=`, `SERVER_ADDRESS=`,
/// `LIFETIME=` …), and NetworkManager's device state, whose `[dhcp4]`
/// section holds the options by their dhclient names (`ip_address=`,
/// `dhcp_server_identifier=`, `expiry=` …).
pub fn key_value(text: &str, file: &Path, client: &'static str, mtime: Option<u64>) -> Option<LeaseFile> {
    let mut lease = LeaseFile::new(client, file);
    let sectioned = text.lines().any(|l| l.trim().starts_with('['));
    let mut in_dhcp4 = !sectioned;
    for raw in text.lines() {
        let line = raw.trim();
        if line.starts_with('[') {
            in_dhcp4 = line == "[dhcp4]";
            continue;
        }
        if line.starts_with('#') || !in_dhcp4 {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "address" | "ip_address" => lease.address = value.parse().ok(),
            "netmask" | "subnet_mask" => lease.prefix_len = prefix_of(value),
            "router" | "routers" => lease.routers = ipv4_list(value),
            "server_address" | "dhcp_server_identifier" => lease.server = value.parse().ok(),
            "dns" | "domain_name_servers" => lease.dns_servers = ipv4_list(value),
            "domainname" | "domain_name" => lease.domain_name = Some(value.to_string()),
            "domain_search_list" | "domain_search" => {
                lease.search = value.split_whitespace().map(str::to_string).collect()
            }
            "mtu" | "interface_mtu" => lease.mtu = value.parse().ok(),
            "lifetime" | "dhcp_lease_time" => lease.lease_time_s = value.parse().ok(),
            "expiry" => lease.expires = value.parse().ok(),
            "t1" | "dhcp_renewal_time" => lease.renew = value.parse().ok(),
            "t2" | "dhcp_rebinding_time" => lease.rebind = value.parse().ok(),
            _ => {}
        }
    }
    lease.address?;
    // T1/T2 are offsets from the start; NetworkManager's expiry is absolute.
    let lease = lease.complete(mtime);
    let start = lease.obtained.unwrap_or(0);
    Some(LeaseFile { renew: lease.renew.map(|t| start + t), rebind: lease.rebind.map(|t| start + t), ..lease })
}

/// `netwalk lab`'s lease.json (the lab client's DHCP ACK).
pub fn lab(text: &str, file: &Path, mtime: Option<u64>) -> Option<LeaseFile> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let ips = |key: &str| -> Vec<Ipv4Addr> {
        v[key].as_array().map(|a| a.iter().filter_map(|x| x.as_str()?.parse().ok()).collect()).unwrap_or_default()
    };
    let lease = LeaseFile {
        address: Some(v["address"].as_str()?.parse().ok()?),
        prefix_len: v["prefix_len"].as_u64().and_then(|p| u8::try_from(p).ok()),
        server: v["server"].as_str().and_then(|s| s.parse().ok()),
        routers: ips("routers"),
        dns_servers: ips("dns_servers"),
        domain_name: v["domain_name"].as_str().map(str::to_string),
        lease_time_s: v["lease_time_s"].as_u64(),
        ..LeaseFile::new("netwalk lab", file)
    };
    let lease = lease.complete(mtime);
    // RFC 2131 defaults: T1 at half the lease, T2 at seven eighths.
    let (start, len) = (lease.obtained.unwrap_or(0), lease.lease_time_s.unwrap_or(0));
    Some(LeaseFile { renew: Some(start + len / 2), rebind: Some(start + len * 7 / 8), ..lease })
}

/// Any of the formats, told apart by their content.
pub fn parse(text: &str, file: &Path, interface: Option<&str>, mtime: Option<u64>) -> Option<LeaseFile> {
    if text.trim_start().starts_with('{') {
        return lab(text, file, mtime);
    }
    if text.lines().any(|l| l.trim_start().starts_with("lease") && l.trim_end().ends_with('{')) {
        return dhclient(text, file, interface, mtime);
    }
    let client = if file.to_string_lossy().contains("NetworkManager") { "NetworkManager" } else { "systemd-networkd" };
    key_value(text, file, client, mtime)
}

/// Where the usual clients keep the lease of interface `name` (index
/// `index`), under `root` ("/" outside tests), most specific first.
pub fn candidates(root: &Path, name: &str, index: u32) -> Vec<PathBuf> {
    let mut out = vec![
        root.join(format!("run/systemd/netif/leases/{index}")),
        root.join(format!("run/NetworkManager/devices/{index}")),
    ];
    let listed = |dir: &str, keep: &dyn Fn(&str) -> bool| -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter(|e| keep(&e.file_name().to_string_lossy()))
            .map(|e| e.path())
            .collect();
        files.sort();
        files
    };
    out.extend(listed("var/lib/NetworkManager", &|f: &str| f.ends_with(&format!("-{name}.lease"))));
    for dir in ["var/lib/dhcp", "var/lib/dhclient", "var/lib/dhcp3"] {
        // dhclient.eth0.leases and dhclient-eth0.leases first, then the shared dhclient.leases.
        out.extend(listed(dir, &|f: &str| f.contains(name) && f.contains("lease")));
        out.extend(listed(dir, &|f: &str| !f.contains(name) && f.starts_with("dhclient") && f.contains("lease")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DHCLIENT: &str = r#"default-duid "\000\001\000\001";
lease {
  interface "eth1";
  fixed-address 198.18.7.9;
  option subnet-mask 255.255.255.0;
  expire 4 2026/12/03 09:05:53;
}
lease {
  interface "eth0";
  fixed-address 198.18.5.100;
  option subnet-mask 255.255.254.0;
  option routers 198.18.5.1;
  option dhcp-lease-time 86400;
  option dhcp-message-type 5;
  option domain-name-servers 198.18.5.1,198.18.5.2;
  option dhcp-server-identifier 198.18.5.1;
  option interface-mtu 1400;
  option domain-name "home.test";
  option domain-search "home.test.", "office.test.";
  renew 3 2026/12/02 20:11:27;
  rebind 4 2026/12/03 06:05:53;
  expire 4 2026/12/03 09:05:53;
}
"#;

    #[test]
    fn dhclient_takes_the_last_lease_of_the_interface() {
        let l = dhclient(DHCLIENT, Path::new("/var/lib/dhcp/dhclient.leases"), Some("eth0"), None).unwrap();
        assert_eq!(l.client, "dhclient");
        assert_eq!((l.address, l.prefix_len), (Some("198.18.5.100".parse().unwrap()), Some(23)));
        assert_eq!(l.server, Some("198.18.5.1".parse().unwrap()));
        assert_eq!(l.dns_servers.len(), 2);
        assert_eq!(l.search, ["home.test.", "office.test."]);
        assert_eq!((l.mtu, l.lease_time_s), (Some(1400), Some(86400)));
        // 2026-12-03 09:05:53 UTC
        assert_eq!(l.expires, Some(1_796_288_753));
        assert_eq!(l.obtained, Some(1_796_288_753 - 86400));
        let other = dhclient(DHCLIENT, Path::new("x"), Some("eth1"), None).unwrap();
        assert_eq!(other.address, Some("198.18.7.9".parse().unwrap()));
        assert!(dhclient(DHCLIENT, Path::new("x"), Some("wlan0"), None).is_none());
        assert_eq!(dhclient_time("epoch 1796288753"), Some(1_796_288_753));
        assert_eq!(dhclient_time("4 2026/13/03 09:05:53"), None);
    }

    #[test]
    fn networkd_and_network_manager_key_value_files() {
        let networkd = "# This is private data. Do not parse.\nADDRESS=198.18.5.100\nNETMASK=255.255.255.0\n\
                        ROUTER=198.18.5.1\nSERVER_ADDRESS=198.18.5.1\nT1=1800\nT2=3150\nLIFETIME=3600\n\
                        DNS=198.18.5.1 198.18.5.3\nDOMAINNAME=home.test\nDOMAIN_SEARCH_LIST=a.test b.test\n";
        let l = parse(networkd, Path::new("/run/systemd/netif/leases/2"), None, Some(1000)).unwrap();
        assert_eq!(l.client, "systemd-networkd");
        assert_eq!((l.obtained, l.renew, l.rebind, l.expires), (Some(1000), Some(2800), Some(4150), Some(4600)));
        assert_eq!(l.dns_servers.len(), 2);
        assert_eq!(l.search, ["a.test", "b.test"]);
        let nm = "[device]\nmanaged=true\n\n[dhcp4]\nip_address=198.18.5.100\nsubnet_mask=255.255.255.128\n\
                  routers=198.18.5.1\ndhcp_server_identifier=198.18.5.1\ndhcp_lease_time=600\nexpiry=5000\n\
                  domain_name_servers=198.18.5.1\n\n[other]\nip_address=1.2.3.4\n";
        let l = parse(nm, Path::new("/run/NetworkManager/devices/2"), None, Some(4800)).unwrap();
        assert_eq!(l.client, "NetworkManager");
        assert_eq!((l.address, l.prefix_len), (Some("198.18.5.100".parse().unwrap()), Some(25)));
        assert_eq!((l.obtained, l.expires), (Some(4400), Some(5000)));
        assert!(parse("[device]\nmanaged=true\n", Path::new("/run/NetworkManager/devices/3"), None, None).is_none());
    }

    #[test]
    fn the_lab_lease_and_garbage() {
        let json = r#"{"address":"198.18.0.100","prefix_len":24,"server":"198.18.0.1","routers":["198.18.0.1"],
                      "dns_servers":["198.18.0.1"],"domain_name":"home.test","lease_time_s":3600}"#;
        let l = parse(json, Path::new("/tmp/lease.json"), None, Some(10)).unwrap();
        assert_eq!((l.client, l.renew, l.rebind, l.expires), ("netwalk lab", Some(1810), Some(3160), Some(3610)));
        for junk in ["", "{", "lease {\n", "\u{0}\u{1}=\u{2}", "ADDRESS=not-an-ip"] {
            let l = parse(junk, Path::new("x"), None, None);
            assert!(l.as_ref().is_none_or(|l| l.address.is_none()), "{junk:?}: {l:?}");
        }
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }
}
