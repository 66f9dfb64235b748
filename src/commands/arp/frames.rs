//! The frames `arp` sends and understands, built and parsed with pnet_packet:
//! ARP who-has and RFC 5227 probes over Ethernet, and IPv6 neighbour
//! solicitations / advertisements (RFC 4861). No sockets here.

use pnet_datalink::MacAddr;
use pnet_packet::MutablePacket;
use pnet_packet::Packet;
use pnet_packet::arp::{ArpHardwareTypes, ArpOperations, ArpPacket, MutableArpPacket};
use pnet_packet::ethernet::{EtherTypes, EthernetPacket, MutableEthernetPacket};
use pnet_packet::icmpv6::ndp::{
    MutableNeighborSolicitPacket, NdpOption, NdpOptionTypes, NeighborAdvertPacket, NeighborSolicitPacket,
};
use pnet_packet::icmpv6::{Icmpv6Code, Icmpv6Packet, Icmpv6Types, checksum};
use pnet_packet::ip::IpNextHeaderProtocols;
use pnet_packet::ipv6::{Ipv6Packet, MutableIpv6Packet};
use serde::{Serialize, Serializer};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An Ethernet address, printed as lower-case colon hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 6]
    }

    fn pnet(self) -> MacAddr {
        let [a, b, c, d, e, f] = self.0;
        MacAddr(a, b, c, d, e, f)
    }

    fn from_pnet(m: MacAddr) -> Mac {
        Mac([m.0, m.1, m.2, m.3, m.4, m.5])
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

impl std::str::FromStr for Mac {
    type Err = String;
    fn from_str(s: &str) -> Result<Mac, String> {
        let parts: Vec<u8> = s.split(':').filter_map(|p| u8::from_str_radix(p, 16).ok()).collect();
        <[u8; 6]>::try_from(parts).map(Mac).map_err(|_| format!("'{s}' is not a MAC address"))
    }
}

impl Serialize for Mac {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

const ETH_HEADER: usize = 14;
const ARP_LEN: usize = 28;
/// Ethernet's minimum frame (without FCS); short frames are zero-padded as NICs expect.
const MIN_FRAME: usize = 60;
const BROADCAST: Mac = Mac([0xff; 6]);

/// ARP who-has for `target` from `mac`/`sender`. With `sender` 0.0.0.0 it is
/// an RFC 5227 probe, which asks without touching anyone's ARP cache.
pub fn arp_request(mac: Mac, sender: Ipv4Addr, target: Ipv4Addr) -> Vec<u8> {
    let mut frame = vec![0u8; MIN_FRAME];
    {
        let mut eth = MutableEthernetPacket::new(&mut frame).expect("60 bytes hold an Ethernet header");
        eth.set_destination(BROADCAST.pnet());
        eth.set_source(mac.pnet());
        eth.set_ethertype(EtherTypes::Arp);
        let mut arp = MutableArpPacket::new(eth.payload_mut()).expect("46 bytes hold an ARP packet");
        arp.set_hardware_type(ArpHardwareTypes::Ethernet);
        arp.set_protocol_type(EtherTypes::Ipv4);
        arp.set_hw_addr_len(6);
        arp.set_proto_addr_len(4);
        arp.set_operation(ArpOperations::Request);
        arp.set_sender_hw_addr(mac.pnet());
        arp.set_sender_proto_addr(sender);
        arp.set_target_hw_addr(MacAddr::zero());
        arp.set_target_proto_addr(target);
    }
    frame
}

/// The solicited-node multicast group of `target` (ff02::1:ffXX:XXXX) and its MAC.
pub fn solicited_node(target: Ipv6Addr) -> (Ipv6Addr, Mac) {
    let o = target.octets();
    let group = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 1, 0xff00 | u16::from(o[13]), u16::from_be_bytes([o[14], o[15]]));
    (group, Mac([0x33, 0x33, 0xff, o[13], o[14], o[15]]))
}

/// A neighbour solicitation for `target` from `mac`/`source`, to the
/// target's solicited-node group, carrying our link-layer address.
pub fn neighbor_solicit(mac: Mac, source: Ipv6Addr, target: Ipv6Addr) -> Vec<u8> {
    const NS_LEN: usize = 24 + 8; // header + target + one source-link-layer option
    let (group, group_mac) = solicited_node(target);
    let mut frame = vec![0u8; ETH_HEADER + 40 + NS_LEN];
    {
        let mut eth = MutableEthernetPacket::new(&mut frame).expect("sized above");
        eth.set_destination(group_mac.pnet());
        eth.set_source(mac.pnet());
        eth.set_ethertype(EtherTypes::Ipv6);
        let mut ip = MutableIpv6Packet::new(eth.payload_mut()).expect("sized above");
        ip.set_version(6);
        ip.set_payload_length(NS_LEN as u16);
        ip.set_next_header(IpNextHeaderProtocols::Icmpv6);
        ip.set_hop_limit(255); // RFC 4861: receivers drop NDP with any other hop limit
        ip.set_source(source);
        ip.set_destination(group);
        let mut ns = MutableNeighborSolicitPacket::new(ip.payload_mut()).expect("sized above");
        ns.set_icmpv6_type(Icmpv6Types::NeighborSolicit);
        ns.set_icmpv6_code(Icmpv6Code(0));
        ns.set_target_addr(target);
        ns.set_options(&[NdpOption { option_type: NdpOptionTypes::SourceLLAddr, length: 1, data: mac.0.to_vec() }]);
        let sum = checksum(&Icmpv6Packet::new(ns.packet()).expect("sized above"), &source, &group);
        ns.set_checksum(sum);
    }
    frame
}

/// What a received (or our own, looped back) frame says about addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// `mac` says it holds `ip`: an ARP reply (`reply`), an ARP request's
    /// sender, a gratuitous ARP, or a neighbour advertisement.
    Claim { ip: IpAddr, mac: Mac, reply: bool },
    /// `mac` asks who has `target`: an ARP request or NS. `probe` when its
    /// sender address is unspecified (RFC 5227 / RFC 4862 duplicate detection).
    Request { target: IpAddr, mac: Mac, probe: bool },
}

