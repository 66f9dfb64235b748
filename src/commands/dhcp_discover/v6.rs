//! DHCPv6 discovery without I/O: the SOLICIT we multicast to ff02::1:2 and
//! what each ADVERTISE says.

use super::engine::Ignored;
use dhcproto::v6::{DhcpOption, IANA, Message, MessageType, ORO, OptionCode};
use dhcproto::{Decodable, Decoder, Encodable, Encoder};
use serde::Serialize;
use std::net::Ipv6Addr;
use std::time::Duration;

pub const CLIENT_PORT: u16 = 546;
pub const SERVER_PORT: u16 = 547;
/// All_DHCP_Relay_Agents_and_Servers (RFC 8415 §7.1).
pub const ALL_SERVERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2);

/// DUID-LL (RFC 8415 §11.4): type 3, hardware type 1 (Ethernet), the MAC.
pub fn duid_ll(mac: &[u8; 6]) -> Vec<u8> {
    let mut duid = vec![0, 3, 0, 1];
    duid.extend_from_slice(mac);
    duid
}

/// The identity of the one IA_NA we ask for.
pub const IAID: u32 = 1;

/// A SOLICIT sent `elapsed` hundredths of a second after the first one
/// (retransmissions keep the xid and update Elapsed Time, RFC 8415 §15).
pub fn solicit(xid: u32, duid: &[u8], iaid: u32, elapsed: u16) -> Vec<u8> {
    let mut msg = Message::new(MessageType::Solicit);
    msg.set_xid_num(xid & 0x00ff_ffff);
    let opts = msg.opts_mut();
    opts.insert(DhcpOption::ClientId(duid.to_vec()));
    opts.insert(DhcpOption::ElapsedTime(elapsed));
    opts.insert(DhcpOption::IANA(IANA { id: iaid, t1: 0, t2: 0, opts: Default::default() }));
    opts.insert(DhcpOption::ORO(ORO { opts: vec![OptionCode::DomainNameServers, OptionCode::DomainSearchList] }));
    let mut bytes = Vec::new();
    msg.encode(&mut Encoder::new(&mut bytes)).expect("a SOLICIT always encodes");
    bytes
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeaseAddress {
    pub address: Ipv6Addr,
    pub preferred_lifetime_s: u32,
    pub valid_lifetime_s: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Advertise {
    pub server_ip: Ipv6Addr,
    pub server_duid: String,
    pub preference: Option<u8>,
    pub addresses: Vec<LeaseAddress>,
    /// The IA_NA's identity and its renewal (T1) and rebinding (T2) times;
    /// 0 leaves the time to the client (RFC 8415 §21.4).
    pub iaid: Option<u32>,
    pub t1_s: Option<u32>,
    pub t2_s: Option<u32>,
    pub dns_servers: Vec<Ipv6Addr>,
    pub domain_search: Vec<String>,
    /// Status codes the server attached (e.g. NoAddrsAvail), in words.
    pub status: Vec<String>,
    /// Since the latest SOLICIT sent before it arrived.
    #[serde(rename = "latency_ms", serialize_with = "crate::output::as_ms")]
    pub latency: Duration,
    /// Since the first SOLICIT.
    #[serde(rename = "elapsed_ms", serialize_with = "crate::output::as_ms")]
    pub elapsed: Duration,
    /// SOLICITs sent when it arrived.
    pub solicits_sent: u32,
}

impl Advertise {
    /// Whether `other` is this same ADVERTISE sent again (to a retransmission).
    pub fn same_as(&self, other: &Advertise) -> bool {
        let timeless = |a: &Advertise| Advertise {
            latency: Duration::ZERO,
            elapsed: Duration::ZERO,
            solicits_sent: 0,
            ..a.clone()
        };
        timeless(self) == timeless(other)
    }
}

/// What one datagram on the client port was.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen6 {
    Advertise(Box<Advertise>),
    Ignored(Ignored),
    Malformed(String),
}

pub fn inspect(payload: &[u8], from: Ipv6Addr, xid: u32, duid: &[u8], latency: Duration) -> Seen6 {
    let msg = match Message::decode(&mut Decoder::new(payload)) {
        Ok(m) => m,
        Err(e) => return Seen6::Malformed(format!("undecodable DHCPv6 message from {from}: {e}")),
    };
    if msg.xid_num() != xid & 0x00ff_ffff {
        return Seen6::Ignored(Ignored::OtherTransaction);
    }
    if msg.msg_type() != MessageType::Advertise {
        return Seen6::Ignored(Ignored::NotAnOffer);
    }
    let opts = msg.opts();
    match opts.get(OptionCode::ClientId) {
        Some(DhcpOption::ClientId(id)) if id == duid => {}
        _ => return Seen6::Ignored(Ignored::OtherClient),
    }
    let Some(DhcpOption::ServerId(server)) = opts.get(OptionCode::ServerId) else {
        return Seen6::Malformed(format!("ADVERTISE from {from} without a server identifier"));
    };
    let mut ad = Advertise {
        server_ip: from,
        server_duid: server.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":"),
        preference: None,
        addresses: Vec::new(),
        iaid: None,
        t1_s: None,
        t2_s: None,
        dns_servers: Vec::new(),
        domain_search: Vec::new(),
        status: Vec::new(),
        latency,
        elapsed: latency,
        solicits_sent: 1,
    };
    for opt in opts.iter() {
        match opt {
            DhcpOption::Preference(p) => ad.preference = Some(*p),
            DhcpOption::DomainNameServers(v) => ad.dns_servers.extend(v),
            DhcpOption::DomainSearchList(names) => ad.domain_search.extend(names.iter().map(|n| n.to_string())),
            DhcpOption::StatusCode(s) => ad.status.push(format!("{:?}: {}", s.status, s.msg)),
            DhcpOption::IANA(ia) => {
                if ad.iaid.is_none() {
                    (ad.iaid, ad.t1_s, ad.t2_s) = (Some(ia.id), Some(ia.t1), Some(ia.t2));
                }
                for inner in ia.opts.iter() {
                    match inner {
                        DhcpOption::IAAddr(a) => ad.addresses.push(LeaseAddress {
                            address: a.addr,
                            preferred_lifetime_s: a.preferred_life,
                            valid_lifetime_s: a.valid_life,
                        }),
                        DhcpOption::StatusCode(s) => ad.status.push(format!("{:?}: {}", s.status, s.msg)),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Seen6::Advertise(Box::new(ad))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dhcproto::v6::IAAddr;

    const MAC: [u8; 6] = [2, 0, 0, 0, 0, 0x10];

    fn advertise(xid: u32, client: &[u8]) -> Vec<u8> {
        let mut msg = Message::new(MessageType::Advertise);
        msg.set_xid_num(xid);
        let opts = msg.opts_mut();
        opts.insert(DhcpOption::ClientId(client.to_vec()));
        opts.insert(DhcpOption::ServerId(vec![0, 3, 0, 1, 2, 0, 0, 0, 0, 1]));
        opts.insert(DhcpOption::Preference(7));
        let mut ia_opts = dhcproto::v6::DhcpOptions::new();
        ia_opts.insert(DhcpOption::IAAddr(IAAddr {
            addr: "2001:db8:5::100".parse().unwrap(),
            preferred_life: 300,
            valid_life: 600,
            opts: Default::default(),
        }));
        opts.insert(DhcpOption::IANA(IANA { id: 1, t1: 150, t2: 240, opts: ia_opts }));
        opts.insert(DhcpOption::DomainNameServers(vec!["2001:db8:5::53".parse().unwrap()]));
        opts.insert(DhcpOption::DomainSearchList(vec!["lab.test.".parse().unwrap()]));
        let mut bytes = Vec::new();
        msg.encode(&mut Encoder::new(&mut bytes)).unwrap();
        bytes
    }

    #[test]
    fn solicit_carries_duid_ll_elapsed_time_and_ia_na() {
        let bytes = solicit(0xabcdef, &duid_ll(&MAC), 1, 412);
        let msg = Message::decode(&mut Decoder::new(&bytes)).unwrap();
        assert_eq!((msg.msg_type(), msg.xid_num()), (MessageType::Solicit, 0xabcdef));
        assert_eq!(
            msg.opts().get(OptionCode::ClientId),
            Some(&DhcpOption::ClientId(vec![0, 3, 0, 1, 2, 0, 0, 0, 0, 0x10]))
        );
        assert_eq!(msg.opts().get(OptionCode::ElapsedTime), Some(&DhcpOption::ElapsedTime(412)));
        assert!(matches!(msg.opts().get(OptionCode::IANA), Some(DhcpOption::IANA(ia)) if ia.id == 1));
    }

    #[test]
    fn advertise_is_read_and_others_ignored() {
        let duid = duid_ll(&MAC);
        let from: Ipv6Addr = "fe80::1".parse().unwrap();
        let Seen6::Advertise(ad) = inspect(&advertise(5, &duid), from, 5, &duid, Duration::ZERO) else { panic!() };
        assert_eq!(ad.addresses[0].address, "2001:db8:5::100".parse::<Ipv6Addr>().unwrap());
        assert_eq!((ad.addresses[0].preferred_lifetime_s, ad.addresses[0].valid_lifetime_s), (300, 600));
        assert_eq!(ad.dns_servers, vec!["2001:db8:5::53".parse::<Ipv6Addr>().unwrap()]);
        assert_eq!(ad.domain_search, vec!["lab.test."]);
        assert_eq!((ad.iaid, ad.t1_s, ad.t2_s), (Some(1), Some(150), Some(240)));
        assert_eq!((ad.preference, ad.server_duid.as_str()), (Some(7), "00:03:00:01:02:00:00:00:00:01"));
        assert_eq!(
            inspect(&advertise(6, &duid), from, 5, &duid, Duration::ZERO),
            Seen6::Ignored(Ignored::OtherTransaction)
        );
        assert_eq!(
            inspect(&advertise(5, &[1, 2]), from, 5, &duid, Duration::ZERO),
            Seen6::Ignored(Ignored::OtherClient)
        );
        assert!(matches!(inspect(&[2, 0], from, 5, &duid, Duration::ZERO), Seen6::Malformed(_)));
    }
}
