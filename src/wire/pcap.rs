//! Classic libpcap capture files, as Wireshark and tcpdump read them: a
//! 24-byte global header, then per packet a 16-byte record header and the
//! captured bytes. Little-endian, nanosecond timestamps (magic a1b23c4d),
//! LINKTYPE_ETHERNET. Also which frames belong to a walk (`keep`).

use pnet_packet::Packet;
use pnet_packet::ethernet::{EtherTypes, EthernetPacket};
use pnet_packet::ip::IpNextHeaderProtocols;
use pnet_packet::ipv4::Ipv4Packet;
use pnet_packet::ipv6::Ipv6Packet;
use std::net::IpAddr;
use std::time::Duration;

pub const MAGIC_NANOS: u32 = 0xa1b2_3c4d;
pub const LINKTYPE_ETHERNET: u32 = 1;
pub const FILE_HEADER_LEN: usize = 24;
pub const RECORD_HEADER_LEN: usize = 16;

/// The global header: version 2.4, no time zone correction, `snaplen`.
pub fn file_header(snaplen: u32) -> [u8; FILE_HEADER_LEN] {
    let mut h = [0u8; FILE_HEADER_LEN];
    h[0..4].copy_from_slice(&MAGIC_NANOS.to_le_bytes());
    h[4..6].copy_from_slice(&2u16.to_le_bytes());
    h[6..8].copy_from_slice(&4u16.to_le_bytes());
    // thiszone and sigfigs stay 0.
    h[16..20].copy_from_slice(&snaplen.to_le_bytes());
    h[20..24].copy_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
    h
}

/// One record's header: when (since the Unix epoch), bytes kept, bytes on the wire.
pub fn record_header(at: Duration, captured: u32, original: u32) -> [u8; RECORD_HEADER_LEN] {
    let mut h = [0u8; RECORD_HEADER_LEN];
    let secs = u32::try_from(at.as_secs()).unwrap_or(u32::MAX);
    h[0..4].copy_from_slice(&secs.to_le_bytes());
    h[4..8].copy_from_slice(&at.subsec_nanos().to_le_bytes());
    h[8..12].copy_from_slice(&captured.to_le_bytes());
    h[12..16].copy_from_slice(&original.max(captured).to_le_bytes());
    h
}

/// Whether an Ethernet frame is part of a walk that talks to `peers`: ARP
/// and IPv6 neighbour discovery (how the next hop is found), and IP packets
/// to or from a peer (DNS server, web server). Anything unparseable: no.
pub fn keep(frame: &[u8], peers: &[IpAddr]) -> bool {
    let Some(eth) = EthernetPacket::new(frame) else { return false };
    let is_peer = |a: IpAddr| peers.contains(&a);
    match eth.get_ethertype() {
        EtherTypes::Arp => true,
        EtherTypes::Ipv4 => Ipv4Packet::new(eth.payload())
            .is_some_and(|ip| is_peer(ip.get_source().into()) || is_peer(ip.get_destination().into())),
        EtherTypes::Ipv6 => Ipv6Packet::new(eth.payload()).is_some_and(|ip| {
            let nd = ip.get_next_header() == IpNextHeaderProtocols::Icmpv6
                && ip.payload().first().is_some_and(|t| (133..=137).contains(t));
            nd || is_peer(ip.get_source().into()) || is_peer(ip.get_destination().into())
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_the_libpcap_layout() {
        let h = file_header(65535);
        assert_eq!(&h[..4], &[0x4d, 0x3c, 0xb2, 0xa1]);
        assert_eq!(u16::from_le_bytes([h[4], h[5]]), 2);
        assert_eq!(u32::from_le_bytes(h[16..20].try_into().unwrap()), 65535);
        assert_eq!(u32::from_le_bytes(h[20..24].try_into().unwrap()), 1);
        let r = record_header(Duration::new(1_700_000_000, 123_456_789), 60, 1514);
        assert_eq!(u32::from_le_bytes(r[0..4].try_into().unwrap()), 1_700_000_000);
        assert_eq!(u32::from_le_bytes(r[4..8].try_into().unwrap()), 123_456_789);
        assert_eq!(u32::from_le_bytes(r[8..12].try_into().unwrap()), 60);
        assert_eq!(u32::from_le_bytes(r[12..16].try_into().unwrap()), 1514);
    }

    fn frame(ethertype: [u8; 2], payload: &[u8]) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, ethertype[0], ethertype[1]];
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn keeps_arp_and_the_peers_packets_only() {
        let peer: IpAddr = "198.18.2.2".parse().unwrap();
        let mut ip = vec![0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 198, 18, 1, 2, 198, 18, 2, 2];
        assert!(keep(&frame([0x08, 0x00], &ip), &[peer]));
        ip[19] = 9;
        assert!(!keep(&frame([0x08, 0x00], &ip), &[peer]));
        assert!(keep(&frame([0x08, 0x06], &[0; 28]), &[]));
        assert!(!keep(&frame([0x88, 0xcc], &[0; 28]), &[peer]));
        assert!(!keep(&[1, 2, 3], &[peer]), "a runt frame is not kept");
        assert!(!keep(&frame([0x08, 0x00], &[0x45]), &[peer]), "a cut IPv4 header is not kept");
    }
}
