//! Ethernet + IPv4 + UDP framing around a payload, for protocols spoken
//! before the host has an address (DHCP): built and parsed with pnet_packet.

use pnet_packet::ethernet::{EtherTypes, EthernetPacket, MutableEthernetPacket};
use pnet_packet::ip::IpNextHeaderProtocols;
use pnet_packet::ipv4::{self, Ipv4Packet, MutableIpv4Packet};
use pnet_packet::udp::{self, MutableUdpPacket, UdpPacket};
use std::net::Ipv4Addr;

pub type Mac = [u8; 6];
pub const BROADCAST_MAC: Mac = [0xff; 6];

const ETH: usize = 14;
const IP: usize = 20;
const UDP: usize = 8;

/// The addressing of one UDP datagram on Ethernet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoints {
    pub src_mac: Mac,
    pub dst_mac: Mac,
    pub src_ip: Ipv4Addr,
    pub dst_ip: Ipv4Addr,
    pub src_port: u16,
    pub dst_port: u16,
}

/// A whole Ethernet frame carrying `payload`, with valid IPv4 and UDP checksums.
pub fn build(ends: &Endpoints, ttl: u8, payload: &[u8]) -> Vec<u8> {
    let udp_len = UDP + payload.len();
    let ip_len = IP + udp_len;
    let mut frame = vec![0u8; ETH + ip_len];
    {
        let mut eth = MutableEthernetPacket::new(&mut frame).expect("frame sized for Ethernet");
        eth.set_destination(ends.dst_mac.into());
        eth.set_source(ends.src_mac.into());
        eth.set_ethertype(EtherTypes::Ipv4);
    }
    {
        let mut ip = MutableIpv4Packet::new(&mut frame[ETH..]).expect("frame sized for IPv4");
        ip.set_version(4);
        ip.set_header_length(5);
        ip.set_total_length(ip_len as u16);
        ip.set_ttl(ttl);
        ip.set_next_level_protocol(IpNextHeaderProtocols::Udp);
        ip.set_source(ends.src_ip);
        ip.set_destination(ends.dst_ip);
        let sum = ipv4::checksum(&ip.to_immutable());
        ip.set_checksum(sum);
    }
    {
        let mut udp = MutableUdpPacket::new(&mut frame[ETH + IP..]).expect("frame sized for UDP");
        udp.set_source(ends.src_port);
        udp.set_destination(ends.dst_port);
        udp.set_length(udp_len as u16);
        udp.set_payload(payload);
        let sum = udp::ipv4_checksum(&udp.to_immutable(), &ends.src_ip, &ends.dst_ip);
        udp.set_checksum(sum);
    }
    frame
}

/// A UDP datagram found in a frame, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram<'a> {
    pub ends: Endpoints,
    pub payload: &'a [u8],
}

/// Parses an Ethernet frame down to a UDP payload; None for anything else
/// (other EtherTypes, IPv4 options that do not fit, fragments, other protocols,
/// lengths that disagree with the frame).
pub fn parse(frame: &[u8]) -> Option<Datagram<'_>> {
    let eth = EthernetPacket::new(frame)?;
    if eth.get_ethertype() != EtherTypes::Ipv4 {
        return None;
    }
    let ip_bytes = &frame[ETH..];
    let ip = Ipv4Packet::new(ip_bytes)?;
    let header = usize::from(ip.get_header_length()) * 4;
    let total = usize::from(ip.get_total_length());
    let fragmented = ip.get_fragment_offset() != 0 || ip.get_flags() & 0b001 != 0;
    if ip.get_version() != 4 || header < IP || total < header + UDP || total > ip_bytes.len() || fragmented {
        return None;
    }
    if ip.get_next_level_protocol() != IpNextHeaderProtocols::Udp {
        return None;
    }
    let udp_bytes = &ip_bytes[header..total];
    let udp = UdpPacket::new(udp_bytes)?;
    let udp_len = usize::from(udp.get_length());
    if udp_len < UDP || udp_len > udp_bytes.len() {
        return None;
    }
    Some(Datagram {
        ends: Endpoints {
            src_mac: eth.get_source().octets(),
            dst_mac: eth.get_destination().octets(),
            src_ip: ip.get_source(),
            dst_ip: ip.get_destination(),
            src_port: udp.get_source(),
            dst_port: udp.get_destination(),
        },
        payload: &udp_bytes[UDP..udp_len],
    })
}

/// `02:00:5e:10:00:01` form.
pub fn mac_string(mac: &Mac) -> String {
    mac.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// Parses `aa:bb:cc:dd:ee:ff` (or with `-`).
pub fn parse_mac(text: &str) -> Option<Mac> {
    let parts: Vec<&str> = text.split([':', '-']).collect();
    if parts.len() != 6 {
        return None;
    }
    let mut mac = [0u8; 6];
    for (byte, part) in mac.iter_mut().zip(parts) {
        if part.len() != 2 {
            return None;
        }
        *byte = u8::from_str_radix(part, 16).ok()?;
    }
    Some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ends() -> Endpoints {
        Endpoints {
            src_mac: [2, 0, 0, 0, 0, 1],
            dst_mac: BROADCAST_MAC,
            src_ip: Ipv4Addr::UNSPECIFIED,
            dst_ip: Ipv4Addr::BROADCAST,
            src_port: 68,
            dst_port: 67,
        }
    }

    #[test]
    fn round_trip_with_valid_checksums() {
        let frame = build(&ends(), 64, b"hello");
        assert_eq!(frame.len(), 14 + 20 + 8 + 5);
        let ip = Ipv4Packet::new(&frame[14..]).unwrap();
        assert_eq!(ipv4::checksum(&ip), ip.get_checksum());
        let d = parse(&frame).unwrap();
        assert_eq!((d.ends, d.payload), (ends(), &b"hello"[..]));
    }

    #[test]
    fn rejects_what_is_not_a_whole_udp_datagram() {
        let frame = build(&ends(), 64, b"hello");
        assert!(parse(&frame[..30]).is_none(), "truncated IP header");
        assert!(parse(&frame[..frame.len() - 1]).is_none(), "total length beyond the frame");
        let mut arp = frame.clone();
        arp[12..14].copy_from_slice(&[0x08, 0x06]);
        assert!(parse(&arp).is_none());
        let mut bad_udp_len = frame.clone();
        bad_udp_len[14 + 20 + 4..14 + 20 + 6].copy_from_slice(&200u16.to_be_bytes());
        assert!(parse(&bad_udp_len).is_none());
        let mut fragment = frame;
        fragment[14 + 6] = 0x20; // more fragments
        assert!(parse(&fragment).is_none());
        assert!(parse(&[]).is_none());
    }

    #[test]
    fn macs() {
        assert_eq!(parse_mac("02:00:5E:10:00:01"), Some([2, 0, 0x5e, 0x10, 0, 1]));
        assert_eq!(parse_mac("02-00-5e-10-00-01"), Some([2, 0, 0x5e, 0x10, 0, 1]));
        for bad in ["02:00:5e:10:00", "02:00:5e:10:00:0g", "0200.5e10.0001", "002:00:5e:10:00:01"] {
            assert_eq!(parse_mac(bad), None, "{bad}");
        }
        assert_eq!(mac_string(&[2, 0, 0x5e, 0x10, 0, 1]), "02:00:5e:10:00:01");
    }
}