/// Parses an Ethernet frame into what matters to `arp`; None for anything
/// else or anything malformed (never panics on hostile input).
pub fn parse(frame: &[u8]) -> Option<Seen> {
    let eth = EthernetPacket::new(frame)?;
    let eth_src = Mac::from_pnet(eth.get_source());
    match eth.get_ethertype() {
        EtherTypes::Arp => parse_arp(eth.payload()),
        EtherTypes::Ipv6 => parse_ndp(eth.payload(), eth_src),
        _ => None,
    }
}

fn parse_arp(payload: &[u8]) -> Option<Seen> {
    if payload.len() < ARP_LEN {
        return None;
    }
    let arp = ArpPacket::new(payload)?;
    if arp.get_hardware_type() != ArpHardwareTypes::Ethernet
        || arp.get_protocol_type() != EtherTypes::Ipv4
        || arp.get_hw_addr_len() != 6
        || arp.get_proto_addr_len() != 4
    {
        return None;
    }
    let mac = Mac::from_pnet(arp.get_sender_hw_addr());
    let sender = arp.get_sender_proto_addr();
    match arp.get_operation() {
        ArpOperations::Reply => Some(Seen::Claim { ip: IpAddr::V4(sender), mac, reply: true }),
        ArpOperations::Request if sender.is_unspecified() => {
            Some(Seen::Request { target: IpAddr::V4(arp.get_target_proto_addr()), mac, probe: true })
        }
        // A gratuitous ARP (sender == target) announces; any other request
        // still tells us where its sender lives.
        ArpOperations::Request if sender == arp.get_target_proto_addr() => {
            Some(Seen::Claim { ip: IpAddr::V4(sender), mac, reply: false })
        }
        ArpOperations::Request => {
            Some(Seen::Request { target: IpAddr::V4(arp.get_target_proto_addr()), mac, probe: false })
        }
        _ => None,
    }
}

fn link_layer_option(options: &[u8], wanted: u8) -> Option<Mac> {
    // Walk the TLV options by hand: each is type, length in 8-byte units, data.
    let mut rest = options;
    while rest.len() >= 8 {
        let len = usize::from(rest[1]) * 8;
        if len == 0 || len > rest.len() {
            return None;
        }
        if rest[0] == wanted {
            return <[u8; 6]>::try_from(&rest[2..8]).ok().map(Mac);
        }
        rest = &rest[len..];
    }
    None
}

fn parse_ndp(payload: &[u8], eth_src: Mac) -> Option<Seen> {
    let ip = Ipv6Packet::new(payload)?;
    if ip.get_next_header() != IpNextHeaderProtocols::Icmpv6 || ip.get_hop_limit() != 255 {
        return None;
    }
    let len = usize::from(ip.get_payload_length()).min(ip.payload().len());
    let icmp = &ip.payload()[..len];
    if icmp.len() < 24 {
        return None;
    }
    let source = ip.get_source();
    let destination = ip.get_destination();
    let valid = Icmpv6Packet::new(icmp).is_some_and(|p| checksum(&p, &source, &destination) == p.get_checksum());
    if !valid {
        return None;
    }
    if icmp[0] == Icmpv6Types::NeighborAdvert.0 {
        let na = NeighborAdvertPacket::new(icmp)?;
        let mac = link_layer_option(&icmp[24..], NdpOptionTypes::TargetLLAddr.0).unwrap_or(eth_src);
        Some(Seen::Claim { ip: IpAddr::V6(na.get_target_addr()), mac, reply: true })
    } else if icmp[0] == Icmpv6Types::NeighborSolicit.0 {
        let ns = NeighborSolicitPacket::new(icmp)?;
        let mac = link_layer_option(&icmp[24..], NdpOptionTypes::SourceLLAddr.0).unwrap_or(eth_src);
        Some(Seen::Request { target: IpAddr::V6(ns.get_target_addr()), mac, probe: source.is_unspecified() })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: Mac = Mac([2, 0, 0, 0, 0, 1]);

    #[test]
    fn arp_request_round_trips() {
        let f = arp_request(ME, "198.18.5.1".parse().unwrap(), "198.18.5.20".parse().unwrap());
        assert_eq!(f.len(), 60);
        assert_eq!(&f[..6], &[0xff; 6]);
        assert_eq!(&f[12..14], &[0x08, 0x06]);
        assert_eq!(parse(&f), Some(Seen::Request { target: "198.18.5.20".parse().unwrap(), mac: ME, probe: false }));
        let probe = arp_request(ME, Ipv4Addr::UNSPECIFIED, "198.18.5.20".parse().unwrap());
        assert!(matches!(parse(&probe), Some(Seen::Request { probe: true, .. })));
    }

    #[test]
    fn arp_reply_is_a_claim() {
        let mut f = arp_request(ME, "198.18.5.20".parse().unwrap(), "198.18.5.1".parse().unwrap());
        f[ETH_HEADER + 7] = 2; // operation: reply
        assert_eq!(parse(&f), Some(Seen::Claim { ip: "198.18.5.20".parse().unwrap(), mac: ME, reply: true }));
    }

    #[test]
    fn hostile_frames_are_ignored_not_fatal() {
        let good = arp_request(ME, "198.18.5.1".parse().unwrap(), "198.18.5.20".parse().unwrap());
        for cut in 0..good.len().min(ETH_HEADER + ARP_LEN) {
            assert_eq!(parse(&good[..cut]), None, "cut at {cut}");
        }
        let mut weird = good.clone();
        weird[ETH_HEADER + 4] = 8; // hardware address length 8
        assert_eq!(parse(&weird), None);
        let mut op = good;
        op[ETH_HEADER + 7] = 9;
        assert_eq!(parse(&op), None);
    }

    #[test]
    fn neighbor_solicitation_is_well_formed() {
        let src: Ipv6Addr = "2001:db8:5::1".parse().unwrap();
        let target: Ipv6Addr = "2001:db8:5::14".parse().unwrap();
        let f = neighbor_solicit(ME, src, target);
        assert_eq!(&f[..6], &[0x33, 0x33, 0xff, 0, 0, 0x14]);
        assert_eq!(solicited_node(target).0, "ff02::1:ff00:14".parse::<Ipv6Addr>().unwrap());
        // It parses back (so its checksum is right) as a request with our MAC.
        assert_eq!(parse(&f), Some(Seen::Request { target: IpAddr::V6(target), mac: ME, probe: false }));
        let mut bad = f.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(parse(&bad), None, "a bad checksum is dropped");
        let mut hops = f;
        hops[ETH_HEADER + 7] = 64;
        assert_eq!(parse(&hops), None, "NDP off-link (hop limit < 255) is dropped");
    }

    #[test]
    fn options_walk_is_bounded() {
        assert_eq!(link_layer_option(&[2, 0, 1, 2, 3, 4, 5, 6], 2), None, "zero length");
        assert_eq!(link_layer_option(&[2, 9, 1, 2, 3, 4, 5, 6], 2), None, "longer than the packet");
        assert_eq!(
            link_layer_option(&[1, 1, 9, 9, 9, 9, 9, 9, 2, 1, 1, 2, 3, 4, 5, 6], 2),
            Some(Mac([1, 2, 3, 4, 5, 6]))
        );
    }

    #[test]
    fn mac_text_round_trips() {
        let m: Mac = "02:AB:00:00:05:14".parse().unwrap();
        assert_eq!(m.to_string(), "02:ab:00:00:05:14");
        assert!("02:ab".parse::<Mac>().is_err());
    }
}
